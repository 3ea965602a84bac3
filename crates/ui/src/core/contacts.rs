//! Address-book actions: list (from the start or the next page), add,
//! rename, delete, and change a contact's address or note.

use susurro_wire::module::Outbox;
use susurro_wire::{
    Address, ContactAdd, ContactDelete, ContactId, ContactRename, ContactSetAddress,
    ContactSetNote, Message, ModuleId,
};

use super::{Purpose, UiCore, address, contact_id, name, note, send};
use crate::action::UiError;

impl UiCore {
    pub(super) fn refresh_contacts(&mut self, out: &mut Outbox) -> Result<(), UiError> {
        self.need_unlocked()?;
        self.view.contacts.after = 0;
        self.start_listing(out);
        Ok(())
    }

    pub(super) fn next_contacts(&mut self, out: &mut Outbox) -> Result<(), UiError> {
        self.need_unlocked()?;
        let c = &self.view.contacts;
        if c.loading {
            return Err(UiError::InProgress);
        }
        if c.complete {
            return Err(UiError::NoMoreContacts);
        }
        let last = c.entries.last().map_or(c.after, |e| e.id);
        self.view.contacts.after = last;
        self.start_listing(out);
        Ok(())
    }

    pub(super) fn add_contact(
        &mut self,
        n: &str,
        key: [u8; 32],
        a: Address,
        t: &str,
        out: &mut Outbox,
    ) -> Result<(), UiError> {
        self.need_unlocked()?;
        let (name, note) = (name(n)?, note(t)?);
        address(&a)?;
        if self.pending.is_full() {
            return Err(UiError::InProgress);
        }
        let req = self.next_req;
        send(
            out,
            ModuleId::Storage,
            ContactAdd {
                req,
                name,
                key,
                address: a,
                note,
                flags: 0,
            },
        )?;
        self.new_req(Purpose::AddContact)?;
        Ok(())
    }

    pub(super) fn rename_contact(
        &mut self,
        id: ContactId,
        n: &str,
        out: &mut Outbox,
    ) -> Result<(), UiError> {
        self.edit_contact(out, || {
            Ok(ContactRename {
                id: contact_id(id)?,
                name: name(n)?,
            })
        })
    }

    pub(super) fn delete_contact(
        &mut self,
        id: ContactId,
        out: &mut Outbox,
    ) -> Result<(), UiError> {
        self.edit_contact(out, || {
            Ok(ContactDelete {
                id: contact_id(id)?,
            })
        })
    }

    pub(super) fn set_contact_address(
        &mut self,
        id: ContactId,
        a: Address,
        out: &mut Outbox,
    ) -> Result<(), UiError> {
        self.edit_contact(out, || {
            let id = contact_id(id)?;
            address(&a)?;
            Ok(ContactSetAddress { id, address: a })
        })
    }

    pub(super) fn set_contact_note(
        &mut self,
        id: ContactId,
        t: &str,
        out: &mut Outbox,
    ) -> Result<(), UiError> {
        self.edit_contact(out, || {
            Ok(ContactSetNote {
                id: contact_id(id)?,
                note: note(t)?,
            })
        })
    }

    /// Sends storage the change `msg` makes, once the store is unlocked and
    /// `msg` found the input valid (checked in that order).
    fn edit_contact<M: Into<Message>>(
        &mut self,
        out: &mut Outbox,
        msg: impl FnOnce() -> Result<M, UiError>,
    ) -> Result<(), UiError> {
        self.need_unlocked()?;
        send(out, ModuleId::Storage, msg()?)
    }
}
