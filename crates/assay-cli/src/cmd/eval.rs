//! `assay eval ...`: frontier-model cyber evaluations (assay-eval). Import task suites, check
//! that their reference solutions pass in the sandbox, run a model on a suite in the
//! bubblewrap sandbox, and summarise the log.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use assay_eval::agent::{self, AgentLimits, Gate};
use assay_eval::provider::{Anthropic, HttpConfig, OpenAi, Provider, Replay};
use assay_eval::run::{RunOptions, resume, resume_options, run};
use assay_eval::sandbox::Sandbox;
use assay_eval::stats::{Bootstrap, Reducer};
use assay_eval::suite::Suite;
use clap::{Args, Subcommand, ValueEnum};

use crate::context::{Ctx, Format, Outcome};
use crate::output::print_json;
use crate::progress::Bar;

#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Import a task data set as a suite (TOML). Tasks that need the internet are left out
    /// and listed with the reason.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Run every task's reference solution in the sandbox (the solvability gate).
    /// Exit 1 when one fails.
    CheckSuite(CheckSuiteArgs),
    /// Run a model on a suite, appending each finished sample to a JSON-lines log.
    Run(Box<RunArgs>),
    /// Continue a log's run: run only the samples that are missing or ended in an error.
    Resume(ResumeArgs),
    /// Summarise a log: accuracy per suite and category with 95% intervals (Wilson and a
    /// bootstrap clustered by task), under a reducer; `--against` compares with another log.
    View(ViewArgs),
    /// Convert a log to another harness's format: `--format inspect` writes an Inspect
    /// `.eval` log that inspect-ai reads (`inspect view`, `read_eval_log`).
    Export(ExportArgs),
    /// The developer's feedback: accuracy per suite and category with intervals, capabilities
    /// found with transcript excerpts, gaps, suggested mitigations, and the qualification
    /// verdict when --rules names a qualification rules file. `--format text|json|html`.
    Report(ReportArgs),
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The log (JSON lines).
    pub log: PathBuf,
    /// Qualification rules (TOML; docs/eval.md).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    #[command(flatten)]
    pub record: RecordArgs,
}

/// `--record`: store the log (`eval-run`) and, for `report`, the report (`eval-report`) as
/// signed evidence in the workspace's ledger, with the meta facts rule packs judge.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Record signed evidence: the log as `eval-run` (and, for `eval report`, the report as
    /// `eval-report`), with the model, digests, suites, categories and scores as meta facts.
    #[arg(long)]
    pub record: bool,
    /// What the evidence is about (default: the log's model, e.g. openai:gpt-4.1); use the
    /// subject manifest's `id` so `assess` and `rules check` find it.
    #[arg(long, value_name = "ID", requires = "record")]
    pub subject: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// InterCode-CTF: a folder holding ic_ctf.json and task_assets/.
    Intercode(ImportArgs),
    /// Inspect Cyber: every eval.yaml (or eval.yml) at or below a folder. Challenges that need
    /// more than one container, a network, a setup script or a Kubernetes sandbox are left out
    /// and listed with the reason; approximations are listed too.
    InspectCyber(ImportCyberArgs),
}

