//! What the user does ([`Action`]) and why the ui refuses it ([`UiError`]).

use core::fmt;

use susurro_wire::{Address, CallTarget, ContactId, NetMode};

/// A user action, fed to [`crate::UiCore::act`]. Text is borrowed: the core
/// copies what it sends (passwords and phrases straight into the wire's
/// zeroizing secret types) and keeps no password.
#[derive(Clone, PartialEq, Eq)]
pub enum Action<'a> {
    /// Creates the identity (first run).
    CreateIdentity {
        /// The new password.
        password: &'a str,
    },
    /// Unlocks the key store.
    Unlock {
        /// The password or PIN.
        password: &'a str,
    },
    /// Locks the key store.
    Lock,
    /// Changes the password.
    ChangePassword {
        /// Current password.
        old: &'a str,
        /// New password.
        new: &'a str,
    },
    /// Lists the address book from the beginning.
    RefreshContacts,
    /// Lists the next page (after the last contact shown).
    NextContacts,
    /// Adds a contact.
    AddContact {
        /// Unique name.
        name: &'a str,
        /// Long-term public key.
        key: [u8; 32],
        /// Address.
        address: Address,
        /// Free text.
        note: &'a str,
    },
    /// Renames a contact.
    RenameContact {
        /// Contact.
        id: ContactId,
        /// New name.
        name: &'a str,
    },
    /// Deletes a contact.
    DeleteContact {
        /// Contact.
        id: ContactId,
    },
    /// Changes a contact's address.
    SetContactAddress {
        /// Contact.
        id: ContactId,
        /// New address ([`Address::None`] clears it).
        address: Address,
    },
    /// Changes a contact's note.
    SetContactNote {
        /// Contact.
        id: ContactId,
        /// New note.
        note: &'a str,
    },
    /// Places a call.
    Call {
        /// Whom.
        target: CallTarget,
        /// Tor or direct.
        mode: NetMode,
    },
    /// Answers the ringing call.
    Accept,
    /// Declines the incoming call.
    Reject,
    /// Ends the call.
    Hangup,
    /// Mutes (true) or unmutes the microphone.
    Mute(bool),
    /// Asks for (true) or leaves direct UDP mode.
    SetDirect(bool),
    /// The user read the SAS aloud and it matched.
    MarkSasVerified,
    /// Starts a zero-knowledge compare of a phrase both know.
    CompareSecret {
        /// The phrase.
        phrase: &'a str,
    },
    /// Sends a contact to the peer (0: ourselves).
    SendContact {
        /// Contact.
        contact: ContactId,
    },
    /// Opens a message session with a contact: no ringing, no voice; both
    /// sides must hold each other's cards (`EndReason::NotContacts`
    /// otherwise). Send with `SendStored`/`SendText` once the call view's
    /// phase is `Phase::Messages`, then `Hangup`.
    OpenMessages {
        /// Whom (a contact, for the keys to prove who is who).
        target: CallTarget,
        /// Path to use.
        mode: NetMode,
    },
    /// Sets the network configuration.
    SetNetwork {
        /// Tor or direct.
        mode: NetMode,
        /// Listen for calls.
        listen: bool,
        /// TCP port for direct mode (0: none).
        port: u16,
    },
    /// Sends a text message to the peer of the call (talking).
    SendText {
        /// The message (UTF-8, 1 to 3840 bytes, not only spaces).
        text: &'a str,
    },
    /// Sends a message of the front end's history: `id` is its number in
    /// the conversation with this contact (persistent; a retry uses the
    /// same id and the peer keeps one copy).
    SendStored {
        /// The message's id in the conversation.
        id: u32,
        /// The message.
        text: &'a str,
    },
    /// The front end's history has the peer's message `id` on disk: the
    /// `Delivered` receipt goes to the peer (with `UiConfig::host_receipts`).
    Delivered {
        /// The peer's id of the message.
        id: u32,
    },
    /// The front end showed the call's chat: the peer's lines are read
    /// (read receipts go to the peer while the call lasts).
    MarkRead,
    /// The front end's history shows the peer's stored message `id` as
    /// read (perhaps long after it arrived): the `Read` receipt goes to the
    /// peer of the current call or message session.
    ReadStored {
        /// The peer's id of the message.
        id: u32,
    },
    /// Sends a file-transfer message (an encoded `FileMessage`, at most
    /// `caps::FILE_BODY` bytes) to the peer of the call or message
    /// session. The front end runs the transfer; the core only carries it.
    SendFile {
        /// The encoded message.
        body: &'a [u8],
    },
    /// Clears an ended call and the last error from the view.
    Dismiss,
}

