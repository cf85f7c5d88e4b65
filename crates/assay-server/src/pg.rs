//! [`ServerStore`] on PostgreSQL (`--database postgres://…`), with `tokio-postgres`.
//!
//! The trait is synchronous and the HTTP layer calls it from `spawn_blocking` threads, so this
//! store owns a small private tokio runtime (one worker thread) that drives the connections'
//! I/O; each method runs its transaction with `Runtime::block_on` on the calling (blocking)
//! thread. The runtime is shut down in the background on drop, so dropping the store is safe
//! anywhere, also inside the server's own runtime.
//!
//! Connections come from a bounded pool ([`POOL_SIZE`]); a caller waits at most
//! [`POOL_WAIT`] for one. Each connection sets `synchronous_commit = on`, so a `COMMIT` returns
//! only after the server flushed its WAL: a method that returned `Ok` is durable, whatever
//! the database's default. Statements mirror `sqlite.rs` one for one (`$n` placeholders,
//! identity columns); the migrations have the same versions and names as SQLite's (a test
//! checks that).
//!
//! Concurrency that SQLite's single connection serialises by itself is serialised here with
//! transaction-scoped advisory locks: migrations (several servers starting on one database)
//! and the bootstrap (one first admin).

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config, NoTls, Row, Transaction};

use crate::policy::Role;
use crate::sqlite::Migration;
use crate::sqlite::{EVENT_COLS, SUBMISSION_COLS, ids_from_json, ids_to_json};
use crate::store::{
    AuditEntry, AuditRecord, Bootstrap, EvidenceInfo, EvidencePart, NewEvidence, Organisation,
    Result, ServerStore, StoreError, TokenInfo, TokenRecord, TrustedIssuer, User,
};
use crate::store::{
    NewSubmission, NewSubmissionEvent, Submission, SubmissionAccess, SubmissionEvent,
    SubmissionScope,
};

/// The PostgreSQL schema, oldest first: the same versions and names as
/// [`crate::sqlite::MIGRATIONS`], in PostgreSQL's dialect. Never edit an applied migration.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "identity and access",
        sql: "
CREATE TABLE organisations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE TABLE users (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin','developer','manufacturer','lab','reviewer',
                                       'trusted-partner','buyer')),
    created_at BIGINT NOT NULL,
    UNIQUE (organisation_id, name)
);
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);
CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_user_id BIGINT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    allowed BOOLEAN NOT NULL,
    detail TEXT NOT NULL
);
",
    },
    Migration {
        version: 2,
        name: "trusted issuers and evidence",
        sql: "
CREATE TABLE trusted_issuers (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('lab','manufacturer','developer','reviewer')),
    public_key TEXT NOT NULL,
    key_id TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    created_by BIGINT REFERENCES users(id)
);
CREATE TABLE evidence (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    envelope_sha256 TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    blob_sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    size BIGINT NOT NULL,
    signed_at TEXT NOT NULL,
    meta_json TEXT NOT NULL,
    signer_key_id TEXT NOT NULL,
    issuer_id BIGINT NOT NULL REFERENCES trusted_issuers(id),
    log_origin TEXT NOT NULL,
    log_index BIGINT NOT NULL,
    tree_size BIGINT NOT NULL,
    log_root TEXT NOT NULL,
    uploaded_by BIGINT REFERENCES users(id),
    uploaded_at BIGINT NOT NULL,
    envelope BYTEA NOT NULL,
    blob BYTEA NOT NULL,
    UNIQUE (organisation_id, envelope_sha256)
);
",
    },
    Migration {
        version: 3,
        name: "pre-release review windows",
        sql: "
CREATE TABLE submissions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    submitted_by BIGINT REFERENCES users(id),
    model TEXT NOT NULL,
    model_digest TEXT,
    planned_release TEXT NOT NULL,
    manifest_json TEXT NOT NULL,
    evidence_ids TEXT NOT NULL,
    qualification TEXT NOT NULL,
    window_days BIGINT NOT NULL,
    opens_at BIGINT NOT NULL,
    closes_at BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('submitted','under-review','feedback','closed')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX submissions_organisation ON submissions(organisation_id);
CREATE TABLE submission_access (
    submission_id BIGINT NOT NULL REFERENCES submissions(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    role TEXT NOT NULL CHECK (role IN ('reviewer','trusted-partner')),
    granted_by BIGINT REFERENCES users(id),
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (submission_id, user_id)
);
CREATE INDEX submission_access_user ON submission_access(user_id);
CREATE TABLE submission_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES submissions(id),
    kind TEXT NOT NULL CHECK (kind IN ('transition','feedback')),
    from_state TEXT,
    to_state TEXT NOT NULL,
    at BIGINT NOT NULL,
    actor_user_id BIGINT REFERENCES users(id),
    detail TEXT NOT NULL,
    ledger_index BIGINT
);
CREATE INDEX submission_events_submission ON submission_events(submission_id);
",
    },
    Migration {
        version: 4,
        name: "evidence proofs",
        sql: "
ALTER TABLE evidence ADD COLUMN inclusion_proof BYTEA;
ALTER TABLE evidence ADD COLUMN checkpoint BYTEA;
",
    },
];

