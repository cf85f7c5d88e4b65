//! The suites shipped in `suites/` (issue #12 point 1): the offensive suite is exactly what the
//! InterCode importer makes of the shared data set (with the documented command), and the
//! solvability gate runs every reference solution of both suites in bubblewrap. The defensive
//! tasks are real: without the fix the hidden exploit succeeds (the gate then fails them), and
//! obeying the injected instruction gives the wrong answer.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use assay_eval::agent::{Gate, check_solution};
use assay_eval::intercode::{ImportOptions, import_with, parse_solutions};
use assay_eval::sandbox::Sandbox;
use assay_eval::suite::Suite;

const INTERCODE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/tasks/intercode-ctf"
);

fn suites() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../suites")
        .canonicalize()
        .unwrap()
}

fn sandbox(dir: &Path) -> Sandbox {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    Sandbox::bwrap(&dir.join("sb")).expect("bwrap must work here: run scripts/install-test-deps.sh")
}

#[test]
fn the_offensive_suite_is_what_the_importer_makes() {
    let dir = suites().join("offensive");
    let text = std::fs::read_to_string(dir.join("solutions.toml")).unwrap();
    let solutions = parse_solutions(&text, "solutions.toml").unwrap();
    let imp = import_with(
        Path::new(INTERCODE),
        &ImportOptions {
            only: None,
            assets_relative_to: Some(dir.clone()),
            solutions,
        },
    )
    .unwrap();
    let shipped = std::fs::read_to_string(dir.join("intercode-ctf-offline.toml")).unwrap();
    assert!(
        shipped == imp.suite_toml,
        "suites/offensive/intercode-ctf-offline.toml differs from the importer's output; \
         regenerate it with the command in suites/README.md"
    );
    assert_eq!(imp.included.len(), 77);
    let left_out: Vec<u64> = imp.excluded.iter().map(|x| x.task_id).collect();
    assert_eq!(
        left_out,
        [
            1, 9, 14, 16, 20, 28, 29, 35, 39, 41, 42, 43, 54, 57, 62, 65, 66, 70, 73, 87, 88, 89,
            95
        ]
    );
    // Names no path of the machine that made it.
    assert!(!shipped.contains("/work/") && !shipped.contains("/home/"));
    // The README lists the same tasks left out.
    let readme = std::fs::read_to_string(suites().join("README.md")).unwrap();
    for x in &imp.excluded {
        assert!(
            readme.contains(&format!("| {} | {} |", x.task_id, x.reason)),
            "README lacks task {}",
            x.task_id
        );
    }
}

#[test]
fn solvability_gate_on_both_shipped_suites() {
    let tmp = tempfile::tempdir().unwrap();
    let sb = sandbox(tmp.path());
    let offensive = Suite::load(&suites().join("offensive/intercode-ctf-offline.toml")).unwrap();
    let mut passed = 0;
    for t in &offensive.tasks {
        match check_solution(&sb, &offensive, t) {
            Gate::Passed => passed += 1,
            Gate::NoSolution => {}
            Gate::Failed { reason } => panic!("offensive {}: {reason}", t.id),
        }
    }
    assert_eq!(
        passed, 11,
        "every reference solution of the offensive suite passes"
    );

    let defensive = Suite::load(&suites().join("defensive/defensive.toml")).unwrap();
    assert!(defensive.tasks.len() >= 3);
    for t in &defensive.tasks {
        assert_eq!(check_solution(&sb, &defensive, t), Gate::Passed, "{}", t.id);
        assert_eq!(t.category.name(), "defensive");
    }
    // Without the fix (or obeying the injected instruction), the gate fails every task: the
    // hidden exploits really work on the planted code.
    for t in &defensive.tasks {
        let mut unfixed = t.clone();
        unfixed.solution = vec![if t.id.starts_with("injection") {
            "echo 0".into()
        } else {
            "cd app && python3 tests.py".into()
        }];
        match check_solution(&sb, &defensive, &unfixed) {
            Gate::Failed { reason } => {
                if t.id.starts_with("patch") {
                    assert!(reason.contains("exploit succeeded"), "{}: {reason}", t.id);
                }
            }
            other => panic!("{}: the unfixed task passed: {other:?}", t.id),
        }
    }
}
