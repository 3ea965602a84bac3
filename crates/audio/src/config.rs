//! Codec configuration: rates, frame sizes, bitrates and the constant packet size.

use crate::error::{AudioError, Result};

/// The sample rate of the processing core (echo canceller, device side).
///
/// WebRTC's audio processing module (0.3) works at 48 kHz in 10 ms frames.
pub const PROCESSING_RATE: u32 = 48_000;

/// Samples per 10 ms processing frame at [`PROCESSING_RATE`].
pub const PROCESSING_FRAME: usize = 480;

/// Audio bandwidth of the codec, which also fixes the codec's sample rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bandwidth {
    /// Narrowband: 4 kHz audio bandwidth, 8 kHz sample rate. No product
    /// setting uses it; the codec tests and benchmark keep it covered.
    Narrowband,
    /// Wideband: 8 kHz audio bandwidth, 16 kHz sample rate (the default).
    Wideband,
}

impl Bandwidth {
    /// The codec sample rate in Hz.
    pub const fn sample_rate(self) -> u32 {
        match self {
            Bandwidth::Narrowband => 8_000,
            Bandwidth::Wideband => 16_000,
        }
    }

    /// All supported bandwidths.
    pub const ALL: [Bandwidth; 2] = [Bandwidth::Narrowband, Bandwidth::Wideband];
}

/// Opus frame duration. Longer frames save packet overhead but add delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameDuration {
    /// 10 ms.
    Ms10,
    /// 20 ms (the default).
    Ms20,
    /// 40 ms.
    Ms40,
    /// 60 ms.
    Ms60,
}

impl FrameDuration {
    /// Duration in milliseconds.
    pub const fn millis(self) -> u32 {
        match self {
            FrameDuration::Ms10 => 10,
            FrameDuration::Ms20 => 20,
            FrameDuration::Ms40 => 40,
            FrameDuration::Ms60 => 60,
        }
    }

    /// The frame duration for a number of milliseconds, if supported.
    pub fn from_millis(ms: u32) -> Result<Self> {
        match ms {
            10 => Ok(FrameDuration::Ms10),
            20 => Ok(FrameDuration::Ms20),
            40 => Ok(FrameDuration::Ms40),
            60 => Ok(FrameDuration::Ms60),
            other => Err(AudioError::InvalidConfig(format!(
                "frame duration {other} ms (supported: 10, 20, 40, 60)"
            ))),
        }
    }

    /// All supported frame durations.
    pub const ALL: [FrameDuration; 4] = [
        FrameDuration::Ms10,
        FrameDuration::Ms20,
        FrameDuration::Ms40,
        FrameDuration::Ms60,
    ];
}

/// The default bitrate, bit/s: wideband at 32 kbit/s (80-byte packets at
/// 20 ms). Over Tor a voice packet of any size up to the wire's cap takes one
/// cell, so this costs no more cells than 16 kbit/s.
pub const DEFAULT_BITRATE: u32 = 32_000;

/// The "low bandwidth" bitrate, bit/s: wideband at 16 kbit/s (40-byte
/// packets), for slow direct links. Peers at either rate decode each other:
/// the decoder takes any Opus packet.
pub const LOW_BANDWIDTH_BITRATE: u32 = 16_000;

/// Lowest bitrate accepted, in bits per second.
pub(crate) const MIN_BITRATE: u32 = 6_000;
/// Highest bitrate accepted, in bits per second.
pub(crate) const MAX_BITRATE: u32 = 64_000;

/// Configuration of the Opus codec.
///
/// The encoder always runs in constant bitrate with discontinuous transmission
/// off, so every packet has exactly [`CodecConfig::packet_bytes`] bytes whether
/// the user speaks, is silent or is muted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecConfig {
    /// Audio bandwidth (and codec sample rate).
    pub bandwidth: Bandwidth,
    /// Bitrate in bits per second; must give a whole number of bytes per frame.
    pub bitrate: u32,
    /// Frame duration.
    pub frame: FrameDuration,
    /// Whether to send in-band forward error correction (Opus LBRR).
    pub inband_fec: bool,
    /// Expected packet loss in percent at start-up (0 by default), which tells
    /// the encoder how much to invest in loss robustness and FEC. During a
    /// call it should follow the loss the receiver reports:
    /// [`crate::CapturePipeline::set_expected_loss`].
    pub expected_loss_percent: u8,
    /// Encoder complexity, 0..=10.
    pub complexity: u8,
}

