//! Session 2 frames: encrypted length, Serpent-OCB body and tag.
//!
//! ```text
//! frame     = L' (2) || C (len) || T (16)
//! L'        = LE16(len) XOR next 2 bytes of KeyStream(S2_LENGTH, k_len, "")
//! C, T      = Serpent-128-OCB3(k_aead, nonce = 0^4 || LE64(counter), aad = L', body)
//! body      = kind (1) || LE16(data_len) || data || zero padding
//! ```
//!
//! `len` is in `3..=MAX_BODY`. Nothing is in clear: the length is masked and
//! authenticated (as associated data), the kind, data length and padding are
//! encrypted. A frame that fails is an error and the connection ends.

use susurro_crypto::serpent_ocb::{NONCE_LEN, SerpentOcb, TAG_LEN};
use susurro_crypto::{KeyStream, Secret};

use crate::error::Error;
use crate::labels;

/// Largest payload of one frame.
pub const MAX_DATA: usize = 2048;
/// Largest encrypted body (kind, data length, data, padding).
pub const MAX_BODY: usize = 4096;
/// Bytes a frame adds besides data and padding: masked length, kind, data
/// length, tag.
pub const OVERHEAD: usize = 2 + 3 + TAG_LEN;

/// What a frame carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// Caller's first frame: the proof-of-work nonce (LE64).
    Hello = 1,
    /// Listener's first frame: empty.
    Welcome = 2,
    /// Payload bytes for the layer above.
    Data = 3,
    /// Cover traffic: no payload.
    Padding = 4,
    /// The sender switched its sending keys to the `Kt` keys after this frame.
    Rekey = 5,
    /// The sender closes the channel.
    Close = 6,
}

impl Kind {
    fn from_byte(b: u8) -> Result<Self, Error> {
        Ok(match b {
            1 => Self::Hello,
            2 => Self::Welcome,
            3 => Self::Data,
            4 => Self::Padding,
            5 => Self::Rekey,
            6 => Self::Close,
            _ => return Err(Error::Malformed),
        })
    }
}

/// Keys of one direction.
#[derive(Clone, Debug)]
pub struct DirectionKeys {
    /// Serpent-128-OCB3 key.
    pub aead: Secret<16>,
    /// Length-mask keystream key.
    pub len: Secret<32>,
}

fn nonce(counter: u64) -> [u8; NONCE_LEN] {
    let mut n = [0u8; NONCE_LEN];
    n[4..].copy_from_slice(&counter.to_le_bytes());
    n
}

/// What each half of a direction keeps: the AEAD, the length mask's
/// keystream and the frame counter (the nonce).
#[derive(Clone, Debug)]
struct Half {
    aead: SerpentOcb,
    len_ks: KeyStream,
    counter: u64,
}

impl Half {
    fn new(keys: &DirectionKeys) -> Self {
        Self {
            aead: SerpentOcb::new_128(keys.aead.expose()),
            len_ks: KeyStream::new(labels::S2_LENGTH, keys.len.expose(), &[]),
            counter: 0,
        }
    }

    fn next(&mut self) -> Result<(), Error> {
        self.counter = self.counter.checked_add(1).ok_or(Error::Crypto)?;
        Ok(())
    }
}

/// The sending half of a direction.
#[derive(Clone, Debug)]
pub struct Sealer(Half);

impl Sealer {
    /// A sealer starting at counter 0.
    #[must_use]
    pub fn new(keys: &DirectionKeys) -> Self {
        Self(Half::new(keys))
    }

    /// Appends one frame to `out`. `pad` is clipped so the body stays within
    /// [`MAX_BODY`].
    ///
    /// # Errors
    /// [`Error::TooLong`] above [`MAX_DATA`]; [`Error::Crypto`] if the
    /// counter is exhausted.
    pub fn seal(
        &mut self,
        kind: Kind,
        data: &[u8],
        pad: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        if data.len() > MAX_DATA {
            return Err(Error::TooLong);
        }
        let pad = pad.min(MAX_BODY - 3 - data.len());
        let body_len = 3 + data.len() + pad;
        let data_len = u16::try_from(data.len()).map_err(|_| Error::TooLong)?;
        let len = u16::try_from(body_len).map_err(|_| Error::TooLong)?;
        let mut header = len.to_le_bytes();
        self.0.len_ks.apply_keystream(&mut header);
        let start = out.len();
        out.extend_from_slice(&header);
        out.push(kind as u8);
        out.extend_from_slice(&data_len.to_le_bytes());
        out.extend_from_slice(data);
        out.resize(out.len() + pad, 0);
        let body = &mut out[start + 2..];
        let tag = self
            .0
            .aead
            .seal_in_place(&nonce(self.0.counter), &header, body)?;
        out.extend_from_slice(&tag);
        self.0.next()
    }
}

