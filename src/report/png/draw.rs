//! Drawing helpers of the PNG maps: the Web Mercator projection fitted to a
//! frame, paints, shapes, and the scale bar's round lengths.

use geo::MultiPolygon;
use tiny_skia::{Color, FillRule, Mask, Paint, Path, PathBuilder, Pixmap, Rect, Stroke, Transform};

use crate::report::palette::Rgb;

/// A rectangle in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Frame {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Frame {
    pub fn right(&self) -> f32 {
        self.x + self.w
    }

    pub fn bottom(&self) -> f32 {
        self.y + self.h
    }

    pub fn contains(&self, p: (f32, f32)) -> bool {
        p.0 >= self.x && p.0 <= self.right() && p.1 >= self.y && p.1 <= self.bottom()
    }

    pub fn rect(&self) -> Option<Rect> {
        Rect::from_xywh(self.x, self.y, self.w.max(1.0), self.h.max(1.0))
    }
}

/// Web Mercator x, y (radians of the unit sphere; y grows northwards).
pub(crate) fn mercator(lon: f64, lat: f64) -> (f64, f64) {
    // Leaflet's (and every web map's) limit of the square Web Mercator world.
    let lat = lat.clamp(-85.051_128_779_8, 85.051_128_779_8).to_radians();
    (lon.to_radians(), (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln())
}

/// Longitude/latitude to pixels: Web Mercator, scaled to fit a bounding box
/// in a frame with the aspect kept, centred.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Projection {
    /// Pixels per Mercator unit.
    pub k: f64,
    centre: (f64, f64),
    origin: (f64, f64),
    /// Latitude of the bounding box's middle (for the scale bar).
    pub mid_lat: f64,
}

impl Projection {
    /// Fits `bbox` (west, south, east, north) in `frame`.
    pub fn fit(bbox: [f64; 4], frame: &Frame) -> Projection {
        let k = Projection::scale_for(bbox, frame);
        let (x0, y0) = mercator(bbox[0], bbox[1]);
        let (x1, y1) = mercator(bbox[2], bbox[3]);
        Projection {
            k,
            centre: ((x0 + x1) / 2.0, (y0 + y1) / 2.0),
            origin: ((frame.x + frame.w / 2.0) as f64, (frame.y + frame.h / 2.0) as f64),
            mid_lat: (bbox[1] + bbox[3]) / 2.0,
        }
    }

    /// The pixels per Mercator unit that fit `bbox` in `frame`.
    pub fn scale_for(bbox: [f64; 4], frame: &Frame) -> f64 {
        let (x0, y0) = mercator(bbox[0], bbox[1]);
        let (x1, y1) = mercator(bbox[2], bbox[3]);
        (frame.w.max(1.0) as f64 / (x1 - x0)).min(frame.h.max(1.0) as f64 / (y1 - y0))
    }

    /// Pixel position of a longitude/latitude.
    pub fn px(&self, lonlat: [f64; 2]) -> (f32, f32) {
        let (x, y) = mercator(lonlat[0], lonlat[1]);
        ((self.origin.0 + (x - self.centre.0) * self.k) as f32, (self.origin.1 - (y - self.centre.1) * self.k) as f32)
    }

    /// Ground metres per pixel at latitude `lat` (Web Mercator stretches by 1/cos(lat)).
    pub fn metres_per_px(&self, lat: f64) -> f64 {
        crate::geometry::EARTH_RADIUS_M * lat.to_radians().cos() / self.k
    }
}

/// The largest 1, 2 or 5 × 10^k not above `max` (`max` > 0 and finite; else 0).
pub(crate) fn nice_length(max: f64) -> f64 {
    if !(max.is_finite() && max > 0.0) {
        return 0.0;
    }
    let mut p = 10f64.powf(max.log10().floor());
    // log10 may round across a power of ten.
    if p > max {
        p /= 10.0;
    } else if p * 10.0 <= max {
        p *= 10.0;
    }
    [5.0, 2.0, 1.0].into_iter().map(|m| m * p).find(|&v| v <= max * (1.0 + 1e-12)).unwrap_or(p)
}

