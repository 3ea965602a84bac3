//! Frame encode + decode throughput for a 36-byte voice message and a
//! 200-byte control message. Throughput is counted in message bytes.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use susurro_wire::frame::{Frame, FrameDecoder, FrameType, MAX_ENCODED};
use susurro_wire::*;

fn voice_36() -> Envelope {
    // 3 header bytes + call(4) + seq(4) + len(2) + 23 sealed bytes = 36 bytes.
    Envelope::new(
        ModuleId::Cryptor,
        ModuleId::Transport,
        Voice {
            call: 7,
            seq: 1,
            sealed: Bytes::new(&[0xa5; 23]).unwrap(),
        },
    )
}

fn control_200() -> Envelope {
    // 3 + call(4) + len(2) + 191 = 200 bytes.
    Envelope::new(
        ModuleId::Cryptor,
        ModuleId::Transport,
        PeerData {
            call: 7,
            sealed: Bytes::new(&[0x3c; 191]).unwrap(),
        },
    )
}

fn round_trip(c: &mut Criterion, name: &str, env: Envelope, ftype: FrameType) {
    let mut msg = [0u8; MAX_MESSAGE];
    let len = env.encode(&mut msg).unwrap();
    let mut g = c.benchmark_group("frame");
    g.throughput(Throughput::Bytes(len as u64));
    g.bench_function(name, |b| {
        let mut dec = FrameDecoder::new();
        let mut wire = [0u8; MAX_ENCODED];
        b.iter(|| {
            let n = black_box(&env).encode(&mut msg).unwrap();
            let f = Frame {
                ftype,
                seq: 1,
                ack: 2,
                sack: 0,
                payload: &msg[..n],
            };
            let w = f.encode(&mut wire).unwrap();
            let mut out = None;
            dec.feed(black_box(&wire[..w]), |r| {
                out = Some(Envelope::decode(r.unwrap().payload).unwrap())
            });
            black_box(out)
        });
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    let v = voice_36();
    let mut b = [0u8; MAX_MESSAGE];
    assert_eq!(v.encode(&mut b).unwrap(), 36);
    assert_eq!(control_200().encode(&mut b).unwrap(), 200);
    round_trip(c, "voice_36B_encode_decode", v, FrameType::Voice);
    round_trip(
        c,
        "control_200B_encode_decode",
        control_200(),
        FrameType::Control,
    );
}

criterion_group!(wire, benches);
criterion_main!(wire);
