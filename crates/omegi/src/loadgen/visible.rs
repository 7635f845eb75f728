//! Error-to-visible timing: how long after a failing trace was sent its error can be read,
//! as a user would: through the API (the error list filtered by the trace), and over the
//! live event stream (SSE), where a new error group arrives as `error.new`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::api::ApiClient;

/// Watches for errors through a signed-in API client.
#[derive(Clone)]
pub struct Watcher(pub ApiClient);

/// Probes sent and not yet seen over SSE: exception type → when the trace was sent.
pub type Probes = Arc<Mutex<HashMap<String, Instant>>>;

impl Watcher {
    /// Polls the error list for `trace` until an error of it is listed; the time from `sent`,
    /// or `None` when it is not listed by `deadline`. Every 20 ms for [`POLL_CLOSELY`], then
    /// a tenth of the time beyond it apart (at most a second): a server that falls behind
    /// would otherwise answer ever more polls of ever more watched traces (at 40,000 spans/s
    /// on PostgreSQL they took more of its time than the spans did; docs/benchmarks.md,
    /// tenth pass), and a late error's time is still read to a tenth.
    pub async fn until_listed(
        &self,
        trace: &str,
        sent: Instant,
        deadline: Instant,
    ) -> Option<Duration> {
        let path = format!("/api/errors?trace={trace}&limit=1");
        let started = Instant::now();
        loop {
            let listed = self.0.get(&path).await.ok().map(|page| {
                page["errors"]
                    .as_array()
                    .is_some_and(|errors| !errors.is_empty())
            });
            if listed == Some(true) {
                return Some(sent.elapsed());
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            // The last poll at the deadline, not a backed-off interval after it.
            tokio::time::sleep(poll_interval(started.elapsed()).min(deadline - now)).await;
        }
    }

    /// Follows `/api/events` and reports each awaited probe that arrives as `error.new`, with
    /// the time since it was sent. Reconnects when the stream ends.
    pub async fn follow(self, probes: Probes, seen: impl Fn(Duration) + Send + 'static) {
        loop {
            if let Err(e) = self.stream(&probes, &seen).await {
                tracing::warn!("the live event stream broke ({e:#}); reconnecting");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn stream(&self, probes: &Probes, seen: &impl Fn(Duration)) -> anyhow::Result<()> {
        // The session client's timeout would end the stream; this request has none.
        let mut reply = reqwest::Client::new()
            .get(format!("{}/api/events", self.0.api))
            .header(reqwest::header::COOKIE, self.0.cookie())
            .send()
            .await?
            .error_for_status()?;
        let mut pending = String::new();
        let mut event = String::new();
        while let Some(chunk) = reply.chunk().await? {
            pending.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = pending.find('\n') {
                let line: String = pending.drain(..=end).collect();
                let line = line.trim_end_matches(['\r', '\n']);
                if let Some(kind) = line.strip_prefix("event:") {
                    event = kind.trim().to_string();
                } else if let Some(data) = line.strip_prefix("data:") {
                    if event == "error.new" {
                        arrived(data, probes, seen);
                    }
                } else if line.is_empty() {
                    event.clear();
                }
            }
        }
        Ok(())
    }
}

/// How long the error list is polled every 20 ms: longer than an error takes to show once
/// the loadgen starts polling (`--watch-after`) when the server keeps pace.
const POLL_CLOSELY: Duration = Duration::from_millis(1500);

/// The wait before the next poll, after polling for `polled`.
fn poll_interval(polled: Duration) -> Duration {
    (polled.saturating_sub(POLL_CLOSELY) / 10)
        .clamp(Duration::from_millis(20), Duration::from_secs(1))
}

/// An `error.new` event's data: the error row, whose exception type names the probe.
fn arrived(data: &str, probes: &Probes, seen: &impl Fn(Duration)) {
    let Ok(row) = serde_json::from_str::<Value>(data.trim()) else {
        return;
    };
    let Some(ty) = row["exception_type"].as_str() else {
        return;
    };
    let sent = probes.lock().ok().and_then(|mut p| p.remove(ty));
    if let Some(sent) = sent {
        seen(sent.elapsed());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_closely_at_first_then_a_tenth_of_the_time_beyond_at_most_a_second() {
        let ms = Duration::from_millis;
        assert_eq!(poll_interval(ms(0)), ms(20));
        assert_eq!(poll_interval(ms(1_500)), ms(20));
        assert_eq!(poll_interval(ms(2_500)), ms(100));
        assert_eq!(poll_interval(ms(60_000)), ms(1_000));
    }
}
