//! Call durations kept as histogram bins, so that a minute of calls on one edge of the service
//! map is a few rows whatever the traffic: each call counts in the bin of its duration, named
//! by the bin's lowest value. The bins are HdrHistogram's (log-linear, one significant figure:
//! 16 a doubling, so a percentile read back is within 1/16 of the true value).

use std::sync::LazyLock;

use hdrhistogram::Histogram;

const SIGNIFICANT_FIGURES: u8 = 1;

/// Only its bin arithmetic is used: it records nothing.
static BINS: LazyLock<Histogram<u64>> =
    LazyLock::new(|| Histogram::new(SIGNIFICANT_FIGURES).expect("1 significant figure is valid"));

/// The bin a duration of `us` microseconds counts in: the lowest duration of that bin.
pub fn duration_bin(us: i64) -> i64 {
    BINS.lowest_equivalent(us.max(0) as u64) as i64
}

/// Calls counted by bin, for their percentiles.
pub struct Latencies(Histogram<u64>);

impl Default for Latencies {
    fn default() -> Self {
        Latencies(Histogram::new(SIGNIFICANT_FIGURES).expect("1 significant figure is valid"))
    }
}

impl Latencies {
    /// Counts `calls` calls of about `us` microseconds; counts below one are ignored (a bin
    /// that an earlier assembly of a trace filled and a later one emptied).
    pub fn add(&mut self, us: i64, calls: i64) {
        if us >= 0 && calls > 0 {
            // Auto-resizing: any duration fits.
            let _ = self.0.record_n(us as u64, calls as u64);
        }
    }

    /// The duration at quantile `q` (0–1), in milliseconds: the middle of its bin; 0 when
    /// nothing was counted.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        let v = self.0.value_at_quantile(q);
        self.0.median_equivalent(v) as f64 / 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_read_back_from_bins_are_within_a_sixteenth() {
        let mut l = Latencies::default();
        assert_eq!(l.quantile_ms(0.5), 0.0);
        // 90 calls of 5 ms, 10 of 120 ms: p50 is 5 ms, p95 120 ms.
        l.add(duration_bin(5_000), 90);
        l.add(duration_bin(120_000), 10);
        let (p50, p95) = (l.quantile_ms(0.5), l.quantile_ms(0.95));
        assert!((p50 - 5.0).abs() <= 5.0 / 16.0, "p50 {p50}");
        assert!((p95 - 120.0).abs() <= 120.0 / 16.0, "p95 {p95}");
        // Small durations are exact; a bin's name is in its bin.
        assert_eq!(duration_bin(7), 7);
        assert_eq!(duration_bin(duration_bin(123_456)), duration_bin(123_456));
        assert!(duration_bin(123_456) <= 123_456);
        assert_eq!(duration_bin(-3), 0);
    }
}
