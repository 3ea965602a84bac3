//! Session 1: exchange of Elligator2 representatives with random padding.
//!
//! ```text
//! request = R_a (32) || P_a (0..=pad_max) || M_a (16) || T_a (16)
//! reply   = R_b (32) || P_b (0..=pad_max) || M_b (16) || e (1) || T_b (16)
//! M_x     = MAC(S1_MARK, access_key, R_x)[0..16]          end-of-padding marker
//! T_a     = MAC(S1_REQUEST_MAC, access_key, R_a, P_a)[0..16]
//! e       = effort XOR KDF(S1_EFFORT, K, R_a, R_b)[0]
//! T_b     = MAC(S1_REPLY_MAC, K, access_key, R_a, R_b, P_b, e)[0..16]
//! ```
//!
//! The padding is random bytes of a length uniform in `0..=pad_max`. The
//! receiver finds the end of the padding by the marker, which only holders
//! of the access key can compute; after the message, each side closes.

use rand_core::CryptoRng;
use susurro_crypto::{Representative, Secret, ct_eq, kdf, mac, verify_mac};

use crate::config::{Config, uniform_len};
use crate::error::Error;
use crate::labels;
use crate::pow::MAX_EFFORT;

/// Representative length.
pub const REP_LEN: usize = 32;
/// Marker and tag length.
pub const MARK_LEN: usize = 16;

/// Length of the session-1 tags `T_a` and `T_b`.
pub const TAG_LEN: usize = 16;
/// Bytes after the request's marker (its tag).
pub const REQUEST_TRAILER: usize = MARK_LEN;
/// Bytes after the reply's marker (effort byte and tag).
pub const REPLY_TRAILER: usize = 1 + MARK_LEN;

/// The marker of a representative.
#[must_use]
pub fn marker(access_key: &Secret<32>, rep: &[u8]) -> [u8; MARK_LEN] {
    mac::<MARK_LEN>(labels::S1_MARK, access_key.expose(), &[rep])
}

/// Finds a complete marked message in `buf`: `Ok(None)` when more bytes are
/// needed, `Ok(Some(offset of the marker))` when complete.
///
/// # Errors
/// [`Error::Malformed`] when no marker can follow any more, or bytes follow
/// the message.
pub fn find_marked(
    buf: &[u8],
    access_key: &Secret<32>,
    pad_max: usize,
    trailer: usize,
) -> Result<Option<usize>, Error> {
    let Some(rep) = buf.get(..REP_LEN) else {
        return Ok(None);
    };
    let m = marker(access_key, rep);
    let last = REP_LEN + pad_max;
    let mut at = REP_LEN;
    while at <= last && at + MARK_LEN <= buf.len() {
        if ct_eq(&buf[at..at + MARK_LEN], &m) {
            let end = at + MARK_LEN + trailer;
            return match buf.len().cmp(&end) {
                core::cmp::Ordering::Less => Ok(None),
                core::cmp::Ordering::Equal => Ok(Some(at)),
                core::cmp::Ordering::Greater => Err(Error::Malformed),
            };
        }
        at += 1;
    }
    if buf.len() >= last + MARK_LEN {
        Err(Error::Malformed)
    } else {
        Ok(None)
    }
}

fn rep_of(buf: &[u8]) -> Representative {
    let mut r = [0u8; REP_LEN];
    r.copy_from_slice(&buf[..REP_LEN]);
    Representative::from_bytes(r)
}

fn random_pad<R: CryptoRng + ?Sized>(pad_max: usize, rng: &mut R) -> Vec<u8> {
    let mut p = vec![0u8; uniform_len(pad_max, rng)];
    rng.fill_bytes(&mut p);
    p
}

/// Builds a request.
pub fn build_request<R: CryptoRng + ?Sized>(
    access_key: &Secret<32>,
    local: &Representative,
    pad_max: usize,
    rng: &mut R,
) -> Vec<u8> {
    let pad = random_pad(pad_max, rng);
    let mut out = Vec::with_capacity(REP_LEN + pad.len() + 2 * MARK_LEN);
    out.extend_from_slice(local.as_bytes());
    out.extend_from_slice(&pad);
    out.extend_from_slice(&marker(access_key, local.as_bytes()));
    out.extend_from_slice(&mac::<MARK_LEN>(
        labels::S1_REQUEST_MAC,
        access_key.expose(),
        &[local.as_bytes(), &pad],
    ));
    out
}

/// Parses a request: `Ok(Some((R_a, M_a)))` once complete and authentic.
///
/// # Errors
/// [`Error::Malformed`] or [`Error::Authentication`]: a probe.
pub fn parse_request(
    buf: &[u8],
    access_key: &Secret<32>,
    pad_max: usize,
) -> Result<Option<(Representative, [u8; MARK_LEN])>, Error> {
    let Some(at) = find_marked(buf, access_key, pad_max, REQUEST_TRAILER)? else {
        return Ok(None);
    };
    verify_mac::<TAG_LEN>(
        labels::S1_REQUEST_MAC,
        access_key.expose(),
        &[&buf[..REP_LEN], &buf[REP_LEN..at]],
        &buf[at + MARK_LEN..],
    )
    .map_err(|_| Error::Authentication)?;
    let mut m = [0u8; MARK_LEN];
    m.copy_from_slice(&buf[at..at + MARK_LEN]);
    Ok(Some((rep_of(buf), m)))
}

/// The mask of the reply's effort byte:
/// `KDF(S1_EFFORT, key = K, R_a, R_b)[0]`; the reply carries
/// `e = effort XOR mask`.
#[must_use]
pub fn effort_mask(secret: &Secret<32>, r_a: &Representative, r_b: &Representative) -> u8 {
    kdf::<1>(
        labels::S1_EFFORT,
        secret.expose(),
        &[r_a.as_bytes(), r_b.as_bytes()],
    )
    .expose()[0]
}

