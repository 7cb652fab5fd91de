//! District assignment and the district table: `DistrictIndex::locate`
//! against the brute force and an independent even-odd ray cast on random
//! (non-convex, holed, overlapping, multi-part) districts; administrative
//! boundaries assembled from a synthetic PBF (split outer ring, inner ring,
//! exclave, missing member); GeoJSON district files (Polygon, MultiPolygon,
//! bow-tie, Point, `--district-key`, broken JSON); the Beijing rows recomputed
//! from `coverage.geojson` and `facilities.geojson`; the mean time to the `k`
//! nearest facilities against `nearest_times` and a petgraph brute force; and
//! `lifecircle districts --admin-level 8` on Liechtenstein.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use geo::{Coord, LineString, MultiPolygon, Polygon};
use lifecircle::coverage::k_nearest::k_nearest_mean_minutes;
use lifecircle::coverage::nearest::nearest_times;
use lifecircle::district::assign::{DistrictIndex, locate_brute_force};
use lifecircle::district::sources::{District, districts_from_admin, districts_from_geojson};
use lifecircle::graph::WalkGraph;
use lifecircle::ids::TimeMs;
use lifecircle::osm::read_pbf_bytes;
use lifecircle::routing::{Anchor, DijkstraWorkspace};
use lifecircle::{Profiles, Taxonomy};
use serde_json::{Value, json};

use crate::cli::{Run, assert_input_error};
use crate::common::graphs::{random_anchor, random_net};
use crate::common::pbf::{Member, OsmWriter};
use crate::common::reference::Expanded;
use crate::common::rng::SplitMix64;
use crate::common::{beijing, dir_entries, liechtenstein, read_json, run_cli};

// ---------------------------------------------------------------- helpers

