//! The bundled extracts, checked against independent re-computations: the
//! PBF parsed directly with osmpbfreader and the documented rules (walking
//! profile, home rules, the default taxonomy) re-implemented here in plain
//! code, and coverage recomputed on the expanded graph with petgraph.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use lifecircle::analysis::with_threads;
use lifecircle::coverage::stats::minutes_ceil_2dp;
use lifecircle::ids::{OsmRef, OsmType, TimeMs};
use lifecircle::routing::Anchor;
use lifecircle::snap::snap_brute_force;
use lifecircle::{Analysis, Taxonomy, run};
use osmpbfreader::{OsmObj, OsmPbfReader};

use crate::common::graphs::haversine;
use crate::common::reference::{self, Expanded, opt};
use crate::common::{beijing, config, liechtenstein, nanjing, read_json};

type Tags = BTreeMap<String, String>;

/// The extract as plain maps.
struct Osm {
    nodes: HashMap<i64, [f64; 2]>,
    tagged_nodes: Vec<(i64, Tags)>,
    ways: BTreeMap<i64, (Vec<i64>, Tags)>,
    /// Multipolygon relations: way members with their roles.
    multipolygons: BTreeMap<i64, (Vec<(i64, String)>, Tags)>,
}

fn read_osm(path: &Path) -> Osm {
    let mut osm =
        Osm { nodes: HashMap::new(), tagged_nodes: Vec::new(), ways: BTreeMap::new(), multipolygons: BTreeMap::new() };
    let tags = |t: &osmpbfreader::Tags| -> Tags { t.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() };
    let mut pbf = OsmPbfReader::new(std::fs::File::open(path).expect("open fixture"));
    for obj in pbf.iter() {
        match obj.expect("the fixture is valid") {
            OsmObj::Node(n) => {
                osm.nodes.insert(n.id.0, [n.decimicro_lon as f64 * 1e-7, n.decimicro_lat as f64 * 1e-7]);
                if !n.tags.is_empty() {
                    osm.tagged_nodes.push((n.id.0, tags(&n.tags)));
                }
            }
            OsmObj::Way(w) => {
                osm.ways.insert(w.id.0, (w.nodes.iter().map(|n| n.0).collect(), tags(&w.tags)));
            }
            OsmObj::Relation(r) => {
                if r.tags.get("type").map(|t| t.as_str()) == Some("multipolygon") {
                    let members = r
                        .refs
                        .iter()
                        .filter_map(|m| match m.member {
                            osmpbfreader::OsmId::Way(w) => Some((w.0, m.role.to_string())),
                            _ => None,
                        })
                        .collect();
                    osm.multipolygons.insert(r.id.0, (members, tags(&r.tags)));
                }
            }
        }
    }
    osm
}

fn get<'a>(t: &'a Tags, k: &str) -> Option<&'a str> {
    t.get(k).map(String::as_str)
}

/// The `adult` profile as README and data/profiles.toml describe it.
fn adult_walkable(t: &Tags) -> bool {
    const HIGHWAYS: [&str; 18] = [
        "footway",
        "path",
        "pedestrian",
        "steps",
        "living_street",
        "residential",
        "service",
        "unclassified",
        "track",
        "cycleway",
        "bridleway",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "road",
    ];
    let Some(hw) = get(t, "highway") else { return false };
    let foot = get(t, "foot");
    if foot == Some("no") {
        return false;
    }
    let foot_ok = matches!(foot, Some("yes" | "designated" | "permissive"));
    let motor = matches!(hw, "motorway" | "motorway_link" | "trunk" | "trunk_link");
    if !(HIGHWAYS.contains(&hw) || (motor && foot_ok)) {
        return false;
    }
    !matches!(get(t, "access"), Some("no" | "private")) || foot_ok
}