/// Builds the listener's reply.
pub fn build_reply<R: CryptoRng + ?Sized>(
    access_key: &Secret<32>,
    r_a: &Representative,
    local: &Representative,
    secret: &Secret<32>,
    effort: u8,
    pad_max: usize,
    rng: &mut R,
) -> Vec<u8> {
    let pad = random_pad(pad_max, rng);
    let e = [effort ^ effort_mask(secret, r_a, local)];
    let mut out = Vec::with_capacity(REP_LEN + pad.len() + MARK_LEN + REPLY_TRAILER);
    out.extend_from_slice(local.as_bytes());
    out.extend_from_slice(&pad);
    out.extend_from_slice(&marker(access_key, local.as_bytes()));
    out.extend_from_slice(&e);
    out.extend_from_slice(&mac::<MARK_LEN>(
        labels::S1_REPLY_MAC,
        secret.expose(),
        &[
            access_key.expose(),
            r_a.as_bytes(),
            local.as_bytes(),
            &pad,
            &e,
        ],
    ));
    out
}

/// What session 1 gives session 2.
#[derive(Debug, Clone)]
pub struct Session1Outcome {
    /// The session-1 secret `K`.
    pub secret: Secret<32>,
    /// Proof-of-work effort the listener asks for.
    pub effort: u8,
}

/// The caller's side of session 1.
#[derive(Debug)]
pub struct Session1Initiator {
    access_key: Secret<32>,
    local: Representative,
    pad_max: usize,
    buf: Vec<u8>,
    marker_at: Option<usize>,
}

impl Session1Initiator {
    /// Starts session 1 with our representative; returns the request to
    /// send.
    pub fn new<R: CryptoRng + ?Sized>(
        cfg: &Config,
        local: Representative,
        rng: &mut R,
    ) -> (Self, Vec<u8>) {
        let req = build_request(&cfg.access_key, &local, cfg.s1_pad_max, rng);
        (
            Self {
                access_key: cfg.access_key.clone(),
                local,
                pad_max: cfg.s1_pad_max,
                buf: Vec::new(),
                marker_at: None,
            },
            req,
        )
    }

    /// Feeds reply bytes; `Some(R_b)` once the reply is complete. Then get
    /// `K` (from the cryptor or [`crate::ObfuscationKeys`]) and call
    /// [`Session1Initiator::finish`].
    ///
    /// # Errors
    /// [`Error::Malformed`] for a reply that cannot be one; [`Error::State`]
    /// for bytes after a complete reply.
    pub fn receive(&mut self, data: &[u8]) -> Result<Option<Representative>, Error> {
        if self.marker_at.is_some() {
            return Err(Error::State);
        }
        self.buf.extend_from_slice(data);
        match find_marked(&self.buf, &self.access_key, self.pad_max, REPLY_TRAILER)? {
            None => Ok(None),
            Some(at) => {
                self.marker_at = Some(at);
                Ok(Some(rep_of(&self.buf)))
            }
        }
    }

    /// Our representative (the caller's, `R_a`).
    #[must_use]
    pub const fn local(&self) -> Representative {
        self.local
    }

    /// Checks the reply's tag with `K` and reads the effort.
    ///
    /// # Errors
    /// [`Error::State`] before a complete reply; [`Error::Authentication`]
    /// for a bad tag; [`Error::Effort`] above [`MAX_EFFORT`].
    pub fn finish(self, secret: Secret<32>) -> Result<Session1Outcome, Error> {
        let at = self.marker_at.ok_or(Error::State)?;
        let r_b = rep_of(&self.buf);
        let e = &self.buf[at + MARK_LEN..at + MARK_LEN + 1];
        verify_mac::<TAG_LEN>(
            labels::S1_REPLY_MAC,
            secret.expose(),
            &[
                self.access_key.expose(),
                self.local.as_bytes(),
                r_b.as_bytes(),
                &self.buf[REP_LEN..at],
                e,
            ],
            &self.buf[at + MARK_LEN + 1..],
        )
        .map_err(|_| Error::Authentication)?;
        let effort = e[0] ^ effort_mask(&secret, &self.local, &r_b);
        if effort > MAX_EFFORT {
            return Err(Error::Effort);
        }
        Ok(Session1Outcome { secret, effort })
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn request_parses_in_any_split_and_rejects_wrong_key() {
        let mut rng = StdRng::seed_from_u64(3);
        let ak = Secret::new([9; 32]);
        let rep = Representative::from_bytes([5; 32]);
        for _ in 0..20 {
            let req = build_request(&ak, &rep, 100, &mut rng);
            assert!((REP_LEN + 2 * MARK_LEN..=REP_LEN + 100 + 2 * MARK_LEN).contains(&req.len()));
            for cut in 0..req.len() {
                assert_eq!(parse_request(&req[..cut], &ak, 100), Ok(None));
            }
            let (r, _) = parse_request(&req, &ak, 100).unwrap().unwrap();
            assert_eq!(r, rep);
            let other = Secret::new([8; 32]);
            assert!(matches!(
                parse_request(&req, &other, 100),
                Ok(None) | Err(_)
            ));
            let mut long = req.clone();
            long.push(0);
            assert_eq!(parse_request(&long, &ak, 100), Err(Error::Malformed));
            let mut bad = req.clone();
            bad[REP_LEN] ^= 1;
            if req.len() > REP_LEN + 2 * MARK_LEN {
                assert_eq!(parse_request(&bad, &ak, 100), Err(Error::Authentication));
            }
        }
    }
}
