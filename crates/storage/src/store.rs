//! The key store and address book, without the wire: typed calls in,
//! results out. [`crate::core::StorageCore`] maps messages onto it.

use susurro_crypto::chacha::ChaCha20Stream;
use susurro_crypto::x25519::{Point, SecretKey, fingerprint};
use susurro_crypto::{Secret32, ct_eq, xor_in_place};
use susurro_wire::Instant;
use susurro_wire::{Address, Contact, ContactId, ContactQuery, Name, Note, contact_flags};
use zeroize::Zeroize;

use crate::book::Book;
use crate::drbg::Drbg;
use crate::error::StoreError;
use crate::format::{
    BODY_PREFIX, CHECK_LEN, CHUNK, FLAG_WIPE, FormatError, HEADER_LEN, Header, KIND_BACKUP,
    KIND_STORE, TAG_LEN, auth_parts, body_keys, check_hasher, check_image, master_key,
    password_keys, tag_hasher, verifier,
};
use crate::persist::Persist;
use crate::profile::{KdfMemory, Lockout, Profile};

/// The store's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Not opened yet ([`Store::open`]).
    Closed,
    /// No identity.
    NoIdentity,
    /// Identity present, password needed.
    Locked,
    /// Unlocked.
    Unlocked,
    /// Erased after too many wrong passwords.
    Wiped,
    /// The persisted image is damaged or unreadable here.
    Damaged,
}

struct Keys {
    identity: SecretKey,
    dk: Secret32,
    next_id: u32,
}

/// Password-derived keys: verifier key and wrap key.
struct PwKeys {
    kv: Secret32,
    kw: Secret32,
}

/// Store and book (see the module docs). `BOOK` is the RAM arena in bytes.
pub struct Store<P: Persist, M: KdfMemory, const BOOK: usize> {
    persist: P,
    memory: M,
    profile: Profile,
    state: State,
    header: Option<Header>,
    keys: Option<Keys>,
    book: Book<BOOK>,
    drbg: Drbg,
    lockout_until: Option<Instant>,
}

impl<P: Persist, M: KdfMemory, const BOOK: usize> core::fmt::Debug for Store<P, M, BOOK> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Store")
            .field("state", &self.state)
            .field("header", &self.header)
            .field("book", &self.book)
            .finish_non_exhaustive()
    }
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Validates a contact name: non-empty UTF-8 (the wire guarantees UTF-8
/// and the cap), no control characters, no surrounding white space. Names
/// beginning with `+` are reserved for auto-added contacts
/// (`+<SAS>-<fingerprint hex>`), whose fingerprint part must be a prefix of
/// the key's fingerprint in hex.
pub(crate) fn valid_name(name: &str, auto_added: bool, key: &[u8; 32]) -> bool {
    if name.is_empty() || name.trim() != name || name.chars().any(char::is_control) {
        return false;
    }
    match (name.strip_prefix('+'), auto_added) {
        (None, false) => true,
        (Some(rest), true) => match rest.split_once('-') {
            Some((sas, fp)) => {
                if !is_hex(sas) || !is_hex(fp) || fp.len() > 32 {
                    return false;
                }
                let full = fingerprint(&Point::from_bytes(*key));
                fp.bytes().enumerate().all(|(i, c)| {
                    let byte = full[i / 2];
                    let nib = if i % 2 == 0 { byte >> 4 } else { byte & 0x0f };
                    let want = b"0123456789abcdef"[usize::from(nib)];
                    c.to_ascii_lowercase() == want
                })
            }
            None => false,
        },
        _ => false,
    }
}

/// Validates an address: onion v3 keys must be valid ed25519 points of the
/// prime-order subgroup and ports non-zero; TCP hosts non-empty printable
/// ASCII without spaces.
pub(crate) fn valid_address(a: &Address) -> bool {
    match a {
        Address::None => true,
        Address::Onion { key, port } => *port != 0 && susurro_crypto::onion_key_is_valid(key),
        Address::Tcp { host, port } => {
            let h = host.as_str();
            *port != 0 && !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic())
        }
    }
}

