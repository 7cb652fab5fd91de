//! What each fuzz target runs, with the checks it makes on the answer.
//!
//! Every target feeds arbitrary bytes to one of lifecircle's readers. The
//! readers must return `Ok` or a clean `Err`: never panic, hang or allocate
//! without bound (libFuzzer's `-timeout` and `-rss_limit_mb` catch the last
//! two). Beyond that, each target checks what the library documents about
//! its answer (oracles), so a wrong answer is a crash too:
//!
//! - an error names the input file (kinds that carry a path);
//! - points: positions are valid WGS-84, quantities finite and in range,
//!   `rows = points + skipped`, and a strict read that succeeds gives the
//!   same points as a lenient one (a lenient read fails only when the strict
//!   one does);
//! - districts: at least one, keys unique, coordinates finite, and the
//!   R-tree lookup agrees with the brute-force one on sample points;
//! - PBF: the tables are sorted and consistent; the graph and features are
//!   built from them, and the districts of every admin level present;
//! - wire: one block's bytes through the wire decoder and the reference
//!   decoder (osmpbfreader's message): the wire decoder never accepts a block
//!   the reference refuses, hands out exactly the reference's elements, and
//!   `decode_block` gives the reference's answer, error included.
//!
//! Each function here is `O(input size)` apart from what the library call
//! itself costs (documented on each reader).

use std::path::Path;
use std::sync::LazyLock;

use lifecircle::district::assign::{DistrictIndex, locate_brute_force};
use lifecircle::district::sources::{districts_from_admin, districts_from_geojson_bytes};
use lifecircle::district::targets::{Measure, Targets};
use lifecircle::io::points::{MAX_QUANTITY, MAX_SKIPPED_MESSAGES, ReadReport, read_facilities_bytes, read_homes_bytes};
use lifecircle::taxonomy::Tiers;
use lifecircle::{Error, ErrorKind, Profiles, Taxonomy};

/// The built-in taxonomy, parsed once per process.
pub static TAXONOMY: LazyLock<Taxonomy> = LazyLock::new(Taxonomy::builtin);

/// The built-in profiles, parsed once per process.
pub static PROFILES: LazyLock<Profiles> = LazyLock::new(Profiles::builtin);

/// The name every input goes by in errors.
pub const INPUT_NAME: &str = "fuzz-input";

/// Panics unless an error's message names the input (for the kinds that carry a path).
fn assert_names_input(e: &Error) {
    let message = e.to_string();
    match e.kind() {
        ErrorKind::InvalidParameter { .. } | ErrorKind::Interrupted => {}
        _ => assert!(message.contains(INPUT_NAME), "the error does not name the file: {message}"),
    }
    assert!(!message.trim().is_empty(), "empty error message");
}

fn assert_valid_lonlat(lonlat: [f64; 2]) {
    let [lon, lat] = lonlat;
    assert!(
        lon.is_finite() && lat.is_finite() && (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat),
        "invalid position {lonlat:?} accepted"
    );
}

fn assert_quantity(v: f64, what: &str) {
    assert!(v.is_finite() && (0.0..=MAX_QUANTITY).contains(&v), "{what} {v} accepted");
}

fn assert_report(report: &ReadReport, points: usize, strict: bool) {
    assert_eq!(report.rows, points + report.skipped_count, "rows are not points + skipped");
    assert_eq!(report.skipped.len(), report.skipped_count.min(MAX_SKIPPED_MESSAGES), "skipped messages");
    if strict {
        assert_eq!(report.skipped_count, 0, "a strict read skipped rows");
    }
}

/// Homes and facilities (CSV or GeoJSON, by content), each read strictly and leniently.
pub fn points(data: &[u8]) {
    guarded(|| points_unguarded(data));
}

