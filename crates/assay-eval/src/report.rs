//! The developer's feedback (`assay eval report LOG`): accuracy per suite and category with
//! Wilson intervals (and the one-sided bound at 0 of N), the capabilities found with short
//! transcript excerpts, the gaps observed, suggested mitigations, and the qualification
//! verdict from qualification rules kept as data (a TOML file, `docs/eval.md`).
//!
//! Reading is bounded like `view`: [`crate::view::summarize_with`] streams the log for the
//! counts, then one more streaming pass takes at most [`MAX_EXCERPTS`] excerpts, each at most
//! [`MAX_EXCERPT_STEPS`] steps of [`MAX_STEP_CHARS`] characters. The verdict names the rules
//! file by sha256, each rule by id, and the numbers each rule was judged on. Rendering is pure:
//! [`render_html`] escapes every string that came from the log (transcripts are model output).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead as _, BufReader, Read as _};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use toml::Spanned;

use crate::error::{EvalError, Result, line_of, read_bounded};
use crate::provider::{Message, Role};
use crate::view::{Group, MAX_LINE_BYTES, Summary, ViewOptions, summarize_reader_with};

/// Most capabilities given an excerpt (the rest are counted).
pub const MAX_EXCERPTS: usize = 50;
/// Most steps in one excerpt.
pub const MAX_EXCERPT_STEPS: usize = 6;
/// Most characters of one step.
pub const MAX_STEP_CHARS: usize = 160;
/// Largest rules file read.
pub const MAX_RULES_BYTES: u64 = 1 << 20;
/// Most rules in one file.
pub const MAX_RULES: usize = 1_000;
/// Most distinct reported model versions kept (the rest are not listed).
pub const MAX_MODEL_VERSIONS: usize = 32;

// ---- qualification rules ----

/// Which bound of the accuracy a rule compares with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Bound {
    /// The lower end of the Wilson 95% interval on samples.
    #[default]
    WilsonLower,
    /// The lower end of the 95% bootstrap interval clustered by task.
    BootstrapLower,
}

/// How the rules combine into a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Covered when any rule is met.
    #[default]
    Any,
    /// Covered when every rule is met.
    All,
}

/// One qualification rule.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub id: String,
    pub suite: String,
    /// `all`, a category (`offensive`) or `category/tag`.
    pub group: String,
    pub metric: String,
    pub bound: Bound,
    pub threshold: f64,
    /// 1-based line of the rule in its file.
    pub line: usize,
}

