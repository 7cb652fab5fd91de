//! The OSM rules on tiny synthetic PBFs written by `common::pbf`: way
//! splitting, missing nodes, walkability, homes, facilities, file layout.
//!
//! Coordinates are on and near the equator, where 0.001° is
//! L = 111.195 080 2 m in both directions (see `handbuilt`).

use std::collections::BTreeMap;
use std::path::Path;

use lifecircle::ids::{CategoryId, OsmRef, OsmType};
use lifecircle::osm::{HomeRule, read_pbf_bytes};
use lifecircle::{Analysis, ErrorKind, Profiles, Taxonomy, run};
use osmpbfreader::osmformat::{PrimitiveBlock, PrimitiveGroup, StringTable, Way};
use protobuf::MessageField;

use crate::common::config;
use crate::common::graphs::MILLIDEGREE_M;
use crate::common::pbf::{Member, OsmWriter, data_blob, frame, header_blob, raw_blob};

/// Runs the in-memory analysis of `w`, keeping components down to `min_component_nodes`.
fn analyze_with(w: &OsmWriter, min_component_nodes: usize) -> Analysis {
    let dir = tempfile::tempdir().expect("temp dir");
    let pbf = dir.path().join("test.osm.pbf");
    w.write(&pbf);
    let mut c = config(&pbf, &dir.path().join("out"));
    c.min_component_nodes = min_component_nodes;
    run(&c).unwrap_or_else(|e| panic!("analysis of a valid synthetic extract failed: {e}"))
}

fn analyze(w: &OsmWriter) -> Analysis {
    analyze_with(w, 500)
}

fn way(id: i64) -> OsmRef {
    OsmRef { kind: OsmType::Way, id }
}

fn rel(id: i64) -> OsmRef {
    OsmRef { kind: OsmType::Relation, id }
}

fn node(id: i64) -> OsmRef {
    OsmRef { kind: OsmType::Node, id }
}

fn close(a: [f64; 2], b: [f64; 2]) -> bool {
    (a[0] - b[0]).abs() < 1e-9 && (a[1] - b[1]).abs() < 1e-9
}

/// Edges of the analysis graph as sorted pairs of end positions (rounded to 1e-7°) with their vertex count.
fn edge_shapes(a: &Analysis) -> Vec<([i64; 2], [i64; 2], usize)> {
    let g = &a.graph;
    let key = |p: [f64; 2]| [(p[0] * 1e7).round() as i64, (p[1] * 1e7).round() as i64];
    let mut v: Vec<_> = (0..g.num_edges() as u32)
        .map(|e| {
            let geom = g.edge_geometry(lifecircle::ids::EdgeId(e));
            let (first, last) = (key(geom[0]), key(geom[geom.len() - 1]));
            (first.min(last), first.max(last), geom.len())
        })
        .collect();
    v.sort();
    v
}

fn dm(lon: f64, lat: f64) -> [i64; 2] {
    [(lon * 1e7).round() as i64, (lat * 1e7).round() as i64]
}

/// Way 100 footway 1–2–3–4–5 along the equator (0.001° apart), way 101 footway
/// 10–3–11 crossing it at node 3 (north-south), way 102 residential 5–6–99–7–8
/// whose node 99 is missing from the extract.
fn crossing_ways() -> OsmWriter {
    let mut w = OsmWriter::new();
    for (id, lon) in [(1, 0.0), (2, 0.001), (3, 0.002), (4, 0.003), (5, 0.004), (6, 0.005), (7, 0.007), (8, 0.008)] {
        w.node(id, [lon, 0.0], &[]);
    }
    w.node(10, [0.002, -0.001], &[]).node(11, [0.002, 0.001], &[]);
    w.way(100, &[1, 2, 3, 4, 5], &[("highway", "footway")]).way(101, &[10, 3, 11], &[("highway", "footway")]).way(
        102,
        &[5, 6, 99, 7, 8],
        &[("highway", "residential")],
    );
    w
}

#[test]
fn ways_split_at_shared_nodes_and_segments_with_missing_nodes_skipped() {
    let a = analyze(&crossing_ways());
    let r = &a.summary.graph;
    // Pieces: 1–3 and 3–5 (way 100 split at the junction 3), 10–3 and 3–11, 5–6 and 7–8
    // (way 102 loses 6–99 and 99–7). Components: {1,3,5,6,10,11} and {7,8}; the small one is dropped.
    assert_eq!(r.walkable_ways, 3);
    assert_eq!(r.segments_missing_nodes, 2);
    assert_eq!((r.components, r.components_kept), (2, 1));
    assert_eq!((r.nodes, r.edges), (6, 5));
    assert_eq!((r.island_nodes_dropped, r.island_edges_dropped), (2, 1));
    // Kept length: 1–3 2L, 3–5 2L, 10–3 L, 3–11 L, 5–6 L = 7L.
    assert!((r.length_km - 7.0 * MILLIDEGREE_M / 1000.0).abs() < 1e-9, "{}", r.length_km);
    assert_eq!(
        edge_shapes(&a),
        vec![
            (dm(0.0, 0.0), dm(0.002, 0.0), 3),
            (dm(0.002, -0.001), dm(0.002, 0.0), 2),
            (dm(0.002, 0.0), dm(0.002, 0.001), 2),
            (dm(0.002, 0.0), dm(0.004, 0.0), 3),
            (dm(0.004, 0.0), dm(0.005, 0.0), 2),
        ]
    );

    // Keeping components of 2 nodes or more keeps the island too.
    let a = analyze_with(&crossing_ways(), 2);
    let r = &a.summary.graph;
    assert_eq!((r.nodes, r.edges, r.components_kept, r.island_nodes_dropped), (8, 6, 2, 0));
    assert!(edge_shapes(&a).contains(&(dm(0.007, 0.0), dm(0.008, 0.0), 2)));
}

#[test]
fn missing_nodes_at_the_ends_of_a_way() {
    // Way 103: 98(missing)–1–2–97(missing)–96(missing)–3: segments 98–1, 2–97, 97–96, 96–3 are skipped;
    // 1–2 stays; node 3 alone makes no edge.
    let mut w = OsmWriter::new();
    w.node(1, [0.0, 0.0], &[]).node(2, [0.001, 0.0], &[]).node(3, [0.002, 0.0], &[]);
    w.way(103, &[98, 1, 2, 97, 96, 3], &[("highway", "path")]);
    let a = analyze(&w);
    let r = &a.summary.graph;
    assert_eq!(r.segments_missing_nodes, 4);
    assert_eq!((r.nodes, r.edges), (2, 1));
    assert!((r.length_km - MILLIDEGREE_M / 1000.0).abs() < 1e-9);
}

#[test]
fn closed_and_out_and_back_ways_become_self_loops() {
    // Ring 1–2–3–4–1 (a 0.001° square, 4L), stub 1–5 (L), out-and-back 5–6–5 (2L), and a way
    // repeating a node consecutively (5–5–7, i.e. 5–7, L).
    let mut w = OsmWriter::new();
    w.node(1, [0.0, 0.0], &[]).node(2, [0.001, 0.0], &[]).node(3, [0.001, 0.001], &[]).node(4, [0.0, 0.001], &[]);
    w.node(5, [-0.001, 0.0], &[]).node(6, [-0.001, -0.001], &[]).node(7, [-0.002, 0.0], &[]);
    w.way(200, &[1, 2, 3, 4, 1], &[("highway", "footway")])
        .way(201, &[1, 5], &[("highway", "footway")])
        .way(202, &[5, 6, 5], &[("highway", "footway")])
        .way(203, &[5, 5, 7], &[("highway", "footway")]);
    let a = analyze(&w);
    let g = &a.graph;
    let r = &a.summary.graph;
    assert_eq!((r.nodes, r.edges), (3, 4));
    let mut loops: Vec<usize> = (0..g.num_edges() as u32)
        .map(lifecircle::ids::EdgeId)
        .filter(|&e| g.edge_endpoints(e).0 == g.edge_endpoints(e).1)
        .map(|e| g.edge_geometry(e).len())
        .collect();
    loops.sort();
    assert_eq!(loops, vec![3, 5], "the out-and-back (3 vertices) and the ring (5 vertices)");
    assert!((r.length_km - 8.0 * MILLIDEGREE_M / 1000.0).abs() < 1e-8, "{}", r.length_km);
}

