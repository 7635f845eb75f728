//! Writing spans (the write path's one transaction per batch) and reading them back for
//! assembly and trace views.
//!
//! Spans are stored a trace at a time: the spans of one trace that arrive in one write, up
//! to [`CHUNK_SPANS`], are one row of `span_chunks` holding them packed (an array of
//! MessagePack, LZ4-compressed: [`pack_chunk`]; chunks stored before hold JSON text). Writing
//! a trace of ten spans then inserts one row and one index entry instead of ten of each, and
//! assembly reads it back as one value (docs/benchmarks.md, issue 14). A span sent twice is
//! stored twice and read once: the copy stored first, as when each span had its own row.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::Range;
use std::sync::{Arc, Mutex};

use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use sqlx::{Any, Transaction};

use super::{encode_error, Backend, Result, Store, StoreError};
use crate::model::{Millis, SpanDetail, SpanEvent, SpanRecord, PEER_ATTRIBUTES};

/// Most spans a chunk row holds; a trace's larger writes take several rows, so a reader that
/// wants the earliest spans of an enormous trace need not read all of it.
const CHUNK_SPANS: usize = 1000;

/// Resources read back, by project and digest (a digest names one content for good). Spans
/// of a service share one resource, so a node reads each from the database about once.
#[derive(Clone, Default)]
pub(crate) struct ResourceCache(Arc<Mutex<HashMap<(i64, String), Resource>>>);

/// A resource's attributes, shared by the spans that name it.
type Resource = Arc<Map<String, Value>>;

/// Past this many resources the cache starts again (resources change with deployments).
const CACHED_RESOURCES: usize = 4096;

impl ResourceCache {
    /// The cached resources among `wanted`, under one lock.
    fn get_all<'a>(
        &self,
        wanted: impl Iterator<Item = (i64, &'a str)>,
    ) -> HashMap<(i64, &'a str), Resource> {
        let cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
        wanted
            .filter_map(|(p, d)| Some(((p, d), cache.get(&(p, d.to_string()))?.clone())))
            .collect()
    }

    /// Caches resources, under one lock.
    fn insert_all<'a>(&self, resources: impl Iterator<Item = (i64, &'a str, Resource)>) {
        let mut cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for (project, digest, resource) in resources {
            if cache.len() >= CACHED_RESOURCES {
                cache.clear();
            }
            cache.insert((project, digest.to_string()), resource);
        }
    }
}

/// A stored span as read from its chunk: the fields of [`SpanRecord`] but the project and
/// trace (the row's), and the resource `R`: in a packed chunk a digest; in a JSON chunk a
/// digest (a JSON string) or, for spans stored before resources had their table, the
/// attributes themselves. Its attributes `A` and events `E` are read whole or, for a
/// [`SpanDetail::Outline`], as [`PeerAttributes`] and [`EventOutline`]s.
#[derive(serde::Deserialize)]
struct StoredSpan<R, A = Map<String, Value>, E = SpanEvent>(
    String,
    Option<String>,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    String,
    A,
    Vec<E>,
    R,
);

impl<R, A: Into<Map<String, Value>>, E: Into<SpanEvent>> StoredSpan<R, A, E> {
    /// The span (its project and trace left for the caller) and its resource.
    fn split(self) -> (SpanRecord, R) {
        let span = SpanRecord {
            project_id: 0,
            trace_id: String::new(),
            span_id: self.0,
            parent_span_id: self.1,
            service: self.2,
            name: self.3,
            kind: self.4,
            start_ns: self.5,
            end_ns: self.6,
            status_code: self.7,
            status_message: self.8,
            attributes: self.9.into(),
            events: self.10.into_iter().map(Into::into).collect(),
            resource: Arc::default(),
        };
        (span, self.11)
    }
}

/// A span's attributes as its outline keeps them: the [`PEER_ATTRIBUTES`]; the others are
/// skipped over, neither parsed into values nor allocated.
struct PeerAttributes(Map<String, Value>);

impl<'de> serde::Deserialize<'de> for PeerAttributes {
    fn deserialize<D: serde::Deserializer<'de>>(from: D) -> std::result::Result<Self, D::Error> {
        struct Attributes;
        impl<'de> serde::de::Visitor<'de> for Attributes {
            type Value = PeerAttributes;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map of attributes")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> std::result::Result<PeerAttributes, M::Error> {
                let mut kept = Map::new();
                while let Some(PeerKey(key)) = map.next_key()? {
                    match key {
                        Some(key) => {
                            kept.insert(key.to_string(), map.next_value()?);
                        }
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(PeerAttributes(kept))
            }
        }
        from.deserialize_map(Attributes)
    }
}

impl From<PeerAttributes> for Map<String, Value> {
    fn from(kept: PeerAttributes) -> Self {
        kept.0
    }
}