/// Runs `lifecircle districts` with `args`.
fn districts_cli(args: &[&str]) -> Run {
    crate::cli::run_subcommand("districts", args)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Even-odd ray casting over every ring (exterior and holes) of every part:
/// the textbook point-in-polygon test, independent of `geo`.
fn ray_cast(shape: &MultiPolygon<f64>, p: [f64; 2]) -> bool {
    let in_ring = |ring: &LineString<f64>| {
        let mut inside = false;
        for w in ring.0.windows(2) {
            let (a, b) = (w[0], w[1]);
            if (a.y > p[1]) != (b.y > p[1]) && p[0] < a.x + (p[1] - a.y) / (b.y - a.y) * (b.x - a.x) {
                inside = !inside;
            }
        }
        inside
    };
    shape.0.iter().any(|poly| in_ring(poly.exterior()) && !poly.interiors().iter().any(in_ring))
}

/// Distance (degrees, planar) from `p` to the nearest ring segment of `shape`.
fn boundary_distance(shape: &MultiPolygon<f64>, p: [f64; 2]) -> f64 {
    let seg = |a: Coord<f64>, b: Coord<f64>| {
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let len2 = dx * dx + dy * dy;
        let t = if len2 == 0.0 { 0.0 } else { (((p[0] - a.x) * dx + (p[1] - a.y) * dy) / len2).clamp(0.0, 1.0) };
        ((a.x + t * dx - p[0]).powi(2) + (a.y + t * dy - p[1]).powi(2)).sqrt()
    };
    shape
        .0
        .iter()
        .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
        .flat_map(|r| r.0.windows(2).map(|w| seg(w[0], w[1])).collect::<Vec<_>>())
        .fold(f64::INFINITY, f64::min)
}

/// A star-shaped ring around `c`: `n` vertices at increasing angles, radii in `[r0, r1]`
/// (non-convex unless `r0 == r1`), counter-clockwise unless `clockwise`.
fn star(rng: &mut SplitMix64, c: [f64; 2], n: usize, r0: f64, r1: f64, clockwise: bool) -> LineString<f64> {
    let mut pts: Vec<Coord<f64>> = (0..n)
        .map(|i| {
            let a = (i as f64 + rng.float(0.0, 0.8)) / n as f64 * std::f64::consts::TAU;
            let r = rng.float(r0, r1);
            Coord { x: c[0] + r * a.cos(), y: c[1] + r * a.sin() }
        })
        .collect();
    if clockwise {
        pts.reverse();
    }
    let mut ls = LineString::new(pts);
    ls.close();
    ls
}

/// One random district part: convex-ish or non-convex, maybe with a hole.
fn random_part(rng: &mut SplitMix64, c: [f64; 2], r: f64) -> Polygon<f64> {
    let n = rng.range(3, 14);
    let convex = rng.chance(0.3);
    let r0 = if convex { r } else { r * rng.float(0.3, 0.9) };
    let clockwise = rng.chance(0.3);
    let exterior = star(rng, c, n, r0, r, clockwise);
    let holes = if rng.chance(0.35) {
        // Inside the smallest outer radius's inscribed disc (cos(π/n) of the vertex radius, n ≥ 3: ≥ 0.5).
        let (m, clockwise) = (rng.range(3, 8), rng.chance(0.5));
        vec![star(rng, c, m, r0 * 0.1, r0 * 0.4, clockwise)]
    } else {
        Vec::new()
    };
    Polygon::new(exterior, holes)
}

fn random_districts(rng: &mut SplitMix64) -> Vec<District> {
    let nd = rng.range(1, 40);
    (0..nd)
        .map(|i| {
            let parts = if rng.chance(0.25) { rng.range(2, 3) } else { 1 };
            let shape = MultiPolygon::new(
                (0..parts)
                    .map(|_| {
                        let c = [rng.float(0.0, 1.0), rng.float(0.0, 1.0)];
                        let r = rng.float(0.02, 0.3);
                        random_part(rng, c, r)
                    })
                    .collect(),
            );
            District { key: format!("d{i}"), id: format!("d{i}"), shape }
        })
        .collect()
}

const ASSIGN_SEEDS: [u64; 8] = [0xD157_0001, 0xD157_0002, 0xD157_0003, 0xD157_0004, 7, 42, 2024, 0xFEED_FACE];

// ---------------------------------------------------------------- 1. assignment

#[test]
fn locate_matches_brute_force_and_ray_casting_on_random_districts() {
    let (mut checked, mut inside, mut in_holes, mut overlapping, mut on_edges) = (0, 0, 0, 0, 0);
    for seed in ASSIGN_SEEDS {
        let mut rng = SplitMix64::new(seed);
        for round in 0..5 {
            let districts = random_districts(&mut rng);
            let index = DistrictIndex::new(&districts);
            let mut points: Vec<[f64; 2]> = (0..2000).map(|_| [rng.float(-0.3, 1.3), rng.float(-0.3, 1.3)]).collect();
            for d in &districts {
                for poly in &d.shape.0 {
                    // Hole centres, vertices and edge midpoints: the awkward places.
                    for r in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                        let cx = r.0.iter().map(|c| c.x).sum::<f64>() / r.0.len() as f64;
                        let cy = r.0.iter().map(|c| c.y).sum::<f64>() / r.0.len() as f64;
                        points.push([cx, cy]);
                        for w in r.0.windows(2) {
                            points.push([w[0].x, w[0].y]);
                            points.push([(w[0].x + w[1].x) / 2.0, (w[0].y + w[1].y) / 2.0]);
                        }
                    }
                }
            }
            let all = index.locate_all(&points);
            assert_eq!(all.len(), points.len());
            for (i, &p) in points.iter().enumerate() {
                let what = format!("seed {seed:#x} round {round} point {i} {p:?}");
                let got = index.locate(p);
                assert_eq!(got, locate_brute_force(&districts, p), "{what}: locate vs brute force");
                assert_eq!(all[i], got, "{what}: locate_all vs locate");
                // Away from every boundary, the independent ray cast must agree.
                let near = districts.iter().any(|d| boundary_distance(&d.shape, p) < 1e-9);
                if near {
                    on_edges += 1;
                    continue;
                }
                let holders: Vec<usize> = (0..districts.len()).filter(|&d| ray_cast(&districts[d].shape, p)).collect();
                assert_eq!(got, holders.first().copied(), "{what}: locate vs ray casting (holders {holders:?})");
                checked += 1;
                inside += got.is_some() as usize;
                overlapping += (holders.len() > 1) as usize;
                in_holes += districts.iter().any(|d| {
                    d.shape.0.iter().any(|poly| {
                        poly.interiors()
                            .iter()
                            .any(|h| ray_cast(&MultiPolygon::new(vec![Polygon::new(h.clone(), vec![])]), p))
                    })
                }) as usize;
            }
        }
    }
    // The generator must actually produce the awkward cases.
    assert!(checked > 50_000, "{checked}");
    assert!(inside > 10_000 && inside < checked, "{inside} of {checked}");
    assert!(overlapping > 1000, "{overlapping}");
    assert!(in_holes > 500, "{in_holes}");
    assert!(on_edges > 1000, "{on_edges}");
}

#[test]
fn locate_on_no_districts_and_degenerate_points() {
    let index = DistrictIndex::new(&[]);
    assert_eq!(index.locate([0.5, 0.5]), None);
    assert_eq!(index.locate_all(&[[0.0, 0.0], [1.0, 1.0]]), vec![None, None]);
    let square = |x0: f64, key: &str| District {
        key: key.into(),
        id: key.into(),
        shape: MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![(x0, 0.0), (x0 + 1.0, 0.0), (x0 + 1.0, 1.0), (x0, 1.0), (x0, 0.0)]),
            vec![],
        )]),
    };
    // Two identical squares and a later, overlapping one: the first in input order wins.
    let ds = vec![square(0.0, "a"), square(0.0, "b"), square(0.5, "c")];
    let index = DistrictIndex::new(&ds);
    assert_eq!(index.locate([0.25, 0.5]), Some(0));
    assert_eq!(index.locate([0.75, 0.5]), Some(0));
    assert_eq!(index.locate([1.25, 0.5]), Some(2));
    assert_eq!(index.locate([2.25, 0.5]), None);
    assert_eq!(index.locate([f64::NAN, 0.5]), locate_brute_force(&ds, [f64::NAN, 0.5]));
}

