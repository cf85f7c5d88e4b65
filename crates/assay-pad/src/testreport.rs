//! The test report a lab signs: `assay pad report --format html` (and the same facts in the
//! JSON [`PadReport`]). Its sections follow what ISO/IEC 30107-3 asks a PAD evaluation report to
//! state (test organisation, target of evaluation and samples, PAI species with their attack
//! potential, environment and procedure, the metrics with their counts, deviations); the
//! headings, order and wording are assay's own structure, not text of the standard.
//!
//! [`MetricTable`] is the one reduction of a report to the rates a verdict judged, with the one
//! confidence bound the verdict used (the one-sided Clopper-Pearson upper bound at the report's
//! confidence); the dossier's PAD section shows the same table.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::confidence::percent;
use crate::metrics::{DetPoint, Rate};
use crate::report::PadReport;

/// One unit handed to the lab, as its sample record states it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestedSample {
    pub serial: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware_revision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware_version: Option<String>,
    /// Lowercase hex sha256 of the sample's firmware image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware_digest: Option<String>,
    /// Digest of the build or component list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_digest: Option<String>,
    /// YYYY-MM-DD the unit was handed to the lab.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handed_over: Option<String>,
    /// The sample record it comes from (file name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
}

impl TestedSample {
    /// The units of a sample record (`record` = its file name), one row each.
    pub fn from_record(sample: &assay_core::TestSample, record: &str) -> Vec<TestedSample> {
        sample
            .units
            .iter()
            .map(|u| TestedSample {
                serial: u.serial.trim().to_string(),
                hardware_revision: Some(u.hardware_revision.trim().to_string())
                    .filter(|s| !s.is_empty()),
                firmware_version: None,
                firmware_digest: Some(u.firmware_digest.to_hex()),
                build_digest: u.components_digest.as_ref().map(|d| d.to_hex()),
                handed_over: Some(sample.handed_over.to_string()),
                record: Some(record.to_string()),
            })
            .collect()
    }
}

/// Puts the tested samples into `report` and names every sample whose firmware is not the
/// manifest's tested firmware (a report covers only the configurations its samples share),
/// in the report's warnings.
pub fn attach_samples(report: &mut PadReport, samples: Vec<TestedSample>) {
    if let Some(tested) = report.firmware_digest.clone() {
        for s in &samples {
            match &s.firmware_digest {
                Some(d) if *d != tested => report.warnings.push(format!(
                    "sample {} runs firmware {d}, not the campaign manifest's tested firmware {tested}: the report's results do not cover that sample",
                    s.serial
                )),
                None => report.warnings.push(format!(
                    "sample {}: its record states no firmware digest, so nothing binds it to the tested firmware {tested}",
                    s.serial
                )),
                _ => {}
            }
        }
    }
    report.samples = samples;
}

/// Who signs the report, with which key, on what date. The signature is the DSSE envelope of
/// the recorded `pad-report` evidence; this block names the key a reader checks it against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureBlock {
    /// The signing key's name in the lab's workspace.
    pub key_name: String,
    /// SHA-256 of the Ed25519 public key, first 16 hex digits (the ledger's key id).
    pub key_fingerprint: String,
    /// YYYY-MM-DD the report was issued.
    pub date: String,
}

/// One species' row of [`MetricTable`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpeciesRow {
    pub name: String,
    pub groups: Vec<String>,
    /// How the instruments were made (manifest), `None` = not stated.
    pub fabrication: Option<String>,
    /// The attack potential rating (manifest), `None` = not stated.
    pub attack_potential: Option<String>,
    /// Levels the campaign's rows give this species.
    pub levels: Vec<String>,
    /// Attack presentations, non-responses included.
    pub presentations: u64,
    /// APCER: accepted attacks over attacks classified, with its bound.
    pub apcer: RateCell,
    /// Attack non-response rate (decisions, or scores' failures to acquire).
    pub apnrr: Option<f64>,
    /// IAPAR (decisions only).
    pub iapar: Option<RateCell>,
}

