//! Sentry SDKs as clients: the envelope and legacy store formats (`envelope.rs`), exceptions
//! and their stack traces (`stack.rs`), and events and transactions turned into the spans
//! Omegi stores (`event.rs`). A transport like OTLP: the HTTP handlers in
//! `crate::http::sentry` authenticate by DSN key and hand the spans to the span writer.

pub mod envelope;
pub mod event;
pub mod stack;

use serde_json::Value;

use crate::model::SpanRecord;
use crate::store::SentryKeyOwner;
use event::Context;

/// What a request carried.
#[derive(Debug, Default)]
pub struct Accepted {
    /// The id to answer with: the envelope's, else its event's.
    pub event_id: Option<String>,
    pub spans: Vec<SpanRecord>,
    /// Items of kinds Omegi does not keep (sessions, client reports, attachments, …).
    pub skipped: usize,
}

/// JSON as parsed, with NUL characters (which PostgreSQL's text cannot hold) replaced, in
/// keys and values alike, as OTLP decoding does.
fn storable(v: Value) -> Value {
    use crate::ingest::decode::storable as clean;
    match v {
        Value::String(s) => Value::String(clean(s)),
        Value::Array(a) => Value::Array(a.into_iter().map(storable).collect()),
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (clean(k), storable(v)))
                .collect(),
        ),
        v => v,
    }
}

/// An item's payload: a JSON object with something in it, storable.
fn item_object(bytes: &[u8]) -> Result<Value, String> {
    let map = envelope::object(bytes)?;
    if map.is_empty() {
        return Err("an empty event".to_string());
    }
    Ok(storable(Value::Object(map)))
}

/// An envelope (`POST /api/{project}/envelope/`). All or nothing: a malformed item refuses
/// the whole envelope, with what is wrong.
pub fn envelope(owner: &SentryKeyOwner, body: &[u8]) -> Result<Accepted, String> {
    let parsed = envelope::parse(body)?;
    let sampled = parsed
        .header
        .get("trace")
        .and_then(|t| t.get("sampled"))
        .is_some_and(|s| s == "true" || s == &Value::Bool(true));
    let cx = Context { owner, sampled };
    let mut out = Accepted {
        event_id: event::hex_id(parsed.header.get("event_id"), 32),
        ..Accepted::default()
    };
    for (n, item) in parsed.items.iter().enumerate() {
        let what = |e: String| format!("item {} ({}): {e}", n + 1, item.kind);
        match item.kind.as_str() {
            "event" => {
                let event = item_object(item.payload).map_err(what)?;
                out.event_id = out.event_id.or_else(|| event::event_id(&event));
                out.spans
                    .push(event::event_span(&cx, &event).map_err(what)?);
            }
            "transaction" => {
                let event = item_object(item.payload).map_err(what)?;
                out.event_id = out.event_id.or_else(|| event::event_id(&event));
                out.spans
                    .extend(event::transaction_spans(&cx, &event).map_err(what)?);
            }
            _ => out.skipped += 1,
        }
    }
    Ok(out)
}

/// The public key of the DSN an envelope's header names, for envelopes forwarded through a
/// `tunnel` (which sends no auth header).
pub fn header_key(body: &[u8]) -> Option<String> {
    let line = body.split(|&b| b == b'\n').next()?;
    let header = envelope::object(line).ok()?;
    let dsn = header.get("dsn")?.as_str()?;
    let (_, rest) = dsn.split_once("://")?;
    let (user, _) = rest.split_once('@')?;
    Some(user.split(':').next()?.to_string())
}

/// A bare event (`POST /api/{project}/store/`, the older protocol).
pub fn store(owner: &SentryKeyOwner, body: &[u8]) -> Result<Accepted, String> {
    let event = item_object(body).map_err(|e| format!("event: {e}"))?;
    let sampled = event
        .get("contexts")
        .and_then(|c| c.pointer("/trace/sampled"))
        .is_some_and(|s| s == &Value::Bool(true));
    let cx = Context { owner, sampled };
    let spans = if event.get("type").and_then(Value::as_str) == Some("transaction") {
        event::transaction_spans(&cx, &event)?
    } else {
        vec![event::event_span(&cx, &event)?]
    };
    Ok(Accepted {
        event_id: event::event_id(&event).or_else(|| {
            spans
                .first()
                .and_then(|s| s.attr_str(crate::model::SENTRY_EVENT_ID).map(String::from))
        }),
        spans,
        skipped: 0,
    })
}
