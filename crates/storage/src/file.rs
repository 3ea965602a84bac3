//! The host backend (`std`): one file, replaced atomically.
//!
//! A save writes `<path>.tmp`, `fsync`s it, renames it over `<path>` and
//! `fsync`s the directory. A crash at any point leaves either the old file
//! or the new one (POSIX rename is atomic); a left-over `.tmp` is ignored
//! and overwritten by the next save.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::persist::{IoError, Persist};

/// A store file (see the module docs).
#[derive(Debug)]
pub struct FileStore {
    path: PathBuf,
    tmp: PathBuf,
    reader: Option<File>,
    writer: Option<(BufWriter<File>, u32, u32)>,
}

impl FileStore {
    /// The store at `path` (need not exist yet; its directory must).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let mut tmp = path.clone().into_os_string();
        tmp.push(".tmp");
        Self {
            path,
            tmp: PathBuf::from(tmp),
            reader: None,
            writer: None,
        }
    }

    /// The store file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sync_dir(&self) -> Result<(), IoError> {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|_| IoError::Failed)
    }
}

impl Persist for FileStore {
    fn committed_age(&mut self) -> Option<core::time::Duration> {
        let written = fs::metadata(&self.path).and_then(|m| m.modified()).ok()?;
        Some(
            std::time::SystemTime::now()
                .duration_since(written)
                .unwrap_or_default(),
        )
    }

    fn committed_len(&mut self) -> Result<Option<u32>, IoError> {
        match fs::metadata(&self.path) {
            Ok(m) => u32::try_from(m.len())
                .map(Some)
                .map_err(|_| IoError::NoSpace),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(_) => Err(IoError::Failed),
        }
    }

    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), IoError> {
        if self.reader.is_none() {
            self.reader = Some(File::open(&self.path).map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    IoError::OutOfRange
                } else {
                    IoError::Failed
                }
            })?);
        }
        let f = self.reader.as_mut().ok_or(IoError::Failed)?;
        f.seek(SeekFrom::Start(u64::from(offset)))
            .map_err(|_| IoError::Failed)?;
        f.read_exact(buf).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                IoError::OutOfRange
            } else {
                IoError::Failed
            }
        })
    }

    fn begin(&mut self, len: u32) -> Result<(), IoError> {
        self.writer = None;
        let f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&self.tmp)
            .map_err(|_| IoError::Failed)?;
        // Readable and writable by its owner only, whatever the umask and
        // whatever an earlier leftover of the temporary file allowed.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(fs::Permissions::from_mode(0o600))
                .map_err(|_| IoError::Failed)?;
        }
        self.writer = Some((BufWriter::with_capacity(64 * 1024, f), len, 0));
        Ok(())
    }

    fn write(&mut self, data: &[u8]) -> Result<(), IoError> {
        let (w, len, written) = self.writer.as_mut().ok_or(IoError::Protocol)?;
        let n = u32::try_from(data.len()).map_err(|_| IoError::Protocol)?;
        let end = written.checked_add(n).ok_or(IoError::Protocol)?;
        if end > *len {
            return Err(IoError::Protocol);
        }
        w.write_all(data).map_err(|_| IoError::Failed)?;
        *written = end;
        Ok(())
    }

    fn commit(&mut self) -> Result<(), IoError> {
        let (w, len, written) = self.writer.take().ok_or(IoError::Protocol)?;
        if written != len {
            return Err(IoError::Protocol);
        }
        let f = w.into_inner().map_err(|_| IoError::Failed)?;
        f.sync_all().map_err(|_| IoError::Failed)?;
        drop(f);
        fs::rename(&self.tmp, &self.path).map_err(|_| IoError::Failed)?;
        self.reader = None;
        self.sync_dir()
    }

    fn erase_all(&mut self) -> Result<(), IoError> {
        self.writer = None;
        self.reader = None;
        let _ = fs::remove_file(&self.tmp);
        if let Some(len) = self.committed_len()? {
            // Best effort overwrite before unlinking (journaling file systems
            // and SSDs may keep old blocks; the key is encrypted anyway).
            if let Ok(mut f) = OpenOptions::new().write(true).open(&self.path) {
                let zeros = [0u8; 4096];
                let mut left = len as usize;
                while left > 0 {
                    let n = left.min(zeros.len());
                    if f.write_all(&zeros[..n]).is_err() {
                        break;
                    }
                    left -= n;
                }
                let _ = f.sync_all();
            }
            fs::remove_file(&self.path).map_err(|_| IoError::Failed)?;
        }
        self.sync_dir()
    }
}
