//! The peer control channel: `PeerMessage`s sealed on the control lane of
//! a live call ([`Live::send_peer`]) and opened from transport's
//! `PeerData`, and what rides on it: answering and hanging up, direct
//! mode, contact transfer ([`crate::xfer`]) and the secret compare
//! ([`crate::compare`]). A packet that does not open is counted and
//! dropped; an authentic one that does not decode ends the call.

use susurro_crypto::Point;
use susurro_wire::module::Outbox;
use susurro_wire::{
    Address, Bytes, CallId, CallPhase, CompareResult, ContactId, ContactQuery, DirectRequest,
    EndReason, ErrorCode, Instant, ModuleId, PeerData, PeerMessage, caps,
};

use super::calls::{Live, Phase, Teardown};
use super::errors::{count, ui_error};
use super::storage_mux::Purpose;
use super::text::TextIn;
use super::{CryptorCore, send};
use crate::compare::{Context, Step};
use crate::ike::Role;
use crate::sas;
use crate::session::{CONTROL_TAG_LEN, SEQ_LEN, SessionError};
use crate::xfer;

impl Live {
    /// Seals `msg` on the control lane and sends it to the peer (dropped if
    /// it does not fit or the lane is exhausted).
    pub(super) fn send_peer(
        &mut self,
        call: CallId,
        msg: impl Into<PeerMessage>,
        out: &mut Outbox,
    ) {
        let msg = msg.into();
        let mut pt = [0u8; caps::SEALED];
        let Ok(n) = msg.encode_to(&mut pt[..caps::SEALED - SEQ_LEN - CONTROL_TAG_LEN]) else {
            return;
        };
        let mut sealed = [0u8; caps::SEALED];
        let (head, body) = sealed.split_at_mut(SEQ_LEN);
        let sealed_len = self.ctl_tx.seal(&pt[..n], body);
        zeroize::Zeroize::zeroize(&mut pt);
        let Ok((seq, len)) = sealed_len else {
            return;
        };
        head.copy_from_slice(&seq.to_le_bytes());
        if let Ok(sealed) = Bytes::new(&sealed[..SEQ_LEN + len]) {
            send(out, ModuleId::Transport, PeerData { call, sealed });
        }
    }

    /// Sends what a compare step produced: a message to the peer, an
    /// outcome to the ui.
    fn emit_compare(&mut self, call: CallId, step: Step, out: &mut Outbox) {
        let (msg, outcome) = step;
        if let Some(m) = msg {
            self.send_peer(call, m, out);
        }
        if let Some(outcome) = outcome {
            send(out, ModuleId::Ui, CompareResult { call, outcome });
        }
    }
}

impl CryptorCore {
    pub(super) fn on_peer_data(
        &mut self,
        now: Instant,
        id: CallId,
        sealed: &[u8],
        out: &mut Outbox,
    ) {
        let Some(c) = self.find_mut(id) else {
            self.refuse();
            return;
        };
        let Phase::Live(live) = &mut c.phase else {
            count(&mut self.stats.control_rejected);
            return;
        };
        let mut pt = [0u8; caps::SEALED];
        let opened = match sealed.split_first_chunk::<SEQ_LEN>() {
            Some((seq, body)) => live.ctl_rx.open(u32::from_le_bytes(*seq), body, &mut pt),
            None => Err(SessionError::Truncated),
        };
        let Ok((_, n)) = opened else {
            count(&mut self.stats.control_rejected);
            return;
        };
        // Authentic from here on: a malformed message is the peer breaking
        // the protocol, and ends the call.
        let decoded = PeerMessage::decode_from(&pt[..n]);
        zeroize::Zeroize::zeroize(&mut pt);
        let Ok(msg) = decoded else {
            self.end(id, EndReason::ProtocolError, Teardown::FULL, out);
            return;
        };
        self.on_peer_message(now, id, msg, out);
    }

