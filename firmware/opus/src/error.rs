//! What can go wrong: libopus' error codes, and this crate's own checks.

use core::ffi::c_int;

use opusic_sys as sys;

/// An error of the codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// libopus: an argument is invalid (`OPUS_BAD_ARG`).
    BadArg,
    /// libopus: the output buffer is too small (`OPUS_BUFFER_TOO_SMALL`),
    /// e.g. a packet longer than 20 ms; or an encoder's output buffer is
    /// shorter than [`crate::PACKET`].
    BufferTooSmall,
    /// libopus: an internal error (`OPUS_INTERNAL_ERROR`).
    Internal,
    /// libopus: the packet is corrupt or of an unsupported kind
    /// (`OPUS_INVALID_PACKET`).
    InvalidPacket,
    /// libopus: the request is not implemented (`OPUS_UNIMPLEMENTED`).
    Unimplemented,
    /// libopus: the state is invalid or was freed (`OPUS_INVALID_STATE`).
    InvalidState,
    /// libopus: memory allocation failed (`OPUS_ALLOC_FAIL`; never on this
    /// crate's path, which allocates nothing).
    AllocFail,
    /// libopus returned an error code it does not document.
    Unknown(i32),
    /// The linked libopus needs more state memory than
    /// [`crate::EncoderState`] or [`crate::DecoderState`] reserve (a
    /// different libopus or build options): `needed` bytes, `have` bytes.
    StateTooSmall {
        /// What `opus_*_get_size(1)` asks for.
        needed: usize,
        /// What the state type holds.
        have: usize,
    },
    /// An empty packet was given to decode (libopus takes it for a lost
    /// frame; [`crate::Decoder::conceal`] says so explicitly).
    EmptyPacket,
    /// The encoder made a packet of this many bytes instead of
    /// [`crate::PACKET`].
    PacketSize(usize),
    /// A packet decoded to this many samples instead of [`crate::FRAME`]
    /// (a 10 ms packet, say).
    FrameSize(usize),
}

impl Error {
    /// The error for a negative libopus return code.
    pub(crate) fn from_code(code: c_int) -> Self {
        match code {
            sys::OPUS_BAD_ARG => Error::BadArg,
            sys::OPUS_BUFFER_TOO_SMALL => Error::BufferTooSmall,
            sys::OPUS_INTERNAL_ERROR => Error::Internal,
            sys::OPUS_INVALID_PACKET => Error::InvalidPacket,
            sys::OPUS_UNIMPLEMENTED => Error::Unimplemented,
            sys::OPUS_INVALID_STATE => Error::InvalidState,
            sys::OPUS_ALLOC_FAIL => Error::AllocFail,
            other => Error::Unknown(other),
        }
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::BadArg => f.write_str("opus: invalid argument"),
            Error::BufferTooSmall => f.write_str("opus: buffer too small"),
            Error::Internal => f.write_str("opus: internal error"),
            Error::InvalidPacket => f.write_str("opus: corrupted or unsupported packet"),
            Error::Unimplemented => f.write_str("opus: request not implemented"),
            Error::InvalidState => f.write_str("opus: invalid state"),
            Error::AllocFail => f.write_str("opus: memory allocation failed"),
            Error::Unknown(code) => write!(f, "opus: unknown error code {code}"),
            Error::StateTooSmall { needed, have } => write!(
                f,
                "opus: state needs {needed} bytes, {have} reserved (another libopus build?)"
            ),
            Error::EmptyPacket => f.write_str("opus: empty packet (conceal a lost frame instead)"),
            Error::PacketSize(n) => {
                write!(f, "opus: packet of {n} bytes, expected the constant size")
            }
            Error::FrameSize(n) => {
                write!(f, "opus: packet of {n} samples, expected one 20 ms frame")
            }
        }
    }
}

impl core::error::Error for Error {}