/// The default taxonomy (data/taxonomy.toml) re-implemented: category bits in table order
/// grocery, elder_canteen, clinic, childcare.
fn default_categories(t: &Tags) -> u32 {
    let is = |k: &str, vals: &[&str]| get(t, k).is_some_and(|v| vals.contains(&v));
    let named = |subs: &[&str]| {
        ["name", "name:zh", "name:zh-Hans", "name:zh-Hant", "alt_name", "official_name", "old_name", "short_name"]
            .iter()
            .filter_map(|k| get(t, k))
            .any(|n| subs.iter().any(|s| n.contains(s)))
    };
    let senior = &["senior", "seniors", "elderly", "aged"][..];
    let grocery = is("shop", &["supermarket", "convenience", "greengrocer", "grocery", "general", "butcher", "deli"])
        || is("amenity", &["marketplace"]);
    let elder = (is("amenity", &["social_facility"]) && is("social_facility:for", senior))
        || (is(
            "social_facility",
            &["day_care", "nursing_home", "assisted_living", "group_home", "food_bank", "soup_kitchen"],
        ) && is("social_facility:for", senior))
        || is("amenity", &["nursing_home"])
        || is("social_facility", &["nursing_home"])
        || (is("amenity", &["canteen", "community_centre"]) && is("social_facility:for", senior))
        || (is("amenity", &["canteen", "community_centre"]) && is("community_centre:for", senior))
        || (is("amenity", &["community_centre"]) && is("community_centre", &["senior_centre", "elderly", "seniors"]))
        || named(&["老年食堂", "老人家食堂", "长者食堂", "老年助餐", "助餐点", "养老", "敬老院", "日间照料", "托老所"]);
    let clinic = is("amenity", &["clinic", "doctors", "hospital"])
        || is("healthcare", &["clinic", "doctor", "centre", "hospital"])
        || named(&["社区卫生服务", "卫生服务站", "卫生室", "诊所", "卫生院"]);
    let childcare = is("amenity", &["kindergarten", "childcare"]) || named(&["幼儿园", "托儿所", "托育"]);
    grocery as u32 | (elder as u32) << 1 | (clinic as u32) << 2 | (childcare as u32) << 3
}

const HOME_BUILDINGS: [&str; 12] = [
    "house",
    "apartments",
    "residential",
    "detached",
    "semidetached_house",
    "terrace",
    "dormitory",
    "bungalow",
    "farm",
    "cabin",
    "static_caravan",
    "houseboat",
];

/// A polygon: outer ring and holes, closed coordinate rings.
type Poly = (Vec<[f64; 2]>, Vec<Vec<[f64; 2]>>);

/// Area and centroid of a closed ring (shoelace), computed relative to its first vertex: with
/// absolute coordinates (116°, 39°) the cross products of a 20 m building cancel catastrophically.
fn ring_area_centroid(r: &[[f64; 2]]) -> (f64, [f64; 2]) {
    let o = r[0];
    let (mut a, mut cx, mut cy) = (0.0, 0.0, 0.0);
    for w in r.windows(2) {
        let (p, q) = ([w[0][0] - o[0], w[0][1] - o[1]], [w[1][0] - o[0], w[1][1] - o[1]]);
        let cross = p[0] * q[1] - q[0] * p[1];
        a += cross;
        cx += (p[0] + q[0]) * cross;
        cy += (p[1] + q[1]) * cross;
    }
    let a = a / 2.0;
    (a.abs(), if a == 0.0 { o } else { [o[0] + cx / (6.0 * a), o[1] + cy / (6.0 * a)] })
}

/// Area-weighted centroid of polygons with holes (shoelace).
fn centroid(polys: &[Poly]) -> Option<[f64; 2]> {
    let (mut area, mut x, mut y) = (0.0, 0.0, 0.0);
    for (outer, holes) in polys {
        let (a, c) = ring_area_centroid(outer);
        area += a;
        x += a * c[0];
        y += a * c[1];
        for h in holes {
            let (a, c) = ring_area_centroid(h);
            area -= a;
            x -= a * c[0];
            y -= a * c[1];
        }
    }
    (area > 0.0).then(|| [x / area, y / area])
}

fn in_ring(r: &[[f64; 2]], p: [f64; 2]) -> bool {
    let mut inside = false;
    for w in r.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]) {
            inside = !inside;
        }
    }
    inside
}

fn in_polys(polys: &[Poly], p: [f64; 2]) -> bool {
    polys.iter().any(|(o, holes)| in_ring(o, p) && !holes.iter().any(|h| in_ring(h, p)))
}

/// Bounding box `[min lon, min lat, max lon, max lat]` of polygons' outer rings.
fn bbox(polys: &[Poly]) -> [f64; 4] {
    let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for p in polys.iter().flat_map(|p| &p.0) {
        b = [b[0].min(p[0]), b[1].min(p[1]), b[2].max(p[0]), b[3].max(p[1])];
    }
    b
}

