#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Who may import whom (`docs/architecture.md`, "Who may import whom"),
//! checked on the manifests as `cargo metadata` reports them.
//!
//! The rules are data ([`allowed_workspace_deps`], [`PRIMITIVES`], …) and
//! one function, [`violations`], over a small graph type; the tests run it
//! on the real workspaces (the host workspace and `firmware/`) and, as a
//! self-check, on synthetic graphs that break each rule.
//!
//! It reads `cargo metadata --no-deps`: each manifest's declared
//! dependencies (with the features it asks for), so an edge is reported
//! where it is written. Paths through other workspace crates are followed
//! (module → host → module); external crates' own dependencies are not.
//!
//! Dependency kinds: every rule applies to normal and build dependencies
//! (what ships). Dev-dependencies are held to two rules only: module crates
//! do not pull one another into their tests either, and nobody but
//! `susurro-crypto` names a primitive crypto crate. The other rules leave
//! them free (tests may open sockets, assemble a whole party, use std).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The four module crates: none depends on another, directly or through
/// other workspace crates.
const MODULES: &[&str] = &[
    "susurro-transport",
    "susurro-cryptor",
    "susurro-storage",
    "susurro-ui",
];

/// Crates that build `no_std` (the Cortex-M builds of `scripts/test.sh`).
const NO_STD: &[&str] = &[
    "susurro-wire",
    "susurro-crypto",
    "susurro-cryptor",
    "susurro-storage",
    "susurro-ui",
];

/// External crates a `no_std` crate may name as a normal dependency (the
/// workspace's "no_std building blocks"), besides the primitives for
/// `susurro-crypto`. An optional dependency is also allowed if only the
/// crate's `std` feature turns it on.
const NO_STD_EXTERNAL: &[&str] = &[
    "heapless",
    "cobs",
    "crc",
    "zeroize",
    "subtle",
    "rand_core",
    "base16ct",
];

/// Primitive crypto crates: only `susurro-crypto` names them. The first
/// nine are the workspace's "crypto primitives" group (`susurro-crypto`
/// names all but `curve25519-dalek`, which comes through the other two);
/// the rest would be new primitives and belong in it too.
const PRIMITIVES: &[&str] = &[
    "keccak",
    "x25519-dalek",
    "curve25519-dalek",
    "curve25519-elligator2",
    "chacha20",
    "serpent",
    "ocb3",
    "argon2",
    "sha3",
    "sha2",
    "sha1",
    "blake2",
    "blake3",
    "hmac",
    "hkdf",
    "poly1305",
    "chacha20poly1305",
    "aes",
    "aes-gcm",
    "ed25519-dalek",
    "ring",
    "aws-lc-rs",
];

/// The crate allowed to name [`PRIMITIVES`].
const CRYPTO: &str = "susurro-crypto";

/// Crates allowed to open sockets, i.e. to enable tokio's `net` feature.
const SOCKETS: &[&str] = &["susurro-transport", "susurro-host"];

