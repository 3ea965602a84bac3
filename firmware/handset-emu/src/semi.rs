//! Host files over Arm semihosting: the emulated handset's screen, touch
//! sensor, microphone and speaker. QEMU (`-semihosting-config
//! enable=on,target=native`) opens them relative to its working
//! directory. The calls trap into QEMU and return when the host's file
//! operation is done; the CPU stands still meanwhile.
//!
//! The only `unsafe` of this module is the semihosting call itself.

use cortex_m_semihosting::syscall;

/// `SYS_OPEN` modes (ISO C `fopen` modes by number).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mode {
    /// `"rb"`: read from the start.
    Read = 1,
    /// `"wb"`: created or truncated.
    Write = 5,
}

/// An open host file.
pub(crate) struct HostFile {
    handle: usize,
}

impl HostFile {
    /// Opens `name` (NUL-terminated); `None` if the host refused (a file
    /// to read that does not exist yet).
    pub(crate) fn open(name: &'static [u8], mode: Mode) -> Option<Self> {
        let len = name.len().checked_sub(1)?;
        if name.last() != Some(&0) {
            return None;
        }
        #[allow(unsafe_code)]
        // SAFETY: SYS_OPEN reads `len` bytes of the NUL-terminated name
        // at `name.as_ptr()`, a live 'static slice; it writes no memory.
        let handle = unsafe { syscall!(OPEN, name.as_ptr(), mode as usize, len) };
        // -1 is failure.
        (handle as isize >= 0).then_some(Self { handle })
    }

    /// Reads up to `buf.len()` bytes at the file's position; how many it
    /// read (0 at the end of the file, for now: a file the host appends to
    /// can be read again later).
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> usize {
        #[allow(unsafe_code)]
        // SAFETY: SYS_READ writes at most `buf.len()` bytes into `buf`,
        // which is borrowed mutably for the call.
        let not_read = unsafe { syscall!(READ, self.handle, buf.as_mut_ptr(), buf.len()) };
        buf.len().saturating_sub(not_read)
    }

    /// Writes every byte of `bytes`; false if the host failed.
    pub(crate) fn write_all(&mut self, bytes: &[u8]) -> bool {
        #[allow(unsafe_code)]
        // SAFETY: SYS_WRITE reads `bytes.len()` bytes from `bytes`, which
        // is borrowed for the call; it writes no memory.
        let not_written = unsafe { syscall!(WRITE, self.handle, bytes.as_ptr(), bytes.len()) };
        not_written == 0
    }
}

impl Drop for HostFile {
    fn drop(&mut self) {
        #[allow(unsafe_code)]
        // SAFETY: SYS_CLOSE takes the handle by value; no memory is touched.
        let _ = unsafe { syscall!(CLOSE, self.handle) };
    }
}
