//! The IKE driver: starts the key exchange when transport's session is
//! ready, keeps each call's typestate ([`crate::ike`]) in the [`Ike`]
//! enum, feeds it transport's IKE messages, storage's products and the
//! address-book answer ([`IkeInput`]), sends what each step produces, and
//! turns the finished exchange into a live call. Any input the current
//! state does not accept aborts the attempt.

use susurro_crypto::fingerprint;
use susurro_wire::module::Outbox;
use susurro_wire::{
    CallEstablished, CallId, CallPhase, CallPurpose, ContactId, ContactQuery, Direction, EndReason,
    IkeAuthA, IkeAuthB, IkeCommit, IkeConfirm, IkeEphemeral, IkeIdentity, IkeSpekeU, IkeSpekeV,
    IncomingCall, Instant, Message, ModuleId, PathKind, PeerVersion, TextRate, TransportKey, caps,
};

use super::calls::{Live, Phase, Teardown};
use super::errors::count;
use super::storage_mux::Purpose;
use super::{CryptorCore, send};
use crate::compare::Compare;
use crate::ike::{self, Established, IkeError, Role};
use crate::session::{Lane, Opener, Sealer};

/// A call's key exchange, in one of its typestates.
pub(super) enum Ike {
    OAwaitY(ike::OAwaitY),
    OAwaitV(ike::OAwaitV),
    OAwaitC(ike::OAwaitC),
    OAwaitTa(ike::OAwaitTa),
    OAwaitMb(ike::OAwaitMb),
    RAwaitCommit(ike::Responder),
    RAwaitU(ike::RAwaitU),
    RAwaitTb(ike::RAwaitTb),
    RAwaitA(ike::RAwaitA),
    /// B waits for both `IkeAuthA` and the address book's word on A, in
    /// either order.
    RAwaitMa {
        st: ike::RAwaitMa,
        auth: Option<Auth>,
        known: Option<Option<ContactId>>,
    },
}

/// A's `IkeAuthA`: `Ma`, `Mx` and the purpose `Mx` covers.
type Auth = ([u8; ike::TAG_LEN], [u8; ike::TAG_LEN], CallPurpose);

/// What moves a key exchange on.
#[allow(clippy::large_enum_variant)] // no heap to box into
pub(super) enum IkeInput {
    /// An IKE message from transport.
    Msg(Message),
    /// Storage's product with the long-term key.
    Tag(susurro_crypto::SharedPoint),
    /// Whether the caller's claimed key is a contact (and which).
    Lookup(Option<ContactId>),
}

enum Next {
    Ike(Ike),
    Done(Established, Option<ContactId>),
}

/// Refuses any peer version but ours: the two sides would otherwise derive
/// the SAS differently and compare codes that cannot match (or, worse, run a
/// derivation a man in the middle can steer).
fn check_version(v: PeerVersion) -> Result<(), IkeError> {
    if v == PeerVersion::CURRENT {
        Ok(())
    } else {
        Err(IkeError::Version(v.0))
    }
}

impl CryptorCore {
    /// Ends a call whose key exchange failed, counting it.
    pub(super) fn abort_ike(&mut self, id: CallId, e: IkeError, out: &mut Outbox) {
        count(&mut self.stats.ike_aborted);
        let reason = match e {
            IkeError::ConfirmFailed | IkeError::KeyConfirmationFailed => EndReason::KeyMismatch,
            IkeError::Timeout => EndReason::Timeout,
            IkeError::Storage => EndReason::StoreLocked,
            IkeError::Version(_) => EndReason::Incompatible,
            _ => EndReason::ProtocolError,
        };
        self.end(id, reason, Teardown::WITHOUT_PEER, out);
    }

    /// Transport's session (the second one, under obfuscation) is up: the
    /// key exchange starts, A sending the commitment.
    pub(super) fn on_session_ready(
        &mut self,
        now: Instant,
        id: CallId,
        direction: Direction,
        path: PathKind,
        out: &mut Outbox,
    ) {
        if !self.incoming(now, id, direction, path, out) {
            return;
        }
        let own = self.own_key;
        let step = self.config.step_timeout;
        let Some((c, drbg)) = self.find_with_drbg(id) else {
            return;
        };
        if !matches!(c.phase, Phase::Dialing) || c.direction != direction {
            self.refuse();
            return;
        }
        c.path = path;
        c.deadline = Some(now + step);
        match direction {
            Direction::Outgoing => {
                let Some(own) = own else {
                    self.end(id, EndReason::StoreLocked, Teardown::WITHOUT_PEER, out);
                    return;
                };
                match ike::Originator::start(drbg, own, c.peer_key) {
                    Ok((st, x_masked)) => {
                        c.phase = Phase::Ike(Ike::OAwaitY(st));
                        send(out, ModuleId::Transport, IkeCommit { call: id, x_masked });
                        c.show(CallPhase::KeyExchange, out);
                    }
                    Err(e) => self.abort_ike(id, e, out),
                }
            }
            Direction::Incoming => {
                c.phase = Phase::Ike(Ike::RAwaitCommit(ike::Responder::start(drbg)));
                send(out, ModuleId::Ui, IncomingCall { call: id, path });
                c.show(CallPhase::KeyExchange, out);
            }
        }
    }

