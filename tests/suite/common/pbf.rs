//! A tiny OSM PBF writer for synthetic test extracts, built on the protobuf
//! types that osmpbfreader generates (the same crate lifecircle reads with).
//!
//! Output: an `OSMHeader` blob, then `OSMData` blobs with uncompressed
//! (`raw`) primitive blocks; dense nodes, ways and relations in separate
//! primitive groups, ids and coordinates delta-coded as the format requires.

use std::collections::HashMap;
use std::path::Path;

use osmpbfreader::fileformat::{Blob, BlobHeader};
use osmpbfreader::osmformat::relation::MemberType;
use osmpbfreader::osmformat::{DenseNodes, HeaderBlock, PrimitiveBlock, PrimitiveGroup, Relation, StringTable, Way};
use protobuf::{EnumOrUnknown, Message, MessageField};

type Tags = Vec<(String, String)>;
type RelationMembers = Vec<(Member, String)>;

fn owned(tags: &[(&str, &str)]) -> Tags {
    tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A relation member.
#[derive(Debug, Clone, Copy)]
pub enum Member {
    /// A node member.
    Node(i64),
    /// A way member.
    Way(i64),
}

/// An OSM extract under construction.
#[derive(Debug, Clone, Default)]
pub struct OsmWriter {
    nodes: Vec<(i64, [f64; 2], Tags)>,
    ways: Vec<(i64, Vec<i64>, Tags)>,
    relations: Vec<(i64, RelationMembers, Tags)>,
    /// Nodes, ways and relations each in their own data blob (as real extracts are laid out).
    pub split_blobs: bool,
    /// Write elements in descending id order (the format recommends ascending; readers must cope).
    pub reverse_order: bool,
}

/// Builds a string table and maps strings to indices (index 0 is the empty string, as the format wants).
#[derive(Default)]
struct Strings {
    index: HashMap<String, u32>,
    table: Vec<Vec<u8>>,
}

impl Strings {
    fn new() -> Strings {
        Strings { index: HashMap::new(), table: vec![Vec::new()] }
    }

    fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.table.len() as u32;
        self.table.push(s.as_bytes().to_vec());
        self.index.insert(s.to_string(), i);
        i
    }

    fn into_table(self) -> StringTable {
        let mut t = StringTable::new();
        t.s = self.table;
        t
    }
}

/// Degrees to decimicro-degrees (the default granularity of 100 nanodegrees).
fn decimicro(deg: f64) -> i64 {
    (deg * 1e7).round() as i64
}

impl OsmWriter {
    /// An empty extract.
    pub fn new() -> OsmWriter {
        OsmWriter::default()
    }

    /// Adds a node at `[lon, lat]`.
    pub fn node(&mut self, id: i64, lonlat: [f64; 2], tags: &[(&str, &str)]) -> &mut Self {
        self.nodes.push((id, lonlat, owned(tags)));
        self
    }

    /// Adds a way over `refs`.
    pub fn way(&mut self, id: i64, refs: &[i64], tags: &[(&str, &str)]) -> &mut Self {
        self.ways.push((id, refs.to_vec(), owned(tags)));
        self
    }

    /// Adds a relation with `(member, role)` pairs.
    pub fn relation(&mut self, id: i64, members: &[(Member, &str)], tags: &[(&str, &str)]) -> &mut Self {
        self.relations.push((id, members.iter().map(|(m, r)| (*m, r.to_string())).collect(), owned(tags)));
        self
    }

    /// Adds a closed way around an axis-aligned rectangle, creating its four corner nodes
    /// with ids `first_node..first_node + 4`. Returns nothing; the ring is `[a, b, c, d, a]`.
    pub fn rect_way(
        &mut self,
        id: i64,
        first_node: i64,
        min: [f64; 2],
        max: [f64; 2],
        tags: &[(&str, &str)],
    ) -> &mut Self {
        let n = first_node;
        self.node(n, [min[0], min[1]], &[])
            .node(n + 1, [max[0], min[1]], &[])
            .node(n + 2, [max[0], max[1]], &[])
            .node(n + 3, [min[0], max[1]], &[])
            .way(id, &[n, n + 1, n + 2, n + 3, n], tags)
    }

    fn nodes_group(&self, strings: &mut Strings) -> PrimitiveGroup {
        let mut nodes = self.nodes.clone();
        nodes.sort_by_key(|n| n.0);
        if self.reverse_order {
            nodes.reverse();
        }
        let mut dense = DenseNodes::new();
        let (mut id0, mut lat0, mut lon0) = (0i64, 0i64, 0i64);
        for (id, [lon, lat], tags) in &nodes {
            let (lat, lon) = (decimicro(*lat), decimicro(*lon));
            dense.id.push(id - id0);
            dense.lat.push(lat - lat0);
            dense.lon.push(lon - lon0);
            (id0, lat0, lon0) = (*id, lat, lon);
            for (k, v) in tags {
                dense.keys_vals.push(strings.id(k) as i32);
                dense.keys_vals.push(strings.id(v) as i32);
            }
            dense.keys_vals.push(0);
        }
        let mut g = PrimitiveGroup::new();
        g.dense = MessageField::some(dense);
        g
    }