#[test]
fn walkability_rules_of_the_adult_profile() {
    // Each way is a separate two-node segment; the flag says whether it must be walkable.
    let cases: &[(&[(&str, &str)], bool)] = &[
        (&[("highway", "footway")], true),
        (&[("highway", "residential")], true),
        (&[("highway", "footway"), ("foot", "no")], false),
        (&[("highway", "motorway")], false),
        (&[("highway", "motorway"), ("foot", "yes")], true),
        (&[("highway", "trunk_link"), ("foot", "designated")], true),
        (&[("highway", "trunk"), ("foot", "no")], false),
        (&[("highway", "residential"), ("access", "private")], false),
        (&[("highway", "residential"), ("access", "private"), ("foot", "yes")], true),
        (&[("highway", "service"), ("access", "no"), ("foot", "permissive")], true),
        (&[("highway", "service"), ("access", "no")], false),
        (&[("highway", "footway"), ("access", "yes")], true),
        (&[("highway", "proposed")], false),
        (&[("highway", "construction")], false),
        (&[("building", "yes")], false),
        (&[("railway", "rail")], false),
    ];
    let mut w = OsmWriter::new();
    for (i, (tags, _)) in cases.iter().enumerate() {
        let i = i as i64;
        w.node(2 * i + 1, [0.0, i as f64 * 0.001], &[]).node(2 * i + 2, [0.001, i as f64 * 0.001], &[]);
        w.way(1000 + i, &[2 * i + 1, 2 * i + 2], tags);
    }
    let taxonomy = Taxonomy::builtin();
    let profiles = Profiles::builtin();
    let adult = profiles.get("adult").expect("adult profile");
    let data = read_pbf_bytes(&w.to_bytes(), Path::new("walk.osm.pbf"), &taxonomy, adult).expect("valid PBF");
    for (i, (tags, walkable)) in cases.iter().enumerate() {
        assert_eq!(adult.is_walkable(&tags[..]), *walkable, "profile rule for {tags:?}");
        // A way that is not kept has no tag decision: it is not walkable.
        let got = data
            .way_index(1000 + i as i64)
            .is_some_and(|idx| data.way_info.iter().find(|wi| wi.way == idx as u32).is_some_and(|wi| wi.walkable));
        assert_eq!(got, *walkable, "ingest of {tags:?}");
    }
    let expected = cases.iter().filter(|c| c.1).count();
    let a = analyze_with(&w, 1);
    assert_eq!(a.summary.graph.walkable_ways, expected);
    assert_eq!(a.summary.graph.edges, expected);
}

/// A footway south of everything, so the graph builds and points snap.
fn footway(w: &mut OsmWriter) {
    w.node(900, [-0.001, -0.001], &[]).node(901, [0.07, -0.001], &[]);
    w.way(1000, &[900, 901], &[("highway", "footway")]);
}

/// Residential way 200 over [0, 0.01]²; building=yes 210 inside it; building=garage 220 inside;
/// building=yes 230 outside; building=house 240 outside; a building=apartments multipolygon 300
/// whose ring is two open ways 301 + 302; residential multipolygon 400 (outer 401 over
/// [0.05, 0.06] × [0, 0.01], inner 402 over [0.054, 0.056] × [0.004, 0.006]) with building=yes
/// 410 in the hole and 411 in the ring.
fn homes_extract() -> OsmWriter {
    let mut w = OsmWriter::new();
    footway(&mut w);
    let res = [("landuse", "residential")];
    w.rect_way(200, 201, [0.0, 0.0], [0.01, 0.01], &res);
    w.rect_way(210, 211, [0.004, 0.004], [0.006, 0.006], &[("building", "yes")]);
    w.rect_way(220, 221, [0.001, 0.001], [0.002, 0.002], &[("building", "garage")]);
    w.rect_way(230, 231, [0.02, 0.0], [0.022, 0.002], &[("building", "yes")]);
    w.rect_way(240, 241, [0.03, 0.0], [0.032, 0.002], &[("building", "house")]);
    w.node(251, [0.04, 0.0], &[]).node(252, [0.042, 0.0], &[]).node(253, [0.042, 0.002], &[]).node(
        254,
        [0.04, 0.002],
        &[],
    );
    w.way(301, &[251, 252, 253], &[]).way(302, &[253, 254, 251], &[]);
    w.relation(
        300,
        &[(Member::Way(301), "outer"), (Member::Way(302), "outer")],
        &[("type", "multipolygon"), ("building", "apartments")],
    );
    w.rect_way(401, 261, [0.05, 0.0], [0.06, 0.01], &[]);
    w.rect_way(402, 271, [0.054, 0.004], [0.056, 0.006], &[]);
    w.relation(
        400,
        &[(Member::Way(401), "outer"), (Member::Way(402), "inner")],
        &[("type", "multipolygon"), ("landuse", "residential")],
    );
    w.rect_way(410, 281, [0.0545, 0.0045], [0.0555, 0.0055], &[("building", "yes")]);
    w.rect_way(411, 291, [0.051, 0.001], [0.052, 0.002], &[("building", "yes")]);
    w
}

#[test]
fn homes_from_buildings_and_residential_areas() {
    let a = analyze(&homes_extract());
    let homes: Vec<(OsmRef, [f64; 2])> = a.homes.iter().map(|h| (h.osm, h.lonlat)).collect();
    let ids: Vec<OsmRef> = homes.iter().map(|h| h.0).collect();
    // Sorted by reference: ways before relations.
    assert_eq!(ids, vec![way(210), way(240), way(411), rel(300)]);
    let expect = [[0.005, 0.005], [0.031, 0.001], [0.0515, 0.0015], [0.041, 0.001]];
    for (h, c) in homes.iter().zip(expect) {
        assert!(close(h.1, c), "home {} at {:?}, expected its centroid {c:?}", h.0, h.1);
    }
    let f = &a.summary.homes.features;
    assert_eq!(f.home_rule, HomeRule::Buildings);
    assert_eq!(f.homes_from_buildings, 4);
    assert_eq!(f.homes_from_residential_areas, 0);
    assert_eq!(f.residential_areas, 2);
    assert_eq!(f.areas_without_geometry, 0);
    assert_eq!(a.summary.homes.total, 4);
}

#[test]
fn an_empty_residential_area_adds_one_home_at_its_centroid() {
    let mut w = homes_extract();
    w.rect_way(500, 501, [0.0, 0.02], [0.01, 0.03], &[("landuse", "residential")]);
    let a = analyze(&w);
    let ids: Vec<OsmRef> = a.homes.iter().map(|h| h.osm).collect();
    assert_eq!(ids, vec![way(210), way(240), way(411), way(500), rel(300)]);
    let h = a.homes.iter().find(|h| h.osm == way(500)).expect("area home");
    assert!(close(h.lonlat, [0.005, 0.025]), "{:?}", h.lonlat);
    let f = &a.summary.homes.features;
    assert_eq!(f.home_rule, HomeRule::BuildingsAndEmptyResidentialAreas);
    assert_eq!((f.homes_from_buildings, f.homes_from_residential_areas, f.residential_areas), (4, 1, 3));
}

#[test]
fn residential_areas_stand_in_when_no_building_is_a_home() {
    // Only a garage inside, building=yes outside: no home building at all.
    let mut w = OsmWriter::new();
    footway(&mut w);
    w.rect_way(200, 201, [0.0, 0.0], [0.01, 0.01], &[("landuse", "residential")]);
    w.rect_way(500, 501, [0.0, 0.02], [0.01, 0.03], &[("landuse", "residential")]);
    w.rect_way(220, 221, [0.001, 0.001], [0.002, 0.002], &[("building", "garage")]);
    w.rect_way(230, 231, [0.02, 0.0], [0.022, 0.002], &[("building", "yes")]);
    let a = analyze(&w);
    let homes: Vec<(OsmRef, [f64; 2])> = a.homes.iter().map(|h| (h.osm, h.lonlat)).collect();
    assert_eq!(homes.len(), 2, "{homes:?}");
    assert_eq!((homes[0].0, homes[1].0), (way(200), way(500)));
    assert!(close(homes[0].1, [0.005, 0.005]) && close(homes[1].1, [0.005, 0.025]), "{homes:?}");
    let f = &a.summary.homes.features;
    assert_eq!(f.home_rule, HomeRule::ResidentialLanduse);
    assert_eq!((f.homes_from_buildings, f.homes_from_residential_areas), (0, 2));
}

