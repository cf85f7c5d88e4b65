//! The assay clearinghouse server (issue #13), its foundation: the HTTP API on axum, one
//! store trait ([`store::ServerStore`]; SQLite by default, PostgreSQL with a `postgres://`
//! `--database`), identity (organisations, users, API
//! tokens) and access (roles, one authorisation table, an audit log), and evidence over HTTP
//! (trusted issuers; signed bundles verified before they are stored: [`evidence`]).
//!
//! Design:
//! - `api::ROUTES` is the one registry of endpoints. The router is built from it, each route
//!   wrapped in `auth::authorize`, which resolves the bearer token, asks
//!   `policy::allowed(role, action)` (the one table) and writes the audit row; the OpenAPI
//!   document is generated from the same registry.
//! - Handlers call the synchronous store through [`AppState::blocking`] (`spawn_blocking`);
//!   a store method returns only after its transaction committed, so every acknowledged write
//!   survives a crash.
//! - Errors are RFC 9457 problem details (`problem::Problem`); bodies are bounded
//!   ([`Limits::body_bytes`]).
//! - This crate never prints: the caller gets errors and passes a [`Reporter`] for notes.

pub mod api;
pub mod auth;
pub mod cases;
pub mod evidence;
pub mod openapi;
pub mod pg;
pub mod policy;
pub mod problem;
pub mod review;
pub mod sqlite;
pub mod store;
pub mod token;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use assay_core::Reporter;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;

use crate::problem::Problem;
use crate::store::{Bootstrap, ServerStore, StoreError};

/// The server database's file name inside the workspace (beside the ledger's `assay.db`).
pub const DB_FILE: &str = "server.db";

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("--database {0}: use a file path, sqlite:PATH or postgres://…")]
    BadDatabaseUrl(String),
    #[error("workspace {0} does not exist; run `assay init` first or pass --workspace")]
    NoWorkspace(PathBuf),
    #[error("{0}")]
    Token(#[from] token::RandomError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Limits on what a client may send.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest request body accepted (JSON API calls).
    pub body_bytes: usize,
    /// Largest evidence upload (a bundle's files in base64, so about 3/4 of this in bytes).
    pub evidence_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 64 * 1024,
            evidence_bytes: 32 * 1024 * 1024,
        }
    }
}

/// The server database named by `--database` (or its absence).
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file (the default: `server.db` in the workspace).
    Sqlite(PathBuf),
    /// A `postgres://` or `postgresql://` URL (kept whole: it may carry a password, so it
    /// is never shown; see [`pg::PgStore::target`]).
    Postgres(String),
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(p) => f.debug_tuple("Sqlite").field(p).finish(),
            Database::Postgres(_) => f.write_str("Postgres(..)"),
        }
    }
}

/// Which database `--database` names: a `postgres://` URL, or a SQLite file (a path,
/// `sqlite:PATH`, or by default `server.db` in the workspace).
pub fn database(workspace: &Path, database: Option<&str>) -> Result<Database, ServerError> {
    match database {
        Some(url) if pg::is_postgres_url(url) => Ok(Database::Postgres(url.to_string())),
        _ => database_path(workspace, database).map(Database::Sqlite),
    }
}

/// Where the SQLite server database lives, from `--database` (or its absence).
pub fn database_path(workspace: &Path, database: Option<&str>) -> Result<PathBuf, ServerError> {
    let Some(url) = database else {
        if !workspace.is_dir() {
            return Err(ServerError::NoWorkspace(workspace.to_path_buf()));
        }
        return Ok(workspace.join(DB_FILE));
    };
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    if path.is_empty() || (url.contains("://") && !url.starts_with("sqlite://")) {
        return Err(ServerError::BadDatabaseUrl(assay_core::text::quote_short(
            url,
        )));
    }
    Ok(PathBuf::from(path))
}

/// Opens the store named by `--database` (or the workspace's default), migrating it.
pub fn open_store(
    workspace: &Path,
    database: Option<&str>,
) -> Result<Arc<dyn ServerStore>, ServerError> {
    Ok(match self::database(workspace, database)? {
        Database::Sqlite(path) => Arc::new(sqlite::SqliteStore::open(&path)?),
        Database::Postgres(url) => Arc::new(pg::PgStore::open(&url)?),
    })
}

/// Creates the first organisation and admin; returns them and the admin's token text (to be
/// shown once: only its hash is stored).
pub fn bootstrap_admin(
    store: &dyn ServerStore,
    organisation: &str,
    admin: &str,
) -> Result<(Bootstrap, String), ServerError> {
    let minted = token::mint()?;
    let at = now();
    let record = store::TokenRecord {
        id: minted.id,
        user_id: 0,
        name: "bootstrap".into(),
        secret_sha256: minted.secret_sha256,
        created_at: at,
        expires_at: at + api::DEFAULT_TOKEN_DAYS * 86_400,
        revoked_at: None,
    };
    let b = store.bootstrap(organisation, admin, &record, at)?;
    Ok((b, minted.text))
}

pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The server's clock: Unix seconds. Injectable so tests can move past a review window.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The server's own ledger (the workspace's `assay.db` log, signed with its `default` key):
/// where review transitions are recorded as signed entries, with proofs and checkpoints
/// served. One mutex: appends are serialised.
pub type ServerLedger = Arc<std::sync::Mutex<assay_ledger::Ledger>>;

#[derive(Clone)]
pub struct AppState {
    store: Arc<dyn ServerStore>,
    log: Arc<dyn Reporter>,
    clock: Clock,
    ledger: Option<ServerLedger>,
    /// Where organisations' case workspaces and kept packages live (`cases.rs`).
    case_root: Option<PathBuf>,
    /// Assessments run one at a time.
    assess_lock: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppState")
    }
}

impl AppState {
    pub fn new(store: Arc<dyn ServerStore>, log: Arc<dyn Reporter>) -> Self {
        AppState {
            store,
            log,
            clock: Arc::new(now),
            ledger: None,
            case_root: None,
            assess_lock: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// Where uploaded cases are assessed and their packages kept: `<dir>/<organisation id>/`
    /// holds the organisation's workspace (its ledger) and packages. Without it, case upload
    /// answers 404.
    pub fn with_case_root(mut self, dir: PathBuf) -> Self {
        self.case_root = Some(dir);
        self
    }

    pub(crate) fn case_root(&self) -> Option<&Path> {
        self.case_root.as_deref()
    }

    pub(crate) fn assess_lock(&self) -> Arc<tokio::sync::Mutex<()>> {
        self.assess_lock.clone()
    }

    /// Replaces the clock (tests move time past a review window with it).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Gives the server its ledger: review transitions become signed entries in it, and
    /// `GET /api/v1/checkpoint` and `/api/v1/ledger/{index}/proof` serve it.
    pub fn with_ledger(mut self, ledger: assay_ledger::Ledger) -> Self {
        self.ledger = Some(Arc::new(std::sync::Mutex::new(ledger)));
        self
    }

    /// The ledger, if the server has one.
    pub fn ledger(&self) -> Option<&ServerLedger> {
        self.ledger.as_ref()
    }

    /// Where the server notes what the operator should know.
    pub fn reporter(&self) -> Arc<dyn Reporter> {
        self.log.clone()
    }

    /// Now, by the server's clock (Unix seconds).
    pub fn now(&self) -> i64 {
        (self.clock)()
    }

    /// Runs a store call on the blocking pool; store errors become problems (internal ones
    /// are noted to the operator's reporter, not shown to the client).
    pub async fn blocking<T, F>(&self, f: F) -> Result<T, Problem>
    where
        T: Send + 'static,
        F: FnOnce(&dyn ServerStore) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.store.clone();
        let result = tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(|e| Problem::internal(format!("a store task failed: {e}")))?;
        result.map_err(|e| {
            if matches!(
                e,
                StoreError::Sql(_)
                    | StoreError::Postgres(_)
                    | StoreError::Connect { .. }
                    | StoreError::Corrupt(_)
                    | StoreError::Unavailable(_)
                    | StoreError::Io { .. }
                    | StoreError::SchemaTooNew { .. }
            ) {
                self.log.note(&format!("store error: {e}"));
            }
            Problem::from(e)
        })
    }
}

/// The whole HTTP application, built from the route registry.
pub fn router(state: AppState, limits: Limits) -> Router {
    let mut router: Router<AppState> = Router::new();
    for route in api::ROUTES {
        let mut method_router = (route.handler)()
            .route_layer(from_fn_with_state((state.clone(), route), auth::authorize));
        if route.large_body {
            // Inside the router-wide limit, so it replaces it for this route only.
            method_router = method_router.layer(DefaultBodyLimit::max(limits.evidence_bytes));
        }
        router = router.route(route.path, method_router);
    }
    router
        .fallback(|| async {
            Problem::not_found("no such endpoint; the API is described at /api/v1/openapi.json")
        })
        .method_not_allowed_fallback(|| async {
            Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                "this endpoint does not take this method; see /api/v1/openapi.json",
            )
        })
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .with_state(state)
}

/// Serves until `shutdown` completes, then lets requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state, limits))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_pick_the_store() {
        let ws = std::env::temp_dir();
        for url in [
            "postgres://u@h/db",
            "postgresql://u:p@h:5433/db?sslmode=disable",
        ] {
            assert_eq!(
                database(&ws, Some(url)).unwrap(),
                Database::Postgres(url.into())
            );
        }
        assert_eq!(
            database(&ws, Some("sqlite:/srv/a.db")).unwrap(),
            Database::Sqlite("/srv/a.db".into())
        );
        assert_eq!(
            database(&ws, Some("srv/b.db")).unwrap(),
            Database::Sqlite("srv/b.db".into())
        );
        assert_eq!(
            database(&ws, None).unwrap(),
            Database::Sqlite(ws.join(DB_FILE))
        );
        let err = database(&ws, Some("mysql://u:p@h/db")).unwrap_err();
        assert!(matches!(err, ServerError::BadDatabaseUrl(_)), "{err}");
        // The URL (it may hold a password) is not in the Debug form.
        let dbg = format!(
            "{:?}",
            Database::Postgres("postgres://u:secret@h/db".into())
        );
        assert!(!dbg.contains("secret"), "{dbg}");
    }
}
