//! Admission of inbound connections: how many a listener holds before they
//! authenticate, and which one it sheds when a cap is reached.
//!
//! Every accepted connection is *pending* until it authenticates (a
//! session-1 request with our access key checks out, or its session 2 is
//! established). A listener holds at most [`Limits::pending`] pending
//! connections, and at most [`Limits::per_source`] from one source (an
//! IPv4 address, an IPv6 /64; Tor streams have no source and only the
//! first cap applies). A new connection that would exceed a cap is
//! admitted, and the *oldest* pending connection of its source (per-source
//! cap) or of the listener (global cap) is closed at once. When the
//! process runs out of descriptors, the oldest pending connection is shed
//! too, so that accepting goes on. Connections that authenticated (calls
//! and their paths) are never counted nor shed.
//!
//! This is load shedding, not a verdict: which connection is shed depends
//! only on arrival order, never on what it sent, and a shed connection is
//! closed at once instead of at the handshake timeout plus the probe delay
//! (an attacker who floods learns that something listens, which the flood
//! itself tells). Connections that are not shed keep the one-close-time
//! rule of the gate ([`crate::Gate`]).
//!
//! Its `Registry` is sans-IO: it keeps the pending connections in accept
//! order and says which to close; the module's listeners close them. Its
//! numbers, with their reasons, are in [`tunables`].

pub mod tunables;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

/// The caps on a listener's pending connections (defaults: [`tunables`]).
/// A cap of 0 counts as 1: the new connection is always admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Pending connections from all sources ([`tunables::MAX_PENDING`]).
    pub pending: usize,
    /// Pending connections from one source
    /// ([`tunables::MAX_PENDING_PER_SOURCE`]).
    pub per_source: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            pending: tunables::MAX_PENDING,
            per_source: tunables::MAX_PENDING_PER_SOURCE,
        }
    }
}

/// Where a connection comes from, as the per-source cap counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Source {
    /// An IPv4 address (IPv4-mapped IPv6 addresses included).
    V4(u32),
    /// The first [`tunables::IPV6_SOURCE_PREFIX`] bits of an IPv6 address.
    V6(u128),
}

impl Source {
    /// The source of a connection from `ip`.
    pub(crate) fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(a) => Self::V4(a.into()),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(a) => Self::V4(a.into()),
                None => {
                    let drop = 128 - tunables::IPV6_SOURCE_PREFIX.min(128);
                    Self::V6(u128::from(a).checked_shr(drop).unwrap_or(0))
                }
            },
        }
    }
}

/// Why a pending connection was shed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shed {
    /// Its source reached [`Limits::per_source`].
    PerSource,
    /// The listener reached [`Limits::pending`].
    Global,
    /// The process ran out of descriptors.
    Descriptors,
}

/// A pending connection.
struct Entry<H> {
    source: Option<Source>,
    handle: H,
}

/// A listener's pending connections, oldest first, each with the handle
/// that closes it (`H`: the module's shed signal; anything in tests).
pub(crate) struct Registry<H> {
    limits: Limits,
    /// Accept order: the key is a counter, so the oldest comes first
    /// without a clock.
    next: u64,
    pending: BTreeMap<u64, Entry<H>>,
    by_source: HashMap<Source, BTreeSet<u64>>,
    /// Shed and not yet closed: their descriptors are about to be freed.
    closing: usize,
}

