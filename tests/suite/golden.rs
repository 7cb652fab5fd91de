//! Golden test: `summary.json` of the Beijing fixture against the checked-in
//! `tests/golden/beijing-bupt.summary.json`, without the fields that change
//! from run to run or machine to machine (`timings`, `parameters.threads`,
//! `inputs.pbf`). Numbers are compared to 1e-9 (relative).
//!
//! After an intended change, rewrite it with
//! `LIFECIRCLE_BLESS=1 cargo test golden` and review the diff: the
//! independent checks in `realdata` say which numbers are right.

use serde_json::Value;

use crate::common::{beijing, config, read_json, remove_paths};

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
    crate::common::assert_golden("summary", &got, GOLDEN);
}
