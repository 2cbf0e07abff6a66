//! The targets table: each target of PRODUCT.md, what was measured against it, and the verdict.

use std::fmt::Write as _;

use super::{table_head, verdict, Report};
use crate::generator::Phase;
use crate::scenarios::bulk::Bulk;
use crate::scenarios::ota_journey::{ENDPOINTS, VENUE_SCAN};
use crate::server::sampling::mb;

impl Report {
    pub(super) fn write_targets(&self, s: &mut String) {
        let _ = writeln!(s, "### Targets (PRODUCT.md)\n");
        table_head(s, "| target | measured | verdict |", "| --- | --- | --- |");
        self.write_latency_target(s);
        self.write_reservations_target(s);
        self.write_bulk_target(s);
        self.write_archive_target(s);
        self.write_memory_target(s);
        self.write_wal_target(s);
        self.write_user_story_target(s);
    }

    /// The mixed-journey phase at this many clients.
    fn phase(&self, clients: usize) -> Option<&Phase> {
        self.phases
            .iter()
            .map(|(p, _)| p)
            .find(|p| p.clients == clients)
    }

    /// The OTA endpoint with the highest p99 at this level (the venue scan is not an OTA call).
    fn worst_ota_p99(&self, clients: usize) -> Option<(&'static str, f64)> {
        let p = self.phase(clients)?;
        ENDPOINTS
            .iter()
            .filter(|(n, _)| *n != VENUE_SCAN)
            .filter_map(|(n, label)| p.figures(n).map(|f| (*label, f.p99)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }

    fn write_latency_target(&self, s: &mut String) {
        let Some((label, p99)) = self.worst_ota_p99(32) else {
            let _ = writeln!(
                s,
                "| every OTA endpoint p99 < 50 ms at 32 clients | no data | **not met** |"
            );
            return;
        };
        let errors: u64 = self.phase(32).map_or(0, |p| {
            p.stats
                .errors
                .iter()
                .filter(|(k, _)| **k != VENUE_SCAN)
                .map(|(_, e)| e.0)
                .sum()
        });
        let _ = writeln!(
            s,
            "| every OTA endpoint p99 < 50 ms at 32 concurrent clients | worst p99 {p99:.1} ms (`{label}`), {errors} errors | {}{} |",
            verdict(p99 < 50.0 && errors == 0),
            if p99 < 50.0 { "" } else { ": see *Findings* below" }
        );
    }

    fn write_reservations_target(&self, s: &mut String) {
        let reserve = self.reserve_only.figures("reserve");
        let rps = reserve.as_ref().map_or(0.0, |f| f.per_sec);
        let (books, books_end) = (&self.books, &self.books_end);
        let consistent = books.consistent && books_end.consistent;
        let within = books.within && books_end.within;
        let _ = writeln!(
            s,
            "| thousands of reservations per second, zero oversell | {rps:.0} reservations/s (reserve only, {} clients, p99 {:.1} ms); reconciliation consistent: {}, held + sold ≤ allocated: {} | {} (threshold used: ≥ 2000/s) |",
            self.reserve_only.clients,
            reserve.as_ref().map_or(f64::NAN, |f| f.p99),
            consistent,
            within,
            verdict(rps >= 2000.0 && consistent && within)
        );
    }

    fn write_bulk_target(&self, s: &mut String) {
        match &self.bulk {
            Bulk::Measured {
                runs_ms,
                bytes_per_response,
                ..
            } => {
                let med = self.bulk.median_ms().unwrap_or(f64::NAN);
                let runs: Vec<String> = runs_ms.iter().map(|m| format!("{m:.0}")).collect();
                let _ = writeln!(
                    s,
                    "| 5000-ticket bulk generation well under a second | median {med:.0} ms (runs: {} ms; {:.1} MB response) | {} (threshold used: < 500 ms) |",
                    runs.join(", "),
                    *bytes_per_response as f64 / 1e6,
                    verdict(med < 500.0)
                );
            }
            Bulk::NotAvailable(why) => {
                let _ = writeln!(s, "| 5000-ticket bulk generation well under a second | not available: {why} | not measured |");
            }
        }
    }

    fn write_archive_target(&self, s: &mut String) {
        match &self.bulk {
            Bulk::Measured {
                archive: Some(a), ..
            } if a.status == 200 => {
                let growth = a.rss_peak_kb.saturating_sub(a.rss_before_kb);
                let _ = writeln!(
                    s,
                    "| 5000-ticket ZIP archive streamed in a few seconds, bounded memory | {:.0} ms for {:.1} MB; server RSS {} → peak {} (+{}) | {} (thresholds used: < 5 s, < 20 MB growth) |",
                    a.ms,
                    a.bytes as f64 / 1e6,
                    mb(a.rss_before_kb),
                    mb(a.rss_peak_kb),
                    mb(growth),
                    verdict(a.ms < 5000.0 && growth < 20 * 1024)
                );
            }
            Bulk::Measured {
                archive: Some(a), ..
            } => {
                let _ = writeln!(s, "| 5000-ticket ZIP archive streamed in a few seconds | archive answered {} | **not met** |", a.status);
            }
            _ => {
                let _ = writeln!(s, "| 5000-ticket ZIP archive streamed in a few seconds | not available (no batch) | not measured |");
            }
        }
    }

    fn write_memory_target(&self, s: &mut String) {
        let _ = writeln!(
            s,
            "| a few tens of MB of memory in all | VmHWM {} over the whole run (after start and logins {}, end {}) | {} (threshold used: ≤ 50 MB) |",
            mb(self.hwm),
            mb(self.idle_rss),
            mb(self.final_rss),
            verdict(self.hwm <= 50 * 1024)
        );
    }

    fn write_wal_target(&self, s: &mut String) {
        let wal_end = self.phases.last().map_or(0.0, |(p, _)| p.wal_mb);
        let _ = writeln!(
            s,
            "| (not in PRODUCT.md) the one database file stays bounded: WAL checkpointed and reset | WAL {} MB after the 128-client phase (database file {:.0} MB) | {} (threshold used: < 256 MB) |",
            wal_end.round(),
            self.db_mb,
            if wal_end < 256.0 { "**ok**" } else { "**not met**: the WAL grows with every write" }
        );
    }

    fn write_user_story_target(&self, s: &mut String) {
        let worst128 = self.worst_ota_p99(128);
        let _ = writeln!(
            s,
            "| user story: < 2 s per OTA call | worst p99 at 128 clients {} | {} |",
            worst128.map_or("n/a".into(), |(l, p)| format!("{p:.0} ms (`{l}`)")),
            verdict(worst128.is_some_and(|(_, p)| p < 2000.0))
        );
    }
}
