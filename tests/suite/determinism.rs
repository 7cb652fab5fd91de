//! Results do not depend on the number of threads: in memory and byte for byte on disk.

use std::path::Path;

use lifecircle::analysis::with_threads;
use lifecircle::{Analysis, analyze, run};
use serde_json::Value;

use crate::common::{beijing, config, nanjing, read_json, remove_paths};

fn run_with(pbf: &Path, threads: usize) -> Analysis {
    let mut c = config(pbf, Path::new("unused-out"));
    c.threads = Some(threads);
    with_threads(c.threads, || run(&c)).expect("thread pool").expect("analysis")
}

fn summary_value(a: &Analysis) -> Value {
    let mut v = serde_json::to_value(&a.summary).expect("serialize");
    remove_paths(&mut v, &["timings", "parameters.threads"]);
    v
}

#[test]
fn in_memory_results_do_not_depend_on_threads() {
    for pbf in [beijing(), nanjing()] {
        let one = run_with(&pbf, 1);
        assert_eq!(one.summary.parameters.threads, 1, "run on the one-thread pool");
        for threads in [2, 3] {
            let other = run_with(&pbf, threads);
            assert_eq!(other.summary.parameters.threads, threads);
            let what = format!("{} with {threads} threads", pbf.display());
            assert_eq!(one.homes, other.homes, "{what}");
            assert_eq!(one.facilities, other.facilities, "{what}");
            assert_eq!(one.home_snaps, other.home_snaps, "{what}");
            assert_eq!(one.home_anchors, other.home_anchors, "{what}");
            assert_eq!(one.facility_anchors, other.facility_anchors, "{what}");
            assert_eq!(one.nearest, other.nearest, "{what}");
            assert_eq!(one.counts, other.counts, "{what}");
            assert_eq!(summary_value(&one), summary_value(&other), "{what}");
        }
    }
}

#[test]
fn output_files_are_byte_identical_across_threads_and_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    for pbf in [beijing(), nanjing()] {
        let outs: Vec<_> = [1usize, 2, 2]
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                let out = dir.path().join(format!("{}-{i}-{t}", pbf.file_stem().unwrap().to_string_lossy()));
                let mut c = config(&pbf, &out);
                c.threads = Some(t);
                analyze(&c).expect("analyze");
                out
            })
            .collect();
        for out in &outs[1..] {
            for f in ["coverage.geojson", "facilities.geojson"] {
                let (a, b) = (std::fs::read(outs[0].join(f)).unwrap(), std::fs::read(out.join(f)).unwrap());
                assert!(a == b, "{f} differs between {} and {}", outs[0].display(), out.display());
            }
            let mut a = read_json(&outs[0].join("summary.json"));
            let mut b = read_json(&out.join("summary.json"));
            for v in [&mut a, &mut b] {
                remove_paths(v, &["timings", "parameters.threads"]);
            }
            assert_eq!(a, b, "summary.json differs between {} and {}", outs[0].display(), out.display());
        }
        assert_eq!(read_json(&outs[0].join("summary.json"))["parameters"]["threads"], 1);
        assert_eq!(read_json(&outs[1].join("summary.json"))["parameters"]["threads"], 2);
    }
}
