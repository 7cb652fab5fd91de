//! `report.html` opened in headless Chromium (`common::browser`): the page's
//! `#selftest` counts of what it drew against `summary.json`, the language
//! switch, a screenshot's pixels, hexagon mode against H3 cells computed
//! here, proposed sites, byte-identical pages for any thread count, and
//! hostile facility names. The page must be self-contained (no external
//! scripts, styles or images) and never log to the console.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};

use serde_json::Value;
use tempfile::TempDir;

use crate::cli::run_subcommand;
use crate::common::browser::{self, Screenshot, file_url};
use crate::common::{beijing, dir_entries, liechtenstein, read_json};

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `lifecircle <subcommand> --pbf <pbf> --out <out> --quiet <extra...>`, which must succeed.
fn run_ok(subcommand: &str, pbf: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["--pbf", s(pbf), "--out", s(out), "--quiet"];
    args.extend_from_slice(extra);
    let r = run_subcommand(subcommand, &args);
    assert_eq!(r.code, Some(0), "lifecircle {subcommand} {args:?}:\n{}", r.stderr);
    assert!(r.stdout.is_empty(), "--quiet printed: {}", r.stdout);
}

/// `lifecircle report --isochrones --admin-level 8 --threads 2` on
/// Liechtenstein (about 10 s in a debug build), shared by the tests that run
/// at the same time; removed when the last of them is done.
fn liechtenstein_report() -> Arc<TempDir> {
    static SHARED: Mutex<Weak<TempDir>> = Mutex::new(Weak::new());
    let mut slot = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(dir) = slot.upgrade() {
        return dir;
    }
    let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    run_ok("report", &liechtenstein(), dir.path(), &["--isochrones", "--admin-level", "8", "--threads", "2"]);
    *slot = Arc::downgrade(&dir);
    dir
}

/// The map data the page carries (`<script id="lc-data" type="application/json">`).
fn page_data(html: &str) -> Value {
    serde_json::from_str(page_data_text(html)).expect("the page data is JSON")
}

/// The page's data element's text, as written.
fn page_data_text(html: &str) -> &str {
    let open = "<script id=\"lc-data\" type=\"application/json\">";
    let start = html.find(open).expect("the page has its data element") + open.len();
    let len = html[start..].find("</script>").expect("the data element is closed");
    &html[start..start + len]
}

/// The page loads nothing from elsewhere: no `<script src>`, no `<link>`, no remote `src`.
/// The page carries the PNG maps' CJK subset as an `@font-face` data URL, byte for byte.
fn assert_embedded_cjk_font(html: &str) {
    let start = html.find("font-family: \"LifecircleCJK\"; src: url(data:font/otf;base64,").expect("@font-face");
    let b64_start = html[start..].find("base64,").unwrap() + start + 7;
    let b64_len = html[b64_start..].find(')').unwrap();
    let decoded = decode_base64(&html[b64_start..b64_start + b64_len]);
    assert!(decoded == lifecircle::report::png::font::FONT_BYTES, "the embedded font is the PNG maps' subset");
}

/// RFC 4648 base64 with padding (test-side decoder, independent of the library's encoder).
fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let bytes = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let v: Vec<u32> = chunk.iter().map(|&c| u32::from(value(c))).collect();
        let n = v.iter().fold(0u32, |acc, x| (acc << 6) | x) << (6 * (4 - v.len()));
        out.extend(&n.to_be_bytes()[1..][..v.len() - 1]);
    }
    out
}

fn assert_self_contained(html: &str) {
    let lower = html.to_ascii_lowercase();
    for bad in ["<link", "src=\"http", "src='http", "@import"] {
        assert!(!lower.contains(bad), "the page contains {bad:?}");
    }
    let mut rest = lower.as_str();
    while let Some(i) = rest.find("<script") {
        let tag = &rest[i..i + rest[i..].find('>').expect("script tag closed")];
        assert!(!tag.contains("src="), "external script: {tag}");
        rest = &rest[i + tag.len()..];
    }
}