fn valid_note(n: &str) -> bool {
    !n.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
}

impl<P: Persist, M: KdfMemory, const BOOK: usize> Store<P, M, BOOK> {
    /// A store over `persist`, with `memory` for Argon2id and `profile` for
    /// new identities. Call [`Store::open`] before use.
    pub fn new(persist: P, memory: M, profile: Profile) -> Self {
        Self {
            persist,
            memory,
            profile,
            state: State::Closed,
            header: None,
            keys: None,
            book: Book::new(),
            drbg: Drbg::new(),
            lockout_until: None,
        }
    }

    /// The backend (tests, backup helpers).
    pub fn persist_mut(&mut self) -> &mut P {
        &mut self.persist
    }

    /// Takes the backend back.
    pub fn into_persist(self) -> P {
        let mut s = self;
        s.lock();
        // Move the backend out without running the rest of the struct's
        // fields' drop order concerns: every secret is wiped by `lock`.
        let Self { persist, .. } = s;
        persist
    }

    /// Current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The book (while unlocked it holds the contacts; otherwise empty).
    pub fn book(&self) -> &Book<BOOK> {
        &self.book
    }

    /// Mixes entropy in (`fresh`: from a trusted source such as the OS).
    pub fn mix_entropy(&mut self, bytes: &[u8], fresh: bool) {
        if fresh {
            self.drbg.reseed(bytes);
        } else {
            self.drbg.mix(bytes);
        }
    }

    /// Whether the generator has been seeded.
    pub fn has_entropy(&self) -> bool {
        self.drbg.is_seeded()
    }

    /// Random bytes from the store's generator.
    ///
    /// # Errors
    /// [`StoreError::NoEntropy`] before seeding.
    pub fn random(&mut self, out: &mut [u8]) -> Result<(), StoreError> {
        if !self.drbg.is_seeded() {
            return Err(StoreError::NoEntropy);
        }
        self.drbg.fill(out);
        Ok(())
    }

    fn max_body(&self) -> usize {
        BODY_PREFIX + BOOK
    }

    /// Reads the persisted image (checks structure and damage, not the
    /// password). Sets the state; a damaged image gives [`State::Damaged`]
    /// and the error. A store locked out by a previous run stays locked out
    /// for what is left of its delay, counted from the write that recorded
    /// the last wrong attempt ([`Persist::committed_age`]) or, on a medium
    /// that keeps no time, in full from `now`.
    ///
    /// # Errors
    /// The reason the image is unreadable.
    pub fn open(&mut self, now: Instant) -> Result<State, StoreError> {
        self.lock_keys();
        self.header = None;
        let max_body = self.max_body();
        match check_image(&mut self.persist, max_body) {
            Ok(h) => {
                if h.kdf.blocks_needed() > self.memory.max_blocks() {
                    self.state = State::Damaged;
                    return Err(StoreError::KdfMemory);
                }
                self.lockout_until = None;
                if h.failed >= h.max_attempts && h.flags & FLAG_WIPE == 0 {
                    // Counted from the write of the last wrong attempt where
                    // the medium dates it, else from now.
                    let age = self.persist.committed_age().unwrap_or_default();
                    let left = delay(&h).saturating_sub(age);
                    if !left.is_zero() {
                        self.lockout_until = Some(now + left);
                    }
                }
                self.header = Some(h);
                self.state = State::Locked;
                Ok(self.state)
            }
            Err(StoreError::NoIdentity) => {
                self.state = State::NoIdentity;
                Ok(self.state)
            }
            Err(e) => {
                self.state = State::Damaged;
                Err(e)
            }
        }
    }

    fn lock_keys(&mut self) {
        self.keys = None;
        self.book.clear();
    }

    /// Forgets keys and contacts (an unlocked store becomes locked).
    pub fn lock(&mut self) {
        self.lock_keys();
        if self.state == State::Unlocked {
            self.state = State::Locked;
        }
    }

