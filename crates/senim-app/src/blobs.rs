//! The data library's files: resumable uploads staged on local disk, and
//! the blob storage (through `object_store`) where every file lives once,
//! under its SHA-256.
//!
//! An upload is declared first (name, size, SHA-256), then its bytes arrive
//! in chunks appended at the offset the server reports, as in the tus
//! protocol: a chunk that starts anywhere but at the current end is refused
//! and the client resumes from the server's offset. When the last byte
//! arrives the server hashes the staged file; a mismatch deletes it, a match
//! moves it into the storage (or drops it when those bytes are already
//! stored) and only then does the file become a resource. Nothing partial is
//! ever visible.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::ops::Range;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Mutex;

use futures::stream::BoxStream;
use futures::StreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use senim_domain::dataset::{Column, ColumnType, TableSchema};
use senim_domain::{AccountId, DatasetId, Timestamp};

/// A declared upload, kept beside its staged bytes (`<id>.json`, `<id>.part`).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Upload {
    pub id: String,
    pub dataset_id: DatasetId,
    pub account_id: AccountId,
    pub name: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
    pub created_at: Timestamp,
}

/// Why an upload or a read failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("no such upload")]
    NoUpload,
    #[error("another request is writing this upload; try again")]
    Busy,
    #[error(
        "the chunk starts at {given}, but the upload has {current} bytes: resume from {current}"
    )]
    WrongOffset { given: u64, current: u64 },
    #[error("the chunk goes beyond the declared size of {size} bytes")]
    TooLong { size: u64 },
    #[error(
        "the file's SHA-256 is {actual}, not the declared {declared}: the upload was discarded"
    )]
    Checksum { declared: String, actual: String },
    #[error("no such file in the storage")]
    Missing,
    #[error("the file did not arrive whole: the connection broke off")]
    Broken,
    #[error("the file is empty")]
    Empty,
    #[error("storage: {0}")]
    Io(#[from] std::io::Error),
    #[error("storage: {0}")]
    Store(#[from] object_store::Error),
}

/// Staging and storage of one installation.
pub struct Blobs {
    /// Where stored files live: a directory, or an S3-compatible bucket.
    storage: Storage,
    staging: PathBuf,
    busy: Mutex<HashSet<String>>,
    /// The SHA-256 of each upload's bytes so far, kept while this process
    /// receives them, so the last chunk needs no second pass over the file.
    /// After a restart (or a refused chunk) the check re-reads the file.
    hashing: Mutex<HashMap<String, (u64, Sha256)>>,
}

fn key(sha256: &str) -> Path {
    Path::from(format!(
        "sha256/{}/{sha256}",
        &sha256[..2.min(sha256.len())]
    ))
}

/// Marks an upload as being written until dropped.
struct Writing<'a> {
    blobs: &'a Blobs,
    id: String,
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        if let Ok(mut busy) = self.blobs.busy.lock() {
            busy.remove(&self.id);
        }
    }
}

/// The storage behind the library: both through `object_store`; a local
/// directory also lets a finished upload be renamed into place.
enum Storage {
    /// The directory, and its `object_store` view (made at first use, when
    /// the directory is created, then kept).
    Local(PathBuf, std::sync::OnceLock<LocalFileSystem>),
    S3(Box<object_store::aws::AmazonS3>),
}

/// Parts of a file sent to S3 at once (each [`S3_PART`] bytes).
const S3_PARTS_IN_FLIGHT: usize = 4;
/// The size of one part of a multipart upload to S3 (at least 5 MiB).
const S3_PART: usize = 16 << 20;

impl Blobs {
    /// Files under `<data_dir>/library`, uploads staged in `<data_dir>/uploads`.
    pub fn new(data_dir: &FsPath) -> Blobs {
        Blobs::with_storage(
            data_dir,
            Storage::Local(data_dir.join("library"), std::sync::OnceLock::new()),
        )
    }

