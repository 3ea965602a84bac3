//! The desktop app over Tor, as people see it: a private Tor network on
//! 127.0.0.1 (Debian's `tor`: 3 directory authorities and 4 relays,
//! stopped by PID at the end), and real apps (each with its four modules
//! and embedded arti) driven through the accessibility tree.
//!
//! Alice and Bob create their identities in Tor mode (the `[tor]` section
//! of `config.toml` points at the private network; name and password go
//! through onboarding). Their windows follow the bootstrap, then the
//! onion service; each copies the other's onion card into Contacts; Alice
//! calls Bob, Bob answers in the incoming-call dialog, both windows show
//! the call over Tor on two circuits (Bob's call-back), authenticated, the
//! same code; both press "They read the same code", Alice hangs up.
//! Meanwhile Carol starts in direct TCP and switches to Tor in Settings:
//! her window shows Tor's progress and ends with an onion card, without
//! her password again. At the end Bob switches back to direct TCP (a TCP
//! card, which Carol calls directly), then to Tor again (the same onion
//! card as before).
//!
//! Without `tor` the test says SKIPPED and passes, unless
//! `SUSURRO_REQUIRE_TOR=1`. `SUSURRO_MEASURE_RSS=1` also measures the
//! resident memory of the real `susurro` binary in Tor mode under Xvfb
//! (idle with its onion service up, then in a Tor call Bob answers).
//!
//! ```text
//! apt-get install -y tor
//! cargo test -p susurro --test gui_tor -- --nocapture
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use susurro_desktop::config::{Mode, Tor};
use susurro_transport::testnet::{TestNet, TestNetError, TestNetOptions};
use susurro_ui::{Phase, SetupStage};
use susurro_wire::{Address, NetMode};

/// Bounds of the steps, as the CLI's Tor test (the whole test stays under
/// ~8 minutes).
const CONSENSUS: Duration = Duration::from_secs(120);
const ONION_UP: Duration = Duration::from_secs(240);
/// Call attempts, 5 s apart, within `CONNECT_BOUND`: an onion service can
/// be unreachable for up to a minute after each time-period change.
const CALL_TRIES: u32 = 40;
const CONNECT_BOUND: Duration = Duration::from_secs(300);
/// One attempt: Tor's connect timeout is 120 s, the handshake's 60 s.
const TRY_BOUND: Duration = Duration::from_secs(180);

const PASSWORD: &str = "correct horse";

/// Steps every harness until `done` holds, within `bound` (50 ms between
/// rounds: arti needs the CPU more than the windows do).
fn until(
    people: &mut [&mut Person],
    bound: Duration,
    what: &str,
    done: impl Fn(&[&mut Person]) -> bool,
) {
    wait_paced(people, bound, Duration::from_millis(50), what, done);
}

