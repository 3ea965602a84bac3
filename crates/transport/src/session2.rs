//! Session 2: the caller's hello (session id, proof of work), the listener's
//! welcome, then the channel; `rekey(Kt)` after the cryptor's IKE.
//!
//! ```text
//! i2r.aead[16] i2r.len[32] r2i.aead[16] r2i.len[32] id[16] challenge[32]
//!        = KDF(S2_KEYS, K, access_key)            (in this order)
//! caller -> listener: id || frame(Hello, LE64(pow nonce), pad)
//! listener -> caller: frame(Welcome, "", pad)
//! after rekey: i2r.aead i2r.len r2i.aead r2i.len = KDF(S2_KEYED, Kt, id)
//! extra path n: K_n = KDF(EXTRA_PATH, Kt, access_key, role byte, LE32(n))
//! ```

use rand_core::CryptoRng;
use susurro_crypto::{Secret, kdf_into};

use crate::config::{Config, uniform_len};
use crate::error::Error;
use crate::frame::{DirectionKeys, Frame, Kind, Opener, Sealer};
use crate::labels;
use crate::pow::Puzzle;
use crate::session1::Session1Outcome;

/// Session id length (the first bytes of session 2).
pub const ID_LEN: usize = 16;

/// Bytes a channel buffers while it waits for the local `rekey`.
pub const MAX_BUFFERED: usize = 1 << 20;

/// Everything session 2 derives from `K`.
#[derive(Clone, Debug)]
pub struct SessionKeys {
    /// Session id, sent first (looks random).
    pub id: [u8; ID_LEN],
    /// Caller → listener keys.
    pub i2r: DirectionKeys,
    /// Listener → caller keys.
    pub r2i: DirectionKeys,
    /// Proof-of-work challenge.
    pub challenge: [u8; 32],
}

fn direction_pair(
    label: susurro_crypto::Label,
    key: &[u8],
    ctx: &[&[u8]],
) -> (DirectionKeys, DirectionKeys, [u8; 48]) {
    let mut i2r = DirectionKeys {
        aead: Secret::zero(),
        len: Secret::zero(),
    };
    let mut r2i = i2r.clone();
    let mut extra = [0u8; 48];
    kdf_into(
        label,
        key,
        ctx,
        &mut [
            i2r.aead.as_mut_bytes(),
            i2r.len.as_mut_bytes(),
            r2i.aead.as_mut_bytes(),
            r2i.len.as_mut_bytes(),
            &mut extra,
        ],
    );
    (i2r, r2i, extra)
}

impl SessionKeys {
    /// Derives the session-2 material from `K` and the access key.
    #[must_use]
    pub fn derive(secret: &Secret<32>, access_key: &Secret<32>) -> Self {
        let (i2r, r2i, extra) =
            direction_pair(labels::S2_KEYS, secret.expose(), &[access_key.expose()]);
        let mut id = [0u8; ID_LEN];
        id.copy_from_slice(&extra[..ID_LEN]);
        let mut challenge = [0u8; 32];
        challenge.copy_from_slice(&extra[ID_LEN..]);
        Self {
            id,
            i2r,
            r2i,
            challenge,
        }
    }
}

/// Which end of a call dials an extra path: the call's originator A (the
/// side that placed the call) or its responder B. Bound into `K_n`
/// ([`extra_path_outcome`]) so that the two ends, which may both dial
/// extra paths of one call, never derive the same keys, session id or
/// counters for the same `n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallRole {
    /// The side that placed the call (A): role byte `0x01`.
    Originator,
    /// The side that answered it (B): role byte `0x02`.
    Responder,
}

impl CallRole {
    /// The role byte absorbed into `K_n`.
    #[must_use]
    pub const fn byte(self) -> u8 {
        match self {
            Self::Originator => 0x01,
            Self::Responder => 0x02,
        }
    }

    /// The other end's role.
    #[must_use]
    pub const fn peer(self) -> Self {
        match self {
            Self::Originator => Self::Responder,
            Self::Responder => Self::Originator,
        }
    }
}

/// The session-1 stand-in of extra path `n` (1, 2, …) of a call keyed
/// with `Kt`, dialled by the end of the call with role `dialer`, towards
/// the listener with `access_key`:
///
/// ```text
/// K_n = KDF(EXTRA_PATH, key = Kt, access_key, role byte, LE32(n))[0..32], effort 0
/// ```
///
/// (each of the three context inputs is its own framed part). Feed it to
/// [`Session2Initiator::start`] (dialer, with its own role) and
/// [`crate::Gate::expect_extra_paths`] (listener, with its peer's role):
/// only the two ends of the call know `Kt`, so a listener that answers
/// proves it is the call's peer, and no proof of work is needed. The role
/// keeps a path dialled by A apart from the path with the same `n`
/// dialled by B.
#[must_use]
pub fn extra_path_outcome(
    kt: &Secret<32>,
    access_key: &Secret<32>,
    dialer: CallRole,
    n: u32,
) -> Session1Outcome {
    Session1Outcome {
        secret: susurro_crypto::kdf::<32>(
            labels::EXTRA_PATH,
            kt.expose(),
            &[access_key.expose(), &[dialer.byte()], &n.to_le_bytes()],
        ),
        effort: 0,
    }
}

