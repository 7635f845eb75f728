//! GitHub sign-in against a stand-in OAuth server started by the test.

use axum::extract::Form;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::TestServer;
use omegi::config::GithubConfig;

const GOOD_CODE: &str = "code-from-github";
const ACCESS_TOKEN: &str = "gho_standin_token";

/// A tiny GitHub: a token endpoint that accepts one code and a user endpoint for its token.
async fn stand_in_github() -> String {
    async fn token(Form(form): Form<Vec<(String, String)>>) -> (StatusCode, Json<Value>) {
        let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        if field("code").as_deref() == Some(GOOD_CODE)
            && field("grant_type").as_deref() == Some("authorization_code")
        {
            (
                StatusCode::OK,
                Json(
                    json!({"access_token": ACCESS_TOKEN, "token_type": "bearer", "scope": "read:user"}),
                ),
            )
        } else {
            (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "bad_verification_code"})),
            )
        }
    }
    async fn user(headers: HeaderMap) -> (StatusCode, Json<Value>) {
        let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
        if auth == Some(&format!("Bearer {ACCESS_TOKEN}")) {
            (
                StatusCode::OK,
                Json(json!({"id": 583231, "login": "octocat"})),
            )
        } else {
            (
                StatusCode::UNAUTHORIZED,
                Json(json!({"message": "Bad credentials"})),
            )
        }
    }
    let app = Router::new()
        .route("/login/oauth/access_token", post(token))
        .route("/api/v3/user", get(user));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn server_with_github() -> TestServer {
    let gh = stand_in_github().await;
    TestServer::start_with(|c| {
        c.github = Some(GithubConfig {
            client_id: "omegi-client".into(),
            client_secret: "omegi-secret".into(),
            authorize_url: format!("{gh}/login/oauth/authorize"),
            token_url: format!("{gh}/login/oauth/access_token"),
            user_url: format!("{gh}/api/v3/user"),
        })
    })
    .await
}

/// Starts the flow and returns the `state` GitHub would be sent.
async fn start_flow(api: &crate::common::Api) -> String {
    let reply = api.get("/api/auth/github/login").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let location = reply.headers["location"].to_str().unwrap();
    let url = reqwest::Url::parse(location).unwrap();
    assert_eq!(url.path(), "/login/oauth/authorize");
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], "omegi-client");
    assert!(
        q["redirect_uri"].ends_with("/api/auth/github/callback"),
        "{}",
        q["redirect_uri"]
    );
    q["state"].clone()
}

#[tokio::test]
async fn github_sign_in_creates_the_account_on_first_use_and_reuses_it() {
    let t = server_with_github().await;
    assert_eq!(
        t.client()
            .get("/api/auth/providers")
            .await
            .expect(StatusCode::OK)["github"],
        true
    );
    let browser = t.client();
    let state = start_flow(&browser).await;
    let reply = browser
        .get(&format!(
            "/api/auth/github/callback?code={GOOD_CODE}&state={state}"
        ))
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.headers["location"], format!("{}/", t.base));
    let me = browser.get("/api/auth/me").await.expect(StatusCode::OK);
    assert_eq!(me["username"], "octocat");
    assert_eq!(me["github"], true);

    // A second sign-in finds the same account.
    let again = t.client();
    let state = start_flow(&again).await;
    again
        .get(&format!(
            "/api/auth/github/callback?code={GOOD_CODE}&state={state}"
        ))
        .await;
    assert_eq!(
        again.get("/api/auth/me").await.expect(StatusCode::OK)["id"],
        me["id"]
    );
}

#[tokio::test]
async fn a_local_account_with_the_same_name_is_not_taken_over() {
    let t = server_with_github().await;
    let local = t.user("octocat").await;
    let browser = t.client();
    let state = start_flow(&browser).await;
    browser
        .get(&format!(
            "/api/auth/github/callback?code={GOOD_CODE}&state={state}"
        ))
        .await;
    let me = browser.get("/api/auth/me").await.expect(StatusCode::OK);
    assert_eq!(me["username"], "octocat-github");
    assert_ne!(me["id"], local.get("/api/auth/me").await.body["id"]);
}

#[tokio::test]
async fn a_callback_with_the_wrong_state_is_rejected() {
    let t = server_with_github().await;
    let browser = t.client();
    start_flow(&browser).await;
    browser
        .get(&format!(
            "/api/auth/github/callback?code={GOOD_CODE}&state=forged"
        ))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "state_mismatch");
    // A browser that never started the flow has no state cookie at all.
    let state = start_flow(&t.client()).await;
    t.client()
        .get(&format!(
            "/api/auth/github/callback?code={GOOD_CODE}&state={state}"
        ))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "state_mismatch");
    browser
        .get("/api/auth/me")
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn a_code_github_refuses_signs_nobody_in() {
    let t = server_with_github().await;
    let browser = t.client();
    let state = start_flow(&browser).await;
    browser
        .get(&format!(
            "/api/auth/github/callback?code=stolen&state={state}"
        ))
        .await
        .expect_error(StatusCode::BAD_GATEWAY, "github_failed");
    browser
        .get("/api/auth/me")
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn without_a_client_id_github_sign_in_is_off() {
    let t = TestServer::start().await;
    let c = t.client();
    assert_eq!(
        c.get("/api/auth/providers").await.expect(StatusCode::OK)["github"],
        false
    );
    let msg = c
        .get("/api/auth/github/login")
        .await
        .expect_error(StatusCode::NOT_FOUND, "github_disabled");
    assert!(msg.contains("not configured"), "{msg}");
}
