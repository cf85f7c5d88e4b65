//! Quoting untrusted input in messages.
//!
//! Error messages quote the input they reject so the user can find it, but input is hostile
//! as often as it is careless: a 200 MB line must not become a 200 MB message, and an escape
//! sequence in a go.mod must not retitle the user's terminal. [`quote`] is the one way
//! messages quote input: bounded in length, control and bidirectional-override characters
//! escaped.

/// The default length, in characters, of a quotation in a message.
pub const QUOTE_LIMIT: usize = 80;

/// `input` made safe to show: at most `max_chars` characters of it, with control characters,
/// bidirectional overrides and other invisible format characters written as escapes
/// (`\n`, `\u{1b}`, `\u{202e}`), and a note of how much was cut.
pub fn quote(input: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(input.len().min(max_chars * 2) + 24);
    for (shown, (at, c)) in input.char_indices().enumerate() {
        if shown == max_chars {
            let rest = input.len() - at;
            out.push_str(&format!("… ({rest} more bytes)"));
            return out;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe_to_show(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// [`quote`] with the default limit.
pub fn quote_short(input: &str) -> String {
    quote(input, QUOTE_LIMIT)
}

/// Characters that change how a terminal or a page shows the text around them.
pub fn is_unsafe_to_show(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}' // zero-width, LRM, RLM
            | '\u{2028}' | '\u{2029}' // line and paragraph separators
            | '\u{202A}'..='\u{202E}' // embeddings and overrides
            | '\u{2060}'..='\u{2069}' // word joiner, isolates
            | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_escaped() {
        assert_eq!(quote("abc", 10), "abc");
        assert_eq!(
            quote("a\u{1b}]0;pwned\u{7}b", 80),
            "a\\u{1b}]0;pwned\\u{7}b"
        );
        assert_eq!(quote("x\u{202e}gpj.exe", 80), "x\\u{202e}gpj.exe");
        let long = "y".repeat(1_000_000);
        let q = quote(&long, 80);
        assert!(q.len() < 120, "{}", q.len());
        assert!(q.ends_with("(999920 more bytes)"), "{q}");
        assert_eq!(quote("é\nü", 80), "é\\nü");
    }
}
