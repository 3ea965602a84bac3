//! The desktop app as a person sees it: the real app state (two parties,
//! each with all four modules, calling over 127.0.0.1) driven through the
//! accessibility tree with egui_kittest; and every screen rendered from a
//! fixed view and compared with the image snapshots in `tests/snapshots`
//! (`UPDATE_SNAPSHOTS=1` rewrites them).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use susurro_desktop::backend::{Conversation, FileCard, FileState};
use susurro_desktop::config::Mode;
use susurro_desktop::{App, Handle, Request, Snapshot};
use susurro_files::Progress;
use susurro_history::{Entry, Status};
use susurro_ui::chat::ChatLine;
use susurro_ui::view::{CallView, OwnKey, Quality, ReceivedContact};
use susurro_ui::{Phase, Sas, UiCore, UserError, View};
use susurro_wire::{
    Address, CompareOutcome, Contact, Direction, EndReason, Name, NetMode, PathKind, StoreState,
    Text, contact_flags,
};
use tokio::sync::mpsc::UnboundedReceiver;

#[test]
fn onboarding_refuses_different_passwords_then_creates_identity() {
    let rt = runtime();
    let mut a = person(&rt);
    wait1(&mut a, 20, "the welcome screen", |p| {
        p.has("Create my identity")
    });
    a.type_into("Your name (shown on your contact card)", "Alice");
    a.type_into("Password", "one");
    a.type_into("Password again", "two");
    a.click("Create my identity");
    assert!(a.has_text("The two passwords are not the same"));
    assert_eq!(a.view().store.state, Some(StoreState::NoIdentity));
    a.click("OK");
    // The fields keep what was typed; start over with equal passwords.
    let mut a2 = a;
    a2.h.get_by_label("Password").focus();
    a2.h.step();
    a2.h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    a2.h.get_by_label("Password").type_text("two");
    a2.h.step();
    a2.click("Create my identity");
    wait1(&mut a2, 30, "the network step", |p| p.has("Continue"));
    a2.click("Continue");
    wait1(&mut a2, 10, "my card", |p| p.has("Card text"));
    let card = card_text(&a2);
    assert!(card.starts_with("susurro:Alice?k="), "{card}");
    assert!(a2.has("QR code of my contact card"));
    a2.stop(&rt);
}

#[test]
fn wrong_password_is_told_in_words_then_unlock() {
    let rt = runtime();
    let mut a = person(&rt);
    onboard(&mut a, "Alice");
    a.click("Lock");
    wait1(&mut a, 10, "the lock screen", |p| p.has("Unlock"));
    a.type_into("Password", "wrong horse");
    a.enter();
    wait1(&mut a, 20, "the refusal", |p| p.has_text("Wrong password."));
    assert!(a.has_text("tries left"), "tries left are shown");
    assert_eq!(a.view().store.state, Some(StoreState::Locked));
    a.click("OK");
    wait1(&mut a, 5, "the message to go", |p| {
        !p.has_text("Wrong password.")
    });
    a.type_into("Password", "correct horse");
    a.enter();
    wait1(&mut a, 20, "the unlocked window", |p| p.has("Lock"));
    assert_eq!(a.view().store.state, Some(StoreState::Unlocked));
    a.stop(&rt);
}