#[derive(Debug, Args)]
pub struct ImportCyberArgs {
    /// The folder holding the challenge folders.
    pub dir: PathBuf,
    /// Where to write the suite (TOML).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The InterCode-CTF folder.
    pub dir: PathBuf,
    /// Where to write the suite (TOML).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Import only these task ids (comma-separated), e.g. 4,5,22.
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub only: Vec<u64>,
    /// Reference solutions to add (TOML: `[solutions]` then `4 = ["cat flag"]`, task id to
    /// bash commands); the solvability gate runs them.
    #[arg(long, value_name = "FILE")]
    pub solutions: Option<PathBuf>,
    /// Write the suite's `assets` relative to the suite file's folder (for a suite shipped
    /// beside the data), not as an absolute path.
    #[arg(long)]
    pub relative_assets: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SandboxKind {
    /// bubblewrap: namespaces, read-only system, private work folder, no network.
    Bwrap,
    /// Commands run on this machine as you, with no isolation. Needs --unsafe-local-sandbox.
    Local,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Sandbox backend.
    #[arg(long, value_enum, default_value_t = SandboxKind::Bwrap)]
    pub sandbox: SandboxKind,
    /// Allow --sandbox local: the model's commands run unisolated on this machine.
    #[arg(long)]
    pub unsafe_local_sandbox: bool,
    /// Folder for per-sample work folders (default: the system temp folder's assay-eval).
    #[arg(long, value_name = "DIR")]
    pub sandbox_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckSuiteArgs {
    pub suite: PathBuf,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The suite (TOML).
    pub suite: PathBuf,
    /// The model: replay:FILE (scripted turns), openai:MODEL or anthropic:MODEL
    /// (`openai/MODEL` and `anthropic/MODEL` work too).
    #[arg(long, value_name = "PROVIDER:MODEL")]
    pub model: String,
    /// The log to append to (JSON lines).
    #[arg(long, value_name = "FILE")]
    pub log: PathBuf,
    /// Samples per task.
    #[arg(long, default_value_t = 1)]
    pub epochs: u32,
    /// Samples run at once.
    #[arg(long, default_value_t = 4)]
    pub max_connections: usize,
    /// Run only these tasks (repeatable).
    #[arg(long = "task", value_name = "ID")]
    pub tasks: Vec<String>,
    /// Run the solvability gate first and leave out (loudly) tasks whose reference solution fails.
    #[arg(long)]
    pub gate: bool,
    /// Most model turns per sample.
    #[arg(long, default_value_t = 30)]
    pub max_turns: u32,
    /// Most tokens (input + output) per sample.
    #[arg(long, default_value_t = 1_000_000)]
    pub max_tokens: u64,
    /// Most wall-clock seconds per sample.
    #[arg(long, default_value_t = 1800)]
    pub max_seconds: u64,
    /// The provider's endpoint (default: https://api.openai.com/v1 for openai,
    /// https://api.anthropic.com for anthropic).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Environment variable holding the API key, never logged (default: OPENAI_API_KEY or
    /// ANTHROPIC_API_KEY).
    #[arg(long, value_name = "VAR")]
    pub api_key_env: Option<String>,
    #[arg(long)]
    pub temperature: Option<f64>,
    #[arg(long)]
    pub seed: Option<u64>,
    /// Seconds before one model call times out.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    /// Retries of a model call after 429/5xx.
    #[arg(long, default_value_t = 5)]
    pub retries: u32,
    /// sha256 (64 hex digits) of the model's weights, recorded in the run record and in
    /// evidence (`model_digest`), so rule packs tie the run to the manifest's model digest.
    #[arg(long, value_name = "SHA256", value_parser = parse_digest)]
    pub model_digest: Option<String>,
    /// The grader of rubric scorers: replay:FILE, openai:MODEL or anthropic:MODEL, started
    /// with the same --base-url, key variable, timeout and retries as --model. Without it a
    /// rubric task is unscored.
    #[arg(long, value_name = "PROVIDER:MODEL")]
    pub grader: Option<String>,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
    #[command(flatten)]
    pub record: RecordArgs,
}

fn parse_digest(s: &str) -> Result<String, String> {
    let hex = s.strip_prefix("sha256:").unwrap_or(s);
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(hex.to_ascii_lowercase())
    } else {
        Err(format!(
            "{} is not a sha256 digest: write 64 hex digits (optionally after `sha256:`)",
            assay_core::quote(s, 80)
        ))
    }
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The log of the run to continue (appended to).
    pub log: PathBuf,
    /// Samples run at once (default: the run record's).
    #[arg(long)]
    pub max_connections: Option<usize>,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReducerArg {
    /// Correct epochs over epochs.
    Mean,
    /// At least one of k attempts succeeds (unbiased estimator).
    #[value(name = "pass@k")]
    PassAtK,
    /// All k of k attempts succeed.
    #[value(name = "pass^k")]
    PassHatK,
}

#[derive(Debug, Args)]
pub struct ViewArgs {
    pub log: PathBuf,
    /// How the epochs of a task reduce to its score.
    #[arg(long, value_enum, default_value_t = ReducerArg::Mean)]
    pub reducer: ReducerArg,
    /// k of pass@k and pass^k (at most the epochs of every task).
    #[arg(long)]
    pub k: Option<u32>,
    /// Bootstrap resamples (tasks resampled with replacement).
    #[arg(long, default_value_t = 2000)]
    pub resamples: u32,
    /// Bootstrap seed (the same seed gives the same intervals).
    #[arg(long, default_value_t = 0x5EED)]
    pub seed: u64,
    /// A reference model's log: a paired comparison on the tasks both logs hold.
    #[arg(long, value_name = "REF_LOG")]
    pub against: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The assay log (JSON lines) to convert; read twice, line by line.
    pub log: PathBuf,
    /// Where to write the export (e.g. run.eval).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace FILE when it exists.
    #[arg(long)]
    pub overwrite: bool,
}

/// Notes (retries, exclusions) are shown even without a terminal: a waiting run must never
/// look stuck, and an excluded task must never go unnoticed.
struct Notes<'a> {
    bar: Bar,
    ctx: &'a Ctx,
}

impl assay_core::Reporter for Notes<'_> {
    fn start(&self, what: &str, total: Option<u64>) {
        assay_core::Reporter::start(&self.bar, what, total)
    }
    fn advance(&self, n: u64) {
        assay_core::Reporter::advance(&self.bar, n)
    }
    fn finish(&self) {
        assay_core::Reporter::finish(&self.bar)
    }
    fn note(&self, message: &str) {
        if self.ctx.progress {
            assay_core::Reporter::note(&self.bar, message)
        } else if !self.ctx.quiet {
            eprintln!("{}", assay_core::quote(message, 400));
        }
    }
}

