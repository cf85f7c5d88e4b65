//! An upload (names and bytes in memory, as a server receives them) is a second source of
//! `CaseInputs`: the same files get the same roles as in a folder, the assessment is the same,
//! and names that are not plain relative paths are refused by name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assay_assess::{AssessError, AssessOptions, Assessed, CaseInputs, Overrides};
use assay_core::Silent;
use assay_ledger::Ledger;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every regular file under `dir`, by relative `/`-separated name.
fn files_of(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let ft = e.file_type().unwrap();
            if ft.is_dir() {
                walk(root, &e.path(), out);
            } else if ft.is_file() {
                let rel = e
                    .path()
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(e.path()).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn write_case(dir: &Path, files: &BTreeMap<String, Vec<u8>>) {
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

/// The roles of a case, comparable across sources.
fn roles(c: &CaseInputs) -> String {
    format!(
        "subject={} pad={:?} sboms={:?} vex={:?} docs={:?} evidence={:?} bundles={:?} unrecognised={:?} refused={:?}",
        c.subject,
        c.pad
            .iter()
            .map(|p| (p.campaign.clone(), p.manifest.clone()))
            .collect::<Vec<_>>(),
        c.sboms,
        c.vex,
        c.docs,
        c.evidence_files
            .iter()
            .map(|f| (f.kind.clone(), f.path.clone()))
            .collect::<Vec<_>>(),
        c.bundles,
        c.unrecognised,
        c.refused,
    )
}

fn run(case: &CaseInputs, ws: &Path, advisories_from: &CaseInputs) -> Assessed {
    let ledger = Ledger::init(ws).unwrap();
    let overrides = Overrides {
        date: assay_core::Day::parse("2026-11-22"),
        ..Default::default()
    };
    let mut options = AssessOptions::resolve(
        &overrides,
        case,
        assay_core::Day::parse("2000-01-01").unwrap(),
    )
    .unwrap();
    // The server's workspace holds the advisories: imported beforehand, the same for both.
    options.advisories = assay_assess::import_advisories(advisories_from, &ledger, &Silent);
    assay_assess::assess(case, &options, &ledger, &Silent).unwrap()
}

#[test]
fn an_upload_of_an_example_assesses_like_its_folder() {
    let example = repo().join("examples/face-terminal-cn-us");
    let folder = CaseInputs::discover(&example).unwrap();
    let mut files = files_of(&example);
    // An upload names no files outside itself: case.toml without the advisory paths (the
    // server's workspace has them imported).
    let toml = String::from_utf8(files["case.toml"].clone()).unwrap();
    let toml: String = toml
        .lines()
        .filter(|l| !l.starts_with("advisories"))
        .map(|l| format!("{l}\n"))
        .collect();
    files.insert("case.toml".into(), toml.into_bytes());
    let upload = CaseInputs::from_files(files).unwrap();
    assert!(upload.is_upload() && !folder.is_upload());
    assert_eq!(roles(&upload), roles(&folder));
    assert!(!upload.pad.is_empty() && !upload.sboms.is_empty() && !upload.docs.is_empty());

    let tmp = tempfile::tempdir().unwrap();
    let a = run(&folder, &tmp.path().join("ws-folder"), &folder);
    let b = run(&upload, &tmp.path().join("ws-upload"), &folder);
    // Same verdicts, to the last reason and evidence trace.
    assert_eq!(a.assessment.evaluation, b.assessment.evaluation);
    let statuses = |x: &Assessed| {
        x.assessment
            .markets
            .iter()
            .map(|m| (m.market.clone(), m.status, m.why.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(statuses(&a), statuses(&b));
    // Same evidence, by digest and kind.
    let evidence = |x: &Assessed| {
        x.assessment
            .evidence
            .iter()
            .map(|e| (e.kind, e.digest, e.file_name.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(evidence(&a), evidence(&b));
    assert!(evidence(&a).len() >= 6, "{:?}", evidence(&a));
    // Same inputs read, with the same digests (the case.toml differs, and is not an input row).
    let inputs = |x: &Assessed| {
        x.assessment
            .inputs
            .iter()
            .map(|i| (i.path.clone(), i.role.clone(), i.digest, i.status))
            .collect::<Vec<_>>()
    };
    assert_eq!(inputs(&a), inputs(&b));
    assert_eq!(a.assessment.pad.len(), 1);
    assert_eq!(a.assessment.pad[0].digest, b.assessment.pad[0].digest);
}

/// The shared classification: nested folders, unknown files, evidence kinds, a bundle and
/// dot files get the same roles from a folder and from an upload of the same files.
#[test]
fn folder_and_upload_classify_the_same_names_the_same_way() {
    let files: BTreeMap<String, Vec<u8>> = [
        "subject.toml",
        "README.md",
        "notes.txt",
        "old/stuff.csv",
        "pad/a.csv",
        "pad/a.toml",
        "pad/b.jsonl",
        "pad/readme.pdf",
        "pad/archive/c.csv",
        "sbom/fw.cdx.json",
        "sbom/nested/x.json",
        "vex/fw.openvex.json",
        "docs/technical-file.md",
        "docs/photo.png",
        "evidence/loose.pdf",
        "evidence/lab-report/r.pdf",
        "evidence/a-b/x.pdf",
        "evidence/lab-report/deep/y.pdf",
        "evidence/lab-bundle/bundle.json",
        "evidence/lab-bundle/statement.dsse.json",
        ".git/config",
        "docs/.draft.md",
    ]
    .iter()
    .map(|n| (n.to_string(), format!("content of {n}\n").into_bytes()))
    .chain([("case.toml".to_string(), b"markets = [\"US\"]\n".to_vec())])
    .collect();
    let tmp = tempfile::tempdir().unwrap();
    write_case(tmp.path(), &files);
    let folder = CaseInputs::discover(tmp.path()).unwrap();
    let upload = CaseInputs::from_files(files).unwrap();
    assert_eq!(roles(&upload), roles(&folder));
    assert_eq!(upload.bundles, ["evidence/lab-bundle"]);
    // In folder order; deeper entries are reported by the folder that holds them.
    assert_eq!(
        upload.unrecognised,
        [
            "docs/photo.png",
            "evidence/lab-report/deep",
            "evidence/loose.pdf",
            "notes.txt",
            "old",
            "pad/archive",
            "pad/readme.pdf",
            "sbom/nested",
        ]
    );
    assert_eq!(
        upload
            .evidence_files
            .iter()
            .map(|f| f.path.as_str())
            .collect::<Vec<_>>(),
        ["evidence/a-b/x.pdf", "evidence/lab-report/r.pdf"]
    );
    assert_eq!(
        upload.read("pad/a.csv", 1 << 20).unwrap(),
        b"content of pad/a.csv\n"
    );
    assert!(
        upload
            .read("pad/a.csv", 4)
            .unwrap_err()
            .contains("over the limit of 4 bytes")
    );
    assert!(
        upload
            .read("nope.csv", 1 << 20)
            .unwrap_err()
            .contains("not in the upload")
    );
}

fn refused(files: &[(&str, &[u8])]) -> String {
    let mut map: BTreeMap<String, Vec<u8>> = BTreeMap::from([(
        "subject.toml".to_string(),
        std::fs::read(repo().join("examples/iris-lock-non-autonomous/subject.toml")).unwrap(),
    )]);
    for (n, b) in files {
        map.insert(n.to_string(), b.to_vec());
    }
    match CaseInputs::from_files(map) {
        Err(e @ AssessError::InvalidCase { .. }) => {
            assert_eq!(e.http_status(), 422);
            e.to_string()
        }
        Err(e) => panic!("not an invalid case: {e}"),
        Ok(_) => panic!("accepted {files:?}"),
    }
}

#[test]
fn names_that_are_not_plain_relative_paths_are_refused_by_name() {
    let e = refused(&[("../x", b"x")]);
    assert!(e.starts_with("../x:") && e.contains("`..`"), "{e}");
    let e = refused(&[("/etc/passwd", b"x")]);
    assert!(
        e.starts_with("/etc/passwd:") && e.contains("absolute"),
        "{e}"
    );
    let e = refused(&[("docs/a/../../x.md", b"x")]);
    assert!(e.contains("docs/a/../../x.md") && e.contains("`..`"), "{e}");
    let e = refused(&[("docs/./x.md", b"x")]);
    assert!(e.contains("`.` component"), "{e}");
    let e = refused(&[("docs//x.md", b"x")]);
    assert!(e.contains("empty"), "{e}");
    let e = refused(&[("docs\\x.md", b"x")]);
    assert!(e.contains("backslash"), "{e}");
    // A control character is refused, and shown escaped, never raw.
    let e = refused(&[("docs/a\u{1b}[31m.md", b"x")]);
    assert!(
        e.contains("control character") && !e.contains('\u{1b}'),
        "{e}"
    );
    let e = refused(&[("docs/x.md", b"x"), ("docs/x.md/y.md", b"y")]);
    assert!(
        e.starts_with("docs/x.md:") && e.contains("a file and a folder"),
        "{e}"
    );
    let long = "a/".repeat(40) + "x";
    assert!(refused(&[(long.as_str(), b"x")]).contains("deeper"));
}

#[test]
fn an_upload_may_not_name_files_outside_it_in_case_toml() {
    let e = refused(&[(
        "case.toml",
        b"advisories = [\"../../../shared/data/advisories/go\"]\n",
    )]);
    assert!(
        e.starts_with("case.toml:") && e.contains("`advisories`"),
        "{e}"
    );
    let e = refused(&[("case.toml", b"packs = [\"/etc/assay/pack.toml\"]\n")]);
    assert!(
        e.contains("`packs`") && e.contains("/etc/assay/pack.toml"),
        "{e}"
    );
    let e = refused(&[("case.toml", b"policy = \"/etc/policy.toml\"\n")]);
    assert!(e.contains("`policy`"), "{e}");
    // A policy that is a file of the upload is read from the upload.
    let mut files = BTreeMap::from([
        (
            "subject.toml".to_string(),
            std::fs::read(repo().join("examples/iris-lock-non-autonomous/subject.toml")).unwrap(),
        ),
        (
            "case.toml".to_string(),
            b"policy = \"policy.toml\"\n".to_vec(),
        ),
        ("policy.toml".to_string(), b"".to_vec()),
    ]);
    assert!(CaseInputs::from_files(files.clone()).is_ok());
    files.remove("subject.toml");
    let e = CaseInputs::from_files(files).unwrap_err().to_string();
    assert!(
        e.starts_with("subject.toml:") && e.contains("no subject manifest"),
        "{e}"
    );
}
