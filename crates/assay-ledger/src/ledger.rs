//! The ledger: a workspace directory with a store, a `keys/` folder and the log's rules.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use assay_core::{IssuerRole, Sha256Digest};
use assay_store::{KeyRecord, LedgerStore, NewEntry, SqliteStore, StoreError, StoredCheckpoint};
use ed25519_dalek::VerifyingKey;
use rayon::prelude::*;
use serde::Serialize;

use crate::dsse::{Envelope, EvidencePredicate, IN_TOTO_PAYLOAD_TYPE, Statement};
use crate::keys::{self, check_key_name};
use crate::merkle::{self, Frontier, Hash};
use crate::note::Checkpoint;
use crate::signer::{FileSigner, Signer, check_registered};
use crate::{Appended, DEFAULT_KEY, EvidenceInput, EvidenceSummary, LedgerError, Result, io_err};

const META_ORIGIN: &str = "origin";
/// Conflicting appends (another process appended first) are retried this many times.
const APPEND_RETRIES: usize = 5;

/// A workspace's evidence log.
pub struct Ledger<S: LedgerStore = SqliteStore> {
    dir: PathBuf,
    store: S,
    origin: String,
    /// Signs checkpoints; `None`: the `default` key file under `keys/`.
    log_signer: Option<Box<dyn Signer>>,
}

impl<S: LedgerStore> std::fmt::Debug for Ledger<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("dir", &self.dir)
            .field("origin", &self.origin)
            .finish()
    }
}

/// One entry with its decoded statement.
#[derive(Clone, Debug, Serialize)]
pub struct EntryView {
    pub index: u64,
    pub kind: String,
    pub subject: String,
    pub blob_digest: Sha256Digest,
    #[serde(serialize_with = "crate::hex_hash")]
    pub leaf_hash: Hash,
    pub signer_key_id: String,
    pub signer_name: Option<String>,
    pub recorded_at: String,
    pub statement: Statement,
    #[serde(skip)]
    pub envelope_bytes: Vec<u8>,
}

/// Proof that entry `index` is in the tree of `size` entries whose root is `root`.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct InclusionProof {
    pub log_origin: String,
    pub index: u64,
    pub tree_size: u64,
    #[serde(with = "hex_hashes_one")]
    pub leaf_hash: Hash,
    #[serde(with = "hex_hashes_one")]
    pub root: Hash,
    #[serde(with = "hex_hashes")]
    pub hashes: Vec<Hash>,
}

impl InclusionProof {
    pub fn verify(&self) -> bool {
        merkle::verify_inclusion(
            self.index,
            self.tree_size,
            &self.leaf_hash,
            &self.hashes,
            &self.root,
        )
    }
}

/// Proof that the tree of `old_size` entries is a prefix of the tree of `new_size` entries.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ConsistencyProof {
    pub old_size: u64,
    pub new_size: u64,
    #[serde(with = "hex_hashes_one")]
    pub old_root: Hash,
    #[serde(with = "hex_hashes_one")]
    pub new_root: Hash,
    #[serde(with = "hex_hashes")]
    pub hashes: Vec<Hash>,
}

impl ConsistencyProof {
    pub fn verify(&self) -> bool {
        merkle::verify_consistency(
            self.old_size,
            self.new_size,
            &self.old_root,
            &self.new_root,
            &self.hashes,
        )
    }
}

pub(crate) mod hex_hashes_one {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(h: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(h))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = String::deserialize(d)?;
        let mut out = [0u8; 32];
        hex::decode_to_slice(&s, &mut out).map_err(serde::de::Error::custom)?;
        Ok(out)
    }
}

