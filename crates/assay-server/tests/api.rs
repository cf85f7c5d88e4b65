//! The server on loopback (port 0) with a temporary workspace, driven by real HTTP requests.
//! Every test runs on both stores: `sqlite::NAME` and `postgres::NAME` (see `backend`).

mod backend;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use assay_core::{EvidenceInput, EvidenceKind, Sha256Digest};
use assay_ledger::dsse::{Envelope, EvidencePredicate, IN_TOTO_PAYLOAD_TYPE, Statement};
use assay_ledger::merkle::{self, Frontier};
use assay_ledger::note::Checkpoint;
use assay_ledger::{DEFAULT_KEY, Ledger, keys};
use assay_store::{LedgerStore, NewEntry, StoredCheckpoint};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};

use assay_server::api::ROUTES;
use assay_server::store::{ServerStore, TokenRecord};
use assay_server::{AppState, Limits, bootstrap_admin, open_store, serve};
use serde_json::{Value, json};

use backend::Backend;

on_both_stores!(
    every_role_against_every_route_matches_the_expected_table,
    openapi_document_lists_every_route_of_the_router,
    tokens_are_shown_once_stored_as_hashes_and_stop_working_when_revoked_or_expired,
    a_role_grant_takes_effect_and_is_audited,
    bad_requests_get_problem_details_naming_the_field,
    bootstrap_runs_once,
    a_valid_bundle_is_accepted_listed_read_and_downloaded,
    tampered_or_unknown_bundles_are_refused_and_nothing_is_stored,
    the_same_bundle_twice_is_one_record,
    an_oversized_upload_is_refused_before_storage,
    roles_without_the_right_and_other_organisations_see_no_evidence,
    a_hostile_file_name_in_a_signed_statement_never_reaches_a_path,
    trusted_issuers_are_added_by_admins_audited_and_unique,
    a_review_window_walks_every_role_inside_and_after_the_window,
    review_submissions_refuse_bad_requests_naming_the_field,
    overdue_windows_are_flagged_on_the_dashboard,
    an_uploaded_case_is_assessed_and_its_package_kept_and_verifiable,
    a_bad_case_upload_is_refused_naming_the_file_and_keeps_nothing,
);

struct Server {
    /// Seconds added to the real clock (tests move past a review window with it).
    clock: Arc<std::sync::atomic::AtomicI64>,
    base: String,
    admin: String,
    admin_id: i64,
    store: Arc<dyn ServerStore>,
    /// The PostgreSQL URL (with the test's own schema); `None` on SQLite.
    database: Option<String>,
    dir: tempfile::TempDir,
    agent: ureq::Agent,
    _rt: tokio::runtime::Runtime,
    _stop: tokio::sync::oneshot::Sender<()>,
}

struct Reply {
    status: u16,
    content_type: String,
    body: Value,
}

fn start(backend: &Backend) -> Server {
    start_with(backend, Limits::default())
}

fn start_with(backend: &Backend, limits: Limits) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let database = backend.fresh();
    let store = open_store(dir.path(), database.as_deref()).unwrap();
    let (boot, admin) = bootstrap_admin(store.as_ref(), "operator", "root").unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    // The workspace's ledger is the server's ledger (review transitions are signed into it).
    let ledger = Ledger::init(dir.path()).unwrap();
    let clock = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let offset = clock.clone();
    let state = AppState::new(store.clone(), Arc::new(assay_core::Silent))
        .with_ledger(ledger)
        .with_case_root(dir.path().join("organisations"))
        .with_clock(Arc::new(move || {
            chrono::Utc::now().timestamp() + offset.load(std::sync::atomic::Ordering::SeqCst)
        }));
    rt.spawn(serve(listener, state, limits, async {
        let _ = rx.await;
    }));
    // No pooled connections: the server may close a connection after refusing a body it did
    // not read (413), and a client reusing it would see "peer disconnected" on its next POST.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_idle_connections(0)
        .max_idle_connections_per_host(0)
        .build()
        .into();
    Server {
        clock,
        base: format!("http://{addr}"),
        admin,
        admin_id: boot.admin.id,
        store,
        database,
        dir,
        agent,
        _rt: rt,
        _stop: tx,
    }
}

