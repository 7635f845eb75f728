//! The web front door: security headers on every answer, no state change from another site,
//! and sign-in attempts limited per address and per account without locking the owner out.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{Api, Reply, TestServer};

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let t = TestServer::start().await;
    let api = t.client();
    for path in [
        "/",
        "/errors/1",
        "/api/auth/me",
        "/api/openapi.json",
        "/api/nothing",
    ] {
        let reply = api.get(path).await;
        let header = |name: &str| {
            reply
                .headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_else(|| panic!("{path} has no {name}"))
        };
        let csp = header("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("script-src 'self';"), "{csp}");
        assert!(!csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
        assert_eq!(header("x-frame-options"), "DENY");
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert_eq!(header("referrer-policy"), "same-origin");
    }
}

/// A request as a browser sends it, with the headers that say where it came from.
async fn from_browser(
    api: &Api,
    method: Method,
    path: &str,
    origin: &str,
    site: Option<&str>,
) -> Reply {
    let mut req = api
        .http
        .request(method, format!("{}{path}", api.base))
        .header("origin", origin)
        .header("content-type", "text/plain")
        .body("{}");
    if let Some(site) = site {
        req = req.header("sec-fetch-site", site);
    }
    Api::read(req.send().await.unwrap()).await
}

#[tokio::test]
async fn a_page_of_another_site_cannot_change_anything_with_the_users_cookie() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    let p = alice.project("shop").await;
    let s = alice.service(p, "web").await;
    let mint = format!("/api/projects/{p}/services/{s}/tokens");

    // A sibling subdomain (same site, so SameSite=Lax sends the cookie), and a foreign site.
    for (origin, site) in [
        ("http://evil.localhost:9999", Some("same-site")),
        ("https://evil.example", Some("cross-site")),
        ("https://evil.example", None),
        ("null", None),
    ] {
        from_browser(&alice, Method::POST, &mint, origin, site)
            .await
            .expect_error(StatusCode::FORBIDDEN, "cross_site_request");
        from_browser(&alice, Method::POST, "/api/auth/logout", origin, site)
            .await
            .expect_error(StatusCode::FORBIDDEN, "cross_site_request");
    }
    let tokens = alice.get(&mint).await.expect(StatusCode::OK);
    assert_eq!(tokens.as_array().unwrap().len(), 0, "no token was minted");
    alice.get("/api/auth/me").await.expect(StatusCode::OK);

    // Omegi's own pages, and clients that are not browsers, still work.
    let reply = alice
        .http
        .post(format!("{}{mint}", alice.base))
        .header("origin", &t.base)
        .header("sec-fetch-site", "same-origin")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::CREATED);
    let reply = alice
        .http
        .post(format!("{}{mint}", alice.base))
        .header("origin", &t.base)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::CREATED);
    alice
        .post(&mint, json!({}))
        .await
        .expect(StatusCode::CREATED);
}

fn client_from(t: &TestServer, address: [u8; 4]) -> Api {
    Api {
        http: reqwest::Client::builder()
            .cookie_store(true)
            .local_address(std::net::IpAddr::from(address))
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        base: t.base.clone(),
    }
}

async fn login(api: &Api, user: &str, password: &str) -> Reply {
    api.post(
        "/api/auth/login",
        json!({"username": user, "password": password}),
    )
    .await
}

#[tokio::test]
async fn password_guessing_is_slowed_per_address_and_account_but_the_owner_still_signs_in() {
    let t = TestServer::start().await;
    t.user("alice").await;
    t.user("bob").await;
    let attacker = client_from(&t, [127, 0, 0, 1]);
    let mut refused = None;
    for n in 0..40 {
        let reply = login(&attacker, "alice", &format!("guess-{n}")).await;
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some((n, reply));
            break;
        }
        reply.expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let (n, reply) = refused.expect("40 wrong passwords in a row were all answered 401");
    assert_eq!(n, 10, "the 11th attempt within a minute is refused");
    let retry: u64 = reply.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    reply.expect_error(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    // Even the right password waits: the limit does not tell the guesser which one was right.
    login(&attacker, "alice", "password-of-alice")
        .await
        .expect_error(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");

    // The owner, elsewhere, is not locked out; other accounts from the address still work.
    let owner = client_from(&t, [127, 0, 0, 2]);
    login(&owner, "alice", "password-of-alice")
        .await
        .expect(StatusCode::OK);
    login(&attacker, "bob", "password-of-bob")
        .await
        .expect(StatusCode::OK);

    // One address guessing across many accounts is stopped by the per-address limit.
    let mut statuses = Vec::new();
    for n in 0..30 {
        statuses.push(
            login(&attacker, &format!("user{n}"), "x-wrong-password")
                .await
                .status,
        );
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}
