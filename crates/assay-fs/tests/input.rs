//! Reads stay inside their root: symbolic links, special files and oversize files are named,
//! never read. Everything runs in temporary folders.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use assay_fs::{FsError, InputRoot, RefusedKind};

fn case() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("case");
    fs::create_dir_all(root.join("docs")).unwrap();
    fs::create_dir_all(root.join("evidence/pad-report")).unwrap();
    fs::write(root.join("docs/technical-file.md"), "# the real file\n").unwrap();
    fs::write(root.join("evidence/pad-report/report.json"), "{}").unwrap();
    fs::write(dir.path().join("secret.txt"), "outside the case\n").unwrap();
    (dir, root)
}

fn p(s: &str) -> PathBuf {
    PathBuf::from(s)
}

#[test]
fn regular_files_are_listed_sorted_and_read() {
    let (_d, root) = case();
    fs::write(root.join("a.txt"), "a").unwrap();
    let r = InputRoot::new(&root).unwrap();
    let w = r.walk(Path::new("")).unwrap();
    assert_eq!(
        w.files,
        vec![
            p("a.txt"),
            p("docs/technical-file.md"),
            p("evidence/pad-report/report.json")
        ]
    );
    assert!(w.refused.is_empty());
    assert_eq!(
        r.read(Path::new("docs/technical-file.md"), 1000).unwrap(),
        b"# the real file\n"
    );
    // walking a sub-folder and a single file
    assert_eq!(
        r.walk(Path::new("evidence")).unwrap().files,
        vec![p("evidence/pad-report/report.json")]
    );
    assert_eq!(r.walk(Path::new("a.txt")).unwrap().files, vec![p("a.txt")]);
    assert!(matches!(
        r.walk(Path::new("nope")),
        Err(FsError::NotFound { .. })
    ));
}

