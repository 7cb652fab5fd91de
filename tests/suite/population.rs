//! Homes from a population grid (`--population FILE.tif`): the fixture
//! rasters of `tests/fixtures/raster/` (made by `make_rasters.py` there) read
//! cell by cell against values worked out by hand or from the script's
//! formula, in EPSG:4326 and in ESRI:54009 Mollweide (cell centres from an
//! independent inverse), with nodata, PixelIsPoint, clipping and weights; the
//! Nanjing extract, whose OSM buildings leave much of the grid's population
//! without a home, with the grid's people as homes; bad files.

use std::f64::consts::{PI, SQRT_2};
use std::path::{Path, PathBuf};

use lifecircle::io::raster::{LonLatBox, PopulationCell, RasterCrs, read_population};
use serde_json::Value;

use crate::cli::{assert_input_error, run_subcommand};
use crate::common::{nanjing, read_json, repo_file};
use crate::policy::{s, street};

fn raster(name: &str) -> PathBuf {
    repo_file(&format!("tests/fixtures/raster/{name}"))
}

const WORLD: LonLatBox = LonLatBox { west: -180.0, south: -90.0, east: 180.0, north: 90.0 };

fn read(name: &str, crs: Option<RasterCrs>, area: LonLatBox) -> Vec<PopulationCell> {
    read_population(&raster(name), crs, area).unwrap_or_else(|e| panic!("{name}: {e}")).0
}

fn close(a: [f64; 2], b: [f64; 2], tol: f64) -> bool {
    (a[0] - b[0]).abs() < tol && (a[1] - b[1]).abs() < tol
}

/// 3 × 2 int16 cells at 0.001°, PixelIsPoint (the tie point is the first cell's centre), values
/// `[5, nodata, 7; 0, 11, 13]`: four homes, by hand.
#[test]
fn pixel_is_point_int16_grid_by_hand() {
    let (cells, report) = read_population(&raster("equator-pop-point.tif"), None, WORLD).unwrap();
    let got: Vec<(u32, u32, [f64; 2], f64)> = cells.iter().map(|c| (c.row, c.col, c.lonlat, c.population)).collect();
    let want = [
        (0, 0, [0.0, 0.001], 5.0),
        (0, 2, [0.002, 0.001], 7.0),
        (1, 1, [0.001, 0.0], 11.0),
        (1, 2, [0.002, 0.0], 13.0),
    ];
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (g, w) in got.iter().zip(want) {
        assert!(g.0 == w.0 && g.1 == w.1 && close(g.2, w.2, 1e-12) && g.3 == w.3, "{g:?} vs {w:?}");
    }
    assert_eq!((report.cells_in_area, report.cells_populated, report.cells_nodata, report.cells_empty), (6, 4, 1, 1));
    assert_eq!((report.population, report.crs.as_str()), (36.0, "EPSG:4326"));
    // Clipped: only the centres inside the box (lon >= 0.0015 holds column 2).
    let east = LonLatBox { west: 0.0015, south: -1.0, east: 1.0, north: 1.0 };
    let cols: Vec<u32> = read("equator-pop-point.tif", None, east).iter().map(|c| c.col).collect();
    assert_eq!(cols, [2, 2]);
    let away = LonLatBox { west: 10.0, south: 10.0, east: 11.0, north: 11.0 };
    assert!(read("equator-pop-point.tif", None, away).is_empty());
}

/// Without GeoKeys the grid needs `--population-crs`; given, the cells are PixelIsArea
/// (centres half a cell in from the tie point).
#[test]
fn a_grid_without_keys_needs_its_crs() {
    let e = read_population(&raster("no-georef.tif"), None, WORLD).unwrap_err().to_string();
    assert!(e.contains("no-georef.tif") && e.contains("--population-crs"), "{e}");
    let cells = read("no-georef.tif", Some(RasterCrs::Wgs84), WORLD);
    let got: Vec<([f64; 2], f64)> = cells.iter().map(|c| (c.lonlat, c.population)).collect();
    let want = [([0.0005, 0.0005], 5.0), ([0.0025, 0.0005], 7.0), ([0.0015, -0.0005], 11.0), ([0.0025, -0.0005], 13.0)];
    assert_eq!(got.len(), 4);
    for (g, w) in got.iter().zip(want) {
        assert!(close(g.0, w.0, 1e-12) && g.1 == w.1, "{g:?} vs {w:?}");
    }
}

