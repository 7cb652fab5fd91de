//! Output formats: every layer written as GeoJSON, GeoParquet and FlatGeobuf,
//! then read back with readers that share no code with the writers — the
//! `parquet` crate's Arrow reader plus a WKB parser written here, and the
//! `flatgeobuf` crate's reader — and compared value for value with the
//! GeoJSON of the same layer (parsed by serde_json).
//!
//! Layers: a hand-built one (points, or multipolygons with holes and several
//! parts, and empty ones; nulls in every column type; unicode, quotes and control characters
//! in text; extreme integers; coordinates with more decimals than written),
//! a layer of three chunks (row groups), an empty layer, and the real
//! coverage and facilities layers of the Beijing fixture. Two writes of a
//! layer are byte-identical.
//!
//! `write_files_for_python` (ignored) leaves files for
//! `tests/python/test_formats.py` in `$LIFECIRCLE_FORMATS_DIR`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, UInt32Type, UInt64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, SchemaRef};
use flatgeobuf::geozero::{ColumnValue, GeomProcessor, PropertyProcessor};
use flatgeobuf::{ColumnType as FgbType, FallibleStreamingIterator, FeatureProperties, FgbReader, GeozeroGeometry};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use lifecircle::io::OutputDir;
use lifecircle::io::atomic::FinishedFile;
use lifecircle::output::layer::{
    CHUNK_ROWS, Chunk, ColumnSpec, ColumnType, Geom, GeometryKind, Layer, RowWriter, schema_of,
};
use lifecircle::output::layers::{CoverageLayer, FacilitiesLayer};
use lifecircle::output::{Format, write_layer};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use serde_json::{Map, Value, json};

use crate::common::beijing;
use crate::common::rng::SplitMix64;

// ---------------------------------------------------------------------------
// A hand-built layer

/// Rows made from their index alone (a fixed-seed generator per row), so
/// any chunk can be built on its own.
struct Mixed {
    name: String,
    kind: GeometryKind,
    rows: usize,
    schema: SchemaRef,
}

const TEXTS: [&str; 6] =
    ["北京邮电大学 东门", "café \"quoted\" \\ back\nnew line\ttab", "🏥 clinic", "", "control \u{1} char", "ü"];

impl Mixed {
    fn new(name: &str, kind: GeometryKind, rows: usize) -> Mixed {
        let schema = schema_of(&[
            ColumnSpec::required("id", ColumnType::Text),
            ColumnSpec::nullable("label", ColumnType::Text),
            ColumnSpec::nullable("value", ColumnType::Float),
            ColumnSpec::required("score", ColumnType::Float),
            ColumnSpec::nullable("count", ColumnType::Count),
            ColumnSpec::required("n", ColumnType::Count),
            ColumnSpec::nullable("total", ColumnType::BigCount),
            ColumnSpec::nullable("ok", ColumnType::Bool),
            ColumnSpec::required("flag", ColumnType::Bool),
        ]);
        Mixed { name: name.to_string(), kind, rows, schema }
    }

    /// A polygon around (x, y): a jittered CCW outer ring and up to two CW holes.
    fn polygon(rng: &mut SplitMix64, x: f64, y: f64) -> Polygon<f64> {
        let r = rng.float(0.002, 0.01);
        let n = rng.range(4, 9);
        let ring = |rng: &mut SplitMix64, r: f64, cx: f64, cy: f64, ccw: bool| {
            let mut pts: Vec<Coord<f64>> = (0..n)
                .map(|k| {
                    let a = std::f64::consts::TAU * k as f64 / n as f64;
                    let a = if ccw { a } else { -a };
                    let rr = r * rng.float(0.8, 1.0);
                    Coord { x: cx + rr * a.cos(), y: cy + rr * a.sin() }
                })
                .collect();
            pts.push(pts[0]);
            LineString::new(pts)
        };
        let outer = ring(rng, r, x, y, true);
        let holes = (0..rng.below(3))
            .map(|h| {
                let dx = if h == 0 { -r / 3.0 } else { r / 3.0 };
                ring(rng, r / 5.0, x + dx, y, false)
            })
            .collect();
        Polygon::new(outer, holes)
    }

