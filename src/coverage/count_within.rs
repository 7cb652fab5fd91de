//! How many facilities each home reaches within the thresholds, and the
//! capacity-aware access (2SFCA) built on the same searches.
//!
//! The walking network is undirected and a facility–home time is the same sum
//! seen from either end, so the bounded searches can start from whichever side
//! has fewer points ([`SearchSide`]):
//!
//! - **From the facilities** (the usual case): one search per distinct facility
//!   anchor lists the homes within the largest threshold, with their times
//!   ([`homes_within_timed`]); the lists are consumed in facility order, a
//!   chunk at a time, and dropped (counts are integers, so they are streamed).
//! - **From the homes** (facilities outnumber homes): one search per distinct
//!   home anchor counts the facilities within each threshold edge by edge
//!   ([`count_targets_within`] over [`EdgeCounts`]), never visiting them one by
//!   one.
//!
//! Both give exactly the same counts (integer millisecond sums). 2SFCA needs
//! every facility–home pair: two more passes over ordered lists, from the
//! side searched, add the same floating-point terms in the same order as
//! [`super::two_step_fca::two_step_fca`] on per-facility lists, so its results
//! are bit-identical too; the lists are never all held at once.
//!
//! Complexity, for `S` searches of `O((V' + E') log V')` each over the `V'`
//! nodes and `E'` edges within the largest threshold: from the facilities
//! `S = ` distinct facility anchors, plus `O(pairs)` to consume the lists; from
//! the homes `S = ` distinct home anchors, plus `O(E' log n)` counting per
//! search. 2SFCA adds two passes of `O(min(F, H))` searches and `O(pairs)`.
//! Results do not depend on the thread count.

use rayon::prelude::*;

use super::ByEdge;
use super::edge_count::EdgeCounts;
use super::nearest::anchor_seeds;
use super::two_step_fca::{TwoStepFca, supply_ratios};
use crate::graph::WalkGraph;
use crate::ids::TimeMs;
use crate::routing::{Anchor, DijkstraWorkspace, WorkspacePool, dijkstra};

/// Homes reached from one facility within `threshold`, ascending by home index.
///
/// `homes_by_edge` groups `homes` by edge ([`ByEdge::new`]).
pub fn homes_within(
    graph: &WalkGraph,
    ws: &mut DijkstraWorkspace,
    facility: &Anchor,
    homes: &[Option<Anchor>],
    homes_by_edge: &ByEdge,
    threshold: TimeMs,
) -> Vec<u32> {
    homes_within_timed(graph, ws, facility, homes, homes_by_edge, threshold).into_iter().map(|(h, _)| h).collect()
}

/// Homes reached from one facility within `threshold`, with their walking
/// times, ascending by home index.
///
/// The roles can be swapped: given a home and the facilities grouped by edge,
/// it lists the facilities within `threshold` of the home, with the same times.
pub fn homes_within_timed(
    graph: &WalkGraph,
    ws: &mut DijkstraWorkspace,
    facility: &Anchor,
    homes: &[Option<Anchor>],
    homes_by_edge: &ByEdge,
    threshold: TimeMs,
) -> Vec<(u32, TimeMs)> {
    let mut out = Vec::new();
    collect_within(graph, ws, facility, homes, homes_by_edge, threshold, &mut out);
    sort_by_target(&mut out);
    out
}

/// [`homes_within_timed`] appended to `out` in no particular order.
fn collect_within(
    graph: &WalkGraph,
    ws: &mut DijkstraWorkspace,
    facility: &Anchor,
    homes: &[Option<Anchor>],
    homes_by_edge: &ByEdge,
    threshold: TimeMs,
    out: &mut Vec<(u32, TimeMs)>,
) {
    if facility.access > threshold {
        return;
    }
    dijkstra(graph, ws, &anchor_seeds(graph, facility), threshold);
    let time_via_ends = |h: &Anchor, du: TimeMs, dv: TimeMs| {
        du.saturating_add(h.to_u).min(dv.saturating_add(h.to_v)).saturating_add(h.access)
    };
    // The facility's own edge: homes there are also reached directly along it.
    let (u, v) = graph.edge_endpoints(facility.edge);
    let (du, dv) = (ws.time(u), ws.time(v));
    for &hi in homes_by_edge.on(facility.edge) {
        let h = homes[hi as usize].as_ref().expect("grouped anchors exist");
        let t = time_via_ends(h, du, dv).min(h.same_edge_time(facility));
        if t <= threshold {
            out.push((hi, t));
        }
    }
    // Every other edge touching a settled node, visited once: from its settled
    // end with the smaller id when both ends are settled.
    for n in ws.settled() {
        for (e, m) in graph.incident_edges(n) {
            if e == facility.edge || (m < n && ws.time(m) != TimeMs::INF) {
                continue;
            }
            let on = homes_by_edge.on(e);
            if on.is_empty() {
                continue;
            }
            let (u, v) = graph.edge_endpoints(e);
            let (du, dv) = (ws.time(u), ws.time(v));
            for &hi in on {
                let h = homes[hi as usize].as_ref().expect("grouped anchors exist");
                let t = time_via_ends(h, du, dv);
                if t <= threshold {
                    out.push((hi, t));
                }
            }
        }
    }
}

