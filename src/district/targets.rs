//! Policy targets as data (`data/targets/*.toml`) and their evaluation per
//! district.
//!
//! A target file lists rules such as "the share of homes within reach of
//! childcare is at least 0.60", each citing the policy sentence it encodes:
//!
//! ```toml
//! version = 1
//! name = "tianjin-2025"
//! description = "..."
//!
//! [[rule]]
//! id = "T10-homes"
//! metric = "childcare share"          # <category key | complete> <measure>
//! op = ">="                           # >=, >, <=, <
//! value = 0.60
//! source = "T10: 「社区托育服务覆盖率达到60%」"
//! note = "optional: interpretation, caveats"
//! unit = "community"                  # optional: district | subdistrict | community
//! ```
//!
//! Measures read per district row:
//!
//! - `share`: the share of a district's homes within the threshold
//!   ([`CategoryStats::share`], [`DistrictRow::complete_share`]);
//! - `population_share`: the share of its population
//!   ([`CategoryStats::share_population`],
//!   [`DistrictRow::complete_share_population`]);
//! - `facilities`: the count of the category's facilities inside the district
//!   (the value is a count, not a share; for `complete`, the fewest of any
//!   category): "each unit has at least one" (T4's 一社区一场所).
//!
//! Measures read over a set of units (see [`super::units`]), the way officials
//! count coverage:
//!
//! - `units_with_facility`: the share of units with at least one facility inside;
//! - `units_median_within`: the share of units (with homes) whose homes' median
//!   walk to the nearest facility is within the threshold.
//!
//! `unit` names the tier of units a rule applies to; a run's district levels
//! each have a tier (the finest is `community` unless the run says otherwise).
//! Without `unit`, per-row rules apply to every level and unit-share rules to
//! the finest. [`evaluate`] checks the per-row rules against a level's rows
//! and says how many more homes, people or facilities a failing district
//! would need; [`evaluate_levels`] checks every rule on every level it
//! applies to, unit-share rules over all the level's units (the row
//! [`ALL_UNITS`]) and per unit of each coarser level over the units inside it,
//! saying how many more units would need to be served.
//!
//! ```
//! use lifecircle::district::targets::{Targets, evaluate};
//!
//! let targets = Targets::builtin();
//! assert_eq!(targets.name, "tianjin-2025");
//! let results = evaluate(&targets, &[]);
//! assert!(results.is_empty());
//! ```

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{CategoryStats, DistrictRow, UnitTier};
use crate::error::{Error, Result};
use crate::taxonomy::{Taxonomy, toml_error};

/// The compiled-in targets of Tianjin's 2025 life-services measures (`data/targets/tianjin-2025.toml`).
pub const TIANJIN_2025_TOML: &str = include_str!("../../data/targets/tianjin-2025.toml");

/// What a rule measures: a category, or homes reaching every category.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    /// A taxonomy category, by key.
    Category(String),
    /// Homes reaching every category (`complete`).
    Complete,
}

/// What a rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    /// The share of homes (`share`).
    Share,
    /// The share of the population (`population_share`).
    PopulationShare,
    /// The count of facilities inside the district (`facilities`).
    Facilities,
    /// The share of units with at least one facility inside (`units_with_facility`).
    UnitsWithFacility,
    /// The share of units whose homes' median walk is within the threshold (`units_median_within`).
    UnitsMedianWithin,
}

impl Measure {
    /// Every measure's name as written in a metric.
    pub const NAMES: [&'static str; 5] =
        ["share", "population_share", "facilities", "units_with_facility", "units_median_within"];

    /// The name as written in a metric.
    pub fn name(self) -> &'static str {
        match self {
            Measure::Share => "share",
            Measure::PopulationShare => "population_share",
            Measure::Facilities => "facilities",
            Measure::UnitsWithFacility => "units_with_facility",
            Measure::UnitsMedianWithin => "units_median_within",
        }
    }

    /// Parses a measure's name.
    pub fn parse(text: &str) -> Option<Measure> {
        Some(match text {
            "share" => Measure::Share,
            "population_share" => Measure::PopulationShare,
            "facilities" => Measure::Facilities,
            "units_with_facility" => Measure::UnitsWithFacility,
            "units_median_within" => Measure::UnitsMedianWithin,
            _ => return None,
        })
    }

    /// True for the measures read over a set of units rather than per row.
    pub fn is_unit_share(self) -> bool {
        matches!(self, Measure::UnitsWithFacility | Measure::UnitsMedianWithin)
    }
}

