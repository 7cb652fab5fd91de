//! `lifecircle prepare`: one read of the PBF, the whole run's homes,
//! facilities, graph (components decided on the whole) and snaps, then the
//! tiles cut out of them and written with `manifest.json`, all committed at
//! once. Memory: the whole run's network (as `analyze` holds it) plus one tile.

use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::format::{FORMAT_VERSION, Tile, TileHeader, TileParams, encode};
use crate::analysis::{AnalyzeConfig, Network, NetworkContent, TileFacts};
use crate::error::{Error, Result};
use crate::graph::WalkGraph;
use crate::ids::{EdgeId, NodeId, TimeMs};
use crate::io::OutputDir;
use crate::io::atomic::write_all;
use crate::io::manifest::{RunManifest, sha256_file};
use crate::progress::Progress;
use crate::routing::{Anchor, DijkstraWorkspace, dijkstra};
use crate::snap::{Snap, SnapIndex};

/// The manifest's file name in a tiles folder.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Metres per degree of latitude, rounded down (the least anywhere: 110.574 km at the equator).
const M_PER_DEG_LAT: f64 = 110_000.0;
/// Metres per degree of longitude at the equator, rounded up.
const M_PER_DEG_LON_EQ: f64 = 111_400.0;

/// The tiles folder's `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The tile format version.
    pub format_version: u32,
    /// The parameters every tile was prepared for.
    pub params: TileParams,
    /// The extract, as given.
    pub pbf: String,
    /// Its size in bytes.
    pub pbf_bytes: u64,
    /// Its SHA-256, lower-case hex.
    pub pbf_sha256: String,
    /// Homes of the whole run.
    pub homes: usize,
    /// Grid cells with no home in their core (not written).
    pub skipped: usize,
    /// The tiles written.
    pub tiles: Vec<ManifestTile>,
}

/// One tile in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestTile {
    /// Its id, and its file is `<id>.tile`.
    pub id: String,
    /// Core box `[west, south, east, north]`.
    pub core: [f64; 4],
    /// Core grown by the halo.
    pub grown: [f64; 4],
    /// Its halo, metres.
    pub halo_m: f64,
    /// Homes in the core.
    pub homes: usize,
    /// Edges of the tile's graph.
    pub edges: usize,
    /// Facilities on them.
    pub facilities: usize,
}

/// The largest speed factor of the profile (at least 1): highway's times surface's.
pub fn fastest_factor(config: &AnalyzeConfig) -> f64 {
    let max = |m: &BTreeMap<String, f64>| m.values().copied().fold(1.0, f64::max);
    max(&config.profile.highway_speed_factor) * max(&config.profile.surface_speed_factor)
}

/// The halo that makes a tile exact (see the module documentation of [`crate::tile`]), metres.
pub fn halo_m(config: &AnalyzeConfig, reach_minutes: f64) -> f64 {
    let reach_m = reach_minutes * 60.0 * config.speed_kmh / 3.6 * fastest_factor(config);
    // 0.1 % and 10 m for the whole-millisecond rounding of edge times.
    reach_m * 1.001 + config.max_snap_m + 10.0
}

/// Prepares the tiles of `config.pbf` (its parameters; `config.reach_minutes` is
/// the reach) with cores of `tile_km` km into `out`; returns the manifest.
pub fn prepare(config: &AnalyzeConfig, tile_km: f64, out: &Path) -> Result<Manifest> {
    let reach_minutes = config
        .reach_minutes
        .ok_or_else(|| Error::parameter("--reach-minutes", "tiles need a reach: give --reach-minutes"))?;
    prepare_with_halo(config, tile_km, halo_m(config, reach_minutes), out)
}

