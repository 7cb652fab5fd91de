//! Comparing two runs: two cities, or one city before and after a plan.
//!
//! A run is read by [`load_run`] from an `analyze` output folder, its
//! `summary.json`, or a district table (a CSV whose header starts with
//! `district,`), detected by content. Each run is flattened into an ordered
//! list of named metrics ([`RunTable::metrics`]); [`compare`] matches the two
//! lists by name and gives, for every metric, A, B and B − A, plus warnings
//! when the runs were made with different inputs or parameters (PBF,
//! taxonomy, profile, thresholds or tiers, speed, ...). The result renders as
//! Markdown ([`Comparison::to_markdown`]) and CSV ([`Comparison::to_csv`],
//! header `metric,a,b,difference`), and [`Comparison::write`] writes both
//! atomically as `compare.md` and `compare.csv`.
//!
//! Metrics of a summary, in this order: `graph.nodes`, `graph.edges`,
//! `graph.length_km`, `homes.total`, `homes.population`, `facilities.<key>`
//! (keys sorted), then per category in taxonomy order `<key>.share_covered`,
//! `<key>.share_covered_population`, `<key>.median_min` and per threshold
//! `<key>.share@<label>`, `<key>.share_population@<label>` (thresholds matched
//! by label), and last `complete.share`, `complete.share_population`.
//! Metrics of a district table: `<district>.<column>` for every numeric column.
//!
//! Shares are fractions in the CSV (as in `summary.json`, so B − A is exact);
//! the Markdown shows them in per cent and their differences in percentage
//! points (`pp`, also [`MetricRow::difference_pp`]).
//!
//! Complexity: loading is linear in the file size; comparing `n` and `m`
//! metrics takes O((n + m) log(n + m)) time (name look-ups in ordered maps)
//! and O(n + m) space; the order of the rows depends only on the two inputs.
//!
//! ```no_run
//! use lifecircle::district::compare::{compare, load_run};
//! let a = load_run("out-before".as_ref())?;
//! let b = load_run("out-after/summary.json".as_ref())?;
//! let cmp = compare(&a, &b);
//! for w in &cmp.warnings {
//!     eprintln!("warning: {w}");
//! }
//! print!("{}", cmp.to_markdown(["before", "after"]));
//! # Ok::<(), lifecircle::Error>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Result};
use crate::io::atomic::OutputDir;

/// The file looked for in an `analyze` output folder.
pub const SUMMARY_FILE: &str = "summary.json";
/// The district table looked for in an output folder without a summary.
pub const DISTRICTS_FILE: &str = "districts.csv";
/// The Markdown output's file name.
pub const MARKDOWN_FILE: &str = "compare.md";
/// The CSV output's file name.
pub const CSV_FILE: &str = "compare.csv";

/// What a metric measures, for display (values are never rescaled in the CSV).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A count (homes, facilities, nodes).
    Count,
    /// A fraction in 0..=1, shown in per cent; differences in percentage points.
    Share,
    /// Minutes.
    Minutes,
    /// Kilometres.
    Kilometres,
    /// Any other number (people, district-table columns).
    Number,
}

impl Unit {
    /// Guesses the unit from a column or field name (`share…` → share, `…_min` → minutes, ...).
    pub fn from_name(name: &str) -> Unit {
        if name.contains("share") {
            Unit::Share
        } else if name.ends_with("_min") {
            Unit::Minutes
        } else if name.ends_with("_km") {
            Unit::Kilometres
        } else if name == "homes" || name.starts_with("homes_") || name == "facilities" {
            Unit::Count
        } else {
            Unit::Number
        }
    }
}

/// One named value of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Its name, unique within the run (`grocery.share_covered`).
    pub name: String,
    /// Its unit.
    pub unit: Unit,
    /// The value (`None` when the run has none, e.g. a null median).
    pub value: Option<f64>,
}

/// The inputs and parameters of a summarised run, compared to warn about runs that differ.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunSettings {
    /// `(name, value)` pairs in a fixed order: `pbf`, `taxonomy`, `profile`, `minutes`, `tiers`,
    /// `speed_kmh`, `max_snap_m`, `min_component_nodes`, `snap_mode`, `facilities file`,
    /// `homes file`, `lifecircle version`; a value is `-` when absent.
    pub items: Vec<(String, String)>,
}

