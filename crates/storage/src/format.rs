//! The store file format, version 1 (`docs/storage.md` is the spec).
//!
//! ```text
//! header (112 bytes, little-endian)
//!   0  magic        "SUSSTORE"
//!   8  version      u16 = 1
//!  10  kind         u8: 1 store, 2 backup           (not authenticated)
//!  11  flags        u8: bit 0 = wipe on lockout
//!  12  m_cost_kib   u32   Argon2id memory
//!  16  t_cost       u32   Argon2id passes
//!  20  p_cost       u32   Argon2id lanes
//!  24  max_attempts u8
//!  25  failed       u8    retry counter              (not authenticated)
//!  26  reserved     u16 = 0
//!  28  lockout_s    u32   base delay (host profile)
//!  32  salt         [16]
//!  48  wrapped_dk   [32]  DK xor Kw
//!  80  verifier     [16]  MAC(Kv, header bytes 0..80 minus 10 and 25)
//!  96  nonce        [12]  ChaCha20 nonce of this save
//! 108  body_len     u32
//! body  ChaCha20(Ke, nonce) of: identity[32] next_id:u32 count:u32 records
//! tag   [32]  MAC(Km, header minus bytes 10 and 25 ‖ body ciphertext)
//! check [16]  H(everything before it): damage detection without a password
//! ```
//!
//! Keys: `master = Argon2id(password, salt)`; `Kv ‖ Kw = KDF(PASSWORD,
//! master)`; `Ke ‖ Km = KDF(BODY, DK, nonce)`. Streams are hashed in
//! 256-byte parts (see [`Chunked`]), so the values do not depend on how a
//! backend splits its reads. Each derivation is a public function here
//! ([`master_key`], [`password_keys`], [`verifier`], [`body_keys`],
//! [`tag_hasher`], [`check_hasher`]), used by the store and by the
//! known-answer generator of `docs/vectors/storage.json`.

use susurro_crypto::Secret32;
use susurro_crypto::argon::{Argon2Block, Argon2Params, argon2id};
use susurro_crypto::h::{H, Label, kdf_into, mac};

/// File magic.
pub const MAGIC: [u8; 8] = *b"SUSSTORE";
/// Current format version.
pub const VERSION: u16 = 1;
/// Header bytes.
pub const HEADER_LEN: usize = 112;
/// Plaintext body prefix: identity, next id, count.
pub const BODY_PREFIX: usize = 40;
/// Tag bytes.
pub const TAG_LEN: usize = 32;
/// Check bytes.
pub const CHECK_LEN: usize = 16;
/// Smallest valid image.
pub const MIN_IMAGE: usize = HEADER_LEN + BODY_PREFIX + TAG_LEN + CHECK_LEN;
/// Part size of the streamed MAC and check.
pub const CHUNK: usize = 256;

/// `kind` of a live store.
pub const KIND_STORE: u8 = 1;
/// `kind` of a backup file.
pub const KIND_BACKUP: u8 = 2;
/// `flags` bit: wipe instead of waiting after too many wrong passwords.
pub const FLAG_WIPE: u8 = 0x01;

/// Offset of the retry counter.
pub const FAILED_OFFSET: usize = 25;
/// Offset of the kind byte.
pub const KIND_OFFSET: usize = 10;

/// Label of the unkeyed check: `H16(CHECK_LABEL, image parts)`.
pub const CHECK_LABEL: Label = Label::new(b"susurro/storage/check/v1");
/// Label of the body tag: `MAC32(TAG_LABEL, Km, stream parts)`.
pub const TAG_LABEL: Label = Label::new(b"susurro/storage/tag/v1");
/// Label of the password verifier: `MAC16(VERIFIER_LABEL, Kv, 3 header parts)`.
pub const VERIFIER_LABEL: Label = Label::new(b"susurro/storage/verifier/v1");
/// Label of `Kv ‖ Kw = KDF(PASSWORD_LABEL, master)`.
pub const PASSWORD_LABEL: Label = Label::new(b"susurro/storage/password-keys/v1");
/// Label of `Ke ‖ Km = KDF(BODY_LABEL, DK, nonce)`.
pub const BODY_LABEL: Label = Label::new(b"susurro/storage/body-keys/v1");
/// Label of the history key: `KDF(HISTORY_LABEL, key = identity secret)`,
/// given to the ui (`HistoryKey`) for the host's encrypted message history.
pub const HISTORY_LABEL: Label = Label::new(b"susurro/storage/history-key/v1");
/// Length of the Argon2id output (`master`).
pub const MASTER_LEN: usize = 32;

