//! Static assets from `web/`, built into the binary.

use axum::extract::Path;
use axum::http::header;
use axum::response::IntoResponse;

use crate::error::ApiError;

const APP_CSS: &str = include_str!("../../../web/app.css");
const UPLOAD_JS: &str = include_str!("../../../web/upload.js");
const REEL_JS: &str = include_str!("../../../web/reel.js");

pub async fn serve(Path(file): Path<String>) -> Result<impl IntoResponse, ApiError> {
    let (body, ty) = match file.as_str() {
        "app.css" => (APP_CSS, "text/css; charset=utf-8"),
        "upload.js" => (UPLOAD_JS, "text/javascript; charset=utf-8"),
        "reel.js" => (REEL_JS, "text/javascript; charset=utf-8"),
        _ => return Err(ApiError::not_found(format!("no asset {file}"))),
    };
    Ok((
        [
            (header::CONTENT_TYPE, ty),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    ))
}
