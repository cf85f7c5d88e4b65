//! Writers: SARIF 2.1.0, CycloneDX 1.5 VEX and OpenVEX 0.2.0 from a small fixed scan.
//! Structure is asserted field by field (the parts each spec makes required), and the whole
//! output is kept as an insta snapshot reviewed by hand.

use std::collections::BTreeSet;

use assay_vuln::output::cyclonedx_vex::to_cyclonedx_vex;
use assay_vuln::output::openvex::{OpenVexOptions, to_openvex};
use assay_vuln::output::sarif::to_sarif;
use assay_vuln::vex::{VexFormat, apply_vex, read_vex_bytes};
use assay_vuln::{
    Component, DueDateSource, Ecosystem, Finding, KevEntry, ScanResult, ScanSummary, Severity,
    SeverityLevel, SeveritySource, VexDecision, VexStatus,
};
use serde_json::Value;

fn component(
    ecosystem: Ecosystem,
    name: &str,
    version: &str,
    purl: &str,
    source: &str,
) -> Component {
    Component {
        name: name.into(),
        version: version.into(),
        ecosystem,
        purl: Some(purl.into()),
        source: source.into(),
    }
}

fn base(component: Component, id: &str, aliases: &[&str], level: SeverityLevel) -> Finding {
    Finding {
        component,
        advisory_id: id.into(),
        aliases: aliases.iter().map(|a| a.to_string()).collect(),
        sources: vec![id.into()],
        summary: String::new(),
        severity: Severity {
            level,
            cvss_vector: None,
            cvss_score: None,
            source: SeveritySource::StatedRating {
                advisory: id.into(),
            },
        },
        affected_ranges: Vec::new(),
        fixed_versions: Vec::new(),
        kev: false,
        kev_entry: None,
        vex: None,
        due_date: None,
        due_date_source: None,
        overdue: false,
        references: Vec::new(),
    }
}

/// Four findings covering what the writers must carry: KEV with its due date (overdue), a VEX
/// `not_affected` decision, an `affected` decision, a finding from a line-oriented lockfile,
/// and the same advisory on two components.
fn scan() -> ScanResult {
    let log4j = component(
        Ecosystem::Maven,
        "org.apache.logging.log4j:log4j-core",
        "2.14.1",
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar",
        "sbom/app.cdx.json#/components/12",
    );
    let mut kev = base(
        log4j.clone(),
        "CVE-2021-44228",
        &["GHSA-jfh8-c2jp-5v3q"],
        SeverityLevel::Critical,
    );
    kev.summary = "Remote code injection in Log4j".into();
    kev.severity.cvss_vector = Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H".into());
    kev.severity.cvss_score = Some(10.0);
    kev.severity.source = SeveritySource::Vector {
        advisory: "GHSA-jfh8-c2jp-5v3q".into(),
    };
    kev.fixed_versions = vec!["2.15.0".into()];
    kev.kev = true;
    kev.kev_entry = Some(KevEntry {
        cve_id: "CVE-2021-44228".into(),
        due_date: "2021-12-24".into(),
        date_added: "2021-12-10".into(),
        known_ransomware_campaign_use: Some("Known".into()),
        required_action: Some("Apply updates per vendor instructions.".into()),
    });
    kev.due_date = Some("2021-12-24".into());
    kev.due_date_source = Some(DueDateSource::Kev);
    kev.overdue = true;
    kev.references = vec!["https://nvd.nist.gov/vuln/detail/CVE-2021-44228".into()];

    let mut ruled_out = base(log4j, "CVE-2021-45046", &[], SeverityLevel::Critical);
    ruled_out.summary = "Incomplete fix for CVE-2021-44228".into();
    ruled_out.vex = Some(VexDecision {
        status: VexStatus::NotAffected,
        justification: Some("vulnerable_code_not_in_execute_path".into()),
        impact_statement: Some("Lookups are disabled.".into()),
        action_statement: None,
        source: "vex/openvex.json#/statements/0".into(),
    });

    let urllib3 = component(
        Ecosystem::PyPI,
        "urllib3",
        "1.26.4",
        "pkg:pypi/urllib3@1.26.4",
        "requirements.txt:5",
    );
    let mut medium = base(
        urllib3,
        "GHSA-q2q7-5pp4-w6pg",
        &["CVE-2021-33503", "PYSEC-2021-108"],
        SeverityLevel::High,
    );
    medium.summary = "Catastrophic backtracking in URL authority parser".into();
    medium.fixed_versions = vec!["1.26.5".into()];
    medium.due_date = Some("2022-01-30".into());
    medium.due_date_source = Some(DueDateSource::Policy {
        tier: "high".into(),
    });
    medium.vex = Some(VexDecision {
        status: VexStatus::Affected,
        justification: None,
        impact_statement: None,
        action_statement: None,
        source: "vex/triage.json#/statements/3".into(),
    });

    let lodash_a = component(
        Ecosystem::Npm,
        "lodash",
        "4.17.15",
        "pkg:npm/lodash@4.17.15",
        "package-lock.json#/packages/node_modules~1lodash",
    );
    let lodash_b = component(
        Ecosystem::Npm,
        "lodash",
        "4.17.19",
        "pkg:npm/lodash@4.17.19",
        "package-lock.json#/packages/node_modules~1a~1node_modules~1lodash",
    );
    let mut low_a = base(
        lodash_a,
        "GHSA-29mw-wpgm-hmr9",
        &["CVE-2020-28500"],
        SeverityLevel::Medium,
    );
    low_a.summary = "ReDoS in lodash".into();
    low_a.fixed_versions = vec!["4.17.21".into()];
    let mut low_b = low_a.clone();
    low_b.component = lodash_b;

    let mut result = ScanResult {
        scan_date: "2022-01-15".into(),
        summary: ScanSummary {
            components: 120,
            ..ScanSummary::default()
        },
        findings: vec![kev, ruled_out, medium, low_a, low_b],
        warnings: Vec::new(),
    };
    result.recompute_summary();
    result
}

