//! DSSE envelopes (Dead Simple Signing Envelope, v1) carrying in-toto Statement v1 payloads.
//!
//! The signature covers the pre-authentication encoding
//! `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, never the JSON around it, so the
//! envelope's own serialisation cannot be used to smuggle a different payload type.

use std::collections::BTreeMap;

use assay_core::{EvidenceKind, Sha256Digest};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};

pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The largest envelope assay reads (a statement with its metadata is a few KiB).
pub const MAX_ENVELOPE_BYTES: usize = 16 * 1024 * 1024;

/// DSSE pre-authentication encoding.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// base64 of the payload bytes.
    pub payload: String,
    pub signatures: Vec<EnvelopeSignature>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    pub keyid: String,
    /// base64 of the 64-byte Ed25519 signature.
    pub sig: String,
}

impl Envelope {
    pub fn sign(payload_type: &str, payload: &[u8], key_id: &str, key: &SigningKey) -> Self {
        let sig = key.sign(&pae(payload_type, payload));
        Self {
            payload_type: payload_type.to_string(),
            payload: B64.encode(payload),
            signatures: vec![EnvelopeSignature {
                keyid: key_id.to_string(),
                sig: B64.encode(sig.to_bytes()),
            }],
        }
    }

    /// Signs with any [`crate::Signer`] (a file key, or a key held outside the workspace).
    pub fn sign_with(payload_type: &str, payload: &[u8], signer: &dyn crate::Signer) -> Self {
        let sig = signer.sign(&pae(payload_type, payload));
        Self {
            payload_type: payload_type.to_string(),
            payload: B64.encode(payload),
            signatures: vec![EnvelopeSignature {
                keyid: signer.key_id(),
                sig: B64.encode(sig.to_bytes()),
            }],
        }
    }

    pub fn payload_bytes(&self) -> Result<Vec<u8>, String> {
        B64.decode(&self.payload)
            .map_err(|_| "envelope payload is not base64".to_string())
    }

    /// The first signature's key id and decoded signature.
    pub fn first_signature(&self) -> Result<(&str, Signature), String> {
        let s = self
            .signatures
            .first()
            .ok_or_else(|| "envelope has no signature".to_string())?;
        let raw = B64
            .decode(&s.sig)
            .map_err(|_| "envelope signature is not base64".to_string())?;
        let sig = Signature::from_slice(&raw)
            .map_err(|_| "envelope signature is not 64 bytes".to_string())?;
        Ok((&s.keyid, sig))
    }
}

/// in-toto Statement v1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub statement_type: String,
    pub subject: Vec<ResourceDescriptor>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    pub predicate: EvidencePredicate,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceDescriptor {
    pub name: String,
    pub digest: BTreeMap<String, String>,
}

/// What assay says about a piece of evidence, beyond the subject and digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidencePredicate {
    pub kind: EvidenceKind,
    /// Name of the file as it was added (no directories).
    #[serde(rename = "fileName")]
    pub file_name: String,
    pub size: u64,
    #[serde(rename = "recordedAt")]
    pub recorded_at: String,
    /// Free key/value facts about the evidence that rules judge (see the metadata contract).
    #[serde(default)]
    pub meta: BTreeMap<String, String>,
}

impl Statement {
    pub fn new(subject: &str, blob: &Sha256Digest, predicate: EvidencePredicate) -> Self {
        Self {
            statement_type: STATEMENT_TYPE.to_string(),
            subject: vec![ResourceDescriptor {
                name: subject.to_string(),
                digest: BTreeMap::from([("sha256".to_string(), blob.to_hex())]),
            }],
            predicate_type: predicate.kind.predicate_type(),
            predicate,
        }
    }

    /// The single subject's name and sha256 digest, checking the statement's shape.
    pub fn subject_and_digest(&self) -> Result<(&str, Sha256Digest), String> {
        if self.statement_type != STATEMENT_TYPE {
            return Err(format!("statement _type is `{}`", self.statement_type));
        }
        if self.predicate_type != self.predicate.kind.predicate_type() {
            return Err(format!(
                "predicateType `{}` does not match kind `{}`",
                self.predicate_type, self.predicate.kind
            ));
        }
        let [subject] = &self.subject[..] else {
            return Err(format!(
                "statement has {} subjects, expected 1",
                self.subject.len()
            ));
        };
        let digest = subject
            .digest
            .get("sha256")
            .ok_or_else(|| "statement subject has no sha256 digest".to_string())?
            .parse()
            .map_err(|e: assay_core::DigestParseError| e.to_string())?;
        Ok((&subject.name, digest))
    }
}

/// Why an envelope is not a verified assay statement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("the envelope is {0} bytes, more than the {MAX_ENVELOPE_BYTES}-byte limit")]
    TooLarge(usize),
    #[error("the envelope is not valid DSSE JSON ({0})")]
    NotDsse(String),
    #[error("the envelope payloadType is `{0}`, not `{IN_TOTO_PAYLOAD_TYPE}`")]
    PayloadType(String),
    /// The payload, a signature or the statement inside is malformed.
    #[error("{0}")]
    Malformed(String),
    #[error(
        "signed by key id {0}, which is none of the trusted keys (untrusted issuer: add its key with `assay trust add NAME PUBKEY --role ROLE`)"
    )]
    UnknownKey(String),
    #[error(
        "the envelope signature by key id {0} does not verify: the statement or the signature was altered"
    )]
    BadSignature(String),
}

