//! Small geodesy helpers: haversine lengths (geo's `Haversine`, mean Earth
//! radius 6 371 008.8 m) and Earth-centred 3-D coordinates in metres for the
//! snapping index, which stay undistorted anywhere on the globe (a merged
//! extract can span continents, where one planar projection would not do).

use geo::{Distance, Haversine, Point};

/// Mean Earth radius in metres (GRS80 mean radius, as geo's `Haversine` uses).
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance in metres between two `[lon, lat]` points.
#[inline]
pub fn haversine_m(a: [f64; 2], b: [f64; 2]) -> f64 {
    Haversine.distance(Point::new(a[0], a[1]), Point::new(b[0], b[1]))
}

/// Fills `cum_m[k]` with the haversine length in metres of `points[..=k]`
/// (`cum_m[0]` is 0; `cum_m` as long as `points`): bit for bit the running
/// sum of [`haversine_m`] over the segments, with each point's cosine of
/// latitude computed once instead of twice. `O(points)`.
///
/// ```
/// use lifecircle::geometry::{cumulative_lengths_m, haversine_m};
/// let line = [[9.52, 47.14], [9.53, 47.145], [9.531, 47.16]];
/// let mut cum = [0.0; 3];
/// cumulative_lengths_m(&line, &mut cum);
/// assert_eq!(cum, [0.0, haversine_m(line[0], line[1]), haversine_m(line[0], line[1]) + haversine_m(line[1], line[2])]);
/// ```
pub fn cumulative_lengths_m(points: &[[f64; 2]], cum_m: &mut [f64]) {
    assert_eq!(points.len(), cum_m.len(), "one length per point");
    let mut len_m = 0.0;
    let mut prev: Option<([f64; 2], f64)> = None;
    for (&p, cum) in points.iter().zip(cum_m) {
        let cos_lat = p[1].to_radians().cos();
        if let Some((a, cos_a)) = prev {
            // geo's `Haversine::distance`, operation for operation.
            let delta_lat = (p[1] - a[1]).to_radians();
            let delta_lon = (p[0] - a[0]).to_radians();
            let h = (delta_lat / 2.0).sin().powi(2) + cos_a * cos_lat * (delta_lon / 2.0).sin().powi(2);
            len_m += EARTH_RADIUS_M * (2.0 * h.sqrt().asin());
        }
        *cum = len_m;
        prev = Some((p, cos_lat));
    }
}

/// Length in metres of a polyline of `[lon, lat]` points.
pub fn polyline_length_m(points: &[[f64; 2]]) -> f64 {
    points.windows(2).map(|w| haversine_m(w[0], w[1])).sum()
}

/// Earth-centred Cartesian coordinates (metres) of a `[lon, lat]` point on the sphere.
///
/// Straight-line (chord) distances between such points equal great-circle
/// distances to better than 1 part in 10⁸ up to 1 km, so nearest-segment
/// searches in this space are exact for snapping purposes.
#[inline]
pub fn to_ecef(p: [f64; 2]) -> [f64; 3] {
    let (lon, lat) = (p[0].to_radians(), p[1].to_radians());
    let (slat, clat) = lat.sin_cos();
    let (slon, clon) = lon.sin_cos();
    [EARTH_RADIUS_M * clat * clon, EARTH_RADIUS_M * clat * slon, EARTH_RADIUS_M * slat]
}

/// Back from Earth-centred coordinates to `[lon, lat]` (the point is projected onto the sphere).
#[inline]
pub fn from_ecef(p: [f64; 3]) -> [f64; 2] {
    let r_xy = (p[0] * p[0] + p[1] * p[1]).sqrt();
    [p[1].atan2(p[0]).to_degrees(), p[2].atan2(r_xy).to_degrees()]
}

/// Is `[lon, lat]` a valid WGS-84 position?
#[inline]
pub fn valid_lonlat(p: [f64; 2]) -> bool {
    p[0].is_finite() && p[1].is_finite() && (-180.0..=180.0).contains(&p[0]) && (-90.0..=90.0).contains(&p[1])
}

