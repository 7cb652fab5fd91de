//! geo's `MultiPolygon::is_valid`, decided in near-linear time where it can be.
//!
//! geo checks every pair of segments of a ring for self-intersection and
//! relates every pair of rings (`O(n²)`); a service area has tens of
//! thousands of vertices and thousands of holes. [`is_valid`] returns geo's
//! answer without its quadratic work in the common cases:
//!
//! - a ring with fewer than four distinct points or a non-finite coordinate,
//!   or two segments of one ring meeting where geo's self-intersection rule
//!   flags them, is invalid (the same test geo applies, pair by pair, found
//!   through a uniform grid of segment boxes);
//! - when no two segments of the whole MultiPolygon meet at all (apart from
//!   consecutive ones at their shared vertex), boundaries are disjoint, so
//!   every relation geo computes follows from where one vertex of each ring
//!   lies: a hole must lie inside its exterior and outside its sibling holes,
//!   and no polygon's exterior vertex may lie inside another polygon (outside
//!   its holes). These are answered exactly by a [`RingIndex`].
//!
//! Anything else (rings of different polygons or a hole and its exterior
//! meeting, touching rings, spikes, repeated points) is left to geo itself.
//! `tests/suite/isochrones.rs` checks the answer against geo's on random
//! valid and invalid MultiPolygons.
//!
//! Complexity: `O(n + p)` for `n` segments and `p` pairs of segments sharing a
//! grid cell (about `n` for service areas), plus `O(r · k)` for the `r` ring
//! queries; geo's own `O(n²)` only when undecided.

use geo::coordinate_position::CoordPos;
use geo::{
    Coord, GeoNum, Intersects, Kernel, Line, LineString, MultiPolygon, Orientation, RemoveRepeatedPoints, Validation,
};

use super::ring_index::{RingIndex, RingQuery};

/// Whether `mp` is valid, exactly as `geo::Validation::is_valid` says.
pub fn is_valid(mp: &MultiPolygon<f64>) -> bool {
    match decide(mp) {
        Some(valid) => valid,
        None => mp.is_valid(),
    }
}

/// `Some(answer)` when decided without geo, `None` otherwise.
pub fn decide(mp: &MultiPolygon<f64>) -> Option<bool> {
    // Rings in order: each polygon's exterior, then its holes.
    let mut rings: Vec<&LineString<f64>> = Vec::new();
    let mut polygon_of: Vec<usize> = Vec::new();
    let mut first_ring: Vec<usize> = Vec::with_capacity(mp.0.len() + 1);
    for (p, poly) in mp.0.iter().enumerate() {
        first_ring.push(rings.len());
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            if ring.0.is_empty() || !ring.is_closed() {
                return None;
            }
            if ring.remove_repeated_points().0.len() < 4 {
                return Some(false); // geo: too few points
            }
            if ring.0.iter().any(|c| !(c.x.is_finite() && c.y.is_finite())) {
                return Some(false); // geo: non-finite coordinate
            }
            if ring.0.windows(2).any(|w| w[0] == w[1]) {
                return None;
            }
            rings.push(ring);
            polygon_of.push(p);
        }
    }
    first_ring.push(rings.len());
    if rings.is_empty() {
        return None;
    }

    // Segments, and consecutive ones meeting only at their shared vertex.
    let mut segs: Vec<Seg> = Vec::new();
    for (r, ring) in rings.iter().enumerate() {
        let n = ring.0.len() - 1;
        for k in 0..n {
            let (a, b) = (ring.0[k], ring.0[k + 1]);
            // The next segment starts at b (the ring is closed: after the last comes the first).
            let next_end = if k + 1 < n { ring.0[k + 2] } else { ring.0[1] };
            if <f64 as GeoNum>::Ker::orient2d(a, b, next_end) == Orientation::Collinear && backtracks(a, b, next_end) {
                return None; // a spike
            }
            segs.push(Seg { line: Line::new(a, b), ring: r as u32, k: k as u32, n: n as u32 });
        }
    }

    // Every other pair of segments whose boxes meet, through a uniform grid.
    match pairs_meeting(&segs) {
        Meeting::None => {}
        Meeting::SelfIntersection => return Some(false),
        Meeting::Other => return None,
    }

    // Boundaries are disjoint: nesting from one vertex per ring.
    let index = RingIndex::new(rings.iter().copied());
    let mut q = RingQuery::default();
    for (r, ring) in rings.iter().enumerate() {
        let p = polygon_of[r];
        let located = index.locate(ring.0[0], &mut q);
        let is_in = |x: usize| located.iter().any(|&(k, pos)| k as usize == x && pos == CoordPos::Inside);
        if located.iter().any(|&(k, pos)| k as usize != r && pos == CoordPos::OnBoundary) {
            return None;
        }
        let ext = first_ring[p];
        if r != ext {
            // A hole: inside its exterior, outside its siblings.
            if !is_in(ext) || (first_ring[p] + 1..first_ring[p + 1]).any(|h| h != r && is_in(h)) {
                return None;
            }
        } else {
            // An exterior: not inside any other polygon.
            for q_poly in (0..mp.0.len()).filter(|&x| x != p) {
                let (e, end) = (first_ring[q_poly], first_ring[q_poly + 1]);
                if is_in(e) && !(e + 1..end).any(is_in) {
                    return None;
                }
            }
        }
    }
    Some(true)
}

