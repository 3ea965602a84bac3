//! Text messages with history, driven by the ui core's events: the outbox
//! goes first in every session with a proven contact, the peer's messages
//! are stored before "delivered", receipts are marked, a message session
//! we opened hangs up once everything is delivered, and a front end that
//! stays up retries the outbox with a backoff.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use susurro_history::{ContactKey, Direction, History, HistoryError, Receipt, Received, Status};
use susurro_ui::view::CallView;
use susurro_ui::{Action, UiEvent, View};
use susurro_wire::{Bytes, CallId, CallTarget, Contact, ContactId, NetMode, ReceiptKind, caps};

/// What this crate needs from a front end: act on its ui core, read the
/// core's view.
pub trait Ui {
    /// A refusal in words (the front end's own error type).
    type Error: core::fmt::Display;

    /// Does `a` on the ui core (and sends what it produced).
    ///
    /// # Errors
    /// The core's refusal, or the front end's failure to send.
    fn act(&mut self, a: Action<'_>) -> Result<(), Self::Error>;

    /// The ui core's view.
    fn view(&self) -> &View;

    /// The oldest of the peer's file messages the ui core holds
    /// (`UiCore::take_file`).
    fn take_file(&mut self) -> Option<(CallId, Bytes<{ caps::FILE_BODY }>)>;
}

/// Something for the front end to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The peer's message `id` arrived (stored first if the peer is a
    /// proven contact).
    Text {
        /// The peer's id for it.
        id: u32,
        /// The message.
        text: String,
    },
    /// Our message `id` to `to` waited past the outbox's age and was given
    /// up.
    NotDelivered {
        /// The contact's name.
        to: String,
        /// Our id.
        id: u32,
    },
    /// A retry of `to`'s outbox starts (a message session opens).
    Retrying {
        /// The contact's name.
        to: String,
    },
    /// A contact sends faster than [`STORE_PER_MINUTE`]: its message
    /// `id` was not stored and waits in its outbox for a later try.
    Throttled {
        /// The contact's name.
        from: String,
        /// The contact's id for the message.
        id: u32,
    },
    /// Something went wrong that the user should see.
    Error(String),
}

/// How a message session we opened ended, when it did not deliver
/// everything ([`Messaging::session_done`] tells the other case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// The session ended with `left` messages still queued.
    Queued {
        /// How many.
        left: usize,
    },
}

/// Where a contact's outbox retries stand.
#[derive(Debug, Clone, Copy)]
struct Retry {
    due: Instant,
    backoff: Duration,
}

/// First retry 5 s after a failure, then doubling to 10 min.
const RETRY_FIRST: Duration = Duration::from_secs(5);
const RETRY_MAX: Duration = Duration::from_secs(600);
/// How long a message session we opened waits for the last receipt.
const RECEIPT_WAIT: Duration = Duration::from_secs(30);

/// Messages one contact may have stored, across all sessions and calls:
/// a burst of [`STORE_BURST`], then [`STORE_PER_MINUTE`] a minute. Past
/// it a message is not stored and gets no "delivered": the sender's
/// outbox keeps it and retries later, so nothing is lost, and a contact
/// who floods cannot push older messages out of the bounded history.
pub const STORE_PER_MINUTE: u32 = 60;
/// See [`STORE_PER_MINUTE`].
pub const STORE_BURST: u32 = 120;

/// Read receipts for messages read outside a session go out in the next
/// session with their sender: for at most this many of that contact's
/// latest messages read and not yet told (in memory: after a restart some
/// are told twice, which the sender ignores).
pub const READS_TOLD: usize = 32;

/// A token bucket per contact (whole messages; refilled by elapsed time).
#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Tokens in thousandths of a message.
    milli: u64,
    at: Instant,
}

impl Bucket {
    fn full(now: Instant) -> Self {
        Self {
            milli: u64::from(STORE_BURST) * 1000,
            at: now,
        }
    }

