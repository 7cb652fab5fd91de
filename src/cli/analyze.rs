//! `lifecircle analyze`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use lifecircle::analysis::{DEFAULT_MIN_COMPONENT_NODES, PbfSource, SnapMode};
use lifecircle::analysis::{DistrictOptions, DistrictSource, IsochroneOptions, PopulationInput};
use lifecircle::inputs::{MergeMode, PointsInput};
use lifecircle::io::crs::Crs;
use lifecircle::isochrone::IsochroneParams;
use lifecircle::taxonomy::Tiers;
use lifecircle::whatif::Plan;
use lifecircle::whatif::{LABELS, what_if};
use lifecircle::{AnalyzeConfig, Profiles, Taxonomy};

/// `--facilities-mode` / `--homes-mode` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ModeArg {
    Add,
    Replace,
}

impl From<ModeArg> for MergeMode {
    fn from(m: ModeArg) -> MergeMode {
        match m {
            ModeArg::Add => MergeMode::Add,
            ModeArg::Replace => MergeMode::Replace,
        }
    }
}

fn parse_crs(flag: &str, value: &str) -> Result<Crs> {
    value.parse::<Crs>().map_err(|e| anyhow::anyhow!("{flag}: {e}"))
}

/// `--simplify-m` when not given (capped at a quarter of `--buffer-m`).
const DEFAULT_SIMPLIFY_M: f64 = 2.0;

/// `--snap` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SnapArg {
    Edge,
    Vertex,
}

