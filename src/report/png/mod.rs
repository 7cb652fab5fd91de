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
//! - Colours: [`palette`](crate::report::palette), shared with the HTML
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
mod legend;

use std::path::Path;

use tiny_skia::{FillRule, Mask, PathBuilder, Pixmap, Transform};

use crate::error::{Error, Result};
use crate::report::labels::{Labels, Lang};
use crate::report::map_data::{HomesLayer, MapData};
use crate::report::palette::{self, Rgb};

use draw::{Frame, Projection};
use font::TextStyle;
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

/// Reach class colours and how a home or hexagon picks one.
struct Classes {
    colours: Vec<Rgb>,
    category: Option<usize>,
}

impl Classes {
    /// The colour key of a home (index into `colours`; `colours.len()` is unreachable).
    fn of_home(&self, mask: u64, reached: usize, reachable: bool) -> usize {
        if !reachable {
            return self.colours.len();
        }
        let n = self.colours.len() - 1;
        match self.category {
            Some(c) => {
                if c < 64 && mask & (1 << c) != 0 {
                    n
                } else {
                    0
                }
            }
            None => reached.min(n),
        }
    }

    /// The colour key of a hexagon: its rounded mean (or, for one category,
    /// whether at least half its people reach it); unreachable when none of
    /// its homes is on the network.
    fn of_cell(&self, cell: &crate::report::hexbin::HexCell) -> usize {
        if cell.homes > 0 && cell.unreachable == cell.homes {
            return self.colours.len();
        }
        let n = self.colours.len() - 1;
        match self.category {
            Some(c) => {
                if cell.share_population.get(c).is_some_and(|&s| s >= 0.5) {
                    n
                } else {
                    0
                }
            }
            None => (cell.mean_reached.max(0.0).round() as usize).min(n),
        }
    }

    fn colour(&self, key: usize) -> Rgb {
        self.colours.get(key).copied().unwrap_or(palette::UNREACHABLE)
    }
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

/// What the map layers are drawn with.
struct Ctx<'a> {
    map: &'a MapData,
    proj: &'a Projection,
    layout: &'a Layout,
    clip: Option<&'a Mask>,
    w: f32,
    h: f32,
}

/// The map layers, clipped to the frame. Homes as points go over the
/// network and translucent areas; hexagons, which would hide them, go
/// under the network (drawn lighter), the areas' outlines and the districts.
fn draw_layers(pixmap: &mut Pixmap, ctx: &Ctx, classes: &Classes, shown: &Shown) {
    match &ctx.map.homes {
        HomesLayer::Points(_) => {
            draw_districts(pixmap, ctx);
            draw_areas(pixmap, ctx, shown);
            draw_network(pixmap, ctx, 255);
            draw_homes(pixmap, ctx, classes);
        }
        HomesLayer::Hexagons { .. } => {
            draw_homes(pixmap, ctx, classes);
            draw_areas(pixmap, ctx, shown);
            draw_network(pixmap, ctx, 150);
            draw_districts(pixmap, ctx);
        }
    }
    draw_facilities(pixmap, ctx);
    draw_sites(pixmap, ctx);
}

fn draw_districts(pixmap: &mut Pixmap, ctx: &Ctx) {
    for d in &ctx.map.districts {
        if let Some(path) = draw::polygon_path(&d.shape, ctx.proj, ctx.w, ctx.h) {
            draw::outline(pixmap, &path, DISTRICT, 255, (1.2 * ctx.layout.u).max(0.8), ctx.clip);
        }
    }
}

