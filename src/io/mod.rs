//! Serialization: atomic file output and the GeoJSON / JSON writers.

pub mod atomic;
pub mod crs;
pub mod geojson_out;
pub mod points;

pub use atomic::{AtomicFile, OutputDir};
