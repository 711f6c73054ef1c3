//! Limits and sizes (docs/design.md's defaults, all configurable).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// largest accepted upload, bytes
    pub max_upload_bytes: u64,
    /// thumbnail bounding boxes, largest first
    pub thumbnail_sizes: Vec<u32>,
    /// decoding limits
    pub limits: media::Limits,
    pub max_name_chars: usize,
    pub max_caption_chars: usize,
    /// Files larger than this go straight to the blob store with a presigned POST instead
    /// of through the API (the form decides from this). On AWS the API path is bounded by
    /// Lambda's 6 MB synchronous payload, which API Gateway fills with the body in base64.
    #[serde(default = "default_direct_above")]
    pub direct_upload_above_bytes: u64,
    /// How long a presigned POST stays valid, seconds.
    #[serde(default = "default_presign_expiry")]
    pub presign_expiry_secs: u64,
    /// Metadata fields (and `originalFilename`) published beyond the private default, or
    /// `all`; see the api crate's privacy module.
    #[serde(default)]
    pub public_metadata: Vec<String>,
    /// Whether anyone may download a reel's original file (it keeps every EXIF field).
    #[serde(default)]
    pub public_originals: bool,
    /// How a video's web rendition is made (size box, quality, bit rate, deadline).
    #[serde(default)]
    pub video: media::rendition::WebSpec,
    /// How long an unfinished direct upload's `incoming/` ticket and file are kept, seconds
    /// (the reconcile sweep removes them locally; a bucket lifecycle rule on AWS).
    #[serde(default = "default_incoming_ttl")]
    pub incoming_ttl_secs: u64,
    /// Decode memory for the whole process, bytes: the decode budget runs
    /// `decode_memory_bytes / limits.max_alloc` decodes at once (at least one, at most the
    /// cores); the other executions wait for a slot.
    #[serde(default = "default_decode_memory")]
    pub decode_memory_bytes: u64,
    /// Deadline of one decode or transcode, milliseconds.
    #[serde(default = "default_decode_timeout")]
    pub decode_timeout_ms: u64,
    /// Executions in flight (running or waiting for the decode budget) above which new
    /// uploads are refused with 503 `Busy`; 0: no limit.
    #[serde(default = "default_max_queued")]
    pub max_queued_executions: usize,
    /// Moderation (off by default): READY reels stay `pending` until a moderator approves.
    #[serde(default)]
    pub moderation: crate::moderation::ModerationSettings,
}

pub const DEFAULT_DECODE_MEMORY_BYTES: u64 = 1024 * 1024 * 1024;
pub const DEFAULT_DECODE_TIMEOUT_MS: u64 = 120_000;
pub const DEFAULT_MAX_QUEUED_EXECUTIONS: usize = 512;

fn default_decode_memory() -> u64 {
    DEFAULT_DECODE_MEMORY_BYTES
}

fn default_decode_timeout() -> u64 {
    DEFAULT_DECODE_TIMEOUT_MS
}

fn default_max_queued() -> usize {
    DEFAULT_MAX_QUEUED_EXECUTIONS
}

pub const DEFAULT_INCOMING_TTL_SECS: u64 = 24 * 3600;

fn default_incoming_ttl() -> u64 {
    DEFAULT_INCOMING_TTL_SECS
}

pub const DEFAULT_DIRECT_UPLOAD_ABOVE_BYTES: u64 = 4 * 1024 * 1024;
pub const DEFAULT_PRESIGN_EXPIRY_SECS: u64 = 900;

fn default_direct_above() -> u64 {
    DEFAULT_DIRECT_UPLOAD_ABOVE_BYTES
}

fn default_presign_expiry() -> u64 {
    DEFAULT_PRESIGN_EXPIRY_SECS
}

pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 50 * 1024 * 1024;
pub const DEFAULT_THUMBNAIL_SIZES: [u32; 3] = [1080, 480, 160];

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            thumbnail_sizes: DEFAULT_THUMBNAIL_SIZES.to_vec(),
            limits: media::Limits::default(),
            max_name_chars: 200,
            max_caption_chars: 2200,
            direct_upload_above_bytes: DEFAULT_DIRECT_UPLOAD_ABOVE_BYTES,
            presign_expiry_secs: DEFAULT_PRESIGN_EXPIRY_SECS,
            public_metadata: Vec::new(),
            public_originals: false,
            video: media::rendition::WebSpec::default(),
            incoming_ttl_secs: DEFAULT_INCOMING_TTL_SECS,
            decode_memory_bytes: DEFAULT_DECODE_MEMORY_BYTES,
            decode_timeout_ms: DEFAULT_DECODE_TIMEOUT_MS,
            max_queued_executions: DEFAULT_MAX_QUEUED_EXECUTIONS,
            moderation: crate::moderation::ModerationSettings::default(),
        }
    }
}

impl Settings {
    /// Parse `1080,480,160` into sizes, largest first.
    pub fn parse_sizes(text: &str) -> Result<Vec<u32>, String> {
        let mut sizes = text
            .split(',')
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<u32>()
                    .ok()
                    .filter(|n| (16..=8192).contains(n))
                    .ok_or_else(|| format!("thumbnail size {s:?} is not a number in 16..=8192"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if sizes.is_empty() {
            return Err("no thumbnail sizes given".into());
        }
        sizes.sort_unstable_by(|a, b| b.cmp(a));
        sizes.dedup();
        Ok(sizes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_sorted() {
        assert_eq!(
            Settings::parse_sizes("160, 1080,480").unwrap(),
            vec![1080, 480, 160]
        );
        assert!(Settings::parse_sizes("a").is_err());
        assert!(Settings::parse_sizes("").is_err());
        assert!(Settings::parse_sizes("0").is_err());
    }
}
