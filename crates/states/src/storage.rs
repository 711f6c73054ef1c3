//! The object store behind a distributed Map: `ItemReader` reads (`s3:getObject`) or lists
//! (`s3:listObjectsV2`) objects and `ResultWriter` writes (`s3:putObject`) through the
//! [`ObjectStore`] trait the embedder supplies (locally the blob store, on AWS S3).
//! [`MemoryObjects`] (tests, bench) and [`DirObjects`] (a folder per bucket, for `sfn run`)
//! are two small implementations.

use async_trait::async_trait;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

/// One listed object, as `ListObjectsV2` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEntry {
    pub key: String,
    pub size: u64,
    pub etag: String,
    /// seconds since the epoch
    pub last_modified: i64,
}

/// Why an object operation failed: an S3 error code (`NoSuchKey`, `NoSuchBucket`,
/// `AccessDenied`, ...) and a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ObjectError {
    pub code: String,
    pub message: String,
}

impl ObjectError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> ObjectError {
        ObjectError {
            code: code.into(),
            message: message.into(),
        }
    }
}

#[async_trait]
pub trait ObjectStore: Send + Sync {
    async fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, ObjectError>;
    /// Every object whose key starts with `prefix`, in key order.
    async fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<ObjectEntry>, ObjectError>;
    async fn put_object(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), ObjectError>;
}

fn etag(body: &[u8]) -> String {
    use md5::Digest;
    format!("\"{:x}\"", md5::Md5::digest(body))
}

/// Objects in memory, by bucket and key (tests and the bench).
#[derive(Default)]
pub struct MemoryObjects {
    objects: Mutex<BTreeMap<(String, String), Vec<u8>>>,
}

impl MemoryObjects {
    pub fn new() -> MemoryObjects {
        MemoryObjects::default()
    }

    pub fn insert(&self, bucket: &str, key: &str, body: impl Into<Vec<u8>>) {
        if let Ok(mut g) = self.objects.lock() {
            g.insert((bucket.to_string(), key.to_string()), body.into());
        }
    }

    pub fn get(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        self.objects
            .lock()
            .ok()?
            .get(&(bucket.to_string(), key.to_string()))
            .cloned()
    }

    /// Keys of a bucket starting with `prefix`.
    pub fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        self.objects
            .lock()
            .map(|g| {
                g.keys()
                    .filter(|(b, k)| b == bucket && k.starts_with(prefix))
                    .map(|(_, k)| k.clone())
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[async_trait]
impl ObjectStore for MemoryObjects {
    async fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, ObjectError> {
        self.get(bucket, key)
            .ok_or_else(|| ObjectError::new("NoSuchKey", "The specified key does not exist."))
    }

    async fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<ObjectEntry>, ObjectError> {
        let g = self
            .objects
            .lock()
            .map_err(|_| ObjectError::new("InternalError", "store poisoned"))?;
        Ok(g.iter()
            .filter(|((b, k), _)| b == bucket && k.starts_with(prefix))
            .map(|((_, k), v)| ObjectEntry {
                key: k.clone(),
                size: v.len() as u64,
                etag: etag(v),
                last_modified: chrono::Utc::now().timestamp(),
            })
            .collect())
    }

    async fn put_object(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), ObjectError> {
        self.insert(bucket, key, body);
        Ok(())
    }
}

/// A folder per bucket under `root` (`root/BUCKET/KEY`); a missing bucket folder is
/// `NoSuchBucket`. Used by `sfn run --objects DIR`.
pub struct DirObjects {
    root: PathBuf,
}

impl DirObjects {
    pub fn new(root: impl Into<PathBuf>) -> DirObjects {
        DirObjects { root: root.into() }
    }

    fn bucket_dir(&self, bucket: &str) -> Result<PathBuf, ObjectError> {
        let dir = self.root.join(bucket);
        if bucket.is_empty()
            || bucket.contains(['/', '\\'])
            || bucket.starts_with('.')
            || !dir.is_dir()
        {
            return Err(ObjectError::new(
                "NoSuchBucket",
                "The specified bucket does not exist",
            ));
        }
        Ok(dir)
    }

    fn object_path(&self, bucket: &str, key: &str) -> Result<PathBuf, ObjectError> {
        let dir = self.bucket_dir(bucket)?;
        if key.is_empty() || key.split('/').any(|p| p == ".." || p == ".") || key.starts_with('/') {
            return Err(ObjectError::new(
                "InvalidArgument",
                format!("invalid key {key}"),
            ));
        }
        Ok(dir.join(key))
    }
}

fn io_error(e: std::io::Error) -> ObjectError {
    if e.kind() == std::io::ErrorKind::NotFound {
        ObjectError::new("NoSuchKey", "The specified key does not exist.")
    } else {
        ObjectError::new("InternalError", e.to_string())
    }
}

#[async_trait]
impl ObjectStore for DirObjects {
    async fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, ObjectError> {
        std::fs::read(self.object_path(bucket, key)?).map_err(io_error)
    }

    async fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<ObjectEntry>, ObjectError> {
        let dir = self.bucket_dir(bucket)?;
        let mut out = Vec::new();
        let mut stack = vec![dir.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).map_err(io_error)? {
                let e = e.map_err(io_error)?;
                let p = e.path();
                let meta = e.metadata().map_err(io_error)?;
                if meta.is_dir() {
                    stack.push(p);
                    continue;
                }
                let Ok(rel) = p.strip_prefix(&dir) else {
                    continue;
                };
                let key = rel.to_string_lossy().replace('\\', "/");
                if !key.starts_with(prefix) {
                    continue;
                }
                let modified = meta
                    .modified()
                    .map(chrono::DateTime::<chrono::Utc>::from)
                    .unwrap_or_else(|_| chrono::Utc::now());
                out.push(ObjectEntry {
                    key,
                    size: meta.len(),
                    etag: format!("\"{:x}-{}\"", meta.len(), modified.timestamp_millis()),
                    last_modified: modified.timestamp(),
                });
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn put_object(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), ObjectError> {
        let p = self.object_path(bucket, key)?;
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(io_error)?;
        }
        std::fs::write(p, body).map_err(io_error)
    }
}
