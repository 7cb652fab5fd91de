//! Mergeable district statistics: per district, the counts, exact
//! population sums and walking-time histograms its row is computed from.
//!
//! A row of [`crate::district::table`] (shares, median, mean, p90, Gini,
//! F15, ...) is a function of these sums alone, so the rows of a run cut
//! into parts (the tiles of `lifecircle prepare`, each answering its own
//! homes) are the rows of the whole run bit for bit: each part adds its
//! homes into [`LevelSums`], the parts are [`LevelSums::merge`]d, and
//! [`LevelSums::rows`] makes the rows, the same function the whole run uses.
//! Nothing is ever averaged: counts add, population sums are exact
//! ([`ExactSum`]), times are kept as whole-millisecond histograms (medians,
//! percentiles, means and the Gini coefficient are exact functions of them).
//!
//! Complexity: [`LevelSums::of_homes`] is `O(H · C · log T)` for `H` homes,
//! `C` categories and `T` distinct times; [`LevelSums::merge`] is linear in
//! the two histograms; [`LevelSums::rows`] linear in the sums.
//!
//! ```
//! use lifecircle::district::sums::LevelSums;
//! use lifecircle::district::table::CoverageView;
//! use lifecircle::ids::TimeMs;
//!
//! let keys = vec!["grocery".to_string()];
//! let thresholds = vec![vec![("15min".to_string(), TimeMs(900_000))]];
//! let nearest = vec![vec![TimeMs(60_000), TimeMs(1_200_000), TimeMs(300_000)]];
//! let population = vec![2.0, 1.0, 1.0];
//! let view = CoverageView {
//!     keys: &keys,
//!     thresholds: &thresholds,
//!     main_minutes: 15.0,
//!     population: &population,
//!     nearest: &nearest,
//!     facility_index: &[],
//! };
//! let k_mean = vec![vec![1.0, 20.0, 5.0]];
//! // Homes 0 and 1 in district 0, home 2 in none (`(outside)`, key 1).
//! let district = [Some(0), Some(0), None];
//! let whole = LevelSums::of_homes(&view, &district, 1, &k_mean, &[0, 1, 2]);
//! // The same homes added in two parts, merged.
//! let mut part = LevelSums::of_homes(&view, &district, 1, &k_mean, &[2, 1]);
//! part.merge(&LevelSums::of_homes(&view, &district, 1, &k_mean, &[0]));
//! assert_eq!(part, whole);
//! let rows = whole.rows(&view, &["A".to_string()], &[vec![3, 0]]);
//! assert_eq!((rows[0].homes, rows[0].categories[0].homes_covered), (2, 1));
//! assert_eq!(rows[0].categories[0].share_population, 2.0 / 3.0);
//! assert_eq!(rows[1].key, "(outside)");
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::table::{CoverageView, OUTSIDE};
use super::{CategoryStats, DistrictRow};
use crate::coverage::stats::{ExactSum, minutes_ceil_2dp, share};
use crate::ids::TimeMs;

/// The sums of one level of districts: a group per district holding homes,
/// ascending by key (a district's index; the set's length for `(outside)`;
/// for H3 cells in a tile's summary, the cell's index).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LevelSums {
    /// The groups, ascending by key, each key once.
    pub groups: Vec<GroupSums>,
}

/// The sums of one district's homes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupSums {
    /// The district's key (see [`LevelSums`]).
    pub key: u64,
    /// Homes.
    pub homes: u64,
    /// Their population, an exact sum ([`ExactSum::to_bits`]).
    pub population: Vec<u64>,
    /// Homes within the main threshold of every category.
    pub complete_homes: u64,
    /// Their population (exact sum).
    pub complete_population: Vec<u64>,
    /// Homes whose mean over categories of the mean minutes to the `k` nearest is finite.
    pub k_homes: u64,
    /// The sum of those means (exact sum).
    pub k_sum_min: Vec<u64>,
    /// Population of the homes whose mean is within the main threshold (F15, exact sum).
    pub f15_population: Vec<u64>,
    /// Per category, in taxonomy order.
    pub categories: Vec<CategorySums>,
}

/// One category's sums in a district.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CategorySums {
    /// Per threshold of the category (ascending): homes within it and their population (exact sum).
    pub within: Vec<(u64, Vec<u64>)>,
    /// Histogram of the homes' times to the nearest facility: `[ms, homes]`,
    /// ascending; unreachable homes under `u32::MAX` ([`TimeMs::INF`]).
    /// Serialised as text ([`histogram_text`]): a tile's summary carries one
    /// entry per distinct time, so the form is kept short.
    #[serde(with = "histogram_text")]
    pub times_ms: Vec<[u64; 2]>,
}

