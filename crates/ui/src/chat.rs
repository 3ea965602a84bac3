//! The chat of a call: text lines both ways with their receipts, and the
//! peer's messages reassembled from their parts. Bounded: the last
//! [`CHAT_LINES`] lines, and [`ASSEMBLIES`] of the peer's messages in
//! parts at once.

use susurro_wire::{Instant, ReceiptKind, TEXT_MAX, TextRate, caps};

/// Ids the chat gives messages the front end does not store start here
/// (the high half); a front end's history numbers its messages below it,
/// so a receiver never takes an unstored chat line for a stored message
/// (`docs/protocol.md`, "Message sessions").
pub const CHAT_IDS: u32 = 0x8000_0000;
/// Lines a call's chat keeps (the oldest goes first).
pub const CHAT_LINES: usize = 4;
/// The peer's messages being reassembled at once.
const ASSEMBLIES: usize = 2;

/// One line of the chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatLine {
    /// The message id (ours for our lines, the peer's for theirs).
    pub id: u32,
    /// The peer wrote it.
    pub from_peer: bool,
    /// The text.
    pub text: heapless::String<TEXT_MAX>,
    /// When it was sent or completed.
    pub at: Instant,
    /// Our line: the peer has it. Their line: we sent the receipt.
    pub delivered: bool,
    /// Our line: the peer has shown it. Their line: we have shown it
    /// (`Action::MarkRead`).
    pub read: bool,
}

/// A peer's message still missing parts.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Assembly {
    id: u32,
    parts: u8,
    /// The parts in, by index.
    got: heapless::Vec<(u8, heapless::String<{ caps::TEXT_PART }>), { caps::TEXT_PARTS as usize }>,
}

/// A call's chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chat {
    /// The lines, oldest first.
    pub lines: heapless::Deque<ChatLine, CHAT_LINES>,
    /// Lines pushed out by newer ones.
    pub dropped: u32,
    next_id: u32,
    rate: TextRate,
    assembling: heapless::Vec<Assembly, ASSEMBLIES>,
}

impl Default for Chat {
    fn default() -> Self {
        Self {
            lines: heapless::Deque::new(),
            dropped: 0,
            next_id: CHAT_IDS + 1,
            rate: TextRate::new(caps::TEXT_RATE),
            assembling: heapless::Vec::new(),
        }
    }
}

/// What a part from the peer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PartIn {
    /// More parts are awaited.
    Waiting,
    /// The message is complete: a new line.
    Complete,
    /// A part already held, or numbered against the message's other parts:
    /// ignored.
    Ignored,
}

impl Chat {
    /// Takes `parts` parts of the sending rate at `now`, and an id (the
    /// front end's `stored` one, else the chat's next).
    pub(crate) fn reserve(&mut self, now: Instant, parts: u8, stored: Option<u32>) -> Option<u32> {
        if !self.rate.take(now, parts) {
            return None;
        }
        if let Some(id) = stored {
            return Some(id);
        }
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(CHAT_IDS + 1);
        Some(id)
    }

    /// Removes our line `id` (or the peer's).
    pub(crate) fn remove(&mut self, id: u32, from_peer: bool) {
        let n = self.lines.len();
        for _ in 0..n {
            if let Some(l) = self.lines.pop_front()
                && !(l.id == id && l.from_peer == from_peer)
            {
                let _ = self.lines.push_back(l);
            }
        }
    }

    /// Adds a line (the oldest goes if the chat is full).
    pub(crate) fn push(&mut self, line: ChatLine) {
        if self.lines.is_full() {
            self.lines.pop_front();
            self.dropped = self.dropped.saturating_add(1);
        }
        let _ = self.lines.push_back(line);
    }

    /// Our line `id`, or the peer's.
    pub(crate) fn line_mut(&mut self, id: u32, from_peer: bool) -> Option<&mut ChatLine> {
        self.lines
            .iter_mut()
            .find(|l| l.id == id && l.from_peer == from_peer)
    }

    /// A part of the peer's message `id` (part numbers checked by the
    /// cryptor: `part < parts <= TEXT_PARTS`).
    pub(crate) fn part(
        &mut self,
        now: Instant,
        id: u32,
        part: u8,
        parts: u8,
        text: &str,
    ) -> PartIn {
        if self.line_mut(id, true).is_some() {
            return PartIn::Ignored;
        }
        let i = match self.assembling.iter().position(|a| a.id == id) {
            Some(i) => i,
            None => {
                if self.assembling.is_full() {
                    // The oldest unfinished message is given up.
                    self.assembling.remove(0);
                }
                let _ = self.assembling.push(Assembly {
                    id,
                    parts,
                    got: heapless::Vec::new(),
                });
                self.assembling.len() - 1
            }
        };
        let a = &mut self.assembling[i];
        if a.parts != parts || a.got.iter().any(|(p, _)| *p == part) {
            return PartIn::Ignored;
        }
        let Ok(t) = heapless::String::try_from(text) else {
            return PartIn::Ignored;
        };
        let _ = a.got.push((part, t));
        if a.got.len() < usize::from(parts) {
            return PartIn::Waiting;
        }
        let mut a = self.assembling.remove(i);
        a.got.sort_unstable_by_key(|(p, _)| *p);
        let mut text = heapless::String::new();
        for (_, t) in &a.got {
            // Fits: at most TEXT_PARTS parts of TEXT_PART bytes.
            let _ = text.push_str(t);
        }
        self.push(ChatLine {
            id,
            from_peer: true,
            text,
            at: now,
            delivered: true,
            read: false,
        });
        PartIn::Complete
    }

