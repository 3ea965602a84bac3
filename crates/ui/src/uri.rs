//! The `susurro:` contact URI: a contact card people share as text or QR.
//!
//! ```text
//! susurro:<name>?k=<key>[&a=<address>]&c=<crc>
//! ```
//!
//! The grammar, the reasons for each choice and the error cases are in the
//! crate README ("Contact URI"). The parser is strict: every card has
//! exactly one accepted spelling (apart from the scheme's case), so
//! `encode(decode(s)) == s` once the scheme is lower-cased.

use core::fmt;

use crc::{CRC_32_ISO_HDLC, Crc};
use susurro_crypto::onion_checksum;
use susurro_wire::{Address, Name, Text, caps};

/// The scheme, lower case (the parser accepts any case).
pub const SCHEME: &str = "susurro";

/// Longest URI [`encode`] produces and [`decode`] accepts, in bytes:
/// `susurro:` (8) + a 64-byte name fully percent-encoded (192) + `?k=` and
/// the key (55) + `&a=tcp:<64-byte host>:65535` (77) + `&c=` and the CRC (11).
pub const MAX_URI: usize = 8 + 3 * caps::NAME + 3 + KEY_CHARS + 3 + 4 + caps::HOST + 6 + 3 + 8;

/// Base32 characters of a 32-byte key.
pub const KEY_CHARS: usize = 52;
/// Base32 characters of a v3 onion address (without `.onion`).
pub const ONION_CHARS: usize = 56;

const CRC32: Crc<u32> = Crc::<u32>::new(&CRC_32_ISO_HDLC);
const B32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
const ONION_VERSION: u8 = 3;
/// `&c=` and eight hex digits.
const CRC_FIELD: usize = 11;

/// A contact as shared: the suggested name, the long-term key and where to
/// reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactCard {
    /// Suggested display name (1 to 64 bytes of UTF-8, no control
    /// characters).
    pub name: Name,
    /// Long-term X25519 public key.
    pub key: [u8; 32],
    /// Where the contact listens for calls ([`Address::None`]: not given).
    pub address: Address,
}

/// What is wrong with a URI (or with a card that cannot be encoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UriError {
    /// The text does not start with `susurro:`.
    NotSusurro,
    /// The text is longer than [`MAX_URI`].
    TooLong,
    /// There is no `?` after the name: the fields are missing.
    NoFields,
    /// The name is empty.
    NameEmpty,
    /// The decoded name is longer than 64 bytes.
    NameTooLong,
    /// The name has a character that must be percent-encoded, a malformed
    /// or lower-case escape, or an escape of a character that must not be
    /// escaped.
    BadNameEncoding,
    /// The decoded name is not UTF-8 or has a control character.
    BadName,
    /// A field is not `<letter>=<value>` (e.g. `&&`, a missing `=`).
    MalformedField,
    /// A field name other than `k`, `a`, `c`.
    UnknownField,
    /// A field appears twice.
    DuplicateField,
    /// The fields are not in the order `k`, `a`, `c`.
    FieldOrder,
    /// There is no `k` field.
    MissingKey,
    /// The key is not 52 lower-case base32 characters of a 32-byte value.
    BadKey,
    /// The address is not `tcp:` or `onion:`.
    BadAddressKind,
    /// The host of a `tcp:` address is empty, too long or has a character
    /// outside the allowed set.
    BadHost,
    /// The port is missing, zero, above 65535, or has leading zeros.
    BadPort,
    /// The onion address is not 56 lower-case base32 characters of a v3
    /// address.
    BadOnion,
    /// The onion address's own checksum is wrong (a typo).
    OnionChecksum,
    /// There is no `c` field.
    MissingChecksum,
    /// The `c` field is not 8 lower-case hex digits.
    BadChecksum,
    /// The CRC does not match: the text was changed or mistyped.
    ChecksumMismatch,
    /// [`encode`]'s buffer is too small (use [`MAX_URI`]).
    BufferTooSmall,
}

