//! A row of statistics per district, from an analysis and the district of
//! every home and facility, through the district's [`LevelSums`].
//! `O(H · C · log T)` for `H` homes, `C` categories and `T` distinct times.

use super::DistrictRow;
use super::sources::DistrictSet;
use super::sums::LevelSums;
use crate::ids::TimeMs;

/// What the district statistics read from a run (see `Analysis::coverage_view`).
#[derive(Debug, Clone, Copy)]
pub struct CoverageView<'a> {
    /// Category keys, in taxonomy order.
    pub keys: &'a [String],
    /// Per category, its thresholds ascending with their labels (the last is the main one).
    pub thresholds: &'a [Vec<(String, TimeMs)>],
    /// The run's main threshold in minutes (F15's bound).
    pub main_minutes: f64,
    /// Each home's population.
    pub population: &'a [f64],
    /// `nearest[c][h]`: home `h`'s time to the nearest facility of category `c`.
    pub nearest: &'a [Vec<TimeMs>],
    /// Per category, the indices of its facilities.
    pub facility_index: &'a [Vec<usize>],
}

/// The row name of homes in no district.
///
/// (Population sums below fold from `0.0`: `f64::sum` starts from `-0.0`, which would print as `-0`.)
pub const OUTSIDE: &str = "(outside)";

/// The rows: one per district in input order, then `(outside)` when some homes are in none.
///
/// `home_district[h]` and `facility_district[f]` give each home's and
/// facility's district; `k_mean_min[c][h]` is home `h`'s mean minutes to the
/// `k` nearest facilities of category `c` (infinite when fewer than `k` can
/// be reached). The rows are made from the homes' [`LevelSums`], as a tiled
/// run's merged sums make them.
pub fn district_rows(
    a: &CoverageView<'_>,
    set: &DistrictSet,
    home_district: &[Option<usize>],
    facility_district: &[Option<usize>],
    k_mean_min: &[Vec<f64>],
) -> Vec<DistrictRow> {
    let n = set.districts.len();
    let homes: Vec<usize> = (0..home_district.len()).collect();
    let sums = LevelSums::of_homes(a, home_district, n, k_mean_min, &homes);
    let names: Vec<String> = set.districts.iter().map(|d| d.key.clone()).collect();
    sums.rows(a, &names, &facilities_per_district(a.facility_index, facility_district, n))
}

/// `[c][d]`: facilities of category `c` (`facility_index[c]`: their indices)
/// in district `d` of `n` (index `n`: in none).
pub fn facilities_per_district(
    facility_index: &[Vec<usize>],
    facility_district: &[Option<usize>],
    n: usize,
) -> Vec<Vec<usize>> {
    facility_index
        .iter()
        .map(|idx| {
            let mut per = vec![0usize; n + 1];
            idx.iter().for_each(|&f| per[facility_district[f].unwrap_or(n)] += 1);
            per
        })
        .collect()
}

/// The column names of `districts.csv` (and property names of `districts.geojson`), in order.
pub fn columns(rows: &[DistrictRow]) -> Vec<String> {
    let mut cols = vec!["district".to_string(), "homes".into(), "population".into()];
    if let Some(first) = rows.first() {
        for c in &first.categories {
            let k = &c.key;
            for m in ["facilities", "share", "share_population", "median_min", "mean_min", "p90_min", "gini"] {
                cols.push(format!("{k}_{m}"));
            }
            if c.shares_by_threshold.len() > 1 {
                for (label, _, _) in &c.shares_by_threshold {
                    cols.push(format!("{k}_share_{label}"));
                    cols.push(format!("{k}_share_population_{label}"));
                }
            }
        }
    }
    for m in ["complete_share", "complete_share_population", "mean_k_nearest_min", "f15_share_population"] {
        cols.push(m.to_string());
    }
    cols
}

/// One cell of a row: a JSON value (string for the key, numbers, or null).
pub fn values(row: &DistrictRow) -> Vec<serde_json::Value> {
    use serde_json::{Value, json};
    let num = |v: f64, d: i32| {
        let f = 10f64.powi(d);
        serde_json::Number::from_f64((v * f).round() / f).map_or(Value::Null, Value::Number)
    };
    let opt = |v: Option<f64>, d: i32| v.map_or(Value::Null, |v| num(v, d));
    let mut out = vec![json!(row.key), json!(row.homes), num(row.population, 3)];
    for c in &row.categories {
        out.extend([
            json!(c.facilities),
            num(c.share, 6),
            num(c.share_population, 6),
            opt(c.median_min, 2),
            opt(c.mean_min, 2),
            opt(c.p90_min, 2),
            opt(c.gini, 6),
        ]);
        if c.shares_by_threshold.len() > 1 {
            for (_, s, p) in &c.shares_by_threshold {
                out.extend([num(*s, 6), num(*p, 6)]);
            }
        }
    }
    out.extend([
        num(row.complete_share, 6),
        num(row.complete_share_population, 6),
        opt(row.mean_k_nearest_min, 2),
        num(row.f15_share_population, 6),
    ]);
    out
}