// ---------------------------------------------------------------- 2. admin boundaries

/// Square ring corners: `[lon0, lat0]` to `[lon0 + d, lat0 + d]`.
fn admin_pbf() -> OsmWriter {
    let (x, y) = (9.5, 47.1);
    let mut w = OsmWriter::new();
    // Alpha's outer ring: a 0.01° square with 8 perimeter nodes, over 3 ways (one reversed).
    let ring = [
        [x, y],
        [x + 0.005, y],
        [x + 0.01, y],
        [x + 0.01, y + 0.005],
        [x + 0.01, y + 0.01],
        [x + 0.005, y + 0.01],
        [x, y + 0.01],
        [x, y + 0.005],
    ];
    for (i, p) in ring.iter().enumerate() {
        w.node(1 + i as i64, *p, &[]);
    }
    w.way(101, &[1, 2, 3], &[]);
    w.way(102, &[6, 5, 4, 3], &[]); // reversed
    w.way(103, &[6, 7, 8, 1], &[]);
    // Its hole: 0.004..0.006.
    w.rect_way(104, 20, [x + 0.004, y + 0.004], [x + 0.006, y + 0.006], &[]);
    // An exclave: a second outer ring, one closed way.
    w.rect_way(105, 30, [x + 0.02, y], [x + 0.03, y + 0.01], &[]);
    let admin8 = [("type", "boundary"), ("boundary", "administrative"), ("admin_level", "8")];
    let mut tags = admin8.to_vec();
    tags.push(("name", "Alpha"));
    w.relation(
        1001,
        &[
            (Member::Way(101), "outer"),
            (Member::Way(102), "outer"),
            (Member::Way(103), "outer"),
            (Member::Way(104), "inner"),
            (Member::Way(105), "outer"),
            (Member::Node(1), "admin_centre"),
        ],
        &tags,
    );
    // Beta: its outer ring is two ways, the second missing from the extract.
    w.node(40, [x, y + 0.02], &[]).node(41, [x + 0.01, y + 0.02], &[]).node(42, [x + 0.01, y + 0.03], &[]);
    w.way(201, &[40, 41, 42], &[]);
    let mut tags = admin8.to_vec();
    tags.push(("name", "Beta"));
    w.relation(1002, &[(Member::Way(201), "outer"), (Member::Way(202), "outer")], &tags);
    // Gamma: a complete square at admin_level 6 (must not be picked at level 8).
    w.rect_way(301, 50, [x - 0.1, y - 0.1], [x + 0.1, y + 0.1], &[]);
    w.relation(
        1003,
        &[(Member::Way(301), "outer")],
        &[("type", "boundary"), ("boundary", "administrative"), ("admin_level", "6"), ("name", "Gamma")],
    );
    // A walkable way so the extract looks like a real one.
    w.node(60, [x + 0.001, y + 0.001], &[]).node(61, [x + 0.002, y + 0.001], &[]);
    w.way(601, &[60, 61], &[("highway", "footway")]);
    w
}

#[test]
fn admin_boundaries_with_split_outer_inner_ring_exclave_and_missing_member() {
    let taxonomy = Taxonomy::builtin();
    let profiles = Profiles::builtin();
    let adult = profiles.get("adult").expect("adult profile");
    for split in [false, true] {
        let mut w = admin_pbf();
        w.split_blobs = split;
        w.reverse_order = split;
        let data = read_pbf_bytes(&w.to_bytes(), Path::new("admin.osm.pbf"), &taxonomy, adult).expect("valid PBF");
        let set = districts_from_admin(&data, 8).expect("level 8 exists");
        let keys: Vec<&str> = set.districts.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(keys, ["Alpha"], "split {split}: problems {:?}", set.problems);
        let alpha = &set.districts[0].shape;
        let (x, y) = (9.5, 47.1);
        let index = DistrictIndex::new(&set.districts);
        let cases = [
            ([x + 0.005, y + 0.005], None, "in the hole"),
            ([x + 0.002, y + 0.005], Some(0), "between the outer and the inner ring"),
            ([x + 0.0075, y + 0.0025], Some(0), "in the main ring, another corner"),
            ([x + 0.025, y + 0.005], Some(0), "in the exclave"),
            ([x + 0.015, y + 0.005], None, "between the main ring and the exclave"),
            ([x + 0.005, y + 0.025], None, "where Beta would be"),
            ([x - 0.05, y - 0.05], None, "in Gamma (admin_level 6)"),
        ];
        for (p, want, what) in cases {
            assert_eq!(index.locate(p), want, "split {split}: {what}");
            assert_eq!(ray_cast(alpha, p), want.is_some(), "split {split}: ray cast {what}");
        }
        assert_eq!(alpha.0.len(), 2, "split {split}: main ring and exclave");
        let holes: usize = alpha.0.iter().map(|p| p.interiors().len()).sum();
        assert_eq!(holes, 1, "split {split}");
        let beta: Vec<&String> = set.problems.iter().filter(|p| p.contains("Beta")).collect();
        assert!(!beta.is_empty(), "split {split}: Beta's missing member is not reported: {:?}", set.problems);
        assert!(beta.iter().any(|p| p.contains("relation/1002") && p.contains("missing")), "{beta:?}");
        assert!(!set.problems.iter().any(|p| p.contains("Alpha")), "split {split}: {:?}", set.problems);
        // Level 6 picks Gamma only.
        let six = districts_from_admin(&data, 6).expect("level 6 exists");
        assert_eq!(six.districts.iter().map(|d| d.key.as_str()).collect::<Vec<_>>(), ["Gamma"]);
        let e = districts_from_admin(&data, 9).expect_err("no level 9").to_string();
        assert!(
            e.contains("--admin-level") && e.contains("admin_level 9") && e.contains("levels present: 6, 8"),
            "{e}"
        );
    }
}

