//! The self-contained HTML report: one file that opens anywhere, offline.
//!
//! The page inlines Leaflet (vendored from npm with its licence, in
//! `assets/vendor/leaflet/`), the report's script and style (`assets/`), the
//! label table in both languages, and the map's data as one JSON document.
//! Coordinates are integers of 10⁻⁵ degree (about a metre), each line or ring
//! delta-encoded from its first point, which keeps a city's network and homes
//! a few megabytes.
//!
//! Complexity: O(E·g + H·C + A) to encode, like [`MapData`] itself.
//!
//! ```no_run
//! use lifecircle::report::{Labels, MapData, MapOptions, html::report_html};
//! let config = lifecircle::AnalyzeConfig::new(lifecircle::analysis::default_pbf(), "out");
//! let analysis = lifecircle::run(&config)?;
//! let map = MapData::from_analysis(&analysis, None, &MapOptions::default());
//! let page = report_html(&map, &Labels::builtin(), "Liechtenstein");
//! assert!(page.contains("OpenStreetMap contributors"));
//! # Ok::<(), lifecircle::Error>(())
//! ```

use geo::MultiPolygon;
use serde::Serialize;

use crate::coverage::stats::round_to;
use crate::district::DistrictRow;
use crate::district::targets::RuleResult;
use crate::error::Result;
use crate::io::OutputDir;
use crate::io::atomic::FinishedFile;
use crate::report::hexbin::{HexCell, coarsen};
use crate::report::labels::{Labels, Lang, category_label, shared_threshold, threshold_text};
use crate::report::map_data::{HomesLayer, MapData, points_of};
use crate::report::palette;
use crate::report::png::network_overlay_png;
use crate::summary::Summary;

const LEAFLET_JS: &str = include_str!("../../assets/vendor/leaflet/leaflet.js");
const LEAFLET_CSS: &str = include_str!("../../assets/vendor/leaflet/leaflet.css");
const LEAFLET_LICENSE: &str = include_str!("../../assets/vendor/leaflet/LICENSE");
const REPORT_JS: &str = include_str!("../../assets/report.js");
const REPORT_CSS: &str = include_str!("../../assets/report.css");

/// Coordinates are written as integers of 1/SCALE degree.
pub const SCALE: f64 = 1e5;

/// The walking network's share of the page: beyond it, lines are simplified
/// further (a city of a few hundred thousand ways stays under 20 MB in all).
pub const NETWORK_BUDGET_BYTES: usize = 9_000_000;

/// The page's data beyond which single facilities' service areas are left out
/// (the issue's bound is about 20 MB for the page; Leaflet and the script add 0.2 MB).
pub const PAGE_DATA_BUDGET_BYTES: usize = 18_000_000;

/// Hexagons are made no coarser than this to fit the page.
pub const MIN_HEX_RESOLUTION: u8 = 7;

/// The longer side of the network's picture, pixels (when its lines are over budget), by default.
pub const NETWORK_IMAGE_PX: u32 = 4096;

/// The report's file name in an output folder.
pub const REPORT_FILE: &str = "report.html";

/// The page of `site --report` (its own name: `analyze --report` into the same
/// folder keeps its page, and each command replaces only its own).
pub const SITES_REPORT_FILE: &str = "sites.html";

fn q(v: f64) -> i64 {
    (v * SCALE).round() as i64
}

/// A line or ring as `[x0, y0, dx1, dy1, ...]` in 1/SCALE degrees; repeated
/// points are dropped, but a line keeps two points (a way shorter than the
/// rounding is still drawn, and counted).
fn encode_line<'a>(points: impl IntoIterator<Item = &'a [f64; 2]>) -> Vec<i64> {
    let mut out = Vec::new();
    let mut prev = (0, 0);
    for (i, p) in points.into_iter().enumerate() {
        let (x, y) = (q(p[0]), q(p[1]));
        if i > 0 && (x, y) == prev && out.len() >= 4 {
            continue;
        }
        if i == 0 {
            out.extend([x, y]);
        } else {
            out.extend([x - prev.0, y - prev.1]);
        }
        prev = (x, y);
    }
    out
}

