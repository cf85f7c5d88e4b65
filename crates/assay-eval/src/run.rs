//! Runs: every (task, epoch) of a suite through the agent loop on a small worker pool, each
//! finished sample appended to the log as one JSON line and synced before the next is
//! written, so a kill loses at most the samples in flight.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;
use std::sync::mpsc;

use assay_core::Reporter;
use serde::Serialize;
use serde_json::json;

use crate::agent::{self, AgentLimits, Gate, SampleResult};
use crate::error::{EvalError, Result};
use crate::provider::Provider;
use crate::sandbox::Sandbox;
use crate::suite::Suite;

/// Options of a run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub epochs: u32,
    pub max_connections: usize,
    pub limits: AgentLimits,
    /// Run the solvability gate first and leave out tasks whose reference solution fails.
    pub gate: bool,
    /// Only these task ids (all when empty).
    pub tasks: Vec<String>,
    /// What the caller needs to start the same model again on `resume` (the CLI stores its
    /// `--model`, base URL, key variable's name, ...). Recorded as is: never put a secret here.
    pub invocation: serde_json::Value,
    /// sha256 (hex) of the model's weights when the caller knows it: recorded in the run
    /// record and carried into `eval-run`/`eval-report` evidence (`model_digest`), which
    /// rule packs tie to the manifest's model digest.
    pub model_digest: Option<String>,
    /// The grader of rubric scorers (`--grader`); without one a rubric task is unscored.
    pub grader: Option<Grader>,
}

/// The model that grades rubric scorers ([`crate::rubric`]).
#[derive(Clone)]
pub struct Grader(pub std::sync::Arc<dyn Provider>);

impl std::fmt::Debug for Grader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Grader({})", self.0.name())
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            epochs: 1,
            max_connections: 4,
            limits: AgentLimits::default(),
            gate: false,
            tasks: Vec::new(),
            invocation: serde_json::Value::Null,
            model_digest: None,
            grader: None,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub run_id: String,
    pub samples: usize,
    pub correct: usize,
    pub errors: usize,
    pub excluded: Vec<(String, String)>,
}

/// A file's path as a run record keeps it (the suite, a replay script): relative to the
/// log's folder when the file lies inside it (a log shipped with its suite carries no path of
/// the machine that made it, and still resumes after the folder moves), else absolute, so
/// `resume` finds it from any folder. [`resolve_beside`] reads it back.
pub fn recorded_path(p: &Path, log: &Path) -> String {
    let abs = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let dir = log
        .parent()
        .map(|d| {
            if d.as_os_str().is_empty() {
                Path::new(".")
            } else {
                d
            }
        })
        .and_then(|d| std::fs::canonicalize(d).ok());
    if let Some(dir) = dir
        && let Ok(rel) = abs.strip_prefix(&dir)
        && !rel.as_os_str().is_empty()
    {
        return rel.display().to_string();
    }
    abs.display().to_string()
}

/// A path of a run record ([`recorded_path`]): a relative one is relative to the log's folder.
pub fn resolve_beside(log: &Path, p: &Path) -> std::path::PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        log.parent().unwrap_or(Path::new(".")).join(p)
    }
}

/// When the log ends in a torn line (a run killed mid-write), appends a newline so the next
/// record starts a line of its own: the fragment stays one bad line that `view` skips and
/// reports, and nothing is deleted (`resume`, which knows the file is a log, cuts it off).
fn start_on_a_new_line(file: &mut std::fs::File, log: &Path) -> Result<()> {
    use std::io::{Read as _, Seek as _, SeekFrom};
    let len = file.metadata().map_err(|e| EvalError::io(log, e))?.len();
    if len == 0 {
        return Ok(());
    }
    let mut reader = std::fs::File::open(log).map_err(|e| EvalError::io(log, e))?;
    reader
        .seek(SeekFrom::Start(len - 1))
        .map_err(|e| EvalError::io(log, e))?;
    let mut last = [0u8; 1];
    reader
        .read_exact(&mut last)
        .map_err(|e| EvalError::io(log, e))?;
    if last[0] != b'\n' {
        file.write_all(b"\n").map_err(|e| EvalError::io(log, e))?;
    }
    Ok(())
}

