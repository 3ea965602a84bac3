#![doc = include_str!("../README.md")]
#![no_std]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod error;
mod ffi;

pub use crate::error::Error;

/// The codec's sample rate in Hz: wideband, mono (the desktop's
/// `Bandwidth::Wideband`).
pub const RATE: u32 = 16_000;

/// Samples per 20 ms frame at [`RATE`].
pub const FRAME: usize = 320;

/// The bitrate in bit/s: the desktop's `DEFAULT_BITRATE`, constant.
pub const BITRATE: u32 = 32_000;

/// Bytes of every packet the encoder makes: 32 kbit/s × 20 ms, constant
/// bitrate (the desktop's `CodecConfig::wideband().packet_bytes()`).
pub const PACKET: usize = (BITRATE as usize / 8) * FRAME / RATE as usize;

/// The encoder's complexity (0..=10): the desktop's default, 10.
pub const COMPLEXITY: i32 = 10;

/// The encoder complexity the handset should run at
/// ([`Encoder::set_complexity`] after [`Encoder::new`]): 0. Measured on
/// QEMU's Cortex-M7 (`scripts/opus-bench.sh`, `docs/hardware.md`,
/// "Handset"), encode + seal + open + decode of a 20 ms frame of speech
/// take 1.40 M instructions on average at 0 (32 % of the 4.32 M cycles
/// 216 MHz × 20 ms give; PESQ-WB 4.28) and 5.04 M at the desktop's 10
/// (117 %; PESQ-WB 4.46). Packets are the same size and any decoder reads
/// them whatever the encoder's complexity.
pub const HANDSET_COMPLEXITY: u8 = 0;

/// Bytes reserved for libopus' encoder state: `opus_encoder_get_size(1)`
/// of this build, measured (29 236 on 32-bit ARM, fixed-point), rounded
/// up to a multiple of 8. [`Encoder::new`] checks it against libopus.
pub const ENCODER_STATE_BYTES: usize = ffi::ENCODER_STATE_BYTES;

/// Bytes reserved for libopus' decoder state: `opus_decoder_get_size(1)`
/// of this build, measured, rounded up to a multiple of 8.
/// [`Decoder::new`] checks it against libopus.
pub const DECODER_STATE_BYTES: usize = ffi::DECODER_STATE_BYTES;

/// The memory of one encoder: plain bytes for libopus, meant for a
/// `static` (`EncoderState::new()` is `const`). An [`Encoder`] borrows it
/// and initialises it; nothing else reads it.
#[repr(C, align(8))]
pub struct EncoderState {
    bytes: [u8; ENCODER_STATE_BYTES],
}

impl EncoderState {
    /// Zeroed state, ready for [`Encoder::new`].
    pub const fn new() -> Self {
        EncoderState {
            bytes: [0; ENCODER_STATE_BYTES],
        }
    }
}

impl Default for EncoderState {
    fn default() -> Self {
        Self::new()
    }
}

/// The memory of one decoder, as [`EncoderState`] is the encoder's.
#[repr(C, align(8))]
pub struct DecoderState {
    bytes: [u8; DECODER_STATE_BYTES],
}

impl DecoderState {
    /// Zeroed state, ready for [`Decoder::new`].
    pub const fn new() -> Self {
        DecoderState {
            bytes: [0; DECODER_STATE_BYTES],
        }
    }
}

impl Default for DecoderState {
    fn default() -> Self {
        Self::new()
    }
}

/// An Opus encoder with the desktop's default settings (the table in the
/// crate docs): every 20 ms frame becomes one packet of exactly [`PACKET`]
/// bytes.
pub struct Encoder<'a> {
    state: ffi::EncoderHandle<'a>,
}

impl core::fmt::Debug for Encoder<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Encoder").finish_non_exhaustive()
    }
}

impl<'a> Encoder<'a> {
    /// Initialises `state` as an encoder at [`RATE`], mono, and applies
    /// the desktop's default settings. Fails with
    /// [`Error::StateTooSmall`] if this libopus needs more memory than
    /// [`ENCODER_STATE_BYTES`].
    pub fn new(state: &'a mut EncoderState) -> Result<Self, Error> {
        let mut st = ffi::EncoderHandle::init(&mut state.bytes)?;
        st.set(ffi::EncoderSetting::Bitrate(BITRATE as i32))?;
        st.set(ffi::EncoderSetting::Vbr(false))?;
        st.set(ffi::EncoderSetting::Dtx(false))?;
        st.set(ffi::EncoderSetting::SignalVoice)?;
        st.set(ffi::EncoderSetting::MaxBandwidthWide)?;
        st.set(ffi::EncoderSetting::BandwidthWide)?;
        st.set(ffi::EncoderSetting::Complexity(COMPLEXITY))?;
        st.set(ffi::EncoderSetting::InbandFec(true))?;
        st.set(ffi::EncoderSetting::PacketLossPercent(0))?;
        Ok(Encoder { state: st })
    }