/// A rate with its counts and the bound the verdict used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RateCell {
    pub errors: u64,
    pub total: u64,
    pub value: Option<f64>,
    /// The one-sided Clopper-Pearson upper bound at the report's confidence.
    pub bound: f64,
}

impl RateCell {
    fn of(r: &Rate) -> Self {
        RateCell {
            errors: r.count,
            total: r.total,
            value: r.value,
            bound: r.upper_bound,
        }
    }

    /// "0.00% (0/150; ≤ 1.98%)".
    pub fn show(&self) -> String {
        match self.value {
            Some(v) => format!(
                "{} ({}/{}; ≤ {})",
                percent(v),
                self.errors,
                self.total,
                percent(self.bound)
            ),
            None => format!("n/a (0/{})", self.total),
        }
    }
}

/// A level's row of [`MetricTable`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LevelRow {
    pub name: String,
    pub apcer: RateCell,
}

/// The rates a verdict judged, with counts and the one named bound.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricTable {
    /// `decisions`, or the operating point of a scored campaign.
    pub basis: String,
    /// e.g. "one-sided 95% Clopper-Pearson upper bound".
    pub bound_name: String,
    pub species: Vec<SpeciesRow>,
    pub levels: Vec<LevelRow>,
    pub bona_fide_presentations: u64,
    pub bpcer: Option<RateCell>,
    pub bpnrr: Option<f64>,
    /// The worst species' APCER and its name.
    pub apcer_ap: Option<(String, f64)>,
}

impl MetricTable {
    /// The table of `report`: decisions when the campaign has them (verdicts use them), else
    /// the verdict's operating point.
    pub fn of(report: &PadReport) -> Self {
        let conf = (report.settings.confidence * 100.0).round();
        let manifest_species = |name: &str| {
            report
                .manifest
                .as_ref()
                .and_then(|m| m.species.get(name))
                .cloned()
                .unwrap_or_default()
        };
        let summary = |name: &str| report.campaign.species.iter().find(|s| s.name == name);
        let row = |name: &str, apcer: RateCell, apnrr, iapar| {
            let info = manifest_species(name);
            let s = summary(name);
            SpeciesRow {
                name: name.to_string(),
                groups: s.map(|s| s.groups.clone()).unwrap_or_default(),
                fabrication: info.fabrication.clone(),
                attack_potential: info.attack_potential.clone(),
                levels: s.map(|s| s.levels.clone()).unwrap_or_default(),
                presentations: s.map_or(0, |s| s.presentations),
                apcer,
                apnrr,
                iapar,
            }
        };
        let mut table = MetricTable {
            basis: report.settings.verdict_basis.clone(),
            bound_name: format!("one-sided {conf}% Clopper-Pearson upper bound"),
            species: Vec::new(),
            levels: Vec::new(),
            bona_fide_presentations: report.campaign.bona_fide,
            bpcer: None,
            bpnrr: None,
            apcer_ap: None,
        };
        if let Some(d) = &report.decisions {
            table.species = d
                .species
                .iter()
                .map(|s| {
                    row(
                        &s.name,
                        RateCell::of(&s.apcer),
                        s.apnrr.value,
                        Some(RateCell::of(&s.iapar)),
                    )
                })
                .collect();
            table.levels = d
                .levels
                .iter()
                .map(|l| LevelRow {
                    name: l.name.clone(),
                    apcer: RateCell::of(&l.apcer),
                })
                .collect();
            table.bpcer = Some(RateCell::of(&d.bpcer));
            table.bpnrr = d.bpnrr.value;
            table.apcer_ap = d.apcer_ap.as_ref().map(|w| (w.name.clone(), w.value));
        } else if let (Some(s), Some(p)) = (&report.scores, verdict_point(report)) {
            table.species = p
                .species
                .iter()
                .map(|g| {
                    let apnrr = s
                        .apnrr
                        .iter()
                        .find(|n| n.name == g.name)
                        .and_then(|n| n.apcer.value);
                    row(&g.name, RateCell::of(&g.apcer), apnrr, None)
                })
                .collect();
            table.levels = p
                .levels
                .iter()
                .map(|l| LevelRow {
                    name: l.name.clone(),
                    apcer: RateCell::of(&l.apcer),
                })
                .collect();
            table.bpcer = Some(RateCell::of(&p.bpcer));
            table.bpnrr = s.bpnrr.value;
            table.apcer_ap = p.apcer_ap.as_ref().map(|w| (w.name.clone(), w.value));
        } else {
            table.species = report
                .campaign
                .species
                .iter()
                .map(|s| {
                    row(
                        &s.name,
                        RateCell {
                            errors: 0,
                            total: 0,
                            value: None,
                            bound: 1.0,
                        },
                        None,
                        None,
                    )
                })
                .collect();
        }
        table
    }
}

