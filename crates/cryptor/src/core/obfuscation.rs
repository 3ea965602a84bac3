//! The obfuscation key agreement: when transport opens an obfuscated
//! connection, the connection gets an ephemeral Elligator key pair
//! (`ObfuscationKey` carries its representative); with the remote
//! representative the two sides derive the obfuscation key
//! (`ObfuscationSecret`), and the ephemeral secret is gone.
//!
//! An outgoing call keeps its pair in its call slot. An incoming
//! connection takes no call slot and shows nothing to the ui: its pair
//! waits in a small table of its own ([`OBF_PENDING`] entries, the oldest
//! given up first, each for at most the step timeout) until transport
//! passes the caller's representative. The call slot comes with
//! `SessionReady`, once the caller has paid the proof of work and
//! finished session 2: someone who only knows the address can no longer
//! fill the call slots with session-1 requests.

use susurro_crypto::{EphemeralKeyPair, Representative, kdf};
use susurro_wire::module::Outbox;
use susurro_wire::{
    CallId, CallPhase, Direction, EndReason, Instant, ModuleId, ObfuscationKey, ObfuscationSecret,
    PathKind, Terminate,
};

use super::calls::Teardown;
use super::errors::count;
use super::{CryptorCore, send};
use crate::labels;

/// Incoming connections waiting for their obfuscation key agreement: a
/// legitimate one waits one message round trip to transport, so a few
/// cover bursts of callers; past it the oldest is given up (transport is
/// told to end it).
pub(crate) const OBF_PENDING: usize = 8;

/// An incoming connection's half of the key agreement.
pub(super) struct ObfPending {
    pub(super) id: CallId,
    pub(super) pair: EphemeralKeyPair,
    pub(super) deadline: Instant,
}

impl CryptorCore {
    /// A fresh ephemeral pair with a representative (some draws have none).
    fn obfuscation_pair(&mut self) -> Option<EphemeralKeyPair> {
        for _ in 0..susurro_crypto::x25519::KEYGEN_ATTEMPTS {
            let seed = self.drbg.secret::<33>();
            let mut k = [0u8; 32];
            k.copy_from_slice(&seed.expose()[..32]);
            let r = EphemeralKeyPair::from_secret(&k, seed.expose()[32]);
            zeroize::Zeroize::zeroize(&mut k);
            if let Ok(p) = r {
                return Some(p);
            }
        }
        None
    }

    pub(super) fn on_obfuscation_open(
        &mut self,
        now: Instant,
        id: CallId,
        direction: Direction,
        out: &mut Outbox,
    ) {
        if direction == Direction::Incoming {
            self.obfuscation_incoming(now, id, out);
            return;
        }
        if !self.incoming(now, id, direction, PathKind::Tcp, out) {
            return;
        }
        let Some(pair) = self.obfuscation_pair() else {
            self.end(id, EndReason::ProtocolError, Teardown::WITHOUT_PEER, out);
            return;
        };
        let representative = pair.representative().to_bytes();
        if let Some(c) = self.find_mut(id) {
            c.obf = Some(pair);
            send(
                out,
                ModuleId::Transport,
                ObfuscationKey {
                    call: id,
                    representative,
                },
            );
        }
        self.show(id, CallPhase::Obfuscating, out);
    }

    /// An incoming connection: a pair in the pending table, no call slot,
    /// nothing for the ui.
    fn obfuscation_incoming(&mut self, now: Instant, id: CallId, out: &mut Outbox) {
        if id == 0
            || self.find(id).is_some()
            || self.obf_pending.iter().any(|p| p.id == id)
            || !self.drbg.is_seeded()
        {
            self.refuse();
            send(out, ModuleId::Transport, Terminate { call: id });
            return;
        }
        let Some(pair) = self.obfuscation_pair() else {
            send(out, ModuleId::Transport, Terminate { call: id });
            return;
        };
        if self.obf_pending.is_full() {
            let oldest = self.obf_pending.remove(0);
            count(&mut self.stats.refused);
            send(out, ModuleId::Transport, Terminate { call: oldest.id });
        }
        let representative = pair.representative().to_bytes();
        let _ = self.obf_pending.push(ObfPending {
            id,
            pair,
            deadline: now + self.config.step_timeout,
        });
        send(
            out,
            ModuleId::Transport,
            ObfuscationKey {
                call: id,
                representative,
            },
        );
    }

    /// Gives up incoming key agreements past their deadline.
    pub(super) fn expire_obfuscation(&mut self, now: Instant, out: &mut Outbox) {
        while let Some(i) = self.obf_pending.iter().position(|p| p.deadline <= now) {
            let p = self.obf_pending.remove(i);
            send(out, ModuleId::Transport, Terminate { call: p.id });
        }
    }

    pub(super) fn on_obfuscation_remote(&mut self, id: CallId, remote: [u8; 32], out: &mut Outbox) {
        // An incoming connection's pair waits in the pending table; an
        // outgoing call's in its slot.
        let (pair, direction) = if let Some(i) = self.obf_pending.iter().position(|p| p.id == id) {
            (self.obf_pending.remove(i).pair, Direction::Incoming)
        } else {
            let Some(c) = self.find_mut(id) else {
                self.refuse();
                return;
            };
            let Some(pair) = c.obf.take() else {
                self.refuse();
                return;
            };
            (pair, c.direction)
        };
        let ours = pair.representative().to_bytes();
        let (first, second) = match direction {
            Direction::Outgoing => (ours, remote),
            Direction::Incoming => (remote, ours),
        };
        match pair.diffie_hellman(&Representative::from_bytes(remote).to_point()) {
            Ok(dh) => {
                let key = kdf::<32>(labels::OBFUSCATION_KEY, dh.expose(), &[&first, &second]);
                send(
                    out,
                    ModuleId::Transport,
                    ObfuscationSecret {
                        call: id,
                        key: susurro_wire::Secret::new(*key.expose()),
                    },
                );
            }
            Err(_) if direction == Direction::Incoming => {
                send(out, ModuleId::Transport, Terminate { call: id });
            }
            Err(_) => self.end(id, EndReason::ProtocolError, Teardown::WITHOUT_PEER, out),
        }
    }
}