/// A rule's metric: `<category key | complete> <measure>` (see [`Measure::NAMES`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Metric {
    /// What is measured.
    pub subject: Subject,
    /// Which share.
    pub measure: Measure,
}

impl Metric {
    /// Parses `"childcare share"`, `"complete population_share"`, ...; `None` if malformed.
    /// Category keys are not checked here ([`Targets::from_toml`] checks them).
    pub fn parse(text: &str) -> Option<Metric> {
        let mut words = text.split_whitespace();
        let (subject, measure) = (words.next()?, words.next()?);
        if words.next().is_some() {
            return None;
        }
        let measure = Measure::parse(measure)?;
        let subject = if subject == "complete" { Subject::Complete } else { Subject::Category(subject.to_string()) };
        Some(Metric { subject, measure })
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let subject = match &self.subject {
            Subject::Category(key) => key.as_str(),
            Subject::Complete => "complete",
        };
        write!(f, "{subject} {}", self.measure.name())
    }
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `>=`
    Ge,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `<`
    Lt,
}

impl Op {
    /// Parses `>=`, `>`, `<=` or `<`.
    pub fn parse(text: &str) -> Option<Op> {
        match text.trim() {
            ">=" => Some(Op::Ge),
            ">" => Some(Op::Gt),
            "<=" => Some(Op::Le),
            "<" => Some(Op::Lt),
            _ => None,
        }
    }

    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Ge => ">=",
            Op::Gt => ">",
            Op::Le => "<=",
            Op::Lt => "<",
        }
    }

    /// `actual <op> target`.
    pub fn holds(self, actual: f64, target: f64) -> bool {
        match self {
            Op::Ge => actual >= target,
            Op::Gt => actual > target,
            Op::Le => actual <= target,
            Op::Lt => actual < target,
        }
    }

    /// True for `>=` and `>` (a floor: more coverage passes).
    pub fn is_lower_bound(self) -> bool {
        matches!(self, Op::Ge | Op::Gt)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// One target.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Unique id in its file (`T10-homes`).
    pub id: String,
    /// What it measures.
    pub metric: Metric,
    /// The comparison.
    pub op: Op,
    /// The target value: a share in `[0, 1]`, or a count for `facilities`.
    pub value: f64,
    /// The citation: the policy's rule id and its exact sentence.
    pub source: String,
    /// Interpretation or caveats.
    pub note: Option<String>,
    /// The tier of units the rule applies to (`None`: per-row rules on every
    /// level, unit-share rules on the finest).
    pub unit: Option<UnitTier>,
}

/// A named set of policy targets.
#[derive(Debug, Clone, PartialEq)]
pub struct Targets {
    /// The set's name (`tianjin-2025`).
    pub name: String,
    /// What it encodes.
    pub description: String,
    /// The rules, in file order.
    pub rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTargets {
    version: u32,
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default, rename = "rule")]
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    metric: String,
    op: String,
    value: f64,
    source: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    unit: Option<String>,
}

impl Targets {
    /// The compiled-in Tianjin 2025 targets, whose categories come from the
    /// bundled taxonomies (the default's for T10/T16, `elderly-three-tier`'s for
    /// T4); a run checks the rules its taxonomy has categories for.
    pub fn builtin() -> Targets {
        let taxonomies: Vec<Taxonomy> = Taxonomy::bundled_names().into_iter().filter_map(Taxonomy::bundled).collect();
        let refs: Vec<&Taxonomy> = taxonomies.iter().collect();
        Targets::from_toml_any(TIANJIN_2025_TOML, Path::new("<built-in targets>"), &refs)
            .expect("the built-in targets are valid (checked by a test)")
    }

    /// Reads a target file; its categories must be the taxonomy's.
    pub fn from_file(path: &Path, taxonomy: &Taxonomy) -> Result<Targets> {
        let text = crate::io::limits::read_text_bounded(path, crate::io::limits::MAX_TABLE_FILE_BYTES, "targets file")?;
        Targets::from_toml(&text, path, taxonomy)
    }

    /// Parses targets from TOML text; `path` names it in errors. Checks the
    /// version (1), that ids are non-empty and unique, metrics follow the
    /// grammar and name the taxonomy's categories, ops are known, values are
    /// shares in `[0, 1]` (counts `>= 0` for `facilities`), units are tiers and
    /// every rule cites a source.
    pub fn from_toml(text: &str, path: &Path, taxonomy: &Taxonomy) -> Result<Targets> {
        Targets::parse(text, path, &|key| taxonomy.category_id(key).is_some(), &|| {
            taxonomy.categories.iter().map(|c| c.key.clone()).collect()
        })
    }

