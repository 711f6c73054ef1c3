//! Options shared by the subcommands that open the local stack: where the data lives,
//! which definition runs, and the limits.

use std::path::{Path, PathBuf};

use anyhow::Context;
use pipeline::Settings;

/// Where `serve` keeps its data when no `--data-dir` is given.
pub const DEFAULT_DATA_DIR: &str = "data";
/// The SQLite file that marks a data dir.
const DATABASE: &str = "media-hub.sqlite";

#[derive(clap::Args, Debug, Clone)]
pub struct StackArgs {
    /// Folder for raw files, thumbnails and the SQLite database [default: ./data; `invoke`:
    /// a new temporary one]. Only `serve` creates it.
    #[arg(long, global = true, env = "MEDIA_HUB_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The ASL definition to run [default: ./statemachine/media-pipeline.asl.json if present, else the built-in copy]
    #[arg(long, global = true, env = "MEDIA_HUB_DEFINITION")]
    pub definition: Option<PathBuf>,
    /// Largest accepted upload, in MiB.
    #[arg(
        long,
        global = true,
        env = "MEDIA_HUB_MAX_UPLOAD_MIB",
        default_value_t = 50
    )]
    pub max_upload_mib: u64,
    /// Thumbnail bounding boxes in px.
    #[arg(
        long,
        env = "MEDIA_HUB_THUMBNAIL_SIZES",
        default_value = "1080,480,160"
    )]
    pub thumbnail_sizes: String,
    /// Largest decoded image, in megapixels.
    #[arg(
        long,
        global = true,
        env = "MEDIA_HUB_MAX_MEGAPIXELS",
        default_value_t = 100
    )]
    pub max_megapixels: u64,
    /// Files larger than this (KiB) go straight to the blob store with a presigned POST
    /// rather than through the API, as they must on AWS (Lambda's 6 MB payload limit).
    #[arg(
        long,
        global = true,
        env = "MEDIA_HUB_DIRECT_UPLOAD_ABOVE_KIB",
        default_value_t = 4096
    )]
    pub direct_upload_above_kib: u64,
    /// Reel fields published beyond the private default (comma-separated metadata names
    /// such as `gps,lens`, `originalFilename`, or `all`). By default the public sees no
    /// GPS, serial numbers, lens or original filename.
    #[arg(
        long,
        global = true,
        env = "MEDIA_HUB_PUBLIC_METADATA",
        default_value = ""
    )]
    pub public_metadata: String,
    /// Let anyone download a READY reel's original file (it keeps all its EXIF fields).
    #[arg(long, global = true, env = "MEDIA_HUB_PUBLIC_ORIGINALS")]
    pub public_originals: bool,
    /// Longest accepted video, in seconds (longer ends FAILED with MediaTooLong).
    #[arg(
        long,
        global = true,
        env = "MEDIA_HUB_MAX_VIDEO_SECONDS",
        default_value_t = media::DEFAULT_MAX_VIDEO_SECS
    )]
    pub max_video_seconds: u32,
    /// A video rendition's long side is at most this many px (never upscaled).
    #[arg(
        long,
        global = true,
        env = "MEDIA_HUB_VIDEO_LONG_SIDE",
        default_value_t = 1920
    )]
    pub video_long_side: u32,
    /// A video rendition's short side is at most this many px (never upscaled).
    #[arg(
        long,
        global = true,
        env = "MEDIA_HUB_VIDEO_SHORT_SIDE",
        default_value_t = 1080
    )]
    pub video_short_side: u32,
    /// How long an unfinished direct upload's ticket and file are kept, in seconds.
    #[arg(
        long,
        global = true,
        env = "MEDIA_HUB_INCOMING_TTL_SECS",
        default_value_t = pipeline::settings::DEFAULT_INCOMING_TTL_SECS
    )]
    pub incoming_ttl_secs: u64,
    /// Decode memory for the whole process, in MiB: decodes and transcodes run
    /// `this / 512 MiB` at once (at least one, at most the cores); the rest wait.
    #[arg(
        long,
        global = true,
        env = "MEDIA_HUB_DECODE_MEMORY_MIB",
        default_value_t = 1024
    )]
    pub decode_memory_mib: u64,
    /// Deadline of one decode or transcode, in seconds.
    #[arg(
        long,
        global = true,
        env = "MEDIA_HUB_DECODE_TIMEOUT_SECS",
        default_value_t = 120.0
    )]
    pub decode_timeout_secs: f64,
    /// Executions in flight above which new uploads get 503 `Busy` (0: no limit).
    #[arg(
        long,
        global = true,
        env = "MEDIA_HUB_MAX_QUEUED_UPLOADS",
        default_value_t = pipeline::settings::DEFAULT_MAX_QUEUED_EXECUTIONS
    )]
    pub max_queued_uploads: usize,
    /// Moderation: a READY reel stays `pending` (out of the gallery) until a moderator
    /// approves it in the console's queue (`/console/moderation`) or through the Step
    /// Functions API; off by default.
    #[arg(long, global = true, env = "MEDIA_HUB_MODERATION")]
    pub moderation: bool,
    /// With moderation: seconds a reel waits for a decision (AwaitModeration's TimeoutSeconds).
    #[arg(
        long,
        global = true,
        env = "MEDIA_HUB_MODERATION_TIMEOUT_SECS",
        default_value_t = pipeline::moderation::DEFAULT_TIMEOUT_SECS
    )]
    pub moderation_timeout_secs: u64,
    /// With moderation: AwaitModeration's HeartbeatSeconds (opening the queue sends a
    /// heartbeat for every reel it shows) [default: one day, or just below the timeout].
    #[arg(long, global = true, env = "MEDIA_HUB_MODERATION_HEARTBEAT_SECS")]
    pub moderation_heartbeat_secs: Option<u64>,
    /// With moderation: what a reel no moderator decided on in time becomes.
    #[arg(
        long,
        global = true,
        env = "MEDIA_HUB_MODERATION_ON_TIMEOUT",
        value_parser = ["approve", "reject"],
        default_value = "reject"
    )]
    pub moderation_on_timeout: String,
}

