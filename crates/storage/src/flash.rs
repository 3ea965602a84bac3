//! Two-slot atomic images on NOR-style flash.
//!
//! [`Flash`] is the small trait a medium implements (in the spirit of
//! `embedded-storage`'s `NorFlash`: erase sets whole sectors to `0xFF`,
//! writes only clear bits). [`FlashStore`] splits the medium in two equal
//! slots. A slot is `slot header (32 bytes) ‖ image`; the header is written
//! **last**, so a slot is valid only when its whole image is on the medium:
//!
//! ```text
//! 0   magic  "SSLT"
//! 4   seq    u32le   save counter; the valid slot with the highest wins
//! 8   len    u32le   image length
//! 12  check  [16]    H("susurro/storage/slot/v1", seq ‖ len ‖ image chunks)
//! 28  0xFFFFFFFF     reserved
//! ```
//!
//! A save erases the *other* slot, writes the image, then the header. A
//! power cut at any byte, a torn write or a failed erase leaves the previous
//! slot untouched and still the newest valid one.

use susurro_crypto::h::{H, Label};

use crate::persist::{IoError, Persist};

/// A flash-like medium.
pub trait Flash {
    /// Erase granularity in bytes (a power of two).
    const ERASE_SIZE: usize;
    /// Total size in bytes (a multiple of `2 * ERASE_SIZE`).
    fn capacity(&self) -> usize;
    /// Reads `buf.len()` bytes at `offset`.
    ///
    /// # Errors
    /// [`IoError::Failed`] on a medium error or out of range.
    fn read(&mut self, offset: usize, buf: &mut [u8]) -> Result<(), IoError>;
    /// Programs `data` at `offset` (the bytes must be erased).
    ///
    /// # Errors
    /// [`IoError::Failed`].
    fn write(&mut self, offset: usize, data: &[u8]) -> Result<(), IoError>;
    /// Erases `[from, to)`, both multiples of `ERASE_SIZE`.
    ///
    /// # Errors
    /// [`IoError::Failed`].
    fn erase(&mut self, from: usize, to: usize) -> Result<(), IoError>;
}

/// Magic of a slot header.
pub const SLOT_MAGIC: [u8; 4] = *b"SSLT";
/// Bytes of a slot header.
pub const SLOT_HEADER: usize = 32;
/// Label of a slot's check: `H16(SLOT_LABEL, LE32(seq), LE32(len), image
/// in 256-byte parts)`.
pub const SLOT_LABEL: Label = Label::new(b"susurro/storage/slot/v1");
const CHUNK: usize = 256;

#[derive(Debug, Clone, Copy)]
struct SlotInfo {
    seq: u32,
    len: u32,
}

#[derive(Debug, Clone, Copy)]
struct Writing {
    slot: usize,
    seq: u32,
    len: u32,
    written: u32,
}

/// Two-slot atomic image store over a [`Flash`].
#[derive(Debug)]
pub struct FlashStore<F: Flash> {
    flash: F,
    current: Option<(usize, SlotInfo)>,
    scanned: bool,
    writing: Option<Writing>,
}

impl<F: Flash> FlashStore<F> {
    /// Wraps a medium; slots are scanned on first use.
    pub fn new(flash: F) -> Self {
        Self {
            flash,
            current: None,
            scanned: false,
            writing: None,
        }
    }

    /// The medium back (for tests: inspect or "reboot").
    pub fn into_inner(self) -> F {
        self.flash
    }

    /// The medium.
    pub fn flash_mut(&mut self) -> &mut F {
        &mut self.flash
    }

    fn slot_size(&self) -> usize {
        self.flash.capacity() / 2
    }

    fn slot_base(&self, slot: usize) -> usize {
        slot * self.slot_size()
    }

    fn check_slot(&mut self, slot: usize) -> Result<Option<SlotInfo>, IoError> {
        let base = self.slot_base(slot);
        let mut hdr = [0u8; SLOT_HEADER];
        self.flash.read(base, &mut hdr)?;
        if hdr[0..4] != SLOT_MAGIC {
            return Ok(None);
        }
        let seq = u32::from_le_bytes([hdr[4], hdr[5], hdr[6], hdr[7]]);
        let len = u32::from_le_bytes([hdr[8], hdr[9], hdr[10], hdr[11]]);
        if (len as usize) > self.slot_size().saturating_sub(SLOT_HEADER) {
            return Ok(None);
        }
        let mut h = H::new(SLOT_LABEL);
        h.absorb(&seq.to_le_bytes()).absorb(&len.to_le_bytes());
        let mut buf = [0u8; CHUNK];
        let mut off = 0usize;
        while off < len as usize {
            let n = CHUNK.min(len as usize - off);
            self.flash.read(base + SLOT_HEADER + off, &mut buf[..n])?;
            h.absorb(&buf[..n]);
            off += n;
        }
        let check: [u8; 16] = h.finalize();
        if check[..] != hdr[12..28] {
            return Ok(None);
        }
        Ok(Some(SlotInfo { seq, len }))
    }