// ---------------------------------------------------------------- 3. GeoJSON districts

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Value {
    json!([[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]])
}

fn feature(geometry: Value, props: Value) -> Value {
    json!({"type": "Feature", "geometry": geometry, "properties": props})
}

fn district_file(dir: &Path) -> PathBuf {
    let fc = json!({"type": "FeatureCollection", "features": [
        feature(json!({"type": "Polygon", "coordinates": rect(0.0, 0.0, 1.0, 1.0)}), json!({"name": "Square", "code": "S1"})),
        feature(
            json!({"type": "MultiPolygon", "coordinates": [rect(2.0, 0.0, 3.0, 1.0), rect(4.0, 0.0, 5.0, 1.0)]}),
            json!({"name": "Twins", "code": 7}),
        ),
        feature(
            json!({"type": "Polygon", "coordinates": [[[10.0, 0.0], [11.0, 1.0], [11.0, 0.0], [10.0, 1.0], [10.0, 0.0]]]}),
            json!({"name": "Bowtie", "code": "B"}),
        ),
        feature(json!({"type": "Point", "coordinates": [0.5, 0.5]}), json!({"name": "Dot", "code": "D"})),
        feature(json!({"type": "Polygon", "coordinates": rect(20.0, 0.0, 21.0, 1.0)}), json!({"name": "Square"})),
    ]});
    let path = dir.join("districts.geojson");
    std::fs::write(&path, serde_json::to_string_pretty(&fc).unwrap()).unwrap();
    path
}

#[test]
fn geojson_districts_polygons_multipolygons_bowtie_point_and_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = district_file(dir.path());
    let set = districts_from_geojson(&path, "name").expect("readable");
    let keys: Vec<&str> = set.districts.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(keys, ["Square", "Twins", "Bowtie", "Square (2)"], "problems {:?}", set.problems);
    assert_eq!(set.districts[1].shape.0.len(), 2);
    assert!(set.problems.iter().any(|p| p.contains("Bowtie") && p.contains("invalid")), "{:?}", set.problems);
    assert!(set.problems.iter().any(|p| p.contains("feature 3") && p.contains("skipped")), "{:?}", set.problems);
    assert!(set.problems.iter().any(|p| p.contains("Square") && p.contains("renamed")), "{:?}", set.problems);
    assert!(!set.problems.iter().any(|p| p.contains("Twins")), "{:?}", set.problems);
    assert_eq!(set.problems.len(), 3, "{:?}", set.problems);
    let index = DistrictIndex::new(&set.districts);
    assert_eq!(index.locate([0.5, 0.5]), Some(0));
    assert_eq!(index.locate([4.5, 0.5]), Some(1));
    assert_eq!(index.locate([3.5, 0.5]), None);
    assert_eq!(index.locate([20.5, 0.5]), Some(3));
    // Another key: strings and numbers; a feature without it falls back to its index.
    let by_code = districts_from_geojson(&path, "code").expect("readable");
    let keys: Vec<&str> = by_code.districts.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(keys, ["S1", "7", "B", "feature-4"]);
    assert!(
        by_code.problems.iter().any(|p| p.contains("1 districts have no property \"code\"") && p.contains("feature-4")),
        "{:?}",
        by_code.problems
    );
    // The Point district is described in words, not Rust debug text.
    let point = set.problems.iter().find(|p| p.contains("feature 3")).expect("the Point is reported");
    assert_eq!(point, "feature 3: a Point is not a Polygon or MultiPolygon, skipped");
    // No district has the key: the file is refused, listing the properties it has.
    let e = districts_from_geojson(&path, "nom").expect_err("no district has `nom`").to_string();
    assert!(e.contains("--district-key") && e.contains("\"nom\"") && e.contains("code, name"), "{e}");
}