    /// Takes one message's token if there is one.
    fn take(&mut self, now: Instant) -> bool {
        let ms =
            u64::try_from(now.saturating_duration_since(self.at).as_millis()).unwrap_or(u64::MAX);
        // STORE_PER_MINUTE messages per 60 000 ms, in thousandths.
        let refill = ms.saturating_mul(u64::from(STORE_PER_MINUTE)) / 60;
        self.milli = (self.milli.saturating_add(refill)).min(u64::from(STORE_BURST) * 1000);
        self.at = now;
        if self.milli >= 1000 {
            self.milli -= 1000;
            true
        } else {
            false
        }
    }
}

/// Unix seconds now (the history's timestamps).
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The peer of `call` as a contact whose key the exchange proved.
#[must_use]
pub fn proven_peer(v: &View, call: &CallView) -> Option<(ContactId, ContactKey)> {
    if !call.authenticated {
        return None;
    }
    let id = call.peer?;
    Some((id, v.contacts.get(id)?.key))
}

/// The contact with `key` on the view's page.
fn contact_by_key<'a>(v: &'a View, key: &ContactKey) -> Option<&'a Contact> {
    v.contacts.entries.iter().find(|c| &c.key == key)
}

/// A contact's name, or "unknown key" and its key's first bytes.
#[must_use]
pub fn name_of(v: &View, key: &ContactKey) -> String {
    contact_by_key(v, key).map_or_else(
        || format!("unknown key {}", short_key(key)),
        |c| c.name.as_str().to_owned(),
    )
}

/// The first 8 hex digits of a key and an ellipsis, for messages.
#[must_use]
pub fn short_key(k: &[u8; 32]) -> String {
    format!("{}…", susurro_crypto::hex::Lower(&k[..4]))
}

/// A history line's state in words.
#[must_use]
pub fn status_word(s: Status) -> &'static str {
    match s {
        Status::Queued => "queued",
        Status::Delivered => "delivered",
        Status::Read => "read",
        Status::Expired => "not delivered",
        Status::Unread => "unread",
    }
}

/// The history's side of a session: what to send, what came, what to retry.
pub struct Messaging {
    history: History,
    /// Stored messages sent in this call and not yet delivered.
    in_flight: Vec<u32>,
    /// The peer of the current call, if the exchange proved it.
    peer: Option<(ContactId, ContactKey)>,
    /// The outbox went out in this call.
    flushed: bool,
    /// We opened the current message session to this contact (deliver,
    /// then hang up).
    opened: Option<ContactKey>,
    /// When the current session gives up waiting for receipts.
    give_up: Option<Instant>,
    retries: HashMap<ContactKey, Retry>,
    /// Each contact's allowance of stored messages.
    buckets: HashMap<ContactKey, Bucket>,
    /// Their messages whose read receipt went out.
    told: HashSet<(ContactKey, u32)>,
    /// The front end shows a message as it arrives (a terminal), so it is
    /// read at once; otherwise it waits for [`Messaging::mark_read`].
    shows_on_arrival: bool,
}

impl core::fmt::Debug for Messaging {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Messaging")
            .field("in_flight", &self.in_flight)
            .field("flushed", &self.flushed)
            .field("retries", &self.retries.len())
            .finish_non_exhaustive()
    }
}

impl Messaging {
    /// Over `history`.
    #[must_use]
    pub fn new(history: History) -> Self {
        Self {
            history,
            in_flight: Vec::new(),
            peer: None,
            flushed: false,
            opened: None,
            give_up: None,
            retries: HashMap::new(),
            buckets: HashMap::new(),
            told: HashSet::new(),
            shows_on_arrival: true,
        }
    }

    /// For a front end that shows messages only when their conversation is
    /// open: a message that arrives stays unread until
    /// [`Self::mark_read`] (the default, for a terminal, reads it at once).
    #[must_use]
    pub fn read_when_shown(mut self) -> Self {
        self.shows_on_arrival = false;
        self
    }

    /// The front end showed `contact`'s message `id`: it is read in the
    /// history, and its read receipt goes to them now if a session with
    /// them is up, else in the next one.
    ///
    /// # Errors
    /// The history's (disk).
    pub fn mark_read<U: Ui>(
        &mut self,
        ui: &mut U,
        contact: &ContactKey,
        id: u32,
    ) -> Result<(), HistoryError> {
        self.history.mark_in_read(contact, id)?;
        if self.peer.is_some_and(|(_, k)| k == *contact) {
            self.tell_reads(ui, contact);
        }
        Ok(())
    }