/// [`prepare`] starting from a halo of `start_halo_m` metres instead of the
/// derived one ([`halo_m`]): each tile's check grows it (by half, as often as
/// needed) until the tile is exact, so any start gives exact tiles, a small
/// one only larger halos by steps (for tests and experiments).
pub fn prepare_with_halo(config: &AnalyzeConfig, tile_km: f64, start_halo_m: f64, out: &Path) -> Result<Manifest> {
    config.validate()?;
    let reach_minutes = config
        .reach_minutes
        .ok_or_else(|| Error::parameter("--reach-minutes", "tiles need a reach: give --reach-minutes"))?;
    if !(start_halo_m.is_finite() && start_halo_m > 0.0) {
        return Err(Error::parameter("halo", format!("{start_halo_m} m is not a positive width")));
    }
    if !(tile_km.is_finite() && tile_km >= 0.1) {
        return Err(Error::parameter("--tile-km", format!("{tile_km} is not at least 0.1")));
    }
    if config.snap_mode != crate::analysis::SnapMode::Edge {
        return Err(Error::parameter("--snap", "tiles are prepared for edge snapping only"));
    }
    let dir = OutputDir::prepare(out)?;
    // Boundaries of the admin levels the tile runs will ask for, assembled on the whole file.
    let admin: Vec<u8> = config.districts.as_ref().map(|d| d.admin_levels()).unwrap_or_default();
    let net = Network::build_with(config, !admin.is_empty())?;
    let boundaries: Vec<(u8, crate::district::sources::DistrictSet)> =
        admin.iter().map(|&level| net.admin_districts(level).map(|set| (level, set))).collect::<Result<_>>()?;
    let progress = Progress::new(config.progress);
    let pb = progress.stage("snapping homes and facilities");
    let home_snaps = net.osm_home_snaps().0.clone();
    let fac_points: Vec<[f64; 2]> = net.facilities.iter().map(|f| f.lonlat).collect();
    let (fac_snaps, fac_anchors) = net.snap(&fac_points, config.max_snap_m);
    let near_island = island_flags(&net.islands, &net.homes.iter().map(|h| h.lonlat).collect::<Vec<_>>(), &home_snaps);
    pb.finish_and_clear();
    let ncat = config.taxonomy.len();
    let mut facilities = vec![0usize; ncat];
    let mut unreachable = vec![0usize; ncat];
    for (f, a) in net.facilities.iter().zip(&fac_anchors) {
        facilities[f.category.idx()] += 1;
        unreachable[f.category.idx()] += usize::from(a.is_none());
    }
    let (pbf_bytes, pbf_sha256) = match &config.pbf {
        crate::analysis::PbfSource::File(p) => sha256_file(p)?,
        crate::analysis::PbfSource::BuiltIn => {
            let mut m = RunManifest::new(&config.invocation);
            m.add_input_bytes("pbf", &config.pbf.path(), crate::analysis::BUILTIN_PBF);
            (m.inputs[0].bytes, m.inputs[0].sha256.clone())
        }
    };
    let params = TileParams {
        speed_kmh: config.speed_kmh,
        profile: config.profile_name.clone(),
        taxonomy: config.taxonomy_source.clone(),
        max_snap_m: config.max_snap_m,
        reach_minutes,
        min_component_nodes: config.min_component_nodes,
        tile_km,
        halo_m: halo_m(config, reach_minutes),
    };
    let g = &net.graph;
    // The grid: K km cells over the homes' box, sized at its mid latitude.
    let (mut w, mut s, mut n) = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for h in &net.homes {
        (w, s, n) = (w.min(h.lonlat[0]), s.min(h.lonlat[1]), n.max(h.lonlat[1]));
    }
    let dlat = tile_km * 1000.0 / 111_320.0;
    let dlon = dlat / ((s + n) / 2.0).to_radians().cos().max(0.01);
    let cell = |p: [f64; 2]| (((p[1] - s) / dlat).floor() as i64, ((p[0] - w) / dlon).floor() as i64);
    let mut cells: BTreeMap<(i64, i64), Vec<usize>> = BTreeMap::new();
    for (i, h) in net.homes.iter().enumerate() {
        cells.entry(cell(h.lonlat)).or_default().push(i);
    }
    let (rows, cols) = cells.keys().fold((0, 0), |(r, c), k| (r.max(k.0 + 1), c.max(k.1 + 1)));
    let skipped = (rows * cols) as usize - cells.len();
    let boxes: Vec<[f64; 4]> = (0..g.num_edges())
        .into_par_iter()
        .map(|e| {
            g.edge_geometry(EdgeId(e as u32))
                .iter()
                .fold([f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY], |b, p| {
                    [b[0].min(p[0]), b[1].min(p[1]), b[2].max(p[0]), b[3].max(p[1])]
                })
        })
        .collect();
    let degree: Vec<u32> = (0..g.num_nodes()).map(|v| g.incident_edges(NodeId(v as u32)).count() as u32).collect();
    let facts = |id: &str| TileFacts {
        id: id.to_string(),
        pbf: config.pbf.path().display().to_string(),
        pbf_bytes,
        facilities: facilities.clone(),
        facilities_unreachable: unreachable.clone(),
        homes: net.homes.len(),
        reach_minutes,
    };
    let pb = progress.bar("writing tiles", cells.len() as u64);
    let mut files = Vec::new();
    let mut listed = Vec::new();
    for (&(row, col), core_homes) in &cells {
        let id = format!("r{row}c{col}");
        let core =
            [w + col as f64 * dlon, s + row as f64 * dlat, w + (col + 1) as f64 * dlon, s + (row + 1) as f64 * dlat];
        let mut halo = start_halo_m;
        let tile = loop {
            let grown = grow(core, halo);
            let mut keep = vec![false; g.num_edges()];
            keep.par_iter_mut().zip(&boxes).for_each(|(k, b)| {
                *k = b[0] <= grown[2] && b[2] >= grown[0] && b[1] <= grown[3] && b[3] >= grown[1];
            });
            for sn in core_homes.iter().filter_map(|&h| home_snaps[h]) {
                keep[sn.edge.idx()] = true;
            }
            let header = TileHeader {
                facts: facts(&id),
                params: params.clone(),
                core,
                grown,
                halo_m: halo,
                graph: net.graph_report.clone(),
                features: net.feature_report.clone(),
            };
            let (tile, whole_of) =
                cut(&net, &keep, core_homes, &home_snaps, &near_island, &fac_snaps, &fac_anchors, header);
            if exact_within(&tile, &whole_of, &degree, config, TimeMs::from_secs_f64(reach_minutes * 60.0)) {
                break tile;
            }
            halo *= 1.5;
        };
        listed.push(ManifestTile {
            id: id.clone(),
            core,
            grown: tile.header.grown,
            halo_m: tile.header.halo_m,
            homes: tile.content.homes.len(),
            edges: tile.content.graph.num_edges(),
            facilities: tile.content.facilities.len(),
        });
        let mut file = dir.create(&format!("{id}.tile"))?;
        write_all(&mut file, &encode(&tile)?)?;
        files.push(file.finish()?);
        pb.inc(1);
    }
    pb.finish_and_clear();
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        params,
        pbf: config.pbf.path().display().to_string(),
        pbf_bytes,
        pbf_sha256,
        homes: net.homes.len(),
        skipped,
        tiles: listed,
    };
    for (level, set) in &boundaries {
        let mut file = dir.create(&super::tables::boundaries_file(*level))?;
        write_all(&mut file, &crate::district::sources::write_boundaries(set, *level))?;
        files.push(file.finish()?);
    }
    // The whole run's facilities, for the district and H3 tables' counts (see `tile::tables`).
    let mut file = dir.create(super::tables::FACILITIES_FILE)?;
    let mut text = String::from("category,osm,lon,lat\n");
    for f in &net.facilities {
        use std::fmt::Write;
        let key = &config.taxonomy.categories[f.category.idx()].key;
        let _ = writeln!(text, "{key},{},{},{}", f.osm, f.lonlat[0], f.lonlat[1]);
    }
    write_all(&mut file, text.as_bytes())?;
    files.push(file.finish()?);
    let mut file = dir.create(MANIFEST_FILE)?;
    let mut text = serde_json::to_vec_pretty(&manifest).map_err(|e| file.err(e.into()))?;
    text.push(b'\n');
    write_all(&mut file, &text)?;
    files.push(file.finish()?);
    let mut run = RunManifest::new(&config.invocation);
    if let crate::analysis::PbfSource::File(p) = &config.pbf {
        run.add_input("pbf", p)?;
    }
    dir.commit(files, run)?;
    Ok(manifest)
}

