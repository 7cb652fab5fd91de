//! Decoding a `PrimitiveBlock` straight from its protobuf wire bytes.
//!
//! The fast path of [`super::block::decode_block`]: the block's fields are
//! read where they lie (no message tree, no per-element vectors; the packed
//! arrays of ids, coordinates, references and tags are decoded while the
//! elements are handed to the [`ElementSink`]), with the same element order,
//! tag pairing, coordinate arithmetic and string checks as the reference
//! decoder ([`super::block::walk_block`] over osmpbfreader's generated
//! message).
//!
//! It accepts exactly what that message accepts, or steps aside: every
//! varint is read by rust-protobuf's rules (at most ten bytes, the tenth at
//! most 1; a `uint32` at most five bytes, the fifth at most 15; an `int32`
//! within `i32`; the length of a message or packed array a `uint64`, of a
//! string or unknown field a `uint32`), every length within its message, unknown fields skipped
//! by wire type, required fields demanded, and the metadata it never uses
//! (`Info`, `DenseInfo`, `ChangeSet`) decoded and dropped, so a block the
//! message refuses is never walked here. Forms it does not read itself,
//! though the format allows them (a packed array split into several fields
//! or written unpacked, a second `dense` or `stringtable` in one message, a
//! group wire type, a string index or coordinate the reference decoder
//! rejects), end the walk with [`Deferred`]; the caller then forgets what was handed out and decodes
//! the block with the reference, which also words any error. Writers
//! (osmium, osmosis, Osmconvert, planetiler) write none of these, so real
//! files never take that path; the tests check both paths agree on random
//! and mutated blocks.
//!
//! `O(block bytes)`: each group is framed four times (one pass per element
//! kind, in the reference's order), every other byte is read once.

use super::block::{BlockScratch, BlockTags, ElementSink, Frame, Member, MemberType};

/// The block uses a form this decoder leaves to the reference decoder (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deferred;

/// What a fast decoding step gives.
pub type Fast<T> = Result<T, Deferred>;

/// Protobuf wire types this decoder reads (3 and 4, groups, are deferred; 6 and 7 are invalid).
const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LEN: u8 = 2;
const FIXED32: u8 = 5;

