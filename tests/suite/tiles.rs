//! Exact tiles (`lifecircle prepare`, `analyze --tile`, `merge`): the union of
//! the tiles' coverage rows is the whole run's (`--reach-minutes R`) home for
//! home and column for column, and the merged summary is the whole summary,
//! on the default data cut so that towns are split, on a tiled synthetic file
//! (2×2 disjoint copies of the Beijing fixture), and on random street networks
//! with random tile sizes and reaches (fixed seeds); bad tiles and parameters
//! a tile cannot answer exit 2 naming the file, with no output.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lifecircle::AnalyzeConfig;
use serde_json::Value;

use crate::common::pbf::OsmWriter;
use crate::common::rng::SplitMix64;
use crate::common::{config, dir_entries, liechtenstein, read_json, remove_paths, repo_file, run_cli};

/// The tiled synthetic fixture (see tests/fixtures/tiled/README.md).
fn tiled_fixture() -> PathBuf {
    repo_file("tests/fixtures/tiled/beijing-bupt-2x2.osm.pbf")
}

/// Coverage rows of a run folder by home id (properties and geometry).
fn coverage_rows(dir: &Path) -> BTreeMap<String, Value> {
    let v = read_json(&dir.join("coverage.geojson"));
    let mut rows = BTreeMap::new();
    for f in v["features"].as_array().expect("features") {
        let id = f["properties"]["id"].as_str().expect("an id").to_string();
        assert!(rows.insert(id.clone(), f.clone()).is_none(), "{id} twice in {}", dir.display());
    }
    rows
}

/// Paths where two JSON values differ (numbers compared exactly).
fn strict_diff(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => strict_diff(&format!("{path}.{k}"), p, q, out),
                    _ => out.push(format!("{path}.{k}: in one only")),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                strict_diff(&format!("{path}[{i}]"), p, q, out);
            }
        }
        _ if a != b => out.push(format!("{path}: {a} vs {b}")),
        _ => {}
    }
}

/// What was compared, for assertions that the test did look at something.
struct Checked {
    tiles: usize,
    homes: usize,
    covered: usize,
}

