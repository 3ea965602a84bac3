//! The two device-free pipelines: capture (APM → Opus) and playback (playout
//! with FEC/PLC), both on 48 kHz sample buffers.
//!
//! Opus itself runs at [`PROCESSING_RATE`] with the bandwidth forced to
//! narrow- or wideband: its internal resamplers are part of its 6.5 ms
//! lookahead, so the pipelines need no resampler of their own (an external
//! one would add its filter delay and, within the delay budget, roll off the
//! top of the band).

use crate::apm::{EchoStats, ProcessingConfig, Processor, RenderHandle};
use crate::codec::{FrameSource, VoiceEncoder};
use crate::config::{CodecConfig, PROCESSING_FRAME, PROCESSING_RATE};
use crate::error::Result;
use crate::playout::{Playout, PlayoutStats, PushOutcome};
use crate::stretch::{Stretched, TimeStretch};

/// One encoded voice frame, ready for the cryptor to seal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoicePacket {
    /// Sequence number (wraps at 2³²); the receiver's playout orders by it.
    pub seq: u32,
    /// Opus payload of the constant size [`CodecConfig::packet_bytes`].
    pub payload: Vec<u8>,
}

/// Sender side: 48 kHz mono microphone samples in, constant-size Opus packets out.
///
/// Samples go through echo cancellation, noise suppression and gain control
/// (10 ms frames) and are encoded whenever a whole codec frame is ready. While muted the encoder is fed silence, so the
/// packet stream (count, timing and size) does not change.
#[derive(Debug)]
pub struct CapturePipeline {
    apm: Processor,
    enc: VoiceEncoder,
    mic: Vec<f32>,
    codec_buf: Vec<f32>,
    muted: bool,
    seq: u32,
}

impl CapturePipeline {
    /// Builds the pipeline.
    pub fn new(codec: &CodecConfig, processing: &ProcessingConfig) -> Result<Self> {
        let enc = VoiceEncoder::with_input_rate(codec, PROCESSING_RATE)?;
        Ok(CapturePipeline {
            apm: Processor::new(processing)?,
            mic: Vec::with_capacity(PROCESSING_FRAME),
            codec_buf: Vec::with_capacity(enc.frame_samples() + PROCESSING_FRAME),
            enc,
            muted: false,
            seq: 0,
        })
    }

    /// The codec configuration.
    pub fn codec(&self) -> &CodecConfig {
        self.enc.config()
    }

    /// The constant size of every packet's payload, in bytes.
    pub fn packet_bytes(&self) -> usize {
        self.enc.packet_bytes()
    }

    /// Mutes or unmutes. Muted, the pipeline still emits one packet per frame
    /// of the same size (encoded silence).
    pub fn set_muted(&mut self, muted: bool) {
        self.muted = muted;
    }

    /// Tells the encoder the packet loss the receiver reports, in percent
    /// (0 on a clean link); see [`VoiceEncoder::set_expected_loss`]. Feed it
    /// from the transport's link-quality reports. Packet size and rate do not
    /// change.
    pub fn set_expected_loss(&mut self, percent: u8) -> Result<()> {
        self.enc.set_expected_loss(percent)
    }

    /// Whether muted.
    pub fn is_muted(&self) -> bool {
        self.muted
    }

    /// Starts sequence numbers at `seq` (before the first packet).
    pub fn set_next_seq(&mut self, seq: u32) {
        self.seq = seq;
    }

    /// A handle for feeding the far-end (loudspeaker) signal as the echo
    /// reference, usable from the playback thread.
    pub fn render_handle(&self) -> RenderHandle {
        self.apm.render_handle()
    }

    /// The echo canceller's own statistics.
    pub fn echo_stats(&self) -> EchoStats {
        self.apm.echo_stats()
    }

    /// Algorithmic delay of this side in ms: one frame of buffering and the
    /// Opus lookahead (which includes Opus's own rate conversion both ways).
    pub fn delay_ms(&self) -> Result<f64> {
        let rate = self.enc.input_rate() as f64;
        let frame = self.codec().frame.millis() as f64;
        let look = self.enc.lookahead_samples()? as f64 * 1000.0 / rate;
        Ok(frame + look)
    }

