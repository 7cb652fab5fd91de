//! Service categories and OSM tag rules, as data.
//!
//! The default table is `data/taxonomy.toml`, compiled in; users override it
//! with their own file, or pick a bundled list by name ([`BUNDLED`]: the
//! national category lists of `data/taxonomies/`, each rule citing its source
//! clause). Matching a feature is `O(rules × tags per rule)`.

mod profile;
mod tiers;

pub use profile::{Profile, Profiles};
pub use tiers::{Tier, Tiers};

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::ids::CategoryId;

/// The compiled-in default taxonomy (`data/taxonomy.toml`).
pub const DEFAULT_TAXONOMY_TOML: &str = include_str!("../../data/taxonomy.toml");

/// The bundled taxonomies, selectable by name (`--taxonomy NAME`): `(name, TOML text)`.
///
/// - `default`: `data/taxonomy.toml`, the four engine categories;
/// - `mofcom-2021`: the basic services (基本保障类业态) of MOFCOM's 《城市一刻钟便民生活圈建设指南》 (2021);
/// - `mohurd-2020`: the basic facilities of MOHURD's 《完整居住社区建设标准(试行)》 (2020);
/// - `elderly-three-tier`: elderly-care facilities by tier (区 centre, 街道 base, 社区 place), for
///   Tianjin's 「一区一中心、一街道(乡镇)一阵地、一社区(村)一场所」;
/// - `peers`: `data/taxonomy-peers.toml`, the peer harness's definitions.
pub const BUNDLED: [(&str, &str); 5] = [
    ("default", DEFAULT_TAXONOMY_TOML),
    ("mofcom-2021", include_str!("../../data/taxonomies/mofcom-2021.toml")),
    ("mohurd-2020", include_str!("../../data/taxonomies/mohurd-2020.toml")),
    ("elderly-three-tier", include_str!("../../data/taxonomies/elderly-three-tier.toml")),
    ("peers", include_str!("../../data/taxonomy-peers.toml")),
];

/// A taxonomy chosen by [`Taxonomy::from_name_or_file`], with where it came from.
#[derive(Debug, Clone)]
pub struct ChosenTaxonomy {
    /// The taxonomy.
    pub taxonomy: Taxonomy,
    /// `built-in:<name>` for a bundled one, else the file's path as given.
    pub source: String,
    /// The file, when not bundled (for the run's manifest).
    pub path: Option<std::path::PathBuf>,
}

/// Read-only access to an element's tags, so the rules do not depend on the PBF reader.
pub trait TagLookup {
    /// The value of `key`, if present.
    fn tag(&self, key: &str) -> Option<&str>;
}

