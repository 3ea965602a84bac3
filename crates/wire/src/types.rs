//! Field types shared by the messages: modules, bounded bytes and text,
//! secrets, addresses, contacts and the small enumerations.

use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::codec::{
    DecodeError, EncodeError, Field, Reader, Writer, max_of, read_len, wire_enum, write_len,
};

wire_enum! {
    /// A module of Susurro, or the host that routes between them.
    pub enum ModuleId {
        /// The host's router itself (link and routing events).
        Host = 0,
        /// Untrusted: sockets, Tor, obfuscation, voice queue.
        Transport = 1,
        /// Trusted: key exchange, session cipher, audio.
        Cryptor = 2,
        /// Trusted, maybe a token: long-term key, address book, entropy.
        Storage = 3,
        /// Trusted: the user-facing state machine.
        Ui = 4,
    }
}

/// Bytes of at most `N`, encoded as `u16le` length then the bytes.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Bytes<const N: usize>(heapless::Vec<u8, N>);

impl<const N: usize> Bytes<N> {
    /// Copies `b`, failing if it is longer than `N`.
    pub fn new(b: &[u8]) -> Result<Self, CapacityError> {
        heapless::Vec::from_slice(b)
            .map(Self)
            .map_err(|_| CapacityError {
                max: N,
                got: b.len(),
            })
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl<const N: usize> fmt::Debug for Bytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bytes[{}]", self.0.len())
    }
}

impl<const N: usize> Field for Bytes<N> {
    fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        write_len(w, self.0.len())?;
        w.put(&self.0)
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let len = read_len(r, N)?;
        let b = r.take(len)?;
        heapless::Vec::from_slice(b)
            .map(Self)
            .map_err(|_| DecodeError::TooLong { max: N, got: len })
    }
    const SPEC: &'static str = "bytes: u16le length (capped) then the bytes";
    const MAX_SIZE: usize = 2 + N;
}

/// A value was longer than its field allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapacityError {
    /// The cap.
    pub max: usize,
    /// The length offered.
    pub got: usize,
}

impl fmt::Display for CapacityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} bytes exceed the cap of {}", self.got, self.max)
    }
}

/// UTF-8 text of at most `N` bytes, encoded as `u16le` length then the bytes.
/// Too-long text is rejected, never truncated.
#[derive(Clone, PartialEq, Eq, Default, Hash)]
pub struct Text<const N: usize>(heapless::String<N>);

impl<const N: usize> Text<N> {
    /// Copies `s`, failing if it is longer than `N` bytes.
    pub fn new(s: &str) -> Result<Self, CapacityError> {
        let mut t = heapless::String::new();
        t.push_str(s).map_err(|_| CapacityError {
            max: N,
            got: s.len(),
        })?;
        Ok(Self(t))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const N: usize> fmt::Debug for Text<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0.as_str(), f)
    }
}

impl<const N: usize> Field for Text<N> {
    fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        write_len(w, self.0.len())?;
        w.put(self.0.as_bytes())
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let len = read_len(r, N)?;
        let s = core::str::from_utf8(r.take(len)?).map_err(|_| DecodeError::BadUtf8)?;
        Self::new(s).map_err(|_| DecodeError::TooLong { max: N, got: len })
    }
    const SPEC: &'static str = "text: u16le length (capped) then UTF-8";
    const MAX_SIZE: usize = 2 + N;
}

/// A fixed-size secret: `susurro-crypto`'s [`Secret`](susurro_crypto::Secret)
/// (zeroized on drop, compared in constant time, never printed), encoded as
/// its `N` bytes.
pub use susurro_crypto::Secret;

impl<const N: usize> Field for Secret<N> {
    fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.put(self.expose())
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self::new(r.array()?))
    }
    const SPEC: &'static str = "fixed secret bytes";
    const MAX_SIZE: usize = N;
}

/// A secret of at most `N` bytes (a password, a shared phrase, entropy):
/// zeroized on drop, compared in constant time, never printed. Encoded like
/// [`Bytes`].
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretBytes<const N: usize> {
    len: usize,
    buf: [u8; N],
}

