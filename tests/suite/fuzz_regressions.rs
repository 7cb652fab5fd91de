//! Fuzzing finds, one test each: the reproducer is read from
//! `tests/fixtures/fuzz/` (its README says where each came from) and the
//! reader must give `Ok` with the documented answer, or a clean `Err` naming
//! the file. The fuzz targets themselves live in `fuzz/` (see
//! `fuzz/README.md`; `scripts/fuzz.sh` runs them).
//!
//! A find that is still open is `#[ignore]`d with the reason, so the suite
//! stays green; `cargo test fuzz_regressions -- --include-ignored` shows it.

use std::path::PathBuf;

use lifecircle::district::assign::{DistrictIndex, locate_brute_force};
use lifecircle::district::sources::{MAX_VALIDATED_VERTICES, districts_from_geojson, districts_from_geojson_bytes};
use lifecircle::{Profiles, Taxonomy};

use crate::common::repo_file;

fn reproducer(name: &str) -> PathBuf {
    let path = repo_file(&format!("tests/fixtures/fuzz/{name}"));
    assert!(path.is_file(), "missing reproducer {}", path.display());
    path
}

/// `districts` target: two districts named `A` and one named `A (2)`. The
/// second `A` was renamed `A (2)` too, so two rows had the same key (the
/// district table, its CSV and `compare` match rows by key). Renaming now
/// skips names in use: `A`, `A (3)`, `A (2)`.
#[test]
fn districts_renamed_key_collides_with_an_existing_one() {
    let path = reproducer("districts-renamed-key-collides.geojson");
    let set = districts_from_geojson(&path, "name").expect("three valid districts");
    let keys: Vec<&str> = set.districts.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(keys, ["A", "A (3)", "A (2)"]);
    assert_eq!(set.problems, ["A: the name is used 2 times; renamed"]);
    // Each district keeps its own shape: points in each are located to it.
    let index = DistrictIndex::new(&set.districts);
    for (i, p) in [[0.9, 0.1], [2.9, 0.1], [4.9, 0.1]].into_iter().enumerate() {
        assert_eq!(index.locate(p), Some(i));
        assert_eq!(locate_brute_force(&set.districts, p), Some(i));
    }
}

/// `districts` target: a MultiPolygon whose second part has a vertex at
/// latitude 1e308. geo's validity check relates the two parts and panics
/// ("topology position conflict ... this can happen with invalid
/// geometries"), taking the whole run down. The panic is now caught and the
/// shape reported invalid.
#[test]
fn districts_validity_check_panic_in_geo_is_an_invalid_polygon() {
    let path = reproducer("districts-geo-relate-panic.geojson");
    let set = districts_from_geojson(&path, "name").expect("one district, reported invalid");
    assert_eq!(set.districts.len(), 1);
    assert_eq!(
        set.problems,
        ["overflow: invalid polygon (e.g. self-intersecting); homes are assigned on a best-effort basis"]
    );
}

/// Repeated names with many suffixed names already taken still come out unique.
#[test]
fn districts_renaming_stays_unique_among_many_suffixed_names() {
    let square = |i: usize| {
        let x = i as f64;
        format!("[[[{x},0],[{x}.5,0],[{x}.5,0.5],[{x},0.5],[{x},0]]]")
    };
    let names = ["B (3)", "B", "B (2)", "B", "B", "B (2)", "B (4)", "B"];
    let features: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            format!(
                r#"{{"type":"Feature","properties":{{"name":"{n}"}},"geometry":{{"type":"Polygon","coordinates":{}}}}}"#,
                square(i)
            )
        })
        .collect();
    let body = format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, features.join(","));
    let set = districts_from_geojson_bytes(&PathBuf::from("many.geojson"), body.as_bytes(), "name").expect("districts");
    let keys: Vec<&str> = set.districts.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(keys, ["B (3)", "B", "B (2)", "B (5)", "B (6)", "B (2) (2)", "B (4)", "B (7)"]);
}

/// A district ring of `n` vertices around (116, 39.9), crossing itself once
/// (its last two vertices swapped: a bow-tie at the closing edge).
fn crossing_ring_district(n: usize) -> String {
    let mut pts: Vec<[f64; 2]> = (0..n)
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            [116.0 + 0.01 * a.cos(), 39.9 + 0.01 * a.sin()]
        })
        .collect();
    pts.swap(n - 1, n - 2);
    pts.push(pts[0]);
    let coords: Vec<String> = pts.iter().map(|p| format!("[{},{}]", p[0], p[1])).collect();
    format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"name":"ring"}},"geometry":{{"type":"Polygon","coordinates":[[{}]]}}}}]}}"#,
        coords.join(",")
    )
}

/// Scaling probe of the `districts` reader (inputs beyond the fuzzer's
/// 64 KiB): geo's validity check is quadratic in a shape's vertices, so a
/// 20,000-vertex boundary took 9 s and an 80,000-vertex one over two minutes
/// (a detailed real boundary has that many). Shapes above
/// `MAX_VALIDATED_VERTICES` are no longer checked; smaller ones still are.
/// The 800 KB reproducer is generated here rather than stored.
#[test]
fn districts_huge_ring_skips_the_quadratic_validity_check() {
    let path = PathBuf::from("ring.geojson");
    let small = crossing_ring_district(MAX_VALIDATED_VERTICES - 1);
    let set = districts_from_geojson_bytes(&path, small.as_bytes(), "name").expect("a district");
    assert!(set.problems.iter().any(|p| p.starts_with("ring: invalid polygon")), "{:?}", set.problems);

    let huge = crossing_ring_district(20_000);
    let set = districts_from_geojson_bytes(&path, huge.as_bytes(), "name").expect("a district");
    assert_eq!(set.districts.len(), 1);
    assert_eq!(set.districts[0].shape.0[0].exterior().0.len(), 20_001);
    assert!(set.problems.is_empty(), "{:?}", set.problems);
}

/// `pbf` target (K1 in fuzz/README.md, fixed): a bow-tie building whose two
/// lobes differ by 1e-7 degrees has a signed area of almost zero, so its area
/// centroid (the home's position) landed at longitude −33,217. The fuzzer
/// found it in a mutated Beijing slice (nodes moved across the globe); the
/// reproducer is minimised to four nodes and one way
/// (`fuzz/examples/pbf_reproducers.rs`). Fixed by `geometry::area_position`
/// (used for OSM areas and user GeoJSON polygons).
#[test]
fn pbf_bowtie_building_home_lies_within_its_building() {
    let path = reproducer("pbf-bowtie-building.pbf");
    let bytes = std::fs::read(&path).expect("read the reproducer");
    let taxonomy = Taxonomy::builtin();
    let profiles = Profiles::builtin();
    let data =
        lifecircle::osm::read_pbf_bytes(&bytes, &path, &taxonomy, profiles.get("adult").unwrap()).expect("a valid PBF");
    let (homes, _, _) = lifecircle::osm::extract_features(&data, &taxonomy);
    assert_eq!(homes.len(), 1, "the building is a home");
    let [lon, lat] = homes[0].lonlat;
    assert!((116.0..=116.1).contains(&lon) && (39.9..=40.0000001).contains(&lat), "home at {:?}", homes[0].lonlat);
}
