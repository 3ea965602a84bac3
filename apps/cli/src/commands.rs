//! The commands that talk to the modules through the ui core.

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use susurro_audio::{CodecConfig, ProcessingConfig};
use susurro_host::{Clock, HostBuilder, LinkSpec};
use susurro_storage::{FileStore, Profile};
use susurro_ui::uri::{self, ContactCard};
use susurro_ui::{Action, Phase, UiEvent, UserError, View};
use susurro_wire::{
    Address, CallTarget, CompareOutcome, Contact, ContactId, EndReason, ModuleId, Name, NetMode,
    ReceiptKind, StoreState, Text,
};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::time::Instant;

use crate::config::{self, Config, Home, Mode, Network};
use crate::exit::{Code, Failure};
use crate::files;
use crate::front::{Front, print_line};
use crate::messages;
use crate::{CallOpts, Global, NetworkArg, ProfileArg, Setup};
use susurro_front::{AcceptPolicy, Filing, Messaging, SessionEnd};
use susurro_node::AudioSpec;
use susurro_node::{Node, NodeConfig, StorageSpec};

const STORE_WAIT: Duration = Duration::from_secs(30);

/// Prints an event: JSON with `--json`, else the sentence.
pub fn emit(g: &Global, v: serde_json::Value, text: impl FnOnce() -> String) {
    out(g, v, text);
}

fn out(g: &Global, v: serde_json::Value, text: impl FnOnce() -> String) {
    if g.json {
        print_line(&v.to_string());
    } else {
        print_line(&text());
    }
}

fn storage_spec(g: &Global, home: &Home, cfg: Option<&Config>, profile: Profile) -> StorageSpec {
    let serial = g
        .storage_serial
        .clone()
        .or_else(|| cfg.and_then(|c| c.storage.serial.clone()));
    match serial {
        Some(device) => StorageSpec::Serial { device },
        None => StorageSpec::InProcess {
            store: home.store_file(),
            profile,
        },
    }
}

fn profile_of(cfg: &Config) -> Profile {
    match cfg.storage.profile.as_deref() {
        Some("test-only-insecure") => Profile::TEST_ONLY_INSECURE,
        _ => Profile::HOST,
    }
}

fn node_config(storage: StorageSpec, calls: bool) -> NodeConfig {
    NodeConfig {
        storage,
        calls,
        audio: AudioSpec::default(),
        codec: CodecConfig::wideband(),
        processing: ProcessingConfig::default(),
        transport: susurro_transport::ModuleConfig::default(),
        transport_serial: None,
    }
}

/// Waits until the store's state is known.
async fn store_state(front: &mut Front) -> Result<StoreState, Failure> {
    front
        .wait_for(STORE_WAIT, "the key store", |v, _| {
            if !v.store.connected {
                return Some(Err(Failure::new(
                    Code::Store,
                    "the key store is not connected (is the token plugged in / the storage module running?)",
                )));
            }
            v.store.state.map(Ok)
        })
        .await
}

/// Unlocks the store (asking for the password if needed).
async fn unlock(g: &Global, front: &mut Front) -> Result<(), Failure> {
    match store_state(front).await? {
        StoreState::Unlocked => return Ok(()),
        StoreState::Locked => {}
        StoreState::NoIdentity => {
            return Err(Failure::new(
                Code::Store,
                "the key store holds no identity: run `susurro-cli init --name <you>`",
            ));
        }
        StoreState::LockedOut => return Err(locked_out(front.view().store.retry_after_s)),
        StoreState::Wiped => {
            return Err(Failure::new(
                Code::Store,
                "the key store was wiped after too many wrong PINs: restore a backup",
            ));
        }
        StoreState::Damaged => {
            return Err(Failure::new(
                Code::Store,
                "the key store is damaged: restore a backup",
            ));
        }
    }
    let pw = crate::password::read(g.password_file.as_deref(), false)?;
    front.act(Action::Unlock { password: &pw })?;
    drop(pw);
    wait_unlocked(front, "unlocking").await
}

/// The refusal while a lockout runs. The wait counts down across runs of
/// the program (from the store file's last write), so "try again in" is
/// true whether this process stays or not.
fn locked_out(secs: u32) -> Failure {
    let wait = match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    };
    Failure::new(
        Code::Password,
        format!("too many wrong passwords: try again in {wait}"),
    )
}

async fn wait_unlocked(front: &mut Front, what: &str) -> Result<(), Failure> {
    front
        .wait_for(Duration::from_secs(60), what, |v, ev| {
            // Only the unlock's own outcome counts: refusals of requests sent
            // before it (a key asked for while still locked) may arrive later.
            match ev {
                Some(UiEvent::Error(
                    e @ (UserError::WrongPassword { .. }
                    | UserError::LockedOut { .. }
                    | UserError::BadPassword),
                )) => return Some(Err(Failure::new(Code::Password, e.to_string()))),
                Some(UiEvent::Error(
                    e @ (UserError::Wiped
                    | UserError::NoIdentity
                    | UserError::IdentityExists
                    | UserError::StoreDamaged
                    | UserError::StoreIo
                    | UserError::StorageDisconnected),
                )) => return Some(Err(Failure::new(Code::Store, e.to_string()))),
                _ => {}
            }
            match v.store.state {
                Some(StoreState::Unlocked) if !v.store.busy => Some(Ok(())),
                Some(StoreState::LockedOut) => Some(Err(locked_out(v.store.retry_after_s))),
                _ => None,
            }
        })
        .await
}

/// Starts a node with storage and the ui (no calls), unlocked.
async fn open(g: &Global) -> Result<(Node, Front, Config, Home), Failure> {
    let home = config::locate(g.home.as_deref())?;
    let cfg = config::load(&home)?;
    let spec = storage_spec(g, &home, Some(&cfg), profile_of(&cfg));
    let mut node = Node::start(node_config(spec, false))?;
    let ep = std::mem::replace(&mut node.ui, dummy_endpoint()?);
    let mut front = Front::start(ep, node.clock)?;
    unlock(g, &mut front).await?;
    Ok((node, front, cfg, home))
}

/// An endpoint of a host that is never started with anything (a
/// placeholder after the node's ui endpoint was handed to the front).
fn dummy_endpoint() -> Result<susurro_host::Endpoint, Failure> {
    let mut h = HostBuilder::new("placeholder")
        .endpoint(ModuleId::Host)
        .start()
        .map_err(|e| Failure::error(format!("{e}")))?;
    h.endpoint(ModuleId::Host)
        .ok_or_else(|| Failure::error("no endpoint"))
}

/// Locks the store (a token or storage process outlives this command and
/// must not stay unlocked for whoever talks to it next), then stops.
async fn close(node: Node, mut front: Front) -> Result<(), Failure> {
    lock(&mut front).await;
    node.stop().await.map_err(Failure::from)
}

async fn lock(front: &mut Front) {
    if front.view().store.state == Some(StoreState::Unlocked) && front.act(Action::Lock).is_ok() {
        let _ = front
            .wait_for(Duration::from_secs(5), "locking", |v, _| {
                (v.store.state != Some(StoreState::Unlocked)).then_some(Ok(()))
            })
            .await;
    }
}

/// The configuration of a new home (`init`, `restore` into an empty
/// home), checked, and the key-derivation profile chosen.
fn new_config(name: String, setup: &Setup) -> Result<(Config, ProfileArg), Failure> {
    let mode = setup
        .network
        .map_or_else(config::Mode::preferred, NetworkArg::mode);
    if mode == Mode::Tor && !susurro_node::TOR {
        return Err(Failure::usage(
            "this susurro-cli was built without Tor: use --network direct, or build with `--features tor`",
        ));
    }
    // What `status` and `contacts export` make of these must be a card:
    // a name that passes for no one and hides nothing, a port, a host.
    susurro_front::check_name(&name, std::iter::empty())
        .map_err(|p| Failure::usage(format!("--name {name:?}: {p}")))?;
    if setup.port == 0 {
        return Err(Failure::usage(
            "--port 0 is no port others can reach: give one from 1 to 65535",
        ));
    }
    let host = card_host(&setup.host)?;
    let cfg = Config {
        name,
        network: Network {
            mode,
            host,
            port: setup.port,
            listen: "127.0.0.1".to_owned(),
            onion: None,
        },
        tor: crate::config::Tor::default(),
        audio: crate::config::Audio::default(),
        storage: crate::config::Storage {
            serial: None,
            profile: Some(
                match setup.profile {
                    ProfileArg::Host => "host",
                    ProfileArg::TestOnlyInsecure => "test-only-insecure",
                }
                .to_owned(),
            ),
        },
        transport_box: crate::config::TransportBox::default(),
        messages: crate::config::Messages::default(),
        files: crate::config::Files::default(),
    };
    // The card itself, as `status` will write it (with a stand-in key).
    card_text(&cfg, [0x55; 32])?;
    Ok((cfg, setup.profile))
}

