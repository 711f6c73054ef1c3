//! The HTTP API authorizer's decision on AWS (`functions/authorizer`): which route keys
//! anyone may call, and for the rest the admin token as `serve` takes it: a bearer header
//! (`Authorization: Bearer T`) or the cookie its sign-in page sets (`media_hub_admin`, a
//! SHA-256 digest of the token, never the token), compared in constant time. The route keys
//! are those template.yaml gives the upload function's events; every other path reaches the
//! router as `ANY /{proxy+}` and needs the token.
//!
//! The event is API Gateway's HTTP API authorizer request, payload format 2.0; the answer
//! is the simple response `{"isAuthorized": bool}`.

use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The sign-in cookie's name.
pub const COOKIE: &str = "media_hub_admin";

/// The admin token the authorizer checks; `None` closes every admin route.
#[derive(Clone, Default)]
pub struct AdminToken(Option<std::sync::Arc<str>>);

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "AdminToken(<redacted>)"
        } else {
            "AdminToken(none)"
        })
    }
}

impl AdminToken {
    /// A configured token (empty or blank counts as none).
    pub fn new(token: Option<&str>) -> AdminToken {
        AdminToken(
            token
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(Into::into),
        )
    }

    /// Whether a token is configured.
    pub fn is_set(&self) -> bool {
        self.0.is_some()
    }

    /// Whether `candidate` is the token (the sign-in form's field), in constant time.
    pub fn matches(&self, candidate: &str) -> bool {
        self.0
            .as_deref()
            .is_some_and(|t| same(candidate.trim().as_bytes(), t.as_bytes()))
    }

    /// The sign-in cookie's value for the token.
    pub fn cookie(&self) -> Option<String> {
        self.0.as_deref().map(cookie_value)
    }

    /// Whether these headers carry it, as a bearer token or as the sign-in cookie.
    pub fn allows(&self, headers: &HeaderMap) -> bool {
        let Some(token) = &self.0 else { return false };
        bearer(headers).is_some_and(|t| same(t.as_bytes(), token.as_bytes()))
            || cookie(headers, COOKIE)
                .is_some_and(|c| same(c.as_bytes(), cookie_value(token).as_bytes()))
    }
}

/// The cookie's value for a token: a digest, so the cookie never holds the token.
pub fn cookie_value(token: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"media-hub admin cookie\0")
        .chain_update(token.as_bytes())
        .finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Equality whose time does not depend on where the inputs differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// Open to everyone: signing in, and what the sign-in page needs.
pub const ALWAYS_PUBLIC: &[&str] = &[
    "GET /signin",
    "POST /signin",
    "GET /assets/{file}",
    "GET /favicon.ico",
    "GET /healthz",
];

/// Open to everyone while uploads are public: the upload routes, and following one's own
/// reel by its id (a UUIDv7 with 74 random bits: it cannot be guessed, only be given) and
/// deleting it with its delete token (the router checks the token).
/// Listings (the gallery, `/api/reels`), the console and the execution API are not here.
pub const UPLOAD_ROUTES: &[&str] = &[
    "POST /uploads",
    "POST /api/uploads",
    "POST /api/uploads/direct",
    "POST /api/uploads/{id}/complete",
    "GET /reels/{id}",
    "GET /api/reels/{id}",
    "GET /api/reels/{id}/events",
    "DELETE /api/reels/{id}",
    "GET /media/thumbnails/{proxy+}",
];

/// The authorizer: the admin token, and whether uploads are public.
#[derive(Debug, Clone)]
pub struct Gate {
    pub admin: AdminToken,
    pub public_uploads: bool,
}

/// The parts of the authorizer request the decision reads.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthorizerRequest {
    #[serde(default)]
    route_key: String,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
    /// payload 2.0 moves the `Cookie` header's pairs here
    #[serde(default)]
    cookies: Vec<String>,
}

impl Gate {
    /// The admin token from `MEDIA_HUB_ADMIN_TOKEN` and `PUBLIC_UPLOADS` ("true"/"false").
    /// An AWS deployment always has a token (template.yaml generates it): with none, the
    /// gate lets no admin route through rather than opening them.
    pub fn from_env() -> Gate {
        let admin = AdminToken::new(std::env::var("MEDIA_HUB_ADMIN_TOKEN").ok().as_deref());
        let public_uploads = std::env::var("PUBLIC_UPLOADS")
            .map(|v| v.trim().eq_ignore_ascii_case("true"))
            .unwrap_or(false);
        Gate {
            admin,
            public_uploads,
        }
    }

