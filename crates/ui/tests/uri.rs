//! The `susurro:` contact URI: exact vectors, round trips, every error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use susurro_ui::uri::{self, ContactCard, MAX_URI, UriError, decode, encode, onion_name};
use susurro_wire::{Address, Name, Text};

const KEY_B32: &str = "aebagbafaydqqcikbmga2dqpcaireeyuculbogazdinryhi6d4qa";
/// The ed25519 base point (a valid onion key) as a v3 onion name; computed
/// independently with Python's hashlib.sha3_256 and base64.b32encode.
const ONION: &str = "lbtgmztgmztgmztgmztgmztgmztgmztgmztgmztgmztgmztgmztmn5ad";

fn key() -> [u8; 32] {
    core::array::from_fn(|i| i as u8 + 1)
}

fn onion_key() -> [u8; 32] {
    let mut k = [0x66u8; 32];
    k[0] = 0x58;
    k
}

fn card(name: &str, address: Address) -> ContactCard {
    ContactCard {
        name: Name::new(name).unwrap(),
        key: key(),
        address,
    }
}

fn enc(c: &ContactCard) -> String {
    let mut s = heapless::String::<MAX_URI>::new();
    encode(c, &mut s).unwrap();
    s.as_str().to_owned()
}

/// A valid URI with `body` (everything before `&c=`) and its CRC.
fn with_crc(body: &str) -> String {
    let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(body.as_bytes());
    format!("{body}&c={crc:08x}")
}

#[test]
fn vector_onion() {
    let c = card(
        "Alice Smith",
        Address::Onion {
            key: onion_key(),
            port: 7000,
        },
    );
    let s = "susurro:Alice%20Smith?k=aebagbafaydqqcikbmga2dqpcaireeyuculbogazdinryhi6d4qa\
             &a=onion:lbtgmztgmztgmztgmztgmztgmztgmztgmztgmztgmztgmztgmztmn5ad:7000&c=a2de3b2c";
    assert_eq!(enc(&c), s);
    assert_eq!(decode(s).unwrap(), c);
    assert_eq!(onion_name(&onion_key()).as_str(), ONION);
}

#[test]
fn vector_tcp_utf8_name() {
    let c = card(
        "Zoë/Bob",
        Address::Tcp {
            host: Text::new("example.org").unwrap(),
            port: 5060,
        },
    );
    let s = "susurro:Zo%C3%AB%2FBob?k=aebagbafaydqqcikbmga2dqpcaireeyuculbogazdinryhi6d4qa\
             &a=tcp:example.org:5060&c=6580f4c6";
    assert_eq!(enc(&c), s);
    assert_eq!(decode(s).unwrap(), c);
}

#[test]
fn vector_no_address() {
    let c = card("x", Address::None);
    let s = "susurro:x?k=aebagbafaydqqcikbmga2dqpcaireeyuculbogazdinryhi6d4qa&c=42f0c188";
    assert_eq!(enc(&c), s);
    assert_eq!(decode(s).unwrap(), c);
}

#[test]
fn real_onion_address_decodes() {
    // DuckDuckGo's published v3 onion service.
    let onion = "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad";
    let s = with_crc(&format!("susurro:ddg?k={KEY_B32}&a=onion:{onion}:443"));
    let c = decode(&s).unwrap();
    let Address::Onion { key, port } = c.address else {
        panic!("not onion: {:?}", c.address)
    };
    assert_eq!(port, 443);
    assert_eq!(key[..4], [0x1d, 0x04, 0xa1, 0xd0]);
    assert_eq!(onion_name(&key).as_str(), onion);
}

#[test]
fn onion_names_parse_with_or_without_the_suffix() {
    let onion = "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad";
    let key = uri::parse_onion_name(onion).unwrap();
    assert_eq!(onion_name(&key).as_str(), onion);
    assert_eq!(uri::parse_onion_name(&format!("{onion}.onion")), Ok(key));
    assert_eq!(uri::parse_onion_name(ONION), Ok(onion_key()));
    // One character changed: the checksum catches it.
    let typo = onion.replacen('x', "y", 1);
    assert_eq!(uri::parse_onion_name(&typo), Err(UriError::OnionChecksum));
    assert_eq!(uri::parse_onion_name("abc.onion"), Err(UriError::BadOnion));
    assert_eq!(uri::parse_onion_name(""), Err(UriError::BadOnion));
}