    /// Wrong attempts left and seconds to wait, for status reports.
    pub fn attempts(&self, now: Instant) -> (u8, u32) {
        match &self.header {
            Some(h) => (
                h.max_attempts.saturating_sub(h.failed),
                self.retry_after(now),
            ),
            None => (self.profile.max_attempts, 0),
        }
    }

    fn retry_after(&self, now: Instant) -> u32 {
        match self.lockout_until {
            Some(t) if t > now => {
                let s = t.saturating_since(now).as_secs();
                u32::try_from(s.saturating_add(1)).unwrap_or(u32::MAX)
            }
            _ => 0,
        }
    }

    /// Whether unlock attempts are refused right now.
    pub fn is_locked_out(&self, now: Instant) -> bool {
        self.state == State::Locked && self.retry_after(now) > 0
    }

    fn derive(&mut self, hdr: &Header, password: &[u8]) -> Result<PwKeys, StoreError> {
        let n = hdr.kdf.blocks_needed();
        let r = match self.memory.blocks(n) {
            Some(mem) => {
                master_key(&hdr.kdf, password, &hdr.salt, mem).map_err(|_| StoreError::KdfMemory)
            }
            None => Err(StoreError::KdfMemory),
        };
        self.memory.release();
        let master = r?;
        let (kv, kw) = password_keys(&master);
        Ok(PwKeys { kv, kw })
    }

    /// Creates a new identity (from the store's generator) protected by
    /// `password`, persists it and unlocks.
    ///
    /// # Errors
    /// `AlreadyExists`, `BadPassword`, `NoEntropy`, `KdfMemory`, `Io`.
    pub fn create(&mut self, password: &[u8]) -> Result<(), StoreError> {
        match self.state {
            State::NoIdentity | State::Wiped => {}
            State::Closed => return Err(StoreError::NoIdentity),
            _ => return Err(StoreError::AlreadyExists),
        }
        if password.is_empty() {
            return Err(StoreError::BadPassword);
        }
        let mut id_bytes = Secret32::zero();
        let mut dk = Secret32::zero();
        let mut salt = [0u8; 16];
        self.random(id_bytes.as_mut_bytes())?;
        self.random(dk.as_mut_bytes())?;
        self.random(&mut salt)?;
        let mut hdr = Header {
            kind: KIND_STORE,
            flags: if self.profile.lockout == Lockout::Wipe {
                FLAG_WIPE
            } else {
                0
            },
            kdf: self.profile.kdf,
            max_attempts: self.profile.max_attempts.max(1),
            failed: 0,
            lockout_s: match self.profile.lockout {
                Lockout::Delay { base_s } => base_s,
                Lockout::Wipe => 0,
            },
            salt,
            wrapped_dk: [0u8; 32],
            verifier: [0u8; 16],
            nonce: [0u8; 12],
            body_len: 0,
        };
        if hdr.kdf.blocks_needed() > self.memory.max_blocks() {
            return Err(StoreError::KdfMemory);
        }
        let pk = self.derive(&hdr, password)?;
        seal_password(&mut hdr, &pk, &dk);
        let keys = Keys {
            identity: SecretKey::from_bytes(id_bytes.expose()),
            dk,
            next_id: 1,
        };
        self.book.clear();
        self.keys = Some(keys);
        self.header = Some(hdr);
        match self.save() {
            Ok(()) => {
                self.state = State::Unlocked;
                Ok(())
            }
            Err(e) => {
                self.lock_keys();
                self.header = None;
                Err(e)
            }
        }
    }

    /// Persists the retry counter `failed` (a copy of the committed image
    /// with only that byte and the check changed).
    fn persist_counter(&mut self, failed: u8) -> Result<(), StoreError> {
        let mut hdr = self.header.clone().ok_or(StoreError::NoIdentity)?;
        hdr.failed = failed;
        self.rewrite_header(&hdr)?;
        self.header = Some(hdr);
        Ok(())
    }

