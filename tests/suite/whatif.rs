//! What-if analysis (`analyze --add-facilities FILE --remove-facilities ID,...`)
//! on the Beijing fixture: the difference in `whatif.csv` against two
//! independent runs subtracted (a plain run, and a run whose facilities are
//! the planned ones given with `--facilities` in add or replace mode),
//! monotonicity (removing never raises a share, adding never lowers one),
//! the planned run's outputs against the independent run's byte for byte,
//! unknown ids and other bad parameters (exit 2, one line), stdout and
//! `--quiet`, stale files and determinism.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lifecircle::inputs::{MergeMode, PointsInput};
use lifecircle::io::crs::Crs;
use lifecircle::whatif::{Plan, what_if};
use serde_json::Value;

use crate::cli::{Run, analyze as cli, assert_input_error};
use crate::common::rng::SplitMix64;
use crate::common::{beijing, config, dir_entries, read_json, remove_paths, repo_file};

// ---------------------------------------------------------------------------
// Helpers

/// Short thresholds: at 15 minutes every home of the campus reaches every category it has.
const MINUTES: &str = "2,3,5";

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn ok(r: &Run, what: &str) {
    assert_eq!(r.code, Some(0), "{what}: stderr {}", r.stderr);
}

/// `whatif.csv` as `metric → (a, b, difference)`, empty cells as `None`.
type Row = (Option<f64>, Option<f64>, Option<f64>);
type Rows = BTreeMap<String, Row>;

fn whatif_csv(dir: &Path) -> Rows {
    let text = std::fs::read_to_string(dir.join("whatif.csv")).expect("whatif.csv");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("metric,a,b,difference"));
    let num = |c: &str| (!c.is_empty()).then(|| c.parse::<f64>().unwrap_or_else(|e| panic!("{c:?}: {e}")));
    lines
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            assert_eq!(c.len(), 4, "{l}");
            (c[0].to_string(), (num(c[1]), num(c[2]), num(c[3])))
        })
        .collect()
}

/// The metrics of a `summary.json`, read straight from the JSON (not through the compare module).
fn metrics(summary: &Value) -> BTreeMap<String, Option<f64>> {
    let mut m = BTreeMap::new();
    for (k, n) in summary["facilities"].as_object().expect("facilities") {
        m.insert(format!("facilities.{k}"), n.as_f64());
    }
    for c in summary["categories"].as_array().expect("categories") {
        let key = c["key"].as_str().expect("key");
        for f in ["share_covered", "share_covered_population", "median_min"] {
            m.insert(format!("{key}.{f}"), c[f].as_f64());
        }
        for t in c["thresholds"].as_array().expect("thresholds") {
            let label = t["label"].as_str().expect("label");
            m.insert(format!("{key}.share@{label}"), t["share"].as_f64());
            m.insert(format!("{key}.share_population@{label}"), t["share_population"].as_f64());
        }
    }
    m.insert("complete.share".into(), summary["complete"]["share"].as_f64());
    m.insert("complete.share_population".into(), summary["complete"]["share_population"].as_f64());
    m.insert("homes.total".into(), summary["homes"]["total"].as_f64());
    m
}

/// Every metric of `a` and `b` is in `rows` with A, B and exactly B − A.
fn assert_difference(rows: &Rows, a: &Value, b: &Value, what: &str) {
    let (ma, mb) = (metrics(a), metrics(b));
    assert_eq!(ma.keys().collect::<Vec<_>>(), mb.keys().collect::<Vec<_>>(), "{what}: same metrics");
    for (name, va) in &ma {
        let vb = mb[name];
        let row = rows.get(name).unwrap_or_else(|| panic!("{what}: whatif.csv has no {name}"));
        assert_eq!(row.0, *va, "{what}: {name} base");
        assert_eq!(row.1, vb, "{what}: {name} plan");
        let want = va.zip(vb).map(|(x, y)| y - x);
        assert_eq!(row.2, want, "{what}: {name} difference");
    }
}

