//! Authentication (bearer tokens) and the one authorisation middleware every route passes.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::RouteSpec;
use crate::policy::{self, Role};
use crate::problem::Problem;
use crate::store::{AuditEntry, User};
use crate::{AppState, now, token};

/// Who is calling. Inserted into the request by [`authorize`] for handlers to read.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user: Option<User>,
    pub token_id: Option<String>,
    pub role: Role,
}

impl Principal {
    fn public() -> Self {
        Principal {
            user: None,
            token_id: None,
            role: Role::Public,
        }
    }

    pub fn actor(&self) -> String {
        match &self.user {
            Some(u) => format!("user:{}", u.id),
            None => "public".into(),
        }
    }

    pub fn user_id(&self) -> Option<i64> {
        self.user.as_ref().map(|u| u.id)
    }

    /// An audit row for this caller.
    pub fn audit(&self, action: &str, target: String, allowed: bool, detail: String) -> AuditEntry {
        AuditEntry {
            at: now(),
            actor_user_id: self.user_id(),
            actor: self.actor(),
            action: action.into(),
            target,
            allowed,
            detail,
        }
    }
}

/// Resolves the `Authorization` header: none is the public role; a present but bad token is an
/// error (never silently public, so a typo does not look like missing permissions).
async fn authenticate(
    app: &AppState,
    headers: &axum::http::HeaderMap,
) -> Result<Principal, (Problem, String)> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Principal::public());
    };
    let bad = |d: &str, actor: String| (Problem::unauthorized(d.to_string()), actor);
    let text = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            bad(
                "the Authorization header must be `Bearer assay_pat_…`",
                "invalid-token".into(),
            )
        })?;
    let (id, secret) = token::parse(text.trim()).ok_or_else(|| {
        bad(
            "the bearer token is not an assay token (assay_pat_<16 hex>_<64 hex>)",
            "invalid-token".into(),
        )
    })?;
    let (id, secret) = (id.to_string(), secret.to_string());
    let actor = format!("token:{id}");
    let found = app
        .blocking(move |s| s.token(&id))
        .await
        .map_err(|p| (p, actor.clone()))?;
    let Some((record, user)) = found else {
        return Err(bad("the token is not valid", actor));
    };
    // Ids are not secret (they name the row); only the secret is compared, in constant time.
    if !token::secret_matches(&secret, &record.secret_sha256) {
        return Err(bad("the token is not valid", actor));
    }
    if record.revoked_at.is_some() {
        return Err(bad("the token was revoked; ask for a new one", actor));
    }
    if record.expires_at <= app.now() {
        return Err(bad("the token has expired; create a new one", actor));
    }
    Ok(Principal {
        role: user.role,
        user: Some(user),
        token_id: Some(record.id),
    })
}

/// The one authorisation decision point: every route of the registry is wrapped in this.
pub async fn authorize(
    State((app, route)): State<(AppState, &'static RouteSpec)>,
    mut req: Request,
    next: Next,
) -> Response {
    let target = req.uri().path().to_string();
    let principal = match authenticate(&app, req.headers()).await {
        Ok(p) => p,
        Err((problem, actor)) => {
            let entry = AuditEntry {
                at: now(),
                actor_user_id: None,
                actor,
                action: route.action.as_str().into(),
                target,
                allowed: false,
                detail: problem.detail.clone(),
            };
            let _ = app.blocking(move |s| s.append_audit(&entry)).await;
            return problem.into_response();
        }
    };
    let allowed = policy::allowed(principal.role, route.action);
    if route.audited || !allowed {
        let entry = principal.audit(
            route.action.as_str(),
            target,
            allowed,
            format!(
                "{} {} as {}",
                route.method,
                route.path,
                principal.role.as_str()
            ),
        );
        if let Err(p) = app.blocking(move |s| s.append_audit(&entry)).await {
            // An access we cannot record is an access we do not grant.
            return p.into_response();
        }
    }
    if !allowed {
        return if principal.user.is_none() {
            Problem::unauthorized(format!(
                "{} needs a token with one of the roles allowed to {}",
                route.path,
                route.action.as_str()
            ))
            .into_response()
        } else {
            Problem::forbidden(format!(
                "the role {} may not {}",
                principal.role.as_str(),
                route.action.as_str()
            ))
            .into_response()
        };
    }
    req.extensions_mut().insert(principal);
    next.run(req).await
}
