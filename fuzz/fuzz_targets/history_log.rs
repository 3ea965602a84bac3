//! A history log from arbitrary bytes: the reader never panics, and
//! whatever it accepts is a prefix of what was written. Two modes (low bit
//! of the first byte): the bytes themselves as a log (and as one record
//! plaintext, which must re-encode to the same bytes); or a well-formed
//! log built from the bytes (a header and up to 16 lines), then one byte
//! flipped and the log cut, as a crash or a bad disk would.
#![no_main]

use libfuzzer_sys::fuzz_target;
use susurro_history::format::{self, Keys, Record};
use susurro_history::{Direction, Secret, Status, Zeroizing};

const CONTACT: [u8; 32] = [0x22; 32];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let keys = Keys::new(&Secret::new([7; 32])).expect("a 32-byte key");
    let name = keys.file_name(&CONTACT);
    if mode & 1 == 0 {
        if let Ok(log) = format::read_log(&keys, &name, rest) {
            assert!(log.good_len <= rest.len() as u64);
            for (_, r) in &log.records {
                let b = r.encode().expect("a record read re-encodes");
                assert_eq!(&Record::decode(&b).expect("and decodes"), r);
            }
        }
        if let Ok(r) = Record::decode(rest) {
            assert_eq!(&r.encode().expect("a decoded record re-encodes")[..], rest);
        }
        return;
    }

    let mut log = Vec::new();
    let mut written = Vec::new();
    let mut push = |r: Record| {
        let n = written.len() as u8;
        let sealed = format::seal_record(&keys, &name, log.len() as u64, &[n; 12], &r)
            .expect("a well-formed record seals");
        written.push((log.len() as u64, r));
        log.extend_from_slice(&sealed);
    };
    push(Record::Header {
        contact: CONTACT,
        next_out: 1,
    });
    for (i, chunk) in rest.chunks(23).take(16).enumerate() {
        let text = String::from_utf8_lossy(chunk);
        let text = if text.trim().is_empty() {
            "x".into()
        } else {
            text.into_owned()
        };
        let out = chunk[0] & 1 == 0;
        push(Record::Message {
            direction: if out { Direction::Out } else { Direction::In },
            id: i as u32,
            at: u64::from(chunk[chunk.len() - 1]),
            status: if out { Status::Queued } else { Status::Unread },
            text: Zeroizing::new(text),
        });
    }
    let pick = usize::from(mode >> 1);
    if mode & 0x80 != 0 {
        let at = pick.wrapping_mul(7919) % log.len();
        log[at] ^= 1 << (pick % 8);
    }
    let cut = log.len() - (pick * 31) % log.len().min(400);
    match format::read_log(&keys, &name, &log[..cut]) {
        Ok(read) => {
            assert!(read.records.len() <= written.len());
            assert_eq!(read.records[..], written[..read.records.len()]);
        }
        // Only a flip may make a log damaged; a cut never does.
        Err(_) => assert!(mode & 0x80 != 0, "a cut log read as damaged"),
    }
});
