//! PNG maps (`report::png`, `lifecircle map`): the picture of the default
//! data through the CLI decoded and its colour histogram checked against the
//! legend (every colour in use is drawn in its exact RGB; a colour not in the
//! palette is absent), the CLI's bytes equal the library's, and a tiny
//! hand-built map for the attribution, determinism, languages, missing
//! glyphs, hexagons, one-category colouring, sites, districts and bad options;
//! bad CLI arguments exit 2 without writing the file.

use std::collections::HashMap;
use std::path::Path;

use geo::{LineString, MultiPolygon, Polygon};
use lifecircle::ErrorKind;
use lifecircle::report::hexbin::aggregate_homes;
use lifecircle::report::map_data::{
    HomesLayer, MapArea, MapCategory, MapDistrict, MapFacility, MapHome, MapSite, MapSites,
};
use lifecircle::report::png::{PngOptions, render_pixmap, render_png};
use lifecircle::report::{Labels, Lang, MapData, MapOptions, palette};
use tiny_skia::Pixmap;

use crate::cli::{assert_input_error, run_subcommand};
use crate::common::{config, dir_entries, liechtenstein};

type Rgb = [u8; 3];

const MAGENTA: Rgb = [0xff, 0x00, 0xff];

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Opaque pixels by colour (every pixel of a map is opaque).
fn histogram(pm: &Pixmap) -> HashMap<Rgb, usize> {
    let mut h = HashMap::new();
    for p in pm.pixels() {
        assert_eq!(p.alpha(), 255, "maps are opaque");
        *h.entry([p.red(), p.green(), p.blue()]).or_insert(0) += 1;
    }
    h
}

/// With `LIFECIRCLE_PNG_DUMP=DIR`, saves a picture there to look at.
fn dump(name: &str, pm: &Pixmap) {
    if let Some(dir) = std::env::var_os("LIFECIRCLE_PNG_DUMP") {
        pm.save_png(Path::new(&dir).join(format!("{name}.png"))).expect("save the picture");
    }
}

fn count(h: &HashMap<Rgb, usize>, c: Rgb) -> usize {
    h.get(&c).copied().unwrap_or(0)
}

/// Pixels that differ between two pictures of one size, within `x0..x1` × `y0..y1`.
fn differing(a: &Pixmap, b: &Pixmap, (x0, x1): (u32, u32), (y0, y1): (u32, u32)) -> usize {
    assert_eq!((a.width(), a.height()), (b.width(), b.height()));
    let mut n = 0;
    for y in y0..y1 {
        for x in x0..x1 {
            n += usize::from(a.pixel(x, y) != b.pixel(x, y));
        }
    }
    n
}

/// The colours a legend must show with something drawn in them: reach
/// classes with a home, categories with a facility, unreachable if any.
fn colours_in_use(map: &MapData) -> Vec<(String, Rgb)> {
    let n = map.categories.len();
    let classes = palette::reach_classes(n);
    let mut used = Vec::new();
    let HomesLayer::Points(homes) = &map.homes else { panic!("the default data has points") };
    for (k, colour) in classes.iter().enumerate() {
        if homes.iter().any(|h| h.reachable && h.reached() == k) {
            used.push((format!("homes reaching {k} of {n}"), *colour));
        }
    }
    if homes.iter().any(|h| !h.reachable) {
        used.push(("unreachable homes".to_string(), palette::UNREACHABLE));
    }
    for cat in map.categories.iter().filter(|c| c.facilities > 0) {
        used.push((format!("{} facilities", cat.key), cat.colour));
    }
    used
}

