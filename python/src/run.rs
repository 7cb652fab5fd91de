//! `Run`: one finished analysis ([`lifecircle::Analysis`]) and what can be
//! asked of it afterwards, all through the library: its layers as Arrow
//! ([`crate::arrow`]), service areas ([`lifecircle::analysis::service_areas`]),
//! H3 hexagons ([`lifecircle::analysis::hexagons`]), sites
//! ([`lifecircle::siting::plan_sites`]), the HTML report and PNG map
//! ([`lifecircle::report`]) and a run folder
//! ([`lifecircle::output::run::write_run`]).
//!
//! Service areas and hexagons computed here become the run's own, so a run
//! folder written afterwards holds them, as the CLI's does when asked.

use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use lifecircle::Analysis;
use lifecircle::analysis::{IsochroneOptions, with_threads};
use lifecircle::io::OutputDir;
use lifecircle::io::crs::to_wgs84;
use lifecircle::io::points::{read_homes, read_homes_table};
use lifecircle::isochrone::IsochroneParams;
use lifecircle::options::Format;
use lifecircle::output::layer::Layer;
use lifecircle::output::layers::{
    AreaLayer, AreaLayerKind, CoverageLayer, DistrictsLayer, FacilitiesLayer, SitesLayer,
};
use lifecircle::report::png::{PngOptions, render_png};
use lifecircle::report::{Labels, Lang, MapData, MapOptions};
use lifecircle::siting::output::{site_markdown, write_site_plan};
use lifecircle::siting::{Candidate, Objective, SiteOptions, SitePlan, plan_sites};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::arrow::ArrowStream;
use crate::blocking::run_blocking;
use crate::network::points_arg;
use crate::settings::{DEFAULT_SIMPLIFY_M, PointsArg, count, parse_crs};
use crate::{to_py_err, value_error};

/// A finished analysis, shared with work running on other threads.
type Shared = Arc<RwLock<Analysis>>;

fn read(a: &Shared) -> RwLockReadGuard<'_, Analysis> {
    a.read().unwrap_or_else(PoisonError::into_inner)
}

fn write(a: &Shared) -> RwLockWriteGuard<'_, Analysis> {
    a.write().unwrap_or_else(PoisonError::into_inner)
}

/// A layer as Arrow, or an internal error.
fn stream(layer: &dyn Layer) -> PyResult<ArrowStream> {
    ArrowStream::from_layer(layer).map_err(|e| PyRuntimeError::new_err(format!("lifecircle: internal error: {e}")))
}

/// The report's and map's options (`--report-hexagons-above`, `--report-hexagon-resolution`).
fn map_options(hexagons_above: i64, hexagon_resolution: i64) -> PyResult<MapOptions> {
    let hex_above = count("--report-hexagons-above", hexagons_above)?;
    let hex_resolution = u8::try_from(hexagon_resolution)
        .ok()
        .filter(|r| (7..=12).contains(r))
        .ok_or_else(|| value_error(format!("--report-hexagon-resolution: {hexagon_resolution} is not in 7..=12")))?;
    Ok(MapOptions { hex_above, hex_resolution, ..MapOptions::default() })
}

/// `formats` as `--format` reads them.
fn formats(list: &str) -> PyResult<Vec<Format>> {
    let f = Format::parse_list(list).map_err(to_py_err)?;
    if f.is_empty() {
        return Err(value_error("--format: give at least one of geojson, parquet, fgb"));
    }
    Ok(f)
}

/// One analysis and what can be asked of it (see the package's `lifecircle.Analysis`).
#[pyclass(frozen, module = "lifecircle._lifecircle")]
pub struct Run {
    analysis: Shared,
    /// When the run began (its network's build included), for the summary's total.
    started: Instant,
}

impl Run {
    /// The run of `analysis`, begun at `started`.
    pub fn new(analysis: Shared, started: Instant) -> Run {
        Run { analysis, started }
    }
}

#[pymethods]
impl Run {
    /// A layer: `coverage`, `facilities`, `districts`, `district_table`
    /// (districts with the `(outside)` row), `isochrones`, `coverage_areas`
    /// or `hexagons`; `None` when the run has not computed it.
    fn layer(&self, py: Python<'_>, name: &str) -> PyResult<Option<ArrowStream>> {
        py.detach(|| {
            let a = read(&self.analysis);
            match name {
                "coverage" => stream(&CoverageLayer::new(&a)).map(Some),
                "facilities" => stream(&FacilitiesLayer::new(&a)).map(Some),
                "districts" => a.districts.as_ref().map(|d| stream(&DistrictsLayer::new(d, false))).transpose(),
                "district_table" => a.districts.as_ref().map(|d| stream(&DistrictsLayer::new(d, true))).transpose(),
                "hexagons" => a.hexagons.as_ref().map(|h| stream(&DistrictsLayer::hexagons(h))).transpose(),
                "isochrones" | "coverage_areas" => a
                    .isochrones
                    .as_ref()
                    .map(|iso| {
                        let kind =
                            if name == "isochrones" { AreaLayerKind::Facilities } else { AreaLayerKind::Categories };
                        stream(&AreaLayer::new(&a, iso, kind))
                    })
                    .transpose(),
                other => Err(value_error(format!("no layer {other:?}"))),
            }
        })
    }

