//! Streaming sample-rate conversion (rubato), for device rates ↔ 48 kHz and
//! 48 kHz ↔ codec rate.

use std::collections::VecDeque;

use rubato::{
    Resampler as _, SincFixedIn, SincInterpolationParameters, SincInterpolationType,
    WindowFunction, calculate_cutoff,
};

use crate::error::{AudioError, Result};

/// Length of the windowed-sinc filter in input samples: about 2.7 ms of
/// input (128 taps at 48 kHz, 48 at 16 kHz, 32 at 8 kHz), so the group delay
/// stays at or below 1.5 ms for the rates the engine uses while the
/// transition band stays narrow enough for wideband speech.
fn sinc_len(from: u32) -> usize {
    let taps = (from as usize * 27).div_ceil(10_000);
    (taps.div_ceil(16) * 16).clamp(32, 256)
}

/// A mono resampler that accepts any number of input samples per call and
/// returns whatever output is ready.
///
/// Input is processed in chunks of `chunk` samples; a call that does not
/// complete a chunk keeps the remainder for the next call. Equal rates pass
/// samples straight through.
pub struct StreamResampler {
    inner: Option<SincFixedIn<f32>>,
    chunk: usize,
    pending: Vec<f32>,
    from: u32,
    to: u32,
}

impl std::fmt::Debug for StreamResampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamResampler")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("chunk", &self.chunk)
            .finish()
    }
}

/// A Blackman–Harris windowed sinc resampler with `len` taps, its cutoff
/// where that window puts it, cubic interpolation of a 256× oversampled
/// filter.
fn sinc(from: u32, to: u32, len: usize, chunk: usize) -> Result<SincFixedIn<f32>> {
    let window = WindowFunction::BlackmanHarris2;
    let params = SincInterpolationParameters {
        sinc_len: len,
        f_cutoff: calculate_cutoff(len, window),
        interpolation: SincInterpolationType::Cubic,
        oversampling_factor: 256,
        window,
    };
    SincFixedIn::new(f64::from(to) / f64::from(from), 1.0, params, chunk, 1)
        .map_err(|e| AudioError::Resample(e.to_string()))
}

impl StreamResampler {
    /// A resampler from `from` Hz to `to` Hz taking input in chunks of
    /// `chunk` samples (10 ms at `from` is a good choice).
    pub fn new(from: u32, to: u32, chunk: usize) -> Result<Self> {
        if from == 0 || to == 0 || chunk == 0 {
            return Err(AudioError::Resample(format!(
                "invalid resampler {from} Hz -> {to} Hz, chunk {chunk}"
            )));
        }
        let inner = if from == to {
            None
        } else {
            Some(sinc(from, to, sinc_len(from), chunk)?)
        };
        Ok(StreamResampler {
            inner,
            chunk,
            pending: Vec::with_capacity(chunk),
            from,
            to,
        })
    }

    /// A resampler for offline use (files, test harnesses) where delay does
    /// not matter: a filter of at least 16 ms of input (and at least 256
    /// taps), flat to about 0.9 × the lower Nyquist frequency, with 10 ms
    /// input chunks. The real-time paths use [`Self::new`].
    pub fn high_quality(from: u32, to: u32) -> Result<Self> {
        let chunk = (from / 100).max(1) as usize;
        let mut r = Self::new(from, to, chunk)?;
        if from != to {
            let len = (from as usize * 16 / 1000).div_ceil(16).max(16) * 16;
            r.inner = Some(sinc(from, to, len.max(256), chunk)?);
        }
        Ok(r)
    }

    /// A resampler with 10 ms input chunks.
    pub fn with_10ms_chunks(from: u32, to: u32) -> Result<Self> {
        Self::new(from, to, (from / 100).max(1) as usize)
    }

    /// Input rate in Hz.
    pub fn from_rate(&self) -> u32 {
        self.from
    }

    /// Output rate in Hz.
    pub fn to_rate(&self) -> u32 {
        self.to
    }

    /// The filter's group delay in output samples (0 when rates are equal).
    ///
    /// The output is time-aligned with the input (sample *k* of the output is
    /// input time *k*/rate); the delay shows as the last `delay_samples`
    /// outputs being held back until later input arrives. Chunking adds up to
    /// `chunk - 1` input samples of waiting when input does not arrive in
    /// whole chunks.
    pub fn delay_samples(&self) -> usize {
        self.inner.as_ref().map_or(0, |r| r.output_delay())
    }

    /// Feeds `input` and appends all output that is ready to `out`.
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<()> {
        let Some(r) = self.inner.as_mut() else {
            out.extend_from_slice(input);
            return Ok(());
        };
        let mut rest = input;
        while !rest.is_empty() {
            let take = (self.chunk - self.pending.len()).min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() == self.chunk {
                let res = r
                    .process(&[&self.pending[..]], None)
                    .map_err(|e| AudioError::Resample(e.to_string()))?;
                if let Some(ch) = res.first() {
                    out.extend_from_slice(ch);
                }
                self.pending.clear();
            }
        }
        Ok(())
    }
}

/// A resampler followed by a FIFO, for pull-driven consumers (a playback
/// callback that needs exactly N output samples).
#[derive(Debug)]
pub struct PullResampler {
    rs: StreamResampler,
    fifo: VecDeque<f32>,
    scratch: Vec<f32>,
}

impl PullResampler {
    /// Wraps a resampler.
    pub fn new(rs: StreamResampler) -> Self {
        PullResampler {
            rs,
            fifo: VecDeque::new(),
            scratch: Vec::new(),
        }
    }

    /// Output samples buffered.
    pub fn available(&self) -> usize {
        self.fifo.len()
    }

    /// Feeds input samples.
    pub fn push(&mut self, input: &[f32]) -> Result<()> {
        self.scratch.clear();
        self.rs.process(input, &mut self.scratch)?;
        self.fifo.extend(self.scratch.iter().copied());
        Ok(())
    }

    /// Fills `out` from the FIFO; returns how many samples were available
    /// (the rest of `out` is left untouched).
    pub fn pop_into(&mut self, out: &mut [f32]) -> usize {
        let n = out.len().min(self.fifo.len());
        for (o, s) in out.iter_mut().zip(self.fifo.drain(..n)) {
            *o = s;
        }
        n
    }
}
