//! What the dossier and the filing report show (issue #11, points 8-13): one case folder per
//! point under `tests/cases/`, assessed in process on a fresh workspace; each test reads the
//! typed results and the HTML a buyer or a regulator receives.

use std::path::{Path, PathBuf};

use assay_assess::{AssessOptions, Assessed, CaseInputs, Overrides, Package};
use assay_core::{Day, Silent};
use assay_ledger::Ledger;
use assay_vuln::finding::{SeverityLevel, SeveritySource, VexStatus};

fn case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases")
        .join(name)
}

fn assess_on(ledger: &Ledger, folder: &Path, date: &str) -> (Assessed, Package) {
    let inputs = CaseInputs::discover(folder).unwrap();
    let overrides = Overrides {
        date: Day::parse(date),
        ..Default::default()
    };
    let mut options =
        AssessOptions::resolve(&overrides, &inputs, Day::parse("2000-01-01").unwrap()).unwrap();
    options.advisories = assay_assess::import_advisories(&inputs, ledger, &Silent);
    assert!(
        options.advisories.problems.is_empty(),
        "{:?}",
        options.advisories.problems
    );
    let assessed = assay_assess::assess(&inputs, &options, ledger, &Silent).unwrap();
    let package = assay_assess::build_package(&assessed, ledger).unwrap();
    let report = assay_assess::check(&package).unwrap();
    assert!(report.is_valid(), "{:?}", report.checks);
    (assessed, package)
}

/// The rows of the first `<table class="{class}">` of `html`, each a list of cell texts (tags
/// dropped, `<br>` read as " | "), the header row first.
fn table(html: &str, class: &str) -> Vec<Vec<String>> {
    let open = format!("<table class=\"{class}\">");
    let start = html.find(&open).unwrap_or_else(|| panic!("no {open}")) + open.len();
    let body = &html[start..start + html[start..].find("</table>").unwrap()];
    body.split("<tr>")
        .filter(|r| !r.is_empty())
        .map(|row| {
            row.split(['<'])
                .fold(
                    (Vec::new(), String::new(), false),
                    |(mut cells, mut cur, _), part| {
                        let (tag, text) = part.split_once('>').unwrap_or(("", part));
                        match tag {
                            "td" | "th" => cur.clear(),
                            "/td" | "/th" => cells.push(cur.trim().to_string()),
                            "br" => cur.push_str(" | "),
                            _ => {}
                        }
                        cur.push_str(text);
                        (cells, cur, false)
                    },
                )
                .0
        })
        .collect()
}

fn row<'a>(rows: &'a [Vec<String>], package: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r[0] == package)
        .unwrap_or_else(|| panic!("no row for {package}: {rows:?}"))
}

