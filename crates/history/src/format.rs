//! The on-disk format, as pure functions over bytes (the README's "Format"
//! section is its specification).
//!
//! Nothing here touches a file: [`History`](crate::History) does the I/O,
//! this module says what the bytes are. It is public so the format can be
//! checked byte for byte (the test vector) and fuzzed ([`read_log`]).

use core::fmt;

use subtle::ConstantTimeEq;
use susurro_crypto::serpent_ocb::SerpentOcb;
pub use susurro_crypto::serpent_ocb::{NONCE_LEN, TAG_LEN};
use susurro_crypto::{Secret, kdf, mac};
use susurro_wire::codec::Reader;
use susurro_wire::{DecodeError, TEXT_MAX};
use zeroize::Zeroizing;

use crate::types::{ContactKey, Direction, Status};

/// The domain-separation labels of this crate (`susurro/history/<use>/v1`).
pub mod labels {
    use susurro_crypto::Label;

    /// The Serpent-256 key of the records: `kdf(RECORD_KEY, key)`.
    pub const RECORD_KEY: Label = Label::new(b"susurro/history/record-key/v1");
    /// A log's file name: `mac(FILE_NAME, key, contact)`, 16 bytes.
    pub const FILE_NAME: Label = Label::new(b"susurro/history/file-name/v1");
    /// The key check in the store file: `mac(KEY_CHECK, key, magic)`.
    pub const KEY_CHECK: Label = Label::new(b"susurro/history/key-check/v1");
    /// The store file's tag: `mac(STORE_TAG, key, magic, check, floor)`.
    pub const STORE_TAG: Label = Label::new(b"susurro/history/store-tag/v1");

    /// Every label of this crate (checked distinct by a test).
    pub const ALL: &[Label] = &[RECORD_KEY, FILE_NAME, KEY_CHECK, STORE_TAG];
}

/// The length field in front of each record.
pub const LEN_LEN: usize = 4;
/// Bytes a record adds to its plaintext: length, nonce and tag.
pub const OVERHEAD: usize = LEN_LEN + NONCE_LEN + TAG_LEN;
/// A `Header` plaintext.
pub const HEADER_LEN: usize = 1 + 1 + 32 + 4;
/// A `Message` plaintext before its text.
pub const MESSAGE_FIXED: usize = 1 + 1 + 4 + 8 + 1 + 2;
/// A `Status` plaintext.
pub const STATUS_LEN: usize = 1 + 1 + 4 + 1;
/// A `Delete` plaintext.
pub const DELETE_LEN: usize = 1 + 1 + 4;
/// A `Seen` plaintext before its ranges (8 bytes each).
pub const SEEN_FIXED: usize = 1 + 2;
/// The most id ranges a `Seen` record holds (the store keeps no more: past
/// it, the two lowest ranges are merged).
pub const MAX_RANGES: usize = 256;
/// The longest plaintext: a `Message` with the longest text.
pub const MAX_PLAINTEXT: usize = {
    let m = MESSAGE_FIXED + TEXT_MAX;
    let s = SEEN_FIXED + 8 * MAX_RANGES;
    if m > s { m } else { s }
};
/// The longest record on disk. A torn write can only be the last record,
/// so damage further than this from the end of a log is never a torn
/// write.
pub const MAX_RECORD: usize = OVERHEAD + MAX_PLAINTEXT;
/// The version byte of `Header`.
pub const LOG_VERSION: u8 = 1;

/// The store file's name.
pub const STORE_FILE: &str = "store";
/// The lock file's name (empty; held with an exclusive lock while open).
pub const LOCK_FILE: &str = "lock";
/// What a log's name ends with (after 32 lower-case hex digits).
pub const LOG_SUFFIX: &str = ".log";
/// What a file being written ends with (removed at open if left over).
pub const TMP_SUFFIX: &str = ".tmp";
/// Hex digits of a log's name.
pub const NAME_HEX: usize = 32;
/// The first bytes of the store file: "SUSHIST" and the format version.
pub const STORE_MAGIC: [u8; 8] = *b"SUSHIST\x01";
/// The store file's length: magic, key check, id floor, tag.
pub const STORE_FILE_LEN: usize = 8 + 32 + 4 + 16;

