//! The box the run is on, as the report's first lines describe it.

use crate::server::sampling::kb_field;

pub struct Machine {
    pub cpus: usize,
    pub model: String,
    pub mem_total_mb: u64,
    pub kernel: String,
    pub date: String,
    /// /proc/loadavg when the run started: other work on the box skews every figure.
    pub loadavg: String,
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

impl Machine {
    pub fn describe() -> Machine {
        let model = read("/proc/cpuinfo")
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_else(|| "unknown".into());
        let mem_total_mb = kb_field(&read("/proc/meminfo"), "MemTotal:").unwrap_or(0) / 1024;
        let date = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        Machine {
            cpus: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            model,
            mem_total_mb,
            kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
            date,
            loadavg: read("/proc/loadavg")
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    pub fn one_line(&self) -> String {
        format!(
            "{} CPUs ({}), {} MB RAM, Linux {}, {}, load average {}",
            self.cpus, self.model, self.mem_total_mb, self.kernel, self.date, self.loadavg
        )
    }
}