/// `500 m`, `1 km`, `2.5 km`, `0.5 m`.
pub(crate) fn format_length(m: f64) -> String {
    let trim = |v: f64| {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    if m >= 1000.0 { format!("{} km", trim(m / 1000.0)) } else { format!("{} m", trim(m)) }
}

/// An opaque or translucent solid paint.
pub(crate) fn paint(colour: Rgb, alpha: u8) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color_rgba8(colour[0], colour[1], colour[2], alpha);
    p.anti_alias = true;
    p
}

/// An opaque colour.
pub(crate) fn color(c: Rgb) -> Color {
    Color::from_rgba8(c[0], c[1], c[2], 255)
}

/// A round-joined stroke of `width` pixels.
pub(crate) fn stroke(width: f32) -> Stroke {
    Stroke { width, line_cap: tiny_skia::LineCap::Round, line_join: tiny_skia::LineJoin::Round, ..Stroke::default() }
}

/// Fills `path` in `colour` at `alpha`.
pub(crate) fn fill(pixmap: &mut Pixmap, path: &Path, colour: Rgb, alpha: u8, mask: Option<&Mask>) {
    pixmap.fill_path(path, &paint(colour, alpha), FillRule::Winding, Transform::identity(), mask);
}

/// Strokes `path` in `colour` at `alpha`, `width` pixels wide.
pub(crate) fn outline(pixmap: &mut Pixmap, path: &Path, colour: Rgb, alpha: u8, width: f32, mask: Option<&Mask>) {
    pixmap.stroke_path(path, &paint(colour, alpha), &stroke(width), Transform::identity(), mask);
}

/// A pixel-aligned filled rectangle (not anti-aliased: the inside is exactly `colour`).
pub(crate) fn fill_rect(pixmap: &mut Pixmap, f: Frame, colour: Rgb, alpha: u8) {
    let (x0, y0) = (f.x.round(), f.y.round());
    let (x1, y1) = ((f.x + f.w).round(), (f.y + f.h).round());
    if let Some(r) = Rect::from_ltrb(x0, y0, x1.max(x0 + 1.0), y1.max(y0 + 1.0)) {
        let mut p = paint(colour, alpha);
        p.anti_alias = false;
        pixmap.fill_rect(r, &p, Transform::identity(), None);
    }
}

/// A one-pixel-wide frame drawn just inside `f`'s pixel-aligned edges.
pub(crate) fn rect_outline(pixmap: &mut Pixmap, f: Frame, colour: Rgb, alpha: u8) {
    let (x0, y0, x1, y1) = (f.x.round(), f.y.round(), (f.x + f.w).round(), (f.y + f.h).round());
    for r in [
        Frame { x: x0, y: y0, w: x1 - x0, h: 1.0 },
        Frame { x: x0, y: y1 - 1.0, w: x1 - x0, h: 1.0 },
        Frame { x: x0, y: y0, w: 1.0, h: y1 - y0 },
        Frame { x: x1 - 1.0, y: y0, w: 1.0, h: y1 - y0 },
    ] {
        fill_rect(pixmap, r, colour, alpha);
    }
}

/// Whether a box around `pts` (grown by `pad`) can touch a `w`×`h` canvas.
pub(crate) fn near_canvas(pts: impl IntoIterator<Item = (f32, f32)>, pad: f32, w: f32, h: f32) -> bool {
    let (mut x0, mut y0, mut x1, mut y1) = (f32::INFINITY, f32::INFINITY, f32::NEG_INFINITY, f32::NEG_INFINITY);
    for (x, y) in pts {
        if !(x.is_finite() && y.is_finite()) {
            return false;
        }
        x0 = x0.min(x);
        y0 = y0.min(y);
        x1 = x1.max(x);
        y1 = y1.max(y);
    }
    x1 >= -pad && y1 >= -pad && x0 <= w + pad && y0 <= h + pad
}

