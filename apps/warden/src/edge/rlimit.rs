//! The descriptor budget: how many client connections the process can hold without starving
//! the database, the logs and the outbox of file descriptors.
//!
//! When `accept` fails with `EMFILE` the server cannot take a single request, and SQLite cannot
//! open its journal; so the connection cap sits below `RLIMIT_NOFILE` with a fixed reserve.

use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

/// Descriptors kept for everything that is not a client connection: the database pool (SQLite
/// opens the file, its WAL and shared memory per connection), the outbox's and the advisor's
/// HTTP clients, stdio, the runtime's epoll and signal descriptors, the listener, the health
/// budget (`super::HEALTH_BUDGET`) and connections made to close that have not closed yet
/// (`super::caps::CLOSING_SLACK`).
pub const RESERVED_DESCRIPTORS: u64 = 128;

/// Beyond this the cap is a memory question, not a descriptor one: each connection may hold
/// a read buffer of up to `super::MAX_BUF_BYTES`.
pub const MAX_DEFAULT_CONNECTIONS: usize = 4096;

/// Where the soft limit came from, for the start-up log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Descriptors {
    /// The soft `RLIMIT_NOFILE` in force after [`raise_soft_limit`]; `None` when unlimited or
    /// unreadable.
    pub soft: Option<u64>,
    /// The soft limit before it was raised, when it was.
    pub raised_from: Option<u64>,
}

/// Raises the soft descriptor limit to the hard one when allowed (an unprivileged process may),
/// and reports the limit in force.
pub fn raise_soft_limit() -> Descriptors {
    let Rlimit { current, maximum } = getrlimit(Resource::Nofile);
    let Some(soft) = current else {
        return Descriptors {
            soft: None,
            raised_from: None,
        };
    };
    // An unlimited hard limit cannot be the soft one on Linux (it must stay under `nr_open`).
    let target = maximum.unwrap_or(1 << 20);
    if target > soft
        && setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(target),
                maximum,
            },
        )
        .is_ok()
    {
        return Descriptors {
            soft: Some(target),
            raised_from: Some(soft),
        };
    }
    Descriptors {
        soft: Some(soft),
        raised_from: None,
    }
}

/// The most connections `soft` descriptors allow after the reserve (at least one).
pub fn connection_budget(soft: Option<u64>) -> usize {
    let Some(soft) = soft else {
        return MAX_DEFAULT_CONNECTIONS;
    };
    usize::try_from(soft.saturating_sub(RESERVED_DESCRIPTORS))
        .unwrap_or(usize::MAX)
        .max(1)
}

/// The cap in force: the configured one, or the budget's default, never above the budget.
pub fn connection_cap(configured: Option<usize>, budget: usize) -> usize {
    match configured {
        Some(n) => n.min(budget),
        None => budget.min(MAX_DEFAULT_CONNECTIONS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_stays_below_the_descriptor_limit() {
        assert_eq!(connection_budget(Some(1024)), 1024 - 128);
        assert_eq!(connection_cap(None, connection_budget(Some(1024))), 896);
        // A configured cap above what the descriptors allow is lowered, not trusted.
        assert_eq!(
            connection_cap(Some(5000), connection_budget(Some(1024))),
            896
        );
        assert_eq!(
            connection_cap(Some(100), connection_budget(Some(1024))),
            100
        );
        // A huge limit is a memory question: the default stays bounded.
        assert_eq!(connection_cap(None, connection_budget(Some(1 << 20))), 4096);
        // A tiny limit still serves someone.
        assert_eq!(connection_budget(Some(64)), 1);
    }

    #[test]
    fn raising_never_lowers_the_limit() {
        let before = getrlimit(Resource::Nofile).current;
        let after = raise_soft_limit();
        if let (Some(before), Some(after)) = (before, after.soft) {
            assert!(after >= before);
        }
    }
}
