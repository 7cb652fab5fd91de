//! Per-unit metrics: how officials count coverage. Over a set of units (the
//! districts of one level: 区, 街道 or 社区), per category:
//!
//! - the share of units with at least one facility inside
//!   (`units_with_facility`; 社区托育服务覆盖率 in its usual sense: the share
//!   of communities offering childcare);
//! - the share of units whose homes' median walk to the nearest facility is
//!   within the threshold (`units_median_within`; over the units that have
//!   homes, since a unit without homes has no median);
//! - next to them, the share of the units' homes within the threshold.
//!
//! `complete` counts a unit when it holds a facility of every category (or
//! every category's median is within its threshold).
//!
//! Units nest: [`parents`] finds, for every unit of a finer level, the unit of
//! a coarser level holding it (by an interior point of its area), so a rule
//! on communities can also be read per district (the share of each district's
//! communities served).
//!
//! Complexity: `O(U · C)` for `U` units and `C` categories; [`parents`] is
//! `O(U log V + vertices)` with the R-tree of [`DistrictIndex`].
//!
//! ```
//! use lifecircle::district::units::unit_shares;
//! use lifecircle::district::{CategoryStats, DistrictRow};
//!
//! let row = |key: &str, homes: usize, facilities: usize, covered: usize, median_within: bool| DistrictRow {
//!     key: key.into(),
//!     homes,
//!     categories: vec![CategoryStats {
//!         key: "childcare".into(),
//!         facilities,
//!         homes_covered: covered,
//!         median_within,
//!         ..Default::default()
//!     }],
//!     ..Default::default()
//! };
//! let rows = [row("A", 10, 1, 8, true), row("B", 10, 0, 4, false), row("C", 0, 1, 0, false)];
//! let shares = unit_shares(&rows);
//! let childcare = &shares[0];
//! assert_eq!((childcare.units, childcare.units_with_facility), (3, 2)); // A and C hold one
//! assert_eq!((childcare.units_with_homes, childcare.units_median_within), (2, 1)); // C has no homes
//! assert_eq!(childcare.homes_covered, 12); // of 20
//! ```

use geo::InteriorPoint;
use serde::Serialize;

use super::DistrictRow;
use super::assign::DistrictIndex;
use super::sources::District;
use super::table::OUTSIDE;
use crate::coverage::stats::share;

/// The key of the `complete` entry of [`unit_shares`].
pub const COMPLETE: &str = "complete";

/// One category's per-unit shares over a set of units.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UnitShares {
    /// The category key, or `complete`.
    pub key: String,
    /// Units in the set (the `(outside)` row is not a unit).
    pub units: usize,
    /// Units with at least one facility of the category inside (of every category for `complete`).
    pub units_with_facility: usize,
    /// `units_with_facility / units`.
    pub share_units_with_facility: f64,
    /// Units holding at least one home (the denominator of the median share).
    pub units_with_homes: usize,
    /// Units whose homes' median walk to the nearest facility is within the threshold (every
    /// category's, for `complete`).
    pub units_median_within: usize,
    /// `units_median_within / units_with_homes`.
    pub share_units_median_within: f64,
    /// Homes in the units.
    pub homes: usize,
    /// Of them, homes within the threshold (of every category, for `complete`).
    pub homes_covered: usize,
    /// `homes_covered / homes`.
    pub share_homes: f64,
}

/// The rows that are units: all but `(outside)`.
pub fn unit_rows(rows: &[DistrictRow]) -> impl Iterator<Item = &DistrictRow> {
    rows.iter().filter(|r| r.key != OUTSIDE)
}

/// `(units counted, units)` for one category (`None`: `complete`) of a set of
/// unit rows: with a facility inside (`median == false`), or with their
/// median within the threshold (`median == true`, over units with homes).
/// Rows lacking the category count as lacking it.
pub fn count_units<'a>(rows: impl Iterator<Item = &'a DistrictRow>, key: Option<&str>, median: bool) -> (usize, usize) {
    let mut counted = 0;
    let mut total = 0;
    for r in rows {
        if median && r.homes == 0 {
            continue;
        }
        total += 1;
        let holds = |c: &super::CategoryStats| if median { c.median_within } else { c.facilities > 0 };
        let ok = match key {
            Some(k) => r.categories.iter().find(|c| c.key == k).is_some_and(holds),
            None => !r.categories.is_empty() && r.categories.iter().all(holds),
        };
        counted += usize::from(ok);
    }
    (counted, total)
}

/// Per category (in the rows' order) and then `complete`, the per-unit shares
/// of `rows` (the `(outside)` row is left out).
pub fn unit_shares(rows: &[DistrictRow]) -> Vec<UnitShares> {
    let Some(first) = unit_rows(rows).next() else { return Vec::new() };
    let keys: Vec<Option<String>> =
        first.categories.iter().map(|c| Some(c.key.clone())).chain(std::iter::once(None)).collect();
    keys.into_iter()
        .map(|key| {
            let (with_facility, units) = count_units(unit_rows(rows), key.as_deref(), false);
            let (median_within, with_homes) = count_units(unit_rows(rows), key.as_deref(), true);
            let homes: usize = unit_rows(rows).map(|r| r.homes).sum();
            let covered: usize = unit_rows(rows)
                .map(|r| match key.as_deref() {
                    Some(k) => r.categories.iter().find(|c| c.key == k).map_or(0, |c| c.homes_covered),
                    None => (r.complete_share * r.homes as f64).round() as usize,
                })
                .sum();
            UnitShares {
                key: key.unwrap_or_else(|| COMPLETE.to_string()),
                units,
                units_with_facility: with_facility,
                share_units_with_facility: share(with_facility, units),
                units_with_homes: with_homes,
                units_median_within: median_within,
                share_units_median_within: share(median_within, with_homes),
                homes,
                homes_covered: covered,
                share_homes: share(covered, homes),
            }
        })
        .collect()
}

/// For every unit of `fine`, the index of the unit of `coarse` holding it: the
/// one holding an interior point of its area (the first in input order where
/// coarse units overlap), `None` when none does.
pub fn parents(fine: &[District], coarse: &[District]) -> Vec<Option<usize>> {
    let index = DistrictIndex::new(coarse);
    fine.iter().map(|d| d.shape.interior_point().and_then(|p| index.locate([p.x(), p.y()]))).collect()
}
