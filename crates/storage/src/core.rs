//! The storage module core: wire messages in, wire messages out.

use susurro_wire::Instant;
use susurro_wire::module::{Input, ModuleCore, OUTBOX_CAP, Outbox};
use susurro_wire::{
    ChangeKind, ModuleId, SecretBytes, StorageErrorCode, StoreState, UnlockOutcome, caps,
};
use susurro_wire::{
    ContactAdded, ContactChanged, ContactEntry, ContactFound, ContactListEnd, ContactNotFound,
    Entropy, Envelope, HistoryKey, Message, PublicKey, ScalarMultResult, StorageError, StoreStatus,
    UnlockResult,
};

use crate::error::StoreError;
use crate::persist::Persist;
use crate::profile::{KdfMemory, Profile};
use crate::store::{State, Store};

susurro_wire::restricted_msg! {
    /// What the storage core may receive. A message the table newly routes
    /// to storage fails the assertion below until it is listed here, and
    /// then the `match` in `on_message` until it is handled.
    enum Inbound {
        StoreStatusRequest, CreateIdentity, Unlock, Lock, ChangePassword, GetPublicKey,
        ScalarMult, EntropyRequest, EntropyMix, ContactList, ContactAdd, ContactRename,
        ContactSetAddress, ContactSetNote, ContactSetVerified, ContactDelete, ContactLookup,
        HistoryKeyRequest,
    }
}
const _: () = assert!(
    susurro_wire::unlisted_inbound(
        Inbound::KINDS,
        ModuleId::Storage,
        susurro_wire::Apart::Nothing
    )
    .is_none(),
    "a kind routed to storage is missing from Inbound"
);

/// Entropy asked for at start and after each use of randomness.
pub(crate) const ENTROPY_REQUEST: usize = 48;

/// The storage module (see the crate docs for how to build one).
pub struct StorageCore<P: Persist, M: KdfMemory, const BOOK: usize> {
    store: Store<P, M, BOOK>,
    unix_offset: Option<(Instant, u64)>,
    pending: Option<Envelope>,
    open_error: Option<StoreError>,
}

impl<P: Persist, M: KdfMemory, const BOOK: usize> core::fmt::Debug for StorageCore<P, M, BOOK> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StorageCore")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

fn err_code(e: StoreError) -> StorageErrorCode {
    match e {
        StoreError::Locked | StoreError::NoIdentity | StoreError::LockedOut { .. } => {
            StorageErrorCode::Locked
        }
        StoreError::NotFound => StorageErrorCode::NotFound,
        StoreError::NameTaken => StorageErrorCode::NameTaken,
        StoreError::InvalidName => StorageErrorCode::InvalidName,
        StoreError::InvalidAddress => StorageErrorCode::InvalidAddress,
        StoreError::Full => StorageErrorCode::Full,
        StoreError::Io(_) => StorageErrorCode::Io,
        StoreError::BadPoint => StorageErrorCode::BadPoint,
        StoreError::KeyTaken => StorageErrorCode::KeyTaken,
        StoreError::NoEntropy => StorageErrorCode::NoEntropy,
        StoreError::Format(_) | StoreError::Damaged | StoreError::KdfMemory => {
            StorageErrorCode::Damaged
        }
        StoreError::WrongPassword { .. }
        | StoreError::Wiped
        | StoreError::AlreadyExists
        | StoreError::BadPassword
        | StoreError::BadRequest => StorageErrorCode::BadRequest,
    }
}

impl<P: Persist, M: KdfMemory, const BOOK: usize> StorageCore<P, M, BOOK> {
    /// A core over `persist` with Argon2 `memory`; new identities get
    /// `profile`. The image is read at [`Input::Start`].
    pub fn new(persist: P, memory: M, profile: Profile) -> Self {
        Self {
            store: Store::new(persist, memory, profile),
            unix_offset: None,
            pending: None,
            open_error: None,
        }
    }

