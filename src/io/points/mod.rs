//! Readers for user-supplied points: facilities and homes from CSV or GeoJSON.
//!
//! Planners bring their own facility lists (AutoNavi / Baidu POI exports,
//! district registers) and homes (residential compounds, population grids).
//! [`read_facilities`] and [`read_homes`] turn such a file into points with
//! `[longitude, latitude]` positions exactly as written in the file (no datum
//! conversion happens here: GCJ-02 / BD-09 inputs are converted by the caller).
//!
//! ## Format detection (by content, never by file extension)
//!
//! 1. A UTF-16 file (Excel's "Unicode Text", `FF FE` / `FE FF` byte-order
//!    mark) is decoded to UTF-8 first; a UTF-8 byte-order mark is skipped.
//! 2. Leading whitespace is skipped. Nothing left: error `empty file`.
//! 3. The first character `{` or `[`: **GeoJSON**. Accepted are a
//!    `FeatureCollection` and a single `Feature`; a bare geometry, a JSON array
//!    or any other JSON is a whole-file error. JSON that does not parse is an
//!    error naming serde_json's line and column.
//! 4. Otherwise **CSV**, provided the header line names a longitude and a
//!    latitude column; if not, the error starts with `neither CSV nor GeoJSON:`
//!    and lists the columns found.
//!
//! ## Column (CSV) and property (GeoJSON) names
//!
//! Names are matched after trimming spaces and a byte-order mark,
//! case-insensitively. When several columns name the same thing, the one whose
//! name comes first in this table wins (`lon` beats `x`, `category` beats
//! `type`); among equal names the leftmost column wins.
//!
//! | meaning | accepted names, by priority | used by |
//! |---|---|---|
//! | longitude | `longitude`, `lon`, `lng`, `long`, `经度`, `x` | CSV only (GeoJSON uses the geometry) |
//! | latitude | `latitude`, `lat`, `纬度`, `y` | CSV only |
//! | category | `category`, `类别`, `type`, `类型` | facilities (required) |
//! | name | `name`, `名称` | facilities (optional) |
//! | capacity | `capacity`, `容量` | facilities (optional, ≥ 0) |
//! | population | `population`, `pop`, `人口` | homes (optional, ≥ 0, default 1) |
//! | id | `id` | both (optional) |
//!
//! A category is resolved with [`Taxonomy::resolve_category`] (key, English or
//! Chinese label, alias: `幼儿园` → `childcare`, `超市` → `grocery`). An
//! AutoNavi-style path such as `购物服务;超级市场;超市` that does not resolve as
//! a whole is tried part by part from the last (most specific) part.
//!
//! ### CSV
//!
//! A header line is required. The delimiter is detected from the header line:
//! whichever of comma, tab and semicolon occurs most often outside quotes
//! (comma on a tie). In a semicolon-delimited file a decimal comma (`116,39`)
//! is accepted. Every record must have as many fields as the header. Records
//! whose fields are all empty (Excel's trailing `,,,` lines) are ignored. A
//! record is located by its **line number, the header being line 1**
//! (`row 7`), which is also [`UserHome::row`] / [`UserFacility::row`]; a
//! missing or empty id becomes `row-<line>`.
//!
//! ### GeoJSON
//!
//! A `Point` feature is taken at its position, a `Polygon` or `MultiPolygon`
//! at its area centroid (geo's [`Centroid`](geo::Centroid), computed on longitude/latitude).
//! Other geometry types and a null geometry are row errors. Properties use the
//! names above; numbers may be JSON numbers or numeric strings. The id is the
//! feature's `id` member, else its `id` property, else `feature-<index>`.
//! Features are located by their **0-based index** in the collection
//! (`feature 3`; a lone Feature is `feature 0`).
//!
//! ## Errors
//!
//! Whole-file problems (unreadable file, not CSV nor GeoJSON, no longitude or
//! latitude column, no category column for facilities, invalid JSON) are
//! always returned as [`Error`] with an empty location. A header-only CSV or an
//! empty `FeatureCollection` is *not* an error: zero points is a valid answer.
//!
//! Row problems (missing, non-numeric, non-finite or out-of-range coordinate;
//! missing or unknown category; negative or non-numeric population or
//! capacity; wrong number of fields; unsupported geometry) name the file, the
//! row or feature, and the problem. Without `skip_bad_rows` the first one is
//! returned as the error; with it, bad rows are skipped and reported in
//! [`ReadReport::skipped`] (at most [`MAX_SKIPPED_MESSAGES`] messages kept,
//! [`ReadReport::skipped_count`] counts all).
//!
//! ## Complexity
//!
//! Time `O(file size)` (plus `O(vertices)` per polygon); memory `O(file size +
//! points)`: the file is read whole, after checking that it is a regular file
//! of at most [`crate::io::limits::MAX_POINTS_FILE_BYTES`]; a CSV line may not
//! pass [`crate::io::limits::MAX_LINE_BYTES`]; GeoJSON features are parsed one
//! at a time ([`crate::io::geojson_in`]). The CSV hot path reuses one
//! [`csv::ByteRecord`](::csv::ByteRecord) and allocates only the id string of each point; one
//! million home rows read in well under a second in release builds (see
//! `benches/read_points.rs`).

