//! Criterion benchmarks of the coverage stage with many points, on the
//! bundled default extract (Liechtenstein: 11,117 nodes, 13,748 homes):
//!
//! - `facilities_1m`: 1,000,000 groceries against the extract's homes (the
//!   searches start from the homes and count facilities edge by edge);
//! - `homes_1m`: the extract's 25 groceries against 1,000,000 homes (one
//!   search per facility, lists streamed);
//! - `sides_default`: the default data from each side, to show the choice.
//!
//! Points are the extract's homes jittered by up to 60 m (fixed seed) and
//! snapped, as `benches/make_points.py` writes them for the whole-process runs.
//!
//! Figures (release, median, 2-core machine shared with other jobs, load
//! 6–9, so upper bounds), thresholds 10 and 15 min: `facilities_1m/counts`
//! 1.6 s (one search per facility took 72 s and held 8 GB of reach lists),
//! `facilities_1m/nearest` 72 ms, `homes_1m/counts` 0.23 s,
//! `homes_1m/nearest` 15 ms, `sides_default/facilities` 2.2 ms against
//! `sides_default/homes` 0.57 s (why the side is chosen by count). Whole
//! process, `analyze --facilities` with 1M groceries: compute 1.4–1.6 s,
//! 307 MB peak, against 1M homes: compute 0.14–0.24 s, 264 MB.

use criterion::{Criterion, criterion_group, criterion_main};
use lifecircle::coverage::ByEdge;
use lifecircle::coverage::count_within::{SearchSide, within_thresholds, within_thresholds_from};
use lifecircle::coverage::nearest::nearest_times;
use lifecircle::ids::TimeMs;
use lifecircle::routing::{Anchor, DijkstraWorkspace, WorkspacePool};

/// `n` points jittered (uniformly, up to 60 m east and north) around `base`, snapped and costed.
fn jittered(a: &lifecircle::Analysis, base: &[[f64; 2]], n: usize, seed: u64) -> Vec<Option<Anchor>> {
    let mut state = seed;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let m_per_deg = 6_371_008.8 * std::f64::consts::PI / 180.0;
    let points: Vec<[f64; 2]> = (0..n)
        .map(|_| {
            let [lon, lat] = base[(next() % base.len() as u64) as usize];
            let dx = (next() % 120_001) as f64 / 1000.0 - 60.0;
            let dy = (next() % 120_001) as f64 / 1000.0 - 60.0;
            [lon + dx / (m_per_deg * lat.to_radians().cos()), lat + dy / m_per_deg]
        })
        .collect();
    a.snap_index
        .snap_all(&a.graph, &points)
        .into_iter()
        .map(|s| s.filter(|s| s.access_m <= a.config.max_snap_m).map(|s| Anchor::from_snap(&a.graph, &s)))
        .collect()
}

fn coverage(c: &mut Criterion) {
    let config = lifecircle::AnalyzeConfig::new(
        lifecircle::analysis::default_pbf(),
        std::env::temp_dir().join("lifecircle-coverage-bench"),
    );
    let a = lifecircle::run(&config).expect("analysis");
    let g = &a.graph;
    let grocery = config.taxonomy.category_id("grocery").expect("grocery").idx();
    let groceries: Vec<Option<Anchor>> = a.facility_index[grocery].iter().map(|&i| a.facility_anchors[i]).collect();
    let home_points: Vec<[f64; 2]> = a.homes.iter().map(|h| h.lonlat).collect();
    let limits = [TimeMs(600_000), TimeMs(900_000)];
    let pool = WorkspacePool::new(g.num_nodes());

    let many_facilities = jittered(&a, &home_points, 1_000_000, 0x9E37_79B9_7F4A_7C15);
    let homes_by_edge = ByEdge::new(g.num_edges(), &a.home_anchors);
    let mut group = c.benchmark_group("facilities_1m");
    group.sample_size(10);
    group.bench_function("counts", |b| {
        b.iter(|| within_thresholds(g, &pool, &many_facilities, &a.home_anchors, &homes_by_edge, &limits, None))
    });
    group.bench_function("nearest", |b| {
        let mut ws = DijkstraWorkspace::new(g.num_nodes());
        b.iter(|| nearest_times(g, &mut ws, &many_facilities, &a.home_anchors))
    });
    group.finish();
    drop(many_facilities);

    let many_homes = jittered(&a, &home_points, 1_000_000, 0x2545_F491_4F6C_DD1D);
    let many_by_edge = ByEdge::new(g.num_edges(), &many_homes);
    let mut group = c.benchmark_group("homes_1m");
    group.sample_size(10);
    group.bench_function("counts", |b| {
        b.iter(|| within_thresholds(g, &pool, &groceries, &many_homes, &many_by_edge, &limits, None))
    });
    group.bench_function("nearest", |b| {
        let mut ws = DijkstraWorkspace::new(g.num_nodes());
        b.iter(|| nearest_times(g, &mut ws, &groceries, &many_homes))
    });
    group.finish();
    drop(many_homes);

    let mut group = c.benchmark_group("sides_default");
    group.sample_size(10);
    for side in [SearchSide::Facilities, SearchSide::Homes] {
        group.bench_function(format!("{side:?}").to_lowercase(), |b| {
            b.iter(|| {
                within_thresholds_from(side, g, &pool, &groceries, &a.home_anchors, &homes_by_edge, &limits, None)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, coverage);
criterion_main!(benches);