/// An attribute's key, if it is one of the [`PEER_ATTRIBUTES`].
struct PeerKey(Option<&'static str>);

impl<'de> serde::Deserialize<'de> for PeerKey {
    fn deserialize<D: serde::Deserializer<'de>>(from: D) -> std::result::Result<Self, D::Error> {
        struct Key;
        impl serde::de::Visitor<'_> for Key {
            type Value = PeerKey;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an attribute's key")
            }
            fn visit_str<E: serde::de::Error>(self, key: &str) -> std::result::Result<PeerKey, E> {
                Ok(PeerKey(PEER_ATTRIBUTES.iter().copied().find(|k| *k == key)))
            }
        }
        from.deserialize_str(Key)
    }
}

/// A span event as its outline keeps it: its name and time, its attributes skipped.
#[derive(serde::Deserialize)]
struct EventOutline {
    name: String,
    time_ns: i64,
    #[serde(rename = "attributes")]
    _attributes: IgnoredAny,
}

impl From<EventOutline> for SpanEvent {
    fn from(event: EventOutline) -> Self {
        SpanEvent {
            name: event.name,
            time_ns: event.time_ns,
            attributes: Map::new(),
        }
    }
}

/// Where a span read back finds its resource.
#[derive(Debug)]
enum ResourceRef {
    Digest(String),
    Inline(Resource),
    /// Not read: the span is an outline.
    Unread,
}

/// A trace whose spans are read: its project and id, and its row's key (`traces.id`) when
/// the caller has it (the assembler does), which finds its chunks without looking it up.
#[derive(Clone, Copy, Debug)]
pub struct TraceRef<'a> {
    pub project_id: i64,
    pub trace_id: &'a str,
    pub key: Option<i64>,
}

/// A chunk's metadata: the trace it belongs to (index into the traces asked for), its row,
/// how many spans it holds and when the earliest of them started.
#[derive(serde::Deserialize)]
struct ChunkMeta {
    k: i64,
    id: i64,
    span_count: i64,
    first_start_ns: i64,
}

impl ChunkMeta {
    fn spans(&self) -> usize {
        usize::try_from(self.span_count).unwrap_or(0)
    }
}

/// A span read back, with the chunk it came from (the lowest id was stored first).
struct Read {
    chunk: i64,
    span: SpanRecord,
    resource: ResourceRef,
}

/// Chunks as read from the database, not yet parsed: their bytes one after the other, and
/// each chunk's id, project and place in them. Kept until their spans are parsed, so that
/// the chunks of a trace read as outlines can be parsed again whole.
struct Chunks {
    bytes: Vec<u8>,
    index: Vec<(i64, i64, Range<usize>)>,
}

impl Chunks {
    /// The spans of the chunks whose id `wanted` picks, as much of each as `detail` asks;
    /// each knows its chunk and project (its trace is the caller's to fill in).
    fn spans(&self, detail: SpanDetail, wanted: impl Fn(i64) -> bool) -> Result<Vec<Read>> {
        let mut out = Vec::new();
        for (id, project, at) in self.index.iter().filter(|(id, _, _)| wanted(*id)) {
            let spans = chunk_spans(&self.bytes[at.clone()], detail)
                .map_err(|e| StoreError::Corrupt(format!("spans of chunk {id}: {e}")))?;
            out.extend(spans.into_iter().map(|(mut span, resource)| {
                span.project_id = *project;
                Read {
                    chunk: *id,
                    span,
                    resource,
                }
            }));
        }
        Ok(out)
    }
}

impl Store {
    /// Stores spans in one transaction: the spans (a chunk row for each trace's spans), the
    /// resources and services they name, and the pending state of their traces. When this
    /// returns Ok the spans are durable. Each table gets one statement: the rows are bound as
    /// one JSON document ([`Backend::json_rows`]) and the chunks' contents as one byte string
    /// that each row takes its slice of, so no span is escaped into a JSON string.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn insert_spans(&self, spans: &[&SpanRecord], now: Millis) -> Result<()> {
        let digests = ResourceDigests::of(spans)?;
        let distinct = digests.distinct(spans);
        let resources = ResourceDigests::rows(&distinct)?;
        let mut by_trace: BTreeMap<(i64, &str), Vec<&SpanRecord>> = BTreeMap::new();
        let mut services: BTreeSet<(i64, &str)> = BTreeSet::new();
        for s in spans {
            by_trace
                .entry((s.project_id, s.trace_id.as_str()))
                .or_default()
                .push(s);
            services.insert((s.project_id, s.service.as_str()));
        }
        let mut contents: Vec<u8> = Vec::with_capacity(spans.len() * 192);
        let mut scratch: Vec<u8> = Vec::new();
        let mut chunks: Vec<(i64, &str, usize, i64, usize, usize)> = Vec::new();
        let mut traces: Vec<(i64, &str, i64)> = Vec::with_capacity(by_trace.len());
        for ((project, trace), spans) in &by_trace {
            for chunk in spans.chunks(CHUNK_SPANS) {
                let from = contents.len();
                pack_chunk(chunk, &digests, &mut scratch, &mut contents)?;
                let first = chunk.iter().map(|s| s.start_ns).min().unwrap_or(0);
                // SQL counts bytes from 1.
                chunks.push((
                    *project,
                    trace,
                    chunk.len(),
                    first,
                    from + 1,
                    contents.len() - from,
                ));
            }
            let root = spans.iter().any(|s| s.is_root());
            traces.push((*project, trace, i64::from(root)));
        }

