//! PNG maps of a run, drawn with tiny-skia (anti-aliased, pure Rust).
//!
//! One picture of a [`MapData`]: the walking network, homes coloured by how
//! many categories they reach (or, for one category, whether they reach it),
//! facilities, the categories' coverage areas when computed, districts and
//! proposed sites, with a legend, a title, a scale bar, a north arrow and the
//! OpenStreetMap attribution.
//!
//! - Projection: Web Mercator, the bounding box fitted to the map frame with
//!   its aspect kept and centred; north is up.
//! - Layout: a title band at the top and a band for the scale bar and the
//!   attribution at the bottom; the legend sits in a panel on the right when
//!   that costs the map at most 15 % of its scale, else over the corner of
//!   the map with the least drawn on it. The map layers are clipped to their
//!   frame, so no text is drawn over them except the legend in that case.
//! - Colours: [`crate::report::palette`], shared with the HTML
//!   report. Homes, hexagons, facilities and legend swatches are filled in
//!   their exact colours (anti-aliasing only blends their edges), so a
//!   colour histogram of the picture finds every legend colour in use.
//! - Text: one embedded font ([`font`]); no system font is used. A character
//!   missing from it is drawn as a hollow box.
//! - Deterministic: the same map and options give the same bytes.
//!
//! Complexity: O(E + H + A) drawing for E network points, H homes (or
//! hexagons) and A area vertices, plus O(W·H) to fill and encode the W×H
//! picture.

pub mod font;

mod draw;
mod furniture;
mod layers;
mod legend;

use std::path::Path;

use tiny_skia::{FillRule, Mask, PathBuilder, Pixmap, Transform};

use crate::error::{Error, Result};
use crate::report::labels::{Labels, Lang};
use crate::report::map_data::{HomesLayer, MapData};
use crate::report::palette::{self, Rgb};

use draw::{Frame, Projection};
use furniture::{draw_attribution, draw_north_arrow, draw_scale_bar, draw_title, north_arrow_box};
use layers::{Classes, Ctx, draw_layers};
use legend::{Legend, Shown};

/// Text colour.
const TEXT: Rgb = [0x22, 0x22, 0x22];
/// Secondary text.
const TEXT_SOFT: Rgb = [0x55, 0x55, 0x55];
/// District outlines.
const DISTRICT: Rgb = [0x4a, 0x4a, 0x4a];
/// Edges of the white panels.
const PANEL_EDGE: Rgb = [0xb0, 0xb0, 0xb0];
/// The thin edge around legend swatches.
const SWATCH_EDGE: Rgb = [0x80, 0x80, 0x80];
/// Opacity of coverage-area fills.
const AREA_ALPHA: u8 = 46;
/// Smallest and largest picture side, pixels.
const SIZE_RANGE: std::ops::RangeInclusive<u32> = 64..=10_000;

/// How a PNG map is drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct PngOptions {
    /// Picture width, pixels (64 to 10,000).
    pub width_px: u32,
    /// Picture height, pixels (64 to 10,000).
    pub height_px: u32,
    /// The area shown, `[west, south, east, north]` in degrees; `None`: the
    /// map's [`MapData::bbox`] with a small margin.
    pub bbox: Option<[f64; 4]>,
    /// Language of the legend and title.
    pub lang: Lang,
    /// Colour homes by whether they reach this category (index into
    /// [`MapData::categories`]) instead of by how many categories they reach.
    pub category: Option<usize>,
    /// Draw the categories' coverage areas when the map has them.
    pub areas: bool,
}

impl Default for PngOptions {
    /// 1600×1200, the whole map, English, homes by categories reached, areas drawn.
    fn default() -> PngOptions {
        PngOptions { width_px: 1600, height_px: 1200, bbox: None, lang: Lang::En, category: None, areas: true }
    }
}

impl PngOptions {
    /// Checks the sizes (64..=10000 pixels) and the bounding box (finite,
    /// west < east, south < north, within ±180° longitude and ±85° latitude);
    /// [`render_pixmap`] checks them too, and the category against the map.
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [("--width", self.width_px), ("--height", self.height_px)] {
            if !SIZE_RANGE.contains(&v) {
                return Err(Error::parameter(
                    name,
                    format!("{v} pixels is not in {}..={}", SIZE_RANGE.start(), SIZE_RANGE.end()),
                ));
            }
        }
        if let Some(b) = self.bbox {
            check_bbox(b, "--bbox")?;
        }
        Ok(())
    }
}

