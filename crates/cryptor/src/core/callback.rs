//! The call-back (`DoublePath`): once transport is keyed, the callee of an
//! authenticated call from a contact with a stored address calls them back
//! there over a second path, and tries again (bounded, after a pause) when
//! that path fails to open or dies. The ui hears only of the doubled path.

use core::time::Duration;

use susurro_wire::module::Outbox;
use susurro_wire::{Address, CallId, CallPhase, ContactQuery, Direction, Instant, ModuleId};

use super::storage_mux::Purpose;
use super::{CryptorCore, send};

/// Call-back attempts per call (`DoublePath`): the first, retries after a
/// failed dial, and re-opening after the second path died. Transport
/// accepts up to 8 extra paths per call.
pub const CALLBACK_TRIES: u8 = 6;
/// Pause before the call-back is tried again: an onion service can be
/// unreachable for a while (descriptor not yet published, a time-period
/// change, a relay of a circuit gone).
pub const CALLBACK_RETRY: Duration = Duration::from_secs(10);

/// A call's call-back: where, how many tries so far, and when the next
/// one is due.
pub(super) struct CallBack {
    address: Address,
    tries: u8,
    pub(super) retry_at: Option<Instant>,
}

fn double_path(out: &mut Outbox, call: CallId, address: Address) {
    send(
        out,
        ModuleId::Transport,
        susurro_wire::DoublePath { call, address },
    );
}

impl CryptorCore {
    /// Transport switched to `Kt`. The callee of an authenticated call
    /// from a contact with a stored address now calls them back there
    /// (`DoublePath`, after `TransportKeyed` as transport requires): first
    /// the address, from storage.
    pub(super) fn on_transport_keyed(&mut self, id: CallId, out: &mut Outbox) {
        let Some(c) = self.find(id) else {
            return;
        };
        // An incoming call's contact is only set with the proof of its
        // identity.
        let (Direction::Incoming, Some(_), Some(cid)) =
            (c.direction, c.verified.as_ref(), c.peer_contact)
        else {
            return;
        };
        // Too many requests in flight: the call stays on one path.
        let _ = self.lookup(id, Purpose::CallBack, ContactQuery::Id(cid), out);
    }

    /// The caller's stored address: call them back there.
    pub(super) fn call_back(&mut self, id: CallId, address: Address, out: &mut Outbox) {
        // Over Tor, only the owner of that onion address can answer, which
        // binds it to the key just authenticated; the second path also
        // carries a copy of the voice.
        if !matches!(address, Address::None)
            && let Some(call) = self.find_mut(id)
        {
            call.callback = Some(CallBack {
                address: address.clone(),
                tries: 1,
                retry_at: None,
            });
            double_path(out, id, address);
        }
    }

    /// The call-back of `id` failed or its path died: due again after a
    /// pause, unless it has been tried enough.
    pub(super) fn retry_callback_later(&mut self, now: Instant, id: CallId) {
        if let Some(cb) = self.find_mut(id).and_then(|c| c.callback.as_mut())
            && cb.tries < CALLBACK_TRIES
        {
            cb.retry_at = Some(now + CALLBACK_RETRY);
        }
    }

    /// Sends the call-backs that are due again.
    pub(super) fn retry_callbacks(&mut self, now: Instant, out: &mut Outbox) {
        for c in self.calls.iter_mut().flatten() {
            let Some(cb) = &mut c.callback else {
                continue;
            };
            if cb.retry_at.is_some_and(|t| t <= now) {
                cb.retry_at = None;
                cb.tries += 1;
                double_path(out, c.id, cb.address.clone());
            }
        }
    }

    /// Transport's count of a call's paths changed: the ui sees a talking
    /// call doubled or back on one path, and a second path that died is
    /// called back again, later.
    pub(super) fn on_path_state(
        &mut self,
        now: Instant,
        id: CallId,
        up: bool,
        paths: u8,
        out: &mut Outbox,
    ) {
        let single = !up && paths == 1;
        if single {
            self.retry_callback_later(now, id);
        }
        if let Some(c) = self.find(id)
            && c.is_talking()
        {
            if up && paths >= 2 {
                c.show(CallPhase::Doubled, out);
            } else if single {
                c.show(CallPhase::InCall, out);
            }
        }
    }
}