fn in_area(area: &(OsmRef, Vec<Poly>, [f64; 4]), p: [f64; 2]) -> bool {
    let b = area.2;
    p[0] >= b[0] && p[0] <= b[2] && p[1] >= b[1] && p[1] <= b[3] && in_polys(&area.1, p)
}

impl Osm {
    fn coords(&self, refs: &[i64]) -> Vec<[f64; 2]> {
        refs.iter().filter_map(|n| self.nodes.get(n).copied()).collect()
    }

    fn closed_way_poly(&self, refs: &[i64]) -> Option<Poly> {
        let c = self.coords(refs);
        (c.len() >= 4 && c.first() == c.last()).then(|| (c, Vec::new()))
    }

    /// Rings joined end to end from member ways.
    fn rings(&self, ways: &[i64]) -> Vec<Vec<[f64; 2]>> {
        let mut pieces: Vec<Vec<i64>> =
            ways.iter().filter_map(|w| self.ways.get(w)).map(|w| w.0.clone()).filter(|r| r.len() >= 2).collect();
        let mut rings = Vec::new();
        while let Some(mut ring) = pieces.pop() {
            while ring.first() != ring.last() {
                let end = *ring.last().unwrap();
                let Some(i) = pieces.iter().position(|p| p[0] == end || p[p.len() - 1] == end) else { break };
                let mut p = pieces.swap_remove(i);
                if p[0] != end {
                    p.reverse();
                }
                ring.extend_from_slice(&p[1..]);
            }
            let c = self.coords(&ring);
            if ring.first() == ring.last() && c.len() >= 4 && c.first() == c.last() {
                rings.push(c);
            }
        }
        rings
    }

    fn relation_polys(&self, members: &[(i64, String)]) -> Vec<Poly> {
        let outer: Vec<i64> = members.iter().filter(|m| m.1 != "inner").map(|m| m.0).collect();
        let inner: Vec<i64> = members.iter().filter(|m| m.1 == "inner").map(|m| m.0).collect();
        let mut polys: Vec<Poly> = self.rings(&outer).into_iter().map(|r| (r, Vec::new())).collect();
        for h in self.rings(&inner) {
            // A point inside the hole (its centroid when that is inside, else a vertex): vertices of
            // holes often lie on the outer ring or on other holes.
            let c = centroid(&[(h.clone(), Vec::new())]).filter(|&c| in_ring(&h, c)).unwrap_or(h[0]);
            if let Some(p) = polys.iter_mut().find(|p| in_ring(&p.0, c)) {
                p.1.push(h);
            }
        }
        polys
    }
}

/// Homes by the documented rules: residential buildings anywhere, `building=yes` inside residential
/// landuse, plus residential areas holding no home (or only areas when no building is a home).
fn independent_homes(osm: &Osm) -> BTreeMap<OsmRef, [f64; 2]> {
    let way = |id| OsmRef { kind: OsmType::Way, id };
    let rel = |id| OsmRef { kind: OsmType::Relation, id };
    let mut areas: Vec<(OsmRef, Vec<Poly>, [f64; 4])> = Vec::new();
    for (id, (refs, t)) in &osm.ways {
        if get(t, "landuse") == Some("residential") {
            areas.extend(osm.closed_way_poly(refs).map(|p| (way(*id), vec![p.clone()], bbox(&[p]))));
        }
    }
    for (id, (members, t)) in &osm.multipolygons {
        if get(t, "landuse") == Some("residential") {
            let polys = osm.relation_polys(members);
            if !polys.is_empty() {
                let b = bbox(&polys);
                areas.push((rel(*id), polys, b));
            }
        }
    }
    let mut buildings: Vec<(OsmRef, &str, Option<[f64; 2]>)> = Vec::new();
    for (id, (refs, t)) in &osm.ways {
        if let Some(b) = get(t, "building") {
            buildings.push((way(*id), b, osm.closed_way_poly(refs).and_then(|p| centroid(&[p]))));
        }
    }
    for (id, (members, t)) in &osm.multipolygons {
        if let Some(b) = get(t, "building") {
            buildings.push((rel(*id), b, centroid(&osm.relation_polys(members))));
        }
    }
    let mut homes = BTreeMap::new();
    for (r, b, c) in buildings {
        let Some(c) = c else { continue };
        if HOME_BUILDINGS.contains(&b) || (b == "yes" && areas.iter().any(|a| in_area(a, c))) {
            homes.insert(r, c);
        }
    }
    let only_areas = homes.is_empty();
    let building_points: Vec<[f64; 2]> = homes.values().copied().collect();
    for area in &areas {
        if only_areas || !building_points.iter().any(|&p| in_area(area, p)) {
            homes.extend(centroid(&area.1).map(|c| (area.0, c)));
        }
    }
    homes
}

