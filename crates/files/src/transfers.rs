//! [`Transfers`]: the store, the active transfers and the file I/O
//! together, for a front end's session loop.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use susurro_crypto::Secret;
use susurro_wire::{FileMessage, FileOffer, FileRefusal, Instant, earliest};

use crate::config::{DEFAULT_MAX_SIZE, DEFAULT_RECORD_AGE, MAX_ACTIVE, PROGRESS_EVERY};
use crate::error::FilesError;
use crate::format::{IncomingRecord, OutgoingRecord};
use crate::name::sanitize_name;
use crate::partial::PartialFile;
use crate::receiver::{ChunkSink, Receiver};
use crate::sender::{Sender, decline, done, offer_message};
use crate::source::{FileSource, SourceFile};
use crate::store::{Store, random};
use crate::types::{ContactKey, Direction, Failure, Outcome, Pace, Phase, Progress};

/// Finished incoming transfers remembered, to answer a late resend.
const FINISHED_KEPT: usize = 32;
/// Unknown transfer ids answered `Unknown` remembered, to answer once.
const UNKNOWN_KEPT: usize = 64;

/// What a [`Transfers`] applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// The largest file accepted; a bigger offer is declined `TooBig`
    /// (default [`DEFAULT_MAX_SIZE`], 100 MB).
    pub max_size: u64,
    /// Records of unfinished transfers older than this are removed by
    /// [`Transfers::expire`] (default 7 days).
    pub max_record_age: Duration,
    /// Incoming transfers one contact may have at once (offered or
    /// accepted); past it an offer is declined `Busy` (default 4).
    pub max_active: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_size: DEFAULT_MAX_SIZE,
            max_record_age: DEFAULT_RECORD_AGE,
            max_active: MAX_ACTIVE,
        }
    }
}

/// What happened, for the front end to show. Every transfer that started
/// (offered by us, or offered to us and reported [`Event::OfferReceived`])
/// ends with exactly one [`Event::Done`] or [`Event::Failed`], unless its
/// session ends first (then it resumes in a later session).
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// The contact offers a file: answer with [`Transfers::accept`] or
    /// [`Transfers::decline`].
    OfferReceived {
        /// From whom.
        contact: ContactKey,
        /// The transfer id.
        file: u64,
        /// The name, sanitised ([`sanitize_name`]).
        name: String,
        /// The size in bytes.
        size: u64,
    },
    /// An offer was declined without asking: too big, too many transfers,
    /// or an id known with other contents.
    OfferRefused {
        /// From whom.
        contact: ContactKey,
        /// The transfer id.
        file: u64,
        /// The name, sanitised.
        name: String,
        /// The size in bytes.
        size: u64,
        /// What the contact was told.
        reason: FileRefusal,
    },
    /// A transfer from an earlier session goes on: offered again (ours) or
    /// accepted again without asking (theirs, accepted before).
    Resumed {
        /// With whom.
        contact: ContactKey,
        /// The transfer id.
        file: u64,
        /// Which way.
        direction: Direction,
        /// The name (sanitised).
        name: String,
        /// The size in bytes.
        size: u64,
        /// Bytes the receiver holds already (0 for ours until it answers).
        done_bytes: u64,
    },
    /// How far a transfer is (at most every 500 ms per transfer).
    Progress {
        /// With whom.
        contact: ContactKey,
        /// The transfer id.
        file: u64,
        /// Which way.
        direction: Direction,
        /// Bytes, rate, time left.
        progress: Progress,
    },
    /// The receiver checked and saved the file.
    Done {
        /// With whom.
        contact: ContactKey,
        /// The transfer id.
        file: u64,
        /// Which way.
        direction: Direction,
        /// Where it was saved (incoming transfers).
        path: Option<PathBuf>,
    },
    /// The transfer ended without the file saved.
    Failed {
        /// With whom.
        contact: ContactKey,
        /// The transfer id.
        file: u64,
        /// Which way.
        direction: Direction,
        /// Why.
        failure: Failure,
        /// The local error behind it, if any.
        error: Option<FilesError>,
    },
}

