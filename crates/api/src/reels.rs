//! Reels: the upload form with the newest reels, the gallery, one reel's page, and their
//! JSON under `/api/reels`. Lists show the public READY reels that are public only (FAILED
//! ones keep their own page and the console; with moderation, reels awaiting review are in
//! the console's queue), newest first, paged both ways by an opaque cursor. What each
//! audience sees of a reel is `crate::privacy`'s call.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use maud::{html, Markup};
use pipeline::{Cursor, Reel, Status, Visibility};
use serde::Deserialize;

use crate::describe::facts;
use crate::error::{error_section, ApiError, Wants};
use crate::html::{badge, json_block, Page};
use crate::paging::{page, Page as ReelPage};
use crate::privacy::{visible, visible_json, Audience};
use crate::video_view;
use crate::words::{looks_like_in, plain};
use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct ListParams {
    status: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
    /// `public` or `pending` (the operator only)
    visibility: Option<String>,
}

/// What a list request asks for, checked.
struct ListRequest {
    status: Option<Status>,
    visibility: Option<Visibility>,
    limit: usize,
    cursor: Option<Cursor>,
}

fn bad_request(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "InvalidRequest", message)
}

impl ListParams {
    /// The public lists READY reels only; the operator may ask for any status (or all).
    fn checked(&self, audience: Audience, default_limit: usize) -> Result<ListRequest, ApiError> {
        let status = match self.status.as_deref() {
            None | Some("") => None,
            Some(s) => Some(Status::parse(s).ok_or_else(|| {
                bad_request(format!(
                    "status {s:?} is not PROCESSING, READY, FAILED or REJECTED"
                ))
            })?),
        };
        let visibility = match self.visibility.as_deref() {
            None | Some("") => None,
            Some("public") => Some(Visibility::Public),
            Some("pending") => Some(Visibility::Pending),
            Some(v) => {
                return Err(bad_request(format!(
                    "visibility {v:?} is not public or pending"
                )))
            }
        };
        let visibility = match (audience, visibility) {
            (Audience::Operator, v) => v,
            (Audience::Public, None | Some(Visibility::Public)) => Some(Visibility::Public),
            (Audience::Public, Some(Visibility::Pending)) => {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "AccessDenied",
                    "only the operator lists reels awaiting review".to_owned(),
                ))
            }
        };
        let status = match (audience, status) {
            (Audience::Operator, s) => s,
            (Audience::Public, None | Some(Status::Ready)) => Some(Status::Ready),
            (Audience::Public, Some(s)) => {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "AccessDenied",
                    format!("only the operator lists {s} reels: the public lists READY ones"),
                ))
            }
        };
        let cursor = match self.cursor.as_deref().filter(|c| !c.is_empty()) {
            None => None,
            Some(token) => Some(
                Cursor::decode(token)
                    .ok_or_else(|| bad_request(format!("cursor {token:?} is not one we gave")))?,
            ),
        };
        Ok(ListRequest {
            status,
            visibility,
            limit: self.limit.unwrap_or(default_limit).clamp(1, 200),
            cursor,
        })
    }
}

async fn list_page(
    st: &AppState,
    params: &ListParams,
    audience: Audience,
    default_limit: usize,
    wants: Wants,
) -> Result<ReelPage, ApiError> {
    let req = params
        .checked(audience, default_limit)
        .map_err(|e| e.for_client(wants))?;
    page(
        st.intake.records.as_ref(),
        req.status,
        req.visibility,
        req.limit,
        req.cursor,
    )
    .await
    .map_err(|e| ApiError::from(e).for_client(wants))
}

/// `GET /api/reels[?limit=&cursor=&status=]` → `{reels, next, prev}`: `next` is the cursor
/// of the older page, `prev` of the newer one, `null` where there is none.
pub async fn list_json(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ListParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let audience = Audience::of(&st, &headers);
    let p = list_page(&st, &params, audience, 50, Wants::Json).await?;
    let published = &st.intake.settings.public_metadata;
    let reels: Vec<_> = p
        .reels
        .iter()
        .map(|r| visible_json(r, audience, published))
        .collect();
    Ok(Json(serde_json::json!({
        "reels": reels,
        "next": p.older.map(|c| c.encode()),
        "prev": p.newer.map(|c| c.encode()),
    })))
}

