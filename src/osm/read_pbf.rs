//! Parallel PBF decoding with osmpbfreader.
//!
//! The file is framed into blobs on one thread (cheap: a header per blob),
//! then every blob is inflated and decoded on the rayon pool. Work is
//! `O(file size)`; memory is `O(nodes + way refs)`: 12 bytes per node
//! position and 8 bytes per way reference.

use std::io::Read;
use std::path::Path;

use osmpbfreader::{OsmObj, Tags};
use protobuf::Message;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::taxonomy::{BuildingClass, Profile, TagLookup, Taxonomy};

impl TagLookup for Tags {
    fn tag(&self, key: &str) -> Option<&str> {
        self.get(key).map(|v| v.as_str())
    }
}

/// What the taxonomy and profile say about a way (only ways that matter get one).
#[derive(Debug, Clone, Default)]
pub struct WayInfo {
    /// Index of the way in [`OsmData::way_ids`].
    pub way: u32,
    /// Walkable in the chosen profile.
    pub walkable: bool,
    /// `highway=*` value index into [`OsmData::highway_values`] (walkable ways only).
    pub highway: u16,
    /// The profile's speed factor for this way (walkable ways only; 1 otherwise).
    pub speed_factor: f32,
    /// Home class of its `building=*` tag.
    pub building: Option<BuildingClass>,
    /// Tagged as residential landuse.
    pub residential: bool,
    /// Service categories (bit set).
    pub categories: u32,
    /// Display name.
    pub name: Option<String>,
}

/// A tagged node: a point of interest in at least one category.
#[derive(Debug, Clone)]
pub struct PoiNode {
    /// OSM node id.
    pub id: i64,
    /// Longitude, latitude in degrees.
    pub lonlat: [f64; 2],
    /// Service categories (bit set).
    pub categories: u32,
    /// Display name.
    pub name: Option<String>,
}

/// A multipolygon relation that is a building, residential area or facility.
#[derive(Debug, Clone)]
pub struct RelationRecord {
    /// OSM relation id.
    pub id: i64,
    /// Member ways with role `outer` (or empty role).
    pub outer: Vec<i64>,
    /// Member ways with role `inner`.
    pub inner: Vec<i64>,
    /// Home class of its `building=*` tag.
    pub building: Option<BuildingClass>,
    /// Tagged as residential landuse.
    pub residential: bool,
    /// Service categories (bit set).
    pub categories: u32,
    /// Display name.
    pub name: Option<String>,
    /// `admin_level` of an administrative boundary (`boundary=administrative`).
    pub admin_level: Option<u8>,
}

/// Everything the pipeline keeps from a PBF file.
#[derive(Debug, Default)]
pub struct OsmData {
    /// Node ids, ascending.
    pub node_ids: Vec<i64>,
    /// Node positions as decimicro-degrees `[lon, lat]`, parallel to `node_ids`.
    pub node_pos: Vec<[i32; 2]>,
    /// Way ids, ascending.
    pub way_ids: Vec<i64>,
    /// `way_refs[way_offsets[i]..way_offsets[i+1]]` are the node ids of way `i`.
    pub way_offsets: Vec<u32>,
    /// Flattened way node references.
    pub way_refs: Vec<i64>,
    /// Tag decisions for the ways that matter.
    pub way_info: Vec<WayInfo>,
    /// Distinct `highway=*` values of walkable ways.
    pub highway_values: Vec<String>,
    /// Tagged nodes in a service category.
    pub pois: Vec<PoiNode>,
    /// Multipolygon relations that matter.
    pub relations: Vec<RelationRecord>,
    /// Nodes the profile does not let pass (e.g. raised kerbs for wheelchairs), ascending.
    pub blocked_nodes: Vec<i64>,
}

impl OsmData {
    /// Index of a node id in the node table.
    #[inline]
    pub fn node_index(&self, id: i64) -> Option<usize> {
        self.node_ids.binary_search(&id).ok()
    }

    /// Position (lon, lat in degrees) of a node id.
    #[inline]
    pub fn node_lonlat(&self, id: i64) -> Option<[f64; 2]> {
        self.node_index(id).map(|i| {
            let p = self.node_pos[i];
            [super::decimicro_to_deg(p[0]), super::decimicro_to_deg(p[1])]
        })
    }

    /// Node references of the way at index `i`.
    #[inline]
    pub fn way_nodes(&self, i: usize) -> &[i64] {
        &self.way_refs[self.way_offsets[i] as usize..self.way_offsets[i + 1] as usize]
    }

    /// Index of a way id.
    #[inline]
    pub fn way_index(&self, id: i64) -> Option<usize> {
        self.way_ids.binary_search(&id).ok()
    }
}

