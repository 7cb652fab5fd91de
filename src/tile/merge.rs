//! Tile summaries merged into the whole run's summary: from counts, unrounded
//! population sums and exact histograms (medians from the merged histograms),
//! never by averaging shares. `O(tiles · categories · histogram)`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::tables::{MergedTables, combine_tables, finish_tables};
use crate::analysis::summarize::{category_note, districts_summary, home_notes, no_facilities_note};
use crate::analysis::summary::{TileCategory, TileSummary, TileTables};
use crate::coverage::stats::{ExactSum, round_to, share};
use crate::error::{Error, Result};

/// Reads the `summary.json` files of tile runs and merges them ([`merge_summaries`]).
pub fn merge_summary_files(paths: &[impl AsRef<Path>]) -> Result<Value> {
    merge_run_files(paths).map(|run| run.summary)
}

/// `lifecircle merge`: reads the tiles' `summary.json` files, merges them
/// ([`merge_run`]) and writes the whole run's `summary.json` and, when the
/// tiles had them, its district levels and hexagons in `formats` (with their
/// QGIS styles) into `out`, committed at once with its `run.json`. `warn`
/// hears what is worth a warning (styles that fall back to the built-in
/// categories when the run's taxonomy cannot be read again).
///
/// With `partial`, the summary of a partial merge ([`merge_partial`]) and no tables.
pub fn write_merged(
    paths: &[PathBuf],
    out: &Path,
    formats: &[crate::output::Format],
    invocation: &crate::io::manifest::Invocation,
    partial: bool,
    warn: impl Fn(&str),
) -> Result<MergedRun> {
    let dir = crate::io::OutputDir::prepare(out)?;
    let merged = merge_with(&read_summaries(paths)?, partial)?;
    let mut files = Vec::new();
    if let Some(tables) = &merged.tables {
        let source = merged.summary["inputs"]["taxonomy"].as_str().unwrap_or("built-in");
        let taxonomy = match crate::taxonomy::Taxonomy::chosen((source != "built-in").then_some(source)) {
            Ok(t) => t.taxonomy,
            Err(e) => {
                warn(&format!("styles use the built-in categories: {e}"));
                crate::taxonomy::Taxonomy::builtin()
            }
        };
        files.extend(crate::output::run::write_tables(
            &tables.districts,
            tables.hexagons.as_ref(),
            &taxonomy,
            &dir,
            formats,
        )?);
    }
    let mut file = dir.create("summary.json")?;
    let mut text = serde_json::to_vec_pretty(&merged.summary).map_err(|e| file.err(e.into()))?;
    text.push(b'\n');
    crate::io::atomic::write_all(&mut file, &text)?;
    files.push(file.finish()?);
    let mut manifest = crate::io::manifest::RunManifest::new(invocation);
    for p in paths {
        manifest.add_input("summary", p)?;
    }
    for (kind, path) in merged.tables.iter().flat_map(|t| &t.inputs) {
        manifest.add_input(kind, path)?;
    }
    dir.commit(files, manifest)?;
    Ok(merged)
}

/// Reads the `summary.json` files of tile runs and merges them with their tables ([`merge_run`]).
pub fn merge_run_files(paths: &[impl AsRef<Path>]) -> Result<MergedRun> {
    merge_run(&read_summaries(paths)?)
}

/// The `summary.json` files at `paths`, each named by its path.
fn read_summaries(paths: &[impl AsRef<Path>]) -> Result<Vec<(String, Value)>> {
    let mut named = Vec::with_capacity(paths.len());
    for p in paths {
        let p = p.as_ref();
        let text = crate::io::limits::read_bounded(p, 256 << 20, "summary")?;
        let v: Value =
            serde_json::from_slice(&text).map_err(|e| Error::bad_input(p, "", format!("not a summary.json: {e}")))?;
        named.push((p.display().to_string(), v));
    }
    Ok(named)
}

/// The lower median of a `[key, count]` histogram of `total` values, the
/// `total - counted` values not in it larger than every key.
fn median_key(hist: &[[u64; 2]], total: u64) -> Option<u64> {
    if total == 0 {
        return None;
    }
    let mid = (total - 1) / 2;
    let mut seen = 0u64;
    for &[k, n] in hist {
        seen += n;
        if seen > mid {
            return Some(k);
        }
    }
    None
}

fn add_hist(into: &mut BTreeMap<u64, u64>, pairs: &[[u64; 2]]) {
    for [k, n] in pairs {
        *into.entry(*k).or_insert(0) += n;
    }
}

/// Merges the summaries of the tiles of one `prepare` (each `(name, summary)`,
/// the name for errors) into the summary of the whole run: the same numbers
/// as `analyze --reach-minutes R` on the whole extract, timings (summed here)
/// and the per-run `parameters.threads` excepted. Every tile must be there
/// once: the homes must add up to the whole run's. ([`merge_run`] also
/// returns the district and H3 tables.)
pub fn merge_summaries(summaries: &[(String, Value)]) -> Result<Value> {
    merge_run(summaries).map(|run| run.summary)
}

