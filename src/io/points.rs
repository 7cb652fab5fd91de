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
//! at its area centroid (geo's [`Centroid`], computed on longitude/latitude).
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
//! [`csv::ByteRecord`] and allocates only the id string of each point; one
//! million home rows read in well under a second in release builds (see
//! `benches/read_points.rs`).

use std::borrow::Cow;
use std::fmt;
use std::path::Path;

use geo::{Centroid, Coord, LineString, MultiPolygon, Polygon};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::ids::CategoryId;
use crate::io::geojson_in::{TopLevel, for_each_feature};
use crate::io::limits::{MAX_LINE_BYTES, human, overlong_line};
use crate::taxonomy::Taxonomy;

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
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputFormat::Csv => "CSV",
            InputFormat::GeoJson => "GeoJSON",
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

// ---------------------------------------------------------------------------
// Fields and their names

/// A value a row can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Lon,
    Lat,
    Category,
    Name,
    Id,
    Capacity,
    Population,
}

const FIELDS: [Field; 7] =
    [Field::Lon, Field::Lat, Field::Category, Field::Name, Field::Id, Field::Capacity, Field::Population];

impl Field {
    /// Accepted (lower-case) names, by priority.
    fn names(self) -> &'static [&'static str] {
        match self {
            Field::Lon => &["longitude", "lon", "lng", "long", "经度", "x"],
            Field::Lat => &["latitude", "lat", "纬度", "y"],
            Field::Category => &["category", "类别", "type", "类型"],
            Field::Name => &["name", "名称"],
            Field::Id => &["id"],
            Field::Capacity => &["capacity", "容量"],
            Field::Population => &["population", "pop", "人口"],
        }
    }

    /// What the field is, for messages.
    fn what(self) -> &'static str {
        match self {
            Field::Lon => "longitude",
            Field::Lat => "latitude",
            Field::Category => "category",
            Field::Name => "name",
            Field::Id => "id",
            Field::Capacity => "capacity",
            Field::Population => "population",
        }
    }

    fn idx(self) -> usize {
        self as usize
    }

    /// The priority of `name` (already normalised) for this field, if it names it.
    fn priority(self, name: &str) -> Option<usize> {
        self.names().iter().position(|n| *n == name)
    }

    /// The accepted names, for messages: `lon, lng, ...`.
    fn name_list(self) -> String {
        self.names().join(", ")
    }
}

/// Trimmed, byte-order-mark-free, lower-case column name.
fn normalise_name(name: &str) -> String {
    name.trim().trim_start_matches('\u{feff}').trim().to_lowercase()
}

/// For each field, the index of the name that names it best (lowest priority, then leftmost).
fn assign<'a>(names: impl Iterator<Item = &'a str>) -> [Option<usize>; 7] {
    let mut best: [Option<(usize, usize)>; 7] = [None; 7];
    for (i, raw) in names.enumerate() {
        let name = normalise_name(raw);
        for f in FIELDS {
            if let Some(p) = f.priority(&name)
                && best[f.idx()].is_none_or(|(bp, _)| p < bp)
            {
                best[f.idx()] = Some((p, i));
            }
        }
    }
    best.map(|b| b.map(|(_, i)| i))
}

// ---------------------------------------------------------------------------
// Row values, from a CSV record or GeoJSON properties

/// Values of one row; `None` when the column/property is absent or blank.
trait Props {
    fn text(&self, f: Field) -> Result<Option<Cow<'_, str>>, String>;
    fn number(&self, f: Field) -> Result<Option<f64>, String>;
}

/// Parses a trimmed number; `decimal_comma` also accepts `116,39`.
fn parse_number(text: &str, decimal_comma: bool) -> Option<f64> {
    match text.parse::<f64>() {
        Ok(v) => Some(v),
        Err(_) if decimal_comma && text.matches(',').count() == 1 && !text.contains('.') => {
            text.replace(',', ".").parse::<f64>().ok()
        }
        Err(_) => None,
    }
}

/// The CSV columns of a file.
struct CsvColumns {
    /// Column index of each field.
    idx: [Option<usize>; 7],
    /// The header as written, for messages.
    header: Vec<String>,
    /// Accept decimal commas (semicolon-delimited files).
    decimal_comma: bool,
}

