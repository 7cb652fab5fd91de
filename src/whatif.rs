//! What-if analysis: coverage with planned facilities added and existing ones removed,
//! against the same run without the plan.
//!
//! A [`Plan`] adds the facilities of a file (read as `--facilities` in `add`
//! mode) and removes facilities by the ids written in `facilities.geojson`
//! (`node/123`, `way/45`, or a user file's id). [`what_if`] runs the analysis
//! twice with everything else equal: the planned run's outputs are written as
//! usual to the output folder, then the base run is computed in memory, and
//! the two summaries are compared with [`crate::district::compare`] into
//! `whatif.md` and `whatif.csv` (columns `metric,a,b,difference`, A the base
//! run, B the plan).
//!
//! The plan is applied in [`crate::run`] right after the user's own
//! facilities are merged: first the removals (checked against the base run's
//! facilities, so an unknown id is an error), then the additions.
//!
//! Complexity: two analyses; removing takes `O(F log R)` for `F` facilities
//! and `R` ids; the comparison is that of [`crate::district::compare::compare`].
//!
//! ```no_run
//! use lifecircle::whatif::{Plan, what_if};
//! let config = lifecircle::AnalyzeConfig::new(lifecircle::analysis::default_pbf(), "out-plan");
//! let plan = Plan { add: None, remove: vec!["node/123".into()] };
//! let w = what_if(&config, &plan)?;
//! print!("{}", w.comparison.to_markdown(lifecircle::whatif::LABELS));
//! # Ok::<(), lifecircle::Error>(())
//! ```

use std::path::Path;

use crate::analysis::{AnalyzeConfig, run, with_threads};
use crate::district::compare::{Comparison, compare, summary_run};
use crate::error::Result;
use crate::io::OutputDir;
use crate::output::run::write_run;
use crate::summary::Summary;

/// The Markdown comparison's file name.
pub const MARKDOWN_FILE: &str = "whatif.md";
/// The CSV comparison's file name.
pub const CSV_FILE: &str = "whatif.csv";
/// Labels of the two runs in the comparison: A is the base run, B the plan.
pub const LABELS: [&str; 2] = ["base", "plan"];

pub use crate::inputs::plan::Plan;

/// The two runs and their comparison.
#[derive(Debug, Clone)]
pub struct WhatIf {
    /// The run without the plan (computed in memory, not written).
    pub base: Summary,
    /// The run with the plan (written to the output folder).
    pub planned: Summary,
    /// Base (A) against plan (B), metric by metric.
    pub comparison: Comparison,
}

/// Runs `config` without and with `plan` (any plan already in `config` is ignored), writes the
/// planned run's outputs and `whatif.md` / `whatif.csv` to `config.out_dir`, and returns both
/// summaries and their comparison.
///
/// The planned run goes first, so a bad plan (an unknown id, a bad file) fails before any output
/// is written; its outputs and the two comparison files are committed together, as one run.
///
/// # Errors
///
/// Those of [`crate::analyze`] and [`Plan::apply`]; [`crate::ErrorKind::Output`] or
/// [`crate::ErrorKind::Io`] when the comparison cannot be written.
pub fn what_if(config: &AnalyzeConfig, plan: &Plan) -> Result<WhatIf> {
    config.validate()?;
    let started = std::time::Instant::now();
    let out = OutputDir::prepare(&config.out_dir)?;
    let base_config = AnalyzeConfig { plan: None, ..config.clone() };
    let planned_config = AnalyzeConfig { plan: Some(plan.clone()), ..config.clone() };
    let (mut planned, base) = with_threads(config.threads, || -> Result<_> {
        let planned = run(&planned_config)?;
        let base = run(&base_config)?.summary;
        Ok((planned, base))
    })??;

    // A summary has string keys and finite or null numbers: it always converts.
    let to_value = |s: &Summary| serde_json::to_value(s).expect("a summary converts to JSON");
    let a = summary_run(Path::new("base run"), &to_value(&base))?;
    let b = summary_run(Path::new("planned run"), &to_value(&planned.summary))?;
    let mut comparison = compare(&a, &b);
    comparison.sources = ["base run (not written)".to_string(), format!("plan: {}", plan.describe())];

    let finished = comparison.files(&out, LABELS, MARKDOWN_FILE, CSV_FILE)?;
    with_threads(config.threads, || write_run(&mut planned, &out, started, finished))??;
    Ok(WhatIf { base, planned: planned.summary, comparison })
}
