//! The output of an assessment as paths and bytes: a [`Package`].
//!
//! ```text
//! assessment.json           the machine-readable result
//! dossier.html              the self-contained dossier
//! plan.json, plan.svg       the delivery plan
//! customer-statement.md     for distributors, integrators and tender teams: test evidence,
//! customer-statement.html   retests booked, delivery date, requirements (docs/retest.md)
//! attestation/              the signed dossier attestation, as a bundle (verify-bundle)
//! inputs/                   what the verdicts were computed from, for `check`
//! filing/                   the CAC filing package (report, evidence, signatures, keys,
//!                           MANIFEST.sha256)
//! ```
//!
//! The same case and workspace give the same package, byte for byte: the filing lists the
//! case's evidence whether this run recorded it or an earlier one did, and the dossier
//! attestation of an unchanged dossier is the one already in the ledger (nothing is appended,
//! so the checkpoint and inclusion proof are the same too). The CLI writes a package to a
//! folder; a server stores it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use assay_core::{EvidenceKind, Sha256Digest};
use assay_ledger::{EvidenceInput, Ledger};
use assay_report::Assessment;

use crate::{AssessError, Assessed};

/// Largest file [`Package::read_dir`] reads, and largest package in total.
pub const MAX_PACKAGE_FILE: u64 = 1 << 30;
pub const MAX_PACKAGE_TOTAL: u64 = 4 << 30;

/// An assessment's output: relative paths (`/`-separated) to bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Package {
    pub files: BTreeMap<String, Vec<u8>>,
    /// Ledger index of the signed dossier attestation (0 when read back from a folder).
    pub attestation_index: u64,
}

impl Package {
    fn put(&mut self, path: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        self.files.insert(path.into(), bytes.into());
    }

    /// A file of the package.
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// The files under `prefix/` (paths relative to it), sorted.
    pub fn under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a [u8])> {
        let dir = format!("{prefix}/");
        self.files.iter().filter_map(move |(k, v)| {
            k.strip_prefix(dir.as_str())
                .map(|rest| (&k[k.len() - rest.len()..], v.as_slice()))
        })
    }

    /// Writes every file under `dir` (which must exist and be empty: the caller owns it).
    pub fn write_into(&self, dir: &Path) -> Result<(), AssessError> {
        for (rel, bytes) in &self.files {
            let path = dir.join(rel);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(|e| AssessError::io(parent, e))?;
            }
            fs::write(&path, bytes).map_err(|e| AssessError::io(&path, e))?;
        }
        Ok(())
    }

    /// Reads an output folder back (regular files only; symbolic links are refused).
    pub fn read_dir(dir: &Path) -> Result<Package, AssessError> {
        if !dir.join("assessment.json").is_file() {
            return Err(AssessError::Package(format!(
                "{} is not an assessment output folder (no assessment.json); give the --out folder of `assay assess`",
                dir.display()
            )));
        }
        let mut package = Package::default();
        let mut total = 0u64;
        read_tree(dir, dir, &mut package, &mut total)?;
        Ok(package)
    }
}

fn read_tree(
    root: &Path,
    dir: &Path,
    package: &mut Package,
    total: &mut u64,
) -> Result<(), AssessError> {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(|e| AssessError::io(dir, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| AssessError::io(dir, e))?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let ft = e.file_type().map_err(|err| AssessError::io(&path, err))?;
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        if rel == ".assay-output" {
            // assay-fs's ownership marker of the output folder, not part of the package.
            continue;
        }
        if ft.is_dir() {
            read_tree(root, &path, package, total)?;
        } else if ft.is_file() {
            let len = e
                .metadata()
                .map_err(|err| AssessError::io(&path, err))?
                .len();
            *total += len;
            if len > MAX_PACKAGE_FILE || *total > MAX_PACKAGE_TOTAL {
                return Err(AssessError::Package(format!(
                    "{}: the package is larger than assay writes ({} bytes per file, {} in all)",
                    path.display(),
                    MAX_PACKAGE_FILE,
                    MAX_PACKAGE_TOTAL
                )));
            }
            let bytes = fs::read(&path).map_err(|err| AssessError::io(&path, err))?;
            package.put(rel, bytes);
        } else {
            return Err(AssessError::Package(format!(
                "{}: not a regular file (a symbolic link or special file); assay never writes one into a package",
                path.display()
            )));
        }
    }
    Ok(())
}

