//! Which facility is nearest to every home, with its time (as pandana's
//! `nearest_pois` gives): one multi-source Dijkstra whose keys are
//! `(time, facility)` pairs compared lexicographically. A label never changes
//! along a path, so each node settles with the least time and, among the
//! facilities at that time, the one listed first; a home then takes the least
//! pair over its edge's two ends and the facilities on its own edge (walked
//! along it). Ties between facilities at the same time go to the one listed
//! first, so the answer does not depend on search order or thread count.
//!
//! `O((V + E) log V + F log F + H log F)` per category for `F` facilities and
//! `H` homes; the node arrays are allocated once per search (one per category).
//!
//! ```
//! use lifecircle::coverage::nearest_facility::nearest_facilities;
//! use lifecircle::graph::{EdgeSpec, WalkGraph};
//! use lifecircle::ids::{EdgeId, NodeId, TimeMs};
//! use lifecircle::routing::Anchor;
//! let nodes = vec![[0.0, 0.0], [0.001, 0.0]];
//! let g = WalkGraph::new(nodes.clone(), vec![EdgeSpec { u: NodeId(0), v: NodeId(1), geometry: nodes, highway: 0 }], 1.0);
//! let total = g.edge_time(EdgeId(0)).0;
//! let at = |ms: u32| Some(Anchor { edge: EdgeId(0), to_u: TimeMs(ms), to_v: TimeMs(total - ms), access: TimeMs(0) });
//! // Facilities at 10 s and 90 s along the edge; homes at 20 s, at 50 s (a tie) and off the network.
//! let n = nearest_facilities(&g, &[at(10_000), at(90_000)], &[at(20_000), at(50_000), None], TimeMs::INF);
//! assert_eq!(n, vec![(TimeMs(10_000), Some(0)), (TimeMs(40_000), Some(0)), (TimeMs::INF, None)]);
//! // Within a 30 s budget the home 40 s away reaches none.
//! let n = nearest_facilities(&g, &[at(10_000), at(90_000)], &[at(20_000), at(50_000)], TimeMs(30_000));
//! assert_eq!(n, vec![(TimeMs(10_000), Some(0)), (TimeMs::INF, None)]);
//! ```

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::graph::WalkGraph;
use crate::ids::TimeMs;
use crate::routing::Anchor;

/// For each home, the time to the nearest of `facilities` and that
/// facility's index in `facilities` (`(TimeMs::INF, None)` when none can be
/// reached within `budget`); ties go to the facility listed first. A budget
/// bounds the search to the network within it (`TimeMs::INF` for none).
pub fn nearest_facilities(
    graph: &WalkGraph,
    facilities: &[Option<Anchor>],
    homes: &[Option<Anchor>],
    budget: TimeMs,
) -> Vec<(TimeMs, Option<u32>)> {
    let n = graph.num_nodes();
    let mut best: Vec<(u32, u32)> = vec![(u32::MAX, u32::MAX); n];
    let mut heap: BinaryHeap<Reverse<(u32, u32, u32)>> = BinaryHeap::new();
    for (fi, f) in facilities.iter().enumerate() {
        if let Some(f) = f {
            for (node, t) in f.seeds(graph) {
                let key = (t.0, fi as u32);
                if t <= budget && key < best[node.idx()] {
                    best[node.idx()] = key;
                    heap.push(Reverse((t.0, fi as u32, node.0)));
                }
            }
        }
    }
    while let Some(Reverse((d, label, node))) = heap.pop() {
        if (d, label) != best[node as usize] {
            continue; // stale: reached sooner, or as soon from a facility listed earlier
        }
        let (nbrs, times) = graph.adjacency(node);
        for (&m, &t) in nbrs.iter().zip(times) {
            let key = (d.saturating_add(t), label);
            if key.0 <= budget.0 && key < best[m as usize] {
                best[m as usize] = key;
                heap.push(Reverse((key.0, key.1, m)));
            }
        }
    }
    let same_edge = LabelledSameEdge::new(graph.num_edges(), facilities);
    homes
        .iter()
        .map(|h| {
            let Some(h) = h else { return (TimeMs::INF, None) };
            let (u, v) = graph.edge_endpoints(h.edge);
            let via = |(t, label): (u32, u32), to: TimeMs| (t.saturating_add(to.0).saturating_add(h.access.0), label);
            let found = via(best[u.idx()], h.to_u).min(via(best[v.idx()], h.to_v)).min(same_edge.nearest(h));
            if found.1 == u32::MAX || found.0 == TimeMs::INF.0 || found.0 > budget.0 {
                (TimeMs::INF, None)
            } else {
                (TimeMs(found.0), Some(found.1))
            }
        })
        .collect()
}