/// Sorts `(target, time)` pairs with distinct targets by target: a radix
/// sort on the target index for long lists (`O(n)` per 11 bits of the
/// largest index), else a comparison sort.
pub fn sort_by_target(list: &mut Vec<(u32, TimeMs)>) {
    const BITS: u32 = 11;
    if list.len() < 1024 {
        list.sort_unstable();
        return;
    }
    let max = list.iter().map(|x| x.0).max().unwrap_or(0);
    let mut buf = vec![(0u32, TimeMs(0)); list.len()];
    let mut shift = 0;
    while shift < 32 && (max >> shift) > 0 {
        let mut start = [0usize; (1 << BITS) + 1];
        let digit = |x: u32| ((x >> shift) & ((1 << BITS) - 1)) as usize;
        for x in list.iter() {
            start[digit(x.0) + 1] += 1;
        }
        for d in 0..1 << BITS {
            start[d + 1] += start[d];
        }
        for &x in list.iter() {
            let d = digit(x.0);
            buf[start[d]] = x;
            start[d] += 1;
        }
        std::mem::swap(list, &mut buf);
        shift += BITS;
    }
}

/// Counts the `targets` within each of `thresholds` (ascending) of `source`
/// into `out[k]`: one search bounded by the largest threshold, then each
/// reached edge's targets counted from its ends' times by `target_counts`
/// (built from `targets`). Equal to counting the list of
/// [`homes_within_timed`] (with `source` and `targets` in either role).
#[allow(clippy::too_many_arguments)]
pub fn count_targets_within(
    graph: &WalkGraph,
    ws: &mut DijkstraWorkspace,
    source: &Anchor,
    targets: &[Option<Anchor>],
    targets_by_edge: &ByEdge,
    target_counts: &EdgeCounts,
    thresholds: &[TimeMs],
    out: &mut [u32],
) {
    out.fill(0);
    let main = *thresholds.last().expect("at least one threshold");
    if source.access > main {
        return;
    }
    dijkstra(graph, ws, &anchor_seeds(graph, source), main);
    // The source's own edge: its targets are also reached directly along it.
    for &ti in targets_by_edge.on(source.edge) {
        let x = targets[ti as usize].as_ref().expect("grouped anchors exist");
        let (u, v) = graph.edge_endpoints(x.edge);
        let t = ws
            .time(u)
            .saturating_add(x.to_u)
            .min(ws.time(v).saturating_add(x.to_v))
            .saturating_add(x.access)
            .min(x.same_edge_time(source));
        add_within(out, thresholds, t, 1);
    }
    // Every other edge touching a settled node, once (as in `homes_within_timed`).
    for n in ws.settled() {
        for (e, m) in graph.incident_edges(n) {
            if e == source.edge || (m < n && ws.time(m) != TimeMs::INF) || target_counts.is_empty(e) {
                continue;
            }
            let (u, v) = graph.edge_endpoints(e);
            let (du, dv) = (ws.time(u), ws.time(v));
            for (k, &limit) in thresholds.iter().enumerate() {
                out[k] += target_counts.count_within(e, limit, du, dv);
            }
        }
    }
}

/// Adds `weight` to `counts[k]` for every threshold `k` that `t` is within.
#[inline]
fn add_within(counts: &mut [u32], thresholds: &[TimeMs], t: TimeMs, weight: u32) {
    let first = thresholds.partition_point(|&limit| limit < t);
    for c in &mut counts[first..] {
        *c += weight;
    }
}

/// Where the bounded searches start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchSide {
    /// One search per facility, listing homes.
    Facilities,
    /// One search per home, counting facilities.
    Homes,
}

/// The cheaper side: the homes when more facilities than homes are on the network.
pub fn search_side(facilities: &[Option<Anchor>], homes: &[Option<Anchor>]) -> SearchSide {
    let on = |v: &[Option<Anchor>]| v.iter().filter(|a| a.is_some()).count();
    if on(facilities) > on(homes) { SearchSide::Homes } else { SearchSide::Facilities }
}

