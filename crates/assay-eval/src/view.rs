//! Reading logs back in bounded memory: `assay eval view` streams the JSON lines, keeps only
//! counts per group, and reports accuracy with Wilson 95% intervals (and, for 0 of N, the
//! exact one-sided upper bound).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use assay_pad::confidence::{Sided, clopper_pearson, wilson};
use serde::{Deserialize, Serialize};

use crate::error::{EvalError, Result};

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
    pub correct: u64,
    pub samples: u64,
    pub errors: u64,
    pub accuracy: f64,
    /// Wilson 95% two-sided interval.
    pub lower: f64,
    pub upper: f64,
    /// For 0 of N: the exact one-sided 95% upper bound (1 - 0.05^(1/N)).
    pub zero_upper_bound: Option<f64>,
}

/// A whole log, summarised.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Summary {
    pub runs: Vec<RunInfo>,
    pub groups: Vec<Group>,
    pub excluded: Vec<Excluded>,
    pub lines: u64,
    pub bad_lines: u64,
    pub bad: Vec<String>,
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

#[derive(Default)]
struct Count {
    k: u64,
    n: u64,
    errors: u64,
}

/// Summarises the log at `path`.
pub fn summarize(path: &Path) -> Result<Summary> {
    let file = std::fs::File::open(path).map_err(|e| EvalError::io(path, e))?;
    summarize_reader(
        BufReader::with_capacity(1 << 16, file),
        &path.display().to_string(),
    )
}

/// Summarises a log from any reader; `name` names it in messages.
pub fn summarize_reader(mut r: impl BufRead, name: &str) -> Result<Summary> {
    let mut s = Summary::default();
    let mut counts: BTreeMap<(String, String), Count> = BTreeMap::new();
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
                let category = line.category.unwrap_or_else(|| "unknown".into());
                let tag = line.tag.unwrap_or_default();
                let mut keys = vec!["all".to_string(), category.clone()];
                if !tag.is_empty() {
                    keys.push(format!("{category}/{tag}"));
                }
                for key in keys {
                    let c = counts.entry((suite.clone(), key)).or_default();
                    c.n += 1;
                    c.k += u64::from(line.correct.unwrap_or(false));
                    c.errors += u64::from(line.error.is_some());
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
    for ((suite, group), c) in counts {
        let w = wilson(c.k, c.n, 0.95, Sided::Two);
        s.groups.push(Group {
            suite,
            group,
            correct: c.k,
            samples: c.n,
            errors: c.errors,
            accuracy: if c.n == 0 {
                0.0
            } else {
                c.k as f64 / c.n as f64
            },
            lower: w.lower,
            upper: w.upper,
            zero_upper_bound: (c.k == 0 && c.n > 0)
                .then(|| clopper_pearson(0, c.n, 0.95, Sided::Upper).upper),
        });
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
        out.push_str(&format!(
            "{:<24} {:<32} {:>7} {:>7} {:>9}  {}{}\n",
            g.suite,
            g.group,
            g.correct,
            g.samples,
            pct(g.accuracy),
            interval,
            if g.errors > 0 {
                format!("  ({} errored)", g.errors)
            } else {
                String::new()
            }
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
