//! The embedded default: one SQLite database in WAL mode plus a blob directory.
//!
//! Small blobs (up to [`INLINE_BLOB_LIMIT`]) live inside the database so a batch of appends
//! costs one fsync, not one per file; larger blobs are files under `blobs/sha256/`, written to
//! a temporary name, fsynced and renamed before the transaction that refers to them commits.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use assay_core::{IssuerRole, Sha256Digest};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::{KeyRecord, LedgerStore, NewEntry, Result, StoreError, StoredCheckpoint, StoredEntry};

/// Blobs up to this size are stored inside the database.
pub const INLINE_BLOB_LIMIT: usize = 64 * 1024;

/// Version 2 added the indexes by subject and by leaf hash (see [`MIGRATIONS`]).
const SCHEMA_VERSION: i64 = 2;
const DB_FILE: &str = "assay.db";

const SCHEMA: &str = r#"
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE blobs(digest BLOB PRIMARY KEY, size INTEGER NOT NULL, data BLOB) WITHOUT ROWID;
CREATE TABLE entries(
    idx INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    blob_digest BLOB NOT NULL,
    envelope BLOB NOT NULL,
    leaf_hash BLOB NOT NULL,
    signer TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX entries_by_blob ON entries(blob_digest);
CREATE INDEX entries_by_subject ON entries(subject);
CREATE INDEX entries_by_leaf ON entries(leaf_hash);
CREATE TABLE checkpoints(size INTEGER PRIMARY KEY, root BLOB NOT NULL, note TEXT NOT NULL, frontier BLOB NOT NULL);
CREATE TABLE keys(name TEXT PRIMARY KEY, key_id TEXT NOT NULL, public_key BLOB NOT NULL, role TEXT, own INTEGER NOT NULL);
-- The log is append-only: refuse edits through SQL. `assay log verify` still checks
-- everything, since anyone with the file can drop these triggers.
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries BEGIN SELECT RAISE(ABORT, 'the evidence log is append-only'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries BEGIN SELECT RAISE(ABORT, 'the evidence log is append-only'); END;
"#;

/// Steps from one schema version to the next: `MIGRATIONS[i]` takes version `i + 1` to
/// `i + 2`. Each runs once, in the transaction that bumps `user_version`.
const MIGRATIONS: &[&str] = &[
    // 1 -> 2: evidence by subject (assess reads only its subject's envelopes) and envelopes
    // by leaf hash (importing the same envelope twice appends nothing). The subject column
    // already holds the signed statement's subject for every entry, so nothing to backfill.
    "CREATE INDEX IF NOT EXISTS entries_by_subject ON entries(subject);
     CREATE INDEX IF NOT EXISTS entries_by_leaf ON entries(leaf_hash);",
];

pub struct SqliteStore {
    conn: Connection,
    db_path: PathBuf,
    blob_dir: PathBuf,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("db_path", &self.db_path)
            .finish()
    }
}

impl SqliteStore {
    /// Creates a new store in `dir` (created if missing). Fails if a database is already there.
    pub fn create(dir: &Path) -> Result<Self> {
        fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let db_path = dir.join(DB_FILE);
        if db_path.exists() {
            return Err(StoreError::Corrupt {
                path: db_path.display().to_string(),
                detail: "a workspace database already exists here; refusing to overwrite it".into(),
            });
        }
        let conn = Connection::open(&db_path).map_err(|e| sql(&db_path, e))?;
        let store = Self::configure(conn, dir, db_path)?;
        store
            .conn
            .execute_batch(&format!(
                "BEGIN; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            ))
            .map_err(|e| sql(&store.db_path, e))?;
        Ok(store)
    }

    /// Opens the store in `dir`, checking that it is one of ours, and brings an older schema
    /// up to date.
    pub fn open(dir: &Path) -> Result<Self> {
        let db_path = dir.join(DB_FILE);
        if !db_path.is_file() {
            return Err(StoreError::NotAWorkspace {
                path: dir.display().to_string(),
                detail: format!("{} not found", db_path.display()),
            });
        }
        let conn = Connection::open_with_flags(
            &db_path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| open_error(&db_path, e))?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| open_error(&db_path, e))?;
        if !(1..=SCHEMA_VERSION).contains(&version) {
            return Err(StoreError::NotAWorkspace {
                path: db_path.display().to_string(),
                detail: format!("schema version {version}, this assay reads 1 to {SCHEMA_VERSION}"),
            });
        }
        let store = Self::configure(conn, dir, db_path)?;
        if version < SCHEMA_VERSION {
            store.migrate()?;
        }
        Ok(store)
    }

    /// Runs the pending [`MIGRATIONS`] in one write transaction (another process opening the
    /// same workspace at the same time waits, then finds nothing left to do).
    fn migrate(&self) -> Result<()> {
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Immediate,
        )
        .map_err(|e| sql(&self.db_path, e))?;
        let mut version: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| sql(&self.db_path, e))?;
        while version < SCHEMA_VERSION {
            tx.execute_batch(MIGRATIONS[(version - 1) as usize])
                .map_err(|e| sql(&self.db_path, e))?;
            version += 1;
        }
        tx.execute_batch(&format!("PRAGMA user_version = {version}"))
            .map_err(|e| sql(&self.db_path, e))?;
        tx.commit().map_err(|e| sql(&self.db_path, e))
    }

    fn configure(conn: Connection, dir: &Path, db_path: PathBuf) -> Result<Self> {
        // WAL with synchronous=FULL: a commit returns only after the WAL is fsynced, so an
        // acknowledged append survives a crash or power loss.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )
        .map_err(|e| sql(&db_path, e))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| sql(&db_path, e))?;
        Ok(Self {
            conn,
            blob_dir: dir.join("blobs").join("sha256"),
            db_path,
        })
    }

    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    fn blob_path(&self, digest: &Sha256Digest) -> PathBuf {
        let hex = digest.to_hex();
        self.blob_dir.join(&hex[..2]).join(&hex[2..])
    }

    fn write_blob_file(&self, digest: &Sha256Digest, data: &[u8]) -> Result<()> {
        let path = self.blob_path(digest);
        if path.is_file() {
            return Ok(());
        }
        let dir = path.parent().expect("blob path has a parent");
        fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let tmp = dir.join(format!(".{}.tmp-{}", digest.short(), std::process::id()));
        let mut f = fs::File::create(&tmp).map_err(|e| io(&tmp, e))?;
        f.write_all(data).map_err(|e| io(&tmp, e))?;
        f.sync_all().map_err(|e| io(&tmp, e))?;
        drop(f);
        fs::rename(&tmp, &path).map_err(|e| io(&path, e))?;
        // Make the rename itself durable.
        fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io(dir, e))?;
        Ok(())
    }

    fn query_checkpoints<P: rusqlite::Params>(
        &self,
        clause: &str,
        params: P,
    ) -> Result<Vec<StoredCheckpoint>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT size, root, note, frontier FROM checkpoints {clause}"
            ))
            .map_err(|e| sql(&self.db_path, e))?;
        let rows: Vec<(i64, Vec<u8>, String, Vec<u8>)> = stmt
            .query_map(params, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| sql(&self.db_path, e))?;
        rows.into_iter()
            .map(|(size, root, note, frontier)| {
                let root = hash32(root, "checkpoint root")
                    .map_err(|d| self.corrupt(format!("checkpoint {size}: {d}")))?;
                if frontier.len() % 32 != 0 {
                    return Err(self.corrupt(format!(
                        "checkpoint {size}: frontier is not a list of hashes"
                    )));
                }
                let frontier = frontier
                    .chunks_exact(32)
                    .map(|c| c.try_into().expect("chunks of 32"))
                    .collect();
                Ok(StoredCheckpoint {
                    size: size as u64,
                    root,
                    note,
                    frontier,
                })
            })
            .collect()
    }

    fn query_entries<P: rusqlite::Params>(
        &self,
        clause: &str,
        params: P,
    ) -> Result<Vec<StoredEntry>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT idx, kind, subject, blob_digest, envelope, leaf_hash, signer, recorded_at
                 FROM entries {clause} ORDER BY idx"
            ))
            .map_err(|e| sql(&self.db_path, e))?;
        let rows = stmt
            .query_map(params, |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                    r.get::<_, Vec<u8>>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                ))
            })
            .map_err(|e| sql(&self.db_path, e))?;
        let mut out = Vec::new();
        for row in rows {
            let (idx, kind, subject, blob, envelope, leaf, signer, recorded_at) =
                row.map_err(|e| sql(&self.db_path, e))?;
            let blob_digest = Sha256Digest(
                hash32(blob, "blob digest")
                    .map_err(|d| self.corrupt(format!("entry {idx}: {d}")))?,
            );
            let leaf_hash =
                hash32(leaf, "leaf hash").map_err(|d| self.corrupt(format!("entry {idx}: {d}")))?;
            out.push(StoredEntry {
                index: idx as u64,
                entry: NewEntry {
                    kind,
                    subject,
                    blob_digest,
                    envelope,
                    leaf_hash,
                    signer,
                    recorded_at,
                },
            });
        }
        Ok(out)
    }

    fn corrupt(&self, detail: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            path: self.db_path.display().to_string(),
            detail: detail.into(),
        }
    }
}

