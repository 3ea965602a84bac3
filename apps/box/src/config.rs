//! `/etc/susurro/box.toml`: the serial link, the network mode and the
//! state directory. Every value is checked when the file is read, and a
//! bad one is refused with its name, what was given and what is allowed.
//!
//! ```toml
//! state_dir = "/var/lib/susurro-box"  # Tor's state and the onion key
//!                                     # (top-level keys before [sections])
//! # [tor]: a private Tor network (tests), as in config.toml
//!
//! [link]
//! device = "/dev/susurro-link"   # the serial device to the trusted side
//! baud = 115200                  # UART rate (USB CDC ACM and ptys ignore it)
//!
//! [network]
//! mode = "tor"                   # "tor" (onion services) or "direct" (TCP)
//! listen = "0.0.0.0"             # direct: the address the listener binds
//! port = 47000                   # optional: the port to serve on, whatever
//!                                # the trusted side asks for
//! ```

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use susurro_transport::tor::TorSettings;
use susurro_transport::tor::section::Tor;
use susurro_wire::NetMode;

/// Where the service reads its configuration unless `--config` says.
pub const DEFAULT_PATH: &str = "/etc/susurro/box.toml";

/// The state directory unless the file names one (systemd's
/// `StateDirectory=susurro-box`).
pub const DEFAULT_STATE_DIR: &str = "/var/lib/susurro-box";

/// The serial device unless the file names one (the packaged udev rule's
/// symlink).
pub const DEFAULT_DEVICE: &str = "/dev/susurro-link";

/// The rates a UART on a Raspberry Pi (and common USB adapters) take.
pub const BAUD_RATES: [u32; 12] = [
    9_600, 19_200, 38_400, 57_600, 115_200, 230_400, 460_800, 500_000, 921_600, 1_000_000,
    2_000_000, 3_000_000,
];

/// The file as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    link: LinkSection,
    #[serde(default)]
    network: NetworkSection,
    state_dir: Option<PathBuf>,
    /// A private Tor network (tests), as in the front ends' config.toml.
    #[serde(default)]
    tor: Tor,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkSection {
    device: Option<PathBuf>,
    baud: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NetworkSection {
    mode: Option<String>,
    listen: Option<String>,
    port: Option<i64>,
}

/// The box's settings, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxConfig {
    /// Serial device of the link to the trusted side.
    pub device: PathBuf,
    /// Its baud rate.
    pub baud: u32,
    /// The network mode this box serves.
    pub mode: NetMode,
    /// Direct mode: the address the listener binds.
    pub listen: IpAddr,
    /// The port to serve on instead of the one the trusted side asks for.
    pub port: Option<u16>,
    /// Tor's state and cache, and the onion service's key.
    pub state_dir: PathBuf,
    /// The Tor client's settings (the public network unless `[tor]`
    /// names a private one).
    pub tor: TorSettings,
}