/// Point 13: the vulnerability section is a table with headers; each finding's severity says
/// where it came from (vector, alias, stated, unknown: never "none"); KEV status and the due
/// date have their own columns; VEX reads as words, never JSON. The same table is in the filing
/// report.
#[test]
fn p13_vulnerability_table_in_words() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = Ledger::init(&tmp.path().join("ws")).unwrap();
    let (a, package) = assess_on(&ledger, &case("p13-vulnerability-table"), "2026-11-22");
    let v = a.assessment.vuln.as_ref().expect("a vulnerability section");
    let finding = |name: &str| {
        v.result
            .findings
            .iter()
            .find(|f| f.component.name == name)
            .unwrap_or_else(|| panic!("no finding for {name}"))
    };
    // The engine's severities, one per source kind.
    let crypto = finding("golang.org/x/crypto");
    assert_eq!(crypto.severity.level, SeverityLevel::Critical);
    assert!(matches!(
        crypto.severity.source,
        SeveritySource::Vector { .. }
    ));
    let gin = finding("github.com/gin-gonic/gin");
    assert_eq!(gin.severity.level, SeverityLevel::Medium);
    assert_eq!(
        gin.severity.source,
        SeveritySource::Alias {
            advisory: "GHSA-6vm3-jj99-7229".into(),
            alias: "CVE-2020-36567".into()
        }
    );
    let ws = finding("github.com/gorilla/websocket");
    assert_eq!(ws.severity.level, SeverityLevel::High);
    assert_eq!(
        ws.vex.as_ref().map(|x| x.status),
        Some(VexStatus::NotAffected)
    );
    let wazuh = finding("github.com/wazuh/wazuh");
    assert_eq!(wazuh.severity.level, SeverityLevel::Unknown);
    assert!(wazuh.kev && wazuh.overdue);
    // An overdue known-exploited finding of unknown severity fails `--fail-on high`.
    assert!(wazuh.fails_threshold(SeverityLevel::High));

    for file in ["dossier.html", "filing/security-assessment-report.html"] {
        let html = String::from_utf8(package.get(file).unwrap().to_vec()).unwrap();
        let rows = table(&html, "vulns");
        assert_eq!(
            rows[0],
            [
                "Package",
                "Version",
                "Advisory",
                "Severity",
                "Severity from",
                "KEV",
                "Due date",
                "VEX",
                "Fixed in"
            ],
            "{file}"
        );
        assert_eq!(rows.len(), 5, "{file}: {rows:?}");
        let w = row(&rows, "github.com/wazuh/wazuh");
        assert_eq!(w[2], "CVE-2025-24016 | also GO-2025-3459");
        assert_eq!(w[3], "unknown");
        assert!(w[4].starts_with("unknown | no score or rating"), "{}", w[4]);
        assert_eq!(w[5], "known exploited (CVE-2025-24016) | listed 2025-06-10");
        assert_eq!(w[6], "2025-07-01 overdue | the KEV catalog's due date");
        assert_eq!(w[7], "no VEX statement");
        let c = row(&rows, "golang.org/x/crypto");
        assert_eq!(c[3], "9.1 critical");
        assert!(
            c[4].starts_with("vector | CVSS vector of GHSA-v778-237x-gjrc | CVSS:3.1/AV:N/"),
            "{}",
            c[4]
        );
        // Not in the KEV catalog: the default deadline policy's tier gives the due date.
        assert_eq!(
            (c[5].as_str(), c[6].as_str()),
            (
                "not listed",
                "2024-01-16 overdue | deadline policy, tier critical"
            )
        );
        let g = row(&rows, "github.com/gin-gonic/gin");
        assert_eq!(g[3], "5.3 medium");
        assert!(
            g[4].starts_with("alias | alias CVE-2020-36567: CVSS vector of GHSA-6vm3-jj99-7229"),
            "{}",
            g[4]
        );
        let s = row(&rows, "github.com/gorilla/websocket");
        assert_eq!(
            (s[3].as_str(), s[4].as_str()),
            ("high", "stated | rating stated by GHSA-jf24-p9p9-4rjh")
        );
        assert_eq!(
            s[7],
            "not affected | justification: vulnerable code not in execute path | statement: The firmware uses the websocket client only; the frame parser at fault is server side. | from vex/firmware-3.0.0.openvex.json#/statements/0"
        );
        // No raw JSON of a VEX decision, no "none" severity for a finding.
        assert!(!html.contains("not_affected") && !html.contains("&quot;status&quot;"));
        assert!(rows[1..].iter().all(|r| r[3] != "none"), "{rows:?}");
    }
}

fn obligation<'a>(a: &'a Assessed, market: &str, id: &str) -> &'a assay_rules::ObligationResult {
    a.assessment
        .evaluation
        .results
        .iter()
        .filter(|r| &*r.market == market)
        .flat_map(|r| r.obligations.iter())
        .find(|o| &*o.id == id)
        .unwrap_or_else(|| panic!("no obligation {id} in {market}"))
}

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

const P10_MARKETS: [&str; 3] = ["DE", "US", "JP"];