impl TagLookup for BTreeMap<String, String> {
    fn tag(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

impl TagLookup for [(&str, &str)] {
    fn tag(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

/// Name tags searched by `name_contains` rules.
const NAME_KEYS: [&str; 8] =
    ["name", "name:zh", "name:zh-Hans", "name:zh-Hant", "alt_name", "official_name", "old_name", "short_name"];

/// One rule: all of its tag conditions and its name condition must hold.
#[derive(Debug, Clone)]
pub struct TagRule {
    /// `(key, accepted values)`; an empty value list (from `"*"`) accepts any value but `no`.
    tags: Vec<(String, Vec<String>)>,
    /// Substrings, one of which a name tag must contain (empty: no name condition).
    name_contains: Vec<String>,
    /// Substrings none of the name tags may contain (empty: no exclusion).
    name_excludes: Vec<String>,
}

impl TagRule {
    /// Does the rule match these tags?
    pub fn matches<T: TagLookup + ?Sized>(&self, tags: &T) -> bool {
        self.matches_with(tags, &mut Names::default())
    }

    /// [`TagRule::matches`] with the name tags' values read once for all the rules of a feature.
    fn matches_with<'t, T: TagLookup + ?Sized>(&self, tags: &'t T, names: &mut Names<'t>) -> bool {
        let tags_ok = self.tags.iter().all(|(key, values)| match tags.tag(key) {
            None => false,
            Some(v) if values.is_empty() => v != "no",
            Some(v) => values.iter().any(|w| w == v),
        });
        if !tags_ok {
            return false;
        }
        if self.name_contains.is_empty() && self.name_excludes.is_empty() {
            return true;
        }
        let names = names.get(tags);
        let any_contains = |subs: &[String]| names.iter().any(|name| subs.iter().any(|s| name.contains(s.as_str())));
        !any_contains(&self.name_excludes) && (self.name_contains.is_empty() || any_contains(&self.name_contains))
    }
}

/// A feature's name tags' values ([`NAME_KEYS`] in order), looked up on first use.
#[derive(Default)]
struct Names<'t> {
    read: bool,
    values: [&'t str; NAME_KEYS.len()],
    len: usize,
}

impl<'t> Names<'t> {
    fn get<T: TagLookup + ?Sized>(&mut self, tags: &'t T) -> &[&'t str] {
        if !self.read {
            self.read = true;
            for v in NAME_KEYS.iter().filter_map(|k| tags.tag(k)) {
                self.values[self.len] = v;
                self.len += 1;
            }
        }
        &self.values[..self.len]
    }
}

/// [`Taxonomy::classify`] for many features: a rule matches only when its
/// first key (or, for a rule on names alone, a name tag) is present, so a
/// feature with none of those keys (most
/// ways and nodes: roads, buildings, addresses) is rejected after a handful of
/// lookups instead of one per rule. `O(keys × tags)` per rejected feature.
///
/// ```
/// use lifecircle::Taxonomy;
/// let t = Taxonomy::builtin();
/// let c = t.classifier();
/// let road: &[(&str, &str)] = &[("highway", "footway")];
/// let shop: &[(&str, &str)] = &[("shop", "supermarket")];
/// assert_eq!(c.classify(road), 0);
/// assert_eq!(c.classify(shop), t.classify(shop));
/// assert_ne!(c.classify(shop), 0);
/// ```
pub struct Classifier<'t> {
    taxonomy: &'t Taxonomy,
    /// The keys one of which every rule needs (`None` when a rule needs none).
    gate: Option<Vec<&'t str>>,
}

impl Classifier<'_> {
    /// The categories a feature with these tags belongs to, as [`Taxonomy::classify`] gives them.
    #[inline]
    pub fn classify<T: TagLookup + ?Sized>(&self, tags: &T) -> u32 {
        match &self.gate {
            Some(keys) if !keys.iter().any(|k| tags.tag(k).is_some()) => 0,
            _ => self.taxonomy.classify(tags),
        }
    }
}

/// A service category (grocery, elder canteen, clinic, childcare with the default table).
#[derive(Debug, Clone)]
pub struct Category {
    /// Machine key used in output property names (`grocery`, `elder_canteen`, ...).
    pub key: String,
    /// English label.
    pub label_en: String,
    /// Chinese label.
    pub label_zh: String,
    /// Other names users write for it in their own files (`托育`, `幼儿园`, `诊所`, ...).
    pub aliases: Vec<String>,
    /// The category matches when any rule does.
    pub rules: Vec<TagRule>,
    /// The clause of the policy or standard the category encodes (bundled lists cite one each).
    pub source: Option<String>,
    /// Interpretation, caveats, what could not be verified.
    pub note: Option<String>,
}

/// What counts as a home.
#[derive(Debug, Clone)]
pub struct HomeRules {
    /// `building=*` values that are homes anywhere (`"*"`: any value but `no`).
    pub building: Vec<String>,
    /// `building=*` values that are homes inside residential landuse only.
    pub building_inside_residential: Vec<String>,
    /// `landuse=*` values that are residential areas.
    pub residential_landuse: Vec<String>,
    /// When fewer homes than this come from buildings, residential areas stand in as homes.
    pub landuse_fallback_below: usize,
    /// Otherwise, each residential area holding no home building is a home at its centroid.
    pub empty_residential_areas_are_homes: bool,
}

/// How a building relates to the home rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildingClass {
    /// Not a home.
    NotHome,
    /// A home wherever it stands.
    Home,
    /// A home only inside residential landuse.
    HomeIfResidential,
}

