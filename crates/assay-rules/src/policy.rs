//! The user's own policy: which rules that no source states (constraints of basis
//! `assay-policy` or `interpretation`) the user makes mandatory for their products.
//!
//! By default such a rule never blocks on its own: an obligation that is unmet or failing only
//! because of it is shown `at risk` with basis `policy` or `interpretation`. A policy file
//! lists the obligations whose unsourced rules the user adopts, by `pack-id/obligation-id`:
//!
//! ```toml
//! # my-policy.toml
//! enforce = ["us-cisa-kev-remediation/kev-remediated-by-due-date"]
//! ```
//!
//! Given to `assay rules check --enforce`, those obligations block
//! like sourced ones (marked `enforced`). Entries are checked against the packs loaded: an
//! entry naming no obligation, or an obligation with no unsourced rule, is an error (a typo
//! would otherwise silently enforce nothing).

use std::path::Path;

use serde::Deserialize;

use crate::engine::{Applicability, Evaluation, Status, tally};
use crate::error::{RulesError, display_path, parse_toml, read_file};
use crate::pack::RulePack;
use crate::vocab::Force;

/// Most entries a policy file may list.
const MAX_ENTRIES: usize = 1000;

/// A user policy file (TOML).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPolicy {
    /// `pack-id/obligation-id` of each obligation whose unsourced rules the user makes
    /// mandatory.
    #[serde(default)]
    pub enforce: Vec<String>,
    /// The file it was read from and its text, to name the line of a bad entry.
    #[serde(skip)]
    origin: String,
    #[serde(skip)]
    text: String,
}

impl UserPolicy {
    /// Reads and parses a policy file (check it against the packs with [`UserPolicy::check`]).
    pub fn from_path(path: &Path) -> Result<UserPolicy, RulesError> {
        let text = read_file(path)?;
        UserPolicy::from_toml(&text, &display_path(path))
    }

