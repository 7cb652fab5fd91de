//! Ingest: OpenStreetMap PBF in, plain records out (no graph types here).
//!
//! [`read_pbf`] streams the file's blobs ([`blob`], osmpbfreader's
//! `fileformat` messages), decodes them in parallel on rayon straight from
//! their protobuf wire bytes ([`wire`]; osmpbfreader's `PrimitiveBlock`
//! message is the reference and the fallback, [`block`]) without building an
//! `OsmObj` per element, and keeps what the later
//! stages need: the tag decisions of the taxonomy and the walking profile, the
//! node lists of the ways that matter and the positions of their nodes only
//! ([`node_store`]). [`features`] turns those records into homes and
//! facilities; [`multipolygon`] assembles relation rings.

pub mod blob;
pub mod block;
pub mod features;
mod key_filter;
mod merge;
pub mod multipolygon;
pub mod node_store;
pub mod packed;
pub mod point_grid;
pub mod point_in_area;
mod read_pbf;
pub mod wire;

pub use features::{Facility, FeatureReport, Home, HomeRule, extract_features};
pub use read_pbf::{MISSING_NODE, OsmData, PoiNode, RelationRecord, WayInfo, read_pbf, read_pbf_bytes};

/// Decimicro-degrees (1e-7 degree) to degrees.
#[inline]
pub(crate) fn decimicro_to_deg(v: i32) -> f64 {
    v as f64 * 1e-7
}
