//! The initial key exchange: seed 002's triple DH extended with SPEKE, as
//! two typestate machines.
//!
//! Each state is its own type; a transition consumes it and returns the next
//! state with the message to send (or the point storage must multiply with
//! the long-term key). A stale state cannot be reused, and a message a state
//! does not expect cannot even be passed to it: the glue in
//! [`crate::core`]'s IKE driver maps "wrong message for this state" to
//! [`IkeError::UnexpectedMessage`] and aborts the attempt.
//!
//! ```text
//! A (originator)                                B (responder)
//! X' = X ^ H(MASK_X, U)        -- IkeCommit X' -->
//!                              <-- IkeEphemeral Y --
//! S = x*Y                      -- IkeSpekeU U -->   X = X' ^ H(MASK_X, U), S = y*X,
//!                                                   D = v*U, Tb = b*X (storage),
//!                              <-- IkeSpekeV V --   V = v*E(Tb)
//! V != U, D = u*V, F
//! A' = A ^ H(MASK_ID, D, ..)   -- IkeIdentity A' -> A = A' ^ .., F, Ta = y*A,
//!                              <-- IkeConfirm C --  C = H(CONFIRM_C, S, ..)
//! check C, T, Ta = a*Y (storage), keys = KDF(S, T)
//! Mx = MAC(Kmx, T, Ma, purpose) -- IkeAuthA Ma Mx purpose -> check Mx (abort), check Ma
//!                              <-- IkeAuthB Mb My - Mb random if Ma bad or A unknown,
//! check My (abort), check Mb                        My = MAC(Kmy, T, Mb)
//! ```
//!
//! The exact byte layouts and the reasons for every check are in
//! `docs/protocol.md`, section "Initial key exchange".

use susurro_crypto::{
    Error as CryptoError, Point, Secret, SecretKey, SharedPoint, ct_eq, ct_eq_choice, ct_select,
    hash, hash_to_point, kdf_into, mac,
};

use susurro_wire::{CallPurpose, Sas};

use crate::drbg::Drbg;
use crate::labels;

/// Length of Ma, Mb, Mx, My.
pub const TAG_LEN: usize = 16;

/// Which side of the exchange we are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A: placed the call, sends the commitment.
    Originator,
    /// B: answered the connection.
    Responder,
}

/// Why an attempt ended. Every variant aborts the key exchange; no key is
/// produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IkeError {
    /// A message arrived that the current state does not accept.
    UnexpectedMessage,
    /// A received point has small order (or a multiplication gave zero).
    LowOrderPoint,
    /// The peer sent our own value back (`V = U` or `Y = X`).
    Reflection,
    /// `C` did not verify: the responder does not know `y` (or the
    /// transcript was changed).
    ConfirmFailed,
    /// `Mx` or `My` did not verify: the two sides do not share `S` and `T`.
    KeyConfirmationFailed,
    /// Hash-to-point failed (negligible probability).
    HashToPoint,
    /// Storage refused or failed a multiplication with the long-term key.
    Storage,
    /// The step's deadline passed.
    Timeout,
    /// The peer announced another protocol version (the number it sent;
    /// `1` for the first wave's messages, which carried none).
    Version(u8),
}

impl From<CryptoError> for IkeError {
    fn from(e: CryptoError) -> Self {
        match e {
            CryptoError::HashToPointIdentity => IkeError::HashToPoint,
            _ => IkeError::LowOrderPoint,
        }
    }
}

impl core::fmt::Display for IkeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            IkeError::UnexpectedMessage => "unexpected message for this IKE state",
            IkeError::LowOrderPoint => "low-order point",
            IkeError::Reflection => "reflected value",
            IkeError::ConfirmFailed => "C did not verify",
            IkeError::KeyConfirmationFailed => "key confirmation failed",
            IkeError::HashToPoint => "hash to point failed",
            IkeError::Storage => "storage refused the multiplication",
            IkeError::Timeout => "IKE step timed out",
            IkeError::Version(_) => "the peer speaks another protocol version",
        })
    }
}

impl core::error::Error for IkeError {}

/// The derivation functions, public so a second implementation (and the
/// vectors) can check every intermediate value.
pub mod derive {
    use super::*;

