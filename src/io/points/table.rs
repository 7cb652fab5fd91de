//! Points held in memory, a table's rows (the Python package's
//! GeoDataFrames): read like a GeoJSON file's features, with the same field
//! names, checks and messages. A row is located by its 0-based position
//! (`row 3`), its default id is `row-<position>`, and a value missing from a
//! column (null, NaN) counts as absent. `O(rows × fields)` plus
//! `O(vertices)` per polygon.

use std::borrow::Cow;
use std::path::Path;

use geo::{Coord, LineString, MultiPolygon, Polygon};

use crate::error::{Error, Result};

use super::fields::{Builder, CsvColumns, Field, Props, assign, check_lonlat, parse_number};
use super::geojson::centroid_of;
use super::{InputFormat, ReadReport, Sink};

/// Points as a table in memory: one geometry per row and named columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PointsTable {
    /// Each row's geometry (longitude, latitude in degrees).
    pub geometry: Vec<TableGeometry>,
    /// The columns, each with one value per row. Names are matched as a
    /// file's columns are (`category`, `类别`, `pop`, ...); columns naming no
    /// field ([`field_columns`]) are only named in messages and may come
    /// without values, and so may longitude/latitude columns (the geometry
    /// places a row).
    pub columns: Vec<TableColumn>,
}

/// A row's geometry: a point is taken where it is, a polygon at its centroid.
#[derive(Debug, Clone, PartialEq)]
pub enum TableGeometry {
    /// No geometry (null or empty).
    Missing,
    /// A position.
    Point([f64; 2]),
    /// A polygon's rings, the exterior first.
    Polygon(Vec<Vec<[f64; 2]>>),
    /// Polygons' rings.
    MultiPolygon(Vec<Vec<Vec<[f64; 2]>>>),
    /// Another geometry type, by its name (`LineString`, ...).
    Other(String),
}

/// A named column.
#[derive(Debug, Clone, PartialEq)]
pub struct TableColumn {
    /// Its name.
    pub name: String,
    /// One value per row.
    pub values: Vec<Cell>,
}

/// One value of a column.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Null, NaN or absent.
    Missing,
    /// Text.
    Text(String),
    /// An integer.
    Integer(i64),
    /// A floating-point number.
    Number(f64),
    /// A value of another kind, described for messages (`a boolean`, `a list`).
    Other(String),
}

/// The columns of `names` that name a field of a points file (so only those
/// need to be handed over), by position.
pub fn field_columns<'a>(names: impl Iterator<Item = &'a str>) -> Vec<usize> {
    let mut used: Vec<usize> = assign(names)
        .iter()
        .enumerate()
        .filter(|(f, _)| *f != Field::Lon.idx() && *f != Field::Lat.idx())
        .filter_map(|(_, i)| *i)
        .collect();
    used.sort_unstable();
    used
}

/// One row of a table, seen through the field names.
struct TableRow<'a> {
    table: &'a PointsTable,
    /// Column of each field.
    idx: &'a [Option<usize>; super::fields::N_FIELDS],
    row: usize,
}

impl TableRow<'_> {
    fn cell(&self, f: Field) -> Option<(&str, &Cell)> {
        let c = &self.table.columns[self.idx[f.idx()]?];
        Some((c.name.as_str(), c.values.get(self.row).unwrap_or(&Cell::Missing)))
    }
}