/// A run read from an `analyze` output folder or its `summary.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRun {
    /// The file read.
    pub source: PathBuf,
    /// Inputs and parameters.
    pub settings: RunSettings,
    /// Category keys in taxonomy order.
    pub categories: Vec<String>,
    /// The metrics, in the order described in the [module docs](self).
    pub metrics: Vec<Metric>,
    /// Minutes of every threshold label (`"15"` → 15, `"300m"` → its walking time).
    pub threshold_minutes: BTreeMap<String, f64>,
}

/// A district table (`districts.csv`): one row per district, numeric columns compared by district key.
#[derive(Debug, Clone, PartialEq)]
pub struct DistrictTable {
    /// The file read.
    pub source: PathBuf,
    /// Column names after `district`.
    pub columns: Vec<String>,
    /// Rows in file order: the district key and one value per column (`None` when empty or not a number).
    pub rows: Vec<(String, Vec<Option<f64>>)>,
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum RunTable {
    /// A run summary (`summary.json`).
    Summary(SummaryRun),
    /// A district table (`districts.csv`).
    Districts(DistrictTable),
}

impl RunTable {
    /// The file the run was read from.
    pub fn source(&self) -> &Path {
        match self {
            RunTable::Summary(s) => &s.source,
            RunTable::Districts(d) => &d.source,
        }
    }

    /// The run flattened into named metrics, in a deterministic order.
    pub fn metrics(&self) -> Vec<Metric> {
        match self {
            RunTable::Summary(s) => s.metrics.clone(),
            RunTable::Districts(d) => {
                let mut out = Vec::with_capacity(d.rows.len() * d.columns.len());
                for (key, values) in &d.rows {
                    for (col, v) in d.columns.iter().zip(values) {
                        out.push(Metric { name: format!("{key}.{col}"), unit: Unit::from_name(col), value: *v });
                    }
                }
                out
            }
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            RunTable::Summary(_) => "a run summary",
            RunTable::Districts(_) => "a district table",
        }
    }
}

/// One row of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRow {
    /// The metric's name.
    pub metric: String,
    /// Its unit.
    pub unit: Unit,
    /// The value in run A (`None` when A has none).
    pub a: Option<f64>,
    /// The value in run B.
    pub b: Option<f64>,
    /// B − A, in the metric's unit (a fraction for shares); `None` unless both sides have a value.
    pub difference: Option<f64>,
}

impl MetricRow {
    /// The difference in percentage points, for shares (`None` for other units).
    pub fn difference_pp(&self) -> Option<f64> {
        match self.unit {
            Unit::Share => self.difference.map(|d| d * 100.0),
            _ => None,
        }
    }
}

/// Two runs side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The files compared, A then B (as given).
    pub sources: [String; 2],
    /// Inputs and parameters that differ, and metrics found on one side only.
    pub warnings: Vec<String>,
    /// One row per metric: A's metrics in order, B's extra metrics after their predecessor in B.
    pub rows: Vec<MetricRow>,
}

/// The file [`load_run`] reads for `path`: the path itself, or in an output
/// folder its summary.json, else its districts.csv.
pub fn run_file(path: &Path) -> Result<std::path::PathBuf> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    Ok(if meta.is_dir() {
        let summary = path.join(SUMMARY_FILE);
        let districts = path.join(DISTRICTS_FILE);
        if summary.is_file() {
            summary
        } else if districts.is_file() {
            districts
        } else {
            return Err(Error::bad_input(
                path,
                "",
                format!("not a lifecircle output folder: no {SUMMARY_FILE} or {DISTRICTS_FILE} in it"),
            ));
        }
    } else {
        path.to_path_buf()
    })
}

