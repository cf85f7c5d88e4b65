//! Case upload (issue #13 point 3, the rest): a case folder uploaded as JSON (`{"files":
//! {"relative/path": "<base64>"}}`, the shape of the evidence upload) is assessed through the
//! assess library against the organisation's own workspace ledger, and the output package is
//! kept, listed, downloaded file by file, and its signed dossier attestation verified.
//!
//! Where things live (the server's case root, `organisations/` in the workspace for
//! `assay serve`): `<root>/<organisation id>/workspace/` is the organisation's workspace (its
//! ledger and key, created on its first case; one per organisation so one organisation's
//! evidence never counts in another's verdicts), `<root>/<organisation id>/packages/<hex id>/`
//! a kept package (`package/` the files, `record.json` what the server recorded). A package is
//! written into `.tmp-<id>` and renamed into place, so a crash leaves no half-written package
//! under its id (a left-over `.tmp-*` folder is never listed).
//!
//! Names in the upload follow the CLI's rules (`assay_assess::CaseInputs::from_files`: plain
//! relative paths, bounded length and depth, no `..`, no absolute paths, at most
//! 10,000 files); the body is bounded by [`crate::Limits::evidence_bytes`]. An uploaded
//! `case.toml` may not name rule pack files (they would be paths on the server): refused.
//! Assessments run one at a time (a mutex), on the blocking pool.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assay_core::text::quote_short;
use assay_ledger::Ledger;
use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::api::{JsonBody, Page, page};
use crate::auth::Principal;
use crate::evidence::organisation_for;
use crate::policy::{Action, Role};
use crate::problem::Problem;
use crate::{AppState, now};

pub(crate) fn schema_case() -> Value {
    json!({"type":"object","required":["files"],"additionalProperties":false,
        "properties":{
            "organisation_id":{"type":"integer","description":"admin only: assess for another organisation"},
            "date":{"type":"string","format":"date","description":"the day verdicts are judged on (default: today)"},
            "files":{"type":"object",
                "description":"the case folder: relative path (`/`-separated) -> base64 bytes; subject.toml among them",
                "additionalProperties":{"type":"string","contentEncoding":"base64"}}}})
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CaseBody {
    organisation_id: Option<i64>,
    date: Option<String>,
    files: BTreeMap<String, String>,
}

fn case_root(app: &AppState) -> Result<PathBuf, Problem> {
    app.case_root().map(Path::to_path_buf).ok_or_else(|| {
        Problem::not_found(
            "this server keeps no case workspaces (it runs without a workspace folder)",
        )
    })
}

fn file_field(name: &str) -> String {
    let short: String = name.chars().take(100).collect();
    format!(
        "files[{}]",
        serde_json::to_string(&short).unwrap_or_else(|_| "\"?\"".into())
    )
}

fn invalid_case(field: String, detail: String) -> Problem {
    Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-case",
        "Case not assessed",
        format!("{detail}; nothing was assessed"),
    )
    .with_field(field)
}

/// A package id: `<organisation id>-<16 hex digits>`.
fn parse_id(raw: &str) -> Result<(i64, String), Problem> {
    let bad = || {
        Problem::bad_request(
            "id",
            format!(
                "a package id is <organisation id>-<16 hex digits>, got {}",
                quote_short(raw)
            ),
        )
    };
    let (org, hex) = raw.split_once('-').ok_or_else(bad)?;
    let org: i64 = org.parse().ok().filter(|o| *o > 0).ok_or_else(bad)?;
    if hex.len() != 16 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(bad());
    }
    Ok((org, hex.to_string()))
}

fn open_or_init(dir: &Path) -> Result<Ledger, String> {
    if dir.join("assay.db").is_file() {
        Ledger::open(dir).map_err(|e| e.to_string())
    } else {
        std::fs::create_dir_all(dir.parent().unwrap_or(dir)).map_err(|e| e.to_string())?;
        Ledger::init(dir).map_err(|e| e.to_string())
    }
}

/// What a failed assessment tells the client: the case's own faults name the file; the
/// server's are internal.
enum Failed {
    Case(String, String),
    Server(String),
}

