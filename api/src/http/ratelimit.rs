//! Per-client rate limiting of `/graphql`: a token bucket per client, where a client is the
//! subject of a valid bearer token, else the caller's IP address (an IPv6 caller's /64, which
//! one subscriber usually holds whole). Buckets are kept by a keyed hash of the client, so a
//! bucket costs a few dozen bytes whatever the subject's length, and idle ones are evicted.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Most clients tracked at once. Past it, buckets that have refilled (their clients idle
/// long enough to be indistinguishable from new ones) are dropped, then the longest idle.
const MAX_CLIENTS: usize = 100_000;

/// Who a request is counted against.
#[derive(Clone, Copy, Debug)]
pub enum Client<'a> {
    Subject(&'a str),
    Address(IpAddr),
    /// A connection whose peer address is unknown (only in-process tests serve without one).
    Unknown,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<u64, Bucket>>,
    hasher: RandomState,
    max_clients: usize,
}

impl RateLimiter {
    /// `None` when `per_minute` is 0: limiting is off.
    pub fn new(per_minute: u32, burst: u32) -> Option<Self> {
        Self::bounded(per_minute, burst, MAX_CLIENTS)
    }

    fn bounded(per_minute: u32, burst: u32, max_clients: usize) -> Option<Self> {
        (per_minute > 0).then(|| Self {
            per_second: f64::from(per_minute) / 60.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
            hasher: RandomState::new(),
            max_clients,
        })
    }

    fn key(&self, client: Client<'_>) -> u64 {
        match client {
            Client::Subject(subject) => self.hasher.hash_one(("sub", subject)),
            Client::Address(IpAddr::V4(ip)) => self.hasher.hash_one(("ip", ip.octets())),
            Client::Address(IpAddr::V6(ip)) => match ip.to_ipv4_mapped() {
                Some(v4) => self.hasher.hash_one(("ip", v4.octets())),
                None => self.hasher.hash_one(("ip6", &ip.octets()[..8])),
            },
            Client::Unknown => self.hasher.hash_one("unknown"),
        }
    }

    /// Takes one token from `client`'s bucket; when it is empty, the whole seconds until
    /// the next token (the `Retry-After` value).
    pub fn take(&self, client: Client<'_>, now: Instant) -> Result<(), u64> {
        let key = self.key(client);
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if !buckets.contains_key(&key) && buckets.len() >= self.max_clients {
            self.evict(&mut buckets, now);
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.per_second;
            Err((wait.ceil() as u64).max(1))
        }
    }

    fn evict(&self, buckets: &mut HashMap<u64, Bucket>, now: Instant) {
        buckets.retain(|_, bucket| {
            let idle = now.saturating_duration_since(bucket.at).as_secs_f64();
            bucket.tokens + idle * self.per_second < self.burst
        });
        if buckets.len() >= self.max_clients {
            // Everyone is active: the longer idle half goes, so memory stays bounded.
            let mut times: Vec<Instant> = buckets.values().map(|b| b.at).collect();
            let middle = times.len() / 2;
            let (_, cut, _) = times.select_nth_unstable(middle);
            let cut = *cut;
            buckets.retain(|_, bucket| bucket.at > cut);
        }
    }

    /// Clients currently tracked.
    pub fn clients(&self) -> usize {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn take__burst_then_refusal_with_retry_after_then_refill() {
        // 6 a minute is one every 10 s; a burst of 3
        let limiter = RateLimiter::new(6, 3).unwrap();
        let t0 = Instant::now();
        let alice = Client::Subject("alice");
        for _ in 0..3 {
            assert_eq!(limiter.take(alice, t0), Ok(()));
        }
        assert_eq!(limiter.take(alice, t0), Err(10));
        // Another client has a bucket of its own
        assert_eq!(limiter.take(Client::Subject("bob"), t0), Ok(()));
        // Four seconds on, six remain to wait
        assert_eq!(limiter.take(alice, t0 + Duration::from_secs(4)), Err(6));
        assert_eq!(limiter.take(alice, t0 + Duration::from_secs(10)), Ok(()));
        assert!(limiter.take(alice, t0 + Duration::from_secs(10)).is_err());
    }

    #[test]
    fn take__off_when_zero_per_minute() {
        assert!(RateLimiter::new(0, 10).is_none());
    }

    #[test]
    fn key__an_ipv6_64_is_one_client_and_a_mapped_ipv4_is_its_ipv4() {
        let limiter = RateLimiter::new(60, 1).unwrap();
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(
            limiter.key(Client::Address(a)),
            limiter.key(Client::Address(b))
        );
        assert_ne!(
            limiter.key(Client::Address(a)),
            limiter.key(Client::Address(c))
        );
        let v4: IpAddr = "10.0.0.7".parse().unwrap();
        let mapped: IpAddr = "::ffff:10.0.0.7".parse().unwrap();
        assert_eq!(
            limiter.key(Client::Address(v4)),
            limiter.key(Client::Address(mapped))
        );
        // A subject never shares a bucket with an address
        assert_ne!(
            limiter.key(Client::Subject("10.0.0.7")),
            limiter.key(Client::Address(v4))
        );
    }

    #[test]
    fn evict__memory_stays_bounded_and_refilled_buckets_go_first() {
        let limiter = RateLimiter::bounded(60, 2, 100).unwrap();
        let t0 = Instant::now();
        let busy = Client::Subject("busy");
        limiter.take(busy, t0).unwrap();
        limiter.take(busy, t0).unwrap();
        for n in 0..99u32 {
            let ip = IpAddr::from(n.to_be_bytes());
            limiter.take(Client::Address(ip), t0).unwrap();
        }
        assert_eq!(limiter.clients(), 100);
        // A minute on, every one-request client has refilled and is forgotten; the busy
        // client's bucket has refilled too, so it goes as well
        let later = t0 + Duration::from_secs(60);
        limiter.take(Client::Subject("new"), later).unwrap();
        assert!(limiter.clients() <= 2, "{}", limiter.clients());
        // When all are active at once, the oldest half goes
        for n in 0..200u32 {
            let ip = IpAddr::from((n + 1_000).to_be_bytes());
            let at = later + Duration::from_millis(u64::from(n));
            limiter.take(Client::Address(ip), at).unwrap();
            assert!(limiter.clients() <= 100);
        }
    }
}