/// Checks a `[west, south, east, north]` box: finite, west < east, south <
/// north, longitudes within ±180 and latitudes within ±85 degrees.
fn check_bbox(b: [f64; 4], name: &str) -> Result<()> {
    if !b.iter().all(|v| v.is_finite()) {
        return Err(Error::parameter(name, format!("{b:?} has a value that is not a finite number")));
    }
    let [w, s, e, n] = b;
    if w >= e {
        return Err(Error::parameter(name, format!("west {w} must be less than east {e}")));
    }
    if s >= n {
        return Err(Error::parameter(name, format!("south {s} must be less than north {n}")));
    }
    if w < -180.0 || e > 180.0 {
        return Err(Error::parameter(name, format!("longitudes {w}..{e} must be within -180..180")));
    }
    if s < -85.0 || n > 85.0 {
        return Err(Error::parameter(name, format!("latitudes {s}..{n} must be within -85..85 (Web Mercator)")));
    }
    Ok(())
}

/// The map's own box with a 4 % margin (at least about 300 m).
fn default_bbox(map: &MapData) -> Result<[f64; 4]> {
    let [w, s, e, n] = map.bbox;
    if !map.bbox.iter().all(|v| v.is_finite()) || w > e || s > n {
        return Err(Error::parameter("bbox", format!("the map's bounding box {:?} is not valid", map.bbox)));
    }
    let mx = ((e - w) * 0.04).max(0.003);
    let my = ((n - s) * 0.04).max(0.003);
    let b = [(w - mx).max(-180.0), (s - my).max(-85.0), (e + mx).min(180.0), (n + my).min(85.0)];
    check_bbox(b, "bbox")?;
    Ok(b)
}

/// What is drawn where.
struct Layout {
    /// Scale of symbols and text relative to a 1600×1200 picture.
    u: f32,
    margin: f32,
    base_px: f32,
    title_px: f32,
    /// The map's frame.
    frame: Frame,
    /// The legend's top-left corner (`None`: it does not fit).
    legend_at: Option<(f32, f32)>,
    /// Height of the bottom band's boxes.
    band_h: f32,
}