/// Facilities of every kind: POI nodes, a closed way, a multipolygon with a hole, and near misses.
fn facilities_extract() -> OsmWriter {
    let mut w = OsmWriter::new();
    footway(&mut w);
    w.rect_way(240, 241, [0.03, 0.0], [0.032, 0.002], &[("building", "house")]);
    w.node(700, [0.001, 0.001], &[("shop", "supermarket"), ("name", "Fresh")]);
    w.node(701, [0.002, 0.001], &[("amenity", "nursing_home"), ("name", "康复诊所")]);
    w.node(702, [0.0025, 0.001], &[("amenity", "social_facility"), ("social_facility:for", "senior")]);
    w.node(703, [0.0026, 0.001], &[("amenity", "social_facility"), ("social_facility:for", "child")]);
    w.node(704, [0.0027, 0.001], &[("shop", "clothes"), ("name", "not a grocery")]);
    w.rect_way(710, 711, [0.003, 0.0], [0.004, 0.001], &[("amenity", "clinic")]);
    // Kindergarten: outer square [0.005, 0.009] × [0, 0.004] from two open ways, hole [0.006, 0.007] × [0.001, 0.002].
    w.node(731, [0.005, 0.0], &[]).node(732, [0.009, 0.0], &[]).node(733, [0.009, 0.004], &[]).node(
        734,
        [0.005, 0.004],
        &[],
    );
    w.way(721, &[731, 732, 733], &[]).way(722, &[733, 734, 731], &[]);
    w.rect_way(723, 741, [0.006, 0.001], [0.007, 0.002], &[]);
    w.relation(
        720,
        &[(Member::Way(721), "outer"), (Member::Way(722), ""), (Member::Way(723), "inner")],
        &[("type", "multipolygon"), ("amenity", "kindergarten"), ("name", "Sunflower")],
    );
    // Not a multipolygon: ignored.
    w.relation(
        750,
        &[(Member::Way(710), "outer"), (Member::Node(700), "")],
        &[("type", "site"), ("amenity", "clinic")],
    );
    w
}

#[test]
fn facilities_from_nodes_ways_and_multipolygons() {
    let a = analyze(&facilities_extract());
    let got: Vec<(u8, OsmRef, Option<String>)> =
        a.facilities.iter().map(|f| (f.category.0, f.osm, f.name.clone())).collect();
    let tax = Taxonomy::builtin();
    let cat = |k: &str| tax.category_id(k).expect("category").0;
    let s = |x: &str| Some(x.to_string());
    assert_eq!(
        got,
        vec![
            (cat("grocery"), node(700), s("Fresh")),
            (cat("elder_canteen"), node(701), s("康复诊所")),
            (cat("elder_canteen"), node(702), None),
            (cat("clinic"), node(701), s("康复诊所")),
            (cat("clinic"), way(710), None),
            (cat("childcare"), rel(720), s("Sunflower")),
        ]
    );
    // The clinic way stands at its centroid; the kindergarten at the centroid of the square minus
    // its hole: lon (16 × 7 − 1 × 6.5) / 15 = 7.0333…, lat (16 × 2 − 1 × 1.5) / 15 = 2.0333… (× 0.001°).
    let at = |r: OsmRef| a.facilities.iter().find(|f| f.osm == r).expect("facility").lonlat;
    assert!(close(at(way(710)), [0.0035, 0.0005]), "{:?}", at(way(710)));
    let k = at(rel(720));
    assert!((k[0] - 0.105_5 / 15.0).abs() < 1e-9 && (k[1] - 0.030_5 / 15.0).abs() < 1e-9, "{k:?}");
    let counts: BTreeMap<String, usize> = a.summary.facilities.clone().into_iter().collect();
    let want: BTreeMap<String, usize> = [("childcare", 1), ("clinic", 2), ("elder_canteen", 2), ("grocery", 1)]
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    assert_eq!(counts, want);
    assert_eq!(a.facilities.iter().filter(|f| f.category == CategoryId(cat("clinic"))).count(), 2);
}

#[test]
fn blob_layout_and_element_order_do_not_change_results() {
    let mut base = facilities_extract();
    // Homes too, so that coverage is compared.
    base.rect_way(210, 211, [0.004, 0.004], [0.006, 0.006], &[("building", "apartments")]);
    let a = analyze(&base);
    for (split, reverse) in [(true, false), (false, true), (true, true)] {
        let mut w = base.clone();
        w.split_blobs = split;
        w.reverse_order = reverse;
        let b = analyze(&w);
        let what = format!("split {split} reverse {reverse}");
        assert_eq!(a.homes, b.homes, "{what}");
        assert_eq!(a.facilities, b.facilities, "{what}");
        assert_eq!(a.nearest, b.nearest, "{what}");
        assert_eq!(a.counts, b.counts, "{what}");
        assert_eq!(a.home_anchors, b.home_anchors, "{what}");
        let (mut sa, mut sb) = (serde_json::to_value(&a.summary).unwrap(), serde_json::to_value(&b.summary).unwrap());
        for s in [&mut sa, &mut sb] {
            crate::common::remove_paths(s, &["timings", "inputs.pbf", "inputs.pbf_bytes"]);
        }
        assert_eq!(sa, sb, "{what}");
    }
    assert_eq!(a.homes.len(), 2);
    assert!(a.nearest.iter().flatten().any(|t| t.0 > 0 && t.0 < u32::MAX), "some facility is reached");
}

fn run_bytes(bytes: &[u8]) -> lifecircle::Result<Analysis> {
    let dir = tempfile::tempdir().expect("temp dir");
    let pbf = dir.path().join("x.osm.pbf");
    std::fs::write(&pbf, bytes).expect("write");
    run(&config(&pbf, &dir.path().join("out")))
}

#[test]
fn no_walkable_way_is_an_error_naming_the_file() {
    let mut w = OsmWriter::new();
    w.rect_way(240, 241, [0.03, 0.0], [0.032, 0.002], &[("building", "house")]);
    w.node(1, [0.0, 0.0], &[]).node(2, [0.001, 0.0], &[]);
    w.way(10, &[1, 2], &[("highway", "motorway")]);
    w.way(11, &[1, 2], &[("highway", "footway"), ("access", "private")]);
    let err = run_bytes(&w.to_bytes()).err().expect("no walkable way must fail");
    assert!(matches!(err.kind(), ErrorKind::NoWalkableWays { .. }), "{err:?}");
    assert!(err.is_input_error());
    assert!(err.to_string().contains("x.osm.pbf") && err.to_string().contains("walkable"), "{err}");

    // A header and no data at all.
    let err = run_bytes(&header_blob()).err().expect("an empty extract must fail");
    assert!(matches!(err.kind(), ErrorKind::NoWalkableWays { .. }), "{err:?}");
}

#[test]
fn framing_errors_and_unknown_blobs() {
    let walk = {
        let mut w = OsmWriter::new();
        w.node(1, [0.0, 0.0], &[]).node(2, [0.001, 0.0], &[]);
        w.way(10, &[1, 2], &[("highway", "footway")]);
        w
    };
    let data: Vec<u8> = walk.to_bytes()[header_blob().len()..].to_vec();

    // Data before the header.
    let mut bytes = data.clone();
    bytes.extend(header_blob());
    let err = run_bytes(&bytes).err().expect("data before header");
    assert!(matches!(err.kind(), ErrorKind::Pbf { .. }), "{err:?}");

    // An unknown blob type between header and data is skipped, as the format allows.
    let mut bytes = header_blob();
    bytes.extend(frame("OSMSomethingElse", &raw_blob(b"whatever".to_vec())));
    bytes.extend(&data);
    let a = run_bytes(&bytes).expect("unknown blob types are skipped");
    assert_eq!(a.summary.graph.edges, 1);

    // A data blob that is not a Blob message, and one whose block is not a PrimitiveBlock.
    for garbage in [frame("OSMData", &[0xFF; 40]), frame("OSMData", &raw_blob(vec![0xFF; 40]))] {
        let mut bytes = header_blob();
        bytes.extend(garbage);
        let err = run_bytes(&bytes).err().expect("garbage data blob");
        assert!(matches!(err.kind(), ErrorKind::Pbf { .. }), "{err:?}");
        assert!(err.to_string().contains("x.osm.pbf"), "{err}");
    }
}

/// A block whose way refers to string 99 of a 3-string table: osmpbfreader would index out of bounds.
pub fn corrupt_string_table_pbf() -> Vec<u8> {
    let mut table = StringTable::new();
    table.s = vec![Vec::new(), b"highway".to_vec(), b"footway".to_vec()];
    let mut way = Way::new();
    way.set_id(10);
    way.keys = vec![99];
    way.vals = vec![2];
    way.refs = vec![1, 1];
    let mut group = PrimitiveGroup::new();
    group.ways.push(way);
    let mut block = PrimitiveBlock::new();
    block.stringtable = MessageField::some(table);
    block.primitivegroup = vec![group];
    let mut bytes = header_blob();
    bytes.extend(data_blob(&block));
    bytes
}

#[test]
fn a_corrupt_string_table_is_an_error_not_a_crash() {
    let err = run_bytes(&corrupt_string_table_pbf()).err().expect("corrupt block");
    assert!(matches!(err.kind(), ErrorKind::Pbf { .. }), "{err:?}");
}

