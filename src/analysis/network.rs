//! The network of an extract: everything read from the PBF, built once and
//! reused for any number of facility sets (the Python package's
//! `lifecircle.Network`): the walking graph and its snapping indexes, the
//! homes and facilities OSM has, and the administrative boundaries of every
//! level, so districts can be asked for later.
//!
//! Complexity: reading is linear in the PBF, the graph build `O(E α(N))`, the
//! snapping index `O(E log E)`; OSM homes are snapped once, on first use
//! (`O(H log E)`).

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use rayon::prelude::*;

use super::config::DistrictSource;
use super::config::{AnalyzeConfig, SnapMode};
use crate::district::sources::{DistrictSet, admin_district_sets, admin_levels};
use crate::error::{Error, Result};
use crate::graph::{BuiltGraph, GraphReport, WalkGraph, build_graph};
use crate::ids::TimeMs;
use crate::osm::{Facility, FeatureReport, Home, extract_features};
use crate::progress::Progress;
use crate::routing::Anchor;
use crate::snap::{Snap, SnapIndex, VertexSnapIndex};

/// What was read from an extract and built from it, independent of the
/// facilities and homes analysed on it.
pub struct Network {
    /// The walking graph.
    pub graph: Arc<WalkGraph>,
    /// The components left out of the graph (to report homes nearest to them).
    pub islands: Arc<WalkGraph>,
    /// The snapping index of the graph (edges; built on first use in vertex mode).
    pub snap_index: Arc<SnapIndex>,
    /// The vertex index, in vertex snapping mode.
    pub vertex_index: Option<Arc<VertexSnapIndex>>,
    /// OSM's homes, sorted by reference.
    pub homes: Vec<Home>,
    /// OSM homes' snaps and anchors, computed on first use and kept.
    home_snaps: OnceLock<Snapped>,
    /// OSM's facilities, sorted by category then reference.
    pub facilities: Vec<Facility>,
    /// How homes and facilities were found.
    pub feature_report: FeatureReport,
    /// The graph's size, components and skipped segments.
    pub graph_report: GraphReport,
    /// Administrative boundaries by `admin_level`, for districts (assembled
    /// when the build was asked for them, see [`Network::build_with`]).
    pub admin_districts: BTreeMap<u8, DistrictSet>,
    /// The `admin_level`s the extract has boundaries at.
    pub admin_levels: Vec<u8>,
    /// The PBF's size in bytes.
    pub pbf_bytes: u64,
    /// Seconds spent reading the PBF (its blocks decoded and the elements kept).
    pub parse_s: f64,
    /// Seconds spent building the graph and the indexes, with the homes,
    /// facilities and boundaries found meanwhile.
    pub build_s: f64,
    /// What the network depends on, to refuse a config it was not built for.
    key: NetworkKey,
    /// OSM facilities' snaps and anchors when they were given with the network
    /// (a tile's: the whole run's snaps), used when no user file changes the facilities.
    facility_snaps: Option<Snapped>,
    /// Per OSM home, whether a dropped island is nearer than the graph, when
    /// given with the network (a tile's, from the whole run's islands).
    home_near_island: Option<Vec<bool>>,
    /// The tile this network is, when it is one.
    pub tile: Option<TileFacts>,
}

/// A tile's identity and the whole run's figures a merge of tile summaries
/// needs (see [`crate::tile`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TileFacts {
    /// The tile's id (`r3c4`).
    pub id: String,
    /// The extract the tiles were prepared from, as given.
    pub pbf: String,
    /// Its size in bytes.
    pub pbf_bytes: u64,
    /// Facilities per category in the whole run (taxonomy order).
    pub facilities: Vec<usize>,
    /// Of those, the ones farther than the snapping limit from the network.
    pub facilities_unreachable: Vec<usize>,
    /// Homes of the whole run.
    pub homes: usize,
    /// The reach the tile answers exactly, minutes (the run's `--reach-minutes`).
    pub reach_minutes: f64,
}

/// What a tile cannot answer exactly (see [`crate::tile`]), or `None` when it can answer `config`.
pub fn tile_refusal(config: &AnalyzeConfig) -> Option<&'static str> {
    if config.snap_mode != SnapMode::Edge {
        Some("--snap vertex")
    } else if config.facilities_input.is_some() || config.plan.is_some() {
        Some("your own facilities (--facilities, --add-facilities, --remove-facilities)")
    } else if config.homes_input.is_some() || config.population.is_some() {
        Some("your own homes (--homes, --population)")
    } else if config.isochrones.is_some() {
        Some("service areas (--isochrones)")
    } else if config.districts.as_ref().is_some_and(|d| d.k_nearest > 1) {
        Some("the mean time to the k nearest facilities (--k-nearest above 1)")
    } else if config
        .districts
        .as_ref()
        .is_some_and(|d| d.sources().iter().any(|s| matches!(s, DistrictSource::GeoJsonBytes { .. })))
    {
        Some("districts held in memory: give them as a GeoJSON file")
    } else {
        None
    }
}

