//! Session-2 frames and the channel on arbitrary bytes in arbitrary chunks:
//! never panics; a frame that decodes re-seals to the same kind and data.
#![no_main]

use libfuzzer_sys::fuzz_target;
use susurro_crypto::Secret;
use susurro_transport::frame::{DirectionKeys, Opener, Sealer};

fn keys() -> DirectionKeys {
    DirectionKeys {
        aead: Secret::new([1; 16]),
        len: Secret::new([2; 32]),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);
    // Raw frames under known keys: decode whatever decodes, in chunks.
    let mut opener = Opener::new(&keys());
    let mut buf = Vec::new();
    for part in rest.chunks(chunk) {
        buf.extend_from_slice(part);
        match opener.open(&buf) {
            Ok(None) => {}
            Ok(Some((n, f))) => {
                buf.drain(..n);
                let mut out = Vec::new();
                Sealer::new(&keys())
                    .seal(f.kind, &f.data, 0, &mut out)
                    .expect("a decoded frame re-seals");
                let (_, again) = Opener::new(&keys())
                    .open(&out)
                    .expect("re-sealed frame opens")
                    .expect("complete");
                assert_eq!(again, f);
            }
            Err(_) => return,
        }
    }
    // Valid frames followed by fuzz bytes: the valid prefix always decodes.
    let mut sealer = Sealer::new(&keys());
    let mut wire = Vec::new();
    let take = rest.len().min(64);
    sealer
        .seal(
            susurro_transport::frame::Kind::Data,
            &rest[..take],
            usize::from(chunk) % 40,
            &mut wire,
        )
        .expect("seal");
    let first = wire.len();
    wire.extend_from_slice(rest);
    let mut opener = Opener::new(&keys());
    let (n, f) = opener.open(&wire).expect("valid").expect("complete");
    assert_eq!(n, first);
    assert_eq!(f.data, &rest[..take]);
    let _ = opener.open(&wire[n..]);
});