/// The CLI draws the default data in 800×600, with and without coverage
/// areas; every legend colour in use appears, magenta does not; the bytes equal the library's rendering of the
/// same analysis; and the colours come from the homes and facilities, not
/// only from the legend's swatches (a rendering without them has fewer).
#[test]
fn cli_map_of_the_default_data_shows_every_legend_colour() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plain = dir.path().join("map.png");
    let iso = dir.path().join("map-iso.png");
    let common = ["--quiet", "--threads", "2", "--width", "800", "--height", "600"];
    // One category's areas keep the debug-build test short (all four take seconds more).
    let with_areas = ["--png", s(&iso), "--isochrones", "--category", "elder_canteen"];
    let mut cfg = config(&liechtenstein(), dir.path());
    cfg.threads = Some(2);
    // The two CLI runs and the in-process analysis side by side.
    let (r1, r2, a) = std::thread::scope(|scope| {
        let plain_run = scope.spawn(|| run_subcommand("map", &[&["--png", s(&plain)][..], &common].concat()));
        let iso_run = scope.spawn(|| run_subcommand("map", &[&with_areas[..], &common].concat()));
        let a = lifecircle::analysis::with_threads(cfg.threads, || lifecircle::run(&cfg)).unwrap().expect("analysis");
        (plain_run.join().expect("thread"), iso_run.join().expect("thread"), a)
    });
    assert_eq!(r1.code, Some(0), "{}", r1.stderr);
    assert!(r1.stdout.is_empty(), "--quiet: {}", r1.stdout);
    assert_eq!(r1.stderr, "lifecircle: note: clinic: 1 of 14 facilities are more than 500 m from any walkable way\n");
    assert_eq!(r2.code, Some(0), "{}", r2.stderr);
    assert_eq!(dir_entries(dir.path()), ["map-iso.png", "map.png"], "no temporaries left");
    let map = MapData::from_analysis(&a, None, &MapOptions::default());
    let used = colours_in_use(&map);
    assert!(used.len() >= 6, "the default data uses several classes and categories: {used:?}");

    let bytes = std::fs::read(&plain).expect("map.png");
    let pm = Pixmap::decode_png(&bytes).expect("a PNG");
    assert_eq!((pm.width(), pm.height()), (800, 600));
    let opts = PngOptions { width_px: 800, height_px: 600, ..PngOptions::default() };
    let labels = Labels::builtin();
    assert!(bytes == render_png(&map, &labels, &opts).expect("render"), "the CLI's PNG is the library's");

    let iso_pm = Pixmap::decode_png(&std::fs::read(&iso).expect("map-iso.png")).expect("a PNG");
    assert_eq!((iso_pm.width(), iso_pm.height()), (800, 600));
    assert!(differing(&pm, &iso_pm, (0, 800), (0, 600)) > 2000, "--isochrones draws the coverage areas");

    // Without homes and facilities only the swatches keep their colours.
    let mut bare = map.clone();
    bare.homes = HomesLayer::Points(Vec::new());
    bare.facilities.clear();
    let base = histogram(&render_pixmap(&bare, &labels, &opts).expect("render"));
    for (what, pm) in [("map", &pm), ("isochrones map", &iso_pm)] {
        let h = histogram(pm);
        for (name, colour) in &used {
            let n = count(&h, *colour);
            assert!(n >= 20, "{what}: {name} {colour:02x?}: {n} pixels");
            let drawn = n.saturating_sub(count(&base, *colour));
            assert!(drawn >= 5, "{what}: {name} {colour:02x?}: {drawn} pixels beyond the legend's");
        }
        assert_eq!(count(&h, MAGENTA), 0, "{what}: magenta is in no palette");
    }
}

fn category(key: &str, c: usize, facilities: usize) -> MapCategory {
    MapCategory {
        key: key.to_string(),
        label_en: format!("{key} label"),
        label_zh: ["便民商超", "社区卫生服务", "托育/幼儿园"][c % 3].to_string(),
        colour: palette::category(c),
        facilities,
        threshold: "15".to_string(),
    }
}

fn home(lon: f64, lat: f64, mask: u64, reachable: bool) -> MapHome {
    MapHome { lonlat: [lon, lat], population: 1.0, reached_mask: mask, reachable, minutes: vec![] }
}

fn square(w: f64, s: f64, e: f64, n: f64) -> MultiPolygon<f64> {
    let ring = LineString::from(vec![(w, s), (e, s), (e, n), (w, n), (w, s)]);
    MultiPolygon(vec![Polygon::new(ring, vec![])])
}

