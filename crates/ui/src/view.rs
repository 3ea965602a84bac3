//! [`View`]: everything a front end renders. Read it with
//! [`crate::UiCore::view`]; it changes only inside `handle` and `act`.

use core::time::Duration;

use crate::chat::Chat;
use susurro_wire::{
    Address, CallId, CallPhase, CompareOutcome, Contact, ContactId, DirectPhase, Direction,
    EndReason, Instant, Name, NetMode, PathKind, StoreState,
};

use crate::text::UserError;
use susurro_wire::Sas;

/// Contacts one page of the [`ContactsView`] holds.
pub const MAX_CONTACTS: usize = 64;

/// The key store as the ui knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreView {
    /// State, `None` until storage answered (or while its link is down).
    pub state: Option<StoreState>,
    /// Wrong passwords left before lockout or wipe.
    pub tries_left: u8,
    /// Seconds to wait before the next unlock, as of the last report.
    pub retry_after_s: u32,
    /// A create, unlock, lock or password change is in flight (show a
    /// spinner: the password hash takes a while).
    pub busy: bool,
    /// The link to storage is up (false after a host `LinkStatus` Down).
    pub connected: bool,
}

/// Our own identity (public data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnKey {
    /// Long-term X25519 public key (what a contact card carries).
    pub key: [u8; 32],
    /// Its 128-bit fingerprint.
    pub fingerprint: [u8; 16],
}

/// Network settings and progress.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetworkView {
    /// The mode last configured through the ui (`None`: never).
    pub mode: Option<NetMode>,
    /// Whether the ui asked to listen for calls.
    pub listen: bool,
    /// The direct-mode TCP port asked for.
    pub port: u16,
    /// Whether any network status arrived yet.
    pub known: bool,
    /// Tor bootstrap, percent (100 in direct mode).
    pub bootstrap_percent: u8,
    /// Our onion service is published.
    pub onion_published: bool,
    /// Listening for calls.
    pub listening: bool,
    /// Our own address (what a contact card carries).
    pub address: Address,
    /// The link to a transport box across a serial link: `None` while no
    /// link to transport was ever reported (transport runs in this
    /// process), else whether it is up now.
    pub transport_link: Option<bool>,
}

/// One page of the address book.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContactsView {
    /// The contacts, by increasing id.
    pub entries: heapless::Vec<Contact, MAX_CONTACTS>,
    /// The page starts after this id (0: at the beginning).
    pub after: ContactId,
    /// Every contact after `after` is in `entries` (false: the page is full
    /// and more follow; see `Action::NextContacts`).
    pub complete: bool,
    /// A listing is running; `entries` may be partial.
    pub loading: bool,
    /// Contacts in the whole book, as of the last listing.
    pub total: u32,
}

impl ContactsView {
    /// The contact with `id`, if on this page.
    #[must_use]
    pub fn get(&self, id: ContactId) -> Option<&Contact> {
        self.entries.iter().find(|c| c.id == id)
    }
}

/// Sub-stage of a call being set up (either direction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupStage {
    /// Sent to the cryptor; no answer yet.
    Starting,
    /// Connecting to the callee.
    Dialing,
    /// First (obfuscation) session.
    Obfuscating,
    /// Second session and proof of work.
    Connecting,
    /// Key exchange running.
    KeyExchange,
}

/// A call's phase as the user sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Being set up (outgoing, or incoming before the keys are agreed).
    Calling(SetupStage),
    /// Keys agreed; the callee's phone rings.
    RingingRemote,
    /// Keys agreed; our phone rings: accept or reject.
    Ringing,
    /// Talking.
    InCall,
    /// Talking over two paths.
    Doubled,
    /// A message session: text only, no ringing, no voice.
    Messages,
    /// Ended; shown until the next call or `Action::Dismiss`.
    Ended(EndReason),
}

impl Phase {
    /// Not ended.
    #[must_use]
    pub fn is_active(self) -> bool {
        !matches!(self, Phase::Ended(_))
    }

    /// Talking (in call or doubled): voice flows.
    #[must_use]
    pub fn is_talking(self) -> bool {
        matches!(self, Phase::InCall | Phase::Doubled)
    }

    /// Text can flow: talking, or a message session.
    #[must_use]
    pub fn can_text(self) -> bool {
        self.is_talking() || self == Phase::Messages
    }

    /// The ui phase of a wire phase.
    #[must_use]
    pub fn from_wire(p: CallPhase) -> Self {
        match p {
            CallPhase::Dialing => Phase::Calling(SetupStage::Dialing),
            CallPhase::Obfuscating => Phase::Calling(SetupStage::Obfuscating),
            CallPhase::Connecting => Phase::Calling(SetupStage::Connecting),
            CallPhase::KeyExchange => Phase::Calling(SetupStage::KeyExchange),
            CallPhase::RingingRemote => Phase::RingingRemote,
            CallPhase::Ringing => Phase::Ringing,
            CallPhase::InCall => Phase::InCall,
            CallPhase::Doubled => Phase::Doubled,
            CallPhase::Messages => Phase::Messages,
        }
    }
}

