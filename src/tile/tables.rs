//! The district and H3 tables of a tiled run, merged from the tiles' sums
//! ([`TileTables`]: per district and cell, counts, exact population sums and
//! time histograms, never shares): the rows, per-unit shares and target
//! checks of the whole run's `analyze --reach-minutes R` with the same
//! districts, bit for bit. The districts' files are read again (and must be
//! the ones the tiles read: same SHA-256), the facilities come from the
//! tiles folder's `facilities.csv` (the whole run's, written by `prepare`).
//! `O(tiles · sums + F log D)` for `F` facilities in `D` districts.

use std::path::{Path, PathBuf};

use crate::analysis::summary::TileTables;
use crate::analysis::{Districts, finish_levels};
use crate::district::assign::DistrictIndex;
use crate::district::h3::HexGrid;
pub use crate::district::sources::boundaries_file;
use crate::district::sources::{districts_from_geojson, read_boundaries};
use crate::district::sums::LevelSums;
use crate::district::table::{CoverageView, facilities_per_district};
use crate::error::{Error, Result};
use crate::ids::TimeMs;
use crate::io::manifest::sha256_file;

/// The whole run's facilities in a tiles folder: `category,osm,lon,lat`, in the run's order.
pub const FACILITIES_FILE: &str = "facilities.csv";

/// A tiled run's tables, merged.
#[derive(Debug, Clone)]
pub struct MergedTables {
    /// The district levels, coarse to fine (empty without districts).
    pub districts: Vec<Districts>,
    /// The H3 hexagons, with `--h3`.
    pub hexagons: Option<Districts>,
    /// The notes on target rules the run's taxonomy cannot check.
    pub unchecked: Vec<String>,
    /// The files read (`districts`, `facilities`) for the run's manifest.
    pub inputs: Vec<(&'static str, PathBuf)>,
}

/// Reads a tiles folder's [`FACILITIES_FILE`]: per facility its category (an
/// index into `keys`) and position, in the whole run's order.
pub fn read_facilities(folder: &Path, keys: &[String]) -> Result<Vec<(usize, [f64; 2])>> {
    let path = folder.join(FACILITIES_FILE);
    let text = crate::io::limits::read_text_bounded(&path, crate::io::limits::MAX_POINTS_FILE_BYTES, "facilities")?;
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, "category,osm,lon,lat")) => {}
        _ => return Err(Error::bad_input(&path, "", "not a tiles folder's facilities list (header)")),
    }
    lines
        .map(|(i, line)| {
            let bad = |what: &str| Error::bad_input(&path, format!("line {}", i + 1), what.to_string());
            let f: Vec<&str> = line.split(',').collect();
            let [cat, _, lon, lat] = f[..] else { return Err(bad("not 4 fields")) };
            let c = keys.iter().position(|k| k == cat).ok_or_else(|| bad("a category the run does not have"))?;
            let coord = |s: &str| s.parse::<f64>().ok().filter(|v| v.is_finite());
            match (coord(lon), coord(lat)) {
                (Some(lon), Some(lat)) => Ok((c, [lon, lat])),
                _ => Err(bad("a position that is not a number")),
            }
        })
        .collect()
}

/// The tables of every tile (`(name, tables)`, the name for errors) added
/// into one (the sums of all their homes, as a partial merge carries them):
/// `None` when no tile has any; every tile must have the same.
pub fn combine_tables(tiles: &[(String, Option<&TileTables>)]) -> Result<Option<TileTables>> {
    let bad = |name: &str, msg: String| Error::bad_input(Path::new(name), "", msg);
    let Some((first_name, first)) = tiles.iter().find_map(|(n, t)| t.map(|t| (n, t))) else {
        return Ok(None);
    };
    fn meta(t: &TileTables) -> impl PartialEq + '_ {
        let levels: Vec<_> = t.levels.iter().map(|l| (&l.path, &l.key, &l.sha256, l.admin_level)).collect();
        let hex = t.hexagons.as_ref().map(|h| h.resolution);
        (&t.folder, &t.keys, &t.thresholds, t.main_minutes.to_bits(), levels, &t.tiers, &t.targets, hex)
    }
    let mut all_tables = Vec::with_capacity(tiles.len());
    for (name, t) in tiles {
        let t = t.ok_or_else(|| {
            bad(name, format!("its tile ran without the district or H3 tables that {first_name}'s has"))
        })?;
        if meta(t) != meta(first) {
            return Err(bad(name, format!("its district or H3 tables were asked differently than {first_name}'s")));
        }
        all_tables.push(t);
    }
    let mut all = first.clone();
    for (l, level) in all.levels.iter_mut().enumerate() {
        level.sums = LevelSums::merged(all_tables.iter().map(|t| &t.levels[l].sums));
    }
    if let Some(h) = &mut all.hexagons {
        h.sums = LevelSums::merged(all_tables.iter().filter_map(|t| t.hexagons.as_ref().map(|h| &h.sums)));
    }
    Ok(Some(all))
}

