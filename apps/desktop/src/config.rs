//! Settings. `config.toml` is the one the CLI reads and writes
//! ([`susurro_node::config`], re-exported here): name, network mode (Tor or
//! direct TCP), ports, the recorded onion address, audio devices, storage.
//! `desktop.toml` beside it holds what only the window has (the display
//! size, the folder received files go to), because `config.toml` refuses
//! unknown fields.

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
pub use susurro_node::config::{Audio, Config, DEFAULT_PORT, Home, Mode, Network, Storage, Tor};

/// `desktop.toml`: settings only the GUI has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Desktop {
    /// Text and widget scale (1.0 = 100 %).
    pub zoom: f32,
    /// Where received files are saved (`None`: [`default_downloads`], as
    /// the CLI's `--downloads` default).
    pub downloads: Option<PathBuf>,
}

impl Default for Desktop {
    fn default() -> Self {
        Self {
            zoom: 1.0,
            downloads: None,
        }
    }
}

impl Desktop {
    /// The folder received files go to in `home`.
    pub fn downloads_in(&self, home: &Home) -> PathBuf {
        self.downloads
            .clone()
            .unwrap_or_else(|| default_downloads(home))
    }
}

/// The message history's directory (`<data dir>/history`, as the CLI's).
pub fn history_dir(home: &Home) -> PathBuf {
    home.data_dir.join("history")
}

/// The transfer store's directory (`<data dir>/transfers`: records and
/// partial data), as the CLI's.
pub fn transfers_dir(home: &Home) -> PathBuf {
    home.data_dir.join("transfers")
}

/// Where received files go unless Settings say otherwise
/// (`<data dir>/downloads`, the CLI's default too).
pub fn default_downloads(home: &Home) -> PathBuf {
    home.data_dir.join("downloads")
}

/// The desktop's own settings file, beside `config.toml`.
pub fn desktop_file(home: &Home) -> PathBuf {
    home.config_dir.join("desktop.toml")
}

/// Reads `desktop.toml` (defaults when missing or unreadable; fields it
/// no longer has, such as the former `tor`, are ignored).
pub fn load_desktop(home: &Home) -> Desktop {
    std::fs::read_to_string(desktop_file(home))
        .ok()
        .and_then(|t| toml::from_str(&t).ok())
        .unwrap_or_default()
}

/// Writes `desktop.toml`.
///
/// # Errors
/// The directory or the file cannot be written.
pub fn save_desktop(home: &Home, d: &Desktop) -> Result<()> {
    std::fs::create_dir_all(&home.config_dir)
        .with_context(|| format!("cannot create {}", home.config_dir.display()))?;
    let text = toml::to_string(d).context("cannot write the settings")?;
    let path = desktop_file(home);
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn an_old_desktop_file_with_tor_still_reads() {
        let dir = std::env::temp_dir().join(format!("susurro-desk-{}", std::process::id()));
        let home = Home::locate(Some(&dir)).unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(desktop_file(&home), "tor = true\nzoom = 1.5\n").unwrap();
        assert_eq!(load_desktop(&home).zoom, 1.5);
        assert_eq!(load_desktop(&home).downloads, None);
        let d = Desktop {
            zoom: 2.0,
            downloads: Some(dir.join("received")),
        };
        save_desktop(&home, &d).unwrap();
        assert_eq!(load_desktop(&home), d);
        assert_eq!(d.downloads_in(&home), dir.join("received"));
        assert_eq!(
            Desktop::default().downloads_in(&home),
            home.data_dir.join("downloads")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
