//! A static k-d tree of 3-D points for exact nearest-point queries.
//!
//! The tree is implicit: the points are permuted in place so that each range
//! `[lo, hi)` is split at its middle element along the axis of its box's
//! largest extent (stored per middle element; the box is the parent's cut at
//! its split, so choosing an axis reads no points), down to leaves of at most
//! [`LEAF_SIZE`] points. Building is `O(n log n)` with `select_nth_unstable`
//! (both halves in parallel on rayon), with no allocation per node; a query is
//! `O(log n)` expected. Ties are broken by the smallest point id, so answers
//! do not depend on the build order or on the thread count.

/// Points per leaf.
pub const LEAF_SIZE: usize = 16;

/// Ranges at least this large are split on two rayon tasks.
const PARALLEL_MIN: usize = 16 * 1024;

/// A k-d tree over points with `u32` ids.
#[derive(Debug, Clone, Default)]
pub struct KdTree {
    /// Points with their ids, in tree order.
    pts: Vec<([f64; 3], u32)>,
    /// Split axis of the range whose middle element is at this position.
    axis: Vec<u8>,
}

/// The bounding box `(lo, hi)` of `entries`.
fn bounds(entries: &[([f64; 3], u32)]) -> ([f64; 3], [f64; 3]) {
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    for (p, _) in entries {
        for d in 0..3 {
            lo[d] = lo[d].min(p[d]);
            hi[d] = hi[d].max(p[d]);
        }
    }
    (lo, hi)
}

/// The axis along which a box is widest.
fn widest_axis((lo, hi): ([f64; 3], [f64; 3])) -> usize {
    let ext = [hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]];
    if ext[0] >= ext[1] && ext[0] >= ext[2] {
        0
    } else if ext[1] >= ext[2] {
        1
    } else {
        2
    }
}

/// Splits `entries` (and the matching `axis` slots) recursively; `bounds`
/// holds them (a box cut from the parent's at its split, so no pass over the
/// points is needed to choose an axis: it may be looser than theirs, which
/// changes only the tree's shape, never an answer).
fn build(entries: &mut [([f64; 3], u32)], axis: &mut [u8], bounds: ([f64; 3], [f64; 3])) {
    let n = entries.len();
    if n <= LEAF_SIZE {
        return;
    }
    let a = widest_axis(bounds);
    let mid = n / 2;
    // Equal coordinates may fall on either side: the search looks across a
    // plane at exactly the best distance too, so answers do not depend on it.
    entries.select_nth_unstable_by(mid, |x, y| x.0[a].total_cmp(&y.0[a]));
    axis[mid] = a as u8;
    let split = entries[mid].0[a];
    let (mut left_bounds, mut right_bounds) = (bounds, bounds);
    left_bounds.1[a] = split;
    right_bounds.0[a] = split;
    let (left, rest) = entries.split_at_mut(mid);
    let right = &mut rest[1..];
    let (axis_left, axis_rest) = axis.split_at_mut(mid);
    let axis_right = &mut axis_rest[1..];
    if n >= PARALLEL_MIN {
        rayon::join(|| build(left, axis_left, left_bounds), || build(right, axis_right, right_bounds));
    } else {
        build(left, axis_left, left_bounds);
        build(right, axis_right, right_bounds);
    }
}

#[inline]
fn dist2(a: [f64; 3], b: [f64; 3]) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)
}

impl KdTree {
    /// Builds the tree over `points`; point `i` gets id `i`.
    ///
    /// ```
    /// use lifecircle::snap::kdtree::KdTree;
    /// let t = KdTree::new(vec![[0.0, 0.0, 0.0], [5.0, 0.0, 0.0], [1.0, 1.0, 0.0]]);
    /// assert_eq!(t.nearest([4.0, 0.0, 0.0]), Some((1, 1.0)));
    /// ```
    pub fn new(points: Vec<[f64; 3]>) -> KdTree {
        KdTree::from_entries(points.into_iter().enumerate().map(|(i, p)| (p, i as u32)).collect())
    }

    /// Builds the tree over `(point, id)` entries (ids need not be distinct or dense).
    pub fn from_entries(mut entries: Vec<([f64; 3], u32)>) -> KdTree {
        let mut axis = vec![0u8; entries.len()];
        let bounds = bounds(&entries);
        build(&mut entries, &mut axis, bounds);
        KdTree { pts: entries, axis }
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.pts.len()
    }

    /// No points?
    pub fn is_empty(&self) -> bool {
        self.pts.is_empty()
    }

    /// The nearest point to `q`: its id and squared distance (smallest id on ties).
    pub fn nearest(&self, q: [f64; 3]) -> Option<(u32, f64)> {
        if self.pts.is_empty() {
            return None;
        }
        let mut best = (f64::INFINITY, u32::MAX);
        self.search(0, self.pts.len(), q, &mut best);
        Some((best.1, best.0))
    }

    #[inline]
    fn consider(&self, i: usize, q: [f64; 3], best: &mut (f64, u32)) {
        let (p, id) = self.pts[i];
        let d = dist2(p, q);
        if d < best.0 || (d == best.0 && id < best.1) {
            *best = (d, id);
        }
    }

    fn search(&self, lo: usize, hi: usize, q: [f64; 3], best: &mut (f64, u32)) {
        let n = hi - lo;
        if n <= LEAF_SIZE {
            for i in lo..hi {
                self.consider(i, q, best);
            }
            return;
        }
        let mid = lo + n / 2;
        self.consider(mid, q, best);
        let a = self.axis[mid] as usize;
        let diff = q[a] - self.pts[mid].0[a];
        let (near, far) = if diff < 0.0 { ((lo, mid), (mid + 1, hi)) } else { ((mid + 1, hi), (lo, mid)) };
        self.search(near.0, near.1, q, best);
        // `<=`: a point at exactly the best distance may still win on its smaller id.
        if diff * diff <= best.0 {
            self.search(far.0, far.1, q, best);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_rng::SplitMix64 as Rng;

    /// The slow obvious reference: scan every point, smallest id on ties.
    fn brute(points: &[[f64; 3]], q: [f64; 3]) -> Option<(u32, f64)> {
        let mut best: Option<(u32, f64)> = None;
        for (i, p) in points.iter().enumerate() {
            let d = dist2(*p, q);
            if best.is_none_or(|b| d < b.1) {
                best = Some((i as u32, d));
            }
        }
        best
    }

    #[test]
    fn matches_brute_force_with_ties_and_duplicates() {
        let mut rng = Rng(7_000_001);
        for case in 0..60 {
            let n = [0, 1, 2, 9, 40, 300, 3000][case % 7];
            // Coarse coordinates on a few planes: many exact ties and duplicate points.
            let mut points: Vec<[f64; 3]> = (0..n)
                .map(|_| [(rng.unit() * 20.0).floor(), (rng.unit() * 20.0).floor(), (rng.unit() * 3.0).floor()])
                .collect();
            if n > 4 {
                points[n - 1] = points[0];
            }
            let tree = KdTree::new(points.clone());
            for _ in 0..200 {
                let q = [rng.unit() * 24.0 - 2.0, rng.unit() * 24.0 - 2.0, (rng.unit() * 4.0).floor()];
                assert_eq!(tree.nearest(q), brute(&points, q), "case {case}, query {q:?}");
            }
            for &p in points.iter().take(20) {
                assert_eq!(tree.nearest(p), brute(&points, p), "case {case}, at a point");
            }
        }
    }
}
