//! Per-home access metrics: time to the nearest facility of each category
//! ([`nearest`]) and the number of facilities within the threshold
//! ([`count_within`]), then shares and medians ([`stats`]), and capacity-aware
//! access ([`two_step_fca`]).

pub mod count_within;
pub mod edge_count;
pub mod k_nearest;
pub mod nearest;
pub mod nearest_facility;
pub mod stats;
pub mod two_step_fca;

use crate::ids::EdgeId;
use crate::routing::Anchor;

/// Points grouped by the edge they sit on: `items[offsets[e]..offsets[e+1]]`
/// are the indices of the points on edge `e`, ascending. `O(points + edges)` to build.
#[derive(Debug, Clone)]
pub struct ByEdge {
    offsets: Vec<u32>,
    items: Vec<u32>,
}

impl ByEdge {
    /// Groups `anchors` (a `None` is a point that is not on the network) over `num_edges` edges.
    pub fn new(num_edges: usize, anchors: &[Option<Anchor>]) -> ByEdge {
        let mut offsets = vec![0u32; num_edges + 1];
        for a in anchors.iter().flatten() {
            offsets[a.edge.idx() + 1] += 1;
        }
        for i in 0..num_edges {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets[..num_edges].to_vec();
        let mut items = vec![0u32; offsets[num_edges] as usize];
        for (i, a) in anchors.iter().enumerate() {
            if let Some(a) = a {
                items[fill[a.edge.idx()] as usize] = i as u32;
                fill[a.edge.idx()] += 1;
            }
        }
        ByEdge { offsets, items }
    }

    /// Indices of the points on edge `e`.
    #[inline]
    pub fn on(&self, e: EdgeId) -> &[u32] {
        &self.items[self.offsets[e.idx()] as usize..self.offsets[e.idx() + 1] as usize]
    }
}
