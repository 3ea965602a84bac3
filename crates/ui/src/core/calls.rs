//! Call actions: place, accept, reject, hang up, mute, direct mode, the SAS
//! and secret checks, sending a contact, and dismissing an ended call.

use susurro_wire::module::Outbox;
use susurro_wire::{
    Accept, Address, CallId, CallPurpose, CallTarget, CompareSecret, ContactId, ContactSetVerified,
    Direction, Hangup, Instant, ModuleId, Mute, NetMode, PathKind, SecretBytes, SendContact,
    SetDirect, caps,
};

use super::{UiCore, address, contact_id, end_call, send};
use crate::action::UiError;
use crate::event::UiEvent;
use crate::view::{CallView, Phase, SetupStage};

impl UiCore {
    pub(super) fn call(
        &mut self,
        now: Instant,
        target: CallTarget,
        mode: NetMode,
        purpose: CallPurpose,
        out: &mut Outbox,
    ) -> Result<(), UiError> {
        if self.view.active_call().is_some() {
            return Err(UiError::Busy);
        }
        self.need_unlocked()?;
        let peer = match &target {
            CallTarget::Contact(id) => Some(contact_id(*id)?),
            CallTarget::Address(Address::None) => return Err(UiError::NoAddress),
            CallTarget::Address(a) => {
                address(a)?;
                None
            }
        };
        send(
            out,
            ModuleId::Cryptor,
            susurro_wire::Call {
                target,
                mode,
                purpose,
            },
        )?;
        let path = match mode {
            NetMode::Tor => PathKind::Tor,
            NetMode::Direct => PathKind::Tcp,
        };
        let mut call = CallView::new(now, 0, Direction::Outgoing, path);
        call.peer = peer;
        call.muted = self.cryptor_muted;
        self.view.call = Some(call);
        self.refresh_peer_name(out);
        self.event(UiEvent::CallPhaseChanged(Phase::Calling(
            SetupStage::Starting,
        )));
        Ok(())
    }

    pub(super) fn accept(&mut self, out: &mut Outbox) -> Result<(), UiError> {
        let call = self.incoming_call()?;
        if call.phase != Phase::Ringing {
            return Err(UiError::CallNotReady);
        }
        let id = call.id;
        send(out, ModuleId::Cryptor, Accept { call: id })
    }

    pub(super) fn reject(&mut self, out: &mut Outbox) -> Result<(), UiError> {
        let id = self.incoming_call()?.id;
        send(out, ModuleId::Cryptor, Hangup { call: id })
    }

    pub(super) fn hang_up(&mut self, out: &mut Outbox) -> Result<(), UiError> {
        let call = self.view.active_call().ok_or(UiError::NoCall)?;
        send(out, ModuleId::Cryptor, end_call(call.id))
    }

    pub(super) fn mute(&mut self, on: bool, out: &mut Outbox) -> Result<(), UiError> {
        self.view.active_call().ok_or(UiError::NoCall)?;
        send(out, ModuleId::Cryptor, Mute { on })
    }

    pub(super) fn set_direct(&mut self, enable: bool, out: &mut Outbox) -> Result<(), UiError> {
        let call = self.talking_call()?;
        send(out, ModuleId::Cryptor, SetDirect { call, enable })
    }

    pub(super) fn mark_sas_verified(&mut self, out: &mut Outbox) -> Result<(), UiError> {
        let call = self.view.call.as_ref().ok_or(UiError::NoCall)?;
        if call.sas.is_none() {
            return Err(UiError::NoSas);
        }
        if call.sas_verified {
            return Ok(());
        }
        if let (true, Some(id)) = (call.authenticated, call.peer) {
            send(
                out,
                ModuleId::Storage,
                ContactSetVerified { id, verified: true },
            )?;
        }
        if let Some(call) = self.view.call.as_mut() {
            call.sas_verified = true;
        }
        self.event(UiEvent::SasVerified);
        Ok(())
    }

    pub(super) fn compare_secret(&mut self, phrase: &str, out: &mut Outbox) -> Result<(), UiError> {
        let call = self.talking_call()?;
        if phrase.is_empty() {
            return Err(UiError::EmptyPhrase);
        }
        let phrase = SecretBytes::<{ caps::PHRASE }>::new(phrase.as_bytes())
            .map_err(|_| UiError::PhraseTooLong)?;
        send(out, ModuleId::Cryptor, CompareSecret { call, phrase })
    }

    pub(super) fn send_contact(
        &mut self,
        contact: ContactId,
        out: &mut Outbox,
    ) -> Result<(), UiError> {
        let call = self.talking_call()?;
        self.need_unlocked()?;
        send(out, ModuleId::Cryptor, SendContact { call, contact })
    }

    pub(super) fn dismiss(&mut self) -> Result<(), UiError> {
        if self.view.active_call().is_some() {
            return Err(UiError::CallActive);
        }
        self.view.call = None;
        self.view.last_error = None;
        Ok(())
    }

    /// The incoming call still being set up or ringing.
    fn incoming_call(&self) -> Result<&CallView, UiError> {
        self.view
            .active_call()
            .filter(|c| {
                c.direction == Direction::Incoming
                    && matches!(c.phase, Phase::Calling(_) | Phase::Ringing)
            })
            .ok_or(UiError::NoIncomingCall)
    }

    /// The id of the call once text can flow (talking or a message
    /// session).
    pub(super) fn texting_call(&self) -> Result<CallId, UiError> {
        let call = self.view.active_call().ok_or(UiError::NoCall)?;
        if call.phase.can_text() {
            Ok(call.id)
        } else {
            Err(UiError::NotInCall)
        }
    }

    /// The id of the call once both sides talk.
    pub(super) fn talking_call(&self) -> Result<CallId, UiError> {
        let call = self.view.active_call().ok_or(UiError::NoCall)?;
        if call.phase.is_talking() {
            Ok(call.id)
        } else {
            Err(UiError::NotInCall)
        }
    }
}