    /// The run's summary, as `summary.json` has it.
    fn summary_json(&self) -> PyResult<String> {
        serde_json::to_string(&read(&self.analysis).summary)
            .map_err(|e| PyRuntimeError::new_err(format!("lifecircle: internal error: {e}")))
    }

    /// The summary as the CLI prints it (`lifecircle analyze` on stdout).
    fn summary_text(&self) -> String {
        read(&self.analysis).summary.to_table()
    }

    /// The service categories' keys, in taxonomy order.
    #[getter]
    fn categories(&self) -> Vec<String> {
        read(&self.analysis).config.taxonomy.categories.iter().map(|c| c.key.clone()).collect()
    }

    /// The thresholds' labels of each category (`15`, or `300m` for a tier).
    #[getter]
    fn thresholds(&self) -> Vec<Vec<String>> {
        let a = read(&self.analysis);
        (0..a.config.taxonomy.len()).map(|c| a.config.thresholds(c).into_iter().map(|(l, _)| l).collect()).collect()
    }

    /// The service areas' options of the run, if it has them: `(buffer_m, simplify_m, category)`.
    #[getter]
    fn isochrone_options(&self) -> Option<(f64, f64, Option<String>)> {
        let a = read(&self.analysis);
        a.config.isochrones.as_ref().map(|o| (o.params.buffer_m, o.params.simplify_m, o.category.clone()))
    }

    /// The H3 resolution of the run's hexagons, if it has them.
    #[getter]
    fn hexagon_resolution(&self) -> Option<u8> {
        let a = read(&self.analysis);
        a.hexagons.as_ref().and(a.config.h3)
    }

    /// Computes every facility's service area per threshold and each
    /// category's union (as `--isochrones` does) and keeps them as the run's.
    #[pyo3(signature = (*, buffer_m = 50.0, simplify_m = None, category = None, threads = None, progress = None))]
    fn compute_isochrones(
        &self,
        py: Python<'_>,
        buffer_m: f64,
        simplify_m: Option<f64>,
        category: Option<String>,
        threads: Option<i64>,
        progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let mut params = IsochroneParams::with_buffer(buffer_m);
        params.simplify_m = simplify_m.unwrap_or_else(|| DEFAULT_SIMPLIFY_M.min(buffer_m / 4.0));
        let opts = IsochroneOptions { params, category };
        let mut config = read(&self.analysis).config.clone();
        config.isochrones = Some(opts.clone());
        config.validate().map_err(to_py_err)?;
        let threads = crate::settings::threads(threads)?;
        let shared = Arc::clone(&self.analysis);
        run_blocking(py, progress.as_ref(), move || {
            let iso = with_threads(threads, || lifecircle::analysis::service_areas(&read(&shared), &opts))?;
            let mut a = write(&shared);
            a.isochrones = Some(iso);
            a.config.isochrones = config.isochrones;
            Ok(())
        })
    }

    /// Aggregates homes to the H3 cells of `resolution` (as `--h3` does) and keeps them as the run's.
    #[pyo3(signature = (resolution, *, threads = None))]
    fn compute_hexagons(&self, py: Python<'_>, resolution: i64, threads: Option<i64>) -> PyResult<()> {
        let res = u8::try_from(resolution)
            .ok()
            .filter(|r| *r <= 15)
            .ok_or_else(|| value_error(format!("--h3: {resolution} is not an H3 resolution (0 to 15)")))?;
        let threads = crate::settings::threads(threads)?;
        let shared = Arc::clone(&self.analysis);
        run_blocking(py, None, move || {
            let hex = with_threads(threads, || lifecircle::analysis::hexagons(&read(&shared), res))?;
            let mut a = write(&shared);
            a.hexagons = Some(hex);
            a.config.h3 = Some(res);
            Ok(())
        })
    }

