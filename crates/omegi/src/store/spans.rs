//! Writing spans (the write path's one transaction per batch) and reading them back for
//! assembly and trace views.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use sqlx::{Any, FromRow, Transaction};

use super::{decode_json, encode_error, Backend, Result, Store, StoreError};
use crate::model::{Millis, SpanEvent, SpanRecord};

/// The columns a span is written with; `resource` itself is written empty, the resource's
/// attributes go to the `resources` table once and the span names them by digest.
const SPAN_COLUMNS: &str = "project_id, trace_id, span_id, parent_span_id, service, name, kind, \
     start_ns, end_ns, status_code, status_message, attributes, events, resource_digest, \
     received_at";
const SPAN_COLUMN_COUNT: usize = 15;
/// Indices in `SPAN_COLUMNS` of the JSON columns: attributes, events.
const SPAN_JSON_COLUMNS: [usize; 2] = [11, 12];
/// Indices of the integer columns.
const SPAN_INT_COLUMNS: [usize; 5] = [0, 7, 8, 9, 14];
/// The columns a span is read with, from `spans s` [`RESOURCE_JOIN`].
const SPAN_READ: [&str; 14] = [
    "s.project_id",
    "s.trace_id",
    "s.span_id",
    "s.parent_span_id",
    "s.service",
    "s.name",
    "s.kind",
    "s.start_ns",
    "s.end_ns",
    "s.status_code",
    "s.status_message",
    "s.attributes",
    "s.events",
    // Spans written before resources had their table carry their own.
    "COALESCE(r.attributes, s.resource)",
];
/// Joined to `spans s`: the span's resource.
const RESOURCE_JOIN: &str =
    "LEFT JOIN resources r ON r.project_id = s.project_id AND r.digest = s.resource_digest";

/// [`SPAN_READ`] as a select list of [`SpanRow`], JSON columns read back as text.
fn span_select(backend: Backend) -> String {
    let text = |expr: &str, name: &str| match backend {
        Backend::Sqlite => format!("{expr} AS {name}"),
        Backend::Postgres => format!("CAST({expr} AS text) AS {name}"),
    };
    SPAN_READ
        .iter()
        .enumerate()
        .map(|(i, c)| match i {
            11 => text(c, "attributes"),
            12 => text(c, "events"),
            13 => text(c, "resource"),
            _ => c.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(FromRow)]
struct SpanRow {
    project_id: i64,
    trace_id: String,
    span_id: String,
    parent_span_id: Option<String>,
    service: String,
    name: String,
    kind: String,
    start_ns: i64,
    end_ns: i64,
    status_code: i64,
    status_message: String,
    attributes: String,
    events: String,
    resource: String,
}

/// A span as [`Store::traces_spans`] reads it: the `SPAN_COLUMNS` but `received_at`, then
/// how many spans its trace has stored and which of the asked traces it belongs to.
#[derive(serde::Deserialize)]
struct LoadedSpan<'a>(
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    String,
    Map<String, Value>,
    Vec<SpanEvent>,
    #[serde(borrow)] &'a RawValue,
    i64,
    i64,
);

/// Resources parsed once a batch: the spans of one service share one (same text).
#[derive(Default)]
struct Resources(HashMap<String, Arc<Map<String, Value>>>);

impl LoadedSpan<'_> {
    fn into_record(self, resources: &mut Resources) -> Result<SpanRecord> {
        let text = self.13.get();
        let resource = match resources.0.get(text) {
            Some(r) => r.clone(),
            None => {
                let what = format!("span {}/{} resource", self.1, self.2);
                let r: Arc<Map<String, Value>> = Arc::new(decode_json(text, what)?);
                resources.0.insert(text.to_string(), r.clone());
                r
            }
        };
        Ok(SpanRecord {
            project_id: self.0,
            trace_id: self.1,
            span_id: self.2,
            parent_span_id: self.3,
            service: self.4,
            name: self.5,
            kind: self.6,
            start_ns: self.7,
            end_ns: self.8,
            status_code: self.9,
            status_message: self.10,
            attributes: self.11,
            events: self.12,
            resource,
        })
    }
}

