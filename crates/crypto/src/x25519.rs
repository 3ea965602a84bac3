//! X25519 keys, Elligator2 representatives, hash-to-point and fingerprints.
//!
//! * Points are X25519 u-coordinates ([`Point`], 32 bytes little-endian).
//! * Scalar multiplication is X25519 (RFC 7748): the scalar is clamped, so it
//!   is a multiple of the cofactor 8 and any small-order component of the
//!   input point vanishes. An all-zero result (input of small order) is
//!   rejected with [`Error::LowOrderPoint`].
//! * Ephemeral keys that travel as Elligator2 representatives use the
//!   `Randomized` variant of `curve25519-elligator2`: the public point is
//!   `clamp(k)·G + L` where the small-order point `L` is chosen by the
//!   three low bits of `k[0]`, so public points cover the whole curve and
//!   representatives are indistinguishable from 32 random bytes. Because the
//!   peer's X25519 scalar is clamped, `L` changes no Diffie-Hellman result.

use core::fmt;

use curve25519_elligator2::{
    EdwardsPoint as EllEdwards, MapToPointVariant, MontgomeryPoint as EllMontgomery, Randomized,
};
use subtle::ConstantTimeEq;
use x25519_dalek::{PublicKey as DalekPublic, StaticSecret};
use zeroize::Zeroize;

use crate::error::Error;
use crate::h::{self, H, labels};
use crate::secret::{Secret, Secret32};

/// How many keys [`EphemeralKeyPair::generate`] tries before it reports
/// [`Error::RngFailure`]. Each try succeeds with probability 1/2.
pub const KEYGEN_ATTEMPTS: usize = 64;

/// Length of a point, a scalar, a representative: 32 bytes.
pub const POINT_LEN: usize = 32;

/// Length of a key fingerprint: 16 bytes (128 bits).
pub const FINGERPRINT_LEN: usize = 16;

/// A public X25519 point: its u-coordinate, 32 bytes little-endian.
///
/// Used for public keys, SPEKE base points and SPEKE keys alike.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Point([u8; POINT_LEN]);

/// A public key is a [`Point`].
pub type PublicKey = Point;

impl Point {
    /// X25519's base point, u = 9.
    pub const BASE: Point = Point(x25519_dalek::X25519_BASEPOINT_BYTES);

    /// Wraps 32 bytes. Every 32-byte string is accepted: X25519 ignores the
    /// top bit, and small-order points are caught when multiplied.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; POINT_LEN]) -> Self {
        Self(bytes)
    }

    /// The 32 bytes.
    #[must_use]
    pub const fn to_bytes(&self) -> [u8; POINT_LEN] {
        self.0
    }

    /// Borrows the 32 bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; POINT_LEN] {
        &self.0
    }

    /// The canonical encoding of the u-coordinate these bytes name: bit 255
    /// cleared (X25519 ignores it), then reduced modulo `p = 2^255 - 19`
    /// (the 19 encodings `p .. 2^255 - 1` name `0 .. 18`). Two 32-byte
    /// strings name the same X25519 input exactly when their canonical
    /// encodings are equal. Constant time.
    #[must_use]
    pub fn canonical(&self) -> [u8; POINT_LEN] {
        let mut b = self.0;
        b[31] &= 0x7f;
        // Values in [p, 2^255) are 0x7fff…ff followed by a low byte >= 0xed.
        let mut high = b[31].ct_eq(&0x7f);
        for byte in &b[1..31] {
            high &= byte.ct_eq(&0xff);
        }
        let low_ge = !subtle::ConstantTimeLess::ct_lt(&b[0], &0xed);
        let reduce = high & low_ge;
        let mut reduced = [0u8; POINT_LEN];
        reduced[0] = b[0].wrapping_sub(0xed);
        for (out, r) in b.iter_mut().zip(reduced) {
            *out = subtle::ConditionallySelectable::conditional_select(&*out, &r, reduce);
        }
        b
    }

    /// Whether `self` and `other` name the same u-coordinate (compared
    /// canonically, see [`Point::canonical`]), in constant time. This is the
    /// comparison for reflection checks: raw bytes would miss a reflected
    /// value with bit 255 flipped, which X25519 treats as the same point.
    #[must_use]
    pub fn same_u(&self, other: &Point) -> bool {
        self.canonical().ct_eq(&other.canonical()).into()
    }
}

impl fmt::Debug for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Point({})", crate::hex::Lower(&self.0))
    }
}

