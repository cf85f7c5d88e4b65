//! Scans against an index built from the shared databases (PyPA, Go, RustSec, CSAF, KEV):
//! matching, alias merging, KEV due dates, deadlines, incremental re-import, bad input.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assay_vuln::component::{Component, Ecosystem};
use assay_vuln::index::{Index, Silent};
use assay_vuln::policy::DeadlinePolicy;
use assay_vuln::scan::{ScanOptions, scan};
use assay_vuln::{DueDateSource, SeverityLevel, SeveritySource};
use chrono::NaiveDate;

fn data(rel: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel)
}

/// One index of all shared databases, built once for this test binary.
fn shared_index() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut index = Index::open(&dir.path().join("index.sqlite")).expect("open index");
        let report = index
            .import(
                &[
                    data("advisories/pypa"),
                    data("advisories/go"),
                    data("advisories/rustsec"),
                    data("kev/known_exploited_vulnerabilities.json"),
                    data("csaf/csaf"),
                ],
                &Silent,
            )
            .expect("import");
        assert!(report.advisories_imported > 8_000, "{report:?}");
        assert_eq!(report.kev_entries_imported, 1404);
        dir
    });
    dir.path()
}

fn component(ecosystem: Ecosystem, name: &str, version: &str) -> Component {
    Component {
        name: name.into(),
        version: version.into(),
        ecosystem,
        purl: None,
        source: "test".into(),
    }
}

fn options() -> ScanOptions {
    ScanOptions {
        scan_date: NaiveDate::from_ymd_opt(2026, 11, 22).expect("date"),
        policy: DeadlinePolicy::default(),
    }
}

fn scan_one(c: Component) -> assay_vuln::ScanResult {
    let index = Index::open(&shared_index().join("index.sqlite")).expect("open");
    scan(&index, &[c], &options(), &Silent).expect("scan")
}

fn ids(result: &assay_vuln::ScanResult) -> Vec<String> {
    let mut ids: Vec<String> = result
        .findings
        .iter()
        .map(|f| f.advisory_id.clone())
        .collect();
    ids.sort();
    ids
}

#[test]
fn pypi_kev_finding_carries_the_catalog_due_date() {
    let result = scan_one(component(Ecosystem::PyPI, "PySpark", "3.1.2"));
    let finding = result
        .findings
        .iter()
        .find(|f| f.advisory_id == "CVE-2022-33891")
        .unwrap_or_else(|| panic!("CVE-2022-33891 expected, got {:?}", ids(&result)));
    assert!(finding.kev);
    assert_eq!(
        finding.due_date.as_deref(),
        Some("2023-03-28"),
        "KEV dueDate as written"
    );
    assert_eq!(finding.due_date_source, Some(DueDateSource::Kev));
    assert!(finding.overdue);
    assert!(finding.sources.contains(&"PYSEC-2022-236".to_string()));
    assert_eq!(result.summary.kev_open, 1, "{:#?}", result.findings);
    assert_eq!(result.summary.kev_overdue, 1);
    assert_eq!(
        result.summary.kev_earliest_due.as_deref(),
        Some("2023-03-28")
    );
    // 3.2.2 is PYSEC-2022-236's fix on the 3.2 line (PYSEC-2023-44, fixed in 3.4.0, remains).
    let fixed = scan_one(component(Ecosystem::PyPI, "pyspark", "3.2.2"));
    assert!(
        !fixed
            .findings
            .iter()
            .any(|f| f.advisory_id == "CVE-2022-33891"),
        "{:?}",
        ids(&fixed)
    );
    assert!(
        fixed
            .findings
            .iter()
            .any(|f| f.sources.contains(&"PYSEC-2023-44".to_string()))
    );
    assert_eq!(fixed.summary.kev_open, 0);
}

