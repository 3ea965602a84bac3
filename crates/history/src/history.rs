//! [`History`]: one directory, one append-only log per conversation.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use susurro_crypto::Secret;
use susurro_wire::TEXT_MAX;
use zeroize::Zeroizing;

use crate::error::HistoryError;
use crate::format::{
    self, Keys, LOCK_FILE, LOG_SUFFIX, NONCE_LEN, Record, STORE_FILE, StoreFileError, TMP_SUFFIX,
};
use crate::idset::IdSet;
use crate::types::{ContactKey, Direction, Entry, Limits, Receipt, Received, Status, Summary};

/// One open history: a directory of encrypted conversation logs.
///
/// Every change is on disk (written and `fsync`ed) before the call that
/// makes it returns. The whole history is held in memory while open; the
/// texts are wiped from memory when dropped.
///
/// One process at a time: [`History::open`] takes an exclusive lock on the
/// directory's `lock` file and refuses with [`HistoryError::Busy`] while
/// another holds it.
pub struct History {
    dir: PathBuf,
    keys: Keys,
    limits: Limits,
    /// The least first outgoing id of a new conversation: the highest
    /// `next_out` of any deleted conversation (0: none deleted yet).
    floor: u32,
    convs: BTreeMap<ContactKey, Conv>,
    /// Held for the lock; released when the history is dropped.
    _lock: File,
}

impl core::fmt::Debug for History {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("History")
            .field("dir", &self.dir)
            .field("conversations", &self.convs.len())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// One line in memory.
struct Msg {
    at: u64,
    status: Status,
    text: Zeroizing<String>,
}

/// One conversation in memory, and where its log stands.
struct Conv {
    contact: ContactKey,
    /// The log's file name (`<32 hex>.log`).
    name: String,
    /// Bytes of good records in the log: where the next one goes.
    len: u64,
    /// Records in the log (live and dead).
    records: usize,
    /// The next outgoing id.
    next_out: u32,
    /// Every incoming id ever stored.
    seen: IdSet,
    msgs: BTreeMap<(Direction, u32), Msg>,
    /// A failed write could not be undone: the log may end in garbage
    /// after `len`. The next write rewrites the log first (compaction).
    poisoned: bool,
}

impl Conv {
    /// Rebuilds a conversation from its log's records.
    fn replay(name: &str, log: format::Log) -> Result<Self, HistoryError> {
        let damaged = || HistoryError::Damaged {
            file: name.to_owned(),
        };
        let mut records = log.records.into_iter();
        let Some((_, Record::Header { contact, next_out })) = records.next() else {
            return Err(damaged());
        };
        let mut conv = Conv {
            contact,
            name: name.to_owned(),
            len: log.good_len,
            records: 1,
            next_out: next_out.max(1),
            seen: IdSet::default(),
            msgs: BTreeMap::new(),
            poisoned: false,
        };
        for (_, record) in records {
            conv.records += 1;
            match record {
                Record::Header { .. } => return Err(damaged()),
                Record::Message {
                    direction,
                    id,
                    at,
                    status,
                    text,
                } => {
                    match direction {
                        Direction::Out => conv.next_out = conv.next_out.max(id.saturating_add(1)),
                        Direction::In => conv.seen.insert(id),
                    }
                    conv.msgs.insert((direction, id), Msg { at, status, text });
                }
                Record::Status {
                    direction,
                    id,
                    status,
                } => {
                    if let Some(m) = conv.msgs.get_mut(&(direction, id))
                        && status.rank() > m.status.rank()
                    {
                        m.status = status;
                    }
                }
                Record::Delete { direction, id } => {
                    conv.msgs.remove(&(direction, id));
                }
                Record::Seen { ranges } => {
                    for (a, b) in ranges {
                        conv.seen.insert_range(a, b);
                    }
                }
            }
        }
        Ok(conv)
    }

    /// Records a compacted log holds: the header, `Seen` if any id was
    /// received, one per line.
    fn live_records(&self) -> usize {
        1 + usize::from(!self.seen.is_empty()) + self.msgs.len()
    }