const TAG_HEADER: u8 = 0x01;
const TAG_MESSAGE: u8 = 0x02;
const TAG_STATUS: u8 = 0x03;
const TAG_DELETE: u8 = 0x04;
const TAG_SEEN: u8 = 0x05;

/// A record plaintext that does not follow the encoding (or a record that
/// cannot be encoded: empty or too long a text, a status its direction
/// cannot have, ranges out of order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("malformed history record")
    }
}

impl std::error::Error for Malformed {}

impl From<DecodeError> for Malformed {
    fn from(_: DecodeError) -> Self {
        Malformed
    }
}

/// The keys of one store, derived from the key it is opened with.
pub struct Keys {
    key: Secret<32>,
    aead: SerpentOcb,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keys(<redacted>)")
    }
}

impl Keys {
    /// Derives the record key (`kdf(RECORD_KEY, key)`) and keeps `key` for
    /// the file names and the store file.
    ///
    /// # Errors
    /// None in practice: a 32-byte Serpent key is always accepted.
    pub fn new(key: &Secret<32>) -> Result<Self, susurro_crypto::Error> {
        let record_key = kdf::<32>(labels::RECORD_KEY, key.expose(), &[]);
        Ok(Self {
            key: key.clone(),
            aead: SerpentOcb::new_256(record_key.expose())?,
        })
    }

    /// The log file name of `contact`'s conversation: 32 lower-case hex
    /// digits of `mac(FILE_NAME, key, contact)` and `.log`.
    #[must_use]
    pub fn file_name(&self, contact: &ContactKey) -> String {
        let tag: [u8; NAME_HEX / 2] = mac(labels::FILE_NAME, self.key.expose(), &[contact]);
        let mut s = susurro_crypto::hex::Lower(&tag).to_string();
        s.push_str(LOG_SUFFIX);
        s
    }

    /// The store file carrying the key check and the outgoing-id `floor`.
    #[must_use]
    pub fn store_file(&self, floor: u32) -> [u8; STORE_FILE_LEN] {
        let check = self.key_check();
        let floor = floor.to_le_bytes();
        let tag: [u8; 16] = mac(
            labels::STORE_TAG,
            self.key.expose(),
            &[&STORE_MAGIC, &check, &floor],
        );
        let mut out = [0u8; STORE_FILE_LEN];
        out[..8].copy_from_slice(&STORE_MAGIC);
        out[8..40].copy_from_slice(&check);
        out[40..44].copy_from_slice(&floor);
        out[44..].copy_from_slice(&tag);
        out
    }

    /// Reads a store file: the outgoing-id floor.
    ///
    /// # Errors
    /// [`StoreFileError::WrongKey`] when the key check differs (compared in
    /// constant time), [`StoreFileError::Damaged`] when the length, the
    /// magic or the tag is wrong.
    pub fn read_store_file(&self, bytes: &[u8]) -> Result<u32, StoreFileError> {
        if bytes.len() != STORE_FILE_LEN || bytes[..8] != STORE_MAGIC {
            return Err(StoreFileError::Damaged);
        }
        let check = self.key_check();
        if !bool::from(check.ct_eq(&bytes[8..40])) {
            return Err(StoreFileError::WrongKey);
        }
        let mut floor = [0u8; 4];
        floor.copy_from_slice(&bytes[40..44]);
        let tag: [u8; 16] = mac(
            labels::STORE_TAG,
            self.key.expose(),
            &[&STORE_MAGIC, &check, &floor],
        );
        if !bool::from(tag.ct_eq(&bytes[44..])) {
            return Err(StoreFileError::Damaged);
        }
        Ok(u32::from_le_bytes(floor))
    }

    fn key_check(&self) -> [u8; 32] {
        mac(labels::KEY_CHECK, self.key.expose(), &[&STORE_MAGIC])
    }
}

