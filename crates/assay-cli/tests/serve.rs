//! `assay serve` as a real process: bootstrap, a write acknowledged then SIGKILL, restart,
//! and a graceful stop on SIGTERM; on SQLite and on PostgreSQL (`sqlite::NAME`,
//! `postgres::NAME`: the server crate's test backends, which need `ASSAY_TEST_POSTGRES_URL`
//! from scripts/test-postgres.sh).

#[path = "../../assay-server/tests/backend/mod.rs"]
mod backend;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use backend::Backend;

on_both_stores!(
    an_acknowledged_write_survives_sigkill,
    sigterm_stops_the_server_gracefully,
    serve_keeps_its_ledger_and_cases_in_the_workspace,
);

/// `assay --workspace WS`, on the database `db` (`--database` through its environment
/// variable), or the workspace's SQLite file when `None`.
fn assay(ws: &Path, db: Option<&str>) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_assay"));
    c.arg("--workspace").arg(ws);
    match db {
        Some(url) => c.env("ASSAY_DATABASE", url),
        None => c.env_remove("ASSAY_DATABASE"),
    };
    c
}

/// Starts `assay serve` on a free loopback port; returns the child and its base URL.
fn start(ws: &Path, db: Option<&str>) -> (Child, String) {
    let mut child = assay(ws, db)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (child, base)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

fn get(base: &str, path: &str, token: &str) -> (u16, Value) {
    let mut r = agent()
        .get(format!("{base}{path}"))
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .unwrap();
    let body = r.body_mut().read_to_string().unwrap();
    (
        r.status().as_u16(),
        serde_json::from_str(&body).unwrap_or(Value::Null),
    )
}

fn post(base: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
    let mut r = agent()
        .post(format!("{base}{path}"))
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .unwrap();
    let body = r.body_mut().read_to_string().unwrap();
    (
        r.status().as_u16(),
        serde_json::from_str(&body).unwrap_or(Value::Null),
    )
}

fn init_admin(ws: &Path, db: Option<&str>) -> String {
    let out = assay(ws, None).arg("init").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = assay(ws, db)
        .args([
            "--format",
            "json",
            "serve",
            "--init-admin",
            "root",
            "--organisation",
            "ops",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["admin"]["role"], "admin");
    v["token"].as_str().unwrap().to_string()
}

#[test]
fn init_admin_prints_a_token_once_and_refuses_a_second_admin() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    let token = init_admin(&ws, None);
    assert!(token.starts_with("assay_pat_"));
    assert!(ws.join("server.db").is_file());
    let out = assay(&ws, None)
        .args(["serve", "--init-admin", "again"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("has an admin already"));
    // A PostgreSQL server that is not there: a clear error naming where, never the password,
    // and no fallback to SQLite.
    let out = assay(&ws, None)
        .args([
            "serve",
            "--database",
            "postgres://assay:pa55word@127.0.0.1:1/clearing",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot connect to the server database (postgres 127.0.0.1:1/clearing)"),
        "{err}"
    );
    assert!(!err.contains("pa55word"), "{err}");
}

fn an_acknowledged_write_survives_sigkill(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    let db = backend.fresh();
    let db = db.as_deref();
    let admin = init_admin(&ws, db);
    let (mut child, base) = start(&ws, db);
    let (status, org) = post(
        &base,
        "/api/v1/organisations",
        &admin,
        json!({"name": "lab-k"}),
    );
    assert_eq!(status, 201, "{org}");
    let (status, tok) = post(&base, "/api/v1/tokens", &admin, json!({"name": "ci"}));
    assert_eq!(status, 201, "{tok}");
    // Acknowledged: now kill without any chance to flush or shut down.
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();

    let (mut child, base) = start(&ws, db);
    let (status, orgs) = get(&base, "/api/v1/organisations", &admin);
    assert_eq!(status, 200);
    assert!(
        orgs["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["name"] == "lab-k"),
        "{orgs}"
    );
    // The token minted before the kill works after it.
    let (status, me) = get(&base, "/api/v1/me", tok["token"].as_str().unwrap());
    assert_eq!(status, 200, "{me}");
    child.kill().unwrap();
    child.wait().unwrap();
}

fn sigterm_stops_the_server_gracefully(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    let db = backend.fresh();
    let db = db.as_deref();
    let admin = init_admin(&ws, db);
    let (mut child, base) = start(&ws, db);
    assert_eq!(get(&base, "/api/v1/health", &admin).0, 200);
    // SIGTERM to the process this test started, by its id.
    let rc = send_sigterm(child.id());
    assert!(rc, "kill -TERM failed");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status:?}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn send_sigterm(pid: u32) -> bool {
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success())
}

/// `assay serve` wires the workspace's ledger (checkpoint served, signed by the workspace's
/// log key) and the per-organisation case folders (packages listed) into the server.
fn serve_keeps_its_ledger_and_cases_in_the_workspace(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    let db = backend.fresh();
    let db = db.as_deref();
    let admin = init_admin(&ws, db);
    let (mut child, base) = start(&ws, db);
    let (status, cp) = get(&base, "/api/v1/checkpoint", &admin);
    assert_eq!(status, 200, "{cp}");
    let ledger = assay_ledger::Ledger::open(&ws).unwrap();
    assert_eq!(cp["origin"], ledger.origin());
    assert_eq!(cp["size"], 0);
    assert!(
        assay_ledger::note::open_checkpoint(
            cp["checkpoint"].as_str().unwrap(),
            assay_ledger::DEFAULT_KEY,
            &ledger.log_key().unwrap()
        )
        .is_ok()
    );
    let (status, list) = get(&base, "/api/v1/packages", &admin);
    assert_eq!(status, 200, "{list}");
    assert!(send_sigterm(child.id()));
    let _ = child.wait();
}