#[test]
fn two_people_add_contact_call_verify_sas_compare_send_and_hang_up() {
    let rt = runtime();
    let mut alice = person(&rt);
    let mut bob = person(&rt);
    onboard(&mut alice, "Alice");
    onboard(&mut bob, "Bob");
    let bobs_card = card_text(&bob);

    // Alice pastes Bob's card.
    alice.click("Contacts");
    alice.type_into("Contact card", &bobs_card);
    assert!(alice.has_text("A valid card for Bob"));
    assert_eq!(
        alice
            .h
            .get_by_label("Name for this contact")
            .value()
            .as_deref(),
        Some("Bob")
    );
    alice.click("Add contact");
    wait1(&mut alice, 10, "Bob in the contacts", |p| p.has("Call Bob"));

    // A broken card is explained, not added.
    alice.type_into("Contact card", "susurro:Eve?k=abc");
    assert!(alice.has_text("This is not a valid card"));
    alice.h.get_by_label("Contact card").focus();
    alice.h.step();
    alice
        .h
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    alice.h.key_press(egui::Key::Backspace);
    alice.h.step();

    // Bob's card again under a look-alike of his name (his name with a
    // zero-width space after it): refused in words before anything is
    // stored.
    alice.type_into("Contact card", &bobs_card);
    alice.type_into("Name for this contact", "\u{200b}");
    alice.click("Add contact");
    assert!(
        alice.has_text("looks like your contact"),
        "no look-alike refusal shown; name field {:?}, problem shown {}",
        alice.h.get_by_label("Name for this contact").value(),
        alice.has_text("cannot be used")
    );
    alice.click("OK");
    assert!(!alice.has_text("looks like your contact"));
    alice.h.get_by_label("Contact card").focus();
    alice.h.step();
    alice
        .h
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    alice.h.key_press(egui::Key::Backspace);
    alice.h.step();

    // Alice calls; Bob's phone rings; he answers.
    alice.click("Call Bob");
    wait(
        &mut [&mut alice, &mut bob],
        30,
        "Bob's phone to ring",
        |ps| ps[1].has("Answer"),
    );
    assert!(bob.has_text("is calling"));
    bob.click("Answer");
    wait(&mut [&mut alice, &mut bob], 20, "both talking", |ps| {
        ps.iter()
            .all(|p| p.view().call.as_ref().is_some_and(|c| c.phase.is_talking()))
    });

    // Both see the same code, in large type.
    let sas = alice.view().call.as_ref().and_then(|c| c.sas).unwrap();
    assert!(alice.has(sas.as_str()) && bob.has(sas.as_str()));
    let authenticated = alice.view().call.as_ref().is_some_and(|c| c.authenticated);
    if authenticated {
        assert!(alice.has_text("Authenticated: their key is Bob's"));
    } else {
        assert!(alice.has_text("not authenticated"));
    }
    alice.click("They read the same code");
    wait1(&mut alice, 5, "the SAS verified", |p| {
        p.has_text("You both read the same code")
    });
    assert!(alice.has_text("Path: direct TCP"));

    // Switching the network now would cut the call: refused in words, and
    // nothing saved. (The window shows the call, not Settings, while there
    // is one; this is the front task's own guard.)
    let snap = alice.h.state().snapshot().clone();
    let mut cfg = snap.config.clone();
    cfg.network.mode = Mode::Tor;
    alice.h.state().handle().send(Request::Settings {
        config: Box::new(cfg),
        desktop: snap.desktop.clone(),
    });
    wait1(&mut alice, 5, "the refusal", |p| {
        p.has_text("Nothing was changed: you are in a call")
    });
    assert_eq!(alice.h.state().snapshot().config.network.mode, Mode::Direct);
    assert!(
        std::fs::read_to_string(alice.dir.path().join("config.toml"))
            .unwrap()
            .contains("mode = \"direct\""),
        "config.toml unchanged"
    );
    assert!(
        alice
            .view()
            .call
            .as_ref()
            .is_some_and(|c| c.phase.is_talking())
    );
    alice.click("OK");
    wait1(&mut alice, 5, "the refusal closed", |p| {
        !p.has_text("Nothing was changed: you are in a call")
    });

    // Mute and unmute.
    alice.click("Mute microphone");
    wait1(&mut alice, 5, "mute", |p| p.has("Unmute microphone"));
    alice.click("Unmute microphone");
    wait1(&mut alice, 5, "unmute", |p| p.has("Mute microphone"));

    // A text message each way. Bob's window shows Alice's line, which
    // marks it read: her line goes from sending to delivered to read.
    alice.type_into("Message", "Hello Bob, can you read me?");
    alice.enter();
    wait(
        &mut [&mut alice, &mut bob],
        10,
        "Bob to read Alice's message",
        |ps| ps[1].has_text("wrote: Hello Bob, can you read me?") && ps[0].has("Message read"),
    );
    assert!(alice.has("You wrote: Hello Bob, can you read me?"));
    bob.type_into("Message", "Yes, loud and clear.");
    bob.click("Send");
    wait(
        &mut [&mut alice, &mut bob],
        10,
        "Alice to read Bob's reply",
        |ps| ps[0].has_text("wrote: Yes, loud and clear.") && ps[1].has("Message read"),
    );
    assert_eq!(
        bob.h.get_by_label("Message").value().as_deref(),
        Some(""),
        "the field is cleared once sent"
    );
    // An empty message is refused in words.
    alice.click("Send");
    wait1(&mut alice, 5, "the refusal", |p| {
        p.has_text("Write a message first.")
    });
    alice.click("OK");
    wait1(&mut alice, 5, "the refusal closed", |p| {
        !p.has_text("Write a message first.")
    });

    // The link-quality meter shows up (reports come every second).
    wait1(&mut alice, 10, "link quality", |p| p.has_text("round trip"));

    // Secret compare: both type the same phrase.
    alice.type_into("Shared phrase", "blue heron");
    alice.click("Compare");
    wait1(&mut bob, 10, "Bob asked to compare", |p| {
        p.has_text("They started a secret check")
    });
    bob.type_into("Shared phrase", "blue heron");
    bob.click("Compare");
    wait(
        &mut [&mut alice, &mut bob],
        15,
        "the compare result",
        |ps| {
            ps.iter()
                .all(|p| p.has_text("You both typed the same phrase"))
        },
    );

    // Alice sends her own card (the default choice). Over direct TCP the
    // key goes without an address (the transfer carries onion addresses
    // only); Bob, who did not know her, gets it saved under +SAS-fingerprint.
    alice.click("Send contact");
    wait1(&mut bob, 15, "the received contact", |p| {
        p.has_text("They sent you a contact, saved as")
    });

    // Alice hangs up; both see the end in words.
    alice.click("Hang up");
    wait(&mut [&mut alice, &mut bob], 10, "the call to end", |ps| {
        ps[0].has_text("You hung up")
            || ps[0]
                .view()
                .call
                .as_ref()
                .is_some_and(|c| !c.phase.is_active())
    });
    wait1(&mut bob, 10, "Bob sees the end", |p| {
        p.has_text("The other side hung up.")
    });
    bob.click("Close");
    alice.click("Close");

    // Alice renames Bob. (He is marked verified only when the call was
    // authenticated: both had each other's card.)
    alice.click("Contacts");
    wait1(&mut alice, 10, "Bob in the list", |p| p.has("Rename Bob"));
    assert_eq!(p_has_verified(&alice), authenticated);
    alice.click("Rename Bob");
    alice.h.get_by_label("New name for Bob").focus();
    alice.h.step();
    alice
        .h
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    alice.h.get_by_label("New name for Bob").type_text("Bobby");
    alice.h.step();
    alice.click("Save name");
    wait1(&mut alice, 10, "the renamed contact", |p| {
        p.has("Call Bobby")
    });

    alice.stop(&rt);
    bob.stop(&rt);
}

#[test]
fn backup_then_restore_into_a_fresh_home_keeps_the_identity() {
    let rt = runtime();
    let files = tempfile::tempdir().unwrap();
    let backup = files.path().join("alice.backup");
    let not_a_backup = files.path().join("notes.txt");
    std::fs::write(&not_a_backup, "shopping list").unwrap();

    // Alice writes a backup from Settings.
    let mut a = person(&rt);
    onboard(&mut a, "Alice");
    let fingerprint = a.view().own_key.unwrap().fingerprint;
    a.click("Settings");
    a.type_into("Backup file", backup.to_str().unwrap());
    a.type_into("Your password", "correct horse");
    a.click("Write backup");
    wait1(&mut a, 30, "the backup", |p| {
        p.has_text("Backup written to")
    });
    assert!(backup.exists());
    a.stop(&rt);

    // A fresh home: onboarding offers the restore.
    let mut b = person(&rt);
    wait1(&mut b, 20, "the welcome screen", |p| {
        p.has("Restore from a backup")
    });
    b.click("Restore from a backup");
    wait1(&mut b, 5, "the restore form", |p| p.has("Backup password"));

    // A wrong password is told in words and changes nothing.
    b.ask_restore(&backup, "wrong horse");
    wait1(&mut b, 30, "the refusal", |p| {
        p.has_text("the password does not open this backup")
    });
    assert!(b.has_text("Nothing was restored"));
    b.click("OK");
    wait1(&mut b, 20, "the store again", |p| {
        p.view().store.state == Some(StoreState::NoIdentity) && p.has("Backup password")
    });

    // A file that is not a backup, likewise.
    b.ask_restore(&not_a_backup, "correct horse");
    wait1(&mut b, 30, "the refusal", |p| {
        p.has_text("this file is not a Susurro backup")
    });
    b.click("OK");
    wait1(&mut b, 20, "the store again", |p| {
        p.view().store.state == Some(StoreState::NoIdentity) && p.has("Backup password")
    });

    // The right file and password.
    b.replace_text("Your name (shown on your contact card)", "Alice");
    b.ask_restore(&backup, "correct horse");
    wait1(&mut b, 30, "the restored store", |p| {
        p.has_text("Identity and contacts restored") && p.has("Unlock")
    });
    b.type_into("Password", "correct horse");
    b.enter();
    wait1(&mut b, 20, "the unlocked window", |p| {
        p.view().own_key.is_some() && p.has("Lock")
    });
    assert_eq!(
        b.view().own_key.unwrap().fingerprint,
        fingerprint,
        "the same identity"
    );
    b.click("My card");
    wait1(&mut b, 10, "my card", |p| p.has("Card text"));
    assert!(card_text(&b).starts_with("susurro:Alice?k="));
    b.stop(&rt);
}

