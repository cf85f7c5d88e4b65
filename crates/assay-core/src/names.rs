//! File names from untrusted data.
//!
//! Statements, bundles, advisories and SBOMs carry names (`fileName`, advisory ids, component
//! names) that an attacker chooses, even inside a validly signed statement: a signature says
//! who wrote the name, not that it is safe. Before such a name touches the file system it goes
//! through [`safe_file_name`], which keeps only a bounded base name. Writers then join it to a
//! folder they chose, never to anything the name says.

use sha2::{Digest as _, Sha256};

/// The longest name [`safe_file_name`] returns, in bytes: well under the 255-byte limit of
/// common file systems, leaving room for the prefixes writers add (`000042-`).
pub const MAX_SAFE_NAME_BYTES: usize = 120;

/// A base name safe to create inside a folder, derived from `untrusted`.
///
/// Path separators, `..`, control and bidi characters and leading dots cannot survive; the
/// result is never empty, never longer than [`MAX_SAFE_NAME_BYTES`], and keeps the extension
/// where it can. When anything had to change, a short digest of the original is appended so
/// that two different hostile names do not collapse into one file.
pub fn safe_file_name(untrusted: &str) -> String {
    // Only the last component counts: `../../x` and `/abs/x` become `x`.
    let base = untrusted.rsplit(['/', '\\']).next().unwrap_or(untrusted);
    let mut cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_alphanumeric() && !crate::text::is_unsafe_to_show(c)
                || matches!(c, '.' | '-' | '_' | '+' | '@')
            {
                c
            } else {
                '_'
            }
        })
        .collect();
    let trimmed = cleaned.trim_start_matches('.').to_string();
    cleaned = trimmed;
    let changed = cleaned != untrusted;
    if cleaned.is_empty() {
        cleaned.push_str("file");
    }
    if !changed && cleaned.len() <= MAX_SAFE_NAME_BYTES {
        return cleaned;
    }
    let tag = short_digest(untrusted);
    // Keep a short extension (`.pdf`, `.json`) at the end so the file still opens.
    let (stem, ext) = match cleaned.rfind('.') {
        Some(dot) if dot > 0 && cleaned.len() - dot <= 10 => cleaned.split_at(dot),
        _ => (cleaned.as_str(), ""),
    };
    let room = MAX_SAFE_NAME_BYTES - ext.len() - tag.len() - 1;
    let mut cut = stem.len().min(room);
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}-{tag}{ext}", &stem[..cut])
}

fn short_digest(text: &str) -> String {
    let d = Sha256::digest(text.as_bytes());
    hex::encode(&d[..4])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass_through() {
        assert_eq!(safe_file_name("report.pdf"), "report.pdf");
        assert_eq!(safe_file_name("sbom.cdx.json"), "sbom.cdx.json");
        assert_eq!(
            safe_file_name("Prüfbericht_2026.pdf"),
            "Prüfbericht_2026.pdf"
        );
    }

    #[test]
    fn traversal_and_absolute_names_lose_their_folders() {
        let a = safe_file_name("../../x");
        assert!(a.starts_with("x-") && !a.contains('/'), "{a}");
        let b = safe_file_name("/abs/x");
        assert!(b.starts_with("x-") && !b.contains('/'), "{b}");
        assert!(!safe_file_name("..").starts_with('.'));
        assert!(!safe_file_name("..\\..\\win.ini").contains('\\'));
        assert_ne!(safe_file_name(""), "");
        assert_ne!(safe_file_name("."), ".");
    }

    #[test]
    fn odd_names_are_bounded_and_distinct() {
        let long = format!("{}.pdf", "a".repeat(250));
        let s = safe_file_name(&long);
        assert!(s.len() <= MAX_SAFE_NAME_BYTES && s.ends_with(".pdf"), "{s}");
        let rtl = safe_file_name("report\u{202e}fdp.exe");
        assert!(!rtl.contains('\u{202e}'), "{rtl}");
        let nl = safe_file_name("a\nb.txt");
        assert!(!nl.contains('\n') && nl.ends_with(".txt"), "{nl}");
        assert_ne!(safe_file_name("a/b?.txt"), safe_file_name("a/b*.txt"));
        let multibyte = "é".repeat(200);
        assert!(safe_file_name(&multibyte).len() <= MAX_SAFE_NAME_BYTES);
    }
}
