//! Property tests on random graphs (fixed, named seeds) against slow references:
//! petgraph's Dijkstra, an expanded graph where every home and facility is a
//! node, the per-facility reach lists (counts and 2SFCA, searched from either
//! side), and an independent brute-force snap.

use std::collections::BTreeMap;

use lifecircle::coverage::ByEdge;
use lifecircle::coverage::count_within::{
    SearchSide, Supply, count_within, counts_per_threshold, homes_within, reach_within, search_side, sort_by_target,
    within_thresholds, within_thresholds_from,
};
use lifecircle::coverage::edge_count::EdgeCounts;
use lifecircle::coverage::k_nearest::k_nearest_mean_minutes;
use lifecircle::coverage::nearest::nearest_times;
use lifecircle::coverage::nearest_facility::nearest_facilities;
use lifecircle::coverage::two_step_fca::{TwoStepFca, two_step_fca};
use lifecircle::geometry::to_ecef;
use lifecircle::graph::WalkGraph;
use lifecircle::ids::{EdgeId, NodeId, TimeMs};
use lifecircle::routing::{Anchor, DijkstraWorkspace, WorkspacePool, dijkstra};
use lifecircle::snap::{SnapIndex, VertexSnapIndex, snap_brute_force};

use crate::common::graphs::{RandomNet, polyline_m, random_anchor, random_net};
use crate::common::reference::{self, Expanded, opt};
use crate::common::rng::SplitMix64;

/// The property-test seeds: 20 fixed values, so a failure names its seed and replays exactly.
const SEEDS: [u64; 20] = [
    0x11FE_C1C1_0000_0001,
    0x11FE_C1C1_0000_0002,
    0x11FE_C1C1_0000_0003,
    0x11FE_C1C1_0000_0004,
    0x11FE_C1C1_0000_0005,
    0x11FE_C1C1_0000_0006,
    0x11FE_C1C1_0000_0007,
    0x11FE_C1C1_0000_0008,
    0x11FE_C1C1_0000_0009,
    0x11FE_C1C1_0000_000A,
    0x11FE_C1C1_0000_000B,
    0x11FE_C1C1_0000_000C,
    0x11FE_C1C1_0000_000D,
    0x11FE_C1C1_0000_000E,
    0x11FE_C1C1_0000_000F,
    0x11FE_C1C1_0000_0010,
    0x11FE_C1C1_0000_0011,
    0x11FE_C1C1_0000_0012,
    0x11FE_C1C1_0000_0013,
    0x11FE_C1C1_0000_0014,
];

/// A random network of 10–200 nodes for `seed` (the first seeds stay small, where corner cases concentrate).
fn net_for(seed: u64, i: usize) -> (SplitMix64, RandomNet) {
    let mut rng = SplitMix64::new(seed);
    let n = if i < 5 { rng.range(10, 30) } else { rng.range(10, 200) };
    let net = random_net(&mut rng, n);
    (rng, net)
}

#[test]
fn walk_graph_matches_its_edge_list() {
    for (i, &seed) in SEEDS.iter().enumerate() {
        let (_, net) = net_for(seed, i);
        let g = &net.graph;
        assert_eq!(g.num_nodes(), net.nodes.len());
        assert_eq!(g.num_edges(), net.specs.len());
        // Every (node, neighbour, edge, time) triple the edge list implies, self-loops once.
        let mut expected: BTreeMap<u32, Vec<(u32, u32, u32)>> = BTreeMap::new();
        for (e, s) in net.specs.iter().enumerate() {
            let e = EdgeId(e as u32);
            let len = polyline_m(&s.geometry);
            assert!((g.edge_length_m(e) - len).abs() <= 1e-9 * len.max(1.0), "seed {seed:#x} edge {e:?}");
            let ms = len / net.speed * 1000.0;
            assert!((g.edge_time(e).0 as f64 - ms).abs() <= 0.5 + 1e-6, "seed {seed:#x} edge {e:?}: {ms}");
            assert_eq!(g.edge_endpoints(e), (s.u, s.v));
            assert_eq!(g.edge_geometry(e), &s.geometry[..]);
            let t = g.edge_time(e).0;
            expected.entry(s.u.0).or_default().push((s.v.0, e.0, t));
            if s.u != s.v {
                expected.entry(s.v.0).or_default().push((s.u.0, e.0, t));
            }
        }
        for n in 0..g.num_nodes() as u32 {
            let mut got: Vec<_> = g.neighbors(NodeId(n)).map(|(m, e, t)| (m.0, e.0, t.0)).collect();
            got.sort();
            let mut want = expected.remove(&n).unwrap_or_default();
            want.sort();
            assert_eq!(got, want, "seed {seed:#x} node {n}");
            let mut inc: Vec<_> = g.incident_edges(NodeId(n)).map(|(e, m)| (m.0, e.0)).collect();
            inc.sort();
            assert_eq!(inc, want.iter().map(|w| (w.0, w.1)).collect::<Vec<_>>(), "seed {seed:#x} node {n}");
        }
    }
}