/// Coverage areas at the main threshold: translucent fills (unless over hexagons), then outlines.
fn draw_areas(pixmap: &mut Pixmap, ctx: &Ctx, shown: &Shown) {
    if shown.area_categories.is_empty() {
        return;
    }
    let map = ctx.map;
    let areas: Vec<_> = map
        .areas
        .iter()
        .filter(|a| a.facility.is_none())
        .filter(|a| map.categories.get(a.category).is_some_and(|c| c.threshold == a.threshold))
        .filter_map(|a| {
            draw::polygon_path(&a.polygon, ctx.proj, ctx.w, ctx.h).map(|p| (map.categories[a.category].colour, p))
        })
        .collect();
    if shown.area_fill {
        for (colour, path) in &areas {
            let paint = draw::paint(*colour, AREA_ALPHA);
            pixmap.fill_path(path, &paint, FillRule::EvenOdd, Transform::identity(), ctx.clip);
        }
    }
    for (colour, path) in &areas {
        draw::outline(pixmap, path, *colour, 210, (1.5 * ctx.layout.u).max(1.0), ctx.clip);
    }
}

/// The walking network as one path.
fn draw_network(pixmap: &mut Pixmap, ctx: &Ctx, alpha: u8) {
    let mut pb = PathBuilder::new();
    for line in &ctx.map.network {
        let pts: Vec<(f32, f32)> = line.iter().map(|p| ctx.proj.px(*p)).collect();
        if pts.len() < 2 || !draw::near_canvas(pts.iter().copied(), 4.0, ctx.w, ctx.h) {
            continue;
        }
        pb.move_to(pts[0].0, pts[0].1);
        for p in &pts[1..] {
            pb.line_to(p.0, p.1);
        }
    }
    if let Some(path) = pb.finish() {
        draw::outline(pixmap, &path, palette::NETWORK, alpha, ctx.layout.u.clamp(0.8, 4.0), ctx.clip);
    }
}

/// Homes or hexagons, one path per colour: unreachable first, then from
/// reaching all categories down to none, so gaps are drawn on top.
fn draw_homes(pixmap: &mut Pixmap, ctx: &Ctx, classes: &Classes) {
    let (w, h, u) = (ctx.w, ctx.h, ctx.layout.u);
    let mut paths: Vec<PathBuilder> = (0..=classes.colours.len()).map(|_| PathBuilder::new()).collect();
    let pad = 10.0 * u;
    match &ctx.map.homes {
        HomesLayer::Points(homes) => {
            let r = (2.5 * u).max(1.8);
            for home in homes {
                let p = ctx.proj.px(home.lonlat);
                if draw::near_canvas([p], pad, w, h) {
                    let key = classes.of_home(home.reached_mask, home.reached(), home.reachable);
                    paths[key].push_circle(p.0, p.1, r);
                }
            }
        }
        HomesLayer::Hexagons { cells, .. } => {
            for cell in cells {
                let pts: Vec<(f32, f32)> = cell.boundary.iter().map(|p| ctx.proj.px(*p)).collect();
                if pts.len() >= 3 && draw::near_canvas(pts.iter().copied(), pad, w, h) {
                    let pb = &mut paths[classes.of_cell(cell)];
                    pb.move_to(pts[0].0, pts[0].1);
                    for p in &pts[1..] {
                        pb.line_to(p.0, p.1);
                    }
                    pb.close();
                }
            }
        }
    }
    let unreachable = classes.colours.len();
    for key in std::iter::once(unreachable).chain((0..unreachable).rev()) {
        if let Some(path) = std::mem::take(&mut paths[key]).finish() {
            draw::fill(pixmap, &path, classes.colour(key), 255, ctx.clip);
        }
    }
}