    fn geometry(&self, rng: &mut SplitMix64) -> Geom<'static> {
        // More decimals than the 7 written: rounding is part of what is compared.
        let x = rng.float(-179.9, 179.9);
        let y = rng.float(-84.9, 84.9);
        match self.kind {
            GeometryKind::Point => Geom::Point([x, y]),
            GeometryKind::MultiPolygon => {
                let parts = rng.range(1, 3);
                let polys = (0..parts).map(|p| Mixed::polygon(rng, x + 0.03 * p as f64, y)).collect();
                Geom::MultiPolygon(Cow::Owned(MultiPolygon::new(polys)))
            }
        }
    }
}

impl Layer for Mixed {
    fn name(&self) -> &str {
        &self.name
    }
    fn geometry_kind(&self) -> GeometryKind {
        self.kind
    }
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
    fn len(&self) -> usize {
        self.rows
    }
    fn chunk(&self, rows: Range<usize>) -> Chunk<'_> {
        let mut w = RowWriter::new(self.schema.clone(), rows.len());
        let mut geometry = Vec::with_capacity(rows.len());
        for i in rows {
            let mut rng = SplitMix64::new(0x5EED_F0F0 ^ (i as u64).wrapping_mul(0x9E37_79B9));
            // Every nullable column is null on some rows (i % 5 == 1 for all of them at once).
            let all_null = i % 5 == 1;
            w.text(Some(&format!("row-{i}")));
            w.text((!all_null && i % 7 != 3).then(|| TEXTS[i % TEXTS.len()]));
            let values = [0.1, -3.25, 1e-9, 123_456_789.123_456, 0.0, -0.0, 2.0, f64::MAX, f64::MIN_POSITIVE];
            w.float((!all_null).then(|| values[i % values.len()] * if i % 2 == 0 { 1.0 } else { rng.unit() }));
            w.float(Some(i as f64 / 3.0));
            w.count((!all_null).then_some(if i % 3 == 0 { u32::MAX } else { (i * 7) as u32 }));
            w.count(Some(i as u32));
            let totals = [i64::MAX as u64, 0, (1 << 53) + 1, 42];
            w.big_count((!all_null).then(|| totals[i % totals.len()]));
            w.boolean((!all_null).then_some(i % 2 == 0));
            w.boolean(Some(i % 3 == 0));
            w.end_row();
            let g = self.geometry(&mut rng);
            // Now and then an empty multipolygon (a service area that reached nothing).
            let empty = self.kind == GeometryKind::MultiPolygon && i % 11 == 10;
            geometry.push(if empty { Geom::MultiPolygon(Cow::Owned(MultiPolygon::new(vec![]))) } else { g });
        }
        Chunk { attributes: w.finish(), geometry }
    }
}

// ---------------------------------------------------------------------------
// Writing

/// Writes `layer` in every format into `dir`; the paths by format.
fn write_all(layer: &dyn Layer, dir: &Path) -> BTreeMap<Format, PathBuf> {
    let out = OutputDir::prepare(dir).expect("output folder");
    let files = write_layer(layer, &out, &Format::ALL).expect("layer written");
    FinishedFile::commit_all(files).expect("files renamed");
    Format::ALL.iter().map(|f| (*f, dir.join(format!("{}.{}", layer.name(), f.extension())))).collect()
}

// ---------------------------------------------------------------------------
// Values as the GeoJSON text gives them

/// `x` as a reader of the GeoJSON writer's text sees it: written, then parsed by serde_json.
fn canon(x: f64) -> Value {
    serde_json::from_str(&serde_json::to_string(&x).expect("finite")).expect("a number")
}

/// One feature: `{"type": ..., "coordinates": ...}` and properties in column order.
#[derive(Debug, Clone, PartialEq)]
struct Feat {
    geometry: Value,
    properties: Map<String, Value>,
}

impl Feat {
    fn key(&self) -> String {
        format!("{}|{}", self.geometry, Value::Object(self.properties.clone()))
    }

    /// `[xmin, ymin, xmax, ymax]` of its coordinates (`None`: none).
    fn bbox(&self) -> Option<[f64; 4]> {
        fn walk(v: &Value, b: &mut [f64; 4]) {
            let a = v.as_array().expect("coordinates are arrays");
            if a.first().is_some_and(Value::is_number) {
                let (x, y) = (a[0].as_f64().unwrap(), a[1].as_f64().unwrap());
                *b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
            } else {
                a.iter().for_each(|c| walk(c, b));
            }
        }
        let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
        walk(&self.geometry["coordinates"], &mut b);
        (b[0] <= b[2]).then_some(b)
    }
}

