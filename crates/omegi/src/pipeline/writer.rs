//! The span writer: one task owns every span write. Requests queue their spans and wait; the
//! task takes everything queued (up to a batch) and stores it in one transaction, so many
//! small exports share one durable commit. The queue is bounded by spans, and a full queue
//! is refused at once so callers can answer "retry later" instead of growing memory.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};

use crate::metrics::Metrics;
use crate::model::{now_ms, SpanRecord};
use crate::store::{Store, StoreError};

/// Spans per transaction; past this, waiting writers go into the next commit.
const BATCH_SPANS: usize = 2000;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("Omegi is overloaded: the span queue is full")]
    Overloaded,
    #[error("storing spans failed: {0}")]
    Storage(String),
    #[error("Omegi is shutting down")]
    Closed,
}

impl WriteError {
    /// The reason label of spans refused this way (`/metrics`).
    pub fn reason(&self) -> &'static str {
        match self {
            WriteError::Overloaded => "overloaded",
            WriteError::Storage(_) => "storage_failed",
            WriteError::Closed => "shutting_down",
        }
    }
}

/// A write that failed, with the spans it was given, for a caller that retries.
pub type Refused = (WriteError, Vec<SpanRecord>);

struct Job {
    spans: Vec<SpanRecord>,
    /// On failure the spans go back to the caller.
    done: oneshot::Sender<Result<(), (String, Vec<SpanRecord>)>>,
    _queued: OwnedSemaphorePermit,
}

#[derive(Clone)]
pub struct SpanWriter {
    jobs: mpsc::UnboundedSender<Job>,
    room: Arc<Semaphore>,
    capacity: usize,
}

impl SpanWriter {
    /// Starts the writer task; at most `capacity` spans wait at any time.
    pub fn start(
        store: Store,
        capacity: usize,
        metrics: Arc<Metrics>,
    ) -> (SpanWriter, tokio::task::JoinHandle<()>) {
        let (jobs, queue) = mpsc::unbounded_channel();
        let room = Arc::new(Semaphore::new(capacity));
        let depth = Depth {
            room: room.clone(),
            capacity,
            metrics,
        };
        let task = super::write_thread::spawn(store.backend(), run(store, queue, depth));
        let writer = SpanWriter {
            jobs,
            room,
            capacity,
        };
        (writer, task)
    }

    /// Stores `spans`; returns once they are committed. A full queue refuses at once, so the
    /// caller can answer "retry later".
    pub async fn write(&self, spans: Vec<SpanRecord>) -> Result<(), WriteError> {
        let Ok(queued) = self
            .room
            .clone()
            .try_acquire_many_owned(self.permits(&spans))
        else {
            return Err(WriteError::Overloaded);
        };
        self.send(spans, queued).await.map_err(|(e, _)| e)
    }

    /// Waits for room in the queue instead of refusing: for a consumer that has no client to
    /// tell "retry later" (Kafka), in turn with the other waiters. Storage failures still hand
    /// the spans back.
    pub async fn write_when_room(&self, spans: Vec<SpanRecord>) -> Result<(), Refused> {
        let Ok(queued) = self
            .room
            .clone()
            .acquire_many_owned(self.permits(&spans))
            .await
        else {
            return Err((WriteError::Closed, spans));
        };
        self.send(spans, queued).await
    }

    /// Queue room a write takes: its spans, at most the whole queue.
    fn permits(&self, spans: &[SpanRecord]) -> u32 {
        u32::try_from(spans.len().clamp(1, self.capacity)).unwrap_or(u32::MAX)
    }

    async fn send(
        &self,
        spans: Vec<SpanRecord>,
        queued: OwnedSemaphorePermit,
    ) -> Result<(), Refused> {
        let (done, committed) = oneshot::channel();
        let job = Job {
            spans,
            done,
            _queued: queued,
        };
        if let Err(refused) = self.jobs.send(job) {
            return Err((WriteError::Closed, refused.0.spans));
        }
        match committed.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err((e, spans))) => Err((WriteError::Storage(e), spans)),
            Err(_) => Err((WriteError::Closed, Vec::new())),
        }
    }
}

/// What the writer reports: its queue's depth and each commit.
struct Depth {
    room: Arc<Semaphore>,
    capacity: usize,
    metrics: Arc<Metrics>,
}

async fn run(store: Store, mut queue: mpsc::UnboundedReceiver<Job>, depth: Depth) {
    while let Some(first) = queue.recv().await {
        depth.metrics.queue_depth(
            depth
                .capacity
                .saturating_sub(depth.room.available_permits()),
        );
        let mut count = first.spans.len();
        let mut jobs = vec![first];
        while count < BATCH_SPANS {
            match queue.try_recv() {
                Ok(job) => {
                    count += job.spans.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        let spans: Vec<&SpanRecord> = jobs.iter().flat_map(|j| &j.spans).collect();
        let started = std::time::Instant::now();
        let result = store.insert_spans(&spans, now_ms()).await;
        if result.is_ok() {
            depth.metrics.committed(spans.len(), started.elapsed());
        }
        drop(spans);
        // (`jobs` is mutable for the one-job failure below.)
        match result {
            Ok(()) => {
                for job in jobs {
                    let _ = job.done.send(Ok(()));
                }
            }
            // One export that can never be stored must not fail the others that shared its
            // commit: each is tried again on its own.
            Err(e) if jobs.len() > 1 => {
                tracing::warn!(
                    "storing {count} spans together failed ({e}); storing them export by export"
                );
                for job in jobs {
                    let spans: Vec<&SpanRecord> = job.spans.iter().collect();
                    let started = std::time::Instant::now();
                    let result = store.insert_spans(&spans, now_ms()).await;
                    if result.is_ok() {
                        depth.metrics.committed(spans.len(), started.elapsed());
                    }
                    drop(spans);
                    finish(job, result);
                }
            }
            Err(e) => {
                if let Some(job) = jobs.pop() {
                    finish(job, Err(e));
                }
            }
        }
    }
}

/// Answers a job's writer: stored, or the error with its spans handed back.
fn finish(job: Job, result: Result<(), StoreError>) {
    let result = result.map_err(|e| {
        tracing::error!("storing {} spans failed: {e}", job.spans.len());
        (e.to_string(), job.spans)
    });
    let _ = job.done.send(result);
}