#[test]
fn scheme_is_case_insensitive_checksum_covers_lower_case() {
    let s = "SuSuRRo:x?k=aebagbafaydqqcikbmga2dqpcaireeyuculbogazdinryhi6d4qa&c=42f0c188";
    assert_eq!(decode(s).unwrap(), card("x", Address::None));
}

#[test]
fn ipv6_host() {
    let c = card(
        "v6",
        Address::Tcp {
            host: Text::new("[2001:db8::1]").unwrap(),
            port: 9,
        },
    );
    let s = enc(&c);
    assert!(s.contains("&a=tcp:[2001:db8::1]:9&c="), "{s}");
    assert_eq!(decode(&s).unwrap(), c);
}

#[test]
fn longest_card_fits_max_uri() {
    let c = ContactCard {
        name: Name::new(&"/".repeat(64)).unwrap(),
        key: [0xff; 32],
        address: Address::Tcp {
            host: Text::new(&"h".repeat(64)).unwrap(),
            port: 65535,
        },
    };
    let s = enc(&c);
    assert_eq!(s.len(), MAX_URI);
    assert_eq!(decode(&s).unwrap(), c);
    let mut small = heapless::String::<64>::new();
    assert_eq!(encode(&c, &mut small), Err(UriError::BufferTooSmall));
    assert!(small.is_empty());
}

fn err(s: &str) -> UriError {
    decode(s).unwrap_err()
}