fn points_unguarded(data: &[u8]) {
    let path = Path::new(INPUT_NAME);

    let strict = read_homes_bytes(path, data.to_vec(), false);
    let lenient = read_homes_bytes(path, data.to_vec(), true);
    match (&strict, &lenient) {
        (Ok((strict_homes, strict_report)), Ok((homes, report))) => {
            assert_report(strict_report, strict_homes.len(), true);
            assert_eq!(strict_homes, homes, "strict and lenient reads differ");
            assert_eq!(strict_report, report, "strict and lenient reports differ");
        }
        (Err(_), Ok(_)) => {}
        (Ok(_), Err(e)) => panic!("the strict read succeeded, the lenient one failed: {e}"),
        (Err(_), Err(_)) => {}
    }
    if let Ok((homes, report)) = &lenient {
        assert_report(report, homes.len(), false);
        for h in homes {
            assert_valid_lonlat(h.lonlat);
            assert_quantity(h.population, "population");
        }
    }
    for r in [&strict, &lenient] {
        if let Err(e) = r {
            assert_names_input(e);
        }
    }

    let taxonomy = &*TAXONOMY;
    let strict = read_facilities_bytes(path, data.to_vec(), taxonomy, false);
    let lenient = read_facilities_bytes(path, data.to_vec(), taxonomy, true);
    match (&strict, &lenient) {
        (Ok((strict_facilities, strict_report)), Ok((facilities, report))) => {
            assert_report(strict_report, strict_facilities.len(), true);
            assert_eq!(strict_facilities, facilities, "strict and lenient reads differ");
            assert_eq!(strict_report, report, "strict and lenient reports differ");
        }
        (Ok(_), Err(e)) => panic!("the strict read succeeded, the lenient one failed: {e}"),
        _ => {}
    }
    if let Ok((facilities, report)) = &lenient {
        assert_report(report, facilities.len(), false);
        for f in facilities {
            assert_valid_lonlat(f.lonlat);
            assert!((f.category.0 as usize) < taxonomy.len(), "category {:?} out of range", f.category);
            if let Some(c) = f.capacity {
                assert_quantity(c, "capacity");
            }
        }
    }
    for r in [&strict, &lenient] {
        if let Err(e) = r {
            assert_names_input(e);
        }
    }
}

/// Districts from GeoJSON (key `name`), then located with the R-tree and the brute force.
pub fn districts(data: &[u8]) {
    guarded(|| districts_unguarded(data));
}

fn districts_unguarded(data: &[u8]) {
    let path = Path::new(INPUT_NAME);
    let set = match districts_from_geojson_bytes(path, data, "name") {
        Ok(set) => set,
        Err(e) => return assert_names_input(&e),
    };
    assert!(!set.districts.is_empty(), "Ok with no district");
    let mut keys: Vec<&str> = set.districts.iter().map(|d| d.key.as_str()).collect();
    keys.sort_unstable();
    assert!(keys.windows(2).all(|w| w[0] != w[1]), "duplicate district keys after renaming");
    check_locate(&set.districts);
}

/// The R-tree lookup against the brute force on sample points: each
/// district's first vertex and box centre, and the midpoints of its first
/// edges (at most 64 points in all).
fn check_locate(districts: &[lifecircle::district::sources::District]) {
    use geo::BoundingRect;
    for d in districts {
        for p in &d.shape.0 {
            for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                assert!(ring.0.iter().all(|c| c.x.is_finite() && c.y.is_finite()), "non-finite vertex");
            }
        }
    }
    let index = DistrictIndex::new(districts);
    let mut samples = Vec::new();
    for d in districts {
        if let Some(r) = d.shape.bounding_rect() {
            samples.push([(r.min().x + r.max().x) / 2.0, (r.min().y + r.max().y) / 2.0]);
        }
        if let Some(ring) = d.shape.0.first().map(|p| p.exterior()) {
            samples.extend(ring.0.first().map(|c| [c.x, c.y]));
            samples.extend(ring.0.windows(2).take(4).map(|w| [(w[0].x + w[1].x) / 2.0, (w[0].y + w[1].y) / 2.0]));
        }
        if samples.len() >= 64 {
            break;
        }
    }
    for p in samples.into_iter().take(64) {
        assert_eq!(index.locate(p), locate_brute_force(districts, p), "R-tree and brute force differ at {p:?}");
    }
}