        // The batch's rows, in one round trip: on SQLite its statements go to the database's
        // thread as one string (sqlx binds `$N` to the Nth value in each of them), inside the
        // write transaction; PostgreSQL takes them as one statement, its writes in `WITH`,
        // which commits on its own. Through sqlx every statement is a round trip, to the
        // database's thread or over the network (docs/benchmarks.md, twelfth pass).
        // $1 now, $2 the traces, $3 the chunks, $4 their bytes, $5 resources, $6 services.
        let resources_sql = |batch: &str| {
            format!(
                "INSERT INTO resources (project_id, digest, attributes, last_used_at) \
                 SELECT CAST(value ->> 0 AS BIGINT), value ->> 1, value -> 2, $1 \
                 FROM {batch} WHERE true \
                 ON CONFLICT (project_id, digest) DO UPDATE SET last_used_at = excluded.last_used_at"
            )
        };
        let services_sql = |batch: &str| {
            format!(
                "INSERT INTO services (project_id, name, created_at) \
                 SELECT CAST(value ->> 0 AS BIGINT), value ->> 1, $1 FROM {batch} WHERE true \
                 ON CONFLICT (project_id, name) DO NOTHING"
            )
        };
        // The traces first: a chunk names its trace by the key the trace's row got when its
        // first span was stored (keys grow as traces arrive, so the chunks' index appends).
        // On PostgreSQL the upsert of the traces hands the chunks their keys in the same
        // statement; SQLite has no `INSERT` inside `WITH`, and looks the keys up.
        let chunk_rows = |traces: &str| {
            format!(
                "INSERT INTO span_chunks (project_id, trace_key, span_count, first_start_ns, \
                                          received_at, spans) \
                 SELECT t.project_id, t.id, CAST(value ->> 2 AS BIGINT), \
                        CAST(value ->> 3 AS BIGINT), $1, {} \
                 FROM batch JOIN {traces} ON t.project_id = CAST(value ->> 0 AS BIGINT) \
                  AND t.trace_id = value ->> 1 \
                 ORDER BY CAST(value ->> 4 AS BIGINT)",
                self.backend.blob_slice("$4", "value ->> 4", "value ->> 5")
            )
        };
        let pending = self.backend.json_table("pending", "$2");
        let batch = self.backend.json_table("batch", "$3");
        let sql = match self.backend {
            Backend::Sqlite => format!(
                "WITH {} {}; WITH {} {}; WITH {pending} {PENDING_UPSERT}; WITH {batch} {}",
                self.backend.json_table("batch", "$5"),
                resources_sql("batch"),
                self.backend.json_table("batch", "$6"),
                services_sql("batch"),
                chunk_rows("traces t"),
            ),
            Backend::Postgres => format!(
                "WITH {}, r AS ({}), {}, s AS ({}), {pending}, \
                      t AS ({PENDING_UPSERT} RETURNING id, project_id, trace_id), {batch} {}",
                self.backend.json_table("resource_rows", "$5"),
                resources_sql("resource_rows"),
                self.backend.json_table("service_rows", "$6"),
                services_sql("service_rows"),
                chunk_rows("t"),
            ),
        };
        let query = sqlx::query(&sql)
            .bind(now)
            .bind(serde_json::to_string(&traces).map_err(encode_error)?)
            .bind(serde_json::to_string(&chunks).map_err(encode_error)?)
            .bind(contents)
            .bind(resources)
            .bind(serde_json::to_string(&services).map_err(encode_error)?);
        match self.backend {
            Backend::Sqlite => {
                let mut tx = self.write().await?;
                query.execute(&mut **tx).await?;
                tx.commit().await?;
            }
            Backend::Postgres => {
                query.execute(&self.pool).await?;
            }
        }
        self.resources.insert_all(
            distinct
                .into_iter()
                .map(|((project, digest), (resource, _))| (project, digest, resource.clone())),
        );
        Ok(())
    }

    /// The spans of several traces, each as [`Store::trace_spans`] gives it: at most `limit`
    /// (the earliest) and how many are stored. About `budget` spans (at least `limit`) are
    /// read, so the answer covers a prefix of `traces`, never less than the first one: the
    /// caller asks again for the rest. Each span as much as `detail` asks.
    ///
    /// Its queries share one snapshot (a read transaction): on SQLite a connection's page
    /// cache is emptied whenever a read begins after a commit, so the chunks' pages, which
    /// the first query brought in, are read again only when the two are separate reads.
    #[tracing::instrument(level = "debug", skip_all, fields(traces = traces.len()))]
    pub async fn traces_spans(
        &self,
        traces: &[TraceRef<'_>],
        limit: usize,
        budget: usize,
        detail: SpanDetail,
    ) -> Result<Vec<(Vec<SpanRecord>, usize)>> {
        if traces.is_empty() {
            return Ok(Vec::new());
        }
        let budget = budget.max(limit);
        let keys: Vec<(i64, &str, usize, Option<i64>)> = traces
            .iter()
            .enumerate()
            .map(|(i, t)| (t.project_id, t.trace_id, i, t.key))
            .collect();
        // By the traces' keys when all are known; else each trace's key is looked up.
        let chunks_of = if traces.iter().all(|t| t.key.is_some()) {
            self.backend.lookup_join(
                "span_chunks",
                "c",
                "c.trace_key = CAST(batch.value ->> 3 AS BIGINT) \
                 AND c.project_id = CAST(batch.value ->> 0 AS BIGINT)",
            )
        } else {
            format!(
                "{} {}",
                self.backend.lookup_join(
                    "traces",
                    "t",
                    "t.project_id = CAST(batch.value ->> 0 AS BIGINT) \
                     AND t.trace_id = batch.value ->> 1"
                ),
                self.backend
                    .lookup_join("span_chunks", "c", "c.trace_key = t.id")
            )
        };
        let mut tx = self.pool.begin().await?;
        let metas: String = sqlx::query_scalar(&format!(
            "{}SELECT {} FROM batch {chunks_of}",
            self.backend.json_rows("$1"),
            self.backend.json_agg(
                &[
                    "CAST(value ->> 2 AS BIGINT)",
                    "c.id",
                    "c.span_count",
                    "c.first_start_ns"
                ],
                "CAST(value ->> 2 AS BIGINT), c.first_start_ns, c.id"
            ),
        ))
        .bind(serde_json::to_string(&keys).map_err(encode_error)?)
        .fetch_one(&mut *tx)
        .await?;
        let metas: Vec<ChunkMeta> = super::decode_json(&metas, "span chunks of traces")?;
        let mut of_trace: Vec<Vec<ChunkMeta>> = (0..traces.len()).map(|_| Vec::new()).collect();
        for m in metas {
            if let Some(chunks) = usize::try_from(m.k).ok().and_then(|k| of_trace.get_mut(k)) {
                chunks.push(m);
            }
        }
        let totals: Vec<usize> = of_trace
            .iter()
            .map(|chunks| chunks.iter().map(ChunkMeta::spans).sum())
            .collect();
        // Which traces fit the budget, and which of their chunks are read first: all of a
        // trace within `limit`, else the earliest-starting ones up to `limit` spans.
        let mut taken = 0;
        let mut wanted: Vec<i64> = Vec::new();
        let mut count = 0;
        for (chunks, total) in of_trace.iter().zip(&totals) {
            let cost = (*total).min(limit);
            if count > 0 && taken + cost > budget {
                break;
            }
            taken += cost;
            count += 1;
            let mut upto = 0;
            for c in chunks {
                if upto >= limit {
                    break;
                }
                upto += c.spans();
                wanted.push(c.id);
            }
        }
        of_trace.truncate(count);
        let mut chunks = vec![read_chunks(&mut tx, self.backend, &wanted).await?];
        let mut read = chunks[0].spans(detail, |_| true)?;
        // An enormous trace: its `limit` earliest spans may lie in chunks that start later
        // than those read (chunks overlap in time), so every chunk that starts no later
        // than the `limit`-th span read so far is read too.
        let mut more = Vec::new();
        for (chunks, total) in of_trace.iter().zip(&totals) {
            if *total <= limit {
                continue;
            }
            let ids: HashSet<i64> = chunks.iter().map(|c| c.id).collect();
            let mut starts: Vec<i64> = read
                .iter()
                .filter(|r| ids.contains(&r.chunk))
                .map(|r| r.span.start_ns)
                .collect();
            let Some(threshold) = starts
                .len()
                .checked_sub(limit)
                .map(|_| *starts.select_nth_unstable(limit - 1).1)
            else {
                continue;
            };
            more.extend(
                chunks
                    .iter()
                    .filter(|c| c.first_start_ns <= threshold && !wanted.contains(&c.id))
                    .map(|c| c.id),
            );
        }
        if !more.is_empty() {
            let extra = read_chunks(&mut tx, self.backend, &more).await?;
            read.extend(extra.spans(detail, |_| true)?);
            chunks.push(extra);
        }
        if detail == SpanDetail::Outline {
            // A trace in which a span failed, whole: all of its chunks read, parsed again.
            let failing: HashSet<i64> = read
                .iter()
                .filter(|r| r.span.is_error())
                .map(|r| r.chunk)
                .collect();
            let whole: HashSet<i64> = of_trace
                .iter()
                .filter(|trace| trace.iter().any(|c| failing.contains(&c.id)))
                .flat_map(|trace| trace.iter().map(|c| c.id))
                .collect();
            if !whole.is_empty() {
                read.retain(|r| !whole.contains(&r.chunk));
                for c in &chunks {
                    read.extend(c.spans(SpanDetail::Full, |id| whole.contains(&id))?);
                }
            }
        }
        self.resolve_resources(&mut tx, &mut read).await?;
        tx.commit().await?;

        let mut by_chunk: HashMap<i64, Vec<SpanRecord>> = HashMap::new();
        for r in read {
            by_chunk.entry(r.chunk).or_default().push(r.span);
        }
        let mut out = Vec::with_capacity(of_trace.len());
        for (mut chunks, t) in of_trace.into_iter().zip(traces) {
            // In the order stored, so that of a span stored twice the first copy is kept.
            chunks.sort_unstable_by_key(|c| c.id);
            let mut stored: usize = 0;
            let mut seen: HashSet<String> = HashSet::new();
            let mut spans = Vec::new();
            for c in &chunks {
                let Some(chunk) = by_chunk.remove(&c.id) else {
                    // Not read: counted as stored, not checked for copies.
                    stored += c.spans();
                    continue;
                };
                for mut span in chunk {
                    if seen.insert(span.span_id.clone()) {
                        span.project_id = t.project_id;
                        span.trace_id = t.trace_id.to_string();
                        spans.push(span);
                        stored += 1;
                    }
                }
            }
            spans.sort_by(|a, b| (a.start_ns, &a.span_id).cmp(&(b.start_ns, &b.span_id)));
            spans.truncate(limit);
            out.push((spans, stored));
        }
        Ok(out)
    }

    /// The spans of a trace, at most `limit` of them (the earliest), and how many are stored.
    /// Bounded so that one enormous trace costs its readers little more than `limit` spans.
    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project, trace = ?trace))]
    pub async fn trace_spans(
        &self,
        project: i64,
        trace: &str,
        limit: usize,
    ) -> Result<(Vec<SpanRecord>, usize)> {
        let mut one = self
            .traces_spans(
                &[TraceRef {
                    project_id: project,
                    trace_id: trace,
                    key: None,
                }],
                limit,
                usize::MAX,
                SpanDetail::Full,
            )
            .await?;
        Ok(one.pop().unwrap_or_default())
    }

    /// Gives each span read back its resource: looked up once a distinct resource, in the
    /// cache, else read once a batch.
    async fn resolve_resources(
        &self,
        tx: &mut Transaction<'_, Any>,
        read: &mut [Read],
    ) -> Result<()> {
        let wanted: BTreeSet<(i64, &str)> = read
            .iter()
            .filter_map(|r| match &r.resource {
                ResourceRef::Digest(d) => Some((r.span.project_id, d.as_str())),
                ResourceRef::Inline(_) | ResourceRef::Unread => None,
            })
            .collect();
        let cached = self.resources.get_all(wanted.iter().copied());
        let missing: Vec<&(i64, &str)> =
            wanted.iter().filter(|k| !cached.contains_key(k)).collect();
        let mut fetched: HashMap<(i64, String), Resource> = HashMap::new();
        if !missing.is_empty() {
            let rows: Vec<(i64, String, String)> = sqlx::query_as(&format!(
                "{}SELECT r.project_id, r.digest, {} FROM batch JOIN resources r \
                 ON r.project_id = CAST(value ->> 0 AS BIGINT) AND r.digest = value ->> 1",
                self.backend.json_rows("$1"),
                self.backend.json_column("r.attributes")
            ))
            .bind(serde_json::to_string(&missing).map_err(encode_error)?)
            .fetch_all(&mut **tx)
            .await?;
            for (project, digest, attributes) in rows {
                let resource: Map<String, Value> =
                    super::decode_json(&attributes, format!("resource {digest}"))?;
                fetched.insert((project, digest), Arc::new(resource));
            }
            self.resources.insert_all(
                fetched
                    .iter()
                    .map(|((p, d), r)| (*p, d.as_str(), r.clone())),
            );
        }
        let resolved: Vec<Resource> = read
            .iter()
            .map(|r| match &r.resource {
                ResourceRef::Inline(resource) => resource.clone(),
                ResourceRef::Unread => Resource::default(),
                // A resource gone from the table (it cannot be while a span names it) reads
                // as none rather than failing the trace.
                ResourceRef::Digest(d) => cached
                    .get(&(r.span.project_id, d.as_str()))
                    .or_else(|| fetched.get(&(r.span.project_id, d.clone())))
                    .cloned()
                    .unwrap_or_default(),
            })
            .collect();
        for (r, resource) in read.iter_mut().zip(resolved) {
            r.span.resource = resource;
        }
        Ok(())
    }
}

