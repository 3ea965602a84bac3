//! H: the Keccak-p\[800\] sponge (hash, XOF, MAC, KDF, stream cipher).
//!
//! Byte-exact definition (also in `docs/protocol.md`, section "Primitives"):
//!
//! * Permutation: Keccak-p\[800, 22\] (= Keccak-f\[800\]), 25 lanes of 32 bits,
//!   from the `keccak` crate.
//! * State bytes: byte `i` (0..100) is bits `8*(i%4)..8*(i%4)+8` of lane
//!   `i/4` (little-endian lanes, as in FIPS 202).
//! * Rate 68 bytes (17 lanes), capacity 32 bytes (256 bits, 128-bit security).
//! * Absorb: XOR input bytes into state bytes 0..68 in order; after byte 67
//!   run the permutation.
//! * Padding (SHAKE's, FIPS 202 §6.2/§B.2): XOR `0x1F` into the next state
//!   byte, XOR `0x80` into byte 67, run the permutation.
//! * Squeeze: read state bytes 0..68 in order; run the permutation before
//!   each further 68-byte block.
//!
//! On top of this raw sponge, every use is framed:
//!
//! ```text
//! input = mode || frame(label) || frame(part_1) || ... || frame(part_n)
//! frame(x) = LE64(len(x)) || x
//! ```
//!
//! with `mode` one byte: [`Mode::Hash`] `0x01`, [`Mode::Mac`] `0x02`,
//! [`Mode::Kdf`] `0x03`, [`Mode::Stream`] `0x04`. For MAC, KDF and stream the
//! key is `part_1` (and the stream nonce `part_2`). Every part is
//! length-prefixed, so no two different (mode, label, parts) lists give the
//! same sponge input.
//!
//! Outputs are XOF prefixes: asking for 16 bytes gives the first 16 of the 32
//! one would get with the same inputs. Give every use its own label.

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::Error;
use crate::secret::{Secret, ct_eq};

/// Sponge rate in bytes (17 lanes of 32 bits).
pub const RATE: usize = 68;
/// Sponge capacity in bytes.
pub const CAPACITY: usize = 32;
/// Keccak-p\[800\] rounds.
pub const ROUNDS: usize = 22;
/// Domain/padding byte XORed after the message (SHAKE's `0x1F`).
pub const PAD_DOMAIN: u8 = 0x1F;
/// Final padding bit, XORed into the last rate byte.
pub const PAD_LAST: u8 = 0x80;

const LANES: usize = 25;
const RATE_LANES: usize = RATE / 4;

/// Runs Keccak-p\[800, 22\] on a state of 25 little-endian 32-bit lanes.
pub fn keccak_p800(state: &mut [u32; LANES]) {
    keccak::Keccak::new().with_p800::<ROUNDS>(|f| f(state));
}

/// A domain-separation label: a `&'static [u8]`, absorbed length-prefixed
/// before anything else.
///
/// Other crates make their own with [`Label::new`]; by convention labels are
/// ASCII `susurro/<crate>/<use>/v<n>` and every use of H has its own.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Label(&'static [u8]);

impl Label {
    /// Wraps a static byte string as a label.
    #[must_use]
    pub const fn new(bytes: &'static [u8]) -> Self {
        Self(bytes)
    }

    /// The label's bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &'static [u8] {
        self.0
    }
}

