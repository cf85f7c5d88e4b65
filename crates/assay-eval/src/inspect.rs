//! Export to Inspect's `.eval` log (the zip-based log format of inspect-ai), so a run of
//! assay opens in Inspect's viewer and in any tool built on `inspect_ai.log.read_eval_log`.
//!
//! The format, as inspect-ai 0.3.285 writes and reads it (learnt from its documentation and
//! from logs its own writer produced; no code of it is used here): a zip holding
//! - `_journal/start.json`: `{version: 2, eval, plan}` (the eval spec: task, model, dataset,
//!   config, scorers);
//! - `samples/<id>_epoch_<n>.json`: one `EvalSample` each (input, target, messages in
//!   Inspect's chat-message shape, output, scores keyed by scorer name, metadata, usage);
//! - `summaries.json` and `_journal/summaries/1.json`: one small `EvalSampleSummary` each;
//! - `header.json`: the whole log without samples (`status`, `eval`, `plan`, `results` with
//!   each scorer's metrics, `stats`).
//!
//! The log is read twice, line by line (bounded memory, however large the log): the first
//! pass keeps one small record per (suite, task, epoch), so that a sample resumed after an
//! error replaces its earlier record exactly as in `view`; the second pass converts only the
//! winning lines, one at a time, and writes each straight into the zip, its summary to a
//! scratch file that is then copied into the summary entries. Nothing from the run
//! record's `invocation` (base URL, the key's variable name) is exported, and of the model
//! settings only temperature, seed and max_tokens are: an export never carries a secret.
//!
//! The file is written next to its destination under a temporary name and renamed into
//! place, so a kill leaves the old file or the new one, never half.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::error::{EvalError, Result};
use crate::provider::{Message, Role};
use crate::suite::Suite;
use crate::view::MAX_LINE_BYTES;

/// The Inspect log-format version written.
pub const INSPECT_LOG_VERSION: u32 = 2;
/// The scorer name under which assay's score appears in the export.
pub const SCORER_NAME: &str = "assay";

/// What an export did.
#[derive(Debug, Clone, Serialize)]
pub struct ExportSummary {
    pub out: PathBuf,
    pub task: String,
    pub model: String,
    pub samples: usize,
    pub correct: usize,
    pub errors: usize,
    /// Sample records replaced by a later record of the same (suite, task, epoch).
    pub superseded: usize,
    /// Lines that were not log records (skipped, as `view` does).
    pub bad_lines: u64,
    /// Whether targets were taken from the suite file (its digest matched the run record).
    pub targets_from_suite: bool,
    /// Things the reader of the export should know (e.g. why targets are empty).
    pub notes: Vec<String>,
}

#[derive(Deserialize)]
struct Kind {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    suite: Option<String>,
    #[serde(default)]
    task_id: Option<String>,
    #[serde(default)]
    epoch: Option<u32>,
    #[serde(default)]
    correct: Option<bool>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    stop: Option<String>,
    #[serde(default)]
    started: Option<String>,
}

/// The run record fields the export uses.
#[derive(Deserialize, Default, Clone)]
struct RunHead {
    #[serde(default)]
    run_id: String,
    #[serde(default)]
    started: String,
    #[serde(default)]
    suite: String,
    #[serde(default)]
    suite_digest: String,
    #[serde(default)]
    suite_path: Option<PathBuf>,
    #[serde(default)]
    model: String,
    #[serde(default)]
    model_settings: Value,
    #[serde(default)]
    epochs: Option<u32>,
    #[serde(default)]
    agent_limits: Option<Value>,
    #[serde(default)]
    sandbox: Option<String>,
    #[serde(default)]
    assay_version: Option<String>,
}

/// A sample line as `run` writes it.
#[derive(Deserialize)]
struct LogSample {
    task_id: String,
    epoch: u32,
    #[serde(default)]
    suite: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    correct: bool,
    #[serde(default)]
    answer: Option<String>,
    #[serde(default)]
    stop: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    scorer_output: Option<String>,
    #[serde(default)]
    turns: u32,
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    millis: u64,
    #[serde(default)]
    model_version: Option<String>,
    #[serde(default)]
    difficulty: Option<String>,
    #[serde(default)]
    run_id: Option<String>,
    #[serde(default)]
    transcript: Vec<Message>,
}