/// Reads one run: an `analyze` output folder (its `summary.json`, else its `districts.csv`),
/// a `summary.json`, or a district table (a CSV whose header starts with `district,`).
///
/// # Errors
///
/// [`crate::ErrorKind::Io`] when the path cannot be read, [`crate::ErrorKind::BadInput`]
/// naming the file and what is missing when it is neither a lifecircle summary nor a district table.
pub fn load_run(path: &Path) -> Result<RunTable> {
    let file = run_file(path)?;
    let bytes = crate::io::limits::read_bounded(&file, crate::io::limits::MAX_RUN_FILE_BYTES, "run file")?;
    let Ok(text) = String::from_utf8(bytes) else {
        return Err(not_a_run(&file, "not UTF-8 text"));
    };
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if body.starts_with('{') || body.starts_with('[') {
        let value: Value = serde_json::from_str(body)
            .map_err(|e| Error::bad_input(&file, "", format!("not a lifecircle summary: invalid JSON: {e}")))?;
        parse_summary(&file, &value).map(RunTable::Summary)
    } else if body.starts_with("district,") || body.starts_with("\"district\",") {
        parse_districts(&file, body).map(RunTable::Districts)
    } else {
        Err(not_a_run(&file, "neither JSON nor a CSV whose header starts with `district,`"))
    }
}

/// A run from a summary already in memory (`serde_json::to_value` of a [`crate::Summary`]);
/// `source` names it in the comparison and in errors.
///
/// # Errors
///
/// [`crate::ErrorKind::BadInput`] as [`load_run`] when the value is not a lifecircle summary.
pub fn summary_run(source: &Path, summary: &Value) -> Result<RunTable> {
    parse_summary(source, summary).map(RunTable::Summary)
}

fn not_a_run(file: &Path, why: &str) -> Error {
    Error::bad_input(file, "", format!("not a lifecircle summary.json or districts.csv: {why}"))
}

fn missing(file: &Path, field: &str, what: &str) -> Error {
    Error::bad_input(file, "", format!("not a lifecircle summary: `{field}` is missing or not {what}"))
}

fn field<'v>(file: &Path, v: &'v Value, path: &str) -> Result<&'v Value> {
    let mut cur = v;
    for part in path.split('.') {
        cur = cur
            .get(part)
            .ok_or_else(|| Error::bad_input(file, "", format!("not a lifecircle summary: no `{path}`")))?;
    }
    Ok(cur)
}

fn number(file: &Path, v: &Value, path: &str) -> Result<f64> {
    field(file, v, path)?.as_f64().ok_or_else(|| missing(file, path, "a number"))
}

fn text_of(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "-".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items.iter().map(|i| text_of(Some(i))).collect::<Vec<_>>().join(","),
        Some(Value::Object(o)) => text_of(o.get("path").or_else(|| o.get("file"))),
        Some(Value::Number(n)) => n.as_f64().map_or_else(|| n.to_string(), |x| x.to_string()),
        Some(x) => x.to_string(),
    }
}