#[test]
fn go_pseudo_versions_and_incompatible() {
    // GO-2025-3459: github.com/wazuh/wazuh introduced 4.4.0+incompatible, fixed 4.9.1+incompatible.
    let hit = scan_one(component(
        Ecosystem::Go,
        "github.com/wazuh/wazuh",
        "v4.9.0+incompatible",
    ));
    // GO-2025-3445 (fixed 4.9.1+incompatible) also covers 4.9.0; GO-2025-3444 (fixed
    // 4.9.0+incompatible) does not.
    assert_eq!(ids(&hit), vec!["CVE-2024-47770", "CVE-2025-24016"]);
    assert!(
        hit.findings
            .iter()
            .any(|f| f.advisory_id == "CVE-2025-24016" && f.kev)
    );
    let older = scan_one(component(
        Ecosystem::Go,
        "github.com/wazuh/wazuh",
        "v4.8.9+incompatible",
    ));
    assert_eq!(
        ids(&older),
        vec!["CVE-2024-35177", "CVE-2024-47770", "CVE-2025-24016"]
    );
    let fixed = scan_one(component(
        Ecosystem::Go,
        "github.com/wazuh/wazuh",
        "v4.9.1+incompatible",
    ));
    assert!(fixed.findings.is_empty(), "{:?}", ids(&fixed));
    // GO-2023-1989: golang.org/x/image fixed 0.10.0; a pseudo-version before it is affected.
    let pseudo = scan_one(component(
        Ecosystem::Go,
        "golang.org/x/image",
        "v0.0.0-20220902085622-e7cb96979f69",
    ));
    assert!(
        pseudo
            .findings
            .iter()
            .any(|f| f.sources.contains(&"GO-2023-1989".to_string()))
    );
    let after = scan_one(component(
        Ecosystem::Go,
        "golang.org/x/image",
        "v0.10.1-0.20230801000000-abcdefabcdef",
    ));
    assert!(
        !after
            .findings
            .iter()
            .any(|f| f.sources.contains(&"GO-2023-1989".to_string()))
    );
}

#[test]
fn rustsec_patched_and_unaffected() {
    // RUSTSEC-2021-0003 smallvec: patched >= 0.6.14 < 1.0.0 | >= 1.6.1, unaffected < 0.6.3.
    let hit = scan_one(component(Ecosystem::CratesIo, "smallvec", "1.6.0"));
    let f = hit
        .findings
        .iter()
        .find(|f| f.sources.contains(&"RUSTSEC-2021-0003".to_string()))
        .expect("smallvec finding");
    assert_eq!(f.advisory_id, "CVE-2021-25900");
    assert_eq!(f.severity.level, SeverityLevel::Critical);
    assert_eq!(f.severity.cvss_score, Some(9.8));
    assert_eq!(
        f.fixed_versions,
        vec!["0.6.14".to_string(), "1.6.1".to_string()]
    );
    for safe in ["0.6.2", "0.6.14", "1.6.1"] {
        let r = scan_one(component(Ecosystem::CratesIo, "smallvec", safe));
        assert!(
            !r.findings
                .iter()
                .any(|f| f.sources.contains(&"RUSTSEC-2021-0003".to_string())),
            "{safe}"
        );
    }
}

#[test]
fn csaf_product_matches_by_name_and_version() {
    let hit = scan_one(component(
        Ecosystem::Other("generic".into()),
        "CVRF-CSAF-Converter",
        "1.0.0-rc1",
    ));
    let f = hit
        .findings
        .iter()
        .find(|f| f.advisory_id == "CVE-2022-27193")
        .unwrap_or_else(|| panic!("{:?}", ids(&hit)));
    assert_eq!(f.fixed_versions, vec!["1.0.0-rc2".to_string()]);
    assert_eq!(f.severity.cvss_score, Some(6.1));
    let fixed = scan_one(component(
        Ecosystem::Other("generic".into()),
        "CVRF-CSAF-Converter",
        "1.0.0-rc2",
    ));
    assert!(
        !fixed
            .findings
            .iter()
            .any(|f| f.advisory_id == "CVE-2022-27193")
    );
}