impl CsvColumns {
    fn source(&self, f: Field) -> String {
        let i = self.idx[f.idx()].expect("source() is only called for a present column");
        format!("column {:?}", self.header[i].trim().trim_start_matches('\u{feff}'))
    }
}

struct CsvRow<'a> {
    rec: &'a csv::ByteRecord,
    cols: &'a CsvColumns,
}

impl CsvRow<'_> {
    /// The trimmed bytes of a field; `None` when the column is absent or the cell blank.
    #[inline]
    fn raw(&self, f: Field) -> Option<&[u8]> {
        let i = self.cols.idx[f.idx()]?;
        let v = self.rec.get(i).unwrap_or(b"").trim_ascii();
        (!v.is_empty()).then_some(v)
    }

    /// All fields are blank.
    fn is_blank(&self) -> bool {
        self.rec.iter().all(|v| v.trim_ascii().is_empty())
    }
}

impl Props for CsvRow<'_> {
    fn text(&self, f: Field) -> Result<Option<Cow<'_, str>>, String> {
        let Some(raw) = self.raw(f) else { return Ok(None) };
        match std::str::from_utf8(raw) {
            Ok(s) => Ok(Some(Cow::Borrowed(s.trim()))),
            Err(_) => Err(format!(
                "{} is not UTF-8 text ({}); save the file as UTF-8 (\"CSV UTF-8\" in Excel)",
                f.what(),
                self.cols.source(f)
            )),
        }
    }

    #[inline]
    fn number(&self, f: Field) -> Result<Option<f64>, String> {
        let Some(raw) = self.raw(f) else { return Ok(None) };
        let parsed = std::str::from_utf8(raw).ok().and_then(|s| parse_number(s, self.cols.decimal_comma));
        match parsed {
            Some(v) => Ok(Some(v)),
            None => Err(format!(
                "{} {:?} is not a number ({})",
                f.what(),
                String::from_utf8_lossy(raw),
                self.cols.source(f)
            )),
        }
    }
}

struct GeoProps<'a> {
    props: Option<&'a Map<String, Value>>,
    /// Property key of each field.
    keys: [Option<&'a str>; 7],
    /// The feature's `id` member, which wins over an `id` property.
    member_id: Option<String>,
}

