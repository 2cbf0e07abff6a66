//! What the server process costs while it works: resident memory sampled every 50 ms, and CPU
//! seconds of the server and of this load generator, read from `/proc`.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use super::Server;

/// The number after `name` in a `/proc` key-value file (`VmRSS:   1234 kB` gives 1234).
pub fn kb_field(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l[name.len()..].split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// Kilobytes as the report prints memory: `12.3 MB`.
pub fn mb(kb: u64) -> String {
    format!("{:.1} MB", kb as f64 / 1024.0)
}

fn status_text(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default()
}

/// (VmRSS, VmHWM) of a process, in kB.
fn proc_status(pid: u32) -> (u64, u64) {
    let s = status_text(pid);
    (
        kb_field(&s, "VmRSS:").unwrap_or(0),
        kb_field(&s, "VmHWM:").unwrap_or(0),
    )
}

/// The server's memory broken down (anonymous and file-backed RSS, threads) beside the sizes of
/// its database and WAL files, as the report's memory section prints it.
pub fn memory_detail(server: &Server) -> String {
    let st = status_text(server.pid);
    format!(
        "RssAnon {}, RssFile {}, {} threads; database file {:.1} MB, WAL {:.1} MB",
        mb(kb_field(&st, "RssAnon:").unwrap_or(0)),
        mb(kb_field(&st, "RssFile:").unwrap_or(0)),
        kb_field(&st, "Threads:").unwrap_or(0),
        server.file_mb(""),
        server.wal_mb()
    )
}

/// Samples a process's VmRSS every 50 ms on its own thread until stopped.
pub struct RssSampler {
    pid: u32,
    samples: Arc<Mutex<Vec<u64>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RssSampler {
    pub fn start(pid: u32) -> RssSampler {
        let samples = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (samples, stop) = (samples.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    samples.lock().unwrap().push(proc_status(pid).0);
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
        };
        RssSampler {
            pid,
            samples,
            stop,
            thread: Some(thread),
        }
    }

    pub fn current_kb(&self) -> u64 {
        proc_status(self.pid).0
    }

    /// (VmRSS, VmHWM) now.
    pub fn status(&self) -> (u64, u64) {
        proc_status(self.pid)
    }

    pub fn mark(&self) -> usize {
        self.samples.lock().unwrap().len()
    }

    pub fn max_since(&self, mark: usize) -> u64 {
        let s = self.samples.lock().unwrap();
        s[mark.min(s.len())..].iter().copied().max().unwrap_or(0)
    }

    /// Runs `work` and returns its result with the highest VmRSS sampled meanwhile.
    pub fn peak_during<T>(&self, work: impl FnOnce() -> T) -> (T, u64) {
        let mark = self.mark();
        let result = work();
        (result, self.max_since(mark))
    }

    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// CPU seconds (user + system) a process has used so far; `who` is a pid or `self`.
fn cpu_secs(who: &str) -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    let ticks = *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    });
    let stat = std::fs::read_to_string(format!("/proc/{who}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // After the command name: state is field 3 of the man page, utime 14, stime 15.
    (field(11) + field(12)) / ticks
}

/// CPU seconds the server and this process (the load generator) use from `start` to `used`.
pub struct CpuMeter {
    server: String,
    at_start: (f64, f64),
}

impl CpuMeter {
    pub fn start(server_pid: u32) -> CpuMeter {
        let server = server_pid.to_string();
        let at_start = (cpu_secs(&server), cpu_secs("self"));
        CpuMeter { server, at_start }
    }

    /// (server, load generator) CPU seconds since `start`.
    pub fn used(&self) -> (f64, f64) {
        let now = (cpu_secs(&self.server), cpu_secs("self"));
        (now.0 - self.at_start.0, now.1 - self.at_start.1)
    }
}