    fn ways_group(&self, strings: &mut Strings) -> PrimitiveGroup {
        let mut ways = self.ways.clone();
        ways.sort_by_key(|w| w.0);
        if self.reverse_order {
            ways.reverse();
        }
        let mut g = PrimitiveGroup::new();
        for (id, refs, tags) in &ways {
            let mut w = Way::new();
            w.set_id(*id);
            for (k, v) in tags {
                w.keys.push(strings.id(k));
                w.vals.push(strings.id(v));
            }
            let mut prev = 0i64;
            for r in refs {
                w.refs.push(r - prev);
                prev = *r;
            }
            g.ways.push(w);
        }
        g
    }

    fn relations_group(&self, strings: &mut Strings) -> PrimitiveGroup {
        let mut rels = self.relations.clone();
        rels.sort_by_key(|r| r.0);
        if self.reverse_order {
            rels.reverse();
        }
        let mut g = PrimitiveGroup::new();
        for (id, members, tags) in &rels {
            let mut r = Relation::new();
            r.set_id(*id);
            for (k, v) in tags {
                r.keys.push(strings.id(k));
                r.vals.push(strings.id(v));
            }
            let mut prev = 0i64;
            for (m, role) in members {
                let (t, mid) = match m {
                    Member::Node(i) => (MemberType::NODE, *i),
                    Member::Way(i) => (MemberType::WAY, *i),
                };
                r.memids.push(mid - prev);
                prev = mid;
                r.types.push(EnumOrUnknown::new(t));
                r.roles_sid.push(strings.id(role) as i32);
            }
            g.relations.push(r);
        }
        g
    }

    /// The primitive blocks of the extract (one, or one per element kind with `split_blobs`).
    pub fn blocks(&self) -> Vec<PrimitiveBlock> {
        type GroupFn = fn(&OsmWriter, &mut Strings) -> PrimitiveGroup;
        let mut kinds: Vec<GroupFn> = Vec::new();
        if !self.nodes.is_empty() {
            kinds.push(OsmWriter::nodes_group);
        }
        if !self.ways.is_empty() {
            kinds.push(OsmWriter::ways_group);
        }
        if !self.relations.is_empty() {
            kinds.push(OsmWriter::relations_group);
        }
        if self.split_blobs {
            kinds
                .into_iter()
                .map(|f| {
                    let mut strings = Strings::new();
                    let group = f(self, &mut strings);
                    block(strings.into_table(), vec![group])
                })
                .collect()
        } else {
            let mut strings = Strings::new();
            let groups: Vec<PrimitiveGroup> = kinds.into_iter().map(|f| f(self, &mut strings)).collect();
            vec![block(strings.into_table(), groups)]
        }
    }

    /// The whole file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = header_blob();
        for b in self.blocks() {
            out.extend(data_blob(&b));
        }
        out
    }

    /// Writes the file.
    pub fn write(&self, path: &Path) {
        std::fs::write(path, self.to_bytes()).expect("write the test PBF");
    }
}

fn block(table: StringTable, groups: Vec<PrimitiveGroup>) -> PrimitiveBlock {
    let mut b = PrimitiveBlock::new();
    b.stringtable = MessageField::some(table);
    b.primitivegroup = groups;
    b
}

/// Frames one blob: 4-byte big-endian header length, `BlobHeader`, then the blob bytes.
pub fn frame(blob_type: &str, blob_bytes: &[u8]) -> Vec<u8> {
    let mut header = BlobHeader::new();
    header.set_type(blob_type.to_string());
    header.set_datasize(blob_bytes.len() as i32);
    let hb = header.write_to_bytes().expect("encode blob header");
    let mut out = (hb.len() as u32).to_be_bytes().to_vec();
    out.extend(hb);
    out.extend_from_slice(blob_bytes);
    out
}

/// A `Blob` holding `payload` uncompressed.
pub fn raw_blob(payload: Vec<u8>) -> Vec<u8> {
    let mut blob = Blob::new();
    blob.set_raw_size(payload.len() as i32);
    blob.set_raw(payload);
    blob.write_to_bytes().expect("encode blob")
}

/// The framed `OSMHeader` blob.
pub fn header_blob() -> Vec<u8> {
    let mut h = HeaderBlock::new();
    h.required_features = vec!["OsmSchema-V0.6".into(), "DenseNodes".into()];
    h.set_writingprogram("lifecircle tests".into());
    frame("OSMHeader", &raw_blob(h.write_to_bytes().expect("encode header block")))
}

/// A framed `OSMData` blob holding `block`.
pub fn data_blob(block: &PrimitiveBlock) -> Vec<u8> {
    frame("OSMData", &raw_blob(block.write_to_bytes().expect("encode primitive block")))
}

/// Byte offsets where each framed blob of a PBF file starts, plus the file length at the end.
pub fn blob_boundaries(bytes: &[u8]) -> Vec<usize> {
    let mut pos = 0;
    let mut out = vec![0];
    while pos < bytes.len() {
        let hl = u32::from_be_bytes(bytes[pos..pos + 4].try_into().expect("4 bytes")) as usize;
        let header = BlobHeader::parse_from_bytes(&bytes[pos + 4..pos + 4 + hl]).expect("a valid test file");
        pos += 4 + hl + header.datasize() as usize;
        out.push(pos);
    }
    out
}
