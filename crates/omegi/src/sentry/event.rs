//! Sentry events and transactions as Omegi spans, so they are stored, assembled and grouped
//! like spans from OpenTelemetry and join the same traces.
//!
//! - A transaction becomes its spans: the transaction itself (`contexts.trace.span_id`) and
//!   each of its child spans, with their ids, so an OpenTelemetry service called with the
//!   trace's `traceparent` (or `sentry-trace`) hangs under the right span.
//! - An event becomes one span with an `exception` span event: under the span that was active
//!   when it was captured when the SDK sends that span (a sampled transaction), else standing
//!   for that span's work itself. Without trace context it is a one-span trace of its own.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::stack::{self, text};
use crate::model::{
    Reported, SpanEvent, SpanRecord, SENTRY_EVENT_ID, SENTRY_REPORTED, STATUS_ERROR, STATUS_OK,
    STATUS_UNSET,
};
use crate::store::SentryKeyOwner;

/// Whom the spans are stored for, and what the envelope header says of the trace.
pub struct Context<'a> {
    pub owner: &'a SentryKeyOwner,
    /// The envelope's dynamic sampling context says the trace is sampled: the SDK sends the
    /// transaction that holds the span active at capture.
    pub sampled: bool,
}

/// Most breadcrumbs kept per event (SDKs keep 100).
const MAX_BREADCRUMBS: usize = 100;

