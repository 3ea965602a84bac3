//! File transfers driven by the ui core's events: a session with a proven
//! contact starts (or resumes) the transfers with it, the peer's file
//! messages go to [`Transfers`], what it answers goes back through the ui
//! core, and offers wait for the front end's answer (or its policy's).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use susurro_files::{
    ContactKey, Direction, Event, FileMessage, FileRefusal, FilesError, Pace, Progress, SourceFile,
    Transfers,
};
use susurro_ui::view::Phase;
use susurro_ui::{Action, UiEvent};
use susurro_wire::caps;

use crate::messaging::{Ui, name_of, proven_peer};

/// How long an offer waits for the user's answer before it is declined
/// (`NoAnswer`).
pub const ANSWER_WAIT: Duration = Duration::from_secs(60);

/// Something about a file for the front end to show.
#[derive(Debug, Clone, PartialEq)]
pub enum FileNotice {
    /// A contact offers a file: answer with [`Filing::accept`] or
    /// [`Filing::decline`] within [`ANSWER_WAIT`] (unless the policy
    /// already accepted it: then `accepted`).
    Offer {
        /// The contact's key (names can change; keys do not).
        contact: ContactKey,
        /// The contact's name.
        from: String,
        /// The transfer id.
        file: u64,
        /// The name it will be saved under (sanitised; a number is added
        /// if the folder has one already).
        name: String,
        /// Its size in bytes.
        size: u64,
        /// Accepted without asking (the contact is on the accept list).
        accepted: bool,
    },
    /// A transfer goes on from an earlier session.
    Resumed {
        /// The contact's key (names can change; keys do not).
        contact: ContactKey,
        /// With whom.
        with: String,
        /// The transfer id.
        file: u64,
        /// Which way.
        direction: Direction,
        /// Its name.
        name: String,
        /// Bytes held already.
        done_bytes: u64,
        /// Its size.
        size: u64,
    },
    /// How far a transfer is.
    Progress {
        /// The contact's key (names can change; keys do not).
        contact: ContactKey,
        /// With whom.
        with: String,
        /// The transfer id.
        file: u64,
        /// Which way.
        direction: Direction,
        /// Bytes, rate, time left.
        progress: Progress,
    },
    /// The file arrived whole and checked (saved at `path` when it came to
    /// us).
    Done {
        /// The contact's key (names can change; keys do not).
        contact: ContactKey,
        /// With whom.
        with: String,
        /// The transfer id.
        file: u64,
        /// Which way.
        direction: Direction,
        /// Where it was saved (incoming).
        path: Option<PathBuf>,
    },
    /// The transfer ended without the file.
    Failed {
        /// The contact's key (names can change; keys do not).
        contact: ContactKey,
        /// With whom.
        with: String,
        /// The transfer id.
        file: u64,
        /// Which way.
        direction: Direction,
        /// Why, in words.
        why: String,
    },
}

/// Who may send us files without asking.
#[derive(Debug, Clone, Default)]
pub struct AcceptPolicy {
    /// Contacts whose offers are accepted at once.
    pub from: HashSet<ContactKey>,
    /// Ask the user about other contacts' offers (else decline them).
    pub ask: bool,
}

/// The transfers' side of a front end's sessions.
pub struct Filing {
    transfers: Transfers,
    policy: AcceptPolicy,
    /// The start of this driver's clock (the files crate counts from it).
    base: Instant,
    /// The proven contact of the current session and its pace.
    session: Option<(ContactKey, Pace)>,
    /// Files to offer in the next session with their contact.
    to_send: Vec<(ContactKey, SourceFile)>,
    /// Our transfers started in this driver (by `send`): (contact, id).
    ours: Vec<(ContactKey, u64)>,
    /// Their transfers we accepted, until they end: (contact, id).
    theirs: Vec<(ContactKey, u64)>,
    /// Offers waiting for the user: (contact, id, answer by).
    asked: Vec<(ContactKey, u64, Instant)>,
}

impl core::fmt::Debug for Filing {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Filing")
            .field("session", &self.session.map(|s| s.1))
            .field("to_send", &self.to_send.len())
            .field("ours", &self.ours.len())
            .field("asked", &self.asked.len())
            .finish_non_exhaustive()
    }
}

