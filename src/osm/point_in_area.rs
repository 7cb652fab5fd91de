//! Point-in-area tests against a prepared multipolygon: each ring's edges
//! filed into horizontal bands, so a test walks only the edges of the band
//! the point's latitude falls in, not the whole ring.
//!
//! The answer is exactly geo's `Contains<Point>` for a `MultiPolygon`: the
//! same winding-number rule per edge (geo's robust `orient2d`, the same
//! half-open crossing rules and boundary test) and the same rule over
//! polygons (inside one's exterior and neither inside nor on any of its
//! holes). Only edges whose latitude
//! range holds the point's can change a ring's answer (every other edge
//! fails both of the rule's range tests), and a band lists every edge whose
//! range meets it, so skipping the others changes nothing.
//!
//! Complexity: preparing is `O(E + B)` for `E` edges filed into `B` band
//! slots (about `1.5 E` on real rings); a test is `O(edges in one band)`,
//! a few edges where geo's walks all `E` of the ring.
//!
//! ```
//! use geo::{Contains, MultiPolygon, Point, polygon};
//! use lifecircle::osm::point_in_area::PreparedArea;
//! let square = MultiPolygon::new(vec![polygon![
//!     exterior: [(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0), (x: 0.0, y: 4.0)],
//!     interiors: [[(x: 1.0, y: 1.0), (x: 2.0, y: 1.0), (x: 2.0, y: 2.0), (x: 1.0, y: 2.0)]],
//! ]]);
//! let prepared = PreparedArea::new(&square);
//! for p in [[0.5, 0.5], [1.5, 1.5], [4.0, 2.0], [5.0, 1.0], [3.0, 3.9]] {
//!     assert_eq!(prepared.contains(p), square.contains(&Point::new(p[0], p[1])));
//! }
//! ```

use geo::{Coord, GeoNum, Kernel, LineString, MultiPolygon, Orientation, Polygon};

/// Rings with fewer edges are scanned whole (one band).
const BANDED_FROM_EDGES: usize = 16;

/// Edges per band aimed at when a ring is banded.
const EDGES_PER_BAND: usize = 4;

/// Where a point lies relative to a ring (geo's `CoordPos`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    Inside,
    OnBoundary,
    Outside,
}

/// One ring with its edges filed by latitude band.
#[derive(Debug, Clone)]
struct Ring {
    coords: Vec<Coord<f64>>,
    /// The lowest and highest latitude of the ring's vertices.
    y_range: [f64; 2],
    /// The lowest and highest longitude of the ring's vertices.
    x_range: [f64; 2],
    /// Band of latitude `y`: `floor((y - y_range[0]) * per_degree)`, clamped.
    per_degree: f64,
    /// Edge `i` (from `coords[i]` to `coords[i + 1]`) of band `b` in
    /// `edges[band_start[b]..band_start[b + 1]]`.
    band_start: Vec<u32>,
    edges: Vec<u32>,
}

