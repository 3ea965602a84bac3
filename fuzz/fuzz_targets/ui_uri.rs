//! The `susurro:` contact-URI parser on arbitrary bytes: never panics, and
//! whatever decodes re-encodes to exactly the input (with the scheme in
//! lower case, the one case-insensitive part) and decodes to the same card.
#![no_main]

use libfuzzer_sys::fuzz_target;
use susurro_ui::uri::{self, MAX_URI};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(card) = uri::decode(s) {
        let mut out = heapless::String::<MAX_URI>::new();
        uri::encode(&card, &mut out).expect("decoded card re-encodes");
        // Decoding checked the scheme, so it is ASCII and splits cleanly.
        let (scheme, rest) = s.split_at(uri::SCHEME.len());
        assert!(scheme.eq_ignore_ascii_case(uri::SCHEME));
        assert_eq!(out.as_str(), format!("{}{rest}", uri::SCHEME));
        assert_eq!(uri::decode(&out), Ok(card));
    }
});
