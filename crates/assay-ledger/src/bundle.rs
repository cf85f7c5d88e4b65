//! Evidence bundles: entries exported with everything needed to check them offline.
//!
//! A bundle of one entry (`assay-evidence-bundle/v1`):
//!
//! ```text
//! DIR/bundle.json            what is in the bundle (format, index, file name, digests): UNSIGNED
//! DIR/<file name>            the evidence blob, byte for byte
//! DIR/envelope.dsse.json     the signed in-toto statement, exactly as hashed into the log
//! DIR/inclusion-proof.json   RFC 6962 audit path from the envelope's leaf to the root
//! DIR/checkpoint.txt         the signed checkpoint (C2SP signed note) holding that root
//! ```
//! A bundle of several entries (`assay-evidence-bundle/v2`), e.g. a lab's test report with its
//! campaign, so the data travels with the report and both are verified as a unit:
//!
//! ```text
//! DIR/bundle.json                    format, log origin, and per entry: index, kind, subject,
//!                                    file, digest, envelope and proof file names: UNSIGNED
//! DIR/<file name>                    each entry's evidence blob (names made distinct)
//! DIR/entry-N.envelope.dsse.json     entry N's signed statement (N = 1, 2, ...)
//! DIR/entry-N.inclusion-proof.json   entry N's audit path to the one checkpoint's root
//! DIR/checkpoint.txt                 one signed checkpoint holding every entry
//! ```
//! Every entry is checked exactly like a v1 bundle ([`check_bundle`] on each); the bundle is
//! valid only when all are, and [`Ledger::import_all`] appends nothing unless all are.
//! A verifier needs only the bundle and the public keys of the evidence signer and the log.
//!
//! `bundle.json` is a convenience copy: nothing in it is signed. [`verify_bundle`] and
//! [`Ledger::import`] therefore report only facts from the signed statement (kind, subject,
//! digest, file name, metadata) and from the signed checkpoint reached by a verified inclusion
//! proof (log, index, tree size); a copy in `bundle.json` that disagrees with them makes the
//! bundle invalid, naming the field. Both run the same checks ([`check_bundle`]).

use std::collections::BTreeMap;
use std::fs;
use std::io::Read as _;
use std::path::Path;

use assay_core::text::quote_short;
use assay_core::{Sha256Digest, safe_file_name};
use assay_store::{LedgerStore, NewEntry};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::dsse::{EnvelopeError, MAX_ENVELOPE_BYTES, verify_envelope};
use crate::keys::{PublicKeyText, note_key_hash};
use crate::ledger::{InclusionProof, now_rfc3339};
use crate::merkle;
use crate::note::{Checkpoint, open_checkpoint, signer_names};
use crate::{Appended, Ledger, LedgerError, Result, io_err};

pub const BUNDLE_FORMAT: &str = "assay-evidence-bundle/v1";
/// The format of a bundle with several entries.
pub const BUNDLE_FORMAT_V2: &str = "assay-evidence-bundle/v2";
/// The most entries one bundle holds.
pub const MAX_BUNDLE_ENTRIES: usize = 16;

const MANIFEST: &str = "bundle.json";
const ENVELOPE: &str = "envelope.dsse.json";
const PROOF: &str = "inclusion-proof.json";
const CHECKPOINT: &str = "checkpoint.txt";
const RESERVED: [&str; 4] = [MANIFEST, ENVELOPE, PROOF, CHECKPOINT];

/// Limits on what a bundle reader accepts.
const MAX_MANIFEST_BYTES: u64 = 64 * 1024;
const MAX_PROOF_BYTES: u64 = 64 * 1024;
const MAX_CHECKPOINT_BYTES: u64 = 16 * 1024;
/// The largest evidence file a bundle may carry.
pub const MAX_BUNDLE_BLOB_BYTES: u64 = 1024 * 1024 * 1024;

/// `bundle.json`. Every field is an unsigned copy or a file name inside the bundle.
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
    /// Empty when the bundle carries no inclusion proof.
    #[serde(default)]
    pub inclusion_proof: String,
    /// Empty when the bundle carries no checkpoint.
    #[serde(default)]
    pub checkpoint: String,
}

/// One entry of a `v2` bundle's `bundle.json`: unsigned copies and file names.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleEntry {
    pub index: u64,
    pub kind: String,
    pub subject: String,
    pub file: String,
    pub blob_sha256: Sha256Digest,
    pub envelope: String,
    pub inclusion_proof: String,
}