fn check_id(id: &str, wants: Wants) -> Result<(), ApiError> {
    if pipeline::keys::is_valid_id(id) {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("no reel {id}")).for_client(wants))
    }
}

pub(crate) async fn load(st: &AppState, id: &str, wants: Wants) -> Result<Reel, ApiError> {
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
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let reel = load(&st, &id, Wants::Json).await?;
    let audience = Audience::of(&st, &headers);
    Ok(Json(visible_json(
        &reel,
        audience,
        &st.intake.settings.public_metadata,
    )))
}

/// Thumbnails smallest first.
fn by_width(reel: &Reel) -> Vec<&pipeline::ThumbnailRef> {
    let mut thumbs: Vec<_> = reel.thumbnails.iter().collect();
    thumbs.sort_by_key(|t| t.width);
    thumbs
}

/// An `<img>` over every thumbnail width (`srcset`), sized for `sizes`, with the intrinsic
/// `width`/`height` of the largest so the layout does not jump.
fn picture(reel: &Reel, class: Option<&str>, sizes: &str, lazy: bool) -> Markup {
    let thumbs = by_width(reel);
    let Some(largest) = thumbs.last() else {
        return html! { div.placeholder { (reel.status.as_str()) } };
    };
    let srcset: Vec<String> = thumbs
        .iter()
        .map(|t| format!("/media/{} {}w", t.key, t.width))
        .collect();
    html! {
        img class=[class] src={ "/media/" (largest.key) } srcset=(srcset.join(", ")) sizes=(sizes)
            width=(largest.width) height=(largest.height) alt=(reel.name)
            loading=[lazy.then_some("lazy")];
    }
}