/// What the first pass keeps per (suite, task, epoch): the winning line and its outcome.
struct Winner {
    line: u64,
    correct: bool,
    error: bool,
}

/// Reads a log one line at a time (at most [`MAX_LINE_BYTES`] held), calling `f` with the
/// 1-based line number and the line; over-long lines are skipped and counted.
fn for_each_line(path: &Path, mut f: impl FnMut(u64, &[u8]) -> Result<()>) -> Result<u64> {
    let file = std::fs::File::open(path).map_err(|e| EvalError::io(path, e))?;
    let mut r = BufReader::with_capacity(1 << 16, file);
    let mut buf = Vec::new();
    let (mut lineno, mut skipped) = (0u64, 0u64);
    loop {
        buf.clear();
        let n = r
            .by_ref()
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| EvalError::io(path, e))?;
        if n == 0 {
            break;
        }
        lineno += 1;
        if buf.len() > MAX_LINE_BYTES && buf.last() != Some(&b'\n') {
            loop {
                let got = r.fill_buf().map_err(|e| EvalError::io(path, e))?;
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
            skipped += 1;
            continue;
        }
        f(lineno, &buf)?;
    }
    Ok(skipped)
}

/// Inspect's model name (`provider/model`) for assay's `provider:model`.
pub fn inspect_model_name(model: &str) -> String {
    match model.split_once(':') {
        Some((kind, rest)) if !kind.is_empty() && !rest.is_empty() => {
            // A replay model is named by its script's model name; keep the provider prefix.
            let rest = if kind == "replay" {
                Path::new(rest)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| rest.to_string())
            } else {
                rest.to_string()
            };
            format!("{kind}/{rest}")
        }
        _ if model.contains('/') => model.to_string(),
        _ if model.is_empty() => "assay/unknown".to_string(),
        _ => format!("assay/{model}"),
    }
}

/// A short, stable id from `parts` (Inspect's uuids are 22-character short uuids).
fn stable_id(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())[..22].to_string()
}

