//! [`ServerStore`] on SQLite: one connection behind a mutex, WAL journal, `synchronous=FULL`
//! so a committed transaction is on disk before the method returns.
//!
//! The SQL is plain (no `AUTOINCREMENT`, no `INSERT OR …`, no SQLite date functions):
//! `BIGINT` columns, `RETURNING`, `CHECK` constraints and explicit transactions, so the
//! PostgreSQL implementation runs the same statements with `$n` placeholders and
//! `GENERATED ALWAYS AS IDENTITY` ids in its own migration list.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::policy::Role;
use crate::store::{
    AuditEntry, AuditRecord, Bootstrap, EvidenceInfo, EvidencePart, NewEvidence, Organisation,
    Result, ServerStore, StoreError, TokenInfo, TokenRecord, TrustedIssuer, User,
};
use crate::store::{
    NewSubmission, NewSubmissionEvent, Submission, SubmissionAccess, SubmissionEvent,
    SubmissionScope,
};

/// One versioned migration. Versions are dense from 1; each is applied in its own transaction
/// together with its `schema_migrations` row.
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// The SQLite schema, oldest first. Never edit an applied migration: add a new one.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "identity and access",
        sql: "
CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
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
    id INTEGER PRIMARY KEY,
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
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('lab','manufacturer','developer','reviewer')),
    public_key TEXT NOT NULL,
    key_id TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    created_by BIGINT REFERENCES users(id)
);
CREATE TABLE evidence (
    id INTEGER PRIMARY KEY,
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
    envelope BLOB NOT NULL,
    blob BLOB NOT NULL,
    UNIQUE (organisation_id, envelope_sha256)
);
",
    },
    Migration {
        version: 3,
        name: "pre-release review windows",
        sql: "
CREATE TABLE submissions (
    id INTEGER PRIMARY KEY,
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
    id INTEGER PRIMARY KEY,
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
ALTER TABLE evidence ADD COLUMN inclusion_proof BLOB;
ALTER TABLE evidence ADD COLUMN checkpoint BLOB;
",
    },
];

/// The newest schema version this binary knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: PathBuf,
    /// Audit rows waiting for the next commit (see [`SqliteStore::append_audit`]).
    audit: Mutex<AuditQueue>,
}

/// Group commit of audit rows: every authorised read appends one, and a synced commit per
/// request would cap reads at the disk's sync rate. A caller queues its row, then takes the
/// connection; whoever holds it writes every queued row in one transaction (one sync), and a
/// caller whose row a previous holder already wrote returns at once. Each row is acknowledged
/// only after the commit that holds it, as before; a failed commit fails every row in it.
#[derive(Default)]
struct AuditQueue {
    /// Sequence number of the last row queued.
    queued: u64,
    /// Every row up to this number has been written, or its failure recorded in `failed`.
    done: u64,
    pending: Vec<(u64, AuditEntry)>,
    /// Rows whose commit failed, with the reason; taken by their callers.
    failed: BTreeMap<u64, String>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        set_wal(&conn)?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let store = SqliteStore {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
            audit: Mutex::new(AuditQueue::default()),
        };
        store.migrate()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half transaction (rusqlite rolls back on
        // drop), so the connection stays usable.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn migrate(&self) -> Result<()> {
        let mut conn = self.lock();
        // Each step is an IMMEDIATE transaction (the write lock from its start, waiting up to
        // the busy timeout) that re-reads the version: servers starting together on one file
        // apply each migration once.
        for step in 0..=MIGRATIONS.len() {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute_batch(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                    version BIGINT PRIMARY KEY,
                    name TEXT NOT NULL,
                    applied_at BIGINT NOT NULL
                )",
            )?;
            let current: i64 = tx.query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                [],
                |r| r.get(0),
            )?;
            if current > latest_version() {
                return Err(StoreError::SchemaTooNew {
                    path: self.path.display().to_string(),
                    found: current,
                    supported: latest_version(),
                });
            }
            let Some(m) = MIGRATIONS.get(step) else {
                tx.commit()?;
                break;
            };
            if m.version > current {
                tx.execute_batch(m.sql)?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                    params![m.version, m.name, now()],
                )?;
            }
            tx.commit()?;
        }
        Ok(())
    }
}