/// Facilities: white rings, then dots in the categories' colours.
fn draw_facilities(pixmap: &mut Pixmap, ctx: &Ctx) {
    let u = ctx.layout.u;
    let (rf, ring, pad) = ((5.0 * u).max(3.5), (1.6 * u).max(1.2), 10.0 * u);
    let mut rings = PathBuilder::new();
    let mut dots: Vec<PathBuilder> = (0..ctx.map.categories.len()).map(|_| PathBuilder::new()).collect();
    for f in &ctx.map.facilities {
        let p = ctx.proj.px(f.lonlat);
        if f.category < dots.len() && draw::near_canvas([p], pad, ctx.w, ctx.h) {
            rings.push_circle(p.0, p.1, rf + ring);
            dots[f.category].push_circle(p.0, p.1, rf);
        }
    }
    if let Some(path) = rings.finish() {
        draw::fill(pixmap, &path, [0xff, 0xff, 0xff], 255, ctx.clip);
    }
    for (c, pb) in dots.into_iter().enumerate() {
        if let Some(path) = pb.finish() {
            draw::fill(pixmap, &path, ctx.map.categories[c].colour, 255, ctx.clip);
        }
    }
}

/// Proposed sites: diamonds with their rank beside them.
fn draw_sites(pixmap: &mut Pixmap, ctx: &Ctx) {
    let Some(sites) = &ctx.map.sites else { return };
    let u = ctx.layout.u;
    let r = (8.0 * u).max(5.0);
    let style = TextStyle::new((ctx.layout.base_px * 0.9).round());
    for site in &sites.sites {
        let p = ctx.proj.px(site.lonlat);
        if !ctx.layout.frame.contains(p) {
            continue;
        }
        if let Some(path) = legend::site_path(p, r) {
            draw::outline(pixmap, &path, [0xff, 0xff, 0xff], 255, (1.6 * u).max(1.2) * 2.0, ctx.clip);
            draw::fill(pixmap, &path, palette::SITE, 255, ctx.clip);
        }
        let text = site.rank.to_string();
        let tw = style.width(&text);
        let (tx, ty) = ((p.0 + r + 2.0 * u).round(), (p.1 - style.cap_height() / 2.0 - 2.0 * u).round());
        let bh = (style.cap_height() + 4.0 * u).round();
        draw::fill_rect(pixmap, Frame { x: tx, y: ty, w: (tw + 4.0 * u).ceil(), h: bh }, [0xff, 0xff, 0xff], 220);
        style.draw(pixmap, &text, tx + 2.0 * u, (ty + bh - 2.0 * u).round(), palette::SITE);
    }
}

/// The north arrow's width and its left edge.
fn north_arrow_box(pixmap: &Pixmap, lang: Lang, layout: &Layout) -> (TextStyle, &'static str, f32, f32) {
    let style = TextStyle::new((layout.title_px * 0.62).round());
    let letter = match lang {
        Lang::En => "N",
        Lang::Zh => "北",
    };
    let half_w = (layout.title_px * 1.9 * 0.5 * 0.36).max(style.width(letter) / 2.0);
    let cx = (pixmap.width() as f32 - layout.margin - half_w).round();
    (style, letter, cx, cx - half_w)
}

/// The title (and the subtitle when it fits) at the top left; returns where the title ends.
fn draw_title(pixmap: &mut Pixmap, labels: &Labels, lang: Lang, layout: &Layout, right: f32) -> f32 {
    let style = TextStyle::new(layout.title_px);
    let base = (layout.margin + (layout.title_px * 1.9 + style.cap_height()) / 2.0).round();
    let end = style.draw(pixmap, &labels.get(lang, "title", &[]), layout.margin, base, TEXT);
    let sub = TextStyle::new(layout.base_px);
    let text = labels.get(lang, "subtitle", &[]);
    let x = end + layout.base_px;
    if x + sub.width(&text) < right - layout.title_px {
        sub.draw(pixmap, &text, x, base, TEXT_SOFT);
    }
    end
}

