//! Turns the spans of one complete trace into what Omegi keeps about it: the service-to-service
//! edges and service counts for the map, and one error occurrence per failure. Pure: no I/O.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::fingerprint::fingerprint;
use super::tree::TraceTree;
use crate::model::{
    duration_bin, rfc3339, Assembly, Edge, Log, OccurrenceDraft, Operation, Reported, ServiceStat,
    SpanRecord, Summary, PEER_ATTRIBUTES, SENTRY_REPORTED,
};

/// Most error occurrences one trace records: a trace whose every span fails is one incident,
/// not ten thousand, and each occurrence costs a row and a path.
pub const MAX_OCCURRENCES: usize = 100;

/// Assembles a trace from `spans`, the earliest of the `stored` spans it has (all of them
/// unless it is larger than the per-trace limit). Linear in the spans, whatever the shape.
pub fn assemble(spans: Vec<SpanRecord>, stored: usize) -> Assembly {
    let tree = TraceTree::build(spans);
    let root = tree.root();
    let mut causes = causes(&tree);
    let mut truncated = Vec::new();
    if stored > tree.spans.len() {
        truncated.push(format!(
            "assembled from the earliest {} of its {stored} spans",
            tree.spans.len()
        ));
    }
    if causes.len() > MAX_OCCURRENCES {
        truncated.push(format!(
            "{} of its {} failures recorded",
            MAX_OCCURRENCES,
            causes.len()
        ));
        causes.truncate(MAX_OCCURRENCES);
    }
    Assembly {
        span_count: stored.max(tree.spans.len()) as i64,
        start_ns: tree.spans.iter().map(|s| s.start_ns).min().unwrap_or(0),
        end_ns: tree.spans.iter().map(|s| s.end_ns).max().unwrap_or(0),
        root_service: root.map(|s| s.service.clone()),
        root_name: root.map(|s| s.name.clone()),
        edges: edges(&tree),
        services: services(&tree),
        occurrences: causes.into_iter().map(|i| occurrence(&tree, i)).collect(),
        truncated: (!truncated.is_empty()).then(|| truncated.join("; ")),
    }
}

fn edges(tree: &TraceTree) -> Vec<Edge> {
    // (caller, callee) -> duration bin -> (calls, errors)
    type Calls<'a> = BTreeMap<(&'a str, &'a str), BTreeMap<i64, (i64, i64)>>;
    fn add<'a>(map: &mut Calls<'a>, caller: &'a str, callee: &'a str, span: &SpanRecord) {
        let bin = map
            .entry((caller, callee))
            .or_default()
            .entry(duration_bin(span.duration_ns() / 1000))
            .or_default();
        bin.0 += 1;
        bin.1 += i64::from(span.is_error());
    }
    let mut map: Calls = BTreeMap::new();
    for (i, span) in tree.spans.iter().enumerate() {
        if let Some(p) = tree.parent[i] {
            let caller = &tree.spans[p].service;
            if *caller != span.service {
                add(&mut map, caller, &span.service, span);
            }
        }
        // A client call to something that sends no spans of its own (a database, a queue,
        // a third-party API) still is an edge, to the peer it names.
        if is_call(span) {
            let traced_callee = tree.children[i]
                .iter()
                .any(|&c| tree.spans[c].service != span.service);
            if let Some(peer) = peer_name(span).filter(|_| !traced_callee) {
                add(&mut map, &span.service, peer, span);
            }
        }
    }
    map.into_iter()
        .map(|((caller, callee), bins)| Edge {
            caller: caller.to_string(),
            callee: callee.to_string(),
            calls: bins.values().map(|b| b.0).sum(),
            errors: bins.values().map(|b| b.1).sum(),
            durations: bins.into_iter().map(|(bin, (c, e))| (bin, c, e)).collect(),
        })
        .collect()
}

/// The remote a client span talks to, from the semantic-convention attributes.
fn peer_name(span: &SpanRecord) -> Option<&str> {
    PEER_ATTRIBUTES.iter().find_map(|k| span.attr_str(k))
}

fn services(tree: &TraceTree) -> Vec<ServiceStat> {
    let mut map: BTreeMap<&str, ServiceStat> = BTreeMap::new();
    for (i, span) in tree.spans.iter().enumerate() {
        let s = map.entry(&span.service).or_insert_with(|| ServiceStat {
            service: span.service.clone(),
            spans: 0,
            requests: 0,
            errors: 0,
        });
        s.spans += 1;
        let entry = span.kind == "server" || span.kind == "consumer" || tree.parent[i].is_none();
        s.requests += i64::from(entry);
        s.errors += i64::from(entry && span.is_error());
    }
    map.into_values().collect()
}

