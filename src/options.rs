//! Options shared across the floors: the formats layers are written in and
//! how maps gather a run. Plain data, so the analysis can carry them in its
//! configuration without depending on the writers that read them.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

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

/// How a map is gathered.
#[derive(Debug, Clone, PartialEq)]
pub struct MapOptions {
    /// Above this many homes, homes are aggregated to H3 hexagons.
    pub hex_above: usize,
    /// The H3 resolution of the hexagons (9: about 0.1 km² each).
    pub hex_resolution: u8,
    /// Coarser hexagons are used while there would be more than this many.
    pub max_hexagons: usize,
    /// Network polylines are simplified to this tolerance, metres (0: as mapped).
    pub network_simplify_m: f64,
    /// Single facilities' service areas are left out when their outlines
    /// together have more points than this (category areas are always kept).
    pub max_facility_area_points: usize,
}

impl Default for MapOptions {
    fn default() -> MapOptions {
        MapOptions {
            hex_above: 50_000,
            hex_resolution: 9,
            max_hexagons: 50_000,
            network_simplify_m: 1.0,
            max_facility_area_points: 400_000,
        }
    }
}