// ---- Screens from fixed views, compared with the snapshots ----------------

fn name(s: &str) -> Name {
    Name::new(s).unwrap()
}

fn contact(id: u32, n: &str, flags: u8) -> Contact {
    Contact {
        id,
        name: name(n),
        key: [id as u8; 32],
        address: Address::Tcp {
            host: Text::new("198.51.100.7").unwrap(),
            port: 47_000 + id as u16,
        },
        flags,
        ..Contact::default()
    }
}

fn base(state: StoreState) -> View {
    let mut v = UiCore::default().view().clone();
    v.store.state = Some(state);
    v.store.tries_left = 5;
    if state == StoreState::Unlocked {
        v.own_key = Some(OwnKey {
            key: core::array::from_fn(|i| i as u8 + 1),
            fingerprint: core::array::from_fn(|i| (i * 17) as u8),
        });
        v.network.mode = Some(NetMode::Direct);
        v.network.known = true;
        v.network.listen = true;
        v.network.listening = true;
        v.network.port = 47_000;
        v.network.bootstrap_percent = 100;
        v.contacts
            .entries
            .push(contact(1, "Bob", contact_flags::VERIFIED))
            .unwrap();
        v.contacts.entries.push(contact(2, "Carol", 0)).unwrap();
        v.contacts
            .entries
            .push(contact(3, "+3A7F21-ABCD1234", contact_flags::AUTO_ADDED))
            .unwrap();
        v.contacts.total = 3;
        v.contacts.complete = true;
    }
    v
}

fn call(phase: Phase, direction: Direction) -> CallView {
    let mut c = CallView::new(susurro_wire::Instant::ZERO, 7, direction, PathKind::Tcp);
    c.phase = phase;
    c.authenticated = true;
    c.sas = Some(Sas::new(0x3A7F21));
    c.peer = Some(1);
    c.peer_name = Some(name("Bob"));
    c.peer_verified = true;
    c.peer_fingerprint = Some([0x5A; 16]);
    c
}

fn chat_line(id: u32, from_peer: bool, text: &str, delivered: bool, read: bool) -> ChatLine {
    ChatLine {
        id,
        from_peer,
        text: heapless::String::try_from(text).unwrap(),
        at: susurro_wire::Instant::ZERO,
        delivered,
        read,
    }
}

/// A line of a history conversation: ours (`out`) or theirs.
fn entry(id: u32, out: bool, text: &str, status: Status) -> Entry {
    Entry {
        id,
        direction: if out {
            susurro_history::Direction::Out
        } else {
            susurro_history::Direction::In
        },
        text: zeroize::Zeroizing::new(text.to_owned()),
        at: 1_750_000_000 + u64::from(id),
        status,
    }
}

fn file_card(
    file: u64,
    contact: u8,
    direction: susurro_files::Direction,
    name: &str,
    size: u64,
    state: FileState,
) -> FileCard {
    FileCard {
        file,
        contact: [contact; 32],
        with: if contact == 1 { "Bob" } else { "Carol" }.to_owned(),
        direction,
        name: name.to_owned(),
        size,
        state,
    }
}

/// The conversation with Bob (contact 1) in every state a line can be
/// in, and files with him: an offer, one coming in at 40 %, one that
/// arrived, one that failed; and one with Carol, not shown in his.
fn conversation_snapshot() -> Snapshot {
    use susurro_files::Direction::{In, Out};
    let mut s = with_config(Snapshot::of(base(StoreState::Unlocked)));
    s.conversation = Some(Conversation {
        contact: 1,
        key: [1; 32],
        lines: Arc::new(vec![
            entry(1, false, "Are we still on for Saturday?", Status::Read),
            entry(1, true, "Yes! Ten at the station.", Status::Read),
            entry(2, true, "I will bring the map.", Status::Delivered),
            entry(
                3,
                true,
                "Did you get my message about the tickets?",
                Status::Expired,
            ),
            entry(
                2,
                false,
                "Here is the route I told you about.",
                Status::Unread,
            ),
            entry(4, true, "Thanks, see you there.", Status::Queued),
        ]),
    });
    s.unread.insert([1; 32], 1);
    s.history = true;
    s.files = vec![
        file_card(0x1111, 1, In, "route.gpx", 48_213, FileState::Asked),
        file_card(
            0x2222,
            1,
            In,
            "photos.zip",
            12_400_000,
            FileState::Going(Progress {
                done_bytes: 4_960_000,
                total_bytes: 12_400_000,
                rate_bytes_per_s: 310_000,
                eta: Some(Duration::from_secs(24)),
            }),
        ),
        file_card(0x3333, 1, Out, "ticket.pdf", 182_000, FileState::Done(None)),
        file_card(
            0x4444,
            1,
            Out,
            "old-notes.txt",
            900,
            FileState::Failed("the other side ended it: declined".to_owned()),
        ),
        file_card(0x5555, 2, In, "carol.jpg", 2_000, FileState::Asked),
    ];
    s
}

/// What the app asked of its fixed handle since the last call.
fn requests(rx: &mut UnboundedReceiver<Request>) -> Vec<Request> {
    std::iter::from_fn(|| rx.try_recv().ok()).collect()
}

/// Runs `f` on a thread with a large stack. A `View` is large (a page of
/// 64 contacts, a call's chat of four lines of up to 3840 bytes): the
/// debug build of a test building many of them keeps them all in its
/// frame, more than a test thread's 2 MiB.
fn on_big_stack(f: fn()) {
    let r = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(f)
        .unwrap()
        .join();
    if let Err(e) = r {
        std::panic::resume_unwind(e);
    }
}

fn screen(snap: Snapshot, tab_clicks: &[&str], scale: f32) -> Harness<'static, App> {
    let (handle, _rx) = Handle::fixed(snap);
    let mut h = Harness::builder()
        .with_size(SIZE)
        .with_pixels_per_point(scale)
        .build_ui_state(|ui, app: &mut App| app.show(ui), App::new(handle));
    h.run_steps(3);
    for t in tab_clicks {
        h.get_by_label(t).click();
        h.run_steps(3);
    }
    h
}

