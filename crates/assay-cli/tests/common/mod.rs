//! Helpers shared by the CLI integration tests.
#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `assay --workspace WS ARGS...`.
pub fn assay(ws: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_assay"))
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .output()
        .expect("run assay")
}

/// Runs `assay --workspace WS ARGS...` from the folder `cwd`.
pub fn assay_in(cwd: &Path, ws: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_assay"))
        .current_dir(cwd)
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .output()
        .expect("run assay")
}

/// Runs `assay assess CASE --date 2026-11-22 --out OUT EXTRA...` for a reproducible verdict.
pub fn assess(ws: &Path, case: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "assess",
        case.to_str().unwrap(),
        "--date",
        "2026-11-22",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    assay(ws, &args)
}

/// stdout and stderr together, for messages.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