impl Server {
    fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let raw = body.map(|b| b.to_string().into_bytes());
        self.raw(method, path, token, raw, "application/json")
    }

    fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
        content_type: &str,
    ) -> Reply {
        let mut req = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let mut res = match body {
            Some(bytes) => {
                req = req.header("Content-Type", content_type);
                self.agent.run(req.body(bytes).unwrap()).unwrap()
            }
            None => self.agent.run(req.body(()).unwrap()).unwrap(),
        };
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = res.body_mut().read_to_string().unwrap_or_default();
        Reply {
            status: res.status().as_u16(),
            content_type,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    /// A GET whose body is bytes: status, Content-Type, Content-Disposition, body.
    fn bytes(&self, path: &str, token: Option<&str>) -> (u16, String, String, Vec<u8>) {
        let mut req = ureq::http::Request::builder()
            .method("GET")
            .uri(format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let mut res = self.agent.run(req.body(()).unwrap()).unwrap();
        let header = |name: &str| {
            res.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let (ct, cd) = (header("content-type"), header("content-disposition"));
        let body = res.body_mut().read_to_vec().unwrap_or_default();
        (res.status().as_u16(), ct, cd, body)
    }

    fn create_user(&self, org: i64, name: &str, role: &str) -> (i64, String) {
        let r = self.call(
            "POST",
            "/api/v1/users",
            Some(&self.admin),
            Some(json!({"organisation_id": org, "name": name, "role": role})),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_i64().unwrap();
        let t = self.call(
            "POST",
            "/api/v1/tokens",
            Some(&self.admin),
            Some(json!({"name": "walk", "user_id": id})),
        );
        assert_eq!(t.status, 201, "{}", t.body);
        (id, t.body["token"].as_str().unwrap().to_string())
    }

    fn create_org(&self, name: &str) -> i64 {
        let r = self.call(
            "POST",
            "/api/v1/organisations",
            Some(&self.admin),
            Some(json!({"name": name})),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_i64().unwrap()
    }

    fn audit(&self) -> Vec<Value> {
        let r = self.call("GET", "/api/v1/audit?limit=1000", Some(&self.admin), None);
        assert_eq!(r.status, 200);
        r.body["items"].as_array().unwrap().clone()
    }
}

/// The expected authorisation table, written out independently of `policy.rs`: a change of
/// the policy table must change this too.
fn expected() -> HashMap<&'static str, &'static [&'static str]> {
    const ALL: &[&str] = &[
        "admin",
        "developer",
        "manufacturer",
        "lab",
        "reviewer",
        "trusted-partner",
        "buyer",
        "public",
    ];
    const SIGNED_IN: &[&str] = &[
        "admin",
        "developer",
        "manufacturer",
        "lab",
        "reviewer",
        "trusted-partner",
        "buyer",
    ];
    const ADMIN: &[&str] = &["admin"];
    const EVIDENCE_READERS: &[&str] = &["admin", "developer", "manufacturer", "lab", "reviewer"];
    HashMap::from([
        ("health", ALL),
        ("read-api-document", ALL),
        ("read-self", SIGNED_IN),
        ("list-organisations", ADMIN),
        ("create-organisation", ADMIN),
        ("read-organisation", ADMIN),
        ("list-users", ADMIN),
        ("create-user", ADMIN),
        ("grant-role", ADMIN),
        ("create-token", SIGNED_IN),
        ("list-tokens", SIGNED_IN),
        ("revoke-token", SIGNED_IN),
        ("read-audit-log", ADMIN),
        ("add-issuer", ADMIN),
        ("list-issuers", SIGNED_IN),
        (
            "upload-evidence",
            &["admin", "developer", "manufacturer", "lab"],
        ),
        ("list-evidence", EVIDENCE_READERS),
        ("read-evidence", EVIDENCE_READERS),
        ("download-evidence", EVIDENCE_READERS),
        ("submit-model", &["admin", "developer"]),
        (
            "list-submissions",
            &["admin", "developer", "reviewer", "trusted-partner"],
        ),
        (
            "read-submission",
            &["admin", "developer", "reviewer", "trusted-partner"],
        ),
        ("grant-review-access", &["admin", "developer"]),
        ("transition-submission", &["admin", "developer", "reviewer"]),
        ("attach-feedback", &["admin", "reviewer"]),
        ("read-review-dashboard", &["admin", "developer", "reviewer"]),
        ("read-checkpoint", ALL),
        ("prove-ledger-entry", SIGNED_IN),
        (
            "assess-case",
            &["admin", "developer", "manufacturer", "lab"],
        ),
        ("list-packages", EVIDENCE_READERS),
        ("read-package", EVIDENCE_READERS),
        ("download-package", EVIDENCE_READERS),
    ])
}

fn every_role_against_every_route_matches_the_expected_table(backend: Backend) {
    let s = start(&backend);
    let org = s.create_org("walkers");
    let roles = [
        "admin",
        "developer",
        "manufacturer",
        "lab",
        "reviewer",
        "trusted-partner",
        "buyer",
    ];
    let mut tokens: Vec<(&str, Option<String>)> = roles
        .iter()
        .map(|r| (*r, Some(s.create_user(org, &format!("user-{r}"), r).1)))
        .collect();
    tokens.push(("public", None));
    let (victim, _) = s.create_user(org, "victim", "buyer");
    let lab = Lab::new();
    s.trust(&lab, "lab-a");
    let bundle = lab.bundle("walk", "report.json", "{}");
    let up = s.call(
        "POST",
        "/api/v1/evidence",
        Some(&s.admin),
        Some(upload_body(&bundle, Some(org))),
    );
    assert_eq!(up.status, 201, "{}", up.body);
    let evidence = up.body["id"].as_i64().unwrap();
    // Review: an eval report of the walkers' model, one submission per role (so each role's
    // transition and feedback meet the state they need), the walking reviewer and trusted
    // partner granted on all of them, and a fresh partner per role to grant.
    let dev_lab = Lab::new();
    s.trust_as(&dev_lab, "dev-eval", "developer");
    let report = s.upload(
        tokens[1].1.as_deref().unwrap(),
        &dev_lab.eval_report("walk-model", "qualifies", None),
    );
    assert_eq!(report.status, 201, "{}", report.body);
    let report = report.body["id"].as_i64().unwrap();
    let (reviewer_id, partner_id) = (s.user_id(&tokens[4].1), s.user_id(&tokens[5].1));
    let mut submission = HashMap::new();
    let mut partners = HashMap::new();
    for (n, (role, _)) in tokens.iter().enumerate() {
        let sub = s.submit(&s.admin, org, "walk-model", &[report]);
        for u in [reviewer_id, partner_id] {
            let g = s.call(
                "POST",
                &format!("/api/v1/submissions/{sub}/access"),
                Some(&s.admin),
                Some(json!({"user_id": u})),
            );
            assert_eq!(g.status, 201, "{}", g.body);
        }
        submission.insert(*role, sub);
        partners.insert(
            *role,
            s.create_user(org, &format!("partner-{n}"), "trusted-partner")
                .0,
        );
    }
    let case = upload_case(&example_case("iris-lock-non-autonomous"), Some(org));
    let pkg = s.call("POST", "/api/v1/cases", Some(&s.admin), Some(case.clone()));
    assert_eq!(pkg.status, 201, "{}", pkg.body);
    let pkg = pkg.body["id"].as_str().unwrap().to_string();
    let expected = expected();
    let mut checked = 0;
    for route in ROUTES {
        let allowed = expected
            .get(route.action.as_str())
            .unwrap_or_else(|| panic!("no expected row for {route:?} ({})", route.action.as_str()));
        for (n, (role, token)) in tokens.iter().enumerate() {
            let path = route
                .path
                .replace("/organisations/{id}", &format!("/organisations/{org}"))
                .replace("/users/{id}", &format!("/users/{victim}"))
                .replace("/tokens/{id}", "/tokens/00000000000000ff")
                .replace("/evidence/{id}", &format!("/evidence/{evidence}"))
                .replace(
                    "/submissions/{id}",
                    &format!("/submissions/{}", submission[role]),
                )
                .replace("/ledger/{index}", "/ledger/0")
                .replace(
                    "/packages/{id}/file",
                    &format!("/packages/{pkg}/file?path=assessment.json"),
                )
                .replace("/packages/{id}", &format!("/packages/{pkg}"));
            assert!(!path.contains('{'), "fill the parameters of {route:?}");
            let body = route.request.map(|_| match route.action.as_str() {
                "create-organisation" => json!({"name": format!("org-{role}-{n}")}),
                "create-user" => {
                    json!({"organisation_id": org, "name": format!("new-{role}"), "role": "lab"})
                }
                "grant-role" => json!({"role": "reviewer"}),
                "create-token" => json!({"name": "walk"}),
                "add-issuer" => json!({"name": format!("issuer-{n}"), "role": "lab",
                                       "public_key": fresh_public_key()}),
                // Into the caller's own organisation: admin's is new there, the others' a
                // repeat of the bundle already in `org` (200).
                "upload-evidence" => upload_body(&bundle, None),
                "submit-model" => json!({"model": "walk-model", "planned_release": "2099-01-01",
                                         "evidence_ids": [report], "organisation_id": org}),
                "grant-review-access" => json!({"user_id": partners[role]}),
                // The owner (developer) closes its own; reviewers and admins start the review.
                "transition-submission" if *role == "developer" => json!({"to": "closed"}),
                "transition-submission" => json!({"to": "under-review"}),
                "attach-feedback" => json!({"title": "gap", "body": "a finding"}),
                "assess-case" => case.clone(),
                other => panic!("give a body for {other}"),
            });
            let r = s.call(route.method.as_str(), &path, token.as_deref(), body);
            let may = allowed.contains(role);
            if may {
                // Allowed: the handler ran. Revoking the made-up token id is a 404 by design.
                let ok =
                    r.status < 400 || (route.action.as_str() == "revoke-token" && r.status == 404);
                assert!(
                    ok,
                    "{role} {route:?}: expected allowed, got {} {}",
                    r.status, r.body
                );
            } else {
                let want = if token.is_none() { 401 } else { 403 };
                assert_eq!(
                    r.status, want,
                    "{role} {route:?}: expected denied, got {}",
                    r.body
                );
                assert_eq!(r.content_type, "application/problem+json");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, ROUTES.len() * 8);
    // Every denial is in the audit log with its actor and action.
    let audit = s.audit();
    let denied = |actor_role: &str, action: &str| {
        audit.iter().any(|e| {
            e["allowed"] == json!(false)
                && e["action"] == json!(action)
                && e["detail"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("as {actor_role}"))
        })
    };
    assert!(denied("buyer", "read-audit-log"));
    assert!(denied("public", "read-self"));
    assert!(denied("reviewer", "grant-role"));
    assert!(denied("buyer", "upload-evidence"));
    assert!(denied("trusted-partner", "download-evidence"));
    assert!(denied("trusted-partner", "transition-submission"));
    assert!(denied("buyer", "read-submission"));
    assert!(denied("public", "submit-model"));
}

fn openapi_document_lists_every_route_of_the_router(backend: Backend) {
    let s = start(&backend);
    let r = s.call("GET", "/api/v1/openapi.json", None, None);
    assert_eq!(r.status, 200);
    assert_eq!(r.body["openapi"], "3.1.0");
    let paths = r.body["paths"].as_object().unwrap();
    let mut ops = 0;
    for route in ROUTES {
        let op = &paths[route.path][route.method.as_str().to_lowercase()];
        assert!(
            op.is_object(),
            "{route:?} missing from the OpenAPI document"
        );
        assert_eq!(op["x-assay-action"], route.action.as_str());
        // ...and the router serves it: never a 404/405 from the router itself for the admin.
        let path = route.path.replace("{id}", "1");
        let res = s.call(
            route.method.as_str(),
            &path,
            Some(&s.admin),
            route.request.map(|_| json!({})),
        );
        assert_ne!(res.status, 405, "{route:?} not routed");
        assert!(
            res.status != 404
                || res.body["type"] != "https://assay.invalid/problems/not-found"
                || !res.body["detail"]
                    .as_str()
                    .unwrap()
                    .starts_with("no such endpoint"),
            "{route:?} not routed"
        );
    }
    for methods in paths.values() {
        ops += methods.as_object().unwrap().len();
    }
    assert_eq!(
        ops,
        ROUTES.len(),
        "the document has operations the registry does not"
    );
}

fn tokens_are_shown_once_stored_as_hashes_and_stop_working_when_revoked_or_expired(
    backend: Backend,
) {
    let s = start(&backend);
    let org = s.create_org("acme");
    let (dev, token) = s.create_user(org, "dana", "developer");
    assert!(token.starts_with("assay_pat_"));

    let me = s.call("GET", "/api/v1/me", Some(&token), None);
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["user"]["id"], dev);
    assert_eq!(me.body["role"], "developer");
    assert_eq!(me.body["organisation"]["name"], "acme");

    // Listing never shows a secret.
    let list = s.call("GET", "/api/v1/tokens", Some(&token), None);
    assert_eq!(list.status, 200);
    let text = list.body.to_string();
    let secret = token.rsplit('_').next().unwrap();
    assert!(!text.contains(secret) && !text.contains("secret"), "{text}");
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);

    // The database holds neither the token nor its secret (but does hold its hash).
    let hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(secret.as_bytes()))
    };
    let stored: Vec<Vec<u8>> = match &s.database {
        None => vec![
            std::fs::read(s.dir.path().join("server.db")).unwrap(),
            std::fs::read(s.dir.path().join("server.db-wal")).unwrap_or_default(),
        ],
        Some(url) => vec![backend::pg_dump(url).into_bytes()],
    };
    let contains =
        |hay: &[u8], needle: &str| hay.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(stored.iter().all(|b| !contains(b, secret)));
    assert!(
        stored.iter().any(|b| contains(b, &hash)),
        "the hash is stored"
    );

    // Right id, wrong secret: refused.
    let mut forged = token.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    assert_eq!(s.call("GET", "/api/v1/me", Some(&forged), None).status, 401);
    // Not a token at all.
    let r = s.call("GET", "/api/v1/me", Some("hunter2"), None);
    assert_eq!(r.status, 401);
    assert_eq!(r.content_type, "application/problem+json");

    // A developer may not mint a token for someone else; the attempt is audited.
    let r = s.call(
        "POST",
        "/api/v1/tokens",
        Some(&token),
        Some(json!({"name": "sneaky", "user_id": s.admin_id})),
    );
    assert_eq!(r.status, 403);
    assert_eq!(r.body["field"], "user_id");
    assert!(s.audit().iter().any(|e| e["action"] == "create-token"
        && e["allowed"] == json!(false)
        && e["actor"] == json!(format!("user:{dev}"))));

    // ...nor revoke the admin's token (it is "not found" to them).
    let admin_id = assay_server::token::parse(&s.admin).unwrap().0.to_string();
    let r = s.call(
        "DELETE",
        &format!("/api/v1/tokens/{admin_id}"),
        Some(&token),
        None,
    );
    assert_eq!(r.status, 404);
    assert_eq!(
        s.call("GET", "/api/v1/me", Some(&s.admin), None).status,
        200
    );

    // Revoke its own token: 204, then the token no longer works.
    let own = assay_server::token::parse(&token).unwrap().0.to_string();
    let r = s.call(
        "DELETE",
        &format!("/api/v1/tokens/{own}"),
        Some(&token),
        None,
    );
    assert_eq!(r.status, 204);
    let r = s.call("GET", "/api/v1/me", Some(&token), None);
    assert_eq!(r.status, 401);
    assert!(r.body["detail"].as_str().unwrap().contains("revoked"));

    // An expired token is refused.
    let minted = assay_server::token::mint().unwrap();
    let now = chrono::Utc::now().timestamp();
    let record = TokenRecord {
        id: minted.id.clone(),
        user_id: dev,
        name: "old".into(),
        secret_sha256: minted.secret_sha256,
        created_at: now - 100,
        expires_at: now - 1,
        revoked_at: None,
    };
    let audit = assay_server::store::AuditEntry {
        at: now,
        actor_user_id: None,
        actor: "test".into(),
        action: "create-token".into(),
        target: String::new(),
        allowed: true,
        detail: String::new(),
    };
    s.store.create_token(&record, &audit).unwrap();
    let r = s.call("GET", "/api/v1/me", Some(&minted.text), None);
    assert_eq!(r.status, 401);
    assert!(r.body["detail"].as_str().unwrap().contains("expired"));

    // Every grant is in the audit log.
    let audit = s.audit();
    for action in [
        "create-user",
        "create-token",
        "revoke-token",
        "create-organisation",
    ] {
        assert!(
            audit
                .iter()
                .any(|e| e["action"] == action && e["allowed"] == json!(true)),
            "{action} not audited"
        );
    }
}

fn a_role_grant_takes_effect_and_is_audited(backend: Backend) {
    let s = start(&backend);
    let org = s.create_org("lab-x");
    let (id, token) = s.create_user(org, "lee", "lab");
    assert_eq!(
        s.call("GET", "/api/v1/users", Some(&token), None).status,
        403
    );
    let r = s.call(
        "PUT",
        &format!("/api/v1/users/{id}/role"),
        Some(&s.admin),
        Some(json!({"role": "admin"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["role"], "admin");
    assert_eq!(
        s.call("GET", "/api/v1/users", Some(&token), None).status,
        200
    );
    assert!(s.audit().iter().any(|e| e["action"] == "grant-role"
        && e["target"] == json!(format!("user:{id}"))
        && e["detail"] == "role admin"));
    // "public" is not a role one can grant.
    let r = s.call(
        "PUT",
        &format!("/api/v1/users/{id}/role"),
        Some(&s.admin),
        Some(json!({"role": "public"})),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.body["field"], "role");
}

fn bad_requests_get_problem_details_naming_the_field(backend: Backend) {
    let s = start(&backend);
    let a = Some(s.admin.as_str());
    let check = |r: Reply, status: u16, field: &str| {
        assert_eq!(r.status, status, "{}", r.body);
        assert_eq!(r.content_type, "application/problem+json");
        for key in ["type", "title", "status", "detail"] {
            assert!(!r.body[key].is_null(), "{key} missing in {}", r.body);
        }
        assert_eq!(r.body["status"], status);
        assert_eq!(r.body["field"], field, "{}", r.body);
    };
    check(
        s.call("POST", "/api/v1/organisations", a, Some(json!({}))),
        400,
        "name",
    );
    check(
        s.call(
            "POST",
            "/api/v1/organisations",
            a,
            Some(json!({"name": "x", "colour": 1})),
        ),
        400,
        "colour",
    );
    check(
        s.call(
            "POST",
            "/api/v1/users",
            a,
            Some(json!({"organisation_id": "one", "name": "x", "role": "lab"})),
        ),
        400,
        "organisation_id",
    );
    check(
        s.call(
            "POST",
            "/api/v1/organisations",
            a,
            Some(json!({"name": "  "})),
        ),
        400,
        "name",
    );
    check(
        s.call(
            "POST",
            "/api/v1/tokens",
            a,
            Some(json!({"name": "t", "expires_in_days": 5000})),
        ),
        400,
        "expires_in_days",
    );
    check(
        s.call("GET", "/api/v1/audit?limit=0", a, None),
        400,
        "limit",
    );
    check(
        s.call("GET", "/api/v1/organisations/abc", a, None),
        400,
        "id",
    );
    check(
        s.raw(
            "POST",
            "/api/v1/organisations",
            a,
            Some(b"name=x".to_vec()),
            "text/plain",
        ),
        415,
        "Content-Type",
    );
    // Larger than the body limit: refused before it is read into a handler or stored.
    let big = json!({"name": "x".repeat(100_000)})
        .to_string()
        .into_bytes();
    let r = s.raw(
        "POST",
        "/api/v1/organisations",
        a,
        Some(big),
        "application/json",
    );
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.content_type, "application/problem+json");
    assert_eq!(
        s.call("GET", "/api/v1/organisations", a, None).body["items"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "only the bootstrap organisation"
    );
    // Unknown endpoint and wrong method are problems too.
    let r = s.call("GET", "/api/v1/nothing", a, None);
    assert_eq!(
        (r.status, r.content_type.as_str()),
        (404, "application/problem+json")
    );
    let r = s.call("PATCH", "/api/v1/health", a, None);
    assert_eq!(
        (r.status, r.content_type.as_str()),
        (405, "application/problem+json")
    );
    // A clash is a conflict, not a server error.
    let r = s.call(
        "POST",
        "/api/v1/organisations",
        a,
        Some(json!({"name": "operator"})),
    );
    assert_eq!(r.status, 409);
}

fn bootstrap_runs_once(backend: Backend) {
    let s = start(&backend);
    let err = bootstrap_admin(s.store.as_ref(), "other", "root2").unwrap_err();
    assert!(err.to_string().contains("has an admin already"), "{err}");
}

// ---- evidence over HTTP ----

/// A lab's workspace: its own ledger and signing key, in a temporary folder.
struct Lab {
    dir: tempfile::TempDir,
    ledger: Ledger,
}

impl Lab {
    fn new() -> Lab {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::init(&dir.path().join("ws")).unwrap();
        Lab { dir, ledger }
    }

    fn public_key(&self) -> String {
        self.ledger.export_key(DEFAULT_KEY).unwrap()
    }

    /// Records `body` as evidence and exports it: the bundle folder's files by name.
    fn bundle(&self, subject: &str, name: &str, body: &str) -> BTreeMap<String, Vec<u8>> {
        let appended = self
            .ledger
            .add(
                &[EvidenceInput {
                    kind: EvidenceKind::PadReport,
                    subject: subject.into(),
                    file_name: name.into(),
                    bytes: body.as_bytes().to_vec(),
                    meta: BTreeMap::from([("apcer".to_string(), "0.01".to_string())]),
                }],
                DEFAULT_KEY,
            )
            .unwrap();
        self.export(appended[0].index)
    }

    /// An `eval-report` as `assay eval report --record` writes it (its meta keys: see
    /// crates/assay-eval/src/evidence.rs), exported as a bundle.
    fn eval_report(
        &self,
        model: &str,
        qualification: &str,
        digest: Option<&str>,
    ) -> BTreeMap<String, Vec<u8>> {
        let mut meta = BTreeMap::from([
            ("model".to_string(), model.to_string()),
            (
                "suites".to_string(),
                "cyber-offense,cyber-defense".to_string(),
            ),
            ("categories".to_string(), "defensive,offensive".to_string()),
            ("offensive_score".to_string(), "0.4000".to_string()),
            ("defensive_score".to_string(), "0.9000".to_string()),
            ("samples".to_string(), "200".to_string()),
            ("run_date".to_string(), "2026-11-20".to_string()),
            ("qualification".to_string(), qualification.to_string()),
            ("run_log_digest".to_string(), "ab".repeat(32)),
        ]);
        if let Some(d) = digest {
            meta.insert("model_digest".into(), d.into());
            meta.insert("firmware_digest".into(), d.into());
        }
        let appended = self
            .ledger
            .add(
                &[EvidenceInput {
                    kind: EvidenceKind::EvalReport,
                    subject: model.into(),
                    file_name: "run.eval-report.json".into(),
                    bytes: format!("{{\"model\": {model:?}, \"q\": {qualification:?}}}")
                        .into_bytes(),
                    meta,
                }],
                DEFAULT_KEY,
            )
            .unwrap();
        self.export(appended[0].index)
    }

    fn export(&self, index: u64) -> BTreeMap<String, Vec<u8>> {
        let out = self.dir.path().join(format!("bundle-{index}"));
        self.ledger.export(index, &out).unwrap();
        std::fs::read_dir(&out)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().into_string().unwrap(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect()
    }

    /// Appends, to this lab's log, a validly signed statement whose fileName is `file_name`
    /// (which `Ledger::add` would never record): what a hostile issuer can produce.
    fn signed_entry_with_name(&self, file_name: &str, body: &[u8]) -> u64 {
        let key = keys::read_private_key(
            &self.dir.path().join("ws").join("keys").join("default.key"),
            DEFAULT_KEY,
        )
        .unwrap();
        let digest = Sha256Digest::of(body);
        let st = Statement::new(
            "model-x",
            &digest,
            EvidencePredicate {
                kind: EvidenceKind::PadReport,
                file_name: file_name.into(),
                size: body.len() as u64,
                recorded_at: "2026-11-22T00:00:00.000Z".into(),
                meta: BTreeMap::new(),
            },
        );
        let env = Envelope::sign(
            IN_TOTO_PAYLOAD_TYPE,
            &serde_json::to_vec(&st).unwrap(),
            &keys::key_id(&key.verifying_key()),
            &key,
        );
        let envelope = serde_json::to_vec(&env).unwrap();
        let store = self.ledger.store();
        store.put_blobs(&[(digest, body)]).unwrap();
        let len = store.len().unwrap();
        let mut f = Frontier::new();
        for l in store.leaf_hashes(0, len).unwrap() {
            f.push(l);
        }
        let leaf = merkle::leaf_hash(&envelope);
        f.push(leaf);
        let note = Checkpoint {
            origin: self.ledger.origin().into(),
            size: f.size(),
            root: f.root(),
        }
        .sign(DEFAULT_KEY, &key);
        store
            .append(
                len,
                &[NewEntry {
                    kind: "pad-report".into(),
                    subject: "model-x".into(),
                    blob_digest: digest,
                    envelope,
                    leaf_hash: leaf,
                    signer: keys::key_id(&key.verifying_key()),
                    recorded_at: "2026-11-22T00:00:00.000Z".into(),
                }],
                &StoredCheckpoint {
                    size: f.size(),
                    root: f.root(),
                    note,
                    frontier: f.roots().to_vec(),
                },
            )
            .unwrap();
        len
    }
}

fn fresh_public_key() -> String {
    let key = keys::generate().unwrap();
    keys::verifier_key("fresh", &key.verifying_key())
}

fn upload_body(files: &BTreeMap<String, Vec<u8>>, org: Option<i64>) -> Value {
    let files: serde_json::Map<String, Value> = files
        .iter()
        .map(|(k, v)| (k.clone(), json!(B64.encode(v))))
        .collect();
    let mut body = json!({"files": files});
    if let Some(org) = org {
        body["organisation_id"] = json!(org);
    }
    body
}

/// The name of the evidence file in an exported bundle (from its bundle.json).
fn blob_name(files: &BTreeMap<String, Vec<u8>>) -> String {
    let m: Value = serde_json::from_slice(&files["bundle.json"]).unwrap();
    m["file"].as_str().unwrap().to_string()
}

impl Server {
    fn trust(&self, lab: &Lab, name: &str) -> Value {
        let r = self.call(
            "POST",
            "/api/v1/issuers",
            Some(&self.admin),
            Some(json!({"name": name, "role": "lab", "public_key": lab.public_key()})),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        r.body
    }

    fn upload(&self, token: &str, files: &BTreeMap<String, Vec<u8>>) -> Reply {
        self.call(
            "POST",
            "/api/v1/evidence",
            Some(token),
            Some(upload_body(files, None)),
        )
    }

    fn trust_as(&self, lab: &Lab, name: &str, role: &str) -> Value {
        let r = self.call(
            "POST",
            "/api/v1/issuers",
            Some(&self.admin),
            Some(json!({"name": name, "role": role, "public_key": lab.public_key()})),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        r.body
    }

    fn user_id(&self, token: &Option<String>) -> i64 {
        let r = self.call("GET", "/api/v1/me", token.as_deref(), None);
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["user"]["id"].as_i64().unwrap()
    }

    /// Submits `model` with `evidence` for review (as `token`, for `org`); its id.
    fn submit(&self, token: &str, org: i64, model: &str, evidence: &[i64]) -> i64 {
        let r = self.call(
            "POST",
            "/api/v1/submissions",
            Some(token),
            Some(json!({"model": model, "planned_release": "2099-01-01",
                        "evidence_ids": evidence, "organisation_id": org})),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_i64().unwrap()
    }

    /// Moves the server's clock forward.
    fn advance_days(&self, days: i64) {
        self.clock
            .fetch_add(days * 86_400, std::sync::atomic::Ordering::SeqCst);
    }

    /// Every evidence record in the store, whoever's.
    fn stored_evidence(&self) -> usize {
        self.store.list_evidence(None, 0, 1000).unwrap().len()
    }
}

fn a_valid_bundle_is_accepted_listed_read_and_downloaded(backend: Backend) {
    let s = start(&backend);
    let org = s.create_org("acme");
    let (_, dev) = s.create_user(org, "dana", "manufacturer");
    let lab = Lab::new();
    let issuer = s.trust(&lab, "lab-a");
    let files = lab.bundle("face-3d-x1", "pad report.json", "{\"apcer\": 0.01}");

    let r = s.upload(&dev, &files);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["created"], true);
    assert_eq!(r.body["organisation_id"], org);
    let v = &r.body["verified"];
    assert_eq!(v["issuer"]["name"], "lab-a");
    assert_eq!(v["issuer"]["role"], "lab");
    assert_eq!(v["issuer"]["id"], issuer["id"]);
    assert_eq!(v["issuer"]["key_id"], issuer["key_id"]);
    assert_eq!(v["kind"], "pad-report");
    assert_eq!(v["subject"], "face-3d-x1");
    let safe = assay_core::safe_file_name("pad report.json");
    assert!(
        safe.starts_with("pad_report") && safe.ends_with(".json"),
        "{safe}"
    );
    assert_eq!(v["file_name"], safe);
    assert_eq!(v["meta"]["apcer"], "0.01");
    assert!(v["signed_at"].as_str().unwrap().starts_with("20"));
    let blob = &files[&blob_name(&files)];
    assert_eq!(
        v["blob_sha256"],
        Sha256Digest::of(blob).to_string(),
        "the digest is the blob's"
    );
    assert_eq!(v["size"], blob.len());
    assert_eq!(v["log"]["origin"], lab.ledger.origin());
    assert_eq!(v["log"]["index"], 0);
    assert_eq!(
        r.body["envelope_sha256"],
        hex::encode(Sha256::digest(&files["envelope.dsse.json"]))
    );
    let id = r.body["id"].as_i64().unwrap();

    // Listed for the organisation, paginated.
    let second = lab.bundle("face-3d-x1", "second.json", "{}");
    assert_eq!(s.upload(&dev, &second).status, 201);
    let all = s.call("GET", "/api/v1/evidence", Some(&dev), None);
    assert_eq!(all.status, 200, "{}", all.body);
    let items = all.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], id);
    let page = s.call(
        "GET",
        &format!("/api/v1/evidence?after={id}&limit=1"),
        Some(&dev),
        None,
    );
    assert_eq!(page.body["items"].as_array().unwrap().len(), 1);
    assert_ne!(page.body["items"][0]["id"], id);
    let by_admin = s.call(
        "GET",
        &format!("/api/v1/evidence?organisation_id={org}"),
        Some(&s.admin),
        None,
    );
    assert_eq!(by_admin.body["items"].as_array().unwrap().len(), 2);

    // Read and download: the exact bytes.
    let one = s.call("GET", &format!("/api/v1/evidence/{id}"), Some(&dev), None);
    assert_eq!(one.status, 200);
    assert_eq!(one.body["verified"], r.body["verified"]);
    let (status, ct, cd, bytes) = s.bytes(&format!("/api/v1/evidence/{id}/file"), Some(&dev));
    assert_eq!(status, 200);
    assert_eq!(ct, "application/octet-stream");
    assert_eq!(cd, format!("attachment; filename=\"{safe}\""));
    assert_eq!(&bytes, blob);
    let (status, ct, _, bytes) = s.bytes(&format!("/api/v1/evidence/{id}/envelope"), Some(&dev));
    assert_eq!(status, 200);
    assert_eq!(ct, "application/json");
    assert_eq!(bytes, files["envelope.dsse.json"]);
    // The issuer log's proof and checkpoint, as uploaded, served: the proof still verifies
    // and reaches the checkpoint's root, which the lab's log key signed.
    let proof = s.call(
        "GET",
        &format!("/api/v1/evidence/{id}/proof"),
        Some(&dev),
        None,
    );
    assert_eq!(proof.status, 200, "{}", proof.body);
    let uploaded: Value = serde_json::from_slice(&files["inclusion-proof.json"]).unwrap();
    assert_eq!(proof.body["inclusion_proof"], uploaded);
    assert_eq!(
        proof.body["checkpoint"].as_str().unwrap().as_bytes(),
        &files["checkpoint.txt"][..]
    );
    let parsed: assay_ledger::InclusionProof =
        serde_json::from_value(proof.body["inclusion_proof"].clone()).unwrap();
    assert!(parsed.verify());
    assert_eq!(
        hex::encode(parsed.root),
        proof.body["log"]["root"].as_str().unwrap()
    );
    let cp = assay_ledger::note::open_checkpoint(
        proof.body["checkpoint"].as_str().unwrap(),
        DEFAULT_KEY,
        &lab.ledger.log_key().unwrap(),
    )
    .unwrap();
    assert_eq!(
        hex::encode(cp.root),
        proof.body["log"]["root"].as_str().unwrap()
    );
    // The upload is in the audit log, stored with its digest.
    assert!(s.audit().iter().any(|e| e["action"] == "upload-evidence"
        && e["target"] == format!("evidence:{id}")
        && e["detail"].as_str().unwrap().starts_with("stored")));
}

fn tampered_or_unknown_bundles_are_refused_and_nothing_is_stored(backend: Backend) {
    let s = start(&backend);
    let org = s.create_org("acme");
    let (_, dev) = s.create_user(org, "dana", "lab");
    let lab = Lab::new();
    s.trust(&lab, "lab-a");
    let files = lab.bundle("face-3d-x1", "report.json", "{\"apcer\": 0.01}");
    let name = blob_name(&files);
    let refused = |r: Reply, field: &str, says: &str| {
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.content_type, "application/problem+json");
        assert_eq!(r.body["field"], field, "{}", r.body);
        let detail = r.body["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{detail}");
        assert!(detail.ends_with("nothing was stored"), "{detail}");
    };

    // A changed blob.
    let mut changed = files.clone();
    changed.get_mut(&name).unwrap()[2] ^= 1;
    refused(
        s.upload(&dev, &changed),
        &format!("files[\"{name}\"]"),
        "blob digest",
    );

    // A changed statement (another subject in the signed payload, signature kept).
    let mut env: Value = serde_json::from_slice(&files["envelope.dsse.json"]).unwrap();
    let payload = String::from_utf8(B64.decode(env["payload"].as_str().unwrap()).unwrap()).unwrap();
    assert!(payload.contains("face-3d-x1"));
    env["payload"] = json!(B64.encode(payload.replace("face-3d-x1", "face-3d-x2")));
    let mut changed = files.clone();
    changed.insert(
        "envelope.dsse.json".into(),
        serde_json::to_vec(&env).unwrap(),
    );
    refused(
        s.upload(&dev, &changed),
        "files[\"envelope.dsse.json\"]",
        "envelope signature",
    );

    // An edited unsigned copy in bundle.json.
    let mut m: Value = serde_json::from_slice(&files["bundle.json"]).unwrap();
    m["subject"] = json!("someone-else");
    let mut changed = files.clone();
    changed.insert("bundle.json".into(), serde_json::to_vec(&m).unwrap());
    refused(
        s.upload(&dev, &changed),
        "files[\"bundle.json\"]",
        "subject",
    );

    // A proof that does not lead to the checkpoint's root.
    let mut proof: Value = serde_json::from_slice(&files["inclusion-proof.json"]).unwrap();
    proof["root"] = json!(hex::encode([7u8; 32]));
    let mut changed = files.clone();
    changed.insert(
        "inclusion-proof.json".into(),
        serde_json::to_vec(&proof).unwrap(),
    );
    let r = s.upload(&dev, &changed);
    assert_eq!(r.status, 422, "{}", r.body);

    // A signer the server does not trust.
    let stranger = Lab::new();
    let theirs = stranger.bundle("face-3d-x1", "report.json", "{}");
    refused(
        s.upload(&dev, &theirs),
        "files[\"envelope.dsse.json\"]",
        "not a trusted issuer",
    );

    // A bundle with a part missing, or not base64: problem details naming the field.
    let mut missing = files.clone();
    missing.remove("checkpoint.txt");
    refused(
        s.upload(&dev, &missing),
        "files[\"checkpoint.txt\"]",
        "no checkpoint",
    );
    let mut missing = files.clone();
    missing.remove(&name);
    let r = s.upload(&dev, &missing);
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["field"], "files");
    assert!(r.body["detail"].as_str().unwrap().contains(&name));
    let r = s.call(
        "POST",
        "/api/v1/evidence",
        Some(&dev),
        Some(json!({"files": {"bundle.json": "%%%"}})),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["field"], "files[\"bundle.json\"]");

    assert_eq!(s.stored_evidence(), 0, "a refused upload stored something");
    // The untouched bundle still goes in: the refusals were about the tampering.
    assert_eq!(s.upload(&dev, &files).status, 201);
    assert_eq!(s.stored_evidence(), 1);
}

fn the_same_bundle_twice_is_one_record(backend: Backend) {
    let s = start(&backend);
    let org = s.create_org("acme");
    let (_, dev) = s.create_user(org, "dana", "developer");
    let lab = Lab::new();
    s.trust(&lab, "lab-a");
    let files = lab.bundle("model-x", "eval.json", "{}");
    let first = s.upload(&dev, &files);
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["created"], true);
    let again = s.upload(&dev, &files);
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["created"], false);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(s.stored_evidence(), 1);
    let listed = s.call("GET", "/api/v1/evidence", Some(&dev), None);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    // Uploaded at the same moment by several clients: still one record, one 201.
    let racing = lab.bundle("model-x", "race.json", "{}");
    let statuses: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let r = s.upload(&dev, &racing);
                    (r.status, r.body["id"].clone())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|(st, _)| *st == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|(st, id)| (*st == 201 || *st == 200) && *id == statuses[0].1)
    );
    assert_eq!(s.stored_evidence(), 2);
    let listed = s.call("GET", "/api/v1/evidence", Some(&dev), None);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 2);
    // Another organisation uploading it gets its own record.
    let other = s.create_org("other");
    let (_, theirs) = s.create_user(other, "olga", "developer");
    let r = s.upload(&theirs, &files);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_ne!(r.body["id"], first.body["id"]);
    assert_eq!(s.stored_evidence(), 3);
}

