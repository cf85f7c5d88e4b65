//! Results this workspace signed earlier, reused when their inputs have not changed.
//!
//! The PAD metrics of a large campaign and the matching of a large SBOM are the costly steps
//! of an assessment, and a re-run of the same case computes them again from the same bytes.
//! Each such result is recorded as signed evidence carrying, in its signed meta, the digest of
//! everything that went into it ([`INPUTS_META`]: engine version, input digests, settings).
//! A later run that computes the same inputs digest takes the signed result instead of
//! recomputing it, under three conditions that keep it as trustworthy as a recomputation:
//!
//! - the entry is signed by this workspace's own key and its signature, statement and blob
//!   check out ([`assay_ledger::Ledger::check_entries`]);
//! - the signed meta names exactly this inputs digest (a forged or edited row does not match:
//!   the meta is inside the signed statement);
//! - the stored bytes decode into the current engine's result type and encode back to the very
//!   same bytes (a result written by an engine whose output shape has since changed is
//!   recomputed, not half-read).
//!
//! Anything else (no candidate, a failed check, a decode mismatch) means "compute it": reuse
//! never changes a result, it only skips work.

use std::collections::HashMap;
use std::path::PathBuf;

use assay_core::{EvidenceKind, Sha256Digest};
use assay_ledger::Ledger;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The meta key holding the digest of a result's inputs.
pub const INPUTS_META: &str = "inputs_digest";

/// The digest of a result's inputs: every part length-prefixed, so that no two different
/// lists of parts hash alike.
pub fn inputs_digest(parts: &[&[u8]]) -> String {
    let mut all = Vec::with_capacity(parts.iter().map(|p| p.len() + 8).sum());
    for part in parts {
        all.extend_from_slice(&(part.len() as u64).to_le_bytes());
        all.extend_from_slice(part);
    }
    Sha256Digest::of(&all).to_hex()
}

/// Candidates for reuse: this workspace's own signed results about one subject, by kind and
/// inputs digest (the latest entry wins). Built before the evaluators start; an evaluator asks
/// [`PriorResults::get`] once it knows its inputs digest.
#[derive(Debug, Default)]
pub struct PriorResults {
    /// The workspace folder (the ledger is re-opened per lookup: a ledger handle is not
    /// shared between the evaluators' threads).
    dir: Option<PathBuf>,
    candidates: HashMap<(EvidenceKind, String), u64>,
}

impl PriorResults {
    /// Nothing to reuse: every result is computed.
    pub fn none() -> Self {
        Self::default()
    }

    /// The own-signed results about `subject` that carry an inputs digest.
    pub fn load(ledger: &Ledger, subject: &str) -> Result<Self, assay_ledger::LedgerError> {
        let mut candidates = HashMap::new();
        for s in ledger.evidence_for_subject(subject)? {
            if !s.signer_is_own
                || !matches!(s.kind, EvidenceKind::PadReport | EvidenceKind::VulnScan)
            {
                continue;
            }
            if let Some(key) = s.meta.get(INPUTS_META) {
                candidates.insert((s.kind, key.clone()), s.index);
            }
        }
        Ok(Self {
            dir: Some(ledger.dir().to_path_buf()),
            candidates,
        })
    }

    /// The result of `kind` computed from inputs with this digest, if this workspace signed
    /// one that still checks out and decodes into `T` byte for byte (see the module comment).
    pub fn get<T: Serialize + DeserializeOwned>(&self, kind: EvidenceKind, key: &str) -> Option<T> {
        let index = *self.candidates.get(&(kind, key.to_string()))?;
        let ledger = Ledger::open(self.dir.as_ref()?).ok()?;
        let (_, problems) = ledger.check_entries(&[index]).ok()?.pop()?;
        if !problems.is_empty() {
            return None;
        }
        let entry = ledger.entry(index).ok()?;
        let signed_key = entry.statement.predicate.meta.get(INPUTS_META)?;
        if signed_key != key || entry.kind != kind.as_str() {
            return None;
        }
        let bytes = ledger.blob(&entry.blob_digest).ok()?;
        if Sha256Digest::of(&bytes) != entry.blob_digest {
            return None;
        }
        let value: T = serde_json::from_slice(&bytes).ok()?;
        let again = serde_json::to_vec_pretty(&value).ok()?;
        (again == bytes).then_some(value)
    }
}
