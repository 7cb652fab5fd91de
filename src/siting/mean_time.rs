//! Greedy p-median with one pass of swap improvement: choose sites that
//! minimise the population-weighted mean walking time to the nearest facility.
//!
//! Times are counted up to a cap (`cap`, e.g. twice the threshold): a home
//! farther than the cap from every facility counts as the cap, so savings are
//! finite and a site's saving is `Σ population × max(0, current − time)` over
//! the homes it reaches within the cap. Savings only shrink as sites are
//! added, so gains are evaluated lazily (CELF), ties to the lower candidate.
//! The swap pass then tries, for each chosen site in turn, every other
//! candidate in its place and keeps the best strict improvement.
//!
//! Complexity: greedy as in [`super::max_coverage`]; the swap pass
//! `O(n · S)` for `n` picks and coverage-set size `S`.

use std::collections::BinaryHeap;

use crate::ids::TimeMs;

/// The result of [`greedy_mean_time`].
#[derive(Debug, Clone, PartialEq)]
pub struct MeanTimePlan {
    /// Chosen candidates, in pick order (after swaps, a swapped-in site takes the place of the one it replaced).
    pub chosen: Vec<usize>,
    /// Population-weighted mean minutes (capped) before any new site.
    pub mean_min_before: f64,
    /// After each pick of the greedy phase.
    pub mean_min_after_pick: Vec<f64>,
    /// After the swap pass.
    pub mean_min_after: f64,
    /// Swaps made: `(position, old candidate, new candidate)`.
    pub swaps: Vec<(usize, usize, usize)>,
}

fn weighted_mean(times: &[u32], population: &[f64]) -> f64 {
    let total: f64 = population.iter().fold(0.0, |s, p| s + p);
    if total <= 0.0 {
        return 0.0;
    }
    times.iter().zip(population).fold(0.0, |s, (&t, &p)| s + t as f64 * p) / total / 60_000.0
}

fn saving(reach: &[(u32, TimeMs)], cur: &[u32], population: &[f64]) -> f64 {
    reach.iter().fold(0.0, |s, &(h, t)| s + population[h as usize] * cur[h as usize].saturating_sub(t.0) as f64)
}

#[derive(PartialEq)]
struct Entry(f64, usize, usize);

impl Eq for Entry {}

impl Ord for Entry {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&o.0).then(o.1.cmp(&self.1))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

