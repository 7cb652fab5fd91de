//! Hand-built networks with every answer worked out by hand.
//!
//! Nodes sit on the equator and on meridians, where 0.001° is
//! `L = 6 371 008.8 m × 0.001° × π/180 = 111.195 080 2 m`. At a walking speed
//! of 1 m/s such an edge takes `T = round(111 195.08 ms) = 111 195 ms`; two of
//! them `222 390 ms`, three `333 585 ms` (also equal to `round(2L)`,
//! `round(3L)` in ms). Horizontal edges at latitude 0.001°–0.002° are shorter
//! by a factor `cos(0.002°) = 1 − 6·10⁻¹⁰`, i.e. 0.07 µs: still 111 195 ms.

use lifecircle::coverage::ByEdge;
use lifecircle::coverage::count_within::{count_within, homes_within};
use lifecircle::coverage::nearest::nearest_times;
use lifecircle::graph::WalkGraph;
use lifecircle::ids::{EdgeId, NodeId, TimeMs};
use lifecircle::routing::{Anchor, DijkstraWorkspace, WorkspacePool, dijkstra};
use lifecircle::snap::{SnapIndex, snap_brute_force};

use crate::common::graphs::{MILLIDEGREE_M, anchor, edge, straight};

/// Time of one 0.001° edge at 1 m/s, ms.
const T: u32 = 111_195;
/// No budget.
const UNBOUNDED: TimeMs = TimeMs(u32::MAX - 1);
const INF: TimeMs = TimeMs::INF;

/// Nodes 0–1–2–3 at longitude 0, 0.001, 0.002, 0.003 on the equator; edges e0 = (0,1), e1 = (1,2), e2 = (2,3).
fn path4() -> WalkGraph {
    let nodes: Vec<[f64; 2]> = (0..4).map(|i| [i as f64 * 0.001, 0.0]).collect();
    let edges = vec![straight(&nodes, 0, 1), straight(&nodes, 1, 2), straight(&nodes, 2, 3)];
    WalkGraph::new(nodes, edges, 1.0)
}

fn times(ws: &DijkstraWorkspace, n: usize) -> Vec<TimeMs> {
    (0..n as u32).map(|i| ws.time(NodeId(i))).collect()
}

fn settled(ws: &DijkstraWorkspace) -> Vec<u32> {
    ws.settled().map(|n| n.0).collect()
}

fn counts(g: &WalkGraph, facilities: &[Option<Anchor>], homes: &[Option<Anchor>], threshold: u32) -> Vec<u32> {
    let pool = WorkspacePool::new(g.num_nodes());
    let by_edge = ByEdge::new(g.num_edges(), homes);
    count_within(g, &pool, facilities, homes, &by_edge, TimeMs(threshold))
}

fn nearest(g: &WalkGraph, facilities: &[Option<Anchor>], homes: &[Option<Anchor>]) -> Vec<TimeMs> {
    let mut ws = DijkstraWorkspace::new(g.num_nodes());
    nearest_times(g, &mut ws, facilities, homes)
}

