//! Criterion benchmarks of PBF reading alone, in MB/s of file.
//!
//! Per input: `frame` (the blob stream only: reading and framing, no
//! decoding), `inflate` (decompressing every blob on one core, read
//! beforehand), `read_pbf/1-thread` (decoding on one core: the per-core rate)
//! and `read_pbf/all-threads` (the rayon pool on every core), then
//! `extract_features` (homes and facilities from what was read). Decoding
//! alone, on one core, over blocks inflated beforehand (still in MB/s of
//! file): `decode/wire` (`osm::wire`, what `read_pbf` uses) and
//! `decode/reference` (osmpbfreader's `PrimitiveBlock` message, walked).
//!
//! Inputs: the bundled default extract; `$LIFECIRCLE_BENCH_PBF`, or else
//! `../shared/data/scale-6regions.osm.pbf` beside the checkout; and
//! `$LIFECIRCLE_BENCH_TILED` (e.g. a 4×4 tiled copy made by
//! `shared/peers/make_tiled.py`), each skipped when absent.
//! Target (2-core machine, release): `read_pbf/1-thread` at least 40 MB/s.

use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lifecircle::osm::blob::{BlobReader, Inflater};
use lifecircle::osm::block::{BlockScratch, BlockTags, ElementSink, Member, decode_block, decode_block_reference};
use lifecircle::{Profiles, Taxonomy};

/// Counts elements and references (something the decoder cannot skip).
#[derive(Default)]
struct Count(usize);

impl ElementSink for Count {
    fn rewind(&mut self) {}
    fn node(&mut self, id: i64, decimicro: [i32; 2], tags: BlockTags<'_>) {
        self.0 += (id as usize) ^ (decimicro[0] as usize) ^ usize::from(tags.is_empty());
    }
    fn way(&mut self, id: i64, refs: &[i64], _: BlockTags<'_>) {
        self.0 += (id as usize) ^ refs.len();
    }
    fn relation(&mut self, id: i64, members: &[Member], _: BlockTags<'_>) {
        self.0 += (id as usize) ^ members.len();
    }
}

fn inputs() -> Vec<(String, PathBuf)> {
    let mut v = vec![("liechtenstein".to_string(), lifecircle::analysis::default_pbf())];
    let big = std::env::var_os("LIFECIRCLE_BENCH_PBF")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/scale-6regions.osm.pbf"));
    let tiled = std::env::var_os("LIFECIRCLE_BENCH_TILED").map(PathBuf::from);
    for p in std::iter::once(big).chain(tiled) {
        if p.exists() {
            v.push((p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(), p));
        }
    }
    v
}

fn ingest(c: &mut Criterion) {
    let taxonomy = Taxonomy::builtin();
    let profile = Profiles::builtin().get("adult").expect("adult profile").clone();
    let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a one-thread pool");
    for (name, pbf) in inputs() {
        let bytes = std::fs::metadata(&pbf).expect("input exists").len();
        let mut group = c.benchmark_group(format!("ingest/{name}"));
        group.sample_size(10);
        group.throughput(Throughput::Bytes(bytes));
        group.bench_function("frame", |b| {
            b.iter(|| {
                let file = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&pbf).expect("open"));
                BlobReader::new(file, &pbf).map(|blob| blob.expect("valid PBF").bytes.len()).sum::<usize>()
            })
        });
        group.bench_function("read_pbf/1-thread", |b| {
            b.iter(|| one_thread.install(|| lifecircle::osm::read_pbf(&pbf, &taxonomy, &profile).expect("readable")))
        });
        group.bench_function("read_pbf/all-threads", |b| {
            b.iter(|| lifecircle::osm::read_pbf(&pbf, &taxonomy, &profile).expect("readable"))
        });
        let file = std::fs::read(&pbf).expect("read input");
        let raw: Vec<_> = BlobReader::new(&file[..], &pbf).map(|blob| blob.expect("valid PBF")).collect();
        group.bench_function("inflate", |b| {
            let mut inflater = Inflater::default();
            b.iter(|| raw.iter().map(|blob| blob.inflate(&mut inflater).expect("inflates").len()).sum::<usize>())
        });
        let mut inflater = Inflater::default();
        let blocks: Vec<Vec<u8>> = BlobReader::new(&file[..], &pbf)
            .map(|blob| blob.expect("valid PBF").inflate(&mut inflater).expect("inflates").to_vec())
            .collect();
        let mut scratch = BlockScratch::default();
        type Decoder = fn(&[u8], &mut BlockScratch, &mut Count) -> Result<(), String>;
        let decoders: [(&str, Decoder); 2] = [
            ("decode/wire", |b, s, k| decode_block(b, s, k)),
            ("decode/reference", |b, s, k| decode_block_reference(b, s, k)),
        ];
        for (name, decode) in decoders {
            group.bench_function(name, |b| {
                b.iter(|| {
                    let mut sink = Count::default();
                    for block in &blocks {
                        decode(block, &mut scratch, &mut sink).expect("decodes");
                    }
                    sink.0
                })
            });
        }
        let data = lifecircle::osm::read_pbf(&pbf, &taxonomy, &profile).expect("readable");
        group.bench_function("extract_features", |b| b.iter(|| lifecircle::osm::extract_features(&data, &taxonomy)));
        group.finish();
    }
}

criterion_group!(benches, ingest);
criterion_main!(benches);
