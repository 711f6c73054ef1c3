//! Security headers on every response: a strict Content-Security-Policy (no inline script
//! or style, no framing), `X-Content-Type-Options: nosniff`, a referrer policy and
//! `X-Frame-Options` for browsers that predate `frame-ancestors`.

use axum::http::{header, HeaderName, HeaderValue};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

/// The policy. `extra_origins` are where the browser also talks to outside this origin: the
/// bucket of presigned uploads and media on AWS (`UploadSigner::browser_origin`).
pub fn content_security_policy(extra_origins: &[String]) -> String {
    let extra: String = extra_origins.iter().map(|o| format!(" {o}")).collect();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data: blob:{extra}; media-src 'self' blob:{extra}; connect-src 'self'{extra}; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )
}

/// Wrap `router` so every response carries the headers (a handler's own value wins).
pub fn with_headers<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    extra_origins: &[String],
) -> Router<S> {
    let csp = HeaderValue::from_str(&content_security_policy(extra_origins))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"));
    let fixed: [(HeaderName, &'static str); 3] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    let mut router = router.layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        csp,
    ));
    for (name, value) in fixed {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    router
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_forbids_inline_code_and_framing() {
        let csp = content_security_policy(&["https://b.s3.eu-west-1.amazonaws.com".into()]);
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(!csp.contains("unsafe-eval"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(
            csp.contains("connect-src 'self' https://b.s3.eu-west-1.amazonaws.com;"),
            "{csp}"
        );
        assert!(csp.contains("media-src 'self' blob: https://b.s3"), "{csp}");
    }
}