/// The spans that are the cause of a failure. A span that recorded an exception is a cause
/// unless a span below it recorded one too (the exception propagated up to it). A span that
/// only has status ERROR is a cause when no span above or below it recorded an exception and
/// no failing span is below it. An exception a Sentry SDK captured is a span of its own under
/// the span it happened in, so it counts as thrown *by* that span: it is no cause when
/// another span below that one threw (a captured message is always recorded). Linear: one pass up the tree, one pass down.
fn causes(tree: &TraceTree) -> Vec<usize> {
    let n = tree.spans.len();
    let throws: Vec<bool> = tree.spans.iter().map(|s| s.exception().is_some()).collect();
    let failing: Vec<bool> = tree.spans.iter().map(SpanRecord::is_error).collect();
    let event: Vec<bool> = tree.spans.iter().map(SpanRecord::is_sentry_event).collect();
    let captured: Vec<bool> = tree
        .spans
        .iter()
        .map(SpanRecord::is_sentry_exception)
        .collect();
    // Whether a span strictly below i throws / fails, children before parents; and whether
    // one other than a Sentry-captured exception directly under i does.
    let mut throw_below = vec![false; n];
    let mut fail_below = vec![false; n];
    let mut other_throw_below = vec![false; n];
    for &i in tree.preorder.iter().rev() {
        if let Some(p) = tree.parent[i] {
            throw_below[p] |= throws[i] || throw_below[i];
            fail_below[p] |= failing[i] || fail_below[i];
            if !event[i] {
                other_throw_below[p] |= throws[i] || throw_below[i];
            }
        }
    }
    // Whether a span strictly above i throws, parents before children.
    let mut throw_above = vec![false; n];
    for &i in &tree.preorder {
        if let Some(p) = tree.parent[i] {
            throw_above[i] = throws[p] || throw_above[p];
        }
    }
    (0..n)
        .filter(|&i| {
            if captured[i] {
                !tree.parent[i].is_some_and(|p| other_throw_below[p])
            } else if event[i] {
                // A captured message is what was said, whatever else failed.
                true
            } else if throws[i] {
                !throw_below[i]
            } else {
                failing[i] && !throw_above[i] && !throw_below[i] && !fail_below[i]
            }
        })
        .collect()
}

/// What client or producer span `c` called: the service of a child span in another service
/// (and whether it failed there), else the peer it names.
fn callee(tree: &TraceTree, c: usize) -> Option<(&str, Option<bool>)> {
    let span = &tree.spans[c];
    match tree.children[c]
        .iter()
        .find(|&&k| tree.spans[k].service != span.service)
    {
        Some(&k) => Some((&tree.spans[k].service, Some(tree.spans[k].is_error()))),
        None => peer_name(span).map(|p| (p, None)),
    }
}

fn is_call(span: &SpanRecord) -> bool {
    span.kind == "client" || span.kind == "producer"
}

/// The traced service a failure at span `i` was passed up from, followed down to where it
/// began: the last call `i`'s request completed before the failure, when it failed in another
/// service, and in that service's request the same again. A retry or fallback that succeeded,
/// or an own bug after calls that went well, is not passed up; neither is a failed call to a
/// peer that sends no spans (a database, a refused connection): the caller is the one to look
/// at.
fn passed_from(tree: &TraceTree, i: usize) -> Option<String> {
    let mut entry = i;
    while let Some(p) =
        tree.parent[entry].filter(|&p| tree.spans[p].service == tree.spans[i].service)
    {
        entry = p;
    }
    let ended = tree.spans[i].end_ns.max(tree.spans[i].start_ns);
    let mut from = failed_callee(tree, entry, ended)?;
    // Each step goes into another service's request, deeper in the tree: it ends. All of a
    // callee's request came before its answer, whatever its clock says.
    while let Some(next) = failed_callee(tree, from, i64::MAX) {
        from = next;
    }
    Some(tree.spans[from].service.clone())
}