/// Facilities grouped by edge and sorted by position, with running minima of
/// `(cost, label)` pairs, so the nearest of them to any point of the edge is
/// found in `O(log n)` with its label (see [`super::nearest::SameEdge`], the
/// same walk without labels).
struct LabelledSameEdge {
    offsets: Vec<u32>,
    /// Positions (`to_u`), ascending within each edge.
    to_u: Vec<u32>,
    /// `min((access − to_u, label))` over the edge's points up to each one.
    behind: Vec<(i64, u32)>,
    /// `min((access + to_u, label))` over the edge's points from each one on.
    ahead: Vec<(i64, u32)>,
}

impl LabelledSameEdge {
    fn new(num_edges: usize, points: &[Option<Anchor>]) -> LabelledSameEdge {
        let mut offsets = vec![0u32; num_edges + 1];
        for a in points.iter().flatten() {
            offsets[a.edge.idx() + 1] += 1;
        }
        for i in 0..num_edges {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets[..num_edges].to_vec();
        let mut sorted = vec![(0u32, 0u32, 0u32); offsets[num_edges] as usize];
        for (label, a) in points.iter().enumerate() {
            if let Some(a) = a {
                sorted[fill[a.edge.idx()] as usize] = (a.to_u.0, a.access.0, label as u32);
                fill[a.edge.idx()] += 1;
            }
        }
        let mut behind = vec![(0i64, 0u32); sorted.len()];
        let mut ahead = vec![(0i64, 0u32); sorted.len()];
        for e in 0..num_edges {
            let r = offsets[e] as usize..offsets[e + 1] as usize;
            sorted[r.clone()].sort_unstable();
            let mut m = (i64::MAX, u32::MAX);
            for i in r.clone() {
                let (y, a, label) = sorted[i];
                m = m.min((a as i64 - y as i64, label));
                behind[i] = m;
            }
            m = (i64::MAX, u32::MAX);
            for i in r.rev() {
                let (y, a, label) = sorted[i];
                m = m.min((a as i64 + y as i64, label));
                ahead[i] = m;
            }
        }
        LabelledSameEdge { offsets, to_u: sorted.into_iter().map(|(x, _, _)| x).collect(), behind, ahead }
    }

    /// The least `(time, label)` from `p` along its edge to a facility on it (`(u32::MAX, u32::MAX)` if none).
    fn nearest(&self, p: &Anchor) -> (u32, u32) {
        let (lo, hi) = (self.offsets[p.edge.idx()] as usize, self.offsets[p.edge.idx() + 1] as usize);
        if lo == hi {
            return (u32::MAX, u32::MAX);
        }
        let x = p.to_u.0 as i64;
        let k = lo + self.to_u[lo..hi].partition_point(|&y| y as i64 <= x);
        let mut best = (i64::MAX, u32::MAX);
        if k > lo {
            best = best.min((x + self.behind[k - 1].0, self.behind[k - 1].1));
        }
        if k < hi {
            best = best.min((self.ahead[k].0 - x, self.ahead[k].1));
        }
        ((best.0 + p.access.0 as i64).min(u32::MAX as i64) as u32, best.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::EdgeSpec;
    use crate::ids::{EdgeId, NodeId};

    /// Two facilities tie at a home by different paths, the one listed first
    /// reaching the home's edge last in search order: the tie still goes to it.
    #[test]
    fn ties_by_different_paths_go_to_the_facility_listed_first() {
        // W(0) — M(1) — C(2) — E(3) along the equator; the home sits on C—E at C.
        let nodes = vec![[0.0, 0.0], [0.0005, 0.0], [0.001, 0.0], [0.002, 0.0]];
        let e = |u: u32, v: u32| EdgeSpec {
            u: NodeId(u),
            v: NodeId(v),
            geometry: vec![nodes[u as usize], nodes[v as usize]],
            highway: 0,
        };
        let g = WalkGraph::new(nodes.clone(), vec![e(0, 1), e(1, 2), e(2, 3)], 1.0);
        let t = |i: u32| g.edge_time(EdgeId(i)).0;
        let at_u = |edge: u32, access: u32| Anchor {
            edge: EdgeId(edge),
            to_u: TimeMs(0),
            to_v: TimeMs(t(edge)),
            access: TimeMs(access),
        };
        let at_v = |edge: u32, access: u32| Anchor {
            edge: EdgeId(edge),
            to_u: TimeMs(t(edge)),
            to_v: TimeMs(0),
            access: TimeMs(access),
        };
        // Facility 0 at W, two edges away; facility 1 at E, one edge away with access making the times equal.
        let via_w = t(0) + t(1);
        let (a0, a1) = if via_w >= t(2) { (0, via_w - t(2)) } else { (t(2) - via_w, 0) };
        let facilities = [Some(at_u(0, a0)), Some(at_v(2, a1))];
        let home = Some(at_u(2, 0));
        assert_eq!(nearest_facilities(&g, &facilities, &[home], TimeMs::INF), vec![(TimeMs(via_w + a0), Some(0))]);
        // Listed the other way round, the tie goes to the other one.
        let swapped = [facilities[1], facilities[0]];
        assert_eq!(nearest_facilities(&g, &swapped, &[home], TimeMs::INF), vec![(TimeMs(via_w + a0), Some(0))]);
    }
}
