//! Alert channels, rules and delivery history of a project. Members see them; owners change
//! them, send test alerts, and are the only ones who see a channel's whole URL. A generic
//! webhook's signing secret is in the creation answer only.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access;
use super::error::{ApiError, ErrorBody, OrNotFound};
use super::extract::{page_limit, parse_time, ApiJson, ApiPath, ApiQuery, CurrentUser};
use super::AppState;
use crate::alerts::channel_view;
use crate::auth::secret;
use crate::model::{
    now_ms, rfc3339, type_glob, AlertChannel, AlertDelivery, AlertRule, ChannelKind, MemberRole,
    RuleFilter, Trigger, DEFAULT_INTERVAL_MINUTES,
};
use crate::store::{DeliveryRow, NewChannel, RuleInput, RuleRecord};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_channels, create_channel))
        .routes(routes!(delete_channel))
        .routes(routes!(test_channel))
        .routes(routes!(list_rules, create_rule))
        .routes(routes!(update_rule, delete_rule))
        .routes(routes!(deliveries))
        .routes(routes!(error_alerts))
}

/// Longest channel or rule name.
const MAX_NAME: usize = 100;
/// Longest storm-control interval and spike window: a week, in minutes.
const MAX_MINUTES: i64 = 7 * 24 * 60;

fn name(field: &str, raw: &str) -> Result<String, ApiError> {
    let n = raw.trim();
    if n.is_empty() || n.chars().count() > MAX_NAME {
        return Err(ApiError::invalid(
            field,
            format!("must be 1 to {MAX_NAME} characters"),
        ));
    }
    Ok(n.to_string())
}

#[derive(Deserialize, ToSchema)]
struct ChannelInput {
    name: String,
    kind: ChannelKind,
    /// The webhook URL (http or https), or for email 1–20 addresses separated by commas.
    target: String,
}

/// A channel as created: a generic webhook's signing secret is shown here only.
#[derive(Serialize, ToSchema)]
struct CreatedChannel {
    #[serde(flatten)]
    channel: AlertChannel,
    /// Key of the `X-Omegi-Signature` HMAC-SHA256 (webhooks only); it cannot be shown again.
    secret: Option<String>,
}

