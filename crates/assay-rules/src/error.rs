//! One error type for the crate. Every message names the file and, when the input gave us
//! one, the line, column and field, and says what to do next.

use std::path::{Path, PathBuf};

/// What went wrong reading or checking a manifest, a rule pack or a document.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// The file is not valid TOML, or a value has the wrong type or an unknown name.
    #[error(
        "{file}:{line}:{column}: field `{field}`: {message}\n  hint: fix this {what} and run again ({hint})"
    )]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        field: String,
        message: String,
        what: &'static str,
        hint: &'static str,
    },
    /// The file parses but breaks a rule the format states (a missing reference, say).
    #[error("{file}{}: field `{field}`: {message}\n  hint: {hint}", at_line(.line))]
    Invalid {
        file: String,
        /// The line the offending value is on, when it can be found in the text.
        line: Option<usize>,
        field: String,
        message: String,
        hint: String,
    },
    /// The file could not be read.
    #[error("cannot read {file}: {source}\n  hint: check the path")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
}

impl RulesError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        RulesError::Io {
            file: path.display().to_string(),
            source,
        }
    }

    pub(crate) fn invalid(
        file: &str,
        field: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        RulesError::Invalid {
            file: file.to_string(),
            line: None,
            field: field.into(),
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// The same error, located at the first line of `text` holding `value` as a quoted TOML
    /// string (a best effort: the checks run on parsed values, which carry no position).
    pub(crate) fn at_value(mut self, text: &str, value: &str) -> Self {
        if let RulesError::Invalid { line, .. } = &mut self {
            *line = line_of_value(text, value);
        }
        self
    }

    /// The file named in the error.
    pub fn file(&self) -> &str {
        match self {
            RulesError::Syntax { file, .. }
            | RulesError::Invalid { file, .. }
            | RulesError::Io { file, .. } => file,
        }
    }
}

/// Parses TOML into `T`, turning toml's byte span into line, column and the dotted field name
/// (table header plus key) so the message points at the exact place to fix.
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    file: &str,
    what: &'static str,
    hint: &'static str,
) -> Result<T, RulesError> {
    toml::from_str::<T>(text).map_err(|err| {
        let offset = err.span().map(|s| s.start).unwrap_or(0).min(text.len());
        let (line, column) = line_column(text, offset);
        RulesError::Syntax {
            file: file.to_string(),
            line,
            column,
            field: field_at(text, offset),
            // toml's messages quote the input (`unknown variant `...``): bound and escape it.
            message: assay_core::quote(err.message().trim(), MESSAGE_LIMIT),
            what,
            hint,
        }
    })
}

/// Longest parser message shown, in characters (it may quote a whole hostile line).
const MESSAGE_LIMIT: usize = 400;

fn at_line(line: &Option<usize>) -> String {
    line.map(|l| format!(":{l}")).unwrap_or_default()
}

/// 1-based number of the first line holding `value` as a quoted string.
pub(crate) fn line_of_value(text: &str, value: &str) -> Option<usize> {
    let double = format!("\"{value}\"");
    let single = format!("'{value}'");
    text.lines()
        .position(|l| l.contains(&double) || l.contains(&single))
        .map(|i| i + 1)
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset);
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The field a byte offset sits in: the key on its line (if any) qualified by the nearest
/// table header above, e.g. `market.uses` or `obligation.evidence.kind`. A best effort over
/// the text, because toml's errors carry a span but not the key path.
fn field_at(text: &str, offset: usize) -> String {
    let offset = floor_char_boundary(text, offset);
    let line_start = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line_end = text[offset..]
        .find('\n')
        .map(|i| offset + i)
        .unwrap_or(text.len());
    let line = text[line_start..line_end].trim();
    let header = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_string());
    if line.starts_with('[') {
        return line
            .trim_matches(|c| c == '[' || c == ']')
            .trim()
            .to_string();
    }
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_string());
    let field = match (header, key) {
        (Some(h), Some(k)) => format!("{h}.{k}"),
        (None, Some(k)) => k,
        (Some(h), None) => h,
        (None, None) => "(document)".to_string(),
    };
    // The key comes from the input line, which may be anything.
    assay_core::text::quote_short(&field)
}

pub(crate) fn read_file(path: &Path) -> Result<String, RulesError> {
    std::fs::read_to_string(path).map_err(|e| RulesError::io(path, e))
}

pub(crate) fn display_path(path: &Path) -> String {
    PathBuf::from(path).display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_and_field() {
        let text = "a = 1\n[market]\nuses = [\"x\"]\n";
        let off = text.find("[\"x").unwrap();
        assert_eq!(line_column(text, off), (3, 8));
        assert_eq!(field_at(text, off), "market.uses");
        assert_eq!(field_at(text, 0), "a");
    }
}