/// `--host` as a card carries it: an IPv4 address, an IPv6 address (put
/// in brackets), or a host name of letters, digits, `-`, `_` and `.`
/// (labels of 1 to 63, 64 bytes in all).
fn card_host(host: &str) -> Result<String, Failure> {
    let bracketed = host.strip_prefix('[').and_then(|h| h.strip_suffix(']'));
    match bracketed.unwrap_or(host).parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(ip)) => return Ok(format!("[{ip}]")),
        Ok(std::net::IpAddr::V4(ip)) if bracketed.is_none() => return Ok(ip.to_string()),
        _ => {}
    }
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let labels: Vec<&str> = host.split('.').collect();
    let numeric = labels
        .last()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()));
    if host.len() > susurro_wire::caps::HOST || !labels.iter().all(|l| label_ok(l)) || numeric {
        return Err(Failure::usage(format!(
            "--host {host:?} is not a host name or IP address: give a name such as \
             calls.example.org (letters, digits, \"-\" and \".\", 64 bytes at most), \
             an IPv4 address such as 192.0.2.7, or an IPv6 address"
        )));
    }
    Ok(host.to_owned())
}

/// `init`.
pub async fn init(g: &Global, name: String, setup: Setup) -> Result<(), Failure> {
    let home = config::locate(g.home.as_deref())?;
    if home.config_file().exists() {
        return Err(Failure::usage(format!(
            "an identity already exists in {} (remove it or use --home)",
            home.config_dir.display()
        )));
    }
    let (cfg, profile) = new_config(name, &setup)?;
    let mode = cfg.network.mode;
    home.create_dirs()
        .map_err(|e| Failure::error(format!("{e:#}")))?;
    let spec = storage_spec(g, &home, None, profile.profile());
    let mut node = Node::start(node_config(spec, false))?;
    let ep = std::mem::replace(&mut node.ui, dummy_endpoint()?);
    let mut front = Front::start(ep, node.clock)?;
    match store_state(&mut front).await? {
        StoreState::NoIdentity | StoreState::Wiped => {}
        _ => {
            return Err(Failure::usage(
                "the key store already holds an identity (restore or use another store)",
            ));
        }
    }
    let pw = crate::password::read(g.password_file.as_deref(), true)?;
    if !g.json {
        eprintln!("Creating your key (this takes a moment)…");
    }
    front.act(Action::CreateIdentity { password: &pw })?;
    drop(pw);
    wait_unlocked(&mut front, "creating the identity").await?;
    let fp = own_fingerprint(&mut front).await?;
    config::save(&home, &cfg)?;
    out(
        g,
        json!({"event": "initialised", "name": cfg.name, "fingerprint": fp, "home": home.config_dir}),
        || {
            let how = match mode {
                Mode::Tor => {
                    "Calls go over Tor. Your card gets its onion address the first time you run `listen` or `call`."
                }
                Mode::Direct => "Calls go over direct TCP.",
            };
            format!(
                "Identity created for {}. Fingerprint: {fp}\n{how}",
                cfg.name
            )
        },
    );
    close(node, front).await
}

async fn own_key(front: &mut Front) -> Result<[u8; 32], Failure> {
    front
        .wait_for(STORE_WAIT, "your public key", |v, _| {
            v.own_key.map(|k| Ok(k.key))
        })
        .await
}

async fn own_fingerprint(front: &mut Front) -> Result<String, Failure> {
    let fp = front
        .wait_for(STORE_WAIT, "your public key", |v, _| {
            v.own_key.map(|k| Ok(k.fingerprint))
        })
        .await?;
    Ok(susurro_ui::text::fingerprint_text(&fp).to_string())
}

/// `status`.
pub async fn status(g: &Global) -> Result<(), Failure> {
    let (node, mut front, cfg, home) = open(g).await?;
    let fp = own_fingerprint(&mut front).await?;
    let card = own_card(&mut front, &cfg).await?;
    out(
        g,
        json!({"event": "status", "name": cfg.name, "fingerprint": fp, "uri": card, "network": network_name(cfg.network.mode), "home": home.config_dir}),
        || {
            let mut t = format!(
                "{}\n  fingerprint {fp}\n  network     {}\n  card        {card}",
                cfg.name,
                network_name(cfg.network.mode)
            );
            if cfg.network.mode == Mode::Tor && cfg.network.onion.is_none() {
                t.push_str("\n  (your card has no address yet: run `susurro-cli listen` once to start your onion service)");
            }
            t
        },
    );
    close(node, front).await
}

async fn own_card(front: &mut Front, cfg: &Config) -> Result<String, Failure> {
    let key = own_key(front).await?;
    card_text(cfg, key)
}

/// The `susurro:` card of `cfg` with `key`.
fn card_text(cfg: &Config, key: [u8; 32]) -> Result<String, Failure> {
    let unusable = |why: &str| {
        Failure::usage(format!(
            "your contact card cannot be made from your configuration (config.toml): {why}"
        ))
    };
    let card = ContactCard {
        name: Name::new(&cfg.name).map_err(|_| unusable("the name is over 64 bytes"))?,
        key,
        address: own_address(cfg)?,
    };
    let mut s = heapless::String::<{ uri::MAX_URI }>::new();
    uri::encode(&card, &mut s).map_err(|e| unusable(e.message()))?;
    Ok(s.as_str().to_owned())
}

fn network_name(m: Mode) -> &'static str {
    match m {
        Mode::Tor => "tor",
        Mode::Direct => "direct",
    }
}

/// The address on our card: the onion service in Tor mode (none until it
/// first ran), else the configured host and port.
fn own_address(cfg: &Config) -> Result<Address, Failure> {
    match cfg.network.mode {
        Mode::Direct => tcp_address(&cfg.network.host, cfg.network.port),
        Mode::Tor => Ok(
            match cfg
                .network
                .onion
                .as_deref()
                .and_then(|o| uri::parse_onion_name(o).ok())
            {
                Some(key) => Address::Onion {
                    key,
                    port: cfg.network.port,
                },
                None => Address::None,
            },
        ),
    }
}

fn tcp_address(host: &str, port: u16) -> Result<Address, Failure> {
    Ok(Address::Tcp {
        host: Text::new(host).map_err(|_| Failure::usage(format!("host name too long: {host}")))?,
        port,
    })
}

/// Every contact, page by page.
async fn all_contacts(front: &mut Front) -> Result<Vec<Contact>, Failure> {
    front.act(Action::RefreshContacts)?;
    let mut all = Vec::new();
    loop {
        let complete = front
            .wait_for(STORE_WAIT, "the contact list", |v, ev| {
                if let Some(UiEvent::Error(e)) = ev {
                    return Some(Err(Failure::new(Code::Store, e.to_string())));
                }
                (!v.contacts.loading).then_some(Ok(v.contacts.complete))
            })
            .await?;
        for c in &front.view().contacts.entries {
            if !all.iter().any(|a: &Contact| a.id == c.id) {
                all.push(c.clone());
            }
        }
        if complete {
            return Ok(all);
        }
        front.act(Action::NextContacts)?;
    }
}

async fn find_contact(front: &mut Front, name: &str) -> Result<Contact, Failure> {
    let all = all_contacts(front).await?;
    all.into_iter()
        .find(|c| c.name.as_str() == name)
        .ok_or_else(|| Failure::usage(format!("no contact named {name:?} (see `contacts list`)")))
}

fn contact_json(c: &Contact) -> serde_json::Value {
    json!({
        "id": c.id,
        "name": c.name.as_str(),
        "key": hex(&c.key),
        "address": address_text(&c.address),
        "verified": c.flags & susurro_wire::contact_flags::VERIFIED != 0,
    })
}

