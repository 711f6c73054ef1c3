//! Configuration: the standard AWS environment (credentials chain, `AWS_REGION`,
//! `AWS_ENDPOINT_URL`) for the SDK, and the names of our resources from the environment.

use std::sync::Arc;

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use pipeline::Settings;

use crate::{DynamoRecordStore, S3BlobStore, SfnExecutionLog, SfnWorkflowStarter};

/// `MEDIA_BUCKET`: the bucket for raw uploads and thumbnails.
pub const ENV_BUCKET: &str = "MEDIA_BUCKET";
/// `REELS_TABLE`: the DynamoDB table of reels.
pub const ENV_TABLE: &str = "REELS_TABLE";
/// `STATE_MACHINE_ARN`: the Step Functions state machine (only the upload path needs it).
pub const ENV_STATE_MACHINE: &str = "STATE_MACHINE_ARN";
/// `BACKFILL_STATE_MACHINE_ARN`: the Backfill state machine the console's Backfill button
/// starts (only the API needs it; without it the button answers 501).
pub const ENV_BACKFILL_STATE_MACHINE: &str = "BACKFILL_STATE_MACHINE_ARN";
/// `AWS_ENDPOINT_URL`: one endpoint for every service (moto, LocalStack ...).
pub const ENV_ENDPOINT: &str = "AWS_ENDPOINT_URL";

/// Pipeline limits from the environment (the SAM Parameters set these on every function).
pub const ENV_MAX_UPLOAD_BYTES: &str = "MAX_UPLOAD_BYTES";
pub const ENV_THUMBNAIL_SIZES: &str = "THUMBNAIL_SIZES";
pub const ENV_MAX_PIXELS: &str = "MAX_PIXELS";
pub const ENV_MAX_SIDE: &str = "MAX_SIDE";
pub const ENV_MAX_VIDEO_SECONDS: &str = "MAX_VIDEO_SECONDS";
pub const ENV_VIDEO_LONG_SIDE: &str = "VIDEO_LONG_SIDE";
pub const ENV_VIDEO_SHORT_SIDE: &str = "VIDEO_SHORT_SIDE";
pub const ENV_TRANSCODE_TIMEOUT: &str = "TRANSCODE_TIMEOUT_SECONDS";
pub const ENV_PRESIGN_EXPIRY: &str = "PRESIGNED_POST_EXPIRY_SECONDS";
pub const ENV_DIRECT_ABOVE: &str = "DIRECT_UPLOAD_ABOVE_BYTES";

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name}: {message}")]
    Invalid { name: &'static str, message: String },
}

/// Names of the AWS resources media-hub uses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AwsSettings {
    pub bucket: String,
    pub table: String,
    pub state_machine_arn: Option<String>,
    /// the Backfill state machine (`{stack}-backfill`), for the console's execution log
    pub backfill_state_machine_arn: Option<String>,
    /// an explicit endpoint (overrides `AWS_ENDPOINT_URL`), for tests
    pub endpoint_url: Option<String>,
}

fn var(name: &'static str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

impl AwsSettings {
    /// `MEDIA_BUCKET` and `REELS_TABLE` are required; `STATE_MACHINE_ARN` and
    /// `BACKFILL_STATE_MACHINE_ARN` are optional (the task functions never start executions).
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(AwsSettings {
            bucket: var(ENV_BUCKET).ok_or(ConfigError::Missing(ENV_BUCKET))?,
            table: var(ENV_TABLE).ok_or(ConfigError::Missing(ENV_TABLE))?,
            state_machine_arn: var(ENV_STATE_MACHINE),
            backfill_state_machine_arn: var(ENV_BACKFILL_STATE_MACHINE),
            endpoint_url: var(ENV_ENDPOINT),
        })
    }
}

/// Pipeline settings: the defaults of docs/design.md overridden by `MAX_UPLOAD_BYTES`,
/// `THUMBNAIL_SIZES` (`1080,480,160`), `MAX_PIXELS`, `MAX_SIDE`,
/// `PRESIGNED_POST_EXPIRY_SECONDS`, `DIRECT_UPLOAD_ABOVE_BYTES`, `MAX_VIDEO_SECONDS`,
/// `VIDEO_LONG_SIDE`, `VIDEO_SHORT_SIDE`, `TRANSCODE_TIMEOUT_SECONDS` and moderation's
/// `MODERATION` (`true`/`false`), `MODERATION_TIMEOUT_SECONDS`,
/// `MODERATION_HEARTBEAT_SECONDS` and `MODERATION_ON_TIMEOUT` (`approve`/`reject`).
pub fn settings_from_env() -> Result<Settings, ConfigError> {
    settings_from(var)
}

