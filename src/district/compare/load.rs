//! Reading a run: an output folder, its `summary.json` or a district table,
//! told apart by content. Linear in the file's size.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use super::{DISTRICTS_FILE, DistrictTable, Metric, RunSettings, RunTable, SUMMARY_FILE, SummaryRun, Unit};
use crate::error::{Error, Result};

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

pub(super) fn not_a_run(file: &Path, why: &str) -> Error {
    Error::bad_input(file, "", format!("not a lifecircle summary.json or districts.csv: {why}"))
}

pub(super) fn missing(file: &Path, field: &str, what: &str) -> Error {
    Error::bad_input(file, "", format!("not a lifecircle summary: `{field}` is missing or not {what}"))
}

pub(super) fn field<'v>(file: &Path, v: &'v Value, path: &str) -> Result<&'v Value> {
    let mut cur = v;
    for part in path.split('.') {
        cur = cur
            .get(part)
            .ok_or_else(|| Error::bad_input(file, "", format!("not a lifecircle summary: no `{path}`")))?;
    }
    Ok(cur)
}

pub(super) fn number(file: &Path, v: &Value, path: &str) -> Result<f64> {
    field(file, v, path)?.as_f64().ok_or_else(|| missing(file, path, "a number"))
}

pub(super) fn text_of(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "-".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items.iter().map(|i| text_of(Some(i))).collect::<Vec<_>>().join(","),
        Some(Value::Object(o)) => text_of(o.get("path").or_else(|| o.get("file"))),
        Some(Value::Number(n)) => n.as_f64().map_or_else(|| n.to_string(), |x| x.to_string()),
        Some(x) => x.to_string(),
    }
}

pub(super) fn parse_summary(file: &Path, v: &Value) -> Result<SummaryRun> {
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

pub(super) fn parse_districts(file: &Path, body: &str) -> Result<DistrictTable> {
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
