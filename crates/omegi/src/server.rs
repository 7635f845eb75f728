//! Starting and stopping the server: opens the store, starts the span writer, the assembly,
//! retention and alert workers, the Kafka consumer when configured and the live-event relay,
//! binds the HTTP and gRPC listeners and serves until asked to stop.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::alerts::Alerts;
use crate::config::Config;
use crate::grpc;
use crate::http::{self, AppState};
use crate::ingest::Ingest;
use crate::live::{self, LiveHub};
use crate::metrics::Metrics;
use crate::pipeline::assembler::{self, AssemblerConfig};
use crate::pipeline::writer::SpanWriter;
use crate::retention;
use crate::store::{activity_of, Saved, Store};

/// A running server, as tests and `omegi serve` see it.
pub struct Server {
    pub http_addr: SocketAddr,
    pub grpc_addr: SocketAddr,
    pub store: Store,
    stop: watch::Sender<bool>,
    http: JoinHandle<std::io::Result<()>>,
    grpc: JoinHandle<Result<(), tonic::transport::Error>>,
    assembler: JoinHandle<()>,
    retention: JoinHandle<()>,
    notifications: JoinHandle<()>,
    alerts: JoinHandle<()>,
    kafka: Option<JoinHandle<()>>,
    writer: JoinHandle<()>,
}

impl Server {
    /// Opens the database (migrating it) and starts serving on the configured addresses;
    /// port 0 picks a free port, reported in `http_addr` and `grpc_addr`.
    pub async fn start(config: Config) -> anyhow::Result<Server> {
        let store = Store::open(&config.database)
            .await
            .context("opening the database")?;
        let listener = tokio::net::TcpListener::bind(config.http_addr)
            .await
            .with_context(|| format!("--http-addr: cannot listen on {}", config.http_addr))?;
        let grpc_listener = tokio::net::TcpListener::bind(config.grpc_addr)
            .await
            .with_context(|| format!("--grpc-addr: cannot listen on {}", config.grpc_addr))?;
        let http_addr = listener.local_addr()?;
        let grpc_addr = grpc_listener.local_addr()?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .context("building the outbound HTTP client")?;
        let metrics = Arc::new(Metrics::new(config.ingest_queue));
        let (writer, writer_task) =
            SpanWriter::start(store.clone(), config.ingest_queue, metrics.clone());
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{http_addr}"));
        let assembler_config = AssemblerConfig {
            settle: config.trace_settle,
            max_wait: config.trace_max_wait,
            max_spans: config.max_spans_per_trace,
        };
        let ingest = Ingest::new(
            store.clone(),
            writer,
            config.ingest_inflight,
            metrics.clone(),
        );
        let max_body = config.max_body;
        let (stop, stopped) = watch::channel(false);
        let kafka = match config.kafka.clone() {
            #[cfg(feature = "kafka")]
            Some(kafka) => Some(crate::kafka::start(ingest.clone(), kafka, stopped.clone()).await?),
            #[cfg(not(feature = "kafka"))]
            Some(_) => anyhow::bail!("--kafka-brokers: this omegi was built without Kafka"),
            None => None,
        };
        let deleted = Arc::new(retention::Deleted::default());
        let retention = tokio::spawn(retention::run(
            store.clone(),
            config.retention,
            deleted.clone(),
            stopped.clone(),
        ));
        // Notes written before "solved before?" kept error features get them once, in the
        // background: suggestions work for them from then on.
        let backfill_store = store.clone();
        tokio::spawn(async move {
            match backfill_store.backfill_error_features().await {
                Ok(0) => {}
                Ok(n) => tracing::info!("stored the features of {n} errors with notes"),
                Err(e) => tracing::warn!("could not store the features of errors with notes: {e}"),
            }
        });
        let live_hub = LiveHub::for_store(&store);
        let notifications = tokio::spawn(live::relay_notifications(
            store.clone(),
            live_hub.clone(),
            stopped.clone(),
        ));
        let alerts = Alerts::new(
            store.clone(),
            config.alerts.clone(),
            public_url.clone().into(),
        )
        .map_err(anyhow::Error::msg)?;
        let alert_worker = tokio::spawn(alerts.clone().run(stopped.clone()));
        let state = AppState {
            store: store.clone(),
            public_url: public_url.into(),
            grpc_port: grpc_addr.port(),
            config: Arc::new(config),
            http: client,
            ingest: ingest.clone(),
            live: live_hub,
            login_limits: Default::default(),
            deleted,
            alerts: alerts.clone(),
        };
        let live = state.live.clone();
        let assembler = tokio::spawn(assembler::run(
            store.clone(),
            assembler_config,
            metrics,
            stopped.clone(),
            move |saved: &[(i64, Saved)]| {
                tracing::debug!(?saved, "traces assembled");
                if saved
                    .iter()
                    .any(|(_, s)| !s.new_errors.is_empty() || !s.regressed_errors.is_empty())
                {
                    live.notify();
                }
                if let Some(activity) = activity_of(saved) {
                    live.saved(activity);
                }
                if saved.iter().any(|(_, s)| s.alerts > 0) {
                    alerts.wake();
                }
            },
        ));
        let grpc = tokio::spawn(
            tonic::transport::Server::builder()
                .layer(tower::util::MapResponseLayer::new(
                    grpc::status_for_exporters,
                ))
                .layer(grpc::AdmitLayer {
                    budget: ingest.budget.clone(),
                    size: max_body,
                })
                .add_service(grpc::service(ingest, max_body))
                .serve_with_incoming_shutdown(
                    tonic::transport::server::TcpIncoming::from(grpc_listener),
                    crate::shutdown::stopped(stopped.clone()),
                ),
        );
        let limits = http::serve::ConnectionLimits {
            max_connections: state.config.max_connections,
            header_timeout: state.config.header_timeout,
        };
        let app = http::router(state);
        let http = tokio::spawn(http::serve::serve(listener, app, limits, stopped));
        Ok(Server {
            http_addr,
            grpc_addr,
            store,
            stop,
            http,
            grpc,
            assembler,
            retention,
            notifications,
            alerts: alert_worker,
            kafka,
            writer: writer_task,
        })
    }

    /// Stops accepting requests, lets running ones finish (their spans are committed), stops
    /// the workers and closes the database.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        self.http.await??;
        self.grpc.await??;
        self.assembler.await?;
        self.retention.await?;
        self.notifications.await?;
        self.alerts.await?;
        // The consumer stores what it holds before the writer goes.
        if let Some(kafka) = self.kafka {
            kafka.await?;
        }
        self.writer.abort();
        self.store.close().await;
        Ok(())
    }

    /// Serves until the HTTP server ends by itself (it does not without a shutdown request).
    pub async fn wait(&mut self) -> anyhow::Result<()> {
        (&mut self.http).await??;
        Ok(())
    }
}
