//! Domain-separation labels of the transport's uses of H (listed in
//! `docs/protocol.md`, "Transport obfuscation").

use susurro_crypto::Label;

/// Session 1: end-of-padding marker `M = MAC(access key, R)`.
pub const S1_MARK: Label = Label::new(b"susurro/transport/s1-mark/v1");
/// Session 1: request tag over `R_a || P_a`, keyed with the access key.
pub const S1_REQUEST_MAC: Label = Label::new(b"susurro/transport/s1-request-mac/v1");
/// Session 1: reply tag, keyed with the session-1 secret `K`.
pub const S1_REPLY_MAC: Label = Label::new(b"susurro/transport/s1-reply-mac/v1");
/// Session 1: mask of the effort byte in the reply.
pub const S1_EFFORT: Label = Label::new(b"susurro/transport/s1-effort/v1");
/// Standalone session-1 secret `K` (when no cryptor supplies it).
pub const S1_SECRET: Label = Label::new(b"susurro/transport/s1-secret/v1");
/// Session-2 keys, session id and proof-of-work challenge from `K`.
pub const S2_KEYS: Label = Label::new(b"susurro/transport/s2-keys/v1");
/// Keys after `rekey(Kt)`.
pub const S2_KEYED: Label = Label::new(b"susurro/transport/s2-keyed/v1");
/// Length-mask keystream of a frame direction.
pub const S2_LENGTH: Label = Label::new(b"susurro/transport/s2-length/v1");
/// Extra paths of a call (call-back, duplicate circuits): `K_n` from `Kt`,
/// the listener's access key, the dialer's role and `n`. (v2: the dialer's
/// role byte was added; v1 had none, so both ends shared the keys of path
/// `n`.)
pub const EXTRA_PATH: Label = Label::new(b"susurro/transport/extra-path/v2");
/// Proof-of-work hash.
pub const POW: Label = Label::new(b"susurro/transport/pow/v1");

/// Access key of a direct TCP listener, from its port
/// ([`crate::access_key_for`]).
pub const ACCESS_TCP: Label = Label::new(b"susurro/transport/access-key/tcp/v1");
/// Access key of an onion service, from its key and port.
pub const ACCESS_ONION: Label = Label::new(b"susurro/transport/access-key/onion/v1");

/// Every label of this crate (checked distinct by a test).
pub const ALL: &[Label] = &[
    S1_MARK,
    S1_REQUEST_MAC,
    S1_REPLY_MAC,
    S1_EFFORT,
    S1_SECRET,
    S2_KEYS,
    S2_KEYED,
    S2_LENGTH,
    EXTRA_PATH,
    POW,
    ACCESS_TCP,
    ACCESS_ONION,
];

#[cfg(test)]
mod tests {
    #[test]
    fn labels_are_distinct() {
        for (i, a) in super::ALL.iter().enumerate() {
            for b in &super::ALL[i + 1..] {
                assert_ne!(a.as_bytes(), b.as_bytes());
            }
        }
    }
}
