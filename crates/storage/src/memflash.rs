//! An in-memory NOR flash with injectable faults, for tests (`std`).
//!
//! Faults: a power cut after a budget of work units (each programmed byte
//! and each erased sector is one unit): the write in flight stops at that
//! byte and the byte itself gets random bits (a torn write); an erase in
//! flight leaves its sector full of garbage. After the cut every operation
//! fails until [`MemFlash::power_on`]. Also: failing erases, failing writes.

use crate::flash::Flash;
use crate::persist::IoError;

/// An in-memory flash (see the module docs).
#[derive(Debug, Clone)]
pub struct MemFlash {
    data: Vec<u8>,
    erase_size: usize,
    budget: Option<u64>,
    off: bool,
    used: u64,
    rng: u64,
    fail_erases: u32,
    fail_writes: u32,
    overwrites: u64,
}

impl MemFlash {
    /// `sectors` sectors of [`MemFlash::ERASE_SIZE`] bytes, erased; `seed`
    /// drives the garbage of torn operations.
    pub fn new(sectors: usize, seed: u64) -> Self {
        Self {
            data: vec![0xFF; sectors * Self::ERASE_SIZE],
            erase_size: Self::ERASE_SIZE,
            budget: None,
            off: false,
            used: 0,
            rng: seed | 1,
            fail_erases: 0,
            fail_writes: 0,
            overwrites: 0,
        }
    }

    /// Cuts the power after `units` more work units.
    pub fn cut_power_after(&mut self, units: u64) {
        self.budget = Some(units);
    }

    /// Restores power and clears the cut.
    pub fn power_on(&mut self) {
        self.off = false;
        self.budget = None;
    }

    /// Whether the power is cut.
    pub fn is_off(&self) -> bool {
        self.off
    }

    /// The next `n` erases fail (nothing erased, or half of the range).
    pub fn fail_next_erases(&mut self, n: u32) {
        self.fail_erases = n;
    }

    /// The next `n` writes fail after writing half their bytes.
    pub fn fail_next_writes(&mut self, n: u32) {
        self.fail_writes = n;
    }

    /// Work units spent since creation (to pick cut points).
    pub fn units_used(&self) -> u64 {
        self.used
    }

    /// Writes that tried to set bits of non-erased bytes (a bug if not 0).
    pub fn overwrites(&self) -> u64 {
        self.overwrites
    }

    /// The raw contents.
    pub fn bytes(&self) -> &[u8] {
        &self.data
    }

    /// Mutable raw contents (to damage them on purpose).
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }

    fn next_rand(&mut self) -> u8 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng >> 24) as u8
    }

    /// Spends one unit; `false` when the power just went (or was) off.
    fn spend(&mut self) -> bool {
        if self.off {
            return false;
        }
        if let Some(b) = self.budget.as_mut() {
            if *b == 0 {
                self.off = true;
                return false;
            }
            *b -= 1;
        }
        self.used += 1;
        true
    }
}

impl Flash for MemFlash {
    const ERASE_SIZE: usize = 4096;

    fn capacity(&self) -> usize {
        self.data.len()
    }

    fn read(&mut self, offset: usize, buf: &mut [u8]) -> Result<(), IoError> {
        if self.off {
            return Err(IoError::Failed);
        }
        let end = offset.checked_add(buf.len()).ok_or(IoError::Failed)?;
        let src = self.data.get(offset..end).ok_or(IoError::Failed)?;
        buf.copy_from_slice(src);
        Ok(())
    }

    fn write(&mut self, offset: usize, data: &[u8]) -> Result<(), IoError> {
        if self.off {
            return Err(IoError::Failed);
        }
        let end = offset.checked_add(data.len()).ok_or(IoError::Failed)?;
        if end > self.data.len() {
            return Err(IoError::Failed);
        }
        let stop = if self.fail_writes > 0 {
            self.fail_writes -= 1;
            Some(data.len() / 2)
        } else {
            None
        };
        for (i, &b) in data.iter().enumerate() {
            if stop == Some(i) {
                return Err(IoError::Failed);
            }
            if !self.spend() {
                // Torn byte: some of its bits were programmed.
                let g = self.next_rand();
                self.data[offset + i] &= b | g;
                return Err(IoError::Failed);
            }
            let cell = &mut self.data[offset + i];
            if *cell & b != b {
                self.overwrites += 1;
            }
            *cell &= b;
        }
        Ok(())
    }

    fn erase(&mut self, from: usize, to: usize) -> Result<(), IoError> {
        if self.off {
            return Err(IoError::Failed);
        }
        if !from.is_multiple_of(self.erase_size)
            || !to.is_multiple_of(self.erase_size)
            || to > self.data.len()
        {
            return Err(IoError::Failed);
        }
        let mut sector = from;
        let half = from + ((to - from) / self.erase_size / 2) * self.erase_size;
        let failing = if self.fail_erases > 0 {
            self.fail_erases -= 1;
            true
        } else {
            false
        };
        while sector < to {
            if failing && sector >= half {
                return Err(IoError::Failed);
            }
            if !self.spend() {
                for i in sector..sector + self.erase_size {
                    let g = self.next_rand();
                    self.data[i] = g;
                }
                return Err(IoError::Failed);
            }
            self.data[sector..sector + self.erase_size].fill(0xFF);
            sector += self.erase_size;
        }
        Ok(())
    }
}