/// Facilities of a run's `facilities.geojson`: `(id, category, [lon, lat])`, in file order.
fn facilities(dir: &Path) -> Vec<(String, String, [f64; 2])> {
    let fc = read_json(&dir.join("facilities.geojson"));
    fc["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| {
            let p = &f["properties"];
            let c = &f["geometry"]["coordinates"];
            (
                p["id"].as_str().expect("id").to_string(),
                p["category"].as_str().expect("category").to_string(),
                [c[0].as_f64().expect("lon"), c[1].as_f64().expect("lat")],
            )
        })
        .collect()
}

/// Writes a facilities CSV (`id,category,lon,lat`) and returns its path.
fn write_csv(dir: &Path, name: &str, rows: &[(String, String, [f64; 2])]) -> PathBuf {
    let mut text = String::from("id,category,lon,lat\n");
    for (id, cat, [lon, lat]) in rows {
        text.push_str(&format!("{id},{cat},{lon},{lat}\n"));
    }
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write csv");
    path
}

/// A plain run of the fixture at [`MINUTES`] plus `extra`; returns its folder.
fn plain(root: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let out = root.join(name);
    let mut args = vec!["--minutes", MINUTES, "-q"];
    args.extend_from_slice(extra);
    ok(&cli(&beijing(), &out, &args), name);
    out
}

/// Share metrics (`*share*`) of the rows.
fn share_rows(rows: &Rows) -> impl Iterator<Item = (&String, &Row)> {
    rows.iter().filter(|(k, _)| k.contains("share"))
}

/// Points of the fixture's network where new facilities go (near the campus' streets).
const NEW_POINTS: [[f64; 2]; 4] = [[116.3520, 39.9610], [116.3530, 39.9600], [116.3500, 39.9620], [116.3540, 39.9590]];

// ---------------------------------------------------------------------------
// Against independent runs

#[test]
fn removal_equals_a_replace_run_subtracted() {
    let root = tmp();
    let base = plain(root.path(), "base", &[]);
    // Remove the grocery way; the other groceries are OSM nodes, whose coordinates are written exactly.
    let all = facilities(&base);
    let removed = "way/582551390";
    let others: Vec<_> = all.iter().filter(|f| f.1 == "grocery" && f.0 != removed).cloned().collect::<Vec<_>>();
    assert_eq!(others.len(), 3, "the fixture's groceries: {all:?}");
    assert!(others.iter().all(|f| f.0.starts_with("node/")));
    let file = write_csv(root.path(), "groceries.csv", &others);
    let replaced = plain(root.path(), "replaced", &["--facilities", s(&file), "--facilities-mode", "replace"]);

    let out = root.path().join("whatif");
    let r = cli(&beijing(), &out, &["--minutes", MINUTES, "--remove-facilities", removed, "-q"]);
    ok(&r, "what-if");
    let rows = whatif_csv(&out);
    let (a, b) = (read_json(&base.join("summary.json")), read_json(&replaced.join("summary.json")));
    assert_difference(&rows, &a, &b, "remove a grocery");
    assert!(rows["grocery.share@3"].2.expect("difference") < 0.0, "the removal matters at 3 minutes");
    assert_eq!(rows["facilities.grocery"].2, Some(-1.0));

    // The planned run's homes are the replace run's, byte for byte.
    let cov = |d: &Path| std::fs::read(d.join("coverage.geojson")).expect("coverage");
    assert!(cov(&out) == cov(&replaced), "coverage.geojson of the plan and of the replace run differ");
    // And its summary's categories are those of the replace run.
    let planned = read_json(&out.join("summary.json"));
    assert_eq!(planned["categories"], b["categories"]);
    assert_eq!(planned["complete"], b["complete"]);
}

