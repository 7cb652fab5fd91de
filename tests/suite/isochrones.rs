//! Service areas (`isochrone/`, `isochrones.geojson`), checked against what
//! they claim to be: the ground within `buffer_m` of the network a facility
//! reaches within the budget.
//!
//! - the reached network (`reached_intervals`) against an independent
//!   re-derivation from petgraph node times, and partial edges by hand;
//! - the polygon against plain geometry written here: distances from points
//!   to the reached pieces (cut from the edge geometry with our own
//!   haversine, measured in the library's local metres), point-in-polygon on
//!   the lon/lat MultiPolygon, on random networks (named seeds), jittered
//!   street grids at 47°N and the Beijing fixture;
//! - validity and RFC 7946 winding, holes in reached blocks, pieces;
//! - `isochrones.geojson`: structure, home counts recounted from
//!   `coverage.geojson`, category unions, determinism, a golden summary
//!   (`tests/golden/beijing-bupt.isochrones.json`, `LIFECIRCLE_BLESS=1`
//!   rewrites it) and the CLI.
//!
//! **Tolerance.** The outline is traced on a raster, so a point counts as
//! decided only when it is farther than [`raster_tol`] from the buffer
//! distance: half a cell diagonal (the distance transform's error, which the
//! module documents), plus half a cell for the linear interpolation of
//! marching squares (it cuts corners where two distance slopes meet, e.g.
//! between two streets), plus the simplification tolerance. Half a diagonal
//! plus simplification alone is not enough: without simplification the
//! outline was measured up to 0.89 cell beyond the buffer (3.57 m for the 4 m
//! cells of a 20 m buffer, 7.88 m for 10 m cells; 60 random nets × 3 areas ×
//! 6000 points), so README's "outlines are accurate to half a cell diagonal"
//! is optimistic.

use std::path::Path;

use geo::coordinate_position::CoordPos;
use geo::{Area, Contains, Coord, Intersects, LineString, MultiPolygon, Point, Polygon, Validation, Winding};
use lifecircle::analysis::{IsochroneOptions, with_threads};
use lifecircle::graph::{EdgeSpec, WalkGraph};
use lifecircle::ids::{CategoryId, EdgeId, NodeId, TimeMs};
use lifecircle::isochrone::batch::{FacilityAreas, HomeIndex, category_areas, facility_areas};
use lifecircle::isochrone::service_area::{LocalProjection, sub_polyline};
use lifecircle::isochrone::{
    IsochroneParams, ReachedInterval, ServiceArea, build_area, intervals_within, local_projection, reached_intervals,
};
use lifecircle::routing::{Anchor, DijkstraWorkspace, WorkspacePool, dijkstra};
use lifecircle::{Analysis, analyze, run};
use osmpbfreader::{OsmObj, OsmPbfReader};
use serde_json::{Value, json};

use crate::cli::{Run, assert_input_error};
use crate::common::graphs::{MILLIDEGREE_M, anchor, edge, haversine, polyline_m, random_anchor, random_net, straight};
use crate::common::reference::{Expanded, node_times};
use crate::common::rng::SplitMix64;
use crate::common::{beijing, config, dir_entries, read_json, run_cli};

// ---------------------------------------------------------------------------------------------
// Independent geometry
// ---------------------------------------------------------------------------------------------

/// Metres per degree of latitude on the library's sphere.
const M_PER_DEG: f64 = MILLIDEGREE_M * 1000.0;

/// Outline tolerance for `params` (see the module doc): half a cell diagonal
/// + half a cell + the simplification tolerance.
fn raster_tol(params: &IsochroneParams) -> f64 {
    params.cell_m * std::f64::consts::SQRT_2 / 2.0 + params.cell_m / 2.0 + params.simplify_m
}

/// The stretch `[from, to]` metres of a polyline, cut with our own haversine.
fn cut(geom: &[[f64; 2]], from: f64, to: f64) -> Vec<[f64; 2]> {
    let mut out = Vec::new();
    let mut acc = 0.0;
    for w in geom.windows(2) {
        let len = haversine(w[0], w[1]);
        let (s, e) = (acc, acc + len);
        acc = e;
        if e < from || s > to {
            continue;
        }
        let at = |m: f64| {
            let t = if len > 0.0 { ((m - s) / len).clamp(0.0, 1.0) } else { 0.0 };
            [w[0][0] + (w[1][0] - w[0][0]) * t, w[0][1] + (w[1][1] - w[0][1]) * t]
        };
        if out.is_empty() {
            out.push(at(from.max(s)));
        }
        out.push(at(to.min(e)));
    }
    if out.is_empty() {
        out.push(geom[0]);
    }
    out
}

/// Distance from `p` to the segment `a`–`b` (plane).
fn seg_dist(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let l2 = dx * dx + dy * dy;
    let t = if l2 > 0.0 { (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2).clamp(0.0, 1.0) } else { 0.0 };
    ((p[0] - a[0] - t * dx).powi(2) + (p[1] - a[1] - t * dy).powi(2)).sqrt()
}

/// The reached pieces in local metres, as segments (and their overall bounding box), for distance queries.
struct Pieces {
    segs: Vec<([f64; 2], [f64; 2])>,
    min: [f64; 2],
    max: [f64; 2],
}

impl Pieces {
    fn new(g: &WalkGraph, intervals: &[ReachedInterval], proj: &LocalProjection) -> Pieces {
        let mut segs = Vec::new();
        for iv in intervals {
            let line: Vec<[f64; 2]> =
                cut(g.edge_geometry(iv.edge), iv.from_m, iv.to_m).into_iter().map(|p| proj.forward(p)).collect();
            if line.len() == 1 {
                segs.push((line[0], line[0]));
            }
            segs.extend(line.windows(2).map(|w| (w[0], w[1])));
        }
        let mut min = [f64::INFINITY; 2];
        let mut max = [f64::NEG_INFINITY; 2];
        for &(a, b) in &segs {
            for p in [a, b] {
                min = [min[0].min(p[0]), min[1].min(p[1])];
                max = [max[0].max(p[0]), max[1].max(p[1])];
            }
        }
        Pieces { segs, min, max }
    }

    /// Distance in metres from a local point to the nearest reached piece.
    fn dist(&self, p: [f64; 2]) -> f64 {
        self.segs.iter().map(|&(a, b)| seg_dist(p, a, b)).fold(f64::INFINITY, f64::min)
    }
}

/// Inside or on the boundary of the lon/lat MultiPolygon.
fn inside(mp: &MultiPolygon<f64>, lonlat: [f64; 2]) -> bool {
    mp.intersects(&Point::new(lonlat[0], lonlat[1]))
}

/// The polygon in local metres.
fn to_local(mp: &MultiPolygon<f64>, proj: &LocalProjection) -> MultiPolygon<f64> {
    let ring = |ls: &LineString<f64>| -> LineString<f64> {
        ls.0.iter()
            .map(|c| {
                let p = proj.forward([c.x, c.y]);
                Coord { x: p[0], y: p[1] }
            })
            .collect()
    };
    MultiPolygon::new(
        mp.0.iter().map(|p| Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect())).collect(),
    )
}

/// Distance in metres from a local point to the boundary of a local MultiPolygon.
fn boundary_dist(local: &MultiPolygon<f64>, p: [f64; 2]) -> f64 {
    let mut best = f64::INFINITY;
    for poly in &local.0 {
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            for w in ring.0.windows(2) {
                best = best.min(seg_dist(p, [w[0].x, w[0].y], [w[1].x, w[1].y]));
            }
        }
    }
    best
}

/// Twice the signed area of a ring (shoelace; positive: counter-clockwise).
fn shoelace2(ring: &LineString<f64>) -> f64 {
    ring.0.windows(2).map(|w| w[0].x * w[1].y - w[1].x * w[0].y).sum()
}

/// (f): valid, rings closed with at least 4 positions, exteriors counter-clockwise, holes clockwise.
fn assert_valid_rfc7946(mp: &MultiPolygon<f64>, what: &str) {
    assert_valid(mp, what, true);
}

/// Valid and closed; with `winding`, also wound as RFC 7946 says.
fn assert_valid(mp: &MultiPolygon<f64>, what: &str, winding: bool) {
    if let Err(e) = mp.check_validation() {
        panic!("{what}: invalid MultiPolygon: {e}");
    }
    for (k, p) in mp.0.iter().enumerate() {
        for (r, ring) in std::iter::once(p.exterior()).chain(p.interiors()).enumerate() {
            let n = ring.0.len();
            assert!(n >= 4, "{what}: polygon {k} ring {r} has {n} positions");
            assert_eq!(ring.0[0], ring.0[n - 1], "{what}: polygon {k} ring {r} is not closed");
            let a = shoelace2(ring);
            if !winding {
                continue;
            }
            if r == 0 {
                assert!(ring.is_ccw() && a > 0.0, "{what}: polygon {k} exterior is not counter-clockwise ({a})");
            } else {
                assert!(ring.is_cw() && a < 0.0, "{what}: polygon {k} hole {r} is not clockwise ({a})");
            }
        }
    }
}

fn holes(mp: &MultiPolygon<f64>) -> usize {
    mp.0.iter().map(|p| p.interiors().len()).sum()
}

// ---------------------------------------------------------------------------------------------
// Networks
// ---------------------------------------------------------------------------------------------

/// The property-test seeds ("150C4A0E" ~ isochrone): fixed, so a failure names its seed and replays.
const SEEDS: [u64; 12] = [
    0x150C_4A0E_0000_0001,
    0x150C_4A0E_0000_0002,
    0x150C_4A0E_0000_0003,
    0x150C_4A0E_0000_0004,
    0x150C_4A0E_0000_0005,
    0x150C_4A0E_0000_0006,
    0x150C_4A0E_0000_0007,
    0x150C_4A0E_0000_0008,
    0x150C_4A0E_0000_0009,
    0x150C_4A0E_0000_000A,
    0x150C_4A0E_0000_000B,
    0x150C_4A0E_0000_000C,
];

/// A network to test on and where it came from.
struct Net {
    name: String,
    graph: WalkGraph,
}

/// `[lon, lat]` of a point `[x, y]` metres east/north of `origin` (equirectangular, as
/// the library's local projection; exact enough for building test networks).
fn offset(origin: [f64; 2], xy: [f64; 2]) -> [f64; 2] {
    [origin[0] + xy[0] / (M_PER_DEG * origin[1].to_radians().cos()), origin[1] + xy[1] / M_PER_DEG]
}

/// A jittered street grid near 47°N: 4–7 × 4–7 junctions 70–200 m apart, about
/// one street in eight missing (dead ends, merged blocks), some streets bent,
/// some diagonal footpaths across blocks. Walked at 1.25 m/s.
fn street_grid(rng: &mut SplitMix64) -> WalkGraph {
    let origin = [8.0 + rng.float(0.0, 1.0), 47.0 + rng.float(0.0, 0.5)];
    let (nx, ny) = (rng.range(4, 7), rng.range(4, 7));
    let (sx, sy) = (rng.float(70.0, 200.0), rng.float(70.0, 200.0));
    let mut nodes = Vec::new();
    for j in 0..ny {
        for i in 0..nx {
            let xy = [i as f64 * sx + rng.float(-10.0, 10.0), j as f64 * sy + rng.float(-10.0, 10.0)];
            nodes.push(offset(origin, xy));
        }
    }
    let id = |i: usize, j: usize| (j * nx + i) as u32;
    let mut specs: Vec<EdgeSpec> = Vec::new();
    let street = |rng: &mut SplitMix64, specs: &mut Vec<EdgeSpec>, u: u32, v: u32| {
        let (pu, pv) = (nodes[u as usize], nodes[v as usize]);
        if rng.chance(0.3) {
            let mid = [(pu[0] + pv[0]) / 2.0 + rng.float(-1e-4, 1e-4), (pu[1] + pv[1]) / 2.0 + rng.float(-1e-4, 1e-4)];
            specs.push(edge(u, v, vec![pu, mid, pv]));
        } else {
            specs.push(edge(u, v, vec![pu, pv]));
        }
    };
    for j in 0..ny {
        for i in 0..nx {
            if i + 1 < nx && rng.chance(0.88) {
                street(rng, &mut specs, id(i, j), id(i + 1, j));
            }
            if j + 1 < ny && rng.chance(0.88) {
                street(rng, &mut specs, id(i, j), id(i, j + 1));
            }
            if i + 1 < nx && j + 1 < ny && rng.chance(0.1) {
                street(rng, &mut specs, id(i, j), id(i + 1, j + 1));
            }
        }
    }
    WalkGraph::new(nodes, specs, 1.25)
}

