//! Walkable ways to a petgraph graph, then to the frozen [`WalkGraph`].
//!
//! Ways are split at nodes shared with another walkable way (or used twice by
//! one way) and where a referenced node is missing from a clipped extract
//! (those segments are skipped and counted). `O(way refs + E α(N))`.

use petgraph::graph::{NodeIndex, UnGraph};
use petgraph::visit::EdgeRef;
use serde::Serialize;
use std::path::Path;

use super::components::{components_to_keep, connected_components};
use super::walk_graph::{EdgeSpec, WalkGraph};
use crate::error::{Error, ErrorKind, Result};
use crate::ids::NodeId;
use crate::osm::OsmData;

/// What graph building saw and did, for the summary.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GraphReport {
    /// Walkable ways in the extract.
    pub walkable_ways: usize,
    /// Way segments skipped because a node is missing from the extract (or blocked by the profile).
    pub segments_missing_nodes: usize,
    /// Way references to nodes the profile cannot pass (e.g. raised kerbs for wheelchairs).
    pub blocked_node_refs: usize,
    /// Nodes of the kept graph (way ends and junctions).
    pub nodes: usize,
    /// Edges of the kept graph.
    pub edges: usize,
    /// Total walkable length kept, in km.
    pub length_km: f64,
    /// Connected components before filtering.
    pub components: usize,
    /// Components kept (the largest, and any of at least `min_component_nodes` nodes).
    pub components_kept: usize,
    /// The size threshold used.
    pub min_component_nodes: usize,
    /// Nodes on dropped islands.
    pub island_nodes_dropped: usize,
    /// Edges on dropped islands.
    pub island_edges_dropped: usize,
}

/// Per-way edge attributes: `highway=*` value index and speed factor.
type EdgeAttrs = (u16, f32);

/// The petgraph edge weight while building: geometry and attributes.
type EdgeWeight = (Vec<[f64; 2]>, EdgeAttrs);

/// The result of [`build_graph`].
#[derive(Debug, Clone)]
pub struct BuiltGraph {
    /// The kept network.
    pub graph: WalkGraph,
    /// The dropped islands, as a graph of their own (to report homes nearest to them).
    pub islands: WalkGraph,
    /// What was done.
    pub report: GraphReport,
}

