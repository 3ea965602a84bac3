//! Where a call's audio comes from and goes to: the sound device, or WAV
//! files for headless use. Both speak 48 kHz mono in 20 ms frames.

use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use susurro_audio::{
    AudioHost, CaptureStream, DeviceChoice, PROCESSING_RATE, PlaybackStream, StreamResampler,
    read_wav_mono, write_wav_mono,
};

/// Rate of everything here.
pub(crate) const RATE: u32 = PROCESSING_RATE;

/// Rate of the WAV files written by the headless sink (what PESQ-WB scores).
pub(crate) const WAV_OUT_RATE: u32 = 16_000;

/// Microseconds since the Unix epoch (timestamps in reports).
pub(crate) fn unix_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// What the user asked for.
#[derive(Debug, Clone, Default)]
pub struct AudioSpec {
    /// Read the microphone side from this WAV file (any rate, mono).
    pub input: Option<PathBuf>,
    /// Write what we hear to this WAV file (16 kHz mono).
    pub output: Option<PathBuf>,
    /// Capture device name (when no input file).
    pub capture_device: Option<String>,
    /// Playback device name (when no output file).
    pub playback_device: Option<String>,
}

/// The microphone side.
pub(crate) enum Source {
    /// Samples of a file, played once, then silence.
    File {
        /// The samples, 48 kHz (loaded once, shared by every call).
        samples: Arc<Vec<f32>>,
        /// Next sample to play.
        pos: usize,
        /// When the first sample was taken (µs since the epoch).
        started: Option<u64>,
    },
    /// A capture device.
    Device {
        /// The open stream (closed on drop).
        _stream: CaptureStream,
        /// Chunks from the audio thread.
        rx: mpsc::Receiver<Vec<f32>>,
        /// Samples received but not yet used.
        pending: Vec<f32>,
    },
    /// Silence (no microphone).
    Silence,
}

impl Source {
    /// Opens what `spec` names.
    pub(crate) fn open(spec: &AudioSpec, host: Option<&AudioHost>) -> Result<Self> {
        if let Some(path) = &spec.input {
            return Self::file(path);
        }
        let Some(host) = host else {
            return Ok(Source::Silence);
        };
        let (tx, rx) = mpsc::sync_channel::<Vec<f32>>(64);
        let choice = device_choice(spec.capture_device.as_deref());
        let stream = host
            .open_capture(&choice, move |s: &[f32]| {
                // A full queue drops the newest chunk: the call is behind.
                let _ = tx.try_send(s.to_vec());
            })
            .context("cannot open the microphone")?;
        Ok(Source::Device {
            _stream: stream,
            rx,
            pending: Vec::new(),
        })
    }

    /// A WAV file resampled to 48 kHz.
    pub(crate) fn file(path: &Path) -> Result<Self> {
        Ok(Self::samples(Arc::new(Self::load(path)?)))
    }

    /// Plays `samples` (48 kHz) from the start.
    pub(crate) fn samples(samples: Arc<Vec<f32>>) -> Self {
        Source::File {
            samples,
            pos: 0,
            started: None,
        }
    }

    /// Reads a WAV file and resamples it to 48 kHz. Slow for long files in
    /// a debug build: done once, off the audio path.
    pub(crate) fn load(path: &Path) -> Result<Vec<f32>> {
        let (x, rate) = read_wav_mono(path, None)
            .with_context(|| format!("cannot use {} as call input", path.display()))?;
        let samples = if rate == RATE {
            x
        } else {
            let mut rs = StreamResampler::high_quality(rate, RATE)?;
            let mut out = Vec::with_capacity(x.len() * RATE as usize / rate as usize + 1024);
            rs.process(&x, &mut out)?;
            // Flush the filter's tail.
            rs.process(&vec![0.0; rate as usize / 10], &mut out)?;
            out
        };
        Ok(samples)
    }