/// Point 10: assay's own generated security assessment report, dropped into
/// `evidence/security-assessment-report/`, shows the report is prepared; the CAC obligation
/// ("submit ... to the cyberspace authorities") stays open in every market until a filing
/// receipt acknowledges the submission.
#[test]
fn p10_a_prepared_report_is_not_a_submitted_one() {
    use assay_rules::Status;
    let tmp = tempfile::tempdir().unwrap();
    let ledger = Ledger::init(&tmp.path().join("ws")).unwrap();
    let source = case("p10-report-needs-receipt");
    let folder = tmp.path().join("case");
    write(
        &folder,
        "subject.toml",
        &std::fs::read(source.join("subject.toml")).unwrap(),
    );
    let (_, first) = assess_on(&ledger, &folder, "2026-11-22");
    let report = first.get("filing/security-assessment-report.html").unwrap();
    write(
        &folder,
        "evidence/security-assessment-report/security-assessment-report.html",
        report,
    );

    let (a, _) = assess_on(&ledger, &folder, "2026-11-22");
    for m in P10_MARKETS {
        let o = obligation(&a, m, "security-assessment-report");
        assert_eq!(o.status, Status::Unmet, "{m}");
        // The report counts for what it shows (prepared) ...
        assert!(
            o.evidence
                .iter()
                .any(|t| t.requirement == 0 && t.verdict == assay_rules::EvidenceVerdict::Counts),
            "{m}: {:?}",
            o.evidence
        );
        // ... and the card names what is missing: the acknowledgement.
        let card = a.assessment.markets.iter().find(|c| c.market == m).unwrap();
        let item = card
            .blockers
            .iter()
            .find(|b| b.obligation_id == "security-assessment-report")
            .unwrap_or_else(|| panic!("{m}: not a blocker"));
        assert_eq!(
            item.reason, "unmet: no filing-receipt evidence about this subject",
            "{m}"
        );
        let gap = a
            .assessment
            .gaps
            .iter()
            .find(|g| g.market == m && g.obligation_id == "security-assessment-report")
            .unwrap();
        assert!(
            gap.action.starts_with("Obtain and record: the cyberspace authorities' acknowledgement that the report was submitted"),
            "{}",
            gap.action
        );
    }
    assert!(a.assessment.evaluation.has_blocking());

    // The authority's receipt, with what it acknowledges: met in every market.
    for name in [
        "cac-acknowledgement.txt",
        "cac-acknowledgement.txt.meta.toml",
    ] {
        let rel = format!("evidence/filing-receipt/{name}");
        write(&folder, &rel, &std::fs::read(source.join(&rel)).unwrap());
    }
    let (a, package) = assess_on(&ledger, &folder, "2026-11-22");
    for m in P10_MARKETS {
        assert_eq!(
            obligation(&a, m, "security-assessment-report").status,
            Status::Met,
            "{m}"
        );
        assert_eq!(
            obligation(&a, m, "export-filing").status,
            Status::Met,
            "{m}"
        );
    }
    // The sidecar is the receipt's signed meta, not evidence of its own.
    let receipt = a
        .assessment
        .evidence
        .iter()
        .filter(|e| e.kind == assay_core::EvidenceKind::FilingReceipt)
        .collect::<Vec<_>>();
    assert_eq!(receipt.len(), 1);
    assert_eq!(receipt[0].file_name, "cac-acknowledgement.txt");
    let records = String::from_utf8(
        package
            .get("inputs/evidence-records.json")
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert!(
        records.contains("\"authority\": \"Cyberspace Administration of China (test receipt)\"")
    );
}

/// Point 10: a receipt acknowledging only the filing does not show the report's submission;
/// a receipt whose sidecar does not parse is not recorded, and the row names the field.
#[test]
fn p10_what_a_receipt_acknowledges_is_checked() {
    use assay_rules::Status;
    let tmp = tempfile::tempdir().unwrap();
    let ledger = Ledger::init(&tmp.path().join("ws")).unwrap();
    let source = case("p10-report-needs-receipt");
    let folder = tmp.path().join("case");
    write(
        &folder,
        "subject.toml",
        &std::fs::read(source.join("subject.toml")).unwrap(),
    );
    write(
        &folder,
        "evidence/security-assessment-report/report.txt",
        b"report",
    );
    write(&folder, "evidence/filing-receipt/receipt.txt", b"receipt");
    write(
        &folder,
        "evidence/filing-receipt/receipt.txt.meta.toml",
        b"authority = \"CAC\"\ndate = 2026-11-02\nacknowledges = [\"filing\"]\n",
    );
    write(
        &folder,
        "evidence/filing-receipt/other.txt",
        b"other receipt",
    );
    write(
        &folder,
        "evidence/filing-receipt/other.txt.meta.toml",
        b"authority = \"CAC\"\ndate = \"last week\"\nacknowledges = [\"filing\"]\n",
    );
    let (a, _) = assess_on(&ledger, &folder, "2026-11-22");
    // The receipt is about the filing, not the report: other evidence, not failing evidence.
    let o = obligation(&a, "DE", "security-assessment-report");
    assert_eq!(o.status, Status::Unmet);
    assert_eq!(
        &*o.reasons[1].verdict,
        "unmet: 1 filing-receipt evidence item(s), none that counts (newest: not what this requirement asks for: acknowledges = filing, lacks security-assessment-report)"
    );
    let trace = o.evidence.iter().find(|t| t.requirement == 1).unwrap();
    assert_eq!(trace.verdict, assay_rules::EvidenceVerdict::Rejected);
    assert_eq!(
        trace.why,
        [
            "not what this requirement asks for: acknowledges = filing, lacks security-assessment-report"
        ]
    );
    assert_eq!(obligation(&a, "DE", "export-filing").status, Status::Met);
    let row = a
        .assessment
        .inputs
        .iter()
        .find(|r| r.path == "evidence/filing-receipt/other.txt.meta.toml")
        .unwrap();
    assert_eq!(
        row.problem.as_deref(),
        Some(
            "evidence/filing-receipt/other.txt.meta.toml: field `date`: `last week` is not a date (YYYY-MM-DD)"
        )
    );
    assert!(
        !a.assessment
            .evidence
            .iter()
            .any(|e| e.file_name == "other.txt")
    );
}

/// Point 8: a workspace declares its own organisation's role, so the developer's own eval
/// report counts as "from the developer" without a second workspace; the own key never counts
/// as a third party, and cannot be trusted as one under another name.
#[test]
fn p8_own_role_counts_and_own_key_is_never_a_third_party() {
    use assay_core::IssuerRole;
    use assay_rules::{EvidenceVerdict, Status};
    let tmp = tempfile::tempdir().unwrap();
    let ledger = Ledger::init(&tmp.path().join("ws")).unwrap();
    let folder = case("p8-own-role");

    // No role declared: the own key holds none, so "from the developer" is not met.
    let (a, _) = assess_on(&ledger, &folder, "2026-11-22");
    let o = obligation(&a, "US", "benchmark-evaluation");
    assert_eq!(o.status, Status::Unmet);
    assert_eq!(
        o.evidence[0].why,
        [
            "signed by this workspace's own key, which holds no issuer role; this requirement needs role developer; a workspace declares its own role with `assay key role`"
        ]
    );

    // Declared: the same report, the same key, now from the developer (and about this model:
    // the report names its model digest).
    ledger.set_own_role(IssuerRole::Developer).unwrap();
    assert_eq!(ledger.own_role().unwrap(), Some(IssuerRole::Developer));
    let (a, _) = assess_on(&ledger, &folder, "2026-11-22");
    let o = obligation(&a, "US", "benchmark-evaluation");
    // The report now counts as the developer's: it is judged on its content, and what fails
    // is only that this summary does not say which categories it covers (the pack asks for
    // offensive and defensive), never who signed it.
    assert_eq!(o.status, Status::Failing, "{:?}", o.evidence);
    assert_eq!(o.evidence[0].verdict, EvidenceVerdict::Fails);
    assert!(
        o.evidence[0]
            .why
            .iter()
            .any(|w| w.contains("carries no `categories`"))
            && !o.evidence[0].why.iter().any(|w| w.contains("own key")),
        "{:?}",
        o.evidence[0].why
    );
    let row = a
        .assessment
        .evidence
        .iter()
        .find(|e| e.file_name == "ctf-run.json")
        .unwrap();
    assert_eq!(
        row.role.as_deref(),
        Some("developer, this workspace's own key")
    );
    // The reviewer's feedback is a third party's: the developer's own report never stands in.
    let feedback = obligation(&a, "US", "agency-feedback");
    assert_eq!(feedback.status, Status::Unmet);
    assert_eq!(feedback.evidence[0].verdict, EvidenceVerdict::Rejected);
    assert_eq!(
        feedback.evidence[0].why[0],
        "signed by this workspace's own key; this requirement needs a third-party reviewer, and a key is never its own third party"
    );

    // A workspace cannot declare itself a third party ...
    let err = ledger
        .set_own_role(IssuerRole::Lab)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("a workspace cannot declare itself a lab"),
        "{err}"
    );
    assert_eq!(ledger.own_role().unwrap(), Some(IssuerRole::Developer));
    // ... nor trust its own key as one under another name (the old way to vouch for itself).
    let own = ledger.export_key(assay_ledger::DEFAULT_KEY).unwrap();
    let err = ledger
        .trust("independent-lab", &own, IssuerRole::Lab)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("this is this workspace's own key `default`")
            && err.contains("a key is never its own third party"),
        "{err}"
    );
    // A key already trusted keeps its one name and role.
    let other = Ledger::init(&tmp.path().join("lab-ws")).unwrap();
    let lab_key = other.export_key(assay_ledger::DEFAULT_KEY).unwrap();
    ledger.trust("acme-lab", &lab_key, IssuerRole::Lab).unwrap();
    ledger.trust("acme-lab", &lab_key, IssuerRole::Lab).unwrap(); // the same again: a no-op
    for (name, role) in [
        ("acme-lab", IssuerRole::Reviewer),
        ("acme-2", IssuerRole::Lab),
    ] {
        let err = ledger.trust(name, &lab_key, role).unwrap_err().to_string();
        assert!(
            err.contains("this public key is already trusted as `acme-lab` (lab)"),
            "{err}"
        );
    }
    let roles: Vec<_> = ledger
        .keys()
        .unwrap()
        .into_iter()
        .map(|k| (k.name, k.role, k.own))
        .collect();
    assert_eq!(
        roles,
        [
            ("acme-lab".to_string(), Some(IssuerRole::Lab), false),
            ("default".to_string(), Some(IssuerRole::Developer), true)
        ]
    );
}

