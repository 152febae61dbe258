use std::collections::HashMap;
use std::net::IpAddr;

use warden_types::UnixMillis;

use crate::RatePolicy;

/// Counts failed webhook authentications per client address.
///
/// Over the limit, further *failing* requests are answered 429 and not audited, so a forger
/// cannot grow the audit log without bound. Authentic requests are never blocked by it: the
/// signature is checked first, so a shared proxy address cannot be used to lock out the provider.
/// Memory is bounded by `max_clients`; when full, expired windows go first, then the oldest.
#[derive(Debug, Clone)]
pub struct AuthFailureLimiter {
    policy: RatePolicy,
    max_clients: usize,
    windows: HashMap<IpAddr, (UnixMillis, u32)>,
}

impl AuthFailureLimiter {
    pub fn new(policy: RatePolicy, max_clients: usize) -> Self {
        Self {
            policy,
            max_clients: max_clients.max(1),
            windows: HashMap::new(),
        }
    }

    /// Records one failure; returns true when this client is now over its limit.
    pub fn record_failure(&mut self, ip: IpAddr, now: UnixMillis) -> bool {
        if !self.windows.contains_key(&ip) && self.windows.len() >= self.max_clients {
            self.evict(now);
        }
        let window_ms = self.policy.window_ms;
        let entry = self.windows.entry(ip).or_insert((now, 0));
        if now.as_i64() < entry.0.as_i64() || now.as_i64() - entry.0.as_i64() >= window_ms {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1 > self.policy.limit
    }

    pub fn tracked_clients(&self) -> usize {
        self.windows.len()
    }

    fn evict(&mut self, now: UnixMillis) {
        let window_ms = self.policy.window_ms;
        self.windows
            .retain(|_, (start, _)| now.as_i64() - start.as_i64() < window_ms);
        if self.windows.len() >= self.max_clients {
            if let Some(oldest) = self
                .windows
                .iter()
                .min_by_key(|(_, (start, _))| *start)
                .map(|(ip, _)| *ip)
            {
                self.windows.remove(&oldest);
            }
        }
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
