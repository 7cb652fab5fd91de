//! Tests of [`super`]: rows against the statistics computed from the homes, merges of parts, histogram text.
use super::*;
use crate::coverage::stats::median_time;

use crate::test_rng::SplitMix64 as Rng;

/// The table's statistics computed the obvious way, straight from the homes
/// (the rows' code before the sums): the reference for [`LevelSums::rows`].
fn reference(
    a: &CoverageView<'_>,
    members: &[usize],
    k_mean_min: &[Vec<f64>],
) -> (usize, f64, Vec<CategoryStats>, f64, Option<f64>, f64) {
    let population: f64 = members.iter().map(|&h| a.population[h]).sum();
    let pshare = |p: f64| if population > 0.0 { p / population } else { 0.0 };
    let ncat = a.keys.len();
    let cats = (0..ncat)
        .map(|c| {
            let main = a.thresholds[c].last().unwrap().1;
            let covered: Vec<usize> = members.iter().copied().filter(|&h| a.nearest[c][h] <= main).collect();
            let covered_pop: f64 = covered.iter().map(|&h| a.population[h]).sum();
            let mut times: Vec<TimeMs> = members.iter().map(|&h| a.nearest[c][h]).collect();
            times.sort_unstable();
            let finite: Vec<f64> = times.iter().filter(|t| **t != TimeMs::INF).map(|t| t.minutes()).collect();
            let p90 = (!times.is_empty())
                .then(|| times[((times.len() as f64 * 0.9).ceil() as usize).clamp(1, times.len()) - 1])
                .filter(|t| *t != TimeMs::INF)
                .map(minutes_ceil_2dp);
            CategoryStats {
                key: a.keys[c].clone(),
                facilities: 0,
                homes_covered: covered.len(),
                share: share(covered.len(), members.len()),
                population_covered: covered_pop,
                share_population: pshare(covered_pop),
                shares_by_threshold: a.thresholds[c]
                    .iter()
                    .map(|(label, limit)| {
                        let within: Vec<usize> =
                            members.iter().copied().filter(|&h| a.nearest[c][h] <= *limit).collect();
                        let p: f64 = within.iter().map(|&h| a.population[h]).sum();
                        (label.clone(), share(within.len(), members.len()), pshare(p))
                    })
                    .collect(),
                median_min: median_time(&times).map(minutes_ceil_2dp),
                median_within: median_time(&times).is_some_and(|m| m <= main),
                mean_min: (!finite.is_empty()).then(|| finite.iter().sum::<f64>() / finite.len() as f64),
                p90_min: p90,
                gini: crate::district::gini::gini(&finite),
            }
        })
        .collect();
    let mains: Vec<TimeMs> = a.thresholds.iter().map(|t| t.last().unwrap().1).collect();
    let complete_pop: f64 =
        members.iter().filter(|&&h| (0..ncat).all(|c| a.nearest[c][h] <= mains[c])).map(|&h| a.population[h]).sum();
    let per_home: Vec<f64> =
        members.iter().map(|&h| (0..ncat).map(|c| k_mean_min[c][h]).sum::<f64>() / ncat as f64).collect();
    let finite: Vec<f64> = per_home.iter().copied().filter(|v| v.is_finite()).collect();
    let f15: f64 =
        members.iter().zip(&per_home).filter(|(_, v)| **v <= a.main_minutes).map(|(&h, _)| a.population[h]).sum();
    (
        members.len(),
        population,
        cats,
        pshare(complete_pop),
        (!finite.is_empty()).then(|| finite.iter().sum::<f64>() / finite.len() as f64),
        pshare(f15),
    )
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn close_opt(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => close(a, b),
        (a, b) => a == b,
    }
}

struct Case {
    keys: Vec<String>,
    thresholds: Vec<Vec<(String, TimeMs)>>,
    population: Vec<f64>,
    nearest: Vec<Vec<TimeMs>>,
    k_mean: Vec<Vec<f64>>,
    district: Vec<Option<usize>>,
}

fn case(rng: &mut Rng, homes: usize, districts: usize) -> Case {
    let ncat = 1 + rng.below(3) as usize;
    let nearest: Vec<Vec<TimeMs>> = (0..ncat)
        .map(|_| {
            (0..homes)
                .map(|_| if rng.below(7) == 0 { TimeMs::INF } else { TimeMs(rng.below(1_500_000) as u32) })
                .collect()
        })
        .collect();
    Case {
        keys: (0..ncat).map(|c| format!("cat{c}")).collect(),
        thresholds: (0..ncat)
            .map(|_| vec![("5min".into(), TimeMs(300_000)), ("15min".into(), TimeMs(900_000))])
            .collect(),
        population: (0..homes).map(|_| rng.below(1000) as f64 / 7.0).collect(),
        k_mean: nearest
            .iter()
            .map(|n| n.iter().map(|t| if *t == TimeMs::INF { f64::INFINITY } else { t.minutes() * 1.3 }).collect())
            .collect(),
        nearest,
        district: (0..homes)
            .map(|_| {
                let d = rng.below(districts as u64 + 1) as usize;
                (d < districts).then_some(d)
            })
            .collect(),
    }
}

