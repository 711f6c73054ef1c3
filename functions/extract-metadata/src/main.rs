//! The `extract-metadata` Lambda: wiring only. Builds the S3 and DynamoDB adapters from the
//! environment (`MEDIA_BUCKET`, `REELS_TABLE`, limits) and hands each Step Functions
//! payload to `Pipeline::dispatch(Task::ExtractMetadata, ..)`. A failure reaches Step Functions
//! as the Lambda errorType of docs/design.md (`TaskError.name`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    aws::lambda::run_task(pipeline::Task::ExtractMetadata).await
}
