//! OTLP trace data to [`SpanRecord`]s. Spans whose ids are malformed are rejected one by one
//! (counted for OTLP's partial success); the rest of the request is kept.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1::Span;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::model::{hex, SpanEvent, SpanRecord, MAX_SERVICE_NAME};
use crate::store::TokenOwner;

/// What a request decoded to.
#[derive(Debug, Default)]
pub struct Decoded {
    pub spans: Vec<SpanRecord>,
    pub rejected: i64,
    /// Why spans were rejected, at most a few distinct reasons.
    pub problems: Vec<String>,
}

const MAX_PROBLEMS: usize = 5;

impl Decoded {
    /// Counts `n` rejected spans and keeps the reason (a few distinct reasons at most).
    pub fn reject(&mut self, n: usize, problem: String) {
        self.rejected += n as i64;
        if self.problems.len() < MAX_PROBLEMS && !self.problems.contains(&problem) {
            self.problems.push(problem);
        }
    }
}

pub fn spans(owner: &TokenOwner, request: ExportTraceServiceRequest) -> Decoded {
    let mut out = Decoded::default();
    for resource_spans in request.resource_spans {
        let resource: Arc<Map<String, Value>> = Arc::new(
            resource_spans
                .resource
                .map(|r| attributes(r.attributes))
                .unwrap_or_default(),
        );
        let service = service_name(&resource)
            .unwrap_or(&owner.service_name)
            .to_string();
        if service.chars().count() > MAX_SERVICE_NAME {
            let n: usize = resource_spans
                .scope_spans
                .iter()
                .map(|s| s.spans.len())
                .sum();
            out.reject(
                n,
                format!("service.name is longer than {MAX_SERVICE_NAME} characters"),
            );
            continue;
        }
        for scope_spans in resource_spans.scope_spans {
            for span in scope_spans.spans {
                match record(owner.project_id, &service, &resource, span) {
                    Ok(record) => out.spans.push(record),
                    Err(problem) => out.reject(1, problem),
                }
            }
        }
    }
    out
}