#[test]
fn every_error() {
    let k = KEY_B32;
    // Scheme, length, structure.
    assert_eq!(err("tel:123"), UriError::NotSusurro);
    assert_eq!(err("susurro"), UriError::NotSusurro);
    assert_eq!(err("susurrox:a?k=b"), UriError::NotSusurro);
    assert_eq!(err(&"a".repeat(MAX_URI + 1)), UriError::TooLong);
    assert_eq!(err("susurro:alice"), UriError::NoFields);
    // Name.
    assert_eq!(
        err(&with_crc(&format!("susurro:?k={k}"))),
        UriError::NameEmpty
    );
    assert_eq!(
        err(&with_crc(&format!("susurro:{}?k={k}", "a".repeat(65)))),
        UriError::NameTooLong
    );
    for bad in ["a b", "a%2", "a%zz", "a%2f", "%41", "a+b", "a%"] {
        assert_eq!(
            err(&with_crc(&format!("susurro:{bad}?k={k}"))),
            UriError::BadNameEncoding,
            "{bad}"
        );
    }
    assert_eq!(
        err(&with_crc(&format!("susurro:%FF?k={k}"))),
        UriError::BadName
    );
    assert_eq!(
        err(&with_crc(&format!("susurro:a%0A?k={k}"))),
        UriError::BadName
    );
    // Fields.
    assert_eq!(
        err(&with_crc(&format!("susurro:a?k={k}&&x=1"))),
        UriError::MalformedField
    );
    assert_eq!(
        err(&with_crc(&format!("susurro:a?k={k}&a"))),
        UriError::MalformedField
    );
    assert_eq!(
        err(&with_crc(&format!("susurro:a?=1&k={k}"))),
        UriError::MalformedField
    );
    assert_eq!(
        err(&with_crc(&format!("susurro:a?k={k}&n=1"))),
        UriError::UnknownField
    );
    assert_eq!(
        err(&with_crc(&format!("susurro:a?K={k}"))),
        UriError::UnknownField
    );
    assert_eq!(
        err(&with_crc(&format!("susurro:a?k={k}&k={k}"))),
        UriError::DuplicateField
    );
    assert_eq!(
        err(&with_crc(&format!("susurro:a?a=tcp:h:1&k={k}"))),
        UriError::FieldOrder
    );
    assert_eq!(err("susurro:a?c=00000000&k=x"), UriError::FieldOrder);
    assert_eq!(err("susurro:a?a=tcp:h:1&c=00000000"), UriError::MissingKey);
    assert_eq!(err(&format!("susurro:a?k={k}")), UriError::MissingChecksum);
    // Key: length, alphabet, case, non-zero padding bits.
    let upper = k.to_ascii_uppercase();
    let short = &k[1..];
    let mut pad = k.to_owned();
    pad.replace_range(51.., "b");
    for bad in [upper.as_str(), short, "a1", pad.as_str(), ""] {
        assert_eq!(
            err(&with_crc(&format!("susurro:a?k={bad}"))),
            UriError::BadKey,
            "{bad}"
        );
    }
    // Address.
    let addr = |a: &str| err(&with_crc(&format!("susurro:a?k={k}&a={a}")));
    assert_eq!(addr("udp:h:1"), UriError::BadAddressKind);
    assert_eq!(addr("TCP:h:1"), UriError::BadAddressKind);
    assert_eq!(addr(""), UriError::BadAddressKind);
    assert_eq!(addr("tcp::1"), UriError::BadHost);
    assert_eq!(addr("tcp:a b:1"), UriError::BadHost);
    assert_eq!(addr("tcp:a%20b:1"), UriError::BadHost);
    assert_eq!(addr("tcp:[]:1"), UriError::BadHost);
    assert_eq!(addr("tcp:[::g]:1"), UriError::BadHost);
    assert_eq!(addr("tcp:::1:1"), UriError::BadHost);
    assert_eq!(
        addr(&format!("tcp:{}:1", "h".repeat(65))),
        UriError::BadHost
    );
    for port in ["", "0", "01", "65536", "+1", "1a", "123456"] {
        assert_eq!(addr(&format!("tcp:h:{port}")), UriError::BadPort, "{port}");
        assert_eq!(
            addr(&format!("onion:{ONION}:{port}")),
            UriError::BadPort,
            "{port}"
        );
    }
    assert_eq!(addr("tcp:h"), UriError::BadPort);
    assert_eq!(addr(&format!("onion:{ONION}")), UriError::BadPort);
    assert_eq!(
        addr(&format!("onion:{}:1", &ONION[1..])),
        UriError::BadOnion
    );
    assert_eq!(
        addr(&format!("onion:{}:1", ONION.to_ascii_uppercase())),
        UriError::BadOnion
    );
    assert_eq!(addr(&format!("onion:{ONION}.onion:1")), UriError::BadOnion);
    // Version byte 2 instead of 3 (last 2 chars encode it).
    let v2 = format!("{}ac", &ONION[..54]);
    assert_eq!(addr(&format!("onion:{v2}:1")), UriError::BadOnion);
    // One flipped key character: the onion checksum catches it.
    let typo = format!("m{}", &ONION[1..]);
    assert_eq!(addr(&format!("onion:{typo}:1")), UriError::OnionChecksum);
    // Checksum field.
    let body = format!("susurro:a?k={k}");
    for bad in ["", "0000000", "000000000", "0000000G", "ABCDEF01"] {
        assert_eq!(
            err(&format!("{body}&c={bad}")),
            UriError::BadChecksum,
            "{bad}"
        );
    }
    let good = with_crc(&body);
    let mut flipped = good.clone();
    flipped.replace_range(8..9, "b");
    assert_eq!(err(&flipped), UriError::ChecksumMismatch);
    assert_eq!(decode(&good).unwrap().name.as_str(), "a");
}

#[test]
fn encode_refuses_invalid_cards() {
    let mut s = heapless::String::<MAX_URI>::new();
    assert_eq!(
        encode(&card("", Address::None), &mut s),
        Err(UriError::NameEmpty)
    );
    assert_eq!(
        encode(&card("a\tb", Address::None), &mut s),
        Err(UriError::BadName)
    );
    let tcp = |h: &str, port| Address::Tcp {
        host: Text::new(h).unwrap(),
        port,
    };
    assert_eq!(
        encode(&card("a", tcp("h", 0)), &mut s),
        Err(UriError::BadPort)
    );
    assert_eq!(
        encode(&card("a", tcp("", 1)), &mut s),
        Err(UriError::BadHost)
    );
    assert_eq!(
        encode(&card("a", tcp("a&c=1", 1)), &mut s),
        Err(UriError::BadHost)
    );
    let onion0 = Address::Onion {
        key: onion_key(),
        port: 0,
    };
    assert_eq!(encode(&card("a", onion0), &mut s), Err(UriError::BadPort));
    assert!(s.is_empty());
}