/// `12.3 MB`-style sizes (decimal, as the 100 MB limit is).
#[must_use]
pub fn size_text(b: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let f = b as f64;
    if b >= 1_000_000 {
        format!("{:.1} MB", f / 1e6)
    } else if b >= 1_000 {
        format!("{:.1} kB", f / 1e3)
    } else if b == 1 {
        "1 byte".to_owned()
    } else {
        format!("{b} bytes")
    }
}

/// Why a transfer ended without the file, in words.
#[must_use]
pub fn failure_words(f: susurro_files::Failure) -> String {
    use susurro_files::Failure as F;
    let refusal = |r: FileRefusal| match r {
        FileRefusal::Declined => "declined",
        FileRefusal::TooBig => "too big for them",
        FileRefusal::NoSpace => "no room to store it",
        FileRefusal::Unknown => "a transfer one side no longer knows",
        FileRefusal::Busy => "too many transfers at once",
        FileRefusal::NoAnswer => "no answer in time",
        FileRefusal::Corrupt => "the data broke the transfer's rules",
    };
    match f {
        F::Peer(r) => format!("the other side ended it: {}", refusal(r)),
        F::Local(r) => format!("ended here: {}", refusal(r)),
        F::HashMismatch => {
            "the file that arrived does not match what was offered: nothing was saved".to_owned()
        }
    }
}

impl Filing {
    /// Over `transfers`, answering offers by `policy`.
    #[must_use]
    pub fn new(transfers: Transfers, policy: AcceptPolicy) -> Self {
        Self {
            transfers,
            policy,
            base: Instant::now(),
            session: None,
            to_send: Vec::new(),
            ours: Vec::new(),
            theirs: Vec::new(),
            asked: Vec::new(),
        }
    }

    fn at(&self, now: Instant) -> susurro_files::Instant {
        let us = now.saturating_duration_since(self.base).as_micros();
        susurro_files::Instant::from_micros(u64::try_from(us).unwrap_or(u64::MAX))
    }

    /// Sends the file at `path` to `contact` in the next session with it
    /// (now, if one is up). The file is checked and hashed here.
    ///
    /// # Errors
    /// No such file, not a regular file, unreadable.
    pub fn send(&mut self, contact: ContactKey, path: &Path) -> Result<(), FilesError> {
        let source = SourceFile::open(path)?;
        self.to_send.push((contact, source));
        Ok(())
    }

    /// Whether a transfer this driver started (`send`) is still going or
    /// waiting for its session.
    #[must_use]
    pub fn sending(&self) -> bool {
        !self.to_send.is_empty() || !self.ours.is_empty()
    }

    /// Whether any transfer is going in the current session (the front end
    /// keeps a message session open for it).
    #[must_use]
    pub fn busy(&self) -> bool {
        self.session.is_some_and(|(c, _)| {
            self.ours.iter().chain(&self.theirs).any(|(k, _)| *k == c)
                || self.asked.iter().any(|(k, _, _)| *k == c)
        })
    }

    /// Looks at one event of the ui core; acts on it as needed.
    pub fn on_event<U: Ui>(
        &mut self,
        ui: &mut U,
        ev: &UiEvent,
        now: Instant,
        notices: &mut Vec<FileNotice>,
    ) {
        match ev {
            UiEvent::CallPhaseChanged(_)
            | UiEvent::CallEstablished { .. }
            | UiEvent::PeerChanged => {
                self.session_check(ui, now, notices);
            }
            UiEvent::File => {
                while let Some((_, body)) = ui.take_file() {
                    self.on_message(ui, body.as_slice(), now);
                }
            }
            UiEvent::CallEnded { .. } => {
                if let Some((c, _)) = self.session.take() {
                    self.transfers.session_ended(&c);
                    self.asked.retain(|(k, _, _)| *k != c);
                    self.theirs.retain(|(k, _)| *k != c);
                    self.ours.retain(|(k, _)| *k != c);
                }
            }
            _ => {}
        }
        self.drain(ui, now, notices);
    }

