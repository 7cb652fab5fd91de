//! Decoding one `PrimitiveBlock` straight from its bytes.
//!
//! No message is built: dense nodes, ways and relations are handed to an
//! [`ElementSink`] with their tags as indices into the block's string table,
//! looked up only when a rule asks ([`BlockTags`]). Unneeded fields (metadata,
//! changesets) are skipped unread. Every string index is checked against the
//! table, so a corrupt block is an error, never a panic. `O(block bytes)`
//! with scratch buffers reused across the blocks a thread decodes.

use std::borrow::Cow;

use super::wire::{Reader, Value, WireResult, bytes, push_delta_sint64, push_varints, zigzag};
use crate::taxonomy::TagLookup;

/// A relation member's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberType {
    /// A node.
    Node,
    /// A way.
    Way,
    /// A relation.
    Relation,
}

/// One relation member: type, id, role (`role_index` into the string table).
#[derive(Debug, Clone, Copy)]
pub struct Member {
    /// The member's type.
    pub kind: MemberType,
    /// Its id.
    pub id: i64,
    /// Its role, an index into the block's string table (checked).
    pub role: u32,
}

/// The tags of one element: `(key, value)` string indices into the block's table.
#[derive(Clone, Copy)]
pub struct BlockTags<'a> {
    strings: &'a [Cow<'a, str>],
    pairs: &'a [(u32, u32)],
}

impl<'a> BlockTags<'a> {
    /// No tags at all?
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// A string of the block's table (indices handed out by the decoder are checked).
    #[inline]
    pub fn string(&self, i: u32) -> &'a str {
        &self.strings[i as usize]
    }

    /// The `(key, value)` pairs, in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.pairs.iter().map(|&(k, v)| (self.string(k), self.string(v)))
    }
}

impl TagLookup for BlockTags<'_> {
    /// The value of `key`; of a key given twice, the last (as osmpbfreader's tag map keeps).
    #[inline]
    fn tag(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|&&(k, _)| self.strings[k as usize] == key)
            .map(|&(_, v)| &*self.strings[v as usize])
    }
}

