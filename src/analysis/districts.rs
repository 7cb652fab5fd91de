//! District tables on a finished analysis: rows per district of one or
//! several levels with their per-unit shares and target checks
//! ([`district_levels`], [`finish_levels`]), and H3 hexagons ([`hexagons`]).
//! `O(H log D)` to place `H` homes in `D` districts, then the rows
//! ([`crate::district::table`]) and the targets.

use super::{Analysis, DistrictOptions, Districts};
use crate::coverage::k_nearest::k_nearest_mean_minutes;
use crate::district::assign::DistrictIndex;
use crate::district::h3::HexGrid;
use crate::district::sources::DistrictSet;
use crate::district::table::district_rows;
use crate::district::targets::{LevelRows, evaluate_levels};
use crate::district::units::{UnitShares, parents, unit_shares};
use crate::district::{DistrictRow, UnitTier};
use crate::ids::TimeMs;
use crate::routing::Anchor;

/// A row of statistics per district of `set` and the targets checked in each, on a finished
/// analysis: one level, whose tier is the finest of `opts`'s.
pub fn district_table(a: &Analysis, set: DistrictSet, opts: &DistrictOptions) -> Districts {
    let tier = opts.level_tiers().last().copied().unwrap_or(UnitTier::Community);
    let one = DistrictOptions { coarser: Vec::new(), tiers: vec![tier], ..opts.clone() };
    district_levels(a, vec![set], &one).pop().expect("one level")
}

/// The rows of every district level (`sets` coarse to fine, tiers from `opts`), their per-unit
/// shares and the targets checked on each (see [`evaluate_levels`]), on a finished analysis.
pub fn district_levels(a: &Analysis, sets: Vec<DistrictSet>, opts: &DistrictOptions) -> Vec<Districts> {
    let tiers = match opts.level_tiers() {
        t if t.len() == sets.len() => t,
        _ => UnitTier::defaults(sets.len()).unwrap_or_default(),
    };
    let k_mean: Vec<Vec<f64>> = (0..a.nearest.len())
        .map(|c| {
            if opts.k_nearest == 1 {
                minutes_or_infinity(&a.nearest[c])
            } else {
                let fac: Vec<Option<Anchor>> = a.facility_index[c].iter().map(|&i| a.facility_anchors[i]).collect();
                k_nearest_mean_minutes(&a.graph, &fac, &a.home_anchors, opts.k_nearest)
            }
        })
        .collect();
    let home_points = a.home_points();
    let facility_points = a.facility_points();
    let rows: Vec<Vec<DistrictRow>> = sets
        .iter()
        .map(|set| {
            let index = DistrictIndex::new(&set.districts);
            let home_district = index.locate_all(&home_points);
            let facility_district = index.locate_all(&facility_points);
            a.with_coverage_view(|v| district_rows(v, set, &home_district, &facility_district, &k_mean))
        })
        .collect();
    finish_levels(sets, rows, &tiers, opts.targets.as_ref())
}

/// The levels of districts (`sets` coarse to fine, with their `rows` and
/// `tiers`) with their per-unit shares and the `targets` checked on each (see
/// [`evaluate_levels`]): the part of [`district_levels`] after the rows,
/// shared with the merge of a tiled run's rows.
pub fn finish_levels(
    sets: Vec<DistrictSet>,
    rows: Vec<Vec<DistrictRow>>,
    tiers: &[UnitTier],
    targets: Option<&crate::district::targets::Targets>,
) -> Vec<Districts> {
    // parents[c][f][r]: the row of coarser level c holding row r of level f (rows of districts come
    // first, in district order, so a district's index is its row's).
    let n = sets.len();
    let parents_of: Vec<Vec<Vec<Option<usize>>>> = (0..n)
        .map(|c| {
            (0..n)
                .map(|f| {
                    if c >= f {
                        return Vec::new();
                    }
                    let mut p = parents(&sets[f].districts, &sets[c].districts);
                    p.resize(rows[f].len(), None);
                    p
                })
                .collect()
        })
        .collect();
    let levels: Vec<LevelRows<'_>> =
        rows.iter().zip(tiers).map(|(rows, tier)| LevelRows { tier: Some(*tier), rows }).collect();
    let mut results = match targets {
        Some(t) => evaluate_levels(t, &levels, &parents_of),
        None => vec![Vec::new(); n],
    };
    let units: Vec<Vec<UnitShares>> = rows.iter().map(|r| unit_shares(r)).collect();
    sets.into_iter()
        .zip(rows)
        .zip(units)
        .enumerate()
        .map(|(l, ((set, rows), units))| Districts {
            set,
            rows,
            results: std::mem::take(&mut results[l]),
            tier: Some(tiers[l]),
            units,
        })
        .collect()
}

/// The homes grouped by the H3 cell of `resolution` they fall in, a row of
/// district statistics per cell, on a finished analysis.
pub fn hexagons(a: &Analysis, resolution: u8) -> Districts {
    let points = a.home_points();
    let grid = HexGrid::new(&points, resolution);
    let home_cell = grid.locate_all(&points);
    let facility_cell = grid.locate_all(&a.facility_points());
    let k_mean: Vec<Vec<f64>> = a.nearest.iter().map(|n| minutes_or_infinity(n)).collect();
    let rows = a.with_coverage_view(|v| district_rows(v, &grid.set, &home_cell, &facility_cell, &k_mean));
    Districts { set: grid.set, rows, results: Vec::new(), tier: None, units: Vec::new() }
}

/// Times in minutes, unreachable as infinity.
pub(crate) fn minutes_or_infinity(times: &[TimeMs]) -> Vec<f64> {
    times.iter().map(|t| if *t == TimeMs::INF { f64::INFINITY } else { t.minutes() }).collect()
}