impl UriError {
    /// The error in words.
    #[must_use]
    pub fn message(&self) -> &'static str {
        match self {
            Self::NotSusurro => "This is not a Susurro contact (it must start with \"susurro:\").",
            Self::TooLong => "This contact link is too long to be a Susurro contact.",
            Self::NoFields => "This contact link is cut short: the key is missing.",
            Self::NameEmpty => "This contact link has no name.",
            Self::NameTooLong => "The name in this contact link is too long (64 bytes at most).",
            Self::BadNameEncoding => "The name in this contact link is garbled.",
            Self::BadName => "The name in this contact link has characters that are not allowed.",
            Self::MalformedField => "This contact link is garbled.",
            Self::UnknownField => {
                "This contact link has a field this version does not know. Is the app up to date?"
            }
            Self::DuplicateField => "This contact link has a field twice.",
            Self::FieldOrder => "The fields of this contact link are out of order.",
            Self::MissingKey => "This contact link has no key.",
            Self::BadKey => "The key in this contact link is garbled.",
            Self::BadAddressKind => "The address in this contact link is of an unknown kind.",
            Self::BadHost => "The host name in this contact link is not valid.",
            Self::BadPort => "The port in this contact link is not valid.",
            Self::BadOnion => "The onion address in this contact link is garbled.",
            Self::OnionChecksum => "The onion address in this contact link has a typo.",
            Self::MissingChecksum => "This contact link is cut short: the checksum is missing.",
            Self::BadChecksum => "The checksum of this contact link is garbled.",
            Self::ChecksumMismatch => {
                "This contact link was changed or mistyped: its checksum does not match."
            }
            Self::BufferTooSmall => "The buffer is too small for the contact link.",
        }
    }
}

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for UriError {}

// ---- encode ------------------------------------------------------------------

/// Writes `card` as a URI into `out` (cleared first). `N` = [`MAX_URI`] is
/// always enough.
///
/// # Errors
/// The card is not valid ([`UriError::NameEmpty`], [`UriError::BadName`],
/// [`UriError::BadHost`], [`UriError::BadPort`]); or
/// [`UriError::BufferTooSmall`].
pub fn encode<const N: usize>(
    card: &ContactCard,
    out: &mut heapless::String<N>,
) -> Result<(), UriError> {
    out.clear();
    check_name(card.name.as_str())?;
    if let Address::Onion { key, .. } = &card.address
        && !susurro_crypto::onion_key_is_valid(key)
    {
        return Err(UriError::BadOnion);
    }
    let r = write_uri(card, out);
    if r.is_err() {
        out.clear();
    }
    r
}

fn write_uri<const N: usize>(
    card: &ContactCard,
    out: &mut heapless::String<N>,
) -> Result<(), UriError> {
    push(out, SCHEME)?;
    push(out, ":")?;
    for &b in card.name.as_str().as_bytes() {
        if is_unreserved(b) {
            push_byte(out, b)?;
        } else {
            push_byte(out, b'%')?;
            for d in susurro_crypto::hex::upper_byte(b) {
                push_byte(out, d)?;
            }
        }
    }
    push(out, "?k=")?;
    push_base32(out, &card.key)?;
    match &card.address {
        Address::None => {}
        Address::Tcp { host, port } => {
            check_host(host.as_str().as_bytes())?;
            check_port_value(*port)?;
            push(out, "&a=tcp:")?;
            push(out, host.as_str())?;
            push_port(out, *port)?;
        }
        Address::Onion { key, port } => {
            check_port_value(*port)?;
            push(out, "&a=onion:")?;
            let mut full = [0u8; 35];
            full[..32].copy_from_slice(key);
            full[32..34].copy_from_slice(&onion_checksum(key));
            full[34] = ONION_VERSION;
            push_base32(out, &full)?;
            push_port(out, *port)?;
        }
    }
    let crc = CRC32.checksum(out.as_bytes());
    push(out, "&c=")?;
    for i in (0..8).rev() {
        push_byte(out, b"0123456789abcdef"[((crc >> (4 * i)) & 0xf) as usize])?;
    }
    Ok(())
}

fn push<const N: usize>(out: &mut heapless::String<N>, s: &str) -> Result<(), UriError> {
    out.push_str(s).map_err(|_| UriError::BufferTooSmall)
}

fn push_byte<const N: usize>(out: &mut heapless::String<N>, b: u8) -> Result<(), UriError> {
    out.push(char::from(b))
        .map_err(|_| UriError::BufferTooSmall)
}

fn push_port<const N: usize>(out: &mut heapless::String<N>, port: u16) -> Result<(), UriError> {
    push_byte(out, b':')?;
    let mut digits = [0u8; 5];
    let mut n = port;
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        push_byte(out, d)?;
    }
    Ok(())
}

fn push_base32<const N: usize>(
    out: &mut heapless::String<N>,
    bytes: &[u8],
) -> Result<(), UriError> {
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            push_byte(out, B32[((acc >> bits) & 0x1f) as usize])?;
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        push_byte(out, B32[((acc << (5 - bits)) & 0x1f) as usize])?;
    }
    Ok(())
}