/// A north arrow with `N` (北 in Chinese) at the top right.
fn draw_north_arrow(pixmap: &mut Pixmap, lang: Lang, layout: &Layout) {
    let (style, letter, cx, _) = north_arrow_box(pixmap, lang, layout);
    let band = layout.title_px * 1.9;
    let arrow_h = band * 0.5;
    let half_w = arrow_h * 0.36;
    let top = layout.margin + (band - arrow_h - style.px * 1.05) / 2.0;
    let tip = (cx, top);
    let (left, right, notch) = ((cx - half_w, top + arrow_h), (cx + half_w, top + arrow_h), (cx, top + arrow_h * 0.72));
    if let Some(p) = draw::closed_path(&[tip, left, notch]) {
        draw::fill(pixmap, &p, TEXT, 255, None);
    }
    if let Some(p) = draw::closed_path(&[tip, notch, right]) {
        draw::fill(pixmap, &p, [0xff, 0xff, 0xff], 255, None);
        draw::outline(pixmap, &p, TEXT, 255, (0.8 * layout.u).max(0.8), None);
    }
    let base = top + arrow_h + style.px * 1.05;
    style.draw(pixmap, letter, cx - style.width(letter) / 2.0, base.round(), TEXT);
}

/// A scale bar of a round length at the bottom left, measured at the map's
/// middle latitude; left out when it would reach `right`.
fn draw_scale_bar(pixmap: &mut Pixmap, proj: &Projection, layout: &Layout, right: f32) {
    let m_per_px = proj.metres_per_px(proj.mid_lat);
    let target_px = (layout.frame.w * 0.22).clamp(40.0 * layout.u, 260.0 * layout.u.max(0.5));
    let len_m = draw::nice_length(target_px as f64 * m_per_px);
    if len_m <= 0.0 {
        return;
    }
    let len_px = (len_m / m_per_px) as f32;
    let style = TextStyle::new(layout.base_px);
    let text = draw::format_length(len_m);
    let pad = (layout.base_px * 0.6).round();
    let box_w = (pad * 3.0 + len_px + style.width(&text)).ceil();
    if layout.margin + box_w > right - layout.margin {
        return;
    }
    let y = pixmap.height() as f32 - layout.margin - layout.band_h;
    let frame = Frame { x: layout.margin, y, w: box_w, h: layout.band_h };
    draw::fill_rect(pixmap, frame, [0xff, 0xff, 0xff], 235);
    draw::rect_outline(pixmap, frame, PANEL_EDGE, 255);
    let mid = (y + layout.band_h / 2.0).round();
    let thick = (3.0 * layout.u).max(2.0).round();
    let tick = (layout.band_h * 0.22).round();
    let x0 = (layout.margin + pad).round();
    let x1 = (x0 + len_px).round();
    draw::fill_rect(pixmap, Frame { x: x0, y: mid, w: x1 - x0, h: thick }, TEXT, 255);
    for x in [x0, ((x0 + x1) / 2.0).round(), x1 - thick] {
        let th = if x == x0 || x == x1 - thick { tick } else { tick * 0.6 };
        draw::fill_rect(pixmap, Frame { x, y: mid - th, w: thick, h: th + thick }, TEXT, 255);
    }
    style.draw(pixmap, &text, x1 + pad, (mid + thick / 2.0 + style.cap_height() / 2.0).round(), TEXT);
}

/// "© OpenStreetMap contributors" on a white box at the bottom right
/// (always); returns the box's left edge.
fn draw_attribution(pixmap: &mut Pixmap, labels: &Labels, lang: Lang, layout: &Layout) -> f32 {
    let style = TextStyle::new((layout.base_px * 0.9).round().max(10.0));
    let text = labels.get(lang, "attribution", &[]);
    let pad = (layout.base_px * 0.5).round();
    let w = (style.width(&text) + 2.0 * pad).ceil();
    let h = layout.band_h;
    let x = (pixmap.width() as f32 - layout.margin - w).round();
    let y = pixmap.height() as f32 - layout.margin - h;
    let frame = Frame { x, y, w, h };
    draw::fill_rect(pixmap, frame, [0xff, 0xff, 0xff], 255);
    draw::rect_outline(pixmap, frame, PANEL_EDGE, 255);
    style.draw(pixmap, &text, (x + pad).round(), (y + h / 2.0 + style.cap_height() / 2.0).round(), TEXT);
    x
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
