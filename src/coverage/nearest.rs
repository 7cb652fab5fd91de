//! Time from every home to the nearest facility of one category: one
//! multi-source Dijkstra from all facilities at once.
//!
//! `O((V + E) log V + F log F + H log F)` per category for `F` facilities and
//! `H` homes. Facilities on a home's own edge are also reached directly along
//! the edge, so two points on the same edge are never routed through its ends;
//! the nearest of them is found by binary search over the edge's facilities
//! sorted by position ([`SameEdge`]), so many facilities on one edge do not
//! cost every home on it a scan.

use crate::graph::WalkGraph;
use crate::ids::{NodeId, TimeMs};
use crate::routing::{Anchor, DijkstraWorkspace, dijkstra};

/// For each home, the time to the nearest of `facilities` ([`TimeMs::INF`] when none can be reached).
///
/// ```
/// use lifecircle::coverage::nearest::nearest_times;
/// use lifecircle::graph::{EdgeSpec, WalkGraph};
/// use lifecircle::ids::{EdgeId, NodeId, TimeMs};
/// use lifecircle::routing::{Anchor, DijkstraWorkspace};
/// let nodes = vec![[0.0, 0.0], [0.001, 0.0]];
/// let g = WalkGraph::new(nodes.clone(), vec![EdgeSpec { u: NodeId(0), v: NodeId(1), geometry: nodes, highway: 0 }], 1.0);
/// let at = |ms: u32| Some(Anchor { edge: EdgeId(0), to_u: TimeMs(ms), to_v: TimeMs(g.edge_time(EdgeId(0)).0 - ms), access: TimeMs(0) });
/// let mut ws = DijkstraWorkspace::new(g.num_nodes());
/// let t = nearest_times(&g, &mut ws, &[at(10_000)], &[at(70_000), None]);
/// assert_eq!(t, vec![TimeMs(60_000), TimeMs::INF]);
/// ```
pub fn nearest_times(
    graph: &WalkGraph,
    ws: &mut DijkstraWorkspace,
    facilities: &[Option<Anchor>],
    homes: &[Option<Anchor>],
) -> Vec<TimeMs> {
    let mut seeds = Vec::with_capacity(2 * facilities.len());
    for f in facilities.iter().flatten() {
        seeds.extend(f.seeds(graph));
    }
    if seeds.is_empty() {
        return vec![TimeMs::INF; homes.len()];
    }
    dijkstra(graph, ws, &seeds, TimeMs(u32::MAX - 1));
    let same_edge = SameEdge::new(graph.num_edges(), facilities);
    homes
        .iter()
        .map(|h| {
            let Some(h) = h else { return TimeMs::INF };
            let (u, v) = graph.edge_endpoints(h.edge);
            let via_u = ws.time(u).saturating_add(h.to_u);
            let via_v = ws.time(v).saturating_add(h.to_v);
            via_u.min(via_v).saturating_add(h.access).min(same_edge.nearest(h))
        })
        .collect()
}

/// Points grouped by edge and sorted by position, with the running minima
/// that give the nearest of them to any point of the edge in `O(log n)`:
/// walking along the edge from `x` to a point at `y` with access `a` takes
/// `|x − y| + a`, i.e. `x + (a − y)` for points behind and `(a + y) − x` for
/// points ahead.
#[derive(Debug, Clone)]
pub struct SameEdge {
    offsets: Vec<u32>,
    /// Positions (`to_u`), ascending within each edge.
    to_u: Vec<u32>,
    /// `min(access − to_u)` over the edge's points up to each one.
    behind: Vec<i64>,
    /// `min(access + to_u)` over the edge's points from each one on.
    ahead: Vec<i64>,
}

impl SameEdge {
    /// Groups `points` (a `None` is off the network) over `num_edges` edges. `O(P log P + E)`.
    pub fn new(num_edges: usize, points: &[Option<Anchor>]) -> SameEdge {
        let mut offsets = vec![0u32; num_edges + 1];
        for a in points.iter().flatten() {
            offsets[a.edge.idx() + 1] += 1;
        }
        for i in 0..num_edges {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets[..num_edges].to_vec();
        let mut sorted = vec![(0u32, 0u32); offsets[num_edges] as usize];
        for a in points.iter().flatten() {
            sorted[fill[a.edge.idx()] as usize] = (a.to_u.0, a.access.0);
            fill[a.edge.idx()] += 1;
        }
        let (mut behind, mut ahead) = (vec![0i64; sorted.len()], vec![0i64; sorted.len()]);
        for e in 0..num_edges {
            let r = offsets[e] as usize..offsets[e + 1] as usize;
            sorted[r.clone()].sort_unstable();
            let mut m = i64::MAX;
            for i in r.clone() {
                m = m.min(sorted[i].1 as i64 - sorted[i].0 as i64);
                behind[i] = m;
            }
            m = i64::MAX;
            for i in r.rev() {
                m = m.min(sorted[i].1 as i64 + sorted[i].0 as i64);
                ahead[i] = m;
            }
        }
        SameEdge { offsets, to_u: sorted.into_iter().map(|(x, _)| x).collect(), behind, ahead }
    }

    /// The least [`Anchor::same_edge_time`] from `p` to the points on its edge ([`TimeMs::INF`] if none).
    pub fn nearest(&self, p: &Anchor) -> TimeMs {
        let (lo, hi) = (self.offsets[p.edge.idx()] as usize, self.offsets[p.edge.idx() + 1] as usize);
        if lo == hi {
            return TimeMs::INF;
        }
        let x = p.to_u.0 as i64;
        let k = lo + self.to_u[lo..hi].partition_point(|&y| y as i64 <= x);
        let mut best = i64::MAX;
        if k > lo {
            best = best.min(x + self.behind[k - 1]);
        }
        if k < hi {
            best = best.min(self.ahead[k] - x);
        }
        TimeMs((best + p.access.0 as i64).min(u32::MAX as i64) as u32)
    }
}

/// Search seeds for a single anchor: see [`Anchor::seeds`].
pub fn anchor_seeds(graph: &WalkGraph, a: &Anchor) -> [(NodeId, TimeMs); 2] {
    a.seeds(graph)
}
