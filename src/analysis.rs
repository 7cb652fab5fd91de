//! The `analyze` job: every stage in order, from a PBF to the output folder.
//!
//! [`run`] computes an [`Analysis`] in memory; [`analyze`] runs it and writes
//! `coverage.geojson`, `facilities.geojson` and `summary.json` atomically.
//!
//! Complexity: linear in the PBF for parsing, `O(E α(N))` to build the graph,
//! `O(P log E)` to snap `P` points, one full search per category plus one
//! bounded search per facility (see [`crate::coverage`]), and `O(H · C)` to
//! summarize and write `H` homes and `C` categories.

use std::path::{Path, PathBuf};
use std::time::Instant;

use geojson::JsonObject;
use rayon::prelude::*;
use serde_json::{Value, json};

use crate::coverage::ByEdge;
use crate::coverage::count_within::{Supply, within_thresholds};
use crate::coverage::k_nearest::k_nearest_mean_minutes;
use crate::coverage::nearest::nearest_times;
use crate::coverage::stats::{median_time, minutes_ceil_2dp, share};
use crate::coverage::two_step_fca::TwoStepFca;
use crate::district::DistrictRow;
use crate::district::assign::DistrictIndex;
use crate::district::sources::{DistrictSet, districts_from_admin, districts_from_geojson};
use crate::district::table::district_rows;
use crate::district::targets::{RuleResult, evaluate};
use crate::error::{Error, Result};
use crate::graph::{BuiltGraph, WalkGraph, build_graph};
use crate::ids::CategoryId;
use crate::ids::TimeMs;
use crate::inputs::{InputReport, MergeMode, PointsInput, merge_facilities, merge_homes};
use crate::io::OutputDir;
use crate::io::atomic::{FinishedFile, write_all};
use crate::io::geojson_out::{PointCollectionWriter, PropertiesBuf, json_key, num, round_to};
use crate::isochrone::IsochroneParams;
use crate::isochrone::batch::{AreaResult, CategoryAreas, FacilityAreas, HomeIndex, category_areas, facility_areas};
use crate::osm::{Facility, Home, HomeRule, extract_features, read_pbf};
use crate::progress::Progress;
use crate::report::html::write_report;
use crate::report::{Labels, MapData};
use crate::routing::{Anchor, DijkstraWorkspace, WorkspacePool};
use crate::snap::{Snap, SnapIndex, VertexSnapIndex};
use crate::summary::{
    CapacitySummary, CategorySummary, CompleteSummary, DistrictsSummary, HomesSummary, Inputs, OverCapacity,
    Parameters, Summary, TargetMiss, TargetMisses, ThresholdSummary, Timings,
};
use crate::taxonomy::{Profile, Taxonomy, Tiers};

/// Everything `analyze` needs, validated.
#[derive(Debug, Clone)]
pub struct AnalyzeConfig {
    /// The OSM extract.
    pub pbf: PathBuf,
    /// Output folder.
    pub out_dir: PathBuf,
    /// Service categories and home rules.
    pub taxonomy: Taxonomy,
    /// Where the taxonomy came from (`built-in` or its path).
    pub taxonomy_source: String,
    /// Walking profile.
    pub profile: Profile,
    /// The profile's name.
    pub profile_name: String,
    /// Thresholds in minutes, ascending; the last is the main one (`<cat>_ok`).
    pub minutes: Vec<f64>,
    /// Per-category walking distances instead of `minutes` (e.g. GB 50180's tiers).
    pub tiers: Option<Tiers>,
    /// Walking speed in km/h (overrides the profile's).
    pub speed_kmh: f64,
    /// Points farther than this from the network are unreachable.
    pub max_snap_m: f64,
    /// Components of at least this many nodes are kept besides the largest (0 keeps only the largest).
    pub min_component_nodes: usize,
    /// How points join the network.
    pub snap_mode: SnapMode,
    /// The user's facilities (`--facilities`).
    pub facilities_input: Option<PointsInput>,
    /// The user's homes (`--homes`).
    pub homes_input: Option<PointsInput>,
    /// A planned change to the facilities (`--add-facilities` / `--remove-facilities`), applied
    /// right after the user's facilities are merged; see [`crate::whatif`].
    pub plan: Option<crate::whatif::Plan>,
    /// Skip and count bad rows of user files instead of failing.
    pub skip_bad_rows: bool,
    /// Service areas to draw (`--isochrones`), if any.
    pub isochrones: Option<IsochroneOptions>,
    /// District statistics (`--districts` / `--admin-level`), if any.
    pub districts: Option<DistrictOptions>,
    /// Also write the self-contained HTML report (`report.html`), gathered with these options.
    pub report: Option<crate::report::MapOptions>,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
    /// Show progress on stderr.
    pub progress: bool,
}