    /// Parses targets whose categories may come from any of `taxonomies` (the
    /// built-in targets, which name categories of several bundled lists; a
    /// rule whose category a run's taxonomy lacks is not checked in that run,
    /// see [`Targets::unchecked`]).
    pub fn from_toml_any(text: &str, path: &Path, taxonomies: &[&Taxonomy]) -> Result<Targets> {
        Targets::parse(text, path, &|key| taxonomies.iter().any(|t| t.category_id(key).is_some()), &|| {
            let mut keys: Vec<String> =
                taxonomies.iter().flat_map(|t| t.categories.iter().map(|c| c.key.clone())).collect();
            keys.sort();
            keys.dedup();
            keys
        })
    }

    /// The rules a run with `taxonomy` cannot check (their category is not one of its categories), with why.
    pub fn unchecked(&self, taxonomy: &Taxonomy) -> Vec<String> {
        self.rules
            .iter()
            .filter_map(|r| match &r.metric.subject {
                Subject::Category(key) if taxonomy.category_id(key).is_none() => {
                    Some(format!("target {}: not checked, the taxonomy has no category {key:?}", r.id))
                }
                _ => None,
            })
            .collect()
    }

    fn parse(
        text: &str,
        path: &Path,
        known: &dyn Fn(&str) -> bool,
        known_keys: &dyn Fn() -> Vec<String>,
    ) -> Result<Targets> {
        let raw: RawTargets = toml::from_str(text)
            .map_err(|e| Error::table(path, format!("invalid targets: {}", toml_error(text, &e))))?;
        if raw.version != 1 {
            return Err(Error::table(path, format!("unsupported targets version {}, expected 1", raw.version)));
        }
        if raw.name.trim().is_empty() {
            return Err(Error::table(path, "targets need a name"));
        }
        let mut seen = HashSet::new();
        let mut rules = Vec::with_capacity(raw.rules.len());
        for (i, r) in raw.rules.into_iter().enumerate() {
            if r.id.trim().is_empty() {
                return Err(Error::table(path, format!("rule {}: empty id", i + 1)));
            }
            let id = r.id;
            if !seen.insert(id.clone()) {
                return Err(Error::table(path, format!("rule {id}: duplicate id")));
            }
            let metric = Metric::parse(&r.metric).ok_or_else(|| {
                Error::table(
                    path,
                    format!(
                        "rule {id}: bad metric {:?}, expected \"<category key | complete> <{}>\"",
                        r.metric,
                        Measure::NAMES.join(" | ")
                    ),
                )
            })?;
            if let Subject::Category(key) = &metric.subject
                && !known(key)
            {
                return Err(Error::table(
                    path,
                    format!("rule {id}: unknown category {key:?} (known: {}, complete)", known_keys().join(", ")),
                ));
            }
            let op = Op::parse(&r.op).ok_or_else(|| {
                Error::table(path, format!("rule {id}: bad op {:?}, expected one of >=, >, <=, <", r.op))
            })?;
            if metric.measure == Measure::Facilities {
                if !(r.value.is_finite() && r.value >= 0.0) {
                    return Err(Error::table(path, format!("rule {id}: value {} is not a count >= 0", r.value)));
                }
            } else if !(r.value.is_finite() && (0.0..=1.0).contains(&r.value)) {
                return Err(Error::table(path, format!("rule {id}: value {} is not a share in [0, 1]", r.value)));
            }
            if r.source.trim().is_empty() {
                return Err(Error::table(path, format!("rule {id}: empty source")));
            }
            let unit = match r.unit.as_deref() {
                None => None,
                Some(u) => Some(UnitTier::parse(u).ok_or_else(|| {
                    Error::table(path, format!("rule {id}: unit {u:?} is not one of district, subdistrict, community"))
                })?),
            };
            rules.push(Rule { id, metric, op, value: r.value, source: r.source, note: r.note, unit });
        }
        Ok(Targets { name: raw.name, description: raw.description, rules })
    }
}

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
            if rule.metric.measure == Measure::Facilities && row.key == super::table::OUTSIDE {
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
    let (counted, total) = super::units::count_units(units, key, median);
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
            let all = rows.iter().filter(|r| r.key != super::table::OUTSIDE);
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