    /// `H(IKE_MASK_X, U)[0..32]`: the mask of X.
    #[must_use]
    pub fn mask_x(u: &[u8; 32]) -> [u8; 32] {
        hash(labels::IKE_MASK_X, &[u])
    }

    /// `H(IKE_MASK_ID, D, X', Y, U, V)[0..32]`: the mask of A.
    #[must_use]
    pub fn mask_id(
        d: &[u8; 32],
        x_masked: &[u8; 32],
        y: &[u8; 32],
        u: &[u8; 32],
        v: &[u8; 32],
    ) -> Secret<32> {
        Secret::new(hash(labels::IKE_MASK_ID, &[d, x_masked, y, u, v]))
    }

    /// `H(IKE_SPEKE_F, D)[0..32]`: the SPEKE tag of the extended 3DH.
    #[must_use]
    pub fn speke_f(d: &[u8; 32]) -> Secret<32> {
        Secret::new(hash(labels::IKE_SPEKE_F, &[d]))
    }

    /// `H(IKE_CONFIRM_C, S, X', Y, U, V, A')[0..32]`.
    #[must_use]
    pub fn confirm_c(
        s: &[u8; 32],
        x_masked: &[u8; 32],
        y: &[u8; 32],
        u: &[u8; 32],
        v: &[u8; 32],
        a_masked: &[u8; 32],
    ) -> [u8; 32] {
        hash(labels::IKE_CONFIRM_C, &[s, x_masked, y, u, v, a_masked])
    }

    /// `T = H(IKE_TRANSCRIPT, X', Y, U, V, A', C)[0..32]`.
    #[must_use]
    pub fn transcript(
        x_masked: &[u8; 32],
        y: &[u8; 32],
        u: &[u8; 32],
        v: &[u8; 32],
        a_masked: &[u8; 32],
        c: &[u8; 32],
    ) -> [u8; 32] {
        hash(labels::IKE_TRANSCRIPT, &[x_masked, y, u, v, a_masked, c])
    }

    /// `Ma = MAC(IKE_AUTH_A, key S, T, F, Ta, Tb)[0..16]`.
    #[must_use]
    pub fn auth_a(
        s: &[u8; 32],
        t: &[u8; 32],
        f: &[u8; 32],
        ta: &[u8; 32],
        tb: &[u8; 32],
    ) -> [u8; TAG_LEN] {
        mac(labels::IKE_AUTH_A, s, &[t, f, ta, tb])
    }

    /// `Mb = MAC(IKE_AUTH_B, key S, T, F, Ta, Tb)[0..16]`.
    #[must_use]
    pub fn auth_b(
        s: &[u8; 32],
        t: &[u8; 32],
        f: &[u8; 32],
        ta: &[u8; 32],
        tb: &[u8; 32],
    ) -> [u8; TAG_LEN] {
        mac(labels::IKE_AUTH_B, s, &[t, f, ta, tb])
    }

    /// `Mx = MAC(IKE_CONFIRM_X, key Kmx, T, Ma, purpose)[0..16]`, the
    /// purpose as its one code byte.
    #[must_use]
    pub fn confirm_x(
        kmx: &Secret<32>,
        t: &[u8; 32],
        ma: &[u8; TAG_LEN],
        purpose: CallPurpose,
    ) -> [u8; TAG_LEN] {
        mac(
            labels::IKE_CONFIRM_X,
            kmx.expose(),
            &[t, ma, &[purpose.code()]],
        )
    }

    /// `My = MAC(IKE_CONFIRM_Y, key Kmy, T, Mb)[0..16]`.
    #[must_use]
    pub fn confirm_y(kmy: &Secret<32>, t: &[u8; 32], mb: &[u8; TAG_LEN]) -> [u8; TAG_LEN] {
        mac(labels::IKE_CONFIRM_Y, kmy.expose(), &[t, mb])
    }

