//! [`CryptorCore`]: the cryptor module as a sans-IO [`ModuleCore`].
//!
//! It glues the pure pieces ([`crate::ike`], [`crate::session`],
//! [`crate::xfer`], [`crate::compare`]) to wire messages: a call table,
//! per-step deadlines, storage requests with request ids, transport's IKE,
//! `PeerData` and `Voice` messages, and the ui's call messages.
//!
//! Audio stays outside: a host seals the encoder's frames with
//! [`CryptorCore::seal_voice`] and takes opened frames (and transport's word
//! of missing ones) for the decoder with [`CryptorCore::poll_voice`].

use core::time::Duration;

use susurro_crypto::{EphemeralKeyPair, Point, Representative, Secret, fingerprint, kdf};
use susurro_wire::module::{Input, ModuleCore, Outbox};
use susurro_wire::{
    Address, Bytes, CallEnded, CallEstablished, CallId, CallPhase, CallState, CallTarget,
    CompareResult, ContactAdd, ContactId, ContactLookup, ContactQuery, ContactReceived,
    DirectRequest, Direction, EndReason, Envelope, Error as UiError, ErrorCode, GetPublicKey,
    IkeAuthA, IkeAuthB, IkeCommit, IkeConfirm, IkeEphemeral, IkeIdentity, IkeSpekeU, IkeSpekeV,
    IncomingCall, Instant, Message, ModuleId, MuteState, Name, NetMode, Note, ObfuscationKey,
    ObfuscationSecret, PathKind, PeerAccept, PeerData, PeerHangup, PeerMessage, PeerVersion,
    ScalarMult, Terminate, TransportKey, TransportSeed, Voice, VoiceGap, caps, contact_flags,
};

use crate::compare::{Compare, Context};
use crate::drbg::Drbg;
use crate::ike::{self, Established, IkeError, Role};
use crate::labels;
use crate::sas;
use crate::session::{CONTROL_TAG_LEN, Lane, Opener, SEQ_LEN, Sealer, SessionError};
use crate::xfer;

/// Call-back attempts per call (`DoublePath`): the first, retries after a
/// failed dial, and re-opening after the second path died. Transport
/// accepts up to 8 extra paths per call.
pub const CALLBACK_TRIES: u8 = 6;
/// Pause before the call-back is tried again: an onion service can be
/// unreachable for a while (descriptor not yet published, a time-period
/// change, a relay of a circuit gone).
pub const CALLBACK_RETRY: Duration = Duration::from_secs(10);

/// Calls the core tracks at once (set-up, ringing and live together).
pub const MAX_CALLS: usize = 4;
/// Opened voice frames queued for the host's decoder.
pub const VOICE_QUEUE: usize = 8;
/// Storage requests in flight.
pub const MAX_PENDING: usize = 8;
pub use susurro_wire::INCOMING_CALL_BASE;
/// Bytes of entropy asked for at start and at every new call.
pub const ENTROPY_REQUEST: usize = 64;

susurro_wire::restricted_msg! {
    /// What the cryptor core may receive, the IKE steps apart (they go to
    /// the IKE driver whole). A message the table newly routes to the
    /// cryptor fails the assertion below until it is listed here, and then
    /// the `match` in `on_message` until it is handled.
    enum Inbound {
        // ui
        Call, Accept, Hangup, Mute, SetDirect, CompareSecret, SendContact, NetworkConfig, Reset,
        // storage
        PublicKey, ScalarMultResult, ContactFound, ContactNotFound, ContactAdded, StorageError,
        StoreStatus, Entropy,
        // transport
        TransportReady, ObfuscationOpen, ObfuscationRemote, SessionReady, PeerData, Voice,
        VoiceGap, Terminated, PathState, Error, NetworkStatus, DirectState, LinkQuality,
        TransportKeyed,
    }
}
const _: () = assert!(
    susurro_wire::unlisted_inbound(
        Inbound::KINDS,
        ModuleId::Cryptor,
        susurro_wire::Apart::IkeSteps
    )
    .is_none(),
    "a kind routed to the cryptor is missing from Inbound"
);

/// Timeouts. Every state that waits has a deadline.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// Each IKE step and each storage answer.
    pub step_timeout: Duration,
    /// Dialling, obfuscation and the second session, until the IKE starts.
    pub dial_timeout: Duration,
    /// Ringing until answered.
    pub ring_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            step_timeout: Duration::from_secs(20),
            dial_timeout: Duration::from_secs(120),
            ring_timeout: Duration::from_secs(90),
        }
    }
}

/// Errors of the host-facing API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CryptorError {
    /// No call with that id.
    NoSuchCall,
    /// The call is not talking (keys not agreed or not answered yet).
    WrongState,
    /// The payload exceeds a voice frame.
    TooLong,
    /// The session cipher refused.
    Session(SessionError),
    /// The outbox is full.
    OutboxFull,
}

impl core::fmt::Display for CryptorError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            CryptorError::NoSuchCall => f.write_str("no such call"),
            CryptorError::WrongState => f.write_str("call is not talking"),
            CryptorError::TooLong => f.write_str("voice payload too long"),
            CryptorError::Session(e) => write!(f, "session: {e}"),
            CryptorError::OutboxFull => f.write_str("outbox full"),
        }
    }
}

impl core::error::Error for CryptorError {}

/// Counters a host may log (never secrets).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Voice packets (and gaps) refused (forged, replayed, too old, wrong
    /// state).
    pub voice_rejected: u32,
    /// Control packets refused before decryption (forged, replayed).
    pub control_rejected: u32,
    /// Opened voice frames dropped because the host did not poll.
    pub voice_dropped: u32,
    /// Key exchanges aborted.
    pub ike_aborted: u32,
    /// Messages refused: wrong source module, unknown call, wrong state.
    pub refused: u32,
}

/// One opened voice frame for the decoder.
#[derive(Clone)]
pub struct VoiceFrame {
    /// The call.
    pub call: CallId,
    /// The packet counter (for the jitter buffer / loss concealment).
    pub index: u64,
    /// The codec payload.
    pub payload: heapless::Vec<u8, { caps::VOICE }>,
}

impl core::fmt::Debug for VoiceFrame {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "VoiceFrame(call {}, #{}, {} bytes)",
            self.call,
            self.index,
            self.payload.len()
        )
    }
}

