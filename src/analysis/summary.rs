//! The run summary: written as `summary.json` and printed as a table.

use serde::Serialize;

use crate::graph::GraphReport;
use crate::osm::{FeatureReport, HomeRule};

/// Inputs used.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Inputs {
    /// The PBF file.
    pub pbf: String,
    /// Its size in bytes.
    pub pbf_bytes: u64,
    /// The taxonomy (`built-in` or a path).
    pub taxonomy: String,
    /// The walking profile's name.
    pub profile: String,
    /// The user's facilities file, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facilities: Option<crate::inputs::InputReport>,
    /// The user's homes file, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub homes: Option<crate::inputs::InputReport>,
    /// The population grid whose cells are homes (`--population`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub population: Option<crate::io::raster::RasterReport>,
}

/// Parameters used.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Parameters {
    /// The main threshold in minutes (the largest of `thresholds_minutes`; null with tiers).
    pub minutes: Option<f64>,
    /// Every threshold in minutes, ascending (empty with tiers).
    pub thresholds_minutes: Vec<f64>,
    /// The tier table used instead of minutes, if any (`gb50180`).
    pub tiers: Option<String>,
    /// Walking speed in km/h.
    pub speed_kmh: f64,
    /// The main threshold as a walking distance, metres (null with tiers).
    pub threshold_m: Option<f64>,
    /// Points farther than this from the network are unreachable.
    pub max_snap_m: f64,
    /// Components of at least this many nodes are kept besides the largest (0: the largest only).
    pub min_component_nodes: usize,
    /// How points join the network.
    pub snap_mode: super::config::SnapMode,
    /// The search bound in minutes (`--reach-minutes`), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reach_minutes: Option<f64>,
    /// Worker threads.
    pub threads: usize,
}

/// Seconds spent in each stage.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    /// Reading and decoding the PBF, extracting features.
    pub parse_s: f64,
    /// Building and freezing the graph.
    pub build_s: f64,
    /// Snapping homes and facilities.
    pub snap_s: f64,
    /// Searches and metrics.
    pub compute_s: f64,
    /// Service areas (with `--isochrones`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub isochrones_s: Option<f64>,
    /// District statistics (with `--districts` / `--admin-level`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub districts_s: Option<f64>,
    /// Writing the outputs.
    pub write_s: f64,
    /// The whole run.
    pub total_s: f64,
}

/// Homes found and how they joined the network.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HomesSummary {
    /// Homes.
    pub total: usize,
    /// People living in them (1 per home unless the user's homes carry `population`).
    pub population: f64,
    /// Homes farther than `max_snap_m` from the network (no access; reported, not dropped).
    pub unreachable: usize,
    /// Homes whose nearest way lies on a dropped island (they were joined to the kept network instead).
    pub nearest_way_on_dropped_island: usize,
    /// Median distance from a home to the network, metres.
    pub median_snap_m: Option<f64>,
    /// How the homes were found.
    #[serde(flatten)]
    pub features: FeatureReport,
}

/// One category's results.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CategorySummary {
    /// Category key.
    pub key: String,
    /// English label.
    pub label_en: String,
    /// Chinese label.
    pub label_zh: String,
    /// Facilities found.
    pub facilities: usize,
    /// Facilities farther than `max_snap_m` from the network.
    pub facilities_unreachable: usize,
    /// The category's tier (distance threshold) when `--tiers` is used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<crate::taxonomy::Tier>,
    /// Homes with a facility within the main threshold.
    pub homes_covered: usize,
    /// Share of homes covered.
    pub share_covered: f64,
    /// People in the covered homes.
    pub population_covered: f64,
    /// Share of the population covered.
    pub share_covered_population: f64,
    /// Median minutes to the nearest facility over all homes (null when more than half reach none).
    pub median_min: Option<f64>,
    /// Coverage at each threshold, ascending.
    pub thresholds: Vec<ThresholdSummary>,
    /// Capacity-aware access (2SFCA) when facilities carry a capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<CapacitySummary>,
    /// `no facilities found` when the category is empty.
    pub note: Option<String>,
}

