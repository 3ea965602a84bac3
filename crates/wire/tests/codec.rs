//! Decoder properties: typed errors for bad input, canonical encodings,
//! round trips of generated values.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::samples;
use proptest::prelude::*;
use susurro_wire::*;

fn enc(env: &Envelope) -> Vec<u8> {
    let mut buf = [0u8; MAX_MESSAGE];
    let n = env.encode(&mut buf).unwrap();
    buf[..n].to_vec()
}

#[test]
fn over_long_length_is_a_typed_error() {
    // ContactRename { id, name } with a name length of 65 (cap 64).
    let mut b = vec![4, 3, 0x25, 8, 0, 0, 0, 65, 0];
    b.extend(std::iter::repeat_n(b'a', 65));
    assert_eq!(
        Envelope::decode(&b),
        Err(DecodeError::TooLong { max: 64, got: 65 })
    );
    // A length of 0xffff with no bytes behind it is TooLong, not an allocation.
    let b = [4, 3, 0x25, 8, 0, 0, 0, 0xff, 0xff];
    assert_eq!(
        Envelope::decode(&b),
        Err(DecodeError::TooLong {
            max: 64,
            got: 0xffff
        })
    );
}

#[test]
fn bad_values_are_typed_errors() {
    assert_eq!(
        Envelope::decode(&[9, 3, 0x15]),
        Err(DecodeError::UnknownModule(9))
    );
    assert_eq!(
        Envelope::decode(&[4, 3, 0xfe]),
        Err(DecodeError::UnknownKind(0xfe))
    );
    // Mute { on: 2 }
    assert_eq!(
        Envelope::decode(&[4, 2, 0x33, 2]),
        Err(DecodeError::BadValue {
            what: "bool",
            value: 2
        })
    );
    // ContactRename with invalid UTF-8.
    assert_eq!(
        Envelope::decode(&[4, 3, 0x25, 1, 0, 0, 0, 1, 0, 0xff]),
        Err(DecodeError::BadUtf8)
    );
    assert_eq!(Envelope::decode(&[]), Err(DecodeError::Truncated));
    assert_eq!(
        Envelope::decode(&[4, 3, 0x15, 0]),
        Err(DecodeError::TrailingBytes { extra: 1 })
    );
}

#[test]
fn text_is_rejected_not_truncated() {
    let long = "é".repeat(33); // 66 bytes
    assert!(Name::new(&long).is_err());
    assert!(Name::new(&"é".repeat(32)).is_ok());
}

#[test]
fn secrets_do_not_print() {
    let env = Envelope::new(
        ModuleId::Ui,
        ModuleId::Storage,
        Unlock {
            password: Password::new(b"hunter2").unwrap(),
        },
    );
    let shown = format!("{env:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("redacted"));
    let s = Secret::new([0x41u8; 32]);
    assert!(!format!("{s:?}").contains("65"));
}

#[test]
fn every_sample_fits_a_frame() {
    for env in samples::envelopes() {
        assert!(enc(&env).len() <= MAX_MESSAGE);
    }
    // The largest possible contact entry fits too.
    let c = Contact {
        id: u32::MAX,
        name: Name::new(&"n".repeat(64)).unwrap(),
        key: [0xff; 32],
        address: Address::Tcp {
            host: Text::new(&"h".repeat(64)).unwrap(),
            port: 1,
        },
        note: Note::new(&"x".repeat(128)).unwrap(),
        flags: 0xff,
        created: u64::MAX,
        updated: u64::MAX,
    };
    let env = Envelope::new(ModuleId::Storage, ModuleId::Ui, ContactEntry { contact: c });
    assert!(enc(&env).len() <= MAX_MESSAGE);
}

fn text_strategy(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..max).prop_map(move |cs| {
        let mut s = String::new();
        for c in cs {
            if s.len() + c.len_utf8() <= max {
                s.push(c);
            }
        }
        s
    })
}