/// A histogram `[[key, count], ...]` (keys ascending, counts >= 1) as text:
/// per entry the key's difference from the previous key (the first from 0),
/// followed by `*count` when the count is not 1, entries separated by
/// spaces: `[[5, 1], [7, 3], [100, 1]]` is `"5 2*3 93"`. A third of the
/// bytes of the JSON arrays, a tenth of them pretty-printed.
pub mod histogram_text {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    /// The text of `pairs`.
    pub fn to_text(pairs: &[[u64; 2]]) -> String {
        use std::fmt::Write;
        let mut out = String::with_capacity(pairs.len() * 6);
        let mut prev = 0u64;
        for (i, [k, n]) in pairs.iter().enumerate() {
            let sep = if i == 0 { "" } else { " " };
            let _ = write!(out, "{sep}{}", k - prev);
            if *n != 1 {
                let _ = write!(out, "*{n}");
            }
            prev = *k;
        }
        out
    }

    /// The pairs of a text of [`to_text`]; `None` when it is not one
    /// (keys must ascend strictly after the first, counts be at least 1).
    pub fn from_text(text: &str) -> Option<Vec<[u64; 2]>> {
        let mut pairs = Vec::new();
        let mut key = 0u64;
        for (i, token) in text.split_ascii_whitespace().enumerate() {
            let (delta, count) = match token.split_once('*') {
                Some((d, c)) => (d.parse::<u64>().ok()?, c.parse::<u64>().ok()?),
                None => (token.parse::<u64>().ok()?, 1),
            };
            if count == 0 || (i > 0 && delta == 0) {
                return None;
            }
            key = key.checked_add(delta)?;
            pairs.push([key, count]);
        }
        Some(pairs)
    }

    /// Serde: as [`to_text`].
    pub fn serialize<S: Serializer>(pairs: &[[u64; 2]], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_text(pairs))
    }

    /// Serde: as [`from_text`].
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<[u64; 2]>, D::Error> {
        let text = String::deserialize(d)?;
        from_text(&text).ok_or_else(|| D::Error::custom("not a histogram (ascending \"delta*count\" entries)"))
    }
}

/// A group being added up.
#[derive(Default)]
struct Acc {
    homes: u64,
    population: ExactSum,
    complete_homes: u64,
    complete_population: ExactSum,
    k_homes: u64,
    k_sum_min: ExactSum,
    f15_population: ExactSum,
    within: Vec<Vec<(u64, ExactSum)>>,
    times: Vec<BTreeMap<u64, u64>>,
}

impl Acc {
    fn new(thresholds: &[Vec<(String, TimeMs)>]) -> Acc {
        Acc {
            within: thresholds.iter().map(|t| t.iter().map(|_| (0, ExactSum::default())).collect()).collect(),
            times: vec![BTreeMap::new(); thresholds.len()],
            ..Acc::default()
        }
    }

    fn from_sums(g: &GroupSums) -> Acc {
        Acc {
            homes: g.homes,
            population: ExactSum::from_bits(&g.population),
            complete_homes: g.complete_homes,
            complete_population: ExactSum::from_bits(&g.complete_population),
            k_homes: g.k_homes,
            k_sum_min: ExactSum::from_bits(&g.k_sum_min),
            f15_population: ExactSum::from_bits(&g.f15_population),
            within: g
                .categories
                .iter()
                .map(|c| c.within.iter().map(|(n, p)| (*n, ExactSum::from_bits(p))).collect())
                .collect(),
            times: g.categories.iter().map(|c| c.times_ms.iter().map(|[k, n]| (*k, *n)).collect()).collect(),
        }
    }

    fn merge(&mut self, o: &Acc) {
        self.homes += o.homes;
        self.population.merge(&o.population);
        self.complete_homes += o.complete_homes;
        self.complete_population.merge(&o.complete_population);
        self.k_homes += o.k_homes;
        self.k_sum_min.merge(&o.k_sum_min);
        self.f15_population.merge(&o.f15_population);
        for (mine, theirs) in self.within.iter_mut().zip(&o.within) {
            for ((n, p), (on, op)) in mine.iter_mut().zip(theirs) {
                *n += on;
                p.merge(op);
            }
        }
        for (mine, theirs) in self.times.iter_mut().zip(&o.times) {
            for (k, n) in theirs {
                *mine.entry(*k).or_insert(0) += n;
            }
        }
    }

