//! Opus encoder and decoder with the engine's fixed policy: constant bitrate,
//! no DTX, in-band FEC, and packet-loss concealment.
//!
//! libopus is 1.6.1, built from the source bundled in `opusic-sys` (cmake)
//! with its neural networks compiled in (weights included, nothing is loaded
//! at run time): the decoder runs at [`DECODER_COMPLEXITY`], which turns on
//! deep packet-loss concealment (≥ 5) and the LACE speech enhancement of
//! decoded wideband SILK frames (≥ 6). DRED (deep redundancy) is built but
//! not used: in constant bitrate at ≤ 24 kbit/s libopus leaves it no room
//! (docs/performance.md, "audio").
//!
//! The audio bandwidth (narrowband or wideband) is forced on the encoder, so
//! the samples it takes and the decoder returns may be at any Opus rate at
//! least as high as the bandwidth's: the pipelines use 48 kHz and let Opus's
//! own resamplers (already counted in its lookahead) convert.

use opusic_c::{Application, Bitrate, Channels, ErrorCode, InbandFec, SampleRate, Signal};
use opusic_c::{Decoder as OpusDec, Encoder as OpusEnc};

use crate::config::{Bandwidth, CodecConfig};
use crate::error::{AudioError, Result};

fn opus_err(what: &'static str) -> impl FnOnce(ErrorCode) -> AudioError {
    move |e| AudioError::Opus(format!("{what}: {}", e.message()))
}

/// The decoder's default complexity (0..=10). 5 and above conceal lost
/// frames with deep PLC (a neural network extrapolates the speech); 6 adds
/// LACE, which enhances every decoded wideband SILK frame; 7 swaps LACE for
/// the larger NoLACE (no better through the capture processing here, 2.5×
/// the decoding time). At 6 a 20 ms frame decodes in ≈ 0.17 ms (0.13 ms at
/// 0, 0.41 ms at 7) and a concealed one costs ≈ 0.45 ms (0.02 ms at 0).
pub const DECODER_COMPLEXITY: u8 = 6;

/// The libopus version linked, e.g. "libopus 1.6.1".
pub fn libopus_version() -> &'static str {
    opusic_c::version()
}

/// The Opus API sample rate for `rate` Hz, which must be one Opus supports
/// and at least the bandwidth's own rate.
fn opus_rate(bw: Bandwidth, rate: u32) -> Result<SampleRate> {
    let sr = match rate {
        8_000 => SampleRate::Hz8000,
        12_000 => SampleRate::Hz12000,
        16_000 => SampleRate::Hz16000,
        24_000 => SampleRate::Hz24000,
        48_000 => SampleRate::Hz48000,
        other => {
            return Err(AudioError::InvalidConfig(format!(
                "Opus sample rate {other} Hz (supported: 8000, 12000, 16000, 24000, 48000)"
            )));
        }
    };
    if rate < bw.sample_rate() {
        return Err(AudioError::InvalidConfig(format!(
            "sample rate {rate} Hz below the {} Hz the {bw:?} bandwidth needs",
            bw.sample_rate()
        )));
    }
    Ok(sr)
}

fn frame_samples_at(config: &CodecConfig, rate: u32) -> usize {
    (rate * config.frame.millis() / 1000) as usize
}

fn opus_bandwidth(bw: Bandwidth) -> opusic_c::Bandwidth {
    match bw {
        Bandwidth::Narrowband => opusic_c::Bandwidth::Narrow,
        Bandwidth::Wideband => opusic_c::Bandwidth::Wide,
    }
}

/// An Opus encoder that emits packets of one constant size.
///
/// Constant bitrate and DTX off mean that neither packet sizes nor packet rate
/// reveal whether the user is speaking, silent or muted.
pub struct VoiceEncoder {
    enc: OpusEnc,
    lookahead: u32,
    config: CodecConfig,
    rate: u32,
}

impl std::fmt::Debug for VoiceEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoiceEncoder")
            .field("config", &self.config)
            .field("rate", &self.rate)
            .finish()
    }
}

impl VoiceEncoder {
    /// Builds an encoder for `config` taking samples at the codec rate
    /// ([`CodecConfig::sample_rate`]).
    pub fn new(config: &CodecConfig) -> Result<Self> {
        Self::with_input_rate(config, config.sample_rate())
    }

