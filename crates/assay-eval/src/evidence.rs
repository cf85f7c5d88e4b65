//! Runs and reports as evidence: the `eval-run` item (the log itself) and the `eval-report`
//! item (the feedback as JSON), each with the meta facts rule packs judge. Pure: the caller
//! records the items (the CLI through `assay_assess::record`, the one recording function).
//!
//! The meta keys (a contract with the packs, like `pad-report`'s; renaming one breaks them):
//! - `model` (the provider and model as run, `openai:gpt-4.1`, comma-joined when a log holds
//!   several), `model_version` (what the provider reported, comma-joined), `model_digest` and
//!   `firmware_digest` (the same sha256, when every run of the log was given it: the rules
//!   engine ties evidence to a manifest's model digest through `firmware_digest`);
//! - `suites` (ids), `suite_digests` (`id@sha256`, comma-joined);
//! - `categories`: the categories with at least one scored sample (`defensive,offensive`);
//! - per category C: `C_score` (correct over samples), `C_lower` and `C_upper` and which
//!   bound they are in `C_bound` (`wilson-95`: the two-sided Wilson 95% interval on samples;
//!   `zero-of-n-one-sided-95` at 0 of N: lower 0, upper 1 - 0.05^(1/N)), `C_correct`,
//!   `C_samples`, `C_tasks`; proportions written with 4 decimals;
//! - `samples`, `correct`, `errored`, `tasks` over the log;
//! - `run_ids`, `run_dates` (the days runs started, comma-joined), `run_date` (the latest);
//! - `eval-report` only: `qualification` (`qualifies`, `does-not-qualify`, `indeterminate`,
//!   or `none` without rules), `qualification_rules` (`id@sha256` of the rules file),
//!   `qualification_basis` (the rules file's `source`: what its thresholds rest on), and
//!   `run_log_digest` (the sha256 of the log the report was computed from, recorded beside it
//!   as `eval-run`).
//!
//! Nothing here reads a secret: the log never holds an API key (only the name of its
//! environment variable), and the meta are figures and names taken from the log.

use std::collections::{BTreeMap, BTreeSet};

use assay_core::{EvidenceInput, EvidenceKind};
use assay_pad::confidence::{Sided, wilson};

use crate::error::{EvalError, Result};
use crate::report::{Report, Verdict};

/// Figures of one category over all suites of a log.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryFacts {
    pub category: String,
    pub correct: u64,
    pub samples: u64,
    pub tasks: u64,
    pub score: f64,
    pub lower: f64,
    pub upper: f64,
    /// `wilson-95` or `zero-of-n-one-sided-95`.
    pub bound: &'static str,
}

fn p4(x: f64) -> String {
    format!("{x:.4}")
}

/// The per-category figures of a report, summed over its suites (the report keeps them per
/// suite): the Wilson 95% interval on the summed samples, or at 0 of N the one-sided bound.
pub fn category_facts(r: &Report) -> Vec<CategoryFacts> {
    let mut sums: BTreeMap<&str, (u64, u64, u64)> = BTreeMap::new();
    for g in r.groups.iter().filter(|g| !g.group.contains('/')) {
        if g.group == "all" || g.samples == 0 {
            continue;
        }
        let e = sums.entry(g.group.as_str()).or_default();
        e.0 += g.correct;
        e.1 += g.samples;
        e.2 += g.tasks;
    }
    sums.into_iter()
        .map(|(category, (correct, samples, tasks))| {
            let score = correct as f64 / samples as f64;
            let (lower, upper, bound) = if correct == 0 {
                (
                    0.0,
                    1.0 - 0.05f64.powf(1.0 / samples as f64),
                    "zero-of-n-one-sided-95",
                )
            } else {
                let i = wilson(correct, samples, 0.95, Sided::Two);
                (i.lower, i.upper, "wilson-95")
            };
            CategoryFacts {
                category: category.to_string(),
                correct,
                samples,
                tasks,
                score,
                lower,
                upper,
                bound,
            }
        })
        .collect()
}