/// A tiled run merged: the whole run's summary and its tables.
#[derive(Debug, Clone)]
pub struct MergedRun {
    /// The summary (as [`merge_summaries`]), with its `districts` section when the tiles had districts.
    pub summary: Value,
    /// The district and H3 tables, when the tiles had them ([`super::tables::merge_tables`]).
    pub tables: Option<MergedTables>,
}

/// [`merge_summaries`] and the tiles' district and H3 tables merged ([`super::tables::merge_tables`]).
pub fn merge_run(summaries: &[(String, Value)]) -> Result<MergedRun> {
    merge_with(summaries, false)
}

/// A partial merge: the summaries of some tiles of one `prepare` (or of
/// partial merges of others) merged into one that merges again, with the
/// rest, into the whole run's. Its numbers are those of the union of its
/// tiles' homes; its `tile` section holds their sums (counts, exact sums,
/// histograms, district and H3 sums) and the tiles' ids, so no tile is
/// counted twice. For runs too large to merge at once (a country's tiles per
/// province, then the provinces).
pub fn merge_partial(summaries: &[(String, Value)]) -> Result<Value> {
    merge_with(summaries, true).map(|run| run.summary)
}

fn merge_with(summaries: &[(String, Value)], partial: bool) -> Result<MergedRun> {
    let bad = |name: &str, msg: String| Error::bad_input(Path::new(name), "", msg);
    let (first_name, first) = summaries.first().ok_or_else(|| Error::parameter("merge", "no summaries to merge"))?;
    let mut tiles: Vec<TileSummary> = Vec::with_capacity(summaries.len());
    for (name, v) in summaries {
        let t =
            v.get("tile").cloned().ok_or_else(|| bad(name, "not the summary of a tile run (no \"tile\")".into()))?;
        let t: TileSummary =
            serde_json::from_value(t).map_err(|e| bad(name, format!("its \"tile\" section is not valid: {e}")))?;
        tiles.push(t);
    }
    let facts = tiles[0].facts.clone().ok_or_else(|| bad(first_name, "its tile has no facts".into()))?;
    let mut ids = std::collections::BTreeSet::new();
    for ((name, _), t) in summaries.iter().zip(&tiles) {
        let f = t.facts.as_ref().ok_or_else(|| bad(name, "its tile has no facts".into()))?;
        if (&f.pbf, f.pbf_bytes, &f.facilities, f.homes)
            != (&facts.pbf, facts.pbf_bytes, &facts.facilities, facts.homes)
        {
            return Err(bad(name, format!("tile {} comes from another prepare than tile {}", f.id, facts.id)));
        }
        for id in t.tile_ids() {
            if !ids.insert(id.clone()) {
                return Err(bad(name, format!("tile {id} is given twice")));
            }
        }
        if t.categories.len() != facts.facilities.len() {
            return Err(bad(name, "its categories differ from the other tiles'".into()));
        }
    }
    let n_homes: usize = tiles.iter().map(|t| t.homes).sum();
    if !partial && n_homes != facts.homes {
        return Err(Error::parameter(
            "merge",
            format!(
                "the {} tiles hold {n_homes} homes of the whole run's {}: tiles are missing",
                tiles.len(),
                facts.homes
            ),
        ));
    }
    // Every tile's sums added into one, then the summary of that one.
    let named: Vec<(String, Option<&TileTables>)> =
        summaries.iter().zip(&tiles).map(|((name, _), t)| (name.clone(), t.tables.as_ref())).collect();
    let all = combine(&tiles, combine_tables(&named)?, ids.into_iter().collect());
    let value = |bits: &[u64]| ExactSum::from_bits(bits).value();
    let population = value(&all.population);
    let pshare = |p: f64| if population > 0.0 { p / population } else { 0.0 };
    let snapped: u64 = all.snap_dm.iter().map(|[_, n]| n).sum();
    let max_snap_m = first["parameters"]["max_snap_m"].as_f64().unwrap_or(0.0);

    let mut out = first.clone();
    out["inputs"]["pbf"] = json!(facts.pbf);
    out["inputs"]["pbf_bytes"] = json!(facts.pbf_bytes);
    if let Some(timings) = out["timings"].as_object_mut() {
        for (key, value) in timings.iter_mut() {
            let sum: f64 = summaries.iter().filter_map(|(_, s)| s["timings"][key].as_f64()).sum();
            *value = json!(sum);
        }
    }
    let h = &mut out["homes"];
    h["total"] = json!(n_homes);
    h["population"] = json!(round_to(population, 3));
    h["unreachable"] = json!(all.unreachable);
    h["nearest_way_on_dropped_island"] = json!(all.nearest_island);
    h["median_snap_m"] = json!(median_key(&all.snap_dm, snapped).map(|k| k as f64 / 10.0));
    let mut notes = Vec::new();
    let cats = out["categories"].as_array_mut().ok_or_else(|| bad(first_name, "no categories".into()))?;
    let mut facilities_map = BTreeMap::new();
    for ((c, cat), part) in cats.iter_mut().enumerate().zip(&all.categories) {
        let key = part.key.clone();
        let (n_fac, unreach) = (facts.facilities[c], facts.facilities_unreachable[c]);
        facilities_map.insert(key.clone(), json!(n_fac));
        notes.extend(category_note(&key, n_fac, unreach, max_snap_m));
        let (covered, covered_pop) = (part.covered_homes, value(&part.covered_population));
        cat["facilities"] = json!(n_fac);
        cat["facilities_unreachable"] = json!(unreach);
        cat["note"] = json!(no_facilities_note(n_fac));
        cat["homes_covered"] = json!(covered);
        cat["share_covered"] = json!(share(covered, n_homes));
        cat["population_covered"] = json!(round_to(covered_pop, 3));
        cat["share_covered_population"] = json!(pshare(covered_pop));
        cat["median_min"] = json!(median_key(&part.nearest_hundredths, n_homes as u64).map(|k| k as f64 / 100.0));
        let thresholds = cat["thresholds"].as_array_mut().ok_or_else(|| bad(first_name, "no thresholds".into()))?;
        for (k, th) in thresholds.iter_mut().enumerate() {
            let (homes, pop) = part.thresholds.get(k).map_or((0, 0.0), |(n, bits)| (*n, value(bits)));
            th["homes"] = json!(homes);
            th["share"] = json!(share(homes, n_homes));
            th["population"] = json!(round_to(pop, 3));
            th["share_population"] = json!(pshare(pop));
        }
    }
    out["facilities"] = json!(facilities_map);
    let (complete, complete_pop) = (all.complete_homes, value(&all.complete_population));
    out["complete"] = json!({
        "homes": complete,
        "share": share(complete, n_homes),
        "population": round_to(complete_pop, 3),
        "share_population": pshare(complete_pop),
    });
    notes.extend(home_notes(n_homes, all.unreachable, max_snap_m));
    if partial {
        out["notes"] = json!(notes);
        out["tile"] = serde_json::to_value(all).map_err(|e| bad(first_name, e.to_string()))?;
        return Ok(MergedRun { summary: out, tables: None });
    }
    let tables = all.tables.as_ref().map(finish_tables).transpose()?;
    if let Some((finest, coarser)) = tables.as_ref().and_then(|t| t.districts.split_last()) {
        let unchecked = tables.as_ref().map(|t| t.unchecked.clone()).unwrap_or_default();
        let section = districts_summary(finest, coarser, unchecked, &mut notes);
        out["districts"] = serde_json::to_value(section).map_err(|e| bad(first_name, e.to_string()))?;
    }
    out["notes"] = json!(notes);
    if let Some(o) = out.as_object_mut() {
        o.remove("tile");
    }
    Ok(MergedRun { summary: out, tables })
}