/// Point 11: a lab's report about the same product on other firmware, recorded under the lab's
/// own sample name, is found by product identity (`product_model`) and shown as being for
/// other firmware, instead of disappearing into "no pad-report evidence".
#[test]
fn p11_lab_report_on_other_firmware_is_found_and_named() {
    use assay_core::{EvidenceKind, IssuerRole};
    use assay_rules::{EvidenceVerdict, Status};
    let tmp = tempfile::tempdir().unwrap();
    let source = case("p11-other-firmware");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");

    // The lab: runs the campaign on firmware 1.0.0 and records it under its sample name.
    let lab = Ledger::init(&tmp.path().join("lab-ws")).unwrap();
    let lab_case = tmp.path().join("lab-case");
    for rel in ["subject.toml", "pad/campaign.toml"] {
        write(
            &lab_case,
            rel,
            &std::fs::read(source.join("lab").join(rel)).unwrap(),
        );
    }
    write(
        &lab_case,
        "pad/campaign.csv",
        &std::fs::read(repo.join("examples/face-terminal-cn-us/pad/campaign.csv")).unwrap(),
    );
    assess_on(&lab, &lab_case, "2026-11-22");
    let report = lab
        .summaries()
        .unwrap()
        .into_iter()
        .find(|s| s.kind == EvidenceKind::PadReport)
        .unwrap();
    assert_eq!(report.subject, "acme-sample-17");
    assert_eq!(report.meta["product_model"], "P11-T");
    assert_eq!(report.meta["firmware_version"], "1.0.0");

    // The manufacturer: trusts the lab, drops the lab's bundle into its case.
    let me = Ledger::init(&tmp.path().join("ws")).unwrap();
    me.trust(
        "acme-lab",
        &lab.export_key(assay_ledger::DEFAULT_KEY).unwrap(),
        IssuerRole::Lab,
    )
    .unwrap();
    let folder = tmp.path().join("customer");
    let manifest = std::fs::read_to_string(source.join("customer/subject.toml")).unwrap();
    write(&folder, "subject.toml", manifest.as_bytes());
    std::fs::create_dir_all(folder.join("evidence/acme-lab")).unwrap();
    lab.export(report.index, &folder.join("evidence/acme-lab"))
        .unwrap();

    let (a, package) = assess_on(&me, &folder, "2026-11-22");
    let o = obligation(&a, "US", "pad-level2-print-mask-replay");
    assert_eq!(o.status, Status::Unmet);
    // (Point 9, in part) the dossier and the filing report name the lab, its role and its key
    // fingerprint, and say that keys shipped with the evidence do not identify the signer.
    let lab_key_id = lab.keys().unwrap()[0].key_id.clone();
    let issuer =
        format!("acme-lab (lab)<br><span class=\"note\">key <code>{lab_key_id}</code></span>");
    for file in ["dossier.html", "filing/security-assessment-report.html"] {
        let html = String::from_utf8(package.get(file).unwrap().to_vec()).unwrap();
        assert!(html.contains(&issuer), "{file}");
        assert!(html.contains("compare each"), "{file}");
    }
    assert!(
        String::from_utf8_lossy(package.get("filing/README.txt").unwrap())
            .contains("ship inside the package they verify")
    );
    let trace = &o.evidence[0];
    assert_eq!(trace.verdict, EvidenceVerdict::Rejected);
    let other_firmware =
        "is for firmware 1.0.0 (111111111111); the manifest ships 2.0.0 (222222222222)";
    assert_eq!(trace.why, [other_firmware]);
    let us = a
        .assessment
        .markets
        .iter()
        .find(|m| m.market == "US")
        .unwrap();
    let card = us
        .blockers
        .iter()
        .chain(us.risks.iter())
        .find(|b| b.obligation_id == "pad-level2-print-mask-replay")
        .unwrap();
    assert_eq!(
        card.reason,
        format!(
            "unmet: 1 pad-report evidence item(s), none that counts (newest: {other_firmware})"
        )
    );

    // Without the product identity the same report is not found: the old behaviour.
    let anonymous = manifest.replace("product_model = \"P11-T\"\n", "");
    assert_ne!(anonymous, manifest);
    write(&folder, "subject.toml", anonymous.as_bytes());
    let (a, _) = assess_on(&me, &folder, "2026-11-22");
    let o = obligation(&a, "US", "pad-level2-print-mask-replay");
    assert_eq!(
        &*o.reasons[0].verdict,
        "unmet: no pad-report evidence about this subject"
    );
}