fn view(c: &Case) -> CoverageView<'_> {
    CoverageView {
        keys: &c.keys,
        thresholds: &c.thresholds,
        main_minutes: 15.0,
        population: &c.population,
        nearest: &c.nearest,
        facility_index: &[],
    }
}

#[test]
fn rows_agree_with_the_statistics_computed_from_the_homes() {
    let mut rng = Rng(0x5eed_d157);
    for round in 0..200 {
        let (homes, districts) = (rng.below(60) as usize, 1 + rng.below(4) as usize);
        let c = case(&mut rng, homes, districts);
        let v = view(&c);
        let all: Vec<usize> = (0..homes).collect();
        let names: Vec<String> = (0..districts).map(|d| format!("d{d}")).collect();
        let rows = LevelSums::of_homes(&v, &c.district, districts, &c.k_mean, &all).rows(&v, &names, &[]);
        let outside = c.district.iter().any(Option::is_none);
        assert_eq!(rows.len(), districts + usize::from(outside), "round {round}");
        for (d, row) in rows.iter().enumerate() {
            let members: Vec<usize> =
                all.iter().copied().filter(|&h| c.district[h].unwrap_or(districts) == d).collect();
            let (n, pop, cats, complete, k_mean, f15) = reference(&v, &members, &c.k_mean);
            assert_eq!(row.homes, n, "round {round}");
            assert!(close(row.population, pop) && close(row.complete_share_population, complete));
            assert!(close_opt(row.mean_k_nearest_min, k_mean) && close(row.f15_share_population, f15));
            for (got, want) in row.categories.iter().zip(&cats) {
                assert_eq!(
                    (got.homes_covered, got.median_min, got.median_within, got.p90_min),
                    (want.homes_covered, want.median_min, want.median_within, want.p90_min),
                    "round {round}"
                );
                assert!(close(got.share, want.share) && close(got.share_population, want.share_population));
                assert!(close_opt(got.mean_min, want.mean_min), "{:?} {:?}", got.mean_min, want.mean_min);
                assert!(close_opt(got.gini, want.gini), "{:?} {:?}", got.gini, want.gini);
                for (g, w) in got.shares_by_threshold.iter().zip(&want.shares_by_threshold) {
                    assert!(g.0 == w.0 && close(g.1, w.1) && close(g.2, w.2));
                }
            }
        }
    }
}

#[test]
fn histograms_read_back_from_their_text() {
    let mut rng = Rng(0x4157);
    for _ in 0..200 {
        let mut pairs = Vec::new();
        let mut k = rng.below(3);
        for _ in 0..rng.below(20) {
            pairs.push([k, 1 + rng.below(3) * rng.below(5)]);
            k += 1 + rng.below(1000);
        }
        if rng.below(4) == 0 {
            pairs.push([u64::from(TimeMs::INF.0), 1 + rng.below(9)]);
        }
        let text = histogram_text::to_text(&pairs);
        assert_eq!(histogram_text::from_text(&text), Some(pairs.clone()), "{text}");
        let json = serde_json::to_string(&CategorySums { within: Vec::new(), times_ms: pairs.clone() }).unwrap();
        assert_eq!(serde_json::from_str::<CategorySums>(&json).unwrap().times_ms, pairs);
    }
    assert_eq!(histogram_text::to_text(&[[5, 1], [7, 3], [100, 1]]), "5 2*3 93");
    for bad in ["5 0", "1*0", "x", "3 -1", "18446744073709551615 1"] {
        assert_eq!(histogram_text::from_text(bad), None, "{bad}");
    }
}

#[test]
fn sums_of_parts_merged_equal_the_sums_of_the_whole() {
    let mut rng = Rng(0x7115_5eed);
    for round in 0..200 {
        let (homes, districts) = (rng.below(80) as usize, 1 + rng.below(5) as usize);
        let c = case(&mut rng, homes, districts);
        let v = view(&c);
        let all: Vec<usize> = (0..homes).collect();
        let whole = LevelSums::of_homes(&v, &c.district, districts, &c.k_mean, &all);
        let parts = 1 + rng.below(4) as usize;
        let mut members = vec![Vec::new(); parts];
        for h in 0..homes {
            members[rng.below(parts as u64) as usize].push(h);
        }
        let mut merged = LevelSums::default();
        for m in members.iter().rev() {
            merged.merge(&LevelSums::of_homes(&v, &c.district, districts, &c.k_mean, m));
        }
        // Bit patterns of the exact sums may differ; their values, the histograms and counts may not.
        let names: Vec<String> = (0..districts).map(|d| format!("d{d}")).collect();
        assert_eq!(merged.rows(&v, &names, &[]), whole.rows(&v, &names, &[]), "round {round}");
        for (a, b) in merged.groups.iter().zip(&whole.groups) {
            assert_eq!((a.key, a.homes, a.k_homes), (b.key, b.homes, b.k_homes));
            for (x, y) in a.categories.iter().zip(&b.categories) {
                assert_eq!(x.times_ms, y.times_ms);
            }
        }
        assert_eq!(whole.rekeyed(|k| k).rows(&v, &names, &[]), whole.rows(&v, &names, &[]));
    }
}
