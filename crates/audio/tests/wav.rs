//! WAV input/output and its error messages.

use std::path::PathBuf;

use susurro_audio::{AudioError, read_wav_mono, write_wav_mono};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("susurro-audio-wav-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&d);
    d.join(name)
}

fn reason(e: AudioError) -> String {
    match e {
        AudioError::Wav { reason, .. } => reason,
        other => format!("not a WAV error: {other}"),
    }
}

type R = Result<(), Box<dyn std::error::Error>>;

#[test]
fn round_trip() -> R {
    let p = tmp("ok.wav");
    let x: Vec<f32> = (0..1600).map(|i| ((i as f32) * 0.05).sin() * 0.5).collect();
    write_wav_mono(&p, 16_000, &x)?;
    let (y, rate) = read_wav_mono(&p, Some(16_000))?;
    assert_eq!(rate, 16_000);
    assert_eq!(y.len(), x.len());
    for (a, b) in x.iter().zip(&y) {
        assert!((a - b).abs() < 1e-4);
    }
    Ok(())
}

#[test]
fn wrong_rate_is_a_clear_error() -> R {
    let p = tmp("rate.wav");
    write_wav_mono(&p, 44_100, &[0.0; 100])?;
    let e = reason(read_wav_mono(&p, Some(16_000)).err().ok_or("accepted")?);
    assert!(e.contains("44100 Hz") && e.contains("16000 Hz"), "{e}");
    // Without an expected rate it is accepted and the rate reported.
    assert_eq!(read_wav_mono(&p, None)?.1, 44_100);
    Ok(())
}

#[test]
fn stereo_is_a_clear_error() -> R {
    let p = tmp("stereo.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&p, spec)?;
    for _ in 0..200 {
        w.write_sample(0i16)?;
    }
    w.finalize()?;
    let e = reason(read_wav_mono(&p, Some(16_000)).err().ok_or("accepted")?);
    assert!(e.contains("2 channels") && e.contains("mono"), "{e}");
    Ok(())
}

#[test]
fn truncated_is_a_clear_error() -> R {
    let p = tmp("trunc.wav");
    write_wav_mono(&p, 16_000, &[0.25; 1000])?;
    let bytes = std::fs::read(&p)?;
    std::fs::write(&p, &bytes[..bytes.len() - 501])?;
    let e = reason(read_wav_mono(&p, Some(16_000)).err().ok_or("accepted")?);
    assert!(e.contains("truncated"), "{e}");
    Ok(())
}

#[test]
fn not_wav_is_a_clear_error() -> R {
    let p = tmp("text.wav");
    std::fs::write(&p, b"this is not a RIFF file at all, just some text")?;
    let e = reason(read_wav_mono(&p, None).err().ok_or("accepted")?);
    assert!(e.contains("not a valid WAV"), "{e}");
    let missing = tmp("does-not-exist.wav");
    let e = reason(read_wav_mono(&missing, None).err().ok_or("accepted")?);
    assert!(e.contains("cannot read"), "{e}");
    Ok(())
}

#[test]
fn stored_natural_sample_is_valid() -> R {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/natural-allison-16k.wav");
    let (x, _) = read_wav_mono(&p, Some(16_000))?;
    assert!(x.len() > 16_000 * 5);
    Ok(())
}