/// A CSV field, quoted when it holds a comma, quote or line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// `districts.csv`: a header, then one line per row, in row order.
pub fn to_csv(rows: &[DistrictRow]) -> String {
    let mut out = columns(rows).join(",");
    out.push('\n');
    for row in rows {
        let cells: Vec<String> = values(row)
            .into_iter()
            .map(|v| match v {
                serde_json::Value::String(s) => csv_field(&s),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// `districts.md`: the districts sorted by completeness (then name), and the target checks.
pub fn to_markdown(rows: &[DistrictRow], results: &[super::targets::RuleResult]) -> String {
    let mut s = String::from("# Districts\n\n");
    level_markdown(&mut s, rows, results, &[], "##");
    s
}

/// One level of districts for [`to_markdown_levels`].
#[derive(Debug, Clone, Copy)]
pub struct MarkdownLevel<'a> {
    /// The level's heading (`community level (社区(村))`); unused when it is the only level.
    pub title: &'a str,
    /// Its rows.
    pub rows: &'a [DistrictRow],
    /// Its target checks.
    pub results: &'a [super::targets::RuleResult],
    /// Its per-unit shares.
    pub units: &'a [super::units::UnitShares],
}

/// `districts.md` for one or more levels (coarse to fine): per level the
/// districts sorted by completeness, the share of units served per category,
/// the target checks, and the units that fail each rule, by name.
pub fn to_markdown_levels(levels: &[MarkdownLevel<'_>]) -> String {
    let mut s = String::from("# Districts\n\n");
    if let [one] = levels {
        level_markdown(&mut s, one.rows, one.results, one.units, "##");
        return s;
    }
    for (i, l) in levels.iter().enumerate() {
        use std::fmt::Write;
        let _ = writeln!(s, "{}## {}\n", if i == 0 { "" } else { "\n" }, l.title);
        level_markdown(&mut s, l.rows, l.results, l.units, "###");
    }
    s
}

fn level_markdown(
    s: &mut String,
    rows: &[DistrictRow],
    results: &[super::targets::RuleResult],
    units: &[super::units::UnitShares],
    h: &str,
) {
    use std::fmt::Write;
    let mut order: Vec<&DistrictRow> = rows.iter().collect();
    order.sort_by(|a, b| b.complete_share.total_cmp(&a.complete_share).then(a.key.cmp(&b.key)));
    let cats: Vec<&str> =
        rows.first().map(|r| r.categories.iter().map(|c| c.key.as_str()).collect()).unwrap_or_default();
    let _ = write!(s, "| district | homes | population |");
    for c in &cats {
        let _ = write!(s, " {c} % | {c} median min |");
    }
    let _ = writeln!(s, " complete % | F15 % |");
    let _ = writeln!(s, "|---|---:|---:|{}---:|---:|", "---:|---:|".repeat(cats.len()));
    let pct = |v: f64| format!("{:.1}", v * 100.0);
    for r in order {
        let _ = write!(s, "| {} | {} | {:.0} |", r.key.replace('|', "\\|"), r.homes, r.population);
        for c in &r.categories {
            let med = c.median_min.map_or("–".to_string(), |m| format!("{m:.1}"));
            let _ = write!(s, " {} | {med} |", pct(c.share));
        }
        let _ = writeln!(s, " {} | {} |", pct(r.complete_share), pct(r.f15_share_population));
    }
    if !units.is_empty() {
        let _ = writeln!(s, "\n{h} Units served\n");
        let _ = writeln!(
            s,
            "| category | units | with a facility | % | with homes | median walk within | % | homes within % |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|");
        for u in units {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                u.key,
                u.units,
                u.units_with_facility,
                pct(u.share_units_with_facility),
                u.units_with_homes,
                u.units_median_within,
                pct(u.share_units_median_within),
                pct(u.share_homes)
            );
        }
    }
    if !results.is_empty() {
        let _ = writeln!(s, "\n{h} Policy targets\n");
        let _ = writeln!(
            s,
            "| rule | district | actual | target | pass | margin | homes short | people short | units short | facilities short |"
        );
        let _ = writeln!(s, "|---|---|---:|---:|---|---:|---:|---:|---:|---:|");
        for r in results {
            let _ = writeln!(
                s,
                "| {} | {} | {:.3} | {:.3} | {} | {:+.3} | {} | {:.0} | {} | {} |",
                r.rule_id,
                r.district.replace('|', "\\|"),
                r.actual,
                r.target,
                if r.pass { "yes" } else { "**no**" },
                r.margin,
                r.homes_short,
                r.people_short,
                r.units_short,
                r.facilities_short
            );
        }
        let failures = super::targets::failures_by_rule(results);
        if !failures.is_empty() {
            let _ = writeln!(s, "\n{h} Districts that fail\n");
            for (rule, list) in failures {
                let checked = results.iter().filter(|r| r.rule_id == rule).count();
                let names: Vec<String> = list.iter().map(|r| r.district.replace('|', "\\|")).collect();
                let _ = writeln!(s, "- **{rule}**: {} of {checked} fail: {}", list.len(), names.join(", "));
            }
        }
    }
}
