//! Limits on what an import reads, and the cheap pre-scans that enforce nesting limits.
//!
//! Advisory sources come from outside (a downloaded `all.zip`, a mirrored git tree), so every
//! reader is bounded: a zip bomb, an entry whose header lies about its size, or a document
//! nested 100,000 levels deep is refused with a [`LimitError`] naming the file and the limit,
//! before it can exhaust memory or time.
//!
//! Nesting is measured by a linear scan of the bytes before any parser sees them: parsers
//! (libyaml in particular) can spend seconds or recurse deeply on hostile nesting before they
//! report anything, and serde_json's own guard is fixed at 128 levels.

use serde::{Deserialize, Serialize};

/// Limits on one import. The defaults are generous for real advisory databases (an OSV
/// `all.zip` of 200,000 records is ~1 GiB uncompressed; a record is nested ~8 levels deep)
/// and small enough that a hostile source cannot take the machine down.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportLimits {
    /// Largest file, or zip entry once uncompressed, in bytes (default 64 MiB).
    pub max_entry_bytes: u64,
    /// Most bytes read from one zip archive once uncompressed, all entries together; also the
    /// largest zip file accepted (default 2 GiB).
    pub max_total_bytes: u64,
    /// Most entries in one zip archive, and most files under one imported directory
    /// (default 1,000,000).
    pub max_entries: u64,
    /// Deepest nesting of arrays, objects, tables or YAML blocks in one document (default
    /// 128). JSON parsing also stops at 128 levels whatever this says (serde_json's guard).
    pub max_depth: usize,
}

/// 64 MiB.
pub const DEFAULT_MAX_ENTRY_BYTES: u64 = 64 << 20;
/// 2 GiB.
pub const DEFAULT_MAX_TOTAL_BYTES: u64 = 2 << 30;
/// One million.
pub const DEFAULT_MAX_ENTRIES: u64 = 1_000_000;
/// 128 levels.
pub const DEFAULT_MAX_DEPTH: usize = 128;

impl Default for ImportLimits {
    fn default() -> Self {
        ImportLimits {
            max_entry_bytes: DEFAULT_MAX_ENTRY_BYTES,
            max_total_bytes: DEFAULT_MAX_TOTAL_BYTES,
            max_entries: DEFAULT_MAX_ENTRIES,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }
}

/// An input exceeded an [`ImportLimits`] limit. Nothing of the import is kept.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error(
        "{file}: {size} bytes, more than the limit of {limit} bytes per file or archive entry; \
         if the source is trusted, raise it with --max-entry-bytes"
    )]
    EntryTooLarge {
        file: String,
        /// Declared or actual size; for an entry whose header understated it, `limit + 1`
        /// (reading stopped there).
        size: u64,
        limit: u64,
    },
    #[error(
        "{file}: expands to more than {limit} bytes (declared {declared}); refusing a possible \
         zip bomb; if the source is trusted, raise the limit with --max-total-bytes"
    )]
    ArchiveTooLarge {
        file: String,
        /// Declared uncompressed size of the archive, or what was read before stopping.
        declared: u64,
        limit: u64,
    },
    #[error(
        "{file}: {entries} entries, more than the limit of {limit}; if the source is trusted, \
         raise it with --max-entries"
    )]
    TooManyEntries {
        file: String,
        entries: u64,
        limit: u64,
    },
    #[error(
        "{file}: line {line}: nested more than {limit} levels deep; refusing it before parsing; \
         if the source is trusted, raise the limit with --max-depth"
    )]
    TooDeep {
        file: String,
        line: usize,
        limit: usize,
    },
}

/// The first line (1-based) at which brackets in a JSON document nest deeper than `limit`.
/// Brackets inside strings do not count.
pub(crate) fn json_too_deep(bytes: &[u8], limit: usize) -> Option<usize> {
    brackets_too_deep(bytes, limit, false)
}

/// The same for TOML: `'` strings and `#` comments also hide brackets.
pub(crate) fn toml_too_deep(bytes: &[u8], limit: usize) -> Option<usize> {
    brackets_too_deep(bytes, limit, true)
}