impl core::fmt::Debug for Label {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Label(")?;
        for &b in self.0 {
            if b.is_ascii_graphic() || b == b' ' {
                write!(f, "{}", char::from(b))?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        f.write_str(")")
    }
}

/// The labels this crate uses itself. Other crates define theirs next to the
/// code that uses them (and list them in `docs/protocol.md`).
pub mod labels {
    use super::Label;

    /// [`crate::x25519::fingerprint`].
    pub const FINGERPRINT: Label = Label::new(b"susurro/crypto/fingerprint/v1");
    /// [`crate::x25519::hash_to_point`].
    pub const HASH_TO_POINT: Label = Label::new(b"susurro/crypto/hash-to-point/v1");
    /// Used only by the known-answer vectors in `docs/vectors/crypto-h.json`.
    pub const TEST_VECTOR: Label = Label::new(b"susurro/crypto/test-vector/v1");

    /// Every label defined in this crate (checked distinct by a test).
    pub const ALL: &[Label] = &[FINGERPRINT, HASH_TO_POINT, TEST_VECTOR];
}

/// The first byte of every framed sponge input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    /// Unkeyed hash / XOF: [`H::new`], [`hash`].
    Hash = 0x01,
    /// Keyed MAC: [`H::new_keyed`], [`mac`].
    Mac = 0x02,
    /// Key derivation: [`kdf`], [`kdf_into`].
    Kdf = 0x03,
    /// Keystream: [`KeyStream`].
    Stream = 0x04,
}

/// The raw sponge (no framing). Exposed for known-answer tests and for
/// anyone who must match the byte-level definition; protocol code uses [`H`].
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Sponge {
    state: [u32; LANES],
    pos: usize,
}

impl Default for Sponge {
    fn default() -> Self {
        Self::new()
    }
}

impl Sponge {
    /// The all-zero state, ready to absorb.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            state: [0; LANES],
            pos: 0,
        }
    }

    fn permute(&mut self) {
        keccak_p800(&mut self.state);
    }

    fn xor_byte(&mut self, i: usize, b: u8) {
        if let Some(lane) = self.state.get_mut(i / 4) {
            *lane ^= u32::from(b) << (8 * (i % 4));
        }
    }

    fn byte(&self, i: usize) -> u8 {
        self.state
            .get(i / 4)
            .map_or(0, |lane| lane.to_le_bytes()[i % 4])
    }

    /// Absorbs raw bytes (no framing).
    pub fn absorb(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.pos == 0 && data.len() >= RATE {
                let (block, rest) = data.split_at(RATE);
                for (lane, c) in self.state.iter_mut().zip(block.chunks_exact(4)) {
                    *lane ^= u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                }
                self.permute();
                data = rest;
                continue;
            }
            let take = (RATE - self.pos).min(data.len());
            let (now, rest) = data.split_at(take);
            for (k, &b) in now.iter().enumerate() {
                self.xor_byte(self.pos + k, b);
            }
            self.pos += take;
            data = rest;
            if self.pos == RATE {
                self.permute();
                self.pos = 0;
            }
        }
    }

    /// Pads (`0x1F` … `0x80`), permutes and turns into an output reader.
    #[must_use]
    pub fn finalize(mut self) -> XofReader {
        self.xor_byte(self.pos, PAD_DOMAIN);
        self.xor_byte(RATE - 1, PAD_LAST);
        self.permute();
        self.pos = 0;
        XofReader { sponge: self }
    }

    fn squeeze_xor(&mut self, mut buf: &mut [u8]) {
        while !buf.is_empty() {
            if self.pos == RATE {
                self.permute();
                self.pos = 0;
            }
            if self.pos == 0 && buf.len() >= RATE {
                let (block, rest) = buf.split_at_mut(RATE);
                for (lane, c) in self.state[..RATE_LANES]
                    .iter()
                    .zip(block.chunks_exact_mut(4))
                {
                    for (o, k) in c.iter_mut().zip(lane.to_le_bytes()) {
                        *o ^= k;
                    }
                }
                self.pos = RATE;
                buf = rest;
                continue;
            }
            let take = (RATE - self.pos).min(buf.len());
            let (now, rest) = buf.split_at_mut(take);
            for (k, o) in now.iter_mut().enumerate() {
                *o ^= self.byte(self.pos + k);
            }
            self.pos += take;
            buf = rest;
        }
    }
}

/// The squeezing side of the sponge: an endless output stream.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct XofReader {
    sponge: Sponge,
}

impl XofReader {
    /// Writes the next `out.len()` output bytes into `out`.
    pub fn squeeze(&mut self, out: &mut [u8]) {
        out.fill(0);
        self.sponge.squeeze_xor(out);
    }

    /// XORs the next `buf.len()` output bytes into `buf`.
    pub fn squeeze_xor(&mut self, buf: &mut [u8]) {
        self.sponge.squeeze_xor(buf);
    }

    /// Returns the next `N` output bytes.
    #[must_use]
    pub fn squeeze_array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        self.sponge.squeeze_xor(&mut out);
        out
    }
}

impl core::fmt::Debug for XofReader {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("XofReader(<redacted>)")
    }
}

