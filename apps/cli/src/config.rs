//! Configuration (`config.toml`) and data locations.
//!
//! Without `--home`: the configuration in `$XDG_CONFIG_HOME/susurro`
//! (~/.config/susurro) and the store in `$XDG_DATA_HOME/susurro`
//! (~/.local/share/susurro). With `--home DIR`: both in `DIR`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::exit::Failure;

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
    pub fn locate(home: Option<&Path>) -> Result<Self, Failure> {
        if let Some(h) = home {
            return Ok(Self {
                config_dir: h.to_owned(),
                data_dir: h.to_owned(),
            });
        }
        let dirs = directories::ProjectDirs::from("", "", "susurro")
            .ok_or_else(|| Failure::usage("no home directory found: set HOME or pass --home"))?;
        Ok(Self {
            config_dir: dirs.config_dir().to_owned(),
            data_dir: dirs.data_dir().to_owned(),
        })
    }

    /// The configuration file.
    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    /// The store file (identity and contacts, encrypted).
    pub fn store_file(&self) -> PathBuf {
        self.data_dir.join("store")
    }

    /// Reads the configuration; a missing file means "not initialised".
    pub fn load(&self) -> Result<Config, Failure> {
        let path = self.config_file();
        let text = std::fs::read_to_string(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Failure::new(
                    crate::exit::Code::Store,
                    format!(
                        "no identity here ({} is missing): run `susurro-cli init --name <you>` first",
                        path.display()
                    ),
                )
            } else {
                Failure::error(format!("cannot read {}: {e}", path.display()))
            }
        })?;
        toml::from_str(&text)
            .map_err(|e| Failure::usage(format!("{} is not valid: {e}", path.display())))
    }

    /// Writes the configuration (creating the directories).
    pub fn save(&self, cfg: &Config) -> Result<(), Failure> {
        std::fs::create_dir_all(&self.config_dir).map_err(|e| {
            Failure::error(format!("cannot create {}: {e}", self.config_dir.display()))
        })?;
        std::fs::create_dir_all(&self.data_dir).map_err(|e| {
            Failure::error(format!("cannot create {}: {e}", self.data_dir.display()))
        })?;
        let text = toml::to_string(cfg)
            .map_err(|e| Failure::error(format!("cannot write the configuration: {e}")))?;
        let path = self.config_file();
        let tmp = path.with_extension("toml.tmp");
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| Failure::error(format!("cannot write {}: {e}", path.display())))
    }
}

/// `config.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
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

fn default_listen() -> String {
    "127.0.0.1".to_owned()
}

/// `[audio]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    /// Serial device of a storage token (default: the store file).
    pub serial: Option<String>,
    /// Key-derivation profile used at `init` ("host" or "test-only-insecure").
    pub profile: Option<String>,
}
