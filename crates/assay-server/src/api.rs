//! The route registry and the handlers of `/api/v1`.
//!
//! [`ROUTES`] is the one list of endpoints: the router is built from it (each route wrapped in
//! the authorisation middleware with its [`Action`]), the OpenAPI document is generated from
//! it, and the tests walk it. A route cannot exist without an action and a place in the
//! document.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post, put};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::Principal;
use crate::policy::{Action, Role};
use crate::problem::Problem;
use crate::store::{TokenRecord, User};
use crate::{AppState, cases, evidence, now, openapi, review, token};

/// One endpoint: method, path (axum and OpenAPI share the `{param}` syntax), the action the
/// authorisation table decides on, and whether each decision is written to the audit log.
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub action: Action,
    pub summary: &'static str,
    pub audited: bool,
    /// The JSON request body's schema, if the route takes one.
    pub request: Option<fn() -> Value>,
    /// Status of a success.
    pub success: u16,
    /// Takes an evidence bundle: the body limit is [`crate::Limits::evidence_bytes`] instead of
    /// [`crate::Limits::body_bytes`].
    pub large_body: bool,
    pub(crate) handler: fn() -> MethodRouter<AppState>,
}

impl std::fmt::Debug for RouteSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

macro_rules! route {
    ($m:ident $method:ident $path:literal, $action:ident, $audited:literal, $success:literal,
     $req:expr, $summary:literal, $h:path) => {
        RouteSpec {
            method: Method::$m,
            path: $path,
            action: Action::$action,
            summary: $summary,
            audited: $audited,
            request: $req,
            success: $success,
            large_body: false,
            handler: || $method($h),
        }
    };
    (large $m:ident $method:ident $path:literal, $action:ident, $audited:literal, $success:literal,
     $req:expr, $summary:literal, $h:path) => {
        RouteSpec {
            large_body: true,
            ..route!($m $method $path, $action, $audited, $success, $req, $summary, $h)
        }
    };
}

