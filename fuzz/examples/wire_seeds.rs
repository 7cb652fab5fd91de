//! Writes the `wire` seed corpus: `cargo run --example wire_seeds -- OUT_DIR`
//! (run from `fuzz/`; `scripts/fuzz.sh` does it before fuzzing `wire`).
//!
//! Each data blob of the bundled fixtures (`tests/fixtures/*.osm.pbf`),
//! inflated: one `PrimitiveBlock`'s bytes per file, `<fixture>-<k>.block`,
//! those of at most 1 MiB (the target's `-max_len`). Deterministic.
//! `O(fixture size)`.

use std::path::{Path, PathBuf};

use lifecircle::osm::blob::BlobReader;

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).expect("usage: wire_seeds OUT_DIR"));
    std::fs::create_dir_all(&out).expect("create the output folder");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .expect("tests/fixtures")
        .map(|e| e.expect("a folder entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".osm.pbf"))
        .collect();
    paths.sort();
    let mut n = 0;
    for path in paths {
        let bytes = std::fs::read(&path).expect("read fixture");
        let name = path.file_name().expect("a file").to_string_lossy().replace(".osm.pbf", "");
        let mut buf = Vec::new();
        for (k, blob) in BlobReader::new(&bytes[..], &path).enumerate() {
            let block = blob.expect("a valid fixture").inflate(&mut buf).expect("inflates");
            if block.len() <= 1 << 20 {
                std::fs::write(out.join(format!("{name}-{k}.block")), block).expect("write seed");
                n += 1;
            }
        }
    }
    println!("{n} seeds in {}", out.display());
}