/// The network's lines, each delta-encoded ([`encode_line`]) and its first
/// point then made relative to the previous line's first point; simplified
/// further (2, 5, 10, 20 m) while the encoding is over `budget_bytes`.
/// Returns the lines, the tolerance used (metres) and their size in the page's JSON, bytes.
fn encode_network(lines: &[Vec<[f64; 2]>], budget_bytes: usize) -> (Vec<Vec<i64>>, f64, usize) {
    let digits =
        |v: i64| -> usize { if v == 0 { 1 } else { (v.unsigned_abs().ilog10() + 1) as usize + usize::from(v < 0) } };
    let mut out = Vec::new();
    let (mut used_m, mut bytes) = (0.0, 0);
    for tolerance_m in [0.0, 2.0, 5.0, 10.0, 20.0] {
        used_m = tolerance_m;
        out.clear();
        bytes = 0;
        let mut prev_start = (0, 0);
        for line in lines {
            let mut l = if tolerance_m > 0.0 {
                encode_line(&crate::report::map_data::simplify_line(line, tolerance_m))
            } else {
                encode_line(line)
            };
            let start = (l[0], l[1]);
            l[0] -= prev_start.0;
            l[1] -= prev_start.1;
            prev_start = start;
            bytes += 3 + l.iter().map(|&v| digits(v) + 1).sum::<usize>();
            out.push(l);
        }
        if bytes <= budget_bytes {
            break;
        }
    }
    (out, used_m, bytes)
}

/// Standard base64 (RFC 4648, with padding), for the network picture's data URL.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The network as a picture (see [`network_overlay_png`]).
#[derive(Serialize)]
struct NetworkImage {
    /// `data:image/png;base64,...`
    url: String,
    /// `[west, south, east, north]` of the picture.
    bbox: [f64; 4],
}

/// Polygons as lists of rings (outer first), rings closed as in GeoJSON.
fn encode_polygons(mp: &MultiPolygon<f64>) -> Vec<Vec<Vec<i64>>> {
    let ring = |r: &geo::LineString<f64>| -> Vec<i64> {
        let pts: Vec<[f64; 2]> = r.0.iter().map(|c| [c.x, c.y]).collect();
        encode_line(&pts)
    };
    mp.0.iter()
        .map(|p| std::iter::once(p.exterior()).chain(p.interiors()).map(ring).filter(|r| r.len() >= 6).collect())
        .filter(|p: &Vec<Vec<i64>>| !p.is_empty())
        .collect()
}

#[derive(Serialize)]
struct PageCategory<'a> {
    key: &'a str,
    label_en: &'a str,
    label_zh: &'a str,
    colour: String,
    facilities: usize,
    threshold: &'a str,
}

#[derive(Serialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
enum PageHomes {
    Points {
        count: usize,
        /// Flat `[x0, y0, dx, dy, ...]` over all homes in order.
        xy: Vec<i64>,
        mask: Vec<u64>,
        reachable: Vec<u8>,
        /// Population per home, only when some home is not one person.
        population: Option<Vec<f64>>,
        /// Per category, tenths of a minute to the nearest facility (-1: none).
        tenth_min: Vec<Vec<i32>>,
    },
    Hex {
        count: usize,
        resolution: u8,
        cells: Vec<PageHex>,
    },
}

#[derive(Serialize)]
struct PageHex {
    ring: Vec<i64>,
    homes: usize,
    population: f64,
    unreachable: usize,
    mean: f64,
    shares: Vec<f64>,
}

#[derive(Serialize)]
struct PageFacility<'a> {
    id: &'a str,
    c: usize,
    name: Option<&'a str>,
    lon: f64,
    lat: f64,
}

#[derive(Serialize)]
struct PageArea<'a> {
    c: usize,
    t: &'a str,
    f: Option<usize>,
    polys: Vec<Vec<Vec<i64>>>,
}

