//! The file formats a layer is written in: GeoJSON ([`geojson`]), GeoParquet
//! 1.1 ([`parquet`]) and FlatGeobuf ([`fgb`]). Each reads only the
//! [`crate::output::layer::Layer`] interface, so every format of a layer has
//! the same columns and values, and the same coordinates (rounded to 7
//! decimals by [`geojson::round_coord`]); tables without geometry go to CSV with
//! GDAL's `.csvt` types ([`csv`]).

pub mod csv;
pub mod fgb;
pub mod geojson;
pub mod parquet;