    /// The storage the configuration names: its S3 bucket if it has one,
    /// else `<data_dir>/library`. Uploads are staged in `<data_dir>/uploads`
    /// either way.
    pub fn from_config(config: &crate::Config) -> Result<Blobs, BlobError> {
        let Some(s3) = &config.s3 else {
            return Ok(Blobs::new(&config.data_dir));
        };
        let mut builder = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(&s3.bucket)
            .with_region(&s3.region)
            .with_allow_http(s3.allow_http)
            .with_virtual_hosted_style_request(false);
        if let Some(endpoint) = &s3.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(key) = &s3.access_key_id {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = &s3.secret_access_key {
            builder = builder.with_secret_access_key(secret.expose());
        }
        Ok(Blobs::with_storage(
            &config.data_dir,
            Storage::S3(Box::new(builder.build()?)),
        ))
    }

    fn with_storage(data_dir: &FsPath, storage: Storage) -> Blobs {
        Blobs {
            storage,
            staging: data_dir.join("uploads"),
            busy: Mutex::new(HashSet::new()),
            hashing: Mutex::new(HashMap::new()),
        }
    }

    /// Where files are kept, in words (for the start-up message).
    pub fn describe(&self) -> String {
        match &self.storage {
            Storage::Local(root, _) => root.display().to_string(),
            Storage::S3(s3) => s3.to_string(),
        }
    }

    fn store(&self) -> Result<&dyn ObjectStore, BlobError> {
        match &self.storage {
            Storage::Local(root, made) => {
                if let Some(local) = made.get() {
                    return Ok(local);
                }
                std::fs::create_dir_all(root)?;
                let local = LocalFileSystem::new_with_prefix(root)?;
                Ok(made.get_or_init(|| local))
            }
            Storage::S3(s3) => Ok(s3.as_ref()),
        }
    }

    fn paths(&self, id: &str) -> Result<(PathBuf, PathBuf), BlobError> {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(BlobError::NoUpload);
        }
        Ok((
            self.staging.join(format!("{id}.json")),
            self.staging.join(format!("{id}.part")),
        ))
    }