/// What the decoder gets for one period of transport's playout clock, in
/// the order transport sent them.
#[derive(Clone, Debug)]
// The queue is a fixed array without alloc: every slot has a frame's room.
#[allow(clippy::large_enum_variant)]
pub enum Heard {
    /// An opened voice frame: play it.
    Frame(VoiceFrame),
    /// Transport had no frame this period: play one concealed frame (see
    /// [`VoiceGap`]; `held`: the frame `seq` comes next, so the concealed
    /// frame is inserted before it).
    Gap(VoiceGap),
}

impl Heard {
    /// The call it belongs to.
    pub fn call(&self) -> CallId {
        match self {
            Heard::Frame(f) => f.call,
            Heard::Gap(g) => g.call,
        }
    }

    /// The frame, if this is one.
    pub fn frame(self) -> Option<VoiceFrame> {
        match self {
            Heard::Frame(f) => Some(f),
            Heard::Gap(_) => None,
        }
    }
}

enum Ike {
    OAwaitY(ike::OAwaitY),
    OAwaitV(ike::OAwaitV),
    OAwaitC(ike::OAwaitC),
    OAwaitTa(ike::OAwaitTa),
    OAwaitMb(ike::OAwaitMb),
    RAwaitCommit(ike::Responder),
    RAwaitU(ike::RAwaitU),
    RAwaitTb(ike::RAwaitTb),
    RAwaitA(ike::RAwaitA),
    RAwaitMa {
        st: ike::RAwaitMa,
        auth: Option<([u8; ike::TAG_LEN], [u8; ike::TAG_LEN])>,
        known: Option<Option<ContactId>>,
    },
}

struct Live {
    sas: u32,
    role: Role,
    voice_tx: Sealer,
    voice_rx: Opener,
    ctl_tx: Sealer,
    ctl_rx: Opener,
    kx_tx: Secret<32>,
    kx_rx: Secret<32>,
    k_cmp: Secret<32>,
    sid: [u8; 16],
    local_accepted: bool,
    remote_accepted: bool,
    xfer_out: Option<xfer::SendWait>,
    xfer_in: Option<xfer::RecvWait>,
    compare: Compare,
}

impl Live {
    fn talking(&self) -> bool {
        self.local_accepted && self.remote_accepted
    }
}

#[allow(clippy::large_enum_variant)] // no heap to box into
enum Phase {
    /// Looking the callee up in the address book.
    Lookup,
    /// Waiting for transport (dial, obfuscation, second session).
    Dialing,
    Ike(Ike),
    Live(Live),
    /// Placeholder while a transition runs.
    Gone,
}

struct Call {
    id: CallId,
    direction: Direction,
    path: PathKind,
    phase: Phase,
    deadline: Option<Instant>,
    peer_contact: Option<ContactId>,
    peer_key: Option<Point>,
    obf: Option<EphemeralKeyPair>,
    /// The call-back of an authenticated incoming call: where, how many
    /// tries so far, and when the next one is due.
    callback: Option<CallBack>,
}

struct CallBack {
    address: Address,
    tries: u8,
    retry_at: Option<Instant>,
}

#[derive(Clone)]
enum Purpose {
    Target,
    IkeTag,
    PeerLookup,
    SendLookup,
    AddContact(Name),
    CallBack,
}

struct Pending {
    req: u16,
    call: CallId,
    purpose: Purpose,
}

/// The cryptor module core.
pub struct CryptorCore {
    config: Config,
    drbg: Drbg,
    own_key: Option<Point>,
    own_address: Address,
    next_call: CallId,
    next_req: u16,
    calls: [Option<Call>; MAX_CALLS],
    pending: heapless::Vec<Pending, MAX_PENDING>,
    muted: bool,
    voice_rx: heapless::Deque<Heard, VOICE_QUEUE>,
    stats: Stats,
    /// A call asked for before our public key arrived (placed once it does).
    waiting_call: Option<(CallTarget, NetMode)>,
    /// `GetPublicKey` requests not answered yet (answers come in order).
    key_requests: u8,
}

impl core::fmt::Debug for CryptorCore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "CryptorCore(calls {}, {:?})",
            self.calls.iter().flatten().count(),
            self.stats
        )
    }
}

impl Default for CryptorCore {
    fn default() -> Self {
        Self::new(Config::default())
    }
}

fn send(out: &mut Outbox, dst: ModuleId, msg: impl Into<Message>) {
    // A full outbox counts the refusal itself (`Outbox::overflowed`).
    let _ = out.send(dst, msg);
}

impl CryptorCore {
    /// A core with no entropy yet (it asks at [`Input::Start`]).
    #[must_use]
    pub fn new(config: Config) -> Self {
        Self {
            config,
            drbg: Drbg::new(),
            own_key: None,
            own_address: Address::None,
            next_call: 1,
            next_req: 1,
            calls: core::array::from_fn(|_| None),
            pending: heapless::Vec::new(),
            muted: false,
            voice_rx: heapless::Deque::new(),
            stats: Stats::default(),
            waiting_call: None,
            key_requests: 0,
        }
    }

    /// Counters.
    #[must_use]
    pub const fn stats(&self) -> Stats {
        self.stats
    }

    /// Whether the generator has been seeded.
    #[must_use]
    pub const fn is_seeded(&self) -> bool {
        self.drbg.is_seeded()
    }

    /// The SAS of a call with agreed keys.
    #[must_use]
    pub fn sas(&self, call: CallId) -> Option<u32> {
        match &self.find(call)?.phase {
            Phase::Live(l) => Some(l.sas),
            _ => None,
        }
    }

    /// Whether the call is talking (keys agreed and answered).
    #[must_use]
    pub fn is_talking(&self, call: CallId) -> bool {
        matches!(self.find(call).map(|c| &c.phase), Some(Phase::Live(l)) if l.talking())
    }

