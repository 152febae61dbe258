use std::net::IpAddr;

use warden_types::UnixMillis;

use crate::{KeyedLimiter, RatePolicy};

/// Counts failed webhook authentications per client address.
///
/// Over the limit, further *failing* requests are answered 429 and not audited, so a forger
/// cannot grow the audit log without bound. Authentic requests are never blocked by it: the
/// signature is checked first, so a shared proxy address cannot be used to lock out the provider.
/// Memory is bounded by `max_clients`; when full, expired windows go first, then the oldest.
#[derive(Debug, Clone)]
pub struct AuthFailureLimiter {
    windows: KeyedLimiter<IpAddr>,
}

impl AuthFailureLimiter {
    pub fn new(policy: RatePolicy, max_clients: usize) -> Self {
        Self {
            windows: KeyedLimiter::new(policy, max_clients),
        }
    }

    /// Records one failure; returns true when this client is now over its limit.
    pub fn record_failure(&mut self, ip: IpAddr, now: UnixMillis) -> bool {
        self.windows.hit(&ip, now).is_err()
    }

    pub fn tracked_clients(&self) -> usize {
        self.windows.tracked()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    #[test]
    fn forger_is_throttled_after_limit_within_window() {
        let mut l = AuthFailureLimiter::new(RatePolicy::per_minute(3), 100);
        let over: Vec<bool> = (0..5)
            .map(|_| l.record_failure(ip(1), UnixMillis(0)))
            .collect();
        assert_eq!(over, [false, false, false, true, true]);
        assert!(
            !l.record_failure(ip(2), UnixMillis(0)),
            "other clients unaffected"
        );
        assert!(
            !l.record_failure(ip(1), UnixMillis(60_000)),
            "window expires"
        );
    }

    #[test]
    fn memory_stays_bounded_under_address_spraying() {
        let mut l = AuthFailureLimiter::new(RatePolicy::per_minute(3), 10);
        for i in 0..=255u8 {
            l.record_failure(ip(i), UnixMillis(i64::from(i)));
        }
        assert!(l.tracked_clients() <= 10);
    }
}
