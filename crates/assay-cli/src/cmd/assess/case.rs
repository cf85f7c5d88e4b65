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

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Deserialize;

/// `case.toml`.
#[derive(Debug, Default, Deserialize)]
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

/// A PAD campaign and its manifest, if any.
#[derive(Debug, Clone)]
pub struct PadInput {
    pub campaign: PathBuf,
    pub manifest: Option<PathBuf>,
}

/// A file to record as evidence of a given kind.
#[derive(Debug, Clone)]
pub struct KindedFile {
    pub kind: String,
    pub path: PathBuf,
}

/// Everything found in a case folder.
#[derive(Debug)]
pub struct Case {
    pub dir: PathBuf,
    pub file: CaseFile,
    pub subject: PathBuf,
    pub pad: Vec<PadInput>,
    pub sboms: Vec<PathBuf>,
    pub vex: Vec<PathBuf>,
    pub docs: Vec<PathBuf>,
    pub evidence_files: Vec<KindedFile>,
    pub bundles: Vec<PathBuf>,
    /// Files in the case folder that match no convention (reported, never silently ignored).
    pub unrecognised: Vec<PathBuf>,
}

fn files_in(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    out.sort();
    Ok(out)
}

fn ext(p: &Path) -> String {
    p.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

impl Case {
    pub fn discover(dir: &Path) -> anyhow::Result<Case> {
        if !dir.is_dir() {
            anyhow::bail!(
                "{} is not a case folder: give a folder holding subject.toml (see docs/assess.md)",
                dir.display()
            );
        }
        let case_toml = dir.join("case.toml");
        let file: CaseFile = if case_toml.is_file() {
            let text = std::fs::read_to_string(&case_toml)
                .with_context(|| format!("cannot read {}", case_toml.display()))?;
            toml::from_str(&text).map_err(|e| {
                anyhow::anyhow!("{}: {}", case_toml.display(), e.to_string().trim_end())
            })?
        } else {
            CaseFile::default()
        };
        let subject = dir.join(
            file.subject
                .clone()
                .unwrap_or_else(|| "subject.toml".into()),
        );
        if !subject.is_file() {
            anyhow::bail!(
                "{}: no subject manifest; every case needs one (see docs/rules.md for the format)",
                subject.display()
            );
        }
        let mut case = Case {
            dir: dir.to_path_buf(),
            file,
            subject,
            pad: Vec::new(),
            sboms: Vec::new(),
            vex: Vec::new(),
            docs: Vec::new(),
            evidence_files: Vec::new(),
            bundles: Vec::new(),
            unrecognised: Vec::new(),
        };
        for p in files_in(&dir.join("pad"))? {
            match ext(&p).as_str() {
                "csv" | "jsonl" | "txt" => {
                    let manifest = p.with_extension("toml");
                    case.pad.push(PadInput {
                        campaign: p,
                        manifest: manifest.is_file().then_some(manifest),
                    });
                }
                "toml"
                    if p.with_extension("csv").is_file() || p.with_extension("jsonl").is_file() => {
                }
                _ => case.unrecognised.push(p),
            }
        }
        case.sboms = files_in(&dir.join("sbom"))?;
        case.vex = files_in(&dir.join("vex"))?;
        for p in files_in(&dir.join("docs"))? {
            match ext(&p).as_str() {
                "md" | "txt" | "markdown" => case.docs.push(p),
                _ => case.unrecognised.push(p),
            }
        }
        for p in files_in(&dir.join("evidence"))? {
            if p.join("bundle.json").is_file() {
                case.bundles.push(p);
            } else if p.is_dir() {
                let kind = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                for f in files_in(&p)? {
                    case.evidence_files.push(KindedFile {
                        kind: kind.clone(),
                        path: f,
                    });
                }
            } else {
                case.unrecognised.push(p);
            }
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
        for p in files_in(dir)? {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !known.contains(&name.as_str()) && p != case.subject {
                case.unrecognised.push(p);
            }
        }
        Ok(case)
    }

    /// A path relative to the case folder, for display.
    pub fn rel(&self, p: &Path) -> String {
        p.strip_prefix(&self.dir).unwrap_or(p).display().to_string()
    }

    /// Resolves a path written in case.toml (relative to the case folder).
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        }
    }
}

/// Role of a description document, from its file name.
pub fn doc_role(path: &Path) -> (&'static str, assay_core::EvidenceKind) {
    let name = path
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
