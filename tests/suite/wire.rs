//! The wire decoder of PBF blocks (`lifecircle::osm::wire`) against the
//! reference decoder (`decode_block_reference`: osmpbfreader's generated
//! `PrimitiveBlock` message, walked). The reference itself is checked against
//! osmpbfreader's own reader in `ingest`.
//!
//! The claim under test: the wire decoder hands out exactly the reference's
//! elements, or steps aside (`Deferred`) and `decode_block` gives the
//! reference's elements or error; it never accepts a block the reference
//! refuses.

use std::path::Path;

use lifecircle::osm::blob::BlobReader;
use lifecircle::osm::block::{BlockScratch, decode_block, decode_block_reference};
use lifecircle::osm::wire;
use osmpbfreader::osmformat::{
    ChangeSet, DenseInfo, DenseNodes, Info, Node, PrimitiveBlock, PrimitiveGroup, Relation, StringTable, Way,
    relation::MemberType,
};
use protobuf::{Message, MessageField};

use crate::common::rng::SplitMix64;
use crate::ingest::{Collect, Element, STRING_POOL};

/// The reference's elements, or its error.
fn reference(block: &[u8]) -> Result<Vec<Element>, String> {
    let mut sink = Collect(Vec::new(), 0);
    decode_block_reference(block, &mut BlockScratch::default(), &mut sink).map(|()| sink.0)
}

/// The wire decoder alone: its elements, or `None` when it stepped aside.
fn fast(block: &[u8]) -> Option<Vec<Element>> {
    let mut sink = Collect(Vec::new(), 0);
    wire::walk(block, &mut BlockScratch::default(), &mut sink).ok().map(|()| sink.0)
}

/// `decode_block` (wire decoder, reference when it steps aside), after another block in the same sink.
fn combined(block: &[u8]) -> Result<Vec<Element>, String> {
    let mut sink = Collect(Vec::new(), 0);
    let mut scratch = BlockScratch::default();
    decode_block(&simple_block(), &mut scratch, &mut sink).expect("the simple block decodes");
    let before = sink.0.len();
    decode_block(block, &mut scratch, &mut sink).map(|()| sink.0.split_off(before))
}

/// A small valid block: one dense node and one way.
fn simple_block() -> Vec<u8> {
    let mut block = with_table(&["", "highway", "footway"]);
    let mut g = PrimitiveGroup::new();
    let mut d = DenseNodes::new();
    (d.id, d.lat, d.lon, d.keys_vals) = (vec![5], vec![470_000_000], vec![95_000_000], vec![1, 2, 0]);
    g.dense = MessageField::some(d);
    let mut w = Way::new();
    w.set_id(9);
    (w.keys, w.vals, w.refs) = (vec![1], vec![2], vec![5, 0]);
    g.ways.push(w);
    block.primitivegroup.push(g);
    block.write_to_bytes().expect("encode")
}

fn with_table(strings: &[&str]) -> PrimitiveBlock {
    let mut block = PrimitiveBlock::new();
    let mut table = StringTable::new();
    table.s = strings.iter().map(|s| s.as_bytes().to_vec()).collect();
    block.stringtable = MessageField::some(table);
    block
}

fn random_info(rng: &mut SplitMix64) -> Info {
    let mut info = Info::new();
    info.set_version(rng.range(1, 40) as i32);
    info.set_timestamp(rng.range(1_200_000_000, 1_800_000_000) as i64);
    info.set_changeset(rng.range(1, 150_000_000) as i64);
    info.set_uid(rng.range(0, 20_000_000) as i32);
    info.set_user_sid(rng.range(0, 5) as u32);
    if rng.chance(0.3) {
        info.set_visible(rng.chance(0.9));
    }
    info
}