/// The result of multiplying a point by a secret scalar (a DH secret, a SPEKE
/// secret, a tag such as `Tb = X·b`): zeroized on drop, redacted in `Debug`,
/// compared in constant time. Never all-zero when produced by this crate.
#[derive(Clone, PartialEq, Eq)]
pub struct SharedPoint(Secret32);

impl SharedPoint {
    /// Wraps 32 bytes received from elsewhere (e.g. a storage module that did
    /// the multiplication with the long-term key).
    ///
    /// # Errors
    /// [`Error::LowOrderPoint`] if the bytes are all zero.
    pub fn from_bytes(bytes: [u8; POINT_LEN]) -> Result<Self, Error> {
        let s = Secret::new(bytes);
        if bool::from(s.expose().ct_eq(&[0u8; POINT_LEN])) {
            Err(Error::LowOrderPoint)
        } else {
            Ok(Self(s))
        }
    }

    /// Borrows the secret bytes.
    #[must_use]
    pub const fn expose(&self) -> &[u8; POINT_LEN] {
        self.0.expose()
    }

    /// A copy of the secret bytes as a [`Secret32`] (zeroized on drop like
    /// this value).
    #[must_use]
    pub fn to_secret(&self) -> Secret32 {
        self.0.clone()
    }

    /// Declares the value public (e.g. a SPEKE key that is about to be sent).
    #[must_use]
    pub const fn into_public(&self) -> Point {
        Point(*self.0.expose())
    }
}

impl fmt::Debug for SharedPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedPoint(<redacted>)")
    }
}

impl ConstantTimeEq for SharedPoint {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.0.ct_eq(&other.0)
    }
}

/// An X25519 secret scalar (32 random bytes, clamped when used). Zeroized on
/// drop, redacted in `Debug`.
pub struct SecretKey(StaticSecret);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl SecretKey {
    /// 32 bytes from the caller's generator.
    pub fn generate<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self(StaticSecret::random_from_rng(rng))
    }

    /// Loads a stored scalar. The caller wipes its own copy.
    #[must_use]
    pub fn from_bytes(bytes: &[u8; POINT_LEN]) -> Self {
        Self(StaticSecret::from(*bytes))
    }

    /// Copies the scalar out (to store it encrypted).
    #[must_use]
    pub fn to_secret_bytes(&self) -> Secret32 {
        Secret::new(self.0.to_bytes())
    }

    /// The standard public key `clamp(k)·G` (in the prime-order subgroup).
    ///
    /// For a key made by [`EphemeralKeyPair`] this differs from
    /// [`EphemeralKeyPair::public_key`] by a small-order point; both give the
    /// same Diffie-Hellman results.
    #[must_use]
    pub fn public_key(&self) -> Point {
        Point(DalekPublic::from(&self.0).to_bytes())
    }

    /// X25519: `clamp(k)·P`, a secret.
    ///
    /// # Errors
    /// [`Error::LowOrderPoint`] if the result is all zero (the zero check
    /// is constant time; only its outcome is branched on).
    pub fn diffie_hellman(&self, point: &Point) -> Result<SharedPoint, Error> {
        let ss = self.0.diffie_hellman(&DalekPublic::from(point.0));
        SharedPoint::from_bytes(ss.to_bytes())
    }

    /// X25519 whose result is public, e.g. a SPEKE key `U = P·u`.
    ///
    /// # Errors
    /// [`Error::LowOrderPoint`] if `point` has small order.
    pub fn mul_point(&self, point: &Point) -> Result<Point, Error> {
        self.diffie_hellman(point).map(|s| s.into_public())
    }
}

/// An Elligator2 representative: 32 bytes indistinguishable from random that
/// decode to a public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Representative([u8; POINT_LEN]);

impl Representative {
    /// Wraps 32 received bytes. Every 32-byte string is a representative.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; POINT_LEN]) -> Self {
        Self(bytes)
    }

    /// The 32 bytes.
    #[must_use]
    pub const fn to_bytes(&self) -> [u8; POINT_LEN] {
        self.0
    }

    /// Borrows the 32 bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; POINT_LEN] {
        &self.0
    }

    /// Decodes to the public key (Elligator2 map, top two bits ignored).
    ///
    /// Total: every input gives a point. A point of small order comes out as
    /// such and is then refused by [`SecretKey::diffie_hellman`].
    #[must_use]
    pub fn to_point(&self) -> Point {
        EllMontgomery::from_representative::<Randomized>(&self.0)
            .map_or(Point([0u8; POINT_LEN]), |p| Point(p.to_bytes()))
    }
}

