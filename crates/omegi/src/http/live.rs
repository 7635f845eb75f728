//! `GET /api/events`: Server-Sent Events for the signed-in user.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::Instant;

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
use crate::model::{now_ms, Activity, User};

const HEARTBEAT: Duration = Duration::from_secs(15);
/// A stream sends at most one `activity` event this often, however busy the projects.
const ACTIVITY_EVERY: Duration = Duration::from_secs(1);
/// How often a stream reads again which projects its user is a member of.
const MEMBERSHIP_EVERY: Duration = Duration::from_secs(30);

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
    activity: broadcast::Receiver<Activity>,
    /// Activity heard but not yet sent, and when the next may be sent.
    pending: Option<Activity>,
    next_activity: Instant,
    /// The user's projects (sorted), and when they were read.
    projects: Vec<i64>,
    projects_read: Option<Instant>,
    /// Activity was missed: the next event names every project.
    lagged: bool,
}

/// Live error events of the caller's projects: `error.new`, `error.regressed` and
/// `error.status`, each with the error row as JSON data and the event id. Send
/// `Last-Event-ID` to receive what was missed while disconnected. Besides, `activity` (no
/// id, at most one a second) says which projects and error groups got new traces, as an
/// `Activity` JSON: a hint to refresh counts, charts and the map; it is not replayed.
/// Comments keep the connection open through proxies.
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
        activity: state.live.subscribe_activity(),
        pending: None,
        next_activity: Instant::now(),
        projects: Vec::new(),
        projects_read: None,
        lagged: false,
        state,
        user,
        after,
        floor: after,
        sent: VecDeque::new(),
        ready: VecDeque::new(),
    };
    let stream = stream::unfold(cursor, |mut c| async move {
        let mut look = true;
        // The safety-net poll keeps its own deadline, so frequent activity cannot put it off.
        let mut next_poll = Instant::now();
        loop {
            if let Some(event) = c.ready.pop_front() {
                return Some((Ok(event), c));
            }
            if c.pending.is_some() && Instant::now() >= c.next_activity {
                if let Some(event) = c.activity_event().await {
                    return Some((Ok(event), c));
                }
            }
            if look || Instant::now() >= next_poll {
                next_poll = Instant::now() + c.state.live.poll();
                c.fetch().await;
                if !c.ready.is_empty() {
                    continue;
                }
            }
            let until = match c.pending {
                Some(_) => c.next_activity.min(next_poll),
                None => next_poll,
            };
            look = tokio::select! {
                _ = c.wake.changed() => true,
                heard = c.activity.recv() => {
                    c.hear(heard);
                    false
                }
                _ = tokio::time::sleep_until(until) => false,
            };
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat")))
}

impl Cursor {
    /// Keeps activity to send with the next `activity` event.
    fn hear(&mut self, heard: Result<Activity, RecvError>) {
        let heard = match heard {
            // Naming no project: anything may have changed (notifications were lost).
            Ok(a) if a.is_empty() => {
                self.lagged = true;
                a
            }
            Ok(a) => a,
            // Fell behind: every project of the user may have changed.
            Err(RecvError::Lagged(_)) => {
                self.lagged = true;
                Activity::default()
            }
            Err(RecvError::Closed) => return,
        };
        match &mut self.pending {
            Some(p) => p.merge(heard),
            None => self.pending = Some(heard),
        }
    }

    /// The pending activity as an event, limited to the user's projects; `None` when none
    /// of it is theirs.
    async fn activity_event(&mut self) -> Option<Event> {
        let heard = self.pending.take()?;
        if self
            .projects_read
            .is_none_or(|at| at.elapsed() >= MEMBERSHIP_EVERY)
        {
            match self.state.store.projects_for(self.user.id).await {
                Ok(projects) => {
                    self.projects = projects.iter().map(|p| p.id).collect();
                    self.projects.sort_unstable();
                    self.projects_read = Some(Instant::now());
                }
                Err(e) => tracing::warn!("reading the user's projects failed: {e}"),
            }
        }
        let mine = if std::mem::take(&mut self.lagged) {
            Activity {
                projects: self.projects.clone(),
                errors: None,
            }
        } else {
            heard.within(&self.projects)?
        };
        self.next_activity = Instant::now() + ACTIVITY_EVERY;
        if mine.is_empty() {
            return None;
        }
        let data = serde_json::to_string(&mine).unwrap_or_default();
        Some(Event::default().event("activity").data(data))
    }

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
