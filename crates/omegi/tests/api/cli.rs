//! The `omegi` binary itself: configuration errors, `--help`, and `omegi user create`.

use std::process::{Command, Stdio};

use omegi::config::{Database, Signup};
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{fresh_database, TestServer};

fn omegi() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_omegi"));
    for (key, _) in std::env::vars() {
        if key.starts_with("OMEGI_") {
            cmd.env_remove(key);
        }
    }
    cmd.stdin(Stdio::null());
    cmd
}

fn fails_naming(cmd: &mut Command, option: &str) {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "should fail: {stderr}");
    assert!(
        stderr.contains(option),
        "the error should name {option}: {stderr}"
    );
}

#[test]
fn a_bad_value_stops_start_up_naming_the_option() {
    let dir = tempfile::tempdir().unwrap();
    fails_naming(
        omegi().args(["serve", "--http-addr", "not-an-address"]),
        "--http-addr",
    );
    fails_naming(
        omegi().args(["serve"]).env("OMEGI_SIGNUP", "sometimes"),
        "--signup",
    );
    fails_naming(
        omegi().args(["serve", "--session-ttl", "forever"]),
        "--session-ttl",
    );
    fails_naming(
        omegi().args(["serve", "--database-url", "mysql://db/omegi"]),
        "--database-url",
    );
    let file = dir.path().join("omegi.toml");
    std::fs::write(&file, "http_adress = \"127.0.0.1:1\"\n").unwrap();
    fails_naming(
        omegi().arg("serve").arg("--config").arg(&file),
        "http_adress",
    );
    std::fs::write(&file, "max_body = \"lots\"\n").unwrap();
    fails_naming(omegi().arg("serve").arg("--config").arg(&file), "max_body");
}

#[test]
fn serve_help_documents_every_option() {
    let out = omegi().args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for option in [
        "--config",
        "--http-addr",
        "--data-dir",
        "--database-url",
        "--signup",
        "--public-url",
        "--session-ttl",
        "--max-body",
        "--github-client-id",
        "--github-client-secret",
        "--github-authorize-url",
        "--github-token-url",
        "--github-user-url",
        "OMEGI_HTTP_ADDR",
    ] {
        assert!(help.contains(option), "{option} missing from:\n{help}");
    }
}

#[tokio::test]
async fn an_admin_created_from_the_shell_runs_a_closed_server() {
    let dir = tempfile::tempdir().unwrap();
    let database = fresh_database(dir.path()).await;
    let mut create = omegi();
    create.args([
        "user",
        "create",
        "--username",
        "root",
        "--password",
        "root-password",
        "--admin",
    ]);
    match &database {
        Database::Sqlite { path } => create.arg("--data-dir").arg(path.parent().unwrap()),
        Database::Postgres { url } => create.args(["--database-url", url]),
    };
    let out = create.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let t = TestServer::start_with(|c| {
        c.database = database.clone();
        c.signup = Signup::Closed;
    })
    .await;
    let c = t.client();
    let providers = c.get("/api/auth/providers").await.expect(StatusCode::OK);
    assert_eq!(providers["signup_open"], false);
    c.post(
        "/api/auth/signup",
        json!({"username": "eve", "password": "password-1"}),
    )
    .await
    .expect_error(StatusCode::FORBIDDEN, "forbidden");
    let root = t.client();
    let me = root
        .post(
            "/api/auth/login",
            json!({"username": "root", "password": "root-password"}),
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(me["role"], "admin");
    root.post(
        "/api/users",
        json!({"username": "bob", "password": "bob-password"}),
    )
    .await
    .expect(StatusCode::CREATED);
    c.post(
        "/api/auth/login",
        json!({"username": "bob", "password": "bob-password"}),
    )
    .await
    .expect(StatusCode::OK);
    t.stop().await;
}

#[tokio::test]
async fn probes_report_process_and_database() {
    let t = TestServer::start().await;
    let c = t.client();
    assert_eq!(
        c.get("/healthz").await.expect(StatusCode::OK)["status"],
        "ok"
    );
    assert_eq!(
        c.get("/readyz").await.expect(StatusCode::OK)["status"],
        "ready"
    );
}