    /// Copies the committed image with a new header (same body) into the
    /// backend.
    fn rewrite_header(&mut self, hdr: &Header) -> Result<(), StoreError> {
        let len = hdr.image_len();
        let hb = hdr.encode();
        copy_image::<P, P>(&mut self.persist, None, &hb, len)
    }

    /// Counts an attempt, derives, verifies. On success returns the keys;
    /// the counter stays incremented (the caller resets it).
    fn attempt(&mut self, now: Instant, password: &[u8]) -> Result<(Header, PwKeys), StoreError> {
        if password.is_empty() {
            return Err(StoreError::BadPassword);
        }
        let hdr = self.header.clone().ok_or(StoreError::NoIdentity)?;
        let wipe = hdr.flags & FLAG_WIPE != 0;
        if hdr.failed >= hdr.max_attempts && wipe {
            return self.wipe();
        }
        let wait = self.retry_after(now);
        if wait > 0 {
            return Err(StoreError::LockedOut {
                retry_after_s: wait,
            });
        }
        // Persist the attempt before making it.
        let failed = hdr.failed.saturating_add(1);
        self.persist_counter(failed)?;
        let pk = self.derive(&hdr, password)?;
        let hb = hdr.encode();
        let v = verifier(&pk.kv, &hb);
        if ct_eq(&v, &hdr.verifier) {
            return Ok((hdr, pk));
        }
        let left = hdr.max_attempts.saturating_sub(failed);
        if left == 0 {
            if wipe {
                return self.wipe();
            }
            let mut h2 = hdr;
            h2.failed = failed;
            self.lockout_until = Some(now + delay(&h2));
        }
        Err(StoreError::WrongPassword {
            attempts_left: left,
            retry_after_s: self.retry_after(now),
        })
    }

    fn wipe<T>(&mut self) -> Result<T, StoreError> {
        self.lock_keys();
        self.persist.erase_all()?;
        self.header = None;
        self.lockout_until = None;
        self.state = State::Wiped;
        Err(StoreError::Wiped)
    }

    /// Unlocks with `password`.
    ///
    /// # Errors
    /// `NoIdentity`, `BadPassword`, `WrongPassword`, `LockedOut`, `Wiped`,
    /// `Damaged`/`Format` (never a wrong book), `Io` (the attempt was not
    /// made).
    pub fn unlock(&mut self, now: Instant, password: &[u8]) -> Result<(), StoreError> {
        match self.state {
            State::Locked => {}
            State::Unlocked => return Ok(()),
            State::Wiped => return Err(StoreError::Wiped),
            State::Damaged => return Err(StoreError::Damaged),
            State::NoIdentity | State::Closed => return Err(StoreError::NoIdentity),
        }
        let (hdr, pk) = self.attempt(now, password)?;
        let mut dk = Secret32::new(hdr.wrapped_dk);
        xor_in_place(dk.as_mut_bytes(), pk.kw.expose());
        let keys = load_body(&mut self.persist, &hdr, dk, &mut self.book)?;
        self.keys = Some(keys);
        self.lockout_until = None;
        self.state = State::Unlocked;
        // Reset the counter; if that fails the store is still unlocked and
        // the counter merely stays one higher.
        let _ = self.persist_counter(0);
        Ok(())
    }

    /// Changes the password (the old one is checked and counted like an
    /// unlock attempt).
    ///
    /// # Errors
    /// `Locked`, `BadPassword`, `WrongPassword`, `LockedOut`, `Wiped`,
    /// `NoEntropy`, `Io`.
    pub fn change_password(
        &mut self,
        now: Instant,
        old: &[u8],
        new: &[u8],
    ) -> Result<(), StoreError> {
        if self.state != State::Unlocked {
            return Err(StoreError::Locked);
        }
        if new.is_empty() {
            return Err(StoreError::BadPassword);
        }
        let (mut hdr, _old) = self.attempt(now, old)?;
        let mut salt = [0u8; 16];
        self.random(&mut salt)?;
        hdr.salt = salt;
        hdr.failed = 0;
        let pk = self.derive(&hdr, new)?;
        let dk = self
            .keys
            .as_ref()
            .map(|k| k.dk.clone())
            .ok_or(StoreError::Locked)?;
        seal_password(&mut hdr, &pk, &dk);
        let old_hdr = self.header.replace(hdr);
        let r = self.save();
        if r.is_err() {
            self.header = old_hdr;
        }
        r
    }