    /// Marks the upload as being worked on, or says another request is.
    fn writing(&self, id: &str) -> Result<Writing<'_>, BlobError> {
        let mut busy = self.busy.lock().map_err(|_| BlobError::Busy)?;
        if !busy.insert(id.to_string()) {
            return Err(BlobError::Busy);
        }
        Ok(Writing {
            blobs: self,
            id: id.to_string(),
        })
    }

    /// Declares an upload; its staged file starts empty.
    pub fn declare(&self, upload: &Upload) -> Result<(), BlobError> {
        std::fs::create_dir_all(&self.staging)?;
        let (_, part) = self.paths(&upload.id)?;
        std::fs::File::create(&part)?;
        self.describe_upload(upload)
    }

    /// Writes what is known of an upload beside its staged bytes.
    fn describe_upload(&self, upload: &Upload) -> Result<(), BlobError> {
        let (meta, _) = self.paths(&upload.id)?;
        let mut f = std::fs::File::create(&meta)?;
        f.write_all(&serde_json::to_vec(upload).map_err(std::io::Error::other)?)?;
        f.sync_all()?;
        Ok(())
    }

    /// Stores a file whose size and SHA-256 are learnt as it arrives (a
    /// page's form, which cannot say them first): staged as an upload of at
    /// most `limit` bytes, then finished as a declared upload would be,
    /// under the digest it turned out to have. A body that breaks off, or
    /// goes beyond `limit`, or is empty, stores nothing.
    pub async fn receive(
        &self,
        mut upload: Upload,
        limit: u64,
        body: BoxStream<'static, Result<bytes::Bytes, axum::Error>>,
    ) -> Result<(Upload, Option<TableSchema>), BlobError> {
        upload.size = limit;
        upload.sha256 = String::new();
        self.declare(&upload)?;
        let broken = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen = broken.clone();
        let body = body
            .inspect(move |chunk| {
                if chunk.is_err() {
                    seen.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            })
            .boxed();
        let written = match self.append(&upload.id, 0, body).await {
            Ok(_) if broken.load(std::sync::atomic::Ordering::Relaxed) => {
                self.discard(&upload.id)?;
                return Err(BlobError::Broken);
            }
            Ok(0) => {
                self.discard(&upload.id)?;
                return Err(BlobError::Empty);
            }
            Ok(n) => n,
            Err(e) => {
                self.discard(&upload.id)?;
                return Err(e);
            }
        };
        // The digest of what arrived, kept while it was written.
        let kept = self.hashing.lock().ok().and_then(|h| {
            h.get(&upload.id)
                .filter(|(at, _)| *at == written)
                .map(|(_, h)| hex::encode(h.clone().finalize()))
        });
        upload.sha256 = match kept {
            Some(digest) => digest,
            None => {
                let (_, part) = self.paths(&upload.id)?;
                tokio::task::spawn_blocking(move || hash_and_detect(&part, false))
                    .await
                    .map_err(std::io::Error::other)??
                    .0
            }
        };
        upload.size = written;
        self.describe_upload(&upload)?;
        self.finish(&upload.id).await
    }

    /// The upload and how many of its bytes have arrived.
    pub fn status(&self, id: &str) -> Result<(Upload, u64), BlobError> {
        let (meta, part) = self.paths(id)?;
        let text = std::fs::read(&meta).map_err(|_| BlobError::NoUpload)?;
        let upload: Upload = serde_json::from_slice(&text).map_err(|_| BlobError::NoUpload)?;
        let Ok(part) = std::fs::metadata(&part) else {
            // The staged bytes are gone (moved into the storage, or deleted
            // by an operator): the upload is over.
            let _ = std::fs::remove_file(&meta);
            return Err(BlobError::NoUpload);
        };
        Ok((upload, part.len()))
    }

    /// Drops an upload and its staged bytes.
    pub fn discard(&self, id: &str) -> Result<(), BlobError> {
        let (meta, part) = self.paths(id)?;
        if let Ok(mut hashing) = self.hashing.lock() {
            hashing.remove(id);
        }
        let _ = std::fs::remove_file(part);
        let _ = std::fs::remove_file(meta);
        Ok(())
    }

    /// Appends a chunk at `offset`, streaming it to disk; returns the new offset.
    pub async fn append(
        &self,
        id: &str,
        offset: u64,
        mut body: BoxStream<'static, Result<bytes::Bytes, axum::Error>>,
    ) -> Result<u64, BlobError> {
        let _writing = self.writing(id)?;
        let (upload, current) = self.status(id)?;
        if offset != current {
            return Err(BlobError::WrongOffset {
                given: offset,
                current,
            });
        }
        let (_, part) = self.paths(id)?;
        let mut file = tokio::fs::OpenOptions::new()
            .append(true)
            .open(&part)
            .await?;
        let mut hasher = match self.hashing.lock().ok().and_then(|mut h| h.remove(id)) {
            Some((at, h)) if at == current => Some(h),
            _ if current == 0 => Some(Sha256::new()),
            _ => None,
        };
        let mut written = current;
        let mut failed = None;
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                // The client went away: keep what arrived, it resumes from there.
                Err(_) => break,
            };
            if written + chunk.len() as u64 > upload.size {
                failed = Some(BlobError::TooLong { size: upload.size });
                break;
            }
            tokio::io::AsyncWriteExt::write_all(&mut file, &chunk).await?;
            if let Some(h) = hasher.as_mut() {
                h.update(&chunk);
            }
            written += chunk.len() as u64;
        }
        if let Some(e) = failed {
            // Give the chunk back: the upload stays at the offset it had.
            file.set_len(current).await?;
            return Err(e);
        }
        file.sync_data().await?;
        if let (Some(h), Ok(mut hashing)) = (hasher, self.hashing.lock()) {
            hashing.insert(id.to_string(), (written, h));
        }
        Ok(written)
    }

    /// Checks a complete upload's SHA-256, detects a CSV's columns, and
    /// moves the bytes into the storage (once per content). The staged
    /// files are gone afterwards either way.
    pub async fn finish(&self, id: &str) -> Result<(Upload, Option<TableSchema>), BlobError> {
        // One finish at a time: a repeated last request waits its turn and
        // then finds the upload gone.
        let _writing = self.writing(id)?;
        let (upload, _) = self.status(id)?;
        let (_, part) = self.paths(id)?;
        let csv = upload.media_type == "text/csv" || upload.name.to_lowercase().ends_with(".csv");
        let kept = self.hashing.lock().ok().and_then(|mut h| h.remove(id));
        let (actual, schema) = match kept {
            // Hashed as it arrived; a CSV is read once more for its columns.
            Some((at, h)) if at == upload.size && !csv => (hex::encode(h.finalize()), None),
            _ => {
                let staged = part.clone();
                tokio::task::spawn_blocking(move || hash_and_detect(&staged, csv))
                    .await
                    .map_err(std::io::Error::other)??
            }
        };
        if actual != upload.sha256 {
            self.discard(id)?;
            return Err(BlobError::Checksum {
                declared: upload.sha256,
                actual,
            });
        }
        let parquet = upload.media_type == "application/vnd.apache.parquet"
            || upload.name.to_lowercase().ends_with(".parquet");
        let schema = if parquet {
            // The layout is in the footer: no pass over the data.
            let staged = part.clone();
            // A file the decoder chokes on is stored without a schema.
            tokio::task::spawn_blocking(move || parquet_schema(&staged))
                .await
                .ok()
                .flatten()
        } else {
            schema
        };
        let store = self.store()?;
        let key = key(&upload.sha256);
        if store.head(&key).await.is_ok() {
            // The same bytes are stored already: keep one copy.
            self.discard(id)?;
        } else if matches!(self.storage, Storage::S3(_)) {
            // Sent in parts, a few at a time; the object appears only when
            // the last part is in (S3 completes a multipart upload atomically).
            let mut writer = object_store::WriteMultipart::new_with_chunk_size(
                store.put_multipart(&key).await?,
                S3_PART,
            );
            let mut file = tokio::fs::File::open(&part).await?;
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = tokio::io::AsyncReadExt::read(&mut file, &mut buf).await?;
                if n == 0 {
                    break;
                }
                if let Err(e) = writer.wait_for_capacity(S3_PARTS_IN_FLIGHT).await {
                    writer.abort().await.ok();
                    return Err(e.into());
                }
                writer.write(&buf[..n]);
            }
            writer.finish().await?;
            self.discard(id)?;
        } else if let Storage::Local(root, _) = &self.storage {
            // The staging area and the local storage share a disk: a rename
            // moves the file into place at once, and atomically.
            let target = root.join(key.as_ref());
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::rename(&part, &target)?;
            // The rename is durable once its directory is.
            if let Some(dir) = target.parent() {
                std::fs::File::open(dir)?.sync_all()?;
            }
            let (meta, _) = self.paths(id)?;
            let _ = std::fs::remove_file(meta);
        }
        Ok((upload, schema))
    }

    /// Stores a whole file held in memory (the demo's small files) as an
    /// upload would: declared, written, checked and moved into the storage.
    pub async fn put_whole(
        &self,
        upload: &Upload,
        bytes: bytes::Bytes,
    ) -> Result<Option<TableSchema>, BlobError> {
        self.declare(upload)?;
        let body = futures::stream::once(async move { Ok(bytes) }).boxed();
        self.append(&upload.id, 0, body).await?;
        Ok(self.finish(&upload.id).await?.1)
    }

    /// Keeps `bytes`, whose SHA-256 (hex) the caller computed, as a finished
    /// upload is kept (once: the same bytes are the same object).
    pub async fn put_bytes(&self, sha256: &str, bytes: bytes::Bytes) -> Result<(), BlobError> {
        self.store()?.put(&key(sha256), bytes.into()).await?;
        Ok(())
    }

    /// A stored file's bytes, all or a range, as a stream.
    pub async fn read(
        &self,
        sha256: &str,
        range: Option<Range<u64>>,
    ) -> Result<BoxStream<'static, object_store::Result<bytes::Bytes>>, BlobError> {
        let store = self.store()?;
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..Default::default()
        };
        let result = match store.get_opts(&key(sha256), options).await {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => return Err(BlobError::Missing),
            Err(e) => return Err(e.into()),
        };
        match result.payload {
            // A local file: read it in large blocks on a blocking thread
            // (the generic stream reads 8 KiB at a time), at most a few
            // blocks ahead of the client.
            object_store::GetResultPayload::File(file, _) => Ok(file_stream(file, result.range)),
            object_store::GetResultPayload::Stream(stream) => Ok(stream),
        }
    }
}