    /// `SAS = LE24(KDF(IKE_SAS, key S, X', Y, U)[0..3])`: [`Sas::BYTES`]
    /// bytes read little-endian.
    ///
    /// Only values fixed before either side can know `S`: `X'` (A's
    /// commitment), `Y` (B's key, chosen before B sees `U`) and `U` (fixed by
    /// `X'`: A cannot open the commitment to another `X` whose logarithm she
    /// knows). `V`, `A'`, `C`, `Ma`, `Mb` are chosen after `S` is known and
    /// are left out, so no party can steer the SAS by trying values offline.
    #[must_use]
    pub fn sas(s: &[u8; 32], x_masked: &[u8; 32], y: &[u8; 32], u: &[u8; 32]) -> u32 {
        let mut sas = Secret::<{ Sas::BYTES }>::zero();
        kdf_into(
            labels::IKE_SAS,
            s,
            &[x_masked, y, u],
            &mut [sas.as_mut_bytes()],
        );
        Sas::from_le_bytes(*sas.expose()).value()
    }

    /// `KDF(IKE_SESSION, key S, T)`, split as
    /// `Kab[32] Kba[32] Kxab[32] Kxba[32] Kcmp[32] Kt[32] SID[16] Kmx[32] Kmy[32]`.
    /// The returned keys' `sas` is 0: the SAS is [`sas`], not from `T`.
    #[must_use]
    pub fn session(s: &[u8; 32], t: &[u8; 32]) -> (SessionKeys, Secret<32>, Secret<32>) {
        let mut k = SessionKeys {
            k_ab: Secret::zero(),
            k_ba: Secret::zero(),
            kx_ab: Secret::zero(),
            kx_ba: Secret::zero(),
            k_cmp: Secret::zero(),
            kt: Secret::zero(),
            sid: [0; 16],
            sas: 0,
        };
        let mut mx = Secret::<32>::zero();
        let mut my = Secret::<32>::zero();
        kdf_into(
            labels::IKE_SESSION,
            s,
            &[t],
            &mut [
                k.k_ab.as_mut_bytes(),
                k.k_ba.as_mut_bytes(),
                k.kx_ab.as_mut_bytes(),
                k.kx_ba.as_mut_bytes(),
                k.k_cmp.as_mut_bytes(),
                k.kt.as_mut_bytes(),
                &mut k.sid,
                mx.as_mut_bytes(),
                my.as_mut_bytes(),
            ],
        );
        (k, mx, my)
    }
}

/// Everything the IKE produces for the session. Secrets zeroize on drop.
pub struct SessionKeys {
    /// A→B direction key (voice and control roots).
    pub k_ab: Secret<32>,
    /// B→A direction key.
    pub k_ba: Secret<32>,
    /// Contact-transfer key for contacts A sends to B.
    pub kx_ab: Secret<32>,
    /// Contact-transfer key for contacts B sends to A.
    pub kx_ba: Secret<32>,
    /// Secret-compare key (both directions).
    pub k_cmp: Secret<32>,
    /// Kt: rekeys the transport layer.
    pub kt: Secret<32>,
    /// Session id (salt of the secret-compare stretching).
    pub sid: [u8; 16],
    /// Short authentication string, 24 bits ([`derive::sas`]).
    pub sas: u32,
}

impl core::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SessionKeys(<redacted>)")
    }
}

impl Drop for SessionKeys {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.sid);
        zeroize::Zeroize::zeroize(&mut self.sas);
    }
}

/// Proof that the peer's identity was verified: both sides proved their
/// long-term keys in this exchange, and each knew the other's.
///
/// Only the identity checks of this module ([`OAwaitMb::on_auth_b`],
/// [`RAwaitMa::on_auth_a`]) can make one (the field is private and so is
/// the constructor), so code that holds an `Authenticated` knows the check
/// passed; there is no flag to set by mistake.
#[derive(Debug)]
pub struct Authenticated(());

impl Authenticated {
    /// The proof, if the identity check passed.
    fn checked(passed: bool) -> Option<Self> {
        passed.then_some(Self(()))
    }
}

/// A finished key exchange.
#[derive(Debug)]
pub struct Established {
    /// Our role.
    pub role: Role,
    /// The session keys.
    pub keys: SessionKeys,
    /// Both sides proved their long-term keys (and each knew the other's):
    /// `identity.is_some()`, as reported outward.
    pub authenticated: bool,
    /// The proof behind `authenticated`; what the core acts on.
    pub identity: Option<Authenticated>,
    /// The peer's long-term key as claimed in the exchange (the callee's key
    /// we dialled, or the caller's unmasked key). Only to be trusted with
    /// `identity`.
    pub peer_key: Option<Point>,
    /// What the caller opened the connection for (covered by `Mx`).
    pub purpose: CallPurpose,
}

