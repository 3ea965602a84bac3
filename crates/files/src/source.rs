//! The file being sent: [`SourceFile`] (checked and hashed) and
//! [`FileSource`] (read as encrypted chunks).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use susurro_crypto::Secret;

use crate::config::{CHUNK, MAX_FILE_SIZE};
use crate::content::{ContentHasher, chunk_len, crypt_chunk};
use crate::error::FilesError;
use crate::name::sanitize_name;
use crate::sender::ChunkSource;

/// Bytes read at a time when hashing.
const BLOCK: usize = 64 * 1024;

/// A regular file to send: its canonical path, size, content hash and
/// (sanitised) name. [`SourceFile::open`] reads the whole file once to
/// hash it, which takes a while for a big file: a front end may call it on
/// a worker thread and pass the result to
/// [`Transfers::offer`](crate::Transfers::offer).
#[derive(Debug, Clone)]
pub struct SourceFile {
    path: PathBuf,
    size: u64,
    hash: [u8; 32],
    name: String,
}

fn open_error(path: &Path, e: io::Error) -> FilesError {
    if e.kind() == io::ErrorKind::NotFound {
        FilesError::NotFound {
            path: path.to_owned(),
        }
    } else {
        FilesError::io(path, e)
    }
}

impl SourceFile {
    /// Checks that `path` is a regular file that can be sent, and hashes
    /// it.
    ///
    /// # Errors
    /// [`FilesError::NotFound`], [`FilesError::NotAFile`],
    /// [`FilesError::TooBig`] (above [`MAX_FILE_SIZE`]),
    /// [`FilesError::Changed`] if its size changed while it was read,
    /// [`FilesError::Io`].
    pub fn open(path: &Path) -> Result<Self, FilesError> {
        let canonical = path.canonicalize().map_err(|e| open_error(path, e))?;
        let mut file = File::open(&canonical).map_err(|e| open_error(path, e))?;
        let meta = file.metadata().map_err(|e| FilesError::io(path, e))?;
        if !meta.is_file() {
            return Err(FilesError::NotAFile {
                path: path.to_owned(),
            });
        }
        let size = meta.len();
        if size > MAX_FILE_SIZE {
            return Err(FilesError::TooBig {
                size,
                max: MAX_FILE_SIZE,
            });
        }
        let changed = || FilesError::Changed {
            path: path.to_owned(),
        };
        let mut hasher = ContentHasher::new(size);
        let mut buf = vec![0u8; BLOCK];
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(FilesError::io(path, e)),
            };
            if n as u64 > hasher.remaining() {
                return Err(changed());
            }
            hasher.update(buf.get(..n).ok_or(FilesError::Internal("read length"))?)?;
        }
        if hasher.remaining() != 0 {
            return Err(changed());
        }
        let name = canonical
            .file_name()
            .map(|n| sanitize_name(&n.to_string_lossy()))
            .unwrap_or_else(|| sanitize_name(""));
        Ok(Self {
            path: canonical,
            size,
            hash: hasher.finish()?,
            name,
        })
    }

    /// The canonical path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The size in bytes.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The content hash.
    #[must_use]
    pub fn hash(&self) -> &[u8; 32] {
        &self.hash
    }

    /// The name to offer (sanitised).
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The file being sent, open, read as chunks encrypted under the file
/// key.
#[derive(Debug)]
pub struct FileSource {
    file: File,
    path: PathBuf,
    size: u64,
    key: Secret<32>,
}

impl FileSource {
    /// Opens `path`, which must still be `size` bytes long, to send it
    /// under `key`.
    ///
    /// # Errors
    /// [`FilesError::NotFound`], [`FilesError::Changed`] if its size is no
    /// longer `size`, [`FilesError::Io`].
    pub fn open(path: &Path, size: u64, key: Secret<32>) -> Result<Self, FilesError> {
        let file = File::open(path).map_err(|e| open_error(path, e))?;
        let len = file.metadata().map_err(|e| FilesError::io(path, e))?.len();
        if len != size {
            return Err(FilesError::Changed {
                path: path.to_owned(),
            });
        }
        Ok(Self {
            file,
            path: path.to_owned(),
            size,
            key,
        })
    }
}

impl ChunkSource for FileSource {
    fn read_chunk(&mut self, index: u32, out: &mut [u8; CHUNK]) -> Result<usize, FilesError> {
        let changed = || FilesError::Changed {
            path: self.path.clone(),
        };
        let len = chunk_len(self.size, index).ok_or_else(changed)?;
        let buf = out
            .get_mut(..len)
            .ok_or(FilesError::Internal("chunk length"))?;
        self.file
            .seek(SeekFrom::Start(u64::from(index) * CHUNK as u64))
            .and_then(|_| self.file.read_exact(buf))
            .map_err(|e| match e.kind() {
                io::ErrorKind::UnexpectedEof => changed(),
                _ => FilesError::io(&self.path, e),
            })?;
        crypt_chunk(self.key.expose(), index, buf)?;
        Ok(len)
    }
}