/// The size of one block read from a local file.
const READ_BLOCK: u64 = 4 << 20;

/// Blocks being read ahead of the one the client is taking.
const READ_AHEAD: usize = 2;

/// One block read on a blocking thread, at its offset (`pread`: reads of
/// one file share no position, so several can be under way).
type BlockRead = tokio::task::JoinHandle<std::io::Result<Vec<u8>>>;

fn read_block(file: std::sync::Arc<std::fs::File>, at: u64, n: usize) -> BlockRead {
    tokio::task::spawn_blocking(move || {
        use std::os::unix::fs::FileExt;
        let mut block = vec![0u8; n];
        file.read_exact_at(&mut block, at)?;
        Ok(block)
    })
}

/// A download's reads: those under way, in order, and where the next starts.
struct ReadAhead {
    file: std::sync::Arc<std::fs::File>,
    pending: std::collections::VecDeque<BlockRead>,
    next_at: u64,
    end: u64,
}

impl ReadAhead {
    /// Starts reads until `READ_AHEAD + 1` are under way or the range ends.
    fn fill(&mut self) {
        while self.pending.len() <= READ_AHEAD && self.next_at < self.end {
            let n = (self.end - self.next_at).min(READ_BLOCK) as usize;
            self.pending
                .push_back(read_block(self.file.clone(), self.next_at, n));
            self.next_at += n as u64;
        }
    }
}

