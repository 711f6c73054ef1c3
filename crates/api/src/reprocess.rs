//! `POST /api/reels/{id}/reprocess` (admin token): a FAILED reel whose raw file was kept goes
//! back to PROCESSING and runs again (`pipeline::reprocess`). 202 with the reel's status
//! and the execution now running it; 401 `Unauthorized` without the token, 404 `NotFound`,
//! 409 `RecordConflict` (not FAILED) or `RawFileGone` (a rejected file, deleted), 503
//! `StorageUnavailable`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use pipeline::reprocess::ReprocessError;

use crate::auth::AdminAccess;
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
    wants: Wants,
    headers: HeaderMap,
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    if !st.admin.allows(&headers) {
        let (status, code) = match st.admin {
            AdminAccess::Disabled => (StatusCode::FORBIDDEN, "AdminDisabled"),
            _ => (StatusCode::UNAUTHORIZED, "Unauthorized"),
        };
        return ApiError::new(
            status,
            code,
            "reprocessing needs the admin token: send `Authorization: Bearer <token>`",
        )
        .for_client(wants)
        .into_response();
    }
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
