//! The store contract (`store.rs` module docs), checked on both stores through the trait:
//! `sqlite::NAME` and `postgres::NAME` (see `backend`).

mod backend;

use std::sync::{Arc, Barrier};

use assay_server::policy::Role;
use assay_server::store::{AuditEntry, ServerStore, StoreError};
use assay_server::{bootstrap_admin, open_store};

use backend::Backend;

on_both_stores!(
    migrations_apply_once_and_record_their_version,
    a_database_newer_than_the_binary_is_refused,
    a_grant_and_its_audit_row_commit_together,
    a_refused_grant_leaves_nothing_behind,
    servers_starting_together_migrate_once,
    concurrent_bootstraps_make_exactly_one_admin,
    committed_writes_are_seen_by_a_new_store_on_the_same_database,
    concurrent_transitions_from_one_state_let_exactly_one_through,
    concurrent_audit_rows_are_each_written_once_and_survive_reopening,
);

/// A fresh database for one test, as a `--database` value, and the directory it lives in.
fn fresh(backend: &Backend) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = backend
        .fresh()
        .unwrap_or_else(|| dir.path().join("server.db").display().to_string());
    (url, dir)
}

fn open(url: &str, dir: &tempfile::TempDir) -> Arc<dyn ServerStore> {
    open_store(dir.path(), Some(url)).unwrap()
}

fn audit(action: &str) -> AuditEntry {
    AuditEntry {
        at: 1_700_000_000,
        actor_user_id: None,
        actor: "test".into(),
        action: action.into(),
        target: String::new(),
        allowed: true,
        detail: String::new(),
    }
}

fn latest() -> i64 {
    assay_server::sqlite::latest_version()
}

fn migrations_apply_once_and_record_their_version(backend: Backend) {
    let (url, dir) = fresh(&backend);
    let s = open(&url, &dir);
    assert_eq!(s.schema_version().unwrap(), latest());
    s.create_organisation("kept", &audit("create-organisation"))
        .unwrap();
    drop(s);
    // Re-opening applies nothing twice (the CREATE TABLEs would fail) and keeps the data.
    let s = open(&url, &dir);
    assert_eq!(s.schema_version().unwrap(), latest());
    assert_eq!(s.list_organisations(0, 10).unwrap()[0].name, "kept");
}

fn a_database_newer_than_the_binary_is_refused(backend: Backend) {
    let (url, dir) = fresh(&backend);
    drop(open(&url, &dir));
    let future = format!(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES ({}, 'future', 0)",
        latest() + 1
    );
    match &backend {
        Backend::Sqlite => {
            let conn = rusqlite::Connection::open(&url).unwrap();
            conn.execute_batch(&future).unwrap();
        }
        Backend::Postgres(_) => backend::pg_execute(&url, &future),
    }
    let Err(err) = open_store(dir.path(), Some(&url)) else {
        panic!("a newer schema was opened")
    };
    let text = err.to_string();
    assert!(
        matches!(
            &err,
            assay_server::ServerError::Store(StoreError::SchemaTooNew { found, .. })
                if *found == latest() + 1
        ),
        "{text}"
    );
    assert!(text.contains("newer than this assay"), "{text}");
}

fn a_grant_and_its_audit_row_commit_together(backend: Backend) {
    let (url, dir) = fresh(&backend);
    let s = open(&url, &dir);
    let org = s
        .create_organisation("lab-one", &audit("create-organisation"))
        .unwrap();
    let user = s
        .create_user(org.id, "lee", Role::Lab, &audit("create-user"))
        .unwrap();
    s.set_role(user.id, Role::Reviewer, &audit("grant-role"))
        .unwrap();
    let rows = s.list_audit(0, 100).unwrap();
    let actions: Vec<_> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        ["create-organisation", "create-user", "grant-role"]
    );
    assert_eq!(rows[0].target, format!("organisation:{}", org.id));
    assert_eq!(rows[2].target, format!("user:{}", user.id));
    assert_eq!(rows[2].detail, "role reviewer");
    assert_eq!(s.user(user.id).unwrap().unwrap().role, Role::Reviewer);
    // Ids are ascending and pagination by id works.
    assert!(rows.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(s.list_audit(rows[0].id, 100).unwrap().len(), 2);
    assert_eq!(s.list_audit(0, 1).unwrap().len(), 1);
}