#[test]
fn district_key_on_the_command_line_and_broken_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = district_file(dir.path());
    let pbf = beijing();
    let out = dir.path().join("out");
    let r = districts_cli(&[
        "--pbf",
        s(&pbf),
        "--out",
        s(&out),
        "--quiet",
        "--districts",
        s(&path),
        "--district-key",
        "code",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let csv = std::fs::read_to_string(out.join("districts.csv")).expect("districts.csv");
    let keys: Vec<&str> = csv.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(keys, ["S1", "7", "B", "feature-4", "(outside)"], "{csv}");
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["districts"]["districts"], 4, "{}", summary["districts"]);

    // Broken JSON, not a FeatureCollection, missing file: exit 2, one line naming the file.
    let bad = dir.path().join("broken-districts.geojson");
    std::fs::write(&bad, "{\"type\": \"FeatureCollection\", \"features\": [").unwrap();
    let not_fc = dir.path().join("not-a-collection.geojson");
    std::fs::write(&not_fc, "{\"type\": \"Point\", \"coordinates\": [0, 0]}").unwrap();
    let missing = dir.path().join("no-such-districts.geojson");
    for (file, what) in [(&bad, "broken JSON"), (&not_fc, "not a FeatureCollection"), (&missing, "missing file")] {
        let out = dir.path().join(format!("out-{}", file.file_stem().unwrap().to_string_lossy()));
        let r = districts_cli(&["--pbf", s(&pbf), "--out", s(&out), "--quiet", "--districts", s(file)]);
        let name = file.file_name().unwrap().to_str().unwrap();
        assert_input_error(&r, &out, &[name], what);
    }
}

// ---------------------------------------------------------------- 4. Beijing rows

/// A midpoint of two consecutive sorted values with a gap of at least `gap`, near quantile `q`.
fn split_at(xs: &[f64], q: f64, gap: f64) -> f64 {
    let start = ((xs.len() as f64 * q) as usize).max(1);
    (start..xs.len())
        .find(|&i| xs[i] - xs[i - 1] >= gap)
        .map(|i| (xs[i] + xs[i - 1]) / 2.0)
        .expect("a gap between coordinates")
}

fn rect_shape(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon::new(vec![Polygon::new(
        LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
        vec![],
    )])
}

fn num(v: &str) -> Option<f64> {
    (!v.is_empty()).then(|| v.parse::<f64>().unwrap_or_else(|e| panic!("{v:?}: {e}")))
}

