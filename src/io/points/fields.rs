//! Field names (English and Chinese, by priority), value parsing and checks,
//! and the builders that turn a row's fields into a facility or a home.
//! `O(fields)` per row.

use std::borrow::Cow;

use crate::ids::CategoryId;
use crate::taxonomy::Taxonomy;

use super::{UserFacility, UserHome};

// ---------------------------------------------------------------------------
// Fields and their names

/// A value a row can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Lon,
    Lat,
    Category,
    Name,
    Id,
    Capacity,
    Population,
    /// A POI type code (AutoNavi's six-digit `typecode`), read when the category column does not resolve.
    TypeCode,
}

/// How many fields there are.
pub(super) const N_FIELDS: usize = 8;

pub(super) const FIELDS: [Field; N_FIELDS] = [
    Field::Lon,
    Field::Lat,
    Field::Category,
    Field::Name,
    Field::Id,
    Field::Capacity,
    Field::Population,
    Field::TypeCode,
];

impl Field {
    /// Accepted (lower-case) names, by priority.
    pub(super) fn names(self) -> &'static [&'static str] {
        match self {
            Field::Lon => &["longitude", "lon", "lng", "long", "经度", "x"],
            Field::Lat => &["latitude", "lat", "纬度", "y"],
            // `tag` / `标签`: Baidu's industry path (`购物;便利店`).
            Field::Category => &["category", "类别", "type", "类型", "tag", "标签"],
            Field::Name => &["name", "名称"],
            Field::Id => &["id"],
            Field::Capacity => &["capacity", "容量"],
            Field::Population => &["population", "pop", "人口"],
            Field::TypeCode => &["typecode", "type_code", "类型编码", "类型代码", "分类编码", "分类代码"],
        }
    }

    /// What the field is, for messages.
    pub(super) fn what(self) -> &'static str {
        match self {
            Field::Lon => "longitude",
            Field::Lat => "latitude",
            Field::Category => "category",
            Field::Name => "name",
            Field::Id => "id",
            Field::Capacity => "capacity",
            Field::Population => "population",
            Field::TypeCode => "type code",
        }
    }

    pub(super) fn idx(self) -> usize {
        self as usize
    }

    /// The priority of `name` (already normalised) for this field, if it names it.
    pub(super) fn priority(self, name: &str) -> Option<usize> {
        self.names().iter().position(|n| *n == name)
    }

    /// The accepted names, for messages: `lon, lng, ...`.
    pub(super) fn name_list(self) -> String {
        self.names().join(", ")
    }
}

/// Trimmed, byte-order-mark-free, lower-case column name.
pub(super) fn normalise_name(name: &str) -> String {
    name.trim().trim_start_matches('\u{feff}').trim().to_lowercase()
}