fn geojson_features(path: &Path) -> Vec<Feat> {
    let v: Value = serde_json::from_slice(&std::fs::read(path).expect("geojson")).expect("valid JSON");
    assert_eq!(v["type"], "FeatureCollection");
    v["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| Feat {
            geometry: f["geometry"].clone(),
            properties: f["properties"].as_object().expect("properties").clone(),
        })
        .collect()
}

/// One Arrow value as GeoJSON gives it.
fn arrow_value(a: &dyn Array, row: usize) -> Value {
    if a.is_null(row) {
        return Value::Null;
    }
    match a.data_type() {
        DataType::Utf8 => Value::from(a.as_string::<i32>().value(row)),
        DataType::Float64 => canon(a.as_primitive::<Float64Type>().value(row)),
        DataType::UInt32 => Value::from(a.as_primitive::<UInt32Type>().value(row)),
        DataType::UInt64 => Value::from(a.as_primitive::<UInt64Type>().value(row)),
        DataType::Boolean => Value::from(a.as_boolean().value(row)),
        other => panic!("unexpected column type {other}"),
    }
}

// ---------------------------------------------------------------------------
// GeoParquet, read back

/// A strict little-endian ISO WKB reader (Point and MultiPolygon), independent of the writer.
struct Wkb<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Wkb<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let b: [u8; N] = self.bytes[self.at..self.at + N].try_into().expect("bytes left");
        self.at += N;
        b
    }
    fn header(&mut self, want_type: u32) {
        assert_eq!(self.take::<1>(), [1], "little-endian");
        assert_eq!(u32::from_le_bytes(self.take()), want_type, "WKB type");
    }
    fn count(&mut self) -> usize {
        u32::from_le_bytes(self.take()) as usize
    }
    fn xy(&mut self) -> Value {
        let x = f64::from_le_bytes(self.take());
        let y = f64::from_le_bytes(self.take());
        json!([canon(x), canon(y)])
    }

    /// The geometry as GeoJSON, checking every byte is used.
    fn parse(bytes: &[u8], kind: GeometryKind) -> Value {
        let mut r = Wkb { bytes, at: 0 };
        let g = match kind {
            GeometryKind::Point => {
                r.header(1);
                json!({"type": "Point", "coordinates": r.xy()})
            }
            GeometryKind::MultiPolygon => {
                r.header(6);
                let polys: Vec<Value> = (0..r.count())
                    .map(|_| {
                        r.header(3);
                        let rings: Vec<Value> =
                            (0..r.count()).map(|_| Value::Array((0..r.count()).map(|_| r.xy()).collect())).collect();
                        Value::Array(rings)
                    })
                    .collect();
                json!({"type": "MultiPolygon", "coordinates": polys})
            }
        };
        assert_eq!(r.at, bytes.len(), "trailing WKB bytes");
        g
    }
}