    /// Tells the core the wall-clock time (seconds since the Unix epoch) at
    /// `now`, for contacts' created/updated times. Without it they are 0.
    pub fn set_unix_time(&mut self, now: Instant, unix_secs: u64) {
        self.unix_offset = Some((now, unix_secs));
    }

    /// The store (backup, restore and inspection by the host).
    pub fn store(&mut self) -> &mut Store<P, M, BOOK> {
        &mut self.store
    }

    /// Why the persisted image could not be read at start, if it could not.
    pub fn open_error(&self) -> Option<StoreError> {
        self.open_error
    }

    fn unix(&self, now: Instant) -> u64 {
        match self.unix_offset {
            Some((at, secs)) => secs.saturating_add(now.saturating_since(at).as_secs()),
            None => 0,
        }
    }

    fn state(&self, now: Instant) -> StoreState {
        match self.store.state() {
            State::Closed | State::NoIdentity => StoreState::NoIdentity,
            State::Locked if self.store.is_locked_out(now) => StoreState::LockedOut,
            State::Locked => StoreState::Locked,
            State::Unlocked => StoreState::Unlocked,
            State::Wiped => StoreState::Wiped,
            State::Damaged => StoreState::Damaged,
        }
    }

    fn status(&self, now: Instant) -> StoreStatus {
        let (attempts_left, retry_after_s) = self.store.attempts(now);
        StoreStatus {
            state: self.state(now),
            attempts_left,
            retry_after_s,
        }
    }

    fn unlock_result(&self, now: Instant, r: Result<UnlockOutcome, StoreError>) -> UnlockResult {
        let (left, wait) = self.store.attempts(now);
        let outcome = match r {
            Ok(o) => o,
            Err(StoreError::WrongPassword { .. }) => UnlockOutcome::WrongPassword,
            Err(StoreError::LockedOut { .. }) => UnlockOutcome::LockedOut,
            Err(StoreError::Wiped) => UnlockOutcome::Wiped,
            Err(StoreError::NoIdentity) => UnlockOutcome::NoIdentity,
            Err(StoreError::AlreadyExists) => UnlockOutcome::AlreadyExists,
            Err(StoreError::BadPassword) => UnlockOutcome::BadPassword,
            Err(StoreError::Io(_) | StoreError::NoEntropy) => UnlockOutcome::Io,
            Err(_) => UnlockOutcome::Damaged,
        };
        UnlockResult {
            outcome,
            attempts_left: if outcome == UnlockOutcome::Wiped {
                0
            } else {
                left
            },
            retry_after_s: wait,
        }
    }

    fn needs_entropy(msg: &Message) -> bool {
        matches!(
            msg,
            Message::CreateIdentity(_)
                | Message::ChangePassword(_)
                | Message::ContactAdd(_)
                | Message::ContactRename(_)
                | Message::ContactSetAddress(_)
                | Message::ContactSetNote(_)
                | Message::ContactSetVerified(_)
                | Message::ContactDelete(_)
                | Message::EntropyRequest(_)
        )
    }

