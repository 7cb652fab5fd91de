//! `Network`: an extract read and its walking graph built once
//! ([`lifecircle::Network`]), analysed for any number of facility sets,
//! homes, thresholds and districts.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use lifecircle::AnalyzeConfig;
use lifecircle::analysis::{PbfSource, with_threads};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyInt};

use crate::blocking::run_blocking;
use crate::run::Run;
use crate::settings::{DistrictsArg, NetworkSettings, PointsArg, RunSettings};
use crate::table::Table;

/// The walking network of an extract, built once (see the package's `lifecircle.Network`).
#[pyclass(frozen, module = "lifecircle._lifecircle")]
pub struct Network {
    inner: Arc<lifecircle::Network>,
    base: AnalyzeConfig,
}

/// `facilities=` / `homes=`: a path or a [`Table`].
pub fn points_arg(what: &str, v: &Bound<'_, PyAny>) -> PyResult<PointsArg> {
    if let Ok(t) = v.cast::<Table>() {
        let t = t.get();
        return Ok(PointsArg::Table(Arc::clone(&t.inner), t.name.clone()));
    }
    v.extract::<PathBuf>()
        .map(PointsArg::Path)
        .map_err(|_| PyTypeError::new_err(format!("{what}: expected a path or a GeoDataFrame")))
}

fn districts_arg(v: &Bound<'_, PyAny>) -> PyResult<DistrictsArg> {
    if v.is_instance_of::<PyInt>() && !v.is_instance_of::<PyBool>() {
        return Ok(DistrictsArg::AdminLevel(v.extract()?));
    }
    if let Ok(b) = v.cast::<PyBytes>() {
        return Ok(DistrictsArg::GeoJson(Arc::from(b.as_bytes()), "districts (GeoDataFrame)".to_string()));
    }
    v.extract::<PathBuf>()
        .map(DistrictsArg::Path)
        .map_err(|_| PyTypeError::new_err("districts: expected a path, an admin_level (int) or a GeoDataFrame"))
}

#[pymethods]
impl Network {
    /// Reads `pbf` (`None`: the extract built in) and builds its walking
    /// network for the taxonomy, profile, speed and snapping rule given.
    #[new]
    #[pyo3(signature = (
        pbf = None, *, profile = "adult".to_string(), taxonomy = None, speed_kmh = None, max_snap_m = 500.0,
        min_component_nodes = 500, snap = "edge".to_string(), admin_boundaries = false, threads = None,
        progress = None, tile = None, reach_minutes = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        pbf: Option<PathBuf>,
        profile: String,
        taxonomy: Option<PathBuf>,
        speed_kmh: Option<f64>,
        max_snap_m: f64,
        min_component_nodes: i64,
        snap: String,
        admin_boundaries: bool,
        threads: Option<i64>,
        progress: Option<Bound<'_, PyAny>>,
        tile: Option<PathBuf>,
        reach_minutes: Option<f64>,
    ) -> PyResult<Network> {
        if tile.is_some() && pbf.is_some() {
            return Err(crate::value_error("--tile: cannot be used with --pbf (a tile holds its own network)"));
        }
        let settings = NetworkSettings { pbf, profile, taxonomy, speed_kmh, max_snap_m, min_component_nodes, snap };
        let mut base = settings.config()?;
        base.reach_minutes = reach_minutes;
        base.tile = tile;
        base.validate().map_err(crate::to_py_err)?;
        let threads = crate::settings::threads(threads)?;
        let config = base.clone();
        let (inner, base) = run_blocking(py, progress.as_ref(), move || {
            with_threads(threads, || match &config.tile {
                // A tile's network comes with the configuration it answers (its reach filled in).
                Some(_) => lifecircle::tile::open_network(&config),
                None => lifecircle::Network::build_with(&config, admin_boundaries).map(|n| (n, config.clone())),
            })?
        })?;
        Ok(Network { inner: Arc::new(inner), base })
    }

    /// One analysis on this network; see the package's `Network.analyze`.
    #[pyo3(signature = (
        *, minutes = None, tiers = None, facilities = None, facilities_crs = "wgs84".to_string(),
        facilities_mode = "add".to_string(), homes = None, homes_crs = "wgs84".to_string(),
        homes_mode = "replace".to_string(), skip_bad_rows = false, districts = None,
        district_key = "name".to_string(), k_nearest = 1, targets = None, isochrones = false, buffer_m = 50.0,
        simplify_m = None, category = None, threads = None, progress = None, invocation = Vec::new()
    ))]
    #[allow(clippy::too_many_arguments)]
    fn analyze(
        &self,
        py: Python<'_>,
        minutes: Option<Vec<f64>>,
        tiers: Option<String>,
        facilities: Option<Bound<'_, PyAny>>,
        facilities_crs: String,
        facilities_mode: String,
        homes: Option<Bound<'_, PyAny>>,
        homes_crs: String,
        homes_mode: String,
        skip_bad_rows: bool,
        districts: Option<Bound<'_, PyAny>>,
        district_key: String,
        k_nearest: i64,
        targets: Option<PathBuf>,
        isochrones: bool,
        buffer_m: f64,
        simplify_m: Option<f64>,
        category: Option<String>,
        threads: Option<i64>,
        progress: Option<Bound<'_, PyAny>>,
        invocation: Vec<String>,
    ) -> PyResult<Run> {
        let settings = RunSettings {
            minutes,
            tiers,
            facilities: facilities.as_ref().map(|v| points_arg("facilities", v)).transpose()?,
            facilities_crs,
            facilities_mode,
            homes: homes.as_ref().map(|v| points_arg("homes", v)).transpose()?,
            homes_crs,
            homes_mode,
            skip_bad_rows,
            districts: districts.as_ref().map(districts_arg).transpose()?,
            district_key,
            k_nearest,
            targets,
            isochrones,
            buffer_m,
            simplify_m,
            category,
            threads,
            invocation,
        };
        let config = settings.config(&self.base)?;
        let network = Arc::clone(&self.inner);
        let started = Instant::now();
        let built = Duration::from_secs_f64(network.parse_s + network.build_s);
        let mut analysis =
            run_blocking(py, progress.as_ref(), move || with_threads(config.threads, || network.analyze(&config))?)?;
        // The CLI's total is the whole run; here, the network's build and this analysis, in Rust.
        analysis.summary.timings.total_s = built.as_secs_f64() + started.elapsed().as_secs_f64();
        Ok(Run::new(Arc::new(RwLock::new(analysis)), started.checked_sub(built).unwrap_or(started)))
    }

    /// The reach the analyses search to, minutes (`None`: unbounded; a tile's: the prepared reach).
    #[getter]
    fn reach_minutes(&self) -> Option<f64> {
        self.base.reach_minutes
    }

    /// The tile's id, when this network is a tile of `lifecircle prepare`.
    #[getter]
    fn tile(&self) -> Option<String> {
        self.inner.tile.as_ref().map(|t| t.id.clone())
    }

    /// The extract's path (`<built-in>/...` for the one built in).
    #[getter]
    fn pbf(&self) -> String {
        self.base.pbf.path().display().to_string()
    }

    /// The walking profile.
    #[getter]
    fn profile(&self) -> &str {
        &self.base.profile_name
    }

    /// The walking speed, km/h.
    #[getter]
    fn speed_kmh(&self) -> f64 {
        self.base.speed_kmh
    }

    /// The service categories' keys, in taxonomy order.
    #[getter]
    fn categories(&self) -> Vec<String> {
        self.base.taxonomy.categories.iter().map(|c| c.key.clone()).collect()
    }

    /// Junctions and edges of the walking graph.
    #[getter]
    fn graph_size(&self) -> (usize, usize) {
        (self.inner.graph.num_nodes(), self.inner.graph.num_edges())
    }

    /// Homes and facilities found in the extract.
    #[getter]
    fn osm_counts(&self) -> (usize, usize) {
        (self.inner.homes.len(), self.inner.facilities.len())
    }

    /// The `admin_level`s the extract has boundaries at.
    #[getter]
    fn admin_levels(&self) -> Vec<u8> {
        self.inner.admin_levels.clone()
    }

    /// Seconds spent reading the extract and building the network.
    #[getter]
    fn build_seconds(&self) -> f64 {
        self.inner.parse_s + self.inner.build_s
    }
}