fn check_parquet(layer: &dyn Layer, path: &Path, reference: &[Feat]) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).expect("parquet file"))
        .expect("a Parquet file")
        .with_batch_size(CHUNK_ROWS);
    let meta = builder.metadata().clone();
    let schema = builder.schema().clone();

    // Columns: the layer's attributes with their types and nullability, then geometry and bbox.
    let attrs = layer.schema();
    let n_attr = attrs.fields().len();
    assert_eq!(schema.fields().len(), n_attr + 2);
    for (got, want) in schema.fields().iter().zip(attrs.fields()) {
        assert_eq!(
            (got.name(), got.data_type(), got.is_nullable()),
            (want.name(), want.data_type(), want.is_nullable())
        );
    }
    let geometry_field = schema.field(n_attr);
    assert_eq!((geometry_field.name().as_str(), geometry_field.data_type()), ("geometry", &DataType::Binary));
    let bbox_field = schema.field(n_attr + 1);
    assert_eq!(bbox_field.name(), "bbox");
    match bbox_field.data_type() {
        DataType::Struct(fields) => {
            let names: Vec<(&str, &DataType)> = fields.iter().map(|f| (f.name().as_str(), f.data_type())).collect();
            assert_eq!(names, ["xmin", "ymin", "xmax", "ymax"].map(|n| (n, &DataType::Float64)));
        }
        other => panic!("bbox is {other}"),
    }

    // One row group per chunk of the layer, every column chunk ZSTD-compressed.
    let chunk_ranges = lifecircle::output::layer::chunks(layer.len());
    let groups: Vec<i64> = meta.row_groups().iter().map(|g| g.num_rows()).collect();
    let want_groups: Vec<i64> = chunk_ranges.iter().filter(|r| !r.is_empty()).map(|r| r.len() as i64).collect();
    assert_eq!(groups, want_groups, "row groups");
    for g in meta.row_groups() {
        for c in g.columns() {
            assert!(matches!(c.compression(), Compression::ZSTD(_)), "{:?}: {:?}", c.column_path(), c.compression());
        }
    }

    // Rows: attributes identical to the layer's (Arrow equality), and to the GeoJSON.
    let mut rows_seen = 0;
    let mut total = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    let batches: Vec<RecordBatch> = builder.build().expect("reader").map(|b| b.expect("a batch")).collect();
    assert_eq!(batches.len(), want_groups.len(), "a batch per row group");
    for (batch, rows) in batches.iter().zip(&chunk_ranges) {
        let chunk = layer.chunk(rows.clone());
        for i in 0..n_attr {
            assert!(batch.column(i).as_ref() == chunk.attributes.column(i).as_ref(), "column {i} differs");
        }
        let geometry = batch.column(n_attr).as_binary::<i32>();
        let bbox = batch.column(n_attr + 1).as_struct();
        let corners: Vec<&arrow_array::Float64Array> =
            (0..4).map(|k| bbox.column(k).as_primitive::<Float64Type>()).collect();
        for row in 0..batch.num_rows() {
            let feat = Feat {
                geometry: Wkb::parse(geometry.value(row), layer.geometry_kind()),
                properties: (0..n_attr)
                    .map(|i| (attrs.field(i).name().clone(), arrow_value(batch.column(i).as_ref(), row)))
                    .collect(),
            };
            let reference = &reference[rows_seen + row];
            assert_eq!(&feat, reference, "row {}", rows_seen + row);
            // The covering box is the geometry's box, exactly.
            match reference.bbox() {
                Some(b) => {
                    assert!(!bbox.is_null(row));
                    let got: Vec<Value> = corners.iter().map(|c| canon(c.value(row))).collect();
                    assert_eq!(got, b.map(Value::from), "bbox of row {}", rows_seen + row);
                    let exact: Vec<f64> = corners.iter().map(|c| c.value(row)).collect();
                    total = [
                        total[0].min(exact[0]),
                        total[1].min(exact[1]),
                        total[2].max(exact[2]),
                        total[3].max(exact[3]),
                    ];
                }
                None => assert!(bbox.is_null(row), "an empty geometry has no box"),
            }
        }
        rows_seen += batch.num_rows();
    }
    assert_eq!(rows_seen, reference.len());

    // The `geo` metadata.
    let kv = meta.file_metadata().key_value_metadata().expect("key-value metadata");
    let geo = kv.iter().find(|k| k.key == "geo").and_then(|k| k.value.clone()).expect("geo metadata");
    let geo: Value = serde_json::from_str(&geo).expect("geo metadata is JSON");
    assert_eq!(geo["version"], "1.1.0");
    assert_eq!(geo["primary_column"], "geometry");
    let columns = geo["columns"].as_object().expect("columns");
    assert_eq!(columns.keys().collect::<Vec<_>>(), ["geometry"]);
    let g = &columns["geometry"];
    assert_eq!(g["encoding"], "WKB");
    assert_eq!(g["geometry_types"], json!([layer.geometry_kind().name()]));
    assert_eq!(g["crs"]["id"], json!({"authority": "OGC", "code": "CRS84"}));
    assert_eq!(g["crs"]["type"], "GeographicCRS");
    let axes: Vec<&str> = g["crs"]["coordinate_system"]["axis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["direction"].as_str().unwrap())
        .collect();
    assert_eq!(axes, ["east", "north"], "longitude first");
    assert_eq!(
        g["covering"],
        json!({"bbox": {"xmin": ["bbox", "xmin"], "ymin": ["bbox", "ymin"], "xmax": ["bbox", "xmax"], "ymax": ["bbox", "ymax"]}})
    );
    if total[0] <= total[2] {
        assert_eq!(g["bbox"], json!(total), "the file's bbox is the union of the rows'");
    } else {
        assert!(g.get("bbox").is_none(), "no bbox without coordinates");
    }
}

// ---------------------------------------------------------------------------
// FlatGeobuf, read back

/// Collects a feature's properties by column name.
#[derive(Default)]
struct Props(Map<String, Value>);

