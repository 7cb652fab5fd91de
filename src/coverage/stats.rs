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

/// An exact running sum of floats (Shewchuk's non-overlapping partials, as
/// Python's `math.fsum`): [`ExactSum::value`] is the correctly rounded sum
/// whatever the order of the additions, so sums of parts (tiles) merged with
/// [`ExactSum::merge`] equal the sum of the whole bit for bit.
///
/// ```
/// use lifecircle::coverage::stats::ExactSum;
/// let xs = [0.1, 1e16, 0.2, -1e16, 0.3];
/// let mut all = ExactSum::default();
/// xs.iter().for_each(|&x| all.add(x));
/// let (mut a, mut b) = (ExactSum::default(), ExactSum::default());
/// xs[..2].iter().for_each(|&x| a.add(x));
/// xs[2..].iter().for_each(|&x| b.add(x));
/// a.merge(&b);
/// assert_eq!(all.value(), 0.6); // the exact sum, rounded once (Python's math.fsum agrees)
/// assert_eq!(xs.iter().sum::<f64>(), 0.3); // a plain sum loses 0.1 and 0.2 beside 1e16
/// assert_eq!(a.value(), all.value());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExactSum {
    partials: Vec<f64>,
}

impl ExactSum {
    /// Adds `x` (finite) exactly.
    pub fn add(&mut self, mut x: f64) {
        let mut i = 0;
        for k in 0..self.partials.len() {
            let mut y = self.partials[k];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                self.partials[i] = lo;
                i += 1;
            }
            x = hi;
        }
        self.partials.truncate(i);
        self.partials.push(x);
    }

    /// Adds another exact sum.
    pub fn merge(&mut self, other: &ExactSum) {
        other.partials.iter().for_each(|&p| self.add(p));
    }

    /// The sum, correctly rounded (half to even).
    pub fn value(&self) -> f64 {
        let p = &self.partials;
        let mut n = p.len();
        if n == 0 {
            return 0.0;
        }
        n -= 1;
        let mut hi = p[n];
        let mut lo = 0.0;
        while n > 0 {
            let x = hi;
            n -= 1;
            let y = p[n];
            hi = x + y;
            lo = y - (hi - x);
            if lo != 0.0 {
                break;
            }
        }
        // Half-way cases: the rest of the partials decide the direction.
        if n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0)) {
            let y = lo * 2.0;
            let x = hi + y;
            if y == x - hi {
                hi = x;
            }
        }
        hi
    }

    /// The partials as bit patterns (exact in JSON).
    pub fn to_bits(&self) -> Vec<u64> {
        self.partials.iter().map(|p| p.to_bits()).collect()
    }

    /// The sum of partials given as bit patterns ([`ExactSum::to_bits`]).
    pub fn from_bits(bits: &[u64]) -> ExactSum {
        let mut s = ExactSum::default();
        bits.iter().for_each(|&b| s.add(f64::from_bits(b)));
        s
    }
}
