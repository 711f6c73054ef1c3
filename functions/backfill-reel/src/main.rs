//! The `backfill-reel` Lambda: wiring only. The backfill state machine
//! (`statemachine/backfill.asl.json`, a distributed Map) invokes it once per reel with an
//! item of the `raw/` listing (`{"Key": "raw/{id}/original.jpg"}`) or of a manifest
//! (`{"id": ...}`); it hands the item to `Pipeline::backfill_reel`, which processes the READY
//! reel again with the settings of this deployment (`THUMBNAIL_SIZES`, the video box): new
//! thumbnails, metadata and, for a video, its web rendition. A failure reaches Step
//! Functions as the Lambda errorType of docs/design.md.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    aws::lambda::run_backfill().await
}