/// Why an image is not a readable store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormatError {
    /// Shorter than a header, or its lengths disagree.
    Truncated,
    /// Not a Susurro store.
    BadMagic,
    /// A version this code does not read.
    UnsupportedVersion(u16),
    /// A field has a value no writer produces.
    BadField(&'static str),
    /// The check does not match: the bytes were damaged.
    Corrupt,
    /// The book is larger than this device's RAM arena.
    TooLarge,
}

impl core::fmt::Display for FormatError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            FormatError::Truncated => f.write_str("store truncated"),
            FormatError::BadMagic => f.write_str("not a Susurro store"),
            FormatError::UnsupportedVersion(v) => write!(f, "unsupported store version {v}"),
            FormatError::BadField(w) => write!(f, "bad store field: {w}"),
            FormatError::Corrupt => f.write_str("store damaged (check mismatch)"),
            FormatError::TooLarge => f.write_str("address book too large for this device"),
        }
    }
}

impl core::error::Error for FormatError {}

/// The parsed header.
#[derive(Clone, PartialEq, Eq)]
pub struct Header {
    /// [`KIND_STORE`] or [`KIND_BACKUP`].
    pub kind: u8,
    /// [`FLAG_WIPE`] bits.
    pub flags: u8,
    /// Argon2id cost.
    pub kdf: Argon2Params,
    /// Wrong passwords allowed.
    pub max_attempts: u8,
    /// Wrong passwords since the last success.
    pub failed: u8,
    /// Base lockout delay, seconds.
    pub lockout_s: u32,
    /// Argon2id salt.
    pub salt: [u8; 16],
    /// The data key, masked with the password key.
    pub wrapped_dk: [u8; 32],
    /// Password verifier.
    pub verifier: [u8; 16],
    /// Body nonce.
    pub nonce: [u8; 12],
    /// Body length.
    pub body_len: u32,
}

impl core::fmt::Debug for Header {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Header")
            .field("kind", &self.kind)
            .field("flags", &self.flags)
            .field("kdf", &self.kdf)
            .field("max_attempts", &self.max_attempts)
            .field("failed", &self.failed)
            .field("lockout_s", &self.lockout_s)
            .field("body_len", &self.body_len)
            .finish_non_exhaustive()
    }
}

fn u32_at(b: &[u8; HEADER_LEN], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn arr<const N: usize>(b: &[u8; HEADER_LEN], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&b[at..at + N]);
    out
}