/// Per-blob output, merged in file order.
#[derive(Default)]
struct BlockOut {
    node_ids: Vec<i64>,
    node_pos: Vec<[i32; 2]>,
    way_ids: Vec<i64>,
    way_lens: Vec<u32>,
    way_refs: Vec<i64>,
    /// `WayInfo` with `way` local to the block; `highway` holds the value string until merged.
    way_info: Vec<(WayInfo, Option<String>)>,
    pois: Vec<PoiNode>,
    relations: Vec<RelationRecord>,
    blocked_nodes: Vec<i64>,
}

fn display_name(tags: &Tags) -> Option<String> {
    ["name", "name:zh", "name:en", "brand", "operator"].iter().find_map(|k| tags.get(*k)).map(|s| s.to_string())
}

fn decode_block(block: &osmpbfreader::osmformat::PrimitiveBlock, taxonomy: &Taxonomy, profile: &Profile) -> BlockOut {
    let mut out = BlockOut::default();
    for obj in osmpbfreader::blocks::iter(block) {
        match obj {
            OsmObj::Node(n) => {
                let lonlat = [super::decimicro_to_deg(n.decimicro_lon), super::decimicro_to_deg(n.decimicro_lat)];
                if !crate::geometry::valid_lonlat(lonlat) {
                    continue; // an impossible position: treated like a node missing from the extract
                }
                out.node_ids.push(n.id.0);
                out.node_pos.push([n.decimicro_lon, n.decimicro_lat]);
                if !n.tags.is_empty() {
                    if profile.has_blocked_nodes() && profile.blocks_node(&n.tags) {
                        out.blocked_nodes.push(n.id.0);
                    }
                    let categories = taxonomy.classify(&n.tags);
                    if categories != 0 {
                        out.pois.push(PoiNode {
                            id: n.id.0,
                            lonlat: [
                                super::decimicro_to_deg(n.decimicro_lon),
                                super::decimicro_to_deg(n.decimicro_lat),
                            ],
                            categories,
                            name: display_name(&n.tags),
                        });
                    }
                }
            }
            OsmObj::Way(w) => {
                let local = out.way_ids.len() as u32;
                out.way_ids.push(w.id.0);
                out.way_lens.push(w.nodes.len() as u32);
                out.way_refs.extend(w.nodes.iter().map(|n| n.0));
                if w.tags.is_empty() {
                    continue;
                }
                let walkable = profile.is_walkable(&w.tags);
                let building = w.tags.get("building").map(|b| taxonomy.building_class(b));
                let residential = w.tags.get("landuse").is_some_and(|l| taxonomy.is_residential_landuse(l));
                let categories = taxonomy.classify(&w.tags);
                let home_like = matches!(building, Some(BuildingClass::Home | BuildingClass::HomeIfResidential));
                if walkable || home_like || residential || categories != 0 {
                    let highway = if walkable { w.tags.get("highway").map(|h| h.to_string()) } else { None };
                    out.way_info.push((
                        WayInfo {
                            way: local,
                            walkable,
                            highway: 0,
                            speed_factor: if walkable { profile.speed_factor(&w.tags) as f32 } else { 1.0 },
                            building: building.filter(|b| *b != BuildingClass::NotHome),
                            residential,
                            categories,
                            name: if categories != 0 { display_name(&w.tags) } else { None },
                        },
                        highway,
                    ));
                }
            }
            OsmObj::Relation(r) => {
                let rel_type = r.tags.get("type").map(|t| t.as_str());
                let admin_level = (matches!(rel_type, Some("boundary" | "multipolygon"))
                    && r.tags.get("boundary").is_some_and(|b| b == "administrative"))
                .then(|| r.tags.get("admin_level").and_then(|l| l.trim().parse::<u8>().ok()))
                .flatten();
                if rel_type != Some("multipolygon") && admin_level.is_none() {
                    continue;
                }
                let building = r.tags.get("building").map(|b| taxonomy.building_class(b));
                let residential = r.tags.get("landuse").is_some_and(|l| taxonomy.is_residential_landuse(l));
                let categories = taxonomy.classify(&r.tags);
                let home_like = matches!(building, Some(BuildingClass::Home | BuildingClass::HomeIfResidential));
                if !(home_like || residential || categories != 0 || admin_level.is_some()) {
                    continue;
                }
                let mut outer = Vec::new();
                let mut inner = Vec::new();
                for m in &r.refs {
                    if let osmpbfreader::OsmId::Way(wid) = m.member {
                        if m.role == "inner" { inner.push(wid.0) } else { outer.push(wid.0) }
                    }
                }
                out.relations.push(RelationRecord {
                    id: r.id.0,
                    outer,
                    inner,
                    building: building.filter(|b| *b != BuildingClass::NotHome),
                    residential,
                    categories,
                    name: if categories != 0 || admin_level.is_some() { display_name(&r.tags) } else { None },
                    admin_level,
                });
            }
        }
    }
    out
}

