//! API errors: a status, a stable code and a message, rendered as JSON or as an HTML page
//! depending on what the client asked for (`Accept`).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use pipeline::intake::IntakeError;
use pipeline::StoreError;

use maud::{html, Markup};

use crate::html::page;
use crate::words::{looks_like_in, plain};

/// Whether the client wants a page (a browser) or JSON (everything else, curl included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wants {
    Html,
    Json,
}

impl Wants {
    pub fn from_headers(headers: &HeaderMap) -> Wants {
        let accept = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if accept.contains("text/html") {
            Wants::Html
        } else {
            Wants::Json
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Wants {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Wants::from_headers(&parts.headers))
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub wants: Wants,
    /// seconds for a `Retry-After` header (503 `Busy`, 429)
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            wants: Wants::Json,
            retry_after: None,
        }
    }

    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    pub fn for_client(mut self, wants: Wants) -> Self {
        self.wants = wants;
        self
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "NotFound", what)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match &e {
            StoreError::NotFound(_) => ApiError::not_found(e.to_string()),
            StoreError::Unavailable(_) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "StorageUnavailable",
                e.to_string(),
            ),
            StoreError::TooLarge { .. } => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "UploadTooLarge",
                e.to_string(),
            ),
            StoreError::AlreadyExists(_) => {
                ApiError::new(StatusCode::CONFLICT, "Conflict", e.to_string())
            }
            StoreError::Invalid(_) => {
                ApiError::new(StatusCode::BAD_REQUEST, "InvalidRequest", e.to_string())
            }
        }
    }
}

impl From<IntakeError> for ApiError {
    fn from(e: IntakeError) -> Self {
        let status = match &e {
            IntakeError::InvalidField { .. } => StatusCode::BAD_REQUEST,
            IntakeError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            IntakeError::UnsupportedType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            IntakeError::UnknownUpload(_) => StatusCode::NOT_FOUND,
            IntakeError::Incomplete(_) => StatusCode::CONFLICT,
            IntakeError::DirectUnavailable => StatusCode::NOT_IMPLEMENTED,
            IntakeError::Forbidden(_) => StatusCode::FORBIDDEN,
            IntakeError::Busy {
                retry_after_secs, ..
            } => {
                return ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string())
                    .retry_after(*retry_after_secs)
            }
            IntakeError::Storage(StoreError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            // the request body broke off or named something invalid
            IntakeError::Storage(StoreError::Invalid(_)) => StatusCode::BAD_REQUEST,
            IntakeError::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = %self.status, code = self.code, message = %self.message, "request failed");
        } else {
            tracing::info!(status = %self.status, code = self.code, message = %self.message, "request refused");
        }
        let words = plain(self.code, looks_like_in(&self.message));
        let mut response = match self.wants {
            Wants::Json => (
                self.status,
                Json(serde_json::json!({
                    "error": self.code,
                    "message": self.message,
                    "hint": format!("{} {}", words.what, words.next),
                    "advice": { "what": words.what, "next": words.next },
                })),
            )
                .into_response(),
            Wants::Html => {
                let body = error_section(self.code, &self.message, &words, Some(self.status), true);
                (self.status, Html(page("Error", body).into_string())).into_response()
            }
        };
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
        }
        response.extensions_mut().insert(Shaped);
        response
    }
}

/// Marks a response that already has the error shape (or is a deliberate page, such as the
/// sign-in form answering 401), so [`shape_errors`] leaves it as it is.
#[derive(Debug, Clone, Copy)]
pub struct Shaped;

/// Mark a hand-made error response as deliberate.
pub fn shaped(mut response: Response) -> Response {
    response.extensions_mut().insert(Shaped);
    response
}

/// The stable name of an error status that no handler named (extractor rejections, the
/// router's 404/405, body limits).
pub fn name_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 422 => "InvalidRequest",
        401 => "Unauthorized",
        403 => "AccessDenied",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        408 => "RequestTimeout",
        409 => "Conflict",
        411 => "LengthRequired",
        413 => "UploadTooLarge",
        414 => "UriTooLong",
        415 => "UnsupportedContentType",
        429 => "TooManyRequests",
        431 => "HeadersTooLarge",
        503 => "Unavailable",
        504 => "Timeout",
        s if s >= 500 => "InternalError",
        _ => "InvalidRequest",
    }
}

/// Headers an error loses when it is reshaped (they describe the old body); the others
/// (`Allow`, `Retry-After`, `WWW-Authenticate`, `Content-Range` …) stay.
const BODY_HEADERS: [header::HeaderName; 4] = [
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    header::TRANSFER_ENCODING,
    header::CONTENT_ENCODING,
];

/// Middleware: every 4xx and 5xx leaves as `{"error": NAME, "message": …}` (or the HTML
/// error page), whoever produced it; a request whose declared length is over `limit`
/// bytes is refused with 413 before any handler runs, on every path.
pub async fn shape_errors(
    axum::extract::State(limit): axum::extract::State<u64>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let wants = Wants::from_headers(request.headers());
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        let mut response = ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "UploadTooLarge",
            format!("the request body is larger than the limit of {limit} bytes"),
        )
        .for_client(wants)
        .into_response();
        // the body is not read: the client must not reuse this connection for more
        response.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
        return response;
    }
    let response = next.run(request).await;
    let status = response.status();
    // a body that is already JSON (the Step Functions API answers in AWS's own error
    // shape) or a page is deliberate
    let deliberate = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.contains("json") || t.starts_with("text/html"));
    if !(status.is_client_error() || status.is_server_error())
        || deliberate
        || response.extensions().get::<Shaped>().is_some()
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 2048).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let message = match (status, text.trim()) {
        (StatusCode::METHOD_NOT_ALLOWED, _) => {
            let allow = parts
                .headers
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            format!("this route takes {allow}")
        }
        (_, "") => status.canonical_reason().unwrap_or("error").to_owned(),
        (_, t) => t.to_owned(),
    };
    let mut reshaped = ApiError::new(status, name_for(status), message)
        .for_client(wants)
        .into_response();
    for (name, value) in &parts.headers {
        if !BODY_HEADERS.contains(name) && !reshaped.headers().contains_key(name) {
            reshaped.headers_mut().insert(name.clone(), value.clone());
        }
    }
    reshaped
}

/// An error for people: the plain words and the next step, the technical cause under a
/// details toggle, and a way on. Used by error pages and by a FAILED reel's page.
pub fn error_section(
    code: &str,
    message: &str,
    words: &crate::words::Plain,
    status: Option<StatusCode>,
    page_title: bool,
) -> Markup {
    html! {
        section.error-box role="alert" {
            @if page_title { h1 { (words.what) } } @else { h2 { (words.what) } }
            p.next { (words.next) }
            p.actions {
                @if words.try_another_file {
                    a.button href="/" { "Try another file" }
                } @else {
                    a.button href="/" { "Back to the upload form" }
                }
                " "
                a href="/gallery" { "Gallery" }
            }
            details.technical {
                summary { "Technical details" }
                p {
                    @if let Some(status) = status { (status.as_u16()) " " }
                    code { (code) }
                }
                p.cause { (message) }
            }
        }
    }
}

pub async fn not_found(wants: Wants) -> ApiError {
    ApiError::not_found("no such page").for_client(wants)
}