/// Coverage of a category at one threshold.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ThresholdSummary {
    /// The threshold's label in output names (`15` minutes, or `300m` for a tier).
    pub label: String,
    /// The threshold as minutes.
    pub minutes: f64,
    /// Homes covered.
    pub homes: usize,
    /// Their share.
    pub share: f64,
    /// People covered.
    pub population: f64,
    /// Their share.
    pub share_population: f64,
}

/// The service-population side of a category (2SFCA).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CapacitySummary {
    /// Facilities with a capacity.
    pub facilities_with_capacity: usize,
    /// Facilities whose population within the threshold exceeds their capacity.
    pub over_capacity: Vec<OverCapacity>,
}

/// A facility serving more people than its capacity.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OverCapacity {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// Its capacity.
    pub capacity: f64,
    /// People living within the threshold of it.
    pub population_within: f64,
}

/// Homes reaching every category.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CompleteSummary {
    /// Homes reaching all categories within the threshold.
    pub homes: usize,
    /// Their share.
    pub share: f64,
    /// People in them.
    pub population: f64,
    /// Their share of the population.
    pub share_population: f64,
}

/// The run summary.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Version of lifecircle that made it.
    pub lifecircle_version: String,
    /// Inputs.
    pub inputs: Inputs,
    /// Parameters.
    pub parameters: Parameters,
    /// Stage timings.
    pub timings: Timings,
    /// The walking graph.
    pub graph: GraphReport,
    /// Homes.
    pub homes: HomesSummary,
    /// Facilities per category key.
    pub facilities: std::collections::BTreeMap<String, usize>,
    /// Per-category results, in taxonomy order.
    pub categories: Vec<CategorySummary>,
    /// Homes reaching all categories.
    pub complete: CompleteSummary,
    /// Districts, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub districts: Option<DistrictsSummary>,
    /// Things worth knowing about this run.
    pub notes: Vec<String>,
    /// A tile's run (`analyze --tile`): what merging tile summaries needs (see [`crate::tile`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tile: Option<TileSummary>,
}

/// What a tile's summary carries so that summaries of all tiles merge into the
/// whole run's: counts, exact population sums (Shewchuk partials as f64 bit
/// patterns: the merged sum is the whole run's bit for bit, whatever the
/// order) and exact histograms (a median of the merged histogram is the
/// whole run's median).
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct TileSummary {
    /// The tile and the whole run's figures.
    pub facts: Option<crate::analysis::TileFacts>,
    /// Homes answered (the tile's core).
    pub homes: usize,
    /// Their population: an exact sum ([`crate::coverage::stats::ExactSum::to_bits`]).
    pub population: Vec<u64>,
    /// Homes farther than the snapping limit from the network.
    pub unreachable: usize,
    /// Homes nearer to a dropped island than to the network.
    pub nearest_island: usize,
    /// Histogram of the homes' snapping distances in tenths of a metre (rounded):
    /// `[tenths, homes]`, ascending.
    pub snap_dm: Vec<[u64; 2]>,
    /// Per category, in taxonomy order.
    pub categories: Vec<TileCategory>,
    /// Homes within the main threshold of every category.
    pub complete_homes: usize,
    /// Their population (exact sum, as `population`).
    pub complete_population: Vec<u64>,
    /// The district and H3 tables of the tile's homes as sums, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tables: Option<TileTables>,
    /// The tiles a partial merge (`lifecircle merge --partial`) holds, by id
    /// (empty for one tile's run: the tile of `facts.id`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiles: Vec<String>,
}

impl TileSummary {
    /// The ids of the tiles whose homes this summary holds.
    pub fn tile_ids(&self) -> Vec<String> {
        match (&self.tiles[..], &self.facts) {
            ([], Some(f)) => vec![f.id.clone()],
            (ids, _) => ids.to_vec(),
        }
    }
}