/// The model digest every run of the log was given, if any. Runs that disagree (or some
/// with a digest and some without) are an error: the evidence would vouch for a model that
/// only part of the samples came from.
pub fn model_digest(r: &Report, log_name: &str) -> Result<Option<String>> {
    let given: BTreeSet<Option<String>> = r
        .runs
        .iter()
        .map(|l| l.model_digest.as_deref().map(str::to_ascii_lowercase))
        .collect();
    match given.len() {
        0 => Ok(None),
        1 => Ok(given.into_iter().next().flatten()),
        _ => Err(EvalError::invalid(
            log_name,
            0,
            "run.model_digest",
            format!(
                "the log's runs name different model digests ({}); one piece of evidence must \
                 be about one model: keep each model's runs in a log of its own",
                given
                    .iter()
                    .map(|d| d
                        .as_deref()
                        .map_or("none".to_string(), |d| assay_core::quote(d, 70)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// The meta facts shared by `eval-run` and `eval-report` evidence.
pub fn run_meta(r: &Report, log_name: &str) -> Result<BTreeMap<String, String>> {
    let mut m = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        m.insert(k.to_string(), v);
    };
    put("model", r.models.join(","));
    if !r.model_versions.is_empty() {
        put("model_version", r.model_versions.join(","));
    }
    if let Some(d) = model_digest(r, log_name)? {
        put("model_digest", d.clone());
        put("firmware_digest", d);
    }
    put("suites", r.suites.join(","));
    let digests: BTreeSet<String> = r
        .runs
        .iter()
        .filter(|l| !l.suite_digest.is_empty())
        .map(|l| format!("{}@{}", l.suite, l.suite_digest))
        .collect();
    put(
        "suite_digests",
        digests.into_iter().collect::<Vec<_>>().join(","),
    );
    let cats = category_facts(r);
    put(
        "categories",
        cats.iter()
            .map(|c| c.category.as_str())
            .collect::<Vec<_>>()
            .join(","),
    );
    for c in &cats {
        let k = |s: &str| format!("{}_{s}", c.category);
        put(&k("score"), p4(c.score));
        put(&k("lower"), p4(c.lower));
        put(&k("upper"), p4(c.upper));
        put(&k("bound"), c.bound.to_string());
        put(&k("correct"), c.correct.to_string());
        put(&k("samples"), c.samples.to_string());
        put(&k("tasks"), c.tasks.to_string());
    }
    let all: Vec<_> = r.groups.iter().filter(|g| g.group == "all").collect();
    put(
        "samples",
        all.iter().map(|g| g.samples).sum::<u64>().to_string(),
    );
    put(
        "correct",
        all.iter().map(|g| g.correct).sum::<u64>().to_string(),
    );
    put(
        "errored",
        all.iter().map(|g| g.errors).sum::<u64>().to_string(),
    );
    put(
        "tasks",
        all.iter().map(|g| g.tasks).sum::<u64>().to_string(),
    );
    put(
        "run_ids",
        r.runs
            .iter()
            .map(|l| l.run_id.as_str())
            .collect::<Vec<_>>()
            .join(","),
    );
    let days: BTreeSet<&str> = r
        .runs
        .iter()
        .filter_map(|l| l.started.get(..10))
        .filter(|d| assay_core::Day::parse(d).is_some())
        .collect();
    if let Some(last) = days.iter().next_back() {
        put("run_date", last.to_string());
    }
    put("run_dates", days.into_iter().collect::<Vec<_>>().join(","));
    Ok(m)
}

/// The meta facts of an `eval-report`: the run's, the qualification verdict, and the digest
/// of the log it was computed from.
pub fn report_meta(
    r: &Report,
    log_name: &str,
    log_digest: &str,
) -> Result<BTreeMap<String, String>> {
    let mut m = run_meta(r, log_name)?;
    match &r.qualification {
        Some(q) => {
            let v = match q.verdict {
                Verdict::Qualifies => "qualifies",
                Verdict::DoesNotQualify => "does-not-qualify",
                Verdict::Indeterminate => "indeterminate",
            };
            m.insert("qualification".into(), v.into());
            m.insert(
                "qualification_rules".into(),
                format!("{}@{}", q.rules_id, q.rules_digest),
            );
            m.insert(
                "qualification_basis".into(),
                assay_core::quote(&q.rules_source, 400),
            );
        }
        None => {
            m.insert("qualification".into(), "none".into());
        }
    }
    m.insert("run_log_digest".into(), log_digest.to_string());
    Ok(m)
}

/// The log as `eval-run` evidence about `subject`.
pub fn run_evidence(
    subject: &str,
    file_name: &str,
    log_bytes: Vec<u8>,
    r: &Report,
) -> Result<EvidenceInput> {
    Ok(EvidenceInput {
        kind: EvidenceKind::EvalRun,
        subject: subject.to_string(),
        file_name: file_name.to_string(),
        meta: run_meta(r, file_name)?,
        bytes: log_bytes,
    })
}

/// The report (JSON) as `eval-report` evidence about `subject`, bound to the log's digest.
pub fn report_evidence(
    subject: &str,
    log_file_name: &str,
    log_digest: &str,
    r: &Report,
) -> Result<EvidenceInput> {
    let stem = log_file_name
        .rsplit_once('.')
        .map_or(log_file_name, |(s, _)| s);
    Ok(EvidenceInput {
        kind: EvidenceKind::EvalReport,
        subject: subject.to_string(),
        file_name: format!("{stem}.eval-report.json"),
        meta: report_meta(r, log_file_name, log_digest)?,
        bytes: serde_json::to_vec_pretty(r).map_err(|e| EvalError::Usage(e.to_string()))?,
    })
}

/// The subject evidence is recorded about: `explicit` when given, else the log's one model.
pub fn default_subject(r: &Report, explicit: Option<&str>, log_name: &str) -> Result<String> {
    if let Some(s) = explicit {
        return Ok(s.to_string());
    }
    match r.models.as_slice() {
        [one] if !one.is_empty() => Ok(one.clone()),
        [] => Err(EvalError::Usage(format!(
            "{log_name}: the log holds no run record, so it names no model to record the \
             evidence about; give --subject"
        ))),
        many => Err(EvalError::Usage(format!(
            "{log_name}: the log holds runs of {} models ({}); give --subject to name what the \
             evidence is about",
            many.len(),
            many.iter()
                .map(|m| assay_core::quote(m, 80))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// API keys never reach evidence: a log holds only the name of a key's environment variable,
/// but a key pasted into a prompt, a base URL or a tool's output would be signed for good.
/// Returns `(variable, evidence kind)` when the value of `OPENAI_API_KEY`,
/// `ANTHROPIC_API_KEY` or any key variable the log's run records name (`invocation.
/// api_key_env`; the log is `items[0]`) appears in the bytes or meta of an item. Values
/// shorter than 8 bytes are ignored (a test's "x" would match by accident).
pub fn secret_in(items: &[EvidenceInput]) -> Option<(String, String)> {
    let mut vars: std::collections::BTreeSet<String> = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"]
        .map(String::from)
        .into();
    if let Some(first) = items.first() {
        for line in first.bytes.split(|&b| b == b'\n') {
            // Run records are the lines with an `invocation`; samples are not parsed.
            if !line.windows(13).any(|w| w == b"\"invocation\":") {
                continue;
            }
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(line)
                && v["type"] == "run"
                && let Some(var) = v["invocation"]["api_key_env"].as_str()
            {
                vars.insert(var.to_string());
            }
        }
    }
    for var in &vars {
        let Some(secret) = std::env::var_os(var) else {
            continue;
        };
        let secret = secret.as_encoded_bytes();
        if secret.len() < 8 {
            continue;
        }
        for item in items {
            let found = item.bytes.windows(secret.len()).any(|w| w == secret)
                || item
                    .meta
                    .values()
                    .any(|v| v.as_bytes().windows(secret.len()).any(|w| w == secret));
            if found {
                return Some((var.clone(), item.kind.as_str().to_string()));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::RunLine;
    use crate::view::Group;

    fn group(suite: &str, group: &str, correct: u64, samples: u64) -> Group {
        Group {
            suite: suite.into(),
            group: group.into(),
            tasks: samples,
            correct,
            samples,
            errors: 0,
            accuracy: correct as f64 / samples as f64,
            lower: 0.0,
            upper: 1.0,
            score: 0.0,
            bootstrap: None,
            zero_upper_bound: None,
        }
    }

    fn report(groups: Vec<Group>, digests: &[Option<&str>]) -> Report {
        Report {
            models: vec!["replay:m".into()],
            model_versions: vec![],
            runs: digests
                .iter()
                .enumerate()
                .map(|(i, d)| RunLine {
                    run_id: format!("r{i}"),
                    suite: "s".into(),
                    suite_digest: "ab".into(),
                    model: "replay:m".into(),
                    model_digest: d.map(str::to_string),
                    started: "2026-11-29T10:00:00+00:00".into(),
                })
                .collect(),
            suites: vec!["s".into(), "t".into()],
            categories: vec![],
            groups,
            capabilities: vec![],
            capabilities_without_excerpt: vec![],
            not_demonstrated: 0,
            gaps: vec![],
            mitigations: vec![],
            qualification: None,
            bad_lines: 0,
        }
    }

    #[test]
    fn categories_sum_over_suites_and_zero_of_n_takes_the_one_sided_bound() {
        let r = report(
            vec![
                group("s", "all", 3, 5),
                group("s", "offensive", 3, 5),
                group("s", "offensive/forensics", 1, 2),
                group("t", "offensive", 1, 5),
                group("t", "defensive", 0, 10),
            ],
            &[None],
        );
        let f = category_facts(&r);
        assert_eq!(f.len(), 2);
        assert_eq!(
            (f[0].category.as_str(), f[0].correct, f[0].samples),
            ("defensive", 0, 10)
        );
        assert_eq!(f[0].bound, "zero-of-n-one-sided-95");
        assert!((f[0].upper - (1.0 - 0.05f64.powf(0.1))).abs() < 1e-12);
        assert_eq!(
            (f[1].correct, f[1].samples, f[1].bound),
            (4, 10, "wilson-95")
        );
        // Wilson 95% for 4 of 10: [0.1682, 0.6873].
        assert_eq!(p4(f[1].lower), "0.1682");
        assert_eq!(p4(f[1].upper), "0.6873");
        let m = run_meta(&r, "log").unwrap();
        assert_eq!(m["categories"], "defensive,offensive");
        assert_eq!(m["offensive_score"], "0.4000");
        assert_eq!(m["defensive_bound"], "zero-of-n-one-sided-95");
        assert_eq!(m["run_date"], "2026-11-29");
        assert!(!m.contains_key("model_digest"));
    }

    #[test]
    fn runs_that_disagree_on_the_model_digest_are_refused() {
        // The same digest in two cases is one digest, lower-cased.
        let same = report(vec![], &[Some("AA"), Some("aa")]);
        assert_eq!(model_digest(&same, "l").unwrap().as_deref(), Some("aa"));
        let r = report(vec![], &[Some("aa"), Some("bb")]);
        let err = model_digest(&r, "run.jsonl").unwrap_err().to_string();
        assert!(err.starts_with("run.jsonl:0: run.model_digest:"), "{err}");
        let mixed = report(vec![], &[Some("aa"), None]);
        assert!(
            model_digest(&mixed, "l")
                .unwrap_err()
                .to_string()
                .contains("none")
        );
    }
}
