//! Third-party retests: the tested samples, lab bookings, prior validation records and lab
//! reports of an assessment ([`RetestSection`], built by assay-assess), the dossier's retest
//! section, and the customer statement (`customer-statement.md` / `.html`) for distributors,
//! integrators and tender teams.
//!
//! The statement claims nothing beyond the evidence: per market, the test evidence available,
//! the retests booked, the realistic delivery date with what it rests on, and the requirements
//! in two lists (confirmed by a primary source, expected from secondary sources). It never uses
//! the words of [`CLAIM_WORDS`] unless a met obligation confirmed by a primary source backs the
//! sentence ([`unbacked_claims`] finds any that slipped in).

use std::fmt::Write as _;

use assay_core::Day;
use assay_rules::{Applicability, SourceStatus, Status};
use serde::{Deserialize, Serialize};

use crate::html::escape;
use crate::model::Assessment;

/// The retest facts of an assessment. Absent from `assessment.json` when the case has none.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct RetestSection {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<SampleRow>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bookings: Vec<BookingRow>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prior: Vec<PriorRow>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lab_reports: Vec<LabReportRow>,
}

impl RetestSection {
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
            && self.bookings.is_empty()
            && self.prior.is_empty()
            && self.lab_reports.is_empty()
    }
}

/// Units handed to a lab (`test-sample` evidence, one row per distinct record).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SampleRow {
    pub digest: String,
    pub lab: String,
    pub handed_over: String,
    pub units: String,
    pub serials: String,
    pub hardware_revisions: String,
    pub firmware: String,
    /// Who signed the record as handed over (the manufacturer), when anyone trusted did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handed_over_by: Option<String>,
    /// The trusted lab that signed the same record (its acknowledgement of receipt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_by: Option<String>,
    /// How the tested configuration differs from what ships (empty: it covers it).
    #[serde(default)]
    pub differences: Vec<String>,
}

/// A test slot booked with a lab (`lab-booking` evidence).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct BookingRow {
    pub lab: String,
    pub scheme: String,
    pub markets: Vec<String>,
    pub species: String,
    pub sample_due: Day,
    pub test_start: Day,
    pub report_due: Day,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware_revision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub signer: String,
    /// Set when a date of the booking has passed on the assessment day: the booking is then
    /// not planned on, and this says why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed: Option<String>,
}

impl BookingRow {
    /// Whether the booking serves `market` (a booking naming no market serves every one).
    pub fn serves(&self, market: &str) -> bool {
        self.markets.is_empty() || self.markets.iter().any(|m| m == market)
    }
}

/// An earlier report typed in by hand (`prior-validation` evidence): declared, not verified.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PriorRow {
    pub lab: String,
    pub scheme: String,
    pub report_date: String,
    pub source_file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stated_outcome: Option<String>,
    pub species: String,
    pub signer: String,
    /// Always starts with "declared, not verified".
    pub status: String,
}

/// A PAD report among the subject's evidence, with where it counts.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LabReportRow {
    pub digest: String,
    pub signer: String,
    /// `lab` for a trusted lab; `manufacturer's own test` and the like otherwise.
    pub issuer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dated: Option<String>,
    pub passed_schemes: String,
    pub failed_schemes: String,
    /// What the tested configuration covers, in words.
    pub covers: String,
    /// Markets where it counts for at least one obligation.
    pub counts_in: Vec<String>,
    /// Markets where an obligation judged it (whether or not it counts there).
    #[serde(default)]
    pub judged_in: Vec<String>,
    /// Why it does not count, when it counts nowhere (the first reason given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_counting: Option<String>,
}

