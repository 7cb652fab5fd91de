//! Criterion benchmarks of the PNG map on the bundled default data (the
//! analysis and its `MapData` are built once, outside the timed loop):
//! - `render_png_1600x1200`: drawing and PNG encoding of the default map;
//! - `render_png_1600x1200_isochrones`: the same with the four categories'
//!   coverage areas drawn;
//! - `render_pixmap_1600x1200`: drawing only, without the encoding.

use criterion::{Criterion, criterion_group, criterion_main};
use lifecircle::AnalyzeConfig;
use lifecircle::analysis::IsochroneOptions;
use lifecircle::isochrone::IsochroneParams;
use lifecircle::report::png::{PngOptions, render_pixmap, render_png};
use lifecircle::report::{Labels, MapData, MapOptions};

fn maps(c: &mut Criterion) {
    let mut config =
        AnalyzeConfig::new(lifecircle::analysis::default_pbf(), std::env::temp_dir().join("lc-maps-bench"));
    config.progress = false;
    let a = lifecircle::run(&config).expect("analysis");
    let map = MapData::from_analysis(&a, None, &MapOptions::default());
    config.isochrones = Some(IsochroneOptions { params: IsochroneParams::with_buffer(50.0), category: None });
    let a_iso = lifecircle::run(&config).expect("analysis with isochrones");
    let map_iso = MapData::from_analysis(&a_iso, None, &MapOptions::default());
    let labels = Labels::builtin();
    let opts = PngOptions::default();

    let mut group = c.benchmark_group("maps");
    group.sample_size(10);
    group.bench_function("render_png_1600x1200", |b| b.iter(|| render_png(&map, &labels, &opts).expect("render")));
    group.bench_function("render_png_1600x1200_isochrones", |b| {
        b.iter(|| render_png(&map_iso, &labels, &opts).expect("render"))
    });
    group
        .bench_function("render_pixmap_1600x1200", |b| b.iter(|| render_pixmap(&map, &labels, &opts).expect("render")));
    group.finish();
}

criterion_group!(benches, maps);
criterion_main!(benches);
