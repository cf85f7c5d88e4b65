//! `assay eval resume` after a real kill (SIGKILL mid-run) and a torn last line, then
//! `eval view` with reducers and a paired comparison against a second log. Real InterCode-CTF
//! tasks, the replay model, the bubblewrap sandbox.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{assay, repo, text};

// The shared data sets sit beside the repository (../shared), wherever it is cloned.
const INTERCODE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/tasks/intercode-ctf"
);

/// ic-4 and ic-22 solved for real in the sandbox (ic-22 takes 2 s), ic-5 answered wrong.
const SCRIPT: &str = r#"{"model": "slow-solver", "tasks": {
 "ic-4": [{"tool_calls":[{"name":"bash","arguments":{"cmd":"cat flag"}}]}, {"tool_calls":[{"name":"submit","arguments":{"answer":"{{last_output}}"}}]}],
 "ic-22": [{"tool_calls":[{"name":"bash","arguments":{"cmd":"sleep 2; echo \"picoCTF{$(echo bDNhcm5fdGgzX3IwcDM1 | base64 -d)}\""}}]}, {"tool_calls":[{"name":"submit","arguments":{"answer":"{{last_output}}"}}]}],
 "ic-5": [{"tool_calls":[{"name":"submit","arguments":{"answer":"picoCTF{wrong}"}}]}]
}}"#;

