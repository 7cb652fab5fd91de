//! District statistics: the Gini coefficient and percentiles against hand
//! values and a brute-force double sum, policy targets as data (the built-in
//! Tianjin file and malformed files), and target evaluation on hand-built
//! district rows with every share, margin and shortfall worked out by hand.

use std::path::Path;

use lifecircle::district::gini::{gini, percentile};
use lifecircle::district::targets::{
    Measure, Metric, Miss, Op, RuleResult, Subject, Targets, evaluate, misses_summary,
};
use lifecircle::district::{CategoryStats, DistrictRow, UnitTier};
use lifecircle::{Error, ErrorKind, Taxonomy};

use crate::common::repo_file;
use crate::common::rng::SplitMix64;

const EPS: f64 = 1e-12;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < EPS
}

// ---------------------------------------------------------------- Gini

/// Σ_i Σ_j |x_i − x_j| / (2 n² mean): the definition, O(n²).
fn gini_brute(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let mut sum = 0.0;
    for a in values {
        for b in values {
            sum += (a - b).abs();
        }
    }
    sum / (2.0 * n * n * mean)
}

#[test]
fn gini_hand_values() {
    // All equal: no inequality.
    assert_eq!(gini(&[1.0, 1.0, 1.0, 1.0]), Some(0.0));
    assert_eq!(gini(&[12.5]), Some(0.0));
    // [0,0,0,1]: sorted ranks 1..4, Σ i·x = 4·1 = 4; 2·4/(4·1) − 5/4 = 0.75.
    assert!(close(gini(&[0.0, 0.0, 0.0, 1.0]).unwrap(), 0.75));
    // [1..5]: Σ i·x = 1+4+9+16+25 = 55, Σ x = 15; 110/75 − 6/5 = 20/75 = 0.2667.
    let g = gini(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
    assert!(close(g, 4.0 / 15.0));
    assert!((g - 0.2667).abs() < 1e-4);
    // [1,3]: |1−3|·2 / (2·4·2) = 4/16 = 0.25.
    assert!(close(gini(&[3.0, 1.0]).unwrap(), 0.25));
    // Order does not matter.
    assert!(close(gini(&[5.0, 1.0, 4.0, 2.0, 3.0]).unwrap(), 4.0 / 15.0));
}

#[test]
fn gini_undefined() {
    assert_eq!(gini(&[]), None);
    assert_eq!(gini(&[0.0]), None);
    assert_eq!(gini(&[0.0, 0.0, 0.0]), None);
    assert_eq!(gini(&[1.0, -0.5]), None);
    assert_eq!(gini(&[1.0, f64::NAN]), None);
    assert_eq!(gini(&[1.0, f64::INFINITY]), None);
}

#[test]
fn gini_matches_double_sum_on_random_data() {
    for seed in [1_u64, 7, 42, 2024, 0xDEAD_BEEF] {
        let mut rng = SplitMix64::new(seed);
        for _ in 0..40 {
            let n = rng.range(1, 60);
            let values: Vec<f64> = (0..n).map(|_| if rng.chance(0.2) { 0.0 } else { rng.float(0.0, 120.0) }).collect();
            let Some(g) = gini(&values) else {
                assert!(values.iter().all(|v| *v == 0.0), "seed {seed}: None for {values:?}");
                continue;
            };
            let reference = gini_brute(&values);
            assert!((g - reference).abs() < 1e-9, "seed {seed}: {g} vs {reference} for {values:?}");
            assert!((0.0..=1.0 - 1.0 / n as f64 + 1e-12).contains(&g), "seed {seed}: {g} out of range");
            // Scale invariance: minutes or seconds give the same coefficient.
            let scaled: Vec<f64> = values.iter().map(|v| v * 60.0).collect();
            assert!((gini(&scaled).unwrap() - g).abs() < 1e-9, "seed {seed}: not scale invariant");
        }
    }
}

#[test]
fn percentile_nearest_rank() {
    let ten: Vec<f64> = (1..=10).map(f64::from).collect();
    // rank = max(1, ⌈p·n/100⌉): p90 of 10 values is rank 9, p91 rank 10, p50 rank 5, p0 rank 1.
    assert_eq!(percentile(&ten, 90.0), Some(9.0));
    assert_eq!(percentile(&ten, 91.0), Some(10.0));
    assert_eq!(percentile(&ten, 50.0), Some(5.0));
    assert_eq!(percentile(&ten, 0.0), Some(1.0));
    assert_eq!(percentile(&ten, 100.0), Some(10.0));
    // 3 values: p50 → ⌈1.5⌉ = 2; p90 → ⌈2.7⌉ = 3; p33 → ⌈0.99⌉ = 1.
    let three = [2.0, 4.0, 8.0];
    assert_eq!(percentile(&three, 50.0), Some(4.0));
    assert_eq!(percentile(&three, 90.0), Some(8.0));
    assert_eq!(percentile(&three, 33.0), Some(2.0));
    assert_eq!(percentile(&[], 50.0), None);
    assert_eq!(percentile(&ten, -1.0), None);
    assert_eq!(percentile(&ten, 100.5), None);
    assert_eq!(percentile(&ten, f64::NAN), None);
}

// ---------------------------------------------------------------- targets as data

fn table_error(err: &Error) -> (String, String) {
    match err.kind() {
        ErrorKind::Table { path, message } => (path.display().to_string(), message.clone()),
        other => panic!("expected a table error, got {other:?}"),
    }
}

const HEADER: &str = "version = 1\nname = \"test\"\n";

fn rule(id: &str, metric: &str, op: &str, value: &str) -> String {
    format!("[[rule]]\nid = \"{id}\"\nmetric = \"{metric}\"\nop = \"{op}\"\nvalue = {value}\nsource = \"test\"\n\n")
}

fn parse(text: &str) -> lifecircle::Result<Targets> {
    Targets::from_toml(text, Path::new("my-targets.toml"), &Taxonomy::builtin())
}

#[test]
fn builtin_targets_parse() {
    let targets = Targets::builtin();
    assert_eq!(targets.name, "tianjin-2025");
    assert!(!targets.description.is_empty());
    let ids: Vec<&str> = targets.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "T10-homes",
            "T10-population",
            "T16-homes",
            "T16-population",
            "T10-units",
            "T10-units-walk",
            "T4-centre",
            "T4-base",
            "T4-place"
        ]
    );
    let expect = [
        ("childcare", Measure::Share, 0.60, None),
        ("childcare", Measure::PopulationShare, 0.60, None),
        ("elder_canteen", Measure::Share, 1.0, None),
        ("elder_canteen", Measure::PopulationShare, 1.0, None),
        ("childcare", Measure::UnitsWithFacility, 0.60, Some(UnitTier::Community)),
        ("childcare", Measure::UnitsMedianWithin, 0.60, Some(UnitTier::Community)),
        ("elder_centre", Measure::Facilities, 1.0, Some(UnitTier::District)),
        ("elder_base", Measure::Facilities, 1.0, Some(UnitTier::Subdistrict)),
        ("elder_place", Measure::Facilities, 1.0, Some(UnitTier::Community)),
    ];
    for (rule, (key, measure, value, unit)) in targets.rules.iter().zip(expect) {
        assert_eq!(rule.metric, Metric { subject: Subject::Category(key.to_string()), measure }, "{}", rule.id);
        assert_eq!(rule.op, Op::Ge, "{}", rule.id);
        assert_eq!(rule.value, value, "{}", rule.id);
        assert_eq!(rule.unit, unit, "{}", rule.id);
        assert!(rule.note.is_some(), "{}", rule.id);
    }
    // The T10/T16 rules read the default taxonomy's categories, T4's the
    // elderly-three-tier list's: a run with the default taxonomy says so.
    let unchecked = targets.unchecked(&Taxonomy::builtin());
    assert_eq!(unchecked.len(), 3, "{unchecked:?}");
    assert!(unchecked.iter().all(|n| n.starts_with("target T4-")), "{unchecked:?}");
    assert!(targets.unchecked(&Taxonomy::bundled("elderly-three-tier").unwrap()).iter().all(|n| !n.contains("T4-")));
    // The file on disk is the compiled-in one and parses the same.
    let text = std::fs::read_to_string(repo_file("data/targets/tianjin-2025.toml")).unwrap();
    let bundled: Vec<Taxonomy> = Taxonomy::bundled_names().into_iter().filter_map(Taxonomy::bundled).collect();
    let refs: Vec<&Taxonomy> = bundled.iter().collect();
    let from_file = Targets::from_toml_any(&text, &repo_file("data/targets/tianjin-2025.toml"), &refs).unwrap();
    assert_eq!(from_file, targets);
    // As a --targets file, with any taxonomy (T4's categories are a bundled list's).
    let path = repo_file("data/targets/tianjin-2025.toml");
    assert_eq!(Targets::from_file(&path, &Taxonomy::builtin()).unwrap(), targets);
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("typo.toml");
    std::fs::write(&typo, text.replace("elder_place facilities", "elder_palce facilities")).unwrap();
    let e = Targets::from_file(&typo, &Taxonomy::builtin()).unwrap_err().to_string();
    assert!(e.contains("typo.toml") && e.contains("unknown category \"elder_palce\""), "{e}");
}