impl TryFrom<SpanRow> for SpanRecord {
    type Error = StoreError;

    fn try_from(r: SpanRow) -> Result<SpanRecord> {
        let what = |column: &str| format!("span {}/{} {column}", r.trace_id, r.span_id);
        let attributes = decode_json(&r.attributes, what("attributes"))?;
        let events = decode_json(&r.events, what("events"))?;
        let resource = std::sync::Arc::new(decode_json(&r.resource, what("resource"))?);
        Ok(SpanRecord {
            project_id: r.project_id,
            trace_id: r.trace_id,
            span_id: r.span_id,
            parent_span_id: r.parent_span_id,
            service: r.service,
            name: r.name,
            kind: r.kind,
            start_ns: r.start_ns,
            end_ns: r.end_ns,
            status_code: r.status_code,
            status_message: r.status_message,
            attributes,
            events,
            resource,
        })
    }
}

impl Store {
    /// Stores spans in one transaction: the spans (a span already stored is kept as it was),
    /// the services they name, and the pending state of their traces. When this returns Ok
    /// the spans are durable. Each table gets one statement, the rows bound as one JSON
    /// document ([`Backend::json_rows`]).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn insert_spans(&self, spans: &[&SpanRecord], now: Millis) -> Result<()> {
        let digests = ResourceDigests::of(spans)?;
        let resources = digests.rows(spans)?;
        let rows = serde_json::to_string(&SpanRows(spans, &digests, now)).map_err(encode_error)?;
        let services: BTreeSet<(i64, &str)> = spans
            .iter()
            .map(|s| (s.project_id, s.service.as_str()))
            .collect();
        let services = serde_json::to_string(&services).map_err(encode_error)?;
        let mut traces: BTreeMap<(i64, &str), bool> = BTreeMap::new();
        for s in spans {
            *traces.entry((s.project_id, &s.trace_id)).or_default() |= s.is_root();
        }
        let traces: Vec<(i64, &str, i64)> = traces
            .into_iter()
            .map(|((project, trace), root)| (project, trace, i64::from(root)))
            .collect();
        let traces = serde_json::to_string(&traces).map_err(encode_error)?;