fn lines(log: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[test]
fn a_killed_run_resumes_and_each_sample_is_logged_once() {
    let d = tempfile::tempdir().unwrap();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let ws = d.path().join("ws");
    let sb = d.path().join("sandboxes");
    std::fs::create_dir(&sb).unwrap();
    std::fs::set_permissions(&sb, std::fs::Permissions::from_mode(0o755)).unwrap();
    let suite = d.path().join("three.toml");
    let o = assay(
        &ws,
        &[
            "eval",
            "import",
            "intercode",
            INTERCODE,
            "--out",
            suite.to_str().unwrap(),
            "--only",
            "4,5,22",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let script = d.path().join("script.json");
    std::fs::write(&script, SCRIPT).unwrap();
    let log = d.path().join("run.jsonl");

    // Start the run, one sample at a time, and kill it while ic-22 epoch 1 sleeps.
    let mut child = Command::new(env!("CARGO_BIN_EXE_assay"))
        .arg("--workspace")
        .arg(&ws)
        .args(["eval", "run", suite.to_str().unwrap(), "--model"])
        .arg(format!("replay:{}", script.display()))
        .args(["--epochs", "2", "--max-connections", "1", "--sandbox-dir"])
        .arg(&sb)
        .arg("--log")
        .arg(&log)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while lines(&log).len() < 5 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run never wrote 4 samples"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no cleanup of our own runs
    child.wait().unwrap();
    let before = lines(&log);
    assert_eq!(before.len(), 5, "run record + 4 samples: {before:?}");
    // A kill mid-write leaves a torn line; add one.
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    std::io::Write::write_all(&mut f, br#"{"type":"sample","task_id":"ic-22","ep"#).unwrap();
    drop(f);

    let o = assay(
        &ws,
        &[
            "eval",
            "resume",
            log.to_str().unwrap(),
            "--sandbox-dir",
            sb.to_str().unwrap(),
        ],
    );
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("cut a torn last line (38 bytes)"), "{t}");
    assert!(
        t.contains("2 missing and 0 errored samples run again; 2 samples, 2 correct"),
        "{t}"
    );
    assert!(
        t.contains("swept 1 sample folders"),
        "the killed run's folder: {t}"
    );
    assert_eq!(std::fs::read_dir(&sb).unwrap().count(), 0);

    // Every line parses; each (task, epoch) exactly once.
    let raw = std::fs::read_to_string(&log).unwrap();
    let all: Vec<serde_json::Value> = raw
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut keys: Vec<(String, u64)> = all
        .iter()
        .filter(|v| v["type"] == "sample")
        .map(|v| {
            (
                v["task_id"].as_str().unwrap().to_string(),
                v["epoch"].as_u64().unwrap(),
            )
        })
        .collect();
    keys.sort();
    let n = keys.len();
    keys.dedup();
    assert_eq!((n, keys.len()), (6, 6), "{keys:?}");
    let runs: Vec<_> = all.iter().filter(|v| v["type"] == "run").collect();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1]["resumes"], runs[0]["run_id"]);
    // The script lies beside the log: recorded relative to the log's folder (resolved there by
    // `resume`, which just worked), so the log names no path of this machine.
    assert_eq!(runs[0]["invocation"]["model"], "replay:script.json");

    // view: 4 of 6 samples; pass@2 and pass^2 per task; k = 3 is refused by name.
    let o = assay(&ws, &["eval", "view", log.to_str().unwrap()]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    let all_line = t
        .lines()
        .find(|l| l.contains(" all "))
        .unwrap_or_else(|| panic!("{t}"));
    assert!(all_line.contains("4       6     66.7%"), "{t}");
    assert!(all_line.contains("(bootstrap by task, 3 tasks)"), "{t}");
    let o = assay(
        &ws,
        &[
            "eval",
            "view",
            log.to_str().unwrap(),
            "--reducer",
            "pass@k",
            "--k",
            "2",
        ],
    );
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("pass@2 66.7% ["), "{t}");
    let o = assay(
        &ws,
        &[
            "eval",
            "view",
            log.to_str().unwrap(),
            "--reducer",
            "pass^k",
            "--k",
            "3",
        ],
    );
    assert!(!o.status.success());
    assert!(
        text(&o).contains("k = 3 but task ic-22 has only 2 epoch(s)"),
        "{}",
        text(&o)
    );
    let o = assay(
        &ws,
        &["eval", "view", log.to_str().unwrap(), "--reducer", "pass@k"],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("needs --k"), "{}", text(&o));

    // A reference model's log on the same suite plus one task more: the 3-of-5 replay,
    // which also solves ic-5.
    let ref_log = d.path().join("ref.jsonl");
    let five = d.path().join("five.toml");
    let o = assay(
        &ws,
        &[
            "eval",
            "import",
            "intercode",
            INTERCODE,
            "--out",
            five.to_str().unwrap(),
            "--only",
            "4,5,22,18",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    // Same suite id ("intercode-ctf-offline"), so tasks pair by (suite, task).
    let replay = repo().join("crates/assay-cli/tests/fixtures/eval/replay-3-of-5.json");
    let o = assay(
        &ws,
        &[
            "eval",
            "run",
            five.to_str().unwrap(),
            "--model",
            &format!("replay:{}", replay.display()),
            "--sandbox-dir",
            sb.to_str().unwrap(),
            "--log",
            ref_log.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = assay(
        &ws,
        &[
            "eval",
            "view",
            log.to_str().unwrap(),
            "--against",
            ref_log.to_str().unwrap(),
        ],
    );
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("paired comparison on 3 shared tasks"), "{t}");
    assert!(t.contains("replay:slow-solver"), "{t}");
    // this log: (2 + 0 + 2) / 6; the reference: 3 / 3; ic-5 is the one discordant task.
    assert!(t.contains("difference -33.3 points"), "{t}");
    assert!(
        t.contains("this log better on 0, reference better on 1"),
        "{t}"
    );
    assert!(t.contains("p = 1.0000"), "{t}");
    assert!(
        t.contains("1 tasks only in the reference (not compared): intercode-ctf-offline/ic-18"),
        "{t}"
    );
    let o = assay(
        &ws,
        &[
            "--format",
            "json",
            "eval",
            "view",
            log.to_str().unwrap(),
            "--against",
            ref_log.to_str().unwrap(),
        ],
    );
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", text(&o)));
    assert_eq!(v["comparison"]["paired"]["b_better"], 1);

    // Edit the suite: resume refuses by name and leaves the log alone.
    let before = std::fs::read(&log).unwrap();
    let mut s = std::fs::read_to_string(&suite).unwrap();
    s.push_str("\n# edited\n");
    std::fs::write(&suite, s).unwrap();
    let o = assay(
        &ws,
        &[
            "eval",
            "resume",
            log.to_str().unwrap(),
            "--sandbox-dir",
            sb.to_str().unwrap(),
        ],
    );
    assert!(!o.status.success());
    assert!(
        text(&o).contains("the suite changed since the run began"),
        "{}",
        text(&o)
    );
    assert_eq!(std::fs::read(&log).unwrap(), before);
}

#[test]
fn anthropic_without_a_key_is_a_named_error() {
    let d = tempfile::tempdir().unwrap();
    let suite = d.path().join("s.toml");
    std::fs::write(
        &suite,
        "[suite]\nid = \"s\"\n[[task]]\nid = \"t\"\nprompt = \"p\"\ntarget = \"x\"\ncategory = \"offensive\"\nscorer = { kind = \"flag\" }\n",
    )
    .unwrap();
    let log = d.path().join("l.jsonl");
    let o = Command::new(env!("CARGO_BIN_EXE_assay"))
        .env_remove("ANTHROPIC_API_KEY")
        .args([
            "--workspace",
            "/nonexistent-ws",
            "eval",
            "run",
            suite.to_str().unwrap(),
        ])
        .args([
            "--model",
            "anthropic/claude-test",
            "--log",
            log.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        text(&o).contains("ANTHROPIC_API_KEY holds no API key"),
        "{}",
        text(&o)
    );
    assert!(!log.exists());
}
