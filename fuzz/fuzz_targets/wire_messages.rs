//! Message, peer-message, file-message and hello decoders on arbitrary bytes: never panic,
//! and whatever decodes re-encodes to exactly the input (canonical form).
#![no_main]

use libfuzzer_sys::fuzz_target;
use susurro_wire::frame::{HELLO_LEN, Hello};
use susurro_wire::{Envelope, FileMessage, MAX_MESSAGE, PeerMessage};

fuzz_target!(|data: &[u8]| {
    let mut buf = [0u8; MAX_MESSAGE];
    if let Ok(env) = Envelope::decode(data) {
        let n = env.encode(&mut buf).expect("decoded envelope re-encodes");
        assert_eq!(&buf[..n], data);
    }
    if let Ok(m) = PeerMessage::decode_from(data) {
        let n = m
            .encode_to(&mut buf)
            .expect("decoded peer message re-encodes");
        assert_eq!(&buf[..n], data);
    }
    if let Ok(m) = FileMessage::decode_from(data) {
        let n = m
            .encode_to(&mut buf)
            .expect("decoded file message re-encodes");
        assert_eq!(&buf[..n], data);
    }
    if let Ok(h) = Hello::decode(data) {
        let mut hb = [0u8; HELLO_LEN];
        let n = h.encode(&mut hb).expect("hello re-encodes");
        assert_eq!(&hb[..n], data);
    }
});
