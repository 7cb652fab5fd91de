//! A layer: features with one geometry and typed attribute columns, the one
//! shape every output format is written from.
//!
//! A layer describes its columns once (an Arrow [`Schema`]) and hands out its
//! rows in chunks ([`Layer::chunk`]): an Arrow [`RecordBatch`] of attributes
//! plus the chunk's geometries. The GeoJSON, GeoParquet and FlatGeobuf
//! writers ([`crate::output::format`]) read only this, so every format of a
//! layer carries the same columns, types and values, and a million homes are
//! never held twice in memory (chunks of [`CHUNK_ROWS`]).

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Float64Builder, StringBuilder, UInt32Builder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use geo::MultiPolygon;

/// Rows per chunk: a Parquet row group, a bounded slice of a big layer in memory.
pub const CHUNK_ROWS: usize = 65_536;

/// What geometry a layer's features have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeometryKind {
    /// One position per feature.
    Point,
    /// One or more polygons with holes per feature.
    MultiPolygon,
}

impl GeometryKind {
    /// The GeoJSON / GeoParquet / OGC name: `Point`, `MultiPolygon`.
    pub fn name(self) -> &'static str {
        match self {
            GeometryKind::Point => "Point",
            GeometryKind::MultiPolygon => "MultiPolygon",
        }
    }
}

/// One feature's geometry (longitude, latitude in WGS-84 degrees).
#[derive(Debug, Clone, PartialEq)]
pub enum Geom<'a> {
    /// A position.
    Point([f64; 2]),
    /// Polygons (outer rings counter-clockwise, holes clockwise, as RFC 7946 asks).
    MultiPolygon(Cow<'a, MultiPolygon<f64>>),
}

impl Geom<'_> {
    /// `[west, south, east, north]`; `None` for an empty multipolygon.
    pub fn bbox(&self) -> Option<[f64; 4]> {
        match self {
            Geom::Point([x, y]) => Some([*x, *y, *x, *y]),
            Geom::MultiPolygon(mp) => {
                let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
                for c in mp.0.iter().flat_map(|p| p.exterior().0.iter()) {
                    b = [b[0].min(c.x), b[1].min(c.y), b[2].max(c.x), b[3].max(c.y)];
                }
                b[0].is_finite().then_some(b)
            }
        }
    }
}

/// A slice of a layer's rows: attributes and geometries, row for row.
#[derive(Debug, Clone)]
pub struct Chunk<'a> {
    /// The attribute columns (the layer's schema).
    pub attributes: RecordBatch,
    /// One geometry per row.
    pub geometry: Vec<Geom<'a>>,
}

/// Features with one geometry and typed attributes.
pub trait Layer: Sync {
    /// Its name, which is also its files' stem: `coverage`, `facilities`, ...
    fn name(&self) -> &str;
    /// The kind of geometry every feature has.
    fn geometry_kind(&self) -> GeometryKind;
    /// The attribute columns.
    fn schema(&self) -> SchemaRef;
    /// How many features.
    fn len(&self) -> usize;
    /// True when the layer has no feature.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The features in `rows` (a sub-range of `0..len()`).
    fn chunk(&self, rows: Range<usize>) -> Chunk<'_>;
}

/// The row ranges of `len` rows in chunks of [`CHUNK_ROWS`] (one empty range for no rows).
pub fn chunks(len: usize) -> Vec<Range<usize>> {
    if len == 0 {
        return std::iter::once(0..0).collect();
    }
    (0..len).step_by(CHUNK_ROWS).map(|s| s..(s + CHUNK_ROWS).min(len)).collect()
}

/// A column being built for a chunk.
pub enum Column {
    /// Text (UTF-8), nullable.
    Text(StringBuilder),
    /// A 64-bit float, nullable.
    Float(Float64Builder),
    /// A count, nullable.
    Count(UInt32Builder),
    /// A large count or id, nullable.
    BigCount(UInt64Builder),
    /// A boolean, nullable.
    Bool(BooleanBuilder),
}

/// A column's type, for [`ColumnSpec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// UTF-8 text.
    Text,
    /// 64-bit float.
    Float,
    /// 32-bit unsigned count.
    Count,
    /// 64-bit unsigned integer.
    BigCount,
    /// Boolean.
    Bool,
}

impl ColumnType {
    /// The Arrow type.
    pub fn data_type(self) -> DataType {
        match self {
            ColumnType::Text => DataType::Utf8,
            ColumnType::Float => DataType::Float64,
            ColumnType::Count => DataType::UInt32,
            ColumnType::BigCount => DataType::UInt64,
            ColumnType::Bool => DataType::Boolean,
        }
    }

    /// A builder with room for `rows`.
    pub fn builder(self, rows: usize) -> Column {
        match self {
            ColumnType::Text => Column::Text(StringBuilder::with_capacity(rows, rows * 12)),
            ColumnType::Float => Column::Float(Float64Builder::with_capacity(rows)),
            ColumnType::Count => Column::Count(UInt32Builder::with_capacity(rows)),
            ColumnType::BigCount => Column::BigCount(UInt64Builder::with_capacity(rows)),
            ColumnType::Bool => Column::Bool(BooleanBuilder::with_capacity(rows)),
        }
    }
}

/// A column's name, type and whether it may hold nulls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSpec {
    /// The name (a GeoJSON property, a Parquet column, a FlatGeobuf field).
    pub name: String,
    /// Its type.
    pub kind: ColumnType,
    /// May hold nulls.
    pub nullable: bool,
}

