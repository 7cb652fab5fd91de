//! `lifecircle site`: the picks' coverage, recomputed independently by
//! running `analyze` with the picks as user facilities; the coverage sets,
//! searched from the candidates or from the uncovered homes, against a search
//! from each candidate over every home; determinism; bad arguments.

use std::path::Path;

use lifecircle::coverage::ByEdge;
use lifecircle::coverage::count_within::{SearchSide, reach_within};
use lifecircle::coverage::nearest::nearest_times;
use lifecircle::ids::{NodeId, TimeMs};
use lifecircle::routing::{Anchor, DijkstraWorkspace, WorkspacePool};
use lifecircle::siting::plan::{coverage_sets_from, coverage_sets_side};
use lifecircle::siting::{Candidate, CoverageSets, SiteOptions, greedy_max_coverage, plan_sites};
use lifecircle::snap::SnapIndex;

use crate::common::graphs::{random_anchor, random_net};
use crate::common::rng::SplitMix64;

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
    assert_eq!(
        dir_entries(&sites),
        vec!["run.json", "sites-facilities.csv", "sites-facilities.csvt", "sites.geojson", "sites.md", "sites.qml"]
    );
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

/// The slow obvious coverage sets: a search from each candidate over every
/// home, keeping the uncovered homes within `limit`.
fn plain_sets(
    g: &lifecircle::graph::WalkGraph,
    candidates: &[Option<Anchor>],
    homes: &[Option<Anchor>],
    uncovered: &[bool],
    limit: TimeMs,
) -> CoverageSets {
    let pool = WorkspacePool::new(g.num_nodes());
    let by_edge = ByEdge::new(g.num_edges(), homes);
    let reach = reach_within(g, &pool, candidates, homes, &by_edge, limit);
    CoverageSets::from_lists(
        reach.iter().map(|l| l.iter().filter(|&&(h, _)| uncovered[h as usize]).map(|&(h, _)| h).collect()).collect(),
    )
}

/// Coverage sets searched from either side equal the plain sets on random
/// networks (fixed seeds), with more candidates than homes and fewer.
#[test]
fn coverage_sets_from_either_side_match_the_plain_sets() {
    let mut sides = [0usize; 2];
    for seed in 0..24u64 {
        let mut rng = SplitMix64::new(0x517E_5E75_0000_0000 + seed);
        let n = rng.range(10, 150);
        let net = random_net(&mut rng, n);
        let g = &net.graph;
        let pool = WorkspacePool::new(g.num_nodes());
        let hot: Vec<u32> = (0..2).map(|_| rng.below(g.num_edges()) as u32).collect();
        let candidates: Vec<Option<Anchor>> = (0..rng.range(0, 60)).map(|_| random_anchor(&mut rng, g, &hot)).collect();
        let homes: Vec<Option<Anchor>> = (0..rng.range(1, 60)).map(|_| random_anchor(&mut rng, g, &hot)).collect();
        let uncovered: Vec<bool> = homes.iter().map(|_| rng.chance(0.6)).collect();
        // Limits: 0, random, huge, and exactly some candidate–home time (the boundary) and one less.
        let mut limits = vec![0, rng.range(0, 400_000) as u32, u32::MAX - 1];
        let all = plain_sets(g, &candidates, &homes, &vec![true; homes.len()], TimeMs(u32::MAX - 1));
        let by_edge = ByEdge::new(g.num_edges(), &homes);
        let times: Vec<u32> = reach_within(g, &pool, &candidates, &homes, &by_edge, TimeMs(u32::MAX - 1))
            .iter()
            .flatten()
            .map(|&(_, t)| t.0)
            .collect();
        for _ in 0..3 {
            if !times.is_empty() {
                let t = *rng.pick(&times);
                limits.extend([t, t.saturating_sub(1)]);
            }
        }
        assert_eq!(all.homes.len(), times.len());
        for limit in limits {
            let want = plain_sets(g, &candidates, &homes, &uncovered, TimeMs(limit));
            for side in [SearchSide::Facilities, SearchSide::Homes] {
                let got = coverage_sets_from(side, g, &pool, &candidates, &homes, &uncovered, TimeMs(limit));
                assert_eq!(got, want, "seed {seed} limit {limit} from {side:?}");
            }
        }
        sides[(coverage_sets_side(&candidates, &homes, &uncovered) == SearchSide::Homes) as usize] += 1;
    }
    assert!(sides[0] > 3 && sides[1] > 3, "{sides:?}");
}

/// With more candidates than uncovered homes (so the sets are searched from
/// the homes), `plan_sites` picks what the greedy picks on the plain sets.
#[test]
fn many_candidates_pick_as_on_the_plain_sets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cfg = config(&liechtenstein(), dir.path());
    cfg.threads = Some(2);
    let a = lifecircle::run(&cfg).expect("analysis");
    let c = cfg.taxonomy.category_id("grocery").expect("category");
    let main = cfg.threshold();
    let uncovered: Vec<bool> = a.nearest[c.idx()].iter().map(|&t| t > main).collect();
    // Network nodes spread over the whole graph, more of them than uncovered homes.
    let open = uncovered.iter().zip(&a.home_anchors).filter(|(u, h)| **u && h.is_some()).count();
    let step = (a.graph.num_nodes() / (open + 500)).max(1);
    let candidates: Vec<Candidate> = (0..a.graph.num_nodes())
        .step_by(step)
        .map(|i| Candidate { id: format!("node-{i}"), lonlat: a.graph.node_lonlat(NodeId(i as u32)) })
        .collect();
    let index = SnapIndex::new(&a.graph);
    let anchors: Vec<Option<Anchor>> = candidates
        .iter()
        .map(|cand| {
            index
                .snap(&a.graph, cand.lonlat)
                .filter(|s| s.access_m <= cfg.max_snap_m)
                .map(|s| Anchor::from_snap(&a.graph, &s))
        })
        .collect();
    assert_eq!(coverage_sets_side(&anchors, &a.home_anchors, &uncovered), SearchSide::Homes, "{open} uncovered");
    let opts = SiteOptions {
        category: c,
        add: 6,
        candidates: Some(candidates),
        candidate_spacing_m: 100.0,
        capacity: None,
        objective: lifecircle::siting::Objective::Coverage,
    };
    let plan = plan_sites(&a, &opts);
    let population: Vec<f64> = a.homes.iter().map(|h| h.population).collect();
    let covered: Vec<bool> = uncovered.iter().map(|u| !u).collect();
    let sets = plain_sets(&a.graph, &anchors, &a.home_anchors, &uncovered, main);
    assert_eq!(plan.picks, greedy_max_coverage(&sets, &population, &covered, 6, None));
    assert_eq!(plan.picks.len(), 6);
    assert_eq!(plan.coverage_sets_bytes, sets.bytes());
}
