//! Per-partner rate limit with GCRA (the generic cell rate algorithm): a burst of up to the limit,
//! then one request every 60 s / limit. Fair and O(1) per request; in memory, since Gangway is one
//! process.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Whose bucket: a partner (default limit) or one key with its own override.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    Partner(i64),
    Key(i64),
    /// Login attempts from one client address.
    Login(std::net::IpAddr),
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
    // Theoretical arrival time per bucket.
    tat: Mutex<HashMap<Bucket, Instant>>,
}

impl RateLimiter {
    pub fn check(&self, bucket: Bucket, limit: u32) -> Decision {
        self.check_at(bucket, limit, Instant::now())
    }

    pub fn check_at(&self, bucket: Bucket, limit: u32, now: Instant) -> Decision {
        let limit = limit.max(1);
        let interval = Duration::from_secs(60) / limit;
        let tolerance = interval * (limit - 1);
        let mut map = self.tat.lock().unwrap_or_else(|p| p.into_inner());
        let tat = map.get(&bucket).copied().unwrap_or(now).max(now);
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
        map.insert(bucket, new_tat);
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
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
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
}