/// The text of an input: TOML readers take `&str`, so invalid UTF-8 is replaced rather than skipped.
fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// A taxonomy file; when it parses, the built-in tiers and targets are checked against it
/// and a few tag sets and labels are classified.
pub fn taxonomy_toml(data: &[u8]) {
    guarded(|| taxonomy_toml_unguarded(data));
}

fn taxonomy_toml_unguarded(data: &[u8]) {
    let path = Path::new(INPUT_NAME);
    let taxonomy = match Taxonomy::from_toml(&text(data), path) {
        Ok(t) => t,
        Err(e) => return assert_names_input(&e),
    };
    assert!(!taxonomy.is_empty() && taxonomy.len() <= lifecircle::taxonomy::MAX_CATEGORIES);
    for tags in [
        &[("amenity", "clinic")][..],
        &[("shop", "supermarket"), ("name", "x")],
        &[("building", "apartments")],
        &[("amenity", "kindergarten"), ("social_facility", "day_care")],
    ] {
        let bits = taxonomy.classify(&Tags(tags));
        assert!(taxonomy.len() >= 32 || bits >> taxonomy.len() == 0, "category bit beyond the taxonomy");
    }
    for c in &taxonomy.categories {
        for label in std::iter::once(&c.key).chain([&c.label_en, &c.label_zh]).chain(&c.aliases) {
            if let Some(id) = taxonomy.resolve_category(label) {
                assert!((id.0 as usize) < taxonomy.len());
            }
        }
    }
    let _ = Tiers::builtin("gb50180", &taxonomy);
    let _ = Targets::from_toml(
        include_str!("../../data/targets/tianjin-2025.toml"),
        Path::new("<built-in targets>"),
        &taxonomy,
    );
}

/// Tags for [`lifecircle::taxonomy::TagLookup`].
struct Tags<'a>(&'a [(&'a str, &'a str)]);

impl lifecircle::taxonomy::TagLookup for Tags<'_> {
    fn tag(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

/// A targets file, checked against the built-in taxonomy.
pub fn targets_toml(data: &[u8]) {
    guarded(|| targets_toml_unguarded(data));
}

fn targets_toml_unguarded(data: &[u8]) {
    let path = Path::new(INPUT_NAME);
    match Targets::from_toml(&text(data), path, &TAXONOMY) {
        Ok(t) => {
            for r in &t.rules {
                if r.metric.measure == Measure::Facilities {
                    assert!(r.value.is_finite() && r.value >= 0.0, "a facilities target that is not a count");
                } else {
                    assert!((0.0..=1.0).contains(&r.value), "a target outside [0, 1]");
                }
            }
            let mut ids: Vec<&str> = t.rules.iter().map(|r| r.id.as_str()).collect();
            ids.sort_unstable();
            assert!(ids.windows(2).all(|w| w[0] != w[1]), "duplicate rule ids");
        }
        Err(e) => assert_names_input(&e),
    }
}

/// A profiles file; every profile it holds is asked about a few ways and nodes.
pub fn profiles_toml(data: &[u8]) {
    guarded(|| profiles_toml_unguarded(data));
}

fn profiles_toml_unguarded(data: &[u8]) {
    let path = Path::new(INPUT_NAME);
    let profiles = match Profiles::from_toml(&text(data), path) {
        Ok(p) => p,
        Err(e) => return assert_names_input(&e),
    };
    for (name, p) in &profiles.profiles {
        let speed_m_s = p.speed_m_s();
        assert!(speed_m_s.is_finite() && speed_m_s > 0.0, "profile {name}: speed {speed_m_s} m/s");
        for tags in [
            &[("highway", "footway")][..],
            &[("highway", "steps"), ("surface", "gravel")],
            &[("highway", "primary"), ("foot", "yes"), ("access", "private")],
            &[("highway", "pedestrian"), ("area", "yes")],
        ] {
            let tags = Tags(tags);
            if p.is_walkable(&tags) {
                let f = p.speed_factor(&tags);
                assert!(f.is_finite() && f > 0.0, "profile {name}: speed factor {f}");
            }
        }
        let _ = p.blocks_node(&Tags(&[("kerb", "raised"), ("barrier", "kerb")]));
        assert!(profiles.get(name).is_ok());
    }
}

/// A tiers file: the table `gb50180` against the built-in taxonomy.
pub fn tiers_toml(data: &[u8]) {
    guarded(|| tiers_toml_unguarded(data));
}

fn tiers_toml_unguarded(data: &[u8]) {
    let path = Path::new(INPUT_NAME);
    if let Err(e) = Tiers::from_toml(&text(data), path, "gb50180", &TAXONOMY) {
        assert_names_input(&e);
    }
}

/// The profile a PBF input is read with: `adult` for inputs of even length,
/// `wheelchair` (blocked nodes, forbidden ways) for odd lengths.
pub fn pbf_profile_name(data: &[u8]) -> &'static str {
    if data.len().is_multiple_of(2) { "adult" } else { "wheelchair" }
}

