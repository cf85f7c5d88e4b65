//! Reading logs back in bounded memory: `assay eval view` streams the JSON lines, keeps only
//! counts per group, and reports accuracy with Wilson 95% intervals (and, for 0 of N, the
//! exact one-sided upper bound).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use assay_pad::confidence::{Sided, clopper_pearson, wilson};
use serde::{Deserialize, Serialize};

use crate::error::{EvalError, Result};
use crate::stats::{
    Bootstrap, Pair, Paired, Percentile, Reducer, TaskCount, check_k, clustered_bootstrap,
    estimate, paired,
};

/// Longest log line read; longer lines are skipped and counted as bad.
pub const MAX_LINE_BYTES: usize = 64 << 20;
/// Bad lines remembered for the report (the rest are only counted).
const MAX_BAD_REPORTED: usize = 20;

#[derive(Deserialize)]
struct Line {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    suite: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    run_id: Option<String>,
    #[serde(default)]
    task_id: Option<String>,
    #[serde(default)]
    epoch: Option<u32>,
    #[serde(default)]
    stop: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    tag: Option<String>,
    #[serde(default)]
    correct: Option<bool>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

/// Accuracy of one group.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Group {
    pub suite: String,
    /// `all`, a category (`offensive`) or a category and tag (`offensive/forensics`).
    pub group: String,
    /// Tasks in the group.
    pub tasks: u64,
    /// Correct samples and samples (each (task, epoch) once: the latest record wins).
    pub correct: u64,
    pub samples: u64,
    pub errors: u64,
    /// Correct samples over samples.
    pub accuracy: f64,
    /// Wilson 95% two-sided interval on samples (treats epochs as independent).
    pub lower: f64,
    pub upper: f64,
    /// The score under the chosen reducer (equal to `accuracy` for `mean`).
    pub score: f64,
    /// Bootstrap clustered by task: percentile interval of `score`.
    pub bootstrap: Option<Percentile>,
    /// For 0 of N: the exact one-sided 95% upper bound (1 - 0.05^(1/N)).
    pub zero_upper_bound: Option<f64>,
}

/// One task's counts, after each (task, epoch) is counted once.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TaskRow {
    pub suite: String,
    pub task_id: String,
    pub category: String,
    pub tag: String,
    pub correct: u64,
    pub epochs: u64,
    pub errors: u64,
}

/// How `view` scores.
#[derive(Debug, Clone, Copy)]
pub struct ViewOptions {
    pub reducer: Reducer,
    pub bootstrap: Bootstrap,
}

impl Default for ViewOptions {
    fn default() -> Self {
        ViewOptions {
            reducer: Reducer::Mean,
            bootstrap: Bootstrap::default(),
        }
    }
}

/// A whole log, summarised.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub reducer: String,
    pub bootstrap: Bootstrap,
    pub runs: Vec<RunInfo>,
    pub groups: Vec<Group>,
    pub tasks: Vec<TaskRow>,
    pub excluded: Vec<Excluded>,
    pub lines: u64,
    /// Sample records replaced by a later record of the same (suite, task, epoch) (resume).
    pub superseded: u64,
    pub bad_lines: u64,
    pub bad: Vec<String>,
}