/// The span of an error or message event.
pub fn event_span(cx: &Context, ev: &Value) -> Result<SpanRecord, String> {
    let event_id = event_id(ev).unwrap_or_else(crate::auth::secret::random_id128);
    let platform = text(ev, "platform").unwrap_or_else(|| "other".to_string());
    let time_ns = timestamp_ns(ev.get("timestamp")).unwrap_or_else(now_ns);
    let chain = stack::exceptions(ev);
    let message = message(ev);
    // SDKs that attach a stack trace to a message wrap it in a synthetic exception: the
    // message is what was captured, the frames only say where.
    let synthetic = !chain.is_empty()
        && chain.iter().all(|e| {
            e.mechanism
                .as_ref()
                .and_then(|m| m.get("synthetic"))
                .and_then(Value::as_bool)
                == Some(true)
        });
    let primary = chain.first().filter(|_| !(synthetic && message.is_some()));
    let (captured, exception_type, value) = match primary {
        Some(primary) => (
            "exception",
            stack::qualified_type(&platform, primary),
            primary.value.clone(),
        ),
        None => (
            "message",
            "Message".to_string(),
            message
                .as_ref()
                .map(|(formatted, _)| formatted.clone())
                .unwrap_or_else(|| "<unlabeled event>".to_string()),
        ),
    };
    let mut fingerprint: Vec<String> = ev
        .get("fingerprint")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    // Sentry's fingerprint variables, filled in; `{{ default }}` is left to grouping.
    // The frame that raised: the innermost of the application's own, else the innermost.
    let innermost = chain.first().and_then(|e| {
        e.frames
            .iter()
            .find(|f| f.in_app == Some(true))
            .or(e.frames.first())
    });
    let tags = tags(ev);
    for part in fingerprint.iter_mut() {
        let Some(name) = variable(part) else { continue };
        let filled = match name.as_str() {
            "default" => continue,
            "type" | "error.type" => Some(exception_type.clone()),
            "message" | "error.value" => Some(value.clone()),
            "transaction" => text(ev, "transaction"),
            "function" => innermost.and_then(|f| f.function.clone()),
            "module" => chain.first().and_then(|e| e.module.clone()),
            "level" => text(ev, "level"),
            "logger" => text(ev, "logger"),
            other => other
                .strip_prefix("tags.")
                .and_then(|t| tags.get(t))
                .map(|v| v.as_str().map_or_else(|| v.to_string(), String::from)),
        };
        *part = filled.unwrap_or_else(|| format!("<no {name}>"));
    }
    // A fingerprint that is only the default is no fingerprint.
    if fingerprint.len() == 1 && variable(&fingerprint[0]).as_deref() == Some("default") {
        fingerprint.clear();
    }
    if primary.is_none() {
        // A message groups by its template (the text before parameters were put in).
        let template = message
            .as_ref()
            .map(|(formatted, template)| template.clone().unwrap_or_else(|| formatted.clone()))
            .unwrap_or_else(|| value.clone());
        if fingerprint.is_empty() {
            fingerprint.push("{{ default }}".to_string());
        }
        for part in fingerprint.iter_mut() {
            if variable(part).as_deref() == Some("default") {
                *part = format!("message:{template}");
            }
        }
    }
    let trace = ev.pointer("/contexts/trace");
    let trace_id = trace.and_then(|t| id(t, "trace_id", 32));
    let active = trace.and_then(|t| id(t, "span_id", 16));
    let remote_parent = trace.and_then(|t| id(t, "parent_span_id", 16));
    let own_id = event_id[..16].to_string();
    // In a sampled trace the SDK sends the span that was active: the event hangs under it.
    // Unsampled, it hangs under the caller's span when a caller propagated one; else it is a
    // trace of its own (SDKs reuse one trace id for a whole process or page when not
    // tracing, which would pile unrelated errors into one trace).
    let (trace_id, span_id, parent) = match (trace_id, active) {
        (Some(t), Some(active)) if cx.sampled => (t, own_id, Some(active)),
        (Some(t), _) if remote_parent.is_some() => (t, own_id, remote_parent),
        _ => (event_id.clone(), own_id, None),
    };
    let mut attributes = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v.filter(|v| !v.is_null()) {
            attributes.insert(k.to_string(), v);
        }
    };
    put(SENTRY_EVENT_ID, Some(json!(event_id)));
    put("sentry.captured", Some(json!(captured)));
    put("sentry.level", ev.get("level").cloned());
    if let Some(f) = innermost {
        put("code.function", f.function.clone().map(Value::from));
        put("code.namespace", f.module.clone().map(Value::from));
        put(
            "code.filepath",
            f.abs_path.clone().or(f.filename.clone()).map(Value::from),
        );
        put("code.lineno", f.lineno.map(Value::from));
    }
    let request = ev.get("request").filter(|r| r.is_object());
    if let Some(r) = request {
        put("http.request.method", r.get("method").cloned());
        put("url.full", r.get("url").cloned());
    }
    put(
        "enduser.id",
        ev.pointer("/user/id").cloned().map(|v| match v {
            Value::Number(n) => Value::from(n.to_string()),
            v => v,
        }),
    );
    // What was running: the transaction (a route, a task), else the raising function.
    let function = innermost.and_then(|f| match (&f.module, &f.function) {
        (Some(m), Some(func)) => Some(format!("{m}.{func}")),
        (None, Some(func)) => Some(func.clone()),
        _ => None,
    });
    let name = text(ev, "transaction")
        .or_else(|| text(ev, "culprit"))
        .or(function)
        .unwrap_or_else(|| exception_type.clone());
    let reported = Reported {
        event_id: event_id.clone(),
        captured: captured.to_string(),
        level: text(ev, "level"),
        platform: Some(platform.clone()),
        exceptions: chain.clone(),
        breadcrumbs: breadcrumbs(ev).into_iter().map(scrub).collect(),
        request: request.cloned().map(scrub),
        user: ev.get("user").filter(|u| u.is_object()).cloned(),
        tags,
        contexts: ev
            .get("contexts")
            .and_then(Value::as_object)
            .map(|c| {
                c.iter()
                    .filter(|(k, _)| k.as_str() != "trace")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        fingerprint,
    };
    let mut exception = Map::new();
    exception.insert("exception.type".into(), json!(exception_type));
    exception.insert("exception.message".into(), json!(value));
    if !chain.is_empty() && chain.iter().any(|e| !e.frames.is_empty()) {
        exception.insert(
            "exception.stacktrace".into(),
            json!(stack::render(&platform, &chain)),
        );
    }
    exception.insert(
        SENTRY_REPORTED.into(),
        serde_json::to_value(&reported).map_err(|e| e.to_string())?,
    );
    Ok(SpanRecord {
        project_id: cx.owner.project_id,
        trace_id,
        span_id,
        parent_span_id: parent,
        service: cx.owner.service_name.clone(),
        name,
        kind: "internal".to_string(),
        start_ns: time_ns,
        end_ns: time_ns,
        status_code: STATUS_ERROR,
        status_message: value,
        attributes,
        events: vec![SpanEvent {
            name: "exception".to_string(),
            time_ns,
            attributes: exception,
        }],
        resource: Arc::new(resource(cx, ev)),
    })
}

/// The spans of a transaction: itself and its child spans. A transaction without a valid
/// trace context is refused (its spans could not join any trace).
pub fn transaction_spans(cx: &Context, ev: &Value) -> Result<Vec<SpanRecord>, String> {
    let trace = ev
        .pointer("/contexts/trace")
        .ok_or("a transaction needs contexts.trace")?;
    let trace_id =
        id(trace, "trace_id", 32).ok_or("contexts.trace.trace_id must be 32 hex digits")?;
    let root_id = id(trace, "span_id", 16).ok_or("contexts.trace.span_id must be 16 hex digits")?;
    let resource = Arc::new(resource(cx, ev));
    let end = timestamp_ns(ev.get("timestamp")).unwrap_or_else(now_ns);
    let start = timestamp_ns(ev.get("start_timestamp")).unwrap_or(end);
    let mut attributes = data(trace.get("data"));
    let op = text(trace, "op");
    if let Some(r) = ev.get("request").filter(|r| r.is_object()) {
        for (from, to) in [("method", "http.request.method"), ("url", "url.full")] {
            if let Some(v) = r.get(from).filter(|v| v.is_string()) {
                attributes.entry(to).or_insert_with(|| v.clone());
            }
        }
    }
    attributes.extend(tags(ev));
    let mut spans = vec![span(
        cx,
        &resource,
        Spanned {
            trace_id: trace_id.clone(),
            span_id: root_id.clone(),
            parent: id(trace, "parent_span_id", 16),
            name: text(ev, "transaction").unwrap_or_else(|| "transaction".to_string()),
            op,
            start,
            end,
            status: text(trace, "status"),
            attributes,
        },
    )];
    for child in ev
        .get("spans")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(span_id) = id(child, "span_id", 16) else {
            continue;
        };
        let end = timestamp_ns(child.get("timestamp")).unwrap_or(end);
        let mut attributes = data(child.get("data"));
        if let Some(t) = child.get("tags").and_then(Value::as_object) {
            attributes.extend(t.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        let op = text(child, "op");
        spans.push(span(
            cx,
            &resource,
            Spanned {
                // A transaction's spans are of its trace, whatever a child says.
                trace_id: trace_id.clone(),
                span_id,
                parent: id(child, "parent_span_id", 16).or_else(|| Some(root_id.clone())),
                name: text(child, "description")
                    .or_else(|| op.clone())
                    .unwrap_or_else(|| "span".to_string()),
                op,
                start: timestamp_ns(child.get("start_timestamp")).unwrap_or(end),
                end,
                status: text(child, "status"),
                attributes,
            },
        ));
    }
    Ok(spans)
}

struct Spanned {
    trace_id: String,
    span_id: String,
    parent: Option<String>,
    name: String,
    op: Option<String>,
    start: i64,
    end: i64,
    status: Option<String>,
    attributes: Map<String, Value>,
}

fn span(cx: &Context, resource: &Arc<Map<String, Value>>, s: Spanned) -> SpanRecord {
    let mut attributes = s.attributes;
    let kind = kind_of(s.op.as_deref());
    if let Some(op) = s.op {
        attributes.insert("sentry.op".into(), Value::from(op));
    }
    // Sentry's http.client spans name the URL; the service map names the peer from it.
    if kind == "client" && !attributes.contains_key("server.address") {
        let host = attributes
            .get("url")
            .or_else(|| attributes.get("url.full"))
            .and_then(Value::as_str)
            .and_then(host_of);
        if let Some(host) = host {
            attributes.insert("server.address".into(), Value::from(host));
        }
    }
    let (status_code, status_message) = match s.status.as_deref() {
        None => (STATUS_UNSET, String::new()),
        Some("ok") => (STATUS_OK, String::new()),
        Some(failed) if is_failure(failed) => (STATUS_ERROR, failed.to_string()),
        Some(_) => (STATUS_UNSET, String::new()),
    };
    SpanRecord {
        project_id: cx.owner.project_id,
        trace_id: s.trace_id,
        span_id: s.span_id,
        parent_span_id: s.parent,
        service: cx.owner.service_name.clone(),
        name: s.name,
        kind: kind.to_string(),
        start_ns: s.start,
        end_ns: s.end.max(s.start),
        status_code,
        status_message,
        attributes,
        events: Vec::new(),
        resource: resource.clone(),
    }
}

/// Sentry's span statuses that mean the operation failed on the server's side (a client's
/// `not_found` or `invalid_argument` is an answer, not a failure, as in OpenTelemetry).
fn is_failure(status: &str) -> bool {
    matches!(
        status,
        "internal_error"
            | "unknown_error"
            | "unknown"
            | "data_loss"
            | "unavailable"
            | "deadline_exceeded"
            | "aborted"
            | "unimplemented"
            | "resource_exhausted"
    )
}

fn kind_of(op: Option<&str>) -> &'static str {
    let op = op.unwrap_or("");
    if op == "http.server" || op.starts_with("rpc.server") || op == "grpc.server" {
        "server"
    } else if op.starts_with("http.client")
        || op.starts_with("db")
        || op.starts_with("cache")
        || op.starts_with("rpc.client")
        || op == "grpc.client"
    {
        "client"
    } else if op.starts_with("queue.publish") || op == "queue.submit" {
        "producer"
    } else if op.starts_with("queue.process") || op.starts_with("queue.task") {
        "consumer"
    } else {
        "internal"
    }
}

fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    // Without the port, as OpenTelemetry's server.address has it.
    let host = match host.rsplit_once(':') {
        Some((h, port))
            if port.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(']')
                || host.starts_with('[') =>
        {
            h.trim_start_matches('[').trim_end_matches(']')
        }
        _ => host,
    };
    Some(host.to_string()).filter(|h| !h.is_empty())
}

