//! The call table: what the core knows of each call ([`Call`], its
//! [`Phase`], the keys of a [`Live`] one), placing a call for the ui,
//! taking one in from transport, answering, and ending calls
//! ([`CryptorCore::end`], told how far by a [`Teardown`]), and the
//! deadlines that expire them.

use susurro_crypto::{EphemeralKeyPair, Point, Secret};
use susurro_wire::module::Outbox;
use susurro_wire::{
    Address, CallEnded, CallId, CallPhase, CallPurpose, CallState, CallTarget, ContactId,
    ContactQuery, Direction, EndReason, ErrorCode, INCOMING_CALL_BASE, Instant, ModuleId,
    MuteState, NetMode, PathKind, PeerAccept, PeerHangup, Terminate, TextRate,
};

use super::callback::CallBack;
use super::errors::{count, ui_error};
use super::ike_driver::Ike;
use super::storage_mux::Purpose;
use super::{CryptorCore, ENTROPY_REQUEST, send};
use crate::compare::Compare;
use crate::drbg::Drbg;
use crate::ike::{Authenticated, IkeError, Role};
use crate::session::{Opener, Sealer};
use crate::xfer;

/// Calls the core tracks at once (set-up, ringing and live together).
pub(crate) const MAX_CALLS: usize = 4;

/// A call with agreed keys: the session ciphers, the keys of contact
/// transfer and secret compare, and who has answered.
pub(super) struct Live {
    pub(super) sas: u32,
    pub(super) role: Role,
    pub(super) voice_tx: Sealer,
    pub(super) voice_rx: Opener,
    pub(super) ctl_tx: Sealer,
    pub(super) ctl_rx: Opener,
    pub(super) kx_tx: Secret<32>,
    pub(super) kx_rx: Secret<32>,
    pub(super) k_cmp: Secret<32>,
    pub(super) sid: [u8; 16],
    pub(super) local_accepted: bool,
    pub(super) remote_accepted: bool,
    pub(super) xfer_out: Option<xfer::SendWait>,
    pub(super) xfer_in: Option<xfer::RecvWait>,
    pub(super) compare: Compare,
    /// What the connection is for (a message session carries no voice).
    pub(super) purpose: CallPurpose,
    /// Text parts we may still send, and the peer's we accept.
    pub(super) text_out: TextRate,
    pub(super) text_in: TextRate,
}

impl Live {
    /// Both sides answered (or the session is for messages): text flows.
    pub(super) fn talking(&self) -> bool {
        self.local_accepted && self.remote_accepted
    }

    /// A voice call both sides answered: voice flows.
    pub(super) fn voice(&self) -> bool {
        self.talking() && self.purpose == CallPurpose::Voice
    }
}

#[allow(clippy::large_enum_variant)] // no heap to box into
pub(super) enum Phase {
    /// Looking the callee up in the address book.
    Lookup,
    /// Waiting for transport (dial, obfuscation, second session).
    Dialing,
    /// The key exchange, in the state its driver left it.
    Ike(Ike),
    /// Keys agreed: ringing, then talking.
    Live(Live),
    /// Placeholder while a transition runs.
    Gone,
}

pub(super) struct Call {
    pub(super) id: CallId,
    pub(super) direction: Direction,
    pub(super) path: PathKind,
    pub(super) phase: Phase,
    pub(super) deadline: Option<Instant>,
    pub(super) peer_contact: Option<ContactId>,
    pub(super) peer_key: Option<Point>,
    /// The proof that the key exchange verified the peer's identity (set
    /// when the keys are agreed, by the one check that can make it).
    pub(super) verified: Option<Authenticated>,
    pub(super) obf: Option<EphemeralKeyPair>,
    /// The call-back of an authenticated incoming call: where, how many
    /// tries so far, and when the next one is due.
    pub(super) callback: Option<CallBack>,
    /// What we dial for (an incoming call learns it in the IKE).
    pub(super) purpose: CallPurpose,
}

