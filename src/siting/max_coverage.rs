//! Greedy maximal covering location with lazy gain re-evaluation (CELF).
//!
//! Each pick takes the candidate with the largest marginal gain: the
//! population of the homes it covers that no chosen or existing site covers
//! yet, capped at the site's capacity when one is given. Gains only shrink as
//! sites are chosen (submodularity), so a stale gain in a max-heap is an upper
//! bound: a candidate is re-evaluated only when it reaches the top, and taken
//! when its fresh gain still beats the next stale bound. Ties go to the lower
//! candidate index, so the result does not depend on evaluation order.
//!
//! Complexity: `O(S)` to build (`S` = total size of the coverage sets), then
//! per pick `O(log C)` heap work plus one `O(|set|)` re-evaluation per
//! candidate popped; the plain reference re-evaluates every candidate per
//! pick, `O(n · S)`.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Coverage sets in compressed rows: `homes[offsets[c]..offsets[c + 1]]` are
/// the homes candidate `c` covers (ascending, no repeats).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CoverageSets {
    /// Row starts, one per candidate plus the end.
    pub offsets: Vec<u32>,
    /// Home indices.
    pub homes: Vec<u32>,
}

impl CoverageSets {
    /// From one list of homes per candidate (each sorted and deduplicated here).
    pub fn from_lists(lists: Vec<Vec<u32>>) -> CoverageSets {
        let mut sets = CoverageSets { offsets: Vec::with_capacity(lists.len() + 1), homes: Vec::new() };
        sets.offsets.push(0);
        for mut l in lists {
            l.sort_unstable();
            l.dedup();
            sets.homes.extend_from_slice(&l);
            sets.offsets.push(sets.homes.len() as u32);
        }
        sets
    }

    /// Number of candidates.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// True when there is no candidate.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The homes candidate `c` covers.
    pub fn of(&self, c: usize) -> &[u32] {
        &self.homes[self.offsets[c] as usize..self.offsets[c + 1] as usize]
    }

    /// Memory held, bytes.
    pub fn bytes(&self) -> usize {
        (self.offsets.len() + self.homes.len()) * std::mem::size_of::<u32>()
    }
}

/// One chosen site.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    /// The candidate chosen.
    pub candidate: usize,
    /// Homes newly covered by it.
    pub homes_gained: usize,
    /// Population newly covered by it (capped at the capacity, if any).
    pub population_gained: f64,
    /// Population covered after this pick (existing coverage included).
    pub population_covered: f64,
}

/// Population of the homes marked covered.
pub fn covered_population(covered: &[bool], population: &[f64]) -> f64 {
    covered.iter().zip(population).filter(|(c, _)| **c).fold(0.0, |sum, (_, p)| sum + p)
}

/// Marginal gain of candidate `c`: `(population counted, homes)`.
fn gain(sets: &CoverageSets, c: usize, covered: &[bool], population: &[f64], capacity: Option<f64>) -> (f64, usize) {
    let (mut p, mut n) = (0.0, 0);
    for &h in sets.of(c) {
        if !covered[h as usize] {
            p += population[h as usize];
            n += 1;
        }
    }
    (capacity.map_or(p, |cap| p.min(cap)), n)
}

/// Marks the homes a chosen site serves: all it covers, or with a capacity,
/// homes in index order until the capacity is used (a home counts whole).
fn take(
    sets: &CoverageSets,
    c: usize,
    covered: &mut [bool],
    population: &[f64],
    capacity: Option<f64>,
) -> (f64, usize) {
    let (mut p, mut n) = (0.0, 0);
    for &h in sets.of(c) {
        let h = h as usize;
        if covered[h] {
            continue;
        }
        if capacity.is_some_and(|cap| p >= cap) {
            break;
        }
        covered[h] = true;
        p += population[h];
        n += 1;
    }
    (capacity.map_or(p, |cap| p.min(cap)), n)
}

#[derive(PartialEq)]
struct Entry {
    gain: f64,
    candidate: usize,
    round: usize,
}