impl Established {
    fn new(
        role: Role,
        keys: SessionKeys,
        identity: Option<Authenticated>,
        peer_key: Option<Point>,
        purpose: CallPurpose,
    ) -> Self {
        Self {
            role,
            keys,
            authenticated: identity.is_some(),
            identity,
            peer_key,
            purpose,
        }
    }
}

fn point(b: &[u8; 32]) -> Point {
    Point::from_bytes(*b)
}

fn xor32(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    core::array::from_fn(|i| a[i] ^ b[i])
}

// ---- originator -----------------------------------------------------------

/// A, before anything was sent.
pub struct Originator;

impl Originator {
    /// Draws `x` (and a random stand-in `Tb` when `peer` is unknown), then
    /// `u`, in this order from `rng`; returns the first state and X'.
    ///
    /// # Errors
    /// [`IkeError::LowOrderPoint`] if `peer` is a small-order point.
    pub fn start(
        rng: &mut Drbg,
        own: Point,
        peer: Option<Point>,
    ) -> Result<(OAwaitY, [u8; 32]), IkeError> {
        let x = rng.scalar();
        let x_pub = x.public_key();
        let tb = match &peer {
            Some(b) => x.diffie_hellman(b)?.to_secret(),
            None => rng.secret::<32>(),
        };
        let p = hash_to_point(tb.expose())?;
        let u = rng.scalar();
        let u_pub = u.mul_point(&p)?;
        let x_masked = xor32(x_pub.as_bytes(), &derive::mask_x(u_pub.as_bytes()));
        Ok((
            OAwaitY {
                x,
                x_pub,
                u,
                u_pub,
                tb,
                x_masked,
                own,
                peer,
            },
            x_masked,
        ))
    }
}

/// A, waiting for Y.
pub struct OAwaitY {
    x: SecretKey,
    x_pub: Point,
    u: SecretKey,
    u_pub: Point,
    tb: Secret<32>,
    x_masked: [u8; 32],
    own: Point,
    peer: Option<Point>,
}

impl OAwaitY {
    /// Takes Y; returns the next state and U.
    ///
    /// # Errors
    /// [`IkeError::Reflection`] if `Y = X`, [`IkeError::LowOrderPoint`].
    pub fn on_ephemeral(self, y: &[u8; 32]) -> Result<(OAwaitV, [u8; 32]), IkeError> {
        if point(y).same_u(&self.x_pub) {
            return Err(IkeError::Reflection);
        }
        let s = self.x.diffie_hellman(&point(y))?;
        let u = self.u_pub.to_bytes();
        let sas = derive::sas(s.expose(), &self.x_masked, y, &u);
        Ok((
            OAwaitV {
                s,
                sas,
                y: *y,
                u: self.u,
                u_pub: self.u_pub,
                tb: self.tb,
                x_masked: self.x_masked,
                own: self.own,
                peer: self.peer,
            },
            u,
        ))
    }
}

/// A, waiting for V.
pub struct OAwaitV {
    s: SharedPoint,
    sas: u32,
    y: [u8; 32],
    u: SecretKey,
    u_pub: Point,
    tb: Secret<32>,
    x_masked: [u8; 32],
    own: Point,
    peer: Option<Point>,
}

impl OAwaitV {
    /// The SAS, fixed from here on: nothing received later changes it.
    #[must_use]
    pub fn sas(&self) -> u32 {
        self.sas
    }

    /// Takes V; returns the next state and A'.
    ///
    /// # Errors
    /// [`IkeError::Reflection`] if `V = U`, [`IkeError::LowOrderPoint`].
    pub fn on_speke_v(self, v: &[u8; 32]) -> Result<(OAwaitC, [u8; 32]), IkeError> {
        if point(v).same_u(&self.u_pub) {
            return Err(IkeError::Reflection);
        }
        let d = self.u.diffie_hellman(&point(v))?;
        let u = self.u_pub.to_bytes();
        let f = derive::speke_f(d.expose());
        let mask = derive::mask_id(d.expose(), &self.x_masked, &self.y, &u, v);
        let a_masked = xor32(self.own.as_bytes(), mask.expose());
        Ok((
            OAwaitC {
                s: self.s,
                sas: self.sas,
                f,
                tb: self.tb,
                x_masked: self.x_masked,
                y: self.y,
                u,
                v: *v,
                a_masked,
                peer: self.peer,
            },
            a_masked,
        ))
    }
}

