//! Session-2 payloads as the transport module reads them (ping/pong/retire
//! control payloads and the wire messages allowed to cross): never panics;
//! whatever is accepted re-encodes to the same payload.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = susurro_transport::check_payload(data) {
        panic!("{e}: {data:02x?}");
    }
});
