//! `--pdf`: the dossier printed by the system's headless Chromium.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// Prints the dossier to PDF with headless Chromium. The PDF is a rendering of the attested
/// HTML (the attestation covers dossier.html); Chromium is the PDF engine, so assay carries no
/// PDF library.
pub fn print_pdf(html: &Path, pdf: &Path) -> anyhow::Result<()> {
    let browser = std::env::var("ASSAY_CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let profile = tempfile_dir()?;
    let html = html.canonicalize()?;
    let pdf_abs = std::env::current_dir()?.join(pdf);
    let output = std::process::Command::new(&browser)
        .args(assay_report::HEADLESS_CHROMIUM_FLAGS)
        .arg("--no-pdf-header-footer")
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--print-to-pdf={}", pdf_abs.display()))
        .arg(format!("file://{}", html.display()))
        .output();
    let _ = fs::remove_dir_all(&profile);
    let output = output.with_context(|| {
        format!("--pdf needs a headless Chromium: `{browser}` could not be started (install Debian's `chromium`, or set ASSAY_CHROMIUM)")
    })?;
    if !output.status.success() || !pdf_abs.is_file() {
        anyhow::bail!(
            "{browser} could not print {}: {}",
            html.display(),
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
    }
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("assay-chromium-{}", std::process::id()));
    fs::create_dir_all(&dir)?;
    Ok(dir)
}
