//! The stop signal: `omegi serve` (or a test) sets it once, and every long-running part (the
//! listeners, the workers, the Kafka consumer, the live-event relay) watches a receiver.

use tokio::sync::watch;

/// Completes once the stop signal is set, or its sender is gone. Takes its own receiver, so
/// it can stand in a `select!` beside other uses of the same signal (and the guard
/// `wait_for` returns is never held across an await).
pub async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}