/// Appends one JSON line and syncs it to disk.
fn append(file: &mut std::fs::File, path: &Path, value: &serde_json::Value) -> Result<()> {
    let mut line = serde_json::to_vec(value).map_err(|e| EvalError::Sandbox(e.to_string()))?;
    line.push(b'\n');
    file.write_all(&line).map_err(|e| EvalError::io(path, e))?;
    file.sync_data().map_err(|e| EvalError::io(path, e))
}

/// Runs `suite` with `provider` in `sandbox`, appending to the JSON-lines log at `log`.
pub fn run(
    suite: &Suite,
    provider: &dyn Provider,
    sandbox: &Sandbox,
    log: &Path,
    opts: &RunOptions,
    reporter: &dyn Reporter,
) -> Result<RunSummary> {
    for id in &opts.tasks {
        if suite.task(id).is_none() {
            return Err(EvalError::Sandbox(format!(
                "the suite {} has no task {}",
                suite.id,
                assay_core::text::quote_short(id)
            )));
        }
    }
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| EvalError::io(log, e))?;
    start_on_a_new_line(&mut file, log)?;
    let started = chrono::Utc::now();
    let run_id = format!(
        "{}-{}",
        started.format("%Y%m%dT%H%M%S%.3fZ"),
        std::process::id()
    );
    let limits = sandbox.limits();
    append(
        &mut file,
        log,
        &json!({
            "type": "run",
            "run_id": run_id,
            "started": started.to_rfc3339(),
            "suite": suite.id,
            "suite_digest": suite.digest,
            "suite_path": recorded_path(&suite.path, log),
            "model": provider.name(),
            "model_settings": provider.settings(),
            "epochs": opts.epochs,
            "max_connections": opts.max_connections,
            "sandbox": sandbox.backend(),
            "sandbox_limits": limits,
            "agent_limits": opts.limits,
            "tasks": opts.tasks,
            "invocation": opts.invocation,
            "model_digest": opts.model_digest,
            "grader": opts.grader.as_ref().map(|g| g.0.name()),
            "assay_version": env!("CARGO_PKG_VERSION"),
        }),
    )?;
    let selected: Vec<_> = suite
        .tasks
        .iter()
        .filter(|t| opts.tasks.is_empty() || opts.tasks.contains(&t.id))
        .collect();
    let mut excluded = Vec::new();
    let mut runnable = Vec::new();
    if opts.gate {
        reporter.start("solvability gate", Some(selected.len() as u64));
        for t in selected {
            match agent::check_solution(sandbox, suite, t) {
                Gate::Failed { reason } => {
                    reporter.note(&format!(
                        "EXCLUDED {}: its reference solution fails in the sandbox: {reason}",
                        t.id
                    ));
                    append(
                        &mut file,
                        log,
                        &json!({"type": "excluded", "run_id": run_id, "suite": suite.id,
                                "task_id": t.id, "reason": format!("reference solution fails: {reason}")}),
                    )?;
                    excluded.push((t.id.clone(), reason));
                }
                _ => runnable.push(t),
            }
            reporter.advance(1);
        }
        reporter.finish();
    } else {
        runnable = selected;
    }
    let work: Vec<(usize, u32)> = (0..runnable.len())
        .flat_map(|i| (0..opts.epochs.max(1)).map(move |e| (i, e + 1)))
        .collect();
    let summary = RunSummary {
        run_id: run_id.clone(),
        samples: 0,
        correct: 0,
        errors: 0,
        excluded,
    };
    execute(
        suite, provider, sandbox, &mut file, log, &runnable, work, opts, reporter, summary,
    )
}

