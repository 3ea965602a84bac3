//! Text messages with history: what `call`, `listen` and `message` do with
//! them (store what arrives before the "delivered" receipt, send the
//! outbox first in every call or message session with that contact, retry
//! it from `listen`), and the `inbox` and `conversation` commands.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use susurro_history::{ContactKey, Direction, Entry, History, Limits, Receipt, Received, Status};
use susurro_ui::view::CallView;
use susurro_ui::{Action, UiEvent, View};
use susurro_wire::{CallTarget, Contact, ContactId, NetMode, ReceiptKind};
use tokio::time::Instant;

use crate::Global;
use crate::exit::{Code, Failure};
use crate::front::Front;

/// The history's directory in a home.
pub fn history_dir(home: &crate::config::Home) -> PathBuf {
    home.data_dir.join("history")
}

/// Unix seconds now.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Waits (bounded) for storage's history key and opens the history.
pub async fn open_history(front: &mut Front, dir: &std::path::Path) -> Result<History, Failure> {
    let key = front
        .history_key(Duration::from_secs(10))
        .await
        .ok_or_else(|| Failure::new(Code::Store, "the key store did not give the history key"))?;
    History::open(dir, &key, Limits::default())
        .map_err(|e| Failure::new(Code::Store, format!("message history: {e}")))
}

/// The contact's key, from the view's page of contacts.
fn key_of(v: &View, id: ContactId) -> Option<ContactKey> {
    v.contacts.get(id).map(|c| c.key)
}

/// The peer of `call` as a contact whose key the exchange proved.
fn proven_peer(v: &View, call: &CallView) -> Option<(ContactId, ContactKey)> {
    if !call.authenticated {
        return None;
    }
    let id = call.peer?;
    Some((id, key_of(v, id)?))
}

/// Where a contact's outbox retries stand (`listen`).
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
}

impl Messaging {
    /// Over `history`.
    pub fn new(history: History) -> Self {
        Self {
            history,
            in_flight: Vec::new(),
            peer: None,
            flushed: false,
            opened: None,
            give_up: None,
            retries: HashMap::new(),
        }
    }

    /// Queues `text` to `contact`; its id in the conversation.
    pub fn queue(&mut self, contact: &ContactKey, text: &str) -> Result<u32, Failure> {
        self.history
            .queue(contact, text, unix_now())
            .map_err(|e| Failure::usage(e.to_string()))
    }

    /// Messages that waited past the outbox's age: now "not delivered".
    pub fn expire(&mut self, g: &Global, v: &View) {
        match self.history.expire(unix_now()) {
            Ok(gone) => {
                for (key, id) in gone {
                    let who = name_of(v, &key);
                    crate::commands::emit(
                        g,
                        json!({"event": "not_delivered", "to": who, "id": id}),
                        || {
                            format!(
                                "Not delivered to {who} within 7 days: message {id} was given up."
                            )
                        },
                    );
                }
            }
            Err(e) => tracing::warn!("history: {e}"),
        }
    }

    /// Marks that we opened the current call as a message session to
    /// `contact`.
    pub fn opened_session(&mut self, contact: ContactKey) {
        self.opened = Some(contact);
    }

