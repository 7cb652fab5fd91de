//! Serialization: atomic file output and the GeoJSON / JSON writers.

pub mod atomic;
pub mod crs;
pub mod geojson_in;
pub mod geojson_out;
pub mod limits;
pub mod manifest;
pub mod points;

pub use atomic::{AtomicFile, OutputDir};