/// [`settings_from_env`] over any lookup (testable without touching the process env).
pub fn settings_from(
    lookup: impl Fn(&'static str) -> Option<String>,
) -> Result<Settings, ConfigError> {
    fn number<T: std::str::FromStr>(name: &'static str, text: &str) -> Result<T, ConfigError> {
        text.parse().map_err(|_| ConfigError::Invalid {
            name,
            message: format!("{text:?} is not a positive number"),
        })
    }
    let mut s = Settings::default();
    if let Some(v) = lookup(ENV_MAX_UPLOAD_BYTES) {
        s.max_upload_bytes = number(ENV_MAX_UPLOAD_BYTES, &v)?;
    }
    if let Some(v) = lookup(ENV_THUMBNAIL_SIZES) {
        s.thumbnail_sizes = Settings::parse_sizes(&v).map_err(|message| ConfigError::Invalid {
            name: ENV_THUMBNAIL_SIZES,
            message,
        })?;
    }
    if let Some(v) = lookup(ENV_MAX_PIXELS) {
        s.limits.max_pixels = number(ENV_MAX_PIXELS, &v)?;
    }
    if let Some(v) = lookup(ENV_MAX_SIDE) {
        s.limits.max_side = number(ENV_MAX_SIDE, &v)?;
    }
    if let Some(v) = lookup(ENV_PRESIGN_EXPIRY) {
        s.presign_expiry_secs = number(ENV_PRESIGN_EXPIRY, &v)?;
    }
    if let Some(v) = lookup(ENV_DIRECT_ABOVE) {
        s.direct_upload_above_bytes = number(ENV_DIRECT_ABOVE, &v)?;
    }
    if let Some(v) = lookup(ENV_MAX_VIDEO_SECONDS) {
        s.limits.max_video_secs = number(ENV_MAX_VIDEO_SECONDS, &v)?;
    }
    if let Some(v) = lookup(ENV_VIDEO_LONG_SIDE) {
        s.video.max_long = number(ENV_VIDEO_LONG_SIDE, &v)?;
    }
    if let Some(v) = lookup(ENV_VIDEO_SHORT_SIDE) {
        s.video.max_short = number(ENV_VIDEO_SHORT_SIDE, &v)?;
    }
    if let Some(v) = lookup(ENV_TRANSCODE_TIMEOUT) {
        s.video.timeout_secs = number(ENV_TRANSCODE_TIMEOUT, &v)?;
    }
    if let Some(v) = lookup(ENV_MODERATION) {
        s.moderation.enabled = match v.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => true,
            "false" | "0" | "no" | "off" | "" => false,
            _ => {
                return Err(ConfigError::Invalid {
                    name: ENV_MODERATION,
                    message: format!("{v:?} is not true or false"),
                })
            }
        };
    }
    if let Some(v) = lookup(ENV_MODERATION_TIMEOUT) {
        s.moderation.timeout_secs = number(ENV_MODERATION_TIMEOUT, &v)?;
        s.moderation.heartbeat_secs = s
            .moderation
            .heartbeat_secs
            .min(s.moderation.timeout_secs.saturating_sub(1));
    }
    if let Some(v) = lookup(ENV_MODERATION_HEARTBEAT) {
        s.moderation.heartbeat_secs = number(ENV_MODERATION_HEARTBEAT, &v)?;
    }
    if let Some(v) = lookup(ENV_MODERATION_ON_TIMEOUT) {
        s.moderation.on_timeout =
            pipeline::TimeoutPolicy::parse(&v).ok_or_else(|| ConfigError::Invalid {
                name: ENV_MODERATION_ON_TIMEOUT,
                message: format!("{v:?} is not approve or reject"),
            })?;
    }
    if s.moderation.enabled {
        s.moderation
            .check()
            .map_err(|message| ConfigError::Invalid {
                name: ENV_MODERATION_TIMEOUT,
                message,
            })?;
    }
    Ok(s)
}

pub const ENV_MODERATION: &str = "MODERATION";
pub const ENV_MODERATION_TIMEOUT: &str = "MODERATION_TIMEOUT_SECONDS";
pub const ENV_MODERATION_HEARTBEAT: &str = "MODERATION_HEARTBEAT_SECONDS";
pub const ENV_MODERATION_ON_TIMEOUT: &str = "MODERATION_ON_TIMEOUT";

/// `MEDIA_HUB_AWS_ATTEMPT_TIMEOUT_SECS`: the longest one SDK request attempt may take.
pub const ENV_ATTEMPT_TIMEOUT: &str = "MEDIA_HUB_AWS_ATTEMPT_TIMEOUT_SECS";
/// `MEDIA_HUB_AWS_OPERATION_TIMEOUT_SECS`: the longest one SDK call may take, retries included.
pub const ENV_OPERATION_TIMEOUT: &str = "MEDIA_HUB_AWS_OPERATION_TIMEOUT_SECS";
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(90);

/// Connect, attempt and operation timeouts for every client built from the SDK
/// configuration (S3, DynamoDB, Step Functions), so no call waits forever on a stalled
/// endpoint. Each part of a multipart upload is its own operation.
pub fn timeouts(attempt: Duration, operation: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(DEFAULT_CONNECT_TIMEOUT)
        .operation_attempt_timeout(attempt)
        .operation_timeout(operation.max(attempt))
        .build()
}

