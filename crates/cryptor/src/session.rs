//! The session cipher: encrypt-then-MAC (ChaCha20 keystream, H tag) with
//! separate per-epoch keys from H, one-way packet counters, a replay window
//! and a one-way key ratchet.
//!
//! Per direction and lane (voice, control) there is a chain key
//! `C_0 = KDF(root label, key = direction key)`. Packet `i` (a 64-bit
//! counter that starts at 0 and only grows) belongs to epoch `e = i >> 16`;
//! `C_{e+1} = KDF(SESSION_RATCHET, key = C_e)` and the epoch's keys are
//! `Kenc[32] || Kmac[16] = KDF(SESSION_EPOCH_KEYS, key = C_e)`. Then
//!
//! ```text
//! ct  = pt xor ChaCha20(Kenc, nonce = LE64(i) || 00000000, block counter 0)
//! tag = H_mac(mac label, key Kmac, LE64(i) || ct)[0..tag_len]   (one part)
//! ```
//!
//! The voice MAC label is 35 bytes, so `mode || LE64 || label || LE64 || Kmac`
//! is exactly one 68-byte block: the keyed state is computed once per epoch
//! and a frame of up to 51 bytes costs one permutation for the tag.
//!
//! On the wire only the low 32 bits of `i` travel (`seq`); the receiver
//! rebuilds `i` as the value closest to the highest counter it accepted.
//! Voice tags are 8 bytes (overhead 4 + 8 = 12 bytes a frame), control tags
//! 16 bytes. Receivers keep a 128-packet window (reordering inside it is
//! accepted once, duplicates and older packets are refused) and the previous
//! epoch's keys, so packets reordered across an epoch boundary still open.
//! Old chain keys are overwritten and zeroized: a compromise of today's keys
//! does not open earlier epochs.

use susurro_crypto::chacha::ChaCha20Stream;
use susurro_crypto::{H, Label, Secret, ct_eq, kdf, kdf_into};

use crate::labels;

/// Bytes of the packet counter on the wire.
pub const SEQ_LEN: usize = 4;
/// Tag bytes of a voice packet (64 bits).
pub const VOICE_TAG_LEN: usize = 8;
/// Tag bytes of a control packet (128 bits).
pub const CONTROL_TAG_LEN: usize = 16;
/// Packets per epoch: `1 << EPOCH_SHIFT` (65 536, 21 minutes of voice).
pub const EPOCH_SHIFT: u32 = 16;
/// Replay window, packets.
pub const WINDOW: u64 = 128;
/// Largest plaintext of one packet (a control message or a voice frame).
pub const MAX_PLAINTEXT: usize = susurro_wire::caps::SEALED;
/// How many epochs a receiver ratchets forward for one packet at most.
pub const MAX_EPOCH_SKIP: u64 = 8;

/// Which stream of a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Voice frames (8-byte tags).
    Voice,
    /// Control messages (sealed [`susurro_wire::PeerMessage`]s, 16-byte tags).
    Control,
}

impl Lane {
    const fn root(self) -> Label {
        match self {
            Lane::Voice => labels::SESSION_VOICE_ROOT,
            Lane::Control => labels::SESSION_CONTROL_ROOT,
        }
    }
    const fn mac(self) -> Label {
        match self {
            Lane::Voice => labels::SESSION_VOICE_MAC,
            Lane::Control => labels::SESSION_CONTROL_MAC,
        }
    }
    /// Tag length of this lane.
    #[must_use]
    pub const fn tag_len(self) -> usize {
        match self {
            Lane::Voice => VOICE_TAG_LEN,
            Lane::Control => CONTROL_TAG_LEN,
        }
    }
}

/// Why a packet was not sealed or opened. Deliberately without detail on
/// what was wrong with a forged packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionError {
    /// Shorter than a tag.
    Truncated,
    /// The output buffer is too small.
    BufferTooSmall,
    /// Already accepted (replay).
    Replay,
    /// Older than the replay window or the kept epochs.
    TooOld,
    /// Further ahead than [`MAX_EPOCH_SKIP`] epochs.
    TooFarAhead,
    /// The tag did not verify.
    Forged,
    /// The 64-bit counter is used up (not reachable in practice).
    Exhausted,
    /// The plaintext exceeds [`MAX_PLAINTEXT`].
    TooLong,
}

impl core::fmt::Display for SessionError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            SessionError::Truncated => "packet shorter than a tag",
            SessionError::BufferTooSmall => "output buffer too small",
            SessionError::Replay => "replayed packet",
            SessionError::TooOld => "packet older than the window",
            SessionError::TooFarAhead => "packet too far ahead",
            SessionError::Forged => "authentication failed",
            SessionError::Exhausted => "packet counter exhausted",
            SessionError::TooLong => "packet too long",
        })
    }
}