/// A standard Level 2 campaign as a lab runs it: 5 species x 150 attacks (none accepted), 300
/// bona fide (9 rejected), with decisions and scores.
fn standard_campaign() -> String {
    let mut csv = String::from(
        "presentation_id,subject,session,kind,species,attack_potential,instrument,decision,score\n",
    );
    let mut n = 0;
    for i in 0..300u32 {
        n += 1;
        let (d, score) = if i < 9 {
            ("reject", 0.2 + f64::from(i) / 100.0)
        } else {
            ("accept", 0.6 + f64::from(i % 40) / 100.0)
        };
        csv += &format!(
            "p{n:05},subj-{:03},{},bona_fide,,,,{d},{score:.3}\n",
            i % 30,
            i % 3 + 1
        );
    }
    for (s, species, level) in [
        (0, "printed-photo", "L1"),
        (1, "video-replay", "L1"),
        (2, "paper-mask", "L1"),
        (3, "resin-mask", "L2"),
        (4, "silicone-mask", "L2"),
    ] {
        for i in 0..150u32 {
            n += 1;
            let score = f64::from((i * 7 + s * 13) % 45) / 100.0;
            csv += &format!(
                "p{n:05},subj-{:03},1,attack,{species},{level},{species}-{},reject,{score:.3}\n",
                i % 30,
                i % 5
            );
        }
    }
    csv
}