    fn on_peer_message(&mut self, now: Instant, id: CallId, msg: PeerMessage, out: &mut Outbox) {
        let mut add: Option<(Point, Address, u32)> = None;
        let mut hangup = None;
        let mut text = TextIn::Delivered;
        let ring = self.config.ring_timeout;
        // Text and files keep a message session alive.
        let activity = matches!(
            msg,
            PeerMessage::PeerText(_) | PeerMessage::PeerReceipt(_) | PeerMessage::PeerFile(_)
        );
        let Some((c, drbg)) = self.find_with_drbg(id) else {
            return;
        };
        let Phase::Live(live) = &mut c.phase else {
            return;
        };
        if activity && live.purpose == susurro_wire::CallPurpose::Messages && live.talking() {
            c.deadline = Some(now + ring);
        }
        match msg {
            PeerMessage::PeerText(m) => text = live.on_peer_text(now, id, m, out),
            PeerMessage::PeerReceipt(m) => live.on_peer_receipt(id, m, out),
            PeerMessage::PeerFile(m) => text = live.on_peer_file(id, m, out),
            PeerMessage::PeerHangup(m) => {
                hangup = Some(match m.reason {
                    r @ (EndReason::Rejected | EndReason::NotContacts) => r,
                    _ => EndReason::RemoteHangup,
                });
            }
            PeerMessage::PeerAccept(_) => {
                if live.role == Role::Originator && !live.remote_accepted {
                    live.remote_accepted = true;
                    c.deadline = None;
                    c.show(CallPhase::InCall, out);
                }
            }
            PeerMessage::PeerDirect(m) => {
                let phase = if m.enable {
                    susurro_wire::DirectPhase::RemoteRequested
                } else {
                    susurro_wire::DirectPhase::Off
                };
                send(
                    out,
                    ModuleId::Ui,
                    susurro_wire::DirectState { call: id, phase },
                );
            }
            PeerMessage::XferAddress(m) => {
                let (st, reply) = xfer::receive(&live.kx_rx, &m, drbg);
                live.xfer_in = Some(st);
                live.send_peer(id, reply, out);
            }
            PeerMessage::XferChallenge(m) => {
                if let Some(Ok(reply)) = live
                    .xfer_out
                    .take()
                    .map(|st| st.on_challenge(&live.kx_tx, &m))
                {
                    live.send_peer(id, reply, out);
                } else {
                    ui_error(out, id, ErrorCode::WrongState);
                }
            }
            PeerMessage::XferKey(m) => {
                if let Some(Ok((key, address))) =
                    live.xfer_in.take().map(|st| st.on_key(&live.kx_rx, &m))
                {
                    add = Some((key, address, live.sas));
                }
            }
            m @ (PeerMessage::CompareU(_)
            | PeerMessage::CompareV(_)
            | PeerMessage::CompareMa(_)
            | PeerMessage::CompareMb(_)) => {
                let ctx = Context {
                    k_cmp: &live.k_cmp,
                    sid: &live.sid,
                };
                let step = live.compare.on_peer(&m, &ctx, drbg);
                live.emit_compare(id, step, out);
            }
        }
        match text {
            TextIn::Delivered => {}
            TextIn::Dropped => count(&mut self.stats.text_dropped),
            TextIn::Malformed => hangup = Some(EndReason::ProtocolError),
        }
        if let Some(reason) = hangup {
            self.end(id, reason, Teardown::WITHOUT_PEER, out);
        }
        if let Some((key, address, sas_value)) = add {
            let name = sas::contact_name(sas_value, &key);
            self.add_contact(id, name, key, address, out);
        }
    }

    pub(super) fn on_set_direct(&mut self, id: CallId, enable: bool, out: &mut Outbox) {
        let told = self.with_live(id, |live, _| {
            live.send_peer(id, susurro_wire::PeerDirect { enable }, out);
        });
        if told.is_some() {
            send(out, ModuleId::Transport, DirectRequest { call: id, enable });
        } else {
            ui_error(out, id, ErrorCode::WrongState);
        }
    }

    pub(super) fn on_compare_secret(&mut self, id: CallId, phrase: &[u8], out: &mut Outbox) {
        let r = self.with_live(id, |live, drbg| {
            let ctx = Context {
                k_cmp: &live.k_cmp,
                sid: &live.sid,
            };
            let step = live.compare.user(phrase, &ctx, drbg);
            live.emit_compare(id, step, out);
        });
        if r.is_none() {
            ui_error(out, id, ErrorCode::WrongState);
        }
    }

    pub(super) fn on_send_contact(&mut self, id: CallId, contact: ContactId, out: &mut Outbox) {
        let busy = match self.find(id).map(|c| &c.phase) {
            Some(Phase::Live(l)) => l.xfer_out.is_some(),
            _ => true,
        };
        if busy {
            ui_error(out, id, ErrorCode::WrongState);
            return;
        }
        if contact == 0 {
            match self.own_key {
                Some(key) => {
                    let address = self.own_address.clone();
                    self.start_xfer(id, key, &address, out);
                }
                None => ui_error(out, id, ErrorCode::StoreLocked),
            }
            return;
        }
        if !self.lookup(id, Purpose::SendLookup, ContactQuery::Id(contact), out) {
            ui_error(out, id, ErrorCode::Internal);
        }
    }

    pub(super) fn start_xfer(
        &mut self,
        id: CallId,
        key: Point,
        address: &Address,
        out: &mut Outbox,
    ) {
        // The transfer carries onion addresses only (fixed 32 bytes + port,
        // as the seed): a direct-TCP address is a local arrangement and is
        // not sent; the key alone is, and the receiver adds the address.
        let address = match address {
            Address::Tcp { .. } => &Address::None,
            a => a,
        };
        let r = self.with_live(id, |live, _| match xfer::send(&live.kx_tx, key, address) {
            Ok((st, msg)) => {
                live.xfer_out = Some(st);
                live.send_peer(id, msg, out);
                true
            }
            Err(_) => false,
        });
        if r != Some(true) {
            ui_error(out, id, ErrorCode::BadAddress);
        }
    }
}