impl core::error::Error for SessionError {}

/// An epoch's keys: the ChaCha20 key and the keyed MAC sponge (label and
/// key already absorbed).
#[derive(Clone)]
struct EpochKeys {
    enc: Secret<32>,
    mac: H,
}

impl EpochKeys {
    fn new(lane: Lane, chain: &Secret<32>) -> Self {
        let mut k_enc = Secret::<32>::zero();
        let mut k_mac = Secret::<16>::zero();
        kdf_into(
            labels::SESSION_EPOCH_KEYS,
            chain.expose(),
            &[],
            &mut [k_enc.as_mut_bytes(), k_mac.as_mut_bytes()],
        );
        Self {
            enc: k_enc,
            mac: H::new_keyed(lane.mac(), k_mac.expose()),
        }
    }

    fn tag(&self, index: u64, ct: &[u8], out: &mut [u8]) {
        // One framed part `LE64(i) || ct` (saves a length prefix, so a
        // 40-byte frame fits the block). `ct` is at most MAX_PLAINTEXT
        // bytes: seal and open check it first.
        let mut h = self.mac.clone();
        let mut buf = [0u8; 8 + MAX_PLAINTEXT];
        let n = 8 + ct.len().min(MAX_PLAINTEXT);
        buf[..8].copy_from_slice(&index.to_le_bytes());
        buf[8..n].copy_from_slice(&ct[..n - 8]);
        h.absorb(&buf[..n]);
        h.finalize_into(out);
    }

    /// Checks `tag` over `ct` (into the scratch `expect`) before anything
    /// is decrypted, then decrypts `ct` into `out` (of `ct`'s length).
    fn open(
        &self,
        index: u64,
        ct: &[u8],
        tag: &[u8],
        expect: &mut [u8],
        out: &mut [u8],
    ) -> Result<(), SessionError> {
        self.tag(index, ct, expect);
        verify(expect, tag)?;
        out.copy_from_slice(ct);
        self.apply(index, out);
        Ok(())
    }

    fn apply(&self, index: u64, buf: &mut [u8]) {
        let mut nonce = [0u8; 12];
        nonce[..8].copy_from_slice(&index.to_le_bytes());
        // At most MAX_PLAINTEXT bytes from block 0: never near ChaCha20's
        // 2^32-block limit, so the keystream cannot run out.
        let _ = ChaCha20Stream::new(self.enc.expose(), &nonce).apply_keystream(buf);
    }
}

/// `C_{e+1}` from `C_e`.
#[must_use]
pub fn ratchet(chain: &Secret<32>) -> Secret<32> {
    kdf(labels::SESSION_RATCHET, chain.expose(), &[])
}

/// `C_0` of a lane from a direction key.
#[must_use]
pub fn chain_root(lane: Lane, direction_key: &Secret<32>) -> Secret<32> {
    kdf(lane.root(), direction_key.expose(), &[])
}

/// Where a lane stands in its chain: the chain key `C_e` of epoch `e` and
/// that epoch's keys. A sealer and its opener both keep one.
struct Chain {
    lane: Lane,
    key: Secret<32>,
    epoch: u64,
    keys: EpochKeys,
}

impl Chain {
    /// Epoch 0 of a lane from a direction key.
    fn new(lane: Lane, direction_key: &Secret<32>) -> Self {
        let key = chain_root(lane, direction_key);
        let keys = EpochKeys::new(lane, &key);
        Self {
            lane,
            key,
            epoch: 0,
            keys,
        }
    }

    /// Ratchets one epoch forward (the old chain key is dropped, and
    /// zeroized).
    fn step(&mut self) {
        self.key = ratchet(&self.key);
        self.epoch += 1;
        self.keys = EpochKeys::new(self.lane, &self.key);
    }
}

/// The sending half of a lane.
pub struct Sealer {
    chain: Chain,
    next: u64,
}

impl core::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Sealer({:?}, next {})", self.chain.lane, self.next)
    }
}

impl Sealer {
    /// A sealer whose first packet has counter 0.
    #[must_use]
    pub fn new(lane: Lane, direction_key: &Secret<32>) -> Self {
        Self {
            chain: Chain::new(lane, direction_key),
            next: 0,
        }
    }

    /// The counter the next packet will carry.
    #[must_use]
    pub const fn next_index(&self) -> u64 {
        self.next
    }

