//! `POST /api/reels/{id}/reprocess` (admin): a FAILED reel whose raw file was kept goes
//! back to PROCESSING and runs again (`pipeline::reprocess`). 202 with the reel's status
//! and the execution now running it; 404 `NotFound`, 409 `RecordConflict` (not FAILED) or
//! `RawFileGone` (a rejected file, deleted), 503 `StorageUnavailable`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use pipeline::reprocess::ReprocessError;

use crate::auth::Admin;
use crate::error::{ApiError, Wants};
use crate::AppState;

impl From<ReprocessError> for ApiError {
    fn from(e: ReprocessError) -> Self {
        match e {
            ReprocessError::NotFound(_) => ApiError::not_found(e.to_string()),
            ReprocessError::NotFailed { .. } => {
                ApiError::new(StatusCode::CONFLICT, "RecordConflict", e.to_string())
            }
            ReprocessError::RawFileGone(_) => {
                ApiError::new(StatusCode::CONFLICT, "RawFileGone", e.to_string())
            }
            ReprocessError::Storage(s) => s.into(),
        }
    }
}

pub async fn reprocess(
    _admin: Admin,
    wants: Wants,
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    if !pipeline::keys::is_valid_id(&id) {
        return ApiError::not_found(format!("no reel {id}"))
            .for_client(wants)
            .into_response();
    }
    match st.intake.reprocess(&id).await {
        Ok(done) => (StatusCode::ACCEPTED, Json(done)).into_response(),
        Err(e) => ApiError::from(e).for_client(wants).into_response(),
    }
}
