//! QGIS styles (`<layer>.qml`) beside the layers, in the report's colours
//! ([`crate::report::palette`]): QGIS applies `coverage.qml` when it opens
//! `coverage.geojson`, `coverage.parquet` or `coverage.fgb`.
//!
//! - `coverage`: homes categorized by `categories_ok` (0 to all), red to green;
//! - `facilities`: categorized by `category`, the category colours;
//! - `isochrones`, `coverage_areas`: categorized by `category`, translucent fills;
//! - `hexagons`, `districts` (and `districts-<tier>` per level): graduated by `complete_share` in five classes, red to green;
//! - `sites`: the proposed sites in the report's purple.
//!
//! `O(categories)` text.

use std::fmt::Write as _;

use crate::report::palette::{self, Rgb, category, reach_classes};
use crate::taxonomy::Taxonomy;

/// The style of layer `name`, or `None` for a layer without one.
pub fn style(name: &str, taxonomy: &Taxonomy) -> Option<String> {
    let keys: Vec<&str> = taxonomy.categories.iter().map(|c| c.key.as_str()).collect();
    let renderer = match name {
        "coverage" => {
            let n = keys.len();
            let classes: Vec<(String, String, Rgb)> = reach_classes(n)
                .into_iter()
                .enumerate()
                .map(|(k, rgb)| (k.to_string(), format!("{k} of {n} categories"), rgb))
                .collect();
            categorized("categories_ok", &classes, &Symbol::Marker)
        }
        "facilities" => categorized("category", &category_classes(&keys), &Symbol::Marker),
        "isochrones" | "coverage_areas" => categorized("category", &category_classes(&keys), &Symbol::Fill),
        "hexagons" | "districts" | "districts-district" | "districts-subdistrict" | "districts-community" => {
            graduated_complete_share()
        }
        "sites" => {
            let classes: Vec<(String, String, Rgb)> =
                keys.iter().map(|k| (k.to_string(), format!("new {k} site"), palette::SITE)).collect();
            categorized("category", &classes, &Symbol::Marker)
        }
        _ => return None,
    };
    Some(format!(
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n\
         <qgis version=\"3.28.0\" styleCategories=\"Symbology\">\n{renderer}</qgis>\n"
    ))
}

fn category_classes(keys: &[&str]) -> Vec<(String, String, Rgb)> {
    keys.iter().enumerate().map(|(c, k)| (k.to_string(), k.to_string(), category(c))).collect()
}

enum Symbol {
    Marker,
    Fill,
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

fn option(out: &mut String, name: &str, value: &str) {
    let _ = writeln!(out, "          <Option type=\"QString\" name=\"{name}\" value=\"{}\"/>", xml_escape(value));
}

fn symbol(out: &mut String, index: usize, kind: &Symbol, rgb: Rgb) {
    let colour = |alpha: u8| format!("{},{},{},{alpha}", rgb[0], rgb[1], rgb[2]);
    let (ty, class) = match kind {
        Symbol::Marker => ("marker", "SimpleMarker"),
        Symbol::Fill => ("fill", "SimpleFill"),
    };
    let _ = writeln!(
        out,
        "      <symbol type=\"{ty}\" name=\"{index}\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\n        \
         <layer class=\"{class}\" enabled=\"1\" pass=\"0\" locked=\"0\">\n          <Option type=\"Map\">"
    );
    match kind {
        Symbol::Marker => {
            option(out, "color", &colour(255));
            option(out, "name", "circle");
            option(out, "size", "1.8");
            option(out, "size_unit", "MM");
            option(out, "outline_style", "no");
        }
        Symbol::Fill => {
            option(out, "color", &colour(64));
            option(out, "style", "solid");
            option(out, "outline_color", &colour(255));
            option(out, "outline_style", "solid");
            option(out, "outline_width", "0.4");
            option(out, "outline_width_unit", "MM");
        }
    }
    let _ = writeln!(out, "          </Option>\n        </layer>\n      </symbol>");
}

fn categorized(attr: &str, classes: &[(String, String, Rgb)], kind: &Symbol) -> String {
    let mut out = format!(
        "  <renderer-v2 type=\"categorizedSymbol\" attr=\"{}\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\">\n    <categories>\n",
        xml_escape(attr)
    );
    for (i, (value, label, _)) in classes.iter().enumerate() {
        let _ = writeln!(
            out,
            "      <category render=\"true\" symbol=\"{i}\" value=\"{}\" label=\"{}\" type=\"string\"/>",
            xml_escape(value),
            xml_escape(label)
        );
    }
    out.push_str("    </categories>\n    <symbols>\n");
    for (i, (_, _, rgb)) in classes.iter().enumerate() {
        symbol(&mut out, i, kind, *rgb);
    }
    out.push_str("    </symbols>\n  </renderer-v2>\n");
    out
}

fn graduated_complete_share() -> String {
    let colours = reach_classes(4);
    let mut out = String::from(
        "  <renderer-v2 type=\"graduatedSymbol\" attr=\"complete_share\" graduatedMethod=\"GraduatedColor\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\">\n    <ranges>\n",
    );
    for (i, _) in colours.iter().enumerate() {
        let (lower, upper) = (i as f64 * 0.2, (i + 1) as f64 * 0.2);
        let _ = writeln!(
            out,
            "      <range render=\"true\" symbol=\"{i}\" lower=\"{lower:.1}\" upper=\"{upper:.1}\" label=\"{:.0}–{:.0} % complete\"/>",
            lower * 100.0,
            upper * 100.0
        );
    }
    out.push_str("    </ranges>\n    <symbols>\n");
    for (i, rgb) in colours.iter().enumerate() {
        symbol(&mut out, i, &Symbol::Fill, *rgb);
    }
    out.push_str("    </symbols>\n  </renderer-v2>\n");
    out
}
