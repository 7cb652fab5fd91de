//! The policy as officials count it: per-unit shares worked out by hand on a
//! street of four communities, three district levels at once with the
//! three-tier elderly facilities and the failing units named, the bundled
//! national category lists selected by name (their clauses, `complete` over
//! their own set), AutoNavi/Baidu type names and codes in facility files, and
//! the bad flags. Population grids are in `population.rs`.

use std::path::Path;

use lifecircle::Taxonomy;
use lifecircle::io::points::{read_facilities, read_facilities_bytes};
use serde_json::{Value, json};

use crate::cli::{Run, assert_input_error, run_subcommand};
use crate::common::pbf::{Member, OsmWriter};
use crate::common::{read_json, repo_file};

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// 0.001° along the equator, metres (GRS80 mean radius, as the library).
const M_PER_MILLIDEGREE: f64 = 111.195;

/// A street along the equator from lon 0 to 0.040 (nodes 1..=41, one way),
/// homes as small houses centred 0.0002° north of it at `home_lons`, and
/// `facilities` as tagged nodes 0.00005° north of it.
pub fn street(home_lons: &[f64], facilities: &[(f64, Vec<(&str, &str)>)]) -> OsmWriter {
    let mut w = OsmWriter::new();
    for i in 0..=40 {
        w.node(1 + i, [i as f64 * 0.001, 0.0], &[]);
    }
    let refs: Vec<i64> = (1..=41).collect();
    w.way(1, &refs, &[("highway", "residential")]);
    for (k, &lon) in home_lons.iter().enumerate() {
        let (id, first) = (100 + k as i64, 10_000 + 10 * k as i64);
        w.rect_way(id, first, [lon - 0.0001, 0.0001], [lon + 0.0001, 0.0003], &[("building", "house")]);
    }
    for (k, (lon, tags)) in facilities.iter().enumerate() {
        w.node(50_000 + k as i64, [*lon, 0.00005], tags);
    }
    w
}

/// The homes of the four communities: A (lon 0–0.01) next to a facility, B
/// within 15 minutes of it for two of three, C beyond 15 minutes of any, D
/// none (it holds the second facility).
pub const HOMES: [f64; 9] = [0.002, 0.004, 0.006, 0.012, 0.014, 0.018, 0.021, 0.022, 0.028];

/// GeoJSON rectangles `(name, west, east)` spanning lat ±0.005.
fn boxes(units: &[(&str, f64, f64)]) -> String {
    let features: Vec<Value> = units
        .iter()
        .map(|(name, w, e)| {
            json!({"type": "Feature", "properties": {"name": name},
                "geometry": {"type": "Polygon", "coordinates": [[[w, -0.005], [e, -0.005], [e, 0.005], [w, 0.005], [w, -0.005]]]}})
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features}).to_string()
}

fn districts(args: &[&str]) -> Run {
    run_subcommand("districts", args)
}

fn childcare() -> Vec<(&'static str, &'static str)> {
    vec![("amenity", "childcare")]
}