/// A statement whose envelope signature verified, with the key that signed it.
#[derive(Clone, Debug)]
pub struct VerifiedStatement {
    pub statement: Statement,
    /// The single subject's name, as signed.
    pub subject: String,
    /// The evidence blob's digest, as signed.
    pub digest: Sha256Digest,
    pub key_id: String,
    pub key: VerifyingKey,
}

/// Parses envelope bytes into the statement and the envelope, without checking signatures.
pub fn decode_envelope(bytes: &[u8]) -> Result<(Statement, Envelope), EnvelopeError> {
    if bytes.len() > MAX_ENVELOPE_BYTES {
        return Err(EnvelopeError::TooLarge(bytes.len()));
    }
    let env: Envelope =
        serde_json::from_slice(bytes).map_err(|e| EnvelopeError::NotDsse(e.to_string()))?;
    if env.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(EnvelopeError::PayloadType(assay_core::text::quote_short(
            &env.payload_type,
        )));
    }
    let payload = env.payload_bytes().map_err(EnvelopeError::Malformed)?;
    let st: Statement = serde_json::from_slice(&payload).map_err(|e| {
        EnvelopeError::Malformed(format!("payload is not an assay in-toto statement ({e})"))
    })?;
    Ok((st, env))
}

/// THE envelope check (bundle verification, import, `assess --check`): the bytes are a DSSE
/// envelope of an assay in-toto statement of the right shape, and one of its signatures
/// verifies with one of `keys` (matched by key id). Only then is the statement returned.
pub fn verify_envelope(
    bytes: &[u8],
    keys: &[VerifyingKey],
) -> Result<VerifiedStatement, EnvelopeError> {
    let (statement, env) = decode_envelope(bytes)?;
    let (subject, digest) = statement
        .subject_and_digest()
        .map_err(EnvelopeError::Malformed)?;
    let subject = subject.to_string();
    if env.signatures.is_empty() {
        return Err(EnvelopeError::Malformed(
            "the envelope has no signature".into(),
        ));
    }
    let payload = env.payload_bytes().map_err(EnvelopeError::Malformed)?;
    let message = pae(&env.payload_type, &payload);
    let mut bad = None;
    for s in &env.signatures {
        let Some(key) = keys.iter().find(|k| crate::keys::key_id(k) == s.keyid) else {
            continue;
        };
        let sig = B64
            .decode(&s.sig)
            .ok()
            .and_then(|raw| Signature::from_slice(&raw).ok());
        match sig {
            Some(sig) if key.verify(&message, &sig).is_ok() => {
                return Ok(VerifiedStatement {
                    statement,
                    subject,
                    digest,
                    key_id: s.keyid.clone(),
                    key: *key,
                });
            }
            _ => bad = Some(s.keyid.clone()),
        }
    }
    Err(match bad {
        Some(kid) => EnvelopeError::BadSignature(assay_core::text::quote_short(&kid)),
        None => EnvelopeError::UnknownKey(assay_core::text::quote_short(&env.signatures[0].keyid)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Verifier;

    #[test]
    fn pae_matches_the_dsse_spec_example() {
        // From the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn envelope_signature_covers_type_and_payload() {
        let key = SigningKey::from_bytes(&[1; 32]);
        let env = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, b"{}", "kid", &key);
        let (kid, sig) = env.first_signature().unwrap();
        assert_eq!(kid, "kid");
        let vk = key.verifying_key();
        assert!(vk.verify(&pae(IN_TOTO_PAYLOAD_TYPE, b"{}"), &sig).is_ok());
        assert!(vk.verify(&pae("text/plain", b"{}"), &sig).is_err());
    }

    fn statement_bytes() -> Vec<u8> {
        let st = Statement::new(
            "model-x",
            &Sha256Digest::of(b"blob"),
            EvidencePredicate {
                kind: EvidenceKind::EvalRun,
                file_name: "run.json".into(),
                size: 4,
                recorded_at: "2026-01-01T00:00:00Z".into(),
                meta: BTreeMap::new(),
            },
        );
        serde_json::to_vec(&st).unwrap()
    }

    #[test]
    fn verify_envelope_checks_key_signature_and_shape() {
        let key = SigningKey::from_bytes(&[5; 32]);
        let signer = crate::FileSigner::new("lab", key.clone());
        let vk = key.verifying_key();
        let env = Envelope::sign_with(IN_TOTO_PAYLOAD_TYPE, &statement_bytes(), &signer);
        let bytes = serde_json::to_vec(&env).unwrap();
        let ok = verify_envelope(&bytes, &[vk]).unwrap();
        assert_eq!(ok.subject, "model-x");
        assert_eq!(ok.digest, Sha256Digest::of(b"blob"));
        assert_eq!(ok.key_id, crate::keys::key_id(&vk));

        let other = SigningKey::from_bytes(&[6; 32]).verifying_key();
        assert!(matches!(
            verify_envelope(&bytes, &[other]),
            Err(EnvelopeError::UnknownKey(_))
        ));
        // Same key id, altered payload: the signature no longer verifies.
        let mut edited = env.clone();
        edited.payload = B64.encode(
            String::from_utf8(statement_bytes())
                .unwrap()
                .replace("model-x", "model-y"),
        );
        let edited = serde_json::to_vec(&edited).unwrap();
        assert!(matches!(
            verify_envelope(&edited, &[vk]),
            Err(EnvelopeError::BadSignature(_))
        ));
        assert!(matches!(
            verify_envelope(b"x", &[vk]),
            Err(EnvelopeError::NotDsse(_))
        ));
        let unsigned = Envelope {
            signatures: Vec::new(),
            ..env
        };
        let unsigned = serde_json::to_vec(&unsigned).unwrap();
        assert!(verify_envelope(&unsigned, &[vk]).is_err());
    }
}
