//! Text for the PNG maps: one embedded font, glyphs rasterised by ab_glyph
//! and blended into the pixmap. No system font is ever looked up.
//!
//! The font is a subset of Noto Sans CJK SC Regular (SIL Open Font License,
//! `data/fonts/OFL.txt`) holding ASCII, Latin-1, a few marks and every
//! character of `data/report/labels.json` and of the taxonomies' category
//! labels; `data/fonts/make_subset.sh` rebuilds it. A character missing from
//! it is drawn as a hollow box (whitespace as a space, control characters
//! not at all): text never fails.
//!
//! Complexity: O(n · p²) for n characters at p pixels per em.

use ab_glyph::{Font, FontRef, GlyphId, point};
use tiny_skia::{Pixmap, PremultipliedColorU8};

use crate::report::palette::Rgb;

/// The embedded font file (about 40 KB).
pub const FONT_BYTES: &[u8] = include_bytes!("../../../data/fonts/NotoSansSC-lifecircle-subset.otf");

/// The embedded font, parsed (cheap: ttf-parser reads tables lazily).
pub fn font() -> FontRef<'static> {
    FontRef::try_from_slice(FONT_BYTES).expect("the embedded font parses (tested)")
}

/// Whether the embedded font has a glyph for `c`.
pub fn has_glyph(c: char) -> bool {
    font().glyph_id(c) != GlyphId(0)
}

/// Text set in the embedded font at `px` pixels per em.
#[derive(Debug, Clone)]
pub struct TextStyle {
    font: FontRef<'static>,
    /// Pixels per em.
    pub px: f32,
    /// ab_glyph's scale: the pixel height of ascent − descent.
    scale: f32,
    upem: f32,
}

/// How one character is drawn.
enum Piece {
    Glyph(GlyphId),
    Space,
    Skip,
    Missing,
}

impl TextStyle {
    /// The style for `px` pixels per em.
    pub fn new(px: f32) -> TextStyle {
        let font = font();
        let upem = font.units_per_em().unwrap_or(1000.0);
        let scale = px * font.height_unscaled() / upem;
        TextStyle { font, px, scale, upem }
    }

    /// Distance from the baseline up to the top of tall glyphs, pixels.
    pub fn ascent(&self) -> f32 {
        self.font.ascent_unscaled() / self.upem * self.px
    }

    /// Distance from the baseline down to the bottom of descenders, pixels (positive).
    pub fn descent(&self) -> f32 {
        -self.font.descent_unscaled() / self.upem * self.px
    }

    /// Height of capital letters above the baseline, pixels.
    pub fn cap_height(&self) -> f32 {
        0.733 * self.px
    }

    fn piece(&self, c: char) -> Piece {
        let id = self.font.glyph_id(c);
        if id != GlyphId(0) {
            Piece::Glyph(id)
        } else if c.is_whitespace() {
            Piece::Space
        } else if c.is_control() {
            Piece::Skip
        } else {
            Piece::Missing
        }
    }

    fn advance(&self, piece: &Piece) -> f32 {
        match piece {
            Piece::Glyph(id) => self.font.h_advance_unscaled(*id) / self.upem * self.px,
            Piece::Space => 0.25 * self.px,
            Piece::Skip => 0.0,
            Piece::Missing => 0.75 * self.px,
        }
    }

    /// The advance width of `text`, pixels.
    pub fn width(&self, text: &str) -> f32 {
        text.chars().map(|c| self.advance(&self.piece(c))).sum()
    }

    /// Whether a character at `(x, baseline)` may touch the pixmap.
    fn visible(&self, pixmap: &Pixmap, x: f32, baseline: f32) -> bool {
        let m = 2.0 * self.px;
        x > -m && x < pixmap.width() as f32 + m && baseline > -m && baseline < pixmap.height() as f32 + m
    }