/// Chooses up to `n` candidates (`reach[c]`: homes within `cap` of candidate
/// `c`, with times) given each home's `current` time to an existing facility.
///
/// ```
/// use lifecircle::ids::TimeMs;
/// use lifecircle::siting::mean_time::greedy_mean_time;
/// // Two homes 10 min from the nearest facility; candidate 1 is 1 min from both.
/// let reach = vec![vec![(0, TimeMs(60_000))], vec![(0, TimeMs(60_000)), (1, TimeMs(60_000))]];
/// let plan = greedy_mean_time(&reach, &[1.0, 1.0], &[TimeMs(600_000); 2], TimeMs(1_800_000), 1);
/// assert_eq!(plan.chosen, vec![1]);
/// assert!((plan.mean_min_after - 1.0).abs() < 1e-12);
/// ```
pub fn greedy_mean_time(
    reach: &[Vec<(u32, TimeMs)>],
    population: &[f64],
    current: &[TimeMs],
    cap: TimeMs,
    n: usize,
) -> MeanTimePlan {
    let base: Vec<u32> = current.iter().map(|t| t.0.min(cap.0)).collect();
    let mut cur = base.clone();
    let mean_min_before = weighted_mean(&cur, population);
    let mut heap: BinaryHeap<Entry> =
        (0..reach.len()).map(|c| Entry(saving(&reach[c], &cur, population), c, 0)).collect();
    let mut chosen: Vec<usize> = Vec::new();
    let mut is_chosen = vec![false; reach.len()];
    let mut mean_min_after_pick = Vec::new();
    while chosen.len() < n {
        let Some(Entry(g, c, round)) = heap.pop() else { break };
        if is_chosen[c] {
            continue;
        }
        if round != chosen.len() {
            heap.push(Entry(saving(&reach[c], &cur, population), c, chosen.len()));
            continue;
        }
        if g <= 0.0 {
            break;
        }
        for &(h, t) in &reach[c] {
            cur[h as usize] = cur[h as usize].min(t.0);
        }
        is_chosen[c] = true;
        chosen.push(c);
        mean_min_after_pick.push(weighted_mean(&cur, population));
    }
    // One pass of swap improvement.
    let mut swaps = Vec::new();
    for pos in 0..chosen.len() {
        let out = chosen[pos];
        // Times without the site at `pos`.
        let mut without = base.clone();
        for (k, &c) in chosen.iter().enumerate() {
            if k != pos {
                for &(h, t) in &reach[c] {
                    without[h as usize] = without[h as usize].min(t.0);
                }
            }
        }
        let kept = saving(&reach[out], &without, population);
        let mut best: Option<(f64, usize)> = None;
        for c in (0..reach.len()).filter(|&c| !is_chosen[c]) {
            let g = saving(&reach[c], &without, population);
            if g > kept + 1e-9 && best.is_none_or(|(bg, _)| g > bg) {
                best = Some((g, c));
            }
        }
        if let Some((_, c)) = best {
            is_chosen[out] = false;
            is_chosen[c] = true;
            chosen[pos] = c;
            swaps.push((pos, out, c));
        }
    }
    let mut fin = base;
    for &c in &chosen {
        for &(h, t) in &reach[c] {
            fin[h as usize] = fin[h as usize].min(t.0);
        }
    }
    MeanTimePlan {
        chosen,
        mean_min_before,
        mean_min_after_pick,
        mean_min_after: weighted_mean(&fin, population),
        swaps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    fn objective(reach: &[Vec<(u32, TimeMs)>], pop: &[f64], cur: &[TimeMs], cap: TimeMs, set: &[usize]) -> f64 {
        let mut t: Vec<u32> = cur.iter().map(|x| x.0.min(cap.0)).collect();
        for &c in set {
            for &(h, x) in &reach[c] {
                t[h as usize] = t[h as usize].min(x.0);
            }
        }
        weighted_mean(&t, pop)
    }

    /// Greedy plus swap never does worse than greedy alone, matches a
    /// brute-force greedy, and for one pick equals the exhaustive optimum.
    #[test]
    fn greedy_and_swap_against_brute_force() {
        for seed in 1..=150u64 {
            let mut r = Rng(0x9E37_79B9_u64.wrapping_mul(seed));
            let homes = 4 + r.below(12) as usize;
            let cands = 2 + r.below(7) as usize;
            let cap = TimeMs(1_800_000);
            let reach: Vec<Vec<(u32, TimeMs)>> = (0..cands)
                .map(|_| {
                    let mut list = Vec::new();
                    for h in 0..homes as u32 {
                        if r.below(100) < 40 {
                            list.push((h, TimeMs(60_000 * (1 + r.below(30) as u32))));
                        }
                    }
                    list
                })
                .collect();
            let pop: Vec<f64> = (0..homes).map(|_| 1.0 + r.below(4) as f64).collect();
            let cur: Vec<TimeMs> = (0..homes)
                .map(|_| if r.below(4) == 0 { TimeMs::INF } else { TimeMs(60_000 * r.below(40) as u32) })
                .collect();
            // Brute-force greedy (no laziness, no swaps).
            let mut brute: Vec<usize> = Vec::new();
            let n = 1 + r.below(3) as usize;
            for _ in 0..n {
                let now = objective(&reach, &pop, &cur, cap, &brute);
                let best = (0..cands)
                    .filter(|c| !brute.contains(c))
                    .map(|c| {
                        let mut s = brute.clone();
                        s.push(c);
                        (objective(&reach, &pop, &cur, cap, &s), c)
                    })
                    .filter(|(v, _)| *v < now - 1e-12)
                    .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                match best {
                    Some((_, c)) => brute.push(c),
                    None => break,
                }
            }
            let plan = greedy_mean_time(&reach, &pop, &cur, cap, n);
            let greedy_only = &plan.mean_min_after_pick;
            let brute_value = objective(&reach, &pop, &cur, cap, &brute);
            assert_eq!(greedy_only.len(), brute.len(), "seed {seed}");
            if let Some(last) = greedy_only.last() {
                assert!((last - brute_value).abs() < 1e-9, "seed {seed}: {last} vs {brute_value}");
            }
            assert!(plan.mean_min_after <= brute_value + 1e-9, "seed {seed}: swaps made it worse");
            assert!((plan.mean_min_after - objective(&reach, &pop, &cur, cap, &plan.chosen)).abs() < 1e-9);
            if n == 1 && !brute.is_empty() {
                let opt = (0..cands).map(|c| objective(&reach, &pop, &cur, cap, &[c])).fold(f64::INFINITY, f64::min);
                assert!((plan.mean_min_after - opt).abs() < 1e-9, "seed {seed}");
            }
        }
    }
}