/// A street grid of about 2 × 1.5 km at 47.14°N with two categories,
/// homes reaching 0, 1 and 2 of them and one not on the network.
fn tiny_map() -> MapData {
    let (w, s, e, n) = (9.50, 47.13, 9.53, 47.145);
    let mut network = Vec::new();
    for i in 0..=6 {
        let x = w + (e - w) * i as f64 / 6.0;
        network.push(vec![[x, s], [x, n]]);
        let y = s + (n - s) * i as f64 / 6.0;
        network.push(vec![[w, y], [e, y]]);
    }
    let mut homes = Vec::new();
    for i in 0..30 {
        for j in 0..20 {
            let (lon, lat) = (w + 0.001 * i as f64, s + 0.00075 * j as f64);
            let mask = [0b00, 0b01, 0b10, 0b11][(i / 8) % 4];
            homes.push(home(lon, lat, mask, true));
        }
    }
    homes.push(home(9.528, 47.144, 0, false));
    MapData {
        bbox: [w, s, e, n],
        categories: vec![category("grocery", 0, 2), category("clinic", 1, 1)],
        tiers: false,
        network,
        homes: HomesLayer::Points(homes),
        facilities: vec![
            MapFacility { id: "node/1".into(), category: 0, name: None, lonlat: [9.505, 47.135] },
            MapFacility { id: "node/2".into(), category: 0, name: Some("超市".into()), lonlat: [9.52, 47.14] },
            MapFacility { id: "node/3".into(), category: 1, name: None, lonlat: [9.515, 47.137] },
        ],
        areas: vec![
            MapArea {
                category: 0,
                threshold: "15".into(),
                facility: None,
                polygon: square(9.502, 47.132, 9.515, 47.14),
            },
            // Not the main threshold: not drawn.
            MapArea { category: 1, threshold: "10".into(), facility: None, polygon: square(9.51, 47.13, 9.52, 47.14) },
        ],
        facility_area_points_dropped: 0,
        districts: vec![],
        outside: None,
        targets: vec![],
        rules: vec![],
        sites: None,
        summary: Default::default(),
    }
}

fn opts(w: u32, h: u32) -> PngOptions {
    PngOptions { width_px: w, height_px: h, ..PngOptions::default() }
}

/// The attribution sits on a white box at the bottom right: dark text
/// pixels on white, where the map draws nothing.
#[test]
fn attribution_is_drawn_bottom_right_on_white() {
    let pm = render_pixmap(&tiny_map(), &Labels::builtin(), &opts(640, 480)).expect("render");
    let (mut dark, mut white) = (0, 0);
    for y in 430..480 {
        for x in 420..640 {
            let p = pm.pixel(x, y).expect("inside");
            let max = p.red().max(p.green()).max(p.blue());
            dark += usize::from(max < 110);
            white += usize::from([p.red(), p.green(), p.blue()] == [255, 255, 255]);
        }
    }
    assert!(dark >= 80, "attribution text: {dark} dark pixels");
    assert!(white >= 1500, "its white box: {white} white pixels");
    // In Chinese too (the attribution is the same text).
    let zh = PngOptions { lang: Lang::Zh, ..opts(640, 480) };
    let pz = render_pixmap(&tiny_map(), &Labels::builtin(), &zh).expect("render");
    assert_eq!(differing(&pm, &pz, (420, 640), (430, 480)), 0);
}

#[test]
fn same_map_and_options_give_the_same_bytes() {
    let map = tiny_map();
    let labels = Labels::builtin();
    let a = render_png(&map, &labels, &opts(500, 400)).expect("render");
    let b = render_png(&map.clone(), &labels, &opts(500, 400)).expect("render");
    assert!(a == b, "two renders differ");
    assert_eq!(&a[..8], b"\x89PNG\r\n\x1a\n");
    let pm = Pixmap::decode_png(&a).expect("decodes");
    assert_eq!((pm.width(), pm.height()), (500, 400));
    assert!(a != render_png(&map, &labels, &opts(500, 401)).expect("render"));
}