/// Steps the harnesses for `d`.
fn idle(people: &mut [&mut Person], d: Duration) {
    let end = Instant::now() + d;
    while Instant::now() < end {
        for p in people.iter_mut() {
            p.h.step();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// This process's resident memory, MiB (`VmRSS`).
fn rss_mib() -> f64 {
    susurro_desktop::app::rss_kib().0 as f64 / 1024.0
}

/// The private network, started once more if it does not form (bounded:
/// two tries); `None` when `tor` is not installed (and not required).
fn network(rt: &tokio::runtime::Runtime) -> Option<(TestNet, Duration)> {
    let mut tries = 0;
    loop {
        tries += 1;
        let started = TestNet::start(&TestNetOptions::default());
        if let Err(TestNetError::Missing(what)) = &started {
            assert!(
                std::env::var_os("SUSURRO_REQUIRE_TOR").is_none_or(|v| v != "1"),
                "{what} is missing (apt-get install -y tor) and SUSURRO_REQUIRE_TOR=1"
            );
            eprintln!("SKIPPED: {what} is not installed (apt-get install -y tor)");
            return None;
        }
        let r = started.map_err(|e| e.to_string()).and_then(|mut n| {
            rt.block_on(n.wait_for_consensus(CONSENSUS))
                .map(|c| (n, c))
                .map_err(|e| e.to_string())
        });
        match r {
            Ok(x) => return Some(x),
            Err(e) if tries < 2 => eprintln!("private Tor network: {e}; starting it again"),
            Err(e) => panic!("private Tor network: {e}"),
        }
    }
}

/// Onboarding in Tor mode (as prepared in the config): name, password
/// twice, create; the window moves on to the network step. Returns when
/// "Create my identity" was pressed.
fn create_in_tor_mode(p: &mut Person, name: &str) -> Instant {
    until(
        &mut [p],
        Duration::from_secs(20),
        "the welcome screen",
        |ps| ps[0].has("Create my identity"),
    );
    assert!(
        p.has_text("Over Tor (recommended)"),
        "Tor is offered at onboarding"
    );
    p.type_into("Your name (shown on your contact card)", name);
    p.type_into("Password", PASSWORD);
    p.type_into("Password again", PASSWORD);
    p.click("Create my identity");
    let created = Instant::now();
    until(
        &mut [p],
        Duration::from_secs(30),
        "the network step",
        |ps| ps[0].has("Continue") && ps[0].has_text("Connecting to Tor"),
    );
    created
}

/// Follows `p`'s window (stepped alone, so it shows each change as it
/// comes) until its onion service runs, within `ONION_UP`; times count
/// from `since`.
fn follow(p: &mut Person, who: &str, since: Instant) {
    let mut progress = Progress::default();
    let end = Instant::now() + ONION_UP;
    loop {
        p.h.step();
        progress.look(p, since.elapsed());
        if progress.onion_up.is_some() {
            break;
        }
        if Instant::now() > end {
            progress.report(who);
            panic!("{who}: the onion service did not come up within {ONION_UP:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    progress.report(who);
    assert!(progress.connected.is_some(), "{who}: the bar reached 100 %");
}

/// What a window showed of Tor's progress, and when.
#[derive(Default)]
struct Progress {
    /// Percentages the bar showed, in order.
    percents: Vec<u8>,
    /// "[done] 1. Connect to the Tor network (100 %)" first shown.
    connected: Option<Duration>,
    /// "[done] 2. Start your onion service" first shown.
    onion_up: Option<Duration>,
    /// "[done] 3. Published" first shown.
    published: Option<Duration>,
}

impl Progress {
    /// Reads the window of `p` (the bar and the three steps, wherever the
    /// window shows them), `t` since the start of Tor.
    fn look(&mut self, p: &Person, t: Duration) {
        let pct = p.view().network.bootstrap_percent;
        if p.has_text(&format!("Tor network {pct} %")) && self.percents.last() != Some(&pct) {
            self.percents.push(pct);
        }
        if self.connected.is_none() && p.has_text("[done] 1. Connect to the Tor network (100 %)") {
            self.connected = Some(t);
        }
        if self.onion_up.is_none() && p.has_text("[done] 2. Start your onion service") {
            self.onion_up = Some(t);
        }
        if self.published.is_none() && p.has_text("[done] 3. Published") {
            self.published = Some(t);
        }
    }

    fn report(&self, who: &str) {
        let s = |d: Option<Duration>| {
            d.map_or("—".to_owned(), |d| format!("{:.1} s", d.as_secs_f64()))
        };
        eprintln!(
            "{who}: window showed Tor {:?} %; connected after {}, onion service up after {}, published after {}",
            self.percents,
            s(self.connected),
            s(self.onion_up),
            s(self.published)
        );
    }
}

/// The card the window shows, decoded.
fn shown_card(p: &mut Person) -> (String, Address) {
    p.click("My card");
    until(&mut [p], Duration::from_secs(10), "the card", |ps| {
        ps[0].has("Card text")
    });
    let text = card_text(p);
    let card = susurro_ui::uri::decode(&text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
    (text, card.address)
}

/// Pastes `card` in Contacts and adds it.
fn add_contact(p: &mut Person, card: &str, name: &str) {
    p.click("Contacts");
    p.type_into("Contact card", card);
    assert!(p.has_text(&format!("A valid card for {name}")));
    assert!(p.has_text(".onion:"), "the card's onion address is shown");
    p.click("Add contact");
    let call = format!("Call {name}");
    until(&mut [p], Duration::from_secs(10), "the new contact", |ps| {
        ps[0].has(&call)
    });
}

/// Opens Settings (once the window shows no call) and picks `mode`.
fn open_settings_and_pick(p: &mut Person, mode: &str) {
    until(
        &mut [p],
        Duration::from_secs(10),
        "no call on screen",
        |ps| ps[0].view().call.is_none(),
    );
    p.click("Settings");
    until(&mut [p], Duration::from_secs(10), "the settings", |ps| {
        ps[0].has("Save settings")
    });
    p.click(mode);
}

/// The active call's phase in `p`'s view.
fn phase(p: &Person) -> Option<Phase> {
    p.view().call.as_ref().map(|c| c.phase)
}

/// Alice calls Bob (retrying, bounded, while his onion service is
/// unreachable) until his phone rings. Returns (seconds from the click to
/// Alice's code, from the stream opening to it, tries).
fn call_until_it_rings(alice: &mut Person, bob: &mut Person) -> (f64, f64, u32) {
    let start = Instant::now();
    for attempt in 1..=CALL_TRIES {
        alice.click("Contacts");
        alice.click("Call Bob");
        let clicked = Instant::now();
        let mut opened = None;
        let mut keys = None;
        let end = clicked + TRY_BOUND;
        let outcome = loop {
            alice.h.step();
            bob.h.step();
            let now = Instant::now();
            if opened.is_none()
                && phase(alice) == Some(Phase::Calling(SetupStage::Obfuscating))
                && alice.has_text("Opening a hidden channel")
            {
                opened = Some(now);
            }
            if keys.is_none() && alice.view().call.as_ref().is_some_and(|c| c.sas.is_some()) {
                keys = Some(now);
            }
            if bob.has("Answer") {
                break Ok(());
            }
            if let Some(Phase::Ended(r)) = phase(alice) {
                break Err(susurro_ui::text::end_message(r).to_owned());
            }
            if now > end {
                break Err(format!("no ring within {TRY_BOUND:?}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        match outcome {
            Ok(()) => {
                let keys = keys.unwrap_or_else(Instant::now);
                let to_keys = (keys - clicked).as_secs_f64();
                let after_stream = opened.map_or(to_keys, |o| (keys - o).as_secs_f64());
                eprintln!(
                    "alice → bob: rang on try {attempt}; keys {to_keys:.1} s after the click on Call, {after_stream:.1} s after the stream opened"
                );
                return (to_keys, after_stream, attempt);
            }
            Err(why) => {
                eprintln!("alice → bob: try {attempt} failed ({why}); retrying");
                if alice.view().active_call().is_some() {
                    alice.click("Hang up");
                }
                until(
                    &mut [alice, bob],
                    Duration::from_secs(30),
                    "the failed call to end",
                    |ps| {
                        ps[0].view().active_call().is_none() && ps[1].view().active_call().is_none()
                    },
                );
                if alice.has("Close") {
                    alice.click("Close");
                }
            }
        }
        if start.elapsed() > CONNECT_BOUND {
            break;
        }
        idle(&mut [alice, bob], Duration::from_secs(5));
    }
    panic!("Alice could not reach Bob within {CONNECT_BOUND:?}");
}

/// Hangs up at `caller` and checks both windows go back to idle.
fn hang_up(caller: &mut Person, callee: &mut Person, callee_sees: &str) {
    caller.click("Hang up");
    until(
        &mut [caller, callee],
        Duration::from_secs(30),
        "the call to end in both windows",
        |ps| ps[0].has_text("You hung up.") && ps[1].has_text("The other side hung up."),
    );
    caller.click("Close");
    callee.click("Close");
    until(
        &mut [caller, callee],
        Duration::from_secs(10),
        "both windows idle",
        |ps| ps.iter().all(|p| p.view().call.is_none()),
    );
    assert!(callee.has(callee_sees), "{callee_sees} is offered again");
}

/// Runs the real `susurro` binary on `home` under Xvfb until it closes
/// itself after `secs`, stepping Bob's window (he answers when it rings).
/// Returns the figures file and when Bob's phone rang (since the start).
fn run_binary(
    home: &Path,
    secs: u32,
    call: bool,
    bob: &mut Person,
    out: &Path,
) -> (String, Option<f64>) {
    let pw = home.join("pw");
    std::fs::write(&pw, PASSWORD).unwrap();
    let stats = out.join(if call { "call.json" } else { "idle.json" });
    let mut cmd = Command::new("xvfb-run");
    cmd.args(["-a", "-s", "-screen 0 1024x768x24"])
        .arg(env!("CARGO_BIN_EXE_susurro"))
        .arg("--home")
        .arg(home)
        .arg("--password-file")
        .arg(&pw)
        .args(["--exit-after", &secs.to_string(), "--stats"])
        .arg(&stats)
        .env("LIBGL_ALWAYS_SOFTWARE", "1");
    if call {
        cmd.args(["--call", "Bob", "--input"])
            .arg(wav())
            .arg("--output")
            .arg(out.join("alice-heard.wav"));
    }
    let t0 = Instant::now();
    let log = out.join(if call { "call.log" } else { "idle.log" });
    cmd.stderr(std::fs::File::create(&log).unwrap());
    let mut child = cmd.spawn().unwrap();
    let mut rang = None;
    let status = loop {
        bob.h.step();
        if rang.is_none() && bob.has("Answer") {
            rang = Some(t0.elapsed().as_secs_f64());
            bob.click("Answer");
        }
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t0.elapsed() > Duration::from_secs(u64::from(secs) + 90) {
            let _ = child.kill();
            panic!("the window did not close in time");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let tail = || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().rev().take(20).collect();
        lines.into_iter().rev().collect::<Vec<_>>().join("\n")
    };
    assert!(
        status.success(),
        "exit status {status}; its log ends:\n{}",
        tail()
    );
    let figures = std::fs::read_to_string(&stats)
        .unwrap_or_else(|e| panic!("no figures ({e}); its log ends:\n{}", tail()));
    (figures, rang)
}

#[test]
fn tor_call_through_the_windows_and_network_switch_in_settings() {
    let t0 = Instant::now();
    let rt = runtime();
    let Some((net, consensus)) = network(&rt) else {
        return;
    };
    eprintln!(
        "private Tor network: consensus with {} relays after {consensus:?}",
        net.relays_in_consensus()
    );
    let settings = net.tor_settings();
    let tor = Tor::from_settings(&settings);
    let mut alice = person_with(&rt, tor.clone(), Mode::Tor);
    let mut bob = person_with(&rt, tor.clone(), Mode::Tor);
    // Carol starts in direct TCP; her config knows the private network
    // (what an empty `[tor]` would leave to the public one).
    let mut carol = person_with(&rt, tor, Mode::Direct);

    // Alice and Bob: onboarding in Tor mode, then the network step follows
    // the bootstrap and the onion service.
    let created = create_in_tor_mode(&mut alice, "Alice");
    follow(&mut alice, "alice", created);
    let created = create_in_tor_mode(&mut bob, "Bob");
    follow(&mut bob, "bob", created);

    // Carol: onboarding in direct TCP, a TCP card.
    onboard(&mut carol, "Carol");
    let (_, carol_direct) = shown_card(&mut carol);
    assert!(
        matches!(carol_direct, Address::Tcp { .. }),
        "{carol_direct:?}"
    );

    // Carol switches to Tor in Settings: no password asked, Tor's
    // progress shows at once, and her onion service comes up.
    open_settings_and_pick(&mut carol, "Tor (hidden, slower)");
    assert!(carol.has("Onion service port"));
    carol.click("Save settings");
    let switched = Instant::now();
    until(
        &mut [&mut carol],
        Duration::from_secs(10),
        "Tor's progress in Carol's settings",
        |ps| {
            ps[0].has_text("Settings saved. Connecting to Tor")
                && ps[0].has_text("1. Connect to the Tor network")
        },
    );
    assert_eq!(carol.view().network.mode, Some(NetMode::Tor));
    assert!(carol.has("Lock"), "still unlocked");
    let config = std::fs::read_to_string(carol.dir.path().join("config.toml")).unwrap();
    assert!(config.contains("mode = \"tor\""), "{config}");
    follow(&mut carol, "carol (after switching to Tor)", switched);
    let idle_rss = rss_mib();

    // Carol's card now carries her onion address.
    let (_, carol_tor) = shown_card(&mut carol);
    assert!(matches!(carol_tor, Address::Onion { .. }), "{carol_tor:?}");

    // Alice and Bob leave the network step; their cards carry their
    // onion addresses; each adds the other's.
    let mut cards = Vec::new();
    for p in [&mut alice, &mut bob] {
        p.click("Continue");
        let (text, address) = shown_card(p);
        assert!(matches!(address, Address::Onion { .. }), "{address:?}");
        assert!(p.has_text("Your address is your onion service"));
        cards.push(text);
    }
    add_contact(&mut alice, &cards[1], "Bob");
    add_contact(&mut bob, &cards[0], "Alice");

    // Alice calls Bob over Tor; Bob answers in the dialog.
    let (to_keys, after_stream, tries) = call_until_it_rings(&mut alice, &mut bob);
    assert!(bob.has_text("Alice is calling"));
    bob.click("Answer");
    until(
        &mut [&mut alice, &mut bob],
        Duration::from_secs(60),
        "both talking",
        |ps| {
            ps.iter()
                .all(|p| p.view().call.as_ref().is_some_and(|c| c.phase.is_talking()))
        },
    );
    let in_call_rss = rss_mib();
    for p in [&alice, &bob] {
        assert!(p.has_text("Path: Tor"), "the call goes over Tor");
    }
    // Bob calls Alice's onion address back: the second circuit.
    let doubled = Instant::now();
    until(
        &mut [&mut alice, &mut bob],
        Duration::from_secs(90),
        "two circuits in both windows",
        |ps| {
            ps.iter()
                .all(|p| p.has_text("Path: Tor, two circuits, every frame sent on both"))
        },
    );
    eprintln!(
        "alice ↔ bob: two circuits shown {:.1} s after both talked",
        doubled.elapsed().as_secs_f64()
    );
    assert!(alice.has_text("Authenticated: their key is Bob's"));
    assert!(bob.has_text("Authenticated: their key is Alice's"));
    let sas = alice.view().call.as_ref().and_then(|c| c.sas).unwrap();
    assert_eq!(Some(sas), bob.view().call.as_ref().and_then(|c| c.sas));
    assert!(
        alice.has(sas.as_str()) && bob.has(sas.as_str()),
        "the code in both windows"
    );
    alice.click("They read the same code");
    bob.click("They read the same code");
    until(
        &mut [&mut alice, &mut bob],
        Duration::from_secs(10),
        "the code verified",
        |ps| ps.iter().all(|p| p.has_text("You both read the same code")),
    );
    until(
        &mut [&mut alice, &mut bob],
        Duration::from_secs(15),
        "link quality",
        |ps| ps.iter().all(|p| p.has_text("round trip")),
    );
    hang_up(&mut alice, &mut bob, "Call Alice");
    eprintln!(
        "alice → bob over Tor: code {} equal, authenticated, two circuits; keys {to_keys:.1} s after the click ({after_stream:.1} s after the stream opened), try {tries}",
        sas.as_str()
    );

    // The real binary's memory in Tor mode (SUSURRO_MEASURE_RSS=1).
    let measure = std::env::var_os("SUSURRO_MEASURE_RSS").is_some_and(|v| v == "1");
    let xvfb = Command::new("xvfb-run").arg("--help").output().is_ok();
    let alice = if measure && xvfb {
        let out = tempfile::tempdir().unwrap();
        let home = alice.stop(&rt);
        let (figures, _) = run_binary(home.path(), 60, false, &mut bob, out.path());
        eprintln!("binary, Tor mode, idle 60 s after start: {figures}");
        let (call, rang) = run_binary(home.path(), 75, true, &mut bob, out.path());
        eprintln!(
            "binary, Tor mode, --call Bob: Bob's phone rang {} after start; {call}",
            rang.map_or("never".to_owned(), |r| format!("{r:.1} s"))
        );
        assert!(rang.is_some(), "the binary's call reached Bob");
        until(
            &mut [&mut bob],
            Duration::from_secs(30),
            "the call to end at Bob",
            |ps| ps[0].view().active_call().is_none(),
        );
        if bob.has("Close") {
            bob.click("Close");
        }
        None
    } else {
        if measure {
            eprintln!("SUSURRO_MEASURE_RSS: xvfb-run is missing, the binary was not measured");
        }
        Some(alice)
    };
    eprintln!(
        "test process (three apps and their harnesses): VmRSS {idle_rss:.0} MiB with the onion services up, {in_call_rss:.0} MiB in the Tor call"
    );

    // Bob switches back to direct TCP: a TCP card, and a direct call.
    open_settings_and_pick(&mut bob, "Direct TCP (fast, shows your address)");
    assert!(bob.has("Listen port"));
    bob.click("Save settings");
    until(
        &mut [&mut bob],
        Duration::from_secs(15),
        "Bob listening directly",
        |ps| ps[0].has_text("Ready for calls (direct TCP)"),
    );
    assert!(
        !bob.has_text("Connecting to Tor"),
        "no Tor progress in direct mode"
    );
    let (_, address) = shown_card(&mut bob);
    let Address::Tcp { host, port } = &address else {
        panic!("Bob's card after switching: {address:?}");
    };
    let target = format!("{}:{port}", host.as_str());
    carol.click("Contacts");
    carol.type_into("Address", &target);
    carol.click("Call address");
    until(
        &mut [&mut carol, &mut bob],
        Duration::from_secs(30),
        "Bob's phone to ring",
        |ps| ps[1].has("Answer"),
    );
    bob.click("Answer");
    until(
        &mut [&mut carol, &mut bob],
        Duration::from_secs(30),
        "both talking",
        |ps| {
            ps.iter()
                .all(|p| p.view().call.as_ref().is_some_and(|c| c.phase.is_talking()))
        },
    );
    assert!(carol.has_text("Path: direct TCP") && bob.has_text("Path: direct TCP"));
    carol.click("Hang up");
    until(
        &mut [&mut carol, &mut bob],
        Duration::from_secs(30),
        "the direct call to end",
        |ps| ps[0].has_text("You hung up.") && ps[1].has_text("The other side hung up."),
    );
    eprintln!("bob switched to direct TCP: card {target}, carol called it directly");
    carol.click("Close");
    bob.click("Close");

    // And back to Tor: Tor's progress again, and the same onion card (the
    // service's key stayed in the transport's directory).
    open_settings_and_pick(&mut bob, "Tor (hidden, slower)");
    bob.click("Save settings");
    let again = Instant::now();
    until(
        &mut [&mut bob],
        Duration::from_secs(10),
        "Tor's progress in Bob's settings",
        |ps| {
            ps[0].has_text("Settings saved. Connecting to Tor")
                && ps[0].has_text("1. Connect to the Tor network")
        },
    );
    follow(&mut bob, "bob (back to Tor)", again);
    let (card, _) = shown_card(&mut bob);
    assert_eq!(card, cards[1], "the same onion card as before");

    for p in [Some(carol), Some(bob), alice].into_iter().flatten() {
        p.stop(&rt);
    }
    drop(net);
    eprintln!("total {:.0} s", t0.elapsed().as_secs_f64());
}