/// Builds the walking graph of the walkable ways in `data`.
///
/// `path` names the source in errors; `speed_m_s` sets edge times. Fails with
/// [`ErrorKind::NoWalkableWays`] when no edge can be built.
pub fn build_graph(data: &OsmData, speed_m_s: f64, min_component_nodes: usize, path: &Path) -> Result<BuiltGraph> {
    if !speed_m_s.is_finite() || speed_m_s <= 0.0 {
        return Err(Error::parameter("--speed-kmh", "must be positive"));
    }
    let walkable: Vec<_> = data.way_info.iter().filter(|w| w.walkable).collect();

    // How many times each node is used by walkable ways: junctions are used twice or more.
    let mut uses = vec![0u8; data.node_ids.len()];
    let mut blocked_refs = 0usize;
    let (mut node_refs, mut missing_refs) = (0usize, 0usize);
    let mut way_resolved: Vec<(Vec<Option<u32>>, EdgeAttrs)> = Vec::with_capacity(walkable.len());
    for w in &walkable {
        let nodes = data.way_nodes(w.way as usize);
        let mut prev: Option<i64> = None;
        let mut r = Vec::with_capacity(nodes.len());
        for &n in nodes {
            if prev == Some(n) {
                continue; // a repeated consecutive reference adds nothing
            }
            prev = Some(n);
            // A node the profile cannot pass cuts the way like a missing node.
            let blocked = !data.blocked_nodes.is_empty() && data.blocked_nodes.binary_search(&n).is_ok();
            blocked_refs += blocked as usize;
            let idx = if blocked { None } else { data.node_index(n).map(|i| i as u32) };
            node_refs += 1;
            missing_refs += (!blocked && idx.is_none()) as usize;
            if let Some(i) = idx {
                uses[i as usize] = uses[i as usize].saturating_add(1);
            }
            r.push(idx);
        }
        way_resolved.push((r, (w.highway, w.speed_factor)));
    }

    let mut graph: UnGraph<u32, EdgeWeight> = UnGraph::default();
    let mut node_of = vec![u32::MAX; data.node_ids.len()];
    let pos = |i: u32| {
        let p = data.node_pos[i as usize];
        [p[0] as f64 * 1e-7, p[1] as f64 * 1e-7]
    };
    let mut graph_node = |graph: &mut UnGraph<u32, EdgeWeight>, i: u32| -> NodeIndex {
        if node_of[i as usize] == u32::MAX {
            node_of[i as usize] = graph.add_node(i).index() as u32;
        }
        NodeIndex::new(node_of[i as usize] as usize)
    };
    let mut missing_segments = 0usize;
    for (refs, highway) in &way_resolved {
        let mut start: Option<u32> = None;
        let mut geometry: Vec<[f64; 2]> = Vec::new();
        for (k, r) in refs.iter().enumerate() {
            match r {
                None => {
                    // The segments on either side of a missing node are skipped.
                    if k > 0 && refs[k - 1].is_some() {
                        missing_segments += 1;
                    }
                    if k + 1 < refs.len() {
                        missing_segments += 1;
                    }
                    if let Some(s) = start.take() {
                        let last = refs[k - 1].expect("previous is present when a piece is open");
                        if last != s || geometry.len() > 2 {
                            let (a, b) = (graph_node(&mut graph, s), graph_node(&mut graph, last));
                            graph.add_edge(a, b, (std::mem::take(&mut geometry), *highway));
                        }
                    }
                    geometry.clear();
                }
                Some(i) => {
                    geometry.push(pos(*i));
                    match start {
                        None => start = Some(*i),
                        Some(s) => {
                            let is_end = k + 1 == refs.len() || refs[k + 1].is_none();
                            if is_end || uses[*i as usize] >= 2 {
                                if geometry.len() >= 2 && (*i != s || geometry.len() > 2) {
                                    let (a, b) = (graph_node(&mut graph, s), graph_node(&mut graph, *i));
                                    graph.add_edge(a, b, (std::mem::take(&mut geometry), *highway));
                                }
                                geometry.clear();
                                geometry.push(pos(*i));
                                start = Some(*i);
                            }
                        }
                    }
                }
            }
        }
    }
    // A lone node (a piece of one present node) gets no edge; it is not a graph node either.
    if graph.edge_count() == 0 {
        return Err(ErrorKind::NoWalkableWays {
            path: path.to_path_buf(),
            walkable_ways: walkable.len(),
            node_refs,
            missing_node_refs: missing_refs,
        }
        .into());
    }

    let (label, sizes) = connected_components(
        graph.node_count(),
        graph.edge_references().map(|e| (e.source().index(), e.target().index())),
    );
    let keep = components_to_keep(&sizes, min_component_nodes);

    // Freeze: renumber the kept nodes in first-seen order.
    let mut new_id = vec![u32::MAX; graph.node_count()];
    let mut node_lonlat = Vec::new();
    for n in graph.node_indices() {
        if keep[label[n.index()] as usize] {
            new_id[n.index()] = node_lonlat.len() as u32;
            node_lonlat.push(pos(graph[n]));
        }
    }
    let kept_nodes = node_lonlat.len();
    // Dropped islands get their own numbering, so homes nearest to them can be counted.
    let mut island_id = vec![u32::MAX; graph.node_count()];
    let mut island_lonlat = Vec::new();
    for n in graph.node_indices() {
        if new_id[n.index()] == u32::MAX {
            island_id[n.index()] = island_lonlat.len() as u32;
            island_lonlat.push(pos(graph[n]));
        }
    }
    let mut edges = Vec::with_capacity(graph.edge_count());
    let mut factors = Vec::with_capacity(graph.edge_count());
    let mut island_edges = Vec::new();
    let mut island_factors = Vec::new();
    let (_, raw_edges) = graph.into_nodes_edges();
    for e in raw_edges {
        let (s, t) = (e.source().index(), e.target().index());
        let (geometry, (highway, factor)) = e.weight;
        if new_id[s] == u32::MAX {
            island_edges.push(EdgeSpec { u: NodeId(island_id[s]), v: NodeId(island_id[t]), geometry, highway });
            island_factors.push(factor as f64);
        } else {
            edges.push(EdgeSpec { u: NodeId(new_id[s]), v: NodeId(new_id[t]), geometry, highway });
            factors.push(factor as f64);
        }
    }
    let dropped_edges = island_edges.len();
    let g = WalkGraph::with_speed_factors(node_lonlat, edges, speed_m_s, &factors);
    let islands = WalkGraph::with_speed_factors(island_lonlat, island_edges, speed_m_s, &island_factors);
    let length_km = (0..g.num_edges()).map(|e| g.edge_length_m(crate::ids::EdgeId(e as u32))).sum::<f64>() / 1000.0;
    let report = GraphReport {
        walkable_ways: walkable.len(),
        segments_missing_nodes: missing_segments,
        blocked_node_refs: blocked_refs,
        nodes: g.num_nodes(),
        edges: g.num_edges(),
        length_km,
        components: sizes.len(),
        components_kept: keep.iter().filter(|k| **k).count(),
        min_component_nodes,
        island_nodes_dropped: label.len() - kept_nodes,
        island_edges_dropped: dropped_edges,
    };
    Ok(BuiltGraph { graph: g, islands, report })
}