    /// The peer's receipt for our line `id`; whether it changed anything.
    pub(crate) fn receipt(&mut self, id: u32, kind: ReceiptKind) -> bool {
        let Some(line) = self.line_mut(id, false) else {
            return false;
        };
        let before = (line.delivered, line.read);
        line.delivered = true;
        if kind == ReceiptKind::Read {
            line.read = true;
        }
        before != (line.delivered, line.read)
    }

    /// The peer's lines not yet marked read (ids), marking them.
    pub(crate) fn mark_read(&mut self) -> heapless::Vec<u32, CHAT_LINES> {
        let mut ids = heapless::Vec::new();
        for l in self.lines.iter_mut().filter(|l| l.from_peer && !l.read) {
            l.read = true;
            let _ = ids.push(l.id);
        }
        ids
    }

    /// The peer's lines not yet read.
    #[must_use]
    pub fn unread(&self) -> usize {
        self.lines.iter().filter(|l| l.from_peer && !l.read).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_in_any_order_make_one_line() {
        let mut c = Chat::default();
        let t = Instant::from_millis(5);
        assert_eq!(c.part(t, 7, 1, 3, "b"), PartIn::Waiting);
        assert_eq!(c.part(t, 7, 1, 3, "b"), PartIn::Ignored, "a repeat");
        assert_eq!(c.part(t, 7, 2, 3, "c"), PartIn::Waiting);
        assert_eq!(c.part(t, 7, 0, 3, "a"), PartIn::Complete);
        assert_eq!(c.lines.len(), 1);
        assert_eq!(c.lines.front().unwrap().text.as_str(), "abc");
        assert_eq!(c.unread(), 1);
        assert_eq!(c.part(t, 7, 0, 1, "again"), PartIn::Ignored, "id used");
        assert_eq!(c.mark_read().as_slice(), [7]);
        assert_eq!(c.unread(), 0);
        assert!(c.mark_read().is_empty());
    }

    #[test]
    fn a_third_unfinished_message_gives_up_the_oldest() {
        let mut c = Chat::default();
        let t = Instant::ZERO;
        assert_eq!(c.part(t, 1, 0, 2, "x"), PartIn::Waiting);
        assert_eq!(c.part(t, 2, 0, 2, "y"), PartIn::Waiting);
        assert_eq!(c.part(t, 3, 0, 2, "z"), PartIn::Waiting);
        assert_eq!(c.part(t, 3, 1, 2, "z"), PartIn::Complete);
        assert_eq!(c.part(t, 2, 1, 2, "y"), PartIn::Complete);
        assert_eq!(c.part(t, 1, 1, 2, "x"), PartIn::Waiting, "1 was given up");
        assert_eq!(c.lines.len(), 2);
    }

    #[test]
    fn the_chat_keeps_the_last_lines_and_rate() {
        let mut c = Chat::default();
        let t = Instant::ZERO;
        for i in 0..10 {
            let id = c.reserve(t, 1, None).unwrap();
            assert_eq!(id, CHAT_IDS + i + 1);
            c.push(ChatLine {
                id,
                from_peer: false,
                text: heapless::String::new(),
                at: t,
                delivered: false,
                read: false,
            });
        }
        assert_eq!(c.lines.len(), CHAT_LINES);
        assert_eq!(c.dropped, 6);
        assert!(c.receipt(CHAT_IDS + 10, ReceiptKind::Delivered));
        assert!(
            !c.receipt(CHAT_IDS + 10, ReceiptKind::Delivered),
            "no change"
        );
        assert!(c.receipt(CHAT_IDS + 10, ReceiptKind::Read));
        assert!(!c.receipt(CHAT_IDS + 1, ReceiptKind::Read), "pushed out");
        // 10 of TEXT_RATE parts spent; a message needing more waits.
        assert!(c.reserve(t, caps::TEXT_RATE - 10 + 1, None).is_none());
        assert_eq!(c.reserve(t, caps::TEXT_RATE - 10, Some(77)), Some(77));
    }
}
