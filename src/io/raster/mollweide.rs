//! The Mollweide projection on a sphere (`+proj=moll`), as GHSL's grids use
//! it (ESRI:54009 "World_Mollweide": WGS 84, central meridian 0, no false
//! origin). PROJ projects it on the sphere of the ellipsoid's semi-major
//! axis, so ESRI:54009 is this with `radius_m` = 6,378,137 m
//! ([`WGS84_RADIUS_M`]), latitudes taken as they are.
//!
//! Forward: `x = R·(2√2/π)·λ·cos θ`, `y = R·√2·sin θ`, where the auxiliary
//! angle θ solves `2θ + sin 2θ = π·sin φ` (Newton's method, as PROJ does).
//! Inverse: `θ = asin(y / (R√2))`, `φ = asin((2θ + sin 2θ) / π)`,
//! `λ = π·x / (2√2·R·cos θ)`. Both `O(1)` (the forward at most 200 safeguarded
//! Newton steps). Checked against PROJ's published test points (`test/gie/builtins.gie`).
//!
//! ```
//! use lifecircle::io::raster::mollweide::{forward, inverse};
//! // PROJ's test: +proj=moll +a=6400000, (2°E, 1°N) -> (201113.698641813, 124066.283433860).
//! let [x, y] = forward([2.0, 1.0], 0.0, 6_400_000.0);
//! assert!((x - 201_113.698_641_813).abs() < 1e-4 && (y - 124_066.283_433_860).abs() < 1e-4);
//! let [lon, lat] = inverse([x, y], 0.0, 6_400_000.0).unwrap();
//! assert!((lon - 2.0).abs() < 1e-12 && (lat - 1.0).abs() < 1e-12);
//! ```

use std::f64::consts::{FRAC_PI_2, PI, SQRT_2};

/// The sphere ESRI:54009 is projected on: WGS 84's semi-major axis, metres.
pub const WGS84_RADIUS_M: f64 = 6_378_137.0;

const C_X: f64 = 2.0 * SQRT_2 / PI;
const C_Y: f64 = SQRT_2;

/// `[lon, lat]` in degrees to `[x, y]` in metres on a sphere of `radius_m`,
/// central meridian `lon0_deg`. Longitudes are taken relative to it, wrapped
/// to `[-180, 180)`.
pub fn forward(lonlat: [f64; 2], lon0_deg: f64, radius_m: f64) -> [f64; 2] {
    let lam = wrap_deg(lonlat[0] - lon0_deg).to_radians();
    let phi = lonlat[1].clamp(-90.0, 90.0).to_radians();
    let theta = aux_angle(phi.abs()).copysign(phi);
    [radius_m * C_X * lam * theta.cos(), radius_m * C_Y * theta.sin()]
}

/// The auxiliary angle θ in `[0, π/2]` for a latitude `phi` in `[0, π/2]`
/// (radians): `ψ = 2θ` solves `ψ + sin ψ = π sin φ`. Newton's method (as
/// PROJ) inside a bracket `[lo, hi]` of `[0, π]` that each step narrows
/// (`f` is increasing there), bisecting whenever Newton would leave it: near
/// the poles `1 + cos ψ` goes to 0 and Newton alone slows to a crawl or divides
/// by zero. Ends when the step or the bracket falls below `1e-15`; at most 200 steps.
/// At the pole itself θ is `π/2` exactly (the equation cannot resolve ψ near
/// π better than `~1e-5` in doubles: `f` is flat to third order there).
fn aux_angle(phi: f64) -> f64 {
    if phi >= FRAC_PI_2 {
        return FRAC_PI_2;
    }
    let k = PI * phi.sin();
    let (mut lo, mut hi) = (0.0f64, PI);
    let mut psi = phi.clamp(lo, hi);
    for _ in 0..200 {
        let f = psi + psi.sin() - k;
        if f == 0.0 {
            break;
        }
        if f < 0.0 {
            lo = psi;
        } else {
            hi = psi;
        }
        let newton = psi - f / (1.0 + psi.cos());
        let next = if newton.is_finite() && newton > lo && newton < hi { newton } else { 0.5 * (lo + hi) };
        let step = (next - psi).abs();
        psi = next;
        if step < 1e-15 || hi - lo < 1e-15 {
            break;
        }
    }
    psi / 2.0
}

/// `[x, y]` in metres back to `[lon, lat]` in degrees; `None` outside the
/// projection's ellipse (`|y| > R√2`, or a longitude beyond ±180° from the
/// central meridian).
pub fn inverse(xy: [f64; 2], lon0_deg: f64, radius_m: f64) -> Option<[f64; 2]> {
    let s = xy[1] / (radius_m * C_Y);
    if !s.is_finite() || s.abs() > 1.0 + 1e-12 {
        return None;
    }
    let theta = s.clamp(-1.0, 1.0).asin();
    let cos_theta = theta.cos();
    let lam = if cos_theta.abs() < 1e-15 { 0.0 } else { xy[0] / (radius_m * C_X * cos_theta) };
    if !lam.is_finite() || lam.abs() > PI * (1.0 + 1e-12) {
        return None;
    }
    let phi = ((2.0 * theta + (2.0 * theta).sin()) / PI).clamp(-1.0, 1.0).asin();
    Some([wrap_deg(lon0_deg + lam.to_degrees()), phi.to_degrees()])
}