fn count(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// Every layer of the Liechtenstein page draws what the analysis found; the
/// language button switches the legend and panel to Chinese and back; the
/// attribution stays; the page is self-contained and listed with the outputs.
#[test]
fn liechtenstein_page_draws_every_layer_and_switches_language() {
    let dir = liechtenstein_report();
    let out = dir.path();
    assert_eq!(
        dir_entries(out),
        vec![
            "coverage.geojson",
            "coverage.qml",
            "coverage_areas.geojson",
            "coverage_areas.qml",
            "districts.csv",
            "districts.csvt",
            "districts.geojson",
            "districts.md",
            "districts.qml",
            "facilities.geojson",
            "facilities.qml",
            "isochrones.geojson",
            "isochrones.qml",
            "report.html",
            "run.json",
            "summary.json"
        ]
    );
    let page = out.join("report.html");
    let html = std::fs::read_to_string(&page).expect("report.html is UTF-8");
    assert!(html.len() < 20 << 20, "report.html is {} bytes", html.len());
    assert_self_contained(&html);
    assert!(html.contains("© OpenStreetMap contributors"));
    assert_embedded_cjk_font(&html);

    let Some(chromium) = browser::chromium() else { return };
    let t = chromium.selftest(&page);
    assert_eq!(t["font_faces"], serde_json::json!(["LifecircleCJK"]), "{}", t["font_faces"]);
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(t["errors"], Value::Array(vec![]), "{t:#}");
    let drawn = t["drawn"].as_object().expect("drawn");
    let cats = summary["categories"].as_array().expect("categories");
    assert_eq!(cats.len(), 4);

    // Exactly these layers, with these counts.
    let mut want = BTreeSet::from(["network".to_owned(), "homes".to_owned(), "service_15".into(), "districts".into()]);
    assert_eq!(count(&drawn["network"]), count(&summary["graph"]["edges"]));
    assert_eq!(count(&drawn["homes"]), count(&summary["homes"]["total"]));
    assert_eq!(count(&drawn["service_15"]), 0, "service areas are off by default");
    assert_eq!(count(&drawn["districts"]), count(&summary["districts"]["districts"]));
    assert!(count(&drawn["districts"]) > 0);
    for (c, cat) in cats.iter().enumerate() {
        let facilities = count(&cat["facilities"]);
        assert!(facilities > 0, "{} has facilities in Liechtenstein", cat["key"]);
        let key = format!("facilities_{c}");
        assert_eq!(count(&drawn[&key]), facilities, "{key}");
        want.insert(key);
        let key = format!("coverage_{c}_15");
        assert_eq!(count(&drawn[&key]), 1, "{key}");
        want.insert(key);
    }
    assert_eq!(drawn.keys().cloned().collect::<BTreeSet<_>>(), want, "layers drawn: {t:#}");
    // A pointer on a district (inside it, clear of markers) opens its tooltip, and on a facility
    // its name: no layer above may swallow the events.
    assert_eq!(t["hover"]["district"], true, "{:#}", t["hover"]);
    assert_eq!(t["hover"]["facility"], true, "{:#}", t["hover"]);
    assert_eq!(t["hover"]["hexagon"], Value::Null, "no hexagons in points mode");

    // Language: English, Chinese after the button, English again.
    assert_eq!(t["lang_before"], "en");
    assert_eq!(t["lang_after"], "zh");
    let (before, after, back) = (text(&t["legend_before"]), text(&t["legend_after"]), text(&t["legend_back"]));
    assert_ne!(before, after);
    assert_eq!(back, before);
    assert!(after.contains("图例"), "{after}");
    for cat in cats {
        let (en, zh) = (text(&cat["label_en"]), text(&cat["label_zh"]));
        assert!(before.contains(en), "{en:?} not in the English legend: {before}");
        assert!(after.contains(zh), "{zh:?} not in the Chinese legend: {after}");
        assert!(!after.contains(en), "{en:?} still in the Chinese legend: {after}");
    }
    assert!(text(&t["panel_after"]).contains("15分钟生活圈"), "{}", t["panel_after"]);
    assert_eq!(t["attribution"], "© OpenStreetMap contributors");
}

/// Luminance variance (0–255 scale) a screenshot of a map must exceed.
/// Measured at 1200×800: the Liechtenstein page 1,231; the same page with its
/// map panes hidden (panel and legend only) 820; the page with its script
/// removed 30; a blank page 0.
const MIN_VARIANCE: f64 = 500.0;
/// Pixels of a class's exact colour the homes must paint beyond what the page
/// shows without them (the legend's swatch, 88 pixels). Measured: 41 for "4 of
/// 4" (those homes cluster around Balzers' facilities, whose markers cover
/// most of them at this zoom), 1,830 for "0 of 4".
const MIN_HOME_PIXELS: usize = 10;

/// The "4 of 4" and "0 of 4" home classes (ColorBrewer RdYlGn ends).
const ALL_REACHED: [u8; 3] = [0x1a, 0x98, 0x50];
const NONE_REACHED: [u8; 3] = [0xd7, 0x30, 0x27];

/// A screenshot of the Liechtenstein page is a map (its luminance varies,
/// unlike a blank page's) with homes of the best and the worst class painted:
/// the page shows more pixels of each class's colour than the same page with
/// its homes pane hidden.
#[test]
fn liechtenstein_screenshot_shows_homes_of_the_best_and_worst_class() {
    let dir = liechtenstein_report();
    // Homes reaching all four categories and homes reaching none exist.
    let coverage = read_json(&dir.path().join("coverage.geojson"));
    let (mut all, mut none) = (0, 0);
    for f in coverage["features"].as_array().expect("features") {
        let p = f["properties"].as_object().expect("properties");
        let ok = p.iter().filter(|(k, v)| k.ends_with("_ok") && k.as_str() != "categories_ok" && **v == true).count();
        assert_eq!(count(&p["categories_ok"]), ok as u64, "{p:?}");
        all += usize::from(ok == 4);
        none += usize::from(ok == 0 && p["reachable"] == true);
    }
    assert!(all > 100 && none > 100, "homes reaching 4: {all}, 0: {none}");

    let Some(chromium) = browser::chromium() else { return };
    let shots = tempfile::tempdir().expect("temp dir");
    let shoot = |html: &Path, name: &str| {
        let png = shots.path().join(name);
        let console = chromium.screenshot(&file_url(html, ""), 1200, 800, &png);
        assert!(console.is_empty(), "{name}: the page logged to the console:\n{}", console.join("\n"));
        let shot = Screenshot::load(&png);
        assert_eq!((shot.width, shot.height), (1200, 800), "{name}");
        shot
    };
    let blank_html = shots.path().join("blank.html");
    std::fs::write(&blank_html, "<!DOCTYPE html><html><body style=\"margin:0;background:#fff\"></body></html>\n")
        .expect("write");
    let blank_variance = shoot(&blank_html, "blank.png").luminance_variance();
    let page = dir.path().join("report.html");
    let map = shoot(&page, "map.png");
    // The same page with the homes' pane hidden: what else shows the class colours.
    let html = std::fs::read_to_string(&page).expect("report.html");
    assert_eq!(html.matches("</head>").count(), 1);
    let no_homes_html = shots.path().join("no-homes.html");
    let hide = "<style>.leaflet-lcHomes-pane{display:none}</style></head>";
    std::fs::write(&no_homes_html, html.replace("</head>", hide)).expect("write");
    let no_homes = shoot(&no_homes_html, "no-homes.png");

    let variance = map.luminance_variance();
    let (green, red) = (map.count(ALL_REACHED), map.count(NONE_REACHED));
    let (green0, red0) = (no_homes.count(ALL_REACHED), no_homes.count(NONE_REACHED));
    eprintln!(
        "screenshot: luminance variance {variance:.1} (blank page {blank_variance:.1}); pixels of the 4-of-4 class \
         {green} ({green0} without homes), of the 0-of-4 class {red} ({red0} without homes)"
    );
    assert!(blank_variance < MIN_VARIANCE, "the blank page's variance {blank_variance} would pass as a map");
    assert!(variance > MIN_VARIANCE, "luminance variance {variance}: the page looks blank");
    assert!(green > 0 && red > 0, "no pixel of #1a9850 ({green}) or #d73027 ({red})");
    assert!(
        green >= green0 + MIN_HOME_PIXELS,
        "homes reaching 4 of 4 paint {green} - {green0} pixels of #1a9850 (legend and the rest: {green0})"
    );
    assert!(
        red >= red0 + MIN_HOME_PIXELS,
        "homes reaching 0 of 4 paint {red} - {red0} pixels of #d73027 (legend and the rest: {red0})"
    );
}

/// Distinct H3 cells (resolution `res`) of the homes in `coverage.geojson`.
fn h3_cells(coverage: &Value, res: u8) -> BTreeSet<u64> {
    let res = h3o::Resolution::try_from(res).expect("resolution");
    coverage["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| {
            let c = &f["geometry"]["coordinates"];
            let (lon, lat) = (c[0].as_f64().expect("lon"), c[1].as_f64().expect("lat"));
            u64::from(h3o::LatLng::new(lat, lon).expect("valid position").to_cell(res))
        })
        .collect()
}

