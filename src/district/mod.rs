//! Districts: homes grouped by area, a row of coverage statistics per
//! district, checks against the policy's targets, and comparisons of runs.
//!
//! - [`sources`]: districts from a GeoJSON file or the extract's
//!   administrative boundaries;
//! - [`assign`]: homes and facilities to districts (R-tree, point in polygon);
//! - [`table`]: a row of statistics per district, and its writers;
//! - [`gini`]: the Gini coefficient of walking times;
//! - [`h3`]: H3 hexagons as districts (the `--h3` layer);
//! - [`targets`]: policy targets as data (`data/targets/*.toml`) and their
//!   evaluation per district;
//! - [`compare`]: two runs' summaries or district tables side by side.

pub mod assign;
pub mod compare;
pub mod gini;
pub mod h3;
pub mod sources;
pub mod table;
pub mod targets;

use serde::{Deserialize, Serialize};

/// One category's statistics in a district.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CategoryStats {
    /// Category key.
    pub key: String,
    /// Facilities of the category inside the district.
    pub facilities: usize,
    /// Homes reaching one within the main threshold.
    pub homes_covered: usize,
    /// Their share of the district's homes.
    pub share: f64,
    /// People in them.
    pub population_covered: f64,
    /// Their share of the district's population.
    pub share_population: f64,
    /// Shares per threshold: `(label, share of homes, share of population)`.
    pub shares_by_threshold: Vec<(String, f64, f64)>,
    /// Median minutes to the nearest facility (null when more than half reach none).
    pub median_min: Option<f64>,
    /// Mean minutes over the homes that reach one.
    pub mean_min: Option<f64>,
    /// 90th percentile of minutes (null when more than 10 % reach none).
    pub p90_min: Option<f64>,
    /// Gini coefficient of the minutes over the homes that reach one.
    pub gini: Option<f64>,
}

/// A district's row.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DistrictRow {
    /// The district's name or id (`(outside)` for homes in no district).
    pub key: String,
    /// Homes in it.
    pub homes: usize,
    /// People in them.
    pub population: f64,
    /// Per category, in taxonomy order.
    pub categories: Vec<CategoryStats>,
    /// Share of homes reaching every category.
    pub complete_share: f64,
    /// Share of the population reaching every category.
    pub complete_share_population: f64,
    /// Mean over categories of the mean minutes to the `k` nearest facilities, over the district's homes.
    pub mean_k_nearest_min: Option<f64>,
    /// Share of the population whose mean over categories (of the `k` nearest) is within the threshold (F15).
    pub f15_share_population: f64,
}