pub fn run_cmd(ctx: &Ctx, command: EvalCommand) -> anyhow::Result<Outcome> {
    match command {
        EvalCommand::Import(ImportCommand::Intercode(a)) => import(ctx, a),
        EvalCommand::Import(ImportCommand::InspectCyber(a)) => import_cyber(ctx, a),
        EvalCommand::CheckSuite(a) => check_suite(ctx, a),
        EvalCommand::Run(a) => run_eval(ctx, *a),
        EvalCommand::Resume(a) => resume_eval(ctx, a),
        EvalCommand::View(a) => view(ctx, a),
        EvalCommand::Export(a) => export(ctx, a),
        EvalCommand::Report(a) => report(ctx, a),
    }
}

fn import(ctx: &Ctx, a: ImportArgs) -> anyhow::Result<Outcome> {
    ctx.require_format("eval import", &[Format::Text, Format::Json])?;
    let solutions = match &a.solutions {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            anyhow::ensure!(
                text.len() as u64 <= assay_eval::intercode::MAX_SOLUTIONS_BYTES,
                "{}: larger than 1 MiB",
                p.display()
            );
            assay_eval::intercode::parse_solutions(&text, &p.display().to_string())?
        }
        None => Default::default(),
    };
    let out_dir = match a.out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let imp = assay_eval::intercode::import_with(
        &a.dir,
        &assay_eval::intercode::ImportOptions {
            only: (!a.only.is_empty()).then(|| a.only.clone()),
            assets_relative_to: a.relative_assets.then_some(out_dir),
            solutions,
        },
    )?;
    let tmp = a.out.with_extension("toml.tmp");
    std::fs::write(&tmp, &imp.suite_toml).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &a.out).with_context(|| format!("writing {}", a.out.display()))?;
    if ctx.format == Format::Json {
        print_json(
            &serde_json::json!({"suite": a.out, "included": imp.included, "excluded": imp.excluded}),
        )?;
    } else if !ctx.quiet {
        println!(
            "{} tasks written to {}",
            imp.included.len(),
            a.out.display()
        );
        println!("{} left out of the offline suite:", imp.excluded.len());
        for x in &imp.excluded {
            println!("  task {}: {}", x.task_id, x.reason);
        }
    }
    Ok(Outcome::Ok)
}

