//! Who may hold a connection: a global cap below the descriptor limit, a cap per client
//! address, and a small budget kept for health probes.
//!
//! At a cap, the connection that has waited longest for a request (idle, or still sending its
//! head) is closed to make room, as nginx reuses idle keep-alive connections: an attacker's
//! idle sockets cannot crowd out a provider that sends its request at once. Connections with a
//! request in flight are never closed for another. When every held connection is busy, a new
//! one is closed at once, unless the health budget has room: there it may ask `/healthz` or
//! `/readyz` (anything else is 503), so probes still answer while the caps shed load.
//!
//! A connection chosen to make room keeps its descriptor until its task runs and drops it, which
//! on a busy machine can be after the accept loop has taken many more: such connections are
//! counted as closing until their ticket drops, and the accept loop waits while
//! [`CLOSING_SLACK`] are pending ([`Registry::wait_for_closes`]), so the descriptors in use
//! stay under the cap plus that slack (inside the reserve).

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio_util::sync::CancellationToken;

use super::conn::{ConnState, Epoch};

/// The unit a per-client cap counts: an IPv4 address, or an IPv6 /64 (one subscriber's
/// network; a single host can use any address in it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl ClientKey {
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(IpAddr::V4(v4)),
                None => {
                    let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                    Self(IpAddr::V6(prefix.into()))
                }
            },
        }
    }
}

/// How a new connection was admitted.
#[derive(Debug)]
pub enum Admission {
    /// Served normally.
    Full(Ticket),
    /// Served from the health budget: probes only, one request.
    Health(Ticket),
    /// Over the caps with nothing to make room: close it now.
    Refused(Refused),
}

/// Why a connection was refused, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    PerClient,
    Global,
}

#[derive(Debug)]
struct Entry {
    client: ClientKey,
    state: Arc<ConnState>,
    close: CancellationToken,
}

/// Connections chosen to make room whose descriptors may still be open; at this many the
/// accept loop waits for some to close before it takes another. Part of
/// [`super::rlimit::RESERVED_DESCRIPTORS`].
pub const CLOSING_SLACK: usize = 48;

#[derive(Debug, Default)]
struct Held {
    next_id: u64,
    conns: HashMap<u64, Entry>,
    per_client: HashMap<ClientKey, usize>,
    health: usize,
    /// Chosen to make room, their tickets not dropped yet.
    closing: HashSet<u64>,
}

impl Held {
    /// Frees a place for good: its ticket dropped, so its descriptor is closed. True when it
    /// was one of the closing.
    fn release(&mut self, id: u64) -> bool {
        self.remove(id);
        self.closing.remove(&id)
    }

    fn remove(&mut self, id: u64) -> Option<Entry> {
        let entry = self.conns.remove(&id)?;
        if let Some(n) = self.per_client.get_mut(&entry.client) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_client.remove(&entry.client);
            }
        }
        Some(entry)
    }

    /// Closes the longest waiter (of `client` only, when given); false if all are busy.
    fn evict_longest_waiter(&mut self, client: Option<ClientKey>) -> bool {
        let victim = self
            .conns
            .iter()
            .filter(|(_, e)| client.is_none_or(|c| e.client == c))
            .filter_map(|(id, e)| e.state.waiting_since().map(|since| (since, *id)))
            .min();
        match victim.and_then(|(_, id)| self.remove(id).map(|e| (id, e))) {
            Some((id, entry)) => {
                entry.close.cancel();
                self.closing.insert(id);
                true
            }
            None => false,
        }
    }
}

/// The connections held, shared by the accept loop and every connection task.
#[derive(Debug)]
pub struct Registry {
    held: Mutex<Held>,
    /// Signalled when a closing connection's ticket drops.
    closed: tokio::sync::Notify,
    max_total: usize,
    max_per_client: usize,
    health_budget: usize,
    epoch: Epoch,
}

impl Registry {
    pub fn new(max_total: usize, max_per_client: usize, health_budget: usize) -> Arc<Self> {
        Arc::new(Self {
            held: Mutex::new(Held::default()),
            closed: tokio::sync::Notify::new(),
            max_total,
            max_per_client,
            health_budget,
            epoch: Epoch::new(),
        })
    }

    /// Connections held now (not counting the health budget).
    pub fn held(&self) -> usize {
        self.lock().conns.len()
    }

    /// Connections made to close whose tickets have not dropped yet.
    pub fn closing(&self) -> usize {
        self.lock().closing.len()
    }