#[test]
fn edge_lengths_and_times_on_the_equator_and_a_meridian() {
    // A(0,0) B(0.001,0) C(0.001,0.001) D(0.003,0).
    let nodes = vec![[0.0, 0.0], [0.001, 0.0], [0.001, 0.001], [0.003, 0.0]];
    let edges = vec![
        straight(&nodes, 0, 1),                                       // 0.001° of longitude: L
        straight(&nodes, 1, 2),                                       // 0.001° of latitude: L
        straight(&nodes, 1, 3),                                       // 0.002° of longitude: 2L
        edge(0, 2, vec![[0.0, 0.0], [0.0, 0.001], [0.001, 0.001]]),   // north then east: ≈ 2L
        edge(3, 3, vec![[0.003, 0.0], [0.003, 0.001], [0.003, 0.0]]), // out and back: 2L, a self-loop
    ];
    let g = WalkGraph::new(nodes.clone(), edges.clone(), 1.0);
    let len = |e: u32| g.edge_length_m(EdgeId(e));
    assert!((len(0) - 111.195_080_2).abs() < 1e-6, "{}", len(0));
    assert!((len(1) - 111.195_080_2).abs() < 1e-6, "{}", len(1));
    assert!((len(2) - 222.390_160_5).abs() < 1e-6, "{}", len(2));
    assert!((len(3) - 222.390_160_5).abs() < 1e-4, "{}", len(3));
    assert!((len(4) - 222.390_160_5).abs() < 1e-6, "{}", len(4));
    let time = |e: u32| g.edge_time(EdgeId(e)).0;
    assert_eq!([time(0), time(1), time(2), time(3), time(4)], [T, T, 222_390, 222_390, 222_390]);

    // 4.5 km/h = 1.25 m/s: 111.1950802 m / 1.25 m/s = 88.956064 s.
    let g45 = WalkGraph::new(nodes, edges, 4.5 / 3.6);
    assert_eq!(g45.edge_time(EdgeId(0)), TimeMs(88_956));
    assert_eq!(g45.edge_time(EdgeId(2)), TimeMs(177_912)); // 177.912128 s

    // Proportional share of the edge time: 111 195 × 1/4 = 27 798.75 → 27 799.
    assert_eq!(g.time_to_offset(EdgeId(0), MILLIDEGREE_M / 4.0), TimeMs(27_799));
    assert_eq!(g.time_to_offset(EdgeId(0), 0.0), TimeMs(0));
    assert_eq!(g.time_to_offset(EdgeId(0), -5.0), TimeMs(0), "clamped below");
    assert_eq!(g.time_to_offset(EdgeId(0), 2.0 * MILLIDEGREE_M), TimeMs(T), "clamped above");

    // Adjacency: B has A, C, D; the self-loop at D is listed once.
    let mut nb: Vec<(u32, u32, u32)> = g.neighbors(NodeId(1)).map(|(n, e, t)| (n.0, e.0, t.0)).collect();
    nb.sort();
    assert_eq!(nb, vec![(0, 0, T), (2, 1, T), (3, 2, 222_390)]);
    let mut nd: Vec<(u32, u32)> = g.neighbors(NodeId(3)).map(|(n, e, _)| (n.0, e.0)).collect();
    nd.sort();
    assert_eq!(nd, vec![(1, 2), (3, 4)]);
    assert_eq!(g.edge_endpoints(EdgeId(3)), (NodeId(0), NodeId(2)));
    assert_eq!(g.edge_geometry(EdgeId(3)).len(), 3);
}

#[test]
fn dijkstra_on_a_path_with_and_without_budget() {
    let g = path4();
    let mut ws = DijkstraWorkspace::new(g.num_nodes());

    // From node 0: 0, T, 2T, 3T.
    dijkstra(&g, &mut ws, &[(NodeId(0), TimeMs(0))], UNBOUNDED);
    assert_eq!(times(&ws, 4), [TimeMs(0), TimeMs(111_195), TimeMs(222_390), TimeMs(333_585)]);
    assert_eq!(settled(&ws), [0, 1, 2, 3]);

    // A budget of exactly 2T settles node 2 (at the budget counts), not node 3.
    dijkstra(&g, &mut ws, &[(NodeId(0), TimeMs(0))], TimeMs(222_390));
    assert_eq!(times(&ws, 4), [TimeMs(0), TimeMs(111_195), TimeMs(222_390), INF]);
    assert_eq!(settled(&ws), [0, 1, 2]);

    // One millisecond less and node 2 is out.
    dijkstra(&g, &mut ws, &[(NodeId(0), TimeMs(0))], TimeMs(222_389));
    assert_eq!(times(&ws, 4), [TimeMs(0), TimeMs(111_195), INF, INF]);

    // Two sources, node 3 starting at 50 000: node 2 = min(2T, 50 000 + T) = 161 195.
    dijkstra(&g, &mut ws, &[(NodeId(0), TimeMs(0)), (NodeId(3), TimeMs(50_000))], UNBOUNDED);
    assert_eq!(times(&ws, 4), [TimeMs(0), TimeMs(111_195), TimeMs(161_195), TimeMs(50_000)]);
    assert_eq!(settled(&ws), [0, 3, 1, 2], "settled in order of time");

    // A seed over the budget is ignored.
    dijkstra(&g, &mut ws, &[(NodeId(3), TimeMs(500_000))], TimeMs(400_000));
    assert_eq!(times(&ws, 4), [INF; 4]);
    assert_eq!(settled(&ws).len(), 0);

    // The same node seeded twice: the smaller time wins. Node 0 = 4 000 + T.
    dijkstra(&g, &mut ws, &[(NodeId(1), TimeMs(9_000)), (NodeId(1), TimeMs(4_000))], UNBOUNDED);
    assert_eq!(times(&ws, 4), [TimeMs(115_195), TimeMs(4_000), TimeMs(115_195), TimeMs(226_390)]);
}