/// The random networks of `common/graphs.rs` (clusters, self-loops, parallel and
/// zero-length edges, anywhere on the globe) and street grids at 47°N, one of each per seed.
fn nets() -> Vec<(Net, SplitMix64)> {
    let mut out = Vec::new();
    for (i, &seed) in SEEDS.iter().enumerate() {
        let mut rng = SplitMix64::new(seed);
        let n = if i < 4 { rng.range(8, 30) } else { rng.range(30, 150) };
        let net = random_net(&mut rng, n);
        out.push((Net { name: format!("random net seed {seed:#x}"), graph: net.graph }, rng.clone()));
        let grid = street_grid(&mut rng);
        out.push((Net { name: format!("street grid seed {seed:#x}"), graph: grid }, rng));
    }
    out
}

/// A random facility anchor (never `None`).
fn some_anchor(rng: &mut SplitMix64, g: &WalkGraph) -> Anchor {
    loop {
        if let Some(a) = random_anchor(rng, g, &[]) {
            return a;
        }
    }
}

/// The point of an anchor on its edge, `[lon, lat]` (a natural projection origin).
fn anchor_point(g: &WalkGraph, a: &Anchor) -> [f64; 2] {
    let t = g.edge_time(a.edge).0;
    let at = if t == 0 { 0.0 } else { g.edge_length_m(a.edge) * a.to_u.0 as f64 / t as f64 };
    cut(g.edge_geometry(a.edge), at, at)[0]
}

/// Seeds of a facility's search: both ends of its edge.
fn seeds_of(g: &WalkGraph, a: &Anchor) -> [(NodeId, TimeMs); 2] {
    let (u, v) = g.edge_endpoints(a.edge);
    [(u, a.access.saturating_add(a.to_u)), (v, a.access.saturating_add(a.to_v))]
}

// ---------------------------------------------------------------------------------------------
// The reached network
// ---------------------------------------------------------------------------------------------

/// Sorts and merges intervals that overlap or touch (to 1e-6 m), per edge.
fn merged(mut v: Vec<(u32, f64, f64)>) -> Vec<(u32, f64, f64)> {
    v.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut out: Vec<(u32, f64, f64)> = Vec::new();
    for r in v {
        match out.last_mut() {
            Some(last) if last.0 == r.0 && r.1 <= last.2 + 1e-6 => last.2 = last.2.max(r.2),
            _ => out.push(r),
        }
    }
    out
}

/// The reached intervals by their definition, from petgraph's node times: a
/// point `m` metres along edge `e` is reached when `time(u) + t·m/len`, or
/// `time(v) + t·(len − m)/len`, or (on the facility's own edge)
/// `access + t·|m − at|/len` is within the budget.
fn reference_intervals(g: &WalkGraph, a: &Anchor, budget: TimeMs) -> Vec<(u32, f64, f64)> {
    if a.access > budget {
        return Vec::new();
    }
    let times = node_times(g, &seeds_of(g, a));
    let b = budget.0 as u64;
    let mut out = Vec::new();
    for e in 0..g.num_edges() as u32 {
        let (u, v) = g.edge_endpoints(EdgeId(e));
        let len = polyline_m(g.edge_geometry(EdgeId(e)));
        let t = g.edge_time(EdgeId(e)).0 as u64;
        let walked = |left: u64| if t == 0 || left >= t { len } else { len * left as f64 / t as f64 };
        if let Some(du) = times[u.idx()].filter(|&d| d <= b) {
            out.push((e, 0.0, walked(b - du)));
        }
        if let Some(dv) = times[v.idx()].filter(|&d| d <= b) {
            out.push((e, (len - walked(b - dv)).max(0.0), len));
        }
        if EdgeId(e) == a.edge {
            let at = if t == 0 { 0.0 } else { len * a.to_u.0 as f64 / t as f64 };
            let r = walked(b - a.access.0 as u64);
            out.push((e, (at - r).max(0.0), (at + r).min(len)));
        }
    }
    merged(out)
}

/// Library intervals in the reference's form (merged the same way).
fn as_tuples(v: &[ReachedInterval]) -> Vec<(u32, f64, f64)> {
    merged(v.iter().map(|iv| (iv.edge.0, iv.from_m, iv.to_m)).collect())
}

fn assert_same_intervals(got: &[(u32, f64, f64)], want: &[(u32, f64, f64)], what: &str) {
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: {} intervals vs {} expected\n got {got:?}\nwant {want:?}",
        got.len(),
        want.len()
    );
    for (g, w) in got.iter().zip(want) {
        assert!(
            g.0 == w.0 && (g.1 - w.1).abs() < 1e-6 && (g.2 - w.2).abs() < 1e-6,
            "{what}: interval {g:?}, expected {w:?}"
        );
    }
}

/// `reached_intervals` equals the definition on every net, facility and budget;
/// `intervals_within` after one search at the largest budget equals a fresh
/// search at each smaller one (one search serves every threshold).
#[test]
fn reached_intervals_match_their_definition_on_random_networks() {
    let mut checked = 0;
    for (net, mut rng) in nets() {
        let g = &net.graph;
        if g.num_edges() == 0 {
            continue;
        }
        let mut ws = DijkstraWorkspace::new(g.num_nodes());
        let mut ws2 = DijkstraWorkspace::new(g.num_nodes());
        for f in 0..4 {
            let a = some_anchor(&mut rng, g);
            let mut budgets: Vec<u32> = (0..3).map(|_| rng.range(0, 900_000) as u32).collect();
            budgets.push(a.access.0); // the access walk takes the whole budget
            budgets.sort();
            let max = TimeMs(*budgets.last().expect("budgets"));
            dijkstra(g, &mut ws2, &seeds_of(g, &a), max);
            for &b in &budgets {
                let what = format!("{} facility {f} {a:?} budget {b} ms", net.name);
                let got = reached_intervals(g, &mut ws, &a, TimeMs(b));
                for iv in &got {
                    assert!(
                        0.0 <= iv.from_m && iv.from_m <= iv.to_m && iv.to_m <= g.edge_length_m(iv.edge) + 1e-9,
                        "{what}: {iv:?}"
                    );
                }
                assert!(got.windows(2).all(|w| w[0].edge <= w[1].edge), "{what}: not ordered by edge");
                assert_same_intervals(&as_tuples(&got), &reference_intervals(g, &a, TimeMs(b)), &what);
                assert_eq!(intervals_within(g, &ws2, &a, TimeMs(b)), got, "{what}: from the search at {max:?}");
                checked += 1;
            }
            if a.access.0 > 0 {
                let none = reached_intervals(g, &mut ws, &a, TimeMs(a.access.0 - 1));
                assert!(none.is_empty(), "{}: budget below the access walk reaches {none:?}", net.name);
            }
        }
    }
    assert!(checked >= 100, "{checked} cases");
}

/// `sub_polyline` cuts the same stretch as our own haversine walk along the geometry.
#[test]
fn sub_polyline_is_the_interval_of_the_edge_geometry() {
    for (net, mut rng) in nets().into_iter().take(8) {
        let g = &net.graph;
        for e in 0..g.num_edges() as u32 {
            let len = g.edge_length_m(EdgeId(e));
            let (a, b) = (rng.float(0.0, len), rng.float(0.0, len));
            let iv = ReachedInterval { edge: EdgeId(e), from_m: a.min(b), to_m: a.max(b) };
            let got = sub_polyline(g, &iv);
            let want = cut(g.edge_geometry(EdgeId(e)), iv.from_m, iv.to_m);
            assert_eq!(got.len(), want.len(), "{} edge {e}: {got:?} vs {want:?}", net.name);
            for (p, q) in got.iter().zip(&want) {
                assert!(haversine(*p, *q) < 1e-6, "{} edge {e}: {got:?} vs {want:?}", net.name);
            }
            assert!(
                // Interpolating lon/lat linearly is not quite a haversine fraction: 1e-5 over a 1 km segment.
                (polyline_m(&got) - (iv.to_m - iv.from_m)).abs() < 1e-4 * len.max(1.0),
                "{} edge {e}: {iv:?} of {len} m: {got:?} is {} m long; geometry {:?}",
                net.name,
                polyline_m(&got),
                g.edge_geometry(EdgeId(e))
            );
        }
    }
}

