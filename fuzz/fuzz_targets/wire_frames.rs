//! The streaming frame decoder on arbitrary bytes in arbitrary chunks:
//! never panics, every frame it yields re-encodes to the bytes it came from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use susurro_wire::frame::{Frame, FrameDecoder, MAX_ENCODED, MAX_RAW};

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);
    let mut dec = FrameDecoder::new();
    for part in rest.chunks(chunk) {
        dec.feed(part, |r| {
            if let Ok(f) = r {
                let mut raw = [0u8; MAX_RAW];
                let n = f.write_raw(&mut raw).expect("a decoded frame re-encodes");
                let again = Frame::parse(&raw[..n]).expect("re-encoded frame parses");
                assert_eq!(again, f);
                let mut wire = [0u8; MAX_ENCODED];
                f.encode(&mut wire).expect("a decoded frame fits");
            }
        });
    }
});
