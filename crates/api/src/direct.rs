//! Direct uploads over HTTP (see `pipeline::direct` for the flow):
//!
//! - `POST /api/uploads/direct` (JSON `{name, caption, filename, contentType, size}`) →
//!   201 `{id, upload: {url, fields, expiresAt}, links}`: the presigned POST to send the
//!   file with.
//! - `POST /api/uploads/{id}/complete` → 202, as an upload through the API answers.
//! - `POST /direct-uploads`: the local stand-in for the bucket's POST endpoint. It checks
//!   the signed fields before a byte is stored, stores the file, then completes the upload
//!   as S3's Object Created event does on AWS. Answers 204 like S3.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use pipeline::direct::DirectRequest;
use pipeline::StoreError;

use crate::error::{ApiError, Wants};
use crate::uploads::accepted;
use crate::AppState;

pub async fn begin(State(st): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let request: DirectRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            format!("expected JSON {{name, caption, filename, contentType, size}}: {e}"),
        )
    })?;
    let direct = st.intake.begin_direct(&request).await?;
    let body = serde_json::json!({
        "id": direct.id,
        "upload": direct.upload,
        "deleteToken": direct.delete_token,
        "links": {
            "complete": format!("/api/uploads/{}/complete", direct.id),
            "page": format!("/reels/{}", direct.id),
        }
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

pub async fn complete(
    State(st): State<AppState>,
    Path(id): Path<String>,
    wants: Wants,
) -> Response {
    match st.intake.complete_direct(&id).await {
        Ok(reel) => accepted(&reel, None, wants),
        Err(e) => ApiError::from(e).for_client(wants).into_response(),
    }
}

fn denied(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "AccessDenied", message)
}

/// The local bucket endpoint: fields first, then the file, as S3 takes a POST form.
pub async fn receive(State(st): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let signer = st
        .intake
        .signer
        .clone()
        .ok_or_else(|| denied("this server signs no direct uploads"))?;
    let mut form = Multipart::from_request(request, &st)
        .await
        .map_err(|e| ApiError::new(e.status(), "InvalidForm", e.body_text()))?;
    let form_error = |e: axum::extract::multipart::MultipartError| {
        ApiError::new(e.status(), "InvalidForm", e.body_text())
    };
    let mut fields = BTreeMap::new();
    while let Some(field) = form.next_field().await.map_err(form_error)? {
        let name = field.name().unwrap_or("").to_owned();
        if name != "file" {
            if fields.len() >= 32 {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "InvalidForm",
                    "too many fields",
                ));
            }
            fields.insert(name, field.text().await.map_err(form_error)?);
            continue;
        }
        // The policy is checked before any of the file is read.
        let signed = signer
            .verify_post(&fields)
            .map_err(|e| denied(e.to_string()))?;
        let id = pipeline::keys::incoming_id(&signed.key)
            .ok_or_else(|| denied("the signed key is not a direct upload's"))?
            .to_owned();
        let over_limit = std::sync::atomic::AtomicBool::new(false);
        let body = crate::uploads::field_body(field, &over_limit);
        let size = st
            .intake
            .blobs
            .put_stream(
                &signed.key,
                Box::pin(body),
                &signed.content_type,
                signed.max_bytes,
            )
            .await
            .map_err(|e| match e {
                StoreError::TooLarge { .. } | StoreError::Invalid(_)
                    if over_limit.load(std::sync::atomic::Ordering::Relaxed) =>
                {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "UploadTooLarge",
                        format!(
                            "the file is larger than the signed limit of {} bytes",
                            signed.max_bytes
                        ),
                    )
                }
                StoreError::TooLarge { limit } => ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "UploadTooLarge",
                    format!("the file is larger than the signed limit of {limit} bytes"),
                ),
                other => ApiError::from(other),
            })?;
        if size < signed.min_bytes {
            st.intake.blobs.delete(&signed.key).await?;
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "EntityTooSmall",
                format!(
                    "the file has {size} bytes, fewer than the signed {}",
                    signed.min_bytes
                ),
            ));
        }
        // What the S3 event does on AWS. The file is stored whatever happens here; the
        // browser's own completion call tells it the outcome.
        if let Err(e) = st.intake.complete_direct(&id).await {
            tracing::warn!(id, error = %e, "direct upload stored but not completed");
        }
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    Err(ApiError::new(
        StatusCode::BAD_REQUEST,
        "InvalidForm",
        "the form has no file part",
    ))
}
