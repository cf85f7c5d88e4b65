//! Task suites as data: the TOML format documented in `docs/eval.md`.
//!
//! A suite file holds a `[suite]` header and one `[[task]]` table per task. Files placed in
//! the sandbox are named relative to the suite's asset root (`[suite] assets`, itself relative
//! to the suite file), and are read only from inside that root: no absolute paths, no `..`, no
//! symlink out. Every limit below is checked when the suite is loaded, so a run never starts
//! on a suite it would have to abandon half way.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use toml::Spanned;

use crate::error::{EvalError, Result, line_of, read_bounded};

/// Largest suite file read.
pub const MAX_SUITE_BYTES: u64 = 8 << 20;
/// Most tasks in one suite.
pub const MAX_TASKS: usize = 10_000;
/// Longest prompt, in bytes.
pub const MAX_PROMPT_BYTES: usize = 64 << 10;
/// Most files placed in one task's sandbox.
pub const MAX_FILES_PER_TASK: usize = 256;
/// Largest total size of one task's files.
pub const MAX_TASK_FILE_BYTES: u64 = 256 << 20;
/// Most commands in a reference solution.
pub const MAX_SOLUTION_COMMANDS: usize = 64;

/// A loaded, validated suite.
#[derive(Debug, Clone, Serialize)]
pub struct Suite {
    pub id: String,
    pub title: String,
    pub description: String,
    /// The file it was read from.
    pub path: PathBuf,
    /// Folder the tasks' `files` are taken from (canonical).
    pub assets: PathBuf,
    /// sha256 of the suite file, recorded in logs.
    pub digest: String,
    pub tasks: Vec<Task>,
}

/// One task.
#[derive(Debug, Clone, Serialize)]
pub struct Task {
    pub id: String,
    /// 1-based line of the task's `id` in the suite file (for messages).
    pub line: usize,
    pub prompt: String,
    pub target: String,
    pub category: Category,
    pub tag: String,
    pub difficulty: Difficulty,
    pub files: Vec<TaskFile>,
    pub sandbox: SandboxSpec,
    pub scorer: Scorer,
    /// Commands that solve the task (run by the solvability gate); empty when none.
    pub solution: Vec<String>,
}

/// A file copied into the sample's work folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskFile {
    /// Relative to the suite's asset root.
    pub src: String,
    /// Relative to the work folder; default: the base name of `src`.
    #[serde(default)]
    pub dest: Option<String>,
}

/// Offensive capability or defensive resilience.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Offensive,
    Defensive,
}

