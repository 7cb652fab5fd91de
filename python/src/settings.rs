//! Python arguments into the library's [`AnalyzeConfig`], filled as the CLI
//! fills it (`src/cli/analyze.rs`, `into_config`), so a Python call and the
//! CLI asked the same thing give the same values; messages name the CLI's
//! flags, as the library's own do.

use std::path::PathBuf;
use std::sync::Arc;

use lifecircle::analysis::{DistrictOptions, DistrictSource, IsochroneOptions, MAX_THREADS, PbfSource, SnapMode};
use lifecircle::inputs::{MergeMode, PointsInput};
use lifecircle::io::crs::Crs;
use lifecircle::io::manifest::Invocation;
use lifecircle::io::points::PointsTable;
use lifecircle::isochrone::IsochroneParams;
use lifecircle::taxonomy::Tiers;
use lifecircle::{AnalyzeConfig, Profiles, Taxonomy};
use pyo3::prelude::*;

use crate::{to_py_err, value_error};

/// `--simplify-m` when not given (capped at a quarter of `--buffer-m`), as in the CLI.
pub const DEFAULT_SIMPLIFY_M: f64 = 2.0;

/// What a network is built for: the arguments of `Network(...)`.
#[derive(Debug, Clone)]
pub struct NetworkSettings {
    /// The extract (`None`: the one built in).
    pub pbf: Option<PathBuf>,
    /// The walking profile's name.
    pub profile: String,
    /// A bundled category list by name (`mofcom-2021`, ...) or a taxonomy TOML file.
    pub taxonomy: Option<PathBuf>,
    /// Walking speed (`None`: the profile's).
    pub speed_kmh: Option<f64>,
    /// Points farther than this from the network are unreachable.
    pub max_snap_m: f64,
    /// Components of at least this many junctions are kept besides the largest.
    pub min_component_nodes: i64,
    /// `edge` or `vertex`.
    pub snap: String,
}

impl NetworkSettings {
    /// The configuration's network part, validated.
    pub fn config(&self) -> PyResult<AnalyzeConfig> {
        let pbf = self.pbf.clone().map_or(PbfSource::BuiltIn, PbfSource::File);
        // A bundled list by name (mofcom-2021, ...) or a TOML file, as the CLI's --taxonomy.
        let value = self.taxonomy.as_ref().map(|p| p.to_string_lossy());
        let taxonomy = Taxonomy::chosen(value.as_deref()).map_err(to_py_err)?;
        let profile = Profiles::builtin().get(&self.profile).map_err(to_py_err)?.clone();
        let mut config = AnalyzeConfig::new(pbf, PathBuf::from("out"));
        config.speed_kmh = self.speed_kmh.unwrap_or(profile.speed_kmh);
        config.set_taxonomy(taxonomy);
        config.profile = profile;
        config.profile_name = self.profile.clone();
        config.max_snap_m = self.max_snap_m;
        config.min_component_nodes = count("--min-component-nodes", self.min_component_nodes)?;
        config.snap_mode = match self.snap.as_str() {
            "edge" => SnapMode::Edge,
            "vertex" => SnapMode::Vertex,
            other => {
                return Err(value_error(format!("--snap: invalid value {other:?} (possible values: edge, vertex)")));
            }
        };
        config.progress = false;
        config.validate().map_err(to_py_err)?;
        Ok(config)
    }
}

/// A count argument: non-negative.
pub fn count(flag: &str, v: i64) -> PyResult<usize> {
    usize::try_from(v).map_err(|_| value_error(format!("{flag}: {v} is not a count")))
}

/// Where a user's points come from.
#[derive(Debug, Clone)]
pub enum PointsArg {
    /// A CSV or GeoJSON file.
    Path(PathBuf),
    /// A table in memory and the name it goes by in messages.
    Table(Arc<PointsTable>, String),
}

impl PointsArg {
    /// The library's input of these points.
    pub fn input(&self, crs: Crs, mode: MergeMode) -> PointsInput {
        match self {
            PointsArg::Path(path) => PointsInput { path: path.clone(), crs, mode, table: None },
            PointsArg::Table(t, name) => PointsInput { path: name.into(), crs, mode, table: Some(Arc::clone(t)) },
        }
    }
}

/// Where districts come from.
#[derive(Debug, Clone)]
pub enum DistrictsArg {
    /// A GeoJSON file.
    Path(PathBuf),
    /// The extract's boundaries at this `admin_level`.
    AdminLevel(i64),
    /// GeoJSON text in memory (a GeoDataFrame's) and the name it goes by.
    GeoJson(Arc<[u8]>, String),
}

