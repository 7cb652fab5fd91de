//! The districts layer (`districts.*` and `districts.csv`): one row per
//! district with its statistics, a stable id for joins and one pass/fail
//! column per policy rule.
//!
//! Columns: `district` (the name, as in districts.md), `district_id`
//! (`relation/<id>` for an OSM boundary, the file's key otherwise), the
//! statistics of [`crate::district::table::columns`] typed (counts as
//! integers, shares and minutes as floats, null where undefined), then
//! `pass_<rule>` per target rule with a verdict on some row (null where the
//! rule was not evaluated; a unit-share rule has a column only on the
//! coarser levels, where it is read per unit over the units inside).
//! With several levels each is its own layer, `districts-<tier>`
//! ([`level_layer_name`]).
//! Polygons are written outer rings counter-clockwise and holes clockwise
//! (RFC 7946). The map layer leaves out the `(outside)` row, which has no
//! area; the CSV keeps it. `O(districts × columns + vertices)`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use arrow_schema::SchemaRef;
use geo::MultiPolygon;
use geo::orient::{Direction, Orient};
use serde_json::Value;

use crate::analysis::Districts;
use crate::district::table::{OUTSIDE, columns, values};
use crate::output::layer::{Chunk, ColumnSpec, ColumnType, Geom, GeometryKind, Layer, RowWriter, schema_of};

/// The districts of a run as a layer (or its H3 hexagons, see [`DistrictsLayer::hexagons`]).
pub struct DistrictsLayer<'a> {
    districts: &'a Districts,
    name: String,
    /// The id column after the key (`district_id`), or none (hexagons: the key is the id).
    id_column: bool,
    /// Rows of `districts.rows` in the layer, with their district (`None`: outside).
    rows: Vec<(usize, Option<usize>)>,
    /// Per row: per rule, pass or fail.
    pass: Vec<Vec<Option<bool>>>,
    kinds: Vec<ColumnType>,
    schema: SchemaRef,
}

/// The layer (and table) name of one district level when a run has several:
/// `districts-district`, `districts-subdistrict`, `districts-community`.
pub fn level_layer_name(tier: crate::district::UnitTier) -> String {
    format!("districts-{}", tier.key())
}

/// `pass_T10_homes` for rule `T10-homes`.
pub fn pass_column(rule_id: &str) -> String {
    let clean: String = rule_id.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    format!("pass_{clean}")
}

impl<'a> DistrictsLayer<'a> {
    /// The `hexagons` layer of `--h3`: one row per H3 cell holding homes, keyed
    /// by its index (column `h3`), with every district statistic.
    pub fn hexagons(hexagons: &'a Districts) -> DistrictsLayer<'a> {
        let mut layer = DistrictsLayer::new(hexagons, false);
        layer.name = "hexagons".into();
        layer.id_column = false;
        let mut cols: Vec<ColumnSpec> = layer
            .schema
            .fields()
            .iter()
            .filter(|f| f.name() != "district_id")
            .map(|f| {
                let kind = match f.data_type() {
                    arrow_schema::DataType::Utf8 => ColumnType::Text,
                    arrow_schema::DataType::UInt64 => ColumnType::BigCount,
                    arrow_schema::DataType::Boolean => ColumnType::Bool,
                    _ => ColumnType::Float,
                };
                ColumnSpec { name: f.name().clone(), kind, nullable: f.is_nullable() }
            })
            .collect();
        cols[0].name = "h3".into();
        layer.schema = schema_of(&cols);
        layer
    }

    /// The layer of `districts`: with `outside`, the `(outside)` row too (for tables).
    pub fn new(districts: &'a Districts, outside: bool) -> DistrictsLayer<'a> {
        let by_key: HashMap<&str, usize> =
            districts.set.districts.iter().enumerate().map(|(i, d)| (d.key.as_str(), i)).collect();
        let rows: Vec<(usize, Option<usize>)> = districts
            .rows
            .iter()
            .enumerate()
            .map(|(r, row)| (r, by_key.get(row.key.as_str()).copied()))
            .filter(|(r, d)| d.is_some() || (outside && districts.rows[*r].key == OUTSIDE))
            .collect();
        let mut rules: Vec<&str> = Vec::new();
        for res in
            districts.results.iter().filter(|r| by_key.contains_key(r.district.as_str()) || r.district == OUTSIDE)
        {
            if !rules.contains(&res.rule_id.as_str()) {
                rules.push(&res.rule_id);
            }
        }
        let verdicts: HashMap<(&str, &str), bool> =
            districts.results.iter().map(|r| ((r.rule_id.as_str(), r.district.as_str()), r.pass)).collect();
        let pass = rows
            .iter()
            .map(|&(r, _)| {
                let key = districts.rows[r].key.as_str();
                rules.iter().map(|rule| verdicts.get(&(*rule, key)).copied()).collect()
            })
            .collect();
        let names = columns(&districts.rows);
        let mut cols = Vec::with_capacity(names.len() + 1 + rules.len());
        let mut kinds = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let kind = match name.as_str() {
                "district" => ColumnType::Text,
                "homes" => ColumnType::BigCount,
                n if n.ends_with("_facilities") => ColumnType::BigCount,
                _ => ColumnType::Float,
            };
            kinds.push(kind);
            cols.push(if kind == ColumnType::Float {
                ColumnSpec::nullable(name, kind)
            } else {
                ColumnSpec::required(name, kind)
            });
            if i == 0 {
                cols.push(ColumnSpec::required("district_id", ColumnType::Text));
            }
        }
        cols.extend(rules.iter().map(|r| ColumnSpec::nullable(pass_column(r), ColumnType::Bool)));
        DistrictsLayer {
            districts,
            name: "districts".into(),
            id_column: true,
            rows,
            pass,
            kinds,
            schema: schema_of(&cols),
        }
    }

    /// The same layer under another name (`districts-community` for one of several levels).
    pub fn named(mut self, name: impl Into<String>) -> DistrictsLayer<'a> {
        self.name = name.into();
        self
    }
}

impl Layer for DistrictsLayer<'_> {
    fn name(&self) -> &str {
        &self.name
    }

    fn geometry_kind(&self) -> GeometryKind {
        GeometryKind::MultiPolygon
    }

    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn len(&self) -> usize {
        self.rows.len()
    }

    fn chunk(&self, range: Range<usize>) -> Chunk<'_> {
        let d = self.districts;
        let mut w = RowWriter::new(self.schema.clone(), range.len());
        let mut geometry = Vec::with_capacity(range.len());
        for k in range {
            let (r, district) = self.rows[k];
            let row = &d.rows[r];
            let shape = district.map(|i| &d.set.districts[i]);
            geometry.push(Geom::MultiPolygon(match shape {
                Some(s) => Cow::Owned(s.shape.orient(Direction::Default)),
                None => Cow::Owned(MultiPolygon::new(Vec::new())),
            }));
            for (i, (v, kind)) in values(row).into_iter().zip(&self.kinds).enumerate() {
                match (kind, v) {
                    (ColumnType::Text, Value::String(s)) => w.text(Some(&s)),
                    (ColumnType::BigCount, v) => w.big_count(v.as_u64()),
                    (_, v) => w.float(v.as_f64()),
                }
                if i == 0 && self.id_column {
                    w.text(Some(shape.map_or(OUTSIDE, |s| s.id.as_str())));
                }
            }
            for p in &self.pass[k] {
                w.boolean(*p);
            }
            w.end_row();
        }
        Chunk { attributes: w.finish(), geometry }
    }
}
