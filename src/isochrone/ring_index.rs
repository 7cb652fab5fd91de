//! Exact point-in-ring queries against many rings at once.
//!
//! geo's `coord_pos_relative_to_ring` walks every edge of a ring (winding
//! number with robust orientation, on-boundary short cut). An edge only
//! matters when the point's `y` lies within the edge's `y` range, and an edge
//! entirely left of the point (`max x < x`) adds nothing either: it cannot
//! hold the point, and the point is on its right whichever way it runs. So
//! the edges of all rings are bucketed into horizontal strips, each strip's
//! edges sorted by decreasing `max x`; a query walks its strip until the
//! edges fall left of the point and applies geo's very rule (same kernel,
//! same boundary test) to the rest. The answer per ring is geo's, bit for
//! bit (`tests/suite/isochrones.rs` checks it against geo on random rings
//! and points on vertices and edges).
//!
//! Complexity: building `O(E · s)` for `E` edges each spanning `s` strips
//! (strips about twice an edge's mean height, at most `E / 2`); a query `O(k)` for the `k` edges of
//! its strip right of the point, plus the rings it touches.

use geo::coordinate_position::CoordPos;
use geo::{Coord, GeoNum, Kernel, LineString, Orientation};

/// One ring edge, as stored in a strip.
#[derive(Debug, Clone, Copy)]
struct Entry {
    start: Coord<f64>,
    end: Coord<f64>,
    max_x: f64,
    ring: u32,
}

/// Edges of many closed rings bucketed by `y`.
#[derive(Debug, Clone)]
pub struct RingIndex {
    rings: usize,
    min_y: f64,
    max_y: f64,
    strip_h: f64,
    strips: usize,
    /// `entries[offsets[s]..offsets[s + 1]]` are strip `s`'s edges, by decreasing `max_x`.
    offsets: Vec<u32>,
    entries: Vec<Entry>,
    /// Rings of fewer than two points (geo answers them without edges): `(ring, its point)`.
    degenerate: Vec<(u32, Option<Coord<f64>>)>,
}

/// Scratch for queries (winding numbers per ring, reset after each query).
#[derive(Debug, Clone, Default)]
pub struct RingQuery {
    winding: Vec<i32>,
    boundary: Vec<bool>,
    touched: Vec<u32>,
    out: Vec<(u32, CoordPos)>,
}

