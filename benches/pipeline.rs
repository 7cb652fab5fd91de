//! Criterion benchmarks: ingest, graph build, snapping, compute and the whole
//! pipeline, on the bundled default extract and, when present, a large one.
//!
//! The large input is `$LIFECIRCLE_BENCH_PBF`, or else
//! `../shared/data/scale-6regions.osm.pbf` beside the checkout; it is skipped
//! when neither exists. Targets (2-core machine, release): default data under
//! 0.3 s end to end, scale-6regions under 1.5 s (see README "Performance").

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use lifecircle::coverage::ByEdge;
use lifecircle::coverage::count_within::count_within;
use lifecircle::coverage::nearest::nearest_times;
use lifecircle::graph::build_graph;
use lifecircle::routing::{DijkstraWorkspace, WorkspacePool};
use lifecircle::snap::{SnapIndex, VertexSnapIndex};
use lifecircle::{AnalyzeConfig, Profiles, Taxonomy};

fn inputs() -> Vec<(String, PathBuf)> {
    let mut v = vec![("liechtenstein".to_string(), lifecircle::analysis::default_pbf())];
    let big = std::env::var_os("LIFECIRCLE_BENCH_PBF")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/scale-6regions.osm.pbf"));
    if big.exists() {
        v.push((big.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(), big));
    }
    v
}

fn stages(c: &mut Criterion) {
    let taxonomy = Taxonomy::builtin();
    let profile = Profiles::builtin().get("adult").expect("adult profile").clone();
    for (name, pbf) in inputs() {
        let mut group = c.benchmark_group(name.clone());
        group.sample_size(10);
        group.bench_function("ingest", |b| {
            b.iter(|| lifecircle::osm::read_pbf(&pbf, &taxonomy, &profile).expect("readable PBF"))
        });
        let data = lifecircle::osm::read_pbf(&pbf, &taxonomy, &profile).expect("readable PBF");
        group
            .bench_function("build", |b| b.iter(|| build_graph(&data, profile.speed_m_s(), 500, &pbf).expect("graph")));
        let config = AnalyzeConfig::new(&pbf, std::env::temp_dir().join("lifecircle-bench"));
        let a = lifecircle::run(&config).expect("analysis");
        let points: Vec<[f64; 2]> = a.homes.iter().map(|h| h.lonlat).collect();
        group.bench_function("snap", |b| {
            b.iter(|| {
                let index = SnapIndex::new(&a.graph);
                index.snap_all(&a.graph, &points)
            })
        });
        // The edge index alone (the `snap` figure above includes its build).
        group.bench_function("snap_index", |b| b.iter(|| SnapIndex::new(&a.graph)));
        // The queries alone, on one core (the per-point cost, steadier than the parallel figure).
        let index = SnapIndex::new(&a.graph);
        let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a one-thread pool");
        group.bench_function("snap_queries/1-thread", |b| {
            b.iter(|| one_thread.install(|| index.snap_all(&a.graph, &points)))
        });
        group.bench_function("snap_vertex", |b| {
            b.iter(|| {
                let index = VertexSnapIndex::new(&a.graph);
                points.iter().map(|&p| index.snap(&a.graph, p)).collect::<Vec<_>>()
            })
        });
        let ncat = config.taxonomy.len();
        let per_cat: Vec<Vec<_>> = (0..ncat)
            .map(|c| {
                a.facilities
                    .iter()
                    .zip(&a.facility_anchors)
                    .filter(|(f, _)| f.category.idx() == c)
                    .map(|(_, x)| *x)
                    .collect()
            })
            .collect();
        group.bench_function("compute", |b| {
            let pool = WorkspacePool::new(a.graph.num_nodes());
            let by_edge = ByEdge::new(a.graph.num_edges(), &a.home_anchors);
            let mut ws = DijkstraWorkspace::new(a.graph.num_nodes());
            b.iter(|| {
                for fac in &per_cat {
                    nearest_times(&a.graph, &mut ws, fac, &a.home_anchors);
                    count_within(&a.graph, &pool, fac, &a.home_anchors, &by_edge, config.threshold());
                }
            })
        });
        group.bench_function("pipeline", |b| b.iter(|| lifecircle::analyze(&config).expect("analysis")));
        group.finish();
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);
