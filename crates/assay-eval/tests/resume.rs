//! `resume`: a log with finished, incorrect, errored and missing samples and a torn last line
//! is continued with the replay provider on real InterCode-CTF tasks in the bubblewrap
//! sandbox; afterwards every (task, epoch) has exactly one finished record.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use assay_core::Silent;
use assay_eval::provider::{CallContext, Generation, Message, Provider, Replay, ToolSpec};
use assay_eval::run::{RunOptions, read_state, resume, resume_options, run};
use assay_eval::sandbox::Sandbox;
use assay_eval::suite::Suite;
use serde_json::Value;

// The shared data sets sit beside the repository (../shared), wherever it is cloned.
const INTERCODE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/tasks/intercode-ctf"
);

const SCRIPT: &str = r#"{"model": "solver", "tasks": {
 "ic-4": [{"tool_calls":[{"name":"bash","arguments":{"cmd":"cat flag"}}]}, {"tool_calls":[{"name":"submit","arguments":{"answer":"{{last_output}}"}}]}],
 "ic-22": [{"tool_calls":[{"name":"bash","arguments":{"cmd":"echo \"picoCTF{$(echo bDNhcm5fdGgzX3IwcDM1 | base64 -d)}\""}}]}, {"tool_calls":[{"name":"submit","arguments":{"answer":"{{last_output}}"}}]}],
 "ic-5": [{"tool_calls":[{"name":"submit","arguments":{"answer":"picoCTF{wrong}"}}]}]
}}"#;

/// The replay model, failing every call of the chosen (task, epoch) samples like a provider
/// that gave up; counts the samples it was asked to start.
struct Flaky {
    inner: Replay,
    fail: Vec<(&'static str, u32)>,
    first_calls: AtomicUsize,
}

impl Provider for Flaky {
    fn name(&self) -> String {
        self.inner.name()
    }
    fn generate(
        &self,
        ctx: &CallContext,
        messages: &[Message],
        tools: &[ToolSpec],
    ) -> assay_eval::Result<Generation> {
        if messages.len() == 2 {
            self.first_calls.fetch_add(1, Ordering::SeqCst);
        }
        if self.fail.contains(&(ctx.task_id, ctx.epoch)) {
            return Err(assay_eval::EvalError::Provider(
                "replay: gave up after 3 attempts; last: 529 (overloaded)".into(),
            ));
        }
        self.inner.generate(ctx, messages, tools)
    }
}

fn setup(dir: &Path) -> (Suite, Sandbox, Replay) {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let imp = assay_eval::intercode::import(Path::new(INTERCODE), Some(&[4, 5, 22])).unwrap();
    let path = dir.join("suite.toml");
    std::fs::write(&path, imp.suite_toml).unwrap();
    let root = dir.join("sandboxes");
    std::fs::create_dir(&root).unwrap();
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
    let script = dir.join("script.json");
    std::fs::write(&script, SCRIPT).unwrap();
    (
        Suite::load(&path).unwrap(),
        Sandbox::bwrap(&root).expect("bwrap must work here: run scripts/install-test-deps.sh"),
        Replay::load(&script).unwrap(),
    )
}

fn samples(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["type"] == "sample")
        .collect()
}

