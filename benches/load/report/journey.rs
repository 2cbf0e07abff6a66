//! The mixed-journey section: latency per endpoint and level, throughput and cost per level, and
//! the errors seen in any phase.

use std::fmt::Write as _;

use super::{table_head, Report};
use crate::scenarios::ota_journey::{writes_per_sec, ENDPOINTS};
use crate::scenarios::setup::PARTNERS;
use crate::server::sampling::mb;

impl Report {
    pub(super) fn write_journey(&self, s: &mut String) {
        let _ = writeln!(
            s,
            "\n### Mixed OTA journey ({} s per level)\n",
            self.phase_secs
        );
        let _ = writeln!(
            s,
            "Each client repeats: inventory → reserve 1–3 units → order → activate → redeem one `ferry` \
             use of the first ticket → list 100 tickets; {PARTNERS} partners share the clients. \
             Latency is to the last byte of the answer; only 2xx answers count toward the percentiles.\n"
        );
        self.write_latency_table(s);
        let _ = writeln!(s);
        self.write_throughput_table(s);
        self.write_errors(s);
    }

    fn write_latency_table(&self, s: &mut String) {
        table_head(
            s,
            "| clients | endpoint | ok | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |",
            "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        );
        for (p, _) in &self.phases {
            for (name, label) in ENDPOINTS {
                if let Some(f) = p.figures(name) {
                    let _ = writeln!(
                        s,
                        "| {} | `{label}` | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} |",
                        p.clients, f.count, f.errors, f.per_sec, f.p50, f.p95, f.p99, f.max
                    );
                }
            }
        }
    }

    fn write_throughput_table(&self, s: &mut String) {
        table_head(
            s,
            "| clients | all requests/s | write transactions/s | share of raw SQLite ceiling | server CPU (cores) | load generator CPU (cores) | server CPU per request | server peak RSS | WAL file at the end |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        );
        for (p, peak) in &self.phases {
            let _ = writeln!(
                s,
                "| {} | {:.0} | {:.0} | {:.1} % | {:.2} | {:.2} | {:.0} µs | {} | {:.0} MB |",
                p.clients,
                p.total_per_sec(),
                writes_per_sec(p),
                100.0 * writes_per_sec(p) / self.raw,
                p.server_cores(),
                p.client_cores(),
                p.server_us_per_request(),
                mb(*peak),
                p.wal_mb
            );
        }
    }

    /// Every endpoint that answered an error in any phase, with the first error as a sample.
    fn write_errors(&self, s: &mut String) {
        let errors: Vec<String> = self
            .phases
            .iter()
            .map(|(p, _)| p)
            .chain(std::iter::once(&self.reserve_only))
            .flat_map(|p| {
                p.stats.errors.iter().map(move |(k, (n, sample))| {
                    format!(
                        "- {} clients, `{k}`: {n} errors, e.g. `{}`",
                        p.clients,
                        sample.replace('`', "'")
                    )
                })
            })
            .collect();
        if !errors.is_empty() {
            let _ = writeln!(s, "\nErrors seen:\n\n{}", errors.join("\n"));
        }
    }
}