fn random_seeds(rng: &mut SplitMix64, g: &WalkGraph) -> Vec<(NodeId, TimeMs)> {
    let k = rng.range(1, 6);
    (0..k)
        .map(|_| {
            let t = if rng.chance(0.4) { 0 } else { rng.range(0, 400_000) as u32 };
            (NodeId(rng.below(g.num_nodes()) as u32), TimeMs(t))
        })
        .collect()
}

/// Checks one search against the petgraph reference: times within the budget, INF beyond, settled set and order.
fn check_search(g: &WalkGraph, ws: &DijkstraWorkspace, reference: &[Option<u64>], budget: TimeMs, what: &str) {
    for (n, r) in reference.iter().enumerate() {
        let want = match r {
            Some(t) if *t <= budget.0 as u64 => TimeMs(*t as u32),
            _ => TimeMs::INF,
        };
        assert_eq!(ws.time(NodeId(n as u32)), want, "{what}: node {n}");
    }
    let settled: Vec<NodeId> = ws.settled().collect();
    let mut sorted: Vec<u32> = settled.iter().map(|n| n.0).collect();
    sorted.sort();
    let expected: Vec<u32> =
        (0..g.num_nodes() as u32).filter(|&n| reference[n as usize].is_some_and(|t| t <= budget.0 as u64)).collect();
    assert_eq!(sorted, expected, "{what}: settled set");
    assert!(settled.windows(2).all(|w| ws.time(w[0]) <= ws.time(w[1])), "{what}: settled out of order");
}

#[test]
fn dijkstra_matches_petgraph_with_and_without_budget() {
    // One workspace for every search on every graph: it must grow, shrink back and reset correctly.
    let mut shared = DijkstraWorkspace::new(3);
    let mut searches = 0;
    for (i, &seed) in SEEDS.iter().enumerate() {
        let (mut rng, net) = net_for(seed, i);
        let g = &net.graph;
        for round in 0..8 {
            let seeds = random_seeds(&mut rng, g);
            let reference = reference::node_times(g, &seeds);
            let what = format!("seed {seed:#x} round {round} seeds {seeds:?}");
            dijkstra(g, &mut shared, &seeds, TimeMs(u32::MAX - 1));
            check_search(g, &shared, &reference, TimeMs(u32::MAX - 1), &what);
            // Budgets: 0, a reference time exactly (the boundary), one below it, and a random one.
            let finite: Vec<u64> = reference.iter().flatten().copied().collect();
            let pick = *rng.pick(&finite);
            for budget in [0, pick, pick.saturating_sub(1), rng.range(0, 1_500_000) as u64] {
                let budget = TimeMs(budget as u32);
                dijkstra(g, &mut shared, &seeds, budget);
                check_search(g, &shared, &reference, budget, &format!("{what} budget {budget:?}"));
                searches += 1;
            }
            // A fresh workspace gives the same answer as the reused one.
            let mut fresh = DijkstraWorkspace::new(g.num_nodes());
            dijkstra(g, &mut fresh, &seeds, TimeMs(pick as u32));
            check_search(g, &fresh, &reference, TimeMs(pick as u32), &format!("{what} fresh"));
        }
    }
    assert!(searches >= 20 * 8 * 4);
}

/// Random homes and facilities on `g`, sharing a few "hot" edges, plus copies of one another
/// (a home exactly where a facility is).
fn random_points(rng: &mut SplitMix64, g: &WalkGraph) -> (Vec<Option<Anchor>>, Vec<Option<Anchor>>) {
    let hot: Vec<u32> = (0..rng.range(1, 4)).map(|_| rng.below(g.num_edges()) as u32).collect();
    let nf = rng.range(0, 25);
    let nh = rng.range(1, 60);
    let facilities: Vec<Option<Anchor>> = (0..nf).map(|_| random_anchor(rng, g, &hot)).collect();
    let mut homes: Vec<Option<Anchor>> = (0..nh).map(|_| random_anchor(rng, g, &hot)).collect();
    for h in homes.iter_mut() {
        if !facilities.is_empty() && rng.chance(0.1) {
            *h = *rng.pick(&facilities);
        }
    }
    (facilities, homes)
}