pub static ROUTES: &[RouteSpec] = &[
    route!(GET get "/api/v1/health", Health, false, 200, None,
        "Liveness and the schema version", health),
    route!(GET get "/api/v1/openapi.json", ReadApiDocument, false, 200, None,
        "This API's OpenAPI 3.1 document", openapi_document),
    route!(GET get "/api/v1/me", ReadSelf, true, 200, None,
        "The calling user, organisation and role", me),
    route!(GET get "/api/v1/organisations", ListOrganisations, true, 200, None,
        "List organisations (paginated by after/limit)", list_organisations),
    route!(POST post "/api/v1/organisations", CreateOrganisation, true, 201,
        Some(schema_name), "Create an organisation", create_organisation),
    route!(GET get "/api/v1/organisations/{id}", ReadOrganisation, true, 200, None,
        "One organisation", read_organisation),
    route!(GET get "/api/v1/users", ListUsers, true, 200, None,
        "List users (filter by organisation; paginated)", list_users),
    route!(POST post "/api/v1/users", CreateUser, true, 201, Some(schema_new_user),
        "Create a user with a role in an organisation", create_user),
    route!(PUT put "/api/v1/users/{id}/role", GrantRole, true, 200, Some(schema_role),
        "Grant a user a role (replaces the old one)", grant_role),
    route!(POST post "/api/v1/tokens", CreateToken, true, 201, Some(schema_new_token),
        "Create an API token (the secret is in this response only)", create_token),
    route!(GET get "/api/v1/tokens", ListTokens, true, 200, None,
        "List tokens (never their secrets)", list_tokens),
    route!(DELETE delete "/api/v1/tokens/{id}", RevokeToken, true, 204, None,
        "Revoke a token", revoke_token),
    route!(GET get "/api/v1/audit", ReadAuditLog, true, 200, None,
        "Read the audit log (paginated by after/limit)", read_audit),
    route!(POST post "/api/v1/issuers", AddIssuer, true, 201,
        Some(evidence::schema_new_issuer), "Trust an issuer's public key for evidence",
        evidence::add_issuer),
    route!(GET get "/api/v1/issuers", ListIssuers, true, 200, None,
        "List the trusted issuers", evidence::list_issuers),
    route!(large POST post "/api/v1/evidence", UploadEvidence, true, 201,
        Some(evidence::schema_upload),
        "Upload a signed evidence bundle (verified before it is stored; 200 if held already)",
        evidence::upload),
    route!(GET get "/api/v1/evidence", ListEvidence, true, 200, None,
        "List evidence (own organisation; admins filter by organisation_id; paginated)",
        evidence::list),
    route!(GET get "/api/v1/evidence/{id}", ReadEvidence, true, 200, None,
        "One evidence record and its verified facts", evidence::read),
    route!(GET get "/api/v1/evidence/{id}/file", DownloadEvidence, true, 200, None,
        "Download the evidence file", evidence::download_file),
    route!(GET get "/api/v1/evidence/{id}/envelope", DownloadEvidence, true, 200, None,
        "Download the signed DSSE envelope", evidence::download_envelope),
    route!(GET get "/api/v1/evidence/{id}/proof", DownloadEvidence, true, 200, None,
        "The issuer log's inclusion proof and signed checkpoint, as verified on upload",
        evidence::proof),
    route!(POST post "/api/v1/submissions", SubmitModel, true, 201,
        Some(review::schema_submit),
        "Submit a model for pre-release review (opens its review window)", review::submit),
    route!(GET get "/api/v1/submissions", ListSubmissions, true, 200, None,
        "List submissions (own organisation; reviewers and partners: granted, window open)",
        review::list),
    route!(GET get "/api/v1/submissions/{id}", ReadSubmission, true, 200, None,
        "One submission: deadlines, evidence, access, events and feedback", review::read),
    route!(POST post "/api/v1/submissions/{id}/access", GrantReviewAccess, true, 201,
        Some(review::schema_access),
        "Give a reviewer (admin) or trusted partner (developer) access for the window",
        review::grant),
    route!(POST post "/api/v1/submissions/{id}/transition", TransitionSubmission, true, 200,
        Some(review::schema_transition),
        "Move a submission: submitted -> under-review -> feedback -> closed",
        review::transition),
    route!(POST post "/api/v1/submissions/{id}/feedback", AttachFeedback, true, 201,
        Some(review::schema_feedback), "Attach a reviewer's feedback report",
        review::feedback),
    route!(GET get "/api/v1/reviews/dashboard", ReadReviewDashboard, true, 200, None,
        "Open review windows, overdue ones flagged", review::dashboard),
    route!(GET get "/api/v1/checkpoint", ReadCheckpoint, false, 200, None,
        "The server ledger's latest signed checkpoint", review::checkpoint),
    route!(GET get "/api/v1/ledger/{index}/proof", ProveLedgerEntry, true, 200, None,
        "Inclusion proof of a server ledger entry against the latest checkpoint",
        review::proof),
    route!(large POST post "/api/v1/cases", AssessCase, true, 201, Some(cases::schema_case),
        "Upload a case folder; it is assessed in the organisation's workspace and the package kept",
        cases::assess_case),
    route!(GET get "/api/v1/packages", ListPackages, true, 200, None,
        "List kept packages (own organisation; admins name organisation_id)", cases::list),
    route!(GET get "/api/v1/packages/{id}", ReadPackage, true, 200, None,
        "One package: its files and the check of its signed attestation", cases::read),
    route!(GET get "/api/v1/packages/{id}/file", DownloadPackage, true, 200, None,
        "Download one file of a package (?path= as listed)", cases::download),
];

// ---- extractors ----

