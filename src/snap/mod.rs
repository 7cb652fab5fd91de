//! Snapping points to the nearest point of the nearest edge.
//!
//! An R-tree (rstar) holds every edge as a polyline in Earth-centred metres
//! ([`crate::geometry::to_ecef`]), so distances are true metres anywhere on
//! the globe. Building is `O(E log E)` for `E` edges; a query is `O(log E)`
//! expected, times the segments of the edges it inspects.

pub mod kdtree;
mod nearest;

use std::sync::OnceLock;

use rayon::prelude::*;
use rstar::{AABB, RStarInsertionStrategy, RTree, RTreeObject, RTreeParams};

use kdtree::KdTree;

use crate::geometry::to_ecef;
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

/// One edge in the R-tree: its box, and where its polyline in Earth-centred
/// metres lies in [`EdgeTree::points`] (the graph's vertex numbers).
///
/// Indexing whole edges rather than single segments keeps the tree a few
/// times smaller (faster to build); the exact distance scans the edge's few
/// segments. The polylines share one array, so building and dropping the
/// tree allocate and free no memory per edge.
struct EdgeShape {
    edge: u32,
    first: u32,
    end: u32,
    envelope: AABB<[f64; 3]>,
}

/// The edge R-tree and the polylines it points into.
struct EdgeTree {
    rtree: RTree<EdgeShape, EdgeTreeParams>,
    /// Every geometry vertex of the graph in Earth-centred metres, by vertex number.
    points: Vec<[f64; 3]>,
}

impl RTreeObject for EdgeShape {
    type Envelope = AABB<[f64; 3]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

impl EdgeShape {
    /// The edge's polyline in Earth-centred metres, out of `points` (its tree's [`EdgeTree::points`]).
    #[inline]
    fn points<'a>(&self, points: &'a [[f64; 3]]) -> &'a [[f64; 3]] {
        &points[self.first as usize..self.end as usize]
    }

    /// The squared distance from `q` to the edge and the segment where it is
    /// met (the first on ties), in one pass over the segments.
    fn nearest(&self, points: &[[f64; 3]], q: [f64; 3]) -> (f64, u32) {
        let mut best = (f64::INFINITY, 0u32);
        for (i, w) in self.points(points).windows(2).enumerate() {
            let d = dist3(lerp3(w[0], w[1], segment_param(w[0], w[1], q)), q);
            if d < best.0 {
                best = (d, i as u32);
            }
        }
        (best.0.powi(2), best.1)
    }
}

/// The edge tree's node size: wider than rstar's default of 6, so the bulk
/// load partitions fewer times and a query visits fewer levels (measured on
/// scale-6regions' 242k edges: bulk load 0.21 s with 6, 0.09 s with 32).
struct EdgeTreeParams;

impl RTreeParams for EdgeTreeParams {
    const MIN_SIZE: usize = 12;
    const MAX_SIZE: usize = 32;
    const REINSERTION_COUNT: usize = 8;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

/// R-tree of edges, built at once ([`SnapIndex::new`]) or on first use
/// ([`SnapIndex::deferred`]).
pub struct SnapIndex {
    tree: OnceLock<EdgeTree>,
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

/// A point's place on the Z-order curve of a 2^32 x 2^32 grid of the globe.
fn morton([lon, lat]: [f64; 2]) -> u64 {
    let cell = |v: f64, lo: f64, span: f64| (((v - lo) / span).clamp(0.0, 1.0) * f64::from(u32::MAX)) as u32;
    let spread = |v: u32| {
        let mut x = u64::from(v);
        x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
        x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
        x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
        x = (x | (x << 2)) & 0x3333_3333_3333_3333;
        (x | (x << 1)) & 0x5555_5555_5555_5555
    };
    spread(cell(lon, -180.0, 360.0)) | (spread(cell(lat, -90.0, 180.0)) << 1)
}

/// The snap of `q` onto segment `seg` of edge `edge`.
fn snap_on_segment(graph: &WalkGraph, edge: u32, seg: u32, q: [f64; 3]) -> Snap {
    let geom = graph.edge_geometry(EdgeId(edge));
    snap_between(graph, edge, seg, [to_ecef(geom[seg as usize]), to_ecef(geom[seg as usize + 1])], q)
}

/// [`snap_on_segment`] with the segment's ends already in Earth-centred metres.
fn snap_between(graph: &WalkGraph, edge: u32, seg: u32, [a, b]: [[f64; 3]; 2], q: [f64; 3]) -> Snap {
    let t = segment_param(a, b, q);
    let cum = graph.edge_cumulative_m(EdgeId(edge));
    let seg_len = cum[seg as usize + 1] - cum[seg as usize];
    Snap { edge: EdgeId(edge), offset_m: cum[seg as usize] + t * seg_len, access_m: dist3(q, lerp3(a, b, t)) }
}

impl SnapIndex {
    /// Indexes every edge of `graph`.
    pub fn new(graph: &WalkGraph) -> SnapIndex {
        let index = SnapIndex::deferred();
        index.tree(graph);
        index
    }

