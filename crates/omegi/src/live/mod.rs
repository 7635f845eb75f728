//! Live updates. Events are rows in the database (written in the same transaction as what
//! they announce), so every node can serve every user and a reconnecting browser resumes
//! from its `Last-Event-ID`. This hub only wakes this node's streams early; streams also
//! poll, which is how events written by another node arrive.

use tokio::sync::watch;

#[derive(Clone)]
pub struct LiveHub {
    changed: watch::Sender<u64>,
}

impl Default for LiveHub {
    fn default() -> Self {
        LiveHub {
            changed: watch::channel(0).0,
        }
    }
}

impl LiveHub {
    /// Wakes every stream of this node to look for new events.
    pub fn notify(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }
}