/// In the request that `entry` (its service's topmost span) starts, the last call completed by
/// `ended`: its callee's entry span when that call failed there, in a traced service.
fn failed_callee(tree: &TraceTree, entry: usize, ended: i64) -> Option<usize> {
    let service = &tree.spans[entry].service;
    let mut stack = vec![entry];
    let mut last: Option<usize> = None;
    while let Some(c) = stack.pop() {
        let span = &tree.spans[c];
        if is_call(span)
            && span.end_ns <= ended
            && last.is_none_or(|l| span.end_ns > tree.spans[l].end_ns)
        {
            last = Some(c);
        }
        stack.extend(
            tree.children[c]
                .iter()
                .filter(|&&k| tree.spans[k].service == *service),
        );
    }
    let c = last.filter(|&c| tree.spans[c].is_error())?;
    tree.children[c]
        .iter()
        .copied()
        .find(|&k| tree.spans[k].service != *service && tree.spans[k].is_error())
}

fn occurrence(tree: &TraceTree, i: usize) -> OccurrenceDraft {
    let span = &tree.spans[i];
    let exception = span.exception();
    let ex_attr = |k: &str| {
        exception
            .and_then(|e| e.attributes.get(k))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let http_status = span
        .attributes
        .get("http.response.status_code")
        .or_else(|| span.attributes.get("http.status_code"))
        .and_then(Value::as_i64);
    let exception_type = ex_attr("exception.type")
        .map(str::to_string)
        .or_else(|| span.attr_str("error.type").map(str::to_string))
        .or_else(|| {
            http_status
                .filter(|c| *c >= 400)
                .map(|c| format!("HTTP {c}"))
        })
        .unwrap_or_else(|| "Error".to_string());
    let message = ex_attr("exception.message")
        .or(Some(span.status_message.as_str()).filter(|m| !m.is_empty()))
        .unwrap_or(&span.name)
        .to_string();
    let stacktrace = ex_attr("exception.stacktrace");
    let operation = match (
        span.attr_str("code.namespace"),
        span.attr_str("code.function"),
    ) {
        (Some(ns), Some(f)) if !f.starts_with(ns) => format!("{ns}.{f}"),
        (_, Some(f)) => f.to_string(),
        _ => span.name.clone(),
    };
    let path = tree.path_to(i);
    let flow: Vec<String> = path
        .iter()
        .enumerate()
        .map(|(n, &p)| {
            format!(
                "{}. {}: {}",
                n + 1,
                tree.spans[p].service,
                tree.spans[p].name
            )
        })
        .collect();
    let occurred_at = span.end_ns.max(span.start_ns) / 1_000_000;
    let text = |k: &str| span.attr_str(k).map(str::to_string);
    let summary = Summary {
        exception_type: exception_type.clone(),
        message: message.clone(),
        service: span.service.clone(),
        operation: Operation {
            name: span.name.clone(),
            kind: span.kind.clone(),
            code_function: text("code.function"),
            code_namespace: text("code.namespace"),
            code_filepath: text("code.filepath"),
            code_lineno: span.attributes.get("code.lineno").and_then(Value::as_i64),
            http_method: text("http.request.method").or_else(|| text("http.method")),
            http_route: text("http.route"),
            http_status_code: http_status,
            http_url: text("url.full").or_else(|| text("http.url")),
            target: is_call(span)
                .then(|| callee(tree, i).map(|(name, _)| name.to_string()))
                .flatten(),
        },
        timestamp: rfc3339(occurred_at),
        trace_id: span.trace_id.clone(),
        span_id: span.span_id.clone(),
        environment: environment(&span.resource),
        flow,
        passed_from: passed_from(tree, i),
    };
    let passed = summary.passed_from.clone();
    let mut events = span.events.clone();
    events.sort_by_key(|e| e.time_ns);
    // A Sentry SDK's details travel as one attribute of the exception event; the Log shows
    // them as their own section rather than as an attribute.
    let reported: Option<Reported> = events
        .iter_mut()
        .find_map(|e| e.attributes.remove(SENTRY_REPORTED))
        .and_then(|v| serde_json::from_value(v).ok());
    let custom = reported
        .as_ref()
        .map(|r| r.fingerprint.as_slice())
        .filter(|f| !f.is_empty());
    let fingerprint = fingerprint(
        span.project_id,
        &span.service,
        &exception_type,
        stacktrace,
        &operation,
        custom,
    );
    let log = Log {
        stacktrace: stacktrace.map(str::to_string),
        events,
        reported,
    };
    OccurrenceDraft {
        span_id: span.span_id.clone(),
        fingerprint,
        service: span.service.clone(),
        exception_type,
        message,
        operation,
        occurred_at,
        summary,
        log,
        path: path
            .iter()
            .map(|&p| tree.spans[p].span_id.clone())
            .collect(),
        passed_from: passed,
    }
}

/// The resource attributes that describe where the error happened (the SDK's own
/// bookkeeping left out).
fn environment(resource: &Map<String, Value>) -> Map<String, Value> {
    resource
        .iter()
        .filter(|(k, _)| !k.starts_with("telemetry."))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SpanEvent, STATUS_ERROR};

    fn span(id: &str, parent: Option<&str>, service: &str, start: i64) -> SpanRecord {
        SpanRecord {
            project_id: 1,
            trace_id: "abc".into(),
            span_id: id.into(),
            parent_span_id: parent.map(Into::into),
            service: service.into(),
            name: format!("op-{id}"),
            kind: "internal".into(),
            start_ns: start * 1_000_000,
            end_ns: (start + 10) * 1_000_000,
            status_code: 0,
            status_message: String::new(),
            attributes: Default::default(),
            events: vec![],
            resource: Default::default(),
        }
    }

    fn throws(mut s: SpanRecord, ty: &str) -> SpanRecord {
        s.status_code = STATUS_ERROR;
        let mut attributes = Map::new();
        attributes.insert("exception.type".into(), ty.into());
        attributes.insert("exception.message".into(), format!("{ty} happened").into());
        attributes.insert(
            "exception.stacktrace".into(),
            format!("Traceback (most recent call last):\n  File \"x.py\", line 1, in {ty}\n{ty}")
                .into(),
        );
        s.events.push(SpanEvent {
            name: "exception".into(),
            time_ns: s.end_ns,
            attributes,
        });
        s
    }

    /// The shared fixtures (the API suite posts them too): OTLP JSON, decoded as ingestion
    /// decodes it, one file per assembly case under `tests/fixtures/`.
    fn fixture(name: &str) -> Assembly {
        let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
        let body = std::fs::read(&path).unwrap();
        let request = crate::ingest::otlp_json::parse(&body).unwrap();
        let owner = crate::store::TokenOwner {
            token_id: 1,
            project_id: 1,
            service_id: 1,
            service_name: "fixture".into(),
        };
        let spans = crate::ingest::decode::spans(&owner, request).spans;
        let n = spans.len();
        assemble(spans, n)
    }

    fn edges(a: &Assembly) -> Vec<(&str, &str, i64)> {
        a.edges
            .iter()
            .map(|e| (e.caller.as_str(), e.callee.as_str(), e.errors))
            .collect()
    }

    #[test]
    fn a_propagated_failure_is_one_occurrence_at_its_deepest_exception() {
        let a = fixture("checkout");
        assert_eq!(a.occurrences.len(), 1);
        let o = &a.occurrences[0];
        assert_eq!(
            (o.service.as_str(), o.exception_type.as_str()),
            ("inventory", "OutOfStock")
        );
        assert_eq!(o.summary.flow.len(), 7);
        assert_eq!(o.summary.flow[0], "1. gateway: GET /checkout");
        assert_eq!(o.summary.operation.http_route, None);
        assert!(o.log.stacktrace.as_deref().unwrap().contains("OutOfStock"));
    }

    fn kind(mut s: SpanRecord, kind: &str) -> SpanRecord {
        s.kind = kind.into();
        s
    }

    fn failed(mut s: SpanRecord) -> SpanRecord {
        s.status_code = STATUS_ERROR;
        s
    }

    #[test]
    fn an_exception_raised_after_a_failed_downstream_call_is_passed_up_from_that_service() {
        // gateway calls orders, which answers 500 (no exception recorded); the gateway's own
        // code then raises HTTPError in a sibling span of the call.
        let mut call = failed(kind(span("c", Some("h"), "gateway", 1), "client"));
        call.attributes
            .insert("http.request.method".into(), "POST".into());
        call.attributes
            .insert("url.full".into(), "http://orders:5001/orders".into());
        let spans = vec![
            failed(kind(span("r", None, "gateway", 0), "server")),
            failed(span("h", Some("r"), "gateway", 0)),
            call,
            failed(kind(span("o", Some("c"), "orders", 2), "server")),
            throws(span("x", Some("h"), "gateway", 5), "HTTPError"),
        ];
        let a = assemble(spans, 5);
        let found: Vec<_> = a
            .occurrences
            .iter()
            .map(|o| (o.service.as_str(), o.passed_from.as_deref()))
            .collect();
        // orders' failure (status only, nothing fails below it) is its own; the HTTPError is
        // not above it, so it is recorded too, as passed up from orders.
        assert_eq!(found, [("orders", None), ("gateway", Some("orders"))]);
        let gateway = &a.occurrences[1];
        assert_eq!(gateway.summary.passed_from.as_deref(), Some("orders"));
    }

    #[test]
    fn a_failing_call_names_its_method_url_and_target() {
        let mut call = throws(
            kind(span("c", Some("r"), "gateway", 1), "client"),
            "ConnectionError",
        );
        call.attributes
            .insert("http.request.method".into(), "GET".into());
        call.attributes
            .insert("url.full".into(), "http://localhost:5009/stock".into());
        call.attributes
            .insert("server.address".into(), "localhost".into());
        let a = assemble(vec![kind(span("r", None, "gateway", 0), "server"), call], 2);
        let o = &a.occurrences[0].summary;
        assert_eq!(o.operation.http_method.as_deref(), Some("GET"));
        assert_eq!(
            o.operation.http_url.as_deref(),
            Some("http://localhost:5009/stock")
        );
        assert_eq!(o.operation.target.as_deref(), Some("localhost"));
        // A refused connection is the caller's to look at: not passed up.
        assert_eq!(o.passed_from, None);
    }

    #[test]
    fn a_failure_after_a_retry_that_succeeded_is_the_services_own() {
        let spans = vec![
            kind(span("r", None, "gateway", 0), "server"),
            failed(kind(span("c1", Some("r"), "gateway", 1), "client")),
            failed(kind(span("o1", Some("c1"), "orders", 2), "server")),
            kind(span("c2", Some("r"), "gateway", 20), "client"),
            kind(span("o2", Some("c2"), "orders", 21), "server"),
            throws(span("x", Some("r"), "gateway", 40), "KeyError"),
        ];
        let a = assemble(spans, 6);
        let gateway = a
            .occurrences
            .iter()
            .find(|o| o.service == "gateway")
            .unwrap();
        assert_eq!(gateway.passed_from, None);
    }

    #[test]
    fn an_own_bug_in_a_request_whose_calls_succeeded_is_not_passed_up() {
        let spans = vec![
            kind(span("r", None, "gateway", 0), "server"),
            kind(span("c", Some("r"), "gateway", 1), "client"),
            kind(span("o", Some("c"), "orders", 2), "server"),
            throws(span("x", Some("r"), "gateway", 5), "KeyError"),
        ];
        let a = assemble(spans, 4);
        assert_eq!(a.occurrences.len(), 1);
        assert_eq!(a.occurrences[0].passed_from, None);
    }

    #[test]
    fn edges_join_services_that_call_each_other() {
        let a = fixture("checkout");
        assert_eq!(
            edges(&a),
            [("gateway", "orders", 1), ("orders", "inventory", 1)]
        );
        assert_eq!(a.root_service.as_deref(), Some("gateway"));
    }

    #[test]
    fn independent_failures_are_separate_occurrences() {
        let a = fixture("independent-failures");
        let found: Vec<_> = a
            .occurrences
            .iter()
            .map(|o| (o.exception_type.as_str(), o.message.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("KeyError", "'sku'"),
                ("ValueError", "price must be positive"),
                ("Error", "mail relay refused")
            ]
        );
    }

    #[test]
    fn a_status_error_without_exception_reports_the_http_status() {
        let a = fixture("status-without-exception");
        let o = &a.occurrences[0];
        assert_eq!(o.exception_type, "HTTP 503");
        assert_eq!(o.message, "GET /health");
        assert_eq!(o.log.stacktrace, None);
    }

    #[test]
    fn a_client_call_to_an_untraced_database_is_an_edge() {
        let a = fixture("untraced-database");
        assert_eq!(edges(&a), [("accounts", "postgresql", 1)]);
        let o = &a.occurrences[0];
        assert_eq!(
            (o.service.as_str(), o.message.as_str()),
            ("accounts", "connection refused")
        );
    }

    /// A Sentry-captured exception: a span of its own under the span it happened in.
    fn captured(id: &str, parent: &str, service: &str, ty: &str) -> SpanRecord {
        let mut s = throws(span(id, Some(parent), service, 5), ty);
        s.attributes
            .insert(crate::model::SENTRY_EVENT_ID.into(), "e".into());
        s.attributes
            .insert("sentry.captured".into(), "exception".into());
        s
    }

    #[test]
    fn a_sentry_captured_exception_counts_as_thrown_by_the_span_it_happened_in() {
        // The storefront (Sentry) calls payments (OpenTelemetry), which throws; the storefront
        // captures the failure it got back: the cause is payments', once.
        let spans = vec![
            span("root", None, "storefront", 0),
            span("call", Some("root"), "storefront", 1),
            throws(span("pay", Some("call"), "payments", 2), "GatewayRefused"),
            captured("ev", "root", "storefront", "HTTPError"),
        ];
        let a = assemble(spans, 4);
        let types: Vec<_> = a
            .occurrences
            .iter()
            .map(|o| o.exception_type.as_str())
            .collect();
        assert_eq!(types, ["GatewayRefused"]);
        // Alone, it is the cause, and a sibling captured in the same span does not hide it.
        let spans = vec![
            span("root", None, "storefront", 0),
            captured("ev1", "root", "storefront", "KeyError"),
            captured("ev2", "root", "storefront", "ValueError"),
        ];
        let a = assemble(spans, 3);
        assert_eq!(a.occurrences.len(), 2);
        // A captured message beside them hides neither, and is recorded too.
        let mut message = captured("msg", "root", "storefront", "Message");
        message
            .attributes
            .insert("sentry.captured".into(), "message".into());
        let spans = vec![
            span("root", None, "storefront", 0),
            captured("ev1", "root", "storefront", "KeyError"),
            message,
        ];
        assert_eq!(assemble(spans, 3).occurrences.len(), 2);
    }

    #[test]
    fn a_span_whose_parent_never_arrived_hangs_under_the_root() {
        let a = fixture("lost-parent");
        assert_eq!(a.occurrences.len(), 1);
        let o = &a.occurrences[0];
        assert_eq!(o.exception_type, "LookupError");
        assert_eq!(
            o.summary.flow,
            ["1. gateway: GET /cart", "2. cart: GET /cart/items"]
        );
    }

    #[test]
    fn spans_that_name_each_other_as_parent_still_assemble() {
        let a = fixture("reused-span-ids");
        assert_eq!(a.span_count, 2);
        assert_eq!(a.occurrences.len(), 1);
        assert_eq!(a.occurrences[0].exception_type, "TimeoutError");
    }

    /// A chain of `n` failing spans, every one of them throwing (worst case for the old
    /// ancestor test inside nested loops).
    fn throwing_chain(n: usize) -> Vec<SpanRecord> {
        (0..n)
            .map(|i| {
                let parent = (i > 0).then(|| format!("s{}", i - 1));
                throws(
                    span(&format!("s{i}"), parent.as_deref(), "api", i as i64),
                    "Boom",
                )
            })
            .collect()
    }

    #[test]
    fn a_40000_span_chain_of_exceptions_is_one_occurrence_at_the_bottom() {
        let a = assemble(throwing_chain(40_000), 40_000);
        assert_eq!(a.occurrences.len(), 1);
        assert_eq!(a.occurrences[0].span_id, "s39999");
        assert_eq!(a.occurrences[0].path.len(), 40_000);
        assert_eq!(a.truncated, None);
    }

    #[test]
    fn a_trace_assembled_from_part_of_its_spans_says_so() {
        let a = assemble(throwing_chain(100), 250);
        assert_eq!(a.span_count, 250);
        assert_eq!(
            a.truncated.as_deref(),
            Some("assembled from the earliest 100 of its 250 spans")
        );
    }

    #[test]
    fn a_trace_records_at_most_max_occurrences_and_says_how_many_failed() {
        let mut spans = vec![span("root", None, "api", 0)];
        spans.extend(
            (0..500).map(|i| throws(span(&format!("c{i}"), Some("root"), "api", 1 + i), "Boom")),
        );
        let a = assemble(spans, 501);
        assert_eq!(a.occurrences.len(), MAX_OCCURRENCES);
        assert_eq!(
            a.truncated.as_deref(),
            Some("100 of its 500 failures recorded")
        );
    }
}