#[test]
fn beijing_rows_recomputed_from_the_point_outputs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pbf = beijing();
    // A first run for the points (their coordinates decide the district splits).
    let plain = dir.path().join("plain");
    let o = run_cli(&["analyze", "--pbf", s(&pbf), "--out", s(&plain), "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let point = |f: &Value| -> [f64; 2] {
        let c = &f["geometry"]["coordinates"];
        [c[0].as_f64().expect("lon"), c[1].as_f64().expect("lat")]
    };
    let homes: Vec<Value> = read_json(&plain.join("coverage.geojson"))["features"].as_array().unwrap().clone();
    let facs: Vec<Value> = read_json(&plain.join("facilities.geojson"))["features"].as_array().unwrap().clone();
    let mut xs: Vec<f64> = homes.iter().chain(&facs).map(|f| point(f)[0]).collect();
    xs.sort_by(f64::total_cmp);
    let (s1, s2) = (split_at(&xs, 0.3, 2e-6), split_at(&xs, 0.6, 2e-6));
    assert!(s1 < s2);
    let (min_y, max_y) = homes.iter().chain(&facs).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), f| {
        let p = point(f);
        (a.min(p[1]), b.max(p[1]))
    });
    let districts = [
        District {
            key: "West".into(),
            id: "W".into(),
            shape: rect_shape(xs[0] - 0.01, min_y - 0.01, s1, max_y + 0.01),
        },
        District {
            key: "East".into(),
            id: "E".into(),
            shape: rect_shape(s2, min_y - 0.01, xs[xs.len() - 1] + 0.01, max_y + 0.01),
        },
        District { key: "Empty".into(), id: "0".into(), shape: rect_shape(0.0, 0.0, 1.0, 1.0) },
    ];
    let fc = json!({"type": "FeatureCollection", "features": districts.iter().map(|d| {
        let ring: Vec<Value> = d.shape.0[0].exterior().0.iter().map(|c| json!([c.x, c.y])).collect();
        feature(json!({"type": "Polygon", "coordinates": [ring]}), json!({"name": d.key}))
    }).collect::<Vec<_>>()});
    let dfile = dir.path().join("two-rectangles.geojson");
    std::fs::write(&dfile, fc.to_string()).unwrap();
    let out = dir.path().join("out");
    let r = districts_cli(&["--pbf", s(&pbf), "--out", s(&out), "--quiet", "--districts", s(&dfile)]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    // The district run writes the same points.
    assert_eq!(read_json(&out.join("coverage.geojson"))["features"].as_array().unwrap(), &homes);

    let cats: Vec<String> = Taxonomy::builtin().categories.iter().map(|c| c.key.clone()).collect();
    // Independent membership.
    let member = |p: [f64; 2]| districts.iter().position(|d| ray_cast(&d.shape, p));
    let mut groups: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for h in &homes {
        let key = member(point(h)).map_or("(outside)".to_string(), |d| districts[d].key.clone());
        groups.entry(key).or_default().push(h);
    }
    assert!(groups.get("(outside)").is_some_and(|g| !g.is_empty()), "no home in the gap");
    assert!(groups["West"].len() > 3 && groups["East"].len() > 3, "{:?}", groups.keys());

    let mut rd = csv::Reader::from_path(out.join("districts.csv")).expect("districts.csv");
    let header: Vec<String> = rd.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(&header[..4], ["district", "district_id", "homes", "population"]);
    let rows: Vec<BTreeMap<String, String>> = rd
        .records()
        .map(|r| header.iter().cloned().zip(r.expect("a record").iter().map(str::to_string)).collect())
        .collect();
    let keys: Vec<&str> = rows.iter().map(|r| r["district"].as_str()).collect();
    assert_eq!(keys, ["West", "East", "Empty", "(outside)"]);
    let close = |got: Option<f64>, want: Option<f64>, tol: f64, what: &str| match (got, want) {
        (Some(g), Some(w)) => assert!((g - w).abs() <= tol, "{what}: {g} vs {w}"),
        _ => assert_eq!(got, want, "{what}"),
    };
    let mut total = 0;
    for row in &rows {
        let key = &row["district"];
        let members: Vec<&Value> = groups.get(key).cloned().unwrap_or_default();
        let n = members.len();
        total += row["homes"].parse::<usize>().unwrap();
        assert_eq!(row["homes"].parse::<usize>().unwrap(), n, "{key}: homes");
        let pop_of = |hs: &[&Value]| hs.iter().map(|h| h["properties"]["population"].as_f64().unwrap()).sum::<f64>();
        let pop = pop_of(&members);
        close(num(&row["population"]), Some(pop), 5e-4, &format!("{key}: population"));
        let share = |part: usize| if n == 0 { 0.0 } else { part as f64 / n as f64 };
        let pshare = |p: f64| if pop > 0.0 { p / pop } else { 0.0 };
        for c in &cats {
            let ok: Vec<&Value> =
                members.iter().copied().filter(|h| h["properties"][format!("{c}_ok")] == true).collect();
            close(num(&row[&format!("{c}_share")]), Some(share(ok.len())), 5e-7, &format!("{key}: {c} share"));
            close(
                num(&row[&format!("{c}_share_population")]),
                Some(pshare(pop_of(&ok))),
                5e-7,
                &format!("{key}: {c} share_population"),
            );
            let fac_here = facs
                .iter()
                .filter(|f| f["properties"]["category"] == c.as_str())
                .filter(|f| {
                    let d = member(point(f));
                    if key == "(outside)" { d.is_none() } else { d.is_some_and(|d| districts[d].key == *key) }
                })
                .count();
            assert_eq!(row[&format!("{c}_facilities")].parse::<usize>().unwrap(), fac_here, "{key}: {c} facilities");
            // Minutes as printed (rounded up to 0.01; INF last): the lower median and the nearest-rank p90.
            let mut mins: Vec<f64> =
                members.iter().map(|h| h["properties"][format!("{c}_min")].as_f64().unwrap_or(f64::INFINITY)).collect();
            mins.sort_by(f64::total_cmp);
            let at = |i: usize| (!mins.is_empty()).then(|| mins[i]).filter(|m| m.is_finite());
            let median = at(mins.len().saturating_sub(1) / 2);
            let p90 = at(((mins.len() as f64 * 0.9).ceil() as usize).clamp(1, mins.len().max(1)) - 1);
            close(num(&row[&format!("{c}_median_min")]), median, 1e-9, &format!("{key}: {c} median"));
            close(num(&row[&format!("{c}_p90_min")]), p90, 1e-9, &format!("{key}: {c} p90"));
            let finite: Vec<f64> = mins.iter().copied().filter(|m| m.is_finite()).collect();
            let mean = (!finite.is_empty()).then(|| finite.iter().sum::<f64>() / finite.len() as f64);
            // Printed minutes are rounded up by less than 0.01 each.
            close(num(&row[&format!("{c}_mean_min")]), mean, 0.011, &format!("{key}: {c} mean"));
        }
        let complete: Vec<&Value> = members.iter().copied().filter(|h| h["properties"]["complete"] == true).collect();
        close(num(&row["complete_share"]), Some(share(complete.len())), 5e-7, &format!("{key}: complete"));
        close(
            num(&row["complete_share_population"]),
            Some(pshare(pop_of(&complete))),
            5e-7,
            &format!("{key}: complete population"),
        );
    }
    assert_eq!(total, homes.len());
    let summary = read_json(&out.join("summary.json"));
    let d = &summary["districts"];
    assert_eq!(d["districts"], 3, "{d}");
    assert_eq!(d["districts_without_homes"], json!(["Empty"]), "{d}");
    assert_eq!(d["homes_outside"].as_u64(), Some(groups["(outside)"].len() as u64), "{d}");
    // districts.geojson: one polygon feature per district (the `(outside)` row has no shape).
    let g = read_json(&out.join("districts.geojson"));
    let names: Vec<&str> =
        g["features"].as_array().unwrap().iter().map(|f| f["properties"]["district"].as_str().unwrap()).collect();
    assert_eq!(names, ["West", "East", "Empty"]);
    let md = std::fs::read_to_string(out.join("districts.md")).unwrap();
    for k in ["West", "East", "Empty", "(outside)"] {
        assert!(md.contains(&format!("| {k} |")), "districts.md lacks {k}");
    }
}

