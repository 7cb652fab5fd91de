//! Decoding one `PrimitiveBlock`: the element interface and the reference decoder.
//!
//! [`decode_block`] reads a block straight from its wire bytes
//! ([`super::wire`]) and falls back, for the forms that decoder leaves aside
//! and for every error, on the reference decoder here: the inflated block is
//! parsed into osmpbfreader's generated [`PrimitiveBlock`] message (the
//! `protobuf` crate's `Message::parse_from_bytes`), then its dense nodes,
//! nodes, ways and relations are walked directly ([`walk_block`]). Both hand
//! the elements to an [`ElementSink`] with their tags as indices into the
//! block's string table, looked up only when a rule asks ([`BlockTags`]). No
//! `OsmObj` and no tag map is built per element, and every string index is
//! checked against the table, so a corrupt block is an error, never a panic.
//! Elements go out in osmpbfreader's own order (per group: nodes, dense
//! nodes, ways, relations) with its coordinate arithmetic, so
//! [`decode_block`] sees what `OsmPbfReader::iter` sees.
//!
//! `O(block bytes)`: the message is `O(block bytes)` to parse, the walk
//! `O(elements + tags + references)` with scratch buffers reused across the
//! blocks a thread decodes.

use std::borrow::Cow;

use osmpbfreader::osmformat::{self, PrimitiveBlock, PrimitiveGroup};
use protobuf::Message;

use crate::taxonomy::TagLookup;

/// What is wrong with a block, in words for the user.
pub type DecodeResult<T> = std::result::Result<T, String>;

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
///
/// A key given twice (invalid OSM, but a file may hold it) reads as
/// osmpbfreader's tag map reads it: the first value for plain nodes, ways and
/// relations (their tags are collected, sorted and deduplicated), the last for
/// dense nodes (their tags are inserted one by one).
#[derive(Clone, Copy)]
pub struct BlockTags<'a> {
    strings: &'a [Cow<'a, str>],
    pairs: &'a [(u32, u32)],
    last_wins: bool,
}

impl<'a> BlockTags<'a> {
    /// Tags as `(key, value)` indices into `strings` (checked by the caller); `last_wins` for dense nodes.
    #[inline]
    pub(super) fn new(strings: &'a [Cow<'a, str>], pairs: &'a [(u32, u32)], last_wins: bool) -> Self {
        BlockTags { strings, pairs, last_wins }
    }

    /// The block's string table.
    #[inline]
    pub(super) fn strings(&self) -> &'a [Cow<'a, str>] {
        self.strings
    }

    /// The `(key, value)` string indices, in file order.
    #[inline]
    pub(super) fn pairs(&self) -> &'a [(u32, u32)] {
        self.pairs
    }

    /// The same element's tags cut down to `pairs` (some of [`BlockTags::pairs`], in their order).
    #[inline]
    pub(super) fn with_pairs<'b>(&self, pairs: &'b [(u32, u32)]) -> BlockTags<'b>
    where
        'a: 'b,
    {
        BlockTags { strings: self.strings, pairs, last_wins: self.last_wins }
    }

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

    /// The `(key, value)` pairs in file order, a repeated key once (with the value [`TagLookup::tag`] gives).
    /// `O(tags²)`.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.pairs.iter().enumerate().filter_map(move |(i, &(k, v))| {
            let key = self.string(k);
            let shadowed = if self.last_wins { &self.pairs[i + 1..] } else { &self.pairs[..i] };
            (!shadowed.iter().any(|&(k2, _)| self.string(k2) == key)).then(|| (key, self.string(v)))
        })
    }
}

impl TagLookup for BlockTags<'_> {
    /// The value of `key` (of a key given twice, the value osmpbfreader keeps: see [`BlockTags`]).
    #[inline]
    fn tag(&self, key: &str) -> Option<&str> {
        let is_key = |&&(k, _): &&(u32, u32)| self.strings[k as usize] == key;
        let found = if self.last_wins { self.pairs.iter().rev().find(is_key) } else { self.pairs.iter().find(is_key) };
        found.map(|&(_, v)| &*self.strings[v as usize])
    }
}

