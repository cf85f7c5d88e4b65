//! `assay vuln`: import the shared advisory databases, scan the shared SBOMs and small
//! lockfiles, VEX, --fail-on, --record, output formats, bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

fn data(rel: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel)
}

fn assay(workspace: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_assay"))
        .arg("--workspace")
        .arg(workspace)
        .arg("--no-progress")
        .args(args)
        .output()
        .expect("assay runs")
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A workspace with every shared advisory database imported, built once per test binary.
fn workspace() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let ws = dir.path().join("ws");
        ok(&assay(&ws, &["init"]));
        let imported = ok(&assay(
            &ws,
            &[
                "--format",
                "json",
                "vuln",
                "db",
                "import",
                data("advisories").to_str().expect("utf-8 path"),
                data("kev/known_exploited_vulnerabilities.json")
                    .to_str()
                    .expect("utf-8 path"),
                data("csaf/csaf").to_str().expect("utf-8 path"),
            ],
        ));
        let report: Value = serde_json::from_str(&imported).expect("json");
        assert_eq!(report["kev_entries_imported"], 1404);
        // A second import of the same tree reads nothing again.
        let again: Value = serde_json::from_str(&ok(&assay(
            &ws,
            &[
                "--format",
                "json",
                "vuln",
                "db",
                "import",
                data("advisories").to_str().expect("utf-8"),
            ],
        )))
        .expect("json");
        assert_eq!(again["files_parsed"], 0);
        assert_eq!(again["files_unchanged"], again["files_seen"]);
        (dir, ws)
    })
    .1
}

fn scan_json(args: &[&str]) -> Value {
    let mut all = vec!["--format", "json", "vuln", "scan", "--date", "2026-11-22"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(&assay(workspace(), &all))).expect("scan json")
}

#[test]
fn go_sbom_scan_matches_the_reviewed_snapshot() {
    let sbom = data("sbom/cyclonedx/SBOM_proton-bridge_proton-bridge-v1.8.0.bom.json");
    let result = scan_json(&[sbom.to_str().expect("utf-8")]);
    assert_eq!(result["summary"]["components"], 201);
    let mut lines: Vec<String> = result["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{} {}@{} fixed={} sources={}",
                f["advisory_id"].as_str().unwrap_or(""),
                f["component"]["name"].as_str().unwrap_or(""),
                f["component"]["version"].as_str().unwrap_or(""),
                f["fixed_versions"]
                    .as_array()
                    .map(|v| v
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("|"))
                    .unwrap_or_default(),
                f["sources"]
                    .as_array()
                    .map(|v| v
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("|"))
                    .unwrap_or_default(),
            )
        })
        .collect();
    lines.sort();
    insta::assert_snapshot!("proton_bridge_findings", lines.join("\n"));
}

#[test]
fn sboms_of_ecosystems_without_a_database_have_no_findings() {
    // The shared databases cover PyPI, Go and crates.io; these SBOMs are npm, Maven and
    // Composer: no advisory names their packages, so a finding would be a false match.
    for name in [
        "SBOM_dropwizard-1.3.15_bom.json",
        "SBOM_juice-shop_v11.1.2_bom.json",
        "SBOM_juice-shop_via_npm_flat_bom.1.4.json",
        "SBOM_keycloak-10.0.2_bom.json",
        "SBOM_laravel-7.12.0_bom.1.4.json",
        "SBOM_protonmail-webclient-v4-0912dff_bom.json",
    ] {
        let result = scan_json(&[data(&format!("sbom/cyclonedx/{name}"))
            .to_str()
            .expect("utf-8")]);
        assert!(
            result["summary"]["components"].as_u64().expect("n") > 50,
            "{name}"
        );
        assert_eq!(
            result["findings"].as_array().map(Vec::len),
            Some(0),
            "{name}"
        );
    }
}

const CARGO_LOCK: &str = r#"version = 3

[[package]]
name = "demo"
version = "0.1.0"
dependencies = ["smallvec"]

[[package]]
name = "smallvec"
version = "1.6.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;