/// Builds the package of an assessment and records (or finds) its signed dossier attestation.
pub fn build_package(assessed: &Assessed, ledger: &Ledger) -> Result<Package, AssessError> {
    let a = &assessed.assessment;
    let mut p = Package::default();
    let assessment_json = serde_json::to_vec_pretty(a).expect("assessments serialise");
    p.put("assessment.json", assessment_json.clone());
    let dossier = assay_report::dossier_html(a);
    p.put("dossier.html", dossier.clone().into_bytes());
    p.put(
        "customer-statement.md",
        assay_report::customer_statement_md(a).into_bytes(),
    );
    p.put(
        "customer-statement.html",
        assay_report::customer_statement_html(a).into_bytes(),
    );
    if let Some(plan) = &a.plan {
        p.put(
            "plan.json",
            serde_json::to_vec_pretty(&plan.plan).expect("plans serialise"),
        );
        p.put("plan.svg", plan.svg.clone().into_bytes());
    }

    // What `check` needs to recompute the verdicts without the case folder.
    p.put("inputs/subject.toml", assessed.subject_manifest.clone());
    p.put(
        "inputs/evidence-records.json",
        serde_json::to_vec_pretty(&assessed.records).expect("records serialise"),
    );
    let mut extra_packs = Vec::new();
    for pack in &assessed.packs {
        if !pack.origin.starts_with("shipped:") {
            let file = format!("{}.toml", assay_core::safe_file_name(&pack.id));
            let bytes = fs::read(&pack.origin).map_err(|e| AssessError::io(&pack.origin, e))?;
            p.put(format!("inputs/packs/{file}"), bytes);
            extra_packs.push(file);
        }
    }
    let context = serde_json::json!({
        "date": a.date,
        "markets": a.markets.iter().map(|m| m.market.clone()).collect::<Vec<_>>(),
        "extra_packs": extra_packs,
        "consistency": a.evaluation.consistency.is_some(),
    });
    p.put(
        "inputs/context.json",
        serde_json::to_vec_pretty(&context).expect("json serialises"),
    );
    for (rel, text) in &assessed.docs {
        p.put(format!("inputs/docs/{rel}"), text.clone().into_bytes());
    }

    filing(&mut p, a, ledger, &assessed.held)?;

    // The dossier attestation: an in-toto statement about dossier.html naming every input
    // and pack digest, signed and logged.
    let input_digests: BTreeSet<String> = a
        .inputs
        .iter()
        .filter_map(|i| i.digest.map(|d| d.to_hex()))
        .collect();
    let meta = BTreeMap::from([
        (
            "assessment_digest".to_string(),
            Sha256Digest::of(&assessment_json).to_hex(),
        ),
        (
            "inputs".to_string(),
            input_digests.into_iter().collect::<Vec<_>>().join(","),
        ),
        (
            "packs".to_string(),
            a.packs
                .iter()
                .map(|p| format!("{}@{}", p.id, p.digest))
                .collect::<Vec<_>>()
                .join(","),
        ),
        (
            "evidence".to_string(),
            a.evidence
                .iter()
                .map(|e| e.digest.to_hex())
                .collect::<Vec<_>>()
                .join(","),
        ),
        ("date".to_string(), a.date.to_string()),
        (
            "blocking".to_string(),
            a.evaluation.summary.blocking.to_string(),
        ),
    ]);
    let item = EvidenceInput {
        kind: EvidenceKind::Dossier,
        subject: a.subject.id.clone(),
        file_name: "dossier.html".into(),
        bytes: dossier.into_bytes(),
        meta,
    };
    let index = match existing_attestation(ledger, &item)? {
        Some(index) => index,
        None => ledger.add(&[item], assay_ledger::DEFAULT_KEY)?[0].index,
    };
    for (name, bytes) in export_bundle(ledger, index)? {
        p.put(format!("attestation/{name}"), bytes);
    }
    p.put(
        "attestation/signer.pub",
        format!("{}\n", ledger.export_key(assay_ledger::DEFAULT_KEY)?).into_bytes(),
    );
    p.attestation_index = index;
    Ok(p)
}

/// The ledger entry attesting this very dossier with the same facts, if an earlier run made it.
fn existing_attestation(ledger: &Ledger, item: &EvidenceInput) -> Result<Option<u64>, AssessError> {
    for index in ledger.entries_for_blob(&Sha256Digest::of(&item.bytes))? {
        let entry = ledger.entry(index)?;
        if entry.kind == item.kind.as_str()
            && entry.subject == item.subject
            && entry.statement.predicate.meta == item.meta
            && entry.signer_name.as_deref() == Some(assay_ledger::DEFAULT_KEY)
        {
            return Ok(Some(index));
        }
    }
    Ok(None)
}

static SCRATCH: AtomicU64 = AtomicU64::new(0);

/// A folder of assay's own (inside the workspace, or the system's temporary folder), removed
/// when dropped. Created fresh, so removing it never touches anything assay did not write.
pub(crate) struct Scratch(pub PathBuf);

