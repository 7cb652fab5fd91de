//! User-supplied homes and facilities: read (CSV or GeoJSON, or a table in
//! memory), converted to WGS-84, and merged with what OSM gave.
//!
//! Merging is `O(n log n)`; the duplicate check uses an R-tree of the
//! facilities of each category (`O(n log n)` in all).

pub mod plan;

use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde::Serialize;

use crate::error::Result;
use crate::geometry::{haversine_m, to_ecef};
use crate::ids::{OsmRef, OsmType};
use crate::io::crs::{Crs, to_wgs84};
use crate::io::points::{
    PointsTable, ReadReport, UserFacility, UserHome, read_facilities, read_facilities_table, read_homes,
    read_homes_table,
};
use crate::osm::{Facility, Home};
use crate::taxonomy::Taxonomy;

/// How a user file combines with OSM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MergeMode {
    /// Keep OSM's and add the user's.
    Add,
    /// The user's replace OSM's (for facilities: per category present in the file).
    Replace,
}

/// A user file of points, or a table of them in memory.
#[derive(Debug, Clone)]
pub struct PointsInput {
    /// The file (CSV or GeoJSON); with a `table`, the name the table goes by in messages.
    pub path: PathBuf,
    /// Its coordinate system.
    pub crs: Crs,
    /// How it combines with OSM.
    pub mode: MergeMode,
    /// The points, when they come from memory rather than from the file (the Python package's GeoDataFrames).
    pub table: Option<Arc<PointsTable>>,
}

impl PointsInput {
    /// The user's facilities, read from the file or the table.
    fn read_facilities(&self, taxonomy: &Taxonomy, skip_bad_rows: bool) -> Result<(Vec<UserFacility>, ReadReport)> {
        match &self.table {
            Some(t) => read_facilities_table(&self.path, t, taxonomy, skip_bad_rows),
            None => read_facilities(&self.path, taxonomy, skip_bad_rows),
        }
    }

    /// The user's homes, read from the file or the table.
    fn read_homes(&self, skip_bad_rows: bool) -> Result<(Vec<UserHome>, ReadReport)> {
        match &self.table {
            Some(t) => read_homes_table(&self.path, t, skip_bad_rows),
            None => read_homes(&self.path, skip_bad_rows),
        }
    }
}

/// Facilities of the same category closer than this are reported as likely duplicates.
pub const DUPLICATE_DISTANCE_M: f64 = 30.0;

/// What merging a user file did, for the summary.
#[derive(Debug, Clone, Serialize)]
pub struct InputReport {
    /// The file.
    pub path: String,
    /// `csv`, `geojson` or `table`.
    pub format: String,
    /// Its coordinate system.
    pub crs: Crs,
    /// How it was merged.
    pub mode: MergeMode,
    /// Points read.
    pub rows: usize,
    /// Bad rows skipped (`--skip-bad-rows`).
    pub rows_skipped: usize,
    /// The first skipped rows and why.
    pub skipped: Vec<String>,
    /// OSM points replaced by the file's.
    pub osm_replaced: usize,
    /// Facilities within 30 m of another of the same category, one of the two at least from the
    /// file (four facilities at one spot count 4).
    pub duplicates_within_30m: usize,
    /// A few of those pairs, `id ~ id (d m)`.
    pub duplicate_examples: Vec<String>,
    /// Points in GCJ-02 / BD-09 that lie outside China, left unconverted (the
    /// obfuscations apply only inside China).
    pub outside_china_unconverted: usize,
}

fn report(input: &PointsInput, r: &ReadReport) -> InputReport {
    InputReport {
        path: input.path.display().to_string(),
        format: format!("{:?}", r.format).to_lowercase(),
        crs: input.crs,
        mode: input.mode,
        rows: r.rows,
        rows_skipped: r.skipped_count,
        skipped: r.skipped.iter().take(20).map(|(loc, msg)| format!("{loc}: {msg}")).collect(),
        osm_replaced: 0,
        duplicates_within_30m: 0,
        duplicate_examples: Vec::new(),
        outside_china_unconverted: 0,
    }
}

/// Reads the user's facilities and merges them into `facilities` (sorted again by category and source).
pub fn merge_facilities(
    facilities: &mut Vec<Facility>,
    input: &PointsInput,
    taxonomy: &Taxonomy,
    skip_bad_rows: bool,
) -> Result<InputReport> {
    let (user, read) = input.read_facilities(taxonomy, skip_bad_rows)?;
    let mut rep = report(input, &read);
    if input.mode == MergeMode::Replace {
        let before = facilities.len();
        let mut replaced = [false; crate::taxonomy::MAX_CATEGORIES];
        for u in &user {
            replaced[u.category.idx()] = true;
        }
        facilities.retain(|f| !replaced[f.category.idx()]);
        rep.osm_replaced = before - facilities.len();
    }
    let first_user = facilities.len();
    rep.outside_china_unconverted = outside_china(input.crs, user.iter().map(|u| u.lonlat));
    for (i, u) in user.into_iter().enumerate() {
        facilities.push(Facility {
            osm: OsmRef { kind: OsmType::Other, id: i as i64 },
            user_id: Some(u.id),
            category: u.category,
            name: u.name,
            capacity: u.capacity,
            lonlat: to_wgs84(input.crs, u.lonlat),
        });
    }
    let (count, examples) = duplicates(facilities, first_user);
    rep.duplicates_within_30m = count;
    rep.duplicate_examples = examples;
    facilities.sort_by_key(|f| (f.category, f.osm));
    Ok(rep)
}

