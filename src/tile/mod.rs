//! Exact tiles with a halo: a region cut into tiles that are analysed apart
//! (other processes, other machines) and merged into exactly the whole run's
//! answer.
//!
//! - [`prepare`](prepare::prepare) reads the PBF once, extracts homes and
//!   facilities and builds the graph on the **whole** file (so area
//!   centroids, the residential tests and the component decision are the
//!   whole run's), snaps every home and facility on the whole graph, then
//!   cuts: tile cores are the cells of a grid of `K` km (half-open boxes, so
//!   each home is in exactly one core); a tile holds, in the whole run's
//!   order, the edges whose box meets the core grown by the halo (plus each
//!   core home's snapped edge), the core's homes and the facilities snapped
//!   onto its edges, with their whole-run snaps (so every tie breaks as in
//!   the whole run). Cells without homes are not written.
//! - [`open`] turns a tile into a [`Network`] ([`Network::from_parts`]) for
//!   a configuration it can answer exactly, refusing anything else.
//! - [`merge`] merges tile summaries into the whole run's summary, and
//!   [`tables`] the tiles' district and H3 sums into the whole run's tables
//!   (a district row is a function of mergeable sums: [`crate::district::sums`]).
//!
//! # Why a tile is exact
//!
//! Tile runs search with the prepared reach `R` (`--reach-minutes`): the
//! whole-file reference is `analyze --reach-minutes R` with the same flags.
//! Take a core home `h` snapped at `p` (`|h p| <= max_snap_m`, or `h` is
//! unreachable in both runs). Any walk from `p` of at most `R` along edges
//! walked at most at the profile's fastest speed `v·f_max` has length at most
//! `R·v·f_max` (times are whole milliseconds, each rounded by at most half a
//! millisecond: the 0.1 % + 10 m slack of [`prepare::halo_m`] covers it), so
//! every edge it touches has a point within `R·v·f_max + max_snap_m` of the
//! core, and its box meets the core grown by that halo (metres converted to
//! degrees conservatively: 110 km per degree of latitude, longitude at the
//! grown box's latitude farthest from the equator): the edge is in the tile,
//! whole. A facility reached on such a walk is snapped onto one of those
//! edges (its whole-run snap), so it is in the tile. Hence every walk of at
//! most `R` from a core home exists in the tile and no walk of the tile is
//! shorter than in the whole graph: nearest times, the facility reached
//! (ties by the whole run's facility order, which the tile keeps), and the
//! counts within every threshold `<= R` are the whole run's.
//!
//! `prepare` does not rely on the bound alone: it checks each tile (no node
//! where the whole graph has an edge the tile lacks is within `R` of a core
//! home, searched in the tile) and grows the halo by half until that holds.
//!
//! Not exact in a tile, so refused: capacities (2SFCA needs the homes within
//! reach of each facility, `2R`), thresholds above `R`, other speed, profile,
//! taxonomy, snapping limit or components, vertex snapping, user homes or
//! facilities files, population grids, service areas, districts held in
//! memory and the mean to the `k > 1` nearest (administrative boundaries
//! are those `prepare --admin-level` kept, assembled on the whole file). District files and H3 cells are answered as sums: each home's
//! district or cell is its own, so the sums of the cores add up to the whole.

//!
//! # Where this differs from the first design
//!
//! - Facilities are chosen by their whole-run snap (on a tile edge) rather
//!   than by position in the grown box: exact by construction, and a
//!   facility's own nearest edge needs no second margin.
//! - Homes nearest to a dropped island are flagged per home on the whole
//!   run's islands (no island edges in the tiles).
//! - Each tile is checked by a search and its halo grown when needed, so
//!   exactness does not rest on the metre-to-degree bound alone.
//! - Users' own homes and facilities are refused in a tile for now (their
//!   snaps would be computed on the tile, not the whole graph).
//! - District tables merge from per-district sums with exact millisecond
//!   histograms (Gini and percentiles need the values, not shares); the
//!   whole run makes its rows from the same sums, so both agree bit for bit.

pub mod format;
pub mod merge;
pub mod prepare;
pub mod tables;

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::analysis::{AnalyzeConfig, Network, NetworkParts};
use crate::error::{Error, Result};

pub use format::{Tile, TileHeader, TileParams};
pub use merge::merge_summaries;
pub use prepare::{Manifest, prepare};

/// The tile file `path` names: the file itself, or `DIR/ID` for `DIR/ID.tile`.
pub fn tile_path(path: &Path) -> PathBuf {
    if path.is_file() {
        return path.to_path_buf();
    }
    let with = path.with_extension("tile");
    if with.is_file() { with } else { path.to_path_buf() }
}