impl<'a> GeoProps<'a> {
    fn new(props: Option<&'a Map<String, Value>>, member_id: Option<String>) -> Self {
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
    fn value(&self, f: Field) -> Option<(&'a str, &'a Value)> {
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

fn json_kind(v: &Value) -> &'static str {
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
// Checks

/// A valid WGS-84 position, or what is wrong with it.
fn check_lonlat(lon: f64, lat: f64) -> Result<[f64; 2], String> {
    for (v, what) in [(lon, "longitude"), (lat, "latitude")] {
        if !v.is_finite() {
            return Err(format!("{what} {v} is not a finite number"));
        }
    }
    let projected = lon.abs() > 1000.0 || lat.abs() > 1000.0;
    let hint = if projected { " (projected coordinates? lifecircle needs longitude/latitude in degrees)" } else { "" };
    if !(-180.0..=180.0).contains(&lon) {
        return Err(format!("longitude {} is out of range [-180, 180]{hint}", shown(lon)));
    }
    if !(-90.0..=90.0).contains(&lat) {
        let hint =
            if !projected && (-90.0..=90.0).contains(&lon) { " (longitude and latitude swapped?)" } else { hint };
        return Err(format!("latitude {} is out of range [-90, 90]{hint}", shown(lat)));
    }
    Ok([lon, lat])
}

/// The largest population or capacity accepted: a billion (more than any
/// city; sums of millions of them stay exact enough).
pub const MAX_QUANTITY: f64 = 1e9;

/// A number as a person reads it: `1e300` rather than its 301 digits.
fn shown(v: f64) -> String {
    let tiny = v != 0.0 && v.abs() < 1e-6;
    if v.is_finite() && (v.abs() >= 1e15 || tiny) { format!("{v:e}") } else { format!("{v}") }
}

/// An optional non-negative finite number of at most [`MAX_QUANTITY`].
fn non_negative(p: &impl Props, f: Field) -> Result<Option<f64>, String> {
    match p.number(f)? {
        Some(v) if !v.is_finite() => Err(format!("{} {v} is not a finite number", f.what())),
        Some(v) if v < 0.0 => Err(format!("{} {} is negative", f.what(), shown(v))),
        Some(v) if v > MAX_QUANTITY => {
            Err(format!("{} {} is larger than {MAX_QUANTITY:e}, not a real count", f.what(), shown(v)))
        }
        other => Ok(other),
    }
}

/// `accepted categories: grocery (便民商超), ...` for unknown-category messages.
fn accepted_categories(taxonomy: &Taxonomy) -> String {
    let keys: Vec<String> = taxonomy.categories.iter().map(|c| format!("{} ({})", c.key, c.label_zh)).collect();
    format!("accepted categories: {} — or an English/Chinese label or alias from the taxonomy", keys.join(", "))
}

/// The category a label names; an AutoNavi path `大类;中类;小类` is tried from its last part.
fn resolve(taxonomy: &Taxonomy, label: &str) -> Option<CategoryId> {
    taxonomy.resolve_category(label).or_else(|| {
        if label.contains([';', '|']) {
            label.rsplit([';', '|']).find_map(|part| taxonomy.resolve_category(part))
        } else {
            None
        }
    })
}

// ---------------------------------------------------------------------------
// Builders: one per point kind

/// Turns one row's values into a point.
trait Builder {
    type Point;
    /// Whole-file check of a CSV header; `Err` is the message.
    fn check_columns(&self, cols: &CsvColumns) -> Result<(), String>;
    /// Builds the point of a row whose position is known; `default_id` is used when there is no id.
    fn build<P: Props>(
        &self,
        p: &P,
        row: usize,
        lonlat: [f64; 2],
        default_id: (&str, usize),
    ) -> Result<Self::Point, String>;
}

fn id_of(p: &impl Props, default_id: (&str, usize)) -> Result<String, String> {
    Ok(match p.text(Field::Id)? {
        Some(id) => id.into_owned(),
        None => format!("{}-{}", default_id.0, default_id.1),
    })
}

struct FacilityBuilder<'a> {
    taxonomy: &'a Taxonomy,
    accepted: String,
}

impl Builder for FacilityBuilder<'_> {
    type Point = UserFacility;

    fn check_columns(&self, cols: &CsvColumns) -> Result<(), String> {
        if cols.idx[Field::Category.idx()].is_none() {
            return Err(format!(
                "no category column (one of {}); columns found: {}",
                Field::Category.name_list(),
                cols.header.join(", ")
            ));
        }
        Ok(())
    }

    fn build<P: Props>(
        &self,
        p: &P,
        row: usize,
        lonlat: [f64; 2],
        default_id: (&str, usize),
    ) -> Result<UserFacility, String> {
        let category = match p.text(Field::Category)? {
            None => return Err("missing category".to_string()),
            Some(label) => resolve(self.taxonomy, &label)
                .ok_or_else(|| format!("unknown category {:?}; {}", label.as_ref(), self.accepted))?,
        };
        let name = p.text(Field::Name)?.map(Cow::into_owned);
        let capacity = non_negative(p, Field::Capacity)?;
        let id = id_of(p, default_id)?;
        Ok(UserFacility { row, id, category, name, capacity, lonlat })
    }
}

struct HomeBuilder;

impl Builder for HomeBuilder {
    type Point = UserHome;

    fn check_columns(&self, _cols: &CsvColumns) -> Result<(), String> {
        Ok(())
    }