mod csv;
mod fields;
mod geojson;
mod table;

use std::fmt;
use std::path::Path;

use crate::error::{Error, Result};
use crate::ids::CategoryId;
use crate::taxonomy::Taxonomy;

use self::csv::read_csv;
use self::geojson::read_geojson;

pub use fields::MAX_QUANTITY;
use fields::{Builder, FacilityBuilder, HomeBuilder, accepted_categories};
pub use table::{Cell, PointsTable, TableColumn, TableGeometry, field_columns};

/// At most this many skipped-row messages are kept in [`ReadReport::skipped`].
pub const MAX_SKIPPED_MESSAGES: usize = 100;

/// A facility read from a user file.
#[derive(Debug, Clone, PartialEq)]
pub struct UserFacility {
    /// CSV: line number of the record (header = line 1). GeoJSON: 0-based feature index.
    pub row: usize,
    /// The `id` column / feature id, else `row-<line>` (CSV) or `feature-<index>` (GeoJSON).
    pub id: String,
    /// The resolved service category.
    pub category: CategoryId,
    /// The `name` / `名称` value, if present and not blank.
    pub name: Option<String>,
    /// The `capacity` / `容量` value, if present (finite, ≥ 0).
    pub capacity: Option<f64>,
    /// `[longitude, latitude]` in degrees, as written in the file (a polygon's centroid).
    pub lonlat: [f64; 2],
}

/// A home (residential compound, population grid cell, ...) read from a user file.
#[derive(Debug, Clone, PartialEq)]
pub struct UserHome {
    /// CSV: line number of the record (header = line 1). GeoJSON: 0-based feature index.
    pub row: usize,
    /// The `id` column / feature id, else `row-<line>` (CSV) or `feature-<index>` (GeoJSON).
    pub id: String,
    /// The `population` / `pop` / `人口` value (finite, ≥ 0); 1 when absent or blank.
    pub population: f64,
    /// `[longitude, latitude]` in degrees, as written in the file (a polygon's centroid).
    pub lonlat: [f64; 2],
}

/// The file format, as detected from the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputFormat {
    /// Delimited text with a header line (comma, tab or semicolon).
    Csv,
    /// A GeoJSON FeatureCollection or Feature.
    GeoJson,
    /// A table in memory ([`PointsTable`]).
    Table,
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputFormat::Csv => "CSV",
            InputFormat::GeoJson => "GeoJSON",
            InputFormat::Table => "table",
        })
    }
}

/// What a read found besides the points.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadReport {
    /// The detected format.
    pub format: InputFormat,
    /// Data records (CSV, blank records excluded) or features (GeoJSON) seen, good and skipped.
    pub rows: usize,
    /// `(location, problem)` of skipped rows, e.g. `("row 7", "missing longitude (column \"lng\")")`;
    /// at most [`MAX_SKIPPED_MESSAGES`] entries, in file order.
    pub skipped: Vec<(String, String)>,
    /// Number of skipped rows, including those beyond [`MAX_SKIPPED_MESSAGES`].
    pub skipped_count: usize,
}

/// Reads facilities from a CSV or GeoJSON file (format detected by content; see the module docs).
///
/// Categories are resolved with `taxonomy`. With `skip_bad_rows`, bad rows are
/// skipped and listed in the report; otherwise the first bad row is the error.
pub fn read_facilities(
    path: &Path,
    taxonomy: &Taxonomy,
    skip_bad_rows: bool,
) -> Result<(Vec<UserFacility>, ReadReport)> {
    let builder = FacilityBuilder { taxonomy, accepted: accepted_categories(taxonomy) };
    read_points(path, skip_bad_rows, &builder)
}

/// Reads homes from a CSV or GeoJSON file (format detected by content; see the module docs).
///
/// With `skip_bad_rows`, bad rows are skipped and listed in the report;
/// otherwise the first bad row is the error.
pub fn read_homes(path: &Path, skip_bad_rows: bool) -> Result<(Vec<UserHome>, ReadReport)> {
    read_points(path, skip_bad_rows, &HomeBuilder)
}