/// A span's `data`, flat: Sentry already uses OpenTelemetry's attribute names for most.
fn data(v: Option<&Value>) -> Map<String, Value> {
    v.and_then(Value::as_object).cloned().unwrap_or_default()
}

/// Where the event was made: the key's service, and what Sentry says of the release,
/// environment, host and SDK, under OpenTelemetry's resource names.
fn resource(cx: &Context, ev: &Value) -> Map<String, Value> {
    let mut r = Map::new();
    r.insert(
        "service.name".into(),
        Value::from(cx.owner.service_name.clone()),
    );
    for (from, to) in [
        ("release", "service.version"),
        ("environment", "deployment.environment.name"),
        ("server_name", "host.name"),
        ("platform", "telemetry.sdk.language"),
    ] {
        if let Some(v) = text(ev, from) {
            r.insert(to.into(), Value::from(v));
        }
    }
    if let Some(sdk) = ev.get("sdk") {
        for (from, to) in [
            ("name", "telemetry.sdk.name"),
            ("version", "telemetry.sdk.version"),
        ] {
            if let Some(v) = text(sdk, from) {
                r.insert(to.into(), Value::from(v));
            }
        }
    }
    r
}

/// Values under keys that name secrets (passwords, tokens, cookies, auth headers) replaced by
/// `[Filtered]`, as Sentry's server-side scrubbing does by default.
fn scrub(v: Value) -> Value {
    const SECRET: [&str; 12] = [
        "password",
        "passwd",
        "secret",
        "token",
        "auth",
        "cookie",
        "session",
        "credential",
        "api_key",
        "apikey",
        "private_key",
        "privatekey",
    ];
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let lower = k.to_ascii_lowercase().replace('-', "_");
                    let secret = SECRET.iter().any(|s| lower.contains(s)) && !v.is_object();
                    let v = if secret && !v.is_null() {
                        Value::from("[Filtered]")
                    } else {
                        scrub(v)
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(scrub).collect()),
        v => v,
    }
}

