//! The coverage layer (`coverage.*`): one Point per home with its walking
//! time to the nearest facility of each category and how many it reaches.
//!
//! Columns, in order: `id`, `population`, `snap_m`, `reachable`; per category
//! `<cat>_min` (minutes to the nearest, rounded up to 0.01; null when none is
//! reachable), `<cat>_nearest` (that facility's `id` in the facilities layer,
//! as pandana's `nearest_pois` gives; the first listed of several at the same
//! time), `<cat>_count` and `<cat>_ok` at the main threshold, with
//! several thresholds `<cat>_count_<label>` / `<cat>_ok_<label>` for each,
//! and with capacities `<cat>_access` (2SFCA); then `categories_ok` and
//! `complete`. `O(homes × categories)`.

use std::fmt::Write;
use std::ops::Range;

use arrow_schema::SchemaRef;

use crate::analysis::Analysis;
use crate::coverage::stats::minutes_ceil_2dp;
use crate::ids::TimeMs;
use crate::output::layer::{Chunk, ColumnSpec, ColumnType, Geom, GeometryKind, Layer, RowWriter, schema_of};
use crate::output::round_to;

/// The homes of a run as a layer.
pub struct CoverageLayer<'a> {
    analysis: &'a Analysis,
    thresholds: Vec<Vec<(String, TimeMs)>>,
    several: bool,
    schema: SchemaRef,
    /// Every facility's output id, made once (not once per home and category).
    facility_ids: Vec<String>,
}

impl<'a> CoverageLayer<'a> {
    /// The layer of `analysis`'s homes.
    pub fn new(analysis: &'a Analysis) -> CoverageLayer<'a> {
        let cats = &analysis.config.taxonomy.categories;
        let thresholds: Vec<Vec<(String, TimeMs)>> = (0..cats.len()).map(|c| analysis.config.thresholds(c)).collect();
        let several = thresholds.iter().any(|t| t.len() > 1);
        let mut cols = vec![
            ColumnSpec::required("id", ColumnType::Text),
            ColumnSpec::nullable("population", ColumnType::Float),
            ColumnSpec::nullable("snap_m", ColumnType::Float),
            ColumnSpec::required("reachable", ColumnType::Bool),
        ];
        for (c, cat) in cats.iter().enumerate() {
            let k = &cat.key;
            cols.push(ColumnSpec::nullable(format!("{k}_min"), ColumnType::Float));
            cols.push(ColumnSpec::nullable(format!("{k}_nearest"), ColumnType::Text));
            cols.push(ColumnSpec::required(format!("{k}_count"), ColumnType::Count));
            cols.push(ColumnSpec::required(format!("{k}_ok"), ColumnType::Bool));
            if several {
                for (label, _) in &thresholds[c] {
                    cols.push(ColumnSpec::required(format!("{k}_count_{label}"), ColumnType::Count));
                    cols.push(ColumnSpec::required(format!("{k}_ok_{label}"), ColumnType::Bool));
                }
            }
            if analysis.capacity[c].is_some() {
                cols.push(ColumnSpec::nullable(format!("{k}_access"), ColumnType::Float));
            }
        }
        cols.push(ColumnSpec::required("categories_ok", ColumnType::Count));
        cols.push(ColumnSpec::required("complete", ColumnType::Bool));
        let facility_ids = analysis.facilities.iter().map(|f| f.id()).collect();
        CoverageLayer { analysis, thresholds, several, schema: schema_of(&cols), facility_ids }
    }
}

impl Layer for CoverageLayer<'_> {
    fn name(&self) -> &str {
        "coverage"
    }

    fn geometry_kind(&self) -> GeometryKind {
        GeometryKind::Point
    }

    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn len(&self) -> usize {
        self.analysis.homes.len()
    }

    fn chunk(&self, rows: Range<usize>) -> Chunk<'_> {
        let a = self.analysis;
        let ncat = self.thresholds.len();
        let mut w = RowWriter::new(self.schema.clone(), rows.len());
        let mut geometry = Vec::with_capacity(rows.len());
        let mut osm_id = String::new();
        for h in rows {
            let home = &a.homes[h];
            geometry.push(Geom::Point(home.lonlat));
            match &home.user_id {
                Some(id) => w.text(Some(id)),
                None => {
                    osm_id.clear();
                    write!(osm_id, "{}", home.osm).expect("a String takes any text");
                    w.text(Some(&osm_id));
                }
            }
            w.float(Some(home.population));
            w.float(a.home_snaps[h].map(|s| round_to(s.access_m, 1)));
            w.boolean(Some(a.home_anchors[h].is_some()));
            let mut ok_count = 0;
            for c in 0..ncat {
                let t = a.nearest[c][h];
                let main = self.thresholds[c].last().expect("a threshold").1;
                let ok = t <= main;
                ok_count += u32::from(ok);
                w.float((t != TimeMs::INF).then(|| minutes_ceil_2dp(t)));
                let nearest =
                    a.nearest_facility[c][h].map(|k| self.facility_ids[a.facility_index[c][k as usize]].as_str());
                w.text(nearest);
                w.count(Some(a.counts[c][h]));
                w.boolean(Some(ok));
                if self.several {
                    for (k, (_, limit)) in self.thresholds[c].iter().enumerate() {
                        w.count(Some(a.counts_by_threshold[c][k][h]));
                        w.boolean(Some(t <= *limit));
                    }
                }
                if let Some(fca) = &a.capacity[c] {
                    w.float(Some(round_to(fca.home_access[h], 9)));
                }
            }
            w.count(Some(ok_count));
            w.boolean(Some(ok_count as usize == ncat));
            w.end_row();
        }
        Chunk { attributes: w.finish(), geometry }
    }
}
