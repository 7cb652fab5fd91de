//! Shares and medians over homes. `O(H log H)` per category (a sort for the median).

use crate::ids::TimeMs;

/// The median of `times` (the lower middle for an even count), counting
/// [`TimeMs::INF`] as larger than every time; `None` when the median itself
/// is unreached or there are no times.
///
/// ```
/// use lifecircle::coverage::stats::median_time;
/// use lifecircle::ids::TimeMs;
/// assert_eq!(median_time(&[TimeMs(3), TimeMs(1), TimeMs(2)]), Some(TimeMs(2)));
/// assert_eq!(median_time(&[TimeMs(3), TimeMs::INF, TimeMs::INF]), None);
/// ```
pub fn median_time(times: &[TimeMs]) -> Option<TimeMs> {
    if times.is_empty() {
        return None;
    }
    let mut v: Vec<u32> = times.iter().map(|t| t.0).collect();
    let mid = (v.len() - 1) / 2;
    let (_, m, _) = v.select_nth_unstable(mid);
    (*m != TimeMs::INF.0).then_some(TimeMs(*m))
}

/// `part / whole`, or 0 for an empty whole.
pub fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

/// Minutes rounded *up* to 0.01, so that a printed value at or under a
/// threshold on the 0.01-minute grid means the exact time is too.
///
/// ```
/// use lifecircle::coverage::stats::minutes_ceil_2dp;
/// use lifecircle::ids::TimeMs;
/// assert_eq!(minutes_ceil_2dp(TimeMs(900_000)), 15.0);
/// assert_eq!(minutes_ceil_2dp(TimeMs(900_001)), 15.01);
/// ```
pub fn minutes_ceil_2dp(t: TimeMs) -> f64 {
    // 0.01 minute is 600 ms; integer ceiling avoids float noise.
    let hundredths = t.0.div_ceil(600);
    hundredths as f64 / 100.0
}

/// Rounds to `decimals` decimals (the precision outputs carry).
#[inline]
pub fn round_to(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}