/// The homes, facilities and graph of a network computed elsewhere (a tile
/// of `lifecircle prepare`), with their snaps.
pub struct NetworkContent {
    /// The walking graph.
    pub graph: WalkGraph,
    /// OSM's homes, in the whole run's order.
    pub homes: Vec<Home>,
    /// Their snaps (edges of `graph`).
    pub home_snaps: Vec<Option<Snap>>,
    /// Per home, whether a dropped island is nearer than the graph.
    pub home_near_island: Vec<bool>,
    /// OSM's facilities, in the whole run's order.
    pub facilities: Vec<Facility>,
    /// Their snaps (edges of `graph`).
    pub facility_snaps: Vec<Option<Snap>>,
}

/// The parts of a network given rather than read from a PBF ([`Network::from_parts`]).
pub struct NetworkParts {
    /// The graph, homes and facilities with their snaps.
    pub content: NetworkContent,
    /// How the whole run found homes and facilities.
    pub feature_report: FeatureReport,
    /// The whole run's graph.
    pub graph_report: GraphReport,
    /// The tile's identity and whole-run figures.
    pub tile: TileFacts,
    /// The size of the file read.
    pub bytes: u64,
    /// Seconds spent reading it.
    pub parse_s: f64,
}

/// Points' snaps and their anchors on the network.
pub type Snapped = (Vec<Option<Snap>>, Vec<Option<Anchor>>);

/// The parts of a configuration a network depends on.
#[derive(Debug, Clone, PartialEq)]
struct NetworkKey {
    pbf: String,
    taxonomy: String,
    profile: String,
    speed_kmh: f64,
    min_component_nodes: usize,
    max_snap_m: f64,
    snap_mode: SnapMode,
}

impl NetworkKey {
    fn of(config: &AnalyzeConfig) -> NetworkKey {
        NetworkKey {
            pbf: config.pbf.path().display().to_string(),
            taxonomy: config.taxonomy_source.clone(),
            profile: config.profile_name.clone(),
            speed_kmh: config.speed_kmh,
            min_component_nodes: config.min_component_nodes,
            max_snap_m: config.max_snap_m,
            snap_mode: config.snap_mode,
        }
    }
}

impl Network {
    /// Reads `config.pbf` and builds the network for `config`'s taxonomy,
    /// profile, speed, components and snapping rule; administrative
    /// boundaries are assembled when `config` asks for them as districts.
    pub fn build(config: &AnalyzeConfig) -> Result<Network> {
        let boundaries = config.districts.as_ref().is_some_and(|d| !d.admin_levels().is_empty());
        Network::build_with(config, boundaries)
    }

    /// [`Network::build`], assembling the administrative boundaries of every
    /// level when `boundaries` (for a network reused with any districts).
    pub fn build_with(config: &AnalyzeConfig, boundaries: bool) -> Result<Network> {
        config.validate()?;
        if config.tile.is_some() {
            // A tile opens through `crate::tile::open`; other commands come here.
            return Err(Error::parameter(
                "--tile",
                "only `analyze` answers from a tile: new sites are chosen over the whole region (a site near \
                 a tile's edge serves the next tile's homes) and service areas count homes beyond the tile; run \
                 this command on the whole extract",
            ));
        }
        let progress = Progress::new(config.progress);
        let t0 = Instant::now();
        let pbf_path = config.pbf.path();
        let pb = progress.stage(&format!("reading {}", pbf_path.display()));
        let pbf_bytes = config.pbf.len_bytes()?;
        let data = config.pbf.read(&config.taxonomy, &config.profile)?;
        pb.finish_and_clear();
        let parse_s = t0.elapsed().as_secs_f64();

        let t = Instant::now();
        let pb = progress.stage("building the walking graph");
        // The graph on one side, the homes, facilities and boundaries on the
        // other; the OSM records are dropped before a large graph's snapping
        // indexes are built, so the two are never in memory together.
        let (built, (features, admin_levels, admin_districts)) = rayon::join(
            || {
                let built = build_graph(&data, config.speed_kmh / 3.6, config.min_component_nodes, &pbf_path)?;
                // A small graph's snapping indexes are built here, beside the
                // homes and facilities (a few MB held with the OSM records);
                // a large one's after the records are dropped (see `indexes`).
                let indexes = (built.graph.num_edges() <= INDEX_BESIDE_FEATURES_MAX_EDGES)
                    .then(|| indexes(&built.graph, config.snap_mode));
                Ok::<_, Error>((built, indexes))
            },
            || {
                let features = extract_features(&data, &config.taxonomy);
                let admin_districts = if boundaries { admin_district_sets(&data) } else { BTreeMap::new() };
                (features, admin_levels(&data), admin_districts)
            },
        );
        drop(data);
        let (BuiltGraph { graph, islands, report: graph_report }, built_indexes) = built?;
        let (homes, facilities, feature_report) = features;
        let (snap_index, vertex_index) = built_indexes.unwrap_or_else(|| indexes(&graph, config.snap_mode));
        pb.finish_and_clear();
        let build_s = t.elapsed().as_secs_f64();
        Ok(Network {
            graph: Arc::new(graph),
            islands: Arc::new(islands),
            snap_index: Arc::new(snap_index),
            vertex_index,
            homes,
            home_snaps: OnceLock::new(),
            facilities,
            feature_report,
            graph_report,
            admin_districts,
            admin_levels,
            pbf_bytes,
            parse_s,
            build_s,
            key: NetworkKey::of(config),
            facility_snaps: None,
            home_near_island: None,
            tile: None,
        })
    }

