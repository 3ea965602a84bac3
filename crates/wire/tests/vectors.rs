//! docs/wire.md is checked against the code: its generated section must be
//! exactly what the code produces, and every vector in it must decode and
//! re-encode byte for byte.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use common::{samples, spec};
use susurro_wire::frame::{self, FrameDecoder};
use susurro_wire::*;

fn doc() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/wire.md")).unwrap()
}

#[test]
fn generated_section_matches_code() {
    let doc = doc();
    let begin = "<!-- generated:begin -->\n";
    let a = doc.find(begin).unwrap() + begin.len();
    let b = doc.find("<!-- generated:end -->").unwrap();
    assert_eq!(
        &doc[a..b],
        spec::generated(),
        "docs/wire.md is stale: run `cargo run -p susurro-wire --example wire-spec` and paste"
    );
}

#[test]
fn every_kind_has_a_vector() {
    let kinds: BTreeSet<u8> = samples::envelopes()
        .iter()
        .map(|e| e.msg.kind().code())
        .collect();
    let all: BTreeSet<u8> = Kind::ALL.iter().map(|k| k.code()).collect();
    assert_eq!(kinds, all);
    let peer: BTreeSet<u8> = samples::peer_messages()
        .iter()
        .map(|m| m.kind().code())
        .collect();
    let all_peer: BTreeSet<u8> = PeerKind::ALL.iter().map(|k| k.code()).collect();
    assert_eq!(peer, all_peer);
}

#[test]
fn envelope_vectors_decode_and_reencode() {
    let doc = doc();
    let lines = spec::block_after(&doc, "### Envelope vectors");
    let samples = samples::envelopes();
    assert_eq!(lines.len(), samples.len());
    for (line, sample) in lines.iter().zip(&samples) {
        let (name, bytes) = spec::parse_line(line);
        let env = Envelope::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(env.msg.kind().name(), name);
        assert_eq!(&env, sample, "{name}");
        let mut buf = [0u8; MAX_MESSAGE];
        let n = env.encode(&mut buf).unwrap();
        assert_eq!(&buf[..n], &bytes[..], "{name} re-encodes differently");
        // Every proper prefix is truncated, every extension has trailing
        // bytes; except that a message ending in a `PeerVersion` cut just
        // before it is the first wave's form of that message (version 1).
        let versioned = env.msg.kind().fields().last().map(|f| f.1) == Some("PeerVersion");
        for cut in 0..bytes.len() {
            if versioned && cut == bytes.len() - 1 {
                let v1 = Envelope::decode(&bytes[..cut]).unwrap_or_else(|e| panic!("{name}: {e}"));
                let mut again = [0u8; MAX_MESSAGE];
                let m = v1.encode(&mut again).unwrap();
                assert_eq!(&again[..m], &bytes[..cut], "{name} as version 1");
                continue;
            }
            assert!(
                Envelope::decode(&bytes[..cut]).is_err(),
                "{name} cut at {cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(
            Envelope::decode(&longer),
            Err(DecodeError::TrailingBytes { extra: 1 }),
            "{name}"
        );
    }
}

#[test]
fn peer_vectors_decode_and_reencode() {
    let doc = doc();
    let lines = spec::block_after(&doc, "### Peer message vectors");
    for (line, sample) in lines.iter().zip(samples::peer_messages()) {
        let (name, bytes) = spec::parse_line(line);
        let m = PeerMessage::decode_from(&bytes).unwrap();
        assert_eq!(m, sample, "{name}");
        let mut buf = [0u8; MAX_MESSAGE];
        let n = m.encode_to(&mut buf).unwrap();
        assert_eq!(&buf[..n], &bytes[..]);
    }
}

#[test]
fn file_vectors_decode_and_reencode() {
    let doc = doc();
    let lines = spec::block_after(&doc, "### File message vectors");
    let samples = samples::file_messages();
    assert_eq!(lines.len(), samples.len());
    for (line, sample) in lines.iter().zip(samples) {
        let (name, bytes) = spec::parse_line(line);
        let m = FileMessage::decode_from(&bytes).unwrap();
        assert_eq!(m, sample, "{name}");
        let mut buf = [0u8; MAX_MESSAGE];
        let n = m.encode_to(&mut buf).unwrap();
        assert_eq!(&buf[..n], &bytes[..]);
        for cut in 0..bytes.len() {
            assert!(
                FileMessage::decode_from(&bytes[..cut]).is_err(),
                "{name} cut at {cut}"
            );
        }
    }
    // Every kind has a sample, and the largest file message is what
    // `caps::FILE_BODY` carries.
    for k in FileKind::ALL {
        assert!(
            samples::file_messages().iter().any(|m| m.kind() == *k),
            "no sample of {}",
            k.name()
        );
    }
    assert_eq!(FileMessage::MAX_SIZE, caps::FILE_BODY);
}

#[test]
fn frame_vectors_decode_and_reencode() {
    let doc = doc();
    let lines = spec::block_after(&doc, "### Frame vectors");
    let samples = samples::frames();
    assert_eq!(lines.len(), samples.len());
    for (line, (sname, ftype, seq, ack, sack, payload)) in lines.iter().zip(samples) {
        let (name, bytes) = spec::parse_line(line);
        assert_eq!(name, sname);
        assert_eq!(*bytes.last().unwrap(), 0, "{name} ends with the delimiter");
        assert!(!bytes[..bytes.len() - 1].contains(&0), "{name} is stuffed");
        let mut dec = FrameDecoder::new();
        let mut got = Vec::new();
        dec.feed(&bytes, |r| {
            let f = r.unwrap();
            got.push((f.ftype, f.seq, f.ack, f.sack, f.payload.to_vec()));
        });
        assert_eq!(
            got,
            vec![(ftype, seq, ack, sack, payload.clone())],
            "{name}"
        );
        let f = frame::Frame {
            ftype,
            seq,
            ack,
            sack,
            payload: &payload,
        };
        let mut buf = [0u8; frame::MAX_ENCODED];
        let n = f.encode(&mut buf).unwrap();
        assert_eq!(&buf[..n], &bytes[..]);
    }
}

#[test]
fn crc32c_check_value() {
    assert_eq!(frame::crc32c(b"123456789"), 0xe306_9283);
}

#[test]
fn hello_vector() {
    let doc = doc();
    let lines = spec::block_after(&doc, "### Frame vectors");
    let (_, bytes) = spec::parse_line(lines[0]);
    let mut dec = FrameDecoder::new();
    let mut hello = None;
    dec.feed(&bytes, |r| {
        hello = Some(frame::Hello::decode(r.unwrap().payload).unwrap())
    });
    let h = hello.unwrap();
    assert_eq!(h.instance, 0x0a0b_0c0d);
    assert_eq!(h.common_version(1, 1), Some(1));
    assert_eq!(h.common_version(2, 3), None);
}