/// One ring segment: segment `k` of the `n` of ring `ring`.
#[derive(Debug, Clone, Copy)]
struct Seg {
    line: Line<f64>,
    ring: u32,
    k: u32,
    n: u32,
}

impl Seg {
    fn consecutive(&self, o: &Seg) -> bool {
        self.ring == o.ring && {
            let (a, b) = (self.k.min(o.k), self.k.max(o.k));
            b == a + 1 || (a == 0 && b == self.n - 1)
        }
    }

    fn bbox(&self) -> [f64; 4] {
        let (s, e) = (self.line.start, self.line.end);
        [s.x.min(e.x), s.y.min(e.y), s.x.max(e.x), s.y.max(e.y)]
    }
}

/// Whether `c` lies back along `b → a` (collinear `a`, `b`, `c`, `a ≠ b ≠ c`):
/// the two segments then overlap beyond `b`.
fn backtracks(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> bool {
    if a.x != b.x { (a.x < b.x) == (c.x < b.x) } else { (a.y < b.y) == (c.y < b.y) }
}

/// What the non-consecutive pairs of segments showed.
enum Meeting {
    /// No two meet.
    None,
    /// Two segments of one ring meet where geo flags a self-intersection.
    SelfIntersection,
    /// Some pair meets otherwise (geo decides).
    Other,
}

fn pairs_meeting(segs: &[Seg]) -> Meeting {
    let n = segs.len();
    let boxes: Vec<[f64; 4]> = segs.iter().map(Seg::bbox).collect();
    let mut bb = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    let mut extent = 0.0;
    for b in &boxes {
        bb = [bb[0].min(b[0]), bb[1].min(b[1]), bb[2].max(b[2]), bb[3].max(b[3])];
        extent += (b[2] - b[0]).max(b[3] - b[1]);
    }
    let (w, h) = (bb[2] - bb[0], bb[3] - bb[1]);
    // Cells about as large as a segment and about as many as segments, at most 2048 a side.
    let mut cell = (extent / n as f64).max((w * h / n as f64).sqrt()).max(w / 2048.0).max(h / 2048.0);
    if !(cell > 0.0 && cell.is_finite()) {
        cell = 1.0;
    }
    let gw = ((w / cell) as usize + 1).min(2048);
    let gh = ((h / cell) as usize + 1).min(2048);
    let col = |x: f64| (((x - bb[0]) / cell) as usize).min(gw - 1);
    let row = |y: f64| (((y - bb[1]) / cell) as usize).min(gh - 1);
    // Counting sort of segments into the cells their boxes cover.
    let mut offsets = vec![0u32; gw * gh + 1];
    for b in &boxes {
        for y in row(b[1])..=row(b[3]) {
            for x in col(b[0])..=col(b[2]) {
                offsets[y * gw + x + 1] += 1;
            }
        }
    }
    for c in 0..gw * gh {
        offsets[c + 1] += offsets[c];
    }
    let mut fill: Vec<u32> = offsets[..gw * gh].to_vec();
    let mut members = vec![0u32; offsets[gw * gh] as usize];
    for (s, b) in boxes.iter().enumerate() {
        for y in row(b[1])..=row(b[3]) {
            for x in col(b[0])..=col(b[2]) {
                members[fill[y * gw + x] as usize] = s as u32;
                fill[y * gw + x] += 1;
            }
        }
    }
    let mut verdict = Meeting::None;
    for c in 0..gw * gh {
        let cell_members = &members[offsets[c] as usize..offsets[c + 1] as usize];
        for (x, &s) in cell_members.iter().enumerate() {
            let (a, ba) = (&segs[s as usize], boxes[s as usize]);
            for &t in &cell_members[x + 1..] {
                let (b, bt) = (&segs[t as usize], boxes[t as usize]);
                if ba[0] > bt[2] || bt[0] > ba[2] || ba[1] > bt[3] || bt[1] > ba[3] || a.consecutive(b) {
                    continue;
                }
                if !a.line.intersects(&b.line) {
                    continue;
                }
                let (l, m) = (a.line, b.line);
                if a.ring == b.ring && l.start != m.end && l.end != m.start {
                    return Meeting::SelfIntersection;
                }
                verdict = Meeting::Other;
            }
        }
    }
    verdict
}
