//! Best-first nearest-edge search over the snapping R-tree.
//!
//! rstar's own `nearest_neighbor` prunes with a min-max bound that can discard
//! the true nearest on large trees (rstar issues #13 and #53; on
//! `scale-6regions` two homes snapped to an edge 9 m farther than the
//! nearest), and its exact iterator measures every
//! sibling polyline when a leaf node is opened. This search keeps one heap of
//! lower bounds: a node's box distance, an edge's box distance until it is
//! popped, then the edge's exact distance. It stops once the smallest bound
//! left exceeds the best exact distance (plus a rounding slack: box and edge
//! distances round differently), so every edge at the best distance
//! is measured and ties go to the first in edge order, as in
//! [`super::snap_brute_force`].
//!
//! Complexity: `O(log E)` expected node visits for `E` edges, each edge
//! measured in `O(segments)` only when its box is nearer than the best so far.
//!
//! ```
//! use lifecircle::graph::{EdgeSpec, WalkGraph};
//! use lifecircle::ids::NodeId;
//! use lifecircle::snap::{SnapIndex, snap_brute_force};
//! // Two edges meeting at a junction: a point on the junction is as near both.
//! let nodes = vec![[8.0, 47.0], [8.001, 47.0], [8.001, 47.001]];
//! let edge = |u: usize, v: usize| EdgeSpec {
//!     u: NodeId(u as u32),
//!     v: NodeId(v as u32),
//!     geometry: vec![nodes[u], nodes[v]],
//!     highway: 0,
//! };
//! let g = WalkGraph::new(nodes.clone(), vec![edge(1, 2), edge(0, 1)], 1.25);
//! let index = SnapIndex::new(&g);
//! let junction = nodes[1];
//! assert_eq!(index.snap(&g, junction), snap_brute_force(&g, junction));
//! assert_eq!(index.snap(&g, junction).unwrap().edge.0, 0); // the first edge of the two
//! ```

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rstar::{PointDistance, RTree, RTreeNode};

use super::{EdgeShape, EdgeTreeParams};

/// The search's heap, reused across the searches of one thread's batch
/// (no allocation per search once it has grown).
pub(super) type Heap<'a> = BinaryHeap<Entry<'a>>;

/// A heap entry: a lower bound of the squared distance and what it bounds.
pub(super) struct Entry<'a> {
    d2: f64,
    item: Item<'a>,
}

/// What an [`Entry`] bounds.
enum Item<'a> {
    /// A tree node: its box's distance.
    Node(&'a [RTreeNode<EdgeShape>]),
    /// An edge not yet measured: its box's distance.
    Boxed(&'a EdgeShape),
    /// An edge measured: its exact distance.
    Exact(&'a EdgeShape),
}

impl PartialEq for Entry<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry<'_> {}
impl PartialOrd for Entry<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry<'_> {
    /// Reversed, so the max-heap pops the smallest bound first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.d2.total_cmp(&self.d2)
    }
}

/// Every edge of `tree` at the smallest squared distance from `q` (and any
/// within a rounding error of it) if that is at most `max_d2`, each handed to
/// `visit` (in no particular order; the caller picks by exact distance, then
/// edge); none for an empty tree or when every edge is farther.
pub(super) fn nearest_edges<'a>(
    heap: &mut Heap<'a>,
    tree: &'a RTree<EdgeShape, EdgeTreeParams>,
    q: [f64; 3],
    max_d2: f64,
    mut visit: impl FnMut(&'a EdgeShape),
) {
    let mut best = max_d2;
    // Box and edge distances are rounded differently (a junction vertex is a
    // corner of each edge's box): bounds are compared with a little slack, so
    // every edge tied at the best distance is still measured.
    let slack = |best: f64| best + best * 1e-9 + 1e-12;
    heap.clear();
    heap.push(Entry { d2: 0.0, item: Item::Node(tree.root().children()) });
    while let Some(Entry { d2, item }) = heap.pop() {
        if d2 > slack(best) {
            break;
        }
        match item {
            Item::Node(children) => {
                for child in children {
                    let entry = match child {
                        RTreeNode::Parent(p) => {
                            Entry { d2: p.envelope().distance_2(&q), item: Item::Node(p.children()) }
                        }
                        RTreeNode::Leaf(edge) => Entry { d2: edge.envelope.distance_2(&q), item: Item::Boxed(edge) },
                    };
                    if entry.d2 <= slack(best) {
                        heap.push(entry);
                    }
                }
            }
            Item::Boxed(edge) => {
                let exact = edge.distance_2(&q);
                if exact <= slack(best) {
                    best = best.min(exact);
                    heap.push(Entry { d2: exact, item: Item::Exact(edge) });
                }
            }
            Item::Exact(edge) => visit(edge),
        }
    }
}
