//! Evidence over HTTP: trusted issuers, and signed evidence bundles uploaded, listed, read
//! and downloaded (issue #13 point 3).
//!
//! An upload is the folder `assay evidence export` writes, sent as JSON: each file's name
//! and its bytes in base64 (`{"files": {"bundle.json": "…", "envelope.dsse.json": "…", …}}`).
//! It is checked by `assay_ledger::verify_bundle_files`, the ledger's own bundle checks, with
//! the keys of the server's trusted issuers (and nothing else) BEFORE anything is stored:
//! envelope signature by a trusted issuer, blob digest, inclusion proof, a checkpoint signed
//! by a trusted key that holds the proof's root, and the unsigned `bundle.json` agreeing with
//! the signed facts. Names in the upload and in the signed statement are untrusted: they are
//! only looked up in the upload's own map, and the stored download name is
//! `assay_core::safe_file_name` of the signed one. Nothing here touches the file system.
//!
//! A verified bundle is stored in one transaction with its audit row, keyed by the SHA-256
//! of its envelope within the organisation: the same bundle twice is one record, and the
//! second answer (200, `"created": false`) says so.

use std::collections::BTreeMap;

use assay_core::text::quote_short;
use assay_ledger::keys::{self, PublicKeyText};
use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::api::{JsonBody, Page, id_param, page};
use crate::auth::Principal;
use crate::policy::{Action, Role};
use crate::problem::Problem;
use crate::store::{EvidenceInfo, EvidencePart, NewEvidence, TrustedIssuer};
use crate::{AppState, now};

/// Largest accepted public key text.
const MAX_KEY_TEXT: usize = 256;

pub(crate) fn schema_new_issuer() -> Value {
    json!({"type":"object","required":["name","role","public_key"],"additionalProperties":false,
        "properties":{
            "name":{"type":"string","minLength":1,"maxLength":64,"pattern":"^[A-Za-z0-9_-][A-Za-z0-9._-]*$"},
            "role":{"type":"string","enum":["lab","manufacturer","developer","reviewer"]},
            "public_key":{"type":"string","maxLength":MAX_KEY_TEXT,
                "description":"verifier key NAME+HASH+BASE64 (`assay key export`) or base64 Ed25519 key"}}})
}