    /// Storage's product for the key exchange: it must be a usable point.
    pub(super) fn on_tag(
        &mut self,
        now: Instant,
        id: CallId,
        product: &susurro_wire::Secret<32>,
        out: &mut Outbox,
    ) {
        match susurro_crypto::SharedPoint::from_bytes(*product.expose()) {
            Ok(p) => self.ike_step(now, id, IkeInput::Tag(p), out),
            Err(_) => self.abort_ike(id, IkeError::LowOrderPoint, out),
        }
    }

    pub(super) fn ike_step(&mut self, now: Instant, id: CallId, input: IkeInput, out: &mut Outbox) {
        let step = self.config.step_timeout;
        let Some(c) = self.find_mut(id) else {
            self.refuse();
            return;
        };
        let Phase::Ike(_) = &c.phase else {
            // Any IKE message outside the key exchange is a protocol error.
            if let IkeInput::Msg(_) = input {
                self.abort_ike(id, IkeError::UnexpectedMessage, out);
            } else {
                self.refuse();
            }
            return;
        };
        let Phase::Ike(st) = core::mem::replace(&mut c.phase, Phase::Gone) else {
            return;
        };
        c.deadline = Some(now + step);
        let peer_contact = c.peer_contact;
        match self.ike_transition(id, st, input, out) {
            Ok(Next::Ike(st)) => {
                if let Some(c) = self.find_mut(id) {
                    c.phase = Phase::Ike(st);
                }
            }
            Ok(Next::Done(est, responder_known)) => {
                let contact = match est.role {
                    Role::Originator => peer_contact,
                    Role::Responder => responder_known,
                };
                self.establish(now, id, est, contact, out);
            }
            Err(e) => self.abort_ike(id, e, out),
        }
    }

    fn ike_transition(
        &mut self,
        id: CallId,
        st: Ike,
        input: IkeInput,
        out: &mut Outbox,
    ) -> Result<Next, IkeError> {
        use IkeInput as I;
        let t = ModuleId::Transport;
        Ok(Next::Ike(match (st, input) {
            (Ike::OAwaitY(s), I::Msg(Message::IkeEphemeral(m))) => {
                check_version(m.version)?;
                let (s, u) = s.on_ephemeral(&m.y)?;
                let version = PeerVersion::CURRENT;
                send(
                    out,
                    t,
                    IkeSpekeU {
                        call: id,
                        u,
                        version,
                    },
                );
                Ike::OAwaitV(s)
            }
            (Ike::OAwaitV(s), I::Msg(Message::IkeSpekeV(m))) => {
                let (s, a_masked) = s.on_speke_v(&m.v)?;
                send(out, t, IkeIdentity { call: id, a_masked });
                Ike::OAwaitC(s)
            }
            (Ike::OAwaitC(s), I::Msg(Message::IkeConfirm(m))) => {
                let (s, y) = s.on_confirm(&m.c)?;
                self.ask_tag(id, y.to_bytes(), out)?;
                Ike::OAwaitTa(s)
            }
            (Ike::OAwaitTa(s), I::Tag(ta)) => {
                let purpose = self.find(id).map_or(CallPurpose::Voice, |c| c.purpose);
                let (s, ma, mx) = s.on_tag(&ta, purpose);
                send(
                    out,
                    t,
                    IkeAuthA {
                        call: id,
                        ma,
                        mx,
                        purpose,
                    },
                );
                Ike::OAwaitMb(s)
            }
            (Ike::OAwaitMb(s), I::Msg(Message::IkeAuthB(m))) => {
                return Ok(Next::Done(s.on_auth_b(&m.mb, &m.my)?, None));
            }
            (Ike::RAwaitCommit(s), I::Msg(Message::IkeCommit(m))) => {
                let (s, y) = s.on_commit(&m.x_masked);
                let version = PeerVersion::CURRENT;
                send(
                    out,
                    t,
                    IkeEphemeral {
                        call: id,
                        y,
                        version,
                    },
                );
                Ike::RAwaitU(s)
            }
            (Ike::RAwaitU(s), I::Msg(Message::IkeSpekeU(m))) => {
                check_version(m.version)?;
                let (s, x) = s.on_speke_u(&m.u)?;
                self.ask_tag(id, x.to_bytes(), out)?;
                Ike::RAwaitTb(s)
            }
            (Ike::RAwaitTb(s), I::Tag(tb)) => {
                let (s, v) = s.on_tag(&tb)?;
                send(out, t, IkeSpekeV { call: id, v });
                Ike::RAwaitA(s)
            }
            (Ike::RAwaitA(s), I::Msg(Message::IkeIdentity(m))) => {
                let (st, c, claimed) = s.on_identity(&m.a_masked, &mut self.drbg);
                send(out, t, IkeConfirm { call: id, c });
                let known = match claimed {
                    Some(a) => {
                        let query = ContactQuery::Key(a.to_bytes());
                        if !self.lookup(id, Purpose::PeerLookup, query, out) {
                            return Err(IkeError::Storage);
                        }
                        None
                    }
                    None => Some(None),
                };
                Ike::RAwaitMa {
                    st,
                    auth: None,
                    known,
                }
            }
            (
                Ike::RAwaitMa {
                    st,
                    auth: None,
                    known,
                },
                I::Msg(Message::IkeAuthA(m)),
            ) => {
                return self.finish_responder(id, st, Some((m.ma, m.mx, m.purpose)), known, out);
            }
            (
                Ike::RAwaitMa {
                    st,
                    auth,
                    known: None,
                },
                I::Lookup(k),
            ) => {
                return self.finish_responder(id, st, auth, Some(k), out);
            }
            (_, _) => return Err(IkeError::UnexpectedMessage),
        }))
    }