fn brackets_too_deep(bytes: &[u8], limit: usize, toml: bool) -> Option<usize> {
    let mut depth = 0usize;
    let mut line = 1usize;
    let mut in_string: Option<u8> = None;
    let mut escaped = false;
    let mut in_comment = false;
    for &b in bytes {
        if b == b'\n' {
            line += 1;
            in_comment = false;
            if in_string == Some(b'\'') {
                in_string = None;
            }
            continue;
        }
        if in_comment {
            continue;
        }
        if let Some(quote) = in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' && quote == b'"' {
                escaped = true;
            } else if b == quote {
                in_string = None;
            }
            continue;
        }
        match b {
            b'"' => in_string = Some(b'"'),
            b'\'' if toml => in_string = Some(b'\''),
            b'#' if toml => in_comment = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Some(line);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// The first line (1-based) at which a YAML document nests deeper than `limit`, counting
/// block levels (indentation, and compact `- - -` / `? ` indicators on one line) plus flow
/// levels (`[` and `{`). An estimate that errs towards counting more, never less, for the
/// forms that nest without costing bytes; real OSV records stay under ten.
pub(crate) fn yaml_too_deep(bytes: &[u8], limit: usize) -> Option<usize> {
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    let mut in_quote: Option<u8> = None;
    // Indentation of the line that opened a block scalar (`|`, `>`): deeper lines are text.
    let mut block_scalar: Option<usize> = None;
    for (number, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = number + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let indent = raw.iter().take_while(|&&b| b == b' ').count();
        let rest = &raw[indent..];
        if in_quote.is_none() && flow == 0 {
            if rest.is_empty() || rest[0] == b'#' {
                continue;
            }
            if let Some(parent) = block_scalar {
                if indent > parent {
                    continue;
                }
                block_scalar = None;
            }
            while indents.last().is_some_and(|&top| top >= indent) {
                indents.pop();
            }
            indents.push(indent);
        }
        let mut at_token_start = in_quote.is_none();
        let mut i = 0;
        // Compact nested block collections: `- - - x`, `? - x`.
        if in_quote.is_none() && flow == 0 {
            while i < rest.len()
                && matches!(rest[i], b'-' | b'?')
                && rest.get(i + 1).is_none_or(|&b| b == b' ')
            {
                i += 1;
                while rest.get(i) == Some(&b' ') {
                    i += 1;
                }
                indents.push(indent + i);
                if indents.len() > limit {
                    return Some(line);
                }
            }
        }
        if indents.len() + flow > limit {
            return Some(line);
        }
        while i < rest.len() {
            let b = rest[i];
            i += 1;
            if let Some(quote) = in_quote {
                if quote == b'"' && b == b'\\' {
                    i += 1;
                } else if b == quote {
                    if quote == b'\'' && rest.get(i) == Some(&b'\'') {
                        i += 1;
                    } else {
                        in_quote = None;
                    }
                }
                continue;
            }
            match b {
                b' ' | b'\t' => {
                    at_token_start = true;
                    continue;
                }
                b'#' if at_token_start => break,
                b'"' | b'\'' if at_token_start => in_quote = Some(b),
                b'[' | b'{' if at_token_start || flow > 0 => {
                    flow += 1;
                    if indents.len() + flow > limit {
                        return Some(line);
                    }
                }
                b']' | b'}' if flow > 0 => flow -= 1,
                _ => {}
            }
            // After these, a new token (a quoted scalar, a flow collection) may begin.
            at_token_start = flow > 0 && matches!(b, b'[' | b'{' | b',' | b':');
        }
        if in_quote.is_none() && flow == 0 && is_block_scalar_header(rest) {
            block_scalar = Some(indent);
        }
    }
    None
}

/// `key: |`, `- >2`, `text: |-`: the line's last token opens a block scalar.
fn is_block_scalar_header(rest: &[u8]) -> bool {
    let token = rest
        .trim_ascii_end()
        .rsplit(|&b| b == b' ')
        .next()
        .unwrap_or_default();
    matches!(token.first(), Some(b'|' | b'>'))
        && token[1..]
            .iter()
            .all(|&b| matches!(b, b'+' | b'-' | b'0'..=b'9'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_depth_counts_brackets_outside_strings() {
        assert_eq!(json_too_deep(br#"{"a": [1, {"b": "[[[["}]}"#, 3), None);
        assert_eq!(json_too_deep(br#"{"a": [1, {"b": [[]]}]}"#, 3), Some(1));
        assert_eq!(json_too_deep(b"{\n\"a\": \"\\\"[[[\"\n}", 1), None);
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(json_too_deep(deep.as_bytes(), 128), Some(1));
    }

    #[test]
    fn toml_depth_ignores_comments_and_literal_strings() {
        assert_eq!(
            toml_too_deep(b"[a]\nx = '[[[[' # [[[[\ny = [[1]]\n", 2),
            None
        );
        assert_eq!(toml_too_deep(b"[a]\ny = [[[1]]]\n", 2), Some(2));
    }

    #[test]
    fn yaml_depth_of_real_shapes() {
        let osv = b"id: PYSEC-1\n\
            details: |\n  text [with brackets\n      and deeper indentation\n\
            affected:\n  - package:\n      name: x\n      ecosystem: PyPI\n    ranges:\n\
            \x20     - type: ECOSYSTEM\n        events:\n          - introduced: \"0\"\n\
            \x20         - fixed: 1.2\n    versions: [\"1.0\", '1.1']\n\
            summary: it's a bug in foo[0 handling # not a comment? \n";
        assert_eq!(yaml_too_deep(osv, 8), None);
        assert!(yaml_too_deep(osv, 3).is_some());
        let flow = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(yaml_too_deep(flow.as_bytes(), 128), Some(1));
        let block = format!("a:\n{}x\n", "- ".repeat(100_000));
        assert_eq!(yaml_too_deep(block.as_bytes(), 128), Some(2));
        let indented: String = (0..200)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        assert_eq!(yaml_too_deep(indented.as_bytes(), 128), Some(129));
    }
}
