//! Writes the PBF seed corpus: `cargo run --example pbf_seeds -- OUT_DIR`
//! (run from `fuzz/`; `scripts/fuzz.sh` does it before fuzzing `pbf`).
//!
//! Mutating zlib-compressed blobs mostly breaks the compression, so the
//! seeds hold uncompressed (`raw`) blobs, written with the test suite's tiny
//! PBF writer (`tests/suite/common/pbf.rs`):
//!
//! - `synthetic-*.pbf`: a few hand-built extracts covering each rule (walkable
//!   and forbidden ways, blocked kerbs, POIs of every built-in category,
//!   buildings in a residential area, a multipolygon with a hole, an admin
//!   boundary split over two ways, a way over a node missing from the extract,
//!   elements out of id order, split blobs);
//! - `<fixture>-slice-<k>.pbf`: the first `k` ways of each bundled fixture
//!   (`tests/fixtures/*.osm.pbf`) with the nodes they use, the tagged nodes
//!   among the first `4k` and the relations over those ways, re-encoded raw.
//!
//! Everything is deterministic (no clock, no random numbers): the same seeds
//! come out on every run. `O(fixture size)`.

#[allow(dead_code)]
#[path = "../../tests/suite/common/pbf.rs"]
mod pbf;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use osmpbfreader::{OsmObj, OsmPbfReader};
use pbf::{Member, OsmWriter};

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).expect("usage: pbf_seeds OUT_DIR"));
    std::fs::create_dir_all(&out).expect("create the output folder");
    let mut n = 0;
    for (name, w) in synthetic() {
        w.write(&out.join(format!("synthetic-{name}.pbf")));
        n += 1;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for fixture in ["beijing-bupt", "nanjing-xinjiekou"] {
        let path = root.join("tests/fixtures").join(format!("{fixture}.osm.pbf"));
        let extract = Extract::read(&path);
        for k in [8, 40, 200] {
            extract.slice(k).write(&out.join(format!("{fixture}-slice-{k}.pbf")));
            n += 1;
        }
    }
    println!("{n} PBF seeds in {}", out.display());
}

/// Hand-built extracts, each small (a few hundred bytes).
fn synthetic() -> Vec<(&'static str, OsmWriter)> {
    let mut out = Vec::new();

    // A street grid with POIs of each category, a kerb and a forbidden way.
    let mut w = OsmWriter::new();
    let (lon0, lat0) = (116.35, 39.96);
    for i in 0..4 {
        for j in 0..4 {
            let id = 1 + i * 4 + j;
            let tags: &[(&str, &str)] = if id == 6 { &[("barrier", "kerb"), ("kerb", "raised")] } else { &[] };
            w.node(id, [lon0 + j as f64 * 0.001, lat0 + i as f64 * 0.001], tags);
        }
    }
    for i in 0..4 {
        let row: Vec<i64> = (0..4).map(|j| 1 + i * 4 + j).collect();
        let col: Vec<i64> = (0..4).map(|j| 1 + j * 4 + i).collect();
        w.way(100 + i, &row, &[("highway", "footway")]);
        w.way(200 + i, &col, &[("highway", if i == 3 { "steps" } else { "residential" }), ("surface", "gravel")]);
    }
    w.way(300, &[1, 6, 11], &[("highway", "path"), ("wheelchair", "no"), ("access", "private"), ("foot", "yes")]);
    w.way(301, &[4, 7], &[("highway", "motorway")]);
    let pois: [&[(&str, &str)]; 6] = [
        &[("shop", "supermarket"), ("name", "超市")],
        &[("amenity", "clinic"), ("name", "Clinic")],
        &[("amenity", "kindergarten")],
        &[("amenity", "social_facility"), ("social_facility", "day_care")],
        &[("shop", "convenience"), ("name:zh", "便利店")],
        &[("amenity", "doctors"), ("brand", "x")],
    ];
    for (k, tags) in pois.iter().enumerate() {
        w.node(50 + k as i64, [lon0 + 0.0005 + k as f64 * 0.0004, lat0 + 0.0005], tags);
    }
    out.push(("grid", w.clone()));
    w.split_blobs = true;
    w.reverse_order = true;
    out.push(("grid-split-reversed", w));

    // Homes: buildings inside a residential area, a landuse fallback, a
    // multipolygon building with a hole, a facility area.
    let mut w = OsmWriter::new();
    w.rect_way(10, 1000, [121.0, 31.0], [121.01, 31.01], &[("landuse", "residential")]);
    w.rect_way(11, 1010, [121.001, 31.001], [121.002, 31.002], &[("building", "yes")]);
    w.rect_way(12, 1020, [121.003, 31.003], [121.004, 31.004], &[("building", "apartments")]);
    w.rect_way(13, 1030, [121.02, 31.02], [121.03, 31.03], &[("amenity", "hospital"), ("name", "H")]);
    w.rect_way(14, 1040, [121.005, 31.005], [121.008, 31.008], &[]);
    w.rect_way(15, 1050, [121.006, 31.006], [121.007, 31.007], &[]);
    w.relation(
        20,
        &[(Member::Way(14), "outer"), (Member::Way(15), "inner"), (Member::Way(99), "outer")],
        &[("type", "multipolygon"), ("building", "residential")],
    );
    w.way(16, &[1000, 1001, 1002], &[("highway", "footway")]);
    w.way(17, &[1002, 1003, 424242], &[("highway", "footway")]); // 424242 is missing
    out.push(("homes", w));

    // An admin boundary split over two ways, and a second level.
    let mut w = OsmWriter::new();
    w.node(1, [8.5, 47.1], &[]).node(2, [8.6, 47.1], &[]).node(3, [8.6, 47.2], &[]).node(4, [8.5, 47.2], &[]);
    w.way(10, &[1, 2, 3], &[]).way(11, &[3, 4, 1], &[]).way(12, &[1, 3], &[("highway", "footway")]);
    w.relation(
        30,
        &[(Member::Way(10), "outer"), (Member::Way(11), ""), (Member::Node(1), "admin_centre")],
        &[("type", "boundary"), ("boundary", "administrative"), ("admin_level", "8"), ("name", "A")],
    );
    w.relation(
        31,
        &[(Member::Way(10), "outer"), (Member::Way(11), "outer")],
        &[("type", "multipolygon"), ("boundary", "administrative"), ("admin_level", " 6 ")],
    );
    out.push(("admin", w));
    out
}