impl ColumnSpec {
    /// A column that may hold nulls.
    pub fn nullable(name: impl Into<String>, kind: ColumnType) -> ColumnSpec {
        ColumnSpec { name: name.into(), kind, nullable: true }
    }

    /// A column that never holds nulls.
    pub fn required(name: impl Into<String>, kind: ColumnType) -> ColumnSpec {
        ColumnSpec { name: name.into(), kind, nullable: false }
    }
}

/// The Arrow schema of `columns`.
pub fn schema_of(columns: &[ColumnSpec]) -> SchemaRef {
    Arc::new(Schema::new(
        columns.iter().map(|c| Field::new(&c.name, c.kind.data_type(), c.nullable)).collect::<Vec<_>>(),
    ))
}

/// Builds one chunk's attribute columns row by row, in schema order.
pub struct RowWriter {
    schema: SchemaRef,
    columns: Vec<Column>,
    next: usize,
}

impl RowWriter {
    /// Builders for `rows` rows of `schema` (made by [`schema_of`]).
    pub fn new(schema: SchemaRef, rows: usize) -> RowWriter {
        let columns = schema
            .fields()
            .iter()
            .map(|f| {
                let kind = match f.data_type() {
                    DataType::Utf8 => ColumnType::Text,
                    DataType::Float64 => ColumnType::Float,
                    DataType::UInt32 => ColumnType::Count,
                    DataType::UInt64 => ColumnType::BigCount,
                    DataType::Boolean => ColumnType::Bool,
                    other => unreachable!("schema_of makes no {other} column"),
                };
                kind.builder(rows)
            })
            .collect();
        RowWriter { schema, columns, next: 0 }
    }

    fn column(&mut self) -> &mut Column {
        let c = &mut self.columns[self.next];
        self.next += 1;
        c
    }

    /// The next column's value: text.
    pub fn text(&mut self, v: Option<&str>) {
        match self.column() {
            Column::Text(b) => b.append_option(v),
            _ => panic!("column {} is not text", self.next - 1),
        }
    }

    /// The next column's value: a float (a non-finite value is written as null).
    pub fn float(&mut self, v: Option<f64>) {
        match self.column() {
            Column::Float(b) => b.append_option(v.filter(|x| x.is_finite())),
            _ => panic!("column {} is not a float", self.next - 1),
        }
    }

    /// The next column's value: a count.
    pub fn count(&mut self, v: Option<u32>) {
        match self.column() {
            Column::Count(b) => b.append_option(v),
            _ => panic!("column {} is not a count", self.next - 1),
        }
    }

    /// The next column's value: a 64-bit integer.
    pub fn big_count(&mut self, v: Option<u64>) {
        match self.column() {
            Column::BigCount(b) => b.append_option(v),
            _ => panic!("column {} is not a 64-bit count", self.next - 1),
        }
    }

    /// The next column's value: a boolean.
    pub fn boolean(&mut self, v: Option<bool>) {
        match self.column() {
            Column::Bool(b) => b.append_option(v),
            _ => panic!("column {} is not a boolean", self.next - 1),
        }
    }

    /// Ends a row: every column got a value.
    pub fn end_row(&mut self) {
        assert_eq!(self.next, self.columns.len(), "a row must fill every column");
        self.next = 0;
    }

    /// The chunk's attributes.
    pub fn finish(self) -> RecordBatch {
        assert_eq!(self.next, 0, "the last row is incomplete");
        let arrays: Vec<ArrayRef> = self
            .columns
            .into_iter()
            .map(|c| -> ArrayRef {
                match c {
                    Column::Text(mut b) => Arc::new(b.finish()),
                    Column::Float(mut b) => Arc::new(b.finish()),
                    Column::Count(mut b) => Arc::new(b.finish()),
                    Column::BigCount(mut b) => Arc::new(b.finish()),
                    Column::Bool(mut b) => Arc::new(b.finish()),
                }
            })
            .collect();
        let options =
            arrow_array::RecordBatchOptions::new().with_row_count(Some(arrays.first().map_or(0, |a| a.len())));
        RecordBatch::try_new_with_options(self.schema, arrays, &options)
            .expect("columns built to the schema, with the same length")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Array;

    #[test]
    fn rows_fill_typed_columns_with_nulls() {
        let schema = schema_of(&[
            ColumnSpec::required("id", ColumnType::Text),
            ColumnSpec::nullable("min", ColumnType::Float),
            ColumnSpec::required("ok", ColumnType::Bool),
        ]);
        let mut w = RowWriter::new(schema, 2);
        w.text(Some("a"));
        w.float(Some(f64::INFINITY));
        w.boolean(Some(true));
        w.end_row();
        w.text(Some("b"));
        w.float(Some(1.5));
        w.boolean(Some(false));
        w.end_row();
        let batch = w.finish();
        assert_eq!(batch.num_rows(), 2);
        assert!(batch.column(1).is_null(0), "non-finite is null");
        assert!(!batch.column(1).is_null(1));
    }

    #[test]
    fn chunks_cover_the_rows_once() {
        assert_eq!(chunks(0), std::iter::once(0..0).collect::<Vec<_>>());
        assert_eq!(chunks(3), std::iter::once(0..3).collect::<Vec<_>>());
        let c = chunks(2 * CHUNK_ROWS + 1);
        assert_eq!(c, [0..CHUNK_ROWS, CHUNK_ROWS..2 * CHUNK_ROWS, 2 * CHUNK_ROWS..2 * CHUNK_ROWS + 1]);
    }
}
