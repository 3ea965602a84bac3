//! Protection profiles (Argon2id cost, retry policy) and the Argon2 work
//! memory, which the runtime provides.

use susurro_crypto::argon::{Argon2Block, Argon2Params};

/// What happens after too many wrong passwords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lockout {
    /// Refuse unlocks until `base_s` seconds have passed (doubling with each
    /// further wrong attempt, up to 64 × `base_s`). The wait restarts when
    /// the module restarts (the core has no trusted wall clock).
    Delay {
        /// First wait, seconds.
        base_s: u32,
    },
    /// Erase the store (security-key behaviour; the token profile).
    Wipe,
}

/// Cost and retry policy for a new store. Stored in the file header, so a
/// store keeps the profile it was created with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    /// Argon2id cost.
    pub kdf: Argon2Params,
    /// Wrong passwords allowed before the lockout policy applies (1..=255).
    pub max_attempts: u8,
    /// The lockout policy.
    pub lockout: Lockout,
}

impl Profile {
    /// Desktop default: Argon2id m = 64 MiB, t = 3, p = 1; 10 attempts, then
    /// a 60 s wait (doubling).
    pub const HOST: Profile = Profile {
        kdf: Argon2Params {
            m_cost_kib: 64 * 1024,
            t_cost: 3,
            p_cost: 1,
        },
        max_attempts: 10,
        lockout: Lockout::Delay { base_s: 60 },
    };

    /// USB token (STM32F446, 128 KiB RAM): Argon2id m = 64 KiB, t = 32,
    /// p = 1 (2 MiB of memory traffic in a 64 KiB buffer); 10 attempts,
    /// then the store wipes itself. The low memory cost is compensated by
    /// the retry counter: the token never exposes the file for offline
    /// guessing.
    pub const TOKEN: Profile = Profile {
        kdf: Argon2Params {
            m_cost_kib: 64,
            t_cost: 32,
            p_cost: 1,
        },
        max_attempts: 10,
        lockout: Lockout::Wipe,
    };

    /// Tests only: Argon2id m = 8 KiB, t = 1. Never for real stores.
    pub const TEST_ONLY_INSECURE: Profile = Profile {
        kdf: Argon2Params {
            m_cost_kib: 8,
            t_cost: 1,
            p_cost: 1,
        },
        max_attempts: 10,
        lockout: Lockout::Delay { base_s: 60 },
    };
}

/// Work memory for Argon2id, lent by the runtime for the duration of one
/// key derivation.
pub trait KdfMemory {
    /// Largest number of 1 KiB blocks this memory can provide. Stores whose
    /// header asks for more are refused as unreadable here (before any
    /// attempt is counted).
    fn max_blocks(&self) -> usize;
    /// A slice of at least `n` blocks, or `None`.
    fn blocks(&mut self, n: usize) -> Option<&mut [Argon2Block]>;
    /// Called after each derivation (a heap memory may free itself).
    fn release(&mut self) {}
}

/// Memory in a caller-owned slice (a `static` buffer on the token).
#[derive(Debug)]
pub struct SliceMemory<'a>(pub &'a mut [Argon2Block]);

impl KdfMemory for SliceMemory<'_> {
    fn max_blocks(&self) -> usize {
        self.0.len()
    }
    fn blocks(&mut self, n: usize) -> Option<&mut [Argon2Block]> {
        self.0.get_mut(..n)
    }
}

/// Heap memory allocated for each derivation and freed after (`std`).
#[cfg(feature = "std")]
#[derive(Debug)]
pub struct HeapMemory {
    max: usize,
    buf: Vec<Argon2Block>,
}

#[cfg(feature = "std")]
impl HeapMemory {
    /// Allows derivations of up to `max_mib` MiB.
    pub fn new(max_mib: usize) -> Self {
        Self {
            max: max_mib * 1024,
            buf: Vec::new(),
        }
    }
}

#[cfg(feature = "std")]
impl Default for HeapMemory {
    /// Up to 1 GiB.
    fn default() -> Self {
        Self::new(1024)
    }
}

#[cfg(feature = "std")]
impl KdfMemory for HeapMemory {
    fn max_blocks(&self) -> usize {
        self.max
    }
    fn blocks(&mut self, n: usize) -> Option<&mut [Argon2Block]> {
        if n > self.max {
            return None;
        }
        if self.buf.len() < n {
            self.buf = Vec::new();
            self.buf.try_reserve_exact(n).ok()?;
            self.buf.resize(n, Argon2Block::new());
        }
        self.buf.get_mut(..n)
    }
    fn release(&mut self) {
        self.buf = Vec::new();
    }
}
