//! The retention worker: every `--retention` round it deletes what is older than its limit,
//! in batches with a pause between them (each batch is one short transaction, so span writes
//! wait for at most one of them), then hands SQLite's freed pages back and drops old live
//! events. Every node runs it; batches of two nodes do not overlap in harm (a row deleted
//! twice is deleted once).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::config::Retention;
use crate::model::{now_ms, RetentionView};
use crate::shutdown::stopped;
use crate::store::{Expired, Store};

/// Rows (occurrences, traces) per delete transaction.
const BATCH: i64 = 500;
/// Pause between batches, so that ingestion gets the write lock in between.
const PAUSE: Duration = Duration::from_millis(20);
/// Free pages returned to the file system per round (16 MiB with SQLite's 4 KiB pages).
const RELEASE_PAGES: i64 = 4096;

/// What this node deleted since it started.
#[derive(Default)]
pub struct Deleted {
    occurrences: AtomicU64,
    traces: AtomicU64,
}

impl Deleted {
    pub fn view(&self, limits: &Retention) -> RetentionView {
        RetentionView {
            retention_days: limits.errors.as_secs_f64() / 86_400.0,
            trace_retention_hours: limits.traces.as_secs_f64() / 3_600.0,
            deleted_occurrences: self.occurrences.load(Relaxed),
            deleted_traces: self.traces.load(Relaxed),
        }
    }
}

/// Runs rounds until `stop` turns true.
pub async fn run(
    store: Store,
    limits: Retention,
    deleted: Arc<Deleted>,
    stop: watch::Receiver<bool>,
) {
    loop {
        match round(&store, &limits, &deleted, &stop).await {
            Ok(total) if total != Expired::default() => {
                tracing::info!(
                    occurrences = total.occurrences,
                    traces = total.traces,
                    "retention deleted expired data"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("retention failed (retried next round): {e}"),
        }
        // Every round, so a large deletion's pages go back over the following rounds.
        if let Err(e) = store.release_free_pages(RELEASE_PAGES).await {
            tracing::warn!("returning free pages failed: {e}");
        }
        if let Err(e) = store.prune_events(now_ms()).await {
            tracing::warn!("pruning old live events failed: {e}");
        }
        tokio::select! {
            _ = tokio::time::sleep(limits.every) => {}
            _ = stopped(stop.clone()) => return,
        }
    }
}

/// Deletes batch after batch until nothing expired is left (or the node stops).
async fn round(
    store: &Store,
    limits: &Retention,
    deleted: &Deleted,
    stop: &watch::Receiver<bool>,
) -> Result<Expired, crate::store::StoreError> {
    let mut total = Expired::default();
    loop {
        let now = now_ms();
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let done = store
            .expire(
                now.saturating_sub(ms(limits.errors)),
                now.saturating_sub(ms(limits.traces)),
                BATCH,
            )
            .await?;
        deleted.occurrences.fetch_add(done.occurrences, Relaxed);
        deleted.traces.fetch_add(done.traces, Relaxed);
        total.occurrences += done.occurrences;
        total.traces += done.traces;
        let more = done.occurrences == BATCH as u64 || done.traces == BATCH as u64;
        if !more || *stop.borrow() {
            return Ok(total);
        }
        tokio::time::sleep(PAUSE).await;
    }
}