/// One decoded frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Its kind.
    pub kind: Kind,
    /// Its payload (empty for everything but `Hello` and `Data`).
    pub data: Vec<u8>,
}

/// The receiving half of a direction.
#[derive(Clone, Debug)]
pub struct Opener(Half);

impl Opener {
    /// An opener starting at counter 0.
    #[must_use]
    pub fn new(keys: &DirectionKeys) -> Self {
        Self(Half::new(keys))
    }

    /// Decodes the frame at the start of `buf`: `Ok(None)` when more bytes
    /// are needed, `Ok(Some((consumed, frame)))` otherwise. State advances
    /// only on success.
    ///
    /// # Errors
    /// [`Error::Malformed`] for a length out of range, bad padding or an
    /// unknown kind; [`Error::Authentication`] for a bad tag.
    pub fn open(&mut self, buf: &[u8]) -> Result<Option<(usize, Frame)>, Error> {
        let Some(masked) = buf.get(..2) else {
            return Ok(None);
        };
        let mut header = [0u8; 2];
        header.copy_from_slice(masked);
        let mut ks = self.0.len_ks.clone();
        ks.apply_keystream(&mut header);
        let len = usize::from(u16::from_le_bytes(header));
        if !(3..=MAX_BODY).contains(&len) {
            return Err(Error::Malformed);
        }
        let total = 2 + len + TAG_LEN;
        let Some(frame) = buf.get(..total) else {
            return Ok(None);
        };
        let mut body = frame[2..2 + len].to_vec();
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&frame[2 + len..]);
        self.0
            .aead
            .open_in_place(&nonce(self.0.counter), &frame[..2], &mut body, &tag)?;
        let kind = Kind::from_byte(body[0])?;
        let data_len = usize::from(u16::from_le_bytes([body[1], body[2]]));
        if data_len > len - 3 || data_len > MAX_DATA {
            return Err(Error::Malformed);
        }
        if body[3 + data_len..].iter().any(|&b| b != 0) {
            return Err(Error::Malformed);
        }
        self.0.len_ks = ks;
        self.0.next()?;
        Ok(Some((
            total,
            Frame {
                kind,
                data: body[3..3 + data_len].to_vec(),
            },
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(b: u8) -> DirectionKeys {
        DirectionKeys {
            aead: Secret::new([b; 16]),
            len: Secret::new([b.wrapping_add(1); 32]),
        }
    }

    #[test]
    fn round_trip_split_and_tamper() {
        let mut s = Sealer::new(&keys(1));
        let mut o = Opener::new(&keys(1));
        let mut wire = Vec::new();
        s.seal(Kind::Data, b"hello", 7, &mut wire).unwrap();
        s.seal(Kind::Padding, b"", 0, &mut wire).unwrap();
        assert_eq!(wire.len(), 2 * OVERHEAD + 5 + 7);
        // Byte by byte: nothing until complete.
        for i in 0..OVERHEAD + 12 - 1 {
            assert_eq!(o.open(&wire[..i]).unwrap(), None);
        }
        let (n, f) = o.open(&wire).unwrap().unwrap();
        assert_eq!(n, OVERHEAD + 12);
        assert_eq!(f.kind, Kind::Data);
        assert_eq!(f.data, b"hello");
        let (_, f) = o.open(&wire[n..]).unwrap().unwrap();
        assert_eq!(f.kind, Kind::Padding);

        let mut o = Opener::new(&keys(1));
        let mut bad = wire.clone();
        bad[5] ^= 1;
        assert_eq!(o.open(&bad), Err(Error::Authentication));
        let mut o = Opener::new(&keys(2));
        assert!(o.open(&wire).is_err());
    }

    #[test]
    fn too_long_refused() {
        let mut s = Sealer::new(&keys(1));
        let mut out = Vec::new();
        assert_eq!(
            s.seal(Kind::Data, &[0; MAX_DATA + 1], 0, &mut out),
            Err(Error::TooLong)
        );
        s.seal(Kind::Data, &[0; MAX_DATA], 10_000, &mut out)
            .unwrap();
        assert_eq!(out.len(), 2 + MAX_BODY + TAG_LEN);
    }
}
