//! Persistence behind a trait: one committed image, replaced atomically.
//!
//! A [`Persist`] backend holds at most one *committed* image (the store
//! file's bytes). A save streams a new image in with [`Persist::begin`] /
//! [`Persist::write`] and makes it current with [`Persist::commit`], which
//! is the single atomic switch point: before it returns `Ok`, a crash leaves
//! the previous image; after, the new one. While a new image is being
//! written, the committed one stays readable through [`Persist::read`].
//!
//! Backends: [`crate::flash::FlashStore`] (two slots with sequence numbers
//! over any [`crate::flash::Flash`], e.g. the MCU's internal flash or the
//! fault-injecting [`crate::memflash::MemFlash`]) and, with `std`,
//! [`crate::file::FileStore`] (write new, fsync, rename, fsync directory)
//! and [`MemoryPersist`] (an image in a `Vec`, for tests, benches and
//! tools). A `&mut` to a backend is a backend too.

/// Why a backend failed. Carries no secret data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IoError {
    /// The medium refused a read, write, erase or sync.
    Failed,
    /// The image does not fit the medium.
    NoSpace,
    /// A read past the end of the committed image, or no image.
    OutOfRange,
    /// `write` or `commit` without a matching `begin`, or a length mismatch.
    Protocol,
}

impl core::fmt::Display for IoError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            IoError::Failed => "storage medium failed",
            IoError::NoSpace => "image does not fit the medium",
            IoError::OutOfRange => "read outside the committed image",
            IoError::Protocol => "backend used out of order",
        })
    }
}

impl core::error::Error for IoError {}

/// An atomically replaced image store (see the module docs).
pub trait Persist {
    /// Length of the committed image, `None` if there is none.
    ///
    /// # Errors
    /// [`IoError::Failed`] if the medium cannot be read.
    fn committed_len(&mut self) -> Result<Option<u32>, IoError>;

    /// Reads `buf.len()` bytes of the committed image at `offset`.
    ///
    /// # Errors
    /// [`IoError::OutOfRange`] outside the image; [`IoError::Failed`].
    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), IoError>;

    /// Starts a new image of exactly `len` bytes (abandoning any unfinished
    /// one). The committed image stays readable.
    ///
    /// # Errors
    /// [`IoError::NoSpace`] if `len` cannot fit; [`IoError::Failed`].
    fn begin(&mut self, len: u32) -> Result<(), IoError>;

    /// Appends to the image started by [`Persist::begin`].
    ///
    /// # Errors
    /// [`IoError::Protocol`] past the announced length; [`IoError::Failed`].
    fn write(&mut self, data: &[u8]) -> Result<(), IoError>;

    /// Makes the new image the committed one, atomically and durably.
    ///
    /// # Errors
    /// [`IoError::Protocol`] if fewer bytes than announced were written;
    /// [`IoError::Failed`]. On error the previous image is still committed
    /// (unless the failure hit after the atomic switch, in which case the new
    /// one is; either is a complete image).
    fn commit(&mut self) -> Result<(), IoError>;

    /// Erases every copy of the image (token wipe, reset).
    ///
    /// # Errors
    /// [`IoError::Failed`].
    fn erase_all(&mut self) -> Result<(), IoError>;

    /// How long ago the committed image was written, if the medium keeps a
    /// wall-clock time for it (a file's modification time); `None` if it
    /// does not (flash on a token without a clock). A write time in the
    /// future is an age of zero. The lockout delay counts from this write
    /// (the one that counted the last wrong password) rather than from the
    /// opening, so it does not start again with every new process.
    fn committed_age(&mut self) -> Option<core::time::Duration> {
        None
    }
}

/// A read-only image in memory (a backup file read into RAM).
impl Persist for &[u8] {
    fn committed_len(&mut self) -> Result<Option<u32>, IoError> {
        if self.is_empty() {
            return Ok(None);
        }
        u32::try_from(self.len())
            .map(Some)
            .map_err(|_| IoError::NoSpace)
    }
    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), IoError> {
        let start = offset as usize;
        let src = start
            .checked_add(buf.len())
            .and_then(|end| self.get(start..end))
            .ok_or(IoError::OutOfRange)?;
        buf.copy_from_slice(src);
        Ok(())
    }
    fn begin(&mut self, _len: u32) -> Result<(), IoError> {
        Err(IoError::Failed)
    }
    fn write(&mut self, _data: &[u8]) -> Result<(), IoError> {
        Err(IoError::Failed)
    }
    fn commit(&mut self) -> Result<(), IoError> {
        Err(IoError::Failed)
    }
    fn erase_all(&mut self) -> Result<(), IoError> {
        Err(IoError::Failed)
    }
}

/// A mutable borrow of a backend is a backend (a test keeps the backend
/// and lends it to a `Store` it drops).
impl<P: Persist + ?Sized> Persist for &mut P {
    fn committed_len(&mut self) -> Result<Option<u32>, IoError> {
        (**self).committed_len()
    }
    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), IoError> {
        (**self).read(offset, buf)
    }
    fn begin(&mut self, len: u32) -> Result<(), IoError> {
        (**self).begin(len)
    }
    fn write(&mut self, data: &[u8]) -> Result<(), IoError> {
        (**self).write(data)
    }
    fn commit(&mut self) -> Result<(), IoError> {
        (**self).commit()
    }
    fn erase_all(&mut self) -> Result<(), IoError> {
        (**self).erase_all()
    }
    fn committed_age(&mut self) -> Option<core::time::Duration> {
        (**self).committed_age()
    }
}

/// One committed image in memory, replaced on [`Persist::commit`] (no
/// medium, so nothing fails): for tests, benches and tools that open an
/// image they hold in RAM.
#[cfg(feature = "std")]
#[derive(Debug, Default, Clone)]
pub struct MemoryPersist {
    /// The committed image, if any.
    pub committed: Option<std::vec::Vec<u8>>,
    pending: Option<std::vec::Vec<u8>>,
}

#[cfg(feature = "std")]
impl MemoryPersist {
    /// A backend whose committed image is `image`.
    #[must_use]
    pub fn with(image: std::vec::Vec<u8>) -> Self {
        Self {
            committed: Some(image),
            pending: None,
        }
    }
}

#[cfg(feature = "std")]
impl Persist for MemoryPersist {
    fn committed_len(&mut self) -> Result<Option<u32>, IoError> {
        self.committed
            .as_ref()
            .map(|v| u32::try_from(v.len()).map_err(|_| IoError::NoSpace))
            .transpose()
    }
    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), IoError> {
        let c = self.committed.as_ref().ok_or(IoError::OutOfRange)?;
        let start = offset as usize;
        let src = start
            .checked_add(buf.len())
            .and_then(|end| c.get(start..end))
            .ok_or(IoError::OutOfRange)?;
        buf.copy_from_slice(src);
        Ok(())
    }
    fn begin(&mut self, len: u32) -> Result<(), IoError> {
        self.pending = Some(std::vec::Vec::with_capacity(len as usize));
        Ok(())
    }
    fn write(&mut self, data: &[u8]) -> Result<(), IoError> {
        self.pending
            .as_mut()
            .ok_or(IoError::Protocol)?
            .extend_from_slice(data);
        Ok(())
    }
    fn commit(&mut self) -> Result<(), IoError> {
        self.committed = Some(self.pending.take().ok_or(IoError::Protocol)?);
        Ok(())
    }
    fn erase_all(&mut self) -> Result<(), IoError> {
        self.committed = None;
        self.pending = None;
        Ok(())
    }
}