/// Arguments of `analyze` (and `isochrones`).
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// OpenStreetMap PBF extract [default: the Liechtenstein extract built into the binary]
    #[arg(long, value_name = "FILE")]
    pbf: Option<PathBuf>,
    /// Analyse one tile of `lifecircle prepare` (TILES/ID or TILES/ID.tile) instead of an extract:
    /// the homes of its core only, exactly as the whole run with the prepared --reach-minutes
    #[arg(long, value_name = "TILE", conflicts_with = "pbf")]
    tile: Option<PathBuf>,
    /// Formats of the layers written (coverage, facilities, isochrones, districts, sites, hexagons):
    /// any of geojson, parquet (GeoParquet 1.1), fgb (FlatGeobuf), comma-separated
    #[arg(long, value_name = "LIST", default_value = "geojson")]
    format: String,
    /// Also aggregate homes to H3 hexagons of this resolution (0-15; 9 is about 0.1 km²): hexagons.* with
    /// per cell homes, population and every district statistic
    #[arg(long, value_name = "RES")]
    h3: Option<u8>,
    /// Search no farther than this many minutes (at least the largest threshold): facilities beyond
    /// count as none reachable; what tiles answer exactly (`lifecircle prepare`)
    #[arg(long, value_name = "MIN", allow_negative_numbers = true)]
    reach_minutes: Option<f64>,
    /// Output folder [default: out]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Walking-time thresholds in minutes, comma-separated (`5,10,15`); the largest is the main one
    #[arg(long, allow_negative_numbers = true, value_delimiter = ',', default_value = "15")]
    minutes: Vec<f64>,
    /// Per-category walking distances from data/tiers.toml instead of --minutes (`gb50180`: 300/500/1000 m)
    #[arg(long, value_name = "NAME", conflicts_with = "minutes")]
    tiers: Option<String>,
    /// Walking speed in km/h [default: the profile's, 4.5 for adult]
    #[arg(long, allow_negative_numbers = true)]
    speed_kmh: Option<f64>,
    /// Walking profile from data/profiles.toml: adult, elderly, wheelchair (or peers)
    #[arg(long, default_value = "adult")]
    profile: String,
    /// Your own facilities (CSV or GeoJSON; columns lon/lat, category, optional name, id, capacity)
    #[arg(long, value_name = "FILE")]
    facilities: Option<PathBuf>,
    /// Coordinate system of --facilities: wgs84, gcj02 (AutoNavi/Gaode, Tencent) or bd09 (Baidu)
    #[arg(long, value_name = "CRS", default_value = "wgs84")]
    facilities_crs: String,
    /// add: OSM facilities and yours; replace: yours replace OSM's in each category your file has
    #[arg(long, value_enum, default_value_t = ModeArg::Add)]
    facilities_mode: ModeArg,
    /// Your own homes (CSV or GeoJSON; lon/lat, optional population and id; polygons at their centroid)
    #[arg(long, value_name = "FILE")]
    homes: Option<PathBuf>,
    /// Coordinate system of --homes: wgs84, gcj02 or bd09
    #[arg(long, value_name = "CRS", default_value = "wgs84")]
    homes_crs: String,
    /// replace: your homes replace OSM's; add: both
    #[arg(long, value_enum, default_value_t = ModeArg::Replace)]
    homes_mode: ModeArg,
    /// Homes from a population grid (GeoTIFF: WorldPop in EPSG:4326, GHSL in ESRI:54009 Mollweide):
    /// one home per populated cell at its centre, weighted by its people, clipped to the extract
    #[arg(long, value_name = "FILE.tif", conflicts_with = "homes")]
    population: Option<PathBuf>,
    /// Coordinate system of --population when its GeoTIFF keys do not say: epsg:4326 or esri:54009
    #[arg(long, value_name = "CRS", requires = "population")]
    population_crs: Option<String>,
    /// replace: the grid's homes replace OSM's; add: both
    #[arg(long, value_enum, default_value_t = ModeArg::Replace, requires = "population")]
    population_mode: ModeArg,
    /// Skip bad rows of --facilities / --homes (counted in the summary) instead of failing
    #[arg(long)]
    skip_bad_rows: bool,
    /// Also draw every facility's service area per threshold and each category's coverage area (isochrones.geojson)
    #[arg(long)]
    pub isochrones: bool,
    /// Also write report.html: one self-contained page (map, legend, summary, policy checks) that opens offline
    #[arg(long)]
    pub report: bool,
    /// Report and map: above this many homes, draw homes as H3 hexagons (keeps big cities' pages small)
    #[arg(long, value_name = "N", default_value_t = lifecircle::report::MapOptions::default().hex_above)]
    report_hexagons_above: usize,
    /// Report and map: H3 resolution of the hexagons (7-12; 9 is about 0.1 km² per hexagon)
    #[arg(long, value_name = "RES", default_value_t = lifecircle::report::MapOptions::default().hex_resolution,
          value_parser = clap::value_parser!(u8).range(7..=12))]
    report_hexagon_resolution: u8,
    /// Set by `lifecircle districts` (districts are then required).
    #[arg(skip)]
    pub district_command: bool,
    /// Set by `lifecircle site` (`--category` then names the site category).
    #[arg(skip)]
    pub site_command: bool,
    /// Service areas: the ground within this many metres of the reached network
    #[arg(long, default_value_t = 50.0, allow_negative_numbers = true)]
    buffer_m: f64,
    /// Service areas: simplification tolerance in metres (validity is kept; 0 for none)
    /// [default: 2, or a quarter of --buffer-m when that is smaller]
    #[arg(long, allow_negative_numbers = true)]
    simplify_m: Option<f64>,
    /// Service areas: only this category's facilities (for `site`: the category to add)
    #[arg(long, value_name = "KEY")]
    category: Option<String>,
    /// District statistics over the polygons of this GeoJSON file (districts.csv/.geojson/.md);
    /// repeat for several levels, coarse to fine (区, 街道, 社区): a table and layer per level
    #[arg(long, value_name = "FILE", conflicts_with = "admin_level", action = clap::ArgAction::Append)]
    districts: Vec<PathBuf>,
    /// The property that names a district in --districts (one for all files, or one per file)
    #[arg(long, value_name = "PROPERTY", action = clap::ArgAction::Append)]
    district_key: Vec<String>,
    /// District statistics over the extract's administrative boundaries at this admin_level (e.g. 8);
    /// several, comma-separated, for several levels at once (`6,8,10`: 区, 街道, 社区)
    #[arg(long, visible_alias = "levels", value_name = "N,...", value_delimiter = ',')]
    admin_level: Vec<u8>,
    /// Districts: the tier of each level, coarse to fine (district, subdistrict, community or 区,
    /// 街道, 社区) [default: counted from the finest: community, then subdistrict, then district]
    #[arg(long, value_name = "TIER,...", value_delimiter = ',')]
    unit_tiers: Vec<String>,
    /// Districts: mean time to the k nearest facilities of each category (1: the nearest)
    #[arg(long, value_name = "K", default_value_t = 1)]
    k_nearest: usize,
    /// Districts: policy targets TOML [default: data/targets/tianjin-2025.toml, built in]
    #[arg(long, value_name = "FILE")]
    targets: Option<PathBuf>,
    /// Service categories: a bundled list by name (default, mofcom-2021, mohurd-2020,
    /// elderly-three-tier, peers) or a taxonomy TOML file
    #[arg(long, value_name = "NAME|FILE")]
    taxonomy: Option<String>,
    /// What-if: a plan's new facilities (read as --facilities); coverage is computed with and without
    /// them and the difference written to whatif.md / whatif.csv and shown
    #[arg(long, value_name = "FILE")]
    add_facilities: Option<PathBuf>,
    /// Coordinate system of --add-facilities: wgs84, gcj02 or bd09 [default: wgs84]
    #[arg(long, value_name = "CRS", requires = "add_facilities")]
    add_facilities_crs: Option<String>,
    /// What-if: remove these facilities (ids as in facilities.geojson: node/123, way/45, or your file's id)
    /// and show the difference against the run with them
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    remove_facilities: Vec<String>,
    /// Homes and facilities farther than this from any walkable way are unreachable
    #[arg(long, allow_negative_numbers = true, default_value_t = 500.0)]
    max_snap_m: f64,
    /// Keep, besides the largest, every connected component with at least this many junctions (0: largest only)
    #[arg(long, default_value_t = DEFAULT_MIN_COMPONENT_NODES)]
    min_component_nodes: usize,
    /// How homes and facilities join the network: `edge` (nearest point of the nearest way, the
    /// straight line to it walked) or `vertex` (nearest way vertex, not walked: as node-based tools do)
    #[arg(long, value_enum, default_value_t = SnapArg::Edge)]
    snap: SnapArg,
    /// Worker threads [default: one per core]
    #[arg(long)]
    threads: Option<usize>,
    /// No progress bars on stderr and no summary table on stdout (warnings still go to stderr)
    #[arg(long, short)]
    quiet: bool,
}

