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
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            wants: Wants::Json,
        }
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
        match self.wants {
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
        }
    }
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