fn a_refused_grant_leaves_nothing_behind(backend: Backend) {
    let (url, dir) = fresh(&backend);
    let s = open(&url, &dir);
    let org = s
        .create_organisation("lab-one", &audit("create-organisation"))
        .unwrap();
    // A name clash is a conflict; neither a row nor an audit entry is left behind.
    let err = s
        .create_organisation("lab-one", &audit("create-organisation"))
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    s.create_user(org.id, "lee", Role::Lab, &audit("create-user"))
        .unwrap();
    let err = s
        .create_user(org.id, "lee", Role::Buyer, &audit("create-user"))
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    // A user in an organisation that does not exist; a role for a user that does not exist.
    let err = s
        .create_user(org.id + 100, "x", Role::Lab, &audit("create-user"))
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    let err = s
        .set_role(9_999, Role::Admin, &audit("grant-role"))
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    // Revoking a token that does not exist is `false`, and not audited.
    assert!(
        !s.revoke_token("00000000000000ff", None, &audit("revoke-token"))
            .unwrap()
    );
    assert_eq!(s.list_organisations(0, 10).unwrap().len(), 1);
    assert_eq!(s.list_users(Some(org.id), 0, 10).unwrap().len(), 1);
    let actions: Vec<_> = s
        .list_audit(0, 100)
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert_eq!(actions, ["create-organisation", "create-user"]);
}

fn servers_starting_together_migrate_once(backend: Backend) {
    let (url, dir) = fresh(&backend);
    let n = 4;
    let barrier = Arc::new(Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (url, path, barrier) = (url.clone(), dir.path().to_path_buf(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                open_store(&path, Some(&url)).map(|s| s.schema_version().unwrap())
            })
        })
        .collect();
    for h in handles {
        let version = h.join().unwrap().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(version, latest());
    }
}

fn concurrent_bootstraps_make_exactly_one_admin(backend: Backend) {
    let (url, dir) = fresh(&backend);
    // The organisation exists already, so the bootstraps do not clash on its name: only the
    // "no admin yet" check can stop the second one.
    open(&url, &dir)
        .create_organisation("operator", &audit("create-organisation"))
        .unwrap();
    let n = 4;
    let barrier = Arc::new(Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let (url, path, barrier) = (url.clone(), dir.path().to_path_buf(), barrier.clone());
            std::thread::spawn(move || {
                // Each its own store, like separate `assay serve --init-admin` processes.
                let store = open_store(&path, Some(&url)).unwrap();
                barrier.wait();
                bootstrap_admin(store.as_ref(), "operator", &format!("root{i}"))
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "exactly one bootstrap succeeds: {results:?}"
    );
    // The others are told why, not given a database error.
    for e in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(e.contains("has an admin already"), "{e}");
    }
    let s = open(&url, &dir);
    let admins = s
        .list_users(None, 0, 100)
        .unwrap()
        .into_iter()
        .filter(|u| u.role == Role::Admin)
        .count();
    assert_eq!(admins, 1);
    assert_eq!(s.list_organisations(0, 10).unwrap().len(), 1);
}

fn committed_writes_are_seen_by_a_new_store_on_the_same_database(backend: Backend) {
    let (url, dir) = fresh(&backend);
    let a = open(&url, &dir);
    let (boot, token) = bootstrap_admin(a.as_ref(), "ops", "root").unwrap();
    // A second store (another server process) sees what the first committed, at once.
    let b = open(&url, &dir);
    let id = assay_server::token::parse(&token).unwrap().0;
    let (record, user) = b.token(id).unwrap().expect("the token is visible");
    assert_eq!(user.id, boot.admin.id);
    assert_eq!(record.revoked_at, None);
    assert!(
        a.revoke_token(id, Some(user.id), &audit("revoke-token"))
            .unwrap()
    );
    let (record, _) = b.token(id).unwrap().unwrap();
    assert_eq!(record.revoked_at, Some(1_700_000_000));
    // Revoking again keeps the first time.
    let mut later = audit("revoke-token");
    later.at += 50;
    assert!(b.revoke_token(id, None, &later).unwrap());
    assert_eq!(
        a.token(id).unwrap().unwrap().0.revoked_at,
        Some(1_700_000_000)
    );
    assert_eq!(a.list_tokens(user.id).unwrap().len(), 1);
}

/// PostgreSQL only (SQLite has no connection to lose): when the database ends the store's
/// connections (a restart, an administrator), the pool drops them and opens new ones; at most
/// the call that finds a connection dead fails, and nothing committed is lost.
#[test]
fn postgres_connections_ended_by_the_server_are_replaced() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let url = backend.fresh().unwrap();
    let app = format!("assay-reconnect-{}", std::process::id());
    let url = format!("{url}&application_name={app}");
    let dir = tempfile::tempdir().unwrap();
    let s = open(&url, &dir);
    s.create_organisation("before", &audit("create-organisation"))
        .unwrap();
    let ended = backend::pg_i64(
        &url,
        &format!(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE application_name = '{app}' AND pid <> pg_backend_pid()"
        ),
    );
    assert!(ended >= 1, "the store kept its connection open");
    std::thread::sleep(std::time::Duration::from_millis(200));
    let first = s.list_organisations(0, 10);
    let orgs = match first {
        Ok(orgs) => orgs,
        Err(_) => s.list_organisations(0, 10).expect("a new connection works"),
    };
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0].name, "before");
    s.create_organisation("after", &audit("create-organisation"))
        .unwrap();
    assert_eq!(s.list_organisations(0, 10).unwrap().len(), 2);
}