    /// A session with a proven contact came up (or its pace changed).
    fn session_check<U: Ui>(&mut self, ui: &mut U, now: Instant, notices: &mut Vec<FileNotice>) {
        let v = ui.view();
        let Some(call) = v.call.as_ref() else {
            return;
        };
        if !call.phase.can_text() {
            return;
        }
        let Some((_, key)) = proven_peer(v, call) else {
            return;
        };
        let pace = if call.phase == Phase::Messages {
            Pace::Message
        } else {
            Pace::Call
        };
        let at = self.at(now);
        let mut out = Vec::new();
        match self.session {
            Some((c, p)) if c == key => {
                if p != pace {
                    self.transfers.set_pace(&key, pace);
                    self.session = Some((key, pace));
                }
            }
            _ => {
                self.session = Some((key, pace));
                out = self.transfers.session_started(at, &key, pace);
            }
        }
        // Files `send` queued for this contact, now or earlier.
        let mine: Vec<SourceFile> = {
            let (mine, rest) = core::mem::take(&mut self.to_send)
                .into_iter()
                .partition(|(c, _)| *c == key);
            self.to_send = rest;
            mine.into_iter().map(|(_, s)| s).collect()
        };
        for source in mine {
            match self.transfers.offer(at, &key, &source) {
                Ok((file, offer)) => {
                    self.ours.push((key, file));
                    out.push(offer);
                }
                Err(FilesError::AlreadySending) => {
                    // Resumed by `session_started` just above.
                    if let Some(r) = self.transfers.store().find_outgoing(
                        &key,
                        source.path(),
                        source.size(),
                        source.hash(),
                    ) {
                        self.ours.push((key, r.file));
                    }
                }
                Err(e) => notices.push(FileNotice::Failed {
                    contact: key,
                    with: name_of(ui.view(), &key),
                    file: 0,
                    direction: Direction::Out,
                    why: format!("{}: {e}", source.name()),
                }),
            }
        }
        send_all(ui, &out);
    }

    /// One file message from the peer.
    fn on_message<U: Ui>(&mut self, ui: &mut U, body: &[u8], now: Instant) {
        let Ok(msg) = FileMessage::decode_from(body) else {
            // The peer's front end broke the format: nothing to answer.
            return;
        };
        let at = self.at(now);
        match self.session {
            Some((c, _)) => {
                let out = self.transfers.handle(at, &c, &msg);
                send_all(ui, &out);
            }
            None => {
                // No proven contact: offers are declined without asking.
                if let FileMessage::FileOffer(o) = msg {
                    let decline: FileMessage = susurro_wire::FileDecline {
                        file: o.file,
                        reason: FileRefusal::Declined,
                    }
                    .into();
                    send_all(ui, &[decline]);
                }
            }
        }
    }

    /// Accepts an offer the user was asked about.
    ///
    /// # Errors
    /// No such offer, or the partial file cannot be made.
    pub fn accept<U: Ui>(&mut self, ui: &mut U, file: u64, now: Instant) -> Result<(), FilesError> {
        let Some(i) = self.asked.iter().position(|(_, f, _)| *f == file) else {
            return Err(FilesError::UnknownTransfer { file });
        };
        let (c, _, _) = self.asked.remove(i);
        let at = self.at(now);
        let out = self.transfers.accept(at, &c, file)?;
        self.theirs.push((c, file));
        send_all(ui, &out);
        Ok(())
    }

    /// Declines an offer the user was asked about.
    ///
    /// # Errors
    /// No such offer.
    pub fn decline<U: Ui>(
        &mut self,
        ui: &mut U,
        file: u64,
        now: Instant,
    ) -> Result<(), FilesError> {
        let Some(i) = self.asked.iter().position(|(_, f, _)| *f == file) else {
            return Err(FilesError::UnknownTransfer { file });
        };
        let (c, _, _) = self.asked.remove(i);
        let at = self.at(now);
        let out = self
            .transfers
            .decline(at, &c, file, FileRefusal::Declined)?;
        send_all(ui, &out);
        Ok(())
    }

    /// The offers waiting for the user's answer: (id, contact).
    #[must_use]
    pub fn asked(&self) -> Vec<(u64, ContactKey)> {
        self.asked.iter().map(|(c, f, _)| (*f, *c)).collect()
    }

    /// Sends what is due (chunks, resends) and declines offers nobody
    /// answered in time.
    pub fn poll<U: Ui>(&mut self, ui: &mut U, now: Instant, notices: &mut Vec<FileNotice>) {
        let at = self.at(now);
        let out: Vec<FileMessage> = self
            .transfers
            .poll(at)
            .into_iter()
            .filter(|(c, _)| self.session.is_some_and(|(s, _)| s == *c))
            .map(|(_, m)| m)
            .collect();
        send_all(ui, &out);
        let late: Vec<(ContactKey, u64)> = self
            .asked
            .iter()
            .filter(|(_, _, by)| *by <= now)
            .map(|(c, f, _)| (*c, *f))
            .collect();
        for (c, f) in late {
            self.asked.retain(|(_, x, _)| *x != f);
            if let Ok(out) = self.transfers.decline(at, &c, f, FileRefusal::NoAnswer) {
                send_all(ui, &out);
            }
        }
        self.drain(ui, now, notices);
    }