/// Facilities `(category, element)` by the re-implemented default taxonomy.
fn independent_facilities(osm: &Osm) -> BTreeSet<(u8, OsmRef)> {
    let mut out = BTreeSet::new();
    let mut add = |bits: u32, r: OsmRef| {
        for c in 0..4u8 {
            if bits & (1 << c) != 0 {
                out.insert((c, r));
            }
        }
    };
    for (id, t) in &osm.tagged_nodes {
        add(default_categories(t), OsmRef { kind: OsmType::Node, id: *id });
    }
    for (id, (refs, t)) in &osm.ways {
        if !osm.coords(refs).is_empty() {
            add(default_categories(t), OsmRef { kind: OsmType::Way, id: *id });
        }
    }
    for (id, (_, t)) in &osm.multipolygons {
        add(default_categories(t), OsmRef { kind: OsmType::Relation, id: *id });
    }
    out
}

/// Graph numbers by splitting walkable ways at shared nodes and at missing nodes, then union-find.
struct GraphNumbers {
    walkable_ways: usize,
    segments_missing_nodes: usize,
    components: usize,
    nodes: usize,
    edges: usize,
    island_nodes: usize,
    island_edges: usize,
    length_km: f64,
}

fn independent_graph(osm: &Osm, min_component_nodes: usize) -> GraphNumbers {
    let walkable: Vec<Vec<i64>> = osm
        .ways
        .values()
        .filter(|(_, t)| adult_walkable(t))
        .map(|(refs, _)| {
            let mut r = refs.clone();
            r.dedup();
            r
        })
        .collect();
    let mut uses: HashMap<i64, usize> = HashMap::new();
    for r in &walkable {
        for n in r.iter().filter(|n| osm.nodes.contains_key(n)) {
            *uses.entry(*n).or_default() += 1;
        }
    }
    let mut missing = 0;
    let mut edges: Vec<(i64, i64, f64)> = Vec::new();
    for refs in &walkable {
        missing += refs.windows(2).filter(|w| !osm.nodes.contains_key(&w[0]) || !osm.nodes.contains_key(&w[1])).count();
        // Runs of present nodes, cut at junctions.
        for run in refs.split(|n| !osm.nodes.contains_key(n)) {
            let mut start = 0;
            for k in 1..run.len() {
                if k == run.len() - 1 || uses[&run[k]] >= 2 {
                    let piece = &run[start..=k];
                    if piece.len() >= 2 && (piece[0] != piece[piece.len() - 1] || piece.len() > 2) {
                        let len = osm.coords(piece).windows(2).map(|w| haversine(w[0], w[1])).sum();
                        edges.push((piece[0], piece[piece.len() - 1], len));
                    }
                    start = k;
                }
            }
        }
    }
    // Union-find over the edge ends.
    let mut parent: HashMap<i64, i64> = HashMap::new();
    fn find(p: &mut HashMap<i64, i64>, x: i64) -> i64 {
        let mut r = x;
        while p[&r] != r {
            r = p[&r];
        }
        p.insert(x, r);
        r
    }
    for &(a, b, _) in &edges {
        parent.entry(a).or_insert(a);
        parent.entry(b).or_insert(b);
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        parent.insert(ra, rb);
    }
    let nodes: Vec<i64> = parent.keys().copied().collect();
    let mut size: HashMap<i64, usize> = HashMap::new();
    for n in &nodes {
        *size.entry(find(&mut parent, *n)).or_default() += 1;
    }
    let largest = *size.values().max().expect("some component");
    assert_eq!(size.values().filter(|&&s| s == largest).count(), 1, "a tie for the largest component");
    let kept = |p: &mut HashMap<i64, i64>, n: i64| {
        let s = size[&find(p, n)];
        s == largest || (min_component_nodes > 0 && s >= min_component_nodes)
    };
    let kept_nodes = nodes.iter().filter(|&&n| kept(&mut parent, n)).count();
    let kept_edges: Vec<&(i64, i64, f64)> = edges.iter().filter(|e| kept(&mut parent, e.0)).collect();
    GraphNumbers {
        walkable_ways: walkable.len(),
        segments_missing_nodes: missing,
        components: size.len(),
        nodes: kept_nodes,
        edges: kept_edges.len(),
        island_nodes: nodes.len() - kept_nodes,
        island_edges: edges.len() - kept_edges.len(),
        length_km: kept_edges.iter().map(|e| e.2).sum::<f64>() / 1000.0,
    }
}

