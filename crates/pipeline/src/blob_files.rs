//! Objects as files on this machine, for tools that only read and write files (ffmpeg
//! seeks in MP4/MOV): the default ways of the blob store port to hand an object out as a
//! file and to take one in, by streaming, so neither is ever held whole in memory.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::ports::{BlobStore, BlobStream, StoreError};

/// An object as a file: the store's own file (a folder store), or a temporary copy that is
/// removed when this is dropped.
#[derive(Debug)]
pub enum LocalFile {
    /// the store keeps the object as this file; read it, never write it
    Store(PathBuf),
    /// a copy made for this caller
    Copy(tempfile::TempPath),
}

impl LocalFile {
    pub fn path(&self) -> &Path {
        match self {
            LocalFile::Store(p) => p,
            LocalFile::Copy(t) => t,
        }
    }
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("temporary file: {e}"))
}

/// Stream `key` into a temporary file.
pub async fn copy_to_temp<S: BlobStore + ?Sized>(
    store: &S,
    key: &str,
) -> Result<LocalFile, StoreError> {
    let size = store
        .size(key)
        .await?
        .ok_or_else(|| StoreError::NotFound(key.to_owned()))?;
    let temp = tempfile::Builder::new()
        .prefix("media-hub-")
        .tempfile()
        .map_err(io)?
        .into_temp_path();
    let mut file = tokio::fs::File::create(&temp).await.map_err(io)?;
    let mut body = store.get_range(key, 0, size).await?;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| StoreError::Unavailable(format!("{key}: {e}")))?;
        file.write_all(&chunk).await.map_err(io)?;
    }
    file.flush().await.map_err(io)?;
    Ok(LocalFile::Copy(temp))
}

/// A file's bytes as a body for [`BlobStore::put_stream`], 1 MiB at a time.
pub fn file_stream(file: tokio::fs::File) -> BlobStream<'static> {
    Box::pin(futures_util::stream::unfold(file, |mut file| async move {
        let mut buf = vec![0u8; 1 << 20];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Bytes::from(buf)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::testkit::MemBlobs;

    #[tokio::test]
    async fn an_object_copied_to_a_file_and_back_is_the_same() {
        let store = MemBlobs::default();
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        store
            .put("raw/a/original.mp4", Bytes::from(data.clone()), "video/mp4")
            .await
            .unwrap();
        let file = store.local_file("raw/a/original.mp4").await.unwrap();
        assert!(matches!(file, LocalFile::Copy(_)));
        assert_eq!(std::fs::read(file.path()).unwrap(), data);
        store
            .put_file("renditions/a/web.mp4", file.path(), "video/mp4")
            .await
            .unwrap();
        assert_eq!(
            store.get("renditions/a/web.mp4").await.unwrap().as_ref(),
            &data[..]
        );
        let path = file.path().to_owned();
        drop(file);
        assert!(!path.exists(), "the copy is removed with its handle");
        assert!(matches!(
            store.local_file("raw/missing").await,
            Err(StoreError::NotFound(_))
        ));
    }
}
