//! Starting and stopping the server: opens the store, binds the listeners and serves until
//! asked to stop.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::sync::oneshot;

use crate::config::Config;
use crate::http::{self, AppState};
use crate::store::Store;

/// A running server, as tests and `omegi serve` see it.
pub struct Server {
    pub http_addr: SocketAddr,
    pub store: Store,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Opens the database (migrating it) and starts serving on the configured addresses;
    /// port 0 picks a free port, reported in `http_addr`.
    pub async fn start(config: Config) -> anyhow::Result<Server> {
        let store = Store::open(&config.database)
            .await
            .context("opening the database")?;
        let listener = tokio::net::TcpListener::bind(config.http_addr)
            .await
            .with_context(|| format!("--http-addr: cannot listen on {}", config.http_addr))?;
        let http_addr = listener.local_addr()?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .context("building the outbound HTTP client")?;
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{http_addr}"));
        let state = AppState {
            store: store.clone(),
            public_url: public_url.into(),
            config: Arc::new(config),
            http: client,
            token_use: Default::default(),
        };
        let (app, _) = http::router(state);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(Server {
            http_addr,
            store,
            stop: Some(stop),
            task,
        })
    }

    /// Stops accepting requests, lets running ones finish, and closes the database.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await??;
        self.store.close().await;
        Ok(())
    }

    /// Serves until the task ends by itself (it does not without a shutdown request).
    pub async fn wait(&mut self) -> anyhow::Result<()> {
        (&mut self.task).await??;
        Ok(())
    }
}