/// Refuses a configuration the tile cannot answer exactly (see the module
/// documentation), naming the tile file: the network's parameters, and with
/// `whole_run` the thresholds and stages asked for too.
pub fn check(config: &AnalyzeConfig, header: &TileHeader, path: &Path, whole_run: bool) -> Result<()> {
    let p = &header.params;
    let differs = |what: &str, want: String, got: String| {
        Err(Error::bad_input(
            path,
            "",
            format!("the tile was prepared for {what} {want}, not {got}: prepare tiles for these settings"),
        ))
    };
    if p.speed_kmh != config.speed_kmh {
        return differs("--speed-kmh", p.speed_kmh.to_string(), config.speed_kmh.to_string());
    }
    if p.profile != config.profile_name {
        return differs("--profile", p.profile.clone(), config.profile_name.clone());
    }
    if p.taxonomy != config.taxonomy_source {
        return differs("--taxonomy", p.taxonomy.clone(), config.taxonomy_source.clone());
    }
    if p.max_snap_m != config.max_snap_m {
        return differs("--max-snap-m", p.max_snap_m.to_string(), config.max_snap_m.to_string());
    }
    if p.min_component_nodes != config.min_component_nodes {
        return differs(
            "--min-component-nodes",
            p.min_component_nodes.to_string(),
            config.min_component_nodes.to_string(),
        );
    }
    if config.reach_minutes != Some(p.reach_minutes) {
        let got = config.reach_minutes.map_or("none".to_string(), |r| r.to_string());
        return differs("--reach-minutes", p.reach_minutes.to_string(), got);
    }
    if !whole_run {
        return Ok(());
    }
    let largest = (0..config.taxonomy.len())
        .filter_map(|c| config.thresholds(c).last().map(|t| t.1.minutes()))
        .fold(0.0, f64::max);
    if largest > p.reach_minutes {
        return Err(Error::bad_input(
            path,
            "",
            format!(
                "a threshold of {largest} minutes is beyond the tile's reach of {} minutes: prepare tiles with \
                 --reach-minutes {largest} or more",
                p.reach_minutes
            ),
        ));
    }
    if let Some(what) = crate::analysis::tile_refusal(config) {
        return Err(Error::bad_input(
            path,
            "",
            format!("{what} cannot be answered exactly from a tile; run on the whole extract"),
        ));
    }
    Ok(())
}

/// Reads the tile `config.tile` and the network it holds, with `config`'s
/// reach set to the prepared one when not given; refuses what the tile cannot
/// answer exactly ([`check`]).
pub fn open(config: &AnalyzeConfig) -> Result<(Network, AnalyzeConfig)> {
    open_with(config, true)
}

/// [`open`] checking only what the network depends on (speed, profile,
/// taxonomy, snapping, components, reach): for a network analysed later with
/// other thresholds (the Python package's `Network(tile=...)`), whose
/// analyses [`Network::check`] checks.
pub fn open_network(config: &AnalyzeConfig) -> Result<(Network, AnalyzeConfig)> {
    open_with(config, false)
}

fn open_with(config: &AnalyzeConfig, whole_run: bool) -> Result<(Network, AnalyzeConfig)> {
    let path = config.tile.as_deref().ok_or_else(|| Error::parameter("--tile", "no tile given"))?;
    let path = tile_path(path);
    let t = Instant::now();
    let bytes = crate::io::limits::read_bounded(&path, format::MAX_TILE_BYTES, "tile")?;
    let tile = format::decode(&bytes, &path)?;
    let mut config = config.clone();
    config.tile = Some(path.clone());
    if config.reach_minutes.is_none() {
        config.reach_minutes = Some(tile.header.params.reach_minutes);
    }
    check(&config, &tile.header, &path, whole_run)?;
    if whole_run {
        config.validate()?;
    }
    let ncat = config.taxonomy.len();
    let facts = &tile.header.facts;
    if facts.facilities.len() != ncat || facts.facilities_unreachable.len() != ncat {
        return Err(Error::bad_input(
            &path,
            "",
            format!("the tile was prepared for {} categories, the taxonomy has {ncat}", facts.facilities.len()),
        ));
    }
    if tile.content.facilities.iter().any(|f| f.category.idx() >= ncat) {
        return Err(Error::bad_input(&path, "", "a facility's category is not in the taxonomy"));
    }
    if tile.content.facilities.iter().any(|f| f.capacity.is_some()) {
        return Err(Error::bad_input(&path, "", "facilities with capacities (2SFCA) cannot be answered from a tile"));
    }
    let parts = NetworkParts {
        content: tile.content,
        feature_report: tile.header.features,
        graph_report: tile.header.graph,
        tile: tile.header.facts,
        bytes: bytes.len() as u64,
        parse_s: t.elapsed().as_secs_f64(),
    };
    let mut network = Network::from_parts(&config, parts)?;
    load_boundaries(&mut network, &config, &path, whole_run)?;
    Ok((network, config))
}

/// The whole extract's administrative boundaries `prepare` kept in the
/// tile's folder (`admin-<level>.geojson`): the levels `config` asks for
/// (each must be there), or for a network analysed later every level there.
fn load_boundaries(network: &mut Network, config: &AnalyzeConfig, tile: &Path, whole_run: bool) -> Result<()> {
    let folder = tile.parent().unwrap_or(Path::new("."));
    let levels: Vec<u8> = if whole_run {
        config.districts.as_ref().map(|d| d.admin_levels()).unwrap_or_default()
    } else {
        (0..=u8::MAX).filter(|l| folder.join(tables::boundaries_file(*l)).is_file()).collect()
    };
    for level in levels {
        let file = folder.join(tables::boundaries_file(level));
        if !file.is_file() {
            return Err(Error::bad_input(
                &file,
                "",
                format!(
                    "no boundaries at admin_level {level} in the tiles folder: prepare the tiles with --admin-level {level}"
                ),
            ));
        }
        network.admin_districts.insert(level, crate::district::sources::read_boundaries(&file)?);
        network.admin_levels.push(level);
    }
    Ok(())
}