    /// Builds an encoder for `config` taking samples at `rate` Hz (8, 12,
    /// 16, 24 or 48 kHz, at least the codec rate). The bandwidth stays
    /// forced and packets keep their size; Opus converts the rate itself
    /// inside its lookahead, so no delay is added.
    pub fn with_input_rate(config: &CodecConfig, rate: u32) -> Result<Self> {
        config.validate()?;
        let mut enc = OpusEnc::new(
            Channels::Mono,
            opus_rate(config.bandwidth, rate)?,
            Application::Voip,
        )
        .map_err(opus_err("encoder"))?;
        enc.set_bitrate(Bitrate::Value(config.bitrate))
            .map_err(opus_err("set_bitrate"))?;
        enc.set_vbr(false).map_err(opus_err("set_vbr"))?;
        enc.set_dtx(false).map_err(opus_err("set_dtx"))?;
        enc.set_signal(Signal::Voice)
            .map_err(opus_err("set_signal"))?;
        enc.set_max_bandwidth(opus_bandwidth(config.bandwidth))
            .map_err(opus_err("set_max_bandwidth"))?;
        enc.set_bandwidth(opus_bandwidth(config.bandwidth))
            .map_err(opus_err("set_bandwidth"))?;
        enc.set_complexity(config.complexity)
            .map_err(opus_err("set_complexity"))?;
        let fec = if config.inband_fec {
            InbandFec::Mode1
        } else {
            InbandFec::Off
        };
        enc.set_inband_fec(fec)
            .map_err(opus_err("set_inband_fec"))?;
        enc.set_packet_loss(config.expected_loss_percent)
            .map_err(opus_err("set_packet_loss"))?;
        // Fixed by the application and rate; read once (the binding needs
        // `&mut` to ask).
        let lookahead = enc.get_look_ahead().map_err(opus_err("get_look_ahead"))?;
        Ok(VoiceEncoder {
            enc,
            lookahead,
            config: config.clone(),
            rate,
        })
    }

    /// The configuration (with the expected loss last set).
    pub fn config(&self) -> &CodecConfig {
        &self.config
    }

    /// Tells the encoder the packet loss the receiver currently reports, in
    /// percent (values above 100 count as 100). Feed it from the transport's
    /// link-quality reports; 0 on a clean link.
    ///
    /// With a non-zero value Opus codes more robustly (less long-term
    /// prediction, so a loss propagates less) and, if the bitrate leaves room,
    /// adds in-band FEC (LBRR) for the previous frame; both cost quality on a
    /// clean link, which is why this should follow the measured loss. The
    /// packet size does not change. libopus (1.3.1 and 1.6.1 alike) adds LBRR
    /// only above about 20 kbit/s (wideband, CBR, 5% loss; see
    /// docs/performance.md): at the default 32 kbit/s it does, at the
    /// low-bandwidth 16 kbit/s this only changes the prediction.
    pub fn set_expected_loss(&mut self, percent: u8) -> Result<()> {
        let p = percent.min(100);
        self.enc
            .set_packet_loss(p)
            .map_err(opus_err("set_packet_loss"))?;
        self.config.expected_loss_percent = p;
        Ok(())
    }

    /// The sample rate this encoder takes, in Hz.
    pub fn input_rate(&self) -> u32 {
        self.rate
    }

    /// Samples per frame this encoder takes.
    pub fn frame_samples(&self) -> usize {
        frame_samples_at(&self.config, self.rate)
    }

    /// The constant packet size in bytes.
    pub fn packet_bytes(&self) -> usize {
        self.config.packet_bytes()
    }

    /// The encoder's lookahead (algorithmic delay beyond the frame, including
    /// the decoder's), in samples at [`Self::input_rate`].
    pub fn lookahead_samples(&self) -> Result<u32> {
        Ok(self.lookahead)
    }

    /// Encodes one frame of exactly [`Self::frame_samples`] samples in −1..1
    /// into a packet of exactly [`Self::packet_bytes`] bytes.
    pub fn encode(&mut self, frame: &[f32]) -> Result<Vec<u8>> {
        if frame.len() != self.frame_samples() {
            return Err(AudioError::InvalidConfig(format!(
                "encoder frame of {} samples, expected {}",
                frame.len(),
                self.frame_samples()
            )));
        }
        let mut out = vec![0u8; self.packet_bytes()];
        let n = self
            .enc
            .encode_float_to_slice(frame, &mut out)
            .map_err(opus_err("encode"))?;
        if n != out.len() {
            return Err(AudioError::PacketSize {
                got: n,
                expected: out.len(),
            });
        }
        Ok(out)
    }
}

