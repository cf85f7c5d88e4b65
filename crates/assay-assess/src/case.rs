//! A case folder: a subject manifest plus optional inputs found by convention or listed in
//! `case.toml`.
//!
//! ```text
//! CASE/
//!   subject.toml            the subject manifest (required; `assay rules` format)
//!   case.toml               optional: markets, PAD schemes, advisory sources, extra inputs
//!   pad/*.csv|*.jsonl       PAD campaigns; pad/<stem>.toml is the campaign manifest
//!   sbom/*                  SBOMs and lockfiles (CycloneDX, SPDX, Cargo.lock, ...)
//!   vex/*                   VEX documents (OpenVEX, CSAF VEX, CycloneDX VEX)
//!   docs/*.md|*.txt         product descriptions (technical file, sales text, filing draft)
//!   evidence/<kind>/*       files recorded as that evidence kind (lab reports, filing receipts)
//!   evidence/<bundle>/      bundles exported by a lab (`bundle.json`): imported when trusted
//! ```
//!
//! Inputs only from inside their root: discovery lists folders without following symbolic
//! links, and every read of a case file goes through one function, [`CaseInputs::read`], which
//! reads only a regular file whose resolved path lies inside the case folder (opened with
//! `O_NOFOLLOW | O_NONBLOCK`, so a FIFO never blocks a run). Anything else (a symbolic link, a
//! symlinked folder, a FIFO, a device) is kept as a [`Refused`] entry: a named problem in the
//! dossier, never read and never recorded.

use std::fs;
use std::io::Read as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::AssessError;

/// Size limits of the files a case reads (bytes).
pub mod limits {
    /// `subject.toml`, `case.toml`, PAD campaign manifests.
    pub const SMALL_TEXT: u64 = 4 << 20;
    /// Product descriptions (`docs/`).
    pub const DOCUMENT: u64 = 32 << 20;
    /// SBOMs, lockfiles, VEX documents, evidence files.
    pub const DOCUMENT_LARGE: u64 = 512 << 20;
    /// PAD campaigns (a million rows is about 60 MB).
    pub const CAMPAIGN: u64 = 4 << 30;
}

/// `case.toml`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// The subject manifest, relative to the case folder (default `subject.toml`).
    pub subject: Option<PathBuf>,
    /// Markets to assess (default: the manifest's).
    #[serde(default)]
    pub markets: Vec<String>,
    /// PAD schemes to judge campaigns against (default: every shipped scheme).
    #[serde(default)]
    pub schemes: Vec<String>,
    /// Advisory sources to import into the workspace's index before scanning (files,
    /// directories or zips; relative to the case folder).
    #[serde(default)]
    pub advisories: Vec<PathBuf>,
    /// A deadline policy for non-KEV findings (TOML).
    pub policy: Option<PathBuf>,
    /// Extra rule packs.
    #[serde(default)]
    pub packs: Vec<PathBuf>,
    /// The day plans start (YYYY-MM-DD; default: the assessment date).
    pub start: Option<String>,
    /// Promised delivery dates per market (`US = "2027-03-01"`).
    #[serde(default)]
    pub targets: std::collections::BTreeMap<String, String>,
}

impl CaseFile {
    /// Parses the text of a `case.toml`; the error is the TOML problem with its line and
    /// column, for the caller to put beside the file's path.
    pub fn parse(text: &str) -> Result<CaseFile, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())
    }
}

/// A PAD campaign and its manifest, if any (paths relative to the case folder).
#[derive(Debug, Clone)]
pub struct PadInput {
    pub campaign: String,
    pub manifest: Option<String>,
}

/// A file to record as evidence of a given kind.
#[derive(Debug, Clone)]
pub struct KindedFile {
    pub kind: String,
    pub path: String,
}

/// An entry of the case folder that is never read: why, in words for the dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub path: String,
    pub problem: String,
}

/// Everything found in a case: named files (relative to the case folder) by role.
///
/// [`CaseInputs::discover`] finds them in a folder by convention; a server that receives an
/// upload unpacks it into a folder of its own and discovers that.
#[derive(Debug, Clone)]
pub struct CaseInputs {
    /// The case folder, canonical.
    pub root: PathBuf,
    pub file: CaseFile,
    /// The subject manifest.
    pub subject: String,
    pub pad: Vec<PadInput>,
    pub sboms: Vec<String>,
    pub vex: Vec<String>,
    pub docs: Vec<String>,
    pub evidence_files: Vec<KindedFile>,
    pub bundles: Vec<String>,
    /// Files in the case folder that match no convention (reported, never silently ignored).
    pub unrecognised: Vec<String>,
    /// Entries that are not regular files inside the case folder (reported, never read).
    pub refused: Vec<Refused>,
}

/// The old name of [`CaseInputs`].
pub type Case = CaseInputs;