impl<const N: usize> SecretBytes<N> {
    /// Copies secret bytes, failing if longer than `N`.
    pub fn new(b: &[u8]) -> Result<Self, CapacityError> {
        let mut buf = [0u8; N];
        let dst = buf.get_mut(..b.len()).ok_or(CapacityError {
            max: N,
            got: b.len(),
        })?;
        dst.copy_from_slice(b);
        Ok(Self { len: b.len(), buf })
    }

    /// The secret bytes. Callers must not log them.
    pub fn expose(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// The secret as UTF-8, if it is text.
    pub fn expose_str(&self) -> Option<&str> {
        core::str::from_utf8(self.expose()).ok()
    }
}

impl<const N: usize> PartialEq for SecretBytes<N> {
    fn eq(&self, other: &Self) -> bool {
        // Lengths of secrets are not secret here (they travel in clear on the
        // bus), contents are.
        self.len == other.len && bool::from(self.expose().ct_eq(other.expose()))
    }
}
impl<const N: usize> Eq for SecretBytes<N> {}

impl<const N: usize> fmt::Debug for SecretBytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes<{N}>(redacted)")
    }
}

impl<const N: usize> Field for SecretBytes<N> {
    fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        write_len(w, self.len)?;
        w.put(self.expose())
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let len = read_len(r, N)?;
        Self::new(r.take(len)?).map_err(|_| DecodeError::TooLong { max: N, got: len })
    }
    const SPEC: &'static str = "secret bytes: u16le length (capped) then the bytes";
    const MAX_SIZE: usize = 2 + N;
}

/// Caps of the variable-length fields, in bytes.
pub mod caps {
    /// A contact name (UTF-8).
    pub const NAME: usize = 64;
    /// A contact note (UTF-8).
    pub const NOTE: usize = 128;
    /// A host name of a direct TCP address.
    pub const HOST: usize = 64;
    /// A password or token PIN.
    pub const PASSWORD: usize = 128;
    /// A phrase for the secret compare.
    pub const PHRASE: usize = 128;
    /// Entropy in one message.
    pub const ENTROPY: usize = 64;
    /// One sealed voice frame.
    pub const VOICE: usize = 256;
    /// One sealed cryptor-to-cryptor message.
    pub const SEALED: usize = 320;
    /// One part of a text message (UTF-8, cut at character boundaries).
    pub const TEXT_PART: usize = 240;
    /// Parts of one text message at most: [`TEXT_PART`] × this is the
    /// longest text message (3840 bytes of UTF-8).
    pub const TEXT_PARTS: u8 = 16;
    /// Text parts one side of a call may send: a burst of this many, then
    /// this many per second ([`ErrorCode::TooFast`](super::ErrorCode)
    /// past it; a receiver drops what comes faster than twice it).
    pub const TEXT_RATE: u8 = 32;
    /// File data in one [`FileChunk`](crate::FileChunk): a file is cut into
    /// chunks of exactly this many bytes, the last one shorter.
    pub const FILE_CHUNK: usize = 256;
    /// A file's name in a [`FileOffer`](crate::FileOffer) (UTF-8).
    pub const FILE_NAME: usize = 160;
    /// One encoded [`FileMessage`](crate::FileMessage), carried opaque in
    /// [`SendFile`](crate::SendFile), [`PeerFile`](crate::PeerFile) and
    /// [`FileReceived`](crate::FileReceived): the largest, a full
    /// `FileChunk`, is 1 + 8 + 4 + 2 + 256 bytes.
    pub const FILE_BODY: usize = 271;
}

/// A contact name.
pub type Name = Text<{ caps::NAME }>;
/// A contact note.
pub type Note = Text<{ caps::NOTE }>;
/// A password or PIN.
pub type Password = SecretBytes<{ caps::PASSWORD }>;

/// A contact's id in the address book (never 0).
pub type ContactId = u32;
/// A call's id, chosen by the cryptor (never 0).
pub type CallId = u32;

/// Call ids from here up are chosen by transport for incoming calls (from
/// `INCOMING_CALL_BASE + 1`, wrapping back to it); the cryptor numbers its
/// outgoing calls below it.
pub const INCOMING_CALL_BASE: CallId = 0x8000_0000;