/// The workspace crates `name` may depend on, or `None` for a crate the
/// rules do not know (itself a violation: state its rule here and in
/// `docs/architecture.md`).
fn allowed_workspace_deps(name: &str) -> Option<&'static [&'static str]> {
    const LIBS_BUT_CONFORMANCE: &[&str] = &[
        "susurro-wire",
        "susurro-crypto",
        "susurro-cryptor",
        "susurro-storage",
        "susurro-transport",
        "susurro-ui",
        "susurro-host",
        "susurro-audio",
        "susurro-node",
        "susurro-history",
        "susurro-files",
        "susurro-front",
    ];
    Some(match name {
        // The primitives: no Susurro crate below them.
        "susurro-crypto" => &[],
        // The message vocabulary: its secrets and hex are crypto's.
        "susurro-wire" => &["susurro-crypto"],
        // Module crates: the two shared crates only.
        "susurro-transport" | "susurro-cryptor" | "susurro-storage" | "susurro-ui" => {
            &["susurro-wire", "susurro-crypto"]
        }
        // Runs cores and links; knows messages, not modules.
        "susurro-host" => &["susurro-wire"],
        // Sound only: knows nothing of calls or messages.
        "susurro-audio" => &[],
        // One party's runtime: the modules a party runs (not the ui core,
        // which lives in each front end).
        "susurro-node" => &[
            "susurro-wire",
            "susurro-crypto",
            "susurro-cryptor",
            "susurro-storage",
            "susurro-transport",
            "susurro-host",
            "susurro-audio",
        ],
        // Tests module implementations through wire messages; hosts the
        // storage module for its storage-node binary.
        "susurro-conformance" => &[
            "susurro-wire",
            "susurro-crypto",
            "susurro-storage",
            "susurro-host",
        ],
        // Dev-only vector tooling (the H trace recorder and checker): the
        // primitives it records, nothing else.
        "susurro-vectors" => &["susurro-crypto"],
        // The host's text history and outbox: its cipher and key
        // derivation from crypto, the longest message from wire.
        "susurro-history" => &["susurro-wire", "susurro-crypto"],
        // File transfer between front ends: the file messages from wire,
        // the hash, the chunk cipher and the record seal from crypto.
        "susurro-files" => &["susurro-wire", "susurro-crypto"],
        // What both front ends do beside the ui core: conversations in the
        // history and file transfers, driven by the ui core's events.
        "susurro-front" => &[
            "susurro-wire",
            "susurro-crypto",
            "susurro-ui",
            "susurro-history",
            "susurro-files",
        ],
        // The front ends may assemble anything but the test suite.
        "susurro-cli" | "susurro" => LIBS_BUT_CONFORMANCE,
        // The transport box runs on the untrusted side: transport and the
        // host that links it to the trusted side, never storage, cryptor,
        // ui or audio (nor node, which assembles them).
        "susurro-box" => &["susurro-wire", "susurro-host", "susurro-transport"],
        // Firmware workspace. The shared library: the token's storage side,
        // and (feature `handset`) the handset's board-independent logic,
        // the three trusted cores and the screens, as susurro-node
        // assembles them on a host.
        "susurro-fw" => &[
            "susurro-wire",
            "susurro-crypto",
            "susurro-storage",
            "susurro-cryptor",
            "susurro-ui",
            "susurro-handset-ui",
        ],
        // The images' build-script helper (memory.x, linker scripts).
        "susurro-fw-link" => &[],
        // libopus for the MCU: no Susurro crate.
        "susurro-fw-opus" => &[],
        "susurro-token" | "susurro-emu" => &[
            "susurro-wire",
            "susurro-crypto",
            "susurro-storage",
            "susurro-fw",
            "susurro-fw-link",
        ],
        // The Opus bench image: the codec and the voice session it times.
        "susurro-opus-bench" => &[
            "susurro-crypto",
            "susurro-cryptor",
            "susurro-fw-opus",
            "susurro-fw-link",
        ],
        // The handset's screens: the ui core's view and the wire's types.
        "susurro-handset-ui" => &["susurro-wire", "susurro-ui"],
        // The handset image: the three trusted cores side by side (like
        // susurro-node on a host), the token's board-independent parts and
        // the screens.
        "susurro-handset" => &[
            "susurro-wire",
            "susurro-crypto",
            "susurro-storage",
            "susurro-cryptor",
            "susurro-ui",
            "susurro-fw",
            "susurro-handset-ui",
            "susurro-fw-link",
        ],
        // The same handset on QEMU, with Opus.
        "susurro-handset-emu" => &[
            "susurro-wire",
            "susurro-crypto",
            "susurro-storage",
            "susurro-cryptor",
            "susurro-ui",
            "susurro-fw",
            "susurro-handset-ui",
            "susurro-fw-opus",
            "susurro-fw-link",
        ],
        _ => return None,
    })
}

/// Kind of a dependency edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Normal,
    Build,
    Dev,
}

impl Kind {
    fn ships(self) -> bool {
        self != Kind::Dev
    }

    fn label(self) -> &'static str {
        match self {
            Kind::Normal => "",
            Kind::Build => " (build-dependency)",
            Kind::Dev => " (dev-dependency)",
        }
    }
}

/// One declared dependency.
#[derive(Debug, Clone)]
struct Dep {
    /// Package name (not the local rename).
    name: String,
    kind: Kind,
    optional: bool,
    features: Vec<String>,
}

