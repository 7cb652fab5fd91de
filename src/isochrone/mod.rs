//! Service areas: the ground within a walking buffer of the network a
//! facility reaches within a time budget.
//!
//! Stages, kernel apart from geometry (Valhalla's thor → midgard split):
//! - [`reach`]: one bounded search gives every reached edge interval,
//!   including partial edges cut exactly where the budget runs out;
//! - [`sparse_field`]: the reached intervals are drawn onto a fine grid in
//!   local metres and the exact Euclidean distance to them is computed on the
//!   tiles near them only ([`distance_field`]: the dense transform over the
//!   whole box, its reference);
//! - [`marching_squares`]: the buffer distance's contour of that field, as
//!   closed rings with the inside on their left (outer rings counter-clockwise,
//!   holes clockwise, as RFC 7946 asks);
//! - [`ring_index`]: geo's point-in-ring answer for many rings at once (hole
//!   owners, homes inside); [`validity`]: geo's validity verdict without its
//!   quadratic pass;
//! - [`service_area`]: rings to valid (Multi)Polygons, simplification that
//!   keeps validity, areas;
//! - [`batch`]: every facility in parallel (one search serves all
//!   thresholds), homes inside, and each category's union.
//!
//! Work follows the reached network: a facility whose reach spans the whole
//! extract costs its reached length times the buffer in cells, not the area
//! of its bounding box, and outputs are the same bytes as the dense
//! reference's (`build_area_reference`).

pub mod batch;
pub mod distance_field;
pub mod marching_squares;
pub mod reach;
pub mod ring_index;
pub mod service_area;
pub mod sparse_field;
pub mod validity;

pub use reach::{ReachedInterval, intervals_within, reached_intervals};
pub use service_area::{IsochroneParams, ServiceArea, build_area, build_area_reference, local_projection};
