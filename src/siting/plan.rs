//! The `site` job: from an analysis, choose `n` new sites for one category
//! that cover the most people not yet covered, and report before and after.
//!
//! Coverage sets hold only the homes not yet covered (a covered home adds
//! nothing to any gain, so the picks are the same), stored as compressed rows
//! (`4` bytes per home). They come from bounded searches on the cheaper side
//! ([`coverage_sets_from`]): one per candidate listing the uncovered homes it
//! reaches, or, when candidates outnumber uncovered homes, one per uncovered
//! home listing the candidates within reach, transposed (the walking network
//! is undirected and a time is the same sum from either end). In parallel
//! with one workspace per thread: `O(min(C, U) · search + S)` for `C`
//! candidates, `U` uncovered homes and `S` set entries, then the greedy picks
//! ([`super::max_coverage`]) and one search per pick for before and after.
//! The mean-time objective needs every home's time, so it keeps one search
//! per candidate at twice the threshold.

use serde::Serialize;

use super::candidates::{Candidate, default_candidates};
use super::max_coverage::{CoverageSets, Pick, covered_population, greedy_max_coverage};
use super::mean_time::greedy_mean_time;
use crate::analysis::Analysis;
use crate::coverage::ByEdge;
use crate::coverage::count_within::{SearchSide, reach_within};
use crate::graph::WalkGraph;
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
    let points: Vec<[f64; 2]> = candidates.iter().map(|cand| cand.lonlat).collect();
    let anchors: Vec<Option<Anchor>> = a
        .snap_index
        .snap_all(&a.graph, &points)
        .into_iter()
        .map(|s| s.filter(|s| s.access_m <= a.config.max_snap_m).map(|s| Anchor::from_snap(&a.graph, &s)))
        .collect();
    let pool = WorkspacePool::new(a.graph.num_nodes());
    let by_edge = ByEdge::new(a.graph.num_edges(), &a.home_anchors);
    let population: Vec<f64> = a.homes.iter().map(|h| h.population).collect();
    let covered: Vec<bool> = uncovered.iter().map(|u| !u).collect();
    let (sets, picks, mean_time) = match opts.objective {
        Objective::Coverage => {
            let side = coverage_sets_side(&anchors, &a.home_anchors, &uncovered);
            let sets = coverage_sets_from(side, &a.graph, &pool, &anchors, &a.home_anchors, &uncovered, main);
            let picks = greedy_max_coverage(&sets, &population, &covered, opts.add, opts.capacity);
            (sets, picks, None)
        }
        Objective::MeanTime => {
            // Mean time counts every home's time, up to twice the threshold.
            let cap = TimeMs(main.0.saturating_mul(2));
            let mut reach = reach_within(&a.graph, &pool, &anchors, &a.home_anchors, &by_edge, cap);
            // A home no nearer to a candidate than to the existing sites adds exactly 0 to every
            // saving and changes no time: dropping it leaves the plan bit for bit the same.
            for list in &mut reach {
                list.retain(|&(h, t)| t < a.nearest[c][h as usize].min(cap));
            }
            let sets = CoverageSets::from_lists(
                reach
                    .iter()
                    .map(|l| l.iter().filter(|&&(h, t)| t <= main && uncovered[h as usize]).map(|&(h, _)| h).collect())
                    .collect(),
            );
            let plan = greedy_mean_time(&reach, &population, &a.nearest[c], cap, opts.add);
            let picks = coverage_of_sequence(&sets, &population, &covered, &plan.chosen);
            (sets, picks, Some(plan))
        }
    };
    // Before and after at every threshold (none above `main`), from the picks' times.
    let picked: Vec<Option<Anchor>> = picks.iter().map(|p| anchors[p.candidate]).collect();
    let picked_reach = reach_within(&a.graph, &pool, &picked, &a.home_anchors, &by_edge, main);
    let mut best_after: Vec<TimeMs> = a.nearest[c].clone();
    for list in &picked_reach {
        for &(h, t) in list {
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

/// The cheaper side for [`coverage_sets_from`]: the uncovered homes when more
/// candidates than uncovered homes are on the network.
pub fn coverage_sets_side(candidates: &[Option<Anchor>], homes: &[Option<Anchor>], uncovered: &[bool]) -> SearchSide {
    let open = homes.iter().zip(uncovered).filter(|(h, u)| h.is_some() && **u).count();
    if candidates.iter().flatten().count() > open { SearchSide::Homes } else { SearchSide::Facilities }
}

/// For each candidate, the homes with `uncovered[h]` within `limit` of it
/// (ascending), searched from the candidates ([`SearchSide::Facilities`]) or
/// from the uncovered homes ([`SearchSide::Homes`]) and transposed; the sets
/// are the same either way.
pub fn coverage_sets_from(
    side: SearchSide,
    graph: &WalkGraph,
    pool: &WorkspacePool,
    candidates: &[Option<Anchor>],
    homes: &[Option<Anchor>],
    uncovered: &[bool],
    limit: TimeMs,
) -> CoverageSets {
    let open: Vec<Option<Anchor>> = homes.iter().zip(uncovered).map(|(h, &u)| h.filter(|_| u)).collect();
    match side {
        SearchSide::Facilities => {
            let by_edge = ByEdge::new(graph.num_edges(), &open);
            let reach = reach_within(graph, pool, candidates, &open, &by_edge, limit);
            CoverageSets::from_lists(reach.into_iter().map(|l| l.into_iter().map(|(h, _)| h).collect()).collect())
        }
        SearchSide::Homes => {
            let by_edge = ByEdge::new(graph.num_edges(), candidates);
            // Per uncovered home, the candidates within reach; rows filled in home order stay ascending.
            let reach = reach_within(graph, pool, &open, candidates, &by_edge, limit);
            let mut offsets = vec![0u32; candidates.len() + 1];
            for &(c, _) in reach.iter().flatten() {
                offsets[c as usize + 1] += 1;
            }
            for i in 0..candidates.len() {
                offsets[i + 1] += offsets[i];
            }
            let mut fill = offsets[..candidates.len()].to_vec();
            let mut rows = vec![0u32; offsets[candidates.len()] as usize];
            for (h, list) in reach.iter().enumerate() {
                for &(c, _) in list {
                    rows[fill[c as usize] as usize] = h as u32;
                    fill[c as usize] += 1;
                }
            }
            CoverageSets { offsets, homes: rows }
        }
    }
}