#[test]
fn dropped_islands_and_far_away_points_are_reported() {
    // Main network along the equator: 1 (0,0) – 2 (0.005,0) – 3 (0.01,0), two ways (3 nodes).
    // Island: way 10–11 at latitude 0.003 (2 nodes), dropped. Home H (building 300) centred at
    // (0.005, 0.0033): 0.0003° from the island, 0.0033° = 366.94 m from the main network.
    // Home H2 (building 310) centred at (0.001, 0.0002). A clinic node at (0, 0.0001); a
    // supermarket at (0.02, 0): 0.01° = 1 112 m from the network's end, beyond --max-snap-m 500.
    let mut w = OsmWriter::new();
    w.node(1, [0.0, 0.0], &[]).node(2, [0.005, 0.0], &[]).node(3, [0.01, 0.0], &[]);
    w.node(10, [0.004, 0.003], &[]).node(11, [0.006, 0.003], &[]);
    w.way(100, &[1, 2], &[("highway", "footway")]).way(101, &[2, 3], &[("highway", "footway")]);
    w.way(102, &[10, 11], &[("highway", "footway")]);
    w.rect_way(300, 301, [0.0049, 0.0032], [0.0051, 0.0034], &[("building", "house")]);
    w.rect_way(310, 311, [0.0009, 0.0001], [0.0011, 0.0003], &[("building", "house")]);
    w.node(400, [0.0, 0.0001], &[("amenity", "clinic")]);
    w.node(401, [0.02, 0.0], &[("shop", "supermarket")]);
    let a = analyze(&w);
    let s = &a.summary;
    assert_eq!((s.graph.nodes, s.graph.island_nodes_dropped), (3, 2));
    assert_eq!(s.homes.total, 2);
    assert_eq!(s.homes.nearest_way_on_dropped_island, 1);
    assert_eq!(s.homes.unreachable, 0);
    let h = a.homes.iter().position(|h| h.osm == way(300)).expect("home H");
    let snap = a.home_snaps[h].expect("snap");
    assert!((snap.access_m - 3.3 * MILLIDEGREE_M).abs() < 0.01, "{snap:?}");

    let tax = Taxonomy::builtin();
    let grocery = tax.category_id("grocery").unwrap().idx();
    let clinic = tax.category_id("clinic").unwrap().idx();
    let g = &s.categories[grocery];
    assert_eq!((g.facilities, g.facilities_unreachable, g.homes_covered), (1, 1, 0));
    assert!(s.notes.iter().any(|n| n.contains("grocery: 1 of 1 facilities are more than 500 m")), "{:?}", s.notes);
    assert!(a.nearest[grocery].iter().all(|t| *t == lifecircle::ids::TimeMs::INF));

    // Clinic times at 1.25 m/s. Edge 1–2 is 0.005° = 555.975 m: 444 780 ms. The clinic sits at
    // node 1 with access 0.0001° = 11.1195 m (8 896 ms); H2 at a fifth of the edge (88 956 ms)
    // with access 22.239 m (17 791 ms): 8 896 + 88 956 + 17 791 = 115 643 ms.
    // H: 8 896 + 444 780 + 366.94 m / 1.25 (293 552 ms) = 747 228 ms.
    let h2 = a.homes.iter().position(|h| h.osm == way(310)).expect("home H2");
    let near = |i: usize| a.nearest[clinic][i].0 as i64;
    assert!((near(h2) - 115_643).abs() <= 2, "{}", near(h2));
    assert!((near(h) - 747_228).abs() <= 3, "{}", near(h));
    assert_eq!(s.categories[clinic].homes_covered, 2);
}

/// Islands ahead of the kept network in way order: the kept edges' geometry
/// moves down in its array when the island's leaves, and every kept edge still
/// has its own points (ends at its nodes) and lengths from them.
#[test]
fn kept_edges_keep_their_geometry_when_an_earlier_island_is_dropped() {
    use lifecircle::graph::build_graph;
    use lifecircle::ids::{EdgeId, NodeId};
    let mut w = OsmWriter::new();
    w.node(10, [0.004, 0.003], &[]).node(11, [0.005, 0.0031], &[]).node(12, [0.006, 0.003], &[]);
    w.node(20, [0.0, 0.0], &[]).node(21, [0.001, 0.0005], &[]).node(22, [0.002, 0.0], &[]);
    w.node(23, [0.003, 0.0004], &[]).node(24, [0.002, 0.001], &[]);
    w.way(50, &[10, 11, 12], &[("highway", "footway")]);
    w.way(60, &[20, 21, 22, 23], &[("highway", "footway")]).way(61, &[22, 24], &[("highway", "path")]);
    let tax = Taxonomy::builtin();
    let profiles = Profiles::builtin();
    let data = read_pbf_bytes(&w.to_bytes(), Path::new("i.osm.pbf"), &tax, profiles.get("adult").unwrap()).unwrap();
    let built = build_graph(&data, 1.25, 4, Path::new("i.osm.pbf")).expect("a graph");
    let (g, islands) = (&built.graph, &built.islands);
    assert_eq!((g.num_nodes(), g.num_edges(), islands.num_edges()), (4, 3, 1));
    let deg = |lonlat: [f64; 2]| [(lonlat[0] * 1e7).round() as i64, (lonlat[1] * 1e7).round() as i64];
    let mut pieces = Vec::new();
    for e in 0..g.num_edges() {
        let geom = g.edge_geometry(EdgeId(e as u32));
        let (u, v) = g.edge_endpoints(EdgeId(e as u32));
        assert_eq!(deg(geom[0]), deg(g.node_lonlat(u)), "edge {e} starts at its node");
        assert_eq!(deg(*geom.last().unwrap()), deg(g.node_lonlat(v)), "edge {e} ends at its node");
        let cum = g.edge_cumulative_m(EdgeId(e as u32));
        assert_eq!(cum.len(), geom.len());
        assert!((cum.last().unwrap() - g.edge_length_m(EdgeId(e as u32))).abs() < 1e-9);
        pieces.push(geom.iter().map(|&p| deg(p)).collect::<Vec<_>>());
    }
    let at = |lon: f64, lat: f64| deg([lon, lat]);
    assert_eq!(
        pieces,
        vec![
            vec![at(0.0, 0.0), at(0.001, 0.0005), at(0.002, 0.0)],
            vec![at(0.002, 0.0), at(0.003, 0.0004)],
            vec![at(0.002, 0.0), at(0.002, 0.001)],
        ]
    );
    let island: Vec<_> = islands.edge_geometry(EdgeId(0)).iter().map(|&p| deg(p)).collect();
    assert_eq!(island, vec![at(0.004, 0.003), at(0.005, 0.0031), at(0.006, 0.003)]);
    assert_eq!(deg(islands.node_lonlat(NodeId(0))), at(0.004, 0.003));
}

#[test]
fn no_homes_and_no_facilities_still_write_valid_outputs() {
    let mut w = OsmWriter::new();
    w.node(1, [0.0, 0.0], &[]).node(2, [0.001, 0.0], &[]);
    w.way(10, &[1, 2], &[("highway", "footway")]);
    let dir = tempfile::tempdir().expect("temp dir");
    let pbf = dir.path().join("empty-ish.osm.pbf");
    w.write(&pbf);
    let out = dir.path().join("out");
    let summary = lifecircle::analyze(&config(&pbf, &out)).expect("analyze");
    assert_eq!(summary.homes.total, 0);
    assert_eq!(summary.complete.homes, 0);
    assert!(summary.notes.iter().any(|n| n.contains("no homes found")), "{:?}", summary.notes);
    for c in &summary.categories {
        assert_eq!((c.facilities, c.homes_covered, c.share_covered, c.median_min), (0, 0, 0.0, None));
        assert_eq!(c.note.as_deref(), Some("no facilities found"));
    }
    for f in ["coverage.geojson", "facilities.geojson"] {
        let v = crate::common::read_json(&out.join(f));
        assert_eq!(v["type"], "FeatureCollection");
        assert_eq!(v["features"].as_array().map(Vec::len), Some(0), "{f}");
    }
    assert_eq!(crate::common::read_json(&out.join("summary.json"))["homes"]["total"], 0);
}

#[test]
fn assemble_rings_by_hand() {
    use lifecircle::osm::multipolygon::assemble_rings;
    // Three pieces, the middle one reversed: 1-2-3, 5-4-3, 5-6-1 → 1-2-3-4-5-6-1.
    let (rings, open) = assemble_rings(&[vec![1, 2, 3], vec![5, 4, 3], vec![5, 6, 1]]);
    assert_eq!((rings, open), (vec![vec![1, 2, 3, 4, 5, 6, 1]], 0));
    // A closed way, a three-piece triangle, and a stray piece.
    let (rings, open) = assemble_rings(&[vec![1, 2, 3, 1], vec![10, 11], vec![11, 12], vec![12, 10], vec![20, 21]]);
    assert_eq!((rings, open), (vec![vec![1, 2, 3, 1], vec![10, 11, 12, 10]], 1));
    // Two pieces that never close: both counted open.
    assert_eq!(assemble_rings(&[vec![1, 2], vec![2, 3]]), (vec![], 2));
    // Nothing in, nothing out.
    assert_eq!(assemble_rings::<i64>(&[]), (vec![], 0));
}

