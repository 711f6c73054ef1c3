//! `POST /uploads` (and `/api/uploads`): a multipart form with `name`, `caption` and one
//! `file`. The file is streamed into the blob store as it arrives; the record is written
//! and the execution started only once the whole form has been read and checked.

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use futures_util::TryStreamExt;
use pipeline::intake::{new_delete_token, new_id, IntakeError, StoredRaw};

use crate::error::{ApiError, Wants};
use crate::AppState;

pub async fn upload(State(st): State<AppState>, wants: Wants, request: Request) -> Response {
    match accept(&st, request).await {
        Ok((reel, token)) => accepted(&reel, Some(&token), wants),
        Err(e) => e.for_client(wants).into_response(),
    }
}

/// 202 with the new reel and, the first time, the uploader's delete token (or, for a
/// browser without JavaScript, a redirect to its page with the token in the fragment, which
/// the page's script keeps in local storage and never sends to the server).
pub(crate) fn accepted(
    reel: &pipeline::Reel,
    delete_token: Option<&str>,
    wants: Wants,
) -> Response {
    if wants == Wants::Html {
        let fragment = delete_token
            .map(|t| format!("#delete={t}"))
            .unwrap_or_default();
        Redirect::to(&format!("/reels/{}{fragment}", reel.id)).into_response()
    } else {
        let body = serde_json::json!({
            "id": reel.id,
            "status": reel.status,
            "mediaType": reel.media_type,
            "declaredType": reel.declared_type,
            "size": reel.size,
            "executionArn": reel.execution_arn,
            "deleteToken": delete_token,
            "links": {
                "self": format!("/api/reels/{}", reel.id),
                "page": format!("/reels/{}", reel.id),
                "execution": format!("/console/executions/{}", reel.id),
            }
        });
        (
            StatusCode::ACCEPTED,
            [(header::LOCATION, format!("/api/reels/{}", reel.id))],
            Json(body),
        )
            .into_response()
    }
}

async fn accept(st: &AppState, request: Request) -> Result<(pipeline::Reel, String), ApiError> {
    check_request_headers(st, request.headers())?;
    st.intake.admit()?;
    let mut form = Multipart::from_request(request, st)
        .await
        .map_err(|e| ApiError::new(e.status(), "InvalidForm", e.body_text()))?;
    let id = new_id();
    let mut name = None;
    let mut caption = None;
    let mut stored: Option<StoredRaw> = None;
    let result = read_form(st, &id, &mut form, &mut name, &mut caption, &mut stored).await;
    let fields = result.and_then(|()| {
        if stored.is_none() {
            return Err(IntakeError::invalid("file", "is required").into());
        }
        st.intake
            .check_fields(
                name.as_deref().unwrap_or(""),
                caption.as_deref().unwrap_or(""),
            )
            .map_err(ApiError::from)
    });
    let fields = match fields {
        Ok(f) => f,
        Err(e) => {
            // Nothing is recorded for a refused form, so nothing of it may stay stored.
            if let Some(s) = &stored {
                st.intake.discard(s).await;
            }
            drain(&mut form).await;
            return Err(e);
        }
    };
    let stored =
        stored.ok_or_else(|| ApiError::from(IntakeError::invalid("file", "is required")))?;
    let (token, token_hash) = new_delete_token();
    let reel = st.intake.register(&id, fields, stored, token_hash).await?;
    Ok((reel, token))
}

/// Read (and drop) what is left of a refused form, as a lingering close does: a client that
/// sends its whole body before it reads the answer (most HTTP libraries do) then gets the
/// refusal instead of a reset connection. Bounded by the body limit: past it, or on any read
/// error, it stops.
async fn drain(form: &mut Multipart) {
    while let Ok(Some(mut field)) = form.next_field().await {
        while let Ok(Some(_)) = field.chunk().await {}
    }
}

/// 415 for anything but a multipart form; 413 at once when the declared length is too big.
fn check_request_headers(st: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("multipart/form-data") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedContentType",
            format!("send the upload as multipart/form-data, not {ct:?}"),
        ));
    }
    let limit = st.intake.settings.max_upload_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit.saturating_add(crate::FORM_OVERHEAD)) {
        return Err(IntakeError::TooLarge { limit }.into());
    }
    Ok(())
}

async fn read_form(
    st: &AppState,
    id: &str,
    form: &mut Multipart,
    name: &mut Option<String>,
    caption: &mut Option<String>,
    stored: &mut Option<StoredRaw>,
) -> Result<(), ApiError> {
    let form_error = |e: axum::extract::multipart::MultipartError| {
        let status = e.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "UploadTooLarge"
        } else {
            "InvalidForm"
        };
        ApiError::new(status, code, e.body_text())
    };
    while let Some(field) = form.next_field().await.map_err(form_error)? {
        match field.name().unwrap_or("") {
            "name" => *name = Some(field.text().await.map_err(form_error)?),
            "caption" => *caption = Some(field.text().await.map_err(form_error)?),
            "file" => {
                if stored.is_some() {
                    return Err(IntakeError::invalid("file", "send one file per upload").into());
                }
                let filename = field.file_name().unwrap_or("upload").to_owned();
                let part_type = field.content_type().map(str::to_owned);
                let over_limit = std::sync::atomic::AtomicBool::new(false);
                let body = field_body(field, &over_limit);
                let raw = st
                    .intake
                    .store_raw(id, &filename, part_type.as_deref(), Box::pin(body))
                    .await;
                match raw {
                    Ok(raw) => *stored = Some(raw),
                    Err(_) if over_limit.load(std::sync::atomic::Ordering::Relaxed) => {
                        let limit = st.intake.settings.max_upload_bytes;
                        return Err(IntakeError::TooLarge { limit }.into());
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            _ => {
                // unknown fields are read and ignored
                let _ = field.bytes().await.map_err(form_error)?;
            }
        }
    }
    Ok(())
}

/// A file part as a byte stream. The body limit shows up as an error inside the part's
/// stream, wherever a network read happens to cross it; `over_limit` remembers it so the
/// client gets 413 rather than a generic broken-form answer.
pub(crate) fn field_body<'a>(
    field: axum::extract::multipart::Field<'a>,
    over_limit: &'a std::sync::atomic::AtomicBool,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send + 'a {
    field.map_err(move |e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            over_limit.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        std::io::Error::other(e.body_text())
    })
}
