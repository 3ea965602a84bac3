//! Thin device layer (cpal): capture and playback as 48 kHz mono sample
//! streams, whatever the device's own rate and channel count.
//!
//! The processing core never sees a device: a capture stream hands 48 kHz
//! mono samples to a callback (which typically feeds a
//! [`CapturePipeline`](crate::CapturePipeline)), and a playback stream asks a
//! callback for 48 kHz mono samples (typically pulled from a
//! [`PlaybackPipeline`](crate::PlaybackPipeline), also fed to the echo
//! canceller's [`RenderHandle`](crate::RenderHandle)).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample, StreamConfig};

use crate::config::{PROCESSING_FRAME, PROCESSING_RATE};
use crate::error::{AudioError, Result};
use crate::resample::{PullResampler, StreamResampler};

const BUILD_TIMEOUT: Duration = Duration::from_secs(5);

fn dev_err(context: &str, e: impl std::fmt::Display) -> AudioError {
    AudioError::Device(format!("{context}: {e}"))
}

/// Which device to open.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    /// The host's default input or output device.
    #[default]
    Default,
    /// The device whose id equals this string, or else the first whose id or
    /// name contains it.
    Named(String),
}

/// A device as listed by the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Host-specific stable id (for PulseAudio: the sink or source name).
    pub id: String,
    /// Human-readable name.
    pub name: String,
}

/// The audio host (backend) to open devices with.
pub struct AudioHost {
    host: cpal::Host,
}

impl std::fmt::Debug for AudioHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioHost")
            .field("id", &self.host.id().name())
            .finish()
    }
}

/// Where a stream's errors are collected (they happen on the audio thread).
#[derive(Debug, Clone, Default)]
struct ErrorLog(Arc<Mutex<Vec<String>>>);

impl ErrorLog {
    fn push(&self, msg: String) {
        if let Ok(mut v) = self.0.lock()
            && v.len() < 100
        {
            v.push(msg);
        }
    }
    fn take(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }
}

/// A running capture stream; capture stops when it is dropped.
pub struct CaptureStream {
    stream: cpal::Stream,
    device_rate: u32,
    channels: u16,
    errors: ErrorLog,
}

/// A running playback stream; playback stops when it is dropped.
pub struct PlaybackStream {
    stream: cpal::Stream,
    device_rate: u32,
    channels: u16,
    errors: ErrorLog,
}

macro_rules! stream_common {
    ($t:ty) => {
        impl $t {
            /// The device's sample rate (converted to/from 48 kHz internally).
            pub fn device_rate(&self) -> u32 {
                self.device_rate
            }
            /// The device's channel count (mixed down / duplicated internally).
            pub fn channels(&self) -> u16 {
                self.channels
            }
            /// Errors reported since the last call (device lost, xruns, …).
            pub fn take_errors(&self) -> Vec<String> {
                self.errors.take()
            }
            /// Pauses the stream.
            pub fn pause(&self) -> Result<()> {
                self.stream.pause().map_err(|e| dev_err("pause", e))
            }
            /// Resumes the stream.
            pub fn resume(&self) -> Result<()> {
                self.stream.play().map_err(|e| dev_err("play", e))
            }
        }
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($t))
                    .field("device_rate", &self.device_rate)
                    .field("channels", &self.channels)
                    .finish()
            }
        }
    };
}
stream_common!(CaptureStream);
stream_common!(PlaybackStream);

/// Picks a configuration: f32 or i16, preferring 48 kHz so no resampling is needed.
fn pick_config(
    ranges: Vec<cpal::SupportedStreamConfigRange>,
    default: Option<cpal::SupportedStreamConfig>,
) -> Result<(StreamConfig, SampleFormat)> {
    for fmt in [SampleFormat::F32, SampleFormat::I16] {
        for r in &ranges {
            if r.sample_format() == fmt
                && let Some(c) = (*r).try_with_sample_rate(PROCESSING_RATE)
            {
                return Ok((c.config(), fmt));
            }
        }
    }
    if let Some(d) = default
        && matches!(d.sample_format(), SampleFormat::F32 | SampleFormat::I16)
    {
        return Ok((d.config(), d.sample_format()));
    }
    for fmt in [SampleFormat::F32, SampleFormat::I16] {
        if let Some(r) = ranges.iter().find(|r| r.sample_format() == fmt) {
            return Ok(((*r).with_max_sample_rate().config(), fmt));
        }
    }
    Err(AudioError::Device(
        "device offers neither f32 nor i16 samples".into(),
    ))
}