/// A tile run's district and H3 tables as mergeable sums
/// ([`crate::district::sums`]), with what merging them needs besides: the
/// districts' files (checked by SHA-256), the whole run's facilities
/// (`facilities.csv` of the tiles folder), the levels' tiers and the targets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct TileTables {
    /// The tiles folder (absolute), holding the whole run's `facilities.csv`.
    pub folder: String,
    /// Category keys, in taxonomy order.
    pub keys: Vec<String>,
    /// Per category, its thresholds ascending: label and milliseconds.
    pub thresholds: Vec<Vec<(String, u32)>>,
    /// The main threshold, minutes (F15's bound).
    pub main_minutes: f64,
    /// The district levels, coarse to fine.
    pub levels: Vec<TileLevel>,
    /// Their tiers, coarse to fine.
    pub tiers: Vec<crate::district::UnitTier>,
    /// The policy targets checked per district, when asked for.
    pub targets: Option<crate::district::targets::Targets>,
    /// The notes on target rules the taxonomy cannot check.
    pub unchecked: Vec<String>,
    /// The H3 hexagons' sums (keyed by cell index), with `--h3`.
    pub hexagons: Option<TileHexagons>,
}

/// One district level of a [`TileTables`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct TileLevel {
    /// The districts' GeoJSON file (absolute).
    pub path: String,
    /// The property naming a district.
    pub key: String,
    /// The file's SHA-256, lower-case hex.
    pub sha256: String,
    /// The `admin_level` when the districts are the extract's boundaries (the
    /// file is then the tiles folder's `admin-<level>.geojson`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_level: Option<u8>,
    /// The sums of the tile's homes per district (key: the district's index).
    pub sums: crate::district::sums::LevelSums,
}

/// The H3 hexagons of a [`TileTables`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct TileHexagons {
    /// The H3 resolution.
    pub resolution: u8,
    /// The sums of the tile's homes per cell (key: the H3 cell index).
    pub sums: crate::district::sums::LevelSums,
}

/// One category of a [`TileSummary`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct TileCategory {
    /// The category's key.
    pub key: String,
    /// Homes within the main threshold.
    pub covered_homes: usize,
    /// Their population (exact sum, as [`TileSummary::population`]).
    pub covered_population: Vec<u64>,
    /// Per threshold (as the category's `thresholds`): homes and their population (exact sum).
    pub thresholds: Vec<(usize, Vec<u64>)>,
    /// Histogram of the nearest times in hundredths of a minute rounded up
    /// (the summary's median unit): `[hundredths, homes]`, ascending.
    pub nearest_hundredths: Vec<[u64; 2]>,
    /// Homes with no facility of the category within reach.
    pub unreached: usize,
}

/// What the district step saw.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DistrictsSummary {
    /// Districts read.
    pub districts: usize,
    /// Homes in no district (the `(outside)` row).
    pub homes_outside: usize,
    /// Districts holding no home.
    pub districts_without_homes: Vec<String>,
    /// Invalid polygons, boundaries with missing members, repeated names.
    pub problems: Vec<String>,
    /// Per target rule, the districts that miss it.
    pub targets_missed: Vec<TargetMisses>,
    /// The level's tier (`district`, `subdistrict`, `community`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<crate::district::UnitTier>,
    /// Per category and `complete`, the share of the level's units with a facility inside and
    /// with their homes' median walk within the threshold, next to the homes' share.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<crate::district::units::UnitShares>,
    /// The coarser levels, coarse to fine, when several were asked for (each as this one, without
    /// `levels`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub levels: Vec<DistrictsSummary>,
}

/// The districts that miss one target.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TargetMisses {
    /// The rule's id.
    pub rule: String,
    /// The districts and their shortfall.
    pub districts: Vec<TargetMiss>,
}

