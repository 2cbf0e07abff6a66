//! Identifiers, codes and secrets. Everything unguessable comes from the OS CSPRNG via `rand::rng()`
//! (a ChaCha generator seeded from the OS).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::{Rng, RngExt};
use sha2::{Digest, Sha256};

pub fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// A ticket code: 96 random bits, 16 URL-safe characters.
pub fn new_ticket_code() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<12>())
}

/// A session token: 256 random bits.
pub fn new_session_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` base62 characters, drawn without modulo bias.
pub fn random_base62(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| BASE62[rng.random_range(0..BASE62.len())] as char)
        .collect()
}

/// A generated password for `create-user` and the first admin: 20 base62 chars (~119 bits).
pub fn new_password() -> String {
    random_base62(20)
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(sha256(data))
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Compares two secrets' hashes without leaking, through timing, how many leading bytes match.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