/// Reads chunks, to be parsed with [`Chunks::spans`].
async fn read_chunks(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    ids: &[i64],
) -> Result<Chunks> {
    let mut chunks = Chunks {
        bytes: Vec::new(),
        index: Vec::new(),
    };
    if ids.is_empty() {
        return Ok(chunks);
    }
    let (index, bytes): (String, Option<Vec<u8>>) = sqlx::query_as(&format!(
        "{}SELECT {} FROM batch {}",
        backend.json_rows("$1"),
        backend.rows_and_bytes(
            &["c.id", "c.project_id", "octet_length(c.spans)"],
            "c.spans"
        ),
        backend.lookup_join(
            "span_chunks",
            "c",
            "c.id = CAST(batch.value ->> 0 AS BIGINT)"
        )
    ))
    .bind(super::id_rows(ids.iter().copied())?)
    .fetch_one(&mut **tx)
    .await?;
    let index: Vec<(i64, i64, usize)> = super::decode_json(&index, "span chunks read")?;
    chunks.bytes = bytes.unwrap_or_default();
    let mut at = 0;
    for (id, project, len) in index {
        if len > chunks.bytes.len() - at {
            return Err(StoreError::Corrupt(format!(
                "span chunk {id} was cut short"
            )));
        }
        chunks.index.push((id, project, at..at + len));
        at += len;
    }
    if at < chunks.bytes.len() {
        return Err(StoreError::Corrupt(format!(
            "span chunks {ids:?} read {} bytes more than they hold",
            chunks.bytes.len() - at
        )));
    }
    Ok(chunks)
}