impl fmt::Debug for Representative {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Representative({})", crate::hex::Lower(&self.0))
    }
}

/// An ephemeral key pair whose public key has an Elligator2 representative.
#[derive(Debug)]
pub struct EphemeralKeyPair {
    secret: SecretKey,
    public: Point,
    representative: Representative,
}

impl EphemeralKeyPair {
    /// Draws keys until one has a representative (about two tries on
    /// average). Each try takes 33 bytes from `rng`: 32 for the scalar, 1 for
    /// the tweak (bit 0 picks one of the two representatives, bits 6 and 7
    /// fill the representative's spare top bits).
    ///
    /// # Errors
    /// [`Error::RngFailure`] after [`KEYGEN_ATTEMPTS`] failures.
    pub fn generate<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Result<Self, Error> {
        let mut seed = Secret::<33>::zero();
        for _ in 0..KEYGEN_ATTEMPTS {
            rng.fill_bytes(seed.as_mut_bytes());
            let (sk, tweak) = seed.expose().split_at(POINT_LEN);
            let mut key = [0u8; POINT_LEN];
            key.copy_from_slice(sk);
            let tweak = tweak.first().copied().unwrap_or(0);
            let r = Self::from_secret(&key, tweak);
            key.zeroize();
            if let Ok(pair) = r {
                return Ok(pair);
            }
        }
        Err(Error::RngFailure)
    }

    /// Deterministic constructor from a scalar and a tweak byte (for test
    /// vectors).
    ///
    /// # Errors
    /// [`Error::NoRepresentative`] when this scalar's public point has none.
    pub fn from_secret(secret: &[u8; POINT_LEN], tweak: u8) -> Result<Self, Error> {
        let rep: Option<[u8; POINT_LEN]> = Randomized::to_representative(secret, tweak).into();
        let representative = Representative(rep.ok_or(Error::NoRepresentative)?);
        // Decoding the representative is cheaper than a second base-point
        // multiplication and yields exactly the point the peer will see
        // (`clamp(k)·G + L`; checked against the multiplication in the tests).
        Ok(Self {
            secret: SecretKey::from_bytes(secret),
            public: representative.to_point(),
            representative,
        })
    }

    /// The secret scalar.
    #[must_use]
    pub const fn secret(&self) -> &SecretKey {
        &self.secret
    }

    /// Gives up the pair for its secret scalar.
    #[must_use]
    pub fn into_secret(self) -> SecretKey {
        self.secret
    }

    /// The public point the representative decodes to.
    #[must_use]
    pub const fn public_key(&self) -> Point {
        self.public
    }

    /// The representative to send.
    #[must_use]
    pub const fn representative(&self) -> Representative {
        self.representative
    }

    /// X25519 with this pair's secret.
    ///
    /// # Errors
    /// [`Error::LowOrderPoint`] as for [`SecretKey::diffie_hellman`].
    pub fn diffie_hellman(&self, point: &Point) -> Result<SharedPoint, Error> {
        self.secret.diffie_hellman(point)
    }
}

/// Hash-to-point `E(input)` for SPEKE base points.
///
/// `r0 || r1` = the first 64 bytes of `H(HASH_TO_POINT, input)`; each half is
/// mapped with Elligator2 (RFC 9380 `map_to_curve_elligator2`, top two bits
/// cleared) to an Edwards point, the two are added and the sum is multiplied
/// by the cofactor 8, then converted to its Montgomery u-coordinate. The
/// result lies in the prime-order subgroup; its discrete log is unknown. This
/// is the random-oracle construction of RFC 9380 (two maps, then clear the
/// cofactor), not the one-map "encode" variant.
///
/// # Errors
/// [`Error::HashToPointIdentity`] if the result is the identity (u = 0);
/// this needs a hash preimage of a small-order sum and is not expected.
pub fn hash_to_point(input: &[u8]) -> Result<Point, Error> {
    let mut h = H::new(labels::HASH_TO_POINT);
    h.absorb(input);
    let mut reader = h.finalize_xof();
    let mut r = Secret::<64>::zero();
    reader.squeeze(r.as_mut_bytes());
    let point = hash_to_point_from_uniform(r.expose());
    if bool::from(point.ct_eq(&[0u8; POINT_LEN])) {
        Err(Error::HashToPointIdentity)
    } else {
        Ok(Point(point))
    }
}

