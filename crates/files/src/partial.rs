//! [`PartialFile`]: the chunks of an incoming transfer, on disk.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use susurro_crypto::{Secret, ct_eq};

use crate::config::{CHUNK, MAX_FILE_SIZE, SYNC_EVERY};
use crate::content::{ContentHasher, chunk_count, chunk_len, crypt_at};
use crate::error::FilesError;
use crate::name::place_without_overwrite;
use crate::store::{create_new_options, create_options, random, sync_dir};

/// Bytes decrypted and written at a time when saving.
const BLOCK: usize = 64 * 1024;

/// The chunks of one incoming transfer as received (encrypted under the
/// file key), appended in order.
///
/// It is `fsync`ed at least every 1 MiB appended and on
/// [`close`](Self::close). Opened again after a crash, it is cut back to
/// a whole number of chunks (a torn last chunk is asked for again):
/// `next = length / 256`, or every chunk when the length is the file's
/// size (the last chunk may be short).
#[derive(Debug)]
pub struct PartialFile {
    file: File,
    path: PathBuf,
    size: u64,
    chunks: u32,
    next: u32,
    unsynced: u64,
}

impl PartialFile {
    /// Creates (or empties) the partial file at `path` (mode 0600) for a
    /// file of `size` bytes.
    ///
    /// # Errors
    /// [`FilesError::TooBig`] above [`MAX_FILE_SIZE`];
    /// [`FilesError::DiskFull`], [`FilesError::Io`].
    pub fn create(path: &Path, size: u64) -> Result<Self, FilesError> {
        let chunks = chunks_of(size)?;
        let file = create_options()
            .open(path)
            .map_err(|e| FilesError::io(path, e))?;
        file.sync_all().map_err(|e| FilesError::io(path, e))?;
        if let Some(dir) = path.parent() {
            sync_dir(dir)?;
        }
        Ok(Self {
            file,
            path: path.to_owned(),
            size,
            chunks,
            next: 0,
            unsynced: 0,
        })
    }