    /// Whether a request for `route_key` with these headers may pass.
    pub fn allows(&self, route_key: &str, headers: &HeaderMap) -> bool {
        ALWAYS_PUBLIC.contains(&route_key)
            || (self.public_uploads && UPLOAD_ROUTES.contains(&route_key))
            || self.admin.allows(headers)
    }

    /// The decision on an authorizer event, as the simple response. A request that is not
    /// an authorizer event is refused.
    pub fn authorize(&self, event: &Value) -> Value {
        let request: AuthorizerRequest = serde_json::from_value(event.clone()).unwrap_or_default();
        let mut headers = HeaderMap::new();
        for (k, v) in &request.headers {
            if let (Ok(k), Ok(v)) = (
                HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(v),
            ) {
                headers.append(k, v);
            }
        }
        if !request.cookies.is_empty() {
            if let Ok(v) = HeaderValue::from_str(&request.cookies.join("; ")) {
                headers.append(header::COOKIE, v);
            }
        }
        let allowed = !request.route_key.is_empty() && self.allows(&request.route_key, &headers);
        tracing::info!(route = %request.route_key, allowed, "authorizer");
        json!({ "isAuthorized": allowed })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(public_uploads: bool) -> Gate {
        Gate {
            admin: AdminToken::new(Some("s3cret")),
            public_uploads,
        }
    }

    fn event(route: &str, headers: Value, cookies: &[&str]) -> Value {
        json!({
            "version": "2.0", "type": "REQUEST",
            "routeArn": "arn:aws:execute-api:eu-west-1:123456789012:abc/$default/GET/console",
            "routeKey": route, "rawPath": "/x", "headers": headers, "cookies": cookies,
        })
    }

    fn allowed(v: Value) -> bool {
        v["isAuthorized"].as_bool().unwrap()
    }

    #[test]
    fn admin_routes_need_the_token_as_bearer_or_cookie() {
        let g = gate(true);
        assert!(!allowed(g.authorize(&event(
            "ANY /{proxy+}",
            json!({}),
            &[]
        ))));
        assert!(!allowed(g.authorize(&event(
            "ANY /{proxy+}",
            json!({"authorization": "Bearer wrong"}),
            &[]
        ))));
        assert!(allowed(g.authorize(&event(
            "ANY /{proxy+}",
            json!({"authorization": "Bearer s3cret"}),
            &[]
        ))));
        // the sign-in page's cookie: the authorizer sees it in `cookies`, not in headers
        let cookie = format!("{COOKIE}={}", cookie_value("s3cret"));
        assert!(allowed(g.authorize(&event(
            "ANY /",
            json!({}),
            &["theme=dark", &cookie]
        ))));
    }

    #[test]
    fn uploads_are_public_only_by_the_parameter() {
        for route in UPLOAD_ROUTES {
            assert!(allowed(gate(true).authorize(&event(route, json!({}), &[]))));
            assert!(!allowed(gate(false).authorize(&event(
                route,
                json!({}),
                &[]
            ))));
        }
        for route in ALWAYS_PUBLIC {
            assert!(allowed(gate(false).authorize(&event(
                route,
                json!({}),
                &[]
            ))));
        }
        assert!(!allowed(gate(true).authorize(&event(
            "GET /api/reels",
            json!({}),
            &[]
        ))));
    }

    #[test]
    fn no_token_closes_the_admin_routes_and_junk_is_refused() {
        let g = Gate {
            admin: AdminToken::new(Some("  ")),
            public_uploads: true,
        };
        assert!(!allowed(g.authorize(&event(
            "ANY /{proxy+}",
            json!({"authorization": "Bearer "}),
            &[]
        ))));
        // the cookie holds the digest: the token itself as a cookie is refused
        assert!(!allowed(gate(true).authorize(&event(
            "ANY /",
            json!({}),
            &[&format!("{COOKIE}=s3cret")]
        ))));
        assert!(!allowed(gate(true).authorize(&event(
            "ANY /",
            json!({"authorization": "Bearer s3cre"}),
            &[]
        ))));
        assert!(!allowed(gate(true).authorize(&json!("not an event"))));
        assert!(!allowed(gate(true).authorize(&json!({"headers": 3}))));
    }
}