/// The operating point the verdicts of a scored campaign used.
pub fn verdict_point(report: &PadReport) -> Option<&crate::metrics::OperatingPoint> {
    let s = report.scores.as_ref()?;
    s.operating_points.iter().find(|p| {
        report
            .settings
            .verdict_basis
            .starts_with(&format!("scores at {} ", p.criterion))
    })
}

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn or_not_stated(v: Option<&str>) -> String {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => esc(v),
        None => "<i>not stated</i>".into(),
    }
}

/// The metric table as HTML rows (species, levels, bona fide), shared with the dossier.
pub fn metric_table_html(t: &MetricTable) -> String {
    let mut h = String::new();
    let has_iapar = t.species.iter().any(|s| s.iapar.is_some());
    let _ = write!(
        h,
        "<table><tr><th>PAI species</th><th>Attack potential</th><th>Attack presentations</th><th>APCER (errors/classified; {})</th><th>APNRR</th>{}</tr>",
        esc(&t.bound_name),
        if has_iapar { "<th>IAPAR</th>" } else { "" }
    );
    for s in &t.species {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{}</tr>",
            esc(&s.name),
            attack_potential_cell(s),
            s.presentations,
            esc(&s.apcer.show()),
            s.apnrr.map(percent).unwrap_or_else(|| "n/a".into()),
            if has_iapar {
                format!(
                    "<td>{}</td>",
                    s.iapar
                        .as_ref()
                        .map(|r| esc(&r.show()))
                        .unwrap_or_else(|| "n/a".into())
                )
            } else {
                String::new()
            }
        );
    }
    for l in &t.levels {
        let _ = write!(
            h,
            "<tr><td>level {}</td><td></td><td>{}</td><td>{}</td><td></td>{}</tr>",
            esc(&l.name),
            l.apcer.total,
            esc(&l.apcer.show()),
            if has_iapar { "<td></td>" } else { "" }
        );
    }
    if let Some((name, v)) = &t.apcer_ap {
        let _ = write!(
            h,
            "<tr><td><b>APCER_AP</b> (worst species: {})</td><td></td><td></td><td>{}</td><td></td>{}</tr>",
            esc(name),
            percent(*v),
            if has_iapar { "<td></td>" } else { "" }
        );
    }
    let _ = write!(
        h,
        "<tr><td><b>bona fide</b></td><td></td><td>{}</td><td>BPCER {}</td><td>BPNRR {}</td>{}</tr></table>",
        t.bona_fide_presentations,
        t.bpcer
            .as_ref()
            .map(|r| esc(&r.show()))
            .unwrap_or_else(|| "n/a".into()),
        t.bpnrr.map(percent).unwrap_or_else(|| "n/a".into()),
        if has_iapar { "<td></td>" } else { "" }
    );
    let _ = write!(
        h,
        "<p class=\"muted\">Basis of the verdicts: {}. The bound after each rate is the {} the verdicts used: the highest rate the counts are consistent with at that confidence.</p>",
        esc(&t.basis),
        esc(&t.bound_name)
    );
    h
}

fn attack_potential_cell(s: &SpeciesRow) -> String {
    match (&s.attack_potential, s.levels.is_empty()) {
        (Some(r), _) => esc(r),
        (None, false) => format!(
            "<i>not stated</i> (campaign rows: {})",
            esc(&s.levels.join(", "))
        ),
        (None, true) => "<i>not stated</i>".into(),
    }
}