/// PostgreSQL only: a database that does not exist is named in the error, with the server's
/// own reason, and without the password.
#[test]
fn postgres_a_missing_database_is_named_without_the_password() {
    let Some(Backend::Postgres(base)) = Backend::postgres() else {
        return;
    };
    // The test URL names database assay_test (scripts/test-postgres.sh); swap in another.
    let Some((head, tail)) = base.split_once("/assay_test") else {
        return;
    };
    let url = format!("{head}/no_such_db{tail}").replacen("assay@", "assay:hunter22@", 1);
    let dir = tempfile::tempdir().unwrap();
    let Err(err) = open_store(dir.path(), Some(&url)) else {
        panic!("opened a database that does not exist");
    };
    let text = err.to_string();
    assert!(
        text.contains("cannot connect to the server database"),
        "{text}"
    );
    assert!(text.contains("/no_such_db"), "{text}");
    assert!(text.contains("does not exist"), "{text}");
    assert!(!text.contains("hunter22"), "{text}");
}

/// Two reviewers moving the same submission from the same state at once: one transition is
/// recorded, the other is a `Conflict` and leaves no event and no audit row behind.
fn concurrent_transitions_from_one_state_let_exactly_one_through(backend: Backend) {
    use assay_server::store::{NewSubmission, NewSubmissionEvent};
    let (url, dir) = fresh(&backend);
    let s = open(&url, &dir);
    let org = s
        .create_organisation("dev", &audit("create-organisation"))
        .unwrap();
    let event = |to: &str, from: Option<&str>| NewSubmissionEvent {
        submission_id: 0,
        kind: "transition".into(),
        from_state: from.map(str::to_string),
        to_state: to.into(),
        at: 1_700_000_000,
        actor_user_id: None,
        detail: "null".into(),
        ledger_index: None,
    };
    let sub = s
        .create_submission(
            &NewSubmission {
                organisation_id: org.id,
                submitted_by: None,
                model: "m".into(),
                model_digest: None,
                planned_release: "2099-01-01".into(),
                manifest_json: "{}".into(),
                evidence_ids: vec![3, 1],
                qualification: "qualifies".into(),
                window_days: 30,
                opens_at: 1_700_000_000,
                closes_at: 1_700_000_000 + 30 * 86_400,
                created_at: 1_700_000_000,
            },
            &event("submitted", None),
            &audit("submit-model"),
        )
        .unwrap();
    assert_eq!(sub.state, "submitted");
    assert_eq!(sub.evidence_ids, [3, 1]);
    let audits_before = s.list_audit(0, 1000).unwrap().len();
    let barrier = Arc::new(Barrier::new(4));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (s, barrier) = (s.clone(), barrier.clone());
            let e = NewSubmissionEvent {
                submission_id: sub.id,
                ..event("under-review", Some("submitted"))
            };
            std::thread::spawn(move || {
                barrier.wait();
                s.add_submission_event(&e, &audit("transition-submission"))
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 1, "{results:?}");
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| matches!(e, StoreError::Conflict(_)))
    );
    let events = s.submission_events(sub.id).unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(s.submission(sub.id).unwrap().unwrap().state, "under-review");
    assert_eq!(s.list_audit(0, 1000).unwrap().len(), audits_before + 1);
}

/// Audit rows appended from many threads at once (the SQLite store commits them in groups):
/// every acknowledged row is in the log exactly once, and still there for a new store on the
/// same database (another process after a restart).
fn concurrent_audit_rows_are_each_written_once_and_survive_reopening(backend: Backend) {
    let (url, dir) = fresh(&backend);
    let store = open(&url, &dir);
    let before = store.list_audit(0, 10_000).unwrap().len();
    std::thread::scope(|scope| {
        for t in 0..8 {
            let store = store.clone();
            scope.spawn(move || {
                for i in 0..40 {
                    let mut row = audit("read-evidence");
                    row.target = format!("t{t}-r{i}");
                    store.append_audit(&row).unwrap();
                }
            });
        }
    });
    drop(store);
    let again = open(&url, &dir);
    let rows = again.list_audit(0, 10_000).unwrap();
    let targets: std::collections::BTreeSet<String> = rows
        .iter()
        .filter(|r| r.action == "read-evidence")
        .map(|r| r.target.clone())
        .collect();
    assert_eq!(rows.len() - before, 320, "each row once");
    assert_eq!(targets.len(), 320);
}