/// Chinese labels change the legend's pixels (and the title's); the map itself is the same.
#[test]
fn chinese_legend_differs_from_english() {
    let map = tiny_map();
    let labels = Labels::builtin();
    let en = render_pixmap(&map, &labels, &opts(900, 500)).expect("render");
    let zh = render_pixmap(&map, &labels, &PngOptions { lang: Lang::Zh, ..opts(900, 500) }).expect("render");
    // The map is wider than tall here, so the legend is a panel at the right.
    let legend = differing(&en, &zh, (600, 900), (60, 420));
    assert!(legend > 500, "legend pixels differing: {legend}");
    assert!(differing(&en, &zh, (0, 300), (0, 50)) > 200, "title");
}

/// Homes coloured for one category use only its two colours; by count, every class in use.
#[test]
fn one_category_colours_homes_covered_or_not() {
    let map = tiny_map();
    let labels = Labels::builtin();
    let classes = palette::reach_classes(2);
    let all = histogram(&render_pixmap(&map, &labels, &opts(800, 600)).expect("render"));
    for c in &classes {
        assert!(count(&all, *c) > 200, "{c:02x?}: {}", count(&all, *c));
    }
    assert!(count(&all, palette::UNREACHABLE) >= 20, "the unreachable home and its swatch");
    let one =
        histogram(&render_pixmap(&map, &labels, &PngOptions { category: Some(1), ..opts(800, 600) }).expect("render"));
    assert_eq!(count(&one, classes[1]), 0, "no middle class when colouring by one category");
    assert!(count(&one, classes[0]) > 200 && count(&one, classes[2]) > 200);
    let err = render_pixmap(&map, &labels, &PngOptions { category: Some(2), ..opts(800, 600) }).expect_err("range");
    assert!(err.to_string().contains("--colour-by"), "{err}");
}

/// The unreachable swatch (and colour) is there only when some home is
/// unreachable. The grey also occurs in anti-aliased text, so the counts are compared.
#[test]
fn unreachable_swatch_only_when_a_home_is_unreachable() {
    let with = tiny_map();
    let mut without = tiny_map();
    let HomesLayer::Points(homes) = &mut without.homes else { unreachable!() };
    homes.retain(|h| h.reachable);
    let labels = Labels::builtin();
    let a = count(&histogram(&render_pixmap(&with, &labels, &opts(800, 600)).expect("render")), palette::UNREACHABLE);
    let b =
        count(&histogram(&render_pixmap(&without, &labels, &opts(800, 600)).expect("render")), palette::UNREACHABLE);
    assert!(a >= b + 100, "with an unreachable home {a} pixels, without {b}");
    assert!(b < 40, "only text edges: {b}");
}

/// A character missing from the font is drawn (as a box) without a panic,
/// and differs from the text without it.
#[test]
fn missing_glyphs_do_not_panic() {
    let labels = Labels::builtin();
    let plain = render_pixmap(&tiny_map(), &labels, &opts(800, 600)).expect("render");
    let mut map = tiny_map();
    map.categories[0].label_en = "grocery label \u{1F6B2}\u{10FFFF}\u{0}\u{200B}".to_string();
    map.categories[1].label_zh = "\u{2603}\u{20000}".to_string();
    let pm = render_pixmap(&map, &labels, &opts(800, 600)).expect("render");
    dump("missing-glyphs", &pm);
    assert!(differing(&plain, &pm, (0, 800), (0, 600)) > 20, "the boxes are drawn");
    render_pixmap(&map, &labels, &PngOptions { lang: Lang::Zh, ..opts(800, 600) }).expect("render");
}

