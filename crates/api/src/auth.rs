//! The admin token: who may see everything and use the admin actions.
//!
//! Minimal version written by the pages work (issue 10) until the reliability work (issue 11)
//! lands the full one (sign-in page, cookie, the `Admin` extractor); the names are the same.
//! The token comes as a bearer header (`Authorization: Bearer T`), compared in constant time.

use axum::http::{header, HeaderMap};

/// Who may use the admin routes.
#[derive(Clone, Default)]
pub enum AdminAccess {
    /// No token configured: everyone (`serve` allows this only on a loopback address).
    #[default]
    Open,
    /// Requests must carry this token.
    Token(std::sync::Arc<str>),
    /// `--public` without a token: the admin routes are closed to everyone.
    Disabled,
}

impl std::fmt::Debug for AdminAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AdminAccess::Open => f.write_str("Open"),
            AdminAccess::Token(_) => f.write_str("Token(<redacted>)"),
            AdminAccess::Disabled => f.write_str("Disabled"),
        }
    }
}

impl AdminAccess {
    /// A token setting from an optional configured value (empty counts as none).
    pub fn from_token(token: Option<&str>) -> AdminAccess {
        match token.map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => AdminAccess::Token(t.into()),
            None => AdminAccess::Open,
        }
    }

    /// Whether these request headers carry the admin's credentials.
    pub fn allows(&self, headers: &HeaderMap) -> bool {
        match self {
            AdminAccess::Open => true,
            AdminAccess::Disabled => false,
            AdminAccess::Token(token) => {
                bearer(headers).is_some_and(|t| same(t.as_bytes(), token.as_bytes()))
            }
        }
    }
}

/// Equality without an early exit (the lengths may leak, the contents do not).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}
