//! The on-disk records, as pure functions over bytes (the README's
//! "At rest" section is their specification).
//!
//! Nothing here touches a file: [`Store`](crate::Store) does the I/O, this
//! module says what the bytes are. It is public so the format can be
//! fuzzed ([`open`]) and checked.

use core::fmt;
use std::path::PathBuf;

use susurro_crypto::serpent_ocb::SerpentOcb;
pub use susurro_crypto::serpent_ocb::{NONCE_LEN, TAG_LEN};
use susurro_crypto::{Secret, kdf};
use susurro_wire::DecodeError;
use susurro_wire::codec::Reader;
use zeroize::Zeroizing;

use crate::config::{MAX_FILE_SIZE, NAME_MAX, PATH_MAX};
use crate::types::ContactKey;

/// The domain-separation labels of this crate's records.
pub mod labels {
    use susurro_crypto::Label;

    /// The Serpent-256 key of the records: `kdf(RECORD_KEY, key)` from the
    /// key the front end passes in.
    pub const RECORD_KEY: Label = Label::new(b"susurro/files/record-key/v1");

    /// Every label of this crate (with the content hash's; checked
    /// distinct by a test).
    pub const ALL: &[Label] = &[RECORD_KEY, crate::content::CONTENT_LABEL];
}

/// What an outgoing record's file name ends with.
pub const OUT_SUFFIX: &str = ".out";
/// What an incoming record's file name ends with.
pub const IN_SUFFIX: &str = ".in";
/// What a partial file's name ends with (beside its incoming record).
pub const PART_SUFFIX: &str = ".part";
/// What a record being written ends with (removed at open if left over).
pub const TMP_SUFFIX: &str = ".tmp";
/// The lock file (empty; held with an exclusive lock while open).
pub const LOCK_FILE: &str = "lock";
/// Hex digits of a file name's random stem.
pub const NAME_HEX: usize = 32;
/// The version byte of the record plaintexts.
pub const RECORD_VERSION: u8 = 1;
/// A sealed record's bytes beside its plaintext: nonce and tag.
pub const OVERHEAD: usize = NONCE_LEN + TAG_LEN;
/// The fixed part of a plaintext: kind, version, contact, file, key,
/// hash, size, created, name length.
pub const FIXED_LEN: usize = 1 + 1 + 32 + 8 + 32 + 32 + 8 + 8 + 2;
/// The longest plaintext: an outgoing record with the longest name and
/// path.
pub const MAX_PLAINTEXT: usize = FIXED_LEN + NAME_MAX + 2 + PATH_MAX;

const KIND_OUT: u8 = 1;
const KIND_IN: u8 = 2;

/// A record plaintext that does not follow the encoding, or a record that
/// cannot be encoded (name or path too long, path empty or, off Unix, not
/// UTF-8, size above [`MAX_FILE_SIZE`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("malformed transfer record")
    }
}

impl std::error::Error for Malformed {}

impl From<DecodeError> for Malformed {
    fn from(_: DecodeError) -> Self {
        Malformed
    }
}

/// A sealed record that does not open (wrong key, another file's record,
/// a changed byte) or whose plaintext is [`Malformed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Damaged;

impl fmt::Display for Damaged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("damaged transfer record")
    }
}

impl std::error::Error for Damaged {}

/// What the sender keeps of an outgoing transfer, to offer it again.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingRecord {
    /// To whom.
    pub contact: ContactKey,
    /// The transfer id (random, non-zero).
    pub file: u64,
    /// The file key (random).
    pub key: Secret<32>,
    /// The content hash.
    pub hash: [u8; 32],
    /// The size in bytes.
    pub size: u64,
    /// When the record was made, unix seconds.
    pub created: u64,
    /// The name offered (sanitised), at most 160 bytes.
    pub name: String,
    /// The source file, canonical.
    pub path: PathBuf,
}

