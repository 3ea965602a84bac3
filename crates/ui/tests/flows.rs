//! `UiCore` driven by scripted wire messages: the answers storage and the
//! cryptor send (as their cores do), and the user's actions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use core::time::Duration;

use susurro_ui::view::{MAX_CONTACTS, Quality, ReceivedContact};
use susurro_ui::{
    Action, NetworkSettings, Phase, SetupStage, UiConfig, UiCore, UiError, UiEvent, UserError,
};
use susurro_wire::module::{Input, ModuleCore, Outbox};
use susurro_wire::*;

const CALL: CallId = 1;
const INCOMING: CallId = 0x8000_0001;
const SAS: u32 = 0x3f7a09;

struct H {
    ui: UiCore,
    now: Instant,
}

fn drain(out: &mut Outbox) -> Vec<Envelope> {
    core::iter::from_fn(|| out.pop()).collect()
}

fn to(dst: ModuleId, msg: impl Into<Message>) -> Envelope {
    Envelope::new(ModuleId::Ui, dst, msg)
}

fn pw(s: &str) -> Password {
    Password::new(s.as_bytes()).unwrap()
}

fn contact(id: ContactId, name: &str, flags: u8) -> Contact {
    Contact {
        id,
        name: Name::new(name).unwrap(),
        key: [id as u8; 32],
        address: Address::Tcp {
            host: Text::new("10.0.0.1").unwrap(),
            port: 5000,
        },
        note: Note::default(),
        flags,
        created: 0,
        updated: 0,
    }
}

impl H {
    fn with(config: UiConfig) -> Self {
        let mut h = Self {
            ui: UiCore::new(config),
            now: Instant::from_millis(1_000),
        };
        let mut out = Outbox::new(ModuleId::Ui);
        h.ui.handle(h.now, Input::Start, &mut out);
        let sent = drain(&mut out);
        assert_eq!(sent[0], to(ModuleId::Storage, StoreStatusRequest {}));
        h
    }

    fn new() -> Self {
        Self::with(UiConfig::default())
    }

    fn recv(&mut self, src: ModuleId, msg: impl Into<Message>) -> Vec<Envelope> {
        let mut out = Outbox::new(ModuleId::Ui);
        let env = Envelope::new(src, ModuleId::Ui, msg);
        self.ui.handle(self.now, Input::Message(env), &mut out);
        drain(&mut out)
    }

    fn storage(&mut self, msg: impl Into<Message>) -> Vec<Envelope> {
        self.recv(ModuleId::Storage, msg)
    }

    fn cryptor(&mut self, msg: impl Into<Message>) -> Vec<Envelope> {
        self.recv(ModuleId::Cryptor, msg)
    }

    fn act(&mut self, a: Action<'_>) -> Result<Vec<Envelope>, UiError> {
        let mut out = Outbox::new(ModuleId::Ui);
        let r = self.ui.act(self.now, a, &mut out);
        let sent = drain(&mut out);
        if r.is_err() {
            assert!(sent.is_empty(), "refused action sent {sent:?}");
        }
        r.map(|()| sent)
    }

    /// Expects refusal with `e`, nothing sent, view unchanged.
    fn refused(&mut self, a: Action<'_>, e: UiError) {
        let before = self.ui.view().clone();
        let desc = format!("{a:?}");
        assert_eq!(self.act(a), Err(e), "{desc}");
        assert_eq!(self.ui.view(), &before, "{desc} changed the view");
    }

    fn events(&mut self) -> Vec<UiEvent> {
        core::iter::from_fn(|| self.ui.poll_event()).collect()
    }

    fn call(&self) -> &susurro_ui::CallView {
        self.ui.view().call.as_ref().expect("a call")
    }

    /// Storage answers `ContactList` like `StorageCore` does.
    fn answer_list(&mut self, book: &[Contact], after: ContactId, max: u8) -> Vec<Envelope> {
        let max = usize::from(max).clamp(1, 15);
        let rest: Vec<&Contact> = book.iter().filter(|c| c.id > after).collect();
        let mut last = 0;
        for c in rest.iter().take(max) {
            last = c.id;
            assert!(
                self.storage(ContactEntry {
                    contact: (*c).clone()
                })
                .is_empty()
            );
        }
        self.storage(ContactListEnd {
            last,
            more: rest.len() > max,
            total: book.len() as u32,
        })
    }

    /// Unlocked with `book` listed (its first page).
    fn unlocked(book: &[Contact]) -> Self {
        let mut h = Self::new();
        h.storage(StoreStatus {
            state: StoreState::Locked,
            attempts_left: 5,
            retry_after_s: 0,
        });
        let sent = h.act(Action::Unlock { password: "pw" }).unwrap();
        assert_eq!(
            sent,
            vec![to(ModuleId::Storage, Unlock { password: pw("pw") })]
        );
        let sent = h.storage(UnlockResult {
            outcome: UnlockOutcome::Unlocked,
            attempts_left: 5,
            retry_after_s: 0,
        });
        assert_eq!(
            sent,
            vec![
                to(ModuleId::Storage, GetPublicKey {}),
                to(ModuleId::Storage, HistoryKeyRequest {}),
                to(ModuleId::Storage, ContactList { after: 0, max: 15 }),
            ]
        );
        let mut after = 0;
        let mut max = 15;
        loop {
            let sent = h.answer_list(book, after, max);
            match sent.as_slice() {
                [] => break,
                [
                    Envelope {
                        msg: Message::ContactList(l),
                        ..
                    },
                ] => (after, max) = (l.after, l.max),
                other => panic!("unexpected {other:?}"),
            }
        }
        h.events();
        h
    }

    /// An outgoing call to contact 7 ("Alice"), talking.
    fn in_call() -> Self {
        let mut h = Self::unlocked(&[contact(7, "Alice", 0)]);
        h.act(Action::Call {
            target: CallTarget::Contact(7),
            mode: NetMode::Tor,
        })
        .unwrap();
        for phase in [
            CallPhase::Dialing,
            CallPhase::KeyExchange,
            CallPhase::RingingRemote,
        ] {
            h.cryptor(CallState {
                call: CALL,
                phase,
                path: PathKind::Tor,
            });
        }
        h.cryptor(CallEstablished {
            call: CALL,
            sas: SAS,
            authenticated: true,
            peer: Some(7),
            peer_fingerprint: Some([0xab; 16]),
        });
        h.cryptor(CallState {
            call: CALL,
            phase: CallPhase::InCall,
            path: PathKind::Tor,
        });
        h.events();
        assert_eq!(h.call().phase, Phase::InCall);
        h
    }
}

// ---- key store ---------------------------------------------------------------

