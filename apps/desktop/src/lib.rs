#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod app;
pub mod backend;
pub mod config;
pub mod metrics;
pub mod qr;
pub mod words;

pub use crate::app::App;
pub use crate::backend::{Handle, Launch, Request, Snapshot};
pub use crate::metrics::Stats;

use susurro_wire::{Address, Text};

/// `host:port` as a direct TCP address (`[v6]:port` too), `None` if it is
/// not one.
pub fn parse_host_port(s: &str) -> Option<Address> {
    let (host, port) = s.trim().rsplit_once(':')?;
    let port: u16 = port.parse().ok().filter(|p| *p != 0)?;
    if host.is_empty() {
        return None;
    }
    Some(Address::Tcp {
        host: Text::new(host).ok()?,
        port,
    })
}

/// An address typed by hand: `<56 base32>.onion:port` (over Tor) or
/// `host:port` (direct TCP), `None` if it is neither.
pub fn parse_address(s: &str) -> Option<Address> {
    let (host, port) = s.trim().rsplit_once(':')?;
    if let Ok(key) = susurro_ui::uri::parse_onion_name(host) {
        let port: u16 = port.parse().ok().filter(|p| *p != 0)?;
        return Some(Address::Onion { key, port });
    }
    if host.trim().to_ascii_lowercase().ends_with(".onion") {
        // A mistyped onion address is no TCP host name.
        return None;
    }
    parse_host_port(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port() {
        assert!(matches!(
            parse_host_port("127.0.0.1:47000"),
            Some(Address::Tcp { port: 47000, .. })
        ));
        assert_eq!(parse_host_port("bob"), None);
        assert_eq!(parse_host_port("bob:0"), None);
        assert_eq!(parse_host_port(":5"), None);
    }

    #[test]
    fn onion_address() {
        // The ed25519 base point: a valid onion key.
        let mut key = [0x66; 32];
        key[0] = 0x58;
        let name = susurro_ui::uri::onion_name(&key);
        let a = parse_address(&format!("{name}.onion:47000"));
        assert!(
            matches!(a, Some(Address::Onion { port: 47000, .. })),
            "{a:?}"
        );
        assert!(matches!(
            parse_address("192.0.2.7:47000"),
            Some(Address::Tcp { .. })
        ));
        assert_eq!(parse_address(&format!("{name}.onion:0")), None);
        assert_eq!(parse_address("abcdef.onion:47000"), None);
    }
}
