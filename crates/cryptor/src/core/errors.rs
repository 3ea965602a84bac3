//! Error reporting: the host API's [`CryptorError`], the [`Stats`]
//! counters of what the core refused, and the one way an `ErrorReport` with an
//! [`ErrorCode`] goes to the ui ([`ui_error`]).

use susurro_wire::module::Outbox;
use susurro_wire::{CallId, ErrorCode, ErrorReport as UiError, ModuleId};

use super::{CryptorCore, send};
use crate::session::SessionError;

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
    /// The peer's text parts dropped for coming faster than twice
    /// `caps::TEXT_RATE`, and its text parts and file messages that came
    /// before the call was talking.
    pub text_dropped: u32,
}

/// Counts one more of a [`Stats`] counter (saturating).
pub(super) fn count(counter: &mut u32) {
    *counter = counter.saturating_add(1);
}

/// Tells the ui that what it asked of `call` (0: of no call) failed.
pub(super) fn ui_error(out: &mut Outbox, call: CallId, code: ErrorCode) {
    send(out, ModuleId::Ui, UiError { call, code });
}

impl CryptorCore {
    /// Counts a message refused (wrong source, unknown call, wrong state).
    pub(super) fn refuse(&mut self) {
        count(&mut self.stats.refused);
    }
}