    fn finish_responder(
        &mut self,
        id: CallId,
        st: ike::RAwaitMa,
        auth: Option<Auth>,
        known: Option<Option<ContactId>>,
        out: &mut Outbox,
    ) -> Result<Next, IkeError> {
        match (auth, known) {
            (Some((ma, mx, purpose)), Some(contact)) => {
                let (est, mb, my) =
                    st.on_auth_a(&ma, &mx, purpose, contact.is_some(), &mut self.drbg)?;
                send(out, ModuleId::Transport, IkeAuthB { call: id, mb, my });
                Ok(Next::Done(est, contact))
            }
            (auth, known) => Ok(Next::Ike(Ike::RAwaitMa { st, auth, known })),
        }
    }

    /// The exchange is done: the call goes live with its keys, transport
    /// gets `Kt`, the ui the SAS and (only with the proof of it) who the
    /// peer is.
    fn establish(
        &mut self,
        now: Instant,
        id: CallId,
        est: Established,
        contact: Option<ContactId>,
        out: &mut Outbox,
    ) {
        let ring = self.config.ring_timeout;
        let messages = est.purpose == CallPurpose::Messages;
        if messages && est.identity.is_none() {
            // Messages go only between two people who each hold the
            // other's card: the keys must have proved both.
            self.end(id, EndReason::NotContacts, Teardown::FULL, out);
            return;
        }
        let Some(c) = self.find_mut(id) else {
            return;
        };
        let k = &est.keys;
        let (tx, rx, kx_tx, kx_rx) = match est.role {
            Role::Originator => (&k.k_ab, &k.k_ba, &k.kx_ab, &k.kx_ba),
            Role::Responder => (&k.k_ba, &k.k_ab, &k.kx_ba, &k.kx_ab),
        };
        let live = Live {
            sas: k.sas,
            role: est.role,
            voice_tx: Sealer::new(Lane::Voice, tx),
            voice_rx: Opener::new(Lane::Voice, rx),
            ctl_tx: Sealer::new(Lane::Control, tx),
            ctl_rx: Opener::new(Lane::Control, rx),
            kx_tx: kx_tx.clone(),
            kx_rx: kx_rx.clone(),
            k_cmp: k.k_cmp.clone(),
            sid: k.sid,
            // A message session does not ring: both sides are in it.
            local_accepted: messages || est.role == Role::Originator,
            remote_accepted: messages || est.role == Role::Responder,
            purpose: est.purpose,
            xfer_out: None,
            xfer_in: None,
            compare: Compare::new(),
            text_out: TextRate::new(caps::TEXT_RATE),
            text_in: TextRate::new(caps::TEXT_RATE.saturating_mul(2)),
        };
        // The peer's key and contact are only kept with the proof that the
        // exchange verified them.
        let (peer_key, peer) = match est.identity {
            Some(_) => (est.peer_key, contact),
            None => (None, None),
        };
        c.verified = est.identity;
        c.peer_key = peer_key;
        c.peer_contact = peer;
        c.deadline = Some(now + ring);
        c.phase = Phase::Live(live);
        send(
            out,
            ModuleId::Transport,
            TransportKey {
                call: id,
                kt: susurro_wire::Secret::new(*est.keys.kt.expose()),
            },
        );
        send(
            out,
            ModuleId::Ui,
            CallEstablished {
                call: id,
                sas: est.keys.sas,
                authenticated: c.verified.is_some(),
                peer,
                peer_fingerprint: peer_key.map(|p| fingerprint(&p)),
            },
        );
        c.purpose = est.purpose;
        c.show(
            match (messages, est.role) {
                (true, _) => CallPhase::Messages,
                (false, Role::Originator) => CallPhase::RingingRemote,
                (false, Role::Responder) => CallPhase::Ringing,
            },
            out,
        );
    }
}