/// Facilities within [`DUPLICATE_DISTANCE_M`] of another of the same
/// category where one of the two is at index `>= first_user` (from the file):
/// how many facilities, and a few of those pairs as examples.
///
/// One R-tree per category; each facility asks it for the first partner within
/// the distance (a file's facility: any other; an OSM facility: one from the
/// file) and stops there, so a stack of many points at one place costs no more
/// than spread-out ones. `O(n log n)` in all, in parallel.
fn duplicates(facilities: &[Facility], first_user: usize) -> (usize, Vec<String>) {
    let ncat = facilities.iter().map(|f| f.category.idx() + 1).max().unwrap_or(0);
    let mut points: Vec<Vec<GeomWithData<[f64; 3], usize>>> = vec![Vec::new(); ncat];
    for (i, f) in facilities.iter().enumerate() {
        points[f.category.idx()].push(GeomWithData::new(to_ecef(f.lonlat), i));
    }
    let trees: Vec<RTree<GeomWithData<[f64; 3], usize>>> = points.into_par_iter().map(RTree::bulk_load).collect();
    // Chord distance is within 1e-8 of the great-circle distance at 30 m; haversine decides.
    let r2 = (DUPLICATE_DISTANCE_M * 1.0001).powi(2);
    let partner: Vec<Option<usize>> = (0..facilities.len())
        .into_par_iter()
        .map(|i| {
            let f = &facilities[i];
            let user = i >= first_user;
            trees[f.category.idx()].locate_within_distance(to_ecef(f.lonlat), r2).map(|o| o.data).find(|&j| {
                j != i
                    && (user || j >= first_user)
                    && haversine_m(f.lonlat, facilities[j].lonlat) <= DUPLICATE_DISTANCE_M
            })
        })
        .collect();
    let count = partner.iter().filter(|p| p.is_some()).count();
    let mut examples = Vec::new();
    let mut example_pairs = Vec::new();
    for (i, j) in partner.iter().enumerate().skip(first_user).filter_map(|(i, p)| p.map(|j| (i, j))) {
        let pair = (i.min(j), i.max(j));
        if examples.len() == 10 {
            break;
        }
        if !example_pairs.contains(&pair) {
            example_pairs.push(pair);
            let d = haversine_m(facilities[i].lonlat, facilities[j].lonlat);
            examples.push(format!("{} ~ {} ({d:.1} m)", facilities[i].id(), facilities[j].id()));
        }
    }
    (count, examples)
}

/// How many points a GCJ-02 / BD-09 file has outside China (left as they are).
fn outside_china(crs: Crs, points: impl Iterator<Item = [f64; 2]>) -> usize {
    if crs == Crs::Wgs84 { 0 } else { points.filter(|&p| crate::io::crs::out_of_china(p)).count() }
}

/// Reads the user's homes: they replace OSM's homes, or are added to them.
pub fn merge_homes(homes: &mut Vec<Home>, input: &PointsInput, skip_bad_rows: bool) -> Result<InputReport> {
    let (user, read) = input.read_homes(skip_bad_rows)?;
    if user.is_empty() {
        let why = if read.rows == 0 && input.table.is_some() {
            "holds no homes (an empty table)".to_string()
        } else if read.rows == 0 {
            "holds no homes (a header line or an empty collection only)".to_string()
        } else {
            format!("all {} rows are bad and were skipped (--skip-bad-rows)", read.rows)
        };
        return Err(crate::error::Error::bad_input(&input.path, "", format!("{why}; give a file with homes")));
    }
    let mut rep = report(input, &read);
    if input.mode == MergeMode::Replace {
        rep.osm_replaced = homes.len();
        homes.clear();
    }
    rep.outside_china_unconverted = outside_china(input.crs, user.iter().map(|u| u.lonlat));
    for (i, u) in user.into_iter().enumerate() {
        homes.push(Home {
            osm: OsmRef { kind: OsmType::Other, id: i as i64 },
            user_id: Some(u.id),
            population: u.population,
            lonlat: to_wgs84(input.crs, u.lonlat),
        });
    }
    homes.sort_by_key(|h| h.osm);
    Ok(rep)
}
