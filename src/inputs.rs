//! User-supplied homes and facilities: read (CSV or GeoJSON), converted to
//! WGS-84, and merged with what OSM gave.
//!
//! Merging is `O(n log n)`; the duplicate check uses an R-tree of the
//! facilities of each category (`O(n log n)` in all).

use std::path::PathBuf;

use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde::Serialize;

use crate::error::Result;
use crate::geometry::{haversine_m, to_ecef};
use crate::ids::{OsmRef, OsmType};
use crate::io::crs::{Crs, to_wgs84};
use crate::io::points::{ReadReport, read_facilities, read_homes};
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

/// A user file of points.
#[derive(Debug, Clone)]
pub struct PointsInput {
    /// The file (CSV or GeoJSON).
    pub path: PathBuf,
    /// Its coordinate system.
    pub crs: Crs,
    /// How it combines with OSM.
    pub mode: MergeMode,
}

/// Facilities of the same category closer than this are reported as likely duplicates.
pub const DUPLICATE_DISTANCE_M: f64 = 30.0;

/// What merging a user file did, for the summary.
#[derive(Debug, Clone, Serialize)]
pub struct InputReport {
    /// The file.
    pub path: String,
    /// `csv` or `geojson`.
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
    /// Pairs of same-category facilities within 30 m of each other, one at least from the file.
    pub duplicates_within_30m: usize,
    /// A few of those pairs, `id ~ id (d m)`.
    pub duplicate_examples: Vec<String>,
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
    }
}

/// Reads the user's facilities and merges them into `facilities` (sorted again by category and source).
pub fn merge_facilities(
    facilities: &mut Vec<Facility>,
    input: &PointsInput,
    taxonomy: &Taxonomy,
    skip_bad_rows: bool,
) -> Result<InputReport> {
    let (user, read) = read_facilities(&input.path, taxonomy, skip_bad_rows)?;
    let mut rep = report(input, &read);
    if input.mode == MergeMode::Replace {
        let before = facilities.len();
        facilities.retain(|f| !user.iter().any(|u| u.category == f.category));
        rep.osm_replaced = before - facilities.len();
    }
    let first_user = facilities.len();
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

/// Same-category pairs within [`DUPLICATE_DISTANCE_M`] where one side is at index `>= first_user`.
fn duplicates(facilities: &[Facility], first_user: usize) -> (usize, Vec<String>) {
    let tree = RTree::bulk_load(
        facilities.iter().enumerate().map(|(i, f)| GeomWithData::new(to_ecef(f.lonlat), i)).collect::<Vec<_>>(),
    );
    let mut count = 0;
    let mut examples = Vec::new();
    for (i, f) in facilities.iter().enumerate().skip(first_user) {
        // Chord distance is within 1e-8 of the great-circle distance at 30 m.
        let r2 = (DUPLICATE_DISTANCE_M * 1.0001).powi(2);
        for other in tree.locate_within_distance(to_ecef(f.lonlat), r2) {
            let j = other.data;
            let g = &facilities[j];
            // Count each pair once: user-user pairs from the later one, user-OSM pairs from the user side.
            if j == i || g.category != f.category || (j >= first_user && j > i) {
                continue;
            }
            let d = haversine_m(f.lonlat, g.lonlat);
            if d <= DUPLICATE_DISTANCE_M {
                count += 1;
                if examples.len() < 10 {
                    examples.push(format!("{} ~ {} ({d:.1} m)", f.id(), g.id()));
                }
            }
        }
    }
    (count, examples)
}

/// Reads the user's homes: they replace OSM's homes, or are added to them.
pub fn merge_homes(homes: &mut Vec<Home>, input: &PointsInput, skip_bad_rows: bool) -> Result<InputReport> {
    let (user, read) = read_homes(&input.path, skip_bad_rows)?;
    let mut rep = report(input, &read);
    if input.mode == MergeMode::Replace {
        rep.osm_replaced = homes.len();
        homes.clear();
    }
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
