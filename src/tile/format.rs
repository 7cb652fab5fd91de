//! The tile file: `LCTILE` magic, a format version, a JSON header
//! ([`TileHeader`]), the graph (nodes, then edges with their exact times and
//! geometry), the homes and facilities with their whole-run snaps, and the
//! SHA-256 of everything before it. Little-endian throughout. A truncated,
//! altered or foreign file is refused with an error naming it.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::analysis::{NetworkContent, TileFacts};
use crate::error::{Error, Result};
use crate::graph::{GraphReport, WalkGraph};
use crate::ids::{CategoryId, EdgeId, NodeId, OsmRef, OsmType};
use crate::osm::{Facility, FeatureReport, Home};
use crate::snap::Snap;

/// The first bytes of a tile file.
pub const MAGIC: &[u8; 8] = b"LCTILE\0\0";
/// The tile format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// A tile file larger than this is refused (a tile is a small part of an extract).
pub const MAX_TILE_BYTES: u64 = 8 << 30;

/// What a tile was prepared for: a tile answers only runs with the same values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TileParams {
    /// Walking speed, km/h.
    pub speed_kmh: f64,
    /// Walking profile name.
    pub profile: String,
    /// Taxonomy source (name or file).
    pub taxonomy: String,
    /// Snapping limit, metres.
    pub max_snap_m: f64,
    /// The reach the tiles answer exactly, minutes.
    pub reach_minutes: f64,
    /// Components kept (as `--min-component-nodes`).
    pub min_component_nodes: usize,
    /// Tile core size, km.
    pub tile_km: f64,
    /// The halo's width computed from the parameters, metres (a tile may have grown it, see its header).
    pub halo_m: f64,
}

/// A tile's header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TileHeader {
    /// The tile and the whole run's figures.
    pub facts: TileFacts,
    /// The parameters.
    pub params: TileParams,
    /// The core box, `[west, south, east, north]` (west and south included, east and north not).
    pub core: [f64; 4],
    /// The core grown by the halo, `[west, south, east, north]`.
    pub grown: [f64; 4],
    /// This tile's halo, metres (at least `params.halo_m`).
    pub halo_m: f64,
    /// The whole run's graph.
    pub graph: GraphReport,
    /// How the whole run found homes and facilities.
    pub features: FeatureReport,
}

/// A tile in memory.
pub struct Tile {
    /// The header.
    pub header: TileHeader,
    /// The whole run's edges of the tile (in its order, with their times), the
    /// core's homes and the facilities on the tile's edges, in the whole run's
    /// order, with their snaps on the tile's graph.
    pub content: NetworkContent,
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn f64(&mut self, v: f64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn point(&mut self, p: [f64; 2]) {
        self.f64(p[0]);
        self.f64(p[1]);
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.0.extend_from_slice(b);
    }
    fn osm(&mut self, r: OsmRef) {
        self.u8(match r.kind {
            OsmType::Node => 0,
            OsmType::Way => 1,
            OsmType::Relation => 2,
            OsmType::Other => 3,
        });
        self.i64(r.id);
    }
    fn snap(&mut self, s: Option<Snap>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.u32(s.edge.0);
                self.f64(s.offset_m);
                self.f64(s.access_m);
            }
        }
    }
}

/// The bytes of `tile`, checksum included.
pub fn encode(tile: &Tile) -> Result<Vec<u8>> {
    let mut w = Writer(Vec::new());
    w.0.extend_from_slice(MAGIC);
    w.u32(FORMAT_VERSION);
    let header = serde_json::to_vec(&tile.header).map_err(|e| Error::parameter("tile", e.to_string()))?;
    w.bytes(&header);
    let c = &tile.content;
    let g = &c.graph;
    w.f64(g.speed_m_s());
    w.u32(g.num_nodes() as u32);
    for n in 0..g.num_nodes() {
        w.point(g.node_lonlat(NodeId(n as u32)));
    }
    w.u32(g.num_edges() as u32);
    for e in (0..g.num_edges()).map(|e| EdgeId(e as u32)) {
        let (u, v) = g.edge_endpoints(e);
        w.u32(u.0);
        w.u32(v.0);
        w.u32(u32::from(g.edge_highway(e)));
        w.u32(g.edge_time(e).0);
        let geom = g.edge_geometry(e);
        w.u32(geom.len() as u32);
        geom.iter().for_each(|&p| w.point(p));
    }
    w.u32(c.homes.len() as u32);
    for ((h, s), island) in c.homes.iter().zip(&c.home_snaps).zip(&c.home_near_island) {
        w.osm(h.osm);
        w.f64(h.population);
        w.point(h.lonlat);
        w.snap(*s);
        w.u8(u8::from(*island));
    }
    w.u32(c.facilities.len() as u32);
    for (f, s) in c.facilities.iter().zip(&c.facility_snaps) {
        w.osm(f.osm);
        w.u8(f.category.0);
        match &f.name {
            None => w.u8(0),
            Some(n) => {
                w.u8(1);
                w.bytes(n.as_bytes());
            }
        }
        match f.capacity {
            None => w.u8(0),
            Some(c) => {
                w.u8(1);
                w.f64(c);
            }
        }
        w.point(f.lonlat);
        w.snap(*s);
    }
    let digest = Sha256::digest(&w.0);
    w.0.extend_from_slice(&digest);
    Ok(w.0)
}

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
    path: &'a Path,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        if self.buf.len() - self.at < n {
            return Err(Error::bad_input(self.path, format!("byte {}", self.at), "the tile file ends too early"));
        }
        let s = &self.buf[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }
    fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }
    fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }
    fn point(&mut self) -> Result<[f64; 2]> {
        Ok([self.f64()?, self.f64()?])
    }
    fn bytes(&mut self) -> Result<&[u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    /// A count of items each at least `min_bytes` long (checked against what is left).
    fn count(&mut self, min_bytes: usize) -> Result<usize> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min_bytes) > self.buf.len() - self.at {
            return Err(self.bad(format!("{n} items do not fit in the bytes left")));
        }
        Ok(n)
    }
    fn bad(&self, message: impl Into<String>) -> Error {
        Error::bad_input(self.path, format!("byte {}", self.at), message)
    }
    fn osm(&mut self) -> Result<OsmRef> {
        let kind = match self.u8()? {
            0 => OsmType::Node,
            1 => OsmType::Way,
            2 => OsmType::Relation,
            3 => OsmType::Other,
            k => return Err(self.bad(format!("unknown element kind {k}"))),
        };
        Ok(OsmRef { kind, id: self.i64()? })
    }
    fn snap(&mut self, edges: usize) -> Result<Option<Snap>> {
        match self.u8()? {
            0 => Ok(None),
            1 => {
                let edge = self.u32()?;
                if edge as usize >= edges {
                    return Err(self.bad(format!("a snap names edge {edge} of {edges}")));
                }
                Ok(Some(Snap { edge: EdgeId(edge), offset_m: self.f64()?, access_m: self.f64()? }))
            }
            k => Err(self.bad(format!("bad snap flag {k}"))),
        }
    }
}

