//! [`UiEvent`]: what changed, for front ends that react rather than redraw
//! (ring, vibrate, pop a notice). The [`crate::View`] is always the truth;
//! events only say when to look.

use susurro_wire::{
    CallId, CompareOutcome, ContactId, DirectPhase, EndReason, Name, PathKind, ReceiptKind,
    StoreState,
};

use crate::text::UserError;
use crate::view::Phase;

/// Events queued for the front end.
pub(crate) const EVENT_QUEUE: usize = 32;

/// Something the front end may react to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UiEvent {
    /// The key store's state changed (or became unknown: `None`).
    StoreChanged(Option<StoreState>),
    /// The password was changed.
    PasswordChanged,
    /// Our public key is known (after unlock).
    IdentityChanged,
    /// The contacts page finished loading (or was cleared).
    ContactsChanged,
    /// Someone is calling (the keys are being agreed; it rings at
    /// [`Phase::Ringing`]).
    IncomingCall {
        /// Call.
        call: CallId,
        /// Path.
        path: PathKind,
    },
    /// A second call arrived while one was active; it was refused.
    MissedCall {
        /// Path.
        path: PathKind,
    },
    /// The call's phase changed.
    CallPhaseChanged(Phase),
    /// Keys agreed: show the SAS.
    CallEstablished {
        /// The SAS (24 bits).
        sas: u32,
        /// Both sides proved their long-term keys.
        authenticated: bool,
    },
    /// The call's peer name (or verified flag) became known.
    PeerChanged,
    /// The user marked the SAS verified.
    SasVerified,
    /// The call ended.
    CallEnded {
        /// Why.
        reason: EndReason,
    },
    /// Mute changed.
    Muted(bool),
    /// Direct mode changed.
    DirectChanged(DirectPhase),
    /// A secret compare progressed or finished.
    CompareResult(CompareOutcome),
    /// The peer sent a contact; it was saved.
    ContactReceived {
        /// Its id.
        id: ContactId,
        /// Its generated name.
        name: Name,
    },
    /// A text message of ours left (a new line in the call's chat).
    TextSent {
        /// Its id.
        id: u32,
    },
    /// A text message from the peer is complete (a new line in the chat).
    TextReceived {
        /// The peer's id for it.
        id: u32,
    },
    /// The peer's receipt changed one of our lines.
    Receipt {
        /// Our id.
        id: u32,
        /// What it says.
        kind: ReceiptKind,
    },
    /// A file-transfer message from the peer waits in
    /// [`UiCore::take_file`](crate::UiCore::take_file).
    File,
    /// New link-quality figures.
    LinkQuality,
    /// The history key arrived (`UiCore::history_key`).
    HistoryKey,
    /// Network settings or status changed.
    Network,
    /// An error to show.
    Error(UserError),
}