/// What 2SFCA needs besides the searches.
#[derive(Debug, Clone, Copy)]
pub struct Supply<'a> {
    /// Per facility: its capacity `S_j` (`None`: adds no supply).
    pub capacity: &'a [Option<f64>],
    /// Per home: its population.
    pub population: &'a [f64],
}

/// The result of [`within_thresholds`].
#[derive(Debug, Clone, PartialEq)]
pub struct Within {
    /// `counts[k][h]`: facilities within threshold `k` of home `h`.
    pub counts: Vec<Vec<u32>>,
    /// 2SFCA at the largest threshold, when a [`Supply`] was given.
    pub two_step_fca: Option<TwoStepFca>,
    /// The side the searches started from.
    pub side: SearchSide,
}

/// Per home, the facilities within each of `thresholds` (ascending), and
/// 2SFCA at the largest when `supply` is given; searches from the cheaper
/// side ([`search_side`]).
pub fn within_thresholds(
    graph: &WalkGraph,
    pool: &WorkspacePool,
    facilities: &[Option<Anchor>],
    homes: &[Option<Anchor>],
    homes_by_edge: &ByEdge,
    thresholds: &[TimeMs],
    supply: Option<Supply>,
) -> Within {
    let side = search_side(facilities, homes);
    within_thresholds_from(side, graph, pool, facilities, homes, homes_by_edge, thresholds, supply)
}

/// [`within_thresholds`] with the searches from a given side (the results are the same).
#[allow(clippy::too_many_arguments)]
pub fn within_thresholds_from(
    side: SearchSide,
    graph: &WalkGraph,
    pool: &WorkspacePool,
    facilities: &[Option<Anchor>],
    homes: &[Option<Anchor>],
    homes_by_edge: &ByEdge,
    thresholds: &[TimeMs],
    supply: Option<Supply>,
) -> Within {
    assert!(!thresholds.is_empty() && thresholds.windows(2).all(|w| w[0] <= w[1]), "thresholds ascending");
    if let Some(s) = &supply {
        assert_eq!(s.capacity.len(), facilities.len(), "a capacity per facility");
        assert_eq!(s.population.len(), homes.len(), "a population per home");
    }
    let (counts, two_step_fca) = match side {
        SearchSide::Facilities => from_facilities(graph, pool, facilities, homes, homes_by_edge, thresholds, supply),
        SearchSide::Homes => from_homes(graph, pool, facilities, homes, thresholds, supply),
    };
    Within { counts, two_step_fca, side }
}

/// The value of an empty `f64` sum (`Iterator::sum`'s starting value), so
/// that sums accumulated one term at a time equal `sum()` over the same terms.
fn empty_sum() -> f64 {
    std::iter::empty::<f64>().sum()
}

/// Distinct anchors: `(anchors, members)`, where `members[i]` lists (ascending)
/// the items whose anchor is `anchors[i]`. `O(n log n)`.
fn distinct_anchors(items: &[Option<Anchor>]) -> (Vec<Anchor>, Vec<Vec<u32>>) {
    let key = |a: &Anchor| (a.edge.0, a.to_u.0, a.to_v.0, a.access.0);
    let mut order: Vec<(u32, Anchor)> =
        items.iter().enumerate().filter_map(|(i, a)| a.map(|a| (i as u32, a))).collect();
    order.sort_unstable_by_key(|(i, a)| (key(a), *i));
    let mut anchors: Vec<Anchor> = Vec::new();
    let mut members: Vec<Vec<u32>> = Vec::new();
    for (i, a) in order {
        if anchors.last() != Some(&a) {
            anchors.push(a);
            members.push(Vec::new());
        }
        members.last_mut().expect("pushed").push(i);
    }
    (anchors, members)
}

/// Target pairs held at once while lists are consumed in order.
const PAIRS_PER_CHUNK: usize = 1 << 21;

