//! The analysis, in memory: every stage in order from a PBF to the results,
//! with no knowledge of files written (that is [`crate::output`]'s floor).
//!
//! - [`config`]: what a run is asked to do, validated once ([`AnalyzeConfig`]);
//! - [`network`]: what is read from the PBF and built once ([`Network`]: the
//!   graph, its snapping indexes, OSM's homes and facilities, boundaries);
//! - this module: [`Network::analyze`] merges the user's facilities and homes,
//!   snaps them, computes the nearest facility and the counts within every
//!   threshold per category, then the optional stages (service areas,
//!   districts, H3 hexagons), each also callable on a finished [`Analysis`]
//!   ([`service_areas`], [`district_table`], [`hexagons`]);
//! - [`summary`] and `summarize`: the run's summary.
//!
//! [`run`] is `Network::build` then `Network::analyze`.
//!
//! Complexity: linear in the PBF for parsing, `O(E α(N))` to build the graph,
//! `O(P log E)` to snap `P` points, one full search per category plus bounded
//! searches from the cheaper side for the counts (see [`crate::coverage`]),
//! and `O(H · C)` to summarize `H` homes and `C` categories.

pub mod config;
mod districts;
pub mod network;
pub(crate) mod summarize;
pub mod summary;
mod tables;

pub(crate) use districts::minutes_or_infinity;
pub use districts::{district_levels, district_table, finish_levels, hexagons};

use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

pub use config::{
    AnalyzeConfig, BUILTIN_PBF, BUILTIN_PBF_NAME, DEFAULT_MIN_COMPONENT_NODES, DistrictOptions, DistrictSource,
    IsochroneOptions, MAX_DISTRICT_LEVELS, MAX_THREADS, MIN_POOL_CAP, MIN_SPEED_KMH, PbfSource, PopulationInput,
    SnapMode, default_pbf, minutes_label, pool_threads,
};
pub use network::{Network, NetworkContent, NetworkParts, TileFacts, tile_refusal};

use crate::coverage::ByEdge;
use crate::coverage::count_within::{Supply, within_thresholds};
use crate::coverage::nearest_facility::nearest_facilities;
use crate::coverage::two_step_fca::TwoStepFca;
use crate::district::sources::{DistrictSet, districts_from_geojson};
use crate::district::targets::RuleResult;
use crate::district::units::UnitShares;
use crate::district::{DistrictRow, UnitTier};
use crate::error::{Error, Result};
use crate::graph::WalkGraph;
use crate::ids::{CategoryId, TimeMs};
use crate::inputs::{MergeMode, merge_facilities, merge_homes};
use crate::isochrone::batch::{CategoryAreas, FacilityAreas, HomeIndex, category_areas, facility_areas};
use crate::osm::{Facility, Home, HomeRule};
use crate::progress::Progress;
use crate::routing::{Anchor, WorkspacePool};
use crate::snap::{Snap, SnapIndex};
use summarize::{SummaryParts, far_points_note, summarize};
use summary::{Summary, Timings};