/// What a packed chunk starts with; a chunk stored as JSON text (before chunks were
/// packed) starts with `[`.
const PACKED_CHUNK: u8 = 4;

/// Largest packed chunk unpacked: what a damaged size would otherwise make Omegi allocate.
/// A chunk holds at most [`CHUNK_SPANS`] spans of exports of at most `--max-body`.
const MAX_CHUNK_BYTES: usize = 1 << 30;

/// Appends a packed chunk to `out`: a marker, then the spans as MessagePack (strings as
/// they are, not escaped as JSON would: serializing took 6% of the server's CPU, most of
/// it escaping), LZ4-compressed with its length. A chunk shrinks about threefold (443 to
/// 147 bytes a span of the benchmark's shop, as JSON), so a commit writes that much less to
/// the write-ahead log, a chunk of a trace of ten spans fits in one page instead of
/// overflowing into two more, and on PostgreSQL it stays under the size (about 2 KB, some
/// fifteen spans) past which the server compresses it again (docs/benchmarks.md, eighth
/// pass).
fn pack_chunk(
    spans: &[&SpanRecord],
    digests: &ResourceDigests,
    scratch: &mut Vec<u8>,
    out: &mut Vec<u8>,
) -> Result<()> {
    scratch.clear();
    rmp_serde::encode::write(scratch, &ChunkSpans(spans, digests))
        .map_err(|e| StoreError::Corrupt(format!("cannot encode spans for storage: {e}")))?;
    let size = u32::try_from(scratch.len())
        .map_err(|_| StoreError::Corrupt(format!("a chunk of {} bytes", scratch.len())))?;
    out.push(PACKED_CHUNK);
    out.extend_from_slice(&size.to_le_bytes());
    // Compressed straight into `out` (as `compress_prepend_size` lays it out), not into a
    // vector of its own that is then copied.
    let block = out.len();
    out.resize(
        block + lz4_flex::block::get_maximum_output_size(scratch.len()),
        0,
    );
    let len = lz4_flex::block::compress_into(scratch, &mut out[block..])
        .map_err(|e| StoreError::Corrupt(format!("cannot compress spans for storage: {e}")))?;
    out.truncate(block + len);
    Ok(())
}