#[test]
fn dijkstra_on_a_grid_gives_manhattan_times() {
    // 3 × 3 grid, node r*3 + c at (0.001 c, 0.001 r); every edge takes T.
    let nodes: Vec<[f64; 2]> = (0..9).map(|i| [(i % 3) as f64 * 0.001, (i / 3) as f64 * 0.001]).collect();
    let mut edges = Vec::new();
    for r in 0..3u32 {
        for c in 0..3u32 {
            let i = r * 3 + c;
            if c < 2 {
                edges.push(straight(&nodes, i, i + 1));
            }
            if r < 2 {
                edges.push(straight(&nodes, i, i + 3));
            }
        }
    }
    let g = WalkGraph::new(nodes, edges, 1.0);
    assert!((0..g.num_edges()).all(|e| g.edge_time(EdgeId(e as u32)) == TimeMs(T)));
    let mut ws = DijkstraWorkspace::new(0); // grows on first use

    // From corner 0: (r + c) T.
    dijkstra(&g, &mut ws, &[(NodeId(0), TimeMs(0))], UNBOUNDED);
    for i in 0..9u32 {
        assert_eq!(ws.time(NodeId(i)), TimeMs((i / 3 + i % 3) * T), "node {i}");
    }
    // From corners 0 and 8: min(r + c, 4 − r − c) T.
    dijkstra(&g, &mut ws, &[(NodeId(0), TimeMs(0)), (NodeId(8), TimeMs(0))], UNBOUNDED);
    for i in 0..9u32 {
        let k = i / 3 + i % 3;
        assert_eq!(ws.time(NodeId(i)), TimeMs(k.min(4 - k) * T), "node {i}");
    }
    // Budget 2T from corner 0: the six nodes with r + c ≤ 2.
    dijkstra(&g, &mut ws, &[(NodeId(0), TimeMs(0))], TimeMs(2 * T));
    let mut s = settled(&ws);
    s.sort();
    assert_eq!(s, [0, 1, 2, 3, 4, 6]);
    assert_eq!(ws.time(NodeId(5)), INF);
}

/// On `path4` (see [`path4`]):
/// - F1 on e0 at 10 000 ms from node 0 (to_v 101 195), access 500;
/// - F2 on e2 at its node-3 end (to_u = T), access 0;
/// - H0 on e0 at 50 000 (to_v 61 195), access 300;
/// - H1 on e2 at 1 000 (to_v 110 195), access 0;
/// - H2 off the network;
/// - H3 on e1 at its node-1 end (to_u 0), access 0.
///
/// From F1: node 0 = 500 + 10 000 = 10 500, node 1 = 500 + 101 195 = 101 695,
/// node 2 = 101 695 + T = 212 890.
/// - H0 along e0 directly: |50 000 − 10 000| + 500 + 300 = 40 800
///   (through node 0 it would be 10 500 + 50 000 + 300 = 60 800);
/// - H1 via node 2: 212 890 + 1 000 = 213 890;
/// - H3 = node 1 = 101 695.
///
/// From F2: node 3 = 0, node 2 = T = 111 195, node 1 = 222 390.
/// - H0 via node 1: 222 390 + 61 195 + 300 = 283 885;
/// - H1 via node 3: 110 195 (via node 2: 112 195);
/// - H3 = 222 390.
fn path_scenario() -> (WalkGraph, Vec<Option<Anchor>>, Vec<Option<Anchor>>) {
    let g = path4();
    let f1 = anchor(&g, 0, 10_000, 500);
    let f2 = anchor(&g, 2, T, 0);
    let homes = vec![anchor(&g, 0, 50_000, 300), anchor(&g, 2, 1_000, 0), None, anchor(&g, 1, 0, 0)];
    (g, vec![f1, f2], homes)
}

#[test]
fn nearest_times_on_a_path_by_hand() {
    let (g, fac, homes) = path_scenario();
    assert_eq!(nearest(&g, &fac[..1], &homes), [TimeMs(40_800), TimeMs(213_890), INF, TimeMs(101_695)], "F1 only");
    assert_eq!(nearest(&g, &fac[1..], &homes), [TimeMs(283_885), TimeMs(110_195), INF, TimeMs(222_390)], "F2 only");
    assert_eq!(nearest(&g, &fac, &homes), [TimeMs(40_800), TimeMs(110_195), INF, TimeMs(101_695)], "both");
    assert_eq!(nearest(&g, &[], &homes), [INF; 4], "no facility");
    assert_eq!(nearest(&g, &[None, None], &homes), [INF; 4], "no facility on the network");
}

