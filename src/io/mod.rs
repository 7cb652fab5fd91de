//! Serialization: atomic file output and the GeoJSON / JSON writers.

pub mod atomic;
pub mod geojson_out;

pub use atomic::{AtomicFile, OutputDir};