impl fmt::Debug for Action<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Passwords and phrases never reach a log.
        match self {
            Self::CreateIdentity { .. } => f.write_str("CreateIdentity { .. }"),
            Self::Unlock { .. } => f.write_str("Unlock { .. }"),
            Self::Lock => f.write_str("Lock"),
            Self::ChangePassword { .. } => f.write_str("ChangePassword { .. }"),
            Self::RefreshContacts => f.write_str("RefreshContacts"),
            Self::NextContacts => f.write_str("NextContacts"),
            Self::AddContact { name, .. } => write!(f, "AddContact {{ name: {name:?}, .. }}"),
            Self::RenameContact { id, name } => write!(f, "RenameContact({id}, {name:?})"),
            Self::DeleteContact { id } => write!(f, "DeleteContact({id})"),
            Self::SetContactAddress { id, address } => {
                write!(f, "SetContactAddress({id}, {address:?})")
            }
            Self::SetContactNote { id, .. } => write!(f, "SetContactNote({id}, ..)"),
            Self::Call { target, mode } => write!(f, "Call({target:?}, {mode:?})"),
            Self::Accept => f.write_str("Accept"),
            Self::Reject => f.write_str("Reject"),
            Self::Hangup => f.write_str("Hangup"),
            Self::Mute(on) => write!(f, "Mute({on})"),
            Self::SetDirect(on) => write!(f, "SetDirect({on})"),
            Self::MarkSasVerified => f.write_str("MarkSasVerified"),
            Self::CompareSecret { .. } => f.write_str("CompareSecret { .. }"),
            Self::SendContact { contact } => write!(f, "SendContact({contact})"),
            Self::SetNetwork { mode, listen, port } => {
                write!(f, "SetNetwork({mode:?}, listen {listen}, port {port})")
            }
            Self::SendText { text } => write!(f, "SendText({} bytes)", text.len()),
            Self::SendStored { id, text } => write!(f, "SendStored({id}, {} bytes)", text.len()),
            Self::Delivered { id } => write!(f, "Delivered({id})"),
            Self::OpenMessages { target, mode } => write!(f, "OpenMessages({target:?}, {mode:?})"),
            Self::MarkRead => f.write_str("MarkRead"),
            Self::ReadStored { id } => write!(f, "ReadStored({id})"),
            Self::SendFile { body } => write!(f, "SendFile({} bytes)", body.len()),
            Self::Dismiss => f.write_str("Dismiss"),
        }
    }
}

