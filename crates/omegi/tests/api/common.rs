//! The test harness: a real `omegi` server on a random port with a fresh database (a SQLite
//! file, or a new PostgreSQL database when `OMEGI_TEST_POSTGRES_URL` is set), and an HTTP
//! client with its own cookie jar per user.

use std::path::PathBuf;
use std::time::Duration;

use omegi::config::{Config, Database, ServeArgs};
use omegi::server::Server;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::Connection;

pub struct TestServer {
    pub base: String,
    pub grpc: String,
    pub database: Database,
    server: Option<Server>,
    _dir: tempfile::TempDir,
}

/// Default test configuration; tests change what they need.
pub fn test_config(dir: &std::path::Path) -> Config {
    let args = ServeArgs {
        http_addr: Some("127.0.0.1:0".parse().unwrap()),
        grpc_addr: Some("127.0.0.1:0".parse().unwrap()),
        data_dir: Some(dir.to_path_buf()),
        trace_settle: Some(Duration::from_millis(200)),
        trace_max_wait: Some(Duration::from_secs(3)),
        ..Default::default()
    };
    Config::load(args).unwrap()
}

/// Whether this test run uses PostgreSQL (`OMEGI_TEST_POSTGRES_URL`), else SQLite files.
pub fn on_postgres() -> bool {
    std::env::var_os("OMEGI_TEST_POSTGRES_URL").is_some()
}

/// A fresh database on the back-end this test run uses.
pub async fn fresh_database(dir: &std::path::Path) -> Database {
    match std::env::var("OMEGI_TEST_POSTGRES_URL") {
        Ok(admin_url) => {
            let name = format!(
                "omegi_test_{}",
                omegi::auth::secret::generate().to_lowercase()
            );
            let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await
                .unwrap();
            let base = admin_url.rsplit_once('/').unwrap().0;
            Database::Postgres {
                url: format!("{base}/{name}"),
            }
        }
        Err(_) => Database::Sqlite {
            path: dir.join("omegi.db"),
        },
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(change: impl FnOnce(&mut Config)) -> TestServer {
        // The server's log, when a failing test wants it: OMEGI_LOG=warn cargo test ...
        if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("OMEGI_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config(dir.path());
        config.database = fresh_database(dir.path()).await;
        change(&mut config);
        let database = config.database.clone();
        let server = Server::start(config).await.unwrap();
        TestServer {
            base: format!("http://{}", server.http_addr),
            grpc: format!("http://{}", server.grpc_addr),
            database,
            server: Some(server),
            _dir: dir,
        }
    }

    /// A client with an empty cookie jar.
    pub fn client(&self) -> Api {
        Api {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            base: self.base.clone(),
        }
    }

    /// Signs up `username` (password `password-of-<username>`) and returns their client.
    pub async fn user(&self, username: &str) -> Api {
        let api = self.client();
        api.post(
            "/api/auth/signup",
            json!({"username": username, "password": format!("password-of-{username}")}),
        )
        .await
        .expect(StatusCode::CREATED);
        api
    }

    /// Every byte the database holds, for checking that a secret is not stored: the SQLite
    /// file and its WAL, or a `pg_dump` of the PostgreSQL database.
    pub async fn database_bytes(&self) -> Vec<u8> {
        match &self.database {
            Database::Sqlite { path } => {
                let mut bytes = std::fs::read(path).unwrap();
                let wal = PathBuf::from(format!("{}-wal", path.display()));
                bytes.extend(std::fs::read(wal).unwrap_or_default());
                bytes
            }
            Database::Postgres { url } => {
                let bin = std::env::var("OMEGI_TEST_PG_BIN").expect("OMEGI_TEST_PG_BIN");
                let out = std::process::Command::new(format!("{bin}/pg_dump"))
                    .arg(url)
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                out.stdout
            }
        }
    }

    /// The server's storage, for tests that drive a worker step themselves (retention).
    pub fn store(&self) -> &omegi::store::Store {
        &self.server.as_ref().unwrap().store
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.unwrap();
        }
    }
}

/// An HTTP client for one user of the API.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The body, after checking the status (the panic shows the body).
    #[track_caller]
    pub fn expect(self, status: StatusCode) -> Value {
        assert_eq!(self.status, status, "unexpected answer: {}", self.body);
        self.body
    }

    /// Checks an error answer's status and code and returns its message.
    #[track_caller]
    pub fn expect_error(self, status: StatusCode, code: &str) -> String {
        assert_eq!(self.status, status, "unexpected answer: {}", self.body);
        assert_eq!(self.body["error"]["code"], code, "{}", self.body);
        self.body["error"]["message"].as_str().unwrap().to_string()
    }
}

impl Api {
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            req = req.json(&body);
        }
        Self::read(req.send().await.unwrap()).await
    }

    pub async fn read(resp: reqwest::Response) -> Reply {
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.send(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None).await
    }

    /// Creates a project and returns its id.
    pub async fn project(&self, name: &str) -> i64 {
        let p = self
            .post("/api/projects", json!({"name": name}))
            .await
            .expect(StatusCode::CREATED);
        p["id"].as_i64().unwrap()
    }

    /// Creates a service in `project` and returns its id.
    pub async fn service(&self, project: i64, name: &str) -> i64 {
        let s = self
            .post(
                &format!("/api/projects/{project}/services"),
                json!({"name": name, "kind": "python"}),
            )
            .await
            .expect(StatusCode::CREATED);
        s["id"].as_i64().unwrap()
    }
}

/// A database URL for a test to look into storage directly.
pub fn database_url(database: &Database) -> String {
    match database {
        Database::Sqlite { path } => format!("sqlite://{}", path.display()),
        Database::Postgres { url } => url.clone(),
    }
}

/// `omegi serve` as a separate process (for crash tests), and its HTTP base URL.
pub struct Process {
    pub child: std::process::Child,
    pub base: String,
}

impl Process {
    pub async fn spawn(database: &Database, extra: &[&str]) -> Process {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_omegi"));
        cmd.args([
            "serve",
            "--http-addr",
            &format!("127.0.0.1:{port}"),
            "--grpc-addr",
            "127.0.0.1:0",
        ])
        .args(extra)
        .env("OMEGI_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null());
        match database {
            Database::Sqlite { path } => cmd.arg("--data-dir").arg(path.parent().unwrap()),
            Database::Postgres { url } => cmd.args(["--database-url", url]),
        };
        let child = cmd.spawn().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while !reqwest::get(format!("{base}/readyz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            assert!(std::time::Instant::now() < deadline, "omegi did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Process { child, base }
    }

    pub fn api(&self) -> Api {
        Api {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .unwrap(),
            base: self.base.clone(),
        }
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