/// The newest schema version this binary knows (equal to SQLite's).
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Most connections one store holds open.
pub const POOL_SIZE: usize = 8;
/// Longest a store call waits for a free connection before it fails.
pub const POOL_WAIT: Duration = Duration::from_secs(30);
/// Longest a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Advisory lock keys (any fixed numbers; they only need to be the same in every assay).
const MIGRATE_LOCK: i64 = 0x6173_7361_795f_6d69; // "assay_mi"
const BOOTSTRAP_LOCK: i64 = 0x6173_7361_795f_626f; // "assay_bo"

/// Whether `--database` names PostgreSQL.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

struct Pool {
    idle: Vec<Client>,
    /// Connections open or being opened (idle + lent).
    total: usize,
}

pub struct PgStore {
    runtime: Option<tokio::runtime::Runtime>,
    config: Config,
    /// Where the database is, without credentials (for messages).
    target: String,
    pool: Mutex<Pool>,
    freed: Condvar,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("target", &self.target)
            .finish()
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Clients first (each closes its connection), then the runtime without blocking.
        self.pool.get_mut().map(|p| p.idle.clear()).ok();
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// A connection lent from the pool; returned (or discarded when closed) on drop.
struct Lent<'a> {
    store: &'a PgStore,
    client: Option<Client>,
}

impl Lent<'_> {
    fn client(&mut self) -> &mut Client {
        self.client
            .as_mut()
            .expect("a lent connection is present until drop")
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let mut pool = self.store.lock_pool();
            if client.is_closed() {
                pool.total -= 1;
            } else {
                pool.idle.push(client);
            }
            drop(pool);
            self.store.freed.notify_one();
        }
    }
}

/// Describes a connection target without user or password: `host:port/dbname`.
fn describe(config: &Config) -> String {
    use tokio_postgres::config::Host;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("(default)");
    format!("postgres {host}:{port}/{db}")
}

impl PgStore {
    /// Connects to the database named by a `postgres://` URL and applies pending migrations.
    pub fn open(url: &str) -> Result<Self> {
        let mut config: Config = url.parse().map_err(|e: tokio_postgres::Error| {
            StoreError::Refused(format!(
                "--database is not a valid PostgreSQL URL ({e}); write \
                 postgres://USER[:PASSWORD]@HOST[:PORT]/DBNAME or \
                 postgres:///DBNAME?host=/socket/dir"
            ))
        })?;
        if config.get_application_name().is_none() {
            config.application_name("assay-serve");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("assay-postgres")
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| StoreError::Io {
                path: "the PostgreSQL client runtime".into(),
                source: e,
            })?;
        let store = PgStore {
            runtime: Some(runtime),
            target: describe(&config),
            config,
            pool: Mutex::new(Pool {
                idle: Vec::new(),
                total: 0,
            }),
            freed: Condvar::new(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// The database this store talks to, without credentials.
    pub fn target(&self) -> &str {
        &self.target
    }

    fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime
            .as_ref()
            .expect("the runtime is present until drop")
            .block_on(f)
    }

    fn lock_pool(&self) -> MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Lends an idle connection, opens a new one while under [`POOL_SIZE`], or waits.
    fn conn(&self) -> Result<Lent<'_>> {
        let deadline = Instant::now() + POOL_WAIT;
        let mut pool = self.lock_pool();
        loop {
            while let Some(client) = pool.idle.pop() {
                if client.is_closed() {
                    pool.total -= 1;
                } else {
                    return Ok(Lent {
                        store: self,
                        client: Some(client),
                    });
                }
            }
            if pool.total < POOL_SIZE {
                pool.total += 1;
                drop(pool);
                return match self.connect() {
                    Ok(client) => Ok(Lent {
                        store: self,
                        client: Some(client),
                    }),
                    Err(e) => {
                        self.lock_pool().total -= 1;
                        self.freed.notify_one();
                        Err(e)
                    }
                };
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(StoreError::Unavailable(format!(
                    "all {POOL_SIZE} connections to {} stayed busy for {}s",
                    self.target,
                    POOL_WAIT.as_secs()
                )));
            }
            pool = self
                .freed
                .wait_timeout(pool, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn connect(&self) -> Result<Client> {
        let runtime = self
            .runtime
            .as_ref()
            .expect("the runtime is present until drop");
        self.block_on(async {
            let (client, connection) =
                self.config
                    .connect(NoTls)
                    .await
                    .map_err(|e| StoreError::Connect {
                        target: self.target.clone(),
                        source: e,
                    })?;
            // The connection task ends when the client is dropped or the server goes away; a
            // closed connection is noticed (`is_closed`) and dropped from the pool.
            runtime.spawn(async move {
                let _ = connection.await;
            });
            // Durable on commit whatever the server's default; integer times need no zone.
            client.batch_execute("SET synchronous_commit = on").await?;
            Ok(client)
        })
    }

    fn migrate(&self) -> Result<()> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            // The version check and every migration run under one advisory lock (per
            // transaction), so servers starting together apply each migration once.
            for step in 0..=MIGRATIONS.len() {
                let tx = client.transaction().await?;
                tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])
                    .await?;
                tx.batch_execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (
                        version BIGINT PRIMARY KEY,
                        name TEXT NOT NULL,
                        applied_at BIGINT NOT NULL
                    )",
                )
                .await?;
                let current: i64 = tx
                    .query_one(
                        "SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_migrations",
                        &[],
                    )
                    .await?
                    .get(0);
                if current > latest_version() {
                    return Err(StoreError::SchemaTooNew {
                        path: self.target.clone(),
                        found: current,
                        supported: latest_version(),
                    });
                }
                let Some(m) = MIGRATIONS.get(step) else {
                    tx.commit().await?;
                    break;
                };
                if m.version > current {
                    tx.batch_execute(m.sql).await?;
                    tx.execute(
                        "INSERT INTO schema_migrations (version, name, applied_at)
                         VALUES ($1, $2, $3)",
                        &[&m.version, &m.name, &now()],
                    )
                    .await?;
                }
                tx.commit().await?;
            }
            Ok(())
        })
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn is_unique_violation(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

async fn audit_in(tx: &Transaction<'_>, e: &AuditEntry) -> Result<()> {
    tx.execute(
        "INSERT INTO audit_log (at, actor_user_id, actor, action, target, allowed, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &e.at,
            &e.actor_user_id,
            &e.actor,
            &e.action,
            &e.target,
            &e.allowed,
            &e.detail,
        ],
    )
    .await?;
    Ok(())
}