    /// The front end showed `contact`'s conversation: every unread message
    /// of theirs is read, and the read receipts go as for
    /// [`Self::mark_read`] (once, not per message).
    ///
    /// # Errors
    /// The history's (disk); the messages before the failing one are read.
    pub fn mark_all_read<U: Ui>(
        &mut self,
        ui: &mut U,
        contact: &ContactKey,
    ) -> Result<(), HistoryError> {
        let unread: Vec<u32> = self
            .history
            .conversation(contact)
            .iter()
            .filter(|e| e.direction == Direction::In && e.status == Status::Unread)
            .map(|e| e.id)
            .collect();
        for id in unread {
            self.history.mark_in_read(contact, id)?;
        }
        if self.peer.is_some_and(|(_, k)| k == *contact) {
            self.tell_reads(ui, contact);
        }
        Ok(())
    }

    /// Sends the read receipts `contact` has not had, for their latest
    /// messages read (at most [`READS_TOLD`]).
    fn tell_reads<U: Ui>(&mut self, ui: &mut U, contact: &ContactKey) {
        let read: Vec<u32> = self
            .history
            .conversation(contact)
            .into_iter()
            .filter(|e| e.direction == Direction::In && e.status == Status::Read)
            .map(|e| e.id)
            .filter(|id| *id < susurro_ui::chat::CHAT_IDS)
            .collect();
        let start = read.len().saturating_sub(READS_TOLD);
        for id in &read[start..] {
            if self.told.contains(&(*contact, *id)) {
                continue;
            }
            if ui.act(Action::ReadStored { id: *id }).is_err() {
                return;
            }
            self.told.insert((*contact, *id));
        }
    }

    /// Queues `text` to `contact`; its id in the conversation.
    ///
    /// # Errors
    /// The history's refusal (empty, too long, full, disk).
    pub fn queue(&mut self, contact: &ContactKey, text: &str) -> Result<u32, HistoryError> {
        self.history.queue(contact, text, unix_now())
    }

    /// Messages that waited past the outbox's age: now "not delivered".
    pub fn expire(&mut self, v: &View, notices: &mut Vec<Notice>) {
        match self.history.expire(unix_now()) {
            Ok(gone) => notices.extend(gone.into_iter().map(|(key, id)| Notice::NotDelivered {
                to: name_of(v, &key),
                id,
            })),
            Err(e) => notices.push(Notice::Error(format!("message history: {e}"))),
        }
    }

    /// Marks that we opened the current call as a message session to
    /// `contact`.
    pub fn opened_session(&mut self, contact: ContactKey) {
        self.opened = Some(contact);
    }

    /// The proven contact of the current call, once the outbox went out
    /// (the peer files go to and come from).
    #[must_use]
    pub fn peer(&self) -> Option<(ContactId, ContactKey)> {
        self.peer
    }

    /// Looks at one event of the session and acts on the ui core as
    /// needed. `Some` when a message session we opened ended with messages
    /// still queued (see [`Self::session_done`] for the other end).
    pub fn on_event<U: Ui>(
        &mut self,
        ui: &mut U,
        ev: &UiEvent,
        now: Instant,
        notices: &mut Vec<Notice>,
    ) -> Option<SessionEnd> {
        match ev {
            UiEvent::CallPhaseChanged(p) if p.can_text() => self.flush(ui, now, notices),
            // The peer's name (and so its proof) may come after the phase.
            UiEvent::CallEstablished { .. } | UiEvent::PeerChanged
                if ui.view().call.as_ref().is_some_and(|c| c.phase.can_text()) =>
            {
                self.flush(ui, now, notices);
            }
            UiEvent::TextReceived { id } => self.received(ui, *id, now, notices),
            UiEvent::Receipt { id, kind } => {
                if let Some((_, key)) = self.peer
                    && (self.in_flight.contains(id) || *kind == ReceiptKind::Read)
                {
                    let r = match kind {
                        ReceiptKind::Delivered => Receipt::Delivered,
                        ReceiptKind::Read => Receipt::Read,
                    };
                    if let Err(e) = self.history.mark_out(&key, *id, r) {
                        notices.push(Notice::Error(format!("message history: {e}")));
                    }
                    self.in_flight.retain(|x| x != id);
                    self.retries.remove(&key);
                }
            }
            UiEvent::CallEnded { .. } => {
                let opened = self.opened;
                if let Some((_, key)) = self.peer.take()
                    && opened != Some(key)
                    && !self.history.outbox(&key).is_empty()
                {
                    self.failed(&key, now);
                }
                self.reset();
                if let Some(key) = opened {
                    let left = self.history.outbox(&key).len();
                    if left > 0 {
                        self.failed(&key, now);
                        return Some(SessionEnd::Queued { left });
                    }
                }
            }
            _ => {}
        }
        None
    }

