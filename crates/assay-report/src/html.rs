//! HTML renderings. Hand-written rather than templated: the pages are small, the escaping is
//! in one place ([`escape`]), and every value comes from the model.

use std::fmt::Write as _;

use assay_rules::{Applicability, Status, VerdictBasis};

use crate::model::{Assessment, InputStatus};
use crate::verdict::MarketItem;

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = r#"
:root{--ok:#1b7f3b;--bad:#b42318;--warn:#b54708;--mute:#667085;--line:#d0d5dd;--bg:#f8f9fb}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:#101828;margin:0;background:#fff}
main{max-width:1180px;margin:0 auto;padding:24px 28px 64px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:36px 0 10px;padding-bottom:4px;border-bottom:2px solid #101828}
h3{font-size:15px;margin:22px 0 8px}
.sub{color:var(--mute);margin:0 0 16px}
table{border-collapse:collapse;width:100%;margin:6px 0 14px;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{background:var(--bg);font-weight:600}
code,.digest{font:12px/1.3 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap;color:#fff}
.met,.can-ship,.pass,.read{background:var(--ok)}
.unmet,.failing,.cannot-ship,.fail,.failed{background:var(--bad)}
.expiring,.at-risk,.indeterminate,.possibly{background:var(--warn)}
.not-applicable,.skipped,.advice,.no-known-requirements{background:var(--mute)}
.possibly-applicable{background:#fff;color:var(--warn);border:1px dashed var(--warn)}
.basis{display:inline-block;padding:0 6px;border-radius:4px;font-size:11px;font-weight:600;border:1px solid currentColor;white-space:nowrap}
.b-confirmed{color:var(--bad)}.b-reported{color:var(--warn)}.b-interpretation,.b-policy{color:var(--mute)}
.card ul{margin:4px 0 0 16px;padding:0;font-size:12px}.card li{margin:2px 0}
.legend{font-size:12px;color:var(--mute);margin:4px 0 8px}
.primary{color:var(--ok);font-weight:600}.secondary{color:var(--warn);font-weight:600}.unverified{color:var(--bad);font-weight:600}
ul.reasons{margin:4px 0 0 18px;padding:0}ul.reasons li{margin:1px 0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:12px;margin:10px 0}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:var(--bg)}
.card .m{font-size:18px;font-weight:700}
.note{color:var(--mute);font-size:12px}
figure{margin:8px 0}svg{max-width:100%;height:auto}
"#;

fn badge(class: &str, label: &str) -> String {
    format!(
        "<span class=\"badge {}\">{}</span>",
        escape(class),
        escape(label)
    )
}

/// What a verdict rests on, shown beside it on the first screen.
const LEGEND: &str = "<p class=\"legend\">What each verdict rests on: <span class=\"basis b-confirmed\">confirmed</span> required by a primary source (the issuing body) · <span class=\"basis b-reported\">reported</span> stated by secondary sources only (news, vendors) · <span class=\"basis b-interpretation\">interpretation</span> assay's reading, not stated by a source · <span class=\"basis b-policy\">assay policy</span> not a sourced requirement. Only confirmed blockers make a market <b>cannot ship</b>; reported ones make it <b>at risk</b> (and still fail the check); interpretation and policy never block unless your policy file enforces them. <b>No known requirements</b> means assay's rule packs hold none for that market: it is not a clearance.</p>";

fn basis_tag(b: VerdictBasis) -> String {
    let label = match b {
        VerdictBasis::Policy => "assay policy",
        other => other.as_str(),
    };
    format!(
        "<span class=\"basis b-{}\" title=\"{}\">{}</span>",
        b.as_str(),
        escape(b.describe()),
        label
    )
}

fn card_list(h: &mut String, heading: &str, items: &[MarketItem]) {
    if items.is_empty() {
        return;
    }
    let _ = write!(h, "<p class=\"note\"><b>{}</b></p><ul>", escape(heading));
    for i in items {
        let _ = write!(
            h,
            "<li>{} {}{}: {}</li>",
            basis_tag(i.basis),
            escape(&i.title),
            if i.enforced {
                " (enforced by your policy)"
            } else {
                ""
            },
            escape(&i.reason)
        );
    }
    h.push_str("</ul>");
}

fn status_class(s: Status) -> &'static str {
    s.as_str()
}

fn short(d: &str) -> &str {
    &d[..d.len().min(12)]
}

/// The dossier: one self-contained page.
pub fn dossier_html(a: &Assessment) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let s = &a.subject;
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>Dossier: {}</title><style>{CSS}</style></head><body><main>",
        escape(&s.name)
    );
    let _ = write!(
        h,
        "<h1>Compliance dossier: {}</h1><p class=\"sub\">{} · {} · {} · judged on {} · generated by {}</p>",
        escape(&s.name),
        escape(&s.id),
        escape(&s.vendor),
        escape(&s.category),
        escape(&a.date.to_string()),
        escape(&a.generator)
    );
    if let Some(d) = &s.artefact_digest {
        let _ = write!(
            h,
            "<p>Firmware / model digest: <code>{}</code></p>",
            escape(&d.to_hex())
        );
    }

    // 1. Markets.
    h.push_str("<h2 id=\"markets\">Markets</h2>");
    h.push_str(LEGEND);
    h.push_str("<div class=\"cards\">");
    for m in &a.markets {
        let _ = write!(
            h,
            "<div class=\"card\"><div class=\"m\">{}</div>{} {}<p>{}</p>",
            escape(&m.market),
            badge(m.status.as_str(), m.status.label()),
            m.basis.map(basis_tag).unwrap_or_default(),
            escape(&m.why)
        );
        card_list(&mut h, "Blockers", &m.blockers);
        card_list(&mut h, "At risk, not blocking", &m.risks);
        card_list(
            &mut h,
            "Possibly applicable (unverified scope)",
            &m.possibly,
        );
        match (&m.delivery, &m.earliest_date) {
            (Some(line), _) => {
                let _ = write!(h, "<p class=\"note\">{}</p>", escape(line));
            }
            (None, Some(d)) => {
                let _ = write!(
                    h,
                    "<p class=\"note\">earliest delivery: {}</p>",
                    escape(&d.to_string())
                );
            }
            (None, None) => {}
        }
        h.push_str("</div>");
    }
    h.push_str("</div>");
    let sum = &a.evaluation.summary;
    let _ = write!(
        h,
        "<p class=\"note\">Obligations: {} met, {} expiring, {} unmet, {} failing, {} not applicable; {} blocking; {} possibly applicable (unverified scope); {} open recommendations.</p>",
        sum.met,
        sum.expiring,
        sum.unmet,
        sum.failing,
        sum.not_applicable,
        sum.blocking,
        sum.possibly_applicable,
        sum.open_advice
    );

    // 2. Gaps.
    h.push_str("<h2 id=\"gaps\">Gaps and recommended actions</h2>");
    if a.gaps.is_empty() {
        h.push_str("<p>No gaps.</p>");
    } else {
        h.push_str("<table><tr><th>Market</th><th>Obligation</th><th>Status</th><th>Rests on</th><th>Recommended action</th></tr>");
        // Applicable gaps first, possibly applicable ones apart below them.
        let (applicable, possibly): (Vec<_>, Vec<_>) = a
            .gaps
            .iter()
            .partition(|g| g.applicability != Applicability::Possibly);
        for (i, g) in applicable.iter().chain(possibly.iter()).enumerate() {
            if i == applicable.len() && !possibly.is_empty() {
                h.push_str("<tr><th colspan=\"5\">Possibly applicable: scope unverified, never blocking</th></tr>");
            }
            let kind = if g.applicability == Applicability::Possibly {
                badge("possibly-applicable", "possibly applicable")
            } else if g.blocking {
                badge(status_class(g.status), g.status.as_str())
            } else if g.advice || !g.basis.is_sourced() {
                badge("advice", "advice")
            } else {
                badge("expiring", g.status.as_str())
            };
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}<br><span class=\"note\">{} / {}</span></td><td>{kind}</td><td>{}{}</td><td>{}</td></tr>",
                escape(&g.market),
                escape(&g.title),
                escape(&g.pack_id),
                escape(&g.obligation_id),
                basis_tag(g.basis),
                if g.enforced {
                    " <span class=\"note\">enforced by your policy</span>"
                } else {
                    ""
                },
                escape(&g.action)
            );
        }
        h.push_str("</table>");
    }

    // 3. Obligations.
    h.push_str("<h2 id=\"obligations\">Obligations, market by market</h2>");
    for r in &a.evaluation.results {
        let _ = write!(
            h,
            "<h3>{} · {} {}</h3><p class=\"note\">pack <code>{}</code> sha256 <code>{}</code></p>",
            escape(&r.market),
            escape(&r.pack_title),
            match r.applicability {
                Applicability::Applies => badge("met", "applies"),
                Applicability::Possibly => badge("possibly", "possibly applies"),
                Applicability::NotApplicable => badge("not-applicable", "not applicable"),
            },
            escape(&r.pack_id),
            escape(&r.pack_digest.to_hex())
        );
        if !r.scope.is_empty() {
            h.push_str("<ul class=\"reasons\">");
            for c in &r.scope {
                let outcome = match c.outcome {
                    assay_rules::Match::Matched => "matched",
                    assay_rules::Match::NotMatched => "not matched",
                    assay_rules::Match::Unknown => "unknown",
                };
                let _ = write!(
                    h,
                    "<li style=\"margin-left:{}px\">scope: {} — <b>{outcome}</b> ({}){}</li>",
                    u32::from(c.depth) * 14,
                    escape(&c.test),
                    escape(&c.actual),
                    match (&c.source, c.source_status) {
                        (Some(src), Some(st)) => format!(
                            " <span class=\"note\">[{}, <span class=\"{}\">{}</span>]</span>",
                            escape(src),
                            st.as_str(),
                            st.as_str()
                        ),
                        (Some(src), None) =>
                            format!(" <span class=\"note\">[{}]</span>", escape(src)),
                        _ => String::new(),
                    }
                );
            }
            h.push_str("</ul>");
        }
        if r.obligations.is_empty() {
            continue;
        }
        h.push_str("<table><tr><th style=\"width:26%\">Obligation</th><th>Status</th><th>Rests on</th><th>Reasons and evidence</th></tr>");
        for o in &r.obligations {
            let _ = write!(
                h,
                "<tr><td><b>{}</b><br><span class=\"note\">{} · {:?}{}</span></td><td>{}</td><td>{}<br><span class=\"{}\">confidence {}</span></td><td><ul class=\"reasons\">",
                escape(&o.title),
                escape(&o.id),
                o.force,
                if o.advice { " · advice" } else { "" },
                badge(status_class(o.status), o.status.as_str()),
                basis_tag(o.basis),
                o.confidence.as_str(),
                o.confidence.as_str()
            );
            for reason in &o.reasons {
                let _ = write!(h, "<li>{}</li>", escape(&reason.to_string()));
            }
            for e in &o.evidence {
                let _ = write!(
                    h,
                    "<li>evidence #{} {} <code>{}</code>{}: {:?}{}</li>",
                    e.ledger_index,
                    e.kind,
                    short(&e.blob_digest.to_hex()),
                    e.issuer
                        .as_ref()
                        .map(|i| format!(" by {}", escape(i)))
                        .unwrap_or_default(),
                    e.verdict,
                    if e.why.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", escape(&e.why.join("; ")))
                    }
                );
            }
            if let Some(d) = &o.deadline {
                let _ = write!(
                    h,
                    "<li>deadline: {}{}</li>",
                    escape(&d.description),
                    d.due.map(|due| format!(" (due {due})")).unwrap_or_default()
                );
            }
            if !o.sources.is_empty() {
                let _ = write!(
                    h,
                    "<li class=\"note\">sources: {}</li>",
                    escape(&o.sources.join(", "))
                );
            }
            h.push_str("</ul></td></tr>");
        }
        h.push_str("</table>");
    }

    // 4. Evidence.
    h.push_str("<h2 id=\"evidence\">Evidence</h2>");
    if a.evidence.is_empty() {
        h.push_str("<p>No evidence about this subject in the ledger.</p>");
    } else {
        h.push_str("<table><tr><th>#</th><th>Kind</th><th>File</th><th>SHA-256</th><th>Issuer</th><th>Signature</th><th>Recorded</th></tr>");
        for e in &a.evidence {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"digest\">{}</td><td>{}{}{}</td><td>{}</td><td>{}</td></tr>",
                e.index,
                escape(e.kind.as_str()),
                escape(&e.file_name),
                escape(&e.digest.to_hex()),
                escape(&e.signer),
                e.role
                    .as_ref()
                    .map(|r| format!(" ({})", escape(r)))
                    .unwrap_or_default(),
                key_fingerprint(&e.signer_key_id),
                escape(&e.signature),
                escape(&e.recorded_at),
            );
        }
        h.push_str("</table><p class=\"note\">Key: the signer's key fingerprint (SHA-256 of its public key, first 16 hex digits). A key that ships with the evidence it verifies only shows the files are unchanged since they were signed; compare each fingerprint with one the issuer gave you directly.</p>");
    }

    if let Some(r) = a.retest.as_ref().filter(|r| !r.is_empty()) {
        let markets: Vec<String> = a.markets.iter().map(|m| m.market.clone()).collect();
        crate::retest::retest_html(&mut h, r, &markets);
    }

    // 5. PAD.
    h.push_str("<h2 id=\"pad\">Presentation attack detection (ISO/IEC 30107-3)</h2>");
    if a.pad.is_empty() {
        h.push_str("<p>No PAD campaign in this case.</p>");
    }
    for p in &a.pad {
        pad_section(&mut h, p);
    }

    // 6. Vulnerabilities.
    h.push_str("<h2 id=\"vulnerabilities\">Vulnerabilities</h2>");
    match &a.vuln {
        None => h.push_str("<p>No SBOM or lockfile in this case.</p>"),
        Some(v) => vuln_section(&mut h, v),
    }

    // 7. Descriptions.
    h.push_str("<h2 id=\"descriptions\">Product descriptions</h2>");
    match &a.evaluation.consistency {
        None => h.push_str("<p>No product descriptions in this case.</p>"),
        Some(c) if c.conflicts.is_empty() => {
            let _ = write!(
                h,
                "<p>{} documents, {} claims about the functions the packs care about: no conflict.</p>",
                c.documents.len(),
                c.claims.len()
            );
        }
        Some(c) => {
            h.push_str("<table><tr><th>Topic</th><th>First</th><th>Second</th><th>Why it conflicts</th></tr>");
            for x in &c.conflicts {
                let _ = write!(
                    h,
                    "<tr><td>{:?}</td><td><b>{}:{}</b> “{}”</td><td><b>{}:{}</b> “{}”</td><td>{}</td></tr>",
                    x.topic,
                    escape(&x.first.document),
                    x.first.line,
                    escape(&x.first.sentence),
                    escape(&x.second.document),
                    x.second.line,
                    escape(&x.second.sentence),
                    escape(&x.explanation)
                );
            }
            h.push_str("</table>");
        }
    }

    // 8. Plan.
    h.push_str("<h2 id=\"plan\">Delivery plan</h2>");
    match &a.plan {
        None => h.push_str("<p>No plan: nothing to schedule.</p>"),
        Some(p) => {
            let _ = write!(
                h,
                "<figure>{}</figure><p class=\"note\">Durations marked as estimates are estimates, not sourced facts.</p>",
                p.svg
            );
        }
    }

    // 9. Inputs.
    h.push_str("<h2 id=\"inputs\">Case inputs</h2><table><tr><th>File</th><th>Role</th><th>Status</th><th>SHA-256 / problem</th></tr>");
    for i in &a.inputs {
        let (class, label) = match i.status {
            InputStatus::Read => ("read", "read"),
            InputStatus::Failed => ("failed", "could not be read"),
            InputStatus::Skipped => ("skipped", "skipped"),
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&i.path),
            escape(&i.role),
            badge(class, label),
            match (&i.problem, &i.digest) {
                (Some(p), _) => escape(p),
                (None, Some(d)) => format!("<span class=\"digest\">{}</span>", escape(&d.to_hex())),
                (None, None) => String::new(),
            }
        );
    }
    h.push_str("</table>");

    // 10. Sources.
    h.push_str("<h2 id=\"sources\">Rule packs and sources</h2>");
    for p in &a.packs {
        let _ = write!(
            h,
            "<h3>{} <span class=\"note\">{} · sha256 <code>{}</code> · {}</span></h3><table><tr><th>Source</th><th>Publisher</th><th>Date</th><th>Status</th></tr>",
            escape(&p.title),
            escape(&p.id),
            escape(&p.digest.to_hex()),
            escape(&p.origin)
        );
        for src in &p.sources {
            let _ = write!(
                h,
                "<tr><td>{}{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
                escape(&src.title),
                src.document
                    .as_ref()
                    .map(|d| format!(" <span class=\"note\">({})</span>", escape(d)))
                    .unwrap_or_default(),
                escape(&src.publisher),
                escape(&src.date),
                src.status.as_str(),
                src.status.as_str()
            );
        }
        h.push_str("</table>");
    }
    h.push_str("<p class=\"note\">Confidence: primary = read from the issuing body; secondary = news or others quoting it; unverified = no source states it. A verdict is only as sure as the weakest fact on its chain.</p>");
    h.push_str("</main></body></html>\n");
    h
}

