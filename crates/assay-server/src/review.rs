//! Pre-release review windows (issue #13 point 4), and the server ledger's proofs and
//! checkpoint.
//!
//! A developer submits a model: its name and digest, the planned release day, the manifest
//! and the organisation's verified `eval-run` / `eval-report` evidence about it (uploaded
//! before, `POST /api/v1/evidence`). The qualification is read from the signed meta of the
//! newest `eval-report` (`qualification`, written by `assay eval report`). The review window
//! opens at submission and lasts the pack's window (the frontier pack's `pre-release-submission`
//! obligation: `lead_time.max_days`, 30 days), its deadlines computed from it and from the
//! pack's `before-release` deadline.
//!
//! Access: the submitting organisation's developers and admins always; reviewers (assigned by
//! an admin) and trusted partners (designated by the developer or an admin) only through a grant
//! and only while the window is open and the submission not closed ([`Access`]). Someone with
//! no grant gets 404 (ids reveal nothing); a grant whose window ended gets 403 saying so.
//!
//! States: `submitted -> under-review -> feedback -> closed` (the organisation or an admin may
//! also close early: a withdrawal). Every transition and every feedback report is recorded
//! three times: as an event row, as an audit row (same transaction), and, when the server has
//! a ledger, as a signed `filing-receipt` entry in it (signed with the workspace's `default`
//! key; the event row names its ledger index). The ledger entry is appended first, then the
//! rows are written: a failure in between leaves a signed entry no event names, never an event
//! claiming an entry that does not exist.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use assay_core::{Day, EvidenceInput, EvidenceKind};
use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::api::{JsonBody, Page, id_param, page};
use crate::auth::Principal;
use crate::evidence::evidence_json;
use crate::policy::{Action, Role};
use crate::problem::Problem;
use crate::store::{
    EvidenceInfo, NewSubmission, NewSubmissionEvent, Submission, SubmissionAccess, SubmissionEvent,
    SubmissionScope,
};

/// The pack and obligation the review window is read from.
pub const WINDOW_PACK: &str = "us-eo-frontier-ai-cyber-2026";
pub const WINDOW_OBLIGATION: &str = "pre-release-submission";
/// Used only if the shipped pack lost its window (a test guards against that).
const FALLBACK_WINDOW_DAYS: i64 = 30;
/// A window asked for explicitly: at most two months (oCERT's longest).
pub const MAX_WINDOW_DAYS: i64 = 60;
const MAX_EVIDENCE: usize = 100;
const MAX_MODEL: usize = 200;
const MAX_NOTE: usize = 2000;
const MAX_FEEDBACK_BODY: usize = 32 * 1024;
const SEVERITIES: [&str; 5] = ["info", "low", "medium", "high", "critical"];
const DAY: i64 = 86_400;

/// The review window and the submission lead (days before release) from the rule pack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowRule {
    /// How long the review window lasts.
    pub window_days: i64,
    /// How many days before the planned release the submission is due.
    pub submit_before_release_days: i64,
}

/// Reads the window from the shipped frontier pack (once).
pub fn window_rule() -> WindowRule {
    static RULE: OnceLock<WindowRule> = OnceLock::new();
    *RULE.get_or_init(|| {
        let from_pack = assay_rules::RulePack::shipped().ok().and_then(|packs| {
            let pack = packs.into_iter().find(|p| p.id == WINDOW_PACK)?;
            let o = pack
                .obligations
                .iter()
                .find(|o| &*o.id == WINDOW_OBLIGATION)?;
            let window = o.lead_time.as_ref()?.max_days;
            let before = match o.deadline.as_ref()? {
                assay_rules::Deadline::BeforeRelease { days, .. } => *days,
                _ => return None,
            };
            Some(WindowRule {
                window_days: window,
                submit_before_release_days: before,
            })
        });
        from_pack.unwrap_or(WindowRule {
            window_days: FALLBACK_WINDOW_DAYS,
            submit_before_release_days: FALLBACK_WINDOW_DAYS,
        })
    })
}

// ---- schemas ----

pub(crate) fn schema_submit() -> Value {
    json!({"type":"object","required":["model","planned_release","evidence_ids"],
        "additionalProperties":false,
        "properties":{
            "organisation_id":{"type":"integer","description":"admin only: submit for another organisation"},
            "model":{"type":"string","minLength":1,"maxLength":MAX_MODEL,
                "description":"the model as the eval evidence names it (its subject)"},
            "model_digest":{"type":"string","pattern":"^(sha256:)?[0-9a-fA-F]{64}$"},
            "planned_release":{"type":"string","format":"date"},
            "manifest":{"type":"object","description":"the model's manifest (assay manifest TOML as JSON)"},
            "evidence_ids":{"type":"array","minItems":1,"maxItems":MAX_EVIDENCE,
                "items":{"type":"integer"},
                "description":"the organisation's eval-run / eval-report evidence; at least one eval-report"},
            "window_days":{"type":"integer","minimum":1,"maximum":MAX_WINDOW_DAYS,
                "description":"default: the rule pack's review window (30 days)"}}})
}

