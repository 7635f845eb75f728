//! `GET /api/events`: Server-Sent Events for the signed-in user.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use tokio::sync::watch;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::extract::CurrentUser;
use super::AppState;
use crate::model::{now_ms, User};

const HEARTBEAT: Duration = Duration::from_secs(15);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// How far back a stream looks again for events that committed late.
const LATE_COMMIT_MS: i64 = 5_000;

/// Counts an open stream in `/metrics` while it lives.
struct Open(std::sync::Arc<crate::metrics::Metrics>);

impl Open {
    fn new(state: &AppState) -> Open {
        state.ingest.metrics.sse(1);
        Open(state.ingest.metrics.clone())
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.sse(-1);
    }
}

struct Cursor {
    _open: Open,
    state: AppState,
    user: User,
    after: i64,
    /// The stream's starting point; nothing at or below it is sent.
    floor: i64,
    /// Ids sent recently, so looking back sends nothing twice.
    sent: VecDeque<i64>,
    ready: VecDeque<Event>,
    wake: watch::Receiver<u64>,
}

/// Live error events of the caller's projects: `error.new`, `error.regressed` and
/// `error.status`, each with the error row as JSON data and the event id. Send
/// `Last-Event-ID` to receive what was missed while disconnected. Comments keep the
/// connection open through proxies.
#[utoipa::path(get, path = "/api/events", tag = "errors",
    params(("Last-Event-ID" = Option<i64>, Header, description = "Resume after this event")),
    responses(
        (status = 200, description = "text/event-stream", content_type = "text/event-stream"),
        (status = 401, body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn events(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let after = match resume {
        Some(id) => id,
        None => state.store.last_event_id().await?,
    };
    let cursor = Cursor {
        _open: Open::new(&state),
        wake: state.live.subscribe(),
        state,
        user,
        after,
        floor: after,
        sent: VecDeque::new(),
        ready: VecDeque::new(),
    };
    let stream = stream::unfold(cursor, |mut c| async move {
        loop {
            if let Some(event) = c.ready.pop_front() {
                return Some((Ok(event), c));
            }
            c.fetch().await;
            if c.ready.is_empty() {
                tokio::select! {
                    _ = c.wake.changed() => {}
                    _ = tokio::time::sleep(c.state.live.poll()) => {}
                }
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat")))
}

impl Cursor {
    /// Reads the next events the user may see; errors are logged and retried on the next poll.
    async fn fetch(&mut self) {
        let recent = now_ms() - LATE_COMMIT_MS;
        let rows = match self
            .state
            .store
            .events_for(self.user.id, self.after, recent, 200)
            .await
        {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!("reading live events failed: {e}");
                return;
            }
        };
        for row in rows {
            // Ids up to where the client started were delivered before (Last-Event-ID).
            if row.id <= self.floor || self.sent.contains(&row.id) {
                continue;
            }
            self.after = self.after.max(row.id);
            self.sent.push_back(row.id);
            if self.sent.len() > 1000 {
                self.sent.pop_front();
            }
            // The row as it is now; a group deleted meanwhile is skipped.
            if let Ok(error) = self.state.store.error_for(self.user.id, row.error_id).await {
                let data = serde_json::to_string(&error).unwrap_or_default();
                self.ready.push_back(
                    Event::default()
                        .id(row.id.to_string())
                        .event(row.kind)
                        .data(data),
                );
            }
        }
    }
}
