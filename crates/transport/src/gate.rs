//! The listener's sans-IO gate: tells session 1 from session 2 on each
//! accepted connection, keeps pending session-1 secrets, replay caches and
//! the effort policy, and turns every probe into silence and a close after
//! a random delay.

use core::time::Duration;
use std::time::Instant;

use rand_core::CryptoRng;
use susurro_crypto::{Representative, Secret, ct_eq};

use crate::config::Config;
use crate::error::Error;
use crate::frame::{Kind, MAX_BODY, Opener};
use crate::pow::Puzzle;
use crate::replay::ReplayCache;
use crate::session1::{MARK_LEN, REP_LEN, build_reply, parse_request};
use crate::session2::{CallRole, Channel, ID_LEN, Incoming, SessionKeys, accept_hello};

#[derive(Debug)]
struct Pending {
    keys: SessionKeys,
    effort: u8,
    expires: Instant,
    tag: Option<u32>,
}

/// One accepted connection, before it is known what it is.
#[derive(Debug, Default)]
pub struct Inbound {
    buf: Vec<u8>,
    state: InState,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum InState {
    #[default]
    Reading,
    Request(Representative),
    Finished,
}

/// What to do with a connection after new bytes.
#[derive(Debug)]
pub enum InboundStep {
    /// Keep reading.
    NeedMore,
    /// A probe, a replay or garbage: send nothing and close after `after`.
    Drop {
        /// Random delay before closing.
        after: Duration,
    },
    /// A valid session-1 request: get `K` for this representative and call
    /// [`Gate::session1_reply`].
    Session1Request {
        /// The caller's representative `R_a`.
        remote: Representative,
        /// Its marker `M_a`, now spent: a runtime that keeps spent markers
        /// across restarts stores it before answering.
        mark: [u8; ID_LEN],
    },
    /// A valid session 2: send `reply`, then use `channel`.
    Established {
        /// The welcome frame.
        reply: Vec<u8>,
        /// The channel (boxed: it is large).
        channel: Box<Channel>,
        /// Anything the caller sent right after its hello.
        incoming: Vec<Incoming>,
        /// The tag given to [`Gate::session1_reply_tagged`] (the module's
        /// call id), `None` for [`Gate::session1_reply`].
        tag: Option<u32>,
    },
}

/// The listener's state across connections.
#[derive(Debug)]
pub struct Gate {
    cfg: Config,
    s1_replay: ReplayCache,
    s2_replay: ReplayCache,
    pending: Vec<Pending>,
    /// Extra paths of keyed calls: no expiry, removed by [`Gate::forget`].
    extra: Vec<Pending>,
}

/// Extra paths remembered at most (oldest dropped).
const MAX_EXTRA: usize = 1024;

impl Gate {
    /// A gate with this configuration.
    #[must_use]
    pub fn new(cfg: Config) -> Self {
        Self {
            s1_replay: ReplayCache::new(cfg.replay_capacity),
            s2_replay: ReplayCache::new(cfg.replay_capacity),
            pending: Vec::new(),
            extra: Vec::new(),
            cfg,
        }
    }

    /// Session-1 markers spent by an earlier process (oldest first): their
    /// requests are replays here too.
    pub fn preload_spent(&mut self, marks: impl IntoIterator<Item = [u8; ID_LEN]>) {
        for m in marks {
            self.s1_replay.insert(m);
        }
    }

    /// The configuration.
    #[must_use]
    pub const fn config(&self) -> &Config {
        &self.cfg
    }

    /// Session 2s currently awaited.
    #[must_use]
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Effort the next caller will be asked for.
    #[must_use]
    pub fn current_effort(&self) -> u8 {
        self.cfg.effort.effort_for_load(self.pending.len())
    }

    /// State for a newly accepted connection.
    #[must_use]
    pub fn accept(&self) -> Inbound {
        Inbound::default()
    }

    fn max_first_message(&self) -> usize {
        let s1 = REP_LEN + self.cfg.s1_pad_max + 2 * MARK_LEN;
        let s2 = ID_LEN + 2 + MAX_BODY + 16;
        s1.max(s2)
    }

