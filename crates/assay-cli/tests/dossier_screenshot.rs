//! The dossier must read well in a real browser: render it in headless Chromium (Debian's
//! package, installed by scripts/install-test-deps.sh), then look at the pixels.

use std::path::Path;
use std::process::Command;

mod common;
use common::{assess, repo, text};

fn render(html: &Path, png: &Path, profile: &Path) {
    let status = Command::new("chromium")
        .args(assay_report::HEADLESS_CHROMIUM_FLAGS)
        .args(["--hide-scrollbars", "--window-size=1280,1600"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("chromium is installed (scripts/install-test-deps.sh)");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
}

/// Share of pixels that are not near-white, of pixels in the dark red of a "cannot ship"
/// badge, and of pixels in the amber of an "at risk" one, in a band of rows.
fn ink(png: &Path, rows: std::ops::Range<u32>) -> (u32, f64, f64, f64) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let (w, h) = (info.width, info.height);
    let (mut inked, mut red, mut amber, mut total) = (0u64, 0u64, 0u64, 0u64);
    for y in rows.start..rows.end.min(h) {
        for x in 0..w {
            let i = ((y * w + x) as usize) * channels;
            let (r, g, b) = (buf[i], buf[i + 1], buf[i + 2]);
            total += 1;
            if r < 200 || g < 200 || b < 200 {
                inked += 1;
            }
            // The dark red of a "cannot ship" badge (#b42318), or (`amber`) the amber of an
            // "at risk" one (#b54708).
            if r > 150 && g < 60 && b < 60 {
                red += 1;
            } else if r > 150 && (60..100).contains(&g) && b < 40 {
                amber += 1;
            }
        }
    }
    let share = |n: u64| n as f64 / total as f64;
    (w, share(inked), share(red), share(amber))
}

#[test]
fn dossier_renders_in_chromium_with_the_verdicts_on_top() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let case = repo().join("examples/face-terminal-cn-us");
    let o = assess(&tmp.path().join("ws"), &case, &out, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let png = tmp.path().join("dossier.png");
    render(
        &out.join("dossier.html"),
        &png,
        &tmp.path().join("chromium-profile"),
    );
    // The first screen: title, the four market cards with their amber "at risk" badges
    // (every blocker of this case rests on reported requirements).
    let (width, ink_top, _, amber_top) = ink(&png, 0..500);
    assert_eq!(width, 1280);
    assert!(
        (0.02..0.5).contains(&ink_top),
        "the first screen is blank or solid: {ink_top}"
    );
    assert!(
        amber_top > 0.001,
        "no amber \"at risk\" badge on the first screen: {amber_top}"
    );
    // Further down: tables of gaps and obligations, not an empty page.
    let (_, ink_rest, _, _) = ink(&png, 500..1600);
    assert!(
        ink_rest > 0.03,
        "the page below the fold is empty: {ink_rest}"
    );

    // A page with no verdicts (the iris lock, out of scope everywhere) shows no red badge.
    let out2 = tmp.path().join("out2");
    let case2 = repo().join("examples/iris-lock-non-autonomous");
    let o = assess(&tmp.path().join("ws2"), &case2, &out2, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let png2 = tmp.path().join("iris.png");
    render(
        &out2.join("dossier.html"),
        &png2,
        &tmp.path().join("chromium-profile-2"),
    );
    let (_, ink2, red2, _) = ink(&png2, 0..500);
    assert!(ink2 > 0.02, "{ink2}");
    assert!(
        red2 < 0.0005,
        "a red badge on a dossier with nothing that blocks: {red2}"
    );
}

#[test]
fn pdf_dossier_is_printed_by_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let case = repo().join("examples/face-terminal-cn-us");
    let o = assess(&tmp.path().join("ws"), &case, &out, &["--pdf"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let pdf = std::fs::read(out.join("dossier.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    // Page objects (`/Type /Page`, not `/Type /Pages`): the dossier runs over several pages.
    let pages = pdf
        .windows(11)
        .enumerate()
        .filter(|(i, w)| *w == b"/Type /Page" && pdf.get(i + 11) != Some(&b's'))
        .count();
    assert!(pages >= 3, "{pages} pages");

    // A browser that is not there: a clear error, exit 2.
    let o = Command::new(env!("CARGO_BIN_EXE_assay"))
        .env("ASSAY_CHROMIUM", "/nonexistent/chromium")
        .arg("--workspace")
        .arg(tmp.path().join("ws"))
        .args([
            "assess",
            case.to_str().unwrap(),
            "--pdf",
            "--out",
            tmp.path().join("out2").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--pdf needs a headless Chromium"));
}

#[test]
fn progress_shows_on_a_terminal_only() {
    let tmp = tempfile::tempdir().unwrap();
    let case = repo().join("examples/face-terminal-cn-us");
    let cmd = format!(
        "{} --workspace {} assess {} --out {}",
        env!("CARGO_BIN_EXE_assay"),
        tmp.path().join("ws").display(),
        case.display(),
        tmp.path().join("out").display()
    );
    // In a pipe: no terminal control sequences.
    let piped = Command::new("sh").arg("-c").arg(&cmd).output().unwrap();
    let both = [piped.stdout.as_slice(), piped.stderr.as_slice()].concat();
    assert!(!both.contains(&0x1b), "escape sequences in a pipe");
    // On a pseudo-terminal (util-linux `script`): the spinner draws.
    let tty = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .unwrap();
    assert!(
        tty.stdout.contains(&0x1b),
        "no progress drawn on a terminal"
    );
    // --no-progress on a terminal: quiet again.
    let quiet = Command::new("script")
        .args(["-qec", &format!("{cmd} --no-progress"), "/dev/null"])
        .output()
        .unwrap();
    assert!(!quiet.stdout.contains(&0x1b), "--no-progress still drew");
}