fn with_config(mut s: Snapshot) -> Snapshot {
    s.downloads = PathBuf::from("/home/alice/.local/share/susurro/downloads");
    s.config.name = "Alice".to_owned();
    s.config.network.host = "203.0.113.5".to_owned();
    s.config.network.mode = Mode::Direct;
    s
}

/// An unlocked view in Tor mode: bootstrap at `pct`, then the onion
/// service (`listening`) and its publication.
fn tor_view(pct: u8, listening: bool, published: bool) -> View {
    let mut v = base(StoreState::Unlocked);
    v.network.mode = Some(NetMode::Tor);
    v.network.bootstrap_percent = pct;
    v.network.listening = listening;
    v.network.onion_published = published;
    v.network.address = if listening {
        Address::Onion {
            key: ONION_KEY,
            port: 47_000,
        }
    } else {
        Address::None
    };
    v
}

/// The ed25519 base point: a valid onion key.
const ONION_KEY: [u8; 32] = {
    let mut k = [0x66; 32];
    k[0] = 0x58;
    k
};

fn tor_config(mut s: Snapshot) -> Snapshot {
    s = with_config(s);
    s.config.network.mode = Mode::Tor;
    s
}

#[test]
fn screens_match_snapshots() {
    on_big_stack(screens);
}