/// Every built-in rule cites its seeds rule id and an exact sentence of the policy document.
#[test]
fn builtin_sources_quote_the_document() {
    let document = std::fs::read_to_string(repo_file("seeds/000_a2dc82977ebadffb.txt")).unwrap();
    for rule in Targets::builtin().rules {
        let seeds_id = rule.id.split('-').next().unwrap();
        assert!(rule.source.starts_with(&format!("{seeds_id}: ")), "{}: {}", rule.id, rule.source);
        let start = rule.source.find('「').unwrap_or_else(|| panic!("{}: no quote", rule.id)) + '「'.len_utf8();
        let end = rule.source.find('」').unwrap_or_else(|| panic!("{}: unterminated quote", rule.id));
        let quote = &rule.source[start..end];
        assert!(!quote.is_empty() && document.contains(quote), "{}: {quote:?} is not in the document", rule.id);
    }
}

#[test]
fn metric_and_op_grammar() {
    let m = Metric::parse("complete population_share").unwrap();
    assert_eq!(m, Metric { subject: Subject::Complete, measure: Measure::PopulationShare });
    assert_eq!(m.to_string(), "complete population_share");
    assert_eq!(Metric::parse("  grocery   share ").unwrap().to_string(), "grocery share");
    for bad in ["", "grocery", "grocery share extra", "grocery ratio", "share grocery"] {
        assert_eq!(Metric::parse(bad), None, "{bad:?}");
    }
    for (text, op) in [(">=", Op::Ge), (">", Op::Gt), ("<=", Op::Le), ("<", Op::Lt)] {
        assert_eq!(Op::parse(text), Some(op));
        assert_eq!(op.to_string(), text);
    }
    assert_eq!(Op::parse("=>"), None);
    assert_eq!(Op::parse("=="), None);
}