fn parse_summary(file: &Path, v: &Value) -> Result<SummaryRun> {
    if !v.is_object() {
        return Err(Error::bad_input(file, "", "not a lifecircle summary: the JSON is not an object"));
    }
    for key in ["lifecircle_version", "parameters", "graph", "homes", "facilities", "categories", "complete"] {
        field(file, v, key)?;
    }
    let inputs = v.get("inputs");
    let params = &v["parameters"];
    let get_in = |k: &str| inputs.and_then(|i| i.get(k));
    let settings = RunSettings {
        items: vec![
            ("pbf".into(), text_of(get_in("pbf"))),
            ("taxonomy".into(), text_of(get_in("taxonomy"))),
            ("profile".into(), text_of(get_in("profile"))),
            ("minutes".into(), text_of(params.get("thresholds_minutes"))),
            ("tiers".into(), text_of(params.get("tiers"))),
            ("speed_kmh".into(), text_of(params.get("speed_kmh"))),
            ("max_snap_m".into(), text_of(params.get("max_snap_m"))),
            ("min_component_nodes".into(), text_of(params.get("min_component_nodes"))),
            ("snap_mode".into(), text_of(params.get("snap_mode"))),
            ("facilities file".into(), text_of(get_in("facilities"))),
            ("homes file".into(), text_of(get_in("homes"))),
            ("lifecircle version".into(), text_of(v.get("lifecircle_version"))),
        ],
    };
    let mut metrics = Vec::new();
    let mut push = |name: String, unit: Unit, value: Option<f64>| metrics.push(Metric { name, unit, value });
    push("graph.nodes".into(), Unit::Count, Some(number(file, v, "graph.nodes")?));
    push("graph.edges".into(), Unit::Count, Some(number(file, v, "graph.edges")?));
    push("graph.length_km".into(), Unit::Kilometres, Some(number(file, v, "graph.length_km")?));
    push("homes.total".into(), Unit::Count, Some(number(file, v, "homes.total")?));
    push("homes.population".into(), Unit::Number, Some(number(file, v, "homes.population")?));
    let facilities = v["facilities"].as_object().ok_or_else(|| missing(file, "facilities", "an object"))?;
    // Sorted here, whatever the file's key order.
    let facilities: BTreeMap<&String, &Value> = facilities.iter().collect();
    for (key, n) in facilities {
        let n = n.as_f64().ok_or_else(|| missing(file, &format!("facilities.{key}"), "a number"))?;
        push(format!("facilities.{key}"), Unit::Count, Some(n));
    }
    let cats = v["categories"].as_array().ok_or_else(|| missing(file, "categories", "an array"))?;
    let mut categories = Vec::with_capacity(cats.len());
    let mut threshold_minutes = BTreeMap::new();
    for (i, c) in cats.iter().enumerate() {
        let at = |f: &str| format!("categories[{i}].{f}");
        let key = c.get("key").and_then(Value::as_str).ok_or_else(|| missing(file, &at("key"), "a string"))?;
        let num = |f: &str| c.get(f).and_then(Value::as_f64).ok_or_else(|| missing(file, &at(f), "a number"));
        push(format!("{key}.share_covered"), Unit::Share, Some(num("share_covered")?));
        push(format!("{key}.share_covered_population"), Unit::Share, Some(num("share_covered_population")?));
        let median = match c.get("median_min") {
            Some(Value::Null) => None,
            Some(x) => Some(x.as_f64().ok_or_else(|| missing(file, &at("median_min"), "a number or null"))?),
            None => return Err(missing(file, &at("median_min"), "a number or null")),
        };
        push(format!("{key}.median_min"), Unit::Minutes, median);
        let thresholds = c
            .get("thresholds")
            .and_then(Value::as_array)
            .ok_or_else(|| missing(file, &at("thresholds"), "an array"))?;
        for (j, t) in thresholds.iter().enumerate() {
            let at_t = |f: &str| format!("categories[{i}].thresholds[{j}].{f}");
            let label =
                t.get("label").and_then(Value::as_str).ok_or_else(|| missing(file, &at_t("label"), "a string"))?;
            let num_t = |f: &str| t.get(f).and_then(Value::as_f64).ok_or_else(|| missing(file, &at_t(f), "a number"));
            threshold_minutes.insert(label.to_string(), num_t("minutes")?);
            push(format!("{key}.share@{label}"), Unit::Share, Some(num_t("share")?));
            push(format!("{key}.share_population@{label}"), Unit::Share, Some(num_t("share_population")?));
        }
        categories.push(key.to_string());
    }
    push("complete.share".into(), Unit::Share, Some(number(file, v, "complete.share")?));
    push("complete.share_population".into(), Unit::Share, Some(number(file, v, "complete.share_population")?));
    Ok(SummaryRun { source: file.to_path_buf(), settings, categories, metrics, threshold_minutes })
}

fn parse_districts(file: &Path, body: &str) -> Result<DistrictTable> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(body.as_bytes());
    let header = reader.headers().map_err(|e| Error::bad_input(file, "", format!("bad CSV header: {e}")))?.clone();
    // The id column is text (a join key), not a metric.
    let keep: Vec<bool> = header.iter().map(|c| c.trim() != "district_id").collect();
    let columns: Vec<String> =
        header.iter().zip(&keep).skip(1).filter(|(_, k)| **k).map(|(c, _)| c.trim().to_string()).collect();
    let mut seen = BTreeSet::new();
    for c in &columns {
        if !seen.insert(c.as_str()) {
            return Err(Error::bad_input(file, "", format!("column `{c}` appears twice")));
        }
    }
    let mut rows = Vec::new();
    let mut keys = BTreeSet::new();
    for (i, record) in reader.records().enumerate() {
        let row = format!("row {}", i + 2);
        let record = record.map_err(|e| Error::bad_input(file, row.as_str(), e.to_string()))?;
        let key = record.get(0).unwrap_or("").trim().to_string();
        if key.is_empty() {
            return Err(Error::bad_input(file, row, "empty district key"));
        }
        if !keys.insert(key.clone()) {
            return Err(Error::bad_input(file, row, format!("district `{key}` appears twice")));
        }
        // Rule verdicts (`pass_<rule>`) read as 1 (pass) and 0 (fail).
        let values = record.iter().zip(&keep).skip(1).filter(|(_, k)| **k).map(|(cell, _)| match cell.trim() {
            "true" => Some(1.0),
            "false" => Some(0.0),
            c => c.parse::<f64>().ok().filter(|x| x.is_finite()),
        });
        rows.push((key, values.collect()));
    }
    Ok(DistrictTable { source: file.to_path_buf(), columns, rows })
}

