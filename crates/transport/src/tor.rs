//! Tor: the settings of the embedded arti client ([`TorSettings`], always
//! compiled so a front end can carry them) and, with the `tor` feature, the
//! client, onion addresses and the onion service the module runs.
//!
//! The module bootstraps arti in-process (no tor daemon), keeps its state
//! (and the onion service's identity key, in arti's keystore) under
//! `ModuleConfig::state_dir`, and publishes one v3 onion service named
//! [`TorSettings::nickname`]: the same onion address across restarts.

#[cfg(feature = "config")]
pub mod section;

use core::time::Duration;
use std::net::SocketAddr;

/// The virtual port of our onion service when `NetworkConfig.port` is 0.
pub const DEFAULT_ONION_PORT: u16 = 47000;

/// A directory cache arti contacts first (its identities and `ORPort`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TorFallback {
    /// RSA identity (relay fingerprint).
    pub rsa_identity: [u8; 20],
    /// Ed25519 identity.
    pub ed_identity: [u8; 32],
    /// `ORPort` address.
    pub or_port: SocketAddr,
}

/// Settings of the embedded Tor client. The default is the public Tor
/// network with arti's defaults; [`TorSettings::test_network`] and the
/// `testnet` feature's `TestNet::tor_settings` give a private network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TorSettings {
    /// Directory authority v3 identities; empty: the public network's.
    pub authorities: Vec<[u8; 20]>,
    /// Fallback directory caches; must be set when `authorities` is.
    pub fallbacks: Vec<TorFallback>,
    /// Consensus parameters to override (`override_net_params`), e.g.
    /// `hsdir_interval`.
    pub net_params: Vec<(String, i32)>,
    /// Subnet prefix lengths (IPv4, IPv6) under which two relays count as
    /// one family; `Some((33, 129))` makes every address distinct (a
    /// network on 127.0.0.1). `None`: arti's default (16, 32).
    pub subnet_prefixes: Option<(u8, u8)>,
    /// Allow connections to local addresses (relays on 127.0.0.1).
    pub allow_local_addrs: bool,
    /// Skip arti's file-permission checks of the state and cache
    /// directories (tests in shared temporary directories).
    pub trust_all_permissions: bool,
    /// Nickname of our onion service in arti's keystore.
    pub nickname: String,
    /// Time allowed for one connection to an onion service (default 120 s:
    /// the first one fetches a descriptor and builds three circuits).
    pub connect_timeout: Duration,
}

impl Default for TorSettings {
    fn default() -> Self {
        Self {
            authorities: Vec::new(),
            fallbacks: Vec::new(),
            net_params: Vec::new(),
            subnet_prefixes: None,
            allow_local_addrs: false,
            trust_all_permissions: false,
            nickname: "susurro".to_owned(),
            connect_timeout: Duration::from_secs(120),
        }
    }
}

impl TorSettings {
    /// A private network on 127.0.0.1: every address distinct, local
    /// addresses allowed, permission checks off. Add its authorities,
    /// fallbacks and `hsdir_interval`.
    #[must_use]
    pub fn test_network() -> Self {
        Self {
            subnet_prefixes: Some((33, 129)),
            allow_local_addrs: true,
            trust_all_permissions: true,
            connect_timeout: Duration::from_secs(60),
            ..Self::default()
        }
    }
}

#[cfg(feature = "tor")]
pub(crate) use enabled::*;
#[cfg(feature = "tor")]
pub use enabled::{onion_host, parse_onion};

#[cfg(feature = "tor")]
mod enabled {
    use std::path::Path;
    use std::str::FromStr;
    use std::sync::Arc;

    use arti_client::config::{BoolOrAuto, TorClientConfigBuilder, dir};
    use arti_client::{
        BootstrapBehavior, DataStream, IsolationToken, StreamPrefs, TorClient, TorClientConfig,
    };
    use safelog::DisplayRedacted as _;
    use tor_hsservice::{HsId, HsNickname, OnionServiceConfig, RunningOnionService};
    use tor_rtcompat::PreferredRuntime;

    use super::TorSettings;

    /// The arti client the module runs.
    pub(crate) type Client = TorClient<PreferredRuntime>;

    /// `<base32>.onion` of an onion service key.
    #[must_use]
    pub fn onion_host(key: &[u8; 32]) -> String {
        HsId::from(*key).display_unredacted().to_string()
    }

    /// The key of a `<base32>.onion` name (checksum and version checked).
    #[must_use]
    pub fn parse_onion(host: &str) -> Option<[u8; 32]> {
        let id = HsId::from_str(host).ok()?;
        let bytes: &[u8] = id.as_ref();
        bytes.try_into().ok()
    }