fn an_oversized_upload_is_refused_before_storage(backend: Backend) {
    let limits = Limits {
        evidence_bytes: 256 * 1024,
        ..Limits::default()
    };
    let s = start_with(&backend, limits);
    let org = s.create_org("acme");
    let (_, dev) = s.create_user(org, "dana", "lab");
    let lab = Lab::new();
    s.trust(&lab, "lab-a");
    // Larger than the API's 64 KiB, within the evidence limit: accepted.
    let big = "x".repeat(100 * 1024);
    let files = lab.bundle("model-x", "big.txt", &big);
    let r = s.upload(&dev, &files);
    assert_eq!(r.status, 201, "{}", r.body);
    // The same size on another route is refused by the API's own limit.
    let r = s.call(
        "POST",
        "/api/v1/organisations",
        Some(&s.admin),
        Some(json!({"name": big})),
    );
    assert_eq!(r.status, 413, "{}", r.body);
    // Over the evidence limit: 413 before anything is stored.
    let huge = "y".repeat(300 * 1024);
    let files = lab.bundle("model-x", "huge.txt", &huge);
    let r = s.upload(&dev, &files);
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.content_type, "application/problem+json");
    assert_eq!(s.stored_evidence(), 1);
}

fn roles_without_the_right_and_other_organisations_see_no_evidence(backend: Backend) {
    let s = start(&backend);
    let org = s.create_org("acme");
    let (_, dev) = s.create_user(org, "dana", "developer");
    let (_, buyer) = s.create_user(org, "bob", "buyer");
    let (_, reviewer) = s.create_user(org, "rita", "reviewer");
    let lab = Lab::new();
    s.trust(&lab, "lab-a");
    let files = lab.bundle("model-x", "eval.json", "{}");
    // Not allowed to upload: buyer and reviewer; nothing stored.
    for token in [&buyer, &reviewer] {
        let r = s.upload(token, &files);
        assert_eq!(r.status, 403, "{}", r.body);
    }
    let r = s.call(
        "POST",
        "/api/v1/evidence",
        None,
        Some(upload_body(&files, None)),
    );
    assert_eq!(r.status, 401);
    assert_eq!(s.stored_evidence(), 0);
    // A non-admin cannot upload for another organisation.
    let other = s.create_org("other");
    let r = s.call(
        "POST",
        "/api/v1/evidence",
        Some(&dev),
        Some(upload_body(&files, Some(other))),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.body["field"], "organisation_id");
    assert_eq!(s.stored_evidence(), 0);

    let id = s.upload(&dev, &files).body["id"].as_i64().unwrap();
    // A buyer may not list or read it; a reviewer of the organisation may.
    assert_eq!(
        s.call("GET", "/api/v1/evidence", Some(&buyer), None).status,
        403
    );
    assert_eq!(
        s.call("GET", &format!("/api/v1/evidence/{id}"), Some(&buyer), None)
            .status,
        403
    );
    assert_eq!(
        s.call(
            "GET",
            &format!("/api/v1/evidence/{id}"),
            Some(&reviewer),
            None
        )
        .status,
        200
    );
    // Another organisation's developer: not in their list, "not found" to read or download.
    let (_, outsider) = s.create_user(other, "olga", "developer");
    let list = s.call("GET", "/api/v1/evidence", Some(&outsider), None);
    assert_eq!(list.status, 200);
    assert_eq!(list.body["items"], json!([]));
    let r = s.call(
        "GET",
        &format!("/api/v1/evidence?organisation_id={org}"),
        Some(&outsider),
        None,
    );
    assert_eq!(r.status, 403);
    assert_eq!(r.body["field"], "organisation_id");
    for path in ["", "/file", "/envelope"] {
        let (status, _, _, body) =
            s.bytes(&format!("/api/v1/evidence/{id}{path}"), Some(&outsider));
        assert_eq!(status, 404, "{path}");
        assert!(!String::from_utf8_lossy(&body).contains("model-x"));
    }
}