/// What the receiver keeps of an accepted transfer, beside its partial
/// data.
#[derive(Clone, PartialEq, Eq)]
pub struct IncomingRecord {
    /// From whom.
    pub contact: ContactKey,
    /// The transfer id (the sender's).
    pub file: u64,
    /// The file key.
    pub key: Secret<32>,
    /// The content hash.
    pub hash: [u8; 32],
    /// The size in bytes.
    pub size: u64,
    /// When the record was made, unix seconds.
    pub created: u64,
    /// The name from the offer, as offered (at most 160 bytes).
    pub name: String,
}

impl fmt::Debug for OutgoingRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingRecord")
            .field("file", &format_args!("{:016x}", self.file))
            .field("size", &self.size)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for IncomingRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IncomingRecord")
            .field("file", &format_args!("{:016x}", self.file))
            .field("size", &self.size)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

/// One record's plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A file we send (`<stem>.out`).
    Outgoing(OutgoingRecord),
    /// A file we receive (`<stem>.in`, data in `<stem>.part`).
    Incoming(IncomingRecord),
}

#[cfg(unix)]
fn path_bytes(p: &std::path::Path) -> Option<&[u8]> {
    use std::os::unix::ffi::OsStrExt;
    Some(p.as_os_str().as_bytes())
}

#[cfg(not(unix))]
fn path_bytes(p: &std::path::Path) -> Option<&[u8]> {
    p.to_str().map(str::as_bytes)
}

#[cfg(unix)]
fn path_from(b: &[u8]) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    Some(std::ffi::OsStr::from_bytes(b).into())
}

#[cfg(not(unix))]
fn path_from(b: &[u8]) -> Option<PathBuf> {
    core::str::from_utf8(b).ok().map(PathBuf::from)
}

impl Record {
    /// The plaintext bytes (all integers little-endian):
    ///
    /// ```text
    /// kind u8 (1 outgoing, 2 incoming) ‖ version u8 (1) ‖ contact[32] ‖
    /// file u64 ‖ key[32] ‖ hash[32] ‖ size u64 ‖ created u64 ‖
    /// name_len u16 ‖ name (UTF-8, ≤ 160) ‖
    /// outgoing only: path_len u16 ‖ path (1 to 4096 bytes)
    /// ```
    ///
    /// # Errors
    /// [`Malformed`] for a record [`decode`](Self::decode) would refuse.
    pub fn encode(&self) -> Result<Zeroizing<Vec<u8>>, Malformed> {
        let mut out = Zeroizing::new(Vec::with_capacity(MAX_PLAINTEXT));
        let (kind, contact, file, key, hash, size, created, name) = match self {
            Record::Outgoing(r) => (
                KIND_OUT, &r.contact, r.file, &r.key, &r.hash, r.size, r.created, &r.name,
            ),
            Record::Incoming(r) => (
                KIND_IN, &r.contact, r.file, &r.key, &r.hash, r.size, r.created, &r.name,
            ),
        };
        if name.len() > NAME_MAX || size > MAX_FILE_SIZE {
            return Err(Malformed);
        }
        out.push(kind);
        out.push(RECORD_VERSION);
        out.extend_from_slice(contact);
        out.extend_from_slice(&file.to_le_bytes());
        out.extend_from_slice(key.expose());
        out.extend_from_slice(hash);
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&created.to_le_bytes());
        out.extend_from_slice(
            &u16::try_from(name.len())
                .map_err(|_| Malformed)?
                .to_le_bytes(),
        );
        out.extend_from_slice(name.as_bytes());
        if let Record::Outgoing(r) = self {
            let p = path_bytes(&r.path).ok_or(Malformed)?;
            if p.is_empty() || p.len() > PATH_MAX {
                return Err(Malformed);
            }
            out.extend_from_slice(&u16::try_from(p.len()).map_err(|_| Malformed)?.to_le_bytes());
            out.extend_from_slice(p);
        }
        Ok(out)
    }

    /// Decodes a plaintext. Every field is checked and trailing bytes are
    /// refused, so `encode(decode(b)) == b` for every `b` it accepts.
    ///
    /// # Errors
    /// [`Malformed`].
    pub fn decode(bytes: &[u8]) -> Result<Self, Malformed> {
        let mut r = Reader::new(bytes);
        let kind = r.u8()?;
        if r.u8()? != RECORD_VERSION {
            return Err(Malformed);
        }
        let contact = r.array::<32>()?;
        let file = u64::from_le_bytes(r.array()?);
        let key = Secret::new(r.array::<32>()?);
        let hash = r.array::<32>()?;
        let size = u64::from_le_bytes(r.array()?);
        let created = u64::from_le_bytes(r.array()?);
        let name_len = usize::from(u16::from_le_bytes(r.array()?));
        if size > MAX_FILE_SIZE || name_len > NAME_MAX {
            return Err(Malformed);
        }
        let name = core::str::from_utf8(r.take(name_len)?)
            .map_err(|_| Malformed)?
            .to_owned();
        let record = match kind {
            KIND_OUT => {
                let len = usize::from(u16::from_le_bytes(r.array()?));
                if len == 0 || len > PATH_MAX {
                    return Err(Malformed);
                }
                let path = path_from(r.take(len)?).ok_or(Malformed)?;
                Record::Outgoing(OutgoingRecord {
                    contact,
                    file,
                    key,
                    hash,
                    size,
                    created,
                    name,
                    path,
                })
            }
            KIND_IN => Record::Incoming(IncomingRecord {
                contact,
                file,
                key,
                hash,
                size,
                created,
                name,
            }),
            _ => return Err(Malformed),
        };
        r.finish()?;
        Ok(record)
    }
}

