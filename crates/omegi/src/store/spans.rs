//! Writing spans (the write path's one transaction per batch) and reading them back for
//! assembly and trace views.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{Any, FromRow, Transaction};

use super::{decode_json, encode_error, Backend, Result, Store, StoreError};
use crate::model::{Millis, SpanRecord};

/// Rows per INSERT statement. Small on purpose: binding through sqlx's Any driver costs
/// more than linearly in the number of parameters of one statement (measured: 250 rows of
/// 15 columns ran at 12k spans/s, 8 rows at 63k; see docs/benchmarks.md).
const ROWS_PER_STATEMENT: usize = 8;

const SPAN_COLUMNS: &str = "project_id, trace_id, span_id, parent_span_id, service, name, kind, \
     start_ns, end_ns, status_code, status_message, attributes, events, resource, received_at";
const SPAN_COLUMN_COUNT: usize = 15;
/// Indices in `SPAN_COLUMNS` of the JSON columns: attributes, events, resource.
const SPAN_JSON_COLUMNS: [usize; 3] = [11, 12, 13];

/// `SPAN_COLUMNS` as a select list, JSON columns read back as text.
fn span_select(backend: Backend) -> String {
    SPAN_COLUMNS
        .split(", ")
        .map(|c| match c.trim() {
            c @ ("attributes" | "events" | "resource") => backend.json_column(c),
            c => c.to_string(),
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

/// `($1, …, $n), ($n+1, …)` for `rows` rows of `columns` parameters.
#[cfg(test)]
fn placeholders(rows: usize, columns: usize) -> String {
    placeholders_with(rows, columns, |_, p| p)
}

/// The same, each placeholder passed through `wrap(column index, placeholder)`.
fn placeholders_with(
    rows: usize,
    columns: usize,
    wrap: impl Fn(usize, String) -> String,
) -> String {
    let mut sql = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..columns {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&wrap(c, format!("${}", r * columns + c + 1)));
        }
        sql.push(')');
    }
    sql
}

impl Store {
    /// Stores spans in one transaction: the spans (a span already stored is kept as it was),
    /// the services they name, and the pending state of their traces. When this returns Ok
    /// the spans are durable.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn insert_spans(&self, spans: &[&SpanRecord], now: Millis) -> Result<()> {
        let mut tx = self.write().await?;
        // The statement for a full chunk is built once a batch; only a last, shorter chunk
        // needs its own.
        let full = insert_span_sql(self.backend, ROWS_PER_STATEMENT);
        for chunk in spans.chunks(ROWS_PER_STATEMENT) {
            let sql = match chunk.len() {
                ROWS_PER_STATEMENT => std::borrow::Cow::Borrowed(full.as_str()),
                n => std::borrow::Cow::Owned(insert_span_sql(self.backend, n)),
            };
            insert_span_rows(&mut tx, &sql, chunk, now).await?;
        }
        let services: BTreeSet<(i64, &str)> = spans
            .iter()
            .map(|s| (s.project_id, s.service.as_str()))
            .collect();
        for (project, service) in services {
            sqlx::query(
                "INSERT INTO services (project_id, name, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (project_id, name) DO NOTHING",
            )
            .bind(project)
            .bind(service)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let mut traces: BTreeMap<(i64, &str), bool> = BTreeMap::new();
        for s in spans {
            *traces.entry((s.project_id, &s.trace_id)).or_default() |= s.is_root();
        }
        let traces: Vec<_> = traces.into_iter().collect();
        for chunk in traces.chunks(ROWS_PER_STATEMENT) {
            mark_pending(&mut tx, chunk, now).await?;
        }
        tx.commit().await?;
        Ok(())
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
            "SELECT {} FROM spans WHERE project_id = $1 AND trace_id = $2 \
             ORDER BY start_ns, span_id LIMIT $3",
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

/// `INSERT INTO spans` of `rows` rows (a span already stored is kept as it was).
fn insert_span_sql(backend: Backend, rows: usize) -> String {
    let values = placeholders_with(rows, SPAN_COLUMN_COUNT, |c, p| {
        if SPAN_JSON_COLUMNS.contains(&c) {
            backend.json_param(&p)
        } else {
            p
        }
    });
    format!(
        "INSERT INTO spans ({SPAN_COLUMNS}) VALUES {values} \
         ON CONFLICT (project_id, trace_id, span_id) DO NOTHING"
    )
}

/// Binds `spans` to `sql`, made by [`insert_span_sql`] for as many rows.
async fn insert_span_rows(
    tx: &mut Transaction<'_, Any>,
    sql: &str,
    spans: &[&SpanRecord],
    now: Millis,
) -> Result<()> {
    // Spans of one export share their resource: serialise it once per run of equal ones.
    let mut resource: Option<(&std::sync::Arc<_>, String)> = None;
    let mut q = sqlx::query(sql);
    for s in spans {
        let json = match &resource {
            Some((r, json)) if std::sync::Arc::ptr_eq(r, &s.resource) => json.clone(),
            _ => {
                let json = serde_json::to_string(&*s.resource).map_err(encode_error)?;
                resource = Some((&s.resource, json.clone()));
                json
            }
        };
        q = q
            .bind(s.project_id)
            .bind(&s.trace_id)
            .bind(&s.span_id)
            .bind(&s.parent_span_id)
            .bind(&s.service)
            .bind(&s.name)
            .bind(&s.kind)
            .bind(s.start_ns)
            .bind(s.end_ns)
            .bind(s.status_code)
            .bind(&s.status_message)
            .bind(serde_json::to_string(&s.attributes).map_err(encode_error)?)
            .bind(serde_json::to_string(&s.events).map_err(encode_error)?)
            .bind(json)
            .bind(now);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

/// Records that traces got spans: each becomes (or stays) pending. A trace that was already
/// assembled is re-opened, and its wait starts again. One statement for the chunk; the keys
/// are distinct, as a multi-row upsert requires.
async fn mark_pending(
    tx: &mut Transaction<'_, Any>,
    traces: &[((i64, &str), bool)],
    now: Millis,
) -> Result<()> {
    let rows: Vec<String> = (0..traces.len())
        .map(|r| {
            let b = r * 4;
            format!(
                "(${}, ${}, ${}, ${3}, ${3}, ${3}, 1)",
                b + 1,
                b + 2,
                b + 3,
                b + 4
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO traces (project_id, trace_id, has_root, first_received_at, \
                             last_received_at, pending_since, version) VALUES {} \
         ON CONFLICT (project_id, trace_id) DO UPDATE SET \
           last_received_at = excluded.last_received_at, \
           pending_since = CASE WHEN traces.version = traces.assembled_version \
                           THEN excluded.pending_since ELSE traces.pending_since END, \
           has_root = CASE WHEN excluded.has_root = 1 THEN 1 ELSE traces.has_root END, \
           version = traces.version + 1",
        rows.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for ((project, trace), has_root) in traces {
        q = q
            .bind(*project)
            .bind(*trace)
            .bind(i64::from(*has_root))
            .bind(now);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_number_rows_then_columns() {
        assert_eq!(super::placeholders(2, 2), "($1, $2), ($3, $4)");
    }
}
