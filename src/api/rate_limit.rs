//! Rate limits, in memory (Gangway is one process):
//!
//! - [`RateLimiter`]: per partner, per key and per client address, with GCRA (the generic cell
//!   rate algorithm): a burst of up to the limit, then one request every 60 s / limit. Fair and
//!   O(1) per request.
//! - [`AccountLockout`]: per login email, whatever the address: after [`ACCOUNT_FAILURES`] failed
//!   passwords within [`ACCOUNT_WINDOW`] the account answers 429 for [`ACCOUNT_LOCK`], until an
//!   admin lifts it.
//!
//! Both forget a key once it no longer limits anything, and never track more than [`MAX_KEYS`]
//! at once: a flood of distinct addresses or emails cannot grow the server's memory.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Whose bucket: a partner (default limit), one key with its own override, or a client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    Partner(i64),
    Key(i64),
    /// Login and registration attempts from one client address (an IPv6 client by its /64: one
    /// host usually has the whole network).
    Login(IpAddr),
}

impl Bucket {
    pub fn login(ip: IpAddr) -> Bucket {
        match crate::config::canonical(ip) {
            IpAddr::V6(v6) => {
                let network = u128::from(v6) & !((1u128 << 64) - 1);
                Bucket::Login(IpAddr::V6(network.into()))
            }
            v4 => Bucket::Login(v4),
        }
    }
}

/// The most keys a limiter tracks at once (about 100 bytes each).
pub const MAX_KEYS: usize = 100_000;

/// A map that forgets entries once they are spent and holds at most [`MAX_KEYS`]: when it grows
/// past its threshold it drops the spent ones, and if that is not enough, the ones that limit the
/// least (the lowest `rank`), keeping half of [`MAX_KEYS`].
struct Bounded<K, V> {
    map: HashMap<K, V>,
    prune_at: usize,
}

const FIRST_PRUNE: usize = 1024;

impl<K: Hash + Eq, V> Default for Bounded<K, V> {
    fn default() -> Self {
        Bounded {
            map: HashMap::new(),
            prune_at: FIRST_PRUNE,
        }
    }
}

impl<K: Hash + Eq, V> Bounded<K, V> {
    /// Makes room for one more key: `live` says whether an entry still limits anything.
    fn make_room<R: Ord + Copy>(&mut self, live: impl Fn(&V) -> bool, rank: impl Fn(&V) -> R) {
        if self.map.len() < self.prune_at {
            return;
        }
        self.map.retain(|_, v| live(v));
        let keep = MAX_KEYS / 2;
        if self.map.len() > keep {
            let mut ranks: Vec<R> = self.map.values().map(&rank).collect();
            let cut = ranks.len() - keep;
            let (_, cutoff, _) = ranks.select_nth_unstable(cut);
            let cutoff = *cutoff;
            let mut at_cutoff = keep - self.map.values().filter(|v| rank(v) > cutoff).count();
            self.map.retain(|_, v| {
                let w = rank(v);
                w > cutoff
                    || (w == cutoff && at_cutoff > 0 && {
                        at_cutoff -= 1;
                        true
                    })
            });
        }
        self.prune_at = (self.map.len() * 2).clamp(FIRST_PRUNE, MAX_KEYS);
        self.map.shrink_to(self.prune_at);
    }

    fn len(&self) -> usize {
        self.map.len()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the bucket is full again.
    pub reset_secs: u64,
    /// Seconds until the next request would be allowed (0 when allowed).
    pub retry_after_secs: u64,
}

#[derive(Default)]
pub struct RateLimiter {
    // Theoretical arrival time per bucket; a bucket whose time has passed is full and forgotten.
    tat: Mutex<Bounded<Bucket, Instant>>,
}

impl RateLimiter {
    pub fn check(&self, bucket: Bucket, limit: u32) -> Decision {
        self.check_at(bucket, limit, Instant::now())
    }

    pub fn check_at(&self, bucket: Bucket, limit: u32, now: Instant) -> Decision {
        let limit = limit.max(1);
        let interval = Duration::from_secs(60) / limit;
        let tolerance = interval * (limit - 1);
        let mut buckets = self.tat.lock().unwrap_or_else(|p| p.into_inner());
        let tat = buckets.map.get(&bucket).copied().unwrap_or(now).max(now);
        let ahead = tat - now;
        if ahead > tolerance {
            let wait = ahead - tolerance;
            return Decision {
                allowed: false,
                limit,
                remaining: 0,
                reset_secs: ceil_secs(ahead),
                retry_after_secs: ceil_secs(wait).max(1),
            };
        }
        let new_tat = tat + interval;
        if !buckets.map.contains_key(&bucket) {
            // A bucket whose time has passed is full: the same as no bucket.
            buckets.make_room(|t| *t > now, |t| *t);
        }
        buckets.map.insert(bucket, new_tat);
        let used = (new_tat - now).as_nanos() / interval.as_nanos().max(1);
        let remaining = u128::from(limit).saturating_sub(used) as u32;
        Decision {
            allowed: true,
            limit,
            remaining,
            reset_secs: ceil_secs(new_tat - now),
            retry_after_secs: 0,
        }
    }

