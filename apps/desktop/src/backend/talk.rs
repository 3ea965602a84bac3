//! Conversations and files on the front task, as the CLI keeps them: the
//! history ([`Messaging`]) and the transfers ([`Filing`]) open once the
//! store is unlocked and storage gave the history key, and close on lock;
//! every ui event goes to the history's driver, then to the transfers';
//! their timers (outbox retries, the receipt wait, chunks, the answer
//! wait) run from the task's loop; a message session we opened hangs up
//! once its messages are delivered and no file is going. What they report
//! becomes the snapshot's unread counts, the open conversation, the file
//! cards and notices.
//!
//! The drivers are `susurro_front`'s; this file only wires them to the
//! task and turns their reports into what the window draws.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use susurro_files::{Config as FilesConfig, Direction, Progress, Transfers};
use susurro_front::{
    AcceptPolicy, FileNotice, Filing, Messaging, Notice as TalkNotice, SessionEnd, Ui, proven_peer,
};
use susurro_history::{ContactKey, Entry, History, HistoryError, Limits};
use susurro_ui::{Action, Phase, UiEvent, View};
use susurro_wire::{Bytes, CallId, CallTarget, Contact, ContactId, NetMode, StoreState, caps};

use super::{Front, Notice};
use crate::config;

/// File cards kept; past it the oldest finished ones go.
const CARDS_KEPT: usize = 24;
/// A driver's deadline already past means it can do nothing until
/// something else happens (a retry due while a call is on, chunks for a
/// contact whose session ended): it is looked at again after this, not
/// in a busy loop.
const MESSAGES_AGAIN: Duration = Duration::from_secs(1);
/// The same for the transfers (their deadlines are short: pacing).
const FILES_AGAIN: Duration = Duration::from_millis(250);
/// How often messages that waited past the outbox's age (7 days) are
/// marked not delivered, while the app stays up.
const EXPIRE_EVERY: Duration = Duration::from_secs(3600);

/// The conversation the window shows ([`super::Request::ShowConversation`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// The contact.
    pub contact: ContactId,
    /// Its key (conversations are kept by key).
    pub key: ContactKey,
    /// Its lines, oldest first (`History::conversation`).
    pub lines: Arc<Vec<Entry>>,
}

/// One file transfer as the window shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct FileCard {
    /// The transfer id (0 for ours until the transfer reports it).
    pub file: u64,
    /// With whom.
    pub contact: ContactKey,
    /// Their name.
    pub with: String,
    /// Which way.
    pub direction: Direction,
    /// The file's name (as it is saved, for theirs).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Where it stands.
    pub state: FileState,
}

/// Where a transfer stands.
#[derive(Debug, Clone, PartialEq)]
pub enum FileState {
    /// Ours: offered in the next session with the contact, then waiting
    /// for their answer.
    Waiting,
    /// Theirs: waiting for the person's answer (within a minute).
    Asked,
    /// Going: bytes, rate, time left.
    Going(Progress),
    /// Arrived whole and checked (saved there, when it came to us).
    Done(Option<PathBuf>),
    /// Ended without the file: why, in words.
    Failed(String),
}

impl FileState {
    /// Over: done or failed.
    pub fn finished(&self) -> bool {
        matches!(self, FileState::Done(_) | FileState::Failed(_))
    }
}

/// What the task keeps of conversations and files beside the drivers.
#[derive(Debug, Default)]
pub(super) struct Talk {
    /// The conversation the window shows.
    pub(super) shown: Option<ContactId>,
    /// The current call is a message session: its end leaves no ended
    /// call to close.
    pub(super) quiet: bool,
    /// Opening the drivers was tried in this unlock (a failure is told
    /// once).
    tried: bool,
    /// The person asked for the current message session (the contact's
    /// name): if it cannot deliver, they are told.
    asked: Option<String>,
    /// The downloads folder changed during a call: the transfers open
    /// again with it once no call is on.
    reopen: bool,
    /// Contacts with a file that could not be offered in the session that
    /// was on (the transfers offer files when a session starts): each gets
    /// a message session of its own once no call is on.
    follow_up: Vec<ContactKey>,
    /// When the outbox was last looked at for messages past its age.
    expired_at: Option<Instant>,
}

