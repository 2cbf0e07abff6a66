//! Identifiers, codes and secrets. Everything unguessable comes from the OS CSPRNG via `rand::rng()`
//! (a ChaCha generator seeded from the OS).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::{Rng, RngExt};
use sha2::{Digest, Sha256};

/// A new id of a reservation, order or batch: a UUIDv7, time-ordered then random. Time-ordered
/// keys append to the right edge of their B-tree (`WITHOUT ROWID` tables keyed by the id), so
/// the pages a write touches stay hot and are written once per group commit; random v4 keys would
/// land on a random leaf each, read from disk and rewritten whole. Ownership, not secrecy,
/// protects these ids: a foreign id answers 404 like an unknown one.
pub fn new_uuid() -> String {
    uuid::Uuid::now_v7().to_string()
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

/// `n` characters of `alphabet`, drawn without modulo bias.
fn random_from(alphabet: &[u8], n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

/// `n` base62 characters.
pub fn random_base62(n: usize) -> String {
    random_from(BASE62, n)
}

/// A reference people read out and type: `n` characters of upper-case letters and digits without
/// the look-alikes (0/O, 1/I), 5 bits each.
pub fn new_reference(n: usize) -> String {
    random_from(b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ", n)
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
