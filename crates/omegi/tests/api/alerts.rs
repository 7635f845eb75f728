//! Alerts reach a local HTTP sink as a receiver would see them: a generic webhook (signed),
//! Slack, Discord and Teams payloads for a new error and a regression, carrying the flow and
//! the knowledge base's answer; spikes fire once, muted and filtered rules stay silent,
//! failures are retried until acknowledged once, and an alert survives a SIGKILL.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus, Uri};
use hmac::{Hmac, Mac};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind::Server;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::common::{fresh_database, Api, Process, TestServer};
use crate::durability::token_for;
use crate::otlp::{
    checkout, checkout_without_deepest, post_proto, request, setup, span, throws, wait_errors,
};

/// One request the sink received.
#[derive(Clone, Debug)]
struct Received {
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
    /// What the sink answered.
    status: u16,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

#[derive(Default)]
struct SinkState {
    received: Vec<Received>,
    /// Answer 500 to this many requests first.
    fail_next: usize,
}

/// A local HTTP server that records every request and answers 200 (or 500 while told to).
#[derive(Clone)]
struct Sink {
    base: String,
    state: Arc<Mutex<SinkState>>,
}

impl Sink {
    async fn start() -> Sink {
        Self::start_on(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()).await
    }

    async fn start_on(listener: tokio::net::TcpListener) -> Sink {
        let state = Arc::new(Mutex::new(SinkState::default()));
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .fallback(record)
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Sink { base, state }
    }

    fn fail_next(&self, n: usize) {
        self.state.lock().unwrap().fail_next = n;
    }