fn a_hostile_file_name_in_a_signed_statement_never_reaches_a_path(backend: Backend) {
    let s = start(&backend);
    let org = s.create_org("acme");
    let (_, dev) = s.create_user(org, "dana", "lab");
    let lab = Lab::new();
    s.trust(&lab, "lab-a");
    let before = files_under(s.dir.path());
    let hostile = "../../../etc/cron.d/\u{202e}evil\"; x=.sh";
    let index = lab.signed_entry_with_name(hostile, b"payload");
    let files = lab.export(index);
    let r = s.upload(&dev, &files);
    assert_eq!(r.status, 201, "{}", r.body);
    let stored = r.body["verified"]["file_name"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(stored, assay_core::safe_file_name(hostile));
    assert!(!stored.contains(['/', '\\', '"', '\u{202e}']) && !stored.starts_with('.'));
    let id = r.body["id"].as_i64().unwrap();
    let (status, _, cd, body) = s.bytes(&format!("/api/v1/evidence/{id}/file"), Some(&dev));
    assert_eq!(status, 200);
    assert_eq!(body, b"payload");
    assert_eq!(cd, format!("attachment; filename=\"{stored}\""));
    // A bundle.json naming a path outside the bundle is refused, nothing read or stored.
    let mut m: Value = serde_json::from_slice(&files["bundle.json"]).unwrap();
    m["file"] = json!("../../etc/passwd");
    let mut bad = files.clone();
    bad.insert("bundle.json".into(), serde_json::to_vec(&m).unwrap());
    let r = s.upload(&dev, &bad);
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["field"], "files");
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("not a plain file name")
    );
    assert_eq!(s.stored_evidence(), 1);
    // Nothing appeared on disk but the server's own database files.
    let after: Vec<_> = files_under(s.dir.path())
        .into_iter()
        .filter(|p| !before.contains(p) && !p.to_string_lossy().starts_with("server.db"))
        .collect();
    assert!(after.is_empty(), "{after:?}");
}

