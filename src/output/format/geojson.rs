//! GeoJSON (RFC 7946): a FeatureCollection, one feature per line, positions
//! `[longitude, latitude]` in WGS-84 rounded to 7 decimals (about 1 cm, OSM's
//! own precision), properties in the layer's column order, nulls as `null`.
//!
//! `O(rows × columns)`; property names are serialized once per layer, pieces
//! of [`PIECE_ROWS`] rows are serialized in parallel and written in order, so
//! the text in memory is a few pieces' whatever the layer's size.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, UInt32Type, UInt64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;

use crate::error::Result;
use crate::io::atomic::{AtomicFile, FinishedFile, write_all, write_unbuffered};
use crate::output::layer::{Geom, Layer};
use crate::output::ordered::for_each_ordered;

/// Rows serialized at a time by one thread: about 300 KB of text for the coverage layer with one
/// threshold a category (more with several), small enough that the last piece's write is short.
pub const PIECE_ROWS: usize = 512;

/// Rounds a coordinate to 7 decimals (about 1 cm), the precision of OSM itself.
#[inline]
pub fn round_coord(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// Writes `layer` as a GeoJSON FeatureCollection into `file`.
///
/// Pieces of [`PIECE_ROWS`] rows are serialized in parallel and written in
/// order as they are ready ([`for_each_ordered`]: the writing overlaps the
/// serializing, and memory holds a window of pieces, a few per thread): the
/// bytes do not depend on the thread count.
pub fn write_geojson(layer: &dyn Layer, mut file: AtomicFile) -> Result<FinishedFile> {
    let schema = layer.schema();
    // Each key with the comma that comes before it (the first property's is skipped).
    let keys: Vec<Vec<u8>> = schema.fields().iter().map(|f| [b",".as_slice(), &json_key(f.name())].concat()).collect();
    write_all(&mut file, b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
    let rows = layer.len();
    let window = 4 * rayon::current_num_threads().max(1);
    for_each_ordered(
        rows.div_ceil(PIECE_ROWS),
        window,
        |p| chunk_text(layer, p * PIECE_ROWS..((p + 1) * PIECE_ROWS).min(rows), &keys, p == 0),
        |text| write_unbuffered(&mut file, &text),
    )?;
    write_all(&mut file, b"\n]}\n")?;
    file.finish()
}

/// The features of `rows`, each but the very first preceded by `,\n`.
fn chunk_text(layer: &dyn Layer, rows: std::ops::Range<usize>, keys: &[Vec<u8>], first_chunk: bool) -> Vec<u8> {
    let chunk = layer.chunk(rows);
    let values = Values::new(&chunk.attributes);
    // Room for every row of a point layer at once (its keys and about 16
    // bytes a value), so its text is not copied to grow; a polygon layer's
    // text still grows with its coordinates. Capacity left untouched costs
    // no memory.
    let row_bytes = 96 + keys.iter().map(|k| k.len() + 16).sum::<usize>();
    let mut buf = Vec::with_capacity(chunk.geometry.len() * row_bytes);
    for (row, geom) in chunk.geometry.iter().enumerate() {
        if !(first_chunk && row == 0) {
            buf.extend_from_slice(b",\n");
        }
        buf.extend_from_slice(b"{\"type\":\"Feature\",\"geometry\":");
        geometry(&mut buf, geom);
        buf.extend_from_slice(b",\"properties\":{");
        for (k, key) in keys.iter().enumerate() {
            // `,"name":` in one copy after the first property.
            buf.extend_from_slice(if k > 0 { key } else { &key[1..] });
            values.write(&mut buf, k, row);
        }
        buf.extend_from_slice(b"}}");
    }
    buf
}

/// A property name serialized once as `"name":`.
pub fn json_key(name: &str) -> Vec<u8> {
    let mut k = serde_json::to_vec(name).expect("a string serializes");
    k.push(b':');
    k
}

/// A number as serde_json writes it (the shortest text that reads back to
/// it, by the zmij crate serde_json itself uses; `null` when not finite),
/// without going through a serializer for each value.
fn number(buf: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        buf.extend_from_slice(zmij::Buffer::new().format_finite(v).as_bytes());
    } else {
        buf.extend_from_slice(b"null");
    }
}

/// An integer as serde_json writes it (by the itoa crate it uses).
fn integer(buf: &mut Vec<u8>, v: impl itoa::Integer) {
    buf.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

fn position(buf: &mut Vec<u8>, x: f64, y: f64) {
    buf.push(b'[');
    number(buf, round_coord(x));
    buf.push(b',');
    number(buf, round_coord(y));
    buf.push(b']');
}

fn geometry(buf: &mut Vec<u8>, g: &Geom<'_>) {
    match g {
        Geom::Point([x, y]) => {
            buf.extend_from_slice(b"{\"type\":\"Point\",\"coordinates\":");
            position(buf, *x, *y);
            buf.push(b'}');
        }
        Geom::MultiPolygon(mp) => {
            buf.extend_from_slice(b"{\"type\":\"MultiPolygon\",\"coordinates\":[");
            for (p, poly) in mp.0.iter().enumerate() {
                if p > 0 {
                    buf.push(b',');
                }
                buf.push(b'[');
                for (r, ring) in std::iter::once(poly.exterior()).chain(poly.interiors()).enumerate() {
                    if r > 0 {
                        buf.push(b',');
                    }
                    buf.push(b'[');
                    for (i, c) in ring.0.iter().enumerate() {
                        if i > 0 {
                            buf.push(b',');
                        }
                        position(buf, c.x, c.y);
                    }
                    buf.push(b']');
                }
                buf.push(b']');
            }
            buf.extend_from_slice(b"]}");
        }
    }
}

/// A chunk's columns, typed once, with their null masks.
struct Values<'a> {
    columns: Vec<ColumnRef<'a>>,
    nulls: Vec<Option<&'a arrow_buffer::NullBuffer>>,
}

enum ColumnRef<'a> {
    Text(&'a arrow_array::StringArray),
    Float(&'a arrow_array::Float64Array),
    Count(&'a arrow_array::UInt32Array),
    BigCount(&'a arrow_array::UInt64Array),
    Bool(&'a arrow_array::BooleanArray),
}

impl<'a> Values<'a> {
    fn new(batch: &'a RecordBatch) -> Values<'a> {
        let columns = batch
            .columns()
            .iter()
            .map(|a| match a.data_type() {
                DataType::Utf8 => ColumnRef::Text(a.as_string::<i32>()),
                DataType::Float64 => ColumnRef::Float(a.as_primitive::<Float64Type>()),
                DataType::UInt32 => ColumnRef::Count(a.as_primitive::<UInt32Type>()),
                DataType::UInt64 => ColumnRef::BigCount(a.as_primitive::<UInt64Type>()),
                DataType::Boolean => ColumnRef::Bool(a.as_boolean()),
                other => unreachable!("layers have no {other} column"),
            })
            .collect();
        let nulls = batch.columns().iter().map(|a| a.nulls()).collect();
        Values { columns, nulls }
    }

    fn write(&self, buf: &mut Vec<u8>, column: usize, row: usize) {
        if self.nulls[column].is_some_and(|n| n.is_null(row)) {
            buf.extend_from_slice(b"null");
            return;
        }
        match &self.columns[column] {
            ColumnRef::Text(a) => serde_json::to_writer(&mut *buf, a.value(row)).expect("a string serializes"),
            ColumnRef::Float(a) => number(buf, a.value(row)),
            ColumnRef::Count(a) => integer(buf, a.value(row)),
            ColumnRef::BigCount(a) => integer(buf, a.value(row)),
            ColumnRef::Bool(a) => buf.extend_from_slice(if a.value(row) { b"true" } else { b"false" }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers come out as serde_json writes them: random bit patterns (every
    /// magnitude, subnormals, both zeros), rounded coordinates, non-finite
    /// values (null), and integers of both widths.
    #[test]
    fn numbers_are_written_as_serde_json_writes_them() {
        let mut rng = crate::test_rng::SplitMix64(0x6e0);
        let mut values: Vec<f64> = vec![0.0, -0.0, 1.0, 0.1, 1e-7, 1e21, 5e-324, f64::MAX, f64::NAN, f64::INFINITY];
        values.extend((0..20_000).map(|_| f64::from_bits(rng.next_u64())));
        values.extend((0..20_000).map(|_| round_coord(rng.unit() * 360.0 - 180.0)));
        for v in values {
            let mut got = Vec::new();
            number(&mut got, v);
            assert_eq!(got, serde_json::to_vec(&v).expect("serializes"), "{v:e}");
        }
        for v in [0u64, 9, 10, 4_294_967_295, u64::MAX].into_iter().chain((0..1000).map(|_| rng.next_u64())) {
            let mut got = Vec::new();
            integer(&mut got, v);
            assert_eq!(got, serde_json::to_vec(&v).expect("serializes"));
            let small = v as u32;
            got.clear();
            integer(&mut got, small);
            assert_eq!(got, serde_json::to_vec(&small).expect("serializes"));
        }
    }
}
