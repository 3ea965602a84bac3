//! Encoding, framing, decoding and the link never touch the heap. The
//! allocator counts globally, so this binary runs without the libtest
//! harness: no other thread can allocate while it measures.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::alloc::System;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

use susurro_wire::frame::{Frame, FrameDecoder, FrameType, MAX_ENCODED};
use susurro_wire::link::{Link, LinkConfig};
use susurro_wire::*;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn codec_and_link_do_not_allocate() {
    let env = Envelope::new(
        ModuleId::Cryptor,
        ModuleId::Transport,
        Voice {
            call: 1,
            seq: 2,
            sealed: Bytes::new(&[7; 28]).unwrap(),
        },
    );
    let mut a = Link::new(LinkConfig::default(), 1, Instant::ZERO);
    let mut b = Link::new(LinkConfig::default(), 2, Instant::ZERO);
    let mut buf = [0u8; MAX_ENCODED];
    let mut msg = [0u8; MAX_MESSAGE];
    let mut dec = FrameDecoder::new();
    let region = Region::new(GLOBAL);
    for i in 0..1000u64 {
        let n = env.encode(&mut msg).unwrap();
        let f = Frame {
            ftype: FrameType::Voice,
            seq: i as u16,
            ack: 0,
            sack: 0,
            payload: &msg[..n],
        };
        let m = f.encode(&mut buf).unwrap();
        let mut ok = false;
        dec.feed(&buf[..m], |r| {
            ok = Envelope::decode(r.unwrap().payload).is_ok()
        });
        assert!(ok);
        // A full link round: handshake, control, ack, voice.
        let now = Instant::from_millis(i);
        let ctl = Envelope::new(
            ModuleId::Ui,
            ModuleId::Storage,
            ContactDelete { id: i as u32 },
        );
        let _ = a.send(&ctl);
        let _ = a.send(&env);
        while let Some(n) = a.poll_transmit(now, &mut buf) {
            b.handle_input(now, &buf[..n], |_| {});
        }
        while let Some(n) = b.poll_transmit(now, &mut buf) {
            a.handle_input(now, &buf[..n], |_| {});
        }
        a.handle_timeout(now, |_| {});
    }
    let used = region.change();
    assert_eq!(
        used.allocations + used.reallocations,
        0,
        "heap used on the hot path: {used:?}"
    );
    assert!(
        b.stats().control_delivered > 900,
        "{:?} {:?}",
        a.stats(),
        b.stats()
    );
}

fn main() {
    codec_and_link_do_not_allocate();
    println!("no_alloc: 1 passed, 0 failed");
}
