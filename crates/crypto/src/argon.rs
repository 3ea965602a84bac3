//! Argon2id (RFC 9106, version 0x13) into caller-provided memory.
//!
//! No heap: the caller hands in a slice of [`Argon2Block`]s (1 KiB each,
//! at least [`Argon2Params::blocks_needed`] of them; e.g. a `static` array on
//! a microcontroller or a `Vec` on a host). The blocks are wiped after use.

use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{Argon2Error, Error};

/// One 1 KiB Argon2 memory block.
pub use argon2::Block as Argon2Block;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory in KiB (= number of blocks before rounding); at least `8 * p_cost`.
    pub m_cost_kib: u32,
    /// Passes over memory; at least 1.
    pub t_cost: u32,
    /// Lanes (parallelism degree; computed sequentially here); 1..=2^24-1.
    pub p_cost: u32,
}

impl Argon2Params {
    /// Blocks the memory slice must hold: `m_cost_kib` rounded down to a
    /// multiple of `4 * p_cost` (never less than `8 * p_cost`).
    #[must_use]
    pub const fn blocks_needed(&self) -> usize {
        let sync = 4 * (self.p_cost as usize);
        if sync == 0 {
            return 0;
        }
        let m = self.m_cost_kib as usize;
        let min = 2 * sync;
        let m = if m < min { min } else { m };
        m / sync * sync
    }

    fn to_params(self, out_len: usize) -> Result<Params, Argon2Error> {
        Params::new(self.m_cost_kib, self.t_cost, self.p_cost, Some(out_len)).map_err(map_err)
    }
}

fn map_err(e: argon2::Error) -> Argon2Error {
    match e {
        argon2::Error::MemoryTooLittle => Argon2Error::MemoryCostTooSmall,
        argon2::Error::TimeTooSmall => Argon2Error::TimeCostTooSmall,
        argon2::Error::ThreadsTooFew | argon2::Error::ThreadsTooMany => {
            Argon2Error::ParallelismOutOfRange
        }
        argon2::Error::OutputTooShort => Argon2Error::OutputTooShort,
        argon2::Error::OutputTooLong => Argon2Error::OutputTooLong,
        argon2::Error::SaltTooShort => Argon2Error::SaltTooShort,
        argon2::Error::SaltTooLong => Argon2Error::SaltTooLong,
        argon2::Error::PwdTooLong => Argon2Error::PasswordTooLong,
        _ => Argon2Error::Other,
    }
}

/// Argon2id(password, salt) → `out` (4 bytes or more), using `memory` as the
/// work area.
///
/// # Errors
/// [`Error::Argon2`] with the reason: bad costs, short salt (< 8 bytes),
/// short output, or `memory` shorter than [`Argon2Params::blocks_needed`].
pub fn argon2id(
    params: &Argon2Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    memory: &mut [Argon2Block],
) -> Result<(), Error> {
    let p = params.to_params(out.len())?;
    if memory.len() < p.block_count() {
        return Err(Argon2Error::MemoryBufferTooSmall.into());
    }
    let a = Argon2::new(Algorithm::Argon2id, Version::V0x13, p);
    let r = a
        .hash_password_into_with_memory(password, salt, out, &mut *memory)
        .map_err(|e| Error::Argon2(map_err(e)));
    for b in memory.iter_mut() {
        *b = Argon2Block::new();
    }
    if r.is_err() {
        zeroize::Zeroize::zeroize(out);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;

    #[test]
    fn reference_implementation_vector() {
        // phc-winner-argon2 reference: Argon2id v0x13, m=256 KiB, t=2, p=1,
        // password "password", salt "somesalt", 32-byte output.
        let params = Argon2Params {
            m_cost_kib: 256,
            t_cost: 2,
            p_cost: 1,
        };
        let mut mem = std::vec![Argon2Block::new(); params.blocks_needed()];
        let mut out = [0u8; 32];
        argon2id(&params, b"password", b"somesalt", &mut out, &mut mem).unwrap();
        assert_eq!(
            out,
            [
                0x9d, 0xfe, 0xb9, 0x10, 0xe8, 0x0b, 0xad, 0x03, 0x11, 0xfe, 0xe2, 0x0f, 0x9c, 0x0e,
                0x2b, 0x12, 0xc1, 0x79, 0x87, 0xb4, 0xca, 0xc9, 0x0c, 0x2e, 0xf5, 0x4d, 0x5b, 0x30,
                0x21, 0xc6, 0x8b, 0xfe
            ]
        );
    }

    #[test]
    fn rfc9106_argon2id_shape_and_errors() {
        let params = Argon2Params {
            m_cost_kib: 32,
            t_cost: 3,
            p_cost: 4,
        };
        assert_eq!(params.blocks_needed(), 32);
        let mut mem = [Argon2Block::new(); 32];
        let mut out = [0u8; 32];
        argon2id(&params, &[1u8; 32], &[2u8; 16], &mut out, &mut mem).unwrap();
        let mut out2 = [0u8; 32];
        argon2id(&params, &[1u8; 32], &[2u8; 16], &mut out2, &mut mem).unwrap();
        assert_eq!(out, out2);
        argon2id(&params, &[1u8; 32], &[3u8; 16], &mut out2, &mut mem).unwrap();
        assert_ne!(out, out2);

        assert_eq!(
            argon2id(&params, b"pw", &[2u8; 16], &mut out, &mut mem[..31]),
            Err(Error::Argon2(Argon2Error::MemoryBufferTooSmall))
        );
        assert_eq!(
            argon2id(&params, b"pw", &[2u8; 7], &mut out, &mut mem),
            Err(Error::Argon2(Argon2Error::SaltTooShort))
        );
        assert_eq!(
            argon2id(&params, b"pw", &[2u8; 8], &mut out[..3], &mut mem),
            Err(Error::Argon2(Argon2Error::OutputTooShort))
        );
        let bad = Argon2Params {
            t_cost: 0,
            ..params
        };
        assert_eq!(
            argon2id(&bad, b"pw", &[2u8; 8], &mut out, &mut mem),
            Err(Error::Argon2(Argon2Error::TimeCostTooSmall))
        );
        let bad = Argon2Params {
            p_cost: 0,
            ..params
        };
        assert_eq!(bad.blocks_needed(), 0);
        assert_eq!(
            argon2id(&bad, b"pw", &[2u8; 8], &mut out, &mut mem),
            Err(Error::Argon2(Argon2Error::ParallelismOutOfRange))
        );
        let bad = Argon2Params {
            m_cost_kib: 7,
            t_cost: 1,
            p_cost: 1,
        };
        assert_eq!(
            argon2id(&bad, b"pw", &[2u8; 8], &mut out, &mut mem),
            Err(Error::Argon2(Argon2Error::MemoryCostTooSmall))
        );
    }
}
