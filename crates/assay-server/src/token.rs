//! API tokens: `assay_pat_<id>_<secret>`.
//!
//! The id (8 random bytes, 16 hex digits) finds the row; the secret (32 random bytes, 64 hex
//! digits) is never stored: the row keeps its SHA-256, compared in constant time. A plain hash
//! (not a password hash such as Argon2) is enough because the secret is 256 random bits from the
//! operating system: there is nothing to guess from a dictionary, and a slow hash would only
//! slow every request. The prefix lets secret scanners recognise a leaked token.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub const PREFIX: &str = "assay_pat_";
const ID_BYTES: usize = 8;
const SECRET_BYTES: usize = 32;

/// A freshly minted token: the full text (shown once) and what is stored.
#[derive(Clone, Debug)]
pub struct Minted {
    pub id: String,
    pub text: String,
    pub secret_sha256: [u8; 32],
}

#[derive(Debug, thiserror::Error)]
#[error("the operating system's random source failed: {0}")]
pub struct RandomError(String);

pub fn mint() -> Result<Minted, RandomError> {
    let mut id = [0u8; ID_BYTES];
    let mut secret = [0u8; SECRET_BYTES];
    getrandom::fill(&mut id).map_err(|e| RandomError(e.to_string()))?;
    getrandom::fill(&mut secret).map_err(|e| RandomError(e.to_string()))?;
    let id = hex::encode(id);
    let secret = hex::encode(secret);
    Ok(Minted {
        text: format!("{PREFIX}{id}_{secret}"),
        secret_sha256: hash(&secret),
        id,
    })
}

fn hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Splits a presented token into (id, secret) when it has the token's shape.
pub fn parse(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let hexish = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hexish(id, ID_BYTES * 2) && hexish(secret, SECRET_BYTES * 2)).then_some((id, secret))
}

/// Constant-time comparison of a presented secret with the stored hash.
pub fn secret_matches(secret: &str, stored: &[u8; 32]) -> bool {
    hash(secret).ct_eq(stored).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_parse_and_match_only_their_own_hash() {
        let a = mint().unwrap();
        let b = mint().unwrap();
        assert!(a.text.starts_with(PREFIX));
        let (id, secret) = parse(&a.text).unwrap();
        assert_eq!(id, a.id);
        assert!(secret_matches(secret, &a.secret_sha256));
        assert!(!secret_matches(secret, &b.secret_sha256));
        assert_ne!(a.id, b.id);
    }

    #[test]
    fn malformed_tokens_do_not_parse() {
        let a = mint().unwrap();
        for bad in [
            "",
            "assay_pat_",
            &a.text[PREFIX.len()..],
            &a.text[..a.text.len() - 1],
            &format!("{}0", a.text),
            &a.text.replace("assay_pat_", "assay_pak_"),
        ] {
            assert!(parse(bad).is_none(), "{bad:?}");
        }
    }
}