/// The records' AEAD: Serpent-256-OCB3 under `kdf(RECORD_KEY, key)`.
pub struct RecordKey(SerpentOcb);

impl fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecordKey(<redacted>)")
    }
}

impl RecordKey {
    /// Derives the record key from the key the front end passes in.
    ///
    /// # Errors
    /// None in practice: a 32-byte Serpent key is always accepted.
    pub fn new(key: &Secret<32>) -> Result<Self, susurro_crypto::Error> {
        let k = kdf::<32>(labels::RECORD_KEY, key.expose(), &[]);
        Ok(Self(SerpentOcb::new_256(k.expose())?))
    }
}

/// Seals `record` as the file `file_name`: `nonce ‖ ciphertext ‖ tag`,
/// with the file name's bytes as associated data (a record renamed, or
/// moved between `.out` and `.in`, no longer opens).
///
/// # Errors
/// [`Malformed`] if the record cannot be encoded.
pub fn seal(
    key: &RecordKey,
    file_name: &str,
    nonce: &[u8; NONCE_LEN],
    record: &Record,
) -> Result<Vec<u8>, Malformed> {
    let plain = record.encode()?;
    let mut out = Vec::with_capacity(OVERHEAD + plain.len());
    out.extend_from_slice(nonce);
    out.extend_from_slice(&plain);
    let tag = key
        .0
        .seal_in_place(nonce, file_name.as_bytes(), &mut out[NONCE_LEN..])
        .map_err(|_| Malformed)?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Opens the record file `file_name` from its bytes.
///
/// # Errors
/// [`Damaged`] if it does not authenticate or does not decode.
pub fn open(key: &RecordKey, file_name: &str, bytes: &[u8]) -> Result<Record, Damaged> {
    if bytes.len() < OVERHEAD || bytes.len() > OVERHEAD + MAX_PLAINTEXT {
        return Err(Damaged);
    }
    let (nonce, rest) = bytes.split_at(NONCE_LEN);
    let (body, tag) = rest.split_at(rest.len() - TAG_LEN);
    let mut n = [0u8; NONCE_LEN];
    n.copy_from_slice(nonce);
    let mut t = [0u8; TAG_LEN];
    t.copy_from_slice(tag);
    let mut plain = Zeroizing::new(body.to_vec());
    key.0
        .open_in_place(&n, file_name.as_bytes(), &mut plain, &t)
        .map_err(|_| Damaged)?;
    Record::decode(&plain).map_err(|_| Damaged)
}

/// Whether `name` is a random stem (32 lower-case hex digits) followed by
/// `suffix`; the stem if so.
#[must_use]
pub fn stem_of<'a>(name: &'a str, suffix: &str) -> Option<&'a str> {
    name.strip_suffix(suffix).filter(|stem| {
        stem.len() == NAME_HEX
            && stem
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out_record() -> Record {
        Record::Outgoing(OutgoingRecord {
            contact: [1; 32],
            file: 0x0102_0304_0506_0708,
            key: Secret::new([2; 32]),
            hash: [3; 32],
            size: 600,
            created: 1_700_000_000,
            name: "report.pdf".into(),
            path: PathBuf::from("/home/a/report.pdf"),
        })
    }

    fn in_record() -> Record {
        Record::Incoming(IncomingRecord {
            contact: [4; 32],
            file: u64::MAX,
            key: Secret::new([5; 32]),
            hash: [6; 32],
            size: MAX_FILE_SIZE,
            created: 0,
            name: "é".repeat(80),
        })
    }

    #[test]
    fn records_round_trip_and_refuse_every_cut_and_trailing_byte() {
        for r in [out_record(), in_record()] {
            let b = r.encode().unwrap();
            assert_eq!(Record::decode(&b).unwrap(), r);
            for cut in 0..b.len() {
                assert_eq!(Record::decode(&b[..cut]), Err(Malformed));
            }
            let mut long = b.to_vec();
            long.push(0);
            assert_eq!(Record::decode(&long), Err(Malformed));
        }
    }

    #[test]
    fn bad_fields_are_refused() {
        let b = out_record().encode().unwrap();
        let mut bad = b.to_vec();
        bad[0] = 3;
        assert_eq!(Record::decode(&bad), Err(Malformed));
        bad = b.to_vec();
        bad[1] = 2;
        assert_eq!(Record::decode(&bad), Err(Malformed));
        let Record::Outgoing(mut r) = out_record() else {
            unreachable!()
        };
        r.size = MAX_FILE_SIZE + 1;
        assert_eq!(Record::Outgoing(r.clone()).encode().err(), Some(Malformed));
        r.size = 1;
        r.name = "x".repeat(NAME_MAX + 1);
        assert_eq!(Record::Outgoing(r.clone()).encode().err(), Some(Malformed));
        r.name = "x".into();
        r.path = PathBuf::new();
        assert_eq!(Record::Outgoing(r).encode().err(), Some(Malformed));
    }

    #[test]
    fn sealed_records_open_only_under_their_name_and_key() {
        let key = RecordKey::new(&Secret::new([9; 32])).unwrap();
        let name = format!("{}{OUT_SUFFIX}", "ab".repeat(16));
        let sealed = seal(&key, &name, &[7; NONCE_LEN], &out_record()).unwrap();
        assert_eq!(open(&key, &name, &sealed).unwrap(), out_record());
        let other_name = format!("{}{IN_SUFFIX}", "ab".repeat(16));
        assert_eq!(open(&key, &other_name, &sealed), Err(Damaged));
        let other_key = RecordKey::new(&Secret::new([8; 32])).unwrap();
        assert_eq!(open(&other_key, &name, &sealed), Err(Damaged));
        for i in [0, NONCE_LEN, sealed.len() / 2, sealed.len() - 1] {
            for bit in 0..8 {
                let mut t = sealed.clone();
                t[i] ^= 1 << bit;
                assert_eq!(open(&key, &name, &t), Err(Damaged), "byte {i} bit {bit}");
            }
        }
        assert_eq!(open(&key, &name, &sealed[..OVERHEAD - 1]), Err(Damaged));
    }

    #[test]
    fn labels_are_distinct() {
        let all: std::collections::BTreeSet<_> = labels::ALL.iter().map(|l| l.as_bytes()).collect();
        assert_eq!(all.len(), labels::ALL.len());
    }

    #[test]
    fn stems() {
        let n = format!("{}{IN_SUFFIX}", "0f".repeat(16));
        assert_eq!(stem_of(&n, IN_SUFFIX), Some(&n[..32]));
        assert_eq!(stem_of(&n, OUT_SUFFIX), None);
        assert_eq!(stem_of("lock", IN_SUFFIX), None);
        assert_eq!(stem_of(&n.to_uppercase(), ".IN"), None);
    }
}