/// Why a store file was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreFileError {
    /// The key check differs: another key made this store.
    WrongKey,
    /// Not a store file, or its tag does not match.
    Damaged,
}

/// One record's plaintext.
#[derive(Clone, PartialEq, Eq)]
pub enum Record {
    /// The first record of every log, and only there.
    Header {
        /// Whose conversation (the file's name is derived from it).
        contact: ContactKey,
        /// The next outgoing id, at least (compaction writes it; ids of
        /// `Message` records that follow raise it).
        next_out: u32,
    },
    /// A line, with its status when written.
    Message {
        /// Which way.
        direction: Direction,
        /// Our id (Out) or the sender's (In).
        id: u32,
        /// Unix seconds.
        at: u64,
        /// Its status when the record was written.
        status: Status,
        /// 1 to `TEXT_MAX` bytes of UTF-8.
        text: Zeroizing<String>,
    },
    /// A line's new status.
    Status {
        /// Which way.
        direction: Direction,
        /// Which line.
        id: u32,
        /// The new status.
        status: Status,
    },
    /// A line deleted (by the person or by the bound).
    Delete {
        /// Which way.
        direction: Direction,
        /// Which line.
        id: u32,
    },
    /// Incoming ids received before (so a retry of a deleted line is not
    /// stored again): inclusive ranges, ascending, neither overlapping nor
    /// touching, 1 to [`MAX_RANGES`] of them.
    Seen {
        /// `(first, last)` pairs.
        ranges: Vec<(u32, u32)>,
    },
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Record::Header { contact, next_out } => f
                .debug_struct("Header")
                .field("contact", &susurro_crypto::hex::Lower(&contact[..4]))
                .field("next_out", next_out)
                .finish_non_exhaustive(),
            Record::Message {
                direction,
                id,
                at,
                status,
                text,
            } => f
                .debug_struct("Message")
                .field("direction", direction)
                .field("id", id)
                .field("at", at)
                .field("status", status)
                .field("text", &format_args!("<{} bytes>", text.len()))
                .finish(),
            Record::Status {
                direction,
                id,
                status,
            } => f
                .debug_struct("Status")
                .field("direction", direction)
                .field("id", id)
                .field("status", status)
                .finish(),
            Record::Delete { direction, id } => f
                .debug_struct("Delete")
                .field("direction", direction)
                .field("id", id)
                .finish(),
            Record::Seen { ranges } => f.debug_struct("Seen").field("ranges", ranges).finish(),
        }
    }
}

/// Whether `ranges` is a valid `Seen` list.
fn ranges_ok(ranges: &[(u32, u32)]) -> bool {
    !ranges.is_empty()
        && ranges.len() <= MAX_RANGES
        && ranges.iter().all(|(a, b)| a <= b)
        && ranges
            .windows(2)
            .all(|w| w[0].1.checked_add(1).is_some_and(|n| n < w[1].0))
}

impl Record {
    /// The plaintext bytes (README, "Record plaintexts").
    ///
    /// # Errors
    /// [`Malformed`] for a record the decoder would refuse: a text empty,
    /// longer than `TEXT_MAX` bytes, a status its direction cannot have, a
    /// status update to `Queued`/`Unread`, bad ranges.
    pub fn encode(&self) -> Result<Zeroizing<Vec<u8>>, Malformed> {
        let mut out = Zeroizing::new(Vec::with_capacity(MAX_PLAINTEXT));
        match self {
            Record::Header { contact, next_out } => {
                out.push(TAG_HEADER);
                out.push(LOG_VERSION);
                out.extend_from_slice(contact);
                out.extend_from_slice(&next_out.to_le_bytes());
            }
            Record::Message {
                direction,
                id,
                at,
                status,
                text,
            } => {
                if text.is_empty() || text.len() > TEXT_MAX || !status.fits(*direction) {
                    return Err(Malformed);
                }
                let len = u16::try_from(text.len()).map_err(|_| Malformed)?;
                out.push(TAG_MESSAGE);
                out.push(direction.code());
                out.extend_from_slice(&id.to_le_bytes());
                out.extend_from_slice(&at.to_le_bytes());
                out.push(status.code());
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(text.as_bytes());
            }
            Record::Status {
                direction,
                id,
                status,
            } => {
                if !status.fits(*direction) || status.rank() == 0 {
                    return Err(Malformed);
                }
                out.push(TAG_STATUS);
                out.push(direction.code());
                out.extend_from_slice(&id.to_le_bytes());
                out.push(status.code());
            }
            Record::Delete { direction, id } => {
                out.push(TAG_DELETE);
                out.push(direction.code());
                out.extend_from_slice(&id.to_le_bytes());
            }
            Record::Seen { ranges } => {
                if !ranges_ok(ranges) {
                    return Err(Malformed);
                }
                let n = u16::try_from(ranges.len()).map_err(|_| Malformed)?;
                out.push(TAG_SEEN);
                out.extend_from_slice(&n.to_le_bytes());
                for (a, b) in ranges {
                    out.extend_from_slice(&a.to_le_bytes());
                    out.extend_from_slice(&b.to_le_bytes());
                }
            }
        }
        Ok(out)
    }