/// Compares two runs metric by metric: B − A for every metric both have, warnings for
/// inputs and parameters that differ and for metrics found on one side only.
pub fn compare(a: &RunTable, b: &RunTable) -> Comparison {
    let mut warnings = Vec::new();
    match (a, b) {
        (RunTable::Summary(sa), RunTable::Summary(sb)) => {
            for ((name, va), (_, vb)) in sa.settings.items.iter().zip(&sb.settings.items) {
                if va != vb {
                    warnings.push(format!("{name} differs: A {va}, B {vb}"));
                }
            }
            let only =
                |x: &[String], y: &[String]| -> Vec<String> { x.iter().filter(|k| !y.contains(k)).cloned().collect() };
            let (only_a, only_b) = (only(&sa.categories, &sb.categories), only(&sb.categories, &sa.categories));
            if !only_a.is_empty() {
                warnings.push(format!("categories only in A: {}", only_a.join(", ")));
            }
            if !only_b.is_empty() {
                warnings.push(format!("categories only in B: {}", only_b.join(", ")));
            }
        }
        (RunTable::Districts(da), RunTable::Districts(db)) => {
            let keys = |d: &DistrictTable| d.rows.iter().map(|r| r.0.clone()).collect::<BTreeSet<_>>();
            let (ka, kb) = (keys(da), keys(db));
            let only_a: Vec<&str> = ka.difference(&kb).map(String::as_str).collect();
            let only_b: Vec<&str> = kb.difference(&ka).map(String::as_str).collect();
            if !only_a.is_empty() {
                warnings.push(format!("districts only in A: {}", only_a.join(", ")));
            }
            if !only_b.is_empty() {
                warnings.push(format!("districts only in B: {}", only_b.join(", ")));
            }
            if da.columns != db.columns {
                warnings.push(format!("columns differ: A {}, B {}", da.columns.join(","), db.columns.join(",")));
            }
        }
        _ => warnings.push(format!("A is {} and B is {}: they share no metric", a.kind(), b.kind())),
    }

    let (ma, mb) = (a.metrics(), b.metrics());
    // Merge the two name lists: A's order, each B-only metric right after its predecessor in B.
    let mut order: Vec<String> = ma.iter().map(|m| m.name.clone()).collect();
    let index: BTreeMap<String, usize> = order.iter().enumerate().map(|(i, n)| (n.clone(), i)).collect();
    let mut pending: Vec<(usize, Vec<String>)> = Vec::new(); // (insert before A's position, names)
    let mut after = 0usize; // insert B-only names before A's position `after`
    for m in &mb {
        match index.get(&m.name) {
            Some(&i) => after = i + 1,
            None => match pending.last_mut() {
                Some((pos, names)) if *pos == after => names.push(m.name.clone()),
                _ => pending.push((after, vec![m.name.clone()])),
            },
        }
    }
    // Insert from the back so earlier positions stay valid; groups at the same position keep B's order.
    pending.sort_by_key(|(pos, _)| *pos);
    let mut merged: Vec<String> = Vec::with_capacity(order.len() + pending.iter().map(|p| p.1.len()).sum::<usize>());
    let mut groups = pending.into_iter().peekable();
    for (i, name) in order.drain(..).enumerate() {
        while let Some((_, names)) = groups.next_if(|(pos, _)| *pos == i) {
            merged.extend(names);
        }
        merged.push(name);
    }
    for (_, names) in groups {
        merged.extend(names);
    }

    if let (RunTable::Summary(sa), RunTable::Summary(sb)) = (a, b) {
        let mut minutes = sb.threshold_minutes.clone();
        minutes.extend(sa.threshold_minutes.iter().map(|(k, v)| (k.clone(), *v)));
        sort_threshold_blocks(&mut merged, &minutes);
    }

    let by_name = |ms: &[Metric]| -> BTreeMap<String, (Unit, Option<f64>)> {
        ms.iter().map(|m| (m.name.clone(), (m.unit, m.value))).collect()
    };
    let (va, vb) = (by_name(&ma), by_name(&mb));
    let mut one_sided = [0usize; 2];
    let rows = merged
        .into_iter()
        .map(|metric| {
            let ea = va.get(&metric);
            let eb = vb.get(&metric);
            match (ea, eb) {
                (Some(_), None) => one_sided[0] += 1,
                (None, Some(_)) => one_sided[1] += 1,
                _ => {}
            }
            let unit = ea.or(eb).map_or(Unit::Number, |e| e.0);
            let a = ea.and_then(|e| e.1);
            let b = eb.and_then(|e| e.1);
            let difference = match (a, b) {
                (Some(x), Some(y)) => Some(y - x),
                _ => None,
            };
            MetricRow { metric, unit, a, b, difference }
        })
        .collect();
    if one_sided[0] > 0 {
        warnings.push(format!("{} metrics only in A", one_sided[0]));
    }
    if one_sided[1] > 0 {
        warnings.push(format!("{} metrics only in B", one_sided[1]));
    }
    Comparison { sources: [a.source().display().to_string(), b.source().display().to_string()], warnings, rows }
}