/// Per-species DET curves with the operating points marked, as SVG figures.
pub fn species_det_html(report: &PadReport) -> String {
    let mut h = String::new();
    let Some(scores) = &report.scores else {
        return h;
    };
    for d in &report.species_det {
        let marks: Vec<(String, DetPoint)> = scores
            .operating_points
            .iter()
            .filter_map(|p| {
                let g = p.species.iter().find(|g| g.name == d.species)?;
                Some((
                    p.criterion.clone(),
                    DetPoint {
                        threshold: p.threshold,
                        apcer: g.apcer.value?,
                        bpcer: p.bpcer.value?,
                    },
                ))
            })
            .collect();
        let _ = write!(
            h,
            "<figure class=\"det\">{}<figcaption class=\"muted\">DET curve of species {} against the bona fide presentations; marked: the operating points ({}).</figcaption></figure>",
            crate::render::det_svg_marked(&d.points, &marks, &format!("APCER ({})", d.species)),
            esc(&d.species),
            esc(&marks
                .iter()
                .map(|(c, _)| c.as_str())
                .collect::<Vec<_>>()
                .join(", "))
        );
    }
    h
}

/// The test report as a self-contained HTML page (inline CSS and SVG, no script).
pub fn html(report: &PadReport) -> String {
    let mut out = String::new();
    let c = &report.campaign;
    let lab = report.lab.as_ref();
    let title = match lab.and_then(|l| l.report_id.as_deref()) {
        Some(id) => format!("PAD test report {id}"),
        None => "PAD test report".to_string(),
    };
    let _ = write!(
        out,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{}</title><style>
body{{font-family:system-ui,sans-serif;margin:2em;max-width:72em;color:#222}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}}
th{{background:#f3f3f3}}.pass{{color:#176117;font-weight:bold}}.fail{{color:#a11;font-weight:bold}}
.indeterminate{{color:#a60;font-weight:bold}}.muted{{color:#666;font-size:.9em}}
figure.det{{display:inline-block;margin:.5em}}
</style></head><body>"#,
        esc(&title)
    );
    let _ = write!(
        out,
        "<h1>{}</h1><p class=\"muted\">Presentation attack detection evaluation, metrics as defined by ISO/IEC 30107-3. The section structure is assay's, informed by what ISO/IEC 30107-3 asks an evaluation report to state; it is not text of the standard. Generated by {}.</p>",
        esc(&title),
        esc(&report.generator)
    );

    // 1. Test organisation.
    out.push_str("<h2>1. Test organisation</h2><table>");
    let lab_name = lab
        .map(|l| l.name.as_str())
        .or(report.manifest.as_ref().map(|m| m.lab.name.as_str()));
    let _ = write!(
        out,
        "<tr><th>Name</th><td>{}</td></tr><tr><th>Address</th><td>{}</td></tr>",
        or_not_stated(lab_name),
        or_not_stated(lab.and_then(|l| l.address.as_deref()))
    );
    let accreditation = match lab.and_then(|l| l.accreditation.as_ref()) {
        Some(a) => format!(
            "{} <b>{}</b>; scope: {}",
            esc(&a.body),
            esc(&a.number),
            or_not_stated(a.scope.as_deref())
        ),
        None => match report
            .manifest
            .as_ref()
            .and_then(|m| m.lab.accreditation.as_deref())
        {
            Some(a) => format!("{} (from the campaign manifest)", esc(a)),
            None => "<i>none stated</i>".into(),
        },
    };
    let _ = write!(
        out,
        "<tr><th>Accreditation</th><td>{accreditation}</td></tr><tr><th>Report number</th><td>{}</td></tr></table>",
        or_not_stated(lab.and_then(|l| l.report_id.as_deref()))
    );

    // 2. Target of evaluation and samples.
    out.push_str("<h2>2. Target of evaluation and samples tested</h2>");
    match &report.manifest {
        Some(m) => {
            let _ = write!(
                out,
                "<table><tr><th>Device</th><td>{}</td></tr><tr><th>Model</th><td>{}</td></tr><tr><th>Firmware version</th><td>{}</td></tr><tr><th>Firmware (sha256)</th><td><code>{}</code></td></tr><tr><th>Test dates</th><td>{} to {}</td></tr></table>",
                esc(&m.device.name),
                or_not_stated(m.device.model.as_deref()),
                or_not_stated(m.device.firmware_version.as_deref()),
                esc(&m.device.firmware_digest),
                esc(&m.dates.start),
                esc(&m.dates.end)
            );
        }
        None => out.push_str(
            "<p><b>No campaign manifest:</b> the device, its firmware and the test dates are not stated, so this report covers no configuration.</p>",
        ),
    }
    if report.samples.is_empty() {
        out.push_str("<p>Samples tested: <i>no sample record given</i> (the report is bound to the firmware digest above only).</p>");
    } else {
        out.push_str("<table><tr><th>Serial</th><th>Hardware revision</th><th>Firmware</th><th>Firmware (sha256)</th><th>Build / component list</th><th>Handed over</th></tr>");
        for s in &report.samples {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
                esc(&s.serial),
                or_not_stated(s.hardware_revision.as_deref()),
                or_not_stated(s.firmware_version.as_deref()),
                or_not_stated(s.firmware_digest.as_deref()),
                or_not_stated(s.build_digest.as_deref()),
                or_not_stated(s.handed_over.as_deref())
            );
        }
        out.push_str("</table>");
    }

    // 3. PAI species.
    let table = MetricTable::of(report);
    out.push_str("<h2>3. Presentation attack instrument species</h2><table><tr><th>Species</th><th>Groups</th><th>How the instruments were made</th><th>Attack potential</th><th>Attack presentations</th></tr>");
    for s in &table.species {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&s.name),
            if s.groups.is_empty() {
                "<i>unknown</i>".to_string()
            } else {
                esc(&s.groups.join(", "))
            },
            or_not_stated(s.fabrication.as_deref()),
            attack_potential_cell(s),
            s.presentations
        );
    }
    let _ = write!(
        out,
        "</table><p>Campaign <code>{}</code>{}: {} presentations ({} bona fide, {} attacks), {} subjects.</p>",
        esc(&c.source),
        c.digest
            .as_ref()
            .map(|d| format!(" (sha256 <code>{}</code>)", esc(d)))
            .unwrap_or_default(),
        c.presentations,
        c.bona_fide,
        c.attacks,
        c.subjects
    );

    // 4. Environment and procedure.
    out.push_str("<h2>4. Test environment and procedure</h2>");
    match lab {
        None => out.push_str("<p><i>not stated</i> (no lab file was given)</p>"),
        Some(l) => {
            let e = &l.environment;
            let _ = write!(
                out,
                "<table><tr><th>Location</th><td>{}</td></tr><tr><th>Equipment</th><td>{}</td></tr><tr><th>Conditions</th><td>{}</td></tr><tr><th>Procedure</th><td>{}</td></tr><tr><th>Summary</th><td>{}</td></tr></table>",
                or_not_stated(e.location.as_deref()),
                if e.equipment.is_empty() {
                    "<i>not stated</i>".to_string()
                } else {
                    esc(&e.equipment.join("; "))
                },
                if e.conditions.is_empty() {
                    "<i>not stated</i>".to_string()
                } else {
                    e.conditions
                        .iter()
                        .map(|(k, v)| format!("{}: {}", esc(k), esc(v)))
                        .collect::<Vec<_>>()
                        .join("; ")
                },
                or_not_stated(l.procedure.reference.as_deref()),
                or_not_stated(l.procedure.summary.as_deref())
            );
            if !l.procedure.steps.is_empty() {
                out.push_str("<ol>");
                for s in &l.procedure.steps {
                    let _ = write!(out, "<li>{}</li>", esc(s));
                }
                out.push_str("</ol>");
            }
        }
    }

    // 5. Results.
    out.push_str("<h2>5. Results (ISO/IEC 30107-3 metrics)</h2>");
    out.push_str(&metric_table_html(&table));
    if let Some(s) = &report.scores {
        let _ = write!(
            out,
            "<p>Scores: BPCER20 {} · BPCER100 {} · EER {}</p>",
            s.bpcer20.map(percent).unwrap_or_else(|| "n/a".into()),
            s.bpcer100.map(percent).unwrap_or_else(|| "n/a".into()),
            s.eer.map(percent).unwrap_or_else(|| "n/a".into())
        );
        out.push_str(&species_det_html(report));
    }

    // 6. Verdicts.
    out.push_str("<h2>6. Scheme verdicts</h2>");
    if report.verdicts.is_empty() {
        out.push_str("<p>No scheme was judged.</p>");
    }
    for v in &report.verdicts {
        let _ = write!(
            out,
            "<h3>{} <span class=\"muted\">({})</span>: <span class=\"{}\">{}</span></h3><table><tr><th>Criterion</th><th>Requirement</th><th>Outcome</th><th>Findings</th><th>Source</th></tr>",
            esc(&v.name),
            esc(&v.scheme),
            v.outcome.name(),
            v.outcome.name()
        );
        for cr in &v.criteria {
            let findings: String = cr
                .failures
                .iter()
                .map(|f| format!("<div>– {}</div>", esc(f)))
                .chain(
                    cr.warnings
                        .iter()
                        .map(|w| format!("<div>⚠ {}</div>", esc(w))),
                )
                .collect();
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{} <span class=\"muted\">({})</span></td></tr>",
                esc(&cr.id),
                esc(&cr.requirement),
                cr.outcome.name(),
                cr.outcome.name(),
                findings,
                esc(&cr.source_title),
                cr.status.name()
            );
        }
        out.push_str("</table>");
        for w in &v.warnings {
            let _ = write!(out, "<p class=\"muted\">{}</p>", esc(w));
        }
    }

    // 7. Deviations.
    out.push_str("<h2>7. Deviations and remarks</h2>");
    let deviations = lab.map(|l| l.deviations.as_slice()).unwrap_or_default();
    if deviations.is_empty() {
        out.push_str("<p>Deviations from the procedure: <i>none stated</i>.</p>");
    } else {
        out.push_str("<p>Deviations from the procedure, as the lab states them:</p><ul>");
        for d in deviations {
            let _ = write!(out, "<li>{}</li>", esc(d));
        }
        out.push_str("</ul>");
    }
    if !report.warnings.is_empty() {
        out.push_str("<p>Remarks on the data:</p><ul>");
        for w in &report.warnings {
            let _ = write!(out, "<li>{}</li>", esc(w));
        }
        out.push_str("</ul>");
    }

    // 8. Signature.
    out.push_str("<h2>8. Signature</h2><table>");
    let signatory = lab.and_then(|l| l.signatory.as_ref());
    let _ = write!(
        out,
        "<tr><th>Signed for the lab by</th><td>{}{}</td></tr>",
        or_not_stated(signatory.map(|s| s.name.as_str())),
        signatory
            .and_then(|s| s.role.as_deref())
            .map(|r| format!(", {}", esc(r)))
            .unwrap_or_default()
    );
    match &report.signature {
        Some(s) => {
            let _ = write!(
                out,
                "<tr><th>Signing key</th><td>{} (fingerprint <code>{}</code>)</td></tr><tr><th>Date</th><td>{}</td></tr></table><p class=\"muted\">The signature is the DSSE envelope (Ed25519) of the <code>pad-report</code> evidence recorded with this report; check it with <code>assay verify-bundle</code> against the key with this fingerprint, obtained from the lab directly.</p>",
                esc(&s.key_name),
                esc(&s.key_fingerprint),
                esc(&s.date)
            );
        }
        None => out.push_str(
            "<tr><th>Signing key</th><td><i>not signed</i>: this page was not recorded as evidence</td></tr></table>",
        ),
    }

    out.push_str("<h2>Conventions</h2><ul>");
    for cv in &report.conventions {
        let _ = write!(out, "<li>{}</li>", esc(cv));
    }
    out.push_str("</ul></body></html>\n");
    out
}
