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
use super::max_coverage::{CoverageSets, Pick, covered_population, greedy_max_coverage};
use super::mean_time::greedy_mean_time;
use crate::analysis::Analysis;
use crate::coverage::ByEdge;
use crate::coverage::count_within::reach_within;
use crate::ids::{CategoryId, TimeMs};
use crate::routing::{Anchor, WorkspacePool};

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
    /// What the picks optimise.
    pub objective: Objective,
}

/// What site selection optimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Objective {
    /// Most people newly within the threshold (maximal covering).
    #[default]
    Coverage,
    /// Lowest population-weighted mean time to the nearest facility (p-median;
    /// times counted up to twice the threshold), greedy plus one swap pass.
    MeanTime,
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
    /// With the mean-time objective: mean minutes before and after, and the swaps.
    pub mean_time: Option<super::mean_time::MeanTimePlan>,
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
    let index = &a.snap_index;
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
    // The mean-time objective counts times up to twice the threshold.
    let cap = if opts.objective == Objective::MeanTime { TimeMs(main.0.saturating_mul(2)) } else { main };
    let reach = reach_within(&a.graph, &pool, &anchors, &a.home_anchors, &by_edge, cap);
    let sets = CoverageSets::from_lists(
        reach.iter().map(|l| l.iter().filter(|&&(_, t)| t <= main).map(|&(h, _)| h).collect()).collect(),
    );
    let population: Vec<f64> = a.homes.iter().map(|h| h.population).collect();
    let covered: Vec<bool> = uncovered.iter().map(|u| !u).collect();
    let (picks, mean_time) = match opts.objective {
        Objective::Coverage => (greedy_max_coverage(&sets, &population, &covered, opts.add, opts.capacity), None),
        Objective::MeanTime => {
            let plan = greedy_mean_time(&reach, &population, &a.nearest[c], cap, opts.add);
            (coverage_of_sequence(&sets, &population, &covered, &plan.chosen), Some(plan))
        }
    };
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
    SitePlan { candidates, picks, before_after, coverage_sets_bytes: sets.bytes(), mean_time }
}

/// The coverage gains of a given sequence of sites, in order.
fn coverage_of_sequence(sets: &CoverageSets, population: &[f64], covered: &[bool], chosen: &[usize]) -> Vec<Pick> {
    let mut covered = covered.to_vec();
    let mut total = covered_population(&covered, population);
    chosen
        .iter()
        .map(|&c| {
            let (mut gained, mut homes) = (0.0, 0);
            for &h in sets.of(c) {
                if !covered[h as usize] {
                    covered[h as usize] = true;
                    gained += population[h as usize];
                    homes += 1;
                }
            }
            total += gained;
            Pick { candidate: c, homes_gained: homes, population_gained: gained, population_covered: total }
        })
        .collect()
}