/// Reads and checks a tile file.
pub fn read(path: &Path) -> Result<Tile> {
    let buf = crate::io::limits::read_bounded(path, MAX_TILE_BYTES, "tile")?;
    decode(&buf, path)
}

/// Decodes the bytes of a tile file (`path` names it in errors).
pub fn decode(buf: &[u8], path: &Path) -> Result<Tile> {
    if buf.len() < MAGIC.len() + 4 + 32 || &buf[..MAGIC.len()] != MAGIC {
        return Err(Error::bad_input(path, "", "not a lifecircle tile file (made by `lifecircle prepare`)"));
    }
    let (body, digest) = buf.split_at(buf.len() - 32);
    let version = u32::from_le_bytes(body[8..12].try_into().expect("4 bytes"));
    if version != FORMAT_VERSION {
        return Err(Error::bad_input(
            path,
            "",
            format!(
                "tile format version {version}; this lifecircle reads version {FORMAT_VERSION}: prepare the tiles again"
            ),
        ));
    }
    if Sha256::digest(body)[..] != *digest {
        return Err(Error::bad_input(path, "", "the tile file is truncated or corrupt (checksum mismatch)"));
    }
    let mut r = Reader { buf: body, at: 12, path };
    let header: TileHeader =
        serde_json::from_slice(r.bytes()?).map_err(|e| r.bad(format!("the tile header is not valid: {e}")))?;
    let speed_m_s = r.f64()?;
    let n = r.count(16)?;
    let nodes = (0..n).map(|_| r.point()).collect::<Result<Vec<_>>>()?;
    let m = r.count(20)?;
    let (mut ends, mut times, mut offsets, mut geom) =
        (Vec::with_capacity(m), Vec::with_capacity(m), vec![0u32], Vec::new());
    for _ in 0..m {
        let (u, v, highway, time) = (r.u32()?, r.u32()?, r.u32()?, r.u32()?);
        if u as usize >= n || v as usize >= n || highway > u32::from(u16::MAX) {
            return Err(r.bad(format!("an edge names node {u} or {v} of {n}")));
        }
        let k = r.count(16)?;
        for _ in 0..k {
            geom.push(r.point()?);
        }
        ends.push((u, v, highway as u16));
        times.push(time);
        offsets.push(geom.len() as u32);
    }
    let graph = WalkGraph::from_flat_times(nodes, ends, offsets, geom, speed_m_s, &times);
    let h = r.count(34)?;
    let (mut homes, mut home_snaps, mut home_near_island) = (Vec::with_capacity(h), Vec::new(), Vec::new());
    for _ in 0..h {
        let osm = r.osm()?;
        let population = r.f64()?;
        homes.push(Home { osm, user_id: None, population, lonlat: r.point()? });
        home_snaps.push(r.snap(m)?);
        home_near_island.push(r.u8()? != 0);
    }
    let f = r.count(28)?;
    let (mut facilities, mut facility_snaps) = (Vec::with_capacity(f), Vec::new());
    for _ in 0..f {
        let osm = r.osm()?;
        let category = CategoryId(r.u8()?);
        let name = match r.u8()? {
            0 => None,
            _ => Some(String::from_utf8(r.bytes()?.to_vec()).map_err(|_| r.bad("a name is not UTF-8"))?),
        };
        let capacity = match r.u8()? {
            0 => None,
            _ => Some(r.f64()?),
        };
        facilities.push(Facility { osm, user_id: None, category, name, capacity, lonlat: r.point()? });
        facility_snaps.push(r.snap(m)?);
    }
    if r.at != body.len() {
        return Err(r.bad("unexpected bytes after the facilities"));
    }
    let content = NetworkContent { graph, homes, home_snaps, home_near_island, facilities, facility_snaps };
    Ok(Tile { header, content })
}
