//! Batch helpers for the command line: thumbnails of many files in parallel (one file
//! per worker, largest first) written as `DIR/<stem>_<SIZE>.jpg`, and probing files to JSON.

use crate::{Limits, MediaError};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Files bigger than this are refused before reading.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// One written thumbnail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub size: u32,
    pub path: PathBuf,
    pub width: u32,
    pub height: u32,
    pub bytes: usize,
}

/// Why a file failed.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("{0}")]
    Media(#[from] MediaError),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

impl BatchError {
    /// docs/design.md error name, or `IoError`.
    pub fn name(&self) -> &'static str {
        match self {
            BatchError::Media(e) => e.name(),
            BatchError::Io(_) => "IoError",
        }
    }
}

/// Reads a whole file, refusing absurd sizes.
pub fn read_file(path: &Path) -> Result<Vec<u8>, BatchError> {
    let len = std::fs::metadata(path)?.len();
    if len > MAX_FILE_BYTES {
        return Err(MediaError::TooLarge(format!("{len} bytes")).into());
    }
    Ok(std::fs::read(path)?)
}

/// The output name of one thumbnail: `<stem>_<size>.jpg`.
pub fn output_path(out: &Path, input: &Path, size: u32) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    out.join(format!("{stem}_{size}.jpg"))
}

/// Thumbnails of one file, written under `out`.
pub fn thumbnails_file(
    path: &Path,
    out: &Path,
    sizes: &[u32],
    limits: &Limits,
) -> Result<Vec<Written>, BatchError> {
    let data = read_file(path)?;
    let thumbs = crate::thumbnails(&data, sizes, limits)?;
    drop(data);
    thumbs
        .into_iter()
        .map(|t| {
            let p = output_path(out, path, t.size);
            std::fs::write(&p, &t.jpeg)?;
            Ok(Written {
                size: t.size,
                path: p,
                width: t.width,
                height: t.height,
                bytes: t.jpeg.len(),
            })
        })
        .collect()
}

/// The outcome of one file.
pub type FileResult = Result<Vec<Written>, BatchError>;

/// Rough relative cost of a file, for scheduling: PNG inflates every byte, JPEG and WebP
/// shrink on load.
fn cost(path: &Path) -> u64 {
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => len.saturating_mul(2),
        "webp" | "heic" | "heif" | "avif" => len.saturating_mul(8),
        _ => len,
    }
}

/// Thumbnails of every file in parallel; results in input order. Files are handed out
/// largest first from a shared queue to one worker per available core (so a pinned
/// process uses one), which keeps the last file from running alone at the end. With
/// `progress`, one line per finished file on stderr.
pub fn thumbnails_many(
    files: &[PathBuf],
    out: &Path,
    sizes: &[u32],
    limits: &Limits,
    progress: bool,
) -> Vec<FileResult> {
    let mut order: Vec<(u64, usize)> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (cost(f), i))
        .collect();
    order.sort_by_key(|o| std::cmp::Reverse(o.0));
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(files.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let total = files.len();
    let slots: Vec<Mutex<Option<FileResult>>> = files.iter().map(|_| Mutex::new(None)).collect();
    let work = || loop {
        let k = next.fetch_add(1, Ordering::Relaxed);
        let Some(&(_, i)) = order.get(k) else { break };
        let f = &files[i];
        let start = Instant::now();
        let r = thumbnails_file(f, out, sizes, limits);
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        if progress {
            let line = match &r {
                Ok(w) => format!(
                    "[{n}/{total}] {} ok: {} thumbnails in {} ms",
                    f.display(),
                    w.len(),
                    start.elapsed().as_millis()
                ),
                Err(e) => format!("[{n}/{total}] {} FAILED {}: {e}", f.display(), e.name()),
            };
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        }
        if let Err(e) = &r {
            tracing::debug!(file = %f.display(), error = e.name(), "thumbnails failed: {e}");
        }
        if let Ok(mut slot) = slots[i].lock() {
            *slot = Some(r);
        }
    };
    std::thread::scope(|s| {
        for _ in 1..workers {
            s.spawn(work);
        }
        work();
    });
    slots
        .into_iter()
        .map(|m| {
            m.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| Err(BatchError::Io(std::io::Error::other("worker failed"))))
        })
        .collect()
}

/// Type and metadata of one file as JSON: `{file, type, metadata}` or `{file, error, message}`.
pub fn probe_file(path: &Path, limits: &Limits) -> (bool, Value) {
    let result = read_file(path).and_then(|data| {
        let sniffed = crate::sniff(&data[..data.len().min(crate::SNIFF_LEN)])?;
        let meta = crate::metadata(&data, limits)?;
        Ok((sniffed, meta))
    });
    match result {
        Ok((sniffed, meta)) => (
            true,
            json!({ "file": path.display().to_string(), "type": sniffed, "metadata": meta }),
        ),
        Err(e) => (
            false,
            json!({ "file": path.display().to_string(), "error": e.name(), "message": e.to_string() }),
        ),
    }
}