/// A, waiting for C.
pub struct OAwaitC {
    s: SharedPoint,
    sas: u32,
    f: Secret<32>,
    tb: Secret<32>,
    x_masked: [u8; 32],
    y: [u8; 32],
    u: [u8; 32],
    v: [u8; 32],
    a_masked: [u8; 32],
    peer: Option<Point>,
}

impl OAwaitC {
    /// Takes C; returns the next state and the point storage must multiply
    /// by our long-term key (`Ta = a*Y`).
    ///
    /// # Errors
    /// [`IkeError::ConfirmFailed`] if C does not verify.
    pub fn on_confirm(self, c: &[u8; 32]) -> Result<(OAwaitTa, Point), IkeError> {
        let expect = derive::confirm_c(
            self.s.expose(),
            &self.x_masked,
            &self.y,
            &self.u,
            &self.v,
            &self.a_masked,
        );
        if !ct_eq(&expect, c) {
            return Err(IkeError::ConfirmFailed);
        }
        let t = derive::transcript(&self.x_masked, &self.y, &self.u, &self.v, &self.a_masked, c);
        let y = point(&self.y);
        Ok((
            OAwaitTa {
                s: self.s,
                sas: self.sas,
                f: self.f,
                tb: self.tb,
                t,
                peer: self.peer,
            },
            y,
        ))
    }
}

/// A, waiting for storage's `Ta = a*Y`.
pub struct OAwaitTa {
    s: SharedPoint,
    sas: u32,
    f: Secret<32>,
    tb: Secret<32>,
    t: [u8; 32],
    peer: Option<Point>,
}

impl OAwaitTa {
    /// Takes Ta and what the call is for; returns the next state, Ma and
    /// Mx (which covers `purpose`).
    pub fn on_tag(
        self,
        ta: &SharedPoint,
        purpose: CallPurpose,
    ) -> (OAwaitMb, [u8; TAG_LEN], [u8; TAG_LEN]) {
        let (mut keys, kmx, kmy) = derive::session(self.s.expose(), &self.t);
        keys.sas = self.sas;
        let ma = derive::auth_a(
            self.s.expose(),
            &self.t,
            self.f.expose(),
            ta.expose(),
            self.tb.expose(),
        );
        let mb = derive::auth_b(
            self.s.expose(),
            &self.t,
            self.f.expose(),
            ta.expose(),
            self.tb.expose(),
        );
        let mx = derive::confirm_x(&kmx, &self.t, &ma, purpose);
        (
            OAwaitMb {
                keys,
                kmy,
                t: self.t,
                mb: Secret::new(mb),
                peer: self.peer,
                purpose,
            },
            ma,
            mx,
        )
    }
}

/// A, waiting for Mb and My.
pub struct OAwaitMb {
    keys: SessionKeys,
    kmy: Secret<32>,
    t: [u8; 32],
    mb: Secret<TAG_LEN>,
    peer: Option<Point>,
    purpose: CallPurpose,
}

impl OAwaitMb {
    /// Takes Mb and My; the exchange is done.
    ///
    /// # Errors
    /// [`IkeError::KeyConfirmationFailed`] if My does not verify (over the
    /// Mb received: a changed Mb fails here too).
    pub fn on_auth_b(
        self,
        mb: &[u8; TAG_LEN],
        my: &[u8; TAG_LEN],
    ) -> Result<Established, IkeError> {
        if !ct_eq(&derive::confirm_y(&self.kmy, &self.t, mb), my) {
            return Err(IkeError::KeyConfirmationFailed);
        }
        let identity = Authenticated::checked(self.peer.is_some() && ct_eq(self.mb.expose(), mb));
        Ok(Established::new(
            Role::Originator,
            self.keys,
            identity,
            self.peer,
            self.purpose,
        ))
    }
}

// ---- responder ------------------------------------------------------------

/// B, waiting for the commitment X'.
pub struct Responder {
    y: SecretKey,
    y_pub: Point,
    v: SecretKey,
}

