//! Lockfiles: Cargo.lock, package-lock.json (v1-v3), requirements.txt, poetry.lock, go.mod,
//! go.sum. Each names exact resolved versions in one ecosystem, so the component's ecosystem
//! is known and a purl is derived (`pkg:cargo/…`, `pkg:npm/…`, `pkg:pypi/…`, `pkg:golang/…`).
//!
//! A package listed several times (npm's nested `node_modules`, go.sum's two lines per module)
//! is one component: the first occurrence is kept and gives the location.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use serde_json::Value;

use super::purl::{Purl, normalize_pypi_name};
use super::{ReadContext, SbomError, pointer_segment};
use crate::component::{Component, Ecosystem};

/// The crates.io index under its two protocols.
const CRATES_IO_SOURCES: [&str; 2] = [
    "registry+https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
];

/// Collects components of one ecosystem, dropping repeats of the same name and version.
struct Collector {
    ecosystem: Ecosystem,
    seen: HashSet<(String, String)>,
}

impl Collector {
    fn new(ecosystem: Ecosystem) -> Self {
        Collector {
            ecosystem,
            seen: HashSet::new(),
        }
    }

    fn push(&mut self, ctx: &mut ReadContext<'_>, name: &str, version: &str, location: String) {
        if !self.seen.insert((name.to_string(), version.to_string())) {
            return;
        }
        let purl = Purl::for_package(&self.ecosystem, name, version).to_string();
        ctx.components.push(Component {
            name: name.to_string(),
            version: version.to_string(),
            ecosystem: self.ecosystem.clone(),
            purl: Some(purl),
            source: location,
        });
    }
}

fn toml_error(ctx: &ReadContext<'_>, text: &str, error: &toml::de::Error) -> SbomError {
    let line = error
        .span()
        .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1)
        .unwrap_or(1);
    SbomError::Toml {
        path: ctx.path.to_path_buf(),
        line,
        message: error.message().to_string(),
    }
}

/// Where each `[[package]]` table starts (1-based lines), so that a TOML lockfile's components
/// point at a line like every other line-oriented format. `None` when the headers cannot be
/// paired with the parsed packages (e.g. inline-table syntax), and the caller falls back to
/// `#package[i]`.
fn package_lines(text: &str, packages: usize) -> Option<Vec<usize>> {
    let lines: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| line.trim() == "[[package]]")
        .map(|(i, _)| i + 1)
        .collect();
    (lines.len() == packages).then_some(lines)
}

fn package_location(ctx: &ReadContext<'_>, lines: &Option<Vec<usize>>, i: usize) -> String {
    match lines.as_ref().and_then(|l| l.get(i)) {
        Some(line) => ctx.at(format_args!(":{line}")),
        None => ctx.at(format_args!("#package[{i}]")),
    }
}

#[derive(Deserialize)]
struct TomlLock {
    #[serde(default)]
    package: Vec<TomlPackage>,
}

#[derive(Deserialize)]
struct TomlPackage {
    name: String,
    version: String,
    source: Option<TomlSource>,
}

/// Cargo writes `source` as a string, Poetry as a table.
#[derive(Deserialize)]
#[serde(untagged)]
enum TomlSource {
    Cargo(String),
    Poetry {
        #[serde(rename = "type")]
        kind: String,
        url: Option<String>,
    },
}

pub(crate) fn read_cargo_lock(text: &str, ctx: &mut ReadContext<'_>) -> Result<(), SbomError> {
    let lock: TomlLock = toml::from_str(text).map_err(|e| toml_error(ctx, text, &e))?;
    let lines = package_lines(text, lock.package.len());
    let mut collector = Collector::new(Ecosystem::CratesIo);
    for (i, package) in lock.package.iter().enumerate() {
        let location = package_location(ctx, &lines, i);
        match &package.source {
            Some(TomlSource::Cargo(source)) if CRATES_IO_SOURCES.contains(&source.as_str()) => {
                collector.push(ctx, &package.name, &package.version, location);
            }
            None => ctx.warn(
                location,
                format!(
                    "`{} {}` is a workspace or path crate, not a crates.io package: skipped",
                    package.name, package.version
                ),
            ),
            Some(TomlSource::Cargo(source)) => ctx.warn(
                location,
                format!(
                    "`{} {}` comes from `{source}`, not crates.io; crates.io advisories do not apply to it: skipped",
                    package.name, package.version
                ),
            ),
            Some(TomlSource::Poetry { .. }) => {
                return Err(ctx.field_error(
                    format!("package[{i}].source"),
                    "a Cargo.lock `source` is a string; is this a poetry.lock under another name?",
                ));
            }
        }
    }
    Ok(())
}