/// Runs `base` on the whole extract with reach `reach`, prepares tiles of
/// `tile_km`, runs every tile, and checks rows and the merged summary.
fn check_tiles(base: &AnalyzeConfig, tile_km: f64, reach: f64, tmp: &Path) -> Checked {
    let mut whole = base.clone();
    whole.out_dir = tmp.join("whole");
    whole.reach_minutes = Some(reach);
    lifecircle::analyze(&whole).expect("whole run");
    let tiles_dir = tmp.join("tiles");
    let manifest = lifecircle::tile::prepare(&whole, tile_km, &tiles_dir).expect("prepare");
    assert!(manifest.tiles.len() >= 2, "{tile_km} km makes {} tiles", manifest.tiles.len());
    let want = coverage_rows(&whole.out_dir);
    let mut seen = BTreeMap::new();
    let mut summaries = Vec::new();
    for t in &manifest.tiles {
        assert!(t.halo_m >= manifest.params.halo_m);
        let mut c = base.clone();
        c.tile = Some(tiles_dir.join(&t.id));
        c.out_dir = tmp.join("runs").join(&t.id);
        let s = lifecircle::analyze(&c).unwrap_or_else(|e| panic!("tile {}: {e}", t.id));
        assert_eq!(s.homes.total, t.homes, "tile {}", t.id);
        for (id, row) in coverage_rows(&c.out_dir) {
            let w = want.get(&id).unwrap_or_else(|| panic!("tile {}: home {id} is not in the whole run", t.id));
            assert_eq!(&row, w, "tile {}: home {id} differs from the whole run", t.id);
            assert!(seen.insert(id.clone(), t.id.clone()).is_none(), "home {id} in two tiles");
        }
        summaries.push(c.out_dir.join("summary.json"));
    }
    assert_eq!(seen.len(), want.len(), "the tiles' cores cover every home once");
    let mut whole_summary = read_json(&whole.out_dir.join("summary.json"));
    remove_paths(&mut whole_summary, &["timings", "parameters.threads"]);
    // In either order (the first summary is the merge's template: tiles without facilities of a category first).
    for order in ["manifest", "reversed"] {
        if order == "reversed" {
            summaries.reverse();
        }
        let mut merged = lifecircle::tile::merge::merge_summary_files(&summaries).expect("merge");
        remove_paths(&mut merged, &["timings", "parameters.threads"]);
        let mut diffs = Vec::new();
        strict_diff("summary", &merged, &whole_summary, &mut diffs);
        assert!(
            diffs.is_empty(),
            "merged in {order} order, the summary differs from the whole run's:\n{}",
            diffs.join("\n")
        );
    }
    // District levels, targets and hexagons: merged from the tiles' sums, the whole run's files byte for byte.
    let tables: Vec<String> = dir_entries(&whole.out_dir)
        .into_iter()
        .filter(|f| f.starts_with("districts") || f.starts_with("hexagons"))
        .collect();
    assert_eq!(tables.is_empty(), base.districts.is_none() && base.h3.is_none(), "{tables:?}");
    if !tables.is_empty() {
        let merged = lifecircle::tile::merge::merge_run_files(&summaries).expect("merge");
        let t = merged.tables.expect("the tiles' tables");
        let out = lifecircle::io::OutputDir::prepare(&tmp.join("merged")).expect("output folder");
        let files = lifecircle::output::run::write_tables(
            &t.districts,
            t.hexagons.as_ref(),
            &base.taxonomy,
            &out,
            &base.formats,
        )
        .expect("tables written");
        out.commit(files, lifecircle::io::manifest::RunManifest::new(&base.invocation)).expect("commit");
        let written: Vec<String> = dir_entries(&tmp.join("merged")).into_iter().filter(|f| f != "run.json").collect();
        assert_eq!(written, tables, "the same table files");
        // Merged in three partial merges, then those merged: the same summary and rows; a tile in
        // two partials is refused.
        let named: Vec<(String, Value)> = summaries.iter().map(|p| (p.display().to_string(), read_json(p))).collect();
        let parts: Vec<(String, Value)> = named
            .chunks(named.len().div_ceil(3))
            .enumerate()
            .map(|(i, part)| (format!("part {i}"), lifecircle::tile::merge::merge_partial(part).expect("partial")))
            .collect();
        assert_eq!(parts.len(), 3);
        let again = lifecircle::tile::merge::merge_run(&parts).expect("merge of partial merges");
        let mut summary = again.summary.clone();
        remove_paths(&mut summary, &["timings", "parameters.threads"]);
        let mut diffs = Vec::new();
        strict_diff("summary", &summary, &whole_summary, &mut diffs);
        assert!(diffs.is_empty(), "merged from partial merges:\n{}", diffs.join("\n"));
        let again = again.tables.expect("tables");
        for (a, b) in again.districts.iter().zip(&t.districts) {
            assert!(a.rows == b.rows && a.results == b.results && a.units == b.units);
        }
        assert_eq!(again.hexagons.map(|h| h.rows), t.hexagons.as_ref().map(|h| h.rows.clone()));
        let mut twice = parts.clone();
        twice.push(("again".into(), lifecircle::tile::merge::merge_partial(&named[..1]).expect("partial")));
        let err = lifecircle::tile::merge::merge_run(&twice).expect_err("a tile twice").to_string();
        assert!(err.contains("given twice"), "{err}");
        for f in &tables {
            let (a, b) = (std::fs::read(tmp.join("merged").join(f)), std::fs::read(whole.out_dir.join(f)));
            assert!(a.expect("merged") == b.expect("whole"), "{f}: the merged tiles' differs from the whole run's");
        }
    }
    let covered = want.values().filter(|r| r["properties"]["complete"] == Value::Bool(true)).count();
    Checked { tiles: manifest.tiles.len(), homes: want.len(), covered }
}

