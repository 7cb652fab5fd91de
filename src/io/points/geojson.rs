//! The GeoJSON reader: features streamed one at a time, a Point at its
//! position, a Polygon or MultiPolygon at its centroid. `O(file size)` plus
//! `O(vertices)` per polygon.

use std::borrow::Cow;
use std::path::Path;

use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::io::geojson_in::{TopLevel, for_each_feature};

use super::fields::{Builder, FIELDS, Field, Props, assign, check_lonlat, parse_number};
use super::{InputFormat, ReadReport, Sink};

pub(super) struct GeoProps<'a> {
    pub(super) props: Option<&'a Map<String, Value>>,
    /// Property key of each field.
    pub(super) keys: [Option<&'a str>; 7],
    /// The feature's `id` member, which wins over an `id` property.
    pub(super) member_id: Option<String>,
}

impl<'a> GeoProps<'a> {
    pub(super) fn new(props: Option<&'a Map<String, Value>>, member_id: Option<String>) -> Self {
        let mut keys = [None; 7];
        if let Some(p) = props {
            let names: Vec<&str> = p.keys().map(String::as_str).collect();
            let idx = assign(names.iter().copied());
            for f in FIELDS {
                keys[f.idx()] = idx[f.idx()].map(|i| names[i]);
            }
        }
        GeoProps { props, keys, member_id }
    }

    /// The value of a field and its key; `None` for absent or null.
    pub(super) fn value(&self, f: Field) -> Option<(&'a str, &'a Value)> {
        let key = self.keys[f.idx()]?;
        let v = self.props?.get(key)?;
        (!v.is_null()).then_some((key, v))
    }
}

impl Props for GeoProps<'_> {
    fn text(&self, f: Field) -> Result<Option<Cow<'_, str>>, String> {
        if f == Field::Id
            && let Some(id) = &self.member_id
        {
            return Ok(Some(Cow::Borrowed(id.as_str())));
        }
        let Some((key, v)) = self.value(f) else { return Ok(None) };
        match v {
            Value::String(s) => {
                let s = s.trim();
                Ok((!s.is_empty()).then_some(Cow::Borrowed(s)))
            }
            Value::Number(n) => Ok(Some(Cow::Owned(n.to_string()))),
            _ => Err(format!("{} must be text, not {} (property {key:?})", f.what(), json_kind(v))),
        }
    }

    fn number(&self, f: Field) -> Result<Option<f64>, String> {
        let Some((key, v)) = self.value(f) else { return Ok(None) };
        match v {
            Value::Number(n) => Ok(n.as_f64()),
            Value::String(s) if s.trim().is_empty() => Ok(None),
            Value::String(s) => parse_number(s.trim(), false)
                .map(Some)
                .ok_or_else(|| format!("{} {s:?} is not a number (property {key:?})", f.what())),
            _ => Err(format!("{} is {}, not a number (property {key:?})", f.what(), json_kind(v))),
        }
    }
}

pub(super) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

// ---------------------------------------------------------------------------
// GeoJSON

pub(super) fn read_geojson<B: Builder>(
    path: &Path,
    body: &[u8],
    skip: bool,
    builder: &B,
) -> Result<(Vec<B::Point>, ReadReport)> {
    let whole = |m: String| Error::bad_input(path, "", m);
    let mut sink = Sink::new(path, skip, InputFormat::GeoJson);
    let top = for_each_feature(
        body,
        |m| whole(format!("invalid JSON: {m}")),
        |i, feature| {
            let outcome = read_feature(&feature, i, builder);
            sink.row(outcome, || format!("feature {i}"))
        },
    )?;
    match top {
        TopLevel::FeatureCollection { .. } | TopLevel::Feature => Ok(sink.finish()),
        TopLevel::Other { type_name: Some(t), .. } if t == "FeatureCollection" => {
            Err(whole("the FeatureCollection has no \"features\" array".into()))
        }
        TopLevel::Other { type_name: Some(t), .. } if GEOMETRY_TYPES.contains(&t.as_str()) => Err(whole(format!(
            "a bare {t} geometry; expected a FeatureCollection or a Feature (wrap the geometry in a Feature with properties)"
        ))),
        TopLevel::Other { type_name: Some(t), .. } => Err(whole(format!("not GeoJSON: unknown top-level type {t:?}"))),
        TopLevel::Other { json_kind: "an object", .. } => {
            Err(whole("not GeoJSON: the top-level object has no \"type\"".into()))
        }
        TopLevel::Other { json_kind, .. } => {
            Err(whole(format!("the top level is {json_kind}, not a GeoJSON FeatureCollection or Feature")))
        }
    }
}