/// The spans of a stored chunk, packed or (stored before chunks were packed) JSON, as much
/// of each as `detail` asks (a JSON chunk is read whole).
fn chunk_spans(
    stored: &[u8],
    detail: SpanDetail,
) -> std::result::Result<Vec<(SpanRecord, ResourceRef)>, String> {
    match stored.split_first() {
        Some((b'[', _)) => {
            let spans: Vec<StoredSpan<&RawValue>> =
                serde_json::from_slice(stored).map_err(|e| e.to_string())?;
            spans
                .into_iter()
                .map(|s| {
                    let (span, raw) = s.split();
                    let resource = resource_ref(raw).map_err(|e| format!("resource: {e}"))?;
                    Ok((span, resource))
                })
                .collect()
        }
        Some((&PACKED_CHUNK, block)) => {
            let size = block
                .first_chunk::<4>()
                .map(|n| u32::from_le_bytes(*n) as usize)
                .ok_or("no length")?;
            // LZ4 expands a block at most 255-fold.
            if size > MAX_CHUNK_BYTES || size / 255 > block.len() {
                return Err(format!("a stated length of {size} bytes"));
            }
            let packed =
                lz4_flex::block::decompress_size_prepended(block).map_err(|e| e.to_string())?;
            match detail {
                SpanDetail::Full => {
                    unpack::<String, Map<String, Value>, SpanEvent>(&packed, ResourceRef::Digest)
                }
                SpanDetail::Outline => {
                    unpack::<IgnoredAny, PeerAttributes, EventOutline>(&packed, |_| {
                        ResourceRef::Unread
                    })
                }
            }
        }
        _ => Err("neither packed nor JSON".to_string()),
    }
}

/// The spans of a packed chunk's MessagePack, read as [`StoredSpan<R, A, E>`]s, each with
/// what `resource` makes of its `R`.
fn unpack<R, A, E>(
    packed: &[u8],
    resource: impl Fn(R) -> ResourceRef,
) -> std::result::Result<Vec<(SpanRecord, ResourceRef)>, String>
where
    StoredSpan<R, A, E>: serde::de::DeserializeOwned,
    A: Into<Map<String, Value>>,
    E: Into<SpanEvent>,
{
    let spans: Vec<StoredSpan<R, A, E>> =
        rmp_serde::from_slice(packed).map_err(|e| e.to_string())?;
    Ok(spans
        .into_iter()
        .map(|s| {
            let (span, r) = s.split();
            (span, resource(r))
        })
        .collect())
}

