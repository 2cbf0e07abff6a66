//! A phase's figures on the console, as the run goes.

use crate::generator::Phase;
use crate::scenarios::ota_journey::{writes_per_sec, ENDPOINTS};

pub fn print_phase(p: &Phase) {
    println!(
        "  {:<32} {:>8} {:>7} {:>9} {:>8} {:>8} {:>8} {:>8}",
        "endpoint", "ok", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    for (name, label) in ENDPOINTS {
        if let Some(f) = p.figures(name) {
            println!(
                "  {:<32} {:>8} {:>7} {:>9.1} {:>8.1} {:>8.1} {:>8.1} {:>8.1}",
                label, f.count, f.errors, f.per_sec, f.p50, f.p95, f.p99, f.max
            );
        }
    }
    for (name, (n, sample)) in &p.stats.errors {
        println!("  ! {name}: {n} errors, e.g. {sample}");
    }
    println!(
        "  all: {:.0} req/s ({:.0} write tx/s) over {:.1} s; CPU cores used: server {:.2}, load generator {:.2}; server {:.0} µs CPU per request",
        p.total_per_sec(),
        writes_per_sec(p),
        p.elapsed.as_secs_f64(),
        p.server_cores(),
        p.client_cores(),
        p.server_us_per_request()
    );
}
