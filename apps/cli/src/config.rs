//! The configuration (`config.toml`, [`susurro_node::config`]) with the
//! CLI's failures: a missing file means "run `init` first".

use std::path::Path;

pub use susurro_node::config::{
    Audio, Config, DEFAULT_PORT, Files, Home, Messages, Mode, Network, Storage, Tor, TransportBox,
};

use crate::exit::{Code, Failure};

/// `--home`, or the XDG directories.
pub fn locate(home: Option<&Path>) -> Result<Home, Failure> {
    Home::locate(home).map_err(|e| Failure::usage(format!("{e:#}")))
}

/// Reads the configuration; a missing file means "not initialised".
pub fn load(home: &Home) -> Result<Config, Failure> {
    match home.load() {
        Ok(Some(cfg)) => Ok(cfg),
        Ok(None) => Err(Failure::new(
            Code::Store,
            format!(
                "no identity here ({} is missing): run `susurro-cli init --name <you>` first",
                home.config_file().display()
            ),
        )),
        Err(e) => Err(Failure::usage(format!("{e:#}"))),
    }
}

/// Writes the configuration (creating the directories).
pub fn save(home: &Home, cfg: &Config) -> Result<(), Failure> {
    home.save(cfg).map_err(|e| Failure::error(format!("{e:#}")))
}
