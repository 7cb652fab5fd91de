//! Walking profiles: which ways are walkable and at what speed, as data
//! (`data/profiles.toml`, compiled in). Deciding a way is `O(list lengths)`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::TagLookup;
use crate::error::{Error, Result};

/// The compiled-in profiles (`data/profiles.toml`).
pub const DEFAULT_PROFILES_TOML: &str = include_str!("../../data/profiles.toml");

/// One walking profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// What the profile models.
    #[serde(default)]
    pub description: String,
    /// Walking speed in km/h (give this or `speed_m_s` in the file).
    #[serde(default)]
    pub speed_kmh: f64,
    /// Walking speed in m/s, an alternative to `speed_kmh` in the file (normalised into it when read).
    #[serde(default)]
    pub speed_m_s: Option<f64>,
    /// Speed factor per `highway=*` value (e.g. `steps = 0.5`); 1 when not listed.
    #[serde(default)]
    pub highway_speed_factor: BTreeMap<String, f64>,
    /// Speed factor per `surface=*` value (e.g. `gravel = 0.8`); 1 when not listed.
    #[serde(default)]
    pub surface_speed_factor: BTreeMap<String, f64>,
    /// Ways with any of these tags are not walkable (e.g. `wheelchair = ["no"]`).
    #[serde(default)]
    pub forbidden_way_tags: BTreeMap<String, Vec<String>>,
    /// Nodes with any of these tags cannot be passed (e.g. `kerb = ["raised"]`): the way is cut there.
    #[serde(default)]
    pub blocked_node_tags: BTreeMap<String, Vec<String>>,
    /// `highway=*` values that are walkable (`"*"`: any value not in `highways_excluded`).
    pub highways: Vec<String>,
    /// `highway=*` values never walkable (used with `"*"` in `highways`).
    #[serde(default)]
    pub highways_excluded: Vec<String>,
    /// Ways tagged `area=yes` are skipped (the outline of a pedestrian square is not a walk).
    #[serde(default)]
    pub skip_areas: bool,
    /// `highway=*` values walkable only when `foot=*` allows it.
    #[serde(default)]
    pub highways_if_foot_allowed: Vec<String>,
    /// `foot=*` values that allow walking and override `access=*`.
    #[serde(default)]
    pub foot_allowed: Vec<String>,
    /// `foot=*` values that forbid walking.
    #[serde(default)]
    pub foot_forbidden: Vec<String>,
    /// `access=*` values that forbid walking unless `foot=*` allows it.
    #[serde(default)]
    pub access_forbidden: Vec<String>,
}

impl Profile {
    /// Walking speed in metres per second.
    pub fn speed_m_s(&self) -> f64 {
        self.speed_kmh / 3.6
    }

    /// Speed factor of a walkable way: its highway factor times its surface factor.
    pub fn speed_factor<T: TagLookup + ?Sized>(&self, tags: &T) -> f64 {
        let h = tags.tag("highway").and_then(|h| self.highway_speed_factor.get(h)).copied().unwrap_or(1.0);
        let s = tags.tag("surface").and_then(|v| self.surface_speed_factor.get(v)).copied().unwrap_or(1.0);
        h * s
    }

    /// Does a node with these tags block passage?
    pub fn blocks_node<T: TagLookup + ?Sized>(&self, tags: &T) -> bool {
        any_tag_matches(&self.blocked_node_tags, tags)
    }

    /// Does the profile block any node at all (so node tags must be read)?
    pub fn has_blocked_nodes(&self) -> bool {
        !self.blocked_node_tags.is_empty()
    }

