//! Map furniture around the frame: title, north arrow, 1-2-5 scale bar and
//! the attribution. `O(text length)`.

use tiny_skia::Pixmap;

use super::draw::{self, Frame, Projection};
use super::font::TextStyle;
use super::{Layout, PANEL_EDGE, TEXT, TEXT_SOFT};
use crate::report::labels::{Labels, Lang};

/// The north arrow's width and its left edge.
pub(super) fn north_arrow_box(pixmap: &Pixmap, lang: Lang, layout: &Layout) -> (TextStyle, &'static str, f32, f32) {
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
pub(super) fn draw_title(pixmap: &mut Pixmap, labels: &Labels, lang: Lang, layout: &Layout, right: f32) -> f32 {
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
pub(super) fn draw_north_arrow(pixmap: &mut Pixmap, lang: Lang, layout: &Layout) {
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
pub(super) fn draw_scale_bar(pixmap: &mut Pixmap, proj: &Projection, layout: &Layout, right: f32) {
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
pub(super) fn draw_attribution(pixmap: &mut Pixmap, labels: &Labels, lang: Lang, layout: &Layout) -> f32 {
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
