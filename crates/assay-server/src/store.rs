//! The server's store: ONE trait, implemented for SQLite (`sqlite.rs`, the default) and for
//! PostgreSQL (`pg.rs`, `--database postgres://…`); one test suite runs against both.
//!
//! The contract every implementation keeps:
//! - every method is one transaction; a method that returns `Ok` has committed durably (the
//!   handler answers only after it returns, so an acknowledged write survives a SIGKILL);
//! - a grant (organisation, user, role, token, revocation) is written together with its audit
//!   row in the same transaction: there is no grant without its audit entry;
//! - times are whole seconds since the Unix epoch (`BIGINT`), ids are `BIGINT` assigned by the
//!   database, token ids are text; names are unique where documented and a clash is
//!   [`StoreError::Conflict`], never a raw SQL error;
//! - the schema is versioned (`schema_migrations`); opening a database whose version is newer
//!   than this binary knows is refused ([`StoreError::SchemaTooNew`]).
//!
//! Methods are synchronous; the HTTP layer calls them through `tokio::task::spawn_blocking`.

use serde::Serialize;

use crate::policy::Role;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Conflict(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error(
        "the server database {path} has schema version {found}, newer than this assay \
         understands (up to {supported}); run a newer assay, or point --database at another file"
    )]
    SchemaTooNew {
        path: String,
        found: i64,
        supported: i64,
    },
    #[error("{0}")]
    Refused(String),
    #[error("server database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("server database error: {}", pg_detail(.0))]
    Postgres(#[from] tokio_postgres::Error),
    #[error(
        "cannot connect to the server database ({target}): {}; check that PostgreSQL \
         runs there and that --database names the right host, port, user and database",
        pg_detail(source)
    )]
    Connect {
        target: String,
        #[source]
        source: tokio_postgres::Error,
    },
    /// The database holds something this binary cannot have written.
    #[error("server database is inconsistent: {0}")]
    Corrupt(String),
    /// The database is reachable but cannot take the call now (every connection busy).
    #[error("{0}")]
    Unavailable(String),
    #[error("server database {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A PostgreSQL error with its cause: `tokio_postgres::Error` alone displays only "db error".
pub fn pg_detail(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} {}: {}", db.severity(), db.code().code(), db.message()),
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Organisation {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub organisation_id: i64,
    pub name: String,
    pub role: Role,
    pub created_at: i64,
}

/// A token as stored: never the secret, only its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: String,
    pub user_id: i64,
    pub name: String,
    pub secret_sha256: [u8; 32],
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

/// What listing shows of a token (no hash, no secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub id: String,
    pub user_id: i64,
    pub name: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

impl From<&TokenRecord> for TokenInfo {
    fn from(t: &TokenRecord) -> Self {
        TokenInfo {
            id: t.id.clone(),
            user_id: t.user_id,
            name: t.name.clone(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// One audit row to write: who, what, on what, allowed or denied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: i64,
    /// The acting user; `None` for an anonymous (public) caller or the bootstrap.
    pub actor_user_id: Option<i64>,
    /// A readable actor: `user:<id>`, `public`, `bootstrap`, `token:<id>` (bad token).
    pub actor: String,
    pub action: String,
    pub target: String,
    pub allowed: bool,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    pub id: i64,
    pub at: i64,
    pub actor_user_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub allowed: bool,
    pub detail: String,
}

/// The result of bootstrapping: the first organisation and its admin.
#[derive(Clone, Debug)]
pub struct Bootstrap {
    pub organisation: Organisation,
    pub admin: User,
}

/// An issuer whose signatures the server accepts on evidence (added by an admin).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrustedIssuer {
    pub id: i64,
    pub name: String,
    /// An `assay_core::IssuerRole` (`lab`, `manufacturer`, `developer`, `reviewer`).
    pub role: String,
    /// The verifier key line `NAME+HASH+BASE64` (or the base64 key) as given.
    pub public_key: String,
    /// `assay_ledger::keys::key_id` of the key: what envelopes name.
    pub key_id: String,
    pub created_at: i64,
    pub created_by: Option<i64>,
}

/// A verified evidence bundle to store. Every field but the upload's own (organisation,
/// uploader, time) comes from the signed statement, the trusted issuer list or the verified
/// checkpoint; `file_name` is already reduced to a safe base name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvidence {
    pub organisation_id: i64,
    /// SHA-256 of the envelope bytes (hex): the record's identity within an organisation.
    pub envelope_sha256: String,
    pub kind: String,
    pub subject: String,
    pub blob_sha256: String,
    pub file_name: String,
    pub size: i64,
    /// The statement's signed `recordedAt`.
    pub signed_at: String,
    /// The statement's signed metadata, as a JSON object.
    pub meta_json: String,
    pub signer_key_id: String,
    pub issuer_id: i64,
    pub log_origin: String,
    pub log_index: i64,
    pub tree_size: i64,
    pub log_root: String,
    pub uploaded_by: Option<i64>,
    pub uploaded_at: i64,
    pub envelope: Vec<u8>,
    pub blob: Vec<u8>,
    /// The bundle's `inclusion-proof.json` and `checkpoint.txt` as uploaded (both verified:
    /// the proof reaches the checkpoint's root, signed by a trusted key).
    pub inclusion_proof: Vec<u8>,
    pub checkpoint: Vec<u8>,
}

/// What the server shows of a stored bundle (never the bytes; those are downloads).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceInfo {
    pub id: i64,
    pub organisation_id: i64,
    pub envelope_sha256: String,
    pub kind: String,
    pub subject: String,
    pub blob_sha256: String,
    pub file_name: String,
    pub size: i64,
    pub signed_at: String,
    pub meta_json: String,
    pub signer_key_id: String,
    pub issuer_id: i64,
    pub issuer_name: String,
    pub issuer_role: String,
    pub log_origin: String,
    pub log_index: i64,
    pub tree_size: i64,
    pub log_root: String,
    pub uploaded_by: Option<i64>,
    pub uploaded_at: i64,
}

