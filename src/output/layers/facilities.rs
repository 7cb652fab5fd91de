//! The facilities layer (`facilities.*`): one Point per facility and
//! category.
//!
//! Columns: `id` (`node/123`, `way/45` or the user's id), `category`, `name`,
//! `source` (`osm` or `user`), `reachable`; when any category has capacities,
//! `capacity`, `population_within`, `supply_ratio` (2SFCA), null for
//! facilities of other categories, and `over_capacity`, a boolean never null
//! (so GIS readers type it as one): true when more people are within reach
//! than the facility's capacity, false otherwise, also when no capacity is known.
//! `O(facilities)`.

use std::ops::Range;

use arrow_schema::SchemaRef;

use crate::analysis::Analysis;
use crate::output::layer::{Chunk, ColumnSpec, ColumnType, Geom, GeometryKind, Layer, RowWriter, schema_of};
use crate::output::round_to;

/// The facilities of a run as a layer.
pub struct FacilitiesLayer<'a> {
    analysis: &'a Analysis,
    /// Each facility's position in its category's list (for the 2SFCA results).
    rank: Vec<usize>,
    with_capacity: bool,
    schema: SchemaRef,
}

impl<'a> FacilitiesLayer<'a> {
    /// The layer of `analysis`'s facilities.
    pub fn new(analysis: &'a Analysis) -> FacilitiesLayer<'a> {
        let mut rank = vec![0usize; analysis.facilities.len()];
        for idx in &analysis.facility_index {
            for (k, &i) in idx.iter().enumerate() {
                rank[i] = k;
            }
        }
        let with_capacity = analysis.capacity.iter().any(Option::is_some);
        let mut cols = vec![
            ColumnSpec::required("id", ColumnType::Text),
            ColumnSpec::required("category", ColumnType::Text),
            ColumnSpec::nullable("name", ColumnType::Text),
            ColumnSpec::required("source", ColumnType::Text),
            ColumnSpec::required("reachable", ColumnType::Bool),
        ];
        if with_capacity {
            cols.push(ColumnSpec::nullable("capacity", ColumnType::Float));
            cols.push(ColumnSpec::nullable("population_within", ColumnType::Float));
            cols.push(ColumnSpec::nullable("supply_ratio", ColumnType::Float));
            cols.push(ColumnSpec::required("over_capacity", ColumnType::Bool));
        }
        FacilitiesLayer { analysis, rank, with_capacity, schema: schema_of(&cols) }
    }
}

impl Layer for FacilitiesLayer<'_> {
    fn name(&self) -> &str {
        "facilities"
    }

    fn geometry_kind(&self) -> GeometryKind {
        GeometryKind::Point
    }

    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn len(&self) -> usize {
        self.analysis.facilities.len()
    }

    fn chunk(&self, rows: Range<usize>) -> Chunk<'_> {
        let a = self.analysis;
        let cats = &a.config.taxonomy.categories;
        let mut w = RowWriter::new(self.schema.clone(), rows.len());
        let mut geometry = Vec::with_capacity(rows.len());
        for f in rows {
            let facility = &a.facilities[f];
            let c = facility.category.idx();
            geometry.push(Geom::Point(facility.lonlat));
            w.text(Some(&facility.id()));
            w.text(Some(&cats[c].key));
            w.text(facility.name.as_deref());
            w.text(Some(if facility.user_id.is_some() { "user" } else { "osm" }));
            w.boolean(Some(a.facility_anchors[f].is_some()));
            if self.with_capacity {
                match &a.capacity[c] {
                    Some(fca) => {
                        let k = self.rank[f];
                        w.float(facility.capacity);
                        w.float(Some(round_to(fca.facility_demand[k], 3)));
                        w.float(fca.facility_ratio[k].map(|r| round_to(r, 9)));
                        w.boolean(Some(facility.capacity.is_some_and(|cap| fca.facility_demand[k] > cap)));
                    }
                    None => {
                        w.float(None);
                        w.float(None);
                        w.float(None);
                        w.boolean(Some(false));
                    }
                }
            }
            w.end_row();
        }
        Chunk { attributes: w.finish(), geometry }
    }
}
