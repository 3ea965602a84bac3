//! Who may send what to whom.
//!
//! Two tables decide. The module matrix below says which module pairs may
//! talk at all; the per-kind route lists in [`crate::message`] say which
//! pairs may carry each kind. A message passes only if both allow it. The
//! matrix is the security boundary and can be read at a glance:
//!
//! ```text
//!                  to: Host  Transport  Cryptor  Storage  Ui
//! from Host            -     no         no       no       yes (events)
//! from Transport       no    -          yes      NO       NO
//! from Cryptor         no    yes        -        yes      yes
//! from Storage         no    NO         yes      -        yes
//! from Ui              no    NO         yes      yes      -
//! ```
//!
//! Transport is untrusted: nothing it sends reaches storage or the ui, and
//! nothing reaches it except from the cryptor. A [`Router`] applies a
//! [`Policy`] and counts every refusal; the host turns each refusal into a
//! [`RouteRefused`](crate::message::RouteRefused) event for the ui.

use crate::message::{Envelope, Kind, RouteRefused};
use crate::types::ModuleId;

const H: usize = ModuleId::Host as usize;
const T: usize = ModuleId::Transport as usize;
const C: usize = ModuleId::Cryptor as usize;
const S: usize = ModuleId::Storage as usize;
const U: usize = ModuleId::Ui as usize;

/// Which module pairs may talk: `allowed[src][dst]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    allowed: [[bool; 5]; 5],
}

impl Policy {
    /// The default matrix (see the module docs).
    pub const DEFAULT: Policy = {
        let mut a = [[false; 5]; 5];
        a[H][U] = true;
        a[T][C] = true;
        a[C][T] = true;
        a[C][S] = true;
        a[C][U] = true;
        a[S][C] = true;
        a[S][U] = true;
        a[U][C] = true;
        a[U][S] = true;
        Policy { allowed: a }
    };

    /// Whether `src` may send anything to `dst`.
    pub const fn pair_allowed(&self, src: ModuleId, dst: ModuleId) -> bool {
        self.allowed[src as usize][dst as usize]
    }

    /// Forbids a module pair (a deployment may be stricter than the default).
    pub fn forbid(&mut self, src: ModuleId, dst: ModuleId) {
        self.allowed[src as usize][dst as usize] = false;
    }

    /// Checks one envelope.
    pub fn check(&self, env: &Envelope) -> Result<(), Reason> {
        if env.src == env.dst {
            return Err(Reason::PairForbidden);
        }
        if !self.pair_allowed(env.src, env.dst) {
            return Err(Reason::PairForbidden);
        }
        if !env.msg.kind().routes().contains(&(env.src, env.dst)) {
            return Err(Reason::KindNotAllowed);
        }
        Ok(())
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Why a message was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// The module matrix forbids the pair.
    PairForbidden,
    /// The pair may talk, but not with this kind.
    KindNotAllowed,
    /// The message claims a source that cannot be behind the link it came in on.
    SpoofedSource,
}

/// A refused message: what it was and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// Claimed source.
    pub src: ModuleId,
    /// Destination.
    pub dst: ModuleId,
    /// Kind.
    pub kind: Kind,
    /// Why.
    pub reason: Reason,
    /// Refusals counted so far, this one included.
    pub total: u32,
}

impl Refusal {
    /// The event the ui is told.
    pub fn event(&self) -> Envelope {
        Envelope::new(
            ModuleId::Host,
            ModuleId::Ui,
            RouteRefused {
                src: self.src,
                dst: self.dst,
                kind: self.kind.code(),
                total: self.total,
            },
        )
    }
}

/// Applies a [`Policy`] and counts refusals. Nothing is dropped silently:
/// every refusal is returned to the caller and counted.
#[derive(Debug, Clone, Default)]
pub struct Router {
    policy: Policy,
    refused: u32,
    by_pair: [[u32; 5]; 5],
    passed: u32,
}

impl Router {
    /// A router enforcing `policy`.
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            refused: 0,
            by_pair: [[0; 5]; 5],
            passed: 0,
        }
    }

    /// Checks a message that entered from a place where only `sources` can
    /// send (a link hosting those modules, or a local module).
    pub fn check_from(&mut self, env: &Envelope, sources: &[ModuleId]) -> Result<(), Refusal> {
        let verdict = if sources.contains(&env.src) {
            self.policy.check(env)
        } else {
            Err(Reason::SpoofedSource)
        };
        match verdict {
            Ok(()) => {
                self.passed = self.passed.wrapping_add(1);
                Ok(())
            }
            Err(reason) => {
                self.refused = self.refused.saturating_add(1);
                let cell = &mut self.by_pair[env.src as usize][env.dst as usize];
                *cell = cell.saturating_add(1);
                Err(Refusal {
                    src: env.src,
                    dst: env.dst,
                    kind: env.msg.kind(),
                    reason,
                    total: self.refused,
                })
            }
        }
    }

    /// Checks a message whose source is trusted to be what it claims.
    pub fn check(&mut self, env: &Envelope) -> Result<(), Refusal> {
        self.check_from(env, &[env.src])
    }

    /// Refusals so far.
    pub fn refused(&self) -> u32 {
        self.refused
    }

    /// Refusals so far from `src` to `dst`.
    pub fn refused_between(&self, src: ModuleId, dst: ModuleId) -> u32 {
        self.by_pair[src as usize][dst as usize]
    }

    /// Messages passed so far.
    pub fn passed(&self) -> u32 {
        self.passed
    }
}