/// `core` grown by `halo_m` metres on every side, converted to degrees
/// conservatively (the latitude farthest from the equator for longitude).
fn grow(core: [f64; 4], halo_m: f64) -> [f64; 4] {
    let dlat = halo_m / M_PER_DEG_LAT;
    let (south, north) = ((core[1] - dlat).max(-90.0), (core[3] + dlat).min(90.0));
    let far = south.abs().max(north.abs()).min(89.0);
    let dlon = (halo_m / (M_PER_DEG_LON_EQ * far.to_radians().cos())).min(360.0);
    [core[0] - dlon, south, core[2] + dlon, north]
}

/// Per home, whether a dropped island is nearer than the network.
fn island_flags(islands: &WalkGraph, points: &[[f64; 2]], snaps: &[Option<Snap>]) -> Vec<bool> {
    if islands.num_edges() == 0 {
        return vec![false; points.len()];
    }
    let index = SnapIndex::new(islands);
    index
        .snap_all(islands, points)
        .iter()
        .zip(snaps)
        .map(|(i, m)| match (i, m) {
            (Some(i), Some(m)) => i.access_m < m.access_m,
            (Some(_), None) => true,
            _ => false,
        })
        .collect()
}

/// The tile of the edges `keep` (in the whole run's order, nodes renumbered in
/// the whole run's order), the core's homes and the anchored facilities on kept edges.
#[allow(clippy::too_many_arguments)]
fn cut(
    net: &Network,
    keep: &[bool],
    core_homes: &[usize],
    home_snaps: &[Option<Snap>],
    near_island: &[bool],
    fac_snaps: &[Option<Snap>],
    fac_anchors: &[Option<Anchor>],
    header: TileHeader,
) -> (Tile, Vec<u32>) {
    let g = &net.graph;
    let mut node_of = vec![u32::MAX; g.num_nodes()];
    let mut edge_of = vec![u32::MAX; g.num_edges()];
    let kept: Vec<usize> = (0..g.num_edges()).filter(|&e| keep[e]).collect();
    for &e in &kept {
        let (u, v) = g.edge_endpoints(EdgeId(e as u32));
        node_of[u.idx()] = 0;
        node_of[v.idx()] = 0;
    }
    let (mut nodes, mut whole_of) = (Vec::new(), Vec::new());
    for (v, slot) in node_of.iter_mut().enumerate() {
        if *slot == 0 {
            *slot = nodes.len() as u32;
            nodes.push(g.node_lonlat(NodeId(v as u32)));
            whole_of.push(v as u32);
        }
    }
    let (mut ends, mut offsets, mut geom, mut times) = (Vec::new(), vec![0u32], Vec::new(), Vec::new());
    for (k, &e) in kept.iter().enumerate() {
        let id = EdgeId(e as u32);
        edge_of[e] = k as u32;
        let (u, v) = g.edge_endpoints(id);
        ends.push((node_of[u.idx()], node_of[v.idx()], g.edge_highway(id)));
        geom.extend_from_slice(g.edge_geometry(id));
        offsets.push(geom.len() as u32);
        times.push(g.edge_time(id).0);
    }
    let graph = WalkGraph::from_flat_times(nodes, ends, offsets, geom, g.speed_m_s(), &times);
    let moved = |s: Snap| Snap { edge: EdgeId(edge_of[s.edge.idx()]), ..s };
    let on_tile: Vec<usize> = (0..net.facilities.len())
        .filter(|&f| fac_anchors[f].is_some() && fac_snaps[f].is_some_and(|s| keep[s.edge.idx()]))
        .collect();
    let content = NetworkContent {
        graph,
        homes: core_homes.iter().map(|&h| net.homes[h].clone()).collect(),
        home_snaps: core_homes.iter().map(|&h| home_snaps[h].map(moved)).collect(),
        home_near_island: core_homes.iter().map(|&h| near_island[h]).collect(),
        facilities: on_tile.iter().map(|&f| net.facilities[f].clone()).collect(),
        facility_snaps: on_tile.iter().map(|&f| fac_snaps[f].map(moved)).collect(),
    };
    let tile = Tile { header, content };
    (tile, whole_of)
}

