//! Time from every home to the nearest facility of one category: one
//! multi-source Dijkstra from all facilities at once.
//!
//! `O((V + E) log V + H)` per category for `H` homes. Facilities on a home's
//! own edge are also reached directly along the edge, so two points on the
//! same edge are never routed through its ends.

use super::ByEdge;
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
    let fac_by_edge = ByEdge::new(graph.num_edges(), facilities);
    homes
        .iter()
        .map(|h| {
            let Some(h) = h else { return TimeMs::INF };
            let (u, v) = graph.edge_endpoints(h.edge);
            let via_u = ws.time(u).saturating_add(h.to_u);
            let via_v = ws.time(v).saturating_add(h.to_v);
            let mut best = via_u.min(via_v).saturating_add(h.access);
            for &f in fac_by_edge.on(h.edge) {
                let f = facilities[f as usize].as_ref().expect("grouped anchors exist");
                best = best.min(h.same_edge_time(f));
            }
            best
        })
        .collect()
}

/// Search seeds for a single anchor: see [`Anchor::seeds`].
pub fn anchor_seeds(graph: &WalkGraph, a: &Anchor) -> [(NodeId, TimeMs); 2] {
    a.seeds(graph)
}