/// Which stored bytes of an evidence record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvidencePart {
    File,
    Envelope,
    /// The issuer log's inclusion proof (absent for records stored before schema version 4).
    InclusionProof,
    /// The issuer log's signed checkpoint the proof reaches (same).
    Checkpoint,
}

impl EvidencePart {
    /// The column that holds this part.
    pub(crate) fn column(self) -> &'static str {
        match self {
            EvidencePart::File => "blob",
            EvidencePart::Envelope => "envelope",
            EvidencePart::InclusionProof => "inclusion_proof",
            EvidencePart::Checkpoint => "checkpoint",
        }
    }
}

/// A pre-release review submission's state (issue #13 point 4):
/// `submitted -> under-review -> feedback -> closed`.
pub const SUBMISSION_STATES: [&str; 4] = ["submitted", "under-review", "feedback", "closed"];

/// A model submitted for pre-release review, to store. `evidence_ids` are the organisation's
/// verified eval evidence; `qualification` was read from their signed meta.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSubmission {
    pub organisation_id: i64,
    pub submitted_by: Option<i64>,
    pub model: String,
    pub model_digest: Option<String>,
    /// The planned public release day (`YYYY-MM-DD`).
    pub planned_release: String,
    /// The manifest as given (a JSON object), bounded by the request limit.
    pub manifest_json: String,
    pub evidence_ids: Vec<i64>,
    pub qualification: String,
    pub window_days: i64,
    pub opens_at: i64,
    pub closes_at: i64,
    pub created_at: i64,
}

/// A stored submission with its current state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    pub id: i64,
    pub organisation_id: i64,
    pub submitted_by: Option<i64>,
    pub model: String,
    pub model_digest: Option<String>,
    pub planned_release: String,
    pub manifest_json: String,
    pub evidence_ids: Vec<i64>,
    pub qualification: String,
    pub window_days: i64,
    pub opens_at: i64,
    pub closes_at: i64,
    pub state: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A user given access to a submission for its review window (a grant).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SubmissionAccess {
    pub submission_id: i64,
    pub user_id: i64,
    /// The user's role when granted: `reviewer` or `trusted-partner`.
    pub role: String,
    pub granted_by: Option<i64>,
    pub granted_at: i64,
}

/// Something that happened to a submission: `kind` is `transition` (the state moved from
/// `from_state` to `to_state`; the first one, `submitted`, has no `from_state`) or `feedback`
/// (a report attached; `detail` holds it as JSON; the state stays).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSubmissionEvent {
    pub submission_id: i64,
    pub kind: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub at: i64,
    pub actor_user_id: Option<i64>,
    pub detail: String,
    /// Where the server's ledger holds the signed record of this event.
    pub ledger_index: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmissionEvent {
    pub id: i64,
    pub submission_id: i64,
    pub kind: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub at: i64,
    pub actor_user_id: Option<i64>,
    pub detail: String,
    pub ledger_index: Option<i64>,
}

/// Which submissions a listing covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmissionScope {
    All,
    Organisation(i64),
    /// Those this user was granted access to (their windows are checked by the caller).
    GrantedTo(i64),
}

