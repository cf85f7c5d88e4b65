//! Text and HTML views of a [`PadReport`]. The HTML page is self-contained (inline CSS and SVG,
//! no script, no network) so it can be archived with the evidence.

use std::fmt::Write as _;

use crate::confidence::{normal_quantile, percent};
use crate::metrics::{DetPoint, Rate};
use crate::report::{Outcome, PadReport};

fn rate_cell(r: &Rate) -> String {
    match r.value {
        Some(v) => format!(
            "{} ({}/{}; CI {}–{})",
            percent(v),
            r.count,
            r.total,
            percent(r.exact.lower),
            percent(r.exact.upper)
        ),
        None => format!("n/a (0/{})", r.total),
    }
}

fn opt_percent(v: Option<f64>) -> String {
    v.map(percent).unwrap_or_else(|| "n/a".into())
}

/// A plain-text report for the terminal.
pub fn text(report: &PadReport) -> String {
    let mut out = String::new();
    let c = &report.campaign;
    let _ = writeln!(out, "PAD report ({})", report.generator);
    let _ = writeln!(
        out,
        "campaign {}: {} presentations ({} bona fide, {} attacks), {} species, {} subjects",
        c.source,
        c.presentations,
        c.bona_fide,
        c.attacks,
        c.species.len(),
        c.subjects
    );
    if let Some(d) = &c.digest {
        let _ = writeln!(out, "campaign digest sha256:{d}");
    }
    if let Some(m) = &report.manifest {
        let _ = writeln!(
            out,
            "device {} firmware sha256:{}; lab {}; {} to {}",
            m.device.name, m.device.firmware_digest, m.lab.name, m.dates.start, m.dates.end
        );
    }
    if let Some(lab) = &report.lab {
        let _ = writeln!(
            out,
            "test organisation {}; accreditation {}",
            lab.name,
            lab.accreditation
                .as_ref()
                .map(|a| a.reference())
                .unwrap_or_else(|| "none stated".into())
        );
        for d in &lab.deviations {
            let _ = writeln!(out, "deviation: {d}");
        }
    }
    for s in &report.samples {
        let _ = writeln!(
            out,
            "sample {} hardware {} firmware {}",
            s.serial,
            s.hardware_revision.as_deref().unwrap_or("not stated"),
            s.firmware_digest.as_deref().unwrap_or("not stated")
        );
    }
    if let Some(sig) = &report.signature {
        let _ = writeln!(
            out,
            "signed with key {} (fingerprint {}) on {}",
            sig.key_name, sig.key_fingerprint, sig.date
        );
    }
    let _ = writeln!(
        out,
        "species groups covered: {}",
        if c.species_groups.is_empty() {
            "none".to_string()
        } else {
            c.species_groups.join(", ")
        }
    );
    let conf = format!("{}%", (report.settings.confidence * 100.0).round());
    if let Some(d) = &report.decisions {
        let _ = writeln!(out, "\nDevice decisions ({conf} Clopper-Pearson intervals)");
        let _ = writeln!(
            out,
            "  {:<24} {:>7} {:>40} {:>12} {:>12}",
            "species", "n", "APCER", "APNRR", "IAPAR"
        );
        for s in &d.species {
            let _ = writeln!(
                out,
                "  {:<24} {:>7} {:>40} {:>12} {:>12}",
                s.name,
                s.counts.presentations,
                rate_cell(&s.apcer),
                opt_percent(s.apnrr.value),
                opt_percent(s.iapar.value)
            );
        }
        for l in &d.levels {
            let _ = writeln!(
                out,
                "  level {:<18} {:>7} {:>40}",
                l.name,
                l.counts.presentations,
                rate_cell(&l.apcer)
            );
        }
        if let Some(w) = &d.apcer_ap {
            let _ = writeln!(
                out,
                "  APCER_AP (worst species {}): {}",
                w.name,
                percent(w.value)
            );
        }
        let _ = writeln!(out, "  BPCER: {}", rate_cell(&d.bpcer));
        let _ = writeln!(out, "  BPNRR: {}", rate_cell(&d.bpnrr));
        for s in &d.species {
            let _ = writeln!(
                out,
                "  {}",
                s.apcer
                    .statement
                    .replace("APCER", &format!("APCER {}", s.name))
            );
        }
        if let Some(a) = d.acer_non_conformant {
            let _ = writeln!(
                out,
                "  ACER (not ISO/IEC 30107-3 conformant, comparison only): {}",
                percent(a)
            );
        }
    }
    if let Some(s) = &report.scores {
        let _ = writeln!(
            out,
            "\nScores: {} bona fide and {} attacks scored; APNRR {}, BPNRR {}",
            s.bona_fide_scored,
            s.attacks_scored,
            opt_percent(s.apnrr_pooled.value),
            opt_percent(s.bpnrr.value)
        );
        let _ = writeln!(
            out,
            "  BPCER20 {}  BPCER100 {}  EER {} (threshold {})",
            opt_percent(s.bpcer20),
            opt_percent(s.bpcer100),
            opt_percent(s.eer),
            s.eer_threshold
                .map(|t| format!("{t:.6}"))
                .unwrap_or_else(|| "n/a".into())
        );
        for p in &s.operating_points {
            let _ = writeln!(out, "  at {} (threshold {:.7}):", p.criterion, p.threshold);
            for g in &p.species {
                let _ = writeln!(out, "    APCER {:<20} {}", g.name, rate_cell(&g.apcer));
            }
            for g in &p.levels {
                let _ = writeln!(
                    out,
                    "    APCER level {:<14} {}",
                    g.name,
                    rate_cell(&g.apcer)
                );
            }
            if let Some(w) = &p.apcer_ap {
                let _ = writeln!(out, "    APCER_AP {} ({})", percent(w.value), w.name);
            }
            let _ = writeln!(out, "    BPCER {}", rate_cell(&p.bpcer));
        }
    }
    if let Some(b) = &report.bootstrap {
        let _ = writeln!(
            out,
            "\nSubject-clustered bootstrap ({} resamples of {} subjects, seed {}), basis {}",
            b.intervals.resamples, b.intervals.clusters, b.intervals.seed, b.basis
        );
        for (name, i) in b.names.iter().zip(&b.intervals.rates) {
            if let Some(i) = i {
                let _ = writeln!(
                    out,
                    "  {name:<28} {conf} {}–{}",
                    percent(i.lower),
                    percent(i.upper)
                );
            }
        }
        if let Some(i) = &b.intervals.max {
            let _ = writeln!(
                out,
                "  {:<28} {conf} {}–{}",
                "APCER_AP",
                percent(i.lower),
                percent(i.upper)
            );
        }
    }
    if !report.verdicts.is_empty() {
        let _ = writeln!(out, "\nVerdicts");
    }
    for v in &report.verdicts {
        let _ = writeln!(
            out,
            "  {} {} ({}), basis {}",
            v.outcome.name().to_uppercase(),
            v.scheme,
            v.name,
            v.basis
        );
        for c in &v.criteria {
            let _ = writeln!(
                out,
                "    [{}] {}: {} ({}, {})",
                c.outcome.name(),
                c.id,
                c.requirement,
                c.status.name(),
                c.source_title
            );
            for f in &c.failures {
                let _ = writeln!(out, "      - {f}");
            }
            for w in &c.warnings {
                let _ = writeln!(out, "      ! {w}");
            }
        }
        for w in &v.warnings {
            let _ = writeln!(out, "    note: {w}");
        }
    }
    if !report.warnings.is_empty() {
        let _ = writeln!(out, "\nWarnings");
        for w in &report.warnings {
            let _ = writeln!(out, "  - {w}");
        }
    }
    // Labels come from the campaign file: an escape sequence in a species name must reach
    // the terminal as text, not as a command.
    inert(&out)
}

