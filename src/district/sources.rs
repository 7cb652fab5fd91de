//! Where districts come from: a GeoJSON file of polygons, or the extract's
//! own administrative boundaries (multipolygon relations assembled from their
//! member ways, inner rings included).
//!
//! `O(vertices)` to read, plus ring assembly `O(member nodes)` per boundary.

use std::path::Path;

use geo::{Coord, CoordsIter, LineString, MultiPolygon, Polygon, Validation};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::osm::OsmData;
use crate::osm::multipolygon::relation_area;

/// A district: a name, a stable id and an area.
#[derive(Debug, Clone, PartialEq)]
pub struct District {
    /// Its name or id, as the output rows name it (unique in the set).
    pub key: String,
    /// Its stable id for joins: `relation/<id>` for an OSM boundary, the key for a file's district.
    pub id: String,
    /// Its area (longitude/latitude).
    pub shape: MultiPolygon<f64>,
}

/// Districts with what was wrong with them (reported, never fatal).
#[derive(Debug, Clone, Default)]
pub struct DistrictSet {
    /// The districts, in input order.
    pub districts: Vec<District>,
    /// Problems: invalid polygons, boundaries with missing members, duplicate keys.
    pub problems: Vec<String>,
}

fn ring(v: &Value) -> Option<LineString<f64>> {
    let pts: Option<Vec<Coord<f64>>> = v
        .as_array()?
        .iter()
        .map(|c| {
            let c = c.as_array()?;
            let (x, y) = (c.first()?.as_f64()?, c.get(1)?.as_f64()?);
            (x.is_finite() && y.is_finite()).then_some(Coord { x, y })
        })
        .collect();
    let mut ls = LineString::new(pts?);
    if ls.0.len() < 3 {
        return None;
    }
    ls.close();
    Some(ls)
}

fn polygon(v: &Value) -> Option<Polygon<f64>> {
    let rings = v.as_array()?;
    let exterior = ring(rings.first()?)?;
    let holes: Option<Vec<LineString<f64>>> = rings[1..].iter().map(ring).collect();
    Some(Polygon::new(exterior, holes?))
}

/// Districts of at most this many vertices are checked for validity (geo's
/// check is quadratic in the vertices: in the fuzzing build a 20,000-vertex
/// boundary took 9 s, one of 80,000 over two minutes, one of 2,000 0.15 s),
/// so reading is `O(vertices × MAX_VALIDATED_VERTICES)` at worst.
pub const MAX_VALIDATED_VERTICES: usize = 2_000;

/// Reads districts from a GeoJSON FeatureCollection of Polygons and
/// MultiPolygons; `key` names the property that identifies a district. A
/// feature without it is named by its `id` member, else `feature-<index>`,
/// and listed in the problems; when no feature has it, or no feature is a
/// usable polygon, the file is an error. Invalid polygons (up to
/// [`MAX_VALIDATED_VERTICES`] vertices) are listed in the problems. Features
/// are streamed (memory: the file plus the districts), the file capped at
/// [`crate::io::limits::MAX_DISTRICTS_FILE_BYTES`].
pub fn districts_from_geojson(path: &Path, key: &str) -> Result<DistrictSet> {
    use crate::io::limits::{MAX_DISTRICTS_FILE_BYTES, read_bounded};
    let bytes = read_bounded(path, MAX_DISTRICTS_FILE_BYTES, "districts file")?;
    districts_from_geojson_bytes(path, &bytes, key)
}

