//! A model configuration (`eval/model.toml` of an `assess` case): which suites a model runs,
//! how, and the name of the finished log that run produces.
//!
//! ```toml
//! [model]
//! model = "replay:helios-5.replay.json"   # PROVIDER:MODEL; `assess` runs only replay scripts
//! suites = ["suite.toml"]                 # relative to the configuration's folder
//! log = "helios-5.jsonl"                  # the finished log of this configuration (a base name)
//! epochs = 1                              # 1..=100
//! max_connections = 2                     # 1..=64
//! model_digest = "c057...f144"            # sha256 of the weights (64 hex digits), optional
//! gate = true                             # run the solvability gate first (default true)
//! ```
//!
//! Paths are relative, inside the configuration's folder (no `..`, not absolute); every error
//! names the file, line and field.

use serde::Deserialize;
use toml::Spanned;

use crate::error::{EvalError, Result, line_of};

/// Largest model configuration read.
pub const MAX_MODEL_CONFIG_BYTES: u64 = 64 << 10;
/// Most suites one configuration runs.
pub const MAX_SUITES: usize = 64;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    model: Spanned<Raw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    model: Spanned<String>,
    suites: Spanned<Vec<String>>,
    log: Spanned<String>,
    #[serde(default)]
    epochs: Option<Spanned<u32>>,
    #[serde(default)]
    max_connections: Option<Spanned<usize>>,
    #[serde(default)]
    model_digest: Option<Spanned<String>>,
    #[serde(default)]
    gate: Option<bool>,
}

/// A validated model configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelConfig {
    /// `PROVIDER:MODEL`, as `assay eval run --model` takes it (`replay:script.json`).
    pub model: String,
    /// Suite files, relative to the configuration's folder.
    pub suites: Vec<String>,
    /// The finished log's base name (`*.jsonl`).
    pub log: String,
    pub epochs: u32,
    pub max_connections: usize,
    pub model_digest: Option<String>,
    pub gate: bool,
}

impl ModelConfig {
    /// The replay script a `replay:` model names (relative to the configuration's folder).
    pub fn replay_script(&self) -> Option<&str> {
        self.model.strip_prefix("replay:")
    }

    /// Parses and validates a configuration; `name` names it in messages.
    pub fn parse(text: &str, name: &str) -> Result<ModelConfig> {
        let f: File = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
            EvalError::invalid(name, line, "(model)", e.message().trim().to_string())
        })?;
        let raw = f.model.into_inner();
        let bad = |at: usize, field: &str, why: String| {
            EvalError::invalid(name, line_of(text, at), format!("model.{field}"), why)
        };
        let model = raw.model.get_ref();
        match model.split_once(':') {
            Some((p, m)) if !p.is_empty() && !m.is_empty() && model.len() <= 512 => {}
            _ => {
                return Err(bad(
                    raw.model.span().start,
                    "model",
                    format!(
                        "{} is not PROVIDER:MODEL (e.g. replay:script.json)",
                        assay_core::text::quote_short(model)
                    ),
                ));
            }
        }
        if let Some(script) = model.strip_prefix("replay:") {
            relative(script).map_err(|why| bad(raw.model.span().start, "model", why))?;
        }
        let suites = raw.suites.get_ref();
        if suites.is_empty() || suites.len() > MAX_SUITES {
            return Err(bad(
                raw.suites.span().start,
                "suites",
                format!("give 1 to {MAX_SUITES} suite files"),
            ));
        }
        for (i, s) in suites.iter().enumerate() {
            relative(s)
                .map_err(|why| bad(raw.suites.span().start, &format!("suites[{i}]"), why))?;
        }
        let log = raw.log.get_ref();
        if !log.ends_with(".jsonl")
            || log.len() > 200
            || assay_core::safe_file_name(log) != *log
            || log.contains('/')
        {
            return Err(bad(
                raw.log.span().start,
                "log",
                format!(
                    "{} must be a plain file name ending in .jsonl",
                    assay_core::text::quote_short(log)
                ),
            ));
        }
        let epochs = match &raw.epochs {
            Some(e) if !(1..=100).contains(e.get_ref()) => {
                return Err(bad(
                    e.span().start,
                    "epochs",
                    format!("{} is not in 1..=100", e.get_ref()),
                ));
            }
            Some(e) => *e.get_ref(),
            None => 1,
        };
        let max_connections = match &raw.max_connections {
            Some(c) if !(1..=64).contains(c.get_ref()) => {
                return Err(bad(
                    c.span().start,
                    "max_connections",
                    format!("{} is not in 1..=64", c.get_ref()),
                ));
            }
            Some(c) => *c.get_ref(),
            None => 2,
        };
        let model_digest = match &raw.model_digest {
            Some(d) => {
                let v = d.get_ref();
                if v.len() != 64 || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(bad(
                        d.span().start,
                        "model_digest",
                        format!(
                            "{} is not a sha256 (64 hex digits)",
                            assay_core::text::quote_short(v)
                        ),
                    ));
                }
                Some(v.to_ascii_lowercase())
            }
            None => None,
        };
        Ok(ModelConfig {
            model: model.clone(),
            suites: suites.clone(),
            log: log.clone(),
            epochs,
            max_connections,
            model_digest,
            gate: raw.gate.unwrap_or(true),
        })
    }
}

/// A relative path inside its folder: not empty, not absolute, no `..`, `.` or empty
/// component, no backslash or control character.
fn relative(p: &str) -> std::result::Result<(), String> {
    let ok = !p.is_empty()
        && p.len() <= 400
        && !p.starts_with('/')
        && !p.contains('\\')
        && !p.chars().any(char::is_control)
        && p.split('/').all(|c| !c.is_empty() && c != "." && c != "..");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{} must be a relative path inside the configuration's folder",
            assay_core::text::quote_short(p)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"[model]
model = "replay:m.replay.json"
suites = ["suite.toml", "more/defensive.toml"]
log = "m.jsonl"
epochs = 2
model_digest = "C057C28FDBC7E57CBE1F3833BDF2B01D8F09C90C3364A7ACE90923944C59F144"
"#;

    #[test]
    fn parses_with_defaults() {
        let c = ModelConfig::parse(GOOD, "model.toml").unwrap();
        assert_eq!(c.replay_script(), Some("m.replay.json"));
        assert_eq!(c.suites.len(), 2);
        assert_eq!(c.epochs, 2);
        assert_eq!(c.max_connections, 2);
        assert!(c.gate);
        assert_eq!(
            c.model_digest.as_deref(),
            Some("c057c28fdbc7e57cbe1f3833bdf2b01d8f09c90c3364a7ace90923944c59f144")
        );
    }

    #[test]
    fn named_errors() {
        for (text, want) in [
            (
                GOOD.replace("m.jsonl", "../m.jsonl"),
                "model.toml:4: model.log",
            ),
            (
                GOOD.replace("\"suite.toml\"", "\"../etc/passwd\""),
                "model.toml:3: model.suites[0]",
            ),
            (
                GOOD.replace("replay:m.replay.json", "replay:/etc/x"),
                "model.toml:2: model.model",
            ),
            (
                GOOD.replace("epochs = 2", "epochs = 0"),
                "model.toml:5: model.epochs",
            ),
            (
                GOOD.replace("model_digest = \"C057", "model_digest = \"Z057"),
                "model.toml:6: model.model_digest",
            ),
            (GOOD.replace("epochs", "epoch"), "model.toml:5: (model)"),
            ("[model]\nmodel = \"x\"\n".to_string(), "model.toml"),
        ] {
            let e = ModelConfig::parse(&text, "model.toml")
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{e} lacks {want}");
        }
    }
}
