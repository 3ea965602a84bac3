//! The streaming frame decoder: any chunking, garbage, cut and over-long
//! frames; it resynchronises and counts, never panics.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use susurro_wire::frame::*;

fn encode(ftype: FrameType, seq: u16, payload: &[u8]) -> Vec<u8> {
    let f = Frame {
        ftype,
        seq,
        ack: 1,
        sack: 2,
        payload,
    };
    let mut buf = [0u8; MAX_ENCODED];
    let n = f.encode(&mut buf).unwrap();
    buf[..n].to_vec()
}

fn decode_all(dec: &mut FrameDecoder, bytes: &[u8]) -> (Vec<(u16, Vec<u8>)>, Vec<FrameError>) {
    let mut ok = Vec::new();
    let mut err = Vec::new();
    dec.feed(bytes, |r| match r {
        Ok(f) => ok.push((f.seq, f.payload.to_vec())),
        Err(e) => err.push(e),
    });
    (ok, err)
}

#[test]
fn garbage_then_frame_resyncs() {
    let mut dec = FrameDecoder::new();
    let mut stream = vec![0x13, 0x37, 0x99];
    stream.push(0);
    stream.extend(encode(FrameType::Control, 7, b"hello"));
    let (ok, err) = decode_all(&mut dec, &stream);
    assert_eq!(ok, vec![(7, b"hello".to_vec())]);
    assert_eq!(err.len(), 1);
}

#[test]
fn cut_frame_is_dropped_and_next_survives() {
    let mut dec = FrameDecoder::new();
    let a = encode(FrameType::Control, 1, b"first frame payload");
    let b = encode(FrameType::Control, 2, b"second");
    let mut stream = a[..a.len() / 2].to_vec();
    stream.push(0); // the link broke mid-frame; the sender's reopen delimiter
    stream.extend(&b);
    let (ok, err) = decode_all(&mut dec, &stream);
    assert_eq!(ok, vec![(2, b"second".to_vec())]);
    assert_eq!(err.len(), 1);
}

#[test]
fn over_long_run_is_discarded_until_delimiter() {
    let mut dec = FrameDecoder::new();
    let mut stream = vec![0x55; MAX_ENCODED * 3];
    stream.push(0);
    stream.extend(encode(FrameType::Ping, 0, b""));
    let (ok, err) = decode_all(&mut dec, &stream);
    assert_eq!(ok.len(), 1);
    assert_eq!(err, vec![FrameError::Oversize]);
}

#[test]
fn crc_and_type_errors_are_typed() {
    let mut dec = FrameDecoder::new();
    let mut bad = encode(FrameType::Control, 3, b"abc");
    bad[3] ^= 0x01;
    let (ok, err) = decode_all(&mut dec, &bad);
    assert!(ok.is_empty());
    assert_eq!(err.len(), 1);
    let mut raw = [0u8; MAX_RAW];
    let n = Frame {
        ftype: FrameType::Ack,
        seq: 0,
        ack: 0,
        sack: 0,
        payload: &[],
    }
    .write_raw(&mut raw)
    .unwrap();
    raw[0] = 0x7f;
    let crc = crc32c(&raw[..n - 4]).to_le_bytes();
    raw[n - 4..n].copy_from_slice(&crc);
    assert_eq!(Frame::parse(&raw[..n]), Err(FrameError::UnknownType(0x7f)));
    assert_eq!(Frame::parse(&raw[..5]), Err(FrameError::TooShort));
}

#[test]
fn max_payload_round_trips_and_larger_is_refused() {
    let p = vec![0u8; MAX_PAYLOAD];
    let bytes = encode(FrameType::Control, 9, &p);
    assert!(bytes.len() <= MAX_ENCODED);
    let (ok, _) = decode_all(&mut FrameDecoder::new(), &bytes);
    assert_eq!(ok, vec![(9, p)]);
    let big = vec![1u8; MAX_PAYLOAD + 1];
    let f = Frame {
        ftype: FrameType::Control,
        seq: 0,
        ack: 0,
        sack: 0,
        payload: &big,
    };
    assert!(f.encode(&mut [0u8; MAX_ENCODED + 10]).is_err());
}

proptest! {
    #[test]
    fn any_chunking_yields_the_same_frames(
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..8),
        cuts in proptest::collection::vec(1usize..64, 1..50),
    ) {
        let mut stream = Vec::new();
        for (i, p) in payloads.iter().enumerate() {
            stream.extend(encode(FrameType::Control, i as u16, p));
        }
        let mut dec = FrameDecoder::new();
        let mut got = Vec::new();
        let mut rest = &stream[..];
        let mut ci = 0;
        while !rest.is_empty() {
            let n = cuts[ci % cuts.len()].min(rest.len());
            ci += 1;
            let (a, b) = rest.split_at(n);
            dec.feed(a, |r| got.push(r.map(|f| (f.seq, f.payload.to_vec()))));
            rest = b;
        }
        let want: Vec<_> = payloads.iter().enumerate().map(|(i, p)| Ok((i as u16, p.clone()))).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn random_bytes_never_panic_and_later_frames_survive(noise in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let mut dec = FrameDecoder::new();
        dec.feed(&noise, |_| {});
        let mut tail = vec![0];
        tail.extend(encode(FrameType::Voice, 77, b"after noise"));
        let (ok, _) = decode_all(&mut dec, &tail);
        prop_assert_eq!(ok, vec![(77, b"after noise".to_vec())]);
    }
}