/// Where districts come from and what to check in them.
#[derive(Debug, Clone)]
pub struct DistrictOptions {
    /// The districts.
    pub source: DistrictSource,
    /// Mean time to the `k` nearest facilities per category (1: the nearest).
    pub k_nearest: usize,
    /// Policy targets to check per district.
    pub targets: Option<crate::district::targets::Targets>,
}

/// Where districts come from.
#[derive(Debug, Clone)]
pub enum DistrictSource {
    /// A GeoJSON file of polygons and the property naming each.
    GeoJson {
        /// The file.
        path: PathBuf,
        /// The property that names a district.
        key: String,
    },
    /// The extract's administrative boundaries at this `admin_level`.
    AdminLevel(u8),
}

/// What service areas to draw.
#[derive(Debug, Clone)]
pub struct IsochroneOptions {
    /// Buffer, cell size, simplification.
    pub params: IsochroneParams,
    /// Only this category's facilities (`None`: every category).
    pub category: Option<String>,
}

impl AnalyzeConfig {
    /// A configuration with the defaults: built-in taxonomy, `adult` profile, 15 minutes at 4.5 km/h.
    pub fn new(pbf: impl Into<PathBuf>, out_dir: impl Into<PathBuf>) -> AnalyzeConfig {
        let profiles = crate::taxonomy::Profiles::builtin();
        let profile = profiles.get("adult").expect("built-in adult profile").clone();
        AnalyzeConfig {
            pbf: pbf.into(),
            out_dir: out_dir.into(),
            taxonomy: Taxonomy::builtin(),
            taxonomy_source: "built-in".into(),
            speed_kmh: profile.speed_kmh,
            profile,
            profile_name: "adult".into(),
            minutes: vec![15.0],
            tiers: None,
            max_snap_m: 500.0,
            min_component_nodes: DEFAULT_MIN_COMPONENT_NODES,
            snap_mode: SnapMode::Edge,
            facilities_input: None,
            homes_input: None,
            plan: None,
            skip_bad_rows: false,
            isochrones: None,
            districts: None,
            report: None,
            threads: None,
            progress: false,
        }
    }

    /// The run's name for titles: the extract's file name without `.osm.pbf`.
    pub fn title(&self) -> String {
        let name = self.pbf.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let stem = name.strip_suffix(".osm.pbf").or_else(|| name.strip_suffix(".pbf")).unwrap_or(&name);
        stem.to_string()
    }

    /// Checks the parameters' ranges.
    pub fn validate(&self) -> Result<()> {
        if self.minutes.is_empty() {
            return Err(Error::parameter("--minutes", "give at least one threshold"));
        }
        for &m in &self.minutes {
            if !(m.is_finite() && m > 0.0 && m <= 600.0) {
                return Err(Error::parameter("--minutes", format!("{m} is not in (0, 600]")));
            }
        }
        if !self.minutes.windows(2).all(|w| w[0] < w[1]) {
            return Err(Error::parameter("--minutes", "thresholds must be distinct and ascending"));
        }
        if !(self.speed_kmh.is_finite() && (MIN_SPEED_KMH..100.0).contains(&self.speed_kmh)) {
            return Err(Error::parameter(
                "--speed-kmh",
                format!("{} is not in [{MIN_SPEED_KMH}, 100)", self.speed_kmh),
            ));
        }
        if !(self.max_snap_m.is_finite() && self.max_snap_m >= 0.0) {
            return Err(Error::parameter("--max-snap-m", format!("{} is not a distance", self.max_snap_m)));
        }
        if let Some((t, c)) = self
            .tiers
            .as_ref()
            .and_then(|t| self.taxonomy.categories.iter().find(|c| !t.by_category.contains_key(&c.key)).map(|c| (t, c)))
        {
            return Err(Error::parameter(
                "--tiers",
                format!("tier table {} has no tier for category {}", t.name, c.key),
            ));
        }
        if let Some(iso) = &self.isochrones {
            let p = &iso.params;
            if !(p.buffer_m.is_finite() && p.buffer_m > 0.0 && p.buffer_m <= 1000.0) {
                return Err(Error::parameter("--buffer-m", format!("{} is not in (0, 1000]", p.buffer_m)));
            }
            // More than a quarter of the buffer would cut reached streets out of their area.
            if !(p.simplify_m.is_finite() && (0.0..=p.buffer_m / 4.0).contains(&p.simplify_m)) {
                return Err(Error::parameter(
                    "--simplify-m",
                    format!("{} is not in [0, {}] (a quarter of --buffer-m)", p.simplify_m, p.buffer_m / 4.0),
                ));
            }
            if let Some(c) = iso.category.as_deref().filter(|c| self.taxonomy.category_id(c).is_none()) {
                let keys: Vec<&str> = self.taxonomy.categories.iter().map(|k| k.key.as_str()).collect();
                return Err(Error::parameter(
                    "--category",
                    format!("unknown category {c:?} (known: {})", keys.join(", ")),
                ));
            }
        }
        if let Some(d) = self.districts.as_ref().filter(|d| !(1..=100).contains(&d.k_nearest)) {
            return Err(Error::parameter("--k-nearest", format!("{} is not in 1..=100", d.k_nearest)));
        }
        if let Some(n) = self.threads.filter(|n| !(1..=MAX_THREADS).contains(n)) {
            return Err(Error::parameter("--threads", format!("{n} is not in 1..={MAX_THREADS}")));
        }
        Ok(())
    }