/// Draws the map into a new pixmap.
///
/// Errors (kind [`InvalidParameter`](crate::ErrorKind::InvalidParameter)):
/// a side outside 64..=10000 pixels, an invalid `bbox` (not finite, west ≥
/// east, south ≥ north, beyond ±180° longitude or ±85° latitude), a
/// `category` out of range.
pub fn render_pixmap(map: &MapData, labels: &Labels, opts: &PngOptions) -> Result<Pixmap> {
    opts.validate()?;
    let bbox = match opts.bbox {
        Some(b) => b,
        None => default_bbox(map)?,
    };
    if let Some(c) = opts.category.filter(|&c| c >= map.categories.len()) {
        return Err(Error::parameter(
            "--colour-by",
            format!("category index {c} is out of range ({} categories)", map.categories.len()),
        ));
    }
    let (w, h) = (opts.width_px, opts.height_px);
    let mut pixmap =
        Pixmap::new(w, h).ok_or_else(|| Error::parameter("--width", format!("cannot allocate a {w}×{h} picture")))?;
    pixmap.fill(draw::color(palette::BACKGROUND));

    let classes = Classes { colours: palette::reach_classes(map.categories.len()), category: opts.category };
    let shown = Shown {
        unreachable: match &map.homes {
            HomesLayer::Points(homes) => homes.iter().any(|h| !h.reachable),
            HomesLayer::Hexagons { cells, .. } => cells.iter().any(|c| classes.of_cell(c) == classes.colours.len()),
        },
        area_categories: if opts.areas {
            let mut cats: Vec<usize> = map
                .areas
                .iter()
                .filter(|a| a.facility.is_none())
                .filter(|a| map.categories.get(a.category).is_some_and(|c| c.threshold == a.threshold))
                .map(|a| a.category)
                .collect();
            cats.sort_unstable();
            cats.dedup();
            cats
        } else {
            Vec::new()
        },
        area_fill: matches!(map.homes, HomesLayer::Points(_)),
    };

    let u = ((w as f32 * h as f32) / (1600.0 * 1200.0)).sqrt();
    let base_px = (15.0 * u).max(11.0).round();
    let legend = Legend::build(map, labels, opts, &shown, base_px);
    let layout = layout(map, bbox, &legend, w as f32, h as f32, u, base_px);
    let proj = Projection::fit(bbox, &layout.frame);

    let mut mask = Mask::new(w, h).ok_or_else(|| Error::parameter("--width", "cannot allocate the clip mask"))?;
    if let Some(r) = layout.frame.rect() {
        let mut f = layout.frame;
        (f.x, f.y, f.w, f.h) = (r.x().round(), r.y().round(), r.width().round(), r.height().round());
        if let Some(r) = f.rect() {
            mask.fill_path(&PathBuilder::from_rect(r), FillRule::Winding, false, Transform::identity());
        }
    }
    let ctx = Ctx { map, proj: &proj, layout: &layout, clip: Some(&mask), w: w as f32, h: h as f32 };
    draw_layers(&mut pixmap, &ctx, &classes, &shown);

    // What does not fit in a small picture is left out, except the attribution.
    if let Some(at) = layout.legend_at {
        legend.draw(&mut pixmap, at.0, at.1);
    }
    let arrow_left = north_arrow_box(&pixmap, opts.lang, &layout).3;
    let title_end = draw_title(&mut pixmap, labels, opts.lang, &layout, arrow_left);
    if title_end + layout.base_px < arrow_left {
        draw_north_arrow(&mut pixmap, opts.lang, &layout);
    }
    let attribution_left = draw_attribution(&mut pixmap, labels, opts.lang, &layout);
    draw_scale_bar(&mut pixmap, &proj, &layout, attribution_left);
    Ok(pixmap)
}

/// Draws the map and encodes it as PNG (8-bit RGBA).
///
/// ```
/// use lifecircle::report::map_data::{HomesLayer, MapCategory, MapData, MapHome};
/// use lifecircle::report::png::{PngOptions, render_png};
/// use lifecircle::report::{Labels, palette};
///
/// let home = |lon: f64, mask: u64| MapHome {
///     lonlat: [lon, 47.14], population: 1.0, reached_mask: mask, reachable: true, minutes: vec![],
/// };
/// let map = MapData {
///     bbox: [9.50, 47.13, 9.53, 47.15],
///     categories: vec![MapCategory {
///         key: "grocery".into(), label_en: "Groceries".into(), label_zh: "便民商超".into(),
///         colour: palette::category(0), facilities: 0, threshold: "15".into(),
///     }],
///     tiers: false,
///     network: vec![vec![[9.50, 47.14], [9.53, 47.14]]],
///     homes: HomesLayer::Points(vec![home(9.51, 1), home(9.52, 0)]),
///     facilities: vec![], areas: vec![], facility_area_points_dropped: 0,
///     districts: vec![], outside: None, targets: vec![], rules: vec![], sites: None,
///     summary: Default::default(),
/// };
/// let opts = PngOptions { width_px: 400, height_px: 300, ..PngOptions::default() };
/// let png = render_png(&map, &Labels::builtin(), &opts)?;
/// assert_eq!(&png[1..4], b"PNG");
/// assert_eq!(png, render_png(&map, &Labels::builtin(), &opts)?); // deterministic
/// # Ok::<(), lifecircle::Error>(())
/// ```
pub fn render_png(map: &MapData, labels: &Labels, opts: &PngOptions) -> Result<Vec<u8>> {
    let pixmap = render_pixmap(map, labels, opts)?;
    pixmap.encode_png().map_err(|e| Error::output(Path::new("<png>"), format!("cannot encode the PNG: {e}")))
}

