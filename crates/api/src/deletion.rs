//! `DELETE /api/reels/{id}`: the uploader's delete token (header `X-Delete-Token`, handed
//! out in the upload's answer) or the admin token removes the reel and every object of it
//! (`pipeline::removal`). 204 when it is gone, including when it was gone already; 403 for
//! a wrong or missing token.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use pipeline::removal::Deleter;

use crate::error::{ApiError, Wants};
use crate::privacy::Audience;
use crate::AppState;

/// The header that carries a delete token.
pub const TOKEN_HEADER: &str = "x-delete-token";

pub async fn delete(
    State(st): State<AppState>,
    wants: Wants,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let token = headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let who = match (Audience::of(&st, &headers), token) {
        (Audience::Operator, _) => Deleter::Admin,
        (Audience::Public, Some(t)) => Deleter::Token(t),
        (Audience::Public, None) => Deleter::Nobody,
    };
    st.intake
        .delete_reel(&id, who)
        .await
        .map_err(|e| ApiError::from(e).for_client(wants))?;
    Ok(StatusCode::NO_CONTENT)
}
