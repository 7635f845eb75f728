use reqwest::StatusCode;
use serde_json::json;

use crate::common::{Api, TestServer};

async fn whoami(t: &TestServer, header: (&str, String)) -> crate::common::Reply {
    Api::read(
        reqwest::Client::new()
            .get(format!("{}/api/ingest/whoami", t.base))
            .header(header.0, header.1)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_token_is_shown_once_and_only_its_hash_is_stored() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    let p = alice.project("shop").await;
    let s = alice.service(p, "checkout").await;
    let created = alice
        .post(&format!("/api/projects/{p}/services/{s}/tokens"), json!({}))
        .await
        .expect(StatusCode::CREATED);
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("omg_") && secret.len() >= 40, "{secret}");
    assert!(secret.starts_with(created["prefix"].as_str().unwrap()));

    let listed = alice
        .get(&format!("/api/projects/{p}/services/{s}/tokens"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(listed[0].get("secret").is_none());
    assert!(!listed.to_string().contains(&secret));
    assert!(listed[0]["last_used_at"].is_null());

    let db = t.database_bytes().await;
    assert!(!db.is_empty());
    let found = db.windows(secret.len()).any(|w| w == secret.as_bytes());
    assert!(!found, "the plain token is in the database");
    // The prefix is stored, so the check above would have seen a plain token.
    let prefix = created["prefix"].as_str().unwrap().as_bytes();
    assert!(db.windows(prefix.len()).any(|w| w == prefix));
}

#[tokio::test]
async fn a_token_identifies_its_service_until_revoked() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    let p = alice.project("shop").await;
    let s = alice.service(p, "checkout").await;
    let path = format!("/api/projects/{p}/services/{s}/tokens");
    let a = alice
        .post(&path, json!({}))
        .await
        .expect(StatusCode::CREATED);
    let b = alice
        .post(&path, json!({}))
        .await
        .expect(StatusCode::CREATED);
    let (secret_a, secret_b) = (a["secret"].as_str().unwrap(), b["secret"].as_str().unwrap());

    let me = whoami(&t, ("authorization", format!("Bearer {secret_a}")))
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        me,
        json!({"project_id": p, "project": "shop", "service_id": s, "service": "checkout"})
    );
    whoami(&t, ("x-omegi-token", secret_b.to_string()))
        .await
        .expect(StatusCode::OK);
    let listed = alice.get(&path).await.expect(StatusCode::OK);
    assert!(listed[0]["last_used_at"].is_string(), "{listed}");

    let id_a = a["id"].as_i64().unwrap();
    alice
        .delete(&format!("{path}/{id_a}"))
        .await
        .expect(StatusCode::NO_CONTENT);
    whoami(&t, ("authorization", format!("Bearer {secret_a}")))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    // The other token of the service keeps working.
    whoami(&t, ("x-omegi-token", secret_b.to_string()))
        .await
        .expect(StatusCode::OK);
    whoami(&t, ("x-omegi-token", "omg_made_up".into()))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let none = t.client().get("/api/ingest/whoami").await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);

    // Deleting the service revokes its tokens too.
    alice
        .delete(&format!("/api/projects/{p}/services/{s}"))
        .await
        .expect(StatusCode::NO_CONTENT);
    whoami(&t, ("x-omegi-token", secret_b.to_string()))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
}
