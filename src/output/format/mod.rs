//! The file formats a layer is written in.

pub mod csv;
pub mod geojson;
