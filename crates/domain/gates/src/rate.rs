use warden_types::UnixMillis;

/// At most `limit` messages per `window_ms` per sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatePolicy {
    pub limit: u32,
    pub window_ms: i64,
}

impl RatePolicy {
    pub const fn per_minute(limit: u32) -> Self {
        Self {
            limit,
            window_ms: 60_000,
        }
    }
}

impl Default for RatePolicy {
    fn default() -> Self {
        Self::per_minute(20)
    }
}

/// A fixed window that opens with a sender's first message after the previous window ended.
///
/// Fixed windows need one row per sender and one read-modify-write per message; see
/// `docs/design/rate-limit.md` for why this beats a sliding log or a token bucket here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateWindow {
    pub start: UnixMillis,
    /// Messages seen in this window, including dropped ones.
    pub count: u32,
    /// Whether this window's single "slow down" reply was already sent.
    pub notified: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    Allow,
    /// Over the limit: drop the message; `notify` is true once per window.
    Drop {
        notify: bool,
    },
}

impl RatePolicy {
    /// Counts one message and decides whether it may pass. Returns the state to store.
    pub fn check(
        &self,
        current: Option<RateWindow>,
        now: UnixMillis,
    ) -> (RateDecision, RateWindow) {
        let live = current.filter(|w| {
            now.as_i64() >= w.start.as_i64() && now.as_i64() - w.start.as_i64() < self.window_ms
        });
        let mut window = live.unwrap_or(RateWindow {
            start: now,
            count: 0,
            notified: false,
        });
        window.count = window.count.saturating_add(1);
        if window.count <= self.limit {
            return (RateDecision::Allow, window);
        }
        let notify = !window.notified;
        window.notified = true;
        (RateDecision::Drop { notify }, window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn run(policy: RatePolicy, times: &[i64]) -> Vec<RateDecision> {
        let mut state = None;
        times
            .iter()
            .map(|t| {
                let (d, w) = policy.check(state, UnixMillis(*t));
                state = Some(w);
                d
            })
            .collect()
    }

    #[test]
    fn twenty_first_message_in_a_minute_is_dropped() {
        let d = run(RatePolicy::default(), &[0; 21]);
        assert!(d[..20].iter().all(|d| *d == RateDecision::Allow));
        assert_eq!(d[20], RateDecision::Drop { notify: true });
    }

    #[test]
    fn flood_gets_one_slow_down_reply_per_window() {
        let d = run(RatePolicy::default(), &[5; 30]);
        let notices = d
            .iter()
            .filter(|d| **d == RateDecision::Drop { notify: true })
            .count();
        assert_eq!(notices, 1);
        assert_eq!(d[29], RateDecision::Drop { notify: false });
    }

    #[test]
    fn window_reopens_after_a_minute() {
        let mut times = vec![0; 21];
        times.push(59_999);
        times.push(60_000);
        let d = run(RatePolicy::default(), &times);
        assert_eq!(d[21], RateDecision::Drop { notify: false });
        assert_eq!(d[22], RateDecision::Allow);
    }

    #[test]
    fn clock_going_backwards_opens_a_fresh_window_instead_of_trusting_it() {
        let p = RatePolicy::per_minute(1);
        let (_, w) = p.check(None, UnixMillis(100_000));
        let (d, w2) = p.check(Some(w), UnixMillis(50_000));
        assert_eq!(d, RateDecision::Allow);
        assert_eq!(w2.start, UnixMillis(50_000));
    }

    proptest! {
        /// No sequence of arrivals lets more than `limit` messages through in any one window.
        #[test]
        fn never_more_than_limit_per_window(limit in 1u32..30, gaps in proptest::collection::vec(0i64..5_000, 1..300)) {
            let p = RatePolicy::per_minute(limit);
            let mut state: Option<RateWindow> = None;
            let mut now = 0i64;
            let mut allowed_in_window = 0u32;
            let mut window_start = None;
            for g in gaps {
                now += g;
                let (d, w) = p.check(state, UnixMillis(now));
                if window_start != Some(w.start) {
                    window_start = Some(w.start);
                    allowed_in_window = 0;
                }
                if d == RateDecision::Allow {
                    allowed_in_window += 1;
                }
                prop_assert!(allowed_in_window <= limit);
                state = Some(w);
            }
        }
    }
}