/// Above `--report-hexagons-above` homes the page draws one hexagon per H3
/// cell of homes (recounted here with h3o) and says so in the legend; at or
/// below it, every home as a point.
#[test]
fn beijing_homes_as_hexagons_or_points() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (hex, points) = (dir.path().join("hex"), dir.path().join("points"));
    let pbf = beijing();
    run_ok("report", &pbf, &hex, &["--report-hexagons-above", "10", "--report-hexagon-resolution", "9"]);
    run_ok("report", &pbf, &points, &["--threads", "2"]);
    let summary = read_json(&hex.join("summary.json"));
    let homes = count(&summary["homes"]["total"]);
    let coverage = read_json(&hex.join("coverage.geojson"));
    assert_eq!(coverage["features"].as_array().expect("features").len() as u64, homes);
    let cells = h3_cells(&coverage, 9);
    assert!(homes > 10 && (cells.len() as u64) < homes, "{homes} homes in {} cells", cells.len());

    let hex_page = std::fs::read_to_string(hex.join("report.html")).expect("report.html");
    let data = page_data(&hex_page);
    assert_eq!(data["homes"]["mode"], "hex");
    assert_eq!(data["homes"]["resolution"], 9);
    let points_page = std::fs::read_to_string(points.join("report.html")).expect("report.html");
    assert_eq!(page_data(&points_page)["homes"]["mode"], "points");
    assert_self_contained(&hex_page);

    // "Above": exactly `homes` homes stay points, one fewer turns to hexagons;
    // another resolution gives another count of cells.
    let edge = dir.path().join("edge");
    let at = homes.to_string();
    run_ok("report", &pbf, &edge, &["--report-hexagons-above", &at]);
    let html = std::fs::read_to_string(edge.join("report.html")).expect("report.html");
    assert_eq!(page_data(&html)["homes"]["mode"], "points", "{homes} homes, --report-hexagons-above {homes}");
    let below = (homes - 1).to_string();
    run_ok("report", &pbf, &edge, &["--report-hexagons-above", &below, "--report-hexagon-resolution", "11"]);
    let data = page_data(&std::fs::read_to_string(edge.join("report.html")).expect("report.html"));
    assert_eq!(data["homes"]["mode"], "hex");
    assert_eq!(data["homes"]["cells"].as_array().expect("cells").len(), h3_cells(&coverage, 11).len());

    let Some(chromium) = browser::chromium() else { return };
    let t = chromium.selftest(&hex.join("report.html"));
    assert_eq!(t["errors"], Value::Array(vec![]), "{t:#}");
    assert_eq!(count(&t["drawn"]["hexagons"]), cells.len() as u64, "hexagons drawn vs H3 cells of the homes");
    assert!(t["drawn"].get("homes").is_none(), "no point layer in hexagon mode: {:#}", t["drawn"]);
    assert_eq!(t["hover"]["hexagon"], true, "a hexagon's tooltip opens: {:#}", t["hover"]);
    assert_eq!(t["hover"]["facility"], true, "{:#}", t["hover"]);
    assert_eq!(count(&t["drawn"]["network"]), count(&summary["graph"]["edges"]));
    let legend = text(&t["legend_before"]);
    assert!(legend.contains("hexagons") && legend.contains(&format!("{homes} homes")), "{legend}");
    assert!(text(&t["legend_after"]).contains("六边形"), "{}", t["legend_after"]);

    let t = chromium.selftest(&points.join("report.html"));
    assert_eq!(t["errors"], Value::Array(vec![]), "{t:#}");
    assert_eq!(count(&t["drawn"]["homes"]), homes);
    assert!(!text(&t["legend_before"]).contains("hexagons"), "{}", t["legend_before"]);
}

