//! A file-transfer record from arbitrary bytes: opening and decoding never
//! panic, and whatever decodes re-encodes to the same bytes. Two modes
//! (low bit of the first byte): the bytes as a record plaintext (decoded
//! directly, and sealed then opened); or the bytes as a sealed record file,
//! opened under the fuzz key (almost always refused) and, when it opens,
//! sealed again and opened to the same record.
#![no_main]

use libfuzzer_sys::fuzz_target;
use susurro_files::Secret;
use susurro_files::format::{self, Record, RecordKey};

const NAME: &str = "00112233445566778899aabbccddeeff.out";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let key = RecordKey::new(&Secret::new([7; 32])).expect("a 32-byte key");
    if mode & 1 == 0 {
        if let Ok(r) = Record::decode(rest) {
            let b = r.encode().expect("a decoded record re-encodes");
            assert_eq!(&b[..], rest);
            let sealed = format::seal(&key, NAME, &[mode; 12], &r).expect("and seals");
            assert_eq!(format::open(&key, NAME, &sealed).expect("and opens"), r);
        }
        return;
    }
    if let Ok(r) = format::open(&key, NAME, rest) {
        let b = r.encode().expect("an opened record re-encodes");
        assert_eq!(Record::decode(&b).expect("and decodes"), r);
        let sealed = format::seal(&key, NAME, &[0; 12], &r).expect("and seals");
        assert_eq!(format::open(&key, NAME, &sealed).expect("and opens"), r);
    }
});
