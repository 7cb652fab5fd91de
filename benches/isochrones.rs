//! Criterion benchmarks of service areas on the bundled default data
//! (`data/liechtenstein-2024-03.osm.pbf`, 65 facilities):
//! - `analyze_5_10_15` and `analyze_60`: the whole `isochrones --minutes
//!   5,10,15` / `--minutes 60` job in the library (read, graph, snap, every
//!   facility's areas, category unions, homes inside, files written).
//!   Targets, 2 cores, release: under 0.5 s and under 2 s (whole process,
//!   as `/usr/bin/time lifecircle isochrones ...` measures it);
//! - `all_facilities_5_10_15`: every facility's areas at 5, 10 and 15
//!   minutes, polygons and homes included;
//! - `one_facility_15min` and `one_facility_15min_reference`: a single
//!   facility's 15-minute polygon, search included, for a facility of median
//!   reach, through the sparse field and through the dense reference
//!   (`build_area_reference`: the transform over the whole box and geo's
//!   quadratic predicates), to show what the sparse path saves.

use criterion::{Criterion, criterion_group, criterion_main};
use lifecircle::AnalyzeConfig;
use lifecircle::analysis::IsochroneOptions;
use lifecircle::ids::TimeMs;
use lifecircle::isochrone::batch::{HomeIndex, facility_areas};
use lifecircle::isochrone::{IsochroneParams, build_area, build_area_reference, local_projection, reached_intervals};
use lifecircle::routing::{DijkstraWorkspace, WorkspacePool};

fn isochrones(c: &mut Criterion) {
    let out = std::env::temp_dir().join("lc-iso-bench");
    let mut config = AnalyzeConfig::new(lifecircle::analysis::default_pbf(), out.clone());
    config.minutes = vec![5.0, 10.0, 15.0];
    let params = IsochroneParams::with_buffer(50.0);
    let mut group = c.benchmark_group("isochrones");
    group.sample_size(10);
    for (name, minutes) in [("analyze_5_10_15", vec![5.0, 10.0, 15.0]), ("analyze_60", vec![60.0])] {
        let mut cfg = config.clone();
        cfg.minutes = minutes;
        cfg.out_dir = out.join(name);
        cfg.isochrones = Some(IsochroneOptions { params, category: None });
        group.bench_function(name, |b| b.iter(|| lifecircle::analyze(&cfg).expect("analysis")));
    }

    let a = lifecircle::run(&config).expect("analysis");
    let homes: Vec<[f64; 2]> = a.homes.iter().map(|h| h.lonlat).collect();
    let population: Vec<f64> = a.homes.iter().map(|h| h.population).collect();
    let index = HomeIndex::new(&homes, &population);
    let limits = [TimeMs(300_000), TimeMs(600_000), TimeMs(900_000)];
    let todo: Vec<_> =
        a.facilities.iter().enumerate().filter_map(|(i, f)| a.facility_anchors[i].map(|x| (i, x, f.lonlat))).collect();
    group.bench_function("all_facilities_5_10_15", |b| {
        let pool = WorkspacePool::new(a.graph.num_nodes());
        b.iter(|| facility_areas(&a.graph, &pool, &todo, &limits, &params, &index))
    });
    // The facility whose 15-minute reach is the median one by reached length.
    let mut ws = DijkstraWorkspace::new(a.graph.num_nodes());
    let mut by_reach: Vec<(f64, usize)> = todo
        .iter()
        .enumerate()
        .map(|(k, (_, anchor, _))| {
            let r = reached_intervals(&a.graph, &mut ws, anchor, TimeMs(900_000));
            (r.iter().map(|iv| iv.to_m - iv.from_m).sum::<f64>(), k)
        })
        .collect();
    by_reach.sort_by(|x, y| x.0.total_cmp(&y.0));
    let (_, anchor, lonlat) = todo[by_reach[by_reach.len() / 2].1];
    group.sample_size(50);
    group.bench_function("one_facility_15min", |b| {
        b.iter(|| {
            let r = reached_intervals(&a.graph, &mut ws, &anchor, TimeMs(900_000));
            build_area(&a.graph, &r, &local_projection(lonlat), &params)
        })
    });
    group.sample_size(10);
    group.bench_function("one_facility_15min_reference", |b| {
        b.iter(|| {
            let r = reached_intervals(&a.graph, &mut ws, &anchor, TimeMs(900_000));
            build_area_reference(&a.graph, &r, &local_projection(lonlat), &params)
        })
    });
    group.finish();
}

criterion_group!(benches, isochrones);
criterion_main!(benches);