    /// The main threshold (the largest of `minutes`) as an exact time.
    pub fn threshold(&self) -> TimeMs {
        TimeMs::from_secs_f64(self.minutes.last().copied().unwrap_or(15.0) * 60.0)
    }

    /// The thresholds of category `c`, ascending, with their labels: the
    /// `minutes`, or the category's tier distance walked at the run's speed.
    pub fn thresholds(&self, c: usize) -> Vec<(String, TimeMs)> {
        match &self.tiers {
            Some(t) => {
                let tier = t.by_category[&self.taxonomy.categories[c].key];
                vec![(format!("{}m", tier.distance_m), TimeMs::from_secs_f64(tier.distance_m / (self.speed_kmh / 3.6)))]
            }
            None => self.minutes.iter().map(|&m| (minutes_label(m), TimeMs::from_secs_f64(m * 60.0))).collect(),
        }
    }
}

/// `15` for 15.0, `7.5` for 7.5: the suffix of `<cat>_ok_<m>`.
pub fn minutes_label(m: f64) -> String {
    if m.fract() == 0.0 { format!("{m:.0}") } else { format!("{m}") }
}

/// How homes and facilities join the walking network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapMode {
    /// At the nearest point of the nearest edge, walking the straight line to it (the default).
    #[default]
    Edge,
    /// At the nearest network vertex, without walking to it: how node-based
    /// tools (scipy/igraph/pandana pipelines) do it; for comparisons with them.
    Vertex,
}

/// Slowest walking speed accepted: keeps any walk under 118 km within the
/// 49 days that `u32` milliseconds can hold.
pub const MIN_SPEED_KMH: f64 = 0.1;

/// Most worker threads `--threads` accepts.
pub const MAX_THREADS: usize = 1024;

/// Fewest threads [`with_threads`] will start when asked for more than the cores.
pub const MIN_POOL_CAP: usize = 8;

/// The threads a pool asked for `asked` gets: `asked`, but no more than the
/// machine's cores or [`MIN_POOL_CAP`], whichever is larger (so small
/// machines can still check results across a few thread counts).
pub fn pool_threads(asked: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    asked.min(cores.max(MIN_POOL_CAP))
}

/// Default for [`AnalyzeConfig::min_component_nodes`]: a component of this
/// many junctions is a real network (a town, an island), not a stray fragment.
pub const DEFAULT_MIN_COMPONENT_NODES: usize = 500;

/// The computed results, in memory.
pub struct Analysis {
    /// The configuration used.
    pub config: AnalyzeConfig,
    /// The walking graph.
    pub graph: WalkGraph,
    /// The snapping index of the graph (kept for later stages, e.g. candidate sites).
    pub snap_index: SnapIndex,
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
    /// District rows and target checks, when asked for.
    pub districts: Option<Districts>,
    /// The summary (write time not yet filled in).
    pub summary: Summary,
}

