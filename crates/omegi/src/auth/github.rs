//! GitHub sign-in (OAuth 2 authorization-code flow). The three URLs come from configuration so
//! GitHub Enterprise works and tests can use a stand-in server.

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use serde::Deserialize;

use crate::config::GithubConfig;

#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    #[error("invalid GitHub OAuth URL: {0}")]
    Url(String),
    #[error("GitHub refused the sign-in code: {0}")]
    Exchange(String),
    #[error("cannot read the GitHub user: {0}")]
    User(String),
}

/// The GitHub account that signed in.
#[derive(Debug, Deserialize)]
pub struct GithubUser {
    pub id: i64,
    pub login: String,
}

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

fn client(cfg: &GithubConfig, redirect_url: &str) -> Result<Client, GithubError> {
    let url_err = |e: oauth2::url::ParseError| GithubError::Url(e.to_string());
    Ok(BasicClient::new(ClientId::new(cfg.client_id.clone()))
        .set_client_secret(ClientSecret::new(cfg.client_secret.clone()))
        .set_auth_uri(AuthUrl::new(cfg.authorize_url.clone()).map_err(url_err)?)
        .set_token_uri(TokenUrl::new(cfg.token_url.clone()).map_err(url_err)?)
        .set_redirect_uri(RedirectUrl::new(redirect_url.to_string()).map_err(url_err)?))
}

/// The URL to send the browser to, and the `state` value it must bring back.
pub fn authorize_url(
    cfg: &GithubConfig,
    redirect_url: &str,
) -> Result<(String, String), GithubError> {
    let (url, state) = client(cfg, redirect_url)?
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("read:user".into()))
        .url();
    Ok((url.to_string(), state.secret().clone()))
}

/// Exchanges the callback's code for an access token and reads the user it belongs to.
pub async fn sign_in(
    cfg: &GithubConfig,
    redirect_url: &str,
    http: &reqwest::Client,
    code: String,
) -> Result<GithubUser, GithubError> {
    let token = client(cfg, redirect_url)?
        .exchange_code(AuthorizationCode::new(code))
        .request_async(http)
        .await
        .map_err(|e| GithubError::Exchange(e.to_string()))?;
    let response = http
        .get(&cfg.user_url)
        .bearer_auth(token.access_token().secret())
        .header(reqwest::header::USER_AGENT, "omegi")
        .header(reqwest::header::ACCEPT, "application/vnd.github+json")
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| GithubError::User(e.to_string()))?;
    response
        .json::<GithubUser>()
        .await
        .map_err(|e| GithubError::User(e.to_string()))
}