/// (d) Partial edges by hand, on the equator at 1 m/s: nodes 0–1–2–3 at
/// longitude 0, 0.001, 0.002, 0.003 (edges of `L` = 111.195 m, `T` =
/// 111 195 ms); e0 = (0, 1), e1 = (1, 2), e2 = (3, 2) (reversed: node 2 is its `v`).
/// Each reached stretch ends `(budget − time(node)) / T × L` from its node.
#[test]
fn partial_edges_end_exactly_where_the_budget_runs_out() {
    const T: u32 = 111_195;
    let l = MILLIDEGREE_M;
    let at = |ms: u32| l * ms as f64 / T as f64;
    let nodes: Vec<[f64; 2]> = (0..4).map(|i| [i as f64 * 0.001, 0.0]).collect();
    let g = WalkGraph::new(
        nodes.clone(),
        vec![straight(&nodes, 0, 1), straight(&nodes, 1, 2), straight(&nodes, 3, 2)],
        1.0,
    );
    for e in 0..3 {
        assert_eq!(g.edge_time(EdgeId(e)), TimeMs(T));
        assert!((g.edge_length_m(EdgeId(e)) - l).abs() < 1e-6);
    }
    let mut ws = DijkstraWorkspace::new(g.num_nodes());
    let check = |ws: &mut DijkstraWorkspace, f: Anchor, budget: u32, want: &[(u32, f64, f64)], what: &str| {
        let got = reached_intervals(&g, ws, &f, TimeMs(budget));
        let got: Vec<(u32, f64, f64)> = got.iter().map(|iv| (iv.edge.0, iv.from_m, iv.to_m)).collect();
        assert_same_intervals(&got, want, what);
    };
    // On node 0: e0 whole, then 150 000 − 111 195 = 38 805 ms into e1.
    let f0 = anchor(&g, 0, 0, 0).expect("anchor");
    check(&mut ws, f0, 150_000, &[(0, 0.0, l), (1, 0.0, at(38_805))], "from node 0");
    // 40 000 ms into e1 with a 5 000 ms access walk.
    let f = anchor(&g, 1, 40_000, 5_000).expect("anchor");
    // 30 000 ms: 25 000 ms left after the access, walked both ways from the facility; no node reached.
    check(&mut ws, f, 30_000, &[(1, at(15_000), at(65_000))], "own edge, both ways");
    // 45 000 ms: node 1 reached exactly (5 000 + 40 000): the own stretch reaches it; nothing of e0.
    check(&mut ws, f, 45_000, &[(0, l, l), (1, 0.0, at(80_000))], "node 1 just reached");
    // The access walk takes the whole budget: the facility's point only.
    check(&mut ws, f, 5_000, &[(1, at(40_000), at(40_000))], "access = budget");
    // Less than the access walk: nothing.
    check(&mut ws, f, 4_999, &[], "access > budget");
    // 100 000 ms: node 1 at 45 000 → 55 000 ms into e0 from its v end; node 2 at
    // 5 000 + 71 195 = 76 195 → 23 805 ms into e2 from its v end (node 2); e1 whole.
    check(
        &mut ws,
        f,
        100_000,
        &[(0, l - at(55_000), l), (1, 0.0, l), (2, l - at(23_805), l)],
        "partial edges on both sides",
    );
    // The empty reach draws nothing.
    let empty = build_area(&g, &[], &local_projection([0.0015, 0.0]), &IsochroneParams::with_buffer(50.0));
    assert!(empty.polygon.0.is_empty() && empty.area_m2 == 0.0, "{empty:?}");
    // The 50 m stretch of "own edge, both ways" buffered by 50 m is a stadium
    // (2·ℓ·r + π·r² for r = 50 m), centred on the facility: [−75, 75] × [−50, 50] m,
    // each to the raster tolerance.
    let params = IsochroneParams::with_buffer(50.0);
    let tol = raster_tol(&params);
    let ivs = reached_intervals(&g, &mut ws, &f, TimeMs(30_000));
    let proj = local_projection(anchor_point(&g, &f));
    let area = build_area(&g, &ivs, &proj, &params);
    let stretch = at(65_000) - at(15_000);
    let stadium = |r: f64| 2.0 * stretch * r + std::f64::consts::PI * r * r;
    let want = stadium(50.0);
    assert!(
        stadium(50.0 - tol) <= area.area_m2 && area.area_m2 <= stadium(50.0 + tol),
        "stadium area {} m², expected {want:.0} m² (between the buffers at 50 ∓ {tol:.1} m)",
        area.area_m2
    );
    let r = geo::BoundingRect::bounding_rect(&to_local(&area.polygon, &proj)).expect("not empty");
    for (got, want) in [r.min().x, r.min().y, r.max().x, r.max().y].into_iter().zip([-75.0, -50.0, 75.0, 50.0]) {
        assert!((got - want).abs() <= tol, "stadium bbox {r:?}, expected [-75, -50, 75, 50] ± {tol:.1}");
    }
    assert_eq!(area.polygon.0.len(), 1);
    assert_valid_rfc7946(&area.polygon, "stadium");
    let lonlat_area = area.polygon.unsigned_area() * M_PER_DEG * M_PER_DEG; // at the equator
    assert!((lonlat_area - area.area_m2).abs() < 0.001 * want, "area_m2 {} vs polygon {lonlat_area}", area.area_m2);
}

// ---------------------------------------------------------------------------------------------
// The polygon against the reached network
// ---------------------------------------------------------------------------------------------

/// What the checks of one area looked at, to be sure the properties were exercised.
#[derive(Debug, Default)]
struct Tally {
    areas: usize,
    on_network: usize,
    nodes_outside: usize,
    random_inside: usize,
    random_outside: usize,
    nested: usize,
}

/// (a), (b), (c), (f) for the service area of facility `a` within `budget`, built
/// with `params` around `proj`; returns it.
#[allow(clippy::too_many_arguments)]
fn check_area(
    g: &WalkGraph,
    a: &Anchor,
    budget: TimeMs,
    params: &IsochroneParams,
    proj: &LocalProjection,
    rng: &mut SplitMix64,
    samples: usize,
    tally: &mut Tally,
    what: &str,
) -> ServiceArea {
    let mut ws = DijkstraWorkspace::new(g.num_nodes());
    let ivs = reached_intervals(g, &mut ws, a, budget);
    let area = build_area(g, &ivs, proj, params);
    tally.areas += 1;
    if ivs.is_empty() {
        assert!(area.polygon.0.is_empty(), "{what}: nothing reached, yet {:?}", area.polygon);
        return area;
    }
    assert_eq!(area.cell_m, params.cell_m, "{what}: drawn on coarser cells than asked (the tolerance assumes not)");
    let tol = raster_tol(params);
    let mp = &area.polygon;
    // (f) valid and wound as RFC 7946 says; one facility's reach is connected, so one polygon.
    assert_valid_rfc7946(mp, what);
    assert_eq!(mp.0.len(), 1, "{what}: one facility's area should be one polygon");
    let local = to_local(mp, proj);
    // area_m2 is the polygon's area in local metres (to the 1e-7° rounding of the coordinates).
    assert!((local.unsigned_area() - area.area_m2).abs() <= 1e-4 * area.area_m2 + 1.0, "{what}: area_m2");
    // (a) every reached node and every point of every reached stretch is inside.
    let times = node_times(g, &seeds_of(g, a));
    for (n, t) in times.iter().enumerate() {
        if t.is_some_and(|t| t <= budget.0 as u64) {
            let p = g.node_lonlat(NodeId(n as u32));
            assert!(inside(mp, p), "{what}: node {n} reached at {t:?} ms is outside the area");
            tally.on_network += 1;
        }
    }
    let pieces = check_against_reach(g, &ivs, mp, proj, params, rng, samples, tally, what);
    // (b) nodes reached later than the budget plus the buffer's walking time are
    // outside, unless geometrically within the buffer (+ tolerance) of the reach.
    let slack = (params.buffer_m / g.speed_m_s() * 1000.0) as u64;
    for (n, t) in times.iter().enumerate() {
        if t.is_none_or(|t| t > budget.0 as u64 + slack) {
            let p = g.node_lonlat(NodeId(n as u32));
            let d = pieces.dist(proj.forward(p));
            if d > params.buffer_m + tol {
                assert!(!inside(mp, p), "{what}: node {n} (time {t:?} ms, {d:.1} m from the reach) is inside");
                tally.nodes_outside += 1;
            }
        }
    }
    area
}

/// (a) every point of every reached stretch (sampled every 5 m along
/// `sub_polyline`) is inside `mp`; (c) random points around the reach farther
/// than buffer + tolerance from it are outside, nearer than buffer − tolerance
/// inside. Returns the reach's pieces for further checks.
#[allow(clippy::too_many_arguments)]
fn check_against_reach(
    g: &WalkGraph,
    ivs: &[ReachedInterval],
    mp: &MultiPolygon<f64>,
    proj: &LocalProjection,
    params: &IsochroneParams,
    rng: &mut SplitMix64,
    samples: usize,
    tally: &mut Tally,
    what: &str,
) -> Pieces {
    let tol = raster_tol(params);
    for iv in ivs {
        let line = sub_polyline(g, iv);
        let pts: Vec<[f64; 2]> = line.iter().map(|&p| proj.forward(p)).collect();
        let mut samples_on = vec![pts[0]];
        for w in pts.windows(2) {
            let len = ((w[1][0] - w[0][0]).powi(2) + (w[1][1] - w[0][1]).powi(2)).sqrt();
            let k = (len / 5.0).ceil().max(1.0) as usize;
            samples_on.extend((1..=k).map(|i| {
                let t = i as f64 / k as f64;
                [w[0][0] + (w[1][0] - w[0][0]) * t, w[0][1] + (w[1][1] - w[0][1]) * t]
            }));
        }
        for p in samples_on {
            assert!(inside(mp, proj.inverse(p)), "{what}: point {p:?} (local m) of reached {iv:?} is outside");
            tally.on_network += 1;
        }
    }
    let pieces = Pieces::new(g, ivs, proj);
    // (c) random points: farther than buffer + tol from the reach → outside; nearer than buffer − tol → inside.
    let m = params.buffer_m + tol + 20.0;
    for _ in 0..samples {
        let p = [rng.float(pieces.min[0] - m, pieces.max[0] + m), rng.float(pieces.min[1] - m, pieces.max[1] + m)];
        let d = pieces.dist(p);
        let is_in = inside(mp, proj.inverse(p));
        if d > params.buffer_m + tol {
            assert!(
                !is_in,
                "{what}: {p:?} (local m) is {d:.2} m from the reach, beyond {} + {tol:.2}, yet inside",
                params.buffer_m
            );
            tally.random_outside += 1;
        } else if d < params.buffer_m - tol {
            assert!(
                is_in,
                "{what}: {p:?} (local m) is {d:.2} m from the reach, within {} − {tol:.2}, yet outside",
                params.buffer_m
            );
            tally.random_inside += 1;
        }
    }
    pieces
}

/// (e) Areas grow with the budget, and a point inside the smaller one is inside
/// the larger one, or within `tol` (the raster tolerance) of its outline.
/// README promises exact nesting (up to simplification); that is
/// `regression::bug_service_areas_of_nested_thresholds_do_not_nest`.
fn check_nested(
    small: &ServiceArea,
    large: &ServiceArea,
    proj: &LocalProjection,
    tol: f64,
    rng: &mut SplitMix64,
    tally: &mut Tally,
    what: &str,
) {
    if small.polygon.0.is_empty() {
        return;
    }
    assert!(
        small.area_m2 <= large.area_m2 * 1.001 + 1.0,
        "{what}: area shrinks with the budget: {} → {} m²",
        small.area_m2,
        large.area_m2
    );
    let large_local = to_local(&large.polygon, proj);
    let mut check = |ll: [f64; 2]| {
        if !inside(&large.polygon, ll) {
            let d = boundary_dist(&large_local, proj.forward(ll));
            assert!(d <= tol, "{what}: {ll:?} is inside the smaller area but {d:.2} m outside the larger one");
        }
        tally.nested += 1;
    };
    for c in
        small.polygon.0.iter().flat_map(|p| p.exterior().0.iter().chain(p.interiors().iter().flat_map(|r| r.0.iter())))
    {
        check([c.x, c.y]);
    }
    let s = to_local(&small.polygon, proj);
    let r = geo::BoundingRect::bounding_rect(&s).expect("non-empty");
    for _ in 0..300 {
        let p = [rng.float(r.min().x, r.max().x), rng.float(r.min().y, r.max().y)];
        if s.contains(&Point::new(p[0], p[1])) {
            check(proj.inverse(p));
        }
    }
}

/// (a)–(c), (e), (f) on every net, three facilities each, at three nested
/// budgets, with the default parameters (buffer 50 m: 10 m cells, 2 m
/// simplification) and others (buffer 20 m: 4 m cells; buffer 35 m without
/// simplification; buffer 60 m with 30 m simplification).
#[test]
fn areas_hold_the_reached_network_and_nothing_far_on_random_networks() {
    let mut tally = Tally::default();
    for (net, mut rng) in nets() {
        let g = &net.graph;
        if g.num_edges() == 0 {
            continue;
        }
        for f in 0..3 {
            let a = some_anchor(&mut rng, g);
            let mut params = IsochroneParams::with_buffer(*rng.pick(&[50.0, 50.0, 20.0, 35.0, 60.0]));
            if params.buffer_m == 35.0 {
                params.simplify_m = 0.0;
            }
            if params.buffer_m == 60.0 {
                params.simplify_m = 30.0; // coarse enough that simplification breaks validity and is dropped
            }
            let proj = local_projection(anchor_point(g, &a));
            let mut budgets: Vec<u32> = (0..3).map(|_| rng.range(20_000, 600_000) as u32).collect();
            budgets.sort();
            let mut prev: Option<ServiceArea> = None;
            for b in budgets {
                let what = format!("{} facility {f} {a:?} budget {b} ms buffer {} m", net.name, params.buffer_m);
                let area = check_area(g, &a, TimeMs(b), &params, &proj, &mut rng, 400, &mut tally, &what);
                if let Some(p) = &prev {
                    check_nested(p, &area, &proj, raster_tol(&params), &mut rng, &mut tally, &what);
                }
                prev = Some(area);
            }
        }
    }
    eprintln!("{tally:?}");
    assert!(tally.areas >= 200, "{tally:?}");
    assert!(tally.nodes_outside >= 100 && tally.random_inside >= 1000 && tally.random_outside >= 1000, "{tally:?}");
    assert!(tally.nested >= 1000, "{tally:?}");
}

