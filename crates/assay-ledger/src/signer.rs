//! Who signs: the [`Signer`] trait and its file-key implementation.
//!
//! The ledger never needs a private key itself, only something that signs bytes and names its
//! public key. A workspace keeps its keys as files under `keys/` ([`FileSigner`]); a server can
//! keep them in a KMS or an HSM and implement [`Signer`] over that instead.

use std::path::Path;

use ed25519_dalek::{Signature, SigningKey, VerifyingKey};

use crate::keys;
use crate::{LedgerError, Result};

/// Signs evidence statements (DSSE) and checkpoints (C2SP signed notes) with Ed25519.
pub trait Signer: Send + Sync {
    /// The key's name: the signed-note key name of checkpoints (`default` for the log key).
    fn name(&self) -> &str;
    /// The Ed25519 public key.
    fn public_key(&self) -> VerifyingKey;
    /// Signs `message`; Ed25519 signs the message itself, no pre-hashing.
    fn sign(&self, message: &[u8]) -> Signature;

    /// Key id in DSSE signatures: first 16 hex digits of SHA-256(public key).
    fn key_id(&self) -> String {
        keys::key_id(&self.public_key())
    }
    /// The verifier key line (`NAME+HASH+BASE64`) others use to check this signer.
    fn verifier_key(&self) -> String {
        keys::verifier_key(self.name(), &self.public_key())
    }
}

/// A key kept in the workspace's `keys/NAME.key` file (mode 0600).
pub struct FileSigner {
    name: String,
    key: SigningKey,
}

impl std::fmt::Debug for FileSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the private key.
        f.debug_struct("FileSigner")
            .field("name", &self.name)
            .field("key_id", &self.key_id())
            .finish()
    }
}

impl FileSigner {
    /// Reads `keys_dir/NAME.key`.
    pub fn load(keys_dir: &Path, name: &str) -> Result<Self> {
        keys::check_key_name(name)?;
        let key = keys::read_private_key(&keys::private_key_path(keys_dir, name), name)?;
        Ok(Self::new(name, key))
    }

    /// A signer over a key already in memory (tests, tools).
    pub fn new(name: &str, key: SigningKey) -> Self {
        Self {
            name: name.to_string(),
            key,
        }
    }
}

impl Signer for FileSigner {
    fn name(&self) -> &str {
        &self.name
    }
    fn public_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }
    fn sign(&self, message: &[u8]) -> Signature {
        ed25519_dalek::Signer::sign(&self.key, message)
    }
}

/// Checks that `signer` is one of `own` keys registered in the workspace under its name.
pub(crate) fn check_registered(signer: &dyn Signer, record: &assay_store::KeyRecord) -> Result<()> {
    if !record.own {
        return Err(LedgerError::Input(format!(
            "`{}` is a trusted issuer's public key; this workspace cannot sign with it",
            record.name
        )));
    }
    if signer.public_key().to_bytes() != record.public_key {
        return Err(LedgerError::Input(format!(
            "wrong key: the signer `{}` does not match the public key registered as `{}`; restore the original key",
            signer.name(),
            record.name
        )));
    }
    Ok(())
}
