//! The `transcode-video` Lambda: wiring only. Builds the S3 and DynamoDB adapters from the
//! environment (`MEDIA_BUCKET`, `REELS_TABLE`, limits, `TRANSCODE_TIMEOUT_SECONDS`) and hands
//! each Step Functions payload to `Pipeline::dispatch(Task::TranscodeVideo, ..)`. ffmpeg and
//! ffprobe come from the FfmpegLayerArn layer (`/opt/bin` is on Lambda's PATH); without it the
//! task fails with `CodecUnavailable` and the raw file is kept.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    aws::lambda::run_task(pipeline::Task::TranscodeVideo).await
}
