//! Aggregates for the dashboard: the service map and error statistics over a time range.

use std::collections::BTreeMap;

use sqlx::FromRow;

use super::params::Params;
use super::{Result, Store};
use crate::model::{rfc3339, Latencies, Millis, TraceSummary};

/// Raw material of the service map, aggregated per node and edge.
pub struct MapData {
    /// Service name -> kind, for registered services.
    pub services: BTreeMap<String, Option<String>>,
    /// Service -> (requests, errors) in the range.
    pub traffic: BTreeMap<String, (i64, i64)>,
    /// Services where an unresolved error began: its own service, or the service it was
    /// passed up from.
    pub unresolved: Vec<String>,
    /// (caller, callee) -> (calls, errors, their durations).
    pub edges: BTreeMap<(String, String), (i64, i64, Latencies)>,
}

#[derive(FromRow)]
struct CallsRow {
    caller: String,
    callee: String,
    duration_us: i64,
    calls: i64,
    errors: i64,
}

/// Counts for the error statistics.
pub struct StatsData {
    /// (bucket index, occurrences).
    pub timeline: Vec<(i64, i64)>,
    pub by_service: Vec<(String, i64)>,
    pub by_type: Vec<(String, i64)>,
    /// status -> error groups.
    pub by_status: Vec<(String, i64)>,
}

impl Store {
    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project))]
    pub async fn service_map(&self, project: i64, since: Millis, until: Millis) -> Result<MapData> {
        let services: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT name, kind FROM services WHERE project_id = $1")
                .bind(project)
                .fetch_all(&self.pool)
                .await?;
        // (Sums a re-assembled trace took everything away from are left out.)
        let traffic: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT service, CAST(SUM(requests) AS BIGINT), CAST(SUM(errors) AS BIGINT) \
             FROM map_services WHERE project_id = $1 AND bucket >= $2 AND bucket <= $3 \
             GROUP BY service HAVING SUM(spans) > 0",
        )
        .bind(project)
        .bind(since)
        .bind(until)
        .fetch_all(&self.pool)
        .await?;
        let unresolved: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT COALESCE(passed_from, service) FROM errors \
             WHERE project_id = $1 AND status = 'unresolved'",
        )
        .bind(project)
        .fetch_all(&self.pool)
        .await?;
        let rows: Vec<CallsRow> = sqlx::query_as(
            "SELECT caller, callee, duration_us, CAST(SUM(calls) AS BIGINT) AS calls, \
                    CAST(SUM(errors) AS BIGINT) AS errors FROM map_calls \
             WHERE project_id = $1 AND bucket >= $2 AND bucket <= $3 \
             GROUP BY caller, callee, duration_us",
        )
        .bind(project)
        .bind(since)
        .bind(until)
        .fetch_all(&self.pool)
        .await?;
        let mut edges: BTreeMap<(String, String), (i64, i64, Latencies)> = BTreeMap::new();
        for r in rows {
            let e = edges.entry((r.caller, r.callee)).or_default();
            e.0 += r.calls;
            e.1 += r.errors;
            e.2.add(r.duration_us, r.calls);
        }
        edges.retain(|_, e| e.0 > 0 || e.1 > 0);
        Ok(MapData {
            services: services.into_iter().collect(),
            traffic: traffic.into_iter().map(|(s, r, e)| (s, (r, e))).collect(),
            unresolved,
            edges,
        })
    }

    /// Statistics over the projects of `user` (or one of them), with occurrences counted in
    /// `bucket_ms` buckets from `since`.
    #[tracing::instrument(level = "debug", skip_all, fields(user = ?user, project = ?project))]
    pub async fn stats(
        &self,
        user: i64,
        project: Option<i64>,
        since: Millis,
        until: Millis,
        bucket_ms: i64,
    ) -> Result<StatsData> {
        let scope = |p: &mut Params, table: &str| {
            let mut sql = format!(
                " JOIN project_members m ON m.project_id = {table}.project_id AND m.user_id = {}",
                p.int(user)
            );
            if let Some(project) = project {
                sql.push_str(&format!(" AND {table}.project_id = {}", p.int(project)));
            }
            sql
        };
        let mut p = Params::default();
        let join = scope(&mut p, "o");
        let (s, u, b) = (p.int(since), p.int(until), p.int(bucket_ms));
        let sql = format!(
            "SELECT (o.occurred_at - {s}) / {b} AS bucket, COUNT(*) FROM occurrences o{join} \
             WHERE o.occurred_at >= {s} AND o.occurred_at <= {u} GROUP BY bucket ORDER BY bucket"
        );
        let timeline = sqlx::query_as_with(&sql, p.into_args())
            .fetch_all(&self.pool)
            .await?;
        let mut grouped = Vec::new();
        for column in ["service", "exception_type"] {
            let mut p = Params::default();
            let join = scope(&mut p, "o");
            let (s, u) = (p.int(since), p.int(until));
            let sql = format!(
                "SELECT e.{column}, COUNT(*) AS n FROM occurrences o JOIN errors e ON e.id = o.error_id{join} \
                 WHERE o.occurred_at >= {s} AND o.occurred_at <= {u} \
                 GROUP BY e.{column} ORDER BY n DESC, e.{column} LIMIT 20"
            );
            grouped.push(
                sqlx::query_as_with(&sql, p.into_args())
                    .fetch_all(&self.pool)
                    .await?,
            );
        }
        let mut p = Params::default();
        let join = scope(&mut p, "e");
        let sql = format!("SELECT e.status, COUNT(*) FROM errors e{join} GROUP BY e.status");
        let by_status = sqlx::query_as_with(&sql, p.into_args())
            .fetch_all(&self.pool)
            .await?;
        let by_type = grouped.pop().unwrap_or_default();
        let by_service = grouped.pop().unwrap_or_default();
        Ok(StatsData {
            timeline,
            by_service,
            by_type,
            by_status,
        })
    }
}

