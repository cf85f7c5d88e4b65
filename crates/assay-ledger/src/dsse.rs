//! DSSE envelopes (Dead Simple Signing Envelope, v1) carrying in-toto Statement v1 payloads.
//!
//! The signature covers the pre-authentication encoding
//! `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, never the JSON around it, so the
//! envelope's own serialisation cannot be used to smuggle a different payload type.

use std::collections::BTreeMap;

use assay_core::{EvidenceKind, Sha256Digest};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer, SigningKey};
use serde::{Deserialize, Serialize};

pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";

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
}
