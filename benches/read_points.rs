//! Criterion benchmark: reading user point files.
//!
//! Generates a 1,000,000-row home CSV (`id,lon,lat,population`, ~40 MB) in the
//! system temp dir once per run and times [`read_homes`] on it. Target (2-core
//! machine, release): under 2 s per million rows.

use std::io::Write;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use lifecircle::io::points::read_homes;

const ROWS: usize = 1_000_000;

/// Writes the million-row CSV: a 1000 × 1000 grid over Beijing with varied populations.
fn homes_csv() -> PathBuf {
    let path = std::env::temp_dir().join(format!("lifecircle-bench-homes-{}.csv", std::process::id()));
    let file = std::fs::File::create(&path).expect("create the bench CSV");
    let mut out = std::io::BufWriter::new(file);
    writeln!(out, "id,lon,lat,population").expect("write");
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    for i in 0..ROWS {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let lon = 116.2 + (i % 1000) as f64 * 0.0003 + (state % 1000) as f64 * 1e-7;
        let lat = 39.8 + (i / 1000) as f64 * 0.0003;
        writeln!(out, "HM{i:07},{lon:.6},{lat:.6},{}", state % 5000).expect("write");
    }
    out.flush().expect("flush");
    path
}

fn read(c: &mut Criterion) {
    let path = homes_csv();
    let mut group = c.benchmark_group("read_points");
    group.sample_size(10);
    group.bench_function("homes_csv_1m", |b| {
        b.iter(|| {
            let (homes, report) = read_homes(&path, false).expect("readable CSV");
            assert_eq!(homes.len(), ROWS);
            report
        })
    });
    group.finish();
    let _ = std::fs::remove_file(&path);
}

criterion_group!(benches, read);
criterion_main!(benches);
