//! Reels: the upload form with the newest reels, the gallery, one reel's status page, and
//! their JSON under `/api/reels`.

use axum::extract::{Path, Query, State};
use axum::response::Html;
use axum::Json;
use pipeline::{ListQuery, Reel, Status};
use serde::Deserialize;

use crate::error::{ApiError, Wants};
use maud::{html, Markup};

use crate::html::{badge, json_block, page, Page};
use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct ListParams {
    status: Option<String>,
    limit: Option<usize>,
    before: Option<String>,
}

impl ListParams {
    fn query(&self) -> Result<ListQuery, ApiError> {
        let status = match self.status.as_deref() {
            None | Some("") => None,
            Some(s) => Some(Status::parse(s).ok_or_else(|| {
                ApiError::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    "InvalidRequest",
                    format!("status {s:?} is not PROCESSING, READY or FAILED"),
                )
            })?),
        };
        Ok(ListQuery {
            status,
            limit: self.limit.unwrap_or(50).clamp(1, 200),
            before: self.before.clone(),
        })
    }
}

pub async fn list_json(
    State(st): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let query = params.query()?;
    let reels = st.intake.records.list(&query).await?;
    let next = (reels.len() == query.limit)
        .then(|| reels.last().map(|r| r.created_at.clone()))
        .flatten();
    Ok(Json(
        serde_json::json!({ "reels": reels, "nextBefore": next }),
    ))
}

fn check_id(id: &str, wants: Wants) -> Result<(), ApiError> {
    if pipeline::keys::is_valid_id(id) {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("no reel {id}")).for_client(wants))
    }
}

async fn load(st: &AppState, id: &str, wants: Wants) -> Result<Reel, ApiError> {
    check_id(id, wants)?;
    st.intake
        .records
        .get(id)
        .await
        .map_err(|e| ApiError::from(e).for_client(wants))?
        .ok_or_else(|| ApiError::not_found(format!("no reel {id}")).for_client(wants))
}