/// Incremental framed H (see the module docs for the byte layout).
///
/// ```
/// use susurro_crypto::h::{H, Label, hash};
/// const L: Label = Label::new(b"example/v1");
/// let mut h = H::new(L);
/// h.absorb(b"part one").absorb(b"part two");
/// let digest: [u8; 32] = h.finalize();
/// assert_eq!(digest, hash::<32>(L, &[b"part one", b"part two"]));
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct H {
    sponge: Sponge,
}

impl core::fmt::Debug for H {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("H(<redacted>)")
    }
}

impl H {
    /// Starts a framed sponge in `mode` with `label` absorbed.
    #[must_use]
    pub fn with_mode(mode: Mode, label: Label) -> Self {
        let mut h = Self {
            sponge: Sponge::new(),
        };
        h.sponge.absorb(&[mode as u8]);
        h.absorb(label.as_bytes());
        h
    }

    /// Unkeyed hash / XOF ([`Mode::Hash`]).
    #[must_use]
    pub fn new(label: Label) -> Self {
        Self::with_mode(Mode::Hash, label)
    }

    /// Keyed MAC ([`Mode::Mac`]); `key` is the first framed part.
    #[must_use]
    pub fn new_keyed(label: Label, key: &[u8]) -> Self {
        let mut h = Self::with_mode(Mode::Mac, label);
        h.absorb(key);
        h
    }

    /// Absorbs one framed part: `LE64(len) || part`.
    pub fn absorb(&mut self, part: &[u8]) -> &mut Self {
        self.sponge.absorb(&(part.len() as u64).to_le_bytes());
        self.sponge.absorb(part);
        self
    }

    /// Absorbs each of `parts` as its own framed part.
    pub fn absorb_all(&mut self, parts: &[&[u8]]) -> &mut Self {
        for p in parts {
            self.absorb(p);
        }
        self
    }

    /// Pads and returns the output reader.
    #[must_use]
    pub fn finalize_xof(mut self) -> XofReader {
        core::mem::take(&mut self.sponge).finalize()
    }

    /// Pads and returns the first `N` output bytes.
    #[must_use]
    pub fn finalize<const N: usize>(self) -> [u8; N] {
        self.finalize_xof().squeeze_array()
    }

    /// Pads and fills `out` with the first `out.len()` output bytes.
    pub fn finalize_into(self, out: &mut [u8]) {
        self.finalize_xof().squeeze(out);
    }
}

impl H {
    /// Starts one framed part of `len` bytes that arrives in pieces (a file
    /// too big to hold): absorbs `LE64(len)` now, then each piece given to
    /// [`PartInPieces::absorb`]. [`PartInPieces::end`] checks that exactly
    /// `len` bytes came and gives the `H` back, in the state
    /// [`H::absorb`] of the whole part would have left it.
    #[must_use]
    pub fn absorb_part_in_pieces(mut self, len: u64) -> PartInPieces {
        self.sponge.absorb(&len.to_le_bytes());
        PartInPieces { h: self, left: len }
    }
}

/// One framed part being absorbed piece by piece
/// ([`H::absorb_part_in_pieces`]). The sponge inside is wiped on drop.
#[derive(Debug)]
pub struct PartInPieces {
    h: H,
    left: u64,
}

/// A part absorbed in pieces got more or fewer bytes than its announced
/// length ([`H::absorb_part_in_pieces`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartLengthError {
    /// Bytes still expected when the error was found (0 when too many
    /// came).
    pub missing: u64,
}

impl core::fmt::Display for PartLengthError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.missing == 0 {
            f.write_str("more bytes than the part's announced length")
        } else {
            write!(f, "the part ended {} bytes short", self.missing)
        }
    }
}

impl core::error::Error for PartLengthError {}

impl PartInPieces {
    /// Absorbs the next piece of the part.
    ///
    /// # Errors
    /// [`PartLengthError`] (`missing: 0`) if the piece would take the part
    /// past its announced length; nothing is absorbed then.
    pub fn absorb(&mut self, piece: &[u8]) -> Result<&mut Self, PartLengthError> {
        match self.left.checked_sub(piece.len() as u64) {
            Some(left) => {
                self.h.sponge.absorb(piece);
                self.left = left;
                Ok(self)
            }
            None => Err(PartLengthError { missing: 0 }),
        }
    }

