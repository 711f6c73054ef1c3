//! Derived objects served from the blob store: thumbnails with `ETag` and `Last-Modified`
//! (the reel's `updatedAt`) and `304` for a current copy; video renditions with range
//! requests and the store's validators (`ranged`). On AWS both are a redirect to a
//! presigned S3 GET instead (the objects carry their own `Cache-Control`). Only derived
//! objects of an existing reel are public (those of a reel awaiting review only to the
//! operator); raw uploads are not served.

use std::time::{Duration, SystemTime};

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::conditional::Cacheable;
use crate::error::{ApiError, Wants};
use crate::ranged::Ranged;
use crate::AppState;

/// How long a presigned GET of a thumbnail or rendition stays valid (the redirect is cached
/// for less).
const PRESIGNED_GET_TTL: Duration = Duration::from_secs(3600);

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
    let (kind, rest) = key.split_once('/').ok_or_else(missing)?;
    let id = rest
        .split('/')
        .next()
        .filter(|id| pipeline::keys::is_valid_id(id))
        .ok_or_else(missing)?;
    if !matches!(kind, "thumbnails" | "renditions") {
        return Err(missing());
    }
    let reel = st
        .intake
        .records
        .get(id)
        .await
        .map_err(|e| ApiError::from(e).for_client(wants))?
        .ok_or_else(missing)?;
    if kind == "renditions" && !key.ends_with(".mp4") {
        return Err(missing());
    }
    // a reel awaiting review shows its media to the operator only (the moderation queue)
    let pending = reel.visibility == pipeline::Visibility::Pending;
    if pending && crate::privacy::Audience::of(&st, &request) != crate::privacy::Audience::Operator
    {
        return Err(missing());
    }
    let cache_control = if pending {
        "private, no-store"
    } else {
        "public, max-age=86400"
    };
    // On AWS the browser fetches the object from S3 with a presigned GET (ranges and
    // validators answered by S3): no image passes through a Lambda, and a video could not
    // (Lambda's 6 MB response).
    if let Some(signer) = &st.intake.signer {
        let url = signer
            .presign_get(&key, PRESIGNED_GET_TTL)
            .await
            .map_err(|e| ApiError::from(e).for_client(wants))?;
        if let Some(url) = url {
            return Ok((
                StatusCode::TEMPORARY_REDIRECT,
                [
                    (header::LOCATION, url),
                    (header::CACHE_CONTROL, "private, max-age=300".to_owned()),
                ],
            )
                .into_response());
        }
    }
    if kind == "renditions" {
        let ranged = Ranged {
            key: &key,
            content_type: "video/mp4",
            cache_control,
        };
        return ranged
            .respond(st.intake.blobs.as_ref(), &request)
            .await
            .map_err(|e| ApiError::from(e).for_client(wants));
    }
    let body = st
        .intake
        .blobs
        .get(&key)
        .await
        .map_err(|e| ApiError::from(e).for_client(wants))?;
    Ok(Cacheable {
        body,
        content_type: "image/jpeg",
        cache_control,
        modified: system_time(&reel.updated_at),
    }
    .respond(&request))
}