/// A position in a message's bytes.
#[derive(Clone)]
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Cursor { buf, pos: 0 }
    }

    #[inline]
    fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// A varint of at most `LEN` bytes whose last possible byte is at most
    /// `LAST`: rust-protobuf's rule (`uint64`: 10 and 1, `uint32`: 5 and 15).
    #[inline]
    fn varint<const LEN: usize, const LAST: u8>(&mut self) -> Fast<u64> {
        let b = self.buf;
        let first = *b.get(self.pos).ok_or(Deferred)?;
        if first < 0x80 {
            self.pos += 1;
            return Ok(u64::from(first));
        }
        let mut v = u64::from(first & 0x7f);
        for i in 1..LEN {
            let byte = *b.get(self.pos + i).ok_or(Deferred)?;
            if i == LEN - 1 {
                if byte > LAST {
                    return Err(Deferred);
                }
                self.pos += LEN;
                return Ok(v | (u64::from(byte) << (7 * i)));
            }
            v |= u64::from(byte & 0x7f) << (7 * i);
            if byte < 0x80 {
                self.pos += i + 1;
                return Ok(v);
            }
        }
        unreachable!("the last byte returns")
    }

    /// A `uint64` varint: at most ten bytes, the tenth at most 1.
    #[inline]
    fn u64(&mut self) -> Fast<u64> {
        self.varint::<10, 1>()
    }

    /// A `uint32` varint: at most five bytes, the fifth at most 15.
    #[inline]
    fn u32(&mut self) -> Fast<u32> {
        self.varint::<5, 0x0f>().map(|v| v as u32)
    }

    /// An `int32`: a `uint64` varint whose value as `i64` fits `i32`.
    #[inline]
    fn i32(&mut self) -> Fast<i32> {
        i32::try_from(self.u64()? as i64).map_err(|_| Deferred)
    }

    /// A `sint64` (zigzag).
    #[inline]
    fn sint64(&mut self) -> Fast<i64> {
        let n = self.u64()?;
        Ok((n >> 1) as i64 ^ -((n & 1) as i64))
    }

    /// A field's tag: `(field number, wire type)`; field 0 and groups are deferred.
    #[inline]
    fn tag(&mut self) -> Fast<(u32, u8)> {
        let t = self.u32()?;
        let wire = (t & 7) as u8;
        if t >> 3 == 0 || !matches!(wire, VARINT | FIXED64 | LEN | FIXED32) {
            return Err(Deferred);
        }
        Ok((t >> 3, wire))
    }

    /// A message's or packed array's bytes, within the message (the length a
    /// `uint64` varint, as rust-protobuf reads it for these).
    #[inline]
    fn bytes(&mut self) -> Fast<&'a [u8]> {
        let len = self.u64()?;
        self.take(len)
    }

    /// A `bytes` field's or an unknown length-delimited field's bytes (the
    /// length a `uint32` varint, as rust-protobuf reads it for these).
    #[inline]
    fn bytes32(&mut self) -> Fast<&'a [u8]> {
        let len = self.u32()?;
        self.take(u64::from(len))
    }

    /// The next `len` bytes, within the message.
    #[inline]
    fn take(&mut self, len: u64) -> Fast<&'a [u8]> {
        let end = usize::try_from(len).ok().and_then(|l| self.pos.checked_add(l)).ok_or(Deferred)?;
        let out = self.buf.get(self.pos..end).ok_or(Deferred)?;
        self.pos = end;
        Ok(out)
    }

    /// Skips an unknown field of wire type `wire`, as protobuf does.
    fn skip(&mut self, wire: u8) -> Fast<()> {
        let width = match wire {
            VARINT => return self.u64().map(drop),
            LEN => return self.bytes32().map(drop),
            FIXED64 => 8,
            _ => 4, // FIXED32: `tag` lets no other type through
        };
        let end = self.pos + width;
        if end > self.buf.len() {
            return Err(Deferred);
        }
        self.pos = end;
        Ok(())
    }
}

/// The kinds of varint a packed array holds.
#[derive(Clone, Copy)]
enum Scalar {
    U64,
    U32,
    I32,
}

impl Scalar {
    /// Reads one value of this kind (checked, dropped).
    #[inline]
    fn check(self, c: &mut Cursor<'_>) -> Fast<()> {
        match self {
            Scalar::U64 => c.u64().map(drop),
            Scalar::U32 => c.u32().map(drop),
            Scalar::I32 => c.i32().map(drop),
        }
    }

    /// Every value of a packed array of this kind (the reference decodes them
    /// all). Arrays of short varints (metadata: versions, timestamp and
    /// changeset deltas, user ids) pass a word-wide test instead of being
    /// read one value at a time ([`short_varints`]): a varint of at most four
    /// bytes is below 2^28, a valid value of every kind.
    fn check_all(self, c: &mut Cursor<'_>) -> Fast<()> {
        if short_varints(&c.buf[c.pos.min(c.buf.len())..]) {
            c.pos = c.buf.len();
            return Ok(());
        }
        while !c.done() {
            self.check(c)?;
        }
        Ok(())
    }
}

/// Whether `bytes` is a sequence of whole varints of at most four bytes
/// each: its last byte ends a varint (no continuation bit) and no four bytes
/// in a row carry the continuation bit. Eight bytes are read at a time, at
/// steps of five: the continuation bits of bytes `i..i + 4` are all set for
/// some `i` among the first five of the eight exactly when the word's
/// continuation bits, ANDed with themselves shifted by one, two and three
/// bytes, leave one set. `O(n)`.
fn short_varints(bytes: &[u8]) -> bool {
    if bytes.last().is_some_and(|&b| b >= 0x80) {
        return false;
    }
    let mut i = 0;
    while i + 8 <= bytes.len() {
        let word = u64::from_le_bytes(bytes[i..i + 8].try_into().expect("eight bytes"));
        let m = word & 0x8080_8080_8080_8080;
        if m & (m >> 8) & (m >> 16) & (m >> 24) != 0 {
            return false;
        }
        i += 5;
    }
    bytes[i..].windows(4).all(|w| w.iter().any(|&b| b < 0x80))
}

