//! `lifecircle compare`: two runs of the Beijing fixture with different settings, the
//! differences against B − A recomputed from the two `summary.json` files, identical runs,
//! district tables, the CLI's outputs, bad inputs (exit 2, one line) and determinism.

use std::path::{Path, PathBuf};

use lifecircle::district::compare::{RunTable, Unit, compare, default_label, load_run};
use lifecircle::inputs::{MergeMode, PointsInput};
use lifecircle::io::crs::Crs;
use serde_json::Value;

use crate::cli::{Run, assert_input_error};
use crate::common::{beijing, config, dir_entries, read_json, repo_file};

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Run A: thresholds 5 and 10 minutes, OSM facilities only.
fn run_a(out: &Path) -> PathBuf {
    let mut c = config(&beijing(), out);
    c.minutes = vec![5.0, 10.0];
    c.threads = Some(2);
    lifecircle::analyze(&c).expect("run A");
    out.to_path_buf()
}

/// Run B: thresholds 5 and 15 minutes, plus the user's facilities.
fn run_b(out: &Path) -> PathBuf {
    let mut c = config(&beijing(), out);
    c.minutes = vec![5.0, 15.0];
    c.threads = Some(2);
    c.facilities_input = Some(PointsInput {
        path: repo_file("tests/fixtures/userdata/beijing-facilities-add.csv"),
        crs: Crs::Wgs84,
        mode: MergeMode::Add,
        table: None,
    });
    lifecircle::analyze(&c).expect("run B");
    out.to_path_buf()
}

fn compare_cli(args: &[&str]) -> Run {
    crate::cli::run_subcommand("compare", args)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Every metric of a summary, recomputed from the JSON independently of the library.
fn expected_metrics(v: &Value) -> Vec<(String, Option<f64>)> {
    let mut out = Vec::new();
    for f in ["nodes", "edges", "length_km"] {
        out.push((format!("graph.{f}"), v["graph"][f].as_f64()));
    }
    out.push(("homes.total".into(), v["homes"]["total"].as_f64()));
    out.push(("homes.population".into(), v["homes"]["population"].as_f64()));
    for (k, n) in v["facilities"].as_object().unwrap() {
        out.push((format!("facilities.{k}"), n.as_f64()));
    }
    for c in v["categories"].as_array().unwrap() {
        let key = c["key"].as_str().unwrap();
        for f in ["share_covered", "share_covered_population", "median_min"] {
            out.push((format!("{key}.{f}"), c[f].as_f64()));
        }
        for t in c["thresholds"].as_array().unwrap() {
            let label = t["label"].as_str().unwrap();
            out.push((format!("{key}.share@{label}"), t["share"].as_f64()));
            out.push((format!("{key}.share_population@{label}"), t["share_population"].as_f64()));
        }
    }
    out.push(("complete.share".into(), v["complete"]["share"].as_f64()));
    out.push(("complete.share_population".into(), v["complete"]["share_population"].as_f64()));
    out
}

#[test]
fn differences_equal_b_minus_a_from_the_two_summaries() {
    let dir = tmp();
    let a = run_a(&dir.path().join("before"));
    let b = run_b(&dir.path().join("after"));
    let cmp = compare(&load_run(&a).unwrap(), &load_run(&b).unwrap());
    let ea = expected_metrics(&read_json(&a.join("summary.json")));
    let eb = expected_metrics(&read_json(&b.join("summary.json")));

    // Every metric of either side appears exactly once.
    let mut names: Vec<&str> = cmp.rows.iter().map(|r| r.metric.as_str()).collect();
    let n = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), n, "duplicate metric rows");
    let mut want: Vec<&str> = ea.iter().chain(&eb).map(|m| m.0.as_str()).collect();
    want.sort();
    want.dedup();
    assert_eq!(names, want);

    for row in &cmp.rows {
        let get = |e: &[(String, Option<f64>)]| e.iter().find(|m| m.0 == row.metric).and_then(|m| m.1);
        let (xa, xb) = (get(&ea), get(&eb));
        assert_eq!((row.a, row.b), (xa, xb), "{}", row.metric);
        let want = match (xa, xb) {
            (Some(x), Some(y)) => Some(y - x),
            _ => None,
        };
        assert_eq!(row.difference, want, "{}", row.metric);
        if row.unit == Unit::Share {
            assert_eq!(row.difference_pp(), want.map(|d| d * 100.0), "{}", row.metric);
        }
    }
    // The user's facilities make a difference, and thresholds only in one run are one-sided.
    let row = |m: &str| cmp.rows.iter().find(|r| r.metric == m).unwrap_or_else(|| panic!("no row {m}"));
    assert!(row("facilities.grocery").difference.unwrap() > 0.0);
    assert!(row("clinic.share_covered").difference.unwrap() > 0.0);
    assert_eq!(row("grocery.share@5").unit, Unit::Share);
    assert!(row("grocery.share@10").b.is_none() && row("grocery.share@15").a.is_none());
    // Thresholds of both runs are merged in minute order.
    let pos = |m: &str| cmp.rows.iter().position(|r| r.metric == m).unwrap();
    assert!(pos("grocery.share@5") < pos("grocery.share@10") && pos("grocery.share@10") < pos("grocery.share@15"));
    assert!(pos("grocery.share@15") < pos("elder_canteen.share_covered"));
    // The parameters that differ are warned about.
    assert!(cmp.warnings.iter().any(|w| w.starts_with("minutes differs")), "{:?}", cmp.warnings);
    assert!(cmp.warnings.iter().any(|w| w.starts_with("facilities file differs")), "{:?}", cmp.warnings);
    assert!(!cmp.warnings.iter().any(|w| w.starts_with("profile") || w.starts_with("speed")), "{:?}", cmp.warnings);

    // The CSV holds the same numbers exactly; the Markdown shows shares in per cent and pp.
    let csv = cmp.to_csv(["before", "after"]);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("metric,a,b,difference"));
    for (line, r) in lines.zip(&cmp.rows) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f[0], r.metric);
        let parse = |x: &str| if x.is_empty() { None } else { Some(x.parse::<f64>().unwrap()) };
        assert_eq!((parse(f[1]), parse(f[2]), parse(f[3])), (r.a, r.b, r.difference), "{line}");
    }
    assert_eq!(csv.lines().count(), cmp.rows.len() + 1);
    let md = cmp.to_markdown(["before", "after"]);
    assert!(md.contains("| metric | before | after | B − A |"), "{md}");
    assert!(md.contains(" pp |") && md.contains(" % |"), "{md}");
}

