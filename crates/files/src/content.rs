//! What the bytes are: chunks, their encryption and the content hash.

use susurro_crypto::chacha::{ChaCha20Stream, NONCE_LEN};
use susurro_crypto::h::PartInPieces;
use susurro_crypto::{H, Label, hash};

use crate::config::{CHUNK, MAX_FILE_SIZE};
use crate::error::FilesError;

/// The label of the content hash: `hash = H(CONTENT_LABEL, [content])`, 32
/// bytes, the whole plaintext as one framed part.
pub const CONTENT_LABEL: Label = Label::new(b"susurro/files/content/v1");

/// The chunk cipher's nonce: twelve zero bytes (each file has its own
/// key, used for that file only).
const NONCE: [u8; NONCE_LEN] = [0; NONCE_LEN];

/// How many chunks a file of `size` bytes has: `ceil(size / 256)`, 0 for
/// an empty file. `None` above [`MAX_FILE_SIZE`].
#[must_use]
pub fn chunk_count(size: u64) -> Option<u32> {
    if size > MAX_FILE_SIZE {
        return None;
    }
    u32::try_from(size.div_ceil(CHUNK as u64)).ok()
}

/// The length of chunk `index` of a file of `size` bytes: 256, or what is
/// left for the last one. `None` past the last chunk (or above
/// [`MAX_FILE_SIZE`]).
#[must_use]
pub fn chunk_len(size: u64, index: u32) -> Option<usize> {
    let chunks = chunk_count(size)?;
    if index >= chunks {
        return None;
    }
    let start = u64::from(index) * CHUNK as u64;
    usize::try_from((size - start).min(CHUNK as u64)).ok()
}

/// Encrypts (or decrypts: it is an XOR) chunk `index` in place: the bytes
/// XORed with ChaCha20's keystream under the file key and a zero nonce,
/// from byte offset `256 × index`.
///
/// # Errors
/// [`FilesError::TooBig`] past the keystream's end ([`MAX_FILE_SIZE`]).
pub fn crypt_chunk(key: &[u8; 32], index: u32, buf: &mut [u8]) -> Result<(), FilesError> {
    crypt_at(key, u64::from(index) * CHUNK as u64, buf)
}

/// XORs the keystream from byte `offset` into `buf`.
pub(crate) fn crypt_at(key: &[u8; 32], offset: u64, buf: &mut [u8]) -> Result<(), FilesError> {
    let end = offset.saturating_add(buf.len() as u64);
    let too_big = || FilesError::TooBig {
        size: end,
        max: MAX_FILE_SIZE,
    };
    let mut s = ChaCha20Stream::new(key, &NONCE);
    s.seek(offset).map_err(|_| too_big())?;
    s.apply_keystream(buf).map_err(|_| too_big())
}

/// The content hash of a whole plaintext held in memory:
/// `hash::<32>(CONTENT_LABEL, &[content])`.
#[must_use]
pub fn content_hash(content: &[u8]) -> [u8; 32] {
    hash::<32>(CONTENT_LABEL, &[content])
}

/// The content hash computed as the file streams by: the same value as
/// [`content_hash`] over the concatenation of the pieces, which must add
/// up to the size given to [`ContentHasher::new`].
#[derive(Debug)]
pub struct ContentHasher(PartInPieces);

impl ContentHasher {
    /// A hasher for content of `size` bytes.
    #[must_use]
    pub fn new(size: u64) -> Self {
        Self(H::new(CONTENT_LABEL).absorb_part_in_pieces(size))
    }

    /// Absorbs the next piece.
    ///
    /// # Errors
    /// [`FilesError::Internal`] past the announced size (the caller checks
    /// its sizes; a file that grew is [`FilesError::Changed`] there).
    pub fn update(&mut self, piece: &[u8]) -> Result<(), FilesError> {
        self.0
            .absorb(piece)
            .map(|_| ())
            .map_err(|_| FilesError::Internal("more content than announced"))
    }

    /// Bytes still expected.
    #[must_use]
    pub fn remaining(&self) -> u64 {
        self.0.remaining()
    }

    /// The 32-byte hash.
    ///
    /// # Errors
    /// [`FilesError::Internal`] if fewer bytes than announced came.
    pub fn finish(self) -> Result<[u8; 32], FilesError> {
        self.0
            .end()
            .map(H::finalize::<32>)
            .map_err(|_| FilesError::Internal("less content than announced"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_arithmetic() {
        assert_eq!(chunk_count(0), Some(0));
        assert_eq!(chunk_count(1), Some(1));
        assert_eq!(chunk_count(256), Some(1));
        assert_eq!(chunk_count(257), Some(2));
        assert_eq!(chunk_count(MAX_FILE_SIZE), Some(1 << 30));
        assert_eq!(chunk_count(MAX_FILE_SIZE + 1), None);
        assert_eq!(chunk_len(0, 0), None);
        assert_eq!(chunk_len(600, 0), Some(256));
        assert_eq!(chunk_len(600, 2), Some(88));
        assert_eq!(chunk_len(600, 3), None);
        assert_eq!(chunk_len(512, 1), Some(256));
    }

    #[test]
    fn the_last_chunk_of_the_largest_file_encrypts() {
        // The largest file's last chunk is 192 bytes and ends with the
        // keystream; one byte more does not encrypt.
        let key = [9; 32];
        let last = (1u32 << 30) - 1;
        assert_eq!(chunk_len(MAX_FILE_SIZE, last), Some(192));
        let mut buf = [0u8; 192];
        crypt_chunk(&key, last, &mut buf).unwrap();
        assert_ne!(buf, [0u8; 192]);
        let mut past = [0u8; 193];
        assert!(crypt_chunk(&key, last, &mut past).is_err());
    }

    #[test]
    fn chunks_are_the_stream_cut_at_256_bytes() {
        let key = [3; 32];
        let plain: Vec<u8> = (0..700u32).map(|i| (i * 13) as u8).collect();
        let mut whole = plain.clone();
        crypt_at(&key, 0, &mut whole).unwrap();
        for (i, c) in plain.chunks(CHUNK).enumerate() {
            let mut b = c.to_vec();
            crypt_chunk(&key, i as u32, &mut b).unwrap();
            assert_eq!(b, whole[i * CHUNK..i * CHUNK + c.len()]);
            crypt_chunk(&key, i as u32, &mut b).unwrap();
            assert_eq!(b, c);
        }
    }

    #[test]
    fn streaming_hash_equals_one_shot() {
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 7) as u8).collect();
        for len in [0usize, 1, 255, 256, 257, 5000] {
            let mut h = ContentHasher::new(len as u64);
            for piece in data[..len].chunks(333) {
                h.update(piece).unwrap();
            }
            assert_eq!(h.finish().unwrap(), content_hash(&data[..len]));
        }
        let mut h = ContentHasher::new(2);
        assert!(h.update(b"abc").is_err());
        h.update(b"a").unwrap();
        assert!(h.finish().is_err());
    }
}