/// A stored span's resource: a digest, or the attributes themselves.
fn resource_ref(raw: &RawValue) -> serde_json::Result<ResourceRef> {
    Ok(if raw.get().starts_with('"') {
        ResourceRef::Digest(serde_json::from_str(raw.get())?)
    } else {
        ResourceRef::Inline(Arc::new(serde_json::from_str(raw.get())?))
    })
}

/// The spans of one chunk as stored: one array a span (see [`StoredSpan`]), the resource
/// as its digest.
struct ChunkSpans<'a>(&'a [&'a SpanRecord], &'a ResourceDigests);

/// The digest of each distinct resource of a batch (spans of one export share theirs),
/// keyed by the resource's address, with its JSON text.
#[derive(Default)]
struct ResourceDigests(HashMap<usize, (String, String)>);

impl ResourceDigests {
    fn of(spans: &[&SpanRecord]) -> Result<ResourceDigests> {
        use sha2::{Digest, Sha256};
        let mut digests = ResourceDigests::default();
        for s in spans {
            let key = Arc::as_ptr(&s.resource) as usize;
            if let std::collections::hash_map::Entry::Vacant(entry) = digests.0.entry(key) {
                let json = serde_json::to_string(&*s.resource).map_err(encode_error)?;
                let digest = crate::model::hex(&Sha256::digest(json.as_bytes())[..16]);
                entry.insert((digest, json));
            }
        }
        Ok(digests)
    }

    fn digest(&self, span: &SpanRecord) -> &str {
        self.0
            .get(&(Arc::as_ptr(&span.resource) as usize))
            .map_or("", |(d, _)| d.as_str())
    }

    /// Each distinct resource of a project: its attributes and their JSON text.
    fn distinct<'a>(
        &'a self,
        spans: &[&'a SpanRecord],
    ) -> BTreeMap<(i64, &'a str), (&'a Resource, &'a str)> {
        let mut distinct = BTreeMap::new();
        for s in spans {
            if let Some((digest, json)) = self.0.get(&(Arc::as_ptr(&s.resource) as usize)) {
                distinct
                    .entry((s.project_id, digest.as_str()))
                    .or_insert((&s.resource, json.as_str()));
            }
        }
        distinct
    }

    /// `[project, digest, attributes]` rows of [`ResourceDigests::distinct`] resources.
    fn rows(distinct: &BTreeMap<(i64, &str), (&Resource, &str)>) -> Result<String> {
        let rows = distinct
            .iter()
            .map(|((p, d), (_, json))| Ok((*p, *d, serde_json::from_str::<&RawValue>(json)?)))
            .collect::<serde_json::Result<Vec<_>>>()
            .map_err(encode_error)?;
        serde_json::to_string(&rows).map_err(encode_error)
    }
}

impl serde::Serialize for ChunkSpans<'_> {
    fn serialize<S: serde::Serializer>(&self, out: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = out.serialize_seq(Some(self.0.len()))?;
        for s in self.0 {
            seq.serialize_element(&(
                &s.span_id,
                &s.parent_span_id,
                &s.service,
                &s.name,
                &s.kind,
                s.start_ns,
                s.end_ns,
                s.status_code,
                &s.status_message,
                &s.attributes,
                &s.events,
                self.1.digest(s),
            ))?;
        }
        seq.end()
    }
}

/// The upsert that records that traces got spans: each becomes (or stays) pending. A trace
/// that was already assembled is re-opened, and its wait starts again. The traces are the
/// rows of the `WITH` item `pending` ([`Backend::json_table`]), `[project, trace, has
/// root]`, with distinct keys (as a multi-row upsert requires); the time is `$1`.
const PENDING_UPSERT: &str =
    "INSERT INTO traces (project_id, trace_id, has_root, first_received_at, \
                             last_received_at, pending_since, version) \
         SELECT CAST(value ->> 0 AS BIGINT), value ->> 1, CAST(value ->> 2 AS BIGINT), \
                $1, $1, $1, 1 \
         FROM pending WHERE true \
         ON CONFLICT (project_id, trace_id) DO UPDATE SET \
           last_received_at = excluded.last_received_at, \
           pending_since = CASE WHEN traces.version = traces.assembled_version \
                           THEN excluded.pending_since ELSE traces.pending_since END, \
           has_root = CASE WHEN excluded.has_root = 1 THEN 1 ELSE traces.has_root END, \
           version = traces.version + 1";

#[cfg(test)]
mod tests {
    use super::*;

    fn span(id: &str) -> SpanRecord {
        let mut attributes = Map::new();
        attributes.insert(
            "db.query.text".into(),
            "SELECT \"o\".id\n FROM orders".into(),
        );
        attributes.insert("http.response.status_code".into(), 500.into());
        attributes.insert("ratio".into(), 0.25.into());
        attributes.insert("server.address".into(), "db.internal".into());
        SpanRecord {
            project_id: 7,
            trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
            span_id: id.into(),
            parent_span_id: Some("00f067aa0ba902b7".into()),
            service: "orders".into(),
            name: "GET /orders/{id}".into(),
            kind: "server".into(),
            start_ns: 1_700_000_000_000_000_000,
            end_ns: 1_700_000_000_005_000_000,
            status_code: 2,
            status_message: "Ünicode ✓".into(),
            attributes,
            events: vec![SpanEvent {
                name: "exception".into(),
                time_ns: 1_700_000_000_004_000_000,
                attributes: Map::from_iter([("exception.type".into(), "KeyError".into())]),
            }],
            resource: Arc::new(Map::from_iter([("service.name".into(), "orders".into())])),
        }
    }