#[test]
fn first_run_creates_identity() {
    let mut h = H::new();
    h.refused(Action::Unlock { password: "x" }, UiError::StoreUnknown);
    assert!(
        h.storage(StoreStatus {
            state: StoreState::NoIdentity,
            attempts_left: 5,
            retry_after_s: 0,
        })
        .is_empty()
    );
    assert_eq!(h.ui.view().store.state, Some(StoreState::NoIdentity));
    assert_eq!(
        h.events(),
        vec![UiEvent::StoreChanged(Some(StoreState::NoIdentity))]
    );
    h.refused(Action::Unlock { password: "x" }, UiError::NoIdentity);
    h.refused(Action::RefreshContacts, UiError::NoIdentity);
    h.refused(
        Action::CreateIdentity { password: "" },
        UiError::EmptyPassword,
    );
    let long = "p".repeat(129);
    h.refused(
        Action::CreateIdentity { password: &long },
        UiError::PasswordTooLong,
    );

    let sent = h
        .act(Action::CreateIdentity {
            password: "correct horse",
        })
        .unwrap();
    assert_eq!(
        sent,
        vec![to(
            ModuleId::Storage,
            CreateIdentity {
                password: pw("correct horse")
            }
        )]
    );
    assert!(h.ui.view().store.busy);
    h.refused(
        Action::CreateIdentity { password: "again" },
        UiError::InProgress,
    );

    let sent = h.storage(UnlockResult {
        outcome: UnlockOutcome::Created,
        attempts_left: 5,
        retry_after_s: 0,
    });
    assert_eq!(
        sent,
        vec![
            to(ModuleId::Storage, GetPublicKey {}),
            to(ModuleId::Storage, HistoryKeyRequest {}),
            to(ModuleId::Storage, ContactList { after: 0, max: 15 }),
        ]
    );
    let v = h.ui.view();
    assert_eq!(v.store.state, Some(StoreState::Unlocked));
    assert!(!v.store.busy);
    assert!(v.contacts.loading);
    assert_eq!(
        h.events(),
        vec![UiEvent::StoreChanged(Some(StoreState::Unlocked))]
    );

    h.storage(PublicKey {
        key: [9; 32],
        fingerprint: [0x12; 16],
    });
    assert_eq!(h.ui.view().own_key.unwrap().fingerprint, [0x12; 16]);
    assert!(h.answer_list(&[], 0, 15).is_empty());
    let c = &h.ui.view().contacts;
    assert!(c.complete && !c.loading && c.entries.is_empty());
    assert_eq!(
        h.events(),
        vec![UiEvent::IdentityChanged, UiEvent::ContactsChanged]
    );
    h.refused(
        Action::CreateIdentity { password: "x" },
        UiError::IdentityExists,
    );
    h.refused(Action::Unlock { password: "x" }, UiError::AlreadyUnlocked);
}

#[test]
fn wrong_password_then_lockout() {
    let mut h = H::new();
    h.storage(StoreStatus {
        state: StoreState::Locked,
        attempts_left: 5,
        retry_after_s: 0,
    });
    h.events();
    h.act(Action::Unlock { password: "wrong" }).unwrap();
    let sent = h.storage(UnlockResult {
        outcome: UnlockOutcome::WrongPassword,
        attempts_left: 4,
        retry_after_s: 0,
    });
    assert_eq!(sent, vec![to(ModuleId::Storage, StoreStatusRequest {})]);
    let e = UserError::WrongPassword { tries_left: 4 };
    assert_eq!(h.ui.view().last_error, Some(e));
    assert_eq!(e.to_string(), "Wrong password. 4 tries left.");
    assert_eq!(e.message(), "Wrong password.");
    assert_eq!(h.ui.view().store.tries_left, 4);
    assert_eq!(h.ui.view().store.state, Some(StoreState::Locked));
    assert!(h.events().contains(&UiEvent::Error(e)));

    // The next wrong one locks out for 30 s.
    h.act(Action::Unlock {
        password: "wrong again",
    })
    .unwrap();
    h.storage(UnlockResult {
        outcome: UnlockOutcome::LockedOut,
        attempts_left: 0,
        retry_after_s: 30,
    });
    assert_eq!(h.ui.view().store.state, Some(StoreState::LockedOut));
    assert_eq!(
        h.ui.view().last_error.unwrap().to_string(),
        "Too many wrong passwords. Try again in 30 seconds."
    );
    let until = h.now + Duration::from_secs(30);
    assert_eq!(h.ui.deadline(), Some(until));
    h.now += Duration::from_secs(10);
    h.refused(
        Action::Unlock { password: "x" },
        UiError::LockedOut { retry_after_s: 21 },
    );
    // At the deadline the ui asks storage again.
    h.now = until;
    let mut out = Outbox::new(ModuleId::Ui);
    h.ui.handle(h.now, Input::Timer, &mut out);
    assert_eq!(
        drain(&mut out),
        vec![to(ModuleId::Storage, StoreStatusRequest {})]
    );
    assert_eq!(h.ui.deadline(), None);
    h.storage(StoreStatus {
        state: StoreState::Locked,
        attempts_left: 1,
        retry_after_s: 0,
    });
    h.act(Action::Unlock { password: "right" }).unwrap();
}

#[test]
fn change_password_and_lock() {
    let mut h = H::unlocked(&[]);
    h.refused(
        Action::ChangePassword { old: "", new: "b" },
        UiError::EmptyPassword,
    );
    let sent = h
        .act(Action::ChangePassword { old: "a", new: "b" })
        .unwrap();
    assert_eq!(
        sent,
        vec![to(
            ModuleId::Storage,
            ChangePassword {
                old: pw("a"),
                new: pw("b")
            }
        )]
    );
    h.refused(Action::Lock, UiError::InProgress);
    assert!(
        h.storage(UnlockResult {
            outcome: UnlockOutcome::Unlocked,
            attempts_left: 5,
            retry_after_s: 0,
        })
        .is_empty()
    );
    assert_eq!(h.events(), vec![UiEvent::PasswordChanged]);

    assert_eq!(
        h.act(Action::Lock).unwrap(),
        vec![to(ModuleId::Storage, Lock {})]
    );
    h.storage(StoreStatus {
        state: StoreState::Locked,
        attempts_left: 5,
        retry_after_s: 0,
    });
    assert_eq!(h.ui.view().store.state, Some(StoreState::Locked));
    assert!(!h.ui.view().store.busy);
    h.refused(Action::Lock, UiError::Locked);
}

// ---- contacts ----------------------------------------------------------------

#[test]
fn contacts_page_through_storage_batches() {
    let book: Vec<Contact> = (1..=40).map(|i| contact(i, &format!("c{i}"), 0)).collect();
    let h = H::unlocked(&book);
    let c = &h.ui.view().contacts;
    assert_eq!(c.entries.len(), 40);
    assert_eq!(c.entries[39].name.as_str(), "c40");
    assert!(c.complete && !c.loading);
    assert_eq!(c.total, 40);
}

#[test]
fn contacts_more_than_a_page() {
    let book: Vec<Contact> = (1..=70).map(|i| contact(i, &format!("c{i}"), 0)).collect();
    let mut h = H::unlocked(&book);
    let c = &h.ui.view().contacts;
    assert_eq!(c.entries.len(), MAX_CONTACTS);
    assert!(!c.complete && !c.loading);
    assert_eq!(c.total, 70);
    let sent = h.act(Action::NextContacts).unwrap();
    assert_eq!(
        sent,
        vec![to(ModuleId::Storage, ContactList { after: 64, max: 15 })]
    );
    assert!(h.answer_list(&book, 64, 15).is_empty());
    let c = &h.ui.view().contacts;
    assert_eq!(c.entries.len(), 6);
    assert_eq!(c.after, 64);
    assert!(c.complete);
    h.refused(Action::NextContacts, UiError::NoMoreContacts);
    let sent = h.act(Action::RefreshContacts).unwrap();
    assert_eq!(
        sent,
        vec![to(ModuleId::Storage, ContactList { after: 0, max: 15 })]
    );
}