/// The whole taxonomy: categories and home rules.
#[derive(Debug, Clone)]
pub struct Taxonomy {
    /// Its name (`mofcom-2021`), if the file gives one.
    pub name: Option<String>,
    /// What it encodes, if the file says.
    pub description: Option<String>,
    /// The document it follows, if any.
    pub source: Option<String>,
    /// Categories, in table order; [`CategoryId`] indexes this.
    pub categories: Vec<Category>,
    /// Home rules.
    pub homes: HomeRules,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTaxonomy {
    version: u32,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(rename = "category")]
    categories: Vec<RawCategory>,
    homes: RawHomes,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    key: String,
    label_en: String,
    label_zh: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(rename = "match", default)]
    rules: Vec<RawRule>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(default)]
    tags: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    name_contains: Vec<String>,
    #[serde(default)]
    name_excludes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHomes {
    building: Vec<String>,
    #[serde(default)]
    building_inside_residential: Vec<String>,
    #[serde(default)]
    residential_landuse: Vec<String>,
    #[serde(default)]
    landuse_fallback_below: usize,
    #[serde(default)]
    empty_residential_areas_are_homes: bool,
}

/// A TOML error on one line: `line L, column C: message`.
pub(crate) fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim().replace('\n', "; ");
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

/// Keys a category may not take: they would collide with the output properties
/// `categories_ok`, `complete`, ... (each category writes `<key>_min`, `<key>_ok`, ...).
pub const RESERVED_KEYS: [&str; 7] = ["categories", "complete", "population", "snap", "reachable", "id", "source"];

/// Most categories a taxonomy may define.
pub const MAX_CATEGORIES: usize = 32;

impl Taxonomy {
    /// The compiled-in default table.
    pub fn builtin() -> Taxonomy {
        Taxonomy::from_toml(DEFAULT_TAXONOMY_TOML, Path::new("<built-in taxonomy>"))
            .expect("the built-in taxonomy is valid (checked by a test)")
    }

    /// The bundled taxonomy `name` (see [`BUNDLED`]), or `None`.
    pub fn bundled(name: &str) -> Option<Taxonomy> {
        BUNDLED.iter().find(|(n, _)| *n == name).map(|(n, text)| {
            Taxonomy::from_toml(text, Path::new(&format!("<built-in taxonomy {n}>")))
                .expect("the bundled taxonomies are valid (checked by a test)")
        })
    }

