//! The `analyze` job: every stage in order, from a PBF to the output folder.
//!
//! [`run`] computes an [`Analysis`] in memory; [`write_outputs`] writes it;
//! [`analyze`] does both and returns the [`Summary`].

use std::path::{Path, PathBuf};
use std::time::Instant;

use geojson::JsonObject;
use rayon::prelude::*;
use serde_json::json;

use crate::coverage::ByEdge;
use crate::coverage::count_within::count_within;
use crate::coverage::nearest::nearest_times;
use crate::coverage::stats::{median_time, minutes_ceil_2dp, share};
use crate::error::{Error, Result};
use crate::graph::{BuiltGraph, WalkGraph, build_graph};
use crate::ids::TimeMs;
use crate::io::OutputDir;
use crate::io::atomic::{FinishedFile, write_all};
use crate::io::geojson_out::{PointCollectionWriter, num, round_to};
use crate::osm::{Facility, Home, extract_features, read_pbf};
use crate::progress::Progress;
use crate::routing::{Anchor, DijkstraWorkspace, WorkspacePool};
use crate::snap::{Snap, SnapIndex, VertexSnapIndex};
use crate::summary::{CategorySummary, CompleteSummary, HomesSummary, Inputs, Parameters, Summary, Timings};
use crate::taxonomy::{Profile, Taxonomy};

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
    /// Threshold in minutes.
    pub minutes: f64,
    /// Walking speed in km/h (overrides the profile's).
    pub speed_kmh: f64,
    /// Points farther than this from the network are unreachable.
    pub max_snap_m: f64,
    /// Components of at least this many nodes are kept besides the largest (0 keeps only the largest).
    pub min_component_nodes: usize,
    /// How points join the network.
    pub snap_mode: SnapMode,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
    /// Show progress on stderr.
    pub progress: bool,
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
            minutes: 15.0,
            max_snap_m: 500.0,
            min_component_nodes: DEFAULT_MIN_COMPONENT_NODES,
            snap_mode: SnapMode::Edge,
            threads: None,
            progress: false,
        }
    }

    /// Checks the parameters' ranges.
    pub fn validate(&self) -> Result<()> {
        if !(self.minutes.is_finite() && self.minutes > 0.0 && self.minutes <= 600.0) {
            return Err(Error::parameter("--minutes", format!("{} is not in (0, 600]", self.minutes)));
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
        if let Some(n) = self.threads.filter(|n| !(1..=MAX_THREADS).contains(n)) {
            return Err(Error::parameter("--threads", format!("{n} is not in 1..={MAX_THREADS}")));
        }
        Ok(())
    }

    /// The threshold as an exact time.
    pub fn threshold(&self) -> TimeMs {
        TimeMs::from_secs_f64(self.minutes * 60.0)
    }
}

/// How homes and facilities join the walking network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapMode {
    /// At the nearest point of the nearest edge, walking the straight line to it (the default).
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

/// Default for [`AnalyzeConfig::min_component_nodes`]: a component of this
/// many junctions is a real network (a town, an island), not a stray fragment.
pub const DEFAULT_MIN_COMPONENT_NODES: usize = 500;

/// The computed results, in memory.
pub struct Analysis {
    /// The configuration used.
    pub config: AnalyzeConfig,
    /// The walking graph.
    pub graph: WalkGraph,
    /// Homes, sorted by OSM reference.
    pub homes: Vec<Home>,
    /// Each home's snap (`None` only for an empty graph).
    pub home_snaps: Vec<Option<Snap>>,
    /// Each home on the network (`None` when farther than `max_snap_m`).
    pub home_anchors: Vec<Option<Anchor>>,
    /// Facilities, sorted by category and OSM reference.
    pub facilities: Vec<Facility>,
    /// Each facility on the network.
    pub facility_anchors: Vec<Option<Anchor>>,
    /// `nearest[c][h]`: time from home `h` to the nearest facility of category `c`.
    pub nearest: Vec<Vec<TimeMs>>,
    /// `counts[c][h]`: facilities of category `c` within the threshold of home `h`.
    pub counts: Vec<Vec<u32>>,
    /// The summary (write time not yet filled in).
    pub summary: Summary,
}

