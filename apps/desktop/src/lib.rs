#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod app;
pub mod backend;
pub mod config;
pub mod qr;
pub mod words;

pub use crate::app::{App, Stats};
pub use crate::backend::{Handle, Launch, Request, Snapshot};

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
}
