//! Shared helpers for the integration tests.

pub mod browser;
pub mod graphs;
pub mod pbf;
pub mod reference;
pub mod rng;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lifecircle::AnalyzeConfig;
use serde_json::Value;

/// A file of the repository (fixtures, data), by its path from the crate root.
pub fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The tiny Beijing campus extract.
pub fn beijing() -> PathBuf {
    repo_file("tests/fixtures/beijing-bupt.osm.pbf")
}

/// The Nanjing city-centre extract.
pub fn nanjing() -> PathBuf {
    repo_file("tests/fixtures/nanjing-xinjiekou.osm.pbf")
}

/// The bundled Liechtenstein extract (2.9 MB).
pub fn liechtenstein() -> PathBuf {
    repo_file("data/liechtenstein-2024-03.osm.pbf")
}

/// Default configuration, without progress output.
pub fn config(pbf: &Path, out: &Path) -> AnalyzeConfig {
    let mut c = AnalyzeConfig::new(pbf, out);
    c.progress = false;
    c
}

/// Runs the `lifecircle` binary with `args`.
pub fn run_cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lifecircle")).args(args).output().expect("the lifecircle binary starts")
}

/// Reads a JSON file.
pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Removes `a.b.c`-style paths from a JSON object (missing keys are an error: the test must notice a rename).
pub fn remove_paths(v: &mut Value, paths: &[&str]) {
    for p in paths {
        let parts: Vec<&str> = p.split('.').collect();
        let mut cur = &mut *v;
        for part in &parts[..parts.len() - 1] {
            cur = cur.get_mut(*part).unwrap_or_else(|| panic!("summary has no {p}"));
        }
        let obj = cur.as_object_mut().unwrap_or_else(|| panic!("{p}: parent is not an object"));
        // `shift_remove` keeps the other keys in order (`remove` swaps the last key into the hole).
        assert!(obj.shift_remove(parts[parts.len() - 1]).is_some(), "summary has no {p}");
    }
}

/// Files in `dir` (names), sorted; empty when the folder does not exist.
pub fn dir_entries(dir: &Path) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut v: Vec<String> = rd.map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// Compares `got` with the golden file `golden` (a path from the crate root);
/// `LIFECIRCLE_BLESS=1` rewrites the file instead.
pub fn assert_golden(what: &str, got: &Value, golden: &str) {
    let path = repo_file(golden);
    if std::env::var_os("LIFECIRCLE_BLESS").is_some_and(|v| v == "1") {
        let mut text = serde_json::to_string_pretty(got).expect("serialize");
        text.push('\n');
        std::fs::write(&path, text).expect("write the golden file");
        eprintln!("blessed {}", path.display());
        return;
    }
    let want = read_json(&path);
    let mut diffs = Vec::new();
    json_diff(what, got, &want, &mut diffs);
    assert!(
        diffs.is_empty(),
        "{what} differs from {golden} (run with LIFECIRCLE_BLESS=1 to accept):\n  got vs golden\n  {}",
        diffs.join("\n  ")
    );
}

/// Differences between two JSON values, numbers compared with a relative tolerance of 1e-9.
pub fn json_diff(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                match y.get(k) {
                    Some(vb) => json_diff(&format!("{path}.{k}"), va, vb, out),
                    None => out.push(format!("{path}.{k}: only in the first")),
                }
            }
            for k in y.keys().filter(|k| !x.contains_key(*k)) {
                out.push(format!("{path}.{k}: only in the second"));
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                out.push(format!("{path}: {} vs {} items", x.len(), y.len()));
            }
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                json_diff(&format!("{path}[{i}]"), va, vb, out);
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            let (fx, fy) = (x.as_f64().expect("finite"), y.as_f64().expect("finite"));
            let same_int = x.is_f64() == y.is_f64();
            if !same_int || (fx - fy).abs() > 1e-9 * fx.abs().max(1.0) {
                out.push(format!("{path}: {x} vs {y}"));
            }
        }
        _ => {
            if a != b {
                out.push(format!("{path}: {a} vs {b}"));
            }
        }
    }
}