impl Call {
    /// A call waiting for transport until `deadline`.
    fn new(id: CallId, direction: Direction, path: PathKind, deadline: Instant) -> Self {
        Self {
            id,
            direction,
            path,
            phase: Phase::Dialing,
            deadline: Some(deadline),
            peer_contact: None,
            peer_key: None,
            verified: None,
            obf: None,
            callback: None,
            purpose: CallPurpose::Voice,
        }
    }

    /// The keys and state of a call past the key exchange.
    pub(super) fn live(&self) -> Option<&Live> {
        match &self.phase {
            Phase::Live(l) => Some(l),
            _ => None,
        }
    }

    /// Keys agreed and both sides answered a voice call: voice flows.
    pub(super) fn is_talking(&self) -> bool {
        self.live().is_some_and(Live::voice)
    }

    /// Tells the ui the call's phase.
    pub(super) fn show(&self, phase: CallPhase, out: &mut Outbox) {
        send(
            out,
            ModuleId::Ui,
            CallState {
                call: self.id,
                phase,
                path: self.path,
            },
        );
    }
}

/// Whether [`CryptorCore::end`] sends the peer a `PeerHangup` (over the
/// control channel, so only once keys are agreed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TellPeer {
    Yes,
    No,
}

/// Whether [`CryptorCore::end`] asks transport to close the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CloseTransport {
    Yes,
    /// Transport reported the end itself, or never had the call.
    No,
}

/// How far [`CryptorCore::end`] takes a call down besides the table and
/// the ui, which it always updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Teardown {
    pub(super) peer: TellPeer,
    pub(super) transport: CloseTransport,
}

impl Teardown {
    /// A local decision: the peer hears `PeerHangup`, transport closes.
    pub(super) const FULL: Self = Self {
        peer: TellPeer::Yes,
        transport: CloseTransport::Yes,
    };
    /// The peer has gone or was never keyed (it hung up, the key exchange
    /// or the obfuscation failed): transport closes, the peer is not told.
    pub(super) const WITHOUT_PEER: Self = Self {
        peer: TellPeer::No,
        transport: CloseTransport::Yes,
    };
    /// Transport has no call to close (never dialled, or it ended the
    /// call): only the table and the ui.
    pub(super) const LOCAL_ONLY: Self = Self {
        peer: TellPeer::No,
        transport: CloseTransport::No,
    };
}

impl CryptorCore {
    pub(super) fn find(&self, id: CallId) -> Option<&Call> {
        self.calls.iter().flatten().find(|c| c.id == id)
    }

    pub(super) fn find_mut(&mut self, id: CallId) -> Option<&mut Call> {
        self.calls.iter_mut().flatten().find(|c| c.id == id)
    }

    /// The call and the generator together (a transition that draws).
    pub(super) fn find_with_drbg(&mut self, id: CallId) -> Option<(&mut Call, &mut Drbg)> {
        let drbg = &mut self.drbg;
        let c = self.calls.iter_mut().flatten().find(|c| c.id == id)?;
        Some((c, drbg))
    }

    /// Runs `f` on a live call's keys; `None` if the call is not live.
    pub(super) fn with_live<R>(
        &mut self,
        id: CallId,
        f: impl FnOnce(&mut Live, &mut Drbg) -> R,
    ) -> Option<R> {
        let (c, drbg) = self.find_with_drbg(id)?;
        match &mut c.phase {
            Phase::Live(l) => Some(f(l, drbg)),
            _ => None,
        }
    }

    /// Runs `f` on call `id` if both sides answered: `NoSuchCall` if
    /// there is no such call, `WrongState` if it is not talking yet.
    pub(super) fn with_talking(
        &mut self,
        id: CallId,
        f: impl FnOnce(&mut Live) -> Result<(), ErrorCode>,
    ) -> Result<(), ErrorCode> {
        let c = self.find_mut(id).ok_or(ErrorCode::NoSuchCall)?;
        match &mut c.phase {
            Phase::Live(l) if l.talking() => f(l),
            _ => Err(ErrorCode::WrongState),
        }
    }