    /// Seals `pt` into `out` as `ct || tag`; returns the wire `seq` (low 32
    /// bits of the counter) and the sealed length.
    ///
    /// # Errors
    /// [`SessionError::BufferTooSmall`], [`SessionError::Exhausted`],
    /// [`SessionError::TooLong`].
    pub fn seal(&mut self, pt: &[u8], out: &mut [u8]) -> Result<(u32, usize), SessionError> {
        if pt.len() > MAX_PLAINTEXT {
            return Err(SessionError::TooLong);
        }
        let n = pt.len() + self.chain.lane.tag_len();
        let out = out.get_mut(..n).ok_or(SessionError::BufferTooSmall)?;
        let index = self.next;
        self.next = index.checked_add(1).ok_or(SessionError::Exhausted)?;
        let epoch = index >> EPOCH_SHIFT;
        while self.chain.epoch < epoch {
            self.chain.step();
        }
        let (ct, tag) = out.split_at_mut(pt.len());
        ct.copy_from_slice(pt);
        self.chain.keys.apply(index, ct);
        self.chain.keys.tag(index, ct, tag);
        Ok(((index & 0xffff_ffff) as u32, n))
    }

    /// Skips the counter forward (tests of the ratchet and of wrap-around).
    pub fn skip_to(&mut self, index: u64) {
        self.next = self.next.max(index);
    }
}

/// The receiving half of a lane.
pub struct Opener {
    chain: Chain,
    prev: Option<EpochKeys>,
    top: Option<u64>,
    seen: u128,
}

impl core::fmt::Debug for Opener {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Opener({:?}, top {:?})", self.chain.lane, self.top)
    }
}

impl Opener {
    /// An opener matching [`Sealer::new`] with the same key.
    #[must_use]
    pub fn new(lane: Lane, direction_key: &Secret<32>) -> Self {
        Self {
            chain: Chain::new(lane, direction_key),
            prev: None,
            top: None,
            seen: 0,
        }
    }

    /// The highest counter accepted so far.
    #[must_use]
    pub const fn top(&self) -> Option<u64> {
        self.top
    }

    /// The full counter for a wire `seq`: the value with these low 32 bits
    /// closest to the highest accepted counter.
    #[must_use]
    pub fn index_of(&self, seq: u32) -> u64 {
        let Some(top) = self.top else {
            return u64::from(seq);
        };
        let hi = top >> 32;
        let mut best = (hi << 32) | u64::from(seq);
        for h in [hi.wrapping_sub(1), hi.wrapping_add(1)] {
            if h > (u64::MAX >> 32) {
                continue;
            }
            let cand = (h << 32) | u64::from(seq);
            if cand.abs_diff(top) < best.abs_diff(top) {
                best = cand;
            }
        }
        best
    }

    /// Opens `sealed` (`ct || tag`) carrying wire counter `seq` into `out`;
    /// returns the full counter and the plaintext length. A packet is
    /// accepted at most once.
    ///
    /// # Errors
    /// [`SessionError::Forged`] (the tag is checked before anything else is
    /// changed), [`SessionError::Replay`], [`SessionError::TooOld`],
    /// [`SessionError::TooFarAhead`], [`SessionError::Truncated`],
    /// [`SessionError::BufferTooSmall`].
    pub fn open(
        &mut self,
        seq: u32,
        sealed: &[u8],
        out: &mut [u8],
    ) -> Result<(u64, usize), SessionError> {
        let tag_len = self.chain.lane.tag_len();
        let ct_len = sealed
            .len()
            .checked_sub(tag_len)
            .ok_or(SessionError::Truncated)?;
        let out = out.get_mut(..ct_len).ok_or(SessionError::BufferTooSmall)?;
        let (ct, tag) = sealed.split_at(ct_len);
        let index = self.index_of(seq);
        if let Some(top) = self.top
            && index <= top
        {
            let back = top - index;
            if back >= WINDOW {
                return Err(SessionError::TooOld);
            }
            if self.seen & (1u128 << back) != 0 {
                return Err(SessionError::Replay);
            }
        }
        let epoch = index >> EPOCH_SHIFT;
        let mut expect = [0u8; CONTROL_TAG_LEN];
        let expect = expect.get_mut(..tag_len).ok_or(SessionError::Truncated)?;
        if epoch == self.chain.epoch {
            self.chain.keys.open(index, ct, tag, expect, out)?;
        } else if epoch.checked_add(1) == Some(self.chain.epoch) {
            let keys = self.prev.as_ref().ok_or(SessionError::TooOld)?;
            keys.open(index, ct, tag, expect, out)?;
        } else if epoch > self.chain.epoch {
            if epoch - self.chain.epoch > MAX_EPOCH_SKIP {
                return Err(SessionError::TooFarAhead);
            }
            let mut chain = ratchet(&self.chain.key);
            let mut before = self.chain.key.clone();
            for _ in self.chain.epoch + 1..epoch {
                before = chain.clone();
                chain = ratchet(&chain);
            }
            let keys = EpochKeys::new(self.chain.lane, &chain);
            keys.open(index, ct, tag, expect, out)?;
            let prev = if epoch - self.chain.epoch == 1 {
                core::mem::replace(&mut self.chain.keys, keys)
            } else {
                self.chain.keys = keys;
                EpochKeys::new(self.chain.lane, &before)
            };
            self.prev = Some(prev);
            self.chain.key = chain;
            self.chain.epoch = epoch;
        } else {
            return Err(SessionError::TooOld);
        }
        self.accept(index);
        Ok((index, ct_len))
    }

