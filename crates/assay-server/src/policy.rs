//! Roles, actions and the one table that decides who may do what.
//!
//! Every route names one [`Action`]; the authorisation middleware (`crate::auth`) looks the
//! caller's [`Role`] and that action up in [`allowed`] and nowhere else. Scoping inside an
//! allowed action (a developer revokes only their own tokens) is the handler's job and never
//! widens what this table grants.

use serde::{Deserialize, Serialize};

/// A caller's role. Every user has exactly one; a request without a token is [`Role::Public`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Admin,
    Developer,
    Manufacturer,
    Lab,
    Reviewer,
    TrustedPartner,
    Buyer,
    Public,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::Developer,
        Role::Manufacturer,
        Role::Lab,
        Role::Reviewer,
        Role::TrustedPartner,
        Role::Buyer,
        Role::Public,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Developer => "developer",
            Role::Manufacturer => "manufacturer",
            Role::Lab => "lab",
            Role::Reviewer => "reviewer",
            Role::TrustedPartner => "trusted-partner",
            Role::Buyer => "buyer",
            Role::Public => "public",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Roles a user account can hold (`public` is the absence of a token, never granted).
    pub fn grantable(self) -> bool {
        self != Role::Public
    }
}

/// What a route does, for the authorisation table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Health,
    ReadApiDocument,
    ReadSelf,
    ListOrganisations,
    CreateOrganisation,
    ReadOrganisation,
    ListUsers,
    CreateUser,
    GrantRole,
    CreateToken,
    ListTokens,
    RevokeToken,
    ReadAuditLog,
    AddIssuer,
    ListIssuers,
    UploadEvidence,
    ListEvidence,
    ReadEvidence,
    DownloadEvidence,
    SubmitModel,
    ListSubmissions,
    ReadSubmission,
    GrantReviewAccess,
    TransitionSubmission,
    AttachFeedback,
    ReadReviewDashboard,
    ReadCheckpoint,
    ProveLedgerEntry,
    AssessCase,
    ListPackages,
    ReadPackage,
    DownloadPackage,
}

impl Action {
    pub const ALL: [Action; 32] = [
        Action::Health,
        Action::ReadApiDocument,
        Action::ReadSelf,
        Action::ListOrganisations,
        Action::CreateOrganisation,
        Action::ReadOrganisation,
        Action::ListUsers,
        Action::CreateUser,
        Action::GrantRole,
        Action::CreateToken,
        Action::ListTokens,
        Action::RevokeToken,
        Action::ReadAuditLog,
        Action::AddIssuer,
        Action::ListIssuers,
        Action::UploadEvidence,
        Action::ListEvidence,
        Action::ReadEvidence,
        Action::DownloadEvidence,
        Action::SubmitModel,
        Action::ListSubmissions,
        Action::ReadSubmission,
        Action::GrantReviewAccess,
        Action::TransitionSubmission,
        Action::AttachFeedback,
        Action::ReadReviewDashboard,
        Action::ReadCheckpoint,
        Action::ProveLedgerEntry,
        Action::AssessCase,
        Action::ListPackages,
        Action::ReadPackage,
        Action::DownloadPackage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Health => "health",
            Action::ReadApiDocument => "read-api-document",
            Action::ReadSelf => "read-self",
            Action::ListOrganisations => "list-organisations",
            Action::CreateOrganisation => "create-organisation",
            Action::ReadOrganisation => "read-organisation",
            Action::ListUsers => "list-users",
            Action::CreateUser => "create-user",
            Action::GrantRole => "grant-role",
            Action::CreateToken => "create-token",
            Action::ListTokens => "list-tokens",
            Action::RevokeToken => "revoke-token",
            Action::ReadAuditLog => "read-audit-log",
            Action::AddIssuer => "add-issuer",
            Action::ListIssuers => "list-issuers",
            Action::UploadEvidence => "upload-evidence",
            Action::ListEvidence => "list-evidence",
            Action::ReadEvidence => "read-evidence",
            Action::DownloadEvidence => "download-evidence",
            Action::SubmitModel => "submit-model",
            Action::ListSubmissions => "list-submissions",
            Action::ReadSubmission => "read-submission",
            Action::GrantReviewAccess => "grant-review-access",
            Action::TransitionSubmission => "transition-submission",
            Action::AttachFeedback => "attach-feedback",
            Action::ReadReviewDashboard => "read-review-dashboard",
            Action::ReadCheckpoint => "read-checkpoint",
            Action::ProveLedgerEntry => "prove-ledger-entry",
            Action::AssessCase => "assess-case",
            Action::ListPackages => "list-packages",
            Action::ReadPackage => "read-package",
            Action::DownloadPackage => "download-package",
        }
    }
}