impl Eq for Entry {}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        // Larger gain first; on ties the lower candidate index.
        self.gain.total_cmp(&other.gain).then(other.candidate.cmp(&self.candidate))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Greedy maximal covering with lazy evaluation: up to `n` picks (fewer when
/// no candidate adds anything). `covered[h]` says which homes existing
/// facilities already cover.
///
/// ```
/// use lifecircle::siting::{CoverageSets, greedy_max_coverage};
/// let sets = CoverageSets::from_lists(vec![vec![0, 1], vec![1, 2, 3], vec![3]]);
/// let picks = greedy_max_coverage(&sets, &[1.0; 4], &[false; 4], 2, None);
/// assert_eq!(picks.iter().map(|p| p.candidate).collect::<Vec<_>>(), vec![1, 0]);
/// assert_eq!(picks[1].population_covered, 4.0);
/// ```
pub fn greedy_max_coverage(
    sets: &CoverageSets,
    population: &[f64],
    covered: &[bool],
    n: usize,
    capacity: Option<f64>,
) -> Vec<Pick> {
    let mut covered = covered.to_vec();
    let mut total = covered_population(&covered, population);
    let mut heap: BinaryHeap<Entry> = (0..sets.len())
        .map(|c| Entry { gain: gain(sets, c, &covered, population, capacity).0, candidate: c, round: 0 })
        .collect();
    let mut picks = Vec::new();
    let mut chosen = vec![false; sets.len()];
    while picks.len() < n {
        let Some(top) = heap.pop() else { break };
        if chosen[top.candidate] {
            continue;
        }
        if top.round != picks.len() {
            // Stale: re-evaluate and put back.
            let (g, _) = gain(sets, top.candidate, &covered, population, capacity);
            heap.push(Entry { gain: g, candidate: top.candidate, round: picks.len() });
            continue;
        }
        if top.gain <= 0.0 {
            break;
        }
        let (g, homes) = take(sets, top.candidate, &mut covered, population, capacity);
        chosen[top.candidate] = true;
        total += g;
        picks.push(Pick {
            candidate: top.candidate,
            homes_gained: homes,
            population_gained: g,
            population_covered: total,
        });
    }
    picks
}

/// The plain reference: re-evaluates every candidate at every pick. `O(n · S)`.
pub fn greedy_max_coverage_plain(
    sets: &CoverageSets,
    population: &[f64],
    covered: &[bool],
    n: usize,
    capacity: Option<f64>,
) -> Vec<Pick> {
    let mut covered = covered.to_vec();
    let mut total = covered_population(&covered, population);
    let mut chosen = vec![false; sets.len()];
    let mut picks = Vec::new();
    while picks.len() < n {
        let mut best: Option<(f64, usize)> = None;
        for c in (0..sets.len()).filter(|&c| !chosen[c]) {
            let (g, _) = gain(sets, c, &covered, population, capacity);
            if best.is_none_or(|(bg, _)| g > bg) {
                best = Some((g, c));
            }
        }
        let Some((g, c)) = best.filter(|(g, _)| *g > 0.0) else { break };
        let (taken, homes) = take(sets, c, &mut covered, population, capacity);
        debug_assert!((taken - g).abs() < 1e-9 || capacity.is_some());
        chosen[c] = true;
        total += taken;
        picks.push(Pick { candidate: c, homes_gained: homes, population_gained: taken, population_covered: total });
    }
    picks
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny fixed-seed generator (xorshift64).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn instance(seed: u64) -> (CoverageSets, Vec<f64>, Vec<bool>) {
        let mut r = Rng(seed);
        let homes = 5 + r.below(20) as usize;
        let cands = 3 + r.below(8) as usize;
        let lists = (0..cands).map(|_| (0..homes as u32).filter(|_| r.below(100) < 30).collect::<Vec<_>>()).collect();
        let population = (0..homes).map(|_| 1.0 + r.below(5) as f64).collect();
        let covered = (0..homes).map(|_| r.below(100) < 15).collect();
        (CoverageSets::from_lists(lists), population, covered)
    }

    /// Covered population of a subset of candidates (no capacity).
    fn value(sets: &CoverageSets, pop: &[f64], covered: &[bool], subset: &[usize]) -> f64 {
        let mut c = covered.to_vec();
        for &s in subset {
            for &h in sets.of(s) {
                c[h as usize] = true;
            }
        }
        c.iter().zip(pop).filter(|(c, _)| **c).map(|(_, p)| *p).sum()
    }

    #[test]
    fn lazy_equals_plain_greedy() {
        for seed in 1..=200u64 {
            let (sets, pop, cov) = instance(0x517E_u64.wrapping_mul(seed));
            for n in [1, 2, 3, 5] {
                for cap in [None, Some(4.0)] {
                    let lazy = greedy_max_coverage(&sets, &pop, &cov, n, cap);
                    let plain = greedy_max_coverage_plain(&sets, &pop, &cov, n, cap);
                    assert_eq!(lazy, plain, "seed {seed}, n {n}, cap {cap:?}");
                }
            }
        }
    }

    #[test]
    fn greedy_is_within_one_minus_one_over_e_of_the_optimum() {
        let bound = 1.0 - 1.0 / std::f64::consts::E;
        for seed in 1..=100u64 {
            let (sets, pop, cov) = instance(0x00C0_FFEE_u64.wrapping_mul(seed));
            let base = value(&sets, &pop, &cov, &[]);
            for n in 1..=3usize.min(sets.len()) {
                let picks = greedy_max_coverage(&sets, &pop, &cov, n, None);
                let got = value(&sets, &pop, &cov, &picks.iter().map(|p| p.candidate).collect::<Vec<_>>()) - base;
                // Exhaustive optimum over all subsets of size n.
                let mut best = 0.0f64;
                for mask in 0u32..(1 << sets.len()) {
                    if mask.count_ones() as usize == n {
                        let subset: Vec<usize> = (0..sets.len()).filter(|&i| mask & (1 << i) != 0).collect();
                        best = best.max(value(&sets, &pop, &cov, &subset) - base);
                    }
                }
                assert!(got + 1e-9 >= bound * best, "seed {seed}, n {n}: greedy {got} vs optimum {best}");
                // The last pick's running total is the covered population.
                if let Some(last) = picks.last() {
                    assert!((last.population_covered - (got + base)).abs() < 1e-9);
                }
            }
        }
    }

    #[test]
    fn capacity_caps_each_gain() {
        let sets = CoverageSets::from_lists(vec![vec![0, 1, 2], vec![3]]);
        let pop = [2.0, 2.0, 2.0, 1.0];
        let picks = greedy_max_coverage(&sets, &pop, &[false; 4], 2, Some(3.0));
        assert_eq!(picks[0].candidate, 0);
        assert_eq!(picks[0].population_gained, 3.0);
        assert_eq!(picks[0].homes_gained, 2); // homes 0 and 1 fill the capacity of 3 (4 people, capped)
        assert_eq!(picks[1].candidate, 1);
    }
}
