//! Configuration (`config.toml`) and data locations, as the CLI keeps them
//! (a copy of its small config module; the two read the same file).
//!
//! Without `--home`: the configuration in `$XDG_CONFIG_HOME/susurro`
//! (~/.config/susurro) and the store in `$XDG_DATA_HOME/susurro`
//! (~/.local/share/susurro). With `--home DIR`: both in `DIR`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use serde::{Deserialize, Serialize};

/// Default TCP port for direct calls.
pub const DEFAULT_PORT: u16 = 47_000;

/// Where things live.
#[derive(Debug, Clone)]
pub struct Home {
    /// Configuration directory.
    pub config_dir: PathBuf,
    /// Data directory (the store file).
    pub data_dir: PathBuf,
}

impl Home {
    /// `--home`, or the XDG directories.
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
    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    /// The desktop's own settings (`desktop.toml`: what the CLI's
    /// `config.toml`, which refuses unknown fields, has no place for).
    pub fn desktop_file(&self) -> PathBuf {
        self.config_dir.join("desktop.toml")
    }

    /// Reads `desktop.toml` (defaults when missing or unreadable).
    pub fn load_desktop(&self) -> Desktop {
        std::fs::read_to_string(self.desktop_file())
            .ok()
            .and_then(|t| toml::from_str(&t).ok())
            .unwrap_or_default()
    }

    /// Writes `desktop.toml`.
    pub fn save_desktop(&self, d: &Desktop) -> Result<()> {
        std::fs::create_dir_all(&self.config_dir)
            .with_context(|| format!("cannot create {}", self.config_dir.display()))?;
        let text = toml::to_string(d).context("cannot write the settings")?;
        std::fs::write(self.desktop_file(), text)
            .with_context(|| format!("cannot write {}", self.desktop_file().display()))
    }

    /// The store file (identity and contacts, encrypted).
    pub fn store_file(&self) -> PathBuf {
        self.data_dir.join("store")
    }

    /// Reads the configuration; `None` when there is none yet (first run).
    pub fn load(&self) -> Result<Option<Config>> {
        let path = self.config_file();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        toml::from_str(&text)
            .map(Some)
            .with_context(|| format!("{} is not valid", path.display()))
    }

    /// Writes the configuration (creating the directories).
    pub fn save(&self, cfg: &Config) -> Result<()> {
        std::fs::create_dir_all(&self.config_dir)
            .with_context(|| format!("cannot create {}", self.config_dir.display()))?;
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("cannot create {}", self.data_dir.display()))?;
        let text = toml::to_string(cfg).context("cannot write the configuration")?;
        let path = self.config_file();
        let tmp = path.with_extension("toml.tmp");
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .with_context(|| format!("cannot write {}", path.display()))
    }
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
}

/// `[network]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// Host name or address others use to reach you directly (on your card).
    pub host: String,
    /// TCP port for direct calls.
    pub port: u16,
    /// Address to listen on.
    #[serde(default = "default_listen")]
    pub listen: String,
}

impl Default for Network {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: DEFAULT_PORT,
            listen: default_listen(),
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
    /// Opus bitrate, bit/s (default 16000).
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

/// `desktop.toml`: settings only the GUI has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Desktop {
    /// Calls over Tor (`true`) or direct TCP. Direct is the default until
    /// the Tor transport is merged.
    pub tor: bool,
    /// Text and widget scale (1.0 = 100 %).
    pub zoom: f32,
}

impl Default for Desktop {
    fn default() -> Self {
        Self {
            tor: false,
            zoom: 1.0,
        }
    }
}
