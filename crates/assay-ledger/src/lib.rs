//! Signed evidence and the tamper-evident log that holds it.
//!
//! Every piece of evidence (a PAD campaign, an SBOM, a lab report...) is stored by SHA-256 in
//! the blob store and described by an in-toto Statement v1 whose subject is the blob's digest
//! and the product or model it is about. The statement is signed with Ed25519 inside a DSSE
//! envelope, and the envelope bytes become a leaf of an append-only RFC 6962 Merkle tree. Each
//! append is sealed by a C2SP checkpoint signed with the workspace's log key.
//!
//! Because the envelope (and so the blob digest) is hashed into the tree, changing a blob, an
//! envelope, a stored leaf hash, or the order of entries is detected by [`Ledger::verify`], and
//! an exported bundle (blob, envelope, inclusion proof, checkpoint) can be checked offline by
//! anyone holding the public keys ([`verify_bundle`]).
//!
//! Storage is behind [`assay_store::LedgerStore`]; this crate holds the cryptography and the
//! rules of the log, never SQL. It never prints: long operations take an
//! [`assay_core::Reporter`]. Signing goes through the [`Signer`] trait ([`FileSigner`] for the
//! key files under `keys/`), and every envelope from outside is checked by the one
//! [`verify_envelope`].

mod bundle;
pub mod dsse;
pub mod keys;
mod ledger;
pub mod merkle;
pub mod note;
mod signer;
mod verify;

use std::collections::BTreeMap;

use assay_core::{EvidenceKind, IssuerRole, Sha256Digest};

pub use assay_core::{EvidenceInput, Reporter, Silent};
pub use assay_store::{KeyRecord, StoreError};
pub use bundle::{
    BUNDLE_FORMAT_V2, BundleCheck, BundleEntry, BundleManifest, BundleManifestV2, BundleReport,
    CheckedUpload, Imported, LogPosition, MAX_BUNDLE_ENTRIES, MAX_UPLOAD_FILES, SignedFacts,
    verify_bundle, verify_bundle_all, verify_bundle_files,
};
pub use dsse::{EnvelopeError, VerifiedStatement, verify_envelope};
pub use ledger::{ConsistencyProof, EntryView, InclusionProof, Ledger};
pub use signer::{FileSigner, Signer};
pub use verify::{Problem, ProblemKind, VerifyReport};

/// Name of the key `assay init` creates; it signs evidence by default and signs checkpoints.
pub const DEFAULT_KEY: &str = "default";

/// Where an appended item landed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Appended {
    pub index: u64,
    pub blob_digest: Sha256Digest,
    #[serde(serialize_with = "hex_hash")]
    pub leaf_hash: [u8; 32],
}

/// Evidence as the rules engine sees it: what the signed statement says, and who signed it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EvidenceSummary {
    pub index: u64,
    pub kind: EvidenceKind,
    pub subject: String,
    pub blob_digest: Sha256Digest,
    pub file_name: String,
    /// Name of the signing key, `None` when this workspace does not know the key.
    pub signer_name: Option<String>,
    pub signer_key_id: String,
    /// Role of a trusted issuer; `None` for own keys and unknown keys.
    pub signer_role: Option<IssuerRole>,
    /// True when the signing key's private half lives in this workspace.
    pub signer_is_own: bool,
    pub recorded_at: String,
    pub meta: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Bad input from the user; the message says what to do.
    #[error("{0}")]
    Input(String),
    #[error("untrusted issuer: {0}")]
    UntrustedIssuer(String),
    #[error("{0}")]
    NotFound(String),
    #[error("the workspace is corrupt: {0}")]
    Corrupt(String),
}

pub type Result<T> = std::result::Result<T, LedgerError>;

fn hex_hash<S: serde::Serializer>(h: &[u8; 32], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(h))
}

pub(crate) fn io_err(path: &std::path::Path, source: std::io::Error) -> LedgerError {
    LedgerError::Io {
        path: path.display().to_string(),
        source,
    }
}
