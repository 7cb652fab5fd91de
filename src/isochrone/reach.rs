//! Reached network within a budget, partial edges included.
//!
//! After a bounded Dijkstra from a facility's anchor, an edge `(u, v)` is
//! reached from `u` up to the point where `budget - time(u)` runs out (the
//! whole edge if it lasts), and likewise from `v`; the facility's own edge is
//! also walked directly from the facility in both directions. `O(E')` for the
//! `E'` edges touching settled nodes.

use crate::graph::WalkGraph;
use crate::ids::{EdgeId, TimeMs};
use crate::routing::{Anchor, DijkstraWorkspace, dijkstra};

/// A reached stretch of an edge: metres from its `u` end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReachedInterval {
    /// The edge.
    pub edge: EdgeId,
    /// Start, metres from `u`.
    pub from_m: f64,
    /// End, metres from `u` (`from_m <= to_m`).
    pub to_m: f64,
}

/// Metres walked on edge `e` in `left` of time.
fn metres_in(graph: &WalkGraph, e: EdgeId, left: TimeMs) -> f64 {
    let t = graph.edge_time(e).0;
    let len = graph.edge_length_m(e);
    if t == 0 || left.0 >= t { len } else { len * left.0 as f64 / t as f64 }
}

/// Runs a bounded search from `facility` and returns the reached intervals
/// (merged per edge, ordered by edge) for `budget` (the facility's own access
/// walk counts against it).
///
/// ```
/// use lifecircle::graph::{EdgeSpec, WalkGraph};
/// use lifecircle::ids::{EdgeId, NodeId, TimeMs};
/// use lifecircle::isochrone::reached_intervals;
/// use lifecircle::routing::{Anchor, DijkstraWorkspace};
/// // Two 111.2 m edges in a row, walked at 1 m/s; the facility sits on node 0.
/// let nodes = vec![[0.0, 0.0], [0.001, 0.0], [0.002, 0.0]];
/// let e = |u: u32, v: u32| EdgeSpec { u: NodeId(u), v: NodeId(v), geometry: vec![nodes[u as usize], nodes[v as usize]], highway: 0 };
/// let g = WalkGraph::new(nodes.clone(), vec![e(0, 1), e(1, 2)], 1.0);
/// let f = Anchor { edge: EdgeId(0), to_u: TimeMs(0), to_v: g.edge_time(EdgeId(0)), access: TimeMs(0) };
/// let mut ws = DijkstraWorkspace::new(g.num_nodes());
/// let r = reached_intervals(&g, &mut ws, &f, TimeMs(150_000));
/// assert_eq!(r.len(), 2);
/// assert!((r[0].to_m - g.edge_length_m(EdgeId(0))).abs() < 1e-9); // the first edge whole
/// assert!((r[1].to_m - 38.805).abs() < 0.01); // 150 s - 111.195 s = 38.805 m into the second
/// ```
pub fn reached_intervals(
    graph: &WalkGraph,
    ws: &mut DijkstraWorkspace,
    facility: &Anchor,
    budget: TimeMs,
) -> Vec<ReachedInterval> {
    if facility.access > budget {
        return Vec::new();
    }
    dijkstra(graph, ws, &facility.seeds(graph), budget);
    intervals_within(graph, ws, facility, budget)
}

/// The reached intervals for `budget` from the times of the last search in
/// `ws`, which must have run from `facility` with a budget of at least `budget`
/// (so one search serves several thresholds).
pub fn intervals_within(
    graph: &WalkGraph,
    ws: &DijkstraWorkspace,
    facility: &Anchor,
    budget: TimeMs,
) -> Vec<ReachedInterval> {
    let mut out: Vec<ReachedInterval> = Vec::new();
    if facility.access > budget {
        return out;
    }
    // The facility's own edge, walked from the facility itself.
    let left = TimeMs(budget.0 - facility.access.0);
    let len = graph.edge_length_m(facility.edge);
    let at = if graph.edge_time(facility.edge).0 == 0 {
        0.0
    } else {
        len * facility.to_u.0 as f64 / graph.edge_time(facility.edge).0 as f64
    };
    let reach = metres_in(graph, facility.edge, left);
    out.push(ReachedInterval { edge: facility.edge, from_m: (at - reach).max(0.0), to_m: (at + reach).min(len) });
    for n in ws.settled() {
        let d = ws.time(n);
        if d > budget {
            break; // settled in order of time
        }
        for (e, _) in graph.incident_edges(n) {
            let (u, v) = graph.edge_endpoints(e);
            let len = graph.edge_length_m(e);
            let walked = metres_in(graph, e, TimeMs(budget.0 - d.0));
            if u == n {
                out.push(ReachedInterval { edge: e, from_m: 0.0, to_m: walked });
            }
            if v == n {
                out.push(ReachedInterval { edge: e, from_m: (len - walked).max(0.0), to_m: len });
            }
        }
    }
    merge_intervals(out)
}

/// Sorts by edge and merges overlapping intervals of the same edge.
fn merge_intervals(mut v: Vec<ReachedInterval>) -> Vec<ReachedInterval> {
    v.sort_by(|a, b| a.edge.cmp(&b.edge).then(a.from_m.total_cmp(&b.from_m)));
    let mut out: Vec<ReachedInterval> = Vec::with_capacity(v.len());
    for r in v {
        match out.last_mut() {
            Some(last) if last.edge == r.edge && r.from_m <= last.to_m => last.to_m = last.to_m.max(r.to_m),
            _ => out.push(r),
        }
    }
    out
}
