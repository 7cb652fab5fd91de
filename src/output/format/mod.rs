//! The file formats a layer is written in: GeoJSON ([`geojson`]), GeoParquet
//! 1.1 ([`parquet`]) and FlatGeobuf ([`fgb`]). Each reads only the
//! [`crate::output::layer::Layer`] interface, so every format of a layer has
//! the same columns and values, and the same coordinates (rounded to 7
//! decimals by [`geojson::round_coord`]).

pub mod fgb;
pub mod geojson;
pub mod parquet;