// ---- decode ------------------------------------------------------------------

/// Parses a URI.
///
/// # Errors
/// A [`UriError`] that says what is wrong; the first problem found from
/// left to right, except that the checksum is checked last, so a typo in a
/// field is reported as that field's error when the field cannot parse.
pub fn decode(s: &str) -> Result<ContactCard, UriError> {
    if s.len() > MAX_URI {
        return Err(UriError::TooLong);
    }
    let rest = match (s.get(..SCHEME.len()), s.get(SCHEME.len()..)) {
        (Some(scheme), Some(rest))
            if scheme.eq_ignore_ascii_case(SCHEME) && rest.starts_with(':') =>
        {
            &rest[1..]
        }
        _ => return Err(UriError::NotSusurro),
    };
    let (raw_name, query) = rest.split_once('?').ok_or(UriError::NoFields)?;
    let name = decode_name(raw_name)?;

    let mut key = None;
    let mut address = None;
    let mut crc = None;
    let mut last_order = 0u8;
    for field in query.split('&') {
        let (fname, value) = field.split_once('=').ok_or(UriError::MalformedField)?;
        let (taken, order) = match fname {
            "k" => (key.is_some(), 1),
            "a" => (address.is_some(), 2),
            "c" => (crc.is_some(), 3),
            "" => return Err(UriError::MalformedField),
            _ => return Err(UriError::UnknownField),
        };
        if taken {
            return Err(UriError::DuplicateField);
        }
        if order < last_order {
            return Err(UriError::FieldOrder);
        }
        last_order = order;
        match order {
            1 => key = Some(decode_key(value)?),
            2 => address = Some(decode_address(value)?),
            _ => crc = Some(decode_crc(value)?),
        }
    }
    let key = key.ok_or(UriError::MissingKey)?;
    let crc = crc.ok_or(UriError::MissingChecksum)?;
    // The order check makes `c` the last field, after `k`: the text ends in
    // `&c=` and 8 digits, and the CRC covers everything before, with the
    // scheme in lower case.
    let covered = rest.len().saturating_sub(CRC_FIELD);
    let mut digest = CRC32.digest();
    digest.update(SCHEME.as_bytes());
    digest.update(b":");
    digest.update(rest.as_bytes().get(..covered).unwrap_or_default());
    if digest.finalize() != crc {
        return Err(UriError::ChecksumMismatch);
    }
    Ok(ContactCard {
        name,
        key,
        address: address.unwrap_or_default(),
    })
}

fn decode_name(raw: &str) -> Result<Name, UriError> {
    let raw = raw.as_bytes();
    let mut buf = [0u8; caps::NAME];
    let mut n = 0;
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        let byte = if b == b'%' {
            let hi = raw.get(i + 1).and_then(|&h| upper_hex(h));
            let lo = raw.get(i + 2).and_then(|&l| upper_hex(l));
            let (Some(hi), Some(lo)) = (hi, lo) else {
                return Err(UriError::BadNameEncoding);
            };
            let v = (hi << 4) | lo;
            if is_unreserved(v) {
                return Err(UriError::BadNameEncoding);
            }
            i += 3;
            v
        } else if is_unreserved(b) {
            i += 1;
            b
        } else {
            return Err(UriError::BadNameEncoding);
        };
        *buf.get_mut(n).ok_or(UriError::NameTooLong)? = byte;
        n += 1;
    }
    let text = core::str::from_utf8(&buf[..n]).map_err(|_| UriError::BadName)?;
    check_name(text)?;
    Text::new(text).map_err(|_| UriError::NameTooLong)
}

fn check_name(name: &str) -> Result<(), UriError> {
    if name.is_empty() {
        return Err(UriError::NameEmpty);
    }
    if name.chars().any(char::is_control) {
        return Err(UriError::BadName);
    }
    Ok(())
}

fn decode_key(v: &str) -> Result<[u8; 32], UriError> {
    decode_base32::<32>(v, KEY_CHARS).ok_or(UriError::BadKey)
}

