//! Output: a run's results as layers ([`layer`]), each defined once
//! ([`layers`]) and written in every format asked for ([`format`](mod@format)), into an
//! output folder committed all at once ([`crate::io::OutputDir::commit`]).
//!
//! The floor below ([`crate::analysis`]) knows nothing of files; this floor
//! knows nothing of the command line.

pub mod format;
pub mod layer;
pub mod layers;
pub mod qml;

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::io::OutputDir;
use crate::io::atomic::FinishedFile;
use layer::Layer;

/// A file format for layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// GeoJSON (RFC 7946), `.geojson`.
    GeoJson,
    /// GeoParquet 1.1 (WKB geometry, bbox covering, ZSTD), `.parquet`.
    Parquet,
    /// FlatGeobuf with its packed Hilbert R-tree, `.fgb`.
    Fgb,
}

impl Format {
    /// Every format, in the order files are written.
    pub const ALL: [Format; 3] = [Format::GeoJson, Format::Parquet, Format::Fgb];

    /// The names `--format` takes, for messages.
    pub const NAMES: &'static str = "geojson, parquet, fgb";

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::GeoJson => "geojson",
            Format::Parquet => "parquet",
            Format::Fgb => "fgb",
        }
    }

    /// Parses `geojson,parquet` (any subset of [`Format::NAMES`], any order,
    /// repeats ignored, aliases `json`, `geoparquet`, `flatgeobuf`) into
    /// formats in [`Format::ALL`] order.
    pub fn parse_list(text: &str) -> Result<Vec<Format>> {
        let mut formats = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let f: Format = part.parse()?;
            if !formats.contains(&f) {
                formats.push(f);
            }
        }
        if formats.is_empty() {
            return Err(Error::parameter("--format", format!("give at least one of {}", Format::NAMES)));
        }
        formats.sort();
        Ok(formats)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

impl FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Format> {
        match s.to_ascii_lowercase().as_str() {
            "geojson" | "json" => Ok(Format::GeoJson),
            "parquet" | "geoparquet" => Ok(Format::Parquet),
            "fgb" | "flatgeobuf" => Ok(Format::Fgb),
            _ => Err(Error::parameter("--format", format!("unknown format {s:?} (known: {})", Format::NAMES))),
        }
    }
}

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

/// Rounds to `decimals` decimals.
#[inline]
pub fn round_to(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}
