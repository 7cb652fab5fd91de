//! Mean walking time to the `k` nearest facilities of a category, for every
//! home (the "15-minute city" indicator of Abbiasov et al. averages the time
//! to the nearest 20 amenities of each kind).
//!
//! A multi-source Dijkstra with labels: every node settles up to `k` labels,
//! each from a different facility, in order of time; a home then takes the
//! `k` best distinct facilities over its edge's two ends and any facility on
//! its own edge. `O(k (V + E) log(kV))`; `k = 1` gives the nearest times.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::ByEdge;
use crate::graph::WalkGraph;
use crate::ids::TimeMs;
use crate::routing::Anchor;

/// For each home, the mean time in minutes to its `k` nearest facilities
/// (`f64::INFINITY` when fewer than `k` can be reached).
///
/// ```
/// use lifecircle::coverage::k_nearest::k_nearest_mean_minutes;
/// use lifecircle::graph::{EdgeSpec, WalkGraph};
/// use lifecircle::ids::{EdgeId, NodeId, TimeMs};
/// use lifecircle::routing::Anchor;
/// let nodes = vec![[0.0, 0.0], [0.001, 0.0]];
/// let g = WalkGraph::new(nodes.clone(), vec![EdgeSpec { u: NodeId(0), v: NodeId(1), geometry: nodes, highway: 0 }], 1.0);
/// let total = g.edge_time(EdgeId(0)).0;
/// let at = |ms: u32| Some(Anchor { edge: EdgeId(0), to_u: TimeMs(ms), to_v: TimeMs(total - ms), access: TimeMs(0) });
/// // From a home at the edge's start: facilities 60 s and 100 s away along the edge.
/// let m = k_nearest_mean_minutes(&g, &[at(60_000), at(100_000)], &[at(0)], 2);
/// assert!((m[0] - (1.0 + 100.0 / 60.0) / 2.0).abs() < 1e-9);
/// assert!(k_nearest_mean_minutes(&g, &[at(60_000)], &[at(0)], 2)[0].is_infinite());
/// ```
pub fn k_nearest_mean_minutes(
    graph: &WalkGraph,
    facilities: &[Option<Anchor>],
    homes: &[Option<Anchor>],
    k: usize,
) -> Vec<f64> {
    let k = k.max(1);
    let n = graph.num_nodes();
    // labels[node]: up to k (time, facility), in settling order (ascending time).
    let mut labels: Vec<Vec<(u32, u32)>> = vec![Vec::new(); n];
    let mut heap: BinaryHeap<Reverse<(u32, u32, u32)>> = BinaryHeap::new();
    for (fi, f) in facilities.iter().enumerate() {
        if let Some(f) = f {
            for (node, t) in f.seeds(graph) {
                heap.push(Reverse((t.0, node.0, fi as u32)));
            }
        }
    }
    while let Some(Reverse((d, node, fac))) = heap.pop() {
        let l = &mut labels[node as usize];
        if l.len() >= k || l.iter().any(|&(_, f)| f == fac) {
            continue;
        }
        l.push((d, fac));
        for (m, _, t) in graph.neighbors(crate::ids::NodeId(node)) {
            let lm = &labels[m.idx()];
            if lm.len() < k && !lm.iter().any(|&(_, f)| f == fac) {
                heap.push(Reverse((d.saturating_add(t.0), m.0, fac)));
            }
        }
    }
    let by_edge = ByEdge::new(graph.num_edges(), facilities);
    homes
        .iter()
        .map(|h| {
            let Some(h) = h else { return f64::INFINITY };
            let (u, v) = graph.edge_endpoints(h.edge);
            let mut cand: Vec<(u32, u32)> = Vec::with_capacity(2 * k + 4);
            for &(d, f) in &labels[u.idx()] {
                cand.push((d.saturating_add(h.to_u.0), f));
            }
            for &(d, f) in &labels[v.idx()] {
                cand.push((d.saturating_add(h.to_v.0), f));
            }
            for &f in by_edge.on(h.edge) {
                let fa = facilities[f as usize].as_ref().expect("grouped anchors exist");
                cand.push((TimeMs(fa.to_u.0.abs_diff(h.to_u.0)).saturating_add(fa.access).0, f));
            }
            cand.sort_unstable();
            let mut seen: Vec<u32> = Vec::with_capacity(k);
            let mut sum = 0.0;
            for (d, f) in cand {
                if seen.len() == k {
                    break;
                }
                if !seen.contains(&f) {
                    seen.push(f);
                    sum += TimeMs(d).saturating_add(h.access).minutes();
                }
            }
            if seen.len() < k { f64::INFINITY } else { sum / k as f64 }
        })
        .collect()
}