/// Category unions (`facility_areas` + `category_areas`) on every net: 2–5
/// facilities, two thresholds; each union is valid and wound per RFC 7946, in
/// no more pieces than facilities, holds every member's reach and nothing far
/// from it ((a), (c) against the union of the members' intervals), and counts
/// exactly the random homes a point-in-polygon test puts inside. Members'
/// areas from the batch equal one search per threshold.
#[test]
fn category_unions_hold_their_members_reach_on_random_networks() {
    let mut tally = Tally::default();
    let mut pieces_seen = 0;
    for (net, mut rng) in nets() {
        let g = &net.graph;
        if g.num_edges() == 0 {
            continue;
        }
        let params = IsochroneParams::with_buffer(*rng.pick(&[50.0, 30.0]));
        let n = rng.range(2, 5);
        let todo: Vec<(usize, Anchor, [f64; 2])> = (0..n)
            .map(|i| {
                let a = some_anchor(&mut rng, g);
                (i, a, anchor_point(g, &a))
            })
            .collect();
        let mut thresholds = [rng.range(30_000, 400_000) as u32, rng.range(30_000, 400_000) as u32];
        thresholds.sort();
        thresholds[1] += 1;
        let thresholds = thresholds.map(TimeMs);
        // Random homes over the nets' extent, with populations.
        let (min, max) = (0..g.num_nodes())
            .map(|k| g.node_lonlat(NodeId(k as u32)))
            .fold(([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]), |(lo, hi), p| {
                ([lo[0].min(p[0]), lo[1].min(p[1])], [hi[0].max(p[0]), hi[1].max(p[1])])
            });
        let homes: Vec<[f64; 2]> = (0..300)
            .map(|_| [rng.float(min[0] - 0.001, max[0] + 0.001), rng.float(min[1] - 0.001, max[1] + 0.001)])
            .collect();
        let population: Vec<f64> = (0..homes.len()).map(|_| rng.range(1, 9) as f64).collect();
        let index = HomeIndex::new(&homes, &population);
        let pool = WorkspacePool::new(g.num_nodes());
        let done = facility_areas(g, &pool, &todo, &thresholds, &params, &index);
        let per: Vec<&Vec<Vec<ReachedInterval>>> = done.iter().map(|(_, iv)| iv).collect();
        let fas: Vec<&FacilityAreas> = done.iter().map(|(fa, _)| fa).collect();
        let cat = category_areas(g, CategoryId(2), &per, &fas, 2, &params, &index);
        assert_eq!(cat.category, CategoryId(2));
        let mut ws = DijkstraWorkspace::new(g.num_nodes());
        for (k, &t) in thresholds.iter().enumerate() {
            let what = format!("{} union of {n} at {t:?} buffer {}", net.name, params.buffer_m);
            for (fa, iv) in &done {
                let (_, a, at) = todo[fa.facility];
                assert_eq!(iv[k], reached_intervals(g, &mut ws, &a, t), "{what}: facility {}", fa.facility);
                assert_eq!(fa.areas[k].area, build_area(g, &iv[k], &local_projection(at), &params), "{what}");
            }
            let union: Vec<ReachedInterval> = per.iter().flat_map(|f| f[k].iter().copied()).collect();
            let r = &cat.areas[k];
            assert_eq!(r.threshold, k);
            let mp = &r.area.polygon;
            let reaching = per.iter().filter(|f| !f[k].is_empty()).count();
            if reaching == 0 {
                assert!(mp.0.is_empty() && r.homes == 0, "{what}: nothing reached");
                continue;
            }
            assert_valid_rfc7946(mp, &what);
            assert!(!mp.0.is_empty() && mp.0.len() <= reaching, "{what}: {} pieces for {reaching} reaches", mp.0.len());
            pieces_seen += mp.0.len();
            let proj = local_projection(todo[0].2);
            check_against_reach(g, &union, mp, &proj, &params, &mut rng, 300, &mut tally, &what);
            let inside_homes: Vec<usize> =
                (0..homes.len()).filter(|&h| mp.contains(&Point::new(homes[h][0], homes[h][1]))).collect();
            let pop: f64 = inside_homes.iter().map(|&h| population[h]).sum();
            assert_eq!((r.homes, r.population), (inside_homes.len(), pop), "{what}: homes inside");
            let largest = done.iter().map(|(fa, _)| fa.areas[k].homes).max().unwrap_or(0);
            assert!(r.homes + 2 >= largest, "{what}: {} homes in the union, {largest} in a member", r.homes);
        }
    }
    eprintln!("{tally:?}, {pieces_seen} pieces");
    assert!(tally.random_inside >= 1000 && tally.random_outside >= 1000, "{tally:?}");
}

/// (f) Heavy simplification (`--simplify-m` up to 45 m on a 50 m buffer) keeps
/// every area valid and in one piece: where simplifying would break the
/// polygon, the unsimplified outline is kept. The reach stays inside while the
/// simplification leaves room for it (simplify + raster error < buffer).
/// Winding is not checked here: from about 20 m, simplification can turn a
/// hole counter-clockwise (`regression::bug_heavy_simplification_turns_holes_counter_clockwise`).
#[test]
fn heavy_simplification_keeps_areas_valid() {
    let mut tally = Tally::default();
    let mut kept_unsimplified = 0;
    for (net, mut rng) in nets().into_iter().filter(|(n, _)| n.name.starts_with("street grid")) {
        let g = &net.graph;
        for _ in 0..6 {
            let a = some_anchor(&mut rng, g);
            let budget = TimeMs(rng.range(60_000, 600_000) as u32);
            let mut ws = DijkstraWorkspace::new(g.num_nodes());
            let ivs = reached_intervals(g, &mut ws, &a, budget);
            if ivs.is_empty() {
                continue;
            }
            let proj = local_projection(anchor_point(g, &a));
            let mut plain = IsochroneParams::with_buffer(50.0);
            plain.simplify_m = 0.0;
            let unsimplified = build_area(g, &ivs, &proj, &plain);
            for simplify_m in [10.0, 30.0, 45.0] {
                let what = format!("{} {a:?} budget {budget:?} simplify {simplify_m} m", net.name);
                let params = IsochroneParams { simplify_m, ..plain };
                let area = build_area(g, &ivs, &proj, &params);
                assert_valid(&area.polygon, &what, simplify_m < 20.0);
                assert_eq!(area.polygon.0.len(), 1, "{what}");
                kept_unsimplified += (area.polygon == unsimplified.polygon) as usize;
                if simplify_m + raster_tol(&plain) < params.buffer_m {
                    check_against_reach(g, &ivs, &area.polygon, &proj, &params, &mut rng, 100, &mut tally, &what);
                }
            }
        }
    }
    assert!(kept_unsimplified >= 1, "no case where simplification had to be dropped: the fallback is untested");
    assert!(tally.on_network >= 1000, "{tally:?}");
}

// ---------------------------------------------------------------------------------------------
// Hand-built shapes: holes and pieces (47°N)
// ---------------------------------------------------------------------------------------------

const ORIGIN_47N: [f64; 2] = [8.54, 47.37];

/// A square loop of streets `side` metres across at 47°N, each side split in
/// two at its middle (8 nodes, 8 edges, counter-clockwise from the south-west corner).
fn square_block(side: f64) -> WalkGraph {
    let corners = [[0.0, 0.0], [side, 0.0], [side, side], [0.0, side]];
    let mut nodes = Vec::new();
    for k in 0..4 {
        let (a, b) = (corners[k], corners[(k + 1) % 4]);
        nodes.push(offset(ORIGIN_47N, a));
        nodes.push(offset(ORIGIN_47N, [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0]));
    }
    let specs = (0..8u32).map(|i| straight(&nodes, i, (i + 1) % 8)).collect();
    WalkGraph::new(nodes, specs, 1.25)
}

fn area_of(g: &WalkGraph, a: &Anchor, budget: u32, params: &IsochroneParams) -> (ServiceArea, Vec<ReachedInterval>) {
    let mut ws = DijkstraWorkspace::new(g.num_nodes());
    let ivs = reached_intervals(g, &mut ws, a, TimeMs(budget));
    (build_area(g, &ivs, &local_projection(ORIGIN_47N), params), ivs)
}

/// (g) A 400 m block whose four streets are all reached leaves the unreached
/// middle as a clockwise hole, about the inner square 300 m × 300 m; the ring
/// itself is the outer square grown by 50 m with rounded corners.
#[test]
fn a_fully_reached_block_has_a_hole_in_the_middle() {
    let g = square_block(400.0);
    let params = IsochroneParams::with_buffer(50.0);
    let f = anchor(&g, 0, 0, 0).expect("anchor"); // the south-west corner
    let (area, ivs) = area_of(&g, &f, 900_000, &params); // 15 min at 1.25 m/s: 1125 m > 800 m around
    assert!(ivs.iter().all(|iv| iv.from_m == 0.0 && (iv.to_m - g.edge_length_m(iv.edge)).abs() < 1e-9), "{ivs:?}");
    assert_valid_rfc7946(&area.polygon, "block 400 m");
    assert_eq!(area.polygon.0.len(), 1, "{:?}", area.polygon);
    assert_eq!(holes(&area.polygon), 1, "one hole expected: {:?}", area.polygon);
    // The hole is the square [50, 350]², the outline the square [−50, 450]² (rounded
    // corners), each side to the raster tolerance (a street on a cell boundary is drawn
    // half a cell to one side).
    let tol = raster_tol(&params);
    let proj = local_projection(ORIGIN_47N);
    let local = to_local(&area.polygon, &proj);
    let hole_ring = &local.0[0].interiors()[0];
    let bbox = |ls: &LineString<f64>| {
        let r = geo::BoundingRect::bounding_rect(ls).expect("ring");
        [r.min().x, r.min().y, r.max().x, r.max().y]
    };
    for (got, want) in bbox(hole_ring).into_iter().zip([50.0, 50.0, 350.0, 350.0]) {
        assert!((got - want).abs() <= tol, "hole bbox {:?}, expected [50, 50, 350, 350] ± {tol:.1}", bbox(hole_ring));
    }
    let ext = local.0[0].exterior();
    for (got, want) in bbox(ext).into_iter().zip([-50.0, -50.0, 450.0, 450.0]) {
        assert!((got - want).abs() <= tol, "outline bbox {:?}, expected [-50, -50, 450, 450] ± {tol:.1}", bbox(ext));
    }
    let hole = Polygon::new(hole_ring.clone(), vec![]).unsigned_area();
    let outer = Polygon::new(ext.clone(), vec![]).unsigned_area();
    assert!((300.0 - 2.0 * tol).powi(2) <= hole && hole <= (300.0 + 2.0 * tol).powi(2), "hole {hole:.0} m²");
    let want_outer = 500.0 * 500.0 - (4.0 - std::f64::consts::PI) * 2500.0;
    assert!((outer - want_outer).abs() <= 4.0 * 500.0 * tol, "outer {outer:.0} m², expected about {want_outer:.0}");
    assert!(
        (area.area_m2 - (outer - hole)).abs() < 1e-4 * area.area_m2,
        "area_m2 {} vs {}",
        area.area_m2,
        outer - hole
    );
    assert!(!inside(&area.polygon, offset(ORIGIN_47N, [200.0, 200.0])), "the middle of the block is in the hole");
    assert!(inside(&area.polygon, offset(ORIGIN_47N, [200.0, 30.0])), "30 m inside the block, near a street");
}