pub(crate) fn schema_access() -> Value {
    json!({"type":"object","required":["user_id"],"additionalProperties":false,
        "properties":{"user_id":{"type":"integer",
            "description":"a reviewer (admins assign) or trusted partner (the developer designates)"}}})
}

pub(crate) fn schema_transition() -> Value {
    json!({"type":"object","required":["to"],"additionalProperties":false,
        "properties":{
            "to":{"type":"string","enum":["under-review","feedback","closed"]},
            "note":{"type":"string","maxLength":MAX_NOTE}}})
}

pub(crate) fn schema_feedback() -> Value {
    json!({"type":"object","required":["title","body"],"additionalProperties":false,
        "properties":{
            "title":{"type":"string","minLength":1,"maxLength":200},
            "body":{"type":"string","minLength":1,"maxLength":MAX_FEEDBACK_BODY},
            "severity":{"type":"string","enum":SEVERITIES},
            "mitigations":{"type":"array","maxItems":50,"items":{"type":"string","maxLength":MAX_NOTE}}}})
}

// ---- access ----

/// What a caller may do with one submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// An admin.
    Admin,
    /// A developer of the submitting organisation.
    Owner,
    /// A reviewer or trusted partner with a grant, inside the open window.
    Granted(Role),
    /// A grant whose window has ended (or whose submission was closed).
    Ended,
    /// Nothing: the submission is "not found" to this caller.
    None,
}

fn window_open(s: &Submission, now: i64) -> bool {
    s.state != "closed" && s.opens_at <= now && now < s.closes_at
}

fn access_of(p: &Principal, s: &Submission, grants: &[SubmissionAccess], now: i64) -> Access {
    let Some(user) = p.user.as_ref() else {
        return Access::None;
    };
    match p.role {
        Role::Admin => Access::Admin,
        Role::Developer if user.organisation_id == s.organisation_id => Access::Owner,
        Role::Reviewer | Role::TrustedPartner => {
            if !grants.iter().any(|g| g.user_id == user.id) {
                Access::None
            } else if window_open(s, now) {
                Access::Granted(p.role)
            } else {
                Access::Ended
            }
        }
        _ => Access::None,
    }
}

fn not_found(id: i64) -> Problem {
    Problem::not_found(format!("submission {id} not found")).with_field("id")
}

/// The submission `raw` names with the caller's access; "not found" when they have none,
/// 403 (audited) when their window ended.
async fn load(
    app: &AppState,
    p: &Principal,
    raw: &str,
    action: Action,
) -> Result<(Submission, Vec<SubmissionAccess>, Access), Problem> {
    let id = id_param(raw, "id")?;
    let found = app
        .blocking(move |s| {
            let sub = s.submission(id)?;
            let grants = match &sub {
                Some(_) => s.submission_access(id)?,
                None => Vec::new(),
            };
            Ok((sub, grants))
        })
        .await?;
    let (Some(sub), grants) = found else {
        return Err(not_found(id));
    };
    match access_of(p, &sub, &grants, app.now()) {
        Access::None => Err(not_found(id)),
        Access::Ended => {
            let problem = Problem::forbidden(format!(
                "your access to submission {id} ended: its review window closed at {} or the \
                 review was closed",
                rfc3339(sub.closes_at)
            ));
            let audit = p.audit(
                action.as_str(),
                format!("submission:{id}"),
                false,
                "review access outside the window".into(),
            );
            app.blocking(move |s| s.append_audit(&audit)).await?;
            Err(problem)
        }
        a => Ok((sub, grants, a)),
    }
}