impl Header {
    /// Encodes the header.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0..8].copy_from_slice(&MAGIC);
        b[8..10].copy_from_slice(&VERSION.to_le_bytes());
        b[10] = self.kind;
        b[11] = self.flags;
        b[12..16].copy_from_slice(&self.kdf.m_cost_kib.to_le_bytes());
        b[16..20].copy_from_slice(&self.kdf.t_cost.to_le_bytes());
        b[20..24].copy_from_slice(&self.kdf.p_cost.to_le_bytes());
        b[24] = self.max_attempts;
        b[25] = self.failed;
        b[28..32].copy_from_slice(&self.lockout_s.to_le_bytes());
        b[32..48].copy_from_slice(&self.salt);
        b[48..80].copy_from_slice(&self.wrapped_dk);
        b[80..96].copy_from_slice(&self.verifier);
        b[96..108].copy_from_slice(&self.nonce);
        b[108..112].copy_from_slice(&self.body_len.to_le_bytes());
        b
    }

    /// Parses and sanity-checks a header (not the check or the MACs).
    ///
    /// # Errors
    /// [`FormatError`] naming the first problem.
    pub fn decode(b: &[u8; HEADER_LEN]) -> Result<Self, FormatError> {
        if b[0..8] != MAGIC {
            return Err(FormatError::BadMagic);
        }
        let version = u16::from_le_bytes([b[8], b[9]]);
        if version != VERSION {
            return Err(FormatError::UnsupportedVersion(version));
        }
        let kind = b[10];
        if kind != KIND_STORE && kind != KIND_BACKUP {
            return Err(FormatError::BadField("kind"));
        }
        let flags = b[11];
        if flags & !FLAG_WIPE != 0 {
            return Err(FormatError::BadField("flags"));
        }
        let kdf = Argon2Params {
            m_cost_kib: u32_at(b, 12),
            t_cost: u32_at(b, 16),
            p_cost: u32_at(b, 20),
        };
        if kdf.t_cost == 0 || kdf.p_cost == 0 || kdf.p_cost > 64 || kdf.m_cost_kib < 8 * kdf.p_cost
        {
            return Err(FormatError::BadField("kdf"));
        }
        let max_attempts = b[24];
        if max_attempts == 0 {
            return Err(FormatError::BadField("max_attempts"));
        }
        if b[26] != 0 || b[27] != 0 {
            return Err(FormatError::BadField("reserved"));
        }
        let body_len = u32_at(b, 108);
        if (body_len as usize) < BODY_PREFIX {
            return Err(FormatError::Truncated);
        }
        Ok(Self {
            kind,
            flags,
            kdf,
            max_attempts,
            failed: b[25],
            lockout_s: u32_at(b, 28),
            salt: arr(b, 32),
            wrapped_dk: arr(b, 48),
            verifier: arr(b, 80),
            nonce: arr(b, 96),
            body_len,
        })
    }

    /// Total image length this header announces.
    pub fn image_len(&self) -> usize {
        HEADER_LEN + self.body_len as usize + TAG_LEN + CHECK_LEN
    }
}

/// The authenticated parts of an encoded header (everything but `kind`
/// and `failed`), up to `end`: `b[0..10]`, `b[11..25]`, `b[26..end]`.
///
/// With `end = 80` these are the three framed parts of the verifier's
/// MAC; with `end = HEADER_LEN` their concatenation starts the tag's
/// stream.
///
/// # Panics
/// If `end` is below 26.
pub fn auth_parts(b: &[u8; HEADER_LEN], end: usize) -> [&[u8]; 3] {
    [
        &b[0..KIND_OFFSET],
        &b[KIND_OFFSET + 1..FAILED_OFFSET],
        &b[FAILED_OFFSET + 1..end],
    ]
}

/// `master = Argon2id(password, salt)` with the header's cost, 32 bytes
/// (RFC 9106, version 0x13, no secret, no associated data). The password
/// is taken as the bytes given: no encoding or normalisation happens here.
///
/// # Errors
/// The Argon2 error (bad costs, `memory` shorter than
/// [`Argon2Params::blocks_needed`]).
pub fn master_key(
    kdf: &Argon2Params,
    password: &[u8],
    salt: &[u8; 16],
    memory: &mut [Argon2Block],
) -> Result<Secret32, susurro_crypto::Error> {
    let mut master = Secret32::zero();
    argon2id(kdf, password, salt, master.as_mut_bytes(), memory)?;
    Ok(master)
}

/// `Kv ‖ Kw = KDF(PASSWORD_LABEL, master)` (no context parts): the
/// verifier key and the key that masks DK. Returns `(Kv, Kw)`.
pub fn password_keys(master: &Secret32) -> (Secret32, Secret32) {
    let mut kv = Secret32::zero();
    let mut kw = Secret32::zero();
    kdf_into(
        PASSWORD_LABEL,
        master.expose(),
        &[],
        &mut [kv.as_mut_bytes(), kw.as_mut_bytes()],
    );
    (kv, kw)
}

/// `verifier = MAC16(VERIFIER_LABEL, Kv, auth_parts(header, 80))`: over
/// header bytes 0..80 without bytes 10 and 25, as three framed parts.
pub fn verifier(kv: &Secret32, header: &[u8; HEADER_LEN]) -> [u8; 16] {
    mac(VERIFIER_LABEL, kv.expose(), &auth_parts(header, 80))
}