/// Request bodies must be bounded JSON objects; errors name the field.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "send the body as application/json",
            )
            .with_field("Content-Type"));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| Problem::new(e.status(), "body", "Request body refused", e.body_text()))?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de)
            .map(JsonBody)
            .map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let field = if path == "." || path.is_empty() {
                    // serde names a missing or unknown field in the message: `missing field `x``.
                    inner
                        .to_string()
                        .split('`')
                        .nth(1)
                        .map(str::to_string)
                        .unwrap_or_else(|| "body".into())
                } else {
                    path
                };
                Problem::bad_request(&field, format!("{field}: {inner}"))
            })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    pub(crate) after: Option<i64>,
    pub(crate) limit: Option<u32>,
    pub(crate) organisation_id: Option<i64>,
    pub(crate) user_id: Option<i64>,
}

const PAGE_DEFAULT: u32 = 100;
const PAGE_MAX: u32 = 1000;

pub(crate) fn page(q: Result<Query<Page>, QueryRejection>) -> Result<(Page, u32), Problem> {
    let Query(p) = q.map_err(|e| Problem::bad_request("query", e.body_text()))?;
    let limit = p.limit.unwrap_or(PAGE_DEFAULT);
    if limit == 0 || limit > PAGE_MAX {
        return Err(Problem::bad_request(
            "limit",
            format!("limit must be 1 to {PAGE_MAX}, got {limit}"),
        ));
    }
    Ok((p, limit))
}

pub(crate) fn id_param(raw: &str, field: &str) -> Result<i64, Problem> {
    raw.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
        Problem::bad_request(
            field,
            format!(
                "{field} must be a positive integer, got {}",
                assay_core::text::quote_short(raw)
            ),
        )
    })
}

const NAME_MAX: usize = 100;

fn check_name(field: &str, name: &str) -> Result<String, Problem> {
    let trimmed = name.trim();
    if trimmed.is_empty() || trimmed.chars().count() > NAME_MAX {
        return Err(Problem::bad_request(
            field,
            format!("{field} must be 1 to {NAME_MAX} characters"),
        ));
    }
    if trimmed.chars().any(|c| c.is_control()) {
        return Err(Problem::bad_request(
            field,
            format!(
                "{field} must not contain control characters: {}",
                assay_core::text::quote_short(trimmed)
            ),
        ));
    }
    Ok(trimmed.to_string())
}

fn parse_role(field: &str, s: &str) -> Result<Role, Problem> {
    Role::parse(s).filter(|r| r.grantable()).ok_or_else(|| {
        let names: Vec<_> = Role::ALL
            .iter()
            .filter(|r| r.grantable())
            .map(|r| r.as_str())
            .collect();
        Problem::bad_request(
            field,
            format!(
                "unknown role {}; use one of: {}",
                assay_core::text::quote_short(s),
                names.join(", ")
            ),
        )
    })
}

fn created(v: impl Serialize) -> Response {
    (StatusCode::CREATED, axum::Json(v)).into_response()
}

// ---- schemas (for the OpenAPI document) ----

fn schema_name() -> Value {
    json!({"type":"object","required":["name"],"additionalProperties":false,
           "properties":{"name":{"type":"string","minLength":1,"maxLength":NAME_MAX}}})
}
fn schema_new_user() -> Value {
    json!({"type":"object","required":["organisation_id","name","role"],"additionalProperties":false,
           "properties":{"organisation_id":{"type":"integer"},
                         "name":{"type":"string","minLength":1,"maxLength":NAME_MAX},
                         "role":{"$ref":"#/components/schemas/Role"}}})
}
fn schema_role() -> Value {
    json!({"type":"object","required":["role"],"additionalProperties":false,
           "properties":{"role":{"$ref":"#/components/schemas/Role"}}})
}
fn schema_new_token() -> Value {
    json!({"type":"object","required":["name"],"additionalProperties":false,
           "properties":{"name":{"type":"string","minLength":1,"maxLength":NAME_MAX},
                         "expires_in_days":{"type":"integer","minimum":1,"maximum":MAX_TOKEN_DAYS},
                         "user_id":{"type":"integer","description":"admin only: a token for another user"}}})
}