fn pad_section(h: &mut String, p: &crate::model::PadSection) {
    let r = &p.report;
    let c = &r.campaign;
    let m = r.manifest.as_ref();
    let lab = r.lab.as_ref();
    // Whether this report decides the verdicts comes first: the lab's report once it counts
    // does; the manufacturer's own pre-test does not, and says why.
    let _ = write!(
        h,
        "<h3>{} {}</h3><p class=\"note\">{}: {}</p>",
        escape(&p.file),
        if p.standing.decides {
            badge("pass", "decides the verdict")
        } else {
            badge("not-applicable", "does not decide the verdict")
        },
        if p.standing.decides {
            "This report is the evidence the PAD verdicts rest on"
        } else {
            "Shown for information, not what the verdicts rest on"
        },
        escape(&p.standing.why)
    );
    let not_stated = || "<i>not stated</i>".to_string();
    let lab_name = lab
        .map(|l| l.name.clone())
        .or_else(|| m.map(|m| m.lab.name.clone()));
    let accreditation = lab
        .and_then(|l| l.accreditation.as_ref().map(|a| a.reference()))
        .or_else(|| m.and_then(|m| m.lab.accreditation.clone()));
    let _ = write!(
        h,
        "<table><tr><th>Lab</th><td>{}{}</td></tr><tr><th>Signed by</th><td>{}</td></tr><tr><th>Test dates</th><td>{}</td></tr><tr><th>Device and firmware</th><td>{}</td></tr><tr><th>Samples tested</th><td>{}</td></tr><tr><th>Campaign</th><td><code>{}</code> · {} presentations ({} bona fide, {} attacks, {} subjects, {} species) · species groups: {}</td></tr></table>",
        lab_name.as_deref().map(escape).unwrap_or_else(not_stated),
        accreditation
            .map(|a| format!(" · accreditation {}", escape(&a)))
            .unwrap_or_else(|| " · accreditation none stated".into()),
        match (&p.issuer, p.ledger_index) {
            (Some(i), Some(n)) => format!("{} (ledger entry {n})", escape(i)),
            (Some(i), None) => escape(i),
            (None, Some(n)) => format!("ledger entry {n}"),
            (None, None) => "not recorded".into(),
        },
        m.map(|m| format!("{} to {}", escape(&m.dates.start), escape(&m.dates.end)))
            .unwrap_or_else(not_stated),
        m.map(|m| {
            format!(
                "{}{} · firmware {} <code>{}</code>",
                escape(&m.device.name),
                m.device
                    .model
                    .as_deref()
                    .map(|x| format!(" {}", escape(x)))
                    .unwrap_or_default(),
                m.device
                    .firmware_version
                    .as_deref()
                    .map(escape)
                    .unwrap_or_else(|| "version not stated".into()),
                escape(short(&m.device.firmware_digest))
            )
        })
        .unwrap_or_else(not_stated),
        if r.samples.is_empty() {
            "<i>no sample record</i>".to_string()
        } else {
            r.samples
                .iter()
                .map(|s| {
                    format!(
                        "{} (hardware {})",
                        escape(&s.serial),
                        s.hardware_revision
                            .as_deref()
                            .map(escape)
                            .unwrap_or_else(not_stated)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        },
        escape(short(&p.digest.to_hex())),
        c.presentations,
        c.bona_fide,
        c.attacks,
        c.subjects,
        c.species.len(),
        escape(&c.species_groups.join(", "))
    );
    if !r.verdicts.is_empty() {
        h.push_str(
            "<table><tr><th>Scheme</th><th>Verdict</th><th>Failed criteria and warnings</th></tr>",
        );
        for v in &r.verdicts {
            let mut notes: Vec<String> = v
                .criteria
                .iter()
                .flat_map(|c| c.failures.iter().cloned())
                .collect();
            notes.extend(v.criteria.iter().flat_map(|c| c.warnings.iter().cloned()));
            notes.extend(v.warnings.iter().cloned());
            let _ = write!(
                h,
                "<tr><td>{}<br><span class=\"note\">{}</span></td><td>{}</td><td><ul class=\"reasons\">{}</ul></td></tr>",
                escape(&v.name),
                escape(&v.scheme),
                badge(v.outcome.name(), v.outcome.name()),
                notes
                    .iter()
                    .map(|n| format!("<li>{}</li>", escape(n)))
                    .collect::<String>()
            );
        }
        h.push_str("</table>");
    }
    // Per species (with its attack potential) and per level: APCER with its counts and the
    // one bound the verdicts used, APNRR, IAPAR; BPCER and BPNRR for the bona fide.
    let table = assay_pad::testreport::MetricTable::of(r);
    h.push_str(
        &assay_pad::testreport::metric_table_html(&table)
            .replace("class=\"muted\"", "class=\"note\""),
    );
    if let Some(sm) = &r.scores {
        let _ = write!(
            h,
            "<p>EER {} · BPCER20 {} · BPCER100 {}</p>",
            sm.eer
                .map(|v| format!("{:.2}%", v * 100.0))
                .unwrap_or_else(|| "n/a".into()),
            sm.bpcer20
                .map(|v| format!("{:.2}%", v * 100.0))
                .unwrap_or_else(|| "n/a".into()),
            sm.bpcer100
                .map(|v| format!("{:.2}%", v * 100.0))
                .unwrap_or_else(|| "n/a".into())
        );
        h.push_str(
            &assay_pad::testreport::species_det_html(r)
                .replace("class=\"muted\"", "class=\"note\""),
        );
    }
    for w in &r.warnings {
        let _ = write!(h, "<p class=\"note\">warning: {}</p>", escape(w));
    }
}

fn vuln_section(h: &mut String, v: &crate::model::VulnSection) {
    let s = &v.result.summary;
    let _ = write!(
        h,
        "<p>{} components scanned on {} against {}: <b>{} open findings</b> (max severity {}, {} of unknown severity), {} ruled out by VEX, {} known exploited ({} overdue{}).</p>",
        s.components,
        escape(&v.result.scan_date),
        escape(&v.advisory_sources.join(", ")),
        s.findings,
        s.max_severity.as_str(),
        s.unknown_severity,
        s.excluded_by_vex,
        s.kev_open,
        s.kev_overdue,
        s.kev_earliest_due
            .as_ref()
            .map(|d| format!(", earliest due {}", escape(d)))
            .unwrap_or_default()
    );
    for (f, d) in &v.files {
        let _ = write!(
            h,
            "<p class=\"note\">{} <code>{}</code></p>",
            escape(f),
            escape(short(&d.to_hex()))
        );
    }
    if v.result.findings.is_empty() {
        return;
    }
    h.push_str(VULN_TABLE_HEAD);
    let mut findings: Vec<_> = v.result.findings.iter().collect();
    // Open before ruled out, known exploited first, then by severity (unknown ranks with the
    // known levels by what it may hide: a KEV listing already put those first).
    findings.sort_by(|a, b| {
        b.is_open()
            .cmp(&a.is_open())
            .then(b.kev.cmp(&a.kev))
            .then(b.severity.level.rank().cmp(&a.severity.level.rank()))
    });
    for f in findings.iter().take(500) {
        vuln_row(h, f);
    }
    h.push_str("</table>");
    if v.result.findings.len() > 500 {
        let _ = write!(
            h,
            "<p class=\"note\">{} more findings in assessment.json.</p>",
            v.result.findings.len() - 500
        );
    }
}

/// The signer's key fingerprint under the issuer's name, or nothing when unknown.
fn key_fingerprint(key_id: &str) -> String {
    if key_id.is_empty() {
        String::new()
    } else {
        format!(
            "<br><span class=\"note\">key <code>{}</code></span>",
            escape(key_id)
        )
    }
}

/// The header row of the vulnerability table (the dossier and the filing report).
pub const VULN_TABLE_HEAD: &str = "<table class=\"vulns\"><tr><th>Package</th><th>Version</th><th>Advisory</th><th>Severity</th><th>Severity from</th><th>KEV</th><th>Due date</th><th>VEX</th><th>Fixed in</th></tr>";

/// One finding as a table row: every cell in words, no raw JSON.
fn vuln_row(h: &mut String, f: &assay_vuln::finding::Finding) {
    let _ = write!(
        h,
        "<tr><td>{}</td><td>{}</td><td>{}",
        escape(&f.component.name),
        escape(&f.component.version),
        escape(&f.advisory_id)
    );
    if !f.aliases.is_empty() {
        let _ = write!(
            h,
            "<br><span class=\"note\">also {}</span>",
            escape(&f.aliases.join(", "))
        );
    }
    // Severity: score and level; where it came from in its own column.
    let _ = write!(
        h,
        "</td><td>{}</td><td><b>{}</b><br><span class=\"note\">{}",
        escape(&f.severity.describe()),
        f.severity.source.label(),
        escape(&f.severity.source.describe())
    );
    if let Some(vector) = &f.severity.cvss_vector {
        let _ = write!(h, "<br><code>{}</code>", escape(vector));
    }
    h.push_str("</span></td>");
    // KEV status, then the due date (the catalog's own, or a policy tier's).
    match &f.kev_entry {
        Some(k) => {
            let _ = write!(
                h,
                "<td>known exploited ({})<br><span class=\"note\">listed {}</span></td>",
                escape(&k.cve_id),
                escape(&k.date_added)
            );
        }
        None if f.kev => h.push_str("<td>known exploited</td>"),
        None => h.push_str("<td>not listed</td>"),
    }
    match &f.due_date {
        Some(d) => {
            let from = match &f.due_date_source {
                Some(assay_vuln::finding::DueDateSource::Kev) => {
                    "the KEV catalog's due date".to_string()
                }
                Some(assay_vuln::finding::DueDateSource::Policy { tier }) => {
                    format!("deadline policy, tier {}", escape(tier))
                }
                None => String::new(),
            };
            let _ = write!(
                h,
                "<td>{}{}{}</td>",
                escape(d),
                if f.overdue { " <b>overdue</b>" } else { "" },
                if from.is_empty() {
                    String::new()
                } else {
                    format!("<br><span class=\"note\">{from}</span>")
                }
            );
        }
        None => h.push_str("<td>none</td>"),
    }
    // VEX as words: status, justification, statement, and the document it came from.
    match &f.vex {
        None => h.push_str("<td>no VEX statement</td>"),
        Some(x) => {
            let _ = write!(h, "<td><b>{}</b>", x.status.words());
            if let Some(j) = x.justification_words() {
                let _ = write!(h, "<br>justification: {}", escape(&j));
            }
            for st in x.statements() {
                let _ = write!(h, "<br>statement: {}", escape(st));
            }
            let _ = write!(
                h,
                "<br><span class=\"note\">from {}</span></td>",
                escape(&x.source)
            );
        }
    }
    let _ = write!(
        h,
        "<td>{}</td></tr>",
        if f.fixed_versions.is_empty() {
            "no fix listed".to_string()
        } else {
            escape(&f.fixed_versions.join(", "))
        }
    );
}

/// The security assessment report for a CAC filing: what the product does, what was tested,
/// what was found, and the evidence, all from the assessment.
pub fn filing_report_html(a: &Assessment) -> String {
    let s = &a.subject;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Security assessment report: {}</title><style>{CSS}</style></head><body><main>",
        escape(&s.name)
    );
    let _ = write!(
        h,
        "<h1>Security assessment report</h1><p class=\"sub\">{} ({}) · {} · prepared {} with {}</p>",
        escape(&s.name),
        escape(&s.id),
        escape(&s.vendor),
        escape(&a.date.to_string()),
        escape(&a.generator)
    );
    h.push_str("<p class=\"note\">Prepared for the export filing of intelligent agents in sensitive fields (CAC Implementation Opinions of 2026-05-08, as reported in the news sources cited below). The required structure of the report is not published in the sources assay holds; this report states the facts the filing asks about and the evidence behind each.</p>");
    let _ = write!(
        h,
        "<h2>1. Product and functions</h2><table><tr><th>Category</th><td>{}</td></tr><tr><th>Kind</th><td>{}</td></tr><tr><th>Functions</th><td>{}</td></tr><tr><th>Autonomous decision-making</th><td>{}</td></tr><tr><th>Firmware / model digest</th><td><code>{}</code></td></tr></table>",
        escape(&s.category),
        escape(&s.kind),
        escape(&s.functions.join(", ")),
        if s.functions.iter().any(|f| f == "autonomous-decision") {
            "yes (declared in the manifest)"
        } else {
            "not declared"
        },
        escape(
            &s.artefact_digest
                .map_or_else(|| "not declared".to_string(), |d| d.to_hex())
        )
    );
    h.push_str("<h2>2. Export markets and obligations</h2><table><tr><th>Market</th><th>Status</th><th>Why</th></tr>");
    for m in &a.markets {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&m.market),
            escape(m.status.label()),
            escape(&m.why)
        );
    }
    h.push_str("</table>");
    h.push_str("<h2>3. Security testing performed</h2>");
    if a.pad.is_empty() && a.vuln.is_none() {
        h.push_str("<p>No security test results are in this case.</p>");
    }
    for p in &a.pad {
        pad_section(&mut h, p);
    }
    h.push_str("<h2>4. Vulnerabilities and their status</h2>");
    match &a.vuln {
        None => h.push_str("<p>No software bill of materials was assessed.</p>"),
        Some(v) => vuln_section(&mut h, v),
    }
    h.push_str("<h2>5. Consistency of product descriptions</h2>");
    match &a.evaluation.consistency {
        None => h.push_str("<p>No descriptions were checked.</p>"),
        Some(c) => {
            let _ = write!(
                h,
                "<p>{} documents checked; {} conflicting claims.</p>",
                c.documents.len(),
                c.conflicts.len()
            );
            for x in &c.conflicts {
                let _ = write!(
                    h,
                    "<p>{}:{} vs {}:{}: {}</p>",
                    escape(&x.first.document),
                    x.first.line,
                    escape(&x.second.document),
                    x.second.line,
                    escape(&x.explanation)
                );
            }
        }
    }
    h.push_str("<h2>6. Evidence</h2><table><tr><th>File</th><th>Kind</th><th>SHA-256</th><th>Issuer</th></tr>");
    for e in &a.evidence {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"digest\">{}</td><td>{}{}{}</td></tr>",
            escape(&e.file_name),
            escape(e.kind.as_str()),
            escape(&e.digest.to_hex()),
            escape(&e.signer),
            e.role
                .as_ref()
                .map(|r| format!(" ({})", escape(r)))
                .unwrap_or_default(),
            key_fingerprint(&e.signer_key_id)
        );
    }
    h.push_str("</table><p class=\"note\">Each file is in <code>evidence/</code> of this package with its signed in-toto statement (DSSE envelope) in <code>signatures/</code>; <code>MANIFEST.sha256</code> lists every file's digest. The signers' public keys in <code>keys/</code> ship inside the package they verify: they show the files are unchanged since signing, not who signed; compare each key's fingerprint above with one obtained from the issuer directly.</p>");
    h.push_str("</main></body></html>\n");
    h
}
