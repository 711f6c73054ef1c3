//! The blob store in a folder: one file per key under the root. Writes go to a temporary
//! file in the same folder and are renamed into place, so a reader never sees half a file.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use pipeline::{BlobStore, BlobStream, ObjectInfo, StoreError};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

#[derive(Debug, Clone)]
pub struct FsBlobStore {
    root: PathBuf,
}

impl FsBlobStore {
    pub fn new(root: impl Into<PathBuf>) -> std::io::Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root)?;
        Ok(FsBlobStore { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file of a key. Keys are relative paths of safe segments; anything else is refused.
    pub fn path_of(&self, key: &str) -> Result<PathBuf, StoreError> {
        let ok = !key.is_empty()
            && key.split('/').all(|seg| {
                !seg.is_empty()
                    && seg != "."
                    && seg != ".."
                    && !seg.starts_with(".tmp-")
                    && seg
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            });
        if ok {
            Ok(self.root.join(key))
        } else {
            Err(StoreError::Invalid(format!("object key {key:?}")))
        }
    }

    async fn temp_beside(&self, path: &Path) -> Result<PathBuf, StoreError> {
        let dir = path.parent().unwrap_or(&self.root);
        tokio::fs::create_dir_all(dir).await.map_err(io)?;
        Ok(dir.join(format!(".tmp-{}", uuid::Uuid::new_v4())))
    }
}

/// Rename a fully written temporary file into place; on any failure (the write's or the
/// rename's) remove it, so a reader never sees half a file and nothing is left behind.
async fn place(written: std::io::Result<()>, tmp: &Path, path: &Path) -> std::io::Result<()> {
    let result = match written {
        Ok(()) => tokio::fs::rename(tmp, path).await,
        Err(e) => Err(e),
    };
    if result.is_err() {
        let _ = tokio::fs::remove_file(tmp).await;
    }
    result
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn io_at(key: &str, e: std::io::Error) -> StoreError {
    if e.kind() == std::io::ErrorKind::NotFound {
        StoreError::NotFound(key.to_owned())
    } else {
        StoreError::Unavailable(format!("{key}: {e}"))
    }
}

#[async_trait]
impl BlobStore for FsBlobStore {
    async fn put(&self, key: &str, body: Bytes, _content_type: &str) -> Result<(), StoreError> {
        let path = self.path_of(key)?;
        let tmp = self.temp_beside(&path).await?;
        let written = tokio::fs::write(&tmp, &body).await;
        place(written, &tmp, &path).await.map_err(io)
    }

    async fn put_stream(
        &self,
        key: &str,
        mut body: BlobStream<'_>,
        _content_type: &str,
        max_bytes: u64,
    ) -> Result<u64, StoreError> {
        let path = self.path_of(key)?;
        let tmp = self.temp_beside(&path).await?;
        let result: Result<u64, StoreError> = async {
            let mut file = tokio::fs::File::create(&tmp).await.map_err(io)?;
            let mut written: u64 = 0;
            while let Some(chunk) = body.next().await {
                let chunk =
                    chunk.map_err(|e| StoreError::Invalid(format!("upload interrupted: {e}")))?;
                written += chunk.len() as u64;
                if written > max_bytes {
                    return Err(StoreError::TooLarge { limit: max_bytes });
                }
                file.write_all(&chunk).await.map_err(io)?;
            }
            file.sync_all().await.map_err(io)?;
            drop(file);
            tokio::fs::rename(&tmp, &path).await.map_err(io)?;
            Ok(written)
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        result
    }

    async fn local_file(&self, key: &str) -> Result<pipeline::blob_files::LocalFile, StoreError> {
        let path = self.path_of(key)?;
        match tokio::fs::metadata(&path).await {
            Ok(m) if m.is_file() => Ok(pipeline::blob_files::LocalFile::Store(path)),
            Ok(_) => Err(StoreError::NotFound(key.to_owned())),
            Err(e) => Err(io_at(key, e)),
        }
    }

    /// A copy beside the object, renamed into place (a reader never sees half a file).
    async fn put_file(
        &self,
        key: &str,
        source: &Path,
        _content_type: &str,
    ) -> Result<u64, StoreError> {
        let path = self.path_of(key)?;
        let tmp = self.temp_beside(&path).await?;
        let copied = tokio::fs::copy(source, &tmp).await;
        let bytes = copied.as_ref().map_or(0, |n| *n);
        place(copied.map(|_| ()), &tmp, &path).await.map_err(io)?;
        Ok(bytes)
    }

    async fn get(&self, key: &str) -> Result<Bytes, StoreError> {
        let path = self.path_of(key)?;
        tokio::fs::read(&path)
            .await
            .map(Bytes::from)
            .map_err(|e| io_at(key, e))
    }

    async fn get_head(&self, key: &str, len: usize) -> Result<Bytes, StoreError> {
        let path = self.path_of(key)?;
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| io_at(key, e))?;
        let mut buf = Vec::with_capacity(len.min(1 << 20));
        file.take(len as u64)
            .read_to_end(&mut buf)
            .await
            .map_err(io)?;
        Ok(Bytes::from(buf))
    }

    async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        let path = self.path_of(key)?;
        match tokio::fs::metadata(&path).await {
            Ok(m) if m.is_file() => Ok(Some(m.len())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    /// The ETag is made of the size and the modification time in nanoseconds: objects are
    /// written by renaming a whole new file into place, so either changes with the content.
    async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StoreError> {
        let path = self.path_of(key)?;
        match tokio::fs::metadata(&path).await {
            Ok(m) if m.is_file() => {
                let modified = m.modified().ok();
                let nanos = modified
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|d| d.as_nanos())
                    .unwrap_or(0);
                Ok(Some(ObjectInfo {
                    size: m.len(),
                    etag: Some(format!("\"{:x}-{nanos:x}\"", m.len())),
                    last_modified: modified,
                }))
            }
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    async fn get_range(
        &self,
        key: &str,
        start: u64,
        len: u64,
    ) -> Result<BlobStream<'static>, StoreError> {
        let path = self.path_of(key)?;
        let mut file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| io_at(key, e))?;
        file.seek(std::io::SeekFrom::Start(start))
            .await
            .map_err(io)?;
        let reader = file.take(len);
        Ok(Box::pin(futures_util::stream::unfold(
            reader,
            |mut reader| async move {
                let mut buf = vec![0u8; 64 * 1024];
                match reader.read(&mut buf).await {
                    Ok(0) => None,
                    Ok(n) => {
                        buf.truncate(n);
                        Some((Ok(Bytes::from(buf)), reader))
                    }
                    Err(e) => Some((Err(e), reader)),
                }
            },
        )))
    }

    async fn copy(&self, from: &str, to: &str, _content_type: &str) -> Result<(), StoreError> {
        let src = self.path_of(from)?;
        let dst = self.path_of(to)?;
        let tmp = self.temp_beside(&dst).await?;
        let copied = tokio::fs::copy(&src, &tmp).await.map(|_| ());
        place(copied, &tmp, &dst).await.map_err(|e| io_at(from, e))
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let path = self.path_of(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {
                // drop the id's folder once it is empty; failure just leaves an empty folder
                if let Some(dir) = path.parent() {
                    let _ = tokio::fs::remove_dir(dir).await;
                }
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(e)),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let root = self.root.clone();
        let prefix = prefix.to_owned();
        tokio::task::spawn_blocking(move || list_sync(&root, &prefix))
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?
    }

    async fn sweep_partial_writes(
        &self,
        older_than: std::time::Duration,
    ) -> Result<usize, StoreError> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || sweep_sync(&root, older_than))
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?
    }
}

/// Remove `.tmp-*` files last modified more than `older_than` ago, and the folders they
/// leave empty.
fn sweep_sync(root: &Path, older_than: std::time::Duration) -> Result<usize, StoreError> {
    let now = std::time::SystemTime::now();
    let mut removed = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(e)),
        };
        let mut swept_here = false;
        for entry in entries {
            let entry = entry.map_err(io)?;
            let ft = entry.file_type().map_err(io)?;
            if ft.is_dir() {
                stack.push(entry.path());
                continue;
            }
            if !entry.file_name().to_string_lossy().starts_with(".tmp-") {
                continue;
            }
            let age = entry
                .metadata()
                .and_then(|m| m.modified())
                .map(|t| now.duration_since(t).unwrap_or_default())
                .unwrap_or_default();
            if age < older_than {
                continue;
            }
            match std::fs::remove_file(entry.path()) {
                Ok(()) => {
                    removed += 1;
                    swept_here = true;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(e)),
            }
        }
        if swept_here && dir != root {
            // fails (and is meant to) while the folder still holds something
            let _ = std::fs::remove_dir(&dir);
        }
    }
    Ok(removed)
}