impl Ui for Front {
    type Error = String;

    fn act(&mut self, a: Action<'_>) -> Result<(), String> {
        self.try_act(a)
    }

    fn view(&self) -> &View {
        self.core.view()
    }

    fn take_file(&mut self) -> Option<(CallId, Bytes<{ caps::FILE_BODY }>)> {
        self.core.take_file()
    }
}

/// A refusal of the history as a sentence.
fn history_refusal(e: &HistoryError) -> String {
    match e {
        HistoryError::EmptyText => "Write a message first.".to_owned(),
        e => sentence(&e.to_string()),
    }
}

/// `text` with a capital first letter and a full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut s: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    if !s.ends_with(['.', '!', '?']) {
        s.push('.');
    }
    s
}

/// `d` if it is still to come, else `now + again`.
fn ahead(d: Option<Instant>, now: Instant, again: Duration) -> Option<Instant> {
    d.map(|d| if d > now { d } else { now + again })
}

impl Front {
    /// Opens the history and the transfers once the store is unlocked and
    /// storage gave the history key; closes them once it is not.
    pub(super) fn talk_follow_store(&mut self) {
        if self.core.view().store.state != Some(StoreState::Unlocked) {
            if self.talk.tried || self.msgs.is_some() || self.filing.is_some() {
                self.talk_close();
            }
            return;
        }
        if self.talk.tried {
            return;
        }
        let Some(key) = self.core.history_key().cloned() else {
            return;
        };
        self.talk.tried = true;
        match History::open(
            &config::history_dir(&self.launch.home),
            &key,
            Limits::default(),
        ) {
            Ok(h) => self.msgs = Some(Messaging::new(h).read_when_shown()),
            Err(e) => {
                self.snap.notice = Some(Notice::error(format!(
                    "Your message history could not be opened ({e}): messages are not kept, and the conversations cannot send."
                )));
            }
        }
        self.open_filing();
    }

    /// Opens the transfer store (received files go to the downloads
    /// folder in force).
    fn open_filing(&mut self) {
        let Some(key) = self.core.history_key() else {
            return;
        };
        let downloads = &self.snap.downloads;
        let r = std::fs::create_dir_all(downloads)
            .map_err(|e| format!("received files cannot go to {} ({e})", downloads.display()))
            .and_then(|()| {
                Transfers::open(
                    &config::transfers_dir(&self.launch.home),
                    key,
                    downloads,
                    FilesConfig::default(),
                )
                .map_err(|e| e.to_string())
            });
        match r {
            Ok(t) => {
                // Every offer is put to the person.
                let policy = AcceptPolicy {
                    from: HashSet::new(),
                    ask: true,
                };
                self.filing = Some(Filing::new(t, policy));
            }
            Err(e) => {
                self.snap.notice = Some(Notice::error(format!("File transfers are off: {e}.")));
            }
        }
    }

    /// Closes the history and the transfers (locked, or stopping): what
    /// they keep is on disk already.
    pub(super) fn talk_close(&mut self) {
        self.msgs = None;
        self.filing = None;
        let shown = self.talk.shown;
        self.talk = Talk {
            shown,
            ..Talk::default()
        };
        self.snap.files.clear();
    }

    /// The received-files folder changed to `downloads`: the transfers
    /// open again with it (once the call ends, during one). Words for the
    /// settings' notice.
    pub(super) fn downloads_moved(&mut self, downloads: PathBuf) -> String {
        let shown = downloads.display().to_string();
        self.snap.downloads = downloads;
        if self.core.history_key().is_none() {
            return format!(" Received files go to {shown}.");
        }
        if self.core.view().active_call().is_some() {
            self.talk.reopen = true;
            return format!(" Received files go to {shown} once this call ends.");
        }
        self.reopen_filing();
        format!(" Received files now go to {shown}.")
    }