#[test]
fn nearest_and_counts_match_the_expanded_graph() {
    let mut ws = DijkstraWorkspace::new(0);
    let mut checked_homes = 0;
    let mut boundary_hits = 0;
    for (i, &seed) in SEEDS.iter().enumerate() {
        let (mut rng, net) = net_for(seed, i);
        let g = &net.graph;
        let pool = WorkspacePool::new(g.num_nodes());
        for round in 0..4 {
            let what = format!("seed {seed:#x} round {round}");
            let (facilities, homes) = random_points(&mut rng, g);
            let ex = Expanded::new(g, &facilities, &homes);
            let times = ex.facility_home_times();

            let got = nearest_times(g, &mut ws, &facilities, &homes);
            let (want_nearest, _) = reference::coverage(&times, homes.len(), TimeMs(0));
            for h in 0..homes.len() {
                assert_eq!(opt(got[h]), want_nearest[h], "{what}: nearest of home {h} {:?}", homes[h]);
            }

            // Thresholds: 0, exactly some facility-home time (the boundary), one less, random, huge.
            let finite: Vec<u64> = times.iter().flatten().flatten().copied().collect();
            let mut thresholds = vec![0u32, rng.range(0, 600_000) as u32, u32::MAX - 1];
            if !finite.is_empty() {
                let t = *rng.pick(&finite) as u32;
                thresholds.extend([t, t.saturating_sub(1)]);
            }
            let by_edge = ByEdge::new(g.num_edges(), &homes);
            for threshold in thresholds {
                let threshold = TimeMs(threshold);
                let (_, want_counts) = reference::coverage(&times, homes.len(), threshold);
                let counts = count_within(g, &pool, &facilities, &homes, &by_edge, threshold);
                assert_eq!(counts, want_counts, "{what}: counts within {threshold:?}");
                for (f, fa) in facilities.iter().enumerate() {
                    let Some(fa) = fa else { continue };
                    let want: Vec<u32> = (0..homes.len() as u32)
                        .filter(|&h| times[f][h as usize].is_some_and(|t| t <= threshold.0 as u64))
                        .collect();
                    let got = homes_within(g, &mut ws, fa, &homes, &by_edge, threshold);
                    assert_eq!(got, want, "{what}: homes within {threshold:?} of facility {f} {fa:?}");
                }
                // (c) count >= 1 exactly when the nearest facility is within the threshold.
                for h in 0..homes.len() {
                    assert_eq!(counts[h] >= 1, got[h] <= threshold, "{what}: home {h} at {threshold:?}");
                    boundary_hits += (got[h] == threshold) as usize;
                }
            }
            checked_homes += homes.len();
        }
    }
    assert!(checked_homes > 500, "{checked_homes}");
    assert!(boundary_hits > 20, "thresholds should often sit exactly on a home's time: {boundary_hits}");
}

#[test]
fn count_within_does_not_depend_on_the_thread_count() {
    for (i, &seed) in SEEDS.iter().enumerate().take(6) {
        let (mut rng, net) = net_for(seed, i);
        let g = &net.graph;
        let (facilities, homes) = random_points(&mut rng, g);
        let by_edge = ByEdge::new(g.num_edges(), &homes);
        let results: Vec<Vec<u32>> = [1, 3]
            .iter()
            .map(|&threads| {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
                pool.install(|| {
                    let ws = WorkspacePool::new(g.num_nodes());
                    count_within(g, &ws, &facilities, &homes, &by_edge, TimeMs(300_000))
                })
            })
            .collect();
        assert_eq!(results[0], results[1], "seed {seed:#x}");
        // A pool of workspaces sized for another thread pool: threads share slots, results stay the same.
        let outside = WorkspacePool::new(g.num_nodes());
        let four = rayon::ThreadPoolBuilder::new().num_threads(4).build().expect("pool");
        let shared = four.install(|| count_within(g, &outside, &facilities, &homes, &by_edge, TimeMs(300_000)));
        assert_eq!(results[0], shared, "seed {seed:#x}: shared workspaces");
        assert!(outside.created() >= 1);
    }
}

/// Random thresholds (ascending, distinct, 1 to 3) for `times`: exact facility–home times
/// (boundaries), one less, 0, random.
fn random_thresholds(rng: &mut SplitMix64, times: &[Vec<Option<u64>>]) -> Vec<TimeMs> {
    let finite: Vec<u64> = times.iter().flatten().flatten().copied().filter(|&t| t < u32::MAX as u64 - 1).collect();
    let mut pool = vec![0u32, rng.range(0, 600_000) as u32];
    for _ in 0..3 {
        if !finite.is_empty() {
            let t = *rng.pick(&finite) as u32;
            pool.extend([t, t.saturating_sub(1)]);
        }
    }
    let mut limits: Vec<u32> = (0..rng.range(1, 4)).map(|_| *rng.pick(&pool)).collect();
    limits.sort_unstable();
    limits.dedup();
    limits.into_iter().map(TimeMs).collect()
}

/// Adds exact copies of some points (same anchor), as duplicate rows or `--snap vertex` give.
fn with_copies(rng: &mut SplitMix64, points: &mut Vec<Option<Anchor>>) {
    if points.is_empty() {
        return;
    }
    for _ in 0..rng.range(0, 1 + points.len() / 3) {
        let p = *rng.pick(points);
        let at = rng.below(points.len() + 1);
        points.insert(at, p);
    }
}