impl StackArgs {
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let mut s = Settings::default();
        anyhow::ensure!(
            self.max_upload_mib > 0,
            "--max-upload-mib must be at least 1"
        );
        s.max_upload_bytes = self.max_upload_mib.saturating_mul(1024 * 1024);
        s.thumbnail_sizes = Settings::parse_sizes(&self.thumbnail_sizes)
            .map_err(anyhow::Error::msg)
            .context("--thumbnail-sizes")?;
        s.limits.max_pixels = self.max_megapixels.saturating_mul(1_000_000);
        s.direct_upload_above_bytes = self.direct_upload_above_kib.saturating_mul(1024);
        s.public_metadata = self
            .public_metadata
            .split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect();
        s.public_originals = self.public_originals;
        anyhow::ensure!(
            self.max_video_seconds > 0,
            "--max-video-seconds must be at least 1"
        );
        s.limits.max_video_secs = self.max_video_seconds;
        anyhow::ensure!(
            (16..=8192).contains(&self.video_short_side)
                && (self.video_short_side..=8192).contains(&self.video_long_side),
            "--video-short-side and --video-long-side must be in 16..=8192, short ≤ long"
        );
        s.video.max_long = self.video_long_side;
        s.video.max_short = self.video_short_side;
        s.incoming_ttl_secs = self.incoming_ttl_secs;
        s.decode_memory_bytes = self.decode_memory_mib.saturating_mul(1024 * 1024);
        anyhow::ensure!(
            self.decode_timeout_secs.is_finite() && self.decode_timeout_secs > 0.0,
            "--decode-timeout-secs must be positive"
        );
        s.decode_timeout_ms = (self.decode_timeout_secs * 1000.0).ceil() as u64;
        s.max_queued_executions = self.max_queued_uploads;
        s.moderation = pipeline::ModerationSettings {
            enabled: self.moderation,
            timeout_secs: self.moderation_timeout_secs,
            heartbeat_secs: self.moderation_heartbeat_secs.unwrap_or_else(|| {
                pipeline::moderation::DEFAULT_HEARTBEAT_SECS
                    .min(self.moderation_timeout_secs.saturating_sub(1))
            }),
            on_timeout: pipeline::TimeoutPolicy::parse(&self.moderation_on_timeout)
                .context("--moderation-on-timeout is approve or reject")?,
        };
        s.moderation
            .check()
            .map_err(anyhow::Error::msg)
            .context("--moderation-timeout-secs / --moderation-heartbeat-secs")?;
        Ok(s)
    }

    /// `--data-dir`, else `./data`.
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR))
    }

    /// The local stack of the data dir, created if missing (what `serve` does).
    pub fn open(&self) -> anyhow::Result<local::LocalStack> {
        self.open_in(&self.data_dir())
    }

    /// The local stack of `dir`, created if missing.
    pub fn open_in(&self, dir: &Path) -> anyhow::Result<local::LocalStack> {
        let settings = self.settings()?;
        local::LocalStack::open(dir, settings, self.definition.as_deref())
            .with_context(|| format!("opening the local stack in {}", dir.display()))
    }

    /// The local stack of an existing data dir: every command but `serve` uses this, so
    /// none of them leaves a `./data` behind where it ran. The error says where it looked.
    pub fn open_existing(&self, dir: &Path) -> anyhow::Result<local::LocalStack> {
        anyhow::ensure!(
            dir.join(DATABASE).is_file(),
            "no data dir at {} (no {DATABASE} there): `media-hub serve --data-dir {}` creates one",
            dir.display(),
            dir.display()
        );
        self.open_in(dir)
    }
}
