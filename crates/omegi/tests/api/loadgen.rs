//! `omegi loadgen`, run as its own process against a test server: every span it was told
//! was accepted is stored, every failing trace it sent became exactly one occurrence, and
//! it timed errors becoming visible through the API and over SSE. The server's /metrics
//! tell the same story.

use std::time::Duration;

use serde_json::Value;

use crate::common::TestServer;
use crate::otlp::{setup, wait_errors};

pub const METRICS_TOKEN: &str = "metrics-token-of-the-test";

/// A metric's value summed over its label sets, from the Prometheus text.
pub fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

pub async fn metrics(t: &TestServer) -> String {
    reqwest::Client::new()
        .get(format!("{}/metrics", t.base))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_acknowledged_span_is_stored_and_every_failing_trace_is_one_occurrence() {
    let t = TestServer::start_with(|c| c.metrics_token = Some(METRICS_TOKEN.into())).await;
    let s = setup(&t).await;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_omegi"))
        .args(["loadgen", "--target", &t.base, "--token", &s.token])
        .args([
            "--duration",
            "3s",
            "--rate",
            "3000",
            "--traces-per-export",
            "10",
        ])
        .args([
            "--error-ratio",
            "0.2",
            "--exception-kinds",
            "6",
            "--services",
            "6",
        ])
        .args(["--user", "alice", "--password", "password-of-alice"])
        .args([
            "--probes-per-sec",
            "2",
            "--watch-per-sec",
            "5",
            "--json",
            "--quiet",
        ])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    let accepted = report["accepted_spans"].as_u64().unwrap();
    let failing = report["failing_traces"].as_u64().unwrap();
    assert!(accepted >= 3000, "{report}");
    assert_eq!(report["rejected_spans"], 0, "{report}");
    assert_eq!(report["failed_exports"], 0, "{report}");
    assert!(failing > 0, "{report}");
    assert!(
        report["api_visible"]["samples"].as_u64().unwrap() > 0,
        "{report}"
    );
    assert!(
        report["sse_visible"]["samples"].as_u64().unwrap() > 0,
        "{report}"
    );
    assert_eq!(report["never_listed"], 0, "{report}");

    // Every failing trace became one occurrence of its group: no fewer, and (a second
    // later, everything assembled) no more.
    let count = |errors: &[Value]| -> u64 {
        errors
            .iter()
            .map(|e| e["occurrence_count"].as_u64().unwrap())
            .sum()
    };
    let errors = wait_errors(&s.api, |e| count(e) >= failing).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let again = wait_errors(&s.api, |_| true).await;
    assert_eq!(count(&again), failing, "{errors:?}");
    let kinds = again
        .iter()
        .filter(|e| {
            !e["exception_type"]
                .as_str()
                .unwrap()
                .starts_with("LoadgenProbe")
        })
        .count();
    assert!((1..=6).contains(&kinds), "{again:?}");

    let text = metrics(&t).await;
    assert_eq!(metric(&text, "omegi_spans_stored_total"), accepted as f64);
    assert_eq!(metric(&text, "omegi_spans_received_total"), accepted as f64);
    assert_eq!(
        metric(&text, "omegi_occurrences_created_total"),
        failing as f64
    );
    assert_eq!(metric(&text, "omegi_traces_pending"), 0.0, "{text}");
    assert!(metric(&text, "omegi_http_request_duration_seconds_count") > 0.0);
}

#[tokio::test]
async fn metrics_are_for_the_scraper_token_or_an_admin_only() {
    let t = TestServer::start_with(|c| c.metrics_token = Some(METRICS_TOKEN.into())).await;
    let anonymous = reqwest::get(format!("{}/metrics", t.base)).await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let wrong = reqwest::Client::new()
        .get(format!("{}/metrics", t.base))
        .bearer_auth("not-the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    // The first account is the admin; the second is not.
    let admin = t.user("root").await;
    let user = t.user("bob").await;
    assert_eq!(user.get("/metrics").await.status, 403);
    let reply = admin.get("/metrics").await;
    assert_eq!(reply.status, 200);
    assert!(metrics(&t)
        .await
        .contains("# TYPE omegi_spans_stored counter"));
}