/// The rings of a multipolygon as one path (even-odd fill makes holes), or
/// `None` when none touches the canvas.
pub(crate) fn polygon_path(mp: &MultiPolygon<f64>, proj: &Projection, w: f32, h: f32) -> Option<Path> {
    let mut pb = PathBuilder::new();
    for poly in &mp.0 {
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            let pts: Vec<(f32, f32)> = ring.0.iter().map(|c| proj.px([c.x, c.y])).collect();
            if pts.len() < 3 || !near_canvas(pts.iter().copied(), 4.0, w, h) {
                continue;
            }
            pb.move_to(pts[0].0, pts[0].1);
            for p in &pts[1..] {
                pb.line_to(p.0, p.1);
            }
            pb.close();
        }
    }
    pb.finish()
}

/// A closed polygon through `pts`.
pub(crate) fn closed_path(pts: &[(f32, f32)]) -> Option<Path> {
    let mut pb = PathBuilder::new();
    let (first, rest) = pts.split_first()?;
    pb.move_to(first.0, first.1);
    for p in rest {
        pb.line_to(p.0, p.1);
    }
    pb.close();
    pb.finish()
}

/// A diamond (square on its corner) of half-diagonal `r` at `c`.
pub(crate) fn diamond(c: (f32, f32), r: f32) -> [(f32, f32); 4] {
    [(c.0, c.1 - r), (c.0 + r, c.1), (c.0, c.1 + r), (c.0 - r, c.1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_lengths_are_1_2_5_times_a_power_of_ten() {
        let cases = [
            (1.0, 1.0),
            (1.9, 1.0),
            (2.0, 2.0),
            (4.99, 2.0),
            (5.0, 5.0),
            (9.99, 5.0),
            (10.0, 10.0),
            (437.0, 200.0),
            (999.0, 500.0),
            (1000.0, 1000.0),
            (1234.0, 1000.0),
            (2600.0, 2000.0),
            (7300.0, 5000.0),
            (0.3, 0.2),
            (0.07, 0.05),
            (1e6, 1e6),
        ];
        for (max, want) in cases {
            let got = nice_length(max);
            assert!((got - want).abs() < 1e-9 * want, "nice_length({max}) = {got}, want {want}");
        }
        assert_eq!(nice_length(0.0), 0.0);
        assert_eq!(nice_length(-3.0), 0.0);
        assert_eq!(nice_length(f64::NAN), 0.0);
        // Every power of ten maps to itself despite log10 rounding.
        for k in -6..=9 {
            let p = 10f64.powi(k);
            assert_eq!(nice_length(p), p, "10^{k}");
        }
        assert_eq!(format_length(500.0), "500 m");
        assert_eq!(format_length(1000.0), "1 km");
        assert_eq!(format_length(20_000.0), "20 km");
        assert_eq!(format_length(0.5), "0.5 m");
    }

    #[test]
    fn projection_keeps_aspect_and_centres_the_box() {
        let frame = Frame { x: 10.0, y: 20.0, w: 400.0, h: 300.0 };
        let bbox = [9.47, 47.05, 9.64, 47.27];
        let p = Projection::fit(bbox, &frame);
        let (a, b) = (p.px([bbox[0], bbox[1]]), p.px([bbox[2], bbox[3]]));
        // Taller than wide: the height fills the frame, the width is centred.
        assert!((a.1 - 320.0).abs() < 1e-3 && (b.1 - 20.0).abs() < 1e-3, "{a:?} {b:?}");
        assert!(((a.0 + b.0) / 2.0 - 210.0).abs() < 1e-3);
        assert!(b.0 - a.0 < 400.0);
        // North is up.
        assert!(p.px([9.5, 47.2]).1 < p.px([9.5, 47.1]).1);
        // A kilometre east at the middle latitude spans 1000 / metres_per_px pixels (within 0.5 %).
        let m = p.metres_per_px(p.mid_lat);
        let dlon =
            1000.0 / (crate::geometry::EARTH_RADIUS_M * p.mid_lat.to_radians().cos()) * 180.0 / std::f64::consts::PI;
        let d = p.px([9.5 + dlon, p.mid_lat]).0 - p.px([9.5, p.mid_lat]).0;
        assert!((d as f64 * m - 1000.0).abs() < 5.0, "{d} px × {m} m");
    }
}