fn screens() {
    let mut results = egui_kittest::SnapshotResults::new();
    let mut shot = |h: &mut Harness<'static, App>, name: &str| {
        results.add(h.try_snapshot(name));
    };

    let mut h = screen(Snapshot::of(base(StoreState::NoIdentity)), &[], 1.0);
    assert!(h.query_by_label("Create my identity").is_some());
    if susurro_node::TOR {
        // A new identity calls over Tor unless the person picks direct.
        assert!(
            h.query_by_label_contains("Over Tor (recommended)")
                .is_some()
        );
    }
    shot(&mut h, "onboarding");

    let mut h = screen(
        Snapshot::of(base(StoreState::NoIdentity)),
        &["Restore from a backup"],
        1.0,
    );
    assert!(h.query_by_label("Backup password").is_some());
    assert!(h.query_by_label("Restore").is_some());
    shot(&mut h, "restore");

    let mut v = base(StoreState::Locked);
    v.last_error = Some(UserError::WrongPassword { tries_left: 4 });
    let mut h = screen(with_config(Snapshot::of(v)), &[], 1.0);
    assert!(h.query_by_label("Wrong password. 4 tries left.").is_some());
    shot(&mut h, "unlock_wrong_password");

    let v = base(StoreState::Unlocked);
    let mut s = with_config(Snapshot::of(v.clone()));
    s.unread.insert([1; 32], 2);
    let mut h = screen(s, &["Contacts"], 1.0);
    assert!(
        h.query_by_label_contains("Received during a call")
            .is_some(),
        "received contacts are marked"
    );
    assert!(h.query_by_label("2 unread from Bob").is_some());
    assert!(h.query_by_label_contains("unread from Carol").is_none());
    assert!(h.query_by_label("Messages with Carol").is_some());
    shot(&mut h, "contacts");

    // Bob's conversation: each state of a line, and the files with him.
    let (handle, _rx) = Handle::fixed(conversation_snapshot());
    let mut h = Harness::builder()
        .with_size(SIZE)
        .build_ui_state(|ui, app: &mut App| app.show(ui), App::new(handle));
    h.run_steps(3);
    h.get_by_label("Messages with Bob").click();
    h.run_steps(4);
    assert!(
        h.query_by_label("You wrote: Yes! Ten at the station.")
            .is_some()
    );
    assert!(
        h.query_by_label("Bob wrote: Here is the route I told you about.")
            .is_some()
    );
    for mark in [
        "Message read",
        "Message delivered",
        "Message not delivered: given up after 7 days",
        "Message queued: sent when they can be reached",
    ] {
        assert!(h.query_by_label(mark).is_some(), "{mark}");
    }
    assert!(
        h.query_by_label_contains("1 message waits: sent when Bob can be reached")
            .is_some()
    );
    assert!(
        h.query_by_label("Bob offers route.gpx (48.2 kB).")
            .is_some()
    );
    assert!(h.query_by_label("Accept route.gpx").is_some());
    assert!(
        h.query_by_label("photos.zip: 40 %, 5.0 MB of 12.4 MB, 310.0 kB/s, 24 s left")
            .is_some(),
        "the progress bar says how far, how fast and how long"
    );
    assert!(
        h.query_by_label("Bob has ticket.pdf, checked and saved.")
            .is_some()
    );
    assert!(
        h.query_by_label_contains(
            "old-notes.txt to Bob was not transferred: the other side ended it: declined"
        )
        .is_some()
    );
    assert!(
        h.query_by_label_contains("carol.jpg").is_none(),
        "Carol's file is not Bob's"
    );
    shot(&mut h, "conversation");

    let mut h = screen(with_config(Snapshot::of(v.clone())), &["Contacts"], 2.0);
    shot(&mut h, "contacts_200pct");

    let mut h = screen(with_config(Snapshot::of(v.clone())), &["My card"], 1.0);
    let card = h.get_by_label("Card text").value().unwrap();
    let decoded = susurro_ui::uri::decode(&card).unwrap();
    assert_eq!(decoded.name.as_str(), "Alice");
    shot(&mut h, "my_card");

    let mut s = with_config(Snapshot::of(v.clone()));
    s.inputs = vec!["Built-in microphone".to_owned()];
    let mut h = screen(s, &["Settings"], 1.0);
    shot(&mut h, "settings");

    let mut cv = v.clone();
    cv.call = Some(call(
        Phase::Calling(susurro_ui::SetupStage::KeyExchange),
        Direction::Outgoing,
    ));
    if let Some(c) = &mut cv.call {
        c.sas = None;
        c.authenticated = false;
    }
    let mut h = screen(with_config(Snapshot::of(cv)), &[], 1.0);
    assert!(
        h.query_by_label_contains("Agreeing on secret keys")
            .is_some()
    );
    shot(&mut h, "call_dialing");

    let mut cv = v.clone();
    let mut c = call(Phase::InCall, Direction::Outgoing);
    c.quality = Some(Quality {
        path: PathKind::Tcp,
        paths: 1,
        rtt_ms: 42,
        loss_permille: 3,
        late_permille: 1,
        jitter_ms: 4,
    });
    c.compare = Some(CompareOutcome::Match);
    c.received = Some(ReceivedContact {
        id: 3,
        name: name("+3A7F21-ABCD1234"),
    });
    cv.call = Some(c);
    let (handle, mut rx) = Handle::fixed(with_config(Snapshot::of(cv.clone())));
    let mut h = Harness::builder()
        .with_size([760.0, 1000.0])
        .build_ui_state(|ui, app: &mut App| app.show(ui), App::new(handle));
    h.run_steps(3);
    assert!(h.query_by_label("3A7-F21").is_some(), "the SAS is shown");
    assert!(h.query_by_label_contains("Link excellent").is_some());
    shot(&mut h, "call_in_progress");
    h.get_by_label("They read the same code").click();
    h.run_steps(2);
    assert!(matches!(rx.try_recv(), Ok(Request::SasVerified)));

    let mut cv2 = cv.clone();
    if let Some(c) = &mut cv2.call {
        c.authenticated = false;
        c.peer_name = None;
        c.sas_verified = true;
        c.muted = true;
        c.quality = None;
        c.compare = Some(CompareOutcome::Mismatch);
        c.received = None;
    }
    let mut h = screen(with_config(Snapshot::of(cv2)), &[], 1.0);
    assert!(h.query_by_label_contains("not authenticated").is_some());
    shot(&mut h, "call_unauthenticated_verified_muted");

    // The chat: three earlier lines pushed out; ours read, theirs (not
    // read yet: shown, so marked read once), ours delivered, ours sending.
    let mut chv = v.clone();
    let mut c = call(Phase::InCall, Direction::Outgoing);
    c.chat.dropped = 3;
    for l in [
        chat_line(
            4,
            false,
            "Hi Bob! Can you hear me now? The line was breaking up a minute ago.",
            true,
            true,
        ),
        chat_line(
            9,
            true,
            "Yes, loud and clear. I am on the train, so the sound may drop in the tunnels before the station.",
            true,
            false,
        ),
        chat_line(5, false, "No problem, I will wait.", true, false),
        chat_line(6, false, "Call me back if it drops.", false, false),
    ] {
        c.chat.lines.push_back(l).unwrap();
    }
    chv.call = Some(c);
    let (handle, mut rx) = Handle::fixed(with_config(Snapshot::of(chv)));
    let mut h = Harness::builder()
        .with_size([760.0, 1000.0])
        .build_ui_state(|ui, app: &mut App| app.show(ui), App::new(handle));
    h.run_steps(3);
    assert!(h.query_by_label("3 earlier messages not shown").is_some());
    assert!(
        h.query_by_label(
            "You wrote: Hi Bob! Can you hear me now? The line was breaking up a minute ago."
        )
        .is_some()
    );
    assert!(
        h.query_by_label_contains("Bob wrote: Yes, loud and clear.")
            .is_some()
    );
    // The receipts, in words for a screen reader.
    assert!(h.query_by_label("Message read").is_some());
    assert!(h.query_by_label("Message delivered").is_some());
    assert!(
        h.query_by_label("Message sending, not delivered yet")
            .is_some()
    );
    assert!(h.query_by_label("Message").is_some());
    assert!(h.query_by_label("Send").is_some());
    shot(&mut h, "call_chat");
    h.run_steps(5);
    let asked = requests(&mut rx);
    assert!(
        matches!(asked.as_slice(), [Request::MarkRead]),
        "their line shown: marked read once, {asked:?}"
    );

    // In a call with Bob: his offer, and our file going at call pace.
    let mut fv = v.clone();
    fv.call = Some(call(Phase::InCall, Direction::Outgoing));
    let mut s = with_config(Snapshot::of(fv));
    s.files = vec![
        file_card(
            0x6666,
            1,
            susurro_files::Direction::In,
            "minutes.odt",
            31_000,
            FileState::Asked,
        ),
        file_card(
            0x7777,
            1,
            susurro_files::Direction::Out,
            "slides.pdf",
            2_500_000,
            FileState::Going(Progress {
                done_bytes: 1_875_000,
                total_bytes: 2_500_000,
                rate_bytes_per_s: 42_000,
                eta: Some(Duration::from_secs(15)),
            }),
        ),
    ];
    let (handle, mut rx) = Handle::fixed(s);
    let mut h = Harness::builder()
        .with_size(SIZE)
        .build_ui_state(|ui, app: &mut App| app.show(ui), App::new(handle));
    h.run_steps(3);
    assert!(
        h.query_by_label("Bob offers minutes.odt (31.0 kB).")
            .is_some()
    );
    assert!(
        h.query_by_label_contains("slides.pdf: 75 %, 1.9 MB of 2.5 MB")
            .is_some()
    );
    shot(&mut h, "call_files");
    h.get_by_label("Accept minutes.odt").click();
    h.run_steps(2);
    let asked = requests(&mut rx);
    assert!(
        matches!(asked.as_slice(), [Request::AcceptFile(0x6666)]),
        "{asked:?}"
    );

    let mut rv = v.clone();
    let mut c = call(Phase::Ringing, Direction::Incoming);
    c.authenticated = false;
    c.peer_name = None;
    rv.call = Some(c);
    let mut h = screen(with_config(Snapshot::of(rv)), &[], 1.0);
    assert!(h.query_by_label("Answer").is_some());
    shot(&mut h, "incoming_call");

    let mut ev = v;
    let mut c = call(Phase::Ended(EndReason::RemoteHangup), Direction::Outgoing);
    c.sas_verified = true;
    ev.call = Some(c);
    let mut h = screen(with_config(Snapshot::of(ev)), &[], 1.0);
    assert!(h.query_by_label("The other side hung up.").is_some());
    shot(&mut h, "call_ended");

    let (handle, _rx) = Handle::fixed(tor_config(Snapshot::of(tor_view(45, false, false))));
    let mut h = Harness::builder().with_size(SIZE).build_ui_state(
        |ui, app: &mut App| app.show(ui),
        App::new(handle).at_network_step(),
    );
    h.run_steps(3);
    assert!(h.query_by_label_contains("Tor network 45 %").is_some());
    assert!(
        h.query_by_label_contains("[now] 1. Connect to the Tor network (45 %)")
            .is_some()
    );
    assert!(
        h.query_by_label_contains("[next] 2. Start your onion service")
            .is_some()
    );
    shot(&mut h, "network_step_tor");

    // Tor's three steps, as the main screen follows them.
    let mut h = screen(
        tor_config(Snapshot::of(tor_view(100, false, false))),
        &["My card"],
        1.0,
    );
    assert!(
        h.query_by_label_contains("[now] 2. Starting your onion service")
            .is_some()
    );
    assert!(
        h.query_by_label_contains("Tor: starting your onion service")
            .is_some()
    );
    // No onion address yet: no card, and the reason in words.
    assert!(h.query_by_label("Card text").is_none());
    assert!(
        h.query_by_label_contains("Your card needs your onion address")
            .is_some()
    );
    shot(&mut h, "my_card_tor_starting");

    let h = screen(
        tor_config(Snapshot::of(tor_view(100, true, false))),
        &["Contacts"],
        1.0,
    );
    assert!(
        h.query_by_label_contains("[now] 3. Publishing your onion address")
            .is_some()
    );
    // arti's figure dipping after the service started (a directory
    // refresh) is no step back: connected, still publishing.
    let h = screen(
        tor_config(Snapshot::of(tor_view(93, true, false))),
        &["Contacts"],
        1.0,
    );
    assert!(
        h.query_by_label_contains("[done] 1. Connect to the Tor network (100 %)")
            .is_some()
    );
    assert!(
        h.query_by_label_contains("Tor: publishing your address")
            .is_some()
    );
    let h = screen(
        tor_config(Snapshot::of(tor_view(100, true, true))),
        &["My card"],
        1.0,
    );
    assert!(
        h.query_by_label_contains("[done]").is_none(),
        "no progress once published"
    );
    assert!(h.query_by_label_contains("Ready for calls (Tor)").is_some());
    let card = susurro_ui::uri::decode(&h.get_by_label("Card text").value().unwrap()).unwrap();
    assert_eq!(
        card.address,
        Address::Onion {
            key: ONION_KEY,
            port: 47_000
        },
        "the card carries the onion address"
    );
    // The address recorded in config.toml serves before the service runs.
    let mut s = tor_config(Snapshot::of(tor_view(30, false, false)));
    s.config.network.onion = Some(format!("{}.onion", susurro_ui::uri::onion_name(&ONION_KEY)));
    let mut h = screen(s, &["My card"], 1.0);
    let card = susurro_ui::uri::decode(&h.get_by_label("Card text").value().unwrap()).unwrap();
    assert!(matches!(
        card.address,
        Address::Onion { key: ONION_KEY, .. }
    ));
    h.run_steps(1);

    let mut h = screen(
        tor_config(Snapshot::of(tor_view(45, false, false))),
        &["Settings"],
        1.0,
    );
    assert!(h.query_by_label_contains("Tor: connecting 45 %").is_some());
    assert!(h.query_by_label("Onion service port").is_some());
    shot(&mut h, "settings_tor_bootstrap");

    results.unwrap();
}