/// `bundle.json` of a bundle with several entries (`assay-evidence-bundle/v2`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleManifestV2 {
    pub format: String,
    pub log_origin: String,
    pub entries: Vec<BundleEntry>,
    pub checkpoint: String,
}

impl BundleManifestV2 {
    /// Entry `i` as the one-entry manifest its checks run on.
    fn entry_manifest(&self, i: usize) -> BundleManifest {
        let e = &self.entries[i];
        BundleManifest {
            format: BUNDLE_FORMAT.into(),
            log_origin: self.log_origin.clone(),
            index: e.index,
            kind: e.kind.clone(),
            subject: e.subject.clone(),
            file: e.file.clone(),
            blob_sha256: e.blob_sha256,
            envelope: e.envelope.clone(),
            inclusion_proof: e.inclusion_proof.clone(),
            checkpoint: self.checkpoint.clone(),
        }
    }
}

/// One check of a bundle and how it went.
#[derive(Clone, Debug, Serialize)]
pub struct BundleCheck {
    pub check: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// Where the signed checkpoint puts the entry: proven by the inclusion proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogPosition {
    pub log_origin: String,
    pub index: u64,
    pub tree_size: u64,
    pub root: String,
}

/// What a bundle proves: only facts covered by a verified signature.
#[derive(Clone, Debug, Serialize)]
pub struct SignedFacts {
    pub kind: String,
    pub subject: String,
    pub blob_digest: Sha256Digest,
    pub file_name: String,
    pub size: u64,
    pub recorded_at: String,
    pub meta: BTreeMap<String, String>,
    pub signer_key_id: String,
    /// The name the verifier key carried (or the trusted issuer's name on import).
    pub signer_name: Option<String>,
    /// `None` unless the inclusion proof verified against a validly signed checkpoint.
    pub log: Option<LogPosition>,
}

#[derive(Clone, Debug, Serialize)]
pub struct BundleReport {
    /// `bundle.json` as found: unsigned, never to be shown as verified.
    pub manifest: BundleManifest,
    /// The signed facts; `None` when the envelope signature did not verify.
    pub signed: Option<SignedFacts>,
    pub checks: Vec<BundleCheck>,
}

impl BundleReport {
    pub fn is_valid(&self) -> bool {
        self.checks.iter().all(|c| c.ok) && self.signed.as_ref().is_some_and(|s| s.log.is_some())
    }

    /// The first failing check.
    pub fn first_failure(&self) -> Option<&BundleCheck> {
        self.checks.iter().find(|c| !c.ok)
    }
}

/// The outcome of [`Ledger::import`].
#[derive(Clone, Debug, Serialize)]
pub struct Imported {
    pub appended: Appended,
    /// Name of the trusted key that signed the envelope.
    pub issuer: String,
    /// False when this exact envelope was already in the log: nothing was appended and
    /// `appended` names the existing entry.
    pub newly_appended: bool,
    /// The entry's place in the issuer's log, from the verified proof and checkpoint.
    pub issuer_log: LogPosition,
    pub signed: SignedFacts,
}

/// The name under which an export writes the evidence file: the signed `fileName` reduced
/// by [`safe_file_name`], never one of the bundle's own file names.
pub fn export_file_name(signed_name: &str, digest: &Sha256Digest) -> String {
    let name = safe_file_name(signed_name);
    if RESERVED.contains(&name.as_str()) {
        format!("evidence-{}", digest.short())
    } else {
        name
    }
}

/// The name of an entry's evidence file in a bundle of several entries when its plain export
/// name is already taken: the digest's short form in front, so two reports named alike (or a
/// name that looks like one of the bundle's own files) each keep a file of their own.
fn distinct_file_name(plain: &str, digest: &Sha256Digest) -> String {
    safe_file_name(&format!("{}-{plain}", digest.short()))
}

/// True when `name` is one of the file names a bundle of several entries gives its own parts.
fn is_part_name(name: &str) -> bool {
    RESERVED.contains(&name) || name.starts_with("entry-")
}