        let mut tx = self.write().await?;
        sqlx::query(&format!(
            "{}INSERT INTO resources (project_id, digest, attributes, last_used_at) \
             SELECT CAST(value ->> 0 AS BIGINT), value ->> 1, {}, $2 FROM batch WHERE true \
             ON CONFLICT (project_id, digest) DO UPDATE SET last_used_at = excluded.last_used_at",
            self.backend.json_rows("$1"),
            self.backend.json_cell(2)
        ))
        .bind(resources)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        sqlx::query(&insert_spans_sql(self.backend))
            .bind(rows)
            .execute(&mut **tx)
            .await?;
        sqlx::query(&format!(
            "{}INSERT INTO services (project_id, name, created_at) \
             SELECT CAST(value ->> 0 AS BIGINT), value ->> 1, $2 FROM batch WHERE true \
             ON CONFLICT (project_id, name) DO NOTHING",
            self.backend.json_rows("$1")
        ))
        .bind(services)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        mark_pending(&mut tx, self.backend, traces, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The spans of several traces in one query, each as [`Store::trace_spans`] gives it:
    /// at most `limit` (the earliest) and how many are stored. At most `budget` spans (at
    /// least `limit`) are read, so the answer covers a prefix of `traces`, never less than
    /// the first one: the caller asks again for the rest. The database returns the spans as
    /// one JSON document: row by row, sqlx's per-row conversions cost more than the query
    /// (measured in docs/benchmarks.md).
    #[tracing::instrument(level = "debug", skip_all, fields(traces = traces.len()))]
    pub async fn traces_spans(
        &self,
        traces: &[(i64, &str)],
        limit: usize,
        budget: usize,
    ) -> Result<Vec<(Vec<SpanRecord>, usize)>> {
        let budget = budget.max(limit);
        let keys: Vec<(i64, &str, usize)> = traces
            .iter()
            .enumerate()
            .map(|(i, (p, t))| (*p, *t, i))
            .collect();
        let columns: Vec<String> = SPAN_READ
            .iter()
            .enumerate()
            .map(|(i, c)| match i {
                11..=13 => self.backend.json_value(c),
                _ => c.to_string(),
            })
            .chain(["stored".to_string(), "k".to_string()])
            .collect();
        let sql = format!(
            "{with}SELECT {} FROM ( \
               SELECT id, k, n, stored FROM ( \
                 SELECT s.id, CAST(value ->> 2 AS BIGINT) AS k, \
                   ROW_NUMBER() OVER (PARTITION BY s.project_id, s.trace_id \
                                      ORDER BY s.start_ns, s.span_id) AS n, \
                   COUNT(*) OVER (PARTITION BY s.project_id, s.trace_id) AS stored \
                 FROM batch JOIN spans s ON s.project_id = CAST(value ->> 0 AS BIGINT) \
                  AND s.trace_id = value ->> 1) AS w \
               WHERE n <= $2 ORDER BY k, n LIMIT $3) AS x \
             JOIN spans s ON s.id = x.id {RESOURCE_JOIN}",
            self.backend.json_array_agg(&columns, "k, n"),
            with = self.backend.json_rows("$1")
        );
        let (document,): (Option<String>,) = sqlx::query_as(&sql)
            .bind(serde_json::to_string(&keys).map_err(encode_error)?)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .bind(i64::try_from(budget).unwrap_or(i64::MAX))
            .fetch_one(&self.pool)
            .await?;
        let rows: Vec<LoadedSpan> = match &document {
            Some(d) => serde_json::from_str(d).map_err(|e| {
                StoreError::Corrupt(format!("spans of traces being assembled: {e}"))
            })?,
            None => Vec::new(),
        };
        let cut = rows.len() >= budget;
        let mut resources = Resources::default();
        let mut out: Vec<(Vec<SpanRecord>, usize)> = Vec::new();
        for row in rows {
            let k = usize::try_from(row.15).unwrap_or(usize::MAX);
            // Traces before this one that have no spans (expired meanwhile).
            while out.len() < k {
                out.push((Vec::new(), 0));
            }
            if out.len() == k {
                out.push((Vec::new(), usize::try_from(row.14).unwrap_or(0)));
            }
            let span = row.into_record(&mut resources)?;
            if let Some(last) = out.last_mut() {
                last.0.push(span);
            }
        }
        match out.last() {
            // The last trace may have been cut short: it is read again next time.
            Some((spans, stored)) if cut && out.len() > 1 && spans.len() < limit.min(*stored) => {
                out.pop();
            }
            _ if !cut => out.resize_with(traces.len(), Default::default),
            _ => {}
        }
        Ok(out)
    }

    /// The spans of a trace, at most `limit` of them (the earliest), and how many are stored.
    /// Bounded so that one enormous trace costs its readers no more than `limit` spans.
    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project, trace = ?trace))]
    pub async fn trace_spans(
        &self,
        project: i64,
        trace: &str,
        limit: usize,
    ) -> Result<(Vec<SpanRecord>, usize)> {
        let sql = format!(
            "SELECT {} FROM spans s {RESOURCE_JOIN} WHERE s.project_id = $1 AND s.trace_id = $2 \
             ORDER BY s.start_ns, s.span_id LIMIT $3",
            span_select(self.backend)
        );
        let rows: Vec<SpanRow> = sqlx::query_as(&sql)
            .bind(project)
            .bind(trace)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        let stored = if rows.len() < limit {
            rows.len()
        } else {
            let (n,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM spans WHERE project_id = $1 AND trace_id = $2",
            )
            .bind(project)
            .bind(trace)
            .fetch_one(&self.pool)
            .await?;
            usize::try_from(n).unwrap_or(usize::MAX)
        };
        let spans = rows
            .into_iter()
            .map(SpanRecord::try_from)
            .collect::<Result<_>>()?;
        Ok((spans, stored))
    }
}

