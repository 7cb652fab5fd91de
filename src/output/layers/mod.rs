//! The layers a run writes, each defined once for every format.

pub mod coverage;
pub mod districts;
pub mod facilities;
pub mod isochrones;
pub mod sites;

pub use coverage::CoverageLayer;
pub use districts::DistrictsLayer;
pub use facilities::FacilitiesLayer;
pub use isochrones::{AreaLayer, AreaLayerKind};
pub use sites::SitesLayer;