/// Where a peer can be reached.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Address {
    /// No address known.
    #[default]
    None,
    /// A v3 onion service: its ed25519 public key and virtual port.
    Onion {
        /// The service's public key (the onion address without checksum).
        key: [u8; 32],
        /// The virtual port.
        port: u16,
    },
    /// A direct TCP address.
    Tcp {
        /// Host name or IP literal.
        host: Text<{ caps::HOST }>,
        /// TCP port.
        port: u16,
    },
}

impl Field for Address {
    fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        match self {
            Self::None => w.u8(0),
            Self::Onion { key, port } => {
                w.u8(1)?;
                key.encode(w)?;
                port.encode(w)
            }
            Self::Tcp { host, port } => {
                w.u8(2)?;
                host.encode(w)?;
                port.encode(w)
            }
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.u8()? {
            0 => Ok(Self::None),
            1 => Ok(Self::Onion {
                key: Field::decode(r)?,
                port: Field::decode(r)?,
            }),
            2 => Ok(Self::Tcp {
                host: Field::decode(r)?,
                port: Field::decode(r)?,
            }),
            value => Err(DecodeError::BadValue {
                what: "Address",
                value,
            }),
        }
    }
    const SPEC: &'static str =
        "Address: 00 none | 01 key[32] port:u16le (onion v3) | 02 host:text<=64 port:u16le (TCP)";
    const MAX_SIZE: usize = 1 + max_of(&[
        0,
        <[u8; 32]>::MAX_SIZE + u16::MAX_SIZE,
        <Text<{ caps::HOST }>>::MAX_SIZE + u16::MAX_SIZE,
    ]);
}

/// How to find a contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactQuery {
    /// By id.
    Id(ContactId),
    /// By exact name.
    Name(Name),
    /// By long-term public key.
    Key([u8; 32]),
    /// By address.
    Address(Address),
    /// By key fingerprint (tag).
    Tag([u8; 16]),
}

impl Field for ContactQuery {
    fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        match self {
            Self::Id(id) => {
                w.u8(0)?;
                id.encode(w)
            }
            Self::Name(n) => {
                w.u8(1)?;
                n.encode(w)
            }
            Self::Key(k) => {
                w.u8(2)?;
                k.encode(w)
            }
            Self::Address(a) => {
                w.u8(3)?;
                a.encode(w)
            }
            Self::Tag(t) => {
                w.u8(4)?;
                t.encode(w)
            }
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.u8()? {
            0 => Ok(Self::Id(Field::decode(r)?)),
            1 => Ok(Self::Name(Field::decode(r)?)),
            2 => Ok(Self::Key(Field::decode(r)?)),
            3 => Ok(Self::Address(Field::decode(r)?)),
            4 => Ok(Self::Tag(Field::decode(r)?)),
            value => Err(DecodeError::BadValue {
                what: "ContactQuery",
                value,
            }),
        }
    }
    const SPEC: &'static str = "ContactQuery: 00 id:u32le | 01 name:text<=64 | 02 key[32] | 03 Address | 04 fingerprint[16]";
    const MAX_SIZE: usize = 1 + max_of(&[
        ContactId::MAX_SIZE,
        Name::MAX_SIZE,
        <[u8; 32]>::MAX_SIZE,
        Address::MAX_SIZE,
        <[u8; 16]>::MAX_SIZE,
    ]);
}

/// Whom to call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallTarget {
    /// A contact from the address book.
    Contact(ContactId),
    /// An address typed by the user (unknown callee).
    Address(Address),
}

impl Field for CallTarget {
    fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        match self {
            Self::Contact(id) => {
                w.u8(0)?;
                id.encode(w)
            }
            Self::Address(a) => {
                w.u8(1)?;
                a.encode(w)
            }
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.u8()? {
            0 => Ok(Self::Contact(Field::decode(r)?)),
            1 => Ok(Self::Address(Field::decode(r)?)),
            value => Err(DecodeError::BadValue {
                what: "CallTarget",
                value,
            }),
        }
    }
    const SPEC: &'static str = "CallTarget: 00 contact:u32le | 01 Address";
    const MAX_SIZE: usize = 1 + max_of(&[ContactId::MAX_SIZE, Address::MAX_SIZE]);
}