#[test]
fn taxonomy_rules_from_toml_by_hand() {
    let text = r#"
version = 1
[[category]]
key = "food"
label_en = "Food"
label_zh = "食"
[[category.match]]
tags = { shop = ["bakery", "deli"] }
[[category.match]]
tags = { amenity = ["*"], cuisine = ["noodle"] }

[[category]]
key = "care"
label_en = "Care"
label_zh = "护"
[[category.match]]
name_contains = ["诊所", "Praxis"]
[[category.match]]
tags = { healthcare = ["*"] }

[homes]
building = ["*"]
"#;
    let t = Taxonomy::from_toml(text, Path::new("mine.toml")).expect("valid taxonomy");
    assert_eq!(t.len(), 2);
    let c = |tags: &[(&str, &str)]| t.classify(tags);
    assert_eq!(c(&[("shop", "bakery")]), 0b01);
    assert_eq!(c(&[("shop", "clothes")]), 0);
    assert_eq!(c(&[("amenity", "restaurant"), ("cuisine", "noodle")]), 0b01, "\"*\" accepts any value");
    assert_eq!(c(&[("amenity", "no"), ("cuisine", "noodle")]), 0, "\"*\" does not accept \"no\"");
    assert_eq!(c(&[("amenity", "restaurant")]), 0, "every tag of a rule must hold");
    assert_eq!(c(&[("name", "Dr. Meier Praxis")]), 0b10);
    assert_eq!(c(&[("alt_name", "王氏诊所")]), 0b10, "any name key");
    assert_eq!(c(&[("description", "诊所")]), 0, "only name keys");
    assert_eq!(c(&[("shop", "deli"), ("healthcare", "pharmacy")]), 0b11, "several categories at once");
    assert_eq!(c(&[("healthcare", "no")]), 0);
    use lifecircle::taxonomy::BuildingClass;
    assert_eq!(t.building_class("shed"), BuildingClass::Home, "\"*\" home buildings");
    assert_eq!(t.building_class("no"), BuildingClass::NotHome);
    let builtin = Taxonomy::builtin();
    assert_eq!(builtin.building_class("yes"), BuildingClass::HomeIfResidential);
    assert_eq!(builtin.building_class("apartments"), BuildingClass::Home);
    assert_eq!(builtin.building_class("garage"), BuildingClass::NotHome);
    assert!(builtin.is_residential_landuse("residential") && !builtin.is_residential_landuse("commercial"));

    // Errors are table errors naming the file.
    for bad in [
        text.replace("version = 1", "version = 7"),
        text.replace("key = \"care\"", "key = \"food\""),
        text.replace("name_contains = [\"诊所\", \"Praxis\"]", "name_contains = []"),
        text.replace("label_zh = \"护\"", "label_zh = \"护\"\ncolour = \"red\""),
    ] {
        let err = Taxonomy::from_toml(&bad, Path::new("mine.toml")).expect_err("invalid taxonomy");
        assert!(matches!(err.kind(), ErrorKind::Table { .. }), "{err:?}");
        assert!(err.to_string().starts_with("mine.toml: "), "{err}");
        assert!(err.is_input_error());
    }
    let err = Profiles::builtin().get("sprinter").expect_err("unknown profile");
    assert!(matches!(err.kind(), ErrorKind::InvalidParameter { .. }) && err.to_string().contains("adult"), "{err}");
}

// ---------------------------------------------------------------------------
// Hostile input: the PBF reader refuses or caps what it is given (limits in
// `lifecircle::osm::blob`), in bounded memory, and never hangs or panics.

/// The PBF error of reading `bytes`, as text.
fn pbf_error(bytes: &[u8]) -> String {
    let tax = Taxonomy::builtin();
    let profiles = Profiles::builtin();
    let adult = profiles.get("adult").expect("adult profile");
    let err = read_pbf_bytes(bytes, Path::new("hostile.osm.pbf"), &tax, adult).expect_err("hostile input must fail");
    assert!(matches!(err.kind(), ErrorKind::Pbf { .. }), "{err:?}");
    assert!(err.is_input_error());
    let text = err.to_string();
    assert!(text.contains("hostile.osm.pbf"), "{text}");
    text
}

/// A framed `OSMData` blob whose header claims `datasize` bytes, followed by `data`.
fn frame_claiming(datasize: i32, data: &[u8]) -> Vec<u8> {
    let mut header = osmpbfreader::fileformat::BlobHeader::new();
    header.set_type("OSMData".to_string());
    header.set_datasize(datasize);
    let hb = protobuf::Message::write_to_bytes(&header).expect("encode");
    let mut out = (hb.len() as u32).to_be_bytes().to_vec();
    out.extend(hb);
    out.extend_from_slice(data);
    out
}

/// A `Blob` holding `zlib` as zlib data and claiming `raw_size` (if any).
fn zlib_blob(zlib: Vec<u8>, raw_size: Option<i32>) -> Vec<u8> {
    let mut blob = osmpbfreader::fileformat::Blob::new();
    if let Some(s) = raw_size {
        blob.set_raw_size(s);
    }
    blob.set_zlib_data(zlib);
    protobuf::Message::write_to_bytes(&blob).expect("encode")
}

fn zlib(payload: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(payload).expect("compress");
    z.finish().expect("compress")
}

#[test]
fn non_regular_files_are_refused_before_reading() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    // A device that never ends.
    let r = crate::cli::analyze(Path::new("/dev/zero"), &out, &["--quiet"]);
    crate::cli::assert_input_error(&r, &out, &["/dev/zero", "not a regular file"], "/dev/zero");
    // A folder.
    let folder = dir.path().join("folder.osm.pbf");
    std::fs::create_dir(&folder).expect("mkdir");
    let r = crate::cli::analyze(&folder, &out, &["--quiet"]);
    crate::cli::assert_input_error(&r, &out, &["folder.osm.pbf", "is a folder"], "a folder");
    // A FIFO with no writer: opening it would wait for one forever, so it is
    // refused from its metadata. Read on another thread so a hang fails the test.
    let fifo = dir.path().join("fifo.osm.pbf");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success(), "mkfifo");
    let (tx, rx) = std::sync::mpsc::channel();
    let f = fifo.clone();
    std::thread::spawn(move || {
        let tax = Taxonomy::builtin();
        let profiles = Profiles::builtin();
        let r = lifecircle::osm::read_pbf(&f, &tax, profiles.get("adult").expect("adult")).map(|_| ());
        let _ = tx.send(r.map_err(|e| e.to_string()));
    });
    let r = rx.recv_timeout(std::time::Duration::from_secs(60)).expect("a FIFO must not block the reader");
    let err = r.expect_err("a FIFO is refused");
    assert!(err.contains("fifo.osm.pbf") && err.contains("not a regular file"), "{err}");
}

/// The 4-byte length and `BlobHeader` of a blob of type `kind` claiming `datasize` bytes.
fn blob_header_claiming(kind: &str, datasize: i32) -> Vec<u8> {
    let mut header = osmpbfreader::fileformat::BlobHeader::new();
    header.set_type(kind.to_string());
    header.set_datasize(datasize);
    let hb = protobuf::Message::write_to_bytes(&header).expect("encode");
    let mut out = (hb.len() as u32).to_be_bytes().to_vec();
    out.extend(hb);
    out
}

/// There is no limit on the file's size: a sparse 3 GiB file of zeros after a
/// valid header is not a PBF, said at the first bad frame, without reading on.
#[test]
fn a_3_gib_file_of_zeros_is_refused_at_its_first_frame() {
    let dir = tempfile::tempdir().expect("temp dir");
    let big = dir.path().join("zeros.osm.pbf");
    let header = header_blob();
    std::fs::write(&big, &header).expect("write");
    // Sparse: no disk space is used.
    let f = std::fs::OpenOptions::new().write(true).open(&big).expect("open");
    f.set_len(3 << 30).expect("sparse file");
    drop(f);
    let out = dir.path().join("out");
    let r = crate::cli::analyze(&big, &out, &["--quiet"]);
    let at = format!("bad blob header length 0 at byte {}", header.len());
    crate::cli::assert_input_error(&r, &out, &["zeros.osm.pbf", "not a valid OSM PBF", &at], "3 GiB of zeros");
}