pub(crate) fn read_poetry_lock(text: &str, ctx: &mut ReadContext<'_>) -> Result<(), SbomError> {
    let lock: TomlLock = toml::from_str(text).map_err(|e| toml_error(ctx, text, &e))?;
    let lines = package_lines(text, lock.package.len());
    let mut collector = Collector::new(Ecosystem::PyPI);
    for (i, package) in lock.package.iter().enumerate() {
        let location = package_location(ctx, &lines, i);
        if let Some(TomlSource::Poetry { kind, url }) = &package.source
            && matches!(kind.as_str(), "directory" | "file")
        {
            ctx.warn(
                location,
                format!(
                    "`{}` is installed from the local {kind} `{}`, not from an index: skipped",
                    package.name,
                    url.as_deref().unwrap_or("?")
                ),
            );
            continue;
        }
        collector.push(
            ctx,
            &normalize_pypi_name(&package.name),
            &package.version,
            location,
        );
    }
    Ok(())
}

pub(crate) fn read_package_lock(doc: &Value, ctx: &mut ReadContext<'_>) -> Result<(), SbomError> {
    let Some(root) = doc.as_object() else {
        return Err(ctx.field_error("", "package-lock.json must be a JSON object"));
    };
    let lockfile_version = root
        .get("lockfileVersion")
        .and_then(Value::as_u64)
        .unwrap_or(1);
    let mut collector = Collector::new(Ecosystem::Npm);
    // v2 carries both maps (the same packages); v3 only `packages`. Prefer `packages`.
    if let Some(packages) = root.get("packages") {
        let Some(packages) = packages.as_object() else {
            return Err(ctx.field_error(
                "/packages",
                "`packages` must be an object keyed by install path",
            ));
        };
        for (install_path, entry) in packages {
            let here = format!("/packages/{}", pointer_segment(install_path));
            if install_path.is_empty() {
                continue; // the project itself
            }
            let Some(entry) = entry.as_object() else {
                return Err(ctx.field_error(here, "a package entry must be a JSON object"));
            };
            let location = ctx.at(format_args!("#{here}"));
            if entry.get("link").and_then(Value::as_bool) == Some(true) {
                continue; // a symlink to a workspace package, listed again under its own path
            }
            let Some(last) = install_path.rsplit_once("node_modules/").map(|(_, n)| n) else {
                // A workspace member (`packages/foo`): part of the project, not a dependency.
                ctx.warn(
                    location,
                    format!("`{install_path}` is a workspace package of the project: skipped"),
                );
                continue;
            };
            let name = entry.get("name").and_then(Value::as_str).unwrap_or(last);
            let Some(version) = entry.get("version").and_then(Value::as_str) else {
                ctx.warn(location, format!("`{name}` has no version: skipped"));
                continue;
            };
            if version.contains(':') {
                ctx.warn(
                    location,
                    format!(
                        "`{name}` is installed from `{version}`, not the npm registry: skipped"
                    ),
                );
                continue;
            }
            collector.push(ctx, name, version, location);
        }
        return Ok(());
    }
    if lockfile_version >= 3 {
        return Err(ctx.field_error("/packages", "a lockfileVersion 3 file must have `packages`"));
    }
    match root.get("dependencies") {
        None | Some(Value::Null) => Ok(()),
        Some(deps) => read_v1_dependencies(deps, "/dependencies", ctx, &mut collector),
    }
}

fn read_v1_dependencies(
    deps: &Value,
    pointer: &str,
    ctx: &mut ReadContext<'_>,
    collector: &mut Collector,
) -> Result<(), SbomError> {
    let Some(deps) = deps.as_object() else {
        return Err(ctx.field_error(
            pointer,
            "`dependencies` must be an object keyed by package name",
        ));
    };
    for (key, entry) in deps {
        let here = format!("{pointer}/{}", pointer_segment(key));
        let Some(entry) = entry.as_object() else {
            return Err(ctx.field_error(here, "a dependency entry must be a JSON object"));
        };
        let location = ctx.at(format_args!("#{here}"));
        match entry.get("version").and_then(Value::as_str) {
            None => ctx.warn(location, format!("`{key}` has no version: skipped")),
            // An alias `"foo": {"version": "npm:bar@1.2.3"}` installs bar.
            Some(v) if v.starts_with("npm:") => match v[4..].rsplit_once('@') {
                Some((real, version)) if !real.is_empty() => {
                    collector.push(ctx, real, version, location)
                }
                _ => ctx.warn(
                    location,
                    format!("`{key}` has an unreadable alias `{v}`: skipped"),
                ),
            },
            Some(v) if v.contains(':') => ctx.warn(
                location,
                format!("`{key}` is installed from `{v}`, not the npm registry: skipped"),
            ),
            Some(v) => collector.push(ctx, key, v, location),
        }
        if let Some(nested) = entry.get("dependencies") {
            read_v1_dependencies(nested, &format!("{here}/dependencies"), ctx, collector)?;
        }
    }
    Ok(())
}