/// Receives a block's elements in file order (per group: nodes, then ways, then relations).
pub trait ElementSink {
    /// A block begins (a sink that holds more than one block notes where, for [`ElementSink::rewind`]).
    fn begin_block(&mut self) {}
    /// Forgets every element handed out since the block began: the fast
    /// decoder met a form it leaves to the reference decoder, which hands the
    /// whole block out again.
    fn rewind(&mut self);
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
    pub(super) pairs: Vec<(u32, u32)>,
    pub(super) refs: Vec<i64>,
    pub(super) members: Vec<Member>,
    /// The wire decoder's group byte ranges.
    pub(super) groups: Vec<(usize, usize)>,
}

/// The block-level fields: string table and coordinate transform.
pub(super) struct Frame<'a> {
    pub(super) strings: Vec<Cow<'a, str>>,
    pub(super) granularity: i64,
    pub(super) lat_offset: i64,
    pub(super) lon_offset: i64,
}

impl Frame<'_> {
    /// Decimicro-degrees of a raw coordinate `offset + granularity × c` in
    /// nanodegrees (integer division as osmpbfreader does).
    ///
    /// A hostile block's granularity, offset or coordinate can overflow that
    /// arithmetic: the block is rejected rather than the position wrapped to
    /// an arbitrary place. A position past `i32` decimicro-degrees (beyond
    /// ±214°) is impossible and becomes `i32::MAX`, which the sink drops as
    /// an invalid position.
    #[inline]
    pub(super) fn decimicro(&self, offset: i64, c: i64, node: i64) -> DecodeResult<i32> {
        let nano = (self.granularity.checked_mul(c)).and_then(|g| g.checked_add(offset)).ok_or_else(|| {
            format!(
                "node {node}: its coordinate overflows (offset {offset} + granularity {} × {c} nanodegrees)",
                self.granularity
            )
        })?;
        Ok(i32::try_from(nano / 100).unwrap_or(i32::MAX))
    }

    /// A string index, checked against the table.
    #[inline]
    fn check(&self, i: u32, what: &str) -> DecodeResult<u32> {
        if (i as usize) < self.strings.len() {
            Ok(i)
        } else {
            Err(format!("{what} refers to string {i} of a table of {}", self.strings.len()))
        }
    }

    /// Pairs `keys[i]`, `vals[i]` (checked) into `pairs`.
    fn pair(&self, keys: &[u32], vals: &[u32], pairs: &mut Vec<(u32, u32)>, what: &str) -> DecodeResult<()> {
        pairs.clear();
        for (&k, &v) in keys.iter().zip(vals) {
            pairs.push((self.check(k, what)?, self.check(v, what)?));
        }
        Ok(())
    }
}

/// Parses a `PrimitiveBlock` message (osmpbfreader's type) from its bytes.
pub fn parse_block(block: &[u8]) -> DecodeResult<PrimitiveBlock> {
    PrimitiveBlock::parse_from_bytes(block).map_err(|e| format!("bad primitive block: {e}"))
}

/// Decodes a block from its bytes and hands every element to `sink`: read
/// straight from the wire ([`super::wire`]), or, for the forms that decoder
/// leaves aside and for every error, by [`decode_block_reference`] (the
/// elements handed out before are taken back with [`ElementSink::rewind`]).
pub fn decode_block(block: &[u8], scratch: &mut BlockScratch, sink: &mut impl ElementSink) -> DecodeResult<()> {
    sink.begin_block();
    if super::wire::walk(block, scratch, sink).is_ok() {
        return Ok(());
    }
    sink.rewind();
    decode_block_reference(block, scratch, sink)
}

/// The reference decoder: parses osmpbfreader's `PrimitiveBlock` message and
/// hands every element to `sink` ([`walk_block`]).
pub fn decode_block_reference(
    block: &[u8],
    scratch: &mut BlockScratch,
    sink: &mut impl ElementSink,
) -> DecodeResult<()> {
    walk_block(&parse_block(block)?, scratch, sink)
}

/// Hands every element of a parsed block to `sink`.
pub fn walk_block(block: &PrimitiveBlock, scratch: &mut BlockScratch, sink: &mut impl ElementSink) -> DecodeResult<()> {
    let frame = Frame {
        strings: block.stringtable.s.iter().map(|s| String::from_utf8_lossy(s)).collect(),
        granularity: block.granularity() as i64,
        lat_offset: block.lat_offset(),
        lon_offset: block.lon_offset(),
    };
    for g in &block.primitivegroup {
        walk_group(g, &frame, scratch, sink)?;
    }
    Ok(())
}