/// A rules file.
#[derive(Debug, Clone, Serialize)]
pub struct Rules {
    pub id: String,
    pub title: String,
    /// What the thresholds rest on (e.g. "assay policy: example thresholds").
    pub source: String,
    pub mode: Mode,
    /// sha256 of the file.
    pub digest: String,
    pub rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    qualification: RulesHeader,
    #[serde(default)]
    rule: Vec<RuleToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesHeader {
    id: String,
    #[serde(default)]
    title: String,
    source: String,
    #[serde(default)]
    mode: Mode,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleToml {
    id: Spanned<String>,
    suite: String,
    #[serde(default = "all")]
    group: String,
    #[serde(default = "accuracy")]
    metric: String,
    #[serde(default)]
    bound: Bound,
    threshold: Spanned<f64>,
}

fn all() -> String {
    "all".into()
}
fn accuracy() -> String {
    "accuracy".into()
}

impl Rules {
    /// Reads and validates a rules file.
    pub fn load(path: &Path) -> Result<Rules> {
        let bytes = read_bounded(path, MAX_RULES_BYTES)?;
        let text = String::from_utf8(bytes).map_err(|e| {
            EvalError::invalid(
                path.display(),
                0,
                "(file)",
                format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to()),
            )
        })?;
        Rules::parse(&text, &path.display().to_string())
    }

    /// Parses rules text; `name` names it in messages.
    pub fn parse(text: &str, name: &str) -> Result<Rules> {
        let f: RulesFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
            EvalError::invalid(name, line, "(rules)", e.message().trim().to_string())
        })?;
        if f.rule.is_empty() || f.rule.len() > MAX_RULES {
            return Err(EvalError::invalid(
                name,
                0,
                "rule",
                format!("a rules file needs 1 to {MAX_RULES} [[rule]] tables"),
            ));
        }
        let mut seen = BTreeSet::new();
        let mut rules = Vec::new();
        for r in f.rule {
            let line = line_of(text, r.id.span().start);
            let id = r.id.into_inner();
            if !seen.insert(id.clone()) {
                return Err(EvalError::invalid(
                    name,
                    line,
                    format!("rule `{id}`.id"),
                    "appears twice; rule ids must be unique",
                ));
            }
            if r.metric != "accuracy" {
                return Err(EvalError::invalid(
                    name,
                    line,
                    format!("rule `{id}`.metric"),
                    format!(
                        "{} is not a metric; the one metric is accuracy",
                        assay_core::text::quote_short(&r.metric)
                    ),
                ));
            }
            let tline = line_of(text, r.threshold.span().start);
            let threshold = r.threshold.into_inner();
            if !(0.0..=1.0).contains(&threshold) {
                return Err(EvalError::invalid(
                    name,
                    tline,
                    format!("rule `{id}`.threshold"),
                    format!("{threshold} is not a proportion; write a number from 0 to 1"),
                ));
            }
            rules.push(Rule {
                id,
                suite: r.suite,
                group: r.group,
                metric: r.metric,
                bound: r.bound,
                threshold,
                line,
            });
        }
        Ok(Rules {
            id: f.qualification.id,
            title: f.qualification.title,
            source: f.qualification.source,
            mode: f.qualification.mode,
            digest: hex::encode(Sha256::digest(text.as_bytes())),
            rules,
        })
    }
}

/// How one rule came out.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub enum RuleStatus {
    Met,
    NotMet,
    /// The log holds no sample of the rule's suite and group.
    NoData,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleResult {
    pub id: String,
    pub suite: String,
    pub group: String,
    pub bound: Bound,
    pub threshold: f64,
    pub status: RuleStatus,
    /// The bound the threshold was compared with.
    pub value: Option<f64>,
    pub accuracy: Option<f64>,
    pub correct: Option<u64>,
    pub samples: Option<u64>,
    /// One sentence with the numbers.
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The rules say the model is covered by the review.
    Qualifies,
    DoesNotQualify,
    /// Not decidable from this log (rules without data).
    Indeterminate,
}

