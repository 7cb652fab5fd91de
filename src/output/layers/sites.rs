//! The sites layer (`sites.*`): the proposed sites of a plan, in the order
//! they were picked, with what each adds.
//!
//! Columns: `rank` (1 first), `id` (the candidate's), `category`,
//! `homes_gained`, `population_gained`, `population_covered` (by the category
//! after this pick). `O(picks)`.

use std::ops::Range;

use arrow_schema::SchemaRef;

use crate::coverage::stats::round_to;
use crate::output::layer::{Chunk, ColumnSpec, ColumnType, Geom, GeometryKind, Layer, RowWriter, schema_of};
use crate::siting::SitePlan;

/// A site plan's picks as a layer.
pub struct SitesLayer<'a> {
    plan: &'a SitePlan,
    category: &'a str,
    schema: SchemaRef,
}

impl<'a> SitesLayer<'a> {
    /// The picks of `plan`, sites of `category`.
    pub fn new(plan: &'a SitePlan, category: &'a str) -> SitesLayer<'a> {
        let schema = schema_of(&[
            ColumnSpec::required("rank", ColumnType::Count),
            ColumnSpec::required("id", ColumnType::Text),
            ColumnSpec::required("category", ColumnType::Text),
            ColumnSpec::required("homes_gained", ColumnType::BigCount),
            ColumnSpec::required("population_gained", ColumnType::Float),
            ColumnSpec::required("population_covered", ColumnType::Float),
        ]);
        SitesLayer { plan, category, schema }
    }
}

impl Layer for SitesLayer<'_> {
    fn name(&self) -> &str {
        "sites"
    }

    fn geometry_kind(&self) -> GeometryKind {
        GeometryKind::Point
    }

    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn len(&self) -> usize {
        self.plan.picks.len()
    }

    fn chunk(&self, rows: Range<usize>) -> Chunk<'_> {
        let mut w = RowWriter::new(self.schema.clone(), rows.len());
        let mut geometry = Vec::with_capacity(rows.len());
        for k in rows {
            let p = &self.plan.picks[k];
            let c = &self.plan.candidates[p.candidate];
            geometry.push(Geom::Point(c.lonlat));
            w.count(Some(k as u32 + 1));
            w.text(Some(&c.id));
            w.text(Some(self.category));
            w.big_count(Some(p.homes_gained as u64));
            w.float(Some(round_to(p.population_gained, 3)));
            w.float(Some(round_to(p.population_covered, 3)));
            w.end_row();
        }
        Chunk { attributes: w.finish(), geometry }
    }
}