impl<H> Registry<H> {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            limits,
            next: 0,
            pending: BTreeMap::new(),
            by_source: HashMap::new(),
            closing: 0,
        }
    }

    /// Pending connections.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.pending.len()
    }

    /// Pending connections from `source`.
    #[cfg(test)]
    fn count_from(&self, source: Source) -> usize {
        self.by_source.get(&source).map_or(0, BTreeSet::len)
    }

    /// Admits a new connection from `source` (`None`: no address, a Tor
    /// stream). Returns its id and the handles of the connections to close
    /// now, oldest first, so that both caps hold with it admitted.
    pub(crate) fn admit(&mut self, source: Option<Source>, handle: H) -> (u64, Vec<(H, Shed)>) {
        let mut shed = Vec::new();
        if let Some(src) = source {
            let per_source = self.limits.per_source.max(1);
            while self.ids_from(src).len() >= per_source {
                let Some(&oldest) = self.ids_from(src).first() else {
                    break;
                };
                if let Some(h) = self.shed(oldest) {
                    shed.push((h, Shed::PerSource));
                }
            }
        }
        while self.pending.len() >= self.limits.pending.max(1) {
            let Some(&oldest) = self.pending.keys().next() else {
                break;
            };
            if let Some(h) = self.shed(oldest) {
                shed.push((h, Shed::Global));
            }
        }
        let id = self.next;
        self.next += 1;
        self.pending.insert(id, Entry { source, handle });
        if let Some(src) = source {
            self.by_source.entry(src).or_default().insert(id);
        }
        (id, shed)
    }

    fn ids_from(&self, src: Source) -> &BTreeSet<u64> {
        static EMPTY: BTreeSet<u64> = BTreeSet::new();
        self.by_source.get(&src).unwrap_or(&EMPTY)
    }

    /// Connection `id` leaves: it authenticated, or it ended. Returns
    /// whether it was still pending (`false`: it had been shed, and its
    /// descriptor is now free or no longer ours to free).
    pub(crate) fn leave(&mut self, id: u64) -> bool {
        if self.remove(id).is_some() {
            true
        } else {
            self.closing = self.closing.saturating_sub(1);
            false
        }
    }

    /// The process is out of descriptors: sheds the oldest pending
    /// connection, unless one shed before is still closing (its descriptor
    /// is on its way). Returns the handle to close, and whether a
    /// descriptor is on its way at all (`false`: nothing is pending, every
    /// descriptor belongs to calls or the rest of the process).
    pub(crate) fn shed_for_descriptor(&mut self) -> (Option<H>, bool) {
        if self.closing > 0 {
            return (None, true);
        }
        let Some(&oldest) = self.pending.keys().next() else {
            return (None, false);
        };
        let h = self.shed(oldest);
        let coming = h.is_some();
        (h, coming)
    }

    fn shed(&mut self, id: u64) -> Option<H> {
        let e = self.remove(id)?;
        self.closing += 1;
        Some(e.handle)
    }

    fn remove(&mut self, id: u64) -> Option<Entry<H>> {
        let e = self.pending.remove(&id)?;
        if let Some(src) = e.source
            && let Some(ids) = self.by_source.get_mut(&src)
        {
            ids.remove(&id);
            if ids.is_empty() {
                self.by_source.remove(&src);
            }
        }
        Some(e)
    }
}

/// What a module's listeners admitted and shed, for figures, tests and
/// diagnostics ([`crate::ModuleConfig::admission_stats`]). Shared by
/// every listener of the module, counted since it was made.
#[derive(Debug, Default)]
pub struct Stats {
    pending: AtomicU64,
    peak_pending: AtomicU64,
    admitted: AtomicU64,
    shed_per_source: AtomicU64,
    shed_global: AtomicU64,
    shed_descriptors: AtomicU64,
}

/// A reading of [`Stats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counts {
    /// Pending connections now.
    pub pending: u64,
    /// The most pending connections held at once.
    pub peak_pending: u64,
    /// Connections accepted.
    pub admitted: u64,
    /// Shed because their source reached [`Limits::per_source`].
    pub shed_per_source: u64,
    /// Shed because the listener reached [`Limits::pending`].
    pub shed_global: u64,
    /// Shed because the process ran out of descriptors.
    pub shed_descriptors: u64,
}

impl Counts {
    /// Connections shed, for any reason.
    #[must_use]
    pub const fn shed(&self) -> u64 {
        self.shed_per_source + self.shed_global + self.shed_descriptors
    }
}

impl Stats {
    /// The counters now.
    #[must_use]
    pub fn counts(&self) -> Counts {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Counts {
            pending: get(&self.pending),
            peak_pending: get(&self.peak_pending),
            admitted: get(&self.admitted),
            shed_per_source: get(&self.shed_per_source),
            shed_global: get(&self.shed_global),
            shed_descriptors: get(&self.shed_descriptors),
        }
    }

    pub(crate) fn admitted(&self) {
        self.admitted.fetch_add(1, Ordering::Relaxed);
        let now = self.pending.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak_pending.fetch_max(now, Ordering::Relaxed);
    }

