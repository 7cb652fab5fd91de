//! Capacity-aware access: the two-step floating catchment area method (2SFCA,
//! Luo & Wang 2003), on network walking times.
//!
//! Step 1: every facility `j` with capacity `S_j` gets the ratio
//! `R_j = S_j / D_j`, where `D_j` is the population of the homes within the
//! threshold of `j` (its "service population"). Step 2: every home `i` gets
//! `A_i = Σ R_j` over the facilities within the threshold of `i`, the supply
//! per person available to it. A facility is over capacity when `D_j > S_j`.
//! `O(total reach pairs)` given the per-facility reach lists of
//! [`super::count_within::reach_within`]. This is the plain form;
//! [`super::count_within::within_thresholds`] computes the same values, bit for
//! bit, without holding every list at once.

use crate::ids::TimeMs;

/// The result of [`two_step_fca`].
#[derive(Debug, Clone, PartialEq)]
pub struct TwoStepFca {
    /// Per facility: population within the threshold (its demand `D_j`).
    pub facility_demand: Vec<f64>,
    /// Per facility: `S_j / D_j`, `None` without a capacity or without demand.
    pub facility_ratio: Vec<Option<f64>>,
    /// Per home: `A_i`, the summed ratios of the facilities within reach.
    pub home_access: Vec<f64>,
}

fn within(list: &[(u32, TimeMs)], threshold: TimeMs) -> impl Iterator<Item = usize> + '_ {
    list.iter().filter(move |(_, t)| *t <= threshold).map(|(h, _)| *h as usize)
}

/// Runs 2SFCA over facilities' reach lists (`reach[j]`: `(home, time)` pairs),
/// counting only pairs within `threshold`. Facilities without a capacity add
/// no supply but still report their demand.
///
/// ```
/// use lifecircle::coverage::two_step_fca::two_step_fca;
/// use lifecircle::ids::TimeMs;
/// // Facility 0 (capacity 30) reaches homes 0 and 1; facility 1 (capacity 10) reaches home 1.
/// let reach = vec![vec![(0, TimeMs(1)), (1, TimeMs(1))], vec![(1, TimeMs(1))]];
/// let r = two_step_fca(&reach, &[Some(30.0), Some(10.0)], &[10.0, 20.0], TimeMs(10));
/// assert_eq!(r.facility_demand, vec![30.0, 20.0]);
/// assert_eq!(r.facility_ratio, vec![Some(1.0), Some(0.5)]);
/// assert_eq!(r.home_access, vec![1.0, 1.5]);
/// ```
pub fn two_step_fca(
    reach: &[Vec<(u32, TimeMs)>],
    capacity: &[Option<f64>],
    population: &[f64],
    threshold: TimeMs,
) -> TwoStepFca {
    let facility_demand: Vec<f64> =
        reach.iter().map(|list| within(list, threshold).map(|h| population[h]).sum()).collect();
    let facility_ratio = supply_ratios(capacity, &facility_demand);
    let mut home_access = vec![0.0; population.len()];
    for (list, ratio) in reach.iter().zip(&facility_ratio) {
        if let Some(r) = ratio {
            for h in within(list, threshold) {
                home_access[h] += r;
            }
        }
    }
    TwoStepFca { facility_demand, facility_ratio, home_access }
}

/// Step 1's ratios `S_j / D_j` (`None` without a capacity or without demand).
pub fn supply_ratios(capacity: &[Option<f64>], demand: &[f64]) -> Vec<Option<f64>> {
    capacity.iter().zip(demand).map(|(cap, &d)| cap.filter(|_| d > 0.0).map(|c| c / d)).collect()
}