    /// A network from parts computed elsewhere (a tile of `lifecircle prepare`):
    /// the graph is taken as it is (no component filtering), the homes' and
    /// facilities' snaps as given, so ties break as where they were computed.
    /// Edge snapping only.
    pub fn from_parts(config: &AnalyzeConfig, parts: NetworkParts) -> Result<Network> {
        if config.snap_mode != SnapMode::Edge {
            return Err(Error::parameter("--snap", "tiles are prepared for edge snapping only"));
        }
        let t = Instant::now();
        let NetworkContent { graph, homes, home_snaps: given_home_snaps, home_near_island, facilities, facility_snaps } =
            parts.content;
        let snap_index = SnapIndex::new(&graph);
        let home_anchors = anchors_of(&graph, &given_home_snaps, config.max_snap_m, true);
        let facility_anchors = anchors_of(&graph, &facility_snaps, config.max_snap_m, true);
        let home_snaps = OnceLock::new();
        let _ = home_snaps.set((given_home_snaps, home_anchors));
        let islands = WalkGraph::new(Vec::new(), Vec::new(), graph.speed_m_s());
        Ok(Network {
            graph: Arc::new(graph),
            islands: Arc::new(islands),
            snap_index: Arc::new(snap_index),
            vertex_index: None,
            homes,
            home_snaps,
            facilities,
            feature_report: parts.feature_report,
            graph_report: parts.graph_report,
            admin_districts: BTreeMap::new(),
            admin_levels: Vec::new(),
            pbf_bytes: parts.bytes,
            parse_s: parts.parse_s,
            build_s: t.elapsed().as_secs_f64(),
            key: NetworkKey::of(config),
            facility_snaps: Some((facility_snaps, facility_anchors)),
            home_near_island: Some(home_near_island),
            tile: Some(parts.tile),
        })
    }

    /// The given facilities' snaps, when the network came with them (see [`Network::from_parts`]).
    pub(super) fn given_facility_snaps(&self) -> Option<&Snapped> {
        self.facility_snaps.as_ref()
    }

    /// How many OSM homes are nearer to a dropped island than to the graph, when given with the network.
    pub(super) fn given_island_homes(&self) -> Option<usize> {
        self.home_near_island.as_ref().map(|f| f.iter().filter(|x| **x).count())
    }

    /// OSM's homes and their snaps and anchors if already made, moved out:
    /// the network keeps no homes after this (see `Network::analyze_once`).
    pub(super) fn take_osm_homes(&mut self) -> (Vec<Home>, Option<Snapped>) {
        (std::mem::take(&mut self.homes), self.home_snaps.take())
    }

    /// OSM's homes snapped as [`Network::osm_home_snaps`] snaps them (for homes taken out).
    pub(super) fn snap_osm_homes(&self, homes: &[Home]) -> Snapped {
        let points: Vec<[f64; 2]> = homes.iter().map(|h| h.lonlat).collect();
        self.snap(&points, self.key.max_snap_m)
    }

    /// OSM homes' snaps and anchors (snapped on first use, then kept).
    pub fn osm_home_snaps(&self) -> &Snapped {
        self.home_snaps.get_or_init(|| self.snap_osm_homes(&self.homes))
    }

    /// The districts of `admin_level`, or an error naming the levels the extract has.
    pub fn admin_districts(&self, admin_level: u8) -> Result<DistrictSet> {
        if let Some(set) = self.admin_districts.get(&admin_level) {
            return Ok(set.clone());
        }
        let present = if self.admin_levels.is_empty() {
            "it has no administrative boundaries; give --districts FILE".to_string()
        } else if self.admin_levels.contains(&admin_level) {
            return Err(Error::parameter(
                "--admin-level",
                "the network was built without its administrative boundaries; build it with them",
            ));
        } else {
            format!("levels present: {}", self.admin_levels.iter().map(u8::to_string).collect::<Vec<_>>().join(", "))
        };
        Err(Error::parameter(
            "--admin-level",
            format!("the extract has no administrative boundary at admin_level {admin_level} ({present})"),
        ))
    }