/// The project's alert channels (members; the whole URL for owners only).
#[utoipa::path(get, path = "/api/projects/{id}/alert-channels", tag = "alerts",
    params(("id" = i64, Path, description = "Project id")),
    responses((status = 200, body = [AlertChannel]), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn list_channels(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<AlertChannel>>, ApiError> {
    let project = access::member(&state, &user, id).await?;
    let owner = project.role == MemberRole::Owner;
    let rows = state.store.channels(id).await?;
    Ok(Json(
        rows.iter()
            .map(|r| channel_view(r, owner))
            .collect::<Result<_, _>>()?,
    ))
}

/// Adds a channel (owners only). A URL pointing at a loopback or link-local address is
/// refused unless the server allows it (`--alert-allow-local-targets`).
///
/// A generic webhook receives `AlertBody` as JSON (`POST`, `Content-Type: application/json`)
/// with the headers `X-Omegi-Delivery` (the body's `delivery_id`, the same on every retry),
/// `X-Omegi-Event` (`alert`, `digest` or `test`) and `X-Omegi-Signature`:
/// `sha256=` and the hex HMAC-SHA256 of the raw body keyed with the channel's secret. Any
/// 2xx answer acknowledges it; anything else is retried with exponential back-off.
#[utoipa::path(post, path = "/api/projects/{id}/alert-channels", tag = "alerts",
    request_body = ChannelInput,
    params(("id" = i64, Path, description = "Project id")),
    responses(
        (status = 201, body = CreatedChannel),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn create_channel(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ChannelInput>,
) -> Result<(StatusCode, Json<CreatedChannel>), ApiError> {
    access::owner(&state, &user, id).await?;
    let channel_name = name("name", &body.name)?;
    let target = state
        .alerts
        .check_target(body.kind, &body.target)
        .await
        .map_err(|e| ApiError::invalid("target", e))?;
    let secret = (body.kind == ChannelKind::Webhook).then(secret::generate);
    let row = state
        .store
        .create_channel(
            id,
            &NewChannel {
                name: &channel_name,
                kind: body.kind,
                target: &target,
                secret: secret.as_deref(),
            },
            user.id,
            now_ms(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedChannel {
            channel: channel_view(&row, true)?,
            secret,
        }),
    ))
}

/// Deletes a channel (owners only); its waiting alerts are marked failed.
#[utoipa::path(delete, path = "/api/projects/{id}/alert-channels/{cid}", tag = "alerts",
    params(("id" = i64, Path, description = "Project id"), ("cid" = i64, Path, description = "Channel id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn delete_channel(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((id, cid)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    access::owner(&state, &user, id).await?;
    state
        .store
        .delete_channel(id, cid)
        .await
        .or_404(format_args!("channel {cid}"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// How a test alert went.
#[derive(Serialize, ToSchema)]
struct TestResult {
    delivered: bool,
    /// The HTTP status or SMTP reply code, when there was an answer.
    response_code: Option<i64>,
    error: Option<String>,
}

/// Sends a test alert to a channel now (owners only) and records it in the history.
#[utoipa::path(post, path = "/api/projects/{id}/alert-channels/{cid}/test", tag = "alerts",
    params(("id" = i64, Path, description = "Project id"), ("cid" = i64, Path, description = "Channel id")),
    responses(
        (status = 200, body = TestResult),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn test_channel(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((id, cid)): ApiPath<(i64, i64)>,
) -> Result<Json<TestResult>, ApiError> {
    access::owner(&state, &user, id).await?;
    let channel = state
        .store
        .channel(id, cid)
        .await
        .or_404(format_args!("channel {cid}"))?;
    let outcome = state.alerts.send_test(&channel, &user.username).await?;
    Ok(Json(TestResult {
        delivered: outcome.error.is_none(),
        response_code: outcome.code,
        error: outcome.error,
    }))
}

#[derive(Deserialize, ToSchema)]
struct RuleBody {
    name: String,
    trigger: Trigger,
    /// Spike rules: this many occurrences of one error (at least 2)…
    spike_count: Option<i64>,
    /// …within this many minutes (1 to 10080).
    spike_minutes: Option<i64>,
    /// Only errors of this service.
    service: Option<String>,
    /// Only occurrences in this deployment environment.
    environment: Option<String>,
    /// Only exception types matching this glob (`*` any characters, `?` one).
    exception_type: Option<String>,
    /// Only errors seen at least this many times. [default: 1]
    min_count: Option<i64>,
    /// At most one alert per rule and error per this many minutes (1 to 10080). [default: 30]
    interval_minutes: Option<i64>,
    /// Silent until this time (RFC 3339); null to unmute.
    muted_until: Option<String>,
    /// Channels of this project the alerts go to (at least one).
    channel_ids: Vec<i64>,
}

fn minutes(field: &str, value: i64) -> Result<i64, ApiError> {
    if !(1..=MAX_MINUTES).contains(&value) {
        return Err(ApiError::invalid(
            field,
            format!("must be 1 to {MAX_MINUTES} minutes"),
        ));
    }
    Ok(value)
}

/// An optional filter: trimmed, empty as none.
fn filter_text(raw: Option<String>) -> Option<String> {
    raw.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

async fn rule_input(state: &AppState, project: i64, b: RuleBody) -> Result<RuleInput, ApiError> {
    let (spike_count, spike_minutes) = if b.trigger == Trigger::Spike {
        let count = b
            .spike_count
            .ok_or_else(|| ApiError::invalid("spike_count", "required for a spike rule"))?;
        if count < 2 {
            return Err(ApiError::invalid("spike_count", "must be at least 2"));
        }
        let window = b
            .spike_minutes
            .ok_or_else(|| ApiError::invalid("spike_minutes", "required for a spike rule"))?;
        (Some(count), Some(minutes("spike_minutes", window)?))
    } else {
        (None, None)
    };
    let exception_type = filter_text(b.exception_type);
    if let Some(glob) = &exception_type {
        if type_glob(glob).is_none() {
            return Err(ApiError::invalid(
                "exception_type",
                format!("{glob:?} is not a valid glob"),
            ));
        }
    }
    let min_count = b.min_count.unwrap_or(1);
    if min_count < 1 {
        return Err(ApiError::invalid("min_count", "must be at least 1"));
    }
    let muted_until = match b.muted_until.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(t) => Some(parse_time("muted_until", t)?),
    };
    if b.channel_ids.is_empty() {
        return Err(ApiError::invalid(
            "channel_ids",
            "choose at least one channel",
        ));
    }
    let known: Vec<i64> = state
        .store
        .channels(project)
        .await?
        .iter()
        .map(|c| c.id)
        .collect();
    if let Some(unknown) = b.channel_ids.iter().find(|c| !known.contains(c)) {
        return Err(ApiError::invalid(
            "channel_ids",
            format!("{unknown} is not a channel of this project"),
        ));
    }
    Ok(RuleInput {
        name: name("name", &b.name)?,
        trigger: b.trigger,
        spike_count,
        spike_minutes,
        filter: RuleFilter {
            service: filter_text(b.service),
            environment: filter_text(b.environment),
            exception_type,
            min_count,
        },
        interval_minutes: minutes(
            "interval_minutes",
            b.interval_minutes.unwrap_or(DEFAULT_INTERVAL_MINUTES),
        )?,
        muted_until,
        channel_ids: b.channel_ids,
    })
}

fn rule_view(r: RuleRecord) -> AlertRule {
    AlertRule {
        id: r.spec.id,
        project_id: r.spec.project_id,
        name: r.spec.name,
        trigger: r.spec.trigger,
        spike_count: r.spike_count,
        spike_minutes: r.spike_minutes,
        filter: r.spec.filter,
        interval_minutes: r.spec.interval_minutes,
        muted_until: r.spec.muted_until.map(rfc3339),
        channel_ids: r.spec.channel_ids,
        created_at: rfc3339(r.created_at),
        updated_at: rfc3339(r.updated_at),
    }
}

/// The project's alert rules (members).
#[utoipa::path(get, path = "/api/projects/{id}/alert-rules", tag = "alerts",
    params(("id" = i64, Path, description = "Project id")),
    responses((status = 200, body = [AlertRule]), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn list_rules(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<AlertRule>>, ApiError> {
    access::member(&state, &user, id).await?;
    let rules = state.store.rules(id).await?;
    Ok(Json(rules.into_iter().map(rule_view).collect()))
}

/// Creates a rule (owners only).
#[utoipa::path(post, path = "/api/projects/{id}/alert-rules", tag = "alerts",
    request_body = RuleBody,
    params(("id" = i64, Path, description = "Project id")),
    responses(
        (status = 201, body = AlertRule),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn create_rule(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<RuleBody>,
) -> Result<(StatusCode, Json<AlertRule>), ApiError> {
    access::owner(&state, &user, id).await?;
    let input = rule_input(&state, id, body).await?;
    let rule = state
        .store
        .save_rule(id, None, &input, user.id, now_ms())
        .await?;
    Ok((StatusCode::CREATED, Json(rule_view(rule))))
}

/// Replaces a rule's settings (owners only); muting is setting `muted_until`.
#[utoipa::path(put, path = "/api/projects/{id}/alert-rules/{rid}", tag = "alerts",
    request_body = RuleBody,
    params(("id" = i64, Path, description = "Project id"), ("rid" = i64, Path, description = "Rule id")),
    responses(
        (status = 200, body = AlertRule),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn update_rule(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((id, rid)): ApiPath<(i64, i64)>,
    ApiJson(body): ApiJson<RuleBody>,
) -> Result<Json<AlertRule>, ApiError> {
    access::owner(&state, &user, id).await?;
    let input = rule_input(&state, id, body).await?;
    let rule = state
        .store
        .save_rule(id, Some(rid), &input, user.id, now_ms())
        .await
        .or_404(format_args!("rule {rid}"))?;
    Ok(Json(rule_view(rule)))
}

/// Deletes a rule (owners only).
#[utoipa::path(delete, path = "/api/projects/{id}/alert-rules/{rid}", tag = "alerts",
    params(("id" = i64, Path, description = "Project id"), ("rid" = i64, Path, description = "Rule id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn delete_rule(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((id, rid)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    access::owner(&state, &user, id).await?;
    state
        .store
        .delete_rule(id, rid)
        .await
        .or_404(format_args!("rule {rid}"))?;
    Ok(StatusCode::NO_CONTENT)
}

fn delivery_view(r: DeliveryRow) -> AlertDelivery {
    let pending = r.status == "pending";
    AlertDelivery {
        id: r.id,
        rule_id: r.rule_id,
        rule_name: r.rule_name,
        channel_id: r.channel_id,
        channel_name: r.channel_name,
        error_id: r.error_id,
        trigger: r.fires_on,
        status: r.status,
        attempts: r.attempts,
        response_code: r.response_code,
        last_error: r.last_error,
        delivery_id: r.delivery_id,
        created_at: rfc3339(r.created_at),
        sent_at: r.sent_at.map(rfc3339),
        next_attempt_at: pending.then(|| rfc3339(r.next_attempt_at)),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct HistoryQuery {
    /// Most rows, newest first (1–500). [default: 100]
    limit: Option<i64>,
}

/// The project's delivery history: time, rule, channel, status, response code and error
/// (members).
#[utoipa::path(get, path = "/api/projects/{id}/alert-deliveries", tag = "alerts",
    params(("id" = i64, Path, description = "Project id"), HistoryQuery),
    responses((status = 200, body = [AlertDelivery]), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn deliveries(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<Json<Vec<AlertDelivery>>, ApiError> {
    access::member(&state, &user, id).await?;
    let rows = state
        .store
        .alert_deliveries(id, None, page_limit(q.limit, 100)?)
        .await?;
    Ok(Json(rows.into_iter().map(delivery_view).collect()))
}

/// The alerts an error caused, newest first.
#[utoipa::path(get, path = "/api/errors/{id}/alerts", tag = "errors",
    params(("id" = i64, Path, description = "Error id"), HistoryQuery),
    responses((status = 200, body = [AlertDelivery]), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn error_alerts(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<Json<Vec<AlertDelivery>>, ApiError> {
    let error = state
        .store
        .error_for(user.id, id)
        .await
        .or_404(format_args!("error {id}"))?;
    let rows = state
        .store
        .alert_deliveries(error.project_id, Some(id), page_limit(q.limit, 100)?)
        .await?;
    Ok(Json(rows.into_iter().map(delivery_view).collect()))
}