impl Responder {
    /// Draws `y` then `v` from `rng`.
    pub fn start(rng: &mut Drbg) -> Self {
        let y = rng.scalar();
        let y_pub = y.public_key();
        let v = rng.scalar();
        Self { y, y_pub, v }
    }

    /// Takes X'; returns the next state and Y.
    pub fn on_commit(self, x_masked: &[u8; 32]) -> (RAwaitU, [u8; 32]) {
        let y = self.y_pub.to_bytes();
        (
            RAwaitU {
                y: self.y,
                y_pub: self.y_pub,
                v: self.v,
                x_masked: *x_masked,
            },
            y,
        )
    }
}

/// B, waiting for U.
pub struct RAwaitU {
    y: SecretKey,
    y_pub: Point,
    v: SecretKey,
    x_masked: [u8; 32],
}

impl RAwaitU {
    /// Takes U; returns the next state and X, which storage must multiply
    /// by our long-term key (`Tb = b*X`).
    ///
    /// # Errors
    /// [`IkeError::LowOrderPoint`] for a small-order U or X,
    /// [`IkeError::Reflection`] if X = Y.
    pub fn on_speke_u(self, u: &[u8; 32]) -> Result<(RAwaitTb, Point), IkeError> {
        let x = xor32(&self.x_masked, &derive::mask_x(u));
        if point(&x).same_u(&self.y_pub) {
            return Err(IkeError::Reflection);
        }
        let s = self.y.diffie_hellman(&point(&x))?;
        let d = self.v.diffie_hellman(&point(u))?;
        let sas = derive::sas(s.expose(), &self.x_masked, self.y_pub.as_bytes(), u);
        Ok((
            RAwaitTb {
                sas,
                y: self.y,
                y_pub: self.y_pub,
                v: self.v,
                x_masked: self.x_masked,
                u: *u,
                s,
                d,
            },
            point(&x),
        ))
    }
}

/// B, waiting for storage's `Tb = b*X`.
pub struct RAwaitTb {
    sas: u32,
    y: SecretKey,
    y_pub: Point,
    v: SecretKey,
    x_masked: [u8; 32],
    u: [u8; 32],
    s: SharedPoint,
    d: SharedPoint,
}

impl RAwaitTb {
    /// The SAS, fixed from here on: nothing received later changes it.
    #[must_use]
    pub fn sas(&self) -> u32 {
        self.sas
    }

    /// Takes Tb; returns the next state and V.
    ///
    /// # Errors
    /// [`IkeError::HashToPoint`], or [`IkeError::Reflection`] if V = U.
    pub fn on_tag(self, tb: &SharedPoint) -> Result<(RAwaitA, [u8; 32]), IkeError> {
        let p = hash_to_point(tb.expose())?;
        let v = self.v.mul_point(&p)?.to_bytes();
        if point(&v).same_u(&point(&self.u)) {
            return Err(IkeError::Reflection);
        }
        Ok((
            RAwaitA {
                sas: self.sas,
                y: self.y,
                y_pub: self.y_pub,
                x_masked: self.x_masked,
                u: self.u,
                v,
                s: self.s,
                d: self.d,
                tb: tb.to_secret(),
            },
            v,
        ))
    }
}

/// B, waiting for A'.
pub struct RAwaitA {
    sas: u32,
    y: SecretKey,
    y_pub: Point,
    x_masked: [u8; 32],
    u: [u8; 32],
    v: [u8; 32],
    s: SharedPoint,
    d: SharedPoint,
    tb: Secret<32>,
}