#[test]
fn sarif_has_one_rule_per_advisory_and_one_result_per_finding() {
    let scan = scan();
    let sarif = to_sarif(&scan);
    let text = serde_json::to_string_pretty(&sarif).unwrap();
    let sarif: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "assay");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let rule_ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        rule_ids,
        [
            "CVE-2021-44228",
            "CVE-2021-45046",
            "GHSA-29mw-wpgm-hmr9",
            "GHSA-q2q7-5pp4-w6pg"
        ]
    );
    for rule in rules {
        assert!(rule["shortDescription"]["text"].is_string());
        assert!(
            ["error", "warning", "note"]
                .contains(&rule["defaultConfiguration"]["level"].as_str().unwrap())
        );
    }
    assert_eq!(rules[0]["properties"]["security-severity"], "10.0");
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), scan.findings.len());
    let mut fingerprints = BTreeSet::new();
    for (result, finding) in results.iter().zip(&scan.findings) {
        assert_eq!(result["ruleId"], finding.advisory_id.as_str());
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert!(
            result["message"]["text"]
                .as_str()
                .unwrap()
                .contains(&finding.component.version)
        );
        let location = &result["locations"][0]["physicalLocation"];
        assert!(location["artifactLocation"]["uri"].is_string());
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(
            fingerprints.insert(
                result["partialFingerprints"]["assay/finding/v1"]
                    .as_str()
                    .unwrap()
                    .to_string()
            )
        );
    }
    assert_eq!(results[0]["level"], "error");
    assert_eq!(results[3]["level"], "warning");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "sbom/app.cdx.json"
    );
    assert_eq!(
        results[2]["locations"][0]["physicalLocation"]["region"]["startLine"],
        5
    );
    // The VEX-excluded finding stays, suppressed; the affected one is not suppressed.
    assert_eq!(results[1]["suppressions"][0]["status"], "accepted");
    assert!(results[2].get("suppressions").is_none());
    // Against the SARIF 2.1.0 schema, through the types serde-sarif generates from it: every
    // required property present with the right type, and nothing written that the schema does
    // not define (re-serialising the typed log must give back the same JSON).
    let typed: serde_sarif::sarif::Sarif =
        serde_json::from_value(sarif.clone()).expect("schema-shaped SARIF");
    assert_eq!(
        typed.runs[0].results.as_ref().map(Vec::len),
        Some(scan.findings.len())
    );
    assert_eq!(serde_json::to_value(&typed).unwrap(), sarif);
    // Deterministic: the same scan gives the same bytes.
    assert_eq!(
        text,
        serde_json::to_string_pretty(&to_sarif(&scan)).unwrap()
    );
    insta::assert_json_snapshot!("sarif", sarif);
}

