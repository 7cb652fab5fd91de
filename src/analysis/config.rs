//! What a run is asked to do, validated once: the extract, the taxonomy and
//! profile, thresholds, the user's inputs, the optional stages and their
//! parameters, and where and how the outputs go (read by [`crate::output`]).

use std::path::{Path, PathBuf};

use crate::district::UnitTier;
use crate::error::{Error, Result};
use crate::ids::TimeMs;
use crate::inputs::PointsInput;
use crate::io::manifest::Invocation;
use crate::isochrone::IsochroneParams;
use crate::osm::read_pbf;
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
    /// Homes from a population grid (`--population`): one per populated cell.
    pub population: Option<PopulationInput>,
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
    /// Search no farther than this many minutes: a facility beyond is "none
    /// reachable" (`None`: no bound). Tiles answer exactly within their reach
    /// (`lifecircle prepare`); a whole run with the same reach gives the same answer.
    pub reach_minutes: Option<f64>,
    /// Analyse one tile of `lifecircle prepare` instead of `pbf`: only the
    /// homes of its core are answered (see [`crate::tile`]).
    pub tile: Option<PathBuf>,
}

/// A population grid as homes (`--population FILE.tif`).
#[derive(Debug, Clone)]
pub struct PopulationInput {
    /// The GeoTIFF.
    pub path: PathBuf,
    /// Its coordinate system, when the file's GeoKeys should not decide (`--population-crs`).
    pub crs: Option<crate::io::raster::RasterCrs>,
    /// Replace OSM's homes (the default) or add to them.
    pub mode: crate::inputs::MergeMode,
}

/// Where districts come from and what to check in them.
#[derive(Debug, Clone)]
pub struct DistrictOptions {
    /// The districts (the finest level when there are several).
    pub source: DistrictSource,
    /// Coarser levels, coarse to fine (e.g. 区 and 街道 above 社区's `source`): each gets its own
    /// table and layer, and unit-share rules on a finer level are also read per unit of these.
    pub coarser: Vec<DistrictSource>,
    /// The tier of every level, coarse to fine (`coarser` then `source`); empty: counted from
    /// the finest ([`UnitTier::defaults`]: community, then subdistrict, then district).
    pub tiers: Vec<UnitTier>,
    /// Mean time to the `k` nearest facilities per category (1: the nearest).
    pub k_nearest: usize,
    /// Policy targets to check per district.
    pub targets: Option<crate::district::targets::Targets>,
    /// The targets' file, when not the built-in table (for the run's manifest).
    pub targets_path: Option<PathBuf>,
}

impl DistrictOptions {
    /// Options for one level of districts, the default `k` (1) and no targets.
    pub fn new(source: DistrictSource) -> DistrictOptions {
        DistrictOptions {
            source,
            coarser: Vec::new(),
            tiers: Vec::new(),
            k_nearest: 1,
            targets: None,
            targets_path: None,
        }
    }

    /// Sets the policy targets: read from `path` against `taxonomy`, or the
    /// built-in Tianjin table when there is no file.
    pub fn set_targets(&mut self, path: Option<&Path>, taxonomy: &Taxonomy) -> Result<()> {
        self.targets = Some(match path {
            Some(path) => crate::district::targets::Targets::from_file(path, taxonomy)?,
            None => crate::district::targets::Targets::builtin(),
        });
        self.targets_path = path.map(Path::to_path_buf);
        Ok(())
    }

    /// Every level's source, coarse to fine.
    pub fn sources(&self) -> Vec<&DistrictSource> {
        self.coarser.iter().chain(std::iter::once(&self.source)).collect()
    }

    /// The `admin_level`s of the levels that are the extract's boundaries, coarse to fine.
    pub fn admin_levels(&self) -> Vec<u8> {
        self.sources()
            .into_iter()
            .filter_map(|s| match s {
                DistrictSource::AdminLevel(level) => Some(*level),
                _ => None,
            })
            .collect()
    }

    /// Every level's tier, coarse to fine: the given ones, or the defaults.
    pub fn level_tiers(&self) -> Vec<UnitTier> {
        let n = self.coarser.len() + 1;
        if self.tiers.len() == n { self.tiers.clone() } else { UnitTier::defaults(n).unwrap_or_default() }
    }
}

/// Most district levels a run takes at once (区, 街道, 社区).
pub const MAX_DISTRICT_LEVELS: usize = 3;