/// One group's elements, by kind as osmpbfreader orders them: nodes, dense nodes, ways, relations.
fn walk_group(
    g: &PrimitiveGroup,
    f: &Frame<'_>,
    s: &mut BlockScratch,
    sink: &mut impl ElementSink,
) -> DecodeResult<()> {
    for n in &g.nodes {
        f.pair(&n.keys, &n.vals, &mut s.pairs, "node tag")?;
        let pos = [f.decimicro(f.lon_offset, n.lon(), n.id())?, f.decimicro(f.lat_offset, n.lat(), n.id())?];
        sink.node(n.id(), pos, BlockTags { strings: &f.strings, pairs: &s.pairs, last_wins: false });
    }
    if let Some(d) = g.dense.as_ref() {
        walk_dense(d, f, s, sink)?;
    }
    for w in &g.ways {
        f.pair(&w.keys, &w.vals, &mut s.pairs, "way tag")?;
        // References are delta-coded; wrapping, as hostile deltas may overflow.
        s.refs.clear();
        let mut running = 0i64;
        s.refs.extend(w.refs.iter().map(|&d| {
            running = running.wrapping_add(d);
            running
        }));
        sink.way(w.id(), &s.refs, BlockTags { strings: &f.strings, pairs: &s.pairs, last_wins: false });
    }
    for r in &g.relations {
        walk_relation(r, f, s, sink)?;
    }
    Ok(())
}

/// Dense nodes: ids and coordinates delta-coded, tags as one `keys_vals` array
/// (per node, key/value pairs ending with a 0).
fn walk_dense(
    d: &osmformat::DenseNodes,
    f: &Frame<'_>,
    s: &mut BlockScratch,
    sink: &mut impl ElementSink,
) -> DecodeResult<()> {
    let keys_vals = &d.keys_vals;
    let mut kv = 0usize;
    let (mut id, mut lat, mut lon) = (0i64, 0i64, 0i64);
    for ((&did, &dlat), &dlon) in d.id.iter().zip(&d.lat).zip(&d.lon) {
        id = id.wrapping_add(did);
        // Coordinates are delta-coded: a hostile delta can overflow the running sum.
        let overflow = || format!("dense node {id}: its coordinate deltas overflow");
        lat = lat.checked_add(dlat).ok_or_else(overflow)?;
        lon = lon.checked_add(dlon).ok_or_else(overflow)?;
        s.pairs.clear();
        while kv < keys_vals.len() {
            let k = keys_vals[kv];
            kv += 1;
            if k == 0 {
                break;
            }
            let Some(&v) = keys_vals.get(kv) else { break };
            kv += 1;
            let what = "dense node tag";
            s.pairs.push((f.check(k as u32, what)?, f.check(v as u32, what)?));
        }
        let pos = [f.decimicro(f.lon_offset, lon, id)?, f.decimicro(f.lat_offset, lat, id)?];
        sink.node(id, pos, BlockTags { strings: &f.strings, pairs: &s.pairs, last_wins: true });
    }
    Ok(())
}

fn walk_relation(
    r: &osmformat::Relation,
    f: &Frame<'_>,
    s: &mut BlockScratch,
    sink: &mut impl ElementSink,
) -> DecodeResult<()> {
    use osmformat::relation::MemberType as Pb;
    f.pair(&r.keys, &r.vals, &mut s.pairs, "relation tag")?;
    s.members.clear();
    let mut id = 0i64;
    for ((&did, t), &role) in r.memids.iter().zip(&r.types).zip(&r.roles_sid) {
        id = id.wrapping_add(did);
        let role = f.check(role as u32, "relation role")?;
        let kind = match t.enum_value() {
            Ok(Pb::NODE) => MemberType::Node,
            Ok(Pb::WAY) => MemberType::Way,
            Ok(Pb::RELATION) => MemberType::Relation,
            Err(_) => continue, // an unknown member type is skipped, as osmpbfreader does
        };
        s.members.push(Member { kind, id, role });
    }
    sink.relation(r.id(), &s.members, BlockTags { strings: &f.strings, pairs: &s.pairs, last_wins: false });
    Ok(())
}