pub(crate) async fn assess_case(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
    JsonBody(body): JsonBody<CaseBody>,
) -> Result<Response, Problem> {
    let organisation_id = organisation_for(&p, body.organisation_id)?;
    let root = case_root(&app)?;
    let date = body
        .date
        .as_deref()
        .map(|d| {
            assay_core::Day::parse(d)
                .filter(|_| d.len() == 10)
                .ok_or_else(|| {
                    Problem::bad_request(
                        "date",
                        format!("date must be a day YYYY-MM-DD, got {}", quote_short(d)),
                    )
                })
        })
        .transpose()?;
    let mut files = BTreeMap::new();
    for (name, b64) in &body.files {
        let bytes = B64
            .decode(b64)
            .map_err(|e| Problem::bad_request(&file_field(name), format!("not base64: {e}")))?;
        files.insert(name.clone(), bytes);
    }
    // The organisation must exist before a folder is made for it.
    let org = app
        .blocking(move |s| s.organisation(organisation_id))
        .await?
        .ok_or_else(|| {
            Problem::not_found(format!("organisation {organisation_id} not found"))
                .with_field("organisation_id")
        })?;
    let mut random = [0u8; 8];
    getrandom::fill(&mut random)
        .map_err(|e| Problem::internal(format!("no secure randomness: {e}")))?;
    let hex_id = hex::encode(random);
    let id = format!("{}-{hex_id}", org.id);
    let created_at = now();
    let created_by = p.user_id();
    let today = chrono::DateTime::from_timestamp(app.now(), 0)
        .map(|d| assay_core::Day(d.date_naive()))
        .ok_or_else(|| Problem::internal("the clock gives no date"))?;
    let lock = app.assess_lock();
    let record_id = id.clone();
    let outcome = {
        let _one_at_a_time = lock.lock().await;
        tokio::task::spawn_blocking(move || -> Result<Value, Failed> {
            let case = assay_assess::CaseInputs::from_files(files).map_err(|e| match e {
                assay_assess::AssessError::InvalidCase { path, problem } => {
                    let name = path.display().to_string();
                    Failed::Case(file_field(&name), format!("{name}: {problem}"))
                }
                other => Failed::Case("files".into(), other.to_string()),
            })?;
            if !case.file.packs.is_empty() {
                return Err(Failed::Case(
                    file_field("case.toml"),
                    "case.toml names rule pack files; an uploaded case is assessed with the \
                     shipped packs only (a path would name a file on the server)"
                        .into(),
                ));
            }
            let overrides = assay_assess::Overrides {
                date,
                ..Default::default()
            };
            let options = assay_assess::AssessOptions::resolve(&overrides, &case, today)
                .map_err(|e| Failed::Case(file_field("case.toml"), e.to_string()))?;
            let org_dir = root.join(org.id.to_string());
            let ledger = open_or_init(&org_dir.join("workspace")).map_err(Failed::Server)?;
            let assessed = assay_assess::assess(&case, &options, &ledger, &assay_core::Silent)
                .map_err(|e| match e {
                    assay_assess::AssessError::InvalidCase { path, problem } => {
                        let name = path.display().to_string();
                        Failed::Case(file_field(&name), format!("{name}: {problem}"))
                    }
                    other => Failed::Server(other.to_string()),
                })?;
            let package = assay_assess::build_package(&assessed, &ledger)
                .map_err(|e| Failed::Server(e.to_string()))?;
            let key = ledger
                .export_key(assay_ledger::DEFAULT_KEY)
                .map_err(|e| Failed::Server(e.to_string()))?;
            let a = &assessed.assessment;
            let record = json!({
                "id": record_id,
                "organisation_id": org.id,
                "created_at": created_at,
                "created_by": created_by,
                "subject": a.subject.id,
                "date": a.date,
                "gaps": a.gaps.len(),
                "blocking": a.evaluation.summary.blocking,
                "problems": a.inputs.iter().filter(|i| i.problem.is_some()).count(),
                "newly_recorded": assessed.newly_recorded,
                "attestation_index": package.attestation_index,
                "signer_public_key": key,
                "files": package.files.iter().map(|(path, bytes)| json!({
                    "path": path, "size": bytes.len(),
                    "sha256": hex::encode(Sha256::digest(bytes)),
                })).collect::<Vec<_>>(),
            });
            // Written aside, then renamed into place: no half-written package under its id.
            let packages = org_dir.join("packages");
            let tmp = packages.join(format!(".tmp-{hex_id}"));
            let write = || -> Result<(), String> {
                std::fs::create_dir_all(tmp.join("package")).map_err(|e| e.to_string())?;
                package
                    .write_into(&tmp.join("package"))
                    .map_err(|e| e.to_string())?;
                let text = serde_json::to_vec_pretty(&record).map_err(|e| e.to_string())?;
                std::fs::write(tmp.join("record.json"), text).map_err(|e| e.to_string())?;
                std::fs::rename(&tmp, packages.join(&hex_id)).map_err(|e| e.to_string())
            };
            write().map_err(|e| {
                // Only the folder this call created.
                let _ = std::fs::remove_dir_all(&tmp);
                Failed::Server(format!("keeping the package: {e}"))
            })?;
            Ok(record)
        })
        .await
        .map_err(|e| Problem::internal(format!("an assessment task failed: {e}")))?
    };
    let record = match outcome {
        Ok(r) => r,
        Err(Failed::Case(field, detail)) => return Err(invalid_case(field, detail)),
        Err(Failed::Server(e)) => {
            app.reporter().note(&format!("case assessment: {e}"));
            return Err(Problem::internal(
                "the assessment failed on the server; the operator's log has the cause",
            ));
        }
    };
    let audit = p.audit(
        Action::AssessCase.as_str(),
        format!("package:{id}"),
        true,
        format!("assessed for organisation {organisation_id}"),
    );
    app.blocking(move |s| s.append_audit(&audit)).await?;
    Ok((StatusCode::CREATED, axum::Json(view(record))).into_response())
}

fn view(mut record: Value) -> Value {
    let id = record["id"].as_str().unwrap_or_default().to_string();
    record["links"] = json!({
        "self": format!("/api/v1/packages/{id}"),
        "file": format!("/api/v1/packages/{id}/file?path="),
    });
    record
}