/// What one analysis on a network asks: the arguments of `Network.analyze(...)`.
#[derive(Debug, Clone, Default)]
pub struct RunSettings {
    /// Thresholds in minutes (`None`: 15).
    pub minutes: Option<Vec<f64>>,
    /// A tier table's name instead of minutes.
    pub tiers: Option<String>,
    /// The user's facilities.
    pub facilities: Option<PointsArg>,
    /// Their coordinate system.
    pub facilities_crs: String,
    /// `add` or `replace`.
    pub facilities_mode: String,
    /// The user's homes.
    pub homes: Option<PointsArg>,
    /// Their coordinate system.
    pub homes_crs: String,
    /// `replace` or `add`.
    pub homes_mode: String,
    /// Skip and count bad rows.
    pub skip_bad_rows: bool,
    /// Districts.
    pub districts: Option<DistrictsArg>,
    /// The property naming a district.
    pub district_key: String,
    /// k for the mean time to the k nearest facilities.
    pub k_nearest: i64,
    /// A policy targets TOML (`None`: the built-in Tianjin table).
    pub targets: Option<PathBuf>,
    /// Draw service areas.
    pub isochrones: bool,
    /// Service areas' buffer.
    pub buffer_m: f64,
    /// Service areas' simplification (`None`: the CLI's default).
    pub simplify_m: Option<f64>,
    /// Service areas of this category only.
    pub category: Option<String>,
    /// Worker threads (`None`: one per core).
    pub threads: Option<i64>,
    /// The Python call, for the run's manifest.
    pub invocation: Vec<String>,
}

/// `value` as a coordinate system, or the CLI's message for `flag`.
pub fn parse_crs(flag: &str, value: &str) -> PyResult<Crs> {
    value.parse::<Crs>().map_err(|e| value_error(format!("{flag}: {e}")))
}

/// `add` or `replace`, or the message for `flag`.
pub fn parse_mode(flag: &str, value: &str) -> PyResult<MergeMode> {
    match value {
        "add" => Ok(MergeMode::Add),
        "replace" => Ok(MergeMode::Replace),
        other => Err(value_error(format!("{flag}: invalid value {other:?} (possible values: add, replace)"))),
    }
}

/// Worker threads, checked as `--threads` is.
pub fn threads(v: Option<i64>) -> PyResult<Option<usize>> {
    match v {
        None => Ok(None),
        Some(n) if (1..=MAX_THREADS as i64).contains(&n) => Ok(Some(n as usize)),
        Some(n) => Err(value_error(format!("--threads: {n} is not in 1..={MAX_THREADS}"))),
    }
}

impl RunSettings {
    /// The run's configuration on a network built for `base`, validated.
    pub fn config(&self, base: &AnalyzeConfig) -> PyResult<AnalyzeConfig> {
        let mut config = base.clone();
        config.invocation = Invocation::new("python", self.invocation.clone());
        if self.tiers.is_some() && self.minutes.is_some() {
            return Err(value_error("--tiers: cannot be used with --minutes"));
        }
        let mut minutes = self.minutes.clone().unwrap_or_else(|| vec![15.0]);
        minutes.sort_by(f64::total_cmp);
        minutes.dedup();
        config.minutes = minutes;
        if let Some(name) = &self.tiers {
            config.tiers = Some(Tiers::builtin(name, &config.taxonomy).map_err(to_py_err)?);
        }
        let facilities_crs = parse_crs("--facilities-crs", &self.facilities_crs)?;
        let homes_crs = parse_crs("--homes-crs", &self.homes_crs)?;
        let facilities_mode = parse_mode("--facilities-mode", &self.facilities_mode)?;
        let homes_mode = parse_mode("--homes-mode", &self.homes_mode)?;
        config.facilities_input = self.facilities.as_ref().map(|p| p.input(facilities_crs, facilities_mode));
        config.homes_input = self.homes.as_ref().map(|p| p.input(homes_crs, homes_mode));
        config.skip_bad_rows = self.skip_bad_rows;
        if self.isochrones {
            let mut params = IsochroneParams::with_buffer(self.buffer_m);
            params.simplify_m = self.simplify_m.unwrap_or_else(|| DEFAULT_SIMPLIFY_M.min(self.buffer_m / 4.0));
            config.isochrones = Some(IsochroneOptions { params, category: self.category.clone() });
        } else if self.category.is_some() {
            return Err(value_error("--category: applies to service areas; give isochrones=True"));
        }
        let source = match &self.districts {
            None => None,
            Some(DistrictsArg::Path(path)) => {
                Some(DistrictSource::GeoJson { path: path.clone(), key: self.district_key.clone() })
            }
            Some(DistrictsArg::AdminLevel(level)) => {
                let level = u8::try_from(*level)
                    .map_err(|_| value_error(format!("--admin-level: {level} is not an admin_level")))?;
                Some(DistrictSource::AdminLevel(level))
            }
            Some(DistrictsArg::GeoJson(bytes, name)) => Some(DistrictSource::GeoJsonBytes {
                name: name.into(),
                bytes: Arc::clone(bytes),
                key: self.district_key.clone(),
            }),
        };
        match source {
            Some(source) => {
                let mut opts = DistrictOptions::new(source);
                opts.k_nearest = count("--k-nearest", self.k_nearest)?;
                opts.set_targets(self.targets.as_deref(), &config.taxonomy).map_err(to_py_err)?;
                config.districts = Some(opts);
            }
            None if self.targets.is_some() => {
                return Err(value_error("--targets: applies to districts; give --districts FILE or --admin-level N"));
            }
            None => {}
        }
        config.threads = threads(self.threads)?;
        config.validate().map_err(to_py_err)?;
        Ok(config)
    }
}
