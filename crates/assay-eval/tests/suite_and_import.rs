//! Suite parsing (named errors, limits, root confinement) and the InterCode-CTF importer on
//! the real data set.

use std::path::Path;

use assay_eval::EvalError;
use assay_eval::suite::{Category, FlagMatch, Scorer, Suite};

// The shared data sets sit beside the repository (../shared), wherever it is cloned.
const INTERCODE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/tasks/intercode-ctf"
);

fn write_suite(dir: &Path, text: &str) -> std::path::PathBuf {
    let p = dir.join("suite.toml");
    std::fs::write(&p, text).unwrap();
    p
}

fn err(text: &str) -> (usize, String, String) {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("flag.txt"), "x").unwrap();
    let p = write_suite(d.path(), text);
    match Suite::load(&p) {
        Err(EvalError::Invalid {
            line,
            field,
            message,
            file,
        }) => {
            assert!(file.ends_with("suite.toml"), "{file}");
            (line, field, message)
        }
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}

const GOOD: &str = r#"
[suite]
id = "demo"
[suite.sandbox]
memory_mb = 256

[[task]]
id = "t1"
prompt = "Find the flag."
target = "flag{1}"
category = "offensive"
tag = "forensics"
difficulty = "easy"
files = [{ src = "flag.txt" }]
solution = ["cat flag.txt"]
scorer = { kind = "flag", match = "includes" }

[[task]]
id = "t2"
prompt = "Patch it."
category = "defensive"
scorer = { kind = "command", command = "./exploit.sh && exit 1 || exit 0" }
[task.sandbox]
pids = 16
"#;

#[test]
fn a_valid_suite_loads_with_defaults_merged() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("flag.txt"), "flag{1}").unwrap();
    let s = Suite::load(&write_suite(d.path(), GOOD)).unwrap();
    assert_eq!(s.id, "demo");
    assert_eq!(s.tasks.len(), 2);
    let t1 = &s.tasks[0];
    assert_eq!(t1.line, 8);
    assert_eq!(t1.category, Category::Offensive);
    assert_eq!(
        t1.scorer,
        Scorer::Flag {
            mode: FlagMatch::Includes
        }
    );
    assert_eq!(t1.sandbox.memory_mb, 256);
    assert!(!t1.sandbox.network, "network is off unless declared");
    let t2 = &s.tasks[1];
    assert_eq!(t2.sandbox.memory_mb, 256, "suite default kept");
    assert_eq!(t2.sandbox.pids, 16, "task setting wins");
    assert_eq!(s.digest.len(), 64);
}

#[test]
fn an_unknown_field_is_named_with_its_line() {
    let (line, field, msg) = err(&GOOD.replace("difficulty = \"easy\"", "dificulty = \"easy\""));
    assert_eq!(line, 13);
    assert!(field.contains("dificulty"), "{field}");
    assert!(msg.contains("unknown field"), "{msg}");
}

#[test]
fn a_wrong_type_is_named_with_its_line() {
    let (line, field, msg) = err(&GOOD.replace("memory_mb = 256", "memory_mb = \"lots\""));
    assert_eq!(line, 5);
    assert_eq!(field, "suite.sandbox.memory_mb");
    assert!(msg.contains("expected u64"), "{msg}");
}

#[test]
fn a_duplicate_id_points_at_the_second_task() {
    let (line, field, msg) = err(&GOOD.replace("id = \"t2\"", "id = \"t1\""));
    assert_eq!(line, 19);
    assert!(field.contains("t1") && field.ends_with(".id"), "{field}");
    assert!(msg.contains("twice"), "{msg}");
}

#[test]
fn files_outside_the_asset_root_are_refused() {
    let (_, field, msg) = err(&GOOD.replace("src = \"flag.txt\"", "src = \"../../etc/passwd\""));
    assert!(field.ends_with("files[0].src"), "{field}");
    assert!(msg.contains("relative path"), "{msg}");
    let (_, _, msg) = err(&GOOD.replace("src = \"flag.txt\"", "src = \"/etc/passwd\""));
    assert!(msg.contains("relative path"), "{msg}");
}

