//! WAV input and output (mono), so every path runs without devices.

use std::path::Path;

use crate::error::{AudioError, Result};

fn wav_err(path: &Path, reason: impl Into<String>) -> AudioError {
    AudioError::Wav {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn describe(e: hound::Error) -> String {
    match e {
        hound::Error::FormatError(m) => format!("not a valid WAV file ({m})"),
        hound::Error::IoError(io)
            if io.kind() == std::io::ErrorKind::UnexpectedEof
                || io.to_string().contains("enough bytes") =>
        {
            "truncated: the file ends before the audio data it declares".into()
        }
        hound::Error::IoError(io) => format!("cannot read: {io}"),
        hound::Error::Unsupported => "unsupported WAV encoding (PCM or 32-bit float only)".into(),
        other => other.to_string(),
    }
}

/// Reads a mono WAV file (8/16/24/32-bit PCM or 32-bit float) as samples in
/// −1..1 and its sample rate. With `expected_rate`, any other rate is an error.
///
/// Errors name the file and say what is wrong: not a WAV file, not mono,
/// wrong sample rate, truncated data, unsupported encoding.
pub fn read_wav_mono(path: &Path, expected_rate: Option<u32>) -> Result<(Vec<f32>, u32)> {
    let mut reader = hound::WavReader::open(path).map_err(|e| wav_err(path, describe(e)))?;
    let spec = reader.spec();
    if spec.channels != 1 {
        return Err(wav_err(
            path,
            format!(
                "has {} channels; mono (1 channel) is required",
                spec.channels
            ),
        ));
    }
    if let Some(rate) = expected_rate
        && spec.sample_rate != rate
    {
        return Err(wav_err(
            path,
            format!(
                "sample rate is {} Hz; {rate} Hz is required (resample it first, e.g. `sox in.wav -r {rate} out.wav`)",
                spec.sample_rate
            ),
        ));
    }
    let declared = reader.len() as usize;
    let samples: Vec<f32> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => reader
            .samples::<f32>()
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| wav_err(path, describe(e)))?,
        (hound::SampleFormat::Int, bits @ (8 | 16 | 24 | 32)) => {
            let scale = 1.0 / (1u64 << (bits - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| wav_err(path, describe(e)))?
        }
        (fmt, bits) => {
            return Err(wav_err(
                path,
                format!("unsupported sample format {fmt:?} with {bits} bits"),
            ));
        }
    };
    if samples.len() != declared {
        return Err(wav_err(
            path,
            format!(
                "truncated: declares {declared} samples but holds {}",
                samples.len()
            ),
        ));
    }
    Ok((samples, spec.sample_rate))
}

/// Writes samples in −1..1 as a 16-bit mono WAV file (values are clipped).
pub fn write_wav_mono(path: &Path, sample_rate: u32, samples: &[f32]) -> Result<()> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).map_err(|e| wav_err(path, describe(e)))?;
    for &s in samples {
        let v = (s.clamp(-1.0, 1.0) * 32767.0).round() as i16;
        w.write_sample(v).map_err(|e| wav_err(path, describe(e)))?;
    }
    w.finalize().map_err(|e| wav_err(path, describe(e)))?;
    Ok(())
}
