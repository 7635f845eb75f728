//! Sentry SDKs as clients: the envelope and legacy store formats (`envelope.rs`), exceptions
//! and their stack traces (`stack.rs`), and events and transactions turned into the spans
//! Omegi stores (`event.rs`). A transport like OTLP: the HTTP handlers in
//! `crate::http::sentry` authenticate by DSN key and hand the spans to the span writer.

pub mod envelope;
pub mod event;
pub mod stack;

use serde_json::{Map, Value};

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
        event_id: parsed
            .header
            .get("event_id")
            .and_then(|_| event::event_id(&parsed.header)),
        ..Accepted::default()
    };
    for (n, item) in parsed.items.iter().enumerate() {
        let what = |e: String| format!("item {} ({}): {e}", n + 1, item.kind);
        match item.kind.as_str() {
            "event" => {
                let event = envelope::object(item.payload).map_err(what)?;
                out.event_id = out.event_id.or_else(|| event::event_id(&event));
                out.spans
                    .push(event::event_span(&cx, &event).map_err(what)?);
            }
            "transaction" => {
                let event = envelope::object(item.payload).map_err(what)?;
                out.event_id = out.event_id.or_else(|| event::event_id(&event));
                out.spans
                    .extend(event::transaction_spans(&cx, &event).map_err(what)?);
            }
            _ => out.skipped += 1,
        }
    }
    Ok(out)
}

/// A bare event (`POST /api/{project}/store/`, the older protocol).
pub fn store(owner: &SentryKeyOwner, body: &[u8]) -> Result<Accepted, String> {
    let event: Map<String, Value> = envelope::object(body).map_err(|e| format!("event: {e}"))?;
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