#[derive(Debug, Clone, Serialize)]
pub struct Qualification {
    pub rules_id: String,
    pub rules_title: String,
    pub rules_source: String,
    pub rules_digest: String,
    pub mode: Mode,
    pub verdict: Verdict,
    pub rules: Vec<RuleResult>,
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// Judges `rules` on a log's summary.
pub fn qualify(rules: &Rules, s: &Summary) -> Qualification {
    let mut out = Vec::new();
    for r in &rules.rules {
        let g = s
            .groups
            .iter()
            .find(|g| g.suite == r.suite && g.group == r.group);
        let value = g.and_then(|g| match r.bound {
            Bound::WilsonLower => (g.samples > 0).then_some(g.lower),
            Bound::BootstrapLower => g.bootstrap.as_ref().map(|b| b.lower),
        });
        let (status, reason) = match (g, value) {
            (Some(g), Some(v)) => {
                let met = v >= r.threshold;
                let bound = match r.bound {
                    Bound::WilsonLower => "Wilson 95% lower bound",
                    Bound::BootstrapLower => "bootstrap 95% lower bound (clustered by task)",
                };
                let zero = g
                    .zero_upper_bound
                    .map(|u| {
                        format!(
                            "; 0 of {}: the accuracy is at most {} (one-sided 95%)",
                            g.samples,
                            pct(u)
                        )
                    })
                    .unwrap_or_default();
                (
                    if met {
                        RuleStatus::Met
                    } else {
                        RuleStatus::NotMet
                    },
                    format!(
                        "{} of {} correct ({}); {bound} {} {} the threshold {}{zero}",
                        g.correct,
                        g.samples,
                        pct(g.accuracy),
                        pct(v),
                        if met { "reaches" } else { "is below" },
                        pct(r.threshold)
                    ),
                )
            }
            _ => (
                RuleStatus::NoData,
                format!(
                    "the log holds no sample of suite {} group {}",
                    assay_core::text::quote_short(&r.suite),
                    assay_core::text::quote_short(&r.group)
                ),
            ),
        };
        out.push(RuleResult {
            id: r.id.clone(),
            suite: r.suite.clone(),
            group: r.group.clone(),
            bound: r.bound,
            threshold: r.threshold,
            status,
            value,
            accuracy: g.map(|g| g.accuracy),
            correct: g.map(|g| g.correct),
            samples: g.map(|g| g.samples),
            reason,
        });
    }
    let met = out.iter().filter(|r| r.status == RuleStatus::Met).count();
    let not_met = out
        .iter()
        .filter(|r| r.status == RuleStatus::NotMet)
        .count();
    let verdict = match rules.mode {
        Mode::Any if met > 0 => Verdict::Qualifies,
        Mode::Any if not_met == out.len() => Verdict::DoesNotQualify,
        Mode::Any => Verdict::Indeterminate,
        Mode::All if met == out.len() => Verdict::Qualifies,
        Mode::All if not_met > 0 => Verdict::DoesNotQualify,
        Mode::All => Verdict::Indeterminate,
    };
    Qualification {
        rules_id: rules.id.clone(),
        rules_title: rules.title.clone(),
        rules_source: rules.source.clone(),
        rules_digest: rules.digest.clone(),
        mode: rules.mode,
        verdict,
        rules: out,
    }
}

// ---- the report ----

/// A task the model solved, with a short excerpt of how.
#[derive(Debug, Clone, Serialize)]
pub struct Capability {
    pub suite: String,
    pub category: String,
    pub tag: String,
    pub task_id: String,
    pub correct: u64,
    pub epochs: u64,
    /// What the model did in one correct sample: its tool calls, bounded.
    pub excerpt: Vec<String>,
    pub answer: Option<String>,
}

/// Something the developer should look at.
#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    /// `defensive-failure`, `errored`, `excluded`.
    pub kind: String,
    pub suite: String,
    pub task_id: String,
    pub category: String,
    pub tag: String,
    pub detail: String,
}

/// A suggested mitigation; assay's suggestion, not a requirement of any source.
#[derive(Debug, Clone, Serialize)]
pub struct Mitigation {
    pub about: String,
    pub suggestion: String,
    pub basis: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunLine {
    pub run_id: String,
    pub suite: String,
    /// sha256 of the suite file the run loaded.
    pub suite_digest: String,
    pub model: String,
    /// sha256 of the model's weights, when the run was given one (`--model-digest`).
    pub model_digest: Option<String>,
    pub started: String,
}

/// The whole feedback.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub models: Vec<String>,
    /// The model versions the provider reported, over all samples.
    pub model_versions: Vec<String>,
    pub runs: Vec<RunLine>,
    pub suites: Vec<String>,
    pub categories: Vec<String>,
    pub groups: Vec<Group>,
    pub capabilities: Vec<Capability>,
    /// Solved tasks beyond [`MAX_EXCERPTS`], listed without an excerpt.
    pub capabilities_without_excerpt: Vec<String>,
    /// Offensive tasks attempted and never solved: capability not demonstrated.
    pub not_demonstrated: u64,
    pub gaps: Vec<Gap>,
    pub mitigations: Vec<Mitigation>,
    pub qualification: Option<Qualification>,
    pub bad_lines: u64,
}

#[derive(Deserialize)]
struct ExcerptLine {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    suite: Option<String>,
    #[serde(default)]
    task_id: Option<String>,
    #[serde(default)]
    run_id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    suite_digest: Option<String>,
    #[serde(default)]
    model_digest: Option<String>,
    #[serde(default)]
    model_version: Option<String>,
    #[serde(default)]
    started: Option<String>,
    #[serde(default)]
    correct: Option<bool>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    answer: Option<String>,
    #[serde(default)]
    transcript: Vec<Message>,
}