#[test]
fn custom_targets_parse() {
    let text = format!(
        "{HEADER}description = \"d\"\n{}{}",
        rule("A", "complete share", ">", "0.5"),
        rule("B", "grocery population_share", "<", "1")
    );
    let t = parse(&text).unwrap();
    assert_eq!(t.name, "test");
    assert_eq!(t.description, "d");
    assert_eq!(t.rules.len(), 2);
    assert_eq!(t.rules[0].metric.subject, Subject::Complete);
    assert_eq!(t.rules[1].op, Op::Lt);
    assert_eq!(t.rules[1].note, None);
    // No rules at all is a valid (empty) target set.
    assert!(parse(HEADER).unwrap().rules.is_empty());
}

#[test]
fn malformed_targets_are_table_errors_naming_the_file() {
    let cases: Vec<(String, &[&str])> = vec![
        ("version = 1\nname = \"x\n".to_string(), &["invalid targets", "line 2"]),
        (format!("{HEADER}[[rule]]\nid = \"A\"\n"), &["invalid targets", "missing field"]),
        (format!("{HEADER}{}", rule("T99", "bakery share", ">=", "0.5")), &["rule T99", "unknown category \"bakery\""]),
        (format!("{HEADER}{}", rule("T98", "grocery share", "=>", "0.5")), &["rule T98", "bad op \"=>\""]),
        (format!("{HEADER}{}", rule("T97", "grocery ratio", ">=", "0.5")), &["rule T97", "bad metric"]),
        (format!("{HEADER}{}", rule("T96", "grocery share", ">=", "60")), &["rule T96", "not a share"]),
        (
            format!("{HEADER}{}{}", rule("D", "grocery share", ">=", "0.5"), rule("D", "clinic share", ">=", "0.5")),
            &["rule D", "duplicate id"],
        ),
        (format!("{HEADER}{}", rule("", "grocery share", ">=", "0.5")), &["rule 1", "empty id"]),
        ("version = 2\nname = \"x\"\n".to_string(), &["unsupported targets version 2"]),
        (format!("{HEADER}colour = \"red\"\n"), &["invalid targets", "colour"]),
        (
            format!(
                "{HEADER}[[rule]]\nid = \"S\"\nmetric = \"grocery share\"\nop = \">=\"\nvalue = 0.5\nsource = \" \"\n"
            ),
            &["rule S", "empty source"],
        ),
    ];
    for (text, needles) in cases {
        let err = parse(&text).expect_err(&text);
        let (path, message) = table_error(&err);
        assert_eq!(path, "my-targets.toml", "{text}");
        let shown = err.to_string();
        assert!(shown.starts_with("my-targets.toml: "), "{shown}");
        assert!(!shown.contains('\n'), "one line: {shown:?}");
        for needle in needles {
            assert!(message.contains(needle), "{needle:?} not in {message:?} for\n{text}");
        }
        assert!(err.is_input_error());
    }
}