impl Default for CodecConfig {
    /// Wideband, 32 kbit/s, 20 ms frames, FEC on, no loss expected: 80-byte packets.
    fn default() -> Self {
        Self::wideband()
    }
}

impl CodecConfig {
    /// Wideband (16 kHz) at [`DEFAULT_BITRATE`] (32 kbit/s), 20 ms frames,
    /// FEC on, no loss expected until the receiver reports some: the default.
    pub fn wideband() -> Self {
        CodecConfig {
            bandwidth: Bandwidth::Wideband,
            bitrate: DEFAULT_BITRATE,
            frame: FrameDuration::Ms20,
            inband_fec: true,
            expected_loss_percent: 0,
            complexity: 10,
        }
    }

    /// The "low bandwidth" setting: wideband at [`LOW_BANDWIDTH_BITRATE`]
    /// (16 kbit/s), otherwise as [`CodecConfig::wideband`].
    pub fn low_bandwidth() -> Self {
        Self::wideband().with_bitrate(LOW_BANDWIDTH_BITRATE)
    }

    /// Narrowband (8 kHz) at 8 kbit/s, 20 ms frames, FEC on. Not a product
    /// setting (the low-bandwidth one is [`CodecConfig::low_bandwidth`]);
    /// the codec tests and benchmark use it to keep the narrowband path
    /// covered.
    pub fn narrowband() -> Self {
        CodecConfig {
            bandwidth: Bandwidth::Narrowband,
            bitrate: 8_000,
            ..Self::wideband()
        }
    }

    /// The same configuration with another bitrate.
    pub fn with_bitrate(mut self, bitrate: u32) -> Self {
        self.bitrate = bitrate;
        self
    }

    /// The same configuration with another frame duration.
    pub fn with_frame(mut self, frame: FrameDuration) -> Self {
        self.frame = frame;
        self
    }

    /// Codec sample rate in Hz (the bandwidth's; the pipelines feed Opus at
    /// [`PROCESSING_RATE`] and let it convert).
    pub fn sample_rate(&self) -> u32 {
        self.bandwidth.sample_rate()
    }

    /// Samples per frame at the codec rate.
    pub fn frame_samples(&self) -> usize {
        (self.sample_rate() * self.frame.millis() / 1000) as usize
    }

    /// Samples per frame at [`PROCESSING_RATE`].
    pub fn processing_frame_samples(&self) -> usize {
        (PROCESSING_RATE * self.frame.millis() / 1000) as usize
    }

    /// The constant size of every Opus packet, in bytes (before the cryptor's
    /// sealing overhead). 32 kbit/s × 20 ms = 80 bytes; 16 kbit/s × 20 ms = 40.
    pub fn packet_bytes(&self) -> usize {
        (self.bitrate as usize * self.frame.millis() as usize) / 8000
    }

    /// Packets per second.
    pub fn packets_per_second(&self) -> u32 {
        1000 / self.frame.millis()
    }

    /// Checks the configuration.
    pub fn validate(&self) -> Result<()> {
        if !(MIN_BITRATE..=MAX_BITRATE).contains(&self.bitrate) {
            return Err(AudioError::InvalidConfig(format!(
                "bitrate {} bit/s outside {MIN_BITRATE}..={MAX_BITRATE}",
                self.bitrate
            )));
        }
        if !(self.bitrate as u64 * self.frame.millis() as u64).is_multiple_of(8000) {
            return Err(AudioError::InvalidConfig(format!(
                "bitrate {} bit/s does not give whole bytes per {} ms frame",
                self.bitrate,
                self.frame.millis()
            )));
        }
        if self.expected_loss_percent > 100 {
            return Err(AudioError::InvalidConfig(format!(
                "expected loss {}% above 100%",
                self.expected_loss_percent
            )));
        }
        if self.complexity > 10 {
            return Err(AudioError::InvalidConfig(format!(
                "complexity {} above 10",
                self.complexity
            )));
        }
        Ok(())
    }
}
