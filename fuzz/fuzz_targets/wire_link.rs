//! A link fed arbitrary bytes and time steps: never panics, keeps its
//! counters consistent, and still answers with valid frames.
#![no_main]

use libfuzzer_sys::fuzz_target;
use susurro_wire::Instant;
use susurro_wire::frame::MAX_ENCODED;
use susurro_wire::link::{Link, LinkConfig};

fuzz_target!(|data: &[u8]| {
    let mut link = Link::new(LinkConfig::default(), 0x1234, Instant::ZERO);
    let mut now = 0u64;
    let mut out = [0u8; MAX_ENCODED];
    for part in data.split(|&b| b == 0xfe) {
        now += u64::from(part.first().copied().unwrap_or(1)) * 1000;
        let t = Instant::from_micros(now);
        link.handle_input(t, part, |_| {});
        link.handle_timeout(t, |_| {});
        while let Some(n) = link.poll_transmit(t, &mut out) {
            assert!(n <= MAX_ENCODED);
        }
    }
    let s = link.stats();
    assert!(s.control_delivered + s.bad_messages <= s.frames_in);
});