/// Receives a block's elements in file order (per group: nodes, then ways, then relations).
pub trait ElementSink {
    /// A node: id and position in decimicro-degrees `[lon, lat]`.
    fn node(&mut self, id: i64, decimicro: [i32; 2], tags: BlockTags<'_>);
    /// A way: id and node references.
    fn way(&mut self, id: i64, refs: &[i64], tags: BlockTags<'_>);
    /// A relation: id and members.
    fn relation(&mut self, id: i64, members: &[Member], tags: BlockTags<'_>);
}

/// Scratch buffers for decoding, reused across blocks.
#[derive(Default)]
pub struct BlockScratch {
    ids: Vec<i64>,
    lats: Vec<i64>,
    lons: Vec<i64>,
    u64s: Vec<u64>,
    u64s_b: Vec<u64>,
    pairs: Vec<(u32, u32)>,
    refs: Vec<i64>,
    types: Vec<u64>,
    roles: Vec<u64>,
    members: Vec<Member>,
}

/// The block-level fields: string table and coordinate transform.
struct Frame<'a> {
    strings: Vec<Cow<'a, str>>,
    granularity: i64,
    lat_offset: i64,
    lon_offset: i64,
}

impl Frame<'_> {
    /// Decimicro-degrees of a raw coordinate (integer division as osmpbfreader does;
    /// wrapping, as a hostile block may overflow: the position is then invalid and dropped).
    #[inline]
    fn decimicro(&self, offset: i64, c: i64) -> i32 {
        (offset.wrapping_add(self.granularity.wrapping_mul(c)) / 100) as i32
    }

    fn check(&self, i: u64, what: &str) -> WireResult<u32> {
        if i < self.strings.len() as u64 {
            Ok(i as u32)
        } else {
            Err(format!("{what} refers to string {i} of a table of {}", self.strings.len()))
        }
    }

    /// Pairs `keys[i]`, `vals[i]` (checked) into `pairs`.
    fn pair(&self, keys: &[u64], vals: &[u64], pairs: &mut Vec<(u32, u32)>, what: &str) -> WireResult<()> {
        pairs.clear();
        for (&k, &v) in keys.iter().zip(vals) {
            pairs.push((self.check(k, what)?, self.check(v, what)?));
        }
        Ok(())
    }
}

/// Decodes a `PrimitiveBlock` message, handing every element to `sink`.
pub fn decode_block(block: &[u8], scratch: &mut BlockScratch, sink: &mut impl ElementSink) -> WireResult<()> {
    let mut frame = Frame { strings: Vec::new(), granularity: 100, lat_offset: 0, lon_offset: 0 };
    let mut groups: Vec<&[u8]> = Vec::new();
    let mut r = Reader::new(block);
    while let Some((n, v)) = r.field()? {
        match (n, v) {
            (1, Value::Bytes(table)) => {
                let mut t = Reader::new(table);
                while let Some((n, v)) = t.field()? {
                    if n == 1 {
                        frame.strings.push(String::from_utf8_lossy(bytes(v, "string table entry")?));
                    }
                }
            }
            (2, Value::Bytes(g)) => groups.push(g),
            (17, Value::Varint(g)) => frame.granularity = g as i32 as i64,
            (19, Value::Varint(o)) => frame.lat_offset = o as i64,
            (20, Value::Varint(o)) => frame.lon_offset = o as i64,
            (1 | 2 | 17 | 19 | 20, _) => return Err(format!("primitive block field {n} has the wrong type")),
            _ => {}
        }
    }
    for g in groups {
        decode_group(g, &frame, scratch, sink)?;
    }
    Ok(())
}

fn decode_group(group: &[u8], f: &Frame<'_>, s: &mut BlockScratch, sink: &mut impl ElementSink) -> WireResult<()> {
    // Elements go out by kind (nodes, dense nodes, ways, relations), as osmpbfreader orders them.
    let (mut nodes, mut dense, mut ways, mut relations) = (Vec::new(), None, Vec::new(), Vec::new());
    let mut r = Reader::new(group);
    while let Some((n, v)) = r.field()? {
        match n {
            1 => nodes.push(bytes(v, "node")?),
            2 => dense = Some(bytes(v, "dense nodes")?),
            3 => ways.push(bytes(v, "way")?),
            4 => relations.push(bytes(v, "relation")?),
            _ => {}
        }
    }
    for n in nodes {
        decode_node(n, f, s, sink)?;
    }
    if let Some(d) = dense {
        decode_dense(d, f, s, sink)?;
    }
    for w in ways {
        decode_way(w, f, s, sink)?;
    }
    for rel in relations {
        decode_relation(rel, f, s, sink)?;
    }
    Ok(())
}

fn decode_node(b: &[u8], f: &Frame<'_>, s: &mut BlockScratch, sink: &mut impl ElementSink) -> WireResult<()> {
    let (mut id, mut lat, mut lon) = (0i64, 0i64, 0i64);
    s.u64s.clear();
    s.u64s_b.clear();
    let mut r = Reader::new(b);
    while let Some((n, v)) = r.field()? {
        match (n, v) {
            (1, Value::Varint(x)) => id = zigzag(x),
            (2, v) => push_varints(v, &mut s.u64s)?,
            (3, v) => push_varints(v, &mut s.u64s_b)?,
            (8, Value::Varint(x)) => lat = zigzag(x),
            (9, Value::Varint(x)) => lon = zigzag(x),
            (1 | 8 | 9, _) => return Err(format!("node field {n} has the wrong type")),
            _ => {}
        }
    }
    f.pair(&s.u64s, &s.u64s_b, &mut s.pairs, "node tag")?;
    let pos = [f.decimicro(f.lon_offset, lon), f.decimicro(f.lat_offset, lat)];
    sink.node(id, pos, BlockTags { strings: &f.strings, pairs: &s.pairs });
    Ok(())
}

fn decode_dense(b: &[u8], f: &Frame<'_>, s: &mut BlockScratch, sink: &mut impl ElementSink) -> WireResult<()> {
    s.ids.clear();
    s.lats.clear();
    s.lons.clear();
    s.u64s.clear();
    let (mut id, mut lat, mut lon) = (0i64, 0i64, 0i64);
    let mut r = Reader::new(b);
    while let Some((n, v)) = r.field()? {
        match n {
            1 => push_delta_sint64(v, &mut id, &mut s.ids)?,
            8 => push_delta_sint64(v, &mut lat, &mut s.lats)?,
            9 => push_delta_sint64(v, &mut lon, &mut s.lons)?,
            10 => push_varints(v, &mut s.u64s)?,
            _ => {}
        }
    }
    // keys_vals: per node, key/value pairs ending with a 0 (int32 values, read as such).
    let keys_vals = &s.u64s;
    let mut kv = 0usize;
    let count = s.ids.len().min(s.lats.len()).min(s.lons.len());
    for i in 0..count {
        s.pairs.clear();
        while kv < keys_vals.len() {
            let k = keys_vals[kv] as i32;
            kv += 1;
            if k == 0 {
                break;
            }
            let Some(&v) = keys_vals.get(kv) else { break };
            kv += 1;
            let what = "dense node tag";
            s.pairs.push((f.check(k as u32 as u64, what)?, f.check(v as i32 as u32 as u64, what)?));
        }
        let pos = [f.decimicro(f.lon_offset, s.lons[i]), f.decimicro(f.lat_offset, s.lats[i])];
        sink.node(s.ids[i], pos, BlockTags { strings: &f.strings, pairs: &s.pairs });
    }
    Ok(())
}

fn decode_way(b: &[u8], f: &Frame<'_>, s: &mut BlockScratch, sink: &mut impl ElementSink) -> WireResult<()> {
    let mut id = 0i64;
    s.u64s.clear();
    s.u64s_b.clear();
    s.refs.clear();
    let mut running = 0i64;
    let mut r = Reader::new(b);
    while let Some((n, v)) = r.field()? {
        match (n, v) {
            (1, Value::Varint(x)) => id = x as i64,
            (2, v) => push_varints(v, &mut s.u64s)?,
            (3, v) => push_varints(v, &mut s.u64s_b)?,
            (8, v) => push_delta_sint64(v, &mut running, &mut s.refs)?,
            (1, _) => return Err("way id has the wrong type".into()),
            _ => {}
        }
    }
    f.pair(&s.u64s, &s.u64s_b, &mut s.pairs, "way tag")?;
    sink.way(id, &s.refs, BlockTags { strings: &f.strings, pairs: &s.pairs });
    Ok(())
}

fn decode_relation(b: &[u8], f: &Frame<'_>, s: &mut BlockScratch, sink: &mut impl ElementSink) -> WireResult<()> {
    let mut id = 0i64;
    s.u64s.clear();
    s.u64s_b.clear();
    s.refs.clear();
    s.types.clear();
    s.roles.clear();
    let mut running = 0i64;
    let mut r = Reader::new(b);
    while let Some((n, v)) = r.field()? {
        match (n, v) {
            (1, Value::Varint(x)) => id = x as i64,
            (2, v) => push_varints(v, &mut s.u64s)?,
            (3, v) => push_varints(v, &mut s.u64s_b)?,
            (8, v) => push_varints(v, &mut s.roles)?,
            (9, v) => push_delta_sint64(v, &mut running, &mut s.refs)?,
            (10, v) => push_varints(v, &mut s.types)?,
            (1, _) => return Err("relation id has the wrong type".into()),
            _ => {}
        }
    }
    f.pair(&s.u64s, &s.u64s_b, &mut s.pairs, "relation tag")?;
    s.members.clear();
    for ((&id, &t), &role) in s.refs.iter().zip(&s.types).zip(&s.roles) {
        let role = f.check(role as i32 as u32 as u64, "relation role")?;
        let kind = match t {
            0 => MemberType::Node,
            1 => MemberType::Way,
            2 => MemberType::Relation,
            _ => continue, // an unknown member type is skipped, as osmpbfreader does
        };
        s.members.push(Member { kind, id, role });
    }
    sink.relation(id, &s.members, BlockTags { strings: &f.strings, pairs: &s.pairs });
    Ok(())
}