/// For `sources` in order (`(id, anchor)`), the targets within `budget` with
/// their times ([`homes_within_timed`]; ascending by target only when
/// `sorted`), computed in parallel a chunk at a time and handed to `consume`
/// in source order; at most about [`PAIRS_PER_CHUNK`] pairs are held at once.
#[allow(clippy::too_many_arguments)]
fn lists_in_order(
    graph: &WalkGraph,
    pool: &WorkspacePool,
    sources: &[(u32, Anchor)],
    targets: &[Option<Anchor>],
    targets_by_edge: &ByEdge,
    budget: TimeMs,
    sorted: bool,
    mut consume: impl FnMut(u32, &[(u32, TimeMs)]),
) {
    let min_chunk = 4 * rayon::current_num_threads().max(1);
    let (mut start, mut chunk, mut pairs) = (0, min_chunk, 0usize);
    while start < sources.len() {
        let end = (start + chunk).min(sources.len());
        let lists: Vec<Vec<(u32, TimeMs)>> = sources[start..end]
            .par_iter()
            .map(|(_, a)| {
                let mut list = Vec::new();
                pool.with(|ws| collect_within(graph, ws, a, targets, targets_by_edge, budget, &mut list));
                if sorted {
                    sort_by_target(&mut list);
                }
                list
            })
            .collect();
        for ((id, _), list) in sources[start..end].iter().zip(&lists) {
            consume(*id, list);
            pairs += list.len();
        }
        start = end;
        chunk = (PAIRS_PER_CHUNK / (pairs / start + 1)).clamp(min_chunk, 1 << 16);
    }
}

/// Searches from each distinct facility anchor, listing homes.
fn from_facilities(
    graph: &WalkGraph,
    pool: &WorkspacePool,
    facilities: &[Option<Anchor>],
    homes: &[Option<Anchor>],
    homes_by_edge: &ByEdge,
    thresholds: &[TimeMs],
    supply: Option<Supply>,
) -> (Vec<Vec<u32>>, Option<TwoStepFca>) {
    let main = *thresholds.last().expect("a threshold");
    let mut counts = vec![vec![0u32; homes.len()]; thresholds.len()];
    let (anchors, members) = distinct_anchors(facilities);
    let sources: Vec<(u32, Anchor)> = anchors.iter().enumerate().map(|(i, a)| (i as u32, *a)).collect();
    let mut demand = supply.map(|_| vec![empty_sum(); facilities.len()]);
    // Sorted only for the demand, which sums a facility's homes in home order.
    lists_in_order(graph, pool, &sources, homes, homes_by_edge, main, supply.is_some(), |i, list| {
        let same = &members[i as usize];
        for &(h, t) in list {
            let first = thresholds.partition_point(|&limit| limit < t);
            for c in &mut counts[first..] {
                c[h as usize] += same.len() as u32;
            }
        }
        if let (Some(demand), Some(s)) = (demand.as_mut(), &supply) {
            // As `two_step_fca`: the population of the facility's homes, in home order.
            let d: f64 = list.iter().map(|&(h, _)| s.population[h as usize]).sum();
            for &j in same {
                demand[j as usize] = d;
            }
        }
    });
    let (Some(s), Some(demand)) = (supply, demand) else { return (counts, None) };
    let ratio = supply_ratios(s.capacity, &demand);
    // Each home adds the ratios of the facilities reaching it, in facility order.
    let mut access = vec![0.0; homes.len()];
    let sources: Vec<(u32, Anchor)> = facilities
        .iter()
        .zip(&ratio)
        .enumerate()
        .filter_map(|(j, (a, r))| a.filter(|_| r.is_some()).map(|a| (j as u32, a)))
        .collect();
    lists_in_order(graph, pool, &sources, homes, homes_by_edge, main, false, |j, list| {
        let r = ratio[j as usize].expect("sources with a ratio");
        for &(h, _) in list {
            access[h as usize] += r;
        }
    });
    (counts, Some(TwoStepFca { facility_demand: demand, facility_ratio: ratio, home_access: access }))
}

/// Searches from each distinct home anchor, counting facilities (listing them only for 2SFCA).
fn from_homes(
    graph: &WalkGraph,
    pool: &WorkspacePool,
    facilities: &[Option<Anchor>],
    homes: &[Option<Anchor>],
    thresholds: &[TimeMs],
    supply: Option<Supply>,
) -> (Vec<Vec<u32>>, Option<TwoStepFca>) {
    let main = *thresholds.last().expect("a threshold");
    let nk = thresholds.len();
    let mut counts = vec![vec![0u32; homes.len()]; nk];
    let facilities_by_edge = ByEdge::new(graph.num_edges(), facilities);
    let Some(s) = supply else {
        let facility_counts = EdgeCounts::new(graph.num_edges(), facilities);
        let (anchors, members) = distinct_anchors(homes);
        let mut flat = vec![0u32; anchors.len() * nk];
        flat.par_chunks_mut(nk).zip(anchors.par_iter()).for_each(|(out, a)| {
            pool.with(|ws| {
                count_targets_within(graph, ws, a, facilities, &facilities_by_edge, &facility_counts, thresholds, out)
            })
        });
        for (got, same) in flat.chunks(nk).zip(&members) {
            for &h in same {
                for (c, &n) in counts.iter_mut().zip(got) {
                    c[h as usize] = n;
                }
            }
        }
        return (counts, None);
    };
    // 2SFCA: the facilities' demand adds each home's population in home order,
    // as `two_step_fca` sums a facility's list.
    let mut demand = vec![empty_sum(); facilities.len()];
    let sources: Vec<(u32, Anchor)> = homes.iter().enumerate().filter_map(|(h, a)| a.map(|a| (h as u32, a))).collect();
    lists_in_order(graph, pool, &sources, facilities, &facilities_by_edge, main, false, |h, list| {
        for &(j, t) in list {
            let first = thresholds.partition_point(|&limit| limit < t);
            for c in &mut counts[first..] {
                c[h as usize] += 1;
            }
            demand[j as usize] += s.population[h as usize];
        }
    });
    let ratio = supply_ratios(s.capacity, &demand);
    let access: Vec<f64> = homes
        .par_iter()
        .map(|a| match a {
            None => 0.0,
            Some(a) => pool.with(|ws| {
                homes_within_timed(graph, ws, a, facilities, &facilities_by_edge, main)
                    .iter()
                    .fold(0.0, |acc, &(j, _)| ratio[j as usize].map_or(acc, |r| acc + r))
            }),
        })
        .collect();
    (counts, Some(TwoStepFca { facility_demand: demand, facility_ratio: ratio, home_access: access }))
}