    fn reopen_filing(&mut self) {
        self.talk.reopen = false;
        // The store's lock goes with the old one; files not offered yet
        // go with it too.
        self.filing = None;
        for c in &mut self.snap.files {
            if c.state == FileState::Waiting {
                c.state = FileState::Failed(
                    "not sent: the downloads folder changed meanwhile; send it again".to_owned(),
                );
            }
        }
        self.open_filing();
    }

    /// Every event of the ui core, in order, through the drivers.
    pub(super) fn talk_events(&mut self) {
        while let Some(ev) = self.core.poll_event() {
            self.talk_event(&ev);
        }
    }

    fn talk_event(&mut self, ev: &UiEvent) {
        match ev {
            UiEvent::IncomingCall { .. } => {
                self.talk.quiet = false;
                self.talk.asked = None;
            }
            UiEvent::CallPhaseChanged(Phase::Messages) => self.talk.quiet = true,
            _ => {}
        }
        let now = Instant::now();
        let mut notices = Vec::new();
        let mut end = None;
        if let Some(mut m) = self.msgs.take() {
            end = m.on_event(self, ev, now, &mut notices);
            self.msgs = Some(m);
        } else if let UiEvent::TextReceived { id } = ev {
            // No history: the receipt the ui core leaves to the front end.
            let _ = self.try_act(Action::Delivered { id: *id });
        }
        let mut files = Vec::new();
        if let Some(mut f) = self.filing.take() {
            f.on_event(self, ev, now, &mut files);
            self.filing = Some(f);
        } else if let UiEvent::File = ev {
            // Nobody to run them: the peer's side gives up in time.
            while self.core.take_file().is_some() {}
        }
        self.talk_notices(notices);
        self.file_notices(files);
        if let UiEvent::CallEnded { reason } = ev {
            if let Some(name) = self.talk.asked.take() {
                let mut text = Vec::new();
                if !susurro_ui::text::end_is_normal(*reason) {
                    text.push(format!(
                        "{name}: {}",
                        susurro_ui::text::end_message(*reason)
                    ));
                }
                if let Some(SessionEnd::Queued { left }) = end {
                    let n = if left == 1 {
                        "1 message waits".to_owned()
                    } else {
                        format!("{left} messages wait")
                    };
                    text.push(format!(
                        "{n} for {name}: sent when they can be reached (tried again from time to time, for up to 7 days)."
                    ));
                }
                if !text.is_empty() {
                    self.snap.notice = Some(Notice::error(text.join(" ")));
                }
            }
            if std::mem::take(&mut self.talk.quiet) {
                // A message session leaves no ended call to close: how it
                // went shows in the conversation.
                let _ = self.try_act(Action::Dismiss);
            }
        }
        self.finish_session_if_done();
    }

    /// Hangs up a message session we opened once its messages are
    /// delivered and no file is going with its contact. (Files waiting for
    /// other contacts do not hold it: they get sessions of their own.)
    fn finish_session_if_done(&mut self) {
        let files = self.filing.as_ref().is_some_and(Filing::busy);
        if let Some(mut m) = self.msgs.take() {
            if m.session_done() && !files {
                m.finish_session(self);
            }
            self.msgs = Some(m);
        }
    }

