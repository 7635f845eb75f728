//! The Kafka receiver: a member of a consumer group reading OTLP protobuf
//! `ExportTraceServiceRequest` messages (what the Omegi agents and the OpenTelemetry
//! Collector's Kafka exporter with `otlp_proto` write: a batch, one trace or part of one) and
//! handing them to the ingest service like any other transport.
//!
//! Delivery: at least once, never lost. A message's offset is stored for commit only after its
//! spans are durably stored, and offsets are stored in the order messages arrived, so a node
//! killed mid-batch leaves its uncommitted messages to whichever node gets its partitions.
//! Spans are idempotent, so a message delivered twice changes nothing. While the span queue
//! is full the message waits for room, in turn; while the database fails it is retried; and
//! the consumer takes no new ones meanwhile: it pauses, it never drops. A message that can never succeed (not OTLP, bad token)
//! is counted, logged and skipped, so it never blocks its partition.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use anyhow::Context;
use futures_util::stream::{FuturesOrdered, StreamExt};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message as _;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message, OwnedMessage};
use tokio::sync::watch;

use crate::config::KafkaConfig;
use crate::ingest::auth::{split_by_token, AuthError};
use crate::ingest::consumed::Skip;
use crate::ingest::decode;
use crate::ingest::Ingest;
use crate::metrics::Protocol;
use crate::pipeline::writer::WriteError;
use crate::shutdown::stopped;

/// Message header with the ingest token (the agents set it).
pub const TOKEN_HEADER: &str = "omegi-token";

/// Messages being stored at once. They share the span writer's commits, so a partition of
/// one-trace messages is not read at one message per commit; beyond it the consumer waits.
const IN_FLIGHT: usize = 256;
/// Message bytes in hand at most (besides always one message): decoded, a span takes about
/// five times its protobuf size, so 4 MiB of messages is about 20 MiB waiting for the queue.
/// Without it, 256 messages of 500 spans held 500 MiB while the queue was full.
const IN_HAND_BYTES: usize = 4 << 20;

/// Backoff while the token store or the database fails (a full span queue is waited for).
const RETRY_FIRST: Duration = Duration::from_millis(50);
const RETRY_MAX: Duration = Duration::from_secs(1);

/// Starts consuming; returns when `stop` turns true, after the messages in hand are stored
/// and their offsets committed. Fails at once only when the consumer cannot be created.
pub async fn start(
    ingest: Ingest,
    cfg: KafkaConfig,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &cfg.brokers)
        .set("group.id", &cfg.group)
        .set("client.id", "omegi")
        // Offsets are stored by us once spans are durable, and committed in the background
        // (and on rebalance and shutdown) from what was stored.
        .set("enable.auto.commit", "true")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        // A killed node's partitions move to the others after this long without heartbeats.
        .set("session.timeout.ms", "10000")
        .set("heartbeat.interval.ms", "1000")
        // What librdkafka prefetches per partition, bounded so memory is too.
        .set("queued.max.messages.kbytes", "16384")
        .create()
        .context("--kafka-brokers: cannot create the Kafka consumer")?;
    consumer
        .subscribe(&[&cfg.topic])
        .with_context(|| format!("--kafka-topic: cannot subscribe to {}", cfg.topic))?;
    tracing::info!(
        brokers = %cfg.brokers, topic = %cfg.topic, group = %cfg.group,
        "consuming spans from Kafka"
    );
    Ok(tokio::spawn(consume(consumer, ingest, stop)))
}

/// Where a message sat, and whether it was stored (or skipped for good).
/// A message being handled: its place, whether its offset may advance, and its size.
type Handled = Pin<Box<dyn Future<Output = ((String, i32, i64, bool), usize)> + Send>>;

async fn consume(consumer: StreamConsumer, ingest: Ingest, stop: watch::Receiver<bool>) {
    // Completes in arrival order, so offsets are stored in order within each partition.
    let mut handling: FuturesOrdered<Handled> = FuturesOrdered::new();
    // Partitions where a message was given up at shutdown: no later offset of theirs may be
    // stored, or the commit would pass over it.
    let mut held: HashSet<(String, i32)> = HashSet::new();
    let mut in_hand = 0usize;
    let stopping = stopped(stop.clone());
    tokio::pin!(stopping);
    loop {
        tokio::select! {
            _ = &mut stopping => break,
            Some((done, size)) = handling.next(), if !handling.is_empty() => {
                in_hand -= size;
                store_offset(&consumer, &mut held, done);
            }
            received = consumer.recv(),
                if handling.is_empty() || (handling.len() < IN_FLIGHT && in_hand < IN_HAND_BYTES) =>
            match received {
                Ok(message) => {
                    let message = message.detach();
                    let size = message.payload().map_or(0, <[u8]>::len);
                    in_hand += size;
                    let ingest = ingest.clone();
                    let stop = stop.clone();
                    handling.push_back(Box::pin(async move {
                        let done = handle(&ingest, &message, stop).await;
                        let place = (message.topic().to_string(), message.partition(), message.offset());
                        ((place.0, place.1, place.2, done), size)
                    }));
                }
                Err(e) => {
                    tracing::warn!("reading from Kafka failed: {e}");
                    tokio::time::sleep(RETRY_FIRST).await;
                }
            },
        }
    }
    // Stopping: what is in hand gets stored (or given up when the writer closes), and the
    // offsets stored so far are committed before the consumer leaves its group.
    while let Some((done, _)) = handling.next().await {
        store_offset(&consumer, &mut held, done);
    }
    if let Err(e) = consumer.commit_consumer_state(CommitMode::Sync) {
        tracing::debug!("committing Kafka offsets at shutdown: {e}");
    }
}

