//! `lifecircle site`: the picks' coverage, recomputed independently by
//! running `analyze` with the picks as user facilities; the coverage sets
//! against a search from each candidate; determinism; bad arguments.

use std::path::Path;

use lifecircle::coverage::nearest::nearest_times;
use lifecircle::routing::{Anchor, DijkstraWorkspace};
use lifecircle::siting::{Candidate, SiteOptions, plan_sites};
use lifecircle::snap::SnapIndex;

use crate::cli::{assert_input_error, run_subcommand};
use crate::common::{config, dir_entries, liechtenstein, read_json};

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The people covered after the picks, as `site` reports them, equal what
/// `analyze --facilities sites-facilities.csv` finds: an independent run of
/// the whole pipeline with the picks as facilities.
#[test]
fn picks_cover_what_an_independent_run_finds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (sites, check) = (dir.path().join("sites"), dir.path().join("check"));
    let pbf = liechtenstein();
    let r = run_subcommand(
        "site",
        &["--pbf", s(&pbf), "--out", s(&sites), "--quiet", "--category", "childcare", "--add", "3", "--threads", "2"],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(dir_entries(&sites), vec!["run.json", "sites-facilities.csv", "sites.geojson", "sites.md"]);
    let picks = read_json(&sites.join("sites.geojson"));
    let feats = picks["features"].as_array().expect("features");
    assert_eq!(feats.len(), 3);
    let covered_after = feats[2]["properties"]["population_covered"].as_f64().expect("covered");
    // Gains are positive and non-increasing (greedy on a submodular objective).
    let gains: Vec<f64> = feats.iter().map(|f| f["properties"]["population_gained"].as_f64().unwrap()).collect();
    assert!(gains.windows(2).all(|w| w[0] >= w[1] && w[1] > 0.0), "{gains:?}");
    let csv = sites.join("sites-facilities.csv");
    let r = run_subcommand("analyze", &["--pbf", s(&pbf), "--out", s(&check), "--quiet", "--facilities", s(&csv)]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let summary = read_json(&check.join("summary.json"));
    let childcare =
        summary["categories"].as_array().unwrap().iter().find(|c| c["key"] == "childcare").expect("childcare");
    assert_eq!(childcare["population_covered"].as_f64().unwrap(), covered_after);
    // Same bytes with one thread.
    let one = dir.path().join("one");
    let r = run_subcommand(
        "site",
        &["--pbf", s(&pbf), "--out", s(&one), "--quiet", "--category", "childcare", "--add", "3", "--threads", "1"],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    for f in ["sites.geojson", "sites.md", "sites-facilities.csv"] {
        assert_eq!(std::fs::read(sites.join(f)).unwrap(), std::fs::read(one.join(f)).unwrap(), "{f}");
    }
}

/// Every pick's gain is the population of homes it reaches within the
/// threshold that nothing reached before, checked with a multi-source search
/// from the existing facilities plus the picks.
#[test]
fn gains_match_nearest_times_with_the_picks_added() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cfg = config(&liechtenstein(), dir.path());
    cfg.threads = Some(2);
    let a = lifecircle::run(&cfg).expect("analysis");
    let c = cfg.taxonomy.category_id("elder_canteen").expect("category");
    let opts = SiteOptions {
        category: c,
        add: 4,
        candidates: None,
        candidate_spacing_m: 150.0,
        capacity: None,
        objective: lifecircle::siting::Objective::Coverage,
    };
    let plan = plan_sites(&a, &opts);
    assert_eq!(plan.picks.len(), 4);
    let index = SnapIndex::new(&a.graph);
    let mut facilities: Vec<Option<Anchor>> =
        a.facility_index[c.idx()].iter().map(|&i| a.facility_anchors[i]).collect();
    let threshold = cfg.threshold();
    let covered = |f: &[Option<Anchor>]| -> f64 {
        let mut ws = DijkstraWorkspace::new(a.graph.num_nodes());
        nearest_times(&a.graph, &mut ws, f, &a.home_anchors)
            .iter()
            .zip(&a.homes)
            .filter(|(t, _)| **t <= threshold)
            .map(|(_, h)| h.population)
            .sum()
    };
    let mut before = covered(&facilities);
    for p in &plan.picks {
        let cand: &Candidate = &plan.candidates[p.candidate];
        let snap = index.snap(&a.graph, cand.lonlat).expect("snap");
        facilities.push(Some(Anchor::from_snap(&a.graph, &snap)));
        let after = covered(&facilities);
        assert!(
            (after - before - p.population_gained).abs() < 1e-9,
            "{}: {} vs {}",
            cand.id,
            after - before,
            p.population_gained
        );
        assert!((after - p.population_covered).abs() < 1e-9);
        before = after;
    }
    // Before/after shares agree with the same searches.
    let total: f64 = a.homes.iter().map(|h| h.population).sum();
    let last = plan.before_after.last().expect("a threshold");
    assert!((last.share_population_after - before / total).abs() < 1e-12);
}

#[test]
fn bad_site_arguments_exit_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let pbf = liechtenstein();
    for (extra, names) in [
        (vec!["--add", "3"], vec!["--category"]),
        (vec!["--category", "bakery", "--add", "3"], vec!["--category", "bakery"]),
        (vec!["--category", "clinic", "--add", "0"], vec!["--add"]),
        (vec!["--category", "clinic", "--add", "2", "--capacity", "-5"], vec!["--capacity"]),
    ] {
        let mut args = vec!["--pbf", s(&pbf), "--out", s(&out), "--quiet"];
        args.extend(extra.iter().copied());
        let r = run_subcommand("site", &args);
        assert_input_error(&r, &out, &names, &format!("{extra:?}"));
    }
}