    /// The names of the bundled taxonomies, in [`BUNDLED`] order.
    pub fn bundled_names() -> Vec<&'static str> {
        BUNDLED.iter().map(|(n, _)| *n).collect()
    }

    /// `--taxonomy VALUE`: a bundled taxonomy when `value` is one of their
    /// names, else a file.
    ///
    /// ```
    /// let chosen = lifecircle::Taxonomy::from_name_or_file("mofcom-2021").unwrap();
    /// assert_eq!(chosen.source, "built-in:mofcom-2021");
    /// assert!(chosen.taxonomy.category_id("pharmacy").is_some());
    /// ```
    pub fn from_name_or_file(value: &str) -> Result<ChosenTaxonomy> {
        if let Some(taxonomy) = Taxonomy::bundled(value) {
            let source = if value == "default" { "built-in".to_string() } else { format!("built-in:{value}") };
            return Ok(ChosenTaxonomy { taxonomy, source, path: None });
        }
        let path = std::path::PathBuf::from(value);
        let looks_like_a_name = !value.contains(['/', '\\', '.']) && !path.exists();
        if looks_like_a_name {
            return Err(Error::parameter(
                "--taxonomy",
                format!(
                    "{value:?} is neither a bundled taxonomy ({}) nor a file",
                    Taxonomy::bundled_names().join(", ")
                ),
            ));
        }
        Ok(ChosenTaxonomy { taxonomy: Taxonomy::from_file(&path)?, source: value.to_string(), path: Some(path) })
    }

    /// `--taxonomy` given or not: [`Taxonomy::from_name_or_file`] of `value`,
    /// or the built-in table when there is none.
    pub fn chosen(value: Option<&str>) -> Result<ChosenTaxonomy> {
        match value {
            Some(value) => Taxonomy::from_name_or_file(value),
            None => Ok(ChosenTaxonomy { taxonomy: Taxonomy::builtin(), source: "built-in".to_string(), path: None }),
        }
    }

    /// Reads a taxonomy file.
    pub fn from_file(path: &Path) -> Result<Taxonomy> {
        let text = crate::io::limits::read_text_bounded(path, crate::io::limits::MAX_TABLE_FILE_BYTES, "taxonomy")?;
        Taxonomy::from_toml(&text, path)
    }

    /// Parses a taxonomy from TOML text; `path` names it in errors.
    pub fn from_toml(text: &str, path: &Path) -> Result<Taxonomy> {
        let raw: RawTaxonomy = toml::from_str(text)
            .map_err(|e| Error::table(path, format!("invalid taxonomy: {}", toml_error(text, &e))))?;
        if raw.version != 1 {
            return Err(Error::table(path, format!("unsupported taxonomy version {}, expected 1", raw.version)));
        }
        if raw.categories.is_empty() || raw.categories.len() > MAX_CATEGORIES {
            return Err(Error::table(path, format!("a taxonomy needs 1 to {MAX_CATEGORIES} categories")));
        }
        let mut categories = Vec::with_capacity(raw.categories.len());
        for c in raw.categories {
            let key_ok = !c.key.is_empty()
                && c.key.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
            if !key_ok {
                return Err(Error::table(
                    path,
                    format!("category key {:?} must be lower-case ASCII letters, digits or _", c.key),
                ));
            }
            if RESERVED_KEYS.contains(&c.key.as_str()) {
                return Err(Error::table(path, format!("category key {:?} is reserved for an output property", c.key)));
            }
            if categories.iter().any(|k: &Category| k.key == c.key) {
                return Err(Error::table(path, format!("category {:?} is defined twice", c.key)));
            }
            let mut rules = Vec::with_capacity(c.rules.len());
            for r in c.rules {
                if r.tags.is_empty() && r.name_contains.is_empty() {
                    if !r.name_excludes.is_empty() {
                        return Err(Error::table(
                            path,
                            format!(
                                "category {:?}: a match rule with name_excludes also needs tags or name_contains",
                                c.key
                            ),
                        ));
                    }
                    return Err(Error::table(
                        path,
                        format!("category {:?}: a match rule needs tags or name_contains", c.key),
                    ));
                }
                if let Some((k, _)) = r.tags.iter().find(|(_, vals)| vals.is_empty()) {
                    return Err(Error::table(
                        path,
                        format!(
                            "category {:?}: tag {k:?} has an empty list of values; \
                             list the values, or write [\"*\"] for any value",
                            c.key
                        ),
                    ));
                }
                let tags = r
                    .tags
                    .into_iter()
                    .map(|(k, vals)| {
                        let vals = if vals.iter().any(|v| v == "*") { Vec::new() } else { vals };
                        (k, vals)
                    })
                    .collect();
                rules.push(TagRule { tags, name_contains: r.name_contains, name_excludes: r.name_excludes });
            }
            categories.push(Category {
                key: c.key,
                label_en: c.label_en,
                label_zh: c.label_zh,
                aliases: c.aliases,
                rules,
                source: c.source,
                note: c.note,
            });
        }
        let homes = HomeRules {
            building: raw.homes.building,
            building_inside_residential: raw.homes.building_inside_residential,
            residential_landuse: raw.homes.residential_landuse,
            landuse_fallback_below: raw.homes.landuse_fallback_below,
            empty_residential_areas_are_homes: raw.homes.empty_residential_areas_are_homes,
        };
        Ok(Taxonomy { name: raw.name, description: raw.description, source: raw.source, categories, homes })
    }

    /// Number of categories.
    pub fn len(&self) -> usize {
        self.categories.len()
    }

    /// True when there is no category (never for a parsed taxonomy).
    pub fn is_empty(&self) -> bool {
        self.categories.is_empty()
    }

    /// The categories a feature with these tags belongs to, as a bit set (bit i = category i).
    pub fn classify<T: TagLookup + ?Sized>(&self, tags: &T) -> u32 {
        let mut bits = 0u32;
        let mut names = Names::default();
        for (i, c) in self.categories.iter().enumerate() {
            if c.rules.iter().any(|r| r.matches_with(tags, &mut names)) {
                bits |= 1 << i;
            }
        }
        bits
    }

    /// Every key [`Taxonomy::classify`] and its [`Classifier`] may look up: the rules' keys and the name tags.
    pub fn lookup_keys(&self) -> impl Iterator<Item = &str> + '_ {
        let rule_keys =
            self.categories.iter().flat_map(|c| &c.rules).flat_map(|r| r.tags.iter().map(|(k, _)| k.as_str()));
        rule_keys.chain(NAME_KEYS)
    }

    /// Its [`Classifier`]: [`Taxonomy::classify`] with the keys the rules
    /// need gathered once, for classifying many features.
    pub fn classifier(&self) -> Classifier<'_> {
        let mut gate: Option<Vec<&str>> = Some(Vec::new());
        for rule in self.categories.iter().flat_map(|c| &c.rules) {
            let Some(keys) = gate.as_mut() else { break };
            // A rule needs its first key, or, on names alone, a name tag; a rule
            // with neither matches everything, and every feature must be tried.
            let needs: Vec<&str> = match rule.tags.first() {
                Some((key, _)) => vec![key.as_str()],
                None if !rule.name_contains.is_empty() => NAME_KEYS.to_vec(),
                None => {
                    gate = None;
                    continue;
                }
            };
            for key in needs {
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
        Classifier { taxonomy: self, gate }
    }

    /// How a `building=value` relates to the home rules.
    pub fn building_class(&self, value: &str) -> BuildingClass {
        let listed = |list: &[String]| value != "no" && list.iter().any(|b| b == value || b == "*");
        if listed(&self.homes.building) {
            BuildingClass::Home
        } else if listed(&self.homes.building_inside_residential) {
            BuildingClass::HomeIfResidential
        } else {
            BuildingClass::NotHome
        }
    }

    /// Is `landuse=value` residential?
    pub fn is_residential_landuse(&self, value: &str) -> bool {
        self.homes.residential_landuse.iter().any(|l| l == value)
    }

    /// The category a user's label names: its key, English or Chinese label, or
    /// an alias; case-insensitive for ASCII, surrounding spaces ignored.
    ///
    /// ```
    /// let t = lifecircle::Taxonomy::builtin();
    /// assert_eq!(t.resolve_category("幼儿园"), t.category_id("childcare"));
    /// assert_eq!(t.resolve_category(" Grocery "), t.category_id("grocery"));
    /// assert_eq!(t.resolve_category("bakery"), None);
    /// ```
    pub fn resolve_category(&self, label: &str) -> Option<CategoryId> {
        let label = label.trim();
        self.categories
            .iter()
            .position(|c| {
                c.key.eq_ignore_ascii_case(label)
                    || c.label_en.eq_ignore_ascii_case(label)
                    || c.label_zh == label
                    || c.aliases.iter().any(|a| a.eq_ignore_ascii_case(label))
            })
            .map(|i| CategoryId(i as u8))
    }

    /// The id of the category with this key.
    pub fn category_id(&self, key: &str) -> Option<CategoryId> {
        self.categories.iter().position(|c| c.key == key).map(|i| CategoryId(i as u8))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::SplitMix64 as Rng;

    /// The rule as its documentation reads, name tags looked up afresh for every rule.
    fn reference_matches(rule: &TagRule, tags: &[(&str, &str)]) -> bool {
        let tags_ok = rule.tags.iter().all(|(key, values)| match tags.tag(key) {
            None => false,
            Some(v) if values.is_empty() => v != "no",
            Some(v) => values.iter().any(|w| w == v),
        });
        let names: Vec<&str> = NAME_KEYS.iter().filter_map(|k| tags.tag(k)).collect();
        let contains = |subs: &[String]| names.iter().any(|n| subs.iter().any(|s| n.contains(s.as_str())));
        tags_ok && !contains(&rule.name_excludes) && (rule.name_contains.is_empty() || contains(&rule.name_contains))
    }

    /// Every bundled taxonomy, on random features built from its own keys,
    /// values and name fragments (plus noise): `classify`, the classifier and
    /// each rule's `matches` agree with the reference.
    #[test]
    fn classify_agrees_with_the_rules_read_one_by_one() {
        let mut rng = Rng(5);
        for name in Taxonomy::bundled_names() {
            let t = Taxonomy::bundled(name).expect("bundled");
            let rules: Vec<&TagRule> = t.categories.iter().flat_map(|c| &c.rules).collect();
            let mut keys: Vec<&str> = rules.iter().flat_map(|r| r.tags.iter().map(|(k, _)| k.as_str())).collect();
            keys.extend(NAME_KEYS);
            keys.push("source");
            let mut values: Vec<&str> =
                rules.iter().flat_map(|r| r.tags.iter().flat_map(|(_, v)| v.iter().map(String::as_str))).collect();
            values.extend(["no", "yes", "other"]);
            let fragments: Vec<&str> = rules
                .iter()
                .flat_map(|r| r.name_contains.iter().chain(&r.name_excludes).map(String::as_str))
                .chain(["Praxis", "超市", ""])
                .collect();
            let classifier = t.classifier();
            let (mut matched, mut excluded) = (0, 0);
            for case in 0..3000 {
                let n = (rng.next_u64() % 5) as usize;
                let owned: Vec<(String, String)> = (0..n)
                    .map(|_| {
                        let key = keys[(rng.next_u64() % keys.len() as u64) as usize];
                        let value = if NAME_KEYS.contains(&key) {
                            let mut v = String::new();
                            for _ in 0..rng.next_u64() % 3 {
                                v.push_str(fragments[(rng.next_u64() % fragments.len() as u64) as usize]);
                            }
                            v
                        } else {
                            values[(rng.next_u64() % values.len() as u64) as usize].to_string()
                        };
                        (key.to_string(), value)
                    })
                    .collect();
                let tags: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let mut expected = 0u32;
                for (i, c) in t.categories.iter().enumerate() {
                    if c.rules.iter().any(|r| reference_matches(r, &tags)) {
                        expected |= 1 << i;
                    }
                }
                assert_eq!(t.classify(&tags[..]), expected, "{name} case {case}: {tags:?}");
                assert_eq!(classifier.classify(&tags[..]), expected, "{name} case {case}: classifier");
                for r in &rules {
                    assert_eq!(r.matches(&tags[..]), reference_matches(r, &tags), "{name} case {case}");
                }
                matched += usize::from(expected != 0);
                let names = || tags.iter().filter(|(k, _)| NAME_KEYS.contains(k)).map(|(_, v)| *v);
                excluded += usize::from(
                    rules.iter().any(|r| r.name_excludes.iter().any(|s| names().any(|n| n.contains(s.as_str())))),
                );
            }
            // The cases reach both answers, and names some rule excludes.
            assert!(matched > 300 && matched < 2700, "{name}: {matched} of 3000 matched");
            assert!(excluded > 0 || rules.iter().all(|r| r.name_excludes.is_empty()), "{name}: no excluded name drawn");
        }
    }
}