#[test]
fn target_files_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, format!("{HEADER}{}", rule("T5", "bakery share", ">=", "0.5"))).unwrap();
    let err = Targets::from_file(&path, &Taxonomy::builtin()).unwrap_err();
    let shown = err.to_string();
    assert!(shown.starts_with(&path.display().to_string()), "{shown}");
    assert!(shown.contains("rule T5") && shown.contains("bakery"), "{shown}");
    // A bundled list's category (pharmacy: mofcom-2021) is accepted and, with a taxonomy
    // that lacks it, reported as not checked.
    let other = dir.path().join("pharmacy.toml");
    std::fs::write(&other, format!("{HEADER}{}", rule("T5", "pharmacy share", ">=", "0.5"))).unwrap();
    let targets = Targets::from_file(&other, &Taxonomy::builtin()).unwrap();
    assert_eq!(targets.unchecked(&Taxonomy::builtin()).len(), 1);
    assert!(targets.unchecked(&Taxonomy::bundled("mofcom-2021").unwrap()).is_empty());

    let missing = dir.path().join("missing.toml");
    let err = Targets::from_file(&missing, &Taxonomy::builtin()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Io { path, .. } if *path == missing), "{err}");
}

// ---------------------------------------------------------------- evaluation

/// A category's stats with the counts the evaluation reads.
fn cat(key: &str, homes_covered: usize, share: f64, population_covered: f64, share_population: f64) -> CategoryStats {
    CategoryStats {
        key: key.to_string(),
        homes_covered,
        share,
        population_covered,
        share_population,
        ..Default::default()
    }
}

fn row(key: &str, homes: usize, population: f64, categories: Vec<CategoryStats>, complete: f64) -> DistrictRow {
    DistrictRow {
        key: key.to_string(),
        homes,
        population,
        categories,
        complete_share: complete,
        complete_share_population: complete,
        ..Default::default()
    }
}

/// Three districts with shares worked out by hand, and an empty one.
///
/// | district | homes | pop  | childcare homes | childcare pop   | complete | grocery homes |
/// |----------|-------|------|-----------------|-----------------|----------|---------------|
/// | north    | 10    | 25   | 7 (0.7)         | 15 (0.6)        | 0.5 (5)  | 4 (0.4)       |
/// | south    | 7     | 20.5 | 2 (2/7)         | 6.5 (6.5/20.5)  | 1/7 (1)  | 6 (6/7)       |
/// | empty    | 0     | 0    | 0               | 0               | 0        | 0             |
/// | west     | 10    | 10   | 6 (0.6)         | 6 (0.6)         | 0.6 (6)  | 5 (0.5)       |
fn rows() -> Vec<DistrictRow> {
    vec![
        row(
            "north",
            10,
            25.0,
            vec![cat("childcare", 7, 0.7, 15.0, 15.0 / 25.0), cat("grocery", 4, 0.4, 10.0, 0.4)],
            0.5,
        ),
        row(
            "south",
            7,
            20.5,
            vec![cat("childcare", 2, 2.0 / 7.0, 6.5, 6.5 / 20.5), cat("grocery", 6, 6.0 / 7.0, 18.0, 18.0 / 20.5)],
            1.0 / 7.0,
        ),
        row("empty", 0, 0.0, vec![cat("childcare", 0, 0.0, 0.0, 0.0), cat("grocery", 0, 0.0, 0.0, 0.0)], 0.0),
        row("west", 10, 10.0, vec![cat("childcare", 6, 6.0 / 10.0, 6.0, 0.6), cat("grocery", 5, 0.5, 5.0, 0.5)], 0.6),
    ]
}

