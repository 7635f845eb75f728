//! OTLP/JSON. The `opentelemetry-proto` types read hex ids and string-encoded integers; the
//! one thing they do not read is enum values written as names (`"SPAN_KIND_SERVER"`), which
//! the OTLP spec allows receivers to accept, so those are turned into numbers first.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, status::StatusCode};
use serde_json::Value;

/// Parses an OTLP/JSON export request; the error says what is wrong and where.
pub fn parse(body: &[u8]) -> Result<ExportTraceServiceRequest, String> {
    let mut value: Value =
        serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?;
    if !value.is_object() {
        // serde would read a JSON array as the request's fields in order: refuse it here.
        return Err(
            "an OTLP/JSON export request is a JSON object ({\"resourceSpans\": [...]})".into(),
        );
    }
    for resource_spans in array_mut(&mut value, "resourceSpans") {
        for scope_spans in array_mut(resource_spans, "scopeSpans") {
            for span in array_mut(scope_spans, "spans") {
                enum_to_number(span.get_mut("kind"), |n| {
                    SpanKind::from_str_name(n).map(|k| k as i32)
                })?;
                let code = span.get_mut("status").and_then(|s| s.get_mut("code"));
                enum_to_number(code, |n| StatusCode::from_str_name(n).map(|c| c as i32))?;
            }
        }
    }
    serde_json::from_value(value).map_err(|e| format!("not an OTLP trace export request: {e}"))
}

fn array_mut<'a>(value: &'a mut Value, key: &str) -> impl Iterator<Item = &'a mut Value> {
    value
        .get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
}

fn enum_to_number(
    field: Option<&mut Value>,
    by_name: impl Fn(&str) -> Option<i32>,
) -> Result<(), String> {
    if let Some(v) = field {
        if let Some(name) = v.as_str() {
            let n = by_name(name).ok_or_else(|| format!("unknown enum value {name:?}"))?;
            *v = Value::from(n);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn enum_values_may_be_numbers_or_names() {
        let body = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[
            {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
             "name":"a","kind":"SPAN_KIND_CLIENT","startTimeUnixNano":"1","endTimeUnixNano":2,
             "status":{"code":"STATUS_CODE_ERROR","message":"boom"}},
            {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175",
             "name":"b","kind":2,"status":{"code":1}}]}]}]}"#;
        let req = super::parse(body).unwrap();
        let spans = &req.resource_spans[0].scope_spans[0].spans;
        assert_eq!(spans[0].kind, 3);
        assert_eq!(spans[0].status.as_ref().unwrap().code, 2);
        assert_eq!(spans[0].trace_id.len(), 16);
        assert_eq!(spans[1].kind, 2);
        assert_eq!(spans[1].status.as_ref().unwrap().code, 1);
    }

    #[test]
    fn bad_json_says_what_is_wrong() {
        assert!(super::parse(b"{").unwrap_err().starts_with("invalid JSON"));
        let bad_kind =
            br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"SPAN_KIND_X"}]}]}]}"#;
        assert!(super::parse(bad_kind).unwrap_err().contains("SPAN_KIND_X"));
        let bad_hex = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}"#;
        assert!(super::parse(bad_hex).is_err());
    }
}
