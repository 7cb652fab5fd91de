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
        if time_via_ends(h).min(h.same_edge_time(facility)) <= threshold {
            out.push(hi);
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
                if time_via_ends(h) <= threshold {
                    out.push(hi);
                }
            }
        }
    }
    out.sort_unstable();
    out
}

/// For every home, the number of `facilities` within `threshold`.
pub fn count_within(
    graph: &WalkGraph,
    pool: &WorkspacePool,
    facilities: &[Option<Anchor>],
    homes: &[Option<Anchor>],
    homes_by_edge: &ByEdge,
    threshold: TimeMs,
) -> Vec<u32> {
    let reached: Vec<Vec<u32>> = facilities
        .par_iter()
        .map(|f| match f {
            None => Vec::new(),
            Some(f) => pool.with(|ws| homes_within(graph, ws, f, homes, homes_by_edge, threshold)),
        })
        .collect();
    let mut counts = vec![0u32; homes.len()];
    for list in reached {
        for h in list {
            counts[h as usize] += 1;
        }
    }
    counts
}
