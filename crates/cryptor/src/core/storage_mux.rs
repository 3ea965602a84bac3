//! The storage request mux: every request to storage that expects an
//! answer carries a request id ([`Pending`]) naming the call and the
//! [`Purpose`] it was asked for, and each answer goes back to that purpose;
//! an answer nobody asked for is refused. Our own public key
//! (`GetPublicKey`, answered in order, without an id) is kept here too.

use susurro_crypto::Point;
use susurro_wire::module::Outbox;
use susurro_wire::{
    Address, CallId, ContactAdd, ContactId, ContactLookup, ContactQuery, ContactReceived,
    EndReason, ErrorCode, GetPublicKey, Instant, ModuleId, Name, Note, ScalarMult, contact_flags,
};

use super::calls::Teardown;
use super::errors::ui_error;
use super::ike_driver::IkeInput;
use super::{CryptorCore, send};
use crate::ike::IkeError;

/// Storage requests in flight.
pub(crate) const MAX_PENDING: usize = 8;

/// What a storage request was for: where its answer goes.
#[derive(Clone)]
pub(super) enum Purpose {
    /// The callee of an outgoing call, by contact id.
    Target,
    /// A multiplication with the long-term key for the key exchange.
    IkeTag,
    /// Whether the caller's claimed key is in the address book.
    PeerLookup,
    /// A contact the ui asked to send to the peer.
    SendLookup,
    /// A contact received from the peer, to be added under this name.
    AddContact(Name),
    /// The stored address of an authenticated caller, to call back.
    CallBack,
}

/// A request storage has not answered yet.
pub(super) struct Pending {
    pub(super) req: u16,
    pub(super) call: CallId,
    pub(super) purpose: Purpose,
}

/// Storage's answer to a request with an id.
#[allow(clippy::large_enum_variant)] // no heap to box into
pub(super) enum StorageAnswer {
    Product(susurro_wire::Secret<32>),
    Contact(susurro_wire::Contact),
    Added(ContactId),
    Failed,
}

impl CryptorCore {
    /// A request id for `purpose` on behalf of `call`; `None` if too many
    /// requests are in flight.
    fn request(&mut self, call: CallId, purpose: Purpose) -> Option<u16> {
        let req = self.next_req;
        self.next_req = self.next_req.wrapping_add(1).max(1);
        self.pending.push(Pending { req, call, purpose }).ok()?;
        Some(req)
    }

    fn take_pending(&mut self, req: u16) -> Option<Pending> {
        let i = self.pending.iter().position(|p| p.req == req)?;
        Some(self.pending.swap_remove(i))
    }

    /// Asks storage for a contact; `false` if too many requests are in
    /// flight (nothing is sent).
    pub(super) fn lookup(
        &mut self,
        call: CallId,
        purpose: Purpose,
        query: ContactQuery,
        out: &mut Outbox,
    ) -> bool {
        let Some(req) = self.request(call, purpose) else {
            return false;
        };
        send(out, ModuleId::Storage, ContactLookup { req, query });
        true
    }

    /// Asks storage for an IKE tag: `point` times the long-term key.
    pub(super) fn ask_tag(
        &mut self,
        call: CallId,
        point: [u8; 32],
        out: &mut Outbox,
    ) -> Result<(), IkeError> {
        let req = self
            .request(call, Purpose::IkeTag)
            .ok_or(IkeError::Storage)?;
        send(out, ModuleId::Storage, ScalarMult { req, point });
        Ok(())
    }

    /// Asks storage to add a contact received from the peer (nothing is
    /// sent if too many requests are in flight).
    pub(super) fn add_contact(
        &mut self,
        call: CallId,
        name: Name,
        key: Point,
        address: Address,
        out: &mut Outbox,
    ) {
        if let Some(req) = self.request(call, Purpose::AddContact(name.clone())) {
            send(
                out,
                ModuleId::Storage,
                ContactAdd {
                    req,
                    name,
                    key: key.to_bytes(),
                    address,
                    note: Note::default(),
                    flags: contact_flags::AUTO_ADDED,
                },
            );
        }
    }

    pub(super) fn ask_public_key(&mut self, out: &mut Outbox) {
        send(out, ModuleId::Storage, GetPublicKey {});
        self.key_requests = self.key_requests.saturating_add(1);
    }

    /// Our public key: a call asked for before it arrived is placed now.
    pub(super) fn on_public_key(&mut self, now: Instant, key: [u8; 32], out: &mut Outbox) {
        self.key_requests = self.key_requests.saturating_sub(1);
        self.own_key = Some(Point::from_bytes(key));
        if let Some((target, mode, purpose)) = self.waiting_call.take() {
            self.on_call(now, target, mode, purpose, out);
        }
    }

    /// Storage refused our public key (locked).
    pub(super) fn on_public_key_refused(&mut self, out: &mut Outbox) {
        self.key_requests = self.key_requests.saturating_sub(1);
        // Only the answer to the latest request speaks for the waiting
        // call (an older refusal may predate an unlock).
        if self.key_requests == 0 && self.waiting_call.take().is_some() {
            ui_error(out, 0, ErrorCode::StoreLocked);
        }
    }

    pub(super) fn on_storage_answer(
        &mut self,
        now: Instant,
        req: u16,
        answer: StorageAnswer,
        out: &mut Outbox,
    ) {
        let Some(p) = self.take_pending(req) else {
            self.refuse();
            return;
        };
        let id = p.call;
        if self.find(id).is_none() {
            return;
        }
        match (p.purpose, answer) {
            (Purpose::Target, StorageAnswer::Contact(contact)) => {
                let dial_timeout = self.config.dial_timeout;
                if let Some(c) = self.find_mut(id) {
                    c.peer_contact = Some(contact.id);
                    c.peer_key = (contact.key != [0u8; 32]).then(|| Point::from_bytes(contact.key));
                    c.deadline = Some(now + dial_timeout);
                }
                self.dial(id, contact.address, out);
            }
            (Purpose::Target, _) => {
                ui_error(out, id, ErrorCode::UnknownContact);
                self.end(id, EndReason::Unreachable, Teardown::LOCAL_ONLY, out);
            }
            (Purpose::IkeTag, StorageAnswer::Product(product)) => {
                self.on_tag(now, id, &product, out)
            }
            (Purpose::IkeTag, _) => self.abort_ike(id, IkeError::Storage, out),
            (Purpose::PeerLookup, answer) => {
                let known = match answer {
                    StorageAnswer::Contact(c) => Some(c.id),
                    _ => None,
                };
                self.ike_step(now, id, IkeInput::Lookup(known), out);
            }
            (Purpose::SendLookup, StorageAnswer::Contact(c)) => {
                self.start_xfer(id, Point::from_bytes(c.key), &c.address, out);
            }
            (Purpose::SendLookup, _) => ui_error(out, id, ErrorCode::UnknownContact),
            (Purpose::AddContact(name), StorageAnswer::Added(cid)) => {
                send(
                    out,
                    ModuleId::Ui,
                    ContactReceived {
                        call: id,
                        id: cid,
                        name,
                    },
                );
            }
            (Purpose::AddContact(_), _) => {
                // Already in the book (key taken) or the book refused: the
                // received contact is dropped; nothing secret to report.
            }
            (Purpose::CallBack, StorageAnswer::Contact(c)) => self.call_back(id, c.address, out),
            (Purpose::CallBack, _) => {}
        }
    }
}