/// (g) A block narrower than twice the buffer (80 m, buffer 50 m) is all
/// within the buffer: no hole; nor is there one when the loop is not closed
/// (a 400 m block reached on three sides only).
#[test]
fn no_hole_in_a_small_block_or_an_open_loop() {
    let params = IsochroneParams::with_buffer(50.0);
    let small = square_block(80.0);
    let (area, _) = area_of(&small, &anchor(&small, 0, 0, 0).expect("anchor"), 900_000, &params);
    assert_valid_rfc7946(&area.polygon, "block 80 m");
    assert_eq!((area.polygon.0.len(), holes(&area.polygon)), (1, 0), "{:?}", area.polygon);
    assert!(inside(&area.polygon, offset(ORIGIN_47N, [40.0, 40.0])));
    // Facility at the middle of the south side (node 1); 560 s at 1.25 m/s = 700 m each way:
    // the south side, the east and west sides and 100 m of the north side from each
    // corner, leaving the middle 200 m of the north side unreached.
    let big = square_block(400.0);
    let f = anchor(&big, 1, 0, 0).expect("anchor");
    let (area, ivs) = area_of(&big, &f, 560_000, &params);
    let reached: f64 = ivs.iter().map(|iv| iv.to_m - iv.from_m).sum();
    assert!((reached - 1400.0).abs() < 1.0, "reached {reached} m");
    assert_valid_rfc7946(&area.polygon, "open loop");
    assert_eq!((area.polygon.0.len(), holes(&area.polygon)), (1, 0), "{:?}", area.polygon);
    assert!(!inside(&area.polygon, offset(ORIGIN_47N, [200.0, 200.0])), "the middle of the block is not covered");
    assert!(!inside(&area.polygon, offset(ORIGIN_47N, [200.0, 400.0])), "the middle of the north side is unreached");
}

/// (f) A category's coverage area is a MultiPolygon of two pieces when its
/// two facilities' reaches are far apart: two ends of a 2 km street, 2
/// minutes each (150 m at 1.25 m/s). Each facility's own area is one piece.
#[test]
fn a_category_union_of_far_apart_reaches_is_two_polygons() {
    // Nodes every 250 m along a 2 km east-west street at 47°N.
    let nodes: Vec<[f64; 2]> = (0..9).map(|i| offset(ORIGIN_47N, [i as f64 * 250.0, 0.0])).collect();
    let specs = (0..8).map(|i| straight(&nodes, i, i + 1)).collect();
    let g = WalkGraph::new(nodes.clone(), specs, 1.25);
    let params = IsochroneParams::with_buffer(50.0);
    let west = anchor(&g, 0, 0, 0).expect("anchor");
    let east = anchor(&g, 7, g.edge_time(EdgeId(7)).0, 0).expect("anchor");
    let pool = WorkspacePool::new(g.num_nodes());
    let homes = HomeIndex::new(&[offset(ORIGIN_47N, [10.0, 30.0]), offset(ORIGIN_47N, [1000.0, 0.0])], &[2.0, 5.0]);
    let todo = vec![(0, west, nodes[0]), (1, east, nodes[8])];
    let thresholds = [TimeMs(120_000), TimeMs(240_000)];
    let done = facility_areas(&g, &pool, &todo, &thresholds, &params, &homes);
    for (fa, _) in &done {
        for r in &fa.areas {
            assert_valid_rfc7946(&r.area.polygon, "facility");
            assert_eq!(r.area.polygon.0.len(), 1, "facility {}: {:?}", fa.facility, r.area.polygon);
        }
    }
    assert_eq!((done[0].0.areas[0].homes, done[0].0.areas[0].population), (1, 2.0), "the home 30 m from the west end");
    let per: Vec<&Vec<Vec<ReachedInterval>>> = done.iter().map(|(_, iv)| iv).collect();
    let fas: Vec<&FacilityAreas> = done.iter().map(|(fa, _)| fa).collect();
    let cat = category_areas(&g, CategoryId(0), &per, &fas, 2, &params, &homes);
    assert_eq!(cat.areas.len(), 2);
    let two = &cat.areas[0].area.polygon;
    assert_valid_rfc7946(two, "category 2 min");
    assert_eq!(two.0.len(), 2, "two pieces expected: {two:?}");
    assert_eq!(cat.areas[0].homes, 1, "the middle home is out of reach at 2 min");
    let sum: f64 = done.iter().map(|(fa, _)| fa.areas[0].area.area_m2).sum();
    assert!((cat.areas[0].area.area_m2 - sum).abs() < 0.01 * sum, "{} vs {sum}", cat.areas[0].area.area_m2);
    for p in [[0.0, 0.0], [150.0, 0.0], [2000.0, 0.0], [1850.0, 0.0], [1850.0, 30.0]] {
        assert!(inside(two, offset(ORIGIN_47N, p)), "{p:?} should be covered");
    }
    for p in [[1000.0, 0.0], [250.0, 0.0], [1750.0, 0.0], [0.0, 100.0]] {
        assert!(!inside(two, offset(ORIGIN_47N, p)), "{p:?} should not be covered");
    }
    // At 4 min (300 m each way) there is still a 1.4 km gap: two pieces; homes 1 (the middle one is unreached).
    assert_eq!(cat.areas[1].area.polygon.0.len(), 2);
    assert_valid_rfc7946(&cat.areas[1].area.polygon, "category 4 min");
}

// ---------------------------------------------------------------------------------------------
// The Beijing fixture
// ---------------------------------------------------------------------------------------------

const MINUTES: [f64; 3] = [5.0, 10.0, 15.0];

fn beijing_config(out: &Path) -> lifecircle::AnalyzeConfig {
    let mut c = config(&beijing(), out);
    c.minutes = MINUTES.to_vec();
    c.isochrones = Some(IsochroneOptions { params: IsochroneParams::with_buffer(50.0), category: None });
    c
}

fn beijing_analysis() -> Analysis {
    let c = beijing_config(Path::new("unused-out"));
    with_threads(Some(2), || run(&c)).expect("thread pool").expect("analysis")
}

/// (a)–(c), (e), (f) for every facility of the fixture at 5, 10 and 15 minutes,
/// and the batch (one search for all thresholds, in parallel) gives the very
/// same areas as one `reached_intervals` + `build_area` per threshold.
#[test]
fn beijing_areas_hold_the_reached_network_and_nothing_far() {
    let a = beijing_analysis();
    let iso = a.isochrones.as_ref().expect("isochrones asked for");
    let params = IsochroneParams::with_buffer(50.0);
    let mut rng = SplitMix64::new(0xBE11_1A6E);
    let mut tally = Tally::default();
    let reachable: Vec<usize> = (0..a.facilities.len()).filter(|&i| a.facility_anchors[i].is_some()).collect();
    assert_eq!(iso.facilities.iter().map(|f| f.facility).collect::<Vec<_>>(), reachable);
    assert!(reachable.len() >= 5, "{reachable:?}");
    for fa in &iso.facilities {
        let f = &a.facilities[fa.facility];
        let anchor = a.facility_anchors[fa.facility].expect("reachable");
        let proj = local_projection(f.lonlat);
        assert_eq!(fa.areas.len(), 3);
        let mut prev: Option<ServiceArea> = None;
        for (k, r) in fa.areas.iter().enumerate() {
            assert_eq!(r.threshold, k);
            let budget = TimeMs::from_secs_f64(MINUTES[k] * 60.0);
            let what = format!("Beijing {} ({}) at {} min", f.id(), f.category.idx(), MINUTES[k]);
            let area = check_area(&a.graph, &anchor, budget, &params, &proj, &mut rng, 500, &mut tally, &what);
            assert_eq!(area, r.area, "{what}: batch and single search differ");
            if let Some(p) = &prev {
                check_nested(p, &area, &proj, raster_tol(&params), &mut rng, &mut tally, &what);
            }
            prev = Some(area);
        }
    }
    eprintln!("{tally:?}");
    assert!(tally.nodes_outside >= 100 && tally.random_inside >= 1000 && tally.random_outside >= 1000, "{tally:?}");
}

/// Runs `analyze` with service areas into `out` (threads as given).
fn beijing_outputs(out: &Path, threads: usize) {
    let mut c = beijing_config(out);
    c.threads = Some(threads);
    analyze(&c).expect("analyze the Beijing fixture with isochrones");
}

/// (2) `isochrones.geojson` is byte-identical with 1 and 2 threads and across runs.
#[test]
fn beijing_isochrones_are_byte_identical_across_threads_and_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let runs: Vec<Vec<u8>> = [1usize, 2, 2, 1]
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let out = dir.path().join(format!("run-{i}-{t}"));
            beijing_outputs(&out, t);
            std::fs::read(out.join("isochrones.geojson")).expect("isochrones.geojson written")
        })
        .collect();
    assert!(runs[0].len() > 10_000, "{} bytes", runs[0].len());
    for (i, r) in runs.iter().enumerate().skip(1) {
        assert!(r == &runs[0], "isochrones.geojson of run {i} differs from run 0");
    }
}

/// A feature of `isochrones.geojson`, parsed.
struct Feature {
    props: serde_json::Map<String, Value>,
    polygon: MultiPolygon<f64>,
}

/// The service areas of a run: `isochrones.geojson` (per facility) then
/// `coverage_areas.geojson` (per category), each checked against its one
/// schema, then seen with `minutes` (the numeric `threshold`), and `id` /
/// `kind` naming a category's union `<cat>_coverage` (facility areas: `kind`
/// `facility`), as the checks below read them.
fn parse_isochrones(path: &Path) -> Vec<Feature> {
    let facility_keys =
        ["facility_id", "name", "category", "threshold", "threshold_m", "area_m2", "homes", "population"];
    let category_keys = &facility_keys[2..];
    let mut feats = Vec::new();
    for (file, keys) in
        [(path.to_path_buf(), &facility_keys[..]), (path.with_file_name("coverage_areas.geojson"), category_keys)]
    {
        for mut f in parse_area_layer(&file) {
            let got: Vec<&str> = f.props.keys().map(String::as_str).collect();
            assert_eq!(got, keys, "{}: one schema", file.display());
            let minutes = f.props["threshold"].as_f64().expect("threshold is a number");
            let metres = f.props["threshold_m"].as_f64().expect("threshold_m is a number");
            assert!((metres - minutes * 60.0 * 4.5 / 3.6).abs() < 0.06, "{minutes} min vs {metres} m");
            f.props.insert("minutes".into(), minutes.into());
            if f.props.contains_key("facility_id") {
                f.props.insert("kind".into(), "facility".into());
            } else {
                let id = format!("{}_coverage", f.props["category"].as_str().expect("category"));
                f.props.insert("id".into(), id.clone().into());
                f.props.insert("kind".into(), id.into());
            }
            feats.push(f);
        }
    }
    feats
}

