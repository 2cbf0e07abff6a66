//! Latencies and errors per endpoint, and the figures of a phase drawn from them.

use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Default)]
pub struct Stats {
    /// Latencies in microseconds of 2xx answers, per endpoint.
    pub ok: BTreeMap<&'static str, Vec<u32>>,
    /// Non-2xx answers and transport errors per endpoint, with a sample (the first one seen).
    pub errors: BTreeMap<&'static str, (u64, String)>,
}

impl Stats {
    pub fn record_ok(&mut self, endpoint: &'static str, micros: u32) {
        self.ok.entry(endpoint).or_default().push(micros);
    }

    /// Counts `n` errors; `sample` describes the first error of the endpoint.
    pub fn record_errors(
        &mut self,
        endpoint: &'static str,
        n: u64,
        sample: impl FnOnce() -> String,
    ) {
        self.errors
            .entry(endpoint)
            .or_insert_with(|| (0, sample()))
            .0 += n;
    }

    pub fn merge(&mut self, other: Stats) {
        for (k, mut v) in other.ok {
            self.ok.entry(k).or_default().append(&mut v);
        }
        for (k, (n, sample)) in other.errors {
            self.record_errors(k, n, || sample);
        }
    }
}

/// One load phase: a number of clients for a while, and what the server and the generator did.
pub struct Phase {
    pub clients: usize,
    pub elapsed: Duration,
    pub stats: Stats,
    /// CPU seconds the server and this load generator used during the phase.
    pub server_cpu: f64,
    pub client_cpu: f64,
    /// Size of the WAL file when the phase ended.
    pub wal_mb: f64,
}

pub struct EndpointFigures {
    pub count: usize,
    pub errors: u64,
    pub per_sec: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

/// The `q` quantile of sorted latencies (nearest rank), in milliseconds.
fn percentile_ms(sorted_micros: &[u32], q: f64) -> f64 {
    if sorted_micros.is_empty() {
        return f64::NAN;
    }
    let n = sorted_micros.len();
    let i = ((q * n as f64).ceil() as usize).clamp(1, n) - 1;
    f64::from(sorted_micros[i]) / 1000.0
}

impl Phase {
    /// The endpoint's figures, or `None` when it was never called in this phase.
    pub fn figures(&self, endpoint: &str) -> Option<EndpointFigures> {
        let mut v = self.stats.ok.get(endpoint).cloned().unwrap_or_default();
        let errors = self.stats.errors.get(endpoint).map(|e| e.0).unwrap_or(0);
        if v.is_empty() && errors == 0 {
            return None;
        }
        v.sort_unstable();
        Some(EndpointFigures {
            count: v.len(),
            errors,
            per_sec: v.len() as f64 / self.elapsed.as_secs_f64(),
            p50: percentile_ms(&v, 0.50),
            p95: percentile_ms(&v, 0.95),
            p99: percentile_ms(&v, 0.99),
            max: v.last().map(|m| f64::from(*m) / 1000.0).unwrap_or(f64::NAN),
        })
    }

    fn requests(&self) -> usize {
        self.stats.ok.values().map(Vec::len).sum()
    }

    /// Server CPU time per successful request, in microseconds.
    pub fn server_us_per_request(&self) -> f64 {
        self.server_cpu * 1e6 / self.requests().max(1) as f64
    }

    /// Successful requests per second to the endpoints `counted` accepts.
    pub fn per_sec(&self, counted: impl Fn(&str) -> bool) -> f64 {
        self.stats
            .ok
            .iter()
            .filter(|(k, _)| counted(k))
            .map(|(_, v)| v.len())
            .sum::<usize>() as f64
            / self.elapsed.as_secs_f64()
    }

    pub fn total_per_sec(&self) -> f64 {
        self.per_sec(|_| true)
    }

    /// CPU cores the server kept busy on average.
    pub fn server_cores(&self) -> f64 {
        self.server_cpu / self.elapsed.as_secs_f64()
    }

    /// CPU cores this load generator kept busy on average.
    pub fn client_cores(&self) -> f64 {
        self.client_cpu / self.elapsed.as_secs_f64()
    }
}