    /// Writes the whole store (new nonce) from RAM.
    fn save(&mut self) -> Result<(), StoreError> {
        let mut nonce = [0u8; 12];
        self.random(&mut nonce)?;
        let keys = self.keys.as_ref().ok_or(StoreError::Locked)?;
        let mut hdr = self.header.clone().ok_or(StoreError::NoIdentity)?;
        hdr.nonce = nonce;
        hdr.kind = KIND_STORE;
        hdr.body_len =
            u32::try_from(BODY_PREFIX + self.book.used()).map_err(|_| StoreError::Full)?;
        let hb = hdr.encode();
        let (ke, km) = body_keys(&keys.dk, &nonce);
        self.persist.begin(hdr.image_len() as u32)?;
        let mut check = check_hasher();
        let mut tag = tag_hasher(&km);
        check.update(&hb);
        for part in auth_parts(&hb, HEADER_LEN) {
            tag.update(part);
        }
        self.persist.write(&hb)?;
        let mut cipher = ChaCha20Stream::new(ke.expose(), &nonce);
        let mut buf = [0u8; CHUNK];
        buf[..32].copy_from_slice(keys.identity.to_secret_bytes().expose());
        buf[32..36].copy_from_slice(&keys.next_id.to_le_bytes());
        buf[36..40].copy_from_slice(&self.book.count().to_le_bytes());
        let mut emit = |buf: &mut [u8], persist: &mut P| -> Result<(), StoreError> {
            cipher.apply_keystream(buf).map_err(|_| StoreError::Full)?;
            tag.update(buf);
            check.update(buf);
            persist.write(buf)?;
            Ok(())
        };
        let r = emit(&mut buf[..BODY_PREFIX], &mut self.persist);
        buf.zeroize();
        r?;
        for chunk in self.book.bytes().chunks(CHUNK) {
            buf[..chunk.len()].copy_from_slice(chunk);
            let r = emit(&mut buf[..chunk.len()], &mut self.persist);
            buf.zeroize();
            r?;
        }
        let t: [u8; TAG_LEN] = tag.finish();
        check.update(&t);
        self.persist.write(&t)?;
        let c: [u8; CHECK_LEN] = check.finish();
        self.persist.write(&c)?;
        self.persist.commit()?;
        self.header = Some(hdr);
        Ok(())
    }

    fn keys(&self) -> Result<&Keys, StoreError> {
        match (&self.keys, self.state) {
            (Some(k), State::Unlocked) => Ok(k),
            _ => Err(StoreError::Locked),
        }
    }

    /// Our long-term public key.
    ///
    /// # Errors
    /// `Locked`.
    pub fn public_key(&self) -> Result<Point, StoreError> {
        Ok(self.keys()?.identity.public_key())
    }

    /// The key the host encrypts message history with:
    /// `KDF(HISTORY_LABEL, key = identity secret)[0..32]`. One-way: it
    /// reveals nothing of the identity key, and it stays the same for the
    /// life of the identity (a restored backup opens the same history).
    ///
    /// # Errors
    /// `Locked`.
    pub fn history_key(&self) -> Result<Secret32, StoreError> {
        let secret = self.keys()?.identity.to_secret_bytes();
        Ok(susurro_crypto::kdf::<32>(
            crate::format::HISTORY_LABEL,
            secret.expose(),
            &[],
        ))
    }

    /// `point × private key` (X25519), the only use of the key other than
    /// deriving the history key.
    ///
    /// # Errors
    /// `Locked`, `BadPoint` (small order).
    pub fn scalar_mult(&self, point: &[u8; 32]) -> Result<Secret32, StoreError> {
        let sp = self
            .keys()?
            .identity
            .diffie_hellman(&Point::from_bytes(*point))
            .map_err(|_| StoreError::BadPoint)?;
        Ok(Secret32::new(*sp.expose()))
    }

