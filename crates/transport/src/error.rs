//! Errors of the sans-IO core. They carry no detail on purpose: a peer learns
//! nothing from them (and a probe gets no reply at all).

/// Why the core refused input or could not proceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bytes that do not parse (bad length, missing marker, unknown kind).
    #[error("malformed transport data")]
    Malformed,
    /// A tag or MAC did not verify.
    #[error("transport authentication failed")]
    Authentication,
    /// The proof of work is missing or too weak, or the asked effort is
    /// above [`crate::pow::MAX_EFFORT`].
    #[error("proof of work refused")]
    Effort,
    /// A payload above [`crate::frame::MAX_DATA`] bytes.
    #[error("payload too long")]
    TooLong,
    /// A call in the wrong state (e.g. a second reply).
    #[error("call out of order")]
    State,
    /// A primitive failed (low-order point, keystream exhausted).
    #[error("crypto primitive failed")]
    Crypto,
    /// The peer closed the channel.
    #[error("channel closed by peer")]
    Closed,
}

impl From<susurro_crypto::Error> for Error {
    fn from(e: susurro_crypto::Error) -> Self {
        match e {
            susurro_crypto::Error::AuthenticationFailed => Self::Authentication,
            _ => Self::Crypto,
        }
    }
}
