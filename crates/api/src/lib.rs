//! The HTTP side of media-hub: one axum router serves the upload form, the uploads, the
//! reel pages and gallery, thumbnails, the JSON API and the execution console. The same
//! router runs under `media-hub serve` and inside the `upload` Lambda.

mod access_log;
mod assets;
pub mod auth;
mod conditional;
mod console;
mod deletion;
mod describe;
mod direct;
pub mod error;
mod events;
pub mod gate;
mod graph;
mod html;
mod media;
mod moderation;
mod paging;
mod privacy;
mod ranged;
pub mod ratelimit;
mod reels;
mod reprocess;
pub mod runs;
mod security;
pub mod sfn_api;
mod uploads;
mod video_view;
mod words;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use pipeline::intake::Intake;
use pipeline::ExecutionLog;

pub use error::ApiError;
pub use graph::render_svg;

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    pub intake: Intake,
    /// Execution inspection; `None` where the backend offers none (the console says so).
    pub executions: Option<Arc<dyn ExecutionLog>>,
    /// Who may use the console, the execution API and the admin actions.
    pub admin: auth::AdminAccess,
}

/// Room for the form's text fields and multipart framing on top of the file itself.
const FORM_OVERHEAD: u64 = 256 * 1024;

/// The whole application.
pub fn router(state: AppState) -> Router {
    let body_limit = state
        .intake
        .settings
        .max_upload_bytes
        .saturating_add(FORM_OVERHEAD);
    let body_limit = usize::try_from(body_limit).unwrap_or(usize::MAX);
    let extra_origins: Vec<String> = state
        .intake
        .signer
        .as_ref()
        .and_then(|s| s.browser_origin())
        .into_iter()
        .collect();
    let routes = Router::new()
        .route("/", get(reels::home).post(sfn_api::dispatch))
        .route("/gallery", get(reels::gallery_page))
        .route("/reels/{id}", get(reels::reel_page))
        .route("/reels/{id}/original", get(reels::original))
        .route("/uploads", post(uploads::upload))
        .route("/api/uploads", post(uploads::upload))
        .route("/api/uploads/direct", post(direct::begin))
        .route("/api/uploads/{id}/complete", post(direct::complete))
        .route("/direct-uploads", post(direct::receive))
        .route("/api/reels", get(reels::list_json))
        .route(
            "/api/reels/{id}",
            get(reels::reel_json).delete(deletion::delete),
        )
        .route("/api/reels/{id}/events", get(events::events))
        .route("/api/reels/{id}/reprocess", post(reprocess::reprocess))
        .route("/media/{*key}", get(media::serve))
        .route("/console", get(console::executions_page))
        .route("/console/executions", post(console::start))
        .route("/console/executions/{name}", get(console::execution_page))
        .route("/console/executions/{name}/redrive", post(console::redrive))
        .route("/console/executions/{name}/stop", post(console::stop))
        .route("/console/reels/{id}/reprocess", post(console::reprocess))
        .route("/console/backfill", post(console::backfill))
        .route("/console/moderation", get(moderation::queue_page))
        .route(
            "/console/moderation/{id}/approve",
            post(moderation::approve),
        )
        .route("/console/moderation/{id}/reject", post(moderation::reject))
        .route(
            "/console/moderation/{id}/review-again",
            post(moderation::review_again),
        )
        .route(
            "/console/statemachine",
            get(console::definition_page).post(console::validate_definition),
        )
        .route("/api/executions", get(console::executions_json))
        .route("/api/executions/{name}", get(console::execution_json))
        .route("/api/statemachine", get(console::definition_json))
        .route("/api/statemachine/graph.svg", get(console::definition_svg))
        .route("/assets/{file}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon))
        .route("/signin", get(auth::signin_form).post(auth::signin))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .fallback(error::not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(
            body_limit as u64,
            error::shape_errors,
        ));
    security::with_headers(routes, &extra_origins)
        .layer(axum::middleware::from_fn(access_log::log))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// `GET /metrics`: uploads, READY, FAILED by error name and processing time, in
/// Prometheus' text format (`pipeline::metrics`; on AWS the same counts are EMF lines).
async fn metrics() -> impl axum::response::IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        pipeline::metrics::global().prometheus(),
    )
}

/// The router with the per-address upload rate limit in front (for `media-hub serve`; on
/// AWS, API Gateway throttles).
pub fn with_upload_limit(app: Router, limit: ratelimit::RateLimit) -> Router {
    app.layer(axum::middleware::from_fn_with_state(
        ratelimit::Limiter::new(limit),
        ratelimit::limit_uploads,
    ))
}