    /// Whether a message session we opened has delivered its outbox (the
    /// front end may hang up once nothing else, such as a file, is going).
    #[must_use]
    pub fn session_done(&self) -> bool {
        self.opened.is_some() && self.flushed && self.in_flight.is_empty()
    }

    /// Ends a message session we opened whose work is done: hangs up (the
    /// session's end then comes as `CallEnded`).
    pub fn finish_session<U: Ui>(&mut self, ui: &mut U) {
        let _ = ui.act(Action::Hangup);
        self.opened = None;
        self.give_up = None;
    }

    /// A session we opened that waited too long for its receipts hangs up
    /// (the messages stay queued). `busy`: something else (a file) still
    /// uses the session; the wait then starts again from `now`.
    pub fn check_timeout<U: Ui>(&mut self, ui: &mut U, now: Instant, busy: bool) {
        if self.give_up.is_some_and(|t| now >= t) {
            if busy {
                self.give_up = Some(now + RECEIPT_WAIT);
                return;
            }
            self.give_up = None;
            if ui.view().active_call().is_some() {
                let _ = ui.act(Action::Hangup);
            }
        }
    }

    /// When `check_timeout` or `retry_due` next has something to do (never
    /// before `now`: a retry that fell due during a call waits for its end,
    /// so it is looked at again a second later, not in a busy loop).
    #[must_use]
    pub fn next_deadline(&self, now: Instant) -> Option<Instant> {
        let retry = self.retries.values().map(|r| r.due).min();
        let t = match (self.give_up, retry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        t.map(|t| {
            if t <= now {
                now + Duration::from_secs(1)
            } else {
                t
            }
        })
    }

    /// For a front end that stays up: a contact whose outbox is due for a
    /// retry now, if no call is on, gets a message session.
    pub fn retry_due<U: Ui>(
        &mut self,
        ui: &mut U,
        mode: NetMode,
        now: Instant,
        notices: &mut Vec<Notice>,
    ) {
        if ui.view().active_call().is_some() {
            return;
        }
        for key in self.history.pending_contacts() {
            let r = *self.retries.entry(key).or_insert(Retry {
                due: now,
                backoff: RETRY_FIRST,
            });
            if r.due > now {
                continue;
            }
            let Some(contact) = contact_by_key(ui.view(), &key) else {
                continue;
            };
            notices.push(Notice::Retrying {
                to: contact.name.as_str().to_owned(),
            });
            let id = contact.id;
            if ui
                .act(Action::OpenMessages {
                    target: CallTarget::Contact(id),
                    mode,
                })
                .is_ok()
            {
                // The session's end says how it went (`CallEnded`).
                self.opened = Some(key);
            } else {
                self.failed(&key, now);
            }
            return;
        }
    }

    /// `say` in a call: through the history (queued, then sent with its
    /// id) when the peer is a proven contact, else as an unstored chat
    /// line.
    ///
    /// # Errors
    /// The history's refusal in words, or the ui core's.
    pub fn say<U: Ui>(&mut self, ui: &mut U, text: &str) -> Result<(), String> {
        let v = ui.view();
        let peer = v.call.as_ref().and_then(|c| proven_peer(v, c));
        match peer {
            Some((_, key)) if v.active_call().is_some() => {
                let id = self.queue(&key, text).map_err(|e| e.to_string())?;
                ui.act(Action::SendStored { id, text })
                    .map_err(|e| e.to_string())?;
                self.in_flight.push(id);
                Ok(())
            }
            _ => ui.act(Action::SendText { text }).map_err(|e| e.to_string()),
        }
    }

    /// A try to reach `key` failed: the next one after the backoff, which
    /// doubles (5 s, 10 s, 20 s, … 10 min).
    fn failed(&mut self, key: &ContactKey, now: Instant) {
        let r = self.retries.entry(*key).or_insert(Retry {
            due: now,
            backoff: RETRY_FIRST,
        });
        r.due = now + r.backoff;
        r.backoff = (r.backoff * 2).min(RETRY_MAX);
    }

    fn reset(&mut self) {
        self.in_flight.clear();
        self.flushed = false;
        self.opened = None;
        self.give_up = None;
    }

    /// Sends the outbox for the call's peer, oldest first, once per call.
    fn flush<U: Ui>(&mut self, ui: &mut U, now: Instant, notices: &mut Vec<Notice>) {
        if self.flushed {
            return;
        }
        let Some(call) = ui.view().call.clone() else {
            return;
        };
        let Some(peer) = proven_peer(ui.view(), &call) else {
            return;
        };
        self.peer = Some(peer);
        self.flushed = true;
        for e in self.history.outbox(&peer.1) {
            match ui.act(Action::SendStored {
                id: e.id,
                text: e.text.as_str(),
            }) {
                Ok(()) => self.in_flight.push(e.id),
                Err(f) => {
                    // Too fast for the rate: the rest waits for the next
                    // session.
                    notices.push(Notice::Error(f.to_string()));
                    break;
                }
            }
        }
        // Read receipts for what was read since their last session.
        self.tell_reads(ui, &peer.1);
        if self.opened.is_some() {
            self.give_up = Some(now + RECEIPT_WAIT);
        }
    }

    /// A message from the peer is complete: stored (if the peer is a
    /// proven contact), then "delivered".
    fn received<U: Ui>(&mut self, ui: &mut U, id: u32, now: Instant, notices: &mut Vec<Notice>) {
        let v = ui.view();
        let Some(call) = v.call.as_ref() else {
            return;
        };
        let Some(line) = call.chat.lines.iter().find(|l| l.from_peer && l.id == id) else {
            return;
        };
        let text = line.text.as_str().to_owned();
        // Ids from CHAT_IDS up are a front end's unstored chat lines.
        let peer = proven_peer(v, call).filter(|_| id < susurro_ui::chat::CHAT_IDS);
        if let Some((_, key)) = peer
            && !self.history.has_received(&key, id)
            && !self
                .buckets
                .entry(key)
                .or_insert_with(|| Bucket::full(now))
                .take(now)
        {
            // Not stored, no receipt: the sender keeps it queued.
            notices.push(Notice::Throttled {
                from: name_of(v, &key),
                id,
            });
            return;
        }
        let stored = match peer {
            Some((_, key)) => match self.history.receive(&key, id, &text, unix_now()) {
                Ok(Received::Stored) => true,
                Ok(Received::Duplicate) => false,
                Err(e) => {
                    // Not on disk: no receipt, the sender retries.
                    notices.push(Notice::Error(format!("message history: {e}")));
                    return;
                }
            },
            None => true,
        };
        if stored {
            notices.push(Notice::Text { id, text });
        }
        let _ = ui.act(Action::Delivered { id });
        if !self.shows_on_arrival {
            return;
        }
        let _ = ui.act(Action::MarkRead);
        if let Some((_, key)) = peer {
            // Shown now, so read, and `MarkRead` told them.
            self.told.insert((key, id));
            if let Err(e) = self.history.mark_in_read(&key, id) {
                notices.push(Notice::Error(format!("message history: {e}")));
            }
        }
    }

    /// The history (for listing conversations and reading one).
    pub fn history(&mut self) -> &mut History {
        &mut self.history
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use susurro_history::Limits;

    /// A front end that records what it is asked to do.
    struct Fake {
        view: View,
        acts: Vec<String>,
    }

    impl Ui for Fake {
        type Error = String;
        fn act(&mut self, a: Action<'_>) -> Result<(), String> {
            self.acts.push(format!("{a:?}"));
            Ok(())
        }
        fn view(&self) -> &View {
            &self.view
        }
        fn take_file(&mut self) -> Option<(CallId, Bytes<{ caps::FILE_BODY }>)> {
            None
        }
    }

    #[test]
    fn messages_read_later_are_told_in_the_next_session_once() {
        use susurro_ui::view::{CallView, Phase};
        use susurro_wire::{Address, Contact, Direction as WireDirection, Name, Note, PathKind};
        let dir = tempfile::tempdir().unwrap();
        let key = susurro_wire::Secret::new([7; 32]);
        let mut h = History::open(dir.path(), &key, Limits::default()).unwrap();
        let bob = [2u8; 32];
        h.receive(&bob, 5, "read me later", 1).unwrap();
        h.receive(&bob, 6, "and me", 2).unwrap();
        let mut m = Messaging::new(h).read_when_shown();
        let mut view = susurro_ui::UiCore::new(susurro_ui::UiConfig::default())
            .view()
            .clone();
        let _ = view.contacts.entries.push(Contact {
            id: 7,
            name: Name::new("bob").unwrap(),
            key: bob,
            address: Address::None,
            note: Note::new("").unwrap(),
            flags: 0,
            created: 0,
            updated: 0,
        });
        let mut ui = Fake {
            view,
            acts: Vec::new(),
        };
        // Read with no session: nothing goes out yet.
        m.mark_read(&mut ui, &bob, 5).unwrap();
        assert!(ui.acts.is_empty(), "{:?}", ui.acts);
        // A session with Bob: the receipt goes, once.
        let mut call = CallView::new(
            susurro_wire::Instant::ZERO,
            1,
            WireDirection::Incoming,
            PathKind::Tor,
        );
        call.phase = Phase::Messages;
        call.authenticated = true;
        call.peer = Some(7);
        ui.view.call = Some(call);
        let mut notices = Vec::new();
        let now = std::time::Instant::now();
        m.on_event(
            &mut ui,
            &UiEvent::CallPhaseChanged(Phase::Messages),
            now,
            &mut notices,
        );
        m.on_event(&mut ui, &UiEvent::PeerChanged, now, &mut notices);
        assert_eq!(ui.acts, vec!["ReadStored(5)"]);
        // Read during the session: told at once; never twice.
        m.mark_read(&mut ui, &bob, 6).unwrap();
        m.mark_read(&mut ui, &bob, 5).unwrap();
        assert_eq!(ui.acts, vec!["ReadStored(5)", "ReadStored(6)"]);
    }

    #[test]
    fn a_contact_may_store_a_burst_then_sixty_a_minute() {
        let t0 = Instant::now();
        let mut b = Bucket::full(t0);
        let burst = (0..200).take_while(|_| b.take(t0)).count();
        assert_eq!(burst, 120);
        assert!(!b.take(t0 + Duration::from_millis(999)));
        assert!(b.take(t0 + Duration::from_millis(1000)));
        // One minute later: sixty more, not sixty-one.
        let t1 = t0 + Duration::from_secs(61);
        let minute = (0..100).take_while(|_| b.take(t1)).count();
        assert_eq!(minute, 60);
    }

    #[test]
    fn retries_back_off_from_5_s_to_10_min() {
        let dir = tempfile::tempdir().unwrap();
        let key = susurro_wire::Secret::new([7; 32]);
        let h = History::open(dir.path(), &key, Limits::default()).unwrap();
        let mut m = Messaging::new(h);
        let bob = [2u8; 32];
        let start = Instant::now();
        let mut waits = Vec::new();
        for i in 0..10 {
            let now = start + Duration::from_secs(i);
            m.failed(&bob, now);
            waits.push((m.retries[&bob].due - now).as_secs());
        }
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 320, 600, 600, 600]);
        let now = start + Duration::from_secs(100);
        assert!(m.next_deadline(now).is_some_and(|d| d > now));
    }
}
