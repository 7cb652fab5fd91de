//! The map's layers drawn into the frame: districts, areas, the network,
//! homes (points or hexagons), facilities and sites. `O(features + vertices)`.

use tiny_skia::{FillRule, Mask, PathBuilder, Pixmap, Transform};

use super::draw::{self, Frame, Projection};
use super::font::TextStyle;
use super::legend::{self, Shown};
use super::{AREA_ALPHA, DISTRICT, Layout};
use crate::report::map_data::{HomesLayer, MapData};
use crate::report::palette::{self, Rgb};

/// Reach class colours and how a home or hexagon picks one.
pub(super) struct Classes {
    pub(super) colours: Vec<Rgb>,
    pub(super) category: Option<usize>,
}

impl Classes {
    /// The colour key of a home (index into `colours`; `colours.len()` is unreachable).
    pub(super) fn of_home(&self, mask: u64, reached: usize, reachable: bool) -> usize {
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
    pub(super) fn of_cell(&self, cell: &crate::report::hexbin::HexCell) -> usize {
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

    pub(super) fn colour(&self, key: usize) -> Rgb {
        self.colours.get(key).copied().unwrap_or(palette::UNREACHABLE)
    }
}

/// What the map layers are drawn with.
pub(super) struct Ctx<'a> {
    pub(super) map: &'a MapData,
    pub(super) proj: &'a Projection,
    pub(super) layout: &'a Layout,
    pub(super) clip: Option<&'a Mask>,
    pub(super) w: f32,
    pub(super) h: f32,
}

/// The map layers, clipped to the frame. Homes as points go over the
/// network and translucent areas; hexagons, which would hide them, go
/// under the network (drawn lighter), the areas' outlines and the districts.
pub(super) fn draw_layers(pixmap: &mut Pixmap, ctx: &Ctx, classes: &Classes, shown: &Shown) {
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

pub(super) fn draw_districts(pixmap: &mut Pixmap, ctx: &Ctx) {
    for d in &ctx.map.districts {
        if let Some(path) = draw::polygon_path(&d.shape, ctx.proj, ctx.w, ctx.h) {
            draw::outline(pixmap, &path, DISTRICT, 255, (1.2 * ctx.layout.u).max(0.8), ctx.clip);
        }
    }
}

/// Coverage areas at the main threshold: translucent fills (unless over hexagons), then outlines.
pub(super) fn draw_areas(pixmap: &mut Pixmap, ctx: &Ctx, shown: &Shown) {
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
pub(super) fn draw_network(pixmap: &mut Pixmap, ctx: &Ctx, alpha: u8) {
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
pub(super) fn draw_homes(pixmap: &mut Pixmap, ctx: &Ctx, classes: &Classes) {
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
pub(super) fn draw_facilities(pixmap: &mut Pixmap, ctx: &Ctx) {
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
pub(super) fn draw_sites(pixmap: &mut Pixmap, ctx: &Ctx) {
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