/// Which end of the channel we are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The caller (dialled).
    Initiator,
    /// The listener.
    Responder,
}

/// What the channel delivers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incoming {
    /// Payload bytes (e.g. an encoded `PeerData` or `Voice`).
    Data(Vec<u8>),
    /// The peer switched to the `Kt` keys; so did our receive side.
    PeerRekeyed,
    /// The peer closed the channel.
    Closed,
}

/// An established session-2 channel.
#[derive(Debug)]
pub struct Channel {
    role: Role,
    id: [u8; ID_LEN],
    sealer: Sealer,
    opener: Opener,
    frame_pad_max: usize,
    buf: Vec<u8>,
    next_recv: Option<DirectionKeys>,
    peer_rekey_waiting: bool,
    send_keyed: bool,
    recv_keyed: bool,
    closed: bool,
}

impl Channel {
    fn new(role: Role, id: [u8; ID_LEN], sealer: Sealer, opener: Opener, cfg: &Config) -> Self {
        Self {
            role,
            id,
            sealer,
            opener,
            frame_pad_max: cfg.frame_pad_max,
            buf: Vec::new(),
            next_recv: None,
            peer_rekey_waiting: false,
            send_keyed: false,
            recv_keyed: false,
            closed: false,
        }
    }

    /// Our role.
    #[must_use]
    pub const fn role(&self) -> Role {
        self.role
    }

    /// Whether both directions run on the `Kt` keys.
    #[must_use]
    pub const fn is_keyed(&self) -> bool {
        self.send_keyed && self.recv_keyed
    }

    fn frame<R: CryptoRng + ?Sized>(
        &mut self,
        kind: Kind,
        data: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        let pad = uniform_len(self.frame_pad_max, rng);
        self.sealer.seal(kind, data, pad, &mut out)?;
        Ok(out)
    }

    /// Seals a payload into one frame.
    ///
    /// # Errors
    /// [`Error::TooLong`] above [`crate::frame::MAX_DATA`].
    pub fn seal<R: CryptoRng + ?Sized>(
        &mut self,
        data: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, Error> {
        self.frame(Kind::Data, data, rng)
    }

    /// A cover frame without payload.
    ///
    /// # Errors
    /// [`Error::Crypto`] if the counter is exhausted.
    pub fn cover<R: CryptoRng + ?Sized>(&mut self, rng: &mut R) -> Result<Vec<u8>, Error> {
        self.frame(Kind::Padding, &[], rng)
    }

    /// A close frame; the channel should be dropped after sending it.
    ///
    /// # Errors
    /// [`Error::Crypto`] if the counter is exhausted.
    pub fn close<R: CryptoRng + ?Sized>(&mut self, rng: &mut R) -> Result<Vec<u8>, Error> {
        self.frame(Kind::Close, &[], rng)
    }

    /// Switches to keys from the IKE's `Kt`: returns the `Rekey` frame to
    /// send (sealed under the old keys; later frames use the new ones) and
    /// anything that could be decoded only with the new receive keys.
    ///
    /// # Errors
    /// [`Error::State`] on a second rekey; decoding errors of buffered data.
    pub fn rekey<R: CryptoRng + ?Sized>(
        &mut self,
        kt: &Secret<32>,
        rng: &mut R,
    ) -> Result<(Vec<u8>, Vec<Incoming>), Error> {
        if self.send_keyed {
            return Err(Error::State);
        }
        let (i2r, r2i, _) = direction_pair(labels::S2_KEYED, kt.expose(), &[&self.id]);
        let (send, recv) = match self.role {
            Role::Initiator => (i2r, r2i),
            Role::Responder => (r2i, i2r),
        };
        let out = self.frame(Kind::Rekey, &[], rng)?;
        self.sealer = Sealer::new(&send);
        self.send_keyed = true;
        self.next_recv = Some(recv);
        let mut incoming = Vec::new();
        if self.peer_rekey_waiting {
            self.peer_rekey_waiting = false;
            self.switch_recv(&mut incoming);
            self.drain(&mut incoming)?;
        }
        Ok((out, incoming))
    }

    fn switch_recv(&mut self, incoming: &mut Vec<Incoming>) {
        if let Some(k) = self.next_recv.take() {
            self.opener = Opener::new(&k);
            self.recv_keyed = true;
            incoming.push(Incoming::PeerRekeyed);
        }
    }

    /// Feeds received bytes; returns what they complete.
    ///
    /// # Errors
    /// Any frame error (the connection must end), [`Error::Closed`] for
    /// data after the peer's close, [`Error::TooLong`] when too much is
    /// buffered while waiting for our own rekey.
    pub fn receive(&mut self, data: &[u8]) -> Result<Vec<Incoming>, Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        self.buf.extend_from_slice(data);
        let mut incoming = Vec::new();
        self.drain(&mut incoming)?;
        if self.buf.len() > MAX_BUFFERED {
            return Err(Error::TooLong);
        }
        Ok(incoming)
    }

