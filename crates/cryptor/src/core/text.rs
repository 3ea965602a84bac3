//! Text messages in a call: the ui's parts sealed to the peer as
//! `PeerText`, the peer's parts handed to the ui as `TextReceived`, and
//! receipts both ways. Only while talking (both answered), and each
//! direction held to [`susurro_wire::caps::TEXT_RATE`] parts per second.
//! File-transfer messages ride the same way (`SendFile` → `PeerFile` →
//! `FileReceived`), opaque here: the front ends run the transfer and its
//! flow control.

use susurro_wire::module::Outbox;
use susurro_wire::{
    CallId, CallPurpose, ErrorCode, FileReceived, Instant, ModuleId, PeerFile, PeerReceipt,
    PeerText, ReceiptKind, ReceiptReceived, SendFile, SendText, TextReceived, text_part_valid,
};

use super::calls::{Live, Phase};
use super::errors::ui_error;
use super::{CryptorCore, send};

impl CryptorCore {
    /// `SendText`: seals the part to the peer.
    pub(super) fn on_send_text(&mut self, now: Instant, m: SendText, out: &mut Outbox) {
        let id = m.call;
        if !text_part_valid(m.part, m.parts) {
            ui_error(out, id, ErrorCode::BadText);
            return;
        }
        let sent = self.with_talking(id, |live| {
            if !live.text_out.take(now, 1) {
                return Err(ErrorCode::TooFast);
            }
            let msg = PeerText {
                id: m.id,
                part: m.part,
                parts: m.parts,
                text: m.text,
            };
            live.send_peer(id, msg, out);
            Ok(())
        });
        match sent {
            Ok(()) => self.keep_alive(now, id),
            Err(code) => ui_error(out, id, code),
        }
    }

    /// `SendReceipt`: seals the receipt to the peer (receipts are not
    /// rate-limited: a ui sends at most two per message it received).
    pub(super) fn on_send_receipt(
        &mut self,
        now: Instant,
        id: CallId,
        msg: u32,
        kind: ReceiptKind,
        out: &mut Outbox,
    ) {
        let sent = self.with_talking(id, |live| {
            live.send_peer(id, PeerReceipt { id: msg, kind }, out);
            Ok(())
        });
        match sent {
            Ok(()) => self.keep_alive(now, id),
            Err(code) => ui_error(out, id, code),
        }
    }
}

impl CryptorCore {
    /// `SendFile`: seals the file message to the peer, unread.
    pub(super) fn on_send_file(&mut self, now: Instant, m: SendFile, out: &mut Outbox) {
        let id = m.call;
        let sent = self.with_talking(id, |live| {
            live.send_peer(id, PeerFile { body: m.body }, out);
            Ok(())
        });
        match sent {
            Ok(()) => self.keep_alive(now, id),
            Err(code) => ui_error(out, id, code),
        }
    }

    /// A message session lives while text or files go either way: its end
    /// is the ring deadline after the last of them.
    fn keep_alive(&mut self, now: Instant, id: CallId) {
        let ring = self.config.ring_timeout;
        if let Some(c) = self.find_mut(id)
            && let Phase::Live(live) = &c.phase
            && live.purpose == CallPurpose::Messages
        {
            c.deadline = Some(now + ring);
        }
    }
}

/// What became of a part the peer sent.
pub(super) enum TextIn {
    /// Handed to the ui (or, for a receipt, nothing to count).
    Delivered,
    /// Faster than twice the rate: dropped and counted.
    Dropped,
    /// Numbered wrong: the peer breaks the protocol.
    Malformed,
}

impl Live {
    /// The peer's `PeerText`: to the ui if we are talking, it is numbered
    /// right and it comes within twice the rate.
    pub(super) fn on_peer_text(
        &mut self,
        now: Instant,
        call: CallId,
        m: PeerText,
        out: &mut Outbox,
    ) -> TextIn {
        if !text_part_valid(m.part, m.parts) {
            return TextIn::Malformed;
        }
        if !self.talking() || !self.text_in.take(now, 1) {
            return TextIn::Dropped;
        }
        send(
            out,
            ModuleId::Ui,
            TextReceived {
                call,
                id: m.id,
                part: m.part,
                parts: m.parts,
                text: m.text,
            },
        );
        TextIn::Delivered
    }

    /// The peer's `PeerFile`: to the ui if we are talking (else dropped
    /// and counted, like an early text part).
    pub(super) fn on_peer_file(&mut self, call: CallId, m: PeerFile, out: &mut Outbox) -> TextIn {
        if !self.talking() {
            return TextIn::Dropped;
        }
        send(out, ModuleId::Ui, FileReceived { call, body: m.body });
        TextIn::Delivered
    }

    /// The peer's `PeerReceipt`: to the ui.
    pub(super) fn on_peer_receipt(&mut self, call: CallId, m: PeerReceipt, out: &mut Outbox) {
        send(
            out,
            ModuleId::Ui,
            ReceiptReceived {
                call,
                id: m.id,
                kind: m.kind,
            },
        );
    }
}
