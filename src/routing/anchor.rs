//! Costing a snapped point: where it sits on its edge, as integer times.
//!
//! `O(1)` per point.

use crate::graph::WalkGraph;
use crate::ids::{EdgeId, NodeId, TimeMs};
use crate::snap::Snap;

/// A point joined to the network, in time units.
///
/// `to_u + to_v` equals the edge's time exactly, so a path that crosses the
/// point's edge costs the same in either direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor {
    /// The edge it joins.
    pub edge: EdgeId,
    /// Time from the edge's `u` end to the point along the edge.
    pub to_u: TimeMs,
    /// Time from the point to the edge's `v` end.
    pub to_v: TimeMs,
    /// Time to walk from the point itself to the edge (its access distance).
    pub access: TimeMs,
}

impl Anchor {
    /// Costs a snap at the graph's walking speed.
    pub fn from_snap(graph: &WalkGraph, snap: &Snap) -> Anchor {
        let to_u = graph.time_to_offset(snap.edge, snap.offset_m);
        let total = graph.edge_time(snap.edge);
        Anchor {
            edge: snap.edge,
            to_u,
            to_v: TimeMs(total.0 - to_u.0.min(total.0)),
            access: TimeMs::from_secs_f64(snap.access_m / graph.speed_m_s()),
        }
    }

    /// Search seeds for starting at this point: both ends of its edge, at the
    /// access walk plus the walk along the edge to that end.
    #[inline]
    pub fn seeds(&self, graph: &WalkGraph) -> [(NodeId, TimeMs); 2] {
        let (u, v) = graph.edge_endpoints(self.edge);
        [(u, self.access.saturating_add(self.to_u)), (v, self.access.saturating_add(self.to_v))]
    }

    /// Time between two anchors on the same edge, walking along it (accesses included).
    #[inline]
    pub fn same_edge_time(&self, other: &Anchor) -> TimeMs {
        debug_assert_eq!(self.edge, other.edge);
        TimeMs(self.to_u.0.abs_diff(other.to_u.0)).saturating_add(self.access).saturating_add(other.access)
    }
}
