//! User passwords: argon2id, the OWASP preset of rust-argon2. Never used for API keys (too slow
//! for a per-request check).

use crate::error::AppError;

pub fn hash(password: &str) -> Result<String, AppError> {
    let salt = crate::ids::random_bytes::<16>();
    let config = argon2::Config {
        variant: argon2::Variant::Argon2id,
        ..argon2::Config::default()
    };
    argon2::hash_encoded(password.as_bytes(), &salt, &config)
        .map_err(|e| AppError::Internal(format!("argon2: {e}")))
}

pub fn verify(encoded: &str, password: &str) -> bool {
    argon2::verify_encoded(encoded, password.as_bytes()).unwrap_or(false)
}

/// Verifies against a fixed hash so that an unknown email takes as long as a wrong password.
pub fn burn_time(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let encoded = DUMMY.get_or_init(|| hash("not-a-real-password").unwrap_or_default());
    let _ = verify(encoded, password);
}

pub fn validate_new(password: &str) -> Result<(), AppError> {
    let len = password.chars().count();
    if !(10..=200).contains(&len) {
        return Err(AppError::validation(
            "password",
            "must be 10 to 200 characters long",
        ));
    }
    Ok(())
}
