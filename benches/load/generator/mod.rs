//! The load generator: one thread and one keep-alive connection per client, each request timed to
//! the last byte of its answer, the latencies gathered per endpoint for the phase.

mod client;
mod runner;
mod stats;

use std::time::Duration;

pub use client::{Auth, Client};
pub use runner::run_phase;
pub use stats::Phase;

/// The HTTP agent every part of the bench talks to the server with: non-2xx answers are answers,
/// not errors, so their status and body can be reported.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .max_idle_connections_per_host(4)
        .build()
        .into()
}

/// An answer's status and its whole body (up to 64 MB), or the transport error.
pub fn read_answer(
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<(u16, Vec<u8>), ureq::Error> {
    response.and_then(|mut r| {
        let status = r.status().as_u16();
        let bytes = r.body_mut().with_config().limit(64 << 20).read_to_vec()?;
        Ok((status, bytes))
    })
}

/// The start of an answer's body, enough to tell one error from another.
pub fn body_sample(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
}