#[test]
fn addition_equals_a_facilities_run_subtracted() {
    let root = tmp();
    let base = plain(root.path(), "base", &[]);
    let plan: Vec<_> = [("p1", "elder_canteen"), ("p2", "clinic"), ("p3", "grocery"), ("p4", "childcare")]
        .iter()
        .zip(NEW_POINTS)
        .map(|((id, cat), p)| (id.to_string(), cat.to_string(), p))
        .collect();
    let file = write_csv(root.path(), "plan.csv", &plan);
    let added = plain(root.path(), "added", &["--facilities", s(&file)]);

    let out = root.path().join("whatif");
    ok(&cli(&beijing(), &out, &["--minutes", MINUTES, "--add-facilities", s(&file), "-q"]), "what-if");
    let rows = whatif_csv(&out);
    let (a, b) = (read_json(&base.join("summary.json")), read_json(&added.join("summary.json")));
    assert_difference(&rows, &a, &b, "add four facilities");
    assert!(rows["elder_canteen.share@5"].2.expect("difference") > 0.0, "the first elder canteen covers homes");
    for name in ["coverage.geojson", "coverage.qml", "facilities.geojson", "facilities.qml"] {
        let read = |d: &Path| std::fs::read(d.join(name)).expect(name);
        assert!(read(&out) == read(&added), "{name} of the plan and of the --facilities run differ");
    }
}

#[test]
fn combined_plan_with_users_facilities_equals_independent_runs() {
    // Base: OSM plus the user's file; plan: remove two of the user's facilities, add a clinic.
    // Independent run: the user's file without them, the new clinic appended, in add mode.
    let root = tmp();
    let user = repo_file("tests/fixtures/userdata/beijing-facilities-add.csv");
    let base = plain(root.path(), "base", &["--facilities", s(&user)]);
    let remove = ["n1", "d3"];
    let add = vec![("new-clinic".to_string(), "clinic".to_string(), NEW_POINTS[2])];
    let add_file = write_csv(root.path(), "plan.csv", &add);
    let text = std::fs::read_to_string(&user).expect("user file");
    let mut after: String = text
        .lines()
        .filter(|l| !remove.iter().any(|id| l.starts_with(&format!("{id},"))))
        .map(|l| format!("{l}\n"))
        .collect();
    after.push_str(&format!("new-clinic,,clinic,{},{}\n", NEW_POINTS[2][0], NEW_POINTS[2][1]));
    let after_file = root.path().join("after.csv");
    std::fs::write(&after_file, after).expect("write");
    let independent = plain(root.path(), "independent", &["--facilities", s(&after_file)]);

    let out = root.path().join("whatif");
    let r = cli(
        &beijing(),
        &out,
        &[
            "--minutes",
            MINUTES,
            "--facilities",
            s(&user),
            "--add-facilities",
            s(&add_file),
            "--remove-facilities",
            &remove.join(","),
            "-q",
        ],
    );
    ok(&r, "what-if");
    let rows = whatif_csv(&out);
    let (a, b) = (read_json(&base.join("summary.json")), read_json(&independent.join("summary.json")));
    assert_difference(&rows, &a, &b, "combined plan");
    assert_eq!(rows["facilities.clinic"].2, Some(0.0), "one clinic removed, one added");
    assert_eq!(rows["facilities.grocery"].2, Some(-1.0));
    for name in ["coverage.geojson", "coverage.qml", "facilities.geojson", "facilities.qml"] {
        let read = |d: &Path| std::fs::read(d.join(name)).expect(name);
        assert!(read(&out) == read(&independent), "{name} of the plan and of the independent run differ");
    }
}