    /// Opens the partial file at `path` for a file of `size` bytes, cut
    /// back to its whole chunks.
    ///
    /// # Errors
    /// [`FilesError::NotFound`] if it does not exist; as
    /// [`create`](Self::create).
    pub fn open(path: &Path, size: u64) -> Result<Self, FilesError> {
        let chunks = chunks_of(size)?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => FilesError::NotFound {
                    path: path.to_owned(),
                },
                _ => FilesError::io(path, e),
            })?;
        let len = file.metadata().map_err(|e| FilesError::io(path, e))?.len();
        let next = if len >= size {
            chunks
        } else {
            u32::try_from(len / CHUNK as u64).unwrap_or(chunks)
        };
        let keep = (u64::from(next) * CHUNK as u64).min(size);
        if keep != len {
            file.set_len(keep)
                .and_then(|()| file.sync_all())
                .map_err(|e| FilesError::io(path, e))?;
        }
        Ok(Self {
            file,
            path: path.to_owned(),
            size,
            chunks,
            next,
            unsynced: 0,
        })
    }

    /// Chunks held.
    #[must_use]
    pub fn next(&self) -> u32 {
        self.next
    }

    /// The file's size.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Where it is.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends chunk `next` (encrypted, as received).
    ///
    /// # Errors
    /// [`FilesError::Internal`] for data that is not chunk `next`'s length
    /// (the receiver checks lengths first); [`FilesError::DiskFull`],
    /// [`FilesError::Io`].
    pub fn append(&mut self, data: &[u8]) -> Result<(), FilesError> {
        if chunk_len(self.size, self.next) != Some(data.len()) {
            return Err(FilesError::Internal("a chunk of the wrong length"));
        }
        let at = u64::from(self.next) * CHUNK as u64;
        self.file
            .seek(SeekFrom::Start(at))
            .and_then(|_| self.file.write_all(data))
            .map_err(|e| FilesError::io(&self.path, e))?;
        self.next += 1;
        self.unsynced += data.len() as u64;
        if self.unsynced >= SYNC_EVERY {
            self.sync()?;
        }
        Ok(())
    }

    /// `fsync`s what was appended.
    ///
    /// # Errors
    /// [`FilesError::Io`].
    pub fn sync(&mut self) -> Result<(), FilesError> {
        self.file
            .sync_data()
            .map_err(|e| FilesError::io(&self.path, e))?;
        self.unsynced = 0;
        Ok(())
    }

    /// `fsync`s and closes it (it stays on disk, to resume).
    ///
    /// # Errors
    /// [`FilesError::Io`].
    pub fn close(mut self) -> Result<(), FilesError> {
        self.sync()
    }

    /// With every chunk held: decrypts the data into a temporary file in
    /// `dest` (created if needed) while hashing it, compares the hash with
    /// `hash` in constant time, and
    /// - if equal, gives the file its name in `dest` without overwriting
    ///   anything ([`place_without_overwrite`] of `name`, which should
    ///   come from [`sanitize_name`](crate::sanitize_name)), removes the
    ///   partial file and returns the final path;
    /// - if not, removes the temporary and the partial file and returns
    ///   `None`.
    ///
    /// # Errors
    /// [`FilesError::Internal`] if chunks are missing; I/O errors (the
    /// partial file is kept then, the temporary removed).
    pub fn save(
        mut self,
        key: &Secret<32>,
        hash: &[u8; 32],
        dest: &Path,
        name: &str,
    ) -> Result<Option<PathBuf>, FilesError> {
        if self.next != self.chunks {
            return Err(FilesError::Internal("saving a file with chunks missing"));
        }
        fs::create_dir_all(dest).map_err(|e| FilesError::io(dest, e))?;
        let stem: [u8; 8] = random()?;
        let temp = dest.join(format!(
            ".susurro-{}.tmp",
            susurro_crypto::hex::Lower(&stem)
        ));
        let mut out = create_new_options()
            .open(&temp)
            .map_err(|e| FilesError::io(&temp, e))?;
        let result = self.decrypt_into(&mut out, &temp, key);
        let result = result.and_then(|got| {
            if ct_eq(&got, hash) {
                out.sync_all().map_err(|e| FilesError::io(&temp, e))?;
                drop(out);
                place_without_overwrite(&temp, dest, name).map(Some)
            } else {
                drop(out);
                Ok(None)
            }
        });
        let _ = fs::remove_file(&temp);
        let saved = result?;
        let PartialFile { file, path, .. } = self;
        drop(file);
        fs::remove_file(&path).map_err(|e| FilesError::io(&path, e))?;
        if let Some(dir) = path.parent() {
            sync_dir(dir)?;
        }
        Ok(saved)
    }

    /// Decrypts the whole partial file into `out`; returns the content
    /// hash.
    fn decrypt_into(
        &mut self,
        out: &mut File,
        out_path: &Path,
        key: &Secret<32>,
    ) -> Result<[u8; 32], FilesError> {
        let path = self.path.clone();
        let io_in = |e| FilesError::io(&path, e);
        self.file.seek(SeekFrom::Start(0)).map_err(io_in)?;
        let mut hasher = ContentHasher::new(self.size);
        let mut buf = zeroize::Zeroizing::new(vec![0u8; BLOCK]);
        let mut offset = 0u64;
        while offset < self.size {
            let n = usize::try_from((self.size - offset).min(BLOCK as u64))
                .map_err(|_| FilesError::Internal("block size"))?;
            let b = buf.get_mut(..n).ok_or(FilesError::Internal("block size"))?;
            self.file.read_exact(b).map_err(io_in)?;
            crypt_at(key.expose(), offset, b)?;
            hasher.update(b)?;
            out.write_all(b).map_err(|e| FilesError::io(out_path, e))?;
            offset += n as u64;
        }
        hasher.finish()
    }
}

fn chunks_of(size: u64) -> Result<u32, FilesError> {
    chunk_count(size).ok_or(FilesError::TooBig {
        size,
        max: MAX_FILE_SIZE,
    })
}