fn rfc3339(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn day_of(t: i64) -> Option<Day> {
    chrono::DateTime::from_timestamp(t, 0).map(|d| Day(d.date_naive()))
}

// ---- the ledger ----

/// Appends a signed record of a review event to the server ledger; `None` without a ledger.
async fn record(
    app: &AppState,
    s_model: &str,
    file_name: String,
    meta: BTreeMap<String, String>,
    body: Value,
) -> Result<Option<i64>, Problem> {
    let Some(ledger) = app.ledger().cloned() else {
        return Ok(None);
    };
    let item = EvidenceInput {
        kind: EvidenceKind::FilingReceipt,
        subject: s_model.to_string(),
        file_name,
        bytes: serde_json::to_vec_pretty(&body).map_err(|e| Problem::internal(e.to_string()))?,
        meta,
    };
    let log = app_log(app);
    let appended = tokio::task::spawn_blocking(move || {
        let guard = ledger
            .lock()
            .map_err(|_| "the ledger lock is poisoned".to_string())?;
        guard
            .add(&[item], assay_ledger::DEFAULT_KEY)
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| Problem::internal(format!("a ledger task failed: {e}")))?
    .map_err(|e| {
        log(&format!("server ledger: {e}"));
        Problem::internal("the server ledger could not record the event; nothing was changed")
    })?;
    let index = appended
        .first()
        .map(|a| a.index)
        .ok_or_else(|| Problem::internal("the ledger appended nothing"))?;
    i64::try_from(index)
        .map(Some)
        .map_err(|_| Problem::internal("ledger index out of range"))
}

fn app_log(app: &AppState) -> impl Fn(&str) + Send + 'static {
    let log = app.reporter();
    move |m: &str| log.note(m)
}

fn event_meta(
    s_id: Option<i64>,
    s: &SubmissionFacts,
    state: &str,
    event: &str,
) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    m.insert("receipt_for".into(), "pre-release-review".into());
    m.insert("review_event".into(), event.into());
    m.insert("review_state".into(), state.into());
    m.insert("organisation_id".into(), s.organisation_id.to_string());
    m.insert("planned_release".into(), s.planned_release.clone());
    if let Some(id) = s_id {
        m.insert("submission_id".into(), id.to_string());
    }
    if let Some(d) = &s.model_digest {
        // The rules engine ties a filing-receipt to a model through firmware_digest.
        m.insert("firmware_digest".into(), d.clone());
        m.insert("model_digest".into(), d.clone());
    }
    m
}

/// The facts the ledger records about a submission.
struct SubmissionFacts {
    organisation_id: i64,
    planned_release: String,
    model_digest: Option<String>,
}

impl From<&Submission> for SubmissionFacts {
    fn from(s: &Submission) -> Self {
        SubmissionFacts {
            organisation_id: s.organisation_id,
            planned_release: s.planned_release.clone(),
            model_digest: s.model_digest.clone(),
        }
    }
}

// ---- views ----

fn deadlines(s: &Submission, now: i64) -> Value {
    let rule = window_rule();
    let release = Day::parse(&s.planned_release);
    let due = release.map(|d| d.plus_days(-rule.submit_before_release_days));
    let submitted = day_of(s.created_at);
    let closes_day = day_of(s.closes_at);
    json!({
        "window_opens_at": rfc3339(s.opens_at),
        "window_closes_at": rfc3339(s.closes_at),
        "feedback_due_at": rfc3339(s.closes_at),
        "planned_release": s.planned_release,
        "submission_due": due.map(|d| d.to_string()),
        "submitted_on_time": match (submitted, due) {
            (Some(s), Some(d)) => json!(s <= d),
            _ => Value::Null,
        },
        "window_ends_before_release": match (closes_day, release) {
            (Some(c), Some(r)) => json!(c <= r),
            _ => Value::Null,
        },
        "days_left": if window_open(s, now) { json!((s.closes_at - now + DAY - 1) / DAY) } else { json!(0) },
    })
}

fn overdue(s: &Submission, now: i64) -> bool {
    now >= s.closes_at && (s.state == "submitted" || s.state == "under-review")
}

fn summary_json(s: &Submission, now: i64) -> Value {
    json!({
        "id": s.id,
        "organisation_id": s.organisation_id,
        "submitted_by": s.submitted_by,
        "model": s.model,
        "model_digest": s.model_digest,
        "qualification": s.qualification,
        "state": s.state,
        "window_days": s.window_days,
        "window_open": window_open(s, now),
        "overdue": overdue(s, now),
        "deadlines": deadlines(s, now),
        "created_at": s.created_at,
        "updated_at": s.updated_at,
        "links": {"self": format!("/api/v1/submissions/{}", s.id)},
    })
}

fn event_json(e: &SubmissionEvent) -> Value {
    let mut v = json!({
        "id": e.id,
        "kind": e.kind,
        "from": e.from_state,
        "to": e.to_state,
        "at": e.at,
        "actor_user_id": e.actor_user_id,
        "ledger_index": e.ledger_index,
        "proof": e.ledger_index.map(|i| format!("/api/v1/ledger/{i}/proof")),
    });
    let detail: Value = serde_json::from_str(&e.detail).unwrap_or(Value::String(e.detail.clone()));
    if e.kind == "feedback" {
        v["feedback"] = detail;
    } else {
        v["note"] = detail;
    }
    v
}

// ---- handlers ----

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubmitBody {
    organisation_id: Option<i64>,
    model: String,
    model_digest: Option<String>,
    planned_release: String,
    manifest: Option<Value>,
    evidence_ids: Vec<i64>,
    window_days: Option<i64>,
}

fn unusable(field: String, detail: String) -> Problem {
    Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "evidence-not-usable",
        "Evidence not usable for this submission",
        format!("{detail}; nothing was submitted"),
    )
    .with_field(field)
}