/// The partial file of an accepted incoming transfer, as a [`ChunkSink`]
/// that saves into the destination folder.
#[derive(Debug)]
struct DiskSink {
    partial: Option<PartialFile>,
    key: Secret<32>,
    hash: [u8; 32],
    dest: PathBuf,
    name: String,
    saved: Option<PathBuf>,
}

impl ChunkSink for DiskSink {
    fn held(&self) -> u32 {
        self.partial.as_ref().map_or(0, PartialFile::next)
    }

    fn append(&mut self, data: &[u8]) -> Result<(), FilesError> {
        self.partial
            .as_mut()
            .ok_or(FilesError::Internal("no partial file"))?
            .append(data)
    }

    fn complete(&mut self) -> Result<bool, FilesError> {
        let partial = self
            .partial
            .take()
            .ok_or(FilesError::Internal("no partial file"))?;
        let saved = partial.save(&self.key, &self.hash, &self.dest, &self.name)?;
        let ok = saved.is_some();
        self.saved = saved;
        Ok(ok)
    }
}

/// The sink of an offer not accepted yet: it holds nothing and takes
/// nothing (the receiver does not use it before `accept`).
struct NoSink;

impl ChunkSink for NoSink {
    fn held(&self) -> u32 {
        0
    }

    fn append(&mut self, _: &[u8]) -> Result<(), FilesError> {
        Err(FilesError::Internal(
            "a chunk before the offer was accepted",
        ))
    }

    fn complete(&mut self) -> Result<bool, FilesError> {
        Err(FilesError::Internal(
            "a chunk before the offer was accepted",
        ))
    }
}

#[derive(Debug)]
struct Outgoing {
    sender: Sender,
    source: FileSource,
    reported: Option<Instant>,
}

#[derive(Debug)]
struct Incoming {
    receiver: Receiver,
    /// `None` until accepted.
    sink: Option<DiskSink>,
    /// The offer's name as sent (kept in the record).
    raw_name: String,
    /// Sanitised.
    name: String,
    reported: Option<Instant>,
}

/// A finished incoming transfer, to answer chunks resent after its end.
#[derive(Debug)]
struct Finished {
    contact: ContactKey,
    file: u64,
    saved: bool,
    last_index: Option<u32>,
}

/// Every file transfer of a front end: the [`Store`], the transfers in
/// progress with each contact, and the file I/O, behind a few calls a
/// session loop makes between its other events:
///
/// - [`session_started`](Self::session_started) when a session with a
///   contact is up (it offers again what was left unfinished),
///   [`session_ended`](Self::session_ended) when it is gone;
/// - [`offer_file`](Self::offer_file) to send a file;
/// - [`handle`](Self::handle) for every `FileMessage` from a contact;
/// - [`poll`](Self::poll) at [`deadline`](Self::deadline);
/// - [`next_event`](Self::next_event) to show what happened, and
///   [`accept`](Self::accept) / [`decline`](Self::decline) to answer
///   offers;
/// - [`expire`](Self::expire) now and then, [`close`](Self::close) at the
///   end.
///
/// Every call returns the messages to send to the contact (encode them with
/// `FileMessage::encode_to`).
#[derive(Debug)]
pub struct Transfers {
    store: Store,
    downloads: PathBuf,
    config: Config,
    sessions: BTreeMap<ContactKey, Pace>,
    outgoing: BTreeMap<(ContactKey, u64), Outgoing>,
    incoming: BTreeMap<(ContactKey, u64), Incoming>,
    finished: VecDeque<Finished>,
    unknown: VecDeque<(ContactKey, u64)>,
    events: VecDeque<Event>,
}

/// Unix seconds now (0 if the clock is before 1970).
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The transfer id a message is about.
fn file_of(msg: &FileMessage) -> u64 {
    match msg {
        FileMessage::FileOffer(m) => m.file,
        FileMessage::FileAccept(m) => m.file,
        FileMessage::FileDecline(m) => m.file,
        FileMessage::FileChunk(m) => m.file,
        FileMessage::FileAck(m) => m.file,
        FileMessage::FileDone(m) => m.file,
    }
}