/// Reads exactly `buf.len()` bytes, or reports how many were there.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Reads a PBF stream's framing and returns its data blobs, checking every
/// length before reading (so a file that is not a PBF fails at its first bytes,
/// however large it is).
fn frame_blobs(r: &mut impl Read, path: &Path) -> Result<Vec<Vec<u8>>> {
    let mut pos = 0u64;
    let mut blobs = Vec::new();
    let mut saw_header = false;
    let io = |e| Error::io(path, e);
    loop {
        let mut len_bytes = [0u8; 4];
        match read_full(r, &mut len_bytes).map_err(io)? {
            0 if pos == 0 => return Err(Error::pbf(path, "the file is empty")),
            0 => break,
            4 => {}
            _ => return Err(Error::pbf(path, format!("truncated at byte {pos} (incomplete blob header length)"))),
        }
        let header_len = u32::from_be_bytes(len_bytes) as usize;
        if header_len == 0 || header_len > 64 * 1024 {
            return Err(Error::pbf(path, format!("bad blob header length {header_len} at byte {pos}")));
        }
        pos += 4;
        let mut hbytes = vec![0u8; header_len];
        if read_full(r, &mut hbytes).map_err(io)? < header_len {
            return Err(Error::pbf(path, format!("truncated at byte {pos} (incomplete blob header)")));
        }
        let header = osmpbfreader::fileformat::BlobHeader::parse_from_bytes(&hbytes)
            .map_err(|e| Error::pbf(path, format!("bad blob header at byte {pos}: {e}")))?;
        pos += header_len as u64;
        let data_len = match usize::try_from(header.datasize()) {
            Ok(n) if n <= 32 * 1024 * 1024 => n,
            _ => return Err(Error::pbf(path, format!("bad blob size {} at byte {pos}", header.datasize()))),
        };
        let mut data = vec![0u8; data_len];
        let got = read_full(r, &mut data).map_err(io)?;
        if got < data_len {
            return Err(Error::pbf(
                path,
                format!("truncated at byte {} (blob of {data_len} bytes cut short)", pos + got as u64),
            ));
        }
        pos += data_len as u64;
        match header.type_() {
            "OSMHeader" => saw_header = true,
            "OSMData" => {
                if !saw_header {
                    return Err(Error::pbf(path, "OSMData blob before the OSMHeader blob"));
                }
                blobs.push(data);
            }
            _ => {} // unknown blob types are skipped, as the format allows
        }
    }
    if !saw_header {
        return Err(Error::pbf(path, "no OSMHeader blob"));
    }
    Ok(blobs)
}

fn decode_blob(data: &[u8], taxonomy: &Taxonomy, profile: &Profile) -> std::result::Result<BlockOut, String> {
    let blob = osmpbfreader::fileformat::Blob::parse_from_bytes(data).map_err(|e| format!("bad blob: {e}"))?;
    let block = osmpbfreader::primitive_block_from_blob(&blob).map_err(|e| format!("cannot decode block: {e}"))?;
    check_string_indices(&block)?;
    // The reader indexes string tables without bounds checks of its own; the check
    // above rejects such blocks, and this turns anything it missed into an error.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decode_block(&block, taxonomy, profile)))
        .map_err(|_| "corrupt primitive block".to_string())
}

/// Rejects a block whose tags or roles point past its string table (the
/// reader would index out of bounds). `O(block size)`.
fn check_string_indices(block: &osmpbfreader::osmformat::PrimitiveBlock) -> std::result::Result<(), String> {
    let len = block.stringtable.s.len() as u64;
    fn check(what: &str, mut indices: impl Iterator<Item = u64>, len: u64) -> std::result::Result<(), String> {
        match indices.find(|&i| i >= len) {
            Some(i) => Err(format!("{what} refers to string {i} of a table of {len}")),
            None => Ok(()),
        }
    }
    for g in &block.primitivegroup {
        for n in &g.nodes {
            check("node tag", n.keys.iter().chain(&n.vals).map(|&i| i as u64), len)?;
        }
        check("dense node tag", g.dense.keys_vals.iter().map(|&i| i as u32 as u64), len)?;
        for w in &g.ways {
            check("way tag", w.keys.iter().chain(&w.vals).map(|&i| i as u64), len)?;
        }
        for r in &g.relations {
            check("relation tag", r.keys.iter().chain(&r.vals).map(|&i| i as u64), len)?;
            check("relation role", r.roles_sid.iter().map(|&i| i as u32 as u64), len)?;
        }
    }
    Ok(())
}

/// Reads and decodes a PBF file.
pub fn read_pbf(path: &Path, taxonomy: &Taxonomy, profile: &Profile) -> Result<OsmData> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    if file.metadata().map_err(|e| Error::io(path, e))?.is_dir() {
        return Err(Error::pbf(path, "is a folder"));
    }
    let blobs = frame_blobs(&mut std::io::BufReader::with_capacity(1 << 20, file), path)?;
    decode_all(&blobs, path, taxonomy, profile)
}