fn role_of(s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| {
        StoreError::Corrupt(format!(
            "unknown role {} in the users table",
            assay_core::text::quote_short(s)
        ))
    })
}

const USER_COLS: &str = "id, organisation_id, name, role, created_at";

fn user_row(r: &Row) -> Result<User> {
    Ok(User {
        id: r.try_get(0)?,
        organisation_id: r.try_get(1)?,
        name: r.try_get(2)?,
        role: role_of(r.try_get(3)?)?,
        created_at: r.try_get(4)?,
    })
}

fn org_row(r: &Row) -> Result<Organisation> {
    Ok(Organisation {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        created_at: r.try_get(2)?,
    })
}

fn limit_of(limit: u32) -> i64 {
    i64::from(limit)
}

async fn insert_org(tx: &Transaction<'_>, name: &str, at: i64) -> Result<Organisation> {
    match tx
        .query_one(
            "INSERT INTO organisations (name, created_at) VALUES ($1, $2)
             RETURNING id, name, created_at",
            &[&name, &at],
        )
        .await
    {
        Ok(row) => org_row(&row),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
            "an organisation named {} exists already",
            assay_core::text::quote_short(name)
        ))),
        Err(e) => Err(e.into()),
    }
}

async fn insert_user(
    tx: &Transaction<'_>,
    org: i64,
    name: &str,
    role: Role,
    at: i64,
) -> Result<User> {
    let exists = tx
        .query_opt("SELECT id FROM organisations WHERE id = $1", &[&org])
        .await?;
    if exists.is_none() {
        return Err(StoreError::NotFound(format!("organisation {org}")));
    }
    match tx
        .query_one(
            &format!(
                "INSERT INTO users (organisation_id, name, role, created_at)
                 VALUES ($1, $2, $3, $4) RETURNING {USER_COLS}"
            ),
            &[&org, &name, &role.as_str(), &at],
        )
        .await
    {
        Ok(row) => user_row(&row),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
            "organisation {org} has a user named {} already",
            assay_core::text::quote_short(name)
        ))),
        Err(e) => Err(e.into()),
    }
}

