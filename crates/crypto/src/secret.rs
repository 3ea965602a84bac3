//! Secret byte strings and constant-time helpers.

use core::fmt;

use subtle::{ConditionallySelectable, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

pub use subtle::Choice;

/// `N` secret bytes: zeroized on drop, redacted in `Debug`, compared in
/// constant time.
///
/// Deliberately not `Copy`: copies of secrets are explicit (`clone`).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Secret<const N: usize>([u8; N]);

/// A 32-byte secret (keys, DH outputs, seeds).
pub type Secret32 = Secret<32>;
/// A 16-byte secret (session keys).
pub type Secret16 = Secret<16>;

impl<const N: usize> Secret<N> {
    /// Takes ownership of `bytes`. The caller's copy (if any) is theirs to wipe.
    #[must_use]
    pub const fn new(bytes: [u8; N]) -> Self {
        Self(bytes)
    }

    /// All-zero secret, to be filled through [`Secret::as_mut_bytes`].
    #[must_use]
    pub const fn zero() -> Self {
        Self([0u8; N])
    }

    /// Fills a new secret from the caller's random generator.
    pub fn random<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut s = Self::zero();
        rng.fill_bytes(&mut s.0);
        s
    }

    /// Borrows the secret bytes.
    #[must_use]
    pub const fn expose(&self) -> &[u8; N] {
        &self.0
    }

    /// Mutably borrows the secret bytes (to fill them in place).
    pub const fn as_mut_bytes(&mut self) -> &mut [u8; N] {
        &mut self.0
    }
}

impl<const N: usize> fmt::Debug for Secret<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret<{N}>(<redacted>)")
    }
}

impl<const N: usize> ConstantTimeEq for Secret<N> {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

impl<const N: usize> PartialEq for Secret<N> {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl<const N: usize> Eq for Secret<N> {}

/// Constant-time equality of two byte strings. The lengths are not secret:
/// different lengths return `false` at once.
#[must_use]
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Constant-time equality as a [`Choice`], for further constant-time logic.
#[must_use]
pub fn ct_eq_choice(a: &[u8], b: &[u8]) -> Choice {
    a.ct_eq(b)
}

/// Constant-time select: `b` when `choice` is set, otherwise `a`.
///
/// Use it for "replace the answer with random bytes if the check failed"
/// without a secret-dependent branch.
#[must_use]
pub fn ct_select<const N: usize>(a: &[u8; N], b: &[u8; N], choice: Choice) -> [u8; N] {
    let mut out = [0u8; N];
    for ((o, x), y) in out.iter_mut().zip(a.iter()).zip(b.iter()) {
        *o = u8::conditional_select(x, y, choice);
    }
    out
}

/// XORs `mask` into `dst` byte by byte, over the shorter of the two lengths.
pub fn xor_in_place(dst: &mut [u8], mask: &[u8]) {
    for (d, m) in dst.iter_mut().zip(mask.iter()) {
        *d ^= *m;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        extern crate std;
        let s = Secret::new([0xAAu8; 4]);
        let d = std::format!("{s:?}");
        assert_eq!(d, "Secret<4>(<redacted>)");
        assert!(!d.contains("aa") && !d.contains("170"));
    }

    #[test]
    fn ct_helpers() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
        assert_eq!(ct_select(&[1u8; 3], &[2u8; 3], Choice::from(0)), [1u8; 3]);
        assert_eq!(ct_select(&[1u8; 3], &[2u8; 3], Choice::from(1)), [2u8; 3]);
        assert_eq!(Secret::new([1u8; 2]), Secret::new([1u8; 2]));
        assert_ne!(Secret::new([1u8; 2]), Secret::new([1u8, 3]));
        let mut d = [0xF0u8, 0x0F];
        xor_in_place(&mut d, &[0xFF, 0xFF, 0xFF]);
        assert_eq!(d, [0x0F, 0xF0]);
    }
}
