//! Criterion benchmark of the layer writers: the coverage layer of one run
//! written as GeoJSON, GeoParquet and FlatGeobuf (each file flushed and
//! synced, as a run writes it; the temporary is then discarded).
//!
//! The run is `$LIFECIRCLE_BENCH_PBF`, or else the bundled Liechtenstein
//! extract, with the peer harness's definitions (`data/taxonomy-peers.toml`,
//! profile `peers`: every building a home). The target input is the 4×4 tiled Liechtenstein (283k homes),
//! made by the peer harness's `make_tiled.py`:
//!
//! ```text
//! python3 ../shared/peers/make_tiled.py data/liechtenstein-2024-03.osm.pbf /tmp/li-x16.osm.pbf 4
//! LIFECIRCLE_BENCH_PBF=/tmp/li-x16.osm.pbf cargo bench --bench formats
//! ```
//!
//! Targets: the GeoParquet file at least 5× smaller than the GeoJSON and
//! faster to write. The sizes are printed once before the timings.

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use lifecircle::AnalyzeConfig;
use lifecircle::io::OutputDir;
use lifecircle::output::layer::Layer;
use lifecircle::output::layers::CoverageLayer;
use lifecircle::output::{Format, write_layer};

fn formats(c: &mut Criterion) {
    let pbf =
        std::env::var_os("LIFECIRCLE_BENCH_PBF").map(PathBuf::from).unwrap_or_else(lifecircle::analysis::default_pbf);
    let out_dir = std::env::temp_dir().join("lc-formats-bench-out");
    // The peer harness's definitions (every building a home): 17,696 homes in
    // Liechtenstein, 283k in its 4×4 tiling.
    let mut config = AnalyzeConfig::new(&pbf, &out_dir);
    let peers = lifecircle::analysis::default_pbf().with_file_name("taxonomy-peers.toml");
    config.taxonomy = lifecircle::Taxonomy::from_file(&peers).expect("the peers taxonomy");
    config.taxonomy_source = peers.display().to_string();
    config.profile = lifecircle::Profiles::builtin().get("peers").expect("the peers profile").clone();
    config.profile_name = "peers".into();
    config.speed_kmh = config.profile.speed_kmh;
    config.min_component_nodes = 1;
    let a = lifecircle::run(&config).expect("analysis");
    let layer = CoverageLayer::new(&a);
    let out = OutputDir::prepare(&out_dir).expect("output folder");

    // Sizes, from one write of each (the temporaries are kept until the sizes are read).
    let files = write_layer(&layer, &out, &Format::ALL).expect("written");
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| {
            let name = f.target().file_name().expect("a name").to_string_lossy().into_owned();
            let temp = std::fs::read_dir(&out_dir)
                .expect("folder")
                .flatten()
                .find(|e| e.file_name().to_string_lossy().starts_with(&format!(".{name}.tmp-")))
                .expect("the temporary");
            temp.metadata().expect("size").len()
        })
        .collect();
    drop(files);
    let name = pbf.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    eprintln!("coverage layer of {name}: {} homes, {} columns", layer.len(), layer.schema().fields().len());
    for (f, bytes) in Format::ALL.iter().zip(&sizes) {
        eprintln!("  {f:>8}: {:>12} bytes ({:.1}x smaller than GeoJSON)", bytes, sizes[0] as f64 / *bytes as f64);
    }

    let mut group = c.benchmark_group(format!("write_coverage/{}", name.trim_end_matches(".osm.pbf")));
    group.sample_size(10);
    for f in Format::ALL {
        group.bench_function(f.extension(), |b| b.iter(|| write_layer(&layer, &out, &[f]).expect("written")));
    }
    group.finish();
}

criterion_group!(benches, formats);
criterion_main!(benches);
