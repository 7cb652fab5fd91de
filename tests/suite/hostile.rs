//! Hostile input and interruption: what a hostile run found (issue 12), one
//! test per defect or misleading message (`bug_<what>`), and a table of bad
//! inputs each of which must exit 2 with one line naming the file (or the
//! parameter) and the problem, leaving an earlier run's output folder exactly
//! as it was.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cli::{Run, analyze, run_subcommand};
use crate::common::{beijing, dir_entries, liechtenstein, read_json};

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write fixture");
    path
}

/// Every file of a folder with its bytes, sorted by name.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    dir_entries(dir).into_iter().map(|n| (n.clone(), std::fs::read(dir.join(&n)).expect("read output"))).collect()
}

/// Exit 2, one `lifecircle: error:` line naming every string of `names`, nothing on stdout.
fn assert_refused(r: &Run, names: &[&str], what: &str) {
    assert!(!r.stderr.contains("panicked"), "{what}: panic: {}", r.stderr);
    assert_eq!(r.code, Some(2), "{what}: exit code; stderr: {}", r.stderr);
    let lines: Vec<&str> = r.stderr.trim_end().lines().collect();
    assert_eq!(lines.len(), 1, "{what}: one line expected on stderr, got: {:?}", r.stderr);
    assert!(lines[0].starts_with("lifecircle: error: "), "{what}: {}", lines[0]);
    for n in names {
        assert!(lines[0].contains(n), "{what}: the message should name {n:?}: {}", lines[0]);
    }
    assert!(r.stdout.is_empty(), "{what}: stdout {:?}", r.stdout);
}

// ------------------------------------------------------------------ interruption

/// Sends `signal` to the child as soon as a temporary output appears in `out`
/// (the write stage); returns the exit code and whether the signal was sent.
fn interrupt_while_writing(args: &[&str], out: &Path, signal: &str) -> (Option<i32>, bool) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lifecircle"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start lifecircle");
    let started = Instant::now();
    let mut sent = false;
    while started.elapsed() < Duration::from_secs(120) {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        let writing = dir_entries(out).iter().any(|n| n.starts_with('.') && n.contains(".tmp-"));
        if writing {
            let ok = Command::new("kill").args([signal, &child.id().to_string()]).status().expect("kill runs");
            assert!(ok.success());
            sent = true;
            break;
        }
        std::thread::sleep(Duration::from_micros(300));
    }
    let status = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&status.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    if sent && status.status.code() == Some(130) {
        assert_eq!(stderr, "lifecircle: interrupted; no output was written\n");
    }
    (status.status.code(), sent)
}

/// Bug: SIGINT or SIGTERM during the write stage left
/// `.coverage.geojson.tmp-<pid>-N` (136 MB with 1M homes) in the output
/// folder. Now the temporaries are removed, the run exits 130, and the folder
/// holds exactly the earlier run.
#[test]
#[cfg(unix)]
fn bug_interrupted_write_leaves_debris() {
    let dir = tmp();
    let out = dir.path().join("out");
    let pbf = liechtenstein();
    let args = ["analyze", "--pbf", s(&pbf), "--out", s(&out), "--quiet", "--minutes", "5,10,15"];
    let first = run_subcommand(args[0], &args[1..]);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let before = snapshot(&out);
    let mut interrupted = 0;
    for signal in ["-INT", "-TERM", "-INT", "-TERM"] {
        let (code, sent) = interrupt_while_writing(&args, &out, signal);
        // Either the signal landed while writing (130, folder as before) or the run had just
        // finished (0, a complete run: same bytes but for the timings in summary.json).
        match code {
            Some(130) => {
                assert!(sent);
                interrupted += 1;
                assert_eq!(snapshot(&out), before, "{signal}: the folder is exactly the earlier run");
            }
            Some(0) => assert_eq!(dir_entries(&out), dir_entries_of(&before), "{signal}"),
            other => panic!("{signal}: exit {other:?}"),
        }
    }
    assert!(interrupted > 0, "no run was interrupted while writing: the test did not test anything");
}

fn dir_entries_of(snapshot: &[(String, Vec<u8>)]) -> Vec<String> {
    snapshot.iter().map(|(n, _)| n.clone()).collect()
}

