//! The command line: every bad input and parameter gives exit code 2, one
//! line on stderr naming the file or parameter and the problem, no output
//! files (nor temporaries) and never a panic; a good run writes all three
//! outputs and nothing else.

use std::path::{Path, PathBuf};

use crate::common::pbf::{OsmWriter, blob_boundaries, header_blob};
use crate::common::{beijing, dir_entries, read_json, run_cli};

/// The result of one CLI run.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `lifecircle <subcommand> <args...>`.
pub fn run_subcommand(subcommand: &str, args: &[&str]) -> Run {
    let mut all = vec![subcommand];
    all.extend_from_slice(args);
    let o = run_cli(&all);
    Run {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

pub fn analyze(pbf: &Path, out: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["--pbf", pbf.to_str().expect("utf-8 path"), "--out", out.to_str().expect("utf-8")];
    args.extend_from_slice(extra);
    run_subcommand("analyze", &args)
}

/// Exit 2, one `lifecircle: error:` line containing every string of `names`, no panic, no output in `out`.
pub fn assert_input_error(r: &Run, out: &Path, names: &[&str], what: &str) {
    assert!(!r.stderr.contains("panicked"), "{what}: panic: {}", r.stderr);
    assert_eq!(r.code, Some(2), "{what}: exit code; stderr: {}", r.stderr);
    let lines: Vec<&str> = r.stderr.trim_end().lines().collect();
    assert_eq!(lines.len(), 1, "{what}: one line expected on stderr, got: {:?}", r.stderr);
    assert!(lines[0].starts_with("lifecircle: error: "), "{what}: {}", lines[0]);
    for n in names {
        assert!(lines[0].contains(n), "{what}: the message should name {n:?}: {}", lines[0]);
    }
    if out.is_dir() {
        assert_eq!(dir_entries(out), Vec::<String>::new(), "{what}: files left in the output folder");
    }
    assert!(r.stdout.is_empty(), "{what}: stdout {:?}", r.stdout);
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn a_good_run_writes_the_three_outputs_and_nothing_else() {
    let dir = tmp();
    let out = dir.path().join("out");
    let r = analyze(&beijing(), &out, &["--quiet", "--threads", "2"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.is_empty(), "--quiet prints no table: {}", r.stdout);
    // Notes still go to stderr under --quiet (the campus has no elder canteen).
    assert_eq!(
        r.stderr,
        "lifecircle: note: elder_canteen: no facilities found (normal where OSM has few POIs; supply your own list with --facilities)\n"
    );
    assert_eq!(
        dir_entries(&out),
        ["coverage.geojson", "coverage.qml", "facilities.geojson", "facilities.qml", "run.json", "summary.json"]
    );
    let summary = read_json(&out.join("summary.json"));
    let coverage = read_json(&out.join("coverage.geojson"));
    assert_eq!(coverage["type"], "FeatureCollection");
    assert_eq!(
        coverage["features"].as_array().expect("features").len() as u64,
        summary["homes"]["total"].as_u64().unwrap()
    );

    // Without --quiet the summary table goes to stdout; stderr is not a terminal, so no progress.
    let out2 = dir.path().join("out2");
    let r = analyze(&beijing(), &out2, &[]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    for word in ["grocery", "elder_canteen", "clinic", "childcare", "complete"] {
        assert!(r.stdout.contains(word), "table lacks {word}: {}", r.stdout);
    }
    assert!(!r.stderr.contains("panicked"));
}

#[test]
fn missing_pbf() {
    let dir = tmp();
    let (pbf, out) = (dir.path().join("nope.osm.pbf"), dir.path().join("out"));
    let r = analyze(&pbf, &out, &["--quiet"]);
    assert_input_error(&r, &out, &[&s(&pbf), "No such file"], "missing file");
    // Progress enabled (no --quiet) must not add lines either.
    let r = analyze(&pbf, &out, &[]);
    assert_input_error(&r, &out, &[&s(&pbf)], "missing file, progress on");
}

#[test]
fn a_pbf_that_is_a_folder() {
    let dir = tmp();
    let out = dir.path().join("out");
    let r = analyze(dir.path(), &out, &["--quiet"]);
    assert_input_error(&r, &out, &[&s(dir.path())], "folder as PBF");
}

#[test]
fn not_a_pbf_and_empty_files() {
    let dir = tmp();
    let out = dir.path().join("out");
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "this is a text file, not OpenStreetMap data\n").unwrap();
    assert_input_error(&analyze(&text, &out, &["--quiet"]), &out, &[&s(&text), "not a valid OSM PBF"], "text file");

    let empty = dir.path().join("empty.osm.pbf");
    std::fs::write(&empty, b"").unwrap();
    assert_input_error(&analyze(&empty, &out, &["--quiet"]), &out, &[&s(&empty), "empty"], "empty file");

    // Random bytes with a plausible-looking header length.
    let junk = dir.path().join("junk.osm.pbf");
    let mut bytes = vec![0, 0, 0, 12];
    bytes.extend((0..500u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    std::fs::write(&junk, &bytes).unwrap();
    assert_input_error(&analyze(&junk, &out, &["--quiet"]), &out, &[&s(&junk), "not a valid OSM PBF"], "junk");
}

#[test]
fn truncated_pbfs() {
    let full = std::fs::read(beijing()).unwrap();
    let b = blob_boundaries(&full);
    assert!(b.len() >= 4, "the fixture has a header and at least two data blobs: {b:?}");
    let (header_end, first_data_end) = (b[1], b[2]);
    let cuts = [
        1,                                 // inside the 4-byte length
        3,                                 // ditto
        4,                                 // the length and nothing else
        9,                                 // inside the first BlobHeader
        header_end - 1,                    // the header blob one byte short
        header_end + 2,                    // inside the next length
        header_end + 30,                   // inside the first data blob's header or data
        (header_end + first_data_end) / 2, // the middle of the first data blob
        first_data_end - 1,                // the first data blob one byte short
        full.len() - 1,                    // the last byte missing
    ];
    let dir = tmp();
    let out = dir.path().join("out");
    for n in cuts {
        let pbf = dir.path().join(format!("cut-{n}.osm.pbf"));
        std::fs::write(&pbf, &full[..n]).unwrap();
        let r = analyze(&pbf, &out, &["--quiet"]);
        assert_input_error(&r, &out, &[&s(&pbf), "not a valid OSM PBF"], &format!("truncated to {n} bytes"));
    }
    // Cut exactly after the header blob: a valid file without data.
    let pbf = dir.path().join("header-only.osm.pbf");
    std::fs::write(&pbf, &full[..header_end]).unwrap();
    assert_input_error(&analyze(&pbf, &out, &["--quiet"]), &out, &[&s(&pbf), "no walkable ways"], "header only");
}

#[test]
fn a_pbf_without_walkable_ways() {
    let dir = tmp();
    let out = dir.path().join("out");
    let pbf = dir.path().join("nowalk.osm.pbf");
    let mut w = OsmWriter::new();
    w.rect_way(240, 241, [0.03, 0.0], [0.032, 0.002], &[("building", "house")]);
    w.node(1, [0.0, 0.0], &[("shop", "supermarket")]).node(2, [0.001, 0.0], &[]);
    w.way(10, &[1, 2], &[("highway", "motorway")]);
    w.way(11, &[1, 2], &[("highway", "path"), ("foot", "no")]);
    w.write(&pbf);
    assert_input_error(&analyze(&pbf, &out, &["--quiet"]), &out, &[&s(&pbf), "no walkable ways"], "no walkable ways");
    // Just a header.
    std::fs::write(&pbf, header_blob()).unwrap();
    assert_input_error(&analyze(&pbf, &out, &["--quiet"]), &out, &[&s(&pbf), "no walkable ways"], "header only");
}

#[test]
fn unusable_output_folders() {
    let dir = tmp();
    // The output path is an existing file: it must not be touched.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "keep me").unwrap();
    let r = analyze(&beijing(), &file, &["--quiet"]);
    assert_input_error(&r, &file, &[&s(&file), "not a folder"], "out is a file");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");

    // Under a file: cannot be created.
    let under = file.join("sub");
    assert_input_error(&analyze(&beijing(), &under, &["--quiet"]), &under, &[&s(&under)], "out under a file");
    let dev = PathBuf::from("/dev/null/x");
    assert_input_error(&analyze(&beijing(), &dev, &["--quiet"]), &dev, &["/dev/null/x"], "out under /dev/null");
}

#[test]
fn a_failed_run_leaves_earlier_outputs_alone() {
    let dir = tmp();
    let out = dir.path().join("out");
    let r = analyze(&beijing(), &out, &["--quiet"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let before: Vec<Vec<u8>> = dir_entries(&out).iter().map(|f| std::fs::read(out.join(f)).unwrap()).collect();
    let bad = dir.path().join("bad.osm.pbf");
    std::fs::write(&bad, &std::fs::read(beijing()).unwrap()[..5000]).unwrap();
    let r = analyze(&bad, &out, &["--quiet"]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_eq!(
        dir_entries(&out),
        ["coverage.geojson", "coverage.qml", "facilities.geojson", "facilities.qml", "run.json", "summary.json"],
        "no temporaries"
    );
    let after: Vec<Vec<u8>> = dir_entries(&out).iter().map(|f| std::fs::read(out.join(f)).unwrap()).collect();
    assert!(before == after, "the earlier outputs changed");
}

#[test]
fn bad_parameters() {
    let dir = tmp();
    let out = dir.path().join("out");
    let cases: &[(&[&str], &[&str])] = &[
        (&["--minutes", "0"], &["--minutes", "0"]),
        (&["--minutes", "nan"], &["--minutes", "NaN"]),
        (&["--minutes", "inf"], &["--minutes"]),
        (&["--minutes", "601"], &["--minutes", "601"]),
        (&["--minutes=-5"], &["--minutes", "-5"]),
        (&["--speed-kmh", "0"], &["--speed-kmh"]),
        (&["--speed-kmh=-1"], &["--speed-kmh", "-1"]),
        (&["--speed-kmh", "nan"], &["--speed-kmh"]),
        (&["--speed-kmh", "100"], &["--speed-kmh"]),
        (&["--max-snap-m", "nan"], &["--max-snap-m"]),
        (&["--max-snap-m=-1"], &["--max-snap-m"]),
        (&["--threads", "0"], &["--threads"]),
        (&["--threads", "100000"], &["--threads", "100000"]),
        (&["--profile", "marathon"], &["--profile", "marathon"]),
    ];
    for (args, names) in cases {
        let mut a = vec!["--quiet"];
        a.extend_from_slice(args);
        assert_input_error(&analyze(&beijing(), &out, &a), &out, names, &format!("{args:?}"));
    }
}

/// Exit 2 and a first line naming the argument, for errors that clap itself reports
/// (clap adds a usage hint on the following lines).
#[test]
fn malformed_arguments_are_usage_errors() {
    let dir = tmp();
    let out = dir.path().join("out");
    let cases: &[(&[&str], &str)] = &[
        (&["--minutes", "abc"], "--minutes"),
        (&["--threads", "two"], "--threads"),
        (&["--threads", "-3"], "-3"),
        (&["--snap", "sideways"], "--snap"),
        (&["--no-such-flag"], "--no-such-flag"),
    ];
    for (args, name) in cases {
        let r = analyze(&beijing(), &out, args);
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{args:?}: {}", r.stderr);
        let first = r.stderr.lines().next().unwrap_or_default();
        assert!(first.starts_with("error:") && first.contains(name), "{args:?}: {first}");
        assert!(!out.exists(), "{args:?}: nothing is created before the arguments parse");
    }
    let r = run_cli(&[]);
    assert_eq!(r.status.code(), Some(2), "no subcommand");
    let r = run_cli(&["frobnicate"]);
    assert_eq!(r.status.code(), Some(2), "unknown subcommand");
    let r = run_cli(&["--version"]);
    assert_eq!(r.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&r.stdout).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn bad_taxonomy_files() {
    let dir = tmp();
    let out = dir.path().join("out");
    let missing = dir.path().join("missing.toml");
    let r = analyze(&beijing(), &out, &["--quiet", "--taxonomy", &s(&missing)]);
    assert_input_error(&r, &out, &[&s(&missing)], "missing taxonomy");

    let builtin = std::fs::read_to_string(crate::common::repo_file("data/taxonomy.toml")).unwrap();
    let cases: &[(&str, String, &str)] = &[
        ("version", builtin.replacen("version = 1", "version = 2", 1), "version"),
        ("duplicate", builtin.replacen("key = \"clinic\"", "key = \"grocery\"", 1), "grocery"),
        ("bad key", builtin.replacen("key = \"clinic\"", "key = \"Clinic!\"", 1), "Clinic!"),
        ("no categories", "version = 1\ncategory = []\n[homes]\nbuilding = [\"house\"]\n".to_string(), "categor"),
    ];
    for (what, text, name) in cases {
        assert_ne!(text, &builtin, "{what}: the edit must apply");
        let path = dir.path().join(format!("{}.toml", what.replace(' ', "-")));
        std::fs::write(&path, text).unwrap();
        let r = analyze(&beijing(), &out, &["--quiet", "--taxonomy", &s(&path)]);
        assert_input_error(&r, &out, &[&s(&path), name], what);
    }

    // A TOML syntax error: exit 2, names the file, no panic, no output (the one-line
    // requirement is covered by `regression::bug_taxonomy_syntax_error_spans_several_lines`).
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "version = 1\n[[category]\nkey = \"x\"\n").unwrap();
    let r = analyze(&beijing(), &out, &["--quiet", "--taxonomy", &s(&broken)]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"));
    assert!(r.stderr.lines().next().unwrap_or_default().contains(&s(&broken)), "{}", r.stderr);
    assert!(dir_entries(&out).is_empty());

    // The built-in table written out as a file behaves like the built-in one.
    let copy = dir.path().join("copy.toml");
    std::fs::write(&copy, &builtin).unwrap();
    let r = analyze(&beijing(), &out, &["--quiet", "--taxonomy", &s(&copy)]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

/// The binary carries its default extract: a copy run from another folder,
/// with no `--pbf`, answers as the checkout's file does (same coverage bytes).
#[test]
fn the_binary_runs_anywhere_without_the_checkout() {
    let dir = tmp();
    let bin = dir.path().join("lifecircle");
    std::fs::copy(env!("CARGO_BIN_EXE_lifecircle"), &bin).expect("copy the binary");
    // A test running at the same time may fork while the copy is still open for
    // writing; its child holds the file until it execs, and exec then fails with
    // "text file busy" (ETXTBSY). Try again briefly.
    let mut tries = 0;
    let o = loop {
        match std::process::Command::new(&bin)
            .args(["analyze", "--out", "moved", "--quiet", "--minutes", "5"])
            .current_dir(dir.path())
            .output()
        {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 50 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => break other.expect("run the copy"),
        }
    };
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let summary = read_json(&dir.path().join("moved/summary.json"));
    assert_eq!(summary["inputs"]["pbf"], "<built-in>/liechtenstein-2024-03.osm.pbf");
    let checkout = dir.path().join("checkout");
    let pbf = crate::common::liechtenstein();
    let r = analyze(&pbf, &checkout, &["--quiet", "--minutes", "5"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let a = std::fs::read(dir.path().join("moved/coverage.geojson")).unwrap();
    let b = std::fs::read(checkout.join("coverage.geojson")).unwrap();
    assert!(a == b, "the built-in extract is the checkout's file");
    let run = read_json(&dir.path().join("moved/run.json"));
    assert_eq!(run["inputs"][0]["bytes"], std::fs::metadata(&pbf).unwrap().len());
}
