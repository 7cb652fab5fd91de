//! From reached intervals to a valid service-area (Multi)Polygon.
//!
//! The reached network is drawn on a grid in local metres; the distance to
//! it is computed only near it ([`super::sparse_field`]: tiles within the
//! buffer plus two cells of a drawn cell) and the contour at the buffer
//! distance ([`super::marching_squares`]) gives rings that are assembled
//! into polygons with holes (each hole's shell found through a
//! [`RingIndex`]), simplified without breaking validity
//! ([`super::validity`]), measured, and projected back to longitude/latitude.
//!
//! Complexity: `O(L/c · h)` for a reached length `L` on cells of `c` metres
//! with a halo of `h = buffer/c + 2` cells (the tiles touched), plus
//! `O(n log n)` in the outline's `n` vertices (contour chaining, hole
//! owners, validity, simplification), plus a tile directory of `W·H / 4096`
//! entries for the `W × H` frame (capped by `max_cells`). The reference
//! [`build_area_reference`] is `O(W·H + n²)`, and both give the same bytes.

use geo::{Area, Contains, Coord, LineString, MultiPolygon, Point, Polygon, Simplify, Validation, Winding};

use geo::coordinate_position::CoordPos;

use super::distance_field::Grid;
use super::marching_squares::{contour_rings, contour_rings_sparse, signed_area2};
use super::reach::ReachedInterval;
use super::ring_index::{RingIndex, RingQuery};
use super::sparse_field::{MAX_HALO, SparseField, halo_cells};
use super::validity;
use crate::geometry::EARTH_RADIUS_M;
use crate::graph::WalkGraph;

/// How service areas are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IsochroneParams {
    /// The area is the ground within this distance of the reached network, metres.
    pub buffer_m: f64,
    /// Grid cell size, metres (the outline is accurate to about half a cell diagonal).
    pub cell_m: f64,
    /// Simplification tolerance, metres (0: none); validity is always kept.
    pub simplify_m: f64,
    /// Most grid cells for one area: a larger area gets coarser cells.
    pub max_cells: usize,
}

impl IsochroneParams {
    /// Defaults for a buffer: cells of a fifth of the buffer (2 to 10 m), 2 m simplification.
    pub fn with_buffer(buffer_m: f64) -> IsochroneParams {
        IsochroneParams { buffer_m, cell_m: (buffer_m / 5.0).clamp(2.0, 10.0), simplify_m: 2.0, max_cells: 4_000_000 }
    }
}

/// A service area.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceArea {
    /// The area, longitude/latitude (outer rings counter-clockwise, holes clockwise).
    pub polygon: MultiPolygon<f64>,
    /// Its area, square metres.
    pub area_m2: f64,
    /// The grid cell size used, metres (coarser than asked when the area is
    /// too large for `max_cells`).
    pub cell_m: f64,
}

/// An equirectangular projection around an origin: exact enough (under
/// 0.1 %) over the few kilometres of a walking service area.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalProjection {
    lon0: f64,
    lat0: f64,
    kx: f64,
    ky: f64,
}

/// The local projection centred on `origin` (`[lon, lat]`).
pub fn local_projection(origin: [f64; 2]) -> LocalProjection {
    let ky = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
    LocalProjection { lon0: origin[0], lat0: origin[1], kx: ky * origin[1].to_radians().cos(), ky }
}

impl LocalProjection {
    /// `[lon, lat]` to local metres.
    #[inline]
    pub fn forward(&self, p: [f64; 2]) -> [f64; 2] {
        [(p[0] - self.lon0) * self.kx, (p[1] - self.lat0) * self.ky]
    }

    /// Local metres to `[lon, lat]`.
    #[inline]
    pub fn inverse(&self, p: [f64; 2]) -> [f64; 2] {
        [p[0] / self.kx + self.lon0, p[1] / self.ky + self.lat0]
    }
}

