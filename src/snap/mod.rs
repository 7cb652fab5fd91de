//! Snapping points to the nearest point of the nearest edge.
//!
//! An R-tree (rstar) holds every segment of every edge in Earth-centred
//! metres ([`crate::geometry::to_ecef`]), so distances are true metres
//! anywhere on the globe. Building is `O(S log S)` for `S` segments; a query
//! is `O(log S)` expected.

use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::{GeomWithData, Line};

use crate::geometry::{haversine_m, to_ecef};
use crate::graph::WalkGraph;
use crate::ids::EdgeId;

/// Where a point meets the network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    /// The edge it joins.
    pub edge: EdgeId,
    /// Distance along the edge's geometry from its `u` end, metres.
    pub offset_m: f64,
    /// Straight-line distance from the point to the edge, metres (walked as access).
    pub access_m: f64,
}

type Segment = GeomWithData<Line<[f64; 3]>, (u32, u32)>;

/// R-tree of edge segments.
pub struct SnapIndex {
    tree: RTree<Segment>,
    /// Length from the edge start to each geometry vertex, indexed like the graph's geometry.
    cum_m: Vec<Vec<f64>>,
}

fn dist3(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// Parameter `t ∈ [0, 1]` of the point of segment `a`-`b` nearest to `q`.
fn segment_param(a: [f64; 3], b: [f64; 3], q: [f64; 3]) -> f64 {
    let ab = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    let aq = [q[0] - a[0], q[1] - a[1], q[2] - a[2]];
    let len2 = ab[0] * ab[0] + ab[1] * ab[1] + ab[2] * ab[2];
    if len2 <= 0.0 {
        return 0.0;
    }
    ((aq[0] * ab[0] + aq[1] * ab[1] + aq[2] * ab[2]) / len2).clamp(0.0, 1.0)
}

fn lerp3(a: [f64; 3], b: [f64; 3], t: f64) -> [f64; 3] {
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]
}

/// Cumulative haversine lengths along every edge's geometry.
fn cumulative_lengths(graph: &WalkGraph) -> Vec<Vec<f64>> {
    (0..graph.num_edges())
        .map(|e| {
            let geom = graph.edge_geometry(EdgeId(e as u32));
            let mut acc = 0.0;
            let mut cum = Vec::with_capacity(geom.len());
            cum.push(0.0);
            for w in geom.windows(2) {
                acc += haversine_m(w[0], w[1]);
                cum.push(acc);
            }
            cum
        })
        .collect()
}

/// The snap of `q` onto segment `seg` of edge `edge`.
fn snap_on_segment(graph: &WalkGraph, cum_m: &[Vec<f64>], edge: u32, seg: u32, q: [f64; 3]) -> Snap {
    let geom = graph.edge_geometry(EdgeId(edge));
    let (a, b) = (to_ecef(geom[seg as usize]), to_ecef(geom[seg as usize + 1]));
    let t = segment_param(a, b, q);
    let cum = &cum_m[edge as usize];
    let seg_len = cum[seg as usize + 1] - cum[seg as usize];
    Snap { edge: EdgeId(edge), offset_m: cum[seg as usize] + t * seg_len, access_m: dist3(q, lerp3(a, b, t)) }
}

impl SnapIndex {
    /// Indexes every segment of `graph`.
    pub fn new(graph: &WalkGraph) -> SnapIndex {
        let segments: Vec<Segment> = (0..graph.num_edges() as u32)
            .into_par_iter()
            .flat_map_iter(|e| {
                let geom = graph.edge_geometry(EdgeId(e));
                (0..geom.len().saturating_sub(1))
                    .map(move |s| GeomWithData::new(Line::new(to_ecef(geom[s]), to_ecef(geom[s + 1])), (e, s as u32)))
            })
            .collect();
        SnapIndex { tree: RTree::bulk_load(segments), cum_m: cumulative_lengths(graph) }
    }

    /// Snaps a `[lon, lat]` point to the nearest point of the network (`None` only for an empty graph).
    pub fn snap(&self, graph: &WalkGraph, lonlat: [f64; 2]) -> Option<Snap> {
        let q = to_ecef(lonlat);
        let nearest = self.tree.nearest_neighbor(q)?;
        let (edge, seg) = nearest.data;
        Some(snap_on_segment(graph, &self.cum_m, edge, seg, q))
    }

    /// Snaps many points in parallel, keeping their order.
    pub fn snap_all(&self, graph: &WalkGraph, points: &[[f64; 2]]) -> Vec<Option<Snap>> {
        points.par_iter().map(|&p| self.snap(graph, p)).collect()
    }
}

/// The slow obvious reference: scan every segment. `O(S)` per query.
pub fn snap_brute_force(graph: &WalkGraph, lonlat: [f64; 2]) -> Option<Snap> {
    let cum_m = cumulative_lengths(graph);
    let q = to_ecef(lonlat);
    let mut best: Option<Snap> = None;
    for e in 0..graph.num_edges() as u32 {
        let n = graph.edge_geometry(EdgeId(e)).len();
        for s in 0..n.saturating_sub(1) as u32 {
            let cand = snap_on_segment(graph, &cum_m, e, s, q);
            if best.is_none_or(|b| cand.access_m < b.access_m) {
                best = Some(cand);
            }
        }
    }
    best
}
