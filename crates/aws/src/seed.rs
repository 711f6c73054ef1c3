//! What a fixture event needs in the stores before `media-hub invoke` runs it: the
//! manifest `seed/manifest.json` next to the event files names, per reel id, its PROCESSING
//! record and its objects (files of `seed/`). Seeding puts in every reel whose id the event
//! mentions, over the ports, so it works on the local and the AWS backend alike; what is
//! already there is left as it is.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use pipeline::{BlobStore, RecordStore, Reel, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// `seed/manifest.json`.
#[derive(Debug, Deserialize)]
pub struct Manifest {
    pub reels: Vec<SeedReel>,
}

/// One reel of the manifest.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedReel {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub caption: String,
    pub original_filename: String,
    /// whether a PROCESSING record exists (a direct upload before completion has none)
    #[serde(default = "yes")]
    pub record: bool,
    /// object key → file under `seed/`
    pub objects: std::collections::BTreeMap<String, String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("{0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("{0} is not a seed manifest: {1}")]
    Manifest(PathBuf, serde_json::Error),
    #[error("seeding {0}: {1}")]
    Store(String, StoreError),
}

/// What seeding did, for the user to read.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct Seeded {
    /// records and objects written
    pub written: Vec<String>,
    /// already there, left alone
    pub present: Vec<String>,
}

impl Manifest {
    /// The manifest of the events in `events_dir` (`events_dir/seed/manifest.json`), if any.
    pub fn for_events(events_dir: &Path) -> Result<Option<(Manifest, PathBuf)>, SeedError> {
        let seed_dir = events_dir.join("seed");
        let path = seed_dir.join("manifest.json");
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(SeedError::Read(path, e)),
        };
        let manifest = serde_json::from_slice(&text).map_err(|e| SeedError::Manifest(path, e))?;
        Ok(Some((manifest, seed_dir)))
    }

    /// The reels an event mentions by id.
    pub fn needed_by(&self, event: &Value) -> Vec<&SeedReel> {
        let text = event.to_string();
        self.reels.iter().filter(|r| text.contains(&r.id)).collect()
    }
}

impl SeedReel {
    /// Its PROCESSING record, as an upload writes it.
    fn reel(&self, raw_key: &str, size: u64) -> Result<Reel, serde_json::Error> {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        serde_json::from_value(json!({
            "id": self.id, "name": self.name, "caption": self.caption, "status": "PROCESSING",
            "size": size, "originalFilename": self.original_filename, "rawKey": raw_key,
            "createdAt": now, "updatedAt": now,
        }))
    }

    /// Put this reel's objects, then its record, into the stores.
    pub async fn seed(
        &self,
        seed_dir: &Path,
        blobs: &dyn BlobStore,
        records: &dyn RecordStore,
        out: &mut Seeded,
    ) -> Result<(), SeedError> {
        let mut raw = None;
        for (key, file) in &self.objects {
            let path = seed_dir.join(file);
            let bytes = std::fs::read(&path).map_err(|e| SeedError::Read(path.clone(), e))?;
            if key.starts_with("raw/") {
                raw = Some((key.clone(), bytes.len() as u64));
            }
            let store = |e| SeedError::Store(key.clone(), e);
            if blobs.size(key).await.map_err(store)?.is_some() {
                out.present.push(key.clone());
                continue;
            }
            let content_type = match file.rsplit_once('.').map(|(_, ext)| ext) {
                Some("json") => "application/json",
                Some("jpg" | "jpeg") => "image/jpeg",
                _ => "application/octet-stream",
            };
            blobs
                .put(key, Bytes::from(bytes), content_type)
                .await
                .map_err(|e| SeedError::Store(key.clone(), e))?;
            out.written.push(key.clone());
        }
        if !self.record {
            return Ok(());
        }
        let what = format!("record {}", self.id);
        let (raw_key, size) = raw.unwrap_or_else(|| (format!("raw/{}/original.bin", self.id), 0));
        let reel = self
            .reel(&raw_key, size)
            .map_err(|e| SeedError::Store(what.clone(), StoreError::Invalid(e.to_string())))?;
        match records.create(&reel).await {
            Ok(()) => out.written.push(what),
            Err(StoreError::AlreadyExists(_)) => out.present.push(what),
            Err(e) => return Err(SeedError::Store(what, e)),
        }
        Ok(())
    }
}

/// Seed everything `event` needs from the manifest next to `event_file` (nothing when
/// there is no manifest).
pub async fn seed_for_event(
    event_file: &Path,
    event: &Value,
    blobs: &dyn BlobStore,
    records: &dyn RecordStore,
) -> Result<Seeded, SeedError> {
    let dir = event_file.parent().unwrap_or(Path::new("."));
    let mut out = Seeded::default();
    let Some((manifest, seed_dir)) = Manifest::for_events(dir)? else {
        return Ok(out);
    };
    for reel in manifest.needed_by(event) {
        reel.seed(&seed_dir, blobs, records, &mut out).await?;
    }
    Ok(out)
}