fn address_text(a: &Address) -> String {
    match a {
        Address::None => "none".to_owned(),
        Address::Tcp { host, port } => format!("tcp:{}:{port}", host.as_str()),
        Address::Onion { key, port } => format!("onion:{}:{port}", uri::onion_name(key)),
    }
}

fn hex(b: &[u8]) -> String {
    susurro_crypto::hex::Lower(b).to_string()
}

/// `contacts list`.
pub async fn contacts_list(g: &Global) -> Result<(), Failure> {
    let (node, mut front, _, _) = open(g).await?;
    let all = all_contacts(&mut front).await?;
    if g.json {
        print_line(&json!({"event": "contacts", "contacts": all.iter().map(contact_json).collect::<Vec<_>>()}).to_string());
    } else if all.is_empty() {
        print_line("No contacts yet. Add one with `susurro-cli contacts import 'susurro:…'`.");
    } else {
        for c in &all {
            let v = if c.flags & susurro_wire::contact_flags::VERIFIED != 0 {
                "verified"
            } else {
                ""
            };
            print_line(&format!(
                "{:<24} {:<32} {v}",
                c.name.as_str(),
                address_text(&c.address)
            ));
        }
    }
    close(node, front).await
}

/// `contacts show`.
pub async fn contacts_show(g: &Global, name: &str) -> Result<(), Failure> {
    let (node, mut front, _, _) = open(g).await?;
    let c = find_contact(&mut front, name).await?;
    let v = contact_json(&c);
    out(g, json!({"event": "contact", "contact": v}), || {
        format!(
            "{}\n  key      {}\n  address  {}\n  verified {}",
            c.name.as_str(),
            hex(&c.key),
            address_text(&c.address),
            v["verified"]
        )
    });
    close(node, front).await
}

/// `contacts import` / `contacts add`.
///
/// Nothing is stored, with its own exit code, when the card's key is
/// already in the book (7, under whatever name) or the name belongs to a
/// contact with another key (8) unless `replace` confirms the new key; an
/// all-zero key is no one's key (2). A replacement never loses the old
/// contact: it is renamed aside, the new one added, and only then deleted
/// (put back if the add fails).
pub async fn contacts_import(
    g: &Global,
    text: &str,
    name: Option<&str>,
    replace: bool,
) -> Result<(), Failure> {
    let card = uri::decode(text.trim())
        .map_err(|e| Failure::usage(format!("not a valid contact card: {}", e.message())))?;
    if card.key == [0u8; 32] {
        return Err(Failure::usage(
            "not a valid contact card: its key is all zeros, which is no one's key",
        ));
    }
    let (node, mut front, _, _) = open(g).await?;
    let given_name = name.is_some();
    let name = name.unwrap_or(card.name.as_str()).to_owned();
    // The whole book (this also lets the listing begun at unlock finish, so
    // the next change seen below is this command's).
    let all = all_contacts(&mut front).await?;
    if let Some(c) = all.iter().find(|c| c.key == card.key) {
        close(node, front).await?;
        return Err(Failure::new(
            Code::AlreadyKnown,
            format!(
                "this key is already in your contacts as {:?}: nothing was added (`contacts rename` changes the name)",
                c.name.as_str()
            ),
        ));
    }
    // A name that passes for another contact's, or hides characters, is
    // refused (the very same name is a key change, below).
    let others = all.iter().map(|c| c.name.as_str()).filter(|n| *n != name);
    if let Err(p) = susurro_front::check_name(&name, others) {
        close(node, front).await?;
        return Err(import_name_failure(&name, given_name, &p));
    }
    let old = all.iter().find(|c| c.name.as_str() == name).cloned();
    if let Some(old) = &old
        && !replace
    {
        close(node, front).await?;
        return Err(Failure::new(
            Code::KeyChanged,
            format!(
                "{name:?} is already in your contacts with a different key (theirs: {}, this card's: {}). \
                 A new key means a new device, a restored identity, or someone else. Check with {name} \
                 another way, then run the command again with --replace. Nothing was changed.",
                susurro_front::short_key(&old.key),
                susurro_front::short_key(&card.key)
            ),
        ));
    }
    let aside = match &old {
        Some(old) => {
            let aside = (1u32..)
                .map(|i| format!("~replaced {i}"))
                .find(|n| !all.iter().any(|c| c.name.as_str() == n))
                .unwrap_or_default();
            front.act(Action::RenameContact {
                id: old.id,
                name: &aside,
            })?;
            wait_changed(&mut front).await?;
            Some((old.clone(), aside))
        }
        None => None,
    };
    let note = old.as_ref().map_or("", |o| o.note.as_str()).to_owned();
    let added = match front.act(Action::AddContact {
        name: &name,
        key: card.key,
        address: card.address.clone(),
        note: &note,
    }) {
        Ok(()) => wait_changed(&mut front).await,
        Err(e) => Err(e),
    };
    if let Err(e) = added {
        if let Some((old, _)) = &aside {
            // Put the old contact back under its name.
            if front
                .act(Action::RenameContact {
                    id: old.id,
                    name: &name,
                })
                .is_ok()
            {
                let _ = wait_changed(&mut front).await;
            }
        }
        close(node, front).await?;
        return Err(e);
    }
    if let Some((old, _)) = &aside {
        front.act(Action::DeleteContact { id: old.id })?;
        wait_changed(&mut front).await?;
    }
    let event = if aside.is_some() {
        "contact_replaced"
    } else {
        "contact_added"
    };
    out(g, json!({"event": event, "name": name}), || {
        if aside.is_some() {
            format!(
                "Replaced {name}'s key. The new key is not verified: compare the SAS in your next call."
            )
        } else {
            format!("Added {name}.")
        }
    });
    close(node, front).await
}

/// Why `contacts import` stores nothing under `name`, and how to import
/// the card all the same: under another name.
fn import_name_failure(name: &str, given: bool, p: &susurro_front::NameProblem) -> Failure {
    Failure::usage(match (given, p) {
        (true, _) => format!("--name {name:?}: {p}. Nothing was added."),
        (false, susurro_front::NameProblem::LooksLike { contact }) => format!(
            "this card's name {name:?} looks like your contact {contact:?}, but the key is not \
             theirs: it may be someone passing for them. Nothing was added. If it is someone \
             else you mean to add, run the command again with --name <a name you can tell \
             apart from {contact:?}>."
        ),
        (false, _) => format!(
            "this card's name {name:?} cannot be used: {p}. Nothing was added. To add it, \
             run the command again with --name <another name>."
        ),
    })
}

/// `contacts rename`: refused if the new name looks like another
/// contact's or hides characters (not like its own: a contact may take a
/// name that differs from its own only in case).
pub async fn contacts_rename(g: &Global, name: &str, new_name: &str) -> Result<(), Failure> {
    let (node, mut front, _, _) = open(g).await?;
    let all = all_contacts(&mut front).await?;
    let Some(c) = all.iter().find(|c| c.name.as_str() == name).cloned() else {
        close(node, front).await?;
        return Err(Failure::usage(format!(
            "no contact named {name:?} (see `contacts list`)"
        )));
    };
    let others = all.iter().filter(|o| o.id != c.id).map(|o| o.name.as_str());
    if let Err(p) = susurro_front::check_name(new_name, others) {
        close(node, front).await?;
        return Err(Failure::usage(format!(
            "cannot rename {name:?} to {new_name:?}: {p}. Nothing was changed."
        )));
    }
    front.act(Action::RenameContact {
        id: c.id,
        name: new_name,
    })?;
    wait_changed(&mut front).await?;
    out(
        g,
        json!({"event": "contact_renamed", "name": new_name}),
        || format!("Renamed {name} to {new_name}."),
    );
    close(node, front).await
}

/// `contacts delete`.
pub async fn contacts_delete(g: &Global, name: &str) -> Result<(), Failure> {
    let (node, mut front, _, _) = open(g).await?;
    let c = find_contact(&mut front, name).await?;
    front.act(Action::DeleteContact { id: c.id })?;
    wait_changed(&mut front).await?;
    out(g, json!({"event": "contact_deleted", "name": name}), || {
        format!("Deleted {name}.")
    });
    close(node, front).await
}