    /// Encodes one frame into `out`, which must hold at least [`PACKET`]
    /// bytes; returns the packet's length, always [`PACKET`] (anything
    /// else is [`Error::PacketSize`]: a constant size is what keeps speech
    /// and silence alike on the wire).
    pub fn encode(&mut self, pcm: &[i16; FRAME], out: &mut [u8]) -> Result<usize, Error> {
        let Some(out) = out.get_mut(..PACKET) else {
            return Err(Error::BufferTooSmall);
        };
        let n = self.state.encode(pcm, out)?;
        if n != PACKET {
            return Err(Error::PacketSize(n));
        }
        Ok(n)
    }

    /// Tells the encoder the packet loss the receiver reports, in percent
    /// (above 100 counts as 100), as the desktop's `set_expected_loss`:
    /// with loss expected Opus predicts less across frames and carries
    /// in-band FEC for the previous frame. The packet size stays.
    pub fn set_expected_loss(&mut self, percent: u8) -> Result<(), Error> {
        let p = i32::from(percent.min(100));
        self.state.set(ffi::EncoderSetting::PacketLossPercent(p))
    }

    /// Sets the encoder's complexity, 0..=10 (above 10 counts as 10;
    /// [`COMPLEXITY`] after [`Encoder::new`]). Lower costs less CPU and
    /// some quality; the packets stay the same size and any decoder reads
    /// them (the decoder does not depend on it).
    pub fn set_complexity(&mut self, complexity: u8) -> Result<(), Error> {
        let c = i32::from(complexity.min(10));
        self.state.set(ffi::EncoderSetting::Complexity(c))
    }

    /// The encoder's lookahead in samples at [`RATE`]: how far the decoded
    /// signal lags the input, the decoder's delay included.
    pub fn lookahead(&mut self) -> Result<usize, Error> {
        self.state.lookahead()
    }
}

/// An Opus decoder at [`RATE`], mono, returning 20 ms frames; it decodes
/// any Opus packet of one 20 ms frame (a desktop peer at either of its
/// bitrates).
pub struct Decoder<'a> {
    state: ffi::DecoderHandle<'a>,
}

impl core::fmt::Debug for Decoder<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Decoder").finish_non_exhaustive()
    }
}

impl<'a> Decoder<'a> {
    /// Initialises `state` as a decoder at [`RATE`], mono. Fails with
    /// [`Error::StateTooSmall`] if this libopus needs more memory than
    /// [`DECODER_STATE_BYTES`].
    pub fn new(state: &'a mut DecoderState) -> Result<Self, Error> {
        Ok(Decoder {
            state: ffi::DecoderHandle::init(&mut state.bytes)?,
        })
    }

    /// Decodes one packet into one frame. An empty packet is
    /// [`Error::EmptyPacket`] (libopus would take it for a lost one: call
    /// [`Decoder::conceal`] for that); a packet of another duration than
    /// 20 ms is [`Error::FrameSize`] or [`Error::BufferTooSmall`].
    pub fn decode(&mut self, packet: &[u8], out: &mut [i16; FRAME]) -> Result<(), Error> {
        if packet.is_empty() {
            return Err(Error::EmptyPacket);
        }
        self.run(Some(packet), false, out)
    }

    /// Conceals one lost frame (Opus' packet-loss concealment): call it
    /// once for every 20 ms with no packet.
    pub fn conceal(&mut self, out: &mut [i16; FRAME]) -> Result<(), Error> {
        self.run(None, false, out)
    }

    /// Rebuilds the frame *before* `next_packet` from the in-band FEC that
    /// `next_packet` carries (concealment if it carries none), as the
    /// desktop's `decode_fec`. Decode `next_packet` itself afterwards.
    pub fn decode_fec(&mut self, next_packet: &[u8], out: &mut [i16; FRAME]) -> Result<(), Error> {
        if next_packet.is_empty() {
            return Err(Error::EmptyPacket);
        }
        self.run(Some(next_packet), true, out)
    }

    fn run(
        &mut self,
        packet: Option<&[u8]>,
        fec: bool,
        out: &mut [i16; FRAME],
    ) -> Result<(), Error> {
        let n = self.state.decode(packet, fec, out)?;
        if n != FRAME {
            return Err(Error::FrameSize(n));
        }
        Ok(())
    }
}

/// `opus_encoder_get_size(1)` and `opus_decoder_get_size(1)` of the linked
/// libopus: what [`ENCODER_STATE_BYTES`] and [`DECODER_STATE_BYTES`] must
/// hold.
pub fn state_sizes() -> (usize, usize) {
    (ffi::encoder_size(), ffi::decoder_size())
}

/// The linked libopus' version string, e.g. "libopus 1.6.1-fixed".
pub fn version() -> &'static str {
    ffi::version()
}