fn files_under(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    out
}

fn trusted_issuers_are_added_by_admins_audited_and_unique(backend: Backend) {
    let s = start(&backend);
    let lab = Lab::new();
    let issuer = s.trust(&lab, "lab-a");
    assert_eq!(issuer["role"], "lab");
    assert_eq!(issuer["created_by"], s.admin_id);
    let id = issuer["id"].as_i64().unwrap();
    assert!(s.audit().iter().any(|e| e["action"] == "add-issuer"
        && e["target"] == format!("issuer:{id}")
        && e["allowed"] == true));
    let list = s.call("GET", "/api/v1/issuers", Some(&s.admin), None);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    let a = Some(s.admin.as_str());
    let post = |body: Value| s.call("POST", "/api/v1/issuers", a, Some(body));
    // The same key under another name, the same name with another key: conflicts.
    let r = post(json!({"name": "lab-b", "role": "lab", "public_key": lab.public_key()}));
    assert_eq!(
        (r.status, r.body["field"].as_str()),
        (409, Some("public_key")),
        "{}",
        r.body
    );
    let r = post(json!({"name": "lab-a", "role": "lab", "public_key": fresh_public_key()}));
    assert_eq!(
        (r.status, r.body["field"].as_str()),
        (409, Some("name")),
        "{}",
        r.body
    );
    // Bad fields are named.
    for (body, field) in [
        (
            json!({"name": "../x", "role": "lab", "public_key": fresh_public_key()}),
            "name",
        ),
        (
            json!({"name": "x", "role": "overlord", "public_key": fresh_public_key()}),
            "role",
        ),
        (
            json!({"name": "x", "role": "lab", "public_key": "not a key"}),
            "public_key",
        ),
        (json!({"name": "x", "role": "lab"}), "public_key"),
    ] {
        let r = post(body);
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(r.body["field"], field, "{}", r.body);
    }
    assert_eq!(s.store.list_issuers().unwrap().len(), 1);
}