/// `--objective mean-time`: the reported mean times equal a recomputation
/// from the chosen sites, and adding sites never raises the mean.
#[test]
fn mean_time_objective_reports_what_its_sites_give() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cfg = config(&liechtenstein(), dir.path());
    cfg.threads = Some(2);
    let a = lifecircle::run(&cfg).expect("analysis");
    let c = cfg.taxonomy.category_id("childcare").expect("category");
    let opts = SiteOptions {
        category: c,
        add: 3,
        candidates: None,
        candidate_spacing_m: 200.0,
        capacity: None,
        objective: lifecircle::siting::Objective::MeanTime,
    };
    let plan = plan_sites(&a, &opts);
    let mt = plan.mean_time.as_ref().expect("mean-time plan");
    assert_eq!(mt.chosen.len(), 3);
    assert!(mt.mean_min_after <= mt.mean_min_before);
    assert!(mt.mean_min_after_pick.windows(2).all(|w| w[1] <= w[0]));
    // Recompute: nearest times with the chosen sites added, capped at twice the threshold.
    let index = SnapIndex::new(&a.graph);
    let mut facilities: Vec<Option<Anchor>> =
        a.facility_index[c.idx()].iter().map(|&i| a.facility_anchors[i]).collect();
    for &k in &mt.chosen {
        let snap = index.snap(&a.graph, plan.candidates[k].lonlat).expect("snap");
        facilities.push(Some(Anchor::from_snap(&a.graph, &snap)));
    }
    let mut ws = DijkstraWorkspace::new(a.graph.num_nodes());
    let cap = 2 * cfg.threshold().0;
    let times = nearest_times(&a.graph, &mut ws, &facilities, &a.home_anchors);
    let total: f64 = a.homes.iter().map(|h| h.population).sum();
    let mean: f64 =
        times.iter().zip(&a.homes).map(|(t, h)| t.0.min(cap) as f64 * h.population).sum::<f64>() / total / 60_000.0;
    assert!((mean - mt.mean_min_after).abs() < 1e-9, "{mean} vs {}", mt.mean_min_after);
}
