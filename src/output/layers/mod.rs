//! The layers a run writes, each defined once for every format.

pub mod coverage;
pub mod facilities;

pub use coverage::CoverageLayer;
pub use facilities::FacilitiesLayer;
