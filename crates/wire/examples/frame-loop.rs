//! Encodes and decodes a 36-byte voice message in a loop; for profiling the
//! frame path with `valgrind --tool=callgrind` (instruction counts do not
//! depend on machine load).
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::hint::black_box;
use susurro_wire::frame::{Frame, FrameDecoder, FrameType, MAX_ENCODED};
use susurro_wire::*;

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let env = Envelope::new(
        ModuleId::Cryptor,
        ModuleId::Transport,
        Voice {
            call: 7,
            seq: 1,
            sealed: Bytes::new(&[0xa5; 23]).unwrap(),
        },
    );
    let mut msg = [0u8; MAX_MESSAGE];
    let mut wire = [0u8; MAX_ENCODED];
    let mut dec = FrameDecoder::new();
    let mut ok = 0u32;
    for i in 0..n {
        let len = black_box(&env).encode(&mut msg).unwrap();
        let f = Frame {
            ftype: FrameType::Voice,
            seq: i as u16,
            ack: 2,
            sack: 0,
            payload: &msg[..len],
        };
        let w = f.encode(&mut wire).unwrap();
        dec.feed(black_box(&wire[..w]), |r| {
            if Envelope::decode(r.unwrap().payload).is_ok() {
                ok += 1;
            }
        });
    }
    println!("{ok} of {n} frames decoded");
}