#[test]
fn library_what_if_matches_the_cli_and_ignores_a_plan_in_the_config() {
    let root = tmp();
    let out = root.path().join("lib");
    let mut c = config(&beijing(), &out);
    c.minutes = vec![2.0, 3.0, 5.0];
    // A plan already in the configuration is not the base run's.
    c.plan = Some(Plan { add: None, remove: vec!["way/959801254".into()] });
    let plan = Plan { add: None, remove: vec!["way/399041102".into()] };
    let w = what_if(&c, &plan).expect("what-if");
    assert_eq!(w.planned.facilities.get("childcare"), Some(&0));
    assert_eq!(w.base.facilities.get("childcare"), Some(&1));
    assert_eq!(w.base.facilities.get("clinic"), Some(&2), "the config's own plan was applied to the base run");
    assert_eq!(w.planned.facilities.get("clinic"), Some(&2), "the config's own plan was applied to the plan");
    let row = w.comparison.rows.iter().find(|r| r.metric == "childcare.share@5").expect("row");
    assert!(row.difference.expect("difference") < 0.0);

    let cli_out = root.path().join("cli");
    ok(&cli(&beijing(), &cli_out, &["--minutes", MINUTES, "--remove-facilities", "way/399041102", "-q"]), "cli");
    for name in ["whatif.csv", "whatif.md", "coverage.geojson", "coverage.qml", "facilities.geojson", "facilities.qml"]
    {
        let read = |d: &Path| std::fs::read(d.join(name)).expect(name);
        assert!(read(&out) == read(&cli_out), "{name}: library and CLI differ");
    }
}

// ---------------------------------------------------------------------------
// Monotonicity