/// Switches the file to WAL (a persistent setting). The switch needs an exclusive lock and
/// SQLite answers "busy" at once, without its busy handler, while another process opens the
/// same new file: retry for as long as the busy timeout would have waited.
fn set_wal(conn: &Connection) -> Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let mode =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0));
        match mode {
            Ok(m) if m.eq_ignore_ascii_case("wal") => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(f, _))
                if f.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            Ok(m) if std::time::Instant::now() < deadline => {
                // Another connection held a lock: SQLite kept the old mode; try again.
                let _ = m;
                std::thread::sleep(Duration::from_millis(10));
            }
            Ok(m) => {
                return Err(StoreError::Refused(format!(
                    "the server database stays in journal mode {} (WAL needed); is another \
                     program holding it open?",
                    assay_core::text::quote_short(&m)
                )));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

/// The columns of a submission, in [`submission_row`]'s order (PostgreSQL uses them too).
pub(crate) const SUBMISSION_COLS: &str = "id, organisation_id, submitted_by, model, model_digest, \
    planned_release, manifest_json, evidence_ids, qualification, window_days, opens_at, \
    closes_at, state, created_at, updated_at";

pub(crate) const EVENT_COLS: &str =
    "id, submission_id, kind, from_state, to_state, at, actor_user_id, detail, ledger_index";

/// Evidence ids are kept as a JSON array of integers.
pub(crate) fn ids_from_json(text: &str) -> std::result::Result<Vec<i64>, String> {
    serde_json::from_str(text).map_err(|e| format!("evidence_ids is not a list of ids: {e}"))
}

pub(crate) fn ids_to_json(ids: &[i64]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

fn submission_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Submission> {
    let ids: String = r.get(7)?;
    Ok(Submission {
        id: r.get(0)?,
        organisation_id: r.get(1)?,
        submitted_by: r.get(2)?,
        model: r.get(3)?,
        model_digest: r.get(4)?,
        planned_release: r.get(5)?,
        manifest_json: r.get(6)?,
        evidence_ids: ids_from_json(&ids).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(7, rusqlite::types::Type::Text, e.into())
        })?,
        qualification: r.get(8)?,
        window_days: r.get(9)?,
        opens_at: r.get(10)?,
        closes_at: r.get(11)?,
        state: r.get(12)?,
        created_at: r.get(13)?,
        updated_at: r.get(14)?,
    })
}

fn event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SubmissionEvent> {
    Ok(SubmissionEvent {
        id: r.get(0)?,
        submission_id: r.get(1)?,
        kind: r.get(2)?,
        from_state: r.get(3)?,
        to_state: r.get(4)?,
        at: r.get(5)?,
        actor_user_id: r.get(6)?,
        detail: r.get(7)?,
        ledger_index: r.get(8)?,
    })
}

fn insert_event(tx: &Transaction<'_>, e: &NewSubmissionEvent) -> Result<SubmissionEvent> {
    Ok(tx.query_row(
        &format!(
            "INSERT INTO submission_events (submission_id, kind, from_state, to_state, at,
                 actor_user_id, detail, ledger_index)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING {EVENT_COLS}"
        ),
        params![
            e.submission_id,
            e.kind,
            e.from_state,
            e.to_state,
            e.at,
            e.actor_user_id,
            e.detail,
            e.ledger_index
        ],
        event_row,
    )?)
}

fn is_fk_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
}

fn audit_in(tx: &Transaction<'_>, e: &AuditEntry) -> Result<()> {
    tx.execute(
        "INSERT INTO audit_log (at, actor_user_id, actor, action, target, allowed, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            e.at,
            e.actor_user_id,
            e.actor,
            e.action,
            e.target,
            e.allowed,
            e.detail
        ],
    )?;
    Ok(())
}

fn role_of(s: String) -> rusqlite::Result<Role> {
    Role::parse(&s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown role {}", assay_core::text::quote_short(&s)).into(),
        )
    })
}