async fn wait_changed(front: &mut Front) -> Result<(), Failure> {
    front
        .wait_for(STORE_WAIT, "the key store", |_, ev| match ev {
            Some(UiEvent::ContactsChanged) => Some(Ok(())),
            Some(UiEvent::Error(e)) => Some(Err(Failure::usage(e.to_string()))),
            _ => None,
        })
        .await
}

/// `contacts export`.
pub async fn contacts_export(g: &Global, qr: bool) -> Result<(), Failure> {
    let (node, mut front, cfg, _) = open(g).await?;
    let card = own_card(&mut front, &cfg).await?;
    let code = if qr {
        Some(crate::qr::render(&card)?)
    } else {
        None
    };
    out(
        g,
        json!({"event": "card", "uri": card, "qr": code}),
        || match &code {
            Some(q) => format!("{q}\n{card}"),
            None => card.clone(),
        },
    );
    close(node, front).await
}

/// `backup` (the store file only: a token backs up on the token).
pub async fn backup(g: &Global, file: &Path) -> Result<(), Failure> {
    let home = config::locate(g.home.as_deref())?;
    let cfg = config::load(&home)?;
    if g.storage_serial.is_some() || cfg.storage.serial.is_some() {
        return Err(Failure::usage(
            "backup works on the store file of this computer; a storage token keeps its key inside and is not backed up over the link",
        ));
    }
    if file.exists() {
        return Err(Failure::usage(format!(
            "{} exists: not overwriting it",
            file.display()
        )));
    }
    let store_file = home.store_file();
    let mut core = susurro_node::storage_core(store_file.clone(), profile_of(&cfg));
    let store = core.store();
    let now = susurro_wire::Instant::ZERO;
    store
        .open(now)
        .map_err(|e| store_failure(&e, &store_file, "cannot open the key store"))?;
    let pw = crate::password::read(g.password_file.as_deref(), false)?;
    store
        .unlock(now, pw.as_bytes())
        .map_err(|e| store_failure(&e, &store_file, "cannot unlock the key store"))?;
    store
        .export_backup(&mut FileStore::new(file))
        .map_err(|e| {
            Failure::error(format!(
                "cannot write the backup to {}: {}",
                file.display(),
                match &e {
                    susurro_storage::StoreError::Io(io) => io_words(io),
                    other => other.to_string(),
                }
            ))
        })?;
    store.lock();
    out(g, json!({"event": "backup", "file": file}), || {
        format!(
            "Backup written to {} (encrypted with your password).",
            file.display()
        )
    });
    Ok(())
}

/// `restore`: into a home whose store holds no identity; an empty home
/// (no config.toml) is set up from `name` and `setup` as `init` does.
pub async fn restore(
    g: &Global,
    file: &Path,
    name: Option<String>,
    setup: Setup,
) -> Result<(), Failure> {
    let home = config::locate(g.home.as_deref())?;
    if !file.is_file() {
        return Err(Failure::usage(format!(
            "{} does not exist or is not a file",
            file.display()
        )));
    }
    let (cfg, new_home) = if home.config_file().exists() {
        if name.is_some() {
            return Err(Failure::usage(format!(
                "{} is already set up: --name is only for restoring into an empty home",
                home.config_dir.display()
            )));
        }
        (config::load(&home)?, false)
    } else {
        let Some(name) = name else {
            return Err(Failure::usage(format!(
                "{} has no identity yet: give --name <you> (and --network, --port as for `init`) to restore into it",
                home.config_dir.display()
            )));
        };
        (new_config(name, &setup)?.0, true)
    };
    if g.storage_serial.is_some() || cfg.storage.serial.is_some() {
        return Err(Failure::usage(
            "restore writes the store file of this computer; a storage token is restored on the token",
        ));
    }
    home.create_dirs()
        .map_err(|e| Failure::error(format!("{e:#}")))?;
    let store_file = home.store_file();
    let mut core = susurro_node::storage_core(store_file.clone(), profile_of(&cfg));
    let store = core.store();
    let now = susurro_wire::Instant::ZERO;
    match store.open(now) {
        Ok(_) | Err(susurro_storage::StoreError::NoIdentity) => {}
        Err(e) => return Err(store_failure(&e, &store_file, "cannot open the key store")),
    }
    let pw = crate::password::read(g.password_file.as_deref(), false)?;
    store
        .restore(&mut FileStore::new(file), pw.as_bytes())
        .map_err(|e| match e {
            susurro_storage::StoreError::WrongPassword { .. } => {
                Failure::new(Code::Password, "wrong password for this backup")
            }
            susurro_storage::StoreError::AlreadyExists => Failure::usage(format!(
                "the key store {} already holds an identity: restore into an empty home (--home <new folder>)",
                store_file.display()
            )),
            susurro_storage::StoreError::Format(_) | susurro_storage::StoreError::Damaged => {
                Failure::new(
                    Code::Store,
                    format!(
                        "{} is not a Susurro backup, or it is damaged ({e})",
                        file.display()
                    ),
                )
            }
            susurro_storage::StoreError::Io(io) => Failure::error(format!(
                "cannot read {} or write {}: {}",
                file.display(),
                store_file.display(),
                io_words(&io)
            )),
            e => Failure::new(Code::Store, format!("cannot restore: {e}")),
        })?;
    store.lock();
    if new_home {
        config::save(&home, &cfg)?;
    }
    out(
        g,
        json!({"event": "restored", "file": file, "home": home.config_dir}),
        || "Identity and contacts restored.".to_owned(),
    );
    Ok(())
}

/// A store error in words, with the exit code it deserves: a wrong
/// password or a lock-out is the password's code; a disk that refuses to
/// be written (read-only, full) is not.
fn store_failure(e: &susurro_storage::StoreError, store: &Path, what: &str) -> Failure {
    use susurro_storage::StoreError as E;
    match e {
        E::WrongPassword { .. } | E::LockedOut { .. } | E::BadPassword | E::Wiped => {
            Failure::new(Code::Password, format!("{what}: {e}"))
        }
        E::Io(io) => Failure::new(
            Code::Store,
            format!("{what} ({}): {}", store.display(), io_words(io)),
        ),
        E::NoIdentity => Failure::new(
            Code::Store,
            format!("{what}: there is no identity in {}", store.display()),
        ),
        _ => Failure::new(Code::Store, format!("{what} ({}): {e}", store.display())),
    }
}

/// What a storage I/O error means to the person at the keyboard.
fn io_words(e: &susurro_storage::IoError) -> String {
    match e {
        susurro_storage::IoError::Failed => {
            "the file could not be read or written (is the disk read-only, or the folder not yours?)"
                .to_owned()
        }
        susurro_storage::IoError::NoSpace => "the disk is full".to_owned(),
        other => other.to_string(),
    }
}

/// `module ui`: the interactive front end with every other module remote.
pub async fn remote_ui(g: &Global, link: LinkSpec) -> Result<(), Failure> {
    let mut host = HostBuilder::new("ui")
        .endpoint(ModuleId::Ui)
        .link(link)
        .start()
        .map_err(|e| Failure::error(format!("cannot start: {e}")))?;
    let ep = host
        .endpoint(ModuleId::Ui)
        .ok_or_else(|| Failure::error("no ui endpoint"))?;
    let mut front = Front::start(ep, Clock::new())?;
    unlock(g, &mut front).await?;
    let r = session(g, &mut front, None, &SessionOpts::default(), None, None).await;
    lock(&mut front).await;
    let _ = host.shutdown().await;
    r
}

/// Time allowed for Tor to bootstrap and our onion service to come up
/// (the public network usually needs well under a minute).
const TOR_WAIT: Duration = Duration::from_secs(300);

/// Refuses, before any call, an `--input` that is not a readable mono WAV
/// file and an `--output` whose folder does not exist: found in the
/// middle of a call they would mean a call with no voice, or a recording
/// lost at its end.
fn check_audio_files(opts: &CallOpts) -> Result<(), Failure> {
    if let Some(input) = &opts.input {
        susurro_audio::read_wav_mono(input, None)
            .map_err(|e| Failure::usage(format!("--input: {e}")))?;
    }
    if let Some(output) = &opts.output {
        if output.is_dir() {
            return Err(Failure::usage(format!(
                "--output: {} is a folder; name the WAV file to write",
                output.display()
            )));
        }
        let folder = match output.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !folder.is_dir() {
            return Err(Failure::usage(format!(
                "--output: the folder {} does not exist",
                folder.display()
            )));
        }
    }
    Ok(())
}

