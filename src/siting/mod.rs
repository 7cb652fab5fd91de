//! Choosing where to build: maximal covering location by greedy selection.
//!
//! - [`candidates`]: the user's candidate sites, or network nodes near
//!   uncovered homes thinned to a grid;
//! - [`plan`]: coverage sets from one bounded search per candidate, the
//!   picks, and coverage before and after;
//! - [`mean_time`]: the p-median alternative (lowest mean time), greedy plus
//!   one swap pass;
//! - [`max_coverage`]: given each candidate site's coverage set (the homes
//!   within the threshold of it, with their population) and the homes that
//!   are already covered, pick `n` sites one by one, each adding the most
//!   newly covered population (optionally capped by a site's capacity), with
//!   lazy re-evaluation of gains (CELF).
//!
//! Greedy maximal covering is within `1 − 1/e` of the optimum (the coverage
//! function is monotone and submodular); with a capacity cap per site the
//! gain is still monotone and submodular per site.

pub mod candidates;
pub mod max_coverage;
pub mod mean_time;
pub mod output;
pub mod plan;

pub use candidates::Candidate;
pub use max_coverage::{CoverageSets, Pick, greedy_max_coverage, greedy_max_coverage_plain};
pub use plan::{Objective, SiteOptions, SitePlan, plan_sites};
