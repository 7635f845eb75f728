use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{Api, TestServer};

fn session_cookie(reply: &crate::common::Reply) -> String {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("omegi_session="))
        .expect("a session cookie")
}

#[tokio::test]
async fn signing_up_signs_in_and_the_first_account_is_the_admin() {
    let t = TestServer::start().await;
    let alice = t.client();
    let reply = alice
        .post(
            "/api/auth/signup",
            json!({"username": "alice", "password": "s3cret-pass"}),
        )
        .await;
    let cookie = session_cookie(&reply);
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain http must not set Secure: {cookie}"
    );
    let user = reply.expect(StatusCode::CREATED);
    assert_eq!(user["username"], "alice");
    assert_eq!(user["role"], "admin");
    assert_eq!(
        alice.get("/api/auth/me").await.expect(StatusCode::OK)["username"],
        "alice"
    );

    let bob = t.user("bob").await;
    assert_eq!(
        bob.get("/api/auth/me").await.expect(StatusCode::OK)["role"],
        "user"
    );
}

#[tokio::test]
async fn usernames_are_unique_regardless_of_case() {
    let t = TestServer::start().await;
    t.user("alice").await;
    let msg = t
        .client()
        .post(
            "/api/auth/signup",
            json!({"username": "ALICE", "password": "another-pass"}),
        )
        .await
        .expect_error(StatusCode::CONFLICT, "conflict");
    assert!(msg.contains("ALICE"), "{msg}");
}

#[tokio::test]
async fn login_needs_the_right_password() {
    let t = TestServer::start().await;
    t.user("alice").await;
    let c = t.client();
    c.post(
        "/api/auth/login",
        json!({"username": "alice", "password": "wrong-password"}),
    )
    .await
    .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    c.post(
        "/api/auth/login",
        json!({"username": "nobody", "password": "wrong-password"}),
    )
    .await
    .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    c.get("/api/auth/me")
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let user = c
        .post(
            "/api/auth/login",
            json!({"username": "Alice", "password": "password-of-alice"}),
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(user["username"], "alice");
    assert_eq!(
        c.get("/api/auth/me").await.expect(StatusCode::OK)["username"],
        "alice"
    );
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    let t = TestServer::start().await;
    let c = t.client();
    let reply = c
        .post(
            "/api/auth/signup",
            json!({"username": "alice", "password": "password-1"}),
        )
        .await;
    let cookie = session_cookie(&reply);
    let pair = cookie.split(';').next().unwrap().to_string();

    c.post("/api/auth/logout", json!({}))
        .await
        .expect(StatusCode::NO_CONTENT);
    c.get("/api/auth/me")
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");

    // Replaying the old cookie does not work either: the session is gone server-side.
    let raw = reqwest::Client::new()
        .get(format!("{}/api/auth/me", t.base))
        .header("cookie", pair)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sessions_expire() {
    let t = TestServer::start_with(|c| c.session_ttl = Duration::from_secs(1)).await;
    let alice = t.user("alice").await;
    alice.get("/api/auth/me").await.expect(StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    alice
        .get("/api/auth/me")
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn cookies_are_secure_behind_https() {
    let t = TestServer::start_with(|c| c.public_url = Some("https://omegi.example".into())).await;
    let reply = t
        .client()
        .post(
            "/api/auth/signup",
            json!({"username": "alice", "password": "password-1"}),
        )
        .await;
    assert!(session_cookie(&reply).contains("Secure"));

    let t = TestServer::start().await;
    let reply = Api::read(
        reqwest::Client::new()
            .post(format!("{}/api/auth/signup", t.base))
            .header("x-forwarded-proto", "https")
            .json(&json!({"username": "bob", "password": "password-1"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(session_cookie(&reply).contains("Secure"));
}

#[tokio::test]
async fn new_accounts_need_a_valid_username_and_password() {
    let t = TestServer::start().await;
    let c = t.client();
    let msg = c
        .post(
            "/api/auth/signup",
            json!({"username": "a b", "password": "password-1"}),
        )
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_field");
    assert!(msg.starts_with("username"), "{msg}");
    let msg = c
        .post(
            "/api/auth/signup",
            json!({"username": "alice", "password": "short"}),
        )
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_field");
    assert!(msg.starts_with("password"), "{msg}");
    c.get("/api/auth/me")
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn with_signup_closed_only_an_admin_creates_accounts() {
    let t = TestServer::start().await;
    let admin = t.user("admin").await;
    let bob = t.user("bob").await;
    bob.post(
        "/api/users",
        json!({"username": "carol", "password": "password-1"}),
    )
    .await
    .expect_error(StatusCode::FORBIDDEN, "forbidden");
    let carol = admin
        .post(
            "/api/users",
            json!({"username": "carol", "password": "password-1"}),
        )
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(carol["role"], "user");
    let found = bob.get("/api/users?q=CA").await.expect(StatusCode::OK);
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["username"], "carol");
}