/// The tiles' sums added into one [`TileSummary`] (a partial merge's `tile`
/// section), holding the tiles `ids`. The tiles are checked to be of one
/// prepare, with the same categories and thresholds, by the caller.
fn combine(tiles: &[TileSummary], tables: Option<TileTables>, ids: Vec<String>) -> TileSummary {
    let exact = |parts: &mut dyn Iterator<Item = &Vec<u64>>| {
        let mut s = ExactSum::default();
        parts.for_each(|bits| s.merge(&ExactSum::from_bits(bits)));
        s.to_bits()
    };
    let hist = |parts: &mut dyn Iterator<Item = &Vec<[u64; 2]>>| {
        let mut h = BTreeMap::new();
        parts.for_each(|p| add_hist(&mut h, p));
        h.into_iter().map(|(k, n)| [k, n]).collect::<Vec<[u64; 2]>>()
    };
    let first = &tiles[0];
    let categories = (0..first.categories.len())
        .map(|c| {
            let parts: Vec<&TileCategory> = tiles.iter().map(|t| &t.categories[c]).collect();
            TileCategory {
                key: first.categories[c].key.clone(),
                covered_homes: parts.iter().map(|p| p.covered_homes).sum(),
                covered_population: exact(&mut parts.iter().map(|p| &p.covered_population)),
                thresholds: (0..first.categories[c].thresholds.len())
                    .map(|k| {
                        let n = parts.iter().map(|p| p.thresholds.get(k).map_or(0, |x| x.0)).sum();
                        (n, exact(&mut parts.iter().filter_map(|p| p.thresholds.get(k).map(|x| &x.1))))
                    })
                    .collect(),
                nearest_hundredths: hist(&mut parts.iter().map(|p| &p.nearest_hundredths)),
                unreached: parts.iter().map(|p| p.unreached).sum(),
            }
        })
        .collect();
    TileSummary {
        facts: first.facts.clone(),
        homes: tiles.iter().map(|t| t.homes).sum(),
        population: exact(&mut tiles.iter().map(|t| &t.population)),
        unreachable: tiles.iter().map(|t| t.unreachable).sum(),
        nearest_island: tiles.iter().map(|t| t.nearest_island).sum(),
        snap_dm: hist(&mut tiles.iter().map(|t| &t.snap_dm)),
        categories,
        complete_homes: tiles.iter().map(|t| t.complete_homes).sum(),
        complete_population: exact(&mut tiles.iter().map(|t| &t.complete_population)),
        tables,
        tiles: ids,
    }
}