/// A GeoJSON FeatureCollection of `cols` x `rows` boxes over `[w, s, e, n]`
/// named `<prefix><i>`, in `path`.
fn box_districts(path: &Path, bbox: [f64; 4], cols: usize, rows: usize, prefix: &str) -> PathBuf {
    let (dx, dy) = ((bbox[2] - bbox[0]) / cols as f64, (bbox[3] - bbox[1]) / rows as f64);
    let mut features = Vec::new();
    for r in 0..rows {
        for c in 0..cols {
            let (x0, y0) = (bbox[0] + c as f64 * dx, bbox[1] + r as f64 * dy);
            let ring = [[x0, y0], [x0 + dx, y0], [x0 + dx, y0 + dy], [x0, y0 + dy], [x0, y0]];
            features.push(serde_json::json!({
                "type": "Feature",
                "properties": {"name": format!("{prefix}{}", r * cols + c)},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }));
        }
    }
    let fc = serde_json::json!({"type": "FeatureCollection", "features": features});
    std::fs::write(path, serde_json::to_vec(&fc).expect("json")).expect("write districts");
    path.to_path_buf()
}

#[test]
fn default_data_cut_through_towns_is_exact() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut base = config(&liechtenstein(), tmp.path());
    base.minutes = vec![5.0, 10.0, 15.0];
    // Two levels of districts that split towns too (the south-west corner of the extract is in
    // none: an `(outside)` row), the built-in targets, and H3 hexagons.
    let bbox = [9.50, 47.06, 9.64, 47.28];
    let coarse = box_districts(&tmp.path().join("coarse.geojson"), bbox, 1, 2, "half-");
    let fine = box_districts(&tmp.path().join("fine.geojson"), bbox, 3, 4, "box-");
    let source = |path: PathBuf| lifecircle::analysis::DistrictSource::GeoJson { path, key: "name".into() };
    let mut districts = lifecircle::analysis::DistrictOptions::new(source(fine));
    districts.coarser = vec![source(coarse)];
    districts.set_targets(None, &base.taxonomy).expect("built-in targets");
    base.districts = Some(districts);
    base.h3 = Some(8);
    let c = check_tiles(&base, 2.5, 15.0, tmp.path());
    assert!(c.tiles >= 10 && c.homes > 10_000 && c.covered > 0, "{} tiles, {} homes", c.tiles, c.homes);
}

#[test]
fn admin_boundaries_kept_by_prepare_make_the_whole_runs_tables() {
    // The extract's own municipalities (admin_level 8) under a file's two halves: prepare keeps the
    // boundaries assembled on the whole file, the tiles assign their homes to them, merge re-reads them.
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut base = config(&liechtenstein(), tmp.path());
    let halves = box_districts(&tmp.path().join("halves.geojson"), [9.45, 47.0, 9.7, 47.3], 1, 2, "half-");
    let mut districts = lifecircle::analysis::DistrictOptions::new(lifecircle::analysis::DistrictSource::AdminLevel(8));
    districts.coarser = vec![lifecircle::analysis::DistrictSource::GeoJson { path: halves, key: "name".into() }];
    districts.set_targets(None, &base.taxonomy).expect("built-in targets");
    base.districts = Some(districts);
    let c = check_tiles(&base, 4.0, 15.0, tmp.path());
    assert!(c.tiles >= 4 && c.homes > 10_000, "{} tiles, {} homes", c.tiles, c.homes);
    let rows = std::fs::read_to_string(tmp.path().join("whole").join("districts-community.csv")).expect("rows");
    assert!(rows.lines().count() > 10, "the municipalities: {rows}");
    assert!(tmp.path().join("tiles").join("admin-8.geojson").is_file());
}

#[test]
fn tiled_synthetic_file_is_exact() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut base = config(&tiled_fixture(), tmp.path());
    base.minutes = vec![5.0, 10.0];
    base.h3 = Some(9);
    let c = check_tiles(&base, 0.6, 12.0, tmp.path());
    assert!(c.tiles >= 8 && c.homes > 100, "{} tiles, {} homes", c.tiles, c.homes);
}