/// Streams `range` of a local file in 4 MiB blocks. Each block is read on a
/// blocking thread, and the next ones are being read while the client takes
/// this one: the disk and the network overlap, a slow client holds no
/// thread (a read finishes on its own; the next starts when the client asks),
/// and at most `READ_AHEAD + 1` blocks (12 MiB) are in memory per download.
fn file_stream(
    file: std::fs::File,
    range: Range<u64>,
) -> BoxStream<'static, object_store::Result<bytes::Bytes>> {
    let mut reads = ReadAhead {
        file: std::sync::Arc::new(file),
        pending: std::collections::VecDeque::new(),
        next_at: range.start,
        end: range.end,
    };
    reads.fill();
    futures::stream::unfold(Some(reads), move |state| async move {
        let mut reads = state?;
        let handle = reads.pending.pop_front()?;
        let failed = |e: Box<dyn std::error::Error + Send + Sync>| {
            Some((
                Err(object_store::Error::Generic {
                    store: "library",
                    source: e,
                }),
                None,
            ))
        };
        match handle.await {
            Ok(Ok(block)) => {
                reads.fill();
                Some((Ok(bytes::Bytes::from(block)), Some(reads)))
            }
            Ok(Err(e)) => failed(Box::new(e)),
            Err(e) => failed(Box::new(e)),
        }
    })
    .boxed()
}

/// The SHA-256 of a file, and for a CSV its columns, their types and rows.
fn hash_and_detect(path: &FsPath, csv: bool) -> std::io::Result<(String, Option<TableSchema>)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut detector = csv.then(CsvDetector::default);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        if let Some(d) = detector.as_mut() {
            d.feed(&buf[..n]);
        }
    }
    Ok((
        hex::encode(hasher.finalize()),
        detector.and_then(CsvDetector::finish),
    ))
}

