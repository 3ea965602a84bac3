#![doc = include_str!("../README.md")]

mod apm;
mod codec;
mod config;
mod device;
mod error;
mod loss;
mod pipeline;
mod playout;
pub mod quality;
mod resample;
mod stretch;
mod wav;

pub use apm::{EchoStats, NoiseLevel, ProcessingConfig, Processor, RenderHandle};
pub use codec::{DECODER_COMPLEXITY, FrameSource, VoiceDecoder, VoiceEncoder, libopus_version};
pub use config::{
    Bandwidth, CodecConfig, DEFAULT_BITRATE, FrameDuration, LOW_BANDWIDTH_BITRATE,
    PROCESSING_FRAME, PROCESSING_RATE,
};
pub use device::{AudioHost, CaptureStream, DeviceChoice, DeviceInfo, PlaybackStream};
pub use error::{AudioError, Result};
pub use loss::{GilbertElliott, LossModel, NoLoss, RandomLoss, SeededRng};
pub use pipeline::{CapturePipeline, PlaybackPipeline, VoicePacket};
pub use playout::{MAX_AHEAD, Playout, PlayoutFrame, PlayoutStats, PushOutcome};
pub use resample::{PullResampler, StreamResampler};
pub use stretch::{MIN_CORRELATION, Stretched, TimeStretch};
pub use wav::{read_wav_mono, write_wav_mono};
