//! Row handling shared by the readers: trimming, field splitting, the vocabularies of kind,
//! decision and score, and quoting input in messages.

use std::borrow::Cow;

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
            "`{text}` is infinite; scores must be finite numbers (or nan for a failure to acquire)"
        )),
        Err(_) => Err(format!(
            "`{text}` is not a number; write a decimal such as 0.73, or leave it empty"
        )),
    }
}