fn check_digest(raw: &str) -> Result<String, Problem> {
    let hexpart = raw.strip_prefix("sha256:").unwrap_or(raw);
    if hexpart.len() != 64 || !hexpart.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Problem::bad_request(
            "model_digest",
            format!(
                "model_digest must be 64 hex digits (SHA-256), optionally after sha256:, got {}",
                assay_core::text::quote_short(raw)
            ),
        ));
    }
    Ok(hexpart.to_ascii_lowercase())
}

fn meta_of(e: &EvidenceInfo) -> BTreeMap<String, String> {
    serde_json::from_str(&e.meta_json).unwrap_or_default()
}

pub(crate) async fn submit(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
    JsonBody(body): JsonBody<SubmitBody>,
) -> Result<Response, Problem> {
    let organisation_id = crate::evidence::organisation_for(&p, body.organisation_id)?;
    let model = body.model.trim().to_string();
    if model.is_empty() || model.chars().count() > MAX_MODEL || model.chars().any(char::is_control)
    {
        return Err(Problem::bad_request(
            "model",
            format!("model must be 1 to {MAX_MODEL} characters without control characters"),
        ));
    }
    let model_digest = body.model_digest.as_deref().map(check_digest).transpose()?;
    let now = app.now();
    let release = Day::parse(body.planned_release.trim())
        .filter(|_| body.planned_release.trim().len() == 10)
        .ok_or_else(|| {
            Problem::bad_request(
                "planned_release",
                format!(
                    "planned_release must be a day YYYY-MM-DD, got {}",
                    assay_core::text::quote_short(&body.planned_release)
                ),
            )
        })?;
    if day_of(now).is_some_and(|today| release < today) {
        return Err(Problem::bad_request(
            "planned_release",
            format!(
                "planned_release {release} is in the past; a pre-release review needs a future release"
            ),
        ));
    }
    let manifest_json = match &body.manifest {
        None => "{}".to_string(),
        Some(v @ Value::Object(_)) => v.to_string(),
        Some(_) => {
            return Err(Problem::bad_request(
                "manifest",
                "manifest must be a JSON object (the manifest's TOML as JSON)",
            ));
        }
    };
    let rule = window_rule();
    let window_days = body.window_days.unwrap_or(rule.window_days);
    if !(1..=MAX_WINDOW_DAYS).contains(&window_days) {
        return Err(Problem::bad_request(
            "window_days",
            format!("window_days must be 1 to {MAX_WINDOW_DAYS}, got {window_days}"),
        ));
    }
    if body.evidence_ids.is_empty() || body.evidence_ids.len() > MAX_EVIDENCE {
        return Err(Problem::bad_request(
            "evidence_ids",
            format!(
                "evidence_ids must name 1 to {MAX_EVIDENCE} evidence records (eval runs and reports uploaded with POST /api/v1/evidence)"
            ),
        ));
    }
    for (i, id) in body.evidence_ids.iter().enumerate() {
        if *id <= 0 || body.evidence_ids[..i].contains(id) {
            return Err(Problem::bad_request(
                &format!("evidence_ids[{i}]"),
                format!("evidence_ids[{i}]: {id} is not a positive id or is named twice"),
            ));
        }
    }
    let ids = body.evidence_ids.clone();
    let records = app
        .blocking(move |s| {
            ids.iter()
                .map(|id| s.evidence(*id))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    // Qualification: the newest eval-report's signed verdict (by signed time, then id).
    let mut newest_report: Option<&EvidenceInfo> = None;
    for (i, found) in records.iter().enumerate() {
        let field = format!("evidence_ids[{i}]");
        let id = body.evidence_ids[i];
        let e = found
            .as_ref()
            .filter(|e| e.organisation_id == organisation_id)
            .ok_or_else(|| {
                unusable(
                    field.clone(),
                    format!("evidence {id} is not among this organisation's evidence"),
                )
            })?;
        if e.kind != "eval-run" && e.kind != "eval-report" {
            return Err(unusable(
                field,
                format!(
                    "evidence {id} is {}, not an eval-run or eval-report",
                    e.kind
                ),
            ));
        }
        if e.subject != model {
            return Err(unusable(
                field,
                format!(
                    "evidence {id} is about {}, not the model {}",
                    assay_core::text::quote_short(&e.subject),
                    assay_core::text::quote_short(&model)
                ),
            ));
        }
        if let (Some(want), Some(got)) = (&model_digest, meta_of(e).get("model_digest"))
            && !got.eq_ignore_ascii_case(want)
        {
            return Err(unusable(
                field,
                format!("evidence {id} was run on model digest {got}, not {want}"),
            ));
        }
        if e.kind == "eval-report"
            && newest_report
                .is_none_or(|n| (e.signed_at.as_str(), e.id) > (n.signed_at.as_str(), n.id))
        {
            newest_report = Some(e);
        }
    }
    let report = newest_report.ok_or_else(|| {
        unusable(
            "evidence_ids".into(),
            "no eval-report among the evidence: the qualification is read from an eval-report (assay eval report --record)".into(),
        )
    })?;
    let qualification = meta_of(report)
        .get("qualification")
        .cloned()
        .unwrap_or_else(|| "none".into());
    let new = NewSubmission {
        organisation_id,
        submitted_by: p.user_id(),
        model: model.clone(),
        model_digest: model_digest.clone(),
        planned_release: release.to_string(),
        manifest_json,
        evidence_ids: body.evidence_ids.clone(),
        qualification: qualification.clone(),
        window_days,
        opens_at: now,
        closes_at: now + window_days * DAY,
        created_at: now,
    };
    let facts = SubmissionFacts {
        organisation_id,
        planned_release: new.planned_release.clone(),
        model_digest: model_digest.clone(),
    };
    let mut meta = event_meta(None, &facts, "submitted", "transition");
    meta.insert("qualification".into(), qualification.clone());
    meta.insert("window_days".into(), window_days.to_string());
    meta.insert("window_closes_at".into(), rfc3339(new.closes_at));
    let envelopes: Vec<&str> = records
        .iter()
        .flatten()
        .map(|e| e.envelope_sha256.as_str())
        .collect();
    let ledger_index = record(
        &app,
        &model,
        "pre-release-submission.json".into(),
        meta,
        json!({"event": "submitted", "organisation_id": organisation_id, "model": model,
               "model_digest": model_digest, "planned_release": new.planned_release,
               "qualification": qualification, "evidence_envelopes_sha256": envelopes,
               "window_opens_at": rfc3339(new.opens_at), "window_closes_at": rfc3339(new.closes_at),
               "actor_user_id": p.user_id()}),
    )
    .await?;
    let first = NewSubmissionEvent {
        submission_id: 0,
        kind: "transition".into(),
        from_state: None,
        to_state: "submitted".into(),
        at: now,
        actor_user_id: p.user_id(),
        detail: Value::Null.to_string(),
        ledger_index,
    };
    let audit = p.audit(
        Action::SubmitModel.as_str(),
        String::new(),
        true,
        format!(
            "model {} for organisation {organisation_id}, window {window_days} days",
            assay_core::text::quote_short(&model)
        ),
    );
    let sub = app
        .blocking(move |s| s.create_submission(&new, &first, &audit))
        .await
        .map_err(|e| {
            if e.status == 404 {
                e.with_field("organisation_id")
            } else {
                e
            }
        })?;
    let view = full_view(&app, &sub, Access::Owner).await?;
    Ok((StatusCode::CREATED, axum::Json(view)).into_response())
}

/// A submission as its reader sees it: the summary, the manifest, the evidence's verified
/// facts, who has access and what happened.
async fn full_view(app: &AppState, sub: &Submission, access: Access) -> Result<Value, Problem> {
    let (id, ids) = (sub.id, sub.evidence_ids.clone());
    let (grants, events, evidence) = app
        .blocking(move |s| {
            let grants = s.submission_access(id)?;
            let events = s.submission_events(id)?;
            let evidence = ids
                .iter()
                .map(|e| s.evidence(*e))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((grants, events, evidence))
        })
        .await?;
    let mut v = summary_json(sub, app.now());
    v["manifest"] = serde_json::from_str(&sub.manifest_json).unwrap_or(Value::Null);
    v["evidence"] = Value::Array(evidence.iter().flatten().map(evidence_json).collect());
    v["access"] = json!(grants);
    v["events"] = Value::Array(events.iter().map(event_json).collect());
    v["your_access"] = json!(match access {
        Access::Admin => "admin",
        Access::Owner => "owner",
        Access::Granted(Role::Reviewer) => "reviewer",
        Access::Granted(_) => "trusted-partner",
        Access::Ended | Access::None => "none",
    });
    Ok(v)
}

pub(crate) async fn read(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    let (sub, _, access) = load(&app, &p, &raw, Action::ReadSubmission).await?;
    Ok(axum::Json(full_view(&app, &sub, access).await?).into_response())
}

/// The submissions a caller sees: admins all (or one organisation's), developers their
/// organisation's, reviewers and trusted partners those granted to them with an open window.
fn scope_of(p: &Principal, organisation_id: Option<i64>) -> Result<SubmissionScope, Problem> {
    let user = p
        .user
        .as_ref()
        .ok_or_else(|| Problem::unauthorized("no user"))?;
    Ok(match p.role {
        Role::Admin => organisation_id.map_or(SubmissionScope::All, SubmissionScope::Organisation),
        Role::Reviewer | Role::TrustedPartner => SubmissionScope::GrantedTo(user.id),
        _ => SubmissionScope::Organisation(crate::evidence::organisation_for(p, organisation_id)?),
    })
}

fn granted_view(p: &Principal) -> bool {
    matches!(p.role, Role::Reviewer | Role::TrustedPartner)
}

pub(crate) async fn list(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
    q: Result<Query<Page>, QueryRejection>,
) -> Result<Response, Problem> {
    let (page, limit) = page(q)?;
    let scope = scope_of(&p, page.organisation_id)?;
    let after = page.after.unwrap_or(0);
    let items = app
        .blocking(move |s| s.list_submissions(scope, after, limit))
        .await?;
    let now = app.now();
    let items: Vec<Value> = items
        .iter()
        .filter(|s| !granted_view(&p) || window_open(s, now))
        .map(|s| summary_json(s, now))
        .collect();
    Ok(axum::Json(json!({"items": items})).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AccessBody {
    user_id: i64,
}

pub(crate) async fn grant(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<AccessBody>,
) -> Result<Response, Problem> {
    let (sub, _, access) = load(&app, &p, &raw, Action::GrantReviewAccess).await?;
    if !matches!(access, Access::Admin | Access::Owner) {
        return Err(Problem::forbidden(
            "only the submitting organisation's developers and admins grant review access",
        ));
    }
    if sub.state == "closed" {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "refused",
            "Refused",
            format!(
                "submission {} is closed; its window grants nothing more",
                sub.id
            ),
        ));
    }
    let uid = body.user_id;
    let user = app
        .blocking(move |s| s.user(uid))
        .await?
        .ok_or_else(|| Problem::bad_request("user_id", format!("user {uid} not found")))?;
    match (user.role, access) {
        (Role::TrustedPartner, _) | (Role::Reviewer, Access::Admin) => {}
        (Role::Reviewer, _) => {
            return Err(Problem::forbidden(
                "reviewers are assigned by an admin; a developer designates trusted partners",
            )
            .with_field("user_id"));
        }
        (other, _) => {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "not-a-reviewer",
                "User cannot be given review access",
                format!(
                    "user {uid} has the role {}; review access goes to reviewers and trusted partners",
                    other.as_str()
                ),
            )
            .with_field("user_id"));
        }
    }
    let now = app.now();
    let grant = SubmissionAccess {
        submission_id: sub.id,
        user_id: uid,
        role: user.role.as_str().into(),
        granted_by: p.user_id(),
        granted_at: now,
    };
    let audit = p.audit(
        Action::GrantReviewAccess.as_str(),
        format!("submission:{}", sub.id),
        true,
        format!(
            "user {uid} as {} until {}",
            user.role.as_str(),
            rfc3339(sub.closes_at)
        ),
    );
    let g = grant.clone();
    app.blocking(move |s| s.grant_submission_access(&g, &audit))
        .await
        .map_err(|e| {
            if e.status == 409 {
                e.with_field("user_id")
            } else {
                e
            }
        })?;
    let mut v = json!(grant);
    v["until"] = json!(rfc3339(sub.closes_at));
    Ok((StatusCode::CREATED, axum::Json(v)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TransitionBody {
    to: String,
    note: Option<String>,
}

pub(crate) async fn transition(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<TransitionBody>,
) -> Result<Response, Problem> {
    if !["under-review", "feedback", "closed"].contains(&body.to.as_str()) {
        return Err(Problem::bad_request(
            "to",
            format!(
                "to must be under-review, feedback or closed, got {}",
                assay_core::text::quote_short(&body.to)
            ),
        ));
    }
    let note = body.note.unwrap_or_default();
    if note.chars().count() > MAX_NOTE {
        return Err(Problem::bad_request(
            "note",
            format!("note must be at most {MAX_NOTE} characters"),
        ));
    }
    let (sub, _, access) = load(&app, &p, &raw, Action::TransitionSubmission).await?;
    let from = sub.state.as_str();
    let to = body.to.as_str();
    let reviewer = matches!(access, Access::Admin | Access::Granted(Role::Reviewer));
    let owner = matches!(access, Access::Admin | Access::Owner);
    let step_ok = match (from, to) {
        ("submitted", "under-review") | ("under-review", "feedback") => reviewer,
        ("submitted" | "under-review" | "feedback", "closed") => owner,
        _ => {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "bad-transition",
                "Transition not possible",
                format!("submission {} is {from}; it cannot move to {to} (submitted -> under-review -> feedback -> closed)", sub.id),
            )
            .with_field("to"));
        }
    };
    if !step_ok {
        return Err(Problem::forbidden(format!(
            "moving {from} -> {to} is for {}",
            if to == "closed" {
                "the submitting organisation's developers or an admin"
            } else {
                "an assigned reviewer inside the window, or an admin"
            }
        ))
        .with_field("to"));
    }
    if to == "feedback" {
        let id = sub.id;
        let events = app.blocking(move |s| s.submission_events(id)).await?;
        if !events.iter().any(|e| e.kind == "feedback") {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "no-feedback",
                "No feedback attached",
                format!("attach a feedback report first: POST /api/v1/submissions/{id}/feedback"),
            )
            .with_field("to"));
        }
    }
    let now = app.now();
    let mut meta = event_meta(Some(sub.id), &SubmissionFacts::from(&sub), to, "transition");
    meta.insert("review_from_state".into(), from.into());
    let index = record(
        &app,
        &sub.model,
        format!("review-{}-{to}.json", sub.id),
        meta,
        json!({"event": "transition", "submission_id": sub.id, "from": from, "to": to,
               "at": rfc3339(now), "actor_user_id": p.user_id(), "note": note}),
    )
    .await?;
    let event = NewSubmissionEvent {
        submission_id: sub.id,
        kind: "transition".into(),
        from_state: Some(from.into()),
        to_state: to.into(),
        at: now,
        actor_user_id: p.user_id(),
        detail: Value::String(note).to_string(),
        ledger_index: index,
    };
    let audit = p.audit(
        Action::TransitionSubmission.as_str(),
        format!("submission:{}", sub.id),
        true,
        format!("{from} -> {to}"),
    );
    let (sub, _) = app
        .blocking(move |s| s.add_submission_event(&event, &audit))
        .await
        .map_err(|e| {
            if e.status == 409 {
                e.with_field("to")
            } else {
                e
            }
        })?;
    Ok(axum::Json(full_view(&app, &sub, access).await?).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FeedbackBody {
    title: String,
    body: String,
    severity: Option<String>,
    mitigations: Option<Vec<String>>,
}

pub(crate) async fn feedback(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<FeedbackBody>,
) -> Result<Response, Problem> {
    let title = body.title.trim().to_string();
    if title.is_empty() || title.chars().count() > 200 || title.chars().any(char::is_control) {
        return Err(Problem::bad_request(
            "title",
            "title must be 1 to 200 characters without control characters",
        ));
    }
    if body.body.trim().is_empty() || body.body.len() > MAX_FEEDBACK_BODY {
        return Err(Problem::bad_request(
            "body",
            format!("body must be 1 to {MAX_FEEDBACK_BODY} bytes"),
        ));
    }
    if let Some(s) = &body.severity
        && !SEVERITIES.contains(&s.as_str())
    {
        return Err(Problem::bad_request(
            "severity",
            format!(
                "severity must be one of {}, got {}",
                SEVERITIES.join(", "),
                assay_core::text::quote_short(s)
            ),
        ));
    }
    let mitigations = body.mitigations.unwrap_or_default();
    if mitigations.len() > 50 {
        return Err(Problem::bad_request(
            "mitigations",
            "at most 50 mitigations",
        ));
    }
    for (i, m) in mitigations.iter().enumerate() {
        if m.chars().count() > MAX_NOTE {
            return Err(Problem::bad_request(
                &format!("mitigations[{i}]"),
                format!("a mitigation is at most {MAX_NOTE} characters"),
            ));
        }
    }
    let (sub, _, access) = load(&app, &p, &raw, Action::AttachFeedback).await?;
    if !matches!(access, Access::Admin | Access::Granted(Role::Reviewer)) {
        return Err(Problem::forbidden(
            "feedback comes from an assigned reviewer inside the window, or an admin",
        ));
    }
    if sub.state != "under-review" {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "refused",
            "Refused",
            format!(
                "submission {} is {}; feedback is attached while it is under-review",
                sub.id, sub.state
            ),
        ));
    }
    let report = json!({"title": title, "body": body.body, "severity": body.severity,
                        "mitigations": mitigations, "author_user_id": p.user_id()});
    let text = report.to_string();
    let digest = hex::encode(Sha256::digest(text.as_bytes()));
    let mut meta = event_meta(
        Some(sub.id),
        &SubmissionFacts::from(&sub),
        &sub.state,
        "feedback",
    );
    meta.insert("feedback_sha256".into(), digest.clone());
    let index = record(
        &app,
        &sub.model,
        format!("review-{}-feedback.json", sub.id),
        meta,
        json!({"event": "feedback", "submission_id": sub.id, "feedback": report,
               "at": rfc3339(app.now())}),
    )
    .await?;
    let event = NewSubmissionEvent {
        submission_id: sub.id,
        kind: "feedback".into(),
        from_state: Some(sub.state.clone()),
        to_state: sub.state.clone(),
        at: app.now(),
        actor_user_id: p.user_id(),
        detail: text,
        ledger_index: index,
    };
    let audit = p.audit(
        Action::AttachFeedback.as_str(),
        format!("submission:{}", sub.id),
        true,
        format!("feedback sha256 {digest}"),
    );
    let (_, ev) = app
        .blocking(move |s| s.add_submission_event(&event, &audit))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(event_json(&ev))).into_response())
}

