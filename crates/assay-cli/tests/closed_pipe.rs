//! A reader that leaves early (`assay … | head -1`) ends the command quietly with exit 0, as
//! ripgrep does: no panic, no exit 101, nothing on stderr.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

fn command(ws: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_assay"));
    c.arg("--workspace").arg(ws).args(args).stdin(Stdio::null());
    c
}

/// stdout is a pipe whose read end is closed before assay starts: every write to it fails
/// with EPIPE, deterministically, however short the output.
fn with_closed_stdout(ws: &Path, args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    command(ws, args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("run assay")
}

/// `| head -1`: read one line, then close the pipe while assay is still writing.
fn head_one_line(ws: &Path, args: &[&str]) -> (String, Output) {
    let mut child = command(ws, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run assay");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read a line");
    // The reader is dropped here: the pipe closes with most of the output unwritten.
    (line, child.wait_with_output().expect("wait"))
}

fn assert_quiet_exit(what: &str, out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert_ne!(out.status.code(), Some(101), "{what}: {stderr}");
    assert_eq!(out.status.code(), Some(0), "{what}: {stderr}");
    assert!(stderr.is_empty(), "{what}: {stderr}");
}

/// A workspace with 3,000 log entries (far more output than a pipe buffer holds) and an
/// imported KEV catalogue, built once.
fn workspace() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let ws = dir.path().join("ws");
        let ok = |args: &[&str]| {
            let out = common::assay(&ws, args);
            assert!(out.status.success(), "{args:?}: {}", common::text(&out));
        };
        ok(&["init"]);
        ok(&[
            "log",
            "append-synthetic",
            "--count",
            "3000",
            "--batch",
            "500",
        ]);
        let kev = common::repo().join("../shared/data/kev/known_exploited_vulnerabilities.json");
        ok(&["vuln", "db", "import", kev.to_str().expect("utf-8 path")]);
        (dir, ws)
    })
    .1
}

fn campaign() -> String {
    common::repo()
        .join("crates/assay-pad/tests/fixtures/device-campaign.csv")
        .display()
        .to_string()
}

#[test]
fn log_verify_into_a_closed_pipe() {
    let ws = workspace();
    assert_quiet_exit("log verify", &with_closed_stdout(ws, &["log", "verify"]));
    assert_quiet_exit(
        "log verify --format json",
        &with_closed_stdout(ws, &["--format", "json", "log", "verify"]),
    );
}

#[test]
fn evidence_list_into_a_closed_pipe() {
    let ws = workspace();
    assert_quiet_exit(
        "evidence list",
        &with_closed_stdout(ws, &["evidence", "list"]),
    );
    let (line, out) = head_one_line(ws, &["evidence", "list"]);
    assert!(!line.is_empty());
    assert_quiet_exit("evidence list | head -1", &out);
    let (line, out) = head_one_line(ws, &["--format", "json", "evidence", "list"]);
    assert_eq!(line.trim(), "[");
    assert_quiet_exit("evidence list --format json | head -1", &out);
}

#[test]
fn rules_packs_into_a_closed_pipe() {
    let ws = workspace();
    assert_quiet_exit("rules packs", &with_closed_stdout(ws, &["rules", "packs"]));
    assert_quiet_exit(
        "rules packs --format json",
        &with_closed_stdout(ws, &["--format", "json", "rules", "packs"]),
    );
}

#[test]
fn pad_report_into_a_closed_pipe() {
    let ws = workspace();
    let campaign = campaign();
    for format in ["text", "json", "html"] {
        let args = [
            "--format",
            format,
            "pad",
            "report",
            &campaign,
            "--bootstrap",
            "0",
        ];
        assert_quiet_exit(
            &format!("pad report {format}"),
            &with_closed_stdout(ws, &args),
        );
        let (line, out) = head_one_line(ws, &args);
        assert!(!line.is_empty());
        assert_quiet_exit(&format!("pad report {format} | head -1"), &out);
    }
}

#[test]
fn vuln_db_stats_into_a_closed_pipe() {
    let ws = workspace();
    assert_quiet_exit(
        "vuln db stats",
        &with_closed_stdout(ws, &["vuln", "db", "stats"]),
    );
    assert_quiet_exit(
        "vuln db stats --format json",
        &with_closed_stdout(ws, &["--format", "json", "vuln", "db", "stats"]),
    );
}

#[test]
fn errors_stay_errors_and_are_bounded() {
    // A closed stdout does not hide a real error (exit 2, message on stderr).
    let ws = workspace();
    let out = with_closed_stdout(ws, &["pad", "report", "/nonexistent/campaign.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("error: cannot read /nonexistent/"),
        "{}",
        common::text(&out)
    );
    // A campaign whose bad field is 10 MB, with an escape sequence: a short, inert message.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.csv");
    let header =
        "presentation_id,subject,session,kind,species,attack_potential,instrument,decision,score\n";
    std::fs::write(
        &path,
        format!(
            "{header}p1,s1,1,\u{1b}]0;pwned\u{7}{},print,,,reject,\n",
            "x".repeat(10 << 20)
        ),
    )
    .expect("write campaign");
    let out = common::assay(ws, &["pad", "report", path.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.len() < 400, "{} bytes", stderr.len());
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
    assert!(
        stderr.contains(":2: field `kind`: `\\u{1b}]0;pwned\\u{7}xxx"),
        "{stderr}"
    );
}
