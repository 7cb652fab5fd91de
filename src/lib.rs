//! # lifecircle: 15-minute service-circle analysis
//!
//! Which homes reach groceries, elder canteens, clinics and childcare within
//! 15 minutes on foot, from OpenStreetMap data.
//!
//! ## Pipeline
//!
//! ```text
//!  OSM PBF ──osm::read_pbf──▶ OsmData (used nodes, ways, tag decisions) [own blob/wire decoder, rayon]
//!     │                         │
//!     │            osm::extract_features (taxonomy)                    homes, facilities
//!     ▼                         │
//!  graph::build_graph ──▶ edges split at junctions ──components──▶ WalkGraph (CSR, integer ms)
//!                               │
//!  snap::SnapIndex (rstar R-tree of edge segments) ──▶ Snap ──routing::Anchor──▶ exact costs
//!                               │
//!  coverage::nearest (multi-source Dijkstra per category)
//!  coverage::count_within (bounded Dijkstra from the fewer of facilities and homes, rayon)
//!                               │
//!  analysis::analyze ──io──▶ coverage.geojson, facilities.geojson, summary.json   [geojson]
//! ```
//!
//! The binary (`lifecircle analyze`) only parses arguments into an
//! [`AnalyzeConfig`] and calls [`analyze`].
//!
//! ```no_run
//! let config = lifecircle::AnalyzeConfig::new(lifecircle::analysis::default_pbf(), "out");
//! let summary = lifecircle::analyze(&config)?;
//! println!("{}", summary.to_table());
//! # Ok::<(), lifecircle::Error>(())
//! ```

#![deny(missing_docs)]
#![deny(unsafe_code)]
#![warn(clippy::all)]

pub mod analysis;
pub mod coverage;
pub mod district;
pub mod error;
pub mod geometry;
pub mod graph;
pub mod ids;
pub mod inputs;
pub mod io;
pub mod isochrone;
pub mod options;
pub mod osm;
pub mod output;
pub mod progress;
pub mod report;
pub mod routing;
pub mod siting;
pub mod snap;
pub mod taxonomy;
pub mod tile;
pub mod whatif;

mod heap;
mod parts;

#[cfg(test)]
mod test_rng;

pub use analysis::summary;
pub use analysis::summary::Summary;
pub use analysis::{Analysis, AnalyzeConfig, Network, run};
pub use error::{Error, ErrorKind, Result};
pub use output::run::analyze;
pub use taxonomy::{Profile, Profiles, Taxonomy};