#[test]
fn contact_edits_send_and_refresh() {
    let mut h = H::unlocked(&[contact(1, "Bob", 0)]);
    let sent = h
        .act(Action::AddContact {
            name: "Carol",
            key: [3; 32],
            address: Address::None,
            note: "met at the fair",
        })
        .unwrap();
    let [
        Envelope {
            msg: Message::ContactAdd(add),
            dst: ModuleId::Storage,
            ..
        },
    ] = sent.as_slice()
    else {
        panic!("{sent:?}")
    };
    assert_eq!(add.name.as_str(), "Carol");
    assert_eq!(add.note.as_str(), "met at the fair");
    assert_eq!(add.flags, 0);
    // Storage confirms; the ui lists again.
    let sent = h.storage(ContactAdded {
        req: add.req,
        id: 2,
    });
    assert_eq!(
        sent,
        vec![to(ModuleId::Storage, ContactList { after: 0, max: 15 })]
    );
    assert!(
        h.answer_list(&[contact(1, "Bob", 0), contact(2, "Carol", 0)], 0, 15)
            .is_empty()
    );
    assert_eq!(h.ui.view().contacts.entries.len(), 2);

    // Storage refuses a taken name.
    h.act(Action::RenameContact { id: 2, name: "Bob" }).unwrap();
    h.storage(StorageError {
        req: 0,
        op: Kind::ContactRename.code(),
        code: StorageErrorCode::NameTaken,
    });
    let e = h.ui.view().last_error.unwrap();
    assert_eq!(e.message(), "A contact with this name already exists.");

    assert_eq!(
        h.act(Action::DeleteContact { id: 2 }).unwrap(),
        vec![to(ModuleId::Storage, ContactDelete { id: 2 })]
    );
    let sent = h.storage(ContactChanged {
        id: 2,
        change: ChangeKind::Deleted,
    });
    assert_eq!(
        sent,
        vec![to(ModuleId::Storage, ContactList { after: 0, max: 15 })]
    );
    let tcp = Address::Tcp {
        host: Text::new("bob.example").unwrap(),
        port: 4000,
    };
    assert_eq!(
        h.act(Action::SetContactAddress {
            id: 1,
            address: tcp.clone()
        })
        .unwrap(),
        vec![to(
            ModuleId::Storage,
            ContactSetAddress {
                id: 1,
                address: tcp
            }
        )]
    );
}

#[test]
fn contact_input_is_validated() {
    let mut h = H::unlocked(&[]);
    let add = |name: &'static str, note: &'static str, address: Address| Action::AddContact {
        name,
        key: [1; 32],
        address,
        note,
    };
    h.refused(add("", "", Address::None), UiError::EmptyName);
    let long: &'static str = "n".repeat(65).leak();
    h.refused(add(long, "", Address::None), UiError::NameTooLong);
    h.refused(add(" Bob", "", Address::None), UiError::BadName);
    h.refused(add("+123-abc", "", Address::None), UiError::BadName);
    h.refused(add("a\u{7}b", "", Address::None), UiError::BadName);
    let long_note: &'static str = "n".repeat(129).leak();
    h.refused(add("Bob", long_note, Address::None), UiError::NoteTooLong);
    h.refused(add("Bob", "a\u{0}", Address::None), UiError::BadNote);
    let bad_tcp = Address::Tcp {
        host: Text::new("").unwrap(),
        port: 1,
    };
    h.refused(add("Bob", "", bad_tcp), UiError::BadAddress);
    h.refused(
        add(
            "Bob",
            "",
            Address::Onion {
                key: [0; 32],
                port: 0,
            },
        ),
        UiError::BadAddress,
    );
    h.refused(
        Action::RenameContact { id: 0, name: "x" },
        UiError::InvalidContact,
    );
    h.refused(Action::DeleteContact { id: 0 }, UiError::InvalidContact);
    h.refused(
        Action::SetContactNote {
            id: 3,
            note: "\u{1b}[31m",
        },
        UiError::BadNote,
    );
}

// ---- calls -------------------------------------------------------------------

#[test]
fn outgoing_call_through_every_phase() {
    let mut h = H::unlocked(&[contact(7, "Alice", 0)]);
    let sent = h
        .act(Action::Call {
            target: CallTarget::Contact(7),
            mode: NetMode::Tor,
        })
        .unwrap();
    assert_eq!(
        sent,
        vec![to(
            ModuleId::Cryptor,
            Call {
                target: CallTarget::Contact(7),
                mode: NetMode::Tor,
                purpose: CallPurpose::Voice,
            }
        )]
    );
    let c = h.call();
    assert_eq!((c.id, c.direction), (0, Direction::Outgoing));
    assert_eq!(c.phase, Phase::Calling(SetupStage::Starting));
    assert_eq!(c.peer_name.as_ref().unwrap().as_str(), "Alice");

    let stages = [
        (CallPhase::Dialing, SetupStage::Dialing),
        (CallPhase::Dialing, SetupStage::Dialing), // the cryptor repeats it
        (CallPhase::Obfuscating, SetupStage::Obfuscating),
        (CallPhase::Connecting, SetupStage::Connecting),
        (CallPhase::KeyExchange, SetupStage::KeyExchange),
    ];
    for (wire, stage) in stages {
        assert!(
            h.cryptor(CallState {
                call: CALL,
                phase: wire,
                path: PathKind::Tor
            })
            .is_empty()
        );
        assert_eq!(h.call().phase, Phase::Calling(stage));
    }
    assert_eq!(h.call().id, CALL);
    h.refused(Action::MarkSasVerified, UiError::NoSas);
    h.refused(Action::SetDirect(true), UiError::NotInCall);

    h.cryptor(CallEstablished {
        call: CALL,
        sas: SAS,
        authenticated: true,
        peer: Some(7),
        peer_fingerprint: Some([0xab; 16]),
    });
    h.cryptor(CallState {
        call: CALL,
        phase: CallPhase::RingingRemote,
        path: PathKind::Tor,
    });
    let c = h.call();
    assert_eq!(c.sas.unwrap().as_str(), "3F7-A09");
    assert!(c.authenticated && !c.sas_verified);
    assert_eq!(c.peer, Some(7));
    assert_eq!(c.phase, Phase::RingingRemote);
    assert_eq!(c.started_at, None);

    h.now += Duration::from_secs(3);
    h.cryptor(CallState {
        call: CALL,
        phase: CallPhase::InCall,
        path: PathKind::Tor,
    });
    let started = h.now;
    assert_eq!(h.call().started_at, Some(started));
    h.cryptor(CallState {
        call: CALL,
        phase: CallPhase::Doubled,
        path: PathKind::Tor,
    });
    assert_eq!(h.call().phase, Phase::Doubled);
    assert_eq!(
        h.call().duration(started + Duration::from_secs(65)),
        Duration::from_secs(65)
    );
    assert_eq!(
        h.events(),
        vec![
            UiEvent::CallPhaseChanged(Phase::Calling(SetupStage::Starting)),
            UiEvent::CallPhaseChanged(Phase::Calling(SetupStage::Dialing)),
            UiEvent::CallPhaseChanged(Phase::Calling(SetupStage::Obfuscating)),
            UiEvent::CallPhaseChanged(Phase::Calling(SetupStage::Connecting)),
            UiEvent::CallPhaseChanged(Phase::Calling(SetupStage::KeyExchange)),
            UiEvent::CallEstablished {
                sas: SAS,
                authenticated: true
            },
            UiEvent::CallPhaseChanged(Phase::RingingRemote),
            UiEvent::CallPhaseChanged(Phase::InCall),
            UiEvent::CallPhaseChanged(Phase::Doubled),
        ]
    );

    h.cryptor(LinkQuality {
        call: CALL,
        path: PathKind::Tor,
        paths: 2,
        rtt_ms: 420,
        loss_permille: 12,
        late_permille: 3,
        jitter_ms: 25,
    });
    assert_eq!(
        h.call().quality,
        Some(Quality {
            path: PathKind::Tor,
            paths: 2,
            rtt_ms: 420,
            loss_permille: 12,
            late_permille: 3,
            jitter_ms: 25
        })
    );
    assert_eq!(h.events(), vec![UiEvent::LinkQuality]);

    // Hang up: the view keeps the ended call until dismissed.
    assert_eq!(
        h.act(Action::Hangup).unwrap(),
        vec![to(ModuleId::Cryptor, Hangup { call: CALL })]
    );
    h.now += Duration::from_secs(65);
    h.cryptor(CallEnded {
        call: CALL,
        reason: EndReason::LocalHangup,
    });
    assert_eq!(h.call().phase, Phase::Ended(EndReason::LocalHangup));
    assert_eq!(
        h.call().duration(h.now + Duration::from_secs(99)),
        Duration::from_secs(65)
    );
    h.refused(Action::Hangup, UiError::NoCall);
    h.act(Action::Dismiss).unwrap();
    assert!(h.ui.view().call.is_none());
}