fn timeouts_from_env() -> TimeoutConfig {
    let secs = |name: &'static str, default: Duration| {
        var(name)
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0)
            .map_or(default, Duration::from_secs_f64)
    };
    timeouts(
        secs(ENV_ATTEMPT_TIMEOUT, DEFAULT_ATTEMPT_TIMEOUT),
        secs(ENV_OPERATION_TIMEOUT, DEFAULT_OPERATION_TIMEOUT),
    )
}

/// The SDK configuration from the standard environment; `endpoint` overrides
/// `AWS_ENDPOINT_URL`. A region defaults to `us-east-1` when none is configured, so a
/// local endpoint works without an AWS profile.
pub async fn sdk_config(endpoint: Option<&str>) -> SdkConfig {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts_from_env());
    if let Some(url) = endpoint {
        loader = loader.endpoint_url(url);
    }
    let config = loader.load().await;
    if config.region().is_none() {
        return config
            .into_builder()
            .region(Region::new("us-east-1"))
            .build();
    }
    config
}

/// The adapters over one SDK configuration.
#[derive(Clone)]
pub struct AwsBackend {
    pub sdk: SdkConfig,
    pub settings: AwsSettings,
    pub blobs: Arc<S3BlobStore>,
    pub records: Arc<DynamoRecordStore>,
    /// present when a state machine ARN is configured
    pub workflow: Option<Arc<SfnWorkflowStarter>>,
    /// the console's view of that state machine (and of the Backfill's runs, when its ARN
    /// is configured); present with `workflow`
    pub executions: Option<Arc<SfnExecutionLog>>,
}

impl AwsBackend {
    /// Everything from the environment (see [`AwsSettings::from_env`]).
    pub async fn from_env() -> Result<Self, ConfigError> {
        let settings = AwsSettings::from_env()?;
        Ok(Self::new(settings).await)
    }

    pub async fn new(settings: AwsSettings) -> Self {
        let sdk = sdk_config(settings.endpoint_url.as_deref()).await;
        Self::with_sdk(sdk, settings)
    }

    pub fn with_sdk(sdk: SdkConfig, settings: AwsSettings) -> Self {
        let blobs = Arc::new(S3BlobStore::new(&sdk, &settings.bucket));
        let records = Arc::new(DynamoRecordStore::new(&sdk, &settings.table));
        let sfn = settings
            .state_machine_arn
            .as_deref()
            .map(|arn| (aws_sdk_sfn::Client::new(&sdk), arn));
        let workflow = sfn
            .as_ref()
            .map(|(client, arn)| Arc::new(SfnWorkflowStarter::from_client(client.clone(), arn)));
        let backfill = settings.backfill_state_machine_arn.as_deref();
        let executions = sfn.map(|(client, arn)| {
            let log = SfnExecutionLog::from_client(client, arn);
            Arc::new(match backfill {
                Some(backfill) => log.with_backfill(backfill),
                None => log,
            })
        });
        AwsBackend {
            sdk,
            settings,
            blobs,
            records,
            workflow,
            executions,
        }
    }
}

impl AwsBackend {
    /// The upload use case over these adapters: S3 signs the direct uploads, settings come
    /// from the environment.
    pub fn intake(
        &self,
        workflow: Arc<dyn pipeline::WorkflowStarter>,
    ) -> Result<pipeline::intake::Intake, ConfigError> {
        Ok(pipeline::intake::Intake {
            blobs: self.blobs.clone(),
            records: self.records.clone(),
            workflow,
            settings: Arc::new(settings_from_env()?),
            signer: Some(self.blobs.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_client_gets_attempt_and_operation_timeouts() {
        let sdk = sdk_config(Some("http://127.0.0.1:9")).await;
        let t = sdk.timeout_config().expect("timeouts");
        assert_eq!(t.connect_timeout(), Some(DEFAULT_CONNECT_TIMEOUT));
        assert!(t.operation_attempt_timeout().is_some());
        assert!(t.operation_timeout() >= t.operation_attempt_timeout());
    }

    #[test]
    fn settings_override_defaults() {
        let s = settings_from(|n| match n {
            ENV_MAX_UPLOAD_BYTES => Some("1048576".into()),
            ENV_THUMBNAIL_SIZES => Some("160,480".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.max_upload_bytes, 1_048_576);
        assert_eq!(s.thumbnail_sizes, vec![480, 160]);
        assert_eq!(s.limits, Settings::default().limits);
        let bad = settings_from(|n| (n == ENV_MAX_PIXELS).then(|| "lots".into()));
        assert!(matches!(
            bad,
            Err(ConfigError::Invalid {
                name: ENV_MAX_PIXELS,
                ..
            })
        ));
    }
}