/// Bitwise equality of 2SFCA results (so `-0.0` against `0.0` or a different summing order would show).
fn assert_same_fca(got: &TwoStepFca, want: &TwoStepFca, what: &str) {
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let obits = |v: &[Option<f64>]| v.iter().map(|x| x.map(f64::to_bits)).collect::<Vec<_>>();
    assert_eq!(bits(&got.facility_demand), bits(&want.facility_demand), "{what}: demand");
    assert_eq!(obits(&got.facility_ratio), obits(&want.facility_ratio), "{what}: ratios");
    assert_eq!(bits(&got.home_access), bits(&want.home_access), "{what}: access");
}

/// Counts per threshold and 2SFCA, searched from the facilities and from the homes, equal the
/// expanded graph's counts and, bit for bit, 2SFCA on the per-facility reach lists; with copies
/// of points, more facilities than homes and the reverse.
#[test]
fn within_thresholds_from_either_side_matches_the_references() {
    let mut sides_seen = [0usize; 2];
    let mut fca_checked = 0;
    for (i, &seed) in SEEDS.iter().enumerate() {
        let (mut rng, net) = net_for(seed, i);
        let g = &net.graph;
        let pool = WorkspacePool::new(g.num_nodes());
        for round in 0..6 {
            let what = format!("seed {seed:#x} round {round}");
            let (mut facilities, mut homes) = random_points(&mut rng, g);
            if round % 2 == 1 {
                std::mem::swap(&mut facilities, &mut homes);
            }
            with_copies(&mut rng, &mut facilities);
            with_copies(&mut rng, &mut homes);
            let times = Expanded::new(g, &facilities, &homes).facility_home_times();
            let limits = random_thresholds(&mut rng, &times);
            let main = *limits.last().expect("a threshold");
            let by_edge = ByEdge::new(g.num_edges(), &homes);
            let reach = reach_within(g, &pool, &facilities, &homes, &by_edge, main);
            let want_counts = counts_per_threshold(&reach, homes.len(), &limits);
            for (k, &limit) in limits.iter().enumerate() {
                let (_, expanded) = reference::coverage(&times, homes.len(), limit);
                assert_eq!(want_counts[k], expanded, "{what}: reach lists against the expanded graph at {limit:?}");
            }
            // Capacities on most facilities; populations with fractions (summing order shows in the bits), some 0.
            let capacity: Vec<Option<f64>> =
                facilities.iter().map(|_| rng.chance(0.7).then(|| rng.float(1.0, 300.0))).collect();
            let population: Vec<f64> =
                homes.iter().map(|_| if rng.chance(0.15) { 0.0 } else { rng.float(0.1, 9.0) }).collect();
            let want_fca = two_step_fca(&reach, &capacity, &population, main);
            let supply = Supply { capacity: &capacity, population: &population };
            for side in [SearchSide::Facilities, SearchSide::Homes] {
                let w = within_thresholds_from(side, g, &pool, &facilities, &homes, &by_edge, &limits, None);
                assert_eq!(w.counts, want_counts, "{what}: counts from {side:?} at {limits:?}");
                assert_eq!(w.two_step_fca, None);
                let w = within_thresholds_from(side, g, &pool, &facilities, &homes, &by_edge, &limits, Some(supply));
                assert_eq!(w.counts, want_counts, "{what}: counts with 2SFCA from {side:?} at {limits:?}");
                assert_same_fca(w.two_step_fca.as_ref().expect("2SFCA"), &want_fca, &format!("{what} from {side:?}"));
                fca_checked += 1;
            }
            let auto = within_thresholds(g, &pool, &facilities, &homes, &by_edge, &limits, None);
            let on = |v: &[Option<Anchor>]| v.iter().flatten().count();
            let expected_side = if on(&facilities) > on(&homes) { SearchSide::Homes } else { SearchSide::Facilities };
            assert_eq!(auto.side, expected_side, "{what}");
            assert_eq!(search_side(&facilities, &homes), expected_side);
            sides_seen[(auto.side == SearchSide::Homes) as usize] += 1;
        }
    }
    assert!(sides_seen[0] > 20 && sides_seen[1] > 20, "both sides chosen: {sides_seen:?}");
    assert_eq!(fca_checked, 20 * 6 * 2);
}

