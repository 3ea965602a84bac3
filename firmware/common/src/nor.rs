//! The storage crate's [`Flash`] over a region of any `embedded-storage`
//! [`NorFlash`] (the STM32's internal flash, the emulator's RAM flash).
//!
//! [`susurro_storage::FlashStore`] writes at any byte offset and length;
//! NOR flash programs whole words of `WRITE_SIZE` bytes. A write that
//! covers part of a word reads the word, overlays the new bytes and
//! programs it: the other bytes are either erased (`0xFF`, programming
//! them again changes nothing) or were programmed before with the very
//! value read back. That is fine on the STM32F4 (no flash ECC); a part with
//! ECC words that may be programmed only once (STM32L4, H7) needs a
//! buffering adapter instead.

use embedded_storage::nor_flash::NorFlash;
use susurro_storage::{Flash, IoError};

/// Largest `WRITE_SIZE` this adapter handles.
pub const MAX_WRITE_SIZE: usize = 32;

/// `[base, base + len)` of a NOR flash, as a [`Flash`] medium.
#[derive(Debug)]
pub struct NorRegion<F: NorFlash> {
    flash: F,
    base: u32,
    len: usize,
}

impl<F: NorFlash> NorRegion<F> {
    const CHECK: () = {
        assert!(F::WRITE_SIZE <= MAX_WRITE_SIZE, "flash words too wide");
        assert!(F::READ_SIZE == 1, "flash reads must be byte-granular");
        assert!(F::ERASE_SIZE.is_power_of_two(), "erase size");
    };

    /// The region of `flash` at `base` of `len` bytes, both multiples of
    /// `ERASE_SIZE` (a [`susurro_storage::FlashStore`] needs an even number
    /// of erase units: two slots). `None` if misaligned or outside the
    /// flash.
    pub fn new(flash: F, base: u32, len: usize) -> Option<Self> {
        let () = Self::CHECK;
        let end = (base as usize).checked_add(len)?;
        let ok = (base as usize).is_multiple_of(F::ERASE_SIZE)
            && len.is_multiple_of(F::ERASE_SIZE)
            && len > 0
            && end <= flash.capacity();
        ok.then_some(Self { flash, base, len })
    }

    /// The flash back.
    pub fn into_inner(self) -> F {
        self.flash
    }

    fn abs(&self, offset: usize, n: usize) -> Result<u32, IoError> {
        let end = offset.checked_add(n).ok_or(IoError::Failed)?;
        if end > self.len {
            return Err(IoError::Failed);
        }
        u32::try_from(offset)
            .ok()
            .and_then(|o| self.base.checked_add(o))
            .ok_or(IoError::Failed)
    }
}

impl<F: NorFlash> Flash for NorRegion<F> {
    const ERASE_SIZE: usize = F::ERASE_SIZE;

    fn capacity(&self) -> usize {
        self.len
    }

    fn read(&mut self, offset: usize, buf: &mut [u8]) -> Result<(), IoError> {
        let at = self.abs(offset, buf.len())?;
        self.flash.read(at, buf).map_err(|_| IoError::Failed)
    }

    fn write(&mut self, offset: usize, data: &[u8]) -> Result<(), IoError> {
        let mut at = self.abs(offset, data.len())?;
        let w = F::WRITE_SIZE as u32;
        let mut rest = data;
        while !rest.is_empty() {
            let word = at - at % w;
            let skip = (at - word) as usize;
            let n = (F::WRITE_SIZE - skip).min(rest.len());
            let (now, later) = rest.split_at(n);
            if skip == 0 && n == F::WRITE_SIZE {
                // Whole words straight through.
                let whole = rest.len() / F::WRITE_SIZE * F::WRITE_SIZE;
                let (words, tail) = rest.split_at(whole);
                self.flash.write(at, words).map_err(|_| IoError::Failed)?;
                at += whole as u32;
                rest = tail;
                continue;
            }
            let mut buf = [0xFFu8; MAX_WRITE_SIZE];
            let buf = &mut buf[..F::WRITE_SIZE];
            self.flash.read(word, buf).map_err(|_| IoError::Failed)?;
            buf[skip..skip + n].copy_from_slice(now);
            self.flash.write(word, buf).map_err(|_| IoError::Failed)?;
            at += n as u32;
            rest = later;
        }
        Ok(())
    }

    fn erase(&mut self, from: usize, to: usize) -> Result<(), IoError> {
        if to < from {
            return Err(IoError::Failed);
        }
        let a = self.abs(from, to - from)?;
        let b = a + (to - from) as u32;
        self.flash.erase(a, b).map_err(|_| IoError::Failed)
    }
}