    /// Bytes of the part still to come.
    #[must_use]
    pub fn remaining(&self) -> u64 {
        self.left
    }

    /// Ends the part and returns the `H`, to absorb further parts or
    /// finalize.
    ///
    /// # Errors
    /// [`PartLengthError`] if fewer bytes than announced came.
    pub fn end(self) -> Result<H, PartLengthError> {
        if self.left == 0 {
            Ok(self.h)
        } else {
            Err(PartLengthError { missing: self.left })
        }
    }
}

/// One-shot hash: `N` bytes of `H(label, parts)` in [`Mode::Hash`].
#[must_use]
pub fn hash<const N: usize>(label: Label, parts: &[&[u8]]) -> [u8; N] {
    let mut h = H::new(label);
    h.absorb_all(parts);
    h.finalize()
}

/// One-shot hash into a caller buffer of any length.
pub fn hash_into(label: Label, parts: &[&[u8]], out: &mut [u8]) {
    let mut h = H::new(label);
    h.absorb_all(parts);
    h.finalize_into(out);
}

/// One-shot MAC: `N` bytes of `H(label, key, parts)` in [`Mode::Mac`].
#[must_use]
pub fn mac<const N: usize>(label: Label, key: &[u8], parts: &[&[u8]]) -> [u8; N] {
    let mut h = H::new_keyed(label, key);
    h.absorb_all(parts);
    h.finalize()
}

/// Recomputes the `N`-byte MAC and compares it with `tag` in constant time.
///
/// `N` is the tag length the protocol expects; the caller states it, never
/// the received data: a tag of any other length (a truncated tag is the
/// cheapest forgery there is) fails without being compared. The comparison
/// itself is constant time in the tag's contents.
///
/// # Errors
/// [`Error::AuthenticationFailed`] when `tag` is not exactly `N` bytes or
/// does not match.
pub fn verify_mac<const N: usize>(
    label: Label,
    key: &[u8],
    parts: &[&[u8]],
    tag: &[u8],
) -> Result<(), Error> {
    const { assert!(N > 0, "a MAC tag has at least one byte") };
    if tag.len() != N {
        return Err(Error::AuthenticationFailed);
    }
    let mut h = H::new_keyed(label, key);
    h.absorb_all(parts);
    let mut reader = h.finalize_xof();
    let mut ok = true;
    // Compare in 32-byte chunks so any tag length works without a buffer.
    for chunk in tag.chunks(32) {
        let mut expect = Secret::<32>::zero();
        let e = &mut expect.as_mut_bytes()[..chunk.len()];
        reader.squeeze(e);
        ok &= ct_eq(e, chunk);
    }
    if ok {
        Ok(())
    } else {
        Err(Error::AuthenticationFailed)
    }
}

/// Key derivation: `N` bytes from `key` and `context` in [`Mode::Kdf`].
#[must_use]
pub fn kdf<const N: usize>(label: Label, key: &[u8], context: &[&[u8]]) -> Secret<N> {
    let mut out = Secret::<N>::zero();
    kdf_into(label, key, context, &mut [out.as_mut_bytes()]);
    out
}

/// Key derivation into several outputs, filled in order from one output
/// stream: `outputs[0]` gets the first bytes, `outputs[1]` the next, and so on
/// (so `Ke[16] Kd[16] Kt[32] = H(S)` is one call).
pub fn kdf_into(label: Label, key: &[u8], context: &[&[u8]], outputs: &mut [&mut [u8]]) {
    let mut h = H::with_mode(Mode::Kdf, label);
    h.absorb(key);
    h.absorb_all(context);
    let mut reader = h.finalize_xof();
    for out in outputs.iter_mut() {
        reader.squeeze(out);
    }
}

/// XOR keystream from `key` and `nonce` ([`Mode::Stream`]): H in counter-free
/// XOF mode. Never reuse a (label, key, nonce) triple. The keystream is
/// unbounded; calls continue where the last one stopped.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct KeyStream {
    reader: XofReader,
}

impl core::fmt::Debug for KeyStream {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("KeyStream(<redacted>)")
    }
}

