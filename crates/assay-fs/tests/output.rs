//! Output folders: only assay's own outputs are replaced; everything else is refused and left
//! untouched. Everything runs in temporary folders.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use assay_fs::{FsError, MARKER, Marker, OutputTarget, write_file_atomic};

const FORMAT: &str = "test-output/1";

fn refused(r: Result<OutputTarget, FsError>, needle: &str) -> String {
    match r {
        Err(e @ FsError::OutputRefused { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains(needle), "expected `{needle}` in: {msg}");
            assert!(msg.contains("choose an empty or new folder"), "{msg}");
            msg
        }
        Err(other) => panic!("expected a refusal, got {other}"),
        Ok(t) => panic!(
            "expected a refusal, got permission for {}",
            t.path().display()
        ),
    }
}

fn write_output(target: &Path, files: &[(&str, &str)], digest: &str) {
    let t = OutputTarget::check(target, FORMAT, &[]).unwrap();
    let s = t.stage().unwrap();
    for (name, body) in files {
        s.write(Path::new(name), body.as_bytes()).unwrap();
    }
    s.commit(digest).unwrap();
}

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn root_home_and_current_folder_are_refused() {
    refused(
        OutputTarget::check(Path::new("/"), FORMAT, &[]),
        "root folder",
    );
    refused(
        OutputTarget::check(Path::new("."), FORMAT, &[]),
        "current folder",
    );
    let cwd = std::env::current_dir().unwrap();
    refused(OutputTarget::check(&cwd, FORMAT, &[]), "current folder");
    refused(
        OutputTarget::check(cwd.parent().unwrap(), FORMAT, &[]),
        "contains the current folder",
    );
    if let Some(home) = std::env::var_os("HOME").filter(|h| Path::new(h).is_dir()) {
        let home = PathBuf::from(home);
        if home != Path::new("/") {
            refused(OutputTarget::check(&home, FORMAT, &[]), "home folder");
        }
    }
}

#[test]
fn protected_folders_their_insides_and_their_parents_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("parent/ws");
    fs::create_dir_all(&ws).unwrap();
    fs::write(ws.join("ledger.db"), "precious").unwrap();
    let case = dir.path().join("case");
    fs::create_dir_all(&case).unwrap();
    let protected: [&Path; 2] = [&ws, &case];
    refused(
        OutputTarget::check(&ws, FORMAT, &protected),
        "must not replace",
    );
    refused(
        OutputTarget::check(&ws.join("out"), FORMAT, &protected),
        "lies inside",
    );
    refused(
        OutputTarget::check(&dir.path().join("parent"), FORMAT, &protected),
        "contains",
    );
    // spelled differently: a trailing `.` and a `..` detour
    refused(
        OutputTarget::check(&ws.join("."), FORMAT, &protected),
        "must not replace",
    );
    refused(
        OutputTarget::check(&case.join("../parent/ws"), FORMAT, &protected),
        "must not replace",
    );
    // a symlink to the workspace is refused as a link
    symlink(&ws, dir.path().join("ws-link")).unwrap();
    refused(
        OutputTarget::check(&dir.path().join("ws-link"), FORMAT, &protected),
        "symbolic link",
    );
    // an unrelated new folder next to them is fine
    OutputTarget::check(&dir.path().join("out"), FORMAT, &protected).unwrap();
    assert_eq!(
        fs::read_to_string(ws.join("ledger.db")).unwrap(),
        "precious"
    );
}

#[test]
fn non_empty_unmarked_folder_is_refused_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("mine");
    fs::create_dir_all(target.join("sub")).unwrap();
    fs::write(target.join("thesis.tex"), "years of work").unwrap();
    fs::write(target.join("sub/data.csv"), "1,2,3").unwrap();
    refused(
        OutputTarget::check(&target, FORMAT, &[]),
        "did not write it",
    );
    assert_eq!(listing(&target), ["sub", "thesis.tex"]);
    assert_eq!(
        fs::read_to_string(target.join("thesis.tex")).unwrap(),
        "years of work"
    );
    assert_eq!(listing(dir.path()), ["mine"], "no temporaries left");
}