/// Point 12: the PAD section shows the evidence that decides the verdict (the lab's report
/// once it counts) first, with lab, dates, firmware, species and attack potential, per-species
/// and per-level APCER, APNRR, BPCER, IAPAR, counts and one named bound, per-species DET curves
/// with operating points; the manufacturer's failing pre-test is shown as deciding nothing,
/// with the rules' reason; a passing 150-per-species campaign is not called too small.
#[test]
fn p12_the_lab_report_that_counts_decides_the_pad_section() {
    use assay_core::{EvidenceKind, IssuerRole};
    let tmp = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/face-terminal-cn-us");
    let subject = std::fs::read(example.join("subject.toml")).unwrap();
    let pre_test_manifest = std::fs::read_to_string(example.join("pad/campaign.toml")).unwrap();

    // The lab: its own campaign on the shipped firmware, recorded under its key.
    let lab = Ledger::init(&tmp.path().join("lab-ws")).unwrap();
    let lab_case = tmp.path().join("lab-case");
    write(&lab_case, "subject.toml", &subject);
    write(
        &lab_case,
        "pad/campaign.toml",
        pre_test_manifest
            .replace("FaceGate internal PAD lab", "Acme Biometrics Lab")
            .replace("2026-10-05", "2026-11-02")
            .replace("2026-10-23", "2026-11-13")
            .as_bytes(),
    );
    write(
        &lab_case,
        "pad/campaign.csv",
        standard_campaign().as_bytes(),
    );
    let (lab_run, _) = assess_on(&lab, &lab_case, "2026-11-22");
    let lab_pad = &lab_run.assessment.pad[0].report;
    let l2 = lab_pad
        .verdicts
        .iter()
        .find(|v| v.scheme == "ibeta-l2")
        .unwrap();
    assert_eq!(l2.outcome, assay_pad::Outcome::Pass, "{l2:#?}");
    let entries = lab.summaries().unwrap();
    let index_of = |kind| entries.iter().find(|s| s.kind == kind).unwrap().index;

    // The manufacturer: its failing pre-test in the case, and the lab's bundle (report AND
    // campaign, one bundle) dropped into evidence/.
    let me = Ledger::init(&tmp.path().join("ws")).unwrap();
    me.trust(
        "acme-lab",
        &lab.export_key(assay_ledger::DEFAULT_KEY).unwrap(),
        IssuerRole::Lab,
    )
    .unwrap();
    let folder = tmp.path().join("customer");
    write(&folder, "subject.toml", &subject);
    write(&folder, "pad/campaign.toml", pre_test_manifest.as_bytes());
    write(
        &folder,
        "pad/campaign.csv",
        &std::fs::read(example.join("pad/campaign.csv")).unwrap(),
    );
    lab.export_entries(
        &[
            index_of(EvidenceKind::PadCampaign),
            index_of(EvidenceKind::PadReport),
        ],
        &folder.join("evidence/acme-lab"),
    )
    .unwrap();
    let (a, package) = assess_on(&me, &folder, "2026-11-22");
    let o = obligation(&a, "US", "pad-level2-print-mask-replay");
    assert_eq!(o.status, assay_rules::Status::Met, "{:#?}", o.evidence);
    // Both entries of the bundle were imported.
    let kinds: Vec<EvidenceKind> = me
        .summaries()
        .unwrap()
        .iter()
        .filter(|s| s.signer_name.as_deref() == Some("acme-lab"))
        .map(|s| s.kind)
        .collect();
    assert_eq!(kinds, [EvidenceKind::PadCampaign, EvidenceKind::PadReport]);

    let pad = &a.assessment.pad;
    assert_eq!(pad.len(), 2);
    assert!(pad[0].standing.decides, "{:?}", pad[0].standing);
    assert!(pad[0].standing.why.contains("pad-level2-print-mask-replay"));
    assert_eq!(pad[0].issuer.as_deref(), Some("acme-lab"));
    assert_eq!(
        pad[0].report.manifest.as_ref().unwrap().lab.name,
        "Acme Biometrics Lab"
    );
    assert!(!pad[1].standing.decides);
    assert!(
        pad[1].standing.why.contains("own key"),
        "{}",
        pad[1].standing.why
    );

    let html = String::from_utf8(package.get("dossier.html").unwrap().to_vec()).unwrap();
    let section = &html[html.find("<h2 id=\"pad\">").unwrap()..];
    let section = &section[..section[4..].find("<h2").unwrap() + 4];
    let lab_at = section.find("Acme Biometrics Lab").unwrap();
    let pre_at = section.find("FaceGate internal PAD lab").unwrap();
    assert!(lab_at < pre_at, "the deciding lab report comes first");
    assert!(section.find("decides the verdict").unwrap() < pre_at);
    assert!(section.contains("does not decide the verdict"));
    for needle in [
        "2026-11-02 to 2026-11-13",
        "firmware 2.1.0",
        "accreditation none stated",
        "level L2",
        "Attack potential",
        "APNRR",
        "IAPAR",
        "BPCER",
        "0% (0/150; ≤ 1.98%)",
        "one-sided 95% Clopper-Pearson upper bound",
    ] {
        assert!(section.contains(needle), "missing {needle:?}");
    }
    // One bound: no two-sided interval in the section.
    assert!(!section.contains("CI "), "a two-sided interval is shown");
    assert!(!section.contains("95% confidence interval"));
    // Per-species DET curves with the operating points marked (the lab's scored campaign).
    let lab_part = &section[..pre_at];
    assert_eq!(lab_part.matches("<figure class=\"det\">").count(), 5);
    assert!(lab_part.contains("<circle"));
    // The standard campaign passes and is not called too small.
    if let Some(at) = lab_part.find("too small") {
        panic!(
            "too-small warning on a standard campaign: {}",
            &lab_part[at.saturating_sub(1500)..at + 100]
        );
    }
    assert!(!lab_part.contains("supports only"));
}