/// The dossier's section on samples, bookings, prior validations and lab reports.
pub(crate) fn retest_html(h: &mut String, r: &RetestSection, markets: &[String]) {
    h.push_str("<h2 id=\"retests\">Tested samples and retests</h2>");
    for m in markets {
        for b in r.bookings.iter().filter(|b| b.serves(m)) {
            match &b.passed {
                None => {
                    let _ = write!(
                        h,
                        "<p><b>{}</b>: retest booked with {} for {} (report due {}).</p>",
                        escape(m),
                        escape(&b.lab),
                        b.test_start,
                        b.report_due
                    );
                }
                Some(why) => {
                    let _ = write!(
                        h,
                        "<p><b>{}</b>: <span class=\"bad\">booking with {} has passed</span>: {}</p>",
                        escape(m),
                        escape(&b.lab),
                        escape(why)
                    );
                }
            }
        }
    }
    if !r.samples.is_empty() {
        h.push_str("<table><tr><th>Samples</th><th>Lab</th><th>Handed over</th><th>Units</th><th>Hardware</th><th>Firmware</th><th>Signed</th><th>Against what ships</th></tr>");
        for s in &r.samples {
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{} ({})</td><td>{}</td><td><code>{}</code></td><td>handed over: {}<br>acknowledged: {}</td><td>{}</td></tr>",
                escape(short(&s.digest)),
                escape(&s.lab),
                escape(&s.handed_over),
                escape(&s.units),
                escape(&s.serials),
                escape(&s.hardware_revisions),
                escape(&s.firmware),
                escape(
                    s.handed_over_by
                        .as_deref()
                        .unwrap_or("no trusted signature")
                ),
                escape(
                    s.acknowledged_by
                        .as_deref()
                        .unwrap_or("not acknowledged by a trusted lab")
                ),
                if s.differences.is_empty() {
                    "covers the shipped configuration".to_string()
                } else {
                    escape(&s.differences.join("; "))
                }
            );
        }
        h.push_str("</table>");
    }
    if !r.lab_reports.is_empty() {
        h.push_str("<table><tr><th>PAD report</th><th>Signer</th><th>Dated</th><th>Passed / failed schemes</th><th>Covers</th><th>Counts in</th></tr>");
        for l in &r.lab_reports {
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td>{} ({})</td><td>{}</td><td>{} / {}</td><td>{}</td><td>{}</td></tr>",
                escape(short(&l.digest)),
                escape(&l.signer),
                escape(&l.issuer),
                escape(l.dated.as_deref().unwrap_or("undated")),
                escape(or_none(&l.passed_schemes)),
                escape(or_none(&l.failed_schemes)),
                escape(&l.covers),
                if l.counts_in.is_empty() {
                    format!(
                        "nowhere: {}",
                        escape(l.not_counting.as_deref().unwrap_or("see the obligations"))
                    )
                } else {
                    escape(&l.counts_in.join(", "))
                }
            );
        }
        h.push_str("</table>");
    }
    if !r.prior.is_empty() {
        h.push_str("<table><tr><th>Prior validation</th><th>Scheme</th><th>Report date</th><th>Stated outcome</th><th>Status</th></tr>");
        for p in &r.prior {
            let _ = write!(
                h,
                "<tr><td>{} ({})</td><td>{}</td><td>{}</td><td>{}</td><td><span class=\"warn\">{}</span></td></tr>",
                escape(&p.lab),
                escape(&p.source_file),
                escape(&p.scheme),
                escape(&p.report_date),
                escape(p.stated_outcome.as_deref().unwrap_or("not stated")),
                escape(&p.status)
            );
        }
        h.push_str("</table>");
    }
}

fn short(d: &str) -> &str {
    d.get(..12).unwrap_or(d)
}

fn or_none(s: &str) -> &str {
    if s.trim().is_empty() { "none" } else { s }
}

/// Words a customer statement never uses unless a met obligation confirmed by a primary source
/// backs the sentence.
pub const CLAIM_WORDS: &[&str] = &["compliant", "certified", "approved"];

/// One line of the statement: its text and whether a met, primary-source obligation backs it.
struct Line {
    text: String,
    backed: bool,
}

/// One market of the statement.
struct MarketPart {
    market: String,
    evidence: Vec<Line>,
    retests: Vec<Line>,
    delivery: Line,
    confirmed: Vec<Line>,
    expected: Vec<Line>,
}