/// requirements.txt: only exact pins (`==`, `===`) name a version; every other requirement is
/// reported as a warning because the installed version cannot be known from the file.
pub(crate) fn read_requirements(text: &str, ctx: &mut ReadContext<'_>) -> Result<(), SbomError> {
    let mut collector = Collector::new(Ecosystem::PyPI);
    let mut logical = String::new();
    let mut start_line = 0;
    for (index, raw) in text.lines().enumerate() {
        if logical.is_empty() {
            start_line = index + 1;
        }
        // A backslash at the end joins the next line (pip's line continuation).
        if let Some(stripped) = raw.strip_suffix('\\') {
            logical.push_str(stripped);
            logical.push(' ');
            continue;
        }
        logical.push_str(raw);
        let line = std::mem::take(&mut logical);
        requirement_line(&line, start_line, ctx, &mut collector);
    }
    if !logical.is_empty() {
        requirement_line(&logical.clone(), start_line, ctx, &mut collector);
    }
    Ok(())
}

fn requirement_line(
    line: &str,
    line_no: usize,
    ctx: &mut ReadContext<'_>,
    collector: &mut Collector,
) {
    // A comment starts at `#` at the line start or after whitespace.
    let without_comment = match line.find(" #").or_else(|| line.find("\t#")) {
        Some(i) => &line[..i],
        None if line.trim_start().starts_with('#') => "",
        None => line,
    };
    let requirement = without_comment.trim();
    if requirement.is_empty() {
        return;
    }
    let location = ctx.at(format_args!(":{line_no}"));
    if requirement.starts_with('-') {
        let option = requirement.split_whitespace().next().unwrap_or(requirement);
        if matches!(
            option,
            "-r" | "--requirement" | "-c" | "--constraint" | "-e" | "--editable"
        ) {
            ctx.warn(
                location,
                format!(
                    "`{}` is not followed: read that file or package separately",
                    truncate(requirement)
                ),
            );
        }
        return; // index options and the like name no package
    }
    // Per-requirement options (`--hash=…`) and environment markers follow the specifier.
    let requirement = requirement.split(" --").next().unwrap_or(requirement);
    let requirement = requirement.split(';').next().unwrap_or(requirement).trim();
    if requirement.contains("://") || requirement.contains(" @ ") {
        ctx.warn(
            location,
            format!(
                "`{}` is installed from a URL, not a pinned index release: skipped",
                truncate(requirement)
            ),
        );
        return;
    }
    let name_end = requirement
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(requirement.len());
    let name = &requirement[..name_end];
    if name.is_empty() {
        ctx.warn(
            location,
            format!("`{}` is not a requirement: skipped", truncate(requirement)),
        );
        return;
    }
    let mut rest = requirement[name_end..].trim_start();
    if rest.starts_with('[') {
        rest = rest
            .split_once(']')
            .map(|(_, r)| r.trim_start())
            .unwrap_or("");
    }
    let pinned = rest
        .strip_prefix("===")
        .or_else(|| rest.strip_prefix("=="))
        .map(str::trim)
        .filter(|v| !v.is_empty() && !v.contains([',', '*', '<', '>', '!', '~', ' ']));
    match pinned {
        Some(version) => collector.push(ctx, &normalize_pypi_name(name), version, location),
        None => ctx.warn(
            location,
            format!(
                "`{}` is not pinned with `==`: the installed version is unknown, so it is not scanned; pin it or scan a lockfile",
                truncate(requirement)
            ),
        ),
    }
}