/// A step of a transcript as one bounded, single-line string.
fn step(name: &str, args: &serde_json::Value) -> String {
    let arg = |k: &str| args.get(k).and_then(|v| v.as_str()).unwrap_or("");
    let s = match name {
        "bash" => format!("$ {}", arg("cmd")),
        "python" => format!("python: {}", arg("code")),
        "submit" => format!("submit: {}", arg("answer")),
        other => format!("{other}: {args}"),
    };
    assay_core::quote(&s, MAX_STEP_CHARS)
}

fn excerpt(t: &[Message]) -> Vec<String> {
    let steps: Vec<String> = t
        .iter()
        .filter(|m| m.role == Role::Assistant)
        .flat_map(|m| m.tool_calls.iter().map(|c| step(&c.name, &c.arguments)))
        .collect();
    if steps.len() <= MAX_EXCERPT_STEPS {
        return steps;
    }
    let mut out: Vec<String> = steps[..MAX_EXCERPT_STEPS - 1].to_vec();
    out.push(format!(
        "... {} more steps; last: {}",
        steps.len() - MAX_EXCERPT_STEPS,
        steps[steps.len() - 1]
    ));
    out
}

/// Builds the feedback from the log at `log`, judging `rules` when given.
pub fn report(log: &Path, rules: Option<&Rules>) -> Result<Report> {
    let open = || -> Result<Box<dyn std::io::BufRead>> {
        let file = std::fs::File::open(log).map_err(|e| EvalError::io(log, e))?;
        Ok(Box::new(BufReader::with_capacity(1 << 16, file)))
    };
    report_from(open, &log.display().to_string(), rules)
}

/// [`report`] of a log held in memory (as `assess` reads a case file); `name` names it in
/// messages.
pub fn report_bytes(bytes: &[u8], name: &str, rules: Option<&Rules>) -> Result<Report> {
    let open = || -> Result<Box<dyn std::io::BufRead + '_>> { Ok(Box::new(bytes)) };
    report_from(open, name, rules)
}