/// A requirement's line: what it asks and where it stands, in plain words.
fn requirement_line(title: &str, status: Status, applicability: Applicability) -> String {
    let stand = match status {
        Status::Met => "met by the evidence recorded",
        Status::Expiring => "met, but the evidence reaches its age limit soon",
        Status::Unmet => "open: no evidence that counts yet",
        Status::Failing => "open: the evidence recorded does not meet it",
        Status::NotApplicable => "does not apply",
    };
    let scope = if applicability == Applicability::Possibly {
        " (may apply: scope not verified)"
    } else {
        ""
    };
    format!("{title}{scope}: {stand}")
}

fn parts(a: &Assessment) -> Vec<MarketPart> {
    let empty = RetestSection::default();
    let r = a.retest.as_ref().unwrap_or(&empty);
    let mut out = Vec::new();
    for m in &a.markets {
        let market = m.market.clone();
        let mut evidence = Vec::new();
        for l in &r.lab_reports {
            let schemes = match (l.passed_schemes.trim(), l.failed_schemes.trim()) {
                ("", "") => "no scheme verdict".to_string(),
                (p, "") => format!("passed {p}"),
                ("", f) => format!("failed {f}"),
                (p, f) => format!("passed {p}, failed {f}"),
            };
            let counts = if l.counts_in.contains(&market) {
                "counts for this market's requirements".to_string()
            } else if !l.judged_in.contains(&market) {
                "no requirement known for this market asks for it".to_string()
            } else {
                format!(
                    "does not count for this market: {}",
                    l.not_counting
                        .as_deref()
                        .unwrap_or("it meets no requirement here")
                )
            };
            evidence.push(Line {
                text: format!(
                    "PAD test report signed by {} ({}), dated {}: {schemes}; covers {}; {counts}.",
                    l.signer,
                    l.issuer,
                    l.dated.as_deref().unwrap_or("undated"),
                    l.covers
                ),
                backed: false,
            });
        }
        for p in &r.prior {
            evidence.push(Line {
                text: format!(
                    "Earlier report by {} under {} dated {} (stated outcome: {}): {}.",
                    p.lab,
                    p.scheme,
                    p.report_date,
                    p.stated_outcome.as_deref().unwrap_or("not stated"),
                    p.status
                ),
                backed: false,
            });
        }
        let mut retests = Vec::new();
        for b in r.bookings.iter().filter(|b| b.serves(&market)) {
            let text = match &b.passed {
                None => format!(
                    "Retest booked with {} under {} for {} (samples due {}, report due {}{}).",
                    b.lab,
                    b.scheme,
                    b.test_start,
                    b.sample_due,
                    b.report_due,
                    b.hardware_revision
                        .as_deref()
                        .map(|h| format!(", hardware rev {h}"))
                        .unwrap_or_default()
                ),
                Some(why) => format!("A booking with {} has passed: {why}.", b.lab),
            };
            retests.push(Line {
                text,
                backed: false,
            });
        }
        let delivery = Line {
            text: match (&m.delivery, m.earliest_date) {
                (Some(line), _) => format!("Realistic delivery: {line}."),
                (None, Some(d)) => format!("Realistic delivery: earliest {d}."),
                (None, None) => "Realistic delivery: no open requirement to schedule; the date is the one agreed with the customer.".to_string(),
            },
            backed: false,
        };
        let mut confirmed = Vec::new();
        let mut expected = Vec::new();
        for pr in a.evaluation.results.iter().filter(|p| *p.market == *market) {
            for o in &pr.obligations {
                if o.applicability == Applicability::NotApplicable
                    || o.status == Status::NotApplicable
                {
                    continue;
                }
                let primary = o.confidence == SourceStatus::Primary;
                let line = Line {
                    text: requirement_line(&o.title, o.status, o.applicability),
                    backed: primary && matches!(o.status, Status::Met | Status::Expiring),
                };
                if primary {
                    confirmed.push(line);
                } else {
                    expected.push(line);
                }
            }
        }
        out.push(MarketPart {
            market,
            evidence,
            retests,
            delivery,
            confirmed,
            expected,
        });
    }
    out
}

const INTRO: &str = "This statement lists the test evidence available for each market, the retests planned and their dates, the realistic delivery date and what it rests on, and the requirements we know of: confirmed ones (stated by a primary source, such as the regulation or the authority) apart from expected ones (reported by secondary sources only). It states only what the signed evidence shows; it is not a certificate and makes no claim beyond it.";