    /// Fills `frame` with the next samples (silence when none are ready).
    pub(crate) fn read(&mut self, frame: &mut [f32]) {
        match self {
            Source::File {
                samples,
                pos,
                started,
            } => {
                if started.is_none() {
                    *started = Some(unix_micros());
                }
                let rest = samples.get(*pos..).unwrap_or_default();
                let n = frame.len().min(rest.len());
                frame[..n].copy_from_slice(&rest[..n]);
                frame[n..].fill(0.0);
                *pos += frame.len();
            }
            Source::Device { rx, pending, .. } => {
                while pending.len() < frame.len() {
                    match rx.try_recv() {
                        Ok(chunk) => pending.extend_from_slice(&chunk),
                        Err(_) => break,
                    }
                }
                // Never let the device run ahead by more than 3 frames.
                let excess = pending.len().saturating_sub(frame.len() * 3);
                pending.drain(..excess);
                let n = frame.len().min(pending.len());
                frame[..n].copy_from_slice(&pending[..n]);
                frame[n..].fill(0.0);
                pending.drain(..n);
            }
            Source::Silence => frame.fill(0.0),
        }
    }

    /// When the file started playing into the call.
    pub(crate) fn started(&self) -> Option<u64> {
        match self {
            Source::File { started, .. } => *started,
            _ => None,
        }
    }

    /// Whether a file source has played all of its samples.
    pub(crate) fn finished(&self) -> bool {
        matches!(self, Source::File { samples, pos, .. } if *pos >= samples.len())
    }
}

/// The loudspeaker side.
pub(crate) enum Sink {
    /// Collected, written as a 16 kHz WAV file at the end of the call.
    File {
        /// Where to write.
        path: PathBuf,
        /// What was played, 48 kHz.
        samples: Vec<f32>,
        /// When the first frame was written (µs since the epoch).
        started: Option<u64>,
    },
    /// A playback device.
    Device {
        /// The open stream (closed on drop).
        _stream: PlaybackStream,
        /// Frames for the audio thread.
        tx: mpsc::SyncSender<Vec<f32>>,
    },
    /// Nowhere.
    Discard,
}

impl Sink {
    /// Opens what `spec` names.
    pub(crate) fn open(spec: &AudioSpec, host: Option<&AudioHost>) -> Result<Self> {
        if let Some(path) = &spec.output {
            return Ok(Sink::File {
                path: path.clone(),
                samples: Vec::new(),
                started: None,
            });
        }
        let Some(host) = host else {
            return Ok(Sink::Discard);
        };
        let (tx, rx) = mpsc::sync_channel::<Vec<f32>>(8);
        let mut pending: Vec<f32> = Vec::new();
        let choice = device_choice(spec.playback_device.as_deref());
        let stream = host
            .open_playback(&choice, move |out: &mut [f32]| {
                while pending.len() < out.len() {
                    match rx.try_recv() {
                        Ok(chunk) => pending.extend_from_slice(&chunk),
                        Err(_) => break,
                    }
                }
                let n = out.len().min(pending.len());
                out[..n].copy_from_slice(&pending[..n]);
                out[n..].fill(0.0);
                pending.drain(..n);
            })
            .context("cannot open the loudspeaker")?;
        Ok(Sink::Device {
            _stream: stream,
            tx,
        })
    }

    /// Plays one frame.
    pub(crate) fn write(&mut self, frame: &[f32]) {
        match self {
            Sink::File {
                samples, started, ..
            } => {
                if started.is_none() {
                    *started = Some(unix_micros());
                }
                samples.extend_from_slice(frame);
            }
            Sink::Device { tx, .. } => {
                let _ = tx.try_send(frame.to_vec());
            }
            Sink::Discard => {}
        }
    }

    /// When the first frame was written (file sinks).
    pub(crate) fn started(&self) -> Option<u64> {
        match self {
            Sink::File { started, .. } => *started,
            _ => None,
        }
    }

    /// Writes the file, if any; returns its path.
    pub(crate) fn finish(&mut self) -> Result<Option<PathBuf>> {
        let Sink::File { path, samples, .. } = self else {
            return Ok(None);
        };
        let mut rs = StreamResampler::high_quality(RATE, WAV_OUT_RATE)?;
        let mut out = Vec::with_capacity(samples.len() / 3 + 1024);
        rs.process(samples, &mut out)?;
        rs.process(&vec![0.0; RATE as usize / 10], &mut out)?;
        // The resampler's output is time-aligned with its input.
        write_wav_mono(path, WAV_OUT_RATE, &out)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(Some(path.clone()))
    }
}

fn device_choice(name: Option<&str>) -> DeviceChoice {
    name.map_or(DeviceChoice::Default, |n| DeviceChoice::Named(n.to_owned()))
}
