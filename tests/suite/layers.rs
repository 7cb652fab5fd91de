//! Layers that agree: the H3 hexagons layer recomputed by hand from the
//! coverage layer, and the typed CSV tables.

use std::collections::BTreeMap;
use std::path::Path;

use h3o::{LatLng, Resolution};
use serde_json::Value;

use crate::cli::run_subcommand;
use crate::common::{beijing, liechtenstein, read_json};

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `--h3 RES` writes one hexagon per H3 cell holding homes; its homes,
/// population, per-category shares (by homes and people), median and mean
/// minutes and complete share equal an aggregation of `coverage.geojson` by
/// cells computed here with h3o; the cells' homes sum to the total.
#[test]
fn hexagons_equal_the_coverage_layer_aggregated_by_hand() {
    for (pbf, res) in [(beijing(), 10u8), (liechtenstein(), 8u8)] {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("out");
        let r = run_subcommand("analyze", &["--pbf", s(&pbf), "--out", s(&out), "-q", "--h3", &res.to_string()]);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        let coverage = read_json(&out.join("coverage.geojson"));
        let hexagons = read_json(&out.join("hexagons.geojson"));
        let summary = read_json(&out.join("summary.json"));
        let cats: Vec<String> =
            summary["categories"].as_array().unwrap().iter().map(|c| c["key"].as_str().unwrap().to_string()).collect();
        let resolution = Resolution::try_from(res).unwrap();
        let mut groups: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
        for f in coverage["features"].as_array().unwrap() {
            let c = &f["geometry"]["coordinates"];
            let ll = LatLng::new(c[1].as_f64().unwrap(), c[0].as_f64().unwrap()).unwrap();
            groups.entry(ll.to_cell(resolution).to_string()).or_default().push(&f["properties"]);
        }
        let cells = hexagons["features"].as_array().unwrap();
        assert_eq!(cells.len(), groups.len(), "one hexagon per cell holding homes");
        let total: u64 = cells.iter().map(|c| c["properties"]["homes"].as_u64().unwrap()).sum();
        assert_eq!(Some(total), summary["homes"]["total"].as_u64(), "cells' homes sum to the total");
        for cell in cells {
            let p = &cell["properties"];
            let key = p["h3"].as_str().unwrap();
            let members = &groups[key];
            let n = members.len() as f64;
            assert_eq!(p["homes"].as_u64(), Some(members.len() as u64), "{key}");
            let pop = |hs: &[&&Value]| hs.iter().map(|h| h["population"].as_f64().unwrap()).sum::<f64>();
            let all: Vec<&&Value> = members.iter().collect();
            let total_pop = pop(&all);
            assert!((p["population"].as_f64().unwrap() - total_pop).abs() < 1e-3, "{key}");
            for c in &cats {
                let ok: Vec<&&Value> = members.iter().filter(|h| h[format!("{c}_ok")] == true).collect();
                let share = p[format!("{c}_share")].as_f64().unwrap();
                assert!((share - ok.len() as f64 / n).abs() < 1e-6, "{key} {c}: share {share}");
                let pshare = p[format!("{c}_share_population")].as_f64().unwrap();
                let want = if total_pop > 0.0 { pop(&ok) / total_pop } else { 0.0 };
                assert!((pshare - want).abs() < 1e-6, "{key} {c}: population share {pshare} vs {want}");
                // Minutes: null (unreachable) sorts last; the lower median, rounded up as in coverage.
                let mut mins: Vec<Option<f64>> = members.iter().map(|h| h[format!("{c}_min")].as_f64()).collect();
                mins.sort_by(|a, b| match (a, b) {
                    (Some(x), Some(y)) => x.total_cmp(y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                });
                let median = mins[(mins.len() - 1) / 2];
                assert_eq!(p[format!("{c}_median_min")].as_f64(), median, "{key} {c}: median");
                let finite: Vec<f64> = mins.iter().flatten().copied().collect();
                match p[format!("{c}_mean_min")].as_f64() {
                    None => assert!(finite.is_empty(), "{key} {c}: mean"),
                    // coverage rounds each time up to 0.01 min, the layer its mean of exact times to 0.01.
                    Some(m) => {
                        let want = finite.iter().sum::<f64>() / finite.len() as f64;
                        assert!((m - want).abs() <= 0.015 + 1e-9, "{key} {c}: mean {m} vs {want}");
                    }
                }
            }
            let complete = members.iter().filter(|h| h["complete"] == true).count() as f64 / n;
            assert!((p["complete_share"].as_f64().unwrap() - complete).abs() < 1e-6, "{key}: complete");
            // The outline: the cell's own boundary, closed and counter-clockwise.
            let ring = cell["geometry"]["coordinates"][0][0].as_array().unwrap();
            assert_eq!(ring.len(), 7, "{key}: a hexagon");
            assert_eq!(ring[0], ring[6]);
        }
    }
}

#[test]
fn h3_resolution_is_checked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let r = run_subcommand("analyze", &["--pbf", s(&beijing()), "--out", s(&out), "-q", "--h3", "16"]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("--h3: 16 is not an H3 resolution"), "{}", r.stderr);
}