impl Ring {
    fn new(line: &LineString<f64>) -> Ring {
        let coords = line.0.clone();
        let n_edges = coords.len().saturating_sub(1);
        let finite = coords.iter().all(|c| c.x.is_finite() && c.y.is_finite());
        let (lo, hi) = coords.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| (lo.min(c.y), hi.max(c.y)));
        let (x_lo, x_hi) =
            coords.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| (lo.min(c.x), hi.max(c.x)));
        let height = hi - lo;
        let bands = if finite && n_edges >= BANDED_FROM_EDGES && height > 0.0 { n_edges / EDGES_PER_BAND } else { 1 };
        let per_degree = if bands > 1 { bands as f64 / height } else { 0.0 };
        let mut ring = Ring {
            coords,
            y_range: if finite { [lo, hi] } else { [f64::NEG_INFINITY, f64::INFINITY] },
            x_range: if finite { [x_lo, x_hi] } else { [f64::NEG_INFINITY, f64::INFINITY] },
            per_degree,
            band_start: vec![0; bands + 1],
            edges: Vec::new(),
        };
        // Counting pass, then filling pass (CSR).
        let spans: Vec<(usize, usize)> = (0..n_edges)
            .map(|i| {
                let (a, b) = (ring.coords[i].y, ring.coords[i + 1].y);
                (ring.band(a.min(b)), ring.band(a.max(b)))
            })
            .collect();
        for &(first, last) in &spans {
            for count in &mut ring.band_start[first + 1..=last + 1] {
                *count += 1;
            }
        }
        for b in 0..bands {
            ring.band_start[b + 1] += ring.band_start[b];
        }
        let mut next: Vec<u32> = ring.band_start[..bands].to_vec();
        ring.edges = vec![0; ring.band_start[bands] as usize];
        for (i, &(first, last)) in spans.iter().enumerate() {
            for slot in &mut next[first..=last] {
                ring.edges[*slot as usize] = i as u32;
                *slot += 1;
            }
        }
        ring
    }

    /// The band of latitude `y`: monotone in `y` (a subtraction and a
    /// product by a positive constant, both monotone when rounded, then a
    /// floor), so an edge filed from the band of its lowest to the band of
    /// its highest end is in the band of every latitude it spans.
    fn band(&self, y: f64) -> usize {
        let last = self.band_start.len() - 2;
        let f = (y - self.y_range[0]) * self.per_degree;
        if f >= 0.0 { (f as usize).min(last) } else { 0 }
    }

    /// geo's `coord_pos_relative_to_ring`, over the edges of `c`'s band only.
    fn position(&self, c: Coord<f64>) -> Position {
        match self.coords.len() {
            0 => return Position::Outside,
            1 => return if c == self.coords[0] { Position::OnBoundary } else { Position::Outside },
            _ => {}
        }
        // No edge spans a latitude outside the vertices' range (NaN included):
        // every edge fails both range tests below. East or west of every
        // vertex, every edge the point's latitude meets has the point on one
        // side, so each crossing counted upwards is matched by one counted
        // downwards (winding 0), and no edge passes through the point.
        if !(c.y >= self.y_range[0] && c.y <= self.y_range[1] && c.x >= self.x_range[0] && c.x <= self.x_range[1]) {
            return Position::Outside;
        }
        let b = self.band(c.y);
        let mut winding = 0i32;
        for &i in &self.edges[self.band_start[b] as usize..self.band_start[b + 1] as usize] {
            let (start, end) = (self.coords[i as usize], self.coords[i as usize + 1]);
            if start.y <= c.y {
                if end.y >= c.y {
                    let o = <f64 as GeoNum>::Ker::orient2d(start, end, c);
                    if o == Orientation::CounterClockwise && end.y != c.y {
                        winding += 1;
                    } else if o == Orientation::Collinear && between(c.x, start.x, end.x) {
                        return Position::OnBoundary;
                    }
                }
            } else if end.y <= c.y {
                let o = <f64 as GeoNum>::Ker::orient2d(start, end, c);
                if o == Orientation::Clockwise {
                    winding -= 1;
                } else if o == Orientation::Collinear && between(c.x, start.x, end.x) {
                    return Position::OnBoundary;
                }
            }
        }
        if winding == 0 { Position::Outside } else { Position::Inside }
    }

    /// Whether some edge may meet the closed box `[min, max]` (a degenerate
    /// ring of one vertex counts as an edge): its box meets the box and the
    /// box's corners are not all strictly on one side of its line.
    /// Conservative for boxes wider than the rounding of the side test (the
    /// caller widens by far more). `O(edges in the box's bands)`.
    fn meets_box(&self, min: [f64; 2], max: [f64; 2]) -> bool {
        let corners = [[min[0], min[1]], [max[0], min[1]], [max[0], max[1]], [min[0], max[1]]];
        let meets = |a: Coord<f64>, b: Coord<f64>| {
            if !(a.x.max(b.x) >= min[0] && a.x.min(b.x) <= max[0] && a.y.max(b.y) >= min[1] && a.y.min(b.y) <= max[1]) {
                return false;
            }
            let side = |c: [f64; 2]| (b.x - a.x) * (c[1] - a.y) - (b.y - a.y) * (c[0] - a.x);
            let sides = corners.map(side);
            !(sides.iter().all(|&s| s > 0.0) || sides.iter().all(|&s| s < 0.0))
        };
        match self.coords.len() {
            0 => return false,
            1 => return meets(self.coords[0], self.coords[0]),
            _ => {}
        }
        if max[1] < self.y_range[0] || min[1] > self.y_range[1] {
            return false;
        }
        let (first, last) = (self.band(min[1]), self.band(max[1]));
        let span = self.band_start[first] as usize..self.band_start[last + 1] as usize;
        self.edges[span].iter().any(|&i| meets(self.coords[i as usize], self.coords[i as usize + 1]))
    }
}