/// A Parquet file's columns (leaf columns, nested ones named by their path)
/// and row count, from its footer; `None` when the file is not Parquet.
fn parquet_schema(path: &FsPath) -> Option<TableSchema> {
    use parquet::basic::{ConvertedType, LogicalType, Type as Physical};
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use std::io::Seek;
    let mut file = std::fs::File::open(path).ok()?;
    // The last 8 bytes: the footer's length and `PAR1`. A footer over 16 MiB
    // (millions of columns) is not read.
    let mut tail = [0u8; 8];
    file.seek(std::io::SeekFrom::End(-8)).ok()?;
    file.read_exact(&mut tail).ok()?;
    let footer = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]);
    if &tail[4..] != b"PAR1" || footer > 16 << 20 {
        return None;
    }
    let reader = SerializedFileReader::new(file).ok()?;
    let meta = reader.metadata().file_metadata();
    let columns = meta
        .schema_descr()
        .columns()
        .iter()
        .take(MAX_COLUMNS)
        .map(|c| {
            let logical = c.logical_type_ref();
            let column_type = match (c.physical_type(), logical, c.converted_type()) {
                (_, Some(LogicalType::Date), _) | (_, _, ConvertedType::DATE) => ColumnType::Date,
                (_, Some(LogicalType::Timestamp { .. }), _)
                | (_, _, ConvertedType::TIMESTAMP_MILLIS | ConvertedType::TIMESTAMP_MICROS) => {
                    ColumnType::Date
                }
                (_, Some(LogicalType::Decimal { .. }), _) | (_, _, ConvertedType::DECIMAL) => {
                    ColumnType::Number
                }
                (Physical::BOOLEAN, _, _) => ColumnType::Boolean,
                (Physical::INT32 | Physical::INT64, _, _) => ColumnType::Integer,
                (Physical::FLOAT | Physical::DOUBLE, _, _) => ColumnType::Number,
                _ => ColumnType::Text,
            };
            Column {
                name: c.path().string(),
                column_type,
            }
        })
        .collect();
    Some(TableSchema {
        columns,
        rows: u64::try_from(meta.num_rows()).unwrap_or(0),
    })
}

/// Reads a CSV as it streams past: the header, then each row's fields,
/// narrowing each column's type (integer, number, boolean, date, text).
/// Quoted fields may hold commas, quotes (doubled) and line breaks.
/// A CSV's header may name at most this many columns, each at most this
/// long; a field is kept up to the length that decides its type. Past those
/// the file is not treated as a table (and no data can pass for a header).
const MAX_COLUMNS: usize = 1000;
const MAX_NAME_BYTES: usize = 256;
const MAX_FIELD_BYTES: usize = 64;

#[derive(Default)]
struct CsvDetector {
    /// The last byte was a `\r` ending a row (a `\n` right after it is part of it).
    after_cr: bool,
    field: Vec<u8>,
    fields: Vec<String>,
    quoted: bool,
    quote_pending: bool,
    header: Option<Vec<String>>,
    types: Vec<Option<ColumnType>>,
    rows: u64,
    broken: bool,
}

impl CsvDetector {
    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.broken {
                return;
            }
            if std::mem::take(&mut self.after_cr) && b == b'\n' {
                continue;
            }
            let limit = if self.header.is_none() {
                MAX_NAME_BYTES
            } else {
                MAX_FIELD_BYTES
            };
            if self.field.len() > limit {
                if self.header.is_none() {
                    self.broken = true;
                    return;
                }
                // A long value: text, whatever else it holds.
                self.field.truncate(limit);
                self.field[0] = b'~';
            }
            if self.quoted {
                if self.quote_pending {
                    self.quote_pending = false;
                    if b == b'"' {
                        self.field.push(b'"');
                        continue;
                    }
                    self.quoted = false;
                } else if b == b'"' {
                    self.quote_pending = true;
                    continue;
                } else {
                    self.field.push(b);
                    continue;
                }
            }
            match b {
                b'"' if self.field.is_empty() => self.quoted = true,
                b',' => self.end_field(),
                b'\n' => {
                    self.end_field();
                    self.end_row();
                }
                b'\r' => {
                    self.end_field();
                    self.end_row();
                    self.after_cr = true;
                }
                _ => self.field.push(b),
            }
        }
    }

    fn end_field(&mut self) {
        if self.fields.len() >= MAX_COLUMNS {
            self.broken = true;
            return;
        }
        let text = String::from_utf8_lossy(&self.field).trim().to_string();
        self.fields.push(text);
        self.field.clear();
    }

    fn end_row(&mut self) {
        let fields = std::mem::take(&mut self.fields);
        if fields.len() == 1 && fields[0].is_empty() {
            return;
        }
        match &self.header {
            None => {
                self.types = vec![None; fields.len()];
                self.header = Some(fields);
            }
            Some(h) => {
                if fields.len() != h.len() {
                    self.broken = true;
                    return;
                }
                self.rows += 1;
                for (t, v) in self.types.iter_mut().zip(&fields) {
                    if v.is_empty() {
                        continue;
                    }
                    *t = Some(widen(*t, type_of(v)));
                }
            }
        }
    }

    fn finish(mut self) -> Option<TableSchema> {
        if !self.field.is_empty() || !self.fields.is_empty() {
            self.end_field();
            self.end_row();
        }
        if self.broken || self.quoted {
            return None;
        }
        let header = self.header?;
        Some(TableSchema {
            columns: header
                .into_iter()
                .zip(self.types)
                .map(|(name, t)| Column {
                    name,
                    column_type: t.unwrap_or(ColumnType::Text),
                })
                .collect(),
            rows: self.rows,
        })
    }
}

