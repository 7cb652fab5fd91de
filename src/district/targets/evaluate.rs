//! Checking [`Targets`] against district rows: per row (`share`,
//! `population_share`, `facilities`), over a level's units (`units_with_facility`,
//! `units_median_within`) and per unit of the coarser levels, with how far a
//! failing district or level falls short. `O(rules × rows)` per level, plus
//! `O(rules × coarser units × finer units)` for the unit shares per coarser unit.

use serde::Serialize;

use super::{Measure, Metric, Op, Rule, Subject, Targets};
use crate::district::{CategoryStats, DistrictRow, UnitTier};

/// One rule checked in one district.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleResult {
    /// The rule's id.
    pub rule_id: String,
    /// The district's key.
    pub district: String,
    /// The district's share.
    pub actual: f64,
    /// The rule's value.
    pub target: f64,
    /// Whether `actual <op> target` holds.
    pub pass: bool,
    /// `actual − target` for `>=`/`>`, `target − actual` for `<=`/`<`: positive on the passing side.
    pub margin: f64,
    /// For a failing `share` rule with `>=`/`>`: the fewest more homes that would need to be
    /// covered to pass (`⌈target·homes − covered⌉` for `>=`); with `<=`/`<`, the fewest covered
    /// homes too many. 0 when passing and for other rules.
    pub homes_short: usize,
    /// Likewise in people for a failing `population_share` rule (whole people: `⌈target·population
    /// − covered⌉` for `>=`). 0 when passing and for other rules.
    pub people_short: f64,
    /// Likewise in units for a failing unit-share rule (`units_with_facility`,
    /// `units_median_within`). 0 when passing and for other rules.
    pub units_short: usize,
    /// Likewise in facilities for a failing `facilities` rule. 0 when passing and for other rules.
    pub facilities_short: usize,
}

/// The row name of a unit-share rule's result over all of a level's units.
pub const ALL_UNITS: &str = "(all units)";

/// The covered amount, the total and the share a metric reads from a row;
/// `None` if the row lacks the category.
fn reading(metric: &Metric, row: &DistrictRow) -> Option<(f64, f64, f64)> {
    let stats = |key: &str| -> Option<&CategoryStats> { row.categories.iter().find(|c| c.key == key) };
    let homes = row.homes as f64;
    Some(match (&metric.subject, metric.measure) {
        (Subject::Category(key), Measure::Share) => {
            let s = stats(key)?;
            (s.homes_covered as f64, homes, s.share)
        }
        (Subject::Category(key), Measure::PopulationShare) => {
            let s = stats(key)?;
            (s.population_covered, row.population, s.share_population)
        }
        (Subject::Complete, Measure::Share) => ((row.complete_share * homes).round(), homes, row.complete_share),
        (Subject::Complete, Measure::PopulationShare) => {
            (row.complete_share_population * row.population, row.population, row.complete_share_population)
        }
        (Subject::Category(key), Measure::Facilities) => {
            let n = stats(key)?.facilities as f64;
            (n, 1.0, n)
        }
        (Subject::Complete, Measure::Facilities) => {
            let n = row.categories.iter().map(|c| c.facilities).min()? as f64;
            (n, 1.0, n)
        }
        (_, Measure::UnitsWithFacility | Measure::UnitsMedianWithin) => return None,
    })
}

/// The fewest whole units `k` (in `0..=room`) by which `covered` must grow (lower bounds) or
/// shrink (upper bounds) so that `(covered ± k) / total <op> target`; `room` if none suffices.
/// Starts from the closed form and corrects for rounding with the same comparison as the pass test.
fn shortfall(op: Op, covered: f64, total: f64, target: f64) -> u64 {
    let sign = if op.is_lower_bound() { 1.0 } else { -1.0 };
    let room = if op.is_lower_bound() { (total - covered).max(0.0) } else { covered.max(0.0) }.ceil() as u64;
    let passes = |k: u64| op.holds((covered + sign * k as f64) / total, target);
    let estimate = (sign * (target * total - covered)).ceil().max(0.0);
    let mut k = (estimate as u64).min(room);
    while k > 0 && passes(k - 1) {
        k -= 1;
    }
    while k < room && !passes(k) {
        k += 1;
    }
    k
}