/// Runs the `(task index, epoch)` pairs of `work` on the worker pool, appending each finished
/// sample to `file`.
#[allow(clippy::too_many_arguments)]
fn execute(
    suite: &Suite,
    provider: &dyn Provider,
    sandbox: &Sandbox,
    file: &mut std::fs::File,
    log: &Path,
    runnable: &[&crate::suite::Task],
    work: Vec<(usize, u32)>,
    opts: &RunOptions,
    reporter: &dyn Reporter,
    mut summary: RunSummary,
) -> Result<RunSummary> {
    let run_id = summary.run_id.clone();
    let total = work.len() as u64;
    let queue = Mutex::new(work.into_iter());
    let (tx, rx) = mpsc::channel::<SampleResult>();
    reporter.start("samples", Some(total));
    let written: Result<()> = std::thread::scope(|scope| {
        for _ in 0..opts.max_connections.max(1) {
            let tx = tx.clone();
            let queue = &queue;
            scope.spawn(move || {
                loop {
                    let next = queue.lock().map(|mut q| q.next()).unwrap_or(None);
                    let Some((i, epoch)) = next else { break };
                    let r = agent::run_sample_graded(
                        sandbox,
                        suite,
                        runnable[i],
                        epoch,
                        provider,
                        opts.grader.as_ref().map(|g| &*g.0),
                        &opts.limits,
                        reporter,
                    );
                    if tx.send(r).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for r in rx {
            summary.samples += 1;
            summary.correct += usize::from(r.correct);
            summary.errors += usize::from(r.error.is_some());
            let mut v = serde_json::to_value(&r).map_err(|e| EvalError::Sandbox(e.to_string()))?;
            v["type"] = json!("sample");
            v["run_id"] = json!(run_id);
            v["difficulty"] = json!(suite.task(&r.task_id).map(|t| t.difficulty));
            append(file, log, &v)?;
            reporter.advance(1);
        }
        Ok(())
    });
    reporter.finish();
    written?;
    Ok(summary)
}

// ---- resume ----

/// The first run record of a log: what `resume` needs to run the rest.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct RunRecord {
    pub run_id: String,
    pub suite: String,
    pub suite_digest: String,
    pub suite_path: std::path::PathBuf,
    pub model: String,
    #[serde(default = "one")]
    pub epochs: u32,
    #[serde(default = "four")]
    pub max_connections: usize,
    #[serde(default)]
    pub agent_limits: Option<AgentLimits>,
    #[serde(default)]
    pub tasks: Vec<String>,
    #[serde(default)]
    pub invocation: serde_json::Value,
    #[serde(default)]
    pub model_digest: Option<String>,
}

fn one() -> u32 {
    1
}
fn four() -> usize {
    4
}

/// What a log holds, read for `resume`.
#[derive(Debug, Clone)]
pub struct LogState {
    pub run: RunRecord,
    /// (task, epoch) whose latest sample record ended without an error (correct or not).
    pub finished: std::collections::BTreeSet<(String, u32)>,
    /// (task, epoch) whose latest sample record ended in an error.
    pub errored: std::collections::BTreeSet<(String, u32)>,
    /// Tasks the solvability gate left out.
    pub excluded: std::collections::BTreeSet<String>,
    /// Bytes up to the end of the last complete line.
    pub complete_len: u64,
    /// Bytes of a torn last line (no newline: a kill mid-write), 0 when none.
    pub torn_bytes: u64,
}

#[derive(serde::Deserialize)]
struct StateLine {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    suite: Option<String>,
    #[serde(default)]
    task_id: Option<String>,
    #[serde(default)]
    epoch: Option<u32>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    stop: Option<String>,
}

/// Reads a log's run record and which samples it holds, line by line (bounded memory: one
/// line at a time, at most [`crate::view::MAX_LINE_BYTES`]; over-long lines are skipped).
pub fn read_state(log: &Path) -> Result<LogState> {
    use std::io::BufRead as _;
    use std::io::Read as _;
    let name = log.display().to_string();
    let f = std::fs::File::open(log).map_err(|e| EvalError::io(log, e))?;
    let mut r = std::io::BufReader::with_capacity(1 << 16, f);
    let mut run: Option<RunRecord> = None;
    let mut latest: std::collections::BTreeMap<(String, u32), bool> = Default::default();
    let mut excluded = std::collections::BTreeSet::new();
    let (mut offset, mut complete_len, mut lineno) = (0u64, 0u64, 0usize);
    let mut buf = Vec::new();
    let max = crate::view::MAX_LINE_BYTES;
    loop {
        buf.clear();
        let n = r
            .by_ref()
            .take(max as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| EvalError::io(log, e))?;
        if n == 0 {
            break;
        }
        lineno += 1;
        offset += n as u64;
        if buf.last() != Some(&b'\n') {
            if buf.len() <= max {
                break; // the torn last line
            }
            // Over-long: skip to its end.
            loop {
                buf.clear();
                let n = r
                    .by_ref()
                    .take(1 << 20)
                    .read_until(b'\n', &mut buf)
                    .map_err(|e| EvalError::io(log, e))?;
                offset += n as u64;
                if n == 0 || buf.last() == Some(&b'\n') {
                    break;
                }
            }
            if buf.last() == Some(&b'\n') {
                complete_len = offset;
            }
            continue;
        }
        complete_len = offset;
        let Ok(line) = serde_json::from_slice::<StateLine>(&buf) else {
            continue;
        };
        match line.kind.as_str() {
            "run" if run.is_none() => {
                run = Some(serde_json::from_slice(&buf).map_err(|e| {
                    EvalError::invalid(&name, lineno, "(run record)", e.to_string())
                })?);
            }
            "excluded" => {
                excluded.extend(line.task_id);
            }
            "sample" => {
                let (Some(task), Some(epoch)) = (line.task_id, line.epoch) else {
                    continue;
                };
                if let Some(run) = &run
                    && line.suite.as_deref().is_some_and(|s| s != run.suite)
                {
                    continue;
                }
                let failed = line.error.is_some() || line.stop.as_deref() == Some("error");
                latest.insert((task, epoch), failed);
            }
            _ => {}
        }
    }
    let run = run.ok_or_else(|| {
        EvalError::invalid(
            &name,
            0,
            "(run record)",
            "no run record: this is not a log written by `assay eval run`, so there is nothing to resume",
        )
    })?;
    let (errored, finished): (Vec<_>, Vec<_>) = latest.into_iter().partition(|(_, f)| *f);
    Ok(LogState {
        run,
        finished: finished.into_iter().map(|(k, _)| k).collect(),
        errored: errored.into_iter().map(|(k, _)| k).collect(),
        excluded,
        complete_len,
        torn_bytes: offset - complete_len,
    })
}

/// What `resume` did besides running samples.
#[derive(Debug, Clone, Serialize)]
pub struct ResumeSummary {
    pub resumed_run: String,
    /// Samples run again because their last record ended in an error.
    pub rerun_errored: usize,
    /// Samples the log did not hold at all.
    pub missing: usize,
    /// Bytes of a torn last line cut off before appending.
    pub truncated_bytes: u64,
    pub run: RunSummary,
}

/// Continues the run of the log at `log`: refuses when `suite` is not the suite the run
/// record names (its sha256 differs), cuts a torn last line off (the file is truncated back
/// to the end of its last complete line), appends a new `run` record naming the resumed run,
/// then runs only the (task, epoch) samples that are missing or whose latest record ended in
/// an error, appending them as `run` does. Samples scored incorrect are not run again.
/// `opts` should come from [`resume_options`] (the run record's settings).
pub fn resume(
    state: &LogState,
    suite: &Suite,
    provider: &dyn Provider,
    sandbox: &Sandbox,
    log: &Path,
    opts: &RunOptions,
    reporter: &dyn Reporter,
) -> Result<ResumeSummary> {
    if suite.digest != state.run.suite_digest {
        return Err(EvalError::SuiteChanged {
            path: suite.path.clone(),
            expected: state.run.suite_digest.clone(),
            found: suite.digest.clone(),
        });
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(log)
        .map_err(|e| EvalError::io(log, e))?;
    let len = file.metadata().map_err(|e| EvalError::io(log, e))?.len();
    let mut truncated = 0;
    if len > state.complete_len {
        truncated = len - state.complete_len;
        file.set_len(state.complete_len)
            .map_err(|e| EvalError::io(log, e))?;
        file.sync_all().map_err(|e| EvalError::io(log, e))?;
        reporter.note(&format!(
            "{}: its last line was torn ({truncated} bytes, a run killed mid-write); cut it off \
             before appending",
            log.display()
        ));
    }
    drop(file);
    let mut file = OpenOptions::new()
        .append(true)
        .open(log)
        .map_err(|e| EvalError::io(log, e))?;
    let selected: Vec<&crate::suite::Task> = suite
        .tasks
        .iter()
        .filter(|t| opts.tasks.is_empty() || opts.tasks.contains(&t.id))
        .filter(|t| !state.excluded.contains(&t.id))
        .collect();
    let (mut work, mut rerun, mut missing) = (Vec::new(), 0, 0);
    for (i, t) in selected.iter().enumerate() {
        for epoch in 1..=opts.epochs.max(1) {
            let key = (t.id.clone(), epoch);
            if state.finished.contains(&key) {
                continue;
            }
            if state.errored.contains(&key) {
                rerun += 1;
            } else {
                missing += 1;
            }
            work.push((i, epoch));
        }
    }
    let started = chrono::Utc::now();
    let run_id = format!(
        "{}-{}",
        started.format("%Y%m%dT%H%M%S%.3fZ"),
        std::process::id()
    );
    append(
        &mut file,
        log,
        &json!({
            "type": "run",
            "run_id": run_id,
            "resumes": state.run.run_id,
            "started": started.to_rfc3339(),
            "suite": suite.id,
            "suite_digest": suite.digest,
            "suite_path": recorded_path(&suite.path, log),
            "model": provider.name(),
            "model_settings": provider.settings(),
            "epochs": opts.epochs,
            "max_connections": opts.max_connections,
            "sandbox": sandbox.backend(),
            "sandbox_limits": sandbox.limits(),
            "agent_limits": opts.limits,
            "tasks": opts.tasks,
            "invocation": opts.invocation,
            "model_digest": opts.model_digest,
            "grader": opts.grader.as_ref().map(|g| g.0.name()),
            "samples_to_run": work.len(),
            "assay_version": env!("CARGO_PKG_VERSION"),
        }),
    )?;
    let summary = RunSummary {
        run_id,
        samples: 0,
        correct: 0,
        errors: 0,
        excluded: Vec::new(),
    };
    let run = execute(
        suite, provider, sandbox, &mut file, log, &selected, work, opts, reporter, summary,
    )?;
    Ok(ResumeSummary {
        resumed_run: state.run.run_id.clone(),
        rerun_errored: rerun,
        missing,
        truncated_bytes: truncated,
        run,
    })
}

/// The run options a run record implies (epochs, concurrency, agent limits, task selection,
/// invocation); no gate (the excluded tasks stay excluded).
pub fn resume_options(run: &RunRecord) -> RunOptions {
    RunOptions {
        epochs: run.epochs.max(1),
        max_connections: run.max_connections.max(1),
        limits: run.agent_limits.clone().unwrap_or_default(),
        gate: false,
        tasks: run.tasks.clone(),
        invocation: run.invocation.clone(),
        model_digest: run.model_digest.clone(),
        // The caller starts the grader again from its invocation, as it does the model.
        grader: None,
    }
}
