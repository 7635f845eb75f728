//! The web UI served by the binary itself.

use reqwest::StatusCode;

use crate::common::TestServer;

#[tokio::test]
async fn the_ui_is_embedded_with_client_routes_falling_back_to_index_html() {
    let t = TestServer::start().await;
    let get = |path: &str| reqwest::get(format!("{}{path}", t.base));
    for path in ["/", "/errors/42", "/notes/graph?scope=all", "/settings"] {
        let r = get(path).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers()["cache-control"], "no-cache");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let html = r.text().await.unwrap();
        assert!(html.contains("<div id=\"root\">"), "{path}: {html}");
    }
    // The hashed script the page loads is served with a long-lived cache header.
    let html = get("/").await.unwrap().text().await.unwrap();
    let script = html
        .split("src=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    assert!(script.starts_with("/assets/"), "{script}");
    let r = get(&script).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("javascript"));
    // API paths never fall back to the UI.
    let r = get("/api/nothing-here").await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("\"not_found\""));
}