    /// The lines' keys, oldest first: by time, then direction (Out
    /// first), then id.
    fn ordered(&self) -> Vec<(Direction, u32)> {
        let mut keys: Vec<_> = self.msgs.keys().copied().collect();
        keys.sort_by_key(|k| (self.msgs.get(k).map_or(0, |m| m.at), k.0, k.1));
        keys
    }

    fn entry(&self, key: (Direction, u32)) -> Option<Entry> {
        self.msgs.get(&key).map(|m| Entry {
            id: key.1,
            direction: key.0,
            text: m.text.clone(),
            at: m.at,
            status: m.status,
        })
    }

    fn queued(&self) -> impl Iterator<Item = u32> + '_ {
        self.msgs
            .range((Direction::Out, 0)..=(Direction::Out, u32::MAX))
            .filter(|(_, m)| m.status == Status::Queued)
            .map(|(k, _)| k.1)
    }

    /// Appends `record` and `fsync`s the log. On failure the log is cut
    /// back to its last good record; if even that fails, the conversation
    /// is poisoned and its next write rewrites the log first.
    fn append(&mut self, dir: &Path, keys: &Keys, record: &Record) -> Result<(), HistoryError> {
        if self.poisoned {
            self.compact(dir, keys)?;
        }
        let bytes = format::seal_record(keys, &self.name, self.len, &nonce()?, record)
            .map_err(|_| HistoryError::Internal("a record the history built does not encode"))?;
        let path = dir.join(&self.name);
        let written = (|| -> io::Result<()> {
            let mut f = OpenOptions::new().write(true).open(&path)?;
            f.seek(SeekFrom::Start(self.len))?;
            f.write_all(&bytes)?;
            f.sync_data()
        })();
        match written {
            Ok(()) => {
                self.len += bytes.len() as u64;
                self.records += 1;
                Ok(())
            }
            Err(e) => {
                let undone = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .and_then(|f| f.set_len(self.len).and_then(|()| f.sync_data()));
                if undone.is_err() {
                    self.poisoned = true;
                }
                Err(HistoryError::io(&self.name, e))
            }
        }
    }

    /// Rewrites the log with only what is live, atomically: a temporary
    /// file written and `fsync`ed, renamed over the log, the directory
    /// `fsync`ed.
    fn compact(&mut self, dir: &Path, keys: &Keys) -> Result<(), HistoryError> {
        let mut bytes = Vec::new();
        let mut records = 0usize;
        let mut push = |record: &Record| -> Result<(), HistoryError> {
            let sealed =
                format::seal_record(keys, &self.name, bytes.len() as u64, &nonce()?, record)
                    .map_err(|_| {
                        HistoryError::Internal("a record the history built does not encode")
                    })?;
            bytes.extend_from_slice(&sealed);
            records += 1;
            Ok(())
        };
        push(&Record::Header {
            contact: self.contact,
            next_out: self.next_out,
        })?;
        if !self.seen.is_empty() {
            push(&Record::Seen {
                ranges: self.seen.ranges().to_vec(),
            })?;
        }
        for key in self.ordered() {
            if let Some(m) = self.msgs.get(&key) {
                push(&Record::Message {
                    direction: key.0,
                    id: key.1,
                    at: m.at,
                    status: m.status,
                    text: m.text.clone(),
                })?;
            }
        }
        let stem = self.name.strip_suffix(LOG_SUFFIX).unwrap_or(&self.name);
        let tmp_name = format!("{stem}{TMP_SUFFIX}");
        let tmp = dir.join(&tmp_name);
        let written = (|| -> io::Result<()> {
            let mut f = create_options().open(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(HistoryError::io(tmp_name, e));
        }
        if let Err(e) = fs::rename(&tmp, dir.join(&self.name)) {
            let _ = fs::remove_file(&tmp);
            return Err(HistoryError::io(&self.name, e));
        }
        self.len = bytes.len() as u64;
        self.records = records;
        self.poisoned = false;
        sync_dir(dir)
    }

    /// Compacts when dead records outnumber live ones. A failure leaves the
    /// old log, which is still good; the next write tries again.
    fn maybe_compact(&mut self, dir: &Path, keys: &Keys) {
        if self.records > 2 * self.live_records() {
            let _ = self.compact(dir, keys);
        }
    }
}

/// A fresh random nonce.
fn nonce() -> Result<[u8; NONCE_LEN], HistoryError> {
    let mut n = [0u8; NONCE_LEN];
    getrandom::fill(&mut n).map_err(|_| HistoryError::NoRandomness)?;
    Ok(n)
}

/// Options that create a file (mode 0600), truncating it.
fn create_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

/// `fsync`s the directory, so a file created, renamed or removed in it
/// stays so after a crash.
fn sync_dir(dir: &Path) -> Result<(), HistoryError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| HistoryError::io(".", e))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Creates `dir` (mode 0700) or narrows an existing one to 0700.
fn create_dir(dir: &Path) -> Result<(), HistoryError> {
    let io = |e| HistoryError::io(dir.display().to_string(), e);
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        b.mode(0o700);
        b.create(dir).map_err(io)?;
        let mode = fs::metadata(dir).map_err(io)?.permissions().mode();
        if mode & 0o077 != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io)?;
        }
    }
    #[cfg(not(unix))]
    b.create(dir).map_err(io)?;
    Ok(())
}