#[test]
fn sas_verified_marks_the_contact() {
    let mut h = H::in_call();
    assert_eq!(
        h.act(Action::MarkSasVerified).unwrap(),
        vec![to(
            ModuleId::Storage,
            ContactSetVerified {
                id: 7,
                verified: true
            }
        )]
    );
    assert!(h.call().sas_verified);
    assert_eq!(h.events(), vec![UiEvent::SasVerified]);
    // Once is enough.
    assert_eq!(h.act(Action::MarkSasVerified).unwrap(), vec![]);
    // Storage confirms; the page is listed again (the flag shows there).
    let sent = h.storage(ContactChanged {
        id: 7,
        change: ChangeKind::VerifiedChanged,
    });
    assert_eq!(
        sent,
        vec![to(ModuleId::Storage, ContactList { after: 0, max: 15 })]
    );
    h.answer_list(&[contact(7, "Alice", contact_flags::VERIFIED)], 0, 15);
    assert!(h.call().peer_verified);
}

#[test]
fn unknown_peer_found_by_lookup() {
    // The contact is not on the page (e.g. received earlier this call).
    let mut h = H::unlocked(&[]);
    h.cryptor(IncomingCall {
        call: INCOMING,
        path: PathKind::Tor,
    });
    let sent = h.cryptor(CallEstablished {
        call: INCOMING,
        sas: 1,
        authenticated: true,
        peer: Some(12),
        peer_fingerprint: Some([1; 16]),
    });
    let [
        Envelope {
            msg: Message::ContactLookup(l),
            ..
        },
    ] = sent.as_slice()
    else {
        panic!("{sent:?}")
    };
    assert_eq!(l.query, ContactQuery::Id(12));
    h.storage(ContactFound {
        req: l.req,
        contact: contact(12, "Dave", contact_flags::VERIFIED),
    });
    assert_eq!(h.call().peer_name.as_ref().unwrap().as_str(), "Dave");
    assert!(h.call().peer_verified);
    assert!(h.events().contains(&UiEvent::PeerChanged));
}

#[test]
fn incoming_call_accepted() {
    let mut h = H::unlocked(&[]);
    h.refused(Action::Accept, UiError::NoIncomingCall);
    assert!(
        h.cryptor(IncomingCall {
            call: INCOMING,
            path: PathKind::Tor
        })
        .is_empty()
    );
    h.cryptor(CallState {
        call: INCOMING,
        phase: CallPhase::KeyExchange,
        path: PathKind::Tor,
    });
    let c = h.call();
    assert_eq!((c.id, c.direction), (INCOMING, Direction::Incoming));
    assert_eq!(c.phase, Phase::Calling(SetupStage::KeyExchange));
    assert_eq!(
        h.events(),
        vec![UiEvent::IncomingCall {
            call: INCOMING,
            path: PathKind::Tor
        }]
    );
    h.refused(Action::Accept, UiError::CallNotReady);
    h.refused(
        Action::Call {
            target: CallTarget::Contact(1),
            mode: NetMode::Tor,
        },
        UiError::Busy,
    );

    h.cryptor(CallEstablished {
        call: INCOMING,
        sas: 0x000001,
        authenticated: false,
        peer: None,
        peer_fingerprint: None,
    });
    h.cryptor(CallState {
        call: INCOMING,
        phase: CallPhase::Ringing,
        path: PathKind::Tor,
    });
    assert_eq!(h.call().phase, Phase::Ringing);
    assert_eq!(h.call().sas.unwrap().as_str(), "000-001");
    assert_eq!(
        h.act(Action::Accept).unwrap(),
        vec![to(ModuleId::Cryptor, Accept { call: INCOMING })]
    );
    h.cryptor(CallState {
        call: INCOMING,
        phase: CallPhase::InCall,
        path: PathKind::Tor,
    });
    assert_eq!(h.call().phase, Phase::InCall);
    h.refused(Action::Accept, UiError::NoIncomingCall);
    h.refused(Action::Reject, UiError::NoIncomingCall);
    // Unknown peer: verified in the view only, nothing stored.
    assert_eq!(h.act(Action::MarkSasVerified).unwrap(), vec![]);
    assert!(h.call().sas_verified);
}

#[test]
fn incoming_call_rejected() {
    let mut h = H::unlocked(&[]);
    h.cryptor(IncomingCall {
        call: INCOMING,
        path: PathKind::Tcp,
    });
    h.cryptor(CallEstablished {
        call: INCOMING,
        sas: 5,
        authenticated: false,
        peer: None,
        peer_fingerprint: None,
    });
    h.cryptor(CallState {
        call: INCOMING,
        phase: CallPhase::Ringing,
        path: PathKind::Tcp,
    });
    assert_eq!(
        h.act(Action::Reject).unwrap(),
        vec![to(ModuleId::Cryptor, Hangup { call: INCOMING })]
    );
    h.cryptor(CallEnded {
        call: INCOMING,
        reason: EndReason::Rejected,
    });
    assert_eq!(h.call().phase, Phase::Ended(EndReason::Rejected));
    assert!(h.events().contains(&UiEvent::CallEnded {
        reason: EndReason::Rejected
    }));
    h.refused(Action::Reject, UiError::NoIncomingCall);
}

#[test]
fn second_incoming_call_is_refused_while_busy() {
    let mut h = H::in_call();
    let sent = h.cryptor(IncomingCall {
        call: INCOMING,
        path: PathKind::Tor,
    });
    assert_eq!(sent, vec![to(ModuleId::Cryptor, Hangup { call: INCOMING })]);
    assert_eq!(h.call().id, CALL);
    assert_eq!(h.ui.view().counters.busy_rejected, 1);
    assert_eq!(
        h.events(),
        vec![UiEvent::MissedCall {
            path: PathKind::Tor
        }]
    );
    // Its end is not ours.
    h.cryptor(CallEnded {
        call: INCOMING,
        reason: EndReason::LocalHangup,
    });
    assert_eq!(h.call().phase, Phase::InCall);
}

