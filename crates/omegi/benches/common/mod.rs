//! What the HTTP benchmarks over a seeded database start with: the real server on a fresh
//! SQLite database in a temporary directory, and a signed-up owner of one project.

use omegi::config::{Config, ServeArgs};
use omegi::server::Server;

pub struct Bench {
    /// Holds the database; deleted when the benchmark ends.
    pub dir: tempfile::TempDir,
    pub server: Server,
    pub base: String,
    /// Signed in as the project's owner.
    pub http: reqwest::Client,
    pub project: i64,
}

impl Bench {
    pub async fn start() -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::load(ServeArgs {
            http_addr: Some("127.0.0.1:0".parse().unwrap()),
            grpc_addr: Some("127.0.0.1:0".parse().unwrap()),
            data_dir: Some(dir.path().to_path_buf()),
            ..Default::default()
        })
        .unwrap();
        let server = Server::start(config).await.unwrap();
        let base = format!("http://{}", server.http_addr);
        let owner = omegi_testkit::owner::signed_up(&base, "bench", "shop", "checkout").await;
        Bench {
            dir,
            server,
            base,
            http: owner.http,
            project: owner.project,
        }
    }

    /// The SQLite file the server stores in, for seeding it directly.
    pub fn database(&self) -> std::path::PathBuf {
        self.dir.path().join("omegi.db")
    }

    /// GET `path` as the owner, the answer as JSON.
    pub async fn get(&self, path: &str) -> serde_json::Value {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}
