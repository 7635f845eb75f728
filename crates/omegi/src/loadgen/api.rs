//! A signed-in client of Omegi's API, as the load generator's visibility checks and the
//! demo use it: a session cookie from `POST /api/auth/login`, JSON in and out.

use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::Value;

#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    /// Base URL, without a trailing slash.
    pub api: String,
    cookie: String,
}

impl ApiClient {
    pub async fn sign_in(api: &str, user: &str, password: &str) -> anyhow::Result<ApiClient> {
        let api = api.trim_end_matches('/').to_string();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?;
        let reply = http
            .post(format!("{api}/api/auth/login"))
            .json(&serde_json::json!({"username": user, "password": password}))
            .send()
            .await
            .with_context(|| format!("signing in at {api}"))?;
        if !reply.status().is_success() {
            bail!("signing in as {user} at {api} failed: {}", reply.status());
        }
        let cookie = reply
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .find(|v| v.starts_with("omegi_session="))
            .context("the sign-in answer set no session cookie")?
            .to_string();
        Ok(ApiClient { http, api, cookie })
    }

    /// The session cookie, for a request made with another client.
    pub fn cookie(&self) -> &str {
        &self.cookie
    }

    /// A request to `path` (under the base URL) with the session.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.api))
            .header(reqwest::header::COOKIE, &self.cookie)
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        answer(self.request(reqwest::Method::GET, path).send().await?).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let reply = self
            .request(reqwest::Method::POST, path)
            .json(body)
            .send()
            .await?;
        answer(reply).await
    }
}

async fn answer(reply: reqwest::Response) -> anyhow::Result<Value> {
    let status = reply.status();
    let url = reply.url().path().to_string();
    let body: Value = reply.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("{url} answered {status}: {body}");
    }
    Ok(body)
}
