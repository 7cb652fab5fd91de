//! Walkable ways to a petgraph `UnGraph`, then to the frozen [`WalkGraph`].
//!
//! Way references come with their node indices (resolved when the file was
//! read, [`OsmData::way_node_indices`]); ways are split at
//! nodes shared with another walkable way (or used twice by one way) and where
//! a referenced node is missing from a clipped extract (those segments are
//! skipped and counted); the pieces are found per way in parallel. Each piece
//! becomes an edge of a petgraph `UnGraph<u32, (highway, speed factor)>`
//! (node weight: the OSM node's index in [`OsmData`]; added in way order, so
//! the numbering does not depend on the thread count; capacities reserved
//! from exact upper bounds), and [`connected_components`] runs petgraph's
//! union-find over its edges, on one core while the others write the
//! geometry into one flat array indexed by edge; the kept components are frozen into the
//! CSR [`WalkGraph`] in graph order (nodes first seen first, edges in way
//! order). `O(way refs + N + E α(N))`.

use std::borrow::Cow;

use petgraph::graph::{NodeIndex, UnGraph};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::Path;

use super::components::{components_to_keep, connected_components};
use super::walk_graph::WalkGraph;
use crate::error::{Error, ErrorKind, Result};
use crate::osm::MISSING_NODE;
use crate::osm::OsmData;

/// What graph building saw and did, for the summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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

/// A node reference that cannot be used (missing or blocked), or a node not yet numbered.
const NONE: u32 = MISSING_NODE;

/// Edges being collected for one [`WalkGraph`], geometry in one flat array.
#[derive(Default)]
struct FlatEdges {
    ends: Vec<(u32, u32, u16)>,
    factors: Vec<f64>,
    geom_offsets: Vec<u32>,
    geom: Vec<[f64; 2]>,
}

impl FlatEdges {
    fn push(&mut self, u: u32, v: u32, highway: u16, factor: f32, geometry: &[[f64; 2]]) {
        if self.geom_offsets.is_empty() {
            self.geom_offsets.push(0);
        }
        self.ends.push((u, v, highway));
        self.factors.push(factor as f64);
        self.geom.extend_from_slice(geometry);
        self.geom_offsets.push(self.geom.len() as u32);
    }

    fn freeze(mut self, node_lonlat: Vec<[f64; 2]>, speed_m_s: f64) -> WalkGraph {
        if self.geom_offsets.is_empty() {
            self.geom_offsets.push(0);
        }
        WalkGraph::from_flat(node_lonlat, self.ends, self.geom_offsets, self.geom, speed_m_s, &self.factors)
    }
}

/// One edge of a way: its references `first..=last` (all present).
struct Piece {
    way: u32,
    first: u32,
    last: u32,
}

/// What [`way_pieces`] counts: segments skipped, and runs of present nodes.
#[derive(Default, Clone, Copy)]
struct WayCounts {
    missing: usize,
    runs: usize,
}

