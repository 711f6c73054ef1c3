//! Thumbnails served from the blob store. Only derived objects are public; raw uploads
//! are not served.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;

use crate::error::{ApiError, Wants};
use crate::AppState;

pub async fn serve(
    State(st): State<AppState>,
    wants: Wants,
    Path(key): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    if !key.starts_with("thumbnails/") {
        return Err(ApiError::not_found(format!("no object {key}")).for_client(wants));
    }
    let body = st
        .intake
        .blobs
        .get(&key)
        .await
        .map_err(|e| ApiError::from(e).for_client(wants))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "public, max-age=86400, immutable"),
        ],
        body,
    ))
}