/// [`read_facilities`] on a file's bytes already in memory; `path` names it in errors.
pub fn read_facilities_bytes(
    path: &Path,
    bytes: Vec<u8>,
    taxonomy: &Taxonomy,
    skip_bad_rows: bool,
) -> Result<(Vec<UserFacility>, ReadReport)> {
    let builder = FacilityBuilder { taxonomy, accepted: accepted_categories(taxonomy) };
    read_points_bytes(path, bytes, skip_bad_rows, &builder)
}

/// [`read_homes`] on a file's bytes already in memory; `path` names it in errors.
pub fn read_homes_bytes(path: &Path, bytes: Vec<u8>, skip_bad_rows: bool) -> Result<(Vec<UserHome>, ReadReport)> {
    read_points_bytes(path, bytes, skip_bad_rows, &HomeBuilder)
}

/// [`read_facilities`] on a table in memory; `name` names it in errors (see [`PointsTable`]).
pub fn read_facilities_table(
    name: &Path,
    table: &PointsTable,
    taxonomy: &Taxonomy,
    skip_bad_rows: bool,
) -> Result<(Vec<UserFacility>, ReadReport)> {
    let builder = FacilityBuilder { taxonomy, accepted: accepted_categories(taxonomy) };
    table::read_table(name, table, skip_bad_rows, &builder)
}

/// [`read_homes`] on a table in memory; `name` names it in errors (see [`PointsTable`]).
pub fn read_homes_table(name: &Path, table: &PointsTable, skip_bad_rows: bool) -> Result<(Vec<UserHome>, ReadReport)> {
    table::read_table(name, table, skip_bad_rows, &HomeBuilder)
}

// ---------------------------------------------------------------------------
// The reading frame

/// Collects points and row errors.
struct Sink<'a, T> {
    path: &'a Path,
    skip: bool,
    points: Vec<T>,
    report: ReadReport,
}

impl<'a, T> Sink<'a, T> {
    fn new(path: &'a Path, skip: bool, format: InputFormat) -> Self {
        Sink {
            path,
            skip,
            points: Vec::new(),
            report: ReadReport { format, rows: 0, skipped: Vec::new(), skipped_count: 0 },
        }
    }

    /// Records one row's outcome; a bad row is the error unless rows are skipped.
    #[inline]
    fn row(&mut self, outcome: Result<T, String>, location: impl FnOnce() -> String) -> Result<()> {
        self.report.rows += 1;
        match outcome {
            Ok(p) => {
                self.points.push(p);
                Ok(())
            }
            Err(message) => self.bad(location(), message),
        }
    }

    fn bad(&mut self, location: String, message: String) -> Result<()> {
        if !self.skip {
            return Err(Error::bad_input(self.path, location, message));
        }
        self.report.skipped_count += 1;
        if self.report.skipped.len() < MAX_SKIPPED_MESSAGES {
            self.report.skipped.push((location, message));
        }
        Ok(())
    }

    fn finish(self) -> (Vec<T>, ReadReport) {
        (self.points, self.report)
    }
}

fn read_points<B: Builder>(path: &Path, skip: bool, builder: &B) -> Result<(Vec<B::Point>, ReadReport)> {
    let raw = crate::io::limits::read_bounded(path, crate::io::limits::MAX_POINTS_FILE_BYTES, "points file")?;
    read_points_bytes(path, raw, skip, builder)
}

fn read_points_bytes<B: Builder>(
    path: &Path,
    raw: Vec<u8>,
    skip: bool,
    builder: &B,
) -> Result<(Vec<B::Point>, ReadReport)> {
    let bytes = decode_utf16(path, raw)?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let lead = body.iter().take_while(|b| b.is_ascii_whitespace()).count();
    match body.get(lead) {
        None => Err(Error::bad_input(path, "", "empty file")),
        Some(b'{' | b'[') => read_geojson(path, body, skip, builder),
        Some(_) => {
            let line_offset = body[..lead].iter().filter(|&&b| b == b'\n').count();
            read_csv(path, &body[lead..], line_offset, skip, builder)
        }
    }
}

/// A UTF-16 file (with its byte-order mark) as UTF-8 bytes; other files unchanged.
fn decode_utf16(path: &Path, raw: Vec<u8>) -> Result<Vec<u8>> {
    let little = match raw.get(..2) {
        Some([0xFF, 0xFE]) => true,
        Some([0xFE, 0xFF]) => false,
        _ => return Ok(raw),
    };
    let units = raw[2..]
        .chunks_exact(2)
        .map(|c| if little { u16::from_le_bytes([c[0], c[1]]) } else { u16::from_be_bytes([c[0], c[1]]) });
    let text: std::result::Result<String, _> = char::decode_utf16(units).collect();
    match text {
        Ok(t) if raw.len().is_multiple_of(2) => Ok(t.into_bytes()),
        _ => Err(Error::bad_input(path, "", "invalid UTF-16 text (the file starts with a UTF-16 byte-order mark)")),
    }
}