    fn scan(&mut self) -> Result<(), IoError> {
        if self.scanned {
            return Ok(());
        }
        let a = self.check_slot(0)?;
        let b = self.check_slot(1)?;
        self.current = match (a, b) {
            (Some(a), Some(b)) => Some(if b.seq > a.seq { (1, b) } else { (0, a) }),
            (Some(a), None) => Some((0, a)),
            (None, Some(b)) => Some((1, b)),
            (None, None) => None,
        };
        self.scanned = true;
        Ok(())
    }
}

impl<F: Flash> Persist for FlashStore<F> {
    fn committed_len(&mut self) -> Result<Option<u32>, IoError> {
        self.scan()?;
        Ok(self.current.map(|(_, i)| i.len))
    }

    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), IoError> {
        self.scan()?;
        let (slot, info) = self.current.ok_or(IoError::OutOfRange)?;
        let end = (offset as usize)
            .checked_add(buf.len())
            .ok_or(IoError::OutOfRange)?;
        if end > info.len as usize {
            return Err(IoError::OutOfRange);
        }
        let base = self.slot_base(slot) + SLOT_HEADER + offset as usize;
        self.flash.read(base, buf)
    }

    fn begin(&mut self, len: u32) -> Result<(), IoError> {
        self.scan()?;
        self.writing = None;
        if len as usize > self.slot_size().saturating_sub(SLOT_HEADER) {
            return Err(IoError::NoSpace);
        }
        let (slot, seq) = match self.current {
            Some((s, i)) => (1 - s, i.seq.wrapping_add(1)),
            None => (0, 1),
        };
        let base = self.slot_base(slot);
        self.flash.erase(base, base + self.slot_size())?;
        self.writing = Some(Writing {
            slot,
            seq,
            len,
            written: 0,
        });
        Ok(())
    }

    fn write(&mut self, data: &[u8]) -> Result<(), IoError> {
        let mut w = self.writing.ok_or(IoError::Protocol)?;
        let n = u32::try_from(data.len()).map_err(|_| IoError::Protocol)?;
        let end = w.written.checked_add(n).ok_or(IoError::Protocol)?;
        if end > w.len {
            return Err(IoError::Protocol);
        }
        let off = self.slot_base(w.slot) + SLOT_HEADER + w.written as usize;
        if let Err(e) = self.flash.write(off, data) {
            self.writing = None;
            return Err(e);
        }
        w.written = end;
        self.writing = Some(w);
        Ok(())
    }

    fn commit(&mut self) -> Result<(), IoError> {
        let w = self.writing.take().ok_or(IoError::Protocol)?;
        if w.written != w.len {
            return Err(IoError::Protocol);
        }
        // Hash what is actually on the medium (catches silent write faults).
        let base = self.slot_base(w.slot);
        let mut h = H::new(SLOT_LABEL);
        h.absorb(&w.seq.to_le_bytes()).absorb(&w.len.to_le_bytes());
        let mut buf = [0u8; CHUNK];
        let mut off = 0usize;
        while off < w.len as usize {
            let n = CHUNK.min(w.len as usize - off);
            self.flash.read(base + SLOT_HEADER + off, &mut buf[..n])?;
            h.absorb(&buf[..n]);
            off += n;
        }
        let check: [u8; 16] = h.finalize();
        let mut hdr = [0xFFu8; SLOT_HEADER];
        hdr[0..4].copy_from_slice(&SLOT_MAGIC);
        hdr[4..8].copy_from_slice(&w.seq.to_le_bytes());
        hdr[8..12].copy_from_slice(&w.len.to_le_bytes());
        hdr[12..28].copy_from_slice(&check);
        // The atomic switch: until the header is complete the slot is invalid.
        let r = self.flash.write(base, &hdr);
        // Re-scan next time: after a failed header write the slot may or may
        // not be valid, and only the medium knows.
        self.scanned = false;
        r?;
        self.current = Some((
            w.slot,
            SlotInfo {
                seq: w.seq,
                len: w.len,
            },
        ));
        self.scanned = true;
        Ok(())
    }

    fn erase_all(&mut self) -> Result<(), IoError> {
        self.writing = None;
        self.scanned = false;
        let cap = self.flash.capacity();
        self.flash.erase(0, cap)?;
        self.current = None;
        self.scanned = true;
        Ok(())
    }
}