impl<S: LedgerStore> Ledger<S> {
    /// Writes entries `indices` (in that order) as one bundle of several entries into `out`
    /// (`assay-evidence-bundle/v2`), every proof against one checkpoint. A lab exports its
    /// campaign and its test report this way so the data travels with the report. Every file
    /// is a safe base name joined to `out`; an existing symlink at one of those names is refused.
    pub fn export_entries(&self, indices: &[u64], out: &Path) -> Result<BundleManifestV2> {
        if indices.is_empty() || indices.len() > MAX_BUNDLE_ENTRIES {
            return Err(LedgerError::Input(format!(
                "a bundle holds 1 to {MAX_BUNDLE_ENTRIES} entries, not {}",
                indices.len()
            )));
        }
        for (i, a) in indices.iter().enumerate() {
            if indices[..i].contains(a) {
                return Err(LedgerError::Input(format!(
                    "entry {a} is named twice; a bundle holds each entry once"
                )));
            }
        }
        let checkpoint = self.checkpoint()?;
        fs::create_dir_all(out).map_err(|e| io_err(out, e))?;
        let mut used: Vec<String> = Vec::new();
        let mut entries = Vec::with_capacity(indices.len());
        for (n, &index) in indices.iter().enumerate() {
            let entry = self.entry(index)?;
            let blob = self.blob(&entry.blob_digest)?;
            let proof = self.prove_against(index, &checkpoint)?;
            let mut file =
                export_file_name(&entry.statement.predicate.file_name, &entry.blob_digest);
            if used.contains(&file) || is_part_name(&file) {
                file = distinct_file_name(&file, &entry.blob_digest);
            }
            if used.contains(&file) {
                return Err(LedgerError::Input(format!(
                    "entries {} hold the same evidence file twice; export it once",
                    quote_short(&file)
                )));
            }
            used.push(file.clone());
            let envelope = format!("entry-{}.envelope.dsse.json", n + 1);
            let proof_name = format!("entry-{}.inclusion-proof.json", n + 1);
            write_in(out, &file, &blob)?;
            write_in(out, &envelope, &entry.envelope_bytes)?;
            write_in(
                out,
                &proof_name,
                &serde_json::to_vec_pretty(&proof).expect("proofs serialise"),
            )?;
            entries.push(BundleEntry {
                index,
                kind: entry.kind.clone(),
                subject: entry.subject.clone(),
                file,
                blob_sha256: entry.blob_digest,
                envelope,
                inclusion_proof: proof_name,
            });
        }
        let manifest = BundleManifestV2 {
            format: BUNDLE_FORMAT_V2.into(),
            log_origin: self.origin().to_string(),
            entries,
            checkpoint: CHECKPOINT.into(),
        };
        write_in(out, CHECKPOINT, checkpoint.note.as_bytes())?;
        write_in(
            out,
            MANIFEST,
            &serde_json::to_vec_pretty(&manifest).expect("manifests serialise"),
        )?;
        Ok(manifest)
    }

    /// Writes entry `index` as a bundle into `out` (created if missing). Every file is a safe
    /// base name joined to `out`; an existing symlink at one of those names is refused.
    pub fn export(&self, index: u64, out: &Path) -> Result<BundleManifest> {
        let entry = self.entry(index)?;
        let blob = self.blob(&entry.blob_digest)?;
        // One checkpoint for both the proof and checkpoint.txt, even if others append.
        let checkpoint = self.checkpoint()?;
        let proof = self.prove_against(index, &checkpoint)?;
        fs::create_dir_all(out).map_err(|e| io_err(out, e))?;
        let file = export_file_name(&entry.statement.predicate.file_name, &entry.blob_digest);
        let manifest = BundleManifest {
            format: BUNDLE_FORMAT.into(),
            log_origin: self.origin().to_string(),
            index,
            kind: entry.kind.clone(),
            subject: entry.subject.clone(),
            file: file.clone(),
            blob_sha256: entry.blob_digest,
            envelope: ENVELOPE.into(),
            inclusion_proof: PROOF.into(),
            checkpoint: CHECKPOINT.into(),
        };
        write_in(out, &file, &blob)?;
        write_in(out, ENVELOPE, &entry.envelope_bytes)?;
        write_in(
            out,
            PROOF,
            &serde_json::to_vec_pretty(&proof).expect("proofs serialise"),
        )?;
        write_in(out, CHECKPOINT, checkpoint.note.as_bytes())?;
        write_in(
            out,
            MANIFEST,
            &serde_json::to_vec_pretty(&manifest).expect("manifests serialise"),
        )?;
        Ok(manifest)
    }

    /// Imports a bundle signed elsewhere (a lab's report, say); see [`Ledger::import`].
    /// Returns the entry and the issuer's name (the existing entry when already imported).
    pub fn import_bundle(&self, dir: &Path) -> Result<(Appended, String)> {
        let imported = self.import(dir)?;
        Ok((imported.appended, imported.issuer))
    }