/// The computed results, in memory.
pub struct Analysis {
    /// The configuration used.
    pub config: AnalyzeConfig,
    /// The walking graph (shared with the [`Network`] it was computed on).
    pub graph: Arc<WalkGraph>,
    /// The snapping index of the graph (kept for later stages, e.g. candidate sites).
    pub snap_index: Arc<SnapIndex>,
    /// Homes: from OSM sorted by reference, then the user's in file order.
    pub homes: Vec<Home>,
    /// Each home's snap (`None` only for an empty graph).
    pub home_snaps: Vec<Option<Snap>>,
    /// Each home on the network (`None` when farther than `max_snap_m`).
    pub home_anchors: Vec<Option<Anchor>>,
    /// Facilities, sorted by category, then OSM reference, then the user's in file order.
    pub facilities: Vec<Facility>,
    /// Each facility on the network.
    pub facility_anchors: Vec<Option<Anchor>>,
    /// `nearest[c][h]`: time from home `h` to the nearest facility of category `c`.
    pub nearest: Vec<Vec<TimeMs>>,
    /// `nearest_facility[c][h]`: which facility that is, as an index into
    /// `facility_index[c]` (the first listed of several at the same time).
    pub nearest_facility: Vec<Vec<Option<u32>>>,
    /// `counts[c][h]`: facilities of category `c` within the main threshold of home `h`.
    pub counts: Vec<Vec<u32>>,
    /// `counts_by_threshold[c][k][h]`: the same for each threshold `k` of [`AnalyzeConfig::thresholds`].
    pub counts_by_threshold: Vec<Vec<Vec<u32>>>,
    /// Per category, 2SFCA results when any of its facilities has a capacity.
    pub capacity: Vec<Option<TwoStepFca>>,
    /// `facility_index[c]`: indices into `facilities` of category `c`, in order.
    pub facility_index: Vec<Vec<usize>>,
    /// Service areas, when asked for.
    pub isochrones: Option<Isochrones>,
    /// District rows and target checks, when asked for (the finest level when there are several).
    pub districts: Option<Districts>,
    /// The coarser district levels, coarse to fine, when several were asked for (区 and 街道 above
    /// 社区); empty otherwise.
    pub district_levels: Vec<Districts>,
    /// Rows per H3 hexagon holding homes (`--h3`), when asked for.
    pub hexagons: Option<Districts>,
    /// The summary (write time not yet filled in).
    pub summary: Summary,
}

impl Analysis {
    /// Calls `f` with the view of this run that district statistics read
    /// ([`crate::district::table::CoverageView`]).
    pub fn with_coverage_view<R>(&self, f: impl FnOnce(&crate::district::table::CoverageView<'_>) -> R) -> R {
        let keys: Vec<String> = self.config.taxonomy.categories.iter().map(|c| c.key.clone()).collect();
        let thresholds: Vec<Vec<(String, TimeMs)>> = (0..keys.len()).map(|c| self.config.thresholds(c)).collect();
        let population: Vec<f64> = self.homes.iter().map(|h| h.population).collect();
        f(&crate::district::table::CoverageView {
            keys: &keys,
            thresholds: &thresholds,
            main_minutes: self.config.threshold().minutes(),
            population: &population,
            nearest: &self.nearest,
            facility_index: &self.facility_index,
        })
    }

    /// Each home's position.
    pub fn home_points(&self) -> Vec<[f64; 2]> {
        self.homes.iter().map(|h| h.lonlat).collect()
    }

    /// Each facility's position.
    pub fn facility_points(&self) -> Vec<[f64; 2]> {
        self.facilities.iter().map(|f| f.lonlat).collect()
    }
}

/// Districts, their rows and the target checks.
#[derive(Debug, Clone)]
pub struct Districts {
    /// The districts and their problems.
    pub set: DistrictSet,
    /// One row per district (and `(outside)`).
    pub rows: Vec<DistrictRow>,
    /// Target checks, rule by rule, district by district (unit-share rules also over all the
    /// level's units, [`crate::district::targets::ALL_UNITS`]).
    pub results: Vec<RuleResult>,
    /// The level's tier (区, 街道, 社区); `None` for H3 hexagons.
    pub tier: Option<UnitTier>,
    /// Per category and `complete`, the share of the level's units served (empty for hexagons).
    pub units: Vec<UnitShares>,
}

/// Service areas per facility and coverage areas per category.
#[derive(Debug, Clone)]
pub struct Isochrones {
    /// Per facility (in facility order), an area per threshold.
    pub facilities: Vec<FacilityAreas>,
    /// Per category (in taxonomy order), the union's area per threshold.
    pub categories: Vec<CategoryAreas>,
}

/// Runs `f` on a rayon pool of `threads` threads (the global pool when `None`),
/// started with at most [`pool_threads`] of them: results never depend on the
/// count, and threads beyond the cores only cost (1000 idle workers made a
/// 0.2 s run take 7 s, each work-stealing step scanning every worker).
pub fn with_threads<R: Send>(threads: Option<usize>, f: impl FnOnce() -> R + Send) -> Result<R> {
    match threads.map(pool_threads) {
        None => Ok(f()),
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| Error::parameter("--threads", format!("cannot start {n} threads: {e}")))?;
            Ok(pool.install(f))
        }
    }
}