/// The name of a fingerprint variable (`{{ type }}` -> `type`), lower-cased.
fn variable(part: &str) -> Option<String> {
    let inner = part.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    Some(inner.trim().to_ascii_lowercase())
}

/// The formatted message and, when parameters were put in, its template.
fn message(ev: &Value) -> Option<(String, Option<String>)> {
    for key in ["logentry", "message"] {
        match ev.get(key) {
            Some(Value::String(s)) if !s.is_empty() => return Some((s.clone(), None)),
            Some(v @ Value::Object(_)) => {
                let template = text(v, "message");
                if let Some(formatted) = text(v, "formatted").or(template.clone()) {
                    let template = template.filter(|t| *t != formatted);
                    return Some((formatted, template));
                }
            }
            _ => {}
        }
    }
    None
}

fn breadcrumbs(ev: &Value) -> Vec<Value> {
    let b = ev.get("breadcrumbs");
    let list = b
        .and_then(|b| b.get("values"))
        .or(b)
        .and_then(Value::as_array);
    let list = list.map(Vec::as_slice).unwrap_or_default();
    list[list.len().saturating_sub(MAX_BREADCRUMBS)..]
        .iter()
        .filter(|c| c.is_object())
        .cloned()
        .collect()
}

/// Tags as an object, whether sent as one or as `[key, value]` pairs.
fn tags(ev: &Value) -> Map<String, Value> {
    match ev.get("tags") {
        Some(Value::Object(m)) => m.clone(),
        Some(Value::Array(pairs)) => pairs
            .iter()
            .filter_map(|p| {
                let k = p.get(0)?.as_str()?;
                Some((k.to_string(), p.get(1)?.clone()))
            })
            .collect(),
        _ => Map::new(),
    }
}

