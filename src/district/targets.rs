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
//! metric = "childcare share"          # <category key | complete> <share | population_share>
//! op = ">="                           # >=, >, <=, <
//! value = 0.60
//! source = "T10: 「社区托育服务覆盖率达到60%」"
//! note = "optional: interpretation, caveats"
//! ```
//!
//! `share` is the share of a district's homes ([`CategoryStats::share`],
//! [`DistrictRow::complete_share`]); `population_share` the share of its
//! population ([`CategoryStats::share_population`],
//! [`DistrictRow::complete_share_population`]). [`evaluate`] checks every rule
//! against every district row and says how many more homes or people would
//! need to be covered for a failing district to pass.
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

use super::{CategoryStats, DistrictRow};
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

/// Which share a rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    /// The share of homes (`share`).
    Share,
    /// The share of the population (`population_share`).
    PopulationShare,
}

/// A rule's metric: `<category key | complete> <share | population_share>`.
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
        let measure = match measure {
            "share" => Measure::Share,
            "population_share" => Measure::PopulationShare,
            _ => return None,
        };
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
        let measure = match self.measure {
            Measure::Share => "share",
            Measure::PopulationShare => "population_share",
        };
        write!(f, "{subject} {measure}")
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
    /// The target value, a share in `[0, 1]`.
    pub value: f64,
    /// The citation: the policy's rule id and its exact sentence.
    pub source: String,
    /// Interpretation or caveats.
    pub note: Option<String>,
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
}

impl Targets {
    /// The compiled-in Tianjin 2025 targets, checked against the built-in taxonomy.
    pub fn builtin() -> Targets {
        Targets::from_toml(TIANJIN_2025_TOML, Path::new("<built-in targets>"), &Taxonomy::builtin())
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
    /// shares in `[0, 1]` and every rule cites a source.
    pub fn from_toml(text: &str, path: &Path, taxonomy: &Taxonomy) -> Result<Targets> {
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
                        "rule {id}: bad metric {:?}, expected \"<category key | complete> <share | population_share>\"",
                        r.metric
                    ),
                )
            })?;
            if let Subject::Category(key) = &metric.subject
                && taxonomy.category_id(key).is_none()
            {
                let known: Vec<&str> = taxonomy.categories.iter().map(|c| c.key.as_str()).collect();
                return Err(Error::table(
                    path,
                    format!("rule {id}: unknown category {key:?} (known: {}, complete)", known.join(", ")),
                ));
            }
            let op = Op::parse(&r.op).ok_or_else(|| {
                Error::table(path, format!("rule {id}: bad op {:?}, expected one of >=, >, <=, <", r.op))
            })?;
            if !(r.value.is_finite() && (0.0..=1.0).contains(&r.value)) {
                return Err(Error::table(path, format!("rule {id}: value {} is not a share in [0, 1]", r.value)));
            }
            if r.source.trim().is_empty() {
                return Err(Error::table(path, format!("rule {id}: empty source")));
            }
            rules.push(Rule { id, metric, op, value: r.value, source: r.source, note: r.note });
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
    /// homes too many. 0 when passing and for `population_share` rules.
    pub homes_short: usize,
    /// Likewise in people for a failing `population_share` rule (whole people: `⌈target·population
    /// − covered⌉` for `>=`). 0 when passing and for `share` rules.
    pub people_short: f64,
}

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

/// Checks every rule against every row: results are rule-major (file order),
/// then in row order. A row gives no result for a rule when it has nothing to
/// judge: no homes (for `share`), no population (for `population_share`), or
/// no such category (rows from another taxonomy).
pub fn evaluate(targets: &Targets, rows: &[DistrictRow]) -> Vec<RuleResult> {
    let mut results = Vec::with_capacity(targets.rules.len() * rows.len());
    for rule in &targets.rules {
        for row in rows {
            let Some((covered, total, actual)) = reading(&rule.metric, row) else { continue };
            if total.is_nan() || total <= 0.0 {
                continue;
            }
            let pass = rule.op.holds(actual, rule.value);
            let margin = if rule.op.is_lower_bound() { actual - rule.value } else { rule.value - actual };
            let short = if pass { 0 } else { shortfall(rule.op, covered, total, rule.value) };
            let (homes_short, people_short) = match rule.metric.measure {
                Measure::Share => (short as usize, 0.0),
                Measure::PopulationShare => (0, short as f64),
            };
            results.push(RuleResult {
                rule_id: rule.id.clone(),
                district: row.key.clone(),
                actual,
                target: rule.value,
                pass,
                margin,
                homes_short,
                people_short,
            });
        }
    }
    results
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