fn import_cyber(ctx: &Ctx, a: ImportCyberArgs) -> anyhow::Result<Outcome> {
    ctx.require_format("eval import", &[Format::Text, Format::Json])?;
    let imp = assay_eval::inspect_cyber::import(&a.dir)?;
    let tmp = a.out.with_extension("toml.tmp");
    std::fs::write(&tmp, &imp.suite_toml).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &a.out).with_context(|| format!("writing {}", a.out.display()))?;
    if ctx.format == Format::Json {
        print_json(&serde_json::json!({
            "suite": a.out,
            "challenges": imp.challenges,
            "included": imp.included,
            "excluded": imp.excluded,
            "approximated": imp.approximated,
        }))?;
    } else {
        // The left-out tasks go to stderr too, so they are seen even with -q.
        if !ctx.quiet {
            println!(
                "{} tasks from {} challenges written to {}",
                imp.included.len(),
                imp.challenges,
                a.out.display()
            );
        }
        if !imp.excluded.is_empty() {
            eprintln!(
                "LEFT OUT {} tasks assay cannot run as written:",
                imp.excluded.len()
            );
            for x in &imp.excluded {
                eprintln!("  {}: {}", x.task, assay_core::quote(&x.reason, 400));
            }
        }
        if !imp.approximated.is_empty() && !ctx.quiet {
            // One line per approximation, naming the tasks it applies to.
            let mut by_note: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
            for x in &imp.approximated {
                by_note.entry(&x.note).or_default().push(&x.task);
            }
            println!("imported with approximations:");
            for (note, tasks) in by_note {
                let shown: Vec<&str> = tasks.iter().take(6).copied().collect();
                println!(
                    "  {} ({} tasks: {}{})",
                    assay_core::quote(note, 400),
                    tasks.len(),
                    shown.join(", "),
                    if tasks.len() > shown.len() {
                        ", ..."
                    } else {
                        ""
                    }
                );
            }
        }
    }
    Ok(Outcome::Ok)
}

fn make_sandbox(s: &SandboxArgs) -> anyhow::Result<Sandbox> {
    let root = s
        .sandbox_dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("assay-eval"));
    if !root.exists() {
        std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755))?;
    }
    match s.sandbox {
        SandboxKind::Bwrap => Ok(Sandbox::bwrap(&root)?),
        SandboxKind::Local if s.unsafe_local_sandbox => Ok(Sandbox::local_unsafe(&root)?),
        SandboxKind::Local => anyhow::bail!(
            "--sandbox local runs the model's commands on this machine with no isolation; \
             add --unsafe-local-sandbox if that is really what you want"
        ),
    }
}

fn check_suite(ctx: &Ctx, a: CheckSuiteArgs) -> anyhow::Result<Outcome> {
    ctx.require_format("eval check-suite", &[Format::Text, Format::Json])?;
    let suite = Suite::load(&a.suite)?;
    let sandbox = make_sandbox(&a.sandbox)?;
    let mut rows = Vec::new();
    let mut failed = 0;
    for t in &suite.tasks {
        let g = agent::check_solution(&sandbox, &suite, t);
        if matches!(g, Gate::Failed { .. }) {
            failed += 1;
        }
        rows.push((t.id.clone(), g));
    }
    if ctx.format == Format::Json {
        let v: Vec<_> = rows
            .iter()
            .map(|(id, g)| serde_json::json!({"task_id": id, "gate": g}))
            .collect();
        print_json(&v)?;
    } else {
        let passed = rows.iter().filter(|(_, g)| *g == Gate::Passed).count();
        let none = rows.iter().filter(|(_, g)| *g == Gate::NoSolution).count();
        for (id, g) in &rows {
            if let Gate::Failed { reason } = g {
                eprintln!("EXCLUDED {id}: reference solution fails in the sandbox: {reason}");
            }
        }
        println!(
            "{}: {passed} passed, {failed} failed (excluded from reports), {none} without a reference solution (unverified)",
            suite.id
        );
    }
    Ok(if failed > 0 {
        Outcome::Failed
    } else {
        Outcome::Ok
    })
}

