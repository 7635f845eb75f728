//! The errors API the dashboard and error pages use: filters, pages, status changes, live
//! events, service map and statistics — always limited to the caller's projects.

use std::collections::HashSet;
use std::time::Duration;

use opentelemetry_proto::tonic::trace::v1::span::SpanKind::{Internal, Server};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{Api, TestServer};
use crate::otlp::{
    checkout, checkout_ok, kv, post_proto, request, setup, span, throws, trace_hex, wait_errors,
    wait_for_errors, wait_until,
};
use crate::sse::SseStream;

/// Sends one failing root span per (service, type) pair, each a distinct error.
async fn failures(t: &TestServer, token: &str, first_trace: u64, items: &[(&str, &str, &str)]) {
    let groups: Vec<(&str, Vec<_>)> = items
        .iter()
        .enumerate()
        .map(|(i, (service, ty, message))| {
            let n = first_trace + i as u64;
            (
                *service,
                vec![throws(
                    span(n, 1, None, &format!("GET /{ty}"), Server),
                    ty,
                    message,
                    ty,
                )],
            )
        })
        .collect();
    post_proto(t, token, &request(groups))
        .await
        .expect(StatusCode::OK);
}

fn ids(page: &Value) -> Vec<i64> {
    page["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect()
}

fn types(api_page: &Value) -> Vec<String> {
    let mut t: Vec<String> = api_page["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["exception_type"].as_str().unwrap().to_string())
        .collect();
    t.sort();
    t
}

#[tokio::test]
async fn every_filter_of_the_error_list_works() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    failures(
        &t,
        &s.token,
        1,
        &[
            ("cart", "KeyError", "'sku-1' missing"),
            ("cart", "ValueError", "bad quantity"),
            ("payments", "TimeoutError", "card processor timed out"),
        ],
    )
    .await;
    let rows = wait_for_errors(&s.api, 3).await;
    let other_project = s.api.project("blog").await;
    let get = |q: String| {
        let api = s.api.clone();
        async move {
            api.get(&format!("/api/errors?{q}"))
                .await
                .expect(StatusCode::OK)
        }
    };
    assert_eq!(types(&get(format!("project={}", s.project)).await).len(), 3);
    assert_eq!(
        types(&get(format!("project={other_project}")).await).len(),
        0
    );
    assert_eq!(
        types(&get("service=cart".into()).await),
        ["KeyError", "ValueError"]
    );
    assert_eq!(
        types(&get("type=TimeoutError".into()).await),
        ["TimeoutError"]
    );
    assert_eq!(types(&get("q=QUANTITY".into()).await), ["ValueError"]);
    assert_eq!(types(&get("q=keyerr".into()).await), ["KeyError"]);
    assert_eq!(
        types(&get("q=100%25".into()).await).len(),
        0,
        "LIKE wildcards are literal"
    );

    let key = rows
        .iter()
        .find(|e| e["exception_type"] == "KeyError")
        .unwrap()["id"]
        .clone();
    s.api
        .patch(&format!("/api/errors/{key}"), json!({"status": "resolved"}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(types(&get("status=resolved".into()).await), ["KeyError"]);
    assert_eq!(
        types(&get("status=unresolved".into()).await),
        ["TimeoutError", "ValueError"]
    );

    assert_eq!(
        types(&get("since=2999-01-01T00:00:00Z".into()).await).len(),
        0
    );
    assert_eq!(
        types(&get("until=2000-01-01T00:00:00Z".into()).await).len(),
        0
    );
    assert_eq!(
        types(&get("since=2000-01-01T00:00:00Z&until=2999-01-01T00:00:00Z".into()).await).len(),
        3
    );

    // Sorting by count: one failure happens again.
    failures(&t, &s.token, 50, &[("payments", "TimeoutError", "again")]).await;
    wait_errors(&s.api, |v| v.iter().any(|e| e["occurrence_count"] == 2)).await;
    let by_count = get("sort=count".into()).await;
    assert_eq!(by_count["errors"][0]["exception_type"], "TimeoutError");
    let by_first = get("sort=first_seen&limit=1".into()).await;
    assert_eq!(by_first["errors"].as_array().unwrap().len(), 1);
    assert!(by_first["next_cursor"].is_string());

    // The groups with an occurrence in a trace: the trace view's "errors in this trace".
    assert_eq!(
        types(&get(format!("trace={}", trace_hex(2))).await),
        ["ValueError"]
    );
    assert_eq!(
        types(&get(format!("trace={}&status=unresolved", trace_hex(50))).await),
        ["TimeoutError"]
    );
    assert_eq!(
        types(&get(format!("trace={}&status=resolved", trace_hex(50))).await).len(),
        0
    );
    assert_eq!(
        types(&get(format!("trace={}", trace_hex(999))).await).len(),
        0
    );
    let mallory: Api = t.user("mallory").await;
    let theirs = mallory
        .get(&format!("/api/errors?trace={}", trace_hex(1)))
        .await
        .expect(StatusCode::OK);
    assert_eq!(types(&theirs).len(), 0, "a trace of a project not theirs");

    for bad in [
        "status=fixed",
        "since=yesterday",
        "limit=0",
        "cursor=nope",
        "sort=random",
        "trace=not-a-trace",
    ] {
        let reply = s.api.get(&format!("/api/errors?{bad}")).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            reply.body
        );
    }
}

#[tokio::test]
async fn paging_skips_and_repeats_nothing_while_new_errors_arrive() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let first: Vec<String> = (0..25).map(|i| format!("Early{i}")).collect();
    let items: Vec<(&str, &str, &str)> = first.iter().map(|ty| ("api", ty.as_str(), "x")).collect();
    failures(&t, &s.token, 100, &items).await;
    let original: HashSet<i64> = wait_for_errors(&s.api, 25)
        .await
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut round = 0u64;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/errors?limit=6&cursor={c}"),
            None => "/api/errors?limit=6".to_string(),
        };
        let page = s.api.get(&path).await.expect(StatusCode::OK);
        seen.extend(ids(&page));
        // New errors arrive between pages.
        let ty = format!("Late{round}");
        failures(&t, &s.token, 500 + round, &[("api", &ty, "y")]).await;
        round += 1;
        tokio::time::sleep(Duration::from_millis(300)).await;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "a row was repeated: {seen:?}");
    assert!(original.is_subset(&unique), "a row was skipped");
}