    /// Checks that `config` asks for what this network was built for (a
    /// tile's: its reach, and only what it answers exactly, [`tile_refusal`]).
    pub fn check(&self, config: &AnalyzeConfig) -> Result<()> {
        if let Some(t) = &self.tile {
            if config.reach_minutes != Some(t.reach_minutes) {
                return Err(Error::parameter(
                    "--reach-minutes",
                    format!(
                        "tile {} answers exactly with a reach of {} minutes; give that reach",
                        t.id, t.reach_minutes
                    ),
                ));
            }
            let largest = (0..config.taxonomy.len())
                .filter_map(|c| config.thresholds(c).last().map(|t| t.1.minutes()))
                .fold(0.0, f64::max);
            if largest > t.reach_minutes {
                return Err(Error::parameter(
                    "--minutes",
                    format!(
                        "a threshold of {largest} minutes is beyond tile {}'s reach of {} minutes; prepare tiles with \
                         --reach-minutes {largest} or more",
                        t.id, t.reach_minutes
                    ),
                ));
            }
            if let Some(what) = tile_refusal(config) {
                return Err(Error::parameter(
                    "--tile",
                    format!("{what} cannot be answered exactly from a tile; run on the whole extract"),
                ));
            }
        }
        let want = NetworkKey::of(config);
        if want == self.key {
            return Ok(());
        }
        let k = &self.key;
        let differs = [
            ("the extract", k.pbf != want.pbf),
            ("the taxonomy", k.taxonomy != want.taxonomy),
            ("the profile", k.profile != want.profile),
            ("the speed", k.speed_kmh != want.speed_kmh),
            ("the components kept", k.min_component_nodes != want.min_component_nodes),
            ("the snapping limit", k.max_snap_m != want.max_snap_m),
            ("the snapping rule", k.snap_mode != want.snap_mode),
        ];
        let what: Vec<&str> = differs.iter().filter(|(_, d)| *d).map(|(w, _)| *w).collect();
        Err(Error::parameter(
            "network",
            format!("it was built for other settings ({}); build a network for these", what.join(", ")),
        ))
    }

    /// Snaps `points` to the network: their snaps and, within `max_snap_m`, their anchors.
    pub fn snap(&self, points: &[[f64; 2]], max_snap_m: f64) -> Snapped {
        snap_points(&self.graph, &self.snap_index, self.vertex_index.as_deref(), points, max_snap_m)
    }
}

/// Snaps points to `graph` (the nearest point of the nearest edge, or the
/// nearest vertex without walking to it); anchors within `max_snap_m`.
pub(super) fn snap_points(
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
    // Node-based snapping does not walk the access distance.
    let anchors = anchors_of(graph, &snaps, max_snap_m, vertex_index.is_none());
    (snaps, anchors)
}

/// The anchors of snaps within `max_snap_m` (the access walked when `walk_access`).
fn anchors_of(graph: &WalkGraph, snaps: &[Option<Snap>], max_snap_m: f64, walk_access: bool) -> Vec<Option<Anchor>> {
    snaps
        .par_iter()
        .map(|s| {
            s.filter(|s| s.access_m <= max_snap_m).map(|s| {
                let a = Anchor::from_snap(graph, &s);
                if walk_access { a } else { Anchor { access: TimeMs(0), ..a } }
            })
        })
        .collect()
}

/// Graphs of at most this many edges have their snapping indexes built beside
/// the homes and facilities, while the OSM records are still held (the default
/// data's 14,000 edges: a few MB, 3 ms off the critical path); larger ones
/// after the records are dropped, so the two never add up at the peak (on the
/// harness's 4x4 copy, 225,000 edges, its peak went from 243 to 291 MiB).
const INDEX_BESIDE_FEATURES_MAX_EDGES: usize = 50_000;

/// The snapping indexes `mode` needs: the edge index (deferred for vertex
/// snapping, which needs it only if something asks later, e.g. siting) and,
/// for vertex snapping, the vertex index.
fn indexes(graph: &WalkGraph, mode: SnapMode) -> (SnapIndex, Option<Arc<VertexSnapIndex>>) {
    match mode {
        SnapMode::Edge => (SnapIndex::new(graph), None),
        SnapMode::Vertex => (SnapIndex::deferred(), Some(Arc::new(VertexSnapIndex::new(graph)))),
    }
}
