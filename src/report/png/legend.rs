//! The legend box of the PNG maps: what its rows say (from the labels table)
//! and how they are measured and drawn. Swatches are filled in the exact
//! colours the map uses.

use tiny_skia::{Path, PathBuilder, Pixmap};

use super::PngOptions;
use super::draw::{self, Frame};
use super::font::TextStyle;
use crate::report::labels::{Labels, Lang, category_label, shared_threshold, threshold_text};
use crate::report::map_data::{HomesLayer, MapData};
use crate::report::palette::{self, Rgb};

/// A legend symbol.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Swatch {
    /// A square in an exact colour (homes, hexagons).
    Fill(Rgb),
    /// A facility's dot with its white ring.
    Facility(Rgb),
    /// Areas, one stripe per colour: translucent fills with outlines, or outlines only.
    Areas(Vec<Rgb>, bool),
    /// A line (the network).
    Line(Rgb),
    /// An outlined square (districts).
    Outline(Rgb),
    /// A proposed site's diamond.
    Site,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Header,
    Item(Swatch),
    Note,
    Gap,
}

/// What the map shows, worked out once for both the legend and the drawing.
#[derive(Debug, Clone)]
pub(crate) struct Shown {
    /// Some home (or hexagon) is drawn in palette::UNREACHABLE.
    pub unreachable: bool,
    /// Categories whose coverage area is drawn.
    pub area_categories: Vec<usize>,
    /// Whether areas are filled (not over hexagons) or only outlined.
    pub area_fill: bool,
}

/// ` (text)` in English, `（text）` in Chinese.
fn parenthesised(lang: Lang, text: &str) -> String {
    match lang {
        Lang::En => format!(" ({text})"),
        Lang::Zh => format!("（{text}）"),
    }
}

/// The legend's rows.
pub(crate) struct Legend {
    rows: Vec<(Kind, String)>,
    header: TextStyle,
    item: TextStyle,
    note: TextStyle,
    pad: f32,
    row_h: f32,
    note_h: f32,
    gap_h: f32,
    swatch: f32,
    /// Width, pixels.
    pub w: f32,
    /// Height, pixels.
    pub h: f32,
}

impl Legend {
    /// The rows for `map` as drawn with `opts`, measured at `base_px` text.
    pub fn build(map: &MapData, labels: &Labels, opts: &PngOptions, shown: &Shown, base_px: f32) -> Legend {
        let lang = opts.lang;
        let n = map.categories.len();
        let classes = palette::reach_classes(n);
        let mut rows: Vec<(Kind, String)> = Vec::new();
        match opts.category.and_then(|c| map.categories.get(c)) {
            Some(cat) => {
                let t = threshold_text(&cat.threshold, map.tiers, labels, lang);
                let sep = if lang == Lang::Zh { "：" } else { ": " };
                let title = format!("{}{sep}{}", labels.get(lang, "homes", &[]), category_label(cat, lang));
                rows.push((Kind::Header, title));
                rows.push((Kind::Item(Swatch::Fill(classes[n])), labels.get(lang, "covered", &[("t", &t)])));
                rows.push((Kind::Item(Swatch::Fill(classes[0])), labels.get(lang, "not_covered", &[("t", &t)])));
            }
            None => {
                let t = shared_threshold(map, labels, lang);
                rows.push((Kind::Header, labels.get(lang, "homes_reaching", &[("t", &t)])));
                let total = n.to_string();
                for (k, colour) in classes.iter().enumerate() {
                    let text = labels.get(lang, "reach_n", &[("n", &k.to_string()), ("total", &total)]);
                    rows.push((Kind::Item(Swatch::Fill(*colour)), text));
                }
            }
        }
        if shown.unreachable {
            rows.push((Kind::Item(Swatch::Fill(palette::UNREACHABLE)), labels.get(lang, "unreachable", &[])));
        }
        if let HomesLayer::Hexagons { homes, .. } = &map.homes {
            rows.push((Kind::Note, labels.get(lang, "hexagons", &[("n", &homes.to_string())])));
        }
        rows.push((Kind::Gap, String::new()));
        rows.push((Kind::Header, labels.get(lang, "facilities", &[])));
        for cat in &map.categories {
            let mut text = category_label(cat, lang).to_string();
            if cat.facilities == 0 {
                text.push_str(&parenthesised(lang, &labels.get(lang, "empty_category", &[])));
            }
            rows.push((Kind::Item(Swatch::Facility(cat.colour)), text));
        }
        if !shown.area_categories.is_empty() {
            let colours = shown.area_categories.iter().map(|&c| map.categories[c].colour).collect();
            let swatch = Swatch::Areas(colours, shown.area_fill);
            rows.push((Kind::Item(swatch), labels.get(lang, "coverage_areas", &[])));
        }
        if let Some(sites) = map.sites.as_ref().filter(|s| !s.sites.is_empty()) {
            let mut text = labels.get(lang, "sites", &[]);
            if let Some(cat) = map.categories.get(sites.category) {
                text.push_str(&parenthesised(lang, category_label(cat, lang)));
            }
            rows.push((Kind::Item(Swatch::Site), text));
        }
        rows.push((Kind::Item(Swatch::Line(palette::NETWORK)), labels.get(lang, "network", &[])));
        if !map.districts.is_empty() {
            rows.push((Kind::Item(Swatch::Outline(super::DISTRICT)), labels.get(lang, "districts", &[])));
        }
        Legend::measure(rows, base_px)
    }