/// Where districts come from.
#[derive(Debug, Clone, PartialEq)]
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
    /// A GeoJSON FeatureCollection held in memory (the Python package's
    /// GeoDataFrames), read as a file's.
    GeoJsonBytes {
        /// The name it goes by in messages and the run's manifest.
        name: PathBuf,
        /// The GeoJSON text.
        bytes: std::sync::Arc<[u8]>,
        /// The property that names a district.
        key: String,
    },
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
    /// Takes `chosen` as the run's taxonomy, with where it came from.
    pub fn set_taxonomy(&mut self, chosen: crate::taxonomy::ChosenTaxonomy) {
        self.taxonomy = chosen.taxonomy;
        self.taxonomy_source = chosen.source;
        self.taxonomy_path = chosen.path;
    }

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
            population: None,
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
            reach_minutes: None,
            tile: None,
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
        if let Some(d) = &self.districts {
            let n = d.coarser.len() + 1;
            if n > MAX_DISTRICT_LEVELS {
                return Err(Error::parameter(
                    "--admin-level",
                    format!("{n} district levels given; at most {MAX_DISTRICT_LEVELS} (区, 街道, 社区)"),
                ));
            }
            if !d.tiers.is_empty() {
                if d.tiers.len() != n {
                    return Err(Error::parameter(
                        "--unit-tiers",
                        format!("{} tiers for {n} district levels; give one per level, coarse to fine", d.tiers.len()),
                    ));
                }
                if !d.tiers.windows(2).all(|w| w[0] < w[1]) {
                    return Err(Error::parameter(
                        "--unit-tiers",
                        "tiers go coarse to fine without repeats (district, subdistrict, community)",
                    ));
                }
            }
            let sources = d.sources();
            if let Some(s) = sources.iter().enumerate().find_map(|(i, s)| sources[..i].contains(s).then_some(s)) {
                let what = match s {
                    DistrictSource::AdminLevel(l) => format!("admin_level {l}"),
                    DistrictSource::GeoJson { path, .. } => path.display().to_string(),
                    DistrictSource::GeoJsonBytes { name, .. } => name.display().to_string(),
                };
                return Err(Error::parameter("--admin-level", format!("{what} is given twice as a district level")));
            }
        }
        if self.population.is_some() && self.homes_input.is_some() {
            return Err(Error::parameter(
                "--population",
                "homes come from --homes or from --population, not both; give one",
            ));
        }
        if let Some(r) = self.reach_minutes {
            let largest = (0..self.taxonomy.len())
                .filter_map(|c| self.thresholds(c).last().map(|t| t.1.minutes()))
                .fold(0.0, f64::max);
            if !(r.is_finite() && r >= largest && r <= MAX_REACH_MINUTES) {
                return Err(Error::parameter(
                    "--reach-minutes",
                    format!("{r} is not in [{largest}, {MAX_REACH_MINUTES}] (at least the largest threshold)"),
                ));
            }
        }
        if let Some(r) = self.h3.filter(|r| *r > 15) {
            return Err(Error::parameter("--h3", format!("{r} is not an H3 resolution (0 to 15)")));
        }
        if let Some(n) = self.threads.filter(|n| !(1..=MAX_THREADS).contains(n)) {
            return Err(Error::parameter("--threads", format!("{n} is not in 1..={MAX_THREADS}")));
        }
        Ok(())
    }

    /// The search bound of [`AnalyzeConfig::reach_minutes`] as a time ([`TimeMs::INF`] when unbounded).
    pub fn reach(&self) -> TimeMs {
        self.reach_minutes.map_or(TimeMs::INF, |m| TimeMs::from_secs_f64(m * 60.0))
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

/// Largest search bound `--reach-minutes` accepts (10 hours).
pub const MAX_REACH_MINUTES: f64 = 600.0;

/// Most worker threads `--threads` accepts.
pub const MAX_THREADS: usize = 1024;

/// Fewest threads [`super::with_threads`] will start when asked for more than the cores.
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

/// The default extract in the source checkout (`data/liechtenstein-2024-03.osm.pbf`), for tests
/// and benchmarks; an installed binary uses the copy compiled into it ([`PbfSource::BuiltIn`]).
pub fn default_pbf() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(BUILTIN_PBF_NAME)
}

/// The file name of the built-in extract.
pub const BUILTIN_PBF_NAME: &str = "liechtenstein-2024-03.osm.pbf";

/// The built-in extract's bytes: Liechtenstein, Geofabrik 2024-03-04 (© OpenStreetMap
/// contributors, ODbL; see data/README.md), compiled in so the binary runs anywhere.
pub static BUILTIN_PBF: &[u8] = include_bytes!("../../data/liechtenstein-2024-03.osm.pbf");

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
