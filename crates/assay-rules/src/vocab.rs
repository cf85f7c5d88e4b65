//! The closed vocabularies manifests and packs share: subject kinds, product categories,
//! functions, intended uses, source statuses and obligation force. Closed sets catch typos at
//! parse time (with the line and column of the bad word) instead of silently matching nothing.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! vocabulary {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $label:literal),+ $(,)? }) => {
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

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($label => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary!(
    /// What a subject is: hardware with firmware, or an AI model with weights.
    SubjectKind {
        Device => "device",
        AiModel => "ai-model",
    }
);

vocabulary!(
    /// Product or model category. The named ones are those the shipped packs speak about;
    /// `other` keeps a manifest valid for subjects no pack names.
    Category {
        FaceRecognitionTerminal3d => "face-recognition-terminal-3d",
        IrisLock => "iris-lock",
        VeinLock => "vein-lock",
        Respirator => "respirator",
        GasMask => "gas-mask",
        FrontierModel => "frontier-model",
        Other => "other",
    }
);

vocabulary!(
    /// A function the subject performs. Packs scope on these (the CAC opinions cover products
    /// "with autonomous decision-making functions"), so they are declared, never inferred.
    Function {
        AutonomousDecision => "autonomous-decision",
        LivenessDetection => "liveness-detection",
        BiometricIdentification => "biometric-identification",
        BiometricVerification => "biometric-verification",
        AccessControl => "access-control",
        RespiratoryProtection => "respiratory-protection",
        GasDetection => "gas-detection",
        GeneralPurposeAi => "general-purpose-ai",
    }
);

vocabulary!(
    /// What a subject is used for in a market.
    Use {
        FederalProcurement => "federal-procurement",
        CriticalFacilityAccess => "critical-facility-access",
        Government => "government",
        Commercial => "commercial",
        Consumer => "consumer",
        Research => "research",
    }
);

vocabulary!(
    /// How sure we are of a fact: read from the issuing body (primary), reported by others
    /// (secondary), or not confirmed by any source we hold (unverified). Ordered from least to
    /// most sure, so the confidence of a chain is its minimum.
    SourceStatus {
        Unverified => "unverified",
        Secondary => "secondary",
        Primary => "primary",
    }
);

vocabulary!(
    /// Whether an obligation binds (mandatory) or is a recommendation (voluntary). Voluntary
    /// obligations come out as advice and never fail a check.
    Force {
        Mandatory => "mandatory",
        Voluntary => "voluntary",
    }
);

vocabulary!(
    /// Where a constraint's number or rule comes from. Only `sourced` rests on the pack's
    /// sources; the others are shown as such in every explanation and lower the confidence to
    /// `unverified`, because no source states them.
    Basis {
        Sourced => "sourced",
        Interpretation => "interpretation",
        AssayPolicy => "assay-policy",
    }
);

vocabulary!(
    /// What an obligation's verdict (and a market's) rests on, from weakest to strongest:
    /// an assay policy rule that no source states, assay's interpretation of a source, a
    /// requirement reported by secondary sources (news, vendors), or one confirmed by a
    /// primary source (the issuing body). Only `reported` and `confirmed` verdicts can block
    /// on their own; `policy` and `interpretation` ones block only when the user's own policy
    /// file enforces them (see [`crate::UserPolicy`]).
    VerdictBasis {
        Policy => "policy",
        Interpretation => "interpretation",
        Reported => "reported",
        Confirmed => "confirmed",
    }
);

impl VerdictBasis {
    /// The basis of a verdict that rests only on its sources: primary is confirmed, secondary
    /// reported; a source we hold but could not verify is read as our interpretation (it
    /// states nothing we could check, so it never blocks on its own).
    pub fn of_sources(status: SourceStatus) -> VerdictBasis {
        match status {
            SourceStatus::Primary => VerdictBasis::Confirmed,
            SourceStatus::Secondary => VerdictBasis::Reported,
            SourceStatus::Unverified => VerdictBasis::Interpretation,
        }
    }

    /// The basis of a verdict that rests on a constraint of basis `b` (not `sourced`).
    pub fn of_rule(b: Basis) -> Option<VerdictBasis> {
        match b {
            Basis::Sourced => None,
            Basis::Interpretation => Some(VerdictBasis::Interpretation),
            Basis::AssayPolicy => Some(VerdictBasis::Policy),
        }
    }

    /// True when a source states the requirement (primary or secondary): such a verdict can
    /// block on its own.
    pub fn is_sourced(self) -> bool {
        matches!(self, VerdictBasis::Reported | VerdictBasis::Confirmed)
    }

    /// The words shown beside a verdict.
    pub fn describe(self) -> &'static str {
        match self {
            VerdictBasis::Confirmed => "confirmed: required by a primary source",
            VerdictBasis::Reported => "reported: stated by secondary sources only",
            VerdictBasis::Interpretation => {
                "interpretation: assay's reading, not stated by a source"
            }
            VerdictBasis::Policy => "assay policy: not a sourced requirement",
        }
    }
}