/// The review set-up: a developer organisation with an uploaded eval report, an agency with
/// reviewers, partners with their own organisation, and one user of every other role.
struct Review {
    s: Server,
    dev_org: i64,
    dev: String,
    report: i64,
    /// role name -> (user id, token)
    users: HashMap<&'static str, (i64, String)>,
}

fn review_setup(backend: &Backend) -> Review {
    let s = start(backend);
    let dev_org = s.create_org("model-dev");
    let agency = s.create_org("agency");
    let partners = s.create_org("partners");
    let (_, dev) = s.create_user(dev_org, "dev", "developer");
    let mut users = HashMap::new();
    for (name, org, role) in [
        ("reviewer", agency, "reviewer"),
        ("other-reviewer", agency, "reviewer"),
        ("partner", partners, "trusted-partner"),
        ("other-partner", partners, "trusted-partner"),
        ("buyer", partners, "buyer"),
        ("lab", partners, "lab"),
        ("manufacturer", partners, "manufacturer"),
        ("other-developer", partners, "developer"),
    ] {
        users.insert(name, s.create_user(org, name, role));
    }
    let lab = Lab::new();
    s.trust_as(&lab, "dev-key", "developer");
    let digest = "c0".repeat(32);
    let up = s.upload(
        &dev,
        &lab.eval_report("acme/frontier-1", "qualifies", Some(&digest)),
    );
    assert_eq!(up.status, 201, "{}", up.body);
    let report = up.body["id"].as_i64().unwrap();
    Review {
        s,
        dev_org,
        dev,
        report,
        users,
    }
}

impl Review {
    fn token(&self, who: &str) -> Option<String> {
        match who {
            "admin" => Some(self.s.admin.clone()),
            "dev" => Some(self.dev.clone()),
            "public" => None,
            other => Some(self.users[other].1.clone()),
        }
    }

    fn get(&self, who: &str, path: &str) -> Reply {
        self.s.call("GET", path, self.token(who).as_deref(), None)
    }

    fn post(&self, who: &str, path: &str, body: Value) -> Reply {
        self.s
            .call("POST", path, self.token(who).as_deref(), Some(body))
    }
}

const REVIEW_CALLERS: [&str; 11] = [
    "admin",
    "dev",
    "reviewer",
    "other-reviewer",
    "partner",
    "other-partner",
    "buyer",
    "lab",
    "manufacturer",
    "other-developer",
    "public",
];