#[test]
fn mute_direct_compare_send_contact() {
    let mut h = H::in_call();
    assert_eq!(
        h.act(Action::Mute(true)).unwrap(),
        vec![to(ModuleId::Cryptor, Mute { on: true })]
    );
    assert!(!h.call().muted, "the cryptor's answer is the truth");
    h.cryptor(MuteState { on: true });
    assert!(h.call().muted);
    assert_eq!(h.events(), vec![UiEvent::Muted(true)]);

    assert_eq!(
        h.act(Action::SetDirect(true)).unwrap(),
        vec![to(
            ModuleId::Cryptor,
            SetDirect {
                call: CALL,
                enable: true
            }
        )]
    );
    h.cryptor(DirectState {
        call: CALL,
        phase: DirectPhase::Active,
    });
    assert_eq!(h.call().direct, DirectPhase::Active);

    h.refused(Action::CompareSecret { phrase: "" }, UiError::EmptyPhrase);
    let long = "p".repeat(129);
    h.refused(
        Action::CompareSecret { phrase: &long },
        UiError::PhraseTooLong,
    );
    assert_eq!(
        h.act(Action::CompareSecret {
            phrase: "blue lake"
        })
        .unwrap(),
        vec![to(
            ModuleId::Cryptor,
            CompareSecret {
                call: CALL,
                phrase: SecretBytes::new(b"blue lake").unwrap()
            }
        )]
    );
    h.cryptor(CompareResult {
        call: CALL,
        outcome: CompareOutcome::Match,
    });
    assert_eq!(h.call().compare, Some(CompareOutcome::Match));
    h.cryptor(CompareResult {
        call: CALL,
        outcome: CompareOutcome::Mismatch,
    });
    assert_eq!(h.call().compare, Some(CompareOutcome::Mismatch));
    let ev = h.events();
    assert!(ev.ends_with(&[
        UiEvent::CompareResult(CompareOutcome::Match),
        UiEvent::CompareResult(CompareOutcome::Mismatch)
    ]));

    assert_eq!(
        h.act(Action::SendContact { contact: 0 }).unwrap(),
        vec![to(
            ModuleId::Cryptor,
            SendContact {
                call: CALL,
                contact: 0
            }
        )]
    );
    let name = Name::new("+3F7A09-000102030405060708090A0B0C0D0E0F").unwrap();
    let sent = h.cryptor(ContactReceived {
        call: CALL,
        id: 9,
        name: name.clone(),
    });
    assert_eq!(
        sent,
        vec![to(ModuleId::Storage, ContactList { after: 0, max: 15 })]
    );
    assert_eq!(
        h.call().received,
        Some(ReceivedContact {
            id: 9,
            name: name.clone()
        })
    );
    assert_eq!(h.events(), vec![UiEvent::ContactReceived { id: 9, name }]);
}

#[test]
fn chat_in_a_call_both_ways_with_receipts() {
    const ID: u32 = susurro_ui::chat::CHAT_IDS + 1;
    let mut h = H::in_call();
    // A long message is cut at character boundaries into parts.
    let long = format!("{}é and more", "a".repeat(caps::TEXT_PART - 1));
    let sent = h.act(Action::SendText { text: &long }).unwrap();
    assert_eq!(sent.len(), 2);
    let parts: Vec<SendText> = sent
        .iter()
        .map(|e| match &e.msg {
            Message::SendText(t) => t.clone(),
            m => panic!("{m:?}"),
        })
        .collect();
    assert_eq!(
        (parts[0].call, parts[0].id, parts[0].part, parts[0].parts),
        (CALL, ID, 0, 2)
    );
    assert_eq!(parts[1].part, 1);
    assert_eq!(
        format!("{}{}", parts[0].text.as_str(), parts[1].text.as_str()),
        long
    );
    assert_eq!(h.events(), vec![UiEvent::TextSent { id: ID }]);
    let mine = h.call().chat.lines.back().unwrap().clone();
    assert_eq!(
        (mine.id, mine.from_peer, mine.delivered),
        (ID, false, false)
    );
    assert_eq!(mine.text.as_str(), long);
    // The peer's receipts mark it.
    h.cryptor(ReceiptReceived {
        call: CALL,
        id: ID,
        kind: ReceiptKind::Delivered,
    });
    h.cryptor(ReceiptReceived {
        call: CALL,
        id: ID,
        kind: ReceiptKind::Read,
    });
    let line = h.call().chat.lines.back().unwrap();
    assert!(line.delivered && line.read);
    assert_eq!(
        h.events(),
        vec![
            UiEvent::Receipt {
                id: ID,
                kind: ReceiptKind::Delivered
            },
            UiEvent::Receipt {
                id: ID,
                kind: ReceiptKind::Read
            }
        ]
    );
    // The peer's message in two parts, the second first: one line, and a
    // delivered receipt once complete.
    let part = |part: u8, text: &str| TextReceived {
        call: CALL,
        id: 40,
        part,
        parts: 2,
        text: Text::new(text).unwrap(),
    };
    assert!(h.cryptor(part(1, "world")).is_empty());
    assert_eq!(
        h.cryptor(part(0, "hello ")),
        vec![to(
            ModuleId::Cryptor,
            SendReceipt {
                call: CALL,
                id: 40,
                kind: ReceiptKind::Delivered
            }
        )]
    );
    assert_eq!(h.events(), vec![UiEvent::TextReceived { id: 40 }]);
    assert_eq!(h.call().chat.unread(), 1);
    let theirs = h.call().chat.lines.back().unwrap();
    assert_eq!(
        (theirs.text.as_str(), theirs.from_peer),
        ("hello world", true)
    );
    // A repeat of a part (a retry) changes nothing.
    assert!(h.cryptor(part(0, "hello ")).is_empty());
    assert_eq!(h.call().chat.lines.len(), 2);
    // Shown: a read receipt, once.
    assert_eq!(
        h.act(Action::MarkRead).unwrap(),
        vec![to(
            ModuleId::Cryptor,
            SendReceipt {
                call: CALL,
                id: 40,
                kind: ReceiptKind::Read
            }
        )]
    );
    assert!(h.act(Action::MarkRead).unwrap().is_empty());
    assert_eq!(h.call().chat.unread(), 0);
    // What is refused, in words, with nothing sent.
    h.refused(Action::SendText { text: "  " }, UiError::EmptyText);
    let too_long = "x".repeat(TEXT_MAX + 1);
    h.refused(Action::SendText { text: &too_long }, UiError::TextTooLong);
    // The rate: TEXT_RATE parts at once, 2 spent above.
    let burst = "y".repeat(caps::TEXT_PART * 15);
    assert_eq!(h.act(Action::SendText { text: &burst }).unwrap().len(), 15);
    assert_eq!(h.act(Action::SendText { text: &burst }).unwrap().len(), 15);
    h.refused(Action::SendText { text: &burst }, UiError::SendingTooFast);
    h.now += Duration::from_secs(1);
    assert_eq!(h.act(Action::SendText { text: &burst }).unwrap().len(), 15);
    // Debug output never shows the text.
    assert!(
        !format!(
            "{:?}",
            Action::SendText {
                text: "secret plan"
            }
        )
        .contains("secret")
    );
}