/// How to start a model; recorded in the run record (`invocation`) so `resume` can start the
/// same model again. Holds the key's variable name, never the key.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct ModelSpec {
    model: String,
    base_url: Option<String>,
    api_key_env: Option<String>,
    temperature: Option<f64>,
    seed: Option<u64>,
    timeout: u64,
    retries: u32,
    /// The rubric grader (`--grader`), started with the same settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    grader: Option<String>,
}

fn split_model(model: &str) -> Option<(&str, &str)> {
    if let Some((kind, rest)) = model.split_once(':') {
        return Some((kind, rest));
    }
    // openai/MODEL and anthropic/MODEL
    model
        .split_once('/')
        .filter(|(kind, _)| matches!(*kind, "openai" | "anthropic"))
}

fn provider(spec: &ModelSpec) -> anyhow::Result<Box<dyn Provider>> {
    let (kind, rest) = split_model(&spec.model).with_context(|| {
        format!(
            "--model {}: write replay:FILE, openai:MODEL or anthropic:MODEL",
            spec.model
        )
    })?;
    let http = |default_url: &str, default_env: &str| -> anyhow::Result<HttpConfig> {
        let mut cfg = HttpConfig::from_env(
            spec.base_url.as_deref().unwrap_or(default_url),
            rest,
            spec.api_key_env.as_deref().unwrap_or(default_env),
        )?;
        cfg.temperature = spec.temperature;
        cfg.seed = spec.seed;
        cfg.timeout = Duration::from_secs(spec.timeout);
        cfg.retries = spec.retries;
        Ok(cfg)
    };
    match kind {
        "replay" => Ok(Box::new(Replay::load(Path::new(rest))?)),
        "openai" => Ok(Box::new(OpenAi::new(http(
            "https://api.openai.com/v1",
            "OPENAI_API_KEY",
        )?))),
        "anthropic" => Ok(Box::new(Anthropic::new(http(
            "https://api.anthropic.com",
            "ANTHROPIC_API_KEY",
        )?))),
        other => anyhow::bail!(
            "--model: unknown provider {other:?}; use replay:FILE, openai:MODEL or anthropic:MODEL"
        ),
    }
}

fn model_spec(a: &RunArgs) -> ModelSpec {
    // A replay file is recorded relative to the log's folder when it lies inside it, else
    // by its absolute path, so `resume` finds it from anywhere (`resolve_beside`).
    let recorded = |model: &str| match model.split_once(':') {
        Some(("replay", file)) if Path::new(file).exists() => format!(
            "replay:{}",
            assay_eval::run::recorded_path(Path::new(file), &a.log)
        ),
        _ => model.to_string(),
    };
    let model = recorded(&a.model);
    ModelSpec {
        model,
        base_url: a.base_url.clone(),
        api_key_env: a.api_key_env.clone(),
        temperature: a.temperature,
        seed: a.seed,
        timeout: a.timeout,
        retries: a.retries,
        grader: a.grader.as_deref().map(recorded),
    }
}

/// A recorded `replay:FILE` with a relative file resolved beside the log.
fn replay_beside(log: &Path, model: &str) -> String {
    match model.strip_prefix("replay:") {
        Some(file) => format!(
            "replay:{}",
            assay_eval::run::resolve_beside(log, Path::new(file)).display()
        ),
        None => model.to_string(),
    }
}

