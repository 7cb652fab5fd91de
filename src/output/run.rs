//! Writing a run: every layer in every format asked for, the tables, the
//! report, QGIS styles, `summary.json` last, all committed at once with the
//! run's manifest ([`crate::io::OutputDir::commit`]). `O(output size)`.

use std::time::Instant;

use crate::analysis::summary::Summary;
use crate::analysis::{Analysis, AnalyzeConfig, BUILTIN_PBF, DistrictSource, Districts, PbfSource, run, with_threads};
use crate::district::UnitTier;
use crate::district::table::{MarkdownLevel, to_markdown_levels};
use crate::error::Result;
use crate::io::OutputDir;
use crate::io::atomic::{FinishedFile, write_all};
use crate::io::manifest::RunManifest;
use crate::output::layers::districts::level_layer_name;
use crate::output::layers::{AreaLayer, AreaLayerKind, CoverageLayer, DistrictsLayer, FacilitiesLayer};
use crate::output::{Format, write_layer, write_style};
use crate::progress::Progress;
use crate::report::html::write_report;
use crate::report::{Labels, MapData};

/// Runs the analysis and writes the outputs; returns the summary.
pub fn analyze(config: &AnalyzeConfig) -> Result<Summary> {
    config.validate()?;
    let started = Instant::now();
    let out = OutputDir::prepare(&config.out_dir)?;
    with_threads(config.threads, || {
        let mut analysis = match &config.tile {
            Some(_) => {
                let (network, config) = crate::tile::open(config)?;
                network.analyze(&config)?
            }
            None => run(config)?,
        };
        write_run(&mut analysis, &out, started, Vec::new())?;
        Ok(analysis.summary)
    })?
}

/// Writes a computed run into `out` with `extra` files (e.g. a what-if
/// comparison), fills in the write time and total (from `started`), writes
/// the summary and commits it all with its `run.json` (see [`OutputDir::commit`]).
pub fn write_run(analysis: &mut Analysis, out: &OutputDir, started: Instant, extra: Vec<FinishedFile>) -> Result<()> {
    let config = &analysis.config;
    let manifest = manifest(config)?;
    let t = Instant::now();
    let progress = Progress::new(config.progress);
    let pb = progress.stage("writing outputs");
    let mut files = write_layer(&CoverageLayer::new(analysis), out, &config.formats)?;
    files.extend(write_layer(&FacilitiesLayer::new(analysis), out, &config.formats)?);
    if let Some(iso) = &analysis.isochrones {
        for kind in [AreaLayerKind::Facilities, AreaLayerKind::Categories] {
            files.extend(write_layer(&AreaLayer::new(analysis, iso, kind), out, &config.formats)?);
        }
    }
    if let Some(d) = &analysis.districts {
        files.extend(write_districts(d, &analysis.district_levels, out, &config.formats)?);
    }
    if let Some(h) = &analysis.hexagons {
        files.extend(write_layer(&DistrictsLayer::hexagons(h), out, &config.formats)?);
    }
    if let Some(opts) = &config.report {
        let map = MapData::from_analysis(analysis, None, opts);
        files.push(write_report(&map, &Labels::builtin(), &config.title(), out, crate::report::html::REPORT_FILE)?);
    }
    // QGIS styles beside the map layers, for every format written.
    let mut styled = vec!["coverage", "facilities"];
    if analysis.isochrones.is_some() {
        styled.extend(["isochrones", "coverage_areas"]);
    }
    let level_names: Vec<String> = if analysis.district_levels.is_empty() {
        Vec::new()
    } else {
        analysis
            .district_levels
            .iter()
            .chain(&analysis.districts)
            .filter_map(|d| d.tier.map(level_layer_name))
            .collect()
    };
    if level_names.is_empty() {
        styled.extend(analysis.districts.is_some().then_some("districts"));
    }
    styled.extend(level_names.iter().map(String::as_str));
    styled.extend(analysis.hexagons.is_some().then_some("hexagons"));
    for name in styled {
        files.extend(write_style(name, &config.taxonomy, out)?);
    }
    files.extend(extra);
    analysis.summary.timings.write_s = t.elapsed().as_secs_f64();
    analysis.summary.timings.total_s = started.elapsed().as_secs_f64();
    files.push(write_summary(&analysis.summary, out)?);
    out.commit(files, manifest)?;
    pb.finish_and_clear();
    Ok(())
}