/// The walking network alone, on a transparent picture whose edges are exactly
/// `bbox` in Web Mercator, stretched as Leaflet stretches an image overlay (x and
/// y scaled apart, so rounding the picture's size shifts nothing), at most
/// `max_px` on its longer side: the report's base map when the network is too
/// large to send as lines. Grey with transparency (PNG grey + alpha), about a
/// third of an RGBA picture. `None` for a degenerate box.
pub(crate) fn network_overlay_png(lines: &[Vec<[f64; 2]>], bbox: [f64; 4], max_px: u32) -> Option<Vec<u8>> {
    let (x0, y0) = draw::mercator(bbox[0], bbox[1]);
    let (x1, y1) = draw::mercator(bbox[2], bbox[3]);
    let (dx, dy) = (x1 - x0, y1 - y0);
    if !(dx > 0.0 && dy > 0.0 && dx.is_finite() && dy.is_finite()) {
        return None;
    }
    let side = |ratio: f64| ((max_px as f64 * ratio).round() as u32).max(1);
    let (w, h) = if dx >= dy { (max_px, side(dy / dx)) } else { (side(dx / dy), max_px) };
    let (kx, ky) = (w as f64 / dx, h as f64 / dy);
    let px = |p: &[f64; 2]| {
        let (x, y) = draw::mercator(p[0], p[1]);
        (((x - x0) * kx) as f32, ((y1 - y) * ky) as f32)
    };
    let mut pixmap = Pixmap::new(w, h)?;
    let mut pb = PathBuilder::new();
    for line in lines {
        let mut pts = line.iter().map(px);
        let Some(first) = pts.next() else { continue };
        pb.move_to(first.0, first.1);
        for p in pts {
            pb.line_to(p.0, p.1);
        }
    }
    if let Some(path) = pb.finish() {
        // Lines of about a pixel where the page first shows the whole picture (some 1,600 px).
        let width = (max_px as f32 / 1600.0).max(1.0);
        draw::outline(&mut pixmap, &path, palette::NETWORK, 255, width, None);
    }
    // One colour: keep its grey and each pixel's coverage (the alpha of the premultiplied pixel).
    let grey = palette::NETWORK[0];
    let ga: Vec<u8> = pixmap.data().chunks_exact(4).flat_map(|px| [grey, px[3]]).collect();
    let mut out = Vec::new();
    let mut enc = ::png::Encoder::new(&mut out, w, h);
    enc.set_color(::png::ColorType::GrayscaleAlpha);
    enc.set_depth(::png::BitDepth::Eight);
    enc.set_compression(::png::Compression::High);
    let mut writer = enc.write_header().ok()?;
    writer.write_image_data(&ga).ok()?;
    writer.finish().ok()?;
    Some(out)
}

/// Places the frame and the legend.
fn layout(map: &MapData, bbox: [f64; 4], legend: &Legend, w: f32, h: f32, u: f32, base_px: f32) -> Layout {
    let margin = (12.0 * u).max(6.0).round();
    let title_px = (26.0 * u).max(15.0).round();
    let title_band = (title_px * 1.9).round();
    let band_h = (base_px * 1.9).round();
    let top = margin + title_band;
    let bottom = h - margin - band_h - (margin * 0.5).round();
    let full = Frame { x: margin, y: top, w: (w - 2.0 * margin).max(1.0), h: (bottom - top).max(1.0) };
    if legend.w > full.w - margin || legend.h > full.h - margin {
        return Layout { u, margin, base_px, title_px, frame: full, legend_at: None, band_h };
    }
    let side = Frame { w: (full.w - legend.w - margin).max(1.0), ..full };
    let k_full = Projection::scale_for(bbox, &full);
    let k_side = Projection::scale_for(bbox, &side);
    if k_side >= 0.85 * k_full && side.w >= 0.3 * w {
        return Layout {
            u,
            margin,
            base_px,
            title_px,
            frame: side,
            legend_at: Some((w - margin - legend.w, top)),
            band_h,
        };
    }
    // Over the map: the corner with the fewest things drawn under the legend.
    let proj = Projection::fit(bbox, &full);
    let inset = (margin * 0.5).round();
    let corners = [
        (full.right() - inset - legend.w, full.y + inset),
        (full.x + inset, full.bottom() - inset - legend.h),
        (full.right() - inset - legend.w, full.bottom() - inset - legend.h),
        (full.x + inset, full.y + inset),
    ];
    // Weights: a network point 1, a home 2, a hexagon 20, a facility 20, a site 200.
    let mut counts = [0usize; 4];
    let mut count = |p: [f64; 2], weight: usize| {
        let q = proj.px(p);
        for (i, c) in corners.iter().enumerate() {
            if (Frame { x: c.0, y: c.1, w: legend.w, h: legend.h }).contains(q) {
                counts[i] += weight;
            }
        }
    };
    for line in &map.network {
        line.iter().for_each(|p| count(*p, 1));
    }
    match &map.homes {
        HomesLayer::Points(homes) => homes.iter().for_each(|hm| count(hm.lonlat, 2)),
        HomesLayer::Hexagons { cells, .. } => {
            cells.iter().filter_map(|c| c.boundary.first()).for_each(|p| count(*p, 20))
        }
    }
    map.facilities.iter().for_each(|f| count(f.lonlat, 20));
    map.sites.iter().flat_map(|s| &s.sites).for_each(|s| count(s.lonlat, 200));
    let best = (0..4).min_by_key(|&i| counts[i]).unwrap_or(0);
    Layout { u, margin, base_px, title_px, frame: full, legend_at: Some(corners[best]), band_h }
}