    /// Parses policy text; `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<UserPolicy, RulesError> {
        let mut policy: UserPolicy =
            parse_toml(text, file, "policy file", "the format is in docs/rules.md")?;
        policy.origin = file.to_string();
        policy.text = text.to_string();
        if policy.enforce.len() > MAX_ENTRIES {
            return Err(RulesError::invalid(
                file,
                "enforce",
                format!("{} entries, at most {MAX_ENTRIES}", policy.enforce.len()),
                "list only the obligations whose unsourced rules you adopt",
            ));
        }
        Ok(policy)
    }

    /// Checks every entry against `packs`: it must name `pack-id/obligation-id` of an
    /// obligation that holds a rule no source states. The error names the file and line.
    pub fn check(&self, packs: &[RulePack]) -> Result<(), RulesError> {
        let (file, text) = (self.origin.as_str(), self.text.as_str());
        for entry in &self.enforce {
            let found = entry.split_once('/').and_then(|(p, o)| {
                packs
                    .iter()
                    .find(|pack| pack.id == p)
                    .and_then(|pack| pack.obligations.iter().find(|ob| &*ob.id == o))
            });
            let err = |message: String, hint: &str| {
                RulesError::invalid(file, "enforce", message, hint).at_value(text, entry)
            };
            match found {
                None => {
                    return Err(err(
                        format!(
                            "{} names no obligation of the packs loaded",
                            assay_core::quote(entry, 120)
                        ),
                        "write `pack-id/obligation-id` as `assay rules packs` lists them",
                    ));
                }
                Some(ob) if !ob.evidence.iter().any(crate::engine::has_unsourced_rule) => {
                    return Err(err(
                        format!(
                            "{} holds no assay-policy or interpretation rule to enforce",
                            assay_core::quote(entry, 120)
                        ),
                        "remove the entry: its sourced rules already block",
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    fn enforces(&self, pack_id: &str, obligation_id: &str) -> bool {
        self.enforce.iter().any(|e| {
            e.split_once('/')
                .is_some_and(|(p, o)| p == pack_id && o == obligation_id)
        })
    }
}

/// Applies the user's policy to an evaluation: a mandatory obligation that applies and is
/// unmet or failing only by an unsourced rule blocks when the policy enforces it (marked
/// `enforced`); the summary is counted again.
pub fn enforce(evaluation: &mut Evaluation, policy: &UserPolicy) {
    if policy.enforce.is_empty() {
        return;
    }
    let mut summary = crate::engine::Summary::default();
    for r in &mut evaluation.results {
        for o in &mut r.obligations {
            if !o.blocking
                && policy.enforces(&r.pack_id, &o.id)
                && o.force == Force::Mandatory
                && o.applicability == Applicability::Applies
                && matches!(o.status, Status::Unmet | Status::Failing)
            {
                o.blocking = true;
                o.enforced = true;
            }
            tally(&mut summary, o);
        }
    }
    evaluation.summary = summary;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        Day, EvalContext, EvidenceRecord, SourceStatus, SubjectManifest, VerdictBasis, evaluate,
        load_packs,
    };

    const KEV: &str = "us-cisa-kev-remediation";

    fn manifest(uses: &str) -> SubjectManifest {
        SubjectManifest::from_toml(
            &format!(
                r#"
id = "dev"
name = "Device"
vendor = "V"
kind = "device"
category = "iris-lock"
[[market]]
country = "US"
uses = [{uses}]
"#
            ),
            "m.toml",
        )
        .unwrap()
    }

    /// A trusted scan of the subject, dated `scan_date`, with `overdue` KEV findings past due.
    fn scan(scan_date: &str, overdue: u32) -> Vec<EvidenceRecord> {
        serde_json::from_value(serde_json::json!([{
            "index": 1,
            "kind": "vuln-scan",
            "subject": "dev",
            "blob_digest": "629b75238c24ac940275921b4c9da70375ffc949a90e76445fd4b7f3ee1795f9",
            "signer_key_id": "k",
            "signer_is_own": true,
            "recorded_at": format!("{scan_date}T09:00:00Z"),
            "meta": { "scan_date": scan_date, "kev_overdue": overdue.to_string() }
        }]))
        .unwrap()
    }

    fn run(uses: &str, evidence: &[EvidenceRecord]) -> Evaluation {
        let packs = load_packs(true, &[]).unwrap();
        let ctx = EvalContext {
            today: Day::parse("2026-11-22").unwrap(),
            markets: Vec::new(),
            consistency: None,
        };
        evaluate(&manifest(uses), &packs, evidence, &ctx)
    }

    fn kev<'a>(e: &'a Evaluation, id: &str) -> &'a crate::ObligationResult {
        e.results
            .iter()
            .filter(|r| &*r.pack_id == KEV)
            .flat_map(|r| r.obligations.iter())
            .find(|o| &*o.id == id)
            .unwrap()
    }

    /// Point 2: a clean scan older than the 30-day assay-policy limit leaves the federal KEV
    /// obligation unmet on assay policy alone: not blocking (the old engine blocked, exit 1),
    /// until the user's policy enforces it.
    #[test]
    fn stale_clean_scan_blocks_only_when_the_user_policy_enforces_it() {
        let mut e = run("\"federal-procurement\"", &scan("2026-10-01", 0));
        let o = kev(&e, "kev-remediated-by-due-date");
        assert_eq!(o.status, Status::Unmet);
        assert_eq!(o.basis, VerdictBasis::Policy);
        assert!(!o.blocking && !o.enforced);
        assert!(!e.has_blocking());
        assert_eq!(e.summary.unsourced_open, 1);

        let text = "enforce = [\"us-cisa-kev-remediation/kev-remediated-by-due-date\"]\n";
        let policy = UserPolicy::from_toml(text, "policy.toml").unwrap();
        policy.check(&load_packs(true, &[]).unwrap()).unwrap();
        enforce(&mut e, &policy);
        let o = kev(&e, "kev-remediated-by-due-date");
        assert!(o.blocking && o.enforced);
        assert!(e.has_blocking());
        assert_eq!((e.summary.blocking, e.summary.unsourced_open), (1, 0));
    }

    /// An overdue finding in a fresh scan fails on the catalog's own due date: sourced, so it
    /// blocks without any policy (basis from the sources: bod-26-04 is secondary).
    #[test]
    fn overdue_finding_in_a_fresh_scan_blocks_on_its_sources() {
        let e = run("\"federal-procurement\"", &scan("2026-11-20", 1));
        let o = kev(&e, "kev-remediated-by-due-date");
        assert_eq!(o.status, Status::Failing);
        assert_eq!(o.basis, VerdictBasis::Reported);
        assert!(o.blocking);
    }

    /// A stale scan that also shows an overdue finding: without the age limit the scan still
    /// fails on a sourced rule, so the verdict does not rest on policy alone and blocks.
    #[test]
    fn stale_scan_with_an_overdue_finding_still_blocks() {
        let e = run("\"federal-procurement\"", &scan("2026-10-01", 2));
        let o = kev(&e, "kev-remediated-by-due-date");
        assert_eq!(o.status, Status::Unmet);
        assert_eq!(o.basis, VerdictBasis::Reported);
        assert!(o.blocking);
    }

    /// Point 6: with no scan at all, the unused age limit does not make the advice
    /// "unverified" (it was before): its confidence is its sources'.
    #[test]
    fn no_evidence_is_not_unverified_noise() {
        let e = run("\"commercial\"", &[]);
        let o = kev(&e, "kev-remediated-advice");
        assert_eq!(o.status, Status::Unmet);
        assert_ne!(o.confidence, SourceStatus::Unverified);
        assert!(o.basis.is_sourced());
    }

    #[test]
    fn policy_entries_are_checked_against_the_packs() {
        let packs = load_packs(true, &[]).unwrap();
        let unknown = "enforce = [\"us-cisa-kev-remediation/kev-typo\"]\n";
        let err = UserPolicy::from_toml(unknown, "p.toml")
            .unwrap()
            .check(&packs)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("p.toml:1") && err.contains("names no obligation"),
            "{err}"
        );
        let sourced = "enforce = [\"cn-cac-intelligent-agents-2026/export-filing\"]\n";
        let err = UserPolicy::from_toml(sourced, "p.toml")
            .unwrap()
            .check(&packs)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no assay-policy or interpretation rule"),
            "{err}"
        );
        let typo = "enforced = []\n";
        let err = UserPolicy::from_toml(typo, "p.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("p.toml:1:1"), "{err}");
    }
}