/// The event id (dashes dropped), when it is a valid 32-digit hex id.
pub fn event_id(ev: &Value) -> Option<String> {
    id(ev, "event_id", 32)
}

/// `v[key]` as a lower-case hex id of `len` digits (dashes dropped), not all zero.
fn id(v: &Value, key: &str, len: usize) -> Option<String> {
    hex_id(v.get(key), len)
}

/// A lower-case hex id of `len` digits (dashes dropped), not all zero.
pub fn hex_id(v: Option<&Value>, len: usize) -> Option<String> {
    let s = v?.as_str()?.replace('-', "").to_ascii_lowercase();
    (s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit()) && s.bytes().any(|b| b != b'0'))
        .then_some(s)
}

/// Sentry timestamps: seconds since the epoch (a number, maybe fractional) or RFC 3339.
fn timestamp_ns(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => {
            let secs = n.as_f64()?;
            (secs.is_finite() && secs > 0.0).then_some((secs * 1e9) as i64)
        }
        Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .and_then(|t| t.timestamp_nanos_opt())
            .or_else(|| {
                // Sentry also accepts RFC 3339 without an offset, meaning UTC.
                chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                    .ok()
                    .and_then(|t| t.and_utc().timestamp_nanos_opt())
            }),
        _ => None,
    }
}

