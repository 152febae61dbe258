use warden_types::UnixMillis;

/// How many wrong pairing tokens a stranger may send before being locked out, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairingPolicy {
    pub max_failures: u32,
    pub lockout_ms: i64,
}

impl Default for PairingPolicy {
    fn default() -> Self {
        Self {
            max_failures: 5,
            lockout_ms: 15 * 60_000,
        }
    }
}

/// Stored per sender; absent means "never failed".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PairState {
    pub failures: u32,
    pub locked_until: Option<UnixMillis>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairGate {
    /// The token may be checked.
    Open,
    /// The token must not even be compared: a locked sender learns nothing, right or wrong.
    Locked { until: UnixMillis },
}

impl PairingPolicy {
    pub fn gate(&self, state: PairState, now: UnixMillis) -> PairGate {
        match state.locked_until {
            Some(until) if now < until => PairGate::Locked { until },
            _ => PairGate::Open,
        }
    }

    /// The state after one more wrong token. A lockout that has expired starts a fresh count.
    pub fn on_failure(&self, state: PairState, now: UnixMillis) -> PairState {
        let expired = state.locked_until.is_some_and(|until| now >= until);
        let failures = if expired {
            1
        } else {
            state.failures.saturating_add(1)
        };
        let locked_until = if failures >= self.max_failures {
            Some(now.plus_ms(self.lockout_ms))
        } else {
            None
        };
        PairState {
            failures,
            locked_until,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifth_wrong_token_locks_for_fifteen_minutes() {
        let p = PairingPolicy::default();
        let mut s = PairState::default();
        for i in 0..4 {
            s = p.on_failure(s, UnixMillis(i));
            assert_eq!(p.gate(s, UnixMillis(i)), PairGate::Open);
        }
        s = p.on_failure(s, UnixMillis(10));
        let until = UnixMillis(10 + 15 * 60_000);
        assert_eq!(p.gate(s, UnixMillis(11)), PairGate::Locked { until });
        assert_eq!(
            p.gate(s, UnixMillis(until.0 - 1)),
            PairGate::Locked { until }
        );
        assert_eq!(p.gate(s, until), PairGate::Open);
    }

    #[test]
    fn after_lockout_expires_one_failure_does_not_relock() {
        let p = PairingPolicy::default();
        let mut s = PairState::default();
        for i in 0..5 {
            s = p.on_failure(s, UnixMillis(i));
        }
        let after = UnixMillis(16 * 60_000);
        s = p.on_failure(s, after);
        assert_eq!(s.failures, 1);
        assert_eq!(p.gate(s, after), PairGate::Open);
    }
}