/// Decodes PBF bytes; `path` names the source in errors.
pub fn read_pbf_bytes(bytes: &[u8], path: &Path, taxonomy: &Taxonomy, profile: &Profile) -> Result<OsmData> {
    let blobs = frame_blobs(&mut &bytes[..], path)?;
    decode_all(&blobs, path, taxonomy, profile)
}

fn decode_all(blobs: &[Vec<u8>], path: &Path, taxonomy: &Taxonomy, profile: &Profile) -> Result<OsmData> {
    let outs: Vec<BlockOut> = blobs
        .par_iter()
        .enumerate()
        .map(|(i, data)| {
            decode_blob(data, taxonomy, profile).map_err(|m| Error::pbf(path, format!("data blob {i}: {m}")))
        })
        .collect::<Result<_>>()?;
    Ok(merge(outs))
}

fn merge(outs: Vec<BlockOut>) -> OsmData {
    let n_nodes: usize = outs.iter().map(|o| o.node_ids.len()).sum();
    let n_ways: usize = outs.iter().map(|o| o.way_ids.len()).sum();
    let n_refs: usize = outs.iter().map(|o| o.way_refs.len()).sum();
    let mut d = OsmData {
        node_ids: Vec::with_capacity(n_nodes),
        node_pos: Vec::with_capacity(n_nodes),
        way_ids: Vec::with_capacity(n_ways),
        way_offsets: Vec::with_capacity(n_ways + 1),
        way_refs: Vec::with_capacity(n_refs),
        ..OsmData::default()
    };
    d.way_offsets.push(0);
    for o in outs {
        let base = d.way_ids.len() as u32;
        d.node_ids.extend_from_slice(&o.node_ids);
        d.node_pos.extend_from_slice(&o.node_pos);
        d.way_ids.extend_from_slice(&o.way_ids);
        let mut off = *d.way_offsets.last().expect("starts with 0");
        for len in &o.way_lens {
            off += len;
            d.way_offsets.push(off);
        }
        d.way_refs.extend_from_slice(&o.way_refs);
        for (mut info, highway) in o.way_info {
            info.way += base;
            if let Some(h) = highway {
                info.highway = match d.highway_values.iter().position(|v| *v == h) {
                    Some(i) => i as u16,
                    None => {
                        d.highway_values.push(h);
                        (d.highway_values.len() - 1) as u16
                    }
                };
            }
            d.way_info.push(info);
        }
        d.pois.extend(o.pois);
        d.relations.extend(o.relations);
        d.blocked_nodes.extend(o.blocked_nodes);
    }
    d.blocked_nodes.sort_unstable();
    d.blocked_nodes.dedup();
    sort_nodes(&mut d);
    sort_ways(&mut d);
    d
}

/// PBF files are normally sorted by id; sort (and drop duplicate ids) when one is not.
fn sort_nodes(d: &mut OsmData) {
    if d.node_ids.windows(2).all(|w| w[0] < w[1]) {
        return;
    }
    let mut order: Vec<u32> = (0..d.node_ids.len() as u32).collect();
    order.par_sort_by_key(|&i| d.node_ids[i as usize]);
    order.dedup_by_key(|i| d.node_ids[*i as usize]);
    d.node_ids = order.iter().map(|&i| d.node_ids[i as usize]).collect();
    d.node_pos = order.iter().map(|&i| d.node_pos[i as usize]).collect();
}

fn sort_ways(d: &mut OsmData) {
    if d.way_ids.windows(2).all(|w| w[0] < w[1]) {
        return;
    }
    let mut order: Vec<u32> = (0..d.way_ids.len() as u32).collect();
    order.sort_by_key(|&i| d.way_ids[i as usize]);
    order.dedup_by_key(|i| d.way_ids[*i as usize]);
    let mut new_index = vec![u32::MAX; d.way_ids.len()];
    let mut ids = Vec::with_capacity(order.len());
    let mut offsets = Vec::with_capacity(order.len() + 1);
    let mut refs = Vec::with_capacity(d.way_refs.len());
    offsets.push(0u32);
    for (new, &old) in order.iter().enumerate() {
        new_index[old as usize] = new as u32;
        ids.push(d.way_ids[old as usize]);
        refs.extend_from_slice(d.way_nodes(old as usize));
        offsets.push(refs.len() as u32);
    }
    d.way_info.retain(|w| new_index[w.way as usize] != u32::MAX);
    for w in &mut d.way_info {
        w.way = new_index[w.way as usize];
    }
    d.way_info.sort_by_key(|w| w.way);
    d.way_ids = ids;
    d.way_offsets = offsets;
    d.way_refs = refs;
}