fn card(reel: &Reel) -> Markup {
    html! {
        a.card href={ "/reels/" (reel.id) } {
            (picture(reel, None, "(max-width: 520px) 100vw, (max-width: 1100px) 50vw, 360px", true))
            @if video_view::is_video(reel) {
                (video_view::card_badge(reel))
            }
            div.meta {
                strong { (reel.name) }
                @if reel.status != Status::Ready { " " (badge(reel.status.as_str())) }
                @else if reel.visibility == Visibility::Pending { " " (badge("PENDING")) }
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
    let limit_mib = settings.max_upload_bytes / (1024 * 1024);
    html! {
        section.upload {
            h1 { "Share a photo or a short video" }
            form #upload-form action="/uploads" method="post" enctype="multipart/form-data"
                data-max-bytes=(settings.max_upload_bytes) data-direct-above=[direct_above] {
                label { "Name " input name="name" required maxlength="200" autocomplete="name"; }
                label { "Caption " textarea name="caption" maxlength="2200" rows="3" {} }
                div #drop-zone .drop-zone {
                    label.file-pick {
                        span.drop-title { "Photo or video" }
                        span.drop-hint { "Drop a file here, or choose one" }
                        input #file type="file" name="file" required accept="image/*,video/*,.heic,.heif,.avif";
                    }
                    div #preview .preview hidden {}
                    p.hint { "Up to " (limit_mib) " MiB: " (crate::words::FORMATS) "." }
                }
                div.pick-error #pick-error role="alert" hidden {}
                div.buttons {
                    button #upload-button type="submit" { "Upload" }
                    button #cancel-button .secondary type="button" hidden { "Cancel" }
                }
                progress #upload-progress max="100" value="0" hidden {}
                p #upload-status role="status" {}
            }
        }
    }
}

pub async fn home(
    State(st): State<AppState>,
    wants: Wants,
    headers: HeaderMap,
) -> Result<Html<String>, ApiError> {
    let audience = Audience::of(&st, &headers);
    let params = ListParams {
        status: None,
        limit: Some(12),
        cursor: None,
        visibility: None,
    };
    let newest = list_page(&st, &params, audience, 12, wants).await?;
    let body = html! {
        (form(&st))
        section {
            h2 { "Newest reels" }
            (grid(&newest.reels))
            @if newest.older.is_some() { p { a href="/gallery" { "All reels" } } }
        }
    };
    Ok(Html(
        Page::new("Upload")
            .script("upload.js")
            .render(body)
            .into_string(),
    ))
}

fn pager(p: &ReelPage, limit: Option<usize>) -> Markup {
    let link = |c: &Cursor| {
        let mut href = format!("/gallery?cursor={}", c.encode());
        if let Some(l) = limit {
            href.push_str(&format!("&limit={l}"));
        }
        href
    };
    html! {
        nav.pager aria-label="pages" {
            @if let Some(c) = &p.newer { a.newer rel="prev" href=(link(c)) { "← Newer" } } @else { span {} }
            @if let Some(c) = &p.older { a.older rel="next" href=(link(c)) { "Older →" } }
        }
    }
}

pub async fn gallery_page(
    State(st): State<AppState>,
    wants: Wants,
    headers: HeaderMap,
    Query(params): Query<ListParams>,
) -> Result<Html<String>, ApiError> {
    let audience = Audience::of(&st, &headers);
    let p = list_page(&st, &params, audience, 24, wants).await?;
    let body = html! {
        h1 { "Gallery" }
        (grid(&p.reels))
        (pager(&p, params.limit))
    };
    Ok(Html(Page::new("Gallery").render(body).into_string()))
}

fn ready_view(reel: &Reel) -> Markup {
    let poster = by_width(reel).last().map(|t| format!("/media/{}", t.key));
    html! {
        @if let Some(v) = &reel.video {
            (video_view::player(reel, v, poster.as_deref()))
        } @else {
            figure.media {
                (picture(reel, Some("hero"), "(max-width: 1100px) 100vw, 1080px", false))
            }
        }
    }
}

fn failed_view(reel: &Reel) -> Markup {
    let code = reel.error.as_deref().unwrap_or("");
    let cause = reel.cause.as_deref().unwrap_or("");
    let words = plain(code, looks_like_in(cause));
    error_section(code, cause, &words, None, false)
}

fn sizes_view(reel: &Reel) -> Markup {
    html! {
        h2 { "Sizes" }
        ul.thumbs {
            @for t in by_width(reel).into_iter().rev() {
                li {
                    a href={ "/media/" (t.key) } {
                        img src={ "/media/" (t.key) } alt={ (t.width) " × " (t.height) " px" } width=(t.width) height=(t.height) loading="lazy";
                    }
                    span { (t.width) " × " (t.height) " px, " (crate::describe::size(t.bytes)) }
                }
            }
        }
    }
}

fn operator_view(reel: &Reel) -> Markup {
    html! {
        details.operator {
            summary { "Everything (operator)" }
            dl.facts {
                dt { "Original name" } dd { (reel.original_filename) }
                @if let Some(d) = &reel.declared_type { dt { "Declared type" } dd { (d) } }
                dt { "Raw key" } dd { code { (reel.raw_key) } }
                dt { "Execution" } dd { a href={ "/console/executions/" (reel.id) } { "history and graph" } }
            }
            @if let Some(meta) = &reel.metadata { (json_block(meta)) }
        }
    }
}

pub async fn reel_page(
    State(st): State<AppState>,
    wants: Wants,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    let stored = load(&st, &id, wants).await?;
    let audience = Audience::of(&st, &headers);
    let settings = &st.intake.settings;
    let reel = visible(&stored, audience, &settings.public_metadata);
    let original = (settings.public_originals || audience == Audience::Operator)
        && reel.status == Status::Ready;
    if reel.visibility == Visibility::Pending
        && audience == Audience::Public
        && reel.status != Status::Rejected
    {
        return Ok(Html(awaiting_review_page(&reel).into_string()));
    }
    let body = html! {
        article.reel data-id=(reel.id) data-status=(reel.status.as_str()) {
            h1 {
                @if reel.name.is_empty() && reel.status == Status::Rejected { "Not published" } @else { (reel.name) }
                " " (badge(reel.status.as_str()))
            }
            @if reel.visibility == Visibility::Pending && reel.status == Status::Ready {
                p.notice role="status" { "Awaiting review: only the operator sees this reel until a moderator approves it. "
                    a href="/console/moderation" { "Moderation queue" } }
            }
            @match reel.status {
                Status::Processing => @if video_view::is_video(&reel) {
                    (video_view::being_prepared())
                } @else {
                    p.processing role="status" { "Processing… this page updates by itself." }
                },
                Status::Failed | Status::Rejected => (failed_view(&reel)),
                Status::Ready => (ready_view(&reel)),
            }
            @if !reel.caption.is_empty() { p.caption { (reel.caption) } }
            dl.facts {
                @for (label, words) in facts(&reel) { dt { (label) } dd { (words) } }
            }
            @if reel.status == Status::Ready { (sizes_view(&reel)) }
            @if original {
                p { a.button href={ "/reels/" (reel.id) "/original" } download { "Download the original" } }
            }
            @if audience == Audience::Operator { (operator_view(&reel)) }
            section.owner #owner hidden {
                h2 { "You uploaded this" }
                p { "This browser kept the key to delete it." }
                button.danger #delete-button type="button" { "Delete this reel" }
                p #delete-status role="status" {}
            }
        }
    };
    let mut layout = Page::new(&reel.name).script("reel.js");
    if reel.status == Status::Processing {
        layout = layout.refresh_without_js(3);
    }
    Ok(Html(layout.render(body).into_string()))
}

/// A reel awaiting review, as the public (and its uploader) sees it: that it waits, nothing
/// of what was uploaded. The page follows the status like a processing one.
fn awaiting_review_page(reel: &Reel) -> Markup {
    let body = html! {
        article.reel data-id=(reel.id) data-status=(reel.status.as_str()) data-visibility="pending" {
            h1 { "Awaiting review " (badge("PENDING")) }
            @if reel.status == Status::Processing {
                p.processing role="status" { "Processing… this page updates by itself." }
            }
            p role="status" { "This reel will appear in the gallery once a moderator has approved it." }
            section.owner #owner hidden {
                h2 { "You uploaded this" }
                p { "This browser kept the key to delete it." }
                button.danger #delete-button type="button" { "Delete this reel" }
                p #delete-status role="status" {}
            }
        }
    };
    let mut layout = Page::new("Awaiting review").script("reel.js");
    if reel.status == Status::Processing {
        layout = layout.refresh_without_js(3);
    }
    layout.render(body)
}

/// `GET /reels/{id}/original`: the raw upload, where the operator allows it
/// (`--public-originals`) or to the operator. Named by id and real type, never by the
/// client's filename, for the public.
pub async fn original(
    State(st): State<AppState>,
    wants: Wants,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let reel = load(&st, &id, wants).await?;
    let audience = Audience::of(&st, &headers);
    let public = reel.visibility == Visibility::Public;
    if reel.status != Status::Ready
        || !((st.intake.settings.public_originals && public) || audience == Audience::Operator)
    {
        return Err(
            ApiError::not_found(format!("no original of reel {id} to download")).for_client(wants),
        );
    }
    let body = st
        .intake
        .blobs
        .get(&reel.raw_key)
        .await
        .map_err(|e| ApiError::from(e).for_client(wants))?;
    let ext = reel.raw_key.rsplit('.').next().unwrap_or("bin");
    let name = if audience == Audience::Operator {
        reel.original_filename.replace(['"', '\\'], "_")
    } else {
        format!("{id}.{ext}")
    };
    let mime = reel
        .media_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}
