//! Echo cancellation, noise suppression and gain control (WebRTC APM).

use webrtc_audio_processing as wap;

use crate::config::PROCESSING_FRAME;
use crate::error::{AudioError, Result};

/// What the capture-side processor does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessingConfig {
    /// Acoustic echo cancellation against the far-end (playback) reference.
    pub echo_cancellation: bool,
    /// Known delay in ms between playing a far-end frame and its echo reaching
    /// the capture path, if fixed and known; `None` lets the AEC estimate it.
    pub echo_delay_ms: Option<i32>,
    /// Noise suppression.
    pub noise_suppression: bool,
    /// Noise suppression level, if on.
    pub noise_level: NoiseLevel,
    /// Digital gain control with limiter.
    pub gain_control: bool,
    /// High-pass filter (removes DC and rumble).
    pub high_pass: bool,
}

impl Default for ProcessingConfig {
    fn default() -> Self {
        ProcessingConfig {
            echo_cancellation: true,
            echo_delay_ms: None,
            noise_suppression: true,
            noise_level: NoiseLevel::Low,
            gain_control: true,
            high_pass: true,
        }
    }
}

/// How hard noise suppression works (harder removes more noise and more speech).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoiseLevel {
    /// Gentle (the default: least speech distortion).
    Low,
    /// Moderate.
    Moderate,
    /// High.
    High,
}

impl ProcessingConfig {
    /// Everything off: samples pass through unchanged.
    pub fn bypass() -> Self {
        ProcessingConfig {
            echo_cancellation: false,
            echo_delay_ms: None,
            noise_suppression: false,
            noise_level: NoiseLevel::Low,
            gain_control: false,
            high_pass: false,
        }
    }

    fn is_bypass(&self) -> bool {
        !(self.echo_cancellation || self.noise_suppression || self.gain_control || self.high_pass)
    }

    fn to_wap(&self) -> wap::Config {
        wap::Config {
            echo_cancellation: self.echo_cancellation.then(|| wap::EchoCancellation {
                suppression_level: wap::EchoCancellationSuppressionLevel::High,
                enable_extended_filter: true,
                enable_delay_agnostic: self.echo_delay_ms.is_none(),
                stream_delay_ms: self.echo_delay_ms,
            }),
            gain_control: self.gain_control.then_some(wap::GainControl {
                mode: wap::GainControlMode::AdaptiveDigital,
                target_level_dbfs: 3,
                compression_gain_db: 9,
                enable_limiter: true,
            }),
            noise_suppression: self.noise_suppression.then_some(wap::NoiseSuppression {
                suppression_level: match self.noise_level {
                    NoiseLevel::Low => wap::NoiseSuppressionLevel::Low,
                    NoiseLevel::Moderate => wap::NoiseSuppressionLevel::Moderate,
                    NoiseLevel::High => wap::NoiseSuppressionLevel::High,
                },
            }),
            voice_detection: None,
            enable_transient_suppressor: false,
            enable_high_pass_filter: self.high_pass,
        }
    }
}

/// Echo-return-loss-enhancement and related statistics from the canceller.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EchoStats {
    /// ERLE in dB as the canceller itself estimates it.
    pub erle_db: Option<f64>,
    /// ERL in dB as the canceller estimates it.
    pub erl_db: Option<f64>,
    /// Median echo delay estimate in ms.
    pub delay_median_ms: Option<i32>,
}

/// The capture-side processor: 48 kHz mono, 10 ms (480-sample) frames.
///
/// Feed every frame that goes to the loudspeaker to [`Self::process_render`]
/// (the far-end reference) and every microphone frame to
/// [`Self::process_capture`], in real-time order.
pub struct Processor {
    inner: Option<wap::Processor>,
    config: ProcessingConfig,
}

impl std::fmt::Debug for Processor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Processor")
            .field("config", &self.config)
            .finish()
    }
}

fn wap_err(e: wap::Error) -> AudioError {
    AudioError::Processing(e.to_string())
}

fn check_len(frame: &[f32]) -> Result<()> {
    if frame.len() != PROCESSING_FRAME {
        return Err(AudioError::InvalidConfig(format!(
            "processing frame of {} samples, expected {PROCESSING_FRAME}",
            frame.len()
        )));
    }
    Ok(())
}

impl Processor {
    /// Builds a processor.
    pub fn new(config: &ProcessingConfig) -> Result<Self> {
        if config.is_bypass() {
            return Ok(Processor {
                inner: None,
                config: config.clone(),
            });
        }
        let init = wap::InitializationConfig {
            num_capture_channels: 1,
            num_render_channels: 1,
            ..wap::InitializationConfig::default()
        };
        let mut p = wap::Processor::new(&init).map_err(wap_err)?;
        p.set_config(config.to_wap());
        Ok(Processor {
            inner: Some(p),
            config: config.clone(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ProcessingConfig {
        &self.config
    }

    /// Processes one 10 ms microphone frame in place.
    pub fn process_capture(&mut self, frame: &mut [f32]) -> Result<()> {
        check_len(frame)?;
        match &mut self.inner {
            Some(p) => p.process_capture_frame(frame).map_err(wap_err),
            None => Ok(()),
        }
    }

    /// Analyses one 10 ms far-end (loudspeaker) frame as the echo reference.
    /// The frame itself is not changed.
    pub fn process_render(&mut self, frame: &[f32]) -> Result<()> {
        check_len(frame)?;
        match &mut self.inner {
            Some(p) => {
                let mut copy = frame.to_vec();
                p.process_render_frame(&mut copy).map_err(wap_err)
            }
            None => Ok(()),
        }
    }

    /// A handle that feeds the far-end reference from another thread (the
    /// playback callback). It shares the canceller with this processor.
    pub fn render_handle(&self) -> RenderHandle {
        RenderHandle {
            inner: self.inner.clone(),
            pending: Vec::with_capacity(PROCESSING_FRAME),
        }
    }

    /// The canceller's own statistics (if echo cancellation is on).
    pub fn echo_stats(&self) -> EchoStats {
        match &self.inner {
            Some(p) => {
                let s = p.get_stats();
                EchoStats {
                    erle_db: s.echo_return_loss_enhancement,
                    erl_db: s.echo_return_loss,
                    delay_median_ms: s.delay_median_ms,
                }
            }
            None => EchoStats::default(),
        }
    }
}

/// Feeds far-end (loudspeaker) audio to a [`Processor`] from any thread, in
/// any chunk size; see [`Processor::render_handle`].
pub struct RenderHandle {
    inner: Option<wap::Processor>,
    pending: Vec<f32>,
}

impl std::fmt::Debug for RenderHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderHandle")
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl RenderHandle {
    /// Feeds 48 kHz mono samples that are being (or are about to be) played.
    pub fn push(&mut self, samples: &[f32]) -> Result<()> {
        let Some(p) = self.inner.as_mut() else {
            return Ok(());
        };
        let mut rest = samples;
        while !rest.is_empty() {
            let take = (PROCESSING_FRAME - self.pending.len()).min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() == PROCESSING_FRAME {
                p.process_render_frame(&mut self.pending).map_err(wap_err)?;
                self.pending.clear();
            }
        }
        Ok(())
    }
}
