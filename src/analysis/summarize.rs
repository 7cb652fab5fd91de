//! The run's summary from its results: per category the share of homes and
//! people within each threshold, medians, capacities, the complete share,
//! districts' misses and the notes. `O(H · C)` for `H` homes and `C` categories.

use std::path::Path;

use super::Analysis;
use super::config::AnalyzeConfig;
use super::summary::{
    CapacitySummary, CategorySummary, CompleteSummary, DistrictsSummary, HomesSummary, Inputs, OverCapacity,
    Parameters, Summary, TargetMiss, TargetMisses, ThresholdSummary, TileCategory, TileSummary, Timings,
};
use crate::coverage::stats::{ExactSum, median_time, minutes_ceil_2dp, round_to, share};
use crate::graph::WalkGraph;
use crate::ids::TimeMs;
use crate::inputs::InputReport;
use crate::snap::Snap;

/// When most of a user file's points lie farther than `max_snap_m` from the
/// network, a note saying so, with the likely cause: swapped columns when the
/// swapped positions fall on the network's area, else a wrong coordinate
/// system or a file for another place. `O(points)`.
pub(super) fn far_points_note(
    graph: &WalkGraph,
    config: &AnalyzeConfig,
    path: &Path,
    what: &str,
    from_file: &[usize],
    points: &[[f64; 2]],
    snaps: &[Option<Snap>],
) -> Option<String> {
    let max = config.max_snap_m;
    let mut far: Vec<f64> =
        from_file.iter().map(|&i| snaps[i].map_or(f64::INFINITY, |s| s.access_m)).filter(|&d| d > max).collect();
    if from_file.is_empty() || far.len() * 2 <= from_file.len() {
        return None;
    }
    let mid = (far.len() - 1) / 2;
    let median = *far.select_nth_unstable_by(mid, f64::total_cmp).1;
    // The network's box, widened by the snapping limit.
    let (mut w, mut s, mut e, mut n) = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
    for k in 0..graph.num_nodes() {
        let [x, y] = graph.node_lonlat(crate::ids::NodeId(k as u32));
        (w, s, e, n) = (w.min(x), s.min(y), e.max(x), n.max(y));
    }
    let dlat = max / 111_000.0;
    let dlon = dlat / ((s.abs().max(n.abs())).to_radians().cos()).max(0.01);
    let inside = |[x, y]: [f64; 2]| (w - dlon..=e + dlon).contains(&x) && (s - dlat..=n + dlat).contains(&y);
    let far_points = from_file.iter().filter(|&&i| snaps[i].is_none_or(|sn| sn.access_m > max));
    let swapped = far_points.filter(|&&i| inside([points[i][1], points[i][0]])).count();
    let distance = if median >= 10_000.0 { format!("{:.0} km", median / 1000.0) } else { format!("{median:.0} m") };
    let flag = if what == "homes" { "--homes-crs" } else { "--facilities-crs" };
    let hint = if swapped * 2 > far.len() {
        "longitude and latitude look swapped: with the columns exchanged they fall on the network".to_string()
    } else {
        format!("is {flag} right ({}), and is the file for this extract's area?", config_crs(config, what))
    };
    Some(format!(
        "{}: {} of {} {what} are more than {max} m from any walkable way (median {distance}): {hint}",
        path.display(),
        far.len(),
        from_file.len()
    ))
}

/// The coordinate system declared for the user's homes or facilities.
fn config_crs(config: &AnalyzeConfig, what: &str) -> String {
    let input = if what == "homes" { config.homes_input.as_ref() } else { config.facilities_input.as_ref() };
    input.map_or_else(|| "wgs84".to_string(), |i| i.crs.to_string())
}

/// Pieces of the summary that the stages produced.
pub(super) struct SummaryParts {
    pub(super) pbf_bytes: u64,
    pub(super) timings: Timings,
    pub(super) graph_report: crate::graph::GraphReport,
    pub(super) feature_report: crate::osm::FeatureReport,
    pub(super) nearest_island: usize,
    pub(super) facilities_report: Option<InputReport>,
    pub(super) homes_report: Option<InputReport>,
    /// Notes on user files whose points mostly miss the network.
    pub(super) far_notes: Vec<String>,
    /// What reading the population grid saw (`--population`).
    pub(super) population_report: Option<crate::io::raster::RasterReport>,
    /// The tile analysed, when the network is one.
    pub(super) tile: Option<super::TileFacts>,
}