impl PropertyProcessor for Props {
    fn property(&mut self, _i: usize, name: &str, v: &ColumnValue) -> flatgeobuf::geozero::error::Result<bool> {
        let value = match v {
            ColumnValue::String(s) => Value::from(*s),
            ColumnValue::Double(x) => canon(*x),
            ColumnValue::UInt(x) => Value::from(*x),
            ColumnValue::Long(x) => Value::from(*x),
            ColumnValue::Bool(b) => Value::from(*b),
            other => panic!("unexpected FlatGeobuf value {other:?}"),
        };
        assert!(self.0.insert(name.to_string(), value).is_none(), "{name} twice");
        Ok(false)
    }
}

/// Collects a Point or MultiPolygon as GeoJSON coordinates.
#[derive(Default)]
struct Shape {
    point: Option<Value>,
    polygons: Vec<Value>,
    rings: Vec<Value>,
    ring: Vec<Value>,
    multi: bool,
}

impl GeomProcessor for Shape {
    fn xy(&mut self, x: f64, y: f64, _idx: usize) -> flatgeobuf::geozero::error::Result<()> {
        let c = json!([canon(x), canon(y)]);
        if self.multi {
            self.ring.push(c)
        } else {
            self.point = Some(c)
        }
        Ok(())
    }
    fn multipolygon_begin(&mut self, _size: usize, _idx: usize) -> flatgeobuf::geozero::error::Result<()> {
        self.multi = true;
        Ok(())
    }
    fn polygon_end(&mut self, tagged: bool, _idx: usize) -> flatgeobuf::geozero::error::Result<()> {
        assert!(!tagged, "a part of a multipolygon");
        self.polygons.push(Value::Array(std::mem::take(&mut self.rings)));
        Ok(())
    }
    fn linestring_end(&mut self, tagged: bool, _idx: usize) -> flatgeobuf::geozero::error::Result<()> {
        assert!(!tagged, "a ring");
        self.rings.push(Value::Array(std::mem::take(&mut self.ring)));
        Ok(())
    }
}

impl Shape {
    fn geojson(mut self) -> Value {
        // An empty multipolygon is stored as one part without coordinates
        // (GDAL reads `MULTIPOLYGON (EMPTY)`, see the Python test); this crate's
        // reader reports that part as a polygon with one empty ring.
        self.polygons.retain(|p| p.as_array().unwrap().iter().any(|r| !r.as_array().unwrap().is_empty()));
        match self.point {
            Some(c) => json!({"type": "Point", "coordinates": c}),
            None => json!({"type": "MultiPolygon", "coordinates": self.polygons}),
        }
    }
}

/// Every feature of a FlatGeobuf iterator, with absent properties as nulls in `columns` order.
fn fgb_features(
    mut it: impl FallibleStreamingIterator<Item = flatgeobuf::FgbFeature, Error = flatgeobuf::Error>,
    columns: &[String],
) -> Vec<Feat> {
    let mut out = Vec::new();
    while let Some(f) = it.next().expect("a feature") {
        let mut props = Props::default();
        f.process_properties(&mut props).expect("properties");
        let mut shape = Shape::default();
        f.process_geom(&mut shape).expect("geometry");
        let properties = columns.iter().map(|c| (c.clone(), props.0.remove(c).unwrap_or(Value::Null))).collect();
        assert!(props.0.is_empty(), "properties outside the columns: {:?}", props.0);
        out.push(Feat { geometry: shape.geojson(), properties });
    }
    out
}

fn sorted_keys(features: &[Feat]) -> Vec<String> {
    let mut k: Vec<String> = features.iter().map(Feat::key).collect();
    k.sort();
    k
}