/// One workspace crate as its manifest declares it.
#[derive(Debug, Clone, Default)]
struct Crate {
    name: String,
    deps: Vec<Dep>,
    /// The `[features]` table.
    features: BTreeMap<String, Vec<String>>,
    /// Whether its library root declares `no_std` (`None`: no library).
    lib_no_std: Option<bool>,
}

/// Every rule broken by `crates`, one line each naming the offending edge
/// as `from → to`. `workspace` is the set of crate names that count as
/// workspace crates (the host workspace's and the firmware's).
fn violations(crates: &[Crate], workspace: &BTreeSet<String>) -> Vec<String> {
    let mut v = Vec::new();
    let by_name: BTreeMap<&str, &Crate> = crates.iter().map(|c| (c.name.as_str(), c)).collect();

    for c in crates {
        let allowed = allowed_workspace_deps(&c.name);
        if allowed.is_none() {
            v.push(format!(
                "{}: a crate the architecture rules do not know; give it a line in \
                 allowed_workspace_deps (crates/conformance/tests/architecture.rs) \
                 and in docs/architecture.md",
                c.name
            ));
        }
        let is_module = MODULES.contains(&c.name.as_str());
        for d in &c.deps {
            let edge = format!("{} → {}{}", c.name, d.name, d.kind.label());
            let internal = workspace.contains(&d.name);
            // Module crates never depend on each other (tests included).
            if is_module && MODULES.contains(&d.name.as_str()) && d.name != c.name {
                v.push(format!(
                    "{edge}: module crates never depend on each other; they share only susurro-wire and susurro-crypto"
                ));
                continue;
            }
            // The table of allowed workspace dependencies.
            if internal
                && d.kind.ships()
                && d.name != c.name
                && let Some(allowed) = allowed
                && !allowed.contains(&d.name.as_str())
            {
                v.push(format!(
                    "{edge}: {} may depend only on {:?} among Susurro crates",
                    c.name, allowed
                ));
            }
            // Primitive crypto crates: only susurro-crypto names them.
            if c.name != CRYPTO && PRIMITIVES.contains(&d.name.as_str()) {
                v.push(format!(
                    "{edge}: only {CRYPTO} names primitive crypto crates"
                ));
            }
            // Sockets: tokio's `net` feature.
            if d.kind.ships()
                && d.name == "tokio"
                && d.features.iter().any(|f| f == "net")
                && !SOCKETS.contains(&c.name.as_str())
            {
                v.push(format!(
                    "{edge} with feature \"net\": only {SOCKETS:?} open sockets"
                ));
            }
            // no_std crates: building blocks only.
            if NO_STD.contains(&c.name.as_str()) && d.kind.ships() && !internal {
                let building_block = NO_STD_EXTERNAL.contains(&d.name.as_str())
                    || (c.name == CRYPTO && PRIMITIVES.contains(&d.name.as_str()));
                let std_only = d.optional && enabled_only_by_std(c, &d.name);
                if !building_block && !std_only {
                    v.push(format!(
                        "{edge}: {} builds no_std; it names only the no_std building blocks {:?} \
                         (or optional dependencies its `std` feature turns on)",
                        c.name, NO_STD_EXTERNAL
                    ));
                }
            }
        }
        // tokio's `net` switched on through a feature of the crate.
        if !SOCKETS.contains(&c.name.as_str()) {
            for (feature, enables) in &c.features {
                if enables
                    .iter()
                    .any(|e| e == "tokio/net" || e == "tokio?/net")
                {
                    v.push(format!(
                        "{} → tokio (feature \"{feature}\" enables \"net\"): only {SOCKETS:?} open sockets",
                        c.name
                    ));
                }
            }
        }
        // no_std crates say so in their library root, and their default
        // features do not bring std in.
        if NO_STD.contains(&c.name.as_str()) {
            if c.lib_no_std == Some(false) {
                v.push(format!(
                    "{}: its src/lib.rs does not declare #![no_std] (or #![cfg_attr(not(feature = \"std\"), no_std)])",
                    c.name
                ));
            }
            if c.features
                .get("default")
                .is_some_and(|d| d.iter().any(|f| f == "std"))
            {
                v.push(format!(
                    "{}: its default features enable \"std\"; a no_std crate's default must not",
                    c.name
                ));
            }
        }
    }

    // Module crates do not reach one another through other workspace
    // crates either (shipping edges).
    for m in MODULES {
        let Some(start) = by_name.get(m) else {
            continue;
        };
        let mut seen = BTreeSet::new();
        let mut stack: Vec<(&str, String)> = start
            .deps
            .iter()
            .filter(|d| d.kind.ships() && workspace.contains(&d.name) && d.name != *m)
            .map(|d| (d.name.as_str(), format!("{m} → {}", d.name)))
            .collect();
        while let Some((name, path)) = stack.pop() {
            if !seen.insert(name) {
                continue;
            }
            if MODULES.contains(&name) {
                // A direct edge is reported above.
                if path.matches('→').count() > 1 {
                    v.push(format!(
                        "{path}: module crates never depend on each other, not even through another crate"
                    ));
                }
                continue;
            }
            if let Some(c) = by_name.get(name) {
                for d in &c.deps {
                    if d.kind.ships() && workspace.contains(&d.name) && d.name != name {
                        stack.push((d.name.as_str(), format!("{path} → {}", d.name)));
                    }
                }
            }
        }
    }
    v
}