/// `site --report` draws the proposed sites on the page.
#[test]
fn site_report_draws_the_proposed_sites() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("sites");
    run_ok("site", &liechtenstein(), &out, &["--category", "childcare", "--add", "3", "--report", "--threads", "2"]);
    assert_eq!(
        dir_entries(&out),
        vec![
            "run.json",
            "sites-facilities.csv",
            "sites-facilities.csvt",
            "sites.geojson",
            "sites.html",
            "sites.md",
            "sites.qml"
        ]
    );
    let html = std::fs::read_to_string(out.join("sites.html")).expect("sites.html");
    assert_self_contained(&html);
    let data = page_data(&html);
    let picks = read_json(&out.join("sites.geojson"));
    let picks = picks["features"].as_array().expect("features");
    let sites = data["sites"]["sites"].as_array().expect("sites on the page");
    assert_eq!(sites.len(), 3);
    for (site, pick) in sites.iter().zip(picks) {
        assert_eq!(site["rank"], pick["properties"]["rank"], "{site} vs {pick}");
    }

    let Some(chromium) = browser::chromium() else { return };
    let t = chromium.selftest(&out.join("sites.html"));
    assert_eq!(t["errors"], Value::Array(vec![]), "{t:#}");
    assert_eq!(count(&t["drawn"]["sites"]), 3);
    assert!(text(&t["legend_before"]).contains("Proposed sites"), "{}", t["legend_before"]);
    assert!(text(&t["legend_after"]).contains("建议选址"), "{}", t["legend_after"]);
}