    /// Decodes a plaintext. Every value is checked and trailing bytes are
    /// refused, so `encode(decode(b)) == b` for every `b` it accepts.
    ///
    /// # Errors
    /// [`Malformed`].
    pub fn decode(bytes: &[u8]) -> Result<Self, Malformed> {
        let mut r = Reader::new(bytes);
        let record = match r.u8()? {
            TAG_HEADER => {
                if r.u8()? != LOG_VERSION {
                    return Err(Malformed);
                }
                let mut contact = [0u8; 32];
                contact.copy_from_slice(r.take(32)?);
                Record::Header {
                    contact,
                    next_out: u32::from_le_bytes(r.array()?),
                }
            }
            TAG_MESSAGE => {
                let direction = Direction::from_code(r.u8()?).ok_or(Malformed)?;
                let id = u32::from_le_bytes(r.array()?);
                let at = u64::from_le_bytes(r.array()?);
                let status = Status::from_code(r.u8()?).ok_or(Malformed)?;
                let len = usize::from(u16::from_le_bytes(r.array()?));
                if len == 0 || len > TEXT_MAX || !status.fits(direction) {
                    return Err(Malformed);
                }
                let text = core::str::from_utf8(r.take(len)?).map_err(|_| Malformed)?;
                Record::Message {
                    direction,
                    id,
                    at,
                    status,
                    text: Zeroizing::new(text.to_owned()),
                }
            }
            TAG_STATUS => {
                let direction = Direction::from_code(r.u8()?).ok_or(Malformed)?;
                let id = u32::from_le_bytes(r.array()?);
                let status = Status::from_code(r.u8()?).ok_or(Malformed)?;
                if !status.fits(direction) || status.rank() == 0 {
                    return Err(Malformed);
                }
                Record::Status {
                    direction,
                    id,
                    status,
                }
            }
            TAG_DELETE => Record::Delete {
                direction: Direction::from_code(r.u8()?).ok_or(Malformed)?,
                id: u32::from_le_bytes(r.array()?),
            },
            TAG_SEEN => {
                let n = usize::from(u16::from_le_bytes(r.array()?));
                if n == 0 || n > MAX_RANGES {
                    return Err(Malformed);
                }
                let mut ranges = Vec::with_capacity(n);
                for _ in 0..n {
                    ranges.push((
                        u32::from_le_bytes(r.array()?),
                        u32::from_le_bytes(r.array()?),
                    ));
                }
                if !ranges_ok(&ranges) {
                    return Err(Malformed);
                }
                Record::Seen { ranges }
            }
            _ => return Err(Malformed),
        };
        r.finish()?;
        Ok(record)
    }
}

/// The associated data of the record at `offset` in the log `file_name`:
/// the name's bytes, then the offset as 8 bytes little-endian.
fn aad(file_name: &str, offset: u64) -> Vec<u8> {
    let mut a = Vec::with_capacity(file_name.len() + 8);
    a.extend_from_slice(file_name.as_bytes());
    a.extend_from_slice(&offset.to_le_bytes());
    a
}