    fn drop_conn<R: CryptoRng + ?Sized>(&self, conn: &mut Inbound, rng: &mut R) -> InboundStep {
        conn.state = InState::Finished;
        conn.buf = Vec::new();
        InboundStep::Drop {
            after: self.cfg.close_delay(rng),
        }
    }

    /// A connection that stayed silent or incomplete too long: close after
    /// a random delay.
    pub fn on_timeout<R: CryptoRng + ?Sized>(&self, conn: &mut Inbound, rng: &mut R) -> Duration {
        conn.state = InState::Finished;
        self.cfg.close_delay(rng)
    }

    /// The peer finished sending (EOF). A session-1 caller half-closes after
    /// its request, so an incomplete message is now known to be garbage:
    /// close after a random delay, silently.
    pub fn on_eof<R: CryptoRng + ?Sized>(&self, conn: &mut Inbound, rng: &mut R) -> InboundStep {
        self.drop_conn(conn, rng)
    }

    /// Feeds bytes of an accepted connection.
    pub fn on_data<R: CryptoRng + ?Sized>(
        &mut self,
        conn: &mut Inbound,
        data: &[u8],
        now: Instant,
        rng: &mut R,
    ) -> InboundStep {
        if conn.state != InState::Reading {
            return self.drop_conn(conn, rng);
        }
        conn.buf.extend_from_slice(data);
        if conn.buf.len() > self.max_first_message() {
            return self.drop_conn(conn, rng);
        }
        self.pending.retain(|p| p.expires > now);
        let Some(id) = conn.buf.get(..ID_LEN) else {
            return InboundStep::NeedMore;
        };
        let mut id16 = [0u8; ID_LEN];
        id16.copy_from_slice(id);
        if self.s2_replay.contains(&id16) {
            return self.drop_conn(conn, rng);
        }
        if let Some(i) = self.pending.iter().position(|p| ct_eq(&p.keys.id, &id16)) {
            return self.session2(conn, false, i, rng);
        }
        if let Some(i) = self.extra.iter().position(|p| ct_eq(&p.keys.id, &id16)) {
            return self.session2(conn, true, i, rng);
        }
        match parse_request(&conn.buf, &self.cfg.access_key, self.cfg.s1_pad_max) {
            Ok(None) => InboundStep::NeedMore,
            Err(_) => self.drop_conn(conn, rng),
            Ok(Some((remote, mark))) => {
                if !self.s1_replay.insert(mark) {
                    return self.drop_conn(conn, rng);
                }
                conn.state = InState::Request(remote);
                InboundStep::Session1Request { remote, mark }
            }
        }
    }

    fn session2<R: CryptoRng + ?Sized>(
        &mut self,
        conn: &mut Inbound,
        extra: bool,
        index: usize,
        rng: &mut R,
    ) -> InboundStep {
        let list = if extra { &self.extra } else { &self.pending };
        let Some(p) = list.get(index) else {
            return self.drop_conn(conn, rng);
        };
        let mut opener = Opener::new(&p.keys.i2r);
        let (n, frame) = match opener.open(&conn.buf[ID_LEN..]) {
            Ok(None) => return InboundStep::NeedMore,
            Ok(Some(x)) => x,
            Err(_) => return self.drop_conn(conn, rng),
        };
        let nonce: Option<[u8; 8]> = frame.data.as_slice().try_into().ok();
        let ok = frame.kind == Kind::Hello
            && nonce.is_some_and(|n| {
                Puzzle::new(&p.keys.challenge, p.effort).verify(u64::from_le_bytes(n))
            });
        let p = if extra {
            self.extra.remove(index)
        } else {
            self.pending.remove(index)
        };
        if !ok {
            // Whoever knows K but skipped the work loses the session too.
            self.s2_replay.insert(p.keys.id);
            return self.drop_conn(conn, rng);
        }
        self.s2_replay.insert(p.keys.id);
        let rest = conn.buf.split_off(ID_LEN + n);
        match accept_hello(&self.cfg, &p.keys, opener, &rest, rng) {
            Ok((channel, reply, incoming)) => {
                conn.state = InState::Finished;
                conn.buf = Vec::new();
                InboundStep::Established {
                    reply,
                    channel: Box::new(channel),
                    incoming,
                    tag: p.tag,
                }
            }
            Err(_) => self.drop_conn(conn, rng),
        }
    }

