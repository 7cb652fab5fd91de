//! Streaming GeoJSON writers (RFC 7946: WGS-84 `[lon, lat]`, one feature per
//! line, deterministic order and bytes). Each feature is built with the
//! `geojson` crate and serialized as soon as it is ready.

use geojson::{Feature, Geometry, GeometryValue, JsonObject, JsonValue};

use super::atomic::{AtomicFile, write_all};
use crate::error::Result;

/// Rounds a coordinate to 7 decimals (about 1 cm), the precision of OSM itself.
#[inline]
pub fn round_coord(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// Rounds to `decimals` decimals.
#[inline]
pub fn round_to(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}

/// Writes a FeatureCollection, one feature at a time.
pub struct PointCollectionWriter {
    file: AtomicFile,
    first: bool,
    buf: Vec<u8>,
}

impl PointCollectionWriter {
    /// Starts the collection in `file`.
    pub fn new(mut file: AtomicFile) -> Result<PointCollectionWriter> {
        write_all(&mut file, b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
        Ok(PointCollectionWriter { file, first: true, buf: Vec::with_capacity(1024) })
    }

    /// Appends a Point feature at `lonlat` with `properties`.
    pub fn point(&mut self, lonlat: [f64; 2], properties: JsonObject) -> Result<()> {
        let value = GeometryValue::Point { coordinates: [round_coord(lonlat[0]), round_coord(lonlat[1])].into() };
        self.feature(value, properties)
    }

    /// Appends a Point feature whose properties object is already serialized
    /// (`{...}`, see [`PropertiesBuf`]): the fast path for millions of homes.
    pub fn point_raw(&mut self, lonlat: [f64; 2], properties_json: &[u8]) -> Result<()> {
        self.buf.clear();
        if !self.first {
            self.buf.extend_from_slice(b",\n");
        }
        self.first = false;
        self.buf.extend_from_slice(b"{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[");
        let coords = [round_coord(lonlat[0]), round_coord(lonlat[1])];
        serde_json::to_writer(&mut self.buf, &coords[0]).map_err(|e| self.file.err(e.into()))?;
        self.buf.push(b',');
        serde_json::to_writer(&mut self.buf, &coords[1]).map_err(|e| self.file.err(e.into()))?;
        self.buf.extend_from_slice(b"]},\"properties\":");
        self.buf.extend_from_slice(properties_json);
        self.buf.push(b'}');
        let buf = std::mem::take(&mut self.buf);
        let res = write_all(&mut self.file, &buf);
        self.buf = buf;
        res
    }

    /// Appends a MultiPolygon feature (coordinates rounded to 7 decimals; rings kept as given).
    pub fn multipolygon(&mut self, mp: &geo::MultiPolygon<f64>, properties: JsonObject) -> Result<()> {
        let ring = |ls: &geo::LineString<f64>| -> Vec<geojson::Position> {
            ls.0.iter().map(|c| [round_coord(c.x), round_coord(c.y)].into()).collect()
        };
        let coordinates =
            mp.0.iter()
                .map(|p| std::iter::once(ring(p.exterior())).chain(p.interiors().iter().map(ring)).collect())
                .collect();
        self.feature(GeometryValue::MultiPolygon { coordinates }, properties)
    }

    fn feature(&mut self, value: GeometryValue, properties: JsonObject) -> Result<()> {
        let feature = Feature {
            bbox: None,
            geometry: Some(Geometry::new(value)),
            id: None,
            properties: Some(properties),
            foreign_members: None,
        };
        self.buf.clear();
        if !self.first {
            self.buf.extend_from_slice(b",\n");
        }
        self.first = false;
        serde_json::to_writer(&mut self.buf, &feature).map_err(|e| self.file.err(e.into()))?;
        let buf = std::mem::take(&mut self.buf);
        let res = write_all(&mut self.file, &buf);
        self.buf = buf;
        res
    }

    /// Closes the collection and returns the finished (not yet renamed) file.
    pub fn finish(mut self) -> Result<super::atomic::FinishedFile> {
        write_all(&mut self.file, b"\n]}\n")?;
        self.file.finish()
    }
}

/// A JSON number, or null when not finite.
pub fn num(v: f64) -> JsonValue {
    serde_json::Number::from_f64(v).map_or(JsonValue::Null, JsonValue::Number)
}

/// A JSON object built by appending keys and values, with keys serialized once
/// ([`PropertiesBuf::key`] takes a pre-serialized `"name":`), for writers of
/// many features with the same properties.
#[derive(Debug, Default)]
pub struct PropertiesBuf {
    buf: Vec<u8>,
    empty: bool,
}

/// A property name serialized once as `"name":`.
pub fn json_key(name: &str) -> Vec<u8> {
    let mut k = serde_json::to_vec(name).expect("a string serializes");
    k.push(b':');
    k
}

impl PropertiesBuf {
    /// Starts a new object (reusing the buffer).
    pub fn start(&mut self) {
        self.buf.clear();
        self.buf.push(b'{');
        self.empty = true;
    }

    /// Appends a key (from [`json_key`]) and a value.
    pub fn entry<T: serde::Serialize + ?Sized>(&mut self, key: &[u8], value: &T) {
        if !self.empty {
            self.buf.push(b',');
        }
        self.empty = false;
        self.buf.extend_from_slice(key);
        serde_json::to_writer(&mut self.buf, value).expect("plain values serialize");
    }

    /// Closes the object and returns its bytes.
    pub fn finish(&mut self) -> &[u8] {
        self.buf.push(b'}');
        &self.buf
    }
}
