//! Maps people look at: the self-contained HTML report and PNG maps.
//!
//! Both draw the same [`MapData`], gathered once from a finished
//! [`Analysis`](crate::Analysis):
//!
//! ```text
//!  Analysis (+ SitePlan) ──MapData::from_analysis──▶ MapData
//!                                          │
//!             ┌────────────────────────────┴──────────────────────────┐
//!   html::write_report (Leaflet inlined, data as JSON)      png::render_png (tiny-skia)
//! ```
//!
//! Labels in both languages live in one table, `data/report/labels.json`
//! ([`Labels`]); category names come from the taxonomy (`label_en`, `label_zh`).

pub mod hexbin;
pub mod html;
pub mod labels;
pub mod map_data;
pub mod palette;
pub mod png;

pub use labels::{Labels, Lang};
pub use map_data::{MapData, MapOptions};