    /// Every key [`Profile::is_walkable`], [`Profile::speed_factor`] and [`Profile::blocks_node`] may look up.
    pub fn lookup_keys(&self) -> impl Iterator<Item = &str> + '_ {
        let rule_keys = self.forbidden_way_tags.keys().chain(self.blocked_node_tags.keys()).map(String::as_str);
        ["highway", "surface", "foot", "area", "access"].into_iter().chain(rule_keys)
    }

    /// Is a way with these tags walkable in this profile?
    pub fn is_walkable<T: TagLookup + ?Sized>(&self, tags: &T) -> bool {
        let Some(highway) = tags.tag("highway") else { return false };
        let foot = tags.tag("foot");
        let foot_allowed = foot.is_some_and(|f| self.foot_allowed.iter().any(|a| a == f));
        if foot.is_some_and(|f| self.foot_forbidden.iter().any(|a| a == f)) {
            return false;
        }
        if self.highways_excluded.iter().any(|h| h == highway) || any_tag_matches(&self.forbidden_way_tags, tags) {
            return false;
        }
        if self.skip_areas && tags.tag("area") == Some("yes") {
            return false;
        }
        let if_foot = self.highways_if_foot_allowed.iter().any(|h| h == highway);
        let listed = self.highways.iter().any(|h| h == highway || (h == "*" && !if_foot));
        if !(listed || (if_foot && foot_allowed)) {
            return false;
        }
        let access_forbidden = tags.tag("access").is_some_and(|a| self.access_forbidden.iter().any(|x| x == a));
        !access_forbidden || foot_allowed
    }
}

/// Does any `(key, values)` pair match the tags (`"*"` accepts any value)?
fn any_tag_matches<T: TagLookup + ?Sized>(rules: &BTreeMap<String, Vec<String>>, tags: &T) -> bool {
    rules.iter().any(|(k, vals)| tags.tag(k).is_some_and(|v| vals.iter().any(|w| w == v || w == "*")))
}

/// A set of named profiles.
#[derive(Debug, Clone)]
pub struct Profiles {
    /// Profiles by name.
    pub profiles: BTreeMap<String, Profile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfiles {
    profile: BTreeMap<String, Profile>,
}

impl Profiles {
    /// The compiled-in profiles.
    pub fn builtin() -> Profiles {
        Profiles::from_toml(DEFAULT_PROFILES_TOML, Path::new("<built-in profiles>"))
            .expect("the built-in profiles are valid (checked by a test)")
    }

    /// Parses profiles from TOML text; `path` names it in errors.
    pub fn from_toml(text: &str, path: &Path) -> Result<Profiles> {
        let mut raw: RawProfiles = toml::from_str(text)
            .map_err(|e| Error::table(path, format!("invalid profiles: {}", super::toml_error(text, &e))))?;
        for (name, p) in &mut raw.profile {
            match (p.speed_kmh, p.speed_m_s) {
                (0.0, Some(ms)) => p.speed_kmh = ms * 3.6,
                (_, Some(_)) => {
                    return Err(Error::table(path, format!("profile {name}: give speed_kmh or speed_m_s, not both")));
                }
                _ => {}
            }
            p.speed_m_s = None;
            if !(p.speed_kmh.is_finite() && p.speed_kmh >= 0.1 && p.speed_kmh < 100.0) {
                return Err(Error::table(path, format!("profile {name}: the speed must be in [0.1, 100) km/h")));
            }
            let factors = p.highway_speed_factor.values().chain(p.surface_speed_factor.values());
            if let Some(f) = factors.into_iter().find(|f| !(f.is_finite() && **f > 0.0 && **f <= 10.0)) {
                return Err(Error::table(path, format!("profile {name}: speed factor {f} is not in (0, 10]")));
            }
            if p.highways.is_empty() {
                return Err(Error::table(path, format!("profile {name}: no walkable highway listed")));
            }
        }
        Ok(Profiles { profiles: raw.profile })
    }

    /// The profile named `name`.
    pub fn get(&self, name: &str) -> Result<&Profile> {
        self.profiles.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.profiles.keys().map(String::as_str).collect();
            Error::parameter("--profile", format!("unknown profile {name:?} (known: {})", known.join(", ")))
        })
    }
}
