//! How many facilities each home reaches within the threshold: one bounded
//! search per facility, run in parallel over rayon with one workspace per
//! thread.
//!
//! Per facility `O((V' + E') log V' + H')` for the `V'` nodes, `E'` edges and
//! `H'` homes within the budget; results do not depend on the thread count
//! (each facility's set of homes is exact, and counts are summed in order).

use rayon::prelude::*;

use super::ByEdge;
use super::nearest::anchor_seeds;
use crate::graph::WalkGraph;
use crate::ids::TimeMs;
use crate::routing::{Anchor, DijkstraWorkspace, WorkspacePool, dijkstra};

/// Homes reached from one facility within `threshold`, ascending by home index.
///
/// `homes_by_edge` groups `homes` by edge ([`ByEdge::new`]).
pub fn homes_within(
    graph: &WalkGraph,
    ws: &mut DijkstraWorkspace,
    facility: &Anchor,
    homes: &[Option<Anchor>],
    homes_by_edge: &ByEdge,
    threshold: TimeMs,
) -> Vec<u32> {
    homes_within_timed(graph, ws, facility, homes, homes_by_edge, threshold).into_iter().map(|(h, _)| h).collect()
}

/// Homes reached from one facility within `threshold`, with their walking
/// times, ascending by home index.
pub fn homes_within_timed(
    graph: &WalkGraph,
    ws: &mut DijkstraWorkspace,
    facility: &Anchor,
    homes: &[Option<Anchor>],
    homes_by_edge: &ByEdge,
    threshold: TimeMs,
) -> Vec<(u32, TimeMs)> {
    let mut out = Vec::new();
    if facility.access > threshold {
        return out;
    }
    dijkstra(graph, ws, &anchor_seeds(graph, facility), threshold);
    let time_via_ends = |h: &Anchor| {
        let (u, v) = graph.edge_endpoints(h.edge);
        ws.time(u).saturating_add(h.to_u).min(ws.time(v).saturating_add(h.to_v)).saturating_add(h.access)
    };
    // The facility's own edge: homes there are also reached directly along it.
    for &hi in homes_by_edge.on(facility.edge) {
        let h = homes[hi as usize].as_ref().expect("grouped anchors exist");
        let t = time_via_ends(h).min(h.same_edge_time(facility));
        if t <= threshold {
            out.push((hi, t));
        }
    }
    // Every other edge touching a settled node, visited once: from its settled
    // end with the smaller id when both ends are settled.
    for n in ws.settled() {
        for (e, m) in graph.incident_edges(n) {
            if e == facility.edge || (m < n && ws.time(m) != TimeMs::INF) {
                continue;
            }
            for &hi in homes_by_edge.on(e) {
                let h = homes[hi as usize].as_ref().expect("grouped anchors exist");
                let t = time_via_ends(h);
                if t <= threshold {
                    out.push((hi, t));
                }
            }
        }
    }
    out.sort_unstable();
    out
}

/// For each facility, the homes within `threshold` with their times (see [`homes_within_timed`]),
/// computed in parallel with one workspace per thread.
pub fn reach_within(
    graph: &WalkGraph,
    pool: &WorkspacePool,
    facilities: &[Option<Anchor>],
    homes: &[Option<Anchor>],
    homes_by_edge: &ByEdge,
    threshold: TimeMs,
) -> Vec<Vec<(u32, TimeMs)>> {
    facilities
        .par_iter()
        .map(|f| match f {
            None => Vec::new(),
            Some(f) => pool.with(|ws| homes_within_timed(graph, ws, f, homes, homes_by_edge, threshold)),
        })
        .collect()
}

/// Per threshold, per home: how many facilities' reach lists hold the home within that threshold.
pub fn counts_per_threshold(reach: &[Vec<(u32, TimeMs)>], num_homes: usize, thresholds: &[TimeMs]) -> Vec<Vec<u32>> {
    let mut counts = vec![vec![0u32; num_homes]; thresholds.len()];
    for list in reach {
        for &(h, t) in list {
            for (k, &limit) in thresholds.iter().enumerate() {
                counts[k][h as usize] += (t <= limit) as u32;
            }
        }
    }
    counts
}

/// For every home, the number of `facilities` within `threshold`.
///
/// ```
/// use lifecircle::coverage::{ByEdge, count_within::count_within};
/// use lifecircle::graph::{EdgeSpec, WalkGraph};
/// use lifecircle::ids::{EdgeId, NodeId, TimeMs};
/// use lifecircle::routing::{Anchor, WorkspacePool};
/// // One 111 m edge walked at 1 m/s: 111 195 ms.
/// let nodes = vec![[0.0, 0.0], [0.001, 0.0]];
/// let g = WalkGraph::new(nodes.clone(), vec![EdgeSpec { u: NodeId(0), v: NodeId(1), geometry: nodes, highway: 0 }], 1.0);
/// let total = g.edge_time(EdgeId(0)).0;
/// let at = |ms: u32| Some(Anchor { edge: EdgeId(0), to_u: TimeMs(ms), to_v: TimeMs(total - ms), access: TimeMs(0) });
/// let homes = vec![at(0), at(100_000)];
/// let facilities = vec![at(10_000), at(90_000)];
/// let by_edge = ByEdge::new(g.num_edges(), &homes);
/// let pool = WorkspacePool::new(g.num_nodes());
/// // Within 20 s: the first home reaches only the facility 10 s away, the second only the one 10 s away from it.
/// assert_eq!(count_within(&g, &pool, &facilities, &homes, &by_edge, TimeMs(20_000)), vec![1, 1]);
/// assert_eq!(count_within(&g, &pool, &facilities, &homes, &by_edge, TimeMs(90_000)), vec![2, 2]);
/// ```
pub fn count_within(
    graph: &WalkGraph,
    pool: &WorkspacePool,
    facilities: &[Option<Anchor>],
    homes: &[Option<Anchor>],
    homes_by_edge: &ByEdge,
    threshold: TimeMs,
) -> Vec<u32> {
    let reach = reach_within(graph, pool, facilities, homes, homes_by_edge, threshold);
    counts_per_threshold(&reach, homes.len(), &[threshold]).pop().expect("one threshold")
}
