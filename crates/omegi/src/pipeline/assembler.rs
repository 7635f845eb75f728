//! The assembly worker: polls for traces whose spans have settled, claims each, assembles it
//! from its stored spans and saves the result. It works only from the database, so it picks
//! up after a restart exactly where it was, and several nodes can run it side by side.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::sync::{mpsc, watch};

use super::assembly::assemble;
use crate::metrics::Metrics;
use crate::model::now_ms;
use crate::model::{Assembly, SpanDetail, SpanRecord};
use crate::store::{Backend, DueTrace, Saved, Store, StoreError, TraceRef};

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
/// Most traces claimed in one round while a backlog is worked off (each round before it
/// was full), by back-end: on PostgreSQL larger rounds share each round's statements among
/// more traces, and a backlog means the export latency is already spent.
fn backlog_batch(backend: Backend) -> i64 {
    match backend {
        Backend::Sqlite => 1_000,
        Backend::Postgres => 2_000,
    }
}
/// Traces whose spans are read in one query.
const LOAD_TRACES: usize = 100;
/// Queries reading spans at once: the reading connections answer them side by side, and
/// parsing what one returned overlaps the others' work.
const READS_AT_ONCE: usize = 3;
/// Assemblies are saved (and so become visible) at least every this many spans, so the
/// traces claimed after a large one wait for one bounded step, not for the whole batch.
const SAVE_EVERY_SPANS: usize = 20_000;
/// How often the pending-traces gauges are read.
const GAUGE_EVERY: Duration = Duration::from_secs(1);

/// Runs until `stop` changes. `on_saved` hears about every batch of saved assemblies, with
/// each one's project (for live updates and alerts).
///
/// Three steps run side by side, each on what the one before it passed on: claiming due
/// traces (a task of its own, at most one round ahead), reading and assembling them, and
/// saving them (see [`Saving`]). One after the other, a round's claim waited for the write
/// turn while nothing was read, and its reads one at a time while nothing was claimed
/// (docs/benchmarks.md, seventh pass).
pub async fn run(
    store: Store,
    cfg: AssemblerConfig,
    metrics: Arc<Metrics>,
    stop: watch::Receiver<bool>,
    on_saved: impl Fn(&[(i64, Saved)]) + Send + Sync + 'static,
) {
    let on_saved: OnSaved = Arc::new(on_saved);
    let (claimed_tx, mut claimed) = mpsc::channel(1);
    let claiming = super::write_thread::spawn(
        store.backend(),
        claim(store.clone(), cfg, metrics.clone(), stop, claimed_tx),
    );
    let mut saving = Saving(None);
    // Ends when the claimer stops (its sender dropped), after what it claimed last.
    while let Some(round) = claimed.recv().await {
        assemble_round(&store, cfg, &metrics, &on_saved, &mut saving, round).await;
    }
    saving.wait().await;
    if let Err(e) = claiming.await {
        tracing::error!("claiming due traces failed: {e}");
    }
}

