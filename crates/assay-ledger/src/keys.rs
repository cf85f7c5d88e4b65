//! Ed25519 keys: generation, the private key file, and the two public identifiers.
//!
//! * `key_id`: first 16 hex digits of SHA-256(public key). Goes into DSSE signatures.
//! * note key hash: SHA-256(name || 0x0A || 0x01 || public key)[..4], as the C2SP signed-note
//!   spec defines it; it prefixes every checkpoint signature.
//!
//! The public form users exchange is the signed-note verifier key,
//! `<name>+<8 hex digits>+<base64(0x01 || public key)>`, which carries the name and a check
//! digit of sorts in one line; plain base64 of the 32 raw bytes is accepted as well.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::LedgerError;

const PRIVATE_KEY_HEADER: &str = "assay-ed25519-private-key-v1";
/// Signature type byte for Ed25519 in signed notes.
const ALG_ED25519: u8 = 0x01;

/// Key id used in DSSE signatures and listings.
pub fn key_id(public: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(public.as_bytes())[..8])
}

/// C2SP signed-note key hash.
pub fn note_key_hash(name: &str, public: &VerifyingKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ALG_ED25519]);
    h.update(public.as_bytes());
    h.finalize()[..4].try_into().expect("4 bytes")
}

/// The verifier key line for `name`.
pub fn verifier_key(name: &str, public: &VerifyingKey) -> String {
    let mut raw = vec![ALG_ED25519];
    raw.extend_from_slice(public.as_bytes());
    format!(
        "{name}+{}+{}",
        hex::encode(note_key_hash(name, public)),
        B64.encode(raw)
    )
}

/// A public key parsed from user input: a verifier key line or base64 of 32 bytes.
#[derive(Clone, Debug)]
pub struct PublicKeyText {
    pub name: Option<String>,
    pub key: VerifyingKey,
}

pub fn parse_public_key(text: &str) -> Result<PublicKeyText, String> {
    let text = text.trim();
    let bad = |why: &str| {
        format!(
            "{why}; expected a verifier key `NAME+HASH+BASE64` (from `assay key export`) or the base64 of a 32-byte Ed25519 public key"
        )
    };
    if let [name, hash, b64] = text.splitn(3, '+').collect::<Vec<_>>()[..]
        && hash.len() == 8
    {
        let raw = B64
            .decode(b64)
            .map_err(|_| bad("the key part is not base64"))?;
        if raw.len() != 33 || raw[0] != ALG_ED25519 {
            return Err(bad("not an Ed25519 verifier key"));
        }
        let key = VerifyingKey::from_bytes(raw[1..].try_into().expect("32 bytes"))
            .map_err(|_| bad("not a valid Ed25519 point"))?;
        if hex::encode(note_key_hash(name, &key)) != hash {
            return Err(bad(
                "the key hash does not match the name and key (typo or edited key?)",
            ));
        }
        return Ok(PublicKeyText {
            name: Some(name.to_string()),
            key,
        });
    }
    let raw = B64.decode(text).map_err(|_| bad("not base64"))?;
    let bytes: [u8; 32] = raw.try_into().map_err(|_| bad("not 32 bytes long"))?;
    let key = VerifyingKey::from_bytes(&bytes).map_err(|_| bad("not a valid Ed25519 point"))?;
    Ok(PublicKeyText { name: None, key })
}

/// Verifies an Ed25519 signature (strict verification would reject some signatures other
/// implementations accept; DSSE signers use plain Ed25519, so plain verification it is).
pub fn verify(key: &VerifyingKey, message: &[u8], signature: &ed25519_dalek::Signature) -> bool {
    use ed25519_dalek::Verifier;
    key.verify(message, signature).is_ok()
}

/// Key names become file names and signed-note key names: keep them simple.
pub fn check_key_name(name: &str) -> Result<(), LedgerError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(LedgerError::Input(format!(
            "invalid key name `{name}`: use 1-64 letters, digits, `-`, `_` or `.`"
        )))
    }
}

