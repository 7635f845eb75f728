//! Live updates. Events are rows in the database (written in the same transaction as what
//! they announce), so every node can serve every user and a reconnecting browser resumes
//! from its `Last-Event-ID`. This hub wakes this node's streams to read new rows: at once for
//! events written here, and on PostgreSQL at once for events of any node (LISTEN/NOTIFY,
//! relayed by [`relay_notifications`]). Streams still poll, as a safety net: rarely on
//! PostgreSQL, every second on SQLite.
//!
//! Beside the stored events, the hub passes on [`Activity`]: which projects and error groups
//! got new traces, so open pages refresh their counts. Activity is a hint, not stored: on
//! SQLite it comes from this node's assembler, on PostgreSQL from every node's (NOTIFY).

use std::time::Duration;

use tokio::sync::{broadcast, watch};

use crate::model::Activity;
use crate::shutdown::stopped;
use crate::store::events::ACTIVITY_CHANNEL;
use crate::store::{Backend, Store};

/// Activity batches a stream may fall behind by before it hears "everything changed".
const ACTIVITY_BACKLOG: usize = 256;

#[derive(Clone)]
pub struct LiveHub {
    changed: watch::Sender<u64>,
    activity: broadcast::Sender<Activity>,
    poll: Duration,
    /// Activity arrives through PostgreSQL notifications (and not from this node directly).
    relayed: bool,
}

impl LiveHub {
    /// The hub for a store: streams are woken by notifications on PostgreSQL and poll every
    /// 30 s as a safety net; on SQLite they poll every second.
    pub fn for_store(store: &Store) -> LiveHub {
        LiveHub {
            changed: watch::channel(0).0,
            activity: broadcast::channel(ACTIVITY_BACKLOG).0,
            poll: match store.backend() {
                Backend::Postgres => Duration::from_secs(30),
                Backend::Sqlite => Duration::from_secs(1),
            },
            relayed: store.backend() == Backend::Postgres,
        }
    }

    /// This node saved assemblies that changed `activity`. On PostgreSQL the notification
    /// its transaction sent brings it to every node, this one included, so nothing is done
    /// here.
    pub fn saved(&self, activity: Activity) {
        if !self.relayed {
            self.activity(activity);
        }
    }

    /// Passes `activity` to this node's streams; one naming no project means anything may
    /// have changed.
    fn activity(&self, activity: Activity) {
        // No receiver, no one to tell.
        let _ = self.activity.send(activity);
    }

    pub fn subscribe_activity(&self) -> broadcast::Receiver<Activity> {
        self.activity.subscribe()
    }

    /// Wakes every stream of this node to look for new events.
    pub fn notify(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// How often a stream looks for events even when nothing woke it.
    pub fn poll(&self) -> Duration {
        self.poll
    }
}

/// On PostgreSQL, wakes this node's streams whenever any node commits an event, until
/// `stop` turns true. A lost connection is re-established (and streams woken, in case an
/// event passed meanwhile). Returns at once on SQLite.
pub async fn relay_notifications(store: Store, hub: LiveHub, stop: watch::Receiver<bool>) {
    loop {
        let mut listener = match store.event_listener().await {
            Ok(Some(listener)) => listener,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!("listening for live events failed (retrying): {e}");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    _ = stopped(stop.clone()) => return,
                }
            }
        };
        // Connected, or connected again: events and activity may have passed meanwhile.
        hub.notify();
        hub.activity(Activity::default());
        loop {
            tokio::select! {
                received = listener.try_recv() => match received {
                    Ok(Some(n)) if n.channel() == ACTIVITY_CHANNEL => {
                        match serde_json::from_str(n.payload()) {
                            Ok(activity) => hub.activity(activity),
                            Err(e) => tracing::warn!("unreadable activity notification: {e}"),
                        }
                    }
                    // A notification, or the connection came back after a loss.
                    Ok(n) => {
                        hub.notify();
                        if n.is_none() {
                            hub.activity(Activity::default());
                        }
                    }
                    Err(e) => {
                        tracing::warn!("live event notifications stopped (reconnecting): {e}");
                        break;
                    }
                },
                _ = stopped(stop.clone()) => return,
            }
        }
    }
}