    /// Looks at one event of the session; acts on the ui core as needed.
    /// `Some` when a message session we opened is done (delivered all: `Ok`).
    pub fn on_event(
        &mut self,
        g: &Global,
        front: &mut Front,
        ev: &UiEvent,
    ) -> Option<Result<(), Failure>> {
        match ev {
            UiEvent::CallPhaseChanged(p) if p.can_text() => {
                self.flush(g, front);
            }
            // The peer's name (and so its proof) may come after the phase.
            UiEvent::CallEstablished { .. } | UiEvent::PeerChanged
                if front
                    .view()
                    .call
                    .as_ref()
                    .is_some_and(|c| c.phase.can_text()) =>
            {
                self.flush(g, front);
            }
            UiEvent::TextReceived { id } => self.received(g, front, *id),
            UiEvent::Receipt { id, kind } => {
                if let Some((_, key)) = self.peer
                    && (self.in_flight.contains(id) || *kind == ReceiptKind::Read)
                {
                    let r = match kind {
                        ReceiptKind::Delivered => Receipt::Delivered,
                        ReceiptKind::Read => Receipt::Read,
                    };
                    if let Err(e) = self.history.mark_out(&key, *id, r) {
                        tracing::warn!("history: {e}");
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
                    self.failed(&key);
                }
                self.reset();
                if let Some(key) = opened {
                    let left = self.history.outbox(&key).len();
                    if left > 0 {
                        self.failed(&key);
                        return Some(Err(Failure::new(
                            Code::Queued,
                            format!(
                                "{left} message(s) not delivered yet: they stay queued, and `listen` sends them when the contact can be reached (for up to 7 days)"
                            ),
                        )));
                    }
                }
            }
            _ => {}
        }
        if self.opened.is_some() && self.flushed && self.in_flight.is_empty() {
            // Everything delivered: the session has done its job.
            let _ = front.act(Action::Hangup);
            self.opened = None;
            return Some(Ok(()));
        }
        None
    }

    /// A session we opened that waited too long for its receipts hangs up
    /// (the messages stay queued).
    pub fn check_timeout(&mut self, front: &mut Front) {
        if self.give_up.is_some_and(|t| Instant::now() >= t) {
            self.give_up = None;
            let _ = front.act(Action::Hangup);
        }
    }

    /// When `check_timeout` or `next_retry` next has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        let retry = self.retries.values().map(|r| r.due).min();
        match (self.give_up, retry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// `listen`: a contact whose outbox is due for a retry now, if no call
    /// is on; opens a message session to it.
    pub fn retry_due(&mut self, g: &Global, front: &mut Front, mode: NetMode) {
        if front.view().active_call().is_some() {
            return;
        }
        let now = Instant::now();
        for key in self.history.pending_contacts() {
            let r = *self.retries.entry(key).or_insert(Retry {
                due: now,
                backoff: RETRY_FIRST,
            });
            if r.due > now {
                continue;
            }
            let Some(contact) = contact_by_key(front.view(), &key) else {
                continue;
            };
            let name = contact.name.as_str().to_owned();
            crate::commands::emit(g, json!({"event": "retrying", "to": name}), || {
                format!("Sending your queued messages to {name}…")
            });
            let id = contact.id;
            if front
                .act(Action::OpenMessages {
                    target: CallTarget::Contact(id),
                    mode,
                })
                .is_ok()
            {
                // The session's end says how it went (`CallEnded`).
                self.opened = Some(key);
            } else {
                self.failed(&key);
            }
            return;
        }
    }

    /// A try to reach `key` failed: the next one after the backoff, which
    /// doubles (5 s, 10 s, 20 s, … 10 min).
    fn failed(&mut self, key: &ContactKey) {
        let now = Instant::now();
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
    fn flush(&mut self, g: &Global, front: &mut Front) {
        if self.flushed {
            return;
        }
        let Some(call) = front.view().call.clone() else {
            return;
        };
        let Some(peer) = proven_peer(front.view(), &call) else {
            return;
        };
        self.peer = Some(peer);
        self.flushed = true;
        for e in self.history.outbox(&peer.1) {
            match front.act(Action::SendStored {
                id: e.id,
                text: e.text.as_str(),
            }) {
                Ok(()) => self.in_flight.push(e.id),
                Err(f) => {
                    // Too fast for the rate: the rest waits for the next
                    // session.
                    crate::commands::emit(
                        g,
                        json!({"event": "error", "message": f.message}),
                        || f.message.clone(),
                    );
                    break;
                }
            }
        }
        if self.opened.is_some() {
            self.give_up = Some(Instant::now() + RECEIPT_WAIT);
        }
    }

    /// A message from the peer is complete: stored (if the peer is a
    /// proven contact), then "delivered".
    fn received(&mut self, g: &Global, front: &mut Front, id: u32) {
        let v = front.view();
        let Some(call) = v.call.as_ref() else {
            return;
        };
        let Some(line) = call.chat.lines.iter().find(|l| l.from_peer && l.id == id) else {
            return;
        };
        let text = line.text.as_str().to_owned();
        // Ids from CHAT_IDS up are a front end's unstored chat lines.
        let peer = proven_peer(v, call).filter(|_| id < susurro_ui::chat::CHAT_IDS);
        let stored = match peer {
            Some((_, key)) => match self.history.receive(&key, id, &text, unix_now()) {
                Ok(Received::Stored) => true,
                Ok(Received::Duplicate) => false,
                Err(e) => {
                    // Not on disk: no receipt, the sender retries.
                    crate::commands::emit(
                        g,
                        json!({"event": "error", "message": format!("message history: {e}")}),
                        || format!("message history: {e}"),
                    );
                    return;
                }
            },
            None => true,
        };
        if stored {
            crate::commands::emit(g, json!({"event": "text", "id": id, "text": text}), || {
                format!("They say: {text}")
            });
        }
        let _ = front.act(Action::Delivered { id });
        let _ = front.act(Action::MarkRead);
        if let Some((_, key)) = peer {
            let _ = self.history.mark_in_read(&key, id);
        }
    }

    /// The history (for `inbox` and `conversation`).
    pub fn history(&mut self) -> &mut History {
        &mut self.history
    }
}

/// The contact with `key` on the view's page.
fn contact_by_key<'a>(v: &'a View, key: &ContactKey) -> Option<&'a Contact> {
    v.contacts.entries.iter().find(|c| &c.key == key)
}

/// A contact's name, or its key's first bytes.
pub fn name_of(v: &View, key: &ContactKey) -> String {
    contact_by_key(v, key).map_or_else(
        || format!("unknown key {}", crate::commands::short_key(key)),
        |c| c.name.as_str().to_owned(),
    )
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Queued => "queued",
        Status::Delivered => "delivered",
        Status::Read => "read",
        Status::Expired => "not delivered",
        Status::Unread => "unread",
    }
}