/// The report from a log `open` gives a fresh reader of (it is read twice, line by line).
fn report_from<'a>(
    open: impl Fn() -> Result<Box<dyn std::io::BufRead + 'a>>,
    name: &str,
    rules: Option<&Rules>,
) -> Result<Report> {
    let s = summarize_reader_with(open()?, name, &ViewOptions::default())?;
    let solved: BTreeMap<(String, String), &crate::view::TaskRow> = s
        .tasks
        .iter()
        .filter(|t| t.correct > 0)
        .map(|t| ((t.suite.clone(), t.task_id.clone()), t))
        .collect();
    // One more pass: run dates, one excerpt per solved task (bounded), error messages.
    let mut runs = Vec::new();
    let mut excerpts: BTreeMap<(String, String), (Vec<String>, Option<String>)> = BTreeMap::new();
    let mut errors: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut model_versions: BTreeSet<String> = BTreeSet::new();
    {
        let mut r = open()?;
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let n = r
                .by_ref()
                .take(MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut buf)
                .map_err(|e| EvalError::io(name, e))?;
            if n == 0 {
                break;
            }
            if buf.len() > MAX_LINE_BYTES && buf.last() != Some(&b'\n') {
                loop {
                    let got = r.fill_buf().map_err(|e| EvalError::io(name, e))?;
                    if got.is_empty() {
                        break;
                    }
                    if let Some(i) = got.iter().position(|&b| b == b'\n') {
                        r.consume(i + 1);
                        break;
                    }
                    let len = got.len();
                    r.consume(len);
                }
                continue;
            }
            let Ok(l) = serde_json::from_slice::<ExcerptLine>(&buf) else {
                continue;
            };
            match l.kind.as_str() {
                "run" => runs.push(RunLine {
                    run_id: l.run_id.unwrap_or_default(),
                    suite: l.suite.unwrap_or_default(),
                    suite_digest: l.suite_digest.unwrap_or_default(),
                    model: l.model.unwrap_or_default(),
                    model_digest: l.model_digest,
                    started: l.started.unwrap_or_default(),
                }),
                "sample" => {
                    if let Some(v) = l.model_version
                        && model_versions.len() < MAX_MODEL_VERSIONS
                    {
                        model_versions.insert(assay_core::quote(&v, 200));
                    }
                    let key = (l.suite.unwrap_or_default(), l.task_id.unwrap_or_default());
                    if let Some(e) = l.error {
                        errors.insert(key.clone(), e);
                    } else {
                        errors.remove(&key);
                    }
                    if l.correct == Some(true)
                        && solved.contains_key(&key)
                        && !excerpts.contains_key(&key)
                        && excerpts.len() < MAX_EXCERPTS
                    {
                        let answer = l.answer.map(|a| assay_core::quote(&a, MAX_STEP_CHARS));
                        excerpts.insert(key, (excerpt(&l.transcript), answer));
                    }
                }
                _ => {}
            }
        }
    }
    let mut capabilities = Vec::new();
    let mut without = Vec::new();
    for ((suite, task), row) in &solved {
        match excerpts.remove(&(suite.clone(), task.clone())) {
            Some((steps, answer)) => capabilities.push(Capability {
                suite: suite.clone(),
                category: row.category.clone(),
                tag: row.tag.clone(),
                task_id: task.clone(),
                correct: row.correct,
                epochs: row.epochs,
                excerpt: steps,
                answer,
            }),
            None => without.push(format!("{suite}/{task}")),
        }
    }
    let not_demonstrated = s
        .tasks
        .iter()
        .filter(|t| t.category == "offensive" && t.correct == 0)
        .count() as u64;
    let mut gaps = Vec::new();
    for t in &s.tasks {
        if t.category == "defensive" && t.correct < t.epochs {
            gaps.push(Gap {
                kind: "defensive-failure".into(),
                suite: t.suite.clone(),
                task_id: t.task_id.clone(),
                category: t.category.clone(),
                tag: t.tag.clone(),
                detail: format!(
                    "failed {} of {} epochs of a defensive task",
                    t.epochs - t.correct,
                    t.epochs
                ),
            });
        }
        if t.errors > 0 {
            let last = errors
                .get(&(t.suite.clone(), t.task_id.clone()))
                .map(|e| format!("; last error: {}", assay_core::quote(e, 200)))
                .unwrap_or_default();
            gaps.push(Gap {
                kind: "errored".into(),
                suite: t.suite.clone(),
                task_id: t.task_id.clone(),
                category: t.category.clone(),
                tag: t.tag.clone(),
                detail: format!(
                    "{} of {} samples ended in an error and count as failures{last}",
                    t.errors, t.epochs
                ),
            });
        }
    }
    for x in &s.excluded {
        gaps.push(Gap {
            kind: "excluded".into(),
            suite: x.suite.clone(),
            task_id: x.task_id.clone(),
            category: String::new(),
            tag: String::new(),
            detail: format!(
                "left out of the scores: {}",
                assay_core::quote(&x.reason, 200)
            ),
        });
    }
    let mitigations = mitigations(&capabilities, &gaps);
    let models: BTreeSet<String> = runs.iter().map(|r| r.model.clone()).collect();
    let suites: BTreeSet<String> = s.tasks.iter().map(|t| t.suite.clone()).collect();
    let categories: BTreeSet<String> = s.tasks.iter().map(|t| t.category.clone()).collect();
    Ok(Report {
        models: models.into_iter().collect(),
        model_versions: model_versions.into_iter().collect(),
        runs,
        suites: suites.into_iter().collect(),
        categories: categories.into_iter().collect(),
        qualification: rules.map(|r| qualify(r, &s)),
        groups: s.groups,
        capabilities,
        capabilities_without_excerpt: without,
        not_demonstrated,
        gaps,
        mitigations,
        bad_lines: s.bad_lines,
    })
}

const BASIS: &str = "assay policy: a suggestion, not a requirement of any source";

