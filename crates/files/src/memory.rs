//! A source and a sink in memory: for tests, simulations and small files.

use susurro_crypto::{Secret, ct_eq};
use zeroize::Zeroizing;

use crate::config::CHUNK;
use crate::content::{chunk_count, chunk_len, content_hash, crypt_at, crypt_chunk};
use crate::error::FilesError;
use crate::receiver::ChunkSink;
use crate::sender::ChunkSource;

/// A file's plaintext in memory, read as encrypted chunks.
#[derive(Debug)]
pub struct MemorySource {
    plaintext: Zeroizing<Vec<u8>>,
    key: Secret<32>,
}

impl MemorySource {
    /// `plaintext` encrypted under `key`.
    #[must_use]
    pub fn new(plaintext: Vec<u8>, key: Secret<32>) -> Self {
        Self {
            plaintext: Zeroizing::new(plaintext),
            key,
        }
    }

    /// The content hash of the plaintext.
    #[must_use]
    pub fn hash(&self) -> [u8; 32] {
        content_hash(&self.plaintext)
    }

    /// The plaintext's length.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.plaintext.len() as u64
    }
}

impl ChunkSource for MemorySource {
    fn read_chunk(&mut self, index: u32, out: &mut [u8; CHUNK]) -> Result<usize, FilesError> {
        let len = chunk_len(self.size(), index).ok_or(FilesError::Internal("no such chunk"))?;
        let start = index as usize * CHUNK;
        let (buf, src) = out
            .get_mut(..len)
            .zip(self.plaintext.get(start..start + len))
            .ok_or(FilesError::Internal("no such chunk"))?;
        buf.copy_from_slice(src);
        crypt_chunk(self.key.expose(), index, buf)?;
        Ok(len)
    }
}

/// Received chunks in memory; on completion the plaintext, if its hash
/// matched.
#[derive(Debug)]
pub struct MemorySink {
    size: u64,
    hash: [u8; 32],
    key: Secret<32>,
    ciphertext: Vec<u8>,
    saved: Option<Zeroizing<Vec<u8>>>,
}

impl MemorySink {
    /// A sink for the file of `size` bytes with content hash `hash` under
    /// `key`, holding `ciphertext` already (a whole number of chunks, or
    /// the whole file).
    #[must_use]
    pub fn new(size: u64, hash: [u8; 32], key: Secret<32>, ciphertext: Vec<u8>) -> Self {
        Self {
            size,
            hash,
            key,
            ciphertext,
            saved: None,
        }
    }

    /// The chunks received, encrypted, in order.
    #[must_use]
    pub fn ciphertext(&self) -> &[u8] {
        &self.ciphertext
    }

    /// The plaintext, once complete and its hash matched.
    #[must_use]
    pub fn saved(&self) -> Option<&[u8]> {
        self.saved.as_ref().map(|s| s.as_slice())
    }
}

impl ChunkSink for MemorySink {
    fn held(&self) -> u32 {
        if self.ciphertext.len() as u64 >= self.size {
            chunk_count(self.size).unwrap_or(0)
        } else {
            u32::try_from(self.ciphertext.len() / CHUNK).unwrap_or(u32::MAX)
        }
    }

    fn append(&mut self, data: &[u8]) -> Result<(), FilesError> {
        self.ciphertext.extend_from_slice(data);
        Ok(())
    }

    fn complete(&mut self) -> Result<bool, FilesError> {
        let mut plain = Zeroizing::new(self.ciphertext.clone());
        crypt_at(self.key.expose(), 0, &mut plain)?;
        if ct_eq(&content_hash(&plain), &self.hash) {
            self.saved = Some(plain);
            Ok(true)
        } else {
            self.ciphertext.clear();
            Ok(false)
        }
    }
}