/// Regression for the removed 2 GiB cap on the whole file: the data blob that
/// starts past 2 GiB (after 65 skipped blobs of 32 MiB, sparse zeros on disk)
/// is read like any other, one blob at a time.
#[test]
fn a_blob_past_2_gib_is_read() {
    use lifecircle::osm::blob::MAX_BLOB_BYTES;
    use std::io::{Seek, SeekFrom, Write};
    let dir = tempfile::tempdir().expect("temp dir");
    let big = dir.path().join("big.osm.pbf");
    let mut f = std::fs::File::create(&big).expect("create");
    f.write_all(&header_blob()).expect("write");
    for _ in 0..65 {
        // A blob of a type readers skip, its content a hole in the file.
        f.write_all(&blob_header_claiming("LifecircleTestPadding", MAX_BLOB_BYTES as i32)).expect("write");
        f.seek(SeekFrom::Current(MAX_BLOB_BYTES as i64)).expect("seek");
    }
    let data_start = f.stream_position().expect("position");
    assert!(data_start > 2 << 30, "{data_start}");
    for b in crossing_ways().blocks() {
        f.write_all(&data_blob(&b)).expect("write");
    }
    drop(f);
    let tax = Taxonomy::builtin();
    let profiles = Profiles::builtin();
    let data = lifecircle::osm::read_pbf(&big, &tax, profiles.get("adult").expect("adult")).expect("a valid file");
    assert_eq!(data.way_ids, vec![100, 101, 102]);
    assert_eq!(data.node_ids, vec![1, 2, 3, 4, 5, 6, 7, 8, 10, 11]);
}

#[test]
fn hostile_blob_sizes_are_errors_before_any_allocation() {
    use lifecircle::osm::blob::{MAX_BLOB_BYTES, MAX_BLOB_HEADER_BYTES};
    // A header length of 4 GiB, and one just over the format's 64 KiB.
    for len in [u32::MAX, MAX_BLOB_HEADER_BYTES as u32 + 1, 0] {
        let mut bytes = header_blob();
        bytes.extend(len.to_be_bytes());
        bytes.extend([0u8; 16]);
        let e = pbf_error(&bytes);
        assert!(e.contains("bad blob header length"), "{len}: {e}");
    }
    // A blob claiming 2 GiB, one just over 32 MiB, and a negative size: refused before reading them.
    for size in [i32::MAX, MAX_BLOB_BYTES as i32 + 1, -1] {
        let mut bytes = header_blob();
        bytes.extend(frame_claiming(size, &[0u8; 8]));
        let e = pbf_error(&bytes);
        assert!(e.contains("bad blob size"), "{size}: {e}");
    }
    // A blob whose stated uncompressed size is 1 GiB.
    let mut bytes = header_blob();
    bytes.extend(frame("OSMData", &zlib_blob(zlib(b"tiny"), Some(1 << 30))));
    let e = pbf_error(&bytes);
    assert!(e.contains("over the format's limit"), "{e}");
}

#[test]
fn a_zip_bomb_is_cut_off_at_its_stated_size() {
    // 40 MiB of zeros compress to about 40 KB.
    let bomb = zlib(&vec![0u8; 40 << 20]);
    assert!(bomb.len() < 100_000);
    for raw_size in [Some(1000), None] {
        let mut bytes = header_blob();
        bytes.extend(frame("OSMData", &zlib_blob(bomb.clone(), raw_size)));
        let e = pbf_error(&bytes);
        assert!(e.contains("inflates past its stated size"), "{raw_size:?}: {e}");
    }
    // Content shorter than stated, corrupt zlib data, an unsupported compression.
    let mut bytes = header_blob();
    bytes.extend(frame("OSMData", &zlib_blob(zlib(&[0u8; 100]), Some(200))));
    assert!(pbf_error(&bytes).contains("inflates to 100 bytes"));
    let mut bytes = header_blob();
    bytes.extend(frame("OSMData", &zlib_blob(vec![0x78, 0x9C, 0xFF, 0xFF, 0x00], Some(200))));
    assert!(pbf_error(&bytes).contains("zlib"));
    let mut blob = osmpbfreader::fileformat::Blob::new();
    blob.set_raw_size(10);
    blob.set_lzma_data(vec![1, 2, 3]);
    let mut bytes = header_blob();
    bytes.extend(frame("OSMData", &protobuf::Message::write_to_bytes(&blob).expect("encode")));
    assert!(pbf_error(&bytes).contains("lzma-compressed blobs are not supported"));
}

#[test]
fn compressed_blobs_read_as_raw_ones() {
    let w = crossing_ways();
    let mut bytes = header_blob();
    for b in w.blocks() {
        let block = protobuf::Message::write_to_bytes(&b).expect("encode");
        bytes.extend(frame("OSMData", &zlib_blob(zlib(&block), Some(block.len() as i32))));
    }
    let tax = Taxonomy::builtin();
    let profiles = Profiles::builtin();
    let adult = profiles.get("adult").expect("adult profile");
    let raw = read_pbf_bytes(&w.to_bytes(), Path::new("raw.osm.pbf"), &tax, adult).expect("raw");
    let z = read_pbf_bytes(&bytes, Path::new("zlib.osm.pbf"), &tax, adult).expect("zlib");
    assert_eq!((raw.node_ids, raw.node_pos, raw.way_refs), (z.node_ids, z.node_pos, z.way_refs));
}

