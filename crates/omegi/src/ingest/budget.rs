//! How much export data is being read and decoded at once. Each export reserves its size
//! (its `Content-Length`, or `--max-body` when the size is unknown: gRPC, gzip) before its
//! body is read; when the reservation does not fit, the export is refused at once with
//! 503 / UNAVAILABLE and `Retry-After`, which exporters retry with back-off. So memory under
//! overload is bounded by the settings (see the README's Security section) rather than by how
//! many clients send at once, and the exports that are admitted run at full speed.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// What an export refused for the budget is told (503 / UNAVAILABLE, to retry).
pub const OVERLOADED: &str =
    "too many exports are being received at once (--ingest-inflight); retry shortly";

/// Budget units are KiB, so a budget of gigabytes fits a semaphore's u32 reservations.
const UNIT: usize = 1024;

#[derive(Clone)]
pub struct IngestBudget {
    units: Arc<Semaphore>,
    total: usize,
}

impl IngestBudget {
    pub fn new(bytes: usize) -> IngestBudget {
        let total = bytes.div_ceil(UNIT).max(1);
        IngestBudget {
            units: Arc::new(Semaphore::new(total)),
            total,
        }
    }

    /// Reserves `bytes` until the returned permit is dropped; None when it does not fit now.
    pub fn try_reserve(&self, bytes: usize) -> Option<OwnedSemaphorePermit> {
        let units = bytes.div_ceil(UNIT).clamp(1, self.total);
        let units = u32::try_from(units).unwrap_or(u32::MAX);
        self.units.clone().try_acquire_many_owned(units).ok()
    }
}