// ---------------------------------------------------------------- 5. k nearest

const K_SEEDS: [u64; 12] = [
    0x4B4E_0001,
    0x4B4E_0002,
    0x4B4E_0003,
    0x4B4E_0004,
    0x4B4E_0005,
    0x4B4E_0006,
    0x4B4E_0007,
    0x4B4E_0008,
    0x4B4E_0009,
    0x4B4E_000A,
    0x4B4E_000B,
    0x4B4E_000C,
];

fn k_points(rng: &mut SplitMix64, g: &WalkGraph) -> (Vec<Option<Anchor>>, Vec<Option<Anchor>>) {
    let hot: Vec<u32> = (0..rng.range(1, 4)).map(|_| rng.below(g.num_edges()) as u32).collect();
    let facilities: Vec<Option<Anchor>> = (0..rng.range(0, 12)).map(|_| random_anchor(rng, g, &hot)).collect();
    let mut homes: Vec<Option<Anchor>> = (0..rng.range(1, 50)).map(|_| random_anchor(rng, g, &hot)).collect();
    for h in homes.iter_mut() {
        if !facilities.is_empty() && rng.chance(0.1) {
            *h = *rng.pick(&facilities);
        }
    }
    (facilities, homes)
}

#[test]
fn k_nearest_matches_nearest_times_and_a_brute_force() {
    let (mut finite, mut infinite, mut compared) = (0, 0, 0);
    for seed in K_SEEDS {
        let mut rng = SplitMix64::new(seed);
        let n = rng.range(10, 120);
        let net = random_net(&mut rng, n);
        let g = &net.graph;
        let mut ws = DijkstraWorkspace::new(g.num_nodes());
        for round in 0..4 {
            let (facilities, homes) = k_points(&mut rng, g);
            let what = format!("seed {seed:#x} round {round}");
            let nearest = nearest_times(g, &mut ws, &facilities, &homes);
            let k1 = k_nearest_mean_minutes(g, &facilities, &homes, 1);
            for h in 0..homes.len() {
                let want = if nearest[h] == TimeMs::INF { f64::INFINITY } else { nearest[h].minutes() };
                assert!(k1[h] == want || (k1[h] - want).abs() < 1e-9, "{what}: k=1 home {h}: {} vs {want}", k1[h]);
            }
            let times = Expanded::new(g, &facilities, &homes).facility_home_times();
            for k in [2usize, 3] {
                let got = k_nearest_mean_minutes(g, &facilities, &homes, k);
                for h in 0..homes.len() {
                    let mut t: Vec<u64> = times.iter().filter_map(|row| row[h]).collect();
                    t.sort_unstable();
                    let want = if t.len() < k {
                        f64::INFINITY
                    } else {
                        t[..k].iter().map(|&ms| ms as f64 / 60_000.0).sum::<f64>() / k as f64
                    };
                    assert!(
                        got[h] == want || (got[h] - want).abs() < 1e-9,
                        "{what}: k={k} home {h} {:?}: {} vs {want} (times {t:?})",
                        homes[h],
                        got[h]
                    );
                    compared += 1;
                    if want.is_finite() { finite += 1 } else { infinite += 1 }
                }
            }
        }
    }
    assert!(finite > 200 && infinite > 50, "finite {finite}, infinite {infinite} of {compared}");
}

// ---------------------------------------------------------------- 6. Liechtenstein CLI

const MUNICIPALITIES: [&str; 11] = [
    "Balzers",
    "Eschen",
    "Gamprin",
    "Mauren",
    "Planken",
    "Ruggell",
    "Schaan",
    "Schellenberg",
    "Triesen",
    "Triesenberg",
    "Vaduz",
];