/// One district's shortfall on a target.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TargetMiss {
    /// The district.
    pub district: String,
    /// Homes that would need to be covered to pass (share rules).
    pub homes_short: usize,
    /// People who would need to be covered to pass (population rules).
    pub people_short: f64,
    /// Units that would need to be served to pass (unit-share rules).
    #[serde(skip_serializing_if = "is_zero")]
    pub units_short: usize,
    /// Facilities that would need to be added to pass (`facilities` rules).
    #[serde(skip_serializing_if = "is_zero")]
    pub facilities_short: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Summary {
    /// A plain-text table for the terminal (the notes are not in it: the CLI
    /// prints them on stderr as warnings).
    pub fn to_table(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let p = &self.parameters;
        let _ = writeln!(s, "lifecircle {}: {}", self.lifecircle_version, self.inputs.pbf);
        let limits = match (&p.tiers, p.minutes, p.threshold_m) {
            (Some(t), _, _) => format!("thresholds: {t} tiers, per category"),
            (None, Some(m), Some(d)) => format!("threshold {m} min ({d:.0} m)"),
            _ => String::new(),
        };
        let _ = writeln!(s, "{limits} at {} km/h, profile {}, {} threads", p.speed_kmh, self.inputs.profile, p.threads);
        let g = &self.graph;
        let _ = writeln!(
            s,
            "graph: {} nodes, {} edges, {:.1} km; {} of {} components kept, {} island nodes dropped; {} segments skipped for missing nodes",
            g.nodes,
            g.edges,
            g.length_km,
            g.components_kept,
            g.components,
            g.island_nodes_dropped,
            g.segments_missing_nodes
        );
        let h = &self.homes;
        let f = &h.features;
        let origin = match f.home_rule {
            HomeRule::Buildings => "residential buildings".to_string(),
            HomeRule::ResidentialLanduse => "residential areas: the extract has no residential buildings".to_string(),
            HomeRule::BuildingsAndEmptyResidentialAreas => format!(
                "{} residential buildings + {} residential areas without mapped homes",
                f.homes_from_buildings, f.homes_from_residential_areas
            ),
            HomeRule::UserFile if self.inputs.population.is_some() => "populated cells of --population".to_string(),
            HomeRule::UserFile => "from --homes".to_string(),
        };
        let from = if self.inputs.population.is_some() { "--population" } else { "--homes" };
        let origin = if f.homes_from_file > 0 && f.home_rule != HomeRule::UserFile {
            format!("{origin} + {} from {from}", f.homes_from_file)
        } else {
            origin
        };
        let _ = writeln!(
            s,
            "homes: {} ({origin}); {} unreachable (> {} m from a way), {} nearest to a dropped island",
            h.total, h.unreachable, p.max_snap_m, h.nearest_way_on_dropped_island
        );
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "{:<14} {:>10} {:>10} {:>9} {:>9} {:>10} {:>11}  note",
            "category", "facilities", "threshold", "covered", "share", "pop share", "median min"
        );
        for c in &self.categories {
            let med = c.median_min.map_or("-".to_string(), |m| format!("{m:.2}"));
            let n = c.thresholds.len();
            for (k, t) in c.thresholds.iter().enumerate() {
                let limit = match &c.tier {
                    Some(tier) => format!("{} m", tier.distance_m),
                    None => format!("{} min", t.label),
                };
                let (key, fac) = if k == 0 { (c.key.as_str(), c.facilities.to_string()) } else { ("", String::new()) };
                let last = k + 1 == n;
                let _ = writeln!(
                    s,
                    "{:<14} {:>10} {:>10} {:>9} {:>8.1}% {:>9.1}% {:>11}  {}",
                    key,
                    fac,
                    limit,
                    t.homes,
                    t.share * 100.0,
                    t.share_population * 100.0,
                    if last { med.as_str() } else { "" },
                    if last { c.note.as_deref().unwrap_or("") } else { "" }
                );
            }
        }
        let _ = writeln!(
            s,
            "{:<14} {:>10} {:>10} {:>9} {:>8.1}% {:>9.1}%",
            "complete",
            "",
            "",
            self.complete.homes,
            self.complete.share * 100.0,
            self.complete.share_population * 100.0
        );
        let t = &self.timings;
        let _ = writeln!(
            s,
            "\ntimings: parse {:.3} s, build {:.3} s, snap {:.3} s, compute {:.3} s, write {:.3} s, total {:.3} s",
            t.parse_s, t.build_s, t.snap_s, t.compute_s, t.write_s, t.total_s
        );
        s
    }
}