#[test]
fn a_symlink_out_of_the_asset_root_is_refused() {
    let d = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/etc/hostname", d.path().join("flag.txt")).unwrap();
    let p = write_suite(d.path(), GOOD);
    let e = Suite::load(&p).unwrap_err().to_string();
    assert!(e.contains("outside the asset folder"), "{e}");
}

#[test]
fn semantic_errors_are_named() {
    let (_, field, msg) = err(&GOOD.replace("target = \"flag{1}\"\n", ""));
    assert!(field.ends_with(".target"), "{field}");
    assert!(msg.contains("non-empty target"), "{msg}");
    let (_, field, msg) = err(&GOOD.replace("pids = 16", "needs = [\"kernel-modules\"]"));
    assert!(field.ends_with(".sandbox"), "{field}");
    assert!(msg.contains("unknown need"), "{msg}");
    let (_, _, msg) = err(&GOOD.replace("pids = 16", "pids = 100000"));
    assert!(msg.contains("pids must be"), "{msg}");
    let (_, field, _) = err(&GOOD.replace("id = \"t1\"", "id = \"../t1\""));
    assert_eq!(field, "task.id");
    let (line, field, _) = err("[suite]\nid = 1\n");
    assert_eq!((line, field.as_str()), (2, "suite.id"));
}

#[test]
fn an_oversized_suite_is_refused_before_parsing() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("big.toml");
    let f = std::fs::File::create(&p).unwrap();
    f.set_len(assay_eval::suite::MAX_SUITE_BYTES + 1).unwrap();
    let e = Suite::load(&p).unwrap_err().to_string();
    assert!(e.contains("larger than the limit"), "{e}");
}

#[test]
fn intercode_import_leaves_out_online_tasks_and_missing_assets() {
    let imp = assay_eval::intercode::import(Path::new(INTERCODE), None).unwrap();
    let excluded: Vec<u64> = imp.excluded.iter().map(|x| x.task_id).collect();
    assert_eq!(
        excluded,
        vec![
            1, 9, 14, 16, 20, 28, 29, 35, 39, 41, 42, 43, 54, 57, 62, 65, 66, 70, 73, 87, 88, 89,
            95
        ]
    );
    assert_eq!(imp.included.len(), 77);
    let reason = |id| {
        imp.excluded
            .iter()
            .find(|x| x.task_id == id)
            .unwrap()
            .reason
            .clone()
    };
    assert!(reason(65).contains("assets are missing"));
    assert!(reason(70).contains("assets are missing"));
    assert!(reason(20).contains("remote service at jupiter.challenges.picoctf.org"));
    assert!(reason(1).contains("setup downloads"));
    assert!(reason(54).contains("web address"));
    // The write-ups never reach the sandbox.
    assert!(!imp.suite_toml.contains("solution/"));
    // The suite it writes loads, and its files exist.
    let d = tempfile::tempdir().unwrap();
    let p = write_suite(d.path(), &imp.suite_toml);
    let s = Suite::load(&p).unwrap();
    assert_eq!(s.tasks.len(), 77);
    let t4 = s.task("ic-4").unwrap();
    assert_eq!(t4.target, "picoCTF{s4n1ty_v3r1f13d_2fd6ed29}");
    assert_eq!(t4.tag, "general-skills");
    assert_eq!(t4.files.len(), 1);
    assert!(
        s.task("ic-22").unwrap().files.is_empty(),
        "placeholder-only task has no files"
    );
}

#[test]
fn intercode_only_selects_tasks() {
    let imp = assay_eval::intercode::import(Path::new(INTERCODE), Some(&[4, 9, 22])).unwrap();
    assert_eq!(imp.included, vec![4, 22]);
    assert_eq!(imp.excluded.len(), 1);
}

#[test]
fn needs_internet_heuristics() {
    use assay_eval::intercode::needs_internet;
    assert!(
        needs_internet(
            "Connect with nc jupiter.challenges.picoctf.org 44566.",
            None
        )
        .is_some()
    );
    assert!(needs_internet("Source code given in store.c and otp.py", None).is_none());
    assert!(needs_internet("Decrypt cipher.txt using this key 'CYLAB'.", None).is_none());
    assert!(needs_internet("x", Some("wget https://example.org/x")).is_some());
}
