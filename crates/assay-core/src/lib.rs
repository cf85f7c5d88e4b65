//! Domain types shared by every assay crate.
//!
//! This crate does no I/O and has no opinion about storage or presentation. It holds the
//! vocabulary the rest of the workspace speaks: content digests, the kinds of evidence the
//! ledger records, and the roles a trusted issuer can hold. Higher crates (ledger, evaluators,
//! rules) depend on it; it depends on nothing of ours.

mod digest;
mod evidence;

pub use digest::{DigestParseError, Sha256Digest};
pub use evidence::{EvidenceKind, IssuerRole, UnknownName};