const USER_COLS: &str = "id, organisation_id, name, role, created_at";

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        organisation_id: r.get(1)?,
        name: r.get(2)?,
        role: role_of(r.get(3)?)?,
        created_at: r.get(4)?,
    })
}

fn org_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Organisation> {
    Ok(Organisation {
        id: r.get(0)?,
        name: r.get(1)?,
        created_at: r.get(2)?,
    })
}

fn insert_org(tx: &Transaction<'_>, name: &str, at: i64) -> Result<Organisation> {
    tx.query_row(
        "INSERT INTO organisations (name, created_at) VALUES (?1, ?2) RETURNING id, name, created_at",
        params![name, at],
        org_row,
    )
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict(format!(
                "an organisation named {} exists already",
                assay_core::text::quote_short(name)
            ))
        } else {
            e.into()
        }
    })
}

fn insert_user(tx: &Transaction<'_>, org: i64, name: &str, role: Role, at: i64) -> Result<User> {
    let exists: Option<i64> = tx
        .query_row("SELECT id FROM organisations WHERE id = ?1", [org], |r| {
            r.get(0)
        })
        .optional()?;
    if exists.is_none() {
        return Err(StoreError::NotFound(format!("organisation {org}")));
    }
    tx.query_row(
        &format!(
            "INSERT INTO users (organisation_id, name, role, created_at) VALUES (?1, ?2, ?3, ?4)
             RETURNING {USER_COLS}"
        ),
        params![org, name, role.as_str(), at],
        user_row,
    )
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict(format!(
                "organisation {org} has a user named {} already",
                assay_core::text::quote_short(name)
            ))
        } else {
            e.into()
        }
    })
}

fn insert_token(tx: &Transaction<'_>, t: &TokenRecord) -> Result<()> {
    tx.execute(
        "INSERT INTO api_tokens (id, user_id, name, secret_sha256, created_at, expires_at, revoked_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            t.id,
            t.user_id,
            t.name,
            hex::encode(t.secret_sha256),
            t.created_at,
            t.expires_at,
            t.revoked_at
        ],
    )
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict("a token with this id exists already; try again".into())
        } else {
            e.into()
        }
    })?;
    Ok(())
}

const ISSUER_COLS: &str = "id, name, role, public_key, key_id, created_at, created_by";

fn issuer_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TrustedIssuer> {
    Ok(TrustedIssuer {
        id: r.get(0)?,
        name: r.get(1)?,
        role: r.get(2)?,
        public_key: r.get(3)?,
        key_id: r.get(4)?,
        created_at: r.get(5)?,
        created_by: r.get(6)?,
    })
}

/// The columns of [`EvidenceInfo`], from `evidence e` joined to its issuer `i`.
pub(crate) const EVIDENCE_SELECT: &str = "SELECT e.id, e.organisation_id, e.envelope_sha256, \
     e.kind, e.subject, e.blob_sha256, e.file_name, e.size, e.signed_at, e.meta_json, \
     e.signer_key_id, e.issuer_id, i.name, i.role, e.log_origin, e.log_index, e.tree_size, \
     e.log_root, e.uploaded_by, e.uploaded_at \
     FROM evidence e JOIN trusted_issuers i ON i.id = e.issuer_id";

fn evidence_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<EvidenceInfo> {
    Ok(EvidenceInfo {
        id: r.get(0)?,
        organisation_id: r.get(1)?,
        envelope_sha256: r.get(2)?,
        kind: r.get(3)?,
        subject: r.get(4)?,
        blob_sha256: r.get(5)?,
        file_name: r.get(6)?,
        size: r.get(7)?,
        signed_at: r.get(8)?,
        meta_json: r.get(9)?,
        signer_key_id: r.get(10)?,
        issuer_id: r.get(11)?,
        issuer_name: r.get(12)?,
        issuer_role: r.get(13)?,
        log_origin: r.get(14)?,
        log_index: r.get(15)?,
        tree_size: r.get(16)?,
        log_root: r.get(17)?,
        uploaded_by: r.get(18)?,
        uploaded_at: r.get(19)?,
    })
}