fn hand_targets() -> Targets {
    let text = format!(
        "{HEADER}{}{}{}{}{}",
        rule("A", "childcare share", ">=", "0.6"),
        rule("B", "childcare population_share", ">=", "0.6"),
        rule("C", "complete share", ">", "0.5"),
        rule("D", "grocery share", "<=", "0.5"),
        rule("E", "childcare share", ">=", "0.7"),
    );
    parse(&text).unwrap()
}

/// `(rule, district, pass, margin, homes_short, people_short)`.
type Expected = (&'static str, &'static str, bool, f64, usize, f64);

#[test]
fn evaluation_by_hand() {
    let results = evaluate(&hand_targets(), &rows());
    let expected: [Expected; 15] = [
        // A: childcare share >= 0.6.
        ("A", "north", true, 0.1, 0, 0.0), // 0.7 − 0.6
        // south: 2/7 − 0.6 = −0.3143; ⌈0.6·7 − 2⌉ = ⌈2.2⌉ = 3 (5/7 = 0.714 passes, 4/7 = 0.571 does not).
        ("A", "south", false, 2.0 / 7.0 - 0.6, 3, 0.0),
        ("A", "west", true, 0.0, 0, 0.0), // 6/10 = 0.6 exactly: passes on the boundary
        // B: childcare population_share >= 0.6.
        ("B", "north", true, 0.0, 0, 0.0), // 15/25 = 0.6
        // south: 6.5/20.5 = 0.3171; ⌈0.6·20.5 − 6.5⌉ = ⌈5.8⌉ = 6 people (12.5/20.5 = 0.610; 11.5/20.5 = 0.561).
        ("B", "south", false, 6.5 / 20.5 - 0.6, 0, 6.0),
        ("B", "west", true, 0.0, 0, 0.0),
        // C: complete share > 0.5 (strict).
        // north: 0.5 is not > 0.5, margin 0; covered 5 of 10, 6/10 > 0.5 → 1 home.
        ("C", "north", false, 0.0, 1, 0.0),
        // south: 1/7 − 0.5 = −0.357; covered 1, need (1+k)/7 > 0.5 → k > 2.5 → 3.
        ("C", "south", false, 1.0 / 7.0 - 0.5, 3, 0.0),
        ("C", "west", true, 0.1, 0, 0.0), // 0.6 − 0.5
        // D: grocery share <= 0.5 (an upper bound: margin = target − actual; short = covered homes too many).
        ("D", "north", true, 0.1, 0, 0.0), // 0.5 − 0.4
        // south: 0.5 − 6/7 = −0.357; (6−k)/7 <= 0.5 → k >= 2.5 → 3.
        ("D", "south", false, 0.5 - 6.0 / 7.0, 3, 0.0),
        ("D", "west", true, 0.0, 0, 0.0), // 0.5 <= 0.5
        // E: childcare share >= 0.7.
        ("E", "north", true, 0.0, 0, 0.0), // 0.7
        // south: ⌈0.7·7 − 2⌉ = ⌈2.9⌉ = 3 (5/7 = 0.714 passes; 4/7 = 0.571 does not).
        ("E", "south", false, 2.0 / 7.0 - 0.7, 3, 0.0),
        // west: 0.6 − 0.7 = −0.1; ⌈0.7·10 − 6⌉ = 1 (7/10 passes).
        ("E", "west", false, 0.6 - 0.7, 1, 0.0),
    ];
    assert_eq!(results.len(), expected.len(), "the empty district gives no results: {results:#?}");
    for (r, (rule, district, pass, margin, homes_short, people_short)) in results.iter().zip(expected) {
        let what = format!("{rule} {district}: {r:?}");
        assert_eq!((r.rule_id.as_str(), r.district.as_str()), (rule, district), "{what}");
        assert_eq!(r.pass, pass, "{what}");
        assert!((r.margin - margin).abs() < 1e-12, "{what}: margin {margin}");
        assert!(close(r.actual - r.target, if rule == "D" { -margin } else { margin }), "{what}");
        assert_eq!(r.homes_short, homes_short, "{what}");
        assert_eq!(r.people_short, people_short, "{what}");
    }
    // Passing results owe nothing.
    assert!(results.iter().filter(|r| r.pass).all(|r| r.homes_short == 0 && r.people_short == 0.0));
}

