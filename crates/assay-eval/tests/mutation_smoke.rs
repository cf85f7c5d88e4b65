//! Mutation smoke test: the parsers of outside input this crate added for `assess` (the model
//! configuration of a case, the importer's reference-solutions file) get real seeds (the
//! shipped example and suite files) and deterministic byte mutations of them, and must never
//! panic. Bounded so it runs in the normal suite; `scripts/fuzz.sh` fuzzes the same parsers
//! for longer (`eval_model_config`, `eval_intercode_solutions`).

#[path = "../../../fuzz/mutate.rs"]
mod mutate;

use std::path::Path;
use std::time::Duration;

use mutate::{Seed, smoke};

const BUDGET: Duration = Duration::from_millis(2000);
const RUNS: u64 = 20_000;

fn seed(rel: &str) -> Seed {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel);
    Seed::file(&p, usize::MAX).unwrap_or_else(|| panic!("seed {rel}"))
}

#[test]
fn model_configurations_survive_mutations() {
    let seeds = [
        seed("examples/frontier-model-prerelease/eval/model.toml"),
        Seed::new(
            "minimal",
            "[model]\nmodel = \"replay:a.json\"\nsuites = [\"s.toml\"]\nlog = \"a.jsonl\"\n",
        ),
    ];
    smoke("model configuration", &seeds, RUNS, BUDGET, |b| {
        if let Ok(t) = std::str::from_utf8(b)
            && let Ok(c) = assay_eval::model_config::ModelConfig::parse(t, "model.toml")
        {
            assert!(!c.suites.is_empty() && c.log.ends_with(".jsonl"));
            assert!(!c.log.contains('/'));
        }
    });
}

#[test]
fn solutions_files_survive_mutations() {
    let seeds = [seed("suites/offensive/solutions.toml")];
    smoke("intercode solutions", &seeds, RUNS, BUDGET, |b| {
        if let Ok(t) = std::str::from_utf8(b) {
            let _ = assay_eval::intercode::parse_solutions(t, "solutions.toml");
        }
    });
}
