//! A comparison as Markdown and CSV (with its `.csvt`), written atomically.
//! Linear in the number of rows.

use std::fmt::Write as _;
use std::io::Write as _;

use super::{CSV_FILE, Comparison, MARKDOWN_FILE, MetricRow, Unit};
use crate::error::Result;
use crate::io::atomic::OutputDir;

pub(super) fn md_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('|', "\\|").replace(['\n', '\r'], " ")
}

pub(super) fn fmt_value(unit: Unit, v: Option<f64>) -> String {
    let Some(v) = v else { return "–".to_string() };
    match unit {
        Unit::Share => format!("{:.1} %", v * 100.0),
        Unit::Minutes => format!("{v:.2}"),
        Unit::Kilometres => format!("{v:.3}"),
        Unit::Count | Unit::Number => fmt_plain(v),
    }
}

pub(super) fn fmt_plain(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{v:.0}") } else { format!("{v:.2}") }
}

pub(super) fn fmt_difference(row: &MetricRow) -> String {
    let Some(d) = row.difference else { return "–".to_string() };
    let (text, suffix) = match row.unit {
        Unit::Share => (format!("{:+.1}", d * 100.0), " pp"),
        Unit::Minutes => (format!("{d:+.2}"), ""),
        Unit::Kilometres => (format!("{d:+.3}"), ""),
        Unit::Count | Unit::Number => {
            (if d.fract() == 0.0 && d.abs() < 1e15 { format!("{d:+.0}") } else { format!("{d:+.2}") }, "")
        }
    };
    // A difference that rounds to zero is shown unsigned.
    let zero = text.trim_start_matches(['+', '-']).chars().all(|c| c == '0' || c == '.');
    let text = if zero { text.trim_start_matches(['+', '-']).to_string() } else { text };
    format!("{text}{suffix}")
}

pub(super) fn csv_number(v: Option<f64>) -> String {
    v.map_or(String::new(), |x| if x == 0.0 { "0".to_string() } else { x.to_string() })
}

impl Comparison {
    /// The comparison as Markdown: the two inputs, the warnings, and a table
    /// `metric | A | B | B − A` (shares in per cent, their differences in percentage points).
    pub fn to_markdown(&self, labels: [&str; 2]) -> String {
        let [la, lb] = labels.map(md_escape);
        let mut s = String::new();
        let _ = writeln!(s, "# lifecircle compare: {la} vs {lb}\n");
        let _ = writeln!(s, "| | input |\n|---|---|");
        let _ = writeln!(s, "| A: {la} | `{}` |", md_escape(&self.sources[0]));
        let _ = writeln!(s, "| B: {lb} | `{}` |\n", md_escape(&self.sources[1]));
        if !self.warnings.is_empty() {
            let _ = writeln!(s, "## Warnings\n");
            for w in &self.warnings {
                let _ = writeln!(s, "- {}", md_escape(w));
            }
            let _ = writeln!(s);
        }
        let _ = writeln!(s, "## Metrics\n");
        let _ = writeln!(s, "| metric | {la} | {lb} | B − A |\n|---|---:|---:|---:|");
        for r in &self.rows {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                md_escape(&r.metric),
                fmt_value(r.unit, r.a),
                fmt_value(r.unit, r.b),
                fmt_difference(r)
            );
        }
        s
    }

    /// The comparison as CSV with header `metric,a,b,difference`: values as in the inputs
    /// (shares as fractions), shortest exact decimals, empty when absent.
    /// The labels are not part of the CSV; the parameter keeps the signature parallel to
    /// [`Comparison::to_markdown`].
    pub fn to_csv(&self, _labels: [&str; 2]) -> String {
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
        let mut write = |rec: [&str; 4]| w.write_record(rec).expect("writing CSV to memory");
        write(["metric", "a", "b", "difference"]);
        for r in &self.rows {
            write([&r.metric, &csv_number(r.a), &csv_number(r.b), &csv_number(r.difference)]);
        }
        let bytes = w.into_inner().expect("flushing CSV to memory");
        String::from_utf8(bytes).expect("CSV of UTF-8 fields is UTF-8")
    }

    /// Writes `compare.md`, `compare.csv` and its `.csvt` into `out` with `manifest` as its
    /// `run.json`, all or nothing (temporary files renamed at the end; see [`OutputDir::commit`]).
    ///
    /// # Errors
    ///
    /// [`crate::ErrorKind::Output`] or [`crate::ErrorKind::Io`] when the folder or a file cannot be written.
    pub fn write(&self, out: &OutputDir, labels: [&str; 2], manifest: crate::io::manifest::RunManifest) -> Result<()> {
        let files = self.files(out, labels, MARKDOWN_FILE, CSV_FILE)?;
        out.commit(files, manifest)
    }

    /// The comparison as `markdown` and `csv` files in `out` (with the CSV's `.csvt` types for
    /// GDAL: the metric is text, the values real numbers), not yet committed.
    pub fn files(
        &self,
        out: &OutputDir,
        labels: [&str; 2],
        markdown: &str,
        csv: &str,
    ) -> Result<Vec<crate::io::atomic::FinishedFile>> {
        let csvt = format!("{}.csvt", csv.strip_suffix(".csv").unwrap_or(csv));
        let texts = [
            (markdown.to_string(), self.to_markdown(labels)),
            (csv.to_string(), self.to_csv(labels)),
            (csvt, "\"String\",\"Real\",\"Real\",\"Real\"\n".to_string()),
        ];
        let mut finished = Vec::with_capacity(texts.len());
        for (name, text) in texts {
            let mut f = out.create(&name)?;
            let res = f.writer().write_all(text.as_bytes());
            res.map_err(|e| f.err(e))?;
            finished.push(f.finish()?);
        }
        Ok(finished)
    }
}