    /// Where to build the next `add` facilities of `category` (as `lifecircle site` chooses).
    #[pyo3(signature = (
        category, *, add, candidates = None, candidates_crs = "wgs84".to_string(), candidate_spacing_m = 100.0,
        objective = "coverage".to_string(), capacity = None, threads = None, progress = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn site(
        &self,
        py: Python<'_>,
        category: String,
        add: i64,
        candidates: Option<Bound<'_, PyAny>>,
        candidates_crs: String,
        candidate_spacing_m: f64,
        objective: String,
        capacity: Option<f64>,
        threads: Option<i64>,
        progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Sites> {
        let (cat, key) = {
            let a = read(&self.analysis);
            let Some(c) = a.config.taxonomy.category_id(&category) else {
                let keys: Vec<&str> = a.config.taxonomy.categories.iter().map(|c| c.key.as_str()).collect();
                return Err(value_error(format!(
                    "--category: unknown category {category:?} (known: {})",
                    keys.join(", ")
                )));
            };
            (c, a.config.taxonomy.categories[c.idx()].key.clone())
        };
        if !(1..=10_000).contains(&add) {
            return Err(value_error(format!("--add: {add} is not in 1..=10000")));
        }
        if !(candidate_spacing_m.is_finite() && candidate_spacing_m > 0.0) {
            return Err(value_error(format!(
                "--candidate-spacing-m: {candidate_spacing_m} is not a positive distance"
            )));
        }
        let max = lifecircle::io::points::MAX_QUANTITY;
        if capacity.is_some_and(|c| !(c.is_finite() && c > 0.0 && c <= max)) {
            return Err(value_error(format!("--capacity: must be a positive number of people, at most {max:e}")));
        }
        let crs = parse_crs("--candidates-crs", &candidates_crs)?;
        let candidates = match candidates.as_ref().map(|v| points_arg("candidates", v)).transpose()? {
            None => None,
            Some(arg) => {
                let points = match &arg {
                    PointsArg::Path(path) => read_homes(path, false),
                    PointsArg::Table(t, name) => read_homes_table(std::path::Path::new(name), t, false),
                }
                .map_err(to_py_err)?
                .0;
                Some(points.into_iter().map(|p| Candidate { id: p.id, lonlat: to_wgs84(crs, p.lonlat) }).collect())
            }
        };
        let objective = match objective.as_str() {
            "coverage" => Objective::Coverage,
            "mean-time" | "mean_time" => Objective::MeanTime,
            other => {
                return Err(value_error(format!(
                    "--objective: invalid value {other:?} (possible values: coverage, mean-time)"
                )));
            }
        };
        if objective == Objective::MeanTime && capacity.is_some() {
            return Err(value_error("--capacity: applies to the coverage objective only"));
        }
        let opts =
            SiteOptions { category: cat, add: add as usize, candidates, candidate_spacing_m, capacity, objective };
        let threads = crate::settings::threads(threads)?;
        let shared = Arc::clone(&self.analysis);
        let plan =
            run_blocking(py, progress.as_ref(), move || with_threads(threads, || plan_sites(&read(&shared), &opts)))?;
        Ok(Sites { analysis: Arc::clone(&self.analysis), plan: Arc::new(plan), category: key, asked: add as usize })
    }

    /// The self-contained HTML report (`report.html`) of the run.
    #[pyo3(signature = (*, hexagons_above = 50_000, hexagon_resolution = 9))]
    fn report_html(&self, py: Python<'_>, hexagons_above: i64, hexagon_resolution: i64) -> PyResult<String> {
        let opts = map_options(hexagons_above, hexagon_resolution)?;
        py.detach(|| {
            let a = read(&self.analysis);
            let map = MapData::from_analysis(&a, None, &opts);
            Ok(lifecircle::report::html::report_html(&map, &Labels::builtin(), &a.config.title()))
        })
    }

    /// The coverage map as PNG bytes (as `lifecircle map --png` draws it).
    #[pyo3(signature = (*, width = 1600, height = 1200, lang = "en".to_string(), colour_by = None, bbox = None))]
    fn map_png<'py>(
        &self,
        py: Python<'py>,
        width: u32,
        height: u32,
        lang: String,
        colour_by: Option<String>,
        bbox: Option<[f64; 4]>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let lang: Lang = lang.parse().map_err(|e| value_error(format!("--lang: {e}")))?;
        let mut opts = PngOptions { width_px: width, height_px: height, bbox, lang, ..PngOptions::default() };
        opts.validate().map_err(to_py_err)?;
        let bytes = py.detach(|| {
            let a = read(&self.analysis);
            if let Some(key) = &colour_by {
                let Some(c) = a.config.taxonomy.category_id(key) else {
                    let keys: Vec<&str> = a.config.taxonomy.categories.iter().map(|c| c.key.as_str()).collect();
                    return Err(value_error(format!(
                        "--colour-by: unknown category {key:?} (known: {})",
                        keys.join(", ")
                    )));
                };
                opts.category = Some(c.idx());
            }
            let map = MapData::from_analysis(&a, None, &MapOptions::default());
            render_png(&map, &Labels::builtin(), &opts).map_err(to_py_err)
        })?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Writes the run into `folder` as `lifecircle analyze --out folder` would
    /// (layers in `formats`, styles, tables, `summary.json`, `run.json`), all
    /// at once; with `report`, `report.html` too.
    #[pyo3(signature = (folder, *, formats = "parquet".to_string(), report = false, progress = None))]
    fn write(
        &self,
        py: Python<'_>,
        folder: PathBuf,
        formats: String,
        report: bool,
        progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let formats = self::formats(&formats)?;
        let shared = Arc::clone(&self.analysis);
        let started = self.started;
        run_blocking(py, progress.as_ref(), move || {
            let out = OutputDir::prepare(&folder)?;
            let mut a = write(&shared);
            let kept = (a.config.formats.clone(), a.config.report.clone(), a.config.out_dir.clone());
            a.config.formats = formats;
            a.config.report = report.then(MapOptions::default);
            a.config.out_dir = folder;
            let done = lifecircle::output::run::write_run(&mut a, &out, started, Vec::new());
            (a.config.formats, a.config.report, a.config.out_dir) = kept;
            done
        })
    }
}

/// A site plan on a run (see the package's `lifecircle.Sites`).
#[pyclass(frozen, module = "lifecircle._lifecircle")]
pub struct Sites {
    analysis: Shared,
    plan: Arc<SitePlan>,
    category: String,
    asked: usize,
}

#[pymethods]
impl Sites {
    /// The picks as the `sites` layer.
    fn layer(&self, py: Python<'_>) -> PyResult<ArrowStream> {
        py.detach(|| stream(&SitesLayer::new(&self.plan, &self.category)))
    }