impl Category {
    pub fn name(self) -> &'static str {
        match self {
            Category::Offensive => "offensive",
            Category::Defensive => "defensive",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Difficulty {
    Easy,
    Medium,
    Hard,
    #[default]
    Unrated,
}

/// Sandbox settings of a task. Network is off unless the task declares it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SandboxSpec {
    /// Network access. `false` (the default): a private network namespace with only loopback.
    pub network: bool,
    /// CPU seconds per command (RLIMIT_CPU).
    pub cpu_seconds: u64,
    /// Memory per sample, MiB.
    pub memory_mb: u64,
    /// Processes and threads per sample.
    pub pids: u64,
    /// Wall-clock seconds per command.
    pub timeout_seconds: u64,
    /// Declared needs beyond the default sandbox (`"raw-sockets"`, `"network"`); a backend
    /// that cannot meet a need refuses the task instead of running it differently.
    pub needs: Vec<String>,
}

impl Default for SandboxSpec {
    fn default() -> Self {
        SandboxSpec {
            network: false,
            cpu_seconds: 60,
            memory_mb: 512,
            pids: 128,
            timeout_seconds: 60,
            needs: Vec::new(),
        }
    }
}

/// How a sample is scored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Scorer {
    /// The submitted answer against the target.
    Flag {
        #[serde(rename = "match", default)]
        mode: FlagMatch,
    },
    /// A command run in the sample's sandbox after the agent finishes; exit 0 passes.
    Command { command: String },
    /// A model-graded rubric: the run's grader (a provider, `--grader`) is given the rubric,
    /// the task and the transcript, and must answer `GRADE: PASS` or `GRADE: FAIL` (parsed
    /// strictly: anything else leaves the sample unscored, never passed). See
    /// [`crate::rubric`].
    Rubric { rubric: String },
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum FlagMatch {
    /// The trimmed answer equals the target.
    #[default]
    Exact,
    /// The answer contains the target.
    Includes,
}

impl Scorer {
    /// Scores a submitted answer for flag scorers; `None` for command scorers.
    pub fn score_answer(&self, answer: &str, target: &str) -> Option<bool> {
        match self {
            Scorer::Flag { mode } => Some(match mode {
                FlagMatch::Exact => answer.trim() == target.trim(),
                FlagMatch::Includes => !target.trim().is_empty() && answer.contains(target.trim()),
            }),
            Scorer::Command { .. } | Scorer::Rubric { .. } => None,
        }
    }
}

// ---- the file format ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuiteFile {
    suite: SuiteHeader,
    #[serde(default)]
    task: Vec<TaskToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuiteHeader {
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    /// Asset root, relative to the suite file's folder; default: that folder.
    #[serde(default)]
    assets: Option<String>,
    /// Defaults for every task's `[task.sandbox]`.
    #[serde(default)]
    sandbox: Option<SandboxSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskToml {
    id: Spanned<String>,
    prompt: String,
    #[serde(default)]
    target: String,
    category: Category,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    difficulty: Difficulty,
    #[serde(default)]
    files: Vec<TaskFile>,
    #[serde(default)]
    sandbox: Option<toml::Table>,
    scorer: Scorer,
    #[serde(default)]
    solution: Vec<String>,
}

/// Known sandbox needs. Anything else is a typo or a capability assay does not have.
pub const KNOWN_NEEDS: &[&str] = &["network", "raw-sockets"];

impl Suite {
    /// Reads and validates a suite file.
    pub fn load(path: &Path) -> Result<Suite> {
        let bytes = read_bounded(path, MAX_SUITE_BYTES)?;
        let text = String::from_utf8(bytes).map_err(|e| {
            EvalError::invalid(
                path.display(),
                0,
                "(file)",
                format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to()),
            )
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Suite::parse(&text, path, base)
    }

    /// Parses suite text; `path` names it in messages, `base` is the folder `assets` is
    /// relative to.
    pub fn parse(text: &str, path: &Path, base: &Path) -> Result<Suite> {
        let name = path.display().to_string();
        let file: SuiteFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
            let field = field_at(text, e.span().map(|s| s.start));
            EvalError::invalid(&name, line, field, e.message().trim().to_string())
        })?;
        if file.task.len() > MAX_TASKS {
            return Err(EvalError::invalid(
                &name,
                0,
                "task",
                format!(
                    "{} tasks, more than the limit of {MAX_TASKS}",
                    file.task.len()
                ),
            ));
        }
        let assets_rel = file.suite.assets.clone().unwrap_or_else(|| ".".into());
        let assets_path = base.join(&assets_rel);
        let assets = assets_path.canonicalize().map_err(|e| {
            EvalError::invalid(
                &name,
                1,
                "suite.assets",
                format!(
                    "asset folder {} cannot be opened ({e}); fix the path (relative to the suite file)",
                    assay_core::text::quote_short(&assets_path.display().to_string())
                ),
            )
        })?;
        let defaults = file.suite.sandbox.clone().unwrap_or_default();
        let mut seen = BTreeSet::new();
        let mut tasks = Vec::with_capacity(file.task.len());
        for t in file.task {
            let line = line_of(text, t.id.span().start);
            let id = t.id.into_inner();
            let bad = |field: &str, msg: String| {
                EvalError::invalid(&name, line, format!("task `{id}`.{field}"), msg)
            };
            if id.is_empty()
                || id.len() > 100
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            {
                return Err(EvalError::invalid(
                    &name,
                    line,
                    "task.id",
                    format!(
                        "{} is not a task id: use 1-100 ASCII letters, digits, '-', '_' or '.'",
                        assay_core::text::quote_short(&id)
                    ),
                ));
            }
            if !seen.insert(id.clone()) {
                return Err(bad(
                    "id",
                    "appears twice in the suite; ids must be unique".into(),
                ));
            }
            if t.prompt.trim().is_empty() || t.prompt.len() > MAX_PROMPT_BYTES {
                return Err(bad(
                    "prompt",
                    format!("must be 1 to {MAX_PROMPT_BYTES} bytes"),
                ));
            }
            if matches!(t.scorer, Scorer::Flag { .. }) && t.target.trim().is_empty() {
                return Err(bad(
                    "target",
                    "a flag scorer needs a non-empty target".into(),
                ));
            }
            if let Scorer::Command { command } = &t.scorer
                && command.trim().is_empty()
            {
                return Err(bad("scorer.command", "is empty".into()));
            }
            if let Scorer::Rubric { rubric } = &t.scorer
                && (rubric.trim().is_empty() || rubric.len() > crate::rubric::MAX_RUBRIC_BYTES)
            {
                return Err(bad(
                    "scorer.rubric",
                    format!(
                        "must be 1 to {} bytes of text",
                        crate::rubric::MAX_RUBRIC_BYTES
                    ),
                ));
            }
            if t.files.len() > MAX_FILES_PER_TASK {
                return Err(bad(
                    "files",
                    format!("more than {MAX_FILES_PER_TASK} files"),
                ));
            }
            if t.solution.len() > MAX_SOLUTION_COMMANDS {
                return Err(bad(
                    "solution",
                    format!("more than {MAX_SOLUTION_COMMANDS} commands"),
                ));
            }
            let sandbox = match t.sandbox {
                None => defaults.clone(),
                Some(table) => {
                    let mut merged = toml::Value::try_from(&defaults)
                        .map_err(|e| bad("sandbox", e.to_string()))?;
                    if let Some(m) = merged.as_table_mut() {
                        for (k, v) in table {
                            m.insert(k, v);
                        }
                    }
                    merged
                        .try_into::<SandboxSpec>()
                        .map_err(|e| bad("sandbox", e.message().trim().to_string()))?
                }
            };
            check_sandbox(&sandbox).map_err(|m| bad("sandbox", m))?;
            let mut total = 0u64;
            for (i, f) in t.files.iter().enumerate() {
                let src = resolve_asset(&assets, &f.src)
                    .map_err(|m| bad(&format!("files[{i}].src"), m))?;
                let dest = f.dest.clone().unwrap_or_else(|| base_name(&f.src));
                check_relative(&dest).map_err(|m| bad(&format!("files[{i}].dest"), m))?;
                total += tree_size(&src).map_err(|m| bad(&format!("files[{i}].src"), m))?;
            }
            if total > MAX_TASK_FILE_BYTES {
                return Err(bad(
                    "files",
                    format!("{total} bytes in all, more than the limit of {MAX_TASK_FILE_BYTES}"),
                ));
            }
            tasks.push(Task {
                id,
                line,
                prompt: t.prompt,
                target: t.target,
                category: t.category,
                tag: t.tag,
                difficulty: t.difficulty,
                files: t.files,
                sandbox,
                scorer: t.scorer,
                solution: t.solution,
            });
        }
        Ok(Suite {
            id: file.suite.id,
            title: file.suite.title,
            description: file.suite.description,
            path: path.to_path_buf(),
            assets,
            digest: hex::encode(Sha256::digest(text.as_bytes())),
            tasks,
        })
    }

    /// The task with this id.
    pub fn task(&self, id: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.id == id)
    }
}

