//! PESQ-WB of the handset's Opus against the desktop's, from the output of
//! `scripts/opus-bench.sh` (which runs this): the MCU's packets decoded by
//! the MCU (the bench's `mcu-decoded.wav`) and by the desktop's float
//! libopus, and the desktop coding the same speech at the same settings.
//! Also writes the desktop's first 50 packets (`desktop-packets.hex`), the
//! firmware's test vector of the other direction
//! (`firmware/opus/testdata/desktop-opus-packets.hex`). Needs the audio
//! venv (`scripts/setup-audio-venv.sh`).
//!
//! `cargo run -p susurro-audio --example mcu_opus_pesq -- /tmp/susurro-opus-bench`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::{Path, PathBuf};

use susurro_audio::quality::{Scorer, default_venv};
use susurro_audio::{CodecConfig, VoiceDecoder, VoiceEncoder, read_wav_mono, write_wav_mono};

/// The encoder's lookahead at 16 kHz (checked against the encoder below).
const LOOKAHEAD: usize = 104;

fn speech() -> Vec<f32> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/natural-allison-16k.wav");
    read_wav_mono(&path, Some(16_000)).unwrap().0
}

/// Scores the bench's output with PESQ-WB next to the desktop coding the
/// same speech at the same settings (`CodecConfig::wideband()` at 16 kHz).
fn main() {
    let dir = PathBuf::from(std::env::args_os().nth(1).expect(
        "usage: cargo run -p susurro-audio --example mcu_opus_pesq -- <scripts/opus-bench.sh OUT>",
    ));
    let cfg = CodecConfig::wideband();
    let n = cfg.frame_samples();
    let bytes = std::fs::read(dir.join("packets.bin")).unwrap();
    let packets: Vec<&[u8]> = bytes.chunks(cfg.packet_bytes()).collect();
    let x = speech();
    let x = &x[..packets.len() * n];

    // MCU encoder, desktop decoder.
    let mut dec = VoiceDecoder::new(&cfg).unwrap();
    let mut mcu_desk = Vec::new();
    for p in &packets {
        mcu_desk.extend(dec.decode(p).unwrap());
    }
    // Desktop encoder and decoder (float libopus, the same settings). Its
    // first 50 packets go to desktop-packets.hex: the firmware's vector of
    // the other direction (firmware/opus/tests/codec.rs).
    let mut enc = VoiceEncoder::new(&cfg).unwrap();
    let mut dec = VoiceDecoder::new(&cfg).unwrap();
    let mut desk = Vec::new();
    let mut hex = String::new();
    for (i, f) in x.chunks_exact(n).enumerate() {
        let p = enc.encode(f).unwrap();
        if i < 50 {
            hex.extend(p.iter().map(|b| format!("{b:02x}")));
            hex.push('\n');
        }
        desk.extend(dec.decode(&p).unwrap());
    }
    std::fs::write(dir.join("desktop-packets.hex"), hex).unwrap();
    let lookahead = enc.lookahead_samples().unwrap() as usize;
    assert_eq!(lookahead, LOOKAHEAD);
    let aligned = |y: &[f32]| {
        let mut v = y[lookahead..].to_vec();
        v.resize(y.len(), 0.0);
        v
    };
    let out = |name: &str| dir.join(name);
    write_wav_mono(&out("mcu-desktop.wav"), 16_000, &aligned(&mcu_desk)).unwrap();
    write_wav_mono(&out("desktop.wav"), 16_000, &aligned(&desk)).unwrap();

    let scorer = Scorer::open(&default_venv()).unwrap();
    let reference = out("reference.wav");
    for (what, file) in [
        ("MCU encoder, MCU decoder (fixed-point)", "mcu-decoded.wav"),
        ("MCU encoder, desktop decoder", "mcu-desktop.wav"),
        ("desktop encoder and decoder (float)", "desktop.wav"),
    ] {
        let pesq = scorer.pesq_wb(&reference, &out(file)).unwrap();
        println!("PESQ-WB {pesq:.3}: {what} ({file})");
    }
}