pub async fn reel_json(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Reel>, ApiError> {
    Ok(Json(load(&st, &id, Wants::Json).await?))
}

/// The thumbnail that best fits a box of `want` px, for cards.
fn thumb_url(reel: &Reel, want: u32) -> Option<String> {
    reel.thumbnails
        .iter()
        .filter(|t| t.size >= want)
        .min_by_key(|t| t.size)
        .or_else(|| reel.thumbnails.iter().max_by_key(|t| t.size))
        .map(|t| format!("/media/{}", t.key))
}

fn card(reel: &Reel) -> Markup {
    html! {
        a.card href={ "/reels/" (reel.id) } {
            @if let Some(url) = thumb_url(reel, 480) {
                img src=(url) alt=(reel.name) loading="lazy";
            } @else {
                div.placeholder { (reel.status.as_str()) }
            }
            div.meta {
                strong { (reel.name) } " " (badge(reel.status.as_str()))
                p { (reel.caption) }
            }
        }
    }
}

fn grid(reels: &[Reel]) -> Markup {
    html! {
        @if reels.is_empty() {
            p.empty { "No reels yet." }
        } @else {
            div.grid { @for r in reels { (card(r)) } }
        }
    }
}

fn form(st: &AppState) -> Markup {
    let settings = &st.intake.settings;
    // The script sends files above the threshold straight to the store (presigned POST).
    let direct_above = st
        .intake
        .signer
        .is_some()
        .then_some(settings.direct_upload_above_bytes);
    html! {
        section.upload {
            h1 { "Share a photo or a short video" }
            form #upload-form action="/uploads" method="post" enctype="multipart/form-data"
                data-max-bytes=(settings.max_upload_bytes) data-direct-above=[direct_above] {
                label { "Name " input name="name" required maxlength="200" autocomplete="name"; }
                label { "Caption " textarea name="caption" maxlength="2200" rows="3" {} }
                label { "Photo or video " input type="file" name="file" required accept="image/*,video/*"; }
                button type="submit" { "Upload" }
                progress #upload-progress max="100" value="0" hidden {}
                p #upload-status role="status" {}
            }
        }
    }
}

pub async fn home(State(st): State<AppState>, wants: Wants) -> Result<Html<String>, ApiError> {
    let reels = st
        .intake
        .records
        .list(&ListQuery {
            limit: 12,
            ..Default::default()
        })
        .await
        .map_err(|e| ApiError::from(e).for_client(wants))?;
    let limit_mib = st.intake.settings.max_upload_bytes / (1024 * 1024);
    let body = html! {
        (form(&st))
        p.hint { "Up to " (limit_mib) " MiB: JPEG, PNG, WebP, GIF, HEIC, AVIF, MP4, MOV or WebM." }
        section {
            h2 { "Newest reels" }
            (grid(&reels))
            p { a href="/gallery" { "All reels" } }
        }
    };
    Ok(Html(
        Page::new("Upload")
            .script("upload.js")
            .render(body)
            .into_string(),
    ))
}

pub async fn gallery_page(
    State(st): State<AppState>,
    wants: Wants,
    Query(params): Query<ListParams>,
) -> Result<Html<String>, ApiError> {
    let query = params.query().map_err(|e| e.for_client(wants))?;
    let reels = st
        .intake
        .records
        .list(&query)
        .await
        .map_err(|e| ApiError::from(e).for_client(wants))?;
    let older = (reels.len() == query.limit)
        .then(|| reels.last().map(|r| r.created_at.clone()))
        .flatten();
    let body = html! {
        h1 { "Gallery" }
        (grid(&reels))
        @if let Some(before) = older {
            p { a href={ "/gallery?before=" (before) } { "Older" } }
        }
    };
    Ok(Html(page("Gallery", body).into_string()))
}

fn ready_view(reel: &Reel) -> Markup {
    html! {
        @if let Some(big) = thumb_url(reel, 1080) {
            figure { img.hero src=(big) alt=(reel.name); }
        }
        h2 { "Thumbnails" }
        ul.thumbs {
            @for t in &reel.thumbnails {
                li {
                    a href={ "/media/" (t.key) } {
                        img src={ "/media/" (t.key) } alt={ (t.size) " px" } width=(t.width) height=(t.height);
                    }
                    br;
                    (t.size) ": " (t.width) "×" (t.height) ", " (t.bytes) " bytes"
                }
            }
        }
        @if let Some(meta) = &reel.metadata {
            h2 { "Metadata" }
            (json_block(meta))
        }
    }
}

pub async fn reel_page(
    State(st): State<AppState>,
    wants: Wants,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    let reel = load(&st, &id, wants).await?;
    let body = html! {
        article.reel data-id=(reel.id) data-status=(reel.status.as_str()) {
            h1 { (reel.name) " " (badge(reel.status.as_str())) }
            p.caption { (reel.caption) }
            @match reel.status {
                Status::Processing => p.processing { "Processing… this page updates by itself." },
                Status::Failed => section.error {
                    h2 { "Failed: " code { (reel.error.as_deref().unwrap_or("")) } }
                    p { (reel.cause.as_deref().unwrap_or("")) }
                },
                Status::Ready => (ready_view(&reel)),
            }
            dl.facts {
                dt { "Type" } dd { (reel.media_type.as_deref().unwrap_or("unknown")) }
                dt { "Size" } dd { (reel.size) " bytes" }
                dt { "Original name" } dd { (reel.original_filename) }
                dt { "Uploaded" } dd { (reel.created_at) }
                dt { "Execution" } dd { a href={ "/console/executions/" (reel.id) } { "history and graph" } }
            }
        }
    };
    let mut layout = Page::new(&reel.name).script("reel.js");
    if reel.status == Status::Processing {
        layout = layout.refresh_without_js(2);
    }
    Ok(Html(layout.render(body).into_string()))
}