#[cfg(test)]
mod tests {
    /// The picture is stretched to the box as Leaflet stretches it: a point at a fraction of
    /// the box's Mercator width and height lands at that fraction of the picture, however the
    /// picture's size was rounded (a long thin box).
    #[test]
    fn network_picture_points_land_where_leaflet_puts_them() {
        let bbox = [9.0, 47.0, 10.0, 47.0137];
        let (x0, y0) = super::draw::mercator(bbox[0], bbox[1]);
        let (x1, y1) = super::draw::mercator(bbox[2], bbox[3]);
        // Short vertical ticks at 1 % and 99 % of the width, mid-height.
        let at = |f: f64| {
            let lon = bbox[0] + (bbox[2] - bbox[0]) * f;
            vec![[lon, 47.004], [lon, 47.0097]]
        };
        let png = super::network_overlay_png(&[at(0.01), at(0.99)], bbox, 4096).expect("a picture");
        let decoder = ::png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().expect("png");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("frame");
        assert_eq!(info.color_type, ::png::ColorType::GrayscaleAlpha);
        let (w, h) = (info.width as usize, info.height as usize);
        assert_eq!(w, 4096);
        assert_eq!(h, ((dy_over_dx(x0, y0, x1, y1)) * 4096.0).round() as usize);
        let row = h / 2;
        let alpha = |x: usize| buf[(row * w + x) * 2 + 1];
        for f in [0.01, 0.99] {
            let x = (f * w as f64).round() as usize;
            assert!(alpha(x) > 100, "tick at {f} drawn at x {x}");
            assert_eq!(alpha(x - 6), 0, "nothing 6 px left of the tick at {f}");
            assert_eq!(alpha(x + 6), 0, "nothing 6 px right of the tick at {f}");
        }
    }

    fn dy_over_dx(x0: f64, y0: f64, x1: f64, y1: f64) -> f64 {
        (y1 - y0) / (x1 - x0)
    }

    use super::*;

    #[test]
    fn bbox_checks_name_the_problem() {
        assert!(check_bbox([9.4, 47.0, 9.7, 47.3], "--bbox").is_ok());
        for (b, what) in [
            ([9.7, 47.0, 9.4, 47.3], "west"),
            ([9.4, 47.3, 9.7, 47.0], "south"),
            ([9.4, 47.0, 9.4, 47.3], "west"),
            ([f64::NAN, 47.0, 9.7, 47.3], "finite"),
            ([9.4, 47.0, f64::INFINITY, 47.3], "finite"),
            ([9.4, -86.0, 9.7, 47.3], "-85..85"),
            ([9.4, 47.0, 9.7, 89.0], "-85..85"),
            ([-181.0, 47.0, 9.7, 47.3], "-180..180"),
        ] {
            let e = check_bbox(b, "--bbox").expect_err(what).to_string();
            assert!(e.starts_with("--bbox: ") && e.contains(what), "{b:?}: {e}");
        }
    }
}
