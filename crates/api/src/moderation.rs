//! The console's moderation queue (admin token): the READY reels awaiting review, each with
//! its thumbnail, caption and metadata, an Approve button and a Reject form with a reason.
//! The buttons answer the reel's AwaitModeration task through the same port the Step
//! Functions API uses (`SendTaskSuccess`; `SendTaskFailure` with `Rejected` and the reason),
//! with the token kept on the record (`pipeline::moderation`). Opening the queue sends a
//! heartbeat for every reel it shows: a moderator is at work. A reel whose review task ended
//! without a decision (its execution stopped or failed) offers "Ask for review again", which
//! runs its execution again. No script, no inline style.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, Redirect};
use axum::Form;
use maud::{html, Markup};
use pipeline::moderation::{self, DecisionError};
use pipeline::{ListQuery, Reel, Status, Visibility};
use serde::Deserialize;

use crate::auth::Admin;
use crate::console::{log, refused};
use crate::describe::facts;
use crate::error::{ApiError, Wants};
use crate::html::{badge, page};
use crate::AppState;

/// Reels shown at once, oldest waiting first.
const QUEUE_SIZE: usize = 50;

#[derive(Debug, Deserialize)]
pub struct QueueParams {
    /// the reel just approved, rejected or asked for review again, to say so
    approved: Option<String>,
    rejected: Option<String>,
    resumed: Option<String>,
    /// asked again, but its execution still runs
    running: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct RejectForm {
    reason: String,
}

fn decision_error(e: DecisionError, wants: Wants) -> ApiError {
    let message = e.to_string();
    let (status, code) = match e {
        DecisionError::NotFound(_) => (StatusCode::NOT_FOUND, "NotFound"),
        DecisionError::NotPending(_) => (StatusCode::CONFLICT, "NotAwaitingReview"),
        DecisionError::NoTask(_) => (StatusCode::CONFLICT, "NoReviewTask"),
        DecisionError::NoReason => (StatusCode::BAD_REQUEST, "InvalidField"),
        DecisionError::Execution(e) => return refused(e, wants),
        DecisionError::Store(e) => return ApiError::from(e).for_client(wants),
    };
    ApiError::new(status, code, message).for_client(wants)
}

fn check_id(id: &str, wants: Wants) -> Result<(), ApiError> {
    if pipeline::keys::is_valid_id(id) {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("no reel {id}")).for_client(wants))
    }
}

/// The reels awaiting review, oldest first (they have waited longest).
async fn queue(st: &AppState) -> Result<Vec<Reel>, pipeline::StoreError> {
    let mut reels = st
        .intake
        .records
        .list(&ListQuery {
            status: Some(Status::Ready),
            visibility: Some(Visibility::Pending),
            limit: QUEUE_SIZE,
            ..Default::default()
        })
        .await?;
    reels.reverse();
    Ok(reels)
}

fn thumbnail(reel: &Reel) -> Markup {
    let mut thumbs: Vec<_> = reel.thumbnails.iter().collect();
    thumbs.sort_by_key(|t| t.width);
    // the smallest one at least 320 px wide, else the largest
    let pick = thumbs
        .iter()
        .find(|t| t.width >= 320)
        .or(thumbs.last())
        .copied();
    html! {
        @if let Some(t) = pick {
            a.review-media href={ "/reels/" (reel.id) } {
                img src={ "/media/" (t.key) } width=(t.width) height=(t.height) alt=(reel.name) loading="lazy";
            }
        } @else {
            div.placeholder { "no thumbnail" }
        }
    }
}

/// The form that asks for a review again (a new run of the reel's execution).
fn review_again_form(reel: &Reel) -> Markup {
    html! {
        form.review-again method="post" action={ "/console/moderation/" (reel.id) "/review-again" } {
            button type="submit" { "Ask for review again" }
        }
    }
}

/// One reel of the queue; `ended`: its token is held by no task any more.
fn item(reel: &Reel, ended: bool) -> Markup {
    html! {
        article.review data-id=(reel.id) {
            (thumbnail(reel))
            div.review-body {
                h2 { a href={ "/reels/" (reel.id) } { (reel.name) } " " (badge("PENDING")) }
                @if !reel.caption.is_empty() { p.caption { (reel.caption) } }
                dl.facts {
                    @for (label, words) in facts(reel) { dt { (label) } dd { (words) } }
                    dt { "Original name" } dd { (reel.original_filename) }
                }
                @if ended {
                    p.muted { "Its review task ended without a decision (the execution was stopped or failed): "
                        a href={ "/console/executions/" (reel.id) } { "see its execution" } "." }
                    (review_again_form(reel))
                } @else if reel.moderation_token.is_some() {
                    div.decide {
                        form.approve method="post" action={ "/console/moderation/" (reel.id) "/approve" } {
                            button type="submit" { "Approve" }
                        }
                        form.reject method="post" action={ "/console/moderation/" (reel.id) "/reject" } {
                            label { "Reason " textarea name="reason" required maxlength="1000" rows="2" placeholder="Why this reel is not published" {} }
                            button.danger type="submit" { "Reject" }
                        }
                    }
                } @else {
                    p.muted { "No review task waits for this reel yet (its execution is on its way to AwaitModeration, or it ended): "
                        a href={ "/console/executions/" (reel.id) } { "see its execution" } "." }
                    (review_again_form(reel))
                }
            }
        }
    }
}