/// A packed repeated field of the element being read: its bytes once, or absent.
#[derive(Clone, Copy, Default)]
struct Packed<'a>(Option<&'a [u8]>);

impl<'a> Packed<'a> {
    /// Records the field; written twice (protobuf would concatenate) or unpacked, it is deferred.
    #[inline]
    fn set(&mut self, c: &mut Cursor<'a>, wire: u8) -> Fast<()> {
        if wire != LEN || self.0.is_some() {
            return Err(Deferred);
        }
        self.0 = Some(c.bytes()?);
        Ok(())
    }

    fn cursor(self) -> Cursor<'a> {
        Cursor::new(self.0.unwrap_or(&[]))
    }
}

/// Pairs a tag list's keys and values into `pairs`, as [`Frame::pair`]
/// does (the shorter list decides), each index checked; every value of both
/// lists is read.
fn pair_tags(f: &Frame<'_>, keys: Packed<'_>, vals: Packed<'_>, pairs: &mut Vec<(u32, u32)>) -> Fast<()> {
    pairs.clear();
    let (mut k, mut v) = (keys.cursor(), vals.cursor());
    while !k.done() && !v.done() {
        let key = k.u32()?;
        let val = v.u32()?;
        pairs.push((check(f, key)?, check(f, val)?));
    }
    Scalar::U32.check_all(&mut k)?;
    Scalar::U32.check_all(&mut v)
}

/// A string index, checked against the table (out of range: the reference words the error).
#[inline]
fn check(f: &Frame<'_>, i: u32) -> Fast<u32> {
    if (i as usize) < f.strings.len() { Ok(i) } else { Err(Deferred) }
}

/// Decimicro-degrees of a raw coordinate (an overflow: the reference words the error).
#[inline]
fn decimicro(f: &Frame<'_>, offset: i64, c: i64, id: i64) -> Fast<i32> {
    f.decimicro(offset, c, id).map_err(|_| Deferred)
}

/// Reads an `Info` message (version, timestamp, changeset, uid, user_sid, visible) and drops it.
fn check_info(bytes: &[u8]) -> Fast<()> {
    let mut c = Cursor::new(bytes);
    while !c.done() {
        match c.tag()? {
            (1 | 4, VARINT) => c.i32().map(drop)?,
            (5, VARINT) => c.u32().map(drop)?,
            (2 | 3 | 6, VARINT) => c.u64().map(drop)?,
            (_, wire) => c.skip(wire)?,
        }
    }
    Ok(())
}

/// Reads a `DenseInfo` message (packed or not) and drops it.
fn check_dense_info(bytes: &[u8]) -> Fast<()> {
    let mut c = Cursor::new(bytes);
    while !c.done() {
        let (field, wire) = c.tag()?;
        let kind = match field {
            1 => Scalar::I32,
            2 | 3 | 6 => Scalar::U64,
            4 | 5 => Scalar::U32, // sint32: a uint32 zigzagged
            _ => {
                c.skip(wire)?;
                continue;
            }
        };
        match wire {
            VARINT => kind.check(&mut c)?,
            LEN => kind.check_all(&mut Cursor::new(c.bytes()?))?,
            _ => c.skip(wire)?,
        }
    }
    Ok(())
}

/// Reads a `ChangeSet` (its required id) and drops it.
fn check_changeset(bytes: &[u8]) -> Fast<()> {
    let mut c = Cursor::new(bytes);
    let mut id = false;
    while !c.done() {
        match c.tag()? {
            (1, VARINT) => {
                c.u64()?;
                id = true;
            }
            (_, wire) => c.skip(wire)?,
        }
    }
    if id { Ok(()) } else { Err(Deferred) }
}

