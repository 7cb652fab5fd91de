//! Reading a PBF file: one streaming pass, blobs decoded in parallel, only
//! the nodes that matter kept.
//!
//! [`BlobReader`](super::blob::BlobReader) frames the file one blob at a time
//! (sizes capped, see [`super::blob`]); the rayon pool inflates blobs as they
//! come and decodes each straight from its wire bytes ([`super::wire`], with
//! osmpbfreader's `PrimitiveBlock` message as the reference and fallback,
//! [`super::block`]; no `OsmObj` or tag map), each into a per-blob record of
//! the taxonomy and profile decisions plus every node position and way
//! reference. At the end the
//! records are merged in file order and compacted ([`super::merge`]): ways (ids and references)
//! are kept only when they matter (walkable, homes, residential areas,
//! facilities, members of the kept relations), and node positions only for
//! the nodes those ways use ([`super::node_store`]).
//!
//! Work is `O(file size + R log R)` for `R` kept way references. Memory peaks
//! at the merge: every node and way reference of the whole file is held until
//! the ways that need them are known, ids and references as varint
//! differences ([`super::packed`]: about 9 bytes a node, 1-3 a reference),
//! then `O(kept nodes + kept refs)`; blobs in flight are one per thread. The
//! file size itself is not limited.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use osmpbfreader::Tags;
use rayon::prelude::*;

use super::blob::{BlobReader, Inflater, RawBlob};
use super::block::{BlockScratch, BlockTags, ElementSink, Member, MemberType, decode_block};
use super::key_filter::{KeyFilter, KeySet};
use super::merge::{BlockOut, merge};
use super::node_store::IdIndex;
use crate::error::{Error, Result};
use crate::io::manifest::HashingReader;
use crate::taxonomy::{BuildingClass, Classifier, Profile, TagLookup, Taxonomy};

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
    /// Ids of the nodes that kept ways use, ascending (other nodes are not kept).
    pub node_ids: Vec<i64>,
    /// Node positions as decimicro-degrees `[lon, lat]`, parallel to `node_ids`.
    pub node_pos: Vec<[i32; 2]>,
    /// Ids of the ways that matter (those in `way_info`) and of the members of
    /// `relations`, ascending; the file's other ways are not kept.
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
    /// Lookup table over `node_ids` (rebuilt with [`OsmData::reindex`] after changing them).
    pub(super) node_lookup: IdIndex,
    /// Index in `node_ids` of each of `way_refs` ([`MISSING_NODE`] when absent).
    pub(super) way_ref_nodes: Vec<u32>,
}

/// What [`OsmData::way_node_indices`] holds for a reference to a node not in the extract.
pub const MISSING_NODE: u32 = u32::MAX;

impl OsmData {
    /// Index of a node id in the node table.
    #[inline]
    pub fn node_index(&self, id: i64) -> Option<usize> {
        self.node_lookup.find(&self.node_ids, id)
    }

    /// Index of a node id, trying next to `hint` (the index of a neighbour in a way) first.
    #[inline]
    pub fn node_index_near(&self, id: i64, hint: Option<usize>) -> Option<usize> {
        self.node_lookup.find_near(&self.node_ids, id, hint)
    }

    /// Rebuilds the lookup table and the references' node indices after
    /// `node_ids` or `way_refs` changed (`O(nodes / 32 + refs log nodes)`).
    pub fn reindex(&mut self) {
        self.node_lookup = IdIndex::new(&self.node_ids);
        self.way_ref_nodes = self.search_way_ref_nodes();
    }

    /// Each of `way_refs` searched for in `node_ids`, ways in parallel (next
    /// to the way's previous node first).
    pub(super) fn search_way_ref_nodes(&self) -> Vec<u32> {
        (0..self.way_offsets.len().saturating_sub(1))
            .into_par_iter()
            .flat_map_iter(|w| {
                let mut hint = None;
                self.way_nodes(w).iter().map(move |&n| {
                    let i = self.node_index_near(n, hint);
                    hint = i.or(hint);
                    i.map_or(MISSING_NODE, |i| i as u32)
                })
            })
            .collect()
    }

    /// Indices in `node_ids` of the node references of the way at index `i`
    /// ([`MISSING_NODE`] for a node not in the extract), parallel to
    /// [`OsmData::way_nodes`].
    #[inline]
    pub fn way_node_indices(&self, i: usize) -> &[u32] {
        &self.way_ref_nodes[self.way_offsets[i] as usize..self.way_offsets[i + 1] as usize]
    }

    /// Position (lon, lat in degrees) of a node id.
    #[inline]
    pub fn node_lonlat(&self, id: i64) -> Option<[f64; 2]> {
        self.node_index(id).map(|i| self.node_lonlat_at(i as u32))
    }

