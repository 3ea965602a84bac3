//! [`UiCore`]: the ui module as a sans-IO [`ModuleCore`].

mod calls;
mod contacts;
mod network;
mod store;
mod text;

use susurro_wire::module::{Input, ModuleCore, Outbox};
use susurro_wire::{
    Address, Bytes, CallId, CallPurpose, ContactId, ContactList, ContactLookup, ContactQuery,
    Direction, EndReason, Envelope, ErrorCode, GetPublicKey, Hangup, HistoryKeyRequest, Instant,
    Kind, LinkPhase, Message, ModuleId, NetMode, NetworkConfig, Note, Password, PathKind, Reset,
    Secret, StoreState, StoreStatusRequest, Text, UnlockOutcome, caps, contact_flags,
};

use crate::action::{Action, UiError};
use crate::event::{EVENT_QUEUE, UiEvent};
use crate::text::UserError;

susurro_wire::restricted_msg! {
    /// What the ui core may receive. A message the table newly routes to the
    /// ui fails the assertion below until it is listed here, and then the
    /// `match` in `on_message` until it is handled.
    enum Inbound {
        // host
        RouteRefused, LinkStatus,
        // storage
        StoreStatus, UnlockResult, PublicKey, HistoryKey, ContactEntry, ContactListEnd, ContactAdded,
        ContactChanged, ContactFound, ContactNotFound, StorageError, Entropy,
        // cryptor
        CallState, IncomingCall, CallEstablished, CallEnded, MuteState, DirectState,
        CompareResult, ContactReceived, LinkQuality, NetworkStatus, ErrorReport, TextReceived,
        ReceiptReceived, FileReceived,
    }
}
const _: () = assert!(
    susurro_wire::unlisted_inbound(Inbound::KINDS, ModuleId::Ui, susurro_wire::Apart::Nothing)
        .is_none(),
    "a kind routed to the ui is missing from Inbound"
);
use crate::view::{
    CallView, MAX_CONTACTS, OwnKey, Phase, Quality, ReceivedContact, SetupStage, View,
};
use susurro_wire::Sas;

/// Storage requests with a request id the ui tracks at once.
pub(crate) const MAX_PENDING: usize = 8;
/// First request id the ui uses; ids stay in `0xC000..=0xFFFF`, away from
/// the cryptor's low ids (storage copies a cryptor's `ContactAdded` to the
/// ui with the cryptor's id).
pub(crate) const REQ_BASE: u16 = 0xC000;

/// Network settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkSettings {
    /// Tor or direct.
    pub mode: NetMode,
    /// Listen for calls.
    pub listen: bool,
    /// TCP port for direct mode (0: none).
    pub port: u16,
}

/// How the ui starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UiConfig {
    /// Sent to the cryptor at start (`None`: leave the network alone).
    pub network: Option<NetworkSettings>,
    /// Contacts asked for per `ContactList` request (storage sends at most
    /// 15 per answer).
    pub list_batch: u8,
    /// The front end keeps a message history and sends the `Delivered`
    /// receipt of a peer's message itself, once its history has it on disk
    /// (`Action::Delivered`). Without, the ui core sends it as soon as the
    /// message is complete.
    pub host_receipts: bool,
}