    #[inline]
    fn build<P: Props>(
        &self,
        p: &P,
        row: usize,
        lonlat: [f64; 2],
        default_id: (&str, usize),
    ) -> Result<UserHome, String> {
        let population = non_negative(p, Field::Population)?.unwrap_or(1.0);
        let id = id_of(p, default_id)?;
        Ok(UserHome { row, id, population, lonlat })
    }
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

// ---------------------------------------------------------------------------
// CSV

/// The delimiter occurring most often outside quotes in the header line (comma on a tie or none).
fn detect_delimiter(header: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in header {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b'\t' if !quoted => counts[1] += 1,
            b';' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let delimiters = [b',', b'\t', b';'];
    let mut best = 0;
    for i in 1..3 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    delimiters[best]
}

fn read_csv<B: Builder>(
    path: &Path,
    data: &[u8],
    line_offset: usize,
    skip: bool,
    builder: &B,
) -> Result<(Vec<B::Point>, ReadReport)> {
    let neither = |why: String| Error::bad_input(path, "", format!("neither CSV nor GeoJSON: {why}"));
    let first_line = data.split(|&b| b == b'\n').next().unwrap_or(data);
    if data.starts_with(b"PK\x03\x04") {
        return Err(neither("this is a ZIP archive (an Excel .xlsx workbook?); save it as \"CSV UTF-8\"".into()));
    }
    if std::str::from_utf8(first_line).is_err() {
        return Err(neither(
            "the first line is not UTF-8 text (a GBK/GB18030 export? save it as \"CSV UTF-8\")".into(),
        ));
    }
    if let Some(line) = overlong_line(data, MAX_LINE_BYTES) {
        let line = line + line_offset;
        return Err(if line == 1 {
            neither(format!("the first line is longer than {}", human(MAX_LINE_BYTES as u64)))
        } else {
            Error::bad_input(path, format!("row {line}"), format!("is longer than {}", human(MAX_LINE_BYTES as u64)))
        });
    }
    let delimiter = detect_delimiter(first_line);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .buffer_capacity(1 << 16)
        .from_reader(data);
    let header: Vec<String> = reader
        .byte_headers()
        .map_err(|e| neither(format!("cannot read the header line: {e}")))?
        .iter()
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .collect();
    let idx = assign(header.iter().map(String::as_str));
    let found = || {
        let names: Vec<&str> = header.iter().map(|h| h.trim().trim_start_matches('\u{feff}')).collect();
        format!("columns found: {}", names.join(", "))
    };
    for f in [Field::Lon, Field::Lat] {
        if idx[f.idx()].is_none() {
            return Err(neither(format!(
                "the header line has no {} column (one of {}); {}",
                f.what(),
                f.name_list(),
                found()
            )));
        }
    }
    let cols = CsvColumns { idx, header, decimal_comma: delimiter == b';' };
    builder.check_columns(&cols).map_err(|m| Error::bad_input(path, "", m))?;

    let mut sink = Sink::new(path, skip, InputFormat::Csv);
    // Rough size guess: avoids most re-allocations of the point vector.
    sink.points.reserve(data.len() / 64);
    let mut rec = csv::ByteRecord::new();
    let mut lines = LineCounter::new(data, line_offset);
    loop {
        match reader.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let line = lines.line_at(rec.position());
                let row = CsvRow { rec: &rec, cols: &cols };
                let outcome = csv_lonlat(&row).and_then(|ll| builder.build(&row, line, ll, ("row", line)));
                if outcome.is_err() && row.is_blank() {
                    continue;
                }
                sink.row(outcome, || format!("row {line}"))?;
            }
            Err(e) => match e.kind() {
                csv::ErrorKind::UnequalLengths { pos, expected_len, len } => {
                    let line = lines.line_at(pos.as_ref());
                    let message = format!(
                        "has {len} field{}, the header has {expected_len} (delimiter {:?})",
                        if *len == 1 { "" } else { "s" },
                        delimiter as char
                    );
                    sink.row(Err(message), || format!("row {line}"))?;
                }
                _ => return Err(Error::bad_input(path, "", format!("unreadable CSV: {e}"))),
            },
        }
    }
    Ok(sink.finish())
}

/// Line numbers of CSV records from their byte offsets.
///
/// csv's own `Position::line` miscounts after CRLF terminators and skipped
/// blank lines, and its byte offset points at the terminators preceding a
/// record, so the line is counted here: skip those terminators, then count
/// the newlines since the previous record (records come in file order, so the
/// whole file is scanned once).
struct LineCounter<'a> {
    data: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(data: &'a [u8], line_offset: usize) -> Self {
        LineCounter { data, pos: 0, line: 1 + line_offset }
    }

    /// The line of the record reported at byte `offset`.
    #[inline]
    fn line_at(&mut self, offset: Option<&csv::Position>) -> usize {
        let Some(offset) = offset else { return self.line };
        let mut start = usize::try_from(offset.byte()).unwrap_or(usize::MAX).min(self.data.len());
        while start < self.data.len() && matches!(self.data[start], b'\r' | b'\n') {
            start += 1;
        }
        if start > self.pos {
            self.line += self.data[self.pos..start].iter().filter(|&&b| b == b'\n').count();
            self.pos = start;
        }
        self.line
    }
}