#[test]
fn home_and_facility_on_the_same_edge_are_joined_directly() {
    // H0 and F1 share e0: 40 800 along the edge, 60 800 through node 0.
    let (g, fac, homes) = path_scenario();
    let t = nearest(&g, &fac[..1], &homes[..1]);
    assert_eq!(t, [TimeMs(40_800)], "must walk along the edge, not through its ends (60 800)");
    assert_eq!(homes[0].unwrap().same_edge_time(&fac[0].unwrap()), TimeMs(40_800));
    assert_eq!(fac[0].unwrap().same_edge_time(&homes[0].unwrap()), TimeMs(40_800), "symmetric");
    assert_eq!(counts(&g, &fac[..1], &homes[..1], 40_800), [1]);
    assert_eq!(counts(&g, &fac[..1], &homes[..1], 40_799), [0]);

    // The facility on the far side of the home: F at 100 000, H at 20 000 on e1, accesses 0:
    // 80 000 directly; through the ends 20 000 + T + ... is never shorter.
    let f = [anchor(&g, 1, 100_000, 0)];
    let h = [anchor(&g, 1, 20_000, 0)];
    assert_eq!(nearest(&g, &f, &h), [TimeMs(80_000)]);
    assert_eq!(counts(&g, &f, &h, 80_000), [1]);

    // Home and facility at the very same point: only the two accesses.
    let f = [anchor(&g, 1, 30_000, 1_200)];
    let h = [anchor(&g, 1, 30_000, 800)];
    assert_eq!(nearest(&g, &f, &h), [TimeMs(2_000)]);
}

#[test]
fn counts_within_thresholds_by_hand() {
    let (g, fac, homes) = path_scenario();
    // Threshold 213 890: H0 ← F1 (40 800); H1 ← F1 (213 890, exactly at the threshold) and F2 (110 195);
    // H3 ← F1 (101 695), F2 is 222 390.
    assert_eq!(counts(&g, &fac, &homes, 213_890), [1, 2, 0, 1]);
    assert_eq!(counts(&g, &fac, &homes, 213_889), [1, 1, 0, 1]);
    assert_eq!(counts(&g, &fac, &homes, 222_390), [1, 2, 0, 2]);
    assert_eq!(counts(&g, &fac, &homes, 40_800), [1, 0, 0, 0]);
    assert_eq!(counts(&g, &fac, &homes, 40_799), [0, 0, 0, 0]);
    assert_eq!(counts(&g, &fac, &homes, 283_885), [2, 2, 0, 2]);
    assert_eq!(counts(&g, &[None], &homes, 1_000_000), [0, 0, 0, 0]);

    let by_edge = ByEdge::new(g.num_edges(), &homes);
    assert_eq!(by_edge.on(EdgeId(0)), [0]);
    assert_eq!(by_edge.on(EdgeId(1)), [3]);
    assert_eq!(by_edge.on(EdgeId(2)), [1]);
    let mut ws = DijkstraWorkspace::new(g.num_nodes());
    assert_eq!(homes_within(&g, &mut ws, &fac[0].unwrap(), &homes, &by_edge, TimeMs(213_890)), [0, 1, 3]);
    assert_eq!(homes_within(&g, &mut ws, &fac[0].unwrap(), &homes, &by_edge, TimeMs(101_694)), [0]);
    assert_eq!(homes_within(&g, &mut ws, &fac[1].unwrap(), &homes, &by_edge, TimeMs(222_390)), [1, 3]);
}

#[test]
fn facility_access_longer_than_the_threshold() {
    let g = path4();
    // Facility 5 000 ms off the network, home right at its snap point.
    let f = [anchor(&g, 1, 40_000, 5_000)];
    let h = [anchor(&g, 1, 40_000, 0)];
    assert_eq!(nearest(&g, &f, &h), [TimeMs(5_000)]);
    assert_eq!(counts(&g, &f, &h, 5_000), [1]);
    assert_eq!(counts(&g, &f, &h, 4_999), [0]);
}

/// Nodes 0 (0,0) and 1 (0.001,0); e0 = straight 0–1 (T); e1 = a self-loop at 1
/// out to (0.001, 0.001) and back: 2L, 222 390 ms.
fn loop_graph() -> WalkGraph {
    let nodes = vec![[0.0, 0.0], [0.001, 0.0]];
    let edges = vec![straight(&nodes, 0, 1), edge(1, 1, vec![[0.001, 0.0], [0.001, 0.001], [0.001, 0.0]])];
    WalkGraph::new(nodes, edges, 1.0)
}