    fn accept(&mut self, index: u64) {
        match self.top {
            Some(top) if index <= top => self.seen |= 1u128 << (top - index),
            Some(top) => {
                let shift = index - top;
                self.seen = if shift >= 128 { 0 } else { self.seen << shift };
                self.seen |= 1;
                self.top = Some(index);
            }
            None => {
                self.seen = 1;
                self.top = Some(index);
            }
        }
    }
}

fn verify(expect: &[u8], tag: &[u8]) -> Result<(), SessionError> {
    if ct_eq(expect, tag) {
        Ok(())
    } else {
        Err(SessionError::Forged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(lane: Lane) -> (Sealer, Opener) {
        let k = Secret::new([9u8; 32]);
        (Sealer::new(lane, &k), Opener::new(lane, &k))
    }

    #[test]
    fn round_trip_and_overhead() {
        let (mut s, mut o) = pair(Lane::Voice);
        let mut buf = [0u8; 64];
        let (seq, n) = s.seal(b"hello voice", &mut buf).unwrap();
        assert_eq!(n, 11 + VOICE_TAG_LEN);
        assert_eq!(SEQ_LEN + VOICE_TAG_LEN, 12);
        let mut pt = [0u8; 64];
        let (i, m) = o.open(seq, &buf[..n], &mut pt).unwrap();
        assert_eq!((i, &pt[..m]), (0, &b"hello voice"[..]));
        assert_eq!(o.open(seq, &buf[..n], &mut pt), Err(SessionError::Replay));
    }

    #[test]
    fn ratchet_crosses_epochs_and_reorders() {
        let (mut s, mut o) = pair(Lane::Control);
        s.skip_to((1 << EPOCH_SHIFT) - 2);
        let mut pkts = [[0u8; 32]; 4];
        let mut seqs = [0u32; 4];
        for (p, q) in pkts.iter_mut().zip(seqs.iter_mut()) {
            *q = s.seal(b"0123456789abcdef", p).unwrap().0;
        }
        let mut pt = [0u8; 32];
        // Deliver the two of the new epoch first, then the old ones.
        for k in [2usize, 3, 0, 1] {
            o.open(seqs[k], &pkts[k], &mut pt).unwrap();
            assert_eq!(&pt[..16], b"0123456789abcdef");
        }
    }

    #[test]
    fn counter_reconstruction_wraps() {
        let (_, mut o) = pair(Lane::Voice);
        assert_eq!(o.index_of(5), 5);
        o.top = Some((1u64 << 32) - 3);
        assert_eq!(o.index_of(2), (1u64 << 32) + 2);
        assert_eq!(o.index_of(u32::MAX - 10), (1u64 << 32) - 11);
        o.top = Some((1u64 << 32) + 1);
        assert_eq!(o.index_of(u32::MAX), (1u64 << 32) - 1);
        assert_eq!(o.index_of(7), (1u64 << 32) + 7);
        o.top = Some(3);
        assert_eq!(o.index_of(u32::MAX), u64::from(u32::MAX));
    }

    #[test]
    fn far_ahead_and_old_epochs_refused() {
        let (mut s, mut o) = pair(Lane::Voice);
        let mut buf = [0u8; 32];
        let mut pt = [0u8; 32];
        s.skip_to((MAX_EPOCH_SKIP + 1) << EPOCH_SHIFT);
        let (seq, n) = s.seal(b"far", &mut buf).unwrap();
        assert_eq!(
            o.open(seq, &buf[..n], &mut pt),
            Err(SessionError::TooFarAhead)
        );
        let (mut s, mut o) = pair(Lane::Voice);
        s.skip_to(3 << EPOCH_SHIFT);
        let (seq, n) = s.seal(b"three", &mut buf).unwrap();
        assert_eq!(o.open(seq, &buf[..n], &mut pt).unwrap().0, 3 << EPOCH_SHIFT);
        let (_, mut s0) = (0, Sealer::new(Lane::Voice, &Secret::new([9u8; 32])));
        let (seq, n) = s0.seal(b"zero", &mut buf).unwrap();
        assert_eq!(o.open(seq, &buf[..n], &mut pt), Err(SessionError::TooOld));
    }
}