    /// Looks a contact up.
    ///
    /// # Errors
    /// `Locked`, `NotFound`.
    pub fn lookup(&self, q: &ContactQuery) -> Result<Contact, StoreError> {
        self.keys()?;
        self.book.find(q).ok_or(StoreError::NotFound)
    }

    /// Adds a contact; returns its id.
    ///
    /// # Errors
    /// `Locked`, `InvalidName`, `InvalidAddress`, `BadRequest`, `NameTaken`,
    /// `KeyTaken`, `Full`, `NoEntropy`, `Io` (then nothing changed).
    pub fn add(
        &mut self,
        unix_now: u64,
        name: &Name,
        key: &[u8; 32],
        address: &Address,
        note: &Note,
        flags: u8,
    ) -> Result<ContactId, StoreError> {
        let id = self.keys()?.next_id;
        if flags & !(contact_flags::AUTO_ADDED | contact_flags::VERIFIED) != 0
            || *key == [0u8; 32]
            || !valid_note(note.as_str())
        {
            return Err(StoreError::BadRequest);
        }
        if !valid_name(name.as_str(), flags & contact_flags::AUTO_ADDED != 0, key) {
            return Err(StoreError::InvalidName);
        }
        if !valid_address(address) {
            return Err(StoreError::InvalidAddress);
        }
        if self.book.find(&ContactQuery::Name(name.clone())).is_some() {
            return Err(StoreError::NameTaken);
        }
        if self.book.find(&ContactQuery::Key(*key)).is_some() {
            return Err(StoreError::KeyTaken);
        }
        let c = Contact {
            id,
            name: name.clone(),
            key: *key,
            address: address.clone(),
            note: note.clone(),
            flags,
            created: unix_now,
            updated: unix_now,
        };
        self.book.push(&c).map_err(|_| StoreError::Full)?;
        self.set_next_id(id.wrapping_add(1).max(1));
        if let Err(e) = self.save() {
            let _ = self.book.remove(id);
            self.set_next_id(id);
            return Err(e);
        }
        Ok(id)
    }

    fn set_next_id(&mut self, id: u32) {
        if let Some(k) = self.keys.as_mut() {
            k.next_id = id;
        }
    }