fn analysis(pbf: &Path) -> Analysis {
    let c = config(pbf, Path::new("unused-out"));
    with_threads(Some(2), || run(&c)).expect("pool").expect("analysis")
}

fn cross_check_extract(pbf: &Path) -> (Analysis, Osm) {
    let a = analysis(pbf);
    let osm = read_osm(pbf);
    let what = pbf.display().to_string();

    let g = independent_graph(&osm, a.config.min_component_nodes);
    let r = &a.summary.graph;
    assert_eq!(r.walkable_ways, g.walkable_ways, "{what}: walkable ways");
    assert_eq!(r.segments_missing_nodes, g.segments_missing_nodes, "{what}: segments with missing nodes");
    assert_eq!(r.components, g.components, "{what}: components");
    assert_eq!((r.nodes, r.edges), (g.nodes, g.edges), "{what}: kept nodes and edges");
    assert_eq!((r.island_nodes_dropped, r.island_edges_dropped), (g.island_nodes, g.island_edges), "{what}: islands");
    assert!((r.length_km - g.length_km).abs() < 1e-9 * g.length_km, "{what}: {} vs {} km", r.length_km, g.length_km);

    let homes = independent_homes(&osm);
    let got: BTreeMap<OsmRef, [f64; 2]> = a.homes.iter().map(|h| (h.osm, h.lonlat)).collect();
    let (want_ids, got_ids): (BTreeSet<_>, BTreeSet<_>) = (homes.keys().collect(), got.keys().collect());
    let missing: Vec<_> = want_ids.difference(&got_ids).map(|r| r.to_string()).collect();
    let extra: Vec<_> = got_ids.difference(&want_ids).map(|r| r.to_string()).collect();
    assert!(missing.is_empty() && extra.is_empty(), "{what}: homes missing {missing:?}, unexpected {extra:?}");
    for (r, c) in &homes {
        let p = got[r];
        assert!((p[0] - c[0]).abs() < 1e-7 && (p[1] - c[1]).abs() < 1e-7, "{what}: home {r} at {p:?}, centroid {c:?}");
    }
    assert_eq!(a.summary.homes.total, homes.len());

    let fac = independent_facilities(&osm);
    let got: BTreeSet<(u8, OsmRef)> = a.facilities.iter().map(|f| (f.category.0, f.osm)).collect();
    assert_eq!(got, fac, "{what}: facilities");
    let tax = Taxonomy::builtin();
    for (k, key) in ["grocery", "elder_canteen", "clinic", "childcare"].iter().enumerate() {
        assert_eq!(tax.category_id(key).map(|c| c.0), Some(k as u8), "taxonomy order");
        let n = fac.iter().filter(|f| f.0 == k as u8).count();
        assert_eq!(a.summary.facilities[*key], n, "{what}: {key}");
    }
    // The library's classifier agrees with the re-implementation element by element.
    for t in osm.tagged_nodes.iter().map(|n| &n.1).chain(osm.ways.values().map(|w| &w.1)) {
        assert_eq!(tax.classify(t), default_categories(t), "{what}: {t:?}");
    }
    (a, osm)
}

#[test]
fn beijing_against_an_independent_parse() {
    let (a, _) = cross_check_extract(&beijing());
    // The fixture's README: 4 groceries, 2 clinics, 1 childcare, no elderly service.
    let f = &a.summary.facilities;
    assert_eq!((f["grocery"], f["clinic"], f["childcare"], f["elder_canteen"]), (4, 2, 1, 0));
    assert!(a.summary.homes.total > 0);
}

#[test]
fn nanjing_against_an_independent_parse() {
    let (a, _) = cross_check_extract(&nanjing());
    // The fixture's README: no elderly service in OSM (the empty-category case).
    assert_eq!(a.summary.facilities["elder_canteen"], 0);
    let c = a.summary.categories.iter().find(|c| c.key == "elder_canteen").expect("category");
    assert_eq!((c.homes_covered, c.median_min, c.note.as_deref()), (0, None, Some("no facilities found")));
    assert_eq!(a.summary.complete.homes, 0, "nobody reaches all four categories without an elder canteen");
}

