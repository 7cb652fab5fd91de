//! Counting the points of an edge within a time budget of its two ends,
//! without visiting them one by one.
//!
//! A point on edge `(u, v)` is reached from a search that got to `u` at `du`
//! and to `v` at `dv` at time `min(du + p, dv + q)`, where `p = to_u + access`
//! and `q = to_v + access` (the same sum as the per-point loop in
//! [`super::count_within::homes_within_timed`], so counts agree exactly). With
//! an edge's points sorted by `p` and by `q`, the points within a limit `T` are
//! `|{p ≤ T − du}| + |{q ≤ T − dv}| − |{both}|`: two binary searches, plus a scan
//! of the smaller side only when the edge is partly reached from both ends
//! (the search frontier). When facilities far outnumber homes, a search from
//! each home counts the facilities it reaches this way, edge by edge, instead
//! of one search per facility.
//!
//! Complexity: `O(P log P + E)` to build for `P` points on `E` edges;
//! `O(log n)` per query on an edge of `n` points, plus `O(min(a, b))` on an
//! edge reached partly from both ends, with `a` and `b` the points within
//! reach from each end.

use crate::ids::{EdgeId, TimeMs};
use crate::routing::Anchor;

/// Points grouped by edge, each edge's points sorted by their cost from `u`
/// (`p`, paired with `q`) and, separately, from `v` (`q`, paired with `p`).
#[derive(Debug, Clone, Default)]
pub struct EdgeCounts {
    offsets: Vec<u32>,
    /// Per edge, the largest `p` and `q` (kept apart from the points, small
    /// enough to stay in cache: most queries need only these).
    max_pq: Vec<(u32, u32)>,
    /// `(p, q)` ascending within each edge.
    by_u: Vec<(u32, u32)>,
    /// `(q, p)` ascending within each edge.
    by_v: Vec<(u32, u32)>,
}

impl EdgeCounts {
    /// Groups `anchors` (a `None` is a point off the network) over `num_edges` edges.
    pub fn new(num_edges: usize, anchors: &[Option<Anchor>]) -> EdgeCounts {
        let mut offsets = vec![0u32; num_edges + 1];
        for a in anchors.iter().flatten() {
            offsets[a.edge.idx() + 1] += 1;
        }
        for i in 0..num_edges {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets[..num_edges].to_vec();
        let mut by_u = vec![(0u32, 0u32); offsets[num_edges] as usize];
        for a in anchors.iter().flatten() {
            let slot = &mut fill[a.edge.idx()];
            by_u[*slot as usize] = (a.to_u.saturating_add(a.access).0, a.to_v.saturating_add(a.access).0);
            *slot += 1;
        }
        let mut by_v: Vec<(u32, u32)> = by_u.iter().map(|&(p, q)| (q, p)).collect();
        let mut max_pq = vec![(0, 0); num_edges];
        for (e, max) in max_pq.iter_mut().enumerate() {
            let range = offsets[e] as usize..offsets[e + 1] as usize;
            by_u[range.clone()].sort_unstable();
            by_v[range.clone()].sort_unstable();
            if !range.is_empty() {
                *max = (by_u[range.end - 1].0, by_v[range.end - 1].0);
            }
        }
        EdgeCounts { offsets, max_pq, by_u, by_v }
    }

    /// Number of points on edge `e`.
    #[inline]
    pub fn len(&self, e: EdgeId) -> usize {
        (self.offsets[e.idx() + 1] - self.offsets[e.idx()]) as usize
    }

    /// True when no point sits on edge `e`.
    #[inline]
    pub fn is_empty(&self, e: EdgeId) -> bool {
        self.len(e) == 0
    }

    /// How many points of edge `e` are within `limit`, given the times `du`
    /// and `dv` at which the edge's ends were reached ([`TimeMs::INF`]:
    /// not reached).
    ///
    /// ```
    /// use lifecircle::coverage::edge_count::EdgeCounts;
    /// use lifecircle::ids::{EdgeId, TimeMs};
    /// use lifecircle::routing::Anchor;
    /// // A 100 s edge with points 10 s and 70 s from u (the second 5 s off the edge).
    /// let at = |to_u: u32, access: u32| Some(Anchor { edge: EdgeId(0), to_u: TimeMs(to_u), to_v: TimeMs(100 - to_u), access: TimeMs(access) });
    /// let c = EdgeCounts::new(1, &[at(10, 0), at(70, 5)]);
    /// assert_eq!(c.count_within(EdgeId(0), TimeMs(20), TimeMs(0), TimeMs::INF), 1);
    /// assert_eq!(c.count_within(EdgeId(0), TimeMs(20), TimeMs(0), TimeMs(0)), 1); // 35 s from v
    /// assert_eq!(c.count_within(EdgeId(0), TimeMs(35), TimeMs(0), TimeMs(0)), 2);
    /// ```
    #[inline]
    pub fn count_within(&self, e: EdgeId, limit: TimeMs, du: TimeMs, dv: TimeMs) -> u32 {
        let range = self.offsets[e.idx()] as usize..self.offsets[e.idx() + 1] as usize;
        let n = range.len();
        if n == 0 {
            return 0;
        }
        // Budgets left at each end (`None`: that end is beyond the limit).
        let a = (du <= limit).then(|| limit.0 - du.0);
        let b = (dv <= limit).then(|| limit.0 - dv.0);
        // Inside the reached area most edges are reached whole from one end.
        let (max_p, max_q) = self.max_pq[e.idx()];
        if a.is_some_and(|a| max_p <= a) || b.is_some_and(|b| max_q <= b) {
            return n as u32;
        }
        let (by_u, by_v) = (&self.by_u[range.clone()], &self.by_v[range]);
        let na = a.map_or(0, |a| by_u.partition_point(|&(p, _)| p <= a));
        let nb = b.map_or(0, |b| by_v.partition_point(|&(q, _)| q <= b));
        if na == n || nb == n {
            return n as u32;
        }
        if na == 0 || nb == 0 {
            return (na + nb) as u32;
        }
        // Both ends reach part of the edge: subtract the points reached from both.
        let (a, b) = (a.expect("na > 0"), b.expect("nb > 0"));
        let both = if na <= nb {
            by_u[..na].iter().filter(|&&(_, q)| q <= b).count()
        } else {
            by_v[..nb].iter().filter(|&&(_, p)| p <= a).count()
        };
        (na + nb - both) as u32
    }
}