/// For each field, the index of the name that names it best (lowest priority, then leftmost).
pub(super) fn assign<'a>(names: impl Iterator<Item = &'a str>) -> [Option<usize>; N_FIELDS] {
    let mut best: [Option<(usize, usize)>; N_FIELDS] = [None; N_FIELDS];
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
pub(super) trait Props {
    fn text(&self, f: Field) -> Result<Option<Cow<'_, str>>, String>;
    fn number(&self, f: Field) -> Result<Option<f64>, String>;
}

/// Parses a trimmed number; `decimal_comma` also accepts `116,39`.
pub(super) fn parse_number(text: &str, decimal_comma: bool) -> Option<f64> {
    match text.parse::<f64>() {
        Ok(v) => Some(v),
        Err(_) if decimal_comma && text.matches(',').count() == 1 && !text.contains('.') => {
            text.replace(',', ".").parse::<f64>().ok()
        }
        Err(_) => None,
    }
}

// ---------------------------------------------------------------------------
// Checks

/// A valid WGS-84 position, or what is wrong with it.
pub(super) fn check_lonlat(lon: f64, lat: f64) -> Result<[f64; 2], String> {
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
pub(super) fn shown(v: f64) -> String {
    let tiny = v != 0.0 && v.abs() < 1e-6;
    if v.is_finite() && (v.abs() >= 1e15 || tiny) { format!("{v:e}") } else { format!("{v}") }
}

/// An optional non-negative finite number of at most [`MAX_QUANTITY`].
pub(super) fn non_negative(p: &impl Props, f: Field) -> Result<Option<f64>, String> {
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
pub(super) fn accepted_categories(taxonomy: &Taxonomy) -> String {
    let keys: Vec<String> = taxonomy.categories.iter().map(|c| format!("{} ({})", c.key, c.label_zh)).collect();
    format!("accepted categories: {} — or an English/Chinese label or alias from the taxonomy", keys.join(", "))
}

/// The category a POI type code names (a taxonomy alias such as AutoNavi's
/// `060200`): several codes `060200|060400` are tried from the last, and a
/// six-digit code the taxonomy does not list falls back to its middle class
/// (`060203` to `060200`, AutoNavi's 大类·中类·小类 digits). A five-digit code is
/// read with its leading zero restored (a spreadsheet's `60200`).
pub(super) fn resolve_code(taxonomy: &Taxonomy, codes: &str) -> Option<CategoryId> {
    codes.rsplit(['|', ';', ',']).map(str::trim).find_map(|code| {
        let code: Cow<'_, str> = if code.len() == 5 && code.bytes().all(|b| b.is_ascii_digit()) {
            Cow::Owned(format!("0{code}"))
        } else {
            Cow::Borrowed(code)
        };
        taxonomy.resolve_category(&code).or_else(|| {
            let six_digits = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
            (six_digits && !code.ends_with("00")).then(|| taxonomy.resolve_category(&format!("{}00", &code[..4])))?
        })
    })
}

/// The category a label names; an AutoNavi path `大类;中类;小类` is tried from its last part.
pub(super) fn resolve(taxonomy: &Taxonomy, label: &str) -> Option<CategoryId> {
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

/// The CSV columns of a file.
pub(super) struct CsvColumns {
    /// Column index of each field.
    pub(super) idx: [Option<usize>; N_FIELDS],
    /// The header as written, for messages.
    pub(super) header: Vec<String>,
    /// Accept decimal commas (semicolon-delimited files).
    pub(super) decimal_comma: bool,
}

impl CsvColumns {
    pub(super) fn source(&self, f: Field) -> String {
        let i = self.idx[f.idx()].expect("source() is only called for a present column");
        format!("column {:?}", self.header[i].trim().trim_start_matches('\u{feff}'))
    }
}

/// Turns one row's values into a point.
pub(super) trait Builder {
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

pub(super) fn id_of(p: &impl Props, default_id: (&str, usize)) -> Result<String, String> {
    Ok(match p.text(Field::Id)? {
        Some(id) => id.into_owned(),
        None => format!("{}-{}", default_id.0, default_id.1),
    })
}

pub(super) struct FacilityBuilder<'a> {
    pub(super) taxonomy: &'a Taxonomy,
    pub(super) accepted: String,
}

impl Builder for FacilityBuilder<'_> {
    type Point = UserFacility;

    fn check_columns(&self, cols: &CsvColumns) -> Result<(), String> {
        if cols.idx[Field::Category.idx()].is_none() && cols.idx[Field::TypeCode.idx()].is_none() {
            return Err(format!(
                "no category column (one of {}; or a type code column, one of {}); columns found: {}",
                Field::Category.name_list(),
                Field::TypeCode.name_list(),
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
        // The category column first, then the type code (AutoNavi's `typecode`).
        let label = p.text(Field::Category)?;
        let code = p.text(Field::TypeCode)?;
        let found = label
            .as_deref()
            .and_then(|l| resolve(self.taxonomy, l))
            .or_else(|| code.as_deref().and_then(|c| resolve_code(self.taxonomy, c)));
        let category = match (found, label, code) {
            (Some(c), _, _) => c,
            (None, None, None) => return Err("missing category".to_string()),
            (None, Some(l), None) => return Err(format!("unknown category {:?}; {}", l.as_ref(), self.accepted)),
            (None, None, Some(c)) => {
                return Err(format!("unknown category type code {:?}; {}", c.as_ref(), self.accepted));
            }
            (None, Some(l), Some(c)) => {
                return Err(format!(
                    "unknown category {:?} (type code {:?}); {}",
                    l.as_ref(),
                    c.as_ref(),
                    self.accepted
                ));
            }
        };
        let name = p.text(Field::Name)?.map(Cow::into_owned);
        let capacity = non_negative(p, Field::Capacity)?;
        let id = id_of(p, default_id)?;
        Ok(UserFacility { row, id, category, name, capacity, lonlat })
    }
}

pub(super) struct HomeBuilder;

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

#[cfg(test)]
mod tests {
    use super::*;

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
