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
//!
//! This module holds the core's state, its host-facing API and the
//! dispatch of every input; the work is done in private submodules, one
//! concern each, all of them `impl CryptorCore` blocks over the same state:
//!
//! - `calls`: the call table, placing, answering and ending calls, and
//!   their deadlines;
//! - `storage_mux`: requests to storage by request id, and where each
//!   answer goes;
//! - `obfuscation`: the per-call key agreement for transport's obfuscation;
//! - `ike_driver`: runs the typestate key exchange of [`crate::ike`] over
//!   transport's IKE messages and storage's scalar multiplications;
//! - `control`: the encrypted control channel to the peer (accept, hangup,
//!   direct mode, contact transfer, secret compare);
//! - `callback`: the call-back of an authenticated caller over a second
//!   path (`DoublePath`) and its retries;
//! - `voice`: sealing and opening voice frames, the decoder's queue;
//! - `errors`: the host API's errors, the counters, and the ui's `ErrorReport`.

mod callback;
mod calls;
mod control;
mod errors;
mod ike_driver;
mod obfuscation;
mod storage_mux;
mod text;
mod voice;

use core::time::Duration;

use susurro_crypto::Point;
use susurro_wire::module::{Input, ModuleCore, Outbox};
use susurro_wire::{
    Address, CallId, CallPurpose, CallTarget, EndReason, Envelope, ErrorCode, Instant, Message,
    ModuleId, MuteState, NetMode, TransportSeed,
};

use crate::drbg::Drbg;

use calls::{Call, MAX_CALLS, Teardown};
use ike_driver::IkeInput;
use storage_mux::{MAX_PENDING, Pending, StorageAnswer};

pub use callback::{CALLBACK_RETRY, CALLBACK_TRIES};
pub use errors::{CryptorError, Stats};
pub use susurro_wire::INCOMING_CALL_BASE;
use voice::VOICE_QUEUE;
pub use voice::{Heard, VoiceFrame};

/// Bytes of entropy asked for at start and at every new call.
pub(crate) const ENTROPY_REQUEST: usize = 64;