/// Merges the tables of every tile (`(name, tables)`, the name for errors)
/// into the whole run's tables ([`combine_tables`], then the rows):
/// `None` when no tile has any; every tile must have the same.
pub fn merge_tables(tiles: &[(String, Option<&TileTables>)]) -> Result<Option<MergedTables>> {
    combine_tables(tiles)?.as_ref().map(finish_tables).transpose()
}

/// The whole run's tables from all its tiles' sums added up ([`combine_tables`]).
pub fn finish_tables(first: &TileTables) -> Result<MergedTables> {
    let levels: Vec<&LevelSums> = first.levels.iter().map(|l| &l.sums).collect();
    let hex_sums = first.hexagons.as_ref().map(|h| h.sums.clone()).unwrap_or_default();
    let folder = PathBuf::from(&first.folder);
    let facilities = read_facilities(&folder, &first.keys)?;
    let mut inputs = vec![("facilities", folder.join(FACILITIES_FILE))];
    inputs.extend(first.levels.iter().map(|l| ("districts", PathBuf::from(&l.path))));
    let points: Vec<[f64; 2]> = facilities.iter().map(|(_, p)| *p).collect();
    let mut facility_index = vec![Vec::new(); first.keys.len()];
    facilities.iter().enumerate().for_each(|(i, (c, _))| facility_index[*c].push(i));
    let thresholds: Vec<Vec<(String, TimeMs)>> =
        first.thresholds.iter().map(|t| t.iter().map(|(l, ms)| (l.clone(), TimeMs(*ms))).collect()).collect();
    let view = CoverageView {
        keys: &first.keys,
        thresholds: &thresholds,
        main_minutes: first.main_minutes,
        population: &[],
        nearest: &[],
        facility_index: &facility_index,
    };
    let mut sets = Vec::with_capacity(levels.len());
    let mut rows = Vec::with_capacity(levels.len());
    for (level, sums) in first.levels.iter().zip(&levels) {
        let path = Path::new(&level.path);
        if sha256_file(path)?.1 != level.sha256 {
            return Err(Error::bad_input(path, "", "the districts file changed since the tiles were analysed"));
        }
        let set = match level.admin_level {
            Some(_) => read_boundaries(path)?,
            None => districts_from_geojson(path, &level.key)?,
        };
        let n = set.districts.len();
        let names: Vec<String> = set.districts.iter().map(|d| d.key.clone()).collect();
        let facility_district = DistrictIndex::new(&set.districts).locate_all(&points);
        rows.push(sums.rows(&view, &names, &facilities_per_district(&facility_index, &facility_district, n)));
        sets.push(set);
    }
    let districts =
        if sets.is_empty() { Vec::new() } else { finish_levels(sets, rows, &first.tiers, first.targets.as_ref()) };
    let hexagons = first.hexagons.as_ref().map(|h| {
        let grid = HexGrid::from_cells(hex_sums.groups.iter().map(|g| g.key).collect(), h.resolution);
        let n = grid.set.districts.len();
        // Cells to their index in the grid, homes in no cell to `(outside)`.
        let sums = hex_sums.rekeyed(|cell| grid.index_of(cell).unwrap_or(n) as u64);
        let names: Vec<String> = grid.set.districts.iter().map(|d| d.key.clone()).collect();
        let facility_cell = grid.locate_all(&points);
        let rows = sums.rows(&view, &names, &facilities_per_district(&facility_index, &facility_cell, n));
        Districts { set: grid.set, rows, results: Vec::new(), tier: None, units: Vec::new() }
    });
    Ok(MergedTables { districts, hexagons, unchecked: first.unchecked.clone(), inputs })
}