#[test]
fn bad_sizes_and_boxes_are_parameter_errors() {
    let map = tiny_map();
    let labels = Labels::builtin();
    let bad = |o: PngOptions, name: &str| {
        let e = render_png(&map, &labels, &o).expect_err(name);
        assert!(matches!(e.kind(), ErrorKind::InvalidParameter { .. }), "{e}");
        assert!(e.is_input_error());
        assert!(e.to_string().starts_with(name), "{name}: {e}");
        assert!(o.validate().is_err() || name == "--colour-by");
    };
    bad(opts(63, 400), "--width");
    bad(opts(0, 400), "--width");
    bad(opts(400, 10_001), "--height");
    for b in [
        [9.53, 47.13, 9.50, 47.145],
        [9.50, 47.145, 9.53, 47.13],
        [9.50, 47.13, 9.50, 47.145],
        [f64::NAN, 47.13, 9.53, 47.145],
        [9.50, 47.13, f64::INFINITY, 47.145],
        [9.50, -89.0, 9.53, 47.145],
        [9.50, 47.13, 9.53, 86.0],
        [-190.0, 47.13, 9.53, 47.145],
    ] {
        bad(PngOptions { bbox: Some(b), ..opts(400, 300) }, "--bbox");
    }
    bad(PngOptions { category: Some(9), ..opts(400, 300) }, "--colour-by");
    // The smallest size, extreme aspects and a user box far from the data still draw.
    for o in [
        opts(64, 64),
        opts(2000, 64),
        opts(64, 1500),
        PngOptions { bbox: Some([9.5149, 47.1399, 9.5151, 47.1401]), ..opts(400, 300) },
        PngOptions { bbox: Some([-10.0, -10.0, 10.0, 10.0]), ..opts(400, 300) },
        PngOptions { bbox: Some([-180.0, -85.0, 180.0, 85.0]), ..opts(400, 300) },
    ] {
        let pm = render_pixmap(&map, &labels, &o).expect("draws");
        dump(&format!("size-{}x{}-{:?}", o.width_px, o.height_px, o.bbox.map(|b| b[0])), &pm);
        assert_eq!((pm.width(), pm.height()), (o.width_px, o.height_px));
    }
    // A map with nothing in it (its box a single point) still draws.
    let mut empty = tiny_map();
    empty.bbox = [0.0, 0.0, 0.0, 0.0];
    empty.network.clear();
    empty.homes = HomesLayer::Points(vec![]);
    empty.facilities.clear();
    empty.areas.clear();
    empty.categories.clear();
    render_png(&empty, &labels, &opts(300, 200)).expect("draws");
}

/// Hexagons in their class colours, districts, coverage areas on and off,
/// sites in their colour.
#[test]
fn hexagons_districts_areas_and_sites_are_drawn() {
    let labels = Labels::builtin();
    let mut map = tiny_map();
    let HomesLayer::Points(homes) = &map.homes else { unreachable!() };
    let cells = aggregate_homes(homes, 2, 9);
    let n = homes.len();
    map.homes = HomesLayer::Hexagons { homes: n, resolution: 9, cells };
    map.districts = vec![MapDistrict { key: "A".into(), shape: square(9.501, 47.131, 9.529, 47.144), row: None }];
    map.sites = Some(MapSites {
        category: 1,
        sites: vec![MapSite {
            rank: 1,
            id: "n1".into(),
            lonlat: [9.525, 47.142],
            homes_gained: 10,
            population_gained: 10.0,
        }],
    });
    let pm = render_pixmap(&map, &labels, &opts(800, 600)).expect("render");
    dump("hexagons", &pm);
    dump("hexagons-zh", &render_pixmap(&map, &labels, &PngOptions { lang: Lang::Zh, ..opts(800, 600) }).expect("zh"));
    let h = histogram(&pm);
    let classes = palette::reach_classes(2);
    let cells_in = |k: usize| {
        let HomesLayer::Hexagons { cells, .. } = &map.homes else { unreachable!() };
        cells.iter().filter(|c| c.unreachable < c.homes && c.mean_reached.round() as usize == k).count()
    };
    for (k, c) in classes.iter().enumerate() {
        if cells_in(k) > 0 {
            assert!(count(&h, *c) > 500, "class {k}: {} pixels", count(&h, *c));
        }
    }
    assert!(count(&h, palette::SITE) >= 30, "the site and its swatch: {}", count(&h, palette::SITE));
    let no_areas = render_pixmap(&map, &labels, &PngOptions { areas: false, ..opts(800, 600) }).expect("render");
    assert!(differing(&pm, &no_areas, (0, 800), (0, 600)) > 500, "the coverage area is drawn");
    let mut no_districts = map.clone();
    no_districts.districts.clear();
    let nd = render_pixmap(&no_districts, &labels, &opts(800, 600)).expect("render");
    assert!(differing(&pm, &nd, (0, 800), (0, 600)) > 100, "the district outline is drawn");
}