/// A random block: 1–3 groups of plain nodes, dense nodes, ways, relations
/// and (rarely) change sets, metadata on most elements, ids and coordinates
/// over the whole range (negative ones too), tags with repeated keys and
/// strings that are not UTF-8, member types of every kind and an unknown
/// one, and unknown fields at every level.
fn random_block(rng: &mut SplitMix64) -> Vec<u8> {
    let pool = STRING_POOL;
    let mut table = StringTable::new();
    table.s = vec![Vec::new(), b"highway".to_vec(), b"footway".to_vec()];
    for _ in 0..rng.range(0, 12) {
        table.s.push(rng.pick(&pool).to_vec());
    }
    let n_strings = table.s.len();
    let mut block = PrimitiveBlock::new();
    block.stringtable = MessageField::some(table);
    if rng.chance(0.5) {
        block.set_granularity(*rng.pick(&[1, 100, 1000, 37]));
    }
    if rng.chance(0.3) {
        block.set_date_granularity(1000);
    }
    if rng.chance(0.5) {
        block.set_lat_offset(rng.range(0, 2_000_000_000) as i64 - 1_000_000_000);
        block.set_lon_offset(rng.range(0, 2_000_000_000) as i64 - 1_000_000_000);
    }
    if rng.chance(0.2) {
        block.special_fields.mut_unknown_fields().add_varint(33, rng.next_u64());
        block.special_fields.mut_unknown_fields().add_length_delimited(34, vec![1, 2, 3]);
    }
    let id = |rng: &mut SplitMix64| rng.next_u64() as i64 >> rng.range(1, 40);
    let coord = |rng: &mut SplitMix64| rng.range(0, 3_000_000_000) as i64 - 1_500_000_000;
    let tags = |rng: &mut SplitMix64| -> Vec<(u32, u32)> {
        (0..rng.range(0, 4)).map(|_| (rng.range(1, n_strings - 1) as u32, rng.range(0, n_strings - 1) as u32)).collect()
    };
    for _ in 0..rng.range(1, 3) {
        let mut g = PrimitiveGroup::new();
        for _ in 0..rng.range(0, 3) {
            let mut n = Node::new();
            n.set_id(id(rng));
            n.set_lat(coord(rng) / 100);
            n.set_lon(coord(rng) / 100);
            (n.keys, n.vals) = tags(rng).into_iter().unzip();
            if rng.chance(0.7) {
                n.info = MessageField::some(random_info(rng));
            }
            if rng.chance(0.1) {
                n.special_fields.mut_unknown_fields().add_fixed64(12, rng.next_u64());
            }
            g.nodes.push(n);
        }
        if rng.chance(0.7) {
            let mut d = DenseNodes::new();
            let mut info = DenseInfo::new();
            for _ in 0..rng.range(0, 30) {
                d.id.push(rng.range(0, 100_000) as i64 - 1000);
                d.lat.push(coord(rng) / 1000);
                d.lon.push(coord(rng) / 1000);
                for (k, v) in tags(rng) {
                    d.keys_vals.extend([k as i32, v as i32]);
                }
                d.keys_vals.push(0);
                info.version.push(rng.range(1, 30) as i32);
                info.timestamp.push(rng.range(0, 1 << 30) as i64 - (1 << 29));
                info.changeset.push(rng.range(0, 1 << 27) as i64 - (1 << 26));
                info.uid.push(rng.range(0, 1 << 20) as i32 - (1 << 19));
                info.user_sid.push(rng.range(0, 10) as i32 - 5);
                info.visible.push(rng.chance(0.9));
            }
            if rng.chance(0.8) {
                d.denseinfo = MessageField::some(info);
            }
            if rng.chance(0.1) {
                d.special_fields.mut_unknown_fields().add_fixed32(15, 7);
            }
            g.dense = MessageField::some(d);
        }
        for _ in 0..rng.range(0, 4) {
            let mut w = Way::new();
            w.set_id(id(rng));
            w.refs = (0..rng.range(0, 10)).map(|_| id(rng)).collect();
            (w.keys, w.vals) = tags(rng).into_iter().unzip();
            if rng.chance(0.7) {
                w.info = MessageField::some(random_info(rng));
            }
            if rng.chance(0.1) {
                // Ways with locations (osmium's add-locations-to-ways writes fields 9 and 10).
                w.special_fields.mut_unknown_fields().add_length_delimited(9, vec![2, 4, 6]);
                w.special_fields.mut_unknown_fields().add_length_delimited(10, vec![1, 3, 5]);
            }
            g.ways.push(w);
        }
        for _ in 0..rng.range(0, 3) {
            let mut r = Relation::new();
            r.set_id(id(rng));
            for _ in 0..rng.range(0, 6) {
                r.memids.push(id(rng));
                r.roles_sid.push(rng.range(0, n_strings - 1) as i32);
                r.types.push(protobuf::EnumOrUnknown::<MemberType>::from_i32(rng.range(0, 3) as i32));
            }
            (r.keys, r.vals) = tags(rng).into_iter().unzip();
            if rng.chance(0.5) {
                r.info = MessageField::some(random_info(rng));
            }
            g.relations.push(r);
        }
        if rng.chance(0.1) {
            let mut c = ChangeSet::new();
            c.set_id(id(rng));
            g.changesets.push(c);
        }
        block.primitivegroup.push(g);
    }
    block.write_to_bytes().expect("encode")
}

