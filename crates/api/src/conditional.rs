//! Conditional GET for media and assets: an `ETag` (a hash of the bytes) and a
//! `Last-Modified`, and `304 Not Modified` when the client's copy is current.

use std::time::SystemTime;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use sha2::{Digest, Sha256};

/// A strong validator for `body`: the first 16 bytes of its SHA-256, quoted.
pub fn etag_of(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether the request's validators say the client already has this version. `If-None-Match`
/// wins over `If-Modified-Since` (RFC 9110 §13.2.2).
pub fn is_fresh(request: &HeaderMap, etag: &str, modified: Option<SystemTime>) -> bool {
    if let Some(inm) = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        return inm
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == etag);
    }
    let since = request
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok());
    match (since, modified) {
        (Some(since), Some(modified)) => truncate(modified) <= since,
        _ => false,
    }
}

/// HTTP dates have whole seconds.
pub fn truncate(t: SystemTime) -> SystemTime {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs)
}

/// A cacheable body: 200 with validators, or 304 when the client's copy is current.
pub struct Cacheable {
    pub body: Bytes,
    pub content_type: &'static str,
    pub cache_control: &'static str,
    pub modified: Option<SystemTime>,
}

impl Cacheable {
    pub fn respond(self, request: &HeaderMap) -> Response {
        let etag = etag_of(&self.body);
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&etag) {
            headers.insert(header::ETAG, v);
        }
        if let Some(m) = self.modified {
            if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(m)) {
                headers.insert(header::LAST_MODIFIED, v);
            }
        }
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(self.cache_control),
        );
        if is_fresh(request, &etag, self.modified) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        (headers, self.body).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn matching_validators_are_fresh_and_others_are_not() {
        let etag = etag_of(b"abc");
        assert!(is_fresh(&with(header::IF_NONE_MATCH, &etag), &etag, None));
        assert!(is_fresh(
            &with(header::IF_NONE_MATCH, &format!("\"x\", W/{etag}")),
            &etag,
            None
        ));
        assert!(!is_fresh(
            &with(header::IF_NONE_MATCH, "\"x\""),
            &etag,
            None
        ));
        let then = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        let date = httpdate::fmt_http_date(then);
        assert!(is_fresh(
            &with(header::IF_MODIFIED_SINCE, &date),
            &etag,
            Some(then)
        ));
        let later = then + std::time::Duration::from_secs(5);
        assert!(!is_fresh(
            &with(header::IF_MODIFIED_SINCE, &date),
            &etag,
            Some(later)
        ));
        assert!(!is_fresh(&HeaderMap::new(), &etag, Some(then)));
    }

    #[test]
    fn a_fresh_copy_gets_304_without_a_body() {
        let body = Bytes::from_static(b"thumb");
        let c = || Cacheable {
            body: body.clone(),
            content_type: "image/jpeg",
            cache_control: "public, max-age=60",
            modified: None,
        };
        let first = c().respond(&HeaderMap::new());
        assert_eq!(first.status(), StatusCode::OK);
        let etag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
        let again = c().respond(&with(header::IF_NONE_MATCH, &etag));
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    }
}
