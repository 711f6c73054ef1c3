//! One log line per request: method, path, status, duration and the reel id the path names.
//! In the upload Lambda the runtime's span adds the Lambda request id, and the JSON log
//! format makes each one a JSON line; under `serve` it is a plain line.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

/// The media id among the path's segments, if one is there.
fn reel_id(path: &str) -> Option<&str> {
    path.split('/')
        .find(|s| pipeline::keys::is_valid_id(s) && s.len() >= 32)
}

pub async fn log(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    tracing::info!(
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        duration_ms = started.elapsed().as_millis() as u64,
        reel_id = reel_id(&path).unwrap_or_default(),
        "request"
    );
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_reel_id_comes_from_the_path() {
        let id = "0193a5b0-7c1e-7d2a-9f00-00000000e001";
        assert_eq!(super::reel_id(&format!("/api/reels/{id}")), Some(id));
        assert_eq!(
            super::reel_id(&format!("/media/thumbnails/{id}/160.jpg")),
            Some(id)
        );
        assert_eq!(super::reel_id("/gallery"), None);
    }
}