/// Bad arguments: exit 2, one error line naming the flag, no PNG written.
#[test]
fn cli_bad_arguments_exit_2_without_writing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let png = dir.path().join("map.png");
    let pbf = liechtenstein();
    for (args, names) in [
        (&["--bbox", "9.4,47.0,9.7"][..], &["--bbox", "4 numbers"][..]),
        (&["--bbox", "9.7,47.0,9.4,47.3"], &["--bbox", "west"]),
        (&["--bbox", "9.4,47.3,9.7,47.0"], &["--bbox", "south"]),
        (&["--bbox", "9.4,-88,9.7,47.0"], &["--bbox", "85"]),
        (&["--lang", "xx"], &["--lang", "xx"]),
        (&["--colour-by", "bakery"], &["--colour-by", "bakery", "grocery"]),
        (&["--width", "10"], &["--width", "10"]),
        (&["--height", "20000"], &["--height"]),
    ] {
        let mut all = vec!["--pbf", s(&pbf), "--png", s(&png), "--quiet"];
        all.extend_from_slice(args);
        let r = run_subcommand("map", &all);
        assert_input_error(&r, dir.path(), names, &format!("{args:?}"));
        assert!(!png.exists(), "{args:?}: the PNG must not be written");
    }
    // A folder that does not exist: exit 2, nothing written.
    let missing = dir.path().join("no/such/dir/map.png");
    let r = run_subcommand("map", &["--pbf", s(&pbf), "--png", s(&missing), "--quiet", "--threads", "2"]);
    assert_input_error(&r, dir.path(), &["--png", "no/such/dir"], "missing folder");
    assert!(!r.stderr.contains("map.png.tmp"), "the error names the user's path, not a temporary: {}", r.stderr);
}

/// Without --quiet the command says what it wrote.
#[test]
fn cli_says_what_it_wrote() {
    let dir = tempfile::tempdir().expect("temp dir");
    let png = dir.path().join("zh.png");
    let r = run_subcommand(
        "map",
        &["--png", s(&png), "--lang", "zh", "--colour-by", "clinic", "--width", "640", "--height", "480"],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.stdout.trim_end(), format!("wrote {}", png.display()));
    let pm = Pixmap::decode_png(&std::fs::read(&png).expect("written")).expect("a PNG");
    assert_eq!((pm.width(), pm.height()), (640, 480));
}

/// A category label in characters the embedded font lacks (a user's own taxonomy) draws as
/// boxes and `map` says which characters; the built-in labels draw without a warning.
#[test]
fn cli_warns_about_labels_the_font_cannot_draw() {
    let dir = tempfile::tempdir().expect("temp dir");
    let taxonomy = dir.path().join("taxonomy.toml");
    let builtin = std::fs::read_to_string(crate::common::repo_file("data/taxonomy.toml")).expect("taxonomy");
    let thai = builtin.replacen("label_en = \"Groceries\"", "label_en = \"ร้านชำ\"", 1);
    assert_ne!(thai, builtin, "the built-in taxonomy names groceries \"Groceries\"");
    std::fs::write(&taxonomy, thai).expect("write taxonomy");
    let png = dir.path().join("thai.png");
    let args = ["--png", s(&png), "--taxonomy", s(&taxonomy), "--width", "400", "--height", "300", "--threads", "2"];
    let r = run_subcommand("map", &args);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(png.is_file());
    assert!(r.stderr.contains("no glyph") && r.stderr.contains('ร'), "{}", r.stderr);
    let plain = dir.path().join("plain.png");
    let r = run_subcommand("map", &["--png", s(&plain), "--width", "400", "--height", "300", "--threads", "2"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(!r.stderr.contains("no glyph"), "{}", r.stderr);
}