/// An angle in degrees wrapped to `[-180, 180)` (left as it is when already within ±180).
fn wrap_deg(a: f64) -> f64 {
    if (-180.0..=180.0).contains(&a) { a } else { (a + 180.0).rem_euclid(360.0) - 180.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PROJ's `test/gie/builtins.gie`, Mollweide block: `+proj=moll +a=6400000`,
    /// forward to 0.1 mm, inverse to the 9 decimals printed.
    #[test]
    fn proj_published_points() {
        let r = 6_400_000.0;
        for (lonlat, xy) in [
            ([2.0, 1.0], [201_113.698_641_813, 124_066.283_433_860]),
            ([2.0, -1.0], [201_113.698_641_813, -124_066.283_433_860]),
            ([-2.0, 1.0], [-201_113.698_641_813, 124_066.283_433_860]),
            ([-2.0, -1.0], [-201_113.698_641_813, -124_066.283_433_860]),
        ] {
            let got = forward(lonlat, 0.0, r);
            assert!((got[0] - xy[0]).abs() < 1e-4 && (got[1] - xy[1]).abs() < 1e-4, "{lonlat:?}: {got:?}");
        }
        for (xy, lonlat) in [
            ([200.0, 100.0], [0.001_988_738, 0.000_806_005]),
            ([200.0, -100.0], [0.001_988_738, -0.000_806_005]),
            ([-200.0, 100.0], [-0.001_988_738, 0.000_806_005]),
            ([-200.0, -100.0], [-0.001_988_738, -0.000_806_005]),
        ] {
            let got = inverse(xy, 0.0, r).unwrap();
            assert!((got[0] - lonlat[0]).abs() < 5e-10 && (got[1] - lonlat[1]).abs() < 5e-10, "{xy:?}: {got:?}");
        }
    }

    /// Closed forms at the edges: the equator maps to `y = 0` with `x` linear in
    /// longitude, the poles to `y = ±R√2`, the 180° meridian at the equator to
    /// `x = 2√2·R`; and the projection is equal-area (the strip up to latitude
    /// φ has `2πR²·sin φ` of area, the ellipse's segment up to its `y`).
    #[test]
    fn edges_and_equal_area() {
        let r = WGS84_RADIUS_M;
        assert_eq!(forward([0.0, 0.0], 0.0, r), [0.0, 0.0]);
        let [x, y] = forward([180.0 - 1e-12, 0.0], 0.0, r);
        assert!((x - 2.0 * SQRT_2 * r).abs() < 1e-3 && y == 0.0);
        let [_, y] = forward([10.0, 90.0], 0.0, r);
        assert!((y - SQRT_2 * r).abs() < 1e-6);
        for lat in [5.0f64, 30.0, 60.0, 89.0] {
            let [_, y] = forward([0.0, lat], 0.0, r);
            // Area of the ellipse x²/a² + y²/b² ≤ 1 (a = 2√2R, b = √2R) between 0 and y.
            let (a, b) = (2.0 * SQRT_2 * r, SQRT_2 * r);
            let t = y / b;
            let segment = a * b * (t * (1.0 - t * t).sqrt() + t.asin());
            let sphere = 2.0 * PI * r * r * lat.to_radians().sin();
            assert!((segment - sphere).abs() / sphere < 1e-9, "lat {lat}: {segment} vs {sphere}");
        }
        assert_eq!(inverse([0.0, SQRT_2 * r * 1.001], 0.0, r), None);
        assert_eq!(inverse([2.0 * SQRT_2 * r * 1.001, 0.0], 0.0, r), None);
    }

    /// Inverse after forward returns the point, on a fixed-seed sample of the globe and a
    /// central meridian that is not 0.
    #[test]
    fn round_trips() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) as f64 / u64::MAX as f64
        };
        for lon0 in [0.0, 100.0] {
            for _ in 0..2000 {
                let lonlat = [lon0 - 179.0 + 358.0 * next(), -89.0 + 178.0 * next()];
                let back = inverse(forward(lonlat, lon0, WGS84_RADIUS_M), lon0, WGS84_RADIUS_M).unwrap();
                assert!(
                    (wrap_deg(back[0] - lonlat[0])).abs() < 1e-9 && (back[1] - lonlat[1]).abs() < 1e-9,
                    "{lonlat:?} -> {back:?}"
                );
            }
        }
    }
}