/// Appends the edges of one way (`refs` resolved, `NONE` where a node is
/// missing or blocked) to `pieces`: the way is cut at junctions (`uses` >= 2)
/// and around missing nodes, whose segments are skipped; a piece that would
/// be a single point, or a loop of two points, is no edge. Returns the
/// segments skipped and the runs of present nodes.
fn way_pieces(way: u32, refs: &[u32], uses: &[u8], pieces: &mut Vec<Piece>) -> WayCounts {
    let present = |k: usize| refs[k] != NONE;
    let (mut missing, mut runs) = (0usize, 0usize);
    let mut start: Option<usize> = None;
    let mut push = |first: usize, last: usize| pieces.push(Piece { way, first: first as u32, last: last as u32 });
    for (k, &r) in refs.iter().enumerate() {
        if r == NONE {
            if k > 0 && present(k - 1) {
                missing += 1;
            }
            if k + 1 < refs.len() {
                missing += 1;
            }
            if let Some(s) = start.take() {
                // The piece s..k-1 (k - s points) ends before the missing node.
                if refs[k - 1] != refs[s] || k - s > 2 {
                    push(s, k - 1);
                }
            }
            continue;
        }
        match start {
            None => {
                start = Some(k);
                runs += 1;
            }
            Some(s) => {
                let is_end = k + 1 == refs.len() || !present(k + 1);
                if is_end || uses[r as usize] >= 2 {
                    let len = k - s + 1;
                    if len >= 2 && (r != refs[s] || len > 2) {
                        push(s, k);
                    }
                    start = Some(k);
                }
            }
        }
    }
    WayCounts { missing, runs }
}

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

    // Every reference's node index (read, ways in parallel): NONE when the
    // node is missing from the extract or blocked by the profile. A way's
    // indices are borrowed as they are unless it repeats a node in a row or
    // passes a blocked one.
    let resolved: Vec<(Cow<'_, [u32]>, usize, usize)> = walkable
        .par_iter()
        .map(|w| {
            let (nodes, indices) = (data.way_nodes(w.way as usize), data.way_node_indices(w.way as usize));
            let blocked = |n: &i64| !data.blocked_nodes.is_empty() && data.blocked_nodes.binary_search(n).is_ok();
            let missing = |r: &[u32]| r.iter().filter(|&&i| i == MISSING_NODE).count();
            if !nodes.windows(2).any(|p| p[0] == p[1]) && !nodes.iter().any(blocked) {
                return (Cow::Borrowed(indices), 0, missing(indices));
            }
            let (mut blocked_refs, mut r) = (0usize, Vec::with_capacity(nodes.len()));
            let mut prev: Option<i64> = None;
            for (&n, &idx) in nodes.iter().zip(indices) {
                if prev == Some(n) {
                    continue; // a repeated consecutive reference adds nothing
                }
                prev = Some(n);
                // A node the profile cannot pass cuts the way like a missing node.
                let is_blocked = blocked(&n);
                blocked_refs += is_blocked as usize;
                r.push(if is_blocked { NONE } else { idx });
            }
            let missing_refs = missing(&r) - blocked_refs;
            (Cow::Owned(r), blocked_refs, missing_refs)
        })
        .collect();
    // How many times each node is used by walkable ways: junctions are used twice or more.
    let mut uses = vec![0u8; data.node_ids.len()];
    let (mut blocked_refs, mut missing_refs, mut node_refs) = (0usize, 0usize, 0usize);
    for (r, blocked, missing) in &resolved {
        blocked_refs += blocked;
        missing_refs += missing;
        node_refs += r.len();
        for &i in r.iter().filter(|&&i| i != NONE) {
            uses[i as usize] = uses[i as usize].saturating_add(1);
        }
    }

    // Split the ways into edges, in three steps: the pieces of every way
    // found in parallel (ends as positions in its references), then added to
    // the graph in way order (graph nodes, weight: the OSM node's index,
    // numbered in first-seen order), then their geometry written in parallel
    // into one flat array indexed by edge.
    let pos = |i: u32| {
        let p = data.node_pos[i as usize];
        [p[0] as f64 * 1e-7, p[1] as f64 * 1e-7]
    };
    let pieces: Vec<(Vec<Piece>, WayCounts)> = resolved
        .par_iter()
        .enumerate()
        .with_min_len(256)
        .fold(
            || (Vec::new(), WayCounts::default()),
            |(mut pieces, counts), (way, (refs, _, _))| {
                let c = way_pieces(way as u32, refs, &uses, &mut pieces);
                (pieces, WayCounts { missing: counts.missing + c.missing, runs: counts.runs + c.runs })
            },
        )
        .collect();
    let piece_points = |p: &Piece| (p.last - p.first + 1) as usize;
    let points: usize = pieces.iter().flat_map(|p| &p.0).map(piece_points).sum();
    if u32::try_from(points).is_err() {
        return Err(Error::pbf(
            path,
            format!("{points} walkable way points: more than the {} this version can index", u32::MAX),
        ));
    }
    // Capacities, so the graph is allocated once: an edge per piece, and every
    // graph node is a junction or a run's end.
    let n_pieces: usize = pieces.iter().map(|p| p.0.len()).sum();
    let runs: usize = pieces.iter().map(|p| p.1.runs).sum();
    let junctions = uses.iter().filter(|&&u| u >= 2).count();
    // The graph is built on one core (its numbering follows way order) while
    // the geometry is written on the others: neither reads what the other writes.
    let mut geom: Vec<[f64; 2]> = vec![[0.0; 2]; points];
    let outs =
        crate::parts::split_lengths(&mut geom, pieces.iter().map(|(part, _)| part.iter().map(piece_points).sum()));
    let ((graph, geom_offsets, missing_segments, (label, sizes)), ()) = rayon::join(
        || {
            let mut graph: UnGraph<u32, EdgeAttrs> =
                UnGraph::with_capacity((junctions + 2 * runs).min(data.node_ids.len()), n_pieces);
            let mut node_of = vec![NodeIndex::end(); data.node_ids.len()];
            let mut graph_node = |graph: &mut UnGraph<u32, EdgeAttrs>, i: u32| -> NodeIndex {
                if node_of[i as usize] == NodeIndex::end() {
                    node_of[i as usize] = graph.add_node(i);
                }
                node_of[i as usize]
            };
            let mut geom_offsets: Vec<u32> = Vec::with_capacity(n_pieces + 1);
            geom_offsets.push(0);
            let mut written = 0usize;
            let mut missing_segments = 0usize;
            for (part, counts) in &pieces {
                missing_segments += counts.missing;
                for p in part {
                    let (refs, w) = (&resolved[p.way as usize].0, walkable[p.way as usize]);
                    let (a, b) =
                        (graph_node(&mut graph, refs[p.first as usize]), graph_node(&mut graph, refs[p.last as usize]));
                    graph.add_edge(a, b, (w.highway, w.speed_factor));
                    written += piece_points(p);
                    geom_offsets.push(written as u32);
                }
            }
            let components = connected_components(&graph);
            (graph, geom_offsets, missing_segments, components)
        },
        || {
            pieces.par_iter().zip(outs).for_each(|((part, _), out)| {
                let mut k = 0;
                for p in part {
                    for &r in &resolved[p.way as usize].0[p.first as usize..=p.last as usize] {
                        out[k] = pos(r);
                        k += 1;
                    }
                }
            })
        },
    );
    drop(pieces);
    drop(resolved);
    drop(uses);
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

    let keep = components_to_keep(&sizes, min_component_nodes);

    // Freeze into the CSR WalkGraph: the kept nodes renumbered in graph order
    // (first seen); dropped islands get their own numbering, so homes nearest
    // to them can be counted.
    let num_nodes = graph.node_count();
    let mut new_id = vec![NONE; num_nodes];
    let mut node_lonlat = Vec::new();
    let mut island_id = vec![NONE; num_nodes];
    let mut island_lonlat = Vec::new();
    for (n, &src) in graph.node_weights().enumerate() {
        if keep[label[n] as usize] {
            new_id[n] = node_lonlat.len() as u32;
            node_lonlat.push(pos(src));
        } else {
            island_id[n] = island_lonlat.len() as u32;
            island_lonlat.push(pos(src));
        }
    }
    let kept_nodes = node_lonlat.len();
    let mut main = FlatEdges::default();
    let mut island = FlatEdges::default();
    let ends = |e: &petgraph::graph::Edge<EdgeAttrs>| (e.source().index() as u32, e.target().index() as u32);
    if kept_nodes == num_nodes {
        // Nothing dropped: the numbering is unchanged, and the geometry moves over as it is.
        main.ends = graph.raw_edges().iter().map(|e| (ends(e).0, ends(e).1, e.weight.0)).collect();
        main.factors = graph.raw_edges().iter().map(|e| e.weight.1 as f64).collect();
        main.geom_offsets = geom_offsets;
        main.geom = geom;
    } else {
        // The kept edges keep their order, so their geometry moves down within
        // the same array (no second copy of the network's geometry); the
        // islands' (few) is copied out.
        let kept_edges =
            graph.edge_count() - graph.raw_edges().iter().filter(|e| new_id[ends(e).0 as usize] == NONE).count();
        main.ends.reserve_exact(kept_edges);
        main.factors.reserve_exact(kept_edges);
        main.geom_offsets.reserve_exact(kept_edges + 1);
        main.geom_offsets.push(0);
        let mut kept_points = 0usize;
        for (e, edge) in graph.raw_edges().iter().enumerate() {
            let (a, b) = (geom_offsets[e] as usize, geom_offsets[e + 1] as usize);
            let ((s, t), (highway, factor)) = (ends(edge), edge.weight);
            if new_id[s as usize] == NONE {
                island.push(island_id[s as usize], island_id[t as usize], highway, factor, &geom[a..b]);
            } else {
                main.ends.push((new_id[s as usize], new_id[t as usize], highway));
                main.factors.push(factor as f64);
                geom.copy_within(a..b, kept_points);
                kept_points += b - a;
                main.geom_offsets.push(kept_points as u32);
            }
        }
        geom.truncate(kept_points);
        main.geom = geom;
    }
    drop(graph);
    let dropped_edges = island.ends.len();
    let g = main.freeze(node_lonlat, speed_m_s);
    let islands = island.freeze(island_lonlat, speed_m_s);
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
