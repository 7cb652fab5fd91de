//! Users' own data, end to end: homes and facilities from files (CSV,
//! GeoJSON; WGS-84, GCJ-02, BD-09; add and replace modes; bad rows),
//! population weighting, the `elderly` and `wheelchair` profiles, several
//! thresholds and GB 50180 tiers, and capacity-aware access (2SFCA).
//!
//! The readers and the coordinate conversions have their own tests
//! (`points`, `crs`); here they are checked through the pipeline and the
//! command line, against hand-worked numbers, independent recounts from the
//! output files, and in-memory exact times. Fixture files are in
//! `tests/fixtures/userdata/` (see its README); random inputs use named seeds.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use lifecircle::coverage::ByEdge;
use lifecircle::coverage::count_within::{count_within, counts_per_threshold, reach_within};
use lifecircle::coverage::two_step_fca::{TwoStepFca, two_step_fca};
use lifecircle::graph::{WalkGraph, build_graph};
use lifecircle::ids::{EdgeId, TimeMs};
use lifecircle::inputs::{MergeMode, PointsInput};
use lifecircle::io::crs::{Crs, from_wgs84};
use lifecircle::osm::{read_pbf, read_pbf_bytes};
use lifecircle::routing::WorkspacePool;
use lifecircle::taxonomy::Tiers;
use lifecircle::{Analysis, AnalyzeConfig, Profiles, Taxonomy, run};
use osmpbfreader::{OsmObj, OsmPbfReader};
use serde_json::{Map, Value};

use crate::cli::{Run, analyze as cli, assert_input_error};
use crate::common::graphs::{MILLIDEGREE_M, anchor, haversine, straight};
use crate::common::pbf::OsmWriter;
use crate::common::rng::SplitMix64;
use crate::common::{beijing, config, dir_entries, liechtenstein, nanjing, read_json, repo_file};

// ---------------------------------------------------------------------------
// Helpers