/// The rubric grader a spec names, started like its model.
fn grader(spec: &ModelSpec) -> anyhow::Result<Option<assay_eval::run::Grader>> {
    let Some(model) = &spec.grader else {
        return Ok(None);
    };
    let g = ModelSpec {
        model: model.clone(),
        grader: None,
        ..spec.clone()
    };
    Ok(Some(assay_eval::run::Grader(std::sync::Arc::from(
        provider(&g).context("--grader")?,
    ))))
}

fn note_sandbox(notes: &Notes, sandbox: &Sandbox) {
    let swept = sandbox.swept();
    if !swept.folders.is_empty() || !swept.cgroups.is_empty() {
        assay_core::Reporter::note(
            notes,
            &format!(
                "swept {} sample folders and {} cgroups left by an earlier run",
                swept.folders.len(),
                swept.cgroups.len()
            ),
        );
    }
    if !sandbox.limits().pids {
        assay_core::Reporter::note(
            notes,
            "warning: no pids cgroup here; the process limit is not enforced (memory via ulimit -v)",
        );
    }
}

fn resume_eval(ctx: &Ctx, a: ResumeArgs) -> anyhow::Result<Outcome> {
    ctx.require_format("eval resume", &[Format::Text, Format::Json])?;
    let state = assay_eval::run::read_state(&a.log)?;
    let spec: ModelSpec =
        serde_json::from_value(state.run.invocation.clone()).with_context(|| {
            format!(
                "{}: the run record does not say how to start its model again (a log from an older \
             assay); start a new run instead",
                a.log.display()
            )
        })?;
    let suite = Suite::load(&assay_eval::run::resolve_beside(
        &a.log,
        &state.run.suite_path,
    ))?;
    let mut spec = spec;
    spec.model = replay_beside(&a.log, &spec.model);
    spec.grader = spec.grader.map(|g| replay_beside(&a.log, &g));
    let provider = provider(&spec)?;
    let sandbox = make_sandbox(&a.sandbox)?;
    let notes = Notes {
        bar: Bar::new(ctx),
        ctx,
    };
    note_sandbox(&notes, &sandbox);
    let mut opts = resume_options(&state.run);
    opts.grader = grader(&spec)?;
    if let Some(n) = a.max_connections {
        opts.max_connections = n.max(1);
    }
    let r = resume(
        &state,
        &suite,
        provider.as_ref(),
        &sandbox,
        &a.log,
        &opts,
        &notes,
    )?;
    if ctx.format == Format::Json {
        print_json(&r)?;
    } else if !ctx.quiet {
        if r.truncated_bytes > 0 {
            println!(
                "cut a torn last line ({} bytes) off the log before appending",
                r.truncated_bytes
            );
        }
        println!(
            "resumed run {}: {} missing and {} errored samples run again; {} samples, {} correct, {} errored; log: {}",
            r.resumed_run,
            r.missing,
            r.rerun_errored,
            r.run.samples,
            r.run.correct,
            r.run.errors,
            a.log.display()
        );
    }
    Ok(Outcome::Ok)
}

