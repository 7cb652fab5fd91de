//! Slow, obvious references built on petgraph (an independent Dijkstra) and
//! plain loops.

use std::collections::HashMap;

use lifecircle::graph::WalkGraph;
use lifecircle::ids::{EdgeId, NodeId, TimeMs};
use lifecircle::routing::Anchor;
use petgraph::algo::dijkstra;
use petgraph::graph::{DiGraph, NodeIndex, UnGraph};

/// Time to every node from `seeds` with petgraph's Dijkstra on a copy of `g`
/// (edge weight = `edge_time`), multi-source through an extra super-source
/// node; `None` where unreachable.
pub fn node_times(g: &WalkGraph, seeds: &[(NodeId, TimeMs)]) -> Vec<Option<u64>> {
    let n = g.num_nodes();
    let mut pg = DiGraph::<(), u64>::with_capacity(n + 1, 2 * g.num_edges() + seeds.len());
    for _ in 0..=n {
        pg.add_node(());
    }
    for e in 0..g.num_edges() {
        let e = EdgeId(e as u32);
        let (u, v) = g.edge_endpoints(e);
        let t = g.edge_time(e).0 as u64;
        pg.add_edge(NodeIndex::new(u.idx()), NodeIndex::new(v.idx()), t);
        pg.add_edge(NodeIndex::new(v.idx()), NodeIndex::new(u.idx()), t);
    }
    let source = NodeIndex::new(n);
    for &(s, t) in seeds {
        pg.add_edge(source, NodeIndex::new(s.idx()), t.0 as u64);
    }
    let d = dijkstra(&pg, source, None, |e| *e.weight());
    (0..n).map(|i| d.get(&NodeIndex::new(i)).copied()).collect()
}

/// The network with every home and facility inserted as a node: each anchor
/// splits its edge at `to_u` (points on one edge sorted by `to_u`, joined by
/// their time differences) and hangs off that point by its access time.
pub struct Expanded {
    /// The expanded network.
    pub graph: UnGraph<(), u64>,
    /// Node of each home (`None`: not on the network).
    pub homes: Vec<Option<NodeIndex>>,
    /// Node of each facility.
    pub facilities: Vec<Option<NodeIndex>>,
}

impl Expanded {
    /// Builds the expanded network. Panics if an anchor breaks `to_u + to_v == edge time`.
    pub fn new(g: &WalkGraph, facilities: &[Option<Anchor>], homes: &[Option<Anchor>]) -> Expanded {
        let mut graph = UnGraph::<(), u64>::default();
        for _ in 0..g.num_nodes() {
            graph.add_node(());
        }
        // Points per edge: (to_u, item node).
        let mut on_edge: HashMap<u32, Vec<(u32, NodeIndex)>> = HashMap::new();
        let mut place = |graph: &mut UnGraph<(), u64>, a: &Option<Anchor>| -> Option<NodeIndex> {
            let a = a.as_ref()?;
            let t = g.edge_time(a.edge).0;
            assert_eq!(a.to_u.0 as u64 + a.to_v.0 as u64, t as u64, "anchor {a:?}: to_u + to_v != edge time {t}");
            let item = graph.add_node(());
            let point = graph.add_node(());
            graph.add_edge(point, item, a.access.0 as u64);
            on_edge.entry(a.edge.0).or_default().push((a.to_u.0, point));
            Some(item)
        };
        let facility_nodes: Vec<_> = facilities.iter().map(|a| place(&mut graph, a)).collect();
        let home_nodes: Vec<_> = homes.iter().map(|a| place(&mut graph, a)).collect();
        for e in 0..g.num_edges() as u32 {
            let (u, v) = g.edge_endpoints(EdgeId(e));
            let t = g.edge_time(EdgeId(e)).0;
            let mut points = on_edge.remove(&e).unwrap_or_default();
            points.sort_by_key(|p| p.0);
            let mut prev = (0u32, NodeIndex::new(u.idx()));
            for p in points {
                graph.add_edge(prev.1, p.1, (p.0 - prev.0) as u64);
                prev = p;
            }
            graph.add_edge(prev.1, NodeIndex::new(v.idx()), (t - prev.0) as u64);
        }
        Expanded { graph, homes: home_nodes, facilities: facility_nodes }
    }

    /// Times from `from` to every node.
    pub fn times_from(&self, from: NodeIndex) -> HashMap<NodeIndex, u64> {
        dijkstra(&self.graph, from, None, |e| *e.weight()).into_iter().collect()
    }

    /// `times[f][h]`: time from facility `f` to home `h` (`None`: unreachable or off the network).
    pub fn facility_home_times(&self) -> Vec<Vec<Option<u64>>> {
        self.facilities
            .iter()
            .map(|f| match f {
                None => vec![None; self.homes.len()],
                Some(f) => {
                    let d = self.times_from(*f);
                    self.homes.iter().map(|h| h.and_then(|h| d.get(&h).copied())).collect()
                }
            })
            .collect()
    }
}

/// Reference coverage from a facility × home time matrix: nearest time per home and count within `threshold`.
pub fn coverage(times: &[Vec<Option<u64>>], n_homes: usize, threshold: TimeMs) -> (Vec<Option<u64>>, Vec<u32>) {
    let nearest = (0..n_homes).map(|h| times.iter().filter_map(|row| row[h]).min()).collect();
    let counts = (0..n_homes)
        .map(|h| times.iter().filter(|row| row[h].is_some_and(|t| t <= threshold.0 as u64)).count() as u32)
        .collect();
    (nearest, counts)
}

/// The library's time as the reference's `Option` (`INF` is `None`).
pub fn opt(t: TimeMs) -> Option<u64> {
    (t != TimeMs::INF).then_some(t.0 as u64)
}