/// `site` without `--report` removes the page (`sites.html`) of an earlier `site --report` (it
/// would show other sites); a folder holds one run, so `analyze --report` then `site` leaves
/// only the site plan.
#[test]
fn site_without_report_removes_an_earlier_page() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("sites");
    let pbf = beijing();
    run_ok("site", &pbf, &out, &["--category", "childcare", "--add", "2", "--report"]);
    assert_eq!(
        dir_entries(&out),
        vec![
            "run.json",
            "sites-facilities.csv",
            "sites-facilities.csvt",
            "sites.geojson",
            "sites.html",
            "sites.md",
            "sites.qml"
        ]
    );
    run_ok("site", &pbf, &out, &["--category", "childcare", "--add", "1"]);
    assert_eq!(
        dir_entries(&out),
        vec!["run.json", "sites-facilities.csv", "sites-facilities.csvt", "sites.geojson", "sites.md", "sites.qml"]
    );
    run_ok("analyze", &pbf, &out, &["--report"]);
    assert!(out.join("report.html").is_file() && !out.join("sites.md").exists(), "{:?}", dir_entries(&out));
    run_ok("site", &pbf, &out, &["--category", "childcare", "--add", "1"]);
    assert_eq!(
        dir_entries(&out),
        vec!["run.json", "sites-facilities.csv", "sites-facilities.csvt", "sites.geojson", "sites.md", "sites.qml"]
    );
}

/// Over the page's data budget, single facilities' service areas are left out (and counted);
/// the category areas stay. Under it, all are in.
#[test]
fn service_areas_give_way_to_the_page_budget() {
    use lifecircle::analysis::IsochroneOptions;
    use lifecircle::isochrone::IsochroneParams;
    use lifecircle::report::html::{PageBudget, report_html_within};
    use lifecircle::report::{Labels, MapData, MapOptions};
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = crate::common::config(&beijing(), dir.path());
    config.isochrones = Some(IsochroneOptions { params: IsochroneParams::with_buffer(50.0), category: None });
    let a = lifecircle::run(&config).expect("analysis");
    let map = MapData::from_analysis(&a, None, &MapOptions::default());
    let facility_areas = map.areas.iter().filter(|a| a.facility.is_some()).count();
    let category_areas = map.areas.len() - facility_areas;
    assert!(facility_areas > 0 && category_areas > 0);
    let areas = |html: &str| -> (usize, usize, u64) {
        let d = page_data(html);
        let list = d["areas"].as_array().expect("areas");
        let single = list.iter().filter(|a| !a["f"].is_null()).count();
        (single, list.len() - single, count(&d["area_points_dropped"]))
    };
    let labels = Labels::builtin();
    let roomy = PageBudget { data_bytes: usize::MAX, ..PageBudget::default() };
    assert_eq!(areas(&report_html_within(&map, &labels, "t", roomy)), (facility_areas, category_areas, 0));
    let tight = PageBudget { data_bytes: 1000, ..PageBudget::default() };
    let (single, categories, dropped) = areas(&report_html_within(&map, &labels, "t", tight));
    assert_eq!((single, categories), (0, category_areas));
    assert!(dropped > 0);
}