#[test]
fn symlinked_file_out_of_the_root_is_named_and_never_read() {
    let (d, root) = case();
    fs::remove_file(root.join("docs/technical-file.md")).unwrap();
    symlink("/etc/passwd", root.join("docs/technical-file.md")).unwrap();
    symlink(d.path().join("secret.txt"), root.join("docs/secret.md")).unwrap();
    let r = InputRoot::new(&root).unwrap();
    let w = r.walk(Path::new("")).unwrap();
    assert_eq!(w.files, vec![p("evidence/pad-report/report.json")]);
    assert_eq!(w.refused.len(), 2);
    let line = w.refused[1].to_string();
    assert_eq!(
        line,
        "docs/technical-file.md: symbolic link to /etc/passwd: not followed"
    );
    let err = r
        .read(Path::new("docs/technical-file.md"), 1 << 20)
        .unwrap_err();
    match &err {
        FsError::Refused(refused) => {
            assert_eq!(refused.path, p("docs/technical-file.md"));
            assert!(matches!(refused.why, RefusedKind::Symlink { .. }));
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(err.to_string().contains("not followed"), "{err}");
    assert!(r.read(Path::new("docs/secret.md"), 1 << 20).is_err());
}

#[test]
fn symlink_pointing_inside_is_refused_too() {
    let (_d, root) = case();
    symlink("technical-file.md", root.join("docs/alias.md")).unwrap();
    let r = InputRoot::new(&root).unwrap();
    let w = r.walk(Path::new("docs")).unwrap();
    assert_eq!(w.files, vec![p("docs/technical-file.md")]);
    assert_eq!(w.refused.len(), 1);
    assert!(r.read(Path::new("docs/alias.md"), 100).is_err());
}

#[test]
fn symlinked_folder_is_not_descended_and_symlinked_parent_is_not_read_through() {
    let (d, root) = case();
    let outside = d.path().join("outside-evidence");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("leak.json"), "{\"secret\":1}").unwrap();
    symlink(&outside, root.join("evidence/sbom")).unwrap();
    let r = InputRoot::new(&root).unwrap();
    let w = r.walk(Path::new("evidence")).unwrap();
    assert_eq!(w.files, vec![p("evidence/pad-report/report.json")]);
    assert_eq!(w.refused.len(), 1);
    assert_eq!(w.refused[0].path, p("evidence/sbom"));
    // walking the link itself names it, lists nothing
    let w = r.walk(Path::new("evidence/sbom")).unwrap();
    assert!(w.files.is_empty());
    assert_eq!(w.refused[0].path, p("evidence/sbom"));
    // reading through the symlinked parent is refused, naming the parent
    match r.read(Path::new("evidence/sbom/leak.json"), 1 << 20) {
        Err(FsError::Refused(refused)) => assert_eq!(refused.path, p("evidence/sbom")),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn fifo_never_blocks_a_walk_or_a_read() {
    let (_d, root) = case();
    let fifo = root.join("docs/pipe.md");
    let st = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(st.success());
    let r = InputRoot::new(&root).unwrap();
    let started = Instant::now();
    let w = r.walk(Path::new("")).unwrap();
    assert_eq!(w.refused.len(), 1);
    assert_eq!(w.refused[0].why, RefusedKind::Fifo);
    assert_eq!(
        w.refused[0].to_string(),
        "docs/pipe.md: named pipe (FIFO): not read"
    );
    match r.read(Path::new("docs/pipe.md"), 100) {
        Err(FsError::Refused(refused)) => assert_eq!(refused.why, RefusedKind::Fifo),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn character_device_is_refused() {
    // A character device inside the root: a symlink cannot stand in for it (that is refused
    // as a link), and mknod needs root; so use the root `/dev` itself when it has /dev/null.
    if !Path::new("/dev/null").exists() {
        return;
    }
    let r = InputRoot::new(Path::new("/dev")).unwrap();
    match r.read(Path::new("null"), 100) {
        Err(FsError::Refused(refused)) => {
            assert_eq!(refused.why, RefusedKind::CharDevice);
            assert_eq!(refused.to_string(), "null: character device: not read");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let w = r.walk(Path::new("null")).unwrap();
    assert!(w.files.is_empty());
    assert_eq!(w.refused[0].why, RefusedKind::CharDevice);
}

#[test]
fn oversize_file_is_an_error_naming_the_limit() {
    let (_d, root) = case();
    fs::write(root.join("big.bin"), vec![7u8; 10_001]).unwrap();
    let r = InputRoot::new(&root).unwrap();
    let err = r.read(Path::new("big.bin"), 10_000).unwrap_err();
    assert!(matches!(err, FsError::TooLarge { max: 10_000, .. }));
    assert!(err.to_string().contains("big.bin"), "{err}");
    assert_eq!(r.read(Path::new("big.bin"), 10_001).unwrap().len(), 10_001);
}

#[test]
fn paths_leaving_the_root_are_refused() {
    let (_d, root) = case();
    let r = InputRoot::new(&root).unwrap();
    for bad in ["../secret.txt", "/etc/passwd", "docs/../../secret.txt"] {
        assert!(
            matches!(r.read(Path::new(bad), 100), Err(FsError::BadPath { .. })),
            "{bad}"
        );
        assert!(r.walk(Path::new(bad)).is_err(), "{bad}");
    }
    assert!(matches!(
        r.read(Path::new("docs"), 100),
        Err(FsError::BadPath { .. })
    ));
}

#[test]
fn root_must_be_an_existing_folder() {
    let (d, root) = case();
    assert!(matches!(
        InputRoot::new(&root.join("missing")),
        Err(FsError::NotFound { .. })
    ));
    assert!(matches!(
        InputRoot::new(&d.path().join("secret.txt")),
        Err(FsError::NotADirectory { .. })
    ));
}

#[test]
fn nesting_is_bounded() {
    let (_d, root) = case();
    let mut deep = root.join("deep");
    for i in 0..40 {
        deep.push(format!("d{i}"));
    }
    fs::create_dir_all(&deep).unwrap();
    fs::write(deep.join("bottom.txt"), "x").unwrap();
    let r = InputRoot::new(&root).unwrap();
    let w = r.walk(Path::new("deep")).unwrap();
    assert!(w.files.is_empty());
    assert_eq!(w.refused.len(), 1);
    assert!(matches!(w.refused[0].why, RefusedKind::TooDeep { .. }));
}
