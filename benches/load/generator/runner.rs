//! One load phase: N client threads repeating a scenario for a fixed time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use super::client::Client;
use super::stats::{Phase, Stats};
use crate::server::sampling::CpuMeter;
use crate::server::Server;

/// Runs `clients` threads, each with its own connection, repeating `step` for `run_for`. The
/// clock and the CPU meters start once every client is connected and stop when the last one has
/// finished its current step.
pub fn run_phase(
    server: &Server,
    clients: usize,
    run_for: Duration,
    step: impl Fn(&mut Client) + Sync,
) -> Phase {
    let stop = AtomicBool::new(false);
    let barrier = Barrier::new(clients + 1);
    let step = &step;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|i| {
                let (stop, barrier) = (&stop, &barrier);
                s.spawn(move || {
                    let mut client = Client::new(server, i);
                    client.connect();
                    barrier.wait();
                    while !stop.load(Ordering::Relaxed) {
                        step(&mut client);
                    }
                    client.into_stats()
                })
            })
            .collect();
        barrier.wait();
        let t0 = Instant::now();
        let cpu = CpuMeter::start(server.pid);
        std::thread::sleep(run_for);
        stop.store(true, Ordering::Relaxed);
        let mut stats = Stats::default();
        for h in handles {
            stats.merge(h.join().expect("client thread"));
        }
        let elapsed = t0.elapsed();
        let (server_cpu, client_cpu) = cpu.used();
        Phase {
            clients,
            elapsed,
            stats,
            server_cpu,
            client_cpu,
            wal_mb: server.wal_mb(),
        }
    })
}