/// Why [`crate::UiCore::act`] refused an action. Nothing was sent and the
/// view did not change. [`UiError::message`] says it in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UiError {
    /// Storage has not reported its state yet.
    StoreUnknown,
    /// The link to storage is down.
    StorageDisconnected,
    /// There is no identity: create one.
    NoIdentity,
    /// An identity exists already.
    IdentityExists,
    /// The key store is locked.
    Locked,
    /// The key store is unlocked already.
    AlreadyUnlocked,
    /// Too many wrong passwords: wait this many seconds.
    LockedOut {
        /// Seconds left.
        retry_after_s: u32,
    },
    /// The key store is damaged or unreadable.
    StoreDamaged,
    /// A password request is still running.
    InProgress,
    /// The password is empty.
    EmptyPassword,
    /// The password is longer than 128 bytes.
    PasswordTooLong,
    /// The name is empty.
    EmptyName,
    /// The name is longer than 64 bytes.
    NameTooLong,
    /// The name has control characters, spaces at the ends or starts with
    /// `+` (reserved for received contacts).
    BadName,
    /// The note is longer than 128 bytes.
    NoteTooLong,
    /// The note has control characters (other than newline and tab).
    BadNote,
    /// The phrase is empty.
    EmptyPhrase,
    /// The phrase is longer than 128 bytes.
    PhraseTooLong,
    /// Contact id 0 (or otherwise impossible).
    InvalidContact,
    /// Calling an empty address.
    NoAddress,
    /// The address is not valid (empty host, port 0, bad characters).
    BadAddress,
    /// Listening in direct mode needs a port.
    BadPort,
    /// A call is active.
    Busy,
    /// There is no call.
    NoCall,
    /// No incoming call waits for an answer.
    NoIncomingCall,
    /// The incoming call is still being secured: wait for it to ring.
    CallNotReady,
    /// The action needs a call in progress (talking).
    NotInCall,
    /// The call has no SAS yet (keys not agreed).
    NoSas,
    /// The call is still active: hang up first.
    CallActive,
    /// The page holds every contact already.
    NoMoreContacts,
    /// The outbox is full (a runtime bug: it drains after every call).
    OutboxFull,
    /// The text message is empty (or only spaces).
    EmptyText,
    /// The text message is longer than 3840 bytes.
    TextTooLong,
    /// Text messages are going out faster than the peer accepts.
    SendingTooFast,
    /// A file-transfer message longer than `caps::FILE_BODY` (a front-end bug).
    FileMessageTooLong,
}

impl UiError {
    /// The refusal in words.
    #[must_use]
    pub fn message(&self) -> &'static str {
        match self {
            Self::StoreUnknown => "Waiting for the key store to answer.",
            Self::StorageDisconnected => "Your key store is disconnected.",
            Self::NoIdentity => "There is no identity yet. Create one first.",
            Self::IdentityExists => "An identity already exists.",
            Self::Locked => "Your key store is locked. Unlock it first.",
            Self::AlreadyUnlocked => "Your key store is already unlocked.",
            Self::LockedOut { .. } => "Too many wrong passwords. Please wait.",
            Self::StoreDamaged => "The key store is damaged or from a newer version.",
            Self::InProgress => "Please wait: the previous request is still running.",
            Self::EmptyPassword => "Enter a password.",
            Self::PasswordTooLong => "The password is too long (128 bytes at most).",
            Self::EmptyName => "Enter a name.",
            Self::NameTooLong => "The name is too long (64 bytes at most).",
            Self::BadName => {
                "That name cannot be used: no control characters, no spaces at the ends, not starting with \"+\"."
            }
            Self::NoteTooLong => "The note is too long (128 bytes at most).",
            Self::BadNote => "The note has characters that are not allowed.",
            Self::EmptyPhrase => "Enter the secret phrase.",
            Self::PhraseTooLong => "The phrase is too long (128 bytes at most).",
            Self::InvalidContact => "No such contact.",
            Self::NoAddress => "Enter an address to call.",
            Self::BadAddress => "That address is not valid.",
            Self::BadPort => "Choose a port to listen on.",
            Self::Busy => "A call is already in progress.",
            Self::NoCall => "There is no call.",
            Self::NoIncomingCall => "No one is calling.",
            Self::CallNotReady => "The call is still being secured. Wait for it to ring.",
            Self::NotInCall => "That needs a call in progress.",
            Self::NoSas => "The call is not secured yet: there is no code to compare.",
            Self::CallActive => "The call is still going on.",
            Self::NoMoreContacts => "There are no more contacts.",
            Self::OutboxFull => "Too much at once. Try again.",
            Self::EmptyText => "Write a message first.",
            Self::TextTooLong => "The message is too long (3840 bytes at most).",
            Self::SendingTooFast => "Messages are going out too fast. Wait a moment.",
            Self::FileMessageTooLong => "A file-transfer message is too long.",
        }
    }
}

impl fmt::Display for UiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LockedOut { retry_after_s } => write!(
                f,
                "Too many wrong passwords. Try again in {retry_after_s} seconds."
            ),
            other => f.write_str(other.message()),
        }
    }
}

impl core::error::Error for UiError {}