/// The note on a category's facilities: none found, or some too far from the network.
pub(crate) fn category_note(key: &str, n_fac: usize, unreachable: usize, max_snap_m: f64) -> Option<String> {
    if n_fac == 0 {
        Some(format!(
            "{key}: no facilities found (normal where OSM has few POIs; supply your own list with --facilities)"
        ))
    } else if unreachable > 0 {
        Some(format!("{key}: {unreachable} of {n_fac} facilities are more than {max_snap_m} m from any walkable way"))
    } else {
        None
    }
}

/// A category's own note: none found (`None` when there are facilities).
pub(crate) fn no_facilities_note(n_fac: usize) -> Option<String> {
    (n_fac == 0).then(|| "no facilities found".to_string())
}

/// The notes on homes: some too far from the network, or none at all.
pub(crate) fn home_notes(n_homes: usize, unreachable: usize, max_snap_m: f64) -> Vec<String> {
    let mut notes = Vec::new();
    if unreachable > 0 {
        notes.push(format!(
            "{unreachable} homes are more than {max_snap_m} m from any walkable way: counted as uncovered"
        ));
    }
    if n_homes == 0 {
        notes.push("no homes found: check the taxonomy's home rules for this extract, or give --homes".into());
    }
    notes
}

/// `[key, count]` pairs of `keys`, ascending.
fn histogram(keys: impl Iterator<Item = u64>) -> Vec<[u64; 2]> {
    let mut counts = std::collections::BTreeMap::new();
    for k in keys {
        *counts.entry(k).or_insert(0u64) += 1;
    }
    counts.into_iter().map(|(k, n)| [k, n]).collect()
}

/// What merging this tile's summary with the others' needs.
fn tile_summary(a: &Analysis, facts: super::TileFacts, nearest_island: usize, unreachable: usize) -> TileSummary {
    let config = &a.config;
    let ncat = config.taxonomy.len();
    let mains: Vec<TimeMs> = (0..ncat).map(|c| config.thresholds(c).last().expect("a threshold").1).collect();
    let categories = config
        .taxonomy
        .categories
        .iter()
        .enumerate()
        .map(|(c, cat)| {
            let (covered_homes, covered_population) = exact_tally(a, |h| a.nearest[c][h] <= mains[c]);
            let thresholds = config
                .thresholds(c)
                .into_iter()
                .map(|(_, limit)| {
                    let (n, sum) = exact_tally(a, |h| a.nearest[c][h] <= limit);
                    (n, sum.to_bits())
                })
                .collect();
            let reached = a.nearest[c].iter().filter(|t| **t != TimeMs::INF);
            TileCategory {
                key: cat.key.clone(),
                covered_homes,
                covered_population: covered_population.to_bits(),
                thresholds,
                nearest_hundredths: histogram(reached.map(|t| u64::from(t.0.div_ceil(600)))),
                unreached: a.nearest[c].iter().filter(|t| **t == TimeMs::INF).count(),
            }
        })
        .collect();
    let (complete_homes, complete_population) = exact_tally(a, |h| (0..ncat).all(|c| a.nearest[c][h] <= mains[c]));
    TileSummary {
        facts: Some(facts),
        homes: a.homes.len(),
        population: exact_tally(a, |_| true).1.to_bits(),
        unreachable,
        nearest_island,
        snap_dm: histogram(a.home_snaps.iter().flatten().map(|s| (s.access_m * 10.0).round() as u64)),
        categories,
        complete_homes,
        complete_population: complete_population.to_bits(),
        tables: None,
        tiles: Vec::new(),
    }
}

/// `(homes, population)` for which `pred(home)` holds, the population summed exactly.
fn tally(a: &Analysis, pred: impl Fn(usize) -> bool) -> (usize, f64) {
    let (n, sum) = exact_tally(a, pred);
    (n, sum.value())
}

/// [`tally`] with the population as an exact sum (mergeable across tiles).
fn exact_tally(a: &Analysis, pred: impl Fn(usize) -> bool) -> (usize, ExactSum) {
    let mut sum = ExactSum::default();
    let mut n = 0;
    for h in (0..a.homes.len()).filter(|&h| pred(h)) {
        n += 1;
        sum.add(a.homes[h].population);
    }
    (n, sum)
}

