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
//!   ([`super::CategoryStats::share`], [`super::DistrictRow::complete_share`]);
//! - `population_share`: the share of its population
//!   ([`super::CategoryStats::share_population`],
//!   [`super::DistrictRow::complete_share_population`]);
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

use serde::Deserialize;

use super::UnitTier;
use crate::error::{Error, Result};
use crate::taxonomy::{Taxonomy, toml_error};

/// The compiled-in targets of Tianjin's 2025 life-services measures (`data/targets/tianjin-2025.toml`).
pub const TIANJIN_2025_TOML: &str = include_str!("../../../data/targets/tianjin-2025.toml");

/// What a rule measures: a category, or homes reaching every category.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Subject {
    /// A taxonomy category, by key.
    Category(String),
    /// Homes reaching every category (`complete`).
    Complete,
}

/// What a rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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

    /// Reads a target file; its categories must be the taxonomy's or a
    /// bundled taxonomy's (so the built-in file, whose T4 rules name the
    /// elderly tiers, can be edited and passed with any list: rules on
    /// categories the run lacks are listed by [`Targets::unchecked`]).
    pub fn from_file(path: &Path, taxonomy: &Taxonomy) -> Result<Targets> {
        let text = crate::io::limits::read_text_bounded(path, crate::io::limits::MAX_TABLE_FILE_BYTES, "targets file")?;
        let bundled: Vec<Taxonomy> = Taxonomy::bundled_names().into_iter().filter_map(Taxonomy::bundled).collect();
        let mut all: Vec<&Taxonomy> = vec![taxonomy];
        all.extend(bundled.iter());
        Targets::from_toml_any(&text, path, &all)
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

mod evaluate;

pub use evaluate::{
    ALL_UNITS, LevelRows, Miss, RuleResult, evaluate, evaluate_levels, failures_by_rule, misses_summary,
};