impl KeyStream {
    /// Keystream for `(label, key, nonce)`.
    #[must_use]
    pub fn new(label: Label, key: &[u8], nonce: &[u8]) -> Self {
        let mut h = H::with_mode(Mode::Stream, label);
        h.absorb(key).absorb(nonce);
        Self {
            reader: h.finalize_xof(),
        }
    }

    /// XORs the next `buf.len()` keystream bytes into `buf` (encrypts or
    /// decrypts in place).
    pub fn apply_keystream(&mut self, buf: &mut [u8]) {
        self.reader.squeeze_xor(buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keccak_p800_zero_state_vector() {
        // XKCP KeccakP-800 (22 rounds) applied to the all-zero state.
        let mut st = [0u32; 25];
        keccak_p800(&mut st);
        assert_eq!(st[0], 0xe531_d45d);
    }

    #[test]
    fn byte_order_is_little_endian_lanes() {
        let mut s = Sponge::new();
        s.absorb(&[1, 2, 3, 4, 5]);
        assert_eq!(s.state[0], 0x0403_0201);
        assert_eq!(s.state[1], 0x0000_0005);
        assert_eq!(s.byte(4), 5);
    }

    #[test]
    fn padding_is_shake_style() {
        // Empty message: state byte 0 ^= 0x1F, byte 67 ^= 0x80, permute.
        let mut st = [0u32; 25];
        st[0] ^= 0x1F;
        st[16] ^= 0x80 << 24;
        keccak_p800(&mut st);
        let mut out = [0u8; 68];
        Sponge::new().finalize().squeeze(&mut out);
        for (i, b) in out.iter().enumerate() {
            assert_eq!(*b, st[i / 4].to_le_bytes()[i % 4]);
        }
    }

    #[test]
    fn full_rate_message_padding_goes_to_a_new_block() {
        // 68 bytes absorbed: the padding starts a fresh block.
        let msg = [0xA5u8; RATE];
        let mut st = [0u32; 25];
        for lane in st.iter_mut().take(RATE_LANES) {
            *lane ^= 0xA5A5_A5A5;
        }
        keccak_p800(&mut st);
        st[0] ^= 0x1F;
        st[16] ^= 0x80 << 24;
        keccak_p800(&mut st);
        let mut s = Sponge::new();
        s.absorb(&msg);
        let out: [u8; 4] = s.finalize().squeeze_array();
        assert_eq!(out, st[0].to_le_bytes());
    }

    #[test]
    fn absorb_and_squeeze_are_split_invariant() {
        let data: [u8; 300] = core::array::from_fn(|i| (i * 7 + 3) as u8);
        let mut one = Sponge::new();
        one.absorb(&data);
        let mut a = [0u8; 300];
        one.finalize().squeeze(&mut a);
        for split in [0usize, 1, 3, 67, 68, 69, 136, 150, 299] {
            let mut s = Sponge::new();
            s.absorb(&data[..split]);
            s.absorb(&data[split..]);
            let mut r = s.finalize();
            let mut b = [0u8; 300];
            let (x, y) = b.split_at_mut(split);
            r.squeeze(x);
            r.squeeze(y);
            assert_eq!(a, b, "split at {split}");
        }
    }

    #[test]
    fn framing_separates_part_boundaries_and_modes() {
        let l = labels::TEST_VECTOR;
        let ab: [u8; 32] = hash(l, &[b"ab"]);
        let a_b: [u8; 32] = hash(l, &[b"a", b"b"]);
        let b_empty: [u8; 32] = hash(l, &[b"ab", b""]);
        assert_ne!(ab, a_b);
        assert_ne!(ab, b_empty);
        let m: [u8; 32] = mac(l, b"ab", &[]);
        assert_ne!(ab, m);
        let k = kdf::<32>(l, b"ab", &[]);
        assert_ne!(&m, k.expose());
        let mut ks = [0u8; 32];
        KeyStream::new(l, b"ab", b"").apply_keystream(&mut ks);
        assert_ne!(&ks, k.expose());
        assert_ne!(
            hash::<32>(Label::new(b"x"), &[b"y"]),
            hash::<32>(Label::new(b"xy"), &[])
        );
    }

    #[test]
    fn labels_are_distinct() {
        for (i, a) in labels::ALL.iter().enumerate() {
            for b in &labels::ALL[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn kdf_outputs_are_one_stream() {
        let l = labels::TEST_VECTOR;
        let whole = kdf::<48>(l, b"key", &[b"ctx"]);
        let mut a = [0u8; 16];
        let mut b = [0u8; 32];
        kdf_into(l, b"key", &[b"ctx"], &mut [&mut a, &mut b]);
        assert_eq!(&whole.expose()[..16], &a);
        assert_eq!(&whole.expose()[16..], &b);
    }

    #[test]
    fn mac_verifies_and_rejects() {
        let l = labels::TEST_VECTOR;
        let t: [u8; 40] = mac(l, b"k", &[b"m"]);
        assert_eq!(verify_mac::<40>(l, b"k", &[b"m"], &t), Ok(()));
        // A 16-byte tag is the first 16 bytes of the stream (output length
        // is not absorbed), verified as a 16-byte tag...
        assert_eq!(verify_mac::<16>(l, b"k", &[b"m"], &t[..16]), Ok(()));
        // ...but a prefix never passes for the full tag.
        for n in [0, 1, 16, 39] {
            assert_eq!(
                verify_mac::<40>(l, b"k", &[b"m"], &t[..n]),
                Err(Error::AuthenticationFailed),
                "{n}-byte prefix"
            );
        }
        let mut bad = t;
        bad[39] ^= 1;
        assert_eq!(
            verify_mac::<40>(l, b"k", &[b"m"], &bad),
            Err(Error::AuthenticationFailed)
        );
        assert_eq!(
            verify_mac::<40>(l, b"k2", &[b"m"], &t),
            Err(Error::AuthenticationFailed)
        );
    }

    #[test]
    fn a_part_in_pieces_equals_the_framed_part() {
        let l = labels::TEST_VECTOR;
        let data: [u8; 1000] = core::array::from_fn(|i| (i * 31 + 7) as u8);
        let pieces: [&[usize]; 5] = [&[1], &[67, 1], &[3, 65, 1, 68], &[500, 0, 137], &[1000]];
        for len in [0usize, 1, 67, 68, 69, 136, 1000] {
            let part = &data[..len];
            let one: [u8; 32] = hash(l, &[b"before", part, b"after"]);
            for sizes in pieces {
                let mut h = H::new(l);
                h.absorb(b"before");
                let mut p = h.absorb_part_in_pieces(len as u64);
                let mut at = 0;
                for &n in sizes.iter().cycle().take(len + 2) {
                    let n = n.min(len - at);
                    p.absorb(&part[at..at + n]).unwrap();
                    at += n;
                }
                assert_eq!(p.remaining(), 0);
                let mut h = p.end().unwrap();
                h.absorb(b"after");
                assert_eq!(h.finalize::<32>(), one, "len {len}, pieces {sizes:?}");
            }
        }
        // Too many bytes are refused (and not absorbed); too few as well.
        let mut p = H::new(l).absorb_part_in_pieces(3);
        assert_eq!(
            p.absorb(b"abcd").err(),
            Some(PartLengthError { missing: 0 })
        );
        p.absorb(b"ab").unwrap();
        assert_eq!(p.remaining(), 1);
        assert_eq!(p.absorb(b"cd").err(), Some(PartLengthError { missing: 0 }));
        p.absorb(b"c").unwrap();
        assert_eq!(p.end().unwrap().finalize::<32>(), hash::<32>(l, &[b"abc"]));
        let mut p = H::new(l).absorb_part_in_pieces(3);
        p.absorb(b"ab").unwrap();
        assert_eq!(p.end().err(), Some(PartLengthError { missing: 1 }));
    }

    #[test]
    fn keystream_round_trips_and_is_split_invariant() {
        let l = labels::TEST_VECTOR;
        let msg: [u8; 200] = core::array::from_fn(|i| i as u8);
        let mut c = msg;
        KeyStream::new(l, b"key", b"nonce").apply_keystream(&mut c);
        assert_ne!(c, msg);
        let mut d = c;
        let mut ks = KeyStream::new(l, b"key", b"nonce");
        let (x, y) = d.split_at_mut(70);
        ks.apply_keystream(x);
        ks.apply_keystream(y);
        assert_eq!(d, msg);
    }
}