/// Still over the budget without single service areas, hexagons get coarser, a resolution at a
/// time, with every home still counted.
#[test]
fn hexagons_coarsen_to_the_page_budget() {
    use lifecircle::report::html::{PageBudget, report_html_within};
    use lifecircle::report::{Labels, MapData, MapOptions};
    let dir = tempfile::tempdir().expect("temp dir");
    let config = crate::common::config(&beijing(), dir.path());
    let a = lifecircle::run(&config).expect("analysis");
    let map =
        MapData::from_analysis(&a, None, &MapOptions { hex_above: 0, hex_resolution: 11, ..MapOptions::default() });
    let labels = Labels::builtin();
    let html =
        |data_bytes: usize| report_html_within(&map, &labels, "t", PageBudget { data_bytes, ..PageBudget::default() });
    let page = |data_bytes: usize| page_data(&html(data_bytes));
    let roomy = page(usize::MAX);
    let roomy_cells = roomy["homes"]["cells"].as_array().expect("cells").len();
    assert_eq!(roomy["homes"]["resolution"], 11);
    let roomy_bytes = page_data_text(&html(usize::MAX)).len();
    // A budget the resolution-11 page misses: fewer, coarser cells, all homes kept.
    let tight = page(roomy_bytes - 1);
    let res = count(&tight["homes"]["resolution"]);
    let cells = tight["homes"]["cells"].as_array().expect("cells");
    assert!(res < 11 && cells.len() < roomy_cells, "resolution {res}, {} of {roomy_cells} cells", cells.len());
    let homes: u64 = cells.iter().map(|c| count(&c["homes"])).sum();
    assert_eq!(homes, a.homes.len() as u64);
    assert_eq!(count(&tight["homes"]["count"]), a.homes.len() as u64);
}

/// A network too large for its budget even simplified to 20 m is sent as one picture, drawn from
/// the same lines, when the picture is the smaller: a dense street grid (a city's worth of short
/// ways in one square kilometre) laid over the Beijing fixture. Sparse ways (the fixture's own)
/// stay lines at 20 m. The page counts every way as drawn once the picture has decoded.
#[test]
fn an_oversized_dense_network_becomes_a_picture() {
    use lifecircle::report::html::{PageBudget, report_html_within};
    use lifecircle::report::{Labels, MapData, MapOptions};
    let dir = tempfile::tempdir().expect("temp dir");
    let config = crate::common::config(&beijing(), dir.path());
    let a = lifecircle::run(&config).expect("analysis");
    let mut map = MapData::from_analysis(&a, None, &MapOptions::default());
    let labels = Labels::builtin();
    // Sparse: over a 100-byte budget the fixture's ways are lines at 20 m, not a picture.
    let sparse =
        page_data(&report_html_within(&map, &labels, "t", PageBudget { network_bytes: 100, ..PageBudget::default() }));
    assert!(sparse["network_image"].is_null());
    assert_eq!(sparse["network_simplified_m"], 20.0);
    assert_eq!(sparse["network"].as_array().expect("lines").len(), map.network.len());

    // Dense: 2 x 400 x 400 ways of a few metres over the fixture's box.
    let [w, s_, e, n] = map.bbox;
    let (dx, dy) = ((e - w) / 400.0, (n - s_) / 400.0);
    map.network = (0..400)
        .flat_map(|i| (0..400).map(move |j| (i, j)))
        .flat_map(|(i, j)| {
            let (x, y) = (w + i as f64 * dx, s_ + j as f64 * dy);
            [vec![[x, y], [x + dx, y]], vec![[x, y], [x, y + dy]]]
        })
        .collect();
    let edges = map.network.len() as u64;
    // A 1024-pixel picture keeps the test quick; the page's default is 4096.
    let html = report_html_within(
        &map,
        &labels,
        "t",
        PageBudget { network_bytes: 1_000_000, picture_px: 1024, ..PageBudget::default() },
    );
    let d = page_data(&html);
    let lines_sent = d["network"].as_array().expect("lines").len();
    assert_eq!(lines_sent, 0, "no lines when the picture is sent");
    assert_eq!(count(&d["network_edges"]), edges);
    assert!(d["network_image"].is_object(), "a picture");
    let url = text(&d["network_image"]["url"]);
    assert!(url.starts_with("data:image/png;base64,iVBORw0KGgo"), "a PNG data URL: {}", &url[..40.min(url.len())]);
    assert!(url.len() < 1_000_000, "the picture ({} bytes) is smaller than the budget the lines missed", url.len());
    let image_bbox: Vec<f64> =
        d["network_image"]["bbox"].as_array().expect("bbox").iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(image_bbox.len(), 4);
    for (got, want) in image_bbox.iter().zip(map.bbox) {
        assert!((got - want).abs() < 1e-9, "the picture covers its box: {image_bbox:?} vs {:?}", map.bbox);
    }
    // With room, lines and no picture.
    let roomy = page_data(&report_html_within(
        &map,
        &labels,
        "t",
        PageBudget { network_bytes: usize::MAX, ..PageBudget::default() },
    ));
    assert!(roomy["network_image"].is_null());
    assert_eq!(roomy["network"].as_array().expect("lines").len() as u64, edges);

    let Some(chromium) = browser::chromium() else { return };
    let page = dir.path().join("report.html");
    std::fs::write(&page, &html).expect("write the page");
    let (t, dom) = chromium.selftest_with_dom(&page);
    assert_eq!(t["errors"], Value::Array(vec![]), "{t:#}");
    assert_eq!(count(&t["drawn"]["network"]), edges, "the picture decoded: {:#}", t["drawn"]);
    assert!(dom.contains("drawn as one picture"), "the panel says the network is a picture");
}

