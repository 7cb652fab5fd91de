//! A GeoDataFrame's points handed to the library without a file: the package
//! sends each row's geometry (points as coordinates, polygons as WKB) and
//! the columns that name a field, value by value; the library reads them as
//! it reads a file's rows ([`lifecircle::io::points::PointsTable`]), with
//! the same checks and messages. `O(rows × fields + polygon bytes)`.

use std::sync::Arc;

use lifecircle::io::points::{Cell, PointsTable, TableColumn, TableGeometry};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyFloat, PyInt, PyList, PyString};

use crate::value_error;

/// Points in memory, ready for `Network.analyze` (`facilities=`, `homes=`) or
/// `Run.site` (`candidates=`).
#[pyclass(frozen, module = "lifecircle._lifecircle")]
pub struct Table {
    /// The points.
    pub inner: Arc<PointsTable>,
    /// The name they go by in messages.
    pub name: String,
}

/// shapely's geometry type ids.
const MISSING: i32 = -1;
const POINT: i32 = 0;
const POLYGON: i32 = 3;
const MULTIPOLYGON: i32 = 6;

/// The name of a shapely geometry type id.
fn shapely_type_name(id: i32) -> &'static str {
    match id {
        1 => "LineString",
        2 => "LinearRing",
        4 => "MultiPoint",
        5 => "MultiLineString",
        7 => "GeometryCollection",
        _ => "an unknown geometry",
    }
}

/// A Python value as a table cell: `None` and NaN are missing, `bool` is
/// neither a number nor text (as in GeoJSON).
fn cell(v: &Bound<'_, PyAny>) -> PyResult<Cell> {
    if v.is_none() {
        return Ok(Cell::Missing);
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Cell::Text(s.to_cow()?.into_owned()));
    }
    if v.is_instance_of::<PyBool>() {
        return Ok(Cell::Other("a boolean".into()));
    }
    if v.is_instance_of::<PyInt>() {
        return Ok(match v.extract::<i64>() {
            Ok(i) => Cell::Integer(i),
            Err(_) => Cell::Number(v.extract::<f64>()?),
        });
    }
    if v.is_instance_of::<PyFloat>() {
        let x: f64 = v.extract()?;
        return Ok(if x.is_nan() { Cell::Missing } else { Cell::Number(x) });
    }
    let kind = v.get_type().name()?.to_string();
    Ok(Cell::Other(format!("a {kind}")))
}

#[pymethods]
impl Table {
    /// `kinds` are shapely's type ids per row (-1 for a missing or empty
    /// geometry); `xs`/`ys` place points; `wkb` holds polygons' WKB (2D).
    /// `columns` pairs every column's name with its values, or `None` for a
    /// column that names no field (see `field_columns`).
    #[new]
    fn new(
        name: String,
        kinds: Vec<i32>,
        xs: Vec<f64>,
        ys: Vec<f64>,
        wkb: Vec<Option<Bound<'_, PyBytes>>>,
        columns: Vec<(String, Option<Bound<'_, PyList>>)>,
    ) -> PyResult<Table> {
        let n = kinds.len();
        if xs.len() != n || ys.len() != n || wkb.len() != n {
            return Err(value_error("kinds, xs, ys and wkb must have one value per row"));
        }
        let mut geometry = Vec::with_capacity(n);
        for i in 0..n {
            geometry.push(match kinds[i] {
                MISSING => TableGeometry::Missing,
                POINT => TableGeometry::Point([xs[i], ys[i]]),
                k @ (POLYGON | MULTIPOLYGON) => {
                    let bytes = wkb[i].as_ref().ok_or_else(|| value_error(format!("row {i}: no WKB for a polygon")))?;
                    crate::wkb::polygonal(bytes.as_bytes())
                        .map_err(|m| value_error(format!("{name}: row {i}: {m} (type id {k})")))?
                }
                k => TableGeometry::Other(shapely_type_name(k).to_string()),
            });
        }
        let mut out = Vec::with_capacity(columns.len());
        for (column, values) in columns {
            let values = match values {
                None => Vec::new(),
                Some(list) => list.iter().map(|v| cell(&v)).collect::<PyResult<Vec<Cell>>>()?,
            };
            out.push(TableColumn { name: column, values });
        }
        Ok(Table { inner: Arc::new(PointsTable { geometry, columns: out }), name })
    }

    /// How many rows.
    fn __len__(&self) -> usize {
        self.inner.geometry.len()
    }

    /// The name the points go by in messages.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }
}

/// The positions in `names` of the columns that name a field of a points
/// file (category, name, id, capacity, population and their aliases), in
/// order: only those need values.
#[pyfunction]
pub fn field_columns(names: Vec<String>) -> Vec<usize> {
    lifecircle::io::points::field_columns(names.iter().map(String::as_str))
}