/// The WorldPop-style grid holds the 12 cells of `nanjing-population-grid.tsv` (its blank cell
/// as nodata): same centres, same people.
#[test]
fn wgs84_grid_matches_its_table() {
    let text = std::fs::read_to_string(repo_file("tests/fixtures/points/nanjing-population-grid.tsv")).unwrap();
    let mut want: Vec<([f64; 2], f64)> = Vec::new();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let pop = cols.get(3).map(|p| p.trim()).filter(|p| !p.is_empty());
        if let Some(p) = pop {
            want.push(([cols[1].parse().unwrap(), cols[2].parse().unwrap()], p.parse().unwrap()));
        }
    }
    assert_eq!(want.len(), 11);
    let (cells, report) = read_population(&raster("nanjing-pop-4326.tif"), None, WORLD).unwrap();
    assert_eq!((report.cells_in_area, report.cells_nodata, cells.len()), (12, 1, 11));
    for (lonlat, pop) in &want {
        let c = cells.iter().find(|c| close(c.lonlat, *lonlat, 1e-9)).unwrap_or_else(|| panic!("{lonlat:?}"));
        assert!((c.population - pop).abs() < 1e-3 * pop.max(1.0), "{lonlat:?}: {} vs {pop}", c.population);
    }
    // Clipping to a box holding the centres lon 118.780–118.785, lat 32.040–32.045.
    let area = LonLatBox { west: 118.7775, south: 32.0375, east: 118.7875, north: 32.0475 };
    let inside = read("nanjing-pop-4326.tif", None, area);
    let expect = want.iter().filter(|(p, _)| area.contains(*p)).count();
    assert_eq!(inside.len(), expect);
    assert!(inside.iter().all(|c| area.contains(c.lonlat)));
}

/// ESRI:54009 on the sphere of radius 6,378,137 m, inverse in closed form (written out here).
fn mollweide_inverse([x, y]: [f64; 2]) -> [f64; 2] {
    let r = 6_378_137.0;
    let theta = (y / (r * SQRT_2)).asin();
    let lat = ((2.0 * theta + (2.0 * theta).sin()) / PI).asin();
    let lon = PI * x / (2.0 * SQRT_2 * r * theta.cos());
    [lon.to_degrees(), lat.to_degrees()]
}

/// The GHSL-style grid (Mollweide, 100 m, tiled, deflate, float64): every cell read has the
/// centre the script placed it at (from the file's own tie point, read here with the tiff
/// crate) and the people the script's formula gives; the nodata column and the empty square
/// give no home; the box clips.
#[test]
fn mollweide_grid_cells_against_the_scripts_formula() {
    use tiff::decoder::Decoder;
    use tiff::tags::Tag;
    let path = raster("nanjing-pop-mollweide.tif");
    let mut dec = Decoder::new(std::fs::File::open(&path).unwrap()).unwrap();
    let (w, h) = dec.dimensions().unwrap();
    let tie = dec.get_tag_f64_vec(Tag::ModelTiepointTag).unwrap();
    let scale = dec.get_tag_f64_vec(Tag::ModelPixelScaleTag).unwrap();
    assert_eq!((scale[0], scale[1]), (100.0, 100.0));
    let (x0, y0) = (tie[3], tie[4]);
    let people = |r: u32, c: u32| -> Option<f64> {
        let (r, c, w, h) = (f64::from(r), f64::from(c), f64::from(w), f64::from(h));
        if c == 7.0 {
            return None;
        }
        if (10.0..14.0).contains(&c) && (5.0..9.0).contains(&r) {
            return Some(0.0);
        }
        let bump = (-(((c - w / 2.0) / (w / 3.0)).powi(2) + ((r - h / 2.0) / (h / 3.0)).powi(2))).exp();
        let v = 20.0 + 180.0 * bump + ((c as u64 * 7 + r as u64 * 13) % 11) as f64;
        Some((v * 1000.0).round() / 1000.0)
    };
    let (cells, report) = read_population(&path, None, WORLD).unwrap();
    assert_eq!(report.crs, "ESRI:54009");
    assert_eq!(report.cells_in_area, u64::from(w) * u64::from(h));
    assert_eq!(report.cells_nodata, u64::from(h));
    assert_eq!(report.cells_empty, 16);
    assert_eq!(cells.len() as u64, report.cells_in_area - u64::from(h) - 16);
    let mut total = 0.0;
    for c in &cells {
        let centre = [x0 + (f64::from(c.col) + 0.5) * 100.0, y0 - (f64::from(c.row) + 0.5) * 100.0];
        assert!(close(c.lonlat, mollweide_inverse(centre), 1e-9), "{c:?}");
        assert_eq!(Some(c.population), people(c.row, c.col), "{c:?}");
        total += c.population;
    }
    assert!((report.population - total).abs() < 1e-6);
    // Clipped to the Xinjiekou core: exactly the cells whose centre is in the box.
    let area = LonLatBox { west: 118.775, south: 32.035, east: 118.785, north: 32.045 };
    let inside = read("nanjing-pop-mollweide.tif", None, area);
    let expect: Vec<(u32, u32)> = (0..h)
        .flat_map(|r| (0..w).map(move |c| (r, c)))
        .filter(|&(r, c)| people(r, c).is_some_and(|p| p > 0.0))
        .filter(|&(r, c)| {
            area.contains(mollweide_inverse([x0 + (f64::from(c) + 0.5) * 100.0, y0 - (f64::from(r) + 0.5) * 100.0]))
        })
        .collect();
    assert!(!expect.is_empty() && expect.len() < cells.len());
    assert_eq!(inside.iter().map(|c| (c.row, c.col)).collect::<Vec<_>>(), expect);
}