/// The QGIS styles beside the layers parse as QGIS XML, style a column the
/// layer has, cover every value it takes, and use the report's colours.
#[test]
fn qgis_styles_match_their_layers_and_the_report_colours() {
    use lifecircle::report::palette::{category, reach_classes};
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let r = run_subcommand("isochrones", &["--pbf", s(&beijing()), "--out", s(&out), "-q", "--h3", "10"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    for layer in ["coverage", "facilities", "isochrones", "hexagons"] {
        let text = std::fs::read_to_string(out.join(format!("{layer}.qml"))).expect("a style");
        let options = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
        let doc =
            roxmltree::Document::parse_with_options(&text, options).unwrap_or_else(|e| panic!("{layer}.qml: {e}"));
        assert_eq!(doc.root_element().tag_name().name(), "qgis");
        let renderer = doc.descendants().find(|n| n.has_tag_name("renderer-v2")).expect("a renderer");
        let attr = renderer.attribute("attr").expect("a styled column");
        let data = read_json(&out.join(format!("{layer}.geojson")));
        let features = data["features"].as_array().unwrap();
        assert!(!features.is_empty(), "{layer}");
        assert!(features.iter().all(|f| f["properties"].get(attr).is_some()), "{layer}: no column {attr}");
        let colour = |i: usize| -> String {
            let symbol = doc
                .descendants()
                .find(|n| n.has_tag_name("symbol") && n.attribute("name") == Some(&i.to_string()))
                .unwrap_or_else(|| panic!("{layer}: symbol {i}"));
            symbol
                .descendants()
                .find(|n| n.has_tag_name("Option") && n.attribute("name") == Some("color"))
                .and_then(|n| n.attribute("value"))
                .expect("a colour")
                .to_string()
        };
        let rgb = |c: [u8; 3]| format!("{},{},{}", c[0], c[1], c[2]);
        match renderer.attribute("type") {
            Some("categorizedSymbol") => {
                let cats: Vec<(usize, String)> = doc
                    .descendants()
                    .filter(|n| n.has_tag_name("category"))
                    .map(|n| (n.attribute("symbol").unwrap().parse().unwrap(), n.attribute("value").unwrap().into()))
                    .collect();
                for f in features {
                    let v = &f["properties"][attr];
                    let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                    assert!(cats.iter().any(|(_, c)| *c == v), "{layer}: value {v} has no category");
                }
                for (i, value) in &cats {
                    let want = if attr == "categories_ok" {
                        reach_classes(4)[value.parse::<usize>().unwrap()]
                    } else {
                        let keys = ["grocery", "elder_canteen", "clinic", "childcare"];
                        category(keys.iter().position(|k| k == value).expect("a category key"))
                    };
                    assert!(colour(*i).starts_with(&rgb(want)), "{layer} {value}: {} vs {want:?}", colour(*i));
                }
            }
            Some("graduatedSymbol") => {
                let ranges: Vec<(f64, f64)> = doc
                    .descendants()
                    .filter(|n| n.has_tag_name("range"))
                    .map(|n| {
                        (n.attribute("lower").unwrap().parse().unwrap(), n.attribute("upper").unwrap().parse().unwrap())
                    })
                    .collect();
                assert_eq!(ranges.first().map(|r| r.0), Some(0.0));
                assert_eq!(ranges.last().map(|r| r.1), Some(1.0));
                for (i, c) in reach_classes(4).into_iter().enumerate() {
                    assert!(colour(i).starts_with(&rgb(c)), "{layer}: class {i}");
                }
            }
            other => panic!("{layer}: renderer {other:?}"),
        }
    }
}

/// Per home, the id of its nearest facility per category names a facility of
/// that category in the facilities layer, null exactly when no time is; a
/// search from that facility alone reaches the home in exactly that time.
#[test]
fn nearest_facility_ids_match_the_facilities_layer_and_their_times() {
    use arrow_array::Array;
    use lifecircle::coverage::ByEdge;
    use lifecircle::coverage::count_within::homes_within_timed;
    use lifecircle::ids::TimeMs;
    use lifecircle::routing::DijkstraWorkspace;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = crate::common::config(&liechtenstein(), &dir.path().join("out"));
    let a = lifecircle::run(&config).expect("analysis");
    let layer = lifecircle::output::layers::CoverageLayer::new(&a);
    let chunk = lifecircle::output::layer::Layer::chunk(&layer, 0..a.homes.len());
    let batch = chunk.attributes;
    let by_edge = ByEdge::new(a.graph.num_edges(), &a.home_anchors);
    let mut ws = DijkstraWorkspace::new(a.graph.num_nodes());
    let mut checked = 0;
    for (c, cat) in a.config.taxonomy.categories.iter().enumerate() {
        let col = batch.column_by_name(&format!("{}_nearest", cat.key)).expect("a nearest column");
        let ids = col.as_any().downcast_ref::<arrow_array::StringArray>().expect("text");
        // The facility (by id, within the category) each home names, and its reach.
        let mut reach = std::collections::HashMap::new();
        for h in 0..a.homes.len() {
            let t = a.nearest[c][h];
            assert_eq!(ids.is_null(h), t == TimeMs::INF, "{}: home {h}", cat.key);
            if ids.is_null(h) {
                continue;
            }
            let id = ids.value(h);
            let f =
                *a.facility_index[c].iter().find(|&&f| a.facilities[f].id() == id).expect("a facility of the category");
            let times = reach.entry(f).or_insert_with(|| {
                let anchor = a.facility_anchors[f].expect("a reachable facility");
                homes_within_timed(&a.graph, &mut ws, &anchor, &a.home_anchors, &by_edge, TimeMs(u32::MAX - 1))
            });
            let got = times.iter().find(|(hh, _)| *hh as usize == h).map(|(_, t)| *t);
            assert_eq!(got, Some(t), "{}: home {h} from {id}", cat.key);
            checked += 1;
        }
    }
    assert!(checked > 20_000, "{checked}");
}