pub fn generate() -> Result<SigningKey, LedgerError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|e| LedgerError::Input(format!("no secure randomness available: {e}")))?;
    Ok(SigningKey::from_bytes(&seed))
}

pub fn private_key_path(keys_dir: &Path, name: &str) -> PathBuf {
    keys_dir.join(format!("{name}.key"))
}

/// Writes a private key file readable by its owner only. Refuses to overwrite.
pub fn write_private_key(path: &Path, key: &SigningKey) -> Result<(), LedgerError> {
    let io = |e: std::io::Error| LedgerError::Io {
        path: path.display().to_string(),
        source: e,
    };
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(io)?;
    writeln!(f, "{PRIVATE_KEY_HEADER}").map_err(io)?;
    writeln!(f, "{}", B64.encode(key.to_bytes())).map_err(io)?;
    f.sync_all().map_err(io)?;
    Ok(())
}

pub fn read_private_key(path: &Path, name: &str) -> Result<SigningKey, LedgerError> {
    let text = fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            LedgerError::Input(format!(
                "signing key `{name}` not found ({}); list keys with `assay key list` or create it with `assay key new {name}`",
                path.display()
            ))
        } else {
            LedgerError::Io {
                path: path.display().to_string(),
                source: e,
            }
        }
    })?;
    let mut lines = text.lines();
    let malformed = || {
        LedgerError::Input(format!(
            "{} is not an assay private key file (expected `{PRIVATE_KEY_HEADER}` and a base64 seed)",
            path.display()
        ))
    };
    if lines.next() != Some(PRIVATE_KEY_HEADER) {
        return Err(malformed());
    }
    let seed = lines
        .next()
        .and_then(|l| B64.decode(l.trim()).ok())
        .and_then(|v| <[u8; 32]>::try_from(v).ok())
        .ok_or_else(malformed)?;
    Ok(SigningKey::from_bytes(&seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifier_key_round_trip_and_tamper() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let vk = key.verifying_key();
        let line = verifier_key("lab-a", &vk);
        let parsed = parse_public_key(&line).unwrap();
        assert_eq!(parsed.name.as_deref(), Some("lab-a"));
        assert_eq!(parsed.key, vk);
        let renamed = line.replacen("lab-a", "lab-b", 1);
        assert!(parse_public_key(&renamed).unwrap_err().contains("key hash"));
        let raw = B64.encode(vk.as_bytes());
        assert_eq!(parse_public_key(&raw).unwrap().key, vk);
        assert!(parse_public_key("nonsense").is_err());
        // Base64 may itself contain `+`: every key must round-trip.
        for seed in 0..64u8 {
            let vk = SigningKey::from_bytes(&[seed; 32]).verifying_key();
            assert_eq!(
                parse_public_key(&verifier_key("k", &vk)).unwrap().key,
                vk,
                "seed {seed}"
            );
        }
    }

    #[test]
    fn private_key_file_is_owner_only_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.key");
        let key = generate().unwrap();
        write_private_key(&path, &key).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert_eq!(
            read_private_key(&path, "k").unwrap().to_bytes(),
            key.to_bytes()
        );
        assert!(
            write_private_key(&path, &key).is_err(),
            "never overwrite a key"
        );
        fs::write(dir.path().join("bad.key"), "hello").unwrap();
        let err = read_private_key(&dir.path().join("bad.key"), "bad").unwrap_err();
        assert!(
            err.to_string().contains("not an assay private key"),
            "{err}"
        );
        let err = read_private_key(&dir.path().join("none.key"), "none").unwrap_err();
        assert!(err.to_string().contains("assay key new none"), "{err}");
    }

    #[test]
    fn key_names_are_checked() {
        assert!(check_key_name("lab-a.prod_1").is_ok());
        for bad in ["", "a b", "../x", ".hidden", "a+b", &"x".repeat(65)] {
            assert!(check_key_name(bad).is_err(), "{bad}");
        }
    }
}