/// Walk the folder that holds `prefix` and keep the keys that start with it.
fn list_sync(root: &Path, prefix: &str) -> Result<Vec<String>, StoreError> {
    let dir_part = match prefix.rfind('/') {
        Some(i) => &prefix[..i],
        None => "",
    };
    let start = if dir_part.is_empty() {
        root.to_path_buf()
    } else {
        root.join(dir_part)
    };
    let mut out = Vec::new();
    let mut stack = vec![start];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(e)),
        };
        for entry in entries {
            let entry = entry.map_err(io)?;
            let path = entry.path();
            let name = entry.file_name();
            if name.to_string_lossy().starts_with(".tmp-") {
                continue;
            }
            let ft = entry.file_type().map_err(io)?;
            if ft.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(root) {
                let key = rel.to_string_lossy().replace('\\', "/");
                if key.starts_with(prefix) {
                    out.push(key);
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::stream;

    #[tokio::test]
    async fn objects_are_handed_out_as_their_own_files_and_taken_in_whole() {
        let dir = tempfile::tempdir().unwrap();
        let s = FsBlobStore::new(dir.path()).unwrap();
        s.put(
            "raw/a/original.mp4",
            Bytes::from_static(b"movie"),
            "video/mp4",
        )
        .await
        .unwrap();
        let file = s.local_file("raw/a/original.mp4").await.unwrap();
        assert_eq!(file.path(), dir.path().join("raw/a/original.mp4"));
        assert!(matches!(
            s.local_file("raw/b/original.mp4").await,
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            s.local_file("raw/../etc").await,
            Err(StoreError::Invalid(_))
        ));
        let made = dir.path().join("made.mp4");
        std::fs::write(&made, b"rendition").unwrap();
        let n = s
            .put_file("renditions/a/web.mp4", &made, "video/mp4")
            .await
            .unwrap();
        assert_eq!(n, 9);
        assert_eq!(
            s.get("renditions/a/web.mp4").await.unwrap().as_ref(),
            b"rendition"
        );
        let missing = dir.path().join("missing.mp4");
        assert!(s
            .put_file("renditions/b/web.mp4", &missing, "video/mp4")
            .await
            .is_err());
        assert_eq!(s.list("renditions/b").await.unwrap(), Vec::<String>::new());
        assert_eq!(
            s.sweep_partial_writes(std::time::Duration::ZERO)
                .await
                .unwrap(),
            0,
            "a failed copy leaves no partial file"
        );
    }

    #[tokio::test]
    async fn partial_writes_are_swept_and_finished_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let s = FsBlobStore::new(dir.path()).unwrap();
        s.put("raw/a/original.jpg", Bytes::from_static(b"x"), "image/jpeg")
            .await
            .unwrap();
        std::fs::write(dir.path().join("raw/a/.tmp-1"), b"half").unwrap();
        std::fs::create_dir_all(dir.path().join("raw/b")).unwrap();
        std::fs::write(dir.path().join("raw/b/.tmp-2"), b"half").unwrap();
        // too young to be an abandoned write
        let young = s
            .sweep_partial_writes(std::time::Duration::from_secs(3600))
            .await
            .unwrap();
        assert_eq!(young, 0);
        let n = s
            .sweep_partial_writes(std::time::Duration::ZERO)
            .await
            .unwrap();
        assert_eq!(n, 2);
        assert!(dir.path().join("raw/a/original.jpg").is_file());
        assert!(!dir.path().join("raw/a/.tmp-1").exists());
        assert!(
            !dir.path().join("raw/b").exists(),
            "the emptied folder goes too"
        );
        assert_eq!(
            s.sweep_partial_writes(std::time::Duration::ZERO)
                .await
                .unwrap(),
            0
        );
    }

    fn chunks(parts: Vec<&'static [u8]>) -> BlobStream<'static> {
        Box::pin(stream::iter(
            parts.into_iter().map(|p| Ok(Bytes::from_static(p))),
        ))
    }

    #[tokio::test]
    async fn put_get_list_delete() {
        let dir = tempfile::tempdir().unwrap();
        let s = FsBlobStore::new(dir.path()).unwrap();
        s.put(
            "thumbnails/a/160.jpg",
            Bytes::from_static(b"x"),
            "image/jpeg",
        )
        .await
        .unwrap();
        s.put(
            "thumbnails/a/480.jpg",
            Bytes::from_static(b"yy"),
            "image/jpeg",
        )
        .await
        .unwrap();
        s.put(
            "thumbnails/ab/480.jpg",
            Bytes::from_static(b"z"),
            "image/jpeg",
        )
        .await
        .unwrap();
        assert_eq!(
            s.list("thumbnails/a/").await.unwrap(),
            vec!["thumbnails/a/160.jpg", "thumbnails/a/480.jpg"]
        );
        assert_eq!(s.size("thumbnails/a/480.jpg").await.unwrap(), Some(2));
        assert_eq!(
            s.get_head("thumbnails/a/480.jpg", 1)
                .await
                .unwrap()
                .as_ref(),
            b"y"
        );
        s.delete("thumbnails/a/160.jpg").await.unwrap();
        s.delete("thumbnails/a/160.jpg").await.unwrap();
        assert_eq!(s.size("thumbnails/a/160.jpg").await.unwrap(), None);
        assert!(matches!(
            s.get("nope/x").await,
            Err(StoreError::NotFound(_))
        ));
    }

    #[tokio::test]
    async fn streamed_put_stops_at_the_limit_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let s = FsBlobStore::new(dir.path()).unwrap();
        let err = s
            .put_stream(
                "raw/x/original.jpg",
                chunks(vec![b"12345", b"67890"]),
                "image/jpeg",
                8,
            )
            .await
            .unwrap_err();
        assert_eq!(err, StoreError::TooLarge { limit: 8 });
        assert!(s.list("").await.unwrap().is_empty());
        let n = s
            .put_stream(
                "raw/x/original.jpg",
                chunks(vec![b"1234", b"5678"]),
                "image/jpeg",
                8,
            )
            .await
            .unwrap();
        assert_eq!(n, 8);
        assert_eq!(
            s.get("raw/x/original.jpg").await.unwrap().as_ref(),
            b"12345678"
        );
    }

    #[tokio::test]
    async fn copy_makes_a_second_object_and_a_missing_source_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let s = FsBlobStore::new(dir.path()).unwrap();
        s.put("incoming/a/file", Bytes::from_static(b"abc"), "image/jpeg")
            .await
            .unwrap();
        s.copy("incoming/a/file", "raw/a/original.jpg", "image/jpeg")
            .await
            .unwrap();
        assert_eq!(s.get("raw/a/original.jpg").await.unwrap().as_ref(), b"abc");
        assert_eq!(s.size("incoming/a/file").await.unwrap(), Some(3));
        assert!(matches!(
            s.copy("incoming/b/file", "raw/b/original.jpg", "image/jpeg")
                .await,
            Err(StoreError::NotFound(_))
        ));
        assert_eq!(s.list("raw/b/").await.unwrap(), Vec::<String>::new());
    }

    #[tokio::test]
    async fn hostile_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let s = FsBlobStore::new(dir.path()).unwrap();
        for key in ["../x", "/etc/passwd", "a//b", "a/./b", "a/.tmp-x", "a b"] {
            assert!(
                matches!(s.size(key).await, Err(StoreError::Invalid(_))),
                "{key}"
            );
        }
    }
}
