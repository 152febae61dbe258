use std::collections::HashMap;
use std::hash::Hash;

use warden_types::UnixMillis;

use crate::RatePolicy;

/// A fixed-window request budget per key (a client address, an operator), in bounded memory.
///
/// When `max_keys` are tracked, expired windows go first, then the oldest, so a flood of new
/// keys can only forget old budgets, never grow the map.
#[derive(Debug, Clone)]
pub struct KeyedLimiter<K> {
    policy: RatePolicy,
    max_keys: usize,
    windows: HashMap<K, (UnixMillis, u32)>,
}

/// Over budget: the request is refused until the key's window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverLimit {
    /// Whole seconds until the window ends, at least 1 (for `Retry-After`).
    pub retry_after_secs: u64,
}

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    pub fn new(policy: RatePolicy, max_keys: usize) -> Self {
        Self {
            policy,
            max_keys: max_keys.max(1),
            windows: HashMap::new(),
        }
    }

    /// Counts one request for `key`; refuses it past the policy's limit in the current window.
    pub fn hit(&mut self, key: &K, now: UnixMillis) -> Result<(), OverLimit> {
        if !self.windows.contains_key(key) && self.windows.len() >= self.max_keys {
            self.evict(now);
        }
        let window_ms = self.policy.window_ms;
        let entry = self.windows.entry(key.clone()).or_insert((now, 0));
        if now.as_i64() < entry.0.as_i64() || now.as_i64() - entry.0.as_i64() >= window_ms {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        if entry.1 <= self.policy.limit {
            return Ok(());
        }
        let left_ms = (entry.0.as_i64() + window_ms - now.as_i64()).max(1);
        Err(OverLimit {
            retry_after_secs: u64::try_from((left_ms + 999) / 1000).unwrap_or(1),
        })
    }

    pub fn tracked(&self) -> usize {
        self.windows.len()
    }

    fn evict(&mut self, now: UnixMillis) {
        let window_ms = self.policy.window_ms;
        self.windows
            .retain(|_, (start, _)| now.as_i64() - start.as_i64() < window_ms);
        if self.windows.len() >= self.max_keys {
            if let Some(oldest) = self
                .windows
                .iter()
                .min_by_key(|(_, (start, _))| *start)
                .map(|(k, _)| k.clone())
            {
                self.windows.remove(&oldest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_past_the_budget_is_refused_with_the_seconds_left() {
        let mut l = KeyedLimiter::new(RatePolicy::per_minute(20), 10);
        for i in 0..20 {
            assert_eq!(l.hit(&"a", UnixMillis(i)), Ok(()), "request {i}");
        }
        assert_eq!(
            l.hit(&"a", UnixMillis(1_000)),
            Err(OverLimit {
                retry_after_secs: 59
            })
        );
        // Another key has its own budget.
        assert_eq!(l.hit(&"b", UnixMillis(1_000)), Ok(()));
        // A new window starts a new budget.
        assert_eq!(l.hit(&"a", UnixMillis(60_000)), Ok(()));
    }

    #[test]
    fn a_flood_of_keys_stays_within_the_memory_bound() {
        let mut l = KeyedLimiter::new(RatePolicy::per_minute(1), 100);
        for i in 0..10_000u32 {
            let _ = l.hit(&i, UnixMillis(i64::from(i)));
        }
        assert!(l.tracked() <= 100);
    }
}