/// Every home's nearest time and count per category against the expanded-graph reference,
/// and every snap against the brute-force scan.
fn coverage_against_reference(a: &Analysis) {
    let threshold = a.config.threshold();
    for (c, cat) in a.config.taxonomy.categories.iter().enumerate() {
        let fac: Vec<Option<Anchor>> = a
            .facilities
            .iter()
            .zip(&a.facility_anchors)
            .filter(|(f, _)| f.category.idx() == c)
            .map(|(_, a)| *a)
            .collect();
        let ex = Expanded::new(&a.graph, &fac, &a.home_anchors);
        let times = ex.facility_home_times();
        let (nearest, counts) = reference::coverage(&times, a.homes.len(), threshold);
        for (h, want) in nearest.iter().enumerate() {
            assert_eq!(opt(a.nearest[c][h]), *want, "{}: nearest of home {}", cat.key, a.homes[h].osm);
        }
        assert_eq!(a.counts[c], counts, "{}: counts", cat.key);
        let covered = a.nearest[c].iter().filter(|&&t| t <= threshold).count();
        assert_eq!(a.summary.categories[c].homes_covered, covered, "{}", cat.key);
        assert_eq!(covered, a.counts[c].iter().filter(|&&n| n >= 1).count(), "{}: count >= 1 ⇔ covered", cat.key);
    }
}

fn snaps_against_brute_force(a: &Analysis, step: usize) {
    for (h, home) in a.homes.iter().enumerate().step_by(step) {
        let s = a.home_snaps[h].expect("a graph with edges snaps everything");
        let b = snap_brute_force(&a.graph, home.lonlat).expect("snap");
        assert_eq!(s, b, "home {}: the same snap, ties to the first edge", home.osm);
        assert_eq!(a.home_anchors[h].is_some(), s.access_m <= a.config.max_snap_m, "home {}", home.osm);
    }
}

#[test]
fn fixture_coverage_matches_the_expanded_graph_reference() {
    for pbf in [beijing(), nanjing()] {
        let a = analysis(&pbf);
        coverage_against_reference(&a);
        snaps_against_brute_force(&a, 1);
    }
}

#[test]
fn liechtenstein_against_an_independent_parse() {
    let (a, osm) = cross_check_extract(&liechtenstein());
    assert!(!osm.multipolygons.is_empty(), "the extract has multipolygon relations to check");
    assert!(a.homes.iter().any(|h| h.osm.kind == OsmType::Relation), "homes from building relations");
}

#[test]
fn liechtenstein_coverage_matches_the_expanded_graph_reference() {
    let a = analysis(&liechtenstein());
    // data/README.md: all four service categories present.
    for c in &a.summary.categories {
        assert!(c.facilities > 0, "{} has no facility", c.key);
    }
    coverage_against_reference(&a);
    snaps_against_brute_force(&a, 97);
}

