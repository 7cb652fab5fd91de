//! Comparing two runs: two cities, or one city before and after a plan.
//!
//! A run is read by [`load_run`] from an `analyze` output folder, its
//! `summary.json`, or a district table (a CSV whose header starts with
//! `district,`), detected by content. Each run is flattened into an ordered
//! list of named metrics ([`RunTable::metrics`]); [`compare`] matches the two
//! lists by name and gives, for every metric, A, B and B − A, plus warnings
//! when the runs were made with different inputs or parameters (PBF,
//! taxonomy, profile, thresholds or tiers, speed, ...). The result renders as
//! Markdown ([`Comparison::to_markdown`]) and CSV ([`Comparison::to_csv`],
//! header `metric,a,b,difference`), and [`Comparison::write`] writes both
//! atomically as `compare.md` and `compare.csv`.
//!
//! Metrics of a summary, in this order: `graph.nodes`, `graph.edges`,
//! `graph.length_km`, `homes.total`, `homes.population`, `facilities.<key>`
//! (keys sorted), then per category in taxonomy order `<key>.share_covered`,
//! `<key>.share_covered_population`, `<key>.median_min` and per threshold
//! `<key>.share@<label>`, `<key>.share_population@<label>` (thresholds matched
//! by label), and last `complete.share`, `complete.share_population`.
//! Metrics of a district table: `<district>.<column>` for every numeric column.
//!
//! Shares are fractions in the CSV (as in `summary.json`, so B − A is exact);
//! the Markdown shows them in per cent and their differences in percentage
//! points (`pp`, also [`MetricRow::difference_pp`]).
//!
//! Complexity: loading is linear in the file size; comparing `n` and `m`
//! metrics takes O((n + m) log(n + m)) time (name look-ups in ordered maps)
//! and O(n + m) space; the order of the rows depends only on the two inputs.
//!
//! ```no_run
//! use lifecircle::district::compare::{compare, load_run};
//! let a = load_run("out-before".as_ref())?;
//! let b = load_run("out-after/summary.json".as_ref())?;
//! let cmp = compare(&a, &b);
//! for w in &cmp.warnings {
//!     eprintln!("warning: {w}");
//! }
//! print!("{}", cmp.to_markdown(["before", "after"]));
//! # Ok::<(), lifecircle::Error>(())
//! ```

mod diff;
mod load;
mod write;

pub use diff::{compare, default_label, default_labels};
pub use load::{load_run, run_file, summary_run};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file looked for in an `analyze` output folder.
pub const SUMMARY_FILE: &str = "summary.json";
/// The district table looked for in an output folder without a summary.
pub const DISTRICTS_FILE: &str = "districts.csv";
/// The Markdown output's file name.
pub const MARKDOWN_FILE: &str = "compare.md";
/// The CSV output's file name.
pub const CSV_FILE: &str = "compare.csv";

/// What a metric measures, for display (values are never rescaled in the CSV).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A count (homes, facilities, nodes).
    Count,
    /// A fraction in 0..=1, shown in per cent; differences in percentage points.
    Share,
    /// Minutes.
    Minutes,
    /// Kilometres.
    Kilometres,
    /// Any other number (people, district-table columns).
    Number,
}

impl Unit {
    /// Guesses the unit from a column or field name (`share…` → share, `…_min` → minutes, ...).
    pub fn from_name(name: &str) -> Unit {
        if name.contains("share") {
            Unit::Share
        } else if name.ends_with("_min") {
            Unit::Minutes
        } else if name.ends_with("_km") {
            Unit::Kilometres
        } else if name == "homes" || name.starts_with("homes_") || name == "facilities" {
            Unit::Count
        } else {
            Unit::Number
        }
    }
}

/// One named value of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Its name, unique within the run (`grocery.share_covered`).
    pub name: String,
    /// Its unit.
    pub unit: Unit,
    /// The value (`None` when the run has none, e.g. a null median).
    pub value: Option<f64>,
}

/// The inputs and parameters of a summarised run, compared to warn about runs that differ.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunSettings {
    /// `(name, value)` pairs in a fixed order: `pbf`, `taxonomy`, `profile`, `minutes`, `tiers`,
    /// `speed_kmh`, `max_snap_m`, `min_component_nodes`, `snap_mode`, `facilities file`,
    /// `homes file`, `lifecircle version`; a value is `-` when absent.
    pub items: Vec<(String, String)>,
}

/// A run read from an `analyze` output folder or its `summary.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRun {
    /// The file read.
    pub source: PathBuf,
    /// Inputs and parameters.
    pub settings: RunSettings,
    /// Category keys in taxonomy order.
    pub categories: Vec<String>,
    /// The metrics, in the order described in the [module docs](self).
    pub metrics: Vec<Metric>,
    /// Minutes of every threshold label (`"15"` → 15, `"300m"` → its walking time).
    pub threshold_minutes: BTreeMap<String, f64>,
}

/// A district table (`districts.csv`): one row per district, numeric columns compared by district key.
#[derive(Debug, Clone, PartialEq)]
pub struct DistrictTable {
    /// The file read.
    pub source: PathBuf,
    /// Column names after `district`.
    pub columns: Vec<String>,
    /// Rows in file order: the district key and one value per column (`None` when empty or not a number).
    pub rows: Vec<(String, Vec<Option<f64>>)>,
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum RunTable {
    /// A run summary (`summary.json`).
    Summary(SummaryRun),
    /// A district table (`districts.csv`).
    Districts(DistrictTable),
}

impl RunTable {
    /// The file the run was read from.
    pub fn source(&self) -> &Path {
        match self {
            RunTable::Summary(s) => &s.source,
            RunTable::Districts(d) => &d.source,
        }
    }

    /// The run flattened into named metrics, in a deterministic order.
    pub fn metrics(&self) -> Vec<Metric> {
        match self {
            RunTable::Summary(s) => s.metrics.clone(),
            RunTable::Districts(d) => {
                let mut out = Vec::with_capacity(d.rows.len() * d.columns.len());
                for (key, values) in &d.rows {
                    for (col, v) in d.columns.iter().zip(values) {
                        out.push(Metric { name: format!("{key}.{col}"), unit: Unit::from_name(col), value: *v });
                    }
                }
                out
            }
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            RunTable::Summary(_) => "a run summary",
            RunTable::Districts(_) => "a district table",
        }
    }
}

/// One row of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRow {
    /// The metric's name.
    pub metric: String,
    /// Its unit.
    pub unit: Unit,
    /// The value in run A (`None` when A has none).
    pub a: Option<f64>,
    /// The value in run B.
    pub b: Option<f64>,
    /// B − A, in the metric's unit (a fraction for shares); `None` unless both sides have a value.
    pub difference: Option<f64>,
}

impl MetricRow {
    /// The difference in percentage points, for shares (`None` for other units).
    pub fn difference_pp(&self) -> Option<f64> {
        match self.unit {
            Unit::Share => self.difference.map(|d| d * 100.0),
            _ => None,
        }
    }
}

/// Two runs side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The files compared, A then B (as given).
    pub sources: [String; 2],
    /// Inputs and parameters that differ, and metrics found on one side only.
    pub warnings: Vec<String>,
    /// One row per metric: A's metrics in order, B's extra metrics after their predecessor in B.
    pub rows: Vec<MetricRow>,
}
