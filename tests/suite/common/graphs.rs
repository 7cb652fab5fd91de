//! Graph builders: hand-placed networks and random ones.

use lifecircle::graph::{EdgeSpec, WalkGraph};
use lifecircle::ids::{EdgeId, NodeId, TimeMs};
use lifecircle::routing::Anchor;

use super::rng::SplitMix64;

/// Mean Earth radius the library documents (GRS80 mean radius), metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// 0.001 degree of a great circle (of longitude at the equator, of latitude anywhere):
/// `6 371 008.8 m × 0.001 × π / 180 = 111.195 080 233 5 m`.
pub const MILLIDEGREE_M: f64 = 111.195_080_233_532_92;

/// Haversine distance in metres, written out independently of the library.
pub fn haversine(a: [f64; 2], b: [f64; 2]) -> f64 {
    let (la1, la2) = (a[1].to_radians(), b[1].to_radians());
    let dlat = la2 - la1;
    let dlon = (b[0] - a[0]).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().asin()
}

/// Length of a polyline in metres (independent of the library).
pub fn polyline_m(points: &[[f64; 2]]) -> f64 {
    points.windows(2).map(|w| haversine(w[0], w[1])).sum()
}

/// An edge from `u` to `v` along `geometry`.
pub fn edge(u: u32, v: u32, geometry: Vec<[f64; 2]>) -> EdgeSpec {
    EdgeSpec { u: NodeId(u), v: NodeId(v), geometry, highway: 0 }
}

/// A straight edge between two nodes of `nodes`.
pub fn straight(nodes: &[[f64; 2]], u: u32, v: u32) -> EdgeSpec {
    edge(u, v, vec![nodes[u as usize], nodes[v as usize]])
}

/// An anchor from explicit times, checked against the edge time.
pub fn anchor(g: &WalkGraph, e: u32, to_u: u32, access: u32) -> Option<Anchor> {
    let t = g.edge_time(EdgeId(e)).0;
    assert!(to_u <= t, "to_u {to_u} beyond edge {e} of {t} ms");
    Some(Anchor { edge: EdgeId(e), to_u: TimeMs(to_u), to_v: TimeMs(t - to_u), access: TimeMs(access) })
}

/// A random network and how it was made.
pub struct RandomNet {
    /// The graph.
    pub graph: WalkGraph,
    /// Node positions.
    pub nodes: Vec<[f64; 2]>,
    /// The edges as given to `WalkGraph::new`.
    pub specs: Vec<EdgeSpec>,
    /// Walking speed, m/s.
    pub speed: f64,
    /// Bounding box of the nodes `(min, max)`, degrees.
    pub bbox: ([f64; 2], [f64; 2]),
}

fn jitter(rng: &mut SplitMix64, p: [f64; 2], d: f64) -> [f64; 2] {
    [p[0] + rng.float(-d, d), p[1] + rng.float(-d, d)]
}

/// A random network of `n` nodes somewhere on the globe (|lat| ≤ 70°), about
/// 1 km across, in 1 to 4 clusters that edges never join (so several
/// components, and some isolated nodes). Edges have 0 to 3 interior vertices;
/// some are self-loops, some parallel to another edge (possibly reversed),
/// some of zero length (duplicate node positions), some with a repeated vertex.
pub fn random_net(rng: &mut SplitMix64, n: usize) -> RandomNet {
    let base = [rng.float(-179.0, 179.0), rng.float(-70.0, 70.0)];
    let spread = 0.01;
    let mut nodes: Vec<[f64; 2]> = Vec::with_capacity(n);
    for i in 0..n {
        if i > 0 && rng.chance(0.03) {
            let j = rng.below(i);
            nodes.push(nodes[j]); // duplicate position: zero-length edges
        } else {
            nodes.push([base[0] + rng.float(0.0, spread), base[1] + rng.float(0.0, spread)]);
        }
    }
    let clusters = rng.range(1, 4).min(n);
    let cluster_of: Vec<usize> = (0..n).map(|_| rng.below(clusters)).collect();
    let members: Vec<Vec<u32>> =
        (0..clusters).map(|c| (0..n as u32).filter(|&i| cluster_of[i as usize] == c).collect()).collect();
    let m = (n as f64 * rng.float(0.6, 2.0)) as usize;
    let mut specs: Vec<EdgeSpec> = Vec::with_capacity(m);
    while specs.len() < m {
        let c = &members[rng.below(clusters)];
        if c.is_empty() {
            continue;
        }
        let kind = rng.below(100);
        if kind < 8 {
            // Self-loop through two detour vertices.
            let u = *rng.pick(c);
            let p = nodes[u as usize];
            specs.push(edge(u, u, vec![p, jitter(rng, p, 0.001), jitter(rng, p, 0.001), p]));
        } else if kind < 18 && !specs.is_empty() {
            // Parallel to an existing edge of another shape, maybe reversed.
            let (u, v) = {
                let e = &specs[rng.below(specs.len())];
                if rng.chance(0.5) { (e.u.0, e.v.0) } else { (e.v.0, e.u.0) }
            };
            let (pu, pv) = (nodes[u as usize], nodes[v as usize]);
            let mid = jitter(rng, [(pu[0] + pv[0]) / 2.0, (pu[1] + pv[1]) / 2.0], 0.002);
            specs.push(edge(u, v, vec![pu, mid, pv]));
        } else {
            let u = *rng.pick(c);
            let v = *rng.pick(c);
            let (pu, pv) = (nodes[u as usize], nodes[v as usize]);
            let mut geom = vec![pu];
            for k in 0..rng.below(4) {
                let t = (k as f64 + 1.0) / 5.0;
                geom.push(jitter(rng, [pu[0] + (pv[0] - pu[0]) * t, pu[1] + (pv[1] - pu[1]) * t], 0.0005));
            }
            if rng.chance(0.05) {
                let last = *geom.last().expect("not empty");
                geom.push(last); // a zero-length segment inside the geometry
            }
            geom.push(pv);
            specs.push(edge(u, v, geom));
        }
    }
    let speed = rng.float(0.8, 2.0);
    let graph = WalkGraph::new(nodes.clone(), specs.clone(), speed);
    let mut min = [f64::INFINITY; 2];
    let mut max = [f64::NEG_INFINITY; 2];
    for s in &specs {
        for p in &s.geometry {
            for k in 0..2 {
                min[k] = min[k].min(p[k]);
                max[k] = max[k].max(p[k]);
            }
        }
    }
    RandomNet { graph, nodes, specs, speed, bbox: (min, max) }
}

/// A random anchor on `g` (which must have edges): half the time on one of
/// `hot` edges (so that homes and facilities share edges), `to_u` often at an
/// end (0 or the whole edge), access often 0.
pub fn random_anchor(rng: &mut SplitMix64, g: &WalkGraph, hot: &[u32]) -> Option<Anchor> {
    if rng.chance(0.05) {
        return None;
    }
    let e = if !hot.is_empty() && rng.chance(0.5) { *rng.pick(hot) } else { rng.below(g.num_edges()) as u32 };
    let t = g.edge_time(EdgeId(e)).0;
    let to_u = match rng.below(6) {
        0 => 0,
        1 => t,
        _ => rng.range(0, t as usize) as u32,
    };
    let access = if rng.chance(0.3) { 0 } else { rng.range(0, 60_000) as u32 };
    anchor(g, e, to_u, access)
}