impl RAwaitA {
    /// Takes A'; returns the next state, C, and the caller's claimed key A
    /// (to look up in the address book; `None` if it is not a valid key).
    pub fn on_identity(
        self,
        a_masked: &[u8; 32],
        rng: &mut Drbg,
    ) -> (RAwaitMa, [u8; 32], Option<Point>) {
        let y = self.y_pub.to_bytes();
        let mask = derive::mask_id(self.d.expose(), &self.x_masked, &y, &self.u, &self.v);
        let a = point(&xor32(a_masked, mask.expose()));
        let f = derive::speke_f(self.d.expose());
        // A wrong D (caller without our key, or a prober) unmasks garbage; a
        // garbage A that is a small-order point gets a random Ta so the
        // attempt continues unauthenticated exactly like any other unknown
        // caller.
        let (ta, claimed) = match self.y.diffie_hellman(&a) {
            Ok(ta) => (ta.to_secret(), Some(a)),
            Err(_) => (rng.secret::<32>(), None),
        };
        let c = derive::confirm_c(
            self.s.expose(),
            &self.x_masked,
            &y,
            &self.u,
            &self.v,
            a_masked,
        );
        let t = derive::transcript(&self.x_masked, &y, &self.u, &self.v, a_masked, &c);
        let (mut keys, kmx, kmy) = derive::session(self.s.expose(), &t);
        keys.sas = self.sas;
        let ma = derive::auth_a(
            self.s.expose(),
            &t,
            f.expose(),
            ta.expose(),
            self.tb.expose(),
        );
        let mb = derive::auth_b(
            self.s.expose(),
            &t,
            f.expose(),
            ta.expose(),
            self.tb.expose(),
        );
        (
            RAwaitMa {
                keys,
                kmx,
                kmy,
                t,
                ma: Secret::new(ma),
                mb: Secret::new(mb),
                claimed,
            },
            c,
            claimed,
        )
    }
}

/// B, waiting for Ma and Mx (and for the address-book answer about A).
pub struct RAwaitMa {
    keys: SessionKeys,
    kmx: Secret<32>,
    kmy: Secret<32>,
    t: [u8; 32],
    ma: Secret<TAG_LEN>,
    mb: Secret<TAG_LEN>,
    claimed: Option<Point>,
}