/// By hand (0.001° = 111.2 m, 15 min at 4.5 km/h = 1125 m; facilities at 0.005 and 0.039):
/// A's homes walk 0.003/0.001/0.001° (median 111 m), B's 0.007/0.009/0.013° (median 1001 m,
/// within), C's nearest is 0.016/0.017/0.011° away (median 1779 m, beyond); D has no homes.
/// Units with a facility: A and D, 2 of 4. Units with homes whose median walk is within:
/// A and B, 2 of 3. Homes within: 3 + 2 + 0 = 5 of 9. T10-units (>= 60% of communities with
/// childcare) fails short by one unit (3 of 4 would pass); T10-units-walk passes (2/3).
#[test]
fn per_unit_shares_match_the_count_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let pbf = dir.path().join("street.osm.pbf");
    street(&HOMES, &[(0.005, childcare()), (0.039, childcare())]).write(&pbf);
    let units = dir.path().join("communities.geojson");
    let names = [("A", 0.0, 0.01), ("B", 0.01, 0.02), ("C", 0.02, 0.03), ("D", 0.03, 0.04)];
    std::fs::write(&units, boxes(&names)).unwrap();
    let out = dir.path().join("out");
    let r = districts(&["--pbf", s(&pbf), "--out", s(&out), "--districts", s(&units), "--quiet"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let summary = read_json(&out.join("summary.json"));
    let d = &summary["districts"];
    let child = d["units"].as_array().unwrap().iter().find(|u| u["key"] == "childcare").expect("childcare units");
    let got: Vec<u64> =
        ["units", "units_with_facility", "units_with_homes", "units_median_within", "homes", "homes_covered"]
            .iter()
            .map(|k| child[*k].as_u64().unwrap_or_else(|| panic!("{k}: {child}")))
            .collect();
    assert_eq!(got, [4, 2, 3, 2, 9, 5], "{child}");
    assert_eq!(child["share_units_with_facility"], 0.5);
    assert!((child["share_units_median_within"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert!((child["share_homes"].as_f64().unwrap() - 5.0 / 9.0).abs() < 1e-12);
    // The same counts recomputed from the per-home output: each home's unit by its longitude,
    // each unit's median of its homes' walks.
    let coverage = read_json(&out.join("coverage.geojson"));
    let mut per_unit: Vec<Vec<f64>> = vec![Vec::new(); 4];
    for f in coverage["features"].as_array().unwrap() {
        let lon = f["geometry"]["coordinates"][0].as_f64().unwrap();
        let t = f["properties"]["childcare_min"].as_f64().unwrap_or(f64::INFINITY);
        per_unit[(lon / 0.01) as usize].push(t);
    }
    let medians: Vec<Option<f64>> = per_unit
        .iter_mut()
        .map(|ts| {
            ts.sort_by(f64::total_cmp);
            (!ts.is_empty()).then(|| ts[ts.len() / 2])
        })
        .collect();
    let within: Vec<bool> = medians.iter().map(|m| m.is_some_and(|m| m <= 15.0)).collect();
    assert_eq!(within, [true, true, false, false], "medians {medians:?}");
    let walk_m = |m: f64| m * 75.0;
    assert!((walk_m(medians[1].unwrap()) - 9.0 * M_PER_MILLIDEGREE).abs() < 40.0, "{medians:?}");
    // The targets: T10-units short by one unit over all communities, T10-units-walk passes.
    let missed = d["targets_missed"].as_array().unwrap();
    let rule = |id: &str| missed.iter().find(|m| m["rule"] == id);
    let t10 = rule("T10-units").expect("T10-units missed");
    assert_eq!(
        t10["districts"],
        json!([{"district": "(all units)", "homes_short": 0, "people_short": 0.0, "units_short": 1}])
    );
    assert!(rule("T10-units-walk").is_none(), "{missed:?}");
    let md = std::fs::read_to_string(out.join("districts.md")).unwrap();
    assert!(md.contains("| childcare | 4 | 2 | 50.0 | 3 | 2 | 66.7 | 55.6 |"), "{md}");
    assert!(md.contains("| T10-units | (all units) | 0.500 | 0.600 | **no** |"), "{md}");
    assert!(md.contains("| T10-units-walk | (all units) | 0.667 | 0.600 | yes |"), "{md}");
}

/// Three `--districts` files, coarse to fine (a district Z over two sub-districts S1 = A + B and
/// S2 = C + D, the four communities of the test above), keys named per file: the community
/// rules are read per coarser unit over the communities inside it. T10-units: Z 2 of 4
/// (short 1), S1 1 of 2 and S2 1 of 2 (short 1 each: 2 of 2 needed for 60 %). T10-units-walk:
/// S1 2 of 2 pass, S2 0 of 1 (C; D has no homes), Z 2 of 3 pass.
#[test]
fn community_rules_read_per_coarser_unit_from_three_files() {
    let dir = tempfile::tempdir().unwrap();
    let pbf = dir.path().join("street.osm.pbf");
    street(&HOMES, &[(0.005, childcare()), (0.039, childcare())]).write(&pbf);
    let write = |name: &str, key: &str, units: &[(&str, f64, f64)]| {
        let text = boxes(units).replace("\"name\"", &format!("\"{key}\""));
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let z = write("qu.geojson", "区名", &[("Z", 0.0, 0.04)]);
    let sub = write("jiedao.geojson", "街道", &[("S1", 0.0, 0.02), ("S2", 0.02, 0.04)]);
    let com =
        write("shequ.geojson", "name", &[("A", 0.0, 0.01), ("B", 0.01, 0.02), ("C", 0.02, 0.03), ("D", 0.03, 0.04)]);
    let out = dir.path().join("out");
    let mut args = vec!["--pbf", s(&pbf), "--out", s(&out), "--quiet"];
    for (file, key) in [(&z, "区名"), (&sub, "街道"), (&com, "name")] {
        args.extend(["--districts", s(file), "--district-key", key]);
    }
    let r = districts(&args);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let d = read_json(&out.join("summary.json"))["districts"].clone();
    let short = |level: &Value, rule: &str| -> Vec<(String, u64)> {
        let missed = level["targets_missed"].as_array().unwrap();
        let m = missed.iter().find(|m| m["rule"] == rule);
        m.map(|m| {
            m["districts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| (x["district"].as_str().unwrap().to_string(), x["units_short"].as_u64().unwrap()))
                .collect()
        })
        .unwrap_or_default()
    };
    let owned = |v: &[(&str, u64)]| v.iter().map(|(a, b)| (a.to_string(), *b)).collect::<Vec<_>>();
    assert_eq!(short(&d["levels"][0], "T10-units"), owned(&[("Z", 1)]));
    assert_eq!(short(&d["levels"][1], "T10-units"), owned(&[("S1", 1), ("S2", 1)]));
    assert_eq!(short(&d, "T10-units"), owned(&[("(all units)", 1)]));
    assert!(short(&d["levels"][0], "T10-units-walk").is_empty());
    assert_eq!(short(&d["levels"][1], "T10-units-walk"), owned(&[("S2", 1)]));
    assert!(short(&d, "T10-units-walk").is_empty());
    // Each level's own per-unit shares: the sub-districts each hold a facility.
    let sub_units = d["levels"][1]["units"].as_array().unwrap();
    let child = sub_units.iter().find(|u| u["key"] == "childcare").unwrap();
    assert_eq!((child["units"].as_u64(), child["units_with_facility"].as_u64()), (Some(2), Some(2)));
    let md = std::fs::read_to_string(out.join("districts.md")).unwrap();
    assert!(md.contains("- **T10-units-walk**: 1 of 2 fail: S2"), "{md}");
}

/// Admin boundaries of three levels over the street: 区 (level 6) 玄武区 and 秦淮区 (no
/// centre), 街道 (8) 新街口街道 (a base) and 梅园新村街道 (none), 社区 (10) A–D, places in
/// 华侨路社区 (A) and 丰富路社区 (C) only.
fn three_level_pbf() -> OsmWriter {
    let facilities = vec![
        (0.025, vec![("name", "玄武区养老服务指导中心"), ("amenity", "social_facility")]),
        (0.005, vec![("name", "新街口街道综合养老服务中心"), ("amenity", "social_facility")]),
        (0.003, vec![("name", "华侨路社区养老服务站")]),
        (0.027, vec![("name", "丰富路社区老年食堂")]),
    ];
    let mut w = street(&HOMES, &facilities);
    let units: [(&str, &str, f64, f64); 8] = [
        ("6", "玄武区", 0.0, 0.04),
        ("6", "秦淮区", 0.04, 0.06),
        ("8", "新街口街道", 0.0, 0.02),
        ("8", "梅园新村街道", 0.02, 0.04),
        ("10", "华侨路社区", 0.0, 0.01),
        ("10", "石鼓路社区", 0.01, 0.02),
        ("10", "丰富路社区", 0.02, 0.03),
        ("10", "长江路社区", 0.03, 0.04),
    ];
    for (k, (level, name, west, east)) in units.iter().enumerate() {
        let way = 900 + k as i64;
        w.rect_way(way, 90_000 + 10 * k as i64, [*west, -0.005], [*east, 0.005], &[]);
        let tags = [("type", "boundary"), ("boundary", "administrative"), ("admin_level", level), ("name", name)];
        w.relation(9000 + k as i64, &[(Member::Way(way), "outer")], &tags);
    }
    w
}

#[test]
fn three_levels_at_once_name_the_units_without_their_tier_of_elderly_facility() {
    let dir = tempfile::tempdir().unwrap();
    let pbf = dir.path().join("three-levels.osm.pbf");
    three_level_pbf().write(&pbf);
    let out = dir.path().join("out");
    let args =
        ["--pbf", s(&pbf), "--out", s(&out), "--levels", "10,6,8", "--taxonomy", "elderly-three-tier", "--quiet"];
    let r = districts(&args);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    for tier in ["district", "subdistrict", "community"] {
        assert!(out.join(format!("districts-{tier}.csv")).is_file(), "{tier}");
    }
    // Facilities per unit, from each level's table.
    let csv = |tier: &str| std::fs::read_to_string(out.join(format!("districts-{tier}.csv"))).unwrap();
    let counts = |tier: &str, key: &str| -> Vec<(String, String)> {
        let text = csv(tier);
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let at = |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("{name}: {header:?}"));
        let (k, n) = (at("district"), at(&format!("{key}_facilities")));
        lines.map(|l| l.split(',').collect::<Vec<_>>()).map(|c| (c[k].to_string(), c[n].to_string())).collect()
    };
    let pairs = |v: &[(&str, &str)]| v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
    let district = counts("district", "elder_centre");
    assert!(district.starts_with(&pairs(&[("玄武区", "1"), ("秦淮区", "0")])), "{district:?}");
    let sub = counts("subdistrict", "elder_base");
    assert!(sub.starts_with(&pairs(&[("新街口街道", "1"), ("梅园新村街道", "0")])), "{sub:?}");
    let community = counts("community", "elder_place");
    let expect = [("华侨路社区", "1"), ("石鼓路社区", "0"), ("丰富路社区", "1"), ("长江路社区", "0")];
    assert!(community.starts_with(&pairs(&expect)), "{community:?}");
    // The failing units by name, per rule, in districts.md and summary.json.
    let md = std::fs::read_to_string(out.join("districts.md")).unwrap();
    for line in [
        "- **T4-centre**: 1 of 2 fail: 秦淮区",
        "- **T4-base**: 1 of 2 fail: 梅园新村街道",
        "- **T4-place**: 2 of 4 fail: 石鼓路社区, 长江路社区",
    ] {
        assert!(md.contains(line), "{line:?} not in:\n{md}");
    }
    let summary = read_json(&out.join("summary.json"));
    let d = &summary["districts"];
    let missed = |level: &Value, rule: &str| -> Vec<(String, u64)> {
        let m = level["targets_missed"].as_array().unwrap().iter().find(|m| m["rule"] == rule);
        m.map(|m| {
            m["districts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| (x["district"].as_str().unwrap().to_string(), x["facilities_short"].as_u64().unwrap()))
                .collect()
        })
        .unwrap_or_default()
    };
    assert_eq!(d["tier"], "community");
    assert_eq!(missed(d, "T4-place"), [("石鼓路社区".to_string(), 1), ("长江路社区".to_string(), 1)]);
    assert_eq!(d["levels"][0]["tier"], "district");
    assert_eq!(missed(&d["levels"][0], "T4-centre"), [("秦淮区".to_string(), 1)]);
    assert_eq!(missed(&d["levels"][1], "T4-base"), [("梅园新村街道".to_string(), 1)]);
    // Rules this taxonomy cannot check are said to be unchecked, not failed.
    let notes = summary["notes"].to_string();
    assert!(notes.contains("target T10-homes: not checked"), "{notes}");
}

#[test]
fn bad_levels_are_errors_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let pbf = dir.path().join("three-levels.osm.pbf");
    three_level_pbf().write(&pbf);
    let out = dir.path().join("out");
    for (levels, needle) in
        [("8,8", "given twice"), ("4,6,8,10", "at most 3"), ("7", "admin_level 7"), ("6,8,99", "admin_level 99")]
    {
        let r = districts(&["--pbf", s(&pbf), "--out", s(&out), "--levels", levels]);
        assert_input_error(&r, &out, &["--admin-level", needle], &format!("--levels {levels}"));
    }
    // Not a number: a usage error (exit 2) naming the flag.
    let r = districts(&["--pbf", s(&pbf), "--out", s(&out), "--levels", "6,x"]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("--admin-level") || r.stderr.contains("--levels"), "{}", r.stderr);
    assert!(!out.exists());
}

/// The list of each bundled national taxonomy, its clauses, and its selection by name.
#[test]
fn bundled_taxonomies_by_name_cite_their_clauses() {
    assert_eq!(Taxonomy::bundled_names(), ["default", "mofcom-2021", "mohurd-2020", "elderly-three-tier", "peers"]);
    let keys = |t: &Taxonomy| t.categories.iter().map(|c| c.key.clone()).collect::<Vec<_>>();
    let mofcom = Taxonomy::from_name_or_file("mofcom-2021").unwrap();
    assert_eq!(mofcom.source, "built-in:mofcom-2021");
    assert_eq!(
        keys(&mofcom.taxonomy),
        [
            "convenience",
            "market",
            "breakfast",
            "laundry",
            "hairdresser",
            "photo_print",
            "housekeeping",
            "repair",
            "pharmacy",
            "post"
        ]
    );
    let mohurd = Taxonomy::from_name_or_file("mohurd-2020").unwrap().taxonomy;
    assert_eq!(
        keys(&mohurd),
        [
            "community_service",
            "kindergarten",
            "childcare",
            "elderly_station",
            "clinic",
            "supermarket",
            "parcel",
            "fitness"
        ]
    );
    let elderly = Taxonomy::from_name_or_file("elderly-three-tier").unwrap().taxonomy;
    assert_eq!(keys(&elderly), ["elder_centre", "elder_base", "elder_place"]);
    // Every category cites its clause: the guide's basic-services list, the standard's items,
    // the Tianjin sentence (whose quoted part is in the document).
    for c in &mofcom.taxonomy.categories {
        let src = c.source.as_deref().unwrap_or_default();
        assert!(src.starts_with("《城市一刻钟便民生活圈建设指南》一(二): 基本保障类业态 … "), "{}: {src}", c.key);
    }
    for c in &mohurd.categories {
        let src = c.source.as_deref().unwrap_or_default();
        assert!(src.starts_with("《完整居住社区建设标准(试行)》"), "{}: {src}", c.key);
        assert!(src.contains('、'), "{}: no clause number: {src}", c.key);
    }
    let document = std::fs::read_to_string(repo_file("seeds/000_a2dc82977ebadffb.txt")).unwrap();
    for c in &elderly.categories {
        let src = c.source.as_deref().unwrap_or_default();
        let quote = src.split('「').nth(1).and_then(|q| q.split('」').next()).unwrap_or_default();
        assert!(src.starts_with("T4: ") && !quote.is_empty() && document.contains(quote), "{}: {src}", c.key);
    }
    for t in [&mofcom.taxonomy, &mohurd, &elderly] {
        assert!(t.source.as_deref().is_some_and(|s| !s.is_empty()) && t.name.is_some());
    }
    // The default by name is the built-in table.
    let default = Taxonomy::from_name_or_file("default").unwrap();
    assert_eq!((default.source.as_str(), keys(&default.taxonomy)), ("built-in", keys(&Taxonomy::builtin())));
}

/// One facility of every MOFCOM basic service at lon 0.005 (OSM tags only): `complete` under
/// `mofcom-2021` is the share of homes within 15 minutes of all ten, A's and B's nearer homes,
/// 5 of 9 (as for one category, since they share a spot); under the default taxonomy, with
/// no elderly canteen, it is 0; under `mohurd-2020`, without a kindergarten, 0 too.
#[test]
fn complete_is_the_lists_own_set() {
    let tags: [&[(&str, &str)]; 10] = [
        &[("shop", "convenience")],
        &[("shop", "supermarket")],
        &[("amenity", "fast_food"), ("breakfast", "yes")],
        &[("shop", "laundry")],
        &[("shop", "hairdresser")],
        &[("shop", "copyshop")],
        &[("craft", "cleaning")],
        &[("shop", "shoe_repair")],
        &[("amenity", "pharmacy")],
        &[("amenity", "parcel_locker")],
    ];
    let facilities: Vec<(f64, Vec<(&str, &str)>)> = tags.iter().map(|t| (0.005, t.to_vec())).collect();
    let dir = tempfile::tempdir().unwrap();
    let pbf = dir.path().join("street.osm.pbf");
    street(&HOMES, &facilities).write(&pbf);
    let run = |taxonomy: &str| -> Value {
        let out = dir.path().join(taxonomy);
        let r = run_subcommand("analyze", &["--pbf", s(&pbf), "--out", s(&out), "--taxonomy", taxonomy, "--quiet"]);
        assert_eq!(r.code, Some(0), "{taxonomy}: {}", r.stderr);
        read_json(&out.join("summary.json"))
    };
    let mofcom = run("mofcom-2021");
    let cats = mofcom["categories"].as_array().unwrap();
    assert_eq!(cats.len(), 10);
    for c in cats {
        assert_eq!(c["facilities"], 1, "{}", c["key"]);
        assert!((c["share_covered"].as_f64().unwrap() - 5.0 / 9.0).abs() < 1e-12, "{c}");
    }
    assert!((mofcom["complete"]["share"].as_f64().unwrap() - 5.0 / 9.0).abs() < 1e-12, "{}", mofcom["complete"]);
    assert_eq!(mofcom["complete"]["share"], cats[0]["share_covered"]);
    assert_eq!(run("default")["complete"]["share"], 0.0);
    let mohurd = run("mohurd-2020");
    assert_eq!(mohurd["complete"]["share"], 0.0);
    let supermarket = mohurd["categories"].as_array().unwrap().iter().find(|c| c["key"] == "supermarket").unwrap();
    assert_eq!(supermarket["facilities"], 1);
}

#[test]
fn unknown_taxonomy_names_are_errors_listing_the_bundled_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let pbf = dir.path().join("street.osm.pbf");
    street(&HOMES, &[]).write(&pbf);
    let r = run_subcommand("analyze", &["--pbf", s(&pbf), "--out", s(&out), "--taxonomy", "mofcom-2022"]);
    assert_input_error(&r, &out, &["--taxonomy", "mofcom-2022", "mofcom-2021", "mohurd-2020"], "unknown name");
    let missing = dir.path().join("my-list.toml");
    let r = run_subcommand("analyze", &["--pbf", s(&pbf), "--out", s(&out), "--taxonomy", s(&missing)]);
    assert_input_error(&r, &out, &["my-list.toml"], "missing file");
}

/// AutoNavi (高德) exports: a type path and a six-digit `typecode`; Baidu's: an industry `tag`.
#[test]
fn autonavi_and_baidu_types_and_codes_map_to_the_lists_categories() {
    let mofcom = Taxonomy::bundled("mofcom-2021").unwrap();
    let key = |t: &Taxonomy, id: lifecircle::ids::CategoryId| t.categories[id.idx()].key.clone();
    let amap = "\u{feff}名称,类型,类型编码,经度,纬度\n\
        便利店一,购物服务;便民商店/便利店;便民商店/便利店,060200,118.78,32.04\n\
        洗衣店一,生活服务;洗衣店;洗衣店,,118.78,32.04\n\
        药房一,,090601,118.78,32.04\n\
        某连锁便利店,,060203,118.78,32.04\n\
        超市一,,60400,118.78,32.04\n\
        快递一,,070401|070500,118.78,32.04\n\
        照相馆一,生活服务;摄影冲印店;摄影冲印店,071300,118.78,32.04\n";
    let (got, _) = read_facilities_bytes(Path::new("amap.csv"), amap.as_bytes().to_vec(), &mofcom, false).unwrap();
    let got: Vec<String> = got.iter().map(|f| key(&mofcom, f.category)).collect();
    assert_eq!(got, ["convenience", "laundry", "pharmacy", "convenience", "market", "post", "photo_print"]);
    // English AutoNavi API field names, in GeoJSON with the code as a number (leading zero lost).
    let geojson = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "x", "typecode": 60200}, "geometry": {"type": "Point", "coordinates": [118.78, 32.04]}},
        {"type": "Feature", "properties": {"name": "y", "type": "丽人;美发;美发", "typecode": "071100"}, "geometry": {"type": "Point", "coordinates": [118.78, 32.04]}}
    ]});
    let bytes = geojson.to_string().into_bytes();
    let (got, _) = read_facilities_bytes(Path::new("amap.geojson"), bytes, &mofcom, false).unwrap();
    assert_eq!(got.iter().map(|f| key(&mofcom, f.category)).collect::<Vec<_>>(), ["convenience", "hairdresser"]);
    // Baidu: `tag` 一级;二级.
    let baidu = "name,tag,lng,lat\n超市一,购物;超市,118.78,32.04\n洗衣一,生活服务;洗衣店,118.78,32.04\n\
        药店一,医疗;药店,118.78,32.04\n美发一,丽人;美发,118.78,32.04\n邮局一,生活服务;邮局,118.78,32.04\n";
    let (got, _) = read_facilities_bytes(Path::new("baidu.csv"), baidu.as_bytes().to_vec(), &mofcom, false).unwrap();
    let got: Vec<String> = got.iter().map(|f| key(&mofcom, f.category)).collect();
    assert_eq!(got, ["market", "laundry", "pharmacy", "hairdresser", "post"]);
    // The same codes under the MOHURD list map to its own categories.
    let mohurd = Taxonomy::bundled("mohurd-2020").unwrap();
    let rows = "name,typecode,lon,lat\na,141204,118.78,32.04\nb,060400,118.78,32.04\nc,070500,118.78,32.04\n";
    let (got, _) = read_facilities_bytes(Path::new("m.csv"), rows.as_bytes().to_vec(), &mohurd, false).unwrap();
    assert_eq!(
        got.iter().map(|f| key(&mohurd, f.category)).collect::<Vec<_>>(),
        ["kindergarten", "supermarket", "parcel"]
    );
    // Neither the type nor the code resolves: the row's error names both.
    let bad = "名称,类型,类型编码,经度,纬度\n饭店,餐饮服务;中餐厅;中餐厅,050100,118.78,32.04\n";
    let e =
        read_facilities_bytes(Path::new("bad.csv"), bad.as_bytes().to_vec(), &mofcom, false).unwrap_err().to_string();
    assert!(e.contains("bad.csv") && e.contains("中餐厅") && e.contains("050100"), "{e}");
    // No category and no type code column: the message lists both kinds of names.
    let none = "name,lon,lat\na,118.78,32.04\n";
    let e =
        read_facilities_bytes(Path::new("none.csv"), none.as_bytes().to_vec(), &mofcom, false).unwrap_err().to_string();
    assert!(e.contains("none.csv") && e.contains("typecode") && e.contains("类型"), "{e}");
    // The repository's AutoNavi-shaped fixture still reads with the default taxonomy.
    let fixture = repo_file("tests/fixtures/points/haidian-facilities-amap.csv");
    assert_eq!(read_facilities(&fixture, &Taxonomy::builtin(), false).unwrap().0.len(), 8);
}
