//! Golden test: `summary.json` of the Beijing fixture against the checked-in
//! `tests/golden/beijing-bupt.summary.json`, without the fields that change
//! from run to run or machine to machine (`timings`, `parameters.threads`,
//! `inputs.pbf`). Numbers are compared to 1e-9 (relative).
//!
//! After an intended change, rewrite it with
//! `LIFECIRCLE_BLESS=1 cargo test golden` and review the diff: the
//! independent checks in `realdata` say which numbers are right.

use serde_json::Value;

use crate::common::{beijing, config, json_diff, read_json, remove_paths, repo_file};

const GOLDEN: &str = "tests/golden/beijing-bupt.summary.json";

fn normalized_summary() -> Value {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    lifecircle::analyze(&config(&beijing(), &out)).expect("analyze the Beijing fixture");
    let mut v = read_json(&out.join("summary.json"));
    remove_paths(&mut v, &["timings", "parameters.threads", "inputs.pbf"]);
    v
}

#[test]
fn beijing_summary_matches_golden() {
    let got = normalized_summary();
    let path = repo_file(GOLDEN);
    if std::env::var_os("LIFECIRCLE_BLESS").is_some_and(|v| v == "1") {
        let mut text = serde_json::to_string_pretty(&got).expect("serialize");
        text.push('\n');
        std::fs::write(&path, text).expect("write the golden file");
        eprintln!("blessed {}", path.display());
        return;
    }
    let want = read_json(&path);
    let mut diffs = Vec::new();
    json_diff("summary", &got, &want, &mut diffs);
    assert!(
        diffs.is_empty(),
        "summary.json differs from {GOLDEN} (run with LIFECIRCLE_BLESS=1 to accept):\n  got vs golden\n  {}",
        diffs.join("\n  ")
    );
}