/// For the overhead benchmark: `repeat` runs of `lifecircle::run` on the
/// built-in extract with the defaults, in Rust with the GIL released, each
/// timed in Rust (seconds).
#[pyfunction]
#[pyo3(signature = (repeat = 1, threads = None))]
pub fn rust_run_seconds(py: Python<'_>, repeat: usize, threads: Option<i64>) -> PyResult<Vec<f64>> {
    let mut config = AnalyzeConfig::new(PbfSource::BuiltIn, "out");
    config.threads = crate::settings::threads(threads)?;
    py.detach(move || {
        (0..repeat)
            .map(|_| {
                let t = Instant::now();
                with_threads(config.threads, || lifecircle::run(&config).map(drop))??;
                Ok(t.elapsed().as_secs_f64())
            })
            .collect::<lifecircle::Result<Vec<f64>>>()
    })
    .map_err(crate::to_py_err)
}

/// The summaries of a prepare's tile runs, `(name, summary.json text)` each,
/// merged into the whole run's summary (JSON text); see `lifecircle.merge_summaries`.
#[pyfunction]
pub fn merge_summaries(py: Python<'_>, summaries: Vec<(String, String)>) -> PyResult<String> {
    py.detach(move || {
        let mut named = Vec::with_capacity(summaries.len());
        for (name, text) in summaries {
            let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                lifecircle::Error::bad_input(std::path::Path::new(&name), "", format!("not a summary: {e}"))
            })?;
            named.push((name, v));
        }
        let merged = lifecircle::tile::merge_summaries(&named)?;
        Ok(serde_json::to_string(&merged).expect("a JSON value serialises"))
    })
    .map_err(crate::to_py_err)
}

/// `lifecircle merge`: the tile runs' `summary.json` files merged, the whole
/// run's summary and its district and H3 tables (in `formats`, comma-separated)
/// written into `out`; returns the summary (JSON text). See `lifecircle.merge_tiles`.
#[pyfunction]
pub fn merge_tiles(py: Python<'_>, paths: Vec<String>, out: String, formats: String) -> PyResult<String> {
    py.detach(move || {
        let formats = lifecircle::output::Format::parse_list(&formats)?;
        let paths: Vec<std::path::PathBuf> = paths.into_iter().map(std::path::PathBuf::from).collect();
        let mut args = paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>();
        args.extend(["--out".to_string(), out.clone()]);
        let invocation = lifecircle::io::manifest::Invocation::new("python merge_tiles", args);
        let merged = lifecircle::tile::merge::write_merged(
            &paths,
            std::path::Path::new(&out),
            &formats,
            &invocation,
            false,
            |w| {
                eprintln!("lifecircle: warning: {w}");
            },
        )?;
        Ok(serde_json::to_string(&merged.summary).expect("a JSON value serialises"))
    })
    .map_err(crate::to_py_err)
}