    fn drain(&mut self, incoming: &mut Vec<Incoming>) -> Result<(), Error> {
        let mut used = 0;
        while !self.peer_rekey_waiting && !self.closed {
            let Some((n, Frame { kind, data })) = self.opener.open(&self.buf[used..])? else {
                break;
            };
            used += n;
            match kind {
                Kind::Data => incoming.push(Incoming::Data(data)),
                Kind::Padding => {}
                Kind::Rekey if !self.recv_keyed => {
                    if self.next_recv.is_some() {
                        self.switch_recv(incoming);
                    } else {
                        self.peer_rekey_waiting = true;
                    }
                }
                Kind::Close => {
                    self.closed = true;
                    incoming.push(Incoming::Closed);
                }
                Kind::Rekey | Kind::Hello | Kind::Welcome => return Err(Error::Malformed),
            }
        }
        self.buf.drain(..used);
        Ok(())
    }
}

/// The caller's side of session 2.
#[derive(Debug)]
pub struct Session2Initiator {
    sealer: Sealer,
    opener: Opener,
    id: [u8; ID_LEN],
    buf: Vec<u8>,
    cfg: Config,
    done: bool,
}

impl Session2Initiator {
    /// Solves the proof of work (about `2^effort` hashes: run it off the
    /// async executor) and returns the hello to send.
    ///
    /// # Errors
    /// [`Error::Crypto`] only if sealing fails.
    pub fn start<R: CryptoRng + ?Sized>(
        cfg: &Config,
        outcome: &Session1Outcome,
        rng: &mut R,
    ) -> Result<(Self, Vec<u8>), Error> {
        let keys = SessionKeys::derive(&outcome.secret, &cfg.access_key);
        let (nonce, _) = Puzzle::new(&keys.challenge, outcome.effort).solve(rng.next_u64());
        let mut sealer = Sealer::new(&keys.i2r);
        let mut out = keys.id.to_vec();
        let pad = uniform_len(cfg.hello_pad_max, rng);
        sealer.seal(Kind::Hello, &nonce.to_le_bytes(), pad, &mut out)?;
        Ok((
            Self {
                sealer,
                opener: Opener::new(&keys.r2i),
                id: keys.id,
                buf: Vec::new(),
                cfg: cfg.clone(),
                done: false,
            },
            out,
        ))
    }

    /// Feeds the listener's bytes; `Some` once the welcome arrived.
    ///
    /// # Errors
    /// Frame errors, or a first frame other than `Welcome`;
    /// [`Error::State`] after the channel was handed out.
    pub fn receive(&mut self, data: &[u8]) -> Result<Option<(Channel, Vec<Incoming>)>, Error> {
        if self.done {
            return Err(Error::State);
        }
        self.buf.extend_from_slice(data);
        let Some((n, frame)) = self.opener.open(&self.buf)? else {
            return Ok(None);
        };
        if frame.kind != Kind::Welcome {
            return Err(Error::Malformed);
        }
        let mut ch = Channel::new(
            Role::Initiator,
            self.id,
            self.sealer.clone(),
            self.opener.clone(),
            &self.cfg,
        );
        self.done = true;
        let incoming = ch.receive(&self.buf[n..])?;
        self.buf = Vec::new();
        Ok(Some((ch, incoming)))
    }
}

/// The listener's side once a hello checked out (used by [`crate::Gate`]).
pub(crate) fn accept_hello<R: CryptoRng + ?Sized>(
    cfg: &Config,
    keys: &SessionKeys,
    opener: Opener,
    rest: &[u8],
    rng: &mut R,
) -> Result<(Channel, Vec<u8>, Vec<Incoming>), Error> {
    let mut sealer = Sealer::new(&keys.r2i);
    let mut welcome = Vec::new();
    sealer.seal(
        Kind::Welcome,
        &[],
        uniform_len(cfg.hello_pad_max, rng),
        &mut welcome,
    )?;
    let mut ch = Channel::new(Role::Responder, keys.id, sealer, opener, cfg);
    let incoming = ch.receive(rest)?;
    Ok((ch, welcome, incoming))
}