fn check_sandbox(s: &SandboxSpec) -> std::result::Result<(), String> {
    if !(1..=3600).contains(&s.timeout_seconds) {
        return Err("timeout_seconds must be 1..=3600".into());
    }
    if !(1..=3600).contains(&s.cpu_seconds) {
        return Err("cpu_seconds must be 1..=3600".into());
    }
    if !(16..=65536).contains(&s.memory_mb) {
        return Err("memory_mb must be 16..=65536".into());
    }
    if !(4..=4096).contains(&s.pids) {
        return Err("pids must be 4..=4096".into());
    }
    for need in &s.needs {
        if !KNOWN_NEEDS.contains(&need.as_str()) {
            return Err(format!(
                "unknown need {}; known: {}",
                assay_core::text::quote_short(need),
                KNOWN_NEEDS.join(", ")
            ));
        }
    }
    Ok(())
}

fn base_name(p: &str) -> String {
    p.rsplit('/').next().unwrap_or(p).to_string()
}

/// A relative path with no `..`, no empty or absolute parts.
pub(crate) fn check_relative(p: &str) -> std::result::Result<(), String> {
    let ok = !p.is_empty()
        && p.len() <= 1024
        && !p.starts_with('/')
        && !p.contains('\0')
        && p.split('/').all(|c| !c.is_empty() && c != "." && c != "..");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{} must be a relative path inside its folder (no '..', no leading '/')",
            assay_core::text::quote_short(p)
        ))
    }
}

/// `rel` under `root`, refusing anything that leaves the root (also through symlinks).
pub(crate) fn resolve_asset(root: &Path, rel: &str) -> std::result::Result<PathBuf, String> {
    check_relative(rel)?;
    let joined = root.join(rel);
    let real = joined
        .canonicalize()
        .map_err(|e| format!("{}: {e}", assay_core::text::quote_short(rel)))?;
    if !real.starts_with(root) {
        return Err(format!(
            "{} leads outside the asset folder (symlink?); assay reads task files only from inside it",
            assay_core::text::quote_short(rel)
        ));
    }
    Ok(real)
}

/// Size of a file or folder tree; refuses symlinks inside folders that lead out.
fn tree_size(p: &Path) -> std::result::Result<u64, String> {
    let meta = std::fs::symlink_metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
    if meta.is_file() {
        return Ok(meta.len());
    }
    if meta.is_dir() {
        let mut total = 0;
        for entry in std::fs::read_dir(p).map_err(|e| format!("{}: {e}", p.display()))? {
            let entry = entry.map_err(|e| format!("{}: {e}", p.display()))?;
            let ft = entry.file_type().map_err(|e| e.to_string())?;
            if ft.is_symlink() {
                return Err(format!(
                    "{} is a symlink; task files must be plain files and folders",
                    entry.path().display()
                ));
            }
            total += tree_size(&entry.path())?;
        }
        return Ok(total);
    }
    Err(format!("{} is neither a file nor a folder", p.display()))
}

/// The dotted key nearest before `at`, for messages about a value toml rejected.
fn field_at(text: &str, at: Option<usize>) -> String {
    let Some(at) = at else {
        return "(suite)".into();
    };
    let at = at.min(text.len());
    let upto = &text[..at];
    let line_start = upto.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line = &text[line_start
        ..text[line_start..]
            .find('\n')
            .map(|i| line_start + i)
            .unwrap_or(text.len())];
    let key = line.split('=').next().unwrap_or("").trim();
    let table = upto
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').to_string())
        .unwrap_or_default();
    match (table.is_empty(), key.is_empty() || key.starts_with('[')) {
        (true, true) => "(suite)".into(),
        (true, false) => key.into(),
        (false, true) => table,
        (false, false) => format!("{table}.{key}"),
    }
}
