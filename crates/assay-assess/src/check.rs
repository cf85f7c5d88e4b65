//! `check`: re-verifies a [`Package`] with what it holds: every digest in the filing manifest,
//! every evidence signature, the signed dossier attestation, and that the verdicts still
//! follow from the recorded inputs and the rule packs.

use std::collections::BTreeSet;
use std::path::PathBuf;

use assay_core::Sha256Digest;
use assay_ledger::dsse::Statement;
use assay_ledger::keys::{PublicKeyText, parse_public_key};
use serde::Serialize;
use serde_json::Value;

use assay_report::Assessment;

use crate::package::Scratch;
use crate::{AssessError, Package};

/// One check and how it went.
#[derive(Debug, Clone, Serialize)]
pub struct CheckItem {
    #[serde(rename = "check")]
    pub what: String,
    pub ok: bool,
    pub detail: String,
}

/// Every check of a package.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub checks: Vec<CheckItem>,
}

impl CheckReport {
    /// True when every check passed.
    pub fn is_valid(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }
}

/// Re-verifies a package. A failed check is a row of the report; an error means the package
/// could not be checked at all (not an assessment package, unreadable inputs).
pub fn check(package: &Package) -> Result<CheckReport, AssessError> {
    if package.get("assessment.json").is_none() {
        return Err(AssessError::Package(
            "not an assessment package (no assessment.json); give the --out folder of `assay assess`"
                .into(),
        ));
    }
    let mut checks = Vec::new();
    check_manifest(package, &mut checks)?;
    check_signatures(package, &mut checks)?;
    check_attestation(package, &mut checks)?;
    check_verdicts(package, &mut checks)?;
    Ok(CheckReport { checks })
}

fn item(what: &str, ok: bool, detail: String) -> CheckItem {
    CheckItem {
        what: what.into(),
        ok,
        detail,
    }
}

fn missing(path: &str) -> AssessError {
    AssessError::Package(format!("{path} missing"))
}

fn check_manifest(p: &Package, checks: &mut Vec<CheckItem>) -> Result<(), AssessError> {
    let text = p
        .get("filing/MANIFEST.sha256")
        .ok_or_else(|| missing("filing/MANIFEST.sha256"))?;
    let text = String::from_utf8_lossy(text);
    let mut listed = BTreeSet::new();
    let (mut good, mut bad) = (0, Vec::new());
    for (n, line) in text.lines().enumerate() {
        let Some((digest, rel)) = line.split_once("  ") else {
            bad.push(format!("line {} is not `DIGEST  PATH`", n + 1));
            continue;
        };
        listed.insert(rel.to_string());
        match p.get(&format!("filing/{rel}")) {
            Some(bytes) if Sha256Digest::of(bytes).to_hex() == digest => good += 1,
            Some(_) => bad.push(format!("{} changed", assay_core::quote(rel, 200))),
            None => bad.push(format!("{} missing", assay_core::quote(rel, 200))),
        }
    }
    for (rel, _) in p.under("filing") {
        if rel != "MANIFEST.sha256" && !listed.contains(rel) {
            bad.push(format!("{rel} is not in the manifest"));
        }
    }
    checks.push(item(
        "filing manifest digests",
        bad.is_empty(),
        if bad.is_empty() {
            format!("{good} files match")
        } else {
            bad.join("; ")
        },
    ));
    Ok(())
}

fn load_keys<'a>(
    files: impl Iterator<Item = (&'a str, &'a [u8])>,
    prefix: &str,
) -> Result<Vec<PublicKeyText>, AssessError> {
    let mut keys = Vec::new();
    for (rel, bytes) in files {
        let text = String::from_utf8_lossy(bytes);
        keys.push(
            parse_public_key(&text)
                .map_err(|e| AssessError::Package(format!("{prefix}/{rel}: {e}")))?,
        );
    }
    Ok(keys)
}

/// Verifies one envelope against `keys` and returns the statement it signs: the ledger's one
/// envelope check (`assay_ledger::dsse::verify_envelope`), used by bundles and import too.
fn open_envelope(bytes: &[u8], keys: &[PublicKeyText]) -> Result<Statement, String> {
    let keys: Vec<_> = keys.iter().map(|k| k.key).collect();
    assay_ledger::dsse::verify_envelope(bytes, &keys)
        .map(|verified| verified.statement)
        .map_err(|e| e.to_string())
}

fn check_signatures(p: &Package, checks: &mut Vec<CheckItem>) -> Result<(), AssessError> {
    let keys = load_keys(p.under("filing/keys"), "filing/keys")?;
    let (mut good, mut bad) = (0, Vec::new());
    for (name, envelope) in p.under("filing/signatures") {
        let evidence_name = name.trim_end_matches(".dsse.json");
        let result = open_envelope(envelope, &keys).and_then(|st| {
            let (_, digest) = st.subject_and_digest()?;
            let bytes = p
                .get(&format!("filing/evidence/{evidence_name}"))
                .ok_or_else(|| format!("evidence/{evidence_name} missing"))?;
            if Sha256Digest::of(bytes) == digest {
                Ok(())
            } else {
                Err(format!(
                    "evidence/{evidence_name} is not the file its statement signs"
                ))
            }
        });
        match result {
            Ok(()) => good += 1,
            Err(e) => bad.push(format!("{name}: {e}")),
        }
    }
    checks.push(item(
        "evidence signatures",
        bad.is_empty(),
        if bad.is_empty() {
            format!("{good} signed statements verify")
        } else {
            bad.join("; ")
        },
    ));
    Ok(())
}