    pub(crate) fn shed(&self, why: Shed) {
        let counter = match why {
            Shed::PerSource => &self.shed_per_source,
            Shed::Global => &self.shed_global,
            Shed::Descriptors => &self.shed_descriptors,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.left();
    }

    pub(crate) fn left(&self) {
        let _ = self
            .pending
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some(n.saturating_sub(1))
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn v4(last: u8) -> Option<Source> {
        Some(Source::of(Ipv4Addr::new(192, 0, 2, last).into()))
    }

    fn limits(pending: usize, per_source: usize) -> Limits {
        Limits {
            pending,
            per_source,
        }
    }

    #[test]
    fn defaults_are_the_tunables() {
        assert_eq!(limits(256, 8), Limits::default());
    }

    #[test]
    fn a_source_over_its_cap_sheds_its_own_oldest() {
        let mut r = Registry::new(limits(100, 3));
        let other = r.admit(v4(2), 99).0;
        for i in 0..3 {
            assert!(r.admit(v4(1), i).1.is_empty());
        }
        // The fourth from .1 sheds the first from .1, not .2's older one.
        let (_, shed) = r.admit(v4(1), 3);
        assert_eq!(shed, [(0, Shed::PerSource)]);
        assert_eq!(r.count_from(v4(1).unwrap()), 3);
        assert_eq!(r.len(), 4);
        let (_, shed) = r.admit(v4(1), 4);
        assert_eq!(shed, [(1, Shed::PerSource)]);
        assert!(r.pending.contains_key(&other));
    }

    #[test]
    fn the_global_cap_sheds_the_oldest_of_all() {
        let mut r = Registry::new(limits(3, 8));
        let ids: Vec<_> = (0..3).map(|i| r.admit(v4(i), i).0).collect();
        let (new, shed) = r.admit(v4(9), 9);
        assert_eq!(shed.iter().map(|s| s.0).collect::<Vec<_>>(), [0]);
        assert_eq!(shed[0].1, Shed::Global);
        assert!(!r.pending.contains_key(&ids[0]));
        assert!(r.pending.contains_key(&new));
        assert_eq!(r.len(), 3);
        // Its source is forgotten with it.
        assert_eq!(r.count_from(v4(0).unwrap()), 0);
        assert!(!r.by_source.contains_key(&v4(0).unwrap()));
    }

    #[test]
    fn tor_streams_have_no_source_and_only_the_global_cap() {
        let mut r = Registry::new(limits(10, 1));
        for i in 0..10 {
            assert!(r.admit(None, i).1.is_empty());
        }
        let (_, shed) = r.admit(None, 10);
        assert_eq!(
            shed.iter().map(|s| (s.0, s.1)).collect::<Vec<_>>(),
            [(0, Shed::Global)]
        );
    }

    #[test]
    fn authenticated_connections_leave_and_are_never_shed() {
        let mut r = Registry::new(limits(2, 8));
        let a = r.admit(v4(1), "call").0;
        assert!(r.leave(a));
        for i in 0..5 {
            let (_, shed) = r.admit(v4(2), "probe");
            assert_eq!(shed.len(), usize::from(i >= 2));
            assert!(shed.iter().all(|s| s.0 == "probe"));
        }
        // A shed connection that leaves later (its task ended, or it
        // authenticated before it saw the signal) was no longer pending.
        let mut r = Registry::new(limits(1, 8));
        let first = r.admit(v4(1), 1).0;
        assert_eq!(r.admit(v4(1), 2).1.len(), 1);
        assert_eq!(r.closing, 1);
        assert!(!r.leave(first));
        assert_eq!(r.closing, 0);
    }

    #[test]
    fn out_of_descriptors_sheds_one_at_a_time() {
        let mut r = Registry::new(limits(100, 100));
        assert_eq!(r.shed_for_descriptor(), (None, false));
        let first = r.admit(v4(1), 'a').0;
        r.admit(v4(2), 'b');
        assert_eq!(r.shed_for_descriptor(), (Some('a'), true));
        // Until 'a' has closed, nothing more is shed.
        assert_eq!(r.shed_for_descriptor(), (None, true));
        assert_eq!(r.len(), 1);
        assert!(!r.leave(first));
        assert_eq!(r.shed_for_descriptor(), (Some('b'), true));
    }

    #[test]
    fn ipv6_sources_are_counted_per_64() {
        let a: Ipv6Addr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: Ipv6Addr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: Ipv6Addr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(Source::of(a.into()), Source::of(b.into()));
        assert_ne!(Source::of(a.into()), Source::of(c.into()));
        let mapped: Ipv6Addr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(Source::of(mapped.into()), v4(7).unwrap());
    }

    #[test]
    fn zero_caps_still_admit() {
        let mut r = Registry::new(limits(0, 0));
        r.admit(v4(1), 1);
        let (_, shed) = r.admit(v4(1), 2);
        assert_eq!(shed.len(), 1);
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn stats_count_and_peak() {
        let s = Stats::default();
        for _ in 0..3 {
            s.admitted();
        }
        s.shed(Shed::Global);
        s.shed(Shed::PerSource);
        s.left();
        s.left();
        let c = s.counts();
        assert_eq!(
            (c.pending, c.peak_pending, c.admitted, c.shed()),
            (0, 3, 3, 2)
        );
    }
}