/// Computes everything in memory (on the current rayon pool): [`Network::build`]
/// then [`Network::analyze`].
pub fn run(config: &AnalyzeConfig) -> Result<Analysis> {
    Network::build(config)?.analyze_once(config)
}

impl Network {
    /// The analysis of `config` on this network: the user's facilities and
    /// homes merged with OSM's, snapped, the nearest facility and the counts
    /// within the thresholds per category, then the optional stages.
    ///
    /// # Errors
    ///
    /// `config` asks for another network than this one ([`Network::check`]),
    /// or a user file or parameter is bad.
    pub fn analyze(&self, config: &AnalyzeConfig) -> Result<Analysis> {
        self.analyze_with(config, None)
    }

    /// [`Network::analyze`] on a network used once (the CLI's run): OSM's
    /// homes and their snaps move into the analysis instead of being copied
    /// (on the harness's 4x4 copy, 283,136 homes: 33 MB less at the peak).
    /// The same results as [`Network::analyze`].
    ///
    /// # Errors
    ///
    /// As [`Network::analyze`].
    pub fn analyze_once(mut self, config: &AnalyzeConfig) -> Result<Analysis> {
        if config.homes_input.is_some() || config.population.is_some() {
            return self.analyze(config);
        }
        let owned = self.take_osm_homes();
        self.analyze_with(config, Some(owned))
    }