impl RAwaitMa {
    /// Takes Ma and Mx and whether A is in our address book; returns the
    /// result, Mb and My. Mb is replaced by 16 random bytes (drawn always,
    /// selected in constant time) unless Ma verified and A is known, so A
    /// learns nothing about which check failed.
    ///
    /// # Errors
    /// [`IkeError::KeyConfirmationFailed`] if Mx does not verify over the
    /// Ma received (so a Ma changed in transit aborts rather than passing
    /// for an unknown caller).
    pub fn on_auth_a(
        self,
        ma: &[u8; TAG_LEN],
        mx: &[u8; TAG_LEN],
        purpose: CallPurpose,
        known: bool,
        rng: &mut Drbg,
    ) -> Result<(Established, [u8; TAG_LEN], [u8; TAG_LEN]), IkeError> {
        let random = rng.secret::<TAG_LEN>();
        if !ct_eq(&derive::confirm_x(&self.kmx, &self.t, ma, purpose), mx) {
            return Err(IkeError::KeyConfirmationFailed);
        }
        let ok = ct_eq_choice(self.ma.expose(), ma)
            & subtle::Choice::from(u8::from(known && self.claimed.is_some()));
        let mb = ct_select(random.expose(), self.mb.expose(), ok);
        let my = derive::confirm_y(&self.kmy, &self.t, &mb);
        let identity = Authenticated::checked(bool::from(ok));
        Ok((
            Established::new(Role::Responder, self.keys, identity, self.claimed, purpose),
            mb,
            my,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> (SecretKey, SecretKey) {
        (
            SecretKey::from_bytes(&[0xa1; 32]),
            SecretKey::from_bytes(&[0xb2; 32]),
        )
    }

    /// Runs a full exchange; `peer_known` = A knows B, `known` = B knows A.
    fn run(peer_known: bool, known: bool) -> (Established, Established) {
        let (a, b) = keys();
        let mut ra = Drbg::from_seed(&[1; 32]);
        let mut rb = Drbg::from_seed(&[2; 32]);
        let peer = peer_known.then(|| b.public_key());
        let (oa, m1) = Originator::start(&mut ra, a.public_key(), peer).unwrap();
        let (rs, m2) = Responder::start(&mut rb).on_commit(&m1);
        let (oa, m3) = oa.on_ephemeral(&m2).unwrap();
        let (rs, x) = rs.on_speke_u(&m3).unwrap();
        let (rs, m4) = rs.on_tag(&b.diffie_hellman(&x).unwrap()).unwrap();
        let (oa, m5) = oa.on_speke_v(&m4).unwrap();
        let (rs, m6, claimed) = rs.on_identity(&m5, &mut rb);
        if peer_known {
            assert_eq!(claimed, Some(a.public_key()));
        } else {
            assert_ne!(claimed, Some(a.public_key()));
        }
        let (oa, y) = oa.on_confirm(&m6).unwrap();
        let (oa, ma, mx) = oa.on_tag(&a.diffie_hellman(&y).unwrap(), CallPurpose::Voice);
        let (eb, mb, my) = rs
            .on_auth_a(&ma, &mx, CallPurpose::Voice, known, &mut rb)
            .unwrap();
        let ea = oa.on_auth_b(&mb, &my).unwrap();
        (ea, eb)
    }

    #[test]
    fn authentication_matrix() {
        let (ea, eb) = run(true, true);
        assert!(ea.authenticated && eb.authenticated);
        assert_eq!(ea.keys.sas, eb.keys.sas);
        assert_eq!(ea.keys.k_ab, eb.keys.k_ab);
        for (pk, kn) in [(true, false), (false, true), (false, false)] {
            let (ea, eb) = run(pk, kn);
            assert!(!ea.authenticated && !eb.authenticated, "{pk} {kn}");
            assert_eq!(ea.keys.kt, eb.keys.kt);
        }
    }

    #[test]
    fn low_order_and_reflected_values_are_refused() {
        let (a, b) = keys();
        let mut ra = Drbg::from_seed(&[1; 32]);
        let (oa, m1) = Originator::start(&mut ra, a.public_key(), Some(b.public_key())).unwrap();
        assert!(matches!(
            oa.on_ephemeral(&[0; 32]),
            Err(IkeError::LowOrderPoint)
        ));
        // Y = X: A's own (unmasked) key reflected.
        let mut ra = Drbg::from_seed(&[1; 32]);
        let (oa, _) = Originator::start(&mut ra, a.public_key(), Some(b.public_key())).unwrap();
        let x = oa.x_pub.to_bytes();
        assert!(matches!(oa.on_ephemeral(&x), Err(IkeError::Reflection)));
        // V = U.
        let mut ra = Drbg::from_seed(&[1; 32]);
        let mut rb = Drbg::from_seed(&[2; 32]);
        let (oa, _) = Originator::start(&mut ra, a.public_key(), Some(b.public_key())).unwrap();
        let (_, m2) = Responder::start(&mut rb).on_commit(&m1);
        let (oa, u) = oa.on_ephemeral(&m2).unwrap();
        assert!(matches!(oa.on_speke_v(&u), Err(IkeError::Reflection)));
        // A small-order callee key.
        let mut ra = Drbg::from_seed(&[1; 32]);
        assert!(matches!(
            Originator::start(&mut ra, a.public_key(), Some(Point::from_bytes([0; 32]))),
            Err(IkeError::LowOrderPoint)
        ));
        // A small-order U at B.
        let mut rb = Drbg::from_seed(&[2; 32]);
        let (rs, _) = Responder::start(&mut rb).on_commit(&m1);
        let mut one = [0u8; 32];
        one[0] = 1;
        assert!(rs.on_speke_u(&one).is_err());
    }

    #[test]
    fn wrong_confirmations_abort() {
        let (a, b) = keys();
        let mut ra = Drbg::from_seed(&[1; 32]);
        let mut rb = Drbg::from_seed(&[2; 32]);
        let (oa, m1) = Originator::start(&mut ra, a.public_key(), Some(b.public_key())).unwrap();
        let (rs, m2) = Responder::start(&mut rb).on_commit(&m1);
        let (oa, m3) = oa.on_ephemeral(&m2).unwrap();
        let (rs, x) = rs.on_speke_u(&m3).unwrap();
        let (rs, m4) = rs.on_tag(&b.diffie_hellman(&x).unwrap()).unwrap();
        let (oa, m5) = oa.on_speke_v(&m4).unwrap();
        let (rs, mut m6, _) = rs.on_identity(&m5, &mut rb);
        m6[0] ^= 1;
        assert!(matches!(oa.on_confirm(&m6), Err(IkeError::ConfirmFailed)));
        let (ma, mut mx) = ([0u8; 16], [0u8; 16]);
        mx[3] = 9;
        assert!(matches!(
            rs.on_auth_a(&ma, &mx, CallPurpose::Voice, true, &mut rb),
            Err(IkeError::KeyConfirmationFailed)
        ));
    }
}