/// Maps a SQLite error; a full disk (SQLITE_FULL) becomes [`StoreError::DiskFull`].
pub(crate) fn sql(path: &Path, source: rusqlite::Error) -> StoreError {
    if source.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
        return disk_full(path);
    }
    StoreError::Sqlite {
        path: path.display().to_string(),
        source,
    }
}

/// Maps an error met while opening a database: only "this file is not a database" means it
/// is not a workspace; a full disk, a lock or a permission problem says so instead of
/// advising `assay init`.
fn open_error(path: &Path, source: rusqlite::Error) -> StoreError {
    if source.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) {
        return StoreError::NotAWorkspace {
            path: path.display().to_string(),
            detail: source.to_string(),
        };
    }
    sql(path, source)
}

/// Maps an I/O error; ENOSPC and EDQUOT become [`StoreError::DiskFull`].
pub(crate) fn io(path: &Path, source: std::io::Error) -> StoreError {
    if matches!(
        source.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    ) {
        return disk_full(path);
    }
    StoreError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn disk_full(path: &Path) -> StoreError {
    // Name the workspace folder rather than a file inside it.
    let folder = path
        .ancestors()
        .find(|p| p.join(DB_FILE).is_file())
        .unwrap_or(path);
    StoreError::DiskFull {
        path: folder.display().to_string(),
    }
}

fn hash32(bytes: Vec<u8>, what: &str) -> std::result::Result<[u8; 32], String> {
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| format!("{what} has {} bytes, expected 32", b.len()))
}

