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
//!   eval/                   model evaluations: finished logs (*.jsonl), qualification.toml,
//!                           model.toml (a suite + a replay model run in the sandbox), suites
//! ```
//!
//! Inputs only from inside their root: discovery lists the folder through
//! [`assay_fs::InputRoot::walk`] (no symbolic link followed), and every read of a case file goes
//! through one function, [`CaseInputs::read`], which for a folder is
//! [`assay_fs::InputRoot::read`]: only a regular file whose resolved path lies inside the case
//! folder (opened with `O_NOFOLLOW | O_NONBLOCK`, so a FIFO never blocks a run). An upload
//! ([`CaseInputs::from_files`]) is served from memory, its names checked to be plain relative
//! paths; both sources share one classification of names by the conventions above. Anything else (a symbolic link, a
//! symlinked folder, a FIFO, a device) is kept as a [`Refused`] entry: a named problem in the
//! dossier, never read and never recorded.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::AssessError;

/// Size limits of the files a case reads (bytes), and of an upload.
pub mod limits {
    /// `subject.toml`, `case.toml`, PAD campaign manifests.
    pub const SMALL_TEXT: u64 = 4 << 20;
    /// Product descriptions (`docs/`).
    pub const DOCUMENT: u64 = 32 << 20;
    /// SBOMs, lockfiles, VEX documents, evidence files.
    pub const DOCUMENT_LARGE: u64 = 512 << 20;
    /// PAD campaigns (a million rows is about 60 MB).
    pub const CAMPAIGN: u64 = 4 << 30;
    /// Files in one upload ([`super::CaseInputs::from_files`]).
    pub const UPLOAD_FILES: usize = 10_000;
    /// Bytes of one upload, all files together.
    pub const UPLOAD_BYTES: u64 = 5 << 30;
    /// Bytes of one name in an upload.
    pub const UPLOAD_NAME: usize = 1024;
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

/// Where a case's files are read from.
#[derive(Clone)]
enum Source {
    /// A case folder: reads go through [`assay_fs::InputRoot::read`].
    Folder(assay_fs::InputRoot),
    /// An upload held in memory: relative names (validated) to bytes.
    Upload(Arc<BTreeMap<String, Vec<u8>>>),
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Folder(root) => write!(f, "Folder({})", root.path().display()),
            Source::Upload(files) => write!(f, "Upload({} files)", files.len()),
        }
    }
}

/// Everything found in a case: named files (relative to the case) by role.
///
/// Two sources give the same roles for the same files: [`CaseInputs::discover`] lists a case
/// folder, [`CaseInputs::from_files`] takes an upload held in memory (as a server receives
/// it). Both classify the names by the same folder conventions, and [`CaseInputs::read`]
/// serves from the folder (inside-the-root checks) or from memory.
#[derive(Debug, Clone)]
pub struct CaseInputs {
    /// The case folder, canonical; empty for an upload (names are shown as given).
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
    /// Every file under `eval/` (any depth): logs, rules, model configuration, suites and
    /// their assets; the evaluation evaluator sorts them out.
    pub eval: Vec<String>,
    /// Files in the case folder that match no convention (reported, never silently ignored).
    pub unrecognised: Vec<String>,
    /// Entries that are not regular files inside the case folder (reported, never read).
    pub refused: Vec<Refused>,
    source: Source,
}

/// The old name of [`CaseInputs`].
pub type Case = CaseInputs;

const SYMLINK: &str = "refused: a symbolic link; only regular files inside the case folder are read (copy the file in instead)";

/// The dossier's words for an entry the input root does not read.
fn refused_problem(why: &assay_fs::RefusedKind) -> String {
    use assay_fs::RefusedKind as K;
    let special =
        |what: &str| format!("refused: not a regular file ({what}); only regular files are read");
    match why {
        K::Symlink { .. } => SYMLINK.into(),
        K::Fifo => special("a named pipe (FIFO)"),
        K::Socket => special("a socket"),
        K::BlockDevice => special("a block device"),
        K::CharDevice => special("a character device"),
        K::NotRegular => special("a special file"),
        K::Unreadable { error } => format!(
            "refused: the folder cannot be listed ({}); check its permissions",
            assay_core::quote(error, 120)
        ),
        K::TooDeep { max } => {
            format!("refused: nested deeper than {max} folders; move the files up")
        }
        K::Outside { .. } => {
            "refused: resolves outside the case folder (through a symbolic link on the way)".into()
        }
        K::Changed => "refused: changed while it was being opened; run again".into(),
    }
}