/// `listen` (target `None`) and `call`.
/// `call` (a target), `listen` (none), or `message` (a target and `text`:
/// a message session instead of a call).
pub async fn call(
    g: &Global,
    target: Option<String>,
    opts: CallOpts,
    errand: crate::Errand,
) -> Result<(), Failure> {
    let text = match &errand {
        crate::Errand::Message(t) => Some(t.clone()),
        _ => None,
    };
    let home = config::locate(g.home.as_deref())?;
    let mut cfg = config::load(&home)?;
    let spec = storage_spec(g, &home, Some(&cfg), profile_of(&cfg));
    check_audio_files(&opts)?;
    let mut nc = node_config(spec, true);
    nc.audio = AudioSpec {
        input: opts.input.clone(),
        output: opts.output.clone(),
        capture_device: cfg.audio.input_device.clone(),
        playback_device: cfg.audio.output_device.clone(),
    };
    if let Some(b) = opts.bitrate.or(cfg.audio.bitrate) {
        nc.codec = nc.codec.with_bitrate(b);
    }
    // A file is a clean signal with no echo path: processing only hurts it.
    if opts.no_processing || opts.input.is_some() {
        nc.processing = ProcessingConfig::bypass();
    }
    nc.transport = cfg
        .transport(&home)
        .map_err(|e| Failure::usage(format!("{e:#}")))?;
    nc.transport_serial = g
        .transport_serial
        .clone()
        .or_else(|| cfg.transport_box.serial.clone());
    let mut node = Node::start(nc)?;
    let ep = std::mem::replace(&mut node.ui, dummy_endpoint()?);
    // The history stores a peer's message before its "delivered" receipt.
    let ui_config = susurro_ui::UiConfig {
        host_receipts: true,
        ..susurro_ui::UiConfig::default()
    };
    let mut front = Front::start_with(ep, node.clock, ui_config)?;
    unlock(g, &mut front).await?;
    let history = messages::open_history(
        &mut front,
        &messages::history_dir(&home),
        messages::limits(&cfg),
    )
    .await?;
    let mut msgs = Messaging::new(history);
    let target = match target {
        Some(t) => Some(resolve_target(&mut front, &t).await?),
        None => None,
    };
    let downloads = opts
        .downloads
        .clone()
        .or_else(|| cfg.files.downloads.clone())
        .unwrap_or_else(|| files::default_downloads(&home));
    let mut policy = AcceptPolicy {
        from: std::collections::HashSet::new(),
        ask: true,
    };
    for name in &opts.accept_files_from {
        let c = find_contact(&mut front, name).await?;
        policy.from.insert(c.key);
    }
    let mut filing = files::open(&mut front, &home, &downloads, policy, cfg.files.max_mb).await?;
    if let crate::Errand::File(path) = &errand {
        let Some((_, _, Some(c))) = &target else {
            return Err(Failure::usage(
                "files go to contacts only (their card must be in your contacts, and yours in theirs)",
            ));
        };
        filing
            .send(c.key, path)
            .map_err(|e| Failure::usage(e.to_string()))?;
        let name = c.name.as_str().to_owned();
        out(
            g,
            json!({"event": "file_queued", "to": name, "path": path.display().to_string()}),
            || format!("Sending {} to {name}; connecting…", path.display()),
        );
    }
    if let Some(text) = &text {
        let Some((_, _, Some(c))) = &target else {
            return Err(Failure::usage(
                "messages go to contacts only (their card must be in your contacts, and yours in theirs)",
            ));
        };
        let n = msgs
            .queue(&c.key, text)
            .map_err(|e| Failure::usage(e.to_string()))?;
        let name = c.name.as_str().to_owned();
        out(g, json!({"event": "queued", "to": name, "id": n}), || {
            format!("Message {n} to {name} queued; connecting…")
        });
    }
    let mut notices = Vec::new();
    msgs.expire(front.view(), &mut notices);
    messages::show(g, &mut notices);
    // The target's address decides how to reach it; listening follows the
    // configuration.
    let mode = match &target {
        Some((_, Address::Onion { .. }, _)) => NetMode::Tor,
        Some((_, Address::Tcp { .. }, _)) => NetMode::Direct,
        Some((_, Address::None, _)) | None => cfg.network.mode.net_mode(),
    };
    if mode == NetMode::Tor && !susurro_node::TOR {
        return Err(Failure::usage(
            "this susurro-cli was built without Tor: rebuild with `--features tor`, or use direct calls (`init --network direct`)",
        ));
    }
    let port = opts.port.unwrap_or(cfg.network.port);
    // Over Tor we always run our onion service: it is who we are, and the
    // callee of our call proves our address by calling it back.
    let listen = target.is_none() || mode == NetMode::Tor;
    front.act(Action::SetNetwork {
        mode,
        listen,
        port: if listen { port } else { 0 },
    })?;
    if mode == NetMode::Tor {
        let address = tor_up(g, &mut front).await?;
        let onion = match &address {
            Address::Onion { key, .. } => Some(format!("{}.onion", uri::onion_name(key))),
            _ => None,
        };
        if onion.is_some() && cfg.network.onion != onion {
            // Our card carries it from now on (`status`, `contacts export`).
            cfg.network.onion = onion;
            if cfg.network.mode == Mode::Tor {
                config::save(&home, &cfg)?;
            }
        }
        if target.is_none() {
            let card = own_card(&mut front, &cfg).await?;
            let addr = address_text(&address);
            let boxed = front.view().network.transport_link;
            out(
                g,
                json!({"event": "listening", "address": addr, "uri": card, "box": boxed}),
                || {
                    format!(
                        "Listening for calls on your onion service {addr}.\nYour card: {card}\nCtrl-C to stop."
                    )
                },
            );
        }
    } else if listen {
        front
            .wait_for(Duration::from_secs(10), "the listener", |v, ev| {
                if let Some(UiEvent::Error(e)) = ev {
                    return Some(Err(Failure::usage(e.to_string())));
                }
                v.network.listening.then_some(Ok(()))
            })
            .await?;
        let addr = address_text(&front.view().network.address);
        // `box`: whether a transport box's link is up (null: transport in
        // this process).
        let boxed = front.view().network.transport_link;
        out(
            g,
            json!({"event": "listening", "address": addr, "box": boxed}),
            || format!("Listening for calls on {addr}. Ctrl-C to stop."),
        );
    }
    let so = SessionOpts {
        auto_accept: opts.auto_accept,
        hangup_after: opts.hangup_after.map(Duration::from_secs_f64),
        once: opts.once || target.is_some(),
        say: opts.say.clone(),
        messages: !matches!(errand, crate::Errand::Call),
        file: matches!(errand, crate::Errand::File(_)),
        retry: target.is_none().then_some(mode),
    };
    let target = target.map(|(t, _, _)| (t, mode));
    let mut sides = Sides {
        msgs: &mut msgs,
        filing: &mut filing,
        printer: files::Printer::new(),
    };
    let r = session(g, &mut front, target, &so, Some(&node), Some(&mut sides)).await;
    let stop = close(node, front).await;
    r.and(stop)
}

/// Waits (bounded) for Tor to bootstrap and our onion service to run,
/// showing the progress; returns our onion address. Failures on the way
/// (a bootstrap attempt that failed) are shown; the transport retries.
async fn tor_up(g: &Global, front: &mut Front) -> Result<Address, Failure> {
    let mut shown: Option<(u8, bool, bool)> = None;
    let t0 = Instant::now();
    front
        .wait_for(TOR_WAIT, "Tor", |v, ev| {
            let n = &v.network;
            if let Some(UiEvent::Error(e)) = ev {
                out(g, json!({"event": "error", "message": e.to_string()}), || {
                    format!("Tor: {e} (retrying)")
                });
            }
            let now = (n.bootstrap_percent, n.listening, n.onion_published);
            if n.known && shown != Some(now) {
                shown = Some(now);
                let secs = t0.elapsed().as_secs_f64();
                out(
                    g,
                    json!({"event": "tor", "bootstrap_percent": n.bootstrap_percent, "onion_service": n.listening, "published": n.onion_published, "elapsed_s": secs}),
                    || match now {
                        (p, false, _) if p < 100 => format!("Tor: connecting to the network… {p} %"),
                        (_, false, _) => "Tor: connected; starting your onion service…".to_owned(),
                        (_, true, false) => "Tor: your onion service is running; publishing its address…".to_owned(),
                        (_, true, true) => "Tor: your onion service is published.".to_owned(),
                    },
                );
            }
            (n.listening && matches!(n.address, Address::Onion { .. }))
                .then(|| Ok(n.address.clone()))
        })
        .await
}