fn now_ns() -> i64 {
    crate::model::now_ms() * 1_000_000
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> SentryKeyOwner {
        SentryKeyOwner {
            key_id: 1,
            project_id: 7,
            service_id: 3,
            service_name: "shop".into(),
        }
    }

    const TRACE: &str = "0af7651916cd43dd8448eb211c80319c";

    #[test]
    fn unsampled_events_without_a_caller_are_traces_of_their_own() {
        let o = owner();
        let cx = Context {
            owner: &o,
            sampled: false,
        };
        let e = |id: &str| {
            json!({"event_id": id, "message": "m",
                "contexts": {"trace": {"trace_id": TRACE, "span_id": "b7ad6b7169203331"}}})
        };
        let a = event_span(&cx, &e("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")).unwrap();
        let b = event_span(&cx, &e("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")).unwrap();
        assert_ne!(a.trace_id, b.trace_id);
        assert_eq!(a.parent_span_id, None);
        // A caller's span makes it part of the caller's trace.
        let mut called = e("cccccccccccccccccccccccccccccccc");
        called["contexts"]["trace"]["parent_span_id"] = json!("00f067aa0ba902b7");
        let c = event_span(&cx, &called).unwrap();
        assert_eq!(
            (c.trace_id.as_str(), c.parent_span_id.as_deref()),
            (TRACE, Some("00f067aa0ba902b7"))
        );
        // Sampled: under the span that was active, which the transaction brings.
        let cx = Context {
            owner: &o,
            sampled: true,
        };
        let d = event_span(&cx, &e("dddddddddddddddddddddddddddddddd")).unwrap();
        assert_eq!(
            (d.trace_id.as_str(), d.parent_span_id.as_deref()),
            (TRACE, Some("b7ad6b7169203331"))
        );
    }

    #[test]
    fn fingerprint_variables_are_filled_in_and_a_lone_default_is_no_fingerprint() {
        let o = owner();
        let cx = Context {
            owner: &o,
            sampled: false,
        };
        let reported = |fingerprint: Value| {
            let span = event_span(
                &cx,
                &json!({
                "event_id": "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "transaction": "/pay",
                "tags": {"region": "eu"}, "fingerprint": fingerprint,
                "exception": {"values": [{"type": "E", "value": "v"}]}}),
            )
            .unwrap();
            let r: Reported =
                serde_json::from_value(span.events[0].attributes[SENTRY_REPORTED].clone()).unwrap();
            r.fingerprint
        };
        assert_eq!(
            reported(json!([
                "{{ transaction }}",
                "{{ type }}",
                "{{tags.region}}",
                "{{ default }}",
                "x"
            ])),
            ["/pay", "E", "eu", "{{ default }}", "x"]
        );
        assert!(reported(json!(["{{ default }}"])).is_empty());
    }

    #[test]
    fn secrets_in_the_request_and_breadcrumbs_are_filtered() {
        let o = owner();
        let cx = Context {
            owner: &o,
            sampled: false,
        };
        let span = event_span(&cx, &json!({
            "event_id": "ffffffffffffffffffffffffffffffff", "message": "m",
            "request": {"url": "https://x/login", "headers": {"Authorization": "Bearer abc", "Accept": "*/*"},
                        "data": {"password": "hunter2", "user": "ada"}, "cookies": "session=1"},
            "breadcrumbs": [{"category": "http", "data": {"api_key": "k", "url": "/a"}}]}))
        .unwrap();
        let r: Reported =
            serde_json::from_value(span.events[0].attributes[SENTRY_REPORTED].clone()).unwrap();
        let request = r.request.unwrap();
        assert_eq!(request["headers"]["Authorization"], "[Filtered]");
        assert_eq!(request["headers"]["Accept"], "*/*");
        assert_eq!(request["data"]["password"], "[Filtered]");
        assert_eq!(request["data"]["user"], "ada");
        assert_eq!(request["cookies"], "[Filtered]");
        assert_eq!(r.breadcrumbs[0]["data"]["api_key"], "[Filtered]");
        assert_eq!(r.breadcrumbs[0]["data"]["url"], "/a");
    }

    #[test]
    fn child_spans_stay_in_the_transaction_and_hang_under_it() {
        let o = owner();
        let cx = Context {
            owner: &o,
            sampled: true,
        };
        let spans = transaction_spans(&cx, &json!({
            "type": "transaction", "transaction": "/pay", "start_timestamp": 1.0, "timestamp": 2.0,
            "contexts": {"trace": {"trace_id": TRACE, "span_id": "b7ad6b7169203331", "op": "http.server", "status": "internal_error"}},
            "spans": [
                {"span_id": "1111111111111111", "trace_id": "ffffffffffffffffffffffffffffffff", "op": "http.client",
                 "description": "GET http://payments:8080/pay", "data": {"url": "http://payments:8080/pay"},
                 "start_timestamp": 1.1, "timestamp": 1.5, "status": "ok"}]}))
        .unwrap();
        assert_eq!(spans.len(), 2);
        assert_eq!(
            (spans[0].kind.as_str(), spans[0].status_code),
            ("server", STATUS_ERROR)
        );
        let child = &spans[1];
        assert_eq!(child.trace_id, TRACE);
        assert_eq!(child.parent_span_id.as_deref(), Some("b7ad6b7169203331"));
        assert_eq!(child.kind, "client");
        assert_eq!(child.attr_str("server.address"), Some("payments"));
        assert_eq!(
            (child.start_ns, child.end_ns),
            (1_100_000_000, 1_500_000_000)
        );
    }
}