    /// Feeds 48 kHz mono microphone samples (any count); appends every packet
    /// completed to `out`.
    pub fn push_capture(&mut self, samples: &[f32], out: &mut Vec<VoicePacket>) -> Result<()> {
        let mut rest = samples;
        while !rest.is_empty() {
            let take = (PROCESSING_FRAME - self.mic.len()).min(rest.len());
            self.mic.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.mic.len() == PROCESSING_FRAME {
                self.apm.process_capture(&mut self.mic)?;
                if self.muted {
                    self.mic.fill(0.0);
                }
                self.codec_buf.extend_from_slice(&self.mic);
                self.mic.clear();
                let n = self.enc.frame_samples();
                while self.codec_buf.len() >= n {
                    let payload = self.enc.encode(&self.codec_buf[..n])?;
                    self.codec_buf.drain(..n);
                    out.push(VoicePacket {
                        seq: self.seq,
                        payload,
                    });
                    self.seq = self.seq.wrapping_add(1);
                }
            }
        }
        Ok(())
    }
}

/// Receiver side: packets in by sequence number, 48 kHz mono samples out,
/// one codec frame per pull.
#[derive(Debug)]
pub struct PlaybackPipeline {
    playout: Playout,
    stretch: TimeStretch,
    frame: Vec<f32>,
}

impl PlaybackPipeline {
    /// Builds the pipeline.
    pub fn new(codec: &CodecConfig) -> Result<Self> {
        Ok(PlaybackPipeline {
            playout: Playout::with_output_rate(codec, PROCESSING_RATE)?,
            stretch: TimeStretch::new(PROCESSING_RATE),
            frame: Vec::new(),
        })
    }

    /// Sets the decoder complexity; see [`crate::VoiceDecoder::set_complexity`].
    pub fn set_decoder_complexity(&mut self, complexity: u8) -> Result<()> {
        self.playout.set_decoder_complexity(complexity)
    }

    /// Hands over a received packet; see [`Playout::push`].
    pub fn push_packet(&mut self, seq: u32, payload: Vec<u8>) -> PushOutcome {
        self.playout.push(seq, payload)
    }

    /// Produces the next frame, appending its 48 kHz samples to `out`
    /// (exactly `frame_ms × 48` samples).
    pub fn pull_frame(&mut self, out: &mut Vec<f32>) -> Result<FrameSource> {
        let f = self.playout.pull()?;
        out.extend_from_slice(&f.samples);
        Ok(f.source)
    }

    /// Like [`PlaybackPipeline::pull_frame`], but the frame is played
    /// faster (accelerate: one pitch period shorter, see [`TimeStretch`])
    /// when `shed` is true, or slower (preemptive expand: one pitch period
    /// longer) when `shed` is false. The frame's turn is used up either
    /// way. Returns where the frame came from and what the stretch did
    /// (`samples == 0`: no clear period, played as it is).
    pub fn pull_stretched(
        &mut self,
        out: &mut Vec<f32>,
        shed: bool,
    ) -> Result<(FrameSource, Stretched)> {
        let f = self.playout.pull()?;
        self.frame.clear();
        self.frame.extend_from_slice(&f.samples);
        let s = if shed {
            self.stretch.accelerate(&self.frame, out)
        } else {
            self.stretch.expand(&self.frame, out)
        };
        Ok((f.source, s))
    }

    /// Passes over the frames before `seq`; see [`Playout::skip_to`].
    pub fn skip_to(&mut self, seq: u32) -> u32 {
        self.playout.skip_to(seq)
    }

    /// One concealed frame inserted before the next, appended to `out`;
    /// see [`Playout::pull_inserted`].
    pub fn pull_inserted(&mut self, out: &mut Vec<f32>) -> Result<FrameSource> {
        let f = self.playout.pull_inserted()?;
        out.extend_from_slice(&f.samples);
        Ok(f.source)
    }

    /// The sequence number the next [`PlaybackPipeline::pull_frame`] plays
    /// (`None` before the first packet).
    pub fn next_seq(&self) -> Option<u32> {
        self.playout.next_seq()
    }

    /// Playout counters.
    pub fn stats(&self) -> PlayoutStats {
        self.playout.stats()
    }

    /// Algorithmic delay of this side in ms: none (the decoder's share of
    /// the Opus delay is in the encoder's lookahead, counted by
    /// [`CapturePipeline::delay_ms`]). Kept so callers can add both sides.
    pub fn delay_ms(&self) -> f64 {
        0.0
    }
}