/// The chat's field and *Send* as a person uses them, against a fixed
/// view: what is typed goes to the front task as `SendText` (button or
/// Enter) and the field empties; `MarkRead` goes once while their line is
/// unread on screen, and not at all without one. A message session with
/// a contact stays behind the screen (an incoming one opens the sender's
/// conversation); one with somebody unproven shows the chat without the
/// voice call's tools; an ended call shows no chat.
#[test]
fn chat_sends_what_is_typed_and_marks_read_once() {
    on_big_stack(chat_flow);
}

fn chat_flow() {
    let build_call = |c: CallView, lines: &[ChatLine]| {
        let mut v = base(StoreState::Unlocked);
        let mut c = c;
        for l in lines {
            c.chat.lines.push_back(l.clone()).unwrap();
        }
        v.call = Some(c);
        let (handle, rx) = Handle::fixed(with_config(Snapshot::of(v)));
        let h = Harness::builder()
            .with_size(SIZE)
            .build_ui_state(|ui, app: &mut App| app.show(ui), App::new(handle));
        (h, rx)
    };
    let build_in =
        |phase: Phase, lines: &[ChatLine]| build_call(call(phase, Direction::Outgoing), lines);
    let build = |lines: &[ChatLine]| build_in(Phase::InCall, lines);

    // Only our own line: nothing to mark read.
    let (mut h, mut rx) = build(&[chat_line(1, false, "Are you there?", true, false)]);
    h.run_steps(5);
    assert!(h.query_by_label("No messages yet.").is_none());
    let asked = requests(&mut rx);
    assert!(asked.is_empty(), "{asked:?}");

    // Our message session with Bob runs behind the contacts.
    let (mut h, mut rx) = build_in(Phase::Messages, &[]);
    h.run_steps(3);
    assert!(h.query_by_label("Messages with Bob").is_some());
    assert!(h.query_by_label("Hang up").is_none());
    assert!(h.state().conversation().is_none());
    assert!(requests(&mut rx).is_empty());
    // Bob's message session coming in, bringing a message, opens his
    // conversation (its lines come from the history, in the snapshot).
    let mut v = base(StoreState::Unlocked);
    v.call = Some(call(Phase::Messages, Direction::Incoming));
    let mut snap = with_config(Snapshot::of(v));
    snap.arrived = Some((1, 1));
    let (handle, mut rx) = Handle::fixed(snap);
    let mut h = Harness::builder()
        .with_size(SIZE)
        .build_ui_state(|ui, app: &mut App| app.show(ui), App::new(handle));
    h.run_steps(3);
    assert_eq!(h.state().conversation(), Some(1));
    assert!(h.query_by_label("Messages with Bob").is_some());
    assert!(h.query_by_label("Message").is_some());
    assert!(h.query_by_label("Mute microphone").is_none());
    let asked = requests(&mut rx);
    assert!(
        matches!(asked.as_slice(), [Request::ShowConversation(Some(1))]),
        "{asked:?}"
    );
    // Once left, it stays closed until something else arrives.
    h.get_by_label("Back to contacts").click();
    h.run_steps(3);
    assert!(h.state().conversation().is_none());
    assert!(h.query_by_label("Call Bob").is_some());
    // A message session with somebody the keys did not prove (text
    // only) has the call screen's chat and none of the voice call's
    // tools; an ended call has no chat.
    let mut c = call(Phase::Messages, Direction::Incoming);
    c.peer = None;
    c.peer_name = None;
    c.authenticated = false;
    let (mut h, _rx) = build_call(c, &[]);
    h.run_steps(3);
    assert!(h.query_by_label("No messages yet.").is_some());
    assert!(h.query_by_label("Message").is_some());
    assert!(h.query_by_label("Mute microphone").is_none());
    assert!(h.query_by_label("Compare").is_none());
    assert!(
        h.query_by_label("File to send").is_none(),
        "files need a proven contact"
    );
    let (mut h, _rx) = build_in(Phase::Ended(EndReason::RemoteHangup), &[]);
    h.run_steps(3);
    assert!(h.query_by_label("Message").is_none());

    // Their unread line on screen: MarkRead once, however many frames.
    let (mut h, mut rx) = build(&[
        chat_line(1, false, "Are you there?", true, false),
        chat_line(1, true, "Yes, here.", true, false),
    ]);
    h.run_steps(8);
    assert!(h.query_by_label("Bob wrote: Yes, here.").is_some());
    let asked = requests(&mut rx);
    assert!(matches!(asked.as_slice(), [Request::MarkRead]), "{asked:?}");

    // Typed, then Send.
    h.get_by_label("Message").focus();
    h.step();
    h.get_by_label("Message").type_text("See you at six");
    h.step();
    h.get_by_label("Send").click();
    h.run_steps(2);
    let asked = requests(&mut rx);
    assert!(
        matches!(asked.as_slice(), [Request::SendText(t)] if t == "See you at six"),
        "{asked:?}"
    );
    assert_eq!(
        h.get_by_label("Message").value().as_deref(),
        Some(""),
        "the field is cleared once sent"
    );

    // Typed, then Enter.
    h.get_by_label("Message").focus();
    h.step();
    h.get_by_label("Message").type_text("On my way");
    h.step();
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    let asked = requests(&mut rx);
    assert!(
        matches!(asked.as_slice(), [Request::SendText(t)] if t == "On my way"),
        "{asked:?}"
    );
    assert!(
        h.get_by_label("Message").is_focused(),
        "the field keeps the focus for the next line"
    );

    // An empty field sends too: the front task refuses it in words
    // (`UiError::EmptyText`), as every refused call action.
    h.get_by_label("Send").click();
    h.run_steps(2);
    let asked = requests(&mut rx);
    assert!(
        matches!(asked.as_slice(), [Request::SendText(t)] if t.is_empty()),
        "{asked:?}"
    );
}