/// Link quality of the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quality {
    /// Path carrying voice.
    pub path: PathKind,
    /// Paths open: 1 alone, 2 when voice is doubled (call-back or the two
    /// fastest kept), more while the caller measures candidate circuits.
    pub paths: u8,
    /// Round-trip time, ms.
    pub rtt_ms: u16,
    /// Lost voice frames, per mille.
    pub loss_permille: u16,
    /// Frames too late to play, per mille.
    pub late_permille: u16,
    /// Jitter, ms.
    pub jitter_ms: u16,
}

/// A contact the peer sent during the call (already saved by the cryptor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedContact {
    /// Its id in the book.
    pub id: ContactId,
    /// Its generated name `+<SAS>-<fingerprint>` (rename it).
    pub name: Name,
}

/// The call on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallView {
    /// The cryptor's id; 0 for an outgoing call the cryptor has not
    /// numbered yet ([`SetupStage::Starting`]).
    pub id: CallId,
    /// Who called.
    pub direction: Direction,
    /// Phase.
    pub phase: Phase,
    /// Network path.
    pub path: PathKind,
    /// Both sides proved their long-term keys.
    pub authenticated: bool,
    /// The SAS, once keys are agreed.
    pub sas: Option<Sas>,
    /// The user confirmed the SAS matches on both sides.
    pub sas_verified: bool,
    /// The peer's contact: whom we dialled before the keys are agreed,
    /// then whom the keys prove (None if not authenticated or unknown).
    pub peer: Option<ContactId>,
    /// The peer contact's name, once known.
    pub peer_name: Option<Name>,
    /// The peer contact was verified in an earlier call.
    pub peer_verified: bool,
    /// The peer's key fingerprint, if authenticated.
    pub peer_fingerprint: Option<[u8; 16]>,
    /// The microphone is muted (packets keep flowing).
    pub muted: bool,
    /// Direct (UDP) mode.
    pub direct: DirectPhase,
    /// The last secret-compare outcome.
    pub compare: Option<CompareOutcome>,
    /// The last contact received from the peer.
    pub received: Option<ReceivedContact>,
    /// The last link-quality report.
    pub quality: Option<Quality>,
    /// When the call appeared.
    pub created_at: Instant,
    /// When talking started.
    pub started_at: Option<Instant>,
    /// When it ended.
    pub ended_at: Option<Instant>,
    /// Text lines both ways.
    pub chat: Chat,
}

impl CallView {
    /// A call as it first appears: calling, not yet authenticated, nothing
    /// known of the peer. (The core builds every call with it; screens'
    /// tests start from it and set what they show.)
    #[must_use]
    pub fn new(now: Instant, id: CallId, direction: Direction, path: PathKind) -> Self {
        Self {
            id,
            direction,
            phase: Phase::Calling(SetupStage::Starting),
            path,
            authenticated: false,
            sas: None,
            sas_verified: false,
            peer: None,
            peer_name: None,
            peer_verified: false,
            peer_fingerprint: None,
            muted: false,
            direct: DirectPhase::Off,
            compare: None,
            received: None,
            quality: None,
            created_at: now,
            started_at: None,
            ended_at: None,
            chat: Chat::default(),
        }
    }

    /// Talking time: from `started_at` to `ended_at` (or `now`); zero if
    /// the call never got through.
    #[must_use]
    pub fn duration(&self, now: Instant) -> Duration {
        match self.started_at {
            Some(start) => self.ended_at.unwrap_or(now).saturating_since(start),
            None => Duration::ZERO,
        }
    }
}

/// Counters for diagnostics (never secrets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counters {
    /// Messages the host's router refused, as it last reported.
    pub route_refused: u32,
    /// Messages ignored: wrong source, unknown call, stale answers.
    pub ignored: u32,
    /// Events dropped because the front end did not poll (oldest first).
    pub events_dropped: u32,
    /// Incoming calls refused automatically because a call was active.
    pub busy_rejected: u32,
    /// The peer's file-transfer messages dropped because the front end
    /// did not take them (oldest first; the transfer re-sends them).
    pub files_dropped: u32,
}

/// Everything a front end renders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// The key store.
    pub store: StoreView,
    /// Our identity, once storage told it (unlocked).
    pub own_key: Option<OwnKey>,
    /// Network.
    pub network: NetworkView,
    /// The address book page (empty while locked).
    pub contacts: ContactsView,
    /// The call, if any.
    pub call: Option<CallView>,
    /// The last error, until `Action::Dismiss`.
    pub last_error: Option<UserError>,
    /// Diagnostics.
    pub counters: Counters,
}

impl View {
    pub(crate) fn new() -> Self {
        Self {
            store: StoreView {
                state: None,
                tries_left: 0,
                retry_after_s: 0,
                busy: false,
                connected: true,
            },
            own_key: None,
            network: NetworkView::default(),
            contacts: ContactsView::default(),
            call: None,
            last_error: None,
            counters: Counters::default(),
        }
    }

    /// The call if it is not ended.
    #[must_use]
    pub fn active_call(&self) -> Option<&CallView> {
        self.call.as_ref().filter(|c| c.phase.is_active())
    }
}