#[test]
fn identical_runs_give_zero_differences_and_no_warnings() {
    let dir = tmp();
    let a = run_a(&dir.path().join("one"));
    let b = run_a(&dir.path().join("two"));
    let cmp = compare(&load_run(&a).unwrap(), &load_run(&b.join("summary.json")).unwrap());
    assert!(cmp.warnings.is_empty(), "{:?}", cmp.warnings);
    assert!(!cmp.rows.is_empty());
    for r in &cmp.rows {
        assert_eq!(r.a, r.b, "{}", r.metric);
        match r.a {
            Some(_) => assert_eq!(r.difference, Some(0.0), "{}", r.metric),
            None => assert_eq!(r.difference, None, "{}", r.metric),
        }
    }
    // A folder and its summary.json read the same.
    assert_eq!(load_run(&a).unwrap(), load_run(&a.join("summary.json")).unwrap());
    assert_eq!(default_label(&a), "one");
    assert_eq!(default_label(&a.join("summary.json")), "one");
}

#[test]
fn district_tables_are_compared_by_district_key() {
    let dir = tmp();
    let a = dir.path().join("a.csv");
    let b = dir.path().join("b.csv");
    std::fs::write(&a, "district,homes,grocery_share,note\nEast,10,0.5,x\nWest,4,0.25,y\n").unwrap();
    std::fs::write(&b, "district,homes,grocery_share,note\nWest,6,0.5,y\nNorth,3,1,z\n").unwrap();
    let (ta, tb) = (load_run(&a).unwrap(), load_run(&b).unwrap());
    assert!(matches!(ta, RunTable::Districts(_)));
    let cmp = compare(&ta, &tb);
    let row = |m: &str| cmp.rows.iter().find(|r| r.metric == m).unwrap_or_else(|| panic!("no row {m}"));
    assert_eq!(
        (row("West.homes").a, row("West.homes").b, row("West.homes").difference),
        (Some(4.0), Some(6.0), Some(2.0))
    );
    assert_eq!(row("West.grocery_share").difference, Some(0.25));
    assert_eq!(row("West.grocery_share").unit, Unit::Share);
    assert_eq!(row("East.homes").b, None);
    assert_eq!(row("North.homes").a, None);
    assert_eq!(row("East.note").a, None, "text cells are not numbers");
    assert!(cmp.warnings.iter().any(|w| w == "districts only in A: East"), "{:?}", cmp.warnings);
    assert!(cmp.warnings.iter().any(|w| w == "districts only in B: North"), "{:?}", cmp.warnings);

    // A summary against a district table: warned, nothing in common.
    let sum = run_a(&dir.path().join("run"));
    let mixed = compare(&load_run(&sum).unwrap(), &ta);
    assert!(mixed.warnings.iter().any(|w| w.contains("share no metric")), "{:?}", mixed.warnings);
    assert!(mixed.rows.iter().all(|r| r.difference.is_none()));
}