    /// Imports a bundle signed elsewhere. Everything [`verify_bundle`] checks must hold, with
    /// the keys this workspace knows (own keys and trusted issuers): the envelope signature,
    /// the blob digest, the inclusion proof, and a checkpoint signed by a known key that
    /// holds the proof's root. A bundle without an inclusion proof or checkpoint is refused.
    /// The entry keeps its original signature. Importing an envelope already in the log
    /// appends nothing and returns the existing entry.
    ///
    /// A bundle of several entries is imported as a unit ([`Ledger::import_all`]); this returns
    /// its last entry (a lab bundle lists the campaign first and the report last).
    pub fn import(&self, dir: &Path) -> Result<Imported> {
        let mut all = self.import_all(dir)?;
        Ok(all.pop().expect("a bundle holds at least one entry"))
    }

    /// Imports every entry of a bundle (one entry for `v1`, several for `v2`) as a unit: each
    /// must pass every check [`Ledger::import`] names, or nothing is appended; the new entries
    /// are appended in one batch, in the bundle's order. An entry whose envelope is already in
    /// the log is not appended again (importing a bundle twice appends nothing).
    pub fn import_all(&self, dir: &Path) -> Result<Vec<Imported>> {
        let entries = read_bundle_entries(dir)?;
        let keys: Vec<PublicKeyText> = self
            .verifying_keys()?
            .into_values()
            .map(|(rec, key)| PublicKeyText {
                name: Some(rec.name),
                key,
            })
            .collect();
        let many = entries.len() > 1;
        let mut checked = Vec::with_capacity(entries.len());
        for (n, files) in entries.into_iter().enumerate() {
            let label = if many {
                format!("{} (entry {} of the bundle)", dir.display(), n + 1)
            } else {
                dir.display().to_string()
            };
            let one = self.check_import(&label, &files, &keys)?;
            checked.push((files, one));
        }
        let mut out: Vec<Option<Imported>> = Vec::with_capacity(checked.len());
        let mut new_entries = Vec::new();
        let mut blobs: Vec<(Sha256Digest, &[u8])> = Vec::new();
        for (files, (signed, issuer, issuer_log)) in &checked {
            let leaf_hash = merkle::leaf_hash(&files.envelope);
            let existing = self.store().find_by_leaf_hash(&leaf_hash)?.first().copied();
            // The same envelope twice in one bundle is appended once.
            let twice = new_entries
                .iter()
                .any(|e: &NewEntry| e.leaf_hash == leaf_hash);
            if let Some(index) = existing {
                out.push(Some(Imported {
                    appended: Appended {
                        index,
                        blob_digest: signed.blob_digest,
                        leaf_hash,
                    },
                    issuer: issuer.clone(),
                    newly_appended: false,
                    issuer_log: issuer_log.clone(),
                    signed: signed.clone(),
                }));
            } else if twice {
                return Err(LedgerError::Input(format!(
                    "{}: the bundle holds the same envelope twice; the bundle was not imported",
                    dir.display()
                )));
            } else {
                blobs.push((signed.blob_digest, files.blob.as_slice()));
                new_entries.push(NewEntry {
                    kind: signed.kind.clone(),
                    subject: signed.subject.clone(),
                    blob_digest: signed.blob_digest,
                    leaf_hash,
                    envelope: files.envelope.clone(),
                    signer: signed.signer_key_id.clone(),
                    recorded_at: now_rfc3339(),
                });
                out.push(None);
            }
        }
        let mut appended = if new_entries.is_empty() {
            Vec::new()
        } else {
            self.store().put_blobs(&blobs)?;
            self.append_entries(new_entries)?
        }
        .into_iter();
        Ok(out
            .into_iter()
            .zip(checked)
            .map(|(done, (_, (signed, issuer, issuer_log)))| {
                done.unwrap_or_else(|| Imported {
                    appended: appended.next().expect("one appended entry per new one"),
                    issuer,
                    newly_appended: true,
                    issuer_log,
                    signed,
                })
            })
            .collect())
    }

    /// The checks of one entry on import: its signed facts, issuer name and issuer log
    /// position, or the error that refuses the bundle.
    fn check_import(
        &self,
        label: &str,
        files: &BundleFiles,
        keys: &[PublicKeyText],
    ) -> Result<(SignedFacts, String, LogPosition)> {
        let report = check_bundle(files, keys);
        if let Some(EnvelopeError::UnknownKey(kid)) = &report.envelope_error {
            return Err(LedgerError::UntrustedIssuer(format!(
                "{label} is signed by key id {kid}, which is not trusted here; add the issuer's key with `assay trust add NAME PUBKEY --role ROLE`"
            )));
        }
        if let Some(bad) = report.report.first_failure() {
            return Err(LedgerError::Input(format!(
                "{label}: {}: {}; the bundle was not imported",
                bad.check, bad.detail
            )));
        }
        let signed = report
            .report
            .signed
            .expect("a valid bundle has signed facts");
        let issuer_log = signed
            .log
            .clone()
            .expect("a valid bundle has a log position");
        let issuer = signed
            .signer_name
            .clone()
            .unwrap_or_else(|| signed.signer_key_id.clone());
        Ok((signed, issuer, issuer_log))
    }
}