/// A random street network: a jittered grid with random way types (steps are
/// slower), gaps, houses and facilities, around `[lon0, lat0]`.
fn random_city(rng: &mut SplitMix64, path: &Path) {
    let mut w = OsmWriter::new();
    let (n, step) = (rng.range(8, 16), 0.0015);
    let (lon0, lat0) = (rng.float(-120.0, 120.0), rng.float(-60.0, 60.0));
    let id = |i: usize, j: usize| (i * 100 + j + 1) as i64;
    for i in 0..n {
        for j in 0..n {
            let p = [lon0 + j as f64 * step + rng.float(-3e-4, 3e-4), lat0 + i as f64 * step + rng.float(-3e-4, 3e-4)];
            w.node(id(i, j), p, &[]);
        }
    }
    let kinds = ["residential", "footway", "steps", "primary", "service"];
    let mut way = 10_000;
    for i in 0..n {
        for j in 0..n {
            for (di, dj) in [(0, 1), (1, 0)] {
                if i + di < n && j + dj < n && !rng.chance(0.12) {
                    way += 1;
                    w.way(way, &[id(i, j), id(i + di, j + dj)], &[("highway", *rng.pick(&kinds))]);
                }
            }
        }
    }
    let extent = (n - 1) as f64 * step;
    let mut next = 1_000_000;
    for k in 0..rng.range(40, 120) {
        let p = [lon0 + rng.float(0.0, extent), lat0 + rng.float(0.0, extent)];
        w.rect_way(500_000 + k as i64, next, p, [p[0] + 1e-4, p[1] + 1e-4], &[("building", "house")]);
        next += 4;
    }
    let tags: [&[(&str, &str)]; 3] =
        [&[("shop", "supermarket")], &[("amenity", "clinic")], &[("amenity", "kindergarten")]];
    for k in 0..rng.range(3, 12) {
        let p = [lon0 + rng.float(0.0, extent), lat0 + rng.float(0.0, extent)];
        let t: &[(&str, &str)] = tags[rng.below(tags.len())];
        w.node(2_000_000 + k as i64, p, t);
    }
    w.write(path);
}

#[test]
fn random_networks_and_tile_sizes_are_exact() {
    let mut checked = 0;
    for seed in [3u64, 17, 2024, 77_777] {
        let mut rng = SplitMix64::new(seed);
        let tmp = tempfile::tempdir().expect("tempdir");
        let pbf = tmp.path().join("city.osm.pbf");
        random_city(&mut rng, &pbf);
        let mut base = config(&pbf, tmp.path());
        let reach = rng.float(3.0, 12.0).round();
        base.minutes = vec![(reach / 2.0).max(1.0), reach];
        base.min_component_nodes = 0;
        base.h3 = Some(rng.range(8, 11) as u8);
        let tile_km = rng.float(0.3, 0.8);
        let c = check_tiles(&base, tile_km, reach, tmp.path());
        checked += c.homes;
        assert!(c.tiles >= 2, "seed {seed}");
    }
    assert!(checked > 100);
}

#[test]
fn the_check_alone_makes_tiles_exact_from_a_tiny_halo() {
    // Tiles started from a 1 m halo: the cut-node check must grow every tile
    // whose core homes reach beyond it, and the answers stay the whole run's.
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut whole = config(&tiled_fixture(), &tmp.path().join("whole"));
    whole.minutes = vec![5.0, 10.0];
    whole.reach_minutes = Some(10.0);
    lifecircle::analyze(&whole).expect("whole run");
    let want = coverage_rows(&whole.out_dir);
    let tiles = tmp.path().join("tiles");
    let manifest = lifecircle::tile::prepare::prepare_with_halo(&whole, 0.6, 1.0, &tiles).expect("prepare");
    assert!(manifest.tiles.iter().any(|t| t.halo_m > 1.0), "some tile grew its halo");
    assert!(
        manifest.tiles.iter().all(|t| t.halo_m < manifest.params.halo_m * 2.0),
        "no halo grew past twice the derived one"
    );
    let mut seen = 0;
    for t in &manifest.tiles {
        let mut c = whole.clone();
        c.tile = Some(tiles.join(&t.id));
        c.reach_minutes = None;
        c.out_dir = tmp.path().join("runs").join(&t.id);
        lifecircle::analyze(&c).unwrap_or_else(|e| panic!("tile {}: {e}", t.id));
        for (id, row) in coverage_rows(&c.out_dir) {
            assert_eq!(Some(&row), want.get(&id), "tile {} (halo {:.0} m): home {id}", t.id, t.halo_m);
            seen += 1;
        }
    }
    assert_eq!(seen, want.len());
}

