//! B − A, metric by metric, with warnings for runs made differently.
//! `O((n + m) log(n + m))` for `n` and `m` metrics.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{Comparison, DISTRICTS_FILE, DistrictTable, Metric, MetricRow, RunTable, SUMMARY_FILE, Unit};

/// Compares two runs metric by metric: B − A for every metric both have, warnings for
/// inputs and parameters that differ and for metrics found on one side only.
pub fn compare(a: &RunTable, b: &RunTable) -> Comparison {
    let mut warnings = Vec::new();
    match (a, b) {
        (RunTable::Summary(sa), RunTable::Summary(sb)) => {
            for ((name, va), (_, vb)) in sa.settings.items.iter().zip(&sb.settings.items) {
                if va != vb {
                    warnings.push(format!("{name} differs: A {va}, B {vb}"));
                }
            }
            let only =
                |x: &[String], y: &[String]| -> Vec<String> { x.iter().filter(|k| !y.contains(k)).cloned().collect() };
            let (only_a, only_b) = (only(&sa.categories, &sb.categories), only(&sb.categories, &sa.categories));
            if !only_a.is_empty() {
                warnings.push(format!("categories only in A: {}", only_a.join(", ")));
            }
            if !only_b.is_empty() {
                warnings.push(format!("categories only in B: {}", only_b.join(", ")));
            }
        }
        (RunTable::Districts(da), RunTable::Districts(db)) => {
            let keys = |d: &DistrictTable| d.rows.iter().map(|r| r.0.clone()).collect::<BTreeSet<_>>();
            let (ka, kb) = (keys(da), keys(db));
            let only_a: Vec<&str> = ka.difference(&kb).map(String::as_str).collect();
            let only_b: Vec<&str> = kb.difference(&ka).map(String::as_str).collect();
            if !only_a.is_empty() {
                warnings.push(format!("districts only in A: {}", only_a.join(", ")));
            }
            if !only_b.is_empty() {
                warnings.push(format!("districts only in B: {}", only_b.join(", ")));
            }
            if da.columns != db.columns {
                warnings.push(format!("columns differ: A {}, B {}", da.columns.join(","), db.columns.join(",")));
            }
        }
        _ => warnings.push(format!("A is {} and B is {}: they share no metric", a.kind(), b.kind())),
    }

    let (ma, mb) = (a.metrics(), b.metrics());
    // Merge the two name lists: A's order, each B-only metric right after its predecessor in B.
    let mut order: Vec<String> = ma.iter().map(|m| m.name.clone()).collect();
    let index: BTreeMap<String, usize> = order.iter().enumerate().map(|(i, n)| (n.clone(), i)).collect();
    let mut pending: Vec<(usize, Vec<String>)> = Vec::new(); // (insert before A's position, names)
    let mut after = 0usize; // insert B-only names before A's position `after`
    for m in &mb {
        match index.get(&m.name) {
            Some(&i) => after = i + 1,
            None => match pending.last_mut() {
                Some((pos, names)) if *pos == after => names.push(m.name.clone()),
                _ => pending.push((after, vec![m.name.clone()])),
            },
        }
    }
    // Insert from the back so earlier positions stay valid; groups at the same position keep B's order.
    pending.sort_by_key(|(pos, _)| *pos);
    let mut merged: Vec<String> = Vec::with_capacity(order.len() + pending.iter().map(|p| p.1.len()).sum::<usize>());
    let mut groups = pending.into_iter().peekable();
    for (i, name) in order.drain(..).enumerate() {
        while let Some((_, names)) = groups.next_if(|(pos, _)| *pos == i) {
            merged.extend(names);
        }
        merged.push(name);
    }
    for (_, names) in groups {
        merged.extend(names);
    }

    if let (RunTable::Summary(sa), RunTable::Summary(sb)) = (a, b) {
        let mut minutes = sb.threshold_minutes.clone();
        minutes.extend(sa.threshold_minutes.iter().map(|(k, v)| (k.clone(), *v)));
        sort_threshold_blocks(&mut merged, &minutes);
    }

    let by_name = |ms: &[Metric]| -> BTreeMap<String, (Unit, Option<f64>)> {
        ms.iter().map(|m| (m.name.clone(), (m.unit, m.value))).collect()
    };
    let (va, vb) = (by_name(&ma), by_name(&mb));
    let mut one_sided = [0usize; 2];
    let rows = merged
        .into_iter()
        .map(|metric| {
            let ea = va.get(&metric);
            let eb = vb.get(&metric);
            match (ea, eb) {
                (Some(_), None) => one_sided[0] += 1,
                (None, Some(_)) => one_sided[1] += 1,
                _ => {}
            }
            let unit = ea.or(eb).map_or(Unit::Number, |e| e.0);
            let a = ea.and_then(|e| e.1);
            let b = eb.and_then(|e| e.1);
            let difference = match (a, b) {
                (Some(x), Some(y)) => Some(y - x),
                _ => None,
            };
            MetricRow { metric, unit, a, b, difference }
        })
        .collect();
    if one_sided[0] > 0 {
        warnings.push(format!("{} metrics only in A", one_sided[0]));
    }
    if one_sided[1] > 0 {
        warnings.push(format!("{} metrics only in B", one_sided[1]));
    }
    Comparison { sources: [a.source().display().to_string(), b.source().display().to_string()], warnings, rows }
}

/// `(category, minutes, 0 for homes / 1 for population)` of a per-threshold metric name.
pub(super) fn threshold_key<'n>(name: &'n str, minutes: &BTreeMap<String, f64>) -> Option<(&'n str, f64, u8)> {
    let (key, rest) = name.split_once('.')?;
    let (kind, label) = rest.split_once('@')?;
    let kind = match kind {
        "share" => 0,
        "share_population" => 1,
        _ => return None,
    };
    Some((key, minutes.get(label).copied().unwrap_or(f64::INFINITY), kind))
}

/// Sorts each category's run of per-threshold metrics (A's and B's thresholds merged) by minutes.
pub(super) fn sort_threshold_blocks(names: &mut [String], minutes: &BTreeMap<String, f64>) {
    let mut start = 0;
    while start < names.len() {
        let Some((key, ..)) = threshold_key(&names[start], minutes) else {
            start += 1;
            continue;
        };
        let key = key.to_string();
        let mut end = start + 1;
        while end < names.len() && threshold_key(&names[end], minutes).is_some_and(|t| t.0 == key) {
            end += 1;
        }
        names[start..end].sort_by(|x, y| {
            let (tx, ty) = (threshold_key(x, minutes), threshold_key(y, minutes));
            let (tx, ty) = (tx.expect("in block"), ty.expect("in block"));
            tx.1.total_cmp(&ty.1).then(tx.2.cmp(&ty.2))
        });
        start = end;
    }
}

/// The default label of a run: the folder's name, or for a `summary.json` / `districts.csv`
/// the name of the folder holding it, else the file's name.
pub fn default_label(path: &Path) -> String {
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    let own = name(path);
    let generic = matches!(own.as_deref(), Some(SUMMARY_FILE) | Some(DISTRICTS_FILE));
    let parent = if generic { path.parent().and_then(name) } else { None };
    parent.or(own).unwrap_or_else(|| path.display().to_string())
}

/// Default labels for two runs ([`default_label`]); `A: name` / `B: name` when both names are equal.
pub fn default_labels(a: &Path, b: &Path) -> [String; 2] {
    let (la, lb) = (default_label(a), default_label(b));
    if la == lb { [format!("A: {la}"), format!("B: {lb}")] } else { [la, lb] }
}
