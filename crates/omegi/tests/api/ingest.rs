//! OTLP ingestion and trace assembly, end to end through the real server.

use std::io::Write;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::TestServer;
use crate::otlp::{
    checkout, checkout_without_deepest, post, post_proto, request, setup, span, throws, trace_hex,
    wait_errors, wait_for_errors,
};

/// Checks the one error a checkout trace produces: the deepest exception, with its flow,
/// stack trace and the whole trace across the three services.
async fn assert_checkout_error(api: &crate::common::Api, trace: u64) {
    let errors = wait_for_errors(api, 1).await;
    let e = &errors[0];
    assert_eq!(e["exception_type"], "OutOfStock");
    assert_eq!(e["service"], "inventory");
    assert_eq!(e["message"], "sku 42 is sold out");
    assert_eq!(e["status"], "unresolved");
    assert_eq!(e["occurrence_count"], 1);
    let detail = api
        .get(&format!("/api/errors/{}", e["id"]))
        .await
        .expect(StatusCode::OK);
    let o = &detail["latest"];
    let summary = &o["summary"];
    assert_eq!(summary["trace_id"], trace_hex(trace));
    assert_eq!(summary["operation"]["code_function"], "reserve");
    assert_eq!(summary["environment"]["deployment.environment"], "test");
    assert_eq!(
        summary["flow"],
        json!([
            "1. gateway: GET /checkout",
            "2. gateway: POST /orders",
            "3. orders: POST /orders",
            "4. orders: orders.place",
            "5. orders: POST /reserve",
            "6. inventory: POST /reserve",
            "7. inventory: inventory.reserve"
        ])
    );
    let stack = o["log"]["stacktrace"].as_str().unwrap();
    assert!(
        stack.contains("in reserve") && stack.contains("OutOfStock: sku 42"),
        "{stack}"
    );
    assert_eq!(o["log"]["events"][0]["name"], "exception");
    let tr = &o["trace"];
    assert_eq!(tr["span_count"], 7);
    assert_eq!(tr["services"], json!(["gateway", "orders", "inventory"]));
    let spans = tr["spans"].as_array().unwrap();
    let depths: Vec<i64> = spans.iter().map(|s| s["depth"].as_i64().unwrap()).collect();
    assert_eq!(depths, [0, 1, 2, 3, 4, 5, 6]);
    assert!(spans.iter().all(|s| s["on_failing_path"] == true));
    assert_eq!(spans.iter().filter(|s| s["failing"] == true).count(), 1);
    assert_eq!(spans[6]["failing"], true);
}

#[tokio::test]
async fn a_three_service_trace_over_http_protobuf_becomes_one_error() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let reply = post_proto(&t, &s.token, &request(checkout(1))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["content-type"], "application/x-protobuf");
    assert_checkout_error(&s.api, 1).await;
    // The services the spans named were created in the token's project.
    let services = s
        .api
        .get(&format!("/api/projects/{}/services", s.project))
        .await
        .body;
    let names: Vec<&str> = services
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["gateway", "inventory", "orders"]);
    // The whole trace is readable on its own too.
    let trace = s
        .api
        .get(&format!("/api/traces/{}", trace_hex(1)))
        .await
        .expect(StatusCode::OK);
    assert_eq!(trace["span_count"], 7);
}