/// Largest number of submissions the dashboard reads.
const DASHBOARD_MAX: usize = 10_000;

pub(crate) async fn dashboard(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
    q: Result<Query<Page>, QueryRejection>,
) -> Result<Response, Problem> {
    let (page, _) = page(q)?;
    let scope = scope_of(&p, page.organisation_id)?;
    let all = app
        .blocking(move |s| {
            let mut out = Vec::new();
            let mut after = 0;
            loop {
                let batch = s.list_submissions(scope, after, 1000)?;
                let Some(last) = batch.last() else { break };
                after = last.id;
                out.extend(batch);
                if out.len() >= DASHBOARD_MAX {
                    break;
                }
            }
            Ok(out)
        })
        .await?;
    let now = app.now();
    let visible: Vec<&Submission> = all
        .iter()
        .filter(|s| !granted_view(&p) || window_open(s, now))
        .collect();
    let mut counts = BTreeMap::new();
    for s in &visible {
        *counts.entry(s.state.as_str()).or_insert(0u64) += 1;
    }
    let mut open: Vec<&Submission> = visible
        .iter()
        .copied()
        .filter(|s| s.state != "closed")
        .collect();
    open.sort_by_key(|s| (s.closes_at, s.id));
    let overdue_items: Vec<Value> = open
        .iter()
        .filter(|s| overdue(s, now))
        .map(|s| summary_json(s, now))
        .collect();
    let due: Vec<Value> = open
        .iter()
        .filter(|s| !overdue(s, now))
        .map(|s| summary_json(s, now))
        .collect();
    Ok(axum::Json(json!({
        "now": rfc3339(now),
        "window_rule": {"pack": WINDOW_PACK, "obligation": WINDOW_OBLIGATION,
                        "window_days": window_rule().window_days,
                        "submit_before_release_days": window_rule().submit_before_release_days},
        "counts": counts,
        "overdue": overdue_items,
        "open": due,
        "truncated": all.len() >= DASHBOARD_MAX,
    }))
    .into_response())
}