/// The package `raw` names if the caller may see it (own organisation; admins any): its
/// folder and record. Another organisation's is "not found".
async fn visible(app: &AppState, p: &Principal, raw: &str) -> Result<(PathBuf, Value), Problem> {
    let (org, hex_id) = parse_id(raw)?;
    let mine = p.role == Role::Admin || p.user.as_ref().is_some_and(|u| u.organisation_id == org);
    let not_found = || Problem::not_found(format!("package {raw} not found")).with_field("id");
    if !mine {
        return Err(not_found());
    }
    let dir = case_root(app)?
        .join(org.to_string())
        .join("packages")
        .join(&hex_id);
    let record = tokio::task::spawn_blocking(move || {
        std::fs::read(dir.join("record.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .map(|r| (dir, r))
    })
    .await
    .map_err(|e| Problem::internal(format!("a read task failed: {e}")))?;
    record.ok_or_else(not_found)
}

pub(crate) async fn read(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
    UrlPath(raw): UrlPath<String>,
) -> Result<Response, Problem> {
    let (dir, record) = visible(&app, &p, &raw).await?;
    // The attestation is a bundle: checked with the organisation workspace's key, the same
    // checks as `assay evidence verify-bundle`.
    let key = record["signer_public_key"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let check = tokio::task::spawn_blocking(move || -> Result<Value, String> {
        let att = dir.join("package").join("attestation");
        let mut files = BTreeMap::new();
        for entry in std::fs::read_dir(&att).map_err(|e| e.to_string())? {
            let entry = entry.map_err(|e| e.to_string())?;
            if entry.file_type().map_err(|e| e.to_string())?.is_file() {
                let name = entry.file_name().to_string_lossy().into_owned();
                files.insert(
                    name,
                    std::fs::read(entry.path()).map_err(|e| e.to_string())?,
                );
            }
        }
        let parsed = assay_ledger::keys::parse_public_key(&key)?;
        let keys = [assay_ledger::keys::PublicKeyText {
            name: Some("organisation".into()),
            key: parsed.key,
        }];
        let checked = assay_ledger::verify_bundle_files("attestation", &files, &keys)
            .map_err(|e| e.to_string())?;
        Ok(json!({
            "verified": checked.verified().is_some(),
            "checks": checked.report.checks.iter().map(|c| json!({
                "check": c.check, "ok": c.ok, "detail": c.detail,
            })).collect::<Vec<_>>(),
        }))
    })
    .await
    .map_err(|e| Problem::internal(format!("a check task failed: {e}")))?
    .unwrap_or_else(|e| json!({"verified": false, "error": e}));
    let mut v = view(record);
    v["attestation"] = check;
    Ok(axum::Json(v).into_response())
}

pub(crate) async fn list(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
    q: Result<Query<Page>, QueryRejection>,
) -> Result<Response, Problem> {
    let (page, limit) = page(q)?;
    let org = organisation_for(&p, page.organisation_id)?;
    let root = case_root(&app)?;
    let items = tokio::task::spawn_blocking(move || {
        let dir = root.join(org.to_string()).join("packages");
        let mut records: Vec<Value> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .filter_map(|e| std::fs::read(e.path().join("record.json")).ok())
            .filter_map(|b| serde_json::from_slice::<Value>(&b).ok())
            .collect();
        records.sort_by_key(|r| {
            (
                r["created_at"].as_i64(),
                r["id"].as_str().map(str::to_string),
            )
        });
        records.truncate(limit as usize);
        records
    })
    .await
    .map_err(|e| Problem::internal(format!("a read task failed: {e}")))?;
    let items: Vec<Value> = items
        .into_iter()
        .map(|mut r| {
            r.as_object_mut().map(|o| o.remove("files"));
            view(r)
        })
        .collect();
    Ok(axum::Json(json!({"items": items})).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileQuery {
    path: String,
}

pub(crate) async fn download(
    State(app): State<AppState>,
    Extension(p): Extension<Principal>,
    UrlPath(raw): UrlPath<String>,
    q: Result<Query<FileQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let Query(q) = q.map_err(|e| Problem::bad_request("path", e.body_text()))?;
    let (dir, record) = visible(&app, &p, &raw).await?;
    // Only a path the record lists is read: never a name from the request joined blindly.
    let listed = record["files"]
        .as_array()
        .is_some_and(|fs| fs.iter().any(|f| f["path"] == q.path.as_str()));
    if !listed {
        return Err(Problem::not_found(format!(
            "package {raw} has no file {}",
            quote_short(&q.path)
        ))
        .with_field("path"));
    }
    let rel = q.path.clone();
    let bytes = tokio::task::spawn_blocking(move || std::fs::read(dir.join("package").join(rel)))
        .await
        .map_err(|e| Problem::internal(format!("a read task failed: {e}")))?
        .map_err(|_| Problem::not_found("the package file is missing").with_field("path"))?;
    let name = assay_core::safe_file_name(q.path.rsplit('/').next().unwrap_or("file"));
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
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\""),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response())
}