fn store_offset(
    consumer: &StreamConsumer,
    held: &mut HashSet<(String, i32)>,
    (topic, partition, offset, done): (String, i32, i64, bool),
) {
    let key = (topic, partition);
    if !done {
        held.insert(key);
        return;
    }
    if held.contains(&key) {
        return;
    }
    let (topic, partition) = key;
    // Fails only when the partition was revoked meanwhile: its new owner reads the message
    // again, which is harmless.
    if let Err(e) = consumer.store_offset(&topic, partition, offset) {
        tracing::debug!("offset {topic}/{partition}/{offset} not stored: {e}");
    }
}

/// Where a message sits, for the log: `topic/partition/offset`, formatted only when needed.
struct Place<'a>(&'a OwnedMessage);

impl std::fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = self.0;
        write!(f, "{}/{}/{}", m.topic(), m.partition(), m.offset())
    }
}

/// Stores one message's spans, retrying until they are stored, or skips it when it can never
/// be. Returns whether the offset may advance past it (not when shutting down mid-way).
async fn handle(ingest: &Ingest, message: &OwnedMessage, stop: watch::Receiver<bool>) -> bool {
    let place = Place(message);
    let payload = message.payload().unwrap_or_default();
    let request = match ExportTraceServiceRequest::decode(payload) {
        Ok(r) if !r.resource_spans.is_empty() => r,
        Ok(_) => {
            let why = "not an OTLP trace export (no resource spans)";
            ingest.consumed.skipped(Skip::Undecodable, &place, why);
            ingest.metrics.refused(Protocol::Kafka, "undecodable");
            return true;
        }
        Err(e) => {
            let why = format!("not an OTLP protobuf ExportTraceServiceRequest: {e}");
            ingest.consumed.skipped(Skip::Undecodable, &place, &why);
            ingest.metrics.refused(Protocol::Kafka, "undecodable");
            return true;
        }
    };
    let header = message.headers().and_then(|headers| {
        headers
            .iter()
            .find(|h| h.key == TOKEN_HEADER)
            .and_then(|h| std::str::from_utf8(h.value?).ok())
            .map(str::trim)
    });
    let mut spans = None;
    for (token, part) in split_by_token(request, header) {
        let mut backoff = Backoff::new(&place, stop.clone());
        match store(ingest, token.as_deref(), part, &mut backoff).await {
            Stored::Spans(n) => *spans.get_or_insert(0) += n,
            Stored::Skipped => {}
            Stored::Stopped => return false,
        }
    }
    if let Some(spans) = spans {
        ingest.consumed.stored(spans);
    }
    true
}

enum Stored {
    Spans(usize),
    Skipped,
    Stopped,
}

/// Waiting before a retry, twice as long each time up to [`RETRY_MAX`], cut short by stop.
struct Backoff<'a> {
    next: Duration,
    place: &'a Place<'a>,
    stop: watch::Receiver<bool>,
}

impl<'a> Backoff<'a> {
    fn new(place: &'a Place<'a>, stop: watch::Receiver<bool>) -> Backoff<'a> {
        Backoff {
            next: RETRY_FIRST,
            place,
            stop,
        }
    }

    /// Waits because of `problem`; false when the node is stopping instead.
    async fn wait(&mut self, problem: impl std::fmt::Display) -> bool {
        tracing::debug!("Kafka message {} waits: {problem}", self.place);
        let sleep = tokio::time::sleep(self.next);
        self.next = (self.next * 2).min(RETRY_MAX);
        tokio::select! {
            _ = sleep => true,
            _ = stopped(self.stop.clone()) => false,
        }
    }
}

/// Authenticates, decodes and stores one token's part of a message, retrying what is
/// temporary (a token that cannot be checked, a failing database) and waiting for room in a
/// full span queue.
async fn store(
    ingest: &Ingest,
    token: Option<&str>,
    part: ExportTraceServiceRequest,
    backoff: &mut Backoff<'_>,
) -> Stored {
    let place = backoff.place;
    let owner = loop {
        match ingest.authenticate_recent(token).await {
            Ok(owner) => break owner,
            Err(AuthError::Unauthenticated(why)) => {
                ingest.consumed.skipped(Skip::Unauthenticated, place, why);
                ingest.metrics.refused(Protocol::Kafka, "unauthenticated");
                return Stored::Skipped;
            }
            Err(e @ AuthError::Unavailable) if backoff.wait(&e).await => {}
            Err(AuthError::Unavailable) => return Stored::Stopped,
        }
    };
    let mut decoded = decode::spans(&owner, part);
    loop {
        match ingest.admit(owner.project_id, &mut decoded).await {
            Ok(()) => break,
            Err(e) if backoff.wait(&e).await => {}
            Err(_) => return Stored::Stopped,
        }
    }
    let rejected = u64::try_from(decoded.rejected).unwrap_or(0);
    ingest
        .metrics
        .received(Protocol::Kafka, decoded.spans.len() + rejected as usize);
    if rejected > 0 {
        let why = decoded.problems.join("; ");
        ingest.consumed.rejected(decoded.rejected, place, &why);
        ingest
            .metrics
            .rejected(Protocol::Kafka, "invalid", rejected);
    }
    let mut spans = decoded.spans;
    let n = spans.len();
    while !spans.is_empty() {
        let written = tokio::select! {
            written = ingest.writer.write_when_room(spans) => written,
            // Waiting for room at shutdown: the message is read again after a restart.
            _ = stopped(backoff.stop.clone()) => return Stored::Stopped,
        };
        match written {
            Ok(()) => break,
            Err((WriteError::Closed, _)) => return Stored::Stopped,
            Err((e, back)) if backoff.wait(&e).await => spans = back,
            Err(_) => return Stored::Stopped,
        }
    }
    Stored::Spans(n)
}