/// geo's `value_in_between`: `x` within the bounds, in either order.
fn between(x: f64, a: f64, b: f64) -> bool {
    if a < b { x >= a && x <= b } else { x >= b && x <= a }
}

/// One polygon: its exterior and holes, prepared.
#[derive(Debug, Clone)]
struct PreparedPolygon {
    exterior: Ring,
    holes: Vec<Ring>,
}

impl PreparedPolygon {
    fn new(p: &Polygon<f64>) -> PreparedPolygon {
        PreparedPolygon { exterior: Ring::new(p.exterior()), holes: p.interiors().iter().map(Ring::new).collect() }
    }
}

/// A multipolygon prepared for many point-in-area tests.
#[derive(Debug, Clone)]
pub struct PreparedArea {
    polygons: Vec<PreparedPolygon>,
}

impl PreparedArea {
    /// Files the edges of every ring of `mp`. `O(E)`.
    pub fn new(mp: &MultiPolygon<f64>) -> PreparedArea {
        PreparedArea { polygons: mp.iter().map(PreparedPolygon::new).collect() }
    }

    /// [`PreparedArea::new`] of a multipolygon of one polygon.
    pub fn of_polygon(p: &Polygon<f64>) -> PreparedArea {
        PreparedArea { polygons: vec![PreparedPolygon::new(p)] }
    }

    /// Whether `[x, y]` lies in the interior of one of the area's polygons:
    /// geo's `MultiPolygon::contains(&Point)` (a point on a boundary is not inside).
    pub fn contains(&self, [x, y]: [f64; 2]) -> bool {
        let c = Coord { x, y };
        self.polygons.iter().any(|p| {
            !p.exterior.coords.is_empty()
                && p.exterior.position(c) == Position::Inside
                && p.holes.iter().all(|hole| hole.position(c) == Position::Outside)
        })
    }