    /// Applies `f` to contact `id` and persists it.
    ///
    /// # Errors
    /// `Locked`, `NotFound`, whatever `f` returns, `Full`, `Io`.
    pub fn update(
        &mut self,
        unix_now: u64,
        id: ContactId,
        f: impl FnOnce(&mut Contact, &Book<BOOK>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.keys()?;
        let mut c = self
            .book
            .find(&ContactQuery::Id(id))
            .ok_or(StoreError::NotFound)?;
        f(&mut c, &self.book)?;
        c.updated = unix_now.max(c.created);
        let old = self.book.replace(&c).map_err(|absent| {
            if absent {
                StoreError::NotFound
            } else {
                StoreError::Full
            }
        })?;
        if let Err(e) = self.save() {
            let _ = self.book.replace(&old);
            return Err(e);
        }
        Ok(())
    }

    /// Renames contact `id` (clears the auto-added flag).
    ///
    /// # Errors
    /// See [`Store::update`]; `InvalidName`, `NameTaken`.
    pub fn rename(&mut self, unix_now: u64, id: ContactId, name: &Name) -> Result<(), StoreError> {
        self.update(unix_now, id, |c, book| {
            if !valid_name(name.as_str(), false, &c.key) {
                return Err(StoreError::InvalidName);
            }
            if let Some(o) = book.find(&ContactQuery::Name(name.clone()))
                && o.id != c.id
            {
                return Err(StoreError::NameTaken);
            }
            c.name = name.clone();
            c.flags &= !contact_flags::AUTO_ADDED;
            Ok(())
        })
    }

    /// Deletes contact `id`.
    ///
    /// # Errors
    /// `Locked`, `NotFound`, `Io`.
    pub fn delete(&mut self, id: ContactId) -> Result<(), StoreError> {
        self.keys()?;
        let old = self.book.remove(id).ok_or(StoreError::NotFound)?;
        if let Err(e) = self.save() {
            let _ = self.book.insert_sorted(&old);
            return Err(e);
        }
        Ok(())
    }

    /// Writes a backup (this store's committed image marked as a backup,
    /// counter cleared) into `dst`. Needs the store unlocked.
    ///
    /// # Errors
    /// `Locked`, `Io`.
    pub fn export_backup<Q: Persist>(&mut self, dst: &mut Q) -> Result<(), StoreError> {
        self.keys()?;
        let mut hdr = self.header.clone().ok_or(StoreError::NoIdentity)?;
        hdr.kind = KIND_BACKUP;
        hdr.failed = 0;
        let hb = hdr.encode();
        let len = hdr.image_len();
        copy_image(&mut self.persist, Some(dst), &hb, len)
    }

    /// Restores a backup (or a store file) read from `src` into this
    /// store, which must hold no identity. The password is checked and the
    /// whole content authenticated before anything is written; then the
    /// store is unlocked.
    ///
    /// # Errors
    /// `AlreadyExists`, `Format` (truncated, not a store, damaged),
    /// `WrongPassword` (not counted: a backup can be attacked offline
    /// anyway), `Damaged`, `KdfMemory`, `Io`.
    pub fn restore<Q: Persist>(&mut self, src: &mut Q, password: &[u8]) -> Result<(), StoreError> {
        match self.state {
            State::NoIdentity | State::Wiped | State::Damaged => {}
            State::Closed => return Err(StoreError::NoIdentity),
            _ => return Err(StoreError::AlreadyExists),
        }
        let max_body = self.max_body();
        let mut hdr = check_image(src, max_body)?;
        if hdr.kdf.blocks_needed() > self.memory.max_blocks() {
            return Err(StoreError::KdfMemory);
        }
        let pk = self.derive(&hdr, password)?;
        if !ct_eq(&verifier(&pk.kv, &hdr.encode()), &hdr.verifier) {
            return Err(StoreError::WrongPassword {
                attempts_left: hdr.max_attempts,
                retry_after_s: 0,
            });
        }
        let mut dk = Secret32::new(hdr.wrapped_dk);
        xor_in_place(dk.as_mut_bytes(), pk.kw.expose());
        let keys = load_body(src, &hdr, dk, &mut self.book)?;
        hdr.kind = KIND_STORE;
        hdr.failed = 0;
        let hb = hdr.encode();
        let len = hdr.image_len();
        // Copy src into our backend with the patched header.
        let r = copy_image(src, Some(&mut self.persist), &hb, len);
        if let Err(e) = r {
            self.book.clear();
            return Err(e);
        }
        self.header = Some(hdr);
        self.keys = Some(keys);
        self.lockout_until = None;
        self.state = State::Unlocked;
        Ok(())
    }
}

fn delay(h: &Header) -> core::time::Duration {
    let over = h.failed.saturating_sub(h.max_attempts).min(6);
    core::time::Duration::from_secs(u64::from(h.lockout_s) << over)
}

fn seal_password(hdr: &mut Header, pk: &PwKeys, dk: &Secret32) {
    let mut w = *dk.expose();
    xor_in_place(&mut w, pk.kw.expose());
    hdr.wrapped_dk = w;
    w.zeroize();
    let hb = hdr.encode();
    hdr.verifier = verifier(&pk.kv, &hb);
}

/// Copies the committed image of `src` (bytes `HEADER_LEN..len-16`) behind
/// header `hb` with a fresh check into `dst`, or back into `src` itself.
fn copy_image<S: Persist + ?Sized, D: Persist + ?Sized>(
    src: &mut S,
    dst: Option<&mut D>,
    hb: &[u8; HEADER_LEN],
    len: usize,
) -> Result<(), StoreError> {
    let total = u32::try_from(len).map_err(|_| StoreError::Full)?;
    let mut check = check_hasher();
    check.update(hb);
    let mut buf = [0u8; CHUNK];
    let end = len - CHECK_LEN;
    match dst {
        Some(d) => {
            d.begin(total)?;
            d.write(hb)?;
            let mut off = HEADER_LEN;
            while off < end {
                let n = CHUNK.min(end - off);
                src.read(off as u32, &mut buf[..n])?;
                check.update(&buf[..n]);
                d.write(&buf[..n])?;
                off += n;
            }
            let c: [u8; CHECK_LEN] = check.finish();
            d.write(&c)?;
            d.commit()?;
        }
        None => {
            src.begin(total)?;
            src.write(hb)?;
            let mut off = HEADER_LEN;
            while off < end {
                let n = CHUNK.min(end - off);
                src.read(off as u32, &mut buf[..n])?;
                check.update(&buf[..n]);
                src.write(&buf[..n])?;
                off += n;
            }
            let c: [u8; CHECK_LEN] = check.finish();
            src.write(&c)?;
            src.commit()?;
        }
    }
    Ok(())
}

/// Decrypts and authenticates the body of the committed image of `p` into
/// `book`; nothing is kept unless the tag and every record are valid.
fn load_body<P: Persist + ?Sized, const BOOK: usize>(
    p: &mut P,
    hdr: &Header,
    dk: Secret32,
    book: &mut Book<BOOK>,
) -> Result<Keys, StoreError> {
    let (ke, km) = body_keys(&dk, &hdr.nonce);
    let hb = hdr.encode();
    let mut tag = tag_hasher(&km);
    for part in auth_parts(&hb, HEADER_LEN) {
        tag.update(part);
    }
    let mut cipher = ChaCha20Stream::new(ke.expose(), &hdr.nonce);
    let mut prefix = [0u8; BODY_PREFIX];
    p.read(HEADER_LEN as u32, &mut prefix)?;
    tag.update(&prefix);
    cipher
        .apply_keystream(&mut prefix)
        .map_err(|_| StoreError::Damaged)?;
    let rec_len = hdr.body_len as usize - BODY_PREFIX;
    let area = book
        .load_area(rec_len)
        .ok_or(StoreError::Format(FormatError::TooLarge))?;
    let mut off = 0usize;
    let base = HEADER_LEN + BODY_PREFIX;
    while off < rec_len {
        let n = CHUNK.min(rec_len - off);
        let dst = &mut area[off..off + n];
        if let Err(e) = p.read((base + off) as u32, dst) {
            book.clear();
            prefix.zeroize();
            return Err(e.into());
        }
        tag.update(dst);
        if cipher.apply_keystream(dst).is_err() {
            book.clear();
            prefix.zeroize();
            return Err(StoreError::Damaged);
        }
        off += n;
    }
    let mut stored = [0u8; TAG_LEN];
    let tag_at = HEADER_LEN + hdr.body_len as usize;
    let computed: [u8; TAG_LEN] = tag.finish();
    let ok = p.read(tag_at as u32, &mut stored).is_ok() && ct_eq(&computed, &stored);
    let mut id = Secret32::zero();
    id.as_mut_bytes().copy_from_slice(&prefix[..32]);
    let next_id = u32::from_le_bytes([prefix[32], prefix[33], prefix[34], prefix[35]]);
    let count = u32::from_le_bytes([prefix[36], prefix[37], prefix[38], prefix[39]]);
    prefix.zeroize();
    if !ok || book.adopt(rec_len, count).is_err() {
        book.clear();
        return Err(StoreError::Damaged);
    }
    if let Some(last) = book.iter().last()
        && last.id >= next_id
    {
        book.clear();
        return Err(StoreError::Damaged);
    }
    if next_id == 0 {
        book.clear();
        return Err(StoreError::Damaged);
    }
    Ok(Keys {
        identity: SecretKey::from_bytes(id.expose()),
        dk,
        next_id,
    })
}