    /// The category the sites are of.
    #[getter]
    fn category(&self) -> &str {
        &self.category
    }

    /// `sites.md`: the picks and coverage before and after.
    fn markdown(&self) -> String {
        site_markdown(&read(&self.analysis), &self.plan, &self.category)
    }

    /// Per threshold, coverage before and after the picks, as JSON.
    fn before_after_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.plan.before_after)
            .map_err(|e| PyRuntimeError::new_err(format!("lifecircle: internal error: {e}")))
    }

    /// Candidates considered.
    #[getter]
    fn candidates(&self) -> usize {
        self.plan.candidates.len()
    }

    /// The CLI's note when fewer sites than asked could be chosen.
    fn notes(&self) -> Vec<String> {
        let plan = &self.plan;
        if plan.picks.len() >= self.asked {
            return Vec::new();
        }
        let why = if plan.candidates.is_empty() {
            "there are no candidates (every home already reaches one, or no network node lies near an uncovered home)"
                .to_string()
        } else {
            format!(
                "no other of the {} candidates brings a home not yet covered within the threshold \
                 (candidates farther than --max-snap-m from a way reach nobody)",
                plan.candidates.len()
            )
        };
        vec![format!("site: {} of {} sites chosen: {why}", plan.picks.len(), self.asked)]
    }

    /// The HTML report with the sites (`sites.html`).
    #[pyo3(signature = (*, hexagons_above = 50_000, hexagon_resolution = 9))]
    fn report_html(&self, py: Python<'_>, hexagons_above: i64, hexagon_resolution: i64) -> PyResult<String> {
        let opts = map_options(hexagons_above, hexagon_resolution)?;
        py.detach(|| {
            let a = read(&self.analysis);
            let c = a.config.taxonomy.category_id(&self.category).expect("the plan's category").idx();
            let map = MapData::from_analysis(&a, Some((&self.plan, c)), &opts);
            Ok(lifecircle::report::html::report_html(&map, &Labels::builtin(), &a.config.title()))
        })
    }

    /// Writes the plan into `folder` as `lifecircle site --out folder` does
    /// (`sites.*` in `formats`, `sites.md`, `sites-facilities.csv`), all at once.
    #[pyo3(signature = (folder, *, formats = "parquet".to_string()))]
    fn write(&self, py: Python<'_>, folder: PathBuf, formats: String) -> PyResult<()> {
        let formats = self::formats(&formats)?;
        let shared = Arc::clone(&self.analysis);
        let plan = Arc::clone(&self.plan);
        let category = self.category.clone();
        run_blocking(py, None, move || {
            let out = OutputDir::prepare(&folder)?;
            let a = read(&shared);
            let files = write_site_plan(&a, &plan, &category, &out, &formats)?;
            let manifest = lifecircle::output::run::manifest(&a.config)?;
            out.commit(files, manifest)
        })
    }
}