/// Whom `t` names, the address used to pick the network (none for a
/// contact without one), and the contact when `t` is a contact's name.
async fn resolve_target(
    front: &mut Front,
    t: &str,
) -> Result<(CallTarget, Address, Option<Contact>), Failure> {
    if t.to_ascii_lowercase().starts_with("susurro:") {
        let card = uri::decode(t)
            .map_err(|e| Failure::usage(format!("not a valid contact card: {}", e.message())))?;
        return Ok((
            CallTarget::Address(card.address.clone()),
            card.address,
            None,
        ));
    }
    if let Some((host, port)) = t.rsplit_once(':')
        && let Ok(port) = port.parse::<u16>()
    {
        let a = if let Ok(key) = uri::parse_onion_name(host) {
            Address::Onion { key, port }
        } else {
            tcp_address(host, port)?
        };
        return Ok((CallTarget::Address(a.clone()), a, None));
    }
    let c = find_contact(front, t).await?;
    Ok((CallTarget::Contact(c.id), c.address.clone(), Some(c)))
}

#[derive(Debug, Default)]
struct SessionOpts {
    auto_accept: bool,
    hangup_after: Option<Duration>,
    once: bool,
    /// Text messages to send once talking.
    say: Vec<String>,
    /// Open a message session to the target (deliver the outbox, hang up)
    /// instead of a call.
    messages: bool,
    /// The session sends a file (`send-file`): its outcome is the result.
    file: bool,
    /// `listen`: retry the outbox over this network.
    retry: Option<NetMode>,
}

const HELP: &str = "commands: accept, reject, hangup, mute, unmute, sas-verified, compare <secret>, send-contact <name|me>, say <message>, send-file <path>, accept-file [id], decline-file [id], status, quit";

/// The history's and the transfers' sides of a session.
struct Sides<'a> {
    msgs: &'a mut Messaging,
    filing: &'a mut Filing,
    printer: files::Printer,
}