    fn into_sums(self, key: u64) -> GroupSums {
        GroupSums {
            key,
            homes: self.homes,
            population: self.population.to_bits(),
            complete_homes: self.complete_homes,
            complete_population: self.complete_population.to_bits(),
            k_homes: self.k_homes,
            k_sum_min: self.k_sum_min.to_bits(),
            f15_population: self.f15_population.to_bits(),
            categories: self
                .within
                .into_iter()
                .zip(self.times)
                .map(|(within, times)| CategorySums {
                    within: within.into_iter().map(|(n, p)| (n, p.to_bits())).collect(),
                    times_ms: times.into_iter().map(|(k, n)| [k, n]).collect(),
                })
                .collect(),
        }
    }
}

impl LevelSums {
    /// The sums of `homes` (indices into the view's homes), each in the group
    /// of `district[h]` (`None`: the `(outside)` group, key `n_districts`).
    /// `k_mean_min[c][h]`: home `h`'s mean minutes to the `k` nearest
    /// facilities of category `c` (infinite when fewer can be reached).
    pub fn of_homes(
        view: &CoverageView<'_>,
        district: &[Option<usize>],
        n_districts: usize,
        k_mean_min: &[Vec<f64>],
        homes: &[usize],
    ) -> LevelSums {
        let ncat = view.keys.len();
        let mains: Vec<TimeMs> = view.thresholds.iter().map(|t| t.last().expect("a threshold").1).collect();
        let mut groups: BTreeMap<u64, Acc> = BTreeMap::new();
        for &h in homes {
            let key = district[h].unwrap_or(n_districts) as u64;
            let g = groups.entry(key).or_insert_with(|| Acc::new(view.thresholds));
            let pop = view.population[h];
            g.homes += 1;
            g.population.add(pop);
            if (0..ncat).all(|c| view.nearest[c][h] <= mains[c]) {
                g.complete_homes += 1;
                g.complete_population.add(pop);
            }
            // The mean over categories of the mean to the k nearest, as the table always computed it.
            let k_mean = (0..ncat).map(|c| k_mean_min[c][h]).sum::<f64>() / ncat as f64;
            if k_mean.is_finite() {
                g.k_homes += 1;
                g.k_sum_min.add(k_mean);
            }
            if k_mean <= view.main_minutes {
                g.f15_population.add(pop);
            }
            for c in 0..ncat {
                let t = view.nearest[c][h];
                for ((_, limit), (n, p)) in view.thresholds[c].iter().zip(&mut g.within[c]) {
                    if t <= *limit {
                        *n += 1;
                        p.add(pop);
                    }
                }
                *g.times[c].entry(u64::from(t.0)).or_insert(0) += 1;
            }
        }
        LevelSums { groups: groups.into_iter().map(|(k, acc)| acc.into_sums(k)).collect() }
    }

    /// Adds `other`'s homes (another part of the same run, the same
    /// categories and thresholds) into these sums.
    pub fn merge(&mut self, other: &LevelSums) {
        *self = LevelSums::merged([&*self, other]);
    }

    /// The sums of every part added up at once: each group converted and
    /// added once, so merging `T` tiles is linear in their sums (merging them
    /// one by one would convert the growing total `T` times).
    pub fn merged<'a>(parts: impl IntoIterator<Item = &'a LevelSums>) -> LevelSums {
        LevelSums::merged_by(parts, |k| k)
    }

    /// The groups with their keys mapped by `f` (e.g. H3 cells to their
    /// index in the merged grid); groups mapped to the same key are merged.
    pub fn rekeyed(&self, f: impl Fn(u64) -> u64) -> LevelSums {
        LevelSums::merged_by([self], f)
    }

    /// [`LevelSums::merged`] with every key mapped by `f`.
    fn merged_by<'a>(parts: impl IntoIterator<Item = &'a LevelSums>, f: impl Fn(u64) -> u64) -> LevelSums {
        let mut all: BTreeMap<u64, Acc> = BTreeMap::new();
        for g in parts.into_iter().flat_map(|p| &p.groups) {
            let theirs = Acc::from_sums(g);
            match all.entry(f(g.key)) {
                std::collections::btree_map::Entry::Occupied(mut mine) => mine.get_mut().merge(&theirs),
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(theirs);
                }
            }
        }
        LevelSums { groups: all.into_iter().map(|(k, acc)| acc.into_sums(k)).collect() }
    }

    /// The rows: one per district of `names` (by index, in order, homes or
    /// not), then `(outside)` when it has homes (key `names.len()`).
    /// `facilities[c][d]`: facilities of category `c` in district `d`
    /// (index `names.len()`: in none). `view` gives the categories'
    /// keys, thresholds and main minutes (its per-home fields are not read).
    pub fn rows(&self, view: &CoverageView<'_>, names: &[String], facilities: &[Vec<usize>]) -> Vec<DistrictRow> {
        let n = names.len();
        let by_key: BTreeMap<u64, &GroupSums> = self.groups.iter().map(|g| (g.key, g)).collect();
        let empty = GroupSums {
            categories: view
                .thresholds
                .iter()
                .map(|t| CategorySums { within: t.iter().map(|_| (0, Vec::new())).collect(), times_ms: Vec::new() })
                .collect(),
            ..GroupSums::default()
        };
        (0..=n)
            .filter_map(|d| {
                let g = by_key.get(&(d as u64)).copied();
                if d == n && g.is_none() {
                    return None;
                }
                let key = names.get(d).cloned().unwrap_or_else(|| OUTSIDE.to_string());
                let fac = |c: usize| facilities.get(c).and_then(|f| f.get(d)).copied().unwrap_or(0);
                Some(row(view, key, g.unwrap_or(&empty), fac))
            })
            .collect()
    }
}