fn parse_area_layer(path: &Path) -> Vec<Feature> {
    let v = read_json(path);
    assert_eq!(v["type"], "FeatureCollection", "{}", path.display());
    let feats = v["features"].as_array().expect("features");
    feats
        .iter()
        .map(|f| {
            assert_eq!(f["type"], "Feature");
            assert_eq!(f["geometry"]["type"], "MultiPolygon", "{f}");
            let ring = |r: &Value| -> LineString<f64> {
                r.as_array()
                    .expect("ring")
                    .iter()
                    .map(|p| {
                        let p = p.as_array().expect("position");
                        assert_eq!(p.len(), 2, "[lon, lat]");
                        Coord { x: p[0].as_f64().expect("lon"), y: p[1].as_f64().expect("lat") }
                    })
                    .collect()
            };
            let polys = f["geometry"]["coordinates"]
                .as_array()
                .expect("coordinates")
                .iter()
                .map(|p| {
                    let rings = p.as_array().expect("polygon");
                    Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
                })
                .collect();
            Feature {
                props: f["properties"].as_object().expect("properties").clone(),
                polygon: MultiPolygon::new(polys),
            }
        })
        .collect()
}

/// Homes of `coverage.geojson`: position and properties.
fn parse_homes(path: &Path) -> Vec<([f64; 2], serde_json::Map<String, Value>)> {
    let v = read_json(path);
    v["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| {
            let c = &f["geometry"]["coordinates"];
            (
                [c[0].as_f64().expect("lon"), c[1].as_f64().expect("lat")],
                f["properties"].as_object().expect("props").clone(),
            )
        })
        .collect()
}

/// The golden row of a feature: what it is and what it measures, not its coordinates.
fn golden_row(f: &Feature) -> Value {
    let p = &f.props;
    let id = p.get("facility_id").or_else(|| p.get("id")).cloned().unwrap_or(Value::Null);
    let area = p["area_m2"].as_f64().expect("area_m2");
    json!({
        "id": id,
        "category": p["category"],
        "minutes": p["minutes"],
        "threshold": p["threshold"],
        "area_m2": ((area / 100.0).round() * 100.0) as i64,
        "homes": p["homes"],
        "population": p["population"],
        "polygons": f.polygon.0.len(),
        "holes": holes(&f.polygon),
    })
}

const GOLDEN: &str = "tests/golden/beijing-bupt.isochrones.json";

/// (3) Per feature of the fixture's `isochrones.geojson` (5, 10, 15 min): area
/// (to 100 m²), homes, population, polygons and holes against
/// `tests/golden/beijing-bupt.isochrones.json` (`LIFECIRCLE_BLESS=1` rewrites
/// it), after sanity checks that hold whatever the golden file says.
#[test]
fn beijing_isochrones_match_golden() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    beijing_outputs(&out, 2);
    let feats = parse_isochrones(&out.join("isochrones.geojson"));
    let homes = parse_homes(&out.join("coverage.geojson"));
    let tol = raster_tol(&IsochroneParams::with_buffer(50.0));
    let speed = 4.5 / 3.6;
    let facilities = read_json(&out.join("facilities.geojson"));
    let position = |id: &Value| -> [f64; 2] {
        let f = facilities["features"].as_array().expect("features").iter().find(|f| &f["properties"]["id"] == id);
        let c = &f.expect("the facility is in facilities.geojson")["geometry"]["coordinates"];
        [c[0].as_f64().expect("lon"), c[1].as_f64().expect("lat")]
    };
    for f in feats.iter().filter(|f| f.props.contains_key("facility_id")) {
        let p = &f.props;
        let minutes = p["minutes"].as_f64().expect("minutes");
        let area = p["area_m2"].as_f64().expect("area");
        let what = format!("{} {} {minutes} min", p["facility_id"], p["category"]);
        // Within the disc a walk that long reaches from the facility, grown by the buffer:
        // every vertex, hence the area (a 5-minute area is well under π·425² = 0.57 km²).
        let radius = speed * minutes * 60.0 + 50.0 + tol;
        let at = position(&p["facility_id"]);
        for c in f.polygon.0.iter().flat_map(|p| p.exterior().0.iter()) {
            let d = haversine(at, [c.x, c.y]);
            assert!(d <= radius, "{what}: vertex {c:?} is {d:.0} m from the facility, beyond {radius:.0} m");
        }
        assert!(area > 0.0 && area <= std::f64::consts::PI * radius * radius, "{what}: {area} m²");
        if minutes == 5.0 {
            assert!(area <= std::f64::consts::PI * (425.0f64 + tol).powi(2), "{what}: {area} m² > π·(425 + tol)²");
        }
        let hp = p["homes"].as_u64().expect("homes") as f64;
        assert_eq!(p["population"].as_f64(), Some(hp), "{what}: OSM homes count 1 each");
    }
    // A coverage area is empty when its category has no facility; otherwise about the
    // union of its members: no smaller than the largest, no larger than their sum.
    for f in feats.iter().filter(|f| f.props.contains_key("id")) {
        let (cat, minutes) = (&f.props["category"], &f.props["minutes"]);
        let area = f.props["area_m2"].as_f64().expect("area");
        let members: Vec<f64> = feats
            .iter()
            .filter(|m| {
                m.props.contains_key("facility_id") && &m.props["category"] == cat && &m.props["minutes"] == minutes
            })
            .map(|m| m.props["area_m2"].as_f64().expect("area"))
            .collect();
        if members.is_empty() {
            assert!(area == 0.0 && f.polygon.0.is_empty() && f.props["homes"] == 0, "{cat} {minutes}: not empty");
        } else {
            let (max, sum) = (members.iter().cloned().fold(0.0, f64::max), members.iter().sum::<f64>());
            assert!(0.98 * max <= area && area <= 1.02 * sum, "{cat} {minutes}: {area} m² vs members {members:?}");
        }
    }
    // Coverage features: a home the category reaches within m minutes, whose snap
    // is within the buffer less the tolerance, is within that distance of the
    // reached network, so inside the category's coverage area.
    for f in feats.iter().filter(|f| f.props.contains_key("id")) {
        let cat = f.props["category"].as_str().expect("category");
        let label = lifecircle::analysis::minutes_label(f.props["minutes"].as_f64().expect("minutes"));
        let mut must = 0;
        for (ll, hp) in &homes {
            if hp[&format!("{cat}_ok_{label}")] == true && hp["snap_m"].as_f64().is_some_and(|s| s <= 50.0 - tol) {
                assert!(
                    inside(&f.polygon, *ll),
                    "{cat} {label} min: home {} (snap {}) is outside",
                    hp["id"],
                    hp["snap_m"]
                );
                must += 1;
            }
        }
        let got = f.props["homes"].as_u64().expect("homes");
        assert!(got >= must, "{cat} {label}: {got} homes inside < {must} reached within the buffer");
    }
    let got = Value::Array(feats.iter().map(golden_row).collect());
    crate::common::assert_golden("isochrones", &got, GOLDEN);
}

/// Bounding box `(min, max)` of the fixture's nodes, read with osmpbfreader.
fn fixture_bbox(path: &Path) -> ([f64; 2], [f64; 2]) {
    let mut min = [f64::INFINITY; 2];
    let mut max = [f64::NEG_INFINITY; 2];
    let mut pbf = OsmPbfReader::new(std::fs::File::open(path).expect("open fixture"));
    for obj in pbf.iter() {
        if let OsmObj::Node(n) = obj.expect("valid fixture") {
            let p = [n.decimicro_lon as f64 * 1e-7, n.decimicro_lat as f64 * 1e-7];
            min = [min[0].min(p[0]), min[1].min(p[1])];
            max = [max[0].max(p[0]), max[1].max(p[1])];
        }
    }
    (min, max)
}

/// (4) The file: a FeatureCollection; per reachable facility and threshold one
/// feature (ascending), then the `<cat>_coverage` features; [lon, lat] within
/// the fixture (grown by the buffer); valid as written (rounded coordinates);
/// `homes` and `population` equal a point-in-polygon count of
/// `coverage.geojson`; each coverage area holds its facilities' areas (to the
/// raster tolerance) and at least as many homes as any of them.
#[test]
fn beijing_isochrones_geojson_structure_and_counts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    beijing_outputs(&out, 2);
    assert_eq!(
        dir_entries(&out),
        [
            "coverage.geojson",
            "coverage.qml",
            "coverage_areas.geojson",
            "coverage_areas.qml",
            "facilities.geojson",
            "facilities.qml",
            "isochrones.geojson",
            "isochrones.qml",
            "run.json",
            "summary.json"
        ]
    );
    let feats = parse_isochrones(&out.join("isochrones.geojson"));
    let homes = parse_homes(&out.join("coverage.geojson"));
    let facilities = read_json(&out.join("facilities.geojson"));
    let params = IsochroneParams::with_buffer(50.0);
    let tol = raster_tol(&params);
    // Expected order: reachable facilities in file order × thresholds, then every
    // category in taxonomy order × thresholds (empty when it has no reachable facility).
    let mut want: Vec<(String, String, f64)> = Vec::new();
    for f in facilities["features"].as_array().expect("features") {
        let p = &f["properties"];
        if p["reachable"] == true {
            for m in MINUTES {
                let cat = p["category"].as_str().expect("category").to_string();
                want.push((p["id"].as_str().expect("id").to_string(), cat, m));
            }
        }
    }
    let summary = read_json(&out.join("summary.json"));
    for c in summary["categories"].as_array().expect("categories") {
        let key = c["key"].as_str().expect("key");
        for m in MINUTES {
            want.push((format!("{key}_coverage"), key.to_string(), m));
        }
    }
    let got: Vec<(String, String, f64)> = feats
        .iter()
        .map(|f| {
            let p = &f.props;
            let id = p.get("facility_id").or_else(|| p.get("id")).and_then(Value::as_str).expect("an id");
            (id.to_string(), p["category"].as_str().expect("category").to_string(), p["minutes"].as_f64().expect("min"))
        })
        .collect();
    assert_eq!(got, want);
    let (bmin, bmax) = fixture_bbox(&beijing());
    let lat = (bmin[1] + bmax[1]) / 2.0;
    let grow = [(50.0 + tol) / (M_PER_DEG * lat.to_radians().cos()), (50.0 + tol) / M_PER_DEG];
    for f in &feats {
        let p = &f.props;
        let what = format!("{:?} {} min", p.get("facility_id").or_else(|| p.get("id")), p["minutes"]);
        for key in ["category", "minutes", "threshold", "area_m2", "homes", "population", "kind"] {
            assert!(p.contains_key(key), "{what}: no {key}");
        }
        if p.contains_key("facility_id") {
            assert!(p.contains_key("name") && p["kind"] == "facility", "{what}");
        } else {
            assert_eq!(p["kind"].as_str(), p["id"].as_str(), "{what}");
        }
        if f.polygon.0.is_empty() {
            assert_eq!(p["category"], "elder_canteen", "{what}: empty");
            assert!(p["area_m2"] == 0.0 && p["homes"] == 0 && p["population"] == 0.0, "{what}: empty area counts");
            continue;
        }
        assert_valid_rfc7946(&f.polygon, &format!("{what} as written"));
        for c in
            f.polygon.0.iter().flat_map(|p| p.exterior().0.iter().chain(p.interiors().iter().flat_map(|r| r.0.iter())))
        {
            assert!(
                (bmin[0] - grow[0]..=bmax[0] + grow[0]).contains(&c.x)
                    && (bmin[1] - grow[1]..=bmax[1] + grow[1]).contains(&c.y),
                "{what}: {c:?} is not [lon, lat] within the fixture {bmin:?}–{bmax:?}"
            );
        }
        // Homes inside, recounted from coverage.geojson (strictly inside, as the library counts).
        let inside_homes: Vec<&serde_json::Map<String, Value>> =
            homes.iter().filter(|(ll, _)| f.polygon.contains(&Point::new(ll[0], ll[1]))).map(|(_, p)| p).collect();
        let pop: f64 = inside_homes.iter().map(|h| h["population"].as_f64().expect("population")).sum();
        assert_eq!(p["homes"].as_u64(), Some(inside_homes.len() as u64), "{what}: homes");
        assert!((p["population"].as_f64().expect("population") - pop).abs() < 1e-9, "{what}: population");
    }
    // Each coverage area holds its facilities' areas of the same threshold.
    for cov in feats.iter().filter(|f| f.props.contains_key("id")) {
        let (cat, minutes) = (&cov.props["category"], &cov.props["minutes"]);
        let members: Vec<&Feature> = feats
            .iter()
            .filter(|f| {
                f.props.contains_key("facility_id") && &f.props["category"] == cat && &f.props["minutes"] == minutes
            })
            .collect();
        assert_eq!(members.is_empty(), cov.polygon.0.is_empty(), "{cat} {minutes}");
        if members.is_empty() {
            continue;
        }
        let c0 = cov.polygon.0[0].exterior().0[0];
        let proj = local_projection([c0.x, c0.y]);
        let cov_local = to_local(&cov.polygon, &proj);
        for m in &members {
            let what = format!("{} in {cat} coverage at {minutes} min", m.props["facility_id"]);
            assert!(cov.props["homes"].as_u64() >= m.props["homes"].as_u64(), "{what}: fewer homes than a member");
            for c in m.polygon.0.iter().flat_map(|p| p.exterior().0.iter()) {
                if !cov.polygon.intersects(&Point::new(c.x, c.y)) {
                    let d = boundary_dist(&cov_local, proj.forward([c.x, c.y]));
                    assert!(d <= 2.0 * tol, "{what}: vertex {c:?} is {d:.2} m outside the coverage area");
                }
            }
        }
    }
}