/// The position of a CSV row.
#[inline]
fn csv_lonlat(row: &CsvRow<'_>) -> Result<[f64; 2], String> {
    let lon = row.number(Field::Lon)?;
    let lat = row.number(Field::Lat)?;
    match (lon, lat) {
        (Some(lon), Some(lat)) => check_lonlat(lon, lat),
        (None, _) => Err(format!("missing longitude ({})", row.cols.source(Field::Lon))),
        (_, None) => Err(format!("missing latitude ({})", row.cols.source(Field::Lat))),
    }
}

// ---------------------------------------------------------------------------
// GeoJSON

fn read_geojson<B: Builder>(path: &Path, body: &[u8], skip: bool, builder: &B) -> Result<(Vec<B::Point>, ReadReport)> {
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
const GEOMETRY_TYPES: [&str; 7] =
    ["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"];

fn read_feature<B: Builder>(feature: &Value, i: usize, builder: &B) -> Result<B::Point, String> {
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
fn geometry_position(g: &Value) -> Result<[f64; 2], String> {
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
            centroid_of(poly.centroid(), "Polygon")
        }
        Some("MultiPolygon") => {
            let Some(Value::Array(parts)) = coords else {
                return Err("MultiPolygon coordinates must be an array of polygons".into());
            };
            let polys =
                parts.iter().map(polygon).collect::<Result<Vec<_>, _>>().map_err(|m| format!("MultiPolygon {m}"))?;
            centroid_of(MultiPolygon::new(polys).centroid(), "MultiPolygon")
        }
        Some(t) => Err(format!("geometry type {t} is not supported; use Point, Polygon or MultiPolygon")),
        None => Err("geometry has no \"type\"".into()),
    }
}

fn centroid_of(c: Option<geo::Point<f64>>, what: &str) -> Result<[f64; 2], String> {
    let c = c.ok_or_else(|| format!("{what} is empty"))?;
    check_lonlat(c.x(), c.y()).map_err(|m| format!("{what} centroid: {m}"))
}

/// A `[lon, lat, ...]` position, checked.
fn position(v: &Value) -> Result<Coord<f64>, String> {
    let xy = match v {
        Value::Array(a) if a.len() >= 2 => a[0].as_f64().zip(a[1].as_f64()),
        _ => None,
    };
    let (x, y) = xy.ok_or("coordinates must be [longitude, latitude] numbers")?;
    check_lonlat(x, y).map(|_| Coord { x, y })
}

/// A polygon from its rings (exterior first), every vertex checked.
fn polygon(v: &Value) -> Result<Polygon<f64>, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_detection_ignores_quoted_separators() {
        assert_eq!(detect_delimiter(b"lon,lat,name"), b',');
        assert_eq!(detect_delimiter(b"lon\tlat\tname"), b'\t');
        assert_eq!(detect_delimiter(b"lon;lat;\"a,b,c,d\""), b';');
        assert_eq!(detect_delimiter(b"lon"), b',');
    }

    #[test]
    fn names_are_assigned_by_priority_then_position() {
        let idx = assign(["X", "lng", " 经度 ", "Lat", "\u{feff}Type", "category"].into_iter());
        assert_eq!(idx[Field::Lon.idx()], Some(1));
        assert_eq!(idx[Field::Lat.idx()], Some(3));
        assert_eq!(idx[Field::Category.idx()], Some(5));
        assert_eq!(idx[Field::Name.idx()], None);
    }

    #[test]
    fn decimal_comma_only_when_asked() {
        assert_eq!(parse_number("116,39", true), Some(116.39));
        assert_eq!(parse_number("116,39", false), None);
        assert_eq!(parse_number("1,2,3", true), None);
    }

    #[test]
    fn lonlat_checks_give_hints() {
        assert!(check_lonlat(116.3, 39.9).is_ok());
        assert!(check_lonlat(39.9, 116.3).unwrap_err().contains("swapped"));
        assert!(check_lonlat(440_000.0, 4_400_000.0).unwrap_err().contains("projected"));
        assert!(check_lonlat(f64::NAN, 0.0).unwrap_err().contains("not a finite number"));
    }
}
