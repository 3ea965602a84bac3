//! The `[tor]` section of a configuration file (feature `config`): a
//! private Tor network instead of the public one, as the front ends'
//! `config.toml` and the transport box's `box.toml` both write it.
//!
//! ```toml
//! [tor]
//! authorities = ["<40 hex: v3 identity>"]
//! fallbacks = [{ rsa = "<40 hex>", ed = "<64 hex>", or_port = "127.0.0.1:5000" }]
//! net_params = { hsdir_interval = 8 }
//! local_network = true
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{TorFallback, TorSettings};

/// `[tor]`: a private Tor network. Empty: the public Tor network.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tor {
    /// The directory authorities' v3 identities, 40 hex digits each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorities: Vec<String>,
    /// Directory caches to contact first (needed with `authorities`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fallbacks: Vec<Fallback>,
    /// Consensus parameters to override, e.g. `hsdir_interval`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub net_params: BTreeMap<String, i32>,
    /// Relays on 127.0.0.1: every address counts as distinct, local
    /// addresses are allowed, permission checks are off.
    #[serde(default)]
    pub local_network: bool,
}

/// A fallback directory cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fallback {
    /// RSA identity (relay fingerprint), 40 hex digits.
    pub rsa: String,
    /// Ed25519 identity, 64 hex digits.
    pub ed: String,
    /// `ORPort`.
    pub or_port: SocketAddr,
}

/// A `[tor]` section that does not describe a network; the message names
/// the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionError(String);

impl fmt::Display for SectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SectionError {}

fn hex_array<const N: usize>(what: &str, s: &str) -> Result<[u8; N], SectionError> {
    let mut out = [0u8; N];
    hex::decode_to_slice(s.trim(), &mut out)
        .map_err(|_| SectionError(format!("[tor] {what} must be {} hex digits: {s:?}", 2 * N)))?;
    Ok(out)
}

impl Tor {
    /// True for the public Tor network (nothing set).
    #[must_use]
    pub fn is_public(&self) -> bool {
        self == &Self::default()
    }

    /// The section describing `s` (a private network's settings).
    #[must_use]
    pub fn from_settings(s: &TorSettings) -> Self {
        Self {
            authorities: s.authorities.iter().map(hex::encode).collect(),
            fallbacks: s
                .fallbacks
                .iter()
                .map(|f| Fallback {
                    rsa: hex::encode(f.rsa_identity),
                    ed: hex::encode(f.ed_identity),
                    or_port: f.or_port,
                })
                .collect(),
            net_params: s.net_params.iter().cloned().collect(),
            local_network: s.allow_local_addrs,
        }
    }

    /// The Tor client's settings.
    ///
    /// # Errors
    /// An identity is malformed, or authorities are given without
    /// fallbacks (or the reverse).
    pub fn settings(&self) -> Result<TorSettings, SectionError> {
        let mut s = if self.local_network {
            TorSettings::test_network()
        } else {
            TorSettings::default()
        };
        for a in &self.authorities {
            s.authorities.push(hex_array("authorities", a)?);
        }
        for f in &self.fallbacks {
            s.fallbacks.push(TorFallback {
                rsa_identity: hex_array("fallbacks.rsa", &f.rsa)?,
                ed_identity: hex_array("fallbacks.ed", &f.ed)?,
                or_port: f.or_port,
            });
        }
        if !s.authorities.is_empty() && s.fallbacks.is_empty() {
            return Err(SectionError(
                "[tor] authorities need fallbacks (directory caches to reach first)".to_owned(),
            ));
        }
        if s.authorities.is_empty() && !s.fallbacks.is_empty() {
            return Err(SectionError(
                "[tor] fallbacks without authorities: give both, or neither for the public Tor network"
                    .to_owned(),
            ));
        }
        s.net_params = self
            .net_params
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        if self.local_network {
            // A private network is fast: give up on a connection sooner.
            s.connect_timeout = Duration::from_secs(60);
        }
        Ok(s)
    }
}
