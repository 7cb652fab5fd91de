//! `lifecircle site`: where to build the next N facilities of a category.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use lifecircle::io::OutputDir;
use lifecircle::io::crs::{Crs, to_wgs84};
use lifecircle::io::points::read_homes;
use lifecircle::report::html::{SITES_REPORT_FILE, write_report};
use lifecircle::report::{Labels, MapData};
use lifecircle::siting::output::{site_markdown, write_site_plan};
use lifecircle::siting::{Candidate, Objective, SiteOptions, plan_sites};

use super::analyze::AnalyzeArgs;

/// `--objective` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ObjectiveArg {
    Coverage,
    MeanTime,
}

/// Arguments of `site`.
#[derive(Debug, Args)]
pub struct SiteArgs {
    #[command(flatten)]
    analysis: AnalyzeArgs,
    /// How many new sites to choose
    #[arg(long, value_name = "N")]
    add: usize,
    /// Candidate sites (CSV or GeoJSON points or polygons: lon/lat, optional id) [default: network nodes near uncovered homes]
    #[arg(long, value_name = "FILE")]
    candidates: Option<PathBuf>,
    /// Coordinate system of --candidates: wgs84, gcj02 or bd09
    #[arg(long, value_name = "CRS", default_value = "wgs84")]
    candidates_crs: String,
    /// Default candidates: one network node per grid cell of this size, metres
    #[arg(long, default_value_t = 100.0, allow_negative_numbers = true)]
    candidate_spacing_m: f64,
    /// What to optimise: coverage (most people newly within the threshold) or mean-time (lowest mean walking time)
    #[arg(long, value_enum, default_value_t = ObjectiveArg::Coverage)]
    objective: ObjectiveArg,
    /// People one new site can serve (a site's gain counts at most this many)
    #[arg(long, allow_negative_numbers = true)]
    capacity: Option<f64>,
}

/// Runs `site`.
pub fn run(mut args: SiteArgs) -> Result<()> {
    let quiet = args.analysis.is_quiet();
    let Some(site_category) = args.analysis.category().map(str::to_string) else {
        bail!("--category: `lifecircle site` needs the category to add sites of");
    };
    args.analysis.site_command = true;
    let config = args.analysis.into_config()?;
    let Some(category) = config.taxonomy.category_id(&site_category) else {
        let keys: Vec<&str> = config.taxonomy.categories.iter().map(|c| c.key.as_str()).collect();
        bail!("--category: unknown category {site_category:?} (known: {})", keys.join(", "));
    };
    if args.add == 0 || args.add > 10_000 {
        bail!("--add: {} is not in 1..=10000", args.add);
    }
    if !(args.candidate_spacing_m.is_finite() && args.candidate_spacing_m > 0.0) {
        bail!("--candidate-spacing-m: {} is not a positive distance", args.candidate_spacing_m);
    }
    let max = lifecircle::io::points::MAX_QUANTITY;
    if args.capacity.is_some_and(|c| !(c.is_finite() && c > 0.0 && c <= max)) {
        bail!("--capacity: must be a positive number of people, at most {max:e}");
    }
    let crs: Crs = args.candidates_crs.parse().map_err(|e| anyhow::anyhow!("--candidates-crs: {e}"))?;
    let candidates = match &args.candidates {
        None => None,
        Some(path) => {
            let (points, _) = read_homes(path, false)?;
            Some(points.into_iter().map(|p| Candidate { id: p.id, lonlat: to_wgs84(crs, p.lonlat) }).collect())
        }
    };
    let out = OutputDir::prepare(&config.out_dir)?;
    let opts = SiteOptions {
        category,
        add: args.add,
        candidates,
        candidate_spacing_m: args.candidate_spacing_m,
        capacity: args.capacity,
        objective: match args.objective {
            ObjectiveArg::Coverage => Objective::Coverage,
            ObjectiveArg::MeanTime => Objective::MeanTime,
        },
    };
    if opts.objective == Objective::MeanTime && opts.capacity.is_some() {
        bail!("--capacity: applies to the coverage objective only");
    }
    let key = config.taxonomy.categories[category.idx()].key.clone();
    let (analysis, plan) = lifecircle::analysis::with_threads(config.threads, || -> lifecircle::Result<_> {
        let a = lifecircle::run(&config)?;
        let plan = plan_sites(&a, &opts);
        Ok((a, plan))
    })??;
    let mut files = write_site_plan(&analysis, &plan, &key, &out, &config.formats)?;
    if let Some(map_opts) = &config.report {
        let map = MapData::from_analysis(&analysis, Some((&plan, category.idx())), map_opts);
        files.push(write_report(&map, &Labels::builtin(), &config.title(), &out, SITES_REPORT_FILE)?);
    }
    let mut manifest = lifecircle::output::run::manifest(&config)?;
    if let Some(path) = &args.candidates {
        manifest.add_input("candidates", path)?;
    }
    // All or nothing, and the folder holds this run only.
    out.commit(files, manifest)?;
    super::warn_notes(&analysis.summary.notes);
    if plan.picks.len() < args.add {
        let chosen = plan.picks.len();
        let why = if plan.candidates.is_empty() {
            "there are no candidates (every home already reaches one, or no network node lies near an uncovered home)"
                .to_string()
        } else {
            format!(
                "no other of the {} candidates brings a home not yet covered within the threshold                  (candidates farther than --max-snap-m from a way reach nobody)",
                plan.candidates.len()
            )
        };
        super::warn_notes(&[format!("site: {chosen} of {} sites chosen: {why}", args.add)]);
    }
    if !quiet {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(site_markdown(&analysis, &plan, &key).as_bytes()).context("writing the plan")?;
        writeln!(stdout, "outputs in {}", config.out_dir.display())?;
    }
    Ok(())
}
