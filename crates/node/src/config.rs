//! `config.toml` and the data locations, shared by the CLI and the desktop
//! (both read and write the same file).
//!
//! Without a home directory given: the configuration in
//! `$XDG_CONFIG_HOME/susurro` (~/.config/susurro) and the data (store file,
//! transport state) in `$XDG_DATA_HOME/susurro` (~/.local/share/susurro).
//! With one (`--home DIR`): both in `DIR`.
//!
//! ```toml
//! name = "alice"
//!
//! [network]
//! mode = "tor"          # "tor" (onion services) or "direct" (TCP)
//! host = "127.0.0.1"    # direct: the host others reach you at (your card)
//! port = 47000          # direct: TCP port; tor: the onion service's port
//! listen = "127.0.0.1"  # direct: the address the listener binds
//! onion = "….onion"     # tor: your onion address, recorded once known
//!
//! [audio]
//! bitrate = 16000       # Opus bit/s, wideband, constant: 32000 by default;
//!                       # 16000 is the low-bandwidth setting (slow direct links)
//!
//! [box]                 # a transport box (susurro-box) instead of
//! serial = "/dev/ttyACM0"  # transport in this process
//!
//! [tor]                 # only for a private Tor network (tests)
//! authorities = ["<40 hex: v3 identity>"]
//! fallbacks = [{ rsa = "<40 hex>", ed = "<64 hex>", or_port = "127.0.0.1:5000" }]
//! net_params = { hsdir_interval = 8 }
//! local_network = true
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use serde::{Deserialize, Serialize};
use susurro_transport::tor::TorSettings;
use susurro_wire::NetMode;

/// Default port: direct TCP calls and the onion service's virtual port.
pub const DEFAULT_PORT: u16 = 47_000;

/// Where things live.
#[derive(Debug, Clone)]
pub struct Home {
    /// Configuration directory.
    pub config_dir: PathBuf,
    /// Data directory (the store file, the transport's state).
    pub data_dir: PathBuf,
}

impl Home {
    /// `home`, or the XDG directories.
    ///
    /// # Errors
    /// No home directory is known (no `HOME`).
    pub fn locate(home: Option<&Path>) -> Result<Self> {
        if let Some(h) = home {
            return Ok(Self {
                config_dir: h.to_owned(),
                data_dir: h.to_owned(),
            });
        }
        let dirs = directories::ProjectDirs::from("", "", "susurro")
            .ok_or_else(|| anyhow!("no home directory found: set HOME or pass --home"))?;
        Ok(Self {
            config_dir: dirs.config_dir().to_owned(),
            data_dir: dirs.data_dir().to_owned(),
        })
    }

    /// The configuration file.
    #[must_use]
    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    /// The store file (identity and contacts, encrypted).
    #[must_use]
    pub fn store_file(&self) -> PathBuf {
        self.data_dir.join("store")
    }

    /// The transport's own directory: Tor's state and cache, and the
    /// onion service's key (in arti's keystore).
    #[must_use]
    pub fn transport_dir(&self) -> PathBuf {
        self.data_dir.join("transport")
    }

    /// Reads the configuration; `None` when there is none yet.
    ///
    /// # Errors
    /// The file cannot be read or is not valid.
    pub fn load(&self) -> Result<Option<Config>> {
        let path = self.config_file();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let cfg: Config =
            toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))?;
        // Check the Tor section now rather than at the first call.
        cfg.tor_settings()
            .with_context(|| format!("{} is not valid", path.display()))?;
        Ok(Some(cfg))
    }

    /// Writes the configuration (creating the directories), atomically.
    ///
    /// # Errors
    /// A directory or the file cannot be written.
    ///
    /// Directories it creates are its owner's only (0700 on Unix) and so
    /// is the file (0600): they name contacts' addresses and hold the key
    /// store and the onion service's keys.
    pub fn save(&self, cfg: &Config) -> Result<()> {
        self.create_dirs()?;
        let text = toml::to_string(cfg).context("cannot write the configuration")?;
        let path = self.config_file();
        let tmp = path.with_extension("toml.tmp");
        write_private(&tmp, text.as_bytes())
            .and_then(|()| std::fs::rename(&tmp, &path))
            .with_context(|| format!("cannot write {}", path.display()))
    }
}

impl Home {
    /// Creates the configuration and data directories if missing, those
    /// it creates its owner's only (0700 on Unix).
    ///
    /// # Errors
    /// A directory cannot be created.
    pub fn create_dirs(&self) -> Result<()> {
        create_private_dir(&self.config_dir)?;
        create_private_dir(&self.data_dir)
    }
}