impl LedgerStore for SqliteStore {
    fn put_blobs(&self, blobs: &[(Sha256Digest, &[u8])]) -> Result<()> {
        for (digest, data) in blobs.iter().filter(|(_, d)| d.len() > INLINE_BLOB_LIMIT) {
            self.write_blob_file(digest, data)?;
        }
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| sql(&self.db_path, e))?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO blobs(digest, size, data) VALUES (?1, ?2, ?3)",
                )
                .map_err(|e| sql(&self.db_path, e))?;
            for (digest, data) in blobs {
                let inline = (data.len() <= INLINE_BLOB_LIMIT).then_some(*data);
                stmt.execute(params![&digest.0[..], data.len() as i64, inline])
                    .map_err(|e| sql(&self.db_path, e))?;
            }
        }
        tx.commit().map_err(|e| sql(&self.db_path, e))
    }

    fn get_blob(&self, digest: &Sha256Digest) -> Result<Option<Vec<u8>>> {
        let row: Option<Option<Vec<u8>>> = self
            .conn
            .prepare_cached("SELECT data FROM blobs WHERE digest = ?1")
            .and_then(|mut s| s.query_row([&digest.0[..]], |r| r.get(0)).optional())
            .map_err(|e| sql(&self.db_path, e))?;
        match row {
            None => Ok(None),
            Some(Some(data)) => Ok(Some(data)),
            Some(None) => {
                let path = self.blob_path(digest);
                match fs::read(&path) {
                    Ok(data) => Ok(Some(data)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(io(&path, e)),
                }
            }
        }
    }

    fn len(&self) -> Result<u64> {
        self.conn
            .query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM entries", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(|e| sql(&self.db_path, e))
    }

    fn append(
        &self,
        expected_size: u64,
        entries: &[NewEntry],
        checkpoint: &StoredCheckpoint,
    ) -> Result<()> {
        // IMMEDIATE takes the write lock up front so the size check and the inserts are atomic.
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Immediate,
        )
        .map_err(|e| sql(&self.db_path, e))?;
        let actual: i64 = tx
            .query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM entries", [], |r| {
                r.get(0)
            })
            .map_err(|e| sql(&self.db_path, e))?;
        if actual as u64 != expected_size {
            return Err(StoreError::Conflict {
                expected: expected_size,
                actual: actual as u64,
            });
        }
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO entries(idx, kind, subject, blob_digest, envelope, leaf_hash, signer, recorded_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(|e| sql(&self.db_path, e))?;
            for (i, e) in entries.iter().enumerate() {
                stmt.execute(params![
                    (expected_size + i as u64) as i64,
                    e.kind,
                    e.subject,
                    &e.blob_digest.0[..],
                    e.envelope,
                    &e.leaf_hash[..],
                    e.signer,
                    e.recorded_at,
                ])
                .map_err(|e| sql(&self.db_path, e))?;
            }
        }
        insert_checkpoint(&tx, checkpoint).map_err(|e| sql(&self.db_path, e))?;
        tx.commit().map_err(|e| sql(&self.db_path, e))
    }

    fn entries(&self, start: u64, end: u64) -> Result<Vec<StoredEntry>> {
        self.query_entries(
            "WHERE idx >= ?1 AND idx < ?2",
            params![start as i64, end.min(i64::MAX as u64) as i64],
        )
    }

    fn entries_for_subject(&self, subject: &str) -> Result<Vec<StoredEntry>> {
        self.query_entries("WHERE subject = ?1", params![subject])
    }

    fn find_by_leaf_hash(&self, leaf_hash: &[u8; 32]) -> Result<Vec<u64>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT idx FROM entries WHERE leaf_hash = ?1 ORDER BY idx")
            .map_err(|e| sql(&self.db_path, e))?;
        stmt.query_map(params![&leaf_hash[..]], |r| r.get::<_, i64>(0))
            .and_then(|rows| rows.map(|r| r.map(|i| i as u64)).collect())
            .map_err(|e| sql(&self.db_path, e))
    }

    fn snapshot<T, E: From<StoreError>>(
        &self,
        read: impl FnOnce() -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        if !self.conn.is_autocommit() {
            // Already inside a transaction: that one is the snapshot.
            return read();
        }
        // DEFERRED: the first SELECT inside pins the WAL snapshot; writers carry on.
        self.conn
            .execute_batch("BEGIN DEFERRED")
            .map_err(|e| E::from(sql(&self.db_path, e)))?;
        let out = read();
        // A read transaction: ending it either way loses nothing.
        let end = self
            .conn
            .execute_batch(if out.is_ok() { "COMMIT" } else { "ROLLBACK" });
        match (out, end) {
            (Ok(v), Ok(())) => Ok(v),
            (Ok(_), Err(e)) => Err(E::from(sql(&self.db_path, e))),
            (Err(e), _) => Err(e),
        }
    }

    fn leaf_hashes(&self, start: u64, end: u64) -> Result<Vec<[u8; 32]>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT idx, leaf_hash FROM entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
            )
            .map_err(|e| sql(&self.db_path, e))?;
        let rows = stmt
            .query_map(
                params![start as i64, end.min(i64::MAX as u64) as i64],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)),
            )
            .map_err(|e| sql(&self.db_path, e))?;
        let mut out = Vec::new();
        for row in rows {
            let (idx, leaf) = row.map_err(|e| sql(&self.db_path, e))?;
            out.push(
                hash32(leaf, "leaf hash").map_err(|d| self.corrupt(format!("entry {idx}: {d}")))?,
            );
        }
        Ok(out)
    }

    fn find_by_blob_prefix(&self, hex_prefix: &str) -> Result<Vec<u64>> {
        if hex_prefix.is_empty()
            || hex_prefix.len() > 64
            || !hex_prefix.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Ok(Vec::new());
        }
        // Digests are stored as 32 raw bytes: a hex prefix is the byte range from the prefix
        // padded with 0s to the prefix padded with fs.
        let bound = |pad: char| {
            let mut hex = hex_prefix.to_ascii_lowercase();
            while hex.len() < 64 {
                hex.push(pad);
            }
            hex::decode(hex).expect("64 hex digits")
        };
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT idx FROM entries WHERE blob_digest >= ?1 AND blob_digest <= ?2 ORDER BY idx",
            )
            .map_err(|e| sql(&self.db_path, e))?;
        stmt.query_map(params![bound('0'), bound('f')], |r| r.get::<_, i64>(0))
            .and_then(|rows| rows.map(|r| r.map(|i| i as u64)).collect())
            .map_err(|e| sql(&self.db_path, e))
    }

    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>> {
        Ok(self
            .query_checkpoints("ORDER BY size DESC LIMIT 1", [])?
            .pop())
    }

    fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>> {
        self.query_checkpoints("ORDER BY size", [])
    }

    fn checkpoint_at(&self, size: u64) -> Result<Option<StoredCheckpoint>> {
        Ok(self
            .query_checkpoints("WHERE size = ?1", [size as i64])?
            .pop())
    }

    fn entries_with_blobs(
        &self,
        start: u64,
        end: u64,
    ) -> Result<Vec<(StoredEntry, Option<Vec<u8>>)>> {
        // One query for entries and inline blobs; only large blobs are read from files.
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT e.idx, b.data, b.size FROM entries e LEFT JOIN blobs b ON b.digest = e.blob_digest
                 WHERE e.idx >= ?1 AND e.idx < ?2 ORDER BY e.idx",
            )
            .map_err(|e| sql(&self.db_path, e))?;
        let blobs: Vec<(i64, Option<Vec<u8>>, Option<i64>)> = stmt
            .query_map(
                params![start as i64, end.min(i64::MAX as u64) as i64],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .and_then(|rows| rows.collect())
            .map_err(|e| sql(&self.db_path, e))?;
        let entries = self.entries(start, end)?;
        if entries.len() != blobs.len() {
            return Err(self.corrupt("the log changed while it was being read"));
        }
        entries
            .into_iter()
            .zip(blobs)
            .map(|(e, (_, data, size))| {
                let blob = match (data, size) {
                    (Some(d), _) => Some(d),
                    (None, None) => None,
                    (None, Some(_)) => self.get_blob(&e.entry.blob_digest)?,
                };
                Ok((e, blob))
            })
            .collect()
    }

    fn put_checkpoint(&self, checkpoint: &StoredCheckpoint) -> Result<()> {
        insert_checkpoint(&self.conn, checkpoint).map_err(|e| sql(&self.db_path, e))
    }

    fn put_key(&self, key: &KeyRecord) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO keys(name, key_id, public_key, role, own) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(name) DO UPDATE SET key_id = ?2, public_key = ?3, role = ?4, own = ?5",
                params![
                    key.name,
                    key.key_id,
                    &key.public_key[..],
                    key.role.map(|r| r.as_str()),
                    key.own
                ],
            )
            .map(|_| ())
            .map_err(|e| sql(&self.db_path, e))
    }

    fn remove_key(&self, name: &str) -> Result<bool> {
        self.conn
            .execute("DELETE FROM keys WHERE name = ?1", [name])
            .map(|n| n > 0)
            .map_err(|e| sql(&self.db_path, e))
    }

    fn keys(&self) -> Result<Vec<KeyRecord>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT name, key_id, public_key, role, own FROM keys ORDER BY name")
            .map_err(|e| sql(&self.db_path, e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, bool>(4)?,
                ))
            })
            .map_err(|e| sql(&self.db_path, e))?;
        let mut out = Vec::new();
        for row in rows {
            let (name, key_id, pk, role, own) = row.map_err(|e| sql(&self.db_path, e))?;
            let public_key =
                hash32(pk, "public key").map_err(|d| self.corrupt(format!("key {name}: {d}")))?;
            let role = match role {
                None => None,
                Some(r) => Some(
                    r.parse::<IssuerRole>()
                        .map_err(|e| self.corrupt(format!("key {name}: {e}")))?,
                ),
            };
            out.push(KeyRecord {
                name,
                key_id,
                public_key,
                role,
                own,
            });
        }
        Ok(out)
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| sql(&self.db_path, e))
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2",
                params![key, value],
            )
            .map(|_| ())
            .map_err(|e| sql(&self.db_path, e))
    }
}

