//! Static assets from `web/`, built into the binary, served with `ETag`/`Last-Modified`
//! (the time this process started, which is when the embedded files last changed) and
//! `304` for a current copy. `/favicon.ico` answers with the SVG icon.

use std::sync::LazyLock;
use std::time::SystemTime;

use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::conditional::Cacheable;
use crate::error::ApiError;

const FILES: &[(&str, &str, &str)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../../../web/app.css"),
    ),
    (
        "upload.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../web/upload.js"),
    ),
    (
        "reel.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../web/reel.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("../../../web/favicon.svg"),
    ),
];

static STARTED: LazyLock<SystemTime> = LazyLock::new(SystemTime::now);

fn asset(file: &str, request: &HeaderMap) -> Option<Response> {
    let (_, ty, body) = FILES.iter().find(|(name, _, _)| *name == file)?;
    Some(
        Cacheable {
            body: Bytes::from_static(body.as_bytes()),
            content_type: ty,
            cache_control: "public, max-age=300",
            modified: Some(*STARTED),
        }
        .respond(request),
    )
}

pub async fn serve(Path(file): Path<String>, request: HeaderMap) -> Result<Response, ApiError> {
    asset(&file, &request).ok_or_else(|| ApiError::not_found(format!("no asset {file}")))
}

pub async fn favicon(request: HeaderMap) -> Response {
    asset("favicon.svg", &request)
        .unwrap_or_else(|| ApiError::not_found("no favicon").into_response())
}