    /// What [`PreparedArea::contains`] answers everywhere in the closed box
    /// `[min, max]`, when that is one answer: `Some` when no edge of any ring
    /// meets the box (the box is connected, so no boundary divides it and
    /// one corner answers for all of it), `None` otherwise. Non-finite
    /// corners answer `None`. Whether an edge's line passes the box is
    /// decided in floating point: an edge within rounding of a corner (about
    /// 1e-15 of the coordinates' size) may count as clear, so a caller that
    /// needs the answer for a region widens its box by more than that (the
    /// hole placement widens by 1e-9°). `O(edges in the box's bands)` per ring.
    pub fn classify_box(&self, min: [f64; 2], max: [f64; 2]) -> Option<bool> {
        if !min.iter().chain(&max).all(|v| v.is_finite()) {
            return None;
        }
        let rings = self.polygons.iter().flat_map(|p| std::iter::once(&p.exterior).chain(&p.holes));
        for ring in rings {
            if ring.meets_box(min, max) {
                return None;
            }
        }
        Some(self.contains(min))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::SplitMix64 as Rng;
    use geo::{Contains, Point};

    /// A star-shaped ring of `n` vertices around `centre` with radii in `[0.2, 1]`, snapped to a grid of
    /// `grid` (so vertices share latitudes and points fall on edges and vertices).
    fn ring(rng: &mut Rng, centre: [f64; 2], scale: f64, n: usize, grid: f64) -> LineString<f64> {
        let snap = |v: f64| (v / grid).round() * grid;
        let mut pts: Vec<Coord<f64>> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                let r = scale * (0.2 + 0.8 * rng.unit());
                Coord { x: snap(centre[0] + r * a.cos()), y: snap(centre[1] + r * a.sin()) }
            })
            .collect();
        if rng.unit() < 0.5 {
            pts.reverse();
        }
        LineString::from(pts)
    }

    #[test]
    fn matches_geo_contains_on_random_areas() {
        let mut rng = Rng(0x5eed_a4ea);
        let mut tested = [0usize; 2];
        for case in 0..300 {
            let grid = [1e-3, 0.05, 0.25][case % 3];
            let n_polys = 1 + case % 3;
            let polys: Vec<Polygon<f64>> = (0..n_polys)
                .map(|k| {
                    let centre = [k as f64 * 1.2, 0.3 * k as f64];
                    let n = [5, 17, 60, 400][(case + k) % 4];
                    let outer = ring(&mut rng, centre, 1.0, n, grid);
                    let holes = (0..case % 4)
                        .map(|h| ring(&mut rng, [centre[0] + 0.1 * h as f64, centre[1]], 0.15, 3 + 7 * h, grid))
                        .collect();
                    Polygon::new(outer, holes)
                })
                .collect();
            let mp = MultiPolygon::new(polys);
            let prepared = PreparedArea::new(&mp);
            // Random points, the rings' vertices and edge midpoints (boundaries),
            // and points at each ring's least and greatest longitude and a hair
            // beyond them, at its vertices' latitudes (the ring's box test).
            let mut points: Vec<[f64; 2]> =
                (0..300).map(|_| [-1.5 + 4.5 * rng.unit(), -1.5 + 3.5 * rng.unit()]).collect();
            for p in mp.iter() {
                for r in std::iter::once(p.exterior()).chain(p.interiors()) {
                    let x_lo = r.0.iter().map(|c| c.x).fold(f64::INFINITY, f64::min);
                    let x_hi = r.0.iter().map(|c| c.x).fold(f64::NEG_INFINITY, f64::max);
                    for w in r.0.windows(2).step_by(3) {
                        points.push([w[0].x, w[0].y]);
                        points.push([(w[0].x + w[1].x) / 2.0, (w[0].y + w[1].y) / 2.0]);
                        points.push([w[0].x, w[1].y]);
                        for x in [x_lo, x_hi, x_lo - 1e-12, x_hi + 1e-12] {
                            points.push([x, w[0].y]);
                        }
                    }
                }
            }
            for p in points {
                let expected = mp.contains(&Point::new(p[0], p[1]));
                assert_eq!(prepared.contains(p), expected, "case {case}, point {p:?}");
                tested[usize::from(expected)] += 1;
            }
        }
        assert!(tested[0] > 10_000 && tested[1] > 10_000, "both answers exercised: {tested:?}");
    }

    #[test]
    fn classify_box_agrees_with_every_point_of_the_box() {
        let mut rng = Rng(0xb0c5);
        let mut answered = [0usize; 2];
        for case in 0..200 {
            let n = [6, 40, 300][case % 3];
            let outer = ring(&mut rng, [0.0, 0.0], 1.0, n, 1e-3);
            let holes = (0..case % 3).map(|h| ring(&mut rng, [0.1 * h as f64, 0.05], 0.1, 12, 1e-3)).collect();
            let mp = MultiPolygon::new(vec![Polygon::new(outer, holes)]);
            let prepared = PreparedArea::new(&mp);
            for _ in 0..40 {
                let (w, h) = (0.3 * rng.unit() * rng.unit(), 0.3 * rng.unit() * rng.unit());
                let min = [-1.2 + 2.4 * rng.unit(), -1.2 + 2.4 * rng.unit()];
                let max = [min[0] + w, min[1] + h];
                let Some(answer) = prepared.classify_box(min, max) else { continue };
                answered[usize::from(answer)] += 1;
                for i in 0..=6 {
                    for j in 0..=6 {
                        let p = [min[0] + w * f64::from(i) / 6.0, min[1] + h * f64::from(j) / 6.0];
                        let p = [p[0].min(max[0]), p[1].min(max[1])];
                        assert_eq!(
                            mp.contains(&Point::new(p[0], p[1])),
                            answer,
                            "case {case}, box {min:?}-{max:?}, {p:?}"
                        );
                    }
                }
            }
        }
        assert!(answered[0] > 1000 && answered[1] > 300, "both answers exercised: {answered:?}");
    }

    #[test]
    fn degenerate_rings_answer_as_geo() {
        let flat = MultiPolygon::new(vec![Polygon::new(
            LineString::from((0..40).map(|i| (f64::from(i), 1.0)).collect::<Vec<_>>()),
            vec![],
        )]);
        let empty = MultiPolygon::<f64>::new(vec![Polygon::new(LineString::new(vec![]), vec![])]);
        for mp in [flat, empty] {
            let prepared = PreparedArea::new(&mp);
            for p in [[3.0, 1.0], [3.5, 1.0], [3.0, 1.5], [-1.0, 1.0], [f64::NAN, 1.0], [1.0, f64::NAN]] {
                assert_eq!(prepared.contains(p), mp.contains(&Point::new(p[0], p[1])), "{p:?}");
            }
        }
    }
}
