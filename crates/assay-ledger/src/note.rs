//! C2SP signed notes and tlog checkpoints.
//!
//! A checkpoint is the text
//! ```text
//! <origin>
//! <tree size>
//! <base64 root hash>
//! ```
//! followed by a blank line and one signature line per signer,
//! `— <key name> <base64(4-byte key hash || 64-byte Ed25519 signature)>`. The signature covers
//! the text up to and including the newline before the blank line.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, SigningKey, Verifier, VerifyingKey};

use crate::keys::note_key_hash;
use crate::merkle::Hash;

const SIG_PREFIX: &str = "\u{2014} ";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// The signed note text.
    pub fn sign(&self, key_name: &str, key: &SigningKey) -> String {
        self.sign_with(key_name, &crate::FileSigner::new(key_name, key.clone()))
    }

    /// The signed note text, signed by any [`crate::Signer`] under the note key name
    /// `key_name`.
    pub fn sign_with(&self, key_name: &str, signer: &dyn crate::Signer) -> String {
        let body = self.body();
        let sig = signer.sign(body.as_bytes());
        let mut blob = note_key_hash(key_name, &signer.public_key()).to_vec();
        blob.extend_from_slice(&sig.to_bytes());
        format!("{body}\n{SIG_PREFIX}{key_name} {}\n", B64.encode(blob))
    }
}

/// Why a signed checkpoint did not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NoteError {
    #[error("malformed checkpoint: {0}")]
    Malformed(String),
    #[error("no signature by key `{0}` on the checkpoint")]
    NoSignature(String),
    #[error("the checkpoint signature by `{0}` is invalid")]
    BadSignature(String),
}

/// Parses a signed checkpoint and verifies that `key_name`/`key` signed it.
pub fn open_checkpoint(
    note: &str,
    key_name: &str,
    key: &VerifyingKey,
) -> Result<Checkpoint, NoteError> {
    let (body, sigs) = note
        .split_once("\n\n")
        .ok_or_else(|| NoteError::Malformed("no blank line between text and signatures".into()))?;
    let body = format!("{body}\n");
    let cp = parse_body(&body)?;
    let want_hash = note_key_hash(key_name, key);
    let mut found = false;
    for line in sigs.lines().filter(|l| !l.is_empty()) {
        let rest = line.strip_prefix(SIG_PREFIX).ok_or_else(|| {
            NoteError::Malformed(format!(
                "signature line `{line}` does not start with an em dash"
            ))
        })?;
        let (name, b64) = rest.split_once(' ').ok_or_else(|| {
            NoteError::Malformed(format!("signature line `{line}` has no signature"))
        })?;
        if name != key_name {
            continue;
        }
        let raw = B64
            .decode(b64)
            .map_err(|_| NoteError::Malformed(format!("signature of `{name}` is not base64")))?;
        if raw.len() != 68 || raw[..4] != want_hash {
            continue;
        }
        found = true;
        let sig =
            Signature::from_slice(&raw[4..]).map_err(|_| NoteError::BadSignature(name.into()))?;
        if key.verify(body.as_bytes(), &sig).is_ok() {
            return Ok(cp);
        }
    }
    if found {
        Err(NoteError::BadSignature(key_name.into()))
    } else {
        Err(NoteError::NoSignature(key_name.into()))
    }
}

/// Names of the signers on a note, without verifying anything.
pub fn signer_names(note: &str) -> Vec<String> {
    note.split_once("\n\n")
        .map(|(_, sigs)| {
            sigs.lines()
                .filter_map(|l| {
                    l.strip_prefix(SIG_PREFIX)?
                        .split_once(' ')
                        .map(|(n, _)| n.to_string())
                })
                .collect()
        })
        .unwrap_or_default()
}

fn parse_body(body: &str) -> Result<Checkpoint, NoteError> {
    let mut lines = body.lines();
    let origin = lines
        .next()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| NoteError::Malformed("missing origin line".into()))?;
    let size = lines
        .next()
        .and_then(|l| l.parse::<u64>().ok())
        .ok_or_else(|| NoteError::Malformed("second line is not a tree size".into()))?;
    let root = lines
        .next()
        .and_then(|l| B64.decode(l).ok())
        .and_then(|v| <[u8; 32]>::try_from(v).ok())
        .ok_or_else(|| {
            NoteError::Malformed("third line is not a base64 SHA-256 root hash".into())
        })?;
    Ok(Checkpoint {
        origin: origin.to_string(),
        size,
        root,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_open_and_reject_tampering() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let cp = Checkpoint {
            origin: "assay.local/log/test".into(),
            size: 42,
            root: [9; 32],
        };
        let note = cp.sign("log", &key);
        assert!(note.starts_with("assay.local/log/test\n42\n"));
        assert!(note.contains("\n\n\u{2014} log "));
        assert_eq!(
            open_checkpoint(&note, "log", &key.verifying_key()).unwrap(),
            cp
        );
        assert_eq!(signer_names(&note), vec!["log".to_string()]);

        let tampered = note.replacen("\n42\n", "\n43\n", 1);
        assert_eq!(
            open_checkpoint(&tampered, "log", &key.verifying_key()).unwrap_err(),
            NoteError::BadSignature("log".into())
        );
        let other = SigningKey::from_bytes(&[4; 32]);
        assert_eq!(
            open_checkpoint(&note, "log", &other.verifying_key()).unwrap_err(),
            NoteError::NoSignature("log".into())
        );
        assert!(matches!(
            open_checkpoint("garbage", "log", &key.verifying_key()),
            Err(NoteError::Malformed(_))
        ));
    }
}