/// Writes the store file atomically (temporary file, `fsync`, rename,
/// directory `fsync`).
fn write_store_file(dir: &Path, keys: &Keys, floor: u32) -> Result<(), HistoryError> {
    let tmp_name = format!("{STORE_FILE}{TMP_SUFFIX}");
    let tmp = dir.join(&tmp_name);
    let written = (|| -> io::Result<()> {
        let mut f = create_options().open(&tmp)?;
        f.write_all(&keys.store_file(floor))?;
        f.sync_all()?;
        fs::rename(&tmp, dir.join(STORE_FILE))
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(HistoryError::io(STORE_FILE, e));
    }
    sync_dir(dir)
}

/// Refuses a text that is empty, only white space, or too long.
fn check_text(text: &str) -> Result<(), HistoryError> {
    if text.trim().is_empty() {
        return Err(HistoryError::EmptyText);
    }
    if text.len() > TEXT_MAX {
        return Err(HistoryError::TextTooLong {
            len: text.len(),
            max: TEXT_MAX,
        });
    }
    Ok(())
}

impl History {
    /// Opens the history in `dir`, creating it (directory mode 0700, files
    /// 0600) if it does not exist, under `key` (32 bytes the caller derives
    /// for this store; it is kept, wiped on drop).
    ///
    /// On the way, each log's torn last write (a crash while appending) is
    /// cut off, logs whose very first record was torn are removed, and
    /// temporary files of an interrupted compaction are removed.
    ///
    /// # Errors
    /// [`HistoryError::WrongKey`] if `key` did not make this store;
    /// [`HistoryError::Damaged`] naming the first file with a bad record
    /// that is not a torn last write (nothing is changed then);
    /// [`HistoryError::Busy`] if another process has it open;
    /// [`HistoryError::Io`].
    pub fn open(dir: &Path, key: &Secret<32>, limits: Limits) -> Result<Self, HistoryError> {
        let limits = Limits {
            max_messages: limits.max_messages.max(1),
            ..limits
        };
        create_dir(dir)?;
        let mut lock = OpenOptions::new();
        lock.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            lock.mode(0o600);
        }
        let lock = lock
            .open(dir.join(LOCK_FILE))
            .map_err(|e| HistoryError::io(LOCK_FILE, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(HistoryError::Busy),
            Err(fs::TryLockError::Error(e)) => return Err(HistoryError::io(LOCK_FILE, e)),
        }
        let keys = Keys::new(key).map_err(|_| HistoryError::Internal("a 32-byte key refused"))?;

        let mut names = Vec::new();
        for e in fs::read_dir(dir).map_err(|e| HistoryError::io(".", e))? {
            let e = e.map_err(|e| HistoryError::io(".", e))?;
            if let Ok(name) = e.file_name().into_string() {
                names.push(name);
            }
        }
        names.sort();
        let logs: Vec<&String> = names.iter().filter(|n| format::is_log_name(n)).collect();

        let floor = match fs::read(dir.join(STORE_FILE)) {
            Ok(bytes) => keys.read_store_file(&bytes).map_err(|e| match e {
                StoreFileError::WrongKey => HistoryError::WrongKey,
                StoreFileError::Damaged => HistoryError::Damaged {
                    file: STORE_FILE.to_owned(),
                },
            })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if !logs.is_empty() {
                    return Err(HistoryError::Damaged {
                        file: STORE_FILE.to_owned(),
                    });
                }
                write_store_file(dir, &keys, 0)?;
                0
            }
            Err(e) => return Err(HistoryError::io(STORE_FILE, e)),
        };

        // Read every log before changing any: a damaged one refuses the
        // whole store and leaves it as it was.
        let mut read = Vec::with_capacity(logs.len());
        for name in logs {
            let bytes = fs::read(dir.join(name)).map_err(|e| HistoryError::io(name, e))?;
            let log = format::read_log(&keys, name, &bytes)
                .map_err(|_| HistoryError::Damaged { file: name.clone() })?;
            read.push((name, bytes.len() as u64, log));
        }
        let mut dir_changed = false;
        for name in names.iter().filter(|n| n.ends_with(TMP_SUFFIX)) {
            fs::remove_file(dir.join(name)).map_err(|e| HistoryError::io(name, e))?;
            dir_changed = true;
        }
        let mut convs = BTreeMap::new();
        for (name, file_len, log) in read {
            let path = dir.join(name);
            if log.records.is_empty() {
                fs::remove_file(&path).map_err(|e| HistoryError::io(name, e))?;
                dir_changed = true;
                continue;
            }
            if log.good_len < file_len {
                OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .and_then(|f| f.set_len(log.good_len).and_then(|()| f.sync_data()))
                    .map_err(|e| HistoryError::io(name, e))?;
            }
            let conv = Conv::replay(name, log)?;
            convs.insert(conv.contact, conv);
        }
        if dir_changed {
            sync_dir(dir)?;
        }
        Ok(Self {
            dir: dir.to_owned(),
            keys,
            limits,
            floor,
            convs,
            _lock: lock,
        })
    }

    /// The bounds this history applies.
    #[must_use]
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Queues a message to `contact` at `now` (unix seconds) and returns
    /// its id: the conversation's next outgoing id (1, 2, …, never reused,
    /// not even after deletes). Its status is [`Status::Queued`] until
    /// [`mark_out`](Self::mark_out) or [`expire`](Self::expire). On disk
    /// before it returns.
    ///
    /// # Errors
    /// [`HistoryError::EmptyText`] (empty or only white space),
    /// [`HistoryError::TextTooLong`] (over `TEXT_MAX` bytes),
    /// [`HistoryError::OutboxFull`] (`max_messages` already queued),
    /// [`HistoryError::IdsExhausted`], [`HistoryError::Io`].
    pub fn queue(
        &mut self,
        contact: &ContactKey,
        text: &str,
        now: u64,
    ) -> Result<u32, HistoryError> {
        check_text(text)?;
        let max = self.limits.max_messages;
        if self
            .convs
            .get(contact)
            .is_some_and(|c| c.queued().count() >= max)
        {
            return Err(HistoryError::OutboxFull { max });
        }
        self.ensure_conv(contact)?;
        let conv = self.convs.get_mut(contact).ok_or(HistoryError::Internal(
            "a conversation just created is missing",
        ))?;
        let id = conv.next_out;
        if id == u32::MAX {
            return Err(HistoryError::IdsExhausted);
        }
        let text = Zeroizing::new(text.to_owned());
        conv.append(
            &self.dir,
            &self.keys,
            &Record::Message {
                direction: Direction::Out,
                id,
                at: now,
                status: Status::Queued,
                text: text.clone(),
            },
        )?;
        conv.next_out = id + 1;
        conv.msgs.insert(
            (Direction::Out, id),
            Msg {
                at: now,
                status: Status::Queued,
                text,
            },
        );
        self.after_add(contact, (Direction::Out, id));
        Ok(id)
    }

    /// The messages waiting to be sent to `contact` ([`Status::Queued`]),
    /// in id order. Call [`expire`](Self::expire) first to drop the ones
    /// that waited too long.
    #[must_use]
    pub fn outbox(&self, contact: &ContactKey) -> Vec<Entry> {
        self.convs.get(contact).map_or_else(Vec::new, |c| {
            c.queued()
                .filter_map(|id| c.entry((Direction::Out, id)))
                .collect()
        })
    }

    /// Every contact with a message waiting to be sent, in key order (for
    /// a retry loop).
    #[must_use]
    pub fn pending_contacts(&self) -> Vec<ContactKey> {
        self.convs
            .values()
            .filter(|c| c.queued().next().is_some())
            .map(|c| c.contact)
            .collect()
    }

    /// Our message `id` to `contact` got the peer's receipt. A status only
    /// moves forward (Queued or Expired → Delivered → Read): `Ok(false)`
    /// when it is there already or further, or the id is unknown.
    ///
    /// # Errors
    /// [`HistoryError::Io`].
    pub fn mark_out(
        &mut self,
        contact: &ContactKey,
        id: u32,
        receipt: Receipt,
    ) -> Result<bool, HistoryError> {
        self.set_status(contact, (Direction::Out, id), receipt.into())
    }

    /// Whether `contact`'s message `id` was received before (even if
    /// deleted since): a retry that [`Self::receive`] would call a
    /// duplicate.
    #[must_use]
    pub fn has_received(&self, contact: &ContactKey, id: u32) -> bool {
        self.convs.get(contact).is_some_and(|c| c.seen.contains(id))
    }

    /// Stores a message from `contact` with the sender's `id`, as
    /// [`Status::Unread`], on disk (`fsync`ed) before it returns: send the
    /// "delivered" receipt after this returns `Ok`, not before. An id
    /// stored before (even if deleted since) is a retry:
    /// [`Received::Duplicate`], nothing stored.
    ///
    /// # Errors
    /// [`HistoryError::EmptyText`], [`HistoryError::TextTooLong`],
    /// [`HistoryError::Io`].
    pub fn receive(
        &mut self,
        contact: &ContactKey,
        id: u32,
        text: &str,
        now: u64,
    ) -> Result<Received, HistoryError> {
        if self.convs.get(contact).is_some_and(|c| c.seen.contains(id)) {
            return Ok(Received::Duplicate);
        }
        check_text(text)?;
        self.ensure_conv(contact)?;
        let conv = self.convs.get_mut(contact).ok_or(HistoryError::Internal(
            "a conversation just created is missing",
        ))?;
        let text = Zeroizing::new(text.to_owned());
        conv.append(
            &self.dir,
            &self.keys,
            &Record::Message {
                direction: Direction::In,
                id,
                at: now,
                status: Status::Unread,
                text: text.clone(),
            },
        )?;
        conv.seen.insert(id);
        conv.msgs.insert(
            (Direction::In, id),
            Msg {
                at: now,
                status: Status::Unread,
                text,
            },
        );
        self.after_add(contact, (Direction::In, id));
        Ok(Received::Stored)
    }

    /// The incoming message `id` from `contact` was shown: Unread → Read.
    /// `Ok(false)` if it was read already or the id is unknown.
    ///
    /// # Errors
    /// [`HistoryError::Io`].
    pub fn mark_in_read(&mut self, contact: &ContactKey, id: u32) -> Result<bool, HistoryError> {
        self.set_status(contact, (Direction::In, id), Status::Read)
    }

    /// The conversation with `contact`, oldest first (by time, then our
    /// messages before theirs, then by id). Empty if there is none.
    #[must_use]
    pub fn conversation(&self, contact: &ContactKey) -> Vec<Entry> {
        self.convs.get(contact).map_or_else(Vec::new, |c| {
            c.ordered().into_iter().filter_map(|k| c.entry(k)).collect()
        })
    }

    /// One summary per conversation, the most recent first (conversations
    /// with no line left come last, in key order).
    #[must_use]
    pub fn conversations(&self) -> Vec<Summary> {
        let mut out: Vec<Summary> = self
            .convs
            .values()
            .map(|c| Summary {
                contact: c.contact,
                last: c.ordered().last().and_then(|k| c.entry(*k)),
                unread: c
                    .msgs
                    .values()
                    .filter(|m| m.status == Status::Unread)
                    .count(),
            })
            .collect();
        out.sort_by(|a, b| {
            let key = |s: &Summary| s.last.as_ref().map(|e| (e.at, e.direction, e.id));
            key(b).cmp(&key(a)).then(a.contact.cmp(&b.contact))
        });
        out
    }

    /// Deletes one line. It stays on disk, as a tombstone beside the
    /// encrypted record, until the log is compacted (see
    /// [`compact`](Self::compact)). `Ok(false)` if there is no such line.
    /// Deleting a queued message takes it out of the outbox.
    ///
    /// # Errors
    /// [`HistoryError::Io`].
    pub fn delete_message(
        &mut self,
        contact: &ContactKey,
        direction: Direction,
        id: u32,
    ) -> Result<bool, HistoryError> {
        let Some(conv) = self.convs.get_mut(contact) else {
            return Ok(false);
        };
        if !conv.msgs.contains_key(&(direction, id)) {
            return Ok(false);
        }
        conv.append(&self.dir, &self.keys, &Record::Delete { direction, id })?;
        conv.msgs.remove(&(direction, id));
        conv.maybe_compact(&self.dir, &self.keys);
        Ok(true)
    }

    /// Deletes the conversation with `contact`: its log file is removed.
    /// Its outgoing ids are not reused: a new conversation starts above
    /// the highest id any deleted conversation used (kept in the store
    /// file). `Ok(false)` if there is none.
    ///
    /// # Errors
    /// [`HistoryError::Io`].
    pub fn delete_conversation(&mut self, contact: &ContactKey) -> Result<bool, HistoryError> {
        let Some(conv) = self.convs.get(contact) else {
            return Ok(false);
        };
        if conv.next_out > self.floor {
            write_store_file(&self.dir, &self.keys, conv.next_out)?;
            self.floor = conv.next_out;
        }
        match fs::remove_file(self.dir.join(&conv.name)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(HistoryError::io(&conv.name, e)),
        }
        self.convs.remove(contact);
        sync_dir(&self.dir)?;
        Ok(true)
    }

    /// Gives up on queued messages that waited `outbox_max_age` or longer
    /// at `now`: they become [`Status::Expired`] (shown as "not
    /// delivered") and leave the outbox. Returns them.
    ///
    /// # Errors
    /// [`HistoryError::Io`]; the messages expired before the failure stay
    /// expired (see [`conversation`](Self::conversation)).
    pub fn expire(&mut self, now: u64) -> Result<Vec<(ContactKey, u32)>, HistoryError> {
        let age = self.limits.outbox_max_age.as_secs();
        let mut expired = Vec::new();
        for conv in self.convs.values_mut() {
            let due: Vec<u32> = conv
                .queued()
                .filter(|id| {
                    conv.msgs
                        .get(&(Direction::Out, *id))
                        .is_some_and(|m| now.saturating_sub(m.at) >= age)
                })
                .collect();
            if due.is_empty() {
                continue;
            }
            for id in due {
                conv.append(
                    &self.dir,
                    &self.keys,
                    &Record::Status {
                        direction: Direction::Out,
                        id,
                        status: Status::Expired,
                    },
                )?;
                if let Some(m) = conv.msgs.get_mut(&(Direction::Out, id)) {
                    m.status = Status::Expired;
                }
                expired.push((conv.contact, id));
            }
            conv.maybe_compact(&self.dir, &self.keys);
        }
        Ok(expired)
    }

    /// Rewrites the log of `contact`'s conversation with only its live
    /// lines now (otherwise this happens when dead records outnumber live
    /// ones): deleted texts leave the file. `Ok(false)` if there is no
    /// such conversation.
    ///
    /// # Errors
    /// [`HistoryError::Io`]; the old log is then still in place.
    pub fn compact(&mut self, contact: &ContactKey) -> Result<bool, HistoryError> {
        let Some(conv) = self.convs.get_mut(contact) else {
            return Ok(false);
        };
        conv.compact(&self.dir, &self.keys)?;
        Ok(true)
    }

    /// The conversation of `contact`, created (its log with a header,
    /// `fsync`ed, the directory too) if it does not exist yet.
    fn ensure_conv(&mut self, contact: &ContactKey) -> Result<(), HistoryError> {
        if !self.convs.contains_key(contact) {
            let name = self.keys.file_name(contact);
            let next_out = self.floor.max(1);
            let header = format::seal_record(
                &self.keys,
                &name,
                0,
                &nonce()?,
                &Record::Header {
                    contact: *contact,
                    next_out,
                },
            )
            .map_err(|_| HistoryError::Internal("a header does not encode"))?;
            let path = self.dir.join(&name);
            let written = (|| -> io::Result<()> {
                let mut f = create_options().open(&path)?;
                f.write_all(&header)?;
                f.sync_data()
            })();
            if let Err(e) = written {
                let _ = fs::remove_file(&path);
                return Err(HistoryError::io(name, e));
            }
            sync_dir(&self.dir)?;
            self.convs.insert(
                *contact,
                Conv {
                    contact: *contact,
                    name,
                    len: header.len() as u64,
                    records: 1,
                    next_out,
                    seen: IdSet::default(),
                    msgs: BTreeMap::new(),
                    poisoned: false,
                },
            );
        }
        Ok(())
    }

    /// Moves a line's status forward (never back).
    fn set_status(
        &mut self,
        contact: &ContactKey,
        key: (Direction, u32),
        status: Status,
    ) -> Result<bool, HistoryError> {
        let Some(conv) = self.convs.get_mut(contact) else {
            return Ok(false);
        };
        let Some(current) = conv.msgs.get(&key).map(|m| m.status) else {
            return Ok(false);
        };
        if !status.fits(key.0) || status.rank() <= current.rank() {
            return Ok(false);
        }
        conv.append(
            &self.dir,
            &self.keys,
            &Record::Status {
                direction: key.0,
                id: key.1,
                status,
            },
        )?;
        if let Some(m) = conv.msgs.get_mut(&key) {
            m.status = status;
        }
        conv.maybe_compact(&self.dir, &self.keys);
        Ok(true)
    }

    /// After a line was added (and is on disk): the bound, then
    /// compaction. Failures here do not undo the line: the bound and the
    /// compaction are tried again after the next change.
    fn after_add(&mut self, contact: &ContactKey, added: (Direction, u32)) {
        let max = self.limits.max_messages;
        let Some(conv) = self.convs.get_mut(contact) else {
            return;
        };
        while conv.msgs.len() > max {
            // The oldest line that is neither queued nor the one just added.
            let victim = conv
                .msgs
                .iter()
                .filter(|(k, m)| **k != added && m.status != Status::Queued)
                .min_by_key(|(k, m)| (m.at, k.0, k.1))
                .map(|(k, _)| *k);
            let Some((direction, id)) = victim else {
                break;
            };
            if conv
                .append(&self.dir, &self.keys, &Record::Delete { direction, id })
                .is_err()
            {
                break;
            }
            conv.msgs.remove(&(direction, id));
        }
        conv.maybe_compact(&self.dir, &self.keys);
    }
}
