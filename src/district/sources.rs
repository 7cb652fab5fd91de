//! Where districts come from: a GeoJSON file of polygons, or the extract's
//! own administrative boundaries (multipolygon relations assembled from their
//! member ways, inner rings included).
//!
//! `O(vertices)` to read, plus ring assembly `O(member nodes)` per boundary.

use std::path::Path;

use geo::{Coord, LineString, MultiPolygon, Polygon, Validation};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::osm::OsmData;
use crate::osm::multipolygon::relation_area;

/// A district: a name and an area.
#[derive(Debug, Clone, PartialEq)]
pub struct District {
    /// Its name or id, as the output rows name it.
    pub key: String,
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

/// Reads districts from a GeoJSON FeatureCollection of Polygons and
/// MultiPolygons; `key` names the property that identifies a district (the
/// feature's `id`, then its index, when the property is missing).
pub fn districts_from_geojson(path: &Path, key: &str) -> Result<DistrictSet> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let json: Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| Error::bad_input(path, "", format!("not valid GeoJSON: {e}")))?;
    let features = json
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::bad_input(path, "", "not a GeoJSON FeatureCollection (no \"features\" array)"))?;
    let mut set = DistrictSet::default();
    for (i, f) in features.iter().enumerate() {
        let geometry = f.get("geometry").unwrap_or(&Value::Null);
        let coords = geometry.get("coordinates").unwrap_or(&Value::Null);
        let shape = match geometry.get("type").and_then(Value::as_str) {
            Some("Polygon") => polygon(coords).map(|p| MultiPolygon::new(vec![p])),
            Some("MultiPolygon") => coords
                .as_array()
                .and_then(|ps| ps.iter().map(polygon).collect::<Option<Vec<_>>>())
                .map(MultiPolygon::new),
            other => {
                set.problems.push(format!("feature {i}: geometry {other:?} is not a Polygon or MultiPolygon, skipped"));
                continue;
            }
        };
        let Some(shape) = shape else {
            set.problems.push(format!("feature {i}: coordinates are not a valid polygon, skipped"));
            continue;
        };
        let props = f.get("properties").unwrap_or(&Value::Null);
        let name = match props.get(key).or_else(|| f.get("id")) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => format!("feature-{i}"),
        };
        if !shape.is_valid() {
            set.problems.push(format!(
                "{name}: invalid polygon (e.g. self-intersecting); homes are assigned on a best-effort basis"
            ));
        }
        set.districts.push(District { key: name, shape });
    }
    dedupe_keys(&mut set);
    Ok(set)
}

/// Districts from the extract's administrative boundaries at `admin_level`.
pub fn districts_from_admin(data: &OsmData, admin_level: u8) -> DistrictSet {
    let mut set = DistrictSet::default();
    let mut rels: Vec<_> = data.relations.iter().filter(|r| r.admin_level == Some(admin_level)).collect();
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
        set.districts.push(District { key: name, shape });
    }
    dedupe_keys(&mut set);
    set
}

/// Makes keys unique by suffixing repeats with ` (2)`, ` (3)`, ... and reports them.
fn dedupe_keys(set: &mut DistrictSet) {
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for d in &mut set.districts {
        let n = seen.entry(d.key.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            set.problems.push(format!("{}: the name is used {} times; renamed", d.key, n));
            d.key = format!("{} ({n})", d.key);
        }
    }
}