#[test]
fn history_key_while_unlocked_only() {
    let mut h = H::unlocked(&[contact(7, "Alice", 0)]);
    h.events();
    assert!(h.ui.history_key().is_none());
    h.storage(HistoryKey {
        key: Secret::new([0x42; 32]),
    });
    assert_eq!(h.ui.history_key().map(|k| *k.expose()), Some([0x42; 32]));
    assert_eq!(h.events(), vec![UiEvent::HistoryKey]);
    // Never in the view or its debug output.
    assert!(!format!("{:?}", h.ui.view()).contains("42, 42"));
    h.storage(StoreStatus {
        state: StoreState::Locked,
        attempts_left: 5,
        retry_after_s: 0,
    });
    assert!(h.ui.history_key().is_none(), "forgotten at lock");
    // A late answer while locked is ignored.
    h.storage(HistoryKey {
        key: Secret::new([0x43; 32]),
    });
    assert!(h.ui.history_key().is_none());
}

#[test]
fn a_message_session_sends_stored_messages_and_receipts_follow_the_host() {
    let mut h = H::unlocked(&[contact(7, "Alice", 0)]);
    let sent = h
        .act(Action::OpenMessages {
            target: CallTarget::Contact(7),
            mode: NetMode::Tor,
        })
        .unwrap();
    assert_eq!(
        sent,
        vec![to(
            ModuleId::Cryptor,
            Call {
                target: CallTarget::Contact(7),
                mode: NetMode::Tor,
                purpose: CallPurpose::Messages,
            }
        )]
    );
    // Nothing to send before the session is up.
    h.refused(Action::SendStored { id: 3, text: "x" }, UiError::NotInCall);
    h.cryptor(CallState {
        call: CALL,
        phase: CallPhase::Messages,
        path: PathKind::Tor,
    });
    assert_eq!(h.call().phase, Phase::Messages);
    assert!(!h.call().phase.is_talking(), "no voice");
    // The history's id goes out as is; a retry replaces the line.
    for _ in 0..2 {
        let sent = h
            .act(Action::SendStored {
                id: 3,
                text: "queued",
            })
            .unwrap();
        assert_eq!(
            sent,
            vec![to(
                ModuleId::Cryptor,
                SendText {
                    call: CALL,
                    id: 3,
                    part: 0,
                    parts: 1,
                    text: Text::new("queued").unwrap()
                }
            )]
        );
    }
    assert_eq!(h.call().chat.lines.len(), 1);
}

#[test]
fn file_messages_are_carried_both_ways_and_held_for_the_front_end() {
    let mut h = H::unlocked(&[contact(7, "Alice", 0)]);
    h.act(Action::OpenMessages {
        target: CallTarget::Contact(7),
        mode: NetMode::Tor,
    })
    .unwrap();
    let body = [0x04, 1, 2, 3];
    // Nothing to carry before the session is up.
    h.refused(Action::SendFile { body: &body }, UiError::NotInCall);
    h.cryptor(CallState {
        call: CALL,
        phase: CallPhase::Messages,
        path: PathKind::Tor,
    });
    assert_eq!(
        h.act(Action::SendFile { body: &body }).unwrap(),
        vec![to(
            ModuleId::Cryptor,
            SendFile {
                call: CALL,
                body: Bytes::new(&body).unwrap()
            }
        )]
    );
    let long = [0u8; caps::FILE_BODY + 1];
    h.refused(
        Action::SendFile { body: &long },
        UiError::FileMessageTooLong,
    );
    // The peer's: held in order, an event for each, the oldest dropped
    // and counted past the queue.
    h.events();
    for i in 0..6u8 {
        let sent = h.cryptor(FileReceived {
            call: CALL,
            body: Bytes::new(&[i]).unwrap(),
        });
        assert!(sent.is_empty());
    }
    assert_eq!(h.events(), vec![UiEvent::File; 6]);
    let got: Vec<u8> = core::iter::from_fn(|| h.ui.take_file())
        .map(|(call, b)| {
            assert_eq!(call, CALL);
            b.as_slice()[0]
        })
        .collect();
    assert_eq!(got, vec![2, 3, 4, 5]);
    assert_eq!(h.ui.view().counters.files_dropped, 2);
    // Another call's are ignored.
    h.cryptor(FileReceived {
        call: CALL + 9,
        body: Bytes::new(&[9]).unwrap(),
    });
    assert!(h.ui.take_file().is_none());
}

#[test]
fn with_host_receipts_the_front_end_sends_delivered() {
    let mut h = H::with(UiConfig {
        host_receipts: true,
        ..UiConfig::default()
    });
    h.storage(StoreStatus {
        state: StoreState::Locked,
        attempts_left: 5,
        retry_after_s: 0,
    });
    h.act(Action::Unlock { password: "pw" }).unwrap();
    h.storage(UnlockResult {
        outcome: UnlockOutcome::Unlocked,
        attempts_left: 5,
        retry_after_s: 0,
    });
    h.cryptor(IncomingCall {
        call: INCOMING,
        path: PathKind::Tor,
    });
    h.cryptor(CallState {
        call: INCOMING,
        phase: CallPhase::Messages,
        path: PathKind::Tor,
    });
    h.events();
    let sent = h.cryptor(TextReceived {
        call: INCOMING,
        id: 12,
        part: 0,
        parts: 1,
        text: Text::new("hello").unwrap(),
    });
    assert!(sent.is_empty(), "no receipt before the host stored it");
    assert!(h.events().contains(&UiEvent::TextReceived { id: 12 }));
    assert_eq!(
        h.act(Action::Delivered { id: 12 }).unwrap(),
        vec![to(
            ModuleId::Cryptor,
            SendReceipt {
                call: INCOMING,
                id: 12,
                kind: ReceiptKind::Delivered
            }
        )]
    );
    // Read later, from the history: the read receipt for that id.
    assert_eq!(
        h.act(Action::ReadStored { id: 9 }).unwrap(),
        vec![to(
            ModuleId::Cryptor,
            SendReceipt {
                call: INCOMING,
                id: 9,
                kind: ReceiptKind::Read
            }
        )]
    );
}

#[test]
fn remote_hangup() {
    let mut h = H::in_call();
    h.cryptor(CallEnded {
        call: CALL,
        reason: EndReason::RemoteHangup,
    });
    assert_eq!(h.call().phase, Phase::Ended(EndReason::RemoteHangup));
    assert_eq!(
        h.events(),
        vec![
            UiEvent::CallPhaseChanged(Phase::Ended(EndReason::RemoteHangup)),
            UiEvent::CallEnded {
                reason: EndReason::RemoteHangup
            }
        ]
    );
    assert_eq!(
        UserError::CallEnded(EndReason::RemoteHangup).message(),
        "The other side hung up."
    );
    // A new call replaces the ended one.
    h.act(Action::Call {
        target: CallTarget::Contact(7),
        mode: NetMode::Direct,
    })
    .unwrap();
    assert_eq!(h.call().phase, Phase::Calling(SetupStage::Starting));
    assert_eq!(h.call().path, PathKind::Tcp);
}

#[test]
fn unreachable_callee_numbered_by_its_end() {
    let mut h = H::unlocked(&[]);
    let target = CallTarget::Address(Address::Tcp {
        host: Text::new("192.0.2.1").unwrap(),
        port: 7000,
    });
    h.act(Action::Call {
        target,
        mode: NetMode::Direct,
    })
    .unwrap();
    // The cryptor's first word about it is its end.
    h.cryptor(CallEnded {
        call: 3,
        reason: EndReason::Unreachable,
    });
    let c = h.call();
    assert_eq!((c.id, c.phase), (3, Phase::Ended(EndReason::Unreachable)));
    assert_eq!(
        UserError::CallEnded(EndReason::Unreachable).to_string(),
        "Could not reach them. Are they online and listening?"
    );
}