/// [`districts_from_geojson`] on a file's bytes already in memory; `path` names it in errors.
pub fn districts_from_geojson_bytes(path: &Path, bytes: &[u8], key: &str) -> Result<DistrictSet> {
    use crate::io::geojson_in::{TopLevel, for_each_feature};
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut set = DistrictSet::default();
    let mut unnamed = Vec::new();
    let mut keys_seen = std::collections::BTreeSet::new();
    let mut features = 0;
    let top = for_each_feature(
        body,
        |m| Error::bad_input(path, "", format!("not valid GeoJSON: {m}")),
        |i, f| {
            features += 1;
            let props = f.get("properties").and_then(Value::as_object);
            if keys_seen.len() < 50 {
                keys_seen.extend(props.into_iter().flat_map(|p| p.keys().cloned()).take(50));
            }
            let geometry = f.get("geometry").unwrap_or(&Value::Null);
            let coords = geometry.get("coordinates").unwrap_or(&Value::Null);
            let shape = match geometry.get("type").and_then(Value::as_str) {
                Some("Polygon") => polygon(coords).map(|p| MultiPolygon::new(vec![p])),
                Some("MultiPolygon") => coords
                    .as_array()
                    .and_then(|ps| ps.iter().map(polygon).collect::<Option<Vec<_>>>())
                    .map(MultiPolygon::new),
                Some(other) => {
                    set.problems.push(format!("feature {i}: a {other} is not a Polygon or MultiPolygon, skipped"));
                    return Ok(());
                }
                None => {
                    set.problems.push(format!("feature {i}: no geometry, skipped"));
                    return Ok(());
                }
            };
            let Some(shape) = shape else {
                set.problems.push(format!("feature {i}: coordinates are not a valid polygon, skipped"));
                return Ok(());
            };
            let name = match props.and_then(|p| p.get(key)) {
                Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => {
                    let name = match f.get("id") {
                        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
                        Some(Value::Number(n)) => n.to_string(),
                        _ => format!("feature-{i}"),
                    };
                    unnamed.push(name.clone());
                    name
                }
            };
            // geo's check panics on some invalid shapes ("topology position conflict"): invalid too.
            let checked = shape.coords_count() <= MAX_VALIDATED_VERTICES;
            if checked && !std::panic::catch_unwind(|| shape.is_valid()).unwrap_or(false) {
                set.problems.push(format!(
                    "{name}: invalid polygon (e.g. self-intersecting); homes are assigned on a best-effort basis"
                ));
            }
            set.districts.push(District { id: name.clone(), key: name, shape });
            Ok(())
        },
    )?;
    match top {
        TopLevel::FeatureCollection { .. } => {}
        TopLevel::Feature => {
            return Err(Error::bad_input(path, "", "a lone Feature; districts come as a FeatureCollection"));
        }
        TopLevel::Other { type_name, json_kind, .. } => {
            let what = type_name.map_or_else(|| json_kind.to_string(), |t| format!("a {t}"));
            return Err(Error::bad_input(
                path,
                "",
                format!("not a GeoJSON FeatureCollection (the top level is {what}, with no \"features\" array)"),
            ));
        }
    }
    if set.districts.is_empty() {
        let why = if features == 0 { "the FeatureCollection is empty".to_string() } else { set.problems.join("; ") };
        return Err(Error::bad_input(path, "", format!("no usable district polygon: {why}")));
    }
    if !unnamed.is_empty() {
        if unnamed.len() == set.districts.len() {
            let found: Vec<String> = keys_seen.into_iter().collect();
            return Err(Error::bad_input(
                path,
                "",
                format!(
                    "no district has the property {key:?} that names districts (--district-key); properties found: {}",
                    if found.is_empty() { "none".to_string() } else { found.join(", ") }
                ),
            ));
        }
        let examples: Vec<&str> = unnamed.iter().take(5).map(String::as_str).collect();
        set.problems.push(format!(
            "{} districts have no property {key:?} and are named by their id or position: {}{}",
            unnamed.len(),
            examples.join(", "),
            if unnamed.len() > 5 { ", ..." } else { "" }
        ));
    }
    dedupe_keys(&mut set);
    Ok(set)
}