/// Writes `bytes` to `dir/name`; `name` must already be a safe base name.
fn write_in(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    debug_assert_eq!(name, safe_file_name(name));
    let p = dir.join(name);
    if fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(LedgerError::Input(format!(
            "{} is a symbolic link; assay does not write through links: choose an empty --out folder",
            p.display()
        )));
    }
    fs::write(&p, bytes).map_err(|e| io_err(&p, e))
}

struct BundleFiles {
    manifest: BundleManifest,
    blob: Vec<u8>,
    envelope: Vec<u8>,
    /// `None`: the bundle names no inclusion proof or the file is absent.
    proof: Option<Vec<u8>>,
    checkpoint: Option<String>,
}

/// Reads `dir/name`: a plain name inside `dir`, a regular file (no symlink), at most `limit`
/// bytes. `Ok(None)` when it does not exist.
fn read_in(dir: &Path, name: &str, limit: u64) -> Result<Option<Vec<u8>>> {
    if !plain_name(name) {
        return Err(LedgerError::Input(format!(
            "{}: bundle.json names {}, which is not a plain file name inside the bundle",
            dir.display(),
            quote_short(name)
        )));
    }
    let p = dir.join(name);
    let meta = match fs::symlink_metadata(&p) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(&p, e)),
    };
    if !meta.is_file() {
        return Err(LedgerError::Input(format!(
            "{} is not a regular file (a link or a folder); a bundle holds plain files only",
            p.display()
        )));
    }
    if meta.len() > limit {
        return Err(LedgerError::Input(format!(
            "{} is {} bytes, more than the {limit}-byte limit for this part of a bundle",
            p.display(),
            meta.len()
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    fs::File::open(&p)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .map_err(|e| io_err(&p, e))?;
    if bytes.len() as u64 > limit {
        return Err(LedgerError::Input(format!(
            "{} grew past the {limit}-byte limit while being read",
            p.display()
        )));
    }
    Ok(Some(bytes))
}

fn read_bundle(dir: &Path) -> Result<BundleFiles> {
    read_bundle_with(&dir.display().to_string(), |name, limit| {
        read_in(dir, name, limit)
    })
}

/// Every entry of a bundle in a folder (one for `v1`).
fn read_bundle_entries(dir: &Path) -> Result<Vec<BundleFiles>> {
    read_bundle_entries_with(&dir.display().to_string(), |name, limit| {
        read_in(dir, name, limit)
    })
}

/// Reads a one-entry bundle's parts through `get(name, limit)` (a folder or an upload's
/// files); `label` names the bundle in messages. A bundle of several entries is refused with
/// a message saying what reads it.
fn read_bundle_with(
    label: &str,
    get: impl Fn(&str, u64) -> Result<Option<Vec<u8>>>,
) -> Result<BundleFiles> {
    let mut all = read_bundle_entries_with(label, get)?;
    if all.len() != 1 {
        return Err(LedgerError::Input(format!(
            "{label}: the bundle holds {} entries (`{BUNDLE_FORMAT_V2}`); check it with `assay verify-bundle` and import it with `assay evidence import`, which read every entry",
            all.len()
        )));
    }
    Ok(all.remove(0))
}

/// Only the format of `bundle.json`, to choose how to read the rest.
#[derive(Deserialize)]
struct FormatOnly {
    format: String,
}

/// Reads every entry of a bundle (`v1`: one; `v2`: several, each with the one checkpoint)
/// through `get(name, limit)`; `label` names the bundle in messages. The blobs of all entries
/// together stay under [`MAX_BUNDLE_BLOB_BYTES`].
fn read_bundle_entries_with(
    label: &str,
    get: impl Fn(&str, u64) -> Result<Option<Vec<u8>>>,
) -> Result<Vec<BundleFiles>> {
    let required = |name: &str, limit: u64| {
        get(name, limit)?.ok_or_else(|| {
            LedgerError::Input(format!(
                "{label}: {} is missing; export the bundle again with `assay evidence export`",
                quote_short(name)
            ))
        })
    };
    let optional = |name: &str, limit: u64| {
        if name.is_empty() {
            Ok(None)
        } else {
            get(name, limit)
        }
    };
    let raw = required(MANIFEST, MAX_MANIFEST_BYTES)?;
    let not_manifest = |e: serde_json::Error| {
        LedgerError::Input(format!(
            "{label}: {MANIFEST}: not an assay bundle manifest ({e})"
        ))
    };
    let format = serde_json::from_slice::<FormatOnly>(&raw)
        .map_err(not_manifest)?
        .format;
    if format == BUNDLE_FORMAT {
        let manifest: BundleManifest = serde_json::from_slice(&raw).map_err(not_manifest)?;
        return Ok(vec![BundleFiles {
            blob: required(&manifest.file, MAX_BUNDLE_BLOB_BYTES)?,
            envelope: required(&manifest.envelope, MAX_ENVELOPE_BYTES as u64)?,
            proof: optional(&manifest.inclusion_proof, MAX_PROOF_BYTES)?,
            checkpoint: optional(&manifest.checkpoint, MAX_CHECKPOINT_BYTES)?
                .map(|b| String::from_utf8_lossy(&b).into_owned()),
            manifest,
        }]);
    }
    if format != BUNDLE_FORMAT_V2 {
        return Err(LedgerError::Input(format!(
            "{label}: {MANIFEST}: format {} is neither `{BUNDLE_FORMAT}` nor `{BUNDLE_FORMAT_V2}`",
            quote_short(&format)
        )));
    }
    let manifest: BundleManifestV2 = serde_json::from_slice(&raw).map_err(not_manifest)?;
    let n = manifest.entries.len();
    if n == 0 || n > MAX_BUNDLE_ENTRIES {
        return Err(LedgerError::Input(format!(
            "{label}: {MANIFEST}: {n} entries; a bundle holds 1 to {MAX_BUNDLE_ENTRIES}"
        )));
    }
    // Every part has a file of its own: two entries naming one file would check one file twice.
    let mut names: Vec<&str> = vec![MANIFEST];
    if !manifest.checkpoint.is_empty() {
        names.push(&manifest.checkpoint);
    }
    for e in &manifest.entries {
        for name in [&e.file, &e.envelope, &e.inclusion_proof] {
            if names.contains(&name.as_str()) {
                return Err(LedgerError::Input(format!(
                    "{label}: {MANIFEST} names {} for two parts; every part of a bundle has a file of its own",
                    quote_short(name)
                )));
            }
            names.push(name);
        }
    }
    let checkpoint = optional(&manifest.checkpoint, MAX_CHECKPOINT_BYTES)?
        .map(|b| String::from_utf8_lossy(&b).into_owned());
    let mut budget = MAX_BUNDLE_BLOB_BYTES;
    let mut out = Vec::with_capacity(n);
    for (i, e) in manifest.entries.iter().enumerate() {
        let blob = required(&e.file, budget)?;
        budget -= blob.len() as u64;
        out.push(BundleFiles {
            blob,
            envelope: required(&e.envelope, MAX_ENVELOPE_BYTES as u64)?,
            proof: optional(&e.inclusion_proof, MAX_PROOF_BYTES)?,
            checkpoint: checkpoint.clone(),
            manifest: manifest.entry_manifest(i),
        });
    }
    Ok(out)
}

/// The most files an uploaded bundle may hold (an export writes five).
pub const MAX_UPLOAD_FILES: usize = 8;

/// A bundle received as files in memory (an upload), checked like [`verify_bundle`].
#[derive(Clone, Debug)]
pub struct CheckedUpload {
    pub report: BundleReport,
    /// Set when the envelope is signed by a key none of the given keys is: the issuer is not
    /// trusted (its key id, from the unsigned envelope: a hint, not a fact).
    pub untrusted_key_id: Option<String>,
    /// The envelope, byte for byte as hashed into the issuer's log.
    pub envelope: Vec<u8>,
    /// The evidence file.
    pub blob: Vec<u8>,
}

impl CheckedUpload {
    /// The signed facts of a bundle that passed every check.
    pub fn verified(&self) -> Option<&SignedFacts> {
        if self.untrusted_key_id.is_none() && self.report.is_valid() {
            self.report.signed.as_ref()
        } else {
            None
        }
    }
}

/// Checks a bundle given as `files` (file name in the bundle -> bytes, `bundle.json`
/// among them), with the same limits and checks as [`verify_bundle`] and nothing written
/// anywhere. The names come from the sender and from `bundle.json`: they are only looked up
/// in `files`, never joined to a path. `label` names the bundle in messages.
pub fn verify_bundle_files(
    label: &str,
    files: &BTreeMap<String, Vec<u8>>,
    keys: &[PublicKeyText],
) -> Result<CheckedUpload> {
    if files.len() > MAX_UPLOAD_FILES {
        return Err(LedgerError::Input(format!(
            "{label}: {} files; a bundle holds at most {MAX_UPLOAD_FILES}",
            files.len()
        )));
    }
    let parts = read_bundle_with(label, |name, limit| {
        if !plain_name(name) {
            return Err(LedgerError::Input(format!(
                "{label}: bundle.json names {}, which is not a plain file name inside the bundle",
                quote_short(name)
            )));
        }
        match files.get(name) {
            None => Ok(None),
            Some(b) if b.len() as u64 > limit => Err(LedgerError::Input(format!(
                "{label}: {} is {} bytes, more than the {limit}-byte limit for this part of a bundle",
                quote_short(name),
                b.len()
            ))),
            Some(b) => Ok(Some(b.clone())),
        }
    })?;
    let checked = check_bundle(&parts, keys);
    Ok(CheckedUpload {
        report: checked.report,
        untrusted_key_id: match checked.envelope_error {
            Some(EnvelopeError::UnknownKey(kid)) => Some(kid),
            _ => None,
        },
        envelope: parts.envelope,
        blob: parts.blob,
    })
}

fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
}

/// Checks a bundle offline with the given public keys (the evidence signer's and the log's;
/// one key when the same workspace signed both). The report's verdict rests on signed facts
/// only; see the module documentation.
///
/// A bundle of several entries is refused with a message; [`verify_bundle_all`] reads it.
pub fn verify_bundle(dir: &Path, keys: &[PublicKeyText]) -> Result<BundleReport> {
    let files = read_bundle(dir)?;
    Ok(check_bundle(&files, keys).report)
}

/// Checks every entry of a bundle (one for `v1`, several for `v2`) offline, like
/// [`verify_bundle`]; the bundle is valid when every report is.
pub fn verify_bundle_all(dir: &Path, keys: &[PublicKeyText]) -> Result<Vec<BundleReport>> {
    Ok(read_bundle_entries(dir)?
        .iter()
        .map(|files| check_bundle(files, keys).report)
        .collect())
}

struct Checked {
    report: BundleReport,
    envelope_error: Option<EnvelopeError>,
}

/// The one set of bundle checks, shared by [`verify_bundle`] and [`Ledger::import`].
fn check_bundle(files: &BundleFiles, keys: &[PublicKeyText]) -> Checked {
    let m = &files.manifest;
    let mut checks = Vec::new();
    let mut check = |check: &'static str, ok: bool, detail: String| {
        checks.push(BundleCheck { check, ok, detail })
    };
    let disagree = |field: &str, unsigned: &str, signed: &str| {
        format!(
            "bundle.json says {field} {} but the signed {} says {}: the unsigned copy was edited",
            quote_short(unsigned),
            if field == "index" || field == "log_origin" {
                "checkpoint"
            } else {
                "statement"
            },
            quote_short(signed)
        )
    };

    // 1. The envelope: its signature decides whether anything else is worth showing.
    let vks: Vec<_> = keys.iter().map(|k| k.key).collect();
    let (mut signed, envelope_error) = match verify_envelope(&files.envelope, &vks) {
        Ok(v) => {
            check(
                "envelope signature",
                true,
                format!("Ed25519 signature by key id {}", v.key_id),
            );
            let p = &v.statement.predicate;
            let signer_name = keys
                .iter()
                .find(|k| k.key == v.key)
                .and_then(|k| k.name.clone());
            (
                Some(SignedFacts {
                    kind: p.kind.to_string(),
                    subject: v.subject.clone(),
                    blob_digest: v.digest,
                    file_name: p.file_name.clone(),
                    size: p.size,
                    recorded_at: p.recorded_at.clone(),
                    meta: p.meta.clone(),
                    signer_key_id: v.key_id.clone(),
                    signer_name,
                    log: None,
                }),
                None,
            )
        }
        Err(e) => {
            check("envelope signature", false, e.to_string());
            (None, Some(e))
        }
    };

    // 2. The blob and the unsigned copies, against the signed statement.
    let blob_digest = Sha256Digest::of(&files.blob);
    if let Some(s) = &signed {
        check(
            "blob digest",
            blob_digest == s.blob_digest,
            if blob_digest == s.blob_digest {
                format!(
                    "{} hashes to the signed digest {blob_digest}",
                    quote_short(&m.file)
                )
            } else {
                format!(
                    "{} hashes to {blob_digest}, but the statement signs {}: the file was altered",
                    quote_short(&m.file),
                    s.blob_digest
                )
            },
        );
        let copies = [
            ("kind", m.kind.clone(), s.kind.clone()),
            ("subject", m.subject.clone(), s.subject.clone()),
            (
                "blob_sha256",
                m.blob_sha256.to_string(),
                s.blob_digest.to_string(),
            ),
        ];
        for (field, unsigned, signed) in copies {
            if unsigned != signed {
                check("bundle.json", false, disagree(field, &unsigned, &signed));
            }
        }
        let want = export_file_name(&s.file_name, &s.blob_digest);
        if m.file != want
            && m.file != s.file_name
            && m.file != distinct_file_name(&want, &s.blob_digest)
        {
            check("bundle.json", false, disagree("file", &m.file, &want));
        }
    }

    // 3. The inclusion proof and the checkpoint holding its root.
    let leaf = merkle::leaf_hash(&files.envelope);
    let proof = match &files.proof {
        None => {
            check(
                "inclusion proof",
                false,
                "the bundle carries no inclusion proof, so nothing shows the entry is in a signed log"
                    .into(),
            );
            None
        }
        Some(bytes) => match serde_json::from_slice::<InclusionProof>(bytes) {
            Err(e) => {
                check(
                    "inclusion proof",
                    false,
                    format!(
                        "{} is not an RFC 6962 inclusion proof ({e})",
                        quote_short(&m.inclusion_proof)
                    ),
                );
                None
            }
            Ok(p) => {
                let ok = p.leaf_hash == leaf && p.verify();
                check(
                    "inclusion proof",
                    ok,
                    if p.leaf_hash != leaf {
                        "the proof is for another envelope (its leaf hash is not this envelope's)"
                            .into()
                    } else {
                        format!(
                            "entry {} of {} hashes to root {}{}",
                            p.index,
                            p.tree_size,
                            hex::encode(p.root),
                            if ok {
                                ""
                            } else {
                                ": the audit path does NOT lead there"
                            }
                        )
                    },
                );
                ok.then_some(p)
            }
        },
    };
    let opened = match &files.checkpoint {
        None => {
            check(
                "checkpoint signature",
                false,
                "the bundle carries no checkpoint".into(),
            );
            None
        }
        Some(note) => {
            let opened = open_with_any(note, keys);
            check(
                "checkpoint signature",
                opened.is_some(),
                match &opened {
                    Some(cp) => format!(
                        "signed checkpoint of {} at size {}",
                        quote_short(&cp.origin),
                        cp.size
                    ),
                    None => "no valid checkpoint signature by any of the given public keys".into(),
                },
            );
            opened
        }
    };
    if let (Some(p), Some(cp)) = (&proof, &opened) {
        let covers = cp.size == p.tree_size && cp.root == p.root && cp.origin == p.log_origin;
        check(
            "checkpoint covers proof",
            covers,
            format!(
                "checkpoint root {} at size {}",
                hex::encode(cp.root),
                cp.size
            ),
        );
        if covers {
            if m.index != p.index {
                check(
                    "bundle.json",
                    false,
                    disagree("index", &m.index.to_string(), &p.index.to_string()),
                );
            }
            if m.log_origin != cp.origin {
                check(
                    "bundle.json",
                    false,
                    disagree("log_origin", &m.log_origin, &cp.origin),
                );
            }
            if let Some(s) = &mut signed {
                s.log = Some(LogPosition {
                    log_origin: cp.origin.clone(),
                    index: p.index,
                    tree_size: cp.size,
                    root: hex::encode(cp.root),
                });
            }
        }
    }
    Checked {
        report: BundleReport {
            manifest: files.manifest.clone(),
            signed,
            checks,
        },
        envelope_error,
    }
}

/// Opens a checkpoint signed by any of `keys`, under whatever key name its signature line
/// carries (the issuer's own name for its key, unknown to us).
fn open_with_any(note: &str, keys: &[PublicKeyText]) -> Option<Checkpoint> {
    let names = signer_names(note);
    keys.iter().find_map(|k| {
        let name = names.iter().find(|n| note_signed_by(note, n, k))?;
        open_checkpoint(note, name, &k.key).ok()
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