/// The polyline of `edge` between `from_m` and `to_m` metres from its start.
pub fn sub_polyline(graph: &WalkGraph, iv: &ReachedInterval) -> Vec<[f64; 2]> {
    let geom = graph.edge_geometry(iv.edge);
    let cum = graph.edge_cumulative_m(iv.edge);
    let mut out = Vec::new();
    for (k, w) in geom.windows(2).enumerate() {
        let (s, e) = (cum[k], cum[k + 1]);
        if e < iv.from_m || s > iv.to_m {
            continue;
        }
        let len = e - s;
        let at = |m: f64| {
            let t = if len > 0.0 { ((m - s) / len).clamp(0.0, 1.0) } else { 0.0 };
            [w[0][0] + (w[1][0] - w[0][0]) * t, w[0][1] + (w[1][1] - w[0][1]) * t]
        };
        if out.is_empty() {
            out.push(at(iv.from_m.max(s)));
        }
        out.push(at(iv.to_m.min(e)));
    }
    if out.is_empty() {
        out.push(geom[0]);
    }
    out
}

/// The service area of the reached intervals (one facility's, or a whole
/// category's for its coverage area), projected around `proj`.
///
/// The distance field is computed only near the reached network
/// ([`SparseField`]), holes find their shells through a [`RingIndex`] and
/// validity is decided by [`validity::is_valid`]: the result is identical to
/// [`build_area_reference`]'s, in time proportional to the reached length
/// (times the buffer in cells) and the outline's size.
pub fn build_area(
    graph: &WalkGraph,
    intervals: &[ReachedInterval],
    proj: &LocalProjection,
    params: &IsochroneParams,
) -> ServiceArea {
    build(graph, intervals, proj, params, false)
}

/// [`build_area`] the slow obvious way, kept as its reference: the dense
/// distance transform over the whole box ([`Grid`]), the dense contour scan,
/// geo's point-in-polygon for every hole against every shell and geo's
/// quadratic validity check. `O(W·H)` for the `W × H` box plus `O(n²)` in
/// the outline's `n` vertices.
pub fn build_area_reference(
    graph: &WalkGraph,
    intervals: &[ReachedInterval],
    proj: &LocalProjection,
    params: &IsochroneParams,
) -> ServiceArea {
    build(graph, intervals, proj, params, true)
}