/// A file of `tests/fixtures/userdata/`.
fn fixture(name: &str) -> PathBuf {
    repo_file(&format!("tests/fixtures/userdata/{name}"))
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// The built-in category keys, in taxonomy order.
fn keys() -> Vec<String> {
    Taxonomy::builtin().categories.iter().map(|c| c.key.clone()).collect()
}

fn cat(key: &str) -> usize {
    Taxonomy::builtin().category_id(key).unwrap_or_else(|| panic!("no category {key}")).idx()
}

/// The default configuration with a built-in profile at its own speed (as `--profile NAME` does).
fn with_profile(mut c: AnalyzeConfig, name: &str) -> AnalyzeConfig {
    let p = Profiles::builtin().get(name).expect("built-in profile").clone();
    c.speed_kmh = p.speed_kmh;
    c.profile = p;
    c.profile_name = name.to_string();
    c
}

fn points(path: &Path, crs: Crs, mode: MergeMode) -> Option<PointsInput> {
    Some(PointsInput { path: path.to_path_buf(), crs, mode, table: None })
}

/// One feature of an output GeoJSON: its properties and position.
struct Feat {
    props: Map<String, Value>,
    lonlat: [f64; 2],
}

impl Feat {
    fn str(&self, k: &str) -> &str {
        self.props.get(k).and_then(Value::as_str).unwrap_or_else(|| panic!("{k} is not a string: {:?}", self.props))
    }
    fn bool(&self, k: &str) -> bool {
        self.props.get(k).and_then(Value::as_bool).unwrap_or_else(|| panic!("{k} is not a bool: {:?}", self.props))
    }
    fn u64(&self, k: &str) -> u64 {
        self.props.get(k).and_then(Value::as_u64).unwrap_or_else(|| panic!("{k} is not a count: {:?}", self.props))
    }
    fn f64(&self, k: &str) -> f64 {
        self.props.get(k).and_then(Value::as_f64).unwrap_or_else(|| panic!("{k} is not a number: {:?}", self.props))
    }
    fn opt_f64(&self, k: &str) -> Option<f64> {
        match self.props.get(k) {
            Some(Value::Null) => None,
            Some(v) => Some(v.as_f64().unwrap_or_else(|| panic!("{k} is not a number: {:?}", self.props))),
            None => panic!("no {k} in {:?}", self.props),
        }
    }
}

fn features(path: &Path) -> Vec<Feat> {
    let v = read_json(path);
    v["features"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: no features", path.display()))
        .iter()
        .map(|f| {
            let c = &f["geometry"]["coordinates"];
            Feat {
                props: f["properties"].as_object().expect("properties").clone(),
                lonlat: [c[0].as_f64().expect("lon"), c[1].as_f64().expect("lat")],
            }
        })
        .collect()
}

/// Runs the CLI and insists on success.
fn cli_ok(pbf: &Path, out: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["--quiet"];
    args.extend_from_slice(extra);
    let r = cli(pbf, out, &args);
    assert_eq!(r.code, Some(0), "lifecircle analyze {extra:?} failed: {}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    r
}

/// `(min, max)` corners of the kept walking graph's nodes.
fn graph_bbox(g: &WalkGraph) -> ([f64; 2], [f64; 2]) {
    let mut min = [f64::INFINITY; 2];
    let mut max = [f64::NEG_INFINITY; 2];
    for n in 0..g.num_nodes() {
        let p = g.node_lonlat(lifecircle::ids::NodeId(n as u32));
        for k in 0..2 {
            min[k] = min[k].min(p[k]);
            max[k] = max[k].max(p[k]);
        }
    }
    (min, max)
}

/// A value written to 9 decimals, in units of 10⁻⁹ (exact, whatever the last bit of the JSON parse).
fn nano(x: f64) -> i64 {
    (x * 1e9).round() as i64
}

fn rel_close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

// ---------------------------------------------------------------------------
// 1. Population weighting

/// Named seeds for the population properties: a failure names its seed and replays exactly.
const POPULATION_SEEDS: [(&str, u64); 10] = [
    ("pop-01", 0x0B0B_0001_5EED_0001),
    ("pop-02", 0x0B0B_0001_5EED_0002),
    ("pop-03", 0x0B0B_0001_5EED_0003),
    ("pop-04", 0x0B0B_0001_5EED_0004),
    ("pop-05", 0x0B0B_0001_5EED_0005),
    ("pop-06", 0x0B0B_0001_5EED_0006),
    ("pop-07", 0x0B0B_0001_5EED_0007),
    ("pop-08", 0x0B0B_0001_5EED_0008),
    ("pop-09", 0x0B0B_0001_5EED_0009),
    ("pop-10", 0x0B0B_0001_5EED_000A),
];

/// Thresholds to draw from (minutes); the Beijing campus is ~500 × 800 m, so short ones split it.
const MINUTE_CHOICES: [f64; 8] = [1.5, 2.0, 3.0, 4.0, 5.0, 7.5, 10.0, 15.0];

/// Three distinct ascending thresholds.
fn random_minutes(rng: &mut SplitMix64) -> Vec<f64> {
    let mut m: Vec<f64> = Vec::new();
    while m.len() < 3 {
        let x = *rng.pick(&MINUTE_CHOICES);
        if !m.contains(&x) {
            m.push(x);
        }
    }
    m.sort_by(f64::total_cmp);
    m
}

fn random_point(rng: &mut SplitMix64, (min, max): ([f64; 2], [f64; 2])) -> [f64; 2] {
    [rng.float(min[0], max[0]), rng.float(min[1], max[1])]
}

/// An elder canteen (the Beijing fixture has none, so no home would be
/// complete without it) and up to three user facilities of random categories.
fn random_facilities_csv(rng: &mut SplitMix64, bbox: ([f64; 2], [f64; 2]), path: &Path) {
    let p = random_point(rng, bbox);
    let mut text = format!("id,category,lon,lat\ncanteen,elder_canteen,{},{}\n", p[0], p[1]);
    for i in 0..rng.range(0, 3) {
        let p = random_point(rng, bbox);
        text.push_str(&format!("f{i},{},{},{}\n", rng.pick(&keys()), p[0], p[1]));
    }
    std::fs::write(path, text).expect("write facilities");
}

/// With every home's population 1 (written as `1`, `1.0` or left blank), every
/// population-weighted share is the home share, bit for bit: per category, per
/// threshold, and for complete homes.
#[test]
fn population_of_one_gives_population_shares_equal_to_home_shares() {
    let dir = tmp();
    let bbox = graph_bbox(&run(&config(&beijing(), &dir.path().join("o"))).expect("Beijing").graph);
    let (mut strictly_between, mut complete_between) = (0, 0);
    for (name, seed) in POPULATION_SEEDS {
        let mut rng = SplitMix64::new(seed);
        let n = rng.range(15, 120);
        let homes = dir.path().join(format!("{name}-homes.csv"));
        let mut text = String::from("id,lon,lat,population\n");
        for i in 0..n {
            let p = random_point(&mut rng, bbox);
            text.push_str(&format!("h{i},{},{},{}\n", p[0], p[1], rng.pick(&["1", "1.0", ""])));
        }
        std::fs::write(&homes, text).expect("write homes");
        let mut c = config(&beijing(), &dir.path().join("out"));
        c.homes_input = points(&homes, Crs::Wgs84, MergeMode::Replace);
        let fac = dir.path().join(format!("{name}-facilities.csv"));
        random_facilities_csv(&mut rng, bbox, &fac);
        c.facilities_input = points(&fac, Crs::Wgs84, MergeMode::Add);
        c.minutes = random_minutes(&mut rng);
        let a = run(&c).unwrap_or_else(|e| panic!("{name}: {e}"));
        let s = &a.summary;
        assert_eq!((s.homes.total, s.homes.population), (n, n as f64), "{name}");
        for cs in &s.categories {
            let what = format!("{name} {} (minutes {:?})", cs.key, c.minutes);
            assert_eq!(cs.population_covered, cs.homes_covered as f64, "{what}");
            assert_eq!(cs.share_covered_population, cs.share_covered, "{what}");
            assert_eq!(cs.thresholds.len(), 3, "{what}");
            for t in &cs.thresholds {
                assert_eq!(t.population, t.homes as f64, "{what} at {}", t.label);
                assert_eq!(t.share_population, t.share, "{what} at {}", t.label);
                strictly_between += (t.share > 0.0 && t.share < 1.0) as usize;
            }
        }
        assert_eq!(s.complete.population, s.complete.homes as f64, "{name}");
        assert_eq!(s.complete.share_population, s.complete.share, "{name}");
        complete_between += (s.complete.share > 0.0 && s.complete.share < 1.0) as usize;
    }
    // The property must have been exercised on shares other than 0 and 1.
    assert!(strictly_between >= 10, "only {strictly_between} shares strictly between 0 and 1");
    assert!(complete_between >= 3, "only {complete_between} complete shares strictly between 0 and 1");
}

/// Named seeds for the weighted counter-check.
const WEIGHTED_SEEDS: [(&str, u64); 3] = [
    ("weighted-a", 0x0B0B_0002_5EED_0001),
    ("weighted-b", 0x0B0B_0002_5EED_0002),
    ("weighted-c", 0x0B0B_0002_5EED_0003),
];

/// With unequal populations, every population share in summary.json is
/// Σ population of the covered homes / Σ population, recomputed from
/// coverage.geojson (per category at the main threshold, per threshold, and
/// complete). Unreachable homes (two put 2 km away) count in the total.
#[test]
fn population_weighted_shares_are_recomputed_from_coverage() {
    let dir = tmp();
    let bbox = graph_bbox(&run(&config(&beijing(), &dir.path().join("o"))).expect("Beijing").graph);
    let mut weighting_visible = 0;
    for (name, seed) in WEIGHTED_SEEDS {
        let mut rng = SplitMix64::new(seed);
        let n = rng.range(30, 90);
        let mut rows: Vec<(String, [f64; 2], f64)> = Vec::new();
        for i in 0..n {
            let pop = match rng.below(5) {
                0 => 0.0,
                1 => rng.range(1, 20) as f64 + 0.25,
                _ => rng.range(1, 2000) as f64,
            };
            rows.push((format!("{name}-{i}"), random_point(&mut rng, bbox), pop));
        }
        // 0.02° (2.2 km) north of the campus: more than 500 m from any way.
        for (i, pop) in [(0, 5000.0), (1, 700.0)] {
            rows.push((format!("far-{i}"), [bbox.0[0] + 0.001 * i as f64, bbox.1[1] + 0.02], pop));
        }
        let homes = dir.path().join(format!("{name}.csv"));
        let text: String = rows.iter().map(|(id, p, pop)| format!("{id},{},{},{pop}\n", p[0], p[1])).collect();
        std::fs::write(&homes, format!("id,lon,lat,pop\n{text}")).expect("write");
        let out = dir.path().join(name);
        // The fixture's elder canteen makes complete homes possible on the campus.
        let fac = fixture("beijing-groceries-replace.csv");
        let r = cli_ok(&beijing(), &out, &["--homes", s(&homes), "--facilities", s(&fac), "--minutes", "2,5,15"]);
        assert!(r.stdout.is_empty());
        let summary = read_json(&out.join("summary.json"));
        let cov = features(&out.join("coverage.geojson"));
        assert_eq!(cov.len(), rows.len(), "{name}");
        for (f, (id, _, pop)) in cov.iter().zip(&rows) {
            assert_eq!(f.str("id"), id, "{name}: homes in file order");
            assert_eq!(f.f64("population"), *pop, "{name} {id}");
        }
        // The far homes are unreachable (so are random ones over 500 m from a way in the bbox's empty corners).
        assert!(cov.iter().filter(|f| f.str("id").starts_with("far-")).all(|f| !f.bool("reachable")), "{name}");
        let unreachable = cov.iter().filter(|f| !f.bool("reachable")).count();
        assert!(unreachable >= 2, "{name}");
        assert_eq!(summary["homes"]["unreachable"].as_u64().unwrap() as usize, unreachable, "{name}");
        let total: f64 = rows.iter().map(|r| r.2).sum();
        assert!(rel_close(summary["homes"]["population"].as_f64().unwrap(), total), "{name}");
        let weighted = |flag: &dyn Fn(&Feat) -> bool| -> (f64, usize) {
            cov.iter().filter(|f| flag(f)).fold((0.0, 0), |(p, n), f| (p + f.f64("population"), n + 1))
        };
        for (c, key) in keys().iter().enumerate() {
            let cs = &summary["categories"][c];
            let what = format!("{name} {key}");
            let (pop, homes) = weighted(&|f: &Feat| f.bool(&format!("{key}_ok")));
            assert_eq!(cs["homes_covered"].as_u64().unwrap() as usize, homes, "{what}");
            assert!((cs["population_covered"].as_f64().unwrap() - pop).abs() < 1e-6, "{what}: {pop}");
            let share = cs["share_covered_population"].as_f64().unwrap();
            assert!(rel_close(share, pop / total), "{what}: {share} vs {pop} / {total}");
            for (k, label) in ["2", "5", "15"].iter().enumerate() {
                let t = &cs["thresholds"][k];
                assert_eq!(t["label"], *label, "{what}");
                let (pop, homes) = weighted(&|f: &Feat| f.bool(&format!("{key}_ok_{label}")));
                assert_eq!(t["homes"].as_u64().unwrap() as usize, homes, "{what} at {label}");
                let sp = t["share_population"].as_f64().unwrap();
                assert!(rel_close(sp, pop / total), "{what} at {label}: {sp} vs {pop} / {total}");
                assert!((t["population"].as_f64().unwrap() - pop).abs() < 1e-6, "{what} at {label}");
                weighting_visible += ((sp - t["share"].as_f64().unwrap()).abs() > 1e-3) as usize;
            }
        }
        let (pop, homes) = weighted(&|f: &Feat| f.bool("complete"));
        let complete = &summary["complete"];
        assert_eq!(complete["homes"].as_u64().unwrap() as usize, homes, "{name}");
        assert!(rel_close(complete["share_population"].as_f64().unwrap(), pop / total), "{name} complete");
        assert!((complete["population"].as_f64().unwrap() - pop).abs() < 1e-6, "{name} complete");
        assert!(homes > 0 && (pop - total).abs() > 1.0, "{name}: some but not all complete ({homes}, {pop})");
    }
    assert!(weighting_visible >= 3, "the population shares must differ from the home shares somewhere");
}

// ---------------------------------------------------------------------------
// 2. Profiles: elderly and wheelchair

const ADULT_M_S: f64 = 1.25;
const ELDERLY_M_S: f64 = 0.78;

/// Liechtenstein with the adult and the elderly profile: same graph, same
/// homes; the elderly nearest time is never shorter for any home and
/// category (unreached stays unreached), and at least the speed ratio
/// 1.25 / 0.78 longer (each edge is; 1 s slack for per-edge millisecond rounding).
#[test]
fn elderly_is_never_faster_than_adult_on_liechtenstein() {
    let dir = tmp();
    let adult = run(&with_profile(config(&liechtenstein(), dir.path()), "adult")).expect("adult");
    let elderly = run(&with_profile(config(&liechtenstein(), dir.path()), "elderly")).expect("elderly");
    let parameters = serde_json::to_value(&elderly.summary).expect("summary")["parameters"].clone();
    assert_eq!(parameters["threshold_m"], 702.0, "15 min at 0.78 m/s");
    assert_eq!(
        (adult.graph.num_nodes(), adult.graph.num_edges()),
        (elderly.graph.num_nodes(), elderly.graph.num_edges())
    );
    assert_eq!(adult.homes, elderly.homes);
    let ratio = ADULT_M_S / ELDERLY_M_S;
    // Edge by edge: at least the speed ratio (steps and rough surfaces only add).
    let mut slowed = 0;
    for e in 0..adult.graph.num_edges() as u32 {
        let (ta, te) = (adult.graph.edge_time(EdgeId(e)).0 as f64, elderly.graph.edge_time(EdgeId(e)).0 as f64);
        assert!(te >= ta * ratio - 2.0, "edge {e}: elderly {te} ms, adult {ta} ms");
        slowed += (te > ta * ratio * 1.05 + 2.0) as usize;
    }
    assert!(slowed > 100, "steps and rough surfaces slow the elderly on real data ({slowed} edges)");
    let mut finite = 0;
    for c in 0..keys().len() {
        for h in 0..adult.homes.len() {
            let (a, e) = (adult.nearest[c][h], elderly.nearest[c][h]);
            let what = format!("category {c} home {} ({a:?} vs {e:?})", adult.homes[h].id());
            if a == TimeMs::INF {
                assert_eq!(e, TimeMs::INF, "{what}: unreached by adults, reached by the elderly");
                continue;
            }
            assert_ne!(e, TimeMs::INF, "{what}: the same graph reaches the same facilities");
            assert!(e >= a, "{what}: elderly faster than adult");
            assert!(e.0 as f64 >= a.0 as f64 * ratio - 1000.0, "{what}: less than the speed ratio longer");
            finite += 1;
        }
    }
    assert!(finite > 10_000, "{finite}");
    // Coverage can only shrink.
    for (ca, ce) in adult.summary.categories.iter().zip(&elderly.summary.categories) {
        assert!(ce.homes_covered <= ca.homes_covered, "{}", ca.key);
    }
}

/// A 4 × 4 grid of plain footways 0.002° apart (no steps, no surface tags) at
/// the equator, with houses and one facility per category.
fn plain_grid() -> OsmWriter {
    let mut w = OsmWriter::new();
    let id = |r: i64, c: i64| 1 + r * 4 + c;
    for r in 0..4 {
        for c in 0..4 {
            w.node(id(r, c), [c as f64 * 0.002, r as f64 * 0.002], &[]);
        }
    }
    for k in 0..4 {
        let row: Vec<i64> = (0..4).map(|c| id(k, c)).collect();
        let col: Vec<i64> = (0..4).map(|r| id(r, k)).collect();
        w.way(100 + k, &row, &[("highway", "footway")]).way(200 + k, &col, &[("highway", "residential")]);
    }
    let houses =
        [[0.001, 0.0005], [0.0035, 0.003], [0.0055, 0.0045], [0.0002, 0.0058], [0.003, 0.0001], [0.0041, 0.0052]];
    for (i, p) in houses.iter().enumerate() {
        let i = i as i64;
        w.rect_way(
            300 + i,
            1000 + 10 * i,
            [p[0] - 0.0001, p[1] - 0.0001],
            [p[0] + 0.0001, p[1] + 0.0001],
            &[("building", "house")],
        );
    }
    w.node(400, [0.0049, 0.0011], &[("shop", "supermarket")]);
    w.node(401, [0.0001, 0.0031], &[("amenity", "clinic")]);
    w.node(402, [0.006, 0.0059], &[("amenity", "kindergarten")]);
    w.node(403, [0.0021, 0.004], &[("amenity", "social_facility"), ("social_facility:for", "senior")]);
    w
}

/// Without steps or rough surfaces the elderly time is the adult time times
/// 1.25 / 0.78 (up to millisecond rounding per edge and anchor).
#[test]
fn elderly_times_are_adult_times_scaled_on_a_plain_network() {
    let dir = tmp();
    let pbf = dir.path().join("grid.osm.pbf");
    plain_grid().write(&pbf);
    let adult = run(&with_profile(config(&pbf, dir.path()), "adult")).expect("adult");
    let elderly = run(&with_profile(config(&pbf, dir.path()), "elderly")).expect("elderly");
    assert_eq!(adult.homes.len(), 6);
    // A 0.002° edge: 222.390 16 m; 177 912 ms at 1.25 m/s, 285 116 ms at 0.78 m/s.
    assert_eq!(adult.graph.edge_time(EdgeId(0)), TimeMs(177_912));
    assert_eq!(elderly.graph.edge_time(EdgeId(0)), TimeMs(285_116));
    let ratio = ADULT_M_S / ELDERLY_M_S;
    let mut checked = 0;
    for c in 0..keys().len() {
        for h in 0..adult.homes.len() {
            let (a, e) = (adult.nearest[c][h], elderly.nearest[c][h]);
            assert_ne!(a, TimeMs::INF, "one connected grid");
            let want = a.0 as f64 * ratio;
            // At most ~8 edges and two anchors, each rounded to 1 ms at either speed.
            assert!(
                (e.0 as f64 - want).abs() <= 20.0,
                "category {c} home {h}: elderly {} ms, adult {} × ratio = {want}",
                e.0,
                a.0
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 24);
    // The 15 minutes are 702 m for the elderly, 1125 m for adults: fewer homes covered.
    let covered = |a: &Analysis| a.summary.categories.iter().map(|c| c.homes_covered).sum::<usize>();
    assert!(covered(&elderly) < covered(&adult), "{} vs {}", covered(&elderly), covered(&adult));
}

/// One segment of 0.001° (L = 111.195 08 m) per way along the equator:
/// footway, steps, footway on gravel, footway on mud, chained end to end.
/// Edge times by hand, `round(L / (speed × factor))` ms:
/// - adult (1.25 m/s, no factors): 88 956 each;
/// - elderly (0.78 m/s): footway 142 558, steps ×0.5 → 285 116, gravel ×0.9 → 158 398, mud ×0.6 → 237 596;
/// - wheelchair (1 m/s): footway 111 195, no steps, gravel ×0.6 → 185 325, mud ×0.3 → 370 650.
#[test]
fn profile_edge_times_for_steps_and_surfaces_by_hand() {
    let mut w = OsmWriter::new();
    for i in 0..5 {
        w.node(1 + i, [i as f64 * 0.001, 0.0], &[]);
    }
    w.way(10, &[1, 2], &[("highway", "footway")]);
    w.way(11, &[2, 3], &[("highway", "steps")]);
    w.way(12, &[3, 4], &[("highway", "footway"), ("surface", "gravel")]);
    w.way(13, &[4, 5], &[("highway", "footway"), ("surface", "mud")]);
    let bytes = w.to_bytes();
    let tax = Taxonomy::builtin();
    let profiles = Profiles::builtin();
    let cases: [(&str, [Option<u32>; 4]); 3] = [
        ("adult", [Some(88_956), Some(88_956), Some(88_956), Some(88_956)]),
        ("elderly", [Some(142_558), Some(285_116), Some(158_398), Some(237_596)]),
        ("wheelchair", [Some(111_195), None, Some(185_325), Some(370_650)]),
    ];
    for (name, want) in cases {
        let p = profiles.get(name).expect("profile");
        let data = read_pbf_bytes(&bytes, Path::new("chain.osm.pbf"), &tax, p).expect("valid");
        let g = build_graph(&data, p.speed_m_s(), 1, Path::new("chain.osm.pbf")).expect("graph").graph;
        // Edge starting at longitude 0.001 k (from its western end).
        let mut got = [None; 4];
        for e in 0..g.num_edges() as u32 {
            let geom = g.edge_geometry(EdgeId(e));
            let west = geom[0][0].min(geom[geom.len() - 1][0]);
            got[(west / 0.001).round() as usize] = Some(g.edge_time(EdgeId(e)).0);
        }
        for k in 0..4 {
            // Factors are stored as f32 (0.9f32 = 0.899 999 976): allow 1 ms.
            let ok = match (got[k], want[k]) {
                (Some(g), Some(w)) => g.abs_diff(w) <= 1,
                (g, w) => g == w,
            };
            assert!(ok, "{name} way {}: {:?} ms, by hand {:?} ms (L = {MILLIDEGREE_M} m)", 10 + k, got[k], want[k]);
        }
    }
}

/// A home west and a clinic east, joined only by a short `link` way (or a
/// footway through node 5 carrying `node_tags`):
///
/// ```text
/// home (0.0002, 0.0002)                     clinic (0.002, 0.0002)
///   1 ─footway─ 2 ──link── 3 ─footway─ 4
///  (0,0)    (0.001,0)  (0.0012,0)  (0.0022,0)      node 5 at (0.0011, 0)
/// ```
fn bridge(link: &[(&str, &str)], node_tags: &[(&str, &str)]) -> OsmWriter {
    let mut w = OsmWriter::new();
    w.node(1, [0.0, 0.0], &[]).node(2, [0.001, 0.0], &[]).node(3, [0.0012, 0.0], &[]).node(4, [0.0022, 0.0], &[]);
    w.node(5, [0.0011, 0.0], node_tags);
    w.way(10, &[1, 2], &[("highway", "footway")]).way(12, &[3, 4], &[("highway", "footway")]);
    w.way(11, &[2, 5, 3], link);
    w.rect_way(20, 21, [0.0001, 0.0001], [0.0003, 0.0003], &[("building", "house")]);
    w.node(30, [0.002, 0.0002], &[("amenity", "clinic")]);
    w
}

/// Wheelchair routes never use steps, ways tagged `wheelchair=no` or
/// `kerb=raised`, nor pass a node tagged `kerb=raised` or `wheelchair=no`:
/// where such a link is the only way between a home and a clinic, adults
/// reach the clinic and wheelchair users do not (`clinic_min` null). A plain
/// footway link is the control: both reach it, the wheelchair at 1 m/s.
#[test]
fn wheelchair_never_crosses_steps_raised_kerbs_or_wheelchair_no() {
    let footway = [("highway", "footway")];
    let cases: [(&str, OsmWriter, bool); 6] = [
        ("steps", bridge(&[("highway", "steps")], &[]), false),
        ("kerb=raised node", bridge(&footway, &[("kerb", "raised"), ("highway", "crossing")]), false),
        ("wheelchair=no node", bridge(&footway, &[("wheelchair", "no")]), false),
        ("wheelchair=no way", bridge(&[("highway", "footway"), ("wheelchair", "no")], &[]), false),
        ("kerb=raised way", bridge(&[("highway", "footway"), ("kerb", "raised")], &[]), false),
        ("plain footway (control)", bridge(&footway, &[("kerb", "lowered")]), true),
    ];
    let dir = tmp();
    for (i, (what, w, wheelchair_reaches)) in cases.iter().enumerate() {
        let pbf = dir.path().join(format!("bridge-{i}.osm.pbf"));
        w.write(&pbf);
        let mut mins = Vec::new();
        for profile in ["adult", "wheelchair"] {
            let out = dir.path().join(format!("out-{i}-{profile}"));
            // Both halves are kept, so the clinic snaps to its own half when the link is cut.
            cli_ok(&pbf, &out, &["--profile", profile, "--min-component-nodes", "1"]);
            let cov = features(&out.join("coverage.geojson"));
            assert_eq!(cov.len(), 1, "{what}");
            let h = &cov[0];
            let min = h.opt_f64("clinic_min");
            assert_eq!(h.bool("clinic_ok"), min.is_some(), "{what} {profile}: within 5 minutes, so ok ⇔ reached");
            assert_eq!(h.u64("clinic_count"), min.is_some() as u64, "{what} {profile}");
            mins.push(min);
        }
        // Adult: access 22.24 m + 88.96 m + link 22.24 m + 88.96 m + access 22.24 m = 244.63 m
        // at 1.25 m/s = 195.7 s = 3.27 min (rounded up to 0.01).
        let adult = mins[0].unwrap_or_else(|| panic!("{what}: adults reach the clinic"));
        assert!((adult - 3.27).abs() <= 0.011, "{what}: adult {adult} min");
        match (wheelchair_reaches, mins[1]) {
            (false, None) => {}
            // 244.63 m at 1 m/s = 4.08 min.
            (true, Some(m)) => assert!((m - 4.08).abs() <= 0.011, "{what}: wheelchair {m} min"),
            (_, m) => panic!("{what}: wheelchair clinic_min {m:?}, expected reachable = {wheelchair_reaches}"),
        }
    }
}

/// The wheelchair graph of the real Liechtenstein extract has no steps: no
/// edge's highway value is `steps`, every way tagged `highway=steps`,
/// `wheelchair=no` or `kerb=raised` (found by an independent parse) is
/// unwalkable, and no kept edge passes through a node tagged `kerb=raised`
/// or `wheelchair=no`. The adult graph does have steps (so the check bites).
#[test]
fn wheelchair_graph_of_liechtenstein_has_no_steps() {
    let tax = Taxonomy::builtin();
    let profiles = Profiles::builtin();
    let pbf = liechtenstein();
    // Independent parse: tagged ways and blocked nodes.
    let mut forbidden_ways: Vec<(i64, osmpbfreader::Tags)> = Vec::new();
    let mut blocked: BTreeMap<i64, [i32; 2]> = BTreeMap::new();
    let mut steps_ways = 0;
    let mut reader = OsmPbfReader::new(std::fs::File::open(&pbf).expect("open"));
    for obj in reader.iter() {
        match obj.expect("valid fixture") {
            OsmObj::Node(n) => {
                let t = |k: &str, v: &str| n.tags.get(k).is_some_and(|x| x == v);
                if t("kerb", "raised") || t("wheelchair", "no") {
                    blocked.insert(n.id.0, [n.decimicro_lon, n.decimicro_lat]);
                }
            }
            OsmObj::Way(w) => {
                let t = |k: &str, v: &str| w.tags.get(k).is_some_and(|x| x == v);
                if w.tags.contains_key("highway")
                    && (t("highway", "steps") || t("wheelchair", "no") || t("kerb", "raised"))
                {
                    steps_ways += t("highway", "steps") as usize;
                    forbidden_ways.push((w.id.0, w.tags.clone()));
                }
            }
            OsmObj::Relation(_) => {}
        }
    }
    assert!(steps_ways > 50, "Liechtenstein maps {steps_ways} ways of steps");
    assert!(forbidden_ways.len() > steps_ways, "and ways tagged wheelchair=no or kerb=raised");
    assert!(blocked.len() > 10, "and nodes tagged kerb=raised or wheelchair=no: {}", blocked.len());
    let mut steps_edges = BTreeMap::new();
    let mut blocked_on_edges = BTreeMap::new();
    for name in ["adult", "wheelchair"] {
        let p = profiles.get(name).expect("profile");
        let data = read_pbf(&pbf, &tax, p).expect("read");
        let g = build_graph(&data, p.speed_m_s(), 500, &pbf).expect("graph").graph;
        let n = (0..g.num_edges() as u32)
            .filter(|&e| data.highway_values[g.edge_highway(EdgeId(e)) as usize] == "steps")
            .count();
        steps_edges.insert(name, n);
        // Positions (decimicro-degrees) of every vertex of every kept edge.
        let vertices: HashSet<[i64; 2]> = (0..g.num_edges() as u32)
            .flat_map(|e| {
                g.edge_geometry(EdgeId(e)).iter().map(|p| [(p[0] * 1e7).round() as i64, (p[1] * 1e7).round() as i64])
            })
            .collect();
        // A blocked node's position may also be that of another node: leave those out.
        // (Only nodes that kept ways use are in `node_pos`; a node missing there is on no edge.)
        let mut at: BTreeMap<[i32; 2], usize> = BTreeMap::new();
        for p in &data.node_pos {
            *at.entry(*p).or_default() += 1;
        }
        let on_edges: Vec<i64> = blocked
            .iter()
            .filter(|(_, pos)| at.get(*pos) == Some(&1) && vertices.contains(&[pos[0] as i64, pos[1] as i64]))
            .map(|(id, _)| *id)
            .collect();
        blocked_on_edges.insert(name, on_edges);
        if name == "wheelchair" {
            for (id, tags) in &forbidden_ways {
                assert!(!p.is_walkable(tags), "way {id} {tags:?} is walkable for wheelchairs");
                // A way that is not kept has no tag decision: it is not walkable.
                let walkable = (data.way_index(*id))
                    .is_some_and(|i| data.way_info.iter().any(|w| w.way == i as u32 && w.walkable));
                assert!(!walkable, "way {id} ingested as walkable");
            }
            assert_eq!(data.blocked_nodes, blocked.keys().copied().collect::<Vec<_>>(), "blocked nodes");
        }
    }
    assert!(steps_edges["adult"] > 50, "{steps_edges:?}");
    assert_eq!(steps_edges["wheelchair"], 0, "{steps_edges:?}");
    assert!(blocked_on_edges["adult"].len() >= 3, "adult routes pass blocked nodes: {blocked_on_edges:?}");
    assert_eq!(blocked_on_edges["wheelchair"], Vec::<i64>::new(), "wheelchair edges through blocked nodes");
}

// ---------------------------------------------------------------------------
// 3. Capacity-aware access (2SFCA)

/// Time of one 0.001° edge at 1 m/s, ms.
const T: u32 = 111_195;

/// 2SFCA worked out by hand on the path 0–1–2–3 along the equator (edges e0,
/// e1, e2 of T = 111 195 ms each at 1 m/s), threshold 200 000 ms.
///
/// Facilities (capacity): Fa at node 0 (on e0, to_u 0), 60; Fb at node 3
/// (on e2, to_u T), 16.25; Fc at node 1 (on e1, to_u 0), none; Fd off the
/// network, 5. Homes (population): H0 on e0 at 20 000, 10; H1 on e1 at
/// 50 000, 20; H2 on e2 at 100 000, 5; H3 off the network, 100; H4 on e1 at
/// 90 000, 40. All accesses 0.
///
/// Reach (ms):
/// - Fa: H0 along e0 20 000; H1 via node 1 T + 50 000 = 161 195; H4 T + 90 000 = 201 195 (out);
///   H2 2T + 100 000 (out).
/// - Fb: H2 along e2 T − 100 000 = 11 195; H4 via node 2 T + (T − 90 000) = 132 390;
///   H1 T + (T − 50 000) = 172 390; H0 (out).
/// - Fc: H1 50 000; H4 90 000; H0 via node 1 T − 20 000 = 91 195; H2 T + 100 000 (out).
///
/// Step 1: D_a = 10 + 20 = 30, R_a = 60 / 30 = 2; D_b = 20 + 5 + 40 = 65,
/// R_b = 16.25 / 65 = 0.25 (over capacity: 65 > 16.25); D_c = 10 + 20 + 40 = 70,
/// no ratio (no capacity); D_d = 0, no ratio (no demand).
/// Step 2: A_0 = R_a = 2; A_1 = R_a + R_b = 2.25; A_2 = R_b = 0.25; A_3 = 0; A_4 = R_b = 0.25.
#[test]
fn two_step_fca_by_hand() {
    let nodes: Vec<[f64; 2]> = (0..4).map(|i| [i as f64 * 0.001, 0.0]).collect();
    let g = WalkGraph::new(
        nodes.clone(),
        vec![straight(&nodes, 0, 1), straight(&nodes, 1, 2), straight(&nodes, 2, 3)],
        1.0,
    );
    assert_eq!(g.edge_time(EdgeId(0)), TimeMs(T));
    let facilities = [anchor(&g, 0, 0, 0), anchor(&g, 2, T, 0), anchor(&g, 1, 0, 0), None];
    let capacity = [Some(60.0), Some(16.25), None, Some(5.0)];
    let homes =
        [anchor(&g, 0, 20_000, 0), anchor(&g, 1, 50_000, 0), anchor(&g, 2, 100_000, 0), None, anchor(&g, 1, 90_000, 0)];
    let population = [10.0, 20.0, 5.0, 100.0, 40.0];
    let pool = WorkspacePool::new(g.num_nodes());
    let by_edge = ByEdge::new(g.num_edges(), &homes);
    let reach = reach_within(&g, &pool, &facilities, &homes, &by_edge, TimeMs(200_000));
    let t = TimeMs;
    assert_eq!(
        reach,
        vec![
            vec![(0, t(20_000)), (1, t(161_195))],
            vec![(1, t(172_390)), (2, t(11_195)), (4, t(132_390))],
            vec![(0, t(91_195)), (1, t(50_000)), (4, t(90_000))],
            vec![],
        ]
    );
    let r = two_step_fca(&reach, &capacity, &population, TimeMs(200_000));
    assert_eq!(
        r,
        TwoStepFca {
            facility_demand: vec![30.0, 65.0, 70.0, 0.0],
            facility_ratio: vec![Some(2.0), Some(0.25), None, None],
            home_access: vec![2.0, 2.25, 0.25, 0.0, 0.25],
        }
    );

    // The same reach lists at 150 000 ms: Fa keeps H0 only (D 10, R 6); Fb keeps H2 and H4
    // (D 45, R 16.25 / 45); Fc keeps all three (D 70). A_0 = 6, A_1 = 0, A_2 = A_4 = 16.25 / 45.
    let r = two_step_fca(&reach, &capacity, &population, TimeMs(150_000));
    let rb = 16.25 / 45.0;
    assert_eq!(r.facility_demand, vec![10.0, 45.0, 70.0, 0.0]);
    assert_eq!(r.facility_ratio, vec![Some(6.0), Some(rb), None, None]);
    assert_eq!(r.home_access, vec![6.0, 0.0, rb, 0.0, rb]);

    // A threshold exactly at a reach time includes it: Fa reaches H1 at 161 195, not at 161 194.
    assert_eq!(two_step_fca(&reach, &capacity, &population, TimeMs(161_195)).facility_demand[0], 30.0);
    assert_eq!(two_step_fca(&reach, &capacity, &population, TimeMs(161_194)).facility_demand[0], 10.0);
}

/// Counts per threshold from the reach lists of [`two_step_fca_by_hand`]
/// (same path, facilities and homes), by hand:
/// - 20 000: H0 ← Fa (20 000); H2 ← Fb (11 195): `[1, 0, 1, 0, 0]`;
/// - 132 389: H0 ← Fa, Fc (91 195); H1 ← Fc (50 000); H2 ← Fb; H4 ← Fc (90 000): `[2, 1, 1, 0, 1]`;
/// - 132 390: H4 also ← Fb, exactly at the threshold: `[2, 1, 1, 0, 2]`;
/// - 200 000: H1 also ← Fa (161 195) and Fb (172 390): `[2, 3, 1, 0, 2]`.
#[test]
fn counts_per_threshold_by_hand() {
    let nodes: Vec<[f64; 2]> = (0..4).map(|i| [i as f64 * 0.001, 0.0]).collect();
    let g = WalkGraph::new(
        nodes.clone(),
        vec![straight(&nodes, 0, 1), straight(&nodes, 1, 2), straight(&nodes, 2, 3)],
        1.0,
    );
    let facilities = [anchor(&g, 0, 0, 0), anchor(&g, 2, T, 0), anchor(&g, 1, 0, 0), None];
    let homes =
        [anchor(&g, 0, 20_000, 0), anchor(&g, 1, 50_000, 0), anchor(&g, 2, 100_000, 0), None, anchor(&g, 1, 90_000, 0)];
    let pool = WorkspacePool::new(g.num_nodes());
    let by_edge = ByEdge::new(g.num_edges(), &homes);
    let reach = reach_within(&g, &pool, &facilities, &homes, &by_edge, TimeMs(200_000));
    let limits = [TimeMs(20_000), TimeMs(132_389), TimeMs(132_390), TimeMs(200_000)];
    assert_eq!(
        counts_per_threshold(&reach, homes.len(), &limits),
        vec![vec![1, 0, 1, 0, 0], vec![2, 1, 1, 0, 1], vec![2, 1, 1, 0, 2], vec![2, 3, 1, 0, 2]]
    );
    // Each equals a separate bounded count at that threshold.
    for (k, limit) in limits.iter().enumerate() {
        let separate = count_within(&g, &pool, &facilities, &homes, &by_edge, *limit);
        assert_eq!(separate, counts_per_threshold(&reach, homes.len(), &limits)[k], "at {limit:?}");
    }
}

/// A footway along the equator from 0° to 0.01° (nodes every 0.001°), nothing else.
fn equator_line() -> OsmWriter {
    let mut w = OsmWriter::new();
    let ids: Vec<i64> = (0..=10).map(|i| 1 + i).collect();
    for (i, id) in ids.iter().enumerate() {
        w.node(*id, [i as f64 * 0.001, 0.0], &[]);
    }
    w.way(100, &ids, &[("highway", "footway")]);
    w
}

/// 2SFCA through the CLI (`equator-*.csv` on [`equator_line`], `--minutes 5`:
/// 375 m at 4.5 km/h, i.e. 0.003 372 5° along the line).
///
/// Homes (population) at longitude 0 (50), 0.002 (60), 0.004 (70), 0.006 (80), 0.009 (90).
/// - P at 0.001, capacity 100: homes at 0, 0.002, 0.004 (≤ 0.003°): D = 180 > 100, over capacity,
///   ratio 100 / 180 = 0.555 555 556.
/// - Q at 0.008, capacity 170: homes at 0.006, 0.009 (0.004 is 0.004° away): D = 170, not over
///   (equal is not over), ratio 1.
/// - R at 0.0045, no capacity: homes at 0.002, 0.004, 0.006: D = 210, no ratio, no flag.
///
/// Access: homes 0, 0.002, 0.004 get 100 / 180; homes 0.006, 0.009 get 1.
#[test]
fn capacity_end_to_end_through_the_cli() {
    let dir = tmp();
    let pbf = dir.path().join("equator.osm.pbf");
    equator_line().write(&pbf);
    let out = dir.path().join("out");
    let (fac, homes) = (fixture("equator-clinics-capacity.csv"), fixture("equator-homes-population.csv"));
    cli_ok(&pbf, &out, &["--facilities", s(&fac), "--homes", s(&homes), "--minutes", "5"]);
    let summary = read_json(&out.join("summary.json"));
    let clinic = &summary["categories"][cat("clinic")];
    let over = serde_json::json!({
        "facilities_with_capacity": 2,
        "over_capacity": [{"id": "P", "name": "North clinic", "capacity": 100.0, "population_within": 180.0}]
    });
    assert_eq!(clinic["capacity"], over);
    assert!(
        summary["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "clinic: 1 facilities serve more people than their capacity"),
        "{}",
        summary["notes"]
    );
    for key in ["grocery", "elder_canteen", "childcare"] {
        assert!(summary["categories"][cat(key)].get("capacity").is_none(), "{key}: no facility has a capacity");
    }

    let fac = features(&out.join("facilities.geojson"));
    // (id, capacity, population_within, supply_ratio in 10⁻⁹, over_capacity)
    type Row<'a> = (&'a str, Option<f64>, f64, Option<i64>, Option<bool>);
    let got: Vec<Row> = fac
        .iter()
        .map(|f| {
            (
                f.str("id"),
                f.opt_f64("capacity"),
                f.f64("population_within"),
                f.opt_f64("supply_ratio").map(nano),
                f.props["over_capacity"].as_bool(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("P", Some(100.0), 180.0, Some(555_555_556), Some(true)),
            ("Q", Some(170.0), 170.0, Some(1_000_000_000), Some(false)),
            // No capacity given: not over it (a boolean, never null, so GIS readers type it as one).
            ("R", None, 210.0, None, Some(false)),
        ]
    );
    assert!(fac.iter().all(|f| f.props["over_capacity"] != Value::Bool(true) || f.str("id") == "P"));

    let cov = features(&out.join("coverage.geojson"));
    let access: Vec<(&str, i64)> = cov.iter().map(|f| (f.str("id"), nano(f.f64("clinic_access")))).collect();
    let (p, q) = (555_555_556, 1_000_000_000);
    assert_eq!(access, vec![("h0", p), ("h2", p), ("h4", p), ("h6", q), ("h9", q)]);
    assert!(cov.iter().all(|f| !f.props.contains_key("grocery_access")), "no capacities, no access column");
    let counts: Vec<u64> = cov.iter().map(|f| f.u64("clinic_count")).collect();
    assert_eq!(counts, vec![1, 2, 2, 2, 1], "P; P R; P R; Q R; Q");
}

// ---------------------------------------------------------------------------
// 4. Several thresholds and tiers

/// `--minutes 15,5,10` on Nanjing: thresholds sorted; for every home and
/// category `<cat>_ok_<m>` is the exact in-memory time ≤ m (and the rounded-up
/// `<cat>_min` ≤ m, as m is on the 0.01 grid), `<cat>_count_<m>` grows with m,
/// is ≥ 1 exactly when `<cat>_ok_<m>`, matches an independent bounded count at
/// that threshold, and the 15-minute columns are the main ones; summary
/// thresholds match counts from coverage.geojson.
#[test]
fn several_thresholds_flags_counts_and_summary() {
    let dir = tmp();
    let out = dir.path().join("out");
    cli_ok(&nanjing(), &out, &["--minutes", "15,5,10"]);
    let mut c = config(&nanjing(), &out);
    c.minutes = vec![5.0, 10.0, 15.0];
    let a = run(&c).expect("Nanjing");
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["parameters"]["thresholds_minutes"], serde_json::json!([5.0, 10.0, 15.0]));
    assert_eq!(summary["parameters"]["minutes"], 15.0);
    let cov = features(&out.join("coverage.geojson"));
    assert_eq!(cov.len(), a.homes.len());
    let pool = WorkspacePool::new(a.graph.num_nodes());
    let by_edge = ByEdge::new(a.graph.num_edges(), &a.home_anchors);
    let mut grew = 0;
    for (ci, key) in keys().iter().enumerate() {
        let fac: Vec<_> = a.facility_index[ci].iter().map(|&i| a.facility_anchors[i]).collect();
        let mut per_threshold = Vec::new();
        for m in [5u32, 10, 15] {
            let limit = TimeMs(m * 60_000);
            let independent = count_within(&a.graph, &pool, &fac, &a.home_anchors, &by_edge, limit);
            let (ok_k, count_k) = (format!("{key}_ok_{m}"), format!("{key}_count_{m}"));
            let mut covered = 0;
            for (h, f) in cov.iter().enumerate() {
                assert_eq!(f.str("id"), a.homes[h].id());
                let t = a.nearest[ci][h];
                let what = format!("{} {key} at {m} min (time {t:?})", a.homes[h].id());
                let ok = f.bool(&ok_k);
                assert_eq!(ok, t <= limit, "{what}");
                assert_eq!(ok, f.opt_f64(&format!("{key}_min")).is_some_and(|min| min <= m as f64), "{what}");
                assert_eq!(f.u64(&count_k), independent[h] as u64, "{what}: count");
                assert_eq!(f.u64(&count_k) >= 1, ok, "{what}: count ≥ 1 ⇔ ok");
                covered += ok as usize;
            }
            per_threshold.push(covered);
            let t = &summary["categories"][ci]["thresholds"][per_threshold.len() - 1];
            assert_eq!(t["label"], m.to_string(), "{key}");
            assert_eq!(t["minutes"], m as f64, "{key}");
            assert_eq!(t["homes"].as_u64().unwrap() as usize, covered, "{key} at {m}");
            // Floats read back from JSON may differ in the last bit (serde_json's default parser).
            assert!(rel_close(t["share"].as_f64().unwrap(), covered as f64 / cov.len() as f64), "{key} at {m}");
            assert_eq!(t["population"].as_f64().unwrap(), covered as f64, "{key} at {m}: one person per OSM home");
        }
        for f in &cov {
            let counts: Vec<u64> = [5, 10, 15].iter().map(|m| f.u64(&format!("{key}_count_{m}"))).collect();
            assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{key} {}: {counts:?}", f.str("id"));
            assert_eq!(f.u64(&format!("{key}_count")), counts[2], "{key}: the main count is the 15-minute one");
            assert_eq!(f.bool(&format!("{key}_ok")), f.bool(&format!("{key}_ok_15")), "{key}");
        }
        assert_eq!(summary["categories"][ci]["homes_covered"].as_u64().unwrap() as usize, per_threshold[2], "{key}");
        grew += (per_threshold[0] < per_threshold[2]) as usize;
    }
    assert!(grew >= 2, "thresholds must make a difference on Nanjing");

    // A fractional threshold gets its own label; a single threshold adds no per-threshold columns.
    let out2 = dir.path().join("out2");
    cli_ok(&nanjing(), &out2, &["--minutes", "7.5,15"]);
    let cov2 = features(&out2.join("coverage.geojson"));
    assert!(cov2[0].props.contains_key("grocery_ok_7.5") && cov2[0].props.contains_key("grocery_count_7.5"));
    assert!(!cov2[0].props.contains_key("grocery_ok_5"));
    assert_eq!(read_json(&out2.join("summary.json"))["categories"][0]["thresholds"][0]["label"], "7.5");
    let out3 = dir.path().join("out3");
    cli_ok(&nanjing(), &out3, &["--minutes", "15"]);
    assert!(!features(&out3.join("coverage.geojson"))[0].props.keys().any(|k| k.contains("_ok_")));
}

/// GB 50180-2018 tiers as the standard gives them: category → (life circle, walking distance m).
const GB50180: [(&str, f64, f64); 4] =
    [("grocery", 10.0, 500.0), ("elder_canteen", 5.0, 300.0), ("clinic", 15.0, 1000.0), ("childcare", 5.0, 300.0)];

/// `--tiers gb50180`: each category's one threshold is its distance walked at
/// the run's speed. By hand, minutes = distance / speed:
/// - 4.5 km/h (1.25 m/s): 300 m → 4.000, 500 m → 6.667, 1000 m → 13.333;
/// - `--speed-kmh 3` (0.833 m/s): 6.000, 10.000, 20.000;
/// - `--profile elderly` (0.78 m/s): 300 m → 6.410, 500 m → 10.684, 1000 m → 21.368.
///
/// Every `<cat>_ok` is the exact in-memory time ≤ distance / speed.
#[test]
fn gb50180_tiers_walk_each_distance_at_the_run_speed() {
    let dir = tmp();
    let tax = Taxonomy::builtin();
    let tiers = Tiers::builtin("gb50180", &tax).expect("built-in table");
    for (key, _, d) in GB50180 {
        assert_eq!(tiers.by_category[key].distance_m, d, "data/tiers.toml {key}");
    }
    let by_hand: [(&[&str], [f64; 3], f64, &str); 3] = [
        (&[], [4.0, 6.667, 13.333], 4.5, "adult"),
        (&["--speed-kmh", "3"], [6.0, 10.0, 20.0], 3.0, "adult"),
        (&["--profile", "elderly"], [6.41, 10.684, 21.368], ELDERLY_M_S * 3.6, "elderly"),
    ];
    let mut default_covered = None;
    for (i, (extra, minutes, speed_kmh, profile)) in by_hand.iter().enumerate() {
        let out = dir.path().join(format!("out{i}"));
        let mut args = vec!["--tiers", "gb50180"];
        args.extend_from_slice(extra);
        cli_ok(&nanjing(), &out, &args);
        let summary = read_json(&out.join("summary.json"));
        assert_eq!(summary["parameters"]["tiers"], "gb50180");
        let mut c = with_profile(config(&nanjing(), &out), profile);
        c.speed_kmh = *speed_kmh;
        c.tiers = Some(tiers.clone());
        let a = run(&c).expect("Nanjing with tiers");
        let cov = features(&out.join("coverage.geojson"));
        for (key, life_circle, distance) in GB50180 {
            let ci = cat(key);
            let cs = &summary["categories"][ci];
            let what = format!("{extra:?} {key}");
            assert_eq!(cs["tier"], serde_json::json!({"minutes": life_circle, "distance_m": distance}), "{what}");
            let th = cs["thresholds"].as_array().expect("thresholds");
            assert_eq!(th.len(), 1, "{what}");
            assert_eq!(th[0]["label"], format!("{distance}m"), "{what}");
            let want = minutes[[300.0, 500.0, 1000.0].iter().position(|x| *x == distance).unwrap()];
            assert_eq!(th[0]["minutes"].as_f64().unwrap(), want, "{what}");
            let limit = TimeMs::from_secs_f64(distance / (speed_kmh / 3.6));
            let mut covered = 0;
            for (h, f) in cov.iter().enumerate() {
                let t = a.nearest[ci][h];
                assert_eq!(
                    f.bool(&format!("{key}_ok")),
                    t <= limit,
                    "{what} home {} ({t:?} vs {limit:?})",
                    f.str("id")
                );
                covered += (t <= limit) as usize;
            }
            assert_eq!(cs["homes_covered"].as_u64().unwrap() as usize, covered, "{what}");
            assert_eq!(th[0]["homes"].as_u64().unwrap() as usize, covered, "{what}");
            if i == 0 && key == "grocery" {
                default_covered = Some(covered);
            }
        }
    }
    // Groceries at 500 m (6.7 min) cover fewer Nanjing homes than the default 15 minutes.
    let out = dir.path().join("plain");
    cli_ok(&nanjing(), &out, &[]);
    let plain = read_json(&out.join("summary.json"))["categories"][cat("grocery")]["homes_covered"].as_u64().unwrap();
    assert!((default_covered.expect("grocery") as u64) < plain, "{default_covered:?} vs {plain}");
}

/// `--tiers` with an explicit `--minutes` is a usage error (exit 2, nothing
/// written), even when the minutes are the default 15; an unknown table is a
/// one-line parameter error naming the known ones.
#[test]
fn tiers_and_explicit_minutes_conflict() {
    let dir = tmp();
    for minutes in ["10", "15", "5,10,15"] {
        let out = dir.path().join(format!("out-{minutes}"));
        let r = cli(&beijing(), &out, &["--quiet", "--tiers", "gb50180", "--minutes", minutes]);
        assert_eq!(r.code, Some(2), "--minutes {minutes}: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"));
        let first = r.stderr.lines().next().unwrap_or_default();
        assert!(first.starts_with("error:") && first.contains("--tiers") && first.contains("--minutes"), "{first}");
        assert!(!out.exists(), "nothing is created");
    }
    let out = dir.path().join("out-unknown");
    let r = cli(&beijing(), &out, &["--quiet", "--tiers", "gb50181"]);
    assert_input_error(&r, &out, &["--tiers", "gb50181", "gb50180"], "unknown tier table");
}

// ---------------------------------------------------------------------------
// 5. User inputs end to end

/// Facilities and homes given in GCJ-02 or BD-09 (made from WGS-84 positions
/// near the Beijing campus ways with the library's forward transform) come
/// out at their WGS-84 positions within 1 m; read as WGS-84 they would be
/// hundreds of metres off.
#[test]
fn gcj02_and_bd09_inputs_land_at_their_wgs84_positions() {
    let dir = tmp();
    let a = run(&config(&beijing(), dir.path())).expect("Beijing");
    let g = &a.graph;
    // Eight positions 0.0001° north-east of every 37th graph node.
    let wgs: Vec<[f64; 2]> = (0..8)
        .map(|k| {
            let p = g.node_lonlat(lifecircle::ids::NodeId((k * 37 % g.num_nodes()) as u32));
            [p[0] + 0.0001, p[1] + 0.0001]
        })
        .collect();
    let ks = keys();
    for crs in [Crs::Gcj02, Crs::Bd09] {
        let name = crs.name();
        let fac = dir.path().join(format!("facilities-{name}.csv"));
        let homes = dir.path().join(format!("homes-{name}.csv"));
        let mut ft = String::from("id,category,lon,lat\n");
        let mut ht = String::from("id,lon,lat,population\n");
        for (i, p) in wgs.iter().enumerate() {
            let q = from_wgs84(crs, *p);
            ft.push_str(&format!("u{i},{},{},{}\n", ks[i % ks.len()], q[0], q[1]));
            ht.push_str(&format!("h{i},{},{},{}\n", q[0], q[1], 10 * (i + 1)));
        }
        std::fs::write(&fac, ft).unwrap();
        std::fs::write(&homes, ht).unwrap();
        let out = dir.path().join(format!("out-{name}"));
        let flags = ["--facilities", s(&fac), "--facilities-crs", name, "--homes", s(&homes), "--homes-crs", name];
        cli_ok(&beijing(), &out, &flags);
        let summary = read_json(&out.join("summary.json"));
        assert_eq!(summary["inputs"]["facilities"]["crs"], name);
        assert_eq!(summary["inputs"]["homes"]["crs"], name);
        let users: BTreeMap<String, [f64; 2]> = features(&out.join("facilities.geojson"))
            .into_iter()
            .filter(|f| f.str("source") == "user")
            .map(|f| (f.str("id").to_string(), f.lonlat))
            .collect();
        assert_eq!(users.len(), wgs.len(), "{name}");
        let cov = features(&out.join("coverage.geojson"));
        assert_eq!(cov.len(), wgs.len(), "{name}: user homes replace OSM's");
        for (i, p) in wgs.iter().enumerate() {
            let d = haversine(users[&format!("u{i}")], *p);
            assert!(d <= 1.0, "{name} facility u{i}: {d} m from its WGS-84 position");
            assert_eq!(cov[i].str("id"), format!("h{i}"));
            let d = haversine(cov[i].lonlat, *p);
            assert!(d <= 1.0, "{name} home h{i}: {d} m from its WGS-84 position");
        }
        // Counter-check: the same file read as WGS-84 stays at the shifted positions.
        let out = dir.path().join(format!("out-{name}-as-wgs84"));
        cli_ok(&beijing(), &out, &["--facilities", s(&fac)]);
        for f in features(&out.join("facilities.geojson")).iter().filter(|f| f.str("source") == "user") {
            let i: usize = f.str("id")[1..].parse().unwrap();
            assert!(haversine(f.lonlat, wgs[i]) > 100.0, "{name}: {} read as WGS-84", f.str("id"));
        }
    }
}

/// OSM facilities of the Beijing fixture: category key → ids.
fn osm_facilities(out: &Path) -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in features(&out.join("facilities.geojson")).iter().filter(|f| f.str("source") == "osm") {
        m.entry(f.str("category").to_string()).or_default().push(f.str("id").to_string());
    }
    m
}

fn user_facilities(out: &Path) -> Vec<(String, String)> {
    features(&out.join("facilities.geojson"))
        .iter()
        .filter(|f| f.str("source") == "user")
        .map(|f| (f.str("category").to_string(), f.str("id").to_string()))
        .collect()
}

/// `--facilities-mode replace` drops OSM facilities only in the categories the
/// file has (`beijing-groceries-replace.csv`: groceries and an elder canteen,
/// categories by Chinese alias); clinics and childcare stay from OSM.
#[test]
fn facilities_replace_mode_is_per_category() {
    let dir = tmp();
    let base = dir.path().join("base");
    cli_ok(&beijing(), &base, &[]);
    let osm = osm_facilities(&base);
    // The fixture's README: 4 groceries, 2 clinics, 1 childcare, no elderly service.
    let sizes: Vec<(&str, usize)> = osm.iter().map(|(k, v)| (k.as_str(), v.len())).collect();
    assert_eq!(sizes, vec![("childcare", 1), ("clinic", 2), ("grocery", 4)]);

    let out = dir.path().join("replace");
    let file = fixture("beijing-groceries-replace.csv");
    cli_ok(&beijing(), &out, &["--facilities", s(&file), "--facilities-mode", "replace"]);
    let kept = osm_facilities(&out);
    assert_eq!(kept.get("grocery"), None, "OSM groceries replaced");
    assert_eq!(kept["clinic"], osm["clinic"], "clinics are not in the file: kept");
    assert_eq!(kept["childcare"], osm["childcare"]);
    assert_eq!(
        user_facilities(&out),
        vec![("grocery".into(), "g1".into()), ("grocery".into(), "g2".into()), ("elder_canteen".into(), "e1".into())]
    );
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(
        summary["facilities"],
        serde_json::json!({"childcare": 1, "clinic": 2, "elder_canteen": 1, "grocery": 2})
    );
    let inputs = &summary["inputs"]["facilities"];
    assert_eq!(
        (inputs["mode"].as_str(), inputs["rows"].as_u64(), inputs["osm_replaced"].as_u64()),
        (Some("replace"), Some(3), Some(4))
    );
    // Grocery counts now come from the two user groceries only.
    assert!(features(&out.join("coverage.geojson")).iter().all(|f| f.u64("grocery_count") <= 2));
}

/// Add mode (the default) keeps every OSM facility, adds the file's, and
/// counts facilities within 30 m of another of the same category, one of the
/// two from the file (six facilities in three pairs)
/// (`beijing-facilities-add.csv`): d1 ~ node/7426396546 (10.0 m), d3 ~ d2
/// (20.0 m), d4 ~ way/582551390 (28.9 m); not n2 (31.1 m from 物美), nor k1
/// (a childcare 20 m from a grocery), nor OSM-only pairs (南区超市 and 中国移动
/// are 9.5 m apart).
#[test]
fn facilities_add_mode_keeps_osm_and_reports_duplicates() {
    let dir = tmp();
    let base = dir.path().join("base");
    cli_ok(&beijing(), &base, &[]);
    let osm = osm_facilities(&base);
    let out = dir.path().join("add");
    let file = fixture("beijing-facilities-add.csv");
    cli_ok(&beijing(), &out, &["--facilities", s(&file)]);
    assert_eq!(osm_facilities(&out), osm, "add mode keeps all OSM facilities");
    let users = user_facilities(&out);
    assert_eq!(users.len(), 7);
    // The fixture's geometry, checked independently.
    let pos: BTreeMap<String, [f64; 2]> =
        features(&out.join("facilities.geojson")).into_iter().map(|f| (f.str("id").to_string(), f.lonlat)).collect();
    let d = |a: &str, b: &str| haversine(pos[a], pos[b]);
    assert!(d("d1", "node/7426396546") < 30.0 && d("d3", "d2") < 30.0 && d("d4", "way/582551390") < 30.0);
    assert!(d("n2", "way/582551390") > 30.0 && d("node/3511264386", "node/3511264387") < 30.0);
    let summary = read_json(&out.join("summary.json"));
    let inputs = &summary["inputs"]["facilities"];
    assert_eq!(inputs["mode"], "add");
    assert_eq!(inputs["osm_replaced"], 0);
    assert_eq!(inputs["duplicates_within_30m"], 6, "{inputs}");
    let examples: Vec<&str> =
        inputs["duplicate_examples"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
    assert_eq!(examples.len(), 3, "{examples:?}");
    for pair in [["d1", "node/7426396546"], ["d2", "d3"], ["d4", "way/582551390"]] {
        assert!(examples.iter().any(|e| pair.iter().all(|id| e.contains(id))), "{pair:?} not in {examples:?}");
    }
    let file_name = file.display().to_string();
    let note = format!("{file_name}: 6 facilities within 30 m of another of the same category (likely duplicates)");
    assert!(summary["notes"].as_array().unwrap().iter().any(|n| *n == note), "{}", summary["notes"]);
    let mut want = serde_json::Map::new();
    for key in keys() {
        let n = osm.get(&key).map_or(0, Vec::len) + users.iter().filter(|u| u.0 == key).count();
        want.insert(key, n.into());
    }
    assert_eq!(summary["facilities"], Value::Object(want));
}

/// `--homes` replaces OSM homes by default (ids and populations from the
/// file, in file order; a blank population is 1); `--homes-mode add` keeps
/// OSM's first, unchanged, and appends the file's.
#[test]
fn user_homes_replace_by_default_and_add_on_request() {
    let dir = tmp();
    let base = dir.path().join("base");
    cli_ok(&beijing(), &base, &[]);
    let osm_homes = features(&base.join("coverage.geojson"));
    assert_eq!(osm_homes.len(), 58);
    let file = fixture("beijing-homes.csv");
    let want =
        [("bupt-north", 1200.0), ("bupt-west", 800.0), ("bupt-south", 450.0), ("bupt-east", 0.0), ("staff-flats", 1.0)];

    let out = dir.path().join("replace");
    cli_ok(&beijing(), &out, &["--homes", s(&file)]);
    let cov = features(&out.join("coverage.geojson"));
    let got: Vec<(&str, f64)> = cov.iter().map(|f| (f.str("id"), f.f64("population"))).collect();
    assert_eq!(got, want);
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["homes"]["total"], 5);
    assert_eq!(summary["homes"]["population"], 2451.0);
    let inputs = &summary["inputs"]["homes"];
    assert_eq!(
        (inputs["mode"].as_str(), inputs["rows"].as_u64(), inputs["osm_replaced"].as_u64()),
        (Some("replace"), Some(5), Some(58))
    );

    let out = dir.path().join("add");
    cli_ok(&beijing(), &out, &["--homes", s(&file), "--homes-mode", "add"]);
    let cov = features(&out.join("coverage.geojson"));
    assert_eq!(cov.len(), 63);
    for (a, b) in cov.iter().zip(&osm_homes) {
        assert_eq!(a.props, b.props, "OSM homes unchanged when homes are added");
    }
    let tail: Vec<(&str, f64)> = cov[58..].iter().map(|f| (f.str("id"), f.f64("population"))).collect();
    assert_eq!(tail, want);
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["homes"]["total"], 63);
    assert_eq!(summary["homes"]["population"], 58.0 + 2451.0);
    assert_eq!(summary["inputs"]["homes"]["osm_replaced"], 0);
    assert_eq!(summary["inputs"]["homes"]["mode"], "add");
}

/// A bad row fails the run (exit 2, one stderr line naming the file and the
/// row, nothing written); with `--skip-bad-rows` the run succeeds, the row is
/// left out and counted.
#[test]
fn a_bad_row_fails_the_run_unless_skipped() {
    let dir = tmp();
    let fac = fixture("beijing-facilities-bad-row.csv");
    let homes = fixture("beijing-homes-bad-row.geojson");
    let cases: [(&str, &Path, &str, &str, usize); 2] =
        [("--facilities", &fac, "row 3", "facilities", 2), ("--homes", &homes, "feature 1", "homes", 2)];
    for (flag, file, location, input, good) in cases {
        let out = dir.path().join(format!("out{flag}"));
        let r = cli(&beijing(), &out, &["--quiet", flag, s(file)]);
        assert_input_error(&r, &out, &[s(file), location], flag);
        assert_eq!(dir_entries(&out), Vec::<String>::new(), "{flag}: no output");

        let r = cli_ok(&beijing(), &out, &[flag, s(file), "--skip-bad-rows"]);
        assert!(
            r.stderr.contains(&format!("lifecircle: note: {}: 1 bad rows skipped\n", file.display())),
            "{}",
            r.stderr
        );
        let summary = read_json(&out.join("summary.json"));
        let rep = &summary["inputs"][input];
        assert_eq!((rep["rows"].as_u64(), rep["rows_skipped"].as_u64()), (Some(3), Some(1)), "{flag}: {rep}");
        let skipped = rep["skipped"].as_array().unwrap();
        assert_eq!(skipped.len(), 1, "{flag}");
        assert!(skipped[0].as_str().unwrap().starts_with(&format!("{location}: ")), "{flag}: {skipped:?}");
        let note = format!("{}: 1 bad rows skipped", file.display());
        assert!(summary["notes"].as_array().unwrap().iter().any(|n| *n == note), "{flag}: {}", summary["notes"]);
        if input == "facilities" {
            let users = user_facilities(&out);
            assert_eq!(users, vec![("grocery".into(), "g1".into()), ("clinic".into(), "c1".into())]);
        } else {
            let ids: Vec<String> =
                features(&out.join("coverage.geojson")).iter().map(|f| f.str("id").to_string()).collect();
            assert_eq!(ids.len(), good);
            assert_eq!(ids, ["a", "c"]);
            assert_eq!(summary["homes"]["population"], 150.0);
        }
    }
}

/// Nanjing's OSM data has no elder canteen: the category is empty and noted.
/// Adding `nanjing-elder-canteens.csv` (Chinese headers, category 老年食堂)
/// covers homes near them, and leaves every other column unchanged.
#[test]
fn an_empty_category_is_covered_once_a_user_facility_is_added() {
    let dir = tmp();
    let before = dir.path().join("before");
    cli_ok(&nanjing(), &before, &[]);
    let e = cat("elder_canteen");
    let s0 = read_json(&before.join("summary.json"));
    assert_eq!(s0["categories"][e]["facilities"], 0);
    assert_eq!(s0["categories"][e]["note"], "no facilities found");
    assert_eq!(s0["categories"][e]["homes_covered"], 0);
    let empty_note = |s: &Value| {
        s["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().starts_with("elder_canteen: no facilities found"))
    };
    assert!(empty_note(&s0));
    let c0 = features(&before.join("coverage.geojson"));
    assert!(c0.iter().all(|f| f.opt_f64("elder_canteen_min").is_none() && !f.bool("elder_canteen_ok")));

    let after = dir.path().join("after");
    let file = fixture("nanjing-elder-canteens.csv");
    cli_ok(&nanjing(), &after, &["--facilities", s(&file)]);
    let s1 = read_json(&after.join("summary.json"));
    let cs = &s1["categories"][e];
    assert_eq!(cs["facilities"], 2);
    assert_eq!(cs["note"], Value::Null);
    assert!(!empty_note(&s1), "{}", s1["notes"]);
    let c1 = features(&after.join("coverage.geojson"));
    assert_eq!(c1.len(), c0.len());
    let covered = c1.iter().filter(|f| f.bool("elder_canteen_ok")).count();
    assert!(covered > 0 && covered < c1.len(), "{covered} of {}", c1.len());
    assert_eq!(cs["homes_covered"].as_u64().unwrap() as usize, covered);
    for (a, b) in c0.iter().zip(&c1) {
        assert_eq!(a.str("id"), b.str("id"));
        let min = b.opt_f64("elder_canteen_min").expect("one connected graph: every reachable home reaches a canteen");
        assert_eq!(b.bool("elder_canteen_ok"), min <= 15.0, "{}", b.str("id"));
        for (k, v) in &a.props {
            if !k.starts_with("elder_canteen") && k != "categories_ok" && k != "complete" {
                assert_eq!(b.props[k], *v, "{} {k}", a.str("id"));
            }
        }
        let gained = b.bool("elder_canteen_ok") as u64;
        assert_eq!(b.u64("categories_ok"), a.u64("categories_ok") + gained, "{}", a.str("id"));
    }
}

/// User homes and facilities with capacities, several thresholds: every
/// output byte is the same on 1 and 3 threads (the summary's timings and
/// thread count aside).
#[test]
fn user_data_outputs_do_not_depend_on_the_thread_count() {
    let dir = tmp();
    let fac = dir.path().join("facilities.csv");
    std::fs::write(
        &fac,
        "id,category,lon,lat,capacity\n\
         a,grocery,116.3500,39.9638,40\nb,clinic,116.3520,39.9610,12.5\nc,clinic,116.3530,39.9580,\n\
         d,elder_canteen,116.3515,39.9605,3\n",
    )
    .unwrap();
    let homes = fixture("beijing-homes.csv");
    let mut outputs = Vec::new();
    for threads in ["1", "3"] {
        let out = dir.path().join(format!("out{threads}"));
        let flags = ["--facilities", s(&fac), "--homes", s(&homes), "--homes-mode", "add", "--minutes", "3,7.5,15"];
        let mut args = flags.to_vec();
        args.extend_from_slice(&["--threads", threads]);
        cli_ok(&beijing(), &out, &args);
        let mut summary = read_json(&out.join("summary.json"));
        crate::common::remove_paths(&mut summary, &["timings", "parameters.threads"]);
        let files: Vec<Vec<u8>> =
            ["coverage.geojson", "facilities.geojson"].iter().map(|f| std::fs::read(out.join(f)).unwrap()).collect();
        outputs.push((files, summary));
    }
    assert!(outputs[0].0 == outputs[1].0, "GeoJSON outputs differ between 1 and 3 threads");
    assert_eq!(outputs[0].1, outputs[1].1);
    assert!(String::from_utf8_lossy(&outputs[0].0[0]).contains("clinic_access"));
}
