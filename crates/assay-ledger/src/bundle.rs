//! Evidence bundles: one entry exported with everything needed to check it offline.
//!
//! ```text
//! DIR/bundle.json            what is in the bundle (format, index, file name, digests)
//! DIR/<file name>            the evidence blob, byte for byte
//! DIR/envelope.dsse.json     the signed in-toto statement, exactly as hashed into the log
//! DIR/inclusion-proof.json   RFC 6962 audit path from the envelope's leaf to the root
//! DIR/checkpoint.txt         the signed checkpoint (C2SP signed note) holding that root
//! ```
//! A verifier needs only the bundle and the public keys of the evidence signer and the log.

use std::fs;
use std::path::Path;

use assay_core::Sha256Digest;
use assay_store::{LedgerStore, NewEntry};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::Verifier;
use serde::{Deserialize, Serialize};

use crate::dsse::pae;
use crate::keys::{PublicKeyText, key_id, note_key_hash};
use crate::ledger::{InclusionProof, decode_envelope, now_rfc3339};
use crate::merkle;
use crate::note::{Checkpoint, open_checkpoint, signer_names};
use crate::{Appended, Ledger, LedgerError, Result, io_err};

pub const BUNDLE_FORMAT: &str = "assay-evidence-bundle/v1";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BundleManifest {
    pub format: String,
    pub log_origin: String,
    pub index: u64,
    pub kind: String,
    pub subject: String,
    pub file: String,
    pub blob_sha256: Sha256Digest,
    pub envelope: String,
    pub inclusion_proof: String,
    pub checkpoint: String,
}

/// One check of a bundle and how it went.
#[derive(Clone, Debug, Serialize)]
pub struct BundleCheck {
    pub check: &'static str,
    pub ok: bool,
    pub detail: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct BundleReport {
    pub manifest: BundleManifest,
    pub checks: Vec<BundleCheck>,
}

impl BundleReport {
    pub fn is_valid(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }
}

impl<S: LedgerStore> Ledger<S> {
    /// Writes entry `index` as a bundle into `out` (created if missing).
    pub fn export(&self, index: u64, out: &Path) -> Result<BundleManifest> {
        let entry = self.entry(index)?;
        let blob = self.blob(&entry.blob_digest)?;
        let proof = self.prove(index)?;
        let checkpoint = self.checkpoint()?;
        fs::create_dir_all(out).map_err(|e| io_err(out, e))?;
        let mut file = entry.statement.predicate.file_name.clone();
        if file.is_empty()
            || matches!(
                file.as_str(),
                "bundle.json" | "envelope.dsse.json" | "inclusion-proof.json" | "checkpoint.txt"
            )
        {
            file = format!("evidence-{}", entry.blob_digest.short());
        }
        let manifest = BundleManifest {
            format: BUNDLE_FORMAT.into(),
            log_origin: self.origin().to_string(),
            index,
            kind: entry.kind.clone(),
            subject: entry.subject.clone(),
            file: file.clone(),
            blob_sha256: entry.blob_digest,
            envelope: "envelope.dsse.json".into(),
            inclusion_proof: "inclusion-proof.json".into(),
            checkpoint: "checkpoint.txt".into(),
        };
        let write = |name: &str, bytes: &[u8]| {
            let p = out.join(name);
            fs::write(&p, bytes).map_err(|e| io_err(&p, e))
        };
        write(&file, &blob)?;
        write(&manifest.envelope, &entry.envelope_bytes)?;
        write(
            &manifest.inclusion_proof,
            &serde_json::to_vec_pretty(&proof).expect("proofs serialise"),
        )?;
        write(&manifest.checkpoint, checkpoint.note.as_bytes())?;
        write(
            "bundle.json",
            &serde_json::to_vec_pretty(&manifest).expect("manifests serialise"),
        )?;
        Ok(manifest)
    }