/// Districts, their rows and the target checks.
#[derive(Debug, Clone)]
pub struct Districts {
    /// The districts and their problems.
    pub set: DistrictSet,
    /// One row per district (and `(outside)`).
    pub rows: Vec<DistrictRow>,
    /// Target checks, rule by rule, district by district.
    pub results: Vec<RuleResult>,
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

/// Every file `analyze` may write; those a run does not write are removed from the folder.
pub const OUTPUT_FILES: [&str; 10] = [
    "coverage.geojson",
    "facilities.geojson",
    "isochrones.geojson",
    "districts.csv",
    "districts.geojson",
    "districts.md",
    "summary.json",
    "whatif.md",
    "whatif.csv",
    crate::report::html::REPORT_FILE,
];

/// Runs the analysis and writes the outputs; returns the summary.
pub fn analyze(config: &AnalyzeConfig) -> Result<Summary> {
    config.validate()?;
    let started = Instant::now();
    let out = OutputDir::prepare(&config.out_dir)?;
    with_threads(config.threads, || {
        let mut analysis = run(config)?;
        let t = Instant::now();
        let progress = Progress::new(config.progress);
        let pb = progress.stage("writing outputs");
        // Write, then fill in the write time and total, and write the summary last.
        let mut files = write_features(&analysis, &out)?;
        if let Some(iso) = &analysis.isochrones {
            files.push(write_isochrones(&analysis, iso, &out)?);
        }
        if let Some(d) = &analysis.districts {
            files.extend(write_districts(d, &out)?);
        }
        if let Some(opts) = &config.report {
            let map = MapData::from_analysis(&analysis, None, opts);
            files.push(write_report(
                &map,
                &Labels::builtin(),
                &config.title(),
                &out,
                crate::report::html::REPORT_FILE,
            )?);
        }
        analysis.summary.timings.write_s = t.elapsed().as_secs_f64();
        analysis.summary.timings.total_s = started.elapsed().as_secs_f64();
        files.push(write_summary(&analysis.summary, &out)?);
        let known: Vec<PathBuf> = OUTPUT_FILES.iter().map(|n| out.path().join(n)).collect();
        FinishedFile::commit_all_replacing(files, &known)?;
        pb.finish_and_clear();
        Ok(analysis.summary)
    })?
}

fn snap_points(
    graph: &WalkGraph,
    index: &SnapIndex,
    vertex_index: Option<&VertexSnapIndex>,
    points: &[[f64; 2]],
    max_snap_m: f64,
) -> (Vec<Option<Snap>>, Vec<Option<Anchor>>) {
    let snaps = match vertex_index {
        None => index.snap_all(graph, points),
        Some(v) => points.par_iter().map(|&p| v.snap(p)).collect(),
    };
    let anchors = snaps
        .par_iter()
        .map(|s| {
            s.filter(|s| s.access_m <= max_snap_m).map(|s| {
                let a = Anchor::from_snap(graph, &s);
                // Node-based snapping does not walk the access distance.
                if vertex_index.is_some() { Anchor { access: TimeMs(0), ..a } } else { a }
            })
        })
        .collect();
    (snaps, anchors)
}

/// Computes everything in memory (on the current rayon pool).
pub fn run(config: &AnalyzeConfig) -> Result<Analysis> {
    config.validate()?;
    let progress = Progress::new(config.progress);
    let mut timings = Timings::default();
    let t0 = Instant::now();

    // Parse: OSM, then the user's files.
    let pb = progress.stage(&format!("reading {}", config.pbf.display()));
    let pbf_bytes = std::fs::metadata(&config.pbf).map_err(|e| Error::io(&config.pbf, e))?.len();
    let data = read_pbf(&config.pbf, &config.taxonomy, &config.profile)?;
    let (mut homes, mut facilities, mut feature_report) = extract_features(&data, &config.taxonomy);
    let facilities_report = match &config.facilities_input {
        Some(input) => Some(merge_facilities(&mut facilities, input, &config.taxonomy, config.skip_bad_rows)?),
        None => None,
    };
    if let Some(plan) = &config.plan {
        plan.apply(&mut facilities, &config.taxonomy, config.skip_bad_rows)?;
    }
    let homes_report = match &config.homes_input {
        Some(input) => {
            let before = homes.len();
            let report = merge_homes(&mut homes, input, config.skip_bad_rows)?;
            if input.mode == MergeMode::Replace {
                feature_report.home_rule = HomeRule::UserFile;
                feature_report.homes_from_buildings = 0;
                feature_report.homes_from_residential_areas = 0;
                feature_report.homes_from_file = homes.len();
            } else {
                feature_report.homes_from_file = homes.len() - before;
            }
            Some(report)
        }
        None => None,
    };
    pb.finish_and_clear();
    timings.parse_s = t0.elapsed().as_secs_f64();

    // Build.
    let t = Instant::now();
    let pb = progress.stage("building the walking graph");
    let speed_m_s = config.speed_kmh / 3.6;
    let BuiltGraph { graph, islands, report: graph_report } =
        build_graph(&data, speed_m_s, config.min_component_nodes, &config.pbf)?;
    let district_set = match config.districts.as_ref().map(|d| &d.source) {
        None => None,
        Some(DistrictSource::AdminLevel(level)) => Some(districts_from_admin(&data, *level)),
        Some(DistrictSource::GeoJson { path, key }) => Some(districts_from_geojson(path, key)?),
    };
    drop(data);
    pb.finish_and_clear();
    timings.build_s = t.elapsed().as_secs_f64();

    // Snap.
    let t = Instant::now();
    let pb = progress.stage("snapping homes and facilities");
    let index = SnapIndex::new(&graph);
    let vertex_index = (config.snap_mode == SnapMode::Vertex).then(|| VertexSnapIndex::new(&graph));
    let home_points: Vec<[f64; 2]> = homes.iter().map(|h| h.lonlat).collect();
    let (home_snaps, home_anchors) =
        snap_points(&graph, &index, vertex_index.as_ref(), &home_points, config.max_snap_m);
    let fac_points: Vec<[f64; 2]> = facilities.iter().map(|f| f.lonlat).collect();
    let (_, facility_anchors) = snap_points(&graph, &index, vertex_index.as_ref(), &fac_points, config.max_snap_m);
    let nearest_island = if islands.num_edges() > 0 {
        let island_index = SnapIndex::new(&islands);
        island_index
            .snap_all(&islands, &home_points)
            .iter()
            .zip(&home_snaps)
            .filter(|(i, m)| match (i, m) {
                (Some(i), Some(m)) => i.access_m < m.access_m,
                (Some(_), None) => true,
                _ => false,
            })
            .count()
    } else {
        0
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
    let pb = progress.bar("nearest facility per category", ncat as u64);
    let nearest: Vec<Vec<TimeMs>> = per_cat
        .par_iter()
        .map(|fac| {
            let r = pool.with(|ws: &mut DijkstraWorkspace| nearest_times(&graph, ws, fac, &home_anchors));
            pb.inc(1);
            r
        })
        .collect();
    pb.finish_and_clear();
    let homes_by_edge = ByEdge::new(graph.num_edges(), &home_anchors);
    let population: Vec<f64> = homes.iter().map(|h| h.population).collect();
    let pb = progress.bar("facilities within the thresholds", ncat as u64);
    let mut counts_by_threshold = Vec::with_capacity(ncat);
    let mut capacity = Vec::with_capacity(ncat);
    for c in 0..ncat {
        let limits: Vec<TimeMs> = config.thresholds(c).into_iter().map(|(_, t)| t).collect();
        let caps: Vec<Option<f64>> = facility_index[c].iter().map(|&i| facilities[i].capacity).collect();
        let supply = caps.iter().any(Option::is_some).then_some(Supply { capacity: &caps, population: &population });
        let within = within_thresholds(&graph, &pool, &per_cat[c], &home_anchors, &homes_by_edge, &limits, supply);
        counts_by_threshold.push(within.counts);
        capacity.push(within.two_step_fca);
        pb.inc(1);
    }
    pb.finish_and_clear();
    let counts: Vec<Vec<u32>> = counts_by_threshold.iter().map(|k| k.last().expect("a threshold").clone()).collect();
    timings.compute_s = t.elapsed().as_secs_f64();

    // Service areas.
    let isochrones = match &config.isochrones {
        None => None,
        Some(iso) => {
            let t = Instant::now();
            let pb = progress.bar("service areas per category", ncat as u64);
            let home_index = HomeIndex::new(&home_points, &population);
            let mut out = Isochrones { facilities: Vec::new(), categories: Vec::new() };
            for (c, cat_facilities) in facility_index.iter().enumerate() {
                if iso.category.as_deref().is_some_and(|k| k != config.taxonomy.categories[c].key) {
                    pb.inc(1);
                    continue;
                }
                let limits: Vec<TimeMs> = config.thresholds(c).into_iter().map(|(_, t)| t).collect();
                let todo: Vec<(usize, Anchor, [f64; 2])> = cat_facilities
                    .iter()
                    .filter_map(|&i| facility_anchors[i].map(|a| (i, a, facilities[i].lonlat)))
                    .collect();
                let done = facility_areas(&graph, &pool, &todo, &limits, &iso.params, &home_index);
                let intervals: Vec<&Vec<Vec<_>>> = done.iter().map(|(_, iv)| iv).collect();
                let areas: Vec<&FacilityAreas> = done.iter().map(|(f, _)| f).collect();
                out.categories.push(category_areas(
                    &graph,
                    CategoryId(c as u8),
                    &intervals,
                    &areas,
                    limits.len(),
                    &iso.params,
                    &home_index,
                ));
                out.facilities.extend(done.into_iter().map(|(f, _)| f));
                pb.inc(1);
            }
            out.facilities.sort_by_key(|f| f.facility);
            pb.finish_and_clear();
            timings.isochrones_s = Some(t.elapsed().as_secs_f64());
            Some(out)
        }
    };

    let mut analysis = Analysis {
        config: config.clone(),
        graph,
        snap_index: index,
        homes,
        home_snaps,
        home_anchors,
        facilities,
        facility_anchors,
        nearest,
        counts,
        counts_by_threshold,
        capacity,
        facility_index,
        isochrones,
        districts: None,
        summary: Summary::default(),
    };
    if let (Some(set), Some(opts)) = (district_set, &config.districts) {
        let t = Instant::now();
        let index = DistrictIndex::new(&set.districts);
        let home_district = index.locate_all(&home_points);
        let facility_district = index.locate_all(&fac_points);
        let k_mean: Vec<Vec<f64>> = per_cat
            .iter()
            .enumerate()
            .map(|(c, fac)| {
                if opts.k_nearest == 1 {
                    analysis.nearest[c]
                        .iter()
                        .map(|t| if *t == TimeMs::INF { f64::INFINITY } else { t.minutes() })
                        .collect()
                } else {
                    k_nearest_mean_minutes(&analysis.graph, fac, &analysis.home_anchors, opts.k_nearest)
                }
            })
            .collect();
        let rows = district_rows(&analysis, &set, &home_district, &facility_district, &k_mean);
        let results = opts.targets.as_ref().map(|t| evaluate(t, &rows)).unwrap_or_default();
        analysis.districts = Some(Districts { set, rows, results });
        timings.districts_s = Some(t.elapsed().as_secs_f64());
    }
    analysis.summary = summarize(
        &analysis,
        SummaryParts {
            pbf_bytes,
            timings,
            graph_report,
            feature_report,
            nearest_island,
            facilities_report,
            homes_report,
        },
    );
    Ok(analysis)
}

/// Pieces of the summary that the stages produced.
struct SummaryParts {
    pbf_bytes: u64,
    timings: Timings,
    graph_report: crate::graph::GraphReport,
    feature_report: crate::osm::FeatureReport,
    nearest_island: usize,
    facilities_report: Option<InputReport>,
    homes_report: Option<InputReport>,
}

/// `(homes, population)` for which `pred(home)` holds.
fn tally(a: &Analysis, pred: impl Fn(usize) -> bool) -> (usize, f64) {
    (0..a.homes.len()).filter(|&h| pred(h)).fold((0, 0.0), |(n, p), h| (n + 1, p + a.homes[h].population))
}

fn summarize(a: &Analysis, parts: SummaryParts) -> Summary {
    let config = &a.config;
    let n_homes = a.homes.len();
    let total_population: f64 = a.homes.iter().map(|h| h.population).fold(0.0, |acc, p| acc + p);
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
        let note = (n_fac == 0).then(|| "no facilities found".to_string());
        if n_fac == 0 {
            notes.push(format!(
                "{}: no facilities found (normal where OSM has few POIs; supply your own list with --facilities)",
                cat.key
            ));
        } else if unreachable > 0 {
            notes.push(format!(
                "{}: {unreachable} of {n_fac} facilities are more than {} m from any walkable way",
                cat.key, config.max_snap_m
            ));
        }
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
    if unreachable_homes > 0 {
        notes.push(format!(
            "{unreachable_homes} homes are more than {} m from any walkable way: counted as uncovered",
            config.max_snap_m
        ));
    }
    if n_homes == 0 {
        notes.push("no homes found: check the taxonomy's home rules for this extract, or give --homes".into());
    }
    let districts = a.districts.as_ref().map(|d| {
        let misses = crate::district::targets::misses_summary(&d.results);
        for (rule, list) in &misses {
            notes.push(format!("target {rule}: missed in {} districts", list.len()));
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
                        .map(|(district, homes_short, people_short)| TargetMiss { district, homes_short, people_short })
                        .collect(),
                })
                .collect(),
        }
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
    for r in parts.facilities_report.iter().chain(&parts.homes_report) {
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
    Summary {
        lifecircle_version: env!("CARGO_PKG_VERSION").to_string(),
        inputs: Inputs {
            pbf: config.pbf.display().to_string(),
            pbf_bytes: parts.pbf_bytes,
            taxonomy: config.taxonomy_source.clone(),
            profile: config.profile_name.clone(),
            facilities: parts.facilities_report,
            homes: parts.homes_report,
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
    }
}

/// A finite number, or `None` (written as null).
fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// Writes `coverage.geojson` and `facilities.geojson` as temporary files.
fn write_features(a: &Analysis, out: &OutputDir) -> Result<Vec<FinishedFile>> {
    let cats = &a.config.taxonomy.categories;
    let thresholds: Vec<Vec<(String, TimeMs)>> = (0..cats.len()).map(|c| a.config.thresholds(c)).collect();
    let several = thresholds.iter().any(|t| t.len() > 1);
    // Property names are serialized once; each home's object is built in one reused buffer.
    struct CatKeys {
        min: Vec<u8>,
        count: Vec<u8>,
        ok: Vec<u8>,
        per_threshold: Vec<(Vec<u8>, Vec<u8>)>,
        access: Vec<u8>,
    }
    let keys: Vec<CatKeys> = cats
        .iter()
        .zip(&thresholds)
        .map(|(cat, ts)| CatKeys {
            min: json_key(&format!("{}_min", cat.key)),
            count: json_key(&format!("{}_count", cat.key)),
            ok: json_key(&format!("{}_ok", cat.key)),
            per_threshold: ts
                .iter()
                .map(|(label, _)| {
                    (json_key(&format!("{}_count_{label}", cat.key)), json_key(&format!("{}_ok_{label}", cat.key)))
                })
                .collect(),
            access: json_key(&format!("{}_access", cat.key)),
        })
        .collect();
    let mains: Vec<TimeMs> = thresholds.iter().map(|t| t.last().expect("a threshold").1).collect();
    let (k_id, k_pop, k_snap, k_reach) =
        (json_key("id"), json_key("population"), json_key("snap_m"), json_key("reachable"));
    let (k_cats, k_complete) = (json_key("categories_ok"), json_key("complete"));
    let mut props = PropertiesBuf::default();
    let mut cov = PointCollectionWriter::new(out.create("coverage.geojson")?)?;
    for (h, home) in a.homes.iter().enumerate() {
        props.start();
        match &home.user_id {
            Some(id) => props.entry(&k_id, id.as_str()),
            None => props.entry(&k_id, &home.osm.to_string()),
        }
        props.entry(&k_pop, &finite(home.population));
        props.entry(&k_snap, &a.home_snaps[h].map(|s| round_to(s.access_m, 1)));
        props.entry(&k_reach, &a.home_anchors[h].is_some());
        let mut ok_count = 0;
        for (c, key) in keys.iter().enumerate() {
            let t = a.nearest[c][h];
            let ok = t <= mains[c];
            ok_count += ok as u32;
            props.entry(&key.min, &(t != TimeMs::INF).then(|| minutes_ceil_2dp(t)));
            props.entry(&key.count, &a.counts[c][h]);
            props.entry(&key.ok, &ok);
            if several {
                for (k, (count_key, ok_key)) in key.per_threshold.iter().enumerate() {
                    props.entry(count_key, &a.counts_by_threshold[c][k][h]);
                    props.entry(ok_key, &(t <= thresholds[c][k].1));
                }
            }
            if let Some(fca) = &a.capacity[c] {
                props.entry(&key.access, &finite(round_to(fca.home_access[h], 9)));
            }
        }
        props.entry(&k_cats, &ok_count);
        props.entry(&k_complete, &(ok_count as usize == cats.len()));
        cov.point_raw(home.lonlat, props.finish())?;
    }
    let cov = cov.finish()?;
    // Position of each facility in its category's list, for the 2SFCA results.
    let mut rank = vec![0usize; a.facilities.len()];
    for idx in &a.facility_index {
        for (k, &i) in idx.iter().enumerate() {
            rank[i] = k;
        }
    }
    let mut fac = PointCollectionWriter::new(out.create("facilities.geojson")?)?;
    for (f, facility) in a.facilities.iter().enumerate() {
        let c = facility.category.idx();
        let mut p = JsonObject::new();
        p.insert("id".into(), json!(facility.id()));
        p.insert("category".into(), json!(cats[c].key));
        p.insert("name".into(), json!(facility.name));
        p.insert("source".into(), json!(if facility.user_id.is_some() { "user" } else { "osm" }));
        p.insert("reachable".into(), json!(a.facility_anchors[f].is_some()));
        if let Some(fca) = &a.capacity[c] {
            let k = rank[f];
            p.insert("capacity".into(), facility.capacity.map_or(Value::Null, num));
            p.insert("population_within".into(), num(round_to(fca.facility_demand[k], 3)));
            p.insert("supply_ratio".into(), fca.facility_ratio[k].map_or(Value::Null, |r| num(round_to(r, 9))));
            p.insert(
                "over_capacity".into(),
                facility.capacity.map_or(Value::Null, |cap| json!(fca.facility_demand[k] > cap)),
            );
        }
        fac.point(facility.lonlat, p)?;
    }
    Ok(vec![cov, fac.finish()?])
}

/// Writes `isochrones.geojson`: per facility and threshold, then per category and threshold.
fn write_isochrones(a: &Analysis, iso: &Isochrones, out: &OutputDir) -> Result<FinishedFile> {
    let cats = &a.config.taxonomy.categories;
    let mut w = PointCollectionWriter::new(out.create("isochrones.geojson")?)?;
    let props = |kind: &str, c: usize, label: &str, r: &AreaResult| {
        let mut p = JsonObject::new();
        p.insert("kind".into(), json!(kind));
        p.insert("category".into(), json!(cats[c].key));
        let limit = &a.config.thresholds(c)[r.threshold];
        p.insert("minutes".into(), num(round_to(limit.1.minutes(), 3)));
        p.insert("threshold".into(), json!(label));
        p.insert("area_m2".into(), num(round_to(r.area.area_m2, 1)));
        p.insert("homes".into(), json!(r.homes));
        p.insert("population".into(), num(round_to(r.population, 3)));
        p
    };
    for f in &iso.facilities {
        let fac = &a.facilities[f.facility];
        let c = fac.category.idx();
        let labels = a.config.thresholds(c);
        for r in &f.areas {
            let mut p = JsonObject::new();
            p.insert("facility_id".into(), json!(fac.id()));
            p.insert("name".into(), json!(fac.name));
            p.extend(props("facility", c, &labels[r.threshold].0, r));
            w.multipolygon(&r.area.polygon, p)?;
        }
    }
    for cat in &iso.categories {
        let c = cat.category.idx();
        let labels = a.config.thresholds(c);
        for r in &cat.areas {
            let mut p = JsonObject::new();
            p.insert("id".into(), json!(format!("{}_coverage", cats[c].key)));
            p.extend(props(&format!("{}_coverage", cats[c].key), c, &labels[r.threshold].0, r));
            w.multipolygon(&r.area.polygon, p)?;
        }
    }
    w.finish()
}

/// Writes `districts.csv`, `districts.geojson` and `districts.md`.
fn write_districts(d: &Districts, out: &OutputDir) -> Result<Vec<FinishedFile>> {
    let mut csv = out.create("districts.csv")?;
    write_all(&mut csv, crate::district::table::to_csv(&d.rows).as_bytes())?;
    let mut md = out.create("districts.md")?;
    write_all(&mut md, crate::district::table::to_markdown(&d.rows, &d.results).as_bytes())?;
    let cols = crate::district::table::columns(&d.rows);
    let mut geo = PointCollectionWriter::new(out.create("districts.geojson")?)?;
    for row in &d.rows {
        let Some(district) = d.set.districts.iter().find(|x| x.key == row.key) else { continue };
        let props: JsonObject = cols.iter().cloned().zip(crate::district::table::values(row)).collect();
        geo.multipolygon(&district.shape, props)?;
    }
    Ok(vec![csv.finish()?, md.finish()?, geo.finish()?])
}

fn write_summary(summary: &Summary, out: &OutputDir) -> Result<FinishedFile> {
    let mut file = out.create("summary.json")?;
    let mut text = serde_json::to_vec_pretty(summary).map_err(|e| file.err(e.into()))?;
    text.push(b'\n');
    write_all(&mut file, &text)?;
    file.finish()
}

/// The default extract shipped with the crate (`data/liechtenstein-2024-03.osm.pbf`).
pub fn default_pbf() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join("liechtenstein-2024-03.osm.pbf")
}