/// The fewest whole facilities to add (lower bounds) or remove (upper bounds) so that `count <op> target`.
fn facilities_shortfall(op: Op, count: f64, target: f64) -> u64 {
    let sign = if op.is_lower_bound() { 1.0 } else { -1.0 };
    let mut k = (sign * (target - count)).ceil().max(0.0) as u64;
    while !op.holds(count + sign * k as f64, target) && (op.is_lower_bound() || (k as f64) < count) {
        k += 1;
    }
    k
}

/// A result from what was read and how far short it falls.
fn result(rule: &Rule, district: &str, actual: f64, covered: f64, total: f64) -> RuleResult {
    let pass = rule.op.holds(actual, rule.value);
    let margin = if rule.op.is_lower_bound() { actual - rule.value } else { rule.value - actual };
    let short = match (pass, rule.metric.measure) {
        (true, _) => 0,
        (false, Measure::Facilities) => facilities_shortfall(rule.op, covered, rule.value),
        (false, _) => shortfall(rule.op, covered, total, rule.value),
    };
    let mut r = RuleResult {
        rule_id: rule.id.clone(),
        district: district.to_string(),
        actual,
        target: rule.value,
        pass,
        margin,
        homes_short: 0,
        people_short: 0.0,
        units_short: 0,
        facilities_short: 0,
    };
    match rule.metric.measure {
        Measure::Share => r.homes_short = short as usize,
        Measure::PopulationShare => r.people_short = short as f64,
        Measure::Facilities => r.facilities_short = short as usize,
        Measure::UnitsWithFacility | Measure::UnitsMedianWithin => r.units_short = short as usize,
    }
    r
}

/// Checks the per-row rules (`share`, `population_share`, `facilities`; the
/// unit-share rules need a set of units, see [`evaluate_levels`]) against
/// every row, whatever the rules' `unit`: results are rule-major (file order),
/// then in row order. A row gives no result for a rule when it has nothing to
/// judge: no homes (for `share`), no population (for `population_share`), no
/// such category (rows from another taxonomy), or no area (the `(outside)`
/// row, for `facilities`).
pub fn evaluate(targets: &Targets, rows: &[DistrictRow]) -> Vec<RuleResult> {
    let rules: Vec<&Rule> = targets.rules.iter().filter(|r| !r.metric.measure.is_unit_share()).collect();
    evaluate_rows(&rules, rows)
}

fn evaluate_rows(rules: &[&Rule], rows: &[DistrictRow]) -> Vec<RuleResult> {
    let mut results = Vec::with_capacity(rules.len() * rows.len());
    for rule in rules {
        for row in rows {
            if rule.metric.measure == Measure::Facilities && row.key == crate::district::table::OUTSIDE {
                continue;
            }
            let Some((covered, total, actual)) = reading(&rule.metric, row) else { continue };
            if total.is_nan() || total <= 0.0 {
                continue;
            }
            results.push(result(rule, &row.key, actual, covered, total));
        }
    }
    results
}

/// The result of a unit-share rule over `units` (unit rows), named `district`;
/// `None` when there is no unit to judge (or none with homes, for the median
/// measure) or the rows lack the category.
fn evaluate_units<'a>(
    rule: &Rule,
    district: &str,
    units: impl Iterator<Item = &'a DistrictRow> + Clone,
) -> Option<RuleResult> {
    let key = match &rule.metric.subject {
        Subject::Category(k) => Some(k.as_str()),
        Subject::Complete => None,
    };
    let mut first = units.clone();
    if let (Some(k), Some(row)) = (key, first.next())
        && !row.categories.iter().any(|c| c.key == k)
    {
        return None;
    }
    let median = rule.metric.measure == Measure::UnitsMedianWithin;
    let (counted, total) = crate::district::units::count_units(units, key, median);
    (total > 0).then(|| {
        let (counted, total) = (counted as f64, total as f64);
        result(rule, district, counted / total, counted, total)
    })
}

