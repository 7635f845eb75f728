//! Alerts that reach people who are not looking at Omegi. Assembly writes them to an outbox
//! in the transaction that saved their cause (`store::alert_outbox`); this worker claims due
//! alerts, folds the alerts of one channel that are due together into one digest, sends them
//! and records each attempt: 2xx ends an alert, anything else is retried with exponential
//! back-off, and after [`MAX_ATTEMPTS`] the alert is given up and shown as failed. Every node
//! runs a worker; claims are leased, so each alert is sent by one node. An alert whose
//! acknowledgement was lost in a crash is sent again with the same delivery id.

pub mod deliver;
pub mod guard;
pub mod message;
pub mod render;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};

use crate::auth::secret;
use crate::config::AlertConfig;
use crate::model::{now_ms, AlertChannel, ChannelKind, Millis};
use crate::shutdown::stopped;
use crate::store::{Attempt, ChannelRow, DeliveryRow, Result, Store, StoreError};
use deliver::Outcome;
use guard::Guard;
use message::{headline, AlertBody, Gather, ProjectRef};

/// Attempts before an alert is given up.
pub const MAX_ATTEMPTS: i64 = 10;
/// Longest pause between attempts.
const MAX_BACKOFF_MS: i64 = 3_600_000;
/// How long a claim holds. A round stops sending once half of it is gone and hands the rest
/// back, and one message may take at most [`SEND_TIMEOUT`], so a claim never runs out while
/// its holder is still sending (another node would send the same alerts again).
const LEASE_MS: i64 = 120_000;
/// Longest a single message may take (HTTP, or a whole SMTP conversation).
const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// Channels whose due alerts are claimed in one round.
const CLAIM_CHANNELS: i64 = 20;
/// Errors spelled out in one message; a digest counts the rest.
pub const SHOWN: usize = 5;
/// How often the outbox is looked at when nothing wakes the worker (other nodes' alerts).
const POLL: Duration = Duration::from_secs(1);
/// Recipients of one email channel.
pub const MAX_RECIPIENTS: usize = 20;

/// Sends alerts: the worker, and test alerts from Settings.
#[derive(Clone)]
pub struct Alerts {
    store: Store,
    client: reqwest::Client,
    guard: Guard,
    config: Arc<AlertConfig>,
    public_url: Arc<str>,
    wake: Arc<Notify>,
}

impl Alerts {
    pub fn new(store: Store, config: AlertConfig, public_url: Arc<str>) -> Result<Alerts, String> {
        let guard = Guard {
            allow_local: config.allow_local_targets,
        };
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve names itself, past the guard's resolver.
            .no_proxy()
            .timeout(Duration::from_secs(20))
            .user_agent(concat!("Omegi/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(guard.resolver())
            .build()
            .map_err(|e| format!("building the alert HTTP client: {e}"))?;
        Ok(Alerts {
            store,
            client,
            guard,
            config: Arc::new(config),
            public_url,
            wake: Arc::new(Notify::new()),
        })
    }

    pub fn guard(&self) -> Guard {
        self.guard
    }

    /// Whether email channels can be used (an SMTP server is configured).
    pub fn email_enabled(&self) -> bool {
        self.config.smtp.is_some()
    }

    /// Tells the worker that alerts were written.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Sends due alerts until `stop` turns true.
    pub async fn run(self, stop: watch::Receiver<bool>) {
        loop {
            let sent = match self.round().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!("sending alerts failed (retried): {e}");
                    0
                }
            };
            if sent > 0 {
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = self.wake.notified() => {}
                _ = stopped(stop.clone()) => return,
            }
        }
    }

