//! Bulk generation of 5000 tickets (three times) and the download of the last batch's ZIP archive,
//! with the server's memory while it does them.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::setup::{Setup, PRODUCTS};
use crate::generator::{agent, body_sample, read_answer};
use crate::server::sampling::{mb, RssSampler};
use crate::server::Server;

const RUNS: usize = 3;

pub enum Bulk {
    NotAvailable(String),
    Measured {
        runs_ms: Vec<f64>,
        bytes_per_response: usize,
        archive: Option<Archive>,
        rss_peak_kb: u64,
    },
}

pub struct Archive {
    pub status: u16,
    pub ms: f64,
    pub bytes: u64,
    pub rss_before_kb: u64,
    pub rss_peak_kb: u64,
}

/// The generation runs that succeeded, and the last answer (which names the batch).
struct Generated {
    runs_ms: Vec<f64>,
    bytes_per_response: usize,
    last: Value,
}

impl Bulk {
    pub fn measure(server: &Server, setup: &Setup, rss: &RssSampler) -> Bulk {
        let agent = agent();
        let key = &setup.keys[0];
        let (generated, rss_peak_kb) = rss.peak_during(|| generate(&agent, server, key));
        let generated = match generated {
            Ok(g) => g,
            Err(why) => return Bulk::NotAvailable(why),
        };
        let archive = archive_url(&generated.last, server)
            .map(|url| download_archive(&agent, &url, key, rss));
        Bulk::Measured {
            runs_ms: generated.runs_ms,
            bytes_per_response: generated.bytes_per_response,
            archive,
            rss_peak_kb,
        }
    }

    pub fn median_ms(&self) -> Option<f64> {
        match self {
            Bulk::Measured { runs_ms, .. } => {
                let mut v = runs_ms.clone();
                v.sort_by(f64::total_cmp);
                v.get(v.len() / 2).copied()
            }
            Bulk::NotAvailable(_) => None,
        }
    }

    pub fn summary(&self) -> String {
        match self {
            Bulk::NotAvailable(why) => format!("bulk-generate not available ({why})"),
            Bulk::Measured {
                runs_ms,
                archive,
                rss_peak_kb,
                ..
            } => {
                let runs: Vec<String> = runs_ms.iter().map(|m| format!("{m:.0} ms")).collect();
                let archive = match archive {
                    Some(a) if a.status == 200 => format!(
                        "archive {:.1} MB in {:.0} ms, server RSS {} → peak {}",
                        a.bytes as f64 / 1e6,
                        a.ms,
                        mb(a.rss_before_kb),
                        mb(a.rss_peak_kb)
                    ),
                    Some(a) => format!("archive answered {}", a.status),
                    None => "no archive url".into(),
                };
                format!(
                    "5000 tickets: {} (server RSS peak {} while generating); {archive}",
                    runs.join(", "),
                    mb(*rss_peak_kb)
                )
            }
        }
    }
}

/// Generates 5000 reseller-batch tickets `RUNS` times; why not, at the first failure.
fn generate(agent: &ureq::Agent, server: &Server, key: &str) -> Result<Generated, String> {
    let mut generated = Generated {
        runs_ms: Vec::new(),
        bytes_per_response: 0,
        last: Value::Null,
    };
    for i in 0..RUNS {
        let body = json!({"product_id": PRODUCTS[i % 3], "quantity": 5000, "distribution_mode": "reseller_batch",
                          "reseller_metadata": {"intended_reseller": "Bench Reseller", "batch_purpose": "load test"}});
        let t0 = Instant::now();
        let answer = read_answer(
            agent
                .post(server.url("/api/ota/tickets/bulk-generate"))
                .header("X-API-Key", key)
                .send_json(&body),
        );
        let ms = t0.elapsed().as_secs_f64() * 1000.0;
        match answer {
            Ok((201, bytes)) => {
                generated.runs_ms.push(ms);
                generated.bytes_per_response = bytes.len();
                generated.last = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            }
            Ok((404, _)) if generated.runs_ms.is_empty() => {
                return Err("POST /api/ota/tickets/bulk-generate answers 404 in this build".into())
            }
            Ok((status, bytes)) => {
                return Err(format!("answered {status}: {}", body_sample(&bytes)))
            }
            Err(e) => return Err(format!("transport error: {e}")),
        }
    }
    Ok(generated)
}

/// Where the batch's archive is: the answer's `archive_url`, else the route built from its id.
fn archive_url(answer: &Value, server: &Server) -> Option<String> {
    let url = answer["archive_url"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| {
            answer["batch_id"]
                .as_str()
                .map(|id| format!("/api/ota/batches/{id}/archive.zip"))
        })?;
    Some(if url.starts_with("http") {
        url
    } else {
        server.url(&url)
    })
}

/// Downloads the archive to nowhere, timing it and watching the server's memory meanwhile.
fn download_archive(agent: &ureq::Agent, url: &str, key: &str, rss: &RssSampler) -> Archive {
    std::thread::sleep(Duration::from_millis(200));
    let rss_before_kb = rss.current_kb();
    let mark = rss.mark();
    let t0 = Instant::now();
    let (status, bytes) = match agent.get(url).header("X-API-Key", key).call() {
        Ok(mut r) => {
            let status = r.status().as_u16();
            let n = std::io::copy(&mut r.body_mut().as_reader(), &mut std::io::sink()).unwrap_or(0);
            (status, n)
        }
        Err(_) => (0, 0),
    };
    let ms = t0.elapsed().as_secs_f64() * 1000.0;
    std::thread::sleep(Duration::from_millis(100));
    Archive {
        status,
        ms,
        bytes,
        rss_before_kb,
        rss_peak_kb: rss.max_since(mark).max(rss.current_kb()),
    }
}
