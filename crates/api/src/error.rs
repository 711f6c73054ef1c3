//! API errors: a status, a stable code and a message, rendered as JSON or as an HTML page
//! depending on what the client asked for (`Accept`).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use pipeline::intake::IntakeError;
use pipeline::StoreError;

use maud::html;

use crate::html::page;

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
            IntakeError::UnsupportedType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            IntakeError::UnknownUpload(_) => StatusCode::NOT_FOUND,
            IntakeError::Incomplete(_) => StatusCode::CONFLICT,
            IntakeError::DirectUnavailable => StatusCode::NOT_IMPLEMENTED,
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
        match self.wants {
            Wants::Json => (
                self.status,
                Json(serde_json::json!({ "error": self.code, "message": self.message })),
            )
                .into_response(),
            Wants::Html => {
                let reason = self.status.canonical_reason().unwrap_or("");
                let body = html! {
                    section.error {
                        h1 { (self.status.as_u16()) " " (reason) }
                        p { code { (self.code) } }
                        p { (self.message) }
                        p { a href="/" { "Back to the upload form" } }
                    }
                };
                (self.status, Html(page("Error", body).into_string())).into_response()
            }
        }
    }
}

pub async fn not_found(wants: Wants) -> ApiError {
    ApiError::not_found("no such page").for_client(wants)
}