    /// Claims due alerts and sends them, a message per channel and delivery; returns how many
    /// alerts it handled.
    async fn round(&self) -> Result<usize> {
        let digest_ms = i64::try_from(self.config.digest_window.as_millis()).unwrap_or(i64::MAX);
        let claim = secret::random_id128();
        let started = tokio::time::Instant::now();
        let rows = self
            .store
            .claim_alerts(&claim, now_ms(), LEASE_MS, digest_ms, CLAIM_CHANNELS)
            .await?;
        let n = rows.len();
        // Retries keep the message they belonged to; new alerts of a channel form one.
        let mut messages: BTreeMap<(i64, Option<String>), Vec<DeliveryRow>> = BTreeMap::new();
        for row in rows {
            let Some(channel) = row.channel_id else {
                continue;
            };
            messages
                .entry((channel, row.delivery_id.clone()))
                .or_default()
                .push(row);
        }
        let half_lease = Duration::from_millis(LEASE_MS as u64 / 2);
        for ((channel, delivery_id), rows) in messages {
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            if started.elapsed() > half_lease {
                self.store.release_alerts(&claim, &ids).await?;
                continue;
            }
            if let Err(e) = self.send_message(&claim, channel, delivery_id, &rows).await {
                tracing::warn!(channel, "an alert message failed: {e}");
            }
        }
        Ok(n)
    }