#[test]
fn call_refused_before_numbering() {
    let mut h = H::unlocked(&[contact(7, "Alice", 0)]);
    h.act(Action::Call {
        target: CallTarget::Contact(7),
        mode: NetMode::Tor,
    })
    .unwrap();
    h.cryptor(susurro_wire::ErrorReport {
        call: 0,
        code: ErrorCode::StoreLocked,
    });
    assert!(h.ui.view().call.is_none());
    assert_eq!(
        h.ui.view().last_error,
        Some(UserError::Call(ErrorCode::StoreLocked))
    );
    // Free to try again.
    h.act(Action::Call {
        target: CallTarget::Contact(7),
        mode: NetMode::Tor,
    })
    .unwrap();
}

#[test]
fn key_mismatch_is_reported_in_words() {
    let mut h = H::unlocked(&[]);
    h.cryptor(IncomingCall {
        call: INCOMING,
        path: PathKind::Tor,
    });
    h.cryptor(CallEnded {
        call: INCOMING,
        reason: EndReason::KeyMismatch,
    });
    let Phase::Ended(r) = h.call().phase else {
        panic!()
    };
    assert_eq!(
        UserError::CallEnded(r).message(),
        "The call was tampered with: key check failed. Do not trust this connection."
    );
}

#[test]
fn transport_box_link_down_mid_call_hangs_up_and_up_again_is_shown() {
    let mut h = H::in_call();
    assert_eq!(h.ui.view().network.transport_link, None, "in process");
    let link = |phase| LinkStatus {
        peer: ModuleId::Transport,
        phase,
        bad_frames: 0,
        bad_messages: 0,
    };
    let sent = h.recv(ModuleId::Host, link(LinkPhase::Down));
    assert_eq!(sent, vec![to(ModuleId::Cryptor, Hangup { call: CALL })]);
    let v = h.ui.view();
    assert_eq!(v.network.transport_link, Some(false));
    assert_eq!(
        v.last_error,
        Some(UserError::TransportDisconnectedCallEnded)
    );
    assert_eq!(
        v.last_error.unwrap().message(),
        "The network box was disconnected; the call has ended."
    );
    assert!(h.events().contains(&UiEvent::Network));
    // A second report of the same outage changes nothing.
    assert!(h.recv(ModuleId::Host, link(LinkPhase::Down)).is_empty());
    h.cryptor(CallEnded {
        call: CALL,
        reason: EndReason::LocalHangup,
    });
    // The box is back: shown, and no call to end.
    assert!(h.recv(ModuleId::Host, link(LinkPhase::Up)).is_empty());
    assert_eq!(h.ui.view().network.transport_link, Some(true));
    assert!(h.events().contains(&UiEvent::Network));
    // Idle: the outage is only reported.
    assert!(h.recv(ModuleId::Host, link(LinkPhase::Down)).is_empty());
    assert_eq!(
        h.ui.view().last_error,
        Some(UserError::TransportDisconnected)
    );
}

#[test]
fn storage_link_down_mid_call_hangs_up() {
    let mut h = H::in_call();
    let sent = h.recv(
        ModuleId::Host,
        LinkStatus {
            peer: ModuleId::Storage,
            phase: LinkPhase::Down,
            bad_frames: 0,
            bad_messages: 0,
        },
    );
    assert_eq!(sent, vec![to(ModuleId::Cryptor, Hangup { call: CALL })]);
    let v = h.ui.view();
    assert_eq!(v.last_error, Some(UserError::StorageDisconnectedCallEnded));
    assert_eq!(
        v.last_error.unwrap().message(),
        "Your key store was disconnected; the call has ended."
    );
    assert!(!v.store.connected);
    assert_eq!(v.store.state, None);
    assert!(v.contacts.entries.is_empty());
    assert!(
        h.events()
            .contains(&UiEvent::Error(UserError::StorageDisconnectedCallEnded))
    );
    h.refused(Action::RefreshContacts, UiError::StorageDisconnected);
    h.refused(
        Action::Unlock { password: "x" },
        UiError::StorageDisconnected,
    );
    // The cryptor confirms the end.
    h.cryptor(CallEnded {
        call: CALL,
        reason: EndReason::LocalHangup,
    });
    assert_eq!(h.call().phase, Phase::Ended(EndReason::LocalHangup));
    // Plugged back in: ask its state.
    let sent = h.recv(
        ModuleId::Host,
        LinkStatus {
            peer: ModuleId::Storage,
            phase: LinkPhase::Up,
            bad_frames: 0,
            bad_messages: 0,
        },
    );
    assert_eq!(sent, vec![to(ModuleId::Storage, StoreStatusRequest {})]);
    assert!(h.ui.view().store.connected);
}

#[test]
fn storage_link_down_without_call() {
    let mut h = H::unlocked(&[]);
    let sent = h.recv(
        ModuleId::Host,
        LinkStatus {
            peer: ModuleId::Storage,
            phase: LinkPhase::Down,
            bad_frames: 1,
            bad_messages: 0,
        },
    );
    assert!(sent.is_empty());
    assert_eq!(h.ui.view().last_error, Some(UserError::StorageDisconnected));
}

#[test]
fn network_settings_and_status() {
    let mut h = H::with(UiConfig {
        network: Some(NetworkSettings {
            mode: NetMode::Tor,
            listen: true,
            port: 0,
        }),
        ..UiConfig::default()
    });
    assert_eq!(h.ui.view().network.mode, Some(NetMode::Tor));
    h.refused(
        Action::SetNetwork {
            mode: NetMode::Direct,
            listen: true,
            port: 0,
        },
        UiError::BadPort,
    );
    assert_eq!(
        h.act(Action::SetNetwork {
            mode: NetMode::Direct,
            listen: true,
            port: 7000
        })
        .unwrap(),
        vec![to(
            ModuleId::Cryptor,
            NetworkConfig {
                mode: NetMode::Direct,
                listen: true,
                port: 7000
            }
        )]
    );
    h.cryptor(NetworkStatus {
        bootstrap_percent: 100,
        onion_published: false,
        listening: true,
        address: Address::Tcp {
            host: Text::new("203.0.113.5").unwrap(),
            port: 7000,
        },
    });
    let n = &h.ui.view().network;
    assert!(n.known && n.listening);
    assert_eq!(n.bootstrap_percent, 100);
    assert_eq!(n.port, 7000);
    assert!(h.events().ends_with(&[UiEvent::Network, UiEvent::Network]));
    // Another mode: the direct status no longer holds until Tor reports.
    h.act(Action::SetNetwork {
        mode: NetMode::Tor,
        listen: true,
        port: 7000,
    })
    .unwrap();
    let n = &h.ui.view().network;
    assert_eq!(n.mode, Some(NetMode::Tor));
    assert!(!n.known && !n.listening && !n.onion_published);
    assert_eq!((n.bootstrap_percent, &n.address), (0, &Address::None));
    // The same mode again keeps what is known.
    h.cryptor(NetworkStatus {
        bootstrap_percent: 40,
        onion_published: false,
        listening: false,
        address: Address::None,
    });
    h.act(Action::SetNetwork {
        mode: NetMode::Tor,
        listen: true,
        port: 7000,
    })
    .unwrap();
    assert_eq!(h.ui.view().network.bootstrap_percent, 40);
}