/// A district's row from its sums.
fn row(view: &CoverageView<'_>, key: String, g: &GroupSums, facilities: impl Fn(usize) -> usize) -> DistrictRow {
    let homes = g.homes as usize;
    let population = ExactSum::from_bits(&g.population).value();
    let pshare = |p: f64| if population > 0.0 { p / population } else { 0.0 };
    let categories = g
        .categories
        .iter()
        .enumerate()
        .map(|(c, cs)| category_row(view, c, cs, homes, population, facilities(c)))
        .collect();
    let k_sum = ExactSum::from_bits(&g.k_sum_min).value();
    DistrictRow {
        key,
        homes,
        population,
        categories,
        complete_share: share(g.complete_homes as usize, homes),
        complete_share_population: pshare(ExactSum::from_bits(&g.complete_population).value()),
        mean_k_nearest_min: (g.k_homes > 0).then(|| k_sum / g.k_homes as f64),
        f15_share_population: pshare(ExactSum::from_bits(&g.f15_population).value()),
    }
}

/// The `rank`-th (0-based) time of a histogram, `None` past its end.
fn nth_time(times: &[[u64; 2]], rank: u64) -> Option<TimeMs> {
    let mut seen = 0u64;
    for [k, n] in times {
        seen += n;
        if seen > rank {
            return Some(TimeMs(*k as u32));
        }
    }
    None
}

fn category_row(
    view: &CoverageView<'_>,
    c: usize,
    cs: &CategorySums,
    homes: usize,
    population: f64,
    facilities: usize,
) -> CategoryStats {
    let pshare = |p: f64| if population > 0.0 { p / population } else { 0.0 };
    let thresholds = &view.thresholds[c];
    let main = thresholds.last().expect("a threshold").1;
    let (covered, covered_pop) =
        cs.within.last().map_or((0, 0.0), |(n, p)| (*n as usize, ExactSum::from_bits(p).value()));
    let shares_by_threshold = thresholds
        .iter()
        .zip(&cs.within)
        .map(|((label, _), (n, p))| (label.clone(), share(*n as usize, homes), pshare(ExactSum::from_bits(p).value())))
        .collect();
    let n = homes as u64;
    // Lower median and nearest-rank p90 over every home, the unreachable last (then: none).
    let at = |rank: u64| nth_time(&cs.times_ms, rank).filter(|t| *t != TimeMs::INF);
    let median = (n > 0).then(|| at((n - 1) / 2)).flatten();
    let p90 = (n > 0).then(|| at(((homes as f64 * 0.9).ceil() as u64).clamp(1, n) - 1)).flatten();
    let finite: Vec<(u64, u64)> =
        cs.times_ms.iter().filter(|[k, _]| *k != u64::from(TimeMs::INF.0)).map(|[k, c]| (*k, *c)).collect();
    let (count, sum_ms) =
        finite.iter().fold((0u64, 0u128), |(n, s), (k, c)| (n + c, s + u128::from(*k) * u128::from(*c)));
    CategoryStats {
        key: view.keys[c].clone(),
        facilities,
        homes_covered: covered,
        share: share(covered, homes),
        population_covered: covered_pop,
        share_population: pshare(covered_pop),
        shares_by_threshold,
        median_min: median.map(minutes_ceil_2dp),
        median_within: median.is_some_and(|m| m <= main),
        mean_min: (count > 0).then(|| sum_ms as f64 / count as f64 / 60_000.0),
        p90_min: p90.map(minutes_ceil_2dp),
        gini: super::gini::gini_of_counts(&finite),
    }
}

#[cfg(test)]
#[path = "sums_tests.rs"]
mod tests;