/// Each home a facility reaches within the threshold (petgraph on the network
/// with every home and facility as a node), snapped within the buffer less the
/// tolerance, is inside that facility's area.
#[test]
fn beijing_homes_a_facility_reaches_are_inside_its_area() {
    let a = beijing_analysis();
    let iso = a.isochrones.as_ref().expect("isochrones");
    let tol = raster_tol(&IsochroneParams::with_buffer(50.0));
    let ex = Expanded::new(&a.graph, &a.facility_anchors, &a.home_anchors);
    let times = ex.facility_home_times();
    let mut checked = 0;
    for fa in &iso.facilities {
        for r in &fa.areas {
            let limit = TimeMs::from_secs_f64(MINUTES[r.threshold] * 60.0).0 as u64;
            for (h, home) in a.homes.iter().enumerate() {
                let snap = a.home_snaps[h].expect("snapped").access_m;
                if times[fa.facility][h].is_some_and(|t| t <= limit) && snap <= 50.0 - tol {
                    assert!(
                        inside(&r.area.polygon, home.lonlat),
                        "{} at {} min: home {} (snap {snap:.1} m) is outside",
                        a.facilities[fa.facility].id(),
                        MINUTES[r.threshold],
                        home.id()
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 100, "{checked}");
}

// ---------------------------------------------------------------------------------------------
// Fast kernels against their slow references
// ---------------------------------------------------------------------------------------------

/// Seeds of the kernel property tests ("FA57" ~ fast).
const KERNEL_SEEDS: [u64; 4] =
    [0xFA57_0000_0000_0001, 0xFA57_0000_0000_0002, 0xFA57_0000_0000_0003, 0xFA57_0000_0000_0004];

/// A random drawing for the field kernels: `(min, max, margin, cell_m, level_m, polylines)`,
/// frames of 20–300 cells a side (several 64-cell tiles), cells of 0.5–10 m, levels of
/// 1.5–30 cells (now and then close to the sparse field's largest halo), polylines
/// long and short, some single points, some leaving the frame.
#[allow(clippy::type_complexity)]
fn random_drawing(rng: &mut SplitMix64) -> ([f64; 2], [f64; 2], f64, f64, f64, Vec<Vec<[f64; 2]>>) {
    let cell_m = *rng.pick(&[0.5, 1.0, 2.0, 3.7, 10.0]);
    let cells = rng.range(20, 300) as f64;
    let min = [rng.float(-500.0, 500.0), rng.float(-500.0, 500.0)];
    let max = [min[0] + cells * cell_m * rng.float(0.3, 1.0), min[1] + cells * cell_m * rng.float(0.3, 1.0)];
    let level_cells = if rng.chance(0.1) { rng.float(100.0, 124.0) } else { rng.float(1.5, 30.0) };
    let level_m = level_cells * cell_m;
    let margin = level_m * 1.1 + 2.0 * cell_m;
    let mut lines = Vec::new();
    for _ in 0..rng.range(1, 40) {
        let mut p = [rng.float(min[0], max[0]), rng.float(min[1], max[1])];
        let mut line = vec![p];
        for _ in 0..rng.range(0, 6) {
            let step = cell_m * *rng.pick(&[0.3, 2.0, 15.0, 80.0]);
            p = [p[0] + rng.float(-step, step), p[1] + rng.float(-step, step)];
            line.push(p);
        }
        lines.push(line);
    }
    (min, max, margin, cell_m, level_m, lines)
}

/// The sparse distance field against the dense Felzenszwalb–Huttenlocher
/// transform over the whole frame: bit-identical values wherever marching
/// squares can read them (within the level plus two cells), farther cells
/// outside, the same inside flags, and the sparse contour scan gives the
/// very same rings as the dense one.
#[test]
fn sparse_field_and_contours_equal_the_dense_transform() {
    use lifecircle::isochrone::distance_field::Grid;
    use lifecircle::isochrone::marching_squares::{contour_rings, contour_rings_sparse};
    use lifecircle::isochrone::sparse_field::{MAX_HALO, SparseField, halo_cells};
    let (mut cases, mut compared, mut rings, mut big_halos) = (0, 0usize, 0usize, 0);
    for &seed in &KERNEL_SEEDS {
        let mut rng = SplitMix64::new(seed);
        for case in 0..15 {
            let (min, max, margin, cell_m, level_m, lines) = random_drawing(&mut rng);
            let what = format!("seed {seed:#x} case {case}: cell {cell_m} m, level {level_m} m");
            if halo_cells(level_m, cell_m) > MAX_HALO {
                continue;
            }
            big_halos += usize::from(halo_cells(level_m, cell_m) > 100);
            let mut dense = Grid::covering(min, max, margin, cell_m);
            let mut sparse = SparseField::covering(min, max, margin, cell_m);
            assert_eq!(
                (dense.width, dense.height, dense.x0.to_bits(), dense.y0.to_bits()),
                (sparse.width, sparse.height, sparse.x0.to_bits(), sparse.y0.to_bits()),
                "{what}"
            );
            for line in &lines {
                if line.len() == 1 {
                    dense.mark(line[0]);
                    sparse.mark(line[0]);
                }
                for w in line.windows(2) {
                    dense.draw_segment(w[0], w[1]);
                    sparse.draw_segment(w[0], w[1]);
                }
            }
            let d = dense.distance_m();
            sparse.compute(level_m);
            let (w, h) = (dense.width, dense.height);
            for j in 0..h {
                let mut row_bits: Vec<u128> = Vec::new();
                for i in 0..w {
                    let (want, got) = (d[j * w + i], sparse.value_m(i, j));
                    assert_eq!(sparse.is_marked(i, j), want == 0.0, "{what}: mark at ({i},{j})");
                    if want <= level_m + 2.0 * cell_m {
                        assert_eq!(got.to_bits(), want.to_bits(), "{what}: cell ({i},{j}) {got} vs {want}");
                        compared += 1;
                    } else {
                        assert!(got == want || got.is_infinite(), "{what}: far cell ({i},{j}) {got} vs {want}");
                    }
                    if i % 64 == 0 {
                        row_bits.push(sparse.inside_row(i, j));
                    }
                    let bit = row_bits[i / 64] >> (i % 64) & 1 == 1;
                    assert_eq!(bit, want <= level_m, "{what}: inside flag at ({i},{j})");
                }
            }
            let want = contour_rings(&d, w, h, level_m);
            let got = contour_rings_sparse(&sparse);
            assert_eq!(got, want, "{what}: rings");
            rings += want.len();
            cases += 1;
        }
    }
    eprintln!("{cases} drawings, {compared} cells compared, {rings} rings, {big_halos} halos over 100 cells");
    assert!(cases >= 50 && compared >= 100_000 && rings >= 100 && big_halos >= 2);
}

/// A random closed ring on a coarse lattice around `centre` (so that query
/// points often fall exactly on vertices and edges): a star polygon, now and
/// then with its vertices shuffled (self-crossing), a spike or a repeated point.
fn lattice_ring(rng: &mut SplitMix64, centre: [f64; 2], radius: f64, step: f64) -> LineString<f64> {
    let n = rng.range(3, 12);
    let snap = |v: f64| (v / step).round() * step;
    let mut pts: Vec<Coord<f64>> = (0..n)
        .map(|k| {
            let a = std::f64::consts::TAU * (k as f64 + rng.float(0.0, 0.8)) / n as f64;
            let r = radius * rng.float(0.6, 1.0);
            Coord { x: snap(centre[0] + r * a.cos()), y: snap(centre[1] + r * a.sin()) }
        })
        .collect();
    if rng.chance(0.1) && n > 3 {
        let (a, b) = (rng.below(n), rng.below(n));
        pts.swap(a, b);
    }
    if rng.chance(0.05) {
        let k = rng.below(n);
        pts.insert(k, pts[k]);
    }
    if rng.chance(0.05) && n > 2 {
        let k = rng.range(1, n - 1);
        let back = pts[k - 1];
        pts.insert(k + 1, back);
    }
    let first = pts[0];
    pts.push(first);
    LineString::new(pts)
}

/// `RingIndex::locate` against geo's `coord_pos_relative_to_ring` for every
/// ring, on lattice rings (shared vertices, collinear edges, horizontal
/// edges) and queries on the lattice, on vertices and at random.
#[test]
fn ring_index_locates_as_geo_does() {
    use lifecircle::isochrone::ring_index::{RingIndex, RingQuery, locate_reference};
    let mut tally = [0usize; 3];
    for &seed in &KERNEL_SEEDS {
        let mut rng = SplitMix64::new(seed ^ 0x0000_0000_0000_0A11);
        for case in 0..40 {
            // Lattice in metres, or in degrees near 47°N with 1e-7 steps (as written coordinates are).
            let (centre, radius, step) =
                if case % 2 == 0 { ([0.0, 0.0], 20.0, 1.0) } else { ([9.52, 47.16], 2e-5, 1e-7) };
            let rings: Vec<LineString<f64>> = (0..rng.range(1, 8))
                .map(|_| {
                    let c = [centre[0] + rng.float(-radius, radius), centre[1] + rng.float(-radius, radius)];
                    lattice_ring(&mut rng, c, radius, step)
                })
                .collect();
            let index = RingIndex::new(rings.iter());
            let mut q = RingQuery::default();
            let mut queries: Vec<Coord<f64>> = rings.iter().flat_map(|r| r.0.iter().copied()).collect();
            for r in &rings {
                for w in r.0.windows(2) {
                    queries.push(Coord { x: (w[0].x + w[1].x) / 2.0, y: (w[0].y + w[1].y) / 2.0 });
                }
            }
            for _ in 0..300 {
                let snap = |v: f64| (v / step).round() * step;
                let x = centre[0] + rng.float(-2.5 * radius, 2.5 * radius);
                let y = centre[1] + rng.float(-2.5 * radius, 2.5 * radius);
                queries.push(if rng.chance(0.5) { Coord { x: snap(x), y: snap(y) } } else { Coord { x, y } });
            }
            for c in queries {
                let got = index.locate(c, &mut q).to_vec();
                for (k, ring) in rings.iter().enumerate() {
                    let want = locate_reference(c, ring);
                    let found = got.iter().find(|x| x.0 as usize == k).map(|x| x.1);
                    assert_eq!(
                        found.unwrap_or(CoordPos::Outside),
                        want,
                        "seed {seed:#x} case {case} ring {k} at {c:?}"
                    );
                    tally[match want {
                        CoordPos::Inside => 0,
                        CoordPos::OnBoundary => 1,
                        CoordPos::Outside => 2,
                    }] += 1;
                }
            }
        }
    }
    eprintln!("inside, on boundary, outside: {tally:?}");
    assert!(tally.iter().all(|&n| n >= 1000), "{tally:?}");
}

/// A random MultiPolygon for the validity check: lattice shells with holes
/// inside, crossing, touching or outside them, polygons apart, nested in
/// holes or overlapping, rings spiked, crossing or with repeated points.
fn random_multipolygon(rng: &mut SplitMix64, step: f64) -> MultiPolygon<f64> {
    let mut polys = Vec::new();
    for _ in 0..rng.range(1, 4) {
        let centre = [rng.float(-150.0, 150.0), rng.float(-150.0, 150.0)];
        let radius = rng.float(10.0, 40.0);
        let shell = lattice_ring(rng, centre, radius, step);
        let mut holes = Vec::new();
        for _ in 0..rng.range(0, 4) {
            let near = if rng.chance(0.85) { 0.25 } else { 1.0 };
            let c = [centre[0] + rng.float(-near, near) * radius, centre[1] + rng.float(-near, near) * radius];
            let r = radius * rng.float(0.03, 0.15);
            let mut hole = lattice_ring(rng, c, r, step);
            if rng.chance(0.05) {
                hole.0[0] = shell.0[0]; // touching the shell at a vertex
                let last = hole.0.len() - 1;
                hole.0[last] = shell.0[0];
            }
            if rng.chance(0.7) {
                hole.0.reverse();
            }
            holes.push(hole);
        }
        polys.push(Polygon::new(shell, holes));
    }
    MultiPolygon::new(polys)
}

/// `validity::is_valid` against geo's `is_valid` on random MultiPolygons,
/// valid and invalid, with the fast path deciding most of them.
#[test]
fn validity_agrees_with_geo() {
    use lifecircle::isochrone::validity::{decide, is_valid};
    let (mut valid, mut invalid, mut decided_valid, mut decided_invalid) = (0, 0, 0, 0);
    for &seed in &KERNEL_SEEDS {
        let mut rng = SplitMix64::new(seed ^ 0x0000_0000_0000_7A11);
        for case in 0..400 {
            let step = *rng.pick(&[0.5, 1e-3, 1e-3, 1e-3]);
            let mp = random_multipolygon(&mut rng, step);
            let want = mp.is_valid();
            assert_eq!(is_valid(&mp), want, "seed {seed:#x} case {case}: {mp:?}");
            if let Some(v) = decide(&mp) {
                assert_eq!(v, want, "seed {seed:#x} case {case}: decided wrongly {mp:?}");
                if v { decided_valid += 1 } else { decided_invalid += 1 }
            }
            if want { valid += 1 } else { invalid += 1 }
        }
    }
    eprintln!("valid {valid} ({decided_valid} decided fast), invalid {invalid} ({decided_invalid} decided fast)");
    assert!(valid >= 200 && invalid >= 200 && decided_valid >= 100 && decided_invalid >= 50);
}

/// `build_area` (sparse field, ring index, fast validity) against
/// `build_area_reference` (dense transform over the box, geo's predicates):
/// the same `ServiceArea`, bit for bit, on every net, for buffers of 1 m
/// (2 m cells) to 600 m (past the sparse halo: the dense field), with and
/// without simplification, on coarsened cells, and with the reached
/// intervals drawn twice in any order (as category unions may). Homes
/// counted through the ring index equal geo's `contains` on every home,
/// homes on outline vertices included.
#[test]
fn areas_and_home_counts_equal_their_references_on_random_networks() {
    use lifecircle::isochrone::build_area_reference;
    let (mut areas, mut holes_seen, mut homes_inside, mut simplified, mut dense_fields) = (0, 0, 0, 0, 0);
    for (net, mut rng) in nets() {
        let g = &net.graph;
        if g.num_edges() == 0 {
            continue;
        }
        let mut ws = DijkstraWorkspace::new(g.num_nodes());
        for f in 0..3 {
            let a = some_anchor(&mut rng, g);
            let mut params = IsochroneParams::with_buffer(*rng.pick(&[1.0, 20.0, 50.0, 50.0, 600.0]));
            params.simplify_m = *rng.pick(&[0.0, 2.0, params.buffer_m / 4.0]);
            if rng.chance(0.2) {
                params.max_cells = 20_000; // coarsened cells
            }
            if params.buffer_m == 600.0 && rng.chance(0.5) {
                params.cell_m = 4.0; // a halo of 152 cells: the dense field
                dense_fields += 1;
            }
            let proj = local_projection(anchor_point(g, &a));
            let budget = TimeMs(rng.range(20_000, 900_000) as u32);
            let what = format!("{} facility {f} budget {} ms {params:?}", net.name, budget.0);
            let ivs = reached_intervals(g, &mut ws, &a, budget);
            let want = build_area_reference(g, &ivs, &proj, &params);
            let got = build_area(g, &ivs, &proj, &params);
            assert_eq!(got, want, "{what}");
            let mut twice: Vec<ReachedInterval> = ivs.iter().chain(ivs.iter()).copied().collect();
            for k in (1..twice.len()).rev() {
                twice.swap(k, rng.below(k + 1));
            }
            assert_eq!(build_area(g, &twice, &proj, &params), want, "{what}: intervals twice, shuffled");
            areas += 1;
            holes_seen += holes(&got.polygon);
            simplified += usize::from(params.simplify_m > 0.0);
            // Homes: random ones around the area, and some on its vertices.
            let Some(b) = geo::BoundingRect::bounding_rect(&got.polygon) else { continue };
            let mut homes: Vec<[f64; 2]> =
                (0..300).map(|_| [rng.float(b.min().x, b.max().x), rng.float(b.min().y, b.max().y)]).collect();
            let vertices: Vec<[f64; 2]> =
                got.polygon.0.iter().flat_map(|p| p.exterior().0.iter()).map(|c| [c.x, c.y]).collect();
            for _ in 0..20 {
                homes.push(*rng.pick(&vertices));
            }
            let population: Vec<f64> = (0..homes.len()).map(|k| 1.0 + k as f64 / 7.0).collect();
            let index = HomeIndex::new(&homes, &population);
            let (n, pop) = index.count(&got);
            let (n_ref, pop_ref) = index.count_reference(&got);
            assert_eq!((n, pop.to_bits()), (n_ref, pop_ref.to_bits()), "{what}: homes");
            homes_inside += n;
        }
    }
    eprintln!(
        "{areas} areas, {holes_seen} holes, {homes_inside} homes inside, {simplified} simplified, {dense_fields} dense"
    );
    assert!(areas >= 60 && holes_seen >= 20 && homes_inside >= 1000 && simplified >= 20 && dense_fields >= 2);
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------

fn cli(args: &[&str]) -> Run {
    let o = run_cli(args);
    Run {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// (5) `isochrones --category childcare` writes only childcare features.
#[test]
fn cli_isochrones_category_writes_only_that_category() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let pbf = beijing();
    let r = cli(&[
        "isochrones",
        "--pbf",
        pbf.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--category",
        "childcare",
        "--minutes",
        "5,15",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let feats = parse_isochrones(&out.join("isochrones.geojson"));
    assert!(!feats.is_empty());
    assert!(feats.iter().all(|f| f.props["category"] == "childcare"), "only childcare");
    let ids: Vec<&str> = feats.iter().filter_map(|f| f.props.get("id").and_then(Value::as_str)).collect();
    assert_eq!(ids, ["childcare_coverage", "childcare_coverage"]);
    assert_eq!(feats.len(), 2 * 2, "one childcare facility × 2 thresholds + its coverage × 2");
}

/// (5) Bad service-area parameters: exit 2, one line naming the option, nothing written.
#[test]
fn cli_bad_isochrone_parameters_exit_2() {
    let pbf = beijing();
    for (cmd, extra, name) in [
        ("isochrones", vec!["--category", "nope"], "--category"),
        ("isochrones", vec!["--buffer-m", "0"], "--buffer-m"),
        ("isochrones", vec!["--buffer-m", "-5"], "--buffer-m"),
        ("isochrones", vec!["--buffer-m", "NaN"], "--buffer-m"),
        ("isochrones", vec!["--simplify-m", "-1"], "--simplify-m"),
        ("analyze", vec!["--isochrones", "--buffer-m", "0"], "--buffer-m"),
        ("analyze", vec!["--category", "grocery"], "--category"),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("out");
        let mut args = vec![cmd, "--pbf", pbf.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"];
        args.extend(&extra);
        let r = cli(&args);
        assert_input_error(&r, &out, &[name], &format!("{cmd} {extra:?}"));
    }
}

/// (5) `analyze` without `--isochrones` writes no isochrones.geojson; with it, it does.
#[test]
fn cli_analyze_writes_isochrones_only_when_asked() {
    let pbf = beijing();
    let dir = tempfile::tempdir().expect("temp dir");
    let (plain, with) = (dir.path().join("plain"), dir.path().join("with"));
    let r = cli(&["analyze", "--pbf", pbf.to_str().unwrap(), "--out", plain.to_str().unwrap(), "--quiet"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        dir_entries(&plain),
        ["coverage.geojson", "coverage.qml", "facilities.geojson", "facilities.qml", "run.json", "summary.json"]
    );
    let r =
        cli(&["analyze", "--isochrones", "--pbf", pbf.to_str().unwrap(), "--out", with.to_str().unwrap(), "--quiet"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        dir_entries(&with),
        [
            "coverage.geojson",
            "coverage.qml",
            "coverage_areas.geojson",
            "coverage_areas.qml",
            "facilities.geojson",
            "facilities.qml",
            "isochrones.geojson",
            "isochrones.qml",
            "run.json",
            "summary.json"
        ]
    );
    let feats = parse_isochrones(&with.join("isochrones.geojson"));
    assert!(feats.iter().all(|f| f.props["minutes"] == 15.0), "one threshold by default");
    for f in ["coverage.geojson", "coverage.qml", "facilities.geojson", "facilities.qml"] {
        assert_eq!(
            std::fs::read(plain.join(f)).unwrap(),
            std::fs::read(with.join(f)).unwrap(),
            "{f} changed by --isochrones"
        );
    }
    // A later run without --isochrones into the same folder leaves no stale isochrones.geojson.
    let r = cli(&["analyze", "--pbf", pbf.to_str().unwrap(), "--out", with.to_str().unwrap(), "--quiet"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        dir_entries(&with),
        ["coverage.geojson", "coverage.qml", "facilities.geojson", "facilities.qml", "run.json", "summary.json"],
        "stale output left"
    );
}