    /// Ids of the calls in the table.
    pub fn calls(&self) -> impl Iterator<Item = CallId> + '_ {
        self.calls.iter().flatten().map(|c| c.id)
    }

    /// Seals one frame from the local encoder and queues it for transport.
    /// While muted the frame is replaced by zeros of the same length, so the
    /// packet rate and size do not reveal the mute state.
    ///
    /// # Errors
    /// [`CryptorError::NoSuchCall`], [`CryptorError::WrongState`] unless the
    /// call is talking, [`CryptorError::TooLong`].
    pub fn seal_voice(
        &mut self,
        call: CallId,
        payload: &[u8],
        out: &mut Outbox,
    ) -> Result<(), CryptorError> {
        let muted = self.muted;
        let c = self.find_mut(call).ok_or(CryptorError::NoSuchCall)?;
        let Phase::Live(live) = &mut c.phase else {
            return Err(CryptorError::WrongState);
        };
        if !live.talking() {
            return Err(CryptorError::WrongState);
        }
        let tag = Lane::Voice.tag_len();
        if payload.len() + tag > caps::VOICE {
            return Err(CryptorError::TooLong);
        }
        let mut pt = [0u8; caps::VOICE];
        if !muted {
            pt[..payload.len()].copy_from_slice(payload);
        }
        let mut sealed = [0u8; caps::VOICE];
        let sealed_len = live
            .voice_tx
            .seal(&pt[..payload.len()], &mut sealed)
            .map_err(CryptorError::Session);
        zeroize::Zeroize::zeroize(&mut pt);
        let (seq, n) = sealed_len?;
        let sealed = Bytes::new(&sealed[..n]).map_err(|_| CryptorError::TooLong)?;
        out.send(ModuleId::Transport, Voice { call, seq, sealed })
            .map_err(|_| CryptorError::OutboxFull)
    }

    fn ask_public_key(&mut self, out: &mut Outbox) {
        send(out, ModuleId::Storage, GetPublicKey {});
        self.key_requests = self.key_requests.saturating_add(1);
    }

    /// The next opened voice frame or gap, oldest first.
    pub fn poll_voice(&mut self) -> Option<Heard> {
        self.voice_rx.pop_front()
    }

    // ---- call table --------------------------------------------------------

    fn find(&self, id: CallId) -> Option<&Call> {
        self.calls.iter().flatten().find(|c| c.id == id)
    }

    fn find_mut(&mut self, id: CallId) -> Option<&mut Call> {
        self.calls.iter_mut().flatten().find(|c| c.id == id)
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

    fn request(&mut self, call: CallId, purpose: Purpose) -> Option<u16> {
        let req = self.next_req;
        self.next_req = self.next_req.wrapping_add(1).max(1);
        self.pending.push(Pending { req, call, purpose }).ok()?;
        Some(req)
    }

    /// Asks storage for an IKE tag: `point` times the long-term key.
    fn ask_tag(&mut self, call: CallId, point: [u8; 32], out: &mut Outbox) -> Result<(), IkeError> {
        let req = self
            .request(call, Purpose::IkeTag)
            .ok_or(IkeError::Storage)?;
        send(out, ModuleId::Storage, ScalarMult { req, point });
        Ok(())
    }

    fn take_pending(&mut self, req: u16) -> Option<Pending> {
        let i = self.pending.iter().position(|p| p.req == req)?;
        Some(self.pending.swap_remove(i))
    }

    fn state(&self, c: &Call, phase: CallPhase, out: &mut Outbox) {
        let _ = self;
        send(
            out,
            ModuleId::Ui,
            CallState {
                call: c.id,
                phase,
                path: c.path,
            },
        );
    }

    /// Ends a call: tells the peer (if keys are agreed and `tell_peer`),
    /// closes transport (unless transport reported the end), tells the ui.
    fn end(
        &mut self,
        id: CallId,
        reason: EndReason,
        tell_peer: bool,
        close_transport: bool,
        out: &mut Outbox,
    ) {
        let Some(slot) = self
            .calls
            .iter_mut()
            .find(|s| s.as_ref().is_some_and(|c| c.id == id))
        else {
            return;
        };
        let Some(mut call) = slot.take() else {
            return;
        };
        if let Phase::Live(live) = &mut call.phase
            && tell_peer
        {
            send_peer(live, id, &PeerHangup { reason }.into(), out);
        }
        if close_transport {
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

    fn abort_ike(&mut self, id: CallId, e: IkeError, out: &mut Outbox) {
        self.stats.ike_aborted = self.stats.ike_aborted.saturating_add(1);
        let reason = match e {
            IkeError::ConfirmFailed | IkeError::KeyConfirmationFailed => EndReason::KeyMismatch,
            IkeError::Timeout => EndReason::Timeout,
            IkeError::Storage => EndReason::StoreLocked,
            IkeError::Version(_) => EndReason::Incompatible,
            _ => EndReason::ProtocolError,
        };
        self.end(id, reason, false, true, out);
    }

    fn refuse(&mut self) {
        self.stats.refused = self.stats.refused.saturating_add(1);
    }

    // ---- ui ----------------------------------------------------------------

    fn on_call(&mut self, now: Instant, target: CallTarget, mode: NetMode, out: &mut Outbox) {
        if !self.drbg.is_seeded() {
            out.request_entropy(ENTROPY_REQUEST);
            send(
                out,
                ModuleId::Ui,
                UiError {
                    call: 0,
                    code: ErrorCode::Internal,
                },
            );
            return;
        }
        if self.own_key.is_none() {
            // Storage may have been unlocked since we started: ask, and
            // place the call when the key arrives (or fail if it is refused).
            self.ask_public_key(out);
            self.waiting_call = Some((target, mode));
            return;
        }
        out.request_entropy(ENTROPY_REQUEST);
        let id = self.new_call_id();
        let path = match mode {
            NetMode::Tor => PathKind::Tor,
            NetMode::Direct => PathKind::Tcp,
        };
        let mut call = Call {
            id,
            direction: Direction::Outgoing,
            path,
            phase: Phase::Dialing,
            deadline: Some(now + self.config.dial_timeout),
            peer_contact: None,
            peer_key: None,
            obf: None,
            callback: None,
        };
        let address = match target {
            CallTarget::Contact(cid) => {
                call.phase = Phase::Lookup;
                call.deadline = Some(now + self.config.step_timeout);
                call.peer_contact = Some(cid);
                None
            }
            CallTarget::Address(a) => Some(a),
        };
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
        match address {
            Some(address) => self.dial(id, address, out),
            None => match (
                self.request(id, Purpose::Target),
                self.find(id).and_then(|c| c.peer_contact),
            ) {
                (Some(req), Some(cid)) => {
                    send(
                        out,
                        ModuleId::Storage,
                        ContactLookup {
                            req,
                            query: ContactQuery::Id(cid),
                        },
                    );
                    if let Some(c) = self.find(id) {
                        self.state(c, CallPhase::Dialing, out);
                    }
                }
                _ => self.end(id, EndReason::Busy, false, false, out),
            },
        }
    }

    fn dial(&mut self, id: CallId, address: Address, out: &mut Outbox) {
        if matches!(address, Address::None) {
            send(
                out,
                ModuleId::Ui,
                UiError {
                    call: id,
                    code: ErrorCode::NoAddress,
                },
            );
            self.end(id, EndReason::Unreachable, false, false, out);
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
        if let Some(c) = self.find(id) {
            self.state(c, CallPhase::Dialing, out);
        }
    }

    fn on_accept(&mut self, id: CallId, out: &mut Outbox) {
        let Some(c) = self.find_mut(id) else {
            send(
                out,
                ModuleId::Ui,
                UiError {
                    call: id,
                    code: ErrorCode::NoSuchCall,
                },
            );
            return;
        };
        let Phase::Live(live) = &mut c.phase else {
            send(
                out,
                ModuleId::Ui,
                UiError {
                    call: id,
                    code: ErrorCode::WrongState,
                },
            );
            return;
        };
        if live.local_accepted {
            return;
        }
        live.local_accepted = true;
        send_peer(live, id, &PeerAccept {}.into(), out);
        if live.talking() {
            c.deadline = None;
            let (cid, path) = (c.id, c.path);
            send(
                out,
                ModuleId::Ui,
                CallState {
                    call: cid,
                    phase: CallPhase::InCall,
                    path,
                },
            );
        }
    }

    fn with_live<R>(&mut self, id: CallId, f: impl FnOnce(&mut Live, &mut Drbg) -> R) -> Option<R> {
        let drbg = &mut self.drbg;
        let c = self.calls.iter_mut().flatten().find(|c| c.id == id)?;
        match &mut c.phase {
            Phase::Live(l) => Some(f(l, drbg)),
            _ => None,
        }
    }

    fn on_compare_secret(&mut self, id: CallId, phrase: &[u8], out: &mut Outbox) {
        let r = self.with_live(id, |live, drbg| {
            let ctx = Context {
                k_cmp: &live.k_cmp,
                sid: &live.sid,
            };
            let step = live.compare.user(phrase, &ctx, drbg);
            emit_compare(live, id, step, out);
        });
        if r.is_none() {
            send(
                out,
                ModuleId::Ui,
                UiError {
                    call: id,
                    code: ErrorCode::WrongState,
                },
            );
        }
    }

    fn on_send_contact(&mut self, id: CallId, contact: ContactId, out: &mut Outbox) {
        let busy = match self.find(id).map(|c| &c.phase) {
            Some(Phase::Live(l)) => l.xfer_out.is_some(),
            _ => true,
        };
        if busy {
            send(
                out,
                ModuleId::Ui,
                UiError {
                    call: id,
                    code: ErrorCode::WrongState,
                },
            );
            return;
        }
        if contact == 0 {
            match self.own_key {
                Some(key) => {
                    let address = self.own_address.clone();
                    self.start_xfer(id, key, &address, out);
                }
                None => send(
                    out,
                    ModuleId::Ui,
                    UiError {
                        call: id,
                        code: ErrorCode::StoreLocked,
                    },
                ),
            }
            return;
        }
        match self.request(id, Purpose::SendLookup) {
            Some(req) => send(
                out,
                ModuleId::Storage,
                ContactLookup {
                    req,
                    query: ContactQuery::Id(contact),
                },
            ),
            None => send(
                out,
                ModuleId::Ui,
                UiError {
                    call: id,
                    code: ErrorCode::Internal,
                },
            ),
        }
    }

    fn start_xfer(&mut self, id: CallId, key: Point, address: &Address, out: &mut Outbox) {
        // The transfer carries onion addresses only (fixed 32 bytes + port,
        // as the seed): a direct-TCP address is a local arrangement and is
        // not sent; the key alone is, and the receiver adds the address.
        let address = match address {
            Address::Tcp { .. } => &Address::None,
            a => a,
        };
        let r = self.with_live(id, |live, _| match xfer::send(&live.kx_tx, key, address) {
            Ok((st, msg)) => {
                live.xfer_out = Some(st);
                send_peer(live, id, &msg.into(), out);
                true
            }
            Err(_) => false,
        });
        if r != Some(true) {
            send(
                out,
                ModuleId::Ui,
                UiError {
                    call: id,
                    code: ErrorCode::BadAddress,
                },
            );
        }
    }

    // ---- storage -----------------------------------------------------------

    fn on_storage_answer(
        &mut self,
        now: Instant,
        req: u16,
        answer: StorageAnswer,
        out: &mut Outbox,
    ) {
        let Some(p) = self.take_pending(req) else {
            self.refuse();
            return;
        };
        let id = p.call;
        if self.find(id).is_none() {
            return;
        }
        match (p.purpose, answer) {
            (Purpose::Target, StorageAnswer::Contact(contact)) => {
                let dial_timeout = self.config.dial_timeout;
                if let Some(c) = self.find_mut(id) {
                    c.peer_contact = Some(contact.id);
                    c.peer_key = (contact.key != [0u8; 32]).then(|| Point::from_bytes(contact.key));
                    c.deadline = Some(now + dial_timeout);
                }
                self.dial(id, contact.address, out);
            }
            (Purpose::Target, _) => {
                send(
                    out,
                    ModuleId::Ui,
                    UiError {
                        call: id,
                        code: ErrorCode::UnknownContact,
                    },
                );
                self.end(id, EndReason::Unreachable, false, false, out);
            }
            (Purpose::IkeTag, StorageAnswer::Product(product)) => {
                self.on_tag(now, id, &product, out)
            }
            (Purpose::IkeTag, _) => self.abort_ike(id, IkeError::Storage, out),
            (Purpose::PeerLookup, answer) => {
                let known = match answer {
                    StorageAnswer::Contact(c) => Some(c.id),
                    _ => None,
                };
                self.ike_step(now, id, IkeInput::Lookup(known), out);
            }
            (Purpose::SendLookup, StorageAnswer::Contact(c)) => {
                self.start_xfer(id, Point::from_bytes(c.key), &c.address, out);
            }
            (Purpose::SendLookup, _) => {
                send(
                    out,
                    ModuleId::Ui,
                    UiError {
                        call: id,
                        code: ErrorCode::UnknownContact,
                    },
                );
            }
            (Purpose::AddContact(name), StorageAnswer::Added(cid)) => {
                send(
                    out,
                    ModuleId::Ui,
                    ContactReceived {
                        call: id,
                        id: cid,
                        name,
                    },
                );
            }
            (Purpose::AddContact(_), _) => {
                // Already in the book (key taken) or the book refused: the
                // received contact is dropped; nothing secret to report.
            }
            (Purpose::CallBack, StorageAnswer::Contact(c)) => {
                // Call the caller back at the address we hold for them: over
                // Tor, only the owner of that onion address can answer, which
                // binds it to the key just authenticated; the second path
                // also carries a copy of the voice.
                if !matches!(c.address, Address::None)
                    && let Some(call) = self.find_mut(id)
                {
                    call.callback = Some(CallBack {
                        address: c.address.clone(),
                        tries: 1,
                        retry_at: None,
                    });
                    send(
                        out,
                        ModuleId::Transport,
                        susurro_wire::DoublePath {
                            call: id,
                            address: c.address,
                        },
                    );
                }
            }
            (Purpose::CallBack, _) => {}
        }
    }

    /// Transport switched to `Kt`. The callee of an authenticated call
    /// from a contact with a stored address now calls them back there
    /// (`DoublePath`, after `TransportKeyed` as transport requires).
    fn on_transport_keyed(&mut self, id: CallId, out: &mut Outbox) {
        let Some(c) = self.find(id) else {
            return;
        };
        let (Direction::Incoming, Some(cid)) = (c.direction, c.peer_contact) else {
            return;
        };
        if let Some(req) = self.request(id, Purpose::CallBack) {
            send(
                out,
                ModuleId::Storage,
                ContactLookup {
                    req,
                    query: ContactQuery::Id(cid),
                },
            );
        }
    }

    /// Sends the call-backs that are due again.
    fn retry_callbacks(&mut self, now: Instant, out: &mut Outbox) {
        for c in self.calls.iter_mut().flatten() {
            let Some(cb) = &mut c.callback else {
                continue;
            };
            if cb.retry_at.is_some_and(|t| t <= now) {
                cb.retry_at = None;
                cb.tries += 1;
                send(
                    out,
                    ModuleId::Transport,
                    susurro_wire::DoublePath {
                        call: c.id,
                        address: cb.address.clone(),
                    },
                );
            }
        }
    }

    fn on_tag(
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

    // ---- transport ---------------------------------------------------------

    fn incoming(
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
        out.request_entropy(ENTROPY_REQUEST);
        let ok = self.insert(Call {
            id,
            direction,
            path,
            phase: Phase::Dialing,
            deadline: Some(now + self.config.dial_timeout),
            peer_contact: None,
            peer_key: None,
            obf: None,
            callback: None,
        });
        if !ok {
            send(out, ModuleId::Transport, Terminate { call: id });
        }
        ok
    }

    fn on_obfuscation_open(
        &mut self,
        now: Instant,
        id: CallId,
        direction: Direction,
        out: &mut Outbox,
    ) {
        if !self.incoming(now, id, direction, PathKind::Tcp, out) {
            return;
        }
        let mut pair = None;
        for _ in 0..susurro_crypto::x25519::KEYGEN_ATTEMPTS {
            let seed = self.drbg.secret::<33>();
            let mut k = [0u8; 32];
            k.copy_from_slice(&seed.expose()[..32]);
            let r = EphemeralKeyPair::from_secret(&k, seed.expose()[32]);
            zeroize::Zeroize::zeroize(&mut k);
            if let Ok(p) = r {
                pair = Some(p);
                break;
            }
        }
        let Some(pair) = pair else {
            self.end(id, EndReason::ProtocolError, false, true, out);
            return;
        };
        let representative = pair.representative().to_bytes();
        if let Some(c) = self.find_mut(id) {
            c.obf = Some(pair);
            let cid = c.id;
            send(
                out,
                ModuleId::Transport,
                ObfuscationKey {
                    call: cid,
                    representative,
                },
            );
        }
        if let Some(c) = self.find(id) {
            self.state(c, CallPhase::Obfuscating, out);
        }
    }

    fn on_obfuscation_remote(&mut self, id: CallId, remote: [u8; 32], out: &mut Outbox) {
        let Some(c) = self.find_mut(id) else {
            self.refuse();
            return;
        };
        let Some(pair) = c.obf.take() else {
            self.refuse();
            return;
        };
        let ours = pair.representative().to_bytes();
        let (first, second) = match c.direction {
            Direction::Outgoing => (ours, remote),
            Direction::Incoming => (remote, ours),
        };
        match pair.diffie_hellman(&Representative::from_bytes(remote).to_point()) {
            Ok(dh) => {
                let key = kdf::<32>(labels::OBFUSCATION_KEY, dh.expose(), &[&first, &second]);
                send(
                    out,
                    ModuleId::Transport,
                    ObfuscationSecret {
                        call: id,
                        key: susurro_wire::Secret::new(*key.expose()),
                    },
                );
            }
            Err(_) => self.end(id, EndReason::ProtocolError, false, true, out),
        }
    }

    fn on_session_ready(
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
        let drbg = &mut self.drbg;
        let Some(c) = self.calls.iter_mut().flatten().find(|c| c.id == id) else {
            return;
        };
        if !matches!(c.phase, Phase::Dialing) || c.direction != direction {
            self.stats.refused = self.stats.refused.saturating_add(1);
            return;
        }
        c.path = path;
        c.deadline = Some(now + step);
        match direction {
            Direction::Outgoing => {
                let Some(own) = own else {
                    self.end(id, EndReason::StoreLocked, false, true, out);
                    return;
                };
                match ike::Originator::start(drbg, own, c.peer_key) {
                    Ok((st, x_masked)) => {
                        c.phase = Phase::Ike(Ike::OAwaitY(st));
                        send(out, ModuleId::Transport, IkeCommit { call: id, x_masked });
                        send(
                            out,
                            ModuleId::Ui,
                            CallState {
                                call: id,
                                phase: CallPhase::KeyExchange,
                                path,
                            },
                        );
                    }
                    Err(e) => self.abort_ike(id, e, out),
                }
            }
            Direction::Incoming => {
                c.phase = Phase::Ike(Ike::RAwaitCommit(ike::Responder::start(drbg)));
                send(out, ModuleId::Ui, IncomingCall { call: id, path });
                send(
                    out,
                    ModuleId::Ui,
                    CallState {
                        call: id,
                        phase: CallPhase::KeyExchange,
                        path,
                    },
                );
            }
        }
    }

    fn ike_step(&mut self, now: Instant, id: CallId, input: IkeInput, out: &mut Outbox) {
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
                let (s, ma, mx) = s.on_tag(&ta);
                send(out, t, IkeAuthA { call: id, ma, mx });
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
                        let req = self
                            .request(id, Purpose::PeerLookup)
                            .ok_or(IkeError::Storage)?;
                        send(
                            out,
                            ModuleId::Storage,
                            ContactLookup {
                                req,
                                query: ContactQuery::Key(a.to_bytes()),
                            },
                        );
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
                return self.finish_responder(id, st, Some((m.ma, m.mx)), known, out);
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
        auth: Option<([u8; ike::TAG_LEN], [u8; ike::TAG_LEN])>,
        known: Option<Option<ContactId>>,
        out: &mut Outbox,
    ) -> Result<Next, IkeError> {
        match (auth, known) {
            (Some((ma, mx)), Some(contact)) => {
                let (est, mb, my) = st.on_auth_a(&ma, &mx, contact.is_some(), &mut self.drbg)?;
                send(out, ModuleId::Transport, IkeAuthB { call: id, mb, my });
                Ok(Next::Done(est, contact))
            }
            (auth, known) => Ok(Next::Ike(Ike::RAwaitMa { st, auth, known })),
        }
    }

    fn establish(
        &mut self,
        now: Instant,
        id: CallId,
        est: Established,
        contact: Option<ContactId>,
        out: &mut Outbox,
    ) {
        let ring = self.config.ring_timeout;
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
            local_accepted: est.role == Role::Originator,
            remote_accepted: est.role == Role::Responder,
            xfer_out: None,
            xfer_in: None,
            compare: Compare::new(),
        };
        let authenticated = est.authenticated;
        let peer_fingerprint = if authenticated {
            est.peer_key.map(|p| fingerprint(&p))
        } else {
            None
        };
        c.peer_key = if authenticated { est.peer_key } else { None };
        c.peer_contact = if authenticated { contact } else { None };
        c.deadline = Some(now + ring);
        c.phase = Phase::Live(live);
        let path = c.path;
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
                authenticated,
                peer: if authenticated { contact } else { None },
                peer_fingerprint,
            },
        );
        let phase = match est.role {
            Role::Originator => CallPhase::RingingRemote,
            Role::Responder => CallPhase::Ringing,
        };
        send(
            out,
            ModuleId::Ui,
            CallState {
                call: id,
                phase,
                path,
            },
        );
    }

    fn on_peer_data(&mut self, id: CallId, sealed: &[u8], out: &mut Outbox) {
        let Some(c) = self.find_mut(id) else {
            self.refuse();
            return;
        };
        let Phase::Live(live) = &mut c.phase else {
            self.stats.control_rejected = self.stats.control_rejected.saturating_add(1);
            return;
        };
        let mut pt = [0u8; caps::SEALED];
        let opened = match sealed.split_first_chunk::<SEQ_LEN>() {
            Some((seq, body)) => live.ctl_rx.open(u32::from_le_bytes(*seq), body, &mut pt),
            None => Err(SessionError::Truncated),
        };
        let Ok((_, n)) = opened else {
            self.stats.control_rejected = self.stats.control_rejected.saturating_add(1);
            return;
        };
        // Authentic from here on: a malformed message is the peer breaking
        // the protocol, and ends the call.
        let decoded = PeerMessage::decode_from(&pt[..n]);
        zeroize::Zeroize::zeroize(&mut pt);
        let Ok(msg) = decoded else {
            self.end(id, EndReason::ProtocolError, true, true, out);
            return;
        };
        self.on_peer_message(id, msg, out);
    }

    fn on_peer_message(&mut self, id: CallId, msg: PeerMessage, out: &mut Outbox) {
        let mut add: Option<(Point, Address, u32)> = None;
        let mut hangup = None;
        let drbg = &mut self.drbg;
        let Some(c) = self.calls.iter_mut().flatten().find(|c| c.id == id) else {
            return;
        };
        let path = c.path;
        let Phase::Live(live) = &mut c.phase else {
            return;
        };
        match msg {
            PeerMessage::PeerHangup(m) => {
                hangup = Some(match m.reason {
                    EndReason::Rejected => EndReason::Rejected,
                    _ => EndReason::RemoteHangup,
                });
            }
            PeerMessage::PeerAccept(_) => {
                if live.role == Role::Originator && !live.remote_accepted {
                    live.remote_accepted = true;
                    c.deadline = None;
                    send(
                        out,
                        ModuleId::Ui,
                        CallState {
                            call: id,
                            phase: CallPhase::InCall,
                            path,
                        },
                    );
                }
            }
            PeerMessage::PeerDirect(m) => {
                let phase = if m.enable {
                    susurro_wire::DirectPhase::RemoteRequested
                } else {
                    susurro_wire::DirectPhase::Off
                };
                send(
                    out,
                    ModuleId::Ui,
                    susurro_wire::DirectState { call: id, phase },
                );
            }
            PeerMessage::XferAddress(m) => {
                let (st, reply) = xfer::receive(&live.kx_rx, &m, drbg);
                live.xfer_in = Some(st);
                send_peer(live, id, &reply.into(), out);
            }
            PeerMessage::XferChallenge(m) => {
                if let Some(Ok(reply)) = live
                    .xfer_out
                    .take()
                    .map(|st| st.on_challenge(&live.kx_tx, &m))
                {
                    send_peer(live, id, &reply.into(), out);
                } else {
                    send(
                        out,
                        ModuleId::Ui,
                        UiError {
                            call: id,
                            code: ErrorCode::WrongState,
                        },
                    );
                }
            }
            PeerMessage::XferKey(m) => {
                if let Some(Ok((key, address))) =
                    live.xfer_in.take().map(|st| st.on_key(&live.kx_rx, &m))
                {
                    add = Some((key, address, live.sas));
                }
            }
            m @ (PeerMessage::CompareU(_)
            | PeerMessage::CompareV(_)
            | PeerMessage::CompareMa(_)
            | PeerMessage::CompareMb(_)) => {
                let ctx = Context {
                    k_cmp: &live.k_cmp,
                    sid: &live.sid,
                };
                let step = live.compare.on_peer(&m, &ctx, drbg);
                emit_compare(live, id, step, out);
            }
        }
        if let Some(reason) = hangup {
            self.end(id, reason, false, true, out);
        }
        if let Some((key, address, sas_value)) = add {
            let name = sas::contact_name(sas_value, &key);
            if let Some(req) = self.request(id, Purpose::AddContact(name.clone())) {
                send(
                    out,
                    ModuleId::Storage,
                    ContactAdd {
                        req,
                        name,
                        key: key.to_bytes(),
                        address,
                        note: Note::default(),
                        flags: contact_flags::AUTO_ADDED,
                    },
                );
            }
        }
    }

    fn on_voice(&mut self, id: CallId, seq: u32, sealed: &[u8]) {
        let mut pt = [0u8; caps::VOICE];
        let opened = match self.find_mut(id).map(|c| &mut c.phase) {
            Some(Phase::Live(live)) if live.talking() => {
                live.voice_rx.open(seq, sealed, &mut pt).ok()
            }
            _ => None,
        };
        let Some((index, n)) = opened else {
            self.stats.voice_rejected = self.stats.voice_rejected.saturating_add(1);
            return;
        };
        let frame = VoiceFrame {
            call: id,
            index,
            payload: heapless::Vec::from_slice(&pt[..n]).unwrap_or_default(),
        };
        zeroize::Zeroize::zeroize(&mut pt);
        self.hear(Heard::Frame(frame));
    }

    /// Transport's word that a frame is missing this period: passed to the
    /// decoder in order with the frames, for a call that is talking.
    fn on_voice_gap(&mut self, gap: VoiceGap) {
        match self.find(gap.call).map(|c| &c.phase) {
            Some(Phase::Live(live)) if live.talking() => self.hear(Heard::Gap(gap)),
            _ => self.stats.voice_rejected = self.stats.voice_rejected.saturating_add(1),
        }
    }

    fn hear(&mut self, h: Heard) {
        if self.voice_rx.is_full() {
            let _ = self.voice_rx.pop_front();
            self.stats.voice_dropped = self.stats.voice_dropped.saturating_add(1);
        }
        let _ = self.voice_rx.push_back(h);
    }

    fn on_message(&mut self, now: Instant, env: Envelope, out: &mut Outbox) {
        let kind = env.msg.kind();
        if env.dst != ModuleId::Cryptor || !kind.routes().contains(&(env.src, ModuleId::Cryptor)) {
            self.refuse();
            return;
        }
        // The IKE steps go to the IKE driver whole.
        if kind.is_ike_step() {
            let id = env.msg.call().unwrap_or(0);
            self.ike_step(now, id, IkeInput::Msg(env.msg), out);
            return;
        }
        let Ok(msg) = Inbound::try_from(env.msg) else {
            self.refuse();
            return;
        };
        match msg {
            // ui
            Inbound::Call(m) => self.on_call(now, m.target, m.mode, out),
            Inbound::Accept(m) => self.on_accept(m.call, out),
            Inbound::Hangup(m) => {
                if self.find(m.call).is_some() {
                    let reason = match self.find(m.call).map(|c| (&c.phase, c.direction)) {
                        Some((Phase::Live(l), Direction::Incoming)) if !l.local_accepted => {
                            EndReason::Rejected
                        }
                        _ => EndReason::LocalHangup,
                    };
                    self.end(m.call, reason, true, true, out);
                } else {
                    send(
                        out,
                        ModuleId::Ui,
                        UiError {
                            call: m.call,
                            code: ErrorCode::NoSuchCall,
                        },
                    );
                }
            }
            Inbound::Mute(m) => {
                self.muted = m.on;
                send(out, ModuleId::Ui, MuteState { on: m.on });
            }
            Inbound::SetDirect(m) => {
                if self
                    .with_live(m.call, |live, _| {
                        send_peer(
                            live,
                            m.call,
                            &susurro_wire::PeerDirect { enable: m.enable }.into(),
                            out,
                        );
                    })
                    .is_some()
                {
                    send(
                        out,
                        ModuleId::Transport,
                        DirectRequest {
                            call: m.call,
                            enable: m.enable,
                        },
                    );
                } else {
                    send(
                        out,
                        ModuleId::Ui,
                        UiError {
                            call: m.call,
                            code: ErrorCode::WrongState,
                        },
                    );
                }
            }
            Inbound::CompareSecret(m) => self.on_compare_secret(m.call, m.phrase.expose(), out),
            Inbound::SendContact(m) => self.on_send_contact(m.call, m.contact, out),
            Inbound::NetworkConfig(m) => {
                // The ui configures the network once the store is unlocked:
                // a good moment to learn our key if we could not at start.
                if self.own_key.is_none() {
                    self.ask_public_key(out);
                }
                send(out, ModuleId::Transport, m);
            }
            Inbound::Reset(_) => {
                let ids: heapless::Vec<CallId, MAX_CALLS> = self.calls().collect();
                for id in ids {
                    self.end(id, EndReason::LocalHangup, true, true, out);
                }
            }
            // storage
            Inbound::PublicKey(m) => {
                self.key_requests = self.key_requests.saturating_sub(1);
                self.own_key = Some(Point::from_bytes(m.key));
                if let Some((target, mode)) = self.waiting_call.take() {
                    self.on_call(now, target, mode, out);
                }
            }
            Inbound::ScalarMultResult(m) => {
                self.on_storage_answer(now, m.req, StorageAnswer::Product(m.result), out)
            }
            Inbound::ContactFound(m) => {
                self.on_storage_answer(now, m.req, StorageAnswer::Contact(m.contact), out)
            }
            Inbound::ContactNotFound(m) => {
                self.on_storage_answer(now, m.req, StorageAnswer::Failed, out)
            }
            Inbound::ContactAdded(m) => {
                self.on_storage_answer(now, m.req, StorageAnswer::Added(m.id), out)
            }
            Inbound::StorageError(m) if m.op == susurro_wire::Kind::GetPublicKey.code() => {
                self.key_requests = self.key_requests.saturating_sub(1);
                // Only the answer to the latest request speaks for the
                // waiting call (an older refusal may predate an unlock).
                if self.key_requests == 0 && self.waiting_call.take().is_some() {
                    send(
                        out,
                        ModuleId::Ui,
                        UiError {
                            call: 0,
                            code: ErrorCode::StoreLocked,
                        },
                    );
                }
            }
            Inbound::StorageError(m) => {
                self.on_storage_answer(now, m.req, StorageAnswer::Failed, out)
            }
            Inbound::StoreStatus(_) | Inbound::Entropy(_) => {}
            // transport
            Inbound::TransportReady(_) => {
                if self.drbg.is_seeded() {
                    let seed = self.drbg.secret::<32>();
                    send(
                        out,
                        ModuleId::Transport,
                        TransportSeed {
                            seed: susurro_wire::Secret::new(*seed.expose()),
                        },
                    );
                }
            }
            Inbound::ObfuscationOpen(m) => self.on_obfuscation_open(now, m.call, m.direction, out),
            Inbound::ObfuscationRemote(m) => {
                self.on_obfuscation_remote(m.call, m.representative, out)
            }
            Inbound::SessionReady(m) => {
                self.on_session_ready(now, m.call, m.direction, m.path, out)
            }
            Inbound::PeerData(m) => self.on_peer_data(m.call, m.sealed.as_slice(), out),
            Inbound::Voice(m) => self.on_voice(m.call, m.seq, m.sealed.as_slice()),
            Inbound::VoiceGap(m) => self.on_voice_gap(m),
            Inbound::Terminated(m) => {
                if self.find(m.call).is_some() {
                    self.end(m.call, m.reason, false, false, out);
                }
            }
            Inbound::PathState(m) => {
                // The second path died: call back again, later.
                if !m.up
                    && m.paths == 1
                    && let Some(cb) = self.find_mut(m.call).and_then(|c| c.callback.as_mut())
                    && cb.tries < CALLBACK_TRIES
                {
                    cb.retry_at = Some(now + CALLBACK_RETRY);
                }
                if let Some(c) = self.find(m.call)
                    && matches!(&c.phase, Phase::Live(l) if l.talking())
                {
                    if m.up && m.paths >= 2 {
                        self.state(c, CallPhase::Doubled, out);
                    } else if !m.up && m.paths == 1 {
                        self.state(c, CallPhase::InCall, out);
                    }
                }
            }
            // A call-back that could not reach the caller's address: tried
            // again after a pause (bounded); the call goes on on one path
            // meanwhile, and the ui hears nothing of it.
            Inbound::Error(m)
                if matches!(m.code, ErrorCode::PeerUnreachable | ErrorCode::PeerTimeout)
                    && self.find(m.call).is_some_and(|c| c.callback.is_some()) =>
            {
                if let Some(cb) = self.find_mut(m.call).and_then(|c| c.callback.as_mut())
                    && cb.tries < CALLBACK_TRIES
                {
                    cb.retry_at = Some(now + CALLBACK_RETRY);
                }
            }
            Inbound::NetworkStatus(m) => {
                self.own_address = m.address.clone();
                send(out, ModuleId::Ui, m);
            }
            m @ (Inbound::DirectState(_) | Inbound::LinkQuality(_) | Inbound::Error(_)) => {
                send(out, ModuleId::Ui, m)
            }
            Inbound::TransportKeyed(m) => self.on_transport_keyed(m.call, out),
        }
    }
}

#[allow(clippy::large_enum_variant)] // no heap to box into
enum StorageAnswer {
    Product(susurro_wire::Secret<32>),
    Contact(susurro_wire::Contact),
    Added(ContactId),
    Failed,
}

#[allow(clippy::large_enum_variant)] // no heap to box into
enum IkeInput {
    Msg(Message),
    Tag(susurro_crypto::SharedPoint),
    Lookup(Option<ContactId>),
}

enum Next {
    Ike(Ike),
    Done(Established, Option<ContactId>),
}

fn send_peer(live: &mut Live, call: CallId, msg: &PeerMessage, out: &mut Outbox) {
    let mut pt = [0u8; caps::SEALED];
    let Ok(n) = msg.encode_to(&mut pt[..caps::SEALED - SEQ_LEN - CONTROL_TAG_LEN]) else {
        return;
    };
    let mut sealed = [0u8; caps::SEALED];
    let (head, body) = sealed.split_at_mut(SEQ_LEN);
    let sealed_len = live.ctl_tx.seal(&pt[..n], body);
    zeroize::Zeroize::zeroize(&mut pt);
    let Ok((seq, len)) = sealed_len else {
        return;
    };
    head.copy_from_slice(&seq.to_le_bytes());
    if let Ok(sealed) = Bytes::new(&sealed[..SEQ_LEN + len]) {
        send(out, ModuleId::Transport, PeerData { call, sealed });
    }
}

fn emit_compare(live: &mut Live, call: CallId, step: crate::compare::Step, out: &mut Outbox) {
    let (msg, outcome) = step;
    if let Some(m) = msg {
        send_peer(live, call, &m, out);
    }
    if let Some(outcome) = outcome {
        send(out, ModuleId::Ui, CompareResult { call, outcome });
    }
}

impl ModuleCore for CryptorCore {
    fn module(&self) -> ModuleId {
        ModuleId::Cryptor
    }

    fn handle(&mut self, now: Instant, input: Input<'_>, out: &mut Outbox) {
        match input {
            Input::Start => {
                out.request_entropy(ENTROPY_REQUEST);
                self.ask_public_key(out);
            }
            Input::Entropy(bytes) => self.drbg.reseed(bytes),
            Input::Timer => {
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
                        self.end(id, EndReason::Timeout, true, true, out);
                    }
                }
                self.retry_callbacks(now, out);
            }
            Input::Message(env) => self.on_message(now, env, out),
        }
    }

    fn deadline(&self) -> Option<Instant> {
        self.calls
            .iter()
            .flatten()
            .flat_map(|c| [c.deadline, c.callback.as_ref().and_then(|b| b.retry_at)])
            .flatten()
            .min()
    }
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