#[test]
fn fail_on_gates_and_vex_excludes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lock = dir.path().join("Cargo.lock");
    std::fs::write(&lock, CARGO_LOCK).expect("write");
    let lock = lock.to_str().expect("utf-8");
    let result = scan_json(&[lock]);
    let finding = &result["findings"][0];
    assert_eq!(finding["advisory_id"], "CVE-2021-25900");
    assert_eq!(finding["severity"]["level"], "critical");
    assert_eq!(
        finding["severity"]["cvss_vector"],
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    );
    assert_eq!(finding["component"]["purl"], "pkg:cargo/smallvec@1.6.0");
    // Published 2021-01-08, critical: due 15 days later, overdue on 2026-11-22.
    assert_eq!(finding["due_date"], "2021-01-23");
    assert_eq!(finding["overdue"], true);

    let gated = assay(
        workspace(),
        &[
            "vuln",
            "scan",
            "--date",
            "2026-11-22",
            "--fail-on",
            "high",
            lock,
        ],
    );
    assert_eq!(
        gated.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&gated.stderr)
    );

    let vex = dir.path().join("vex.json");
    std::fs::write(&vex, r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex/1","author":"test","timestamp":"2026-11-01T00:00:00Z","version":1,
      "statements":[{"vulnerability":{"name":"CVE-2021-25900"},"products":[{"@id":"pkg:cargo/smallvec@1.6.0"}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}"#).expect("write");
    let vexed = assay(
        workspace(),
        &[
            "vuln",
            "scan",
            "--date",
            "2026-11-22",
            "--fail-on",
            "high",
            "--vex",
            vex.to_str().expect("utf-8"),
            lock,
        ],
    );
    assert_eq!(
        vexed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&vexed.stdout)
    );
    let result = scan_json(&["--vex", vex.to_str().expect("utf-8"), lock]);
    assert_eq!(result["summary"]["findings"], 0);
    assert_eq!(result["summary"]["excluded_by_vex"], 1);
    assert_eq!(result["findings"][0]["vex"]["status"], "not_affected");
    assert_eq!(result["findings"][0]["overdue"], false);

    // `assay vuln vex` writes the decision back out as OpenVEX.
    let openvex: Value = serde_json::from_str(&ok(&assay(
        workspace(),
        &[
            "vuln",
            "vex",
            "--date",
            "2026-11-22",
            "--set",
            "CVE-2021-25900=not_affected:vulnerable_code_not_present",
            lock,
        ],
    )))
    .expect("openvex json");
    assert_eq!(openvex["statements"][0]["status"], "not_affected");
    assert_eq!(
        openvex["statements"][0]["justification"],
        "vulnerable_code_not_present"
    );
}

#[test]
fn kev_finding_is_recorded_with_the_contract_meta_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ws = dir.path().join("ws");
    ok(&assay(&ws, &["init"]));
    ok(&assay(
        &ws,
        &[
            "vuln",
            "db",
            "import",
            data("advisories/pypa/pyspark").to_str().expect("utf-8"),
            data("kev/known_exploited_vulnerabilities.json")
                .to_str()
                .expect("utf-8"),
        ],
    ));
    let req = dir.path().join("requirements.txt");
    std::fs::write(&req, "pyspark==3.1.2\n").expect("write");
    let out = ok(&assay(
        &ws,
        &[
            "--format",
            "json",
            "vuln",
            "scan",
            "--date",
            "2026-11-22",
            "--record",
            "--subject",
            "demo",
            req.to_str().expect("utf-8"),
        ],
    ));
    let result: Value = serde_json::from_str(&out).expect("json");
    let kev: Vec<&Value> = result["findings"]
        .as_array()
        .expect("a")
        .iter()
        .filter(|f| f["kev"] == true)
        .collect();
    assert_eq!(kev.len(), 1);
    assert_eq!(kev[0]["kev_entry"]["due_date"], "2023-03-28");

    let list: Value =
        serde_json::from_str(&ok(&assay(&ws, &["--format", "json", "evidence", "list"])))
            .expect("json");
    let rows = list.as_array().expect("rows");
    let scan = rows
        .iter()
        .find(|r| r["kind"] == "vuln-scan")
        .expect("vuln-scan evidence");
    let meta = &scan["meta"];
    assert_eq!(meta["components"], "1");
    assert_eq!(meta["findings"], result["summary"]["findings"].to_string());
    assert_eq!(meta["kev_open"], "1");
    assert_eq!(meta["kev_overdue"], "1");
    assert_eq!(meta["kev_earliest_due"], "2023-03-28");
    assert_eq!(meta["max_severity"], result["summary"]["max_severity"]);
    assert_eq!(meta["scan_date"], "2026-11-22");
    let digest = assay_core_digest(&std::fs::read(&req).expect("read"));
    assert_eq!(meta["sbom_digest"], digest.as_str());
    let sbom = rows
        .iter()
        .find(|r| r["kind"] == "sbom")
        .expect("sbom evidence");
    assert_eq!(sbom["meta"]["format"], "requirements");
    assert_eq!(sbom["meta"]["components"], "1");
}

fn assay_core_digest(bytes: &[u8]) -> String {
    use std::fmt::Write;
    // sha256 via the system tool would add a dependency on coreutils; hash with the same
    // library the ledger uses, through the CLI-independent `assay_core`.
    let digest = assay_core::Sha256Digest::of(bytes);
    let mut s = String::new();
    let _ = write!(s, "{}", digest.to_hex());
    s
}

