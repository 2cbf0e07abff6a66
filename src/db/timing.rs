//! How long writes queue for the one writer connection: the first figure to look at when write
//! latency grows (a long queue, not a slow disk, is the usual cause).

use prometheus::{Histogram, HistogramOpts};

/// From 50 µs (an idle writer) to 5 s (SQLite's busy timeout).
const BUCKETS: &[f64] = &[
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0,
];

/// A histogram of the wait from asking for the writer to holding it, not yet registered: the
/// HTTP floor registers it with the metrics it serves.
pub(super) fn writer_wait() -> Histogram {
    let opts = HistogramOpts::new(
        "gangway_db_writer_wait_seconds",
        "Time a write transaction waited for the single writer connection.",
    )
    .buckets(BUCKETS.to_vec());
    Histogram::with_opts(opts).expect("valid histogram options")
}