/// Whether only the crate's `std` feature (or features that only name
/// `std`) turns on the optional dependency `dep`.
fn enabled_only_by_std(c: &Crate, dep: &str) -> bool {
    let names = |e: &String| {
        e == dep
            || e == &format!("dep:{dep}")
            || e.starts_with(&format!("{dep}/"))
            || e.starts_with(&format!("{dep}?/"))
    };
    c.features
        .iter()
        .filter(|(_, enables)| enables.iter().any(names))
        .all(|(f, _)| f == "std")
}

// ---- reading `cargo metadata` ---------------------------------------------

fn metadata(manifest: &Path) -> Value {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .arg("--manifest-path")
        .arg(manifest)
        .output()
        .expect("running cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata --manifest-path {} failed: {}",
        manifest.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata printed JSON")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The workspace members of one `cargo metadata` answer.
fn crates_of(meta: &Value) -> Vec<Crate> {
    let members: BTreeSet<String> = strings(&meta["workspace_members"]).into_iter().collect();
    let packages = meta["packages"].as_array().expect("packages");
    packages
        .iter()
        .filter(|p| p["id"].as_str().is_some_and(|id| members.contains(id)))
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .map(|d| Dep {
                    name: d["name"].as_str().expect("dependency name").to_owned(),
                    kind: match d["kind"].as_str() {
                        None => Kind::Normal,
                        Some("build") => Kind::Build,
                        Some("dev") => Kind::Dev,
                        Some(k) => panic!("unknown dependency kind {k}"),
                    },
                    optional: d["optional"].as_bool().unwrap_or(false),
                    features: strings(&d["features"]),
                })
                .collect();
            let features = p["features"]
                .as_object()
                .map(|o| o.iter().map(|(k, v)| (k.clone(), strings(v))).collect())
                .unwrap_or_default();
            let lib = p["targets"].as_array().and_then(|ts| {
                ts.iter()
                    .find(|t| strings(&t["kind"]).iter().any(|k| k == "lib"))
            });
            let lib_no_std = lib.map(|t| {
                let src = PathBuf::from(t["src_path"].as_str().expect("src_path"));
                let text = std::fs::read_to_string(&src).expect("reading a library root");
                text.lines().map(str::trim).any(|l| {
                    l == "#![no_std]" || l == "#![cfg_attr(not(feature = \"std\"), no_std)]"
                })
            });
            Crate {
                name: p["name"].as_str().expect("package name").to_owned(),
                deps,
                features,
                lib_no_std,
            }
        })
        .collect()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Both workspaces' crates: the host workspace and `firmware/`.
fn real_crates() -> Vec<Crate> {
    let host = crates_of(&metadata(&root().join("Cargo.toml")));
    let firmware = crates_of(&metadata(&root().join("firmware/Cargo.toml")));
    assert!(
        host.iter().any(|c| c.name == "susurro-conformance"),
        "the host workspace's metadata lacks this crate"
    );
    assert!(
        firmware.iter().any(|c| c.name == "susurro-fw"),
        "the firmware workspace's metadata lacks susurro-fw"
    );
    host.into_iter().chain(firmware).collect()
}

fn names(crates: &[Crate]) -> BTreeSet<String> {
    crates.iter().map(|c| c.name.clone()).collect()
}

/// Asserts that one violation in `v` starts with `prefix`.
fn assert_reports(v: &[String], prefix: &str) {
    assert!(
        v.iter().any(|e| e.starts_with(prefix)),
        "no {prefix:?} in {v:?}"
    );
}

/// The crate named `name` in a synthetic graph.
fn crate_mut<'a>(crates: &'a mut [Crate], name: &str) -> &'a mut Crate {
    crates
        .iter_mut()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no crate {name} in the graph"))
}