/// A run removes temporaries that processes which have ended left in its
/// output folder, and leaves a live run's (locked) temporary alone.
#[test]
fn bug_debris_of_dead_runs_stays_forever() {
    let dir = tmp();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let dead = write(&out, ".coverage.geojson.tmp-4194303-7", vec![b'x'; 4096]);
    let live = write(&out, ".summary.json.tmp-1-0", b"in progress");
    let held = std::fs::File::options().read(true).write(true).open(&live).unwrap();
    held.lock().expect("lock the live temporary");
    let user = write(&out, "notes.txt", b"mine");
    let r = analyze(&beijing(), &out, &["--quiet"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(!dead.exists(), "debris of a dead run is removed");
    assert!(live.exists(), "a live run's temporary stays");
    assert!(user.exists(), "a user's own file stays");
    drop(held);
}

// ------------------------------------------------------------------ bounded reads

/// Bug: `lifecircle analyze --homes /dev/zero` grew by ~1.3 GB/s until the
/// kernel killed it: files were read whole before their format was checked.
/// Now devices, FIFOs and folders are refused up front, files over the
/// documented size and lines over 1 MiB are refused, in bounded memory.
#[test]
#[cfg(unix)]
fn bug_unbounded_reads() {
    let dir = tmp();
    let out = dir.path().join("out");
    let zero = "/dev/zero";
    for flag in ["--homes", "--facilities", "--taxonomy", "--districts", "--add-facilities"] {
        let r = analyze(&beijing(), &out, &["--quiet", flag, zero]);
        assert_refused(&r, &[zero, "not a regular file"], flag);
    }
    let r = analyze(&beijing(), &out, &["--quiet", "--admin-level", "8", "--targets", zero]);
    assert_refused(&r, &[zero, "not a regular file"], "--targets");
    // A FIFO nobody writes to would block a reader forever.
    let fifo = dir.path().join("homes.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success());
    let r = analyze(&beijing(), &out, &["--quiet", "--homes", s(&fifo)]);
    assert_refused(&r, &[s(&fifo), "not a regular file"], "FIFO");
    // A sparse 5 GiB file takes no disk but passes the 4 GiB limit.
    let huge = dir.path().join("huge.csv");
    std::fs::File::create(&huge).unwrap().set_len(5 << 30).unwrap();
    let r = analyze(&beijing(), &out, &["--quiet", "--homes", s(&huge)]);
    assert_refused(&r, &[s(&huge), "larger than the limit of 4 GiB"], "huge file");
    let r = analyze(&beijing(), &out, &["--quiet", "--taxonomy", s(&huge)]);
    assert_refused(&r, &[s(&huge), "larger than the limit of 16 MiB"], "huge taxonomy");
    // One 2 MiB line.
    let long = write(dir.path(), "long.csv", [b"lon,lat\n".as_slice(), &vec![b'1'; 2 << 20]].concat());
    let r = analyze(&beijing(), &out, &["--quiet", "--homes", s(&long)]);
    assert_refused(&r, &[s(&long), "row 2", "longer than 1 MiB"], "long line");
    assert!(dir_entries(&out).is_empty());
}

// ------------------------------------------------------------------ taxonomy and duplicates

/// Bug: `tags = { amenity = [] }` in a taxonomy rule turned every amenity into
/// that category (childcare 23 -> 1655) silently.
#[test]
fn bug_empty_tag_value_list_matches_everything() {
    let dir = tmp();
    let out = dir.path().join("out");
    let builtin = std::fs::read_to_string(crate::common::repo_file("data/taxonomy.toml")).unwrap();
    let edited =
        builtin.replacen("tags = { amenity = [\"kindergarten\"", "tags = { amenity = [], x = [\"kindergarten\"", 1);
    assert_ne!(edited, builtin, "the edit must apply");
    let path = write(dir.path(), "empty-list.toml", edited);
    let r = analyze(&beijing(), &out, &["--quiet", "--taxonomy", s(&path)]);
    assert_refused(&r, &[s(&path), "\"childcare\"", "\"amenity\"", "empty list of values"], "empty list");
}

/// Bug: four identical facilities gave "6 facilities within 30 m of another"
/// (pairs were counted); a million rows gave "48353618 facilities".
#[test]
fn bug_duplicate_note_counts_pairs() {
    let dir = tmp();
    let out = dir.path().join("out");
    let rows: String = (0..4).map(|i| format!("{i},116.3560,39.9610,grocery\n")).collect();
    let file = write(dir.path(), "four.csv", format!("id,lon,lat,category\n{rows}"));
    let r = analyze(&beijing(), &out, &["--quiet", "--facilities", s(&file), "--facilities-mode", "replace"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["inputs"]["facilities"]["duplicates_within_30m"], 4);
    let note = format!("{}: 4 facilities within 30 m of another of the same category (likely duplicates)", s(&file));
    assert!(r.stderr.contains(&note), "{}", r.stderr);
    // Three distinct pairs at most are listed once each, never a pair and its mirror.
    let examples = summary["inputs"]["facilities"]["duplicate_examples"].as_array().unwrap();
    assert_eq!(examples.len(), 3, "{examples:?}");
}

// ------------------------------------------------------------------ messages that misled

/// Bug: a header-only `--homes` file exited 0 with 0 homes and suggested "give --homes".
#[test]
fn bug_header_only_homes_file_passes() {
    let dir = tmp();
    let out = dir.path().join("out");
    let file = write(dir.path(), "header.csv", "lon,lat,population\n");
    let r = analyze(&beijing(), &out, &["--quiet", "--homes", s(&file)]);
    assert_refused(&r, &[s(&file), "holds no homes"], "header only");
    let empty = write(dir.path(), "empty.geojson", r#"{"type":"FeatureCollection","features":[]}"#);
    let r = analyze(&beijing(), &out, &["--quiet", "--homes", s(&empty)]);
    assert_refused(&r, &[s(&empty), "holds no homes"], "empty collection");
}

/// Bug: `districts --admin-level 99` exited 0 with 0 districts and no note;
/// a districts file without the key named districts `feature-0` silently; a
/// Point district printed Rust debug text (`Some("Point")`).
#[test]
fn bug_districts_that_do_not_exist_pass_silently() {
    let dir = tmp();
    let out = dir.path().join("out");
    let r = run_subcommand("districts", &["--pbf", s(&liechtenstein()), "--out", s(&out), "-q", "--admin-level", "99"]);
    assert_refused(&r, &["--admin-level", "admin_level 99", "levels present: 2,"], "admin level 99");

    let square = r#"{"type":"Polygon","coordinates":[[[116.35,39.95],[116.37,39.95],[116.37,39.97],[116.35,39.97],[116.35,39.95]]]}"#;
    let fc = |props: &str, extra: &str| {
        format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{props},"geometry":{square}}}{extra}]}}"#
        )
    };
    let nokey = write(dir.path(), "nokey.geojson", fc(r#"{"code":"A"}"#, ""));
    let r = run_subcommand("districts", &["--pbf", s(&beijing()), "--out", s(&out), "-q", "--districts", s(&nokey)]);
    assert_refused(&r, &[s(&nokey), "--district-key", "\"name\"", "code"], "no key");

    let point =
        r#",{"type":"Feature","properties":{"name":"Dot"},"geometry":{"type":"Point","coordinates":[116.36,39.96]}}"#;
    let mixed = write(dir.path(), "mixed.geojson", fc(r#"{"name":"Campus"}"#, point));
    let r = run_subcommand("districts", &["--pbf", s(&beijing()), "--out", s(&out), "-q", "--districts", s(&mixed)]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(!r.stderr.contains("Some("), "{}", r.stderr);
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(
        summary["districts"]["problems"],
        serde_json::json!(["feature 1: a Point is not a Polygon or MultiPolygon, skipped"])
    );
}

/// Bug: `--out /proc/foo` said "/proc: No such file or directory".
#[test]
#[cfg(target_os = "linux")]
fn bug_out_in_proc_blames_proc() {
    let r = analyze(&beijing(), Path::new("/proc/lifecircle-out"), &["--quiet"]);
    assert_refused(&r, &["/proc/lifecircle-out", "cannot write in /proc", "does not take new files"], "/proc");
}

/// Bug: `site` with candidates that reach nobody picked 0 sites, exited 0 and said nothing.
#[test]
fn bug_site_with_useless_candidates_says_nothing() {
    let dir = tmp();
    let out = dir.path().join("out");
    // Far out at sea: more than --max-snap-m from any way.
    let cands = write(dir.path(), "sea.csv", "lon,lat\n120.5,30.0\n121.0,30.5\n");
    let r = run_subcommand(
        "site",
        &["--pbf", s(&beijing()), "--out", s(&out), "-q", "--category", "elder_canteen", "--add", "2"],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let r = run_subcommand(
        "site",
        &[
            "--pbf",
            s(&beijing()),
            "--out",
            s(&out),
            "-q",
            "--category",
            "elder_canteen",
            "--add",
            "2",
            "--candidates",
            s(&cands),
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr.contains("lifecircle: note: site: 0 of 2 sites chosen: no other of the 2 candidates"),
        "{}",
        r.stderr
    );
}

/// Bug: swapped-but-valid lat/lon gave only "more than 500 m from any
/// walkable way" (5304 km away): when most points of a file are that far, the
/// note now says the columns look swapped (or the CRS may be wrong).
#[test]
fn bug_swapped_columns_get_no_hint() {
    let dir = tmp();
    let out = dir.path().join("out");
    let swapped = write(dir.path(), "swapped.csv", "lon,lat\n39.9610,116.3560\n39.9605,116.3570\n");
    // 116° is not a latitude: that is an error already. Use a place where both orders are valid.
    let r = analyze(&beijing(), &out, &["--quiet", "--homes", s(&swapped)]);
    assert_refused(&r, &[s(&swapped), "latitude 116.356", "swapped"], "invalid swap");
    // Liechtenstein (9.5 E, 47.1 N) swapped is (47.1 E, 9.5 N), valid but in the sea off Somalia.
    let valid = write(dir.path(), "valid-swap.csv", "lon,lat\n47.1400,9.5200\n47.1410,9.5210\n47.1390,9.5190\n");
    let r = analyze(&liechtenstein(), &out, &["--quiet", "--homes", s(&valid)]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let note = r.stderr.lines().find(|l| l.contains("valid-swap.csv")).expect("a note on the far homes");
    assert!(note.contains("3 of 3 homes are more than 500 m from any walkable way"), "{note}");
    assert!(note.contains("longitude and latitude look swapped"), "{note}");
    // Far, but not swapped: the hint names the coordinate system instead.
    let elsewhere = write(dir.path(), "elsewhere.csv", "lon,lat\n2.35,48.85\n2.36,48.86\n");
    let r = analyze(&liechtenstein(), &out, &["--quiet", "--homes", s(&elsewhere), "--homes-crs", "gcj02"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let note = r.stderr.lines().find(|l| l.contains("elsewhere.csv") && l.contains("from any")).expect("far note");
    assert!(note.contains("is --homes-crs right (gcj02)"), "{note}");
}

/// Bug: a population of 1e300 was printed as a 301-digit number.
#[test]
fn bug_absurd_population_printed_in_full() {
    let dir = tmp();
    let out = dir.path().join("out");
    let file = write(dir.path(), "pop.csv", "lon,lat,population\n116.356,39.961,1e300\n");
    let r = analyze(&beijing(), &out, &["--quiet", "--homes", s(&file)]);
    assert_refused(&r, &[s(&file), "row 2", "population 1e300 is larger than 1e9"], "1e300");
    assert!(r.stderr.len() < 300, "{}", r.stderr);
    let file = write(dir.path(), "pop2.csv", "lon,lat,population\n116.356,39.961,2e9\n");
    let r = analyze(&beijing(), &out, &["--quiet", "--homes", s(&file)]);
    assert_refused(&r, &[s(&file), "population 2000000000 is larger than 1e9"], "2e9");
}

/// Bug: `isochrones --buffer-m 5` failed on `--simplify-m 2`, a default the user never set.
#[test]
fn bug_small_buffer_fails_on_the_default_simplification() {
    let dir = tmp();
    let out = dir.path().join("out");
    let r = run_subcommand("isochrones", &["--pbf", s(&beijing()), "--out", s(&out), "-q", "--buffer-m", "5"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    // Given explicitly, the bound still holds.
    let r = run_subcommand(
        "isochrones",
        &["--pbf", s(&beijing()), "--out", s(&out), "-q", "--buffer-m", "5", "--simplify-m", "2"],
    );
    assert_refused(&r, &["--simplify-m", "a quarter of --buffer-m"], "explicit");
}

/// Bug: BD-09 points outside China were moved ~825 m without a note.
#[test]
fn bug_bd09_moves_points_outside_china() {
    let dir = tmp();
    let out = dir.path().join("out");
    let file = write(dir.path(), "abroad.csv", "id,lon,lat,category\nv1,9.5209,47.1410,grocery\n");
    let r = analyze(&liechtenstein(), &out, &["--quiet", "--facilities", s(&file), "--facilities-crs", "bd09"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let note =
        format!("{}: 1 points lie outside China and were left as they are (bd09 applies only inside China)", s(&file));
    assert!(r.stderr.contains(&note), "{}", r.stderr);
    let fac = read_json(&out.join("facilities.geojson"));
    let v1 = fac["features"].as_array().unwrap().iter().find(|f| f["properties"]["id"] == "v1").expect("v1");
    assert_eq!(v1["geometry"]["coordinates"], serde_json::json!([9.5209, 47.141]));
}

// ------------------------------------------------------------------ what the docs say

/// Bug: progress and notes went to stdout. Notes are on stderr (also with
/// `-q`), the table on stdout, and `-q` silences the table and the progress.
#[test]
fn bug_notes_on_stdout() {
    let dir = tmp();
    let out = dir.path().join("out");
    let r = analyze(&beijing(), &out, &[]);
    assert_eq!(r.code, Some(0));
    assert!(!r.stdout.contains("note:") && r.stdout.contains("category"), "{}", r.stdout);
    let notes: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("lifecircle: note: ")).collect();
    assert_eq!(notes.len(), 1, "{}", r.stderr);
    assert!(notes[0].contains("elder_canteen: no facilities found"));
    let q = analyze(&beijing(), &out, &["-q"]);
    assert!(q.stdout.is_empty());
    assert_eq!(q.stderr.lines().collect::<Vec<_>>(), notes);
}

/// Bug: "an output folder holds one run" did not hold: `analyze` kept
/// `sites.*` from an earlier `site`, `compare` removed nothing. Every run now
/// writes `run.json` (command, arguments, version, input checksums, outputs)
/// and removes what other runs left.
#[test]
fn bug_output_folder_mixes_runs() {
    let dir = tmp();
    let out = dir.path().join("out");
    let pbf = beijing();
    let r = run_subcommand("site", &["--pbf", s(&pbf), "--out", s(&out), "-q", "--category", "clinic", "--add", "1"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(out.join("sites.md").is_file());
    let homes = write(dir.path(), "homes.csv", "lon,lat\n116.356,39.961\n116.357,39.962\n");
    let r = analyze(&pbf, &out, &["-q", "--homes", s(&homes)]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        dir_entries(&out),
        ["coverage.geojson", "coverage.qml", "facilities.geojson", "facilities.qml", "run.json", "summary.json"]
    );
    let run = read_json(&out.join("run.json"));
    assert_eq!(run["command"], "analyze");
    assert_eq!(run["lifecircle_version"], env!("CARGO_PKG_VERSION"));
    let args: Vec<&str> = run["arguments"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert_eq!(args, ["--pbf", s(&pbf), "--out", s(&out), "-q", "--homes", s(&homes)]);
    let inputs = run["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 2);
    assert_eq!(inputs[1]["role"], "homes");
    assert_eq!(inputs[1]["bytes"], std::fs::metadata(&homes).unwrap().len());
    assert_eq!(inputs[1]["sha256"].as_str().unwrap(), sha256_hex(&std::fs::read(&homes).unwrap()));
    let outputs: Vec<(String, u64)> = run["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["file"].as_str().unwrap().to_string(), o["bytes"].as_u64().unwrap()))
        .collect();
    let want: Vec<(String, u64)> =
        ["coverage.geojson", "coverage.qml", "facilities.geojson", "facilities.qml", "summary.json"]
            .iter()
            .map(|n| (n.to_string(), std::fs::metadata(out.join(n)).unwrap().len()))
            .collect();
    assert_eq!(outputs, want);
    // A file a user put there, and one an earlier manifest lists, are told apart.
    write(&out, "mine.txt", b"keep");
    let mut listed: Value = read_json(&out.join("run.json"));
    listed["outputs"].as_array_mut().unwrap().push(serde_json::json!({"file": "extra-layer.bin", "bytes": 1}));
    std::fs::write(out.join("run.json"), serde_json::to_vec(&listed).unwrap()).unwrap();
    write(&out, "extra-layer.bin", b"x");
    let a = dir.path().join("a");
    assert_eq!(analyze(&pbf, &a, &["-q"]).code, Some(0));
    let r = run_subcommand("compare", &[s(&a), s(&a), "--out", s(&out), "-q"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(dir_entries(&out), ["compare.csv", "compare.csvt", "compare.md", "mine.txt", "run.json"]);
    let run = read_json(&out.join("run.json"));
    assert_eq!(run["command"], "compare");
    assert_eq!(run["inputs"][0]["path"], s(&a.join("summary.json")));
}

/// The SHA-256 of `bytes` by the `sha256sum` tool (an independent implementation).
fn sha256_hex(bytes: &[u8]) -> String {
    let mut child = Command::new("sha256sum").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("sha256sum");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_string()
}

/// Bug: `map` accepted `--out` and ignored it; a `.jpg` name got PNG bytes.
#[test]
fn bug_map_ignores_out_and_extension() {
    let dir = tmp();
    let pbf = beijing();
    let png = dir.path().join("map.png");
    let r = run_subcommand("map", &["--pbf", s(&pbf), "--png", s(&png), "--out", s(dir.path()), "-q"]);
    assert_refused(&r, &["--out", "--png"], "--out");
    let jpg = dir.path().join("map.jpg");
    let r = run_subcommand("map", &["--pbf", s(&pbf), "--png", s(&jpg), "-q"]);
    assert_refused(&r, &["--png", "map.jpg", ".png"], ".jpg");
    assert!(dir_entries(dir.path()).is_empty());
}

// ------------------------------------------------------------------ the table of bad inputs

/// What a bad run is given: files are made in the case folder by name.
struct Case {
    what: &'static str,
    args: Vec<String>,
    names: Vec<String>,
}

/// At least sixty bad inputs, each run against a folder holding a good earlier
/// run: exit 2, one line naming the file (or parameter) and the problem, no
/// new file in the folder, every earlier output intact byte for byte.
#[test]
fn bad_inputs_leave_an_earlier_run_intact() {
    let dir = tmp();
    let d = dir.path();
    let out = d.join("out");
    let pbf = beijing();
    let good = analyze(&pbf, &out, &["-q"]);
    assert_eq!(good.code, Some(0), "{}", good.stderr);
    let before = snapshot(&out);

    let f = |name: &str, bytes: &[u8]| write(d, name, bytes).display().to_string();
    let mut cases: Vec<Case> = Vec::new();
    let mut add = |what: &'static str, args: &[&str], names: &[&str]| {
        cases.push(Case {
            what,
            args: args.iter().map(|a| a.to_string()).collect(),
            names: names.iter().map(|a| a.to_string()).collect(),
        });
    };

    // The PBF.
    let missing = d.join("missing.osm.pbf").display().to_string();
    add("missing PBF", &["--pbf", &missing], &[&missing, "No such file"]);
    add("PBF is a folder", &["--pbf", s(d)], &[s(d)]);
    let empty = f("empty.osm.pbf", b"");
    add("empty PBF", &["--pbf", &empty], &[&empty]);
    let text = f("text.osm.pbf", b"<?xml version='1.0'?><osm></osm>");
    add("OSM XML named .pbf", &["--pbf", &text], &[&text, "not a valid OSM PBF"]);
    let pbf_bytes = std::fs::read(&pbf).unwrap();
    let cut = f("cut.osm.pbf", &pbf_bytes[..pbf_bytes.len() / 2]);
    add("truncated PBF", &["--pbf", &cut], &[&cut]);
    let garbage = f("garbage.osm.pbf", &[0xff; 64]);
    add("garbage PBF", &["--pbf", &garbage], &[&garbage, "not a valid OSM PBF"]);

    // Homes and facilities files: whole-file problems.
    for (flag, kind) in [("--homes", "homes"), ("--facilities", "fac")] {
        let e = f(&format!("{kind}-empty.csv"), b"");
        add("empty points file", &[flag, &e], &[&e, "empty file"]);
        let ws = f(&format!("{kind}-blank.csv"), b"  \n\n ");
        add("blank points file", &[flag, &ws], &[&ws, "empty file"]);
        let nolon = f(&format!("{kind}-nolon.csv"), b"x1,y1,category\n1,2,grocery\n");
        add("no longitude column", &[flag, &nolon], &[&nolon, "no longitude column"]);
        let zip = f(&format!("{kind}.xlsx"), b"PK\x03\x04rest of a workbook");
        add("an Excel workbook", &[flag, &zip], &[&zip, "ZIP archive"]);
        let gbk = f(&format!("{kind}-gbk.csv"), b"\xbe\xad\xb6\xc8,\xce\xb3\xb6\xc8\n116.3,39.9\n");
        add("GBK header", &[flag, &gbk], &[&gbk, "not UTF-8"]);
        let utf16 = f(&format!("{kind}-utf16.csv"), b"\xff\xfe\x00\xd8l\x00");
        add("broken UTF-16", &[flag, &utf16], &[&utf16, "UTF-16"]);
        let json = f(&format!("{kind}-broken.geojson"), b"{\"type\": \"FeatureCollection\", \"features\": [");
        add("broken JSON", &[flag, &json], &[&json, "invalid JSON"]);
        let bare = f(&format!("{kind}-bare.geojson"), b"{\"type\": \"Point\", \"coordinates\": [1, 2]}");
        add("a bare geometry", &[flag, &bare], &[&bare, "bare Point geometry"]);
        let topo = f(&format!("{kind}-topo.geojson"), b"{\"type\": \"Topology\", \"objects\": {}}");
        add("TopoJSON", &[flag, &topo], &[&topo, "unknown top-level type \"Topology\""]);
        let notype = f(&format!("{kind}-notype.geojson"), b"{\"features\": []}");
        add("no type", &[flag, &notype], &[&notype, "has no \"type\""]);
        let arr = f(&format!("{kind}-array.geojson"), b"[1, 2, 3]");
        add("a JSON array", &[flag, &arr], &[&arr, "the top level is an array"]);
        let nofeat = f(&format!("{kind}-nofeatures.geojson"), b"{\"type\": \"FeatureCollection\", \"features\": 3}");
        add("features not an array", &[flag, &nofeat], &[&nofeat, "no \"features\" array"]);
        add("a folder as points", &[flag, s(d)], &[s(d), "is a folder"]);
    }
    // Homes: row problems.
    let rows: &[(&str, &str, &str)] = &[
        ("lon out of range", "lon,lat\n200,39.9\n", "longitude 200 is out of range"),
        ("lat out of range", "lon,lat\n116.3,95\n", "latitude 95 is out of range"),
        ("not a number", "lon,lat\nabc,39.9\n", "row 2"),
        ("NaN", "lon,lat\nNaN,39.9\n", "not a finite number"),
        ("missing lat", "lon,lat\n116.3,\n", "missing latitude"),
        ("negative population", "lon,lat,population\n116.3,39.9,-5\n", "population -5 is negative"),
        ("absurd population", "lon,lat,population\n116.3,39.9,1e300\n", "population 1e300"),
        ("too many fields", "lon,lat\n116.3,39.9,7\n", "has 3 fields, the header has 2"),
        ("projected metres", "x,y\n448000,4420000\n", "projected coordinates"),
        ("header only", "lon,lat\n", "holds no homes"),
    ];
    for (i, (what, text, problem)) in rows.iter().enumerate() {
        let file = f(&format!("homes-row-{i}.csv"), text.as_bytes());
        add(what, &["--homes", &file], &[&file, problem]);
    }
    let geo_rows: &[(&str, &str, &str)] = &[
        ("LineString home", r#"{"type":"LineString","coordinates":[[1,2],[3,4]]}"#, "LineString is not supported"),
        ("null geometry", "null", "has no geometry"),
        ("string coordinates", r#"{"type":"Point","coordinates":["116","39"]}"#, "coordinates must be"),
        ("empty polygon", r#"{"type":"Polygon","coordinates":[]}"#, "Polygon is empty"),
    ];
    for (i, (what, geometry, problem)) in geo_rows.iter().enumerate() {
        let text = format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{}},"geometry":{geometry}}}]}}"#
        );
        let file = f(&format!("homes-geo-{i}.geojson"), text.as_bytes());
        add(what, &["--homes", &file], &[&file, "feature 0", problem]);
    }
    // Facilities: row problems.
    let fac_rows: &[(&str, &str, &str)] = &[
        ("unknown category", "lon,lat,category\n116.3,39.9,spaceport\n", "spaceport"),
        ("no category column", "lon,lat,name\n116.3,39.9,a\n", "category"),
        ("negative capacity", "lon,lat,category,capacity\n116.3,39.9,clinic,-1\n", "capacity -1 is negative"),
        ("absurd capacity", "lon,lat,category,capacity\n116.3,39.9,clinic,1e20\n", "capacity 1e20 is larger than 1e9"),
    ];
    for (i, (what, text, problem)) in fac_rows.iter().enumerate() {
        let file = f(&format!("fac-row-{i}.csv"), text.as_bytes());
        add(what, &["--facilities", &file], &[&file, problem]);
    }
    // Taxonomy files.
    let builtin = std::fs::read_to_string(crate::common::repo_file("data/taxonomy.toml")).unwrap();
    let taxonomies: Vec<(&str, String, &str)> = vec![
        ("taxonomy syntax", "version = 1\n[[category]\nkey = \"x\"\n".into(), "line 2"),
        ("taxonomy version", builtin.replacen("version = 1", "version = 2", 1), "version 2"),
        ("taxonomy reserved key", builtin.replacen("key = \"clinic\"", "key = \"complete\"", 1), "reserved"),
        ("taxonomy duplicate key", builtin.replacen("key = \"clinic\"", "key = \"grocery\"", 1), "defined twice"),
        ("taxonomy bad key", builtin.replacen("key = \"clinic\"", "key = \"Clinic!\"", 1), "Clinic!"),
        (
            "taxonomy empty list",
            builtin.replacen("tags = { amenity = [\"kindergarten\"", "tags = { amenity = [], y = [\"kindergarten\"", 1),
            "empty list of values",
        ),
    ];
    for (i, (what, text, problem)) in taxonomies.iter().enumerate() {
        assert_ne!(text, &builtin, "{what}: the edit must apply");
        let file = f(&format!("taxonomy-{i}.toml"), text.as_bytes());
        add(what, &["--taxonomy", &file], &[&file, problem]);
    }
    let latin1 = f("taxonomy-latin1.toml", b"version = 1\n# caf\xe9\n");
    add("taxonomy not UTF-8", &["--taxonomy", &latin1], &[&latin1, "not UTF-8"]);
    let missing_tax = d.join("missing.toml").display().to_string();
    add("missing taxonomy", &["--taxonomy", &missing_tax], &[&missing_tax, "No such file"]);
    // Targets files (with districts).
    let targets: &[(&str, &str, &str)] = &[
        ("targets syntax", "version = 1\n[[rule]\n", "line 2"),
        ("targets version", "version = 9\nname = \"x\"\n", "version 9"),
        (
            "targets unknown category",
            "version = 1\nname = \"x\"\n[[rule]]\nid = \"a\"\nmetric = \"spaceport share\"\nop = \">=\"\nvalue = 0.5\nsource = \"s\"\n",
            "spaceport",
        ),
        (
            "targets share over 1",
            "version = 1\nname = \"x\"\n[[rule]]\nid = \"a\"\nmetric = \"clinic share\"\nop = \">=\"\nvalue = 1.5\nsource = \"s\"\n",
            "1.5",
        ),
    ];
    for (i, (what, text, problem)) in targets.iter().enumerate() {
        let file = f(&format!("targets-{i}.toml"), text.as_bytes());
        add(what, &["--admin-level", "8", "--targets", &file], &[&file, problem]);
    }
    // Districts files.
    let districts: &[(&str, &str, &str)] = &[
        ("districts broken JSON", "{\"type\": \"FeatureCollection\", \"features\": [", "not valid GeoJSON"),
        (
            "districts not a collection",
            "{\"type\": \"Polygon\", \"coordinates\": []}",
            "not a GeoJSON FeatureCollection",
        ),
        ("districts empty", "{\"type\": \"FeatureCollection\", \"features\": []}", "the FeatureCollection is empty"),
        (
            "districts only points",
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"a"},"geometry":{"type":"Point","coordinates":[1,2]}}]}"#,
            "a Point is not a Polygon",
        ),
    ];
    for (i, (what, text, problem)) in districts.iter().enumerate() {
        let file = f(&format!("districts-{i}.geojson"), text.as_bytes());
        add(what, &["--districts", &file], &[&file, problem]);
    }
    // Parameters.
    let params: &[(&str, &[&str], &str)] = &[
        ("zero minutes", &["--minutes", "0"], "--minutes"),
        ("601 minutes", &["--minutes", "601"], "--minutes"),
        ("zero speed", &["--speed-kmh", "0"], "--speed-kmh"),
        ("negative snap", &["--max-snap-m=-1"], "--max-snap-m"),
        ("zero threads", &["--threads", "0"], "--threads"),
        ("unknown profile", &["--profile", "astronaut"], "astronaut"),
        ("unknown CRS", &["--homes-crs", "epsg3857", "--homes", "x.csv"], "--homes-crs"),
        ("unknown tiers", &["--tiers", "nope"], "nope"),
        ("k nearest 0", &["--admin-level", "8", "--k-nearest", "0"], "--k-nearest"),
        ("admin level absent", &["--admin-level", "99"], "admin_level 99"),
        ("zero buffer", &["--isochrones", "--buffer-m", "0"], "--buffer-m"),
        ("unknown service-area category", &["--isochrones", "--category", "spaceport"], "spaceport"),
        ("category without isochrones", &["--category", "clinic"], "--category"),
        ("targets without districts", &["--targets", "x.toml"], "--targets"),
        ("remove an unknown facility", &["--remove-facilities", "node/1"], "node/1"),
        ("reach below the threshold", &["--reach-minutes", "10"], "--reach-minutes"),
        ("unknown format", &["--format", "shapefile"], "--format"),
        ("h3 resolution 16", &["--h3", "16"], "--h3"),
    ];
    for (what, args, name) in params {
        add(what, args, &[name]);
    }

    assert!(cases.len() >= 60, "only {} cases", cases.len());
    let pbf_arg = pbf.display().to_string();
    for case in &cases {
        let mut args: Vec<&str> = vec!["--out", s(&out), "-q"];
        if !case.args.iter().any(|a| a == "--pbf") {
            args.extend(["--pbf", &pbf_arg]);
        }
        args.extend(case.args.iter().map(String::as_str));
        let r = run_subcommand("analyze", &args);
        let names: Vec<&str> = case.names.iter().map(String::as_str).collect();
        assert_refused(&r, &names, case.what);
        assert_eq!(snapshot(&out), before, "{}: the earlier run is intact", case.what);
    }
}