#[cfg(test)]
pub(crate) mod test_flash {
    //! A NOR flash in memory for tests: programming may only clear bits,
    //! and a word may be programmed again only with a value that keeps
    //! every already-programmed bit (what the STM32F4 allows).
    use embedded_storage::nor_flash::{
        ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
    };

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) struct FlashErr;
    impl NorFlashError for FlashErr {
        fn kind(&self) -> NorFlashErrorKind {
            NorFlashErrorKind::Other
        }
    }

    pub(crate) struct TestFlash<const W: usize, const E: usize> {
        pub(crate) data: std::vec::Vec<u8>,
        pub(crate) bad_writes: usize,
        pub(crate) writes: usize,
    }

    impl<const W: usize, const E: usize> TestFlash<W, E> {
        pub(crate) fn new(sectors: usize) -> Self {
            Self {
                data: std::vec![0xFF; sectors * E],
                bad_writes: 0,
                writes: 0,
            }
        }
    }
    impl<const W: usize, const E: usize> ErrorType for TestFlash<W, E> {
        type Error = FlashErr;
    }
    impl<const W: usize, const E: usize> ReadNorFlash for TestFlash<W, E> {
        const READ_SIZE: usize = 1;
        fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), FlashErr> {
            let o = offset as usize;
            let src = self.data.get(o..o + bytes.len()).ok_or(FlashErr)?;
            bytes.copy_from_slice(src);
            Ok(())
        }
        fn capacity(&self) -> usize {
            self.data.len()
        }
    }
    impl<const W: usize, const E: usize> NorFlash for TestFlash<W, E> {
        const WRITE_SIZE: usize = W;
        const ERASE_SIZE: usize = E;
        fn erase(&mut self, from: u32, to: u32) -> Result<(), FlashErr> {
            let (f, t) = (from as usize, to as usize);
            if !f.is_multiple_of(E) || !t.is_multiple_of(E) || t > self.data.len() {
                return Err(FlashErr);
            }
            self.data[f..t].fill(0xFF);
            Ok(())
        }
        fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), FlashErr> {
            let o = offset as usize;
            if !o.is_multiple_of(W)
                || !bytes.len().is_multiple_of(W)
                || o + bytes.len() > self.data.len()
            {
                return Err(FlashErr);
            }
            self.writes += 1;
            for (d, s) in self.data[o..o + bytes.len()].iter_mut().zip(bytes) {
                if *s & !*d != 0 {
                    self.bad_writes += 1;
                }
                *d &= *s;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_flash::TestFlash;
    use super::*;
    use susurro_storage::{FlashStore, Persist};

    #[test]
    fn misaligned_regions_are_refused() {
        assert!(NorRegion::new(TestFlash::<4, 1024>::new(4), 512, 2048).is_none());
        assert!(NorRegion::new(TestFlash::<4, 1024>::new(4), 0, 1000).is_none());
        assert!(NorRegion::new(TestFlash::<4, 1024>::new(4), 2048, 4096).is_none());
        assert!(NorRegion::new(TestFlash::<4, 1024>::new(4), 2048, 2048).is_some());
    }

    #[test]
    fn unaligned_writes_land_byte_exact_without_setting_bits() {
        let mut r = NorRegion::new(TestFlash::<16, 1024>::new(2), 0, 2048).unwrap();
        let data: std::vec::Vec<u8> = (0..200u8).collect();
        // Writes of odd lengths at odd offsets, back to back.
        let mut off = 3;
        for chunk in data.chunks(7) {
            r.write(off, chunk).unwrap();
            off += chunk.len();
        }
        let mut back = [0u8; 200];
        r.read(3, &mut back).unwrap();
        assert_eq!(&back[..], &data[..]);
        let f = r.into_inner();
        assert_eq!(f.bad_writes, 0);
        assert!(f.data[..3].iter().all(|&b| b == 0xFF));
        assert!(f.data[203..].iter().all(|&b| b == 0xFF));
    }

    #[test]
    fn flash_store_round_trips_over_a_region() {
        let region = NorRegion::new(TestFlash::<4, 4096>::new(4), 4096, 8192).unwrap();
        let mut s = FlashStore::new(region);
        for round in 0..5u8 {
            let image: std::vec::Vec<u8> = (0..1000).map(|i| (i as u8) ^ round).collect();
            s.begin(1000).unwrap();
            for part in image.chunks(77) {
                s.write(part).unwrap();
            }
            s.commit().unwrap();
            let mut s2 = FlashStore::new(s.into_inner());
            assert_eq!(s2.committed_len().unwrap(), Some(1000));
            let mut back = std::vec![0u8; 1000];
            s2.read(0, &mut back).unwrap();
            assert_eq!(back, image);
            s = s2;
        }
        let f = s.into_inner().into_inner();
        assert_eq!(f.bad_writes, 0);
        // The region's neighbours were never touched.
        assert!(f.data[..4096].iter().all(|&b| b == 0xFF));
        assert!(f.data[12288..].iter().all(|&b| b == 0xFF));
    }
}
