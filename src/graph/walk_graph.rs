//! The frozen walking graph: compressed sparse rows over undirected edges.
//!
//! Every edge is stored once with its endpoints, length, time and geometry,
//! and twice in the adjacency arrays (once from each end; a self-loop once). Neighbour scans are
//! `O(degree)` over contiguous memory.

use rayon::prelude::*;

use crate::geometry::cumulative_lengths_m;
use crate::ids::{EdgeId, NodeId, TimeMs};

/// An edge to add to a [`WalkGraph`]: endpoints and the polyline between them.
#[derive(Debug, Clone)]
pub struct EdgeSpec {
    /// First endpoint.
    pub u: NodeId,
    /// Second endpoint.
    pub v: NodeId,
    /// The polyline from `u` to `v`, endpoints included, `[lon, lat]`.
    pub geometry: Vec<[f64; 2]>,
    /// Index of the way's `highway=*` value (for per-type speeds), 0 if unknown.
    pub highway: u16,
}

/// The walking network in the compact form the kernels use.
#[derive(Debug, Clone)]
pub struct WalkGraph {
    node_lonlat: Vec<[f64; 2]>,
    first_out: Vec<u32>,
    adj_node: Vec<u32>,
    adj_edge: Vec<u32>,
    adj_time: Vec<u32>,
    edge_u: Vec<u32>,
    edge_v: Vec<u32>,
    edge_len_m: Vec<f64>,
    edge_time: Vec<u32>,
    edge_highway: Vec<u16>,
    geom_offsets: Vec<u32>,
    geom: Vec<[f64; 2]>,
    /// Length from the edge's start to each geometry point, parallel to `geom`.
    geom_cum_m: Vec<f64>,
    speed_m_s: f64,
}

impl WalkGraph {
    /// Builds the graph from node positions and edges, walking at `speed_m_s`.
    ///
    /// Edge lengths are the haversine length of their geometry; times are
    /// rounded to whole milliseconds.
    ///
    /// ```
    /// use lifecircle::graph::{EdgeSpec, WalkGraph};
    /// use lifecircle::ids::NodeId;
    /// let nodes = vec![[0.0, 0.0], [0.001, 0.0]];
    /// let e = EdgeSpec { u: NodeId(0), v: NodeId(1), geometry: nodes.clone(), highway: 0 };
    /// let g = WalkGraph::new(nodes, vec![e], 1.25);
    /// assert_eq!(g.num_edges(), 1);
    /// assert!((g.edge_length_m(lifecircle::ids::EdgeId(0)) - 111.195).abs() < 0.01);
    /// ```
    pub fn new(node_lonlat: Vec<[f64; 2]>, edges: Vec<EdgeSpec>, speed_m_s: f64) -> WalkGraph {
        WalkGraph::with_speed_factors(node_lonlat, edges, speed_m_s, &[])
    }

    /// Like [`WalkGraph::new`], with a speed factor per edge (`speed_factors[i]`
    /// multiplies the speed on edge `i`; missing entries are 1). Access walks
    /// to the network use the plain `speed_m_s`.
    pub fn with_speed_factors(
        node_lonlat: Vec<[f64; 2]>,
        edges: Vec<EdgeSpec>,
        speed_m_s: f64,
        speed_factors: &[f64],
    ) -> WalkGraph {
        let mut ends = Vec::with_capacity(edges.len());
        let mut geom_offsets = Vec::with_capacity(edges.len() + 1);
        let mut geom = Vec::new();
        geom_offsets.push(0);
        for e in edges {
            ends.push((e.u.0, e.v.0, e.highway));
            geom.extend_from_slice(&e.geometry);
            geom_offsets.push(geom.len() as u32);
        }
        WalkGraph::from_flat(node_lonlat, ends, geom_offsets, geom, speed_m_s, speed_factors)
    }