impl RingIndex {
    /// Indexes `rings` (closed, as geo expects); ring `k` keeps its index.
    pub fn new<'a>(rings: impl IntoIterator<Item = &'a LineString<f64>>) -> RingIndex {
        let mut edges: Vec<Entry> = Vec::new();
        let mut degenerate = Vec::new();
        let mut count = 0usize;
        let (mut min_y, mut max_y) = (f64::INFINITY, f64::NEG_INFINITY);
        for (k, ring) in rings.into_iter().enumerate() {
            count = k + 1;
            if ring.0.len() < 2 {
                degenerate.push((k as u32, ring.0.first().copied()));
                continue;
            }
            for w in ring.0.windows(2) {
                let (start, end) = (w[0], w[1]);
                min_y = min_y.min(start.y.min(end.y));
                max_y = max_y.max(start.y.max(end.y));
                edges.push(Entry { start, end, max_x: start.x.max(end.x), ring: k as u32 });
            }
        }
        // Strips about twice as tall as an edge is on average (each edge in one
        // or two strips), and no more than half as many as edges.
        let height = max_y - min_y;
        let mean_dy = edges.iter().map(|e| (e.end.y - e.start.y).abs()).sum::<f64>() / edges.len().max(1) as f64;
        let strips = if height > 0.0 && height.is_finite() {
            ((height / (2.0 * mean_dy)) as usize).clamp(1, (edges.len() / 2).clamp(1, 1 << 20))
        } else {
            1
        };
        let strip_h = if height > 0.0 && height.is_finite() { height / strips as f64 } else { 1.0 };
        let mut index = RingIndex {
            rings: count,
            min_y,
            max_y,
            strip_h,
            strips,
            offsets: vec![0; strips + 1],
            entries: Vec::new(),
            degenerate,
        };
        if edges.is_empty() {
            return index;
        }
        // Counting sort of edges into every strip their y range meets.
        for e in &edges {
            let (a, b) = index.strip_range(e);
            for s in a..=b {
                index.offsets[s + 1] += 1;
            }
        }
        for s in 0..strips {
            index.offsets[s + 1] += index.offsets[s];
        }
        let mut fill: Vec<u32> = index.offsets[..strips].to_vec();
        index.entries = vec![edges[0]; index.offsets[strips] as usize];
        for e in &edges {
            let (a, b) = index.strip_range(e);
            for slot in &mut fill[a..=b] {
                index.entries[*slot as usize] = *e;
                *slot += 1;
            }
        }
        for s in 0..strips {
            let (a, b) = (index.offsets[s] as usize, index.offsets[s + 1] as usize);
            index.entries[a..b].sort_unstable_by(|x, y| y.max_x.total_cmp(&x.max_x));
        }
        index
    }

    /// The strip holding `y` (clamped to the index's strips). Monotone in `y`.
    #[inline]
    fn strip_of(&self, y: f64) -> usize {
        // Truncation is floor for the non-negative values that matter; `as` saturates negatives to 0.
        (((y - self.min_y) / self.strip_h) as usize).min(self.strips - 1)
    }

    fn strip_range(&self, e: &Entry) -> (usize, usize) {
        (self.strip_of(e.start.y.min(e.end.y)), self.strip_of(e.start.y.max(e.end.y)))
    }

    /// Number of rings indexed.
    pub fn rings(&self) -> usize {
        self.rings
    }

    /// Where `c` lies relative to each ring, as geo's
    /// `coord_pos_relative_to_ring` says: the rings where it is not
    /// `Outside`, ascending by ring, with their position.
    pub fn locate<'q>(&self, c: Coord<f64>, q: &'q mut RingQuery) -> &'q [(u32, CoordPos)] {
        if q.winding.len() < self.rings {
            q.winding.resize(self.rings, 0);
            q.boundary.resize(self.rings, false);
        }
        q.out.clear();
        if !self.entries.is_empty() && c.y >= self.min_y && c.y <= self.max_y {
            let s = self.strip_of(c.y);
            for e in &self.entries[self.offsets[s] as usize..self.offsets[s + 1] as usize] {
                if e.max_x < c.x {
                    break; // this edge and all after it lie left of c: no crossing, no boundary
                }
                let r = e.ring as usize;
                let delta = edge_winding(e.start, e.end, c);
                if delta == 0 {
                    continue;
                }
                if q.winding[r] == 0 && !q.boundary[r] {
                    q.touched.push(e.ring);
                }
                if delta == ON_BOUNDARY {
                    q.boundary[r] = true;
                } else {
                    q.winding[r] += delta;
                }
            }
        }
        for &(ring, p) in &self.degenerate {
            if p == Some(c) {
                q.out.push((ring, CoordPos::OnBoundary));
            }
        }
        for &r in &q.touched {
            let (w, b) = (q.winding[r as usize], q.boundary[r as usize]);
            if b {
                q.out.push((r, CoordPos::OnBoundary));
            } else if w != 0 {
                q.out.push((r, CoordPos::Inside));
            }
            q.winding[r as usize] = 0;
            q.boundary[r as usize] = false;
        }
        q.touched.clear();
        q.out.sort_unstable_by_key(|x| x.0);
        &q.out
    }
}

/// What one edge adds: ±1 to the winding number, 0, or `ON_BOUNDARY` (geo's
/// per-edge rule in `coord_pos_relative_to_ring`, verbatim).
const ON_BOUNDARY: i32 = i32::MIN;

#[inline]
fn edge_winding(start: Coord<f64>, end: Coord<f64>, c: Coord<f64>) -> i32 {
    if start.y <= c.y {
        if end.y >= c.y {
            let o = <f64 as GeoNum>::Ker::orient2d(start, end, c);
            if o == Orientation::CounterClockwise && end.y != c.y {
                return 1;
            } else if o == Orientation::Collinear && value_in_between(c.x, start.x, end.x) {
                return ON_BOUNDARY;
            }
        }
    } else if end.y <= c.y {
        let o = <f64 as GeoNum>::Ker::orient2d(start, end, c);
        if o == Orientation::Clockwise {
            return -1;
        } else if o == Orientation::Collinear && value_in_between(c.x, start.x, end.x) {
            return ON_BOUNDARY;
        }
    }
    0
}

/// geo's `value_in_between`: `x` within the bounds, in either order.
#[inline]
fn value_in_between(x: f64, b1: f64, b2: f64) -> bool {
    if b1 < b2 { x >= b1 && x <= b2 } else { x >= b2 && x <= b1 }
}

/// Position of `c` relative to one ring by geo's own routine (the reference
/// the index is checked against).
pub fn locate_reference(c: Coord<f64>, ring: &LineString<f64>) -> CoordPos {
    geo::coordinate_position::coord_pos_relative_to_ring(c, ring)
}