/// Districts from the extract's administrative boundaries at `admin_level`.
///
/// No boundary at that level is an error naming the levels the extract has.
pub fn districts_from_admin(data: &OsmData, admin_level: u8) -> Result<DistrictSet> {
    let mut set = DistrictSet::default();
    let mut rels: Vec<_> = data.relations.iter().filter(|r| r.admin_level == Some(admin_level)).collect();
    if rels.is_empty() {
        let mut levels: Vec<u8> = data.relations.iter().filter_map(|r| r.admin_level).collect();
        levels.sort_unstable();
        levels.dedup();
        let present = if levels.is_empty() {
            "it has no administrative boundaries; give --districts FILE".to_string()
        } else {
            format!("levels present: {}", levels.iter().map(u8::to_string).collect::<Vec<_>>().join(", "))
        };
        return Err(Error::parameter(
            "--admin-level",
            format!("the extract has no administrative boundary at admin_level {admin_level} ({present})"),
        ));
    }
    rels.sort_by_key(|r| r.id);
    for r in rels {
        let name = r.name.clone().unwrap_or_else(|| format!("relation/{}", r.id));
        let (shape, gaps) = relation_area(data, &r.outer, &r.inner);
        if gaps.missing_members > 0 || gaps.open_outer_ways > 0 {
            set.problems.push(format!(
                "{name} (relation/{}): {} member ways missing from the extract, {} outer ways left unclosed",
                r.id, gaps.missing_members, gaps.open_outer_ways
            ));
        }
        let Some(shape) = shape else {
            set.problems.push(format!("{name} (relation/{}): no closed outer ring, skipped", r.id));
            continue;
        };
        set.districts.push(District { key: name, id: format!("relation/{}", r.id), shape });
    }
    dedupe_keys(&mut set);
    Ok(set)
}

/// The `admin_level`s the extract has administrative boundaries at, ascending.
pub fn admin_levels(data: &OsmData) -> Vec<u8> {
    let mut levels: Vec<u8> = data.relations.iter().filter_map(|r| r.admin_level).collect();
    levels.sort_unstable();
    levels.dedup();
    levels
}

/// The districts of every `admin_level` the extract has (see [`districts_from_admin`]).
pub fn admin_district_sets(data: &OsmData) -> std::collections::BTreeMap<u8, DistrictSet> {
    admin_levels(data)
        .into_iter()
        .filter_map(|level| districts_from_admin(data, level).ok().map(|set| (level, set)))
        .collect()
}

/// Makes keys unique by suffixing repeats with ` (2)`, ` (3)`, ... (skipping
/// suffixed names already in use) and reports them. `O(D log D)`: the next
/// suffix of each name only grows.
fn dedupe_keys(set: &mut DistrictSet) {
    let mut used: std::collections::BTreeSet<String> = set.districts.iter().map(|d| d.key.clone()).collect();
    let mut seen = std::collections::BTreeMap::<String, (usize, usize)>::new();
    for d in &mut set.districts {
        let (n, next) = seen.entry(d.key.clone()).or_insert((0, 2));
        *n += 1;
        if *n > 1 {
            set.problems.push(format!("{}: the name is used {} times; renamed", d.key, n));
            while used.contains(&format!("{} ({next})", d.key)) {
                *next += 1;
            }
            let renamed = format!("{} ({next})", d.key);
            if d.id == d.key {
                d.id = renamed.clone();
            }
            d.key = renamed;
            used.insert(d.key.clone());
        }
    }
}

/// The file of a tiles folder holding the whole extract's boundaries at
/// `admin_level` (written by `prepare` for the levels its districts name).
pub fn boundaries_file(admin_level: u8) -> String {
    format!("admin-{admin_level}.geojson")
}

/// An extract's boundaries of one `admin_level` as a GeoJSON FeatureCollection
/// (a tiles folder's `admin-<level>.geojson`): per district its key
/// (`district`), id (`id`) and shape (a MultiPolygon, coordinates written
/// shortest-exact so they read back bit for bit), the set's problems as the
/// foreign member `problems`. [`read_boundaries`] reads it back as the same set.
pub fn write_boundaries(set: &DistrictSet, admin_level: u8) -> Vec<u8> {
    let ring = |r: &LineString<f64>| r.0.iter().map(|c| [c.x, c.y]).collect::<Vec<_>>();
    let features: Vec<Value> = set
        .districts
        .iter()
        .map(|d| {
            let polygons: Vec<Vec<Vec<[f64; 2]>>> = d
                .shape
                .0
                .iter()
                .map(|p| std::iter::once(ring(p.exterior())).chain(p.interiors().iter().map(ring)).collect())
                .collect();
            serde_json::json!({
                "type": "Feature",
                "properties": {"district": d.key, "id": d.id},
                "geometry": {"type": "MultiPolygon", "coordinates": polygons},
            })
        })
        .collect();
    let fc = serde_json::json!({
        "type": "FeatureCollection",
        "admin_level": admin_level,
        "problems": set.problems,
        "features": features,
    });
    let mut text = serde_json::to_vec(&fc).expect("a JSON value serialises");
    text.push(b'\n');
    text
}