/// `service.name` of the resource, unless it is the SDKs' "unknown_service" placeholder, in
/// which case the token's service is the better name.
fn service_name(resource: &Map<String, Value>) -> Option<&str> {
    resource
        .get("service.name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.starts_with("unknown_service"))
}

fn record(
    project_id: i64,
    service: &str,
    resource: &Arc<Map<String, Value>>,
    span: Span,
) -> Result<SpanRecord, String> {
    let trace_id = id_hex(&span.trace_id, 16, "trace_id")?;
    let span_id = id_hex(&span.span_id, 8, "span_id")?;
    let parent_span_id = match span.parent_span_id.len() {
        0 => None,
        _ => Some(id_hex(&span.parent_span_id, 8, "parent_span_id")?),
    };
    let (status_code, status_message) = span
        .status
        .map(|s| (i64::from(s.code), s.message))
        .unwrap_or_default();
    Ok(SpanRecord {
        project_id,
        trace_id,
        span_id,
        parent_span_id,
        service: storable(service.to_string()),
        name: storable(span.name),
        kind: kind_name(span.kind).to_string(),
        start_ns: nanos(span.start_time_unix_nano),
        end_ns: nanos(span.end_time_unix_nano),
        status_code,
        status_message: storable(status_message),
        attributes: attributes(span.attributes),
        events: span
            .events
            .into_iter()
            .map(|e| SpanEvent {
                name: storable(e.name),
                time_ns: nanos(e.time_unix_nano),
                attributes: attributes(e.attributes),
            })
            .collect(),
        resource: resource.clone(),
    })
}

/// Lower-case hex of an id that must be `len` bytes and not all zero.
fn id_hex(bytes: &[u8], len: usize, field: &str) -> Result<String, String> {
    if bytes.len() != len {
        return Err(format!("{field} must be {len} bytes, got {}", bytes.len()));
    }
    if bytes.iter().all(|b| *b == 0) {
        return Err(format!("{field} must not be all zeros"));
    }
    Ok(hex(bytes))
}

fn nanos(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn kind_name(kind: i32) -> &'static str {
    match kind {
        1 => "internal",
        2 => "server",
        3 => "client",
        4 => "producer",
        5 => "consumer",
        _ => "unspecified",
    }
}

pub fn attributes(kvs: Vec<KeyValue>) -> Map<String, Value> {
    kvs.into_iter()
        .map(|kv| (storable(kv.key), kv.value.map(value).unwrap_or(Value::Null)))
        .collect()
}

/// Text as both databases can store it: PostgreSQL's `text` and `jsonb` refuse U+0000, so
/// a span carrying one would fail its whole batch for ever (and stall a Kafka partition); it
/// becomes U+FFFD, the replacement character. Allocates only when there is one.
pub fn storable(s: String) -> String {
    if s.contains('\0') {
        s.replace('\0', "\u{FFFD}")
    } else {
        s
    }
}

fn value(v: AnyValue) -> Value {
    match v.value {
        None => Value::Null,
        Some(any_value::Value::StringValue(s)) => Value::String(storable(s)),
        Some(any_value::Value::BoolValue(b)) => Value::Bool(b),
        Some(any_value::Value::IntValue(i)) => Value::from(i),
        Some(any_value::Value::DoubleValue(d)) => {
            serde_json::Number::from_f64(d).map_or(Value::Null, Value::Number)
        }
        Some(any_value::Value::ArrayValue(a)) => {
            Value::Array(a.values.into_iter().map(value).collect())
        }
        Some(any_value::Value::KvlistValue(kv)) => Value::Object(attributes(kv.values)),
        Some(any_value::Value::BytesValue(b)) => Value::String(hex(&b)),
        #[allow(unreachable_patterns)]
        Some(_) => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans};

    fn owner() -> TokenOwner {
        TokenOwner {
            token_id: 1,
            project_id: 7,
            service_id: 3,
            service_name: "token-service".into(),
        }
    }

    fn request(service: Option<&str>, spans: Vec<Span>) -> ExportTraceServiceRequest {
        let attributes = service
            .map(|s| {
                vec![KeyValue {
                    key: "service.name".into(),
                    value: Some(AnyValue {
                        value: Some(any_value::Value::StringValue(s.into())),
                    }),
                    ..Default::default()
                }]
            })
            .unwrap_or_default();
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes,
                    ..Default::default()
                }),
                scope_spans: vec![ScopeSpans {
                    spans,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    fn span(trace: Vec<u8>, id: Vec<u8>) -> Span {
        Span {
            trace_id: trace,
            span_id: id,
            name: "GET /".into(),
            kind: 2,
            start_time_unix_nano: 1_000,
            end_time_unix_nano: 5_000,
            ..Default::default()
        }
    }

    #[test]
    fn spans_become_records_under_the_tokens_project() {
        let d = spans(
            &owner(),
            request(Some("gateway"), vec![span(vec![1; 16], vec![2; 8])]),
        );
        assert_eq!(d.rejected, 0);
        let r = &d.spans[0];
        assert_eq!(r.project_id, 7);
        assert_eq!(r.service, "gateway");
        assert_eq!(r.trace_id, "01".repeat(16));
        assert_eq!(r.span_id, "02".repeat(8));
        assert_eq!(r.kind, "server");
        assert!(r.is_root());
        assert_eq!(r.duration_ns(), 4_000);
    }

    #[test]
    fn a_missing_or_placeholder_service_name_falls_back_to_the_tokens_service() {
        let d = spans(&owner(), request(None, vec![span(vec![1; 16], vec![2; 8])]));
        assert_eq!(d.spans[0].service, "token-service");
        let d = spans(
            &owner(),
            request(
                Some("unknown_service:python"),
                vec![span(vec![1; 16], vec![2; 8])],
            ),
        );
        assert_eq!(d.spans[0].service, "token-service");
    }

    #[test]
    fn spans_with_bad_ids_are_rejected_and_the_rest_kept() {
        let d = spans(
            &owner(),
            request(
                Some("gateway"),
                vec![
                    span(vec![1; 15], vec![2; 8]),
                    span(vec![0; 16], vec![2; 8]),
                    span(vec![1; 16], vec![3; 8]),
                ],
            ),
        );
        assert_eq!(d.rejected, 2);
        assert_eq!(d.spans.len(), 1);
        assert!(d.problems[0].contains("trace_id must be 16 bytes, got 15"));
    }
}
