//! User passwords: argon2id, the OWASP preset of rust-argon2. Never used for API keys (too slow
//! for a per-request check).

use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::AppError;

/// Threads that run argon2. Each hash takes a 19 MiB block; on any thread the allocator keeps it
/// afterwards, and unbounded concurrency would let anyone without credentials push the server to
/// gigabytes with parallel login attempts. Two long-lived threads bound both: memory (~40 MiB) and
/// CPU (the API keeps a core); extra logins queue.
const HASHER_THREADS: usize = 2;

type Job = Box<dyn FnOnce() + Send>;

fn hasher() -> &'static Mutex<Sender<Job>> {
    static HASHER: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();
    HASHER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for n in 0..HASHER_THREADS {
            let rx = Arc::clone(&rx);
            let _ = std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || loop {
                    let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    match job {
                        Ok(job) => job(),
                        Err(_) => break,
                    }
                });
        }
        Mutex::new(tx)
    })
}

/// Runs `f` on a hasher thread and waits for it.
fn on_hasher<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
    let (tx, rx) = mpsc::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(f());
    });
    hasher()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .send(job)
        .map_err(|_| AppError::Unavailable("password hasher stopped".into()))?;
    rx.recv()
        .map_err(|_| AppError::Unavailable("password hasher stopped".into()))
}

pub fn hash(password: &str) -> Result<String, AppError> {
    let salt = crate::ids::random_bytes::<16>();
    let password = password.to_owned();
    on_hasher(move || {
        let config = argon2::Config {
            variant: argon2::Variant::Argon2id,
            ..argon2::Config::default()
        };
        argon2::hash_encoded(password.as_bytes(), &salt, &config)
            .map_err(|e| AppError::Internal(format!("argon2: {e}")))
    })?
}

pub fn verify(encoded: &str, password: &str) -> bool {
    let (encoded, password) = (encoded.to_owned(), password.to_owned());
    on_hasher(move || argon2::verify_encoded(&encoded, password.as_bytes()).unwrap_or(false))
        .unwrap_or(false)
}

/// Verifies against a fixed hash so that an unknown email takes as long as a wrong password.
pub fn burn_time(password: &str) -> Result<(), AppError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let encoded = match DUMMY.get() {
        Some(encoded) => encoded,
        None => {
            let fresh = hash("not-a-real-password")?;
            DUMMY.get_or_init(|| fresh)
        }
    };
    let _ = verify(encoded, password);
    Ok(())
}

/// A new password is 10 to 200 characters (422 naming `field` otherwise).
pub fn validate_new(password: &str, field: &str) -> Result<(), AppError> {
    let len = password.chars().count();
    if !(10..=200).contains(&len) {
        return Err(AppError::validation(
            field,
            "must be 10 to 200 characters long",
        ));
    }
    Ok(())
}