    /// The analysis, with OSM's homes and their snaps given (`owned`) or copied from the network.
    fn analyze_with(
        &self,
        config: &AnalyzeConfig,
        mut owned: Option<(Vec<Home>, Option<network::Snapped>)>,
    ) -> Result<Analysis> {
        // The network's own limits first (a tile's reach says more than the range check).
        self.check(config)?;
        config.validate()?;
        let progress = Progress::new(config.progress);
        let mut timings = Timings { parse_s: self.parse_s, build_s: self.build_s, ..Timings::default() };

        // The user's files, merged with OSM's homes and facilities.
        let t = Instant::now();
        let pb = progress.stage("reading your files");
        let mut facilities = self.facilities.clone();
        let mut feature_report = self.feature_report.clone();
        let facilities_report = match &config.facilities_input {
            Some(input) => Some(merge_facilities(&mut facilities, input, &config.taxonomy, config.skip_bad_rows)?),
            None => None,
        };
        if let Some(plan) = &config.plan {
            plan.apply(&mut facilities, &config.taxonomy, config.skip_bad_rows)?;
        }
        let mut user_homes = None;
        let homes_report = match &config.homes_input {
            Some(input) => {
                let mut homes = self.homes.clone();
                let report = merge_homes(&mut homes, input, config.skip_bad_rows)?;
                if input.mode == MergeMode::Replace {
                    feature_report.home_rule = HomeRule::UserFile;
                    feature_report.homes_from_buildings = 0;
                    feature_report.homes_from_residential_areas = 0;
                    feature_report.homes_from_file = homes.len();
                } else {
                    feature_report.homes_from_file = homes.len() - self.homes.len();
                }
                user_homes = Some(homes);
                Some(report)
            }
            None => None,
        };
        let mut population_report = None;
        if let Some(input) = &config.population {
            // Clipped to the extract: cells whose centre lies in the box of its walkable network
            // (a wider box would add people from beyond the extract's data, counted as uncovered).
            let margin_m = 0.0;
            let nodes = (0..self.graph.num_nodes()).map(|n| self.graph.node_lonlat(crate::ids::NodeId(n as u32)));
            let area = crate::io::raster::LonLatBox::around(nodes, margin_m).ok_or_else(|| {
                Error::bad_input(&input.path, "", "the extract has no walkable network to place the grid's homes on")
            })?;
            let (cells, report) = crate::io::raster::read_population(&input.path, input.crs, area)?;
            if cells.is_empty() {
                return Err(Error::bad_input(
                    &input.path,
                    "",
                    format!(
                        "no populated cell lies within the extract's area (lon {:.4}..{:.4}, lat {:.4}..{:.4}; {} cells there, {} nodata): \
                         is the grid for this place?",
                        area.west, area.east, area.south, area.north, report.cells_in_area, report.cells_nodata
                    ),
                ));
            }
            let mut homes = if input.mode == MergeMode::Replace { Vec::new() } else { self.homes.clone() };
            let width = u64::from(report.width);
            homes.extend(cells.iter().map(|c| Home {
                osm: crate::ids::OsmRef {
                    kind: crate::ids::OsmType::Other,
                    id: (u64::from(c.row) * width + u64::from(c.col)) as i64,
                },
                user_id: Some(format!("cell/{}/{}", c.row, c.col)),
                population: c.population,
                lonlat: c.lonlat,
            }));
            if input.mode == MergeMode::Replace {
                feature_report.home_rule = HomeRule::UserFile;
                feature_report.homes_from_buildings = 0;
                feature_report.homes_from_residential_areas = 0;
            }
            feature_report.homes_from_file = cells.len();
            user_homes = Some(homes);
            population_report = Some(report);
        }
        let mut district_sets = match &config.districts {
            None => None,
            Some(opts) => Some(
                opts.sources()
                    .into_iter()
                    .map(|source| match source {
                        DistrictSource::AdminLevel(level) => self.admin_districts(*level),
                        DistrictSource::GeoJson { path, key } => districts_from_geojson(path, key),
                        DistrictSource::GeoJsonBytes { name, bytes, key } => {
                            crate::district::sources::districts_from_geojson_bytes(name, bytes, key)
                        }
                    })
                    .collect::<Result<Vec<DistrictSet>>>()?,
            ),
        };
        pb.finish_and_clear();
        timings.parse_s += t.elapsed().as_secs_f64();

        // Snap.
        let t = Instant::now();
        let pb = progress.stage("snapping homes and facilities");
        let user_homes_given = user_homes.is_some();
        let (homes, home_snaps, home_anchors) = match user_homes {
            None => match owned.take() {
                Some((homes, snapped)) => {
                    let (snaps, anchors) = snapped.unwrap_or_else(|| self.snap_osm_homes(&homes));
                    (homes, snaps, anchors)
                }
                None => {
                    let (snaps, anchors) = self.osm_home_snaps().clone();
                    (self.homes.clone(), snaps, anchors)
                }
            },
            Some(homes) => {
                let points: Vec<[f64; 2]> = homes.iter().map(|h| h.lonlat).collect();
                let (snaps, anchors) = self.snap(&points, config.max_snap_m);
                (homes, snaps, anchors)
            }
        };
        let home_points: Vec<[f64; 2]> = homes.iter().map(|h| h.lonlat).collect();
        let fac_points: Vec<[f64; 2]> = facilities.iter().map(|f| f.lonlat).collect();
        let (facility_snaps, facility_anchors) = match self.given_facility_snaps() {
            Some(given) if config.facilities_input.is_none() && config.plan.is_none() => given.clone(),
            _ => self.snap(&fac_points, config.max_snap_m),
        };
        let graph = &self.graph;
        let mut far_notes = Vec::new();
        if let Some(input) = &config.homes_input {
            let from_file: Vec<usize> = (0..homes.len()).filter(|&i| homes[i].user_id.is_some()).collect();
            far_notes.extend(far_points_note(
                graph,
                config,
                &input.path,
                "homes",
                &from_file,
                &home_points,
                &home_snaps,
            ));
        }
        if let Some(path) = config
            .facilities_input
            .as_ref()
            .map(|i| &i.path)
            .or_else(|| config.plan.as_ref().and_then(|p| p.add.as_ref()).map(|i| &i.path))
        {
            let from_file: Vec<usize> = (0..facilities.len()).filter(|&i| facilities[i].user_id.is_some()).collect();
            far_notes.extend(far_points_note(
                graph,
                config,
                path,
                "facilities",
                &from_file,
                &fac_points,
                &facility_snaps,
            ));
        }
        let nearest_island = match (self.given_island_homes(), user_homes_given) {
            (Some(n), false) => n,
            _ => homes_nearest_to_an_island(&self.islands, &home_points, &home_snaps),
        };
        pb.finish_and_clear();
        timings.snap_s = t.elapsed().as_secs_f64();

        // Compute.
        let t = Instant::now();
        let ncat = config.taxonomy.len();
        let facility_index: Vec<Vec<usize>> =
            (0..ncat).map(|c| (0..facilities.len()).filter(|&i| facilities[i].category.idx() == c).collect()).collect();
        let per_cat: Vec<Vec<Option<Anchor>>> =
            facility_index.iter().map(|idx| idx.iter().map(|&i| facility_anchors[i]).collect()).collect();
        let pool = WorkspacePool::new(graph.num_nodes());
        let homes_by_edge = ByEdge::new(graph.num_edges(), &home_anchors);
        let population: Vec<f64> = homes.iter().map(|h| h.population).collect();
        // The nearest facility of every category (one whole-network search
        // each) alongside the facilities within the thresholds (a bounded
        // search per facility), so the few long searches and the many short
        // ones share the cores; each result is the same as computed alone.
        let pb = progress.bar("nearest facilities and facilities within the thresholds", 2 * ncat as u64);
        type Nearest = (Vec<Vec<TimeMs>>, Vec<Vec<Option<u32>>>);
        let ((nearest, nearest_facility), (counts_by_threshold, capacity)): (Nearest, _) = rayon::join(
            || {
                per_cat
                    .par_iter()
                    .map(|fac| {
                        let r = nearest_facilities(graph, fac, &home_anchors, config.reach()).into_iter().unzip();
                        pb.inc(1);
                        r
                    })
                    .unzip()
            },
            || {
                let mut counts_by_threshold = Vec::with_capacity(ncat);
                let mut capacity = Vec::with_capacity(ncat);
                for c in 0..ncat {
                    let limits: Vec<TimeMs> = config.thresholds(c).into_iter().map(|(_, t)| t).collect();
                    let caps: Vec<Option<f64>> = facility_index[c].iter().map(|&i| facilities[i].capacity).collect();
                    let supply =
                        caps.iter().any(Option::is_some).then_some(Supply { capacity: &caps, population: &population });
                    let within =
                        within_thresholds(graph, &pool, &per_cat[c], &home_anchors, &homes_by_edge, &limits, supply);
                    counts_by_threshold.push(within.counts);
                    capacity.push(within.two_step_fca);
                    pb.inc(1);
                }
                (counts_by_threshold, capacity)
            },
        );
        pb.finish_and_clear();
        let counts: Vec<Vec<u32>> =
            counts_by_threshold.iter().map(|k| k.last().expect("a threshold").clone()).collect();
        timings.compute_s = t.elapsed().as_secs_f64();

        let mut analysis = Analysis {
            config: config.clone(),
            graph: Arc::clone(&self.graph),
            snap_index: Arc::clone(&self.snap_index),
            homes,
            home_snaps,
            home_anchors,
            facilities,
            facility_anchors,
            nearest,
            nearest_facility,
            counts,
            counts_by_threshold,
            capacity,
            facility_index,
            isochrones: None,
            districts: None,
            district_levels: Vec::new(),
            hexagons: None,
            summary: Summary::default(),
        };
        if let Some(iso) = &config.isochrones {
            let t = Instant::now();
            analysis.isochrones = Some(service_areas(&analysis, iso));
            timings.isochrones_s = Some(t.elapsed().as_secs_f64());
        }
        // A tile answers its own homes: its tables go out as sums, merged with the other tiles'.
        let tile_tables = match (&config.tile, district_sets.is_some() || config.h3.is_some()) {
            (Some(_), true) => Some(tables::tile_tables(&analysis, district_sets.take().as_deref())?),
            _ => None,
        };
        if let (Some(sets), Some(opts)) = (district_sets, &config.districts) {
            let t = Instant::now();
            let mut levels = district_levels(&analysis, sets, opts);
            analysis.districts = levels.pop();
            analysis.district_levels = levels;
            timings.districts_s = Some(t.elapsed().as_secs_f64());
        }
        if let (Some(resolution), None) = (config.h3, &tile_tables) {
            analysis.hexagons = Some(hexagons(&analysis, resolution));
        }
        analysis.summary = summarize(
            &analysis,
            SummaryParts {
                pbf_bytes: self.pbf_bytes,
                timings,
                graph_report: self.graph_report.clone(),
                feature_report,
                nearest_island,
                facilities_report,
                homes_report,
                far_notes,
                population_report,
                tile: self.tile.clone(),
            },
        );
        if let Some(t) = analysis.summary.tile.as_mut() {
            t.tables = tile_tables;
        }
        Ok(analysis)
    }
}

