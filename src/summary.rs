//! The run summary: written as `summary.json` and printed as a table.

use serde::Serialize;

use crate::graph::GraphReport;
use crate::osm::{FeatureReport, HomeRule};

/// Inputs used.
#[derive(Debug, Clone, Serialize)]
pub struct Inputs {
    /// The PBF file.
    pub pbf: String,
    /// Its size in bytes.
    pub pbf_bytes: u64,
    /// The taxonomy (`built-in` or a path).
    pub taxonomy: String,
    /// The walking profile's name.
    pub profile: String,
}

/// Parameters used.
#[derive(Debug, Clone, Serialize)]
pub struct Parameters {
    /// Threshold in minutes.
    pub minutes: f64,
    /// Walking speed in km/h.
    pub speed_kmh: f64,
    /// Threshold as a walking distance, metres.
    pub threshold_m: f64,
    /// Points farther than this from the network are unreachable.
    pub max_snap_m: f64,
    /// Components of at least this many nodes are kept besides the largest (0: the largest only).
    pub min_component_nodes: usize,
    /// How points join the network.
    pub snap_mode: crate::analysis::SnapMode,
    /// Worker threads.
    pub threads: usize,
}

/// Seconds spent in each stage.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    /// Reading and decoding the PBF, extracting features.
    pub parse_s: f64,
    /// Building and freezing the graph.
    pub build_s: f64,
    /// Snapping homes and facilities.
    pub snap_s: f64,
    /// Searches and metrics.
    pub compute_s: f64,
    /// Writing the outputs.
    pub write_s: f64,
    /// The whole run.
    pub total_s: f64,
}

/// Homes found and how they joined the network.
#[derive(Debug, Clone, Serialize)]
pub struct HomesSummary {
    /// Homes.
    pub total: usize,
    /// Homes farther than `max_snap_m` from the network (no access; reported, not dropped).
    pub unreachable: usize,
    /// Homes whose nearest way lies on a dropped island (they were joined to the kept network instead).
    pub nearest_way_on_dropped_island: usize,
    /// Median distance from a home to the network, metres.
    pub median_snap_m: Option<f64>,
    /// How the homes were found.
    #[serde(flatten)]
    pub features: FeatureReport,
}

/// One category's results.
#[derive(Debug, Clone, Serialize)]
pub struct CategorySummary {
    /// Category key.
    pub key: String,
    /// English label.
    pub label_en: String,
    /// Chinese label.
    pub label_zh: String,
    /// Facilities found.
    pub facilities: usize,
    /// Facilities farther than `max_snap_m` from the network.
    pub facilities_unreachable: usize,
    /// Homes with a facility within the threshold.
    pub homes_covered: usize,
    /// Share of homes covered.
    pub share_covered: f64,
    /// Median minutes to the nearest facility over all homes (null when more than half reach none).
    pub median_min: Option<f64>,
    /// `no facilities found` when the category is empty.
    pub note: Option<String>,
}

/// Homes reaching every category.
#[derive(Debug, Clone, Serialize)]
pub struct CompleteSummary {
    /// Homes reaching all categories within the threshold.
    pub homes: usize,
    /// Their share.
    pub share: f64,
}

/// The run summary.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Version of lifecircle that made it.
    pub lifecircle_version: String,
    /// Inputs.
    pub inputs: Inputs,
    /// Parameters.
    pub parameters: Parameters,
    /// Stage timings.
    pub timings: Timings,
    /// The walking graph.
    pub graph: GraphReport,
    /// Homes.
    pub homes: HomesSummary,
    /// Facilities per category key.
    pub facilities: std::collections::BTreeMap<String, usize>,
    /// Per-category results, in taxonomy order.
    pub categories: Vec<CategorySummary>,
    /// Homes reaching all categories.
    pub complete: CompleteSummary,
    /// Things worth knowing about this run.
    pub notes: Vec<String>,
}

impl Summary {
    /// A plain-text table for the terminal.
    pub fn to_table(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let p = &self.parameters;
        let _ = writeln!(s, "lifecircle {}: {}", self.lifecircle_version, self.inputs.pbf);
        let _ = writeln!(
            s,
            "threshold {} min at {} km/h ({:.0} m), profile {}, {} threads",
            p.minutes, p.speed_kmh, p.threshold_m, self.inputs.profile, p.threads
        );
        let g = &self.graph;
        let _ = writeln!(
            s,
            "graph: {} nodes, {} edges, {:.1} km; {} of {} components kept, {} island nodes dropped; {} segments skipped for missing nodes",
            g.nodes,
            g.edges,
            g.length_km,
            g.components_kept,
            g.components,
            g.island_nodes_dropped,
            g.segments_missing_nodes
        );
        let h = &self.homes;
        let f = &h.features;
        let origin = match f.home_rule {
            HomeRule::Buildings => "residential buildings".to_string(),
            HomeRule::ResidentialLanduse => "residential areas: the extract has no residential buildings".to_string(),
            HomeRule::BuildingsAndEmptyResidentialAreas => format!(
                "{} residential buildings + {} residential areas without mapped homes",
                f.homes_from_buildings, f.homes_from_residential_areas
            ),
        };
        let _ = writeln!(
            s,
            "homes: {} ({origin}); {} unreachable (> {} m from a way), {} nearest to a dropped island",
            h.total, h.unreachable, p.max_snap_m, h.nearest_way_on_dropped_island
        );
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "{:<14} {:>10} {:>10} {:>9} {:>11}  note",
            "category", "facilities", "covered", "share", "median min"
        );
        for c in &self.categories {
            let med = c.median_min.map_or("-".to_string(), |m| format!("{m:.2}"));
            let _ = writeln!(
                s,
                "{:<14} {:>10} {:>10} {:>8.1}% {:>11}  {}",
                c.key,
                c.facilities,
                c.homes_covered,
                c.share_covered * 100.0,
                med,
                c.note.as_deref().unwrap_or("")
            );
        }
        let _ = writeln!(
            s,
            "{:<14} {:>10} {:>10} {:>8.1}%",
            "complete",
            "",
            self.complete.homes,
            self.complete.share * 100.0
        );
        let t = &self.timings;
        let _ = writeln!(
            s,
            "\ntimings: parse {:.3} s, build {:.3} s, snap {:.3} s, compute {:.3} s, write {:.3} s, total {:.3} s",
            t.parse_s, t.build_s, t.snap_s, t.compute_s, t.write_s, t.total_s
        );
        for n in &self.notes {
            let _ = writeln!(s, "note: {n}");
        }
        s
    }
}