#[test]
fn output_files_agree_with_the_analysis() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let c = config(&beijing(), &out);
    lifecircle::analyze(&c).expect("analyze");
    let a = analysis(&beijing());
    let threshold = a.config.threshold();
    let cats: Vec<String> = a.config.taxonomy.categories.iter().map(|c| c.key.clone()).collect();

    let cov = read_json(&out.join("coverage.geojson"));
    let features = cov["features"].as_array().expect("features");
    assert_eq!(features.len(), a.homes.len());
    let mut complete = 0;
    for (h, f) in features.iter().enumerate() {
        let p = &f["properties"];
        assert_eq!(p["id"], a.homes[h].osm.to_string());
        let xy = f["geometry"]["coordinates"].as_array().expect("point");
        for (k, v) in xy.iter().enumerate() {
            assert!((v.as_f64().unwrap() - a.homes[h].lonlat[k]).abs() <= 0.5e-7 + 1e-12, "home {h} coordinate");
        }
        assert_eq!(xy.len(), 2);
        assert_eq!(p["reachable"], a.home_anchors[h].is_some());
        let mut ok_all = 0;
        for (c, key) in cats.iter().enumerate() {
            let t = a.nearest[c][h];
            let want_min = (t != TimeMs::INF).then(|| minutes_ceil_2dp(t));
            assert_eq!(p[format!("{key}_min")].as_f64(), want_min, "home {h} {key}");
            assert_eq!(p[format!("{key}_count")].as_u64(), Some(a.counts[c][h] as u64), "home {h} {key}");
            assert_eq!(p[format!("{key}_ok")].as_bool(), Some(t <= threshold), "home {h} {key}");
            // Minutes are rounded up: a printed value at or under the threshold means covered.
            if let Some(m) = want_min {
                assert_eq!(
                    m <= *a.config.minutes.last().expect("a threshold"),
                    t <= threshold,
                    "home {h} {key}: {m} min vs {t:?}"
                );
            }
            ok_all += (t <= threshold) as usize;
        }
        assert_eq!(p["categories_ok"].as_u64(), Some(ok_all as u64));
        assert_eq!(p["complete"].as_bool(), Some(ok_all == cats.len()));
        complete += (ok_all == cats.len()) as usize;
    }
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["complete"]["homes"].as_u64(), Some(complete as u64));
    for (c, key) in cats.iter().enumerate() {
        let covered = features.iter().filter(|f| f["properties"][format!("{key}_ok")] == true).count();
        assert_eq!(summary["categories"][c]["key"], key.as_str());
        assert_eq!(summary["categories"][c]["homes_covered"].as_u64(), Some(covered as u64), "{key}");
    }

    let fac = read_json(&out.join("facilities.geojson"));
    let ff = fac["features"].as_array().expect("features");
    assert_eq!(ff.len(), a.facilities.len());
    for (f, feat) in a.facilities.iter().zip(ff) {
        assert_eq!(feat["properties"]["id"], f.osm.to_string());
        assert_eq!(feat["properties"]["category"], cats[f.category.idx()].as_str());
    }
    // The threshold distance: 15 min at 4.5 km/h = 1125 m.
    assert_eq!(summary["parameters"]["threshold_m"].as_f64(), Some(1125.0));
    assert_eq!(threshold, TimeMs(900_000));
}

#[test]
fn vertex_snapping_joins_at_vertices_without_access() {
    let mut c = config(&beijing(), Path::new("unused-out"));
    c.snap_mode = lifecircle::analysis::SnapMode::Vertex;
    let a = with_threads(Some(2), || run(&c)).expect("pool").expect("analysis");
    assert_eq!(serde_json::to_value(&a.summary.parameters).unwrap()["snap_mode"], "vertex");
    for anchor in a.home_anchors.iter().chain(&a.facility_anchors).flatten() {
        assert_eq!(anchor.access, TimeMs(0), "{anchor:?}");
        // At a vertex of its edge: to_u is the time to one of the geometry's vertices.
        let geom = a.graph.edge_geometry(anchor.edge);
        let at_vertex = (0..geom.len()).any(|k| {
            let off: f64 = geom[..=k].windows(2).map(|w| haversine(w[0], w[1])).sum();
            a.graph.time_to_offset(anchor.edge, off).0.abs_diff(anchor.to_u.0) <= 1
        });
        assert!(at_vertex, "{anchor:?} is not at a vertex");
    }
    coverage_against_reference(&a);
}

/// Walking can never beat the crow: every nearest time is at least the great-circle
/// distance to the nearest facility of the category at the walking speed (less 1 ms
/// per rounded piece, bounded here by 0.1 % + 1 s).
fn crow_fly_bound(a: &Analysis) {
    let speed = a.config.speed_kmh / 3.6;
    for (c, cat) in a.config.taxonomy.categories.iter().enumerate() {
        let fac: Vec<[f64; 2]> = a
            .facilities
            .iter()
            .zip(&a.facility_anchors)
            .filter(|(f, an)| f.category.idx() == c && an.is_some())
            .map(|(f, _)| f.lonlat)
            .collect();
        for (h, home) in a.homes.iter().enumerate() {
            let t = a.nearest[c][h];
            if t == TimeMs::INF {
                continue; // unreachable: nothing to bound
            }
            let d = fac.iter().map(|&f| haversine(home.lonlat, f)).fold(f64::INFINITY, f64::min);
            let bound_ms = d / speed * 1000.0;
            assert!(
                t.0 as f64 >= bound_ms * 0.999 - 1000.0,
                "{} home {}: {t:?} beats the crow ({d} m)",
                cat.key,
                home.osm
            );
        }
    }
}

#[test]
fn nearest_times_are_never_shorter_than_the_straight_line() {
    for pbf in [beijing(), nanjing(), liechtenstein()] {
        crow_fly_bound(&analysis(&pbf));
    }
}