#[derive(Serialize)]
struct PageDistrict<'a> {
    key: &'a str,
    polys: Vec<Vec<Vec<i64>>>,
    row: Option<&'a DistrictRow>,
}

#[derive(Serialize)]
struct PageSite<'a> {
    rank: usize,
    id: &'a str,
    lon: f64,
    lat: f64,
    homes_gained: usize,
    population_gained: f64,
}

#[derive(Serialize)]
struct PageSites<'a> {
    c: usize,
    sites: Vec<PageSite<'a>>,
}

#[derive(Serialize)]
struct PageRule<'a> {
    id: &'a str,
    source: &'a str,
}

/// Texts in one language that the page shows as the PNG legend does (worked out by the same
/// functions, so the two agree).
#[derive(Serialize)]
struct PageTexts {
    /// Category labels, in taxonomy order.
    categories: Vec<String>,
    /// Every threshold label of the categories and areas (`15`, `300m`) as shown (`15 min`, `300 m`).
    thresholds: std::collections::BTreeMap<String, String>,
    /// The homes legend's `{t}`: the shared threshold, or "each category's tier distance".
    main_threshold: String,
}

fn page_texts(map: &MapData, labels: &Labels, lang: Lang) -> PageTexts {
    let thresholds = map
        .categories
        .iter()
        .map(|c| &c.threshold)
        .chain(map.areas.iter().map(|a| &a.threshold))
        .map(|t| (t.clone(), threshold_text(t, map.tiers, labels, lang)))
        .collect();
    PageTexts {
        categories: map.categories.iter().map(|c| category_label(c, lang).to_string()).collect(),
        thresholds,
        main_threshold: shared_threshold(map, labels, lang),
    }
}

