use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::Sha256Digest;

use serde::{Deserialize, Serialize};

/// A name that is not one of a closed set; the message lists the valid names.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown {what} `{input}`; expected one of: {valid}")]
pub struct UnknownName {
    pub what: &'static str,
    pub input: String,
    pub valid: String,
}

macro_rules! closed_set {
    ($(#[$m:meta])* $name:ident, $what:literal, { $($variant:ident => $label:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $( #[serde(rename = $label)] $variant, )+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($label => Ok($name::$variant),)+
                    _ => Err(UnknownName {
                        what: $what,
                        input: s.to_string(),
                        valid: [$($label),+].join(", "),
                    }),
                }
            }
        }
    };
}

closed_set!(
    /// What a piece of evidence is. Each kind has its own in-toto predicate type URI, so a
    /// verifier can tell a PAD report from an SBOM without opening the blob.
    EvidenceKind, "evidence kind", {
        PadCampaign => "pad-campaign",
        PadReport => "pad-report",
        VulnScan => "vuln-scan",
        Sbom => "sbom",
        Advisory => "advisory",
        Vex => "vex",
        EvalRun => "eval-run",
        EvalReport => "eval-report",
        SecurityAssessmentReport => "security-assessment-report",
        FilingReceipt => "filing-receipt",
        LabAccreditation => "lab-accreditation",
        TechnicalFile => "technical-file",
        ProductDescription => "product-description",
        Dossier => "dossier",
        TestSample => "test-sample",
        LabBooking => "lab-booking",
        PriorValidation => "prior-validation",
    }
);

impl EvidenceKind {
    /// The in-toto predicateType for statements of this kind.
    pub fn predicate_type(self) -> String {
        format!("https://assay.dev/evidence/{}/v1", self.as_str())
    }

    /// Inverse of [`EvidenceKind::predicate_type`].
    pub fn from_predicate_type(uri: &str) -> Option<Self> {
        let label = uri
            .strip_prefix("https://assay.dev/evidence/")?
            .strip_suffix("/v1")?;
        label.parse().ok()
    }
}

closed_set!(
    /// The role a trusted issuer holds. Obligations ask for evidence from a given role (a PAD
    /// report from a lab, say), so trust is never just "known key".
    IssuerRole, "issuer role", {
        Lab => "lab",
        Manufacturer => "manufacturer",
        Developer => "developer",
        Reviewer => "reviewer",
    }
);

impl IssuerRole {
    /// A third party to whoever relies on its evidence: a test lab, an agency reviewer. A
    /// workspace's own key never holds such a role (a key is never its own third party); a
    /// workspace may declare itself a manufacturer or a developer.
    pub fn is_third_party(self) -> bool {
        matches!(self, IssuerRole::Lab | IssuerRole::Reviewer)
    }
}

/// One file to record as evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceInput {
    pub kind: EvidenceKind,
    /// The product, model or SKU the evidence is about.
    pub subject: String,
    /// Name of the file (directories are dropped).
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// Facts about the evidence that rule packs judge.
    pub meta: BTreeMap<String, String>,
}

/// One verified ledger entry, as the engine sees it. Evidence counts only when signed by a
/// trusted issuer (`signer_role` is set) or by the workspace's own key (`signer_is_own`); an
/// own key holds no issuer role, so it never satisfies a requirement that names a role.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct EvidenceRecord {
    pub index: u64,
    pub kind: EvidenceKind,
    pub subject: String,
    pub blob_digest: Sha256Digest,
    #[serde(default)]
    pub signer_name: Option<String>,
    pub signer_key_id: String,
    #[serde(default)]
    pub signer_role: Option<IssuerRole>,
    #[serde(default)]
    pub signer_is_own: bool,
    /// RFC 3339 time the ledger recorded the entry.
    pub recorded_at: String,
    #[serde(default)]
    pub meta: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_names_and_predicate_types() {
        for kind in EvidenceKind::ALL {
            assert_eq!(kind.as_str().parse::<EvidenceKind>().unwrap(), *kind);
            assert_eq!(
                EvidenceKind::from_predicate_type(&kind.predicate_type()),
                Some(*kind)
            );
        }
        assert_eq!(EvidenceKind::ALL.len(), 17);
    }

    #[test]
    fn unknown_kind_lists_the_valid_ones() {
        let err = "pad".parse::<EvidenceKind>().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("unknown evidence kind `pad`"), "{msg}");
        assert!(msg.contains("pad-campaign"), "{msg}");
        assert!("auditor".parse::<IssuerRole>().is_err());
        assert_eq!("lab".parse::<IssuerRole>().unwrap(), IssuerRole::Lab);
    }
}