fn check_attestation(p: &Package, checks: &mut Vec<CheckItem>) -> Result<(), AssessError> {
    let mut keys = load_keys(p.under("filing/keys"), "filing/keys")?;
    if let Some(k) = p
        .get("attestation/signer.pub")
        .and_then(|b| parse_public_key(&String::from_utf8_lossy(b)).ok())
    {
        keys.push(k);
    }
    // The bundle verifier reads a folder: hand it the attestation in a scratch folder of ours.
    let scratch = Scratch::new(&std::env::temp_dir(), "check")?;
    for (rel, bytes) in p.under("attestation") {
        if rel.contains('/') {
            continue;
        }
        let path: PathBuf = scratch.0.join(rel);
        std::fs::write(&path, bytes).map_err(|e| AssessError::io(&path, e))?;
    }
    let report = assay_ledger::verify_bundle(&scratch.0, &keys)?;
    let failed: Vec<String> = report
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{}: {}", c.check, c.detail))
        .collect();
    checks.push(item(
        "dossier attestation (bundle)",
        failed.is_empty(),
        if failed.is_empty() {
            format!(
                "entry {} of log {}",
                report.manifest.index, report.manifest.log_origin
            )
        } else {
            failed.join("; ")
        },
    ));
    let attested = p
        .get(&format!("attestation/{}", report.manifest.file))
        .unwrap_or_default();
    let dossier = p.get("dossier.html").unwrap_or_default();
    checks.push(item(
        "dossier.html is the attested one",
        !dossier.is_empty() && attested == dossier,
        format!("sha256 {}", Sha256Digest::of(dossier).short()),
    ));
    let envelope = p
        .get(&format!("attestation/{}", report.manifest.envelope))
        .unwrap_or_default();
    let meta_digest = open_envelope(envelope, &keys)
        .ok()
        .and_then(|st| st.predicate.meta.get("assessment_digest").cloned());
    let assessment = p.get("assessment.json").unwrap_or_default();
    checks.push(item(
        "assessment.json is the attested one",
        meta_digest.as_deref() == Some(Sha256Digest::of(assessment).to_hex().as_str()),
        format!("sha256 {}", Sha256Digest::of(assessment).short()),
    ));
    Ok(())
}

fn check_verdicts(p: &Package, checks: &mut Vec<CheckItem>) -> Result<(), AssessError> {
    let bad = |what: &str, e: &dyn std::fmt::Display| AssessError::Package(format!("{what}: {e}"));
    let subject = p
        .get("inputs/subject.toml")
        .ok_or_else(|| missing("inputs/subject.toml"))?;
    let manifest = assay_rules::SubjectManifest::from_toml(
        &String::from_utf8_lossy(subject),
        "inputs/subject.toml",
    )?;
    let records: Vec<assay_rules::EvidenceRecord> = serde_json::from_slice(
        p.get("inputs/evidence-records.json")
            .ok_or_else(|| missing("inputs/evidence-records.json"))?,
    )
    .map_err(|e| {
        bad(
            "inputs/evidence-records.json is not a list of evidence records",
            &e,
        )
    })?;
    let context: Value = serde_json::from_slice(
        p.get("inputs/context.json")
            .ok_or_else(|| missing("inputs/context.json"))?,
    )
    .map_err(|e| bad("inputs/context.json", &e))?;
    // Extra packs travel in the package; they are parsed from a scratch folder of ours.
    let scratch = Scratch::new(&std::env::temp_dir(), "packs")?;
    let mut extra = Vec::new();
    for f in context["extra_packs"].as_array().into_iter().flatten() {
        let Some(name) = f.as_str() else { continue };
        let bytes = p
            .get(&format!("inputs/packs/{name}"))
            .ok_or_else(|| missing(&format!("inputs/packs/{name}")))?;
        let path = scratch.0.join(assay_core::safe_file_name(name));
        std::fs::write(&path, bytes).map_err(|e| AssessError::io(&path, e))?;
        extra.push(path);
    }
    let extra_refs: Vec<&std::path::Path> = extra.iter().map(|p| p.as_path()).collect();
    let packs = assay_rules::load_packs(true, &extra_refs)?;
    let docs: Vec<assay_rules::consistency::Document> = p
        .under("inputs/docs")
        .map(|(name, text)| assay_rules::consistency::Document {
            name: name.to_string(),
            text: String::from_utf8_lossy(text).into_owned(),
        })
        .collect();
    let consistency =
        (!docs.is_empty()).then(|| assay_rules::consistency::check(Some(&manifest), &docs));
    let date = context["date"]
        .as_str()
        .and_then(assay_rules::Day::parse)
        .ok_or_else(|| AssessError::Package("inputs/context.json has no date".into()))?;
    let markets = context["markets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    let evaluation = assay_rules::evaluate(
        &manifest,
        &packs,
        &records,
        &assay_rules::EvalContext {
            today: date,
            markets,
            consistency: consistency.as_ref(),
        },
    );
    let detail_ok = format!(
        "{} obligations re-evaluated on {date} with {} packs",
        evaluation
            .results
            .iter()
            .map(|r| r.obligations.len())
            .sum::<usize>(),
        packs.len()
    );
    let recorded: Assessment =
        match serde_json::from_slice(p.get("assessment.json").unwrap_or_default()) {
            Ok(a) => a,
            Err(e) => {
                checks.push(item(
                    "verdicts follow from inputs and packs",
                    false,
                    format!("assessment.json does not read as an assessment: {e}"),
                ));
                return Ok(());
            }
        };
    let difference = compare(&recorded, &manifest, date, &packs, &evaluation);
    checks.push(item(
        "verdicts follow from inputs and packs",
        difference.is_none(),
        difference.unwrap_or(detail_ok),
    ));
    Ok(())
}

