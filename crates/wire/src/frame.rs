//! Frames for byte links (serial, pty, TCP, stdio).
//!
//! A frame before stuffing is
//!
//! ```text
//! type:u8  seq:u16le  ack:u16le  sack:u16le  payload[0..=MAX_PAYLOAD]  crc32c:u32le
//! ```
//!
//! The CRC-32C (Castagnoli, the `crc` crate's `CRC_32_ISCSI`) covers every
//! byte before it. The whole is COBS-stuffed (the `cobs` crate) and followed
//! by one `0x00` delimiter. A receiver may see any number of empty frames
//! (consecutive delimiters); they mean nothing and are skipped.
//!
//! [`FrameDecoder`] rebuilds frames from arbitrary chunks with a fixed
//! buffer: after garbage, a cut frame or an over-long run it drops bytes up
//! to the next delimiter, counts the error and carries on.

use core::fmt;

use crate::codec::{DecodeError, EncodeError, Field, Reader, Writer};
use crate::message::MAX_MESSAGE;

/// Largest payload of one frame. It travels in the link's hello, so it stays
/// 480 (the envelope budget before [`MAX_MESSAGE`] was computed), leaving
/// room for messages to grow; an envelope must always fit in one frame.
pub const MAX_PAYLOAD: usize = 480;
const _: () = assert!(
    MAX_MESSAGE <= MAX_PAYLOAD,
    "an envelope must fit in one frame"
);
/// Header bytes before the payload.
pub const HEADER_LEN: usize = 7;
/// CRC bytes after the payload.
pub const CRC_LEN: usize = 4;
/// Largest frame before stuffing.
pub const MAX_RAW: usize = HEADER_LEN + MAX_PAYLOAD + CRC_LEN;
/// Largest frame on the wire: stuffed, with its delimiter.
pub const MAX_ENCODED: usize = MAX_RAW + MAX_RAW / 254 + 2;

static CRC32C: crc::Crc<u32, crc::Table<16>> =
    crc::Crc::<u32, crc::Table<16>>::new(&crc::CRC_32_ISCSI);

/// CRC-32C of `bytes`.
pub fn crc32c(bytes: &[u8]) -> u32 {
    CRC32C.checksum(bytes)
}

crate::codec::wire_enum! {
    /// What a frame carries.
    pub enum FrameType {
        /// Link hello: versions, capabilities, instance ids ([`Hello`]).
        Hello = 1,
        /// A reliable message (an encoded envelope).
        Control = 2,
        /// Acknowledgement only, no payload.
        Ack = 3,
        /// An unreliable message (an encoded voice envelope).
        Voice = 4,
        /// Keepalive, no payload.
        Ping = 5,
    }
}

/// One decoded frame; the payload borrows the decoder's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// What it carries.
    pub ftype: FrameType,
    /// Control: sequence number. Voice: frame counter. Otherwise 0.
    pub seq: u16,
    /// Next control sequence number the sender expects from us.
    pub ack: u16,
    /// Bit i set: the sender also holds control frame `ack + 1 + i`.
    pub sack: u16,
    /// The payload.
    pub payload: &'a [u8],
}

impl<'a> Frame<'a> {
    /// Parses an unstuffed frame, checking length and CRC.
    pub fn parse(raw: &'a [u8]) -> Result<Self, FrameError> {
        if raw.len() < HEADER_LEN + CRC_LEN {
            return Err(FrameError::TooShort);
        }
        if raw.len() > MAX_RAW {
            return Err(FrameError::Oversize);
        }
        let (body, crc) = raw.split_at(raw.len() - CRC_LEN);
        let mut r = Reader::new(crc);
        let want = u32::decode(&mut r).map_err(|_| FrameError::TooShort)?;
        if crc32c(body) != want {
            return Err(FrameError::BadCrc);
        }
        let mut r = Reader::new(body);
        let t = r.u8().map_err(|_| FrameError::TooShort)?;
        let ftype = FrameType::from_code(t).ok_or(FrameError::UnknownType(t))?;
        let seq = u16::decode(&mut r).map_err(|_| FrameError::TooShort)?;
        let ack = u16::decode(&mut r).map_err(|_| FrameError::TooShort)?;
        let sack = u16::decode(&mut r).map_err(|_| FrameError::TooShort)?;
        let payload = r.take(r.remaining()).map_err(|_| FrameError::TooShort)?;
        Ok(Frame {
            ftype,
            seq,
            ack,
            sack,
            payload,
        })
    }

