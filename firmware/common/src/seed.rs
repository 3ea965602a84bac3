//! The boot seed: 32 secret bytes kept in flash and replaced at every boot.
//!
//! At boot the board reads the newest seed, derives from it and fresh
//! (uncredited) noise both a new seed and the secret that keys the
//! [`crate::EntropyPool`], and writes the new seed back **before** the
//! secret is used. So even if the noise at this boot were poor, the output
//! differs from every earlier boot's, and reading the flash afterwards does
//! not reveal what earlier boots produced (the seed only moves forward
//! through a one-way KDF).
//!
//! Layout: an append-only log of 48-byte records in its own erase unit(s),
//! `"SEED" counter:u32le seed[32] H8(magic ‖ counter ‖ seed)`. The newest
//! valid record wins; a torn record fails its check and is skipped. When
//! the region is full it is erased and the log restarts (a power cut in
//! that instant loses only the carried-over seed, never the store). One
//! record per boot: a 128 KiB sector takes 2730 boots per erase.

use susurro_crypto::Secret32;
use susurro_crypto::h::{Label, hash, kdf_into};
use susurro_storage::{Flash, IoError};
use zeroize::Zeroize;

const MAGIC: [u8; 4] = *b"SEED";
/// Bytes of one record.
pub const RECORD: usize = 48;
const CHECK: Label = Label::new(b"susurro/firmware/seed-check/v1");
const BOOT: Label = Label::new(b"susurro/firmware/boot-seed/v1");

/// The seed log over a flash region of its own.
#[derive(Debug)]
pub struct SeedLog<F: Flash> {
    flash: F,
}

struct Newest {
    at: usize,
    counter: u32,
    seed: Secret32,
}

impl<F: Flash> SeedLog<F> {
    /// The log in `flash` (the whole medium).
    pub fn new(flash: F) -> Self {
        Self { flash }
    }

    /// The medium back.
    pub fn into_inner(self) -> F {
        self.flash
    }

    fn check(rec: &[u8]) -> [u8; 8] {
        hash(CHECK, &[&rec[..40]])
    }

    fn scan(&mut self) -> Result<(Option<Newest>, Option<usize>), IoError> {
        let mut newest: Option<Newest> = None;
        let mut free = None;
        let mut rec = [0u8; RECORD];
        let mut at = 0;
        while at + RECORD <= self.flash.capacity() {
            self.flash.read(at, &mut rec)?;
            if rec.iter().all(|&b| b == 0xFF) {
                free = Some(at);
                break;
            }
            if rec[..4] == MAGIC && rec[40..48] == Self::check(&rec) {
                let counter = u32::from_le_bytes([rec[4], rec[5], rec[6], rec[7]]);
                if newest.as_ref().is_none_or(|n| counter > n.counter) {
                    let mut seed = Secret32::zero();
                    seed.as_mut_bytes().copy_from_slice(&rec[8..40]);
                    newest = Some(Newest { at, counter, seed });
                }
            }
            at += RECORD;
        }
        rec.zeroize();
        Ok((newest, free))
    }

    /// Boots: derives the pool secret from the stored seed and `noise`,
    /// then stores the next seed. The secret comes back even if the flash
    /// failed (with the error), since the noise still makes it fresh.
    pub fn boot(&mut self, noise: &[u8]) -> (Secret32, Result<(), IoError>) {
        let (newest, free) = match self.scan() {
            Ok(x) => x,
            Err(_) => {
                warn!("boot seed: flash unreadable; starting a new log");
                (None, None)
            }
        };
        let (counter, old) = match &newest {
            Some(n) => (n.counter.wrapping_add(1), n.seed.expose()),
            None => (1, &[0u8; 32]),
        };
        let mut next = Secret32::zero();
        let mut secret = Secret32::zero();
        kdf_into(
            BOOT,
            old,
            &[&counter.to_le_bytes(), noise],
            &mut [next.as_mut_bytes(), secret.as_mut_bytes()],
        );
        let saved = self.store(counter, &next, free);
        if let Some(n) = &newest {
            info!("boot seed: record {} replaced", n.at);
        }
        (secret, saved)
    }

    fn store(&mut self, counter: u32, seed: &Secret32, free: Option<usize>) -> Result<(), IoError> {
        let at = match free {
            Some(at) => at,
            None => {
                let cap = self.flash.capacity();
                self.flash.erase(0, cap)?;
                0
            }
        };
        let mut rec = [0xFFu8; RECORD];
        rec[..4].copy_from_slice(&MAGIC);
        rec[4..8].copy_from_slice(&counter.to_le_bytes());
        rec[8..40].copy_from_slice(seed.expose());
        let c = Self::check(&rec);
        rec[40..48].copy_from_slice(&c);
        let r = self.flash.write(at, &rec);
        rec.zeroize();
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nor::NorRegion;
    use crate::nor::test_flash::TestFlash;

    fn log() -> SeedLog<NorRegion<TestFlash<4, 1024>>> {
        SeedLog::new(NorRegion::new(TestFlash::new(1), 0, 1024).unwrap())
    }

    #[test]
    fn each_boot_gives_a_new_secret_even_with_the_same_noise() {
        let mut l = log();
        let mut seen = std::vec::Vec::new();
        // 1024 / 48 = 21 records per erase: go round the log twice.
        for _ in 0..50 {
            let (s, r) = l.boot(b"same noise every time");
            r.unwrap();
            assert!(!seen.contains(s.expose()));
            seen.push(*s.expose());
            // "Reboot": a new log over the same medium.
            l = SeedLog::new(l.into_inner());
        }
        assert_eq!(l.into_inner().into_inner().bad_writes, 0);
    }

    #[test]
    fn a_torn_record_is_skipped() {
        let mut l = log();
        let (a, _) = l.boot(b"n");
        let mut f = l.into_inner();
        // Half a record after the first one: garbage magic, no check.
        f.write(RECORD, b"SEEDxxxx").unwrap();
        let mut l = SeedLog::new(f);
        let (b, r) = l.boot(b"n");
        r.unwrap();
        assert_ne!(a, b);
        // The next boot continues from the record written after the torn one.
        let (c, _) = l.boot(b"n");
        assert_ne!(b, c);
    }

    #[test]
    fn the_secret_is_not_the_stored_seed() {
        let mut l = log();
        let (s, _) = l.boot(b"noise");
        let f = l.into_inner().into_inner();
        assert!(!f.data.windows(32).any(|w| w == s.expose()));
    }
}
