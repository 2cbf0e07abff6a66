//! Throughput driven by `wrk` (Debian package `wrk`) when it is installed: an event-loop load
//! generator costs far less per request than a thread per client, so the server, not the
//! generator, is what is measured. Successful reservations and availability reads at a fixed
//! number of connections, beside the raw SQLite probe of the same run.

use std::process::Command;
use std::time::Duration;

use super::setup::Setup;
use crate::server::Server;

/// Connections and threads of every wrk run.
pub const CONNECTIONS: usize = 32;
const THREADS: usize = 2;

/// What wrk reported for one endpoint.
pub struct WrkRun {
    pub label: &'static str,
    pub per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Answers that were not 2xx (each run expects none).
    pub non_2xx: u64,
    pub requests: u64,
}

/// Whether `wrk` can be run.
pub fn available() -> bool {
    Command::new("wrk").arg("--version").output().is_ok()
}

/// Successful one-unit reservations, then inventory reads, each for `run_for`.
pub fn measure(server: &Server, setup: &Setup, run_for: Duration) -> Vec<WrkRun> {
    let key = setup.key_for_client(0);
    let dir = tempfile::tempdir().expect("temp dir");
    let reserve = format!(
        "wrk.method = \"POST\"\nwrk.body = '{{\"product_id\":106,\"quantity\":1}}'\n\
         wrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.headers[\"X-API-Key\"] = \"{key}\"\n"
    );
    let read = format!("wrk.headers[\"X-API-Key\"] = \"{key}\"\n");
    vec![
        run(
            &dir,
            "POST /api/ota/reserve",
            &reserve,
            &server.url("/api/ota/reserve"),
            run_for,
        ),
        run(
            &dir,
            "GET /api/ota/inventory",
            &read,
            &server.url("/api/ota/inventory"),
            run_for,
        ),
    ]
}

fn run(
    dir: &tempfile::TempDir,
    label: &'static str,
    script: &str,
    url: &str,
    run_for: Duration,
) -> WrkRun {
    let path = dir.path().join("script.lua");
    std::fs::write(&path, script).expect("wrk script");
    let out = Command::new("wrk")
        .args(["-t", &THREADS.to_string(), "-c", &CONNECTIONS.to_string()])
        .args([
            "-d",
            &format!("{}s", run_for.as_secs().max(1)),
            "--latency",
            "-s",
        ])
        .arg(&path)
        .arg(url)
        .output()
        .expect("run wrk");
    parse(label, &String::from_utf8_lossy(&out.stdout))
}

/// Reads wrk's summary: `Requests/sec:`, the `50%` and `99%` latency lines, `Non-2xx`, and
/// `N requests in`.
fn parse(label: &'static str, text: &str) -> WrkRun {
    let line_value = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix))
            .map(|v| v.trim().to_owned())
    };
    let latency_ms = |prefix: &str| line_value(prefix).map_or(f64::NAN, |v| duration_ms(&v));
    let requests = text
        .lines()
        .find_map(|l| l.trim().split_once(" requests in "))
        .and_then(|(n, _)| n.trim().parse().ok())
        .unwrap_or(0);
    WrkRun {
        label,
        per_sec: line_value("Requests/sec:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0),
        p50_ms: latency_ms("50%"),
        p99_ms: latency_ms("99%"),
        non_2xx: line_value("Non-2xx or 3xx responses:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        requests,
    }
}

/// `512.00us`, `6.71ms`, `1.02s` in milliseconds.
fn duration_ms(v: &str) -> f64 {
    let (number, factor) = if let Some(n) = v.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = v.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (v, f64::NAN)
    };
    number.parse::<f64>().map_or(f64::NAN, |n| n * factor)
}