/// Seals `plaintext` as the record at `offset` of the log `file_name`:
/// `len u32le ‖ nonce ‖ ciphertext ‖ tag`.
///
/// # Errors
/// [`Malformed`] for an empty plaintext or one longer than
/// [`MAX_PLAINTEXT`].
pub fn seal(
    keys: &Keys,
    file_name: &str,
    offset: u64,
    nonce: &[u8; NONCE_LEN],
    plaintext: &[u8],
) -> Result<Vec<u8>, Malformed> {
    if plaintext.is_empty() || plaintext.len() > MAX_PLAINTEXT {
        return Err(Malformed);
    }
    let len = u32::try_from(plaintext.len()).map_err(|_| Malformed)?;
    let mut out = Vec::with_capacity(OVERHEAD + plaintext.len());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(nonce);
    out.extend_from_slice(plaintext);
    let body = &mut out[LEN_LEN + NONCE_LEN..];
    let tag = keys
        .aead
        .seal_in_place(nonce, &aad(file_name, offset), body)
        .map_err(|_| Malformed)?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Encodes and seals `record` (see [`seal`]).
///
/// # Errors
/// [`Malformed`] if the record cannot be encoded.
pub fn seal_record(
    keys: &Keys,
    file_name: &str,
    offset: u64,
    nonce: &[u8; NONCE_LEN],
    record: &Record,
) -> Result<Vec<u8>, Malformed> {
    seal(keys, file_name, offset, nonce, &record.encode()?)
}

/// What the record at an offset turned out to be.
enum At {
    /// Authentic and well formed; the next record starts at `.1`.
    Good(Record, usize),
    /// Authentic but not a record this version writes: never a torn write.
    Malformed,
    /// Not a record: see [`Bad`].
    Bad(Bad),
}

/// Why the bytes at an offset are not a record.
#[derive(Clone, Copy)]
enum Bad {
    /// The file ends before the record's length says it does (or before
    /// its length field).
    Cut,
    /// Its length is 0 or over [`MAX_PLAINTEXT`].
    Impossible,
    /// Whole, but its tag does not match; it would end at `.0`.
    Forged(usize),
}

/// The record at `offset` in `bytes` (`offset < bytes.len()`).
fn record_at(keys: &Keys, file_name: &str, bytes: &[u8], offset: usize) -> At {
    let Some(len_bytes) = bytes.get(offset..offset + LEN_LEN) else {
        return At::Bad(Bad::Cut);
    };
    let mut lb = [0u8; LEN_LEN];
    lb.copy_from_slice(len_bytes);
    let len = u32::from_le_bytes(lb) as usize;
    if len == 0 || len > MAX_PLAINTEXT {
        return At::Bad(Bad::Impossible);
    }
    let end = offset + OVERHEAD + len;
    let Some(rec) = bytes.get(offset..end) else {
        return At::Bad(Bad::Cut);
    };
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&rec[LEN_LEN..LEN_LEN + NONCE_LEN]);
    let mut tag = [0u8; TAG_LEN];
    tag.copy_from_slice(&rec[LEN_LEN + NONCE_LEN + len..]);
    let mut body = Zeroizing::new(rec[LEN_LEN + NONCE_LEN..LEN_LEN + NONCE_LEN + len].to_vec());
    if keys
        .aead
        .open_in_place(&nonce, &aad(file_name, offset as u64), &mut body, &tag)
        .is_err()
    {
        return At::Bad(Bad::Forged(end));
    }
    match Record::decode(&body) {
        Ok(r) => At::Good(r, end),
        Err(Malformed) => At::Malformed,
    }
}

/// A log as read: its records, and how many bytes of it to keep.
#[derive(Debug)]
pub struct Log {
    /// Each good record with its offset, in file order. Empty when even the
    /// header was torn (the file was being created).
    pub records: Vec<(u64, Record)>,
    /// The length of the good records: anything after is a torn write to
    /// cut off.
    pub good_len: u64,
}