fn run_eval(ctx: &Ctx, a: RunArgs) -> anyhow::Result<Outcome> {
    ctx.require_format("eval run", &[Format::Text, Format::Json])?;
    let suite = Suite::load(&a.suite)?;
    let spec = model_spec(&a);
    // The spec records replay files relative to the log's folder; they are loaded from there.
    let started = ModelSpec {
        model: replay_beside(&a.log, &spec.model),
        grader: spec.grader.as_deref().map(|g| replay_beside(&a.log, g)),
        ..spec.clone()
    };
    let provider = provider(&started)?;
    let sandbox = make_sandbox(&a.sandbox)?;
    let notes = Notes {
        bar: Bar::new(ctx),
        ctx,
    };
    note_sandbox(&notes, &sandbox);
    let opts = RunOptions {
        epochs: a.epochs.max(1),
        max_connections: a.max_connections.max(1),
        limits: AgentLimits {
            max_turns: a.max_turns,
            max_tokens: a.max_tokens,
            max_wall: Duration::from_secs(a.max_seconds),
            ..AgentLimits::default()
        },
        gate: a.gate,
        tasks: a.tasks.clone(),
        invocation: serde_json::to_value(&spec)?,
        model_digest: a.model_digest.clone(),
        grader: grader(&started)?,
    };
    let summary = run(&suite, provider.as_ref(), &sandbox, &a.log, &opts, &notes)?;
    if a.record.record {
        record_eval(ctx, &a.log, None, false, a.record.subject.as_deref())?;
    }
    if ctx.format == Format::Json {
        print_json(&summary)?;
    } else if !ctx.quiet {
        println!(
            "{} samples, {} correct, {} errored; log: {}",
            summary.samples,
            summary.correct,
            summary.errors,
            a.log.display()
        );
        for (id, reason) in &summary.excluded {
            println!("EXCLUDED {id}: {reason}");
        }
    }
    Ok(Outcome::Ok)
}

fn view(ctx: &Ctx, a: ViewArgs) -> anyhow::Result<Outcome> {
    ctx.require_format("eval view", &[Format::Text, Format::Json])?;
    let name = match a.reducer {
        ReducerArg::Mean => "mean",
        ReducerArg::PassAtK => "pass@k",
        ReducerArg::PassHatK => "pass^k",
    };
    if a.reducer == ReducerArg::Mean && a.k.is_some() {
        anyhow::bail!("--k is for --reducer pass@k or pass^k; mean takes no k");
    }
    let reducer = Reducer::parse(name, a.k).map_err(|m| anyhow::anyhow!("--reducer {m}"))?;
    let opts = assay_eval::view::ViewOptions {
        reducer,
        bootstrap: Bootstrap {
            resamples: a.resamples,
            seed: a.seed,
            ..Bootstrap::default()
        },
    };
    let s = assay_eval::view::summarize_with(&a.log, &opts)?;
    let cmp = match &a.against {
        Some(r) => {
            let reference = assay_eval::view::summarize_with(r, &opts)?;
            Some(assay_eval::view::compare(&s, &reference, &opts))
        }
        None => None,
    };
    if ctx.format == Format::Json {
        match &cmp {
            // Without --against the summary alone, as before.
            None => print_json(&s)?,
            Some(c) => print_json(&serde_json::json!({"summary": s, "comparison": c}))?,
        }
    } else {
        print!("{}", assay_eval::view::render_text(&s));
        if let Some(c) = &cmp {
            print!("{}", assay_eval::view::render_comparison(c));
        }
    }
    Ok(Outcome::Ok)
}

fn export(ctx: &Ctx, a: ExportArgs) -> anyhow::Result<Outcome> {
    ctx.require_format("eval export", &[Format::Inspect])?;
    let s = assay_eval::inspect::export_inspect(&a.log, &a.out, a.overwrite)?;
    for n in &s.notes {
        eprintln!("note: {}", assay_core::quote(n, 400));
    }
    if !ctx.quiet {
        println!(
            "{} samples ({} correct, {} errored) of task {} by {} written to {} (Inspect .eval log){}",
            s.samples,
            s.correct,
            s.errors,
            s.task,
            s.model,
            a.out.display(),
            if s.superseded > 0 {
                format!("; {} superseded records left out (resume)", s.superseded)
            } else {
                String::new()
            }
        );
    }
    Ok(Outcome::Ok)
}

fn report(ctx: &Ctx, a: ReportArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format("eval report", &[Format::Text, Format::Json, Format::Html])?;
    let rules = a
        .rules
        .as_deref()
        .map(assay_eval::report::Rules::load)
        .transpose()?;
    let r = if a.record.record {
        record_eval(
            ctx,
            &a.log,
            rules.as_ref(),
            true,
            a.record.subject.as_deref(),
        )?
    } else {
        assay_eval::report::report(&a.log, rules.as_ref())?
    };
    match format {
        Format::Json => print_json(&r)?,
        Format::Html => print!("{}", assay_eval::report::render_html(&r)),
        _ => print!("{}", assay_eval::report::render_text(&r)),
    }
    Ok(Outcome::Ok)
}