impl AudioHost {
    /// The platform's default host.
    pub fn default_host() -> Self {
        AudioHost {
            host: cpal::default_host(),
        }
    }

    /// The PulseAudio host (also serves PipeWire through pipewire-pulse).
    /// The server is found from `PULSE_SERVER` or the usual runtime paths.
    pub fn pulseaudio() -> Result<Self> {
        let host = cpal::host_from_id(cpal::HostId::PulseAudio)
            .map_err(|e| dev_err("PulseAudio host", e))?;
        Ok(AudioHost { host })
    }

    /// The host's name.
    pub fn name(&self) -> &'static str {
        self.host.id().name()
    }

    fn info(d: &cpal::Device) -> DeviceInfo {
        DeviceInfo {
            id: d.id().map(|i| i.id().to_string()).unwrap_or_default(),
            name: d
                .description()
                .map(|x| x.name().to_string())
                .unwrap_or_default(),
        }
    }

    /// Devices that can capture.
    pub fn input_devices(&self) -> Result<Vec<DeviceInfo>> {
        let devs = self
            .host
            .input_devices()
            .map_err(|e| dev_err("list inputs", e))?;
        Ok(devs.map(|d| Self::info(&d)).collect())
    }

    /// Devices that can play.
    pub fn output_devices(&self) -> Result<Vec<DeviceInfo>> {
        let devs = self
            .host
            .output_devices()
            .map_err(|e| dev_err("list outputs", e))?;
        Ok(devs.map(|d| Self::info(&d)).collect())
    }

    fn find(&self, choice: &DeviceChoice, input: bool) -> Result<cpal::Device> {
        let what = if input { "input" } else { "output" };
        match choice {
            DeviceChoice::Default => {
                let d = if input {
                    self.host.default_input_device()
                } else {
                    self.host.default_output_device()
                };
                d.ok_or_else(|| AudioError::Device(format!("no default {what} device")))
            }
            DeviceChoice::Named(want) => {
                let devs: Vec<cpal::Device> = if input {
                    self.host
                        .input_devices()
                        .map_err(|e| dev_err("list", e))?
                        .collect()
                } else {
                    self.host
                        .output_devices()
                        .map_err(|e| dev_err("list", e))?
                        .collect()
                };
                let infos: Vec<DeviceInfo> = devs.iter().map(Self::info).collect();
                let idx = infos
                    .iter()
                    .position(|i| &i.id == want)
                    .or_else(|| {
                        infos.iter().position(|i| {
                            i.id.contains(want.as_str()) || i.name.contains(want.as_str())
                        })
                    })
                    .ok_or_else(|| {
                        AudioError::Device(format!("no {what} device matches {want:?}"))
                    })?;
                devs.into_iter()
                    .nth(idx)
                    .ok_or_else(|| AudioError::Device(format!("{what} device vanished")))
            }
        }
    }

    /// Opens a capture device. `on_samples` receives 48 kHz mono samples on
    /// the audio thread, in whatever chunk sizes the device delivers.
    pub fn open_capture<F>(&self, choice: &DeviceChoice, on_samples: F) -> Result<CaptureStream>
    where
        F: FnMut(&[f32]) + Send + 'static,
    {
        let dev = self.find(choice, true)?;
        let ranges: Vec<_> = dev
            .supported_input_configs()
            .map_err(|e| dev_err("input configs", e))?
            .collect();
        let (config, fmt) = pick_config(ranges, dev.default_input_config().ok())?;
        let errors = ErrorLog::default();
        let stream = match fmt {
            SampleFormat::F32 => {
                build_capture::<f32, F>(&dev, &config, on_samples, errors.clone())?
            }
            _ => build_capture::<i16, F>(&dev, &config, on_samples, errors.clone())?,
        };
        stream.play().map_err(|e| dev_err("start capture", e))?;
        Ok(CaptureStream {
            stream,
            device_rate: config.sample_rate,
            channels: config.channels,
            errors,
        })
    }

    /// Opens a playback device. `fill` is called on the audio thread to fill
    /// buffers of 48 kHz mono samples (10 ms each); whatever it leaves
    /// untouched is silence.
    pub fn open_playback<F>(&self, choice: &DeviceChoice, fill: F) -> Result<PlaybackStream>
    where
        F: FnMut(&mut [f32]) + Send + 'static,
    {
        let dev = self.find(choice, false)?;
        let ranges: Vec<_> = dev
            .supported_output_configs()
            .map_err(|e| dev_err("output configs", e))?
            .collect();
        let (config, fmt) = pick_config(ranges, dev.default_output_config().ok())?;
        let errors = ErrorLog::default();
        let stream = match fmt {
            SampleFormat::F32 => build_playback::<f32, F>(&dev, &config, fill, errors.clone())?,
            _ => build_playback::<i16, F>(&dev, &config, fill, errors.clone())?,
        };
        stream.play().map_err(|e| dev_err("start playback", e))?;
        Ok(PlaybackStream {
            stream,
            device_rate: config.sample_rate,
            channels: config.channels,
            errors,
        })
    }
}