fn type_of(v: &str) -> ColumnType {
    if v.parse::<i64>().is_ok() {
        ColumnType::Integer
    } else if v.parse::<f64>().is_ok() {
        ColumnType::Number
    } else if matches!(v.to_ascii_lowercase().as_str(), "true" | "false") {
        ColumnType::Boolean
    } else if senim_domain::Day::parse(v).is_ok() {
        ColumnType::Date
    } else {
        ColumnType::Text
    }
}

/// The narrowest type that holds both.
fn widen(a: Option<ColumnType>, b: ColumnType) -> ColumnType {
    match (a, b) {
        (None, b) => b,
        (Some(a), b) if a == b => a,
        (Some(ColumnType::Integer), ColumnType::Number)
        | (Some(ColumnType::Number), ColumnType::Integer) => ColumnType::Number,
        _ => ColumnType::Text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(text: &str) -> Option<TableSchema> {
        let mut d = CsvDetector::default();
        // Split anywhere: chunk boundaries must not matter.
        for chunk in text.as_bytes().chunks(3) {
            d.feed(chunk);
        }
        d.finish()
    }

    #[test]
    fn csv_columns_rows_and_types() {
        let s = detect("id,score,flag,day,note\n1,0.5,true,2026-01-02,\"a, \"\"b\"\"\nc\"\n2,3,false,2026-01-03,x\n").unwrap();
        assert_eq!(s.rows, 2);
        let types: Vec<ColumnType> = s.columns.iter().map(|c| c.column_type).collect();
        assert_eq!(
            types,
            vec![
                ColumnType::Integer,
                ColumnType::Number,
                ColumnType::Boolean,
                ColumnType::Date,
                ColumnType::Text
            ]
        );
        assert_eq!(s.columns[4].name, "note");
    }

    #[test]
    fn old_mac_and_windows_line_ends_are_rows() {
        let s = detect("a,b\r1,2\r3,4\r").unwrap();
        assert_eq!((s.columns.len(), s.rows), (2, 2));
        let s = detect("a,b\r\n1,2\r\n").unwrap();
        assert_eq!((s.columns.len(), s.rows), (2, 1));
    }

    #[test]
    fn no_header_no_schema_and_long_values_stay_small() {
        // A file without line breaks is not a table: nothing of it becomes a column name.
        let long = "x".repeat(10_000);
        assert!(detect(&long).is_none());
        let wide = (0..2000)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        assert!(detect(&format!("{wide}\n")).is_none());
        // A long value is text, and the detector keeps only a few bytes of it.
        let mut d = CsvDetector::default();
        d.feed(format!("a\n{long}\n").as_bytes());
        assert!(d.field.len() <= MAX_FIELD_BYTES + 1);
        let s = d.finish().unwrap();
        assert_eq!(s.columns[0].column_type, ColumnType::Text);
    }

    #[test]
    fn ragged_csv_has_no_schema() {
        assert!(detect("a,b\n1\n").is_none());
        assert!(detect("a,b\n1,\"open\n").is_none());
    }
}