#[test]
fn file_and_symlink_targets_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    fs::write(&file, "x").unwrap();
    refused(OutputTarget::check(&file, FORMAT, &[]), "is a file");
    let other = dir.path().join("other");
    fs::create_dir(&other).unwrap();
    symlink(&other, dir.path().join("link")).unwrap();
    refused(
        OutputTarget::check(&dir.path().join("link"), FORMAT, &[]),
        "symbolic link",
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), "x");
}

#[test]
fn marker_of_another_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out");
    write_output(&target, &[("a.txt", "a")], "d1");
    refused(
        OutputTarget::check(&target, "other-format/1", &[]),
        "another kind",
    );
    assert_eq!(fs::read_to_string(target.join("a.txt")).unwrap(), "a");
    // a marker that is not one is refused too
    let fake = dir.path().join("fake");
    fs::create_dir(&fake).unwrap();
    fs::write(fake.join(MARKER), "not json").unwrap();
    fs::write(fake.join("keep.txt"), "keep").unwrap();
    refused(
        OutputTarget::check(&fake, FORMAT, &[]),
        "not an assay marker",
    );
    assert_eq!(fs::read_to_string(fake.join("keep.txt")).unwrap(), "keep");
}

#[test]
fn new_empty_and_own_outputs_are_written_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    // missing, with a missing parent
    let target = dir.path().join("deep/er/out");
    write_output(&target, &[("a.txt", "one"), ("sub/b.txt", "two")], "d1");
    assert_eq!(listing(&target), [MARKER, "a.txt", "sub"]);
    let m = Marker::read(&target).unwrap().unwrap();
    assert_eq!((m.format.as_str(), m.digest.as_str()), (FORMAT, "d1"));
    assert!(m.is_complete());
    assert!(m.written_by.starts_with("assay "));
    // replaced: the old files are gone, the new ones there
    write_output(&target, &[("c.txt", "three")], "d2");
    assert_eq!(listing(&target), [MARKER, "c.txt"]);
    assert_eq!(Marker::read(&target).unwrap().unwrap().digest, "d2");
    assert_eq!(listing(target.parent().unwrap()), ["out"], "no temporaries");
    // an existing empty folder
    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    write_output(&empty, &[("x", "y")], "d3");
    assert_eq!(listing(&empty), [MARKER, "x"]);
}

#[test]
fn dropped_staging_leaves_nothing_and_old_output_intact() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out");
    write_output(&target, &[("a.txt", "a")], "d1");
    {
        let t = OutputTarget::check(&target, FORMAT, &[]).unwrap();
        let s = t.stage().unwrap();
        s.write(Path::new("half.txt"), b"half").unwrap();
        assert!(s.path().starts_with(dir.path()));
    }
    assert_eq!(listing(dir.path()), ["out"]);
    assert_eq!(listing(&target), [MARKER, "a.txt"]);
}

#[test]
fn staging_write_refuses_escapes_and_the_marker() {
    let dir = tempfile::tempdir().unwrap();
    let t = OutputTarget::check(&dir.path().join("out"), FORMAT, &[]).unwrap();
    let s = t.stage().unwrap();
    for bad in ["../x", "/etc/x", MARKER, "a/../../x", ""] {
        assert!(s.write(Path::new(bad), b"x").is_err(), "{bad}");
    }
    assert!(!dir.path().join("x").exists());
}

#[test]
fn target_changed_after_check_is_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out");
    let t = OutputTarget::check(&target, FORMAT, &[]).unwrap();
    let s = t.stage().unwrap();
    s.write(Path::new("a"), b"a").unwrap();
    // someone puts their own files there in the meantime
    fs::create_dir(&target).unwrap();
    fs::write(target.join("theirs.txt"), "theirs").unwrap();
    let err = s.commit("d").unwrap_err();
    assert!(
        err.to_string().contains("choose an empty or new folder"),
        "{err}"
    );
    assert_eq!(listing(&target), ["theirs.txt"]);
    assert_eq!(listing(dir.path()), ["out"], "staging removed");
}