impl AnalyzeArgs {
    /// `--quiet` was given.
    pub(crate) fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// `--out` was given.
    pub(crate) fn has_out(&self) -> bool {
        self.out.is_some()
    }

    /// `--category` (the site category for `lifecircle site`).
    pub(crate) fn category(&self) -> Option<&str> {
        self.category.as_deref()
    }

    /// How maps gather the run (`--report-hexagons-above`, `--report-hexagon-resolution`).
    pub(crate) fn map_options(&self) -> lifecircle::report::MapOptions {
        lifecircle::report::MapOptions {
            hex_above: self.report_hexagons_above,
            hex_resolution: self.report_hexagon_resolution,
            ..Default::default()
        }
    }

    pub(crate) fn into_config(self) -> Result<AnalyzeConfig> {
        let report = self.report.then(|| self.map_options());
        let pbf = self.pbf.map_or(PbfSource::BuiltIn, PbfSource::File);
        let taxonomy = Taxonomy::chosen(self.taxonomy.as_deref())?;
        let profile = Profiles::builtin().get(&self.profile)?.clone();
        let mut config = AnalyzeConfig::new(pbf, self.out.unwrap_or_else(|| PathBuf::from("out")));
        config.speed_kmh = self.speed_kmh.unwrap_or(profile.speed_kmh);
        config.set_taxonomy(taxonomy);
        config.invocation = super::invocation();
        config.formats = lifecircle::output::Format::parse_list(&self.format)?;
        config.h3 = self.h3;
        config.reach_minutes = self.reach_minutes;
        config.tile = self.tile;
        config.profile = profile;
        config.profile_name = self.profile;
        let mut minutes = self.minutes;
        minutes.sort_by(f64::total_cmp);
        minutes.dedup();
        config.minutes = minutes;
        if let Some(name) = &self.tiers {
            config.tiers = Some(Tiers::builtin(name, &config.taxonomy)?);
        }
        let facilities_crs = parse_crs("--facilities-crs", &self.facilities_crs)?;
        let homes_crs = parse_crs("--homes-crs", &self.homes_crs)?;
        config.facilities_input = self.facilities.map(|path| PointsInput {
            path,
            crs: facilities_crs,
            mode: self.facilities_mode.into(),
            table: None,
        });
        config.homes_input =
            self.homes.map(|path| PointsInput { path, crs: homes_crs, mode: self.homes_mode.into(), table: None });
        config.skip_bad_rows = self.skip_bad_rows;
        if let Some(path) = self.population {
            let crs = match &self.population_crs {
                Some(c) => Some(c.parse().map_err(|e| anyhow::anyhow!("--population-crs: {e}"))?),
                None => None,
            };
            config.population = Some(PopulationInput { path, crs, mode: self.population_mode.into() });
        }
        if self.add_facilities.is_some() || !self.remove_facilities.is_empty() {
            let crs = parse_crs("--add-facilities-crs", self.add_facilities_crs.as_deref().unwrap_or("wgs84"))?;
            let mut remove: Vec<String> = Vec::with_capacity(self.remove_facilities.len());
            for id in self.remove_facilities {
                if !remove.contains(&id) {
                    remove.push(id);
                }
            }
            let add = self.add_facilities.map(|path| PointsInput { path, crs, mode: MergeMode::Add, table: None });
            config.plan = Some(Plan { add, remove });
        }
        if self.isochrones {
            let mut params = IsochroneParams::with_buffer(self.buffer_m);
            params.simplify_m = self.simplify_m.unwrap_or_else(|| DEFAULT_SIMPLIFY_M.min(self.buffer_m / 4.0));
            config.isochrones = Some(IsochroneOptions { params, category: self.category });
        } else if self.category.is_some() && !self.site_command {
            anyhow::bail!("--category: applies to service areas; give --isochrones or use `lifecircle isochrones`");
        }
        let mut sources: Vec<DistrictSource> = if !self.districts.is_empty() {
            let keys = match self.district_key.len() {
                0 => vec!["name".to_string(); self.districts.len()],
                1 => vec![self.district_key[0].clone(); self.districts.len()],
                n if n == self.districts.len() => self.district_key.clone(),
                n => anyhow::bail!(
                    "--district-key: {n} keys for {} --districts files; give one for all or one per file",
                    self.districts.len()
                ),
            };
            self.districts.into_iter().zip(keys).map(|(path, key)| DistrictSource::GeoJson { path, key }).collect()
        } else {
            if !self.district_key.is_empty() && !self.admin_level.is_empty() {
                anyhow::bail!("--district-key: names districts of --districts files, not of --admin-level boundaries");
            }
            let mut levels = self.admin_level.clone();
            // Lower admin_level numbers are coarser.
            levels.sort_unstable();
            levels.into_iter().map(DistrictSource::AdminLevel).collect()
        };
        let tiers = self
            .unit_tiers
            .iter()
            .map(|t| {
                lifecircle::district::UnitTier::parse(t).ok_or_else(|| {
                    anyhow::anyhow!(
                        "--unit-tiers: {t:?} is not a tier (district, subdistrict, community; 区, 街道, 社区)"
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if !tiers.is_empty() && sources.is_empty() {
            anyhow::bail!("--unit-tiers: applies to districts; give --districts FILE or --admin-level N");
        }
        match sources.pop() {
            Some(source) => {
                let mut opts = DistrictOptions::new(source);
                opts.coarser = sources;
                opts.tiers = tiers;
                opts.k_nearest = self.k_nearest;
                opts.set_targets(self.targets.as_deref(), &config.taxonomy)?;
                config.districts = Some(opts);
            }
            None if self.district_command => {
                anyhow::bail!("--districts or --admin-level: `lifecircle districts` needs one of them")
            }
            None if self.targets.is_some() => {
                anyhow::bail!("--targets: applies to districts; give --districts FILE or --admin-level N")
            }
            None => {}
        }
        config.report = report;
        config.max_snap_m = self.max_snap_m;
        config.min_component_nodes = self.min_component_nodes;
        config.threads = self.threads;
        config.snap_mode = match self.snap {
            SnapArg::Edge => SnapMode::Edge,
            SnapArg::Vertex => SnapMode::Vertex,
        };
        config.progress = !self.quiet;
        config.validate()?;
        Ok(config)
    }
}

/// Runs `analyze`: the table (or the what-if comparison) on stdout unless
/// `--quiet`, the notes on stderr as warnings in any case.
pub fn run(args: AnalyzeArgs) -> Result<()> {
    let quiet = args.quiet;
    let config = args.into_config()?;
    if let Some(plan) = &config.plan {
        let w = what_if(&config, plan)?;
        super::warn_notes(&w.planned.notes);
        if !quiet {
            let mut out = std::io::stdout().lock();
            out.write_all(w.comparison.to_markdown(LABELS).as_bytes()).context("writing the difference table")?;
            writeln!(out, "outputs in {}", config.out_dir.display())?;
        }
        return Ok(());
    }
    let summary = lifecircle::analyze(&config)?;
    super::warn_notes(&summary.notes);
    if !quiet {
        let mut out = std::io::stdout().lock();
        out.write_all(summary.to_table().as_bytes()).context("writing the summary table")?;
        writeln!(out, "outputs in {}", config.out_dir.display())?;
    }
    Ok(())
}
