//! Arbitrary `(seq, sealed)` packets to the session opener (voice and
//! control lanes), interleaved with genuine packets: never panics, never
//! accepts a forgery, always accepts the genuine packets.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    susurro_cryptor::sim::fuzz_session_open(data);
});
