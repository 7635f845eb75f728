//! One trace must never stall everyone: a huge or deep trace is assembled in bounded work,
//! from at most `--max-spans-per-trace` spans, and says so when it was cut.

use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, Span};
use reqwest::StatusCode;

use crate::common::TestServer;
use crate::otlp::{
    checkout, failed, post_proto, request, setup, setup_as, span, throws, wait_errors,
};

/// A chain of `n` spans under one root, every one failing, the deepest throwing.
fn failing_chain(trace: u64, n: u64) -> Vec<Span> {
    (0..n)
        .map(|i| {
            let s = span(
                trace,
                i,
                i.checked_sub(1),
                &format!("step-{i}"),
                SpanKind::Internal,
            );
            if i == n - 1 {
                throws(s, "Deep", "at the bottom", "bottom")
            } else {
                failed(s)
            }
        })
        .collect()
}

#[tokio::test]
async fn a_20000_span_chain_does_not_hold_up_another_projects_error() {
    let t = TestServer::start().await;
    let deep = setup(&t).await;
    let other = setup_as(&t, "bob", "other", "web").await;
    let (bob, token) = (other.api, other.token);

    post_proto(
        &t,
        &deep.token,
        &request(vec![("deep", failing_chain(1, 20_000))]),
    )
    .await
    .expect(StatusCode::OK);
    post_proto(&t, &token, &request(checkout(2)))
        .await
        .expect(StatusCode::OK);

    // Within the helper's 15 s: before assembly was linear, this waited for minutes.
    let errors = wait_errors(&bob, |e| e.len() == 1).await;
    assert_eq!(errors[0]["exception_type"], "OutOfStock");
    let errors = wait_errors(&deep.api, |e| e.len() == 1).await;
    let detail = deep
        .api
        .get(&format!("/api/errors/{}", errors[0]["id"]))
        .await
        .expect(StatusCode::OK);
    let trace = &detail["latest"]["trace"];
    assert_eq!(trace["span_count"], 20_000);
    assert_eq!(trace["spans"].as_array().unwrap().len(), 10_000);
    assert_eq!(
        trace["truncated"],
        "showing the earliest 10000 of its 20000 spans"
    );
}

#[tokio::test]
async fn max_spans_per_trace_assembles_the_earliest_spans_and_keeps_the_rest_stored() {
    let t = TestServer::start_with(|c| c.max_spans_per_trace = 50).await;
    let ingest = setup(&t).await;
    let mut spans = failing_chain(7, 80);
    // A failure early in the trace, within what is assembled.
    spans[20] = throws(spans[20].clone(), "Early", "within the limit", "early");
    post_proto(&t, &ingest.token, &request(vec![("api", spans)]))
        .await
        .expect(StatusCode::OK);
    let errors = wait_errors(&ingest.api, |e| !e.is_empty()).await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["exception_type"], "Early");
    let trace = ingest
        .api
        .get(&format!("/api/traces/{}", crate::otlp::trace_hex(7)))
        .await
        .expect(StatusCode::OK);
    assert_eq!(trace["span_count"], 80);
    assert_eq!(trace["spans"].as_array().unwrap().len(), 50);
    assert_eq!(
        trace["truncated"],
        "showing the earliest 50 of its 80 spans"
    );
}
