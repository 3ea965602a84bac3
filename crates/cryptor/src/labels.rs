//! Every domain-separation label the cryptor uses, one per use of H.
//!
//! Listed with their use in `docs/protocol.md` ("Cryptor labels"); a test
//! checks they are distinct from each other and from `susurro-crypto`'s.

use susurro_crypto::Label;

macro_rules! labels {
    ($( $(#[$m:meta])* $name:ident = $bytes:literal; )*) => {
        $( $(#[$m])* pub const $name: Label = Label::new($bytes); )*
        /// Every label with its constant name, in declaration order.
        pub const ALL: &[(&str, Label)] = &[ $( (stringify!($name), $name), )* ];
    };
}

labels! {
    /// DRBG: mixes entropy into the state (KDF, key = state).
    DRBG_RESEED = b"susurro/cryptor/drbg/reseed/v1";
    /// DRBG: next state and output (KDF, key = state).
    DRBG_OUTPUT = b"susurro/cryptor/drbg/output/v1";
    /// IKE: mask of X, `X' = X xor H(MASK_X, U)` (hash).
    IKE_MASK_X = b"susurro/cryptor/ike/mask-x/v1";
    /// IKE: mask of the originator identity, `A' = A xor H(MASK_ID, D, ...)` (hash).
    IKE_MASK_ID = b"susurro/cryptor/ike/mask-id/v1";
    /// IKE: SPEKE tag F for the extended 3DH (hash).
    IKE_SPEKE_F = b"susurro/cryptor/ike/speke-f/v1";
    /// IKE: C, proof that the responder knows y (hash).
    IKE_CONFIRM_C = b"susurro/cryptor/ike/confirm-c/v1";
    /// IKE: transcript hash T of the six exchanged values (hash).
    IKE_TRANSCRIPT = b"susurro/cryptor/ike/transcript/v1";
    /// IKE: session keys from S and T (KDF). v2: the SAS left this output.
    IKE_SESSION = b"susurro/cryptor/ike/session/v2";
    /// IKE: the SAS from S, X', Y, U only (KDF, key = S).
    IKE_SAS = b"susurro/cryptor/ike/sas/v1";
    /// IKE: key confirmation Mx over Ma (MAC, key = Kmx).
    IKE_CONFIRM_X = b"susurro/cryptor/ike/confirm-x/v1";
    /// IKE: key confirmation My over Mb (MAC, key = Kmy).
    IKE_CONFIRM_Y = b"susurro/cryptor/ike/confirm-y/v1";
    /// IKE: originator authenticator Ma (MAC, key = S).
    IKE_AUTH_A = b"susurro/cryptor/ike/auth-a/v1";
    /// IKE: responder authenticator Mb (MAC, key = S).
    IKE_AUTH_B = b"susurro/cryptor/ike/auth-b/v1";
    /// Session: root of the voice lane from a direction key (KDF).
    SESSION_VOICE_ROOT = b"susurro/cryptor/session/voice-root/v1";
    /// Session: root of the control lane from a direction key (KDF).
    SESSION_CONTROL_ROOT = b"susurro/cryptor/session/control-root/v1";
    /// Session: one-way ratchet of a lane chain key to the next epoch (KDF).
    SESSION_RATCHET = b"susurro/cryptor/session/ratchet/v1";
    /// Session: an epoch's encryption and MAC keys from its chain key (KDF).
    SESSION_EPOCH_KEYS = b"susurro/cryptor/session/epoch-keys/v1";
    /// Session: voice tag (MAC, key = epoch mac key). 35 bytes, so mode,
    /// label and the 16-byte key fill exactly one 68-byte block.
    SESSION_VOICE_MAC = b"susurro/cryptor/session/voice-tg/v1";
    /// Session: control tag (MAC).
    SESSION_CONTROL_MAC = b"susurro/cryptor/session/control-mac/v1";
    /// Transport first session: obfuscation key from the Elligator2 DH (KDF).
    OBFUSCATION_KEY = b"susurro/cryptor/obfuscation/key/v1";
    /// Contact transfer: address mask (MAC, key = Kx).
    XFER_ADDRESS = b"susurro/cryptor/xfer/address/v1";
    /// Contact transfer: challenge tag Q (MAC, key = Kx).
    XFER_CHALLENGE = b"susurro/cryptor/xfer/challenge/v1";
    /// Contact transfer: key mask (MAC, key = Kx).
    XFER_KEY = b"susurro/cryptor/xfer/key/v1";
    /// Secret compare: one step of the phrase stretching (KDF).
    COMPARE_PKDF = b"susurro/cryptor/compare/pkdf/v1";
    /// Secret compare: initiator authenticator (MAC, key = D).
    COMPARE_MA = b"susurro/cryptor/compare/ma/v1";
    /// Secret compare: responder authenticator (MAC, key = D).
    COMPARE_MB = b"susurro/cryptor/compare/mb/v1";
}