pub(crate) mod hex_hashes {
    use serde::{Deserialize, Deserializer, Serializer, ser::SerializeSeq};
    pub fn serialize<S: Serializer>(v: &[[u8; 32]], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for h in v {
            seq.serialize_element(&hex::encode(h))?;
        }
        seq.end()
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<[u8; 32]>, D::Error> {
        Vec::<String>::deserialize(d)?
            .into_iter()
            .map(|s| {
                let mut out = [0u8; 32];
                hex::decode_to_slice(&s, &mut out).map_err(serde::de::Error::custom)?;
                Ok(out)
            })
            .collect()
    }
}

impl Ledger<SqliteStore> {
    /// Creates a workspace in `dir`: database, blob store, `keys/` and the default key.
    pub fn init(dir: &Path) -> Result<Self> {
        if dir.join("assay.db").exists() {
            return Err(LedgerError::Input(format!(
                "{} is already an assay workspace; use it as it is, or choose another --workspace",
                dir.display()
            )));
        }
        let store = SqliteStore::create(dir)?;
        fs::create_dir_all(dir.join("keys")).map_err(|e| io_err(&dir.join("keys"), e))?;
        let mut random = [0u8; 8];
        getrandom::fill(&mut random)
            .map_err(|e| LedgerError::Input(format!("no secure randomness available: {e}")))?;
        let origin = format!("assay.local/log/{}", hex::encode(random));
        store.set_meta(META_ORIGIN, &origin)?;
        let ledger = Self {
            dir: dir.to_path_buf(),
            store,
            origin,
            log_signer: None,
        };
        ledger.new_key(DEFAULT_KEY)?;
        // Seal the empty log so that even a log with no evidence has a signed state.
        let cp = ledger.seal(&Frontier::new())?;
        ledger.store.put_checkpoint(&cp)?;
        Ok(ledger)
    }

    /// Opens the workspace in `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        let store = SqliteStore::open(dir)?;
        Self::with_store(dir, store)
    }
}

impl<S: LedgerStore> Ledger<S> {
    /// A ledger over any store; `dir` holds the `keys/` folder.
    pub fn with_store(dir: &Path, store: S) -> Result<Self> {
        let origin = store.meta(META_ORIGIN)?.ok_or_else(|| {
            LedgerError::Corrupt(
                "the database has no log origin; was it created by `assay init`?".into(),
            )
        })?;
        Ok(Self {
            dir: dir.to_path_buf(),
            store,
            origin,
            log_signer: None,
        })
    }