    /// Position (lon, lat in degrees) of the node at index `i` in `node_ids`.
    #[inline]
    pub fn node_lonlat_at(&self, i: u32) -> [f64; 2] {
        let p = self.node_pos[i as usize];
        [super::decimicro_to_deg(p[0]), super::decimicro_to_deg(p[1])]
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

/// The tags a facility's name is taken from, in order of preference.
const DISPLAY_NAME_KEYS: [&str; 5] = ["name", "name:zh", "name:en", "brand", "operator"];

/// The keys [`Decisions`] reads itself (besides the taxonomy's, the profile's and [`DISPLAY_NAME_KEYS`]).
const READ_KEYS: [&str; 5] = ["building", "landuse", "type", "boundary", "admin_level"];

fn display_name<T: TagLookup + ?Sized>(tags: &T) -> Option<String> {
    DISPLAY_NAME_KEYS.iter().find_map(|k| tags.tag(k)).map(|s| s.to_string())
}

/// Every key the decisions may read: elements' other tags are dropped before deciding ([`KeyFilter`]).
fn decision_keys<'k>(taxonomy: &'k Taxonomy, profile: &'k Profile) -> KeySet<'k> {
    let own = READ_KEYS.into_iter().chain(DISPLAY_NAME_KEYS);
    taxonomy.lookup_keys().chain(profile.lookup_keys()).chain(own).collect()
}

/// The taxonomy and profile decisions of one blob's elements.
struct Decisions<'t, 'k> {
    taxonomy: &'t Taxonomy,
    /// The taxonomy's rules with their keys gathered (once per read).
    classifier: &'t Classifier<'t>,
    profile: &'t Profile,
    /// Cuts each element's tags down to the keys read here.
    filter: &'t mut KeyFilter<'k>,
    out: &'t mut BlockOut,
}

impl ElementSink for Decisions<'_, '_> {
    fn begin_block(&mut self) {
        self.filter.begin_block();
    }

    fn rewind(&mut self) {
        self.out.clear();
        self.filter.begin_block();
    }

    fn node(&mut self, id: i64, decimicro: [i32; 2], tags: BlockTags<'_>) {
        let lonlat = [super::decimicro_to_deg(decimicro[0]), super::decimicro_to_deg(decimicro[1])];
        if !crate::geometry::valid_lonlat(lonlat) {
            return; // an impossible position: treated like a node missing from the extract
        }
        let out = &mut *self.out;
        out.nodes.ids.push(id);
        out.nodes.pos.push(decimicro);
        if tags.is_empty() {
            return;
        }
        let tags = self.filter.keep(&tags);
        if self.profile.has_blocked_nodes() && self.profile.blocks_node(&tags) {
            out.blocked_nodes.push(id);
        }
        let categories = self.classifier.classify(&tags);
        if categories != 0 {
            out.pois.push(PoiNode { id, lonlat, categories, name: display_name(&tags) });
        }
    }

    fn way(&mut self, id: i64, refs: &[i64], tags: BlockTags<'_>) {
        let (taxonomy, profile, out) = (self.taxonomy, self.profile, &mut *self.out);
        let local = out.way_ids.len() as u32;
        out.way_ids.push(id);
        out.way_lens.push(refs.len() as u32);
        out.way_refs.extend_from_slice(refs);
        if tags.is_empty() {
            return;
        }
        let tags = self.filter.keep(&tags);
        let walkable = profile.is_walkable(&tags);
        let building = tags.tag("building").map(|b| taxonomy.building_class(b));
        let residential = tags.tag("landuse").is_some_and(|l| taxonomy.is_residential_landuse(l));
        let categories = self.classifier.classify(&tags);
        let home_like = matches!(building, Some(BuildingClass::Home | BuildingClass::HomeIfResidential));
        if walkable || home_like || residential || categories != 0 {
            let highway = tags.tag("highway").filter(|_| walkable).map(|h| {
                let i = out.highways.iter().position(|v| v == h).unwrap_or_else(|| {
                    out.highways.push(h.to_string());
                    out.highways.len() - 1
                });
                i as u16
            });
            out.way_info.push((
                WayInfo {
                    way: local,
                    walkable,
                    highway: 0,
                    speed_factor: if walkable { profile.speed_factor(&tags) as f32 } else { 1.0 },
                    building: building.filter(|b| *b != BuildingClass::NotHome),
                    residential,
                    categories,
                    name: if categories != 0 { display_name(&tags) } else { None },
                },
                highway,
            ));
        }
    }

    fn relation(&mut self, id: i64, members: &[Member], all_tags: BlockTags<'_>) {
        let taxonomy = self.taxonomy;
        let tags = self.filter.keep(&all_tags);
        let rel_type = tags.tag("type");
        let admin_level = (matches!(rel_type, Some("boundary" | "multipolygon"))
            && tags.tag("boundary").is_some_and(|b| b == "administrative"))
        .then(|| tags.tag("admin_level").and_then(|l| l.trim().parse::<u8>().ok()))
        .flatten();
        if rel_type != Some("multipolygon") && admin_level.is_none() {
            return;
        }
        let building = tags.tag("building").map(|b| taxonomy.building_class(b));
        let residential = tags.tag("landuse").is_some_and(|l| taxonomy.is_residential_landuse(l));
        let categories = self.classifier.classify(&tags);
        let home_like = matches!(building, Some(BuildingClass::Home | BuildingClass::HomeIfResidential));
        if !(home_like || residential || categories != 0 || admin_level.is_some()) {
            return;
        }
        let mut outer = Vec::new();
        let mut inner = Vec::new();
        for m in members.iter().filter(|m| m.kind == MemberType::Way) {
            if all_tags.string(m.role) == "inner" { inner.push(m.id) } else { outer.push(m.id) }
        }
        self.out.relations.push(RelationRecord {
            id,
            outer,
            inner,
            building: building.filter(|b| *b != BuildingClass::NotHome),
            residential,
            categories,
            name: if categories != 0 || admin_level.is_some() { display_name(&tags) } else { None },
            admin_level,
        });
    }
}

/// Per-job buffers: the inflater (its buffer and decompressor), the decoder's scratch, the block's records, the key filter.
type Workspace<'k> = (Inflater, BlockScratch, BlockOut, KeyFilter<'k>);

/// Inflates and decodes one data blob.
fn decode_blob(
    blob: &RawBlob,
    (inflater, scratch, records, filter): &mut Workspace<'_>,
    classifier: &Classifier<'_>,
    taxonomy: &Taxonomy,
    profile: &Profile,
) -> std::result::Result<BlockOut, String> {
    let decoded = decode_block(
        blob.inflate(inflater)?,
        scratch,
        &mut Decisions { taxonomy, classifier, profile, filter, out: records },
    );
    if decoded.is_err() {
        records.clear(); // the next block starts empty
    }
    decoded?;
    Ok(records.take_compact())
}

/// Reads and decodes a PBF file.
///
/// Refused before reading: a path that is not a regular file (a folder, a
/// device such as `/dev/zero`, a FIFO, a socket). The file is streamed, with
/// no limit on its size; blob sizes are capped as [`super::blob`] says. A
/// truncated or corrupt file is an [`ErrorKind::Pbf`](crate::ErrorKind::Pbf)
/// naming the file, reported at the first bad blob.
pub fn read_pbf(path: &Path, taxonomy: &Taxonomy, profile: &Profile) -> Result<OsmData> {
    let not_regular = |m: &std::fs::Metadata| {
        let t = m.file_type();
        if t.is_dir() {
            Some("is a folder")
        } else if !t.is_file() {
            Some("is not a regular file (a device, FIFO or socket): give the path of an .osm.pbf file")
        } else {
            None
        }
    };
    // Checked before opening: opening a FIFO would wait for a writer.
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if let Some(m) = not_regular(&meta) {
        return Err(Error::pbf(path, m));
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if let Some(m) = not_regular(&meta) {
        return Err(Error::pbf(path, m));
    }
    // Hashed as it is read, for the run's manifest (which then need not read it again).
    let mut hashing = HashingReader::new(file);
    let data = decode_all(
        BlobReader::new(std::io::BufReader::with_capacity(1 << 20, &mut hashing), path),
        path,
        taxonomy,
        profile,
    )?;
    hashing.remember(path, &meta);
    Ok(data)
}

/// Decodes PBF bytes; `path` names the source in errors.
pub fn read_pbf_bytes(bytes: &[u8], path: &Path, taxonomy: &Taxonomy, profile: &Profile) -> Result<OsmData> {
    decode_all(BlobReader::new(bytes, path), path, taxonomy, profile)
}

/// Decodes the blobs on the rayon pool as the reader frames them, then merges.
///
/// Errors are deterministic: the first bad blob in file order is reported
/// (blobs after a bad one are skipped, blobs before it are still decoded).
fn decode_all<R: Read + Send>(
    blobs: BlobReader<'_, R>,
    path: &Path,
    taxonomy: &Taxonomy,
    profile: &Profile,
) -> Result<OsmData> {
    let first_bad = AtomicUsize::new(usize::MAX);
    let classifier = taxonomy.classifier();
    let keys = decision_keys(taxonomy, profile);
    let mut results: Vec<(usize, Result<BlockOut>)> = blobs
        .take_while(|_| first_bad.load(Ordering::Relaxed) == usize::MAX)
        .par_bridge()
        .map_init(
            || (Inflater::default(), BlockScratch::default(), BlockOut::default(), KeyFilter::new(&keys)),
            |workspace, blob| match blob {
                // A framing error comes after every blob framed before it.
                Err(e) => (usize::MAX, Err(e)),
                Ok(blob) if blob.index > first_bad.load(Ordering::Relaxed) => (blob.index, Ok(BlockOut::default())),
                Ok(blob) => {
                    let r = decode_blob(&blob, workspace, &classifier, taxonomy, profile).map_err(|m| {
                        first_bad.fetch_min(blob.index, Ordering::Relaxed);
                        Error::pbf(path, format!("data blob {} at byte {}: {m}", blob.index, blob.offset))
                    });
                    (blob.index, r)
                }
            },
        )
        .collect();
    results.sort_by_key(|r| r.0);
    let mut outs = Vec::with_capacity(results.len());
    for (_, r) in results {
        outs.push(r?);
    }
    merge(outs, path)
}