#[test]
fn the_workspaces_follow_the_import_rules() {
    let crates = real_crates();
    let v = violations(&crates, &names(&crates));
    assert!(
        v.is_empty(),
        "architecture rules broken (docs/architecture.md, \"Who may import whom\"):\n  {}",
        v.join("\n  ")
    );
}

#[test]
fn every_crate_is_in_the_document() {
    let doc = std::fs::read_to_string(root().join("docs/architecture.md"))
        .expect("reading docs/architecture.md");
    let missing: Vec<String> = names(&real_crates())
        .into_iter()
        .filter(|n| !doc.contains(&format!("`{n}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/architecture.md does not name these crates (as `name`): {missing:?}"
    );
}

// ---- self-checks: each rule catches what it forbids ------------------------

fn dep(name: &str, kind: Kind) -> Dep {
    Dep {
        name: name.to_owned(),
        kind,
        optional: false,
        features: Vec::new(),
    }
}

fn krate(name: &str, deps: Vec<Dep>) -> Crate {
    Crate {
        name: name.to_owned(),
        deps,
        features: BTreeMap::new(),
        lib_no_std: Some(true),
    }
}

/// A legal miniature of the workspace.
fn legal() -> Vec<Crate> {
    vec![
        krate("susurro-wire", vec![dep("heapless", Kind::Normal)]),
        krate(
            "susurro-crypto",
            vec![
                dep("keccak", Kind::Normal),
                dep("x25519-dalek", Kind::Normal),
            ],
        ),
        krate(
            "susurro-transport",
            vec![
                dep("susurro-wire", Kind::Normal),
                dep("susurro-crypto", Kind::Normal),
                Dep {
                    features: vec!["net".to_owned()],
                    ..dep("tokio", Kind::Normal)
                },
            ],
        ),
        krate(
            "susurro-cryptor",
            vec![
                dep("susurro-wire", Kind::Normal),
                dep("susurro-crypto", Kind::Normal),
            ],
        ),
        krate(
            "susurro-storage",
            vec![
                dep("susurro-wire", Kind::Normal),
                dep("susurro-crypto", Kind::Normal),
            ],
        ),
        krate("susurro-host", vec![dep("susurro-wire", Kind::Normal)]),
        krate(
            "susurro-node",
            vec![
                dep("susurro-cryptor", Kind::Normal),
                dep("susurro-transport", Kind::Normal),
            ],
        ),
    ]
}

fn check(crates: &[Crate]) -> Vec<String> {
    violations(crates, &names(crates))
}

fn with(mut crates: Vec<Crate>, name: &str, extra: Dep) -> Vec<Crate> {
    crates
        .iter_mut()
        .find(|c| c.name == name)
        .expect("crate in the miniature")
        .deps
        .push(extra);
    crates
}

#[test]
fn self_check_the_legal_miniature_passes() {
    assert_eq!(check(&legal()), Vec::<String>::new());
}

#[test]
fn self_check_catches_transport_depending_on_cryptor() {
    let v = check(&with(
        legal(),
        "susurro-transport",
        dep("susurro-cryptor", Kind::Normal),
    ));
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(
        v[0].starts_with("susurro-transport → susurro-cryptor:"),
        "{v:?}"
    );
    // In tests too.
    let v = check(&with(
        legal(),
        "susurro-transport",
        dep("susurro-cryptor", Kind::Dev),
    ));
    assert_reports(&v, "susurro-transport → susurro-cryptor (dev-dependency)");
}

#[test]
fn self_check_catches_a_module_reaching_another_through_a_crate() {
    // transport → host → cryptor: host may not name cryptor, and the path
    // from one module to another is reported as such.
    let v = check(&with(
        with(
            legal(),
            "susurro-transport",
            dep("susurro-host", Kind::Normal),
        ),
        "susurro-host",
        dep("susurro-cryptor", Kind::Normal),
    ));
    assert_reports(&v, "susurro-host → susurro-cryptor:");
    assert!(
        v.iter().any(|e| e.starts_with(
            "susurro-transport → susurro-host → susurro-cryptor: module crates never depend"
        )),
        "{v:?}"
    );
}

#[test]
fn self_check_catches_a_primitive_outside_crypto() {
    let v = check(&with(legal(), "susurro-cryptor", dep("sha3", Kind::Normal)));
    assert_reports(&v, "susurro-cryptor → sha3: only susurro-crypto");
    // Also as a dev-dependency.
    let v = check(&with(legal(), "susurro-node", dep("argon2", Kind::Dev)));
    assert_reports(
        &v,
        "susurro-node → argon2 (dev-dependency): only susurro-crypto",
    );
}

#[test]
fn self_check_catches_sockets_outside_transport_and_host() {
    let tokio_net = Dep {
        features: vec!["rt".to_owned(), "net".to_owned()],
        ..dep("tokio", Kind::Normal)
    };
    let v = check(&with(legal(), "susurro-node", tokio_net.clone()));
    assert_reports(&v, "susurro-node → tokio with feature \"net\"");
    // A dev-dependency may (tests open sockets).
    let v = check(&with(
        legal(),
        "susurro-node",
        Dep {
            kind: Kind::Dev,
            ..tokio_net
        },
    ));
    assert_eq!(v, Vec::<String>::new());
    // Through the crate's own features.
    let mut crates = legal();
    let node = crate_mut(&mut crates, "susurro-node");
    node.features
        .insert("udp".to_owned(), vec!["tokio/net".to_owned()]);
    let v = check(&crates);
    assert_reports(&v, "susurro-node → tokio (feature \"udp\" enables \"net\")");
}

#[test]
fn self_check_catches_std_in_a_no_std_crate() {
    let v = check(&with(
        legal(),
        "susurro-cryptor",
        dep("tokio", Kind::Normal),
    ));
    assert_reports(&v, "susurro-cryptor → tokio: susurro-cryptor builds no_std");
    // An optional dependency only `std` turns on is fine; another feature
    // turning it on is not.
    let mut crates = with(
        legal(),
        "susurro-cryptor",
        Dep {
            optional: true,
            ..dep("getrandom", Kind::Normal)
        },
    );
    let cryptor = crate_mut(&mut crates, "susurro-cryptor");
    cryptor
        .features
        .insert("std".to_owned(), vec!["dep:getrandom".to_owned()]);
    assert_eq!(check(&crates), Vec::<String>::new());
    let cryptor = crate_mut(&mut crates, "susurro-cryptor");
    cryptor
        .features
        .insert("fast".to_owned(), vec!["getrandom/rdrand".to_owned()]);
    cryptor
        .features
        .insert("default".to_owned(), vec!["std".to_owned()]);
    cryptor.lib_no_std = Some(false);
    let v = check(&crates);
    assert_reports(
        &v,
        "susurro-cryptor → getrandom: susurro-cryptor builds no_std",
    );
    assert_reports(&v, "susurro-cryptor: its src/lib.rs does not declare");
    assert_reports(&v, "susurro-cryptor: its default features enable");
}

#[test]
fn self_check_catches_an_unlisted_dependency_and_an_unknown_crate() {
    // host knows messages, not modules.
    let v = check(&with(
        legal(),
        "susurro-host",
        dep("susurro-storage", Kind::Normal),
    ));
    assert_reports(
        &v,
        "susurro-host → susurro-storage: susurro-host may depend only on",
    );
    let mut crates = legal();
    crates.push(krate("susurro-directory", vec![]));
    let v = check(&crates);
    assert_reports(
        &v,
        "susurro-directory: a crate the architecture rules do not know",
    );
}