/// The radix sort of reach lists against a comparison sort: distinct targets of every magnitude.
#[test]
fn sort_by_target_matches_sort_unstable() {
    let mut rng = SplitMix64::new(0x5027_0000_0000_0001);
    for (len, bits) in
        [(0usize, 8u32), (5, 32), (1023, 12), (1024, 10), (5000, 11), (5000, 22), (20_000, 32), (3000, 33)]
    {
        let mut seen = std::collections::BTreeSet::new();
        let mut list: Vec<(u32, TimeMs)> = Vec::new();
        let cap = if bits >= 32 { u64::from(u32::MAX) + 1 } else { 1u64 << bits };
        while list.len() < len.min(cap as usize) {
            let t = (rng.next_u64() % cap) as u32;
            if seen.insert(t) {
                list.push((t, TimeMs(rng.below(1_000_000) as u32)));
            }
        }
        if bits == 33 {
            list.push((u32::MAX, TimeMs(7))); // the largest index
        }
        let mut want = list.clone();
        want.sort_unstable();
        sort_by_target(&mut list);
        assert_eq!(list, want, "{len} targets below 2^{bits}");
    }
}

/// `EdgeCounts` against counting each point of the edge with the per-point formula.
#[test]
fn edge_counts_match_a_loop_over_the_points() {
    let mut partial_both = 0;
    for (i, &seed) in SEEDS.iter().enumerate() {
        let (mut rng, net) = net_for(seed, i);
        let g = &net.graph;
        let hot: Vec<u32> = (0..3).map(|_| rng.below(g.num_edges()) as u32).collect();
        let mut points: Vec<Option<Anchor>> = (0..rng.range(0, 80)).map(|_| random_anchor(&mut rng, g, &hot)).collect();
        with_copies(&mut rng, &mut points);
        let counts = EdgeCounts::new(g.num_edges(), &points);
        let by_edge = ByEdge::new(g.num_edges(), &points);
        for _ in 0..300 {
            let e = EdgeId(if rng.chance(0.7) { *rng.pick(&hot) } else { rng.below(g.num_edges()) as u32 });
            let end_time = |rng: &mut SplitMix64| match rng.below(5) {
                0 => TimeMs::INF,
                1 => TimeMs(0),
                _ => TimeMs(rng.range(0, 400_000) as u32),
            };
            let (du, dv) = (end_time(&mut rng), end_time(&mut rng));
            let limit = TimeMs(if rng.chance(0.1) { u32::MAX - 1 } else { rng.range(0, 500_000) as u32 });
            let mut from_u = 0;
            let mut from_v = 0;
            let want = by_edge
                .on(e)
                .iter()
                .filter(|&&p| {
                    let a = points[p as usize].expect("grouped anchors exist");
                    let (tu, tv) = (du.saturating_add(a.to_u), dv.saturating_add(a.to_v));
                    from_u += (tu.saturating_add(a.access) <= limit) as usize;
                    from_v += (tv.saturating_add(a.access) <= limit) as usize;
                    tu.min(tv).saturating_add(a.access) <= limit
                })
                .count() as u32;
            let n = by_edge.on(e).len();
            partial_both += (from_u > 0 && from_v > 0 && from_u < n && from_v < n) as usize;
            assert_eq!(counts.len(e), n);
            assert_eq!(counts.count_within(e, limit, du, dv), want, "seed {seed:#x} {e:?} {limit:?} {du:?} {dv:?}");
        }
    }
    assert!(partial_both > 50, "edges reached partly from both ends: {partial_both}");
}

/// The same counts and 2SFCA on 1 and 3 threads, from either side.
#[test]
fn within_thresholds_does_not_depend_on_the_thread_count() {
    for (i, &seed) in SEEDS.iter().enumerate().take(6) {
        let (mut rng, net) = net_for(seed, i);
        let g = &net.graph;
        let (facilities, homes) = random_points(&mut rng, g);
        let by_edge = ByEdge::new(g.num_edges(), &homes);
        let capacity: Vec<Option<f64>> = facilities.iter().map(|_| Some(rng.float(1.0, 50.0))).collect();
        let population: Vec<f64> = homes.iter().map(|_| rng.float(0.5, 4.0)).collect();
        let supply = Supply { capacity: &capacity, population: &population };
        let limits = [TimeMs(120_000), TimeMs(300_000)];
        for side in [SearchSide::Facilities, SearchSide::Homes] {
            let results: Vec<_> = [1, 3]
                .iter()
                .map(|&threads| {
                    let p = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
                    p.install(|| {
                        let ws = WorkspacePool::new(g.num_nodes());
                        within_thresholds_from(side, g, &ws, &facilities, &homes, &by_edge, &limits, Some(supply))
                    })
                })
                .collect();
            assert_eq!(results[0].counts, results[1].counts, "seed {seed:#x} {side:?}");
            let (a, b) = (results[0].two_step_fca.as_ref().unwrap(), results[1].two_step_fca.as_ref().unwrap());
            assert_same_fca(a, b, &format!("seed {seed:#x} {side:?}"));
        }
    }
}