#[derive(Serialize)]
struct Page<'a> {
    title: &'a str,
    /// `en` and `zh` texts.
    texts: std::collections::BTreeMap<&'static str, PageTexts>,
    scale: f64,
    bbox: [f64; 4],
    tiers: bool,
    categories: Vec<PageCategory<'a>>,
    classes: Vec<String>,
    colours: [(&'static str, String); 4],
    network: Vec<Vec<i64>>,
    network_simplified_m: f64,
    /// Ways in the network (drawn as lines, or in the picture).
    network_edges: usize,
    /// The network as a picture when its lines would be over the budget even at 20 m.
    network_image: Option<NetworkImage>,
    /// The resolution asked for, when hexagons were made coarser to fit the page.
    hexagons_coarsened_from: Option<u8>,
    homes: PageHomes,
    facilities: Vec<PageFacility<'a>>,
    areas: Vec<PageArea<'a>>,
    area_points_dropped: usize,
    districts: Vec<PageDistrict<'a>>,
    outside: Option<&'a DistrictRow>,
    targets: &'a [RuleResult],
    rules: Vec<PageRule<'a>>,
    sites: Option<PageSites<'a>>,
    summary: &'a Summary,
}

fn hex_homes(count: usize, resolution: u8, cells: &[HexCell]) -> PageHomes {
    PageHomes::Hex {
        count,
        resolution,
        cells: cells
            .iter()
            .map(|c| PageHex {
                ring: encode_line(&c.boundary),
                homes: c.homes,
                population: round_to(c.population, 3),
                unreachable: c.unreachable,
                mean: round_to(c.mean_reached, 3),
                shares: c.share_population.iter().map(|s| round_to(*s, 4)).collect(),
            })
            .collect(),
    }
}

fn page_data<'a>(map: &'a MapData, labels: &Labels, title: &'a str, budget: &PageBudget) -> Page<'a> {
    let n = map.categories.len();
    let (mut network, network_simplified_m, lines_bytes) = encode_network(&map.network, budget.network_bytes);
    let network_image = if lines_bytes <= budget.network_bytes {
        None
    } else {
        // The picture, unless the lines at 20 m are no larger (a picture is never sharper).
        network_overlay_png(&map.network, map.bbox, budget.picture_px)
            .map(|png| NetworkImage { url: format!("data:image/png;base64,{}", base64(&png)), bbox: map.bbox })
            .filter(|image| image.url.len() < lines_bytes)
    };
    if network_image.is_some() {
        network.clear();
    }
    let homes = match &map.homes {
        HomesLayer::Points(homes) => {
            let mut xy = Vec::with_capacity(homes.len() * 2);
            let mut prev = (0, 0);
            for h in homes {
                let (x, y) = (q(h.lonlat[0]), q(h.lonlat[1]));
                xy.extend([x - prev.0, y - prev.1]);
                prev = (x, y);
            }
            let population = homes
                .iter()
                .any(|h| h.population != 1.0)
                .then(|| homes.iter().map(|h| round_to(h.population, 3)).collect());
            PageHomes::Points {
                count: homes.len(),
                xy,
                mask: homes.iter().map(|h| h.reached_mask).collect(),
                reachable: homes.iter().map(|h| u8::from(h.reachable)).collect(),
                population,
                tenth_min: (0..n)
                    .map(|c| {
                        homes
                            .iter()
                            .map(|h| h.minutes.get(c).copied().flatten().map_or(-1, |m| (m * 10.0).ceil() as i32))
                            .collect()
                    })
                    .collect(),
            }
        }
        HomesLayer::Hexagons { homes, resolution, cells } => hex_homes(*homes, *resolution, cells),
    };
    Page {
        title,
        texts: [Lang::En, Lang::Zh].into_iter().map(|l| (l.code(), page_texts(map, labels, l))).collect(),
        scale: SCALE,
        bbox: map.bbox.map(|v| round_to(v, 6)),
        tiers: map.tiers,
        categories: map
            .categories
            .iter()
            .map(|c| PageCategory {
                key: &c.key,
                label_en: &c.label_en,
                label_zh: &c.label_zh,
                colour: palette::hex(c.colour),
                facilities: c.facilities,
                threshold: &c.threshold,
            })
            .collect(),
        classes: palette::reach_classes(n).into_iter().map(palette::hex).collect(),
        colours: [
            ("unreachable", palette::hex(palette::UNREACHABLE)),
            ("network", palette::hex(palette::NETWORK)),
            ("background", palette::hex(palette::BACKGROUND)),
            ("site", palette::hex(palette::SITE)),
        ],
        network,
        network_simplified_m,
        network_edges: map.network.len(),
        network_image,
        hexagons_coarsened_from: None,
        homes,
        facilities: map
            .facilities
            .iter()
            .map(|f| PageFacility {
                id: &f.id,
                c: f.category,
                name: f.name.as_deref(),
                lon: round_to(f.lonlat[0], 6),
                lat: round_to(f.lonlat[1], 6),
            })
            .collect(),
        areas: map
            .areas
            .iter()
            .map(|a| PageArea { c: a.category, t: &a.threshold, f: a.facility, polys: encode_polygons(&a.polygon) })
            .collect(),
        area_points_dropped: map.facility_area_points_dropped,
        districts: map
            .districts
            .iter()
            .map(|d| PageDistrict { key: &d.key, polys: encode_polygons(&d.shape), row: d.row.as_ref() })
            .collect(),
        outside: map.outside.as_ref(),
        targets: &map.targets,
        rules: map.rules.iter().map(|(id, source)| PageRule { id, source }).collect(),
        sites: map.sites.as_ref().map(|s| PageSites {
            c: s.category,
            sites: s
                .sites
                .iter()
                .map(|p| PageSite {
                    rank: p.rank,
                    id: &p.id,
                    lon: round_to(p.lonlat[0], 6),
                    lat: round_to(p.lonlat[1], 6),
                    homes_gained: p.homes_gained,
                    population_gained: round_to(p.population_gained, 3),
                })
                .collect(),
        }),
        summary: &map.summary,
    }
}

/// JSON safe inside a `<script>` element: `<` (so `</script>` and `<!--`),
/// and the line separators JavaScript once rejected, escaped.
fn script_json(json: &str) -> String {
    json.replace('<', "\\u003c").replace('\u{2028}', "\\u2028").replace('\u{2029}', "\\u2029")
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// What a page may weigh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageBudget {
    /// The network's lines: beyond it they are simplified further (to 20 m),
    /// then sent as one picture instead.
    pub network_bytes: usize,
    /// The longer side of the network's picture, pixels.
    pub picture_px: u32,
    /// The page's data besides the network's picture: beyond it single facilities' service
    /// areas are left out, then hexagons made coarser (down to [`MIN_HEX_RESOLUTION`]).
    pub data_bytes: usize,
}

impl Default for PageBudget {
    fn default() -> PageBudget {
        PageBudget {
            network_bytes: NETWORK_BUDGET_BYTES,
            picture_px: NETWORK_IMAGE_PX,
            data_bytes: PAGE_DATA_BUDGET_BYTES,
        }
    }
}

/// The report page for `map` with `labels` (both languages), titled `title` (e.g. the extract's name).
pub fn report_html(map: &MapData, labels: &Labels, title: &str) -> String {
    report_html_within(map, labels, title, PageBudget::default())
}

/// [`report_html`] within `budget`: the network simplified, then drawn as a
/// picture; single facilities' service areas left out (their outline points
/// counted in the page's `area_points_dropped` and said in its panel); then
/// hexagons coarsened ([`coarsen`]), as the budget requires.
pub fn report_html_within(map: &MapData, labels: &Labels, title: &str, budget: PageBudget) -> String {
    let mut contents = page_data(map, labels, title, &budget);
    let mut data = serde_json::to_string(&contents).expect("the page data serializes");
    // The network has its own budget (lines or picture): the rest give way to the rest.
    let network_bytes = contents.network_image.as_ref().map_or(0, |i| i.url.len());
    let over = |data: &str| data.len().saturating_sub(network_bytes) > budget.data_bytes;
    if over(&data) && contents.areas.iter().any(|a| a.f.is_some()) {
        // Single facilities' areas go first (the category areas show the same coverage).
        contents.area_points_dropped +=
            map.areas.iter().filter(|a| a.facility.is_some()).map(|a| points_of(&a.polygon)).sum::<usize>();
        contents.areas.retain(|a| a.f.is_none());
        data = serde_json::to_string(&contents).expect("the page data serializes");
    }
    if let HomesLayer::Hexagons { homes, resolution, cells } = &map.homes {
        // Then coarser hexagons, a resolution at a time (each about 7 times fewer), down to
        // resolution 7 (about 5 km² each: still a map of a city's parts).
        let (mut cells, mut res) = (std::borrow::Cow::Borrowed(cells.as_slice()), *resolution);
        while over(&data) && res > MIN_HEX_RESOLUTION && cells.len() > 1 {
            let (coarser, r) = coarsen(&cells, res);
            (cells, res) = (std::borrow::Cow::Owned(coarser), r);
            contents.homes = hex_homes(*homes, res, &cells);
            contents.hexagons_coarsened_from = Some(*resolution);
            data = serde_json::to_string(&contents).expect("the page data serializes");
        }
    }
    // The whole table, both languages: the page switches without reloading.
    let labels_json = serde_json::to_string(labels).expect("labels serialize");
    let mut page = String::with_capacity(data.len() + LEAFLET_JS.len() + 64 * 1024);
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    page.push_str(&format!("<title>{} · lifecircle</title>\n", html_escape(title)));
    page.push_str("<style>\n");
    page.push_str(LEAFLET_CSS);
    page.push_str("\n</style>\n<style>\n");
    // The PNG maps' CJK subset (every label in both languages), so the 中文 view reads on a
    // machine without Chinese fonts; system fonts come first in report.css's list.
    page.push_str("@font-face { font-family: \"LifecircleCJK\"; src: url(data:font/otf;base64,");
    page.push_str(&base64(crate::report::png::font::FONT_BYTES));
    page.push_str(") format(\"opentype\"); }\n");
    page.push_str(REPORT_CSS);
    page.push_str("\n</style>\n</head>\n<body>\n");
    page.push_str(
        "<div id=\"lc-app\"><aside id=\"lc-panel\"></aside><main id=\"lc-map\"></main></div>\n\
         <div id=\"lc-attribution-fixed\" data-i18n=\"attribution\">© OpenStreetMap contributors</div>\n",
    );
    page.push_str("<script id=\"lc-labels\" type=\"application/json\">");
    page.push_str(&script_json(&labels_json));
    page.push_str("</script>\n<script id=\"lc-data\" type=\"application/json\">");
    page.push_str(&script_json(&data));
    page.push_str("</script>\n<script>\n/* Leaflet 1.9.4, vendored from npm; its licence:\n");
    page.push_str(&LEAFLET_LICENSE.replace("*/", "* /"));
    page.push_str("*/\n");
    page.push_str(LEAFLET_JS);
    page.push_str("\n</script>\n<script>\n");
    page.push_str(REPORT_JS);
    page.push_str("\n</script>\n</body>\n</html>\n");
    page
}

/// Writes the page as `name` (usually [`REPORT_FILE`]) into `out` (through a temporary file,
/// committed by the caller).
pub fn write_report(map: &MapData, labels: &Labels, title: &str, out: &OutputDir, name: &str) -> Result<FinishedFile> {
    use std::io::Write;
    let page = report_html(map, labels, title);
    let mut f = out.create(name)?;
    f.writer().write_all(page.as_bytes()).map_err(|e| f.err(e))?;
    f.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_delta_encoded_and_repeats_dropped() {
        let l = encode_line(&[[9.5, 47.1], [9.50001, 47.1], [9.50001, 47.1], [9.5, 47.10002]]);
        assert_eq!(l, vec![950_000, 4_710_000, 1, 0, -1, 2]);
        assert_eq!(encode_line(&[[9.5, 47.1], [9.500_000_1, 47.1]]), vec![950_000, 4_710_000, 0, 0]);
    }

    #[test]
    fn network_starts_chain_and_simplify_to_the_budget() {
        let lines = vec![vec![[9.5, 47.1], [9.5001, 47.1]], vec![[9.5002, 47.1003], [9.5002, 47.1004]]];
        let (enc, tol, bytes) = encode_network(&lines, usize::MAX);
        // Exactly the JSON's size: `[950000,4710000,10,0],[20,30,0,10],` less nothing.
        assert_eq!(bytes, serde_json::to_string(&enc).unwrap().len() + 1);
        assert_eq!(tol, 0.0);
        assert_eq!(enc, vec![vec![950_000, 4_710_000, 10, 0], vec![20, 30, 0, 10]]);
        // A wiggly line over budget loses its wiggles.
        let wiggly: Vec<[f64; 2]> = (0..100).map(|i| [9.5 + i as f64 * 1e-4, 47.1 + (i % 2) as f64 * 1e-5]).collect();
        let (full, _, _) = encode_network(std::slice::from_ref(&wiggly), usize::MAX);
        let (small, tol, bytes) = encode_network(std::slice::from_ref(&wiggly), 100);
        assert!(bytes <= 100 && tol > 0.0 && small[0].len() < full[0].len(), "{tol} {}", small[0].len());
        let (_, tol, bytes) = encode_network(&[wiggly], 5);
        assert!(bytes > 5 && tol == 20.0, "5 bytes cannot hold a line even at 20 m");
    }

    #[test]
    fn base64_matches_rfc_4648_test_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded, "{plain:?}");
        }
        assert_eq!(base64(&[0xff, 0xfe, 0x00]), "//4A");
    }

    #[test]
    fn script_json_cannot_close_the_script() {
        let s = script_json(r#"{"name":"</script><script>alert(1)</script>"}"#);
        assert!(!s.contains("</script"));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["name"], "</script><script>alert(1)</script>");
    }
}