    /// Writes the unstuffed frame (header, payload, CRC) into `out`.
    pub fn write_raw(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        if self.payload.len() > MAX_PAYLOAD {
            return Err(EncodeError::BufferTooSmall);
        }
        let mut w = Writer::new(out);
        w.u8(self.ftype.code())?;
        self.seq.encode(&mut w)?;
        self.ack.encode(&mut w)?;
        self.sack.encode(&mut w)?;
        w.put(self.payload)?;
        let crc = crc32c(w.written());
        crc.encode(&mut w)?;
        Ok(w.position())
    }

    /// Writes the frame as it goes on the wire: stuffed, then `0x00`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        if self.payload.len() > MAX_PAYLOAD {
            return Err(EncodeError::BufferTooSmall);
        }
        let mut header = [0u8; HEADER_LEN];
        header[0] = self.ftype.code();
        header[1..3].copy_from_slice(&self.seq.to_le_bytes());
        header[3..5].copy_from_slice(&self.ack.to_le_bytes());
        header[5..7].copy_from_slice(&self.sack.to_le_bytes());
        let mut digest = CRC32C.digest();
        digest.update(&header);
        digest.update(self.payload);
        let crc = digest.finalize().to_le_bytes();
        let mut enc = cobs::CobsEncoder::new(out);
        for part in [&header[..], self.payload, &crc[..]] {
            enc.push(part).map_err(|_| EncodeError::BufferTooSmall)?;
        }
        let len = enc.finalize();
        let end = out.get_mut(len).ok_or(EncodeError::BufferTooSmall)?;
        *end = 0;
        Ok(len + 1)
    }
}

/// Why bytes between two delimiters were not a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// More than [`MAX_ENCODED`] bytes without a delimiter.
    Oversize,
    /// The COBS stuffing is invalid.
    BadStuffing,
    /// Shorter than a header and a CRC.
    TooShort,
    /// The CRC does not match.
    BadCrc,
    /// The frame type byte is unknown.
    UnknownType(u8),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Oversize => f.write_str("frame longer than the maximum"),
            Self::BadStuffing => f.write_str("invalid COBS stuffing"),
            Self::TooShort => f.write_str("frame shorter than header and CRC"),
            Self::BadCrc => f.write_str("CRC-32C mismatch"),
            Self::UnknownType(t) => write!(f, "unknown frame type {t:#04x}"),
        }
    }
}

#[cfg(feature = "std")]
extern crate std;
#[cfg(feature = "std")]
impl std::error::Error for FrameError {}

/// Rebuilds frames from a byte stream cut anywhere. Fixed memory, no heap,
/// no panics.
#[derive(Clone)]
pub struct FrameDecoder {
    buf: [u8; MAX_ENCODED],
    len: usize,
    discarding: bool,
}