/// A conversation as a person uses it, against a fixed view: opening it
/// asks the front task for its lines and marks Bob's unread line read
/// once; what is typed goes as `SendMessage` to Bob (Enter or *Send*);
/// *Send file* sends the typed path (an empty one is refused in words);
/// an offer's *Accept* and *Decline*, a finished card's *Clear*; *Back to
/// contacts* and the tabs close it.
#[test]
fn conversation_sends_messages_and_files_and_answers_offers() {
    on_big_stack(conversation_flow);
}

fn conversation_flow() {
    let (handle, mut rx) = Handle::fixed(conversation_snapshot());
    let mut h = Harness::builder()
        .with_size(SIZE)
        .build_ui_state(|ui, app: &mut App| app.show(ui), App::new(handle));
    h.run_steps(3);
    assert!(h.query_by_label("1 unread from Bob").is_some());
    assert!(requests(&mut rx).is_empty());
    h.get_by_label("Messages with Bob").click();
    h.run_steps(8);
    assert_eq!(h.state().conversation(), Some(1));
    let asked = requests(&mut rx);
    assert!(
        matches!(
            asked.as_slice(),
            [
                Request::ShowConversation(Some(1)),
                Request::ReadConversation(1)
            ]
        ),
        "shown, and the unread line read once: {asked:?}"
    );

    // Typed, then Enter; typed, then Send.
    h.get_by_label("Message").focus();
    h.step();
    h.get_by_label("Message").type_text("See you at six");
    h.step();
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    let asked = requests(&mut rx);
    assert!(
        matches!(asked.as_slice(), [Request::SendMessage { contact: 1, text }] if text == "See you at six"),
        "{asked:?}"
    );
    assert_eq!(h.get_by_label("Message").value().as_deref(), Some(""));
    assert!(h.get_by_label("Message").is_focused());
    h.get_by_label("Message").type_text("On my way");
    h.step();
    h.get_by_label("Send").click();
    h.run_steps(2);
    let asked = requests(&mut rx);
    assert!(
        matches!(asked.as_slice(), [Request::SendMessage { contact: 1, text }] if text == "On my way"),
        "{asked:?}"
    );

    // A file: no path is refused here, in words; a path goes.
    h.get_by_label("Send file").click();
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("Write the path of the file to send first")
            .is_some()
    );
    assert!(requests(&mut rx).is_empty());
    h.get_by_label("OK").click();
    h.run_steps(2);
    h.get_by_label("File to send").focus();
    h.step();
    h.get_by_label("File to send")
        .type_text("/home/alice/route-back.gpx");
    h.step();
    h.get_by_label("Send file").click();
    h.run_steps(2);
    let asked = requests(&mut rx);
    assert!(
        matches!(asked.as_slice(), [Request::SendFile { contact: 1, path }] if path == std::path::Path::new("/home/alice/route-back.gpx")),
        "{asked:?}"
    );
    assert_eq!(h.get_by_label("File to send").value().as_deref(), Some(""));

    // The offer's answers, a finished card cleared.
    h.get_by_label("Accept route.gpx").click();
    h.run_steps(2);
    h.get_by_label("Decline route.gpx").click();
    h.run_steps(2);
    h.get_by_label("Clear ticket.pdf").click();
    h.run_steps(2);
    let asked = requests(&mut rx);
    assert!(
        matches!(
            asked.as_slice(),
            [
                Request::AcceptFile(0x1111),
                Request::DeclineFile(0x1111),
                Request::ForgetFile(0x3333)
            ]
        ),
        "{asked:?}"
    );

    // Back, then a tab, close it.
    h.get_by_label("Back to contacts").click();
    h.run_steps(3);
    assert!(h.state().conversation().is_none());
    assert!(h.query_by_label("Call Bob").is_some());
    let asked = requests(&mut rx);
    assert!(
        matches!(asked.as_slice(), [Request::ShowConversation(None)]),
        "{asked:?}"
    );
    h.get_by_label("Messages with Carol").click();
    h.run_steps(3);
    assert_eq!(h.state().conversation(), Some(2));
    assert!(
        h.query_by_label("No messages yet.").is_some(),
        "the snapshot carries Bob's lines, not Carol's"
    );
    assert!(h.query_by_label("Accept carol.jpg").is_some());
    h.get_by_label("My card").click();
    h.run_steps(3);
    assert!(h.state().conversation().is_none());
    assert!(h.query_by_label("Card text").is_some());
}

/// Alice and Bob, onboarded, each holding the other's card.
fn friends(rt: &tokio::runtime::Runtime) -> (Person, Person) {
    let mut alice = person(rt);
    let mut bob = person(rt);
    onboard(&mut alice, "Alice");
    onboard(&mut bob, "Bob");
    let alices_card = card_text(&alice);
    let bobs_card = card_text(&bob);
    for (p, card, name) in [
        (&mut alice, &bobs_card, "Bob"),
        (&mut bob, &alices_card, "Alice"),
    ] {
        p.click("Contacts");
        p.type_into("Contact card", card);
        p.click("Add contact");
        wait1(p, 10, "the new contact", |p| {
            p.has(&format!("Messages with {name}"))
        });
    }
    (alice, bob)
}

