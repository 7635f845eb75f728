//! Slow or lying clients cannot pile up: unfinished headers are cut off, a stalled body gets
//! 408, an impossible declared size gets 413 at once, and connections beyond the limit wait.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::TestServer;

async fn connect(t: &TestServer) -> TcpStream {
    TcpStream::connect(t.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Everything the server sends until it closes the connection (or `within` passes).
async fn read_all(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut out = Vec::new();
    let read = tokio::time::timeout(within, stream.read_to_end(&mut out)).await;
    read.ok()
        .map(|_| String::from_utf8_lossy(&out).into_owned())
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let t = TestServer::start_with(|c| c.header_timeout = Duration::from_millis(500)).await;
    let mut stream = connect(&t).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: omegi\r\nX-Half: ")
        .await
        .unwrap();
    let answer = read_all(&mut stream, Duration::from_secs(10)).await;
    assert!(answer.is_some(), "the connection was still open after 10 s");
}

#[tokio::test]
async fn a_body_that_stops_arriving_gets_408() {
    let t = TestServer::start_with(|c| c.body_timeout = Duration::from_millis(500)).await;
    let token = crate::otlp::setup(&t).await.token;
    for path in ["/api/auth/login", "/v1/traces"] {
        let mut stream = connect(&t).await;
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: omegi\r\nContent-Type: application/json\r\n\
             Authorization: Bearer {token}\r\nContent-Length: 100\r\n\r\n{{\"username\""
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let answer = read_all(&mut stream, Duration::from_secs(10)).await;
        let answer = answer.unwrap_or_else(|| panic!("{path}: no answer within 10 s"));
        assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer}");
        assert!(
            answer.contains("\"code\":\"body_timeout\""),
            "{path}: {answer}"
        );
    }
}

#[tokio::test]
async fn a_declared_size_over_the_limit_is_refused_before_any_body() {
    let t = TestServer::start().await;
    for path in ["/api/auth/login", "/v1/traces", "/api/notes"] {
        let mut stream = connect(&t).await;
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: omegi\r\nContent-Type: application/json\r\n\
             Content-Length: 1000000000000\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let answer = read_all(&mut stream, Duration::from_secs(5)).await;
        let answer = answer.unwrap_or_else(|| panic!("{path}: no answer within 5 s"));
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
        assert!(
            answer.contains("\"code\":\"body_too_large\""),
            "{path}: {answer}"
        );
    }
}

#[tokio::test]
async fn connections_beyond_the_limit_wait_until_one_closes() {
    let t = TestServer::start_with(|c| c.max_connections = 4).await;
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(connect(&t).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let client = reqwest::Client::new();
    let url = format!("{}/healthz", t.base);
    let waiting = tokio::spawn(async move { client.get(url).send().await.map(|r| r.status()) });
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        !waiting.is_finished(),
        "a fifth connection was served while four were open"
    );
    idle.pop();
    let status = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("served once a connection closed")
        .unwrap()
        .unwrap();
    assert_eq!(status, reqwest::StatusCode::OK);
}