/// Flags of a contact (bit set).
pub mod contact_flags {
    /// Added automatically from a contact transfer (`+<SAS>-<fingerprint>`).
    pub const AUTO_ADDED: u8 = 0x01;
    /// The user compared the SAS of a call with this contact.
    pub const VERIFIED: u8 = 0x02;
}

/// The version of the cryptor-to-cryptor protocol (the IKE and everything
/// keyed from it: `docs/protocol.md`) a party announces.
///
/// It travels as the **last** field of the first IKE message each side sends
/// after A's commitment: `IkeEphemeral` (B's) and `IkeSpekeU` (A's). The
/// first wave's messages (version 1) had no such field, so a message that
/// ends where it would start reads as version 1, and version 1 encodes as no
/// byte at all (one encoding per value: a present byte `01` is refused). A
/// party refuses any version but its own, with a clear reason
/// ([`EndReason::Incompatible`]), instead of running an exchange whose SAS
/// the two sides would compute differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerVersion(pub u8);

impl PeerVersion {
    /// The first wave's protocol: its messages carried no version.
    pub const FIRST: PeerVersion = PeerVersion(1);
    /// The second wave's first protocol: the SAS from `S, X', Y, U` only.
    pub const SECOND: PeerVersion = PeerVersion(2);
    /// The version this code speaks: version 2, and the call's purpose
    /// (voice or messages) in message 7, covered by `Mx`; text messages
    /// on the control lane.
    pub const CURRENT: PeerVersion = PeerVersion(3);
}

impl Field for PeerVersion {
    fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        if *self == Self::FIRST {
            Ok(())
        } else {
            w.u8(self.0)
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        if r.remaining() == 0 {
            return Ok(Self::FIRST);
        }
        match r.u8()? {
            1 => Err(DecodeError::BadValue {
                what: "peer version (1 is written as no byte)",
                value: 1,
            }),
            v => Ok(Self(v)),
        }
    }
    const SPEC: &'static str = "u8 peer protocol version, last field only: no byte at all means version 1 (a byte 01 is refused)";
    const MAX_SIZE: usize = 1;
}

/// One address-book entry as it travels on the bus.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Contact {
    /// Id in the book.
    pub id: ContactId,
    /// Unique display name.
    pub name: Name,
    /// Long-term X25519 public key.
    pub key: [u8; 32],
    /// Where the contact is reached.
    pub address: Address,
    /// Free text.
    pub note: Note,
    /// [`contact_flags`] bits.
    pub flags: u8,
    /// Creation time, seconds since the Unix epoch.
    pub created: u64,
    /// Last change, seconds since the Unix epoch.
    pub updated: u64,
}

impl Field for Contact {
    fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        self.id.encode(w)?;
        self.name.encode(w)?;
        self.key.encode(w)?;
        self.address.encode(w)?;
        self.note.encode(w)?;
        self.flags.encode(w)?;
        self.created.encode(w)?;
        self.updated.encode(w)
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            id: Field::decode(r)?,
            name: Field::decode(r)?,
            key: Field::decode(r)?,
            address: Field::decode(r)?,
            note: Field::decode(r)?,
            flags: Field::decode(r)?,
            created: Field::decode(r)?,
            updated: Field::decode(r)?,
        })
    }
    const SPEC: &'static str = "Contact: id:u32le name:text<=64 key[32] Address note:text<=128 flags:u8 created:u64le updated:u64le";
    const MAX_SIZE: usize = ContactId::MAX_SIZE
        + Name::MAX_SIZE
        + <[u8; 32]>::MAX_SIZE
        + Address::MAX_SIZE
        + Note::MAX_SIZE
        + u8::MAX_SIZE
        + u64::MAX_SIZE
        + u64::MAX_SIZE;
}