    /// Installs rustls' ring provider as the process default (once; later
    /// calls are no-ops).
    pub(crate) fn install_crypto_provider() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }

    /// arti's configuration for these settings, state under
    /// `state_dir/arti/{state,cache}` (arti's default directories without
    /// one).
    pub(crate) fn client_config(
        s: &TorSettings,
        state_dir: Option<&Path>,
    ) -> Result<TorClientConfig, String> {
        let mut b = match state_dir {
            Some(d) => TorClientConfigBuilder::from_directories(
                d.join("arti").join("state"),
                d.join("arti").join("cache"),
            ),
            None => TorClientConfigBuilder::default(),
        };
        if s.trust_all_permissions {
            b.storage().permissions().dangerously_trust_everyone();
        }
        if !s.authorities.is_empty() {
            let mut auth = dir::AuthorityContacts::builder();
            for v3 in &s.authorities {
                auth.v3idents().push((*v3).into());
            }
            *b.tor_network().authorities() = auth;
            let mut fallbacks = Vec::new();
            for f in &s.fallbacks {
                let mut fb = dir::FallbackDir::builder();
                fb.rsa_identity(f.rsa_identity.into())
                    .ed_identity(f.ed_identity.into())
                    .orports()
                    .push(f.or_port);
                fallbacks.push(fb);
            }
            b.tor_network().set_fallback_caches(fallbacks);
        }
        for (k, v) in &s.net_params {
            b.override_net_params().insert(k.clone(), *v);
        }
        if let Some((v4, v6)) = s.subnet_prefixes {
            b.path_rules()
                .ipv4_subnet_family_prefix(v4)
                .ipv6_subnet_family_prefix(v6);
        }
        b.address_filter()
            .allow_local_addrs(s.allow_local_addrs)
            .allow_onion_addrs(true);
        b.build().map_err(|e| e.to_string())
    }

    /// An unbootstrapped client (it bootstraps on demand too).
    pub(crate) fn create_client(cfg: TorClientConfig) -> Result<Arc<Client>, String> {
        install_crypto_provider();
        let rt = PreferredRuntime::current().map_err(|e| e.to_string())?;
        TorClient::with_runtime(rt)
            .config(cfg)
            .bootstrap_behavior(BootstrapBehavior::OnDemand)
            .create_unbootstrapped()
            .map_err(|e| e.to_string())
    }

    /// Opens a stream to `key:port` on a circuit isolated by `isolation`.
    pub(crate) async fn connect(
        client: &Client,
        key: &[u8; 32],
        port: u16,
        isolation: IsolationToken,
    ) -> Result<DataStream, arti_client::Error> {
        let mut prefs = StreamPrefs::new();
        prefs
            .set_isolation(isolation)
            .connect_to_onion_services(BoolOrAuto::Explicit(true));
        client
            .connect_with_prefs((onion_host(key).as_str(), port), &prefs)
            .await
    }

    /// Launches our onion service; `None` if arti refused it as disabled.
    #[allow(clippy::type_complexity)]
    pub(crate) fn launch_service(
        client: &Client,
        nickname: &str,
    ) -> Result<
        (
            Arc<RunningOnionService>,
            impl futures::Stream<Item = tor_hsservice::RendRequest> + use<>,
        ),
        String,
    > {
        let nick = HsNickname::new(nickname.to_owned()).map_err(|e| e.to_string())?;
        let mut b = OnionServiceConfig::builder();
        b.nickname(nick);
        let cfg = b.build().map_err(|e| e.to_string())?;
        client
            .launch_onion_service(cfg)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "onion service disabled".to_owned())
    }

    /// Our onion service's key.
    pub(crate) fn service_key(svc: &RunningOnionService) -> Option<[u8; 32]> {
        let id = svc.onion_address()?;
        let bytes: &[u8] = id.as_ref();
        bytes.try_into().ok()
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn onion_names_round_trip() {
            let key = [7u8; 32];
            let host = onion_host(&key);
            assert!(host.ends_with(".onion") && host.len() == 62, "{host}");
            assert_eq!(parse_onion(&host), Some(key));
            assert_eq!(parse_onion(&host.to_uppercase()), Some(key));
            let mut bad = host.into_bytes();
            bad[3] = if bad[3] == b'a' { b'b' } else { b'a' };
            assert_eq!(parse_onion(&String::from_utf8(bad).unwrap()), None);
        }
    }
}