#[test]
fn cyclonedx_vex_lists_components_and_vulnerabilities_with_analysis() {
    let scan = scan();
    let bom = to_cyclonedx_vex(&scan);
    assert_eq!(bom["bomFormat"], "CycloneDX");
    assert_eq!(bom["specVersion"], "1.5");
    assert!(
        bom["serialNumber"]
            .as_str()
            .unwrap()
            .starts_with("urn:uuid:")
    );
    let components = bom["components"].as_array().unwrap();
    assert_eq!(components.len(), 4);
    let refs: BTreeSet<&str> = components
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    let vulns = bom["vulnerabilities"].as_array().unwrap();
    // The two lodash findings share one entry; every other advisory has its own.
    assert_eq!(vulns.len(), 4);
    for v in vulns {
        for affects in v["affects"].as_array().unwrap() {
            assert!(
                refs.contains(affects["ref"].as_str().unwrap()),
                "dangling ref in {v}"
            );
        }
    }
    let lodash = vulns
        .iter()
        .find(|v| v["id"] == "GHSA-29mw-wpgm-hmr9")
        .unwrap();
    assert_eq!(lodash["affects"].as_array().unwrap().len(), 2);
    assert!(lodash.get("analysis").is_none());
    let ruled_out = vulns.iter().find(|v| v["id"] == "CVE-2021-45046").unwrap();
    assert_eq!(ruled_out["analysis"]["state"], "not_affected");
    assert_eq!(ruled_out["analysis"]["justification"], "code_not_reachable");
    let kev = vulns.iter().find(|v| v["id"] == "CVE-2021-44228").unwrap();
    assert_eq!(kev["ratings"][0]["method"], "CVSSv31");
    assert_eq!(kev["references"][0]["id"], "GHSA-jfh8-c2jp-5v3q");

    // The CycloneDX project's Rust library parses it as 1.5 and its validator (enumerations,
    // purls, URN serial number, unique and resolvable bom-refs) finds nothing to report.
    {
        use cyclonedx_bom::models::bom::{Bom, SpecVersion};
        use cyclonedx_bom::validation::Validate;
        let parsed = Bom::parse_from_json_v1_5(serde_json::to_vec(&bom).unwrap().as_slice())
            .expect("CycloneDX 1.5 JSON");
        let validation = parsed.validate_version(SpecVersion::V1_5);
        assert!(validation.passed(), "{validation:?}");
        assert_eq!(parsed.vulnerabilities.map(|v| v.0.len()), Some(4));
    }
    // Round trip: assay reads its own CycloneDX VEX back into the same decisions.
    let bytes = serde_json::to_vec(&bom).unwrap();
    let read = read_vex_bytes(std::path::Path::new("out.cdx.json"), &bytes).unwrap();
    assert_eq!(read.format, VexFormat::CycloneDxVex);
    let mut fresh = scan.findings.clone();
    for f in &mut fresh {
        f.vex = None;
    }
    apply_vex(&mut fresh, &read.statements);
    let statuses: Vec<Option<VexStatus>> = fresh
        .iter()
        .map(|f| f.vex.as_ref().map(|v| v.status))
        .collect();
    assert_eq!(
        statuses,
        [
            None,
            Some(VexStatus::NotAffected),
            Some(VexStatus::Affected),
            None,
            None
        ]
    );
    insta::assert_json_snapshot!("cyclonedx_vex", bom);
}

#[test]
fn openvex_carries_the_decisions_made() {
    let scan = scan();
    let doc = to_openvex(
        &scan,
        &OpenVexOptions {
            author: Some("Example PSIRT".into()),
            ..Default::default()
        },
    );
    assert_eq!(doc["@context"], "https://openvex.dev/ns/v0.2.0");
    assert!(
        doc["@id"]
            .as_str()
            .unwrap()
            .starts_with("urn:assay:openvex:")
    );
    assert_eq!(doc["author"], "Example PSIRT");
    assert_eq!(doc["timestamp"], "2022-01-15T00:00:00Z");
    assert_eq!(doc["version"], 1);
    let statements = doc["statements"].as_array().unwrap();
    assert_eq!(statements.len(), 2, "only findings with a decision");
    for s in statements {
        assert!(s["vulnerability"]["name"].is_string());
        assert!(!s["products"].as_array().unwrap().is_empty());
        match s["status"].as_str().unwrap() {
            "not_affected" => {
                assert!(s.get("justification").is_some() || s.get("impact_statement").is_some())
            }
            "affected" => assert!(s["action_statement"].is_string()),
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(
        statements[1]["action_statement"],
        "Upgrade to a fixed version: 1.26.5"
    );

    // Round trip through the OpenVEX reader.
    let bytes = serde_json::to_vec(&doc).unwrap();
    let read = read_vex_bytes(std::path::Path::new("out.openvex.json"), &bytes).unwrap();
    assert_eq!(read.format, VexFormat::OpenVex);
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    let mut fresh = scan.findings.clone();
    for f in &mut fresh {
        f.vex = None;
    }
    apply_vex(&mut fresh, &read.statements);
    assert_eq!(
        fresh[1].vex.as_ref().unwrap().justification.as_deref(),
        Some("vulnerable_code_not_in_execute_path")
    );
    assert_eq!(fresh[2].vex.as_ref().unwrap().status, VexStatus::Affected);
    assert!(fresh[0].vex.is_none() && fresh[3].vex.is_none());
    insta::assert_json_snapshot!("openvex", doc);
}