    fn on_message(&mut self, now: Instant, env: Envelope, out: &mut Outbox) {
        let to = env.src;
        if env.dst != ModuleId::Storage {
            return;
        }
        // Every answer names the request it answers: its id and kind.
        let (req, op) = (env.msg.req().unwrap_or(0), env.msg.kind().code());
        if Self::needs_entropy(&env.msg) && !self.store.has_entropy() {
            out.request_entropy(ENTROPY_REQUEST);
            if self.pending.is_none() {
                self.pending = Some(env);
            } else {
                let _ = out.send(
                    to,
                    StorageError {
                        req,
                        op,
                        code: StorageErrorCode::NoEntropy,
                    },
                );
            }
            return;
        }
        let fail = |out: &mut Outbox, e: StoreError| {
            let _ = out.send(
                to,
                StorageError {
                    req,
                    op,
                    code: err_code(e),
                },
            );
        };
        let unix = self.unix(now);
        let used_randomness = Self::needs_entropy(&env.msg);
        let Ok(msg) = Inbound::try_from(env.msg) else {
            // Not a storage request: ignore (the router should not deliver it).
            return;
        };
        match msg {
            Inbound::StoreStatusRequest(_) => {
                let _ = out.send(to, self.status(now));
            }
            Inbound::CreateIdentity(m) => {
                let r = self
                    .store
                    .create(m.password.expose())
                    .map(|()| UnlockOutcome::Created);
                let res = self.unlock_result(now, r);
                let _ = out.send(to, res);
            }
            Inbound::Unlock(m) => {
                let r = self
                    .store
                    .unlock(now, m.password.expose())
                    .map(|()| UnlockOutcome::Unlocked);
                let res = self.unlock_result(now, r);
                let _ = out.send(to, res);
            }
            Inbound::Lock(_) => {
                self.store.lock();
                let _ = out.send(to, self.status(now));
            }
            Inbound::ChangePassword(m) => {
                let r = self
                    .store
                    .change_password(now, m.old.expose(), m.new.expose())
                    .map(|()| UnlockOutcome::Unlocked);
                let r = match r {
                    Err(StoreError::Locked) => Err(StoreError::NoIdentity),
                    other => other,
                };
                let res = self.unlock_result(now, r);
                let _ = out.send(to, res);
            }
            Inbound::GetPublicKey(_) => match self.store.public_key() {
                Ok(p) => {
                    let _ = out.send(
                        to,
                        PublicKey {
                            key: p.to_bytes(),
                            fingerprint: susurro_crypto::fingerprint(&p),
                        },
                    );
                }
                Err(e) => fail(out, e),
            },
            Inbound::HistoryKeyRequest(_) => match self.store.history_key() {
                Ok(key) => {
                    let _ = out.send(to, HistoryKey { key });
                }
                Err(e) => fail(out, e),
            },
            Inbound::ScalarMult(m) => match self.store.scalar_mult(&m.point) {
                Ok(s) => {
                    let _ = out.send(
                        to,
                        ScalarMultResult {
                            req: m.req,
                            result: s,
                        },
                    );
                }
                Err(e) => fail(out, e),
            },
            Inbound::EntropyRequest(m) => {
                let n = usize::from(m.len);
                if n == 0 || n > caps::ENTROPY {
                    fail(out, StoreError::BadRequest);
                } else {
                    let mut buf = [0u8; caps::ENTROPY];
                    let r = self.store.random(&mut buf[..n]);
                    match r.and_then(|()| {
                        SecretBytes::new(&buf[..n]).map_err(|_| StoreError::BadRequest)
                    }) {
                        Ok(bytes) => {
                            let _ = out.send(to, Entropy { req: m.req, bytes });
                        }
                        Err(e) => fail(out, e),
                    }
                    zeroize::Zeroize::zeroize(&mut buf);
                }
            }
            Inbound::EntropyMix(m) => {
                self.store.mix_entropy(m.bytes.expose(), false);
            }
            Inbound::ContactList(m) => {
                if self.store.state() != State::Unlocked {
                    fail(out, StoreError::Locked);
                } else {
                    let max = usize::from(m.max).clamp(1, OUTBOX_CAP - 1);
                    let book = self.store.book();
                    let mut last = 0;
                    let mut more = false;
                    for (sent, c) in book.list_after(m.after).enumerate() {
                        if sent == max {
                            more = true;
                            break;
                        }
                        last = c.id;
                        let _ = out.send(to, ContactEntry { contact: c });
                    }
                    let total = book.count();
                    let _ = out.send(to, ContactListEnd { last, more, total });
                }
            }
            Inbound::ContactAdd(m) => {
                match self
                    .store
                    .add(unix, &m.name, &m.key, &m.address, &m.note, m.flags)
                {
                    Ok(id) => {
                        let _ = out.send(to, ContactAdded { req: m.req, id });
                        if to != ModuleId::Ui {
                            let _ = out.send(ModuleId::Ui, ContactAdded { req: m.req, id });
                        }
                    }
                    Err(e) => fail(out, e),
                }
            }
            Inbound::ContactRename(m) => {
                let r = self.store.rename(unix, m.id, &m.name);
                self.changed(out, to, m.id, ChangeKind::Renamed, r, req, op);
            }
            Inbound::ContactSetAddress(m) => {
                let r = self.store.update(unix, m.id, |c, _| {
                    if !crate::store::valid_address(&m.address) {
                        return Err(StoreError::InvalidAddress);
                    }
                    c.address = m.address.clone();
                    Ok(())
                });
                self.changed(out, to, m.id, ChangeKind::AddressChanged, r, req, op);
            }
            Inbound::ContactSetNote(m) => {
                let r = self.store.update(unix, m.id, |c, _| {
                    if m.note
                        .as_str()
                        .chars()
                        .any(|ch| ch.is_control() && ch != '\n' && ch != '\t')
                    {
                        return Err(StoreError::BadRequest);
                    }
                    c.note = m.note.clone();
                    Ok(())
                });
                self.changed(out, to, m.id, ChangeKind::NoteChanged, r, req, op);
            }
            Inbound::ContactSetVerified(m) => {
                let r = self.store.update(unix, m.id, |c, _| {
                    if m.verified {
                        c.flags |= susurro_wire::contact_flags::VERIFIED;
                    } else {
                        c.flags &= !susurro_wire::contact_flags::VERIFIED;
                    }
                    Ok(())
                });
                self.changed(out, to, m.id, ChangeKind::VerifiedChanged, r, req, op);
            }
            Inbound::ContactDelete(m) => {
                let r = self.store.delete(m.id);
                self.changed(out, to, m.id, ChangeKind::Deleted, r, req, op);
            }
            Inbound::ContactLookup(m) => match self.store.lookup(&m.query) {
                Ok(contact) => {
                    let _ = out.send(
                        to,
                        ContactFound {
                            req: m.req,
                            contact,
                        },
                    );
                }
                Err(StoreError::NotFound) => {
                    let _ = out.send(to, ContactNotFound { req: m.req });
                }
                Err(e) => fail(out, e),
            },
        }
        if used_randomness {
            out.request_entropy(ENTROPY_REQUEST);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn changed(
        &self,
        out: &mut Outbox,
        to: ModuleId,
        id: u32,
        change: ChangeKind,
        r: Result<(), StoreError>,
        req: u16,
        op: u8,
    ) {
        match r {
            Ok(()) => {
                let _ = out.send(to, ContactChanged { id, change });
            }
            Err(e) => {
                let _ = out.send(
                    to,
                    StorageError {
                        req,
                        op,
                        code: err_code(e),
                    },
                );
            }
        }
    }
}

impl<P: Persist, M: KdfMemory, const BOOK: usize> ModuleCore for StorageCore<P, M, BOOK> {
    fn module(&self) -> ModuleId {
        ModuleId::Storage
    }

    fn handle(&mut self, now: Instant, input: Input<'_>, out: &mut Outbox) {
        match input {
            Input::Start => {
                self.open_error = self.store.open(now).err();
                out.request_entropy(ENTROPY_REQUEST);
            }
            Input::Message(env) => self.on_message(now, env, out),
            Input::Timer => {}
            Input::Entropy(bytes) => {
                self.store.mix_entropy(bytes, true);
                if self.store.has_entropy()
                    && let Some(env) = self.pending.take()
                {
                    self.on_message(now, env, out);
                }
            }
        }
    }

    fn deadline(&self) -> Option<Instant> {
        None
    }
}