fn insert_checkpoint(conn: &Connection, cp: &StoredCheckpoint) -> rusqlite::Result<()> {
    let frontier: Vec<u8> = cp.frontier.iter().flatten().copied().collect();
    conn.execute(
        "INSERT OR IGNORE INTO checkpoints(size, root, note, frontier) VALUES (?1, ?2, ?3, ?4)",
        params![cp.size as i64, &cp.root[..], cp.note, frontier],
    )
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: u8) -> NewEntry {
        NewEntry {
            kind: "sbom".into(),
            subject: format!("s{i}"),
            blob_digest: Sha256Digest::of(&[i]),
            envelope: vec![i; 10],
            leaf_hash: [i; 32],
            signer: "abcd".into(),
            recorded_at: "2026-01-01T00:00:00Z".into(),
        }
    }

    fn cp(size: u64) -> StoredCheckpoint {
        StoredCheckpoint {
            size,
            root: [size as u8; 32],
            note: format!("note {size}"),
            frontier: vec![[1; 32], [2; 32]],
        }
    }

    #[test]
    fn append_read_and_conflict() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::create(dir.path()).unwrap();
        store.append(0, &[entry(0), entry(1)], &cp(2)).unwrap();
        assert_eq!(store.len().unwrap(), 2);
        assert_eq!(store.entry(1).unwrap().unwrap().entry, entry(1));
        assert_eq!(store.leaf_hashes(0, 2).unwrap(), vec![[0; 32], [1; 32]]);
        let err = store.append(1, &[entry(2)], &cp(3)).unwrap_err();
        assert!(matches!(
            err,
            StoreError::Conflict {
                expected: 1,
                actual: 2
            }
        ));
        assert_eq!(store.latest_checkpoint().unwrap().unwrap(), cp(2));
        let hex = Sha256Digest::of(&[1]).to_hex();
        assert_eq!(store.find_by_blob_prefix(&hex[..6]).unwrap(), vec![1]);
        drop(store);
        let store = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(store.len().unwrap(), 2);
    }

    #[test]
    fn blobs_inline_and_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::create(dir.path()).unwrap();
        let small = b"small".to_vec();
        let big = vec![7u8; INLINE_BLOB_LIMIT + 1];
        let (ds, db) = (Sha256Digest::of(&small), Sha256Digest::of(&big));
        store.put_blobs(&[(ds, &small), (db, &big)]).unwrap();
        store.put_blobs(&[(ds, &small)]).unwrap();
        assert_eq!(store.get_blob(&ds).unwrap().unwrap(), small);
        assert_eq!(store.get_blob(&db).unwrap().unwrap(), big);
        assert!(store.blob_path(&db).is_file());
        assert!(
            store
                .get_blob(&Sha256Digest::of(b"none"))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn log_rejects_sql_edits() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::create(dir.path()).unwrap();
        store.append(0, &[entry(0)], &cp(1)).unwrap();
        let err = store.conn.execute("DELETE FROM entries", []).unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
    }

    #[test]
    fn open_rejects_missing_and_foreign_files() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            SqliteStore::open(dir.path()).unwrap_err(),
            StoreError::NotAWorkspace { .. }
        ));
        fs::write(
            dir.path().join(DB_FILE),
            b"this is not sqlite at all, just text",
        )
        .unwrap();
        let err = SqliteStore::open(dir.path()).unwrap_err();
        assert!(matches!(err, StoreError::NotAWorkspace { .. }), "{err}");
    }

    #[test]
    fn lookups_by_subject_and_leaf_hash() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::create(dir.path()).unwrap();
        store
            .append(0, &[entry(0), entry(1), entry(0)], &cp(3))
            .unwrap();
        let s0: Vec<u64> = store
            .entries_for_subject("s0")
            .unwrap()
            .iter()
            .map(|e| e.index)
            .collect();
        assert_eq!(s0, vec![0, 2]);
        assert!(store.entries_for_subject("s").unwrap().is_empty());
        assert_eq!(store.find_by_leaf_hash(&[1; 32]).unwrap(), vec![1]);
        assert!(store.find_by_leaf_hash(&[9; 32]).unwrap().is_empty());
        // Both lookups use an index, not a scan of the log.
        for (q, want) in [
            (
                "SELECT idx FROM entries WHERE subject = 'x'",
                "entries_by_subject",
            ),
            (
                "SELECT idx FROM entries WHERE leaf_hash = x'00'",
                "entries_by_leaf",
            ),
        ] {
            let plan: String = store
                .conn
                .query_row(&format!("EXPLAIN QUERY PLAN {q}"), [], |r| r.get(3))
                .unwrap();
            assert!(plan.contains(want), "{plan}");
        }
    }

    #[test]
    fn version_1_workspaces_are_migrated_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::create(dir.path()).unwrap();
        store.append(0, &[entry(0), entry(1)], &cp(2)).unwrap();
        // Make it look like a workspace written by the previous release.
        store
            .conn
            .execute_batch(
                "DROP INDEX entries_by_subject; DROP INDEX entries_by_leaf; PRAGMA user_version = 1;",
            )
            .unwrap();
        drop(store);
        let store = SqliteStore::open(dir.path()).unwrap();
        let version: i64 = store
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let indexes: i64 = store
            .conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN ('entries_by_subject', 'entries_by_leaf')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(indexes, 2);
        assert_eq!(store.entries_for_subject("s1").unwrap()[0].index, 1);
        drop(store);
        // A newer schema than this build knows is refused, not silently used.
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.execute_batch("PRAGMA user_version = 99").unwrap();
        drop(conn);
        let err = SqliteStore::open(dir.path()).unwrap_err();
        assert!(err.to_string().contains("schema version 99"), "{err}");
    }

    #[test]
    fn a_snapshot_does_not_see_concurrent_appends() {
        let dir = tempfile::tempdir().unwrap();
        let reader = SqliteStore::create(dir.path()).unwrap();
        reader.append(0, &[entry(0)], &cp(1)).unwrap();
        let writer = SqliteStore::open(dir.path()).unwrap();
        let seen = reader
            .snapshot(|| -> Result<_> {
                let before = (reader.len()?, reader.latest_checkpoint()?.unwrap().size);
                writer.append(1, &[entry(1)], &cp(2)).unwrap();
                let after = (reader.len()?, reader.latest_checkpoint()?.unwrap().size);
                // Nested snapshots join the outer one.
                let nested = reader.snapshot(|| reader.len())?;
                Ok((before, after, nested))
            })
            .unwrap();
        assert_eq!(seen, ((1, 1), (1, 1), 1));
        assert_eq!(
            reader.len().unwrap(),
            2,
            "after the snapshot, the append shows"
        );
        // Without a snapshot the two reads straddle the append (the old race).
        let len = reader.len().unwrap();
        writer.append(2, &[entry(2)], &cp(3)).unwrap();
        assert_ne!(len, reader.latest_checkpoint().unwrap().unwrap().size);
    }

    #[test]
    fn a_full_disk_is_named_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::create(dir.path()).unwrap();
        // SQLITE_FULL, as SQLite reports it when a write finds no space.
        let full = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            Some("database or disk is full".into()),
        );
        let err = sql(store.db_path(), full);
        assert!(matches!(err, StoreError::DiskFull { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.contains("is full: free space and run the command again")
                && msg.contains(&dir.path().display().to_string())
                && !msg.contains("assay init"),
            "{msg}"
        );
        // ...also while opening: only "not a database" means "not a workspace".
        let full = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            None,
        );
        assert!(matches!(
            open_error(store.db_path(), full),
            StoreError::DiskFull { .. }
        ));
        let notadb = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_NOTADB),
            None,
        );
        assert!(matches!(
            open_error(store.db_path(), notadb),
            StoreError::NotAWorkspace { .. }
        ));
        // A real ENOSPC from the kernel: /dev/full refuses every write with it.
        #[cfg(target_os = "linux")]
        if let Ok(mut f) = fs::OpenOptions::new().write(true).open("/dev/full") {
            let e = f
                .write_all(&[0u8; 4096])
                .and_then(|_| f.flush())
                .unwrap_err();
            let err = io(Path::new("/dev/full"), e);
            assert!(matches!(err, StoreError::DiskFull { .. }), "{err:?}");
        }
    }
}