/// The interactive part: renders events, reads commands from stdin.
async fn session(
    g: &Global,
    front: &mut Front,
    target: Option<(CallTarget, NetMode)>,
    so: &SessionOpts,
    node: Option<&Node>,
    mut sides: Option<&mut Sides<'_>>,
) -> Result<(), Failure> {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    let mut called_at = None;
    let mut hangup_at: Option<Instant> = None;
    if let Some((t, mode)) = target {
        if so.messages {
            let key = match &t {
                CallTarget::Contact(id) => front.view().contacts.get(*id).map(|c| c.key),
                CallTarget::Address(_) => None,
            };
            front.act(Action::OpenMessages { target: t, mode })?;
            if let (Some(sd), Some(key)) = (sides.as_deref_mut(), key) {
                sd.msgs.opened_session(key);
            }
        } else {
            front.act(Action::Call { target: t, mode })?;
        }
        called_at = Some(Instant::now());
    } else if !g.json {
        print_line(HELP);
    }
    let mut result: Option<Result<(), Failure>> = None;
    let mut store_lost = None;
    let mut box_lost = None;
    loop {
        while let Some(ev) = front.event() {
            if let UiEvent::Error(
                e @ (UserError::StorageDisconnected | UserError::StorageDisconnectedCallEnded),
            ) = &ev
            {
                store_lost = Some(e.to_string());
            }
            if let UiEvent::Error(e @ UserError::TransportDisconnectedCallEnded) = &ev {
                box_lost = Some(e.to_string());
            }
            let mut queued = None;
            if let Some(sd) = sides.as_deref_mut() {
                let now = std::time::Instant::now();
                let mut notices = Vec::new();
                let end = sd.msgs.on_event(front, &ev, now, &mut notices);
                messages::show(g, &mut notices);
                let mut file_notices = Vec::new();
                sd.filing.on_event(front, &ev, now, &mut file_notices);
                sd.printer.show(g, &mut file_notices);
                if let Some(SessionEnd::Queued { left }) = end
                    && so.messages
                    && !so.file
                {
                    // The session ended with messages still queued.
                    queued = Some(Failure::new(
                        Code::Queued,
                        format!(
                            "{left} message(s) not delivered yet: they stay queued, and `listen` sends them when the contact can be reached (for up to 7 days)"
                        ),
                    ));
                }
                if sd.msgs.session_done() && !sd.filing.busy() && !sd.filing.sending() {
                    // Everything delivered, the file through: the session
                    // has done its job (its end comes as `CallEnded`).
                    sd.msgs.finish_session(front);
                }
                if so.file
                    && let UiEvent::CallEnded { .. } = ev
                {
                    // `send-file`: the file's outcome is the result.
                    queued = files::send_result(&sd.printer.outcome).err();
                    if queued.is_none() {
                        result = Some(Ok(()));
                    }
                }
                // The history prints the peer's messages as it stores them.
                if matches!(ev, UiEvent::TextReceived { .. }) {
                    continue;
                }
            } else if matches!(ev, UiEvent::TextReceived { .. }) {
                // Printed by `render` below: shown, so read; no history,
                // so "delivered" is the ui core's.
                let _ = front.act(Action::MarkRead);
            }
            if let Some(r) = render(g, front.view(), &ev, called_at, node).await {
                // A call that ended because the key store went away is a
                // store failure, whatever the call's own reason says.
                // One that ended because the transport box went away
                // ended abnormally (the ui hung up locally).
                result = Some(match (store_lost.take(), box_lost.take(), queued.take()) {
                    (Some(msg), _, _) => Err(Failure::new(Code::Store, msg)),
                    (None, Some(msg), _) => Err(Failure::new(Code::CallAborted, msg)),
                    (None, None, Some(f)) => Err(f),
                    (None, None, None) => r,
                });
            }
            match &ev {
                // The call rings once its keys are agreed.
                UiEvent::CallPhaseChanged(Phase::Ringing) if so.auto_accept => {
                    if let Err(f) = front.act(Action::Accept) {
                        out(g, json!({"event": "error", "message": f.message}), || {
                            f.message.clone()
                        });
                    }
                }
                UiEvent::CallPhaseChanged(Phase::Ringing) if !g.json => {
                    print_line("Ringing: type `accept` or `reject`.");
                }
                UiEvent::CallPhaseChanged(Phase::InCall) => {
                    if let Some(d) = so.hangup_after {
                        hangup_at = Some(Instant::now() + d);
                    }
                    for text in &so.say {
                        if let Err(f) = say(sides.as_deref_mut(), front, text) {
                            out(g, json!({"event": "error", "message": f.message}), || {
                                f.message.clone()
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(r) = result.take() {
            if so.once || r.is_err() && called_at.is_some() {
                return r;
            }
            if let Err(f) = r
                && !g.json
            {
                eprintln!("susurro-cli: {}", f.message);
            }
            let _ = front.act(Action::Dismiss);
        }
        if let Some(sd) = sides.as_deref_mut() {
            let now = std::time::Instant::now();
            if let Some(mode) = so.retry {
                let mut notices = Vec::new();
                sd.msgs.retry_due(front, mode, now, &mut notices);
                messages::show(g, &mut notices);
            }
            let mut file_notices = Vec::new();
            sd.filing.poll(front, now, &mut file_notices);
            sd.printer.show(g, &mut file_notices);
        }
        let far = Instant::now() + Duration::from_secs(3600);
        let until = [
            hangup_at,
            sides
                .as_deref()
                .and_then(|sd| sd.msgs.next_deadline(std::time::Instant::now()))
                .map(Instant::from_std),
            sides
                .as_deref()
                .and_then(|sd| sd.filing.next_deadline(std::time::Instant::now()))
                .map(Instant::from_std),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(far);
        tokio::select! {
            r = front.pump(until) => {
                if !r? {
                    if let Some(sd) = sides.as_deref_mut() {
                        // A file still going keeps the session past the
                        // receipt wait.
                        let busy = sd.filing.busy() || sd.filing.sending();
                        sd.msgs.check_timeout(front, std::time::Instant::now(), busy);
                    }
                    if hangup_at.is_some_and(|t| t <= Instant::now()) {
                        hangup_at = None;
                        front.act(Action::Hangup)?;
                    }
                }
            }
            l = lines.next_line(), if stdin_open => match l {
                Ok(Some(line)) => {
                    if let Err(f) = command(g, front, line.trim(), sides.as_deref_mut()).await {
                        if f.code == Code::Usage && f.message == "quit" {
                            return Ok(());
                        }
                        out(g, json!({"event": "error", "message": f.message}), || f.message.clone());
                    }
                }
                Ok(None) | Err(_) => stdin_open = false,
            },
            _ = tokio::signal::ctrl_c() => {
                if front.view().active_call().is_some() {
                    let _ = front.act(Action::Hangup);
                    let _ = front.wait_for(Duration::from_secs(3), "hang-up", |v, _| {
                        v.active_call().is_none().then_some(Ok(()))
                    }).await;
                }
                return Ok(());
            }
        }
    }
}

async fn command(
    g: &Global,
    front: &mut Front,
    line: &str,
    sides: Option<&mut Sides<'_>>,
) -> Result<(), Failure> {
    let (cmd, arg) = line.split_once(' ').unwrap_or((line, ""));
    let arg = arg.trim();
    match cmd {
        "" => Ok(()),
        "accept" => front.act(Action::Accept),
        "reject" => front.act(Action::Reject),
        "hangup" => front.act(Action::Hangup),
        "mute" => front.act(Action::Mute(true)),
        "unmute" => front.act(Action::Mute(false)),
        "sas-verified" => front.act(Action::MarkSasVerified),
        "compare" if !arg.is_empty() => front.act(Action::CompareSecret { phrase: arg }),
        "say" if !arg.is_empty() => say(sides, front, arg),
        "send-file" | "accept-file" | "decline-file" => {
            let sd =
                sides.ok_or_else(|| Failure::usage("files need a history (not in this mode)"))?;
            file_command(g, front, sd, cmd, arg)
        }
        "send-contact" if !arg.is_empty() => {
            let id: ContactId = if arg == "me" {
                0
            } else {
                find_in_view(front.view(), arg)
                    .ok_or_else(|| Failure::usage(format!("no contact named {arg:?}")))?
            };
            front.act(Action::SendContact { contact: id })
        }
        "status" => {
            let v = front.view();
            let s = match v.call.as_ref() {
                Some(c) => format!(
                    "call {:?}, SAS {}, authenticated {}, muted {}",
                    c.phase,
                    c.sas.as_ref().map_or("-", |s| s.as_str()),
                    c.authenticated,
                    c.muted
                ),
                None => "no call".to_owned(),
            };
            // Messages the router refused (a module, or a transport box,
            // sending what it may not) and the box's link.
            let refused = v.counters.route_refused;
            let boxed = v.network.transport_link;
            out(
                g,
                json!({"event": "status", "text": s, "route_refused": refused, "box": boxed}),
                || format!("{s}; refused messages {refused}"),
            );
            Ok(())
        }
        "help" => {
            print_line(HELP);
            Ok(())
        }
        "quit" | "exit" => Err(Failure::usage("quit")),
        _ => Err(Failure::usage(format!("unknown command {line:?}; {HELP}"))),
    }
}

/// `say` in a call: through the history when there is one (stored, with
/// its id, if the peer is a proven contact), else as a chat line.
fn say(sides: Option<&mut Sides<'_>>, front: &mut Front, text: &str) -> Result<(), Failure> {
    match sides {
        Some(sd) => sd.msgs.say(front, text).map_err(Failure::usage),
        None => front.act(Action::SendText { text }),
    }
}

/// `send-file <path>` in a call with a proven contact, `accept-file [id]`,
/// `decline-file [id]`.
fn file_command(
    g: &Global,
    front: &mut Front,
    sd: &mut Sides<'_>,
    cmd: &str,
    arg: &str,
) -> Result<(), Failure> {
    let now = std::time::Instant::now();
    match cmd {
        "send-file" => {
            if arg.is_empty() {
                return Err(Failure::usage("send-file <path>"));
            }
            let v = front.view();
            let peer = v
                .call
                .as_ref()
                .filter(|c| c.phase.can_text())
                .and_then(|c| susurro_front::proven_peer(v, c))
                .ok_or_else(|| {
                    Failure::usage(
                        "files go to a contact whose key this call proved, once it is talking",
                    )
                })?;
            sd.filing
                .send(peer.1, Path::new(arg))
                .map_err(|e| Failure::usage(e.to_string()))?;
            // The session is up: offer it now.
            let mut notices = Vec::new();
            sd.filing
                .on_event(front, &UiEvent::PeerChanged, now, &mut notices);
            sd.printer.show(g, &mut notices);
            Ok(())
        }
        "accept-file" => {
            let id = files::pick(sd.filing, arg)?;
            sd.filing
                .accept(front, id, now)
                .map_err(|e| Failure::usage(e.to_string()))
        }
        _ => {
            let id = files::pick(sd.filing, arg)?;
            sd.filing
                .decline(front, id, now)
                .map_err(|e| Failure::usage(e.to_string()))
        }
    }
}

/// Line `id` of the call's chat (ours or the peer's).
fn chat_line(v: &View, id: u32, from_peer: bool) -> Option<&susurro_ui::chat::ChatLine> {
    v.call
        .as_ref()?
        .chat
        .lines
        .iter()
        .find(|l| l.id == id && l.from_peer == from_peer)
}

fn find_in_view(v: &View, name: &str) -> Option<ContactId> {
    v.contacts
        .entries
        .iter()
        .find(|c| c.name.as_str() == name)
        .map(|c| c.id)
}

fn outcome_text(o: CompareOutcome) -> &'static str {
    match o {
        CompareOutcome::Match => "match",
        CompareOutcome::Mismatch => "mismatch",
        CompareOutcome::PeerRequested => "peer-requested",
        CompareOutcome::TooManyAttempts => "too-many-attempts",
        CompareOutcome::Aborted => "aborted",
    }
}

fn end_code(reason: EndReason) -> Option<Code> {
    match reason {
        EndReason::LocalHangup | EndReason::RemoteHangup => None,
        EndReason::Rejected
        | EndReason::Unreachable
        | EndReason::Busy
        | EndReason::Incompatible => Some(Code::CallFailed),
        EndReason::StoreLocked => Some(Code::Store),
        _ => Some(Code::CallAborted),
    }
}

/// Prints an event; `Some` when it ends the call (with the command's result).
async fn render(
    g: &Global,
    v: &View,
    ev: &UiEvent,
    called_at: Option<Instant>,
    node: Option<&Node>,
) -> Option<Result<(), Failure>> {
    match ev {
        UiEvent::IncomingCall { call, path } => {
            out(
                g,
                json!({"event": "incoming", "call": call, "path": format!("{path:?}")}),
                || format!("Incoming call over {path:?}."),
            );
        }
        UiEvent::CallPhaseChanged(p) => {
            out(
                g,
                json!({"event": "phase", "phase": format!("{p:?}")}),
                || format!("… {p:?}"),
            );
        }
        UiEvent::CallEstablished { sas, authenticated } => {
            let sas_text = susurro_ui::Sas::new(*sas).as_str().to_owned();
            let setup_ms = called_at.map(|t| t.elapsed().as_secs_f64() * 1000.0);
            let peer = v
                .call
                .as_ref()
                .and_then(|c| c.peer_name.as_ref())
                .map(|n| n.as_str().to_owned());
            out(
                g,
                json!({"event": "established", "sas": sas_text, "authenticated": authenticated, "peer": peer, "setup_ms": setup_ms}),
                || {
                    format!(
                        "Encrypted. Read these to each other: {sas_text}{}",
                        if *authenticated {
                            ""
                        } else {
                            "  (the other side's key is not in your contacts: compare the words!)"
                        }
                    )
                },
            );
        }
        UiEvent::SasVerified => out(g, json!({"event": "sas_verified"}), || {
            "SAS marked as verified.".to_owned()
        }),
        UiEvent::Muted(on) => out(g, json!({"event": "muted", "on": on}), || {
            if *on { "Muted." } else { "Unmuted." }.to_owned()
        }),
        UiEvent::CompareResult(o) => {
            let t = outcome_text(*o);
            out(g, json!({"event": "compare", "outcome": t}), || {
                format!("Secret compare: {t}")
            });
        }
        UiEvent::ContactReceived { name, .. } => {
            out(
                g,
                json!({"event": "contact_received", "name": name.as_str()}),
                || format!("Contact received and saved as {}", name.as_str()),
            );
        }
        UiEvent::TextSent { id } | UiEvent::TextReceived { id } => {
            let from_peer = matches!(ev, UiEvent::TextReceived { .. });
            if let Some(line) = chat_line(v, *id, from_peer) {
                let text = line.text.as_str();
                if from_peer {
                    out(g, json!({"event": "text", "id": id, "text": text}), || {
                        format!("They say: {text}")
                    });
                } else {
                    out(
                        g,
                        json!({"event": "text_sent", "id": id, "text": text}),
                        || format!("You say: {text}"),
                    );
                }
            }
        }
        UiEvent::Receipt { id, kind } => {
            let kind = match kind {
                ReceiptKind::Delivered => "delivered",
                ReceiptKind::Read => "read",
            };
            out(
                g,
                json!({"event": "receipt", "id": id, "kind": kind}),
                || format!("Your message {id} was {kind}."),
            );
        }
        UiEvent::LinkQuality => {
            if let Some(q) = v.call.as_ref().and_then(|c| c.quality)
                && g.json
            {
                print_line(
                        &json!({"event": "quality", "rtt_ms": q.rtt_ms, "loss_permille": q.loss_permille, "late_permille": q.late_permille, "jitter_ms": q.jitter_ms, "paths": q.paths})
                            .to_string(),
                    );
            }
        }
        UiEvent::Network => {
            // A transport box's state, when there is one (its link came up
            // or went down, or its network progressed).
            if let Some(up) = v.network.transport_link {
                let n = &v.network;
                let address = address_text(&n.address);
                out(
                    g,
                    json!({"event": "box", "connected": up, "bootstrap_percent": n.bootstrap_percent, "listening": n.listening, "published": n.onion_published, "address": address}),
                    || {
                        if up {
                            format!(
                                "Network box: connected; network {} %, {}, address {address}.",
                                n.bootstrap_percent,
                                if n.listening {
                                    "listening"
                                } else {
                                    "not listening"
                                }
                            )
                        } else {
                            "Network box: disconnected.".to_owned()
                        }
                    },
                );
            }
        }
        UiEvent::Error(e) => {
            out(
                g,
                json!({"event": "error", "message": e.to_string()}),
                || e.to_string(),
            );
        }
        UiEvent::CallEnded { reason } => {
            let call = v.call.as_ref().map(|c| c.id);
            let audio = match (node, call) {
                (Some(n), Some(id)) => call_audio(n, id).await,
                _ => None,
            };
            let msg = susurro_ui::text::end_message(*reason);
            out(
                g,
                json!({"event": "ended", "reason": format!("{reason:?}"), "message": msg, "audio": audio}),
                || format!("Call ended: {msg}"),
            );
            return Some(match end_code(*reason) {
                None => Ok(()),
                Some(code) => Err(Failure::new(code, msg)),
            });
        }
        _ => {}
    }
    None
}

/// The audio figures of `call`, once the audio side has written them: up
/// to 15 s while its recording is being written (a long call on a busy
/// machine), 1 s if its audio never started.
async fn call_audio(node: &Node, call: susurro_wire::CallId) -> Option<serde_json::Value> {
    for i in 0..750 {
        let found = node.audio_log.lock().ok().and_then(|l| {
            l.iter()
                .rev()
                .find(|a| a.call == call)
                .map(|a| (a.complete, a.clone()))
        });
        match found {
            Some((true, a)) => return serde_json::to_value(a).ok(),
            None if i >= 50 => return None,
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// `inbox`: every conversation, newest first, with its last line and how
/// many of the contact's messages are unread.
pub async fn inbox(g: &Global) -> Result<(), Failure> {
    let (node, mut front, cfg, home) = open(g).await?;
    let r = async {
        let history = messages::open_history(
            &mut front,
            &messages::history_dir(&home),
            messages::limits(&cfg),
        )
        .await?;
        let mut m = Messaging::new(history);
        all_contacts(&mut front).await?;
        // Messages that waited too long are given up here too.
        let mut notices = Vec::new();
        m.expire(front.view(), &mut notices);
        messages::show(g, &mut notices);
        let mut list = m.history().conversations();
        list.sort_by_key(|s| std::cmp::Reverse(s.last.as_ref().map_or(0, |e| e.at)));
        if list.is_empty() && !g.json {
            print_line("No conversations yet.");
        }
        for s in &list {
            let who = susurro_front::name_of(front.view(), &s.contact);
            let last = s.last.as_ref().map(messages::entry_json);
            out(
                g,
                json!({"event": "conversation", "with": who, "unread": s.unread, "last": last}),
                || {
                    let line = s
                        .last
                        .as_ref()
                        .map_or_else(String::new, |e| messages::entry_text(e, &who));
                    format!("{who} ({} unread): {line}", s.unread)
                },
            );
        }
        Ok(())
    }
    .await;
    let stop = close(node, front).await;
    r.and(stop)
}

/// What `conversation` deletes first.
#[derive(Debug, Clone, Copy, Default)]
pub struct Delete {
    /// Our message with this id.
    pub mine: Option<u32>,
    /// Their message with this id.
    pub theirs: Option<u32>,
    /// The whole conversation.
    pub all: bool,
}

/// `conversation <contact>`: the whole conversation, oldest first; the
/// contact's unread messages are now read (their read receipts go in the
/// next session with them). Deletes first what `delete` says.
pub async fn conversation(g: &Global, name: &str, delete: Delete) -> Result<(), Failure> {
    let (node, mut front, cfg, home) = open(g).await?;
    let r = async {
        let mut history = messages::open_history(
            &mut front,
            &messages::history_dir(&home),
            messages::limits(&cfg),
        )
        .await?;
        let c = find_contact(&mut front, name).await?;
        let who = c.name.as_str().to_owned();
        let store = |e: susurro_history::HistoryError| {
            Failure::new(Code::Store, format!("message history: {e}"))
        };
        let mut deleted = Vec::new();
        if delete.all {
            if !history.delete_conversation(&c.key).map_err(store)? {
                return Err(Failure::usage(format!(
                    "there is no conversation with {who}"
                )));
            }
            deleted.push(json!({"all": true}));
        }
        for (way, id, from) in [
            (susurro_history::Direction::Out, delete.mine, "me"),
            (susurro_history::Direction::In, delete.theirs, "them"),
        ] {
            if let Some(id) = id {
                if !history.delete_message(&c.key, way, id).map_err(store)? {
                    return Err(Failure::usage(format!(
                        "there is no message {id} from {} in the conversation with {who}",
                        if from == "me" { "you" } else { who.as_str() }
                    )));
                }
                deleted.push(json!({"id": id, "from": from}));
            }
        }
        for d in &deleted {
            out(
                g,
                json!({"event": "deleted", "with": who, "what": d}),
                || {
                    if d["all"] == true {
                        format!("The conversation with {who} is deleted.")
                    } else {
                        format!("Message {} deleted.", d["id"])
                    }
                },
            );
        }
        let lines = history.conversation(&c.key);
        if lines.is_empty() && !g.json {
            print_line(&format!("No messages with {who} yet."));
        }
        for e in &lines {
            out(
                g,
                json!({"event": "message", "with": who, "message": messages::entry_json(e)}),
                || messages::entry_text(e, &who),
            );
            if e.status == susurro_history::Status::Unread {
                history
                    .mark_in_read(&c.key, e.id)
                    .map_err(|e| Failure::new(Code::Store, format!("message history: {e}")))?;
            }
        }
        Ok(())
    }
    .await;
    let stop = close(node, front).await;
    r.and(stop)
}
