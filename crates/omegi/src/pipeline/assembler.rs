//! The assembly worker: polls for traces whose spans have settled, claims each, assembles it
//! from its stored spans and saves the result. It works only from the database, so it picks
//! up after a restart exactly where it was, and several nodes can run it side by side.

use std::time::Duration;

use tokio::sync::watch;

use super::assembly::assemble;
use crate::model::now_ms;
use crate::store::{DueTrace, Saved, Store, StoreError};

#[derive(Clone, Copy, Debug)]
pub struct AssemblerConfig {
    /// Quiet time after the last span of a trace whose root has arrived.
    pub settle: Duration,
    /// Longest wait for a trace, counted from when it became pending.
    pub max_wait: Duration,
}

/// How long a claim holds; a worker that dies mid-assembly loses its claim after this.
const LEASE_MS: i64 = 60_000;
const BATCH: i64 = 200;

/// Runs until `stop` changes. `on_saved` hears about every saved assembly (for live updates).
pub async fn run(
    store: Store,
    cfg: AssemblerConfig,
    mut stop: watch::Receiver<bool>,
    on_saved: impl Fn(i64, Saved) + Send + 'static,
) {
    let poll = (cfg.settle / 4).clamp(Duration::from_millis(50), Duration::from_millis(500));
    loop {
        let worked = match pass(&store, cfg, &on_saved).await {
            Ok(n) => n > 0,
            Err(e) => {
                tracing::error!("trace assembly failed: {e}");
                false
            }
        };
        if !worked {
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = stop.changed() => return,
            }
        } else if *stop.borrow() {
            return;
        }
    }
}

/// One round over due traces; returns how many were assembled.
async fn pass(
    store: &Store,
    cfg: AssemblerConfig,
    on_saved: &impl Fn(i64, Saved),
) -> Result<usize, StoreError> {
    let settle = i64::try_from(cfg.settle.as_millis()).unwrap_or(i64::MAX);
    let max_wait = i64::try_from(cfg.max_wait.as_millis()).unwrap_or(i64::MAX);
    let due = store.due_traces(now_ms(), settle, max_wait, BATCH).await?;
    let mut done = 0;
    for trace in due {
        if store.claim_trace(&trace, now_ms(), LEASE_MS).await? {
            let saved = assemble_one(store, &trace).await?;
            on_saved(trace.project_id, saved);
            done += 1;
        }
    }
    Ok(done)
}

async fn assemble_one(store: &Store, trace: &DueTrace) -> Result<Saved, StoreError> {
    let spans = store.trace_spans(trace.project_id, &trace.trace_id).await?;
    let assembly = assemble(spans);
    store.save_assembly(trace, &assembly, now_ms()).await
}