fn build(
    graph: &WalkGraph,
    intervals: &[ReachedInterval],
    proj: &LocalProjection,
    params: &IsochroneParams,
    reference: bool,
) -> ServiceArea {
    let lines: Vec<Vec<[f64; 2]>> =
        intervals.iter().map(|iv| sub_polyline(graph, iv).into_iter().map(|p| proj.forward(p)).collect()).collect();
    let mut min = [f64::INFINITY; 2];
    let mut max = [f64::NEG_INFINITY; 2];
    for p in lines.iter().flatten() {
        min = [min[0].min(p[0]), min[1].min(p[1])];
        max = [max[0].max(p[0]), max[1].max(p[1])];
    }
    if lines.is_empty() || !min[0].is_finite() {
        return ServiceArea { polygon: MultiPolygon::new(vec![]), area_m2: 0.0, cell_m: params.cell_m };
    }
    let margin = params.buffer_m * 1.1 + 2.0 * params.cell_m;
    let span = ((max[0] - min[0]) + 2.0 * margin) * ((max[1] - min[1]) + 2.0 * margin);
    let cell_m = params.cell_m.max((span / params.max_cells as f64).sqrt());
    // A marked cell stands for lines up to half a diagonal from its centre, and
    // the contour interpolates between cell centres: the level never goes below
    // a cell and a half, so the reached network stays inside its area even on
    // coarse cells (which only a very large area gets).
    let level = params.buffer_m.max(cell_m * 1.5);
    let (rings, x0, y0) = if reference || halo_cells(level, cell_m) > MAX_HALO {
        let mut grid = Grid::covering(min, max, margin + cell_m, cell_m);
        for line in &lines {
            if line.len() == 1 {
                grid.mark(line[0]);
            }
            for w in line.windows(2) {
                grid.draw_segment(w[0], w[1]);
            }
        }
        let dist = grid.distance_m();
        (contour_rings(&dist, grid.width, grid.height, level), grid.x0, grid.y0)
    } else {
        let mut field = SparseField::covering(min, max, margin + cell_m, cell_m);
        for line in &lines {
            if line.len() == 1 {
                field.mark(line[0]);
            }
            for w in line.windows(2) {
                field.draw_segment(w[0], w[1]);
            }
        }
        field.compute(level);
        (contour_rings_sparse(&field), field.x0, field.y0)
    };
    let to_local = |r: Vec<[f64; 2]>| -> LineString<f64> {
        r.into_iter().map(|[gx, gy]| Coord { x: x0 + gx * cell_m, y: y0 + gy * cell_m }).collect()
    };
    let (mut shells, mut holes) = (Vec::new(), Vec::new());
    for r in rings {
        if signed_area2(&r) > 0.0 { shells.push(to_local(r)) } else { holes.push(to_local(r)) }
    }
    let mut polys: Vec<Polygon<f64>> = shells.into_iter().map(|s| Polygon::new(s, vec![])).collect();
    // Each hole belongs to the smallest shell that contains it.
    let shell_area: Vec<f64> = polys.iter().map(|p| p.unsigned_area()).collect();
    let mut hole_of: Vec<Vec<LineString<f64>>> = vec![Vec::new(); polys.len()];
    if reference {
        for h in holes {
            let p = Point::from(h.0[0]);
            let owner = (0..polys.len())
                .filter(|&k| polys[k].contains(&p))
                .min_by(|&a, &b| shell_area[a].total_cmp(&shell_area[b]));
            if let Some(k) = owner {
                hole_of[k].push(h);
            }
        }
    } else if !holes.is_empty() {
        // The same owners: the shells containing the hole's first vertex, exactly as geo says.
        let index = RingIndex::new(polys.iter().map(|p| p.exterior()));
        let mut q = RingQuery::default();
        for h in holes {
            let mut owner: Option<usize> = None;
            for &(k, pos) in index.locate(h.0[0], &mut q) {
                let k = k as usize;
                if pos == CoordPos::Inside && owner.is_none_or(|o| shell_area[k] < shell_area[o]) {
                    owner = Some(k);
                }
            }
            if let Some(k) = owner {
                hole_of[k].push(h);
            }
        }
    }
    for (poly, hs) in polys.iter_mut().zip(hole_of) {
        for h in hs {
            poly.interiors_push(h);
        }
    }
    let local = MultiPolygon::new(polys);
    // Back to longitude/latitude, rounded as written (1e-7 degree), repeated vertices dropped;
    // simplification is kept only when the rounded result is still valid.
    let finish = |mp: &MultiPolygon<f64>| -> MultiPolygon<f64> {
        let ring = |ls: &LineString<f64>| -> LineString<f64> {
            let mut pts: Vec<Coord<f64>> = Vec::with_capacity(ls.0.len());
            for c in &ls.0 {
                let q = proj.inverse([c.x, c.y]);
                let q = Coord { x: (q[0] * 1e7).round() / 1e7, y: (q[1] * 1e7).round() / 1e7 };
                if pts.last() != Some(&q) {
                    pts.push(q);
                }
            }
            LineString::new(pts)
        };
        MultiPolygon::new(
            mp.0.iter()
                .map(|p| {
                    let holes = p.interiors().iter().map(ring).filter(|r| r.0.len() >= 4).collect();
                    Polygon::new(ring(p.exterior()), holes)
                })
                .filter(|p| p.exterior().0.len() >= 4)
                .collect(),
        )
    };
    let mut polygon = finish(&local);
    let mut area_m2 = local.unsigned_area();
    if params.simplify_m > 0.0 {
        let simplified = local.simplify(params.simplify_m);
        let rounded = finish(&simplified);
        let wound = rounded.0.iter().all(|p| p.exterior().is_ccw() && p.interiors().iter().all(|h| h.is_cw()));
        let valid = |mp: &MultiPolygon<f64>| if reference { mp.is_valid() } else { validity::is_valid(mp) };
        if rounded.0.len() == polygon.0.len() && wound && valid(&rounded) {
            polygon = rounded;
            area_m2 = simplified.unsigned_area();
        }
    }
    ServiceArea { polygon, area_m2, cell_m }
}