/// One district level of a run, as [`evaluate_levels`] reads it.
#[derive(Debug, Clone, Copy)]
pub struct LevelRows<'a> {
    /// The level's tier, if it has one.
    pub tier: Option<UnitTier>,
    /// Its rows (the `(outside)` row, if present, is not a unit).
    pub rows: &'a [DistrictRow],
}

/// Checks every rule on the levels it applies to. `levels` go coarse to
/// fine; `parents[c][f][r]` is, for row `r` of level `f`, the row of the
/// coarser level `c < f` holding it (`None` for `(outside)` and units in no
/// coarser unit). Returns one list per level, rule-major (file order):
///
/// - per-row rules (`share`, `population_share`, `facilities`) on the rows of
///   every level whose tier is the rule's `unit` (every level without one),
///   as [`evaluate`];
/// - unit-share rules on the units of the level whose tier is the rule's
///   `unit` (the finest level without one): one result named [`ALL_UNITS`] in
///   that level's list, and in each coarser level's list one result per unit
///   holding any of them, over the units inside it.
pub fn evaluate_levels(
    targets: &Targets,
    levels: &[LevelRows<'_>],
    parents: &[Vec<Vec<Option<usize>>>],
) -> Vec<Vec<RuleResult>> {
    let mut out: Vec<Vec<RuleResult>> = vec![Vec::new(); levels.len()];
    let finest = levels.len().checked_sub(1);
    for rule in &targets.rules {
        let applies = |l: usize| match rule.unit {
            Some(t) => levels[l].tier == Some(t),
            None => !rule.metric.measure.is_unit_share() || Some(l) == finest,
        };
        for f in (0..levels.len()).filter(|&l| applies(l)) {
            let rows = levels[f].rows;
            if !rule.metric.measure.is_unit_share() {
                out[f].extend(evaluate_rows(&[rule], rows));
                continue;
            }
            let all = rows.iter().filter(|r| r.key != crate::district::table::OUTSIDE);
            out[f].extend(evaluate_units(rule, ALL_UNITS, all));
            for c in 0..f {
                let map = &parents[c][f];
                for (p, parent) in levels[c].rows.iter().enumerate() {
                    let inside = rows.iter().enumerate().filter(|(r, _)| map[*r] == Some(p)).map(|(_, row)| row);
                    if inside.clone().next().is_none() {
                        continue;
                    }
                    out[c].extend(evaluate_units(rule, &parent.key, inside));
                }
            }
        }
    }
    out
}

/// A failing district in [`misses_summary`]: `(district, homes short, people short)`.
pub type Miss = (String, usize, f64);

/// The failing districts per rule: `(rule id, [(district, homes short, people short)])`, for the
/// rules with at least one failure, in the order of `results` (rule-major from [`evaluate`]).
pub fn misses_summary(results: &[RuleResult]) -> Vec<(String, Vec<Miss>)> {
    let mut summary: Vec<(String, Vec<Miss>)> = Vec::new();
    for r in results.iter().filter(|r| !r.pass) {
        let miss = (r.district.clone(), r.homes_short, r.people_short);
        match summary.iter_mut().find(|(id, _)| *id == r.rule_id) {
            Some((_, misses)) => misses.push(miss),
            None => summary.push((r.rule_id.clone(), vec![miss])),
        }
    }
    summary
}

/// The failing results per rule, `(rule id, [results])`, for the rules with at
/// least one failure, in the order of `results`.
pub fn failures_by_rule(results: &[RuleResult]) -> Vec<(String, Vec<&RuleResult>)> {
    let mut out: Vec<(String, Vec<&RuleResult>)> = Vec::new();
    for r in results.iter().filter(|r| !r.pass) {
        match out.iter_mut().find(|(id, _)| *id == r.rule_id) {
            Some((_, list)) => list.push(r),
            None => out.push((r.rule_id.clone(), vec![r])),
        }
    }
    out
}
