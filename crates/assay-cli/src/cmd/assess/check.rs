//! `assay assess --check OUT`: re-verifies an output folder with what it holds: every digest
//! in the filing manifest, every evidence signature, the signed dossier attestation, and that
//! the verdicts still follow from the recorded inputs and the rule packs.

use std::fs;
use std::path::Path;

use anyhow::Context as _;
use assay_core::Sha256Digest;
use assay_ledger::dsse::{Envelope, Statement, pae};
use assay_ledger::keys::{PublicKeyText, key_id, parse_public_key, verify};
use serde_json::Value;

use crate::context::{Ctx, Format, Outcome};
use crate::output::print_json;

struct Check {
    what: String,
    ok: bool,
    detail: String,
}

pub fn run(ctx: &Ctx, out: &Path) -> anyhow::Result<Outcome> {
    if !out.join("assessment.json").is_file() {
        anyhow::bail!(
            "{} is not an assessment output folder (no assessment.json); give the --out folder of `assay assess`",
            out.display()
        );
    }
    let mut checks = Vec::new();
    check_manifest(out, &mut checks)?;
    check_signatures(out, &mut checks)?;
    check_attestation(out, &mut checks)?;
    check_verdicts(out, &mut checks)?;
    let ok = checks.iter().all(|c| c.ok);
    if ctx.format == Format::Json {
        let rows: Vec<Value> = checks
            .iter()
            .map(|c| serde_json::json!({"check": c.what, "ok": c.ok, "detail": c.detail}))
            .collect();
        print_json(&serde_json::json!({"valid": ok, "checks": rows}))?;
    } else {
        for c in &checks {
            if !c.ok || !ctx.quiet {
                println!(
                    "{} {:<34} {}",
                    if c.ok { "ok  " } else { "FAIL" },
                    c.what,
                    c.detail
                );
            }
        }
        println!(
            "{}: {}",
            if ok { "VALID" } else { "INVALID" },
            out.display()
        );
    }
    Ok(if ok { Outcome::Ok } else { Outcome::Failed })
}

