//! The knowledge base: notes, revisions, links, tags, comments, search, graph, and the
//! notes shown on an error — with private notes invisible to everyone but their author.

use opentelemetry_proto::tonic::trace::v1::span::SpanKind::Server;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{Api, TestServer};
use crate::otlp::{post_proto, request, setup, span, throws, wait_for_errors};

async fn note(api: &Api, body: Value) -> Value {
    api.post("/api/notes", body)
        .await
        .expect(StatusCode::CREATED)
}

async fn general(api: &Api, title: &str, text: &str, tags: &[&str], visibility: &str) -> i64 {
    note(api, json!({"title": title, "body": text, "kind": "general", "tags": tags, "visibility": visibility}))
        .await["id"]
        .as_i64()
        .unwrap()
}

fn titles(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn notes_are_written_read_and_changed_only_by_their_author() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    let bob = t.user("bob").await;
    let hostile =
        "# Fix\n<script>alert(1)</script>\n<img src=x onerror=alert(2)>\n[x](javascript:alert(3))";
    let n = note(&alice, json!({"title": "Pool exhaustion", "body": hostile, "kind": "general", "tags": ["DB", "db", " Postgres "]})).await;
    assert_eq!(n["body"], hostile, "Markdown is stored as written");
    assert_eq!(n["tags"], json!(["db", "postgres"]));
    assert_eq!(n["visibility"], "public");
    assert_eq!(n["author"], "alice");
    let id = n["id"].as_i64().unwrap();

    assert_eq!(
        bob.get(&format!("/api/notes/{id}"))
            .await
            .expect(StatusCode::OK)["title"],
        "Pool exhaustion"
    );
    bob.patch(&format!("/api/notes/{id}"), json!({"title": "mine now"}))
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    bob.delete(&format!("/api/notes/{id}"))
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    let edited = alice
        .patch(
            &format!("/api/notes/{id}"),
            json!({"title": "Pool exhaustion fixed"}),
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(edited["title"], "Pool exhaustion fixed");
    assert_eq!(edited["body"], hostile);
    alice
        .delete(&format!("/api/notes/{id}"))
        .await
        .expect(StatusCode::NO_CONTENT);
    alice
        .get(&format!("/api/notes/{id}"))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");

    for (body, field) in [
        (json!({"title": " ", "kind": "general"}), "title"),
        (
            json!({"title": "x".repeat(201), "kind": "general"}),
            "title",
        ),
        (
            json!({"title": "x", "body": "y".repeat(100_001), "kind": "general"}),
            "body",
        ),
        (json!({"title": "x", "kind": "error"}), "error_id"),
        (
            json!({"title": "x", "kind": "general", "error_id": 1}),
            "error_id",
        ),
        (
            json!({"title": "x", "kind": "general", "tags": ["t".repeat(51)]}),
            "tags",
        ),
    ] {
        let msg = alice
            .post("/api/notes", body)
            .await
            .expect_error(StatusCode::BAD_REQUEST, "invalid_field");
        assert!(msg.starts_with(field), "{msg}");
    }
    alice
        .post(
            "/api/notes",
            json!({"title": "x", "kind": "error", "error_id": 999}),
        )
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        alice.get("/api/notes").await.expect(StatusCode::OK),
        json!([])
    );
}

