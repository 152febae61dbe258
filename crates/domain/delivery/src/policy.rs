//! When to try a failed delivery again.

use std::time::Duration;

use crate::SendError;

/// Exponential backoff with full jitter, bounded in attempts and in delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    /// Eight attempts over roughly four minutes: outlasts a provider blip, gives up on an outage
    /// visibly (`outbox list --failed`) instead of retrying for ever.
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(60),
        }
    }
}

/// What the outbox does after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    RetryAfter(Duration),
    GiveUp,
}

impl RetryPolicy {
    /// `attempts` is how many attempts have been made, this one included; `jitter` is a uniform
    /// sample from [0, 1), injected so the policy stays pure and testable.
    pub fn after_failure(&self, attempts: u32, error: &SendError, jitter: f64) -> RetryDecision {
        let retry_after = match error {
            SendError::Permanent { .. } => return RetryDecision::GiveUp,
            SendError::Retryable { retry_after, .. } => *retry_after,
        };
        if attempts >= self.max_attempts {
            return RetryDecision::GiveUp;
        }
        let exp = attempts.saturating_sub(1).min(30);
        let ceiling = self.base.saturating_mul(1u32 << exp).min(self.cap);
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        // Full jitter, but never below half the ceiling, so retries cannot collapse to zero.
        let backoff = ceiling.mul_f64(0.5 + jitter / 2.0);
        // A provider's Retry-After is honoured even above the cap: it knows its own limits.
        let delay = retry_after.map_or(backoff, |ra| ra.max(backoff));
        RetryDecision::RetryAfter(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn retryable(retry_after: Option<Duration>) -> SendError {
        SendError::Retryable {
            reason: "http_503".into(),
            retry_after,
        }
    }

    #[test]
    fn permanent_failures_are_never_retried() {
        let e = SendError::Permanent {
            reason: "http_400".into(),
        };
        assert_eq!(
            RetryPolicy::default().after_failure(1, &e, 0.5),
            RetryDecision::GiveUp
        );
    }

    #[test]
    fn retries_stop_after_max_attempts() {
        let p = RetryPolicy::default();
        assert!(matches!(
            p.after_failure(p.max_attempts - 1, &retryable(None), 0.0),
            RetryDecision::RetryAfter(_)
        ));
        assert_eq!(
            p.after_failure(p.max_attempts, &retryable(None), 0.0),
            RetryDecision::GiveUp
        );
    }

    #[test]
    fn backoff_grows_exponentially_up_to_the_cap() {
        let p = RetryPolicy {
            max_attempts: 100,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(10),
        };
        let at = |n| match p.after_failure(n, &retryable(None), 1.0) {
            RetryDecision::RetryAfter(d) => d,
            RetryDecision::GiveUp => Duration::ZERO,
        };
        assert_eq!(at(1), Duration::from_secs(1));
        assert_eq!(at(2), Duration::from_secs(2));
        assert_eq!(at(3), Duration::from_secs(4));
        assert_eq!(at(10), Duration::from_secs(10));
        assert_eq!(at(99), Duration::from_secs(10));
    }

    #[test]
    fn retry_after_from_the_provider_is_honoured() {
        let p = RetryPolicy::default();
        let d = p.after_failure(1, &retryable(Some(Duration::from_secs(120))), 0.0);
        assert_eq!(d, RetryDecision::RetryAfter(Duration::from_secs(120)));
    }

    proptest! {
        #[test]
        fn delay_is_within_half_ceiling_and_ceiling(attempts in 1u32..8, jitter in proptest::num::f64::ANY) {
            let p = RetryPolicy::default();
            if let RetryDecision::RetryAfter(d) = p.after_failure(attempts, &retryable(None), jitter) {
                let ceiling = p.base.saturating_mul(1u32 << (attempts - 1)).min(p.cap);
                prop_assert!(d >= ceiling / 2 && d <= ceiling);
            }
        }
    }
}