    /// When `poll` next has something to do (never before `now`: a transfer
    /// whose session is gone keeps a deadline `poll` cannot act on, so it is
    /// looked at again a little later, not in a busy loop).
    #[must_use]
    pub fn next_deadline(&self, now: Instant) -> Option<Instant> {
        let t = self
            .transfers
            .deadline()
            .map(|d| self.base + Duration::from_micros(d.as_micros()));
        let a = self.asked.iter().map(|(_, _, by)| *by).min();
        let t = match (t, a) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
        t.map(|t| t.max(now + Duration::from_millis(10)))
    }

    /// Whether a transfer this driver started (`send`) with `contact` is
    /// still going or waiting for its session.
    #[must_use]
    pub fn sending_to(&self, contact: &ContactKey) -> bool {
        self.to_send.iter().any(|(c, _)| c == contact)
            || self.ours.iter().any(|(c, _)| c == contact)
    }

    /// The transfers' events as notices; offers are answered by the policy
    /// or put to the user.
    fn drain<U: Ui>(&mut self, ui: &mut U, now: Instant, notices: &mut Vec<FileNotice>) {
        let at = self.at(now);
        while let Some(e) = self.transfers.next_event() {
            let v = ui.view();
            match e {
                Event::OfferReceived {
                    contact,
                    file,
                    name,
                    size,
                } => {
                    let accepted = self.policy.from.contains(&contact);
                    notices.push(FileNotice::Offer {
                        contact,
                        from: name_of(v, &contact),
                        file,
                        name,
                        size,
                        accepted,
                    });
                    if accepted {
                        match self.transfers.accept(at, &contact, file) {
                            Ok(out) => {
                                self.theirs.push((contact, file));
                                send_all(ui, &out);
                            }
                            Err(e) => notices.push(FileNotice::Failed {
                                contact,
                                with: name_of(ui.view(), &contact),
                                file,
                                direction: Direction::In,
                                why: e.to_string(),
                            }),
                        }
                    } else if self.policy.ask {
                        self.asked.push((contact, file, now + ANSWER_WAIT));
                    } else if let Ok(out) =
                        self.transfers
                            .decline(at, &contact, file, FileRefusal::Declined)
                    {
                        send_all(ui, &out);
                    }
                }
                Event::OfferRefused { .. } => {}
                Event::Resumed {
                    contact,
                    file,
                    direction,
                    name,
                    size,
                    done_bytes,
                } => notices.push(FileNotice::Resumed {
                    contact,
                    with: name_of(v, &contact),
                    file,
                    direction,
                    name,
                    done_bytes,
                    size,
                }),
                Event::Progress {
                    contact,
                    file,
                    direction,
                    progress,
                } => notices.push(FileNotice::Progress {
                    contact,
                    with: name_of(v, &contact),
                    file,
                    direction,
                    progress,
                }),
                Event::Done {
                    contact,
                    file,
                    direction,
                    path,
                } => {
                    self.ours.retain(|x| *x != (contact, file));
                    self.theirs.retain(|x| *x != (contact, file));
                    notices.push(FileNotice::Done {
                        contact,
                        with: name_of(v, &contact),
                        file,
                        direction,
                        path,
                    });
                }
                Event::Failed {
                    contact,
                    file,
                    direction,
                    failure,
                    error,
                } => {
                    self.ours.retain(|x| *x != (contact, file));
                    self.theirs.retain(|x| *x != (contact, file));
                    let why = error.map_or_else(|| failure_words(failure), |e| e.to_string());
                    notices.push(FileNotice::Failed {
                        contact,
                        with: name_of(v, &contact),
                        file,
                        direction,
                        why,
                    });
                }
                _ => {}
            }
        }
    }
}

/// Encodes and carries `msgs` to the peer (a refusal is dropped: the
/// transfer's window repeats what matters).
fn send_all<U: Ui>(ui: &mut U, msgs: &[FileMessage]) {
    let mut buf = [0u8; caps::FILE_BODY];
    for m in msgs {
        if let Ok(n) = m.encode_to(&mut buf) {
            let _ = ui.act(Action::SendFile { body: &buf[..n] });
        }
    }
}