fn a_review_window_walks_every_role_inside_and_after_the_window(backend: Backend) {
    let r = review_setup(&backend);
    let digest = "c0".repeat(32);
    let sub = r.post(
        "dev",
        "/api/v1/submissions",
        json!({"model": "acme/frontier-1", "model_digest": format!("sha256:{digest}"),
               "planned_release": "2099-03-01", "evidence_ids": [r.report],
               "manifest": {"model": {"name": "acme/frontier-1"}}}),
    );
    assert_eq!(sub.status, 201, "{}", sub.body);
    let id = sub.body["id"].as_i64().unwrap();
    // Qualification from the signed eval-report meta; the window from the frontier pack.
    assert_eq!(sub.body["qualification"], "qualifies");
    assert_eq!(sub.body["state"], "submitted");
    assert_eq!(sub.body["window_days"], 30);
    assert_eq!(sub.body["deadlines"]["submission_due"], "2099-01-30");
    assert_eq!(sub.body["deadlines"]["submitted_on_time"], true);
    assert_eq!(sub.body["deadlines"]["days_left"], 30);
    assert_eq!(sub.body["evidence"][0]["verified"]["kind"], "eval-report");
    let path = format!("/api/v1/submissions/{id}");

    // Grants: the admin assigns a reviewer, the developer designates a partner; a developer
    // cannot assign a reviewer, and a buyer gets no review access.
    let reviewer = r.users["reviewer"].0;
    let partner = r.users["partner"].0;
    let g = r.post(
        "dev",
        &format!("{path}/access"),
        json!({"user_id": reviewer}),
    );
    assert_eq!(
        (g.status, g.body["field"].as_str()),
        (403, Some("user_id")),
        "{}",
        g.body
    );
    let g = r.post(
        "admin",
        &format!("{path}/access"),
        json!({"user_id": reviewer}),
    );
    assert_eq!(g.status, 201, "{}", g.body);
    let g = r.post(
        "dev",
        &format!("{path}/access"),
        json!({"user_id": partner}),
    );
    assert_eq!(g.status, 201, "{}", g.body);
    let g = r.post(
        "dev",
        &format!("{path}/access"),
        json!({"user_id": partner}),
    );
    assert_eq!((g.status, g.body["field"].as_str()), (409, Some("user_id")));
    let g = r.post(
        "dev",
        &format!("{path}/access"),
        json!({"user_id": r.users["buyer"].0}),
    );
    assert_eq!((g.status, g.body["field"].as_str()), (422, Some("user_id")));
    let g = r.post(
        "other-developer",
        &format!("{path}/access"),
        json!({"user_id": partner}),
    );
    assert_eq!(
        g.status, 404,
        "another organisation's developer: {}",
        g.body
    );

    // Inside the window: who reads the submission, who lists it.
    let inside: HashMap<&str, u16> = HashMap::from([
        ("admin", 200),
        ("dev", 200),
        ("reviewer", 200),
        ("other-reviewer", 404),
        ("partner", 200),
        ("other-partner", 404),
        ("buyer", 403),
        ("lab", 403),
        ("manufacturer", 403),
        ("other-developer", 404),
        ("public", 401),
    ]);
    for who in REVIEW_CALLERS {
        let got = r.get(who, &path);
        assert_eq!(
            got.status, inside[who],
            "{who} inside the window: {}",
            got.body
        );
        let list = r.get(who, "/api/v1/submissions");
        if inside[who] == 200 {
            assert_eq!(list.body["items"].as_array().unwrap().len(), 1, "{who}");
        } else if list.status == 200 {
            assert!(
                list.body["items"].as_array().unwrap().is_empty(),
                "{who} lists {}",
                list.body
            );
        }
    }

    // The review: a partner cannot move it; the reviewer starts it, attaches feedback and
    // moves it to feedback; only then.
    let t = r.post(
        "partner",
        &format!("{path}/transition"),
        json!({"to": "under-review"}),
    );
    assert_eq!(t.status, 403);
    let t = r.post(
        "reviewer",
        &format!("{path}/transition"),
        json!({"to": "under-review"}),
    );
    assert_eq!(t.status, 200, "{}", t.body);
    assert_eq!(t.body["state"], "under-review");
    let t = r.post(
        "reviewer",
        &format!("{path}/transition"),
        json!({"to": "feedback"}),
    );
    assert_eq!(
        (t.status, t.body["field"].as_str()),
        (409, Some("to")),
        "{}",
        t.body
    );
    let f = r.post(
        "partner",
        &format!("{path}/feedback"),
        json!({"title": "x", "body": "y"}),
    );
    assert_eq!(f.status, 403);
    let f = r.post(
        "reviewer",
        &format!("{path}/feedback"),
        json!({"title": "Prompt-injection gap", "body": "The model follows injected tool output.",
               "severity": "high", "mitigations": ["filter tool output"]}),
    );
    assert_eq!(f.status, 201, "{}", f.body);
    let t = r.post(
        "reviewer",
        &format!("{path}/transition"),
        json!({"to": "feedback"}),
    );
    assert_eq!(t.status, 200, "{}", t.body);
    assert_eq!(t.body["state"], "feedback");
    let events = t.body["events"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["to"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("transition", "submitted"),
            ("transition", "under-review"),
            ("feedback", "under-review"),
            ("transition", "feedback"),
        ]
    );
    assert_eq!(events[2]["feedback"]["severity"], "high");

    // Each event is a signed filing-receipt in the server's ledger, provable against the
    // served checkpoint.
    let cp = r.get("public", "/api/v1/checkpoint");
    assert_eq!(cp.status, 200, "{}", cp.body);
    assert_eq!(cp.body["size"], 4);
    let ledger = Ledger::open(r.s.dir.path()).unwrap();
    for e in events {
        let index = e["ledger_index"]
            .as_u64()
            .expect("every event is in the ledger");
        let p = r.get("reviewer", &format!("/api/v1/ledger/{index}/proof"));
        assert_eq!(p.status, 200, "{}", p.body);
        let proof: assay_ledger::InclusionProof =
            serde_json::from_value(p.body["proof"].clone()).unwrap();
        assert!(proof.verify());
        assert_eq!(hex::encode(proof.root), cp.body["root"].as_str().unwrap());
        let entry = ledger.entry(index).unwrap();
        assert_eq!(entry.statement.subject[0].name, "acme/frontier-1");
        let meta = &entry.statement.predicate.meta;
        assert_eq!(meta["receipt_for"], "pre-release-review");
        assert_eq!(meta["review_state"], e["to"].as_str().unwrap());
        assert_eq!(meta["firmware_digest"], digest);
        let want = id.to_string();
        assert_eq!(
            meta.get("submission_id").map(String::as_str),
            if index == 0 {
                None
            } else {
                Some(want.as_str())
            }
        );
    }
    assert_eq!(
        r.get("reviewer", "/api/v1/ledger/99/proof").body["field"],
        "index"
    );
    // ... and in the audit log.
    let audit = r.s.audit();
    for (action, detail) in [
        ("transition-submission", "submitted -> under-review"),
        ("transition-submission", "under-review -> feedback"),
        ("grant-review-access", "as reviewer"),
        ("grant-review-access", "as trusted-partner"),
    ] {
        assert!(
            audit.iter().any(|e| e["action"] == action
                && e["allowed"] == true
                && e["target"] == format!("submission:{id}")
                && e["detail"].as_str().unwrap().contains(detail)),
            "no audit row {action} {detail}"
        );
    }

    // After the window: the grants end (403 saying so, audited); owners and admins keep it.
    r.s.advance_days(31);
    let after: HashMap<&str, u16> = HashMap::from([
        ("admin", 200),
        ("dev", 200),
        ("reviewer", 403),
        ("other-reviewer", 404),
        ("partner", 403),
        ("other-partner", 404),
        ("buyer", 403),
        ("lab", 403),
        ("manufacturer", 403),
        ("other-developer", 404),
        ("public", 401),
    ]);
    for who in REVIEW_CALLERS {
        let got = r.get(who, &path);
        assert_eq!(
            got.status, after[who],
            "{who} after the window: {}",
            got.body
        );
        if matches!(who, "reviewer" | "partner") {
            assert!(
                got.body["detail"].as_str().unwrap().contains("ended"),
                "{}",
                got.body
            );
            let list = r.get(who, "/api/v1/submissions");
            assert!(
                list.body["items"].as_array().unwrap().is_empty(),
                "{who}: {}",
                list.body
            );
            let f = r.post(
                who,
                &format!("{path}/feedback"),
                json!({"title": "late", "body": "x"}),
            );
            assert_eq!(f.status, 403, "{who} late feedback: {}", f.body);
        }
    }
    let audit = r.s.audit();
    assert!(audit.iter().any(|e| e["allowed"] == false
        && e["target"] == format!("submission:{id}")
        && e["detail"] == "review access outside the window"));

    // The owner closes it; nothing moves a closed submission.
    let t = r.post(
        "dev",
        &format!("{path}/transition"),
        json!({"to": "closed"}),
    );
    assert_eq!(t.status, 200, "{}", t.body);
    assert_eq!(t.body["state"], "closed");
    let t = r.post(
        "admin",
        &format!("{path}/transition"),
        json!({"to": "under-review"}),
    );
    assert_eq!((t.status, t.body["field"].as_str()), (409, Some("to")));
    assert_eq!(r.get("public", "/api/v1/checkpoint").body["size"], 5);
}

fn review_submissions_refuse_bad_requests_naming_the_field(backend: Backend) {
    let r = review_setup(&backend);
    let lab = Lab::new();
    r.s.trust_as(&lab, "lab-key", "lab");
    let pad =
        r.s.upload(&r.dev, &lab.bundle("acme/frontier-1", "pad.json", "{}"));
    assert_eq!(pad.status, 201, "{}", pad.body);
    let pad = pad.body["id"].as_i64().unwrap();
    let other_org = r.s.create_org("elsewhere");
    let elsewhere = r.s.call(
        "POST",
        "/api/v1/evidence",
        Some(&r.s.admin),
        Some(upload_body(
            &lab.bundle("acme/frontier-1", "x.json", "{}"),
            Some(other_org),
        )),
    );
    let elsewhere = elsewhere.body["id"].as_i64().unwrap();
    let good = json!({"model": "acme/frontier-1", "planned_release": "2099-01-01",
                      "evidence_ids": [r.report]});
    let with = |key: &str, v: Value| {
        let mut b = good.clone();
        b[key] = v;
        b
    };
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            with("planned_release", json!("next spring")),
            400,
            "planned_release",
        ),
        (
            with("planned_release", json!("2001-01-01")),
            400,
            "planned_release",
        ),
        (with("model", json!("")), 400, "model"),
        (
            with("model_digest", json!("sha256:xyz")),
            400,
            "model_digest",
        ),
        (with("window_days", json!(90)), 400, "window_days"),
        (with("manifest", json!([1])), 400, "manifest"),
        (with("evidence_ids", json!([])), 400, "evidence_ids"),
        (
            with("evidence_ids", json!([r.report, r.report])),
            400,
            "evidence_ids[1]",
        ),
        (
            with("evidence_ids", json!([r.report, pad])),
            422,
            "evidence_ids[1]",
        ),
        (
            with("evidence_ids", json!([elsewhere])),
            422,
            "evidence_ids[0]",
        ),
        (with("model", json!("acme/other")), 422, "evidence_ids[0]"),
        (
            with("model_digest", json!("d1".repeat(32))),
            422,
            "evidence_ids[0]",
        ),
        (with("colour", json!("red")), 400, "colour"),
        (
            with("organisation_id", json!(other_org)),
            403,
            "organisation_id",
        ),
    ];
    for (body, status, field) in cases {
        let got = r.post("dev", "/api/v1/submissions", body.clone());
        assert_eq!(got.status, status, "{body}: {}", got.body);
        assert_eq!(got.content_type, "application/problem+json");
        assert_eq!(got.body["field"], field, "{body}: {}", got.body);
    }
    // Nothing was submitted by any of them.
    assert!(
        r.get("dev", "/api/v1/submissions").body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let id =
        r.s.submit(&r.dev, r.dev_org, "acme/frontier-1", &[r.report]);
    let path = format!("/api/v1/submissions/{id}");
    for (body, status, field) in [
        (json!({"to": "published"}), 400, "to"),
        (json!({"to": "feedback"}), 409, "to"),
        (
            json!({"to": "closed", "note": "x".repeat(5000)}),
            400,
            "note",
        ),
    ] {
        let got = r.post("admin", &format!("{path}/transition"), body.clone());
        assert_eq!(
            (got.status, got.body["field"].as_str()),
            (status, Some(field)),
            "{body}: {}",
            got.body
        );
    }
    let got = r.post(
        "admin",
        &format!("{path}/feedback"),
        json!({"title": "t", "body": "b"}),
    );
    assert_eq!(
        got.status, 409,
        "feedback before the review started: {}",
        got.body
    );
    let got = r.post(
        "admin",
        &format!("{path}/access"),
        json!({"user_id": 999_999}),
    );
    assert_eq!(
        (got.status, got.body["field"].as_str()),
        (400, Some("user_id"))
    );
    assert_eq!(r.get("admin", "/api/v1/submissions/x").body["field"], "id");
}