/// `analyze --report` and `report`, with one thread or two, write the same page byte for byte.
#[test]
fn report_html_is_the_same_for_any_thread_count_and_subcommand() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pbf = beijing();
    let mut pages = Vec::new();
    for (subcommand, threads) in [("report", "1"), ("report", "2"), ("analyze", "1"), ("analyze", "2")] {
        let out = dir.path().join(format!("{subcommand}-{threads}"));
        let mut extra = vec!["--isochrones", "--threads", threads];
        if subcommand == "analyze" {
            extra.push("--report");
        }
        run_ok(subcommand, &pbf, &out, &extra);
        let page = std::fs::read(out.join("report.html")).expect("report.html");
        pages.push((format!("{subcommand} --threads {threads}"), page));
    }
    for (what, page) in &pages[1..] {
        assert!(*page == pages[0].1, "{what} wrote another report.html than {}", pages[0].0);
    }
}

/// Facility names are data, never markup: a name that closes the script
/// element does not break the page, and names survive intact.
#[test]
fn hostile_and_chinese_facility_names_do_not_break_the_page() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hostile = "</script><script>window.__pwned=1</script>";
    let csv = dir.path().join("facilities.csv");
    std::fs::write(
        &csv,
        format!("lon,lat,category,name\n116.3520,39.9610,grocery,{hostile}\n116.3530,39.9600,elder_canteen,老年食堂\n"),
    )
    .expect("write");
    let out = dir.path().join("out");
    run_ok("report", &beijing(), &out, &["--facilities", s(&csv), "--threads", "2"]);
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(!html.contains("</script><script>window.__pwned"), "the name is in the page unescaped");
    assert!(!html.to_ascii_lowercase().contains("<script>window.__pwned"));
    let data = page_data(&html);
    let names: Vec<&str> =
        data["facilities"].as_array().expect("facilities").iter().filter_map(|f| f["name"].as_str()).collect();
    assert!(names.contains(&hostile), "{names:?}");
    assert!(names.contains(&"老年食堂"), "{names:?}");

    let Some(chromium) = browser::chromium() else { return };
    let (t, dom) = chromium.selftest_with_dom(&out.join("report.html"));
    assert_eq!(t["errors"], Value::Array(vec![]), "{t:#}");
    assert!(!dom.contains("<script>window.__pwned"), "the name became a script element");
    let summary = read_json(&out.join("summary.json"));
    for (c, cat) in summary["categories"].as_array().expect("categories").iter().enumerate() {
        assert_eq!(t["drawn"][format!("facilities_{c}")], cat["facilities"], "{}", cat["key"]);
    }
    assert_eq!(summary["categories"][1]["key"], "elder_canteen");
    assert!(count(&summary["categories"][1]["facilities"]) >= 1);
}