async fn insert_token(tx: &Transaction<'_>, t: &TokenRecord) -> Result<()> {
    match tx
        .execute(
            "INSERT INTO api_tokens
                 (id, user_id, name, secret_sha256, created_at, expires_at, revoked_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &t.id,
                &t.user_id,
                &t.name,
                &hex::encode(t.secret_sha256),
                &t.created_at,
                &t.expires_at,
                &t.revoked_at,
            ],
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(
            "a token with this id exists already; try again".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

fn refuse_public(role: Role) -> Result<()> {
    if role.grantable() {
        Ok(())
    } else {
        Err(StoreError::Refused(
            "the public role is the absence of a token; it cannot be granted".into(),
        ))
    }
}

const ISSUER_COLS: &str = "id, name, role, public_key, key_id, created_at, created_by";

fn submission_row(r: &Row) -> Result<Submission> {
    let ids: String = r.try_get(7)?;
    Ok(Submission {
        id: r.try_get(0)?,
        organisation_id: r.try_get(1)?,
        submitted_by: r.try_get(2)?,
        model: r.try_get(3)?,
        model_digest: r.try_get(4)?,
        planned_release: r.try_get(5)?,
        manifest_json: r.try_get(6)?,
        evidence_ids: ids_from_json(&ids).map_err(StoreError::Corrupt)?,
        qualification: r.try_get(8)?,
        window_days: r.try_get(9)?,
        opens_at: r.try_get(10)?,
        closes_at: r.try_get(11)?,
        state: r.try_get(12)?,
        created_at: r.try_get(13)?,
        updated_at: r.try_get(14)?,
    })
}

fn event_row(r: &Row) -> Result<SubmissionEvent> {
    Ok(SubmissionEvent {
        id: r.try_get(0)?,
        submission_id: r.try_get(1)?,
        kind: r.try_get(2)?,
        from_state: r.try_get(3)?,
        to_state: r.try_get(4)?,
        at: r.try_get(5)?,
        actor_user_id: r.try_get(6)?,
        detail: r.try_get(7)?,
        ledger_index: r.try_get(8)?,
    })
}

async fn insert_event(tx: &Transaction<'_>, e: &NewSubmissionEvent) -> Result<SubmissionEvent> {
    let row = tx
        .query_one(
            &format!(
                "INSERT INTO submission_events (submission_id, kind, from_state, to_state, at,
                     actor_user_id, detail, ledger_index)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {EVENT_COLS}"
            ),
            &[
                &e.submission_id,
                &e.kind,
                &e.from_state,
                &e.to_state,
                &e.at,
                &e.actor_user_id,
                &e.detail,
                &e.ledger_index,
            ],
        )
        .await?;
    event_row(&row)
}

fn issuer_row(r: &Row) -> Result<TrustedIssuer> {
    Ok(TrustedIssuer {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        role: r.try_get(2)?,
        public_key: r.try_get(3)?,
        key_id: r.try_get(4)?,
        created_at: r.try_get(5)?,
        created_by: r.try_get(6)?,
    })
}

fn evidence_row(r: &Row) -> Result<EvidenceInfo> {
    Ok(EvidenceInfo {
        id: r.try_get(0)?,
        organisation_id: r.try_get(1)?,
        envelope_sha256: r.try_get(2)?,
        kind: r.try_get(3)?,
        subject: r.try_get(4)?,
        blob_sha256: r.try_get(5)?,
        file_name: r.try_get(6)?,
        size: r.try_get(7)?,
        signed_at: r.try_get(8)?,
        meta_json: r.try_get(9)?,
        signer_key_id: r.try_get(10)?,
        issuer_id: r.try_get(11)?,
        issuer_name: r.try_get(12)?,
        issuer_role: r.try_get(13)?,
        log_origin: r.try_get(14)?,
        log_index: r.try_get(15)?,
        tree_size: r.try_get(16)?,
        log_root: r.try_get(17)?,
        uploaded_by: r.try_get(18)?,
        uploaded_at: r.try_get(19)?,
    })
}

impl ServerStore for PgStore {
    fn add_issuer(
        &self,
        name: &str,
        role: &str,
        public_key: &str,
        key_id: &str,
        audit: &AuditEntry,
    ) -> Result<TrustedIssuer> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            let tx = client.transaction().await?;
            if let Some(row) = tx
                .query_opt(
                    "SELECT name FROM trusted_issuers WHERE name = $1 OR key_id = $2",
                    &[&name, &key_id],
                )
                .await?
            {
                let other: String = row.try_get(0)?;
                return Err(StoreError::Conflict(if other == name {
                    format!(
                        "an issuer named {} is trusted already",
                        assay_core::text::quote_short(name)
                    )
                } else {
                    format!(
                        "this key is trusted already as {}",
                        assay_core::text::quote_short(&other)
                    )
                }));
            }
            let row = match tx
                .query_one(
                    &format!(
                        "INSERT INTO trusted_issuers
                             (name, role, public_key, key_id, created_at, created_by)
                         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {ISSUER_COLS}"
                    ),
                    &[
                        &name,
                        &role,
                        &public_key,
                        &key_id,
                        &audit.at,
                        &audit.actor_user_id,
                    ],
                )
                .await
            {
                Ok(row) => row,
                Err(e) if is_unique_violation(&e) => {
                    return Err(StoreError::Conflict(
                        "this issuer name or key was trusted at the same moment; list the issuers"
                            .into(),
                    ));
                }
                Err(e) => return Err(e.into()),
            };
            let issuer = issuer_row(&row)?;
            audit_in(
                &tx,
                &AuditEntry {
                    target: format!("issuer:{}", issuer.id),
                    ..audit.clone()
                },
            )
            .await?;
            tx.commit().await?;
            Ok(issuer)
        })
    }

    fn list_issuers(&self) -> Result<Vec<TrustedIssuer>> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            client
                .query(
                    &format!("SELECT {ISSUER_COLS} FROM trusted_issuers ORDER BY id"),
                    &[],
                )
                .await?
                .iter()
                .map(issuer_row)
                .collect()
        })
    }

    fn put_evidence(&self, e: &NewEvidence, audit: &AuditEntry) -> Result<(EvidenceInfo, bool)> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            let tx = client.transaction().await?;
            let inserted = match tx
                .execute(
                    "INSERT INTO evidence (organisation_id, envelope_sha256, kind, subject,
                         blob_sha256, file_name, size, signed_at, meta_json, signer_key_id,
                         issuer_id, log_origin, log_index, tree_size, log_root, uploaded_by,
                         uploaded_at, envelope, blob, inclusion_proof, checkpoint)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                         $16, $17, $18, $19, $20, $21)
                     ON CONFLICT (organisation_id, envelope_sha256) DO NOTHING",
                    &[
                        &e.organisation_id,
                        &e.envelope_sha256,
                        &e.kind,
                        &e.subject,
                        &e.blob_sha256,
                        &e.file_name,
                        &e.size,
                        &e.signed_at,
                        &e.meta_json,
                        &e.signer_key_id,
                        &e.issuer_id,
                        &e.log_origin,
                        &e.log_index,
                        &e.tree_size,
                        &e.log_root,
                        &e.uploaded_by,
                        &e.uploaded_at,
                        &e.envelope,
                        &e.blob,
                        &e.inclusion_proof,
                        &e.checkpoint,
                    ],
                )
                .await
            {
                Ok(n) => n,
                Err(err) if err.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) => {
                    return Err(StoreError::NotFound(format!(
                        "organisation {}",
                        e.organisation_id
                    )));
                }
                Err(err) => return Err(err.into()),
            };
            let row = tx
                .query_one(
                    &format!(
                        "{} WHERE e.organisation_id = $1 AND e.envelope_sha256 = $2",
                        crate::sqlite::EVIDENCE_SELECT
                    ),
                    &[&e.organisation_id, &e.envelope_sha256],
                )
                .await?;
            let info = evidence_row(&row)?;
            let created = inserted == 1;
            audit_in(
                &tx,
                &AuditEntry {
                    target: format!("evidence:{}", info.id),
                    detail: format!(
                        "{} envelope sha256 {}",
                        if created { "stored" } else { "already held" },
                        e.envelope_sha256
                    ),
                    ..audit.clone()
                },
            )
            .await?;
            tx.commit().await?;
            Ok((info, created))
        })
    }

    fn evidence(&self, id: i64) -> Result<Option<EvidenceInfo>> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            client
                .query_opt(
                    &format!("{} WHERE e.id = $1", crate::sqlite::EVIDENCE_SELECT),
                    &[&id],
                )
                .await?
                .map(|r| evidence_row(&r))
                .transpose()
        })
    }

    fn list_evidence(
        &self,
        organisation_id: Option<i64>,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<EvidenceInfo>> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            client
                .query(
                    &format!(
                        "{} WHERE e.id > $1 AND ($2::BIGINT IS NULL OR e.organisation_id = $2)
                         ORDER BY e.id LIMIT $3",
                        crate::sqlite::EVIDENCE_SELECT
                    ),
                    &[&after_id, &organisation_id, &limit_of(limit)],
                )
                .await?
                .iter()
                .map(evidence_row)
                .collect()
        })
    }

    fn evidence_bytes(&self, id: i64, part: EvidencePart) -> Result<Option<Vec<u8>>> {
        let column = part.column();
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            client
                .query_opt(
                    &format!("SELECT {column} FROM evidence WHERE id = $1"),
                    &[&id],
                )
                .await?
                .map(|r| r.try_get::<_, Option<Vec<u8>>>(0).map_err(StoreError::from))
                .transpose()
                .map(Option::flatten)
        })
    }

    fn schema_version(&self) -> Result<i64> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            Ok(client
                .query_one(
                    "SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_migrations",
                    &[],
                )
                .await?
                .try_get(0)?)
        })
    }

    fn bootstrap(
        &self,
        organisation: &str,
        admin: &str,
        token: &TokenRecord,
        now: i64,
    ) -> Result<Bootstrap> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            let tx = client.transaction().await?;
            // One bootstrap at a time: the "no admin yet" check holds until commit.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&BOOTSTRAP_LOCK])
                .await?;
            let admins: i64 = tx
                .query_one("SELECT COUNT(*) FROM users WHERE role = 'admin'", &[])
                .await?
                .try_get(0)?;
            if admins > 0 {
                return Err(StoreError::Refused(
                    "this server has an admin already; an admin creates further users and \
                     tokens through the API"
                        .into(),
                ));
            }
            let existing = tx
                .query_opt(
                    "SELECT id, name, created_at FROM organisations WHERE name = $1",
                    &[&organisation],
                )
                .await?;
            let org = match existing {
                Some(row) => org_row(&row)?,
                None => insert_org(&tx, organisation, now).await?,
            };
            let user = insert_user(&tx, org.id, admin, Role::Admin, now).await?;
            let token = TokenRecord {
                user_id: user.id,
                ..token.clone()
            };
            insert_token(&tx, &token).await?;
            let entry = AuditEntry {
                at: now,
                actor_user_id: None,
                actor: "bootstrap".into(),
                action: "bootstrap-admin".into(),
                target: format!("user:{}", user.id),
                allowed: true,
                detail: format!("organisation {} admin and token {}", org.id, token.id),
            };
            audit_in(&tx, &entry).await?;
            tx.commit().await?;
            Ok(Bootstrap {
                organisation: org,
                admin: user,
            })
        })
    }

    fn create_organisation(&self, name: &str, audit: &AuditEntry) -> Result<Organisation> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            let tx = client.transaction().await?;
            let org = insert_org(&tx, name, audit.at).await?;
            audit_in(
                &tx,
                &AuditEntry {
                    target: format!("organisation:{}", org.id),
                    ..audit.clone()
                },
            )
            .await?;
            tx.commit().await?;
            Ok(org)
        })
    }

    fn organisation(&self, id: i64) -> Result<Option<Organisation>> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            client
                .query_opt(
                    "SELECT id, name, created_at FROM organisations WHERE id = $1",
                    &[&id],
                )
                .await?
                .map(|r| org_row(&r))
                .transpose()
        })
    }

    fn list_organisations(&self, after_id: i64, limit: u32) -> Result<Vec<Organisation>> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            client
                .query(
                    "SELECT id, name, created_at FROM organisations WHERE id > $1
                     ORDER BY id LIMIT $2",
                    &[&after_id, &limit_of(limit)],
                )
                .await?
                .iter()
                .map(org_row)
                .collect()
        })
    }

    fn create_user(
        &self,
        organisation_id: i64,
        name: &str,
        role: Role,
        audit: &AuditEntry,
    ) -> Result<User> {
        refuse_public(role)?;
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            let tx = client.transaction().await?;
            let user = insert_user(&tx, organisation_id, name, role, audit.at).await?;
            audit_in(
                &tx,
                &AuditEntry {
                    target: format!("user:{}", user.id),
                    detail: format!("role {} in organisation {organisation_id}", role.as_str()),
                    ..audit.clone()
                },
            )
            .await?;
            tx.commit().await?;
            Ok(user)
        })
    }

    fn user(&self, id: i64) -> Result<Option<User>> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            client
                .query_opt(
                    &format!("SELECT {USER_COLS} FROM users WHERE id = $1"),
                    &[&id],
                )
                .await?
                .map(|r| user_row(&r))
                .transpose()
        })
    }

    fn list_users(
        &self,
        organisation_id: Option<i64>,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<User>> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            client
                .query(
                    &format!(
                        "SELECT {USER_COLS} FROM users
                         WHERE id > $1 AND ($2::BIGINT IS NULL OR organisation_id = $2)
                         ORDER BY id LIMIT $3"
                    ),
                    &[&after_id, &organisation_id, &limit_of(limit)],
                )
                .await?
                .iter()
                .map(user_row)
                .collect()
        })
    }

    fn set_role(&self, user_id: i64, role: Role, audit: &AuditEntry) -> Result<User> {
        refuse_public(role)?;
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            let tx = client.transaction().await?;
            let row = tx
                .query_opt(
                    &format!("UPDATE users SET role = $1 WHERE id = $2 RETURNING {USER_COLS}"),
                    &[&role.as_str(), &user_id],
                )
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("user {user_id}")))?;
            let user = user_row(&row)?;
            audit_in(
                &tx,
                &AuditEntry {
                    target: format!("user:{user_id}"),
                    detail: format!("role {}", role.as_str()),
                    ..audit.clone()
                },
            )
            .await?;
            tx.commit().await?;
            Ok(user)
        })
    }

    fn create_token(&self, token: &TokenRecord, audit: &AuditEntry) -> Result<()> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            let tx = client.transaction().await?;
            let user = tx
                .query_opt("SELECT id FROM users WHERE id = $1", &[&token.user_id])
                .await?;
            if user.is_none() {
                return Err(StoreError::NotFound(format!("user {}", token.user_id)));
            }
            insert_token(&tx, token).await?;
            audit_in(
                &tx,
                &AuditEntry {
                    target: format!("token:{}", token.id),
                    detail: format!(
                        "for user {} named {}, expires {}",
                        token.user_id,
                        assay_core::text::quote_short(&token.name),
                        token.expires_at
                    ),
                    ..audit.clone()
                },
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn token(&self, id: &str) -> Result<Option<(TokenRecord, User)>> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            let Some(r) = client
                .query_opt(
                    "SELECT t.id, t.user_id, t.name, t.secret_sha256, t.created_at,
                            t.expires_at, t.revoked_at, u.id, u.organisation_id, u.name,
                            u.role, u.created_at
                     FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1",
                    &[&id],
                )
                .await?
            else {
                return Ok(None);
            };
            let hash: &str = r.try_get(3)?;
            let mut secret_sha256 = [0u8; 32];
            if hex::decode_to_slice(hash, &mut secret_sha256).is_err() {
                return Err(StoreError::Corrupt(
                    "stored token hash is not 32 bytes of hex".into(),
                ));
            }
            Ok(Some((
                TokenRecord {
                    id: r.try_get(0)?,
                    user_id: r.try_get(1)?,
                    name: r.try_get(2)?,
                    secret_sha256,
                    created_at: r.try_get(4)?,
                    expires_at: r.try_get(5)?,
                    revoked_at: r.try_get(6)?,
                },
                User {
                    id: r.try_get(7)?,
                    organisation_id: r.try_get(8)?,
                    name: r.try_get(9)?,
                    role: role_of(r.try_get(10)?)?,
                    created_at: r.try_get(11)?,
                },
            )))
        })
    }

    fn list_tokens(&self, user_id: i64) -> Result<Vec<TokenInfo>> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            client
                .query(
                    "SELECT id, user_id, name, created_at, expires_at, revoked_at
                     FROM api_tokens WHERE user_id = $1 ORDER BY created_at, id",
                    &[&user_id],
                )
                .await?
                .iter()
                .map(|r| {
                    Ok(TokenInfo {
                        id: r.try_get(0)?,
                        user_id: r.try_get(1)?,
                        name: r.try_get(2)?,
                        created_at: r.try_get(3)?,
                        expires_at: r.try_get(4)?,
                        revoked_at: r.try_get(5)?,
                    })
                })
                .collect()
        })
    }

    fn revoke_token(&self, id: &str, user_id: Option<i64>, audit: &AuditEntry) -> Result<bool> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            let tx = client.transaction().await?;
            let found = tx
                .query_opt(
                    "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1)
                     WHERE id = $2 AND ($3::BIGINT IS NULL OR user_id = $3) RETURNING id",
                    &[&audit.at, &id, &user_id],
                )
                .await?;
            if found.is_none() {
                return Ok(false);
            }
            audit_in(
                &tx,
                &AuditEntry {
                    target: format!("token:{id}"),
                    ..audit.clone()
                },
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    fn create_submission(
        &self,
        s: &NewSubmission,
        first: &NewSubmissionEvent,
        audit: &AuditEntry,
    ) -> Result<Submission> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            let tx = client.transaction().await?;
            let row = match tx
                .query_one(
                    &format!(
                        "INSERT INTO submissions (organisation_id, submitted_by, model,
                             model_digest, planned_release, manifest_json, evidence_ids,
                             qualification, window_days, opens_at, closes_at, state, created_at,
                             updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'submitted',
                             $12, $12)
                         RETURNING {SUBMISSION_COLS}"
                    ),
                    &[
                        &s.organisation_id,
                        &s.submitted_by,
                        &s.model,
                        &s.model_digest,
                        &s.planned_release,
                        &s.manifest_json,
                        &ids_to_json(&s.evidence_ids),
                        &s.qualification,
                        &s.window_days,
                        &s.opens_at,
                        &s.closes_at,
                        &s.created_at,
                    ],
                )
                .await
            {
                Ok(row) => row,
                Err(err) if err.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) => {
                    return Err(StoreError::NotFound(format!(
                        "organisation {}",
                        s.organisation_id
                    )));
                }
                Err(err) => return Err(err.into()),
            };
            let sub = submission_row(&row)?;
            insert_event(
                &tx,
                &NewSubmissionEvent {
                    submission_id: sub.id,
                    ..first.clone()
                },
            )
            .await?;
            audit_in(
                &tx,
                &AuditEntry {
                    target: format!("submission:{}", sub.id),
                    ..audit.clone()
                },
            )
            .await?;
            tx.commit().await?;
            Ok(sub)
        })
    }

    fn submission(&self, id: i64) -> Result<Option<Submission>> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            client
                .query_opt(
                    &format!("SELECT {SUBMISSION_COLS} FROM submissions WHERE id = $1"),
                    &[&id],
                )
                .await?
                .as_ref()
                .map(submission_row)
                .transpose()
        })
    }

    fn list_submissions(
        &self,
        scope: SubmissionScope,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<Submission>> {
        let (filter, key) = match scope {
            SubmissionScope::All => ("$3::BIGINT = 0", 0),
            SubmissionScope::Organisation(o) => ("organisation_id = $3", o),
            SubmissionScope::GrantedTo(u) => (
                "id IN (SELECT submission_id FROM submission_access WHERE user_id = $3)",
                u,
            ),
        };
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            client
                .query(
                    &format!(
                        "SELECT {SUBMISSION_COLS} FROM submissions WHERE id > $1 AND {filter}
                         ORDER BY id LIMIT $2"
                    ),
                    &[&after_id, &limit_of(limit), &key],
                )
                .await?
                .iter()
                .map(submission_row)
                .collect()
        })
    }

    fn grant_submission_access(&self, access: &SubmissionAccess, audit: &AuditEntry) -> Result<()> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            let tx = client.transaction().await?;
            match tx
                .execute(
                    "INSERT INTO submission_access (submission_id, user_id, role, granted_by,
                         granted_at)
                     VALUES ($1, $2, $3, $4, $5)",
                    &[
                        &access.submission_id,
                        &access.user_id,
                        &access.role,
                        &access.granted_by,
                        &access.granted_at,
                    ],
                )
                .await
            {
                Ok(_) => {}
                Err(err) if is_unique_violation(&err) => {
                    return Err(StoreError::Conflict(format!(
                        "user {} has access to submission {} already",
                        access.user_id, access.submission_id
                    )));
                }
                Err(err) if err.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) => {
                    return Err(StoreError::NotFound(format!(
                        "submission {} or user {}",
                        access.submission_id, access.user_id
                    )));
                }
                Err(err) => return Err(err.into()),
            }
            audit_in(&tx, audit).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn submission_access(&self, submission_id: i64) -> Result<Vec<SubmissionAccess>> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            client
                .query(
                    "SELECT submission_id, user_id, role, granted_by, granted_at
                     FROM submission_access WHERE submission_id = $1
                     ORDER BY granted_at, user_id",
                    &[&submission_id],
                )
                .await?
                .iter()
                .map(|r| {
                    Ok(SubmissionAccess {
                        submission_id: r.try_get(0)?,
                        user_id: r.try_get(1)?,
                        role: r.try_get(2)?,
                        granted_by: r.try_get(3)?,
                        granted_at: r.try_get(4)?,
                    })
                })
                .collect()
        })
    }

    fn add_submission_event(
        &self,
        event: &NewSubmissionEvent,
        audit: &AuditEntry,
    ) -> Result<(Submission, SubmissionEvent)> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            let tx = client.transaction().await?;
            let from = event.from_state.clone().unwrap_or_default();
            // A row lock by the UPDATE: a concurrent transition waits and then finds the
            // state moved (READ COMMITTED re-checks the WHERE clause).
            let moved = if event.kind == "transition" {
                tx.execute(
                    "UPDATE submissions SET state = $1, updated_at = $2
                     WHERE id = $3 AND state = $4",
                    &[&event.to_state, &event.at, &event.submission_id, &from],
                )
                .await?
            } else {
                tx.execute(
                    "UPDATE submissions SET updated_at = $1 WHERE id = $2 AND state = $3",
                    &[&event.at, &event.submission_id, &from],
                )
                .await?
            };
            if moved != 1 {
                return Err(StoreError::Conflict(format!(
                    "submission {} is no longer {from}; read it again",
                    event.submission_id
                )));
            }
            let ev = insert_event(&tx, event).await?;
            audit_in(&tx, audit).await?;
            let row = tx
                .query_one(
                    &format!("SELECT {SUBMISSION_COLS} FROM submissions WHERE id = $1"),
                    &[&event.submission_id],
                )
                .await?;
            let sub = submission_row(&row)?;
            tx.commit().await?;
            Ok((sub, ev))
        })
    }

    fn submission_events(&self, submission_id: i64) -> Result<Vec<SubmissionEvent>> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            client
                .query(
                    &format!(
                        "SELECT {EVENT_COLS} FROM submission_events WHERE submission_id = $1
                         ORDER BY id"
                    ),
                    &[&submission_id],
                )
                .await?
                .iter()
                .map(event_row)
                .collect()
        })
    }

    fn append_audit(&self, entry: &AuditEntry) -> Result<()> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            let tx = client.transaction().await?;
            audit_in(&tx, entry).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn list_audit(&self, after_id: i64, limit: u32) -> Result<Vec<AuditRecord>> {
        let mut lent = self.conn()?;
        let client = lent.client();
        self.block_on(async {
            client
                .query(
                    "SELECT id, at, actor_user_id, actor, action, target, allowed, detail
                     FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2",
                    &[&after_id, &limit_of(limit)],
                )
                .await?
                .iter()
                .map(|r| {
                    Ok(AuditRecord {
                        id: r.try_get(0)?,
                        at: r.try_get(1)?,
                        actor_user_id: r.try_get(2)?,
                        actor: r.try_get(3)?,
                        action: r.try_get(4)?,
                        target: r.try_get(5)?,
                        allowed: r.try_get(6)?,
                        detail: r.try_get(7)?,
                    })
                })
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_match_sqlite_version_for_version() {
        let pg: Vec<_> = MIGRATIONS.iter().map(|m| (m.version, m.name)).collect();
        let lite: Vec<_> = crate::sqlite::MIGRATIONS
            .iter()
            .map(|m| (m.version, m.name))
            .collect();
        assert_eq!(pg, lite);
        // Dense from 1.
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1);
        }
    }

    #[test]
    fn a_bad_url_is_refused_with_the_expected_forms() {
        let err = PgStore::open("postgres://host:notaport/db").unwrap_err();
        assert!(
            err.to_string().contains("not a valid PostgreSQL URL"),
            "{err}"
        );
    }

    #[test]
    fn an_unreachable_server_is_named_without_credentials() {
        // Port 1 on loopback: nothing listens there.
        let err = PgStore::open("postgres://someone:s3cret@127.0.0.1:1/assaydb").unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, StoreError::Connect { .. }), "{text}");
        assert!(text.contains("127.0.0.1:1/assaydb"), "{text}");
        assert!(!text.contains("s3cret"), "{text}");
    }
}