/// `LIFECIRCLE_FUZZ_STRICT=1`: also fail on panics the library catches itself.
/// (K1, the area centroid of a bow-tie outside its shape, is fixed: area
/// positions are checked in every mode.)
pub fn strict() -> bool {
    static STRICT: LazyLock<bool> =
        LazyLock::new(|| std::env::var_os("LIFECIRCLE_FUZZ_STRICT").is_some_and(|v| v == "1"));
    *STRICT
}

/// The last panic message, kept by [`quiet_panic_hook`].
static LAST_PANIC: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

/// The library catches a panic of a dependency itself and turns it into an
/// answer (`catch_unwind` around geo's validity check in
/// `src/district/sources.rs`), so such a panic is not a crash. libFuzzer's
/// panic hook aborts on every panic, caught or not; this hook only records
/// the message, and [`guarded`] aborts (with the message) when a panic gets
/// out of the library. With [`strict`], libFuzzer's hook stays, so panics the
/// library catches are found too.
fn quiet_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if strict() {
            return;
        }
        std::panic::set_hook(Box::new(|info| {
            let mut last = LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner());
            *last = info.to_string();
        }));
    });
}

/// Runs one target's body: a panic that gets out of it is printed and passed
/// on (libFuzzer then aborts and saves the input).
fn guarded(body: impl FnOnce()) {
    quiet_panic_hook();
    if let Err(payload) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        eprintln!("panic out of the library: {}", LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()));
        std::panic::resume_unwind(payload);
    }
}

/// A PBF file read, then the walking graph built, features extracted and the
/// districts of up to three admin levels assembled (see [`pbf_profile_name`]).
pub fn pbf(data: &[u8]) {
    guarded(|| pbf_unguarded(data));
}