/// Prepares the Beijing fixture's tiles into `dir` with reach 10 (CLI).
fn prepare_beijing(dir: &Path) -> PathBuf {
    let pbf = crate::common::beijing();
    let out = run_cli(&[
        "prepare",
        "--pbf",
        pbf.to_str().unwrap(),
        "--tile-km",
        "0.5",
        "--reach-minutes",
        "10",
        "--out",
        dir.to_str().unwrap(),
        "-q",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let manifest = read_json(&dir.join("manifest.json"));
    let first = manifest["tiles"][0]["id"].as_str().expect("a tile").to_string();
    dir.join(format!("{first}.tile"))
}

/// Runs `analyze --tile TILE ARGS --out OUT`: exit 2, the message naming `names`, nothing written.
fn refused(tile: &Path, args: &[&str], names: &str, tmp: &Path) {
    let out_dir = tmp.join("refused");
    let mut all = vec!["analyze", "--tile", tile.to_str().unwrap(), "--out", out_dir.to_str().unwrap(), "-q"];
    all.extend_from_slice(args);
    let out = run_cli(&all);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(names), "{args:?}: {err} does not name {names}");
    assert!(dir_entries(&out_dir).is_empty(), "{args:?} wrote {:?}", dir_entries(&out_dir));
}

#[test]
fn bad_tiles_and_what_a_tile_cannot_answer_exit_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tile = prepare_beijing(&tmp.path().join("tiles"));
    let shown = tile.display().to_string();
    // Parameters the tile was not prepared for, or cannot answer exactly.
    refused(&tile, &["--minutes", "12"], &shown, tmp.path());
    refused(&tile, &["--reach-minutes", "15"], &shown, tmp.path());
    refused(&tile, &["--speed-kmh", "5"], &shown, tmp.path());
    refused(&tile, &["--max-snap-m", "100"], &shown, tmp.path());
    refused(&tile, &["--profile", "elderly"], &shown, tmp.path());
    refused(&tile, &["--isochrones"], &shown, tmp.path());
    // Boundaries the tiles were not prepared with: the message names the missing file.
    refused(&tile, &["--minutes", "10", "--admin-level", "8"], "admin-8.geojson", tmp.path());
    let districts = box_districts(&tmp.path().join("d.geojson"), [116.3, 39.9, 116.4, 40.0], 2, 2, "d");
    let d = districts.to_str().unwrap();
    refused(&tile, &["--districts", d, "--district-key", "name", "--k-nearest", "3"], &shown, tmp.path());
    refused(&tile, &["--snap", "vertex"], &shown, tmp.path());
    // Damaged files: truncated, one byte flipped, not a tile, a missing tile.
    let bytes = std::fs::read(&tile).expect("tile");
    let bad = tmp.path().join("bad.tile");
    for (what, damaged) in [
        ("truncated", bytes[..bytes.len() / 2].to_vec()),
        ("flipped", {
            let mut b = bytes.clone();
            b[bytes.len() / 3] ^= 0x40;
            b
        }),
        ("foreign", b"PK\x03\x04 not a tile at all, but long enough to have a checksum".to_vec()),
    ] {
        std::fs::write(&bad, &damaged).expect("write");
        let out_dir = tmp.path().join("bad-out");
        let out = run_cli(&["analyze", "--tile", bad.to_str().unwrap(), "--out", out_dir.to_str().unwrap(), "-q"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {err}");
        assert!(err.contains(bad.to_str().unwrap()), "{what}: {err}");
        assert!(dir_entries(&out_dir).is_empty(), "{what}");
    }
    let missing = tmp.path().join("tiles/r99c99");
    let out = run_cli(&[
        "analyze",
        "--tile",
        missing.to_str().unwrap(),
        "-q",
        "--out",
        tmp.path().join("m").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("r99c99"));
    // The library refuses capacities' 2SFCA and k-nearest beyond the tile through the same checks.
    let mut c = config(&crate::common::beijing(), tmp.path());
    c.tile = Some(tile.clone());
    c.reach_minutes = Some(10.0);
    c.minutes = vec![10.0];
    let (network, c) = lifecircle::tile::open(&c).expect("the tile opens");
    let mut more = c.clone();
    more.reach_minutes = Some(20.0);
    assert!(network.analyze(&more).is_err(), "another reach");
    assert!(network.analyze(&c).is_ok());
}

#[test]
fn merge_refuses_missing_and_repeated_tiles() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tiles = tmp.path().join("tiles");
    prepare_beijing(&tiles);
    let manifest = read_json(&tiles.join("manifest.json"));
    let ids: Vec<String> =
        manifest["tiles"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_string()).collect();
    assert!(ids.len() >= 2);
    let mut summaries = Vec::new();
    for id in &ids {
        let out = tmp.path().join("runs").join(id);
        let o = run_cli(&[
            "analyze",
            "--tile",
            tiles.join(id).to_str().unwrap(),
            "--minutes",
            "5,10",
            "--out",
            out.to_str().unwrap(),
            "-q",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        summaries.push(out.to_str().unwrap().to_string());
    }
    let merged = tmp.path().join("merged");
    let mut args = vec!["merge".to_string(), "--out".into(), merged.to_str().unwrap().into()];
    args.extend(summaries[1..].iter().cloned());
    let o = run_cli(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(2), "a missing tile");
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing"));
    args.push(summaries[1].clone());
    args.push(summaries[0].clone());
    let o = run_cli(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(2), "a repeated tile");
    assert!(dir_entries(&merged).is_empty());
    args.truncate(3);
    args.extend(summaries.iter().cloned());
    let o = run_cli(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let whole = tmp.path().join("whole");
    let pbf = crate::common::beijing();
    let o = run_cli(&[
        "analyze",
        "--pbf",
        pbf.to_str().unwrap(),
        "--reach-minutes",
        "10",
        "--minutes",
        "5,10",
        "--out",
        whole.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success());
    let (mut a, mut b) = (read_json(&merged.join("summary.json")), read_json(&whole.join("summary.json")));
    for v in [&mut a, &mut b] {
        remove_paths(v, &["timings", "parameters.threads"]);
    }
    assert_eq!(a, b);
}

#[test]
fn merged_district_tables_need_the_same_districts_in_every_tile() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tiles = tmp.path().join("tiles");
    prepare_beijing(&tiles);
    let manifest = read_json(&tiles.join("manifest.json"));
    let ids: Vec<&str> = manifest["tiles"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    let districts = box_districts(&tmp.path().join("d.geojson"), [116.34, 39.95, 116.37, 39.97], 2, 2, "d");
    let d = districts.to_str().unwrap();
    let with =
        ["--minutes", "5,10", "--districts", d, "--district-key", "name", "--h3", "9", "--format", "geojson,parquet"];
    let run = |id: &str, extra: &[&str], out: &Path| {
        let mut args = vec!["analyze", "--tile", tiles.to_str().unwrap(), "--out", out.to_str().unwrap(), "-q"];
        let tile = tiles.join(id);
        args[2] = tile.to_str().unwrap();
        args.extend_from_slice(extra);
        let o = run_cli(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(!dir_entries(out).iter().any(|f| f.starts_with("districts")), "a tile writes no district rows");
        out.to_str().unwrap().to_string()
    };
    let summaries: Vec<String> = ids.iter().map(|id| run(id, &with, &tmp.path().join("runs").join(id))).collect();
    let merged = tmp.path().join("merged");
    let merge = |parts: &[String]| {
        let mut args = vec!["merge", "--format", "geojson,parquet", "-q", "--out", merged.to_str().unwrap()];
        args.extend(parts.iter().map(String::as_str));
        run_cli(&args)
    };
    // A tile run without the tables among tiles with them.
    let mut mixed = summaries.clone();
    mixed[0] = run(ids[0], &["--minutes", "5,10"], &tmp.path().join("plain"));
    let o = merge(&mixed);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("plain"), "{}", String::from_utf8_lossy(&o.stderr));
    // A damaged histogram in one tile's sums: exit 2 naming that summary, nothing written.
    let damaged = tmp.path().join("damaged");
    std::fs::create_dir_all(&damaged).expect("mkdir");
    let mut v = read_json(&Path::new(&summaries[0]).join("summary.json"));
    v["tile"]["tables"]["levels"][0]["sums"]["groups"][0]["categories"][0]["times_ms"] = Value::from("12 x*3");
    std::fs::write(damaged.join("summary.json"), serde_json::to_vec(&v).expect("json")).expect("write");
    let mut with_damaged = summaries.clone();
    with_damaged[0] = damaged.to_str().unwrap().to_string();
    let o = merge(&with_damaged);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("damaged") && err.contains("not a histogram"), "{err}");
    assert!(dir_entries(&merged).is_empty());
    // The districts file changed after the tiles read it.
    let original = std::fs::read(&districts).expect("districts");
    std::fs::write(&districts, [&original[..], b" "].concat()).expect("write");
    let o = merge(&summaries);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains(d), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(dir_entries(&merged).is_empty());
    std::fs::write(&districts, &original).expect("write");
    let o = merge(&summaries);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The same tables as the whole run's, in both formats.
    let whole = tmp.path().join("whole");
    let pbf = crate::common::beijing();
    let mut args = vec!["analyze", "--pbf", pbf.to_str().unwrap(), "--reach-minutes", "10", "-q"];
    args.extend_from_slice(&with);
    args.extend(["--out", whole.to_str().unwrap()]);
    assert!(run_cli(&args).status.success());
    let tables: Vec<String> =
        dir_entries(&whole).into_iter().filter(|f| f.starts_with("districts") || f.starts_with("hexagons")).collect();
    assert!(tables.iter().any(|f| f == "districts.parquet") && tables.iter().any(|f| f == "hexagons.geojson"));
    for f in &tables {
        assert_eq!(std::fs::read(merged.join(f)).ok(), std::fs::read(whole.join(f)).ok(), "{f}");
    }
    let (mut a, mut b) = (read_json(&merged.join("summary.json")), read_json(&whole.join("summary.json")));
    for v in [&mut a, &mut b] {
        remove_paths(v, &["timings", "parameters.threads", "inputs"]);
    }
    assert_eq!(a["districts"], b["districts"]);
    assert!(a["districts"]["districts"].as_u64() == Some(4));
    // `--partial` merges of each half, merged again: the same tables.
    let (first, second) = summaries.split_at(summaries.len() / 2);
    let mut halves = Vec::new();
    for (i, half) in [first, second].into_iter().enumerate() {
        let out = tmp.path().join(format!("half{i}"));
        let mut args = vec!["merge", "--partial", "-q", "--out", out.to_str().unwrap()];
        args.extend(half.iter().map(String::as_str));
        let o = run_cli(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(dir_entries(&out), ["run.json", "summary.json"], "a partial merge writes no tables");
        halves.push(out.to_str().unwrap().to_string());
    }
    std::fs::remove_dir_all(&merged).expect("remove");
    let o = merge(&halves);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in &tables {
        assert_eq!(std::fs::read(merged.join(f)).ok(), std::fs::read(whole.join(f)).ok(), "{f} from partial merges");
    }
}
