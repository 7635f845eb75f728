use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::TestServer;

#[tokio::test]
async fn a_non_member_gets_404_on_every_project_endpoint() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    let mallory = t.user("mallory").await;
    let p = alice.project("shop").await;
    let s = alice.service(p, "checkout").await;
    let tok = alice
        .post(&format!("/api/projects/{p}/services/{s}/tokens"), json!({}))
        .await
        .expect(StatusCode::CREATED)["id"]
        .as_i64()
        .unwrap();
    let alice_id = alice.get("/api/auth/me").await.body["id"].as_i64().unwrap();

    let body = || Some(json!({"name": "x", "username": "mallory", "role": "owner"}));
    let endpoints = [
        (Method::GET, format!("/api/projects/{p}"), None),
        (Method::PATCH, format!("/api/projects/{p}"), body()),
        (Method::DELETE, format!("/api/projects/{p}"), None),
        (Method::GET, format!("/api/projects/{p}/members"), None),
        (Method::POST, format!("/api/projects/{p}/members"), body()),
        (
            Method::DELETE,
            format!("/api/projects/{p}/members/{alice_id}"),
            None,
        ),
        (Method::GET, format!("/api/projects/{p}/services"), None),
        (Method::POST, format!("/api/projects/{p}/services"), body()),
        (
            Method::DELETE,
            format!("/api/projects/{p}/services/{s}"),
            None,
        ),
        (
            Method::GET,
            format!("/api/projects/{p}/services/{s}/tokens"),
            None,
        ),
        (
            Method::POST,
            format!("/api/projects/{p}/services/{s}/tokens"),
            body(),
        ),
        (
            Method::DELETE,
            format!("/api/projects/{p}/services/{s}/tokens/{tok}"),
            None,
        ),
    ];
    for (method, path, body) in endpoints {
        let reply = mallory.send(method.clone(), &path, body).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            reply.body
        );
        assert_eq!(reply.body["error"]["code"], "not_found");
    }
    assert_eq!(
        mallory.get("/api/projects").await.expect(StatusCode::OK),
        json!([])
    );

    // Nothing changed: the project, its service, token and owner are all still there.
    let project = alice
        .get(&format!("/api/projects/{p}"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(project["name"], "shop");
    assert_eq!(project["service_count"], 1);
    assert_eq!(project["member_count"], 1);
    let tokens = alice
        .get(&format!("/api/projects/{p}/services/{s}/tokens"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(tokens.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn members_see_the_project_but_only_owners_change_it() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    let bob = t.user("bob").await;
    let p = alice.project("shop").await;
    let s = alice.service(p, "checkout").await;
    let members = alice
        .post(
            &format!("/api/projects/{p}/members"),
            json!({"username": "bob", "role": "member"}),
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(members.as_array().unwrap().len(), 2);

    let seen = bob.get("/api/projects").await.expect(StatusCode::OK);
    assert_eq!(seen[0]["name"], "shop");
    assert_eq!(seen[0]["role"], "member");
    bob.get(&format!("/api/projects/{p}/services"))
        .await
        .expect(StatusCode::OK);
    bob.get(&format!("/api/projects/{p}/services/{s}/tokens"))
        .await
        .expect(StatusCode::OK);

    bob.delete(&format!("/api/projects/{p}"))
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    bob.patch(&format!("/api/projects/{p}"), json!({"name": "mine"}))
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    bob.post(
        &format!("/api/projects/{p}/services"),
        json!({"name": "evil"}),
    )
    .await
    .expect_error(StatusCode::FORBIDDEN, "forbidden");
    bob.post(&format!("/api/projects/{p}/services/{s}/tokens"), json!({}))
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    bob.post(
        &format!("/api/projects/{p}/members"),
        json!({"username": "bob", "role": "owner"}),
    )
    .await
    .expect_error(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(
        alice.get(&format!("/api/projects/{p}")).await.body["name"],
        "shop"
    );

    // Promoted to owner, bob may rename; the last owner cannot be removed or demoted.
    alice
        .post(
            &format!("/api/projects/{p}/members"),
            json!({"username": "bob", "role": "owner"}),
        )
        .await
        .expect(StatusCode::OK);
    let renamed = bob
        .patch(&format!("/api/projects/{p}"), json!({"name": "shop-eu"}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(renamed["name"], "shop-eu");
    let alice_id = alice.get("/api/auth/me").await.body["id"].as_i64().unwrap();
    let bob_id = bob.get("/api/auth/me").await.body["id"].as_i64().unwrap();
    bob.delete(&format!("/api/projects/{p}/members/{alice_id}"))
        .await
        .expect(StatusCode::NO_CONTENT);
    bob.delete(&format!("/api/projects/{p}/members/{bob_id}"))
        .await
        .expect_error(StatusCode::CONFLICT, "conflict");
    bob.post(
        &format!("/api/projects/{p}/members"),
        json!({"username": "bob", "role": "member"}),
    )
    .await
    .expect_error(StatusCode::CONFLICT, "conflict");
    alice
        .get(&format!("/api/projects/{p}"))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");

    bob.delete(&format!("/api/projects/{p}"))
        .await
        .expect(StatusCode::NO_CONTENT);
    assert_eq!(
        bob.get("/api/projects").await.expect(StatusCode::OK),
        json!([])
    );
}

#[tokio::test]
async fn names_are_unique_where_they_must_be() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    let p = alice.project("shop").await;
    alice
        .post("/api/projects", json!({"name": "SHOP"}))
        .await
        .expect_error(StatusCode::CONFLICT, "conflict");
    alice.service(p, "checkout").await;
    let msg = alice
        .post(
            &format!("/api/projects/{p}/services"),
            json!({"name": "checkout"}),
        )
        .await
        .expect_error(StatusCode::CONFLICT, "conflict");
    assert!(msg.contains("checkout"), "{msg}");
    // The same service name in another project is fine.
    let q = alice.project("blog").await;
    alice.service(q, "checkout").await;
}

#[tokio::test]
async fn services_have_an_optional_kind_from_the_known_list() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    let kinds = alice.get("/api/service-kinds").await.expect(StatusCode::OK);
    for k in ["python", "java", "node", "database", "queue"] {
        assert!(
            kinds.as_array().unwrap().iter().any(|v| v == k),
            "{k} missing"
        );
    }
    let p = alice.project("shop").await;
    let db = alice
        .post(
            &format!("/api/projects/{p}/services"),
            json!({"name": "orders-db", "kind": "database"}),
        )
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(db["kind"], "database");
    let plain = alice
        .post(
            &format!("/api/projects/{p}/services"),
            json!({"name": "legacy"}),
        )
        .await
        .expect(StatusCode::CREATED);
    assert!(plain["kind"].is_null());
    let msg = alice
        .post(
            &format!("/api/projects/{p}/services"),
            json!({"name": "x", "kind": "mainframe"}),
        )
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_field");
    assert!(msg.starts_with("kind"), "{msg}");
    let sid = db["id"].as_i64().unwrap();
    alice
        .delete(&format!("/api/projects/{p}/services/{sid}"))
        .await
        .expect(StatusCode::NO_CONTENT);
    let left = alice
        .get(&format!("/api/projects/{p}/services"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(left.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_services_setup_guide_gets_the_real_endpoints_and_the_frameworks_its_agent_found() {
    use crate::otlp::{checkout, kv, post_proto, request, setup, wait_for_errors};
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let services = s
        .api
        .get(&format!("/api/projects/{}/services", s.project))
        .await
        .expect(StatusCode::OK);
    let gateway = services[0]["id"].as_i64().unwrap();
    let path = format!("/api/projects/{}/services/{gateway}/setup", s.project);
    let before = s.api.get(&path).await.expect(StatusCode::OK);
    assert_eq!(before["public_url"], t.base.as_str());
    assert_eq!(
        before["otlp_http_endpoint"],
        format!("{}/v1/traces", t.base)
    );
    assert_eq!(before["otlp_grpc_endpoint"], t.grpc.as_str());
    assert_eq!(before["frameworks"], json!([]), "nothing sent yet");
    assert_eq!(before["sdk_language"], serde_json::Value::Null);

    // What Omegi's Python agent puts in the resource when it starts.
    let mut req = request(checkout(1));
    for rs in &mut req.resource_spans {
        let resource = rs.resource.as_mut().unwrap();
        resource
            .attributes
            .push(kv("omegi.frameworks", "flask,requests"));
        resource
            .attributes
            .push(kv("telemetry.sdk.language", "python"));
    }
    post_proto(&t, &s.token, &req).await.expect(StatusCode::OK);
    wait_for_errors(&s.api, 1).await;
    let after = s.api.get(&path).await.expect(StatusCode::OK);
    assert_eq!(after["frameworks"], json!(["flask", "requests"]));
    assert_eq!(after["sdk_language"], "python");

    let mallory = t.user("mallory").await;
    mallory
        .get(&path)
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    s.api
        .get(&format!(
            "/api/projects/{}/services/999999/setup",
            s.project
        ))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
}