impl Default for UiConfig {
    fn default() -> Self {
        Self {
            network: None,
            list_batch: 15,
            host_receipts: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StoreOp {
    Create,
    Unlock,
    Lock,
    ChangePassword,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    AddContact,
    PeerLookup(ContactId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Listing {
    /// Asked for contacts after this id.
    after: ContactId,
    /// Start again from `ContactsView::after` when this one ends.
    again: bool,
}

/// The ui module core. See the crate docs.
#[derive(Debug)]
pub struct UiCore {
    config: UiConfig,
    view: View,
    events: heapless::Deque<UiEvent, EVENT_QUEUE>,
    store_op: Option<StoreOp>,
    listing: Option<Listing>,
    pending: heapless::Vec<(u16, Purpose), MAX_PENDING>,
    next_req: u16,
    lockout_until: Option<Instant>,
    cryptor_muted: bool,
    /// The key of the host's message history, while the store is unlocked.
    history_key: Option<Secret<32>>,
    /// The peer's file-transfer messages the front end has not taken.
    files: heapless::Deque<(CallId, Bytes<{ caps::FILE_BODY }>), FILE_QUEUE>,
}

/// File-transfer messages held for the front end ([`UiCore::take_file`]):
/// a front end takes them after every input, so a few suffice; more are
/// dropped oldest first and counted (`Counters::files_dropped`).
pub(crate) const FILE_QUEUE: usize = 4;

fn send(out: &mut Outbox, dst: ModuleId, msg: impl Into<Message>) -> Result<(), UiError> {
    out.send(dst, msg).map_err(|_| UiError::OutboxFull)
}

/// Sends from `handle`: a full outbox counts the refusal itself
/// (`Outbox::overflowed`), and nothing else can be done there.
fn post(out: &mut Outbox, dst: ModuleId, msg: impl Into<Message>) {
    let _ = out.send(dst, msg);
}

/// What ends call `id` at the cryptor: `Reset` for the outgoing call it
/// has not numbered yet, else `Hangup`.
fn end_call(id: CallId) -> Message {
    match id {
        0 => Reset {}.into(),
        call => Hangup { call }.into(),
    }
}

fn password(s: &str) -> Result<Password, UiError> {
    if s.is_empty() {
        return Err(UiError::EmptyPassword);
    }
    Password::new(s.as_bytes()).map_err(|_| UiError::PasswordTooLong)
}

/// A name storage will accept for a contact the user names.
fn name(s: &str) -> Result<susurro_wire::Name, UiError> {
    if s.is_empty() {
        return Err(UiError::EmptyName);
    }
    let n = Text::new(s).map_err(|_| UiError::NameTooLong)?;
    if s.trim() != s || s.starts_with('+') || s.chars().any(char::is_control) {
        return Err(UiError::BadName);
    }
    Ok(n)
}

fn note(s: &str) -> Result<Note, UiError> {
    let n = Text::new(s).map_err(|_| UiError::NoteTooLong)?;
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(UiError::BadNote);
    }
    Ok(n)
}

/// Checks what can be checked without the crypto library (storage also
/// checks that an onion key is a valid point).
fn address(a: &Address) -> Result<(), UiError> {
    match a {
        Address::None => Ok(()),
        Address::Onion { port, .. } if *port != 0 => Ok(()),
        Address::Tcp { host, port }
            if *port != 0
                && !host.as_str().is_empty()
                && host.as_str().bytes().all(|b| b.is_ascii_graphic()) =>
        {
            Ok(())
        }
        _ => Err(UiError::BadAddress),
    }
}

fn contact_id(id: ContactId) -> Result<ContactId, UiError> {
    if id == 0 {
        Err(UiError::InvalidContact)
    } else {
        Ok(id)
    }
}

impl Default for UiCore {
    fn default() -> Self {
        Self::new(UiConfig::default())
    }
}

impl UiCore {
    /// A core; it asks storage for its state at [`Input::Start`].
    #[must_use]
    pub fn new(config: UiConfig) -> Self {
        Self {
            config,
            view: View::new(),
            events: heapless::Deque::new(),
            store_op: None,
            listing: None,
            pending: heapless::Vec::new(),
            next_req: REQ_BASE,
            lockout_until: None,
            cryptor_muted: false,
            history_key: None,
            files: heapless::Deque::new(),
        }
    }

    /// What to render.
    #[must_use]
    pub fn view(&self) -> &View {
        &self.view
    }

    /// The key the front end encrypts its message history with
    /// (`KDF(STORAGE_HISTORY_KEY, identity secret)` from storage), while
    /// the store is unlocked; `None` before storage answered or once
    /// locked. [`UiEvent::HistoryKey`] says when it arrives.
    pub fn history_key(&self) -> Option<&Secret<32>> {
        self.history_key.as_ref()
    }

    /// The next event, oldest first.
    pub fn poll_event(&mut self) -> Option<UiEvent> {
        self.events.pop_front()
    }

    fn event(&mut self, e: UiEvent) {
        if self.events.is_full() {
            let _ = self.events.pop_front();
            self.view.counters.events_dropped = self.view.counters.events_dropped.saturating_add(1);
        }
        let _ = self.events.push_back(e);
    }

    fn error(&mut self, e: UserError) {
        self.view.last_error = Some(e);
        self.event(UiEvent::Error(e));
    }

    fn ignore(&mut self) {
        self.view.counters.ignored = self.view.counters.ignored.saturating_add(1);
    }

    fn new_req(&mut self, purpose: Purpose) -> Result<u16, UiError> {
        let req = self.next_req;
        self.pending
            .push((req, purpose))
            .map_err(|_| UiError::InProgress)?;
        self.next_req = self.next_req.checked_add(1).unwrap_or(REQ_BASE);
        Ok(req)
    }

    fn take_req(&mut self, req: u16) -> Option<Purpose> {
        let i = self.pending.iter().position(|(r, _)| *r == req)?;
        Some(self.pending.swap_remove(i).1)
    }

    // ---- store ---------------------------------------------------------------

    fn storage_reachable(&self) -> Result<(), UiError> {
        if self.view.store.connected {
            Ok(())
        } else {
            Err(UiError::StorageDisconnected)
        }
    }

    fn need_unlocked(&self) -> Result<(), UiError> {
        self.storage_reachable()?;
        match self.view.store.state {
            Some(StoreState::Unlocked) => Ok(()),
            None => Err(UiError::StoreUnknown),
            Some(StoreState::NoIdentity | StoreState::Wiped) => Err(UiError::NoIdentity),
            Some(StoreState::Damaged) => Err(UiError::StoreDamaged),
            Some(StoreState::Locked | StoreState::LockedOut) => Err(UiError::Locked),
        }
    }

    fn need_no_store_op(&self) -> Result<(), UiError> {
        match self.store_op {
            Some(_) => Err(UiError::InProgress),
            None => Ok(()),
        }
    }

    fn set_store(
        &mut self,
        now: Instant,
        state: Option<StoreState>,
        tries_left: u8,
        retry_after_s: u32,
        out: &mut Outbox,
    ) {
        let s = &mut self.view.store;
        let changed =
            s.state != state || s.tries_left != tries_left || s.retry_after_s != retry_after_s;
        let was_unlocked = s.state == Some(StoreState::Unlocked);
        s.state = state;
        s.tries_left = tries_left;
        s.retry_after_s = retry_after_s;
        self.lockout_until = (retry_after_s > 0)
            .then(|| now + core::time::Duration::from_secs(u64::from(retry_after_s)));
        let unlocked = state == Some(StoreState::Unlocked);
        if unlocked && !was_unlocked {
            post(out, ModuleId::Storage, GetPublicKey {});
            post(out, ModuleId::Storage, HistoryKeyRequest {});
            self.view.contacts.after = 0;
            self.start_listing(out);
        }
        if !unlocked {
            // The address book is private: gone from the screen when locked.
            self.listing = None;
            self.history_key = None;
            if !self.view.contacts.entries.is_empty() || self.view.contacts.loading {
                self.view.contacts = Default::default();
                self.event(UiEvent::ContactsChanged);
            }
            self.pending.clear();
        }
        if matches!(
            state,
            Some(StoreState::NoIdentity | StoreState::Wiped | StoreState::Damaged)
        ) && self.view.own_key.take().is_some()
        {
            self.event(UiEvent::IdentityChanged);
        }
        if changed {
            self.event(UiEvent::StoreChanged(state));
        }
    }

    fn on_unlock_result(&mut self, now: Instant, m: susurro_wire::UnlockResult, out: &mut Outbox) {
        let op = self.store_op.take();
        self.view.store.busy = false;
        let (left, wait) = (m.attempts_left, m.retry_after_s);
        let state = self.view.store.state;
        match m.outcome {
            UnlockOutcome::Unlocked | UnlockOutcome::Created => {
                self.set_store(now, Some(StoreState::Unlocked), left, 0, out);
                if op == Some(StoreOp::ChangePassword) {
                    self.event(UiEvent::PasswordChanged);
                }
                return;
            }
            UnlockOutcome::WrongPassword => {
                self.set_store(now, state, left, wait, out);
                self.error(UserError::WrongPassword { tries_left: left });
            }
            UnlockOutcome::LockedOut => {
                let st = if op == Some(StoreOp::ChangePassword) {
                    state
                } else {
                    Some(StoreState::LockedOut)
                };
                self.set_store(now, st, left, wait, out);
                self.error(UserError::LockedOut {
                    retry_after_s: wait,
                });
            }
            UnlockOutcome::Wiped => {
                self.set_store(now, Some(StoreState::Wiped), 0, 0, out);
                self.error(UserError::Wiped);
            }
            UnlockOutcome::NoIdentity => {
                self.set_store(now, Some(StoreState::NoIdentity), left, wait, out);
                self.error(UserError::NoIdentity);
            }
            UnlockOutcome::AlreadyExists => self.error(UserError::IdentityExists),
            UnlockOutcome::BadPassword => self.error(UserError::BadPassword),
            UnlockOutcome::Damaged => {
                self.set_store(now, Some(StoreState::Damaged), left, wait, out);
                self.error(UserError::StoreDamaged);
            }
            UnlockOutcome::Io => self.error(UserError::StoreIo),
        }
        // Every failure: ask for the state as storage sees it now.
        post(out, ModuleId::Storage, StoreStatusRequest {});
    }

    // ---- contacts ------------------------------------------------------------

    /// Contacts to ask for next: a batch, never more than the page has room
    /// for (so no entry storage sends is dropped).
    fn batch(&self) -> u8 {
        let room = MAX_CONTACTS.saturating_sub(self.view.contacts.entries.len());
        u8::try_from(room)
            .unwrap_or(u8::MAX)
            .min(self.config.list_batch.max(1))
    }

    fn start_listing(&mut self, out: &mut Outbox) {
        if let Some(l) = &mut self.listing {
            l.again = true;
            return;
        }
        let after = self.view.contacts.after;
        self.view.contacts.entries.clear();
        self.view.contacts.loading = true;
        self.listing = Some(Listing {
            after,
            again: false,
        });
        let max = self.batch();
        post(out, ModuleId::Storage, ContactList { after, max });
    }

    fn on_list_end(&mut self, m: susurro_wire::ContactListEnd, out: &mut Outbox) {
        let Some(listing) = self.listing else {
            self.ignore();
            return;
        };
        self.view.contacts.total = m.total;
        if listing.again {
            self.listing = None;
            self.start_listing(out);
            return;
        }
        let max = self.batch();
        if m.more && max > 0 && m.last > listing.after {
            self.listing = Some(Listing {
                after: m.last,
                again: false,
            });
            post(out, ModuleId::Storage, ContactList { after: m.last, max });
            return;
        }
        let c = &mut self.view.contacts;
        c.complete = !m.more;
        c.loading = false;
        self.listing = None;
        self.refresh_peer_name(out);
        self.event(UiEvent::ContactsChanged);
    }

    /// Fills the call's peer name from the page, or asks storage.
    fn refresh_peer_name(&mut self, out: &mut Outbox) {
        let Some(call) = self.view.call.as_ref() else {
            return;
        };
        let Some(peer) = call.peer else {
            return;
        };
        if let Some(c) = self.view.contacts.get(peer) {
            let (n, verified) = (c.name.clone(), c.flags & contact_flags::VERIFIED != 0);
            if let Some(call) = self.view.call.as_mut() {
                call.peer_name = Some(n);
                call.peer_verified = verified;
            }
            return;
        }
        if self
            .pending
            .iter()
            .any(|(_, p)| *p == Purpose::PeerLookup(peer))
            || self.view.store.state != Some(StoreState::Unlocked)
        {
            return;
        }
        if let Ok(req) = self.new_req(Purpose::PeerLookup(peer)) {
            post(
                out,
                ModuleId::Storage,
                ContactLookup {
                    req,
                    query: ContactQuery::Id(peer),
                },
            );
        }
    }

    // ---- calls ---------------------------------------------------------------

    /// The call view for a message about `id`: the current call, or the
    /// outgoing call the cryptor has not numbered yet (which takes `id`).
    fn call_for(&mut self, id: CallId) -> Option<&mut CallView> {
        let call = self.view.call.as_mut()?;
        if call.id == 0 && call.direction == Direction::Outgoing && call.phase.is_active() {
            call.id = id;
        }
        (call.id == id && id != 0).then_some(call)
    }

    fn set_phase(&mut self, now: Instant, id: CallId, phase: Phase) {
        let Some(call) = self.call_for(id) else {
            self.ignore();
            return;
        };
        if !call.phase.is_active() || call.phase == phase {
            return;
        }
        call.phase = phase;
        if phase.is_talking() && call.started_at.is_none() {
            call.started_at = Some(now);
        }
        if let Phase::Ended(_) = phase {
            call.ended_at = Some(now);
        }
        self.event(UiEvent::CallPhaseChanged(phase));
    }

    fn on_call_established(&mut self, m: susurro_wire::CallEstablished, out: &mut Outbox) {
        let Some(call) = self.call_for(m.call) else {
            self.ignore();
            return;
        };
        if !call.phase.is_active() {
            return;
        }
        call.sas = Some(Sas::new(m.sas));
        call.authenticated = m.authenticated;
        call.peer_fingerprint = m.peer_fingerprint;
        if call.peer != m.peer {
            call.peer = m.peer;
            call.peer_name = None;
            call.peer_verified = false;
        }
        self.refresh_peer_name(out);
        self.event(UiEvent::CallEstablished {
            sas: Sas::new(m.sas).value(),
            authenticated: m.authenticated,
        });
    }

    fn on_call_ended(&mut self, now: Instant, call: CallId, reason: EndReason) {
        if self.call_for(call).is_none() {
            self.ignore();
            return;
        }
        self.set_phase(now, call, Phase::Ended(reason));
        self.event(UiEvent::CallEnded { reason });
    }

    fn on_incoming(&mut self, now: Instant, call: CallId, path: PathKind, out: &mut Outbox) {
        if self.view.active_call().is_some() {
            // One call at a time: refuse the second (the cryptor ends it).
            post(out, ModuleId::Cryptor, Hangup { call });
            self.view.counters.busy_rejected = self.view.counters.busy_rejected.saturating_add(1);
            self.event(UiEvent::MissedCall { path });
            return;
        }
        let mut c = CallView::new(now, call, Direction::Incoming, path);
        c.phase = Phase::Calling(SetupStage::KeyExchange);
        c.muted = self.cryptor_muted;
        self.view.call = Some(c);
        self.event(UiEvent::IncomingCall { call, path });
    }

    /// Ends the call from the ui's side (a module link went down).
    fn hang_up_locally(&mut self, out: &mut Outbox) -> bool {
        let Some(call) = self.view.active_call() else {
            return false;
        };
        post(out, ModuleId::Cryptor, end_call(call.id));
        true
    }

    fn on_link(&mut self, now: Instant, m: susurro_wire::LinkStatus, out: &mut Outbox) {
        match (m.peer, m.phase) {
            (_, LinkPhase::VersionMismatch) => self.error(UserError::VersionMismatch(m.peer)),
            (ModuleId::Storage, LinkPhase::Down) => {
                if !self.view.store.connected {
                    return;
                }
                self.view.store.connected = false;
                self.view.store.busy = false;
                self.store_op = None;
                self.set_store(now, None, 0, 0, out);
                if self.hang_up_locally(out) {
                    self.error(UserError::StorageDisconnectedCallEnded);
                } else {
                    self.error(UserError::StorageDisconnected);
                }
            }
            (ModuleId::Storage, LinkPhase::Up) => {
                if !self.view.store.connected {
                    self.view.store.connected = true;
                    self.event(UiEvent::StoreChanged(None));
                }
                post(out, ModuleId::Storage, StoreStatusRequest {});
            }
            (ModuleId::Cryptor, LinkPhase::Down) => {
                if let Some(id) = self.view.active_call().map(|c| c.id) {
                    if let Some(call) = self.view.call.as_mut() {
                        // No CallEnded will come over a dead link.
                        call.id = id;
                    }
                    self.on_call_ended(now, id, EndReason::NetworkLost);
                    if let Some(call) = self.view.call.as_mut()
                        && call.id == 0
                    {
                        call.phase = Phase::Ended(EndReason::NetworkLost);
                    }
                }
                self.error(UserError::CryptorDisconnected);
            }
            (ModuleId::Transport, LinkPhase::Down) => {
                if self.view.network.transport_link == Some(false) {
                    return;
                }
                self.view.network.transport_link = Some(false);
                self.event(UiEvent::Network);
                // Without the box a call cannot go on: end it here rather
                // than wait for the peer's dead-peer timeout.
                if self.hang_up_locally(out) {
                    self.error(UserError::TransportDisconnectedCallEnded);
                } else {
                    self.error(UserError::TransportDisconnected);
                }
            }
            (ModuleId::Transport, LinkPhase::Up)
                if self.view.network.transport_link != Some(true) =>
            {
                self.view.network.transport_link = Some(true);
                self.event(UiEvent::Network);
            }
            _ => {}
        }
    }

    fn on_message(&mut self, now: Instant, env: Envelope, out: &mut Outbox) {
        if env.dst != ModuleId::Ui || !env.msg.kind().routes().contains(&(env.src, ModuleId::Ui)) {
            self.ignore();
            return;
        }
        let Ok(msg) = Inbound::try_from(env.msg) else {
            self.ignore();
            return;
        };
        match msg {
            // host
            Inbound::RouteRefused(m) => self.view.counters.route_refused = m.total,
            Inbound::LinkStatus(m) => self.on_link(now, m, out),
            // storage
            Inbound::StoreStatus(m) => {
                if self.store_op == Some(StoreOp::Lock) {
                    self.store_op = None;
                    self.view.store.busy = false;
                }
                self.set_store(now, Some(m.state), m.attempts_left, m.retry_after_s, out);
            }
            Inbound::UnlockResult(m) => self.on_unlock_result(now, m, out),
            Inbound::HistoryKey(m) => {
                if self.view.store.state == Some(StoreState::Unlocked) {
                    self.history_key = Some(m.key);
                    self.event(UiEvent::HistoryKey);
                } else {
                    self.ignore();
                }
            }
            Inbound::PublicKey(m) => {
                self.view.own_key = Some(OwnKey {
                    key: m.key,
                    fingerprint: m.fingerprint,
                });
                self.event(UiEvent::IdentityChanged);
            }
            Inbound::ContactEntry(m) => {
                // Batches never exceed the page's room; anything else is
                // stale or unasked for.
                if self.listing.is_none() || self.view.contacts.entries.push(m.contact).is_err() {
                    self.ignore();
                }
            }
            Inbound::ContactListEnd(m) => self.on_list_end(m, out),
            Inbound::ContactAdded(m) => {
                let _ = self.take_req(m.req);
                self.start_listing(out);
            }
            Inbound::ContactChanged(_) => self.start_listing(out),
            Inbound::ContactFound(m) => match self.take_req(m.req) {
                Some(Purpose::PeerLookup(id)) if id == m.contact.id => {
                    if let Some(call) = self.view.call.as_mut()
                        && call.peer == Some(id)
                    {
                        call.peer_name = Some(m.contact.name);
                        call.peer_verified = m.contact.flags & contact_flags::VERIFIED != 0;
                        self.event(UiEvent::PeerChanged);
                    }
                }
                _ => self.ignore(),
            },
            Inbound::ContactNotFound(m) => {
                if self.take_req(m.req).is_none() {
                    self.ignore();
                }
            }
            Inbound::StorageError(m) => self.on_storage_error(m, out),
            Inbound::Entropy(_) => self.ignore(),
            // cryptor
            Inbound::CallState(m) => {
                if let Some(call) = self.call_for(m.call) {
                    call.path = m.path;
                }
                self.set_phase(now, m.call, Phase::from_wire(m.phase));
            }
            Inbound::IncomingCall(m) => self.on_incoming(now, m.call, m.path, out),
            Inbound::CallEstablished(m) => self.on_call_established(m, out),
            Inbound::CallEnded(m) => self.on_call_ended(now, m.call, m.reason),
            Inbound::MuteState(m) => {
                self.cryptor_muted = m.on;
                if let Some(call) = self.view.call.as_mut().filter(|c| c.phase.is_active()) {
                    call.muted = m.on;
                }
                self.event(UiEvent::Muted(m.on));
            }
            Inbound::DirectState(m) => match self.call_for(m.call) {
                Some(call) => {
                    call.direct = m.phase;
                    self.event(UiEvent::DirectChanged(m.phase));
                }
                None => self.ignore(),
            },
            Inbound::CompareResult(m) => match self.call_for(m.call) {
                Some(call) => {
                    call.compare = Some(m.outcome);
                    self.event(UiEvent::CompareResult(m.outcome));
                }
                None => self.ignore(),
            },
            Inbound::ContactReceived(m) => {
                if let Some(call) = self.call_for(m.call) {
                    call.received = Some(ReceivedContact {
                        id: m.id,
                        name: m.name.clone(),
                    });
                }
                self.event(UiEvent::ContactReceived {
                    id: m.id,
                    name: m.name,
                });
                if self.view.store.state == Some(StoreState::Unlocked) {
                    self.start_listing(out);
                }
            }
            Inbound::LinkQuality(m) => match self.call_for(m.call) {
                Some(call) => {
                    call.quality = Some(Quality {
                        path: m.path,
                        paths: m.paths,
                        rtt_ms: m.rtt_ms,
                        loss_permille: m.loss_permille,
                        late_permille: m.late_permille,
                        jitter_ms: m.jitter_ms,
                    });
                    self.event(UiEvent::LinkQuality);
                }
                None => self.ignore(),
            },
            Inbound::NetworkStatus(m) => {
                let n = &mut self.view.network;
                n.known = true;
                n.bootstrap_percent = m.bootstrap_percent;
                n.onion_published = m.onion_published;
                n.listening = m.listening;
                n.address = m.address;
                self.event(UiEvent::Network);
            }
            Inbound::ErrorReport(m) => self.on_cryptor_error(m.call, m.code),
            Inbound::TextReceived(m) => self.on_text_received(now, m, out),
            Inbound::ReceiptReceived(m) => self.on_receipt_received(m),
            Inbound::FileReceived(m) => self.on_file_received(m),
        }
    }

    fn on_storage_error(&mut self, m: susurro_wire::StorageError, out: &mut Outbox) {
        let purpose = if m.req != 0 {
            self.take_req(m.req)
        } else {
            None
        };
        let op = Kind::from_code(m.op);
        match op {
            Some(Kind::ContactList) => {
                self.listing = None;
                self.view.contacts.loading = false;
                self.event(UiEvent::ContactsChanged);
            }
            // Our key while locked, or a peer lookup: nothing to tell.
            Some(Kind::GetPublicKey) if m.code == susurro_wire::StorageErrorCode::Locked => {
                return;
            }
            Some(Kind::ContactLookup) if matches!(purpose, Some(Purpose::PeerLookup(_))) => {
                return;
            }
            Some(Kind::Lock | Kind::CreateIdentity | Kind::Unlock | Kind::ChangePassword) => {
                self.store_op = None;
                self.view.store.busy = false;
            }
            _ => {}
        }
        self.error(UserError::Storage(m.code));
        if m.code == susurro_wire::StorageErrorCode::Locked {
            post(out, ModuleId::Storage, StoreStatusRequest {});
        }
    }

    fn on_cryptor_error(&mut self, call: CallId, code: ErrorCode) {
        // The cryptor refuses a `Call` before numbering it with these two,
        // and sends no `CallEnded`: the call never existed.
        if call == 0
            && matches!(code, ErrorCode::StoreLocked | ErrorCode::Internal)
            && self
                .view
                .call
                .as_ref()
                .is_some_and(|c| c.id == 0 && c.phase.is_active())
        {
            self.view.call = None;
            self.event(UiEvent::CallPhaseChanged(Phase::Ended(
                if code == ErrorCode::StoreLocked {
                    EndReason::StoreLocked
                } else {
                    EndReason::ProtocolError
                },
            )));
        }
        self.error(UserError::Call(code));
    }

    // ---- actions -------------------------------------------------------------

    /// Validates a user action and sends what it needs. Each group of
    /// actions has its own file under `core/`: `store.rs` (identity and key
    /// store), `contacts.rs`, `calls.rs` and `network.rs`.
    ///
    /// # Errors
    /// A [`UiError`] if the action is not possible now or its input is not
    /// valid; then nothing was sent and the view is unchanged.
    pub fn act(
        &mut self,
        now: Instant,
        action: Action<'_>,
        out: &mut Outbox,
    ) -> Result<(), UiError> {
        match action {
            Action::CreateIdentity { password } => self.create_identity(password, out),
            Action::Unlock { password } => self.unlock(now, password, out),
            Action::Lock => self.lock(out),
            Action::ChangePassword { old, new } => self.change_password(old, new, out),
            Action::RefreshContacts => self.refresh_contacts(out),
            Action::NextContacts => self.next_contacts(out),
            Action::AddContact {
                name,
                key,
                address,
                note,
            } => self.add_contact(name, key, address, note, out),
            Action::RenameContact { id, name } => self.rename_contact(id, name, out),
            Action::DeleteContact { id } => self.delete_contact(id, out),
            Action::SetContactAddress { id, address } => self.set_contact_address(id, address, out),
            Action::SetContactNote { id, note } => self.set_contact_note(id, note, out),
            Action::Call { target, mode } => self.call(now, target, mode, CallPurpose::Voice, out),
            Action::OpenMessages { target, mode } => {
                self.call(now, target, mode, CallPurpose::Messages, out)
            }
            Action::Accept => self.accept(out),
            Action::Reject => self.reject(out),
            Action::Hangup => self.hang_up(out),
            Action::Mute(on) => self.mute(on, out),
            Action::SetDirect(enable) => self.set_direct(enable, out),
            Action::MarkSasVerified => self.mark_sas_verified(out),
            Action::CompareSecret { phrase } => self.compare_secret(phrase, out),
            Action::SendContact { contact } => self.send_contact(contact, out),
            Action::SetNetwork { mode, listen, port } => self.set_network(mode, listen, port, out),
            Action::SendText { text } => self.send_text(now, text, None, out),
            Action::SendStored { id, text } => self.send_text(now, text, Some(id), out),
            Action::Delivered { id } => {
                self.stored_receipt(id, susurro_wire::ReceiptKind::Delivered, out)
            }
            Action::ReadStored { id } => {
                self.stored_receipt(id, susurro_wire::ReceiptKind::Read, out)
            }
            Action::MarkRead => self.mark_read(out),
            Action::SendFile { body } => self.send_file(body, out),
            Action::Dismiss => self.dismiss(),
        }
    }
}

impl ModuleCore for UiCore {
    fn module(&self) -> ModuleId {
        ModuleId::Ui
    }

    fn handle(&mut self, now: Instant, input: Input<'_>, out: &mut Outbox) {
        match input {
            Input::Start => {
                post(out, ModuleId::Storage, StoreStatusRequest {});
                if let Some(n) = self.config.network {
                    post(
                        out,
                        ModuleId::Cryptor,
                        NetworkConfig {
                            mode: n.mode,
                            listen: n.listen,
                            port: n.port,
                        },
                    );
                    self.view.network.mode = Some(n.mode);
                    self.view.network.listen = n.listen;
                    self.view.network.port = n.port;
                }
            }
            Input::Timer => {
                if self.lockout_until.is_some_and(|t| t <= now) {
                    self.lockout_until = None;
                    post(out, ModuleId::Storage, StoreStatusRequest {});
                }
            }
            Input::Entropy(_) => {}
            Input::Message(env) => self.on_message(now, env, out),
        }
    }

    fn deadline(&self) -> Option<Instant> {
        self.lockout_until
    }
}