    /// How many buckets are in memory.
    pub fn tracked(&self) -> usize {
        self.tat.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// Failed passwords that lock an account...
pub const ACCOUNT_FAILURES: usize = 10;
/// ...when they fall within this window...
pub const ACCOUNT_WINDOW: Duration = Duration::from_secs(15 * 60);
/// ...for this long (or until an admin unlocks it).
pub const ACCOUNT_LOCK: Duration = Duration::from_secs(15 * 60);

/// An account's recent failures, by the digest of its normalized email (the raw text is never
/// kept, and a megabyte of "email" costs 16 bytes).
#[derive(Default)]
struct Failures {
    recent: VecDeque<Instant>,
    locked_until: Option<Instant>,
}

impl Failures {
    fn locked_at(&self, now: Instant) -> bool {
        self.locked_until.is_some_and(|t| t > now)
    }

    fn matters_at(&self, now: Instant) -> bool {
        self.locked_at(now)
            || self
                .recent
                .back()
                .is_some_and(|t| now - *t < ACCOUNT_WINDOW)
    }

    /// Locks first, then the accounts closest to a lock.
    fn rank(&self, now: Instant) -> (bool, usize, Option<Instant>) {
        (
            self.locked_at(now),
            self.recent.len(),
            self.recent.back().copied(),
        )
    }
}

/// Per-account login lockout. Keyed by email whether or not an account has it, so a locked
/// answer never tells an attacker which emails exist.
#[derive(Default)]
pub struct AccountLockout {
    accounts: Mutex<Bounded<[u8; 16], Failures>>,
}

fn account_key(email: &str) -> [u8; 16] {
    crate::ids::digest16(email.trim().to_lowercase().as_bytes())
}

impl AccountLockout {
    /// How long the account stays locked, if it is.
    pub fn locked_for(&self, email: &str) -> Option<Duration> {
        self.locked_for_at(email, Instant::now())
    }

    pub fn locked_for_at(&self, email: &str, now: Instant) -> Option<Duration> {
        let accounts = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        let until = accounts.map.get(&account_key(email))?.locked_until?;
        (until > now).then(|| until - now)
    }

    /// Records a wrong password; true when this failure locked the account.
    pub fn failed(&self, email: &str) -> bool {
        self.failed_at(email, Instant::now())
    }

    pub fn failed_at(&self, email: &str, now: Instant) -> bool {
        let key = account_key(email);
        let mut accounts = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        if !accounts.map.contains_key(&key) {
            accounts.make_room(|f| f.matters_at(now), |f| f.rank(now));
        }
        let f = accounts.map.entry(key).or_default();
        while f.recent.front().is_some_and(|t| now - *t >= ACCOUNT_WINDOW) {
            f.recent.pop_front();
        }
        f.recent.push_back(now);
        if f.recent.len() >= ACCOUNT_FAILURES {
            f.recent.clear();
            f.locked_until = Some(now + ACCOUNT_LOCK);
            return true;
        }
        false
    }

    /// A correct password forgets the failures before it.
    pub fn succeeded(&self, email: &str) {
        self.unlock(email);
    }

    /// Lifts a lock (and forgets the failures); true when the account was locked.
    pub fn unlock(&self, email: &str) -> bool {
        let mut accounts = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        accounts
            .map
            .remove(&account_key(email))
            .and_then(|f| f.locked_until)
            .is_some_and(|t| t > Instant::now())
    }

    /// How many accounts are in memory.
    pub fn tracked(&self) -> usize {
        self.accounts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_a_burst_of_the_limit_then_refuses() {
        let rl = RateLimiter::default();
        let t0 = Instant::now();
        for i in 0..100 {
            let d = rl.check_at(Bucket::Partner(1), 100, t0);
            assert!(d.allowed, "request {i} refused");
            assert_eq!(d.remaining, 99 - i);
        }
        let d = rl.check_at(Bucket::Partner(1), 100, t0);
        assert!(!d.allowed);
        assert!(d.retry_after_secs >= 1);
    }

    #[test]
    fn refills_one_request_per_interval() {
        let rl = RateLimiter::default();
        let t0 = Instant::now();
        for _ in 0..60 {
            assert!(rl.check_at(Bucket::Partner(1), 60, t0).allowed);
        }
        assert!(!rl.check_at(Bucket::Partner(1), 60, t0).allowed);
        assert!(
            rl.check_at(Bucket::Partner(1), 60, t0 + Duration::from_secs(1))
                .allowed
        );
        assert!(
            !rl.check_at(Bucket::Partner(1), 60, t0 + Duration::from_secs(1))
                .allowed
        );
    }

    #[test]
    fn buckets_are_independent() {
        let rl = RateLimiter::default();
        let t0 = Instant::now();
        assert!(rl.check_at(Bucket::Partner(1), 1, t0).allowed);
        assert!(!rl.check_at(Bucket::Partner(1), 1, t0).allowed);
        assert!(rl.check_at(Bucket::Partner(2), 1, t0).allowed);
        assert!(rl.check_at(Bucket::Key(1), 1, t0).allowed);
    }

    fn v6(n: u128) -> IpAddr {
        IpAddr::V6(n.into())
    }

    #[test]
    fn a_million_distinct_addresses_keep_memory_bounded_and_the_limit_working() {
        let rl = RateLimiter::default();
        let t0 = Instant::now();
        // The attacker's own address is out of attempts...
        let attacker = Bucket::login("192.0.2.1".parse().unwrap());
        for _ in 0..20 {
            assert!(rl.check_at(attacker, 20, t0).allowed);
        }
        // ...then a million distinct addresses (one per /64), all within one second.
        for i in 0..1_000_000u128 {
            let now = t0 + Duration::from_micros(i as u64);
            rl.check_at(Bucket::login(v6((0x2001_0db8 << 96) | (i << 64))), 20, now);
            assert!(
                rl.tracked() <= MAX_KEYS,
                "{} buckets after {i}",
                rl.tracked()
            );
        }
        let later = t0 + Duration::from_secs(1);
        assert!(
            !rl.check_at(attacker, 20, later).allowed,
            "the flood must not reset the bucket that limits most"
        );
        // Once every bucket has refilled, the next prune forgets them all.
        let much_later = t0 + Duration::from_secs(120);
        for i in 0..20_000 {
            rl.check_at(Bucket::Partner(i), 100, much_later);
        }
        assert!(rl.tracked() <= 20_000, "{}", rl.tracked());
    }

    #[test]
    fn addresses_of_one_ipv6_network_share_a_bucket() {
        let a = Bucket::login("2001:db8:1:2::1".parse().unwrap());
        let b = Bucket::login("2001:db8:1:2:ffff::9".parse().unwrap());
        let c = Bucket::login("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            Bucket::login("::ffff:192.0.2.7".parse().unwrap()),
            Bucket::login("192.0.2.7".parse().unwrap())
        );
    }

    #[test]
    fn ten_failures_in_fifteen_minutes_lock_an_account_for_fifteen_minutes() {
        let l = AccountLockout::default();
        let t0 = Instant::now();
        for i in 0..ACCOUNT_FAILURES - 1 {
            assert!(!l.failed_at("Ann@Example.com", t0 + Duration::from_secs(60 * i as u64)));
        }
        assert_eq!(l.locked_for_at("ann@example.com", t0), None);
        let tenth = t0 + Duration::from_secs(14 * 60);
        assert!(l.failed_at(" ann@example.com", tenth));
        assert_eq!(
            l.locked_for_at("ANN@example.com", tenth),
            Some(ACCOUNT_LOCK)
        );
        assert_eq!(
            l.locked_for_at("ann@example.com", tenth + ACCOUNT_LOCK),
            None
        );
        assert_eq!(l.locked_for_at("bob@example.com", tenth), None);
    }

    #[test]
    fn failures_spread_beyond_the_window_never_lock() {
        let l = AccountLockout::default();
        let t0 = Instant::now();
        for i in 0..30u64 {
            assert!(!l.failed_at("ann@example.com", t0 + Duration::from_secs(100 * i)));
        }
    }

    #[test]
    fn a_million_distinct_emails_keep_memory_bounded() {
        let l = AccountLockout::default();
        let t0 = Instant::now();
        for i in 0..ACCOUNT_FAILURES {
            l.failed_at("target@example.com", t0 + Duration::from_millis(i as u64));
        }
        for i in 0..1_000_000u64 {
            l.failed_at(&format!("{i}@example.com"), t0 + Duration::from_micros(i));
            assert!(l.tracked() <= MAX_KEYS);
        }
        assert!(
            l.locked_for_at("target@example.com", t0 + Duration::from_secs(2))
                .is_some(),
            "the flood must not lift a lock"
        );
    }
}