pub(super) fn summarize(a: &Analysis, parts: SummaryParts) -> Summary {
    let config = &a.config;
    let n_homes = a.homes.len();
    let total_population: f64 = exact_tally(a, |_| true).1.value();
    let pshare = |p: f64| if total_population > 0.0 { p / total_population } else { 0.0 };
    let ncat = config.taxonomy.len();
    let mut categories = Vec::with_capacity(ncat);
    let mut notes = Vec::new();
    let mains: Vec<TimeMs> = (0..ncat).map(|c| config.thresholds(c).last().expect("a threshold").1).collect();
    let main_of = |c: usize| mains[c];
    for (c, cat) in config.taxonomy.categories.iter().enumerate() {
        let idx = &a.facility_index[c];
        let n_fac = idx.len();
        let unreachable = idx.iter().filter(|&&i| a.facility_anchors[i].is_none()).count();
        let main = main_of(c);
        let (covered, covered_pop) = tally(a, |h| a.nearest[c][h] <= main);
        // A tile's notes speak of the whole extract's facilities, as the merged summary's do.
        let (n_all, unreachable_all) = match &parts.tile {
            Some(t) => (t.facilities[c], t.facilities_unreachable[c]),
            None => (n_fac, unreachable),
        };
        let note = no_facilities_note(n_all);
        notes.extend(category_note(&cat.key, n_all, unreachable_all, config.max_snap_m));
        let thresholds = config
            .thresholds(c)
            .into_iter()
            .map(|(label, limit)| {
                let (homes, population) = tally(a, |h| a.nearest[c][h] <= limit);
                ThresholdSummary {
                    label,
                    minutes: round_to(limit.minutes(), 3),
                    homes,
                    share: share(homes, n_homes),
                    population: round_to(population, 3),
                    share_population: pshare(population),
                }
            })
            .collect();
        let capacity = a.capacity[c].as_ref().map(|fca| {
            let mut over = Vec::new();
            let mut with_capacity = 0;
            for (k, &i) in idx.iter().enumerate() {
                let f = &a.facilities[i];
                if let Some(cap) = f.capacity {
                    with_capacity += 1;
                    if fca.facility_demand[k] > cap {
                        over.push(OverCapacity {
                            id: f.id(),
                            name: f.name.clone(),
                            capacity: cap,
                            population_within: round_to(fca.facility_demand[k], 3),
                        });
                    }
                }
            }
            if !over.is_empty() {
                notes.push(format!("{}: {} facilities serve more people than their capacity", cat.key, over.len()));
            }
            CapacitySummary { facilities_with_capacity: with_capacity, over_capacity: over }
        });
        categories.push(CategorySummary {
            key: cat.key.clone(),
            label_en: cat.label_en.clone(),
            label_zh: cat.label_zh.clone(),
            facilities: n_fac,
            facilities_unreachable: unreachable,
            tier: config.tiers.as_ref().map(|t| t.by_category[&cat.key]),
            homes_covered: covered,
            share_covered: share(covered, n_homes),
            population_covered: round_to(covered_pop, 3),
            share_covered_population: pshare(covered_pop),
            median_min: median_time(&a.nearest[c]).map(minutes_ceil_2dp),
            thresholds,
            capacity,
            note,
        });
    }
    let (complete, complete_pop) = tally(a, |h| (0..ncat).all(|c| a.nearest[c][h] <= main_of(c)));
    let unreachable_homes = a.home_anchors.iter().filter(|x| x.is_none()).count();
    notes.extend(home_notes(n_homes, unreachable_homes, config.max_snap_m));
    let districts = a.districts.as_ref().map(|d| {
        let unchecked =
            config.districts.as_ref().and_then(|o| o.targets.as_ref()).map(|t| t.unchecked(&config.taxonomy));
        districts_summary(d, &a.district_levels, unchecked.unwrap_or_default(), &mut notes)
    });
    if let Some(iso) = &a.isochrones {
        let asked = config.isochrones.as_ref().map_or(0.0, |o| o.params.cell_m);
        let coarse = iso
            .facilities
            .iter()
            .flat_map(|f| &f.areas)
            .chain(iso.categories.iter().flat_map(|c| &c.areas))
            .map(|r| r.area.cell_m)
            .fold(0.0, f64::max);
        if coarse > asked * 1.01 {
            notes.push(format!(
                "service areas: some were drawn on {coarse:.0} m cells instead of {asked:.0} m (too large for the cell cap): outlines are coarser there"
            ));
        }
    }
    notes.extend(parts.far_notes.iter().cloned());
    if let Some(r) = &parts.population_report {
        notes.push(format!(
            "{}: {} populated cells of {} within the extract's area are homes, {:.0} people ({} cells with nobody, {} nodata)",
            r.path, r.cells_populated, r.cells_in_area, r.population, r.cells_empty, r.cells_nodata
        ));
    }
    for r in parts.facilities_report.iter().chain(&parts.homes_report) {
        if r.outside_china_unconverted > 0 {
            notes.push(format!(
                "{}: {} points lie outside China and were left as they are ({} applies only inside China)",
                r.path, r.outside_china_unconverted, r.crs
            ));
        }
        if r.rows_skipped > 0 {
            notes.push(format!("{}: {} bad rows skipped", r.path, r.rows_skipped));
        }
        if r.duplicates_within_30m > 0 {
            notes.push(format!(
                "{}: {} facilities within 30 m of another of the same category (likely duplicates)",
                r.path, r.duplicates_within_30m
            ));
        }
    }
    let mut snap_m: Vec<f64> = a.home_snaps.iter().flatten().map(|s| s.access_m).collect();
    let median_snap_m = if snap_m.is_empty() {
        None
    } else {
        let mid = (snap_m.len() - 1) / 2;
        let (_, m, _) = snap_m.select_nth_unstable_by(mid, f64::total_cmp);
        Some(round_to(*m, 1))
    };
    let speed_m_s = config.speed_kmh / 3.6;
    let tile = parts.tile.clone().map(|facts| tile_summary(a, facts, parts.nearest_island, unreachable_homes));
    Summary {
        lifecircle_version: env!("CARGO_PKG_VERSION").to_string(),
        inputs: Inputs {
            pbf: config.pbf.path().display().to_string(),
            pbf_bytes: parts.pbf_bytes,
            taxonomy: config.taxonomy_source.clone(),
            profile: config.profile_name.clone(),
            facilities: parts.facilities_report,
            homes: parts.homes_report,
            population: parts.population_report,
        },
        parameters: Parameters {
            // With tiers, each category has its own threshold (in `categories[i].tier`).
            minutes: config.tiers.is_none().then(|| *config.minutes.last().expect("validated")),
            thresholds_minutes: if config.tiers.is_none() { config.minutes.clone() } else { Vec::new() },
            tiers: config.tiers.as_ref().map(|t| t.name.clone()),
            speed_kmh: round_to(config.speed_kmh, 6),
            threshold_m: config
                .tiers
                .is_none()
                .then(|| round_to(config.minutes.last().expect("validated") * 60.0 * speed_m_s, 3)),
            max_snap_m: config.max_snap_m,
            min_component_nodes: config.min_component_nodes,
            snap_mode: config.snap_mode,
            reach_minutes: config.reach_minutes,
            threads: rayon::current_num_threads(),
        },
        timings: parts.timings,
        graph: parts.graph_report,
        homes: HomesSummary {
            total: n_homes,
            population: round_to(total_population, 3),
            unreachable: unreachable_homes,
            nearest_way_on_dropped_island: parts.nearest_island,
            median_snap_m,
            features: parts.feature_report,
        },
        facilities: config
            .taxonomy
            .categories
            .iter()
            .zip(&a.facility_index)
            .map(|(c, f)| (c.key.clone(), f.len()))
            .collect(),
        categories,
        complete: CompleteSummary {
            homes: complete,
            share: share(complete, n_homes),
            population: round_to(complete_pop, 3),
            share_population: pshare(complete_pop),
        },
        districts,
        notes,
        tile,
    }
}

