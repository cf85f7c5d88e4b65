//! VEX reading (OpenVEX, CSAF VEX on the shared OASIS examples, CycloneDX VEX) and application
//! to findings.

use std::path::{Path, PathBuf};

use assay_vuln::vex::{
    ProductMatcher, VersRange, VexError, VexFormat, apply_vex, read_vex, read_vex_bytes,
};
use assay_vuln::{Component, Ecosystem, Finding, VexStatus};

fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel)
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/vex")
        .join(rel)
}

fn finding(
    ecosystem: Ecosystem,
    name: &str,
    version: &str,
    purl: Option<&str>,
    id: &str,
    aliases: &[&str],
) -> Finding {
    Finding {
        component: Component {
            name: name.into(),
            version: version.into(),
            ecosystem,
            purl: purl.map(str::to_string),
            source: "test".into(),
        },
        advisory_id: id.into(),
        aliases: aliases.iter().map(|a| a.to_string()).collect(),
        sources: vec![id.into()],
        summary: String::new(),
        severity: Default::default(),
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

fn status(f: &Finding) -> Option<VexStatus> {
    f.vex.as_ref().map(|v| v.status)
}

#[test]
fn openvex_statements_apply_by_id_alias_purl_version_and_qualifiers() {
    let read = read_vex(&fixture("openvex.json")).unwrap();
    assert_eq!(read.format, VexFormat::OpenVex);
    assert_eq!(read.statements.len(), 5);
    assert_eq!(read.warnings.len(), 2, "{:?}", read.warnings);
    assert!(
        read.warnings[0]
            .location
            .ends_with("#/statements/5/products/0"),
        "{}",
        read.warnings[0]
    );
    // Subcomponents, not the image, are what the statement is matched by.
    assert_eq!(
        read.statements[0].products,
        [ProductMatcher::Purl(
            assay_vuln::sbom::purl::Purl::parse(
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
            )
            .unwrap()
        )]
    );
    assert_eq!(
        read.statements[1].timestamp.as_deref(),
        Some("2024-03-01T10:00:00Z")
    );

    let mut findings = vec![
        finding(
            Ecosystem::Maven,
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
            Some("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar"),
            "CVE-2021-44228",
            &[],
        ),
        // Matched by alias; the versioned `fixed` (latest timestamp) beats the others.
        finding(
            Ecosystem::Npm,
            "lodash",
            "4.17.15",
            Some("pkg:npm/lodash@4.17.15"),
            "GHSA-p6mc-m468-83gw",
            &["CVE-2020-8203"],
        ),
        // Another version: the versioned statement does not apply; the version-less one does.
        finding(
            Ecosystem::Npm,
            "lodash",
            "4.17.20",
            None,
            "CVE-2020-8203",
            &[],
        ),
        finding(
            Ecosystem::Debian,
            "openssl",
            "3.0.4-1",
            Some("pkg:deb/debian/openssl@3.0.4-1?arch=amd64"),
            "CVE-2022-0001",
            &[],
        ),
        finding(
            Ecosystem::Debian,
            "openssl",
            "3.0.4-1",
            Some("pkg:deb/debian/openssl@3.0.4-1?arch=arm64&distro=bookworm"),
            "CVE-2022-0001",
            &[],
        ),
        finding(
            Ecosystem::Maven,
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
            None,
            "CVE-2021-45046",
            &[],
        ),
        // Same id, other log4j version: the versioned statement does not cover it.
        finding(
            Ecosystem::Maven,
            "org.apache.logging.log4j:log4j-core",
            "2.15.0",
            None,
            "CVE-2021-44228",
            &[],
        ),
    ];
    assert_eq!(apply_vex(&mut findings, &read.statements), 4);
    let statuses: Vec<Option<VexStatus>> = findings.iter().map(status).collect();
    assert_eq!(
        statuses,
        [
            Some(VexStatus::NotAffected),
            Some(VexStatus::Fixed),
            Some(VexStatus::UnderInvestigation),
            None,
            Some(VexStatus::NotAffected),
            None,
            None,
        ]
    );
    let log4j = findings[0].vex.as_ref().unwrap();
    assert_eq!(
        log4j.justification.as_deref(),
        Some("vulnerable_code_not_in_execute_path")
    );
    assert_eq!(
        log4j.impact_statement.as_deref(),
        Some("JNDI lookups are disabled by configuration.")
    );
    assert!(
        log4j.source.ends_with("openvex.json#/statements/0"),
        "{}",
        log4j.source
    );
    assert!(
        findings[1]
            .vex
            .as_ref()
            .unwrap()
            .source
            .ends_with("#/statements/2")
    );
}

#[test]
fn cyclonedx_vex_resolves_bom_refs_and_versions() {
    let read = read_vex(&fixture("cyclonedx-vex.json")).unwrap();
    assert_eq!(read.format, VexFormat::CycloneDxVex);
    assert_eq!(read.statements.len(), 3, "{:?}", read.statements);
    // A BOM-Link whose bom-ref is a purl resolves to that purl.
    assert_eq!(
        read.statements[2].products[0].to_string(),
        "pkg:npm/lodash@4.17.21"
    );
    assert_eq!(read.warnings.len(), 4, "{:?}", read.warnings);
    let jinja = &read.statements[0];
    assert_eq!(
        (jinja.vulnerability.as_str(), jinja.aliases.as_slice()),
        ("CVE-2020-28493", &["GHSA-g3rq-g295-4j3m".to_string()][..])
    );
    assert_eq!(jinja.status, VexStatus::NotAffected);
    assert_eq!(jinja.justification.as_deref(), Some("code_not_reachable"));
    assert_eq!(jinja.action_statement.as_deref(), Some("will_not_fix"));

    let mut findings = vec![
        finding(
            Ecosystem::PyPI,
            "jinja2",
            "2.11.2",
            Some("pkg:pypi/jinja2@2.11.2"),
            "GHSA-g3rq-g295-4j3m",
            &["CVE-2020-28493"],
        ),
        finding(
            Ecosystem::PyPI,
            "django",
            "3.2.4",
            Some("pkg:pypi/django@3.2.4"),
            "PYSEC-2021-66",
            &[],
        ),
        finding(
            Ecosystem::PyPI,
            "django",
            "3.2.5",
            Some("pkg:pypi/django@3.2.5"),
            "PYSEC-2021-66",
            &[],
        ),
    ];
    assert_eq!(apply_vex(&mut findings, &read.statements), 2);
    assert_eq!(status(&findings[0]), Some(VexStatus::NotAffected));
    assert_eq!(status(&findings[1]), Some(VexStatus::Affected));
    assert_eq!(status(&findings[2]), None);
}

/// Per file: statements = every product id under a product_status other than `recommended`
/// (`jq '[.vulnerabilities[].product_status|to_entries[]|select(.key!="recommended")|.value[]]|length'`);
/// every product in these examples is resolvable (name + version, or name + vers range).
const CSAF_VEX: [(&str, usize); 13] = [
    ("2022-evd-uc-01-a-001.json", 1),
    ("2022-evd-uc-01-f-001.json", 1),
    ("2022-evd-uc-01-na-001.json", 1),
    ("2022-evd-uc-01-ui-001.json", 1),
    ("2022-evd-uc-02-na-001.json", 19),
    ("2022-evd-uc-03-ms-001.json", 19),
    ("2022-evd-uc-04-001.json", 3),
    ("2022-evd-uc-05-001.json", 1),
    ("2022-evd-uc-06-001.json", 7),
    ("2022-evd-uc-07-001.json", 10),
    ("2022-evd-uc-08-001.json", 21),
    ("2022-evd-uc-09-001.json", 4),
    ("sec-vex-2022-0001.json", 3),
];

#[test]
fn every_shared_csaf_vex_example_reads_completely() {
    let dir = shared("csaf/csaf/csaf_vex");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let (_, count) = CSAF_VEX
            .iter()
            .find(|(f, _)| *f == name)
            .unwrap_or_else(|| panic!("{name}: not in the table"));
        let read = read_vex(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read.format, VexFormat::CsafVex);
        assert_eq!(read.statements.len(), *count, "{name}: {:?}", read.warnings);
        // Every not_affected statement in the examples carries an impact threat or a flag.
        assert!(read.warnings.is_empty(), "{name}: {:?}", read.warnings);
        for s in &read.statements {
            if s.status == VexStatus::NotAffected {
                assert!(
                    s.justification.is_some() || s.impact_statement.is_some(),
                    "{name}: {s:?}"
                );
            }
        }
        seen += 1;
    }
    assert_eq!(seen, CSAF_VEX.len());
}

#[test]
fn csaf_vex_product_versions_and_vers_ranges_decide() {
    // uc-07: ABC 4.2 not affected, ABC 2.4/2.6/[2.9,4.1] affected, ABC [1.0,2.3], 2.5, [2.7,2.8]
    // not affected; JKL [4.5,5.0] affected, JKL [1.0,4.4] not affected, JKL 5.1 fixed.
    let read = read_vex(&shared("csaf/csaf/csaf_vex/2022-evd-uc-07-001.json")).unwrap();
    let cases = [
        ("ABC", "4.2", Some(VexStatus::NotAffected)),
        ("ABC", "2.4", Some(VexStatus::Affected)),
        ("ABC", "3.0", Some(VexStatus::Affected)),
        ("ABC", "2.0", Some(VexStatus::NotAffected)),
        ("ABC", "2.8", Some(VexStatus::NotAffected)),
        // Versions are not decimals: 2.75 comes after 2.9, inside [2.9, 4.1].
        ("ABC", "2.75", Some(VexStatus::Affected)),
        ("ABC", "4.3", None),
        ("JKL", "4.9", Some(VexStatus::Affected)),
        ("JKL", "4.4", Some(VexStatus::NotAffected)),
        ("JKL", "5.1", Some(VexStatus::Fixed)),
        ("XYZ", "4.2", None),
    ];
    let mut findings: Vec<Finding> = cases
        .iter()
        .map(|(name, version, _)| {
            finding(
                Ecosystem::Other("generic".into()),
                name,
                version,
                None,
                "CVE-2021-44228",
                &[],
            )
        })
        .collect();
    apply_vex(&mut findings, &read.statements);
    for ((name, version, expected), f) in cases.iter().zip(&findings) {
        assert_eq!(status(f), *expected, "{name} {version}");
    }
    let abc42 = findings[0].vex.as_ref().unwrap();
    assert_eq!(
        abc42.impact_statement.as_deref(),
        Some("Class with vulnerable code was removed before shipping.")
    );
    let abc24 = findings[1].vex.as_ref().unwrap();
    assert_eq!(
        abc24.action_statement.as_deref(),
        Some("vendor_fix: Update to version 4.2 or later.")
    );

    // sec-vex: flags carry the justification; `<=1.14.0` is a bare range.
    let sec = read_vex(&shared("csaf/csaf/csaf_vex/sec-vex-2022-0001.json")).unwrap();
    assert!(
        sec.statements
            .iter()
            .all(|s| s.justification.as_deref() == Some("component_not_present"))
    );
    let mut findings = vec![
        finding(
            Ecosystem::Npm,
            "Secvisogram",
            "1.14.0",
            None,
            "CVE-2021-45046",
            &[],
        ),
        finding(
            Ecosystem::Npm,
            "secvisogram",
            "1.15.0",
            None,
            "CVE-2021-45046",
            &[],
        ),
    ];
    apply_vex(&mut findings, &sec.statements);
    assert_eq!(status(&findings[0]), Some(VexStatus::NotAffected));
    assert_eq!(status(&findings[1]), None);
}

#[test]
fn csaf_relationships_purls_and_group_flags() {
    let read = read_vex(&fixture("csaf-purl.json")).unwrap();
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    assert_eq!(read.statements.len(), 1);
    let s = &read.statements[0];
    assert_eq!(s.aliases, ["GHSA-57j2-w4cx-62h2"]);
    // The relationship resolves to its component's purl; the flag applies through its group.
    assert_eq!(
        s.products[0].to_string(),
        "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10"
    );
    assert_eq!(
        s.justification.as_deref(),
        Some("vulnerable_code_not_in_execute_path")
    );
    let mut findings = vec![
        finding(
            Ecosystem::Maven,
            "com.fasterxml.jackson.core:jackson-databind",
            "2.9.10",
            Some("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10?type=jar"),
            "GHSA-57j2-w4cx-62h2",
            &["CVE-2020-36518"],
        ),
        finding(
            Ecosystem::Maven,
            "com.fasterxml.jackson.core:jackson-databind",
            "2.9.10.8",
            None,
            "CVE-2020-36518",
            &[],
        ),
    ];
    assert_eq!(apply_vex(&mut findings, &read.statements), 1);
    assert_eq!(status(&findings[0]), Some(VexStatus::NotAffected));
    assert_eq!(status(&findings[1]), None);
}

#[test]
fn vers_ranges_follow_the_containment_algorithm() {
    use assay_vuln::version::Scheme;
    let range = VersRange::parse("vers:generic/>=2.9|<=4.1").unwrap();
    assert_eq!(range.contains("2.9", Scheme::Generic), Some(true));
    assert_eq!(range.contains("4.1", Scheme::Generic), Some(true));
    assert_eq!(range.contains("4.10", Scheme::Generic), Some(false));
    let multi = VersRange::parse("vers:npm/>=1.0.0|<1.2.0|>=2.0.0|!=2.1.0").unwrap();
    assert_eq!(multi.contains("1.1.9", Scheme::Semver), Some(true));
    assert_eq!(multi.contains("1.5.0", Scheme::Semver), Some(false));
    assert_eq!(multi.contains("2.1.0", Scheme::Semver), Some(false));
    assert_eq!(multi.contains("3.0.0", Scheme::Semver), Some(true));
    assert_eq!(
        VersRange::parse("vers:all/*")
            .unwrap()
            .contains("anything", Scheme::Generic),
        Some(true)
    );
    assert!(VersRange::parse("between 1 and 2").is_none());
}

#[test]
fn broken_vex_documents_are_errors_naming_the_location() {
    let err = read_vex_bytes(Path::new("v.json"), br#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1"},"products":[],"status":"maybe"}]}"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "v.json: at /statements/0/status: `maybe` is not an OpenVEX status: use not_affected, affected, fixed or under_investigation"
    );
    let err = read_vex_bytes(
        Path::new("v.json"),
        br#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vuln"#,
    )
    .unwrap_err();
    assert!(matches!(err, VexError::Json { line: 1, .. }), "{err}");
    let err = read_vex_bytes(Path::new("v.json"), br#"{"bomFormat":"CycloneDX","vulnerabilities":[{"id":"CVE-1","analysis":{"state":"fine"}}]}"#).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("v.json: at /vulnerabilities/0/analysis/state:"),
        "{err}"
    );
    let err = read_vex_bytes(Path::new("v.json"), br#"{"something":"else"}"#).unwrap_err();
    assert!(matches!(err, VexError::UnknownFormat { .. }));
    // Truncations of a real CSAF VEX never panic.
    let bytes = std::fs::read(shared("csaf/csaf/csaf_vex/2022-evd-uc-08-001.json")).unwrap();
    for cut in (0..bytes.len()).step_by(97) {
        let _ = read_vex_bytes(Path::new("cut.json"), &bytes[..cut]);
    }
}

/// The shared CSAF security advisories (not the VEX profile) are read too: their product_status
/// is VEX-shaped. Counts: every product id under a product_status other than `recommended`
/// (jq, as above) becomes a statement when the product tree names it by purl or by product name
/// and version (Cisco's `service_pack` branches included); Red Hat's products here are bare
/// `product_version` image names with no product name, which are reported, not guessed. The one
/// further warning per file says the category is not `csaf_vex`.
#[test]
fn shared_csaf_security_advisories_read_without_error() {
    for (name, statements, warnings) in [
        ("bsi-2022-0001.json", 7, 1),
        ("cisco-sa-20180328-smi2.json", 259, 1),
        ("rhsa-2019_1862.json", 0, 1),
        ("rhsa-2021_5186.json", 0, 1 + 6),
        ("rhsa-2021_5217.json", 1, 1),
        ("rhsa-2022_0011.json", 0, 1 + 15),
    ] {
        let read =
            read_vex(&shared(&format!("csaf/csaf/{name}"))).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read.format, VexFormat::CsafVex);
        assert!(
            read.warnings[0].message.contains("is not `csaf_vex`"),
            "{name}: {}",
            read.warnings[0]
        );
        assert_eq!(
            (read.statements.len(), read.warnings.len()),
            (statements, warnings),
            "{name}: {:?}",
            read.warnings
        );
    }
}
