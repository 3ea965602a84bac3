//! Zero-knowledge comparison of a pre-shared phrase (seed 002, SPEKE like
//! OTR's SMP), inside the sealed control lane.
//!
//! ```text
//! initiator I                                     responder R
//! W' = stretch(W, SID), P = E(W'), U = u*P  -- CompareU U -->
//!                                           <-- CompareV V --  W', P, V = v*P (V != U)
//! V != U, D = u*V
//! Ma = MAC(COMPARE_MA, D, Kcmp, U, V)       -- CompareMa Ma -> D = v*U, check Ma
//!                                           <-- CompareMb Mb - Mb = MAC(COMPARE_MB, ..),
//!                                                             random if Ma failed (constant time)
//! check Mb
//! ```
//!
//! An attacker in the middle gets one guess of the phrase per attempt (an
//! online attack); [`MAX_ATTEMPTS`] caps attempts per call.

use susurro_crypto::{
    Point, Secret, SecretKey, ct_eq, ct_eq_choice, ct_select, hash_to_point, kdf, mac,
};
use susurro_wire::{CompareMa, CompareMb, CompareOutcome, CompareU, CompareV, PeerMessage};

use crate::drbg::Drbg;
use crate::labels;

/// Attempts (started or answered) allowed per call.
pub const MAX_ATTEMPTS: u8 = 3;
/// Iterations of the phrase stretching.
pub const STRETCH_ROUNDS: u32 = 1024;

/// `W'`: `w_0 = KDF(COMPARE_PKDF, key W, SID, LE32(0))`,
/// `w_i = KDF(COMPARE_PKDF, key w_{i-1}, SID, LE32(i))`, `W' = w_{ROUNDS-1}`.
#[must_use]
pub fn stretch(phrase: &[u8], sid: &[u8; 16]) -> Secret<32> {
    let mut w = kdf::<32>(labels::COMPARE_PKDF, phrase, &[sid, &0u32.to_le_bytes()]);
    for i in 1..STRETCH_ROUNDS {
        w = kdf(labels::COMPARE_PKDF, w.expose(), &[sid, &i.to_le_bytes()]);
    }
    w
}

/// `Ma = MAC(COMPARE_MA, key D, Kcmp, U, V)`.
#[must_use]
pub fn auth_i(d: &[u8; 32], k_cmp: &Secret<32>, u: &[u8; 32], v: &[u8; 32]) -> [u8; 32] {
    mac(labels::COMPARE_MA, d, &[k_cmp.expose(), u, v])
}

/// `Mb = MAC(COMPARE_MB, key D, Kcmp, U, V)`.
#[must_use]
pub fn auth_r(d: &[u8; 32], k_cmp: &Secret<32>, u: &[u8; 32], v: &[u8; 32]) -> [u8; 32] {
    mac(labels::COMPARE_MB, d, &[k_cmp.expose(), u, v])
}

enum State {
    Idle,
    AwaitV {
        u: SecretKey,
        big_u: [u8; 32],
    },
    PeerWaiting {
        peer_u: [u8; 32],
    },
    AwaitMa {
        ma: Secret<32>,
        mb: Secret<32>,
        counts: bool,
    },
    AwaitMb {
        mb: Secret<32>,
    },
}

/// What the session keys give a compare: `Kcmp` and the session id.
pub struct Context<'a> {
    /// Kcmp from the IKE.
    pub k_cmp: &'a Secret<32>,
    /// SID from the IKE.
    pub sid: &'a [u8; 16],
}

/// One call's compare machine.
pub struct Compare {
    state: State,
    attempts: u8,
}

impl core::fmt::Debug for Compare {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Compare(attempts {})", self.attempts)
    }
}

impl Default for Compare {
    fn default() -> Self {
        Self::new()
    }
}

/// A step's output: a message for the peer and/or a result for the user.
pub type Step = (Option<PeerMessage>, Option<CompareOutcome>);

fn outcome(ok: bool) -> CompareOutcome {
    if ok {
        CompareOutcome::Match
    } else {
        CompareOutcome::Mismatch
    }
}

