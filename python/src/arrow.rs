//! A layer of the library ([`lifecircle::output::layer::Layer`]) as an Arrow
//! table handed to Python through the Arrow PyCapsule interface
//! (`__arrow_c_stream__`), which pyarrow and `geopandas.GeoDataFrame.from_arrow`
//! read without a copy of the attributes.
//!
//! The table is the layer's attribute columns, as every output format has
//! them, then `geometry`: WKB with the `geoarrow.wkb` extension and the CRS
//! (EPSG:4326, longitude first), coordinates rounded to 7 decimals exactly as
//! the GeoJSON and GeoParquet writers round them
//! ([`lifecircle::output::format::parquet::append_wkb`]). One record batch
//! per chunk of the layer. `O(rows × columns + coordinates)`.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::BinaryBuilder;
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{ArrayRef, RecordBatch, RecordBatchIterator};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use lifecircle::output::format::parquet::append_wkb;
use lifecircle::output::layer::{Layer, chunks};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

/// The geometry column's name.
pub const GEOMETRY: &str = "geometry";

/// The CRS written in the geometry column's GeoArrow metadata.
pub const CRS: &str = "EPSG:4326";

/// The `geometry` field: binary WKB marked as `geoarrow.wkb` with its CRS.
pub fn geometry_field() -> Field {
    let metadata = HashMap::from([
        ("ARROW:extension:name".to_string(), "geoarrow.wkb".to_string()),
        (
            "ARROW:extension:metadata".to_string(),
            serde_json::json!({ "crs": CRS, "crs_type": "authority_code" }).to_string(),
        ),
    ]);
    Field::new(GEOMETRY, DataType::Binary, false).with_metadata(metadata)
}

/// A layer's rows as Arrow record batches, ready to hand to Python.
#[pyclass(frozen, module = "lifecircle._lifecircle")]
pub struct ArrowStream {
    name: String,
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
}

impl ArrowStream {
    /// All of `layer`'s rows, one batch per chunk, attributes then `geometry`.
    pub fn from_layer(layer: &dyn Layer) -> Result<ArrowStream, ArrowError> {
        let attributes = layer.schema();
        let mut fields: Vec<Field> = attributes.fields().iter().map(|f| f.as_ref().clone()).collect();
        fields.push(geometry_field());
        let schema = Arc::new(Schema::new(fields));
        let mut batches = Vec::new();
        let mut wkb = Vec::new();
        for rows in chunks(layer.len()) {
            let chunk = layer.chunk(rows);
            let n = chunk.geometry.len();
            let mut geometry = BinaryBuilder::with_capacity(n, n * 21);
            for g in &chunk.geometry {
                wkb.clear();
                append_wkb(&mut wkb, g);
                geometry.append_value(&wkb);
            }
            let mut columns: Vec<ArrayRef> = chunk.attributes.columns().to_vec();
            columns.push(Arc::new(geometry.finish()));
            batches.push(RecordBatch::try_new(schema.clone(), columns)?);
        }
        Ok(ArrowStream { name: layer.name().to_string(), schema, batches })
    }
}

#[pymethods]
impl ArrowStream {
    /// The Arrow PyCapsule stream of the table (any number of times).
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        // The schema is the layer's; a consumer asking for another casts afterwards.
        let _ = requested_schema;
        let batches: Vec<Result<RecordBatch, ArrowError>> = self.batches.iter().cloned().map(Ok).collect();
        let reader = RecordBatchIterator::new(batches, self.schema.clone());
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
            .map_err(|e| PyRuntimeError::new_err(format!("cannot export the Arrow stream: {e}")))
    }

    /// The layer's name (`coverage`, `facilities`, ...).
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// How many rows.
    fn __len__(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// The column names, the geometry last.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.schema.fields().iter().map(|f| f.name().clone()).collect()
    }
}