/// Many facilities crowded on a few edges (with copies and ties along the edge): nearest times
/// and k-nearest means equal the expanded graph's, the means bit for bit (summed in ascending
/// time, as the library does).
#[test]
fn nearest_and_k_nearest_with_crowded_edges_match_the_expanded_graph() {
    let mut same_edge_wins = 0;
    for (i, &seed) in SEEDS.iter().enumerate() {
        let (mut rng, net) = net_for(seed, i);
        let g = &net.graph;
        let mut ws = DijkstraWorkspace::new(g.num_nodes());
        for round in 0..3 {
            let what = format!("seed {seed:#x} round {round}");
            let hot: Vec<u32> = (0..rng.range(1, 3)).map(|_| rng.below(g.num_edges()) as u32).collect();
            let mut facilities: Vec<Option<Anchor>> =
                (0..rng.range(20, 70)).map(|_| random_anchor(&mut rng, g, &hot)).collect();
            with_copies(&mut rng, &mut facilities);
            let homes: Vec<Option<Anchor>> = (0..rng.range(5, 40)).map(|_| random_anchor(&mut rng, g, &hot)).collect();
            let times = Expanded::new(g, &facilities, &homes).facility_home_times();
            let nearest = nearest_times(g, &mut ws, &facilities, &homes);
            for k in [1usize, 2, 3, 5] {
                let got = k_nearest_mean_minutes(g, &facilities, &homes, k);
                for h in 0..homes.len() {
                    let mut t: Vec<u64> = times.iter().filter_map(|row| row[h]).collect();
                    t.sort_unstable();
                    if k == 1 {
                        assert_eq!(opt(nearest[h]), t.first().copied(), "{what}: nearest of home {h}");
                        let via_ends = homes[h].map(|a| {
                            let (u, v) = g.edge_endpoints(a.edge);
                            let d = reference::node_times(
                                g,
                                &facilities.iter().flatten().flat_map(|f| f.seeds(g)).collect::<Vec<_>>(),
                            );
                            let end = |n: NodeId, to: TimeMs| d[n.idx()].map_or(u64::MAX, |x| x + to.0 as u64);
                            end(u, a.to_u).min(end(v, a.to_v)).saturating_add(a.access.0 as u64)
                        });
                        same_edge_wins += t.first().is_some_and(|&best| via_ends.is_some_and(|v| best < v)) as usize;
                    }
                    let want = if t.len() < k {
                        f64::INFINITY
                    } else {
                        t[..k].iter().fold(0.0, |s, &ms| s + ms as f64 / 60_000.0) / k as f64
                    };
                    assert_eq!(got[h].to_bits(), want.to_bits(), "{what}: k={k} home {h}: {} vs {want}", got[h]);
                }
            }
        }
    }
    assert!(same_edge_wins > 30, "homes whose nearest facility is along their own edge: {same_edge_wins}");
}

/// The nearest facility of every home, with copies and crowded edges making
/// exact ties: its time is the expanded graph's least, its facility the first
/// listed among those at that time, and the time equals `nearest_times`.
#[test]
fn nearest_facility_is_the_first_listed_of_the_nearest() {
    let mut ties = 0;
    for (i, &seed) in SEEDS.iter().enumerate() {
        let (mut rng, net) = net_for(seed, i);
        let g = &net.graph;
        let mut ws = DijkstraWorkspace::new(g.num_nodes());
        for round in 0..3 {
            let what = format!("seed {seed:#x} round {round}");
            let hot: Vec<u32> = (0..rng.range(1, 3)).map(|_| rng.below(g.num_edges()) as u32).collect();
            let mut facilities: Vec<Option<Anchor>> =
                (0..rng.range(5, 60)).map(|_| random_anchor(&mut rng, g, &hot)).collect();
            with_copies(&mut rng, &mut facilities);
            let homes: Vec<Option<Anchor>> = (0..rng.range(5, 40)).map(|_| random_anchor(&mut rng, g, &hot)).collect();
            let times = Expanded::new(g, &facilities, &homes).facility_home_times();
            let got = nearest_facilities(g, &facilities, &homes, TimeMs::INF);
            let plain = nearest_times(g, &mut ws, &facilities, &homes);
            // A budget (the reach of `--reach-minutes`) keeps what is within it and nothing else.
            let budget = TimeMs(rng.range(1, 400_000) as u32);
            let bounded = nearest_facilities(g, &facilities, &homes, budget);
            for h in 0..homes.len() {
                let want = if got[h].0 <= budget { got[h] } else { (TimeMs::INF, None) };
                assert_eq!(bounded[h], want, "{what}: home {h} within {budget:?}");
                let best = times.iter().filter_map(|row| row[h]).min();
                let first = best.and_then(|b| times.iter().position(|row| row[h] == Some(b)));
                ties += best.is_some_and(|b| times.iter().filter(|row| row[h] == Some(b)).count() > 1) as usize;
                assert_eq!(opt(got[h].0), best, "{what}: home {h} time");
                assert_eq!(got[h].1.map(|f| f as usize), first, "{what}: home {h} facility");
                assert_eq!(got[h].0, plain[h], "{what}: home {h} against nearest_times");
            }
        }
    }
    assert!(ties > 20, "homes with several facilities at the least time: {ties}");
}

