//! Text in a call: sending a message (cut into parts, held to the rate),
//! the peer's parts reassembled into lines with a delivered receipt, read
//! receipts once the front end showed them, and the peer's receipts.

use susurro_wire::module::Outbox;
use susurro_wire::{
    Bytes, CallId, FileReceived, Instant, ModuleId, ReceiptKind, ReceiptReceived, SendFile,
    SendReceipt, SendText, TEXT_MAX, Text, TextReceived, caps, text_parts,
};

use super::{UiCore, send};
use crate::action::UiError;
use crate::chat::{ChatLine, PartIn};
use crate::event::UiEvent;

impl UiCore {
    /// Carries a file-transfer message to the peer of the call.
    pub(super) fn send_file(&mut self, body: &[u8], out: &mut Outbox) -> Result<(), UiError> {
        let call = self.texting_call()?;
        let body = Bytes::new(body).map_err(|_| UiError::FileMessageTooLong)?;
        send(out, ModuleId::Cryptor, SendFile { call, body })
    }

    /// The peer's file-transfer message, for the front end (only from the
    /// active call; anything else is ignored).
    pub(super) fn on_file_received(&mut self, m: FileReceived) {
        if self.call_for(m.call).is_none() {
            self.ignore();
            return;
        }
        if self.files.is_full() {
            let _ = self.files.pop_front();
            let c = &mut self.view.counters.files_dropped;
            *c = c.saturating_add(1);
        }
        let _ = self.files.push_back((m.call, m.body));
        self.event(UiEvent::File);
    }

    /// Takes the oldest of the peer's file-transfer messages (an encoded
    /// `FileMessage`) and the call it came in, if any.
    pub fn take_file(&mut self) -> Option<(CallId, Bytes<{ caps::FILE_BODY }>)> {
        self.files.pop_front()
    }

    /// Sends `text`; `stored`: its id in the front end's history (else the
    /// chat numbers it).
    pub(super) fn send_text(
        &mut self,
        now: Instant,
        text: &str,
        stored: Option<u32>,
        out: &mut Outbox,
    ) -> Result<(), UiError> {
        let call = self.texting_call()?;
        if text.trim().is_empty() {
            return Err(UiError::EmptyText);
        }
        if text.len() > TEXT_MAX {
            return Err(UiError::TextTooLong);
        }
        // At most TEXT_PARTS (16) parts of a TEXT_MAX text.
        let parts = u8::try_from(text_parts(text).count()).map_err(|_| UiError::TextTooLong)?;
        // Every part must fit in the outbox, or none is sent.
        if out.room() < usize::from(parts) {
            return Err(UiError::OutboxFull);
        }
        let chat = self.chat_mut().ok_or(UiError::NotInCall)?;
        let id = chat
            .reserve(now, parts, stored)
            .ok_or(UiError::SendingTooFast)?;
        for (part, t) in (0u8..).zip(text_parts(text)) {
            let text = Text::<{ caps::TEXT_PART }>::new(t).map_err(|_| UiError::TextTooLong)?;
            send(
                out,
                ModuleId::Cryptor,
                SendText {
                    call,
                    id,
                    part,
                    parts,
                    text,
                },
            )?;
        }
        let mut line = heapless::String::new();
        let _ = line.push_str(text);
        if let Some(chat) = self.chat_mut() {
            // A retry of a stored message replaces its earlier line.
            chat.remove(id, false);
            chat.push(ChatLine {
                id,
                from_peer: false,
                text: line,
                at: now,
                delivered: false,
                read: false,
            });
        }
        self.event(UiEvent::TextSent { id });
        Ok(())
    }

    /// A receipt for the peer's stored message `id`: `Delivered` once the
    /// front end's history has it (also for a message it already had: the
    /// peer retried because our earlier receipt was lost), `Read` once the
    /// history shows it as read.
    pub(super) fn stored_receipt(
        &mut self,
        id: u32,
        kind: ReceiptKind,
        out: &mut Outbox,
    ) -> Result<(), UiError> {
        let call = self.texting_call()?;
        send(out, ModuleId::Cryptor, SendReceipt { call, id, kind })
    }

    /// The front end showed the chat: read receipts for the peer's lines.
    pub(super) fn mark_read(&mut self, out: &mut Outbox) -> Result<(), UiError> {
        let call = self.view.call.as_ref().ok_or(UiError::NoCall)?;
        let (id, talking) = (call.id, call.phase.can_text());
        let Some(chat) = self.chat_mut() else {
            return Ok(());
        };
        let ids = chat.mark_read();
        if talking {
            for msg in ids {
                send(
                    out,
                    ModuleId::Cryptor,
                    SendReceipt {
                        call: id,
                        id: msg,
                        kind: ReceiptKind::Read,
                    },
                )?;
            }
        }
        Ok(())
    }

    pub(super) fn on_text_received(&mut self, now: Instant, m: TextReceived, out: &mut Outbox) {
        let Some(call) = self.call_for(m.call) else {
            self.ignore();
            return;
        };
        match call.chat.part(now, m.id, m.part, m.parts, m.text.as_str()) {
            PartIn::Waiting => {}
            PartIn::Ignored => self.ignore(),
            PartIn::Complete => {
                if !self.config.host_receipts {
                    let receipt = SendReceipt {
                        call: m.call,
                        id: m.id,
                        kind: ReceiptKind::Delivered,
                    };
                    // A full outbox loses the receipt, not the line.
                    let _ = send(out, ModuleId::Cryptor, receipt);
                }
                self.event(UiEvent::TextReceived { id: m.id });
            }
        }
    }

    pub(super) fn on_receipt_received(&mut self, m: ReceiptReceived) {
        let Some(call) = self.call_for(m.call) else {
            self.ignore();
            return;
        };
        if call.chat.receipt(m.id, m.kind) {
            self.event(UiEvent::Receipt {
                id: m.id,
                kind: m.kind,
            });
        }
    }

    fn chat_mut(&mut self) -> Option<&mut crate::chat::Chat> {
        self.view.call.as_mut().map(|c| &mut c.chat)
    }
}
