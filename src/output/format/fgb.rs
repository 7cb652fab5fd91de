//! FlatGeobuf: a layer as a `.fgb` file with its packed Hilbert R-tree, for
//! QGIS, GDAL and streaming readers that fetch only the features in a box.
//!
//! - Written by the `flatgeobuf` crate's [`FgbWriter`]: the header (name,
//!   geometry type, CRS EPSG:4326, extent, columns), the packed Hilbert
//!   R-tree (node size 16; none for an empty layer, which GDAL would not
//!   open), then the features **in Hilbert order of their
//!   boxes**, not in the layer's order (the index requires it; the sort is
//!   stable, so the order depends only on the layer).
//! - Coordinates rounded exactly as the GeoJSON writer rounds them
//!   ([`round_coord`]).
//! - Columns keep the layer's order and nullability: text → `String`,
//!   float64 → `Double`, uint32 → `UInt`, uint64 → `Long` (GDAL has no
//!   unsigned 64-bit field; a value above `i64::MAX` is an error, never
//!   wrapped), boolean → `Bool`. A null is an absent property.
//! - An empty multipolygon (no polygon) is written as a multipolygon of one
//!   part without coordinates, which GDAL reads as an empty geometry
//!   (`MULTIPOLYGON (EMPTY)`; the writer cannot store a multipolygon of no
//!   part, which GDAL and the crate's own reader would reject); its index box
//!   is empty, so no box query returns it.
//!
//! `O(rows × columns + coordinates + rows log rows)` (the Hilbert sort); the
//! crate keeps the encoded features in an anonymous temporary file until the
//! index is written, and one box per feature in memory.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, UInt32Type, UInt64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use flatgeobuf::geozero::{self, ColumnValue, GeomProcessor, GeozeroGeometry, PropertyProcessor};
use flatgeobuf::{ColumnType, FgbCrs, FgbWriter, FgbWriterOptions, GeometryType};

use crate::error::{Error, Result};
use crate::io::atomic::{AtomicFile, FinishedFile};
use crate::output::format::geojson::round_coord;
use crate::output::layer::{Geom, GeometryKind, Layer, chunks};

/// The FlatGeobuf column type of an Arrow attribute type.
pub fn column_type(data_type: &DataType) -> ColumnType {
    match data_type {
        DataType::Utf8 => ColumnType::String,
        DataType::Float64 => ColumnType::Double,
        DataType::UInt32 => ColumnType::UInt,
        DataType::UInt64 => ColumnType::Long,
        DataType::Boolean => ColumnType::Bool,
        other => unreachable!("layers have no {other} column"),
    }
}

/// One feature's geometry, rounded, as geozero events.
struct Rounded<'a, 'g>(&'a Geom<'g>);

impl GeozeroGeometry for Rounded<'_, '_> {
    fn process_geom<P: GeomProcessor>(&self, p: &mut P) -> geozero::error::Result<()> {
        match self.0 {
            Geom::Point([x, y]) => {
                p.point_begin(0)?;
                p.xy(round_coord(*x), round_coord(*y), 0)?;
                p.point_end(0)
            }
            Geom::MultiPolygon(mp) if mp.0.is_empty() => {
                p.multipolygon_begin(1, 0)?;
                p.polygon_begin(false, 0, 0)?;
                p.polygon_end(false, 0)?;
                p.multipolygon_end(0)
            }
            Geom::MultiPolygon(mp) => {
                p.multipolygon_begin(mp.0.len(), 0)?;
                for (i, poly) in mp.0.iter().enumerate() {
                    p.polygon_begin(false, 1 + poly.interiors().len(), i)?;
                    for (r, ring) in std::iter::once(poly.exterior()).chain(poly.interiors()).enumerate() {
                        p.linestring_begin(false, ring.0.len(), r)?;
                        for (k, c) in ring.0.iter().enumerate() {
                            p.xy(round_coord(c.x), round_coord(c.y), k)?;
                        }
                        p.linestring_end(false, r)?;
                    }
                    p.polygon_end(false, i)?;
                }
                p.multipolygon_end(0)
            }
        }
    }
}

/// A chunk's columns, typed once.
enum ColumnRef<'a> {
    Text(&'a arrow_array::StringArray),
    Float(&'a arrow_array::Float64Array),
    Count(&'a arrow_array::UInt32Array),
    BigCount(&'a arrow_array::UInt64Array),
    Bool(&'a arrow_array::BooleanArray),
}

fn typed_columns(batch: &RecordBatch) -> Vec<ColumnRef<'_>> {
    batch
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
        .collect()
}

fn fgb_err(file: &AtomicFile, e: flatgeobuf::Error) -> Error {
    match e {
        flatgeobuf::Error::IO(io) => file.err(io),
        other => file.err(std::io::Error::other(other)),
    }
}

fn geozero_err(file: &AtomicFile, e: geozero::error::GeozeroError) -> Error {
    match e {
        geozero::error::GeozeroError::IoError(io) => file.err(io),
        other => file.err(std::io::Error::other(other)),
    }
}

/// Writes `layer` as FlatGeobuf (with its spatial index) into `file`.
pub fn write_flatgeobuf(layer: &dyn Layer, mut file: AtomicFile) -> Result<FinishedFile> {
    let geometry_type = match layer.geometry_kind() {
        GeometryKind::Point => GeometryType::Point,
        GeometryKind::MultiPolygon => GeometryType::MultiPolygon,
    };
    let options = FgbWriterOptions {
        // GDAL cannot open a file with an index of no feature.
        write_index: !layer.is_empty(),
        detect_type: false,
        promote_to_multi: false,
        crs: FgbCrs { org: Some("EPSG"), code: 4326, ..Default::default() },
        ..Default::default()
    };
    let mut fgb =
        FgbWriter::create_with_options(layer.name(), geometry_type, options).map_err(|e| fgb_err(&file, e))?;
    let schema = layer.schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    for f in schema.fields() {
        let nullable = f.is_nullable();
        fgb.add_column(f.name(), column_type(f.data_type()), |_, col| col.nullable = nullable);
    }
    for rows in chunks(layer.len()) {
        let chunk = layer.chunk(rows);
        let columns = typed_columns(&chunk.attributes);
        for (row, g) in chunk.geometry.iter().enumerate() {
            let mut too_big = None;
            fgb.add_feature_geom(Rounded(g), |feature| {
                for (i, column) in columns.iter().enumerate() {
                    if chunk.attributes.column(i).is_null(row) {
                        continue;
                    }
                    let value = match column {
                        ColumnRef::Text(a) => ColumnValue::String(a.value(row)),
                        ColumnRef::Float(a) => ColumnValue::Double(a.value(row)),
                        ColumnRef::Count(a) => ColumnValue::UInt(a.value(row)),
                        ColumnRef::BigCount(a) => match i64::try_from(a.value(row)) {
                            Ok(v) => ColumnValue::Long(v),
                            Err(_) => {
                                too_big = Some((names[i], a.value(row)));
                                continue;
                            }
                        },
                        ColumnRef::Bool(a) => ColumnValue::Bool(a.value(row)),
                    };
                    // The feature writer only appends bytes: it cannot fail.
                    feature.property(i, names[i], &value).expect("a property is appended");
                }
            })
            .map_err(|e| geozero_err(&file, e))?;
            if let Some((name, v)) = too_big {
                return Err(file.err(std::io::Error::other(format!(
                    "column {name}: {v} does not fit a FlatGeobuf Long (a signed 64-bit integer)"
                ))));
            }
        }
    }
    fgb.write(file.writer()).map_err(|e| fgb_err(&file, e))?;
    file.finish()
}
