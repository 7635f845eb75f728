//! The knowledge base beyond notes: resolving with a resolution note, "fixed before by" when
//! an error regresses, "solved before?" ranked and explained (the symptom in another service
//! included), the vault export and import, inline #tags, links the graph and the body agree
//! on, local graphs and notifications.

use std::io::{Cursor, Read, Write};
use std::time::Duration;

use opentelemetry_proto::tonic::trace::v1::span::SpanKind::{Internal, Server};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{Api, TestServer};
use crate::otlp::{checkout, post_proto, request, setup, span, throws, wait_for_errors};
use crate::sse::SseStream;

async fn note(api: &Api, body: Value) -> i64 {
    api.post("/api/notes", body)
        .await
        .expect(StatusCode::CREATED)["id"]
        .as_i64()
        .unwrap()
}

/// The (reason, title, why) of each suggestion for an error.
async fn suggestions(api: &Api, error: i64) -> Vec<(String, String, String)> {
    api.get(&format!("/api/errors/{error}/notes"))
        .await
        .expect(StatusCode::OK)
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["reason"].as_str().unwrap().to_string(),
                s["note"]["title"].as_str().unwrap().to_string(),
                s["why"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A Python failure of `service` whose traceback runs through `frames` (newest last).
fn python_failure(
    trace: u64,
    service: &str,
    ty: &str,
    message: &str,
    frames: &[&str],
) -> Vec<(String, Vec<opentelemetry_proto::tonic::trace::v1::Span>)> {
    python_failure_in(trace, service, "POST /pay", ty, message, frames)
}

fn python_failure_in(
    trace: u64,
    service: &str,
    operation: &str,
    ty: &str,
    message: &str,
    frames: &[&str],
) -> Vec<(String, Vec<opentelemetry_proto::tonic::trace::v1::Span>)> {
    let mut stack = String::from("Traceback (most recent call last):\n");
    for f in frames {
        stack.push_str(&format!(
            "  File \"/srv/shop/{f}.py\", line {}, in {f}\n    x()\n",
            trace * 7 + 3
        ));
    }
    stack.push_str(&format!("{ty}: {message}"));
    let mut s = throws(span(trace, 1, None, operation, Server), ty, message, "pay");
    for event in &mut s.events {
        for kv in &mut event.attributes {
            if kv.key == "exception.stacktrace" {
                kv.value = Some(opentelemetry_proto::tonic::common::v1::AnyValue {
                    value: Some(
                        opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue(
                            stack.clone(),
                        ),
                    ),
                });
            }
        }
    }
    vec![(service.to_string(), vec![s])]
}

async fn send(
    t: &TestServer,
    token: &str,
    groups: Vec<(String, Vec<opentelemetry_proto::tonic::trace::v1::Span>)>,
) {
    let groups = groups
        .iter()
        .map(|(s, spans)| (s.as_str(), spans.clone()))
        .collect();
    post_proto(t, token, &request(groups))
        .await
        .expect(StatusCode::OK);
}

fn error_id(errors: &[Value], pick: impl Fn(&Value) -> bool) -> i64 {
    errors.iter().find(|e| pick(e)).expect("the error")["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn resolving_tells_how_and_a_regression_says_who_fixed_it_before() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    post_proto(&t, &s.token, &request(checkout(1)))
        .await
        .expect(StatusCode::OK);
    let id = wait_for_errors(&s.api, 1).await[0]["id"].as_i64().unwrap();

    // A resolution only goes with resolving, and its link must be a web address.
    s.api
        .patch(
            &format!("/api/errors/{id}"),
            json!({"status": "ignored", "resolution": {"cause": "x"}}),
        )
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_field");
    let refused = s
        .api
        .patch(
            &format!("/api/errors/{id}"),
            json!({"status": "resolved", "resolution": {"fix": "x", "fix_link": "javascript:alert(1)"}}),
        )
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_field");
    assert!(refused.contains("fix_link"), "{refused}");
    s.api
        .patch(
            &format!("/api/errors/{id}"),
            json!({"status": "resolved", "resolution": {}}),
        )
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_field");
    assert_eq!(
        s.api.get(&format!("/api/errors/{id}")).await.body["status"],
        "unresolved",
        "a refused resolution changes nothing"
    );

    let resolved = s
        .api
        .patch(
            &format!("/api/errors/{id}"),
            json!({"status": "resolved", "resolution": {
                "cause": "The stock cache kept sold-out items.",
                "fix": "Flush it after every import.",
                "fix_link": "https://git.example/shop/pull/7",
                "release": "1.4.2"}}),
        )
        .await
        .expect(StatusCode::OK);
    let r = &resolved["resolution"];
    assert_eq!(r["resolved_by"], "alice");
    assert_eq!(r["release"], "1.4.2");
    assert_eq!(r["note_title"], "Resolved: OutOfStock in inventory");
    let note_id = r["note_id"].as_i64().unwrap();
    let n = s
        .api
        .get(&format!("/api/notes/{note_id}"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(n["kind"], "error");
    assert_eq!(n["error_id"], id);
    assert_eq!(n["visibility"], "public");
    assert_eq!(n["tags"], json!(["resolution"]));
    let body = n["body"].as_str().unwrap();
    assert!(body.contains("The stock cache kept sold-out items."));
    assert!(body.contains("<https://git.example/shop/pull/7>"));
    assert!(body.contains("`1.4.2`"));

    // It happens again: the live regression event and the error page say who fixed it,
    // when, in which release, and link the note.
    let mut events = SseStream::open(&s.api, None).await;
    post_proto(&t, &s.token, &request(checkout(2)))
        .await
        .expect(StatusCode::OK);
    let regressed = loop {
        let e = events
            .next(Duration::from_secs(20))
            .await
            .expect("a regression event");
        if e.event == "error.regressed" {
            break e.data;
        }
    };
    assert_eq!(regressed["id"], id);
    assert_eq!(regressed["resolution"]["resolved_by"], "alice");
    assert_eq!(regressed["resolution"]["release"], "1.4.2");
    assert_eq!(regressed["resolution"]["note_id"], note_id);
    let page = s.api.get(&format!("/api/errors/{id}")).await.body;
    assert_eq!(page["status"], "unresolved");
    assert_eq!(page["regressed"], true);
    assert_eq!(page["resolution"]["note_id"], note_id);
    assert!(page["resolution"]["resolved_at"].is_string());

    // Resolving again without telling how forgets the old fix: it did not hold.
    let plain = s
        .api
        .patch(&format!("/api/errors/{id}"), json!({"status": "resolved"}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(plain["resolution"]["note_id"], Value::Null);
    assert_eq!(plain["resolution"]["release"], Value::Null);
}

#[tokio::test]
async fn solved_before_ranks_by_what_the_errors_share_and_says_why() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let frames = ["views", "checkout", "payments", "charge"];
    // The error being looked at, and candidates with notes.
    send(
        &t,
        &s.token,
        python_failure(
            1,
            "shop",
            "CardDeclined",
            "card 4242 declined by bank 'acme'",
            &frames,
        ),
    )
    .await;
    // Same type, same frames, another service: a strong match.
    send(
        &t,
        &s.token,
        python_failure(
            2,
            "billing",
            "CardDeclined",
            "card 1111 declined by bank 'zeta'",
            &frames,
        ),
    )
    .await;
    // Same type only: not enough.
    send(
        &t,
        &s.token,
        python_failure_in(
            3,
            "search",
            "GET /find",
            "CardDeclined",
            "totally different words here",
            &["index", "query"],
        ),
    )
    .await;
    // Shares a few words of the message and nothing else: never offered.
    send(
        &t,
        &s.token,
        python_failure(
            4,
            "mailer",
            "SmtpTimeout",
            "bank mail declined after card",
            &["send"],
        ),
    )
    .await;
    let errors = wait_for_errors(&s.api, 4).await;
    let mine = error_id(&errors, |e| e["service"] == "shop");
    let strong = error_id(&errors, |e| e["service"] == "billing");
    let weak = error_id(&errors, |e| e["service"] == "search");
    let words = error_id(&errors, |e| e["service"] == "mailer");
    note(&s.api, json!({"title": "Billing declines", "body": "Retry with 3DS.", "kind": "error", "error_id": strong})).await;
    note(
        &s.api,
        json!({"title": "Search declines", "body": "unrelated", "kind": "error", "error_id": weak}),
    )
    .await;
    note(
        &s.api,
        json!({"title": "Mail declines", "body": "card bank", "kind": "error", "error_id": words}),
    )
    .await;
    note(&s.api, json!({"title": "Payments runbook", "body": "When CardDeclined shows up, check the bank status page.", "kind": "general"})).await;
    note(
        &s.api,
        json!({"title": "Own note", "body": "looking", "kind": "error", "error_id": mine}),
    )
    .await;

    let got = suggestions(&s.api, mine).await;
    let titles: Vec<&str> = got.iter().map(|g| g.1.as_str()).collect();
    assert_eq!(
        titles,
        ["Own note", "Billing declines", "Payments runbook"],
        "{got:?}"
    );
    assert_eq!(got[0].0, "this_error");
    assert_eq!(got[1].0, "similar");
    assert_eq!(
        got[1].2, "4 of 4 top frames, same message, same type and same operation POST /pay",
        "{got:?}"
    );
    assert_eq!(
        got[2],
        (
            "mentions".into(),
            "Payments runbook".into(),
            "mentions CardDeclined".into()
        )
    );

    // Someone else's private note is not offered; a user outside the project sees none.
    let reply = s.api.get(&format!("/api/errors/{mine}/notes")).await.body;
    assert_eq!(reply[1]["error"]["service"], "billing");
    assert!(reply[1]["matched"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["feature"] == "frames"));
    let stranger = t.user("stranger").await;
    stranger
        .get(&format!("/api/errors/{mine}/notes"))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_note_on_the_root_cause_shows_on_the_symptom_in_another_service_and_on_the_map() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    // gateway raises HTTPError after orders failed because inventory did.
    let mut flow = checkout(5);
    flow[0].1.push(throws(
        span(5, 8, Some(1), "raise_for_status", Internal),
        "HTTPError",
        "502 Server Error for url: http://orders/orders",
        "checkout",
    ));
    post_proto(&t, &s.token, &request(flow))
        .await
        .expect(StatusCode::OK);
    let errors = wait_for_errors(&s.api, 2).await;
    let symptom = error_id(&errors, |e| e["exception_type"] == "HTTPError");
    let root = error_id(&errors, |e| e["exception_type"] == "OutOfStock");
    note(&s.api, json!({"title": "Stock runs out on sale days", "body": "Reorder earlier.", "kind": "error", "error_id": root})).await;
    let got = suggestions(&s.api, symptom).await;
    assert_eq!(
        got,
        [(
            "root_cause".to_string(),
            "Stock runs out on sale days".to_string(),
            "OutOfStock in inventory failed first, in the same trace".to_string()
        )]
    );
    let map = s
        .api
        .get(&format!("/api/projects/{}/service-map", s.project))
        .await
        .expect(StatusCode::OK);
    let inventory = map["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "inventory")
        .unwrap();
    assert_eq!(
        inventory["notes"][0]["title"],
        "Stock runs out on sale days"
    );
    let gateway = map["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "gateway")
        .unwrap();
    assert_eq!(gateway["notes"], json!([]));
}

fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut text = String::new();
        f.read_to_string(&mut text).unwrap();
        out.push((f.name().to_string(), text));
    }
    out.sort();
    out
}

fn rezip(files: &[(String, String)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, text) in files {
        zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// POSTs `body` to the import as a zip.
async fn import_zip(api: &Api, body: impl Into<reqwest::Body>) -> reqwest::Response {
    api.http
        .post(format!("{}/api/notes/import", api.base))
        .header("content-type", "application/zip")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn import(api: &Api, zip: Vec<u8>) -> Value {
    let resp = import_zip(api, zip).await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

fn count(report: &Value, key: &str) -> usize {
    report[key].as_array().unwrap().len()
}

#[tokio::test]
async fn notes_leave_as_an_obsidian_vault_and_come_back_without_duplicates() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let alice = &s.api;
    post_proto(&t, &s.token, &request(checkout(1)))
        .await
        .expect(StatusCode::OK);
    let error = wait_for_errors(alice, 1).await[0]["id"].as_i64().unwrap();
    let pool = note(alice, json!({"title": "Pool sizing", "body": "Keep 20 connections. #postgres", "kind": "general", "tags": ["db"]})).await;
    let incident = note(alice, json!({"title": "Stock incident", "body": "See [[Pool sizing]].", "kind": "error", "error_id": error})).await;
    alice
        .post(
            &format!("/api/notes/{pool}/links"),
            json!({"target": incident}),
        )
        .await
        .expect(StatusCode::CREATED);

    let resp = alice
        .http
        .get(format!("{}/api/notes/export", alice.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/zip");
    let files = unzip(&resp.bytes().await.unwrap());
    let names: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(names, ["Pool sizing.md", "Stock incident.md"]);
    let pool_md = &files[0].1;
    assert!(pool_md.starts_with("---\n"), "{pool_md}");
    assert!(pool_md.contains("title: Pool sizing"), "{pool_md}");
    assert!(
        pool_md.contains("- db\n") && pool_md.contains("- postgres\n"),
        "{pool_md}"
    );
    assert!(
        pool_md.contains("links:\n- '[[Stock incident]]'"),
        "{pool_md}"
    );
    assert!(
        pool_md.ends_with("---\nKeep 20 connections. #postgres"),
        "{pool_md}"
    );
    let incident_md = &files[1].1;
    assert!(
        incident_md.contains(&format!("errors:\n- {error}")),
        "{incident_md}"
    );
    assert!(incident_md.contains("kind: error"), "{incident_md}");
    assert!(
        incident_md.ends_with("See [[Pool sizing]]."),
        "{incident_md}"
    );

    // Into a colleague's account in the same project: the same notes, links and tags.
    let bob = t.user("bob").await;
    let added = alice
        .post(
            &format!("/api/projects/{}/members", s.project),
            json!({"username": "bob", "role": "member"}),
        )
        .await;
    assert!(added.status.is_success(), "{:?}", added.body);
    let zip = rezip(&files);
    let first = import(&bob, zip.clone()).await;
    assert_eq!(
        (
            count(&first, "created"),
            count(&first, "updated"),
            count(&first, "unchanged")
        ),
        (2, 0, 0),
        "{first}"
    );
    let mine = bob.get("/api/notes?author=bob").await.body;
    let imported_pool = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["title"] == "Pool sizing")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let p = bob.get(&format!("/api/notes/{imported_pool}")).await.body;
    assert_eq!(p["tags"], json!(["db", "postgres"]));
    assert_eq!(p["links"][0]["title"], "Stock incident");
    assert_eq!(p["links"][0]["via"], "manual");
    let imported_incident = p["links"][0]["id"].as_i64().unwrap();
    let i = bob
        .get(&format!("/api/notes/{imported_incident}"))
        .await
        .body;
    assert_eq!(i["kind"], "error");
    assert_eq!(i["error_id"], error);
    assert_eq!(
        i["links"][0]["id"], imported_pool,
        "the [[wikilink]] found the imported note"
    );

    // The same vault again changes nothing; an edited file updates its note.
    let again = import(&bob, zip).await;
    assert_eq!(
        (
            count(&again, "created"),
            count(&again, "updated"),
            count(&again, "unchanged")
        ),
        (0, 0, 2),
        "{again}"
    );
    let mut edited = files.clone();
    edited[0].1.push_str("\nAnd watch the wait time.");
    let third = import(&bob, rezip(&edited)).await;
    assert_eq!(
        (count(&third, "created"), count(&third, "updated")),
        (0, 1),
        "{third}"
    );
    assert_eq!(
        bob.get("/api/notes?author=bob")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // A stranger's import cannot attach notes to errors outside their projects.
    let eve = t.user("eve").await;
    let theirs = import(&eve, rezip(&files)).await;
    assert!(
        theirs["warnings"]
            .to_string()
            .contains("not in your projects"),
        "{theirs}"
    );

    // Not a zip, or nothing to import: a clear 400.
    let bad = import_zip(&eve, "hello").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let text = bad.text().await.unwrap();
    assert!(text.contains("not a zip"), "{text}");
}

#[tokio::test]
async fn inline_tags_wikilinks_and_unlinking_keep_the_body_and_the_graph_in_agreement() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    let target = note(
        &alice,
        json!({"title": "Retry budget", "body": "", "kind": "general"}),
    )
    .await;
    let source = note(&alice, json!({"title": "Incident", "body": "Caused by [[Retry budget]] and [[Missing note]]. #ops #Postgres", "kind": "general", "tags": ["db"]})).await;
    let n = alice.get(&format!("/api/notes/{source}")).await.body;
    assert_eq!(n["tags"], json!(["db", "ops", "postgres"]));
    assert_eq!(n["inline_tags"], json!(["ops", "postgres"]));
    assert_eq!(
        n["wikilinks"],
        json!([{"label": "Retry budget", "id": target}, {"label": "Missing note", "id": null}])
    );
    // Editing the body drops the #tag that is gone, keeps the given one.
    let edited = alice
        .patch(
            &format!("/api/notes/{source}"),
            json!({"body": "Caused by [[Retry budget]]. #ops"}),
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(edited["tags"], json!(["db", "ops"]));

    // A link written in the body is not removed behind the body's back.
    let refused = alice
        .delete(&format!("/api/notes/{source}/links/{target}"))
        .await
        .expect_error(StatusCode::CONFLICT, "link_in_body");
    assert!(refused.contains("[[Retry budget]]"), "{refused}");
    alice
        .delete(&format!(
            "/api/notes/{source}/links/{target}?edit_body=true"
        ))
        .await
        .expect(StatusCode::NO_CONTENT);
    let after = alice.get(&format!("/api/notes/{source}")).await.body;
    assert_eq!(after["body"], "Caused by Retry budget. #ops");
    assert_eq!(after["links"], json!([]));
    assert_eq!(after["unresolved_links"], json!([]));
    assert_eq!(after["revision"], 3, "the edit is a revision of its own");
}

#[tokio::test]
async fn a_local_graph_holds_a_notes_neighbours_to_the_depth_asked() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    let c = note(&alice, json!({"title": "C", "body": "", "kind": "general"})).await;
    let b = note(
        &alice,
        json!({"title": "B", "body": "[[C]]", "kind": "general"}),
    )
    .await;
    let a = note(
        &alice,
        json!({"title": "A", "body": "[[B]]", "kind": "general", "tags": ["x"]}),
    )
    .await;
    note(
        &alice,
        json!({"title": "Far away", "body": "", "kind": "general"}),
    )
    .await;
    let ids = |g: &Value| -> Vec<String> {
        let mut v: Vec<String> = g["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    let one = alice
        .get(&format!("/api/notes/graph?around={a}&depth=1"))
        .await
        .expect(StatusCode::OK);
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(
        ids(&one),
        sorted(vec![
            format!("note:{a}"),
            format!("note:{b}"),
            "tag:x".into()
        ])
    );
    let two = alice
        .get(&format!("/api/notes/graph?around={a}"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        ids(&two),
        sorted(vec![
            format!("note:{a}"),
            format!("note:{b}"),
            format!("note:{c}"),
            "tag:x".into()
        ])
    );
    alice
        .get(&format!("/api/notes/graph?around={a}&depth=9"))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_field");
    let bob = t.user("bob").await;
    let private = note(
        &alice,
        json!({"title": "Secret", "body": "", "kind": "general", "visibility": "private"}),
    )
    .await;
    bob.get(&format!("/api/notes/graph?around={private}"))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn comments_and_mentions_notify_until_read() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    let bob = t.user("bob").await;
    let carol = t.user("carol").await;
    let public = note(
        &alice,
        json!({"title": "Pool sizing", "body": "", "kind": "general"}),
    )
    .await;
    let private = note(
        &alice,
        json!({"title": "Diary", "body": "", "kind": "general", "visibility": "private"}),
    )
    .await;
    bob.post(
        &format!("/api/notes/{public}/comments"),
        json!({"body": "Agreed, cc @carol and @nobody"}),
    )
    .await
    .expect(StatusCode::CREATED);
    alice
        .post(
            &format!("/api/notes/{public}/comments"),
            json!({"body": "my own comment"}),
        )
        .await
        .expect(StatusCode::CREATED);
    // A mention in a note Carol cannot read tells her nothing.
    alice
        .post(
            &format!("/api/notes/{private}/comments"),
            json!({"body": "@carol secret"}),
        )
        .await
        .expect(StatusCode::CREATED);

    let a = alice.get("/api/notifications").await.expect(StatusCode::OK);
    assert_eq!(a["unread"], 1, "{a}");
    assert_eq!(a["items"][0]["kind"], "comment");
    assert_eq!(a["items"][0]["actor"], "bob");
    assert_eq!(a["items"][0]["note_title"], "Pool sizing");
    let c = carol.get("/api/notifications").await.expect(StatusCode::OK);
    assert_eq!(c["unread"], 1, "{c}");
    assert_eq!(c["items"][0]["kind"], "mention");
    assert!(c["items"][0]["excerpt"]
        .as_str()
        .unwrap()
        .contains("cc @carol"));
    assert_eq!(bob.get("/api/notifications").await.body["unread"], 0);

    // Carol cannot mark Alice's read; Alice can.
    let alices = a["items"][0]["id"].as_i64().unwrap();
    let marked = carol
        .post("/api/notifications/read", json!({"ids": [alices]}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(marked["marked"], 0);
    alice
        .post("/api/notifications/read", json!({}))
        .await
        .expect(StatusCode::OK);
    let a = alice
        .get("/api/notifications?unread=true")
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        (a["unread"].clone(), a["items"].clone()),
        (json!(0), json!([]))
    );
    t.client()
        .get("/api/notifications")
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
}

async fn import_parts(api: &Api, files: &[(&str, &str)]) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new();
    for (name, text) in files {
        form = form.part(
            "files",
            reqwest::multipart::Part::text(text.to_string()).file_name(name.to_string()),
        );
    }
    api.http
        .post(format!("{}/api/notes/import", api.base))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_import_keeps_what_its_files_do_not_say_and_refuses_what_is_too_big() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let alice = &s.api;
    post_proto(&t, &s.token, &request(checkout(1)))
        .await
        .expect(StatusCode::OK);
    let error = wait_for_errors(alice, 1).await[0]["id"].as_i64().unwrap();
    let secret = note(alice, json!({"title": "DB creds rotation", "body": "old", "kind": "error", "error_id": error, "visibility": "private"})).await;

    // A plain Obsidian folder: no front matter. The matching note keeps its visibility and
    // error; a new note is private; unreadable front matter skips its file; two files of one
    // title are two notes, and stay two when imported again.
    let files = [
        ("vault/DB creds rotation.md", "new text"),
        ("vault/Fresh thought.md", "just written"),
        ("vault/Broken.md", "---\ntitle: [unclosed\n---\nbody"),
        ("a/README.md", "first"),
        ("b/README.md", "second"),
    ];
    let resp = import_parts(alice, &files).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let report: Value = resp.json().await.unwrap();
    assert_eq!(
        (count(&report, "created"), count(&report, "updated")),
        (3, 1),
        "{report}"
    );
    assert!(
        report["warnings"]
            .to_string()
            .contains("Broken.md: skipped"),
        "{report}"
    );
    let kept = alice.get(&format!("/api/notes/{secret}")).await.body;
    assert_eq!(
        (
            kept["body"].clone(),
            kept["visibility"].clone(),
            kept["error_id"].clone()
        ),
        (json!("new text"), json!("private"), json!(error))
    );
    let fresh = alice.get("/api/notes?q=Fresh").await.body;
    assert_eq!(fresh[0]["visibility"], "private");
    let again: Value = import_parts(alice, &files).await.json().await.unwrap();
    assert_eq!(
        (
            count(&again, "created"),
            count(&again, "updated"),
            count(&again, "unchanged")
        ),
        (0, 0, 4),
        "{again}"
    );
    assert_eq!(
        alice
            .get("/api/notes?q=README")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // A small zip that inflates past the import's budget is refused before it is read whole.
    let big = "a".repeat(99_000);
    let many: Vec<(String, String)> = (0..300)
        .map(|i| (format!("n{i}.md"), big.clone()))
        .collect();
    let zip = rezip(&many);
    assert!(zip.len() < 2_000_000, "{}", zip.len());
    let resp = import_zip(alice, zip).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.text().await.unwrap().contains("MB of Markdown"));
    assert_eq!(
        alice.get("/api/notes?q=n0").await.body,
        json!([]),
        "nothing of it was written"
    );
}

#[tokio::test]
async fn a_note_turned_private_takes_its_notifications_with_it() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    let bob = t.user("bob").await;
    let n = note(
        &alice,
        json!({"title": "Plans", "body": "", "kind": "general"}),
    )
    .await;
    alice
        .post(
            &format!("/api/notes/{n}/comments"),
            json!({"body": "@bob have a look"}),
        )
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(bob.get("/api/notifications").await.body["unread"], 1);
    alice
        .patch(
            &format!("/api/notes/{n}"),
            json!({"visibility": "private", "title": "Secret plans"}),
        )
        .await
        .expect(StatusCode::OK);
    let b = bob.get("/api/notifications").await.expect(StatusCode::OK);
    assert_eq!(
        (b["unread"].clone(), b["items"].clone()),
        (json!(0), json!([]))
    );
}