    /// An index built from the graph of its first query (all queries must
    /// pass the same graph): free when nothing snaps to edges.
    pub fn deferred() -> SnapIndex {
        SnapIndex { tree: OnceLock::new() }
    }

    fn tree(&self, graph: &WalkGraph) -> &EdgeTree {
        self.tree.get_or_init(|| {
            let mut points = Vec::new();
            graph.vertices().par_iter().map(|&p| to_ecef(p)).collect_into_vec(&mut points);
            let edges: Vec<EdgeShape> = (0..graph.num_edges() as u32)
                .into_par_iter()
                .filter_map(|e| {
                    let r = graph.edge_vertices(EdgeId(e));
                    (r.len() >= 2).then(|| EdgeShape {
                        edge: e,
                        first: r.start as u32,
                        end: r.end as u32,
                        envelope: AABB::from_points(points[r].iter()),
                    })
                })
                .collect();
            EdgeTree { rtree: RTree::bulk_load_with_params(edges), points }
        })
    }

    /// Snaps a `[lon, lat]` point to the nearest point of the network (`None` only for an empty graph).
    pub fn snap(&self, graph: &WalkGraph, lonlat: [f64; 2]) -> Option<Snap> {
        self.snap_within(graph, lonlat, f64::INFINITY)
    }

    /// [`SnapIndex::snap`] when the nearest point is at most `max_m` away
    /// (give or take a rounding error: compare the snap's `access_m`), else
    /// `None`; the search stops at that radius.
    pub fn snap_within(&self, graph: &WalkGraph, lonlat: [f64; 2], max_m: f64) -> Option<Snap> {
        self.search(graph, &mut nearest::Scratch::default(), lonlat, max_m)
    }

    /// Snaps many points in parallel, keeping their order.
    pub fn snap_all(&self, graph: &WalkGraph, points: &[[f64; 2]]) -> Vec<Option<Snap>> {
        self.snap_all_within(graph, points, |_| f64::INFINITY)
    }

    /// [`SnapIndex::snap_within`] for many points in parallel, point `i` within
    /// `max_m(i)`, keeping their order; one search scratch per batch of points.
    ///
    /// The points are searched in the order of a space-filling curve, so that
    /// each search starts from a near neighbour's answer (the answers do not
    /// depend on it): [`SnapIndex::snap_each_within`] over them so ordered.
    pub fn snap_all_within(
        &self,
        graph: &WalkGraph,
        points: &[[f64; 2]],
        max_m: impl Fn(usize) -> f64 + Sync,
    ) -> Vec<Option<Snap>> {
        let mut order: Vec<(u64, u32)> = points.par_iter().enumerate().map(|(i, &p)| (morton(p), i as u32)).collect();
        order.par_sort_unstable();
        let along: Vec<[f64; 2]> = order.par_iter().map(|&(_, i)| points[i as usize]).collect();
        let found = self.snap_each_within(graph, &along, |k| max_m(order[k].1 as usize));
        let mut out = vec![None; points.len()];
        for (&(_, i), snap) in order.iter().zip(found) {
            out[i as usize] = snap;
        }
        out
    }

    /// [`SnapIndex::snap_within`] for many points in parallel, in their own
    /// order (each search bounded from the start by the previous answer of its
    /// batch, so points near their predecessors search least); for searches
    /// whose radius already bounds them closely, the ordering of
    /// [`SnapIndex::snap_all_within`] would not bound them more.
    pub fn snap_each_within(
        &self,
        graph: &WalkGraph,
        points: &[[f64; 2]],
        max_m: impl Fn(usize) -> f64 + Sync,
    ) -> Vec<Option<Snap>> {
        self.tree(graph); // built before the parallel queries, not inside one of them
        points
            .par_iter()
            .enumerate()
            .map_init(nearest::Scratch::default, |scratch, (i, &p)| self.search(graph, scratch, p, max_m(i)))
            .collect()
    }

