//! The admin token: who may use the console, the execution API and the admin actions.
//!
//! A handler takes [`Admin`] as an argument to require it. The token comes as a bearer
//! header (`Authorization: Bearer T`) or as the cookie the sign-in page (`/signin`) sets;
//! both are compared in constant time. With no token configured the admin routes are open
//! (only `serve` on a loopback address allows that), and with `--public` they are closed.

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use crate::error::{shaped, ApiError, Wants};
use crate::gate::AdminToken;
use crate::html::page;
use crate::AppState;
use maud::html;

/// The cookie the sign-in page sets (a digest of the token, never the token; `gate`
/// computes and checks it, as the authorizer does on AWS).
pub use crate::gate::COOKIE;

/// Who may use the admin routes.
#[derive(Clone, Debug, Default)]
pub enum AdminAccess {
    /// No token configured: everyone (`serve` allows this only on a loopback address).
    #[default]
    Open,
    /// Requests must carry this token.
    Token(AdminToken),
    /// `--public` without a token: the admin routes are closed to everyone.
    Disabled,
}

impl AdminAccess {
    /// A token setting from an optional configured value (empty counts as none).
    pub fn from_token(token: Option<&str>) -> AdminAccess {
        let token = AdminToken::new(token);
        if token.is_set() {
            AdminAccess::Token(token)
        } else {
            AdminAccess::Open
        }
    }

    /// Whether these request headers carry the admin's credentials.
    pub fn allows(&self, headers: &HeaderMap) -> bool {
        match self {
            AdminAccess::Open => true,
            AdminAccess::Disabled => false,
            AdminAccess::Token(token) => token.allows(headers),
        }
    }
}

/// Proof that the request carries the admin token. Refused with 401 `Unauthorized`
/// (403 `AdminDisabled` when the server runs with `--public`).
#[derive(Debug, Clone, Copy)]
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        if st.admin.allows(&parts.headers) {
            return Ok(Admin);
        }
        let wants = Wants::from_headers(&parts.headers);
        if matches!(st.admin, AdminAccess::Disabled) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "AdminDisabled",
                "this server runs with --public: the admin pages and actions are off",
            )
            .for_client(wants)
            .into_response());
        }
        // A browser goes to the sign-in page and comes back; an API client gets 401.
        if wants == Wants::Html && parts.method == axum::http::Method::GET {
            let next = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/console");
            let to = format!("/signin?next={}", percent_encode(next));
            return Err(Redirect::to(&to).into_response());
        }
        let mut response = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "this needs the admin token: send `Authorization: Bearer <token>` or sign in at /signin",
        )
        .for_client(wants)
        .into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"media-hub\""),
        );
        Err(response)
    }
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where to go after signing in: only a path on this site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/console".to_owned(),
    }
}

#[derive(Debug, Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    token: String,
    next: Option<String>,
}

fn signin_page(next: &str, message: Option<&str>) -> String {
    let body = html! {
        section.card {
            h1 { "Sign in" }
            @if let Some(m) = message {
                p.error { (m) }
            }
            form method="post" action="/signin" {
                label for="token" { "Admin token" }
                input #token name="token" type="password" autocomplete="current-password" required;
                input type="hidden" name="next" value=(next);
                button type="submit" { "Sign in" }
            }
        }
    };
    page("Sign in", body).into_string()
}

/// `GET /signin`: the form.
pub async fn signin_form(Query(q): Query<SignInQuery>) -> Html<String> {
    Html(signin_page(&safe_next(q.next.as_deref()), None))
}

/// `POST /signin`: check the token, set the cookie, go on.
pub async fn signin(State(st): State<AppState>, Form(form): Form<SignInForm>) -> Response {
    let next = safe_next(form.next.as_deref());
    match &st.admin {
        AdminAccess::Token(token) if token.matches(&form.token) => {
            let cookie = format!(
                "{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200",
                token.cookie().unwrap_or_default()
            );
            let mut response = Redirect::to(&next).into_response();
            if let Ok(v) = header::HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, v);
            }
            response
        }
        AdminAccess::Open => Redirect::to(&next).into_response(),
        AdminAccess::Disabled => shaped(
            (
                StatusCode::FORBIDDEN,
                Html(signin_page(
                    &next,
                    Some("This server runs with --public: the admin pages are off."),
                )),
            )
                .into_response(),
        ),
        AdminAccess::Token(_) => shaped(
            (
                StatusCode::UNAUTHORIZED,
                Html(signin_page(&next, Some("That is not the admin token."))),
            )
                .into_response(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn a_token_needs_the_bearer_or_the_cookie() {
        let access = AdminAccess::from_token(Some("s3cret"));
        assert!(!access.allows(&headers(&[])));
        assert!(access.allows(&headers(&[("authorization", "Bearer s3cret")])));
        assert!(access.allows(&headers(&[("authorization", "bearer  s3cret")])));
        assert!(!access.allows(&headers(&[("authorization", "Bearer s3cre")])));
        assert!(!access.allows(&headers(&[("authorization", "Basic s3cret")])));
        let good = format!("a=b; {COOKIE}={}", crate::gate::cookie_value("s3cret"));
        assert!(access.allows(&headers(&[("cookie", &good)])));
        // the cookie holds the digest, not the token itself
        assert!(!access.allows(&headers(&[("cookie", &format!("{COOKIE}=s3cret"))])));
    }

    #[test]
    fn open_and_disabled() {
        assert!(AdminAccess::from_token(None).allows(&headers(&[])));
        assert!(AdminAccess::from_token(Some("  ")).allows(&headers(&[])));
        assert!(!AdminAccess::Disabled.allows(&headers(&[("authorization", "Bearer x")])));
    }

    #[test]
    fn next_stays_on_the_site() {
        assert_eq!(safe_next(Some("/console?x=1")), "/console?x=1");
        assert_eq!(safe_next(Some("//evil.example")), "/console");
        assert_eq!(safe_next(Some("https://evil.example")), "/console");
        assert_eq!(safe_next(None), "/console");
    }
}