pub(crate) fn schema_upload() -> Value {
    json!({"type":"object","required":["files"],"additionalProperties":false,
        "properties":{
            "organisation_id":{"type":"integer","description":"admin only: upload for another organisation"},
            "files":{"type":"object","maxProperties":assay_ledger::MAX_UPLOAD_FILES,
                "description":"the files of an `assay evidence export` folder: name -> base64 bytes; bundle.json among them",
                "additionalProperties":{"type":"string","contentEncoding":"base64"}}}})
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewIssuer {
    name: String,
    role: String,
    public_key: String,
}

pub(crate) async fn add_issuer(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
    JsonBody(body): JsonBody<NewIssuer>,
) -> Result<Response, Problem> {
    keys::check_key_name(&body.name).map_err(|e| Problem::bad_request("name", e.to_string()))?;
    let role: assay_core::IssuerRole = body.role.parse().map_err(|_| {
        Problem::bad_request(
            "role",
            format!(
                "unknown issuer role {}; use one of: lab, manufacturer, developer, reviewer",
                quote_short(&body.role)
            ),
        )
    })?;
    let text = body.public_key.trim().to_string();
    if text.len() > MAX_KEY_TEXT {
        return Err(Problem::bad_request(
            "public_key",
            format!("public_key must be at most {MAX_KEY_TEXT} characters"),
        ));
    }
    let parsed =
        keys::parse_public_key(&text).map_err(|e| Problem::bad_request("public_key", e))?;
    let key_id = keys::key_id(&parsed.key);
    let audit = p.audit(
        Action::AddIssuer.as_str(),
        String::new(),
        true,
        format!(
            "issuer {} role {} key id {key_id}",
            body.name,
            role.as_str()
        ),
    );
    let name = body.name.clone();
    let issuer = app
        .blocking(move |s| s.add_issuer(&name, role.as_str(), &text, &key_id, &audit))
        .await
        .map_err(|e| match e.status {
            409 if e.detail.contains("named") => e.with_field("name"),
            409 => e.with_field("public_key"),
            _ => e,
        })?;
    Ok((StatusCode::CREATED, axum::Json(issuer)).into_response())
}

pub(crate) async fn list_issuers(State(app): State<AppState>) -> Result<Response, Problem> {
    let items = app.blocking(|s| s.list_issuers()).await?;
    Ok(axum::Json(json!({"items": items})).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Upload {
    organisation_id: Option<i64>,
    files: BTreeMap<String, String>,
}

/// The organisation a caller acts for: their own; an admin may name another.
pub(crate) fn organisation_for(p: &Principal, requested: Option<i64>) -> Result<i64, Problem> {
    let me = p
        .user
        .as_ref()
        .ok_or_else(|| Problem::unauthorized("no user"))?;
    match requested {
        None => Ok(me.organisation_id),
        Some(id) if id == me.organisation_id => Ok(id),
        Some(id) if p.role == Role::Admin => Ok(id),
        Some(_) => Err(Problem::forbidden(
            "only an admin acts for another organisation; leave organisation_id out",
        )
        .with_field("organisation_id")),
    }
}

fn refused(field: String, detail: String) -> Problem {
    Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "bundle-not-verified",
        "Evidence bundle not verified",
        format!("{detail}; nothing was stored"),
    )
    .with_field(field)
}

/// `files["NAME"]`: the upload's file at fault, its name JSON-quoted and cut to 100
/// characters (it is the sender's text).
fn file_field(name: &str) -> String {
    let short: String = name.chars().take(100).collect();
    format!(
        "files[{}]",
        serde_json::to_string(&short).unwrap_or_else(|_| "\"?\"".into())
    )
}

pub(crate) async fn upload(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
    JsonBody(body): JsonBody<Upload>,
) -> Result<Response, Problem> {
    let organisation_id = organisation_for(&p, body.organisation_id)?;
    if body.files.len() > assay_ledger::MAX_UPLOAD_FILES {
        return Err(Problem::bad_request(
            "files",
            format!(
                "{} files; a bundle holds at most {}",
                body.files.len(),
                assay_ledger::MAX_UPLOAD_FILES
            ),
        ));
    }
    let mut files = BTreeMap::new();
    for (name, b64) in &body.files {
        let bytes = B64
            .decode(b64)
            .map_err(|e| Problem::bad_request(&file_field(name), format!("not base64: {e}")))?;
        files.insert(name.clone(), bytes);
    }
    let issuers = app.blocking(|s| s.list_issuers()).await?;
    let checked = tokio::task::spawn_blocking(move || {
        let keys: Vec<PublicKeyText> = issuers
            .iter()
            .filter_map(|i| {
                keys::parse_public_key(&i.public_key)
                    .ok()
                    .map(|k| PublicKeyText {
                        name: Some(i.name.clone()),
                        key: k.key,
                    })
            })
            .collect();
        assay_ledger::verify_bundle_files("upload", &files, &keys).map(|c| {
            // The proof and checkpoint the bundle names (verified with it), kept to serve.
            let part = |name: &str| files.get(name).cloned().unwrap_or_default();
            let proofs = (
                part(&c.report.manifest.inclusion_proof),
                part(&c.report.manifest.checkpoint),
            );
            (c, issuers, proofs)
        })
    })
    .await
    .map_err(|e| Problem::internal(format!("a verification task failed: {e}")))?;
    let (checked, issuers, (inclusion_proof, checkpoint)) =
        checked.map_err(|e| Problem::bad_request("files", e.to_string()))?;
    let manifest = &checked.report.manifest;
    if let Some(kid) = &checked.untrusted_key_id {
        return Err(refused(
            file_field(&manifest.envelope),
            format!(
                "the envelope is signed by key id {kid}, which is not a trusted issuer of this \
                 server; an admin adds issuers with POST /api/v1/issuers"
            ),
        ));
    }
    let Some(signed) = checked.verified().cloned() else {
        let (check, detail) = checked
            .report
            .first_failure()
            .map(|c| (c.check, c.detail.clone()))
            .unwrap_or(("bundle", "the bundle did not verify".into()));
        let field = match check {
            "envelope signature" => file_field(&manifest.envelope),
            "blob digest" => file_field(&manifest.file),
            "inclusion proof" => file_field(&manifest.inclusion_proof),
            "checkpoint signature" | "checkpoint covers proof" => file_field(&manifest.checkpoint),
            _ => file_field("bundle.json"),
        };
        return Err(refused(field, format!("{check}: {detail}")));
    };
    let issuer: &TrustedIssuer = issuers
        .iter()
        .find(|i| i.key_id == signed.signer_key_id)
        .ok_or_else(|| Problem::internal("a verified signer is not among the trusted issuers"))?;
    let log = signed
        .log
        .clone()
        .ok_or_else(|| Problem::internal("a verified bundle has no log position"))?;
    let too_big = |what: &str| Problem::bad_request("files", format!("{what} is out of range"));
    let record = NewEvidence {
        organisation_id,
        envelope_sha256: hex::encode(Sha256::digest(&checked.envelope)),
        kind: signed.kind.clone(),
        subject: signed.subject.clone(),
        blob_sha256: signed.blob_digest.to_string(),
        file_name: assay_core::safe_file_name(&signed.file_name),
        size: i64::try_from(checked.blob.len()).map_err(|_| too_big("size"))?,
        signed_at: signed.recorded_at.clone(),
        meta_json: serde_json::to_string(&signed.meta)
            .map_err(|e| Problem::internal(e.to_string()))?,
        signer_key_id: signed.signer_key_id.clone(),
        issuer_id: issuer.id,
        log_origin: log.log_origin.clone(),
        log_index: i64::try_from(log.index).map_err(|_| too_big("index"))?,
        tree_size: i64::try_from(log.tree_size).map_err(|_| too_big("tree_size"))?,
        log_root: log.root.clone(),
        uploaded_by: p.user_id(),
        uploaded_at: now(),
        envelope: checked.envelope,
        blob: checked.blob,
        inclusion_proof,
        checkpoint,
    };
    let audit = p.audit(
        Action::UploadEvidence.as_str(),
        String::new(),
        true,
        String::new(),
    );
    let (info, created) = app
        .blocking(move |s| s.put_evidence(&record, &audit))
        .await
        .map_err(|e| {
            if e.status == 404 {
                e.with_field("organisation_id")
            } else {
                e
            }
        })?;
    let mut out = evidence_json(&info);
    out["created"] = json!(created);
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(out)).into_response())
}