fn pbf_unguarded(data: &[u8]) {
    let path = Path::new(INPUT_NAME);
    let profile = PROFILES.get(pbf_profile_name(data)).expect("built-in profile");
    let osm = match lifecircle::osm::read_pbf_bytes(data, path, &TAXONOMY, profile) {
        Ok(d) => d,
        Err(e) => return assert_names_input(&e),
    };
    assert!(osm.node_ids.windows(2).all(|w| w[0] < w[1]), "node ids not strictly ascending");
    assert_eq!(osm.node_ids.len(), osm.node_pos.len());
    assert!(osm.way_ids.windows(2).all(|w| w[0] < w[1]), "way ids not strictly ascending");
    assert_eq!(osm.way_offsets.len(), osm.way_ids.len() + 1);
    assert!(osm.way_offsets.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(*osm.way_offsets.last().expect("at least 0") as usize, osm.way_refs.len());
    assert!(osm.way_info.windows(2).all(|w| w[0].way < w[1].way), "way info not in way order");
    assert!(osm.way_info.iter().all(|w| (w.way as usize) < osm.way_ids.len()));
    assert!(osm.blocked_nodes.windows(2).all(|w| w[0] < w[1]));

    match lifecircle::graph::build_graph(&osm, profile.speed_m_s(), 20, path) {
        Ok(_) => {}
        Err(e) => assert_names_input(&e),
    }
    let (homes, facilities, _) = lifecircle::osm::extract_features(&osm, &TAXONOMY);
    for h in &homes {
        assert_valid_lonlat(h.lonlat);
    }
    for f in &facilities {
        assert_valid_lonlat(f.lonlat);
    }
    let mut levels: Vec<u8> = osm.relations.iter().filter_map(|r| r.admin_level).collect();
    levels.sort_unstable();
    levels.dedup();
    for level in levels.into_iter().take(3) {
        let set = districts_from_admin(&osm, level).expect("a level that is present");
        if !set.districts.is_empty() {
            check_locate(&set.districts);
        }
    }
}

/// Every element a block decoder hands out, as text (tags resolved, in file order).
#[derive(Default)]
struct Record {
    elements: Vec<String>,
    block_start: usize,
}

impl lifecircle::osm::block::ElementSink for Record {
    fn begin_block(&mut self) {
        self.block_start = self.elements.len();
    }
    fn rewind(&mut self) {
        self.elements.truncate(self.block_start);
    }
    fn node(&mut self, id: i64, decimicro: [i32; 2], tags: lifecircle::osm::block::BlockTags<'_>) {
        let tags: Vec<_> = tags.iter().collect();
        self.elements.push(format!("n{id} {decimicro:?} {tags:?}"));
    }
    fn way(&mut self, id: i64, refs: &[i64], tags: lifecircle::osm::block::BlockTags<'_>) {
        let tags: Vec<_> = tags.iter().collect();
        self.elements.push(format!("w{id} {refs:?} {tags:?}"));
    }
    fn relation(
        &mut self,
        id: i64,
        members: &[lifecircle::osm::block::Member],
        tags: lifecircle::osm::block::BlockTags<'_>,
    ) {
        let members: Vec<_> = members.iter().map(|m| (m.kind, m.id, tags.string(m.role))).collect();
        let tags: Vec<_> = tags.iter().collect();
        self.elements.push(format!("r{id} {members:?} {tags:?}"));
    }
}

/// One `PrimitiveBlock`'s bytes (an inflated blob) through the wire decoder
/// (`osm::wire::walk`), the reference decoder (`decode_block_reference`) and
/// `decode_block` (the wire decoder falling back on the reference).
pub fn wire(data: &[u8]) {
    guarded(|| wire_unguarded(data));
}

fn wire_unguarded(data: &[u8]) {
    use lifecircle::osm::block::{BlockScratch, decode_block, decode_block_reference};
    let mut scratch = BlockScratch::default();
    let mut reference = Record::default();
    let want = decode_block_reference(data, &mut scratch, &mut reference).map(|()| reference.elements);
    let mut fast = Record::default();
    if lifecircle::osm::wire::walk(data, &mut scratch, &mut fast).is_ok() {
        match &want {
            Ok(elements) => {
                assert!(fast.elements == *elements, "the wire decoder's elements differ from the reference's")
            }
            Err(e) => panic!("the wire decoder accepts a block the reference refuses: {e}"),
        }
    }
    // After another block in the same sink, as `read_pbf` uses it.
    let mut combined = Record { elements: vec!["earlier block".to_string()], block_start: 0 };
    let got = decode_block(data, &mut scratch, &mut combined).map(|()| combined.elements.split_off(1));
    assert!(got == want, "decode_block differs from the reference decoder");
}