impl fmt::Debug for FrameDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameDecoder")
            .field("buffered", &self.len)
            .field("discarding", &self.discarding)
            .finish()
    }
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameDecoder {
    /// An empty decoder.
    pub const fn new() -> Self {
        Self {
            buf: [0; MAX_ENCODED],
            len: 0,
            discarding: false,
        }
    }

    /// Forgets any partial frame (after a reconnect).
    pub fn reset(&mut self) {
        self.len = 0;
        self.discarding = false;
    }

    /// Feeds a chunk; calls `on_frame` once per complete frame or error, in
    /// stream order.
    pub fn feed<F>(&mut self, mut chunk: &[u8], mut on_frame: F)
    where
        F: FnMut(Result<Frame<'_>, FrameError>),
    {
        while !chunk.is_empty() {
            let (part, rest, delimited) = match chunk.iter().position(|&b| b == 0) {
                Some(i) => (&chunk[..i], &chunk[i + 1..], true),
                None => (chunk, &[][..], false),
            };
            chunk = rest;
            if !self.discarding {
                match self.buf.get_mut(self.len..self.len + part.len()) {
                    Some(dst) => {
                        dst.copy_from_slice(part);
                        self.len += part.len();
                    }
                    None => {
                        self.discarding = true;
                        self.len = 0;
                        on_frame(Err(FrameError::Oversize));
                    }
                }
            }
            if !delimited {
                continue;
            }
            if self.discarding {
                self.discarding = false;
                continue;
            }
            let n = core::mem::take(&mut self.len);
            if n == 0 {
                continue; // empty frame: a spare delimiter
            }
            let stuffed = &mut self.buf[..n];
            match cobs::decode_in_place_report(stuffed) {
                Ok(rep) => match self.buf.get(..rep.frame_size()) {
                    Some(raw) => on_frame(Frame::parse(raw)),
                    None => on_frame(Err(FrameError::BadStuffing)),
                },
                Err(_) => on_frame(Err(FrameError::BadStuffing)),
            }
        }
    }
}

/// Protocol versions this build speaks.
pub const PROTOCOL_VERSION: u8 = 1;
/// Oldest protocol version this build accepts.
pub const PROTOCOL_MIN: u8 = 1;
const HELLO_MAGIC: [u8; 4] = *b"SSRW";

/// Capability bits announced in [`Hello`].
pub mod caps {
    /// The sender can carry voice frames.
    pub const VOICE: u32 = 0x0000_0001;
    /// Selective acknowledgements are understood.
    pub const SACK: u32 = 0x0000_0002;
}

/// The payload of a [`FrameType::Hello`] frame.
///
/// ```text
/// magic "SSRW"  min_version:u8  max_version:u8  flags:u8  caps:u32le
/// instance:u32le  peer_instance:u32le  tx_base:u16le  max_payload:u16le
/// ```
///
/// `flags` bit 0 (`up`) says the sender has finished the handshake; a hello
/// without it asks for a hello in reply. Other flag bits must be zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hello {
    /// Oldest version the sender speaks.
    pub min_version: u8,
    /// Newest version the sender speaks.
    pub max_version: u8,
    /// The sender has finished the handshake (no reply needed).
    pub up: bool,
    /// Capability bits.
    pub caps: u32,
    /// Random id of the sender's link instance (new on every start).
    pub instance: u32,
    /// The receiver's instance as last seen by the sender (0: none yet).
    pub peer_instance: u32,
    /// The first control sequence number the sender has not had acked.
    pub tx_base: u16,
    /// Largest payload the sender accepts.
    pub max_payload: u16,
}

/// Encoded size of a [`Hello`].
pub const HELLO_LEN: usize = 23;

impl Hello {
    /// Encodes into `out`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        let mut w = Writer::new(out);
        w.put(&HELLO_MAGIC)?;
        self.min_version.encode(&mut w)?;
        self.max_version.encode(&mut w)?;
        u8::from(self.up).encode(&mut w)?;
        self.caps.encode(&mut w)?;
        self.instance.encode(&mut w)?;
        self.peer_instance.encode(&mut w)?;
        self.tx_base.encode(&mut w)?;
        self.max_payload.encode(&mut w)?;
        Ok(w.position())
    }

    /// Decodes exactly one hello.
    pub fn decode(b: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(b);
        let magic: [u8; 4] = r.array()?;
        if magic != HELLO_MAGIC {
            return Err(DecodeError::BadValue {
                what: "hello magic",
                value: magic[0],
            });
        }
        let h = Hello {
            min_version: Field::decode(&mut r)?,
            max_version: Field::decode(&mut r)?,
            up: match r.u8()? {
                0 => false,
                1 => true,
                value => {
                    return Err(DecodeError::BadValue {
                        what: "hello flags",
                        value,
                    });
                }
            },
            caps: Field::decode(&mut r)?,
            instance: Field::decode(&mut r)?,
            peer_instance: Field::decode(&mut r)?,
            tx_base: Field::decode(&mut r)?,
            max_payload: Field::decode(&mut r)?,
        };
        r.finish()?;
        Ok(h)
    }

    /// The newest version both sides speak, if any.
    pub fn common_version(&self, min: u8, max: u8) -> Option<u8> {
        let hi = self.max_version.min(max);
        let lo = self.min_version.max(min);
        (hi >= lo).then_some(hi)
    }
}