/// `(category, minutes, 0 for homes / 1 for population)` of a per-threshold metric name.
fn threshold_key<'n>(name: &'n str, minutes: &BTreeMap<String, f64>) -> Option<(&'n str, f64, u8)> {
    let (key, rest) = name.split_once('.')?;
    let (kind, label) = rest.split_once('@')?;
    let kind = match kind {
        "share" => 0,
        "share_population" => 1,
        _ => return None,
    };
    Some((key, minutes.get(label).copied().unwrap_or(f64::INFINITY), kind))
}

/// Sorts each category's run of per-threshold metrics (A's and B's thresholds merged) by minutes.
fn sort_threshold_blocks(names: &mut [String], minutes: &BTreeMap<String, f64>) {
    let mut start = 0;
    while start < names.len() {
        let Some((key, ..)) = threshold_key(&names[start], minutes) else {
            start += 1;
            continue;
        };
        let key = key.to_string();
        let mut end = start + 1;
        while end < names.len() && threshold_key(&names[end], minutes).is_some_and(|t| t.0 == key) {
            end += 1;
        }
        names[start..end].sort_by(|x, y| {
            let (tx, ty) = (threshold_key(x, minutes), threshold_key(y, minutes));
            let (tx, ty) = (tx.expect("in block"), ty.expect("in block"));
            tx.1.total_cmp(&ty.1).then(tx.2.cmp(&ty.2))
        });
        start = end;
    }
}

/// The default label of a run: the folder's name, or for a `summary.json` / `districts.csv`
/// the name of the folder holding it, else the file's name.
pub fn default_label(path: &Path) -> String {
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    let own = name(path);
    let generic = matches!(own.as_deref(), Some(SUMMARY_FILE) | Some(DISTRICTS_FILE));
    let parent = if generic { path.parent().and_then(name) } else { None };
    parent.or(own).unwrap_or_else(|| path.display().to_string())
}

/// Default labels for two runs ([`default_label`]); `A: name` / `B: name` when both names are equal.
pub fn default_labels(a: &Path, b: &Path) -> [String; 2] {
    let (la, lb) = (default_label(a), default_label(b));
    if la == lb { [format!("A: {la}"), format!("B: {lb}")] } else { [la, lb] }
}

fn md_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn fmt_value(unit: Unit, v: Option<f64>) -> String {
    let Some(v) = v else { return "–".to_string() };
    match unit {
        Unit::Share => format!("{:.1} %", v * 100.0),
        Unit::Minutes => format!("{v:.2}"),
        Unit::Kilometres => format!("{v:.3}"),
        Unit::Count | Unit::Number => fmt_plain(v),
    }
}

fn fmt_plain(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{v:.0}") } else { format!("{v:.2}") }
}

fn fmt_difference(row: &MetricRow) -> String {
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

fn csv_number(v: Option<f64>) -> String {
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
