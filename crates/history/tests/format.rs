#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The on-disk format byte for byte: the README's test vector, and the
//! reader's verdicts on a log cut or flipped at every byte.

use susurro_history::format::{self, Damaged, Keys, OVERHEAD, Record};
use susurro_history::{Direction, Secret, Status, Zeroizing};

/// Key `00 01 02 … 1f`.
fn vector_keys() -> Keys {
    let key: [u8; 32] = core::array::from_fn(|i| i as u8);
    Keys::new(&Secret::new(key)).unwrap()
}

const CONTACT: [u8; 32] = [0x22; 32];
const NAME: &str = "05cd474bb8b194abf0f49c4104f9a547.log";
const STORE: &str = "5355534849535401\
                     b219bf219339a01fe4a7c4cb85652427e8974ee141115daa6b28649cb88aa4e2\
                     00000000\
                     d927042f5ccd26a2adcc542586c712f8";
const NONCE: [u8; 12] = [
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
];
const OFFSET: u64 = 70;
const PLAINTEXT: &str = "02 00 01000000 00f1536500000000 00 0500 68656c6c6f";
const RECORD: &str = "16000000 \
                      a0a1a2a3a4a5a6a7a8a9aaab \
                      edd6c430d5183e346cf9c32f4ef44f970d7140c6d877 \
                      54d5afb09f4fe07b17a5b4c297e3e0d0";

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).unwrap()
}

fn message() -> Record {
    Record::Message {
        direction: Direction::Out,
        id: 1,
        at: 1_700_000_000,
        status: Status::Queued,
        text: Zeroizing::new("hello".to_owned()),
    }
}

fn header() -> Record {
    Record::Header {
        contact: CONTACT,
        next_out: 1,
    }
}

/// A two-record log: the header (nonce all zero) and the vector's record.
fn vector_log() -> Vec<u8> {
    let keys = vector_keys();
    let mut log = format::seal_record(&keys, NAME, 0, &[0; 12], &header()).unwrap();
    assert_eq!(log.len() as u64, OFFSET);
    log.extend(format::seal_record(&keys, NAME, OFFSET, &NONCE, &message()).unwrap());
    log
}

#[test]
fn test_vector() {
    let keys = vector_keys();
    assert_eq!(keys.file_name(&CONTACT), NAME);
    assert_eq!(keys.store_file(0).to_vec(), unhex(STORE));
    assert_eq!(keys.read_store_file(&unhex(STORE)), Ok(0));
    let plain = message().encode().unwrap();
    assert_eq!(plain.to_vec(), unhex(PLAINTEXT));
    assert_eq!(Record::decode(&plain).unwrap(), message());
    let sealed = format::seal_record(&keys, NAME, OFFSET, &NONCE, &message()).unwrap();
    assert_eq!(sealed, unhex(RECORD));
    assert_eq!(sealed.len(), OVERHEAD + plain.len());
    let log = format::read_log(&keys, NAME, &vector_log()).unwrap();
    assert_eq!(log.good_len, OFFSET + sealed.len() as u64);
    assert_eq!(log.records, vec![(0, header()), (OFFSET, message())]);
}

#[test]
fn the_record_is_bound_to_its_file_and_place() {
    let keys = vector_keys();
    let log = vector_log();
    // Under another name (another contact's log) or at another offset the
    // same bytes are not authentic.
    let other = keys.file_name(&[0x23; 32]);
    assert!(format::read_log(&keys, &other, &log).is_err());
    let mut shifted = log[..OFFSET as usize].to_vec();
    shifted.extend_from_slice(&log[OFFSET as usize..OFFSET as usize + 5]);
    shifted.extend_from_slice(&log[OFFSET as usize..]);
    assert_eq!(
        format::read_log(&keys, NAME, &shifted).unwrap_err(),
        Damaged { offset: OFFSET }
    );
    // Another key reads nothing.
    let wrong = Keys::new(&Secret::new([9; 32])).unwrap();
    assert!(format::read_log(&wrong, NAME, &log).is_err());
}

#[test]
fn every_cut_and_every_flip() {
    let keys = vector_keys();
    let log = vector_log();
    let header_end = OFFSET as usize;
    for cut in 0..log.len() {
        let read = format::read_log(&keys, NAME, &log[..cut]).unwrap();
        let expect = if cut < header_end { 0 } else { OFFSET };
        assert_eq!(read.good_len, expect, "cut at {cut}");
        assert_eq!(read.records.len(), usize::from(cut >= header_end));
    }
    for at in 0..log.len() {
        for bit in 0..8 {
            let mut bad = log.clone();
            bad[at] ^= 1 << bit;
            let read = format::read_log(&keys, NAME, &bad);
            if at < header_end {
                // An authentic record follows: never a torn write.
                assert_eq!(read.unwrap_err(), Damaged { offset: 0 }, "flip {at}.{bit}");
            } else if at < header_end + 4
                && u32::from_le_bytes(bad[header_end..header_end + 4].try_into().unwrap())
                    < (log.len() - header_end - OVERHEAD) as u32
            {
                // The last record's length made shorter: it no longer ends
                // where the file does, which a torn write never does.
                assert_eq!(read.unwrap_err(), Damaged { offset: OFFSET });
            } else {
                // Anything else in the last record: indistinguishable from
                // a torn write (cut short, or whole but not authentic).
                let read = read.unwrap();
                assert_eq!(read.good_len, OFFSET, "flip {at}.{bit}");
                assert_eq!(read.records, vec![(0, header())]);
            }
        }
    }
}

#[test]
fn structure_is_checked() {
    let keys = vector_keys();
    // A message first, a second header, a header of another contact.
    let msg_first = format::seal_record(&keys, NAME, 0, &NONCE, &message()).unwrap();
    assert_eq!(
        format::read_log(&keys, NAME, &msg_first).unwrap_err(),
        Damaged { offset: 0 }
    );
    let mut two = vector_log();
    let at = two.len() as u64;
    two.extend(format::seal_record(&keys, NAME, at, &NONCE, &header()).unwrap());
    assert_eq!(
        format::read_log(&keys, NAME, &two).unwrap_err(),
        Damaged { offset: at }
    );
    let stranger = Record::Header {
        contact: [0x23; 32],
        next_out: 1,
    };
    let wrong = format::seal_record(&keys, NAME, 0, &NONCE, &stranger).unwrap();
    assert_eq!(
        format::read_log(&keys, NAME, &wrong).unwrap_err(),
        Damaged { offset: 0 }
    );
    // An authentic plaintext this version cannot decode is damage, even
    // last: a torn write never authenticates.
    let mut log = vector_log();
    let at = log.len() as u64;
    log.extend(format::seal(&keys, NAME, at, &NONCE, &[0x7f]).unwrap());
    assert_eq!(
        format::read_log(&keys, NAME, &log).unwrap_err(),
        Damaged { offset: at }
    );
}