/// A log that is not a torn write away from good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Damaged {
    /// Where the first bad record starts.
    pub offset: u64,
}

impl fmt::Display for Damaged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad record at byte {}", self.offset)
    }
}

impl std::error::Error for Damaged {}

/// Reads the log `file_name` (the name is part of every record's
/// associated data) from `bytes`.
///
/// A bad record is a torn write, dropped with everything after it, only
/// if it could be the last append cut short by a crash: it is cut short
/// by the end of the file, or its length is impossible (0 or over
/// [`MAX_PLAINTEXT`]), or it fails its tag and ends exactly at the end of
/// the file; and it starts within [`MAX_RECORD`] bytes of the end; and no
/// authentic record starts anywhere after it. Otherwise the log is
/// [`Damaged`].
/// Authentic records that break the log's structure (not a `Header`
/// first, a second `Header`, a header whose contact does not give this
/// name, a plaintext this version cannot decode) are [`Damaged`] too.
///
/// # Errors
/// [`Damaged`] with the offset of the first bad record.
pub fn read_log(keys: &Keys, file_name: &str, bytes: &[u8]) -> Result<Log, Damaged> {
    let damaged = |offset: usize| Damaged {
        offset: u64::try_from(offset).unwrap_or(u64::MAX),
    };
    let mut records = Vec::new();
    let mut offset = 0usize;
    while offset < bytes.len() {
        match record_at(keys, file_name, bytes, offset) {
            At::Good(record, next) => {
                let header = matches!(record, Record::Header { .. });
                if header != (offset == 0) {
                    return Err(damaged(offset));
                }
                if let Record::Header { contact, .. } = &record
                    && keys.file_name(contact) != file_name
                {
                    return Err(damaged(offset));
                }
                records.push((u64::try_from(offset).map_err(|_| damaged(offset))?, record));
                offset = next;
            }
            At::Malformed => return Err(damaged(offset)),
            At::Bad(bad) => {
                let last = match bad {
                    Bad::Cut | Bad::Impossible => true,
                    Bad::Forged(end) => end == bytes.len(),
                };
                let torn = last
                    && bytes.len() - offset <= MAX_RECORD
                    && !(offset + 1..bytes.len())
                        .any(|p| !matches!(record_at(keys, file_name, bytes, p), At::Bad(_)));
                if torn {
                    break;
                }
                return Err(damaged(offset));
            }
        }
    }
    Ok(Log {
        records,
        good_len: u64::try_from(offset).map_err(|_| damaged(offset))?,
    })
}

