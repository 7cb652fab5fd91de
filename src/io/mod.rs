//! Files in and out at the edges: bounded reading of user inputs (limits,
//! streamed GeoJSON, CSV/GeoJSON points, coordinate systems) and atomic
//! output folders with their run manifests. The layer formats are in
//! [`crate::output`].

pub mod atomic;
pub mod crs;
pub mod geojson_in;
pub mod limits;
pub mod manifest;
pub mod points;
pub mod raster;

pub use atomic::{AtomicFile, OutputDir};