/// The map step of [`hash_to_point`] on 64 already-hashed bytes; returns the
/// u-coordinate (all zero for the identity).
fn hash_to_point_from_uniform(r: &[u8; 64]) -> [u8; POINT_LEN] {
    let (_, _, _, q) = hash_to_point_edwards(r);
    q.to_montgomery().to_bytes()
}

/// The Edwards steps of [`hash_to_point`] on 64 already-hashed bytes:
/// `(Q0, Q1, Q0 + Q1, 8·(Q0 + Q1))`. The one implementation, used by
/// [`hash_to_point`] and by [`steps::hash_to_point_steps`].
fn hash_to_point_edwards(r: &[u8; 64]) -> (EllEdwards, EllEdwards, EllEdwards, EllEdwards) {
    let mut r0 = [0u8; POINT_LEN];
    let mut r1 = [0u8; POINT_LEN];
    let (a, b) = r.split_at(POINT_LEN);
    r0.copy_from_slice(a);
    r1.copy_from_slice(b);
    let p0 = EllEdwards::map_to_point(&r0);
    let p1 = EllEdwards::map_to_point(&r1);
    r0.zeroize();
    r1.zeroize();
    let sum = p0 + p1;
    (p0, p1, sum, sum.mul_by_cofactor())
}

pub mod steps {
    //! Intermediate values of the Elligator2 key pairs, the Elligator2 map
    //! and [`hash_to_point`](super::hash_to_point), computed by the same code
    //! as the real operations.
    //!
    //! For known-answer vectors (`docs/vectors/elligator2.json`) and for
    //! checking an independent implementation of `docs/protocol.md`,
    //! section Primitives, against this one. Protocol code never needs
    //! them. The values are as secret as the inputs they come from (a secret
    //! scalar, a hashed SPEKE tag): these functions do not zeroize them.

    use curve25519_elligator2::{EdwardsPoint as EllEdwards, MapToPointVariant, Randomized};

    use super::POINT_LEN;
    use crate::h::{H, labels};

    /// A point of edwards25519 in the two forms the specification uses.
    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    pub struct EdwardsView {
        /// RFC 8032 encoding: `y` as 32 bytes little-endian, with bit 255
        /// set to `x mod 2` (the sign of `x`).
        pub compressed: [u8; POINT_LEN],
        /// The Curve25519 u-coordinate `(1 + y) / (1 - y)`, 32 bytes
        /// little-endian, canonical. The identity (`y = 1`) gives `0`, like
        /// the point of order 2 `(0, -1)`.
        pub u: [u8; POINT_LEN],
    }

    impl EdwardsView {
        fn of(p: &EllEdwards) -> Self {
            Self {
                compressed: p.compress().to_bytes(),
                u: p.to_montgomery().to_bytes(),
            }
        }
    }

    /// How [`EphemeralKeyPair::from_secret`](super::EphemeralKeyPair::from_secret)
    /// builds its public point from the scalar `k`.
    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    pub struct KeyPairSteps {
        /// `k[0] mod 8`: the index `n` of the small-order point.
        pub torsion_index: u8,
        /// The small-order point `L = n·T` that is added.
        pub small_order: EdwardsView,
        /// `clamp(k)·B`, the standard X25519 public key as an Edwards point.
        pub clamped: EdwardsView,
        /// `clamp(k)·B + L` (Edwards addition): the public point whose
        /// u-coordinate the representative encodes.
        pub public: EdwardsView,
    }

    /// The key-pair steps for the scalar `secret`. `L` is measured, not
    /// looked up: it is the crate's `Randomized` base multiplication minus
    /// the plain clamped one, so the values show what the key generation
    /// really does.
    #[must_use]
    pub fn key_pair_steps(secret: &[u8; POINT_LEN]) -> KeyPairSteps {
        let clean = EllEdwards::mul_base_clamped(*secret);
        let dirty = Randomized::mul_base_clamped(*secret);
        let small = dirty - clean;
        KeyPairSteps {
            torsion_index: secret[0] & 7,
            small_order: EdwardsView::of(&small),
            clamped: EdwardsView::of(&clean),
            public: EdwardsView::of(&dirty),
        }
    }

