//! Domain types shared by every assay crate.
//!
//! This crate does no I/O and has no opinion about storage or presentation. It holds the
//! vocabulary the rest of the workspace speaks: content digests, the kinds of evidence the
//! ledger records, and the roles a trusted issuer can hold. Higher crates (ledger, evaluators,
//! rules) depend on it; it depends on nothing of ours.

mod day;
mod digest;
mod evidence;
pub mod names;
mod reporter;
pub mod sample;
pub mod text;

pub use day::Day;
pub use digest::{DigestParseError, Sha256Digest};
pub use evidence::{EvidenceInput, EvidenceKind, EvidenceRecord, IssuerRole, UnknownName};
pub use names::safe_file_name;
pub use reporter::{Reporter, Silent};
pub use sample::{
    LabBooking, PriorValidation, SampleError, ShippedConfig, TestSample, TestedConfig,
    coverage_gaps,
};
pub use text::quote;
