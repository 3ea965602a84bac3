#![no_main]
//! Arbitrary bytes as a store file / backup: the structural check, the
//! header decoder and (when the check passes) a full restore with a fixed
//! password must never panic.

use libfuzzer_sys::fuzz_target;
use susurro_storage::format::{HEADER_LEN, Header, check_image};
use susurro_storage::{FlashStore, Profile, SliceMemory, Store};
use susurro_wire::Instant;

fuzz_target!(|data: &[u8]| {
    if let Some(h) = data.get(..HEADER_LEN) {
        let mut hb = [0u8; HEADER_LEN];
        hb.copy_from_slice(h);
        let _ = Header::decode(&hb);
    }
    let mut src = data;
    if check_image(&mut src, 40 + 4096).is_ok() {
        let mut blocks = [susurro_crypto::argon::Argon2Block::new(); 16];
        let mut s: Store<FlashStore<susurro_storage::MemFlash>, SliceMemory<'_>, 4096> = Store::new(
            FlashStore::new(susurro_storage::MemFlash::new(4, 1)),
            SliceMemory(&mut blocks),
            Profile::TEST_ONLY_INSECURE,
        );
        let _ = s.open(Instant::ZERO);
        let _ = s.restore(&mut src, b"fuzz");
    }
});