// ---- handlers ----

async fn health(State(app): State<AppState>) -> Result<Response, Problem> {
    let version = app.blocking(|s| s.schema_version()).await?;
    Ok(axum::Json(json!({"status": "ok", "schema_version": version})).into_response())
}

async fn openapi_document() -> Response {
    axum::Json(openapi::document()).into_response()
}

async fn me(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
) -> Result<Response, Problem> {
    let user = p
        .user
        .clone()
        .ok_or_else(|| Problem::unauthorized("no user"))?;
    let org_id = user.organisation_id;
    let org = app.blocking(move |s| s.organisation(org_id)).await?;
    Ok(axum::Json(json!({
        "user": user,
        "organisation": org,
        "role": p.role,
        "token_id": p.token_id,
    }))
    .into_response())
}

async fn list_organisations(
    State(app): State<AppState>,
    q: Result<Query<Page>, QueryRejection>,
) -> Result<Response, Problem> {
    let (p, limit) = page(q)?;
    let after = p.after.unwrap_or(0);
    let items = app
        .blocking(move |s| s.list_organisations(after, limit))
        .await?;
    Ok(axum::Json(json!({"items": items})).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NameBody {
    name: String,
}

async fn create_organisation(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
    JsonBody(body): JsonBody<NameBody>,
) -> Result<Response, Problem> {
    let name = check_name("name", &body.name)?;
    let audit = p.audit(
        Action::CreateOrganisation.as_str(),
        String::new(),
        true,
        format!("name {}", assay_core::text::quote_short(&name)),
    );
    let org = app
        .blocking(move |s| s.create_organisation(&name, &audit))
        .await?;
    Ok(created(org))
}

async fn read_organisation(
    State(app): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    let id = id_param(&raw, "id")?;
    let org = app.blocking(move |s| s.organisation(id)).await?;
    org.map(|o| axum::Json(o).into_response())
        .ok_or_else(|| Problem::not_found(format!("organisation {id} not found")))
}

async fn list_users(
    State(app): State<AppState>,
    q: Result<Query<Page>, QueryRejection>,
) -> Result<Response, Problem> {
    let (p, limit) = page(q)?;
    let (after, org) = (p.after.unwrap_or(0), p.organisation_id);
    let items = app
        .blocking(move |s| s.list_users(org, after, limit))
        .await?;
    Ok(axum::Json(json!({"items": items})).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    organisation_id: i64,
    name: String,
    role: String,
}

async fn create_user(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
    JsonBody(body): JsonBody<NewUser>,
) -> Result<Response, Problem> {
    let name = check_name("name", &body.name)?;
    let role = parse_role("role", &body.role)?;
    let audit = p.audit(
        Action::CreateUser.as_str(),
        String::new(),
        true,
        String::new(),
    );
    let org = body.organisation_id;
    let user = app
        .blocking(move |s| s.create_user(org, &name, role, &audit))
        .await?;
    Ok(created(user))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleBody {
    role: String,
}

async fn grant_role(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<RoleBody>,
) -> Result<Response, Problem> {
    let id = id_param(&raw, "id")?;
    let role = parse_role("role", &body.role)?;
    if p.user_id() == Some(id) && role != Role::Admin {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "refused",
            "Refused",
            "an admin cannot take their own admin role away; another admin must",
        )
        .with_field("role"));
    }
    let audit = p.audit(
        Action::GrantRole.as_str(),
        String::new(),
        true,
        String::new(),
    );
    let user = app.blocking(move |s| s.set_role(id, role, &audit)).await?;
    Ok(axum::Json(user).into_response())
}

pub const DEFAULT_TOKEN_DAYS: i64 = 90;
pub const MAX_TOKEN_DAYS: i64 = 366;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
    expires_in_days: Option<i64>,
    user_id: Option<i64>,
}

/// A new token record for `user`; the text is returned to show once.
pub fn new_token(user_id: i64, name: &str, days: i64) -> Result<(TokenRecord, String), Problem> {
    let minted = token::mint().map_err(|e| Problem::internal(e.to_string()))?;
    let at = now();
    Ok((
        TokenRecord {
            id: minted.id,
            user_id,
            name: name.to_string(),
            secret_sha256: minted.secret_sha256,
            created_at: at,
            expires_at: at + days * 86_400,
            revoked_at: None,
        },
        minted.text,
    ))
}

/// Whom a token call is about: the caller, or (admins only) the user named.
fn subject_user(p: &Principal, requested: Option<i64>) -> Result<i64, Problem> {
    let me: &User = p
        .user
        .as_ref()
        .ok_or_else(|| Problem::unauthorized("no user"))?;
    match requested {
        None => Ok(me.id),
        Some(id) if id == me.id => Ok(id),
        Some(id) if p.role == Role::Admin => Ok(id),
        Some(_) => Err(
            Problem::forbidden("only an admin manages another user's tokens").with_field("user_id"),
        ),
    }
}

async fn create_token(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
    JsonBody(body): JsonBody<NewToken>,
) -> Result<Response, Problem> {
    let name = check_name("name", &body.name)?;
    let days = body.expires_in_days.unwrap_or(DEFAULT_TOKEN_DAYS);
    if !(1..=MAX_TOKEN_DAYS).contains(&days) {
        return Err(Problem::bad_request(
            "expires_in_days",
            format!("expires_in_days must be 1 to {MAX_TOKEN_DAYS}, got {days}"),
        ));
    }
    let user_id = match subject_user(&p, body.user_id) {
        Ok(u) => u,
        Err(problem) => {
            let audit = p.audit(
                Action::CreateToken.as_str(),
                format!("user:{}", body.user_id.unwrap_or(0)),
                false,
                problem.detail.clone(),
            );
            app.blocking(move |s| s.append_audit(&audit)).await?;
            return Err(problem);
        }
    };
    let (record, text) = new_token(user_id, &name, days)?;
    let audit = p.audit(
        Action::CreateToken.as_str(),
        String::new(),
        true,
        String::new(),
    );
    let r = record.clone();
    app.blocking(move |s| s.create_token(&r, &audit)).await?;
    Ok(created(json!({
        "id": record.id,
        "user_id": record.user_id,
        "name": record.name,
        "created_at": record.created_at,
        "expires_at": record.expires_at,
        "token": text,
    })))
}

async fn list_tokens(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
    q: Result<Query<Page>, QueryRejection>,
) -> Result<Response, Problem> {
    let (page, _) = page(q)?;
    let user_id = subject_user(&p, page.user_id)?;
    let items = app.blocking(move |s| s.list_tokens(user_id)).await?;
    Ok(axum::Json(json!({"items": items})).into_response())
}

async fn revoke_token(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Problem::bad_request(
            "id",
            format!(
                "a token id is 16 hex digits, got {}",
                assay_core::text::quote_short(&id)
            ),
        ));
    }
    // Admins revoke any token; others only their own (someone else's is "not found").
    let owner = if p.role == Role::Admin {
        None
    } else {
        p.user_id()
    };
    let audit = p.audit(
        Action::RevokeToken.as_str(),
        String::new(),
        true,
        String::new(),
    );
    let key = id.clone();
    let found = app
        .blocking(move |s| s.revoke_token(&key, owner, &audit))
        .await?;
    if found {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(Problem::not_found(format!("token {id} not found")).with_field("id"))
    }
}

async fn read_audit(
    State(app): State<AppState>,
    q: Result<Query<Page>, QueryRejection>,
) -> Result<Response, Problem> {
    let (p, limit) = page(q)?;
    let after = p.after.unwrap_or(0);
    let items = app.blocking(move |s| s.list_audit(after, limit)).await?;
    Ok(axum::Json(json!({"items": items})).into_response())
}