/// How many homes are nearer to a component left out of the graph than to the graph.
fn homes_nearest_to_an_island(islands: &WalkGraph, points: &[[f64; 2]], snaps: &[Option<Snap>]) -> usize {
    if islands.num_edges() == 0 {
        return 0;
    }
    let island_index = SnapIndex::new(islands);
    // An island matters only nearer than the network: search no farther.
    let within_m = |i: usize| snaps[i].map_or(f64::INFINITY, |m| m.access_m);
    island_index
        .snap_each_within(islands, points, within_m)
        .iter()
        .zip(snaps)
        .filter(|(i, m)| match (i, m) {
            (Some(i), Some(m)) => i.access_m < m.access_m,
            (Some(_), None) => true,
            _ => false,
        })
        .count()
}

/// Every facility's service area per threshold and each category's union
/// (only `opts.category`'s when given), on a finished analysis.
pub fn service_areas(a: &Analysis, opts: &IsochroneOptions) -> Isochrones {
    let config = &a.config;
    let ncat = config.taxonomy.len();
    let progress = Progress::new(config.progress);
    let pb = progress.bar("service areas per category", ncat as u64);
    let population: Vec<f64> = a.homes.iter().map(|h| h.population).collect();
    let home_index = HomeIndex::new(&a.home_points(), &population);
    let pool = WorkspacePool::new(a.graph.num_nodes());
    let mut out = Isochrones { facilities: Vec::new(), categories: Vec::new() };
    for (c, cat_facilities) in a.facility_index.iter().enumerate() {
        if opts.category.as_deref().is_some_and(|k| k != config.taxonomy.categories[c].key) {
            pb.inc(1);
            continue;
        }
        let limits: Vec<TimeMs> = config.thresholds(c).into_iter().map(|(_, t)| t).collect();
        let todo: Vec<(usize, Anchor, [f64; 2])> = cat_facilities
            .iter()
            .filter_map(|&i| a.facility_anchors[i].map(|an| (i, an, a.facilities[i].lonlat)))
            .collect();
        let done = facility_areas(&a.graph, &pool, &todo, &limits, &opts.params, &home_index);
        let intervals: Vec<&Vec<Vec<_>>> = done.iter().map(|(_, iv)| iv).collect();
        let areas: Vec<&FacilityAreas> = done.iter().map(|(f, _)| f).collect();
        out.categories.push(category_areas(
            &a.graph,
            CategoryId(c as u8),
            &intervals,
            &areas,
            limits.len(),
            &opts.params,
            &home_index,
        ));
        out.facilities.extend(done.into_iter().map(|(f, _)| f));
        pb.inc(1);
    }
    out.facilities.sort_by_key(|f| f.facility);
    pb.finish_and_clear();
    out
}
