//! `GET /api/reels/{id}/events`: the reel's status as server-sent events, so its page moves
//! from PROCESSING to READY or FAILED without a reload. One `status` event now and one at
//! every change; the stream ends after a terminal status (or after a while, when the browser's
//! `EventSource` simply reconnects). Behind a proxy that buffers responses (API Gateway) the
//! events arrive together when the stream ends; the page's script also polls as a fallback.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use pipeline::{Reel, Status};

use crate::error::{ApiError, Wants};
use crate::reels::load;
use crate::AppState;

/// How often the record is read while a page waits.
const EVERY: Duration = Duration::from_millis(400);
/// How long one stream lasts at most.
const AT_MOST: Duration = Duration::from_secs(30);

fn status_event(reel: &Reel) -> Event {
    let data = serde_json::json!({
        "id": reel.id,
        "status": reel.status,
        "visibility": reel.visibility,
        "error": reel.error,
    });
    Event::default().event("status").data(data.to_string())
}

struct Watch {
    st: AppState,
    id: String,
    last: Option<Status>,
    waited: Duration,
    done: bool,
}

pub async fn events(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    // a reel that does not exist is a 404, not an empty stream
    load(&st, &id, Wants::Json).await?;
    let watch = Watch {
        st,
        id,
        last: None,
        waited: Duration::ZERO,
        done: false,
    };
    let stream = stream::unfold(watch, |mut w| async move {
        loop {
            if w.done || w.waited > AT_MOST {
                return None;
            }
            if w.last.is_some() {
                tokio::time::sleep(EVERY).await;
                w.waited += EVERY;
            }
            let reel = match w.st.intake.records.get(&w.id).await {
                Ok(Some(reel)) => reel,
                // deleted while watched: say so and stop
                Ok(None) => {
                    w.done = true;
                    let gone = Event::default().event("gone").data(w.id.clone());
                    return Some((Ok(gone), w));
                }
                // a transient store error: try again at the next tick
                Err(e) => {
                    tracing::debug!(id = %w.id, error = %e, "status events: read failed");
                    w.last = w.last.or(Some(Status::Processing));
                    continue;
                }
            };
            if w.last != Some(reel.status) {
                w.last = Some(reel.status);
                w.done = reel.status != Status::Processing;
                return Some((Ok(status_event(&reel)), w));
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