    #[test]
    fn a_packed_chunk_reads_back_as_the_spans_it_was_made_of() {
        let spans = [span("a1a2a3a4a5a6a7a8"), span("b1b2b3b4b5b6b7b8")];
        let refs: Vec<&SpanRecord> = spans.iter().collect();
        let digests = ResourceDigests::of(&refs).unwrap();
        let mut stored = Vec::new();
        pack_chunk(&refs, &digests, &mut Vec::new(), &mut stored).unwrap();
        assert_eq!(stored[0], PACKED_CHUNK);
        let read = chunk_spans(&stored, SpanDetail::Full).unwrap();
        assert_eq!(read.len(), 2);
        for ((mut got, resource), want) in read.into_iter().zip(&spans) {
            assert!(matches!(resource, ResourceRef::Digest(d) if d == digests.digest(want)));
            got.project_id = want.project_id;
            got.trace_id = want.trace_id.clone();
            got.resource = want.resource.clone();
            assert_eq!(&got, want);
        }
    }

    #[test]
    fn an_outline_keeps_what_assembly_looks_at_and_fails_as_the_whole_span_does() {
        let mut ok = span("b1b2b3b4b5b6b7b8");
        ok.status_code = 0;
        ok.events[0].name = "retry".into();
        let spans = [span("a1a2a3a4a5a6a7a8"), ok];
        let refs: Vec<&SpanRecord> = spans.iter().collect();
        let mut stored = Vec::new();
        let digests = ResourceDigests::of(&refs).unwrap();
        pack_chunk(&refs, &digests, &mut Vec::new(), &mut stored).unwrap();
        let read = chunk_spans(&stored, SpanDetail::Outline).unwrap();
        assert_eq!(read.len(), 2);
        for ((got, resource), whole) in read.into_iter().zip(&spans) {
            assert!(matches!(resource, ResourceRef::Unread));
            assert_eq!(got.is_error(), whole.is_error());
            assert_eq!(got.attr_str("server.address"), Some("db.internal"));
            assert_eq!(got.attributes.len(), 1, "{:?}", got.attributes);
            assert_eq!(got.events.len(), 1);
            assert_eq!(got.events[0].name, whole.events[0].name);
            assert_eq!(got.events[0].time_ns, whole.events[0].time_ns);
            assert!(got.events[0].attributes.is_empty());
            let fields = |s: &SpanRecord| {
                (
                    s.span_id.clone(),
                    s.parent_span_id.clone(),
                    s.service.clone(),
                    s.name.clone(),
                    s.kind.clone(),
                    (s.start_ns, s.end_ns, s.status_code),
                    s.status_message.clone(),
                )
            };
            assert_eq!(fields(&got), fields(whole));
        }
    }

    #[test]
    fn a_chunk_stored_as_json_before_chunks_were_packed_still_reads() {
        let json = br#"[["a1a2a3a4a5a6a7a8",null,"orders","GET /","server",1,2,0,"",{"k":"v"},[],"d1"],
                        ["b1b2b3b4b5b6b7b8",null,"orders","GET /","server",1,2,0,"",{},[],{"host.name":"x"}]]"#;
        let read = chunk_spans(json, SpanDetail::Full).unwrap();
        assert_eq!(read[0].0.attributes["k"], "v");
        assert!(matches!(&read[0].1, ResourceRef::Digest(d) if d == "d1"));
        assert!(matches!(&read[1].1, ResourceRef::Inline(r) if r["host.name"] == "x"));
    }

    #[test]
    fn a_damaged_chunk_is_an_error_not_a_huge_allocation() {
        let mut stored = vec![PACKED_CHUNK];
        stored.extend_from_slice(&u32::MAX.to_le_bytes());
        stored.extend_from_slice(b"garbage");
        assert!(chunk_spans(&stored, SpanDetail::Full)
            .unwrap_err()
            .contains("stated length"));
        // Under the cap, but more than a block this short can hold.
        let mut stored = vec![PACKED_CHUNK];
        stored.extend_from_slice(&(1u32 << 29).to_le_bytes());
        stored.extend_from_slice(b"garbage");
        assert!(chunk_spans(&stored, SpanDetail::Full)
            .unwrap_err()
            .contains("stated length"));
        assert!(chunk_spans(&[PACKED_CHUNK, 1], SpanDetail::Full).is_err());
        assert!(chunk_spans(&[PACKED_CHUNK, 9, 0, 0, 0, 0xff], SpanDetail::Outline).is_err());
        assert!(chunk_spans(b"{}", SpanDetail::Full).is_err());
        assert!(chunk_spans(b"", SpanDetail::Outline).is_err());
    }
}