    /// Like [`WalkGraph::with_speed_factors`], from flat arrays: edge `i` is
    /// `(u, v, highway)` = `ends[i]` with geometry `geom[geom_offsets[i]..geom_offsets[i + 1]]`.
    /// Lengths are summed per edge in geometry order (on the rayon pool, edges in parallel).
    pub(crate) fn from_flat(
        node_lonlat: Vec<[f64; 2]>,
        ends: Vec<(u32, u32, u16)>,
        geom_offsets: Vec<u32>,
        geom: Vec<[f64; 2]>,
        speed_m_s: f64,
        speed_factors: &[f64],
    ) -> WalkGraph {
        let n = node_lonlat.len();
        let m = ends.len();
        assert_eq!(geom_offsets.len(), m + 1, "one geometry range per edge");
        assert!(geom_offsets[0] == 0 && geom_offsets[m] as usize == geom.len(), "the ranges cover the geometry");
        // Allocated once at its size; each edge's part filled on the pool.
        let mut geom_cum_m = vec![0.0f64; geom.len()];
        let parts =
            crate::parts::split_lengths(&mut geom_cum_m, geom_offsets.windows(2).map(|w| (w[1] - w[0]) as usize));
        parts.into_par_iter().enumerate().for_each(|(i, part)| {
            cumulative_lengths_m(&geom[geom_offsets[i] as usize..geom_offsets[i + 1] as usize], part)
        });
        let mut g = WalkGraph {
            node_lonlat,
            first_out: vec![0; n + 1],
            adj_node: Vec::new(),
            adj_edge: Vec::new(),
            adj_time: Vec::new(),
            edge_u: Vec::with_capacity(m),
            edge_v: Vec::with_capacity(m),
            edge_len_m: Vec::with_capacity(m),
            edge_time: Vec::with_capacity(m),
            edge_highway: Vec::with_capacity(m),
            geom_offsets,
            geom,
            geom_cum_m,
            speed_m_s,
        };
        for (i, &(u, v, highway)) in ends.iter().enumerate() {
            assert!((u as usize) < n && (v as usize) < n, "edge endpoint out of range");
            let (a, b) = (g.geom_offsets[i] as usize, g.geom_offsets[i + 1] as usize);
            let len_m = if b > a { g.geom_cum_m[b - 1] } else { 0.0 };
            let factor = speed_factors.get(i).copied().unwrap_or(1.0);
            g.edge_u.push(u);
            g.edge_v.push(v);
            g.edge_len_m.push(len_m);
            g.edge_time.push(TimeMs::from_secs_f64(len_m / (speed_m_s * factor)).0);
            g.edge_highway.push(highway);
            g.first_out[u as usize + 1] += 1;
            if u != v {
                g.first_out[v as usize + 1] += 1;
            }
        }
        for i in 0..n {
            g.first_out[i + 1] += g.first_out[i];
        }
        let slots = g.first_out[n] as usize;
        g.adj_node = vec![0; slots];
        g.adj_edge = vec![0; slots];
        g.adj_time = vec![0; slots];
        let mut fill: Vec<u32> = g.first_out[..n].to_vec();
        for (i, &(u, v, _)) in ends.iter().enumerate() {
            // A self-loop is listed once at its node.
            let pairs: &[(u32, u32)] = if u == v { &[(u, v)] } else { &[(u, v), (v, u)] };
            for &(a, b) in pairs {
                let slot = fill[a as usize] as usize;
                fill[a as usize] += 1;
                g.adj_node[slot] = b;
                g.adj_edge[slot] = i as u32;
                g.adj_time[slot] = g.edge_time[i];
            }
        }
        g
    }

    /// Like [`WalkGraph::from_flat`] with each edge's time given in whole
    /// milliseconds (`times_ms[i]` for edge `i`) instead of computed: a graph
    /// cut out of another keeps its edges' times bit for bit (lengths are
    /// recomputed from the same geometry, so they agree too).
    pub(crate) fn from_flat_times(
        node_lonlat: Vec<[f64; 2]>,
        ends: Vec<(u32, u32, u16)>,
        geom_offsets: Vec<u32>,
        geom: Vec<[f64; 2]>,
        speed_m_s: f64,
        times_ms: &[u32],
    ) -> WalkGraph {
        assert_eq!(times_ms.len(), ends.len(), "one time per edge");
        let mut g = WalkGraph::from_flat(node_lonlat, ends, geom_offsets, geom, speed_m_s, &[]);
        g.edge_time.copy_from_slice(times_ms);
        for (slot, &e) in g.adj_edge.iter().enumerate() {
            g.adj_time[slot] = times_ms[e as usize];
        }
        g
    }

    /// Number of nodes.
    #[inline]
    pub fn num_nodes(&self) -> usize {
        self.node_lonlat.len()
    }

    /// Number of (undirected) edges.
    #[inline]
    pub fn num_edges(&self) -> usize {
        self.edge_u.len()
    }

    /// Walking speed the times were computed with.
    pub fn speed_m_s(&self) -> f64 {
        self.speed_m_s
    }

    /// Position of a node, `[lon, lat]`.
    #[inline]
    pub fn node_lonlat(&self, n: NodeId) -> [f64; 2] {
        self.node_lonlat[n.idx()]
    }