wire_enum! {
    /// State of the key store.
    pub enum StoreState {
        /// No identity exists yet.
        NoIdentity = 0,
        /// An identity exists; the password is needed.
        Locked = 1,
        /// Unlocked: the book and the key can be used.
        Unlocked = 2,
        /// Too many wrong passwords: refused until a delay has passed.
        LockedOut = 3,
        /// Wiped after too many wrong PINs (token profile).
        Wiped = 4,
        /// The persisted store is damaged or in a format this device cannot
        /// read; nothing was changed.
        Damaged = 5,
    }
}

wire_enum! {
    /// Outcome of an unlock or create request.
    pub enum UnlockOutcome {
        /// The store is unlocked.
        Unlocked = 0,
        /// Wrong password; the attempt was counted.
        WrongPassword = 1,
        /// Locked out; try after the delay.
        LockedOut = 2,
        /// The store erased itself.
        Wiped = 3,
        /// There is no identity to unlock.
        NoIdentity = 4,
        /// A new identity was created and unlocked.
        Created = 5,
        /// Create refused: an identity exists.
        AlreadyExists = 6,
        /// The password is not acceptable (empty or too long).
        BadPassword = 7,
        /// The persisted store is damaged or unreadable here; not counted
        /// as a wrong password.
        Damaged = 8,
        /// Persistence failed; nothing was changed.
        Io = 9,
    }
}

wire_enum! {
    /// Why storage refused a request.
    pub enum StorageErrorCode {
        /// The store is locked.
        Locked = 1,
        /// No such contact.
        NotFound = 2,
        /// Another contact has that name.
        NameTaken = 3,
        /// The name is empty, too long or has control characters.
        InvalidName = 4,
        /// The address is not valid.
        InvalidAddress = 5,
        /// The book is full.
        Full = 6,
        /// Persistence failed; nothing was changed.
        Io = 7,
        /// The point is not valid for a scalar multiplication.
        BadPoint = 8,
        /// Another contact has that key.
        KeyTaken = 9,
        /// The persisted store is damaged or unreadable here.
        Damaged = 10,
        /// The request is malformed (e.g. more entropy than one message holds).
        BadRequest = 11,
        /// Randomness is not available yet (no entropy received).
        NoEntropy = 12,
    }
}

wire_enum! {
    /// What changed in a contact.
    pub enum ChangeKind {
        /// New name.
        Renamed = 0,
        /// New address.
        AddressChanged = 1,
        /// New note.
        NoteChanged = 2,
        /// Deleted.
        Deleted = 3,
        /// Verified flag changed.
        VerifiedChanged = 4,
    }
}

wire_enum! {
    /// Which side opened a connection.
    pub enum Direction {
        /// We called.
        Outgoing = 0,
        /// They called.
        Incoming = 1,
    }
}

wire_enum! {
    /// The network path a call uses.
    pub enum PathKind {
        /// Direct TCP.
        Tcp = 0,
        /// Tor onion service.
        Tor = 1,
        /// Direct UDP after NAT traversal.
        Udp = 2,
    }
}

wire_enum! {
    /// Network mode for calls.
    pub enum NetMode {
        /// Tor onion services.
        Tor = 0,
        /// Direct TCP.
        Direct = 1,
    }
}

wire_enum! {
    /// Stage of a call as the user sees it.
    pub enum CallPhase {
        /// Connecting to the callee.
        Dialing = 0,
        /// First (obfuscation) session.
        Obfuscating = 1,
        /// Second session and proof of work.
        Connecting = 2,
        /// Key exchange running.
        KeyExchange = 3,
        /// The callee's phone is ringing.
        RingingRemote = 4,
        /// Our phone is ringing.
        Ringing = 5,
        /// Talking.
        InCall = 6,
        /// Talking over two paths.
        Doubled = 7,
        /// A message session (no voice, no ringing): both sides are
        /// authenticated contacts and text messages flow.
        Messages = 8,
    }
}