#[test]
fn resume_runs_only_missing_and_errored_samples() {
    let d = tempfile::tempdir().unwrap();
    let (suite, sandbox, replay) = setup(d.path());
    let log = d.path().join("run.jsonl");
    let digest = "c057c28fdbc7e57cbe1f3833bdf2b01d8f09c90c3364a7ace90923944c59f144";
    let opts = RunOptions {
        epochs: 2,
        max_connections: 2,
        model_digest: Some(digest.into()),
        ..RunOptions::default()
    };
    // First run: ic-22 epoch 1 errors (the provider gave up).
    let flaky = Flaky {
        inner: replay.clone(),
        fail: vec![("ic-22", 1)],
        first_calls: AtomicUsize::new(0),
    };
    let first = run(&suite, &flaky, &sandbox, &log, &opts, &Silent).unwrap();
    assert_eq!((first.samples, first.errors), (6, 1));
    // Then lose ic-4 epoch 2 (as if killed before it was written) and leave a torn line.
    let text = std::fs::read_to_string(&log).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !(l.contains(r#""task_id":"ic-4""#) && l.contains(r#""epoch":2"#)))
        .collect();
    assert_eq!(kept.len(), 6); // run record + 5 samples
    let torn = r#"{"type":"sample","task_id":"ic-5","epoch":1,"correct":tr"#;
    std::fs::write(&log, kept.join("\n") + "\n" + torn).unwrap();

    let state = read_state(&log).unwrap();
    assert_eq!(state.torn_bytes, torn.len() as u64);
    assert_eq!(state.errored.len(), 1);
    assert_eq!(state.finished.len(), 4); // ic-5 (incorrect) counts as finished
    let counting = Flaky {
        inner: replay,
        fail: vec![],
        first_calls: AtomicUsize::new(0),
    };
    let r = resume(
        &state,
        &suite,
        &counting,
        &sandbox,
        &log,
        &resume_options(&state.run),
        &Silent,
    )
    .unwrap();
    assert_eq!((r.missing, r.rerun_errored), (1, 1));
    assert_eq!(r.truncated_bytes, torn.len() as u64);
    assert_eq!((r.run.samples, r.run.correct, r.run.errors), (2, 2, 0));
    // Only the two samples were started; the incorrect ic-5 ones were not run again.
    assert_eq!(counting.first_calls.load(Ordering::SeqCst), 2);

    // The log: every line parses (the torn one is gone), two run records, and each
    // (task, epoch) has exactly one finished record.
    let all = std::fs::read_to_string(&log).unwrap();
    assert!(all.ends_with('\n'));
    let runs: Vec<Value> = all
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["type"] == "run")
        .collect();
    assert_eq!(runs.len(), 2);
    // The model digest given to the first run is kept by the resumed one (evidence recorded
    // from the log is about one model).
    assert!(runs.iter().all(|r| r["model_digest"] == digest), "{runs:?}");
    let mut finished: BTreeMap<(String, u64), usize> = BTreeMap::new();
    for s in samples(&log) {
        if s["error"].is_null() {
            *finished
                .entry((
                    s["task_id"].as_str().unwrap().into(),
                    s["epoch"].as_u64().unwrap(),
                ))
                .or_default() += 1;
        }
    }
    assert_eq!(finished.len(), 6, "{finished:?}");
    assert!(finished.values().all(|&n| n == 1), "{finished:?}");
    // The view counts each (task, epoch) once: 4 of 6 (ic-5 is wrong twice).
    let v = assay_eval::view::summarize(&log).unwrap();
    let g = v.groups.iter().find(|g| g.group == "all").unwrap();
    assert_eq!((g.correct, g.samples, g.errors), (4, 6, 0));
    assert_eq!(v.superseded, 1);

    // Resuming a complete log runs nothing.
    let state = read_state(&log).unwrap();
    let again = resume(
        &state,
        &suite,
        &counting,
        &sandbox,
        &log,
        &resume_options(&state.run),
        &Silent,
    )
    .unwrap();
    assert_eq!(again.run.samples, 0);
    assert_eq!(counting.first_calls.load(Ordering::SeqCst), 2);
}

#[test]
fn resume_refuses_a_changed_suite() {
    let d = tempfile::tempdir().unwrap();
    let (suite, sandbox, replay) = setup(d.path());
    let log = d.path().join("run.jsonl");
    let opts = RunOptions {
        tasks: vec!["ic-4".into()],
        ..RunOptions::default()
    };
    run(&suite, &replay, &sandbox, &log, &opts, &Silent).unwrap();
    let mut text = std::fs::read_to_string(&suite.path).unwrap();
    text.push_str("\n# edited after the run\n");
    std::fs::write(&suite.path, text).unwrap();
    let changed = Suite::load(&suite.path).unwrap();
    let state = read_state(&log).unwrap();
    let before = std::fs::read(&log).unwrap();
    let e = resume(
        &state,
        &changed,
        &replay,
        &sandbox,
        &log,
        &resume_options(&state.run),
        &Silent,
    )
    .unwrap_err();
    assert!(
        matches!(e, assay_eval::EvalError::SuiteChanged { .. }),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("the suite changed since the run began"),
        "{e}"
    );
    assert_eq!(std::fs::read(&log).unwrap(), before, "the log is untouched");
    // The run record kept the task selection.
    assert_eq!(state.run.tasks, vec!["ic-4".to_string()]);
}

#[test]
fn a_log_without_a_run_record_is_a_named_error() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("x.jsonl");
    std::fs::write(&log, "{\"type\":\"sample\"}\n").unwrap();
    let e = read_state(&log).unwrap_err().to_string();
    assert!(e.contains("no run record"), "{e}");
}