#[test]
fn sarif_and_cyclonedx_vex_formats() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lock = dir.path().join("Cargo.lock");
    std::fs::write(&lock, CARGO_LOCK).expect("write");
    let sarif: Value = serde_json::from_str(&ok(&assay(
        workspace(),
        &[
            "--format",
            "sarif",
            "vuln",
            "scan",
            "--date",
            "2026-11-22",
            lock.to_str().expect("utf-8"),
        ],
    )))
    .expect("sarif");
    assert_eq!(sarif["version"], "2.1.0");
    assert!(
        sarif["runs"][0]["results"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
    );
    let cdx: Value = serde_json::from_str(&ok(&assay(
        workspace(),
        &[
            "--format",
            "cyclonedx-vex",
            "vuln",
            "scan",
            "--date",
            "2026-11-22",
            lock.to_str().expect("utf-8"),
        ],
    )))
    .expect("cdx");
    assert_eq!(cdx["bomFormat"], "CycloneDX");
    assert!(
        cdx["vulnerabilities"]
            .as_array()
            .is_some_and(|v| v.iter().any(|x| x["id"] == "CVE-2021-25900"))
    );
}

#[test]
fn bad_input_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bom.json");
    std::fs::write(
        &bad,
        r#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "components": 7}"#,
    )
    .expect("write");
    let out = assay(workspace(), &["vuln", "scan", bad.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bom.json"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let missing = assay(
        workspace(),
        &["vuln", "db", "import", "/nonexistent/advisories"],
    );
    assert_eq!(missing.status.code(), Some(2));
    let unknown = assay(
        workspace(),
        &[
            "vuln",
            "scan",
            "--fail-on",
            "severe",
            bad.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(unknown.status.code(), Some(2));
}

/// `vuln db import` in a fresh workspace; returns the output.
fn import_fresh(ws: &Path, args: &[&str]) -> Output {
    let mut all = vec!["vuln", "db", "import"];
    all.extend_from_slice(args);
    assay(ws, &all)
}

#[test]
fn import_refuses_hostile_sources_with_a_named_error_and_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ws = dir.path().join("ws");
    ok(&assay(&ws, &["init"]));

    // 200 KB of YAML nested 100,000 deep: refused before parsing, in well under a second.
    let deep = dir.path().join("deep.yaml");
    std::fs::write(
        &deep,
        format!(
            "id: X-1\naffected: {}{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
    )
    .expect("write");
    let started = std::time::Instant::now();
    let out = import_fresh(&ws, &[deep.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nested more than 128 levels deep") && stderr.contains("--max-depth"),
        "{stderr}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));

    // A file over --max-entry-bytes.
    let kev = data("kev/known_exploited_vulnerabilities.json");
    let out = import_fresh(
        &ws,
        &["--max-entry-bytes", "1000", kev.to_str().expect("utf-8")],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--max-entry-bytes"), "{stderr}");
}

#[test]
fn a_truncated_kev_catalog_is_refused_and_keeps_the_deadlines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ws = dir.path().join("ws");
    ok(&assay(&ws, &["init"]));
    let feed = dir.path().join("kev.json");
    std::fs::copy(data("kev/known_exploited_vulnerabilities.json"), &feed).expect("copy");
    let feed_arg = feed.to_str().expect("utf-8");
    let report: Value = serde_json::from_str(&ok(&assay(
        &ws,
        &["--format", "json", "vuln", "db", "import", feed_arg],
    )))
    .expect("json");
    assert_eq!(report["kev_entries_imported"], 1404);

    let bytes = std::fs::read(&feed).expect("read");
    std::fs::write(&feed, &bytes[..bytes.len() / 2]).expect("truncate");
    let out = import_fresh(&ws, &[feed_arg]);
    assert_eq!(out.status.code(), Some(2), "refused, not exit 0");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("held 1404 records, now 0") && stderr.contains("--allow-shrink"),
        "{stderr}"
    );
    let stats: Value = serde_json::from_str(&ok(&assay(
        &ws,
        &["--format", "json", "vuln", "db", "stats"],
    )))
    .expect("json");
    assert_eq!(stats["kev_entries"], 1404, "deadlines kept");

    ok(&import_fresh(&ws, &["--allow-shrink", feed_arg]));
    let stats: Value = serde_json::from_str(&ok(&assay(
        &ws,
        &["--format", "json", "vuln", "db", "stats"],
    )))
    .expect("json");
    assert_eq!(stats["kev_entries"], 0, "accepted deliberately");
}

/// Issue #11 point 13: Go's database states no severity. The KEV-listed Wazuh RCE
/// CVE-2025-24016 (GO-2025-3459) showed "none" and passed `--fail-on high`; now it is
/// "unknown" and the gate fails on it. The text output is a table with headers, the score
/// and rating in the first column and the KEV due date in its own column.
#[test]
fn go_kev_finding_of_unknown_severity_fails_the_high_gate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gomod = dir.path().join("go.mod");
    std::fs::write(
        &gomod,
        "module example.com/app\n\ngo 1.22\n\nrequire github.com/wazuh/wazuh v4.9.0+incompatible\n",
    )
    .expect("write");
    let gomod = gomod.to_str().expect("utf-8");
    let result = scan_json(&[gomod]);
    let finding = result["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["advisory_id"] == "CVE-2025-24016")
        .expect("CVE-2025-24016 finding");
    assert_eq!(finding["kev"], true);
    assert_eq!(finding["severity"]["level"], "unknown");
    assert_eq!(finding["severity"]["source"]["kind"], "unknown");
    assert_ne!(result["summary"]["max_severity"], "none");

    let gated = assay(
        workspace(),
        &[
            "vuln",
            "scan",
            "--date",
            "2026-11-22",
            "--fail-on",
            "high",
            gomod,
        ],
    );
    let stdout = String::from_utf8_lossy(&gated.stdout);
    assert_eq!(
        gated.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&gated.stderr)
    );
    let mut lines = stdout.lines();
    let header = lines.next().expect("header");
    for column in [
        "SEVERITY",
        "ID",
        "COMPONENT",
        "FIX",
        "KEV DUE",
        "DUE",
        "VEX",
    ] {
        assert!(header.contains(column), "{header}");
    }
    let row = stdout
        .lines()
        .find(|l| l.contains("CVE-2025-24016"))
        .expect("row");
    assert!(row.starts_with("unknown "), "{row}");
    assert!(row.contains("KEV 2025-07-01"), "{row}");
    assert!(!row.contains("none"), "{row}");

    // SARIF: no security-severity invented, the rating named, level error (known exploited).
    let sarif: Value = serde_json::from_str(&ok(&assay(
        workspace(),
        &[
            "--format",
            "sarif",
            "vuln",
            "scan",
            "--date",
            "2026-11-22",
            gomod,
        ],
    )))
    .expect("sarif");
    let rule = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["id"] == "CVE-2025-24016")
        .expect("rule");
    assert_eq!(rule["properties"]["severity"], "unknown");
    assert!(rule["properties"].get("security-severity").is_none());
    assert_eq!(rule["defaultConfiguration"]["level"], "error");
    // CycloneDX VEX: the rating says unknown.
    let cdx: Value = serde_json::from_str(&ok(&assay(
        workspace(),
        &[
            "--format",
            "cyclonedx-vex",
            "vuln",
            "scan",
            "--date",
            "2026-11-22",
            gomod,
        ],
    )))
    .expect("cyclonedx");
    let vuln = cdx["vulnerabilities"]
        .as_array()
        .expect("vulnerabilities")
        .iter()
        .find(|v| v["id"] == "CVE-2025-24016")
        .expect("vulnerability");
    assert_eq!(vuln["ratings"][0]["severity"], "unknown");
}

/// A Go finding without a severity takes the CVSS vector of another loaded advisory through a
/// shared alias (GO-2024-3078 / PYSEC-2024-72, CVE-2024-43406: 8.8 high), shown with its score.
#[test]
fn alias_severity_reaches_json_text_and_sarif() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gomod = dir.path().join("go.mod");
    std::fs::write(
        &gomod,
        "module example.com/app\n\ngo 1.22\n\nrequire github.com/lf-edge/ekuiper v1.14.1\n",
    )
    .expect("write");
    let gomod = gomod.to_str().expect("utf-8");
    let result = scan_json(&[gomod]);
    let finding = result["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| {
            f["sources"]
                .as_array()
                .is_some_and(|s| s.iter().any(|id| id == "GO-2024-3078"))
        })
        .expect("GO-2024-3078 finding");
    assert_eq!(finding["severity"]["level"], "high");
    assert_eq!(finding["severity"]["cvss_score"], 8.8);
    assert_eq!(finding["severity"]["source"]["kind"], "alias");
    assert_eq!(finding["severity"]["source"]["advisory"], "PYSEC-2024-72");
    let text = ok(&assay(
        workspace(),
        &["vuln", "scan", "--date", "2026-11-22", "-v", gomod],
    ));
    assert!(text.contains("8.8 high"), "{text}");
    assert!(text.contains("CVSS vector of PYSEC-2024-72"), "{text}");
    let sarif: Value = serde_json::from_str(&ok(&assay(
        workspace(),
        &[
            "--format",
            "sarif",
            "vuln",
            "scan",
            "--date",
            "2026-11-22",
            gomod,
        ],
    )))
    .expect("sarif");
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    assert!(
        rules
            .iter()
            .any(|r| r["properties"]["security-severity"] == "8.8"),
        "{rules:?}"
    );
}