    /// The small-order point `L` that a scalar with `k[0] mod 8 = n` gets
    /// (`n = k0 & 7`; the other bits of `k0` do not matter). Equal to
    /// `n·T` for the point `T` of order 8 named in the specification.
    #[must_use]
    pub fn small_order_point(k0: u8) -> EdwardsView {
        let mut k = [0u8; POINT_LEN];
        k[0] = k0;
        key_pair_steps(&k).small_order
    }

    /// The Edwards point of the Elligator2 map of `r` (RFC 9380
    /// `map_to_curve_elligator2_edwards25519`, top two bits of `r[31]`
    /// cleared): `Q0` or `Q1` of [`hash_to_point`](super::hash_to_point).
    /// Its `u` is what [`Representative::to_point`](super::Representative::to_point)
    /// returns for `r`; the sign of its `x` shows the sign convention of the
    /// map's Montgomery `v`.
    #[must_use]
    pub fn map_edwards(r: &[u8; POINT_LEN]) -> EdwardsView {
        EdwardsView::of(&EllEdwards::map_to_point(r))
    }

    /// The steps of [`hash_to_point`](super::hash_to_point)`(input)`.
    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    pub struct HashToPointSteps {
        /// `r0 || r1`: the first 64 bytes of `H(HASH_TO_POINT, input)`.
        pub r: [u8; 64],
        /// `Q0 = map(r0)`.
        pub q0: EdwardsView,
        /// `Q1 = map(r1)`.
        pub q1: EdwardsView,
        /// `Q0 + Q1` (Edwards addition).
        pub sum: EdwardsView,
        /// `8·(Q0 + Q1)`; its `u` is the output of `hash_to_point` (which
        /// fails instead when it is the identity).
        pub cleared: EdwardsView,
    }

    /// The steps of [`hash_to_point`](super::hash_to_point) for `input`,
    /// computed by the same function.
    #[must_use]
    pub fn hash_to_point_steps(input: &[u8]) -> HashToPointSteps {
        let mut h = H::new(labels::HASH_TO_POINT);
        h.absorb(input);
        let mut r = [0u8; 64];
        h.finalize_xof().squeeze(&mut r);
        let (q0, q1, sum, cleared) = super::hash_to_point_edwards(&r);
        HashToPointSteps {
            r,
            q0: EdwardsView::of(&q0),
            q1: EdwardsView::of(&q1),
            sum: EdwardsView::of(&sum),
            cleared: EdwardsView::of(&cleared),
        }
    }
}