/// Decodes a block from its bytes and hands every element to `sink`, or
/// [`Deferred`] (elements may have been handed out before; see the module docs).
///
/// ```
/// use lifecircle::osm::block::{BlockScratch, BlockTags, ElementSink, Member};
/// use lifecircle::osm::wire;
/// use osmpbfreader::osmformat::{PrimitiveBlock, PrimitiveGroup, StringTable, Way};
/// use protobuf::Message;
///
/// /// Keeps the ways' ids and node references.
/// struct Ways(Vec<(i64, Vec<i64>)>);
/// impl ElementSink for Ways {
///     fn node(&mut self, _: i64, _: [i32; 2], _: BlockTags<'_>) {}
///     fn way(&mut self, id: i64, refs: &[i64], _: BlockTags<'_>) {
///         self.0.push((id, refs.to_vec()));
///     }
///     fn relation(&mut self, _: i64, _: &[Member], _: BlockTags<'_>) {}
///     fn rewind(&mut self) {
///         self.0.clear();
///     }
/// }
///
/// let mut block = PrimitiveBlock::new();
/// block.stringtable = protobuf::MessageField::some(StringTable::new());
/// let mut group = PrimitiveGroup::new();
/// let mut way = Way::new();
/// way.set_id(7);
/// way.refs = vec![10, 1, 1]; // delta-coded: nodes 10, 11, 12
/// group.ways.push(way);
/// block.primitivegroup.push(group);
/// let bytes = block.write_to_bytes().unwrap();
///
/// let mut ways = Ways(Vec::new());
/// wire::walk(&bytes, &mut BlockScratch::default(), &mut ways).unwrap();
/// assert_eq!(ways.0, vec![(7, vec![10, 11, 12])]);
/// ```
pub fn walk(block: &[u8], s: &mut BlockScratch, sink: &mut impl ElementSink) -> Fast<()> {
    let mut c = Cursor::new(block);
    let mut table = None;
    let (mut granularity, mut lat_offset, mut lon_offset) = (100i64, 0i64, 0i64);
    s.groups.clear();
    while !c.done() {
        match c.tag()? {
            (1, LEN) => {
                if table.is_some() {
                    return Err(Deferred); // two tables: rust-protobuf keeps the second
                }
                table = Some(c.bytes()?);
            }
            (2, LEN) => {
                let len = c.bytes()?.len();
                s.groups.push((c.pos - len, c.pos));
            }
            (17, VARINT) => granularity = i64::from(c.i32()?),
            (18, VARINT) => c.i32().map(drop)?,
            (19, VARINT) => lat_offset = c.u64()? as i64,
            (20, VARINT) => lon_offset = c.u64()? as i64,
            (_, wire) => c.skip(wire)?,
        }
    }
    let mut strings = Vec::new();
    let mut t = Cursor::new(table.ok_or(Deferred)?); // required
    while !t.done() {
        match t.tag()? {
            (1, LEN) => strings.push(String::from_utf8_lossy(t.bytes32()?)),
            (_, wire) => t.skip(wire)?,
        }
    }
    let frame = Frame { strings, granularity, lat_offset, lon_offset };
    let groups = std::mem::take(&mut s.groups);
    let walked = groups.iter().try_for_each(|&(a, b)| walk_group(&block[a..b], &frame, s, sink));
    s.groups = groups;
    walked
}

/// One group's elements in the reference's order: nodes, dense nodes, ways,
/// relations (one framing pass per kind; change sets are read and dropped).
fn walk_group(g: &[u8], f: &Frame<'_>, s: &mut BlockScratch, sink: &mut impl ElementSink) -> Fast<()> {
    for pass in 0..4 {
        let mut c = Cursor::new(g);
        let mut dense_seen = false;
        while !c.done() {
            let (field, wire) = c.tag()?;
            if wire != LEN || !(1..=5).contains(&field) {
                c.skip(wire)?;
                continue;
            }
            let bytes = c.bytes()?;
            match (pass, field) {
                (0, 1) => walk_node(bytes, f, s, sink)?,
                (1, 2) if dense_seen => return Err(Deferred), // two dense messages: left to the reference
                (1, 2) => {
                    dense_seen = true;
                    walk_dense(bytes, f, s, sink)?;
                }
                (2, 3) => walk_way(bytes, f, s, sink)?,
                (3, 4) => walk_relation(bytes, f, s, sink)?,
                (3, 5) => check_changeset(bytes)?,
                _ => {}
            }
        }
    }
    Ok(())
}

