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