impl Props for TableRow<'_> {
    fn text(&self, f: Field) -> Result<Option<Cow<'_, str>>, String> {
        match self.cell(f) {
            None | Some((_, Cell::Missing)) => Ok(None),
            Some((_, Cell::Text(s))) => {
                let s = s.trim();
                Ok((!s.is_empty()).then_some(Cow::Borrowed(s)))
            }
            Some((_, Cell::Integer(i))) => Ok(Some(Cow::Owned(i.to_string()))),
            // As a GeoJSON number property reads: `1.5`, `2.0`.
            Some((_, Cell::Number(v))) => {
                Ok(Some(Cow::Owned(serde_json::Number::from_f64(*v).map_or_else(|| v.to_string(), |n| n.to_string()))))
            }
            Some((name, Cell::Other(kind))) => Err(format!("{} must be text, not {kind} (column {name:?})", f.what())),
        }
    }

    fn number(&self, f: Field) -> Result<Option<f64>, String> {
        match self.cell(f) {
            None | Some((_, Cell::Missing)) => Ok(None),
            Some((_, Cell::Number(v))) => Ok(Some(*v)),
            Some((_, Cell::Integer(i))) => Ok(Some(*i as f64)),
            Some((_, Cell::Text(s))) if s.trim().is_empty() => Ok(None),
            Some((name, Cell::Text(s))) => parse_number(s.trim(), false)
                .map(Some)
                .ok_or_else(|| format!("{} {s:?} is not a number (column {name:?})", f.what())),
            Some((name, Cell::Other(kind))) => Err(format!("{} is {kind}, not a number (column {name:?})", f.what())),
        }
    }
}

/// A point's position or a polygon's centroid, every vertex checked as the GeoJSON reader checks it.
fn position(g: &TableGeometry) -> Result<[f64; 2], String> {
    let vertex = |p: &[f64; 2]| check_lonlat(p[0], p[1]).map(|_| Coord { x: p[0], y: p[1] });
    let polygon = |rings: &[Vec<[f64; 2]>]| -> Result<Polygon<f64>, String> {
        let mut lines = Vec::with_capacity(rings.len());
        for ring in rings {
            let coords = ring.iter().map(vertex).collect::<Result<Vec<_>, _>>().map_err(|m| format!("vertex: {m}"))?;
            lines.push(LineString::new(coords));
        }
        let mut lines = lines.into_iter();
        let exterior = lines.next().unwrap_or_else(|| LineString::new(Vec::new()));
        Ok(Polygon::new(exterior, lines.collect()))
    };
    match g {
        TableGeometry::Missing => Err("has no geometry (null)".into()),
        TableGeometry::Point([x, y]) => check_lonlat(*x, *y),
        TableGeometry::Polygon(rings) => {
            let poly = polygon(rings).map_err(|m| format!("Polygon {m}"))?;
            centroid_of(crate::geometry::polygon_position(&poly), "Polygon")
        }
        TableGeometry::MultiPolygon(parts) => {
            let polys = parts
                .iter()
                .map(|rings| polygon(rings))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|m| format!("MultiPolygon {m}"))?;
            centroid_of(crate::geometry::area_position(&MultiPolygon::new(polys)), "MultiPolygon")
        }
        TableGeometry::Other(t) => {
            Err(format!("geometry type {t} is not supported; use Point, Polygon or MultiPolygon"))
        }
    }
}

pub(super) fn read_table<B: Builder>(
    name: &Path,
    table: &PointsTable,
    skip: bool,
    builder: &B,
) -> Result<(Vec<B::Point>, ReadReport)> {
    let rows = table.geometry.len();
    let header: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    let mut idx = assign(header.iter().map(String::as_str));
    idx[Field::Lon.idx()] = None;
    idx[Field::Lat.idx()] = None;
    if let Some(c) = idx.iter().flatten().map(|&i| &table.columns[i]).find(|c| c.values.len() != rows) {
        return Err(Error::bad_input(
            name,
            "",
            format!("column {:?} has {} values for {rows} geometries", c.name, c.values.len()),
        ));
    }
    let cols = CsvColumns { idx, header, decimal_comma: false };
    builder.check_columns(&cols).map_err(|m| Error::bad_input(name, "", m))?;
    let mut sink = Sink::new(name, skip, InputFormat::Table);
    sink.points.reserve(rows);
    for (i, g) in table.geometry.iter().enumerate() {
        let row = TableRow { table, idx: &cols.idx, row: i };
        let outcome = position(g).and_then(|ll| builder.build(&row, i, ll, ("row", i)));
        sink.row(outcome, || format!("row {i}"))?;
    }
    Ok(sink.finish())
}
