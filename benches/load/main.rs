//! Load benchmark: `cargo bench --bench load`.
//!
//! Starts the release `gangway` binary as a child process on a free port and a fresh temporary
//! database, creates partners and users with the CLI (exactly as an operator would), raises the
//! allocations so stock never runs out, then:
//!
//! 1. measures the raw SQLite `BEGIN IMMEDIATE; UPDATE; INSERT; COMMIT` rate on a scratch file with
//!    the server's pragmas (the ceiling every write endpoint shares);
//! 2. runs a mixed OTA journey (inventory → reserve → order → activate → redeem → ticket list) at
//!    8, 32 and 128 concurrent clients, each a thread with its own keep-alive connection;
//! 3. runs reservations alone at 32 clients, then checks reconciliation and `held + sold <= allocated`;
//! 4. times 5000-ticket bulk generation and the batch ZIP archive (when the routes exist);
//! 5. when `wrk` is installed, drives successful reservations and inventory reads with it (an
//!    event loop, far cheaper per request than a thread per client) and sets them beside the raw
//!    probe of step 1;
//! 6. samples the server's VmRSS / VmHWM throughout.
//!
//! It prints a table and replaces the section between the markers in `BENCHMARKS.md`.
//! `GANGWAY_BENCH_SECS` sets the length of each mixed phase (default 15 s). `GANGWAY_BENCH_BIN`
//! runs another build of `gangway` instead of this one (an older release, to compare on the same
//! machine); its figures are printed and `BENCHMARKS.md` is left alone.
//!
//! The load generator runs on the same machine as the server and competes with it for the CPUs;
//! the figures are what one box serving and loading itself achieves, a conservative bound.
//!
//! Where things are: `server` (the child process, its environment, RSS and CPU sampling),
//! `generator` (clients, HTTP agent, latency statistics, the per-phase runner), `scenarios` (what
//! the clients and the probes do), `report` (console tables, markdown, `BENCHMARKS.md`).

mod generator;
mod machine;
mod report;
mod scenarios;
mod server;

use std::time::{Duration, Instant};

use generator::Phase;
use machine::Machine;
use report::{print_phase, write_section, Report};
use scenarios::books::Books;
use scenarios::bulk::Bulk;
use scenarios::ota_journey::{run_journeys, run_reservations};
use scenarios::qr::QrFigures;
use scenarios::raw_sqlite;
use scenarios::setup::Setup;
use scenarios::throughput;
use server::sampling::{memory_detail, RssSampler};
use server::Server;

/// Concurrent clients of the mixed-journey phases, in the order they run.
const LEVELS: [usize; 3] = [8, 32, 128];
/// Clients and length of the reservations-only phase.
const RESERVE_CLIENTS: usize = 32;
const RESERVE_SECS: u64 = 5;

/// Announces a phase by name and runs it. Every measurement of the run goes through here, so a
/// new one (a `wrk`-driven throughput phase, say) is one more call in `main` with its figures
/// handed to the report.
fn run_named_phase<T>(name: &str, run: impl FnOnce() -> T) -> T {
    println!("load: {name}…");
    run()
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not. Only run for real.
    if !std::env::args().any(|a| a == "--bench") {
        println!("load: run with `cargo bench --bench load`");
        return;
    }
    let phase_secs: u64 = std::env::var("GANGWAY_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let started = Instant::now();
    let machine = Machine::describe();
    println!("load: {}", machine.one_line());
    let (raw, qr) = measure_without_server();

    let server = Server::start();
    let setup = Setup::create(&server);
    let rss = RssSampler::start(server.pid);
    std::thread::sleep(Duration::from_millis(300));
    let idle_rss = rss.current_kb();

    let phases = run_journey_levels(&server, &setup, &rss, phase_secs);
    let name = format!("reservations alone, {RESERVE_CLIENTS} clients, {RESERVE_SECS} s");
    let reserve_only = run_named_phase(&name, || {
        let run_for = Duration::from_secs(RESERVE_SECS);
        run_reservations(&server, &setup, RESERVE_CLIENTS, run_for)
    });
    print_phase(&reserve_only);
    let books = Books::check(&server, &setup);
    println!("load:   books: {}", books.summary());

    let bulk = run_named_phase("bulk generation (5000 tickets) and archive", || {
        Bulk::measure(&server, &setup, &rss)
    });
    println!("load:   {}", bulk.summary());

    let throughput = if throughput::available() {
        let run_for = Duration::from_secs(phase_secs.min(10));
        run_named_phase("wrk: reservations, then inventory reads", || {
            throughput::measure(&server, &setup, run_for)
        })
    } else {
        println!("load: wrk is not installed; the throughput phase is skipped");
        Vec::new()
    };
    for r in &throughput {
        println!(
            "load:   {}: {:.0} req/s ({:.2}× raw SQLite), p50 {:.2} ms, p99 {:.2} ms, {} non-2xx",
            r.label,
            r.per_sec,
            r.per_sec / raw.max(1.0),
            r.p50_ms,
            r.p99_ms,
            r.non_2xx
        );
    }

    std::thread::sleep(Duration::from_millis(200));
    let (final_rss, hwm) = rss.status();
    let memory_detail = memory_detail(&server);
    let db_mb = server.file_mb("");
    rss.stop();
    let books_end = Books::check(&server, &setup);
    drop(server);

    let report = Report {
        qr,
        machine,
        phase_secs,
        raw,
        idle_rss,
        final_rss,
        hwm,
        memory_detail,
        db_mb,
        phases,
        reserve_only,
        books,
        books_end,
        bulk,
        throughput,
        runtime: started.elapsed(),
    };
    let section = report.markdown();
    println!("\n{section}");
    let secs = report.runtime.as_secs_f64();
    if let Some(other) = server::other_build() {
        println!("load: done in {secs:.0} s; measured {other}, so BENCHMARKS.md is left alone");
        return;
    }
    write_section(&section);
    println!("load: done in {secs:.0} s; BENCHMARKS.md updated");
}

/// The ceilings measured before the server starts: raw SQLite commits per second, and QR figures.
fn measure_without_server() -> (f64, QrFigures) {
    let scratch = tempfile::tempdir().expect("temp dir");
    let raw = run_named_phase(
        "raw SQLite BEGIN IMMEDIATE/UPDATE/INSERT/COMMIT rate",
        || raw_sqlite::commit_rate(&scratch.path().join("scratch.db"), Duration::from_secs(3)),
    );
    println!("load:   {raw:.0} tx/s");
    let qr = run_named_phase(
        "QR token verification and PNG rendering (in process)",
        QrFigures::measure,
    );
    println!("load:   {}", qr.summary());
    (raw, qr)
}

/// The mixed journey at each level of `LEVELS`, each with the server's peak RSS during it.
fn run_journey_levels(
    server: &Server,
    setup: &Setup,
    rss: &RssSampler,
    phase_secs: u64,
) -> Vec<(Phase, u64)> {
    let run_for = Duration::from_secs(phase_secs);
    let mut phases = Vec::new();
    for clients in LEVELS {
        let name = format!("mixed OTA journey, {clients} clients, {phase_secs} s");
        let (phase, peak) = run_named_phase(&name, || {
            rss.peak_during(|| run_journeys(server, setup, clients, run_for))
        });
        print_phase(&phase);
        phases.push((phase, peak));
    }
    phases
}
