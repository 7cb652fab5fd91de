//! Writing a site plan: the sites layer (the picks in order, with their
//! gains, in every format asked for, see [`crate::output::layers::SitesLayer`]),
//! `sites.md` (before and after per threshold, and the picks) and
//! `sites-facilities.csv` (the picks as a facilities file that
//! `analyze --facilities` reads back, with its `.csvt`). `O(picks + thresholds)`.

use super::plan::SitePlan;
use crate::analysis::Analysis;
use crate::error::Result;
use crate::io::OutputDir;
use crate::io::atomic::{FinishedFile, write_all};
use crate::output::format::csv::csv_field;
use crate::output::format::geojson::round_coord;
use crate::output::layers::SitesLayer;
use crate::output::{Format, write_layer, write_style};

/// `sites.md` as text.
pub fn site_markdown(a: &Analysis, plan: &SitePlan, category: &str) -> String {
    use std::fmt::Write;
    let mut s = format!("# New {category} sites\n\n");
    let _ = writeln!(s, "| threshold | homes before | homes after | people before | people after |");
    let _ = writeln!(s, "|---|---:|---:|---:|---:|");
    for b in &plan.before_after {
        let _ = writeln!(
            s,
            "| {} | {:.1} % | {:.1} % | {:.1} % | {:.1} % |",
            b.threshold,
            b.share_before * 100.0,
            b.share_after * 100.0,
            b.share_population_before * 100.0,
            b.share_population_after * 100.0
        );
    }
    if let Some(mt) = &plan.mean_time {
        let _ = writeln!(
            s,
            "\nMean time to the nearest {category}, population-weighted (counted up to twice the threshold): {:.2} min before, {:.2} min after ({} swaps in the improvement pass).",
            mt.mean_min_before,
            mt.mean_min_after,
            mt.swaps.len()
        );
    }
    let _ = writeln!(s, "\n| pick | site | lon | lat | homes gained | people gained | people covered |");
    let _ = writeln!(s, "|---:|---|---:|---:|---:|---:|---:|");
    for (k, p) in plan.picks.iter().enumerate() {
        let c = &plan.candidates[p.candidate];
        let _ = writeln!(
            s,
            "| {} | {} | {:.6} | {:.6} | {} | {:.0} | {:.0} |",
            k + 1,
            c.id,
            c.lonlat[0],
            c.lonlat[1],
            p.homes_gained,
            p.population_gained,
            p.population_covered
        );
    }
    let _ = writeln!(
        s,
        "\n{} candidates considered; their coverage sets held {:.1} MiB. {} homes in all.",
        plan.candidates.len(),
        plan.coverage_sets_bytes as f64 / (1024.0 * 1024.0),
        a.homes.len()
    );
    s
}

/// Writes the site plan into `out` under temporary names: `sites.<format>` for
/// every format of `formats`, `sites.md`, `sites-facilities.csv` with its
/// `.csvt`; the caller commits them (with any other file of the run, such as
/// the report).
pub fn write_site_plan(
    a: &Analysis,
    plan: &SitePlan,
    category: &str,
    out: &OutputDir,
    formats: &[Format],
) -> Result<Vec<FinishedFile>> {
    let mut files = write_layer(&SitesLayer::new(plan, category), out, formats)?;
    files.extend(write_style("sites", &a.config.taxonomy, out)?);
    let mut md = out.create("sites.md")?;
    write_all(&mut md, site_markdown(a, plan, category).as_bytes())?;
    let mut csv = out.create("sites-facilities.csv")?;
    let mut text = String::from("id,name,category,lon,lat\n");
    for (k, p) in plan.picks.iter().enumerate() {
        let c = &plan.candidates[p.candidate];
        text.push_str(&format!(
            "new-{category}-{},{},{category},{},{}\n",
            k + 1,
            csv_field(&format!("new site {} ({})", k + 1, c.id)),
            round_coord(c.lonlat[0]),
            round_coord(c.lonlat[1])
        ));
    }
    write_all(&mut csv, text.as_bytes())?;
    let mut csvt = out.create("sites-facilities.csvt")?;
    write_all(&mut csvt, b"\"String\",\"String\",\"String\",\"Real\",\"Real\"\n")?;
    files.extend([md.finish()?, csv.finish()?, csvt.finish()?]);
    Ok(files)
}
