//! Depth-first branch-and-bound nearest-edge search over the snapping R-tree.
//!
//! rstar's own `nearest_neighbor` prunes with a min-max bound that can discard
//! the true nearest on large trees (rstar issues #13 and #53; on
//! `scale-6regions` two homes snapped to an edge 9 m farther than the
//! nearest), and its exact iterator measures every
//! sibling polyline when a leaf node is opened. This search opens a node's
//! children nearest box first, going down before going on (so the first leaf
//! reached gives a close bound at once), and skips every child whose box is
//! farther than the best exact edge distance so far (plus a rounding slack:
//! box and edge distances round differently). Every edge at the best distance
//! is measured and handed to the caller, who picks by exact distance, then
//! edge: ties go to the first in edge order, as in [`super::snap_brute_force`].
//!
//! Measured against the best-first search with one heap of bounds that it
//! replaced (same answers): about half the time per query (the heap pushed
//! some 40 entries a query; box distances are now inlined, and children are
//! picked by selection, as the search usually closes after one or two).
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

use rstar::{AABB, RTreeNode};

use super::{EdgeShape, EdgeTree};

/// The search's scratch, reused across the searches of one thread's batch
/// (no allocation per search once it has grown): per tree level, the
/// children of the node being opened with their box distances.
#[derive(Default)]
pub(super) struct Scratch<'a> {
    levels: Vec<Vec<(f64, &'a RTreeNode<EdgeShape>)>>,
    /// The edge the previous search found: a batch's points are often near
    /// each other, so its distance is a close first bound for the next.
    last: Option<&'a EdgeShape>,
}

/// Every edge of `tree` at the smallest squared distance from `q` (and any
/// within a rounding error of it) if that is at most `max_d2`, each handed to
/// `visit` with the segment where it is met (with possibly some farther ones: the caller picks by exact
/// distance, then edge); none for an empty tree or when every edge is farther.
pub(super) fn nearest_edges<'a>(
    scratch: &mut Scratch<'a>,
    tree: &'a EdgeTree,
    q: [f64; 3],
    max_d2: f64,
    mut visit: impl FnMut(&'a EdgeShape, u32),
) {
    // Any edge's distance bounds the nearest one's: the previous answer's
    // prunes from the first level on (it is met again, and measured, if it
    // is still the nearest; the answer never depends on it).
    let mut best = scratch.last.map_or(max_d2, |edge| max_d2.min(edge.nearest(&tree.points, q).0));
    let mut found = None;
    let search = Search { points: &tree.points, q };
    descend(scratch, 0, tree.rtree.root().children(), search, &mut best, &mut |edge: &'a EdgeShape, seg| {
        found = Some(edge);
        visit(edge, seg);
    });
    if found.is_some() {
        scratch.last = found;
    }
}

/// Box and edge distances are rounded differently (a junction vertex is a
/// corner of each edge's box): bounds are compared with a little slack, so
/// every edge tied at the best distance is still measured.
fn slack(best: f64) -> f64 {
    best + best * 1e-9 + 1e-12
}

/// Squared distance from `q` to the nearest point of `b` (0 inside): rstar's
/// `AABB::distance_2`, written out so that it inlines.
#[inline]
fn box_distance_2(b: &AABB<[f64; 3]>, q: [f64; 3]) -> f64 {
    let (lo, hi) = (b.lower(), b.upper());
    let mut d2 = 0.0;
    for k in 0..3 {
        let d = (lo[k] - q[k]).max(0.0).max(q[k] - hi[k]);
        d2 += d * d;
    }
    d2
}

/// What one search looks for, and where the edges' polylines are.
#[derive(Clone, Copy)]
struct Search<'a> {
    points: &'a [[f64; 3]],
    q: [f64; 3],
}

/// Opens the children of one node nearest first, skipping any whose box is
/// farther than the best edge so far.
fn descend<'a>(
    scratch: &mut Scratch<'a>,
    depth: usize,
    children: &'a [RTreeNode<EdgeShape>],
    search: Search<'a>,
    best: &mut f64,
    visit: &mut impl FnMut(&'a EdgeShape, u32),
) {
    if scratch.levels.len() <= depth {
        scratch.levels.resize_with(depth + 1, Vec::new);
    }
    let q = search.q;
    let mut near = std::mem::take(&mut scratch.levels[depth]);
    near.clear();
    for child in children {
        let d2 = match child {
            RTreeNode::Parent(p) => box_distance_2(&p.envelope(), q),
            RTreeNode::Leaf(edge) => box_distance_2(&edge.envelope, q),
        };
        if d2 <= slack(*best) {
            near.push((d2, child));
        }
    }
    // Nearest first, by selection: the search usually closes after a child
    // or two, so sorting them all would be wasted.
    while let Some((i, &(d2, child))) = near.iter().enumerate().min_by(|a, b| a.1.0.total_cmp(&b.1.0)) {
        if d2 > slack(*best) {
            break;
        }
        near.swap_remove(i);
        match child {
            RTreeNode::Parent(p) => descend(scratch, depth + 1, p.children(), search, best, visit),
            RTreeNode::Leaf(edge) => {
                let (exact, seg) = edge.nearest(search.points, q);
                if exact <= slack(*best) {
                    *best = best.min(exact);
                    visit(edge, seg);
                }
            }
        }
    }
    scratch.levels[depth] = near;
}
