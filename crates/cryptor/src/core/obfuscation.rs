//! The obfuscation key agreement: when transport opens an obfuscated
//! connection, the call gets an ephemeral Elligator key pair
//! (`ObfuscationKey` carries its representative); with the remote
//! representative the two sides derive the obfuscation key
//! (`ObfuscationSecret`), and the ephemeral secret is gone.

use susurro_crypto::{EphemeralKeyPair, Representative, kdf};
use susurro_wire::module::Outbox;
use susurro_wire::{
    CallId, CallPhase, Direction, EndReason, Instant, ModuleId, ObfuscationKey, ObfuscationSecret,
    PathKind,
};

use super::calls::Teardown;
use super::{CryptorCore, send};
use crate::labels;

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

    pub(super) fn on_obfuscation_remote(&mut self, id: CallId, remote: [u8; 32], out: &mut Outbox) {
        let Some(c) = self.find_mut(id) else {
            self.refuse();
            return;
        };
        let Some(pair) = c.obf.take() else {
            self.refuse();
            return;
        };
        let ours = pair.representative().to_bytes();
        let (first, second) = match c.direction {
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
            Err(_) => self.end(id, EndReason::ProtocolError, Teardown::WITHOUT_PEER, out),
        }
    }
}