/// A record as JSON: what the upload added (organisation, uploader, time) apart from the
/// facts under `verified`, each covered by the issuer's signature or the verified checkpoint.
pub fn evidence_json(e: &EvidenceInfo) -> Value {
    let meta: Value = serde_json::from_str(&e.meta_json).unwrap_or(Value::Null);
    json!({
        "id": e.id,
        "organisation_id": e.organisation_id,
        "uploaded_by": e.uploaded_by,
        "uploaded_at": e.uploaded_at,
        "envelope_sha256": e.envelope_sha256,
        "verified": {
            "issuer": {"id": e.issuer_id, "name": e.issuer_name, "role": e.issuer_role,
                       "key_id": e.signer_key_id},
            "kind": e.kind,
            "subject": e.subject,
            "blob_sha256": e.blob_sha256,
            "file_name": e.file_name,
            "size": e.size,
            "signed_at": e.signed_at,
            "meta": meta,
            "log": {"origin": e.log_origin, "index": e.log_index, "tree_size": e.tree_size,
                    "root": e.log_root},
        },
        "links": {
            "file": format!("/api/v1/evidence/{}/file", e.id),
            "envelope": format!("/api/v1/evidence/{}/envelope", e.id),
            "proof": format!("/api/v1/evidence/{}/proof", e.id),
        },
    })
}