#[tokio::test]
async fn every_edit_keeps_the_previous_version() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    let id = general(&alice, "v1", "first body", &["a"], "public").await;
    alice
        .patch(
            &format!("/api/notes/{id}"),
            json!({"title": "v2", "body": "second body"}),
        )
        .await
        .expect(StatusCode::OK);
    alice
        .patch(
            &format!("/api/notes/{id}"),
            json!({"tags": ["b"], "visibility": "private"}),
        )
        .await
        .expect(StatusCode::OK);
    let last = alice
        .patch(&format!("/api/notes/{id}"), json!({"body": "third body"}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(last["revision"], 4);
    let revs = alice
        .get(&format!("/api/notes/{id}/revisions"))
        .await
        .expect(StatusCode::OK);
    let summary: Vec<(i64, String, String)> = revs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["revision"].as_i64().unwrap(),
                r["title"].as_str().unwrap().into(),
                r["body"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (3, "v2".into(), "second body".into()),
            (2, "v2".into(), "second body".into()),
            (1, "v1".into(), "first body".into())
        ]
    );
    let one = alice
        .get(&format!("/api/notes/{id}/revisions/1"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        (one["tags"].clone(), one["visibility"].clone()),
        (json!(["a"]), json!("public"))
    );
    assert_eq!(
        alice
            .get(&format!("/api/notes/{id}/revisions/2"))
            .await
            .body["tags"],
        json!(["a"])
    );
    assert_eq!(
        alice
            .get(&format!("/api/notes/{id}/revisions/3"))
            .await
            .body["tags"],
        json!(["b"])
    );
    alice
        .get(&format!("/api/notes/{id}/revisions/9"))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn links_by_hand_and_by_wikilink_show_both_ways() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    let bob = t.user("bob").await;
    let pool = general(&alice, "Pool sizing", "how big", &[], "public").await;
    let bobs = general(&bob, "Retry budget", "bob's note", &[], "public").await;
    let bob_secret = general(&bob, "Bob secret", "private", &[], "private").await;
    let n = note(
        &alice,
        json!({"title": "Checkout outage", "body": "Caused by [[pool sizing]], see also [[Retry budget]] and [[Nowhere]].", "kind": "general"}),
    )
    .await;
    let id = n["id"].as_i64().unwrap();
    let linked: Vec<(i64, String)> = n["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["id"].as_i64().unwrap(), l["via"].as_str().unwrap().into()))
        .collect();
    assert_eq!(
        linked,
        [(pool, "wikilink".into()), (bobs, "wikilink".into())]
    );
    assert_eq!(n["unresolved_links"], json!(["Nowhere"]));
    assert_eq!(n["link_count"], 2);

    let back = bob
        .get(&format!("/api/notes/{bobs}"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(back["backlinks"][0]["id"], id);
    assert_eq!(back["backlink_count"], 1);

    // By hand: to own and others' public notes; never to itself, a missing or a private note.
    let general_id = general(&alice, "Postmortem", "", &[], "public").await;
    let linked = alice
        .post(
            &format!("/api/notes/{general_id}/links"),
            json!({"target": bobs}),
        )
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(linked["links"][0]["via"], "manual");
    alice
        .post(
            &format!("/api/notes/{general_id}/links"),
            json!({"target": general_id}),
        )
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_field");
    alice
        .post(
            &format!("/api/notes/{general_id}/links"),
            json!({"target": 4242}),
        )
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    alice
        .post(
            &format!("/api/notes/{general_id}/links"),
            json!({"target": bob_secret}),
        )
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    bob.post(
        &format!("/api/notes/{general_id}/links"),
        json!({"target": bobs}),
    )
    .await
    .expect_error(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(
        bob.get(&format!("/api/notes/{bobs}")).await.body["backlink_count"],
        2
    );

    alice
        .delete(&format!("/api/notes/{general_id}/links/{bobs}"))
        .await
        .expect(StatusCode::NO_CONTENT);
    alice
        .delete(&format!("/api/notes/{general_id}/links/{bobs}"))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");

    // Deleting a linked note: the note that linked to it keeps working, without the link.
    bob.delete(&format!("/api/notes/{bobs}"))
        .await
        .expect(StatusCode::NO_CONTENT);
    let after = alice
        .get(&format!("/api/notes/{id}"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(after["links"].as_array().unwrap().len(), 1);
    assert_eq!(after["link_count"], 1);
}

#[tokio::test]
async fn a_wikilink_to_a_renamed_note_still_resolves() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    let target = general(&alice, "Connection pool", "", &[], "public").await;
    let source = general(
        &alice,
        "Incident",
        "Root cause: [[Connection pool]]",
        &[],
        "public",
    )
    .await;
    alice
        .patch(
            &format!("/api/notes/{target}"),
            json!({"title": "DB connection pool"}),
        )
        .await
        .expect(StatusCode::OK);
    // Re-saving the source with its old text keeps the stored link.
    let again = alice
        .patch(
            &format!("/api/notes/{source}"),
            json!({"body": "Root cause: [[Connection pool]] (again)"}),
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(again["links"][0]["id"], target);
    assert_eq!(again["links"][0]["title"], "DB connection pool");
    assert_eq!(again["links"][0]["label"], "Connection pool");
    assert_eq!(again["unresolved_links"], json!([]));
    // Removing the [[label]] from the body removes the link.
    let gone = alice
        .patch(&format!("/api/notes/{source}"), json!({"body": "nothing"}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(gone["links"], json!([]));
}

#[tokio::test]
async fn a_private_note_exists_only_for_its_author() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let alice = s.api.clone();
    let bob = t.user("bob").await;
    alice
        .post(
            &format!("/api/projects/{}/members", s.project),
            json!({"username": "bob", "role": "member"}),
        )
        .await
        .expect(StatusCode::OK);
    post_proto(
        &t,
        &s.token,
        &request(vec![(
            "api",
            vec![throws(
                span(1, 1, None, "GET /", Server),
                "PoolTimeout",
                "pool exhausted",
                "get",
            )],
        )]),
    )
    .await
    .expect(StatusCode::OK);
    let error = wait_for_errors(&alice, 1).await[0]["id"].as_i64().unwrap();
    let public = general(&bob, "Bob public", "", &[], "public").await;
    let secret = note(
        &alice,
        json!({"title": "Secret pool fix", "body": "pool exhausted: raise the limit [[Bob public]]", "kind": "error",
               "error_id": error, "tags": ["hidden-tag"], "visibility": "private"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    alice
        .post(
            &format!("/api/notes/{secret}/comments"),
            json!({"body": "note to self"}),
        )
        .await
        .expect(StatusCode::CREATED);

    bob.get(&format!("/api/notes/{secret}"))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    bob.get(&format!("/api/notes/{secret}/revisions"))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    bob.get(&format!("/api/notes/{secret}/comments"))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    bob.post(
        &format!("/api/notes/{secret}/comments"),
        json!({"body": "hi"}),
    )
    .await
    .expect_error(StatusCode::NOT_FOUND, "not_found");
    bob.patch(&format!("/api/notes/{secret}"), json!({"title": "x"}))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    bob.post(
        &format!("/api/notes/{public}/links"),
        json!({"target": secret}),
    )
    .await
    .expect_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(titles(&bob.get("/api/notes").await.body), ["Bob public"]);
    assert_eq!(
        bob.get("/api/notes?q=pool").await.expect(StatusCode::OK),
        json!([])
    );
    assert_eq!(
        bob.get("/api/notes?tag=hidden-tag")
            .await
            .expect(StatusCode::OK),
        json!([])
    );
    assert!(!bob
        .get("/api/tags")
        .await
        .body
        .to_string()
        .contains("hidden-tag"));
    let own = bob
        .get(&format!("/api/notes/{public}"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        (own["backlinks"].clone(), own["backlink_count"].clone()),
        (json!([]), json!(0))
    );
    let graph = bob
        .get("/api/notes/graph?scope=all")
        .await
        .expect(StatusCode::OK);
    assert!(
        !graph.to_string().contains("Secret pool fix")
            && !graph.to_string().contains(&format!("note:{secret}"))
    );
    assert_eq!(
        bob.get(&format!("/api/errors/{error}/notes"))
            .await
            .expect(StatusCode::OK),
        json!([])
    );
    let row = &bob.get("/api/errors").await.body["errors"][0];
    assert_eq!(row["note_count"], 0);

    // The author sees all of it.
    assert_eq!(
        titles(&alice.get("/api/notes?q=pool").await.body),
        ["Secret pool fix"]
    );
    assert_eq!(
        alice.get(&format!("/api/errors/{error}/notes")).await.body[0]["note"]["id"],
        secret
    );
    assert_eq!(
        alice.get("/api/errors").await.body["errors"][0]["note_count"],
        1
    );
    assert_eq!(
        bob.get(&format!("/api/notes/{public}")).await.body["backlink_count"],
        0
    );
    assert_eq!(
        alice.get(&format!("/api/notes/{public}")).await.body["backlink_count"],
        1
    );
}

#[tokio::test]
async fn tags_are_case_insensitive_and_counted() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    general(&alice, "a", "", &["Kafka", "ops"], "public").await;
    general(&alice, "b", "", &["KAFKA"], "public").await;
    general(&alice, "c", "", &["kafka "], "private").await;
    let bob = t.user("bob").await;
    assert_eq!(
        alice.get("/api/tags").await.expect(StatusCode::OK),
        json!([{"tag": "kafka", "notes": 3}, {"tag": "ops", "notes": 1}])
    );
    assert_eq!(
        bob.get("/api/tags").await.body,
        json!([{"tag": "kafka", "notes": 2}, {"tag": "ops", "notes": 1}])
    );
    assert_eq!(
        titles(&alice.get("/api/notes?tag=KAFKA").await.body).len(),
        3
    );
    assert_eq!(
        titles(&alice.get("/api/notes?author=ALICE&tag=ops").await.body),
        ["a"]
    );
}

#[tokio::test]
async fn readers_comment_and_only_comment_authors_change_comments() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    let bob = t.user("bob").await;
    let id = general(&alice, "Shared", "", &[], "public").await;
    let c = bob
        .post(
            &format!("/api/notes/{id}/comments"),
            json!({"body": "Worked for us too"}),
        )
        .await
        .expect(StatusCode::CREATED);
    let cid = c["id"].as_i64().unwrap();
    assert_eq!(c["author"], "bob");
    alice
        .patch(&format!("/api/comments/{cid}"), json!({"body": "edited"}))
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    alice
        .delete(&format!("/api/comments/{cid}"))
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    let edited = bob
        .patch(
            &format!("/api/comments/{cid}"),
            json!({"body": "Worked for us too, v2"}),
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(edited["body"], "Worked for us too, v2");
    bob.post(&format!("/api/notes/{id}/comments"), json!({"body": "  "}))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_field");
    assert_eq!(
        alice.get(&format!("/api/notes/{id}")).await.body["comment_count"],
        1
    );
    bob.delete(&format!("/api/comments/{cid}"))
        .await
        .expect(StatusCode::NO_CONTENT);
    assert_eq!(
        alice
            .get(&format!("/api/notes/{id}/comments"))
            .await
            .expect(StatusCode::OK),
        json!([])
    );
}

#[tokio::test]
async fn search_puts_a_title_match_above_a_body_mention() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    general(
        &alice,
        "Deploy checklist",
        "Remember the deadlock detector and <b>bold</b> things",
        &[],
        "public",
    )
    .await;
    general(
        &alice,
        "Deadlock in orders",
        "Two transactions locked rows in opposite order",
        &[],
        "public",
    )
    .await;
    general(&alice, "Unrelated", "nothing to see", &[], "public").await;
    let found = alice
        .get("/api/notes?q=deadlock")
        .await
        .expect(StatusCode::OK);
    assert_eq!(titles(&found), ["Deadlock in orders", "Deploy checklist"]);
    let snippet = found[1]["snippet_html"].as_str().unwrap();
    assert!(snippet.contains("<mark>deadlock</mark>"), "{snippet}");
    assert!(
        snippet.contains("&lt;b&gt;bold&lt;/b&gt;") || !snippet.contains("<b>"),
        "{snippet}"
    );
    for hostile in [
        "\"",
        "AND OR NOT",
        "*",
        "(",
        "deadlock\" OR \"x",
        "' OR 1=1 --",
    ] {
        let reply = alice
            .get(&format!("/api/notes?q={}", urlencode(hostile)))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{hostile}: {}", reply.body);
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn the_graph_of_a_seeded_knowledge_base_has_exactly_its_nodes_and_edges() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let alice = s.api.clone();
    let bob = t.user("bob").await;
    post_proto(
        &t,
        &s.token,
        &request(vec![(
            "api",
            vec![throws(
                span(1, 1, None, "GET /", Server),
                "KeyError",
                "k",
                "get",
            )],
        )]),
    )
    .await
    .expect(StatusCode::OK);
    let error = wait_for_errors(&alice, 1).await[0]["id"].as_i64().unwrap();
    let a1 = note(
        &alice,
        json!({"title": "A1", "kind": "error", "error_id": error, "tags": ["db"]}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let a2 = general(
        &alice,
        "A2",
        "see [[A1]] and [[B1]]",
        &["db", "ops"],
        "public",
    )
    .await;
    let b1 = general(&bob, "B1", "", &["ops"], "public").await;
    let b2 = general(&bob, "B2", "unrelated", &[], "public").await;
    let _b3 = general(&bob, "B3", "[[A2]]", &[], "private").await;
    // A2 was written before B1 existed: its [[B1]] was linked when B1 was created.

    let g = alice.get("/api/notes/graph").await.expect(StatusCode::OK);
    let mut nodes: Vec<(String, usize)> = g["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["id"].as_str().unwrap().into(),
                n["degree"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    nodes.sort();
    let want_nodes = vec![
        (format!("error:{error}"), 1),
        (format!("note:{a1}"), 3),
        (format!("note:{a2}"), 4),
        (format!("note:{b1}"), 2),
        ("tag:db".to_string(), 2),
        ("tag:ops".to_string(), 2),
    ];
    let mut want_sorted = want_nodes.clone();
    want_sorted.sort();
    assert_eq!(nodes, want_sorted);
    let mut edges: Vec<(String, String, String)> = g["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["source"].as_str().unwrap().into(),
                e["target"].as_str().unwrap().into(),
                e["kind"].as_str().unwrap().into(),
            )
        })
        .collect();
    edges.sort();
    let mut want = vec![
        (
            format!("note:{a1}"),
            format!("error:{error}"),
            "error".to_string(),
        ),
        (format!("note:{a1}"), "tag:db".into(), "tag".into()),
        (format!("note:{a2}"), format!("note:{a1}"), "link".into()),
        (format!("note:{a2}"), format!("note:{b1}"), "link".into()),
        (format!("note:{a2}"), "tag:db".into(), "tag".into()),
        (format!("note:{a2}"), "tag:ops".into(), "tag".into()),
        (format!("note:{b1}"), "tag:ops".into(), "tag".into()),
    ];
    want.sort();
    assert_eq!(edges, want);
    let b1_node = g["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == format!("note:{b1}"))
        .unwrap();
    assert_eq!(
        (b1_node["mine"].clone(), b1_node["author"].clone()),
        (json!(false), json!("bob"))
    );

    let all = alice
        .get("/api/notes/graph?scope=all")
        .await
        .expect(StatusCode::OK);
    assert!(all.to_string().contains(&format!("note:{b2}")));
    let ops = alice
        .get("/api/notes/graph?scope=all&tag=ops")
        .await
        .expect(StatusCode::OK);
    let ids: Vec<&str> = ops["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "note")
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    alice
        .get("/api/notes/graph?scope=everyone")
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_field");
    // Bob's graph (mine) is his notes plus what links to them, not his unrelated others' notes.
    let bobs = bob.get("/api/notes/graph").await.expect(StatusCode::OK);
    let bob_notes: Vec<&str> = bobs["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "note")
        .map(|n| n["label"].as_str().unwrap())
        .collect();
    assert_eq!(bob_notes.len(), 4, "{bob_notes:?}"); // B1, B2, B3 and A2 (links to B1)
    assert!(
        !bobs.to_string().contains("error:"),
        "bob is not in the project"
    );
}

#[tokio::test]
async fn an_error_shows_its_notes_then_notes_on_the_same_failure_then_notes_naming_its_type() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let alice = s.api.clone();
    let failing = |n: u64, service: &'static str, ty: &'static str, msg: &'static str| {
        (
            service,
            vec![throws(span(n, 1, None, "GET /", Server), ty, msg, service)],
        )
    };
    post_proto(
        &t,
        &s.token,
        &request(vec![
            failing(
                1,
                "cart",
                "PoolTimeout",
                "database pool exhausted after 30s",
            ),
            failing(
                2,
                "orders",
                "PoolTimeout",
                "database pool exhausted after 30s",
            ),
        ]),
    )
    .await
    .expect(StatusCode::OK);
    let errors = wait_for_errors(&alice, 2).await;
    let cart = errors.iter().find(|e| e["service"] == "cart").unwrap()["id"]
        .as_i64()
        .unwrap();
    let orders = errors.iter().find(|e| e["service"] == "orders").unwrap()["id"]
        .as_i64()
        .unwrap();
    note(
        &alice,
        json!({"title": "Cart pool fix", "kind": "error", "error_id": cart}),
    )
    .await;
    note(
        &alice,
        json!({"title": "Orders pool fix", "kind": "error", "error_id": orders}),
    )
    .await;
    general(
        &alice,
        "Exhausted pools in general",
        "A PoolTimeout means: raise max connections",
        &[],
        "public",
    )
    .await;
    // Shares words of the message ("database", "pool") but says nothing of this failure.
    general(
        &alice,
        "Lunch menu",
        "soup from the database pool",
        &[],
        "public",
    )
    .await;
    let list = alice
        .get(&format!("/api/errors/{cart}/notes"))
        .await
        .expect(StatusCode::OK);
    let got: Vec<(String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["reason"].as_str().unwrap().into(),
                e["note"]["title"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("this_error".into(), "Cart pool fix".into()),
            ("similar".into(), "Orders pool fix".into()),
            ("mentions".into(), "Exhausted pools in general".into())
        ]
    );
    let stats = alice.get("/api/notes/stats").await.expect(StatusCode::OK);
    assert_eq!(
        (
            stats["notes"].clone(),
            stats["error_notes"].clone(),
            stats["general_notes"].clone()
        ),
        (json!(4), json!(2), json!(2))
    );
    alice
        .patch(
            &format!("/api/errors/{cart}"),
            json!({"status": "resolved"}),
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        alice.get("/api/notes/stats").await.body["resolved_errors_with_notes"],
        1
    );
    assert_eq!(
        alice.get("/api/stats").await.body["notes"]["error_notes"],
        2
    );
}

#[tokio::test]
async fn note_statistics_count_links_across_users() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    let bob = t.user("bob").await;
    let a = general(&alice, "Alice note", "", &[], "public").await;
    let b = general(&bob, "Bob note", "[[Alice note]]", &[], "public").await;
    alice
        .post(&format!("/api/notes/{a}/links"), json!({"target": b}))
        .await
        .expect(StatusCode::CREATED);
    let s = alice.get("/api/notes/stats").await.expect(StatusCode::OK);
    assert_eq!(
        (
            s["links_to_others"].clone(),
            s["backlinks_from_others"].clone()
        ),
        (json!(1), json!(1))
    );
}

#[tokio::test]
async fn a_wikilink_written_before_its_note_exists_links_when_the_note_is_created() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    let bob = t.user("bob").await;
    let early = general(&alice, "Early", "waiting for [[Later note]]", &[], "public").await;
    let before = alice
        .get(&format!("/api/notes/{early}"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(before["unresolved_links"], json!(["Later note"]));
    // Bob's private note of that title is not Alice's to link to.
    general(&bob, "Later note", "secret", &[], "private").await;
    let still = alice
        .get(&format!("/api/notes/{early}"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(still["unresolved_links"], json!(["Later note"]));
    let later = general(&bob, "later NOTE", "public one", &[], "public").await;
    let after = alice
        .get(&format!("/api/notes/{early}"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(after["unresolved_links"], json!([]));
    assert_eq!(after["links"][0]["id"], later);
    assert_eq!(after["links"][0]["label"], "Later note");
    let target = bob
        .get(&format!("/api/notes/{later}"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(target["backlinks"][0]["id"], early);
}