    /// Answers a session-1 request with our representative and `K`
    /// (`K` from the cryptor, or [`crate::ObfuscationKeys::derive`] with
    /// caller `remote`, callee `local`). Registers the pending session 2 at
    /// the current effort. Send the reply, then close.
    ///
    /// The request may have been parsed long before (the module asks the
    /// cryptor for `local` and `K` in between): `conn` keeps it.
    ///
    /// # Errors
    /// [`Error::State`] if `conn` has no request waiting.
    pub fn session1_reply<R: CryptoRng + ?Sized>(
        &mut self,
        conn: &mut Inbound,
        local: Representative,
        secret: &Secret<32>,
        now: Instant,
        rng: &mut R,
    ) -> Result<Vec<u8>, Error> {
        self.reply(conn, local, secret, None, now, rng)
    }

    /// [`Gate::session1_reply`] with a tag (the module's call id) that the
    /// matching session 2 reports in [`InboundStep::Established`] and that
    /// [`Gate::forget`] cancels.
    ///
    /// # Errors
    /// [`Error::State`] if `conn` has no request waiting.
    pub fn session1_reply_tagged<R: CryptoRng + ?Sized>(
        &mut self,
        conn: &mut Inbound,
        local: Representative,
        secret: &Secret<32>,
        tag: u32,
        now: Instant,
        rng: &mut R,
    ) -> Result<Vec<u8>, Error> {
        self.reply(conn, local, secret, Some(tag), now, rng)
    }

    /// Cancels the pending session 2 and the extra paths registered with
    /// `tag`: a later session 2 for them is treated as a probe. Returns
    /// whether any was pending.
    pub fn forget(&mut self, tag: u32) -> bool {
        let mut found = false;
        for list in [&mut self.pending, &mut self.extra] {
            while let Some(i) = list.iter().position(|p| p.tag == Some(tag)) {
                let p = list.remove(i);
                self.s2_replay.insert(p.keys.id);
                found = true;
            }
        }
        found
    }

    /// Expects extra paths `1..=count` of the call `tag`, keyed with its
    /// `Kt` and dialled by the end of the call with role `dialer` — our
    /// peer's role, since the peer dials the paths that arrive here
    /// ([`crate::session2::extra_path_outcome`] with this gate's access
    /// key). Each arrives as [`InboundStep::Established`] with the tag;
    /// they never expire: [`Gate::forget`] them when the call ends.
    pub fn expect_extra_paths(
        &mut self,
        kt: &Secret<32>,
        dialer: CallRole,
        tag: u32,
        count: u32,
        now: Instant,
    ) {
        for n in 1..=count {
            let o = crate::session2::extra_path_outcome(kt, &self.cfg.access_key, dialer, n);
            self.extra.push(Pending {
                keys: SessionKeys::derive(&o.secret, &self.cfg.access_key),
                effort: 0,
                // Unused: extra paths do not expire.
                expires: now,
                tag: Some(tag),
            });
        }
        while self.extra.len() > MAX_EXTRA {
            self.extra.remove(0);
        }
    }

    fn reply<R: CryptoRng + ?Sized>(
        &mut self,
        conn: &mut Inbound,
        local: Representative,
        secret: &Secret<32>,
        tag: Option<u32>,
        now: Instant,
        rng: &mut R,
    ) -> Result<Vec<u8>, Error> {
        let InState::Request(r_a) = conn.state else {
            return Err(Error::State);
        };
        conn.state = InState::Finished;
        conn.buf = Vec::new();
        let effort = self.current_effort();
        while self.pending.len() >= self.cfg.max_pending.max(1) {
            self.pending.remove(0);
        }
        self.pending.push(Pending {
            keys: SessionKeys::derive(secret, &self.cfg.access_key),
            effort,
            expires: now + self.cfg.pending_ttl,
            tag,
        });
        Ok(build_reply(
            &self.cfg.access_key,
            &r_a,
            &local,
            secret,
            effort,
            self.cfg.s1_pad_max,
            rng,
        ))
    }
}