/// A 128-bit fingerprint of a public key: `H(FINGERPRINT, pubkey)[..16]`.
#[must_use]
pub fn fingerprint(public: &Point) -> [u8; FINGERPRINT_LEN] {
    h::hash(labels::FINGERPRINT, &[public.as_bytes()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_u_clears_bit_255_and_reduces_mod_p() {
        let mut x = [0x5au8; 32];
        x[31] = 0x3c;
        let p = Point::from_bytes(x);
        let mut flipped = x;
        flipped[31] |= 0x80;
        assert_eq!(Point::from_bytes(flipped).canonical(), x);
        assert!(p.same_u(&Point::from_bytes(flipped)));
        // p itself names 0; p + 18 = 2^255 - 1 names 18; both with bit 255 set too.
        let mut pm = [0xffu8; 32];
        pm[0] = 0xed;
        pm[31] = 0x7f;
        assert_eq!(Point::from_bytes(pm).canonical(), [0; 32]);
        pm[31] = 0xff;
        assert_eq!(Point::from_bytes(pm).canonical(), [0; 32]);
        let mut top = [0xffu8; 32];
        top[31] = 0x7f;
        let mut eighteen = [0u8; 32];
        eighteen[0] = 18;
        assert_eq!(Point::from_bytes(top).canonical(), eighteen);
        // p - 1 is canonical already.
        let mut pm1 = [0xffu8; 32];
        pm1[0] = 0xec;
        pm1[31] = 0x7f;
        assert_eq!(Point::from_bytes(pm1).canonical(), pm1);
        assert!(!p.same_u(&Point::from_bytes(pm1)));
        // Same DH result for both encodings: X25519 really sees one point.
        let k = SecretKey::from_bytes(&[7; 32]);
        let a = k.mul_point(&p).expect("not low order");
        let b = k
            .mul_point(&Point::from_bytes(flipped))
            .expect("not low order");
        assert_eq!(a, b);
    }

    /// Counter-based generator for unit tests only (not random at all).
    struct Counter(u8);
    impl rand_core::TryRng for Counter {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            let mut b = [0u8; 4];
            self.try_fill_bytes(&mut b)?;
            Ok(u32::from_le_bytes(b))
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            let mut b = [0u8; 8];
            self.try_fill_bytes(&mut b)?;
            Ok(u64::from_le_bytes(b))
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            for d in dst {
                self.0 = self.0.wrapping_mul(167).wrapping_add(13);
                *d = self.0;
            }
            Ok(())
        }
    }
    impl rand_core::TryCryptoRng for Counter {}

    /// Always the same bytes: a "broken" generator.
    struct Stuck(u8);
    impl rand_core::TryRng for Stuck {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Ok(0)
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            Ok(0)
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            dst.fill(self.0);
            Ok(())
        }
    }
    impl rand_core::TryCryptoRng for Stuck {}

    #[test]
    fn dh_agrees_and_ephemeral_decodes() {
        let mut rng = Counter(1);
        let a = EphemeralKeyPair::generate(&mut rng).unwrap();
        let b = SecretKey::generate(&mut rng);
        let a_pub = a.representative().to_point();
        assert_eq!(a_pub, a.public_key());
        let k = a.secret().to_secret_bytes();
        let dirty = Randomized::mul_base_clamped(*k.expose()).to_montgomery();
        assert_eq!(a_pub.to_bytes(), dirty.to_bytes());
        let s1 = b.diffie_hellman(&a_pub).unwrap();
        let s2 = a.diffie_hellman(&b.public_key()).unwrap();
        assert_eq!(s1, s2);
        // The "clean" public key gives the same result.
        let s3 = b.diffie_hellman(&a.secret().public_key()).unwrap();
        assert_eq!(s1, s3);
    }

    #[test]
    fn low_order_points_are_rejected() {
        let k = SecretKey::from_bytes(&[7u8; 32]);
        assert_eq!(
            k.diffie_hellman(&Point::from_bytes([0u8; 32])),
            Err(Error::LowOrderPoint)
        );
        let mut one = [0u8; 32];
        one[0] = 1;
        assert_eq!(
            k.diffie_hellman(&Point::from_bytes(one)),
            Err(Error::LowOrderPoint)
        );
        // A representative of zero decodes to u = 0.
        let p = Representative::from_bytes([0u8; 32]).to_point();
        assert_eq!(k.mul_point(&p), Err(Error::LowOrderPoint));
        assert_eq!(SharedPoint::from_bytes([0; 32]), Err(Error::LowOrderPoint));
    }

    #[test]
    fn stuck_rng_is_a_typed_error() {
        // Find a byte b such that the scalar [b; 32] (tweak b) has no
        // representative; a generator stuck on b then never succeeds.
        let b = (0u8..=255)
            .find(|&b| EphemeralKeyPair::from_secret(&[b; 32], b).is_err())
            .unwrap();
        assert_eq!(
            EphemeralKeyPair::from_secret(&[b; 32], b).err(),
            Some(Error::NoRepresentative)
        );
        assert_eq!(
            EphemeralKeyPair::generate(&mut Stuck(b)).err(),
            Some(Error::RngFailure)
        );
    }

    #[test]
    fn hash_to_point_is_in_prime_order_subgroup() {
        // l·P must be the identity: multiply by the group order l.
        let p = hash_to_point(b"tag").unwrap();
        let ed = EllMontgomery(p.to_bytes()).to_edwards(0).unwrap();
        assert!(ed.is_torsion_free());
        assert_ne!(p, hash_to_point(b"tag2").unwrap());
        // A zero-input map (r = 0 gives u = 0 twice) is the identity.
        assert_eq!(hash_to_point_from_uniform(&[0u8; 64]), [0u8; 32]);
    }

    #[test]
    fn spake_style_agreement() {
        let p = hash_to_point(b"shared tag").unwrap();
        let mut rng = Counter(9);
        let u = SecretKey::generate(&mut rng);
        let v = SecretKey::generate(&mut rng);
        let big_u = u.mul_point(&p).unwrap();
        let big_v = v.mul_point(&p).unwrap();
        assert_eq!(
            u.diffie_hellman(&big_v).unwrap(),
            v.diffie_hellman(&big_u).unwrap()
        );
    }

    #[test]
    fn fingerprint_is_labelled_hash() {
        let p = Point::BASE;
        assert_eq!(
            fingerprint(&p),
            h::hash::<16>(labels::FINGERPRINT, &[p.as_bytes()])
        );
    }
}
