//! Candidate sites: the user's list, or by default the network nodes at the
//! ends of the ways that uncovered homes sit on, thinned to one per grid cell
//! of `spacing_m` (the lowest node id in each cell, so the set is
//! deterministic). `O(H + V)`.

use std::collections::BTreeMap;

use crate::geometry::EARTH_RADIUS_M;
use crate::graph::WalkGraph;
use crate::ids::NodeId;
use crate::routing::Anchor;

/// A candidate site.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Its id: the user's, or `node-<index>` for a network node.
    pub id: String,
    /// Longitude, latitude (WGS-84).
    pub lonlat: [f64; 2],
}

/// Grid cell of a position for thinning (metres along a meridian and a parallel).
fn cell(p: [f64; 2], spacing_m: f64) -> (i64, i64) {
    let k = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
    let y = p[1] * k;
    let x = p[0] * k * p[1].to_radians().cos();
    ((y / spacing_m).floor() as i64, (x / spacing_m).floor() as i64)
}

/// Network nodes near uncovered homes (`uncovered[h]` with an anchor), one per
/// cell of `spacing_m`.
pub fn default_candidates(
    graph: &WalkGraph,
    home_anchors: &[Option<Anchor>],
    uncovered: &[bool],
    spacing_m: f64,
) -> Vec<Candidate> {
    let mut nodes: Vec<u32> = home_anchors
        .iter()
        .zip(uncovered)
        .filter(|(_, u)| **u)
        .filter_map(|(a, _)| a.as_ref())
        .flat_map(|a| {
            let (u, v) = graph.edge_endpoints(a.edge);
            [u.0, v.0]
        })
        .collect();
    nodes.sort_unstable();
    nodes.dedup();
    let mut by_cell: BTreeMap<(i64, i64), u32> = BTreeMap::new();
    for n in nodes {
        by_cell.entry(cell(graph.node_lonlat(NodeId(n)), spacing_m)).or_insert(n);
    }
    let mut chosen: Vec<u32> = by_cell.into_values().collect();
    chosen.sort_unstable();
    chosen.into_iter().map(|n| Candidate { id: format!("node-{n}"), lonlat: graph.node_lonlat(NodeId(n)) }).collect()
}