    /// Signs checkpoints with `signer` instead of the `keys/default.key` file (a server keeps
    /// its log key outside the workspace folder). Its public key must be the one registered
    /// as `default`.
    pub fn set_log_signer(&mut self, signer: Box<dyn Signer>) -> Result<()> {
        check_registered(signer.as_ref(), &self.key_record(DEFAULT_KEY)?)?;
        self.log_signer = Some(signer);
        Ok(())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    fn keys_dir(&self) -> PathBuf {
        self.dir.join("keys")
    }

    // ---- keys and trust ----

    /// Generates a signing key `name` (private key file mode 0600) and registers its public key.
    pub fn new_key(&self, name: &str) -> Result<KeyRecord> {
        check_key_name(name)?;
        if self.store.keys()?.iter().any(|k| k.name == name) {
            return Err(LedgerError::Input(format!(
                "a key named `{name}` already exists; pick another name"
            )));
        }
        // A new own key speaks for the same organisation: it gets the declared role.
        let role = self.own_role()?;
        let key = keys::generate()?;
        let path = keys::private_key_path(&self.keys_dir(), name);
        keys::write_private_key(&path, &key)?;
        let vk = key.verifying_key();
        let record = KeyRecord {
            name: name.to_string(),
            key_id: keys::key_id(&vk),
            public_key: vk.to_bytes(),
            role,
            own: true,
        };
        self.store.put_key(&record)?;
        Ok(record)
    }

    /// The role this workspace's organisation declared for itself ([`Ledger::set_own_role`]),
    /// held by its own keys; `None` when none was declared.
    pub fn own_role(&self) -> Result<Option<IssuerRole>> {
        Ok(self
            .store
            .keys()?
            .into_iter()
            .filter(|k| k.own)
            .find_map(|k| k.role))
    }

    /// Declares the role of this workspace's own organisation (a manufacturer, a developer):
    /// evidence its own keys sign then counts as from that role, so a developer's own eval
    /// report is "from the developer". A third-party role (lab, reviewer) is refused: evidence
    /// a workspace signs itself is never third-party evidence.
    pub fn set_own_role(&self, role: IssuerRole) -> Result<()> {
        if role.is_third_party() {
            return Err(LedgerError::Input(format!(
                "a workspace cannot declare itself a {role}: evidence signed by its own keys is never third-party evidence (a key is never its own third party); declare manufacturer or developer, and have the {role} sign with its own key for you to trust"
            )));
        }
        for mut k in self.store.keys()?.into_iter().filter(|k| k.own) {
            k.role = Some(role);
            self.store.put_key(&k)?;
        }
        Ok(())
    }

    pub fn keys(&self) -> Result<Vec<KeyRecord>> {
        Ok(self.store.keys()?)
    }

    fn key_record(&self, name: &str) -> Result<KeyRecord> {
        self.store
            .keys()?
            .into_iter()
            .find(|k| k.name == name)
            .ok_or_else(|| {
                LedgerError::NotFound(format!("no key named `{name}`; see `assay key list`"))
            })
    }

    /// The verifier key line (`NAME+HASH+BASE64`) of a known key.
    pub fn export_key(&self, name: &str) -> Result<String> {
        let rec = self.key_record(name)?;
        let vk = verifying_key(&rec)?;
        Ok(keys::verifier_key(&rec.name, &vk))
    }

    /// Loads the private key file `keys/NAME.key` and checks it is the one registered under
    /// `name`.
    pub fn file_signer(&self, name: &str) -> Result<FileSigner> {
        check_key_name(name)?;
        let rec = self.key_record(name)?;
        if !rec.own {
            return Err(LedgerError::Input(format!(
                "`{name}` is a trusted issuer's public key; this workspace cannot sign with it"
            )));
        }
        let signer = FileSigner::load(&self.keys_dir(), name)?;
        if signer.public_key().to_bytes() != rec.public_key {
            return Err(LedgerError::Input(format!(
                "wrong key: keys/{name}.key does not match the public key registered as `{name}`; restore the original key file"
            )));
        }
        Ok(signer)
    }

    /// Trusts `public_key` (verifier key line or base64) as issuer `name` with `role`.
    pub fn trust(&self, name: &str, public_key: &str, role: IssuerRole) -> Result<KeyRecord> {
        check_key_name(name)?;
        let parsed = keys::parse_public_key(public_key).map_err(LedgerError::Input)?;
        let existing = self.store.keys()?;
        if let Some(k) = existing.iter().find(|k| k.name == name && k.own) {
            return Err(LedgerError::Input(format!(
                "`{}` is one of this workspace's own keys; trust a lab's key under another name",
                k.name
            )));
        }
        let record = KeyRecord {
            name: name.to_string(),
            key_id: keys::key_id(&parsed.key),
            public_key: parsed.key.to_bytes(),
            role: Some(role),
            own: false,
        };
        // A key is never its own third party, and one key holds one name and one role: trusting
        // this workspace's own key, or a key already trusted, under another name or role would
        // let one signer vouch for itself in a role it does not hold.
        if let Some(k) = existing.iter().find(|k| k.key_id == record.key_id) {
            if k.own {
                return Err(LedgerError::Input(format!(
                    "this is this workspace's own key `{}` (key id {}): a key is never its own third party, so it cannot be trusted as {role}; evidence it signs counts as this workspace's own (declare your organisation's role with `assay key role manufacturer|developer`)",
                    k.name, k.key_id
                )));
            }
            if k.name == name && k.role == Some(role) {
                return Ok(k.clone());
            }
            return Err(LedgerError::Input(format!(
                "this public key is already trusted as `{}` ({}); one key holds one name and one role: `assay trust remove {}` first if that was a mistake",
                k.name,
                k.role.map_or("no role", |r| r.as_str()),
                k.name
            )));
        }
        if let Some(k) = existing.iter().find(|k| k.name == name) {
            return Err(LedgerError::Input(format!(
                "`{name}` is already trusted with another key (key id {}); `assay trust remove {name}` first to replace it",
                k.key_id
            )));
        }
        self.store.put_key(&record)?;
        Ok(record)
    }

    /// Removes a trusted issuer. Own keys cannot be removed this way.
    pub fn untrust(&self, name: &str) -> Result<()> {
        let rec = self.key_record(name)?;
        if rec.own {
            return Err(LedgerError::Input(format!(
                "`{name}` is one of this workspace's own keys, not a trusted issuer"
            )));
        }
        self.store.remove_key(name)?;
        Ok(())
    }

    // ---- appending ----

    /// Signs `items` with the key file `keys/KEY_NAME.key` and appends them as one batch: all
    /// or nothing.
    pub fn add(&self, items: &[EvidenceInput], key_name: &str) -> Result<Vec<Appended>> {
        let signer = self.file_signer(key_name)?;
        self.add_signed(items, &signer)
    }

    /// Signs `items` with `signer` (registered as one of this workspace's own keys under its
    /// name) and appends them as one batch: all or nothing.
    ///
    /// The file name recorded in each statement is [`assay_core::safe_file_name`] of the
    /// input's base name: bounded and free of separators, control and bidi characters, so a
    /// hostile or overlong name cannot reach any later reader of the statement.
    pub fn add_signed(
        &self,
        items: &[EvidenceInput],
        signer: &dyn Signer,
    ) -> Result<Vec<Appended>> {
        check_registered(signer, &self.key_record(signer.name())?)?;
        for item in items {
            if item.subject.trim().is_empty() {
                return Err(LedgerError::Input(format!(
                    "{}: the subject is empty; name the product, model or SKU the evidence is about",
                    assay_core::text::quote_short(&item.file_name)
                )));
            }
        }
        let recorded_at = now_rfc3339();
        let digests: Vec<Sha256Digest> = items
            .par_iter()
            .map(|i| Sha256Digest::of(&i.bytes))
            .collect();
        let blobs: Vec<(Sha256Digest, &[u8])> = digests
            .iter()
            .zip(items)
            .map(|(d, i)| (*d, i.bytes.as_slice()))
            .collect();
        self.store.put_blobs(&blobs)?;
        let key_id = signer.key_id();
        // Signing is the expensive part: do it on every core.
        let entries: Vec<NewEntry> = items
            .par_iter()
            .zip(digests.par_iter())
            .map(|(item, digest)| {
                let statement = Statement::new(
                    &item.subject,
                    digest,
                    EvidencePredicate {
                        kind: item.kind,
                        file_name: recorded_file_name(&item.file_name),
                        size: item.bytes.len() as u64,
                        recorded_at: recorded_at.clone(),
                        meta: item.meta.clone(),
                    },
                );
                let payload = serde_json::to_vec(&statement).expect("statements always serialise");
                let envelope = Envelope::sign_with(IN_TOTO_PAYLOAD_TYPE, &payload, signer);
                let envelope = serde_json::to_vec(&envelope).expect("envelopes always serialise");
                NewEntry {
                    kind: item.kind.to_string(),
                    subject: item.subject.clone(),
                    blob_digest: *digest,
                    leaf_hash: merkle::leaf_hash(&envelope),
                    envelope,
                    signer: key_id.clone(),
                    recorded_at: recorded_at.clone(),
                }
            })
            .collect();
        self.append_entries(entries)
    }

    /// Appends prepared entries with a new signed checkpoint, retrying if another writer won
    /// the race (the entries do not depend on their position, so retrying is safe).
    pub(crate) fn append_entries(&self, entries: Vec<NewEntry>) -> Result<Vec<Appended>> {
        let mut attempt = 0;
        loop {
            let frontier = self.frontier()?;
            let start = frontier.size();
            let mut next = frontier;
            for e in &entries {
                next.push(e.leaf_hash);
            }
            let checkpoint = self.seal(&next)?;
            match self.store.append(start, &entries, &checkpoint) {
                Ok(()) => {
                    return Ok(entries
                        .iter()
                        .enumerate()
                        .map(|(i, e)| Appended {
                            index: start + i as u64,
                            blob_digest: e.blob_digest,
                            leaf_hash: e.leaf_hash,
                        })
                        .collect());
                }
                Err(StoreError::Conflict { .. }) if attempt < APPEND_RETRIES => attempt += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The frontier of the current tree, from the latest checkpoint when it covers the whole
    /// log (the normal case), else recomputed from the leaves.
    fn frontier(&self) -> Result<Frontier> {
        // One snapshot: the size and the checkpoint must describe the same log.
        self.store.snapshot(|| {
            let len = self.store.len()?;
            if let Some(cp) = self.store.latest_checkpoint()?
                && cp.size == len
                && let Some(f) = Frontier::from_parts(cp.size, cp.frontier)
            {
                return Ok(f);
            }
            let mut f = Frontier::new();
            for leaf in self.store.leaf_hashes(0, len)? {
                f.push(leaf);
            }
            Ok(f)
        })
    }

    /// Signs a checkpoint for the tree described by `frontier` with the log key.
    fn seal(&self, frontier: &Frontier) -> Result<StoredCheckpoint> {
        let file_signer;
        let signer: &dyn Signer = match &self.log_signer {
            Some(s) => s.as_ref(),
            None => {
                file_signer = self.file_signer(DEFAULT_KEY)?;
                &file_signer
            }
        };
        let root = frontier.root();
        let cp = Checkpoint {
            origin: self.origin.clone(),
            size: frontier.size(),
            root,
        };
        Ok(StoredCheckpoint {
            size: frontier.size(),
            root,
            note: cp.sign_with(DEFAULT_KEY, signer),
            frontier: frontier.roots().to_vec(),
        })
    }

    // ---- reading ----

    pub fn len(&self) -> Result<u64> {
        Ok(self.store.len()?)
    }

    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Resolves an entry id: a decimal index, or a prefix (at least 6 hex digits) of the blob
    /// digest.
    pub fn resolve(&self, id: &str) -> Result<u64> {
        let len = self.len()?;
        if let Ok(index) = id.parse::<u64>() {
            if index < len {
                return Ok(index);
            }
            if id.len() < 6 {
                return Err(LedgerError::NotFound(format!(
                    "no entry {index}: the log has {len} entries (0..{})",
                    len.saturating_sub(1)
                )));
            }
        }
        let prefix = id.strip_prefix("sha256:").unwrap_or(id);
        if prefix.len() < 6 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(LedgerError::NotFound(format!(
                "`{id}` is neither an entry index nor a digest prefix of at least 6 hex digits"
            )));
        }
        match self.store.find_by_blob_prefix(prefix)?[..] {
            [] => Err(LedgerError::NotFound(format!(
                "no evidence with a digest starting `{prefix}`"
            ))),
            [one] => Ok(one),
            ref many => Err(LedgerError::NotFound(format!(
                "`{prefix}` matches {} entries ({}); give more digits or an index",
                many.len(),
                many.iter()
                    .take(5)
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// Indexes of the entries about the blob with this digest.
    pub fn entries_for_blob(&self, digest: &Sha256Digest) -> Result<Vec<u64>> {
        Ok(self.store.find_by_blob_prefix(&digest.to_hex())?)
    }

    fn key_names(&self) -> Result<HashMap<String, KeyRecord>> {
        Ok(self
            .store
            .keys()?
            .into_iter()
            .map(|k| (k.key_id.clone(), k))
            .collect())
    }

    pub fn entry(&self, index: u64) -> Result<EntryView> {
        let stored = self
            .store
            .entry(index)?
            .ok_or_else(|| LedgerError::NotFound(format!("no entry {index}")))?;
        let keys = self.key_names()?;
        let (statement, _) = decode_envelope(&stored.entry.envelope).map_err(|e| {
            LedgerError::Corrupt(format!("entry {index}: {e}; run `assay log verify`"))
        })?;
        Ok(EntryView {
            index,
            kind: stored.entry.kind.clone(),
            subject: stored.entry.subject.clone(),
            blob_digest: stored.entry.blob_digest,
            leaf_hash: stored.entry.leaf_hash,
            signer_name: keys.get(&stored.entry.signer).map(|k| k.name.clone()),
            signer_key_id: stored.entry.signer.clone(),
            recorded_at: stored.entry.recorded_at.clone(),
            statement,
            envelope_bytes: stored.entry.envelope,
        })
    }

    /// Every entry as the rules engine sees it, decoded from the signed statements.
    pub fn summaries(&self) -> Result<Vec<EvidenceSummary>> {
        let keys = self.key_names()?;
        let len = self.len()?;
        let mut out = Vec::with_capacity(len as usize);
        const CHUNK: u64 = 20_000;
        let mut start = 0;
        while start < len {
            let end = (start + CHUNK).min(len);
            let entries = self.store.entries(start, end)?;
            let decoded: Vec<Result<EvidenceSummary>> =
                entries.par_iter().map(|e| summarize(e, &keys)).collect();
            for d in decoded {
                out.push(d?);
            }
            start = end;
        }
        Ok(out)
    }

    /// The evidence about `subject` (exactly as signed), in log order: an index lookup that
    /// decodes only that subject's envelopes, not the whole log.
    ///
    /// The lookup uses the database's subject column; each envelope found is decoded and its
    /// signed subject must equal `subject`, else the row was edited and the answer is an
    /// error pointing to `assay log verify` (which also finds rows moved *away* from a
    /// subject).
    pub fn evidence_for_subject(&self, subject: &str) -> Result<Vec<EvidenceSummary>> {
        let keys = self.key_names()?;
        let entries = self.store.entries_for_subject(subject)?;
        let decoded: Vec<Result<EvidenceSummary>> =
            entries.par_iter().map(|e| summarize(e, &keys)).collect();
        let mut out = Vec::with_capacity(decoded.len());
        for d in decoded {
            let d = d?;
            if d.subject != subject {
                return Err(LedgerError::Corrupt(format!(
                    "entry {}: the database row names subject {} but the signed statement names {}; run `assay log verify`",
                    d.index,
                    assay_core::text::quote_short(subject),
                    assay_core::text::quote_short(&d.subject)
                )));
            }
            out.push(d);
        }
        Ok(out)
    }

    pub fn blob(&self, digest: &Sha256Digest) -> Result<Vec<u8>> {
        self.store.get_blob(digest)?.ok_or_else(|| {
            LedgerError::NotFound(format!(
                "blob {digest} is missing from the store; run `assay log verify`"
            ))
        })
    }

    /// The latest signed checkpoint (text of the signed note) and its size.
    pub fn checkpoint(&self) -> Result<StoredCheckpoint> {
        let (len, latest) = self.store.snapshot(|| {
            Ok::<_, StoreError>((self.store.len()?, self.store.latest_checkpoint()?))
        })?;
        match latest {
            Some(cp) if cp.size == len => Ok(cp),
            _ => {
                // A log extended without a checkpoint (should not happen through this crate):
                // seal it now so the answer always covers every entry.
                let cp = self.seal(&self.frontier()?)?;
                self.store.put_checkpoint(&cp)?;
                Ok(cp)
            }
        }
    }

    /// Inclusion proof for entry `index` against the latest checkpoint.
    pub fn prove(&self, index: u64) -> Result<InclusionProof> {
        self.prove_against(index, &self.checkpoint()?)
    }

    /// Inclusion proof for entry `index` against the checkpoint `cp` (one this log signed).
    pub fn prove_against(&self, index: u64, cp: &StoredCheckpoint) -> Result<InclusionProof> {
        if index >= cp.size {
            return Err(LedgerError::NotFound(format!(
                "no entry {index}: the log has {} entries",
                cp.size
            )));
        }
        let leaves = self.store.leaf_hashes(0, cp.size)?;
        let hashes = merkle::inclusion_proof(index as usize, &leaves)
            .ok_or_else(|| LedgerError::Corrupt("the log is shorter than its checkpoint".into()))?;
        Ok(InclusionProof {
            log_origin: self.origin.clone(),
            index,
            tree_size: cp.size,
            leaf_hash: leaves[index as usize],
            root: cp.root,
            hashes,
        })
    }

    /// Consistency proof from the tree of `old_size` entries to the latest checkpoint.
    pub fn consistency(&self, old_size: u64) -> Result<ConsistencyProof> {
        let cp = self.checkpoint()?;
        if old_size == 0 || old_size > cp.size {
            return Err(LedgerError::Input(format!(
                "OLD_SIZE must be between 1 and the log size {}",
                cp.size
            )));
        }
        let leaves = self.store.leaf_hashes(0, cp.size)?;
        let hashes = merkle::consistency_proof(old_size as usize, &leaves)
            .ok_or_else(|| LedgerError::Corrupt("the log is shorter than its checkpoint".into()))?;
        Ok(ConsistencyProof {
            old_size,
            new_size: cp.size,
            old_root: merkle::root_of(&leaves[..old_size as usize]),
            new_root: cp.root,
            hashes,
        })
    }

    pub(crate) fn verifying_keys(&self) -> Result<HashMap<String, (KeyRecord, VerifyingKey)>> {
        self.store
            .keys()?
            .into_iter()
            .map(|k| {
                let vk = verifying_key(&k)?;
                Ok((k.key_id.clone(), (k, vk)))
            })
            .collect()
    }

    /// The log key's public half.
    pub fn log_key(&self) -> Result<VerifyingKey> {
        verifying_key(&self.key_record(DEFAULT_KEY)?)
    }
}

pub(crate) fn verifying_key(rec: &KeyRecord) -> Result<VerifyingKey> {
    VerifyingKey::from_bytes(&rec.public_key).map_err(|_| {
        LedgerError::Corrupt(format!(
            "key `{}` is not a valid Ed25519 public key",
            rec.name
        ))
    })
}

/// Parses envelope bytes into the statement and the envelope (no signature check).
pub(crate) fn decode_envelope(bytes: &[u8]) -> std::result::Result<(Statement, Envelope), String> {
    crate::dsse::decode_envelope(bytes).map_err(|e| e.to_string())
}

/// One stored entry as the rules engine sees it, decoded from its signed statement.
fn summarize(
    e: &assay_store::StoredEntry,
    keys: &HashMap<String, KeyRecord>,
) -> Result<EvidenceSummary> {
    let (st, _) = decode_envelope(&e.entry.envelope).map_err(|why| {
        LedgerError::Corrupt(format!("entry {}: {why}; run `assay log verify`", e.index))
    })?;
    let key = keys.get(&e.entry.signer);
    let (subject, digest) = st
        .subject_and_digest()
        .map_err(|why| LedgerError::Corrupt(format!("entry {}: {why}", e.index)))?;
    Ok(EvidenceSummary {
        index: e.index,
        kind: st.predicate.kind,
        subject: subject.to_string(),
        blob_digest: digest,
        file_name: st.predicate.file_name.clone(),
        signer_name: key.map(|k| k.name.clone()),
        signer_key_id: e.entry.signer.clone(),
        signer_role: key.and_then(|k| k.role),
        signer_is_own: key.is_some_and(|k| k.own),
        recorded_at: st.predicate.recorded_at.clone(),
        meta: st.predicate.meta,
    })
}

/// The file name a new statement records: the base name of the local path, reduced by
/// [`assay_core::safe_file_name`] (a plain name like `report.pdf` passes unchanged).
pub(crate) fn recorded_file_name(name: &str) -> String {
    let base = Path::new(name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| name.to_string());
    assay_core::safe_file_name(&base)
}

pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