impl ServerStore for SqliteStore {
    fn add_issuer(
        &self,
        name: &str,
        role: &str,
        public_key: &str,
        key_id: &str,
        audit: &AuditEntry,
    ) -> Result<TrustedIssuer> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let clash: Option<String> = tx
            .query_row(
                "SELECT name FROM trusted_issuers WHERE name = ?1 OR key_id = ?2",
                params![name, key_id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(other) = clash {
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
        let issuer = tx.query_row(
            &format!(
                "INSERT INTO trusted_issuers (name, role, public_key, key_id, created_at, created_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING {ISSUER_COLS}"
            ),
            params![name, role, public_key, key_id, audit.at, audit.actor_user_id],
            issuer_row,
        )?;
        audit_in(
            &tx,
            &AuditEntry {
                target: format!("issuer:{}", issuer.id),
                ..audit.clone()
            },
        )?;
        tx.commit()?;
        Ok(issuer)
    }

    fn list_issuers(&self) -> Result<Vec<TrustedIssuer>> {
        let conn = self.lock();
        let mut st = conn.prepare_cached(&format!(
            "SELECT {ISSUER_COLS} FROM trusted_issuers ORDER BY id"
        ))?;
        let rows = st.query_map([], issuer_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn put_evidence(&self, e: &NewEvidence, audit: &AuditEntry) -> Result<(EvidenceInfo, bool)> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let inserted = tx.execute(
            "INSERT INTO evidence (organisation_id, envelope_sha256, kind, subject, blob_sha256,
                 file_name, size, signed_at, meta_json, signer_key_id, issuer_id, log_origin,
                 log_index, tree_size, log_root, uploaded_by, uploaded_at, envelope, blob,
                 inclusion_proof, checkpoint)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18, ?19, ?20, ?21)
             ON CONFLICT (organisation_id, envelope_sha256) DO NOTHING",
            params![
                e.organisation_id,
                e.envelope_sha256,
                e.kind,
                e.subject,
                e.blob_sha256,
                e.file_name,
                e.size,
                e.signed_at,
                e.meta_json,
                e.signer_key_id,
                e.issuer_id,
                e.log_origin,
                e.log_index,
                e.tree_size,
                e.log_root,
                e.uploaded_by,
                e.uploaded_at,
                e.envelope,
                e.blob,
                e.inclusion_proof,
                e.checkpoint
            ],
        ).map_err(|err| {
            if matches!(&err, rusqlite::Error::SqliteFailure(f, _)
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
            {
                StoreError::NotFound(format!("organisation {}", e.organisation_id))
            } else {
                err.into()
            }
        })?;
        let info = tx.query_row(
            &format!("{EVIDENCE_SELECT} WHERE e.organisation_id = ?1 AND e.envelope_sha256 = ?2"),
            params![e.organisation_id, e.envelope_sha256],
            evidence_row,
        )?;
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
        )?;
        tx.commit()?;
        Ok((info, created))
    }

    fn evidence(&self, id: i64) -> Result<Option<EvidenceInfo>> {
        Ok(self
            .lock()
            .query_row(
                &format!("{EVIDENCE_SELECT} WHERE e.id = ?1"),
                [id],
                evidence_row,
            )
            .optional()?)
    }

    fn list_evidence(
        &self,
        organisation_id: Option<i64>,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<EvidenceInfo>> {
        let conn = self.lock();
        let mut st = conn.prepare_cached(&format!(
            "{EVIDENCE_SELECT} WHERE e.id > ?1 AND (?2 IS NULL OR e.organisation_id = ?2)
             ORDER BY e.id LIMIT ?3"
        ))?;
        let rows = st.query_map(params![after_id, organisation_id, limit], evidence_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn evidence_bytes(&self, id: i64, part: EvidencePart) -> Result<Option<Vec<u8>>> {
        let column = part.column();
        Ok(self
            .lock()
            .query_row(
                &format!("SELECT {column} FROM evidence WHERE id = ?1"),
                [id],
                |r| r.get::<_, Option<Vec<u8>>>(0),
            )
            .optional()?
            .flatten())
    }

    fn schema_version(&self) -> Result<i64> {
        Ok(self.lock().query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )?)
    }

    fn bootstrap(
        &self,
        organisation: &str,
        admin: &str,
        token: &TokenRecord,
        now: i64,
    ) -> Result<Bootstrap> {
        let mut conn = self.lock();
        // IMMEDIATE: another process bootstrapping the same file waits, then sees our admin.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let admins: i64 =
            tx.query_row("SELECT COUNT(*) FROM users WHERE role = 'admin'", [], |r| {
                r.get(0)
            })?;
        if admins > 0 {
            return Err(StoreError::Refused(
                "this server has an admin already; an admin creates further users and tokens \
                 through the API"
                    .into(),
            ));
        }
        let existing: Option<Organisation> = tx
            .query_row(
                "SELECT id, name, created_at FROM organisations WHERE name = ?1",
                [organisation],
                org_row,
            )
            .optional()?;
        let org = match existing {
            Some(o) => o,
            None => insert_org(&tx, organisation, now)?,
        };
        let user = insert_user(&tx, org.id, admin, Role::Admin, now)?;
        let token = TokenRecord {
            user_id: user.id,
            ..token.clone()
        };
        insert_token(&tx, &token)?;
        let entry = AuditEntry {
            at: now,
            actor_user_id: None,
            actor: "bootstrap".into(),
            action: "bootstrap-admin".into(),
            target: format!("user:{}", user.id),
            allowed: true,
            detail: format!("organisation {} admin and token {}", org.id, token.id),
        };
        audit_in(&tx, &entry)?;
        tx.commit()?;
        Ok(Bootstrap {
            organisation: org,
            admin: user,
        })
    }

    fn create_organisation(&self, name: &str, audit: &AuditEntry) -> Result<Organisation> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let org = insert_org(&tx, name, audit.at)?;
        audit_in(
            &tx,
            &AuditEntry {
                target: format!("organisation:{}", org.id),
                ..audit.clone()
            },
        )?;
        tx.commit()?;
        Ok(org)
    }

    fn organisation(&self, id: i64) -> Result<Option<Organisation>> {
        Ok(self
            .lock()
            .query_row(
                "SELECT id, name, created_at FROM organisations WHERE id = ?1",
                [id],
                org_row,
            )
            .optional()?)
    }

    fn list_organisations(&self, after_id: i64, limit: u32) -> Result<Vec<Organisation>> {
        let conn = self.lock();
        let mut st = conn.prepare_cached(
            "SELECT id, name, created_at FROM organisations WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = st.query_map(params![after_id, limit], org_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn create_user(
        &self,
        organisation_id: i64,
        name: &str,
        role: Role,
        audit: &AuditEntry,
    ) -> Result<User> {
        if !role.grantable() {
            return Err(StoreError::Refused(
                "the public role is the absence of a token; it cannot be granted".into(),
            ));
        }
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let user = insert_user(&tx, organisation_id, name, role, audit.at)?;
        audit_in(
            &tx,
            &AuditEntry {
                target: format!("user:{}", user.id),
                detail: format!("role {} in organisation {organisation_id}", role.as_str()),
                ..audit.clone()
            },
        )?;
        tx.commit()?;
        Ok(user)
    }

    fn user(&self, id: i64) -> Result<Option<User>> {
        Ok(self
            .lock()
            .query_row(
                &format!("SELECT {USER_COLS} FROM users WHERE id = ?1"),
                [id],
                user_row,
            )
            .optional()?)
    }

    fn list_users(
        &self,
        organisation_id: Option<i64>,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<User>> {
        let conn = self.lock();
        let mut st = conn.prepare_cached(&format!(
            "SELECT {USER_COLS} FROM users
             WHERE id > ?1 AND (?2 IS NULL OR organisation_id = ?2) ORDER BY id LIMIT ?3"
        ))?;
        let rows = st.query_map(params![after_id, organisation_id, limit], user_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn set_role(&self, user_id: i64, role: Role, audit: &AuditEntry) -> Result<User> {
        if !role.grantable() {
            return Err(StoreError::Refused(
                "the public role is the absence of a token; it cannot be granted".into(),
            ));
        }
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let user = tx
            .query_row(
                &format!("UPDATE users SET role = ?1 WHERE id = ?2 RETURNING {USER_COLS}"),
                params![role.as_str(), user_id],
                user_row,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("user {user_id}")))?;
        audit_in(
            &tx,
            &AuditEntry {
                target: format!("user:{user_id}"),
                detail: format!("role {}", role.as_str()),
                ..audit.clone()
            },
        )?;
        tx.commit()?;
        Ok(user)
    }

    fn create_token(&self, token: &TokenRecord, audit: &AuditEntry) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let user: Option<i64> = tx
            .query_row("SELECT id FROM users WHERE id = ?1", [token.user_id], |r| {
                r.get(0)
            })
            .optional()?;
        if user.is_none() {
            return Err(StoreError::NotFound(format!("user {}", token.user_id)));
        }
        insert_token(&tx, token)?;
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
        )?;
        tx.commit()?;
        Ok(())
    }

    fn token(&self, id: &str) -> Result<Option<(TokenRecord, User)>> {
        let conn = self.lock();
        let mut st = conn.prepare_cached(
            "SELECT t.id, t.user_id, t.name, t.secret_sha256, t.created_at, t.expires_at,
                    t.revoked_at, u.id, u.organisation_id, u.name, u.role, u.created_at
             FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?1",
        )?;
        let row = st
            .query_row([id], |r| {
                let hash: String = r.get(3)?;
                let mut secret_sha256 = [0u8; 32];
                if hex::decode_to_slice(&hash, &mut secret_sha256).is_err() {
                    return Err(rusqlite::Error::FromSqlConversionFailure(
                        3,
                        rusqlite::types::Type::Text,
                        "stored token hash is not 32 bytes of hex".into(),
                    ));
                }
                Ok((
                    TokenRecord {
                        id: r.get(0)?,
                        user_id: r.get(1)?,
                        name: r.get(2)?,
                        secret_sha256,
                        created_at: r.get(4)?,
                        expires_at: r.get(5)?,
                        revoked_at: r.get(6)?,
                    },
                    User {
                        id: r.get(7)?,
                        organisation_id: r.get(8)?,
                        name: r.get(9)?,
                        role: role_of(r.get(10)?)?,
                        created_at: r.get(11)?,
                    },
                ))
            })
            .optional()?;
        Ok(row)
    }

    fn list_tokens(&self, user_id: i64) -> Result<Vec<TokenInfo>> {
        let conn = self.lock();
        let mut st = conn.prepare_cached(
            "SELECT id, user_id, name, created_at, expires_at, revoked_at FROM api_tokens
             WHERE user_id = ?1 ORDER BY created_at, id",
        )?;
        let rows = st.query_map([user_id], |r| {
            Ok(TokenInfo {
                id: r.get(0)?,
                user_id: r.get(1)?,
                name: r.get(2)?,
                created_at: r.get(3)?,
                expires_at: r.get(4)?,
                revoked_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn revoke_token(&self, id: &str, user_id: Option<i64>, audit: &AuditEntry) -> Result<bool> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let found: Option<String> = tx
            .query_row(
                "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?1)
                 WHERE id = ?2 AND (?3 IS NULL OR user_id = ?3) RETURNING id",
                params![audit.at, id, user_id],
                |r| r.get(0),
            )
            .optional()?;
        if found.is_none() {
            return Ok(false);
        }
        audit_in(
            &tx,
            &AuditEntry {
                target: format!("token:{id}"),
                ..audit.clone()
            },
        )?;
        tx.commit()?;
        Ok(true)
    }

    fn create_submission(
        &self,
        s: &NewSubmission,
        first: &NewSubmissionEvent,
        audit: &AuditEntry,
    ) -> Result<Submission> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let sub = tx
            .query_row(
                &format!(
                    "INSERT INTO submissions (organisation_id, submitted_by, model, model_digest,
                         planned_release, manifest_json, evidence_ids, qualification,
                         window_days, opens_at, closes_at, state, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'submitted', ?12, ?12)
                     RETURNING {SUBMISSION_COLS}"
                ),
                params![
                    s.organisation_id,
                    s.submitted_by,
                    s.model,
                    s.model_digest,
                    s.planned_release,
                    s.manifest_json,
                    ids_to_json(&s.evidence_ids),
                    s.qualification,
                    s.window_days,
                    s.opens_at,
                    s.closes_at,
                    s.created_at
                ],
                submission_row,
            )
            .map_err(|err| {
                if is_fk_violation(&err) {
                    StoreError::NotFound(format!("organisation {}", s.organisation_id))
                } else {
                    err.into()
                }
            })?;
        insert_event(
            &tx,
            &NewSubmissionEvent {
                submission_id: sub.id,
                ..first.clone()
            },
        )?;
        audit_in(
            &tx,
            &AuditEntry {
                target: format!("submission:{}", sub.id),
                ..audit.clone()
            },
        )?;
        tx.commit()?;
        Ok(sub)
    }

    fn submission(&self, id: i64) -> Result<Option<Submission>> {
        Ok(self
            .lock()
            .query_row(
                &format!("SELECT {SUBMISSION_COLS} FROM submissions WHERE id = ?1"),
                [id],
                submission_row,
            )
            .optional()?)
    }

    fn list_submissions(
        &self,
        scope: SubmissionScope,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<Submission>> {
        let conn = self.lock();
        let (filter, key) = match scope {
            SubmissionScope::All => ("?3 = 0", 0),
            SubmissionScope::Organisation(o) => ("organisation_id = ?3", o),
            SubmissionScope::GrantedTo(u) => (
                "id IN (SELECT submission_id FROM submission_access WHERE user_id = ?3)",
                u,
            ),
        };
        let mut st = conn.prepare_cached(&format!(
            "SELECT {SUBMISSION_COLS} FROM submissions WHERE id > ?1 AND {filter}
             ORDER BY id LIMIT ?2"
        ))?;
        let rows = st.query_map(params![after_id, limit, key], submission_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn grant_submission_access(&self, access: &SubmissionAccess, audit: &AuditEntry) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO submission_access (submission_id, user_id, role, granted_by, granted_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                access.submission_id,
                access.user_id,
                access.role,
                access.granted_by,
                access.granted_at
            ],
        )
        .map_err(|err| {
            if is_unique_violation(&err) {
                StoreError::Conflict(format!(
                    "user {} has access to submission {} already",
                    access.user_id, access.submission_id
                ))
            } else if is_fk_violation(&err) {
                StoreError::NotFound(format!(
                    "submission {} or user {}",
                    access.submission_id, access.user_id
                ))
            } else {
                err.into()
            }
        })?;
        audit_in(&tx, audit)?;
        tx.commit()?;
        Ok(())
    }

    fn submission_access(&self, submission_id: i64) -> Result<Vec<SubmissionAccess>> {
        let conn = self.lock();
        let mut st = conn.prepare_cached(
            "SELECT submission_id, user_id, role, granted_by, granted_at FROM submission_access
             WHERE submission_id = ?1 ORDER BY granted_at, user_id",
        )?;
        let rows = st.query_map([submission_id], |r| {
            Ok(SubmissionAccess {
                submission_id: r.get(0)?,
                user_id: r.get(1)?,
                role: r.get(2)?,
                granted_by: r.get(3)?,
                granted_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn add_submission_event(
        &self,
        event: &NewSubmissionEvent,
        audit: &AuditEntry,
    ) -> Result<(Submission, SubmissionEvent)> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let from = event.from_state.as_deref().unwrap_or("");
        let moved = if event.kind == "transition" {
            tx.execute(
                "UPDATE submissions SET state = ?1, updated_at = ?2 WHERE id = ?3 AND state = ?4",
                params![event.to_state, event.at, event.submission_id, from],
            )?
        } else {
            tx.execute(
                "UPDATE submissions SET updated_at = ?1 WHERE id = ?2 AND state = ?3",
                params![event.at, event.submission_id, from],
            )?
        };
        if moved != 1 {
            return Err(StoreError::Conflict(format!(
                "submission {} is no longer {from}; read it again",
                event.submission_id
            )));
        }
        let ev = insert_event(&tx, event)?;
        audit_in(&tx, audit)?;
        let sub = tx.query_row(
            &format!("SELECT {SUBMISSION_COLS} FROM submissions WHERE id = ?1"),
            [event.submission_id],
            submission_row,
        )?;
        tx.commit()?;
        Ok((sub, ev))
    }

    fn submission_events(&self, submission_id: i64) -> Result<Vec<SubmissionEvent>> {
        let conn = self.lock();
        let mut st = conn.prepare_cached(&format!(
            "SELECT {EVENT_COLS} FROM submission_events WHERE submission_id = ?1 ORDER BY id"
        ))?;
        let rows = st.query_map([submission_id], event_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn append_audit(&self, entry: &AuditEntry) -> Result<()> {
        let queue = || self.audit.lock().unwrap_or_else(|e| e.into_inner());
        let seq = {
            let mut q = queue();
            q.queued += 1;
            let seq = q.queued;
            q.pending.push((seq, entry.clone()));
            seq
        };
        let mut conn = self.lock();
        let batch = {
            let mut q = queue();
            if q.done >= seq {
                // An earlier holder of the connection committed (or failed) this row.
                return match q.failed.remove(&seq) {
                    None => Ok(()),
                    Some(why) => Err(StoreError::Refused(format!(
                        "the audit row could not be written: {why}"
                    ))),
                };
            }
            std::mem::take(&mut q.pending)
        };
        let last = batch.last().map_or(seq, |(s, _)| *s);
        let written = (|| -> Result<()> {
            let tx = conn.transaction()?;
            for (_, e) in &batch {
                audit_in(&tx, e)?;
            }
            tx.commit()?;
            Ok(())
        })();
        let mut q = queue();
        q.done = q.done.max(last);
        if let Err(e) = &written {
            for (s, _) in &batch {
                if *s != seq {
                    q.failed.insert(*s, e.to_string());
                }
            }
        }
        written
    }

    fn list_audit(&self, after_id: i64, limit: u32) -> Result<Vec<AuditRecord>> {
        let conn = self.lock();
        let mut st = conn.prepare_cached(
            "SELECT id, at, actor_user_id, actor, action, target, allowed, detail FROM audit_log
             WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = st.query_map(params![after_id, limit], |r| {
            Ok(AuditRecord {
                id: r.get(0)?,
                at: r.get(1)?,
                actor_user_id: r.get(2)?,
                actor: r.get(3)?,
                action: r.get(4)?,
                target: r.get(5)?,
                allowed: r.get(6)?,
                detail: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_and_record_their_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.db");
        let s = SqliteStore::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), latest_version());
        drop(s);
        // Re-opening applies nothing twice (the CREATE TABLEs would fail).
        let s = SqliteStore::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), latest_version());
    }

    #[test]
    fn a_database_newer_than_the_binary_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.db");
        drop(SqliteStore::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, 'future', 0)",
            [latest_version() + 1],
        )
        .unwrap();
        drop(conn);
        let err = SqliteStore::open(&path).unwrap_err();
        assert!(
            matches!(err, StoreError::SchemaTooNew { found, .. } if found == latest_version() + 1)
        );
        assert!(err.to_string().contains("newer than this assay"), "{err}");
    }

    #[test]
    fn a_grant_and_its_audit_row_commit_together() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("server.db")).unwrap();
        let audit = AuditEntry {
            at: 1,
            actor_user_id: None,
            actor: "test".into(),
            action: "create-organisation".into(),
            target: String::new(),
            allowed: true,
            detail: String::new(),
        };
        s.create_organisation("lab-one", &audit).unwrap();
        // A clash is a conflict, and neither an organisation nor an audit row is left behind.
        let err = s.create_organisation("lab-one", &audit).unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        assert_eq!(s.list_organisations(0, 10).unwrap().len(), 1);
        assert_eq!(s.list_audit(0, 10).unwrap().len(), 1);
    }
}