/// Whether `name` is a log's file name (32 lower-case hex digits and
/// `.log`).
#[must_use]
pub fn is_log_name(name: &str) -> bool {
    name.strip_suffix(LOG_SUFFIX).is_some_and(|stem| {
        stem.len() == NAME_HEX
            && stem
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn keys() -> Keys {
        Keys::new(&Secret::new([0x11; 32])).unwrap()
    }

    fn samples() -> Vec<Record> {
        vec![
            Record::Header {
                contact: [0x22; 32],
                next_out: 1,
            },
            Record::Message {
                direction: Direction::Out,
                id: 7,
                at: 1_700_000_000,
                status: Status::Queued,
                text: Zeroizing::new("héllo".into()),
            },
            Record::Message {
                direction: Direction::In,
                id: u32::MAX,
                at: u64::MAX,
                status: Status::Unread,
                text: Zeroizing::new("x".repeat(TEXT_MAX)),
            },
            Record::Status {
                direction: Direction::Out,
                id: 7,
                status: Status::Expired,
            },
            Record::Status {
                direction: Direction::In,
                id: 3,
                status: Status::Read,
            },
            Record::Delete {
                direction: Direction::In,
                id: 3,
            },
            Record::Seen {
                ranges: vec![(1, 5), (7, 7), (9, u32::MAX)],
            },
            Record::Seen {
                ranges: (0..MAX_RANGES as u32).map(|i| (3 * i, 3 * i + 1)).collect(),
            },
        ]
    }

    #[test]
    fn records_round_trip_and_reject_trailing_bytes() {
        for r in samples() {
            let b = r.encode().unwrap();
            assert!(b.len() <= MAX_PLAINTEXT);
            assert_eq!(Record::decode(&b).unwrap(), r);
            let mut long = b.to_vec();
            long.push(0);
            assert_eq!(Record::decode(&long), Err(Malformed));
            for cut in 0..b.len() {
                assert_eq!(Record::decode(&b[..cut]), Err(Malformed), "{r:?} cut {cut}");
            }
        }
    }

    #[test]
    fn invalid_records_are_refused_both_ways() {
        let bad = [
            Record::Message {
                direction: Direction::In,
                id: 1,
                at: 0,
                status: Status::Queued,
                text: Zeroizing::new("a".into()),
            },
            Record::Message {
                direction: Direction::Out,
                id: 1,
                at: 0,
                status: Status::Queued,
                text: Zeroizing::new(String::new()),
            },
            Record::Message {
                direction: Direction::Out,
                id: 1,
                at: 0,
                status: Status::Queued,
                text: Zeroizing::new("a".repeat(TEXT_MAX + 1)),
            },
            Record::Status {
                direction: Direction::Out,
                id: 1,
                status: Status::Queued,
            },
            Record::Status {
                direction: Direction::In,
                id: 1,
                status: Status::Delivered,
            },
            Record::Seen { ranges: vec![] },
            Record::Seen {
                ranges: vec![(1, 2), (3, 4)],
            },
            Record::Seen {
                ranges: vec![(5, 4)],
            },
            Record::Seen {
                ranges: (0..=MAX_RANGES as u32).map(|i| (3 * i, 3 * i)).collect(),
            },
        ];
        for r in bad {
            assert_eq!(r.encode().err(), Some(Malformed), "{r:?}");
        }
        // Hand-made plaintexts: bad version, bad direction, invalid UTF-8.
        assert!(Record::decode(&[TAG_HEADER, 2]).is_err());
        assert!(Record::decode(&[TAG_DELETE, 2, 0, 0, 0, 0]).is_err());
        let mut m = vec![TAG_MESSAGE, 0, 1, 0, 0, 0];
        m.extend_from_slice(&[0; 8]);
        m.extend_from_slice(&[0, 2, 0, 0xC3, 0x28]);
        assert_eq!(Record::decode(&m), Err(Malformed));
        assert_eq!(Record::decode(&[0x06]), Err(Malformed));
        assert_eq!(Record::decode(&[]), Err(Malformed));
    }

    #[test]
    fn labels_are_distinct() {
        let all: std::collections::BTreeSet<_> = labels::ALL.iter().map(|l| l.as_bytes()).collect();
        assert_eq!(all.len(), labels::ALL.len());
    }

    #[test]
    fn store_file_tells_wrong_key_from_damage() {
        let k = keys();
        let f = k.store_file(42);
        assert_eq!(k.read_store_file(&f), Ok(42));
        let other = Keys::new(&Secret::new([0x12; 32])).unwrap();
        assert_eq!(other.read_store_file(&f), Err(StoreFileError::WrongKey));
        let mut bad = f;
        bad[41] ^= 1;
        assert_eq!(k.read_store_file(&bad), Err(StoreFileError::Damaged));
        bad = f;
        bad[0] ^= 1;
        assert_eq!(k.read_store_file(&bad), Err(StoreFileError::Damaged));
        assert_eq!(k.read_store_file(&f[1..]), Err(StoreFileError::Damaged));
    }

    #[test]
    fn names_are_keyed_hex() {
        let k = keys();
        let n = k.file_name(&[0x22; 32]);
        assert!(is_log_name(&n), "{n}");
        assert_ne!(n, k.file_name(&[0x23; 32]));
        assert_ne!(
            n,
            Keys::new(&Secret::new([0x12; 32]))
                .unwrap()
                .file_name(&[0x22; 32])
        );
        assert!(!is_log_name("store"));
        assert!(!is_log_name(&n.to_uppercase()));
    }
}
