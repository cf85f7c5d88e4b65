//! Output folders through the `assay` binary (issue #9, point 1): `evidence export --out`
//! never writes into or replaces a folder assay did not write, the workspace, or the current
//! folder; it replaces only a bundle it exported before. Everything runs in temporary folders.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::{assay, assay_in, repo, text};

/// A workspace with one entry: a real CycloneDX SBOM from the shared data.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    let o = assay(&ws, &["init"]);
    assert!(o.status.success(), "{}", text(&o));
    let sbom = repo().join("../shared/data/sbom/cyclonedx/SBOM_laravel-7.12.0_bom.1.4.json");
    let sbom = if sbom.exists() {
        sbom
    } else {
        let p = dir.path().join("bom.json");
        fs::write(
            &p,
            br#"{"bomFormat":"CycloneDX","specVersion":"1.4","components":[]}"#,
        )
        .unwrap();
        p
    };
    let o = assay(
        &ws,
        &[
            "evidence",
            "add",
            sbom.to_str().unwrap(),
            "--kind",
            "sbom",
            "--subject",
            "terminal-x",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    (dir, ws)
}

/// Every file under `dir` with its content, to compare before and after.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn refused(o: &Output, needle: &str) {
    let t = text(o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(t.contains("choose an empty or new folder"), "{t}");
    assert!(t.contains(needle), "expected `{needle}` in: {t}");
    assert!(!t.contains("panicked"), "{t}");
}

#[test]
fn export_into_the_current_non_empty_folder_is_refused_and_nothing_changes() {
    let (dir, ws) = workspace();
    let here = dir.path().join("project");
    fs::create_dir_all(here.join("src")).unwrap();
    fs::write(here.join("notes.md"), "mine").unwrap();
    fs::write(here.join("src/main.c"), "int main(){}").unwrap();
    let before = snapshot(&here);
    let o = assay_in(&here, &ws, &["evidence", "export", "0", "--out", "."]);
    refused(&o, "current folder");
    assert_eq!(snapshot(&here), before, "the current folder was changed");
}

#[test]
fn export_into_the_workspace_or_inside_it_is_refused() {
    let (dir, ws) = workspace();
    let before = snapshot(&ws);
    let o = assay(
        &ws,
        &["evidence", "export", "0", "--out", ws.to_str().unwrap()],
    );
    refused(&o, "must not replace");
    let inside = ws.join("bundle");
    let o = assay(
        &ws,
        &["evidence", "export", "0", "--out", inside.to_str().unwrap()],
    );
    refused(&o, "lies inside");
    assert_eq!(snapshot(&ws), before, "the workspace was changed");
    // the workspace still works
    let o = assay(&ws, &["log", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    drop(dir);
}

#[test]
fn export_into_a_folder_assay_did_not_write_is_refused() {
    let (dir, ws) = workspace();
    let theirs = dir.path().join("theirs");
    fs::create_dir(&theirs).unwrap();
    fs::write(theirs.join("bundle.json"), "their own file of that name").unwrap();
    let before = snapshot(&theirs);
    let o = assay(
        &ws,
        &["evidence", "export", "0", "--out", theirs.to_str().unwrap()],
    );
    refused(&o, "did not write it");
    assert_eq!(snapshot(&theirs), before);
}

#[test]
fn export_replaces_its_own_bundle_which_still_verifies() {
    let (dir, ws) = workspace();
    let out = dir.path().join("bundle");
    for _ in 0..2 {
        let o = assay(
            &ws,
            &["evidence", "export", "0", "--out", out.to_str().unwrap()],
        );
        assert!(o.status.success(), "{}", text(&o));
    }
    assert!(out.join(".assay-output").is_file());
    let names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(names.is_empty(), "temporaries left: {names:?}");
    let key = assay(&ws, &["key", "export", "default"]);
    let key_file = dir.path().join("default.pub");
    fs::write(&key_file, &key.stdout).unwrap();
    let o = assay(
        &dir.path().join("nowhere"),
        &[
            "verify-bundle",
            out.to_str().unwrap(),
            "--pubkey",
            key_file.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("VALID: entry 0"), "{}", text(&o));
}