/// Who may do what: one row per action, the roles allowed. Everything not listed is denied.
const TABLE: &[(Action, &[Role])] = {
    use Role::*;
    const ANYONE: &[Role] = &[
        Admin,
        Developer,
        Manufacturer,
        Lab,
        Reviewer,
        TrustedPartner,
        Buyer,
        Public,
    ];
    const SIGNED_IN: &[Role] = &[
        Admin,
        Developer,
        Manufacturer,
        Lab,
        Reviewer,
        TrustedPartner,
        Buyer,
    ];
    const ADMIN: &[Role] = &[Admin];
    // Who produces evidence: the roles whose organisations run tests or ship products.
    const EVIDENCE_WRITERS: &[Role] = &[Admin, Developer, Manufacturer, Lab];
    // Who reads an organisation's evidence (their own organisation's; admins any). Buyers and
    // trusted partners see evidence only once a manufacturer grants it (not built yet).
    const EVIDENCE_READERS: &[Role] = &[Admin, Developer, Manufacturer, Lab, Reviewer];
    const REVIEW_READERS: &[Role] = &[Admin, Developer, Reviewer, TrustedPartner];
    &[
        (Action::Health, ANYONE),
        (Action::ReadApiDocument, ANYONE),
        (Action::ReadSelf, SIGNED_IN),
        (Action::ListOrganisations, ADMIN),
        (Action::CreateOrganisation, ADMIN),
        (Action::ReadOrganisation, ADMIN),
        (Action::ListUsers, ADMIN),
        (Action::CreateUser, ADMIN),
        (Action::GrantRole, ADMIN),
        (Action::CreateToken, SIGNED_IN),
        (Action::ListTokens, SIGNED_IN),
        (Action::RevokeToken, SIGNED_IN),
        (Action::ReadAuditLog, ADMIN),
        (Action::AddIssuer, ADMIN),
        (Action::ListIssuers, SIGNED_IN),
        (Action::UploadEvidence, EVIDENCE_WRITERS),
        (Action::ListEvidence, EVIDENCE_READERS),
        (Action::ReadEvidence, EVIDENCE_READERS),
        (Action::DownloadEvidence, EVIDENCE_READERS),
        // Pre-release review (issue #13 point 4). Developers submit their models and
        // designate trusted partners; admins assign reviewers. Reviewers and trusted partners
        // reach a submission only through a grant and only while its window is open: that
        // narrowing is in `review.rs` (`Access`), never wider than these rows.
        (Action::SubmitModel, &[Admin, Developer]),
        (Action::ListSubmissions, REVIEW_READERS),
        (Action::ReadSubmission, REVIEW_READERS),
        (Action::GrantReviewAccess, &[Admin, Developer]),
        (Action::TransitionSubmission, &[Admin, Developer, Reviewer]),
        (Action::AttachFeedback, &[Admin, Reviewer]),
        (Action::ReadReviewDashboard, &[Admin, Developer, Reviewer]),
        // The server ledger's signed checkpoint is public (anyone may witness it); proofs
        // name only hashes, for any signed-in caller.
        (Action::ReadCheckpoint, ANYONE),
        (Action::ProveLedgerEntry, SIGNED_IN),
        // Case upload runs `assess` in the organisation's workspace: who writes evidence;
        // its packages are read like its evidence (own organisation; admins any).
        (Action::AssessCase, EVIDENCE_WRITERS),
        (Action::ListPackages, EVIDENCE_READERS),
        (Action::ReadPackage, EVIDENCE_READERS),
        (Action::DownloadPackage, EVIDENCE_READERS),
    ]
};

/// The one authorisation decision: may `role` perform `action`?
pub fn allowed(role: Role, action: Action) -> bool {
    TABLE
        .iter()
        .find(|(a, _)| *a == action)
        .is_some_and(|(_, roles)| roles.contains(&role))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_row_and_only_one() {
        for action in Action::ALL {
            let rows = TABLE.iter().filter(|(a, _)| *a == action).count();
            assert_eq!(rows, 1, "{action:?} must have exactly one row");
        }
        assert_eq!(TABLE.len(), Action::ALL.len());
    }

    #[test]
    fn public_never_gets_an_admin_action() {
        for action in [Action::CreateUser, Action::GrantRole, Action::ReadAuditLog] {
            assert!(!allowed(Role::Public, action));
            assert!(allowed(Role::Admin, action));
        }
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