fn decode_address(v: &str) -> Result<Address, UriError> {
    if let Some(rest) = v.strip_prefix("tcp:") {
        let (host, port) = rest.rsplit_once(':').ok_or(UriError::BadPort)?;
        check_host(host.as_bytes())?;
        let port = parse_port(port)?;
        let host = Text::new(host).map_err(|_| UriError::BadHost)?;
        Ok(Address::Tcp { host, port })
    } else if let Some(rest) = v.strip_prefix("onion:") {
        let (onion, port) = rest.split_once(':').ok_or(UriError::BadPort)?;
        let key = decode_onion(onion)?;
        let port = parse_port(port)?;
        Ok(Address::Onion { key, port })
    } else {
        Err(UriError::BadAddressKind)
    }
}

/// The key of a 56-character v3 onion name (no `.onion`), checked:
/// version, checksum, and a point Tor would reach.
fn decode_onion(onion: &str) -> Result<[u8; 32], UriError> {
    let full = decode_base32::<35>(onion, ONION_CHARS).ok_or(UriError::BadOnion)?;
    if full[34] != ONION_VERSION {
        return Err(UriError::BadOnion);
    }
    let mut key = [0u8; 32];
    key.copy_from_slice(&full[..32]);
    if full[32..34] != onion_checksum(&key) {
        return Err(UriError::OnionChecksum);
    }
    // A correct checksum over a key that is no ed25519 point of the
    // prime-order subgroup names no onion service Tor would reach.
    if !susurro_crypto::onion_key_is_valid(&key) {
        return Err(UriError::BadOnion);
    }
    Ok(key)
}

/// The key of an onion address, `<56 base32>` or `<56 base32>.onion`
/// (lower case), checked as a card's address is; the inverse of
/// [`onion_name`].
///
/// # Errors
/// Not a valid v3 onion address.
pub fn parse_onion_name(s: &str) -> Result<[u8; 32], UriError> {
    decode_onion(s.strip_suffix(".onion").unwrap_or(s))
}

/// A host is a name or IPv4 literal of `A-Z a-z 0-9 - . _`, or an IPv6
/// literal in brackets of hex digits, `:` and `.`; 1 to 64 bytes.
fn check_host(h: &[u8]) -> Result<(), UriError> {
    if h.is_empty() || h.len() > caps::HOST {
        return Err(UriError::BadHost);
    }
    let ok = match h {
        [b'[', inner @ .., b']'] => {
            !inner.is_empty()
                && inner
                    .iter()
                    .all(|&c| c.is_ascii_hexdigit() || c == b':' || c == b'.')
        }
        _ => h
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_')),
    };
    if ok { Ok(()) } else { Err(UriError::BadHost) }
}

fn check_port_value(port: u16) -> Result<(), UriError> {
    if port == 0 {
        Err(UriError::BadPort)
    } else {
        Ok(())
    }
}

fn parse_port(s: &str) -> Result<u16, UriError> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 5 || b[0] == b'0' || !b.iter().all(u8::is_ascii_digit) {
        return Err(UriError::BadPort);
    }
    let n = b.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
    u16::try_from(n).map_err(|_| UriError::BadPort)
}

fn decode_crc(v: &str) -> Result<u32, UriError> {
    let b = v.as_bytes();
    if b.len() != 8 {
        return Err(UriError::BadChecksum);
    }
    b.iter().try_fold(0u32, |acc, &c| {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => return Err(UriError::BadChecksum),
        };
        Ok((acc << 4) | u32::from(d))
    })
}

/// Strict base32 (RFC 4648 alphabet, lower case, no padding): exactly
/// `chars` characters and the unused low bits zero.
fn decode_base32<const M: usize>(s: &str, chars: usize) -> Option<[u8; M]> {
    let s = s.as_bytes();
    if s.len() != chars {
        return None;
    }
    let mut out = [0u8; M];
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    let mut n = 0;
    for &c in s {
        let v = match c {
            b'a'..=b'z' => c - b'a',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        acc = (acc << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            *out.get_mut(n)? = (acc >> bits) as u8;
            n += 1;
        }
        acc &= (1 << bits) - 1;
    }
    (n == M && acc == 0).then_some(out)
}

fn upper_hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// RFC 3986 unreserved: the only bytes a name carries unescaped.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// The 56-character v3 onion address (without `.onion`) of an onion key.
#[must_use]
pub fn onion_name(key: &[u8; 32]) -> heapless::String<ONION_CHARS> {
    let mut full = [0u8; 35];
    full[..32].copy_from_slice(key);
    full[32..34].copy_from_slice(&onion_checksum(key));
    full[34] = ONION_VERSION;
    let mut s = heapless::String::new();
    // 56 characters into a 56-byte string: cannot fail.
    let _ = push_base32(&mut s, &full);
    s
}