#[test]
fn liechtenstein_admin_level_8_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pbf = liechtenstein();
    let outs: Vec<PathBuf> = ["1", "2"]
        .iter()
        .map(|t| {
            let out = dir.path().join(format!("out-{t}"));
            let r =
                districts_cli(&["--pbf", s(&pbf), "--out", s(&out), "--quiet", "--admin-level", "8", "--threads", t]);
            assert_eq!(r.code, Some(0), "threads {t}: {}", r.stderr);
            out
        })
        .collect();
    let csv = std::fs::read_to_string(outs[0].join("districts.csv")).expect("districts.csv");
    assert!(csv.starts_with("district,district_id,homes,population"), "{}", csv.lines().next().unwrap_or(""));
    // A type per column for GDAL: the name and id are text, the rule verdicts booleans.
    let csvt = std::fs::read_to_string(outs[0].join("districts.csvt")).expect("districts.csvt");
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let types: Vec<&str> = csvt.trim_end().split(',').collect();
    assert_eq!(types.len(), header.len());
    for (name, ty) in header.iter().zip(&types) {
        let want = match *name {
            "district" | "district_id" => "\"String\"",
            "homes" => "\"Integer64\"",
            n if n.ends_with("_facilities") => "\"Integer64\"",
            n if n.starts_with("pass_") => "\"Integer(Boolean)\"",
            _ => "\"Real\"",
        };
        assert_eq!(*ty, want, "{name}");
    }
    assert!(header.contains(&"pass_T10_homes") && header.contains(&"pass_T16_population"), "{header:?}");
    let keys: Vec<&str> = csv.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    for m in MUNICIPALITIES {
        assert!(keys.contains(&m), "{m} missing from {keys:?}");
    }
    let g = read_json(&outs[0].join("districts.geojson"));
    assert_eq!(g["type"], "FeatureCollection");
    let features = g["features"].as_array().expect("features");
    assert!(features.len() >= 11);
    for f in features {
        assert_eq!(f["type"], "Feature");
        let geom = &f["geometry"];
        let polys: Vec<&Value> = match geom["type"].as_str() {
            Some("MultiPolygon") => geom["coordinates"].as_array().unwrap().iter().collect(),
            Some("Polygon") => vec![&geom["coordinates"]],
            other => panic!("{}: geometry {other:?}", f["properties"]["district"]),
        };
        assert!(!polys.is_empty());
        let p = &f["properties"];
        assert!(p["district_id"].as_str().is_some_and(|id| id.starts_with("relation/")), "{}", p["district_id"]);
        // A verdict where the rule was evaluated (districts with homes), null elsewhere.
        assert_eq!(p["pass_T10_homes"].is_boolean(), p["homes"].as_u64() > Some(0), "{p}");
        for poly in polys {
            for (k, ring) in poly.as_array().expect("rings").iter().enumerate() {
                let r = ring.as_array().expect("ring");
                assert!(r.len() >= 4 && r[0] == r[r.len() - 1], "{}: open ring", p["district"]);
                // RFC 7946: exterior rings counter-clockwise, holes clockwise (shoelace sign).
                let twice_area: f64 = r
                    .windows(2)
                    .map(|w| {
                        w[0][0].as_f64().unwrap() * w[1][1].as_f64().unwrap()
                            - w[1][0].as_f64().unwrap() * w[0][1].as_f64().unwrap()
                    })
                    .sum();
                assert_eq!(twice_area > 0.0, k == 0, "{}: ring {k} winds the wrong way", p["district"]);
            }
        }
    }
    let md = std::fs::read_to_string(outs[0].join("districts.md")).expect("districts.md");
    for m in MUNICIPALITIES {
        assert!(md.contains(&format!("| {m} |")), "districts.md lacks {m}");
    }
    // Every home lands somewhere, and the rows add up.
    let summary = read_json(&outs[0].join("summary.json"));
    let homes: usize = csv.lines().skip(1).map(|l| l.split(',').nth(2).unwrap().parse::<usize>().unwrap()).sum();
    assert_eq!(Some(homes as u64), summary["homes"]["total"].as_u64(), "{}", summary["homes"]);
    // Byte for byte the same whatever the thread count.
    assert_eq!(dir_entries(&outs[0]), dir_entries(&outs[1]));
    for f in ["districts.csv", "districts.geojson", "districts.md", "coverage.geojson", "facilities.geojson"] {
        assert!(std::fs::read(outs[0].join(f)).unwrap() == std::fs::read(outs[1].join(f)).unwrap(), "{f} differs");
    }
    let mut a = read_json(&outs[0].join("summary.json"));
    let mut b = read_json(&outs[1].join("summary.json"));
    for v in [&mut a, &mut b] {
        crate::common::remove_paths(v, &["timings", "parameters.threads"]);
    }
    assert_eq!(a, b, "summary.json differs");

    // No source: exit 2, one line, nothing written.
    let out = dir.path().join("no-source");
    let r = districts_cli(&["--pbf", s(&pbf), "--out", s(&out), "--quiet"]);
    assert_input_error(&r, &out, &["--districts", "--admin-level"], "districts without a source");
}
