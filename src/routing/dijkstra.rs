//! Dijkstra's algorithm with several sources and an optional time budget.
//!
//! Complexity: `O((V' + E') log V')` for the `V'` nodes and `E'` edges within
//! the budget. The workspace keeps node-sized arrays between searches and
//! resets them in `O(1)` with a generation stamp, so a batch of bounded
//! searches allocates nothing per search.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::graph::WalkGraph;
use crate::ids::{NodeId, TimeMs};

/// Reusable state for [`dijkstra`].
#[derive(Debug, Clone)]
pub struct DijkstraWorkspace {
    dist: Vec<u32>,
    stamp: Vec<u32>,
    generation: u32,
    heap: BinaryHeap<Reverse<(u32, u32)>>,
    settled: Vec<u32>,
}

impl DijkstraWorkspace {
    /// A workspace for graphs of up to `num_nodes` nodes.
    pub fn new(num_nodes: usize) -> DijkstraWorkspace {
        DijkstraWorkspace {
            dist: vec![u32::MAX; num_nodes],
            stamp: vec![0; num_nodes],
            generation: 0,
            heap: BinaryHeap::new(),
            settled: Vec::new(),
        }
    }

    fn reset(&mut self, num_nodes: usize) {
        if self.dist.len() < num_nodes {
            self.dist.resize(num_nodes, u32::MAX);
            self.stamp.resize(num_nodes, 0);
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.stamp.fill(0);
            self.generation = 1;
        }
        self.heap.clear();
        self.settled.clear();
    }

    /// Time to `n` found by the last search ([`TimeMs::INF`] if not reached within the budget).
    #[inline]
    pub fn time(&self, n: NodeId) -> TimeMs {
        if self.stamp[n.idx()] == self.generation { TimeMs(self.dist[n.idx()]) } else { TimeMs::INF }
    }

    /// Nodes settled by the last search, in order of increasing time.
    pub fn settled(&self) -> impl ExactSizeIterator<Item = NodeId> + '_ {
        self.settled.iter().map(|&n| NodeId(n))
    }

    #[inline]
    fn improve(&mut self, n: u32, d: u32) -> bool {
        let i = n as usize;
        if self.stamp[i] != self.generation || d < self.dist[i] {
            self.stamp[i] = self.generation;
            self.dist[i] = d;
            true
        } else {
            false
        }
    }
}

/// Runs Dijkstra from `seeds` (node, starting time), settling every node whose
/// time is at most `budget`. Afterwards [`DijkstraWorkspace::time`] gives each
/// node's time and [`DijkstraWorkspace::settled`] lists the settled nodes.
///
/// ```
/// use lifecircle::graph::{EdgeSpec, WalkGraph};
/// use lifecircle::ids::{NodeId, TimeMs};
/// use lifecircle::routing::{DijkstraWorkspace, dijkstra};
/// let nodes = vec![[0.0, 0.0], [0.001, 0.0], [0.002, 0.0]];
/// let e = |u: u32, v: u32| EdgeSpec { u: NodeId(u), v: NodeId(v), geometry: vec![nodes[u as usize], nodes[v as usize]], highway: 0 };
/// let g = WalkGraph::new(nodes.clone(), vec![e(0, 1), e(1, 2)], 1.0);
/// let mut ws = DijkstraWorkspace::new(g.num_nodes());
/// dijkstra(&g, &mut ws, &[(NodeId(0), TimeMs(0))], TimeMs(120_000));
/// assert_eq!(ws.time(NodeId(1)), g.edge_time(lifecircle::ids::EdgeId(0)));
/// assert_eq!(ws.time(NodeId(2)), TimeMs::INF); // 222 s is over the 120 s budget
/// ```
pub fn dijkstra(graph: &WalkGraph, ws: &mut DijkstraWorkspace, seeds: &[(NodeId, TimeMs)], budget: TimeMs) {
    ws.reset(graph.num_nodes());
    for &(n, t) in seeds {
        if t <= budget && ws.improve(n.0, t.0) {
            ws.heap.push(Reverse((t.0, n.0)));
        }
    }
    while let Some(Reverse((d, n))) = ws.heap.pop() {
        if d != ws.dist[n as usize] {
            continue; // a stale entry: n was reached faster since
        }
        ws.settled.push(n);
        let (nbrs, times) = graph.adjacency(n);
        for (&m, &t) in nbrs.iter().zip(times) {
            let nd = d.saturating_add(t);
            if nd <= budget.0 && ws.improve(m, nd) {
                ws.heap.push(Reverse((nd, m)));
            }
        }
    }
}
