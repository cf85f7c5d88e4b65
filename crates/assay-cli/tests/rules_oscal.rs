//! The OSCAL that `assay rules export-oscal` writes, validated against compliance-trestle's
//! OSCAL 1.1 models (strict: unknown fields and bad tokens are errors). The venv comes from
//! scripts/install-test-deps.sh; without it this test fails and says so.

use std::path::Path;
use std::process::Command;

const PYTHON: &str = "/opt/assay-oscal-venv/bin/python";

const VALIDATE: &str = r#"
import json, sys
from trestle.oscal.catalog import Catalog
from trestle.oscal.assessment_results import AssessmentResults
from trestle.oscal.poam import PlanOfActionAndMilestones
models = {"catalog": Catalog, "assessment-results": AssessmentResults,
          "plan-of-action-and-milestones": PlanOfActionAndMilestones}
bad = 0
for path in sys.argv[1:]:
    (key, body), = json.load(open(path)).items()
    try:
        models[key].parse_obj(body)
        print("ok", key, path)
    except Exception as e:
        bad += 1
        print("INVALID", path, e)
sys.exit(1 if bad else 0)
"#;

#[test]
fn exported_oscal_validates_against_trestle_models() {
    assert!(
        Path::new(PYTHON).exists(),
        "{PYTHON} is missing: run scripts/install-test-deps.sh (installs compliance-trestle)"
    );
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assay-rules/tests/fixtures");
    let dir = tempfile::tempdir().unwrap();
    for (manifest, evidence) in [
        ("face-terminal.toml", "face-terminal.json"),
        ("frontier-model.toml", "frontier-model.json"),
        ("respirator-intelligent.toml", "respirator.json"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_assay"))
            .args([
                "--workspace",
                "/nonexistent-assay-ws",
                "rules",
                "export-oscal",
                "--out",
            ])
            .arg(dir.path())
            .arg("--manifest")
            .arg(fixtures.join("manifests").join(manifest))
            .arg("--evidence")
            .arg(fixtures.join("evidence").join(evidence))
            .args(["--date", "2026-11-22"])
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    // 4 catalogs + 3 x (assessment-results, poam).
    assert_eq!(files.len(), 10, "{files:?}");
    let out = Command::new(PYTHON)
        .arg("-c")
        .arg(VALIDATE)
        .args(&files)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        report.lines().filter(|l| l.starts_with("ok ")).count(),
        10,
        "{report}"
    );
}
