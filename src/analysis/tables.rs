//! A tile run's district and H3 tables as sums ([`TileTables`]): the tile
//! answers its own homes only, so instead of rows it reports, per district
//! and per H3 cell, the sums rows are made from ([`crate::district::sums`]);
//! `lifecircle merge` adds every tile's and makes the whole run's rows.
//! `O(H · (log D + C · log T))` for `H` homes in `D` districts, `C`
//! categories and `T` distinct times.

use std::path::Path;

use super::config::DistrictSource;
use super::summary::{TileHexagons, TileLevel, TileTables};
use super::{Analysis, minutes_or_infinity};
use crate::district::assign::DistrictIndex;
use crate::district::h3::cell_of;
use crate::district::sources::{DistrictSet, boundaries_file};
use crate::district::sums::LevelSums;
use crate::error::{Error, Result};
use crate::io::manifest::sha256_file;

/// The tables of a tile run (`a.config.tile` set) over its homes: per level of
/// `sets` (the run's district sources, coarse to fine) and with `--h3`.
pub(super) fn tile_tables(a: &Analysis, sets: Option<&[DistrictSet]>) -> Result<TileTables> {
    let config = &a.config;
    let tile = config.tile.as_deref().ok_or_else(|| Error::parameter("--tile", "not a tile run"))?;
    let folder = std::path::absolute(tile.parent().unwrap_or(Path::new(".")))
        .map_err(|e| Error::bad_input(tile, "", format!("cannot resolve its folder: {e}")))?;
    let k_mean: Vec<Vec<f64>> = a.nearest.iter().map(|n| minutes_or_infinity(n)).collect();
    let points = a.home_points();
    let homes: Vec<usize> = (0..a.homes.len()).collect();
    let mut levels = Vec::new();
    if let (Some(sets), Some(opts)) = (sets, &config.districts) {
        for (set, source) in sets.iter().zip(opts.sources()) {
            let (path, key, admin_level) = match source {
                DistrictSource::GeoJson { path, key } => (path.clone(), key.clone(), None),
                // The tiles folder's copy of the whole extract's boundaries (see `tile::open`).
                DistrictSource::AdminLevel(level) => {
                    (folder.join(boundaries_file(*level)), String::new(), Some(*level))
                }
                DistrictSource::GeoJsonBytes { .. } => {
                    return Err(Error::parameter("--districts", "a tile's districts come from a file"));
                }
            };
            let path = std::path::absolute(&path)
                .map_err(|e| Error::bad_input(&path, "", format!("cannot resolve its path: {e}")))?;
            let index = DistrictIndex::new(&set.districts);
            let district = index.locate_all(&points);
            let sums =
                a.with_coverage_view(|v| LevelSums::of_homes(v, &district, set.districts.len(), &k_mean, &homes));
            levels.push(TileLevel {
                sha256: sha256_file(&path)?.1,
                path: path.display().to_string(),
                key,
                admin_level,
                sums,
            });
        }
    }
    let hexagons = config.h3.map(|resolution| {
        let cells: Vec<Option<usize>> = points.iter().map(|&p| cell_of(p, resolution).map(|c| c as usize)).collect();
        // Cells are keys themselves; a home in no cell (none: every position has one) goes to u64::MAX.
        let sums = a.with_coverage_view(|v| LevelSums::of_homes(v, &cells, usize::MAX, &k_mean, &homes));
        TileHexagons { resolution: resolution.min(15), sums }
    });
    let opts = config.districts.as_ref();
    Ok(TileTables {
        folder: folder.display().to_string(),
        keys: config.taxonomy.categories.iter().map(|c| c.key.clone()).collect(),
        thresholds: (0..config.taxonomy.len())
            .map(|c| config.thresholds(c).into_iter().map(|(label, t)| (label, t.0)).collect())
            .collect(),
        main_minutes: config.threshold().minutes(),
        levels,
        tiers: opts.map(|o| o.level_tiers()).unwrap_or_default(),
        targets: opts.and_then(|o| o.targets.clone()),
        unchecked: opts.and_then(|o| o.targets.as_ref()).map(|t| t.unchecked(&config.taxonomy)).unwrap_or_default(),
        hexagons,
    })
}
