//! The views every screen test draws: one function per screen, each a
//! `View` as the ui core would hold it at that moment.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use susurro_ui::view::{
    CallView, ContactsView, Counters, NetworkView, Quality, ReceivedContact, StoreView,
};
use susurro_ui::{Phase, SetupStage, UserError, View};
use susurro_wire::{
    Address, CompareOutcome, Contact, Direction, EndReason, Instant, NetMode, PathKind, Sas,
    StoreState, Text, contact_flags,
};

/// The clock of every picture: 83 s after the call started.
pub(crate) fn now() -> Instant {
    Instant::from_micros(100_000_000)
}

pub(crate) fn store(state: StoreState, tries_left: u8) -> View {
    View {
        store: StoreView {
            state: Some(state),
            tries_left,
            retry_after_s: 0,
            busy: false,
            connected: true,
        },
        own_key: None,
        network: NetworkView {
            mode: Some(NetMode::Tor),
            listen: true,
            port: 0,
            known: true,
            bootstrap_percent: 100,
            onion_published: true,
            listening: true,
            address: Address::None,
            transport_link: Some(true),
        },
        contacts: ContactsView::default(),
        call: None,
        last_error: None,
        counters: Counters::default(),
    }
}

pub(crate) fn contact(id: u32, name: &str, address: Address, verified: bool) -> Contact {
    Contact {
        id,
        name: Text::new(name).unwrap(),
        key: [id as u8; 32],
        address,
        note: Text::new("").unwrap(),
        flags: if verified { contact_flags::VERIFIED } else { 0 },
        created: 0,
        updated: 0,
    }
}

pub(crate) fn onion() -> Address {
    Address::Onion {
        key: [7; 32],
        port: 7000,
    }
}

pub(crate) fn tcp() -> Address {
    Address::Tcp {
        host: Text::new("10.0.0.2").unwrap(),
        port: 7000,
    }
}

/// Unlocked, with `n` contacts (a few verified, one without address).
pub(crate) fn contacts(n: u32, complete: bool) -> View {
    const NAMES: [&str; 8] = [
        "Alice", "Bob", "Carol", "Dmitri", "Eve", "Fatima", "Gustavo", "Hana",
    ];
    let mut v = store(StoreState::Unlocked, 10);
    for i in 0..n {
        let name = NAMES[i as usize % NAMES.len()];
        let address = match i % 4 {
            2 => tcp(),
            3 if i == 3 => Address::None,
            _ => onion(),
        };
        v.contacts
            .entries
            .push(contact(i + 1, name, address, i % 3 == 0))
            .unwrap();
    }
    v.contacts.complete = complete;
    v.contacts.total = if complete { n } else { n + 20 };
    v
}

/// A call with Bob in `phase`, started 83 s before [`now`].
pub(crate) fn call(direction: Direction, phase: Phase) -> View {
    let mut v = contacts(3, true);
    let mut c = CallView::new(
        Instant::from_micros(10_000_000),
        7,
        direction,
        PathKind::Tor,
    );
    c.phase = phase;
    c.peer = Some(2);
    c.peer_name = Some(Text::new("Bob").unwrap());
    if !matches!(phase, Phase::Calling(_)) {
        c.authenticated = true;
        c.sas = Some(Sas::new(0x3A_7F_C2));
        c.peer_fingerprint = Some([0xAB; 16]);
    }
    if phase.is_talking() || matches!(phase, Phase::Ended(_)) {
        c.started_at = Some(Instant::from_micros(17_000_000));
    }
    if matches!(phase, Phase::Ended(_)) {
        c.ended_at = Some(Instant::from_micros(95_000_000));
    }
    c.quality = phase.is_talking().then_some(Quality {
        path: PathKind::Tor,
        paths: 2,
        rtt_ms: 420,
        loss_permille: 12,
        late_permille: 3,
        jitter_ms: 35,
    });
    v.call = Some(c);
    v
}

pub(crate) fn in_call() -> View {
    call(Direction::Outgoing, Phase::InCall)
}

/// Every screen the tests draw, by snapshot name.
/// Runs `f` on a thread with a 64 MiB stack. [`screens`] builds every
/// screen's `View` (tens of KB each since the call's chat) as locals of one
/// function, which an unoptimised build keeps side by side on the stack:
/// more than a test thread's 2 MiB. The firmware renders from one `View`
/// in a static, so this is the test's own need, not the product's.
pub(crate) fn on_big_stack(f: fn()) {
    let r = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(f)
        .expect("a test thread")
        .join();
    if let Err(e) = r {
        std::panic::resume_unwind(e);
    }
}

pub(crate) fn screens() -> Vec<(&'static str, View)> {
    let mut out = Vec::new();
    out.push(("waiting", {
        let mut v = store(StoreState::Locked, 10);
        v.store.state = None;
        v
    }));
    out.push(("setup", store(StoreState::NoIdentity, 10)));
    out.push(("setup_after_wipe", {
        let mut v = store(StoreState::Wiped, 0);
        v.last_error = Some(UserError::Wiped);
        v
    }));
    out.push(("unlock", store(StoreState::Locked, 10)));
    out.push(("unlock_wrong_pin", {
        let mut v = store(StoreState::Locked, 3);
        v.last_error = Some(UserError::WrongPassword { tries_left: 3 });
        v
    }));
    out.push(("unlock_checking", {
        let mut v = store(StoreState::Locked, 10);
        v.store.busy = true;
        v
    }));
    out.push(("locked_out", {
        let mut v = store(StoreState::LockedOut, 4);
        v.store.retry_after_s = 60;
        v
    }));
    out.push(("damaged", store(StoreState::Damaged, 0)));
    out.push(("contacts", contacts(7, false)));
    out.push(("contacts_empty", contacts(0, true)));
    out.push(("contacts_box_offline", {
        let mut v = contacts(7, false);
        v.network.transport_link = Some(false);
        v
    }));
    out.push((
        "calling",
        call(Direction::Outgoing, Phase::Calling(SetupStage::Obfuscating)),
    ));
    out.push((
        "incoming_securing",
        call(Direction::Incoming, Phase::Calling(SetupStage::KeyExchange)),
    ));
    out.push(("incoming", call(Direction::Incoming, Phase::Ringing)));
    out.push((
        "call_ringing_remote",
        call(Direction::Outgoing, Phase::RingingRemote),
    ));
    out.push(("call", in_call()));
    out.push(("call_verified_muted", {
        let mut v = call(Direction::Incoming, Phase::Doubled);
        let c = v.call.as_mut().unwrap();
        c.sas_verified = true;
        c.muted = true;
        c.compare = Some(CompareOutcome::Match);
        v
    }));
    out.push(("call_unauthenticated", {
        let mut v = in_call();
        let c = v.call.as_mut().unwrap();
        c.authenticated = false;
        c.peer_name = None;
        c.compare = Some(CompareOutcome::PeerRequested);
        v
    }));
    out.push(("received", {
        let mut v = in_call();
        v.call.as_mut().unwrap().received = Some(ReceivedContact {
            id: 9,
            name: Text::new("+3A7-FC2-ABABABAB").unwrap(),
        });
        v
    }));
    out.push((
        "ended",
        call(Direction::Outgoing, Phase::Ended(EndReason::RemoteHangup)),
    ));
    out.push((
        "ended_tampered",
        call(Direction::Outgoing, Phase::Ended(EndReason::KeyMismatch)),
    ));
    out
}