fn mitigations(caps: &[Capability], gaps: &[Gap]) -> Vec<Mitigation> {
    let mut out = Vec::new();
    let mut offensive: BTreeMap<&str, usize> = BTreeMap::new();
    for c in caps.iter().filter(|c| c.category == "offensive") {
        *offensive.entry(c.tag.as_str()).or_default() += 1;
    }
    for (tag, n) in offensive {
        out.push(Mitigation {
            about: format!("offensive capability: {tag} ({n} tasks solved)"),
            suggestion: format!(
                "Before release, put safeguards on this capability (refusal training and \
                 classifiers for {tag} requests, usage monitoring, staged access for trusted \
                 users) and re-run the suite against the safeguarded model."
            ),
            basis: BASIS.into(),
        });
    }
    let mut defensive: BTreeMap<&str, usize> = BTreeMap::new();
    for g in gaps.iter().filter(|g| g.kind == "defensive-failure") {
        *defensive.entry(g.tag.as_str()).or_default() += 1;
    }
    for (tag, n) in defensive {
        out.push(Mitigation {
            about: format!("defensive gap: {tag} ({n} tasks failed)"),
            suggestion: format!(
                "Improve the model's behaviour on {tag} tasks (targeted training data, system \
                 prompt guidance, tool-output isolation where instructions are injected) and \
                 re-run the failed tasks."
            ),
            basis: BASIS.into(),
        });
    }
    let errored = gaps.iter().filter(|g| g.kind == "errored").count();
    if errored > 0 {
        out.push(Mitigation {
            about: format!("evaluation gap: {errored} tasks with errored samples"),
            suggestion: "Errored samples count as failures; run `assay eval resume LOG` to \
                         complete them before relying on these numbers."
                .into(),
            basis: BASIS.into(),
        });
    }
    out
}

// ---- rendering ----

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn interval(g: &Group) -> String {
    match g.zero_upper_bound {
        Some(u) => format!(
            "at most {} (one-sided 95% upper bound, 0 of {})",
            pct(u),
            g.samples
        ),
        None => format!("[{}, {}] (Wilson 95%)", pct(g.lower), pct(g.upper)),
    }
}

fn verdict_text(v: &Verdict) -> &'static str {
    match v {
        Verdict::Qualifies => "QUALIFIES: covered by the review",
        Verdict::DoesNotQualify => "does not qualify",
        Verdict::Indeterminate => "indeterminate: some rules have no data in this log",
    }
}

/// The report as text.
pub fn render_text(r: &Report) -> String {
    let mut o = format!(
        "model {}  suites {}\n",
        r.models.join(", "),
        r.suites.join(", ")
    );
    if let Some(q) = &r.qualification {
        o.push_str(&format!(
            "\nqualification ({} {}, sha256 {}): {}\n",
            q.rules_id,
            q.rules_source,
            &q.rules_digest[..12],
            verdict_text(&q.verdict)
        ));
        for rr in &q.rules {
            o.push_str(&format!(
                "  rule {} [{} {}]: {:?}: {}\n",
                rr.id, rr.suite, rr.group, rr.status, rr.reason
            ));
        }
    }
    o.push_str("\naccuracy:\n");
    for g in &r.groups {
        o.push_str(&format!(
            "  {:<24} {:<28} {:>4}/{:<4} {:>6}  {}\n",
            g.suite,
            g.group,
            g.correct,
            g.samples,
            pct(g.accuracy),
            interval(g)
        ));
    }
    o.push_str(&format!(
        "\ncapabilities found ({}; {} offensive tasks not demonstrated):\n",
        r.capabilities.len() + r.capabilities_without_excerpt.len(),
        r.not_demonstrated
    ));
    for c in &r.capabilities {
        o.push_str(&format!(
            "  {}/{} ({}/{}) {} of {} epochs\n",
            c.suite, c.task_id, c.category, c.tag, c.correct, c.epochs
        ));
        for s in &c.excerpt {
            o.push_str(&format!("      {s}\n"));
        }
    }
    o.push_str(&format!("\ngaps ({}):\n", r.gaps.len()));
    for g in &r.gaps {
        o.push_str(&format!(
            "  {} {}/{}: {}\n",
            g.kind, g.suite, g.task_id, g.detail
        ));
    }
    o.push_str("\nsuggested mitigations (assay's suggestions):\n");
    for m in &r.mitigations {
        o.push_str(&format!("  {}: {}\n", m.about, m.suggestion));
    }
    o
}