/// Distance from `q` to the nearest point of every segment of `g`, computed
/// independently of the library: the closest point of each chord found by
/// projection in Earth-centred coordinates, clamped to the segment.
fn independent_nearest_distance(g: &WalkGraph, q: [f64; 2]) -> f64 {
    let q = to_ecef(q);
    let mut best = f64::INFINITY;
    for e in 0..g.num_edges() {
        for w in g.edge_geometry(EdgeId(e as u32)).windows(2) {
            let (a, b) = (to_ecef(w[0]), to_ecef(w[1]));
            let ab: Vec<f64> = (0..3).map(|k| b[k] - a[k]).collect();
            let aq: Vec<f64> = (0..3).map(|k| q[k] - a[k]).collect();
            let l2: f64 = ab.iter().map(|x| x * x).sum();
            let t =
                if l2 > 0.0 { (ab.iter().zip(&aq).map(|(x, y)| x * y).sum::<f64>() / l2).clamp(0.0, 1.0) } else { 0.0 };
            let d: f64 = (0..3).map(|k| (a[k] + t * ab[k] - q[k]).powi(2)).sum::<f64>().sqrt();
            best = best.min(d);
        }
    }
    best
}

/// The Earth-centred position `offset_m` along edge `e` (interpolating each segment's chord by length).
fn point_at_offset(g: &WalkGraph, e: EdgeId, offset_m: f64) -> [f64; 3] {
    let geom = g.edge_geometry(e);
    let mut acc = 0.0;
    let last = geom.len() - 2;
    for (k, w) in geom.windows(2).enumerate() {
        let len = polyline_m(w);
        if offset_m <= acc + len || k == last {
            let t = if len > 0.0 { ((offset_m - acc) / len).clamp(0.0, 1.0) } else { 0.0 };
            let (a, b) = (to_ecef(w[0]), to_ecef(w[1]));
            return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
        }
        acc += len;
    }
    to_ecef(geom[0])
}