    /// Neighbours of `n`: `(neighbour, edge, time in ms)`.
    #[inline]
    pub fn neighbors(&self, n: NodeId) -> impl Iterator<Item = (NodeId, EdgeId, TimeMs)> + '_ {
        let (a, b) = (self.first_out[n.idx()] as usize, self.first_out[n.idx() + 1] as usize);
        (a..b).map(move |i| (NodeId(self.adj_node[i]), EdgeId(self.adj_edge[i]), TimeMs(self.adj_time[i])))
    }

    /// The raw adjacency slices of `n` (neighbour nodes and times), for the hot loop.
    #[inline]
    pub(crate) fn adjacency(&self, n: u32) -> (&[u32], &[u32]) {
        let (a, b) = (self.first_out[n as usize] as usize, self.first_out[n as usize + 1] as usize);
        (&self.adj_node[a..b], &self.adj_time[a..b])
    }

    /// Edges incident to `n`, as `(edge, other end)`.
    #[inline]
    pub fn incident_edges(&self, n: NodeId) -> impl Iterator<Item = (EdgeId, NodeId)> + '_ {
        let (a, b) = (self.first_out[n.idx()] as usize, self.first_out[n.idx() + 1] as usize);
        (a..b).map(move |i| (EdgeId(self.adj_edge[i]), NodeId(self.adj_node[i])))
    }

    /// Endpoints `(u, v)` of an edge; its geometry runs from `u` to `v`.
    #[inline]
    pub fn edge_endpoints(&self, e: EdgeId) -> (NodeId, NodeId) {
        (NodeId(self.edge_u[e.idx()]), NodeId(self.edge_v[e.idx()]))
    }

    /// Length of an edge in metres.
    #[inline]
    pub fn edge_length_m(&self, e: EdgeId) -> f64 {
        self.edge_len_m[e.idx()]
    }

    /// Walking time along a whole edge.
    #[inline]
    pub fn edge_time(&self, e: EdgeId) -> TimeMs {
        TimeMs(self.edge_time[e.idx()])
    }

    /// `highway=*` value index of an edge.
    #[inline]
    pub fn edge_highway(&self, e: EdgeId) -> u16 {
        self.edge_highway[e.idx()]
    }

    /// The polyline of an edge, from `u` to `v`.
    #[inline]
    pub fn edge_geometry(&self, e: EdgeId) -> &[[f64; 2]] {
        &self.geom[self.edge_vertices(e)]
    }

    /// Length from the edge's `u` end to each point of its geometry, metres
    /// (parallel to [`WalkGraph::edge_geometry`]; the last is the edge length).
    #[inline]
    pub fn edge_cumulative_m(&self, e: EdgeId) -> &[f64] {
        &self.geom_cum_m[self.edge_vertices(e)]
    }

    /// Number of geometry vertices of all edges: vertex `g` is point
    /// `g - start` of the edge whose geometry starts at `start <= g`.
    #[inline]
    pub(crate) fn num_vertices(&self) -> usize {
        self.geom.len()
    }

    /// Every geometry vertex's position, by number (see [`WalkGraph::num_vertices`]).
    #[inline]
    pub(crate) fn vertices(&self) -> &[[f64; 2]] {
        &self.geom
    }

    /// The geometry vertices of an edge, by number (see [`WalkGraph::num_vertices`]).
    #[inline]
    pub(crate) fn edge_vertices(&self, e: EdgeId) -> std::ops::Range<usize> {
        self.geom_offsets[e.idx()] as usize..self.geom_offsets[e.idx() + 1] as usize
    }

    /// Position of geometry vertex `g` (see [`WalkGraph::num_vertices`]).
    #[inline]
    pub(crate) fn vertex_lonlat(&self, g: usize) -> [f64; 2] {
        self.geom[g]
    }

    /// Position, edge and offset along it (metres) of geometry vertex `g` (see [`WalkGraph::num_vertices`]).
    #[inline]
    pub(crate) fn vertex(&self, g: usize) -> ([f64; 2], EdgeId, f64) {
        let starts = &self.geom_offsets[..self.geom_offsets.len() - 1];
        let e = starts.partition_point(|&o| o as usize <= g) - 1;
        (self.geom[g], EdgeId(e as u32), self.geom_cum_m[g])
    }

    /// Time from `u` to the point `offset_m` metres along the edge (proportional share of the edge time).
    #[inline]
    pub fn time_to_offset(&self, e: EdgeId, offset_m: f64) -> TimeMs {
        let len = self.edge_len_m[e.idx()];
        if len <= 0.0 {
            return TimeMs(0);
        }
        let frac = (offset_m / len).clamp(0.0, 1.0);
        TimeMs((self.edge_time[e.idx()] as f64 * frac).round() as u32)
    }
}
