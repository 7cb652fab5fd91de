//! Districts: homes grouped by area, a row of coverage statistics per
//! district, checks against the policy's targets, and comparisons of runs.
//!
//! - [`sources`]: districts from a GeoJSON file or the extract's
//!   administrative boundaries;
//! - [`assign`]: homes and facilities to districts (R-tree, point in polygon);
//! - [`table`]: a row of statistics per district, and its writers;
//! - [`sums`]: the mergeable sums a row is made from (tiles' rows merged exactly);
//! - [`gini`]: the Gini coefficient of walking times;
//! - [`h3`]: H3 hexagons as districts (the `--h3` layer);
//! - [`targets`]: policy targets as data (`data/targets/*.toml`) and their
//!   evaluation per district;
//! - [`units`]: per-unit metrics over a set of districts (the share of units
//!   with a facility inside, or whose homes' median walk is within the
//!   threshold), the way officials count (社区托育服务覆盖率: the share of
//!   communities served), and units nested in coarser ones;
//! - [`compare`]: two runs' summaries or district tables side by side.

pub mod assign;
pub mod compare;
pub mod gini;
pub mod h3;
pub mod sources;
pub mod sums;
pub mod table;
pub mod targets;
pub mod units;

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
    /// Whether the median home's walk to the nearest facility is within the main threshold
    /// (compared in exact milliseconds; false when the district has no homes or more than half
    /// reach none).
    #[serde(default)]
    pub median_within: bool,
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

/// The tier of an administrative unit, as the policy counts them: 区 (district),
/// 街道/乡镇 (sub-district, township), 社区/村 (community, village). A run's
/// district levels each have one (see `DistrictOptions::level_tiers`), and a
/// target rule may name the tier it applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitTier {
    /// 区 / 县: a city district or county.
    District,
    /// 街道 / 乡镇: a sub-district or township.
    Subdistrict,
    /// 社区 / 村 (居委会, 村委会): a community or village.
    Community,
}

impl UnitTier {
    /// Every tier, coarse to fine.
    pub const ALL: [UnitTier; 3] = [UnitTier::District, UnitTier::Subdistrict, UnitTier::Community];

    /// `district`, `subdistrict` or `community` (in rule files, flags and file names).
    pub fn key(self) -> &'static str {
        match self {
            UnitTier::District => "district",
            UnitTier::Subdistrict => "subdistrict",
            UnitTier::Community => "community",
        }
    }

    /// The Chinese name: 区, 街道(乡镇), 社区(村).
    pub fn label_zh(self) -> &'static str {
        match self {
            UnitTier::District => "区",
            UnitTier::Subdistrict => "街道(乡镇)",
            UnitTier::Community => "社区(村)",
        }
    }

    /// Parses a key (`district`, `subdistrict`, `community`) or a Chinese name
    /// (`区`, `县`, `街道`, `乡镇`, `社区`, `村`).
    pub fn parse(text: &str) -> Option<UnitTier> {
        match text.trim() {
            "district" | "区" | "县" | "区县" => Some(UnitTier::District),
            "subdistrict" | "街道" | "乡镇" | "街道(乡镇)" => Some(UnitTier::Subdistrict),
            "community" | "社区" | "村" | "社区(村)" | "居委会" => Some(UnitTier::Community),
            _ => None,
        }
    }

    /// The default tiers of `n` levels (coarse to fine), counted from the finest:
    /// the finest level is `community`, the next `subdistrict`, then `district`.
    /// `None` for more than three levels.
    pub fn defaults(n: usize) -> Option<Vec<UnitTier>> {
        (n <= 3).then(|| UnitTier::ALL[3 - n..].to_vec())
    }
}

impl std::fmt::Display for UnitTier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}
