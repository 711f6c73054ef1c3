//! The upload rate limit: a token bucket per client address. Each upload (`POST /uploads`,
//! `/api/uploads`, `/api/uploads/direct`) takes a token; a client whose bucket is empty gets
//! 429 `TooManyRequests` with `Retry-After` before anything is read or stored. The address
//! comes from the connection (axum's `ConnectInfo`); requests without one (the Lambda
//! behind API Gateway, which throttles itself) are not limited here.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, Wants};

/// How many uploads a client may start: `burst` at once, then `per_minute`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_minute: f64,
    pub burst: f64,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The buckets of every client address seen lately.
#[derive(Debug)]
pub struct Limiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl Limiter {
    pub fn new(limit: RateLimit) -> Arc<Self> {
        Arc::new(Limiter {
            limit,
            buckets: Mutex::new(HashMap::new()),
        })
    }

    /// Take a token for `ip` at `now`; `Err(wait)` when there is none yet.
    pub fn take(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let rate = self.limit.per_minute / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 10_000 {
            // forget the clients whose buckets have filled up again
            let full = self.limit.burst;
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < full);
        }
        let b = buckets.entry(ip).or_insert(Bucket {
            tokens: self.limit.burst,
            at: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * rate).min(self.limit.burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else if rate <= 0.0 {
            Err(Duration::from_secs(60))
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / rate))
        }
    }
}

fn is_upload(request: &Request) -> bool {
    request.method() == Method::POST
        && matches!(
            request.uri().path(),
            "/uploads" | "/api/uploads" | "/api/uploads/direct"
        )
}

/// Middleware: 429 for a client past its upload rate.
pub async fn limit_uploads(
    State(limiter): State<Arc<Limiter>>,
    request: Request,
    next: Next,
) -> Response {
    if is_upload(&request) {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        if let Some(ip) = peer {
            if let Err(wait) = limiter.take(ip, Instant::now()) {
                let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
                let mut response = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "TooManyRequests",
                    format!("too many uploads from this address; try again in {secs} s"),
                )
                .retry_after(secs)
                .for_client(Wants::from_headers(request.headers()))
                .into_response();
                response.headers_mut().insert(
                    axum::http::header::CONNECTION,
                    axum::http::HeaderValue::from_static("close"),
                );
                return response;
            }
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_empties_and_refills() {
        let l = Limiter::new(RateLimit {
            per_minute: 60.0,
            burst: 3.0,
        });
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.take(ip, t0).is_ok());
        }
        let wait = l.take(ip, t0).unwrap_err();
        assert!(
            wait <= Duration::from_secs(1) && wait > Duration::ZERO,
            "{wait:?}"
        );
        assert!(l.take(other, t0).is_ok(), "buckets are per address");
        assert!(l.take(ip, t0 + Duration::from_millis(1100)).is_ok());
        assert!(l.take(ip, t0 + Duration::from_millis(1200)).is_err());
    }
}