fn check_fgb(layer: &dyn Layer, path: &Path, reference: &[Feat]) {
    let open = || FgbReader::open(File::open(path).expect("fgb file")).expect("a FlatGeobuf file");
    let reader = open();
    let header = reader.header();
    assert_eq!(header.features_count(), layer.len() as u64);
    assert_eq!(header.name(), Some(layer.name()));
    let want_type = match layer.geometry_kind() {
        GeometryKind::Point => flatgeobuf::GeometryType::Point,
        GeometryKind::MultiPolygon => flatgeobuf::GeometryType::MultiPolygon,
    };
    assert_eq!(header.geometry_type(), want_type);
    let node_size = if layer.is_empty() { 0 } else { 16 };
    assert_eq!(header.index_node_size(), node_size, "the packed R-tree is written (but for no feature)");
    let crs = header.crs().expect("a CRS");
    assert_eq!((crs.org(), crs.code()), (Some("EPSG"), 4326));
    let attrs = layer.schema();
    let columns: Vec<(String, FgbType, bool)> =
        header.columns().expect("columns").iter().map(|c| (c.name().to_string(), c.type_(), c.nullable())).collect();
    let want: Vec<(String, FgbType, bool)> = attrs
        .fields()
        .iter()
        .map(|f| {
            let t = match f.data_type() {
                DataType::Utf8 => FgbType::String,
                DataType::Float64 => FgbType::Double,
                DataType::UInt32 => FgbType::UInt,
                DataType::UInt64 => FgbType::Long,
                DataType::Boolean => FgbType::Bool,
                other => panic!("{other}"),
            };
            (f.name().clone(), t, f.is_nullable())
        })
        .collect();
    assert_eq!(columns, want);
    let names: Vec<String> = columns.into_iter().map(|c| c.0).collect();

    // All features: the same multiset as the GeoJSON (FlatGeobuf stores them in Hilbert order).
    let all = fgb_features(open().select_all().expect("select all"), &names);
    assert_eq!(all.len(), reference.len());
    assert_eq!(sorted_keys(&all), sorted_keys(reference));

    // The extent, and box queries through the index against a scan of the GeoJSON.
    let boxes: Vec<Option<[f64; 4]>> = reference.iter().map(Feat::bbox).collect();
    let mut extent = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for b in boxes.iter().flatten() {
        extent = [extent[0].min(b[0]), extent[1].min(b[1]), extent[2].max(b[2]), extent[3].max(b[3])];
    }
    if reference.is_empty() {
        return;
    }
    let envelope: Vec<f64> = header.envelope().expect("an envelope").iter().collect();
    assert_eq!(envelope, extent.to_vec());
    let mut rng = SplitMix64::new(0xFB6_B0C5);
    let mut queries = vec![extent, [200.0, 0.0, 210.0, 10.0]];
    for _ in 0..12 {
        let (x0, x1) = (rng.float(extent[0], extent[2]), rng.float(extent[0], extent[2]));
        let (y0, y1) = (rng.float(extent[1], extent[3]), rng.float(extent[1], extent[3]));
        queries.push([x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1)]);
    }
    // A box exactly on one feature's corner still finds it (closed boxes).
    if let Some(b) = boxes.iter().flatten().next() {
        queries.push([b[2], b[3], b[2], b[3]]);
    }
    let mut nonempty = 0;
    for q in queries {
        let expected: Vec<Feat> = reference
            .iter()
            .zip(&boxes)
            .filter(|(_, b)| b.is_some_and(|b| b[0] <= q[2] && q[0] <= b[2] && b[1] <= q[3] && q[1] <= b[3]))
            .map(|(f, _)| f.clone())
            .collect();
        let got = fgb_features(open().select_bbox(q[0], q[1], q[2], q[3]).expect("box query"), &names);
        assert_eq!(sorted_keys(&got), sorted_keys(&expected), "box {q:?}");
        nonempty += usize::from(!expected.is_empty());
    }
    assert!(nonempty >= 2, "the queries found something");
}

// ---------------------------------------------------------------------------
// The checks, per layer

/// Writes `layer` in every format, reads each back and compares with the GeoJSON; writes again and compares bytes.
fn check_layer(layer: &dyn Layer) {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = write_all(layer, dir.path());
    let reference = geojson_features(&files[&Format::GeoJson]);
    assert_eq!(reference.len(), layer.len());
    check_parquet(layer, &files[&Format::Parquet], &reference);
    check_fgb(layer, &files[&Format::Fgb], &reference);
    let again = tempfile::tempdir().expect("temp dir");
    let files2 = write_all(layer, again.path());
    for f in Format::ALL {
        let (a, b) = (std::fs::read(&files[&f]).unwrap(), std::fs::read(&files2[&f]).unwrap());
        assert!(a == b, "{f}: two writes differ");
    }
}

#[test]
fn hand_built_points_read_back_in_every_format() {
    check_layer(&Mixed::new("mixed_points", GeometryKind::Point, 200));
}

#[test]
fn hand_built_multipolygons_with_holes_read_back_in_every_format() {
    let layer = Mixed::new("mixed_polygons", GeometryKind::MultiPolygon, 60);
    // The layer does have holes and several parts, which the comparison then covers.
    let chunk = layer.chunk(0..60);
    let holes: usize = chunk
        .geometry
        .iter()
        .map(|g| match g {
            Geom::MultiPolygon(mp) => mp.0.iter().map(|p| p.interiors().len()).sum(),
            Geom::Point(_) => 0,
        })
        .sum();
    let multi = chunk.geometry.iter().filter(|g| matches!(g, Geom::MultiPolygon(mp) if mp.0.len() > 1)).count();
    let empty = chunk.geometry.iter().filter(|g| matches!(g, Geom::MultiPolygon(mp) if mp.0.is_empty())).count();
    assert!(holes > 10 && multi > 10 && empty > 2, "holes {holes}, multi-part {multi}, empty {empty}");
    check_layer(&layer);
}