/// `INSERT INTO spans` of the rows of [`SpanRows`] bound at `$1` (a span already stored is
/// kept as it was).
fn insert_spans_sql(backend: Backend) -> String {
    let values: Vec<String> = (0..SPAN_COLUMN_COUNT)
        .map(|c| match c {
            c if SPAN_JSON_COLUMNS.contains(&c) => backend.json_cell(c),
            c if SPAN_INT_COLUMNS.contains(&c) => format!("CAST(value ->> {c} AS BIGINT)"),
            c => format!("value ->> {c}"),
        })
        .collect();
    let empty = match backend {
        Backend::Sqlite => "'{}'",
        Backend::Postgres => "CAST('{}' AS jsonb)",
    };
    format!(
        "{}INSERT INTO spans ({SPAN_COLUMNS}, resource) SELECT {}, {empty} FROM batch \
         WHERE true ON CONFLICT (project_id, trace_id, span_id) DO NOTHING",
        backend.json_rows("$1"),
        values.join(", ")
    )
}

/// Spans as the JSON rows of [`insert_spans_sql`]: one array a span, in `SPAN_COLUMNS`
/// order, attributes and events as JSON values (not strings), so nothing is escaped twice.
struct SpanRows<'a>(&'a [&'a SpanRecord], &'a ResourceDigests, Millis);

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

    /// `[project, digest, attributes]` rows, one a distinct resource of a project.
    fn rows(&self, spans: &[&SpanRecord]) -> Result<String> {
        let mut rows: BTreeMap<(i64, &str), &RawValue> = BTreeMap::new();
        for s in spans {
            let Some((digest, json)) = self.0.get(&(Arc::as_ptr(&s.resource) as usize)) else {
                continue;
            };
            // Parsed once a resource, not once a span.
            if let std::collections::btree_map::Entry::Vacant(row) =
                rows.entry((s.project_id, digest))
            {
                row.insert(serde_json::from_str(json).map_err(encode_error)?);
            }
        }
        let rows: Vec<(i64, &str, &RawValue)> =
            rows.into_iter().map(|((p, d), r)| (p, d, r)).collect();
        serde_json::to_string(&rows).map_err(encode_error)
    }
}

impl serde::Serialize for SpanRows<'_> {
    fn serialize<S: serde::Serializer>(&self, out: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = out.serialize_seq(Some(self.0.len()))?;
        for s in self.0 {
            seq.serialize_element(&(
                s.project_id,
                &s.trace_id,
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
                self.2,
            ))?;
        }
        seq.end()
    }
}

/// Records that traces got spans: each becomes (or stays) pending. A trace that was already
/// assembled is re-opened, and its wait starts again. `traces` is a JSON array of
/// `[project, trace, has root]`; the keys are distinct, as a multi-row upsert requires.
async fn mark_pending(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    traces: String,
    now: Millis,
) -> Result<()> {
    let sql = format!(
        "{}INSERT INTO traces (project_id, trace_id, has_root, first_received_at, \
                             last_received_at, pending_since, version) \
         SELECT CAST(value ->> 0 AS BIGINT), value ->> 1, CAST(value ->> 2 AS BIGINT), $2, $2, $2, 1 \
         FROM batch WHERE true \
         ON CONFLICT (project_id, trace_id) DO UPDATE SET \
           last_received_at = excluded.last_received_at, \
           pending_since = CASE WHEN traces.version = traces.assembled_version \
                           THEN excluded.pending_since ELSE traces.pending_since END, \
           has_root = CASE WHEN excluded.has_root = 1 THEN 1 ELSE traces.has_root END, \
           version = traces.version + 1",
        backend.json_rows("$1")
    );
    sqlx::query(&sql)
        .bind(traces)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