// ---- the server ledger, served ----

fn no_ledger() -> Problem {
    Problem::not_found(
        "this server keeps no ledger (it runs without a workspace ledger: `assay init` the workspace)",
    )
}

pub(crate) async fn checkpoint(State(app): State<AppState>) -> Result<Response, Problem> {
    let ledger = app.ledger().cloned().ok_or_else(no_ledger)?;
    let out = tokio::task::spawn_blocking(move || {
        let l = ledger
            .lock()
            .map_err(|_| "the ledger lock is poisoned".to_string())?;
        let cp = l.checkpoint().map_err(|e| e.to_string())?;
        let key = l
            .export_key(assay_ledger::DEFAULT_KEY)
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(json!({"origin": l.origin(), "size": cp.size,
            "root": hex::encode(cp.root), "checkpoint": cp.note, "public_key": key}))
    })
    .await
    .map_err(|e| Problem::internal(format!("a ledger task failed: {e}")))?
    .map_err(|e| {
        app.reporter().note(&format!("server ledger: {e}"));
        Problem::internal("the server ledger could not be read")
    })?;
    Ok(axum::Json(out).into_response())
}

pub(crate) async fn proof(
    State(app): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    let index = raw.parse::<u64>().map_err(|_| {
        Problem::bad_request(
            "index",
            format!(
                "index must be a ledger index (0, 1, ...), got {}",
                assay_core::text::quote_short(&raw)
            ),
        )
    })?;
    let ledger = app.ledger().cloned().ok_or_else(no_ledger)?;
    let out = tokio::task::spawn_blocking(move || {
        let l = ledger
            .lock()
            .map_err(|_| Some("the ledger lock is poisoned".to_string()))?;
        let cp = l.checkpoint().map_err(|e| Some(e.to_string()))?;
        if index >= cp.size {
            return Err(None::<String>);
        }
        let proof = l
            .prove_against(index, &cp)
            .map_err(|e| Some(e.to_string()))?;
        Ok(json!({"proof": proof, "checkpoint": cp.note}))
    })
    .await
    .map_err(|e| Problem::internal(format!("a ledger task failed: {e}")))?
    .map_err(|e| match e {
        None => Problem::not_found(format!("no ledger entry {index}")).with_field("index"),
        Some(e) => {
            app.reporter().note(&format!("server ledger: {e}"));
            Problem::internal("the server ledger could not be read")
        }
    })?;
    Ok(axum::Json(out).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_comes_from_the_frontier_pack() {
        // The pack says: a 30-day evaluation window, submission 30 days before release.
        let rule = window_rule();
        assert_eq!(rule.window_days, 30);
        assert_eq!(rule.submit_before_release_days, 30);
        // And it is the pack that says so, not the fallback.
        let packs = assay_rules::RulePack::shipped().unwrap();
        let pack = packs.iter().find(|p| p.id == WINDOW_PACK).unwrap();
        let o = pack
            .obligations
            .iter()
            .find(|o| &*o.id == WINDOW_OBLIGATION)
            .unwrap();
        assert_eq!(o.lead_time.as_ref().unwrap().max_days, rule.window_days);
    }
}
