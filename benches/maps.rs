//! Criterion benchmarks of the PNG map on the bundled default data (the
//! analysis and its `MapData` are built once, outside the timed loop):
//! - `render_png_1600x1200`: drawing and PNG encoding of the default map;
//! - `render_png_1600x1200_isochrones`: the same with the four categories'
//!   coverage areas drawn;
//! - `render_pixmap_1600x1200`: drawing only, without the encoding;
//! - `map_data_from_analysis`: gathering the map from the analysis;
//! - `report_html`: the self-contained page (with the coverage areas);
//! - `map_data_hexagons`: homes aggregated to H3 hexagons (as above 50,000 homes).
//!
//! Set `LIFECIRCLE_BENCH_PBF` to a larger extract (e.g. ../shared/data/scale-6regions.osm.pbf)
//! to measure a city-sized page.

use criterion::{Criterion, criterion_group, criterion_main};
use lifecircle::AnalyzeConfig;
use lifecircle::analysis::IsochroneOptions;
use lifecircle::isochrone::IsochroneParams;
use lifecircle::report::html::report_html;
use lifecircle::report::png::{PngOptions, render_pixmap, render_png};
use lifecircle::report::{Labels, MapData, MapOptions};

fn maps(c: &mut Criterion) {
    let pbf = std::env::var_os("LIFECIRCLE_BENCH_PBF").map_or_else(lifecircle::analysis::default_pbf, Into::into);
    let mut config = AnalyzeConfig::new(pbf, std::env::temp_dir().join("lc-maps-bench"));
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
    group.bench_function("map_data_from_analysis", |b| {
        b.iter(|| MapData::from_analysis(&a, None, &MapOptions::default()))
    });
    group.bench_function("report_html", |b| b.iter(|| report_html(&map_iso, &labels, "bench").len()));
    let hex = MapOptions { hex_above: 0, ..MapOptions::default() };
    group.bench_function("map_data_hexagons", |b| b.iter(|| MapData::from_analysis(&a, None, &hex)));
    group.finish();
}

criterion_group!(benches, maps);
criterion_main!(benches);