susurro_wire::restricted_msg! {
    /// What the cryptor core may receive, the IKE steps apart (they go to
    /// the IKE driver whole). A message the table newly routes to the
    /// cryptor fails the assertion below until it is listed here, and then
    /// the `match` in `on_message` until it is handled.
    enum Inbound {
        // ui
        Call, Accept, Hangup, Mute, SetDirect, CompareSecret, SendContact, NetworkConfig, Reset,
        SendText, SendReceipt, SendFile,
        // storage
        PublicKey, ScalarMultResult, ContactFound, ContactNotFound, ContactAdded, StorageError,
        StoreStatus, Entropy,
        // transport
        TransportReady, ObfuscationOpen, ObfuscationRemote, SessionReady, PeerData, Voice,
        VoiceGap, Terminated, PathState, ErrorReport, NetworkStatus, DirectState, LinkQuality,
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

/// The cryptor module core.
pub struct CryptorCore {
    config: Config,
    drbg: Drbg,
    own_key: Option<Point>,
    own_address: Address,
    next_call: CallId,
    next_req: u16,
    calls: [Option<Call>; MAX_CALLS],
    /// Incoming connections' obfuscation key agreements (no call slot yet).
    obf_pending: heapless::Vec<obfuscation::ObfPending, { obfuscation::OBF_PENDING }>,
    pending: heapless::Vec<Pending, MAX_PENDING>,
    muted: bool,
    voice_rx: heapless::Deque<Heard, VOICE_QUEUE>,
    stats: Stats,
    /// A call asked for before our public key arrived (placed once it does).
    waiting_call: Option<(CallTarget, NetMode, CallPurpose)>,
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
            obf_pending: heapless::Vec::new(),
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
        Some(self.find(call)?.live()?.sas)
    }

    /// Whether the call is talking (keys agreed and answered).
    #[must_use]
    pub fn is_talking(&self, call: CallId) -> bool {
        self.find(call).is_some_and(Call::is_talking)
    }

    /// Ids of the calls in the table.
    pub fn calls(&self) -> impl Iterator<Item = CallId> + '_ {
        self.calls.iter().flatten().map(|c| c.id)
    }

    /// Hands transport a fresh seed for its own generator.
    fn seed_transport(&mut self, out: &mut Outbox) {
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
            Inbound::Call(m) => self.on_call(now, m.target, m.mode, m.purpose, out),
            Inbound::Accept(m) => self.on_accept(m.call, out),
            Inbound::Hangup(m) => self.on_hangup(m.call, out),
            Inbound::Mute(m) => {
                self.muted = m.on;
                send(out, ModuleId::Ui, MuteState { on: m.on });
            }
            Inbound::SetDirect(m) => self.on_set_direct(m.call, m.enable, out),
            Inbound::CompareSecret(m) => self.on_compare_secret(m.call, m.phrase.expose(), out),
            Inbound::SendContact(m) => self.on_send_contact(m.call, m.contact, out),
            Inbound::SendText(m) => self.on_send_text(now, m, out),
            Inbound::SendReceipt(m) => self.on_send_receipt(now, m.call, m.id, m.kind, out),
            Inbound::SendFile(m) => self.on_send_file(now, m, out),
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
                    self.end(id, EndReason::LocalHangup, Teardown::FULL, out);
                }
            }
            // storage
            Inbound::PublicKey(m) => self.on_public_key(now, m.key, out),
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
                self.on_public_key_refused(out)
            }
            Inbound::StorageError(m) => {
                self.on_storage_answer(now, m.req, StorageAnswer::Failed, out)
            }
            Inbound::StoreStatus(_) | Inbound::Entropy(_) => {}
            // transport
            Inbound::TransportReady(_) => self.seed_transport(out),
            Inbound::ObfuscationOpen(m) => self.on_obfuscation_open(now, m.call, m.direction, out),
            Inbound::ObfuscationRemote(m) => {
                self.on_obfuscation_remote(m.call, m.representative, out)
            }
            Inbound::SessionReady(m) => {
                self.on_session_ready(now, m.call, m.direction, m.path, out)
            }
            Inbound::PeerData(m) => self.on_peer_data(now, m.call, m.sealed.as_slice(), out),
            Inbound::Voice(m) => self.on_voice(m.call, m.seq, m.sealed.as_slice()),
            Inbound::VoiceGap(m) => self.on_voice_gap(m),
            Inbound::Terminated(m) => {
                self.obf_pending.retain(|p| p.id != m.call);
                if self.find(m.call).is_some() {
                    self.end(m.call, m.reason, Teardown::LOCAL_ONLY, out);
                }
            }
            Inbound::PathState(m) => self.on_path_state(now, m.call, m.up, m.paths, out),
            // A call-back that could not reach the caller's address: tried
            // again after a pause (bounded); the call goes on on one path
            // meanwhile, and the ui hears nothing of it.
            Inbound::ErrorReport(m)
                if matches!(m.code, ErrorCode::PeerUnreachable | ErrorCode::PeerTimeout)
                    && self.find(m.call).is_some_and(|c| c.callback.is_some()) =>
            {
                self.retry_callback_later(now, m.call);
            }
            Inbound::NetworkStatus(m) => {
                self.own_address = m.address.clone();
                send(out, ModuleId::Ui, m);
            }
            m @ (Inbound::DirectState(_) | Inbound::LinkQuality(_) | Inbound::ErrorReport(_)) => {
                send(out, ModuleId::Ui, m)
            }
            Inbound::TransportKeyed(m) => self.on_transport_keyed(m.call, out),
        }
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
                self.expire_obfuscation(now, out);
                self.expire_calls(now, out);
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
            .chain(self.obf_pending.iter().map(|p| p.deadline))
            .min()
    }
}