/// Every reference's node index (resolved while the merge sorts the
/// references) is where a plain binary search finds its id, or missing when
/// the id is not there: on the real files of the repository (complete), the
/// clipped test extracts, and blobs split and in reverse order.
#[test]
fn reference_indices_match_a_binary_search() {
    let tax = Taxonomy::builtin();
    let profiles = Profiles::builtin();
    let adult = profiles.get("adult").expect("adult profile");
    let check = |d: &lifecircle::osm::OsmData, what: &str| {
        let mut refs = 0;
        for w in 0..d.way_ids.len() {
            assert_eq!(d.way_nodes(w).len(), d.way_node_indices(w).len(), "{what}: way {w}");
            for (&id, &i) in d.way_nodes(w).iter().zip(d.way_node_indices(w)) {
                let want = d.node_ids.binary_search(&id).map_or(lifecircle::osm::MISSING_NODE, |i| i as u32);
                assert_eq!(i, want, "{what}: way {w}, node {id}");
                refs += 1;
            }
        }
        refs
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in ["data/liechtenstein-2024-03.osm.pbf", "tests/fixtures/beijing-bupt.osm.pbf"] {
        let bytes = std::fs::read(root.join(file)).expect("fixture");
        let d = read_pbf_bytes(&bytes, Path::new(file), &tax, adult).expect("read");
        assert!(check(&d, file) > 1000, "{file}: references checked");
    }
    let mut missing = OsmWriter::new();
    missing.node(1, [0.0, 0.0], &[]).node(2, [0.001, 0.0], &[]).node(5, [0.002, 0.0], &[]);
    missing.way(103, &[98, 1, 2, 97, 96, 5, 1], &[("highway", "path")]).way(104, &[0, 5, 2], &[("building", "yes")]);
    for base in [crossing_ways(), missing] {
        for (split, reverse) in [(false, false), (true, false), (false, true), (true, true)] {
            let mut w = base.clone();
            w.split_blobs = split;
            w.reverse_order = reverse;
            let d = read_pbf_bytes(&w.to_bytes(), Path::new("w.osm.pbf"), &tax, adult).expect("read");
            assert!(check(&d, &format!("split {split} reverse {reverse}")) > 0);
            assert!(d.way_ids.iter().all(|w| d.way_index(*w).is_some()));
        }
    }
}

/// Only the nodes of ways that matter are kept: a node of an untagged way
/// (nothing refers to it) and a lone untagged node are not.
#[test]
fn only_the_nodes_that_ways_use_are_kept() {
    let mut w = crossing_ways();
    w.node(500, [1.0, 1.0], &[]).node(501, [1.001, 1.0], &[]).node(502, [2.0, 2.0], &[]);
    w.way(600, &[500, 501], &[]);
    let tax = Taxonomy::builtin();
    let profiles = Profiles::builtin();
    let data = read_pbf_bytes(&w.to_bytes(), Path::new("k.osm.pbf"), &tax, profiles.get("adult").unwrap()).unwrap();
    assert_eq!(data.node_ids, vec![1, 2, 3, 4, 5, 6, 7, 8, 10, 11]);
    assert_eq!(data.way_index(600), None, "an untagged way that nothing uses is not kept");
    assert!(data.way_index(100).is_some(), "a walkable way is");
}

/// Regression: a clipped extract whose walkable ways all lack their nodes said
/// only "no walkable ways found", as if it had no roads; it now says the ways'
/// nodes are missing from the extract, and how many.
#[test]
fn ways_whose_nodes_are_all_missing_say_so() {
    let mut w = OsmWriter::new();
    w.node(1, [0.0, 0.0], &[]);
    w.way(10, &[1, 2, 3], &[("highway", "footway")]);
    w.way(11, &[4, 5], &[("highway", "residential")]);
    let err = run_bytes(&w.to_bytes()).err().expect("no segment can be built");
    assert!(
        matches!(err.kind(), ErrorKind::NoWalkableWays { walkable_ways: 2, node_refs: 5, missing_node_refs: 4, .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("no walkable ways found") && text.contains("missing from the extract"), "{text}");
    assert!(text.contains("4 of the 5 node references of its 2 walkable ways"), "{text}");
}

/// The header's required features must be understood: a history file is refused, not misread.
#[test]
fn a_file_requiring_an_unknown_feature_is_refused() {
    let mut h = osmpbfreader::osmformat::HeaderBlock::new();
    h.required_features = vec!["OsmSchema-V0.6".into(), "DenseNodes".into(), "HistoricalInformation".into()];
    let mut bytes = frame("OSMHeader", &raw_blob(protobuf::Message::write_to_bytes(&h).expect("encode")));
    bytes.extend(&crossing_ways().to_bytes()[header_blob().len()..]);
    let e = pbf_error(&bytes);
    assert!(e.contains("requires features this reader does not support: HistoricalInformation"), "{e}");
    // A header that is not a HeaderBlock message.
    let mut bytes = frame("OSMHeader", &raw_blob(vec![0xFF; 12]));
    bytes.extend(&crossing_ways().to_bytes()[header_blob().len()..]);
    assert!(pbf_error(&bytes).contains("bad header block"));
}

// ---------------------------------------------------------------------------
// The block decoder (`osm::block`: osmpbfreader's `PrimitiveBlock` message,
// walked directly) against osmpbfreader's own reader, `OsmPbfReader::iter`
// (an `OsmObj` with a tag map per element: the slow, obvious reference).

pub(crate) type TagMap = BTreeMap<String, String>;

/// One element as a reader sees it; tags as a map (of a key given twice, the last, as osmpbfreader keeps).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Element {
    Node { id: i64, decimicro: [i32; 2], tags: TagMap },
    Way { id: i64, refs: Vec<i64>, tags: TagMap },
    Relation { id: i64, members: Vec<(char, i64, String)>, tags: TagMap },
}

/// Collects what `decode_block` hands out (and where the current block began).
pub(crate) struct Collect(pub(crate) Vec<Element>, pub(crate) usize);

fn tag_map(tags: lifecircle::osm::block::BlockTags<'_>) -> TagMap {
    tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

impl lifecircle::osm::block::ElementSink for Collect {
    fn begin_block(&mut self) {
        self.1 = self.0.len();
    }
    fn rewind(&mut self) {
        self.0.truncate(self.1);
    }
    fn node(&mut self, id: i64, decimicro: [i32; 2], tags: lifecircle::osm::block::BlockTags<'_>) {
        self.0.push(Element::Node { id, decimicro, tags: tag_map(tags) });
    }
    fn way(&mut self, id: i64, refs: &[i64], tags: lifecircle::osm::block::BlockTags<'_>) {
        self.0.push(Element::Way { id, refs: refs.to_vec(), tags: tag_map(tags) });
    }
    fn relation(
        &mut self,
        id: i64,
        members: &[lifecircle::osm::block::Member],
        tags: lifecircle::osm::block::BlockTags<'_>,
    ) {
        use lifecircle::osm::block::MemberType;
        let members = members
            .iter()
            .map(|m| {
                let kind = match m.kind {
                    MemberType::Node => 'n',
                    MemberType::Way => 'w',
                    MemberType::Relation => 'r',
                };
                (kind, m.id, tags.string(m.role).to_string())
            })
            .collect();
        self.0.push(Element::Relation { id, members, tags: tag_map(tags) });
    }
}

/// The fast path: our blob stream and inflation, then `decode_block` per blob.
fn fast_elements(bytes: &[u8]) -> Vec<Element> {
    use lifecircle::osm::blob::BlobReader;
    use lifecircle::osm::block::{BlockScratch, decode_block};
    let mut sink = Collect(Vec::new(), 0);
    let (mut inflater, mut scratch) = (lifecircle::osm::blob::Inflater::default(), BlockScratch::default());
    for blob in BlobReader::new(bytes, Path::new("fast.osm.pbf")) {
        let blob = blob.expect("a valid file");
        let block = blob.inflate(&mut inflater).expect("inflates");
        decode_block(block, &mut scratch, &mut sink).expect("decodes");
    }
    sink.0
}

/// The reference: osmpbfreader's reader, end to end.
fn reference_elements(bytes: &[u8]) -> Vec<Element> {
    use osmpbfreader::{OsmId, OsmObj};
    let tags = |t: &osmpbfreader::Tags| -> TagMap { t.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() };
    let mut pbf = osmpbfreader::OsmPbfReader::new(std::io::Cursor::new(bytes));
    pbf.iter()
        .map(|o| match o.expect("osmpbfreader reads the file") {
            OsmObj::Node(n) => {
                Element::Node { id: n.id.0, decimicro: [n.decimicro_lon, n.decimicro_lat], tags: tags(&n.tags) }
            }
            OsmObj::Way(w) => {
                Element::Way { id: w.id.0, refs: w.nodes.iter().map(|n| n.0).collect(), tags: tags(&w.tags) }
            }
            OsmObj::Relation(r) => {
                let members = r
                    .refs
                    .iter()
                    .map(|m| {
                        let (kind, id) = match m.member {
                            OsmId::Node(n) => ('n', n.0),
                            OsmId::Way(w) => ('w', w.0),
                            OsmId::Relation(r) => ('r', r.0),
                        };
                        (kind, id, m.role.to_string())
                    })
                    .collect();
                Element::Relation { id: r.id.0, members, tags: tags(&r.tags) }
            }
        })
        .collect()
}

/// What `read_pbf` keeps agrees with the reference elements: the kept ways'
/// references, and exactly the nodes they use, at the reference's positions.
/// Returns the number of ways and nodes kept.
fn check_kept(bytes: &[u8], reference: &[Element], what: &str) -> (usize, usize) {
    let tax = Taxonomy::builtin();
    let profiles = Profiles::builtin();
    let data = read_pbf_bytes(bytes, Path::new("kept.osm.pbf"), &tax, profiles.get("adult").expect("adult"))
        .expect("a valid file");
    let mut nodes: BTreeMap<i64, [i32; 2]> = BTreeMap::new();
    let mut ways: BTreeMap<i64, &[i64]> = BTreeMap::new();
    for e in reference {
        match e {
            Element::Node { id, decimicro, .. } => {
                let lonlat = [decimicro[0] as f64 * 1e-7, decimicro[1] as f64 * 1e-7];
                if lifecircle::geometry::valid_lonlat(lonlat) {
                    nodes.entry(*id).or_insert(*decimicro);
                }
            }
            Element::Way { id, refs, .. } => {
                ways.entry(*id).or_insert(refs);
            }
            Element::Relation { .. } => {}
        }
    }
    // The kept ways are ways of the file, ascending, each with the file's references.
    assert!(data.way_ids.windows(2).all(|w| w[0] < w[1]), "{what}: way ids ascending");
    let mut used = std::collections::BTreeSet::new();
    for (i, id) in data.way_ids.iter().enumerate() {
        let refs = ways.get(id).unwrap_or_else(|| panic!("{what}: way {id} is not in the file"));
        assert_eq!(data.way_nodes(i), *refs, "{what}: way {id}");
        used.extend(refs.iter().copied().filter(|n| nodes.contains_key(n)));
    }
    let kept_ways = data.way_ids.len();
    // Every member way of a kept relation that the file has is kept.
    for r in &data.relations {
        for m in r.outer.iter().chain(&r.inner).filter(|m| ways.contains_key(m)) {
            assert!(data.way_index(*m).is_some(), "{what}: way {m}, a member of relation {}", r.id);
        }
    }
    for info in &data.way_info {
        assert_eq!(
            data.way_nodes(info.way as usize),
            ways[&data.way_ids[info.way as usize]],
            "{what}: a way that matters"
        );
    }
    assert_eq!(data.node_ids, used.iter().copied().collect::<Vec<_>>(), "{what}: the kept nodes");
    let want: Vec<[i32; 2]> = used.iter().map(|n| nodes[n]).collect();
    assert_eq!(data.node_pos, want, "{what}: node positions");
    (kept_ways, used.len())
}

#[test]
fn block_decoder_matches_osmpbfreader_on_the_fixtures() {
    for path in [crate::common::beijing(), crate::common::nanjing(), crate::common::liechtenstein()] {
        let bytes = std::fs::read(&path).expect("read fixture");
        let what = path.display().to_string();
        let reference = reference_elements(&bytes);
        let fast = fast_elements(&bytes);
        assert_eq!(fast.len(), reference.len(), "{what}: element count");
        for (k, (f, r)) in fast.iter().zip(&reference).enumerate() {
            assert_eq!(f, r, "{what}: element {k}");
        }
        let count = |p: fn(&Element) -> bool| reference.iter().filter(|e| p(e)).count();
        let (n, w, r) = (
            count(|e| matches!(e, Element::Node { .. })),
            count(|e| matches!(e, Element::Way { .. })),
            count(|e| matches!(e, Element::Relation { .. })),
        );
        assert!(n > 1000 && w > 100 && r > 0, "{what}: {n} nodes, {w} ways, {r} relations");
        let (ways, nodes) = check_kept(&bytes, &reference, &what);
        assert!(ways > 100 && nodes > 1000, "{what}: {ways} ways and {nodes} nodes kept");
        assert!(ways < w, "{what}: {ways} of {w} ways kept: the ways that do not matter are not");
    }
}

/// The strings random blocks draw their tags and roles from: repeated keys,
/// an empty string, bytes that are not UTF-8, CJK.
pub(crate) const STRING_POOL: [&[u8]; 12] = [
    b"highway",
    b"footway",
    b"name",
    b"building",
    b"yes",
    b"amenity",
    b"clinic",
    b"\xFFbad",
    b"",
    b"outer",
    b"inner",
    "名称".as_bytes(),
];

/// A random file for `seed`: 1–3 data blobs (raw or zlib), each a block with
/// its own granularity and offsets and 1–3 groups mixing plain nodes, dense
/// nodes, ways and relations; tags from a small table with repeated keys and
/// bytes that are not UTF-8; relation members of every type, and of an unknown one.
fn random_pbf(seed: u64) -> Vec<u8> {
    use crate::common::rng::SplitMix64;
    use osmpbfreader::osmformat::{DenseNodes, Node, Relation, relation::MemberType};
    let mut rng = SplitMix64::new(seed);
    let pool = STRING_POOL;
    let mut bytes = header_blob();
    let mut node_ids: Vec<i64> = Vec::new();
    for _ in 0..rng.range(1, 3) {
        let mut table = StringTable::new();
        table.s = vec![Vec::new(), b"highway".to_vec(), b"footway".to_vec()];
        for _ in 0..rng.range(0, 10) {
            table.s.push(rng.pick(&pool).to_vec());
        }
        let n_strings = table.s.len();
        let mut block = PrimitiveBlock::new();
        block.stringtable = MessageField::some(table);
        if rng.chance(0.5) {
            block.set_granularity(*rng.pick(&[1, 100, 1000, 37]));
        }
        if rng.chance(0.5) {
            block.set_lat_offset(rng.range(0, 2_000_000_000) as i64 - 1_000_000_000);
            block.set_lon_offset(rng.range(0, 2_000_000_000) as i64 - 1_000_000_000);
        }
        let id = |rng: &mut SplitMix64| rng.range(0, 1 << 40) as i64 - (1 << 39);
        let coord = |rng: &mut SplitMix64| rng.range(0, 3_000_000) as i64 - 1_500_000;
        let tags = |rng: &mut SplitMix64| -> Vec<(u32, u32)> {
            (0..rng.range(0, 4))
                .map(|_| (rng.range(1, n_strings - 1) as u32, rng.range(0, n_strings - 1) as u32))
                .collect()
        };
        for _ in 0..rng.range(1, 3) {
            let mut g = PrimitiveGroup::new();
            for _ in 0..rng.range(0, 3) {
                let mut n = Node::new();
                n.set_id(id(&mut rng));
                node_ids.push(n.id());
                n.set_lat(coord(&mut rng));
                n.set_lon(coord(&mut rng));
                (n.keys, n.vals) = tags(&mut rng).into_iter().unzip();
                g.nodes.push(n);
            }
            if rng.chance(0.7) {
                let mut d = DenseNodes::new();
                let mut running = 0i64;
                for _ in 0..rng.range(0, 20) {
                    d.id.push(rng.range(0, 1000) as i64 - 100);
                    running += d.id.last().copied().unwrap_or(0);
                    node_ids.push(running);
                    d.lat.push(coord(&mut rng));
                    d.lon.push(coord(&mut rng));
                    for (k, v) in tags(&mut rng) {
                        d.keys_vals.extend([k as i32, v as i32]);
                    }
                    d.keys_vals.push(0);
                }
                g.dense = MessageField::some(d);
            }
            for _ in 0..rng.range(0, 4) {
                let mut w = Way::new();
                w.set_id(id(&mut rng));
                // References to nodes of the file (or not), delta-coded.
                let mut prev = 0i64;
                for _ in 0..rng.range(0, 8) {
                    let r = match node_ids.is_empty() || rng.chance(0.2) {
                        true => rng.range(0, 2000) as i64 - 1000,
                        false => *rng.pick(&node_ids),
                    };
                    w.refs.push(r - prev);
                    prev = r;
                }
                (w.keys, w.vals) = tags(&mut rng).into_iter().unzip();
                if rng.chance(0.5) {
                    w.keys.push(1);
                    w.vals.push(2); // highway=footway: a way that keeps its references
                }
                g.ways.push(w);
            }
            for _ in 0..rng.range(0, 3) {
                let mut r = Relation::new();
                r.set_id(id(&mut rng));
                for _ in 0..rng.range(0, 5) {
                    r.memids.push(rng.range(0, 2000) as i64 - 1000);
                    r.roles_sid.push(rng.range(0, n_strings - 1) as i32);
                    let t = rng.range(0, 3) as i32; // 3: an unknown member type, skipped
                    r.types.push(protobuf::EnumOrUnknown::<MemberType>::from_i32(t));
                }
                (r.keys, r.vals) = tags(&mut rng).into_iter().unzip();
                g.relations.push(r);
            }
            block.primitivegroup.push(g);
        }
        let encoded = protobuf::Message::write_to_bytes(&block).expect("encode");
        if rng.chance(0.5) {
            bytes.extend(frame("OSMData", &zlib_blob(zlib(&encoded), Some(encoded.len() as i32))));
        } else {
            bytes.extend(frame("OSMData", &raw_blob(encoded)));
        }
    }
    bytes
}

#[test]
fn block_decoder_matches_osmpbfreader_on_random_blocks() {
    let (mut elements, mut kept_ways, mut kept_nodes) = (0, 0, 0);
    for seed in 0..300u64 {
        let bytes = random_pbf(seed);
        let reference = reference_elements(&bytes);
        assert_eq!(fast_elements(&bytes), reference, "seed {seed}");
        let (ways, nodes) = check_kept(&bytes, &reference, &format!("seed {seed}"));
        elements += reference.len();
        kept_ways += ways;
        kept_nodes += nodes;
    }
    assert!(
        elements > 5000 && kept_ways > 100 && kept_nodes > 100,
        "{elements} elements, {kept_ways} ways and {kept_nodes} nodes kept in all"
    );
}

/// K2 (fuzz/README.md): a block whose granularity, offset or delta-coded
/// coordinates overflow 64-bit arithmetic is an error naming the file and the
/// node, not a node wrapped to an arbitrary position.
#[test]
fn coordinates_that_overflow_are_an_error_not_a_wrapped_position() {
    use osmpbfreader::osmformat::{DenseNodes, Node};
    let block_file = |block: PrimitiveBlock| {
        let mut bytes = header_blob();
        bytes.extend(frame("OSMData", &raw_blob(protobuf::Message::write_to_bytes(&block).expect("encode"))));
        bytes
    };
    let with_table = || {
        let mut block = PrimitiveBlock::new();
        let mut table = StringTable::new();
        table.s = vec![Vec::new()];
        block.stringtable = MessageField::some(table);
        block
    };
    // A plain node: granularity × lat overflows.
    let mut block = with_table();
    block.set_granularity(i32::MAX);
    let mut g = PrimitiveGroup::new();
    let mut n = Node::new();
    n.set_id(7);
    n.set_lat(i64::MAX / 1000);
    n.set_lon(0);
    g.nodes.push(n);
    block.primitivegroup.push(g);
    let text = pbf_error(&block_file(block));
    assert!(text.contains("node 7") && text.contains("overflows"), "{text}");
    // The offset added to an in-range product overflows.
    let mut block = with_table();
    block.set_lon_offset(i64::MAX - 5);
    let mut g = PrimitiveGroup::new();
    let mut n = Node::new();
    n.set_id(8);
    n.set_lat(0);
    n.set_lon(1_000);
    g.nodes.push(n);
    block.primitivegroup.push(g);
    let text = pbf_error(&block_file(block));
    assert!(text.contains("node 8") && text.contains("overflows"), "{text}");
    // Dense nodes: the running sum of deltas overflows.
    let mut block = with_table();
    block.set_granularity(1); // the first node is in range of the arithmetic (and off the globe: dropped)
    let mut g = PrimitiveGroup::new();
    let mut d = DenseNodes::new();
    d.id = vec![1, 1];
    d.lat = vec![i64::MAX - 10, 11];
    d.lon = vec![0, 0];
    g.dense = MessageField::some(d);
    block.primitivegroup.push(g);
    let text = pbf_error(&block_file(block));
    assert!(text.contains("dense node 2") && text.contains("overflow"), "{text}");
}