/// The certificate of exactness: no walk of at most `reach` from a core home
/// leaves the tile, i.e. every node where the whole graph has an edge the
/// tile lacks ("cut node") is farther than `reach` from every core home
/// within the tile (a walk that leaves must pass one, and its part up to there
/// is in the tile).
fn exact_within(tile: &Tile, whole_of: &[u32], degree: &[u32], config: &AnalyzeConfig, reach: TimeMs) -> bool {
    let g = &tile.content.graph;
    let seeds: Vec<(NodeId, TimeMs)> = (0..g.num_nodes())
        .filter(|&n| g.incident_edges(NodeId(n as u32)).count() as u32 != degree[whole_of[n] as usize])
        .map(|n| (NodeId(n as u32), TimeMs(0)))
        .collect();
    if seeds.is_empty() {
        return true;
    }
    let mut ws = DijkstraWorkspace::new(g.num_nodes());
    dijkstra(g, &mut ws, &seeds, reach);
    tile.content.home_snaps.iter().flatten().filter(|s| s.access_m <= config.max_snap_m).all(|s| {
        let a = Anchor::from_snap(g, s);
        a.seeds(g).iter().all(|&(n, t)| {
            let d = ws.time(n);
            d == TimeMs::INF || u64::from(d.0) + u64::from(t.0) > u64::from(reach.0)
        })
    })
}
