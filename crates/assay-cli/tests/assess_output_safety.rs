//! `assay assess --out` (issue #9, point 1): the output folder is replaced only if assay wrote
//! it; the workspace, the case, the current folder and folders assay did not write are refused
//! with exit 2 and left untouched; a SIGKILL at any moment leaves the old or the new output,
//! and `assess --check` passes on whatever remains. Everything runs in temporary folders.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{repo, text};

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            fs::copy(&p, &dest).unwrap();
        }
    }
}

/// The iris-lock example (no advisories, quick) copied into `tmp/case`.
fn case(tmp: &Path) -> PathBuf {
    let case = tmp.join("case");
    copy_dir(&repo().join("examples/iris-lock-non-autonomous"), &case);
    case
}

fn assess_in(cwd: &Path, ws: &Path, case: &Path, out: &str) -> Output {
    let case = case.to_str().unwrap();
    common::assay_in(
        cwd,
        ws,
        &["assess", case, "--date", "2026-11-22", "--out", out],
    )
}

fn listing(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = fs::read(&p).unwrap_or_default();
                out.push((p, bytes));
            }
        }
    }
    out.sort();
    out
}

fn refused(o: &Output, what: &str) {
    assert_eq!(o.status.code(), Some(2), "{what}: {}", text(o));
    assert!(
        text(o).contains("choose an empty or new folder"),
        "{what}: {}",
        text(o)
    );
}

#[test]
fn foreign_folders_the_workspace_the_case_and_the_current_folder_are_refused_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    let case = case(tmp.path());
    // A first run creates the workspace (and a legitimate output elsewhere).
    let o = assess_in(tmp.path(), &ws, &case, "first-out");
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o));

    let mine = tmp.path().join("my-notes");
    fs::create_dir_all(&mine).unwrap();
    fs::write(mine.join("thesis.txt"), "years of work").unwrap();

    let before_ws = listing(&ws);
    let before_case = listing(&case);
    let before_mine = listing(&mine);
    refused(&assess_in(tmp.path(), &ws, &case, "my-notes"), "foreign");
    refused(&assess_in(&mine, &ws, &case, "."), "current folder");
    refused(
        &assess_in(tmp.path(), &ws, &case, ws.to_str().unwrap()),
        "workspace",
    );
    refused(
        &assess_in(tmp.path(), &ws, &case, case.to_str().unwrap()),
        "case",
    );
    refused(&assess_in(tmp.path(), &ws, &case, "/"), "root");
    assert_eq!(listing(&mine), before_mine, "a foreign folder was changed");
    assert_eq!(listing(&case), before_case, "the case was changed");
    assert_eq!(
        listing(&ws).len(),
        before_ws.len(),
        "files appeared or vanished in the workspace"
    );
    assert!(ws.join("assay.db").exists() && ws.join("keys").exists());

    // Its own output is replaced, and stays checkable.
    let o = assess_in(tmp.path(), &ws, &case, "first-out");
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o));
    let c = Command::new(env!("CARGO_BIN_EXE_assay"))
        .arg("--workspace")
        .arg(&ws)
        .args(["assess", "--check"])
        .arg(tmp.path().join("first-out"))
        .output()
        .unwrap();
    assert!(c.status.success(), "{}", text(&c));
}

/// SplitMix64: a seeded, dependency-free source of kill delays.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[test]
fn sigkill_while_replacing_leaves_a_checkable_output() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    let case = case(tmp.path());
    let out = tmp.path().join("out");
    let check = || {
        Command::new(env!("CARGO_BIN_EXE_assay"))
            .arg("--workspace")
            .arg(&ws)
            .args(["assess", "--check"])
            .arg(&out)
            .output()
            .unwrap()
    };
    let started = Instant::now();
    let o = assess_in(tmp.path(), &ws, &case, out.to_str().unwrap());
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o));
    let full_run = started.elapsed().as_micros().max(1000) as u64;

    let mut seed = 0x5EED_2026_u64;
    let kills = 24;
    for round in 0..kills {
        let mut child = Command::new(env!("CARGO_BIN_EXE_assay"))
            .current_dir(tmp.path())
            .arg("--workspace")
            .arg(&ws)
            .args(["assess", case.to_str().unwrap(), "--date", "2026-11-22"])
            .arg("--out")
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Half the kills anywhere in a run, half in its last third, where the output is
        // staged and swapped.
        let delay = if round % 2 == 0 {
            next(&mut seed) % full_run
        } else {
            full_run * 2 / 3 + next(&mut seed) % (full_run / 3 + 1)
        };
        std::thread::sleep(Duration::from_micros(delay));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let c = check();
        assert!(
            c.status.success(),
            "round {round} (killed after {delay} µs): `assess --check` fails on what remains:\n{}",
            text(&c)
        );
        // Temporaries of killed runs never pile up next to the output.
        let temporaries = fs::read_dir(tmp.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains("assay-")
            })
            .count();
        assert!(temporaries <= 4, "round {round}: {temporaries} temporaries");
    }
    // A clean run afterwards leaves no temporary at all.
    let o = assess_in(tmp.path(), &ws, &case, out.to_str().unwrap());
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o));
    let left: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("assay-"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(check().status.success());
}