    /// Imports a bundle signed elsewhere (a lab's report, say). The envelope signer must be a
    /// trusted issuer of this workspace; the entry keeps its original signature and is appended
    /// to this log.
    pub fn import_bundle(&self, dir: &Path) -> Result<(Appended, String)> {
        let files = read_bundle(dir)?;
        let (statement, env) = decode_envelope(&files.envelope).map_err(|e| {
            LedgerError::Input(format!(
                "{}: {e}",
                dir.join(&files.manifest.envelope).display()
            ))
        })?;
        let (kid, sig) = env.first_signature().map_err(LedgerError::Input)?;
        let keys = self.verifying_keys()?;
        let (rec, vk) = keys.get(kid).ok_or_else(|| {
            LedgerError::UntrustedIssuer(format!(
                "{} is signed by key id {kid}, which is not trusted here; add the issuer's key with `assay trust add NAME PUBKEY --role ROLE`",
                dir.display()
            ))
        })?;
        let payload = env.payload_bytes().map_err(LedgerError::Input)?;
        if vk.verify(&pae(&env.payload_type, &payload), &sig).is_err() {
            return Err(LedgerError::Input(format!(
                "{}: the envelope signature by `{}` does not verify; the bundle was altered",
                dir.display(),
                rec.name
            )));
        }
        let (subject, digest) = statement.subject_and_digest().map_err(LedgerError::Input)?;
        if Sha256Digest::of(&files.blob) != digest {
            return Err(LedgerError::Input(format!(
                "{}: the evidence file does not match the digest its statement signs",
                dir.join(&files.manifest.file).display()
            )));
        }
        let entry = NewEntry {
            kind: statement.predicate.kind.to_string(),
            subject: subject.to_string(),
            blob_digest: digest,
            leaf_hash: merkle::leaf_hash(&files.envelope),
            envelope: files.envelope,
            signer: kid.to_string(),
            recorded_at: now_rfc3339(),
        };
        let appended = self.append_foreign(entry, &files.blob)?;
        Ok((appended, rec.name.clone()))
    }
}

struct BundleFiles {
    manifest: BundleManifest,
    blob: Vec<u8>,
    envelope: Vec<u8>,
    proof: Vec<u8>,
    checkpoint: String,
}

fn read_bundle(dir: &Path) -> Result<BundleFiles> {
    let read = |name: &str| {
        if name.contains('/') || name.contains('\\') || name == ".." {
            return Err(LedgerError::Input(format!(
                "{}: bundle.json names `{name}`, which is not a plain file name",
                dir.display()
            )));
        }
        let p = dir.join(name);
        fs::read(&p).map_err(|e| io_err(&p, e))
    };
    let manifest_path = dir.join("bundle.json");
    let manifest: BundleManifest = serde_json::from_slice(&read("bundle.json")?).map_err(|e| {
        LedgerError::Input(format!(
            "{}: not an assay bundle manifest ({e})",
            manifest_path.display()
        ))
    })?;
    if manifest.format != BUNDLE_FORMAT {
        return Err(LedgerError::Input(format!(
            "{}: format `{}` is not `{BUNDLE_FORMAT}`",
            manifest_path.display(),
            manifest.format
        )));
    }
    Ok(BundleFiles {
        blob: read(&manifest.file)?,
        envelope: read(&manifest.envelope)?,
        proof: read(&manifest.inclusion_proof)?,
        checkpoint: String::from_utf8_lossy(&read(&manifest.checkpoint)?).into_owned(),
        manifest,
    })
}

/// Checks a bundle offline with the given public keys (the evidence signer's and the log's;
/// one key when the same workspace signed both).
pub fn verify_bundle(dir: &Path, keys: &[PublicKeyText]) -> Result<BundleReport> {
    let files = read_bundle(dir)?;
    let mut checks = Vec::new();
    let mut check = |check: &'static str, ok: bool, detail: String| {
        checks.push(BundleCheck { check, ok, detail })
    };

    let blob_digest = Sha256Digest::of(&files.blob);
    check(
        "blob digest",
        blob_digest == files.manifest.blob_sha256,
        format!("{} hashes to {}", files.manifest.file, blob_digest),
    );

    match decode_envelope(&files.envelope) {
        Err(why) => check("envelope", false, why),
        Ok((statement, env)) => {
            match statement.subject_and_digest() {
                Ok((subject, digest)) => check(
                    "statement subject",
                    digest == blob_digest,
                    format!(
                        "statement signs {} `{subject}` {digest}",
                        statement.predicate.kind
                    ),
                ),
                Err(why) => check("statement subject", false, why),
            }
            match env.first_signature() {
                Err(why) => check("envelope signature", false, why),
                Ok((kid, sig)) => {
                    let signer = keys.iter().find(|k| key_id(&k.key) == kid);
                    let payload = env.payload_bytes().unwrap_or_default();
                    match signer {
                        None => check(
                            "envelope signature",
                            false,
                            format!(
                                "signed by key id {kid}; none of the given public keys is that key (untrusted issuer)"
                            ),
                        ),
                        Some(k) => check(
                            "envelope signature",
                            k.key
                                .verify(&pae(&env.payload_type, &payload), &sig)
                                .is_ok(),
                            format!("Ed25519 signature by key id {kid}"),
                        ),
                    }
                }
            }
        }
    }

    let leaf = merkle::leaf_hash(&files.envelope);
    match serde_json::from_slice::<InclusionProof>(&files.proof) {
        Err(e) => check(
            "inclusion proof",
            false,
            format!("{}: {e}", files.manifest.inclusion_proof),
        ),
        Ok(proof) => {
            check(
                "inclusion proof",
                proof.leaf_hash == leaf && proof.verify(),
                format!(
                    "entry {} of {} hashes to root {}",
                    proof.index,
                    proof.tree_size,
                    hex::encode(proof.root)
                ),
            );
            let opened = keys.iter().find_map(|k| {
                let name = signer_names(&files.checkpoint).into_iter().find(|n| {
                    files.checkpoint.contains(&format!(" {n} "))
                        && note_signed_by(&files.checkpoint, n, k)
                })?;
                open_checkpoint(&files.checkpoint, &name, &k.key).ok()
            });
            match opened {
                None => check(
                    "checkpoint signature",
                    false,
                    "no valid checkpoint signature by any of the given public keys".into(),
                ),
                Some(Checkpoint { origin, size, root }) => {
                    check(
                        "checkpoint signature",
                        true,
                        format!("signed checkpoint of `{origin}` at size {size}"),
                    );
                    check(
                        "checkpoint covers proof",
                        size == proof.tree_size && root == proof.root && origin == proof.log_origin,
                        format!("checkpoint root {} at size {size}", hex::encode(root)),
                    );
                }
            }
        }
    }
    Ok(BundleReport {
        manifest: files.manifest,
        checks,
    })
}

/// True when the signature line of `name` carries the key hash of `key` under that name.
fn note_signed_by(note: &str, name: &str, key: &PublicKeyText) -> bool {
    let want = note_key_hash(name, &key.key);
    note.lines().any(|l| {
        l.strip_prefix(&format!("\u{2014} {name} "))
            .and_then(|b| B64.decode(b).ok())
            .is_some_and(|raw| raw.len() == 68 && raw[..4] == want)
    })
}