/// Creates `dir` and its missing parents, those it creates 0700 on Unix
/// (an existing directory keeps its mode: it may be the user's own).
fn create_private_dir(dir: &Path) -> Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
}

/// Writes `path` anew, readable by its owner only (0600 on Unix).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    let mut f = o.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(bytes)?;
    f.sync_all()
}

/// `config.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Your name on your contact card.
    pub name: String,
    /// Network settings.
    pub network: Network,
    /// Audio settings.
    #[serde(default)]
    pub audio: Audio,
    /// Storage settings.
    #[serde(default)]
    pub storage: Storage,
    /// A private Tor network instead of the public one (tests).
    #[serde(default, skip_serializing_if = "Tor::is_public")]
    pub tor: Tor,
    /// `[box]`: a transport box (the network side on its own computer,
    /// `susurro-box`) instead of transport in this process.
    #[serde(
        default,
        rename = "box",
        skip_serializing_if = "TransportBox::is_unset"
    )]
    pub transport_box: TransportBox,
    /// `[messages]`: how many lines each conversation keeps and how long
    /// a message waits in the outbox.
    #[serde(default, skip_serializing_if = "Messages::is_unset")]
    pub messages: Messages,
    /// `[files]`: the largest file accepted and where received files go.
    #[serde(default, skip_serializing_if = "Files::is_unset")]
    pub files: Files,
}

/// `[messages]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Messages {
    /// Lines kept per conversation (default 1000; the oldest that are not
    /// queued go first).
    pub keep: Option<usize>,
    /// Days a message waits in the outbox before it is given up as "not
    /// delivered" (default 7).
    pub outbox_days: Option<u32>,
}

impl Messages {
    fn is_unset(&self) -> bool {
        *self == Self::default()
    }
}

/// `[files]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Files {
    /// The largest file accepted, in MB (10^6 bytes; default 100).
    pub max_mb: Option<u64>,
    /// Where received files are saved (default: `downloads` in the data
    /// directory).
    pub downloads: Option<PathBuf>,
}

impl Files {
    fn is_unset(&self) -> bool {
        *self == Self::default()
    }
}

/// `[box]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransportBox {
    /// Serial device of the link to the box (e.g. /dev/ttyACM0); `None`:
    /// transport runs in this process.
    pub serial: Option<String>,
}

impl TransportBox {
    /// True when no box is configured.
    #[must_use]
    pub fn is_unset(&self) -> bool {
        self.serial.is_none()
    }
}

/// How calls travel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Over Tor onion services (embedded Tor client).
    Tor,
    /// Direct TCP (a configuration written before `mode` existed).
    #[default]
    Direct,
}

impl Mode {
    /// The wire's network mode.
    #[must_use]
    pub fn net_mode(self) -> NetMode {
        match self {
            Self::Tor => NetMode::Tor,
            Self::Direct => NetMode::Direct,
        }
    }

    /// The mode a new identity gets: Tor when this build has it.
    #[must_use]
    pub fn preferred() -> Self {
        if crate::TOR { Self::Tor } else { Self::Direct }
    }
}

/// `[network]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// Tor or direct TCP.
    #[serde(default)]
    pub mode: Mode,
    /// Direct: host name or address others use to reach you (on your card).
    pub host: String,
    /// Direct: TCP port; Tor: the onion service's virtual port.
    pub port: u16,
    /// Direct: address the listener binds.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Tor: your onion address (`<56 base32>.onion`), recorded the first
    /// time the onion service runs, for your contact card. The service's
    /// key itself lives in the transport's directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onion: Option<String>,
}

impl Default for Network {
    fn default() -> Self {
        Self {
            mode: Mode::preferred(),
            host: "127.0.0.1".to_owned(),
            port: DEFAULT_PORT,
            listen: default_listen(),
            onion: None,
        }
    }
}

fn default_listen() -> String {
    "127.0.0.1".to_owned()
}

/// `[audio]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audio {
    /// Opus bitrate, bit/s, wideband constant bitrate (default 32000,
    /// `susurro_audio::DEFAULT_BITRATE`; 16000,
    /// `susurro_audio::LOW_BANDWIDTH_BITRATE`, is the low-bandwidth setting
    /// for slow direct links). Peers at different rates decode each other.
    pub bitrate: Option<u32>,
    /// Capture device name (default: the system's).
    pub input_device: Option<String>,
    /// Playback device name (default: the system's).
    pub output_device: Option<String>,
}