    fn received(&self, path: &str) -> Vec<Received> {
        let s = self.state.lock().unwrap();
        s.received
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Waits until `path` got `n` requests answered 200; returns them.
    async fn wait_for(&self, path: &str, n: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let ok: Vec<Received> = self
                .received(path)
                .into_iter()
                .filter(|r| r.status == 200)
                .collect();
            if ok.len() >= n {
                return ok;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{path} got {} alerts, expected {n}: {:?}",
                ok.len(),
                self.received(path)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn record(
    State(state): State<Arc<Mutex<SinkState>>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> AxumStatus {
    let mut s = state.lock().unwrap();
    let status = if s.fail_next > 0 {
        s.fail_next -= 1;
        AxumStatus::INTERNAL_SERVER_ERROR
    } else {
        AxumStatus::OK
    };
    s.received.push(Received {
        path: uri.path().to_string(),
        headers,
        body: body.to_vec(),
        status: status.as_u16(),
    });
    status
}

/// A test server whose alerts may go to loopback, with short digest window and retries.
async fn alerting_server() -> TestServer {
    TestServer::start_with(|c| {
        c.alerts.allow_local_targets = true;
        c.alerts.digest_window = Duration::from_millis(100);
        c.alerts.retry = Duration::from_millis(100);
    })
    .await
}

/// Creates a channel and returns (id, secret).
async fn channel(api: &Api, p: i64, kind: &str, target: &str) -> (i64, Option<String>) {
    let c = api
        .post(
            &format!("/api/projects/{p}/alert-channels"),
            json!({"name": format!("{kind} channel"), "kind": kind, "target": target}),
        )
        .await
        .expect(StatusCode::CREATED);
    (
        c["id"].as_i64().unwrap(),
        c["secret"].as_str().map(str::to_string),
    )
}

/// A webhook channel to the sink's `/hook` and a rule sending alerts on `trigger` to it.
async fn hook_rule(api: &Api, p: i64, sink: &Sink, trigger: &str) -> i64 {
    let body = json!({"name": trigger, "trigger": trigger});
    sink_rule(api, p, sink, "hook", body).await
}

/// A webhook channel to the sink's `/{path}` and the rule `body` sending alerts to it.
async fn sink_rule(api: &Api, p: i64, sink: &Sink, path: &str, mut body: Value) -> i64 {
    let (c, _) = channel(api, p, "webhook", &format!("{}/{path}", sink.base)).await;
    body["channel_ids"] = json!([c]);
    rule(api, p, body).await;
    c
}

async fn rule(api: &Api, p: i64, body: Value) -> Value {
    api.post(&format!("/api/projects/{p}/alert-rules"), body)
        .await
        .expect(StatusCode::CREATED)
}

/// One failing root span of `service` throwing `ty`, in trace `trace`.
async fn fail(t: &TestServer, token: &str, trace: u64, service: &str, ty: &str) {
    let spans = vec![throws(
        span(trace, 1, None, &format!("GET /{ty}"), Server),
        ty,
        "it broke",
        ty,
    )];
    post_proto(t, token, &request(vec![(service, spans)]))
        .await
        .expect(StatusCode::OK);
}

fn verify(secret: &str, r: &Received) {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(&r.body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        r.headers["x-omegi-signature"].to_str().unwrap(),
        format!("sha256={expected}")
    );
}

#[tokio::test]
async fn webhook_slack_discord_and_teams_hear_of_a_new_error_and_of_its_regression_with_the_fix() {
    let t = alerting_server().await;
    let sink = Sink::start().await;
    let ing = setup(&t).await;
    let (api, p) = (&ing.api, ing.project);
    let mut channels = Vec::new();
    let mut secret = None;
    for kind in ["webhook", "slack", "discord", "teams"] {
        let (id, s) = channel(api, p, kind, &format!("{}/{kind}", sink.base)).await;
        if kind == "webhook" {
            secret = s;
        } else {
            assert!(s.is_none(), "only generic webhooks are signed");
        }
        channels.push(id);
    }
    let secret = secret.expect("a webhook's secret is shown at creation");
    for trigger in ["new", "regression"] {
        rule(
            api,
            p,
            json!({"name": format!("{trigger} errors"), "trigger": trigger, "channel_ids": channels}),
        )
        .await;
    }

    post_proto(&t, &ing.token, &request(checkout(1)))
        .await
        .expect(StatusCode::OK);
    let hook = sink.wait_for("/webhook", 1).await;
    verify(&secret, &hook[0]);
    let body = hook[0].json();
    assert_eq!(body["kind"], "alert");
    assert_eq!(
        hook[0].headers["x-omegi-delivery"].to_str().unwrap(),
        body["delivery_id"]
    );
    let alert = &body["alerts"][0];
    assert_eq!(alert["trigger"], "new");
    assert_eq!(alert["error"]["exception_type"], "OutOfStock");
    assert_eq!(alert["error"]["service"], "inventory");
    assert_eq!(alert["error"]["environment"], "test");
    let error_id = alert["error"]["id"].as_i64().unwrap();
    assert_eq!(
        alert["error"]["url"],
        format!("{}/errors/{error_id}", t.base)
    );
    let flow: Vec<&str> = alert["flow"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(flow.first(), Some(&"1. gateway: GET /checkout"));
    assert_eq!(flow.last(), Some(&"7. inventory: inventory.reserve"));

    let slack = sink.wait_for("/slack", 1).await[0].json();
    assert!(slack["text"].as_str().unwrap().contains("OutOfStock"));
    let blocks = serde_json::to_string(&slack["blocks"]).unwrap();
    assert!(blocks.contains("1. gateway: GET /checkout"), "{blocks}");
    let discord = sink.wait_for("/discord", 1).await[0].json();
    assert_eq!(
        discord["embeds"][0]["url"],
        format!("{}/errors/{error_id}", t.base)
    );
    let teams = sink.wait_for("/teams", 1).await[0].json();
    assert_eq!(
        teams["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );

    // Alice resolves it, telling the cause, the fix and the release; it happens again.
    api.patch(
        &format!("/api/errors/{error_id}"),
        json!({"status": "resolved", "resolution": {
            "cause": "Stock cache was stale", "fix": "Flush the stock cache after imports.",
            "fix_link": "https://git.example/shop/pull/7", "release": "v2"}}),
    )
    .await
    .expect(StatusCode::OK);
    post_proto(&t, &ing.token, &request(checkout(2)))
        .await
        .expect(StatusCode::OK);
    let hook = sink.wait_for("/webhook", 2).await;
    verify(&secret, &hook[1]);
    let again = &hook[1].json()["alerts"][0];
    assert_eq!(again["trigger"], "regression");
    let resolution = &again["knowledge"]["resolution"];
    assert_eq!(resolution["resolved_by"], "alice");
    assert!(resolution["resolved_at"].is_string());
    assert_eq!(resolution["release"], "v2");
    assert_eq!(
        resolution["note"]["title"],
        "Resolved: OutOfStock in inventory"
    );
    assert!(resolution["note"]["excerpt"]
        .as_str()
        .unwrap()
        .contains("Stock cache was stale"));
    for path in ["/slack", "/discord", "/teams"] {
        let text = String::from_utf8(sink.wait_for(path, 2).await[1].body.clone()).unwrap();
        assert!(text.contains("Regression"), "{path}: {text}");
        assert!(text.contains("Stock cache was stale"), "{path}: {text}");
        assert!(text.contains("alice"), "{path}: {text}");
        assert!(text.contains("in release v2"), "{path}: {text}");
    }

    // The error page lists what it sent; the history has every delivery.
    let sent = api
        .get(&format!("/api/errors/{error_id}/alerts"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(sent.as_array().unwrap().len(), 8);
    assert!(sent
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["status"] == "sent" && d["response_code"] == 200));
    t.stop().await;
}

#[tokio::test]
async fn a_new_error_without_notes_brings_the_note_of_one_solved_before() {
    let t = alerting_server().await;
    let sink = Sink::start().await;
    let ing = setup(&t).await;
    let (api, p) = (&ing.api, ing.project);
    fail(&t, &ing.token, 1, "billing", "PoolTimeout").await;
    let first = wait_errors(api, |e| e.len() == 1).await[0]["id"]
        .as_i64()
        .unwrap();
    let note = api
        .post(
            "/api/notes",
            json!({"title": "Raise the pool", "body": "We raised the pool to 50.", "kind": "error",
                   "error_id": first, "visibility": "public"}),
        )
        .await
        .expect(StatusCode::CREATED)["id"]
        .as_i64()
        .unwrap();
    hook_rule(api, p, &sink, "new").await;
    // The same type in another service: another error, solved before.
    fail(&t, &ing.token, 2, "ledger", "PoolTimeout").await;
    let alert = &sink.wait_for("/hook", 1).await[0].json()["alerts"][0];
    assert_eq!(alert["error"]["service"], "ledger");
    let solved = &alert["knowledge"]["solved_before"];
    assert_eq!(solved["title"], "Raise the pool");
    assert_eq!(solved["url"], format!("{}/notes/{note}", t.base));
    t.stop().await;
}

#[tokio::test]
async fn a_spike_rule_fires_once_and_muted_or_filtered_rules_stay_silent() {
    let t = alerting_server().await;
    let sink = Sink::start().await;
    let ing = setup(&t).await;
    let (api, p) = (&ing.api, ing.project);
    let mut ids = std::collections::HashMap::new();
    for path in [
        "spike", "muted", "service", "type", "env", "count", "control",
    ] {
        ids.insert(
            path,
            channel(api, p, "webhook", &format!("{}/{path}", sink.base))
                .await
                .0,
        );
    }
    let next_hour = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let rules = [
        json!({"name": "spike", "trigger": "spike", "spike_count": 3, "spike_minutes": 10, "channel_ids": [ids["spike"]]}),
        json!({"name": "muted", "trigger": "occurrence", "muted_until": next_hour, "channel_ids": [ids["muted"]]}),
        json!({"name": "other service", "trigger": "occurrence", "service": "billing", "channel_ids": [ids["service"]]}),
        json!({"name": "timeouts", "trigger": "occurrence", "exception_type": "*Timeout*", "channel_ids": [ids["type"]]}),
        json!({"name": "production", "trigger": "occurrence", "environment": "production", "channel_ids": [ids["env"]]}),
        json!({"name": "frequent", "trigger": "occurrence", "min_count": 100, "channel_ids": [ids["count"]]}),
        json!({"name": "control", "trigger": "occurrence", "channel_ids": [ids["control"]]}),
    ];
    for r in rules {
        rule(api, p, r).await;
    }
    for trace in 1..=6 {
        fail(&t, &ing.token, trace, "gateway", "OutOfStock").await;
        if trace == 3 {
            sink.wait_for("/spike", 1).await;
        }
    }
    wait_errors(api, |e| {
        e.len() == 1 && e[0]["occurrence_count"].as_i64() == Some(6)
    })
    .await;
    // The control rule fired on the first occurrence: rules were evaluated.
    sink.wait_for("/control", 1).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let spike = sink.received("/spike");
    assert_eq!(spike.len(), 1, "a spike alerts once, not per occurrence");
    assert_eq!(spike[0].json()["alerts"][0]["detail"]["count"], 3);
    assert_eq!(
        sink.received("/control").len(),
        1,
        "one alert per rule and error per interval"
    );
    for silent in ["/muted", "/service", "/type", "/env", "/count"] {
        assert!(sink.received(silent).is_empty(), "{silent} got an alert");
    }
    t.stop().await;
}

/// stop 37 made a save move a trace's occurrence to another group after the save's new
/// occurrences are counted: a rule must see a group's count as it is once the save is done.
#[tokio::test]
async fn a_count_filter_sees_a_group_that_swaps_occurrences_at_its_count_after_the_save() {
    let t = alerting_server().await;
    let sink = Sink::start().await;
    let ing = setup(&t).await;
    let (api, p) = (&ing.api, ing.project);
    // Every rule alerts once an interval for each error; each kind is one error here.
    let twice = json!({"name": "twice", "trigger": "occurrence", "min_count": 2});
    sink_rule(api, p, &sink, "twice", twice).await;
    let every = json!({"name": "every", "trigger": "occurrence"});
    sink_rule(api, p, &sink, "every", every).await;

    let (first, deepest) = checkout_without_deepest(7);
    post_proto(&t, &ing.token, &request(first))
        .await
        .expect(StatusCode::OK);
    sink.wait_for("/every", 1).await;
    // One export, saved together: trace 7 leaves UpstreamError for OutOfStock, and trace 8
    // brings UpstreamError a new occurrence, so it still has one.
    let (mut both, _) = checkout_without_deepest(8);
    both.push(("inventory", vec![deepest]));
    post_proto(&t, &ing.token, &request(both))
        .await
        .expect(StatusCode::OK);
    sink.wait_for("/every", 2).await; // OutOfStock's
    let errors = wait_errors(api, |e| e.len() == 2).await;
    let upstream = errors
        .iter()
        .find(|e| e["exception_type"] == "UpstreamError")
        .unwrap();
    assert_eq!(upstream["occurrence_count"], 1, "{errors:?}");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        sink.received("/twice").is_empty(),
        "an error with one occurrence passed a rule for two: {:?}",
        sink.received("/twice")
            .iter()
            .map(Received::json)
            .collect::<Vec<_>>()
    );

    // Its second occurrence does pass it.
    let (third, _) = checkout_without_deepest(9);
    post_proto(&t, &ing.token, &request(third))
        .await
        .expect(StatusCode::OK);
    let alert = &sink.wait_for("/twice", 1).await[0].json()["alerts"][0];
    assert_eq!(alert["error"]["exception_type"], "UpstreamError", "{alert}");
    t.stop().await;
}

#[tokio::test]
async fn many_errors_at_once_fold_into_one_digest() {
    let t = alerting_server().await;
    let sink = Sink::start().await;
    let ing = setup(&t).await;
    hook_rule(&ing.api, ing.project, &sink, "new").await;
    let groups: Vec<(&str, Vec<_>)> = (1..=5)
        .map(|n| {
            let ty = format!("Failure{n}");
            (
                "gateway",
                vec![throws(
                    span(n, 1, None, &format!("GET /{n}"), Server),
                    &ty,
                    "no",
                    &ty,
                )],
            )
        })
        .collect();
    post_proto(&t, &ing.token, &request(groups))
        .await
        .expect(StatusCode::OK);
    let got = sink.wait_for("/hook", 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.received("/hook").len(), 1, "one message, not five");
    let body = got[0].json();
    assert_eq!(body["kind"], "digest");
    assert_eq!(body["alerts"].as_array().unwrap().len(), 5);
    t.stop().await;
}

#[tokio::test]
async fn a_sink_failing_three_times_gets_the_alert_once() {
    let t = alerting_server().await;
    let sink = Sink::start().await;
    sink.fail_next(3);
    let ing = setup(&t).await;
    hook_rule(&ing.api, ing.project, &sink, "new").await;
    fail(&t, &ing.token, 1, "gateway", "OutOfStock").await;
    sink.wait_for("/hook", 1).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let all = sink.received("/hook");
    assert_eq!(
        all.iter().map(|r| r.status).collect::<Vec<_>>(),
        [500, 500, 500, 200]
    );
    let ids: Vec<&str> = all
        .iter()
        .map(|r| r.headers["x-omegi-delivery"].to_str().unwrap())
        .collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "retries keep the delivery id"
    );
    let history = ing
        .api
        .get(&format!("/api/projects/{}/alert-deliveries", ing.project))
        .await
        .expect(StatusCode::OK);
    assert_eq!(history.as_array().unwrap().len(), 1);
    assert_eq!(history[0]["status"], "sent");
    assert_eq!(history[0]["attempts"], 4);
    assert_eq!(history[0]["response_code"], 200);
    t.stop().await;
}

#[tokio::test]
async fn an_alert_waiting_in_the_outbox_is_sent_once_after_a_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let database = fresh_database(dir.path()).await;
    let sink = Sink::start().await;
    sink.fail_next(usize::MAX);
    let args = [
        "--trace-settle",
        "100ms",
        "--alert-allow-local-targets",
        "--alert-retry",
        "3s",
        "--alert-digest-window",
        "100ms",
    ];
    let first = Process::spawn(&database, &args).await;
    let api = first.api();
    let token = token_for(&api).await;
    let p = api.get("/api/projects").await.expect(StatusCode::OK)[0]["id"]
        .as_i64()
        .unwrap();
    hook_rule(&api, p, &sink, "new").await;
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/traces", first.base))
        .header("x-omegi-token", &token)
        .header("content-type", "application/x-protobuf")
        .body(prost::Message::encode_to_vec(&request(checkout(1))))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // The alert is in the outbox, tried once and refused by the sink; the next try is seconds
    // away when the node is killed.
    crate::otlp::wait_until(&api, &format!("/api/projects/{p}/alert-deliveries"), |h| {
        h[0]["last_error"].is_string()
    })
    .await;
    first.kill();
    sink.fail_next(0);
    let tried_before = sink.received("/hook").len();

    let second = Process::spawn(&database, &args).await;
    let delivered = sink.wait_for("/hook", 1).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(sink.wait_for("/hook", 1).await.len(), 1, "delivered once");
    assert_eq!(delivered[0].json()["alerts"][0]["trigger"], "new");
    assert!(sink.received("/hook").len() > tried_before);
    let api = second.api();
    api.post(
        "/api/auth/login",
        json!({"username": "alice", "password": "password-1"}),
    )
    .await
    .expect(StatusCode::OK);
    let history = api
        .get(&format!("/api/projects/{p}/alert-deliveries"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(history.as_array().unwrap().len(), 1);
    assert_eq!(history[0]["status"], "sent");
    second.kill();
}

#[tokio::test]
async fn channel_secrets_are_for_owners_and_local_urls_are_refused() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    let bob = t.user("bob").await;
    let eve = t.user("eve").await;
    let p = alice.project("shop").await;
    alice
        .post(
            &format!("/api/projects/{p}/members"),
            json!({"username": "bob", "role": "member"}),
        )
        .await
        .expect(StatusCode::OK);
    let path = format!("/api/projects/{p}/alert-channels");
    for url in [
        "http://127.0.0.1:9/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:8080/admin",
        "file:///etc/passwd",
    ] {
        let msg = alice
            .post(
                &path,
                json!({"name": "x", "kind": "webhook", "target": url}),
            )
            .await
            .expect_error(StatusCode::BAD_REQUEST, "invalid_field");
        assert!(msg.starts_with("target"), "{url}: {msg}");
    }
    let slack = "https://hooks.slack.example/services/T0/B0/secretpart";
    let created = alice
        .post(
            &path,
            json!({"name": "ops", "kind": "slack", "target": slack}),
        )
        .await
        .expect(StatusCode::CREATED);
    let hook = alice
        .post(
            &path,
            json!({"name": "hook", "kind": "webhook", "target": "https://hooks.example/omegi"}),
        )
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(hook["secret"].as_str().unwrap().len(), 43);
    assert_eq!(created["target"], slack);

    let seen_by_owner = alice.get(&path).await.expect(StatusCode::OK);
    assert_eq!(seen_by_owner[0]["target"], slack);
    assert!(
        !seen_by_owner
            .to_string()
            .contains(hook["secret"].as_str().unwrap()),
        "the secret is never listed"
    );
    let seen_by_member = bob.get(&path).await.expect(StatusCode::OK);
    assert_eq!(seen_by_member[0]["target"], "https://hooks.slack.example/…");
    assert!(!seen_by_member.to_string().contains("secretpart"));
    bob.post(
        &path,
        json!({"name": "mine", "kind": "webhook", "target": "https://hooks.example/x"}),
    )
    .await
    .expect_error(StatusCode::FORBIDDEN, "forbidden");
    let cid = created["id"].as_i64().unwrap();
    bob.post(&format!("{path}/{cid}/test"), json!({}))
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    bob.post(
        &format!("/api/projects/{p}/alert-rules"),
        json!({"name": "r", "trigger": "new", "channel_ids": [cid]}),
    )
    .await
    .expect_error(StatusCode::FORBIDDEN, "forbidden");
    // A failed delivery's error names no URL: the member reads the history.
    let tried = alice
        .post(&format!("{path}/{cid}/test"), json!({}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(tried["delivered"], false);
    let history = bob
        .get(&format!("/api/projects/{p}/alert-deliveries"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(history[0]["status"], "failed");
    assert!(history[0]["last_error"].is_string());
    assert!(!history.to_string().contains("secretpart"), "{history}");
    for who in [&eve] {
        who.get(&path).await.expect(StatusCode::NOT_FOUND);
        who.get(&format!("/api/projects/{p}/alert-rules"))
            .await
            .expect(StatusCode::NOT_FOUND);
        who.get(&format!("/api/projects/{p}/alert-deliveries"))
            .await
            .expect(StatusCode::NOT_FOUND);
    }
    // Rules name what is wrong with them.
    for (body, field) in [
        (
            json!({"name": "r", "trigger": "spike", "channel_ids": [cid]}),
            "spike_count",
        ),
        (
            json!({"name": "r", "trigger": "new", "channel_ids": []}),
            "channel_ids",
        ),
        (
            json!({"name": "r", "trigger": "new", "channel_ids": [9999]}),
            "channel_ids",
        ),
        (
            json!({"name": "r", "trigger": "new", "exception_type": "[", "channel_ids": [cid]}),
            "exception_type",
        ),
        (
            json!({"name": "r", "trigger": "new", "muted_until": "tomorrow", "channel_ids": [cid]}),
            "muted_until",
        ),
        (
            json!({"name": "r", "trigger": "new", "interval_minutes": 0, "channel_ids": [cid]}),
            "interval_minutes",
        ),
    ] {
        let msg = alice
            .post(&format!("/api/projects/{p}/alert-rules"), body)
            .await
            .expect_error(StatusCode::BAD_REQUEST, "invalid_field");
        assert!(msg.starts_with(field), "{field}: {msg}");
    }
    alice
        .post(
            &path,
            json!({"name": "mail", "kind": "email", "target": "ops@example.com"}),
        )
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_field");
    t.stop().await;
}

#[tokio::test]
async fn a_test_alert_is_sent_now_and_recorded() {
    let t = alerting_server().await;
    let sink = Sink::start().await;
    sink.fail_next(1);
    let ing = setup(&t).await;
    let (c, secret) = channel(
        &ing.api,
        ing.project,
        "webhook",
        &format!("{}/hook", sink.base),
    )
    .await;
    let path = format!("/api/projects/{}/alert-channels/{c}/test", ing.project);
    let failed = ing.api.post(&path, json!({})).await.expect(StatusCode::OK);
    assert_eq!(failed["delivered"], false);
    assert_eq!(failed["response_code"], 500);
    let ok = ing.api.post(&path, json!({})).await.expect(StatusCode::OK);
    assert_eq!(ok["delivered"], true);
    let got = sink.received("/hook");
    assert_eq!(got[1].json()["kind"], "test");
    verify(&secret.unwrap(), &got[1]);
    let history = ing
        .api
        .get(&format!("/api/projects/{}/alert-deliveries", ing.project))
        .await
        .expect(StatusCode::OK);
    let statuses: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["sent", "failed"]);
    t.stop().await;
}

#[tokio::test]
async fn two_nodes_on_one_postgresql_send_each_alert_once() {
    if !crate::common::on_postgres() {
        return;
    }
    let a = alerting_server().await;
    let database = a.database.clone();
    let b = TestServer::start_with(|c| {
        c.database = database;
        c.alerts.allow_local_targets = true;
        c.alerts.digest_window = Duration::ZERO;
    })
    .await;
    let sink = Sink::start().await;
    let ing = setup(&a).await;
    hook_rule(&ing.api, ing.project, &sink, "occurrence").await;
    for n in 1..=12u64 {
        let node = if n % 2 == 0 { &a } else { &b };
        fail(node, &ing.token, n, "gateway", &format!("Failure{n}")).await;
    }
    // Errors a message names (a digest spells out five and counts the rest).
    let alerted = || -> (usize, Vec<i64>) {
        let mut total = 0;
        let mut ids = Vec::new();
        for r in sink.received("/hook") {
            let body = r.json();
            let alerts = body["alerts"].as_array().unwrap();
            total += alerts.len() + body["omitted"].as_u64().unwrap() as usize;
            ids.extend(alerts.iter().map(|a| a["error"]["id"].as_i64().unwrap()));
        }
        (total, ids)
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while alerted().0 < 12 {
        assert!(tokio::time::Instant::now() < deadline, "{:?}", alerted());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (total, mut ids) = alerted();
    assert_eq!(total, 12, "no alert sent twice");
    let named = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), named, "no error named twice");
    let history = ing
        .api
        .get(&format!("/api/projects/{}/alert-deliveries", ing.project))
        .await
        .expect(StatusCode::OK);
    assert_eq!(history.as_array().unwrap().len(), 12);
    assert!(history
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["status"] == "sent" && d["attempts"] == 1));
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn a_service_turning_red_alerts_on_its_first_unresolved_error_only() {
    let t = alerting_server().await;
    let sink = Sink::start().await;
    let ing = setup(&t).await;
    let (api, p) = (&ing.api, ing.project);
    hook_rule(api, p, &sink, "service_red").await;
    fail(&t, &ing.token, 1, "payments", "CardDeclined").await;
    let first = sink.wait_for("/hook", 1).await[0].json();
    assert_eq!(first["alerts"][0]["trigger"], "service_red");
    assert_eq!(first["alerts"][0]["detail"]["service"], "payments");
    // Another error of the already red service, and one of another service.
    fail(&t, &ing.token, 2, "payments", "Timeout").await;
    fail(&t, &ing.token, 3, "ledger", "Mismatch").await;
    let both = sink.wait_for("/hook", 2).await;
    assert_eq!(both[1].json()["alerts"][0]["detail"]["service"], "ledger");
    let errors = wait_errors(api, |e| e.len() == 3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.received("/hook").len(), 2, "payments was already red");
    // Green again once its errors are resolved; the next one turns it red.
    for e in errors.iter().filter(|e| e["service"] == "payments") {
        api.patch(
            &format!("/api/errors/{}", e["id"]),
            json!({"status": "resolved"}),
        )
        .await
        .expect(StatusCode::OK);
    }
    fail(&t, &ing.token, 4, "payments", "Overdraft").await;
    let third = sink.wait_for("/hook", 3).await[2].json();
    assert_eq!(third["alerts"][0]["error"]["exception_type"], "Overdraft");
    t.stop().await;
}
