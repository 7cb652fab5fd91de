//! Ingest: OpenStreetMap PBF in, plain records out (no graph types here).
//!
//! [`read_pbf`] decodes the file's blobs in parallel and keeps what the later
//! stages need: every node's position, every way's node list, and the tag
//! decisions of the taxonomy and the walking profile. [`features`] turns those
//! records into homes and facilities; [`multipolygon`] assembles relation rings.

pub mod features;
pub mod multipolygon;
mod read_pbf;

pub use features::{Facility, FeatureReport, Home, HomeRule, extract_features};
pub use read_pbf::{OsmData, PoiNode, RelationRecord, WayInfo, read_pbf, read_pbf_bytes};

/// Decimicro-degrees (1e-7 degree) to degrees.
#[inline]
pub(crate) fn decimicro_to_deg(v: i32) -> f64 {
    v as f64 * 1e-7
}
