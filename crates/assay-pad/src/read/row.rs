//! Row handling shared by the readers: trimming, field splitting, the vocabularies of kind,
//! decision and score, and quoting input in messages.

use std::borrow::Cow;

use assay_core::text::{QUOTE_LIMIT, quote, quote_short};

use crate::campaign::{Decision, Kind};

pub(super) fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if first.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if last.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    s
}

pub(super) const ABSENT: usize = usize::MAX;

/// Splits a CSV line that may contain RFC 4180 quoted fields.
pub(super) fn split_quoted(line: &[u8]) -> Vec<Cow<'_, [u8]>> {
    let mut fields = Vec::new();
    let mut i = 0;
    loop {
        if i < line.len() && line[i] == b'"' {
            let mut value = Vec::new();
            i += 1;
            while i < line.len() {
                if line[i] == b'"' {
                    if line.get(i + 1) == Some(&b'"') {
                        value.push(b'"');
                        i += 2;
                    } else {
                        i += 1;
                        break;
                    }
                } else {
                    value.push(line[i]);
                    i += 1;
                }
            }
            // Skip to the next comma (anything after the closing quote is ignored).
            while i < line.len() && line[i] != b',' {
                i += 1;
            }
            fields.push(Cow::Owned(value));
        } else {
            let end = memchr::memchr(b',', &line[i..]).map_or(line.len(), |p| i + p);
            fields.push(Cow::Borrowed(&line[i..end]));
            i = end;
        }
        if i >= line.len() {
            break;
        }
        i += 1; // the comma
        if i == line.len() {
            fields.push(Cow::Borrowed(&line[i..]));
            break;
        }
    }
    fields
}

pub(super) fn parse_kind(v: &[u8]) -> Option<Kind> {
    match v {
        b"bona_fide" | b"bonafide" | b"bona-fide" | b"BONA_FIDE" | b"bona fide" => {
            Some(Kind::BonaFide)
        }
        b"attack" | b"ATTACK" | b"Attack" => Some(Kind::Attack),
        _ => None,
    }
}

pub(super) fn parse_decision(v: &[u8]) -> Option<Decision> {
    match v {
        b"" => Some(Decision::None),
        b"accept" | b"ACCEPT" | b"Accept" | b"accepted" => Some(Decision::Accept),
        b"reject" | b"REJECT" | b"Reject" | b"rejected" => Some(Decision::Reject),
        b"no_response" | b"no-response" | b"NO_RESPONSE" | b"noresponse" => {
            Some(Decision::NoResponse)
        }
        _ => None,
    }
}

/// Parses a score; `Ok(NaN)` for empty or `nan`, `Err` for anything not a finite number.
pub(super) fn parse_score(v: &[u8]) -> Result<f64, String> {
    if v.is_empty() {
        return Ok(f64::NAN);
    }
    let text = std::str::from_utf8(v).map_err(|_| "the score is not UTF-8 text".to_string())?;
    match text.parse::<f64>() {
        Ok(x) if x.is_nan() => Ok(f64::NAN),
        Ok(x) if x.is_finite() => Ok(x),
        Ok(_) => Err(format!(
            "`{}` is infinite; scores must be finite numbers (or nan for a failure to acquire)",
            quote_short(text)
        )),
        Err(_) => Err(format!(
            "`{}` is not a number; write a decimal such as 0.73, or leave it empty",
            quote_short(text)
        )),
    }
}

/// Input bytes quoted for a message: at most [`QUOTE_LIMIT`] characters (invalid UTF-8
/// replaced), control and bidirectional characters escaped. Only a bounded prefix of `bytes`
/// is decoded, so quoting a 10 MB field costs no more than quoting a short one.
pub(super) fn quote_bytes(bytes: &[u8]) -> String {
    let cap = QUOTE_LIMIT * 4; // at least QUOTE_LIMIT characters of any encoding
    if bytes.len() <= cap {
        return quote_short(&String::from_utf8_lossy(bytes));
    }
    // As `quote` would show the whole, decoding only the prefix it shows.
    let mut shown = String::new();
    let mut count = 0;
    let mut used = 0;
    'chunks: for chunk in bytes[..cap].utf8_chunks() {
        for c in chunk.valid().chars() {
            if count == QUOTE_LIMIT {
                break 'chunks;
            }
            shown.push(c);
            count += 1;
            used += c.len_utf8();
        }
        if !chunk.invalid().is_empty() {
            if count == QUOTE_LIMIT {
                break;
            }
            shown.push(char::REPLACEMENT_CHARACTER);
            count += 1;
            used += chunk.invalid().len();
        }
    }
    format!(
        "{}… ({} more bytes)",
        quote(&shown, QUOTE_LIMIT),
        bytes.len() - used
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_bytes_are_bounded_and_escaped() {
        assert_eq!(quote_bytes(b"print"), "print");
        assert_eq!(quote_bytes(b"a\x1b]0;owned\x07"), "a\\u{1b}]0;owned\\u{7}");
        let huge = vec![b'x'; 10 << 20];
        let q = quote_bytes(&huge);
        assert!(q.len() < 140, "{} bytes: {q}", q.len());
        assert_eq!(q, quote_short(&String::from_utf8(huge).unwrap()));
        // Multi-byte characters and invalid bytes near the cut never split a character.
        let mut mixed = "é".repeat(QUOTE_LIMIT * 3).into_bytes();
        mixed.insert(5, 0xff);
        let q = quote_bytes(&mixed);
        assert!(q.starts_with("éé\u{fffd}\u{fffd}\u{fffd}éé"), "{q}");
        assert!(q.chars().count() < 120, "{q}");
    }
}