impl Compare {
    /// Idle, no attempts used.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            state: State::Idle,
            attempts: 0,
        }
    }

    /// Attempts used so far.
    #[must_use]
    pub const fn attempts(&self) -> u8 {
        self.attempts
    }

    /// The user typed the phrase: start, or answer a waiting peer.
    pub fn user(&mut self, phrase: &[u8], ctx: &Context<'_>, rng: &mut Drbg) -> Step {
        if self.attempts >= MAX_ATTEMPTS {
            return (None, Some(CompareOutcome::TooManyAttempts));
        }
        match core::mem::replace(&mut self.state, State::Idle) {
            State::Idle => {
                let Ok(p) = hash_to_point(stretch(phrase, ctx.sid).expose()) else {
                    return (None, Some(CompareOutcome::Aborted));
                };
                let u = rng.scalar();
                let Ok(big_u) = u.mul_point(&p) else {
                    return (None, Some(CompareOutcome::Aborted));
                };
                self.attempts += 1;
                let big_u = big_u.to_bytes();
                self.state = State::AwaitV { u, big_u };
                (Some(CompareU { u: big_u }.into()), None)
            }
            State::PeerWaiting { peer_u } => {
                self.attempts += 1;
                let v = rng.scalar();
                self.respond(phrase, ctx, v, &peer_u, rng)
            }
            other => {
                self.state = other;
                (None, None)
            }
        }
    }

    fn respond(
        &mut self,
        phrase: &[u8],
        ctx: &Context<'_>,
        v: SecretKey,
        peer_u: &[u8; 32],
        rng: &mut Drbg,
    ) -> Step {
        let v_pub = hash_to_point(stretch(phrase, ctx.sid).expose()).and_then(|p| v.mul_point(&p));
        let d = v.diffie_hellman(&Point::from_bytes(*peer_u));
        match (v_pub, d) {
            (Ok(big_v), Ok(d)) if !big_v.same_u(&Point::from_bytes(*peer_u)) => {
                let big_v = big_v.to_bytes();
                let ma = Secret::new(auth_i(d.expose(), ctx.k_cmp, peer_u, &big_v));
                let mb = Secret::new(auth_r(d.expose(), ctx.k_cmp, peer_u, &big_v));
                self.state = State::AwaitMa {
                    ma,
                    mb,
                    counts: true,
                };
                (Some(CompareV { v: big_v }.into()), None)
            }
            _ => {
                // Bad U from the peer (small order, or our own V reflected):
                // answer with noise so the initiator sees a mismatch.
                let noise = rng.secret::<32>();
                self.state = State::AwaitMa {
                    ma: rng.secret(),
                    mb: rng.secret(),
                    counts: true,
                };
                (Some(CompareV { v: *noise.expose() }.into()), None)
            }
        }
    }

    /// Handles a compare message from the peer.
    pub fn on_peer(&mut self, msg: &PeerMessage, ctx: &Context<'_>, rng: &mut Drbg) -> Step {
        match (core::mem::replace(&mut self.state, State::Idle), msg) {
            (State::Idle, PeerMessage::CompareU(m)) => {
                if self.attempts >= MAX_ATTEMPTS {
                    // Answer with noise: the peer sees a mismatch, the user a refusal.
                    let noise = rng.secret::<32>();
                    self.state = State::AwaitMa {
                        ma: rng.secret(),
                        mb: rng.secret(),
                        counts: false,
                    };
                    return (
                        Some(CompareV { v: *noise.expose() }.into()),
                        Some(CompareOutcome::TooManyAttempts),
                    );
                }
                self.state = State::PeerWaiting { peer_u: m.u };
                (None, Some(CompareOutcome::PeerRequested))
            }
            (State::AwaitV { u, big_u }, PeerMessage::CompareU(m)) => {
                // Both started at once: the side with the larger U stays
                // initiator; the other answers, reusing u as v (V = its U).
                if m.u < big_u {
                    self.state = State::AwaitV { u, big_u };
                    (None, None)
                } else if m.u == big_u {
                    (None, Some(CompareOutcome::Aborted))
                } else {
                    match u.diffie_hellman(&Point::from_bytes(m.u)) {
                        Ok(d) => {
                            let ma = Secret::new(auth_i(d.expose(), ctx.k_cmp, &m.u, &big_u));
                            let mb = Secret::new(auth_r(d.expose(), ctx.k_cmp, &m.u, &big_u));
                            self.state = State::AwaitMa {
                                ma,
                                mb,
                                counts: true,
                            };
                            (Some(CompareV { v: big_u }.into()), None)
                        }
                        Err(_) => (None, Some(CompareOutcome::Aborted)),
                    }
                }
            }
            (State::AwaitV { u, big_u }, PeerMessage::CompareV(m)) => {
                if Point::from_bytes(m.v).same_u(&Point::from_bytes(big_u)) {
                    return (None, Some(CompareOutcome::Aborted));
                }
                let d = u.diffie_hellman(&Point::from_bytes(m.v));
                match d {
                    Ok(d) => {
                        let ma = auth_i(d.expose(), ctx.k_cmp, &big_u, &m.v);
                        let mb = Secret::new(auth_r(d.expose(), ctx.k_cmp, &big_u, &m.v));
                        self.state = State::AwaitMb { mb };
                        (Some(CompareMa { m: ma }.into()), None)
                    }
                    Err(_) => {
                        // Small-order V: continue with noise, report mismatch at the end.
                        self.state = State::AwaitMb { mb: rng.secret() };
                        (
                            Some(
                                CompareMa {
                                    m: *rng.secret::<32>().expose(),
                                }
                                .into(),
                            ),
                            None,
                        )
                    }
                }
            }
            (State::AwaitMa { ma, mb, counts }, PeerMessage::CompareMa(m)) => {
                let random = rng.secret::<32>();
                let ok = ct_eq_choice(ma.expose(), &m.m);
                let reply = ct_select(random.expose(), mb.expose(), ok);
                let result = if counts {
                    outcome(ok.into())
                } else {
                    CompareOutcome::TooManyAttempts
                };
                (Some(CompareMb { m: reply }.into()), Some(result))
            }
            (State::AwaitMb { mb }, PeerMessage::CompareMb(m)) => {
                (None, Some(outcome(ct_eq(mb.expose(), &m.m))))
            }
            (_, _) => (None, Some(CompareOutcome::Aborted)),
        }
    }

    /// Whether an exchange is running (not idle).
    #[must_use]
    pub const fn busy(&self) -> bool {
        !matches!(self.state, State::Idle)
    }
}