/// The summary's `districts` section of a run's levels (`coarser` coarse to
/// fine, then `finest`), with a note per target missed and then `unchecked`
/// (the notes on rules the taxonomy cannot check) added to `notes`.
pub(crate) fn districts_summary(
    finest: &super::Districts,
    coarser: &[super::Districts],
    unchecked: Vec<String>,
    notes: &mut Vec<String>,
) -> DistrictsSummary {
    let several = !coarser.is_empty();
    let level_summary = |d: &super::Districts, notes: &mut Vec<String>| {
        let misses = crate::district::targets::failures_by_rule(&d.results);
        let level = match d.tier {
            Some(t) if several => format!(" ({t} level)"),
            _ => String::new(),
        };
        for (rule, list) in &misses {
            notes.push(format!("target {rule}: missed in {} districts{level}", list.len()));
        }
        DistrictsSummary {
            districts: d.set.districts.len(),
            homes_outside: d.rows.iter().find(|r| r.key == crate::district::table::OUTSIDE).map_or(0, |r| r.homes),
            districts_without_homes: d.rows.iter().filter(|r| r.homes == 0).map(|r| r.key.clone()).collect(),
            problems: d.set.problems.clone(),
            targets_missed: misses
                .into_iter()
                .map(|(rule, list)| TargetMisses {
                    rule,
                    districts: list
                        .into_iter()
                        .map(|r| TargetMiss {
                            district: r.district.clone(),
                            homes_short: r.homes_short,
                            people_short: r.people_short,
                            units_short: r.units_short,
                            facilities_short: r.facilities_short,
                        })
                        .collect(),
                })
                .collect(),
            tier: if several { d.tier } else { None },
            units: d.units.clone(),
            levels: Vec::new(),
        }
    };
    let levels: Vec<DistrictsSummary> = coarser.iter().map(|c| level_summary(c, notes)).collect();
    let mut summary = level_summary(finest, notes);
    summary.levels = levels;
    notes.extend(unchecked);
    summary
}