#[test]
fn shortfalls_are_the_least_that_passes() {
    // For every failing `>=` share result, covering homes_short more homes passes and one fewer does not.
    let targets = hand_targets();
    let rows = rows();
    for r in evaluate(&targets, &rows).iter().filter(|r| !r.pass && r.homes_short > 0) {
        let rule = targets.rules.iter().find(|x| x.id == r.rule_id).unwrap();
        if rule.metric.measure != Measure::Share || !rule.op.is_lower_bound() {
            continue;
        }
        let row = rows.iter().find(|x| x.key == r.district).unwrap();
        let covered = (r.actual * row.homes as f64).round();
        let at = |k: usize| (covered + k as f64) / row.homes as f64;
        assert!(rule.op.holds(at(r.homes_short), r.target), "{r:?}");
        assert!(!rule.op.holds(at(r.homes_short - 1), r.target), "{r:?}");
    }
}

/// The closed form `⌈target·total − covered⌉` overshoots when `target·total` rounds up in `f64`:
/// 0.28·25 = 7.000000000000001 and 0.56·25 = 14.000000000000002, so a plain ceiling would say 2
/// where 1 suffices (7/25 = 0.28 and 14/25 = 0.56 pass `>=`).
#[test]
fn rounding_does_not_inflate_shortfalls() {
    let text = format!(
        "{HEADER}{}{}",
        rule("H", "childcare share", ">=", "0.28"),
        rule("P", "childcare population_share", ">=", "0.56")
    );
    // 6 of 25 homes (0.24) and 13 of 25 people (0.52) covered.
    let rows = vec![row("east", 25, 25.0, vec![cat("childcare", 6, 6.0 / 25.0, 13.0, 13.0 / 25.0)], 0.0)];
    let results = evaluate(&parse(&text).unwrap(), &rows);
    let got: Vec<(&str, bool, usize, f64)> =
        results.iter().map(|r| (r.rule_id.as_str(), r.pass, r.homes_short, r.people_short)).collect();
    assert_eq!(got, [("H", false, 1, 0.0), ("P", false, 0, 1.0)]);
}

#[test]
fn misses_summary_groups_failures_by_rule() {
    let summary = misses_summary(&evaluate(&hand_targets(), &rows()));
    let expected: Vec<(String, Vec<Miss>)> = vec![
        ("A".into(), vec![("south".into(), 3, 0.0)]),
        ("B".into(), vec![("south".into(), 0, 6.0)]),
        ("C".into(), vec![("north".into(), 1, 0.0), ("south".into(), 3, 0.0)]),
        ("D".into(), vec![("south".into(), 3, 0.0)]),
        ("E".into(), vec![("south".into(), 3, 0.0), ("west".into(), 1, 0.0)]),
    ];
    assert_eq!(summary, expected);
    assert!(misses_summary(&[]).is_empty());
    let all_pass = RuleResult {
        rule_id: "X".into(),
        district: "d".into(),
        actual: 1.0,
        target: 0.5,
        pass: true,
        margin: 0.5,
        homes_short: 0,
        people_short: 0.0,
        units_short: 0,
        facilities_short: 0,
    };
    assert!(misses_summary(&[all_pass]).is_empty());
}

#[test]
fn builtin_targets_on_hand_rows() {
    // One district of 8 homes / 20 people with all four categories:
    // childcare 5 homes (0.625), 11 people (0.55); elder_canteen 8 homes (1.0), 19 people (0.95).
    let rows = vec![row(
        "d1",
        8,
        20.0,
        vec![
            cat("grocery", 8, 1.0, 20.0, 1.0),
            cat("elder_canteen", 8, 1.0, 19.0, 0.95),
            cat("clinic", 3, 0.375, 9.0, 0.45),
            cat("childcare", 5, 0.625, 11.0, 0.55),
        ],
        0.375,
    )];
    let results = evaluate(&Targets::builtin(), &rows);
    let got: Vec<(&str, bool, usize, f64)> =
        results.iter().map(|r| (r.rule_id.as_str(), r.pass, r.homes_short, r.people_short)).collect();
    assert_eq!(
        got,
        [
            ("T10-homes", true, 0, 0.0),       // 0.625 >= 0.6
            ("T10-population", false, 0, 1.0), // 0.55: ⌈0.6·20 − 11⌉ = 1 person (12/20 = 0.6)
            ("T16-homes", true, 0, 0.0),       // 1.0
            ("T16-population", false, 0, 1.0), // 0.95: ⌈20 − 19⌉ = 1 person
        ]
    );
    // A row without the rules' categories (another taxonomy) gives no results.
    let foreign = vec![row("x", 5, 5.0, vec![cat("bakery", 5, 1.0, 5.0, 1.0)], 1.0)];
    assert!(evaluate(&Targets::builtin(), &foreign).is_empty());
}