#[tokio::test]
async fn resolving_and_reopening_show_on_the_live_stream() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let mut live = SseStream::open(&s.api, None).await;
    post_proto(&t, &s.token, &request(checkout(1)))
        .await
        .expect(StatusCode::OK);
    let new = live.next(Duration::from_secs(10)).await.expect("error.new");
    assert_eq!(new.event, "error.new");
    assert_eq!(new.data["exception_type"], "OutOfStock");
    let id = new.data["id"].clone();

    s.api
        .patch(&format!("/api/errors/{id}"), json!({"status": "resolved"}))
        .await
        .expect(StatusCode::OK);
    let change = live
        .next(Duration::from_secs(5))
        .await
        .expect("error.status");
    assert_eq!(change.event, "error.status");
    assert_eq!(change.data["status"], "resolved");

    post_proto(&t, &s.token, &request(checkout(2)))
        .await
        .expect(StatusCode::OK);
    let back = live
        .next(Duration::from_secs(10))
        .await
        .expect("error.regressed");
    assert_eq!(back.event, "error.regressed");
    assert_eq!(back.data["regressed"], true);
    assert_eq!(back.data["status"], "unresolved");

    s.api
        .patch(&format!("/api/errors/{id}"), json!({"status": "ignored"}))
        .await
        .expect(StatusCode::OK);
    let ignored = live.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(
        (ignored.event.as_str(), &ignored.data["status"]),
        ("error.status", &json!("ignored"))
    );
}