#[test]
fn wire_decoder_reads_every_blob_of_the_fixtures_as_the_reference_does() {
    for path in [crate::common::beijing(), crate::common::nanjing(), crate::common::liechtenstein()] {
        let bytes = std::fs::read(&path).expect("read fixture");
        let mut inflater = lifecircle::osm::blob::Inflater::default();
        let (mut blobs, mut elements) = (0, 0);
        for blob in BlobReader::new(&bytes[..], Path::new("fixture.osm.pbf")) {
            let block = blob.expect("a valid file").inflate(&mut inflater).expect("inflates");
            let want = reference(block).expect("the reference decodes");
            let got = fast(block).unwrap_or_else(|| panic!("{}: the wire decoder stepped aside", path.display()));
            assert_eq!(got.len(), want.len(), "{}: element count", path.display());
            assert!(got == want, "{}: blob {blobs} differs", path.display());
            blobs += 1;
            elements += got.len();
        }
        assert!(blobs >= 1 && elements > 1000, "{}: {blobs} blobs, {elements} elements", path.display());
    }
}

#[test]
fn wire_decoder_matches_the_reference_on_random_blocks() {
    let mut elements = 0;
    for seed in 0..400u64 {
        let block = random_block(&mut SplitMix64::new(seed));
        let want = reference(&block).unwrap_or_else(|e| panic!("seed {seed}: the reference refuses: {e}"));
        let got = fast(&block).unwrap_or_else(|| panic!("seed {seed}: the wire decoder stepped aside"));
        assert_eq!(got, want, "seed {seed}");
        elements += want.len();
    }
    assert!(elements > 10_000, "{elements} elements in all");
}

/// Mutated blocks (bytes changed, flipped, inserted, deleted, cut): the wire
/// decoder accepts only what the reference accepts, with the same elements,
/// and `decode_block` always gives the reference's answer, error included.
#[test]
fn wire_decoder_never_accepts_what_the_reference_refuses() {
    let (mut both, mut refused, mut stepped_aside) = (0, 0, 0);
    for seed in 0..3000u64 {
        let mut rng = SplitMix64::new(seed);
        let mut block = random_block(&mut rng);
        for _ in 0..rng.range(1, 3) {
            if block.is_empty() {
                break;
            }
            let at = rng.below(block.len());
            match rng.below(5) {
                0 => block[at] = rng.next_u64() as u8,
                1 => block[at] ^= 1 << rng.below(8),
                2 => block.insert(at, rng.next_u64() as u8),
                3 => {
                    block.remove(at);
                }
                _ => block.truncate(at),
            }
        }
        let want = reference(&block);
        match (&want, fast(&block)) {
            (Ok(w), Some(got)) => {
                assert_eq!(&got, w, "seed {seed}");
                both += 1;
            }
            (Err(e), Some(_)) => panic!("seed {seed}: the wire decoder accepts a block the reference refuses: {e}"),
            (Err(_), None) => refused += 1,
            (Ok(_), None) => stepped_aside += 1,
        }
        assert_eq!(combined(&block), want, "seed {seed}: decode_block");
    }
    // Every class is met (a mutation in metadata or a string can leave a valid block).
    assert!(both > 100 && refused > 100, "{both} accepted by both, {refused} refused, {stepped_aside} stepped aside");
}

// ---------------------------------------------------------------------------
// Hand-written encodings the format allows but writers do not use.

fn key(field: u32, wire: u8) -> Vec<u8> {
    varint(u64::from(field << 3 | u32::from(wire)))
}

fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// A length-delimited field.
fn ld(field: u32, bytes: &[u8]) -> Vec<u8> {
    let mut out = key(field, 2);
    out.extend(varint(bytes.len() as u64));
    out.extend(bytes);
    out
}

fn packed(field: u32, values: &[u64]) -> Vec<u8> {
    ld(field, &values.iter().flat_map(|&v| varint(v)).collect::<Vec<u8>>())
}

fn field(field: u32, v: u64) -> Vec<u8> {
    let mut out = key(field, 0);
    out.extend(varint(v));
    out
}

fn table(strings: &[&str]) -> Vec<u8> {
    ld(1, &strings.iter().flat_map(|s| ld(1, s.as_bytes())).collect::<Vec<u8>>())
}

fn group(parts: &[Vec<u8>]) -> Vec<u8> {
    ld(2, &parts.concat())
}

/// A dense message of nodes `(id, lat, lon)`, delta-coded, with `keys_vals`.
fn dense(nodes: &[(i64, i64, i64)], keys_vals: &[u64]) -> Vec<u8> {
    let deltas = |f: fn(&(i64, i64, i64)) -> i64| -> Vec<u64> {
        let mut prev = 0;
        nodes
            .iter()
            .map(|n| {
                let d = f(n) - prev;
                prev = f(n);
                zigzag(d)
            })
            .collect()
    };
    ld(
        2,
        &[packed(1, &deltas(|n| n.0)), packed(8, &deltas(|n| n.1)), packed(9, &deltas(|n| n.2)), packed(10, keys_vals)]
            .concat(),
    )
}

