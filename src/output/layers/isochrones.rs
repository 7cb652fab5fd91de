//! The service-area layers: `isochrones.*`, one MultiPolygon per facility and
//! threshold (the ground within the buffer of the network reached from it),
//! and `coverage_areas.*`, one per category and threshold (the union of its
//! facilities' areas). Each has one schema.
//!
//! Columns of `isochrones`: `facility_id` (as in the facilities layer),
//! `name`, `category`, `threshold` (minutes, a number), `threshold_m` (the
//! walking distance at the run's speed), `area_m2`, `homes` and `population`
//! inside. `coverage_areas` has the same without `facility_id` and `name`.
//! `O(vertices)`.

use std::borrow::Cow;
use std::ops::Range;

use arrow_schema::SchemaRef;

use crate::analysis::{Analysis, Isochrones};
use crate::isochrone::batch::AreaResult;
use crate::output::layer::{Chunk, ColumnSpec, ColumnType, Geom, GeometryKind, Layer, RowWriter, schema_of};
use crate::output::round_to;

/// Which of the two layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AreaLayerKind {
    /// Per facility and threshold (`isochrones`).
    Facilities,
    /// Per category and threshold, the union (`coverage_areas`).
    Categories,
}

/// One of the service-area layers of a run.
pub struct AreaLayer<'a> {
    analysis: &'a Analysis,
    kind: AreaLayerKind,
    /// `(category, area)` in output order.
    rows: Vec<(usize, Option<usize>, &'a AreaResult)>,
    schema: SchemaRef,
}

impl<'a> AreaLayer<'a> {
    /// The `kind` layer of `iso`, the service areas of `analysis`.
    pub fn new(analysis: &'a Analysis, iso: &'a Isochrones, kind: AreaLayerKind) -> AreaLayer<'a> {
        let mut cols = Vec::new();
        let rows: Vec<(usize, Option<usize>, &AreaResult)> = match kind {
            AreaLayerKind::Facilities => {
                cols.push(ColumnSpec::required("facility_id", ColumnType::Text));
                cols.push(ColumnSpec::nullable("name", ColumnType::Text));
                iso.facilities
                    .iter()
                    .flat_map(|f| {
                        let c = analysis.facilities[f.facility].category.idx();
                        f.areas.iter().map(move |r| (c, Some(f.facility), r))
                    })
                    .collect()
            }
            AreaLayerKind::Categories => iso
                .categories
                .iter()
                .flat_map(|cat| cat.areas.iter().map(move |r| (cat.category.idx(), None, r)))
                .collect(),
        };
        cols.extend([
            ColumnSpec::required("category", ColumnType::Text),
            ColumnSpec::required("threshold", ColumnType::Float),
            ColumnSpec::required("threshold_m", ColumnType::Float),
            ColumnSpec::required("area_m2", ColumnType::Float),
            ColumnSpec::required("homes", ColumnType::BigCount),
            ColumnSpec::required("population", ColumnType::Float),
        ]);
        AreaLayer { analysis, kind, rows, schema: schema_of(&cols) }
    }
}

impl Layer for AreaLayer<'_> {
    fn name(&self) -> &str {
        match self.kind {
            AreaLayerKind::Facilities => "isochrones",
            AreaLayerKind::Categories => "coverage_areas",
        }
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

    fn chunk(&self, rows: Range<usize>) -> Chunk<'_> {
        let a = self.analysis;
        let cats = &a.config.taxonomy.categories;
        let speed_m_s = a.config.speed_kmh / 3.6;
        let mut w = RowWriter::new(self.schema.clone(), rows.len());
        let mut geometry = Vec::with_capacity(rows.len());
        for &(c, facility, r) in &self.rows[rows] {
            geometry.push(Geom::MultiPolygon(Cow::Borrowed(&r.area.polygon)));
            if let Some(f) = facility {
                w.text(Some(&a.facilities[f].id()));
                w.text(a.facilities[f].name.as_deref());
            }
            let limit = a.config.thresholds(c)[r.threshold].1;
            w.text(Some(&cats[c].key));
            w.float(Some(round_to(limit.minutes(), 3)));
            w.float(Some(round_to(limit.minutes() * 60.0 * speed_m_s, 1)));
            w.float(Some(round_to(r.area.area_m2, 1)));
            w.big_count(Some(r.homes as u64));
            w.float(Some(round_to(r.population, 3)));
            w.end_row();
        }
        Chunk { attributes: w.finish(), geometry }
    }
}