/// The report as one self-contained HTML page; every string from the log is escaped.
pub fn render_html(r: &Report) -> String {
    let mut o = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>assay evaluation report</title><style>\
         body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}\
         table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}\
         pre{background:#f4f4f4;padding:.5rem;white-space:pre-wrap}.met{color:#060}.notmet{color:#a00}\
         </style></head><body>\n<h1>Evaluation report</h1>\n",
    );
    o.push_str(&format!(
        "<p>Model: <b>{}</b>. Suites: {}.</p>\n",
        esc(&r.models.join(", ")),
        esc(&r.suites.join(", "))
    ));
    if let Some(q) = &r.qualification {
        o.push_str(&format!(
            "<h2>Qualification: {}</h2>\n<p>Rules {} ({}), sha256 <code>{}</code>, mode {:?}; \
             thresholds: {}.</p>\n<table><tr><th>rule</th><th>suite</th><th>group</th>\
             <th>status</th><th>numbers</th></tr>\n",
            esc(verdict_text(&q.verdict)),
            esc(&q.rules_id),
            esc(&q.rules_title),
            esc(&q.rules_digest),
            q.mode,
            esc(&q.rules_source)
        ));
        for rr in &q.rules {
            let class = if rr.status == RuleStatus::Met {
                "met"
            } else {
                "notmet"
            };
            o.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{:?}</td><td>{}</td></tr>\n",
                esc(&rr.id),
                esc(&rr.suite),
                esc(&rr.group),
                rr.status,
                esc(&rr.reason)
            ));
        }
        o.push_str("</table>\n");
    }
    o.push_str(
        "<h2>Accuracy</h2>\n<table><tr><th>suite</th><th>group</th><th>correct</th>\
         <th>samples</th><th>accuracy</th><th>95% interval</th></tr>\n",
    );
    for g in &r.groups {
        o.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&g.suite),
            esc(&g.group),
            g.correct,
            g.samples,
            pct(g.accuracy),
            esc(&interval(g))
        ));
    }
    o.push_str("</table>\n");
    o.push_str(&format!(
        "<h2>Capabilities found</h2>\n<p>{} tasks solved; {} offensive tasks attempted and never \
         solved (capability not demonstrated).</p>\n",
        r.capabilities.len() + r.capabilities_without_excerpt.len(),
        r.not_demonstrated
    ));
    for c in &r.capabilities {
        o.push_str(&format!(
            "<h3>{} / {} <small>({} / {}, {} of {} epochs)</small></h3>\n<pre>{}</pre>\n",
            esc(&c.suite),
            esc(&c.task_id),
            esc(&c.category),
            esc(&c.tag),
            c.correct,
            c.epochs,
            esc(&c.excerpt.join("\n"))
        ));
    }
    if !r.capabilities_without_excerpt.is_empty() {
        o.push_str(&format!(
            "<p>Also solved (no excerpt kept): {}</p>\n",
            esc(&r.capabilities_without_excerpt.join(", "))
        ));
    }
    o.push_str("<h2>Gaps observed</h2>\n<ul>\n");
    for g in &r.gaps {
        o.push_str(&format!(
            "<li><b>{}</b> {} / {}: {}</li>\n",
            esc(&g.kind),
            esc(&g.suite),
            esc(&g.task_id),
            esc(&g.detail)
        ));
    }
    o.push_str("</ul>\n<h2>Suggested mitigations</h2>\n<ul>\n");
    for m in &r.mitigations {
        o.push_str(&format!(
            "<li><b>{}</b>: {} <i>({})</i></li>\n",
            esc(&m.about),
            esc(&m.suggestion),
            esc(&m.basis)
        ));
    }
    o.push_str("</ul>\n</body></html>\n");
    o
}
