//! The `moderation` Lambda: wiring only. Builds the S3 and DynamoDB adapters from the
//! environment (`MEDIA_BUCKET`, `REELS_TABLE`) and hands each Step Functions payload to
//! `Pipeline::dispatch(Task::Moderation, ..)`: `{"action": "request", "id", "taskToken"}`
//! keeps an AwaitModeration task's token on the record (the task then waits for a
//! moderator), `{"action": "publish", "id"}` makes the reel public.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    aws::lambda::run_task(pipeline::Task::Moderation).await
}
