//! Login lockout: five failed logins (a wrong password or a wrong code) lock the account for
//! fifteen minutes, whoever sends them. Per account rather than per address, since the admin
//! API sits behind proxies and attackers rotate addresses; the cost — an attacker can lock an
//! operator out for a while — is the accepted price of stopping online guessing.

use warden_types::UnixMillis;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLockout {
    pub max_failures: u32,
    pub lock_ms: i64,
}

impl Default for LoginLockout {
    fn default() -> Self {
        Self {
            max_failures: 5,
            lock_ms: 15 * 60_000,
        }
    }
}

/// Stored per account. A successful login stores `LoginFailures::default()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoginFailures {
    pub count: u32,
    pub locked_until: Option<UnixMillis>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockGate {
    /// The credentials may be checked.
    Open,
    /// Do not even check the password: a locked account answers the same, right or wrong, so the
    /// lock cannot be used as an oracle.
    Locked { until: UnixMillis },
}

impl LoginLockout {
    pub fn gate(&self, s: LoginFailures, now: UnixMillis) -> LockGate {
        match s.locked_until {
            Some(until) if now < until => LockGate::Locked { until },
            _ => LockGate::Open,
        }
    }

    /// After one more failure; returns the new state and whether this failure locked it.
    /// An expired lock starts a fresh count, so one failure after the lock is not a new lock.
    pub fn on_failure(&self, s: LoginFailures, now: UnixMillis) -> (LoginFailures, bool) {
        let was_locked = matches!(self.gate(s, now), LockGate::Locked { .. });
        let expired = s.locked_until.is_some_and(|until| now >= until);
        let count = if expired {
            1
        } else {
            s.count.saturating_add(1)
        };
        let locked_until = if was_locked {
            // A failure reported while locked (a race between two requests) does not extend it.
            s.locked_until
        } else if count >= self.max_failures {
            Some(now.plus_ms(self.lock_ms))
        } else {
            None
        };
        let locked_now = !was_locked && locked_until.is_some();
        (
            LoginFailures {
                count,
                locked_until,
            },
            locked_now,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: i64 = 15 * 60_000;

    #[test]
    fn four_failures_leave_the_account_open_the_fifth_locks_it() {
        let l = LoginLockout::default();
        let mut s = LoginFailures::default();
        for i in 0..4 {
            let (next, locked) = l.on_failure(s, UnixMillis(i));
            assert!(!locked);
            s = next;
            assert_eq!(l.gate(s, UnixMillis(i)), LockGate::Open);
        }
        let (s, locked) = l.on_failure(s, UnixMillis(100));
        assert!(locked);
        assert_eq!(
            l.gate(s, UnixMillis(100)),
            LockGate::Locked {
                until: UnixMillis(100 + LOCK)
            }
        );
    }

    #[test]
    fn the_lock_holds_until_fifteen_minutes_to_the_millisecond() {
        let l = LoginLockout::default();
        let mut s = LoginFailures::default();
        for _ in 0..5 {
            s = l.on_failure(s, UnixMillis(0)).0;
        }
        let until = UnixMillis(LOCK);
        assert_eq!(
            l.gate(s, UnixMillis(14 * 60_000 + 59_999)),
            LockGate::Locked { until }
        );
        assert_eq!(l.gate(s, UnixMillis(15 * 60_000)), LockGate::Open);
    }

    #[test]
    fn after_the_lock_expires_one_failure_does_not_relock() {
        let l = LoginLockout::default();
        let mut s = LoginFailures::default();
        for _ in 0..5 {
            s = l.on_failure(s, UnixMillis(0)).0;
        }
        let (s, locked) = l.on_failure(s, UnixMillis(LOCK));
        assert!(!locked);
        assert_eq!(s.count, 1);
        assert_eq!(l.gate(s, UnixMillis(LOCK)), LockGate::Open);
    }

    #[test]
    fn failures_reported_while_locked_do_not_extend_the_lock() {
        let l = LoginLockout::default();
        let mut s = LoginFailures::default();
        for _ in 0..5 {
            s = l.on_failure(s, UnixMillis(0)).0;
        }
        let (after, locked) = l.on_failure(s, UnixMillis(60_000));
        assert!(!locked);
        assert_eq!(after.locked_until, Some(UnixMillis(LOCK)));
    }

    #[test]
    fn a_success_resets_to_the_default_state() {
        let l = LoginLockout::default();
        let mut s = LoginFailures::default();
        for _ in 0..4 {
            s = l.on_failure(s, UnixMillis(0)).0;
        }
        // The caller stores the default after a success; a new failure then starts at one.
        s = LoginFailures::default();
        let (s, locked) = l.on_failure(s, UnixMillis(1));
        assert_eq!((s.count, locked), (1, false));
    }
}