/// Claims due traces a round at a time and passes each round on, until `stop` changes or
/// the assembler is gone.
async fn claim(
    store: Store,
    cfg: AssemblerConfig,
    metrics: Arc<Metrics>,
    mut stop: watch::Receiver<bool>,
    claimed: mpsc::Sender<Vec<DueTrace>>,
) {
    // Due traces are looked for at least every 50 ms: the poll adds to how long an error
    // takes to show, and the query (the settled part of the pending traces' index) is
    // cheap (docs/benchmarks.md, tenth pass).
    let poll = (cfg.settle / 20).clamp(Duration::from_millis(20), Duration::from_millis(50));
    let settle = i64::try_from(cfg.settle.as_millis()).unwrap_or(i64::MAX);
    let max_wait = i64::try_from(cfg.max_wait.as_millis()).unwrap_or(i64::MAX);
    let mut gauged = Instant::now() - GAUGE_EVERY;
    let mut limit = batch(store.backend());
    loop {
        // A round is claimed only once there is room to pass it on, so at most one waits
        // while another is assembled: its lease runs from the claim, and on PostgreSQL the
        // other nodes take what this one has not claimed.
        let room = tokio::select! {
            room = claimed.reserve() => match room {
                Ok(room) => room,
                Err(_) => return,
            },
            _ = stop.changed() => return,
        };
        if *stop.borrow() {
            return;
        }
        if gauged.elapsed() >= GAUGE_EVERY {
            gauged = Instant::now();
            gauge(&store, settle, max_wait, &metrics).await;
        }
        let round = async {
            let due = store.due_traces(now_ms(), settle, max_wait, limit).await?;
            let won = if due.is_empty() {
                Vec::new()
            } else {
                store.claim_traces(&due, now_ms(), LEASE_MS).await?
            };
            // A full round means more were due: the next may take twice as many.
            limit = if due.len() as i64 >= limit {
                (limit * 2).min(backlog_batch(store.backend()))
            } else {
                batch(store.backend())
            };
            Ok::<_, StoreError>(won)
        };
        match round.await {
            Ok(round) if !round.is_empty() => {
                room.send(round);
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::error!("claiming due traces failed: {e}"),
        }
        drop(room);
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = stop.changed() => return,
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
        self.0 = Some(super::write_thread::spawn(store.backend(), async move {
            let occurrences = assembled.iter().map(|(_, a)| a.occurrences.len()).sum();
            let n = save(&store, assembled, &*on_saved).await;
            metrics.assembled(n, if n > 0 { occurrences } else { 0 });
        }));
    }
}

/// Reads the spans of a round's claimed traces, [`READS_AT_ONCE`] queries at a time (each a
/// task, so they go on while a batch is assembled or saved), and assembles and saves them
/// every [`SAVE_EVERY_SPANS`] spans. A part that cannot be read is left to its lease; the
/// rest of the round is still assembled.
async fn assemble_round(
    store: &Store,
    cfg: AssemblerConfig,
    metrics: &Arc<Metrics>,
    on_saved: &OnSaved,
    saving: &mut Saving,
    claimed: Vec<DueTrace>,
) {
    // Each query reads about this many spans (at least one trace's `max_spans`).
    let budget = SAVE_EVERY_SPANS / READS_AT_ONCE;
    let spawn_read =
        |part: Vec<DueTrace>| tokio::spawn(read(store.clone(), part, cfg.max_spans, budget));
    let mut parts = claimed.chunks(LOAD_TRACES);
    let mut reading = FuturesUnordered::new();
    let mut loaded = Vec::new();
    let mut loaded_spans = 0;
    loop {
        while reading.len() < READS_AT_ONCE {
            match parts.next() {
                Some(part) => reading.push(spawn_read(part.to_vec())),
                None => break,
            }
        }
        let Some(done) = reading.next().await else {
            break;
        };
        // (A read that failed, or whose task panicked.)
        let done = done
            .map_err(|e| e.to_string())
            .and_then(|read| read.map_err(|e| e.to_string()));
        let (part, spans) = match done {
            Ok(read) => read,
            Err(e) => {
                tracing::error!("reading spans for assembly failed: {e}");
                continue;
            }
        };
        // A query answers for a prefix of its part; the rest is asked for again.
        let answered = spans.len().min(part.len());
        if answered < part.len() {
            reading.push(spawn_read(part[answered..].to_vec()));
        }
        for (trace, (spans, stored)) in part.into_iter().zip(spans) {
            loaded_spans += spans.len();
            loaded.push((trace, spans, stored));
        }
        if loaded_spans >= SAVE_EVERY_SPANS {
            let assembled = assemble_all(std::mem::take(&mut loaded)).await;
            saving.start(store, metrics, on_saved, assembled).await;
            loaded_spans = 0;
        }
    }
    if !loaded.is_empty() {
        let assembled = assemble_all(loaded).await;
        saving.start(store, metrics, on_saved, assembled).await;
    }
}

/// The spans of a prefix of `part` (see [`Store::traces_spans`]), with the part: the
/// outlines of its traces' spans ([`SpanDetail::Outline`]), all there is to assembling a
/// trace in which nothing failed, and the whole spans of those in which something did.
async fn read(
    store: Store,
    part: Vec<DueTrace>,
    max_spans: usize,
    budget: usize,
) -> Result<(Vec<DueTrace>, Vec<(Vec<SpanRecord>, usize)>), StoreError> {
    let keys: Vec<TraceRef> = part
        .iter()
        .map(|t| TraceRef {
            project_id: t.project_id,
            trace_id: &t.trace_id,
            key: Some(t.key),
        })
        .collect();
    let spans = store
        .traces_spans(&keys, max_spans, budget, SpanDetail::Outline)
        .await?;
    Ok((part, spans))
}

/// Reads how many traces wait and how late the oldest due one is, for `/metrics`.
async fn gauge(store: &Store, settle: i64, max_wait: i64, metrics: &Metrics) {
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