fn overdue_windows_are_flagged_on_the_dashboard(backend: Backend) {
    let r = review_setup(&backend);
    let late =
        r.s.submit(&r.dev, r.dev_org, "acme/frontier-1", &[r.report]);
    let done =
        r.s.submit(&r.dev, r.dev_org, "acme/frontier-1", &[r.report]);
    let long = r.post(
        "dev",
        "/api/v1/submissions",
        json!({"model": "acme/frontier-1", "planned_release": "2099-01-01",
               "evidence_ids": [r.report], "window_days": 60}),
    );
    let long = long.body["id"].as_i64().unwrap();
    // `done` gets its feedback in time.
    let t = r.post(
        "admin",
        &format!("/api/v1/submissions/{done}/transition"),
        json!({"to": "under-review"}),
    );
    assert_eq!(t.status, 200, "{}", t.body);
    let f = r.post(
        "admin",
        &format!("/api/v1/submissions/{done}/feedback"),
        json!({"title": "ok", "body": "no gaps found"}),
    );
    assert_eq!(f.status, 201, "{}", f.body);
    assert_eq!(
        r.post(
            "admin",
            &format!("/api/v1/submissions/{done}/transition"),
            json!({"to": "feedback"})
        )
        .status,
        200
    );
    let d = r.get("dev", "/api/v1/reviews/dashboard");
    assert_eq!(d.status, 200, "{}", d.body);
    assert!(
        d.body["overdue"].as_array().unwrap().is_empty(),
        "{}",
        d.body
    );
    assert_eq!(d.body["open"].as_array().unwrap().len(), 3);
    assert_eq!(d.body["window_rule"]["window_days"], 30);
    r.s.advance_days(31);
    for who in ["admin", "dev"] {
        let d = r.get(who, "/api/v1/reviews/dashboard");
        let overdue: Vec<i64> = d.body["overdue"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_i64().unwrap())
            .collect();
        assert_eq!(overdue, [late], "{who}: {}", d.body);
        assert_eq!(d.body["overdue"][0]["overdue"], true);
        let open: Vec<i64> = d.body["open"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_i64().unwrap())
            .collect();
        assert_eq!(open, [done, long], "{who}: {}", d.body);
        assert_eq!(d.body["counts"]["submitted"], 2);
    }
    // Another organisation's developer sees none of it; a buyer may not ask.
    let d = r.get("other-developer", "/api/v1/reviews/dashboard");
    assert!(d.body["overdue"].as_array().unwrap().is_empty());
    assert_eq!(r.get("buyer", "/api/v1/reviews/dashboard").status, 403);
    assert_eq!(r.get("public", "/api/v1/reviews/dashboard").status, 401);
}

/// The files of an example case folder (`examples/NAME`), by relative path.
fn example_case(name: &str) -> BTreeMap<String, Vec<u8>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name);
    files_under(&root)
        .into_iter()
        .map(|rel| {
            let bytes = std::fs::read(root.join(&rel)).unwrap();
            (rel.to_string_lossy().replace('\\', "/"), bytes)
        })
        .collect()
}

fn upload_case(files: &BTreeMap<String, Vec<u8>>, org: Option<i64>) -> Value {
    let mut body = upload_body(files, org);
    body["date"] = json!("2026-11-29");
    body
}

fn an_uploaded_case_is_assessed_and_its_package_kept_and_verifiable(backend: Backend) {
    let s = start(&backend);
    let org = s.create_org("maker");
    let (_, maker) = s.create_user(org, "maker", "manufacturer");
    let other = s.create_org("rival");
    let (_, rival) = s.create_user(other, "rival", "manufacturer");
    let case = example_case("iris-lock-non-autonomous");
    let r = s.call(
        "POST",
        "/api/v1/cases",
        Some(&maker),
        Some(upload_case(&case, None)),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert!(id.starts_with(&format!("{org}-")), "{id}");
    assert_eq!(r.body["date"], "2026-11-29");
    let paths: Vec<&str> = r.body["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    for want in [
        "assessment.json",
        "dossier.html",
        "attestation/envelope.dsse.json",
    ] {
        assert!(paths.contains(&want), "{want} not in {paths:?}");
    }
    // Kept: listed, read back with its attestation verified against the organisation
    // workspace's key, and downloadable byte for byte.
    let list = s.call("GET", "/api/v1/packages", Some(&maker), None);
    assert_eq!(list.body["items"][0]["id"], id.as_str(), "{}", list.body);
    let read = s.call("GET", &format!("/api/v1/packages/{id}"), Some(&maker), None);
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["attestation"]["verified"], true, "{}", read.body);
    let (status, _, _, bytes) = s.bytes(
        &format!("/api/v1/packages/{id}/file?path=assessment.json"),
        Some(&maker),
    );
    assert_eq!(status, 200);
    let listed = r.body["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "assessment.json")
        .unwrap();
    assert_eq!(
        hex::encode(Sha256::digest(&bytes)),
        listed["sha256"].as_str().unwrap()
    );
    let assessment: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(assessment["subject"]["id"], r.body["subject"]);
    // The same package read back as a folder passes `assay assess --check`'s recomputation.
    let mut package = assay_assess::Package::default();
    for p in &paths {
        let (st, _, _, b) = s.bytes(
            &format!("/api/v1/packages/{id}/file?path={p}"),
            Some(&maker),
        );
        assert_eq!(st, 200, "{p}");
        package.files.insert(p.to_string(), b);
    }
    let report = assay_assess::check(&package).unwrap();
    assert!(report.is_valid(), "{report:?}");
    // Stored where documented, the organisation's own workspace holding the evidence.
    let org_dir = s.dir.path().join("organisations").join(org.to_string());
    assert!(org_dir.join("workspace").join("assay.db").is_file());
    assert!(
        org_dir
            .join("packages")
            .join(&id[id.find('-').unwrap() + 1..])
            .join("record.json")
            .is_file()
    );
    // Another organisation sees nothing of it; a path the record does not list is refused.
    for path in [
        format!("/api/v1/packages/{id}"),
        format!("/api/v1/packages/{id}/file?path=assessment.json"),
    ] {
        assert_eq!(
            s.call("GET", &path, Some(&rival), None).status,
            404,
            "{path}"
        );
    }
    assert!(
        s.call("GET", "/api/v1/packages", Some(&rival), None).body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let r = s.call(
        "GET",
        &format!("/api/v1/packages/{id}/file?path=../workspace/assay.db"),
        Some(&maker),
        None,
    );
    assert_eq!((r.status, r.body["field"].as_str()), (404, Some("path")));
    assert_eq!(
        s.call("GET", "/api/v1/packages/../etc", Some(&maker), None)
            .status,
        404
    );
    assert_eq!(
        s.call("GET", "/api/v1/packages/1-zz", Some(&maker), None)
            .body["field"],
        "id"
    );
    // The audit log has it.
    assert!(
        s.audit()
            .iter()
            .any(|e| e["action"] == "assess-case" && e["target"] == format!("package:{id}"))
    );
}

fn a_bad_case_upload_is_refused_naming_the_file_and_keeps_nothing(backend: Backend) {
    let s = start(&backend);
    let org = s.create_org("maker");
    let (_, maker) = s.create_user(org, "maker", "manufacturer");
    let case = example_case("iris-lock-non-autonomous");
    let mut hostile = case.clone();
    hostile.insert("../escape.txt".into(), b"x".to_vec());
    let mut packs = case.clone();
    packs.insert("case.toml".into(), b"packs = [\"/etc/passwd\"]\n".to_vec());
    let mut no_subject = case.clone();
    no_subject.remove("subject.toml");
    let mut bad_b64 = upload_case(&case, None);
    bad_b64["files"]["subject.toml"] = json!("***");
    for (body, status, field) in [
        (upload_case(&hostile, None), 422, "files[\"../escape.txt\"]"),
        (upload_case(&packs, None), 422, "files[\"case.toml\"]"),
        (bad_b64, 400, "files[\"subject.toml\"]"),
        (with_date(upload_case(&case, None), "soon"), 400, "date"),
    ] {
        let r = s.call("POST", "/api/v1/cases", Some(&maker), Some(body));
        assert_eq!(
            (r.status, r.body["field"].as_str()),
            (status, Some(field)),
            "{}",
            r.body
        );
        assert_eq!(r.content_type, "application/problem+json");
    }
    let r = s.call(
        "POST",
        "/api/v1/cases",
        Some(&maker),
        Some(upload_case(&no_subject, None)),
    );
    assert!(r.status == 422, "{}", r.body);
    // Nothing kept.
    let packages = s
        .dir
        .path()
        .join("organisations")
        .join(org.to_string())
        .join("packages");
    assert!(!packages.exists() || std::fs::read_dir(&packages).unwrap().next().is_none());
    assert!(
        s.call("GET", "/api/v1/packages", Some(&maker), None).body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // An oversized body is refused before it is read.
    let big = "A".repeat(Limits::default().evidence_bytes + 10);
    let r = s.raw(
        "POST",
        "/api/v1/cases",
        Some(&maker),
        Some(format!("{{\"files\": {{\"subject.toml\": \"{big}\"}}}}").into_bytes()),
        "application/json",
    );
    assert_eq!(r.status, 413);
}

fn with_date(mut body: Value, date: &str) -> Value {
    body["date"] = json!(date);
    body
}