    async fn send_message(
        &self,
        claim: &str,
        channel_id: i64,
        delivery_id: Option<String>,
        rows: &[DeliveryRow],
    ) -> Result<()> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let project = rows[0].project_id;
        let channel = match self.store.channel(project, channel_id).await {
            Ok(c) => c,
            Err(StoreError::NotFound) => {
                let gone = Attempt::Failed {
                    code: None,
                    error: "the channel was deleted",
                    retry_at: None,
                };
                return self
                    .store
                    .finish_alerts(claim, channel_id, &ids, gone, now_ms())
                    .await;
            }
            Err(e) => return Err(e),
        };
        let delivery_id = match delivery_id {
            Some(id) => id,
            None => {
                let id = secret::random_id128();
                self.store.set_delivery_id(claim, &ids, &id).await?;
                id
            }
        };
        let body = self.body(&channel, delivery_id, rows).await?;
        let outcome = self.deliver(&channel, &body).await;
        let attempts = rows.iter().map(|r| r.attempts).max().unwrap_or(1);
        let retry_at = (attempts < MAX_ATTEMPTS).then(|| now_ms() + self.backoff_ms(attempts));
        if let Some(e) = &outcome.error {
            tracing::info!(channel = channel.id, attempts, "alert not delivered: {e}");
        }
        let attempt = attempt(&outcome, retry_at);
        self.store
            .finish_alerts(claim, channel.id, &ids, attempt, now_ms())
            .await
    }

    /// Sends one message, within [`SEND_TIMEOUT`].
    async fn deliver(&self, channel: &ChannelRow, body: &AlertBody) -> Outcome {
        let send = deliver::send(
            &self.client,
            self.guard(),
            self.config.smtp.as_ref(),
            channel,
            body,
        );
        match tokio::time::timeout(SEND_TIMEOUT, send).await {
            Ok(outcome) => outcome,
            Err(_) => Outcome {
                code: None,
                error: Some(format!("no answer within {}s", SEND_TIMEOUT.as_secs())),
            },
        }
    }

    /// The pause after the `attempts`th failure: the configured retry, doubled each time.
    fn backoff_ms(&self, attempts: i64) -> Millis {
        let base = i64::try_from(self.config.retry.as_millis()).unwrap_or(MAX_BACKOFF_MS);
        let shift = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
        base.saturating_mul(1 << shift).min(MAX_BACKOFF_MS)
    }

    /// One message for `rows`: an alert when they are about one error, else a digest that
    /// spells out the first [`SHOWN`] errors and counts the others.
    async fn body(
        &self,
        channel: &ChannelRow,
        delivery_id: String,
        rows: &[DeliveryRow],
    ) -> Result<AlertBody> {
        let gather = Gather {
            store: &self.store,
            public_url: &self.public_url,
        };
        let mut errors: Vec<i64> = rows.iter().filter_map(|r| r.error_id).collect();
        errors.sort_unstable();
        errors.dedup();
        let mut alerts = Vec::new();
        let mut shown: Vec<i64> = Vec::new();
        for row in rows {
            let Some(error) = row.error_id else { continue };
            if shown.contains(&error) || shown.len() == SHOWN {
                continue;
            }
            match gather.item(row).await {
                Ok(item) => {
                    shown.push(error);
                    alerts.push(item);
                }
                // The error was deleted meanwhile (retention): nothing left to say of it.
                Err(StoreError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        let project = self
            .store
            .project_name(channel.project_id)
            .await
            .unwrap_or_default();
        let (kind, text) = match (errors.len(), alerts.first()) {
            (1, Some(first)) => ("alert", format!("[{project}] {}", headline(first))),
            (_, None) => ("alert", format!("[{project}] an alert whose error is gone")),
            (n, _) => ("digest", format!("[{project}] {n} errors need attention")),
        };
        Ok(AlertBody {
            delivery_id,
            kind: kind.into(),
            project: ProjectRef {
                id: channel.project_id,
                name: project,
            },
            text,
            omitted: errors.len().saturating_sub(alerts.len()),
            alerts,
        })
    }

    /// Sends a test message to `channel` now and records it in the history; returns how it
    /// went.
    pub async fn send_test(&self, channel: &ChannelRow, by: &str) -> Result<Outcome> {
        let project = self
            .store
            .project_name(channel.project_id)
            .await
            .unwrap_or_default();
        let body = AlertBody {
            delivery_id: secret::random_id128(),
            kind: "test".into(),
            project: ProjectRef {
                id: channel.project_id,
                name: project.clone(),
            },
            text: format!(
                "[{project}] Test alert for channel \"{}\", sent by {by}: alerts of this project \
                 will arrive here.",
                channel.name
            ),
            alerts: Vec::new(),
            omitted: 0,
        };
        let outcome = self.deliver(channel, &body).await;
        self.store
            .record_test_alert(
                channel.project_id,
                (channel.id, &channel.name),
                &body.delivery_id,
                attempt(&outcome, None),
                now_ms(),
            )
            .await?;
        Ok(outcome)
    }

    /// Checks a channel's target: a URL the guard allows, or 1 to [`MAX_RECIPIENTS`] email
    /// addresses when SMTP is configured. Returns the target as stored.
    pub async fn check_target(&self, kind: ChannelKind, target: &str) -> Result<String, String> {
        if kind.is_http() {
            return Ok(self.guard().check_url(target).await?.to_string());
        }
        if !self.email_enabled() {
            return Err("email channels need an SMTP server: start omegi with --smtp-host".into());
        }
        let addresses: Vec<&str> = deliver::recipients(target).collect();
        if addresses.is_empty() || addresses.len() > MAX_RECIPIENTS {
            return Err(format!("expected 1 to {MAX_RECIPIENTS} email addresses"));
        }
        for a in &addresses {
            a.parse::<lettre::Address>()
                .map_err(|e| format!("{a:?} is not an email address: {e}"))?;
        }
        Ok(addresses.join(", "))
    }
}

fn attempt(outcome: &Outcome, retry_at: Option<Millis>) -> Attempt<'_> {
    match &outcome.error {
        None => Attempt::Sent { code: outcome.code },
        Some(error) => Attempt::Failed {
            code: outcome.code,
            error,
            retry_at,
        },
    }
}

/// A channel as a caller sees it: owners the whole target, members a URL's scheme and host
/// only (chat webhook URLs are credentials).
pub fn channel_view(row: &ChannelRow, owner: bool) -> Result<AlertChannel> {
    let kind = row.kind()?;
    let target = if owner || !kind.is_http() {
        row.target.clone()
    } else {
        match reqwest::Url::parse(&row.target) {
            Ok(u) => format!("{}://{}/…", u.scheme(), u.host_str().unwrap_or_default()),
            Err(_) => "…".into(),
        }
    };
    Ok(AlertChannel {
        id: row.id,
        project_id: row.project_id,
        name: row.name.clone(),
        kind,
        target,
        signed: row.secret.is_some(),
        created_at: crate::model::rfc3339(row.created_at),
    })
}