#[test]
fn cli_writes_compare_md_and_csv_and_prints_the_markdown() {
    let dir = tmp();
    let a = run_a(&dir.path().join("before"));
    let b = run_b(&dir.path().join("after"));
    let out = dir.path().join("cmp");
    let r = compare_cli(&[s(&a), s(&b), "--out", s(&out)]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    assert_eq!(dir_entries(&out), ["compare.csv", "compare.csvt", "compare.md", "run.json"]);
    let md = std::fs::read_to_string(out.join("compare.md")).unwrap();
    let csv = std::fs::read_to_string(out.join("compare.csv")).unwrap();
    assert_eq!(r.stdout, md, "stdout is the Markdown");
    assert!(md.contains("| metric | before | after | B − A |"), "default labels are the folder names: {md}");
    assert!(md.contains("## Warnings") && md.contains("minutes differs"), "{md}");
    assert!(csv.starts_with("metric,a,b,difference\n"), "{csv}");
    let want = compare(&load_run(&a).unwrap(), &load_run(&b).unwrap()).to_csv(["before", "after"]);
    assert_eq!(csv, want);

    // --labels, --quiet, summary.json files directly: same CSV, labelled Markdown, nothing printed.
    let out2 = dir.path().join("cmp2");
    let r = compare_cli(&[
        s(&a.join("summary.json")),
        s(&b.join("summary.json")),
        "--out",
        s(&out2),
        "--labels",
        "2024,plan",
        "--quiet",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.is_empty() && r.stderr.is_empty(), "{} {}", r.stdout, r.stderr);
    assert_eq!(std::fs::read_to_string(out2.join("compare.csv")).unwrap(), csv);
    let md2 = std::fs::read_to_string(out2.join("compare.md")).unwrap();
    assert!(md2.contains("| metric | 2024 | plan | B − A |"), "{md2}");

    // Deterministic: the same command twice gives the same bytes.
    let out3 = dir.path().join("cmp3");
    for _ in 0..2 {
        let r = compare_cli(&[s(&a), s(&b), "--out", s(&out3), "-q"]);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert_eq!(std::fs::read_to_string(out3.join("compare.md")).unwrap(), md);
        assert_eq!(std::fs::read_to_string(out3.join("compare.csv")).unwrap(), csv);
    }
    assert_eq!(dir_entries(&out3), ["compare.csv", "compare.csvt", "compare.md", "run.json"], "no temporaries left");
}

#[test]
fn cli_bad_inputs_exit_2_with_one_line() {
    let dir = tmp();
    let good = run_a(&dir.path().join("good"));
    let out = dir.path().join("cmp");
    let not_summary = dir.path().join("other.json");
    std::fs::write(&not_summary, r#"{"name": "not a summary"}"#).unwrap();
    let partial = dir.path().join("partial.json");
    let mut v = read_json(&good.join("summary.json"));
    v.as_object_mut().unwrap().shift_remove("categories");
    std::fs::write(&partial, serde_json::to_string(&v).unwrap()).unwrap();
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"lifecircle_version\": ").unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello\n").unwrap();
    let empty_dir = dir.path().join("empty");
    std::fs::create_dir(&empty_dir).unwrap();
    let missing = dir.path().join("missing");
    let g = s(&good);

    let cases: Vec<(Vec<&str>, Vec<&str>, &str)> = vec![
        (vec![s(&missing), g], vec!["missing"], "missing input"),
        (vec![g, s(&missing)], vec!["missing"], "missing input B"),
        (vec![s(&not_summary), g], vec!["other.json", "not a lifecircle summary", "lifecircle_version"], "other JSON"),
        (vec![g, s(&partial)], vec!["partial.json", "categories"], "summary without categories"),
        (vec![s(&broken), g], vec!["broken.json", "invalid JSON"], "truncated JSON"),
        (vec![s(&text), g], vec!["notes.txt", "not a lifecircle summary"], "text file"),
        (vec![s(&empty_dir), g], vec!["empty", "summary.json"], "folder without a summary"),
        (vec![g, g, "--labels", "only-one"], vec!["--labels"], "one label"),
        (vec![g, g, "--labels", "a,"], vec!["--labels"], "empty label"),
    ];
    for (args, names, what) in cases {
        let mut all = args.clone();
        all.extend_from_slice(&["--out", s(&out)]);
        let r = compare_cli(&all);
        assert_input_error(&r, &out, &names, what);
        assert!(!out.exists(), "{what}: the output folder was created");
    }
    // An output path that is a file.
    let r = compare_cli(&[g, g, "--out", s(&text)]);
    assert_input_error(&r, &out, &["notes.txt"], "output is a file");
}