#[test]
fn removing_never_raises_a_share_and_adding_never_lowers_one() {
    let root = tmp();
    let base = plain(root.path(), "base", &[]);
    let all = facilities(&base);
    let mut rng = SplitMix64::new(0x0057_4841_5449_4621); // "WHATIF!"
    for round in 0..6 {
        // A random non-empty subset to remove, and random new points to add.
        let mut remove: Vec<&str> =
            all.iter().filter(|_| rng.next_u64().is_multiple_of(2)).map(|f| f.0.as_str()).collect();
        if remove.is_empty() {
            remove.push(all[round % all.len()].0.as_str());
        }
        let cats = ["grocery", "elder_canteen", "clinic", "childcare"];
        let add: Vec<_> = (0..3)
            .map(|i| {
                let p = NEW_POINTS[(rng.next_u64() % NEW_POINTS.len() as u64) as usize];
                let (dx, dy) = (rng.next_u64() % 1000, rng.next_u64() % 1000);
                let cat = cats[(rng.next_u64() % cats.len() as u64) as usize];
                let jitter = |x: f64, d: u64| x + d as f64 * 1e-6 - 5e-4;
                (format!("a{i}"), cat.to_string(), [jitter(p[0], dx), jitter(p[1], dy)])
            })
            .collect();
        let file = write_csv(root.path(), &format!("add-{round}.csv"), &add);

        let out_r = root.path().join(format!("remove-{round}"));
        let r = cli(&beijing(), &out_r, &["--minutes", MINUTES, "--remove-facilities", &remove.join(","), "-q"]);
        ok(&r, "remove");
        for (name, (_, _, d)) in share_rows(&whatif_csv(&out_r)) {
            assert!(d.expect("shares are never null") <= 0.0, "round {round}: removing {remove:?} raised {name}");
        }
        for (name, (a, b, _)) in whatif_csv(&out_r).iter().filter(|(k, _)| k.ends_with(".median_min")) {
            if let (Some(a), Some(b)) = (a, b) {
                assert!(b >= a, "round {round}: removing {remove:?} shortened {name}");
            }
        }

        let out_a = root.path().join(format!("add-{round}"));
        ok(&cli(&beijing(), &out_a, &["--minutes", MINUTES, "--add-facilities", s(&file), "-q"]), "add");
        for (name, (_, _, d)) in share_rows(&whatif_csv(&out_a)) {
            assert!(d.expect("shares are never null") >= 0.0, "round {round}: adding {add:?} lowered {name}");
        }
        for (name, (a, b, _)) in whatif_csv(&out_a).iter().filter(|(k, _)| k.ends_with(".median_min")) {
            if let Some(a) = a {
                let b = b.unwrap_or_else(|| panic!("round {round}: adding lost {name}"));
                assert!(b <= *a, "round {round}: adding lengthened {name}");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Bad parameters, stdout, files

#[test]
fn unknown_id_is_one_line_exit_2_and_no_output() {
    let root = tmp();
    for (ids, bad) in [("node/1", "node/1"), ("way/582551390,way/does-not-exist", "way/does-not-exist"), ("", "\"\"")] {
        let out = root.path().join("out");
        let r = cli(&beijing(), &out, &["--remove-facilities", ids]);
        assert_input_error(&r, &out, &["--remove-facilities", bad], &format!("--remove-facilities {ids}"));
    }
    // A user id that only the added file has is not a facility of the base run.
    let file = write_csv(root.path(), "plan.csv", &[("p1".into(), "clinic".into(), NEW_POINTS[0])]);
    let out = root.path().join("out2");
    let r = cli(&beijing(), &out, &["--add-facilities", s(&file), "--remove-facilities", "p1"]);
    assert_input_error(&r, &out, &["--remove-facilities", "p1"], "removing an added facility");
}

#[test]
fn bad_plan_files_and_flags_are_input_errors() {
    let root = tmp();
    let out = root.path().join("out");
    let missing = root.path().join("missing.csv");
    let r = cli(&beijing(), &out, &["--add-facilities", s(&missing)]);
    assert_input_error(&r, &out, &["missing.csv"], "missing --add-facilities file");
    let file = write_csv(root.path(), "plan.csv", &[("p1".into(), "clinic".into(), NEW_POINTS[0])]);
    let r = cli(&beijing(), &out, &["--add-facilities", s(&file), "--add-facilities-crs", "utm"]);
    assert_input_error(&r, &out, &["--add-facilities-crs"], "bad --add-facilities-crs");
    let r = cli(&beijing(), &out, &["--add-facilities-crs", "gcj02"]);
    assert_eq!(r.code, Some(2), "--add-facilities-crs without --add-facilities: {}", r.stderr);
    assert!(r.stderr.contains("--add-facilities"), "{}", r.stderr);
}

#[test]
fn add_facilities_crs_converts_the_plan() {
    let root = tmp();
    let plan = vec![("p1".to_string(), "elder_canteen".to_string(), NEW_POINTS[1])];
    let wgs = write_csv(root.path(), "wgs.csv", &plan);
    let gcj_point = lifecircle::io::crs::from_wgs84(Crs::Gcj02, NEW_POINTS[1]);
    let gcj = write_csv(root.path(), "gcj.csv", &[(plan[0].0.clone(), plan[0].1.clone(), gcj_point)]);
    let (o1, o2) = (root.path().join("wgs"), root.path().join("gcj"));
    ok(&cli(&beijing(), &o1, &["--minutes", MINUTES, "--add-facilities", s(&wgs), "-q"]), "wgs84");
    let r = cli(
        &beijing(),
        &o2,
        &["--minutes", MINUTES, "--add-facilities", s(&gcj), "--add-facilities-crs", "gcj02", "-q"],
    );
    ok(&r, "gcj02");
    let (f1, f2) = (facilities(&o1), facilities(&o2));
    let p1 = f1.iter().find(|f| f.0 == "p1").expect("p1");
    let p2 = f2.iter().find(|f| f.0 == "p1").expect("p1");
    assert!((p1.2[0] - p2.2[0]).abs() < 1e-5 && (p1.2[1] - p2.2[1]).abs() < 1e-5, "{p1:?} vs {p2:?}");
    let (r1, r2) = (whatif_csv(&o1), whatif_csv(&o2));
    assert_eq!(r1["elder_canteen.share@5"], r2["elder_canteen.share@5"]);
}

#[test]
fn stdout_shows_the_difference_table_unless_quiet() {
    let root = tmp();
    let out = root.path().join("out");
    let r = cli(&beijing(), &out, &["--minutes", MINUTES, "--remove-facilities", "way/399041102"]);
    ok(&r, "what-if");
    let md = std::fs::read_to_string(out.join("whatif.md")).expect("whatif.md");
    assert!(r.stdout.starts_with(&md), "stdout starts with whatif.md: {}", r.stdout);
    assert!(r.stdout.contains("| childcare.share@5 |") && r.stdout.contains(" pp |"), "{}", r.stdout);
    assert!(md.contains("plan: remove way/399041102"), "{md}");
    let quiet = root.path().join("quiet");
    let r = cli(&beijing(), &quiet, &["--minutes", MINUTES, "--remove-facilities", "way/399041102", "-q"]);
    ok(&r, "quiet");
    assert!(r.stdout.is_empty(), "{}", r.stdout);
}

#[test]
fn outputs_are_listed_and_a_plain_run_removes_stale_whatif_files() {
    let root = tmp();
    let out = root.path().join("out");
    ok(&cli(&beijing(), &out, &["--remove-facilities", "node/7426396546", "-q"]), "what-if");
    assert_eq!(
        dir_entries(&out),
        [
            "coverage.geojson",
            "coverage.qml",
            "facilities.geojson",
            "facilities.qml",
            "run.json",
            "summary.json",
            "whatif.csv",
            "whatif.csvt",
            "whatif.md"
        ],
        "what-if outputs"
    );
    assert!(lifecircle::io::manifest::known_outputs().iter().any(|f| f == "whatif.md"));
    assert!(lifecircle::io::manifest::known_outputs().iter().any(|f| f == "whatif.csv"));
    ok(&cli(&beijing(), &out, &["-q"]), "plain run");
    assert_eq!(
        dir_entries(&out),
        ["coverage.geojson", "coverage.qml", "facilities.geojson", "facilities.qml", "run.json", "summary.json"],
        "stale whatif files"
    );
}

#[test]
fn outputs_are_deterministic() {
    let root = tmp();
    let file = write_csv(root.path(), "plan.csv", &[("p1".into(), "clinic".into(), NEW_POINTS[3])]);
    let run = |name: &str, threads: &str| {
        let out = root.path().join(name);
        let args = [
            "--minutes",
            MINUTES,
            "--add-facilities",
            s(&file),
            "--remove-facilities",
            "way/344373140,node/3511264386",
            "--threads",
            threads,
            "-q",
        ];
        ok(&cli(&beijing(), &out, &args), name);
        out
    };
    let (x, y) = (run("x", "1"), run("y", "4"));
    for name in ["whatif.md", "whatif.csv", "coverage.geojson", "coverage.qml", "facilities.geojson", "facilities.qml"]
    {
        let read = |d: &Path| std::fs::read(d.join(name)).expect(name);
        assert!(read(&x) == read(&y), "{name} differs between runs");
    }
    let summary = |d: &Path| {
        let mut v = read_json(&d.join("summary.json"));
        remove_paths(&mut v, &["timings", "parameters.threads"]);
        v
    };
    assert_eq!(summary(&x), summary(&y));
}

#[test]
fn plan_mode_is_always_add() {
    // A plan file whose PointsInput says `replace` still adds (OSM's groceries stay).
    let root = tmp();
    let file = write_csv(root.path(), "plan.csv", &[("p1".into(), "grocery".into(), NEW_POINTS[0])]);
    let mut c = config(&beijing(), &root.path().join("out"));
    c.minutes = vec![5.0];
    let plan = Plan {
        add: Some(PointsInput { path: file, crs: Crs::Wgs84, mode: MergeMode::Replace, table: None }),
        remove: vec![],
    };
    let w = what_if(&c, &plan).expect("what-if");
    assert_eq!(w.base.facilities.get("grocery"), Some(&4));
    assert_eq!(w.planned.facilities.get("grocery"), Some(&5));
}