#[tokio::test]
async fn every_occurrence_is_heard_live_as_activity_at_most_once_a_second_and_only_by_members() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let mallory: Api = t.user("mallory").await;
    let mut live = SseStream::open(&s.api, None).await;
    let mut mallory_live = SseStream::open(&mallory, None).await;
    post_proto(&t, &s.token, &request(checkout(1)))
        .await
        .expect(StatusCode::OK);
    let new = live.next(Duration::from_secs(10)).await.expect("error.new");
    let id = new.data["id"].as_i64().unwrap();
    let first = live
        .next_activity(Duration::from_secs(5))
        .await
        .expect("activity");
    assert_eq!(first.id, None, "activity is not replayed, so it has no id");
    assert_eq!(first.data, json!({"projects": [s.project], "errors": [id]}));

    // 30 more occurrences of the same error over three seconds: no new event, but
    // activity, at most once a second.
    let started = tokio::time::Instant::now();
    for n in 2..32 {
        post_proto(&t, &s.token, &request(checkout(n)))
            .await
            .expect(StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut heard = 0;
    while let Some(a) = live.next_activity(Duration::from_millis(1500)).await {
        assert_eq!(a.data["projects"], json!([s.project]));
        assert_eq!(a.data["errors"], json!([id]));
        heard += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    assert!(heard >= 1, "the occurrences were heard");
    assert!(
        f64::from(heard) <= seconds.ceil() + 1.0,
        "{heard} activity events in {seconds:.1} s"
    );
    let error = s.api.get(&format!("/api/errors/{id}")).await.body;
    assert_eq!(error["occurrence_count"], 31);
    assert!(
        live.next(Duration::from_millis(200)).await.is_none(),
        "a known error's occurrences send no stored event"
    );
    assert!(
        mallory_live
            .next_activity(Duration::from_millis(500))
            .await
            .is_none(),
        "mallory heard another project's activity"
    );
}

#[tokio::test]
async fn a_reconnecting_client_gets_what_it_missed() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let mut live = SseStream::open(&s.api, None).await;
    failures(&t, &s.token, 1, &[("api", "FirstError", "1")]).await;
    let first = live.next(Duration::from_secs(10)).await.unwrap();
    let last_id = first.id.clone().expect("events carry ids");
    drop(live);

    // While disconnected: two new errors and a status change.
    failures(
        &t,
        &s.token,
        2,
        &[("api", "SecondError", "2"), ("api", "ThirdError", "3")],
    )
    .await;
    wait_for_errors(&s.api, 3).await;
    s.api
        .patch(
            &format!("/api/errors/{}", first.data["id"]),
            json!({"status": "resolved"}),
        )
        .await
        .expect(StatusCode::OK);

    let mut again = SseStream::open(&s.api, Some(&last_id)).await;
    let mut got = Vec::new();
    for _ in 0..3 {
        let e = again
            .next(Duration::from_secs(5))
            .await
            .expect("a missed event");
        got.push((
            e.event,
            e.data["exception_type"].as_str().unwrap().to_string(),
        ));
    }
    got[..2].sort();
    assert_eq!(
        got,
        [
            ("error.new".to_string(), "SecondError".to_string()),
            ("error.new".to_string(), "ThirdError".to_string()),
            ("error.status".to_string(), "FirstError".to_string()),
        ]
    );
    assert!(
        again.next(Duration::from_millis(1500)).await.is_none(),
        "nothing is repeated"
    );
}

#[tokio::test]
async fn a_non_member_sees_nothing_of_another_projects_errors() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let mallory: Api = t.user("mallory").await;
    let mut mallory_live = SseStream::open(&mallory, None).await;
    post_proto(&t, &s.token, &request(checkout(7)))
        .await
        .expect(StatusCode::OK);
    let e = wait_for_errors(&s.api, 1).await.remove(0);
    let detail = s
        .api
        .get(&format!("/api/errors/{}", e["id"]))
        .await
        .expect(StatusCode::OK);
    let occurrence = detail["latest"]["id"].clone();

    assert_eq!(
        mallory.get("/api/errors").await.expect(StatusCode::OK)["errors"],
        json!([])
    );
    for path in [
        format!("/api/errors/{}", e["id"]),
        format!("/api/errors/{}/occurrences", e["id"]),
        format!("/api/occurrences/{occurrence}"),
        format!("/api/traces/{}", trace_hex(7)),
        format!("/api/projects/{}/service-map", s.project),
        format!("/api/stats?project={}", s.project),
    ] {
        mallory
            .get(&path)
            .await
            .expect_error(StatusCode::NOT_FOUND, "not_found");
    }
    mallory
        .patch(
            &format!("/api/errors/{}", e["id"]),
            json!({"status": "resolved"}),
        )
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    let stats = mallory.get("/api/stats").await.expect(StatusCode::OK);
    assert_eq!(stats["unresolved"], 0);
    s.api
        .patch(
            &format!("/api/errors/{}", e["id"]),
            json!({"status": "resolved"}),
        )
        .await
        .expect(StatusCode::OK);
    assert!(
        mallory_live
            .next(Duration::from_millis(2500))
            .await
            .is_none(),
        "mallory got an event"
    );
    assert_eq!(
        s.api.get(&format!("/api/errors/{}", e["id"])).await.body["status"],
        "resolved"
    );
}

