//! QR figures in process: the library's own signer and renderer, on one core, no server.

use std::hint::black_box;
use std::time::Instant;

use gangway::domain::qr::{self, QrSigner};

pub struct QrFigures {
    verify_per_sec: f64,
    png_ms: f64,
    png_bytes: usize,
}

impl QrFigures {
    pub fn measure() -> QrFigures {
        let signer = QrSigner::new([7u8; 32], time::Duration::minutes(30));
        let code = gangway::ids::new_ticket_code();
        let verify_per_sec = verifications_per_sec(&signer, &code);
        let (png_ms, png_bytes) = png_time(&signer, &code);
        QrFigures {
            verify_per_sec,
            png_ms,
            png_bytes,
        }
    }

    pub fn summary(&self) -> String {
        format!(
            "Token verification (HMAC-SHA256, no database): {:.0} per second on one core. PNG of a voucher token \
             (version 4, error correction Q, 8 px modules): {:.2} ms each, {} bytes (target < 2 ms: {}).",
            self.verify_per_sec,
            self.png_ms,
            self.png_bytes,
            if self.png_ms < 2.0 { "met" } else { "not met" }
        )
    }
}

/// Live tokens verified per second.
fn verifications_per_sec(signer: &QrSigner, code: &str) -> f64 {
    let (live, _) = signer.fresh(code).expect("token");
    let now = gangway::clock::now();
    let n = 200_000;
    let t = Instant::now();
    for _ in 0..n {
        black_box(signer.verify(black_box(&live), now).expect("valid"));
    }
    n as f64 / t.elapsed().as_secs_f64()
}

/// Milliseconds per PNG of a voucher token, and the PNG's size in bytes.
fn png_time(signer: &QrSigner, code: &str) -> (f64, usize) {
    let voucher = signer.voucher_token(code).expect("voucher");
    let rounds = 500;
    let t = Instant::now();
    let mut png_bytes = 0;
    for _ in 0..rounds {
        png_bytes = qr::png(black_box(&voucher)).expect("png").len();
    }
    let png_ms = t.elapsed().as_secs_f64() * 1000.0 / rounds as f64;
    (png_ms, png_bytes)
}