/// The run's manifest before its outputs: the invocation and every input file with its checksum.
pub fn manifest(config: &AnalyzeConfig) -> Result<RunManifest> {
    let mut m = RunManifest::new(&config.invocation);
    match (&config.tile, &config.pbf) {
        (Some(t), _) => m.add_input("tile", t)?,
        (None, PbfSource::File(p)) => m.add_input("pbf", p)?,
        (None, PbfSource::BuiltIn) => m.add_input_bytes("pbf", &config.pbf.path(), BUILTIN_PBF),
    }
    if let Some(path) = &config.taxonomy_path {
        m.add_input("taxonomy", path)?;
    }
    // Points from a table in memory are no file to checksum.
    if let Some(input) = config.facilities_input.as_ref().filter(|i| i.table.is_none()) {
        m.add_input("facilities", &input.path)?;
    }
    if let Some(input) = config.homes_input.as_ref().filter(|i| i.table.is_none()) {
        m.add_input("homes", &input.path)?;
    }
    if let Some(input) = &config.population {
        m.add_input("population", &input.path)?;
    }
    if let Some(add) = config.plan.as_ref().and_then(|p| p.add.as_ref()).filter(|i| i.table.is_none()) {
        m.add_input("add_facilities", &add.path)?;
    }
    if let Some(d) = &config.districts {
        for source in d.sources() {
            match source {
                DistrictSource::GeoJson { path, .. } => m.add_input("districts", path)?,
                DistrictSource::GeoJsonBytes { name, bytes, .. } => m.add_input_bytes("districts", name, bytes),
                DistrictSource::AdminLevel(_) => {}
            }
        }
        if let Some(path) = &d.targets_path {
            m.add_input("targets", path)?;
        }
    }
    Ok(m)
}

/// Writes a run's district levels (`levels` coarse to fine, as `analyze` writes them) and H3
/// hexagons in `formats`, with their QGIS styles (`taxonomy`'s categories): the tables of a
/// merged tiled run, written as `analyze` writes them.
pub fn write_tables(
    levels: &[Districts],
    hexagons: Option<&Districts>,
    taxonomy: &crate::taxonomy::Taxonomy,
    out: &OutputDir,
    formats: &[Format],
) -> Result<Vec<FinishedFile>> {
    let mut files = Vec::new();
    if let Some((finest, coarser)) = levels.split_last() {
        files.extend(write_districts(finest, coarser, out, formats)?);
        let names: Vec<String> = if coarser.is_empty() {
            vec!["districts".to_string()]
        } else {
            levels.iter().filter_map(|d| d.tier.map(level_layer_name)).collect()
        };
        for name in names {
            files.extend(write_style(&name, taxonomy, out)?);
        }
    }
    if let Some(h) = hexagons {
        files.extend(write_layer(&DistrictsLayer::hexagons(h), out, formats)?);
        files.extend(write_style("hexagons", taxonomy, out)?);
    }
    Ok(files)
}

/// Writes `districts.csv`, `districts.geojson` and `districts.md`; with coarser levels, one
/// table and layer per level (`districts-<tier>.csv`, `districts-<tier>.geojson`, ...) and one
/// `districts.md` for all.
fn write_districts(
    d: &Districts,
    coarser: &[Districts],
    out: &OutputDir,
    formats: &[Format],
) -> Result<Vec<FinishedFile>> {
    let levels: Vec<&Districts> = coarser.iter().chain(std::iter::once(d)).collect();
    let names: Vec<String> = if coarser.is_empty() {
        vec!["districts".to_string()]
    } else {
        levels.iter().map(|l| level_layer_name(l.tier.unwrap_or(UnitTier::Community))).collect()
    };
    let mut files = Vec::new();
    for (level, name) in levels.iter().zip(&names) {
        let table = DistrictsLayer::new(level, true).named(name.as_str());
        files.extend(crate::output::format::csv::write_csv(
            &table,
            out.create(&format!("{name}.csv"))?,
            out.create(&format!("{name}.csvt"))?,
        )?);
        files.extend(write_layer(&DistrictsLayer::new(level, false).named(name.as_str()), out, formats)?);
    }
    let titles: Vec<String> = levels
        .iter()
        .zip(&names)
        .map(|(l, name)| match l.tier {
            Some(t) => format!("{} level ({}): {name}", t.key(), t.label_zh()),
            None => name.clone(),
        })
        .collect();
    let md_levels: Vec<MarkdownLevel<'_>> = levels
        .iter()
        .zip(&titles)
        .map(|(l, title)| MarkdownLevel { title, rows: &l.rows, results: &l.results, units: &l.units })
        .collect();
    let mut md = out.create("districts.md")?;
    write_all(&mut md, to_markdown_levels(&md_levels).as_bytes())?;
    files.push(md.finish()?);
    Ok(files)
}

fn write_summary(summary: &Summary, out: &OutputDir) -> Result<FinishedFile> {
    let mut file = out.create("summary.json")?;
    let mut text = serde_json::to_vec_pretty(summary).map_err(|e| file.err(e.into()))?;
    text.push(b'\n');
    write_all(&mut file, &text)?;
    file.finish()
}