impl Scratch {
    pub(crate) fn new(parent: &Path, what: &str) -> Result<Scratch, AssessError> {
        fs::create_dir_all(parent).map_err(|e| AssessError::io(parent, e))?;
        loop {
            let n = SCRATCH.fetch_add(1, Ordering::Relaxed);
            let dir = parent.join(format!(".assay-{what}-{}-{n}", std::process::id()));
            match fs::create_dir(&dir) {
                Ok(()) => return Ok(Scratch(dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(AssessError::io(&dir, e)),
            }
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The ledger's bundle of entry `index`, as file names and bytes.
fn export_bundle(ledger: &Ledger, index: u64) -> Result<Vec<(String, Vec<u8>)>, AssessError> {
    let scratch = Scratch::new(&ledger.dir().join("tmp"), "export")?;
    ledger.export(index, &scratch.0)?;
    let mut out = Vec::new();
    let mut entries: Vec<_> = fs::read_dir(&scratch.0)
        .map_err(|e| AssessError::io(&scratch.0, e))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let bytes = fs::read(&path).map_err(|err| AssessError::io(&path, err))?;
        out.push((e.file_name().to_string_lossy().into_owned(), bytes));
    }
    Ok(out)
}

/// The filing package: the security assessment report, every evidence file with its signed
/// statement, the signers' public keys, and a manifest of digests.
///
/// Evidence bytes this run read and hashed itself (`held`) are shipped as read; the rest come
/// from the ledger's store, checked against their signed digest here.
fn filing(
    p: &mut Package,
    a: &Assessment,
    ledger: &Ledger,
    held: &BTreeMap<Sha256Digest, Vec<u8>>,
) -> Result<(), AssessError> {
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    // Digests already known (evidence files, each equal to its entry's signed digest).
    let mut known: BTreeMap<String, Sha256Digest> = BTreeMap::new();
    files.insert(
        "security-assessment-report.html".into(),
        assay_report::filing_report_html(a).into_bytes(),
    );
    let mut signers = BTreeSet::new();
    for e in &a.evidence {
        let entry = ledger.entry(e.index)?;
        let blob = match held.get(&entry.blob_digest) {
            Some(bytes) => bytes.clone(),
            None => {
                let bytes = ledger.blob(&entry.blob_digest)?;
                if Sha256Digest::of(&bytes) != entry.blob_digest {
                    return Err(AssessError::Package(format!(
                        "evidence entry {} ({}): the stored file no longer matches its signed digest; run `assay log verify` and restore the workspace",
                        e.index,
                        assay_core::text::quote_short(&e.file_name)
                    )));
                }
                bytes
            }
        };
        let name = format!(
            "{:06}-{}",
            e.index,
            assay_core::safe_file_name(&e.file_name)
        );
        known.insert(format!("evidence/{name}"), entry.blob_digest);
        files.insert(format!("evidence/{name}"), blob);
        files.insert(
            format!("signatures/{name}.dsse.json"),
            entry.envelope_bytes.clone(),
        );
        if let Some(n) = entry.signer_name {
            signers.insert(n);
        }
    }
    for s in signers {
        files.insert(
            format!("keys/{}.pub", assay_core::safe_file_name(&s)),
            format!("{}\n", ledger.export_key(&s)?).into_bytes(),
        );
    }
    files.insert(
        "README.txt".into(),
        b"Security assessment filing package generated by assay.\n\
security-assessment-report.html  the report\n\
evidence/                        the evidence files, named <ledger index>-<file name>\n\
signatures/                      each file's signed in-toto statement (DSSE envelope, Ed25519)\n\
keys/                            the signers' public keys (signed-note verifier keys)\n\
MANIFEST.sha256                  SHA-256 of every file above (sha256sum -c MANIFEST.sha256)\n\n\
The keys in keys/ ship inside the package they verify: a signature checked with them shows the\n\
files are unchanged since signing, not who signed. Compare each key's fingerprint (the report's\n\
evidence table: SHA-256 of the public key, first 16 hex digits) with one obtained from the\n\
issuer directly.\n"
            .to_vec(),
    );
    let lines: Vec<String> = files
        .iter()
        .map(|(rel, bytes)| {
            let digest = known
                .get(rel)
                .copied()
                .unwrap_or_else(|| Sha256Digest::of(bytes));
            format!("{}  {rel}", digest.to_hex())
        })
        .collect();
    files.insert(
        "MANIFEST.sha256".into(),
        (lines.join("\n") + "\n").into_bytes(),
    );
    for (rel, bytes) in files {
        p.put(format!("filing/{rel}"), bytes);
    }
    Ok(())
}