/// Which stored traces a list shows.
#[derive(Default)]
pub struct TraceFilter {
    pub project: i64,
    pub since_ms: Millis,
    pub until_ms: Millis,
    /// Traces with a call from `caller`, to `callee`, or between the two.
    pub caller: Option<String>,
    pub callee: Option<String>,
    /// Traces `service` took part in.
    pub service: Option<String>,
    /// Only traces where that call (or that service, or anything) failed.
    pub failing: bool,
    pub limit: i64,
}

#[derive(FromRow)]
struct TraceRow {
    trace_id: String,
    root_service: Option<String>,
    root_name: Option<String>,
    start_ns: Option<i64>,
    end_ns: Option<i64>,
    span_count: i64,
    error_count: i64,
}

impl Store {
    /// Assembled traces matching `f`, newest first.
    #[tracing::instrument(level = "debug", skip_all, fields(project = f.project))]
    pub async fn traces(&self, f: &TraceFilter) -> Result<Vec<TraceSummary>> {
        let mut p = Params::default();
        let mut sql = format!(
            "SELECT t.trace_id, t.root_service, t.root_name, t.start_ns, t.end_ns, t.span_count, \
                    t.error_count FROM traces t \
             WHERE t.project_id = {} AND t.assembled_version > 0 \
               AND t.start_ns >= {} AND t.start_ns <= {}",
            p.int(f.project),
            p.int(f.since_ms.saturating_mul(1_000_000)),
            p.int(f.until_ms.saturating_mul(1_000_000)),
        );
        // The trace's part of the service map names its calls and services (see
        // `store::assembly`): [caller, callee, calls, errors, ...], [service, spans,
        // requests, errors].
        let failing = if f.failing {
            " AND CAST(x.value ->> 3 AS BIGINT) > 0"
        } else {
            ""
        };
        if f.caller.is_some() || f.callee.is_some() {
            sql += &format!(
                " AND EXISTS (SELECT 1 FROM {} WHERE true",
                self.backend.json_elements("t.map_part", "e", "x")
            );
            for (cell, value) in [(0, &f.caller), (1, &f.callee)] {
                if let Some(v) = value {
                    sql += &format!(" AND x.value ->> {cell} = {}", p.text(v.as_str()));
                }
            }
            sql += failing;
            sql += ")";
        } else if let Some(service) = &f.service {
            sql += &format!(
                " AND EXISTS (SELECT 1 FROM {} WHERE x.value ->> 0 = {}{failing})",
                self.backend.json_elements("t.map_part", "s", "x"),
                p.text(service.as_str())
            );
        } else if f.failing {
            sql += " AND t.error_count > 0";
        }
        sql += &format!(" ORDER BY t.start_ns DESC LIMIT {}", p.int(f.limit));
        let rows: Vec<TraceRow> = sqlx::query_as_with(&sql, p.into_args())
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let start = r.start_ns.unwrap_or(0);
                TraceSummary {
                    trace_id: r.trace_id,
                    root_service: r.root_service,
                    root_name: r.root_name,
                    started_at: rfc3339(start / 1_000_000),
                    duration_us: (r.end_ns.unwrap_or(start) - start).max(0) / 1000,
                    span_count: r.span_count,
                    error_count: r.error_count,
                }
            })
            .collect())
    }
}

/// One error's occurrences over a range: per bucket, per environment, per release.
pub struct ErrorStatsData {
    pub timeline: Vec<(i64, i64)>,
    /// (environment or `None` when the service sent none, occurrences), most first.
    pub environments: Vec<(Option<String>, i64)>,
    pub releases: Vec<(Option<String>, i64)>,
}

impl Store {
    /// Occurrences of `error` from `since` to `until`, counted in `bucket_ms` buckets and by
    /// environment and release.
    #[tracing::instrument(level = "debug", skip_all, fields(error = ?error))]
    pub async fn error_stats(
        &self,
        error: i64,
        since: Millis,
        until: Millis,
        bucket_ms: i64,
    ) -> Result<ErrorStatsData> {
        let timeline = sqlx::query_as(
            "SELECT (occurred_at - $2) / $4 AS bucket, COUNT(*) FROM occurrences \
             WHERE error_id = $1 AND occurred_at >= $2 AND occurred_at <= $3 \
             GROUP BY bucket ORDER BY bucket",
        )
        .bind(error)
        .bind(since)
        .bind(until)
        .bind(bucket_ms)
        .fetch_all(&self.pool)
        .await?;
        let mut facets = Vec::new();
        for column in ["environment", "release"] {
            facets.push(
                sqlx::query_as(&format!(
                    "SELECT {column}, COUNT(*) AS n FROM occurrences \
                     WHERE error_id = $1 AND occurred_at >= $2 AND occurred_at <= $3 \
                     GROUP BY {column} ORDER BY n DESC, {column} IS NULL, {column} LIMIT 20"
                ))
                .bind(error)
                .bind(since)
                .bind(until)
                .fetch_all(&self.pool)
                .await?,
            );
        }
        let releases = facets.pop().unwrap_or_default();
        let environments = facets.pop().unwrap_or_default();
        Ok(ErrorStatsData {
            timeline,
            environments,
            releases,
        })
    }
}
