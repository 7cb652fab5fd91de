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
    /// Walking speed in km/h.
    pub speed_kmh: f64,
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

    /// Is a way with these tags walkable in this profile?
    pub fn is_walkable<T: TagLookup + ?Sized>(&self, tags: &T) -> bool {
        let Some(highway) = tags.tag("highway") else { return false };
        let foot = tags.tag("foot");
        let foot_allowed = foot.is_some_and(|f| self.foot_allowed.iter().any(|a| a == f));
        if foot.is_some_and(|f| self.foot_forbidden.iter().any(|a| a == f)) {
            return false;
        }
        if self.highways_excluded.iter().any(|h| h == highway) {
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
        let raw: RawProfiles = toml::from_str(text)
            .map_err(|e| Error::table(path, format!("invalid profiles: {}", super::toml_error(text, &e))))?;
        for (name, p) in &raw.profile {
            if !(p.speed_kmh.is_finite() && p.speed_kmh > 0.0 && p.speed_kmh < 100.0) {
                return Err(Error::table(path, format!("profile {name}: speed_kmh must be in (0, 100)")));
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