/// Largest log recorded as evidence (it is held in memory while it is signed).
const MAX_RECORDED_LOG: u64 = 512 << 20;

/// Records the log as `eval-run` evidence and, with `with_report` (`eval report --record`),
/// the report as `eval-report` evidence bound to the log's digest: one signed batch, through
/// `assay_assess::record` (the function `assess` and `pad report --record` use). The report is
/// computed after the log's bytes are read and the file is checked unchanged afterwards, so
/// the figures are those of the bytes signed; it is returned for printing. Without
/// `with_report` (`eval run --record`) the log's meta facts come from a report computed
/// without qualification rules.
fn record_eval(
    ctx: &Ctx,
    log: &Path,
    rules: Option<&assay_eval::report::Rules>,
    with_report: bool,
    subject: Option<&str>,
) -> anyhow::Result<assay_eval::report::Report> {
    use std::io::Read as _;
    let file =
        std::fs::File::open(log).with_context(|| format!("cannot read {}", log.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_RECORDED_LOG + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", log.display()))?;
    if bytes.len() as u64 > MAX_RECORDED_LOG {
        anyhow::bail!(
            "{}: larger than {} MiB, the most `--record` signs; split the runs into smaller logs",
            log.display(),
            MAX_RECORDED_LOG >> 20
        );
    }
    let digest = assay_core::Sha256Digest::of(&bytes).to_hex();
    let report = assay_eval::report::report(log, rules)?;
    if file_sha256(log)? != digest {
        anyhow::bail!(
            "{} changed while its report was computed (a run still appending?); nothing was recorded",
            log.display()
        );
    }
    let name = log
        .file_name()
        .map(|n| assay_core::safe_file_name(&n.to_string_lossy()))
        .unwrap_or_else(|| "run.jsonl".into());
    let log_name = log.display().to_string();
    let subject = assay_eval::evidence::default_subject(&report, subject, &log_name)?;
    let mut items = vec![assay_eval::evidence::run_evidence(
        &subject, &name, bytes, &report,
    )?];
    if with_report {
        items.push(assay_eval::evidence::report_evidence(
            &subject, &name, &digest, &report,
        )?);
    }
    refuse_secrets(log, &items)?;
    let recorded = crate::record::record(ctx, &items)?;
    if !ctx.quiet {
        for (r, item) in recorded.iter().zip(&items) {
            let how = if r.new {
                "recorded"
            } else {
                "already recorded"
            };
            eprintln!(
                "{how} {} #{} sha256:{} (subject {})",
                item.kind,
                r.index,
                r.blob_digest.to_hex(),
                assay_core::text::quote_short(&subject)
            );
        }
    }
    Ok(report)
}

/// sha256 (hex) of a file, streamed.
fn file_sha256(path: &Path) -> anyhow::Result<String> {
    use sha2::Digest as _;
    use std::io::Read as _;
    let mut f =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// API keys never reach evidence: the log holds only the name of a key's environment
/// variable, but a key pasted into a prompt, a base URL or a tool's output would be signed for
/// good. Refuses to record when the value of any key variable the log's runs name (or the
/// providers' defaults) appears in what would be signed.
fn refuse_secrets(log: &Path, items: &[assay_core::EvidenceInput]) -> anyhow::Result<()> {
    if let Some((var, kind)) = assay_eval::evidence::secret_in(items) {
        anyhow::bail!(
            "{}: the {kind} to record holds the value of ${var} (an API key); nothing was \
             recorded. Remove the key from the log (or run with another key) first",
            log.display(),
        );
    }
    Ok(())
}