fn truncate(text: &str) -> String {
    let mut out: String = text.chars().take(80).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// A module path and, when the directive names one, a version.
type ModuleAt = (String, Option<String>);
/// A replacement target (path, version; no version = a local directory) and its line.
type Replacement = (String, Option<String>, usize);

/// go.mod: the `require` directives, with `replace` directives applied.
pub(crate) fn read_go_mod(text: &str, ctx: &mut ReadContext<'_>) -> Result<(), SbomError> {
    let mut requires: Vec<(String, String, usize)> = Vec::new();
    let mut replaces: HashMap<ModuleAt, Replacement> = HashMap::new();
    let mut block: Option<(String, usize)> = None;
    let mut saw_module = false;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.split("//").next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (verb, args) = match &block {
            Some((verb, _)) if line == ")" => {
                let _ = verb;
                block = None;
                continue;
            }
            Some((verb, _)) => (verb.clone(), line.to_string()),
            None => {
                let (verb, args) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
                let args = args.trim();
                if args == "(" {
                    block = Some((verb.to_string(), line_no));
                    continue;
                }
                (verb.to_string(), args.to_string())
            }
        };
        let tokens: Vec<String> = args
            .split_whitespace()
            .map(|t| t.trim_matches('"').to_string())
            .collect();
        match verb.as_str() {
            "module" => saw_module = true,
            "require" => match tokens.as_slice() {
                [path, version, ..] => requires.push((path.clone(), version.clone(), line_no)),
                _ => {
                    return Err(
                        ctx.line_error(line_no, "a require needs a module path and a version")
                    );
                }
            },
            "replace" => {
                let arrow = tokens.iter().position(|t| t == "=>");
                let parsed = arrow.and_then(|a| {
                    let (old, new) = tokens.split_at(a);
                    let new = &new[1..];
                    match (old, new) {
                        ([op], [np]) => Some(((op.clone(), None), (np.clone(), None))),
                        ([op], [np, nv]) => {
                            Some(((op.clone(), None), (np.clone(), Some(nv.clone()))))
                        }
                        ([op, ov], [np]) => {
                            Some(((op.clone(), Some(ov.clone())), (np.clone(), None)))
                        }
                        ([op, ov], [np, nv]) => Some((
                            (op.clone(), Some(ov.clone())),
                            (np.clone(), Some(nv.clone())),
                        )),
                        _ => None,
                    }
                });
                let Some((old, (new_path, new_version))) = parsed else {
                    return Err(ctx.line_error(
                        line_no,
                        "a replace must read `old [version] => new [version]`",
                    ));
                };
                replaces.insert(old, (new_path, new_version, line_no));
            }
            "go" | "toolchain" | "exclude" | "retract" | "godebug" | "tool" | "ignore" => {}
            other => {
                return Err(ctx.line_error(
                    line_no,
                    format!("unknown go.mod directive `{other}`; is this a go.mod file?"),
                ));
            }
        }
    }
    if let Some((verb, line)) = block {
        return Err(ctx.line_error(
            line,
            format!("`{verb} (` is never closed by `)`; the file is truncated"),
        ));
    }
    if !saw_module {
        return Err(ctx.line_error(1, "no `module` directive; is this a go.mod file?"));
    }
    let mut collector = Collector::new(Ecosystem::Go);
    for (path, version, line_no) in requires {
        let replacement = replaces
            .get(&(path.clone(), Some(version.clone())))
            .or_else(|| replaces.get(&(path.clone(), None)));
        let location = ctx.at(format_args!(":{line_no}"));
        match replacement {
            Some((new_path, None, replace_line)) => ctx.warn(
                location,
                format!("`{path}` is replaced by the local directory `{new_path}` (line {replace_line}): skipped"),
            ),
            Some((new_path, Some(new_version), _)) => collector.push(ctx, new_path, new_version, location),
            None => collector.push(ctx, &path, &version, location),
        }
    }
    Ok(())
}

/// go.sum: every module whose content (not only its go.mod) was hashed is in the build.
pub(crate) fn read_go_sum(text: &str, ctx: &mut ReadContext<'_>) -> Result<(), SbomError> {
    let mut collector = Collector::new(Ecosystem::Go);
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let mut fields = line.split_whitespace();
        let (Some(path), Some(version), Some(hash), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(ctx.line_error(line_no, "a go.sum line must read `module version hash`"));
        };
        if !hash.starts_with("h1:") && !hash.contains(':') {
            return Err(ctx.line_error(line_no, format!("`{hash}` is not a go.sum hash (`h1:…`)")));
        }
        if version.ends_with("/go.mod") {
            continue; // only the module's go.mod was read: it is not part of the build
        }
        let location = ctx.at(format_args!(":{line_no}"));
        collector.push(ctx, path, version, location);
    }
    Ok(())
}