#[test]
fn stale_temporaries_of_killed_runs_are_cleaned_not_accumulated() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out");
    write_output(&target, &[("a.txt", "a")], "d1");
    // leftovers of killed runs (pid 999999999 is never alive): a staging folder mid-write, an
    // old folder half removed, an empty one; and look-alikes that are not ours.
    let stale_tmp = dir.path().join(".out.assay-tmp-999999999-0");
    fs::create_dir_all(stale_tmp.join("sub")).unwrap();
    fs::write(stale_tmp.join(MARKER), "{}").unwrap();
    fs::write(stale_tmp.join("sub/part"), "p").unwrap();
    let stale_old = dir.path().join(".out.assay-old-999999999-1");
    fs::create_dir(&stale_old).unwrap();
    fs::write(stale_old.join(MARKER), "{}").unwrap();
    fs::create_dir(dir.path().join(".out.assay-del-999999999-2")).unwrap();
    let not_ours = dir.path().join(".out.assay-tmp-999999999-3");
    fs::create_dir(&not_ours).unwrap();
    fs::write(not_ours.join("user-file"), "u").unwrap();
    let other_name = dir.path().join(".out.assay-tmp-notapid");
    fs::create_dir(&other_name).unwrap();
    for round in 0..3 {
        write_output(&target, &[("b.txt", "b")], &format!("r{round}"));
    }
    assert_eq!(
        listing(dir.path()),
        [
            ".out.assay-tmp-999999999-3",
            ".out.assay-tmp-notapid",
            "out"
        ]
    );
    assert_eq!(listing(&not_ours), ["user-file"]);
}

#[test]
fn interrupted_swap_is_recovered_by_the_next_check() {
    // The state a kill between the two renames leaves: no target, the old output complete
    // under its `assay-old` name, the finished staging folder next to it.
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out");
    write_output(&target, &[("a.txt", "old")], "old");
    let old = dir.path().join(".out.assay-old-999999999-5");
    fs::rename(&target, &old).unwrap();
    let staged = dir.path().join(".out.assay-tmp-999999999-4");
    fs::create_dir(&staged).unwrap();
    fs::write(
        staged.join(MARKER),
        r#"{"format":"test-output/1","digest":"new","written_by":"assay","state":"complete"}"#,
    )
    .unwrap();
    let t = OutputTarget::check(&target, FORMAT, &[]).unwrap();
    assert_eq!(Marker::read(&target).unwrap().unwrap().digest, "old");
    assert_eq!(fs::read_to_string(target.join("a.txt")).unwrap(), "old");
    drop(t.stage().unwrap());
    assert_eq!(listing(dir.path()), ["out"]);
}

#[test]
fn atomic_file_write_replaces_files_and_refuses_others() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("dossier.pdf");
    write_file_atomic(&pdf, b"one").unwrap();
    write_file_atomic(&pdf, b"two").unwrap();
    assert_eq!(fs::read(&pdf).unwrap(), b"two");
    fs::write(
        dir.path().join(".dossier.pdf.assay-tmp-999999999-0"),
        "stale",
    )
    .unwrap();
    write_file_atomic(&pdf, b"three").unwrap();
    assert_eq!(listing(dir.path()), ["dossier.pdf"]);
    let d = dir.path().join("a-dir");
    fs::create_dir(&d).unwrap();
    assert!(write_file_atomic(&d, b"x").is_err());
    symlink(&pdf, dir.path().join("link.pdf")).unwrap();
    assert!(write_file_atomic(&dir.path().join("link.pdf"), b"x").is_err());
    assert_eq!(fs::read(&pdf).unwrap(), b"three");
}

#[test]
fn long_target_names_get_bounded_temporary_names() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("o".repeat(250));
    write_output(&target, &[("a", "1")], "d1");
    write_output(&target, &[("b", "2")], "d2");
    assert_eq!(listing(&target), [MARKER, "b"]);
    assert_eq!(listing(dir.path()), ["o".repeat(250)]);
}