    fn insert(&mut self, call: Call) -> bool {
        match self.calls.iter_mut().find(|s| s.is_none()) {
            Some(slot) => {
                *slot = Some(call);
                true
            }
            None => false,
        }
    }

    fn new_call_id(&mut self) -> CallId {
        loop {
            let id = self.next_call;
            // Outgoing ids stay below `INCOMING_CALL_BASE`; transport numbers
            // incoming calls from it, so the two never collide.
            self.next_call = (self.next_call % (INCOMING_CALL_BASE - 1)) + 1;
            if self.find(id).is_none() {
                return id;
            }
        }
    }

    /// Tells the ui the phase of call `id`, if it is still in the table.
    pub(super) fn show(&self, id: CallId, phase: CallPhase, out: &mut Outbox) {
        if let Some(c) = self.find(id) {
            c.show(phase, out);
        }
    }

    /// Ends a call: tells the peer (if keys are agreed and `how` says so),
    /// closes transport (if `how` says so), tells the ui.
    pub(super) fn end(&mut self, id: CallId, reason: EndReason, how: Teardown, out: &mut Outbox) {
        let Some(mut call) = self
            .calls
            .iter_mut()
            .find(|s| s.as_ref().is_some_and(|c| c.id == id))
            .and_then(Option::take)
        else {
            return;
        };
        if let Phase::Live(live) = &mut call.phase
            && how.peer == TellPeer::Yes
        {
            live.send_peer(id, PeerHangup { reason }, out);
        }
        if how.transport == CloseTransport::Yes {
            send(out, ModuleId::Transport, Terminate { call: id });
        }
        send(out, ModuleId::Ui, CallEnded { call: id, reason });
        self.pending.retain(|p| p.call != id);
        // Mute belongs to a call: the next one starts with the microphone on.
        if self.muted && self.calls.iter().all(Option::is_none) {
            self.muted = false;
            send(out, ModuleId::Ui, MuteState { on: false });
        }
    }

    /// Ends the calls whose deadline has passed (a key exchange as aborted).
    pub(super) fn expire_calls(&mut self, now: Instant, out: &mut Outbox) {
        let due: heapless::Vec<(CallId, bool), MAX_CALLS> = self
            .calls
            .iter()
            .flatten()
            .filter(|c| c.deadline.is_some_and(|d| d <= now))
            .map(|c| (c.id, matches!(c.phase, Phase::Ike(_))))
            .collect();
        for (id, in_ike) in due {
            if in_ike {
                self.abort_ike(id, IkeError::Timeout, out);
            } else {
                self.end(id, EndReason::Timeout, Teardown::FULL, out);
            }
        }
    }

    // ---- ui ----------------------------------------------------------------

    pub(super) fn on_call(
        &mut self,
        now: Instant,
        target: CallTarget,
        mode: NetMode,
        purpose: CallPurpose,
        out: &mut Outbox,
    ) {
        if !self.drbg.is_seeded() {
            out.request_entropy(ENTROPY_REQUEST);
            ui_error(out, 0, ErrorCode::Internal);
            return;
        }
        if self.own_key.is_none() {
            // Storage may have been unlocked since we started: ask, and
            // place the call when the key arrives (or fail if it is refused).
            self.ask_public_key(out);
            self.waiting_call = Some((target, mode, purpose));
            return;
        }
        out.request_entropy(ENTROPY_REQUEST);
        let id = self.new_call_id();
        let path = match mode {
            NetMode::Tor => PathKind::Tor,
            NetMode::Direct => PathKind::Tcp,
        };
        let mut call = Call::new(
            id,
            Direction::Outgoing,
            path,
            now + self.config.dial_timeout,
        );
        call.purpose = purpose;
        let address = match target {
            CallTarget::Contact(cid) => {
                call.phase = Phase::Lookup;
                call.deadline = Some(now + self.config.step_timeout);
                call.peer_contact = Some(cid);
                None
            }
            CallTarget::Address(a) => Some(a),
        };
        let contact = call.peer_contact;
        if !self.insert(call) {
            send(
                out,
                ModuleId::Ui,
                CallEnded {
                    call: id,
                    reason: EndReason::Busy,
                },
            );
            return;
        }
        if let Some(address) = address {
            self.dial(id, address, out);
            return;
        }
        let asked =
            contact.is_some_and(|cid| self.lookup(id, Purpose::Target, ContactQuery::Id(cid), out));
        if asked {
            self.show(id, CallPhase::Dialing, out);
        } else {
            self.end(id, EndReason::Busy, Teardown::LOCAL_ONLY, out);
        }
    }