/// Whether a sender keeps its record after this failure, to offer the file
/// again later: the receiver was busy, the data was found corrupt (its
/// partial data is kept), or it did not answer.
fn sender_keeps_record(f: Failure) -> bool {
    matches!(
        f,
        Failure::Peer(FileRefusal::Busy | FileRefusal::Corrupt)
            | Failure::Local(FileRefusal::NoAnswer | FileRefusal::Corrupt)
    )
}

impl Transfers {
    /// Opens the store in `store_dir` under `key` (see [`Store::open`]);
    /// received files are saved into `downloads`.
    ///
    /// # Errors
    /// As [`Store::open`].
    pub fn open(
        store_dir: &Path,
        key: &Secret<32>,
        downloads: &Path,
        config: Config,
    ) -> Result<Self, FilesError> {
        Ok(Self {
            store: Store::open(store_dir, key)?,
            downloads: downloads.to_owned(),
            config,
            sessions: BTreeMap::new(),
            outgoing: BTreeMap::new(),
            incoming: BTreeMap::new(),
            finished: VecDeque::new(),
            unknown: VecDeque::new(),
            events: VecDeque::new(),
        })
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> Config {
        self.config
    }

    /// The next event, if any.
    pub fn next_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// A session with `contact` is up, at `pace`: offers again every file
    /// to it left unfinished (an unreadable or changed one fails with an
    /// event and its record is removed). Returns the offers.
    pub fn session_started(
        &mut self,
        now: Instant,
        contact: &ContactKey,
        pace: Pace,
    ) -> Vec<FileMessage> {
        self.sessions.insert(*contact, pace);
        let pending: Vec<OutgoingRecord> = self
            .store
            .outgoing()
            .filter(|r| r.contact == *contact && !self.outgoing.contains_key(&(*contact, r.file)))
            .cloned()
            .collect();
        let mut out = Vec::new();
        for r in pending {
            match self.start_outgoing(now, &r, pace) {
                Ok(offer) => {
                    self.events.push_back(Event::Resumed {
                        contact: *contact,
                        file: r.file,
                        direction: Direction::Out,
                        name: r.name.clone(),
                        size: r.size,
                        done_bytes: 0,
                    });
                    out.push(offer);
                }
                Err(e) => {
                    let _ = self.store.remove_outgoing(contact, r.file);
                    self.events.push_back(Event::Failed {
                        contact: *contact,
                        file: r.file,
                        direction: Direction::Out,
                        failure: Failure::Local(FileRefusal::Unknown),
                        error: Some(e),
                    });
                }
            }
        }
        out
    }

    /// The session with `contact` is gone: its transfers stop (partial
    /// data is `fsync`ed) and resume in a later session; offers not
    /// answered yet are forgotten.
    pub fn session_ended(&mut self, contact: &ContactKey) {
        self.sessions.remove(contact);
        self.outgoing.retain(|(c, _), _| c != contact);
        let keys: Vec<_> = self
            .incoming
            .keys()
            .filter(|(c, _)| c == contact)
            .copied()
            .collect();
        for k in keys {
            if let Some(i) = self.incoming.remove(&k)
                && let Some(p) = i.sink.and_then(|s| s.partial)
            {
                let _ = p.close();
            }
        }
    }

    /// A call with `contact` started or ended: the pace of its transfers.
    pub fn set_pace(&mut self, contact: &ContactKey, pace: Pace) {
        self.sessions.insert(*contact, pace);
        for ((c, _), o) in &mut self.outgoing {
            if c == contact {
                o.sender.set_pace(pace);
            }
        }
        for ((c, _), i) in &mut self.incoming {
            if c == contact {
                i.receiver.set_pace(pace);
            }
        }
    }

    fn pace(&self, contact: &ContactKey) -> Pace {
        self.sessions.get(contact).copied().unwrap_or_default()
    }

    /// Sends the file at `path` to `contact`: checks and hashes it
    /// ([`SourceFile::open`]) and [`offer`](Self::offer)s it.
    ///
    /// # Errors
    /// As [`SourceFile::open`] and [`offer`](Self::offer).
    pub fn offer_file(
        &mut self,
        now: Instant,
        contact: &ContactKey,
        path: &Path,
    ) -> Result<(u64, FileMessage), FilesError> {
        let source = SourceFile::open(path)?;
        self.offer(now, contact, &source)
    }

    /// Sends `source` to `contact`: returns the transfer id and the offer
    /// to send. The same file (path, size and hash) sent again to the same
    /// contact keeps its id and key, so the receiver resumes it.
    ///
    /// # Errors
    /// [`FilesError::AlreadySending`] if it is being sent to this contact;
    /// [`FilesError::Changed`] if the file changed since it was hashed;
    /// writing its record: [`FilesError::DiskFull`], [`FilesError::Io`],
    /// [`FilesError::NoRandomness`].
    pub fn offer(
        &mut self,
        now: Instant,
        contact: &ContactKey,
        source: &SourceFile,
    ) -> Result<(u64, FileMessage), FilesError> {
        let record =
            match self
                .store
                .find_outgoing(contact, source.path(), source.size(), source.hash())
            {
                Some(r) => {
                    if self.outgoing.contains_key(&(*contact, r.file)) {
                        return Err(FilesError::AlreadySending);
                    }
                    r.clone()
                }
                None => {
                    let file = loop {
                        let id = u64::from_le_bytes(random()?);
                        if id != 0 && self.store.outgoing_record(contact, id).is_none() {
                            break id;
                        }
                    };
                    let r = OutgoingRecord {
                        contact: *contact,
                        file,
                        key: Secret::new(random()?),
                        hash: *source.hash(),
                        size: source.size(),
                        created: unix_now(),
                        name: source.name().to_owned(),
                        path: source.path().to_owned(),
                    };
                    self.store.put_outgoing(r.clone())?;
                    r
                }
            };
        let pace = self.pace(contact);
        let offer = self.start_outgoing(now, &record, pace)?;
        Ok((record.file, offer))
    }

    /// Opens the source of `r` and starts its sender: the offer.
    fn start_outgoing(
        &mut self,
        now: Instant,
        r: &OutgoingRecord,
        pace: Pace,
    ) -> Result<FileMessage, FilesError> {
        let source = FileSource::open(&r.path, r.size, r.key.clone())?;
        let sender = Sender::new(now, r.file, r.size, pace)?;
        self.outgoing.insert(
            (r.contact, r.file),
            Outgoing {
                sender,
                source,
                reported: None,
            },
        );
        Ok(offer_message(
            r.file,
            r.size,
            &r.hash,
            r.key.expose(),
            &r.name,
        ))
    }

    /// Handles a `FileMessage` from `contact` and returns what to send
    /// back. Never fails: a message that breaks the rules ends its
    /// transfer (`Corrupt`), one about no known transfer is answered
    /// `FileDecline{Unknown}` (once).
    pub fn handle(
        &mut self,
        now: Instant,
        contact: &ContactKey,
        msg: &FileMessage,
    ) -> Vec<FileMessage> {
        let file = file_of(msg);
        let key = (*contact, file);
        match msg {
            FileMessage::FileOffer(o) => self.on_offer(now, contact, o),
            FileMessage::FileAccept(_) | FileMessage::FileAck(_) | FileMessage::FileDone(_) => {
                if let Some(o) = self.outgoing.get_mut(&key) {
                    let out = o.sender.handle(now, msg, &mut o.source);
                    self.after_out(now, key);
                    out
                } else if matches!(msg, FileMessage::FileDone(_)) {
                    Vec::new()
                } else {
                    self.unknown(key)
                }
            }
            FileMessage::FileDecline(_) => {
                if let Some(o) = self.outgoing.get_mut(&key) {
                    let _ = o.sender.handle(now, msg, &mut o.source);
                    self.after_out(now, key);
                }
                if let Some(i) = self.incoming.get_mut(&key) {
                    let _ = match i.sink.as_mut() {
                        Some(sink) => i.receiver.handle(now, msg, sink),
                        None => i.receiver.handle(now, msg, &mut NoSink),
                    };
                    self.after_in(now, key);
                }
                Vec::new()
            }
            FileMessage::FileChunk(c) => {
                if let Some(i) = self.incoming.get_mut(&key) {
                    let Some(sink) = i.sink.as_mut() else {
                        return Vec::new();
                    };
                    let out = i.receiver.handle(now, msg, sink);
                    self.after_in(now, key);
                    out
                } else if let Some(f) = self
                    .finished
                    .iter_mut()
                    .find(|f| f.contact == *contact && f.file == file)
                {
                    // A resend after the end: the sender missed FileDone.
                    let follows = f.last_index.and_then(|l| l.checked_add(1)) == Some(c.index);
                    f.last_index = Some(c.index);
                    if follows {
                        Vec::new()
                    } else {
                        vec![done(file, f.saved)]
                    }
                } else {
                    self.unknown(key)
                }
            }
        }
    }

    /// `FileDecline{Unknown}` for a transfer we do not know, once per id.
    fn unknown(&mut self, key: (ContactKey, u64)) -> Vec<FileMessage> {
        if self.unknown.contains(&key) {
            return Vec::new();
        }
        if self.unknown.len() >= UNKNOWN_KEPT {
            self.unknown.pop_front();
        }
        self.unknown.push_back(key);
        vec![decline(key.1, FileRefusal::Unknown)]
    }

    fn on_offer(&mut self, now: Instant, contact: &ContactKey, o: &FileOffer) -> Vec<FileMessage> {
        let key = (*contact, o.file);
        let pace = self.pace(contact);
        if let Some(i) = self.incoming.get_mut(&key) {
            // Not answered yet, the same offer again changes nothing; the
            // receiver answers it while accepted, and refuses another one
            // with this id either way.
            let out = match i.sink.as_mut() {
                Some(sink) => i
                    .receiver
                    .handle(now, &FileMessage::FileOffer(o.clone()), sink),
                None => i
                    .receiver
                    .handle(now, &FileMessage::FileOffer(o.clone()), &mut NoSink),
            };
            self.after_in(now, key);
            return out;
        }
        if let Some(f) = self
            .finished
            .iter()
            .find(|f| f.contact == *contact && f.file == o.file)
        {
            // Finished here, but the sender missed FileDone and offers it
            // again (a new session): the same answer.
            return vec![done(o.file, f.saved)];
        }
        let name = sanitize_name(o.name.as_str());
        let refuse = |this: &mut Self, reason: FileRefusal| {
            this.events.push_back(Event::OfferRefused {
                contact: *contact,
                file: o.file,
                name: name.clone(),
                size: o.size,
                reason,
            });
            vec![decline(o.file, reason)]
        };
        if o.size > self.config.max_size {
            return refuse(self, FileRefusal::TooBig);
        }
        let Ok(receiver) = Receiver::new(now, o, pace) else {
            return refuse(self, FileRefusal::TooBig);
        };
        if let Some(r) = self.store.incoming_record(contact, o.file) {
            let same = r.size == o.size
                && susurro_crypto::ct_eq(&r.hash, &o.hash)
                && susurro_crypto::ct_eq(r.key.expose(), &o.key);
            if !same {
                return refuse(self, FileRefusal::Unknown);
            }
            // Accepted in an earlier session: resume without asking.
            let raw_name = r.name.clone();
            let mut i = Incoming {
                receiver,
                sink: None,
                raw_name,
                name: name.clone(),
                reported: None,
            };
            let out = match self.open_sink(contact, o, &name, false) {
                Ok(mut sink) => {
                    let out = i.receiver.accept(now, &mut sink);
                    self.events.push_back(Event::Resumed {
                        contact: *contact,
                        file: o.file,
                        direction: Direction::In,
                        name,
                        size: o.size,
                        done_bytes: i.receiver.progress(now).done_bytes,
                    });
                    i.sink = Some(sink);
                    out
                }
                Err(e) => {
                    let reason = e.refusal();
                    self.events.push_back(Event::Failed {
                        contact: *contact,
                        file: o.file,
                        direction: Direction::In,
                        failure: Failure::Local(reason),
                        error: Some(e),
                    });
                    let _ = self.store.remove_incoming(contact, o.file);
                    return vec![decline(o.file, reason)];
                }
            };
            self.incoming.insert(key, i);
            self.after_in(now, key);
            return out;
        }
        let active = self.incoming.keys().filter(|(c, _)| c == contact).count();
        if active >= self.config.max_active {
            return refuse(self, FileRefusal::Busy);
        }
        self.incoming.insert(
            key,
            Incoming {
                receiver,
                sink: None,
                raw_name: o.name.as_str().to_owned(),
                name: name.clone(),
                reported: None,
            },
        );
        self.events.push_back(Event::OfferReceived {
            contact: *contact,
            file: o.file,
            name,
            size: o.size,
        });
        Vec::new()
    }

    /// The partial file of an incoming transfer whose record exists:
    /// opened (cut back to whole chunks) or, if missing or `fresh`,
    /// created.
    fn open_sink(
        &mut self,
        contact: &ContactKey,
        o: &FileOffer,
        name: &str,
        fresh: bool,
    ) -> Result<DiskSink, FilesError> {
        let path = self
            .store
            .partial_path(contact, o.file)
            .ok_or(FilesError::Internal("no record for a partial file"))?;
        let partial = if fresh {
            PartialFile::create(&path, o.size)?
        } else {
            match PartialFile::open(&path, o.size) {
                Ok(p) => p,
                Err(FilesError::NotFound { .. }) => PartialFile::create(&path, o.size)?,
                Err(e) => return Err(e),
            }
        };
        Ok(DiskSink {
            partial: Some(partial),
            key: Secret::new(o.key),
            hash: o.hash,
            dest: self.downloads.clone(),
            name: name.to_owned(),
            saved: None,
        })
    }

    /// Accepts the offer of transfer `file` from `contact`: writes its
    /// record and creates its partial file, and returns `FileAccept` (and
    /// for an empty file `FileDone` at once). If the record or the partial
    /// file cannot be written, the answer is `FileDecline{NoSpace}` and an
    /// [`Event::Failed`] says why.
    ///
    /// # Errors
    /// [`FilesError::UnknownTransfer`] if no such offer waits for an
    /// answer.
    pub fn accept(
        &mut self,
        now: Instant,
        contact: &ContactKey,
        file: u64,
    ) -> Result<Vec<FileMessage>, FilesError> {
        let key = (*contact, file);
        let Some(i) = self
            .incoming
            .get(&key)
            .filter(|i| i.receiver.phase() == Phase::Offered)
        else {
            return Err(FilesError::UnknownTransfer { file });
        };
        let record = IncomingRecord {
            contact: *contact,
            file,
            key: i.receiver.key().clone(),
            hash: *i.receiver.hash(),
            size: i.receiver.size(),
            created: unix_now(),
            name: i.raw_name.clone(),
        };
        let offer = FileOffer {
            file,
            size: record.size,
            hash: record.hash,
            key: *record.key.expose(),
            name: Default::default(),
        };
        let name = i.name.clone();
        let opened = self
            .store
            .put_incoming(record)
            .and_then(|()| self.open_sink(contact, &offer, &name, true));
        let Some(i) = self.incoming.get_mut(&key) else {
            return Err(FilesError::UnknownTransfer { file });
        };
        let out = match opened {
            Ok(mut sink) => {
                let out = i.receiver.accept(now, &mut sink);
                i.sink = Some(sink);
                out
            }
            Err(e) => {
                let reason = FileRefusal::NoSpace;
                let out: Vec<_> = i.receiver.decline(reason).into_iter().collect();
                self.events.push_back(Event::Failed {
                    contact: *contact,
                    file,
                    direction: Direction::In,
                    failure: Failure::Local(reason),
                    error: Some(e),
                });
                self.incoming.remove(&key);
                let _ = self.store.remove_incoming(contact, file);
                return Ok(out);
            }
        };
        self.after_in(now, key);
        Ok(out)
    }

    /// Declines the offer of transfer `file` from `contact` with `reason`
    /// (`Declined` when the person says no); also ends an accepted one.
    ///
    /// # Errors
    /// [`FilesError::UnknownTransfer`] if there is no such transfer.
    pub fn decline(
        &mut self,
        now: Instant,
        contact: &ContactKey,
        file: u64,
        reason: FileRefusal,
    ) -> Result<Vec<FileMessage>, FilesError> {
        let key = (*contact, file);
        let i = self
            .incoming
            .get_mut(&key)
            .ok_or(FilesError::UnknownTransfer { file })?;
        let out = i.receiver.decline(reason).into_iter().collect();
        self.after_in(now, key);
        Ok(out)
    }

    /// Cancels transfer `file` with `contact`, either way: the
    /// `FileDecline{Declined}` to send; its record and partial data are
    /// removed.
    ///
    /// # Errors
    /// [`FilesError::UnknownTransfer`] if there is no such transfer.
    pub fn cancel(
        &mut self,
        now: Instant,
        contact: &ContactKey,
        file: u64,
        direction: Direction,
    ) -> Result<Vec<FileMessage>, FilesError> {
        let key = (*contact, file);
        let out = match direction {
            Direction::Out => {
                let o = self
                    .outgoing
                    .get_mut(&key)
                    .ok_or(FilesError::UnknownTransfer { file })?;
                let out = o.sender.cancel().into_iter().collect();
                self.after_out(now, key);
                out
            }
            Direction::In => return self.decline(now, contact, file, FileRefusal::Declined),
        };
        Ok(out)
    }

    /// Runs the timers of every transfer and sends what they allow:
    /// `(contact, message)` pairs.
    pub fn poll(&mut self, now: Instant) -> Vec<(ContactKey, FileMessage)> {
        let keys: Vec<_> = self.outgoing.keys().copied().collect();
        let mut out = Vec::new();
        for key in keys {
            if let Some(o) = self.outgoing.get_mut(&key) {
                out.extend(
                    o.sender
                        .poll(now, &mut o.source)
                        .into_iter()
                        .map(|m| (key.0, m)),
                );
                self.after_out(now, key);
            }
        }
        out
    }

    /// When to call [`poll`](Self::poll) next.
    #[must_use]
    pub fn deadline(&self) -> Option<Instant> {
        self.outgoing
            .values()
            .fold(None, |d, o| earliest(d, o.sender.deadline()))
    }

    /// The progress of transfer `file` with `contact`.
    #[must_use]
    pub fn progress(
        &self,
        now: Instant,
        contact: &ContactKey,
        file: u64,
        direction: Direction,
    ) -> Option<Progress> {
        match direction {
            Direction::Out => self
                .outgoing
                .get(&(*contact, file))
                .map(|o| o.sender.progress(now)),
            Direction::In => self
                .incoming
                .get(&(*contact, file))
                .map(|i| i.receiver.progress(now)),
        }
    }

    /// Removes the records (and partial data) of transfers not in
    /// progress made more than [`Config::max_record_age`] before
    /// `unix_now`. Returns how many.
    ///
    /// # Errors
    /// [`FilesError::Io`] (the records before the failing one are gone).
    pub fn expire(&mut self, unix_now: u64) -> Result<usize, FilesError> {
        let before = unix_now.saturating_sub(self.config.max_record_age.as_secs());
        let mut n = 0;
        for (direction, contact, file) in self.store.older_than(before) {
            let key = (contact, file);
            match direction {
                Direction::Out if !self.outgoing.contains_key(&key) => {
                    self.store.remove_outgoing(&contact, file)?;
                    n += 1;
                }
                Direction::In if !self.incoming.contains_key(&key) => {
                    self.store.remove_incoming(&contact, file)?;
                    n += 1;
                }
                _ => {}
            }
        }
        Ok(n)
    }

    /// `fsync`s every partial file and closes the store.
    ///
    /// # Errors
    /// [`FilesError::Io`] from the first partial file that failed.
    pub fn close(self) -> Result<(), FilesError> {
        let mut result = Ok(());
        for (_, i) in self.incoming {
            if let Some(p) = i.sink.and_then(|s| s.partial) {
                let r = p.close();
                if result.is_ok() {
                    result = r;
                }
            }
        }
        result
    }

    fn report(
        events: &mut VecDeque<Event>,
        reported: &mut Option<Instant>,
        now: Instant,
        key: (ContactKey, u64),
        direction: Direction,
        progress: Progress,
    ) {
        if reported.is_none_or(|r| now >= r + PROGRESS_EVERY) {
            *reported = Some(now);
            events.push_back(Event::Progress {
                contact: key.0,
                file: key.1,
                direction,
                progress,
            });
        }
    }

    /// After a sender changed: progress, or its end.
    fn after_out(&mut self, now: Instant, key: (ContactKey, u64)) {
        let Some(o) = self.outgoing.get_mut(&key) else {
            return;
        };
        let Some(outcome) = o.sender.outcome() else {
            if o.sender.phase() != Phase::Offered {
                let p = o.sender.progress(now);
                Self::report(
                    &mut self.events,
                    &mut o.reported,
                    now,
                    key,
                    Direction::Out,
                    p,
                );
            }
            return;
        };
        let error = o.sender.take_error();
        self.outgoing.remove(&key);
        let (contact, file) = key;
        match outcome {
            Outcome::Saved => {
                let _ = self.store.remove_outgoing(&contact, file);
                self.events.push_back(Event::Done {
                    contact,
                    file,
                    direction: Direction::Out,
                    path: None,
                });
            }
            Outcome::Failed(failure) => {
                if !sender_keeps_record(failure) {
                    let _ = self.store.remove_outgoing(&contact, file);
                }
                self.events.push_back(Event::Failed {
                    contact,
                    file,
                    direction: Direction::Out,
                    failure,
                    error,
                });
            }
        }
    }

    /// After a receiver changed: progress, or its end.
    fn after_in(&mut self, now: Instant, key: (ContactKey, u64)) {
        let Some(i) = self.incoming.get_mut(&key) else {
            return;
        };
        let Some(outcome) = i.receiver.outcome() else {
            if i.receiver.phase() != Phase::Offered {
                let p = i.receiver.progress(now);
                Self::report(
                    &mut self.events,
                    &mut i.reported,
                    now,
                    key,
                    Direction::In,
                    p,
                );
            }
            return;
        };
        let error = i.receiver.take_error();
        let Some(i) = self.incoming.remove(&key) else {
            return;
        };
        let (contact, file) = key;
        let mut saved_path = None;
        if let Some(sink) = i.sink {
            saved_path = sink.saved;
            if let Some(p) = sink.partial {
                let _ = p.close();
            }
        }
        let keep = outcome == Outcome::Failed(Failure::Local(FileRefusal::Corrupt));
        if !keep {
            let _ = self.store.remove_incoming(&contact, file);
        }
        if matches!(
            outcome,
            Outcome::Saved | Outcome::Failed(Failure::HashMismatch)
        ) {
            if self.finished.len() >= FINISHED_KEPT {
                self.finished.pop_front();
            }
            self.finished.push_back(Finished {
                contact,
                file,
                saved: outcome == Outcome::Saved,
                last_index: None,
            });
        }
        self.events.push_back(match outcome {
            Outcome::Saved => Event::Done {
                contact,
                file,
                direction: Direction::In,
                path: saved_path,
            },
            Outcome::Failed(failure) => Event::Failed {
                contact,
                file,
                direction: Direction::In,
                failure,
                error,
            },
        });
    }
}