/// Two people who hold each other's cards, through their real apps: Alice
/// writes to Bob from his conversation (a message session opens, delivers,
/// and hangs up by itself); Bob's app opens her conversation and keeps
/// the line in its history; his answer comes back the same way; Bob
/// moves his downloads folder in Settings; Alice sends him a file from
/// the conversation, Bob accepts the offer card, and the file arrives
/// whole in his new folder.
#[test]
fn two_people_write_and_send_a_file_from_their_conversations() {
    let rt = runtime();
    let (mut alice, mut bob) = friends(&rt);
    assert!(alice.h.state().snapshot().history, "the history is open");

    // Alice writes from Bob's conversation.
    alice.click("Messages with Bob");
    wait1(&mut alice, 5, "the conversation", |p| {
        p.has_text("No messages yet.")
    });
    alice.type_into("Message", "Hello Bob, this is a message.");
    alice.enter();
    // The session hangs up once the line is delivered: Bob's read
    // receipt, sent as his history stores it, may come too late for it.
    let delivered = |p: &Person| p.has("Message delivered") || p.has("Message read");
    wait(
        &mut [&mut alice, &mut bob],
        60,
        "Bob to have it and Alice to see it delivered",
        |ps| ps[1].has("Alice wrote: Hello Bob, this is a message.") && delivered(&*ps[0]),
    );
    // Bob's window opened her conversation for the session.
    let alice_id = bob.view().contacts.entries[0].id;
    assert_eq!(bob.h.state().conversation(), Some(alice_id));
    let line = |p: &Person| {
        p.h.state()
            .snapshot()
            .conversation
            .as_ref()
            .and_then(|c| c.lines.last().cloned())
    };
    let l = line(&bob).expect("Bob's history has the line");
    assert_eq!(l.text.as_str(), "Hello Bob, this is a message.");
    assert_eq!(l.direction, susurro_history::Direction::In);
    let l = line(&alice).expect("Alice's history has the line");
    assert_eq!(l.direction, susurro_history::Direction::Out);
    assert!(
        matches!(l.status, Status::Delivered | Status::Read),
        "{l:?}"
    );
    // Everything delivered: Alice's app hangs up; no ended call to close.
    wait(
        &mut [&mut alice, &mut bob],
        20,
        "the session to end",
        |ps| ps.iter().all(|p| p.view().call.is_none()),
    );
    assert!(alice.has("Messages with Bob") && bob.has("Messages with Alice"));

    // Bob answers from Alice's conversation.
    bob.type_into("Message", "Got it, thanks!");
    bob.enter();
    wait(
        &mut [&mut alice, &mut bob],
        60,
        "Alice to have Bob's answer",
        |ps| ps[0].has("Bob wrote: Got it, thanks!") && delivered(&*ps[1]),
    );
    wait(
        &mut [&mut alice, &mut bob],
        20,
        "the session to end",
        |ps| ps.iter().all(|p| p.view().call.is_none()),
    );

    // Bob moves his downloads folder.
    let received = bob.dir.path().join("received");
    bob.click("Settings");
    bob.replace_text("Downloads folder", received.to_str().unwrap());
    bob.click("Save settings");
    wait1(&mut bob, 10, "the settings saved", |p| {
        p.has_text("Received files now go to")
    });
    assert_eq!(bob.h.state().snapshot().downloads, received);
    bob.click("OK");

    // Alice sends a file; Bob accepts it.
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("route.gpx");
    let body: Vec<u8> = (0..150_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &body).unwrap();
    alice.type_into("File to send", path.to_str().unwrap());
    alice.click("Send file");
    wait(
        &mut [&mut alice, &mut bob],
        60,
        "Bob to be offered the file",
        |ps| ps[1].has("Accept route.gpx"),
    );
    assert!(bob.has_text("Alice offers route.gpx (150.0 kB)."));
    assert!(alice.has_text("route.gpx (150.0 kB) for Bob"));
    bob.click("Accept route.gpx");
    wait(
        &mut [&mut alice, &mut bob],
        60,
        "the file to arrive",
        |ps| {
            ps[1].has_text("Received route.gpx from Alice: saved as")
                && ps[0].has("Bob has route.gpx, checked and saved.")
        },
    );
    assert_eq!(std::fs::read(received.join("route.gpx")).unwrap(), body);
    wait(
        &mut [&mut alice, &mut bob],
        20,
        "the session to end",
        |ps| ps.iter().all(|p| p.view().call.is_none()),
    );

    alice.stop(&rt);
    bob.stop(&rt);
}

/// A message to someone whose app is off waits: the conversation marks it
/// queued and the window says why in words; the app tries again by
/// itself, and once the other app is back and unlocked the message is
/// delivered, with no click. The history follows the store: closed while
/// locked, open once unlocked.
#[test]
fn a_message_to_someone_away_waits_and_goes_when_they_are_back() {
    let rt = runtime();
    let (mut alice, bob) = friends(&rt);
    let bobs_home = bob.stop(&rt);

    alice.click("Messages with Bob");
    alice.type_into("Message", "Are you there?");
    alice.enter();
    wait1(&mut alice, 60, "the failure in words", |p| {
        p.has_text("1 message waits for Bob")
    });
    assert!(alice.has_text("Bob: Could not reach them."));
    assert!(alice.has("Message queued: sent when they can be reached"));
    assert!(alice.has_text("1 message waits: sent when Bob can be reached"));
    assert!(alice.view().call.is_none(), "no ended call to close");
    alice.click("OK");

    // Bob's app comes back, locked: no history until he unlocks.
    let mut bob = restart(&rt, bobs_home);
    wait1(&mut bob, 20, "the lock screen", |p| p.has("Unlock"));
    assert!(!bob.h.state().snapshot().history);
    bob.type_into("Password", "correct horse");
    bob.enter();
    wait1(&mut bob, 20, "the history open", |p| {
        p.h.state().snapshot().history && p.view().network.listening
    });
    // Alice's app tries again (5 s, 10 s, 20 s… after each failure).
    let delivered = |p: &Person| p.has("Message delivered") || p.has("Message read");
    wait(
        &mut [&mut alice, &mut bob],
        90,
        "the queued message delivered",
        |ps| delivered(&*ps[0]) && ps[1].has("Alice wrote: Are you there?"),
    );
    assert!(!alice.has_text("message waits"));

    // Locked, the history is closed (and the conversation with it).
    bob.click("Lock");
    wait1(&mut bob, 10, "the lock screen", |p| p.has("Unlock"));
    assert!(!bob.h.state().snapshot().history);
    assert!(bob.h.state().snapshot().conversation.is_none());

    alice.stop(&rt);
    bob.stop(&rt);
}