/// Compares the typed assessment read from the package with what the inputs and packs give
/// now: the date, the subject, the packs applied, the evaluation and the market verdicts.
/// Returns the first field that differs, with both values.
fn compare(
    recorded: &Assessment,
    manifest: &assay_rules::SubjectManifest,
    date: assay_rules::Day,
    packs: &[assay_rules::RulePack],
    evaluation: &assay_rules::Evaluation,
) -> Option<String> {
    fn differs<T: PartialEq + std::fmt::Display>(
        field: &str,
        recorded: T,
        now: T,
    ) -> Option<String> {
        (recorded != now).then(|| format!("{field}: recorded {recorded}, recomputed {now}"))
    }
    let shown = |d: Option<Sha256Digest>| d.map_or_else(|| "none".to_string(), |d| d.to_hex());
    if let Some(d) = differs("date", recorded.date, date) {
        return Some(d);
    }
    if let Some(d) = differs(
        "subject.id",
        recorded.subject.id.as_str(),
        manifest.id.as_str(),
    ) {
        return Some(d);
    }
    if let Some(d) = differs(
        "subject.artefact_digest",
        shown(recorded.subject.artefact_digest),
        shown(manifest.firmware_digest.or(manifest.model_digest)),
    ) {
        return Some(d);
    }
    if recorded.packs.len() != packs.len() {
        return Some(format!(
            "packs has {} items, recomputed {}",
            recorded.packs.len(),
            packs.len()
        ));
    }
    for (i, (r, p)) in recorded.packs.iter().zip(packs).enumerate() {
        if let Some(d) = differs(&format!("packs[{i}].id"), r.id.as_str(), p.id.as_str())
            .or_else(|| differs(&format!("packs[{i}].digest"), r.digest, p.digest))
        {
            return Some(d);
        }
    }
    // A reason is serialised as its rendered line and read back as that line: compare the
    // recomputed evaluation after the same round trip, so both sides hold the same form.
    let now: assay_rules::Evaluation = serde_json::to_value(evaluation)
        .and_then(serde_json::from_value)
        .expect("an evaluation reads back");
    if recorded.evaluation != now {
        return Some(
            first_difference(
                &serde_json::to_value(&recorded.evaluation).expect("evaluations serialise"),
                &serde_json::to_value(&now).expect("evaluations serialise"),
                "evaluation",
            )
            .unwrap_or_else(|| "the evaluation differs".into()),
        );
    }
    let markets = assay_report::market_summaries(evaluation);
    if recorded.markets.len() != markets.len() {
        return Some(format!(
            "markets has {} items, recomputed {}",
            recorded.markets.len(),
            markets.len()
        ));
    }
    for (i, (r, m)) in recorded.markets.iter().zip(&markets).enumerate() {
        let d = differs(
            &format!("markets[{i}].market"),
            r.market.as_str(),
            m.market.as_str(),
        )
        .or_else(|| {
            differs(
                &format!("markets[{i}].status"),
                r.status.label(),
                m.status.label(),
            )
        })
        .or_else(|| differs(&format!("markets[{i}].why"), r.why.as_str(), m.why.as_str()));
        if d.is_some() {
            return d;
        }
    }
    None
}

/// The first path at which two JSON values differ, for a message that says where.
fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    None => return Some(format!("{path}.{k} is no longer produced")),
                    Some(w) => {
                        if let Some(d) = first_difference(v, w, &format!("{path}.{k}")) {
                            return Some(d);
                        }
                    }
                }
            }
            y.keys()
                .find(|k| !x.contains_key(*k))
                .map(|k| format!("{path}.{k} is new"))
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Some(format!(
                    "{path} has {} items, recomputed {}",
                    x.len(),
                    y.len()
                ));
            }
            x.iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (v, w))| first_difference(v, w, &format!("{path}[{i}]")))
        }
        _ if a != b => Some(format!("{path}: recorded {a}, recomputed {b}")),
        _ => None,
    }
}