/// The storage the server needs. See the module documentation for the contract.
pub trait ServerStore: Send + Sync + 'static {
    /// The schema version this store is at (the highest applied migration).
    fn schema_version(&self) -> Result<i64>;

    /// Creates the first organisation, its admin user and the admin's token in one
    /// transaction. Refused when any admin exists already.
    fn bootstrap(
        &self,
        organisation: &str,
        admin: &str,
        token: &TokenRecord,
        now: i64,
    ) -> Result<Bootstrap>;

    fn create_organisation(&self, name: &str, audit: &AuditEntry) -> Result<Organisation>;
    fn organisation(&self, id: i64) -> Result<Option<Organisation>>;
    fn list_organisations(&self, after_id: i64, limit: u32) -> Result<Vec<Organisation>>;

    /// Creates a user in an existing organisation (`NotFound` otherwise); the name is unique
    /// within its organisation.
    fn create_user(
        &self,
        organisation_id: i64,
        name: &str,
        role: Role,
        audit: &AuditEntry,
    ) -> Result<User>;
    fn user(&self, id: i64) -> Result<Option<User>>;
    fn list_users(
        &self,
        organisation_id: Option<i64>,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<User>>;
    /// Changes a user's role (a grant): `NotFound` when the user does not exist.
    fn set_role(&self, user_id: i64, role: Role, audit: &AuditEntry) -> Result<User>;

    fn create_token(&self, token: &TokenRecord, audit: &AuditEntry) -> Result<()>;
    /// The token with this id and the user that holds it.
    fn token(&self, id: &str) -> Result<Option<(TokenRecord, User)>>;
    fn list_tokens(&self, user_id: i64) -> Result<Vec<TokenInfo>>;
    /// Revokes a token of `user_id` (any user's when `None`). `Ok(false)` when there is no
    /// such token; revoking a revoked token keeps the first revocation time.
    fn revoke_token(&self, id: &str, user_id: Option<i64>, audit: &AuditEntry) -> Result<bool>;

    /// Adds a trusted issuer (a grant, with its audit row). Its name and its key are each
    /// unique: a clash is `Conflict`.
    fn add_issuer(
        &self,
        name: &str,
        role: &str,
        public_key: &str,
        key_id: &str,
        audit: &AuditEntry,
    ) -> Result<TrustedIssuer>;
    fn list_issuers(&self) -> Result<Vec<TrustedIssuer>>;

    /// Stores a verified bundle with its audit row, in one transaction. When the
    /// organisation holds this envelope already nothing is written but the audit row, and
    /// the existing record comes back with `false`.
    fn put_evidence(&self, e: &NewEvidence, audit: &AuditEntry) -> Result<(EvidenceInfo, bool)>;
    fn evidence(&self, id: i64) -> Result<Option<EvidenceInfo>>;
    /// Evidence with id greater than `after_id` (of one organisation, or all), oldest first.
    fn list_evidence(
        &self,
        organisation_id: Option<i64>,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<EvidenceInfo>>;
    fn evidence_bytes(&self, id: i64, part: EvidencePart) -> Result<Option<Vec<u8>>>;

    /// Stores a submission and its first event (`submitted`) with the audit row, in one
    /// transaction.
    fn create_submission(
        &self,
        s: &NewSubmission,
        first: &NewSubmissionEvent,
        audit: &AuditEntry,
    ) -> Result<Submission>;
    fn submission(&self, id: i64) -> Result<Option<Submission>>;
    /// Submissions with id greater than `after_id` in `scope`, oldest first.
    fn list_submissions(
        &self,
        scope: SubmissionScope,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<Submission>>;
    /// Grants a user access to a submission (with its audit row). `Conflict` when the user
    /// has access already; `NotFound` when the submission does not exist.
    fn grant_submission_access(&self, access: &SubmissionAccess, audit: &AuditEntry) -> Result<()>;
    fn submission_access(&self, submission_id: i64) -> Result<Vec<SubmissionAccess>>;
    /// Records an event with its audit row. A `transition` moves the state from
    /// `from_state` to `to_state` only if the submission is still in `from_state`
    /// (`Conflict` otherwise: someone else moved it); a `feedback` event requires the
    /// submission to be in `from_state` too and leaves the state as it is.
    fn add_submission_event(
        &self,
        event: &NewSubmissionEvent,
        audit: &AuditEntry,
    ) -> Result<(Submission, SubmissionEvent)>;
    fn submission_events(&self, submission_id: i64) -> Result<Vec<SubmissionEvent>>;

    fn append_audit(&self, entry: &AuditEntry) -> Result<()>;
    /// Audit rows with id greater than `after_id`, oldest first, at most `limit`.
    fn list_audit(&self, after_id: i64, limit: u32) -> Result<Vec<AuditRecord>>;
}