/// The dossier's words for a failed read (never the absolute path of the case folder: the
/// row already names the file relative to the case).
fn read_problem(e: assay_fs::FsError) -> String {
    use assay_fs::FsError as E;
    match e {
        E::Refused(r) => refused_problem(&r.why),
        E::TooLarge { max, .. } => {
            format!("over the limit of {max} bytes for this input; split or shrink it")
        }
        E::NotFound { .. } => "cannot read: it no longer exists".into(),
        E::NotADirectory { .. } => "cannot read: a folder on the way is not a folder".into(),
        E::BadPath { why, .. } => format!("cannot read: the name {why}"),
        E::Io { action, source, .. } => format!("cannot {action}: {source}"),
        other => format!("cannot read: {other}"),
    }
}

/// What a case holds before classification: its regular files and the entries that are
/// not read, by relative name (`/`-separated), sorted.
#[derive(Debug, Default)]
struct Listing {
    files: BTreeSet<String>,
    refused: Vec<Refused>,
}

fn hidden(rel: &str) -> bool {
    rel.split('/').any(|c| c.starts_with('.'))
}

/// Lists a case folder through the input root (no symbolic link followed; dot files
/// skipped). A name that is not UTF-8 is refused (the dossier could not name it faithfully).
fn list_folder(root: &assay_fs::InputRoot) -> Result<Listing, AssessError> {
    let walk = root
        .walk(Path::new(""))
        .map_err(|e| AssessError::InvalidCase {
            path: root.path().to_path_buf(),
            problem: e.to_string(),
        })?;
    let mut out = Listing::default();
    for f in walk.files {
        match f.to_str() {
            Some(s) if hidden(s) => {}
            Some(s) => {
                out.files.insert(s.to_string());
            }
            None => out.refused.push(Refused {
                path: f.to_string_lossy().into_owned(),
                problem: "refused: the name is not UTF-8; rename the file".into(),
            }),
        }
    }
    for r in walk.refused {
        let path = r.path.to_string_lossy().into_owned();
        if !hidden(&path) {
            out.refused.push(Refused {
                path,
                problem: refused_problem(&r.why),
            });
        }
    }
    Ok(out)
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

/// The first `n` components of a `/`-separated name.
fn prefix(rel: &str, n: usize) -> String {
    rel.split('/').take(n).collect::<Vec<_>>().join("/")
}

/// The roles of a case's names by the folder conventions (see the module docs): the one
/// classification both sources share. Entries deeper than a convention reaches are reported
/// by the folder that holds them, as before (`pad/old/` is unrecognised, not each file in it).
fn classify(
    listing: Listing,
    file: CaseFile,
    subject: String,
    root: PathBuf,
    source: Source,
) -> CaseInputs {
    let mut case = CaseInputs {
        root,
        file,
        subject,
        pad: Vec::new(),
        sboms: Vec::new(),
        vex: Vec::new(),
        docs: Vec::new(),
        evidence_files: Vec::new(),
        bundles: Vec::new(),
        eval: Vec::new(),
        unrecognised: Vec::new(),
        refused: Vec::new(),
        source,
    };
    let files = &listing.files;
    let mut unrecognised: Vec<String> = Vec::new();
    let mut seen_unrecognised = BTreeSet::new();
    let mut unrecognise = |p: String, out: &mut Vec<String>| {
        if seen_unrecognised.insert(p.clone()) {
            out.push(p);
        }
    };
    // Bundles: evidence/<name>/ holding bundle.json; a bundle with a refused entry anywhere
    // in it is refused as a whole.
    let mut bundles: BTreeSet<String> = files
        .iter()
        .filter(|f| {
            let c: Vec<&str> = f.split('/').collect();
            c.len() == 3 && c[0] == "evidence" && c[2] == "bundle.json"
        })
        .map(|f| prefix(f, 2))
        .collect();
    let mut bad_bundles = BTreeSet::new();
    for r in &listing.refused {
        let c: Vec<&str> = r.path.split('/').collect();
        if c.len() > 2 && c[0] == "evidence" && bundles.contains(&prefix(&r.path, 2)) {
            bad_bundles.insert(prefix(&r.path, 2));
        }
    }
    for b in &bad_bundles {
        bundles.remove(b);
        case.refused.push(Refused {
            path: b.clone(),
            problem: "refused: the bundle holds entries that are not regular files".into(),
        });
    }
    let in_bundle = |p: &str| {
        let c: Vec<&str> = p.split('/').collect();
        c.len() > 2 && c[0] == "evidence" && {
            let d = prefix(p, 2);
            bundles.contains(&d) || bad_bundles.contains(&d)
        }
    };
    const KNOWN: [&str; 9] = [
        "subject.toml",
        "case.toml",
        "pad",
        "sbom",
        "vex",
        "docs",
        "evidence",
        "eval",
        "README.md",
    ];
    // Folder by folder, as a listing of each folder would give them (`a/x` before `a-b/x`).
    let mut ordered: Vec<&String> = files.iter().collect();
    ordered.sort_by(|a, b| a.split('/').cmp(b.split('/')));
    for f in ordered {
        if *f == case.subject {
            continue;
        }
        let c: Vec<&str> = f.split('/').collect();
        match (c[0], c.len()) {
            (top, 1) if KNOWN.contains(&top) => {}
            (_, 1) => unrecognise(f.clone(), &mut unrecognised),
            ("pad", 2) => match ext(f).as_str() {
                "csv" | "jsonl" | "txt" => {
                    let manifest = with_ext(f, "toml");
                    case.pad.push(PadInput {
                        campaign: f.clone(),
                        manifest: files.contains(&manifest).then_some(manifest),
                    });
                }
                "toml"
                    if files.contains(&with_ext(f, "csv"))
                        || files.contains(&with_ext(f, "jsonl")) => {}
                _ => unrecognise(f.clone(), &mut unrecognised),
            },
            ("sbom", 2) => case.sboms.push(f.clone()),
            ("vex", 2) => case.vex.push(f.clone()),
            ("docs", 2) => match ext(f).as_str() {
                "md" | "txt" | "markdown" => case.docs.push(f.clone()),
                _ => unrecognise(f.clone(), &mut unrecognised),
            },
            ("eval", _) => case.eval.push(f.clone()),
            ("evidence", 2) => unrecognise(f.clone(), &mut unrecognised),
            ("evidence", _) if in_bundle(f) => {}
            ("evidence", 3) => case.evidence_files.push(KindedFile {
                kind: c[1].to_string(),
                path: f.clone(),
            }),
            ("evidence", _) => unrecognise(prefix(f, 3), &mut unrecognised),
            ("pad" | "sbom" | "vex" | "docs", _) => unrecognise(prefix(f, 2), &mut unrecognised),
            (_, _) => unrecognise(prefix(f, 1), &mut unrecognised),
        }
    }
    // Refused entries where a convention reads are named; deeper ones are reported by the
    // unrecognised folder that holds them.
    for r in listing.refused {
        let c: Vec<&str> = r.path.split('/').collect();
        let top = c[0];
        let conventional = ["pad", "sbom", "vex", "docs", "evidence"].contains(&top);
        match c.len() {
            _ if in_bundle(&r.path) => case.refused.push(r),
            _ if top == "eval" => case.refused.push(r),
            1 => case.refused.push(r),
            2 if conventional => case.refused.push(r),
            3 if top == "evidence" => case.refused.push(r),
            _ if top == "evidence" => unrecognise(prefix(&r.path, 3), &mut unrecognised),
            _ if conventional => unrecognise(prefix(&r.path, 2), &mut unrecognised),
            _ => unrecognise(prefix(&r.path, 1), &mut unrecognised),
        }
    }
    case.bundles = bundles.into_iter().collect();
    case.unrecognised = unrecognised;
    case.refused.sort_by(|a, b| a.path.cmp(&b.path));
    case.refused.dedup();
    case
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
        let root =
            assay_fs::InputRoot::new(dir).map_err(|e| invalid(dir.to_path_buf(), e.to_string()))?;
        let listing = list_folder(&root)?;
        let source = Source::Folder(root.clone());
        Self::from_listing(listing, root.path().to_path_buf(), source, |rel| {
            dir.join(rel)
        })
    }

    /// Takes a case as a server receives an upload: relative names (`/`-separated) to bytes.
    /// The names get the same roles as [`CaseInputs::discover`] gives the same files in a
    /// folder, and [`CaseInputs::read`] serves them from memory.
    ///
    /// Every name must be a plain relative path: no `..`, `.` or empty component, not
    /// absolute, no backslash, no control character, at most [`limits::UPLOAD_NAME`] bytes
    /// and [`assay_fs::MAX_DEPTH`] folders deep; at most [`limits::UPLOAD_FILES`] files and
    /// [`limits::UPLOAD_BYTES`] bytes in all. A name that is a file and a folder at once is
    /// refused. Paths in case.toml name files on the disk of whoever runs the assessment, so
    /// an upload may not use them: `advisories` and `packs` are refused, and `policy` must
    /// name a file of the upload.
    pub fn from_files(files: BTreeMap<String, Vec<u8>>) -> Result<CaseInputs, AssessError> {
        let refuse = |name: &str, problem: String| AssessError::InvalidCase {
            path: PathBuf::from(assay_core::quote(name, 200)),
            problem,
        };
        if files.len() > limits::UPLOAD_FILES {
            return Err(refuse(
                "upload",
                format!(
                    "{} files, over the limit of {}; upload only the case",
                    files.len(),
                    limits::UPLOAD_FILES
                ),
            ));
        }
        let total: u64 = files.values().map(|b| b.len() as u64).sum();
        if total > limits::UPLOAD_BYTES {
            return Err(refuse(
                "upload",
                format!(
                    "{total} bytes, over the limit of {} bytes for one upload",
                    limits::UPLOAD_BYTES
                ),
            ));
        }
        for name in files.keys() {
            upload_name(name).map_err(|why| {
                refuse(
                    name,
                    format!("{why}; an upload names its files by plain relative paths"),
                )
            })?;
        }
        // A name that is also a folder of another name (`a` and `a/b`).
        for name in files.keys() {
            let folder = format!("{name}/");
            if files
                .range(folder.clone()..)
                .next()
                .is_some_and(|(k, _)| k.starts_with(&folder))
            {
                return Err(refuse(
                    name,
                    "is a file and a folder at once; rename one of them".into(),
                ));
            }
        }
        let listing = Listing {
            files: files.keys().filter(|n| !hidden(n)).cloned().collect(),
            refused: Vec::new(),
        };
        let source = Source::Upload(Arc::new(files));
        let case = Self::from_listing(listing, PathBuf::new(), source, |rel: &str| {
            PathBuf::from(assay_core::quote(rel, 200))
        })?;
        let field = |what: &str, p: &Path| {
            refuse(
                "case.toml",
                format!(
                    "`{what}` names {}: an upload cannot name files outside it (the server does not read its own disk for an upload); {}",
                    assay_core::quote(&p.to_string_lossy(), 200),
                    if what == "policy" {
                        "put the policy in the upload and name it relative to the case"
                    } else {
                        "leave it out and have the server's workspace hold them"
                    }
                ),
            )
        };
        if let Some(p) = case.file.advisories.first() {
            return Err(field("advisories", p));
        }
        if let Some(p) = case.file.packs.first() {
            return Err(field("packs", p));
        }
        if let Some(p) = &case.file.policy
            && !p
                .to_str()
                .is_some_and(|s| matches!(&case.source, Source::Upload(f) if f.contains_key(s)))
        {
            return Err(field("policy", p));
        }
        Ok(case)
    }

    /// Reads `case.toml` (if listed), checks the subject manifest is there, classifies.
    /// `shown` turns a relative name into the path an error names.
    fn from_listing(
        listing: Listing,
        root: PathBuf,
        source: Source,
        shown: impl Fn(&str) -> PathBuf,
    ) -> Result<CaseInputs, AssessError> {
        let invalid = |rel: &str, problem: String| AssessError::InvalidCase {
            path: shown(rel),
            problem,
        };
        let file = if listing.files.contains("case.toml") {
            let bytes = read_from(&source, "case.toml", limits::SMALL_TEXT)
                .map_err(|p| invalid("case.toml", p))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| invalid("case.toml", "not UTF-8 text; save it as UTF-8".into()))?;
            CaseFile::parse(&text).map_err(|problem| invalid("case.toml", problem))?
        } else {
            CaseFile::default()
        };
        let subject = file
            .subject
            .clone()
            .unwrap_or_else(|| "subject.toml".into())
            .to_string_lossy()
            .into_owned();
        if !listing.files.contains(&subject) {
            let problem = match listing.refused.iter().find(|r| r.path == subject) {
                Some(r) => r.problem.clone(),
                None => {
                    "no subject manifest; every case needs one (see docs/rules.md for the format)"
                        .into()
                }
            };
            return Err(invalid(&subject, problem));
        }
        Ok(classify(listing, file, subject, root, source))
    }

    /// Reads a case file (relative path) through the one inside-the-root check (or from the
    /// upload in memory). The error is the problem, in words for the dossier.
    pub fn read(&self, rel: &str, limit: u64) -> Result<Vec<u8>, String> {
        read_from(&self.source, rel, limit)
    }

    /// An upload's files under the folder `rel` (names relative to it); `None` for a folder.
    pub(crate) fn upload_files_under(&self, rel: &str) -> Option<Vec<(&str, &[u8])>> {
        let Source::Upload(files) = &self.source else {
            return None;
        };
        let folder = format!("{rel}/");
        Some(
            files
                .range(folder.clone()..)
                .take_while(|(k, _)| k.starts_with(&folder))
                .map(|(k, v)| (&k[folder.len()..], v.as_slice()))
                .collect(),
        )
    }

    /// True for a case given as an upload ([`CaseInputs::from_files`]).
    pub fn is_upload(&self) -> bool {
        matches!(self.source, Source::Upload(_))
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

/// Why `name` is not a plain relative name for an upload.
fn upload_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("an empty name".into());
    }
    if name.len() > limits::UPLOAD_NAME {
        return Err(format!("a name over {} bytes", limits::UPLOAD_NAME));
    }
    if name.starts_with('/') {
        return Err("an absolute path".into());
    }
    if name.contains('\\') {
        return Err("a backslash in the name (use `/` between folders)".into());
    }
    if name.chars().any(char::is_control) {
        return Err("a control character in the name".into());
    }
    let parts: Vec<&str> = name.split('/').collect();
    if parts.len() > assay_fs::MAX_DEPTH + 1 {
        return Err(format!(
            "nested deeper than {} folders",
            assay_fs::MAX_DEPTH
        ));
    }
    for p in parts {
        match p {
            ".." => return Err("`..` in the path".into()),
            "." | "" => return Err("an empty or `.` component in the path".into()),
            _ => {}
        }
    }
    Ok(())
}

/// The one function every case read goes through.
fn read_from(source: &Source, rel: &str, limit: u64) -> Result<Vec<u8>, String> {
    match source {
        Source::Folder(root) => root.read(Path::new(rel), limit).map_err(read_problem),
        Source::Upload(files) => {
            let bytes = files
                .get(rel)
                .ok_or_else(|| "cannot read: not in the upload".to_string())?;
            if bytes.len() as u64 > limit {
                return Err(format!(
                    "over the limit of {limit} bytes for this input; split or shrink it"
                ));
            }
            Ok(bytes.clone())
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