#[test]
fn an_empty_layer_reads_back_empty() {
    check_layer(&Mixed::new("empty_points", GeometryKind::Point, 0));
    check_layer(&Mixed::new("empty_polygons", GeometryKind::MultiPolygon, 0));
}

#[test]
fn three_chunks_are_three_row_groups_one_index_and_geojson_in_order() {
    let layer = Mixed::new("big", GeometryKind::Point, 2 * CHUNK_ROWS + 3);
    let dir = tempfile::tempdir().expect("temp dir");
    let out = OutputDir::prepare(dir.path()).unwrap();
    let files = write_layer(&layer, &out, &[Format::Parquet, Format::Fgb, Format::GeoJson]).unwrap();
    FinishedFile::commit_all(files).unwrap();
    // GeoJSON is serialized in pieces of its own size: every row once, in order, equal to the Parquet rows.
    let reference = geojson_features(&dir.path().join("big.geojson"));
    assert!(reference.len() > 2 * lifecircle::output::format::geojson::PIECE_ROWS);
    let ids: Vec<&Value> = reference.iter().map(|f| &f.properties["id"]).collect();
    let want: Vec<Value> = (0..layer.len()).map(|i| json!(format!("row-{i}"))).collect();
    assert!(ids.iter().copied().eq(want.iter()), "GeoJSON rows in order");
    check_parquet(&layer, &dir.path().join("big.parquet"), &reference);
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(dir.path().join("big.parquet")).unwrap())
        .unwrap()
        .with_batch_size(CHUNK_ROWS);
    let groups: Vec<i64> = builder.metadata().row_groups().iter().map(|g| g.num_rows()).collect();
    assert_eq!(groups, [CHUNK_ROWS as i64, CHUNK_ROWS as i64, 3]);
    for (batch, rows) in builder.build().unwrap().zip(lifecircle::output::layer::chunks(layer.len())) {
        let batch = batch.unwrap();
        let chunk = layer.chunk(rows);
        for i in 0..chunk.attributes.num_columns() {
            assert!(batch.column(i).as_ref() == chunk.attributes.column(i).as_ref(), "column {i}");
        }
    }
    let reader = FgbReader::open(File::open(dir.path().join("big.fgb")).unwrap()).unwrap();
    assert_eq!(reader.header().features_count(), layer.len() as u64);
    let mut it = reader.select_all().unwrap();
    let mut ids = Vec::new();
    while let Some(f) = it.next().unwrap() {
        ids.push(f.property::<String>("id").unwrap());
    }
    ids.sort();
    let mut want: Vec<String> = (0..layer.len()).map(|i| format!("row-{i}")).collect();
    want.sort();
    assert_eq!(ids, want, "every row once");
}

/// A layer whose one 64-bit value does not fit FlatGeobuf's signed Long.
struct Huge;

impl Layer for Huge {
    fn name(&self) -> &str {
        "huge"
    }
    fn geometry_kind(&self) -> GeometryKind {
        GeometryKind::Point
    }
    fn schema(&self) -> SchemaRef {
        schema_of(&[ColumnSpec::required("big", ColumnType::BigCount)])
    }
    fn len(&self) -> usize {
        1
    }
    fn chunk(&self, _rows: Range<usize>) -> Chunk<'_> {
        let mut w = RowWriter::new(self.schema(), 1);
        w.big_count(Some(u64::MAX));
        w.end_row();
        Chunk { attributes: w.finish(), geometry: vec![Geom::Point([1.0, 2.0])] }
    }
}

#[test]
fn a_64_bit_value_beyond_flatgeobuf_long_is_an_error_not_a_wrap() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = OutputDir::prepare(dir.path()).unwrap();
    let err = write_layer(&Huge, &out, &[Format::Fgb]).err().expect("an error");
    let text = err.to_string();
    assert!(text.contains("huge.fgb") && text.contains("big") && text.contains(&u64::MAX.to_string()), "{text}");
    // GeoJSON and GeoParquet keep it exactly.
    let files = write_layer(&Huge, &out, &[Format::GeoJson, Format::Parquet]).unwrap();
    FinishedFile::commit_all(files).unwrap();
    let reference = geojson_features(&dir.path().join("huge.geojson"));
    assert_eq!(reference[0].properties["big"], json!(u64::MAX));
    check_parquet(&Huge, &dir.path().join("huge.parquet"), &reference);
    assert!(!dir.path().join("huge.fgb").exists());
}