/// Replaces a claim word in a sentence no met primary-source obligation backs.
fn guard(line: &Line) -> String {
    if line.backed {
        return line.text.clone();
    }
    let mut text = line.text.clone();
    for w in CLAIM_WORDS {
        // ASCII lower-casing keeps byte offsets.
        while let Some(i) = text.to_ascii_lowercase().find(w) {
            text.replace_range(
                i..i + w.len(),
                "[claim removed: no met requirement of a primary source backs it]",
            );
        }
    }
    text
}

/// The statement as Markdown.
pub fn customer_statement_md(a: &Assessment) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Test evidence and delivery statement: {}\n\n{} · {} · as of {}\n\n{}\n",
        a.subject.name, a.subject.vendor, a.subject.id, a.date, INTRO
    );
    for p in parts(a) {
        let _ = writeln!(md, "## {}\n", p.market);
        let list = |md: &mut String, heading: &str, lines: &[Line], none: &str| {
            let _ = writeln!(md, "### {heading}\n");
            if lines.is_empty() {
                let _ = writeln!(md, "- {none}");
            }
            for l in lines {
                let _ = writeln!(md, "- {}", guard(l));
            }
            md.push('\n');
        };
        list(
            &mut md,
            "Test evidence available",
            &p.evidence,
            "No test report among the evidence.",
        );
        list(&mut md, "Retests planned", &p.retests, "No retest booked.");
        let _ = writeln!(md, "### Delivery\n\n{}\n", guard(&p.delivery));
        list(
            &mut md,
            "Requirements confirmed by a primary source",
            &p.confirmed,
            "None known.",
        );
        list(
            &mut md,
            "Requirements expected (secondary sources only)",
            &p.expected,
            "None known.",
        );
    }
    md
}

/// The statement as one self-contained HTML page.
pub fn customer_statement_html(a: &Assessment) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Test evidence and delivery statement: {}</title><style>body{{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}}h2{{border-bottom:1px solid #ccc}}.sub{{color:#555}}</style></head><body><h1>Test evidence and delivery statement: {}</h1><p class=\"sub\">{} · {} · as of {}</p><p>{}</p>",
        escape(&a.subject.name),
        escape(&a.subject.name),
        escape(&a.subject.vendor),
        escape(&a.subject.id),
        a.date,
        escape(INTRO)
    );
    for p in parts(a) {
        let _ = write!(h, "<h2>{}</h2>", escape(&p.market));
        let list = |h: &mut String, heading: &str, lines: &[Line], none: &str| {
            let _ = write!(h, "<h3>{}</h3><ul>", escape(heading));
            if lines.is_empty() {
                let _ = write!(h, "<li>{}</li>", escape(none));
            }
            for l in lines {
                let _ = write!(h, "<li>{}</li>", escape(&guard(l)));
            }
            h.push_str("</ul>");
        };
        list(
            &mut h,
            "Test evidence available",
            &p.evidence,
            "No test report among the evidence.",
        );
        list(&mut h, "Retests planned", &p.retests, "No retest booked.");
        let _ = write!(h, "<h3>Delivery</h3><p>{}</p>", escape(&guard(&p.delivery)));
        list(
            &mut h,
            "Requirements confirmed by a primary source",
            &p.confirmed,
            "None known.",
        );
        list(
            &mut h,
            "Requirements expected (secondary sources only)",
            &p.expected,
            "None known.",
        );
    }
    h.push_str("</body></html>");
    h
}

/// The claim words that appear in `text` (whole statement): a test asserts none appears in a
/// statement of the examples, none of which has a met primary-source requirement behind it.
pub fn unbacked_claims(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    CLAIM_WORDS
        .iter()
        .filter(|w| lower.contains(*w))
        .map(|w| (*w).to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unbacked_claim_words_are_masked() {
        let l = Line {
            text: "Device is Certified and compliant".into(),
            backed: false,
        };
        let g = guard(&l);
        assert!(unbacked_claims(&g).is_empty(), "{g}");
        let l = Line {
            text: "compliant".into(),
            backed: true,
        };
        assert_eq!(guard(&l), "compliant");
    }
}