#[test]
fn aliases_from_two_sources_are_one_finding_and_withdrawn_never_match() {
    let dir = tempfile::tempdir().expect("tempdir");
    let feed = dir.path().join("feed");
    std::fs::create_dir_all(&feed).expect("mkdir");
    // The same CVE under a GHSA id and a PYSEC id; a third, withdrawn advisory.
    std::fs::write(feed.join("GHSA-aaaa.json"), r#"{"id":"GHSA-aaaa-bbbb-cccc","aliases":["CVE-2099-0001"],"summary":"one",
        "affected":[{"package":{"ecosystem":"PyPI","name":"Demo_Pkg"},"ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"2.0"},{"introduced":"1.0"}]}]}],
        "database_specific":{"severity":"HIGH"}}"#).expect("write");
    std::fs::write(feed.join("PYSEC-1.yaml"), "id: PYSEC-2099-1\naliases: [CVE-2099-0001]\naffected:\n- package: {ecosystem: PyPI, name: demo-pkg}\n  versions: ['1.5']\n").expect("write");
    std::fs::write(feed.join("W.json"), r#"{"id":"GHSA-wwww","withdrawn":"2020-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"demo-pkg"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}"#).expect("write");
    std::fs::write(feed.join("bad.json"), r#"{"id":"BAD-1","affected":[{"package":{"ecosystem":"NoSuchEco","name":"x"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}"#).expect("write");
    std::fs::write(feed.join("broken.yaml"), "id: [").expect("write");
    let mut index = Index::open(&dir.path().join("i.sqlite")).expect("open");
    let report = index
        .import(std::slice::from_ref(&feed), &Silent)
        .expect("import");
    assert_eq!(report.files_parsed, 5);
    assert_eq!(
        report.advisories_imported, 4,
        "broken.yaml skipped, the rest imported"
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.file.ends_with("broken.yaml")),
        "{:?}",
        report.warnings
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.field == "affected[0].package.ecosystem"),
        "{:?}",
        report.warnings
    );

    let result = scan(
        &index,
        &[component(Ecosystem::PyPI, "demo.pkg", "1.5")],
        &options(),
        &Silent,
    )
    .expect("scan");
    assert_eq!(result.findings.len(), 1, "{:?}", result.findings);
    let f = &result.findings[0];
    assert_eq!(f.advisory_id, "CVE-2099-0001");
    assert_eq!(f.sources.len(), 2);
    assert!(
        f.aliases.contains(&"GHSA-aaaa-bbbb-cccc".to_string())
            && f.aliases.contains(&"PYSEC-2099-1".to_string())
    );
    assert_eq!(f.severity.level, SeverityLevel::High);
    assert_eq!(f.fixed_versions, vec!["2.0".to_string()]);
    // No publication date: the default policy counts 30 days for high from the scan date.
    assert_eq!(f.due_date.as_deref(), Some("2026-12-22"));
    assert!(!f.overdue);

    // Re-import: nothing changed, nothing parsed.
    let again = index
        .import(std::slice::from_ref(&feed), &Silent)
        .expect("import");
    assert_eq!((again.files_unchanged, again.files_parsed), (5, 0));
    // Touch one file with identical bytes (new mtime), change another, delete a third.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let bytes = std::fs::read(feed.join("PYSEC-1.yaml")).expect("read");
    std::fs::write(feed.join("PYSEC-1.yaml"), bytes).expect("write");
    std::fs::write(feed.join("GHSA-aaaa.json"), r#"{"id":"GHSA-aaaa-bbbb-cccc","aliases":["CVE-2099-0001"],"affected":[{"package":{"ecosystem":"PyPI","name":"demo-pkg"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2"}]}]}]}"#).expect("write");
    std::fs::remove_file(feed.join("W.json")).expect("rm");
    let third = index
        .import(std::slice::from_ref(&feed), &Silent)
        .expect("import");
    assert_eq!(
        (
            third.files_same_digest,
            third.files_parsed,
            third.files_removed
        ),
        (1, 1, 1),
        "{third:?}"
    );
    let result = scan(
        &index,
        &[component(Ecosystem::PyPI, "demo-pkg", "1.5")],
        &options(),
        &Silent,
    )
    .expect("scan");
    assert_eq!(result.findings.len(), 1);
    assert_eq!(
        result.findings[0].sources,
        vec!["PYSEC-2099-1".to_string()],
        "GHSA range changed: 1.5 no longer in it"
    );
}

#[test]
fn stats_count_what_was_imported() {
    let index = Index::open(&shared_index().join("index.sqlite")).expect("open");
    let stats = index.stats().expect("stats");
    assert!(
        stats.packages_by_ecosystem.get("Go").copied().unwrap_or(0) > 4000,
        "{stats:?}"
    );
    assert_eq!(stats.kev_entries, 1404);
    // RustSec's `rust/` collection is the toolchain, not crates named std/cargo/rustdoc.
    assert_eq!(
        stats.packages_by_ecosystem.get("crates.io").copied(),
        Some(1205)
    );
    assert_eq!(
        stats.packages_by_ecosystem.get("Rust-toolchain").copied(),
        Some(20)
    );
    assert_eq!(
        stats.files_by_format.get("rustsec").copied(),
        Some(1225),
        "1,205 crate advisories + 20 for the Rust toolchain"
    );
    assert_eq!(stats.files_by_format.get("osv-yaml").copied(), Some(2661));
    assert_eq!(stats.files_by_format.get("osv-json").copied(), Some(4291));
}

#[test]
fn zip_archives_are_read_like_an_ecosystem_all_zip() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("all.zip");
    let file = std::fs::File::create(&path).expect("create");
    let mut zip = zip::ZipWriter::new(file);
    let entry_options = zip::write::SimpleFileOptions::default();
    // Records copied from the shared Go database, plus one YAML record and one broken entry.
    for id in ["GO-2023-1989", "GO-2025-3459"] {
        let bytes = std::fs::read(data(&format!("advisories/go/{id}.json"))).expect("read");
        zip.start_file(format!("{id}.json"), entry_options)
            .expect("entry");
        zip.write_all(&bytes).expect("write");
    }
    zip.start_file("nested/PYSEC-2099-2.yaml", entry_options)
        .expect("entry");
    zip.write_all(b"id: PYSEC-2099-2\naffected:\n- package: {ecosystem: PyPI, name: zipped}\n  ranges:\n  - type: ECOSYSTEM\n    events: [{introduced: '0'}, {fixed: '1.0'}]\n").expect("write");
    zip.start_file("broken.json", entry_options).expect("entry");
    zip.write_all(b"{\"id\": 1").expect("write");
    zip.finish().expect("finish");

    let mut index = Index::open(&dir.path().join("i.sqlite")).expect("open");
    let report = index
        .import(std::slice::from_ref(&path), &Silent)
        .expect("import");
    assert_eq!(report.advisories_imported, 3);
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(report.warnings[0].file.ends_with("all.zip!broken.json"));
    let components = [
        component(Ecosystem::PyPI, "zipped", "0.9"),
        component(Ecosystem::PyPI, "zipped", "1.0"),
        component(Ecosystem::Go, "golang.org/x/image", "v0.9.0"),
    ];
    let result = scan(&index, &components, &options(), &Silent).expect("scan");
    let hits: Vec<(String, String)> = result
        .findings
        .iter()
        .map(|f| (f.advisory_id.clone(), f.component.version.clone()))
        .collect();
    assert_eq!(
        hits,
        vec![
            ("PYSEC-2099-2".to_string(), "0.9".to_string()),
            ("CVE-2023-29408".to_string(), "v0.9.0".to_string())
        ]
    );
}

#[test]
fn a_deadline_policy_file_sets_due_dates() {
    let policy = DeadlinePolicy::from_toml(
        "policy.toml",
        "start = \"scan\"\n[[tier]]\nname = \"crit-7\"\nmin_severity = \"critical\"\ndays = 7\n",
    )
    .expect("policy");
    let index = Index::open(&shared_index().join("index.sqlite")).expect("open");
    let options = ScanOptions {
        policy,
        ..options()
    };
    let result = scan(
        &index,
        &[component(Ecosystem::CratesIo, "smallvec", "1.6.0")],
        &options,
        &Silent,
    )
    .expect("scan");
    let f = &result.findings[0];
    assert_eq!(f.due_date.as_deref(), Some("2026-11-29"));
    assert_eq!(
        f.due_date_source,
        Some(DueDateSource::Policy {
            tier: "crit-7".into()
        })
    );
    assert!(!f.overdue);
}

/// Issue #11 point 13: the Go database states no severity. CVE-2025-24016 (Wazuh RCE,
/// GO-2025-3459) is KEV-listed: its finding must say "unknown", never "none", and a
/// `--fail-on high` gate must fail on it.
#[test]
fn go_kev_finding_without_a_score_is_unknown_and_fails_high() {
    let result = scan_one(component(
        Ecosystem::Go,
        "github.com/wazuh/wazuh",
        "v4.9.0+incompatible",
    ));
    let f = result
        .findings
        .iter()
        .find(|f| f.ids().any(|id| id == "CVE-2025-24016"))
        .expect("CVE-2025-24016 finding");
    assert!(f.sources.contains(&"GO-2025-3459".to_string()), "{f:?}");
    assert!(f.kev, "KEV-listed");
    assert_eq!(f.severity.level, SeverityLevel::Unknown);
    assert_ne!(f.severity.level, SeverityLevel::None);
    assert_eq!(f.severity.source, SeveritySource::Unknown);
    assert_eq!(f.severity.cvss_score, None);
    for threshold in [
        SeverityLevel::Low,
        SeverityLevel::High,
        SeverityLevel::Critical,
    ] {
        assert!(f.fails_threshold(threshold), "fails --fail-on {threshold}");
    }
    assert_ne!(result.summary.max_severity, SeverityLevel::None);
    assert!(result.summary.unknown_severity >= 1, "{:?}", result.summary);
    let json = serde_json::to_value(f).expect("json");
    assert_eq!(json["severity"]["level"], "unknown");
    assert_eq!(json["severity"]["source"]["kind"], "unknown");
}

/// A Go advisory without a severity takes the CVSS vector of another loaded advisory that
/// names the same vulnerability: GO-2024-3078 (github.com/lf-edge/ekuiper) aliases
/// CVE-2024-43406 and GHSA-r5ph-4jxm-6j9p, which PYSEC-2024-72 (PyPI) also names, with
/// `CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H` (8.8, high).
#[test]
fn a_finding_without_a_score_takes_an_alias_vector() {
    let result = scan_one(component(
        Ecosystem::Go,
        "github.com/lf-edge/ekuiper",
        "v1.14.1",
    ));
    let f = result
        .findings
        .iter()
        .find(|f| f.sources.contains(&"GO-2024-3078".to_string()))
        .expect("GO-2024-3078 finding");
    assert_eq!(f.severity.level, SeverityLevel::High);
    assert_eq!(f.severity.cvss_score, Some(8.8));
    assert_eq!(
        f.severity.cvss_vector.as_deref(),
        Some("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H")
    );
    match &f.severity.source {
        SeveritySource::Alias { advisory, alias } => {
            assert_eq!(advisory, "PYSEC-2024-72");
            assert!(
                alias == "CVE-2024-43406" || alias == "GHSA-r5ph-4jxm-6j9p",
                "{alias}"
            );
        }
        other => panic!("expected an alias source, got {other:?}"),
    }
    // The policy deadline follows the alias severity (high: 30 days), not "unrated".
    assert_eq!(
        f.due_date_source,
        Some(DueDateSource::Policy {
            tier: "high".into()
        })
    );
}

/// An unknown-severity finding that is not known exploited passes a `high` gate (it is
/// reported as unjudged by the CLI) but fails `unknown` and `none`; a VEX-closed one never fails.
#[test]
fn unknown_severity_gate_rules() {
    let result = scan_one(component(
        Ecosystem::Go,
        "golang.org/x/image",
        "v0.0.0-20220902085622-e7cb96979f69",
    ));
    let f = result
        .findings
        .iter()
        .find(|f| !f.kev && f.severity.level == SeverityLevel::Unknown)
        .expect("a Go finding of unknown severity, not KEV-listed");
    assert!(!f.fails_threshold(SeverityLevel::High));
    assert!(!f.fails_threshold(SeverityLevel::Low));
    assert!(f.fails_threshold(SeverityLevel::Unknown));
    assert!(f.fails_threshold(SeverityLevel::None));
    // Unrated findings keep the policy's "unrated" tier.
    assert_eq!(
        f.due_date_source,
        Some(DueDateSource::Policy {
            tier: "unrated".into()
        })
    );
    let mut closed = f.clone();
    closed.vex = Some(assay_vuln::VexDecision {
        status: assay_vuln::VexStatus::NotAffected,
        justification: None,
        impact_statement: None,
        action_statement: None,
        source: "test".into(),
    });
    closed.kev = true;
    assert!(!closed.fails_threshold(SeverityLevel::None));
}
