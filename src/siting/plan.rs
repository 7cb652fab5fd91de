//! The `site` job: from an analysis, choose `n` new sites for one category
//! that cover the most people not yet covered, and report before and after.
//!
//! Coverage sets come from one bounded search per candidate (the walking
//! network is undirected, so the search from a candidate is the search
//! towards it), in parallel with one workspace per thread, stored as
//! compressed rows (`4` bytes per covered home). `O(C · search)` for `C`
//! candidates, then the greedy picks ([`super::max_coverage`]).

use serde::Serialize;

use super::candidates::{Candidate, default_candidates};
use super::max_coverage::{CoverageSets, Pick, greedy_max_coverage};
use crate::analysis::Analysis;
use crate::coverage::ByEdge;
use crate::coverage::count_within::reach_within;
use crate::ids::{CategoryId, TimeMs};
use crate::routing::{Anchor, WorkspacePool};
use crate::snap::SnapIndex;

/// What to choose.
#[derive(Debug, Clone)]
pub struct SiteOptions {
    /// The category to add sites of.
    pub category: CategoryId,
    /// How many sites.
    pub add: usize,
    /// Candidate sites (`None`: network nodes near uncovered homes).
    pub candidates: Option<Vec<Candidate>>,
    /// Grid spacing for the default candidates, metres.
    pub candidate_spacing_m: f64,
    /// People one new site can serve (`None`: no cap).
    pub capacity: Option<f64>,
}

/// Coverage of the category at one threshold, before and after the picks.
#[derive(Debug, Clone, Serialize)]
pub struct BeforeAfter {
    /// The threshold's label (`15`, or `300m` for a tier).
    pub threshold: String,
    /// Share of homes covered before.
    pub share_before: f64,
    /// ... after.
    pub share_after: f64,
    /// Share of the population covered before.
    pub share_population_before: f64,
    /// ... after.
    pub share_population_after: f64,
}

/// The chosen sites and what they change.
#[derive(Debug, Clone)]
pub struct SitePlan {
    /// The candidates considered.
    pub candidates: Vec<Candidate>,
    /// The picks, in order.
    pub picks: Vec<Pick>,
    /// Per threshold, before and after.
    pub before_after: Vec<BeforeAfter>,
    /// Memory held by the coverage sets, bytes.
    pub coverage_sets_bytes: usize,
}

/// Chooses the sites on a finished analysis.
pub fn plan_sites(a: &Analysis, opts: &SiteOptions) -> SitePlan {
    let c = opts.category.idx();
    let thresholds = a.config.thresholds(c);
    let main = thresholds.last().expect("a threshold").1;
    let uncovered: Vec<bool> = a.nearest[c].iter().map(|&t| t > main).collect();
    let candidates = match &opts.candidates {
        Some(list) => list.clone(),
        None => default_candidates(&a.graph, &a.home_anchors, &uncovered, opts.candidate_spacing_m),
    };
    // Candidates join the network like facilities do.
    let index = SnapIndex::new(&a.graph);
    let anchors: Vec<Option<Anchor>> = candidates
        .iter()
        .map(|cand| {
            index
                .snap(&a.graph, cand.lonlat)
                .filter(|s| s.access_m <= a.config.max_snap_m)
                .map(|s| Anchor::from_snap(&a.graph, &s))
        })
        .collect();
    let pool = WorkspacePool::new(a.graph.num_nodes());
    let by_edge = ByEdge::new(a.graph.num_edges(), &a.home_anchors);
    let reach = reach_within(&a.graph, &pool, &anchors, &a.home_anchors, &by_edge, main);
    let sets = CoverageSets::from_lists(reach.iter().map(|l| l.iter().map(|&(h, _)| h).collect()).collect());
    let population: Vec<f64> = a.homes.iter().map(|h| h.population).collect();
    let covered: Vec<bool> = uncovered.iter().map(|u| !u).collect();
    let picks = greedy_max_coverage(&sets, &population, &covered, opts.add, opts.capacity);
    // Before and after at every threshold, from the picks' reach times.
    let mut best_after: Vec<TimeMs> = a.nearest[c].clone();
    for p in &picks {
        for &(h, t) in &reach[p.candidate] {
            let b = &mut best_after[h as usize];
            *b = (*b).min(t);
        }
    }
    let total_pop: f64 = population.iter().fold(0.0, |s, p| s + p);
    let n = a.homes.len().max(1) as f64;
    let before_after = thresholds
        .iter()
        .map(|(label, limit)| {
            let tally = |times: &[TimeMs]| {
                let (homes, pop) = times
                    .iter()
                    .zip(&population)
                    .filter(|(t, _)| **t <= *limit)
                    .fold((0usize, 0.0), |(n, s), (_, p)| (n + 1, s + p));
                (homes as f64 / n, if total_pop > 0.0 { pop / total_pop } else { 0.0 })
            };
            let (sb, pb) = tally(&a.nearest[c]);
            let (sa, pa) = tally(&best_after);
            BeforeAfter {
                threshold: label.clone(),
                share_before: sb,
                share_after: sa,
                share_population_before: pb,
                share_population_after: pa,
            }
        })
        .collect();
    SitePlan { candidates, picks, before_after, coverage_sets_bytes: sets.bytes() }
}
