//! Writes the hand-minimised PBF reproducers of fuzz findings into
//! `tests/fixtures/fuzz/`: `cargo run --example pbf_reproducers` (from
//! `fuzz/`). Each is the smallest extract showing the problem the fuzzer
//! found in a larger mutated file; `tests/fixtures/fuzz/README.md` says which.

#[allow(dead_code)]
#[path = "../../tests/suite/common/pbf.rs"]
mod pbf;

use std::path::Path;

use pbf::OsmWriter;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/fuzz");
    std::fs::create_dir_all(&dir).expect("create tests/fixtures/fuzz");

    // K1: a bow-tie building (A -> B -> C -> D -> A crosses itself) whose two
    // lobes differ by a sliver of 1e-7 degrees: the signed area nearly
    // cancels and the area centroid lands tens of thousands of degrees away.
    let mut w = OsmWriter::new();
    w.node(1, [116.0, 39.9], &[])
        .node(2, [116.1, 40.0], &[])
        .node(3, [116.1, 39.9], &[])
        .node(4, [116.0, 40.0000001], &[])
        .way(10, &[1, 2, 3, 4, 1], &[("building", "house")]);
    w.write(&dir.join("pbf-bowtie-building.pbf"));
    println!("wrote {}", dir.join("pbf-bowtie-building.pbf").display());
}
