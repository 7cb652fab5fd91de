//! Mean walking time to the `k` nearest facilities of a category, for every
//! home (the "15-minute city" indicator of Abbiasov et al. averages the time
//! to the nearest 20 amenities of each kind).
//!
//! A multi-source Dijkstra with labels: every node settles up to `k` labels,
//! each from a different facility, in order of time; a home then takes the
//! `k` best distinct facilities over its edge's two ends and any facility on
//! its own edge. Of the facilities on a home's own edge only the `k` nearest
//! along it can count, found by walking outwards from the home over the
//! edge's facilities sorted by position (stopping once the distance walked
//! exceeds the `k`-th best), so many facilities on one edge do not cost every
//! home a scan and sort of them all. `O(k (V + E) log(kV) + F log F + H k log k)`
//! for typical inputs; `k = 1` gives the nearest times.

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
    // Each edge's facilities sorted by position: (to_u, facility).
    let along: Vec<Vec<(u32, u32)>> = (0..graph.num_edges())
        .map(|e| {
            let mut v: Vec<(u32, u32)> = by_edge
                .on(crate::ids::EdgeId(e as u32))
                .iter()
                .map(|&f| (facilities[f as usize].as_ref().expect("grouped anchors exist").to_u.0, f))
                .collect();
            v.sort_unstable();
            v
        })
        .collect();
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
            same_edge_k_best(&along[h.edge.idx()], facilities, h, k, &mut cand);
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

/// Pushes onto `cand` the `k` best `(time along the edge, facility)` of the
/// facilities on `h`'s edge (`along`: `(to_u, facility)` ascending), walking
/// outwards from `h` in both directions; a direction stops once the distance
/// along the edge alone exceeds the `k`-th best time, since every facility
/// beyond is at least that far. Others can never be among the `k` nearest
/// distinct facilities: `k` facilities on the edge already beat them.
fn same_edge_k_best(
    along: &[(u32, u32)],
    facilities: &[Option<Anchor>],
    h: &Anchor,
    k: usize,
    cand: &mut Vec<(u32, u32)>,
) {
    if along.is_empty() {
        return;
    }
    let x = h.to_u.0;
    let time = |&(y, f): &(u32, u32)| {
        let fa = facilities[f as usize].as_ref().expect("grouped anchors exist");
        (TimeMs(y.abs_diff(x)).saturating_add(fa.access).0, f)
    };
    // Max-heap of the best k so far.
    let mut best: BinaryHeap<(u32, u32)> = BinaryHeap::with_capacity(k + 1);
    let offer = |c: (u32, u32), best: &mut BinaryHeap<(u32, u32)>| {
        if best.len() < k {
            best.push(c);
        } else if c < *best.peek().expect("k >= 1") {
            best.pop();
            best.push(c);
        }
    };
    let split = along.partition_point(|&(y, _)| y <= x);
    let open = |dist: u32, best: &BinaryHeap<(u32, u32)>| best.len() < k || dist <= best.peek().expect("full").0;
    let (mut left, mut right) = (split, split);
    loop {
        let l = (left > 0).then(|| along[left - 1]).filter(|&(y, _)| open(x - y, &best));
        let r = along.get(right).copied().filter(|&(y, _)| open(y - x, &best));
        match (l, r) {
            (None, None) => break,
            (Some(c), _) => {
                offer(time(&c), &mut best);
                left -= 1;
                if let Some(c) = r {
                    offer(time(&c), &mut best);
                    right += 1;
                }
            }
            (None, Some(c)) => {
                offer(time(&c), &mut best);
                right += 1;
            }
        }
    }
    cand.extend(best);
}
