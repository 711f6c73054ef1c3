//! Ranged, conditional answers for objects of the blob store (video renditions): `ETag`
//! and `Last-Modified` from the store, `304` when the client's copy is current,
//! `Accept-Ranges: bytes`, one range as `206 Partial Content` with `Content-Range`, `416`
//! when no byte of the range exists. Browsers need ranges to seek (Safari will not play a
//! video without them). The body is streamed from the store, never held whole.

use std::time::SystemTime;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use pipeline::{BlobStore, StoreError};

use crate::conditional::{is_fresh, truncate};

/// What to send for one object.
pub struct Ranged<'a> {
    pub key: &'a str,
    pub content_type: &'static str,
    pub cache_control: &'static str,
}

/// The byte range to send: `None` for the whole object.
#[derive(Debug, PartialEq, Eq)]
enum Wanted {
    Whole,
    Part { start: u64, end: u64 },
    Unsatisfiable,
}

/// Reads `Range` (and `If-Range`) against an object of `size` bytes. Several ranges are
/// answered with the whole object (RFC 9110 lets a server ignore `Range`).
fn wanted(request: &HeaderMap, size: u64, etag: &str, modified: Option<SystemTime>) -> Wanted {
    let Some(range) = request.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Wanted::Whole;
    };
    if let Some(cond) = request.get(header::IF_RANGE).and_then(|v| v.to_str().ok()) {
        let current = if cond.trim_start().starts_with('"') {
            cond.trim() == etag
        } else {
            let since = httpdate::parse_http_date(cond).ok();
            matches!((since, modified), (Some(s), Some(m)) if truncate(m) <= s)
        };
        if !current {
            return Wanted::Whole;
        }
    }
    let ranges = match http_range_header::parse_range_header(range) {
        Ok(parsed) => parsed.validate(size),
        Err(e) => Err(e),
    };
    match ranges.as_deref() {
        Ok([one]) => Wanted::Part {
            start: *one.start(),
            end: *one.end(),
        },
        Ok(_) => Wanted::Whole,
        Err(_) => Wanted::Unsatisfiable,
    }
}

fn put(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}

impl Ranged<'_> {
    /// The answer to a GET (or HEAD) of the object; `NotFound` when it does not exist.
    pub async fn respond(
        &self,
        blobs: &dyn BlobStore,
        request: &HeaderMap,
    ) -> Result<Response, StoreError> {
        let info = blobs
            .head(self.key)
            .await?
            .ok_or_else(|| StoreError::NotFound(self.key.to_owned()))?;
        let size = info.size;
        let etag = info.etag.clone().unwrap_or_else(|| format!("\"{size:x}\""));
        let mut headers = HeaderMap::new();
        put(&mut headers, header::ETAG, &etag);
        if let Some(m) = info.last_modified {
            put(
                &mut headers,
                header::LAST_MODIFIED,
                &httpdate::fmt_http_date(m),
            );
        }
        put(&mut headers, header::CACHE_CONTROL, self.cache_control);
        put(&mut headers, header::ACCEPT_RANGES, "bytes");
        if is_fresh(request, &etag, info.last_modified) {
            return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
        }
        put(&mut headers, header::CONTENT_TYPE, self.content_type);
        let (status, start, len) = match wanted(request, size, &etag, info.last_modified) {
            Wanted::Whole => (StatusCode::OK, 0, size),
            Wanted::Part { start, end } => {
                put(
                    &mut headers,
                    header::CONTENT_RANGE,
                    &format!("bytes {start}-{end}/{size}"),
                );
                (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
            }
            Wanted::Unsatisfiable => {
                headers.remove(header::CONTENT_TYPE);
                put(
                    &mut headers,
                    header::CONTENT_RANGE,
                    &format!("bytes */{size}"),
                );
                return Ok((StatusCode::RANGE_NOT_SATISFIABLE, headers).into_response());
            }
        };
        put(&mut headers, header::CONTENT_LENGTH, &len.to_string());
        let body = blobs.get_range(self.key, start, len).await?;
        Ok((status, headers, Body::from_stream(body)).into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn single_ranges_are_read_against_the_size() {
        let r = |v: &str| wanted(&with(&[(header::RANGE, v)]), 2000, "\"e\"", None);
        assert_eq!(r("bytes=0-1"), Wanted::Part { start: 0, end: 1 });
        assert_eq!(
            r("bytes=1000-"),
            Wanted::Part {
                start: 1000,
                end: 1999
            }
        );
        assert_eq!(
            r("bytes=-500"),
            Wanted::Part {
                start: 1500,
                end: 1999
            }
        );
        assert_eq!(
            r("bytes=1990-5000"),
            Wanted::Part {
                start: 1990,
                end: 1999
            }
        );
        assert_eq!(r("bytes=2000-"), Wanted::Unsatisfiable);
        assert_eq!(r("bytes=5-2"), Wanted::Unsatisfiable);
        assert_eq!(r("bytes=0-1,5-6"), Wanted::Whole);
        assert_eq!(
            wanted(&HeaderMap::new(), 2000, "\"e\"", None),
            Wanted::Whole
        );
    }

    #[test]
    fn an_if_range_for_another_version_gets_the_whole_object() {
        let h = with(&[(header::RANGE, "bytes=0-1"), (header::IF_RANGE, "\"old\"")]);
        assert_eq!(wanted(&h, 10, "\"new\"", None), Wanted::Whole);
        let h = with(&[(header::RANGE, "bytes=0-1"), (header::IF_RANGE, "\"new\"")]);
        assert_eq!(
            wanted(&h, 10, "\"new\"", None),
            Wanted::Part { start: 0, end: 1 }
        );
    }
}