/// `text` with control, bidirectional and invisible format characters written as `\u{..}`
/// escapes (line breaks kept), so it can be printed on a terminal whatever the labels hold.
fn inert(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c != '\n' && assay_core::text::is_unsafe_to_show(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Probit axis position of a rate, clipped to the drawn range.
fn probit(x: f64) -> f64 {
    normal_quantile(x.clamp(1e-4, 0.5))
}

/// An SVG DET curve (probit axes, APCER against BPCER), attacks pooled.
pub fn det_svg(points: &[DetPoint]) -> String {
    det_svg_marked(points, &[], "APCER (attacks pooled)")
}

/// An SVG DET curve with operating points marked (a dot and the point's name each).
pub fn det_svg_marked(points: &[DetPoint], marks: &[(String, DetPoint)], x_label: &str) -> String {
    let (w, h, m) = (420.0, 420.0, 50.0);
    let lo = probit(1e-4);
    let hi = probit(0.5);
    let sx = |x: f64| m + (probit(x) - lo) / (hi - lo) * (w - 2.0 * m);
    let sy = |y: f64| h - m - (probit(y) - lo) / (hi - lo) * (h - 2.0 * m);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="DET curve">"#
    );
    for tick in [0.0001, 0.001, 0.01, 0.05, 0.2, 0.5] {
        let (x, y) = (sx(tick), sy(tick));
        let _ = write!(
            svg,
            r##"<line x1="{x:.1}" y1="{m}" x2="{x:.1}" y2="{}" stroke="#ddd"/><line x1="{m}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#ddd"/><text x="{x:.1}" y="{}" font-size="10" text-anchor="middle">{}</text><text x="{}" y="{y:.1}" font-size="10" text-anchor="end">{}</text>"##,
            h - m,
            w - m,
            h - m + 14.0,
            percent(tick),
            m - 4.0,
            percent(tick)
        );
    }
    let path: Vec<String> = points
        .iter()
        .filter(|p| p.apcer > 0.0 && p.bpcer > 0.0)
        .map(|p| format!("{:.1},{:.1}", sx(p.apcer), sy(p.bpcer)))
        .collect();
    if !path.is_empty() {
        let _ = write!(
            svg,
            r##"<polyline fill="none" stroke="#1f5fa8" stroke-width="2" points="{}"/>"##,
            path.join(" ")
        );
    }
    for (name, p) in marks {
        // A rate of 0 sits on the axis edge (probit of 0 is off the chart): clipped there.
        let (x, y) = (sx(p.apcer), sy(p.bpcer));
        let _ = write!(
            svg,
            r##"<circle cx="{x:.1}" cy="{y:.1}" r="4" fill="#c0392b"><title>{}: APCER {}, BPCER {}</title></circle><text x="{:.1}" y="{:.1}" font-size="10" fill="#c0392b">{}</text>"##,
            esc(name),
            percent(p.apcer),
            percent(p.bpcer),
            x + 6.0,
            y - 6.0,
            esc(name)
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{}" y="{}" font-size="12" text-anchor="middle">{}</text><text x="14" y="{}" font-size="12" transform="rotate(-90 14 {})" text-anchor="middle">BPCER</text></svg>"#,
        w / 2.0,
        h - 10.0,
        esc(x_label),
        h / 2.0,
        h / 2.0
    );
    svg
}

/// The test report a lab signs, as a self-contained HTML page ([`crate::testreport::html`]).
pub fn html(report: &PadReport) -> String {
    crate::testreport::html(report)
}

/// True when no requested scheme failed or stayed indeterminate.
pub fn all_passed(report: &PadReport) -> bool {
    report.verdicts.iter().all(|v| v.outcome == Outcome::Pass)
}