impl Default for Summary {
    fn default() -> Self {
        Summary {
            reducer: Reducer::Mean.label(),
            bootstrap: Bootstrap::default(),
            runs: Vec::new(),
            groups: Vec::new(),
            tasks: Vec::new(),
            excluded: Vec::new(),
            lines: 0,
            superseded: 0,
            bad_lines: 0,
            bad: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    pub run_id: String,
    pub suite: String,
    pub model: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Excluded {
    pub suite: String,
    pub task_id: String,
    pub reason: String,
}

/// The latest outcome of one (suite, task, epoch).
struct Outcome {
    category: String,
    tag: String,
    correct: bool,
    error: bool,
}

/// Summarises the log at `path` with the mean reducer and the default bootstrap.
pub fn summarize(path: &Path) -> Result<Summary> {
    summarize_with(path, &ViewOptions::default())
}

/// Summarises the log at `path`.
pub fn summarize_with(path: &Path, opts: &ViewOptions) -> Result<Summary> {
    let file = std::fs::File::open(path).map_err(|e| EvalError::io(path, e))?;
    summarize_reader_with(
        BufReader::with_capacity(1 << 16, file),
        &path.display().to_string(),
        opts,
    )
}

/// Summarises a log from any reader (mean reducer); `name` names it in messages.
pub fn summarize_reader(r: impl BufRead, name: &str) -> Result<Summary> {
    summarize_reader_with(r, name, &ViewOptions::default())
}

/// Summarises a log from any reader; `name` names it in messages. Each (suite, task, epoch)
/// counts once, the latest record winning (a resumed sample replaces its errored record);
/// only one small outcome per (task, epoch) is kept, never a transcript.
pub fn summarize_reader_with(
    mut r: impl BufRead,
    name: &str,
    opts: &ViewOptions,
) -> Result<Summary> {
    let mut s = Summary {
        reducer: opts.reducer.label(),
        bootstrap: opts.bootstrap,
        ..Summary::default()
    };
    let mut outcomes: BTreeMap<(String, String, u64), Outcome> = BTreeMap::new();
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
        s.lines += 1;
        let lineno = s.lines;
        if buf.len() > MAX_LINE_BYTES && buf.last() != Some(&b'\n') {
            // Skip the rest of an over-long line without holding it.
            let mut sink = [0u8; 8192];
            'skip: loop {
                let got = r.fill_buf().map_err(|e| EvalError::io(name, e))?;
                if got.is_empty() {
                    break;
                }
                if let Some(i) = got.iter().position(|&b| b == b'\n') {
                    r.consume(i + 1);
                    break 'skip;
                }
                let len = got.len().min(sink.len());
                r.read_exact(&mut sink[..len])
                    .map_err(|e| EvalError::io(name, e))?;
            }
            bad(
                &mut s,
                format!(
                    "{name}:{}: longer than {MAX_LINE_BYTES} bytes; skipped",
                    lineno
                ),
            );
            continue;
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let line: Line = match serde_json::from_slice(&buf) {
            Ok(l) => l,
            Err(e) => {
                // A kill mid-write leaves at most one partial last line.
                bad(
                    &mut s,
                    format!("{name}:{}: not a log record ({e}); skipped", lineno),
                );
                continue;
            }
        };
        match line.kind.as_str() {
            "run" => s.runs.push(RunInfo {
                run_id: line.run_id.unwrap_or_default(),
                suite: line.suite.unwrap_or_default(),
                model: line.model.unwrap_or_default(),
            }),
            "excluded" => s.excluded.push(Excluded {
                suite: line.suite.unwrap_or_default(),
                task_id: line.task_id.unwrap_or_default(),
                reason: line.reason.unwrap_or_default(),
            }),
            "sample" => {
                let suite = line.suite.unwrap_or_default();
                let task = line.task_id.unwrap_or_default();
                // A record without an epoch (hand-written) is a sample of its own.
                let epoch = line.epoch.map(u64::from).unwrap_or((1 << 40) + lineno);
                let outcome = Outcome {
                    category: line.category.unwrap_or_else(|| "unknown".into()),
                    tag: line.tag.unwrap_or_default(),
                    correct: line.correct.unwrap_or(false),
                    error: line.error.is_some() || line.stop.as_deref() == Some("error"),
                };
                if outcomes.insert((suite, task, epoch), outcome).is_some() {
                    s.superseded += 1;
                }
            }
            other => bad(
                &mut s,
                format!(
                    "{name}:{}: unknown record type {}; skipped",
                    lineno,
                    assay_core::text::quote_short(other)
                ),
            ),
        }
    }
    // Per task, then per group.
    let mut tasks: BTreeMap<(String, String), TaskRow> = BTreeMap::new();
    for ((suite, task, _), o) in outcomes {
        let row = tasks
            .entry((suite.clone(), task.clone()))
            .or_insert_with(|| TaskRow {
                suite,
                task_id: task,
                category: o.category.clone(),
                tag: o.tag.clone(),
                correct: 0,
                epochs: 0,
                errors: 0,
            });
        row.correct += u64::from(o.correct);
        row.epochs += 1;
        row.errors += u64::from(o.error);
    }
    s.tasks = tasks.into_values().collect();
    check_k(
        opts.reducer,
        s.tasks.iter().map(|t| (t.task_id.as_str(), t.epochs)),
    )
    .map_err(EvalError::Usage)?;
    let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, t) in s.tasks.iter().enumerate() {
        let mut keys = vec!["all".to_string(), t.category.clone()];
        if !t.tag.is_empty() {
            keys.push(format!("{}/{}", t.category, t.tag));
        }
        for key in keys {
            groups.entry((t.suite.clone(), key)).or_default().push(i);
        }
    }
    for ((suite, group), members) in groups {
        let counts: Vec<TaskCount> = members
            .iter()
            .map(|&i| TaskCount {
                correct: s.tasks[i].correct,
                epochs: s.tasks[i].epochs,
            })
            .collect();
        let k: u64 = counts.iter().map(|c| c.correct).sum();
        let n: u64 = counts.iter().map(|c| c.epochs).sum();
        let errors: u64 = members.iter().map(|&i| s.tasks[i].errors).sum();
        let w = wilson(k, n, 0.95, Sided::Two);
        let group = Group {
            suite,
            group,
            tasks: counts.len() as u64,
            correct: k,
            samples: n,
            errors,
            accuracy: if n == 0 { 0.0 } else { k as f64 / n as f64 },
            lower: w.lower,
            upper: w.upper,
            score: estimate(&counts, opts.reducer),
            bootstrap: clustered_bootstrap(&counts, opts.reducer, opts.bootstrap),
            zero_upper_bound: (k == 0 && n > 0)
                .then(|| clopper_pearson(0, n, 0.95, Sided::Upper).upper),
        };
        s.groups.push(group);
    }
    Ok(s)
}

fn bad(s: &mut Summary, msg: String) {
    s.bad_lines += 1;
    if s.bad.len() < MAX_BAD_REPORTED {
        s.bad.push(msg);
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The summary as text.
pub fn render_text(s: &Summary) -> String {
    let mut out = String::new();
    for r in &s.runs {
        out.push_str(&format!(
            "run {}  suite {}  model {}\n",
            r.run_id, r.suite, r.model
        ));
    }
    if !s.excluded.is_empty() {
        out.push_str(&format!(
            "\nEXCLUDED from scoring ({} tasks whose reference solution fails in the sandbox):\n",
            s.excluded.len()
        ));
        for x in &s.excluded {
            out.push_str(&format!(
                "  {} {}: {}\n",
                x.suite,
                x.task_id,
                assay_core::quote(&x.reason, 200)
            ));
        }
    }
    let mean = s.reducer == "mean";
    out.push_str(&format!(
        "\n{:<24} {:<32} {:>7} {:>7} {:>9}  {}\n",
        "suite", "group", "correct", "samples", "accuracy", "95% interval"
    ));
    for g in &s.groups {
        let interval = match g.zero_upper_bound {
            Some(b) => format!(
                "at most {} (one-sided 95% upper bound, 0 of {})",
                pct(b),
                g.samples
            ),
            None => format!("[{}, {}] (Wilson)", pct(g.lower), pct(g.upper)),
        };
        let boot = match (&g.bootstrap, mean) {
            (Some(b), true) => format!(
                "  [{}, {}] (bootstrap by task, {} tasks)",
                pct(b.lower),
                pct(b.upper),
                g.tasks
            ),
            (Some(b), false) => format!(
                "  {} {} [{}, {}] (bootstrap by task, {} tasks)",
                s.reducer,
                pct(g.score),
                pct(b.lower),
                pct(b.upper),
                g.tasks
            ),
            (None, _) => String::new(),
        };
        out.push_str(&format!(
            "{:<24} {:<32} {:>7} {:>7} {:>9}  {}{}{}\n",
            g.suite,
            g.group,
            g.correct,
            g.samples,
            pct(g.accuracy),
            interval,
            boot,
            if g.errors > 0 {
                format!("  ({} errored)", g.errors)
            } else {
                String::new()
            }
        ));
    }
    if s.superseded > 0 {
        out.push_str(&format!(
            "\n{} sample records replaced by a later record of the same task and epoch (resume); \
             each counted once\n",
            s.superseded
        ));
    }
    if s.bad_lines > 0 {
        out.push_str(&format!("\n{} log lines skipped:\n", s.bad_lines));
        for b in &s.bad {
            out.push_str(&format!("  {b}\n"));
        }
    }
    out
}

/// Task names listed at most, per side, for tasks only one log holds (the rest are counted).
const MAX_UNPAIRED_NAMED: usize = 50;

/// A paired comparison of two logs on the tasks both hold.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub reducer: String,
    pub model: String,
    pub reference_model: String,
    /// `accuracy_a` is this log's model, `accuracy_b` the reference's.
    pub paired: Paired,
    pub only_in_log: usize,
    pub only_in_reference: usize,
    /// Up to 50 `suite/task` names per side.
    pub only_in_log_named: Vec<String>,
    pub only_in_reference_named: Vec<String>,
}

fn models(s: &Summary) -> String {
    let mut m: Vec<&str> = s.runs.iter().map(|r| r.model.as_str()).collect();
    m.sort_unstable();
    m.dedup();
    if m.is_empty() {
        "(unknown)".into()
    } else {
        m.join(", ")
    }
}

/// Pairs the tasks of `log` and `reference` by (suite, task) and compares them.
pub fn compare(log: &Summary, reference: &Summary, opts: &ViewOptions) -> Comparison {
    let index: BTreeMap<(&str, &str), &TaskRow> = reference
        .tasks
        .iter()
        .map(|t| ((t.suite.as_str(), t.task_id.as_str()), t))
        .collect();
    let mut pairs = Vec::new();
    let mut only_log = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for t in &log.tasks {
        match index.get(&(t.suite.as_str(), t.task_id.as_str())) {
            Some(r) => {
                seen.insert((t.suite.as_str(), t.task_id.as_str()));
                pairs.push(Pair {
                    a: TaskCount {
                        correct: t.correct,
                        epochs: t.epochs,
                    },
                    b: TaskCount {
                        correct: r.correct,
                        epochs: r.epochs,
                    },
                });
            }
            None => only_log.push(format!("{}/{}", t.suite, t.task_id)),
        }
    }
    let only_ref: Vec<String> = reference
        .tasks
        .iter()
        .filter(|t| !seen.contains(&(t.suite.as_str(), t.task_id.as_str())))
        .map(|t| format!("{}/{}", t.suite, t.task_id))
        .collect();
    Comparison {
        reducer: opts.reducer.label(),
        model: models(log),
        reference_model: models(reference),
        paired: paired(&pairs, opts.reducer, opts.bootstrap),
        only_in_log: only_log.len(),
        only_in_reference: only_ref.len(),
        only_in_log_named: only_log.into_iter().take(MAX_UNPAIRED_NAMED).collect(),
        only_in_reference_named: only_ref.into_iter().take(MAX_UNPAIRED_NAMED).collect(),
    }
}

/// The comparison as text.
pub fn render_comparison(c: &Comparison) -> String {
    let p = &c.paired;
    let mut out = format!(
        "\npaired comparison on {} shared tasks (reducer {}):\n  this log   {:<40} {}\n  reference  {:<40} {}\n",
        p.tasks,
        c.reducer,
        c.model,
        pct(p.accuracy_a),
        c.reference_model,
        pct(p.accuracy_b)
    );
    out.push_str(&format!(
        "  difference {:+.1} points{}\n",
        p.difference * 100.0,
        match &p.difference_interval {
            Some(i) => format!(
                ", 95% [{:+.1}, {:+.1}] (paired bootstrap by task)",
                i.lower * 100.0,
                i.upper * 100.0
            ),
            None => String::new(),
        }
    ));
    out.push_str(&format!(
        "  discordant tasks: this log better on {}, reference better on {}; exact two-sided sign test (McNemar) p = {:.4}\n",
        p.a_better, p.b_better, p.p_value
    ));
    for (n, named, which) in [
        (c.only_in_log, &c.only_in_log_named, "this log"),
        (
            c.only_in_reference,
            &c.only_in_reference_named,
            "the reference",
        ),
    ] {
        if n > 0 {
            out.push_str(&format!(
                "  {n} tasks only in {which} (not compared): {}{}\n",
                named.join(", "),
                if n > named.len() { ", ..." } else { "" }
            ));
        }
    }
    out
}
