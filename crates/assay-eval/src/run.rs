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
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            epochs: 1,
            max_connections: 4,
            limits: AgentLimits::default(),
            gate: false,
            tasks: Vec::new(),
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
            "suite_path": suite.path.display().to_string(),
            "model": provider.name(),
            "model_settings": provider.settings(),
            "epochs": opts.epochs,
            "max_connections": opts.max_connections,
            "sandbox": sandbox.backend(),
            "sandbox_limits": limits,
            "agent_limits": opts.limits,
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
    let queue = Mutex::new(work.into_iter());
    let (tx, rx) = mpsc::channel::<SampleResult>();
    let mut summary = RunSummary {
        run_id: run_id.clone(),
        samples: 0,
        correct: 0,
        errors: 0,
        excluded,
    };
    reporter.start(
        "samples",
        Some((runnable.len() * opts.epochs.max(1) as usize) as u64),
    );
    let written: Result<()> = std::thread::scope(|scope| {
        for _ in 0..opts.max_connections.max(1) {
            let tx = tx.clone();
            let queue = &queue;
            let runnable = &runnable;
            scope.spawn(move || {
                loop {
                    let next = queue.lock().map(|mut q| q.next()).unwrap_or(None);
                    let Some((i, epoch)) = next else { break };
                    let r = agent::run_sample(
                        sandbox,
                        suite,
                        runnable[i],
                        epoch,
                        provider,
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
            append(&mut file, log, &v)?;
            reporter.advance(1);
        }
        Ok(())
    });
    reporter.finish();
    written?;
    Ok(summary)
}