#[test]
fn beijing_coverage_and_facilities_read_back_in_every_format() {
    use lifecircle::inputs::{MergeMode, PointsInput};
    let dir = tempfile::tempdir().expect("temp dir");
    // Clinics with capacities (2SFCA columns, null for the other categories), one without a name.
    let clinics = dir.path().join("clinics.csv");
    std::fs::write(
        &clinics,
        "id,name,category,lon,lat,capacity\nc1,北邮校医院 \"east\",clinic,116.3520,39.9610,50\nc2,,clinic,116.3500,39.9625,5\n",
    )
    .unwrap();
    let mut nulls_seen = [0usize; 2];
    for variant in 0..3 {
        let mut config = crate::common::config(&beijing(), &dir.path().join("run"));
        match variant {
            1 => config.minutes = vec![5.0, 10.0, 15.0],
            2 => {
                config.facilities_input = Some(PointsInput {
                    path: clinics.clone(),
                    crs: lifecircle::io::crs::Crs::Wgs84,
                    mode: MergeMode::Add,
                    table: None,
                })
            }
            _ => {}
        }
        let a = lifecircle::run(&config).expect("analysis");
        let coverage = CoverageLayer::new(&a);
        let facilities = FacilitiesLayer::new(&a);
        assert!(
            coverage.len() > 50 && facilities.len() > 5,
            "{} homes, {} facilities",
            coverage.len(),
            facilities.len()
        );
        let nulls = |l: &dyn Layer| {
            let c = l.chunk(0..l.len());
            c.attributes.columns().iter().map(|a| a.null_count()).sum::<usize>()
        };
        nulls_seen[0] += nulls(&coverage);
        nulls_seen[1] += nulls(&facilities);
        check_layer(&coverage);
        check_layer(&facilities);
    }
    // Nulls occur in the real layers too (unknown population, unnamed facilities, other categories' 2SFCA).
    assert!(nulls_seen[0] > 0 && nulls_seen[1] > 0, "{nulls_seen:?}");
}

#[test]
fn format_names_parse() {
    assert_eq!(Format::parse_list("geojson").unwrap(), [Format::GeoJson]);
    assert_eq!(Format::parse_list("fgb, GeoJSON,parquet,fgb").unwrap(), Format::ALL);
    assert_eq!(Format::parse_list("geoparquet,flatgeobuf").unwrap(), [Format::Parquet, Format::Fgb]);
    assert_eq!(Format::ALL.map(|f| f.extension()), ["geojson", "parquet", "fgb"]);
    let e = Format::parse_list("geojson,shp").unwrap_err().to_string();
    assert_eq!(e, "--format: unknown format \"shp\" (known: geojson, parquet, fgb)");
    let e = Format::parse_list(" , ").unwrap_err().to_string();
    assert_eq!(e, "--format: give at least one of geojson, parquet, fgb");
}

/// Leaves every format of the hand-built layers and the Beijing layers in
/// `$LIFECIRCLE_FORMATS_DIR`, for `tests/python/test_formats.py`:
/// `LIFECIRCLE_FORMATS_DIR=/tmp/x cargo test --test tests formats::write_files_for_python -- --ignored --exact`.
#[test]
#[ignore = "writes files for the Python readers' test"]
fn write_files_for_python() {
    let dir = PathBuf::from(std::env::var_os("LIFECIRCLE_FORMATS_DIR").expect("LIFECIRCLE_FORMATS_DIR is set"));
    let run = tempfile::tempdir().expect("temp dir");
    let a = lifecircle::run(&crate::common::config(&beijing(), run.path())).expect("analysis");
    let layers: Vec<Box<dyn Layer + '_>> = vec![
        Box::new(Mixed::new("mixed_points", GeometryKind::Point, 200)),
        Box::new(Mixed::new("mixed_polygons", GeometryKind::MultiPolygon, 60)),
        Box::new(Mixed::new("empty_points", GeometryKind::Point, 0)),
        Box::new(CoverageLayer::new(&a)),
        Box::new(FacilitiesLayer::new(&a)),
    ];
    for layer in &layers {
        write_all(layer.as_ref(), &dir);
    }
}