    /// What is due: the receipt wait, outbox retries (a front end that
    /// stays up), chunks and the answer wait of the transfers, a session
    /// for a file sent during the last one, the transfers opened again
    /// with a new folder.
    pub(super) fn talk_tick(&mut self) {
        let now = Instant::now();
        let files_going = self.filing.as_ref().is_some_and(Filing::busy);
        let ready = self.network_sent && self.core.view().network.listening;
        let mode = self.mode();
        if let Some(mut m) = self.msgs.take() {
            let mut notices = Vec::new();
            if self
                .talk
                .expired_at
                .is_none_or(|t| now.saturating_duration_since(t) >= EXPIRE_EVERY)
            {
                // Messages that waited past the outbox's age.
                self.talk.expired_at = Some(now);
                m.expire(self.core.view(), &mut notices);
            }
            // A file keeps the session open past the receipt wait.
            m.check_timeout(self, now, files_going);
            if ready {
                m.retry_due(self, mode, now, &mut notices);
            }
            self.msgs = Some(m);
            self.talk_notices(notices);
        }
        if let Some(mut f) = self.filing.take() {
            let mut files = Vec::new();
            f.poll(self, now, &mut files);
            self.filing = Some(f);
            self.file_notices(files);
        }
        if self.core.view().active_call().is_none() {
            if self.talk.reopen {
                self.reopen_filing();
            }
            if ready && !self.talk.follow_up.is_empty() {
                let key = self.talk.follow_up.remove(0);
                if self
                    .snap
                    .files
                    .iter()
                    .any(|c| c.contact == key && c.state == FileState::Waiting)
                    && let Some(c) = self.contact_by_key(&key)
                {
                    self.open_session(&c, false);
                }
            }
        }
        self.finish_session_if_done();
    }

