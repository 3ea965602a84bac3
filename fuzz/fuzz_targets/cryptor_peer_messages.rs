//! Arbitrary bytes as transport-to-cryptor messages (whole decoded messages,
//! `PeerData` and `Voice` payloads, IKE messages with arbitrary fields) fed
//! to two cryptor cores during the key exchange and in an established call.
//! Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    susurro_cryptor::sim::fuzz_peer_messages(data);
});
