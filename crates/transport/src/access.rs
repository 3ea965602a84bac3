//! Access keys: the `ak` of session 1, derived from the callee's address.
//!
//! ```text
//! ak = KDF(ACCESS_TCP,   key = "",        LE16(port))[0..32]   direct TCP
//! ak = KDF(ACCESS_ONION, key = onion key, LE16(port))[0..32]   onion service
//! ```
//!
//! A direct-TCP access key depends on the port only: a listener knows its
//! port but not which host name or IP its callers use. It stops blind
//! scanners, not anyone who knows (or guesses) the port. An onion access key
//! stops anyone who does not know the onion address.

use susurro_crypto::{Secret, kdf};
use susurro_wire::Address;

use crate::labels;

/// The access key callers of `address` and its listener share.
///
/// `Address::None` has no listener; it maps to the TCP key of port 0, which
/// no listener uses (a TCP listener never has port 0).
#[must_use]
pub fn access_key_for(address: &Address) -> Secret<32> {
    match address {
        Address::Onion { key, port } => {
            kdf::<32>(labels::ACCESS_ONION, key, &[&port.to_le_bytes()])
        }
        Address::Tcp { port, .. } => tcp_access_key(*port),
        Address::None => tcp_access_key(0),
    }
}

/// [`access_key_for`] of a TCP address with this port.
pub(crate) fn tcp_access_key(port: u16) -> Secret<32> {
    kdf::<32>(labels::ACCESS_TCP, &[], &[&port.to_le_bytes()])
}

#[cfg(test)]
mod tests {
    use susurro_wire::Text;

    use super::*;

    fn tcp(host: &str, port: u16) -> Address {
        Address::Tcp {
            host: Text::new(host).unwrap(),
            port,
        }
    }

    #[test]
    fn tcp_key_depends_on_port_only() {
        assert_eq!(
            access_key_for(&tcp("127.0.0.1", 4000)),
            access_key_for(&tcp("example.org", 4000))
        );
        assert_ne!(
            access_key_for(&tcp("127.0.0.1", 4000)),
            access_key_for(&tcp("127.0.0.1", 4001))
        );
        let onion = Address::Onion {
            key: [1; 32],
            port: 4000,
        };
        assert_ne!(access_key_for(&onion), access_key_for(&tcp("h", 4000)));
        assert_ne!(
            access_key_for(&onion),
            access_key_for(&Address::Onion {
                key: [2; 32],
                port: 4000
            })
        );
    }
}
