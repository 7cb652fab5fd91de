//! The CSV reader: delimiter detection, header names, records located by
//! their line number. `O(file size)`, one reused record.

use std::borrow::Cow;
use std::path::Path;

use crate::error::{Error, Result};
use crate::io::limits::{MAX_LINE_BYTES, human, overlong_line};

use super::fields::{Builder, CsvColumns, Field, Props, assign, check_lonlat, parse_number};
use super::{InputFormat, ReadReport, Sink};

pub(super) struct CsvRow<'a> {
    pub(super) rec: &'a csv::ByteRecord,
    pub(super) cols: &'a CsvColumns,
}

impl CsvRow<'_> {
    /// The trimmed bytes of a field; `None` when the column is absent or the cell blank.
    #[inline]
    pub(super) fn raw(&self, f: Field) -> Option<&[u8]> {
        let i = self.cols.idx[f.idx()]?;
        let v = self.rec.get(i).unwrap_or(b"").trim_ascii();
        (!v.is_empty()).then_some(v)
    }

    /// All fields are blank.
    pub(super) fn is_blank(&self) -> bool {
        self.rec.iter().all(|v| v.trim_ascii().is_empty())
    }
}

impl Props for CsvRow<'_> {
    fn text(&self, f: Field) -> Result<Option<Cow<'_, str>>, String> {
        let Some(raw) = self.raw(f) else { return Ok(None) };
        match std::str::from_utf8(raw) {
            Ok(s) => Ok(Some(Cow::Borrowed(s.trim()))),
            Err(_) => Err(format!(
                "{} is not UTF-8 text ({}); save the file as UTF-8 (\"CSV UTF-8\" in Excel)",
                f.what(),
                self.cols.source(f)
            )),
        }
    }

    #[inline]
    fn number(&self, f: Field) -> Result<Option<f64>, String> {
        let Some(raw) = self.raw(f) else { return Ok(None) };
        let parsed = std::str::from_utf8(raw).ok().and_then(|s| parse_number(s, self.cols.decimal_comma));
        match parsed {
            Some(v) => Ok(Some(v)),
            None => Err(format!(
                "{} {:?} is not a number ({})",
                f.what(),
                String::from_utf8_lossy(raw),
                self.cols.source(f)
            )),
        }
    }
}

// ---------------------------------------------------------------------------
// CSV

