//! One simulated client: its own connection, its own random numbers, its own latency records.

use std::time::Instant;

use serde_json::Value;

use super::stats::Stats;
use super::{agent, body_sample, read_answer};
use crate::server::Server;

/// How a request proves who sends it.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    /// An OTA partner's `X-API-Key`.
    ApiKey(&'a str),
    /// A user's session token.
    Bearer(&'a str),
}

impl Auth<'_> {
    fn header(self) -> (&'static str, String) {
        match self {
            Auth::ApiKey(key) => ("X-API-Key", key.to_owned()),
            Auth::Bearer(token) => ("Authorization", format!("Bearer {token}")),
        }
    }
}

pub struct Client<'a> {
    agent: ureq::Agent,
    server: &'a Server,
    /// The client's number in its phase, from 0.
    pub index: usize,
    rng: u64,
    stats: Stats,
}

impl<'a> Client<'a> {
    pub fn new(server: &'a Server, index: usize) -> Client<'a> {
        Client {
            agent: agent(),
            server,
            index,
            rng: 0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407),
            stats: Stats::default(),
        }
    }

    /// Opens the keep-alive connection, so that the phase's clock does not time the handshake.
    pub fn connect(&self) {
        let _ = self.agent.get(self.server.url("/health")).call();
    }

    pub fn into_stats(self) -> Stats {
        self.stats
    }

    /// The next pseudo-random number (xorshift64*): the same sequence on every run.
    pub fn random(&mut self) -> u64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// `GET path`, recorded under `endpoint`; the parsed JSON of a 2xx answer.
    pub fn get(&mut self, endpoint: &'static str, path: &str, auth: Auth) -> Option<Value> {
        let (name, value) = auth.header();
        let server = self.server;
        self.call(endpoint, |a| {
            a.get(server.url(path)).header(name, &value).call()
        })
    }

    /// `POST path` with a JSON body, recorded under `endpoint`; the parsed JSON of a 2xx answer.
    pub fn post(
        &mut self,
        endpoint: &'static str,
        path: &str,
        auth: Auth,
        body: &Value,
    ) -> Option<Value> {
        let (name, value) = auth.header();
        let server = self.server;
        self.call(endpoint, |a| {
            a.post(server.url(path))
                .header(name, &value)
                .send_json(body)
        })
    }

    /// Sends one request, timing it up to the last byte of the body; JSON is parsed afterwards.
    fn call(
        &mut self,
        endpoint: &'static str,
        send: impl FnOnce(&ureq::Agent) -> Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Option<Value> {
        let t0 = Instant::now();
        let result = read_answer(send(&self.agent));
        let micros = u32::try_from(t0.elapsed().as_micros()).unwrap_or(u32::MAX);
        match result {
            Ok((status, bytes)) if (200..300).contains(&status) => {
                self.stats.record_ok(endpoint, micros);
                Some(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
            }
            Ok((status, bytes)) => {
                let sample = || format!("{status} {}", body_sample(&bytes));
                self.stats.record_errors(endpoint, 1, sample);
                None
            }
            Err(err) => {
                self.stats.record_errors(endpoint, 1, || err.to_string());
                None
            }
        }
    }
}
