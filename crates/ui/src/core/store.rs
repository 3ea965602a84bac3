//! Identity and key-store actions: create the identity, unlock, lock,
//! change the password. Storage answers each with one `UnlockResult`; until
//! then no other of these is accepted.

use susurro_wire::module::Outbox;
use susurro_wire::{
    ChangePassword, CreateIdentity, Instant, Lock, Message, ModuleId, StoreState, Unlock,
};

use super::{StoreOp, UiCore, password, send};
use crate::action::UiError;

impl UiCore {
    pub(super) fn create_identity(&mut self, pw: &str, out: &mut Outbox) -> Result<(), UiError> {
        self.storage_reachable()?;
        self.need_no_store_op()?;
        match self.view.store.state {
            Some(StoreState::NoIdentity | StoreState::Wiped) => {}
            None => return Err(UiError::StoreUnknown),
            Some(StoreState::Damaged) => return Err(UiError::StoreDamaged),
            Some(_) => return Err(UiError::IdentityExists),
        }
        let password = password(pw)?;
        self.send_store_op(StoreOp::Create, CreateIdentity { password }, out)
    }

    pub(super) fn unlock(
        &mut self,
        now: Instant,
        pw: &str,
        out: &mut Outbox,
    ) -> Result<(), UiError> {
        self.storage_reachable()?;
        self.need_no_store_op()?;
        match self.view.store.state {
            Some(StoreState::Locked) => {}
            Some(StoreState::LockedOut) => {
                if let Some(until) = self.lockout_until.filter(|t| *t > now) {
                    let left = until.saturating_since(now).as_secs().saturating_add(1);
                    return Err(UiError::LockedOut {
                        retry_after_s: u32::try_from(left).unwrap_or(u32::MAX),
                    });
                }
            }
            Some(StoreState::Unlocked) => return Err(UiError::AlreadyUnlocked),
            Some(StoreState::NoIdentity | StoreState::Wiped) => {
                return Err(UiError::NoIdentity);
            }
            Some(StoreState::Damaged) => return Err(UiError::StoreDamaged),
            None => return Err(UiError::StoreUnknown),
        }
        let password = password(pw)?;
        self.send_store_op(StoreOp::Unlock, Unlock { password }, out)
    }

    pub(super) fn lock(&mut self, out: &mut Outbox) -> Result<(), UiError> {
        self.need_unlocked()?;
        self.need_no_store_op()?;
        self.send_store_op(StoreOp::Lock, Lock {}, out)
    }

    pub(super) fn change_password(
        &mut self,
        old: &str,
        new: &str,
        out: &mut Outbox,
    ) -> Result<(), UiError> {
        self.need_unlocked()?;
        self.need_no_store_op()?;
        let (old, new) = (password(old)?, password(new)?);
        self.send_store_op(StoreOp::ChangePassword, ChangePassword { old, new }, out)
    }

    /// Sends `msg` to storage and marks `op` under way (the store busy).
    fn send_store_op(
        &mut self,
        op: StoreOp,
        msg: impl Into<Message>,
        out: &mut Outbox,
    ) -> Result<(), UiError> {
        send(out, ModuleId::Storage, msg)?;
        self.store_op = Some(op);
        self.view.store.busy = true;
        Ok(())
    }
}