#[tokio::test]
async fn otlp_json_with_enum_names_and_gzip_is_accepted() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    // OTLP/JSON as the spec writes it: hex ids, camelCase, enum names.
    let mut body = serde_json::to_value(request(checkout(2))).unwrap();
    for rs in body["resourceSpans"].as_array_mut().unwrap() {
        for sp in rs["scopeSpans"][0]["spans"].as_array_mut().unwrap() {
            let kind = match sp["kind"].as_i64().unwrap() {
                1 => "SPAN_KIND_INTERNAL",
                2 => "SPAN_KIND_SERVER",
                _ => "SPAN_KIND_CLIENT",
            };
            sp["kind"] = kind.into();
            if sp["status"]["code"] == 2 {
                sp["status"]["code"] = "STATUS_CODE_ERROR".into();
            }
        }
    }
    assert_eq!(
        body["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"],
        trace_hex(2)
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(body.to_string().as_bytes()).unwrap();
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/traces", t.base))
        .header("x-omegi-token", &s.token)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(gz.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    assert_checkout_error(&s.api, 2).await;
}

#[tokio::test]
async fn otlp_grpc_with_the_token_in_metadata_is_accepted() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let mut client = TraceServiceClient::connect(t.grpc.clone()).await.unwrap();
    let mut req = tonic::Request::new(request(checkout(3)));
    req.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", s.token).parse().unwrap(),
    );
    let answer = client.export(req).await.unwrap().into_inner();
    assert!(answer.partial_success.is_none());
    assert_checkout_error(&s.api, 3).await;

    let mut bad = tonic::Request::new(request(checkout(4)));
    bad.metadata_mut()
        .insert("x-omegi-token", "omg_nope".parse().unwrap());
    let status = client.export(bad).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
}

#[tokio::test]
async fn spans_sent_in_several_batches_and_out_of_order_assemble_into_one_trace() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let mut groups = checkout(5);
    groups.reverse(); // inventory first, the root last
    for (service, spans) in groups {
        for sp in spans.into_iter().rev() {
            let reply = post_proto(&t, &s.token, &request(vec![(service, vec![sp])])).await;
            assert_eq!(reply.status, StatusCode::OK);
        }
    }
    assert_checkout_error(&s.api, 5).await;
}

#[tokio::test]
async fn a_late_span_updates_the_occurrence() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let mut groups = checkout(6);
    let (_, mut inventory) = groups.pop().unwrap();
    let deepest = inventory.pop().unwrap();
    groups.push(("inventory", inventory));
    post_proto(&t, &s.token, &request(groups))
        .await
        .expect(StatusCode::OK);
    // Without the deepest span, the failure is seen at orders' UpstreamError.
    let first = wait_for_errors(&s.api, 1).await;
    assert_eq!(first[0]["exception_type"], "UpstreamError");

    post_proto(&t, &s.token, &request(vec![("inventory", vec![deepest])]))
        .await
        .expect(StatusCode::OK);
    let errors = wait_errors(&s.api, |v| {
        !v.is_empty() && v[0]["exception_type"] == "OutOfStock"
    })
    .await;
    assert_eq!(
        errors.len(),
        1,
        "the occurrence moved; the stale group is gone: {errors:?}"
    );
    assert_eq!(errors[0]["occurrence_count"], 1);
    let detail = s
        .api
        .get(&format!("/api/errors/{}", errors[0]["id"]))
        .await
        .body;
    assert_eq!(detail["latest"]["trace"]["span_count"], 7);
    // The trace's part of the service map was replaced, not added a second time.
    let map = s
        .api
        .get(&format!("/api/projects/{}/service-map", s.project))
        .await
        .expect(StatusCode::OK);
    let calls: Vec<i64> = map["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["calls"].as_i64().unwrap())
        .collect();
    assert_eq!(calls, [1, 1], "{map}");
    let requests = |id: &str| {
        map["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == id)
            .map(|n| n["requests"].clone())
    };
    assert_eq!(requests("inventory"), Some(json!(1)), "{map}");
    assert_eq!(requests("gateway"), Some(json!(1)), "{map}");
}

#[tokio::test]
async fn a_group_that_loses_one_occurrence_and_gains_another_at_once_keeps_its_id() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let (first, deepest) = checkout_without_deepest(7);
    post_proto(&t, &s.token, &request(first))
        .await
        .expect(StatusCode::OK);
    let before = wait_for_errors(&s.api, 1).await;
    assert_eq!(before[0]["exception_type"], "UpstreamError");

    // One export, so both traces settle together and are saved together: trace 7's deepest
    // span moves its occurrence to OutOfStock, and trace 8 brings UpstreamError a new one.
    let (mut both, _) = checkout_without_deepest(8);
    both.push(("inventory", vec![deepest]));
    post_proto(&t, &s.token, &request(both))
        .await
        .expect(StatusCode::OK);
    let errors = wait_for_errors(&s.api, 2).await;
    let of = |kind: &str| errors.iter().find(|e| e["exception_type"] == kind).unwrap();
    // The group is kept (its notes and status with it), not deleted and made again as new.
    assert_eq!(of("UpstreamError")["id"], before[0]["id"], "{errors:?}");
    assert_eq!(of("UpstreamError")["occurrence_count"], 1, "{errors:?}");
    assert_eq!(of("OutOfStock")["occurrence_count"], 1, "{errors:?}");
}