fn dist3(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

#[test]
fn snap_index_matches_brute_force() {
    let mut checked = 0;
    for (i, &seed) in SEEDS.iter().enumerate() {
        let (mut rng, net) = net_for(seed, i);
        let g = &net.graph;
        let index = SnapIndex::new(g);
        let (min, max) = net.bbox;
        let mut queries: Vec<[f64; 2]> = (0..60)
            .map(|_| [rng.float(min[0] - 0.003, max[0] + 0.003), rng.float(min[1] - 0.003, max[1] + 0.003)])
            .collect();
        // Points exactly on vertices and on the middle of segments (access 0).
        for _ in 0..15 {
            let geom = g.edge_geometry(EdgeId(rng.below(g.num_edges()) as u32));
            let k = rng.below(geom.len() - 1);
            queries.push(geom[k]);
            queries.push([(geom[k][0] + geom[k + 1][0]) / 2.0, (geom[k][1] + geom[k + 1][1]) / 2.0]);
        }
        // The batch with its reused heaps gives what one search at a time gives.
        // So does the batch searched in the points' own order.
        let batch = index.snap_all_within(g, &queries, |i| if i % 3 == 0 { 25.0 } else { f64::INFINITY });
        let each = index.snap_each_within(g, &queries, |i| if i % 3 == 0 { 25.0 } else { f64::INFINITY });
        for (i, ((&q, b), e)) in queries.iter().zip(&batch).zip(&each).enumerate() {
            let radius_m = if i % 3 == 0 { 25.0 } else { f64::INFINITY };
            assert_eq!(*b, index.snap_within(g, q, radius_m), "seed {seed:#x} point {q:?}: batch");
            assert_eq!(*e, *b, "seed {seed:#x} point {q:?}: batch in the points' order");
        }
        for q in queries {
            let what = format!("seed {seed:#x} point {q:?}");
            let s = index.snap(g, q).expect("a graph with edges");
            let b = snap_brute_force(g, q).expect("a graph with edges");
            // The same snap, ties (points at junctions) to the first edge in edge order.
            assert_eq!(s, b, "{what}: index vs brute force");
            // A bounded search finds the same snap within its radius, nothing beyond.
            let radius_m = rng.float(0.0, 2.0 * s.access_m + 1.0);
            match index.snap_within(g, q, radius_m) {
                Some(w) => assert_eq!(w, s, "{what}: within {radius_m} m"),
                None => assert!(s.access_m > radius_m, "{what}: nothing within {radius_m} m but {s:?}"),
            }
            let reference = independent_nearest_distance(g, q);
            assert!((b.access_m - reference).abs() <= 1e-6, "{what}: brute force {b:?} vs independent {reference}");
            for snap in [s, b] {
                let len = g.edge_length_m(snap.edge);
                assert!(
                    snap.offset_m >= 0.0 && snap.offset_m <= len * (1.0 + 1e-12) + 1e-9,
                    "{what}: offset {snap:?} outside [0, {len}]"
                );
                // The snapped point really is access_m from q (offset and access agree).
                let p = point_at_offset(g, snap.edge, snap.offset_m);
                assert!((dist3(p, to_ecef(q)) - snap.access_m).abs() < 1e-3, "{what}: {snap:?} inconsistent");
                let a = Anchor::from_snap(g, &snap);
                assert_eq!(a.to_u.0 + a.to_v.0, g.edge_time(snap.edge).0, "{what}: {a:?}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 20 * 90);
}

#[test]
fn vertex_snap_finds_the_nearest_vertex() {
    for (i, &seed) in SEEDS.iter().enumerate().take(8) {
        let (mut rng, net) = net_for(seed, i);
        let g = &net.graph;
        let index = VertexSnapIndex::new(g);
        let (min, max) = net.bbox;
        for _ in 0..40 {
            let q = [rng.float(min[0] - 0.002, max[0] + 0.002), rng.float(min[1] - 0.002, max[1] + 0.002)];
            let s = index.snap(g, q).expect("vertices");
            // Exactly the brute-force scan's vertex (the first in edge order on ties).
            assert_eq!(Some(s), lifecircle::snap::snap_vertex_brute_force(g, q), "seed {seed:#x} {q:?}");
            let qe = to_ecef(q);
            let best = (0..g.num_edges())
                .flat_map(|e| g.edge_geometry(EdgeId(e as u32)).iter().map(|&p| dist3(to_ecef(p), qe)))
                .fold(f64::INFINITY, f64::min);
            assert!((s.access_m - best).abs() <= 1e-6, "seed {seed:#x} {q:?}: {s:?} vs {best}");
            // The offset names a vertex of the snapped edge at that distance.
            let geom = g.edge_geometry(s.edge);
            let at = (0..geom.len())
                .find(|&k| (polyline_m(&geom[..=k]) - s.offset_m).abs() < 1e-6)
                .unwrap_or_else(|| panic!("seed {seed:#x}: offset {} is not at a vertex of {:?}", s.offset_m, s.edge));
            let d = dist3(to_ecef(geom[at]), qe);
            // Zero-length segments make several vertices share an offset; one of them must be the nearest.
            let ok = (0..geom.len())
                .filter(|&k| (polyline_m(&geom[..=k]) - s.offset_m).abs() < 1e-6)
                .any(|k| (dist3(to_ecef(geom[k]), qe) - s.access_m).abs() < 1e-6);
            assert!(ok, "seed {seed:#x}: vertex at {at} is {d} m away, snap says {}", s.access_m);
        }
    }
}

#[test]
fn classifier_agrees_with_classify_on_every_bundled_taxonomy() {
    use lifecircle::Taxonomy;
    const KEYS: [&str; 16] = [
        "amenity",
        "shop",
        "healthcare",
        "social_facility",
        "social_facility:for",
        "community_centre",
        "community_centre:for",
        "leisure",
        "office",
        "craft",
        "cuisine",
        "breakfast",
        "name",
        "name:zh",
        "highway",
        "building",
    ];
    const VALUES: [&str; 18] = [
        "supermarket",
        "convenience",
        "marketplace",
        "clinic",
        "doctors",
        "kindergarten",
        "childcare",
        "social_facility",
        "community_centre",
        "senior",
        "nursing_home",
        "yes",
        "no",
        "residential",
        "footway",
        "社区卫生服务站",
        "老年食堂",
        "幼儿园",
    ];
    let mut taxonomies: Vec<Taxonomy> =
        Taxonomy::bundled_names().into_iter().map(|n| Taxonomy::bundled(n).expect("bundled")).collect();
    taxonomies.push(Taxonomy::builtin());
    let mut rng = SplitMix64::new(SEEDS[0]);
    let mut matched = 0;
    for _ in 0..20_000 {
        let n = rng.below(4);
        let tags: Vec<(&str, &str)> = (0..n).map(|_| (*rng.pick(&KEYS), *rng.pick(&VALUES))).collect();
        for t in &taxonomies {
            let want = t.classify(tags.as_slice());
            assert_eq!(t.classifier().classify(tags.as_slice()), want, "{:?}: {tags:?}", t.name);
            matched += (want != 0) as usize;
        }
    }
    assert!(matched > 1000, "the random tags match categories often enough to test ({matched})");
}