    pub(super) fn dial(&mut self, id: CallId, address: Address, out: &mut Outbox) {
        if matches!(address, Address::None) {
            ui_error(out, id, ErrorCode::NoAddress);
            self.end(id, EndReason::Unreachable, Teardown::LOCAL_ONLY, out);
            return;
        }
        if let Some(c) = self.find_mut(id) {
            c.phase = Phase::Dialing;
        }
        send(
            out,
            ModuleId::Transport,
            susurro_wire::Dial { call: id, address },
        );
        self.show(id, CallPhase::Dialing, out);
    }

    pub(super) fn on_accept(&mut self, id: CallId, out: &mut Outbox) {
        let Some(c) = self.find_mut(id) else {
            ui_error(out, id, ErrorCode::NoSuchCall);
            return;
        };
        let Phase::Live(live) = &mut c.phase else {
            ui_error(out, id, ErrorCode::WrongState);
            return;
        };
        if live.local_accepted {
            return;
        }
        live.local_accepted = true;
        live.send_peer(id, PeerAccept {}, out);
        if live.talking() {
            c.deadline = None;
            c.show(CallPhase::InCall, out);
        }
    }

    pub(super) fn on_hangup(&mut self, id: CallId, out: &mut Outbox) {
        let Some(c) = self.find(id) else {
            ui_error(out, id, ErrorCode::NoSuchCall);
            return;
        };
        let reason = match (&c.phase, c.direction) {
            (Phase::Live(l), Direction::Incoming) if !l.local_accepted => EndReason::Rejected,
            _ => EndReason::LocalHangup,
        };
        self.end(id, reason, Teardown::FULL, out);
    }

    // ---- transport ---------------------------------------------------------

    /// Takes in a call transport opened (or confirms one we know): `false`
    /// if it is refused (and transport told to close it).
    pub(super) fn incoming(
        &mut self,
        now: Instant,
        id: CallId,
        direction: Direction,
        path: PathKind,
        out: &mut Outbox,
    ) -> bool {
        if self.find(id).is_some() {
            return true;
        }
        if direction != Direction::Incoming || id == 0 || !self.drbg.is_seeded() {
            self.refuse();
            send(out, ModuleId::Transport, Terminate { call: id });
            return false;
        }
        // Callers still in their key exchange never take the last slot:
        // an outgoing call always finds one.
        let setting_up = self
            .calls
            .iter()
            .flatten()
            .filter(|c| c.direction == Direction::Incoming && c.live().is_none())
            .count();
        if setting_up + 1 >= MAX_CALLS {
            count(&mut self.stats.refused);
            send(out, ModuleId::Transport, Terminate { call: id });
            return false;
        }
        out.request_entropy(ENTROPY_REQUEST);
        let ok = self.insert(Call::new(
            id,
            direction,
            path,
            now + self.config.dial_timeout,
        ));
        if !ok {
            send(out, ModuleId::Transport, Terminate { call: id });
        }
        ok
    }
}