/// Runs `f` on a rayon pool of `threads` threads (the global pool when `None`).
pub fn with_threads<R: Send>(threads: Option<usize>, f: impl FnOnce() -> R + Send) -> Result<R> {
    match threads {
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
        let t = Instant::now();
        let progress = Progress::new(config.progress);
        let pb = progress.stage("writing outputs");
        analysis.summary.timings.total_s = started.elapsed().as_secs_f64();
        analysis.summary.timings.write_s = 0.0;
        // Write, then fill in the write time and total, and write the summary last.
        let files = write_features(&analysis, &out)?;
        analysis.summary.timings.write_s = t.elapsed().as_secs_f64();
        analysis.summary.timings.total_s = started.elapsed().as_secs_f64();
        let mut all = files;
        all.push(write_summary(&analysis.summary, &out)?);
        FinishedFile::commit_all(all)?;
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

    // Parse.
    let pb = progress.stage(&format!("reading {}", config.pbf.display()));
    let pbf_bytes = std::fs::metadata(&config.pbf).map_err(|e| Error::io(&config.pbf, e))?.len();
    let data = read_pbf(&config.pbf, &config.taxonomy, &config.profile)?;
    let (homes, facilities, feature_report) = extract_features(&data, &config.taxonomy);
    pb.finish_and_clear();
    timings.parse_s = t0.elapsed().as_secs_f64();

    // Build.
    let t = Instant::now();
    let pb = progress.stage("building the walking graph");
    let speed_m_s = config.speed_kmh / 3.6;
    let BuiltGraph { graph, islands, report: graph_report } =
        build_graph(&data, speed_m_s, config.min_component_nodes, &config.pbf)?;
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
    let threshold = config.threshold();
    let ncat = config.taxonomy.len();
    let per_cat: Vec<Vec<Option<Anchor>>> = (0..ncat)
        .map(|c| {
            facilities.iter().zip(&facility_anchors).filter(|(f, _)| f.category.idx() == c).map(|(_, a)| *a).collect()
        })
        .collect();
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
    let pb = progress.bar("facilities within the threshold", ncat as u64);
    let counts: Vec<Vec<u32>> = per_cat
        .iter()
        .map(|fac| {
            let r = count_within(&graph, &pool, fac, &home_anchors, &homes_by_edge, threshold);
            pb.inc(1);
            r
        })
        .collect();
    pb.finish_and_clear();
    timings.compute_s = t.elapsed().as_secs_f64();

    // Summary.
    let n_homes = homes.len();
    let mut categories = Vec::with_capacity(ncat);
    let mut notes = Vec::new();
    for (c, cat) in config.taxonomy.categories.iter().enumerate() {
        let n_fac = per_cat[c].len();
        let unreachable = per_cat[c].iter().filter(|a| a.is_none()).count();
        let covered = nearest[c].iter().filter(|&&t| t <= threshold).count();
        let note = (n_fac == 0).then(|| "no facilities found".to_string());
        if n_fac == 0 {
            notes.push(format!(
                "{}: no facilities found in this extract (normal where OSM has few POIs; supply your own list)",
                cat.key
            ));
        } else if unreachable > 0 {
            notes.push(format!(
                "{}: {unreachable} of {n_fac} facilities are more than {} m from any walkable way",
                cat.key, config.max_snap_m
            ));
        }
        categories.push(CategorySummary {
            key: cat.key.clone(),
            label_en: cat.label_en.clone(),
            label_zh: cat.label_zh.clone(),
            facilities: n_fac,
            facilities_unreachable: unreachable,
            homes_covered: covered,
            share_covered: share(covered, n_homes),
            median_min: median_time(&nearest[c]).map(minutes_ceil_2dp),
            note,
        });
    }
    let complete = (0..n_homes).filter(|&h| (0..ncat).all(|c| nearest[c][h] <= threshold)).count();
    let unreachable_homes = home_anchors.iter().filter(|a| a.is_none()).count();
    if unreachable_homes > 0 {
        notes.push(format!(
            "{unreachable_homes} homes are more than {} m from any walkable way: counted as uncovered",
            config.max_snap_m
        ));
    }
    if n_homes == 0 {
        notes.push("no homes found: check the taxonomy's home rules for this extract".into());
    }
    let mut snap_m: Vec<f64> = home_snaps.iter().flatten().map(|s| s.access_m).collect();
    let median_snap_m = if snap_m.is_empty() {
        None
    } else {
        let mid = (snap_m.len() - 1) / 2;
        let (_, m, _) = snap_m.select_nth_unstable_by(mid, f64::total_cmp);
        Some(round_to(*m, 1))
    };
    let summary = Summary {
        lifecircle_version: env!("CARGO_PKG_VERSION").to_string(),
        inputs: Inputs {
            pbf: config.pbf.display().to_string(),
            pbf_bytes,
            taxonomy: config.taxonomy_source.clone(),
            profile: config.profile_name.clone(),
        },
        parameters: Parameters {
            minutes: config.minutes,
            speed_kmh: config.speed_kmh,
            threshold_m: round_to(config.minutes * 60.0 * speed_m_s, 3),
            max_snap_m: config.max_snap_m,
            min_component_nodes: config.min_component_nodes,
            snap_mode: config.snap_mode,
            threads: rayon::current_num_threads(),
        },
        timings,
        graph: graph_report,
        homes: HomesSummary {
            total: n_homes,
            unreachable: unreachable_homes,
            nearest_way_on_dropped_island: nearest_island,
            median_snap_m,
            features: feature_report,
        },
        facilities: config.taxonomy.categories.iter().zip(&per_cat).map(|(c, f)| (c.key.clone(), f.len())).collect(),
        categories,
        complete: CompleteSummary { homes: complete, share: share(complete, n_homes) },
        notes,
    };
    Ok(Analysis {
        config: config.clone(),
        graph,
        homes,
        home_snaps,
        home_anchors,
        facilities,
        facility_anchors,
        nearest,
        counts,
        summary,
    })
}

/// Writes `coverage.geojson` and `facilities.geojson` as temporary files.
fn write_features(a: &Analysis, out: &OutputDir) -> Result<Vec<FinishedFile>> {
    let threshold = a.config.threshold();
    let cats = &a.config.taxonomy.categories;
    let mut cov = PointCollectionWriter::new(out.create("coverage.geojson")?)?;
    for (h, home) in a.homes.iter().enumerate() {
        let mut p = JsonObject::new();
        p.insert("id".into(), json!(home.osm.to_string()));
        p.insert("snap_m".into(), a.home_snaps[h].map_or(serde_json::Value::Null, |s| num(round_to(s.access_m, 1))));
        p.insert("reachable".into(), json!(a.home_anchors[h].is_some()));
        let mut ok_count = 0;
        for (c, cat) in cats.iter().enumerate() {
            let t = a.nearest[c][h];
            let ok = t <= threshold;
            ok_count += ok as u32;
            let min = if t == TimeMs::INF { serde_json::Value::Null } else { num(minutes_ceil_2dp(t)) };
            p.insert(format!("{}_min", cat.key), min);
            p.insert(format!("{}_count", cat.key), json!(a.counts[c][h]));
            p.insert(format!("{}_ok", cat.key), json!(ok));
        }
        p.insert("categories_ok".into(), json!(ok_count));
        p.insert("complete".into(), json!(ok_count as usize == cats.len()));
        cov.point(home.lonlat, p)?;
    }
    let cov = cov.finish()?;
    let mut fac = PointCollectionWriter::new(out.create("facilities.geojson")?)?;
    for (f, facility) in a.facilities.iter().enumerate() {
        let mut p = JsonObject::new();
        p.insert("id".into(), json!(facility.osm.to_string()));
        p.insert("category".into(), json!(cats[facility.category.idx()].key));
        p.insert("name".into(), json!(facility.name));
        p.insert("reachable".into(), json!(a.facility_anchors[f].is_some()));
        fac.point(facility.lonlat, p)?;
    }
    Ok(vec![cov, fac.finish()?])
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