/// Exports the assay log at `log` to an Inspect `.eval` file at `out`. Refuses to replace an
/// existing `out` unless `overwrite`.
pub fn export_inspect(log: &Path, out: &Path, overwrite: bool) -> Result<ExportSummary> {
    let name = log.display().to_string();
    if out.exists() && !overwrite {
        return Err(EvalError::Usage(format!(
            "{} exists; choose another file or pass --overwrite to replace it",
            out.display()
        )));
    }
    // Pass 1: the run record and the winning line of every (suite, task, epoch).
    let mut head: Option<RunHead> = None;
    let mut last_started = String::new();
    let mut winners: BTreeMap<(String, String, u32), Winner> = BTreeMap::new();
    let mut superseded = 0usize;
    let mut bad = 0u64;
    let skipped = for_each_line(log, |lineno, buf| {
        if buf.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let Ok(k) = serde_json::from_slice::<Kind>(buf) else {
            bad += 1;
            return Ok(());
        };
        match k.kind.as_str() {
            "run" => {
                if head.is_none() {
                    head = Some(serde_json::from_slice(buf).map_err(|e| {
                        EvalError::invalid(&name, lineno as usize, "(run record)", e.to_string())
                    })?);
                }
                if let Some(s) = k.started {
                    last_started = s;
                }
            }
            "sample" => {
                let (Some(task), Some(epoch)) = (k.task_id, k.epoch) else {
                    bad += 1;
                    return Ok(());
                };
                let w = Winner {
                    line: lineno,
                    correct: k.correct.unwrap_or(false),
                    error: k.error.is_some() || k.stop.as_deref() == Some("error"),
                };
                if winners
                    .insert((k.suite.unwrap_or_default(), task, epoch), w)
                    .is_some()
                {
                    superseded += 1;
                }
            }
            "excluded" => {}
            _ => bad += 1,
        }
        Ok(())
    })?;
    let head = head.ok_or_else(|| {
        EvalError::invalid(
            &name,
            0,
            "(run record)",
            "no run record: this is not a log written by `assay eval run`, so there is nothing to export",
        )
    })?;
    let suites: std::collections::BTreeSet<&str> =
        winners.keys().map(|(s, _, _)| s.as_str()).collect();
    let prefix_suite = suites.len() > 1;
    let sample_id = |suite: &str, task: &str| {
        if prefix_suite {
            format!("{suite}.{task}")
        } else {
            task.to_string()
        }
    };
    let mut notes = Vec::new();
    if prefix_suite {
        notes.push(format!(
            "the log holds {} suites; sample ids are written as SUITE.TASK",
            suites.len()
        ));
    }
    // Targets live in the suite, not in the log: take them from the suite file the run
    // record names, when it is still the same file.
    let mut targets: BTreeMap<String, String> = BTreeMap::new();
    let mut targets_from_suite = false;
    match &head.suite_path {
        Some(p) => match Suite::load(&crate::run::resolve_beside(log, p)) {
            Ok(s) if s.digest == head.suite_digest => {
                targets = s
                    .tasks
                    .iter()
                    .map(|t| (t.id.clone(), t.target.clone()))
                    .collect();
                targets_from_suite = true;
            }
            Ok(_) => notes.push(format!(
                "{}: the suite changed since the run; targets are left empty",
                p.display()
            )),
            Err(e) => notes.push(format!("targets are left empty: {e}")),
        },
        None => notes.push("the run record names no suite file; targets are left empty".into()),
    }
    let model = inspect_model_name(&head.model);
    let limits = head.agent_limits.clone().unwrap_or(Value::Null);
    let generate_config = {
        let mut m = serde_json::Map::new();
        for key in ["temperature", "seed", "max_tokens"] {
            if let Some(v) = head.model_settings.get(key).filter(|v| !v.is_null()) {
                m.insert(key.to_string(), v.clone());
            }
        }
        Value::Object(m)
    };
    let mut sample_ids: Vec<String> = Vec::new();
    {
        let mut seen = std::collections::BTreeSet::new();
        for (s, t, _) in winners.keys() {
            let id = sample_id(s, t);
            if seen.insert(id.clone()) {
                sample_ids.push(id);
            }
        }
    }
    let created = if head.started.is_empty() {
        chrono::Utc::now().to_rfc3339()
    } else {
        head.started.clone()
    };
    let epochs = head.epochs.unwrap_or(1).max(1);
    let eval_id = stable_id(&[&head.run_id, "eval"]);
    let eval_spec = json!({
        "eval_id": eval_id,
        "run_id": stable_id(&[&head.run_id, "run"]),
        "created": created,
        "task": head.suite,
        "task_id": stable_id(&[&head.suite, &head.suite_digest]),
        "task_version": 0,
        "task_attribs": {},
        "task_args": {},
        "dataset": {
            "name": head.suite,
            "samples": sample_ids.len(),
            "sample_ids": sample_ids,
            "shuffled": false,
        },
        "sandbox": head.sandbox.as_ref().map(|s| json!({"type": format!("assay-{s}")})),
        "model": model,
        "model_generate_config": generate_config,
        "model_args": {},
        "config": {
            "epochs": epochs,
            "turn_limit": limits.get("max_turns").cloned(),
            "token_limit": limits.get("max_tokens").cloned(),
            "time_limit": limits.get("max_wall").and_then(|w| w.get("secs")).cloned(),
        },
        "packages": {"assay": head.assay_version.clone().unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_string())},
        "metadata": {
            "assay_run_id": head.run_id,
            "assay_suite_digest": head.suite_digest,
            "assay_model": head.model_name_for_export(),
        },
        "scorers": [{
            "name": SCORER_NAME,
            "options": {},
            "metrics": [
                {"name": "inspect_ai/accuracy", "options": {}},
                {"name": "inspect_ai/stderr", "options": {}},
            ],
            "metadata": {},
        }],
    });
    let plan = json!({
        "name": "plan",
        "steps": [{"solver": "assay_agent", "params": {"tools": ["bash", "python", "submit"]}}],
        "config": {},
    });

    // Pass 2: convert the winning lines one at a time, straight into the zip.
    let keep: BTreeMap<u64, ()> = winners.values().map(|w| (w.line, ())).collect();
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        out.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "export.eval".into()),
        std::process::id()
    ));
    let scratch = dir.join(format!(
        ".{}.summaries-{}",
        out.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "export.eval".into()),
        std::process::id()
    ));
    let file = std::fs::File::create(&tmp).map_err(|e| EvalError::io(&tmp, e))?;
    let result = (|| -> Result<ExportSummary> {
        let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default());
        let zerr = |e: zip::result::ZipError| EvalError::io(&tmp, std::io::Error::other(e));
        let put = |zip: &mut zip::ZipWriter<_>, entry: &str, v: &Value| -> Result<()> {
            zip.start_file(entry, opts).map_err(zerr)?;
            serde_json::to_writer(&mut *zip, v).map_err(|e| EvalError::io(&tmp, e.into()))
        };
        put(
            &mut zip,
            "_journal/start.json",
            &json!({"version": INSPECT_LOG_VERSION, "eval": eval_spec, "plan": plan}),
        )?;
        // Summaries go to a scratch file beside the export, one line each, and are copied
        // into their two entries afterwards: memory holds one sample, never all summaries.
        let scratch_file =
            std::fs::File::create(&scratch).map_err(|e| EvalError::io(&scratch, e))?;
        let mut summaries = std::io::BufWriter::new(scratch_file);
        let (mut input_tokens, mut output_tokens) = (0u64, 0u64);
        for_each_line(log, |lineno, buf| {
            if !keep.contains_key(&lineno) {
                return Ok(());
            }
            let s: LogSample = serde_json::from_slice(buf).map_err(|e| {
                EvalError::invalid(&name, lineno as usize, "(sample record)", e.to_string())
            })?;
            input_tokens += s.input_tokens;
            output_tokens += s.output_tokens;
            let id = sample_id(&s.suite, &s.task_id);
            let target = targets.get(&s.task_id).cloned().unwrap_or_default();
            let (sample, summary) = convert(&s, &id, &target, &model, &limits, &head.run_id);
            put(
                &mut zip,
                &format!("samples/{id}_epoch_{}.json", s.epoch),
                &sample,
            )?;
            serde_json::to_writer(&mut summaries, &summary)
                .map_err(|e| EvalError::io(&scratch, e.into()))?;
            summaries
                .write_all(b"\n")
                .map_err(|e| EvalError::io(&scratch, e))?;
            Ok(())
        })?;
        summaries.flush().map_err(|e| EvalError::io(&scratch, e))?;
        drop(summaries);
        for entry in ["_journal/summaries/1.json", "summaries.json"] {
            zip.start_file(entry, opts).map_err(zerr)?;
            let io = |e: std::io::Error| EvalError::io(&tmp, e);
            zip.write_all(b"[").map_err(io)?;
            let f = std::fs::File::open(&scratch).map_err(|e| EvalError::io(&scratch, e))?;
            let mut first = true;
            for line in BufReader::new(f).split(b'\n') {
                let line = line.map_err(|e| EvalError::io(&scratch, e))?;
                if line.is_empty() {
                    continue;
                }
                if !first {
                    zip.write_all(b",").map_err(io)?;
                }
                first = false;
                zip.write_all(&line).map_err(io)?;
            }
            zip.write_all(b"]").map_err(io)?;
        }
        // Results: Inspect reduces a sample's epochs to their mean, then takes accuracy and
        // its standard error over samples; Wilson bounds on all samples are added.
        let mut per: BTreeMap<(&str, &str), (u64, u64)> = BTreeMap::new();
        for ((s, t, _), w) in &winners {
            let e = per.entry((s, t)).or_default();
            e.0 += u64::from(w.correct);
            e.1 += 1;
        }
        let means: Vec<f64> = per.values().map(|&(c, n)| c as f64 / n as f64).collect();
        let n = means.len() as f64;
        let accuracy = if means.is_empty() {
            0.0
        } else {
            means.iter().sum::<f64>() / n
        };
        let stderr = if means.len() > 1 {
            let var = means.iter().map(|m| (m - accuracy).powi(2)).sum::<f64>() / (n - 1.0);
            (var / n).sqrt()
        } else {
            0.0
        };
        let correct = winners.values().filter(|w| w.correct).count();
        let errors = winners.values().filter(|w| w.error).count();
        let total = winners.len();
        let w = assay_pad::confidence::wilson(
            correct as u64,
            total as u64,
            0.95,
            assay_pad::confidence::Sided::Two,
        );
        let completed_at = if last_started.is_empty() {
            created.clone()
        } else {
            last_started.clone()
        };
        let header = json!({
            "version": INSPECT_LOG_VERSION,
            "status": "success",
            "eval": eval_spec,
            "plan": plan,
            "results": {
                "total_samples": total,
                "completed_samples": total,
                "scores": [{
                    "name": SCORER_NAME,
                    "scorer": SCORER_NAME,
                    "scored_samples": total,
                    "unscored_samples": 0,
                    "params": {},
                    "metrics": {
                        "accuracy": {"name": "accuracy", "value": accuracy, "params": {}},
                        "stderr": {"name": "stderr", "value": stderr, "params": {}},
                        "wilson_lower_95": {"name": "wilson_lower_95", "value": w.lower, "params": {}},
                        "wilson_upper_95": {"name": "wilson_upper_95", "value": w.upper, "params": {}},
                    },
                }],
            },
            "stats": {
                "started_at": created,
                "completed_at": completed_at,
                "model_usage": {
                    model.clone(): {
                        "input_tokens": input_tokens,
                        "output_tokens": output_tokens,
                        "total_tokens": input_tokens + output_tokens,
                    }
                },
            },
            "invalidated": false,
        });
        put(&mut zip, "header.json", &header)?;
        let mut inner = zip.finish().map_err(zerr)?;
        inner.flush().map_err(|e| EvalError::io(&tmp, e))?;
        let file = inner
            .into_inner()
            .map_err(|e| EvalError::io(&tmp, e.into_error()))?;
        file.sync_all().map_err(|e| EvalError::io(&tmp, e))?;
        Ok(ExportSummary {
            out: out.to_path_buf(),
            task: head.suite.clone(),
            model: model.clone(),
            samples: total,
            correct,
            errors,
            superseded,
            bad_lines: bad + skipped,
            targets_from_suite,
            notes: notes.clone(),
        })
    })();
    let _ = std::fs::remove_file(&scratch);
    match result {
        Ok(s) => {
            std::fs::rename(&tmp, out).map_err(|e| EvalError::io(out, e))?;
            Ok(s)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

impl RunHead {
    /// The model as the run record names it, with a replay script's folder dropped (a local
    /// path says nothing to the reader of an export).
    fn model_name_for_export(&self) -> String {
        match self.model.split_once(':') {
            Some(("replay", rest)) => format!(
                "replay:{}",
                Path::new(rest)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ),
            _ => self.model.clone(),
        }
    }
}

/// One message in Inspect's chat-message shape.
fn message(
    m: &Message,
    model_version: Option<&str>,
    calls: &mut BTreeMap<String, String>,
) -> Value {
    match m.role {
        Role::System => json!({"role": "system", "content": m.content}),
        Role::User => json!({"role": "user", "content": m.content, "source": "input"}),
        Role::Assistant => {
            let mut v = json!({"role": "assistant", "content": m.content, "source": "generate"});
            if !m.tool_calls.is_empty() {
                let tc: Vec<Value> = m
                    .tool_calls
                    .iter()
                    .map(|c| {
                        calls.insert(c.id.clone(), c.name.clone());
                        let arguments = match &c.arguments {
                            Value::Object(_) => c.arguments.clone(),
                            Value::Null => json!({}),
                            other => json!({"value": other}),
                        };
                        json!({"id": c.id, "function": c.name, "arguments": arguments, "type": "function"})
                    })
                    .collect();
                v["tool_calls"] = Value::Array(tc);
            }
            if let Some(mv) = model_version {
                v["model"] = json!(mv);
            }
            v
        }
        Role::Tool => {
            let id = m.tool_call_id.clone().unwrap_or_default();
            let mut v = json!({"role": "tool", "content": m.content, "tool_call_id": id});
            if let Some(f) = calls.get(&id) {
                v["function"] = json!(f);
            }
            v
        }
    }
}

/// An assay sample as an Inspect `EvalSample` and its `EvalSampleSummary`.
fn convert(
    s: &LogSample,
    id: &str,
    target: &str,
    model: &str,
    limits: &Value,
    run_id: &str,
) -> (Value, Value) {
    let mut calls = BTreeMap::new();
    let messages: Vec<Value> = s
        .transcript
        .iter()
        .map(|m| message(m, s.model_version.as_deref(), &mut calls))
        .collect();
    let input = s
        .transcript
        .iter()
        .find(|m| m.role == Role::User)
        .map(|m| m.content.clone())
        .unwrap_or_default();
    let last_assistant = s
        .transcript
        .iter()
        .rposition(|m| m.role == Role::Assistant)
        .map(|i| messages[i].clone());
    let usage = json!({
        "input_tokens": s.input_tokens,
        "output_tokens": s.output_tokens,
        "total_tokens": s.input_tokens + s.output_tokens,
    });
    let output = match &last_assistant {
        Some(m) => json!({
            "model": model,
            "choices": [{
                "message": m,
                "stop_reason": if m.get("tool_calls").is_some() { "tool_calls" } else { "stop" },
            }],
            "completion": m["content"],
            "usage": usage,
        }),
        None => json!({"model": model, "choices": [], "completion": ""}),
    };
    let mut score = json!({"value": if s.correct { "C" } else { "I" }});
    if let Some(a) = &s.answer {
        score["answer"] = json!(a);
    }
    if let Some(o) = &s.scorer_output {
        score["explanation"] = json!(o);
    }
    let scores = json!({ SCORER_NAME: score });
    let seconds = s.millis as f64 / 1000.0;
    let uuid = stable_id(&[
        run_id,
        s.run_id.as_deref().unwrap_or(""),
        id,
        &s.epoch.to_string(),
    ]);
    let error = s
        .error
        .as_ref()
        .map(|e| json!({"message": e, "traceback": "", "traceback_ansi": ""}));
    let limit = match s.stop.as_deref() {
        Some("turn-limit") => limits
            .get("max_turns")
            .map(|l| json!({"type": "turn", "limit": l})),
        Some("token-limit") => limits
            .get("max_tokens")
            .map(|l| json!({"type": "token", "limit": l})),
        Some("time-limit") => limits
            .get("max_wall")
            .and_then(|w| w.get("secs"))
            .map(|l| json!({"type": "time", "limit": l})),
        _ => None,
    };
    let metadata = json!({
        "suite": s.suite,
        "category": s.category,
        "tag": s.tag,
        "difficulty": s.difficulty,
        "stop": s.stop,
        "turns": s.turns,
        "model_version": s.model_version,
        "assay_run_id": s.run_id,
    });
    let model_usage = json!({ model: usage });
    let mut sample = json!({
        "id": id,
        "epoch": s.epoch,
        "input": input,
        "target": target,
        "messages": messages,
        "output": output,
        "scores": scores,
        "metadata": metadata,
        "store": {},
        "events": [],
        "model_usage": model_usage,
        "total_time": seconds,
        "working_time": seconds,
        "uuid": uuid,
        "attachments": {},
    });
    let mut summary = json!({
        "id": id,
        "epoch": s.epoch,
        "input": input,
        "target": target,
        "metadata": metadata,
        "scores": scores,
        "model_usage": model_usage,
        "total_time": seconds,
        "working_time": seconds,
        "uuid": uuid,
        "completed": true,
        "message_count": messages.len(),
    });
    if let Some(e) = &error {
        sample["error"] = e.clone();
        summary["error"] = e["message"].clone();
    }
    if let Some(l) = &limit {
        sample["limit"] = l.clone();
        summary["limit"] = l["type"].clone();
    }
    (sample, summary)
}