    /// Draws `text` with its baseline starting at `(x, baseline)` in an opaque
    /// `colour`, blending glyph coverage over what is there; clipped to the pixmap.
    /// Returns the x after the text.
    pub fn draw(&self, pixmap: &mut Pixmap, text: &str, x: f32, baseline: f32, colour: Rgb) -> f32 {
        let mut pen = x;
        for c in text.chars() {
            let piece = self.piece(c);
            match piece {
                Piece::Glyph(id) if self.visible(pixmap, pen, baseline) => {
                    let glyph = id.with_scale_and_position(self.scale, point(pen, baseline));
                    if let Some(outlined) = self.font.outline_glyph(glyph) {
                        let b = outlined.px_bounds();
                        let (x0, y0) = (b.min.x as i64, b.min.y as i64);
                        outlined.draw(|gx, gy, cov| blend(pixmap, x0 + gx as i64, y0 + gy as i64, colour, cov));
                    }
                }
                Piece::Missing if self.visible(pixmap, pen, baseline) => {
                    // A hollow box, the usual sign of a missing glyph.
                    let w = (0.6 * self.px).round().max(3.0) as i64;
                    let h = self.cap_height().round().max(4.0) as i64;
                    let (left, top) = ((pen + 0.075 * self.px).round() as i64, baseline.round() as i64 - h);
                    for i in 0..w {
                        blend(pixmap, left + i, top, colour, 1.0);
                        blend(pixmap, left + i, top + h - 1, colour, 1.0);
                    }
                    for j in 0..h {
                        blend(pixmap, left, top + j, colour, 1.0);
                        blend(pixmap, left + w - 1, top + j, colour, 1.0);
                    }
                }
                _ => {}
            }
            pen += self.advance(&piece);
        }
        pen
    }
}

/// Source-over of an opaque `colour` at coverage `cov` (0..=1) onto one
/// premultiplied pixel; outside the pixmap does nothing.
pub fn blend(pixmap: &mut Pixmap, x: i64, y: i64, colour: Rgb, cov: f32) {
    let (w, h) = (pixmap.width() as i64, pixmap.height() as i64);
    if x < 0 || y < 0 || x >= w || y >= h || cov <= 0.0 {
        return;
    }
    let a = (cov.min(1.0) * 255.0).round() as u32;
    let idx = (y * w + x) as usize;
    let dst = pixmap.pixels()[idx];
    let mix = |s: u8, d: u8| ((s as u32 * a + d as u32 * (255 - a) + 127) / 255) as u8;
    let out = PremultipliedColorU8::from_rgba(
        mix(colour[0], dst.red()),
        mix(colour[1], dst.green()),
        mix(colour[2], dst.blue()),
        mix(255, dst.alpha()),
    );
    if let Some(p) = out {
        pixmap.pixels_mut()[idx] = p;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_font_covers_every_label_and_category_name() {
        let mut text = String::new();
        let labels: serde_json::Value =
            serde_json::from_str(crate::report::labels::LABELS_JSON).expect("labels.json parses");
        for lang in labels.as_object().expect("object").values() {
            for v in lang.as_object().expect("object").values() {
                text.push_str(v.as_str().expect("string"));
            }
        }
        for (_, file) in crate::taxonomy::BUNDLED {
            let t: toml::Value = toml::from_str(file).expect("taxonomy parses");
            let cats = t["category"].as_array().expect("[[category]] tables");
            assert!(cats.len() >= 3);
            for cat in cats {
                text.push_str(cat["label_en"].as_str().expect("label_en"));
                text.push_str(cat["label_zh"].as_str().expect("label_zh"));
            }
        }
        text.push_str("北©0123456789 km");
        let missing: String = text.chars().filter(|c| !has_glyph(*c) && !c.is_whitespace()).collect();
        assert!(missing.is_empty(), "characters missing from the font (run data/fonts/make_subset.sh): {missing:?}");
        assert!(!has_glyph('\u{1F600}'), "the subset should not hold emoji");
    }

    #[test]
    fn missing_glyphs_are_boxes_and_do_not_panic() {
        let style = TextStyle::new(16.0);
        let mut pm = Pixmap::new(60, 30).expect("pixmap");
        let end = style.draw(&mut pm, "\u{1F600}\u{0}\u{2603}", 2.0, 20.0, [0, 0, 0]);
        assert!((end - 2.0 - 2.0 * 0.75 * 16.0).abs() < 1e-3);
        assert!(pm.pixels().iter().any(|p| p.alpha() == 255), "the box is drawn");
        // Off the pixmap: nothing drawn, no panic.
        style.draw(&mut pm, "abc北", -500.0, -500.0, [0, 0, 0]);
        style.draw(&mut pm, "abc北", 1e9, 1e9, [0, 0, 0]);
    }
}
