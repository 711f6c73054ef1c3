//! Reels: the upload form with the newest reels, the gallery, one reel's status page, and
//! their JSON under `/api/reels`.

use axum::extract::{Path, Query, State};
use axum::response::Html;
use axum::Json;
use pipeline::{ListQuery, Reel, Status};
use serde::Deserialize;

use crate::error::{ApiError, Wants};
use crate::html::{badge, esc, json_block, page};
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

fn card(reel: &Reel) -> String {
    let img = match thumb_url(reel, 480) {
        Some(url) => format!(
            "<img src=\"{}\" alt=\"{}\" loading=\"lazy\">",
            esc(&url),
            esc(&reel.name)
        ),
        None => format!(
            "<div class=\"placeholder\">{}</div>",
            esc(reel.status.as_str())
        ),
    };
    format!(
        "<a class=\"card\" href=\"/reels/{id}\">{img}<div class=\"meta\"><strong>{name}</strong> {badge}<p>{caption}</p></div></a>",
        id = esc(&reel.id),
        name = esc(&reel.name),
        badge = badge(reel.status.as_str()),
        caption = esc(&reel.caption),
    )
}

fn grid(reels: &[Reel]) -> String {
    if reels.is_empty() {
        return "<p class=\"empty\">No reels yet.</p>".into();
    }
    let cards: String = reels.iter().map(card).collect();
    format!("<div class=\"grid\">{cards}</div>")
}

const FORM: &str = r#"<section class="upload">
<h1>Share a photo or a short video</h1>
<form id="upload-form" action="/uploads" method="post" enctype="multipart/form-data"DATA_ATTRS>
<label>Name <input name="name" required maxlength="200" autocomplete="name"></label>
<label>Caption <textarea name="caption" maxlength="2200" rows="3"></textarea></label>
<label>Photo or video <input type="file" name="file" required accept="image/*,video/*"></label>
<button type="submit">Upload</button>
<progress id="upload-progress" max="100" value="0" hidden></progress>
<p id="upload-status" role="status"></p>
</form>
</section>
<script src="/assets/upload.js" defer></script>"#;

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
    let settings = &st.intake.settings;
    let limit_mib = settings.max_upload_bytes / (1024 * 1024);
    // The script sends files above the threshold straight to the store (presigned POST).
    let mut attrs = format!(" data-max-bytes=\"{}\"", settings.max_upload_bytes);
    if st.intake.signer.is_some() {
        attrs.push_str(&format!(
            " data-direct-above=\"{}\"",
            settings.direct_upload_above_bytes
        ));
    }
    let form = FORM.replace("DATA_ATTRS", &attrs);
    let body = format!(
        "{form}<p class=\"hint\">Up to {limit_mib} MiB: JPEG, PNG, WebP, GIF, HEIC, AVIF, MP4, MOV or WebM.</p><section><h2>Newest reels</h2>{}<p><a href=\"/gallery\">All reels</a></p></section>",
        grid(&reels)
    );
    Ok(Html(page("Upload", &body)))
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
    let more = if reels.len() == query.limit {
        reels
            .last()
            .map(|r| {
                format!(
                    "<p><a href=\"/gallery?before={}\">Older</a></p>",
                    esc(&r.created_at)
                )
            })
            .unwrap_or_default()
    } else {
        String::new()
    };
    let body = format!("<h1>Gallery</h1>{}{more}", grid(&reels));
    Ok(Html(page("Gallery", &body)))
}

pub async fn reel_page(
    State(st): State<AppState>,
    wants: Wants,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    let reel = load(&st, &id, wants).await?;
    let mut body = format!(
        "<article class=\"reel\" data-id=\"{id}\" data-status=\"{status}\"><h1>{name} {badge}</h1><p class=\"caption\">{caption}</p>",
        id = esc(&reel.id),
        status = reel.status.as_str(),
        name = esc(&reel.name),
        badge = badge(reel.status.as_str()),
        caption = esc(&reel.caption),
    );
    match reel.status {
        Status::Processing => body.push_str(
            "<p class=\"processing\">Processing… this page updates by itself.</p><noscript><meta http-equiv=\"refresh\" content=\"2\"></noscript>",
        ),
        Status::Failed => body.push_str(&format!(
            "<section class=\"error\"><h2>Failed: <code>{}</code></h2><p>{}</p></section>",
            esc(reel.error.as_deref().unwrap_or("")),
            esc(reel.cause.as_deref().unwrap_or(""))
        )),
        Status::Ready => {
            if let Some(big) = thumb_url(&reel, 1080) {
                body.push_str(&format!(
                    "<figure><img class=\"hero\" src=\"{}\" alt=\"{}\"></figure>",
                    esc(&big),
                    esc(&reel.name)
                ));
            }
            let thumbs: String = reel
                .thumbnails
                .iter()
                .map(|t| {
                    format!(
                        "<li><a href=\"/media/{key}\"><img src=\"/media/{key}\" alt=\"{size} px\" width=\"{w}\" height=\"{h}\" style=\"max-width:160px;height:auto\"></a><br>{size}: {w}×{h}, {bytes} bytes</li>",
                        key = esc(&t.key),
                        size = t.size,
                        w = t.width,
                        h = t.height,
                        bytes = t.bytes
                    )
                })
                .collect();
            body.push_str(&format!("<h2>Thumbnails</h2><ul class=\"thumbs\">{thumbs}</ul>"));
            if let Some(meta) = &reel.metadata {
                body.push_str(&format!("<h2>Metadata</h2>{}", json_block(meta)));
            }
        }
    }
    body.push_str(&format!(
        "<dl class=\"facts\"><dt>Type</dt><dd>{}</dd><dt>Size</dt><dd>{} bytes</dd><dt>Original name</dt><dd>{}</dd><dt>Uploaded</dt><dd>{}</dd><dt>Execution</dt><dd><a href=\"/console/executions/{}\">history and graph</a></dd></dl></article><script src=\"/assets/reel.js\" defer></script>",
        esc(reel.media_type.as_deref().unwrap_or("unknown")),
        reel.size,
        esc(&reel.original_filename),
        esc(&reel.created_at),
        esc(&reel.id),
    ));
    Ok(Html(page(&reel.name, &body)))
}
