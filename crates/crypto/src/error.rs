//! The crate's one error type.

use core::fmt;

/// Everything that can go wrong in `susurro-crypto`.
///
/// No function in this crate panics on any input; failures come back as one
/// of these. Authentication failures carry no detail on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// An X25519 multiplication produced the all-zero output: the peer's
    /// point has small order (or is zero). The result must not be used.
    LowOrderPoint,
    /// The random number generator gave no key with an Elligator2
    /// representative in [`crate::x25519::KEYGEN_ATTEMPTS`] attempts (chance
    /// 2^-64 with a working generator): treat the generator as broken.
    RngFailure,
    /// The secret key given to a deterministic Elligator2 constructor has no
    /// representative; draw a new one.
    NoRepresentative,
    /// Hash-to-point landed on the identity after cofactor clearing
    /// (negligible probability for hashed input).
    HashToPointIdentity,
    /// An AEAD tag did not verify. The buffer has been wiped.
    AuthenticationFailed,
    /// A key had a length the cipher does not accept.
    InvalidKeyLength,
    /// The message (or associated data) is too long for the cipher.
    MessageTooLong,
    /// A stream cipher's keystream would run past its end (ChaCha20's 32-bit
    /// block counter).
    KeystreamExhausted,
    /// Argon2id refused its parameters or buffers.
    Argon2(Argon2Error),
}

/// Why Argon2id refused to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Argon2Error {
    /// `m_cost_kib` is below 8 × `p_cost` KiB.
    MemoryCostTooSmall,
    /// The memory block slice is shorter than
    /// [`crate::argon::Argon2Params::blocks_needed`].
    MemoryBufferTooSmall,
    /// `t_cost` is zero.
    TimeCostTooSmall,
    /// `p_cost` is zero or above 2^24 - 1.
    ParallelismOutOfRange,
    /// The output buffer is shorter than 4 bytes.
    OutputTooShort,
    /// The output buffer is longer than 2^32 - 1 bytes.
    OutputTooLong,
    /// The salt is shorter than 8 bytes.
    SaltTooShort,
    /// The salt is longer than 2^32 - 1 bytes.
    SaltTooLong,
    /// The password is longer than 2^32 - 1 bytes.
    PasswordTooLong,
    /// Any other refusal from the Argon2 implementation.
    Other,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::LowOrderPoint => f.write_str("X25519 output is zero (low-order point)"),
            Error::RngFailure => f.write_str("random generator produced no representable key"),
            Error::NoRepresentative => f.write_str("key has no Elligator2 representative"),
            Error::HashToPointIdentity => f.write_str("hash-to-point produced the identity"),
            Error::AuthenticationFailed => f.write_str("authentication failed"),
            Error::InvalidKeyLength => f.write_str("invalid key length"),
            Error::MessageTooLong => f.write_str("message too long"),
            Error::KeystreamExhausted => f.write_str("keystream exhausted"),
            Error::Argon2(e) => write!(f, "argon2id: {e}"),
        }
    }
}

impl fmt::Display for Argon2Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Argon2Error::MemoryCostTooSmall => "memory cost too small",
            Argon2Error::MemoryBufferTooSmall => "memory buffer too small",
            Argon2Error::TimeCostTooSmall => "time cost too small",
            Argon2Error::ParallelismOutOfRange => "parallelism out of range",
            Argon2Error::OutputTooShort => "output too short",
            Argon2Error::OutputTooLong => "output too long",
            Argon2Error::SaltTooShort => "salt too short",
            Argon2Error::SaltTooLong => "salt too long",
            Argon2Error::PasswordTooLong => "password too long",
            Argon2Error::Other => "rejected",
        })
    }
}

impl core::error::Error for Error {}
impl core::error::Error for Argon2Error {}

impl From<Argon2Error> for Error {
    fn from(e: Argon2Error) -> Self {
        Error::Argon2(e)
    }
}