/// One history line as JSON.
pub fn entry_json(e: &Entry) -> serde_json::Value {
    json!({
        "id": e.id,
        "from": match e.direction { Direction::Out => "me", Direction::In => "them" },
        "text": e.text.as_str(),
        "at": e.at,
        "status": status_word(e.status),
    })
}

/// One history line in words.
pub fn entry_text(e: &Entry, who: &str) -> String {
    let from = match e.direction {
        Direction::Out => "me",
        Direction::In => who,
    };
    format!(
        "[{}] {from}: {} ({})",
        e.at,
        e.text.as_str(),
        status_word(e.status)
    )
}

/// `say` in a call: through the history (queued, then sent with its
/// id) when the peer is a proven contact, else as an unstored chat line.
pub fn say(m: Option<&mut Messaging>, front: &mut Front, text: &str) -> Result<(), Failure> {
    let v = front.view();
    let peer = v.call.as_ref().and_then(|c| proven_peer(v, c));
    match (m, peer) {
        (Some(m), Some((_, key))) => {
            front
                .view()
                .active_call()
                .ok_or_else(|| Failure::usage("There is no call."))?;
            let id = m.queue(&key, text)?;
            front.act(Action::SendStored { id, text })?;
            m.in_flight.push(id);
            Ok(())
        }
        _ => front.act(Action::SendText { text }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_from_5_s_to_10_min() {
        let dir = tempfile::tempdir().unwrap();
        let key = susurro_wire::Secret::new([7; 32]);
        let h = History::open(dir.path(), &key, Limits::default()).unwrap();
        let mut m = Messaging::new(h);
        let bob = [2u8; 32];
        let mut waits = Vec::new();
        for _ in 0..10 {
            let before = Instant::now();
            m.failed(&bob);
            let r = m.retries[&bob];
            waits.push((r.due - before).as_secs());
        }
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 320, 600, 600, 600]);
        assert!(m.next_deadline().is_some());
    }
}
