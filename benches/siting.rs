//! Criterion benchmark of `lifecircle site` on the bundled default data:
//! 10,000 candidate sites (network nodes), coverage sets at 15 minutes and
//! 20 greedy picks, for childcare and for grocery (fewer uncovered homes than
//! candidates: the sets are searched from the homes), and the mean-time
//! objective. Target: the whole `site --add 20` process with 10,000
//! candidates under 1 s on 2 cores (0.49 s measured with
//! `benches/make_points.py candidates 10000`; the plan itself is the part
//! benchmarked here, the rest is the analysis).

use criterion::{Criterion, criterion_group, criterion_main};
use lifecircle::AnalyzeConfig;
use lifecircle::ids::NodeId;
use lifecircle::siting::{Candidate, SiteOptions, plan_sites};

fn siting(c: &mut Criterion) {
    let config = AnalyzeConfig::new(lifecircle::analysis::default_pbf(), std::env::temp_dir().join("lc-site-bench"));
    let a = lifecircle::run(&config).expect("analysis");
    let n = a.graph.num_nodes();
    // 10,000 nodes spread over the whole network (every k-th node).
    let step = (n / 10_000).max(1);
    let candidates: Vec<Candidate> = (0..n)
        .step_by(step)
        .take(10_000)
        .map(|i| Candidate { id: format!("node-{i}"), lonlat: a.graph.node_lonlat(NodeId(i as u32)) })
        .collect();
    let category = config.taxonomy.category_id("childcare").expect("childcare");
    let opts = SiteOptions {
        category,
        add: 20,
        candidates: Some(candidates),
        candidate_spacing_m: 100.0,
        capacity: None,
        objective: lifecircle::siting::Objective::Coverage,
    };
    let mut group = c.benchmark_group("siting");
    group.sample_size(10);
    group.bench_function("candidates_10k_15min_20_picks", |b| b.iter(|| plan_sites(&a, &opts)));
    let grocery = SiteOptions { category: config.taxonomy.category_id("grocery").expect("grocery"), ..opts.clone() };
    group.bench_function("grocery_candidates_10k_15min_20_picks", |b| b.iter(|| plan_sites(&a, &grocery)));
    let mean_time = SiteOptions { objective: lifecircle::siting::Objective::MeanTime, ..grocery.clone() };
    group.bench_function("grocery_candidates_10k_mean_time_20_picks", |b| b.iter(|| plan_sites(&a, &mean_time)));
    group.finish();
}

criterion_group!(benches, siting);
criterion_main!(benches);
