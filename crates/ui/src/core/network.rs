//! The network-settings action: Tor or direct, listening, the direct port.

use susurro_wire::module::Outbox;
use susurro_wire::{Address, ModuleId, NetMode, NetworkConfig};

use super::{UiCore, send};
use crate::action::UiError;
use crate::event::UiEvent;

impl UiCore {
    pub(super) fn set_network(
        &mut self,
        mode: NetMode,
        listen: bool,
        port: u16,
        out: &mut Outbox,
    ) -> Result<(), UiError> {
        if mode == NetMode::Direct && listen && port == 0 {
            return Err(UiError::BadPort);
        }
        send(out, ModuleId::Cryptor, NetworkConfig { mode, listen, port })?;
        let n = &mut self.view.network;
        if n.mode.is_some_and(|m| m != mode) {
            // The status was the other mode's: none is known for
            // this one until transport reports it.
            n.known = false;
            n.bootstrap_percent = 0;
            n.onion_published = false;
            n.listening = false;
            n.address = Address::None;
        }
        n.mode = Some(mode);
        n.listen = listen;
        n.port = port;
        self.event(UiEvent::Network);
        Ok(())
    }
}
