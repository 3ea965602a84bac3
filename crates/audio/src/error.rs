//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong in the audio engine.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// A configuration value is outside what the engine supports.
    #[error("invalid audio configuration: {0}")]
    InvalidConfig(String),
    /// The Opus library reported an error (what was asked, and libopus's
    /// message).
    #[error("opus: {0}")]
    Opus(String),
    /// The encoder produced a packet whose size differs from the configured
    /// constant size (this would leak information about the signal).
    #[error("opus produced a {got}-byte packet, expected the constant {expected} bytes")]
    PacketSize {
        /// Bytes produced.
        got: usize,
        /// Bytes expected from the configuration.
        expected: usize,
    },
    /// A packet handed to the decoder was malformed.
    #[error("bad voice packet: {0}")]
    BadPacket(String),
    /// The WebRTC audio processing module reported an error.
    #[error("audio processing (webrtc): {0}")]
    Processing(String),
    /// Speech could not be scored (`quality`).
    #[error("scoring: {0}")]
    Quality(String),
    /// The resampler could not be built or failed.
    #[error("resampler: {0}")]
    Resample(String),
    /// A WAV file could not be used.
    #[error("WAV file {path}: {reason}")]
    Wav {
        /// The file.
        path: PathBuf,
        /// What is wrong with it, in words.
        reason: String,
    },
    /// An audio device could not be found, opened or driven.
    #[error("audio device: {0}")]
    Device(String),
    /// An I/O error outside WAV parsing.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, AudioError>;
