//! Every message modules exchange, one struct each, with its kind byte, its
//! class (reliable control or unreliable voice) and the module pairs allowed
//! to carry it (see [`crate::route`]).
//!
//! The encoding of a message body is its fields in declaration order, each as
//! [`Field`] specifies. An [`Envelope`] adds source, destination and kind.
//!
//! A row also says what the modules need to know about the message, so that
//! nothing else has to list messages: `@call` tags the field naming the call
//! ([`Message::call`], [`Message::set_call`]), `@req` the request id
//! ([`Message::req`]); the row flag `peer` marks a message transport carries
//! between the two cryptors ([`Kind::crosses_peer`]), `ike` an IKE step
//! ([`Kind::is_ike_step`]). Sizes follow from the fields' [`Field::MAX_SIZE`]
//! ([`MAX_MESSAGE`]). Each module core receives a restricted enum of the
//! kinds routed to it (see [`crate::restrict`]).

use crate::codec::{DecodeError, EncodeError, Field, Reader, Writer, max_of};
use crate::types::*;

/// Delivery class of a message on a byte link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Reliable: exactly once, in order, retransmitted.
    Control,
    /// Unreliable: never retransmitted, newest wins.
    Voice,
}

/// Largest encoded [`Envelope`], in bytes: source, destination, kind and
/// the largest body, computed from the fields' [`Field::MAX_SIZE`].
pub const MAX_MESSAGE: usize = 2 * ModuleId::MAX_SIZE + Message::MAX_SIZE;

/// Whether a row's flags (the idents between its class and its routes)
/// include `$want`. The flags a row may carry:
///
/// - `peer`: the message crosses to the peer (transport carries it between
///   the two cryptors, rewriting its `@call` field to the receiver's id);
/// - `ike`: the message is a step of the initial key exchange.
macro_rules! has_flag {
    ($want:ident;) => { false };
    (peer; peer $($rest:ident)*) => { true };
    (ike; ike $($rest:ident)*) => { true };
    ($want:ident; peer $($rest:ident)*) => { has_flag!($want; $($rest)*) };
    ($want:ident; ike $($rest:ident)*) => { has_flag!($want; $($rest)*) };
}

/// One field's part in a projection from its tag: `@call` marks the call id
/// a message concerns, `@req` the request id an answer echoes.
macro_rules! tagged {
    (get call; call, $e:expr, $acc:ident) => {
        $acc = Some($e);
    };
    (get req; req, $e:expr, $acc:ident) => {
        $acc = Some($e);
    };
    (get $want:ident; $($tag:ident)?, $e:expr, $acc:ident) => {};
    (set call; call, $e:expr, $v:ident, $acc:ident) => {
        $e = $v;
        $acc = true;
    };
    (set call; $($tag:ident)?, $e:expr, $v:ident, $acc:ident) => {};
}