/// Reads a file of [`write_boundaries`]: the same districts (keys, ids,
/// shapes) and problems, in order. Anything else in it is an error naming the file.
pub fn read_boundaries(path: &Path) -> Result<DistrictSet> {
    use crate::io::limits::{MAX_DISTRICTS_FILE_BYTES, read_bounded};
    let bytes = read_bounded(path, MAX_DISTRICTS_FILE_BYTES, "boundaries")?;
    let bad = |what: &str| Error::bad_input(path, "", format!("not a tiles folder's boundaries file: {what}"));
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| bad(&e.to_string()))?;
    let problems = v["problems"].as_array().ok_or_else(|| bad("no problems list"))?;
    let features = v["features"].as_array().ok_or_else(|| bad("no features"))?;
    let coord = |c: &Value| -> Option<Coord<f64>> { Some(Coord { x: c.get(0)?.as_f64()?, y: c.get(1)?.as_f64()? }) };
    let ring = |r: &Value| -> Option<LineString<f64>> { r.as_array()?.iter().map(coord).collect() };
    let polygon = |p: &Value| -> Option<Polygon<f64>> {
        let rings: Vec<LineString<f64>> = p.as_array()?.iter().map(ring).collect::<Option<_>>()?;
        let (outer, inner) = rings.split_first()?;
        Some(Polygon::new(outer.clone(), inner.to_vec()))
    };
    let mut set = DistrictSet {
        problems: problems
            .iter()
            .map(|p| p.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| bad("a problem that is not text"))?,
        ..DistrictSet::default()
    };
    for (i, f) in features.iter().enumerate() {
        let district = || -> Option<District> {
            let polygons = f["geometry"]["coordinates"].as_array()?;
            Some(District {
                key: f["properties"]["district"].as_str()?.to_string(),
                id: f["properties"]["id"].as_str()?.to_string(),
                shape: MultiPolygon::new(polygons.iter().map(polygon).collect::<Option<_>>()?),
            })
        };
        set.districts.push(district().ok_or_else(|| bad(&format!("feature {i}")))?);
    }
    Ok(set)
}

#[cfg(test)]
mod boundary_file_tests {
    use super::*;

    #[test]
    fn boundaries_read_back_as_written() {
        let square =
            |x: f64, y: f64, d: f64| LineString::from(vec![(x, y), (x + d, y), (x + d, y + d), (x, y + d), (x, y)]);
        let set = DistrictSet {
            districts: vec![
                District {
                    key: "Vaduz".into(),
                    id: "relation/1".into(),
                    shape: MultiPolygon::new(vec![Polygon::new(
                        square(9.1 / 3.0, 47.0 + 1e-13, 0.1),
                        vec![square(9.1 / 3.0 + 0.01, 47.01, 0.01)],
                    )]),
                },
                District {
                    key: "Vaduz (2)".into(),
                    id: "relation/7".into(),
                    shape: MultiPolygon::new(vec![
                        Polygon::new(square(0.1, 0.2, 0.3), vec![]),
                        Polygon::new(square(-179.9, -89.0, 0.5), vec![]),
                    ]),
                },
            ],
            problems: vec!["Vaduz: the name is used 2 times; renamed".into()],
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("admin-8.geojson");
        std::fs::write(&path, write_boundaries(&set, 8)).expect("write");
        let back = read_boundaries(&path).expect("read");
        assert_eq!(back.problems, set.problems);
        assert_eq!(back.districts.len(), 2);
        for (a, b) in back.districts.iter().zip(&set.districts) {
            assert_eq!((&a.key, &a.id, &a.shape), (&b.key, &b.id, &b.shape));
        }
        std::fs::write(&path, br#"{"type": "FeatureCollection", "features": []}"#).expect("write");
        let err = read_boundaries(&path).expect_err("no problems list").to_string();
        assert!(err.contains("admin-8.geojson"), "{err}");
    }
}
