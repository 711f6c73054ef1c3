//! Thumbnails served from the blob store, with `ETag` and `Last-Modified` (the reel's
//! `updatedAt`) and `304` for a current copy. Only derived objects of an existing reel are
//! public; raw uploads are not served here.

use std::time::SystemTime;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

use crate::conditional::Cacheable;
use crate::error::{ApiError, Wants};
use crate::AppState;

/// When an RFC 3339 time is, for `Last-Modified`.
pub fn system_time(rfc3339: &str) -> Option<SystemTime> {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339).ok()?;
    Some(SystemTime::from(t))
}

pub async fn serve(
    State(st): State<AppState>,
    wants: Wants,
    request: HeaderMap,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    let missing = || ApiError::not_found(format!("no object {key}")).for_client(wants);
    let id = key
        .strip_prefix("thumbnails/")
        .and_then(|rest| rest.split('/').next())
        .filter(|id| pipeline::keys::is_valid_id(id))
        .ok_or_else(missing)?;
    let reel = st
        .intake
        .records
        .get(id)
        .await
        .map_err(|e| ApiError::from(e).for_client(wants))?
        .ok_or_else(missing)?;
    let body = st
        .intake
        .blobs
        .get(&key)
        .await
        .map_err(|e| ApiError::from(e).for_client(wants))?;
    Ok(Cacheable {
        body,
        content_type: "image/jpeg",
        cache_control: "public, max-age=86400",
        modified: system_time(&reel.updated_at),
    }
    .respond(&request))
}