#[tokio::test]
async fn the_service_map_of_a_three_service_trace_has_two_edges_and_marks_the_failing_service() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    post_proto(&t, &s.token, &request(checkout(9)))
        .await
        .expect(StatusCode::OK);
    let e = wait_for_errors(&s.api, 1).await.remove(0);
    let map = s
        .api
        .get(&format!("/api/projects/{}/service-map", s.project))
        .await
        .expect(StatusCode::OK);
    let edges: Vec<(String, String, i64)> = map["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["caller"].as_str().unwrap().into(),
                e["callee"].as_str().unwrap().into(),
                e["calls"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        edges,
        [
            ("gateway".into(), "orders".into(), 1),
            ("orders".into(), "inventory".into(), 1)
        ]
    );
    // Every call took 5 ms; percentiles are read from bins within 1/16 of the truth.
    for e in map["edges"].as_array().unwrap() {
        for p in ["p50_ms", "p95_ms"] {
            let ms = e[p].as_f64().unwrap();
            assert!((ms - 5.0).abs() <= 5.0 / 16.0, "{p} {ms}");
        }
    }
    let node = |id: &str| {
        map["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(map["nodes"].as_array().unwrap().len(), 3);
    assert_eq!(node("inventory")["unresolved"], true);
    assert_eq!(node("gateway")["unresolved"], false);
    assert_eq!(node("orders")["unresolved"], false);
    assert_eq!(node("gateway")["requests"], 1);

    s.api
        .patch(
            &format!("/api/errors/{}", e["id"]),
            json!({"status": "resolved"}),
        )
        .await
        .expect(StatusCode::OK);
    let map = s
        .api
        .get(&format!("/api/projects/{}/service-map", s.project))
        .await
        .expect(StatusCode::OK);
    assert!(map["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["unresolved"] == false));
    let empty = s
        .api
        .get(&format!(
            "/api/projects/{}/service-map?until=2001-01-01T00:00:00Z",
            s.project
        ))
        .await
        .expect(StatusCode::OK);
    assert_eq!(empty["edges"], json!([]));
}

#[tokio::test]
async fn a_failure_passed_up_from_a_call_leaves_its_service_blue_and_the_edge_behind_it_lists_the_traces(
) {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    // The checkout flow, and the gateway's own code raising HTTPError after orders answered
    // with a failure: a second error group, passed up from orders.
    let mut flow = checkout(9);
    flow[0].1.push(throws(
        span(9, 8, Some(1), "raise_for_status", Internal),
        "HTTPError",
        "500 Server Error for url: http://orders/orders",
        "checkout",
    ));
    post_proto(&t, &s.token, &request(flow))
        .await
        .expect(StatusCode::OK);
    post_proto(&t, &s.token, &request(checkout_ok(10)))
        .await
        .expect(StatusCode::OK);
    let errors = wait_for_errors(&s.api, 2).await;
    // The trace that succeeded may be assembled in a later round than the failing one.
    wait_until(
        &s.api,
        &format!("/api/projects/{}/traces?callee=inventory", s.project),
        |v| v.as_array().is_some_and(|t| t.len() == 2),
    )
    .await;
    let http = errors
        .iter()
        .find(|e| e["exception_type"] == "HTTPError")
        .expect("the gateway's HTTPError is recorded");
    assert_eq!(http["service"], "gateway");
    // orders failed because inventory did: followed down to where it began.
    assert_eq!(http["passed_from"], "inventory");
    let detail = s.api.get(&format!("/api/errors/{}", http["id"])).await.body;
    assert_eq!(detail["latest"]["summary"]["passed_from"], "inventory");

    let map = s
        .api
        .get(&format!("/api/projects/{}/service-map", s.project))
        .await
        .expect(StatusCode::OK);
    let red: Vec<&str> = map["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["unresolved"] == true)
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        red,
        ["inventory"],
        "only the service that caused its error is red"
    );
    let culprits: Vec<(&str, &str, bool)> = map["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["caller"].as_str().unwrap(),
                e["callee"].as_str().unwrap(),
                e["culprit"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        culprits,
        [("gateway", "orders", false), ("orders", "inventory", true)]
    );

    // Clicking an edge or a node lists the traces behind it.
    let traces = |query: &str| {
        let api = s.api.clone();
        let path = format!("/api/projects/{}/traces?{query}", s.project);
        async move { api.get(&path).await.expect(StatusCode::OK) }
    };
    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t["trace_id"].as_str().unwrap().to_string())
            .collect()
    };
    let failing = traces("caller=orders&callee=inventory&failing=true").await;
    assert_eq!(ids(&failing), [trace_hex(9)]);
    assert_eq!(failing[0]["root_service"], "gateway");
    assert_eq!(failing[0]["root_name"], "GET /checkout");
    assert_eq!(failing[0]["error_count"], 2);
    assert_eq!(
        ids(&traces("caller=orders&callee=inventory").await),
        [trace_hex(10), trace_hex(9)],
        "newest first"
    );
    assert_eq!(
        ids(&traces("service=inventory&failing=true").await),
        [trace_hex(9)]
    );
    assert_eq!(ids(&traces("callee=nobody").await), Vec::<String>::new());
    s.api
        .get(&format!("/api/projects/{}/traces?limit=0", s.project))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_field");
    let mallory: Api = t.user("mallory").await;
    mallory
        .get(&format!("/api/projects/{}/traces", s.project))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn an_error_counts_its_occurrences_over_time_by_environment_and_release_and_the_list_filters_by_them(
) {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    for (n, release) in [
        (21, Some("1.3.0")),
        (22, Some("1.2.0")),
        (23, Some("1.3.0")),
        (24, None),
    ] {
        let mut req = request(checkout(n));
        if let Some(release) = release {
            for rs in &mut req.resource_spans {
                let resource = rs.resource.as_mut().unwrap();
                resource.attributes.push(kv("service.version", release));
            }
        }
        post_proto(&t, &s.token, &req).await.expect(StatusCode::OK);
    }
    let e = wait_for_errors(&s.api, 1).await.remove(0);
    let id = e["id"].as_i64().unwrap();
    for _ in 0..100 {
        let now = s.api.get(&format!("/api/errors/{id}")).await.body;
        if now["occurrence_count"] == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stats = s
        .api
        .get(&format!("/api/errors/{id}/stats"))
        .await
        .expect(StatusCode::OK);
    let total: i64 = stats["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["occurrences"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 4);
    assert_eq!(stats["bucket_seconds"], 1800);
    assert_eq!(
        stats["environments"],
        json!([{"name": "test", "occurrences": 4}])
    );
    assert_eq!(
        stats["releases"],
        json!([
            {"name": "1.3.0", "occurrences": 2},
            {"name": "1.2.0", "occurrences": 1},
            {"name": null, "occurrences": 1}
        ])
    );
    let past = s
        .api
        .get(&format!(
            "/api/errors/{id}/stats?since=2001-01-01T00:00:00Z&until=2001-01-01T01:00:00Z"
        ))
        .await
        .expect(StatusCode::OK);
    assert_eq!(past["releases"], json!([]));
    assert_eq!(past["timeline"].as_array().unwrap().len(), 61);

    let listed = |query: &'static str| {
        let api = s.api.clone();
        async move {
            ids(&api
                .get(&format!("/api/errors?{query}"))
                .await
                .expect(StatusCode::OK))
        }
    };
    assert_eq!(listed("release=1.2.0").await, [id]);
    assert_eq!(listed("environment=test&release=1.3.0").await, [id]);
    assert_eq!(listed("release=9.9.9").await, Vec::<i64>::new());
    assert_eq!(listed("environment=production").await, Vec::<i64>::new());

    s.api
        .get(&format!("/api/errors/{id}/stats?since=yesterday"))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_field");
    let mallory: Api = t.user("mallory").await;
    mallory
        .get(&format!("/api/errors/{id}/stats"))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn statistics_count_errors_over_time_by_service_type_and_status() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    failures(
        &t,
        &s.token,
        1,
        &[
            ("cart", "KeyError", "a"),
            ("cart", "KeyError", "a"),
            ("pay", "Timeout", "b"),
        ],
    )
    .await;
    let rows = wait_errors(&s.api, |v| {
        v.iter()
            .map(|e| e["occurrence_count"].as_i64().unwrap())
            .sum::<i64>()
            == 3
    })
    .await;
    assert_eq!(rows.len(), 2);
    let stats = s
        .api
        .get(&format!("/api/stats?project={}", s.project))
        .await
        .expect(StatusCode::OK);
    assert_eq!(stats["bucket_seconds"], 1800);
    let total: i64 = stats["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["occurrences"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 3);
    assert_eq!(
        stats["by_service"][0],
        json!({"name": "cart", "occurrences": 2})
    );
    assert_eq!(
        stats["by_type"][1],
        json!({"name": "Timeout", "occurrences": 1})
    );
    assert_eq!(
        (stats["unresolved"].clone(), stats["resolved"].clone()),
        (json!(2), json!(0))
    );
    s.api
        .get("/api/stats?since=2030-01-01T00:00:00Z&until=2020-01-01T00:00:00Z")
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_field");
}

#[tokio::test]
async fn a_user_on_one_node_hears_of_changes_made_on_another() {
    let a = TestServer::start().await;
    let database = a.database.clone();
    let b = TestServer::start_with(|c| c.database = database.clone()).await;
    let s = setup(&a).await;
    post_proto(&a, &s.token, &request(checkout(1)))
        .await
        .expect(StatusCode::OK);
    let id = wait_for_errors(&s.api, 1).await[0]["id"].clone();
    // The same user, signed in on node B.
    let on_b = b.client();
    on_b.post(
        "/api/auth/login",
        json!({"username": "alice", "password": "password-of-alice"}),
    )
    .await
    .expect(StatusCode::OK);
    let mut live = SseStream::open(&on_b, None).await;
    // Node A changes the error; B has no in-process wake-up for it and finds it by polling.
    s.api
        .patch(&format!("/api/errors/{id}"), json!({"status": "resolved"}))
        .await
        .expect(StatusCode::OK);
    let event = live
        .next(Duration::from_secs(5))
        .await
        .expect("the change made on node A");
    assert_eq!(
        (event.event.as_str(), &event.data["status"]),
        ("error.status", &json!("resolved"))
    );
}