    /// Returns once fewer than [`CLOSING_SLACK`] connections are closing: the tasks of those
    /// chosen to make room have run and let go of their descriptors.
    pub async fn wait_for_closes(&self) {
        while self.closing() >= CLOSING_SLACK {
            tokio::select! {
                () = self.closed.notified() => {}
                () = tokio::time::sleep(std::time::Duration::from_millis(5)) => {}
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        // Every update keeps the maps consistent before it can panic; a poisoned lock is usable.
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Decides whether a new connection from `ip` is served, closing a waiting one if needed.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Admission {
        let client = ClientKey::of(ip);
        let mut held = self.lock();
        let from_client = held.per_client.get(&client).copied().unwrap_or(0);
        if from_client >= self.max_per_client && !held.evict_longest_waiter(Some(client)) {
            return Admission::Refused(Refused::PerClient);
        }
        if held.conns.len() >= self.max_total && !held.evict_longest_waiter(None) {
            if held.health < self.health_budget {
                held.health += 1;
                return Admission::Health(Ticket {
                    registry: self.clone(),
                    kind: TicketKind::Health,
                    state: Arc::new(ConnState::new(self.epoch)),
                    close: CancellationToken::new(),
                });
            }
            return Admission::Refused(Refused::Global);
        }
        let id = held.next_id;
        held.next_id += 1;
        let state = Arc::new(ConnState::new(self.epoch));
        let close = CancellationToken::new();
        held.conns.insert(
            id,
            Entry {
                client,
                state: state.clone(),
                close: close.clone(),
            },
        );
        *held.per_client.entry(client).or_insert(0) += 1;
        Admission::Full(Ticket {
            registry: self.clone(),
            kind: TicketKind::Full(id),
            state,
            close,
        })
    }
}

#[derive(Debug)]
enum TicketKind {
    Full(u64),
    Health,
}

/// A held connection's place; dropping it frees the place.
#[derive(Debug)]
pub struct Ticket {
    registry: Arc<Registry>,
    kind: TicketKind,
    pub state: Arc<ConnState>,
    /// Cancelled when the connection was chosen to make room for another.
    pub close: CancellationToken,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut held = self.registry.lock();
        match self.kind {
            TicketKind::Full(id) => {
                if held.release(id) {
                    self.registry.closed.notify_one();
                }
            }
            TicketKind::Health => held.health = held.health.saturating_sub(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
    }

    fn full(a: Admission) -> Ticket {
        match a {
            Admission::Full(t) => t,
            other => panic!("expected a full admission, got {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn at_the_per_client_cap_the_clients_own_longest_waiter_makes_room() {
        let reg = Registry::new(100, 2, 0);
        let first = full(reg.admit(ip(1)));
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let second = full(reg.admit(ip(1)));
        let other = full(reg.admit(ip(2)));
        let third = full(reg.admit(ip(1)));
        assert!(first.close.is_cancelled(), "the oldest of that client goes");
        assert!(!second.close.is_cancelled() && !other.close.is_cancelled());
        // With both of its places busy, the client's next connection is refused at once.
        for t in [&second, &third] {
            crate::edge::conn::tests_support::start_request(&t.state);
        }
        assert!(matches!(
            reg.admit(ip(1)),
            Admission::Refused(Refused::PerClient)
        ));
        drop(first);
        assert_eq!(reg.held(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn at_the_global_cap_busy_connections_stay_and_probes_get_the_health_budget() {
        let reg = Registry::new(2, 10, 1);
        let a = full(reg.admit(ip(1)));
        let b = full(reg.admit(ip(2)));
        crate::edge::conn::tests_support::start_request(&a.state);
        // b waits: it makes room.
        let c = full(reg.admit(ip(3)));
        assert!(b.close.is_cancelled() && !a.close.is_cancelled());
        crate::edge::conn::tests_support::start_request(&c.state);
        let probe = reg.admit(ip(4));
        assert!(matches!(probe, Admission::Health(_)), "{probe:?}");
        assert!(matches!(
            reg.admit(ip(5)),
            Admission::Refused(Refused::Global)
        ));
        drop(probe);
        assert!(matches!(reg.admit(ip(5)), Admission::Health(_)));
        drop((a, b, c));
        assert_eq!(reg.held(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn connections_made_to_close_count_until_they_have_closed() {
        let reg = Registry::new(2, 1_000, 0);
        let mut tickets = vec![full(reg.admit(ip(1))), full(reg.admit(ip(2)))];
        // Each arrival at the cap makes the oldest waiter close; none has closed yet.
        for n in 0..CLOSING_SLACK {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            let last = u8::try_from(3 + n % 200).unwrap();
            tickets.push(full(reg.admit(ip(last))));
        }
        assert_eq!(
            tickets.iter().filter(|t| t.close.is_cancelled()).count(),
            CLOSING_SLACK
        );
        // With that many descriptors still open, the accept loop waits…
        assert_eq!(reg.closing(), CLOSING_SLACK);
        let waited =
            tokio::time::timeout(std::time::Duration::from_millis(50), reg.wait_for_closes()).await;
        assert!(waited.is_err(), "nothing has closed yet");
        // …until the chosen ones have dropped their tickets.
        tickets.retain(|t| !t.close.is_cancelled());
        assert_eq!(reg.closing(), 0);
        reg.wait_for_closes().await;
        assert_eq!(reg.held(), 2);
    }

    #[test]
    fn ipv6_clients_are_counted_per_64_and_mapped_ipv4_as_ipv4() {
        let a: Ipv6Addr = "2001:db8:1:2::1".parse().unwrap();
        let b: Ipv6Addr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: Ipv6Addr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ClientKey::of(a.into()), ClientKey::of(b.into()));
        assert_ne!(ClientKey::of(a.into()), ClientKey::of(c.into()));
        let mapped = Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped();
        assert_eq!(ClientKey::of(mapped.into()), ClientKey::of(ip(7)));
    }
}