#[test]
fn start_sends_network_config() {
    let mut ui = UiCore::new(UiConfig {
        network: Some(NetworkSettings {
            mode: NetMode::Direct,
            listen: false,
            port: 0,
        }),
        list_batch: 15,
        host_receipts: false,
    });
    let mut out = Outbox::new(ModuleId::Ui);
    ui.handle(Instant::ZERO, Input::Start, &mut out);
    assert_eq!(
        drain(&mut out),
        vec![
            to(ModuleId::Storage, StoreStatusRequest {}),
            to(
                ModuleId::Cryptor,
                NetworkConfig {
                    mode: NetMode::Direct,
                    listen: false,
                    port: 0
                }
            )
        ]
    );
}

#[test]
fn messages_from_wrong_sources_are_ignored() {
    let mut h = H::in_call();
    let before = h.ui.view().call.clone();
    // Transport may not talk to the ui directly; storage sends no call states.
    h.recv(
        ModuleId::Transport,
        CallEnded {
            call: CALL,
            reason: EndReason::RemoteHangup,
        },
    );
    h.storage(CallEnded {
        call: CALL,
        reason: EndReason::RemoteHangup,
    });
    // A message for another call.
    h.cryptor(CallState {
        call: 99,
        phase: CallPhase::Doubled,
        path: PathKind::Tor,
    });
    assert_eq!(h.ui.view().call, before);
    assert_eq!(h.ui.view().counters.ignored, 3);
    h.recv(
        ModuleId::Host,
        RouteRefused {
            src: ModuleId::Transport,
            dst: ModuleId::Storage,
            kind: 0x19,
            total: 4,
        },
    );
    assert_eq!(h.ui.view().counters.route_refused, 4);
}

#[test]
fn event_queue_overflow_is_counted() {
    let mut h = H::in_call();
    for i in 0..40 {
        h.cryptor(MuteState { on: i % 2 == 0 });
    }
    assert_eq!(h.ui.view().counters.events_dropped, 8);
    let ev = h.events();
    assert_eq!(ev.len(), 32);
    assert_eq!(ev.last(), Some(&UiEvent::Muted(false)));
}

#[test]
fn every_action_refused_in_the_wrong_state() {
    // Locked store, no call.
    let mut h = H::new();
    h.storage(StoreStatus {
        state: StoreState::Locked,
        attempts_left: 3,
        retry_after_s: 0,
    });
    let locked = [
        Action::Lock,
        Action::ChangePassword { old: "a", new: "b" },
        Action::RefreshContacts,
        Action::NextContacts,
        Action::AddContact {
            name: "a",
            key: [0; 32],
            address: Address::None,
            note: "",
        },
        Action::RenameContact { id: 1, name: "a" },
        Action::DeleteContact { id: 1 },
        Action::SetContactAddress {
            id: 1,
            address: Address::None,
        },
        Action::SetContactNote { id: 1, note: "" },
        Action::Call {
            target: CallTarget::Contact(1),
            mode: NetMode::Tor,
        },
    ];
    for a in locked {
        h.refused(a, UiError::Locked);
    }
    h.refused(
        Action::CreateIdentity { password: "a" },
        UiError::IdentityExists,
    );
    h.refused(Action::Unlock { password: "" }, UiError::EmptyPassword);
    let no_call = [
        (Action::Accept, UiError::NoIncomingCall),
        (Action::Reject, UiError::NoIncomingCall),
        (Action::Hangup, UiError::NoCall),
        (Action::Mute(true), UiError::NoCall),
        (Action::SetDirect(true), UiError::NoCall),
        (Action::MarkSasVerified, UiError::NoCall),
        (Action::CompareSecret { phrase: "x" }, UiError::NoCall),
        (Action::SendContact { contact: 0 }, UiError::NoCall),
        (Action::SendText { text: "x" }, UiError::NoCall),
        (Action::MarkRead, UiError::NoCall),
    ];
    for (a, e) in no_call {
        h.refused(a, e);
    }
    h.act(Action::Dismiss).unwrap();

    // Unlocked: call input.
    let mut h = H::unlocked(&[]);
    h.refused(
        Action::Call {
            target: CallTarget::Contact(0),
            mode: NetMode::Tor,
        },
        UiError::InvalidContact,
    );
    h.refused(
        Action::Call {
            target: CallTarget::Address(Address::None),
            mode: NetMode::Tor,
        },
        UiError::NoAddress,
    );
    h.refused(
        Action::Call {
            target: CallTarget::Address(Address::Tcp {
                host: Text::new("a b").unwrap(),
                port: 1,
            }),
            mode: NetMode::Direct,
        },
        UiError::BadAddress,
    );

    // Setting up a call: talking-only actions wait, Dismiss refuses.
    h.act(Action::Call {
        target: CallTarget::Contact(5),
        mode: NetMode::Tor,
    })
    .unwrap();
    let setup = [
        (Action::SetDirect(true), UiError::NotInCall),
        (Action::CompareSecret { phrase: "x" }, UiError::NotInCall),
        (Action::SendContact { contact: 0 }, UiError::NotInCall),
        (Action::SendText { text: "x" }, UiError::NotInCall),
        (Action::MarkSasVerified, UiError::NoSas),
        (Action::Accept, UiError::NoIncomingCall),
        (Action::Dismiss, UiError::CallActive),
        (
            Action::Call {
                target: CallTarget::Contact(5),
                mode: NetMode::Tor,
            },
            UiError::Busy,
        ),
    ];
    for (a, e) in setup {
        h.refused(a, e);
    }
    // Not numbered yet: hang-up resets the cryptor's calls.
    assert_eq!(
        h.act(Action::Hangup).unwrap(),
        vec![to(ModuleId::Cryptor, Reset {})]
    );
}

#[test]
fn user_error_texts() {
    assert_eq!(
        UserError::WrongPassword { tries_left: 1 }.to_string(),
        "Wrong password. 1 try left."
    );
    assert_eq!(
        UserError::LockedOut { retry_after_s: 300 }.to_string(),
        "Too many wrong passwords. Try again in 5 minutes."
    );
    assert_eq!(
        UserError::Call(ErrorCode::NoAddress).to_string(),
        "This contact has no address. Add one first."
    );
    assert_eq!(
        UserError::Storage(StorageErrorCode::KeyTaken).to_string(),
        "This key is already in your contacts."
    );
    // Every message is a sentence.
    for r in 0..=9u8 {
        let r = EndReason::from_code(r).unwrap();
        assert!(UserError::CallEnded(r).message().ends_with(['.', '?']));
    }
    for c in 1..=13u8 {
        let c = ErrorCode::from_code(c).unwrap();
        assert!(UserError::Call(c).message().ends_with('.'));
    }
    for c in 1..=12u8 {
        let c = StorageErrorCode::from_code(c).unwrap();
        assert!(UserError::Storage(c).message().ends_with('.'));
    }
    assert_eq!(
        susurro_ui::text::fingerprint_text(&[0xab; 16]).as_str(),
        "ABAB ABAB ABAB ABAB ABAB ABAB ABAB ABAB"
    );
}

#[test]
fn passwords_never_in_debug_output() {
    let a = Action::Unlock {
        password: "hunter2",
    };
    assert!(!format!("{a:?}").contains("hunter2"));
    let a = Action::CompareSecret { phrase: "blue" };
    assert!(!format!("{a:?}").contains("blue"));
    let mut h = H::new();
    h.storage(StoreStatus {
        state: StoreState::Locked,
        attempts_left: 5,
        retry_after_s: 0,
    });
    h.act(Action::Unlock {
        password: "hunter2",
    })
    .unwrap();
    assert!(!format!("{:?}", h.ui).contains("hunter2"));
}