wire_enum! {
    /// Why a call ended.
    pub enum EndReason {
        /// We hung up.
        LocalHangup = 0,
        /// They hung up.
        RemoteHangup = 1,
        /// The callee rejected the call.
        Rejected = 2,
        /// The callee could not be reached.
        Unreachable = 3,
        /// A step timed out.
        Timeout = 4,
        /// Key confirmation failed: the line is not safe.
        KeyMismatch = 5,
        /// The peer broke the protocol.
        ProtocolError = 6,
        /// The network path was lost.
        NetworkLost = 7,
        /// The key store is locked.
        StoreLocked = 8,
        /// Another call is active.
        Busy = 9,
        /// The peer speaks another version of the protocol (an older or
        /// newer Susurro): nothing was compared, nothing is safe to compare.
        Incompatible = 10,
        /// A message session between two people who are not both in each
        /// other's contacts (the keys did not prove who is who): refused.
        NotContacts = 11,
    }
}

wire_enum! {
    /// Direct (UDP) mode negotiation.
    pub enum DirectPhase {
        /// Not in direct mode.
        Off = 0,
        /// We asked; waiting for the peer.
        LocalRequested = 1,
        /// The peer asked; waiting for us.
        RemoteRequested = 2,
        /// NAT traversal running.
        Probing = 3,
        /// Voice flows over UDP.
        Active = 4,
        /// NAT traversal failed; still on the previous path.
        Failed = 5,
    }
}

wire_enum! {
    /// What a connection between two cryptors is for. The caller chooses;
    /// the callee learns it, authenticated, in the IKE's message 7
    /// (`docs/protocol.md`, "Message sessions").
    pub enum CallPurpose {
        /// A voice call: it rings, and text may flow once both answered.
        Voice = 0,
        /// Text messages only: no ringing, no voice, both sides must be
        /// each other's contacts.
        Messages = 1,
    }
}

wire_enum! {
    /// What a receipt for a text message says.
    pub enum ReceiptKind {
        /// Every part arrived: the recipient's program has the message.
        Delivered = 0,
        /// The recipient's screen showed it.
        Read = 1,
    }
}

wire_enum! {
    /// Why a file offer or transfer is refused.
    pub enum FileRefusal {
        /// The recipient said no.
        Declined = 0,
        /// Larger than the recipient accepts.
        TooBig = 1,
        /// The recipient cannot store it (disk full, folder not writable).
        NoSpace = 2,
        /// The message names a file the side does not know (a resume of a
        /// transfer it has forgotten, or a chunk for no transfer).
        Unknown = 3,
        /// The recipient has too many transfers going.
        Busy = 4,
        /// The recipient did not answer the offer in time.
        NoAnswer = 5,
        /// A message broke the transfer's rules (a chunk of the wrong
        /// length, an acknowledgement past the end).
        Corrupt = 6,
    }
}

wire_enum! {
    /// Result of a secret compare.
    pub enum CompareOutcome {
        /// Both typed the same secret.
        Match = 0,
        /// The secrets differ (or someone is in the middle).
        Mismatch = 1,
        /// The peer started a compare; type the secret.
        PeerRequested = 2,
        /// The per-call limit of attempts is reached.
        TooManyAttempts = 3,
        /// The compare was aborted.
        Aborted = 4,
    }
}

wire_enum! {
    /// State of a link as the host reports it.
    pub enum LinkPhase {
        /// Hello exchanged, traffic flows.
        Up = 0,
        /// No traffic; reconnecting.
        Down = 1,
        /// The peer speaks an incompatible protocol version.
        VersionMismatch = 2,
    }
}

wire_enum! {
    /// Errors the ui shows in words.
    pub enum ErrorCode {
        /// The contact has no address.
        NoAddress = 1,
        /// The address is not valid.
        BadAddress = 2,
        /// No such contact.
        UnknownContact = 3,
        /// The key store is locked.
        StoreLocked = 4,
        /// The transport is not running.
        TransportDown = 5,
        /// No call with that id.
        NoSuchCall = 6,
        /// The request is not possible in this call state.
        WrongState = 7,
        /// An internal error; details are in the log.
        Internal = 8,
        /// The listening port is taken.
        PortInUse = 9,
        /// Nothing answered at the peer's address (refused, unreachable).
        PeerUnreachable = 10,
        /// The peer's address did not answer in time.
        PeerTimeout = 11,
        /// Text messages sent faster than [`caps::TEXT_RATE`] allows: wait.
        TooFast = 12,
        /// A text message's parts are numbered wrong (empty, too many, or
        /// a part past the count).
        BadText = 13,
    }
}