#[test]
fn self_loop_edge() {
    let g = loop_graph();
    assert_eq!(g.edge_time(EdgeId(1)), TimeMs(222_390));
    let mut ws = DijkstraWorkspace::new(g.num_nodes());
    dijkstra(&g, &mut ws, &[(NodeId(0), TimeMs(0))], UNBOUNDED);
    assert_eq!(times(&ws, 2), [TimeMs(0), TimeMs(T)]);
    assert_eq!(settled(&ws), [0, 1]);

    // F at node 0; G on the loop at 10 000 (to_v 212 390).
    let f = anchor(&g, 0, 0, 0);
    let gl = anchor(&g, 1, 10_000, 0);
    // Ha on the loop at 50 000 (to_v 172 390), Hb at 200 000 (to_v 22 390), Hc at 212 390 (to_v 10 000).
    let homes = [anchor(&g, 1, 50_000, 0), anchor(&g, 1, 200_000, 0), anchor(&g, 1, 212_390, 0)];
    // From F: node 1 = T; Ha = T + 50 000; Hb = T + 22 390 (leaving node 1 the other way round);
    // Hc = T + 10 000.
    assert_eq!(nearest(&g, &[f], &homes), [TimeMs(161_195), TimeMs(133_585), TimeMs(121_195)]);
    // From G (node 1 = min(10 000, 212 390) = 10 000): Ha directly 40 000 (via node 1: 60 000);
    // Hb via node 1: 10 000 + 22 390 = 32 390 (directly 190 000);
    // Hc via node 1: 10 000 + 10 000 = 20 000 (directly 202 390): on a loop the way
    // round through the end can beat the direct way along the edge.
    assert_eq!(nearest(&g, &[gl], &homes), [TimeMs(40_000), TimeMs(32_390), TimeMs(20_000)]);
    // Counts at 121 195: F reaches Hc only (exactly), G all three.
    assert_eq!(counts(&g, &[f, gl], &homes, 121_195), [1, 1, 2]);
    assert_eq!(counts(&g, &[f, gl], &homes, 121_194), [1, 1, 1]);
    assert_eq!(counts(&g, &[gl], &homes, 32_389), [0, 0, 1]);
}

#[test]
fn parallel_edges() {
    // Nodes 0 (0,0), 1 (0.001,0). e0 = detour north-east-south (3L, 333 585 ms), e1 = straight (T),
    // e2 = straight again, stored from 1 to 0.
    let nodes = vec![[0.0, 0.0], [0.001, 0.0]];
    let edges = vec![
        edge(0, 1, vec![[0.0, 0.0], [0.0, 0.001], [0.001, 0.001], [0.001, 0.0]]),
        straight(&nodes, 0, 1),
        straight(&nodes, 1, 0),
    ];
    let g = WalkGraph::new(nodes, edges, 1.0);
    assert_eq!(g.edge_time(EdgeId(0)), TimeMs(333_585));
    let mut ws = DijkstraWorkspace::new(g.num_nodes());
    dijkstra(&g, &mut ws, &[(NodeId(0), TimeMs(0))], UNBOUNDED);
    assert_eq!(ws.time(NodeId(1)), TimeMs(T), "the short one of the parallel edges");

    // F at node 0 (on e1). Home A on the detour at 300 000 (to_v 33 585): via node 1, T + 33 585 = 144 780.
    // Home B on e2 (u = 1, v = 0) at 11 195 from node 1 (to_v 100 000): via node 0, 100 000.
    let f = [anchor(&g, 1, 0, 0)];
    let homes = [anchor(&g, 0, 300_000, 0), anchor(&g, 2, 11_195, 0)];
    assert_eq!(nearest(&g, &f, &homes), [TimeMs(144_780), TimeMs(100_000)]);
    assert_eq!(counts(&g, &f, &homes, 144_780), [1, 1]);
    assert_eq!(counts(&g, &f, &homes, 144_779), [0, 1]);
    // A facility on every parallel edge at node 1: each home counts all three exactly once.
    let f3 = [anchor(&g, 0, 333_585, 0), anchor(&g, 1, T, 0), anchor(&g, 2, 0, 0)];
    // Home A: 33 585 from node 1 (same-edge facility: |300 000 − 333 585| = 33 585 too);
    // home B: 11 195 from node 1.
    assert_eq!(nearest(&g, &f3, &homes), [TimeMs(33_585), TimeMs(11_195)]);
    assert_eq!(counts(&g, &f3, &homes, 33_585), [3, 3]);
}