/// A position for an area: its area centroid, or, when that is not inside
/// the area's bounding box (a self-intersecting ring whose lobes' signed
/// areas nearly cancel puts it arbitrarily far away), the centroid of its
/// boundary lines, which always lies within their convex hull. `None` for an
/// empty shape. `O(V)` in the vertices.
///
/// ```
/// use geo::{MultiPolygon, polygon};
/// // A bow-tie whose two lobes almost cancel.
/// let bow = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 1.0), (x: 1.0, y: 0.0), (x: 0.0, y: 1.0000001)];
/// let [x, y] = lifecircle::geometry::area_position(&MultiPolygon::new(vec![bow])).unwrap();
/// assert!((0.0..=1.0).contains(&x) && (0.0..=1.0000001).contains(&y));
/// ```
pub fn area_position(mp: &geo::MultiPolygon<f64>) -> Option<[f64; 2]> {
    use geo::{BoundingRect, Centroid};
    let bbox = mp.bounding_rect()?;
    let inside = |c: geo::Point<f64>| {
        c.x() >= bbox.min().x && c.x() <= bbox.max().x && c.y() >= bbox.min().y && c.y() <= bbox.max().y
    };
    if let Some(c) = mp.centroid().filter(|&c| inside(c)) {
        return Some([c.x(), c.y()]);
    }
    let lines = geo::MultiLineString::new(
        mp.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()).cloned()).collect(),
    );
    if let Some(c) = lines.centroid().filter(|&c| inside(c)) {
        return Some([c.x(), c.y()]);
    }
    // Every vertex at one point (zero-length lines): that point.
    Some([bbox.min().x, bbox.min().y])
}

/// [`area_position`] of one polygon (its own centroid when inside its box).
pub fn polygon_position(p: &geo::Polygon<f64>) -> Option<[f64; 2]> {
    use geo::{BoundingRect, Centroid};
    let bbox = p.bounding_rect()?;
    match p.centroid() {
        Some(c) if c.x() >= bbox.min().x && c.x() <= bbox.max().x && c.y() >= bbox.min().y && c.y() <= bbox.max().y => {
            Some([c.x(), c.y()])
        }
        _ => area_position(&geo::MultiPolygon::new(vec![p.clone()])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cumulative lengths against the running sum of geo's haversine,
    /// bit for bit: short and long segments, near the poles, across the
    /// antimeridian, repeated points.
    #[test]
    fn cumulative_lengths_match_the_haversine_sum_bit_for_bit() {
        let mut rng = crate::test_rng::SplitMix64(2024);
        for case in 0..400 {
            let n = 1 + rng.below(12) as usize;
            let span = [1e-5, 1e-3, 0.1, 30.0, 180.0][case % 5];
            let (lon0, lat0) = (rng.unit() * 360.0 - 180.0, rng.unit() * 178.0 - 89.0);
            let line: Vec<[f64; 2]> = (0..n)
                .map(|k| {
                    if k > 0 && rng.below(8) == 0 {
                        return [lon0, lat0]; // a repeated point now and then
                    }
                    let lon = lon0 + (rng.unit() - 0.5) * span;
                    let lat = (lat0 + (rng.unit() - 0.5) * span).clamp(-90.0, 90.0);
                    [if lon > 180.0 { lon - 360.0 } else { lon }, lat]
                })
                .collect();
            let mut want = Vec::with_capacity(n);
            let mut sum = 0.0;
            for k in 0..n {
                if k > 0 {
                    sum += haversine_m(line[k - 1], line[k]);
                }
                want.push(sum.to_bits());
            }
            let mut cum = vec![f64::NAN; n];
            cumulative_lengths_m(&line, &mut cum);
            assert_eq!(cum.iter().map(|c| c.to_bits()).collect::<Vec<_>>(), want, "case {case}: {line:?}");
        }
    }

    #[test]
    fn ecef_chord_matches_haversine_for_short_distances() {
        let a = [9.52, 47.14];
        let b = [9.53, 47.145];
        let (pa, pb) = (to_ecef(a), to_ecef(b));
        let chord = ((pa[0] - pb[0]).powi(2) + (pa[1] - pb[1]).powi(2) + (pa[2] - pb[2]).powi(2)).sqrt();
        let h = haversine_m(a, b);
        assert!((chord - h).abs() < 1e-4, "chord {chord} vs haversine {h}");
        let back = from_ecef(pa);
        assert!((back[0] - a[0]).abs() < 1e-12 && (back[1] - a[1]).abs() < 1e-12);
    }
}