/// The delimiter occurring most often outside quotes in the header line (comma on a tie or none).
pub(super) fn detect_delimiter(header: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in header {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b'\t' if !quoted => counts[1] += 1,
            b';' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let delimiters = [b',', b'\t', b';'];
    let mut best = 0;
    for i in 1..3 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    delimiters[best]
}

pub(super) fn read_csv<B: Builder>(
    path: &Path,
    data: &[u8],
    line_offset: usize,
    skip: bool,
    builder: &B,
) -> Result<(Vec<B::Point>, ReadReport)> {
    let neither = |why: String| Error::bad_input(path, "", format!("neither CSV nor GeoJSON: {why}"));
    let first_line = data.split(|&b| b == b'\n').next().unwrap_or(data);
    if data.starts_with(b"PK\x03\x04") {
        return Err(neither("this is a ZIP archive (an Excel .xlsx workbook?); save it as \"CSV UTF-8\"".into()));
    }
    if std::str::from_utf8(first_line).is_err() {
        return Err(neither(
            "the first line is not UTF-8 text (a GBK/GB18030 export? save it as \"CSV UTF-8\")".into(),
        ));
    }
    if let Some(line) = overlong_line(data, MAX_LINE_BYTES) {
        let line = line + line_offset;
        return Err(if line == 1 {
            neither(format!("the first line is longer than {}", human(MAX_LINE_BYTES as u64)))
        } else {
            Error::bad_input(path, format!("row {line}"), format!("is longer than {}", human(MAX_LINE_BYTES as u64)))
        });
    }
    let delimiter = detect_delimiter(first_line);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .buffer_capacity(1 << 16)
        .from_reader(data);
    let header: Vec<String> = reader
        .byte_headers()
        .map_err(|e| neither(format!("cannot read the header line: {e}")))?
        .iter()
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .collect();
    let idx = assign(header.iter().map(String::as_str));
    let found = || {
        let names: Vec<&str> = header.iter().map(|h| h.trim().trim_start_matches('\u{feff}')).collect();
        format!("columns found: {}", names.join(", "))
    };
    for f in [Field::Lon, Field::Lat] {
        if idx[f.idx()].is_none() {
            return Err(neither(format!(
                "the header line has no {} column (one of {}); {}",
                f.what(),
                f.name_list(),
                found()
            )));
        }
    }
    let cols = CsvColumns { idx, header, decimal_comma: delimiter == b';' };
    builder.check_columns(&cols).map_err(|m| Error::bad_input(path, "", m))?;

    let mut sink = Sink::new(path, skip, InputFormat::Csv);
    // Rough size guess: avoids most re-allocations of the point vector.
    sink.points.reserve(data.len() / 64);
    let mut rec = csv::ByteRecord::new();
    let mut lines = LineCounter::new(data, line_offset);
    loop {
        match reader.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let line = lines.line_at(rec.position());
                let row = CsvRow { rec: &rec, cols: &cols };
                let outcome = csv_lonlat(&row).and_then(|ll| builder.build(&row, line, ll, ("row", line)));
                if outcome.is_err() && row.is_blank() {
                    continue;
                }
                sink.row(outcome, || format!("row {line}"))?;
            }
            Err(e) => match e.kind() {
                csv::ErrorKind::UnequalLengths { pos, expected_len, len } => {
                    let line = lines.line_at(pos.as_ref());
                    let message = format!(
                        "has {len} field{}, the header has {expected_len} (delimiter {:?})",
                        if *len == 1 { "" } else { "s" },
                        delimiter as char
                    );
                    sink.row(Err(message), || format!("row {line}"))?;
                }
                _ => return Err(Error::bad_input(path, "", format!("unreadable CSV: {e}"))),
            },
        }
    }
    Ok(sink.finish())
}

/// Line numbers of CSV records from their byte offsets.
///
/// csv's own `Position::line` miscounts after CRLF terminators and skipped
/// blank lines, and its byte offset points at the terminators preceding a
/// record, so the line is counted here: skip those terminators, then count
/// the newlines since the previous record (records come in file order, so the
/// whole file is scanned once).
pub(super) struct LineCounter<'a> {
    pub(super) data: &'a [u8],
    pub(super) pos: usize,
    pub(super) line: usize,
}

impl<'a> LineCounter<'a> {
    pub(super) fn new(data: &'a [u8], line_offset: usize) -> Self {
        LineCounter { data, pos: 0, line: 1 + line_offset }
    }

    /// The line of the record reported at byte `offset`.
    #[inline]
    pub(super) fn line_at(&mut self, offset: Option<&csv::Position>) -> usize {
        let Some(offset) = offset else { return self.line };
        let mut start = usize::try_from(offset.byte()).unwrap_or(usize::MAX).min(self.data.len());
        while start < self.data.len() && matches!(self.data[start], b'\r' | b'\n') {
            start += 1;
        }
        if start > self.pos {
            self.line += self.data[self.pos..start].iter().filter(|&&b| b == b'\n').count();
            self.pos = start;
        }
        self.line
    }
}

/// The position of a CSV row.
#[inline]
pub(super) fn csv_lonlat(row: &CsvRow<'_>) -> Result<[f64; 2], String> {
    let lon = row.number(Field::Lon)?;
    let lat = row.number(Field::Lat)?;
    match (lon, lat) {
        (Some(lon), Some(lat)) => check_lonlat(lon, lat),
        (None, _) => Err(format!("missing longitude ({})", row.cols.source(Field::Lon))),
        (_, None) => Err(format!("missing latitude ({})", row.cols.source(Field::Lat))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn delimiter_detection_ignores_quoted_separators() {
        assert_eq!(detect_delimiter(b"lon,lat,name"), b',');
        assert_eq!(detect_delimiter(b"lon\tlat\tname"), b'\t');
        assert_eq!(detect_delimiter(b"lon;lat;\"a,b,c,d\""), b';');
        assert_eq!(detect_delimiter(b"lon"), b',');
    }
}