/// `GET /console/moderation`
pub async fn queue_page(
    _admin: Admin,
    State(st): State<AppState>,
    wants: Wants,
    Query(p): Query<QueueParams>,
) -> Result<Html<String>, ApiError> {
    let reels = queue(&st)
        .await
        .map_err(|e| ApiError::from(e).for_client(wants))?;
    let ended = match st.executions.as_deref() {
        Some(log) => moderation::heartbeat(log, &reels).await,
        None => Vec::new(),
    };
    let settings = &st.intake.settings.moderation;
    let body = html! {
        p.crumbs { a href="/console" { "Executions" } " / Moderation" }
        h1 { "Moderation queue" }
        p.muted {
            @if settings.enabled {
                "New uploads wait here for a decision. Without one within "
                (human_secs(settings.timeout_secs)) " they are "
                (if settings.on_timeout == moderation::TimeoutPolicy::Approve { "approved" } else { "rejected" })
                " automatically."
            } @else {
                "Moderation is off on this server: new uploads are published at once. Reels uploaded while it was on still wait here."
            }
        }
        @if let Some(id) = &p.approved {
            p.notice role="status" { "Approved " code { (id) } ": it is public once the state machine has published it." }
        }
        @if let Some(id) = &p.rejected {
            p.notice role="status" { "Rejected " code { (id) } ": its files are being removed." }
        }
        @if let Some(id) = &p.resumed {
            p.notice role="status" { "Asked again for a review of " code { (id) } ": its execution runs again and it returns here with its buttons." }
        }
        @if let Some(id) = &p.running {
            p.notice role="status" { "The execution of " code { (id) } " is still running: its review task appears here when it reaches AwaitModeration." }
        }
        @if reels.is_empty() {
            p.empty { "Nothing awaits review." }
        } @else {
            div.queue { @for r in &reels { (item(r, ended.contains(&r.id))) } }
        }
    };
    Ok(Html(page("Moderation", body).into_string()))
}

fn human_secs(s: u64) -> String {
    let plural = |n: u64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    match s {
        s if s > 0 && s % 86_400 == 0 => plural(s / 86_400, "day"),
        s if s > 0 && s % 3_600 == 0 => plural(s / 3_600, "hour"),
        s if s > 0 && s % 60 == 0 => plural(s / 60, "minute"),
        s => plural(s, "second"),
    }
}

/// `POST /console/moderation/{id}/approve`: SendTaskSuccess with the reel's token.
pub async fn approve(
    _admin: Admin,
    State(st): State<AppState>,
    wants: Wants,
    Path(id): Path<String>,
) -> Result<Redirect, ApiError> {
    check_id(&id, wants)?;
    let log = log(&st, wants)?;
    moderation::approve(st.intake.records.as_ref(), log, &id)
        .await
        .map_err(|e| decision_error(e, wants))?;
    Ok(Redirect::to(&format!("/console/moderation?approved={id}")))
}

/// `POST /console/moderation/{id}/reject` (`reason`): SendTaskFailure, error `Rejected`,
/// the reason as cause.
pub async fn reject(
    _admin: Admin,
    State(st): State<AppState>,
    wants: Wants,
    Path(id): Path<String>,
    Form(f): Form<RejectForm>,
) -> Result<Redirect, ApiError> {
    check_id(&id, wants)?;
    let log = log(&st, wants)?;
    moderation::reject(st.intake.records.as_ref(), log, &id, &f.reason)
        .await
        .map_err(|e| decision_error(e, wants))?;
    Ok(Redirect::to(&format!("/console/moderation?rejected={id}")))
}

/// `POST /console/moderation/{id}/review-again`: a pending reel whose review task ended
/// without a decision runs its execution again, back to AwaitModeration.
pub async fn review_again(
    _admin: Admin,
    State(st): State<AppState>,
    wants: Wants,
    Path(id): Path<String>,
) -> Result<Redirect, ApiError> {
    check_id(&id, wants)?;
    let log = log(&st, wants)?;
    let started = moderation::review_again(&st.intake, log, &id)
        .await
        .map_err(|e| decision_error(e, wants))?;
    let said = if started { "resumed" } else { "running" };
    Ok(Redirect::to(&format!("/console/moderation?{said}={id}")))
}

#[cfg(test)]
mod tests {
    use super::human_secs;

    #[test]
    fn durations_read_as_words() {
        assert_eq!(human_secs(7 * 86_400), "7 days");
        assert_eq!(human_secs(86_400), "1 day");
        assert_eq!(human_secs(7_200), "2 hours");
        assert_eq!(human_secs(60), "1 minute");
        assert_eq!(human_secs(90), "90 seconds");
        assert_eq!(human_secs(0), "0 seconds");
    }
}