pub(crate) async fn list(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
    q: Result<Query<Page>, QueryRejection>,
) -> Result<Response, Problem> {
    let (page, limit) = page(q)?;
    let org = if p.role == Role::Admin {
        page.organisation_id
    } else {
        Some(organisation_for(&p, page.organisation_id)?)
    };
    let after = page.after.unwrap_or(0);
    let items = app
        .blocking(move |s| s.list_evidence(org, after, limit))
        .await?;
    let items: Vec<Value> = items.iter().map(evidence_json).collect();
    Ok(axum::Json(json!({"items": items})).into_response())
}

/// The record `raw` names, if the caller may see it: an admin any, others their own
/// organisation's (another organisation's is "not found", as if it did not exist).
async fn visible(app: &AppState, p: &Principal, raw: &str) -> Result<EvidenceInfo, Problem> {
    let id = id_param(raw, "id")?;
    let found = app.blocking(move |s| s.evidence(id)).await?;
    let mine = |e: &EvidenceInfo| {
        p.role == Role::Admin
            || p.user
                .as_ref()
                .is_some_and(|u| u.organisation_id == e.organisation_id)
    };
    found
        .filter(mine)
        .ok_or_else(|| Problem::not_found(format!("evidence {id} not found")).with_field("id"))
}

pub(crate) async fn read(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    let e = visible(&app, &p, &raw).await?;
    Ok(axum::Json(evidence_json(&e)).into_response())
}

/// `Content-Disposition` wants ASCII: the stored name is already safe, non-ASCII letters
/// become `_`.
fn attachment(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"")
}

async fn download(
    app: AppState,
    p: Principal,
    raw: String,
    part: EvidencePart,
) -> Result<Response, Problem> {
    let e = visible(&app, &p, &raw).await?;
    let id = e.id;
    let bytes = app
        .blocking(move |s| s.evidence_bytes(id, part))
        .await?
        .ok_or_else(|| Problem::not_found(format!("evidence {id} not found")).with_field("id"))?;
    let (content_type, name) = match part {
        EvidencePart::File => ("application/octet-stream", e.file_name.clone()),
        EvidencePart::Envelope => (
            "application/json",
            format!("{}.dsse.json", e.envelope_sha256),
        ),
        EvidencePart::InclusionProof => ("application/json", "inclusion-proof.json".into()),
        EvidencePart::Checkpoint => ("text/plain", "checkpoint.txt".into()),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, attachment(&name)),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response())
}

pub(crate) async fn download_file(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    download(app, p, raw, EvidencePart::File).await
}

pub(crate) async fn download_envelope(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    download(app, p, raw, EvidencePart::Envelope).await
}

/// The issuer log's inclusion proof and signed checkpoint of a record, as uploaded and
/// verified: anyone holding the issuer's log key can check them again.
pub(crate) async fn proof(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    let e = visible(&app, &p, &raw).await?;
    let id = e.id;
    let (proof, checkpoint) = app
        .blocking(move |s| {
            Ok((
                s.evidence_bytes(id, EvidencePart::InclusionProof)?,
                s.evidence_bytes(id, EvidencePart::Checkpoint)?,
            ))
        })
        .await?;
    let (Some(proof), Some(checkpoint)) = (proof, checkpoint) else {
        return Err(Problem::not_found(format!(
            "evidence {id} was stored before the server kept proofs; upload the bundle again"
        ))
        .with_field("id"));
    };
    let proof: Value = serde_json::from_slice(&proof)
        .map_err(|_| Problem::internal("a stored inclusion proof is not JSON"))?;
    Ok(axum::Json(json!({
        "log": {"origin": e.log_origin, "index": e.log_index, "tree_size": e.tree_size,
                "root": e.log_root},
        "inclusion_proof": proof,
        "checkpoint": String::from_utf8_lossy(&checkpoint),
    }))
    .into_response())
}