#[test]
fn unreachable_points() {
    // Two components: 0–1 and 2–3.
    let nodes = vec![[0.0, 0.0], [0.001, 0.0], [0.01, 0.0], [0.011, 0.0]];
    let edges = vec![straight(&nodes, 0, 1), straight(&nodes, 2, 3)];
    let g = WalkGraph::new(nodes, edges, 1.0);
    let f = [anchor(&g, 0, 1_000, 0), None];
    let homes = [anchor(&g, 1, 5_000, 0), None, anchor(&g, 0, 3_000, 0)];
    assert_eq!(nearest(&g, &f, &homes), [INF, INF, TimeMs(2_000)]);
    assert_eq!(counts(&g, &f, &homes, u32::MAX - 1), [0, 0, 1]);
    let mut ws = DijkstraWorkspace::new(g.num_nodes());
    dijkstra(&g, &mut ws, &[(NodeId(0), TimeMs(0))], UNBOUNDED);
    assert_eq!(times(&ws, 4), [TimeMs(0), TimeMs(T), INF, INF]);
}

#[test]
fn snapping_by_hand() {
    let nodes = vec![[0.0, 0.0], [0.001, 0.0]];
    let g = WalkGraph::new(nodes.clone(), vec![straight(&nodes, 0, 1)], 1.0);
    let index = SnapIndex::new(&g);

    // A quarter along the edge, 0.0002° north: offset L/4 = 27.798 770 m, access 0.2 L = 22.239 016 m
    // (plus the 0.2 mm sagitta of the chord under the arc).
    let s = index.snap(&g, [0.00025, 0.0002]).expect("a graph with an edge");
    assert_eq!(s.edge, EdgeId(0));
    assert!((s.offset_m - MILLIDEGREE_M / 4.0).abs() < 1e-4, "offset {}", s.offset_m);
    assert!((s.access_m - 0.2 * MILLIDEGREE_M).abs() < 1e-3, "access {}", s.access_m);
    // Times: to_u = round(111 195 / 4) = round(27 798.75) = 27 799, to_v = 83 396, access 22 239 ms.
    let a = Anchor::from_snap(&g, &s);
    assert_eq!((a.to_u, a.to_v, a.access), (TimeMs(27_799), TimeMs(83_396), TimeMs(22_239)));

    // Beyond the east end: the end point, 0.0002° of longitude away.
    let s = index.snap(&g, [0.0012, 0.0]).expect("snap");
    assert!((s.offset_m - MILLIDEGREE_M).abs() < 1e-9 && (s.access_m - 0.2 * MILLIDEGREE_M).abs() < 1e-3, "{s:?}");
    let a = Anchor::from_snap(&g, &s);
    assert_eq!((a.to_u, a.to_v), (TimeMs(T), TimeMs(0)));

    // Exactly on node 0.
    let s = index.snap(&g, [0.0, 0.0]).expect("snap");
    assert!(s.offset_m.abs() < 1e-9 && s.access_m < 1e-6, "{s:?}");
    let b = snap_brute_force(&g, [0.0, 0.0]).expect("snap");
    assert!(b.offset_m.abs() < 1e-9 && b.access_m < 1e-6, "{b:?}");

    // An empty graph snaps nothing.
    let empty = WalkGraph::new(vec![[0.0, 0.0]], vec![], 1.0);
    assert!(SnapIndex::new(&empty).snap(&empty, [0.0, 0.0]).is_none());
    assert!(snap_brute_force(&empty, [0.0, 0.0]).is_none());
}

#[test]
fn snapping_picks_the_nearer_of_two_edges() {
    // Two parallel east-west edges at latitude 0 and 0.001; a point at latitude 0.0007 is
    // 0.0003° (33.36 m) from the northern one and 0.0007° from the southern one.
    let nodes = vec![[0.0, 0.0], [0.002, 0.0], [0.0, 0.001], [0.002, 0.001]];
    let g = WalkGraph::new(nodes.clone(), vec![straight(&nodes, 0, 1), straight(&nodes, 2, 3)], 1.0);
    let s = SnapIndex::new(&g).snap(&g, [0.0015, 0.0007]).expect("snap");
    assert_eq!(s.edge, EdgeId(1));
    assert!((s.access_m - 0.3 * MILLIDEGREE_M).abs() < 1e-3, "{s:?}");
    assert!((s.offset_m - 1.5 * MILLIDEGREE_M).abs() < 1e-3, "{s:?}");
}
