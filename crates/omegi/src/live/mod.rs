//! Live updates. Events are rows in the database (written in the same transaction as what
//! they announce), so every node can serve every user and a reconnecting browser resumes
//! from its `Last-Event-ID`. This hub wakes this node's streams to read new rows: at once for
//! events written here, and on PostgreSQL at once for events of any node (LISTEN/NOTIFY,
//! relayed by [`relay_notifications`]). Streams still poll, as a safety net: rarely on
//! PostgreSQL, every second on SQLite.

use std::time::Duration;

use tokio::sync::watch;

use crate::shutdown::stopped;
use crate::store::Store;

#[derive(Clone)]
pub struct LiveHub {
    changed: watch::Sender<u64>,
    poll: Duration,
}

impl LiveHub {
    /// The hub for a store: streams are woken by notifications on PostgreSQL and poll every
    /// 30 s as a safety net; on SQLite they poll every second.
    pub fn for_store(store: &Store) -> LiveHub {
        LiveHub {
            changed: watch::channel(0).0,
            poll: match store.backend() {
                crate::store::Backend::Postgres => Duration::from_secs(30),
                crate::store::Backend::Sqlite => Duration::from_secs(1),
            },
        }
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
        hub.notify();
        loop {
            tokio::select! {
                received = listener.try_recv() => match received {
                    // A notification, or the connection came back after a loss.
                    Ok(_) => hub.notify(),
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