fn walk_node(bytes: &[u8], f: &Frame<'_>, s: &mut BlockScratch, sink: &mut impl ElementSink) -> Fast<()> {
    let mut c = Cursor::new(bytes);
    let (mut id, mut lat, mut lon) = (None, None, None);
    let (mut keys, mut vals) = (Packed::default(), Packed::default());
    while !c.done() {
        match c.tag()? {
            (1, VARINT) => id = Some(c.sint64()?),
            (2, wire) => keys.set(&mut c, wire)?,
            (3, wire) => vals.set(&mut c, wire)?,
            (4, LEN) => check_info(c.bytes()?)?,
            (8, VARINT) => lat = Some(c.sint64()?),
            (9, VARINT) => lon = Some(c.sint64()?),
            (_, wire) => c.skip(wire)?,
        }
    }
    let (Some(id), Some(lat), Some(lon)) = (id, lat, lon) else { return Err(Deferred) }; // required
    pair_tags(f, keys, vals, &mut s.pairs)?;
    let pos = [decimicro(f, f.lon_offset, lon, id)?, decimicro(f, f.lat_offset, lat, id)?];
    sink.node(id, pos, BlockTags::new(&f.strings, &s.pairs, false));
    Ok(())
}

/// Dense nodes: ids and coordinates delta-coded, tags as one `keys_vals`
/// array (per node, key/value pairs ending with a 0), read in step.
fn walk_dense(bytes: &[u8], f: &Frame<'_>, s: &mut BlockScratch, sink: &mut impl ElementSink) -> Fast<()> {
    let mut c = Cursor::new(bytes);
    let (mut ids, mut lats, mut lons, mut kvs) =
        (Packed::default(), Packed::default(), Packed::default(), Packed::default());
    while !c.done() {
        match c.tag()? {
            (1, wire) => ids.set(&mut c, wire)?,
            (5, LEN) => check_dense_info(c.bytes()?)?,
            (8, wire) => lats.set(&mut c, wire)?,
            (9, wire) => lons.set(&mut c, wire)?,
            (10, wire) => kvs.set(&mut c, wire)?,
            (_, wire) => c.skip(wire)?,
        }
    }
    let (mut ids, mut lats, mut lons, mut kvs) = (ids.cursor(), lats.cursor(), lons.cursor(), kvs.cursor());
    let (mut id, mut lat, mut lon) = (0i64, 0i64, 0i64);
    while !ids.done() && !lats.done() && !lons.done() {
        id = id.wrapping_add(ids.sint64()?);
        lat = lat.checked_add(lats.sint64()?).ok_or(Deferred)?;
        lon = lon.checked_add(lons.sint64()?).ok_or(Deferred)?;
        s.pairs.clear();
        while !kvs.done() {
            let k = kvs.i32()?;
            if k == 0 {
                break;
            }
            if kvs.done() {
                break;
            }
            let v = kvs.i32()?;
            s.pairs.push((check(f, k as u32)?, check(f, v as u32)?));
        }
        let pos = [decimicro(f, f.lon_offset, lon, id)?, decimicro(f, f.lat_offset, lat, id)?];
        sink.node(id, pos, BlockTags::new(&f.strings, &s.pairs, true));
    }
    Scalar::U64.check_all(&mut ids)?;
    Scalar::U64.check_all(&mut lats)?;
    Scalar::U64.check_all(&mut lons)?;
    Scalar::I32.check_all(&mut kvs)
}