type OwnedTags = Vec<(String, String)>;
type Members = Vec<(Member, String)>;

/// A fixture's elements in file order, tags kept.
struct Extract {
    nodes: Vec<(i64, [f64; 2], OwnedTags)>,
    ways: Vec<(i64, Vec<i64>, OwnedTags)>,
    relations: Vec<(i64, Members, OwnedTags)>,
}

fn tags(t: &osmpbfreader::Tags) -> OwnedTags {
    let mut v: Vec<(String, String)> = t.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    v.sort();
    v
}

fn borrowed(t: &[(String, String)]) -> Vec<(&str, &str)> {
    t.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

impl Extract {
    fn read(path: &Path) -> Extract {
        let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut reader = OsmPbfReader::new(file);
        let mut e = Extract { nodes: Vec::new(), ways: Vec::new(), relations: Vec::new() };
        for obj in reader.iter() {
            match obj.expect("a valid fixture") {
                OsmObj::Node(n) => e.nodes.push((n.id.0, [n.lon(), n.lat()], tags(&n.tags))),
                OsmObj::Way(w) => e.ways.push((w.id.0, w.nodes.iter().map(|n| n.0).collect(), tags(&w.tags))),
                OsmObj::Relation(r) => {
                    let members = r
                        .refs
                        .iter()
                        .filter_map(|m| match m.member {
                            osmpbfreader::OsmId::Way(id) => Some((Member::Way(id.0), m.role.to_string())),
                            osmpbfreader::OsmId::Node(id) => Some((Member::Node(id.0), m.role.to_string())),
                            osmpbfreader::OsmId::Relation(_) => None,
                        })
                        .collect();
                    e.relations.push((r.id.0, members, tags(&r.tags)));
                }
            }
        }
        e
    }

    /// The first `k` ways, the nodes they use, the tagged nodes among the
    /// first `4k`, and the relations with a member among the kept ways.
    fn slice(&self, k: usize) -> OsmWriter {
        let ways = &self.ways[..k.min(self.ways.len())];
        let way_ids: BTreeSet<i64> = ways.iter().map(|w| w.0).collect();
        let used: BTreeSet<i64> = ways.iter().flat_map(|w| w.1.iter().copied()).collect();
        let mut w = OsmWriter::new();
        let mut kept_tagged = 0;
        for (id, lonlat, t) in &self.nodes {
            let tagged = !t.is_empty() && kept_tagged < 4 * k;
            if used.contains(id) || tagged {
                kept_tagged += usize::from(tagged);
                w.node(*id, *lonlat, &borrowed(t));
            }
        }
        for (id, refs, t) in ways {
            w.way(*id, refs, &borrowed(t));
        }
        let mut relations = BTreeMap::new();
        for (id, members, t) in &self.relations {
            if members.iter().any(|(m, _)| matches!(m, Member::Way(wid) if way_ids.contains(wid))) {
                relations.insert(*id, (members, t));
            }
        }
        for (id, (members, t)) in relations {
            let members: Vec<(Member, &str)> = members.iter().map(|(m, r)| (*m, r.as_str())).collect();
            w.relation(id, &members, &borrowed(t));
        }
        w
    }
}
