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

use rayon::prelude::*;

use crate::coverage::ByEdge;
use crate::coverage::count_within::{Supply, within_thresholds};
use crate::coverage::k_nearest::k_nearest_mean_minutes;
use crate::coverage::nearest::nearest_times;
use crate::coverage::stats::{median_time, minutes_ceil_2dp, share};
use crate::coverage::two_step_fca::TwoStepFca;
use crate::district::DistrictRow;
use crate::district::assign::DistrictIndex;
use crate::district::h3::HexGrid;
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
use crate::io::geojson_out::round_to;
use crate::io::manifest::{Invocation, RunManifest};
use crate::isochrone::IsochroneParams;
use crate::isochrone::batch::{CategoryAreas, FacilityAreas, HomeIndex, category_areas, facility_areas};
use crate::osm::{Facility, Home, HomeRule, extract_features, read_pbf};
use crate::output::layers::{AreaLayer, AreaLayerKind, CoverageLayer, DistrictsLayer, FacilitiesLayer};
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
    pub pbf: PbfSource,
    /// Output folder.
    pub out_dir: PathBuf,
    /// Service categories and home rules.
    pub taxonomy: Taxonomy,
    /// Where the taxonomy came from (`built-in` or its path).
    pub taxonomy_source: String,
    /// The taxonomy's file, when not the built-in table (for the run's manifest).
    pub taxonomy_path: Option<PathBuf>,
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
    /// right after the user's facilities are merged; see [`crate::inputs::plan`].
    pub plan: Option<crate::inputs::plan::Plan>,
    /// Skip and count bad rows of user files instead of failing.
    pub skip_bad_rows: bool,
    /// Service areas to draw (`--isochrones`), if any.
    pub isochrones: Option<IsochroneOptions>,
    /// District statistics (`--districts` / `--admin-level`), if any.
    pub districts: Option<DistrictOptions>,
    /// Also write the self-contained HTML report (`report.html`), gathered with these options.
    pub report: Option<crate::options::MapOptions>,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
    /// Show progress on stderr.
    pub progress: bool,
    /// The command that asked for the run (written to `run.json`).
    pub invocation: Invocation,
    /// The formats layers are written in (GeoJSON by default).
    pub formats: Vec<crate::options::Format>,
    /// Also aggregate homes to H3 hexagons of this resolution (0–15): the `hexagons` layer.
    pub h3: Option<u8>,
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
    /// The targets' file, when not the built-in table (for the run's manifest).
    pub targets_path: Option<PathBuf>,
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
    pub fn new(pbf: impl Into<PbfSource>, out_dir: impl Into<PathBuf>) -> AnalyzeConfig {
        let profiles = crate::taxonomy::Profiles::builtin();
        let profile = profiles.get("adult").expect("built-in adult profile").clone();
        AnalyzeConfig {
            pbf: pbf.into(),
            out_dir: out_dir.into(),
            taxonomy: Taxonomy::builtin(),
            taxonomy_source: "built-in".into(),
            taxonomy_path: None,
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
            invocation: Invocation::default(),
            formats: vec![crate::options::Format::GeoJson],
            h3: None,
        }
    }

    /// The run's name for titles: the extract's file name without `.osm.pbf`.
    pub fn title(&self) -> String {
        let name = self.pbf.path().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
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
        if let Some(r) = self.h3.filter(|r| *r > 15) {
            return Err(Error::parameter("--h3", format!("{r} is not an H3 resolution (0 to 15)")));
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

/// Runs the analysis and writes the outputs; returns the summary.
pub fn analyze(config: &AnalyzeConfig) -> Result<Summary> {
    config.validate()?;
    let started = Instant::now();
    let out = OutputDir::prepare(&config.out_dir)?;
    with_threads(config.threads, || {
        let mut analysis = run(config)?;
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
    let mut files = crate::output::write_layer(&CoverageLayer::new(analysis), out, &config.formats)?;
    files.extend(crate::output::write_layer(&FacilitiesLayer::new(analysis), out, &config.formats)?);
    if let Some(iso) = &analysis.isochrones {
        for kind in [AreaLayerKind::Facilities, AreaLayerKind::Categories] {
            files.extend(crate::output::write_layer(&AreaLayer::new(analysis, iso, kind), out, &config.formats)?);
        }
    }
    if let Some(d) = &analysis.districts {
        files.extend(write_districts(d, out, &config.formats)?);
    }
    if let Some(h) = &analysis.hexagons {
        files.extend(crate::output::write_layer(&DistrictsLayer::hexagons(h), out, &config.formats)?);
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
    styled.extend(analysis.districts.is_some().then_some("districts"));
    styled.extend(analysis.hexagons.is_some().then_some("hexagons"));
    for name in styled {
        files.extend(crate::output::write_style(name, &config.taxonomy, out)?);
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
    match &config.pbf {
        PbfSource::File(p) => m.add_input("pbf", p)?,
        PbfSource::BuiltIn => m.add_input_bytes("pbf", &config.pbf.path(), BUILTIN_PBF),
    }
    if let Some(path) = &config.taxonomy_path {
        m.add_input("taxonomy", path)?;
    }
    if let Some(input) = &config.facilities_input {
        m.add_input("facilities", &input.path)?;
    }
    if let Some(input) = &config.homes_input {
        m.add_input("homes", &input.path)?;
    }
    if let Some(add) = config.plan.as_ref().and_then(|p| p.add.as_ref()) {
        m.add_input("add_facilities", &add.path)?;
    }
    if let Some(d) = &config.districts {
        if let DistrictSource::GeoJson { path, .. } = &d.source {
            m.add_input("districts", path)?;
        }
        if let Some(path) = &d.targets_path {
            m.add_input("targets", path)?;
        }
    }
    Ok(m)
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
        Some(v) => points.par_iter().map(|&p| v.snap(graph, p)).collect(),
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
    let pbf_path = config.pbf.path();
    let pb = progress.stage(&format!("reading {}", pbf_path.display()));
    let pbf_bytes = config.pbf.len_bytes()?;
    let data = config.pbf.read(&config.taxonomy, &config.profile)?;
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
        build_graph(&data, speed_m_s, config.min_component_nodes, &pbf_path)?;
    let district_set = match config.districts.as_ref().map(|d| &d.source) {
        None => None,
        Some(DistrictSource::AdminLevel(level)) => Some(districts_from_admin(&data, *level)?),
        Some(DistrictSource::GeoJson { path, key }) => Some(districts_from_geojson(path, key)?),
    };
    drop(data);
    pb.finish_and_clear();
    timings.build_s = t.elapsed().as_secs_f64();

    // Snap.
    let t = Instant::now();
    let pb = progress.stage("snapping homes and facilities");
    // Vertex snapping needs the edge index only if something asks later (siting).
    let index = match config.snap_mode {
        SnapMode::Edge => SnapIndex::new(&graph),
        SnapMode::Vertex => SnapIndex::deferred(),
    };
    let vertex_index = (config.snap_mode == SnapMode::Vertex).then(|| VertexSnapIndex::new(&graph));
    let home_points: Vec<[f64; 2]> = homes.iter().map(|h| h.lonlat).collect();
    let (home_snaps, home_anchors) =
        snap_points(&graph, &index, vertex_index.as_ref(), &home_points, config.max_snap_m);
    let fac_points: Vec<[f64; 2]> = facilities.iter().map(|f| f.lonlat).collect();
    let (facility_snaps, facility_anchors) =
        snap_points(&graph, &index, vertex_index.as_ref(), &fac_points, config.max_snap_m);
    let mut far_notes = Vec::new();
    if let Some(input) = &config.homes_input {
        let from_file: Vec<usize> = (0..homes.len()).filter(|&i| homes[i].user_id.is_some()).collect();
        far_notes.extend(far_points_note(&graph, config, &input.path, "homes", &from_file, &home_points, &home_snaps));
    }
    if let Some(path) = config
        .facilities_input
        .as_ref()
        .map(|i| &i.path)
        .or_else(|| config.plan.as_ref().and_then(|p| p.add.as_ref()).map(|i| &i.path))
    {
        let from_file: Vec<usize> = (0..facilities.len()).filter(|&i| facilities[i].user_id.is_some()).collect();
        far_notes.extend(far_points_note(&graph, config, path, "facilities", &from_file, &fac_points, &facility_snaps));
    }
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
        hexagons: None,
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
        let rows = analysis.with_coverage_view(|v| district_rows(v, &set, &home_district, &facility_district, &k_mean));
        let results = opts.targets.as_ref().map(|t| evaluate(t, &rows)).unwrap_or_default();
        analysis.districts = Some(Districts { set, rows, results });
        timings.districts_s = Some(t.elapsed().as_secs_f64());
    }
    if let Some(resolution) = config.h3 {
        let grid = HexGrid::new(&home_points, resolution);
        let home_cell = grid.locate_all(&home_points);
        let facility_cell = grid.locate_all(&fac_points);
        let k_mean: Vec<Vec<f64>> = analysis
            .nearest
            .iter()
            .map(|n| n.iter().map(|t| if *t == TimeMs::INF { f64::INFINITY } else { t.minutes() }).collect())
            .collect();
        let rows = analysis.with_coverage_view(|v| district_rows(v, &grid.set, &home_cell, &facility_cell, &k_mean));
        analysis.hexagons = Some(Districts { set: grid.set, rows, results: Vec::new() });
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
            far_notes,
        },
    );
    Ok(analysis)
}

/// When most of a user file's points lie farther than `max_snap_m` from the
/// network, a note saying so, with the likely cause: swapped columns when the
/// swapped positions fall on the network's area, else a wrong coordinate
/// system or a file for another place. `O(points)`.
fn far_points_note(
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
struct SummaryParts {
    pbf_bytes: u64,
    timings: Timings,
    graph_report: crate::graph::GraphReport,
    feature_report: crate::osm::FeatureReport,
    nearest_island: usize,
    facilities_report: Option<InputReport>,
    homes_report: Option<InputReport>,
    /// Notes on user files whose points mostly miss the network.
    far_notes: Vec<String>,
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
    notes.extend(parts.far_notes.iter().cloned());
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
    Summary {
        lifecircle_version: env!("CARGO_PKG_VERSION").to_string(),
        inputs: Inputs {
            pbf: config.pbf.path().display().to_string(),
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

/// Writes `districts.csv`, `districts.geojson` and `districts.md`.
fn write_districts(d: &Districts, out: &OutputDir, formats: &[crate::output::Format]) -> Result<Vec<FinishedFile>> {
    let table = DistrictsLayer::new(d, true);
    let mut files =
        crate::output::format::csv::write_csv(&table, out.create("districts.csv")?, out.create("districts.csvt")?)?;
    let mut md = out.create("districts.md")?;
    write_all(&mut md, crate::district::table::to_markdown(&d.rows, &d.results).as_bytes())?;
    files.push(md.finish()?);
    files.extend(crate::output::write_layer(&DistrictsLayer::new(d, false), out, formats)?);
    Ok(files)
}

fn write_summary(summary: &Summary, out: &OutputDir) -> Result<FinishedFile> {
    let mut file = out.create("summary.json")?;
    let mut text = serde_json::to_vec_pretty(summary).map_err(|e| file.err(e.into()))?;
    text.push(b'\n');
    write_all(&mut file, &text)?;
    file.finish()
}

/// The default extract in the source checkout (`data/liechtenstein-2024-03.osm.pbf`), for tests
/// and benchmarks; an installed binary uses the copy compiled into it ([`PbfSource::BuiltIn`]).
pub fn default_pbf() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(BUILTIN_PBF_NAME)
}

/// The file name of the built-in extract.
pub const BUILTIN_PBF_NAME: &str = "liechtenstein-2024-03.osm.pbf";

/// The built-in extract's bytes: Liechtenstein, Geofabrik 2024-03-04 (© OpenStreetMap
/// contributors, ODbL; see data/README.md), compiled in so the binary runs anywhere.
pub static BUILTIN_PBF: &[u8] = include_bytes!("../data/liechtenstein-2024-03.osm.pbf");

/// Where the OSM extract comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PbfSource {
    /// A PBF file.
    File(PathBuf),
    /// The extract compiled into the library ([`BUILTIN_PBF`]).
    BuiltIn,
}

impl PbfSource {
    /// The path errors and the summary name: the file, or `<built-in>/liechtenstein-2024-03.osm.pbf`.
    pub fn path(&self) -> PathBuf {
        match self {
            PbfSource::File(p) => p.clone(),
            PbfSource::BuiltIn => Path::new("<built-in>").join(BUILTIN_PBF_NAME),
        }
    }

    /// Its size in bytes.
    pub fn len_bytes(&self) -> Result<u64> {
        match self {
            PbfSource::File(p) => Ok(std::fs::metadata(p).map_err(|e| Error::io(p, e))?.len()),
            PbfSource::BuiltIn => Ok(BUILTIN_PBF.len() as u64),
        }
    }

    /// Reads it into OSM records.
    pub fn read(&self, taxonomy: &Taxonomy, profile: &Profile) -> Result<crate::osm::OsmData> {
        match self {
            PbfSource::File(p) => read_pbf(p, taxonomy, profile),
            PbfSource::BuiltIn => crate::osm::read_pbf_bytes(BUILTIN_PBF, &self.path(), taxonomy, profile),
        }
    }
}

impl From<PathBuf> for PbfSource {
    fn from(p: PathBuf) -> PbfSource {
        PbfSource::File(p)
    }
}

impl From<&Path> for PbfSource {
    fn from(p: &Path) -> PbfSource {
        PbfSource::File(p.to_path_buf())
    }
}

impl From<&str> for PbfSource {
    fn from(p: &str) -> PbfSource {
        PbfSource::File(p.into())
    }
}

impl From<&PathBuf> for PbfSource {
    fn from(p: &PathBuf) -> PbfSource {
        PbfSource::File(p.clone())
    }
}
