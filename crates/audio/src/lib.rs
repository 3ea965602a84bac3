#![doc = include_str!("../README.md")]

pub mod apm;
pub mod codec;
pub mod config;
pub mod device;
pub mod error;
pub mod loss;
pub mod pipeline;
pub mod playout;
pub mod quality;
pub mod resample;
pub mod wav;

pub use apm::{EchoStats, NoiseLevel, ProcessingConfig, Processor, RenderHandle};
pub use codec::{DECODER_COMPLEXITY, FrameSource, VoiceDecoder, VoiceEncoder, libopus_version};
pub use config::{Bandwidth, CodecConfig, FrameDuration, PROCESSING_FRAME, PROCESSING_RATE};
pub use device::{AudioHost, CaptureStream, DeviceChoice, DeviceInfo, PlaybackStream};
pub use error::{AudioError, Result};
pub use loss::{GilbertElliott, LossModel, NoLoss, RandomLoss, SeededRng};
pub use pipeline::{CapturePipeline, PlaybackPipeline, VoicePacket};
pub use playout::{Playout, PlayoutFrame, PlayoutStats, PushOutcome};
pub use resample::{PullResampler, StreamResampler};
pub use wav::{read_wav_mono, write_wav_mono};