fn walk_way(bytes: &[u8], f: &Frame<'_>, s: &mut BlockScratch, sink: &mut impl ElementSink) -> Fast<()> {
    let mut c = Cursor::new(bytes);
    let mut id = None;
    let (mut keys, mut vals, mut refs) = (Packed::default(), Packed::default(), Packed::default());
    while !c.done() {
        match c.tag()? {
            (1, VARINT) => id = Some(c.u64()? as i64),
            (2, wire) => keys.set(&mut c, wire)?,
            (3, wire) => vals.set(&mut c, wire)?,
            (4, LEN) => check_info(c.bytes()?)?,
            (8, wire) => refs.set(&mut c, wire)?,
            (_, wire) => c.skip(wire)?,
        }
    }
    let id = id.ok_or(Deferred)?; // required
    pair_tags(f, keys, vals, &mut s.pairs)?;
    // References are delta-coded; wrapping, as hostile deltas may overflow.
    s.refs.clear();
    let mut running = 0i64;
    let mut r = refs.cursor();
    while !r.done() {
        running = running.wrapping_add(r.sint64()?);
        s.refs.push(running);
    }
    sink.way(id, &s.refs, BlockTags::new(&f.strings, &s.pairs, false));
    Ok(())
}

fn walk_relation(bytes: &[u8], f: &Frame<'_>, s: &mut BlockScratch, sink: &mut impl ElementSink) -> Fast<()> {
    let mut c = Cursor::new(bytes);
    let mut id = None;
    let (mut keys, mut vals) = (Packed::default(), Packed::default());
    let (mut roles, mut memids, mut types) = (Packed::default(), Packed::default(), Packed::default());
    while !c.done() {
        match c.tag()? {
            (1, VARINT) => id = Some(c.u64()? as i64),
            (2, wire) => keys.set(&mut c, wire)?,
            (3, wire) => vals.set(&mut c, wire)?,
            (4, LEN) => check_info(c.bytes()?)?,
            (8, wire) => roles.set(&mut c, wire)?,
            (9, wire) => memids.set(&mut c, wire)?,
            (10, wire) => types.set(&mut c, wire)?,
            (_, wire) => c.skip(wire)?,
        }
    }
    let id = id.ok_or(Deferred)?; // required
    pair_tags(f, keys, vals, &mut s.pairs)?;
    s.members.clear();
    let (mut roles, mut memids, mut types) = (roles.cursor(), memids.cursor(), types.cursor());
    let mut member = 0i64;
    while !roles.done() && !memids.done() && !types.done() {
        member = member.wrapping_add(memids.sint64()?);
        let t = types.i32()?;
        let role = check(f, roles.i32()? as u32)?;
        let kind = match t {
            0 => MemberType::Node,
            1 => MemberType::Way,
            2 => MemberType::Relation,
            _ => continue, // an unknown member type is skipped, as the reference does
        };
        s.members.push(Member { kind, id: member, role });
    }
    Scalar::I32.check_all(&mut roles)?;
    Scalar::U64.check_all(&mut memids)?;
    Scalar::I32.check_all(&mut types)?;
    sink.relation(id, &s.members, BlockTags::new(&f.strings, &s.pairs, false));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::SplitMix64;

    /// The slow obvious reference: read the varints one by one.
    fn short_varints_reference(bytes: &[u8]) -> bool {
        let mut len = 0;
        for &b in bytes {
            len += 1;
            if len > 4 {
                return false;
            }
            if b < 0x80 {
                len = 0;
            }
        }
        len == 0
    }

    /// Random arrays, the continuation bit set with every probability from
    /// none to all, at every length up to 40 (so runs straddle the words).
    #[test]
    fn short_varints_match_reading_them_one_by_one() {
        let mut rng = SplitMix64(0x5107);
        let mut seen = [0usize; 2];
        for case in 0..200_000 {
            let n = rng.below(41) as usize;
            let p = (case % 9) as u64;
            let bytes: Vec<u8> =
                (0..n).map(|_| (rng.below(128) as u8) | if rng.below(8) < p { 0x80 } else { 0 }).collect();
            let want = short_varints_reference(&bytes);
            assert_eq!(short_varints(&bytes), want, "{bytes:02x?}");
            seen[usize::from(want)] += 1;
            // Accepted only where reading each value of every kind succeeds.
            if want {
                for kind in [Scalar::U64, Scalar::U32, Scalar::I32] {
                    let mut c = Cursor::new(&bytes);
                    while !c.done() {
                        assert!(kind.check(&mut c).is_ok(), "{bytes:02x?}");
                    }
                }
            }
        }
        assert!(seen[0] > 10_000 && seen[1] > 10_000, "{seen:?}");
    }
}
