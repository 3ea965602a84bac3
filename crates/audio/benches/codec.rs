//! Criterion benchmarks: Opus encode+decode of one 20 ms frame, and the
//! audio processing module per 10 ms frame.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use susurro_audio::{
    CodecConfig, PROCESSING_FRAME, PROCESSING_RATE, ProcessingConfig, Processor, VoiceDecoder,
    VoiceEncoder,
};

fn frame(n: usize, rate: f32) -> Vec<f32> {
    (0..n)
        .map(|i| 0.3 * (2.0 * std::f32::consts::PI * 220.0 * i as f32 / rate).sin())
        .collect()
}

fn bench_codec(c: &mut Criterion) {
    // At the codec rate, and at 48 kHz as the pipelines run it (Opus
    // resampling internally).
    for (name, cfg, rate) in [
        (
            "opus WB 32k (default) 20ms encode+decode",
            CodecConfig::wideband(),
            16_000,
        ),
        (
            "opus WB 16k (low bandwidth) 20ms encode+decode",
            CodecConfig::low_bandwidth(),
            16_000,
        ),
        (
            "opus NB 8k 20ms encode+decode",
            CodecConfig::narrowband(),
            8_000,
        ),
        (
            "opus WB 32k (default) 20ms encode+decode at 48 kHz",
            CodecConfig::wideband(),
            PROCESSING_RATE,
        ),
        (
            "opus WB 16k (low bandwidth) 20ms encode+decode at 48 kHz",
            CodecConfig::low_bandwidth(),
            PROCESSING_RATE,
        ),
        (
            "opus NB 8k 20ms encode+decode at 48 kHz",
            CodecConfig::narrowband(),
            PROCESSING_RATE,
        ),
    ] {
        let (Ok(mut enc), Ok(mut dec)) = (
            VoiceEncoder::with_input_rate(&cfg, rate),
            VoiceDecoder::with_output_rate(&cfg, rate),
        ) else {
            return;
        };
        let x = frame(enc.frame_samples(), rate as f32);
        c.bench_function(name, |b| {
            b.iter(|| {
                let p = enc.encode(black_box(&x)).unwrap_or_default();
                black_box(dec.decode(&p).unwrap_or_default())
            })
        });
    }
}

fn bench_apm(c: &mut Criterion) {
    let Ok(mut apm) = Processor::new(&ProcessingConfig::default()) else {
        return;
    };
    let mut rh = apm.render_handle();
    let far = frame(PROCESSING_FRAME, 48_000.0);
    let near = frame(PROCESSING_FRAME, 47_000.0);
    c.bench_function("APM (AEC+NS+AGC+HPF) per 10 ms", |b| {
        b.iter(|| {
            let _ = rh.push(black_box(&far));
            let mut f = near.clone();
            let _ = apm.process_capture(&mut f);
            black_box(f)
        })
    });
}

criterion_group!(benches, bench_codec, bench_apm);
criterion_main!(benches);
