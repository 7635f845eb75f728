//! The assembly worker: polls for traces whose spans have settled, claims each, assembles it
//! from its stored spans and saves the result. It works only from the database, so it picks
//! up after a restart exactly where it was, and several nodes can run it side by side.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::assembly::assemble;
use crate::metrics::Metrics;
use crate::model::now_ms;
use crate::model::{Assembly, SpanRecord};
use crate::store::{Backend, DueTrace, Saved, Store, StoreError};

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
/// Most traces claimed in one round, by back-end. On SQLite each claim and each save is one
/// durable commit on the one writing connection, so fewer, larger rounds leave more of its
/// turns to span batches; at 2,000 a round held the turn long enough to slow the span writes
/// (docs/benchmarks.md, fifth pass). PostgreSQL nodes write on a pool, and there larger
/// rounds raised the export latency (35 ms p99 at 200, 65 ms at 500).
fn batch(backend: Backend) -> i64 {
    match backend {
        Backend::Sqlite => 1_000,
        Backend::Postgres => 500,
    }
}
/// Traces whose spans are read in one query.
const LOAD_TRACES: usize = 100;
/// Assemblies are saved (and so become visible) at least every this many spans, so the
/// traces claimed after a large one wait for one bounded step, not for the whole batch.
const SAVE_EVERY_SPANS: usize = 20_000;
/// How often the pending-traces gauges are read.
const GAUGE_EVERY: Duration = Duration::from_secs(1);

/// Runs until `stop` changes. `on_saved` hears about every batch of saved assemblies, with
/// each one's project (for live updates and alerts).
pub async fn run(
    store: Store,
    cfg: AssemblerConfig,
    metrics: Arc<Metrics>,
    mut stop: watch::Receiver<bool>,
    on_saved: impl Fn(&[(i64, Saved)]) + Send + Sync + 'static,
) {
    let on_saved: OnSaved = Arc::new(on_saved);
    let mut saving = Saving(None);
    // Due traces are looked for at least every 100 ms: the poll adds to how long an error
    // takes to show, and the query (an index range of pending traces) is cheap.
    let poll = (cfg.settle / 10).clamp(Duration::from_millis(20), Duration::from_millis(100));
    let mut gauged = Instant::now() - GAUGE_EVERY;
    loop {
        if gauged.elapsed() >= GAUGE_EVERY {
            gauged = Instant::now();
            gauge(&store, cfg, &metrics).await;
        }
        let worked = match pass(&store, cfg, &metrics, &on_saved, &mut saving).await {
            Ok(n) => n > 0,
            Err(e) => {
                tracing::error!("trace assembly failed: {e}");
                false
            }
        };
        if !worked {
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = stop.changed() => {
                    saving.wait().await;
                    return;
                }
            }
        } else if *stop.borrow() {
            saving.wait().await;
            return;
        }
    }
}

/// Hears each batch of saved assemblies, with each one's project.
type SavedHook = dyn Fn(&[(i64, Saved)]) + Send + Sync;
type OnSaved = Arc<SavedHook>;

/// The save in flight: the next batch is claimed, read and assembled while the last one is
/// written (reading and writing use different connections, and the two cores).
struct Saving(Option<tokio::task::JoinHandle<()>>);

impl Saving {
    async fn wait(&mut self) {
        if let Some(task) = self.0.take() {
            if let Err(e) = task.await {
                tracing::error!("saving assembled traces failed: {e}");
            }
        }
    }

    /// Saves `assembled` once the save before it is done.
    async fn start(
        &mut self,
        store: &Store,
        metrics: &Arc<Metrics>,
        on_saved: &OnSaved,
        assembled: Vec<(DueTrace, Assembly)>,
    ) {
        self.wait().await;
        let (store, metrics, on_saved) = (store.clone(), metrics.clone(), on_saved.clone());
        self.0 = Some(tokio::spawn(async move {
            let occurrences = assembled.iter().map(|(_, a)| a.occurrences.len()).sum();
            let n = save(&store, assembled, &*on_saved).await;
            metrics.assembled(n, if n > 0 { occurrences } else { 0 });
        }));
    }
}

/// One round over due traces: claim them together, assemble each from its stored spans,
/// save them together (in the background, see [`Saving`]). Returns how many were claimed.
async fn pass(
    store: &Store,
    cfg: AssemblerConfig,
    metrics: &Arc<Metrics>,
    on_saved: &OnSaved,
    saving: &mut Saving,
) -> Result<usize, StoreError> {
    let settle = i64::try_from(cfg.settle.as_millis()).unwrap_or(i64::MAX);
    let max_wait = i64::try_from(cfg.max_wait.as_millis()).unwrap_or(i64::MAX);
    let due = store
        .due_traces(now_ms(), settle, max_wait, batch(store.backend()))
        .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let claimed = store.claim_traces(&due, now_ms(), LEASE_MS).await?;
    let mut loaded = Vec::new();
    let mut loaded_spans = 0;
    let mut rest: &[DueTrace] = &claimed;
    while !rest.is_empty() {
        let keys: Vec<(i64, &str)> = rest
            .iter()
            .take(LOAD_TRACES)
            .map(|t| (t.project_id, t.trace_id.as_str()))
            .collect();
        let budget = SAVE_EVERY_SPANS.saturating_sub(loaded_spans);
        let spans = store.traces_spans(&keys, cfg.max_spans, budget).await?;
        let (chunk, after) = rest.split_at(spans.len().min(rest.len()));
        rest = after;
        for (trace, (spans, stored)) in chunk.iter().zip(spans) {
            loaded_spans += spans.len();
            loaded.push((trace.clone(), spans, stored));
        }
        if loaded_spans >= SAVE_EVERY_SPANS || rest.is_empty() {
            let assembled = assemble_all(std::mem::take(&mut loaded)).await;
            saving.start(store, metrics, on_saved, assembled).await;
            loaded_spans = 0;
        }
    }
    Ok(claimed.len())
}

/// Reads how many traces wait and how late the oldest due one is, for `/metrics`.
async fn gauge(store: &Store, cfg: AssemblerConfig, metrics: &Metrics) {
    let settle = i64::try_from(cfg.settle.as_millis()).unwrap_or(i64::MAX);
    let max_wait = i64::try_from(cfg.max_wait.as_millis()).unwrap_or(i64::MAX);
    match store.pending_traces(settle, max_wait).await {
        Ok((pending, first_due)) => {
            let lag = first_due.map_or(0, |due| (now_ms() - due).max(0));
            metrics.pending(pending, lag);
        }
        Err(e) => tracing::warn!("counting pending traces failed: {e}"),
    }
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
async fn save(store: &Store, assembled: Vec<(DueTrace, Assembly)>, on_saved: &SavedHook) -> usize {
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
    on_saved(&saved);
    saved.len()
}