macro_rules! messages {
    (
        $(#[$emeta:meta])* pub enum $enum:ident;
        $(#[$kmeta:meta])* pub enum $kind:ident;
        $(
            $(#[$meta:meta])*
            $code:literal $name:ident $class:ident $($flag:ident)*
                [$($src:ident => $dst:ident),* $(,)?] {
                $( $(#[$fmeta:meta])* $(@$tag:ident)? $field:ident : $ty:ty ),* $(,)?
            }
        )*
    ) => {
        $(
            $(#[$meta])*
            #[derive(Debug, Clone, PartialEq, Eq)]
            pub struct $name {
                $( $(#[$fmeta])* pub $field: $ty, )*
            }

            impl Field for $name {
                #[allow(unused_variables)]
                fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
                    $( self.$field.encode(w)?; )*
                    Ok(())
                }
                #[allow(unused_variables)]
                fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                    Ok(Self { $( $field: Field::decode(r)?, )* })
                }
                const SPEC: &'static str = stringify!($name);
                const MAX_SIZE: usize = 0 $( + <$ty as Field>::MAX_SIZE )*;
            }

            impl From<$name> for $enum {
                fn from(m: $name) -> Self {
                    $enum::$name(m)
                }
            }
        )*

        $(#[$emeta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[allow(clippy::large_enum_variant)]
        pub enum $enum {
            $( $(#[$meta])* $name($name), )*
        }

        $(#[$kmeta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum $kind {
            $( $(#[$meta])* $name = $code, )*
        }

        impl $kind {
            /// Every kind, in code order.
            pub const ALL: &'static [$kind] = &[$($kind::$name),*];

            /// The kind byte.
            pub const fn code(self) -> u8 {
                self as u8
            }

            /// The kind a byte names.
            pub const fn from_code(code: u8) -> Option<Self> {
                match code {
                    $( $code => Some($kind::$name), )*
                    _ => None,
                }
            }

            /// The message's name.
            pub const fn name(self) -> &'static str {
                match self {
                    $( $kind::$name => stringify!($name), )*
                }
            }

            /// Reliable control or unreliable voice.
            pub const fn class(self) -> Class {
                match self {
                    $( $kind::$name => Class::$class, )*
                }
            }

            /// The (source, destination) pairs allowed to carry this kind.
            pub const fn routes(self) -> &'static [(ModuleId, ModuleId)] {
                match self {
                    $( $kind::$name => &[$((ModuleId::$src, ModuleId::$dst)),*], )*
                }
            }

            /// Whether the message crosses to the peer: transport carries it
            /// between the two cryptors (row flag `peer`).
            pub const fn crosses_peer(self) -> bool {
                match self {
                    $( $kind::$name => has_flag!(peer; $($flag)*), )*
                }
            }

            /// Whether the message is a step of the initial key exchange
            /// (row flag `ike`).
            pub const fn is_ike_step(self) -> bool {
                match self {
                    $( $kind::$name => has_flag!(ike; $($flag)*), )*
                }
            }

            /// The most bytes the body of this kind takes (kind byte not
            /// included).
            pub const fn max_size(self) -> usize {
                match self {
                    $( $kind::$name => <$name as Field>::MAX_SIZE, )*
                }
            }

            /// The fields as (name, type) for the spec.
            pub const fn fields(self) -> &'static [(&'static str, &'static str)] {
                match self {
                    $( $kind::$name => &[$((stringify!($field), stringify!($ty))),*], )*
                }
            }
        }

        impl $enum {
            /// The most bytes [`Self::encode`] writes: the kind byte and the
            /// largest body.
            pub const MAX_SIZE: usize = 1 + max_of(&[$( <$name as Field>::MAX_SIZE ),*]);

            /// The kind of this message.
            pub const fn kind(&self) -> $kind {
                match self {
                    $( $enum::$name(_) => $kind::$name, )*
                }
            }

            /// The call the message concerns (its `@call` field), if it names
            /// one. Some messages use 0 there for "no call".
            #[allow(unused_mut, unused_assignments)]
            pub fn call(&self) -> Option<CallId> {
                match self {
                    $( $enum::$name(_m) => {
                        let mut call = None;
                        $( tagged!(get call; $($tag)?, _m.$field, call); )*
                        call
                    } )*
                }
            }

            /// Sets the call the message concerns (its `@call` field); false
            /// (and nothing changed) if it names none.
            #[allow(unused_mut, unused_assignments, unused_variables)]
            pub fn set_call(&mut self, id: CallId) -> bool {
                match self {
                    $( $enum::$name(_m) => {
                        let mut set = false;
                        $( tagged!(set call; $($tag)?, _m.$field, id, set); )*
                        set
                    } )*
                }
            }

            /// The request id the message carries or echoes (its `@req`
            /// field), if any.
            #[allow(unused_mut, unused_assignments)]
            pub fn req(&self) -> Option<u16> {
                match self {
                    $( $enum::$name(_m) => {
                        let mut req = None;
                        $( tagged!(get req; $($tag)?, _m.$field, req); )*
                        req
                    } )*
                }
            }

            /// Whether the message crosses to the peer (see
            /// [`Kind::crosses_peer`]).
            pub const fn crosses_peer(&self) -> bool {
                self.kind().crosses_peer()
            }

            /// Appends the kind byte and the body.
            pub fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
                w.u8(self.kind().code())?;
                match self {
                    $( $enum::$name(m) => m.encode(w), )*
                }
            }

            /// Reads the kind byte and the body.
            pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                let code = r.u8()?;
                match $kind::from_code(code) {
                    $( Some($kind::$name) => Ok($enum::$name($name::decode(r)?)), )*
                    None => Err(DecodeError::UnknownKind(code)),
                }
            }
        }
    };
}

messages! {
    /// A message between modules.
    pub enum Message;
    /// The kind byte of a [`Message`].
    pub enum Kind;

    // ---- 0x01..0x0f: host events ------------------------------------------------

    /// The router refused a message (counted; surfaced to the ui).
    0x01 RouteRefused Control [Host => Ui] {
        /// Claimed source of the refused message.
        src: ModuleId,
        /// Destination of the refused message.
        dst: ModuleId,
        /// Kind byte of the refused message.
        kind: u8,
        /// Refusals since the host started.
        total: u32,
    }
    /// A link to another host changed state.
    0x02 LinkStatus Control [Host => Ui] {
        /// A module reached through the link.
        peer: ModuleId,
        /// New state.
        phase: LinkPhase,
        /// Frames dropped as damaged so far.
        bad_frames: u32,
        /// Frames whose message did not decode so far.
        bad_messages: u32,
    }

    // ---- 0x10..0x2f: storage ----------------------------------------------------

    /// Asks for the key store's state.
    0x10 StoreStatusRequest Control [Ui => Storage, Cryptor => Storage] {}
    /// The key store's state.
    0x11 StoreStatus Control [Storage => Ui, Storage => Cryptor] {
        /// State.
        state: StoreState,
        /// Wrong passwords left before lockout or wipe.
        attempts_left: u8,
        /// Seconds until unlock may be tried again (0: now).
        retry_after_s: u32,
    }
    /// Creates a new identity protected by a password.
    0x12 CreateIdentity Control [Ui => Storage] {
        /// The new password.
        password: Password,
    }
    /// Unlocks the store.
    0x13 Unlock Control [Ui => Storage] {
        /// The password or PIN.
        password: Password,
    }
    /// Outcome of [`CreateIdentity`] or [`Unlock`].
    0x14 UnlockResult Control [Storage => Ui] {
        /// Outcome.
        outcome: UnlockOutcome,
        /// Wrong passwords left.
        attempts_left: u8,
        /// Seconds until the next attempt is allowed.
        retry_after_s: u32,
    }
    /// Locks the store (forgets derived keys).
    0x15 Lock Control [Ui => Storage] {}
    /// Changes the password.
    0x16 ChangePassword Control [Ui => Storage] {
        /// Current password.
        old: Password,
        /// New password.
        new: Password,
    }
    /// Asks for our long-term public key.
    0x17 GetPublicKey Control [Cryptor => Storage, Ui => Storage] {}
    /// Our long-term public key and its fingerprint.
    0x18 PublicKey Control [Storage => Cryptor, Storage => Ui] {
        /// X25519 public key.
        key: [u8; 32],
        /// 128-bit fingerprint of the key.
        fingerprint: [u8; 16],
    }
    /// Multiplies a point by the long-term private key (tags, 3DH terms).
    0x19 ScalarMult Control [Cryptor => Storage] {
        /// Request id, echoed in the answer.
        @req req: u16,
        /// The point (X25519 u-coordinate).
        point: [u8; 32],
    }
    /// The product of [`ScalarMult`].
    0x1a ScalarMultResult Control [Storage => Cryptor] {
        /// Request id.
        @req req: u16,
        /// point × private key.
        result: Secret<32>,
    }
    /// Asks for random bytes.
    0x1b EntropyRequest Control [Cryptor => Storage, Ui => Storage] {
        /// Request id.
        @req req: u16,
        /// Bytes wanted (at most 64).
        len: u8,
    }
    /// Random bytes from storage's generator.
    0x1c Entropy Control [Storage => Cryptor, Storage => Ui] {
        /// Request id.
        @req req: u16,
        /// The bytes.
        bytes: SecretBytes<{ caps::ENTROPY }>,
    }
    /// Host entropy for storage to mix in (never relied on alone).
    0x1d EntropyMix Control [Cryptor => Storage, Ui => Storage] {
        /// The bytes.
        bytes: SecretBytes<{ caps::ENTROPY }>,
    }
    /// Storage refused a request.
    0x1e StorageError Control [Storage => Ui, Storage => Cryptor] {
        /// Request id (0 if the request had none).
        @req req: u16,
        /// Kind byte of the refused request.
        op: u8,
        /// Why.
        code: StorageErrorCode,
    }
    /// Lists contacts with ids above `after`.
    0x20 ContactList Control [Ui => Storage] {
        /// Start after this id (0: from the beginning).
        after: ContactId,
        /// At most this many entries.
        max: u8,
    }
    /// One contact of a list.
    0x21 ContactEntry Control [Storage => Ui] {
        /// The contact.
        contact: Contact,
    }
    /// The end of a list.
    0x22 ContactListEnd Control [Storage => Ui] {
        /// Last id sent (continue after it), 0 if none.
        last: ContactId,
        /// Whether more contacts follow `last`.
        more: bool,
        /// Contacts in the book.
        total: u32,
    }
    /// Adds a contact.
    0x23 ContactAdd Control [Ui => Storage, Cryptor => Storage] {
        /// Request id.
        @req req: u16,
        /// Name (unique).
        name: Name,
        /// Public key (unique).
        key: [u8; 32],
        /// Address.
        address: Address,
        /// Note.
        note: Note,
        /// [`contact_flags`] bits.
        flags: u8,
    }
    /// A contact was added.
    0x24 ContactAdded Control [Storage => Ui, Storage => Cryptor] {
        /// Request id.
        @req req: u16,
        /// Its id.
        id: ContactId,
    }
    /// Renames a contact.
    0x25 ContactRename Control [Ui => Storage] {
        /// Contact.
        id: ContactId,
        /// New name.
        name: Name,
    }
    /// Changes a contact's address.
    0x26 ContactSetAddress Control [Ui => Storage] {
        /// Contact.
        id: ContactId,
        /// New address.
        address: Address,
    }
    /// Changes a contact's note.
    0x27 ContactSetNote Control [Ui => Storage] {
        /// Contact.
        id: ContactId,
        /// New note.
        note: Note,
    }
    /// Marks a contact verified (SAS compared) or not.
    0x28 ContactSetVerified Control [Ui => Storage] {
        /// Contact.
        id: ContactId,
        /// Verified.
        verified: bool,
    }
    /// Deletes a contact.
    0x29 ContactDelete Control [Ui => Storage] {
        /// Contact.
        id: ContactId,
    }
    /// A contact changed.
    0x2a ContactChanged Control [Storage => Ui] {
        /// Contact.
        id: ContactId,
        /// What changed.
        change: ChangeKind,
    }
    /// Looks a contact up.
    0x2b ContactLookup Control [Ui => Storage, Cryptor => Storage] {
        /// Request id.
        @req req: u16,
        /// What to look for.
        query: ContactQuery,
    }
    /// The contact looked up.
    0x2c ContactFound Control [Storage => Ui, Storage => Cryptor] {
        /// Request id.
        @req req: u16,
        /// The contact.
        contact: Contact,
    }
    /// No contact matched.
    0x2d ContactNotFound Control [Storage => Ui, Storage => Cryptor] {
        /// Request id.
        @req req: u16,
    }
    /// Asks for the key the host encrypts message history with (unlocked
    /// store only; the answer is [`HistoryKey`] or a [`StorageError`]).
    0x2e HistoryKeyRequest Control [Ui => Storage] {}
    /// The history key: `KDF(STORAGE_HISTORY_KEY, key = identity secret)`,
    /// the same for the life of the identity (`docs/storage.md`).
    0x2f HistoryKey Control [Storage => Ui] {
        /// The key.
        key: Secret<32>,
    }

    // ---- 0x30..0x4f: ui and cryptor ---------------------------------------------

    /// Places a call.
    0x30 Call Control [Ui => Cryptor] {
        /// Whom.
        target: CallTarget,
        /// Path to use.
        mode: NetMode,
        /// A voice call or a message session.
        purpose: CallPurpose,
    }
    /// Answers an incoming call.
    0x31 Accept Control [Ui => Cryptor] {
        /// Call.
        @call call: CallId,
    }
    /// Rejects an incoming call or hangs up.
    0x32 Hangup Control [Ui => Cryptor] {
        /// Call.
        @call call: CallId,
    }
    /// Mutes or unmutes the microphone (packets keep flowing).
    0x33 Mute Control [Ui => Cryptor] {
        /// Muted.
        on: bool,
    }
    /// Asks for or leaves direct (UDP) mode.
    0x34 SetDirect Control [Ui => Cryptor] {
        /// Call.
        @call call: CallId,
        /// Enable.
        enable: bool,
    }
    /// Starts a zero-knowledge compare of a shared phrase.
    0x35 CompareSecret Control [Ui => Cryptor] {
        /// Call.
        @call call: CallId,
        /// The phrase.
        phrase: SecretBytes<{ caps::PHRASE }>,
    }
    /// Sends a contact of ours to the peer.
    0x36 SendContact Control [Ui => Cryptor] {
        /// Call.
        @call call: CallId,
        /// Contact to send (0: ourselves).
        contact: ContactId,
    }
    /// Sets the network configuration (forwarded to transport).
    0x37 NetworkConfig Control [Ui => Cryptor, Cryptor => Transport] {
        /// Tor or direct.
        mode: NetMode,
        /// Listen for calls.
        listen: bool,
        /// TCP port for direct mode (0: none).
        port: u16,
    }
    /// Ends every call and returns to idle.
    0x38 Reset Control [Ui => Cryptor] {}
    /// One part of a text message to the peer of a call. The ui numbers
    /// its messages per call (`id`) and cuts each into `parts` parts
    /// (1 ..= [`caps::TEXT_PARTS`]) at character boundaries.
    0x39 SendText Control [Ui => Cryptor] {
        /// Call.
        @call call: CallId,
        /// The message's id, chosen by the sender's ui.
        id: u32,
        /// This part's index, from 0.
        part: u8,
        /// How many parts the message has.
        parts: u8,
        /// The part's text.
        text: Text<{ caps::TEXT_PART }>,
    }
    /// A receipt for the peer's text message `id`: the ui has every part
    /// ([`ReceiptKind::Delivered`]) or has shown it ([`ReceiptKind::Read`]).
    0x3a SendReceipt Control [Ui => Cryptor] {
        /// Call.
        @call call: CallId,
        /// The peer's message id.
        id: u32,
        /// What the receipt says.
        kind: ReceiptKind,
    }
    /// A file-transfer message for the peer of a call or message session
    /// (an encoded [`FileMessage`], opaque to the cryptor). Only while text
    /// may flow (the phase's `can_text`).
    0x3b SendFile Control [Ui => Cryptor] {
        /// Call.
        @call call: CallId,
        /// The encoded [`FileMessage`].
        body: Bytes<{ caps::FILE_BODY }>,
    }
    /// A call changed phase.
    0x40 CallState Control [Cryptor => Ui] {
        /// Call.
        @call call: CallId,
        /// Phase.
        phase: CallPhase,
        /// Path.
        path: PathKind,
    }
    /// Someone is calling.
    0x41 IncomingCall Control [Cryptor => Ui] {
        /// Call.
        @call call: CallId,
        /// Path.
        path: PathKind,
    }
    /// Keys agreed; the call is encrypted.
    0x42 CallEstablished Control [Cryptor => Ui] {
        /// Call.
        @call call: CallId,
        /// Short authentication string: its [`Sas::BITS`](crate::Sas::BITS)
        /// bits in the low bits (spell it with [`Sas`](crate::Sas)).
        sas: u32,
        /// Both sides proved their long-term keys.
        authenticated: bool,
        /// The peer's contact, if known.
        peer: Option<ContactId>,
        /// The peer's long-term key fingerprint, if authenticated.
        peer_fingerprint: Option<[u8; 16]>,
    }
    /// A call ended.
    0x43 CallEnded Control [Cryptor => Ui] {
        /// Call.
        @call call: CallId,
        /// Why.
        reason: EndReason,
    }
    /// Mute state changed.
    0x44 MuteState Control [Cryptor => Ui] {
        /// Muted.
        on: bool,
    }
    /// Direct-mode state of a call.
    0x45 DirectState Control [Transport => Cryptor, Cryptor => Ui] {
        /// Call.
        @call call: CallId,
        /// Phase.
        phase: DirectPhase,
    }
    /// Result or progress of a secret compare.
    0x46 CompareResult Control [Cryptor => Ui] {
        /// Call.
        @call call: CallId,
        /// Outcome.
        outcome: CompareOutcome,
    }
    /// A contact arrived from the peer and was saved.
    0x47 ContactReceived Control [Cryptor => Ui] {
        /// Call.
        @call call: CallId,
        /// New contact's id.
        id: ContactId,
        /// Its generated name `+<SAS>-<fingerprint>`.
        name: Name,
    }
    /// Link quality of a call (transport measures, ui shows).
    0x48 LinkQuality Control [Transport => Cryptor, Cryptor => Ui] {
        /// Call.
        @call call: CallId,
        /// Path carrying voice.
        path: PathKind,
        /// Paths open: 1 alone, 2 when voice is doubled (call-back or the two
        /// fastest kept), more while the caller measures candidate circuits.
        paths: u8,
        /// Round-trip time, ms.
        rtt_ms: u16,
        /// Lost voice frames, per mille.
        loss_permille: u16,
        /// Frames too late to play, per mille.
        late_permille: u16,
        /// Jitter, ms.
        jitter_ms: u16,
    }
    /// Network progress: Tor bootstrap and onion service publication.
    0x49 NetworkStatus Control [Transport => Cryptor, Cryptor => Ui] {
        /// Tor bootstrap, percent (100 in direct mode).
        bootstrap_percent: u8,
        /// Our onion service is published.
        onion_published: bool,
        /// Listening for calls.
        listening: bool,
        /// Our own address.
        address: Address,
    }
    /// An error to show.
    0x4a ErrorReport Control [Cryptor => Ui, Transport => Cryptor] {
        /// Call concerned (0: none).
        @call call: CallId,
        /// What.
        code: ErrorCode,
    }

    /// One part of a text message from the peer of a call (as the peer's
    /// ui sent it in [`SendText`]).
    0x4b TextReceived Control [Cryptor => Ui] {
        /// Call.
        @call call: CallId,
        /// The message's id, chosen by the peer's ui.
        id: u32,
        /// This part's index, from 0.
        part: u8,
        /// How many parts the message has.
        parts: u8,
        /// The part's text.
        text: Text<{ caps::TEXT_PART }>,
    }
    /// The peer's receipt for our text message `id`.
    0x4c ReceiptReceived Control [Cryptor => Ui] {
        /// Call.
        @call call: CallId,
        /// Our message id.
        id: u32,
        /// What the receipt says.
        kind: ReceiptKind,
    }

    /// A file-transfer message from the peer (as the peer's ui sent it in
    /// [`SendFile`]; not decoded by the cryptor).
    0x4d FileReceived Control [Cryptor => Ui] {
        /// Call.
        @call call: CallId,
        /// The encoded [`FileMessage`].
        body: Bytes<{ caps::FILE_BODY }>,
    }

    // ---- 0x50..0x6f: cryptor and transport --------------------------------------

    /// Entropy for transport's own randomness (padding, pauses).
    0x50 TransportSeed Control [Cryptor => Transport] {
        /// Seed.
        seed: Secret<32>,
    }
    /// Transport is running.
    0x51 TransportReady Control [Transport => Cryptor] {
        /// Capability bits.
        caps: u32,
    }
    /// Connects to a peer for a call.
    0x52 Dial Control [Cryptor => Transport] {
        /// Call.
        @call call: CallId,
        /// Where.
        address: Address,
    }
    /// First (obfuscation) session open; transport wants a representative.
    0x53 ObfuscationOpen Control [Transport => Cryptor] {
        /// Call.
        @call call: CallId,
        /// Our side.
        direction: Direction,
    }
    /// Our Elligator2 representative for the first session.
    0x54 ObfuscationKey Control [Cryptor => Transport] {
        /// Call.
        @call call: CallId,
        /// Representative (uniform 32 bytes).
        representative: [u8; 32],
    }
    /// The peer's representative from the first session.
    0x55 ObfuscationRemote Control [Transport => Cryptor] {
        /// Call.
        @call call: CallId,
        /// Representative.
        representative: [u8; 32],
    }
    /// Key for the second (obfuscated) session.
    0x56 ObfuscationSecret Control [Cryptor => Transport] {
        /// Call.
        @call call: CallId,
        /// Key.
        key: Secret<32>,
    }
    /// Second session open: the key exchange may start.
    0x57 SessionReady Control [Transport => Cryptor] {
        /// Call.
        @call call: CallId,
        /// Our side.
        direction: Direction,
        /// Path.
        path: PathKind,
    }
    /// IKE 1 (A→B): masked DH key X' = X ⊕ H(U), the commitment.
    0x58 IkeCommit Control peer ike [Cryptor => Transport, Transport => Cryptor] {
        /// Call.
        @call call: CallId,
        /// X'.
        x_masked: [u8; 32],
    }
    /// IKE 2 (B→A): DH key Y, and B's protocol version.
    0x59 IkeEphemeral Control peer ike [Cryptor => Transport, Transport => Cryptor] {
        /// Call.
        @call call: CallId,
        /// Y.
        y: [u8; 32],
        /// B's protocol version (last field: absent in version 1).
        version: PeerVersion,
    }
    /// IKE 3 (A→B): SPEKE key U, and A's protocol version.
    0x5a IkeSpekeU Control peer ike [Cryptor => Transport, Transport => Cryptor] {
        /// Call.
        @call call: CallId,
        /// U.
        u: [u8; 32],
        /// A's protocol version (last field: absent in version 1).
        version: PeerVersion,
    }
    /// IKE 4 (B→A): SPEKE key V.
    0x5b IkeSpekeV Control peer ike [Cryptor => Transport, Transport => Cryptor] {
        /// Call.
        @call call: CallId,
        /// V.
        v: [u8; 32],
    }
    /// IKE 5 (A→B): hidden originator identity A' = A ⊕ H1(D).
    0x5c IkeIdentity Control peer ike [Cryptor => Transport, Transport => Cryptor] {
        /// Call.
        @call call: CallId,
        /// A'.
        a_masked: [u8; 32],
    }
    /// IKE 6 (B→A): C = H1(S), proof B knows y.
    0x5d IkeConfirm Control peer ike [Cryptor => Transport, Transport => Cryptor] {
        /// Call.
        @call call: CallId,
        /// C.
        c: [u8; 32],
    }
    /// IKE 7 (A→B): A's authenticator and key confirmation.
    0x5e IkeAuthA Control peer ike [Cryptor => Transport, Transport => Cryptor] {
        /// Call.
        @call call: CallId,
        /// Ma.
        ma: [u8; 16],
        /// Mx (covers `purpose`).
        mx: [u8; 16],
        /// What the caller opened the connection for.
        purpose: CallPurpose,
    }
    /// IKE 8 (B→A): B's authenticator and key confirmation.
    0x5f IkeAuthB Control peer ike [Cryptor => Transport, Transport => Cryptor] {
        /// Call.
        @call call: CallId,
        /// Mb.
        mb: [u8; 16],
        /// My.
        my: [u8; 16],
    }
    /// Rekeys transport with Kt after the IKE.
    0x60 TransportKey Control [Cryptor => Transport] {
        /// Call.
        @call call: CallId,
        /// Kt.
        kt: Secret<32>,
    }
    /// Transport switched to Kt.
    0x61 TransportKeyed Control [Transport => Cryptor] {
        /// Call.
        @call call: CallId,
    }
    /// Opens the second path (call-back to the claimed address, doubling).
    0x62 DoublePath Control [Cryptor => Transport] {
        /// Call.
        @call call: CallId,
        /// Address the caller claimed.
        address: Address,
    }
    /// A path of a call came up or went down.
    0x63 PathState Control [Transport => Cryptor] {
        /// Call.
        @call call: CallId,
        /// Which path.
        path: PathKind,
        /// Up.
        up: bool,
        /// Paths up now.
        paths: u8,
    }
    /// Closes a call's connections.
    0x64 Terminate Control [Cryptor => Transport] {
        /// Call.
        @call call: CallId,
    }
    /// A call's connections closed.
    0x65 Terminated Control [Transport => Cryptor] {
        /// Call.
        @call call: CallId,
        /// Why.
        reason: EndReason,
    }
    /// Starts or stops direct-mode negotiation.
    0x66 DirectRequest Control [Cryptor => Transport] {
        /// Call.
        @call call: CallId,
        /// Enable.
        enable: bool,
    }
    /// A sealed cryptor-to-cryptor message ([`PeerMessage`] inside).
    0x67 PeerData Control peer [Cryptor => Transport, Transport => Cryptor] {
        /// Call.
        @call call: CallId,
        /// Ciphertext and tag.
        sealed: Bytes<{ caps::SEALED }>,
    }
    /// A sealed voice frame.
    0x70 Voice Voice peer [Cryptor => Transport, Transport => Cryptor] {
        /// Call.
        @call call: CallId,
        /// Frame counter.
        seq: u32,
        /// Ciphertext and tag.
        sealed: Bytes<{ caps::VOICE }>,
    }
    /// Transport's jitter buffer has no frame for this playout period: the
    /// receiver plays one concealed frame. Sent instead of a [`Voice`], so
    /// the receiver plays exactly one frame per period of transport's
    /// clock. With `held`, the buffer is growing its delay: the frame `seq`
    /// is still expected and comes next, and the concealed frame is
    /// inserted before it; without, the frame `seq` is lost.
    0x71 VoiceGap Voice [Transport => Cryptor] {
        /// Call.
        @call call: CallId,
        /// The frame counter of the frame that is missing.
        seq: u32,
        /// The frame is held back to grow the delay, not lost.
        held: bool,
    }
}

messages! {
    /// A cryptor-to-cryptor message, sealed with the session cipher and
    /// carried in [`PeerData`]. Transport never sees these in clear.
    pub enum PeerMessage;
    /// The kind byte of a [`PeerMessage`].
    pub enum PeerKind;

    /// Contact transfer 1: masked address O' = O ⊕ H(Ke ‖ A).
    0x01 XferAddress Control [] {
        /// O'.
        o_masked: [u8; 32],
        /// Port of the onion address.
        port: u16,
    }
    /// Contact transfer 2: challenge q and Q = H(q ‖ Ke ‖ O').
    0x02 XferChallenge Control [] {
        /// q.
        q: [u8; 16],
        /// Q.
        q_mac: [u8; 16],
    }
    /// Contact transfer 3: masked key A' = A ⊕ H(q ‖ Q ‖ Ke).
    0x03 XferKey Control [] {
        /// A'.
        a_masked: [u8; 32],
    }
    /// Secret compare 1: SPEKE key U.
    0x10 CompareU Control [] {
        /// U.
        u: [u8; 32],
    }
    /// Secret compare 2: SPEKE key V.
    0x11 CompareV Control [] {
        /// V.
        v: [u8; 32],
    }
    /// Secret compare 3: initiator's authenticator Ma.
    0x12 CompareMa Control [] {
        /// Ma.
        m: [u8; 32],
    }
    /// Secret compare 4: responder's authenticator Mb.
    0x13 CompareMb Control [] {
        /// Mb.
        m: [u8; 32],
    }
    /// The peer hangs up.
    0x20 PeerHangup Control [] {
        /// Why.
        reason: EndReason,
    }
    /// The peer answered (ringing stops).
    0x21 PeerAccept Control [] {}
    /// The peer asks for or leaves direct mode.
    0x22 PeerDirect Control [] {
        /// Enable.
        enable: bool,
    }
    /// One part of a text message ([`SendText`] carried to the peer).
    0x30 PeerText Control [] {
        /// The message's id, chosen by the sender's ui.
        id: u32,
        /// This part's index, from 0.
        part: u8,
        /// How many parts the message has.
        parts: u8,
        /// The part's text.
        text: Text<{ caps::TEXT_PART }>,
    }
    /// A receipt for a text message ([`SendReceipt`] carried to the peer).
    0x31 PeerReceipt Control [] {
        /// The message id.
        id: u32,
        /// What the receipt says.
        kind: ReceiptKind,
    }
    /// A file-transfer message ([`SendFile`] carried to the peer).
    0x32 PeerFile Control [] {
        /// The encoded [`FileMessage`].
        body: Bytes<{ caps::FILE_BODY }>,
    }
}

messages! {
    /// A file-transfer message between the two front ends, carried opaque
    /// through the ui and cryptor cores ([`SendFile`], [`PeerFile`],
    /// [`FileReceived`]). docs/protocol.md, "Files", gives the rules.
    pub enum FileMessage;
    /// The kind byte of a [`FileMessage`].
    pub enum FileKind;

    /// The sender offers a file. `file` names the transfer (random, chosen
    /// by the sender, kept across connections so a transfer can resume).
    0x01 FileOffer Control [] {
        /// The transfer.
        file: u64,
        /// The file's size in bytes.
        size: u64,
        /// The content hash of the whole plaintext.
        hash: [u8; 32],
        /// The file key the chunks are encrypted with.
        key: [u8; 32],
        /// The file's name as the sender has it (the receiver sanitises it).
        name: Text<{ caps::FILE_NAME }>,
    }
    /// The recipient accepts: send chunks from `next` on (0 for a new
    /// transfer; what it already holds for a resumed one).
    0x02 FileAccept Control [] {
        /// The transfer.
        file: u64,
        /// The first chunk it wants.
        next: u32,
    }
    /// Either side refuses an offer or ends a transfer.
    0x03 FileDecline Control [] {
        /// The transfer.
        file: u64,
        /// Why.
        reason: FileRefusal,
    }
    /// Chunk `index` of the file, encrypted with the file key.
    0x04 FileChunk Control [] {
        /// The transfer.
        file: u64,
        /// The chunk's index, from 0.
        index: u32,
        /// The encrypted chunk ([`caps::FILE_CHUNK`] bytes, the last one shorter).
        data: Bytes<{ caps::FILE_CHUNK }>,
    }
    /// The recipient holds every chunk before `next`.
    0x05 FileAck Control [] {
        /// The transfer.
        file: u64,
        /// The first chunk it does not hold.
        next: u32,
    }
    /// The recipient has every chunk and checked the hash: `saved` if it
    /// matched and the file is in place, else the transfer failed.
    0x06 FileDone Control [] {
        /// The transfer.
        file: u64,
        /// The hash matched and the file is saved.
        saved: bool,
    }
}

/// A message with its source and destination module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// Sending module.
    pub src: ModuleId,
    /// Receiving module.
    pub dst: ModuleId,
    /// The message.
    pub msg: Message,
}

impl Envelope {
    /// Addresses `msg` from `src` to `dst`.
    pub fn new(src: ModuleId, dst: ModuleId, msg: impl Into<Message>) -> Self {
        Self {
            src,
            dst,
            msg: msg.into(),
        }
    }

    /// Encodes `src`, `dst`, kind and body into `buf`; returns the length.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        let mut w = Writer::new(buf);
        self.src.encode(&mut w)?;
        self.dst.encode(&mut w)?;
        self.msg.encode(&mut w)?;
        Ok(w.position())
    }

    /// Decodes exactly one envelope; trailing bytes are an error.
    pub fn decode(buf: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(buf);
        let src = module(&mut r)?;
        let dst = module(&mut r)?;
        let msg = Message::decode(&mut r)?;
        r.finish()?;
        Ok(Self { src, dst, msg })
    }

    /// Delivery class of the message.
    pub fn class(&self) -> Class {
        self.msg.kind().class()
    }
}

fn module(r: &mut Reader<'_>) -> Result<ModuleId, DecodeError> {
    let b = r.u8()?;
    ModuleId::from_code(b).ok_or(DecodeError::UnknownModule(b))
}

/// `encode_to`/`decode_from` for a message family carried as bytes on
/// its own ([`PeerMessage`] in `PeerData`, [`FileMessage`] in `PeerFile`).
macro_rules! standalone {
    ($($t:ty),*) => {$(
        impl $t {
            /// Encodes into `buf`; returns the length.
            pub fn encode_to(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
                let mut w = Writer::new(buf);
                self.encode(&mut w)?;
                Ok(w.position())
            }

            /// Decodes exactly one message; trailing bytes are an error.
            pub fn decode_from(buf: &[u8]) -> Result<Self, DecodeError> {
                let mut r = Reader::new(buf);
                let m = Self::decode(&mut r)?;
                r.finish()?;
                Ok(m)
            }
        }
    )*};
}

standalone!(PeerMessage, FileMessage);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_envelope_is_computed_from_the_fields() {
        // PeerData: kind, call id, then `caps::SEALED` bytes behind a u16
        // length; with source and destination.
        assert_eq!(PeerData::MAX_SIZE, 4 + 2 + caps::SEALED);
        assert_eq!(MAX_MESSAGE, 3 + PeerData::MAX_SIZE);
        assert_eq!(MAX_MESSAGE, 329);
        assert_eq!(Contact::MAX_SIZE, 318);
    }
}