    /// When [`Self::talk_tick`] next has something to do.
    pub(super) fn talk_deadline(&self) -> Option<Instant> {
        let now = Instant::now();
        let m = ahead(
            self.msgs.as_ref().and_then(|m| m.next_deadline(now)),
            now,
            MESSAGES_AGAIN,
        );
        let f = ahead(
            self.filing.as_ref().and_then(|f| f.next_deadline(now)),
            now,
            FILES_AGAIN,
        );
        match (m, f) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The history driver's reports: errors and given-up messages go to
    /// the notice area; the peer's lines show in the conversation.
    fn talk_notices(&mut self, notices: Vec<TalkNotice>) {
        for n in notices {
            match n {
                TalkNotice::Text { .. } => {
                    let from = self.msgs.as_ref().and_then(Messaging::peer).map(|p| p.0);
                    self.arrived(from);
                }
                TalkNotice::NotDelivered { to, .. } => {
                    self.snap.notice = Some(Notice::error(format!(
                        "A message to {to} waited 7 days without reaching them: it was given up (marked not delivered)."
                    )));
                }
                TalkNotice::Retrying { .. } => {
                    // A retry opened a message session (or tried to).
                    self.talk.quiet = self.core.view().active_call().is_some();
                }
                TalkNotice::Throttled { from, .. } => {
                    self.snap.notice = Some(Notice::info(format!(
                        "{from} sends messages faster than your history takes them: the rest wait on their side and come a little later."
                    )));
                }
                TalkNotice::Error(e) => {
                    self.snap.notice = Some(Notice::error(sentence(&e)));
                }
            }
        }
    }

    /// Something came from contact `from` in a message session: the
    /// window opens their conversation (a call's screen shows it already).
    fn arrived(&mut self, from: Option<ContactId>) {
        if let Some(id) = from
            && self.talk.quiet
        {
            let n = self.snap.arrived.map_or(1, |(n, _)| n.wrapping_add(1));
            self.snap.arrived = Some((n, id));
        }
    }

    /// The contact with `key` on the view's page.
    fn contact_by_key(&self, key: &ContactKey) -> Option<Contact> {
        self.core
            .view()
            .contacts
            .entries
            .iter()
            .find(|c| &c.key == key)
            .cloned()
    }

    /// The card of transfer `file`; ours not numbered yet takes the
    /// oldest waiting card of its contact.
    fn card(
        &mut self,
        file: u64,
        direction: Direction,
        contact: ContactKey,
    ) -> Option<&mut FileCard> {
        let i = self
            .snap
            .files
            .iter()
            .position(|c| file != 0 && c.file == file && c.direction == direction)
            .or_else(|| {
                let i = self.snap.files.iter().position(|c| {
                    c.file == 0
                        && c.direction == Direction::Out
                        && c.contact == contact
                        && c.state == FileState::Waiting
                });
                i.filter(|_| direction == Direction::Out)
            })?;
        let c = &mut self.snap.files[i];
        c.file = file;
        Some(c)
    }

    fn new_card(&mut self, card: FileCard) {
        if self.snap.files.len() >= CARDS_KEPT
            && let Some(i) = self.snap.files.iter().position(|c| c.state.finished())
        {
            self.snap.files.remove(i);
        }
        self.snap.files.push(card);
    }

    /// The transfers driver's reports as cards.
    fn file_notices(&mut self, notices: Vec<FileNotice>) {
        for n in notices {
            match n {
                FileNotice::Offer {
                    contact,
                    from,
                    file,
                    name,
                    size,
                    accepted,
                } => {
                    let state = if accepted {
                        FileState::Going(progress(0, size))
                    } else {
                        FileState::Asked
                    };
                    let sender = self.contact_by_key(&contact).map(|c| c.id);
                    self.arrived(sender);
                    self.new_card(FileCard {
                        file,
                        contact,
                        with: from,
                        direction: Direction::In,
                        name,
                        size,
                        state,
                    });
                }
                FileNotice::Resumed {
                    contact,
                    with,
                    file,
                    direction,
                    name,
                    done_bytes,
                    size,
                } => {
                    let state = FileState::Going(progress(done_bytes, size));
                    if let Some(c) = self.card(file, direction, contact) {
                        c.state = state;
                    } else {
                        self.new_card(FileCard {
                            file,
                            contact,
                            with,
                            direction,
                            name,
                            size,
                            state,
                        });
                    }
                }
                FileNotice::Progress {
                    contact,
                    with,
                    file,
                    direction,
                    progress: p,
                } => {
                    if let Some(c) = self.card(file, direction, contact) {
                        c.state = FileState::Going(p);
                    } else {
                        self.new_card(FileCard {
                            file,
                            contact,
                            with,
                            direction,
                            name: "a file".to_owned(),
                            size: p.total_bytes,
                            state: FileState::Going(p),
                        });
                    }
                }
                FileNotice::Done {
                    contact,
                    file,
                    direction,
                    path,
                    ..
                } => {
                    if let Some(c) = self.card(file, direction, contact) {
                        c.state = FileState::Done(path);
                    }
                }
                FileNotice::Failed {
                    contact,
                    with,
                    file,
                    direction,
                    why,
                } => {
                    if file == 0 {
                        // Ours could not be offered (the file changed or
                        // went away): its waiting card, and a notice.
                        if let Some(c) = self.card(0, Direction::Out, contact) {
                            c.state = FileState::Failed(why.clone());
                        }
                        self.snap.notice = Some(Notice::error(format!(
                            "Could not send a file to {with}: {why}."
                        )));
                    } else if let Some(c) = self.card(file, direction, contact) {
                        c.state = FileState::Failed(why);
                    }
                }
            }
        }
    }

    /// Whether a session with `key`'s contact is on and text can flow.
    fn in_session_with(&self, key: &ContactKey) -> bool {
        let v = self.core.view();
        v.active_call()
            .filter(|c| c.phase.can_text())
            .and_then(|c| proven_peer(v, c))
            .is_some_and(|(_, k)| &k == key)
    }

    /// A line typed in a call's chat: through the history (kept, with its
    /// id) when the call proved a contact, else a chat line.
    pub(super) fn say(&mut self, text: &str) {
        let r = match self.msgs.take() {
            // An empty line is the ui core's to refuse, in its words.
            Some(mut m) if !text.trim().is_empty() => {
                let r = m.say(self, text).map_err(|e| sentence(&e));
                self.msgs = Some(m);
                r
            }
            m => {
                self.msgs = m;
                self.try_act(Action::SendText { text })
            }
        };
        if let Err(e) = r {
            self.snap.notice = Some(Notice::error(e));
        }
    }

    /// A message written in a contact's conversation: sent at once in a
    /// session with them, else queued and a message session opened.
    pub(super) fn send_message(&mut self, id: ContactId, text: &str) {
        let Some(c) = self.core.view().contacts.get(id).cloned() else {
            self.snap.notice = Some(Notice::error("This contact is no longer in your contacts."));
            return;
        };
        if text.trim().is_empty() {
            self.snap.notice = Some(Notice::error("Write a message first."));
            return;
        }
        if self.in_session_with(&c.key) {
            self.say(text);
            return;
        }
        let Some(m) = self.msgs.as_mut() else {
            self.snap.notice = Some(Notice::error(
                "Messages cannot be sent: your message history is not open.",
            ));
            return;
        };
        match m.queue(&c.key, text) {
            Ok(_) => self.open_session(&c, true),
            Err(e) => self.snap.notice = Some(Notice::error(history_refusal(&e))),
        }
    }

    /// A file to send to a contact: offered at once in a session with
    /// them, else in a message session opened for it.
    pub(super) fn send_file(&mut self, id: ContactId, path: &Path) {
        let Some(c) = self.core.view().contacts.get(id).cloned() else {
            self.snap.notice = Some(Notice::error("This contact is no longer in your contacts."));
            return;
        };
        let Some(mut f) = self.filing.take() else {
            self.snap.notice = Some(Notice::error(
                "Files cannot be sent: file transfers are off (see the message shown when you unlocked).",
            ));
            return;
        };
        let now = Instant::now();
        let mut files = Vec::new();
        let r = f.send(c.key, path);
        let ok = r.is_ok();
        let in_session = self.in_session_with(&c.key);
        if ok && in_session {
            // The session is up: offer it now (as the CLI's send-file).
            f.on_event(self, &UiEvent::PeerChanged, now, &mut files);
        }
        self.filing = Some(f);
        match r {
            Ok(()) => {
                let name = path.file_name().map_or_else(
                    || path.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                let size = std::fs::metadata(path).map_or(0, |m| m.len());
                self.new_card(FileCard {
                    file: 0,
                    contact: c.key,
                    with: c.name.as_str().to_owned(),
                    direction: Direction::Out,
                    name,
                    size,
                    state: FileState::Waiting,
                });
            }
            Err(e) => {
                self.snap.notice = Some(Notice::error(format!(
                    "Nothing was sent: {}",
                    sentence(&e.to_string())
                )));
            }
        }
        self.file_notices(files);
        if !ok {
            return;
        }
        // The transfers offer a file when a session with its contact
        // starts: one sent during a session (with them or someone else)
        // gets a session of its own after it, if it is still waiting.
        let other = self
            .core
            .view()
            .active_call()
            .is_some_and(|call| call.peer != Some(c.id));
        if (in_session || other) && !self.talk.follow_up.contains(&c.key) {
            self.talk.follow_up.push(c.key);
        }
        if !in_session {
            self.open_session(&c, true);
        }
    }

    /// Opens a message session to `c` (its outbox and waiting files go,
    /// then it hangs up), unless a call is on: then they wait for the next
    /// session with `c`. `asked`: the person asked, so a failure is told.
    fn open_session(&mut self, c: &Contact, asked: bool) {
        let name = c.name.as_str().to_owned();
        if let Some(call) = self.core.view().active_call() {
            // Our session to them is being set up: it takes it along.
            if call.peer != Some(c.id) && asked {
                self.snap.notice = Some(Notice::info(format!(
                    "Waiting: it goes to {name} once the current call or message session ends."
                )));
            }
            return;
        }
        let mode = self.call_mode(Some(&c.address));
        if mode == NetMode::Tor && !susurro_node::TOR {
            self.snap.notice = Some(Notice::error(format!(
                "{name} has an onion address, and this build of Susurro has no Tor: it waits."
            )));
            return;
        }
        match self.try_act(Action::OpenMessages {
            target: CallTarget::Contact(c.id),
            mode,
        }) {
            Ok(()) => {
                if let Some(m) = self.msgs.as_mut() {
                    m.opened_session(c.key);
                }
                self.talk.quiet = true;
                self.talk.asked = asked.then_some(name);
            }
            Err(e) => {
                self.snap.notice = Some(Notice::error(format!("{e} It waits and is sent later.")));
            }
        }
    }

    /// Accepts or declines a file offer.
    pub(super) fn answer_file(&mut self, file: u64, accept: bool) {
        let Some(mut f) = self.filing.take() else {
            return;
        };
        let now = Instant::now();
        let r = if accept {
            f.accept(self, file, now)
        } else {
            f.decline(self, file, now)
        };
        self.filing = Some(f);
        match r {
            Ok(()) => {
                if let Some(c) = self
                    .snap
                    .files
                    .iter_mut()
                    .find(|c| c.file == file && c.direction == Direction::In)
                {
                    c.state = if accept {
                        FileState::Going(progress(0, c.size))
                    } else {
                        FileState::Failed("you declined it".to_owned())
                    };
                }
            }
            Err(e) => {
                self.snap.notice = Some(Notice::error(sentence(&format!(
                    "that offer is no longer open ({e})"
                ))));
            }
        }
    }

    /// Takes a finished transfer's card away.
    pub(super) fn forget_file(&mut self, file: u64) {
        self.snap
            .files
            .retain(|c| c.file != file || !c.state.finished());
    }

    /// The contact's unread lines were on screen: read.
    pub(super) fn read_conversation(&mut self, id: ContactId) {
        let Some(key) = self.core.view().contacts.get(id).map(|c| c.key) else {
            return;
        };
        if let Some(mut m) = self.msgs.take() {
            // Read now: their read receipts go at once if a session with
            // them is up, else in the next one.
            if let Err(e) = m.mark_all_read(self, &key) {
                self.snap.notice = Some(Notice::error(format!("Message history: {e}.")));
            }
            self.msgs = Some(m);
        }
        if self.in_session_with(&key) {
            // Unstored chat lines of the call too.
            let _ = self.try_act(Action::MarkRead);
        }
    }

    /// The snapshot's share: unread counts, the conversation shown, the
    /// history's state, whether the call is a message session.
    pub(super) fn talk_snapshot(&mut self) {
        self.snap.history = self.msgs.is_some();
        self.snap.message_session = self.talk.quiet && self.core.view().active_call().is_some();
        let Some(m) = self.msgs.as_mut() else {
            self.snap.unread.clear();
            self.snap.conversation = None;
            return;
        };
        let h = m.history();
        self.snap.unread = h
            .conversations()
            .into_iter()
            .filter(|s| s.unread > 0)
            .map(|s| (s.contact, s.unread))
            .collect();
        let shown = self
            .talk
            .shown
            .and_then(|id| self.core.view().contacts.get(id))
            .map(|c| (c.id, c.key));
        self.snap.conversation = shown.map(|(contact, key)| {
            let lines = h.conversation(&key);
            let lines = match &self.snap.conversation {
                Some(old) if old.key == key && *old.lines == lines => Arc::clone(&old.lines),
                _ => Arc::new(lines),
            };
            Conversation {
                contact,
                key,
                lines,
            }
        });
    }
}

/// `done` of `size` bytes, nothing known of the rate yet.
fn progress(done: u64, size: u64) -> Progress {
    Progress {
        done_bytes: done,
        total_bytes: size,
        rate_bytes_per_s: 0,
        eta: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_read_as_sentences() {
        assert_eq!(
            history_refusal(&HistoryError::EmptyText),
            "Write a message first."
        );
        assert_eq!(
            history_refusal(&HistoryError::OutboxFull { max: 1000 }),
            "1000 messages already wait to be sent to this contact."
        );
        assert_eq!(sentence("the disk is full."), "The disk is full.");
        assert_eq!(sentence(""), ".");
    }

    #[test]
    fn a_past_deadline_is_looked_at_again_later() {
        let now = Instant::now();
        let later = now + Duration::from_secs(3);
        assert_eq!(ahead(Some(later), now, MESSAGES_AGAIN), Some(later));
        assert_eq!(
            ahead(Some(now), now, MESSAGES_AGAIN),
            Some(now + MESSAGES_AGAIN)
        );
        assert_eq!(ahead(None, now, MESSAGES_AGAIN), None);
    }
}
