//! Output: a run's results as layers ([`layer`]), each defined once
//! ([`layers`]) and written in every format asked for ([`format`](mod@format)), into an
//! output folder committed all at once ([`crate::io::OutputDir::commit`]).
//!
//! The floor below ([`crate::analysis`]) knows nothing of files; this floor
//! knows nothing of the command line.

pub mod format;
pub mod layer;
pub mod layers;
pub mod ordered;
pub mod qml;
pub mod run;

use crate::error::Result;
use crate::io::OutputDir;
use crate::io::atomic::FinishedFile;
use layer::Layer;

pub use crate::options::Format;

/// Writes `layer` in every format of `formats` into `out` (`<name>.<extension>`), as temporaries.
pub fn write_layer(layer: &dyn Layer, out: &OutputDir, formats: &[Format]) -> Result<Vec<FinishedFile>> {
    formats
        .iter()
        .map(|f| {
            let file = out.create(&format!("{}.{}", layer.name(), f.extension()))?;
            match f {
                Format::GeoJson => format::geojson::write_geojson(layer, file),
                Format::Parquet => format::parquet::write_geoparquet(layer, file),
                Format::Fgb => format::fgb::write_flatgeobuf(layer, file),
            }
        })
        .collect()
}

/// Writes the QGIS style `<name>.qml` beside layer `name` (see [`qml`]), if it has one.
pub fn write_style(name: &str, taxonomy: &crate::taxonomy::Taxonomy, out: &OutputDir) -> Result<Option<FinishedFile>> {
    let Some(text) = qml::style(name, taxonomy) else { return Ok(None) };
    let mut file = out.create(&format!("{name}.qml"))?;
    crate::io::atomic::write_all(&mut file, text.as_bytes())?;
    Ok(Some(file.finish()?))
}

pub use crate::coverage::stats::round_to;