/// How a decoded frame was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameSource {
    /// Decoded from its own packet.
    Packet,
    /// Rebuilt from the forward error correction carried in the next packet.
    Fec,
    /// Concealed (extrapolated) by the decoder: no packet was available.
    Concealed,
    /// Silence: no packet has been received yet.
    Silence,
}

/// An Opus decoder with loss concealment.
pub struct VoiceDecoder {
    dec: OpusDec,
    config: CodecConfig,
    rate: u32,
}

impl std::fmt::Debug for VoiceDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoiceDecoder")
            .field("config", &self.config)
            .field("rate", &self.rate)
            .finish()
    }
}

impl VoiceDecoder {
    /// Builds a decoder for `config` (only the bandwidth and frame size
    /// matter) returning samples at the codec rate.
    pub fn new(config: &CodecConfig) -> Result<Self> {
        Self::with_output_rate(config, config.sample_rate())
    }

    /// Builds a decoder returning samples at `rate` Hz (8, 12, 16, 24 or
    /// 48 kHz, at least the codec rate); Opus upsamples with no added delay.
    pub fn with_output_rate(config: &CodecConfig, rate: u32) -> Result<Self> {
        config.validate()?;
        let mut dec = OpusDec::new(Channels::Mono, opus_rate(config.bandwidth, rate)?)
            .map_err(opus_err("decoder"))?;
        dec.set_complexity(DECODER_COMPLEXITY)
            .map_err(opus_err("decoder set_complexity"))?;
        Ok(VoiceDecoder {
            dec,
            config: config.clone(),
            rate,
        })
    }

    /// Sets the decoder complexity (0..=10; default [`DECODER_COMPLEXITY`]):
    /// below 5 Opus's classic concealment and no enhancement, for machines
    /// short of CPU.
    pub fn set_complexity(&mut self, complexity: u8) -> Result<()> {
        if complexity > 10 {
            return Err(AudioError::InvalidConfig(format!(
                "decoder complexity {complexity} above 10"
            )));
        }
        self.dec
            .set_complexity(complexity)
            .map_err(opus_err("decoder set_complexity"))
    }

    /// The sample rate this decoder returns, in Hz.
    pub fn output_rate(&self) -> u32 {
        self.rate
    }

    /// Samples per frame this decoder returns.
    pub fn frame_samples(&self) -> usize {
        frame_samples_at(&self.config, self.rate)
    }

    fn run(&mut self, packet: Option<&[u8]>, fec: bool) -> Result<Vec<f32>> {
        let n = self.frame_samples();
        let mut out = vec![0f32; n];
        // An empty input means "lost" to libopus; only `None` may mean that.
        if packet.is_some_and(<[u8]>::is_empty) {
            return Err(AudioError::BadPacket("empty packet".into()));
        }
        let got = self
            .dec
            .decode_float_to_slice(packet.unwrap_or(&[]), &mut out, fec)
            .map_err(|e| AudioError::BadPacket(e.message().into()))?;
        if got != n {
            return Err(AudioError::BadPacket(format!(
                "packet decoded to {got} samples, expected {n} (frame size mismatch)"
            )));
        }
        Ok(out)
    }

    /// Decodes one packet into one frame.
    pub fn decode(&mut self, packet: &[u8]) -> Result<Vec<f32>> {
        self.run(Some(packet), false)
    }

    /// Conceals one missing frame (Opus PLC: decode with no packet).
    pub fn conceal(&mut self) -> Result<Vec<f32>> {
        self.run(None, false)
    }

    /// Rebuilds the frame *before* `next_packet` from the FEC data that
    /// `next_packet` carries. If it carries none, Opus falls back to concealment.
    /// `next_packet` itself must still be decoded afterwards with [`Self::decode`].
    pub fn decode_fec(&mut self, next_packet: &[u8]) -> Result<Vec<f32>> {
        self.run(Some(next_packet), true)
    }

    /// Decodes a frame from wherever it can be had.
    pub fn decode_or_conceal(&mut self, packet: Option<&[u8]>) -> Result<(Vec<f32>, FrameSource)> {
        match packet {
            Some(p) => Ok((self.decode(p)?, FrameSource::Packet)),
            None => Ok((self.conceal()?, FrameSource::Concealed)),
        }
    }
}
