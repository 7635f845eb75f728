//! The assembly worker: polls for traces whose spans have settled, claims each, assembles it
//! from its stored spans and saves the result. It works only from the database, so it picks
//! up after a restart exactly where it was, and several nodes can run it side by side.

use std::time::Duration;

use tokio::sync::watch;

use super::assembly::assemble;
use crate::model::now_ms;
use crate::model::{Assembly, SpanRecord};
use crate::store::{DueTrace, Saved, Store, StoreError};

#[derive(Clone, Copy, Debug)]
pub struct AssemblerConfig {
    /// Quiet time after the last span of a trace whose root has arrived.
    pub settle: Duration,
    /// Longest wait for a trace, counted from when it became pending.
    pub max_wait: Duration,
    /// Most spans of one trace that are assembled (the earliest); the rest stay stored.
    pub max_spans: usize,
}

/// How long a claim holds; a worker that dies mid-assembly loses its claim after this.
const LEASE_MS: i64 = 60_000;
const BATCH: i64 = 200;
/// Assemblies are saved (and so become visible) at least every this many spans, so the
/// traces claimed after a large one wait for one bounded step, not for the whole batch.
const SAVE_EVERY_SPANS: usize = 20_000;

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

/// One round over due traces: claim them together, assemble each from its stored spans,
/// save them together. Returns how many were assembled.
async fn pass(
    store: &Store,
    cfg: AssemblerConfig,
    on_saved: &impl Fn(i64, Saved),
) -> Result<usize, StoreError> {
    let settle = i64::try_from(cfg.settle.as_millis()).unwrap_or(i64::MAX);
    let max_wait = i64::try_from(cfg.max_wait.as_millis()).unwrap_or(i64::MAX);
    let due = store.due_traces(now_ms(), settle, max_wait, BATCH).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let claimed = store.claim_traces(&due, now_ms(), LEASE_MS).await?;
    let mut saved = 0;
    let mut loaded = Vec::new();
    let mut loaded_spans = 0;
    let mut claimed = claimed.into_iter().peekable();
    while let Some(trace) = claimed.next() {
        let (spans, stored) = store
            .trace_spans(trace.project_id, &trace.trace_id, cfg.max_spans)
            .await?;
        loaded_spans += spans.len();
        loaded.push((trace, spans, stored));
        if loaded_spans >= SAVE_EVERY_SPANS || claimed.peek().is_none() {
            saved += save(
                store,
                assemble_all(std::mem::take(&mut loaded)).await,
                on_saved,
            )
            .await;
            loaded_spans = 0;
        }
    }
    Ok(saved)
}

/// Assembly is CPU work (linear, bounded by max_spans a trace): done on the blocking pool, a
/// chunk at a time, so ingestion and the API keep answering meanwhile.
async fn assemble_all(
    loaded: Vec<(DueTrace, Vec<SpanRecord>, usize)>,
) -> Vec<(DueTrace, Assembly)> {
    let ids: Vec<String> = loaded.iter().map(|(t, _, _)| t.trace_id.clone()).collect();
    let work = tokio::task::spawn_blocking(move || {
        loaded
            .into_iter()
            .map(|(trace, spans, stored)| (trace, assemble(spans, stored)))
            .collect()
    });
    match work.await {
        Ok(assembled) => assembled,
        Err(e) => {
            tracing::error!("assembling traces {ids:?} failed: {e}");
            Vec::new()
        }
    }
}

/// Saves assemblies together, or one by one when that fails, so one bad trace does not hold
/// up the others. Returns how many were saved.
async fn save(
    store: &Store,
    assembled: Vec<(DueTrace, Assembly)>,
    on_saved: &impl Fn(i64, Saved),
) -> usize {
    if assembled.is_empty() {
        return 0;
    }
    let saved = match store.save_assemblies(&assembled, now_ms()).await {
        Ok(saved) => saved,
        Err(e) => {
            tracing::warn!(
                "saving {} assemblies together failed ({e}); saving them one by one",
                assembled.len()
            );
            let mut saved = Vec::new();
            for item in assembled {
                match store
                    .save_assemblies(std::slice::from_ref(&item), now_ms())
                    .await
                {
                    Ok(s) => saved.extend(s),
                    Err(e) => tracing::error!("assembling trace {} failed: {e}", item.0.trace_id),
                }
            }
            saved
        }
    };
    let n = saved.len();
    for (project, s) in saved {
        on_saved(project, s);
    }
    n
}