/// GeoJSON's geometry types, named when a file is a bare geometry.
pub(super) const GEOMETRY_TYPES: [&str; 7] =
    ["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"];

pub(super) fn read_feature<B: Builder>(feature: &Value, i: usize, builder: &B) -> Result<B::Point, String> {
    let Value::Object(f) = feature else {
        return Err(format!("is {}, not a GeoJSON Feature", json_kind(feature)));
    };
    match f.get("type").and_then(Value::as_str) {
        Some("Feature") => {}
        Some(t) => return Err(format!("has type {t:?}, not \"Feature\"")),
        None => return Err("is not a GeoJSON Feature (no \"type\": \"Feature\")".into()),
    }
    let lonlat = match f.get("geometry") {
        None | Some(Value::Null) => return Err("has no geometry (null)".into()),
        Some(g) => geometry_position(g)?,
    };
    let props = match f.get("properties") {
        None | Some(Value::Null) => None,
        Some(Value::Object(p)) => Some(p),
        Some(other) => return Err(format!("properties are {}, not an object", json_kind(other))),
    };
    let member_id = match f.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let p = GeoProps::new(props, member_id);
    builder.build(&p, i, lonlat, ("feature", i))
}

/// A Point's position or a Polygon's / MultiPolygon's centroid.
pub(super) fn geometry_position(g: &Value) -> Result<[f64; 2], String> {
    let Value::Object(g) = g else { return Err(format!("geometry is {}, not an object", json_kind(g))) };
    let coords = g.get("coordinates");
    match g.get("type").and_then(Value::as_str) {
        Some("Point") => {
            let p = coords.ok_or("Point has no coordinates")?;
            let c = position(p).map_err(|m| format!("Point {m}"))?;
            check_lonlat(c.x, c.y)
        }
        Some("Polygon") => {
            let poly = polygon(coords.ok_or("Polygon has no coordinates")?).map_err(|m| format!("Polygon {m}"))?;
            centroid_of(crate::geometry::polygon_position(&poly), "Polygon")
        }
        Some("MultiPolygon") => {
            let Some(Value::Array(parts)) = coords else {
                return Err("MultiPolygon coordinates must be an array of polygons".into());
            };
            let polys =
                parts.iter().map(polygon).collect::<Result<Vec<_>, _>>().map_err(|m| format!("MultiPolygon {m}"))?;
            centroid_of(crate::geometry::area_position(&MultiPolygon::new(polys)), "MultiPolygon")
        }
        Some(t) => Err(format!("geometry type {t} is not supported; use Point, Polygon or MultiPolygon")),
        None => Err("geometry has no \"type\"".into()),
    }
}

pub(super) fn centroid_of(c: Option<[f64; 2]>, what: &str) -> Result<[f64; 2], String> {
    let [x, y] = c.ok_or_else(|| format!("{what} is empty"))?;
    check_lonlat(x, y).map_err(|m| format!("{what} centroid: {m}"))
}

/// A `[lon, lat, ...]` position, checked.
pub(super) fn position(v: &Value) -> Result<Coord<f64>, String> {
    let xy = match v {
        Value::Array(a) if a.len() >= 2 => a[0].as_f64().zip(a[1].as_f64()),
        _ => None,
    };
    let (x, y) = xy.ok_or("coordinates must be [longitude, latitude] numbers")?;
    check_lonlat(x, y).map(|_| Coord { x, y })
}

/// A polygon from its rings (exterior first), every vertex checked.
pub(super) fn polygon(v: &Value) -> Result<Polygon<f64>, String> {
    let Value::Array(rings) = v else { return Err("coordinates must be an array of rings".into()) };
    let mut lines = Vec::with_capacity(rings.len());
    for ring in rings {
        let Value::Array(pts) = ring else { return Err("ring must be an array of positions".into()) };
        let coords = pts.iter().map(position).collect::<Result<Vec<_>, _>>().map_err(|m| format!("vertex: {m}"))?;
        lines.push(LineString::new(coords));
    }
    let mut lines = lines.into_iter();
    let exterior = lines.next().unwrap_or_else(|| LineString::new(Vec::new()));
    Ok(Polygon::new(exterior, lines.collect()))
}