/// For each facility, the homes within `threshold` with their times (see [`homes_within_timed`]),
/// computed in parallel with one workspace per thread. Holds every list at
/// once: for many facilities use [`within_thresholds`], which streams them.
pub fn reach_within(
    graph: &WalkGraph,
    pool: &WorkspacePool,
    facilities: &[Option<Anchor>],
    homes: &[Option<Anchor>],
    homes_by_edge: &ByEdge,
    threshold: TimeMs,
) -> Vec<Vec<(u32, TimeMs)>> {
    facilities
        .par_iter()
        .map(|f| match f {
            None => Vec::new(),
            Some(f) => pool.with(|ws| homes_within_timed(graph, ws, f, homes, homes_by_edge, threshold)),
        })
        .collect()
}

/// Per threshold, per home: how many facilities' reach lists hold the home
/// within that threshold (the reference for [`within_thresholds`]).
pub fn counts_per_threshold(reach: &[Vec<(u32, TimeMs)>], num_homes: usize, thresholds: &[TimeMs]) -> Vec<Vec<u32>> {
    let mut counts = vec![vec![0u32; num_homes]; thresholds.len()];
    for list in reach {
        for &(h, t) in list {
            for (k, &limit) in thresholds.iter().enumerate() {
                counts[k][h as usize] += (t <= limit) as u32;
            }
        }
    }
    counts
}

/// For every home, the number of `facilities` within `threshold`.
///
/// ```
/// use lifecircle::coverage::{ByEdge, count_within::count_within};
/// use lifecircle::graph::{EdgeSpec, WalkGraph};
/// use lifecircle::ids::{EdgeId, NodeId, TimeMs};
/// use lifecircle::routing::{Anchor, WorkspacePool};
/// // One 111 m edge walked at 1 m/s: 111 195 ms.
/// let nodes = vec![[0.0, 0.0], [0.001, 0.0]];
/// let g = WalkGraph::new(nodes.clone(), vec![EdgeSpec { u: NodeId(0), v: NodeId(1), geometry: nodes, highway: 0 }], 1.0);
/// let total = g.edge_time(EdgeId(0)).0;
/// let at = |ms: u32| Some(Anchor { edge: EdgeId(0), to_u: TimeMs(ms), to_v: TimeMs(total - ms), access: TimeMs(0) });
/// let homes = vec![at(0), at(100_000)];
/// let facilities = vec![at(10_000), at(90_000)];
/// let by_edge = ByEdge::new(g.num_edges(), &homes);
/// let pool = WorkspacePool::new(g.num_nodes());
/// // Within 20 s: the first home reaches only the facility 10 s away, the second only the one 10 s away from it.
/// assert_eq!(count_within(&g, &pool, &facilities, &homes, &by_edge, TimeMs(20_000)), vec![1, 1]);
/// assert_eq!(count_within(&g, &pool, &facilities, &homes, &by_edge, TimeMs(90_000)), vec![2, 2]);
/// ```
pub fn count_within(
    graph: &WalkGraph,
    pool: &WorkspacePool,
    facilities: &[Option<Anchor>],
    homes: &[Option<Anchor>],
    homes_by_edge: &ByEdge,
    threshold: TimeMs,
) -> Vec<u32> {
    within_thresholds(graph, pool, facilities, homes, homes_by_edge, &[threshold], None)
        .counts
        .pop()
        .expect("one threshold")
}