#[tokio::test]
async fn a_hundred_occurrences_of_one_failure_are_one_error_and_two_failures_two() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    use opentelemetry_proto::tonic::trace::v1::span::SpanKind::Server;
    let mut batch = Vec::new();
    for n in 100..200 {
        // A millisecond apart, so that the latest is known: the group shows its message.
        let mut s = span(n, 1, None, "GET /cart", Server);
        s.start_time_unix_nano += (n - 100) * 1_000_000;
        s.end_time_unix_nano += (n - 100) * 1_000_000;
        batch.push(throws(s, "KeyError", &format!("'item-{n}'"), "cart"));
    }
    batch.push(throws(
        span(300, 1, None, "GET /cart", Server),
        "ZeroDivisionError",
        "division by zero",
        "total",
    ));
    post_proto(&t, &s.token, &request(vec![("cart", batch)]))
        .await
        .expect(StatusCode::OK);
    let errors = wait_errors(&s.api, |v| {
        Some(v).is_some_and(|a| {
            a.len() == 2
                && a.iter()
                    .map(|e| e["occurrence_count"].as_i64().unwrap())
                    .sum::<i64>()
                    == 101
        })
    })
    .await;
    let key = |e: &Value| {
        (
            e["exception_type"].as_str().unwrap().to_string(),
            e["occurrence_count"].as_i64().unwrap(),
        )
    };
    let mut got: Vec<_> = errors.iter().map(key).collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("KeyError".to_string(), 100),
            ("ZeroDivisionError".to_string(), 1)
        ]
    );
    let key_error = errors
        .iter()
        .find(|e| e["exception_type"] == "KeyError")
        .unwrap();
    assert_eq!(
        key_error["message"], "'item-199'",
        "the latest occurrence's message"
    );
    let id = key_error["id"].clone();
    let occ = s
        .api
        .get(&format!("/api/errors/{id}/occurrences?limit=500"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(occ.as_array().unwrap().len(), 100);
}

#[tokio::test]
async fn a_resolved_error_reopens_on_a_new_occurrence() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    post_proto(&t, &s.token, &request(checkout(10)))
        .await
        .expect(StatusCode::OK);
    let id = wait_for_errors(&s.api, 1).await[0]["id"].clone();
    let resolved = s
        .api
        .patch(&format!("/api/errors/{id}"), json!({"status": "resolved"}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["status_changed_by"], "alice");
    assert_eq!(resolved["regressed"], false);

    post_proto(&t, &s.token, &request(checkout(11)))
        .await
        .expect(StatusCode::OK);
    let errors = wait_errors(&s.api, |v| !v.is_empty() && v[0]["occurrence_count"] == 2).await;
    assert_eq!(errors[0]["id"], id);
    assert_eq!(errors[0]["status"], "unresolved");
    assert_eq!(errors[0]["regressed"], true);
}

#[tokio::test]
async fn bad_exports_get_their_documented_answer_and_store_nothing() {
    let t = TestServer::start_with(|c| c.max_body = 64 * 1024).await;
    let s = setup(&t).await;
    let good = request(checkout(20)).encode_to_vec();

    let truncated = good[..good.len() - 7].to_vec();
    post(&t, &s.token, "application/x-protobuf", truncated)
        .await
        .expect_error(StatusCode::BAD_REQUEST, "malformed_protobuf");
    post(&t, &s.token, "text/plain", good.clone())
        .await
        .expect_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    post(
        &t,
        &s.token,
        "application/json",
        b"{\"resourceSpans\": [".to_vec(),
    )
    .await
    .expect_error(StatusCode::BAD_REQUEST, "malformed_json");
    post(
        &t,
        "omg_not_a_token",
        "application/x-protobuf",
        good.clone(),
    )
    .await
    .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let reply = reqwest::Client::new()
        .post(format!("{}/v1/traces", t.base))
        .header("content-type", "application/x-protobuf")
        .body(good.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::UNAUTHORIZED);
    let big = vec![b' '; 70 * 1024];
    post(&t, &s.token, "application/json", big)
        .await
        .expect_error(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");

    // Ids of the wrong length: OTLP partial success, the span rejected and named.
    let mut short = request(checkout(20));
    short.resource_spans[0].scope_spans[0].spans.truncate(1);
    short.resource_spans.truncate(1);
    short.resource_spans[0].scope_spans[0].spans[0]
        .trace_id
        .pop();
    let reply = post_proto(&t, &s.token, &short).await;
    assert_eq!(reply.status, StatusCode::OK);
    let answer = ExportTraceServiceResponse::decode(reply_bytes(&reply).as_slice()).unwrap();
    let partial = answer.partial_success.unwrap();
    assert_eq!(partial.rejected_spans, 1);
    assert!(
        partial
            .error_message
            .contains("trace_id must be 16 bytes, got 15"),
        "{}",
        partial.error_message
    );
    let mut json_short = serde_json::to_value(request(checkout(21))).unwrap();
    json_short["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["spanId"] = "abcd".into();
    let reply = post(
        &t,
        &s.token,
        "application/json",
        json_short.to_string().into_bytes(),
    )
    .await;
    let body = reply.expect(StatusCode::OK);
    assert_eq!(body["partialSuccess"]["rejectedSpans"], 1, "{body}");

    // Nothing of trace 20 was stored (trace 21 kept its six good spans).
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    s.api
        .get(&format!("/api/traces/{}", trace_hex(20)))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    let t21 = s
        .api
        .get(&format!("/api/traces/{}", trace_hex(21)))
        .await
        .expect(StatusCode::OK);
    assert_eq!(t21["span_count"], 6);
}

fn reply_bytes(reply: &crate::common::Reply) -> Vec<u8> {
    match &reply.body {
        Value::String(s) => s.as_bytes().to_vec(),
        Value::Null => Vec::new(),
        other => panic!("expected protobuf, got {other}"),
    }
}

#[tokio::test]
async fn a_full_queue_answers_503_with_retry_after_and_loses_nothing_acknowledged() {
    let t = TestServer::start_with(|c| c.ingest_queue = 1).await;
    let s = setup(&t).await;
    use opentelemetry_proto::tonic::trace::v1::span::SpanKind::Server;
    let sends = (0..60u64).map(|n| {
        let body = request(vec![(
            "gateway",
            vec![span(1000 + n, 1, None, "GET /", Server)],
        )]);
        let (t, token) = (&t, s.token.clone());
        async move { (n, post_proto(t, &token, &body).await) }
    });
    let replies = futures_util::future::join_all(sends).await;
    let mut refused = 0;
    let mut stored = Vec::new();
    for (n, r) in replies {
        match r.status {
            StatusCode::OK => stored.push(n),
            StatusCode::SERVICE_UNAVAILABLE => {
                assert!(r.headers.contains_key("retry-after"));
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", r.body),
        }
    }
    assert!(
        refused > 0,
        "60 concurrent exports into a queue of 1 span were all accepted"
    );
    for n in stored {
        s.api
            .get(&format!("/api/traces/{}", trace_hex(1000 + n)))
            .await
            .expect(StatusCode::OK);
    }
}

/// The checkout fixture the assembly unit tests use, sent as an agent would (OTLP/JSON).
#[tokio::test]
async fn the_checkout_fixture_sent_as_otlp_json_becomes_one_inventory_error() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/checkout.json"
    ))
    .unwrap();
    post(&t, &s.token, "application/json", body)
        .await
        .expect(StatusCode::OK);
    let errors = wait_for_errors(&s.api, 1).await;
    assert_eq!(errors[0]["service"], "inventory");
    assert_eq!(errors[0]["exception_type"], "OutOfStock");
    let detail = s
        .api
        .get(&format!("/api/errors/{}", errors[0]["id"]))
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        detail["latest"]["summary"]["flow"]
            .as_array()
            .unwrap()
            .len(),
        7
    );
}