fn build_capture<T, F>(
    dev: &cpal::Device,
    config: &StreamConfig,
    mut on_samples: F,
    errors: ErrorLog,
) -> Result<cpal::Stream>
where
    T: SizedSample,
    f32: FromSample<T>,
    F: FnMut(&[f32]) + Send + 'static,
{
    let ch = usize::from(config.channels.max(1));
    let mut rs = StreamResampler::with_10ms_chunks(config.sample_rate, PROCESSING_RATE)?;
    let mut mono = Vec::new();
    let mut out = Vec::new();
    let cb_errors = errors.clone();
    dev.build_input_stream::<T, _, _>(
        *config,
        move |data: &[T], _| {
            mono.clear();
            mono.extend(
                data.chunks(ch)
                    .map(|fr| fr.iter().map(|s| s.to_sample::<f32>()).sum::<f32>() / ch as f32),
            );
            out.clear();
            if let Err(e) = rs.process(&mono, &mut out) {
                cb_errors.push(e.to_string());
                return;
            }
            if !out.is_empty() {
                on_samples(&out);
            }
        },
        move |e| errors.push(e.to_string()),
        Some(BUILD_TIMEOUT),
    )
    .map_err(|e| dev_err("open capture", e))
}

fn build_playback<T, F>(
    dev: &cpal::Device,
    config: &StreamConfig,
    mut fill: F,
    errors: ErrorLog,
) -> Result<cpal::Stream>
where
    T: SizedSample + FromSample<f32>,
    F: FnMut(&mut [f32]) + Send + 'static,
{
    let ch = usize::from(config.channels.max(1));
    let mut rs = PullResampler::new(StreamResampler::with_10ms_chunks(
        PROCESSING_RATE,
        config.sample_rate,
    )?);
    let mut chunk = vec![0f32; PROCESSING_FRAME];
    let mut mono = Vec::new();
    let cb_errors = errors.clone();
    dev.build_output_stream::<T, _, _>(
        *config,
        move |data: &mut [T], _| {
            let frames = data.len() / ch;
            while rs.available() < frames {
                chunk.fill(0.0);
                fill(&mut chunk);
                if let Err(e) = rs.push(&chunk) {
                    cb_errors.push(e.to_string());
                    break;
                }
            }
            mono.clear();
            mono.resize(frames, 0.0);
            rs.pop_into(&mut mono);
            for (fr, &s) in data.chunks_mut(ch).zip(mono.iter()) {
                for o in fr {
                    *o = T::from_sample(s);
                }
            }
        },
        move |e| errors.push(e.to_string()),
        Some(BUILD_TIMEOUT),
    )
    .map_err(|e| dev_err("open playback", e))
}