/// `[storage]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    /// Serial device of a storage token (default: the store file).
    pub serial: Option<String>,
    /// Key-derivation profile used at `init` ("host" or "test-only-insecure").
    pub profile: Option<String>,
}

pub use susurro_transport::tor::section::{Fallback, Tor};

impl Config {
    /// The Tor client's settings (from `[tor]`).
    ///
    /// # Errors
    /// An identity in `[tor]` is malformed, or authorities are given
    /// without fallbacks.
    pub fn tor_settings(&self) -> Result<TorSettings> {
        self.tor.settings().map_err(|e| anyhow!("{e}"))
    }

    /// The transport module's settings for this configuration, with its
    /// state under `home`.
    ///
    /// # Errors
    /// As [`Config::tor_settings`].
    pub fn transport(&self, home: &Home) -> Result<susurro_transport::ModuleConfig> {
        let mut t = susurro_transport::ModuleConfig {
            listen_host: self.network.listen.clone(),
            state_dir: Some(home.transport_dir()),
            ..susurro_transport::ModuleConfig::default()
        };
        if self.network.mode == Mode::Tor {
            // The same tuning as the transport box's (`susurro-box`).
            t.use_tor(self.tor_settings()?);
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const FULL: &str = r#"
name = "alice"

[network]
mode = "tor"
host = "127.0.0.1"
port = 47000
onion = "abc.onion"

[tor]
authorities = ["4911952DB6ECCEDDC216915763CF9DB5566D1958"]
fallbacks = [{ rsa = "4911952db6ecceddc216915763cf9db5566d1958", ed = "7af5ef42beeb3ce0621944b0953 47ef1f2bcb6209dda4d82aa82a449381b4441", or_port = "127.0.0.1:5000" }]
net_params = { hsdir_interval = 8 }
local_network = true
"#;

    #[test]
    fn private_network_round_trip() {
        let text = FULL.replace("0953 47", "095347");
        let cfg: Config = toml::from_str(&text).unwrap();
        assert_eq!(cfg.network.mode, Mode::Tor);
        assert_eq!(cfg.network.onion.as_deref(), Some("abc.onion"));
        let s = cfg.tor_settings().unwrap();
        assert_eq!(s.authorities[0][0], 0x49);
        assert_eq!(s.fallbacks[0].ed_identity[0], 0x7a);
        assert_eq!(s.net_params, vec![("hsdir_interval".to_owned(), 8)]);
        assert_eq!(s.subnet_prefixes, Some((33, 129)));
        // What a test writes from a TestNet's settings reads back the same.
        let again = Tor::from_settings(&s);
        assert_eq!(again.authorities[0], cfg.tor.authorities[0].to_lowercase());
        let cfg2 = Config {
            tor: again,
            ..cfg.clone()
        };
        let back: Config = toml::from_str(&toml::to_string(&cfg2).unwrap()).unwrap();
        assert_eq!(back.tor_settings().unwrap(), s);
    }

    #[test]
    fn both_bitrate_settings_fit_the_wire_voice_cap() {
        use susurro_audio::{CodecConfig, LOW_BANDWIDTH_BITRATE};
        use susurro_cryptor::session::VOICE_TAG_LEN;
        // No bitrate in the file: the default; 16000 is the low-bandwidth one.
        let cfg: Config = toml::from_str(FULL).unwrap();
        assert_eq!(cfg.audio.bitrate, None);
        let low: Config = toml::from_str(&format!("{FULL}\n[audio]\nbitrate = 16000\n")).unwrap();
        assert_eq!(low.audio.bitrate, Some(LOW_BANDWIDTH_BITRATE));
        // A sealed voice packet (payload and tag; the counter is `seq`)
        // fits the `Voice` message at either rate.
        for codec in [CodecConfig::wideband(), CodecConfig::low_bandwidth()] {
            let sealed = codec.packet_bytes() + VOICE_TAG_LEN;
            assert!(
                sealed <= susurro_wire::caps::VOICE,
                "{} bit/s: {sealed} B",
                codec.bitrate
            );
        }
        assert_eq!(CodecConfig::wideband().packet_bytes() + VOICE_TAG_LEN, 88);
        assert_eq!(
            CodecConfig::low_bandwidth().packet_bytes() + VOICE_TAG_LEN,
            48
        );
    }

    #[test]
    fn malformed_tor_sections_are_refused_with_the_field_named() {
        let cfg: Config = toml::from_str(FULL).unwrap();
        let e = cfg.tor_settings().unwrap_err().to_string();
        assert!(e.contains("fallbacks.ed"), "{e}");
        let mut c = cfg.clone();
        c.tor.fallbacks.clear();
        let e = c.tor_settings().unwrap_err().to_string();
        assert!(e.contains("need fallbacks"), "{e}");
        let t: Result<Config, _> = toml::from_str(&FULL.replace("\"tor\"", "\"onion\""));
        assert!(t.is_err());
    }

    #[test]
    fn messages_and_files_sections_round_trip_and_stay_out_when_unset() {
        let base = "name = \"bob\"\n[network]\nhost = \"h\"\nport = 1\n";
        let cfg: Config = toml::from_str(base).unwrap();
        assert_eq!(cfg.messages, Messages::default());
        let text = toml::to_string(&cfg).unwrap();
        assert!(
            !text.contains("[messages]") && !text.contains("[files]"),
            "{text}"
        );
        let cfg: Config = toml::from_str(&format!(
            "{base}[messages]\nkeep = 50\noutbox_days = 2\n[files]\nmax_mb = 5\ndownloads = \"/tmp/in\"\n"
        ))
        .unwrap();
        assert_eq!(cfg.messages.keep, Some(50));
        assert_eq!(cfg.messages.outbox_days, Some(2));
        assert_eq!(cfg.files.max_mb, Some(5));
        assert_eq!(cfg.files.downloads.as_deref(), Some(Path::new("/tmp/in")));
        let back: Config = toml::from_str(&toml::to_string(&cfg).unwrap()).unwrap();
        assert_eq!(back, cfg);
        assert!(toml::from_str::<Config>(&format!("{base}[files]\nmax = 5\n")).is_err());
    }

    #[test]
    fn a_configuration_without_mode_is_direct_and_the_public_network() {
        let cfg: Config =
            toml::from_str("name = \"bob\"\n[network]\nhost = \"h\"\nport = 1\n").unwrap();
        assert_eq!(cfg.network.mode, Mode::Direct);
        assert!(cfg.tor.is_public());
        assert_eq!(cfg.tor_settings().unwrap(), TorSettings::default());
        // The public network writes no [tor] section.
        assert!(!toml::to_string(&cfg).unwrap().contains("[tor]"));
    }

    #[test]
    fn a_transport_box_is_kept_and_absent_by_default() {
        let base = "name = \"bob\"\n[network]\nhost = \"h\"\nport = 1\n";
        let cfg: Config = toml::from_str(base).unwrap();
        assert!(cfg.transport_box.is_unset());
        assert!(!toml::to_string(&cfg).unwrap().contains("[box]"));
        let cfg: Config =
            toml::from_str(&format!("{base}[box]\nserial = \"/dev/ttyACM0\"\n")).unwrap();
        assert_eq!(cfg.transport_box.serial.as_deref(), Some("/dev/ttyACM0"));
        let back: Config = toml::from_str(&toml::to_string(&cfg).unwrap()).unwrap();
        assert_eq!(back, cfg);
    }

    #[test]
    fn transport_settings_follow_the_mode() {
        let home = Home::locate(Some(Path::new("/x"))).unwrap();
        let mut cfg: Config =
            toml::from_str("name = \"bob\"\n[network]\nhost = \"h\"\nport = 1\n").unwrap();
        let t = cfg.transport(&home).unwrap();
        assert!(t.tor.is_none());
        assert_eq!(t.state_dir.as_deref(), Some(Path::new("/x/transport")));
        cfg.network.mode = Mode::Tor;
        let t = cfg.transport(&home).unwrap();
        assert_eq!(t.tor, Some(TorSettings::default()));
        assert_eq!(t.jitter.target_depth, 5);
    }

    /// `save` makes what it creates its owner's only: the folders 0700,
    /// the configuration 0600 (it was 0644 in a 0755 folder).
    #[cfg(unix)]
    #[test]
    fn saved_files_and_created_folders_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let home = Home {
            config_dir: dir.path().join("conf/susurro"),
            data_dir: dir.path().join("data/susurro"),
        };
        home.save(&Config::default()).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&home.config_file()), 0o600);
        for d in [&home.config_dir, &home.data_dir, &dir.path().join("conf")] {
            assert_eq!(mode(d), 0o700, "{}", d.display());
        }
        // Saving again over a world-readable file tightens it.
        std::fs::set_permissions(home.config_file(), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        home.save(&Config::default()).unwrap();
        assert_eq!(mode(&home.config_file()), 0o600);
    }
}