/// `Ke ‖ Km = KDF(BODY_LABEL, DK, nonce)` (one context part, the 12-byte
/// nonce): the ChaCha20 key and the tag key of one save. Returns
/// `(Ke, Km)`.
pub fn body_keys(dk: &Secret32, nonce: &[u8; 12]) -> (Secret32, Secret32) {
    let mut ke = Secret32::zero();
    let mut km = Secret32::zero();
    kdf_into(
        BODY_LABEL,
        dk.expose(),
        &[nonce],
        &mut [ke.as_mut_bytes(), km.as_mut_bytes()],
    );
    (ke, km)
}

/// The tag's hasher: `MAC(TAG_LABEL, Km, …)` over `auth_parts(header,
/// HEADER_LEN) ‖ body ciphertext`, absorbed in [`CHUNK`]-byte parts;
/// finish with `finish::<TAG_LEN>()`.
pub fn tag_hasher(km: &Secret32) -> Chunked {
    Chunked::new(H::new_keyed(TAG_LABEL, km.expose()))
}

/// The check's hasher: `H(CHECK_LABEL, …)` over every image byte before
/// the check, absorbed in [`CHUNK`]-byte parts; finish with
/// `finish::<CHECK_LEN>()`.
pub fn check_hasher() -> Chunked {
    Chunked::new(H::new(CHECK_LABEL))
}

/// H over a byte stream, absorbed in fixed [`CHUNK`]-byte parts whatever
/// the caller's split: the stream is cut at every 256th byte and each
/// piece is one framed part (`LE64(len) ‖ piece`); the last piece is
/// shorter, and there is no empty part (a stream whose length is a
/// multiple of 256 ends with a full part).
pub struct Chunked {
    h: H,
    buf: [u8; CHUNK],
    n: usize,
}

impl core::fmt::Debug for Chunked {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Chunked(<redacted>)")
    }
}

impl Chunked {
    /// Over an [`H`] already framed with its label (and key).
    pub fn new(h: H) -> Self {
        Self {
            h,
            buf: [0u8; CHUNK],
            n: 0,
        }
    }

    /// Feeds bytes.
    pub fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let take = (CHUNK - self.n).min(data.len());
            self.buf[self.n..self.n + take].copy_from_slice(&data[..take]);
            self.n += take;
            data = &data[take..];
            if self.n == CHUNK {
                self.h.absorb(&self.buf);
                self.n = 0;
            }
        }
    }

    /// The first `N` output bytes.
    pub fn finish<const N: usize>(mut self) -> [u8; N] {
        if self.n > 0 {
            self.h.absorb(&self.buf[..self.n]);
        }
        zeroize::Zeroize::zeroize(&mut self.buf);
        self.h.finalize()
    }
}

/// Verifies an image's structure and check without a password.
///
/// # Errors
/// [`FormatError`]: truncated, not a store, unknown version, bad field,
/// damaged. `max_body` bounds the body (the device's arena plus prefix).
pub fn check_image<P: crate::persist::Persist + ?Sized>(
    p: &mut P,
    max_body: usize,
) -> Result<Header, crate::error::StoreError> {
    use crate::error::StoreError;
    let len = p.committed_len()?.ok_or(StoreError::NoIdentity)? as usize;
    if len < MIN_IMAGE {
        return Err(FormatError::Truncated.into());
    }
    let mut hb = [0u8; HEADER_LEN];
    p.read(0, &mut hb)?;
    let hdr = Header::decode(&hb)?;
    if hdr.image_len() != len {
        return Err(FormatError::Truncated.into());
    }
    if hdr.body_len as usize > max_body {
        return Err(FormatError::TooLarge.into());
    }
    let mut check = check_hasher();
    check.update(&hb);
    let mut buf = [0u8; CHUNK];
    let mut off = HEADER_LEN;
    let end = len - CHECK_LEN;
    while off < end {
        let n = CHUNK.min(end - off);
        p.read(off as u32, &mut buf[..n])?;
        check.update(&buf[..n]);
        off += n;
    }
    let mut stored = [0u8; CHECK_LEN];
    p.read(end as u32, &mut stored)?;
    let computed: [u8; CHECK_LEN] = check.finish();
    if computed != stored {
        return Err(FormatError::Corrupt.into());
    }
    Ok(hdr)
}