#[test]
fn messages_are_sentences() {
    let all = [
        UriError::NotSusurro,
        UriError::TooLong,
        UriError::NoFields,
        UriError::NameEmpty,
        UriError::NameTooLong,
        UriError::BadNameEncoding,
        UriError::BadName,
        UriError::MalformedField,
        UriError::UnknownField,
        UriError::DuplicateField,
        UriError::FieldOrder,
        UriError::MissingKey,
        UriError::BadKey,
        UriError::BadAddressKind,
        UriError::BadHost,
        UriError::BadPort,
        UriError::BadOnion,
        UriError::OnionChecksum,
        UriError::MissingChecksum,
        UriError::BadChecksum,
        UriError::ChecksumMismatch,
        UriError::BufferTooSmall,
    ];
    for e in all {
        let m = e.message();
        assert!(m.ends_with('.') || m.ends_with('?'), "{e:?}: {m}");
        assert_eq!(e.to_string(), m);
    }
}

fn arb_name() -> impl Strategy<Value = Name> {
    "[^\\p{Cc}]{1,20}".prop_filter_map("fits a name", |s: String| Name::new(&s).ok())
}

fn arb_host() -> impl Strategy<Value = Text<64>> {
    prop_oneof!["[A-Za-z0-9._-]{1,64}", "\\[[0-9a-fA-F:.]{1,62}\\]",]
        .prop_map(|s| Text::new(&s).unwrap())
}

/// The first valid onion key (an ed25519 point of the prime-order
/// subgroup) found by varying the first byte of `key`.
fn valid_onion_key(mut key: [u8; 32]) -> [u8; 32] {
    for b in 0..=255u8 {
        key[0] = b;
        if susurro_crypto::onion_key_is_valid(&key) {
            return key;
        }
    }
    // The ed25519 base point.
    let mut base = [0x66u8; 32];
    base[0] = 0x58;
    base
}

fn arb_address() -> impl Strategy<Value = Address> {
    prop_oneof![
        Just(Address::None),
        (any::<[u8; 32]>(), 1u16..).prop_map(|(key, port)| Address::Onion {
            key: valid_onion_key(key),
            port
        }),
        (arb_host(), 1u16..).prop_map(|(host, port)| Address::Tcp { host, port }),
    ]
}

proptest! {
    #[test]
    fn round_trip(name in arb_name(), key in any::<[u8; 32]>(), address in arb_address()) {
        let c = ContactCard { name, key, address };
        let s = enc(&c);
        prop_assert!(s.len() <= MAX_URI);
        prop_assert_eq!(decode(&s).unwrap(), c.clone());
        // The scheme's case does not matter.
        let upper = format!("SUSURRO{}", &s[7..]);
        prop_assert_eq!(decode(&upper).unwrap(), c);
    }

    #[test]
    fn any_single_change_is_caught(name in arb_name(), key in any::<[u8; 32]>(),
                                   address in arb_address(), pos in any::<prop::sample::Index>(),
                                   b in b'a'..=b'z') {
        let s = enc(&ContactCard { name, key, address });
        let i = pos.index(s.len());
        prop_assume!(i >= uri::SCHEME.len());
        let mut bytes = s.clone().into_bytes();
        prop_assume!(bytes[i] != b);
        bytes[i] = b;
        let t = String::from_utf8(bytes).unwrap();
        prop_assert!(decode(&t).is_err(), "{} accepted", t);
    }

    #[test]
    fn decode_never_panics_and_is_canonical(s in "susurro:[ -~]{0,120}") {
        if let Ok(c) = decode(&s) {
            prop_assert_eq!(enc(&c), s);
        }
    }
}