    fn measure(rows: Vec<(Kind, String)>, base_px: f32) -> Legend {
        let (header, item, note) =
            (TextStyle::new(base_px * 1.08), TextStyle::new(base_px), TextStyle::new((base_px * 0.85).max(10.0)));
        let pad = (base_px * 0.8).round();
        let row_h = (base_px * 1.6).round();
        let note_h = (note.px * 1.5).round();
        let gap_h = (base_px * 0.5).round();
        let swatch = (base_px * 1.05).round();
        let mut w: f32 = 0.0;
        let mut h = 2.0 * pad;
        for (kind, text) in &rows {
            let (tw, rh) = match kind {
                Kind::Header => (header.width(text), row_h),
                Kind::Item(_) => (swatch + pad * 0.7 + item.width(text), row_h),
                Kind::Note => (note.width(text), note_h),
                Kind::Gap => (0.0, gap_h),
            };
            w = w.max(tw);
            h += rh;
        }
        let w = (w + 2.0 * pad).ceil();
        Legend { rows, header, item, note, pad, row_h, note_h, gap_h, swatch, w, h: h.ceil() }
    }

    /// Draws the legend with its top-left corner at `(x, y)` (pixel-aligned).
    pub fn draw(&self, pixmap: &mut Pixmap, x: f32, y: f32) {
        let (x, y) = (x.round(), y.round());
        let frame = Frame { x, y, w: self.w, h: self.h };
        draw::fill_rect(pixmap, frame, [0xff, 0xff, 0xff], 235);
        draw::rect_outline(pixmap, frame, super::PANEL_EDGE, 255);
        let mut top = y + self.pad;
        for (kind, text) in &self.rows {
            match kind {
                Kind::Header => {
                    let base = top + self.row_h / 2.0 + self.header.cap_height() / 2.0;
                    self.header.draw(pixmap, text, x + self.pad, base.round(), super::TEXT);
                    top += self.row_h;
                }
                Kind::Item(swatch) => {
                    let sy = (top + (self.row_h - self.swatch) / 2.0).round();
                    let sx = x + self.pad;
                    self.draw_swatch(pixmap, swatch, Frame { x: sx, y: sy, w: self.swatch, h: self.swatch });
                    let base = top + self.row_h / 2.0 + self.item.cap_height() / 2.0;
                    self.item.draw(pixmap, text, sx + self.swatch + self.pad * 0.7, base.round(), super::TEXT);
                    top += self.row_h;
                }
                Kind::Note => {
                    let base = top + self.note_h / 2.0 + self.note.cap_height() / 2.0;
                    self.note.draw(pixmap, text, x + self.pad, base.round(), super::TEXT_SOFT);
                    top += self.note_h;
                }
                Kind::Gap => top += self.gap_h,
            }
        }
    }

    fn draw_swatch(&self, pixmap: &mut Pixmap, swatch: &Swatch, f: Frame) {
        let c = (f.x + f.w / 2.0, f.y + f.h / 2.0);
        match swatch {
            Swatch::Fill(colour) => {
                let edge = Frame { x: f.x - 1.0, y: f.y - 1.0, w: f.w + 2.0, h: f.h + 2.0 };
                draw::fill_rect(pixmap, edge, super::SWATCH_EDGE, 255);
                draw::fill_rect(pixmap, f, *colour, 255);
            }
            Swatch::Facility(colour) => {
                let r = f.w * 0.42;
                if let Some(p) = PathBuilder::from_circle(c.0, c.1, r + 1.0) {
                    draw::fill(pixmap, &p, super::SWATCH_EDGE, 255, None);
                }
                if let Some(p) = PathBuilder::from_circle(c.0, c.1, r) {
                    draw::fill(pixmap, &p, [0xff, 0xff, 0xff], 255, None);
                }
                if let Some(p) = PathBuilder::from_circle(c.0, c.1, r * 0.7) {
                    draw::fill(pixmap, &p, *colour, 255, None);
                }
            }
            Swatch::Areas(colours, filled) => {
                let k = colours.len().max(1) as f32;
                for (i, colour) in colours.iter().enumerate() {
                    let (x0, x1) = ((f.x + f.w * i as f32 / k).round(), (f.x + f.w * (i + 1) as f32 / k).round());
                    let stripe = Frame { x: x0, y: f.y, w: x1 - x0, h: f.h };
                    if *filled {
                        draw::fill_rect(pixmap, stripe, *colour, super::AREA_ALPHA);
                    }
                    // Each stripe's top and bottom edge in its colour, as the outlines on the map.
                    draw::fill_rect(pixmap, Frame { h: 2.0, ..stripe }, *colour, 210);
                    draw::fill_rect(pixmap, Frame { y: f.bottom() - 2.0, h: 2.0, ..stripe }, *colour, 210);
                }
            }
            Swatch::Line(colour) => {
                let mut pb = PathBuilder::new();
                pb.move_to(f.x, c.1);
                pb.line_to(f.right(), c.1);
                if let Some(p) = pb.finish() {
                    draw::outline(pixmap, &p, *colour, 255, (f.h * 0.15).max(1.5), None);
                }
            }
            Swatch::Outline(colour) => {
                let inner = Frame { x: f.x + 1.0, y: f.y + 1.0, w: f.w - 2.0, h: f.h - 2.0 };
                draw::rect_outline(pixmap, inner, *colour, 255);
            }
            Swatch::Site => {
                if let Some(p) = site_path(c, f.w * 0.5) {
                    draw::outline(pixmap, &p, [0xff, 0xff, 0xff], 255, (f.w * 0.2).max(2.0), None);
                    draw::fill(pixmap, &p, palette::SITE, 255, None);
                }
            }
        }
    }
}

/// A site's diamond of half-diagonal `r` at `c`.
pub(crate) fn site_path(c: (f32, f32), r: f32) -> Option<Path> {
    draw::closed_path(&draw::diamond(c, r))
}