/// What one folder of the case holds, without following symbolic links.
#[derive(Default)]
struct Listing {
    files: Vec<String>,
    dirs: Vec<String>,
    refused: Vec<Refused>,
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

const SYMLINK: &str = "refused: a symbolic link; only regular files inside the case folder are read (copy the file in instead)";
const SPECIAL: &str =
    "refused: not a regular file (a FIFO, device or socket); only regular files are read";

/// Lists `root/rel` (sorted, dot files skipped). A missing folder is empty; a symlinked
/// folder is refused as a whole.
fn list(root: &Path, rel: &str) -> Result<Listing, AssessError> {
    let dir = if rel.is_empty() {
        root.to_path_buf()
    } else {
        root.join(rel)
    };
    let mut out = Listing::default();
    match fs::symlink_metadata(&dir) {
        Err(_) => return Ok(out),
        Ok(m) if m.file_type().is_symlink() => {
            out.refused.push(Refused {
                path: rel.to_string(),
                problem: SYMLINK.into(),
            });
            return Ok(out);
        }
        Ok(m) if !m.is_dir() => return Ok(out),
        Ok(_) => {}
    }
    let mut entries: Vec<(String, fs::FileType)> = Vec::new();
    for e in fs::read_dir(&dir).map_err(|e| AssessError::io(&dir, e))? {
        let e = e.map_err(|e| AssessError::io(&dir, e))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let ft = e
            .file_type()
            .map_err(|e| AssessError::io(e_path(&dir, &name), e))?;
        entries.push((name, ft));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, ft) in entries {
        let path = join(rel, &name);
        if ft.is_symlink() {
            out.refused.push(Refused {
                path,
                problem: SYMLINK.into(),
            });
        } else if ft.is_dir() {
            out.dirs.push(path);
        } else if ft.is_file() {
            out.files.push(path);
        } else {
            out.refused.push(Refused {
                path,
                problem: SPECIAL.into(),
            });
        }
    }
    Ok(out)
}

fn e_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

fn ext(p: &str) -> String {
    Path::new(p)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

fn with_ext(p: &str, ext: &str) -> String {
    Path::new(p)
        .with_extension(ext)
        .to_string_lossy()
        .into_owned()
}

/// Reads `root/rel` if it is a regular file whose resolved path lies inside `root` (which must
/// be canonical), at most `limit` bytes. The error is the problem, in words for the dossier.
///
/// The one function every case read goes through (swap for `assay_fs::InputRoot::read` once
/// that lands).
pub(crate) fn read_case_file(root: &Path, rel: &str, limit: u64) -> Result<Vec<u8>, String> {
    let path = root.join(rel);
    let meta = fs::symlink_metadata(&path).map_err(|e| format!("cannot read: {e}"))?;
    if meta.file_type().is_symlink() {
        return Err(SYMLINK.into());
    }
    if !meta.is_file() {
        return Err(SPECIAL.into());
    }
    // A symlinked folder on the way would resolve elsewhere.
    let resolved = path
        .canonicalize()
        .map_err(|e| format!("cannot read: {e}"))?;
    if !resolved.starts_with(root) {
        return Err(
            "refused: resolves outside the case folder (through a symbolic link on the way)".into(),
        );
    }
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(&resolved)
        .map_err(|e| format!("cannot read: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err(SPECIAL.into());
    }
    if meta.len() > limit {
        return Err(format!(
            "{} bytes, over the limit of {limit} bytes for this input; split or shrink it",
            meta.len()
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "grew over the limit of {limit} bytes while it was read"
        ));
    }
    Ok(bytes)
}

impl CaseInputs {
    /// Finds a case's inputs in `dir` by the folder conventions and `case.toml`.
    pub fn discover(dir: &Path) -> Result<CaseInputs, AssessError> {
        let invalid = |path: PathBuf, problem: String| AssessError::InvalidCase { path, problem };
        if !dir.is_dir() {
            return Err(invalid(
                dir.to_path_buf(),
                "not a case folder: give a folder holding subject.toml (see docs/assess.md)".into(),
            ));
        }
        let root = dir.canonicalize().map_err(|e| AssessError::io(dir, e))?;
        let top = list(&root, "")?;
        let file: CaseFile = if top.files.iter().any(|f| f == "case.toml") {
            let bytes = read_case_file(&root, "case.toml", limits::SMALL_TEXT)
                .map_err(|p| invalid(dir.join("case.toml"), p))?;
            let text = String::from_utf8(bytes).map_err(|_| {
                invalid(
                    dir.join("case.toml"),
                    "not UTF-8 text; save it as UTF-8".into(),
                )
            })?;
            CaseFile::parse(&text).map_err(|problem| invalid(dir.join("case.toml"), problem))?
        } else {
            CaseFile::default()
        };
        let subject = file
            .subject
            .clone()
            .unwrap_or_else(|| "subject.toml".into())
            .to_string_lossy()
            .into_owned();
        match fs::symlink_metadata(root.join(&subject)) {
            Ok(m) if m.is_file() => {}
            Ok(m) if m.file_type().is_symlink() => {
                return Err(invalid(dir.join(&subject), SYMLINK.into()));
            }
            _ => {
                return Err(invalid(
                    dir.join(&subject),
                    "no subject manifest; every case needs one (see docs/rules.md for the format)"
                        .into(),
                ));
            }
        }
        let mut case = CaseInputs {
            root: root.clone(),
            file,
            subject,
            pad: Vec::new(),
            sboms: Vec::new(),
            vex: Vec::new(),
            docs: Vec::new(),
            evidence_files: Vec::new(),
            bundles: Vec::new(),
            unrecognised: Vec::new(),
            refused: Vec::new(),
        };

        let pad = list(&root, "pad")?;
        for p in &pad.files {
            match ext(p).as_str() {
                "csv" | "jsonl" | "txt" => {
                    let manifest = with_ext(p, "toml");
                    case.pad.push(PadInput {
                        campaign: p.clone(),
                        manifest: pad.files.contains(&manifest).then_some(manifest),
                    });
                }
                "toml"
                    if pad.files.contains(&with_ext(p, "csv"))
                        || pad.files.contains(&with_ext(p, "jsonl")) => {}
                _ => case.unrecognised.push(p.clone()),
            }
        }
        case.unrecognised.extend(pad.dirs);
        case.refused.extend(pad.refused);

        let sbom = list(&root, "sbom")?;
        case.sboms = sbom.files;
        case.unrecognised.extend(sbom.dirs);
        case.refused.extend(sbom.refused);

        let vex = list(&root, "vex")?;
        case.vex = vex.files;
        case.unrecognised.extend(vex.dirs);
        case.refused.extend(vex.refused);

        let docs = list(&root, "docs")?;
        for p in docs.files {
            match ext(&p).as_str() {
                "md" | "txt" | "markdown" => case.docs.push(p),
                _ => case.unrecognised.push(p),
            }
        }
        case.unrecognised.extend(docs.dirs);
        case.refused.extend(docs.refused);

        let evidence = list(&root, "evidence")?;
        case.unrecognised.extend(evidence.files);
        case.refused.extend(evidence.refused);
        for d in evidence.dirs {
            let inner = list(&root, &d)?;
            if inner.files.contains(&join(&d, "bundle.json")) {
                if inner.refused.is_empty() {
                    case.bundles.push(d);
                } else {
                    // A bundle with a link or a special file in it is not imported at all.
                    case.refused.extend(inner.refused);
                    case.refused.push(Refused {
                        path: d,
                        problem: "refused: the bundle holds entries that are not regular files"
                            .into(),
                    });
                }
                continue;
            }
            let kind = Path::new(&d)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            for f in inner.files {
                case.evidence_files.push(KindedFile {
                    kind: kind.clone(),
                    path: f,
                });
            }
            case.unrecognised.extend(inner.dirs);
            case.refused.extend(inner.refused);
        }

        let known = [
            "subject.toml",
            "case.toml",
            "pad",
            "sbom",
            "vex",
            "docs",
            "evidence",
            "README.md",
        ];
        for p in top.files.into_iter().chain(top.dirs) {
            if !known.contains(&p.as_str()) && p != case.subject {
                case.unrecognised.push(p);
            }
        }
        case.refused.extend(
            top.refused
                .into_iter()
                .filter(|r| !["pad", "sbom", "vex", "docs", "evidence"].contains(&r.path.as_str())),
        );
        case.refused.sort_by(|a, b| a.path.cmp(&b.path));
        case.refused.dedup();
        Ok(case)
    }

    /// Reads a case file (relative path) through the one inside-the-root check.
    pub fn read(&self, rel: &str, limit: u64) -> Result<Vec<u8>, String> {
        read_case_file(&self.root, rel, limit)
    }

    /// The full path of a case file, for readers that want one in their messages.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Resolves a path written in case.toml (relative to the case folder).
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.root.join(p)
        }
    }
}

/// Role of a description document, from its file name.
pub fn doc_role(path: &str) -> (&'static str, assay_core::EvidenceKind) {
    let name = Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.contains("technical") {
        ("technical file", assay_core::EvidenceKind::TechnicalFile)
    } else if name.contains("filing") {
        ("filing draft", assay_core::EvidenceKind::ProductDescription)
    } else if name.contains("sales") || name.contains("brochure") || name.contains("marketing") {
        (
            "sales material",
            assay_core::EvidenceKind::ProductDescription,
        )
    } else {
        (
            "product description",
            assay_core::EvidenceKind::ProductDescription,
        )
    }
}
