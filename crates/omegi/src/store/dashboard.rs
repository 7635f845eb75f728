//! Aggregates for the dashboard: the service map and error statistics over a time range.

use std::collections::BTreeMap;

use sqlx::FromRow;

use super::params::Params;
use super::{decode_json, Result, Store};
use crate::model::Millis;

/// Raw material of the service map, aggregated per node and edge.
pub struct MapData {
    /// Service name -> kind, for registered services.
    pub services: BTreeMap<String, Option<String>>,
    /// Service -> (requests, errors) in the range.
    pub traffic: BTreeMap<String, (i64, i64)>,
    /// Services with at least one unresolved error group.
    pub unresolved: Vec<String>,
    /// (caller, callee) -> (calls, errors, call durations in µs).
    pub edges: BTreeMap<(String, String), (i64, i64, Vec<i64>)>,
}

#[derive(FromRow)]
struct EdgeRow {
    caller: String,
    callee: String,
    calls: i64,
    errors: i64,
    durations_us: String,
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
        let traffic: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT service, CAST(SUM(requests) AS BIGINT), CAST(SUM(errors) AS BIGINT) \
             FROM trace_services WHERE project_id = $1 AND bucket >= $2 AND bucket <= $3 \
             GROUP BY service",
        )
        .bind(project)
        .bind(since)
        .bind(until)
        .fetch_all(&self.pool)
        .await?;
        let unresolved: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT service FROM errors WHERE project_id = $1 AND status = 'unresolved'",
        )
        .bind(project)
        .fetch_all(&self.pool)
        .await?;
        let sql = format!(
            "SELECT caller, callee, calls, errors, {} FROM trace_edges \
             WHERE project_id = $1 AND bucket >= $2 AND bucket <= $3",
            self.backend.json_column("durations_us")
        );
        let rows: Vec<EdgeRow> = sqlx::query_as(&sql)
            .bind(project)
            .bind(since)
            .bind(until)
            .fetch_all(&self.pool)
            .await?;
        let mut edges: BTreeMap<(String, String), (i64, i64, Vec<i64>)> = BTreeMap::new();
        for r in rows {
            let e = edges.entry((r.caller, r.callee)).or_default();
            e.0 += r.calls;
            e.1 += r.errors;
            let durations: Vec<i64> = decode_json(&r.durations_us, "service-map edge durations")?;
            e.2.extend(durations);
        }
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