    /// One search with `scratch` as its workspace.
    fn search<'a>(
        &'a self,
        graph: &WalkGraph,
        scratch: &mut nearest::Scratch<'a>,
        lonlat: [f64; 2],
        max_m: f64,
    ) -> Option<Snap> {
        let q = to_ecef(lonlat);
        let max_d2 = if max_m.is_finite() { (max_m * (1.0 + 1e-9) + 1e-9).powi(2) } else { f64::INFINITY };
        // Of edges at the same distance (a point nearest a junction is as near
        // every edge meeting there) the first in edge order wins, as in
        // `snap_brute_force`, whatever the tree's shape.
        let mut best: Option<Snap> = None;
        let tree = self.tree(graph);
        nearest::nearest_edges(scratch, tree, q, max_d2, |shape, seg| {
            let points = shape.points(&tree.points);
            let ends = [points[seg as usize], points[seg as usize + 1]];
            let snap = snap_between(graph, shape.edge, seg, ends, q);
            if best.is_none_or(|b| (snap.access_m, snap.edge) < (b.access_m, b.edge)) {
                best = Some(snap);
            }
        });
        best
    }
}

/// Nearest network vertex (edge ends and interior geometry points), for
/// node-based snapping as other tools do it: a point joins the network at its
/// nearest vertex, and the distance to it is not walked.
///
/// A [`KdTree`] of the vertices in Earth-centred metres, numbered edge by edge
/// along each geometry: of vertices at the same distance (a junction is a
/// vertex of every edge that meets there) the first so numbered wins.
/// Building is `O(V log V)` for `V` vertices, a query `O(log V)` expected.
pub struct VertexSnapIndex {
    /// Vertices by their number in the graph's geometry (edge by edge, in order).
    tree: KdTree,
}

impl VertexSnapIndex {
    /// Indexes the geometry vertices of `graph` that can be an answer.
    ///
    /// A node of degree `d` stands at the end of `d` edge geometries: `d`
    /// vertices at one position, of which ties give the answer to the first
    /// in edge order. Only that one is indexed (a copy is left out only when
    /// its position is exactly the kept one's), so the tree holds about a
    /// third fewer points and answers exactly as over every vertex. `O(V)`
    /// plus the tree's build.
    pub fn new(graph: &WalkGraph) -> VertexSnapIndex {
        let mut first_at_node = vec![u32::MAX; graph.num_nodes()];
        let mut kept: Vec<u32> = Vec::with_capacity(graph.num_vertices());
        for e in 0..graph.num_edges() as u32 {
            let (u, v) = graph.edge_endpoints(EdgeId(e));
            let r = graph.edge_vertices(EdgeId(e));
            for g in r.clone() {
                let node = if g == r.start {
                    Some(u)
                } else if g + 1 == r.end {
                    Some(v)
                } else {
                    None
                };
                if let Some(n) = node {
                    let first = &mut first_at_node[n.idx()];
                    if *first == u32::MAX {
                        *first = g as u32;
                    } else if graph.vertex_lonlat(*first as usize) == graph.vertex_lonlat(g) {
                        continue; // a copy of the node's first vertex: never the answer
                    }
                }
                kept.push(g as u32);
            }
        }
        let entries: Vec<([f64; 3], u32)> =
            kept.into_par_iter().map(|g| (to_ecef(graph.vertex_lonlat(g as usize)), g)).collect();
        VertexSnapIndex { tree: KdTree::from_entries(entries) }
    }

    /// Snaps to the nearest vertex: `access_m` is its distance, `offset_m` its place on the edge.
    pub fn snap(&self, graph: &WalkGraph, lonlat: [f64; 2]) -> Option<Snap> {
        let (g, d2) = self.tree.nearest(to_ecef(lonlat))?;
        let (_, edge, offset_m) = graph.vertex(g as usize);
        Some(Snap { edge, offset_m, access_m: d2.sqrt() })
    }
}

/// The slow obvious reference for [`VertexSnapIndex`]: scan every vertex
/// (the first in edge order on ties). `O(V)` per query.
pub fn snap_vertex_brute_force(graph: &WalkGraph, lonlat: [f64; 2]) -> Option<Snap> {
    let q = to_ecef(lonlat);
    let mut best: Option<(f64, Snap)> = None;
    for e in 0..graph.num_edges() as u32 {
        let cum = graph.edge_cumulative_m(EdgeId(e));
        for (i, &p) in graph.edge_geometry(EdgeId(e)).iter().enumerate() {
            let p = to_ecef(p);
            let d2 = (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2);
            if best.is_none_or(|b| d2 < b.0) {
                best = Some((d2, Snap { edge: EdgeId(e), offset_m: cum[i], access_m: d2.sqrt() }));
            }
        }
    }
    best.map(|b| b.1)
}

/// The slow obvious reference: scan every segment. `O(S)` per query.
pub fn snap_brute_force(graph: &WalkGraph, lonlat: [f64; 2]) -> Option<Snap> {
    let q = to_ecef(lonlat);
    let mut best: Option<Snap> = None;
    for e in 0..graph.num_edges() as u32 {
        let n = graph.edge_geometry(EdgeId(e)).len();
        for s in 0..n.saturating_sub(1) as u32 {
            let cand = snap_on_segment(graph, e, s, q);
            if best.is_none_or(|b| cand.access_m < b.access_m) {
                best = Some(cand);
            }
        }
    }
    best
}
