//! The Gini coefficient and nearest-rank percentiles.
//!
//! [`gini`] measures how unequal a set of non-negative values is (here:
//! walking minutes to the nearest facility over a district's homes): 0 when all
//! are equal, approaching 1 when one value holds everything. It is the mean
//! absolute difference over all ordered pairs (self-pairs included) divided by
//! twice the mean:
//!
//! ```text
//! G = Σ_i Σ_j |x_i − x_j| / (2 n² x̄)
//! ```
//!
//! computed without the double sum from the sorted values `x_(1) <= … <= x_(n)`
//! (1-based ranks):
//!
//! ```text
//! G = 2 Σ_i i·x_(i) / (n Σ_i x_i) − (n + 1) / n
//! ```
//!
//! Complexity: `O(n log n)` time for the sort and `O(n)` extra memory for the
//! sorted copy. [`percentile`] is `O(1)` on an already sorted slice.
//!
//! ```
//! use lifecircle::district::gini::{gini, percentile};
//!
//! assert_eq!(gini(&[3.0, 3.0, 3.0]), Some(0.0));
//! // One home of four holds everything: (2·4·1)/(4·1) − 5/4 = 0.75.
//! assert!((gini(&[0.0, 0.0, 0.0, 1.0]).unwrap() - 0.75).abs() < 1e-12);
//! assert_eq!(gini(&[]), None);
//! assert_eq!(gini(&[0.0, 0.0]), None); // mean 0
//!
//! let sorted = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
//! assert_eq!(percentile(&sorted, 90.0), Some(9.0));
//! assert_eq!(percentile(&sorted, 50.0), Some(5.0));
//! ```

/// The Gini coefficient of non-negative values, in `[0, 1 − 1/n]`.
///
/// `None` for an empty slice, when the mean is 0 (the coefficient is
/// undefined), or when a value is negative or not finite (the coefficient is
/// only meaningful for non-negative quantities). The order of `values` does not
/// matter. `O(n log n)`.
pub fn gini(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|v| !v.is_finite() || *v < 0.0) {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let total: f64 = sorted.iter().sum();
    if total <= 0.0 {
        return None;
    }
    let n = sorted.len() as f64;
    let weighted: f64 = sorted.iter().enumerate().map(|(i, x)| (i + 1) as f64 * x).sum();
    let g = 2.0 * weighted / (n * total) - (n + 1.0) / n;
    // Rounding can leave a tiny negative value for equal inputs.
    Some(g.max(0.0))
}

/// [`gini`] of integer values given as a histogram: `(value, count)` pairs
/// with distinct values in ascending order (e.g. walking times in whole
/// milliseconds), computed in exact integer arithmetic and divided once, so
/// histograms merged from parts (tiles) give the whole's coefficient bit for
/// bit. `None` when there are no values or their sum is 0. `O(pairs)`.
///
/// ```
/// use lifecircle::district::gini::{gini, gini_of_counts};
///
/// // 0, 0, 0, 60000: one value holds everything.
/// assert_eq!(gini_of_counts(&[(0, 3), (60_000, 1)]), Some(0.75));
/// let g = gini_of_counts(&[(1, 2), (3, 1)]).unwrap();
/// assert!((g - gini(&[1.0, 1.0, 3.0]).unwrap()).abs() < 1e-15);
/// assert_eq!(gini_of_counts(&[]), None);
/// ```
pub fn gini_of_counts(counts: &[(u64, u64)]) -> Option<f64> {
    let (mut n, mut total, mut weighted) = (0u128, 0u128, 0u128);
    for &(v, c) in counts {
        let (v, c) = (u128::from(v), u128::from(c));
        // Ranks n+1 ..= n+c, summed: c·n + c(c+1)/2.
        weighted += v * (c * n + c * (c + 1) / 2);
        total += v * c;
        n += c;
    }
    if n == 0 || total == 0 {
        return None;
    }
    let (n, total, weighted) = (n as f64, total as f64, weighted as f64);
    let g = 2.0 * weighted / (n * total) - (n + 1.0) / n;
    Some(g.max(0.0))
}

/// The nearest-rank `p`-th percentile (`p` in `[0, 100]`) of values sorted
/// ascending: the value of rank `max(1, ⌈p·n/100⌉)`.
///
/// `None` for an empty slice or a `p` outside `[0, 100]` (or NaN). The slice
/// is not checked for order. `O(1)`.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=100.0).contains(&p) {
        return None;
    }
    let n = sorted.len();
    // p·n is exact for integral p and moderate n, so an exact rank is not pushed up by rounding.
    let rank = ((p * n as f64 / 100.0).ceil() as usize).clamp(1, n);
    Some(sorted[rank - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(values: &[f64]) -> f64 {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let sum: f64 = values.iter().flat_map(|a| values.iter().map(move |b| (a - b).abs())).sum();
        sum / (2.0 * n * n * mean)
    }

    #[test]
    fn hand_values() {
        assert_eq!(gini(&[1.0, 1.0, 1.0, 1.0]), Some(0.0));
        assert!((gini(&[0.0, 0.0, 0.0, 1.0]).unwrap() - 0.75).abs() < 1e-12);
        // 2·(1+4+9+16+25)/(5·15) − 6/5 = 110/75 − 90/75 = 4/15.
        assert!((gini(&[5.0, 3.0, 1.0, 4.0, 2.0]).unwrap() - 4.0 / 15.0).abs() < 1e-12);
        assert_eq!(gini(&[7.0]), Some(0.0));
        assert_eq!(gini(&[]), None);
        assert_eq!(gini(&[0.0]), None);
        assert_eq!(gini(&[1.0, -1.0]), None);
        assert_eq!(gini(&[1.0, f64::NAN]), None);
        assert_eq!(gini(&[1.0, f64::INFINITY]), None);
    }

    #[test]
    fn matches_double_sum() {
        let sets: [&[f64]; 4] = [&[1.0, 2.0], &[0.0, 10.0, 10.0], &[0.5, 9.0, 2.25, 2.25, 100.0], &[3.0, 0.0, 1.0]];
        for set in sets {
            assert!((gini(set).unwrap() - brute(set)).abs() < 1e-12, "{set:?}");
        }
    }

    #[test]
    fn percentiles() {
        let s = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&s, 0.0), Some(1.0));
        assert_eq!(percentile(&s, 25.0), Some(1.0));
        assert_eq!(percentile(&s, 26.0), Some(2.0));
        assert_eq!(percentile(&s, 100.0), Some(4.0));
        assert_eq!(percentile(&s, 101.0), None);
        assert_eq!(percentile(&s, f64::NAN), None);
        assert_eq!(percentile(&[], 50.0), None);
    }
}