/// Unusual but valid encodings: for each, whether the wire decoder reads it
/// itself, and that `decode_block` gives the reference's elements.
#[test]
fn unusual_encodings_are_read_or_left_to_the_reference() {
    let strings = ["", "highway", "footway", "name", "x"];
    let way = |parts: &[Vec<u8>]| ld(3, &parts.concat());
    let plain_way = || {
        way(&[field(1, 42), packed(2, &[1, 3]), packed(3, &[2, 4]), packed(8, &[zigzag(10), zigzag(1), zigzag(-3)])])
    };
    let nodes = dense(&[(10, 470_000_000, 95_000_000), (11, 470_000_100, 95_000_100)], &[1, 2, 0, 3, 4, 0]);
    let cases: Vec<(&str, Vec<u8>, bool)> = vec![
        ("canonical", [table(&strings), group(&[nodes.clone(), plain_way()])].concat(), true),
        ("string table after the groups", [group(&[plain_way()]), table(&strings)].concat(), true),
        (
            "granularity and offsets after the groups",
            [table(&strings), group(std::slice::from_ref(&nodes)), field(17, 1000), field(19, 5), field(20, 7)]
                .concat(),
            true,
        ),
        ("ways before nodes in a group", [table(&strings), group(&[plain_way(), nodes.clone()])].concat(), true),
        (
            "a way's id given twice (the last wins)",
            [table(&strings), group(&[way(&[field(1, 1), field(1, 2)])])].concat(),
            true,
        ),
        (
            "unknown fields of every wire type",
            [
                table(&strings),
                field(99, 1),
                ld(98, b"zz"),
                key(97, 1),
                vec![0; 8],
                key(96, 5),
                vec![0; 4],
                group(&[plain_way(), field(50, 3)]),
            ]
            .concat(),
            true,
        ),
        (
            "a way's references unpacked",
            [table(&strings), group(&[way(&[field(1, 42), field(8, zigzag(10)), field(8, zigzag(1))])])].concat(),
            false,
        ),
        (
            "a way's keys split in two packed fields",
            [table(&strings), group(&[way(&[field(1, 42), packed(2, &[1]), packed(2, &[3]), packed(3, &[2, 4])])])]
                .concat(),
            false,
        ),
        (
            "two dense messages in a group",
            [table(&strings), group(&[nodes.clone(), dense(&[(20, 1, 1)], &[0])])].concat(),
            false,
        ),
        (
            "two string tables (rust-protobuf keeps the last)",
            [table(&strings[..2]), table(&strings), group(&[plain_way()])].concat(),
            false,
        ),
        (
            "a negative granularity (a ten-byte int32)",
            [table(&strings), field(17, (-100i64) as u64), group(std::slice::from_ref(&nodes))].concat(),
            true,
        ),
        ("an unknown group field", [table(&strings), key(95, 3), key(95, 4), group(&[plain_way()])].concat(), false),
        (
            "an overlong group length (a message's: a uint64)",
            [table(&strings), {
                let g = plain_way();
                let mut v = vec![0x12];
                v.extend([(g.len() as u8) | 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]);
                v.extend(g);
                v
            }]
            .concat(),
            true,
        ),
    ];
    for (what, block, read_here) in &cases {
        let want = reference(block).unwrap_or_else(|e| panic!("{what}: the reference refuses: {e}"));
        assert!(!want.is_empty(), "{what}: no elements");
        assert_eq!(fast(block).is_some(), *read_here, "{what}: read by the wire decoder");
        if let Some(got) = fast(block) {
            assert_eq!(got, want, "{what}");
        }
        assert_eq!(combined(block), Ok(want), "{what}: decode_block");
    }
    // Refused by both, the reference's message comes out.
    let bad = [
        ("no string table", group(&[plain_way()])),
        ("a way without its id", [table(&strings), group(&[way(&[packed(8, &[2])])])].concat()),
        (
            "a tag index past the table",
            [table(&strings), group(&[way(&[field(1, 1), packed(2, &[9]), packed(3, &[1])])])].concat(),
        ),
        ("a truncated length", [table(&strings), vec![0x12, 0x40, 0x1a]].concat()),
        // rust-protobuf reads a string's or unknown field's length as a uint32
        // (at most five bytes), a message's as a uint64: six bytes for 1 are
        // refused in the first place only.
        (
            "an overlong string length",
            [
                ld(1, &[vec![0x0a, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00, b'x'], ld(1, b"highway")].concat()),
                group(&[plain_way()]),
            ]
            .concat(),
        ),
        (
            "an overlong unknown field length",
            [table(&strings), vec![0xf2, 0x06, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00, b'x']].concat(),
        ),
    ];
    for (what, block) in &bad {
        let e = reference(block).expect_err(what);
        assert!(fast(block).is_none(), "{what}: accepted by the wire decoder");
        assert_eq!(combined(block), Err(e), "{what}");
    }
}