impl BoxConfig {
    /// Reads and checks the file at `path`.
    ///
    /// # Errors
    /// The file cannot be read, is not TOML, has an unknown key, or a
    /// value is out of range (the message names it).
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "cannot read the configuration {} (pass --config FILE, or see `susurro-box --help`)",
                path.display()
            )
        })?;
        Self::parse(&text).with_context(|| format!("{} is not valid", path.display()))
    }

    /// Checks the text of a configuration file.
    ///
    /// # Errors
    /// As [`BoxConfig::load`].
    pub fn parse(text: &str) -> Result<Self> {
        let f: File = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        let device = f
            .link
            .device
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DEVICE));
        if !device.is_absolute() {
            bail!(
                "[link] device must be an absolute path such as /dev/ttyACM0, not {:?}",
                device.display().to_string()
            );
        }
        let baud = f.link.baud.unwrap_or(115_200);
        if !BAUD_RATES.contains(&baud) {
            bail!("[link] baud {baud} is not a supported rate: use one of {BAUD_RATES:?}");
        }
        let mode = match f.network.mode.as_deref() {
            None | Some("tor") => NetMode::Tor,
            Some("direct") => NetMode::Direct,
            Some(other) => bail!("[network] mode must be \"tor\" or \"direct\", not {other:?}"),
        };
        if mode == NetMode::Tor && !crate::TOR {
            bail!(
                "[network] mode \"tor\": this build of susurro-box has no Tor (built without the `tor` feature); use \"direct\""
            );
        }
        let listen = match f.network.listen.as_deref() {
            None => IpAddr::from([0, 0, 0, 0]),
            Some(s) => s.parse().map_err(|_| {
                anyhow::anyhow!(
                    "[network] listen must be an IP address such as 0.0.0.0 or 192.168.1.20, not {s:?}"
                )
            })?,
        };
        let port = match f.network.port {
            None => None,
            Some(p) => Some(
                u16::try_from(p)
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| anyhow::anyhow!("[network] port must be 1..=65535, not {p}"))?,
            ),
        };
        let state_dir = f
            .state_dir
            .unwrap_or_else(|| PathBuf::from(DEFAULT_STATE_DIR));
        if !state_dir.is_absolute() {
            bail!(
                "state_dir must be an absolute path such as {DEFAULT_STATE_DIR}, not {:?}",
                state_dir.display().to_string()
            );
        }
        let tor = f.tor.settings()?;
        if mode == NetMode::Direct && !f.tor.is_public() {
            bail!(
                "[tor] describes a Tor network, but [network] mode is \"direct\": remove [tor] or set mode = \"tor\""
            );
        }
        Ok(Self {
            device,
            baud,
            mode,
            listen,
            port,
            state_dir,
            tor,
        })
    }

    /// The transport module's settings: what a front end uses for the
    /// same mode (`susurro_node::Config::transport`), with the state under
    /// [`Self::state_dir`].
    #[must_use]
    pub fn transport(&self) -> susurro_transport::ModuleConfig {
        let mut t = susurro_transport::ModuleConfig {
            listen_host: self.listen.to_string(),
            state_dir: Some(self.state_dir.clone()),
            ..susurro_transport::ModuleConfig::default()
        };
        if self.mode == NetMode::Tor {
            t.use_tor(self.tor.clone());
        }
        t
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn err(text: &str) -> String {
        format!("{:#}", BoxConfig::parse(text).unwrap_err())
    }

    #[test]
    fn an_empty_file_gives_the_packaged_defaults() {
        let c = BoxConfig::parse("").unwrap();
        assert_eq!(c.device, Path::new(DEFAULT_DEVICE));
        assert_eq!(c.baud, 115_200);
        assert_eq!(c.listen.to_string(), "0.0.0.0");
        assert_eq!(c.port, None);
        assert_eq!(c.state_dir, Path::new(DEFAULT_STATE_DIR));
        if crate::TOR {
            assert_eq!(c.mode, NetMode::Tor);
            let t = c.transport();
            assert!(t.tor.is_some());
            assert_eq!(t.jitter.target_depth, 5, "the Tor jitter profile");
            assert_eq!(t.state_dir.as_deref(), Some(Path::new(DEFAULT_STATE_DIR)));
        }
    }

    #[test]
    fn the_packaged_file_is_valid() {
        let c = BoxConfig::parse(include_str!("../debian/box.toml")).unwrap();
        assert_eq!(c.device, Path::new(DEFAULT_DEVICE));
    }

    #[test]
    fn direct_mode_gets_the_lan_settings() {
        let c = BoxConfig::parse(
            "[network]\nmode = \"direct\"\nlisten = \"127.0.0.1\"\nport = 4000\n[link]\ndevice = \"/dev/ttyUSB0\"\nbaud = 921600\n",
        )
        .unwrap();
        assert_eq!(c.mode, NetMode::Direct);
        assert_eq!(c.port, Some(4000));
        assert_eq!(c.baud, 921_600);
        let t = c.transport();
        assert!(t.tor.is_none());
        assert_eq!(t.listen_host, "127.0.0.1");
        assert_eq!(t.jitter.target_depth, 2, "the LAN jitter profile");
    }

    #[test]
    fn each_bad_value_is_named() {
        let cases = [
            ("[link]\ndevice = \"ttyACM0\"\n", "[link] device"),
            ("[link]\nbaud = 12345\n", "[link] baud 12345"),
            ("[link]\nbaud = -1\n", "baud"),
            ("[network]\nmode = \"udp\"\n", "[network] mode"),
            ("[network]\nlisten = \"example.org\"\n", "[network] listen"),
            ("[network]\nport = 0\n", "[network] port"),
            ("[network]\nport = 70000\n", "[network] port"),
            ("state_dir = \"var/lib/x\"\n", "state_dir"),
            ("[link]\nspeed = 9600\n", "unknown field `speed`"),
            ("[network\n", "TOML"),
            ("[tor]\nauthorities = [\"zz\"]\n", "[tor] authorities"),
            (
                "[network]\nmode = \"direct\"\n[tor]\nlocal_network = true\n",
                "mode is \"direct\"",
            ),
        ];
        for (text, needle) in cases {
            let e = err(text);
            assert!(e.contains(needle), "{text:?} gave {e:?}");
        }
    }

    #[test]
    fn a_missing_file_says_how_to_name_another() {
        let e = format!(
            "{:#}",
            BoxConfig::load(Path::new("/nonexistent/box.toml")).unwrap_err()
        );
        assert!(
            e.contains("/nonexistent/box.toml") && e.contains("--config"),
            "{e}"
        );
    }
}