fn address_strategy() -> impl Strategy<Value = Address> {
    prop_oneof![
        Just(Address::None),
        (any::<[u8; 32]>(), any::<u16>()).prop_map(|(key, port)| Address::Onion { key, port }),
        (text_strategy(64), any::<u16>()).prop_map(|(h, port)| Address::Tcp {
            host: Text::new(&h).unwrap(),
            port
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Encoding is canonical: whatever decodes re-encodes to the same bytes.
    #[test]
    fn decode_then_encode_is_identity(idx in 0usize..80, flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4), cut in any::<usize>()) {
        let all = samples::envelopes();
        let mut bytes = enc(&all[idx % all.len()]);
        for (pos, x) in flips {
            let i = pos % bytes.len();
            bytes[i] ^= x;
        }
        let keep = bytes.len() - (cut % 3).min(bytes.len());
        bytes.truncate(keep);
        if let Ok(env) = Envelope::decode(&bytes) {
            prop_assert_eq!(enc(&env), bytes);
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(env) = Envelope::decode(&bytes) {
            prop_assert_eq!(enc(&env), bytes.clone());
        }
        let _ = PeerMessage::decode_from(&bytes);
    }

    #[test]
    fn contact_round_trip(name in text_strategy(64), note in text_strategy(128), key in any::<[u8; 32]>(),
                          address in address_strategy(), id in any::<u32>(), flags in any::<u8>(),
                          created in any::<u64>(), updated in any::<u64>(), req in any::<u16>()) {
        let contact = Contact {
            id, name: Name::new(&name).unwrap(), key, address, note: Note::new(&note).unwrap(),
            flags, created, updated,
        };
        let env = Envelope::new(ModuleId::Storage, ModuleId::Cryptor, ContactFound { req, contact });
        let bytes = enc(&env);
        prop_assert_eq!(Envelope::decode(&bytes).unwrap(), env);
    }

    #[test]
    fn voice_round_trip(call in any::<u32>(), seq in any::<u32>(), sealed in proptest::collection::vec(any::<u8>(), 0..=256)) {
        let env = Envelope::new(ModuleId::Cryptor, ModuleId::Transport,
            Voice { call, seq, sealed: Bytes::new(&sealed).unwrap() });
        let bytes = enc(&env);
        prop_assert_eq!(Envelope::decode(&bytes).unwrap(), env);
    }

    #[test]
    fn query_round_trip(q in prop_oneof![
        any::<u32>().prop_map(ContactQuery::Id),
        text_strategy(64).prop_map(|n| ContactQuery::Name(Name::new(&n).unwrap())),
        any::<[u8; 32]>().prop_map(ContactQuery::Key),
        address_strategy().prop_map(ContactQuery::Address),
        any::<[u8; 16]>().prop_map(ContactQuery::Tag),
    ], req in any::<u16>()) {
        let env = Envelope::new(ModuleId::Cryptor, ModuleId::Storage, ContactLookup { req, query: q });
        prop_assert_eq!(Envelope::decode(&enc(&env)).unwrap(), env);
    }
}

/// The peer version is the last byte of `IkeEphemeral` and `IkeSpekeU`;
/// the first wave's messages ended before it and read as version 1, which
/// is never written as a byte (one encoding per value).
#[test]
fn peer_version_is_absent_in_version_1_and_a_byte_after() {
    // Envelope: src transport (02) -> dst cryptor (01), kind, call, Y.
    let mut v1 = vec![0x02, 0x01, 0x59, 0x78, 0x56, 0x34, 0x12];
    v1.extend_from_slice(&[0x42; 32]);
    let env = Envelope::decode(&v1).unwrap();
    let Message::IkeEphemeral(m) = &env.msg else {
        panic!("{env:?}")
    };
    assert_eq!(m.version, PeerVersion::FIRST);
    let mut buf = [0u8; MAX_MESSAGE];
    let n = env.encode(&mut buf).unwrap();
    assert_eq!(
        &buf[..n],
        v1.as_slice(),
        "version 1 re-encodes without a byte"
    );

    let mut v2 = v1.clone();
    v2.push(0x02);
    let Message::IkeEphemeral(m) = Envelope::decode(&v2).unwrap().msg else {
        panic!()
    };
    assert_eq!(m.version, PeerVersion::SECOND);
    let mut v3 = v1.clone();
    v3.push(0x03);
    let Message::IkeEphemeral(m) = Envelope::decode(&v3).unwrap().msg else {
        panic!()
    };
    assert_eq!(m.version, PeerVersion::CURRENT);

    let mut one = v1.clone();
    one.push(0x01);
    assert!(matches!(
        Envelope::decode(&one),
        Err(DecodeError::BadValue { value: 1, .. })
    ));
    let mut extra = v2.clone();
    extra.push(0x00);
    assert!(
        Envelope::decode(&extra).is_err(),
        "a byte after the version"
    );

    // IkeSpekeU the same way; IkeCommit has no version and is unchanged.
    let mut u = vec![0x02, 0x01, 0x5a, 1, 0, 0, 0];
    u.extend_from_slice(&[0x43; 32]);
    let Message::IkeSpekeU(m) = Envelope::decode(&u).unwrap().msg else {
        panic!()
    };
    assert_eq!(m.version, PeerVersion::FIRST);
    let mut c = vec![0x02, 0x01, 0x58, 1, 0, 0, 0];
    c.extend_from_slice(&[0x44; 32]);
    assert!(Envelope::decode(&c).is_ok());
    c.push(0x02);
    assert!(
        Envelope::decode(&c).is_err(),
        "IkeCommit carries no version"
    );
}