fn check_manifest(out: &Path, checks: &mut Vec<Check>) -> anyhow::Result<()> {
    let filing = out.join("filing");
    let manifest = filing.join("MANIFEST.sha256");
    let text = fs::read_to_string(&manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let mut listed = std::collections::BTreeSet::new();
    let (mut good, mut bad) = (0, Vec::new());
    for (n, line) in text.lines().enumerate() {
        let Some((digest, rel)) = line.split_once("  ") else {
            bad.push(format!("line {} is not `DIGEST  PATH`", n + 1));
            continue;
        };
        listed.insert(rel.to_string());
        match fs::read(filing.join(rel)) {
            Ok(bytes) if Sha256Digest::of(&bytes).to_hex() == digest => good += 1,
            Ok(_) => bad.push(format!("{rel} changed")),
            Err(_) => bad.push(format!("{rel} missing")),
        }
    }
    for path in super::output::walk(&filing)? {
        let rel = path
            .strip_prefix(&filing)?
            .to_string_lossy()
            .replace('\\', "/");
        if rel != "MANIFEST.sha256" && !listed.contains(&rel) {
            bad.push(format!("{rel} is not in the manifest"));
        }
    }
    checks.push(Check {
        what: "filing manifest digests".into(),
        ok: bad.is_empty(),
        detail: if bad.is_empty() {
            format!("{good} files match")
        } else {
            bad.join("; ")
        },
    });
    Ok(())
}

fn load_keys(dir: &Path) -> anyhow::Result<Vec<PublicKeyText>> {
    let mut keys = Vec::new();
    if dir.is_dir() {
        for path in super::output::walk(dir)? {
            let text = fs::read_to_string(&path)?;
            keys.push(
                parse_public_key(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
            );
        }
    }
    Ok(keys)
}

/// Verifies one envelope against `keys` and returns the statement it signs.
fn open_envelope(bytes: &[u8], keys: &[PublicKeyText]) -> Result<Statement, String> {
    let env: Envelope =
        serde_json::from_slice(bytes).map_err(|e| format!("not a DSSE envelope ({e})"))?;
    let (kid, sig) = env.first_signature()?;
    let key = keys
        .iter()
        .find(|k| key_id(&k.key) == kid)
        .ok_or_else(|| format!("signed by key id {kid}, not among the package's keys"))?;
    let payload = env.payload_bytes()?;
    if !verify(&key.key, &pae(&env.payload_type, &payload), &sig) {
        return Err("signature does not verify".into());
    }
    serde_json::from_slice(&payload).map_err(|e| format!("payload is not a statement ({e})"))
}

fn check_signatures(out: &Path, checks: &mut Vec<Check>) -> anyhow::Result<()> {
    let filing = out.join("filing");
    let keys = load_keys(&filing.join("keys"))?;
    let sig_dir = filing.join("signatures");
    let (mut good, mut bad) = (0, Vec::new());
    if sig_dir.is_dir() {
        for path in super::output::walk(&sig_dir)? {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let evidence_name = name.trim_end_matches(".dsse.json");
            let result = open_envelope(&fs::read(&path)?, &keys).and_then(|st| {
                let (_, digest) = st.subject_and_digest()?;
                let bytes = fs::read(filing.join("evidence").join(evidence_name))
                    .map_err(|_| format!("evidence/{evidence_name} missing"))?;
                if Sha256Digest::of(&bytes) == digest {
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
    }
    checks.push(Check {
        what: "evidence signatures".into(),
        ok: bad.is_empty(),
        detail: if bad.is_empty() {
            format!("{good} signed statements verify")
        } else {
            bad.join("; ")
        },
    });
    Ok(())
}

fn check_attestation(out: &Path, checks: &mut Vec<Check>) -> anyhow::Result<()> {
    let dir = out.join("attestation");
    let keys = load_keys(&out.join("filing").join("keys"))?
        .into_iter()
        .chain(
            fs::read_to_string(dir.join("signer.pub"))
                .ok()
                .and_then(|t| parse_public_key(&t).ok()),
        )
        .collect::<Vec<_>>();
    let report = assay_ledger::verify_bundle(&dir, &keys)?;
    let failed: Vec<String> = report
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{}: {}", c.check, c.detail))
        .collect();
    checks.push(Check {
        what: "dossier attestation (bundle)".into(),
        ok: failed.is_empty(),
        detail: if failed.is_empty() {
            format!(
                "entry {} of log {}",
                report.manifest.index, report.manifest.log_origin
            )
        } else {
            failed.join("; ")
        },
    });
    let attested = fs::read(dir.join(&report.manifest.file)).unwrap_or_default();
    let dossier = fs::read(out.join("dossier.html")).unwrap_or_default();
    checks.push(Check {
        what: "dossier.html is the attested one".into(),
        ok: !dossier.is_empty() && attested == dossier,
        detail: format!("sha256 {}", Sha256Digest::of(&dossier).short()),
    });
    let envelope = fs::read(dir.join(&report.manifest.envelope))?;
    let meta_digest = open_envelope(&envelope, &keys)
        .ok()
        .and_then(|st| st.predicate.meta.get("assessment_digest").cloned());
    let assessment = fs::read(out.join("assessment.json"))?;
    checks.push(Check {
        what: "assessment.json is the attested one".into(),
        ok: meta_digest.as_deref() == Some(Sha256Digest::of(&assessment).to_hex().as_str()),
        detail: format!("sha256 {}", Sha256Digest::of(&assessment).short()),
    });
    Ok(())
}

fn check_verdicts(out: &Path, checks: &mut Vec<Check>) -> anyhow::Result<()> {
    let inputs = out.join("inputs");
    let manifest = assay_rules::load_manifest(&inputs.join("subject.toml"))?;
    let records: Vec<assay_rules::EvidenceRecord> = serde_json::from_slice(
        &fs::read(inputs.join("evidence-records.json"))
            .context("inputs/evidence-records.json missing")?,
    )
    .context("inputs/evidence-records.json is not a list of evidence records")?;
    let context: Value = serde_json::from_slice(&fs::read(inputs.join("context.json"))?)?;
    let extra: Vec<std::path::PathBuf> = context["extra_packs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(|f| inputs.join("packs").join(f)))
        .collect();
    let extra_refs: Vec<&Path> = extra.iter().map(|p| p.as_path()).collect();
    let packs = assay_rules::load_packs(true, &extra_refs)?;
    let docs_dir = inputs.join("docs");
    let mut docs = Vec::new();
    if docs_dir.is_dir() {
        for path in super::output::walk(&docs_dir)? {
            docs.push(assay_rules::consistency::Document {
                name: path.strip_prefix(&docs_dir)?.to_string_lossy().into_owned(),
                text: fs::read_to_string(&path)?,
            });
        }
    }
    let consistency =
        (!docs.is_empty()).then(|| assay_rules::consistency::check(Some(&manifest), &docs));
    let date = context["date"]
        .as_str()
        .and_then(assay_rules::Day::parse)
        .context("inputs/context.json has no date")?;
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
    let assessment: Value = serde_json::from_slice(&fs::read(out.join("assessment.json"))?)?;
    let recomputed = serde_json::to_value(&evaluation)?;
    let same = assessment["evaluation"] == recomputed;
    let mut detail = format!(
        "{} obligations re-evaluated on {date} with {} packs",
        evaluation
            .results
            .iter()
            .map(|r| r.obligations.len())
            .sum::<usize>(),
        packs.len()
    );
    if !same {
        detail = first_difference(&assessment["evaluation"], &recomputed, "evaluation")
            .unwrap_or_else(|| "the evaluation differs".into());
    }
    checks.push(Check {
        what: "verdicts follow from inputs and packs".into(),
        ok: same,
        detail,
    });
    Ok(())
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