#[test]
fn a_new_run_after_a_torn_line_starts_on_a_line_of_its_own() {
    let d = tempfile::tempdir().unwrap();
    let (suite, sandbox, replay) = setup(d.path());
    let log = d.path().join("run.jsonl");
    let torn = r#"{"type":"sample","task_id":"ic-5","epo"#;
    std::fs::write(&log, torn).unwrap();
    let opts = RunOptions {
        tasks: vec!["ic-4".into()],
        ..RunOptions::default()
    };
    run(&suite, &replay, &sandbox, &log, &opts, &Silent).unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.starts_with(&format!("{torn}\n")), "nothing deleted");
    // The run's own records are intact: the fragment is one bad line, skipped.
    let v = assay_eval::view::summarize(&log).unwrap();
    assert_eq!(v.bad_lines, 1);
    assert_eq!(v.runs.len(), 1);
    let g = v.groups.iter().find(|g| g.group == "all").unwrap();
    assert_eq!((g.correct, g.samples), (1, 1));
}

/// A log beside its suite records the suite's path relative to the log's folder (no path of
/// the machine that made it, as in the shipped frontier example), and the folder moved
/// elsewhere still resumes and exports with its targets.
#[test]
fn a_log_beside_its_suite_records_a_relative_path_and_moves_with_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("a");
    std::fs::create_dir(&dir).unwrap();
    let (suite, sandbox, replay) = setup(&dir);
    let log = dir.join("run.jsonl");
    let opts = RunOptions {
        max_connections: 1,
        tasks: vec!["ic-4".into()],
        ..Default::default()
    };
    run(&suite, &replay, &sandbox, &log, &opts, &Silent).unwrap();
    let first: Value = serde_json::from_str(
        std::fs::read_to_string(&log)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first["suite_path"], "suite.toml");
    // A log elsewhere keeps the absolute path.
    let other = tempfile::tempdir().unwrap();
    let far = other.path().join("far.jsonl");
    run(&suite, &replay, &sandbox, &far, &opts, &Silent).unwrap();
    let far_first: Value = serde_json::from_str(
        std::fs::read_to_string(&far)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert!(
        Path::new(far_first["suite_path"].as_str().unwrap()).is_absolute(),
        "{far_first}"
    );
    // Moved: the relative path resolves beside the log.
    let moved = tmp.path().join("b");
    std::fs::rename(&dir, &moved).unwrap();
    let log = moved.join("run.jsonl");
    let state = read_state(&log).unwrap();
    let again = Suite::load(&assay_eval::run::resolve_beside(
        &log,
        &state.run.suite_path,
    ))
    .unwrap();
    assert_eq!(again.digest, suite.digest);
    let out = tmp.path().join("run.eval");
    let s = assay_eval::inspect::export_inspect(&log, &out, false).unwrap();
    assert!(
        s.targets_from_suite,
        "targets found beside the moved log: {:?}",
        s.notes
    );
}
