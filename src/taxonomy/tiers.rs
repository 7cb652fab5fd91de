//! Service-circle tiers as data (`data/tiers.toml`, compiled in): a walking
//! distance per category, such as GB 50180-2018's 5/10/15-minute circles.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::Taxonomy;
use crate::error::{Error, Result};

/// The compiled-in tier tables (`data/tiers.toml`).
pub const DEFAULT_TIERS_TOML: &str = include_str!("../../data/tiers.toml");

/// One category's tier.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// The life circle it belongs to, in minutes (a label: the distance decides).
    pub minutes: f64,
    /// The walking distance that defines it, metres.
    pub distance_m: f64,
}

/// A named tier table: one [`Tier`] per category key.
#[derive(Debug, Clone)]
pub struct Tiers {
    /// The table's name (`gb50180`).
    pub name: String,
    /// What it encodes.
    pub description: String,
    /// Tier per category key.
    pub by_category: BTreeMap<String, Tier>,
}

#[derive(Deserialize)]
struct RawFile {
    tiers: BTreeMap<String, BTreeMap<String, toml::Value>>,
}

impl Tiers {
    /// The built-in table named `name`, checked against the taxonomy's categories.
    pub fn builtin(name: &str, taxonomy: &Taxonomy) -> Result<Tiers> {
        Tiers::from_toml(DEFAULT_TIERS_TOML, Path::new("<built-in tiers>"), name, taxonomy)
    }

    /// Reads the table `name` from TOML text; every taxonomy category needs a tier.
    pub fn from_toml(text: &str, path: &Path, name: &str, taxonomy: &Taxonomy) -> Result<Tiers> {
        let raw: RawFile = toml::from_str(text)
            .map_err(|e| Error::table(path, format!("invalid tiers: {}", super::toml_error(text, &e))))?;
        let known: Vec<&str> = raw.tiers.keys().map(String::as_str).collect();
        let table = raw.tiers.get(name).ok_or_else(|| {
            Error::parameter("--tiers", format!("unknown tier table {name:?} (known: {})", known.join(", ")))
        })?;
        let mut description = String::new();
        let mut by_category = BTreeMap::new();
        for (key, value) in table {
            if key == "description" {
                description = value.as_str().unwrap_or_default().to_string();
                continue;
            }
            let tier: Tier = value
                .clone()
                .try_into()
                .map_err(|e| Error::table(path, format!("tiers.{name}.{key}: {}", e.message())))?;
            if !(tier.distance_m.is_finite() && tier.distance_m > 0.0) {
                return Err(Error::table(path, format!("tiers.{name}.{key}: distance_m must be positive")));
            }
            by_category.insert(key.clone(), tier);
        }
        if let Some(c) = taxonomy.categories.iter().find(|c| !by_category.contains_key(&c.key)) {
            return Err(Error::parameter("--tiers", format!("tier table {name} has no tier for category {}", c.key)));
        }
        Ok(Tiers { name: name.to_string(), description, by_category })
    }
}
