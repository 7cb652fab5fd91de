//! Every label of the report and the PNG legend in English and Chinese, from
//! one table (`data/report/labels.json`, compiled in).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::report::map_data::{MapCategory, MapData};

/// The built-in label table.
pub const LABELS_JSON: &str = include_str!("../../data/report/labels.json");

/// A language of the labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// `en` or `zh`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Lang, String> {
        match s.to_ascii_lowercase().as_str() {
            "en" | "english" => Ok(Lang::En),
            "zh" | "zh-cn" | "cn" | "chinese" | "中文" => Ok(Lang::Zh),
            _ => Err(format!("unknown language {s:?} (en or zh)")),
        }
    }
}

/// The label table.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Labels {
    en: BTreeMap<String, String>,
    zh: BTreeMap<String, String>,
}

impl Labels {
    /// The built-in table. Both languages have the same keys (checked by a test).
    pub fn builtin() -> Labels {
        serde_json::from_str(LABELS_JSON).expect("data/report/labels.json is valid (tested)")
    }

    /// The label `key` in `lang`, with `{name}` placeholders replaced from `args`;
    /// the key itself when missing.
    pub fn get(&self, lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
        let table = match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        };
        let mut s = table.get(key).cloned().unwrap_or_else(|| key.to_string());
        for (name, value) in args {
            s = s.replace(&format!("{{{name}}}"), value);
        }
        s
    }

    /// Keys present in one language only.
    pub fn mismatched_keys(&self) -> Vec<String> {
        let a = self.en.keys().filter(|k| !self.zh.contains_key(*k));
        let b = self.zh.keys().filter(|k| !self.en.contains_key(*k));
        a.chain(b).cloned().collect()
    }
}

// Texts the page and the PNG legend both show, worked out once here.

/// The category's label in `lang` (falling back to the other language, then the key).
pub fn category_label(cat: &MapCategory, lang: Lang) -> &str {
    let (first, second) = match lang {
        Lang::En => (&cat.label_en, &cat.label_zh),
        Lang::Zh => (&cat.label_zh, &cat.label_en),
    };
    [first, second].into_iter().find(|s| !s.is_empty()).unwrap_or(&cat.key)
}

/// `300 m` for a tier label `300m`; a minutes label as `15 min`.
pub fn threshold_text(threshold: &str, tiers: bool, labels: &Labels, lang: Lang) -> String {
    if tiers {
        match threshold.strip_suffix('m') {
            Some(n) if n.parse::<f64>().is_ok() => labels.get(lang, "metres", &[("n", n)]),
            _ => threshold.to_string(),
        }
    } else {
        labels.get(lang, "minutes", &[("t", threshold)])
    }
}

/// The `{t}` of the homes' legend title: the shared threshold, or "each
/// category's tier distance" when categories differ.
pub fn shared_threshold(map: &MapData, labels: &Labels, lang: Lang) -> String {
    match map.categories.split_first() {
        Some((first, rest)) if rest.iter().all(|c| c.threshold == first.threshold) => {
            threshold_text(&first.threshold, map.tiers, labels, lang)
        }
        _ => labels.get(lang, "tier_distance", &[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_every_label_and_they_differ() {
        let l = Labels::builtin();
        assert!(l.mismatched_keys().is_empty(), "{:?}", l.mismatched_keys());
        assert_eq!(l.get(Lang::En, "minutes", &[("t", "15")]), "15 min");
        assert_eq!(l.get(Lang::Zh, "minutes", &[("t", "15")]), "15分钟");
        // Only the attribution and a few proper names may read the same in both.
        let same: Vec<&String> = l.en.iter().filter(|(k, v)| l.zh.get(*k) == Some(*v)).map(|(k, _)| k).collect();
        assert_eq!(same, vec!["attribution"]);
    }
}