/// Weights on a street (15 min = 1125 m, childcare at lon 0.010): the four cells of
/// `equator-pop-point.tif` walk 0.010 + 0.001 (5 people, 1223 m: out), 0.009 (11: 1001 m),
/// 0.008 + 0.001 (7: 1001 m) and 0.008 (13: 890 m): 3 of 4 homes, 31 of 36 people. A spur
/// north at lon 0.02 makes the network's box (the extract's, to which the grid is clipped)
/// hold the cells at lat 0.001.
#[test]
fn grid_homes_weigh_by_their_people() {
    let dir = tempfile::tempdir().unwrap();
    let pbf = dir.path().join("street.osm.pbf");
    let mut w = street(&[0.03], &[(0.010, vec![("amenity", "childcare")])]);
    w.node(70, [0.02, 0.002], &[]).way(2, &[21, 70], &[("highway", "footway")]);
    w.write(&pbf);
    // Without the spur the box is the street's line: the cells at lat 0.001 lie outside it.
    let flat = dir.path().join("flat.osm.pbf");
    street(&[0.03], &[(0.010, vec![("amenity", "childcare")])]).write(&flat);
    let out_flat = dir.path().join("flat");
    let grid = raster("equator-pop-point.tif");
    let r = run_subcommand("analyze", &["--pbf", s(&flat), "--out", s(&out_flat), "--population", s(&grid), "--quiet"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(read_json(&out_flat.join("summary.json"))["homes"]["population"], 24.0, "11 + 13 on the line");
    let out = dir.path().join("out");
    let r = run_subcommand("analyze", &["--pbf", s(&pbf), "--out", s(&out), "--population", s(&grid), "--quiet"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["homes"]["total"], 4, "the OSM house is replaced");
    assert_eq!(summary["homes"]["population"], 36.0);
    let child = summary["categories"].as_array().unwrap().iter().find(|c| c["key"] == "childcare").unwrap();
    assert_eq!(child["share_covered"], 0.75);
    assert!((child["share_covered_population"].as_f64().unwrap() - 31.0 / 36.0).abs() < 1e-12, "{child}");
    assert_eq!(summary["inputs"]["population"]["cells_populated"], 4, "{}", summary["inputs"]);
    // --population-mode add keeps the OSM house too (one person).
    let out2 = dir.path().join("add");
    let r = run_subcommand(
        "analyze",
        &["--pbf", s(&pbf), "--out", s(&out2), "--population", s(&grid), "--population-mode", "add", "--quiet"],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let summary = read_json(&out2.join("summary.json"));
    assert_eq!((summary["homes"]["total"].clone(), summary["homes"]["population"].clone()), (5.into(), 37.0.into()));
}

/// The Nanjing extract (real OSM, Xinjiekou) with the Mollweide grid (synthetic people over the
/// same ground): many populated cells hold no OSM home building, so OSM's homes leave their
/// people out; with `--population` every populated cell within the extract's network is a home
/// weighted by its people, and the population shares are recounted here from `coverage.geojson`.
#[test]
fn nanjing_population_where_osm_has_no_buildings() {
    let dir = tempfile::tempdir().unwrap();
    let (osm, pop) = (dir.path().join("osm"), dir.path().join("pop"));
    let grid = raster("nanjing-pop-mollweide.tif");
    let pbf = nanjing();
    for (out, extra) in [(&osm, vec![]), (&pop, vec!["--population", s(&grid)])] {
        let mut args = vec!["--pbf", s(&pbf), "--out", s(out), "--quiet"];
        args.extend(extra);
        let r = run_subcommand("analyze", &args);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
    }
    let homes =
        |dir: &Path| -> Vec<Value> { read_json(&dir.join("coverage.geojson"))["features"].as_array().unwrap().clone() };
    let lonlat = |f: &Value| {
        [f["geometry"]["coordinates"][0].as_f64().unwrap(), f["geometry"]["coordinates"][1].as_f64().unwrap()]
    };
    let osm_homes: Vec<[f64; 2]> = homes(&osm).iter().map(lonlat).collect();
    let cells = homes(&pop);
    let summary = read_json(&pop.join("summary.json"));
    let report = &summary["inputs"]["population"];
    assert_eq!(cells.len() as u64, report["cells_populated"].as_u64().unwrap());
    // Cells (100 m, about 0.00106° × 0.0009° here) with no OSM home within half a cell.
    let empty_of_osm: Vec<&Value> = cells
        .iter()
        .filter(|f| {
            let c = lonlat(f);
            !osm_homes.iter().any(|h| (h[0] - c[0]).abs() <= 0.00053 && (h[1] - c[1]).abs() <= 0.00045)
        })
        .collect();
    let people = |fs: &mut dyn Iterator<Item = &Value>| -> f64 {
        fs.map(|f| f["properties"]["population"].as_f64().unwrap()).sum()
    };
    let total = people(&mut cells.iter());
    let missed = people(&mut empty_of_osm.iter().copied());
    assert!(missed > 0.5 * total, "people in cells without an OSM home: {missed} of {total}");
    assert!((summary["homes"]["population"].as_f64().unwrap() - total).abs() < 1e-6 * total);
    // Population shares, recounted from the per-home output.
    for c in summary["categories"].as_array().unwrap() {
        let key = c["key"].as_str().unwrap();
        let covered = people(&mut cells.iter().filter(|f| f["properties"][format!("{key}_ok")] == true));
        let share = c["share_covered_population"].as_f64().unwrap();
        assert!((share - covered / total).abs() < 1e-9, "{key}: {share} vs {covered} / {total}");
    }
    let notes = summary["notes"].to_string();
    assert!(notes.contains("nanjing-pop-mollweide.tif") && notes.contains("populated cells"), "{notes}");
}

#[test]
fn bad_grids_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let pbf = dir.path().join("street.osm.pbf");
    street(&[0.03], &[]).write(&pbf);
    let out = dir.path().join("out");
    let not_tiff = dir.path().join("not-a-grid.tif");
    std::fs::write(&not_tiff, b"GIF89a this is no TIFF").unwrap();
    let truncated = dir.path().join("truncated.tif");
    let bytes = std::fs::read(raster("nanjing-pop-mollweide.tif")).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let missing = dir.path().join("missing.tif");
    let far = raster("nanjing-pop-4326.tif"); // Nanjing's grid on a street at 0°, 0°
    for (file, needle) in [
        (&not_tiff, "not a readable GeoTIFF"),
        (&truncated, "truncated.tif"),
        (&missing, "missing.tif"),
        (&far, "no populated cell"),
        (&raster("no-georef.tif"), "--population-crs"),
    ] {
        let r = run_subcommand("analyze", &["--pbf", s(&pbf), "--out", s(&out), "--population", s(file)]);
        let name = file.file_name().unwrap().to_str().unwrap();
        assert_input_error(&r, &out, &[name, needle], name);
    }
    let r = run_subcommand(
        "analyze",
        &[
            "--pbf",
            s(&pbf),
            "--out",
            s(&out),
            "--population",
            s(&raster("no-georef.tif")),
            "--population-crs",
            "epsg:3857",
        ],
    );
    assert_input_error(&r, &out, &["--population-crs", "epsg:3857"], "unknown crs");
    let homes = repo_file("tests/fixtures/points/nanjing-population-grid.tsv");
    let r =
        run_subcommand("analyze", &["--pbf", s(&pbf), "--out", s(&out), "--population", s(&far), "--homes", s(&homes)]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("--population") && r.stderr.contains("--homes"), "{}", r.stderr);
}

/// The fixture grids are the script's output, byte for byte (skipped without `python3`).
#[test]
fn fixture_grids_are_reproducible_by_their_script() {
    let dir = tempfile::tempdir().unwrap();
    let script = raster("make_rasters.py");
    let run = std::process::Command::new("python3").arg(&script).arg(dir.path()).output();
    let Ok(o) = run else {
        eprintln!("python3 not found: the fixture grids are not regenerated");
        return;
    };
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for name in ["nanjing-pop-4326.tif", "nanjing-pop-mollweide.tif", "equator-pop-point.tif", "no-georef.tif"] {
        let made = std::fs::read(dir.path().join(name)).unwrap();
        assert!(made == std::fs::read(raster(name)).unwrap(), "{name} differs from the script's output");
    }
}
