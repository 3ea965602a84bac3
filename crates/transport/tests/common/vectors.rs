//! The known-answer vector generator of the transport, shared by
//! `examples/gen_transport_vectors.rs` (writes `docs/vectors/transport.json`) and
//! `tests/vectors.rs` (checks it). The messages and frames come from the
//! real code (gate, session-1 and session-2 state machines, channels,
//! puzzle) driven by a fixed generator; every derived value is also
//! computed here by hand from the spec in `docs/protocol.md` with the
//! primitives of `susurro-crypto` and must agree byte for byte.

#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::convert::Infallible;
use std::time::Instant;

use serde_json::{Value, json};
use susurro_crypto::serpent_ocb::SerpentOcb;
use susurro_crypto::{EphemeralKeyPair, H, Label, Secret, XofReader};
use susurro_transport::frame::DirectionKeys;
use susurro_transport::pow::{EffortPolicy, Puzzle, leading_zero_bits};
use susurro_transport::session1::{
    MARK_LEN, REP_LEN, REPLY_TRAILER, REQUEST_TRAILER, Session1Initiator, effort_mask, find_marked,
};
use susurro_transport::session2::{
    CallRole, Channel, ID_LEN, Incoming, Session2Initiator, SessionKeys, extra_path_outcome,
};
use susurro_transport::{Config, Gate, InboundStep, ObfuscationKeys, access_key_for, labels};
use susurro_vectors::{Trace, hx, label_json};
use susurro_wire::{Address, Text};

/// The file this module generates.
pub const FILE: &str = "transport.json";

/// Every label with its name (the test checks this covers `labels::ALL`).
pub const LABELS: &[(&str, Label)] = &[
    ("S1_MARK", labels::S1_MARK),
    ("S1_REQUEST_MAC", labels::S1_REQUEST_MAC),
    ("S1_REPLY_MAC", labels::S1_REPLY_MAC),
    ("S1_EFFORT", labels::S1_EFFORT),
    ("S1_SECRET", labels::S1_SECRET),
    ("S2_KEYS", labels::S2_KEYS),
    ("S2_KEYED", labels::S2_KEYED),
    ("S2_LENGTH", labels::S2_LENGTH),
    ("EXTRA_PATH", labels::EXTRA_PATH),
    ("POW", labels::POW),
    ("ACCESS_TCP", labels::ACCESS_TCP),
    ("ACCESS_ONION", labels::ACCESS_ONION),
];

/// TCP port of the listener in the vectors (its access key keys
/// everything below).
pub const TCP_PORT: u16 = 47000;
/// The onion key of the onion access-key vector (any 32 bytes do).
pub const ONION_KEY: [u8; 32] = *b"susurro transport vectors: onion";
/// Onion virtual port.
pub const ONION_PORT: u16 = 47000;
/// The effort the listener asks for in the vectors (its policy pinned).
pub const EFFORT: u8 = 10;
/// Payloads of the `Data` frames.
pub const DATA_A1: &[u8] = b"A->B data under the session-2 keys";
pub const DATA_B1: &[u8] = b"B->A data under the session-2 keys";
pub const DATA_A2: &[u8] = b"A->B data after the rekey";
pub const DATA_B2: &[u8] = b"B->A data after the rekey";

/// The fixed generator: the output of `H(hash mode, TEST_VECTOR label,
/// seed)` read in order; `next_u64` is LE64 of the next 8 bytes,
/// `next_u32` LE32 of the next 4.
#[derive(Clone)]
pub struct VectorRng(XofReader);

impl VectorRng {
    pub fn new(seed: &str) -> Self {
        let mut h = H::new(susurro_crypto::h::labels::TEST_VECTOR);
        h.absorb(seed.as_bytes());
        Self(h.finalize_xof())
    }
}

impl rand_core::TryRng for VectorRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(u32::from_le_bytes(self.0.squeeze_array()))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(u64::from_le_bytes(self.0.squeeze_array()))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.0.squeeze(dst);
        Ok(())
    }
}

impl rand_core::TryCryptoRng for VectorRng {}

fn tcp_address() -> Address {
    Address::Tcp {
        host: Text::new("192.0.2.10").unwrap(),
        port: TCP_PORT,
    }
}

/// The listener's configuration: the TCP access key, defaults, effort
/// pinned at [`EFFORT`].
pub fn listener_config() -> Config {
    let mut cfg = Config::new(access_key_for(&tcp_address()));
    cfg.effort = EffortPolicy {
        base: EFFORT,
        max: EFFORT,
    };
    cfg
}

fn access_keys(t: &mut Trace) -> Value {
    let ak_tcp = access_key_for(&tcp_address());
    let hand = t.kdf(
        "ak of a TCP listener",
        labels::ACCESS_TCP,
        &[],
        &[&TCP_PORT.to_le_bytes()],
        32,
    );
    assert_eq!(ak_tcp.expose().as_slice(), hand.as_slice());
    let ak_onion = access_key_for(&Address::Onion {
        key: ONION_KEY,
        port: ONION_PORT,
    });
    let hand = t.kdf(
        "ak of an onion service",
        labels::ACCESS_ONION,
        &ONION_KEY,
        &[&ONION_PORT.to_le_bytes()],
        32,
    );
    assert_eq!(ak_onion.expose().as_slice(), hand.as_slice());
    json!({
        "tcp": {
            "host (not an input)": "192.0.2.10",
            "port": TCP_PORT,
            "LE16(port)": hx(&TCP_PORT.to_le_bytes()),
            "ak": hx(ak_tcp.expose()),
        },
        "onion": {
            "onion_key": hx(&ONION_KEY),
            "port": ONION_PORT,
            "LE16(port)": hx(&ONION_PORT.to_le_bytes()),
            "ak": hx(ak_onion.expose()),
        },
    })
}

/// A key pair from the generator's next (secret, tweak) draws that has a
/// representative; returns the pair, the secret, the tweak and the
/// number of draws.
fn fixed_pair(rng: &mut VectorRng) -> (ObfuscationKeys, [u8; 32], u8, u32) {
    for tries in 1.. {
        let mut s = [0u8; 33];
        rand_core::Rng::fill_bytes(rng, &mut s);
        let secret: [u8; 32] = s[..32].try_into().unwrap();
        if let Ok(k) = ObfuscationKeys::from_secret(&secret, s[32]) {
            return (k, secret, s[32], tries);
        }
    }
    unreachable!()
}

/// The state session 1 leaves for session 2.
pub struct AfterS1 {
    cfg: Config,
    gate: Gate,
    now: Instant,
    outcome: susurro_transport::Session1Outcome,
    k: Secret<32>,
}

fn session1(t: &mut Trace) -> (Value, AfterS1) {
    let cfg = listener_config();
    let ak = cfg.access_key.clone();
    let pad_max = cfg.s1_pad_max;
    let (a, sa, ta, tries_a) = fixed_pair(&mut VectorRng::new("transport vectors: A's key"));
    let (b, sb, tb, tries_b) = fixed_pair(&mut VectorRng::new("transport vectors: B's key"));
    let (r_a, r_b) = (a.representative(), b.representative());
    for (s, tw, r) in [(&sa, ta, r_a), (&sb, tb, r_b)] {
        let p = EphemeralKeyPair::from_secret(s, tw).unwrap();
        assert_eq!(p.representative(), r);
        assert_eq!(r.to_point(), p.public_key());
    }

    // The real exchange: A's initiator, B's gate.
    let now = Instant::now();
    let mut gate = Gate::new(cfg.clone());
    let (mut init, request) = Session1Initiator::new(
        &cfg,
        r_a,
        &mut VectorRng::new("transport vectors: A's request padding"),
    );
    let mut conn = gate.accept();
    let mut quiet = VectorRng::new("transport vectors: unused");
    let InboundStep::Session1Request { remote, .. } =
        gate.on_data(&mut conn, &request, now, &mut quiet)
    else {
        panic!("request refused")
    };
    assert_eq!(remote, r_a);
    let k = a.derive(&r_b, &r_a, &r_b).unwrap();
    assert_eq!(k, b.derive(&r_a, &r_a, &r_b).unwrap());
    let reply = gate
        .session1_reply(
            &mut conn,
            r_b,
            &k,
            now,
            &mut VectorRng::new("transport vectors: B's reply padding"),
        )
        .unwrap();
    assert_eq!(init.receive(&reply).unwrap(), Some(r_b));
    let outcome = init.finish(k.clone()).unwrap();
    assert_eq!(outcome.effort, EFFORT);

    // The standalone K by hand.
    let dh = EphemeralKeyPair::from_secret(&sa, ta)
        .unwrap()
        .diffie_hellman(&r_b.to_point())
        .unwrap();
    let dh_b = EphemeralKeyPair::from_secret(&sb, tb)
        .unwrap()
        .diffie_hellman(&r_a.to_point())
        .unwrap();
    assert_eq!(dh.expose(), dh_b.expose());
    let k_hand = t.kdf(
        "K (standalone S1_SECRET)",
        labels::S1_SECRET,
        dh.expose(),
        &[r_a.as_bytes(), r_b.as_bytes()],
        32,
    );
    assert_eq!(k.expose().as_slice(), k_hand.as_slice());

    // The request by hand.
    let at_req = find_marked(&request, &ak, pad_max, REQUEST_TRAILER)
        .unwrap()
        .unwrap();
    let p_a = &request[REP_LEN..at_req];
    let m_a = t.mac("M_a", labels::S1_MARK, ak.expose(), &[r_a.as_bytes()], 16);
    let t_a = t.mac(
        "T_a",
        labels::S1_REQUEST_MAC,
        ak.expose(),
        &[r_a.as_bytes(), p_a],
        16,
    );
    assert_eq!(
        request,
        [r_a.as_bytes().as_slice(), p_a, &m_a, &t_a].concat()
    );

    // The reply by hand.
    let at = find_marked(&reply, &ak, pad_max, REPLY_TRAILER)
        .unwrap()
        .unwrap();
    let p_b = &reply[REP_LEN..at];
    let m_b = t.mac("M_b", labels::S1_MARK, ak.expose(), &[r_b.as_bytes()], 16);
    let mask = t.kdf(
        "effort mask",
        labels::S1_EFFORT,
        k.expose(),
        &[r_a.as_bytes(), r_b.as_bytes()],
        1,
    )[0];
    assert_eq!(mask, effort_mask(&k, &r_a, &r_b));
    let e = EFFORT ^ mask;
    let t_b = t.mac(
        "T_b",
        labels::S1_REPLY_MAC,
        k.expose(),
        &[ak.expose(), r_a.as_bytes(), r_b.as_bytes(), p_b, &[e]],
        16,
    );
    assert_eq!(
        reply,
        [r_b.as_bytes().as_slice(), p_b, &m_b, &[e], &t_b].concat()
    );
    assert_eq!(at + MARK_LEN + REPLY_TRAILER, reply.len());

    let v = json!({
        "access_key": hx(ak.expose()),
        "s1_pad_max": pad_max,
        "A": {
            "secret": hx(&sa), "tweak": ta, "draws (33 bytes each) until one had a representative": tries_a,
            "R_a": hx(r_a.as_bytes()), "public key": hx(r_a.to_point().as_bytes()),
        },
        "B": {
            "secret": hx(&sb), "tweak": tb, "draws (33 bytes each) until one had a representative": tries_b,
            "R_b": hx(r_b.as_bytes()), "public key": hx(r_b.to_point().as_bytes()),
        },
        "K": {
            "note": "K is the cryptor's ObfuscationSecret when the cryptor is wired in (label susurro/cryptor/obfuscation-key/v1, see cryptor-ike.json). These vectors use the transport's standalone derivation below, so K here = standalone_K.",
            "x25519(secret_A, decode(R_b)) = x25519(secret_B, decode(R_a))": hx(dh.expose()),
            "standalone_K = KDF(S1_SECRET, key = dh, R_a, R_b)[0..32]": hx(k.expose()),
            "K": hx(k.expose()),
        },
        "request": {
            "R_a": hx(r_a.as_bytes()),
            "P_a_len": p_a.len(),
            "P_a": hx(p_a),
            "M_a = MAC16(S1_MARK, ak, R_a)": hx(&m_a),
            "marker offset": at_req,
            "T_a = MAC16(S1_REQUEST_MAC, ak, R_a, P_a)": hx(&t_a),
            "bytes": hx(&request),
        },
        "reply": {
            "R_b": hx(r_b.as_bytes()),
            "P_b_len": p_b.len(),
            "P_b": hx(p_b),
            "M_b = MAC16(S1_MARK, ak, R_b)": hx(&m_b),
            "marker offset": at,
            "effort": EFFORT,
            "mask = KDF(S1_EFFORT, K, R_a, R_b)[0]": mask,
            "e = effort XOR mask": e,
            "T_b = MAC16(S1_REPLY_MAC, K, ak, R_a, R_b, P_b, e)": hx(&t_b),
            "bytes": hx(&reply),
        },
    });
    (
        v,
        AfterS1 {
            cfg,
            gate,
            now,
            outcome,
            k,
        },
    )
}

/// The session-2 split of one 144-byte `S2_KEYS` output, in the order
/// the code squeezes it: i2r keys, r2i keys, then id and challenge.
fn split_json(out: &[u8]) -> Value {
    json!({
        "i2r.aead [0..16)": hx(&out[0..16]),
        "i2r.len [16..48)": hx(&out[16..48]),
        "r2i.aead [48..64)": hx(&out[48..64]),
        "r2i.len [64..96)": hx(&out[64..96]),
        "id [96..112)": hx(&out[96..112]),
        "challenge [112..144)": hx(&out[112..144]),
    })
}

fn check_split(out: &[u8], keys: &SessionKeys) {
    assert_eq!(&out[0..16], keys.i2r.aead.expose().as_slice());
    assert_eq!(&out[16..48], keys.i2r.len.expose().as_slice());
    assert_eq!(&out[48..64], keys.r2i.aead.expose().as_slice());
    assert_eq!(&out[64..96], keys.r2i.len.expose().as_slice());
    assert_eq!(&out[96..112], keys.id.as_slice());
    assert_eq!(&out[112..144], keys.challenge.as_slice());
}

/// A frame as sent, before it is taken apart.
struct Sent {
    from_a: bool,
    keyed: bool,
    counter: u64,
    bytes: Vec<u8>,
}

fn kind_name(b: u8) -> &'static str {
    match b {
        1 => "Hello",
        2 => "Welcome",
        3 => "Data",
        4 => "Padding",
        5 => "Rekey",
        6 => "Close",
        _ => panic!("kind {b}"),
    }
}

fn ocb_nonce(counter: u64) -> [u8; 12] {
    let mut n = [0u8; 12];
    n[4..].copy_from_slice(&counter.to_le_bytes());
    n
}

/// Takes a frame apart with the direction's keys and keystream, checks it
/// re-seals by hand to the same bytes, and describes it.
fn frame_json(s: &Sent, keys: &DirectionKeys, keystream: &[u8]) -> Value {
    let c = usize::try_from(s.counter).unwrap();
    let mask = &keystream[2 * c..2 * c + 2];
    let f = &s.bytes;
    let l_masked = &f[..2];
    let len = usize::from(u16::from_le_bytes([
        l_masked[0] ^ mask[0],
        l_masked[1] ^ mask[1],
    ]));
    assert_eq!(f.len(), 2 + len + 16);
    let (ct, tag) = (&f[2..2 + len], &f[2 + len..]);
    let nonce = ocb_nonce(s.counter);
    let aead = SerpentOcb::new_128(keys.aead.expose());
    let mut body = ct.to_vec();
    aead.open_in_place(&nonce, l_masked, &mut body, tag.try_into().unwrap())
        .unwrap();
    let kind = body[0];
    let data_len = usize::from(u16::from_le_bytes([body[1], body[2]]));
    let data = &body[3..3 + data_len];
    let pad = len - 3 - data_len;
    assert!(body[3 + data_len..].iter().all(|&b| b == 0));
    let mut again = body.clone();
    let tag2 = aead.seal_in_place(&nonce, l_masked, &mut again).unwrap();
    assert_eq!((again.as_slice(), tag2.as_slice()), (ct, tag));
    let dir = if s.from_a { "A->B" } else { "B->A" };
    let keyset = match (s.keyed, s.from_a) {
        (false, true) => "S2_KEYS i2r",
        (false, false) => "S2_KEYS r2i",
        (true, true) => "S2_KEYED i2r",
        (true, false) => "S2_KEYED r2i",
    };
    json!({
        "direction": dir,
        "keys": keyset,
        "counter": s.counter,
        "kind": kind_name(kind),
        "kind byte": kind,
        "data": hx(data),
        "data_len": data_len,
        "padding_len": pad,
        "body_len": len,
        "body = kind || LE16(data_len) || data || zero padding": hx(&body),
        "length mask = keystream bytes [2*counter, 2*counter+2)": hx(mask),
        "LE16(body_len)": hx(&u16::try_from(len).unwrap().to_le_bytes()),
        "L' = LE16(body_len) XOR mask": hx(l_masked),
        "OCB3 nonce = 00000000 || LE64(counter)": hx(&nonce),
        "C": hx(ct),
        "T": hx(tag),
        "frame = L' || C || T": hx(f),
    })
}

fn session2(t: &mut Trace, tp: &mut Trace, s1: AfterS1) -> (Value, Value, [u8; 32]) {
    let AfterS1 {
        cfg,
        mut gate,
        now,
        outcome,
        k,
    } = s1;
    let ak = cfg.access_key.clone();
    let keys = SessionKeys::derive(&k, &ak);
    let split = t.kdf(
        "S2_KEYS split",
        labels::S2_KEYS,
        k.expose(),
        &[ak.expose()],
        144,
    );
    check_split(&split, &keys);

    // Hello: the real initiator (first draw: where the solver starts).
    let hello_seed = "transport vectors: A's hello";
    let start = rand_core::Rng::next_u64(&mut VectorRng::new(hello_seed));
    let (mut init, hello) =
        Session2Initiator::start(&cfg, &outcome, &mut VectorRng::new(hello_seed)).unwrap();
    assert_eq!(&hello[..ID_LEN], keys.id.as_slice());
    let mut conn = gate.accept();
    let InboundStep::Established {
        reply: welcome,
        channel,
        incoming,
        ..
    } = gate.on_data(
        &mut conn,
        &hello,
        now,
        &mut VectorRng::new("transport vectors: B's welcome"),
    )
    else {
        panic!("hello refused")
    };
    assert!(incoming.is_empty());
    let mut ch_b: Channel = *channel;
    let (mut ch_a, incoming) = init.receive(&welcome).unwrap().unwrap();
    assert!(incoming.is_empty());

    // The rest of the channel, both ways.
    let mut ra = VectorRng::new("transport vectors: A's channel");
    let mut rb = VectorRng::new("transport vectors: B's channel");
    let kt_bytes: [u8; 32] = {
        let mut b = [0u8; 32];
        rand_core::Rng::fill_bytes(&mut VectorRng::new("transport vectors: Kt"), &mut b);
        b
    };
    let kt = Secret::new(kt_bytes);
    let mut sent = vec![
        Sent {
            from_a: true,
            keyed: false,
            counter: 0,
            bytes: hello[ID_LEN..].to_vec(),
        },
        Sent {
            from_a: false,
            keyed: false,
            counter: 0,
            bytes: welcome.clone(),
        },
    ];
    let mut push = |from_a: bool, keyed: bool, counter: u64, bytes: Vec<u8>| {
        sent.push(Sent {
            from_a,
            keyed,
            counter,
            bytes,
        });
    };
    push(true, false, 1, ch_a.seal(DATA_A1, &mut ra).unwrap());
    push(false, false, 1, ch_b.seal(DATA_B1, &mut rb).unwrap());
    push(true, false, 2, ch_a.cover(&mut ra).unwrap());
    push(false, false, 2, ch_b.cover(&mut rb).unwrap());
    let (f, inc) = ch_a.rekey(&kt, &mut ra).unwrap();
    assert!(inc.is_empty());
    push(true, false, 3, f);
    let (f, inc) = ch_b.rekey(&kt, &mut rb).unwrap();
    assert!(inc.is_empty());
    push(false, false, 3, f);
    push(true, true, 0, ch_a.seal(DATA_A2, &mut ra).unwrap());
    push(false, true, 0, ch_b.seal(DATA_B2, &mut rb).unwrap());
    push(true, true, 1, ch_a.close(&mut ra).unwrap());
    push(false, true, 1, ch_b.close(&mut rb).unwrap());

    // Each side's real channel takes the other's frames.
    let all = |from_a: bool| -> Vec<u8> {
        sent.iter()
            .skip(2)
            .filter(|s| s.from_a == from_a)
            .flat_map(|s| s.bytes.clone())
            .collect()
    };
    let want = |d1: &[u8], d2: &[u8]| {
        vec![
            Incoming::Data(d1.to_vec()),
            Incoming::PeerRekeyed,
            Incoming::Data(d2.to_vec()),
            Incoming::Closed,
        ]
    };
    assert_eq!(ch_b.receive(&all(true)).unwrap(), want(DATA_A1, DATA_A2));
    assert_eq!(ch_a.receive(&all(false)).unwrap(), want(DATA_B1, DATA_B2));

    // The rekey keys by hand.
    let keyed = t.kdf(
        "S2_KEYED split",
        labels::S2_KEYED,
        &kt_bytes,
        &[&keys.id],
        96,
    );
    let dk = |aead: &[u8], len: &[u8]| DirectionKeys {
        aead: Secret::new(aead.try_into().unwrap()),
        len: Secret::new(len.try_into().unwrap()),
    };
    let keyed_i2r = dk(&keyed[0..16], &keyed[16..48]);
    let keyed_r2i = dk(&keyed[48..64], &keyed[64..96]);

    // Length-mask keystreams: 2 bytes per frame of each key set.
    let count = |from_a: bool, k: bool| {
        sent.iter()
            .filter(|s| s.from_a == from_a && s.keyed == k)
            .count()
    };
    let ks_i2r = t.stream(
        "length keystream, S2_KEYS i2r",
        labels::S2_LENGTH,
        keys.i2r.len.expose(),
        &[],
        2 * count(true, false),
    );
    let ks_r2i = t.stream(
        "length keystream, S2_KEYS r2i",
        labels::S2_LENGTH,
        keys.r2i.len.expose(),
        &[],
        2 * count(false, false),
    );
    let ks_keyed_i2r = t.stream(
        "length keystream, S2_KEYED i2r",
        labels::S2_LENGTH,
        keyed_i2r.len.expose(),
        &[],
        2 * count(true, true),
    );
    let ks_keyed_r2i = t.stream(
        "length keystream, S2_KEYED r2i",
        labels::S2_LENGTH,
        keyed_r2i.len.expose(),
        &[],
        2 * count(false, true),
    );
    let frames: Vec<Value> = sent
        .iter()
        .map(|s| match (s.keyed, s.from_a) {
            (false, true) => frame_json(s, &keys.i2r, &ks_i2r),
            (false, false) => frame_json(s, &keys.r2i, &ks_r2i),
            (true, true) => frame_json(s, &keyed_i2r, &ks_keyed_i2r),
            (true, false) => frame_json(s, &keyed_r2i, &ks_keyed_r2i),
        })
        .collect();

    // The proof of work in the hello.
    let nonce = u64::from_le_bytes(
        hex::decode(frames[0]["data"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap(),
    );
    let puzzle = Puzzle::new(&keys.challenge, EFFORT);
    let (solved, tries) = puzzle.solve(start);
    assert_eq!(solved, nonce);
    let hash = tp.hash(
        "PoW hash of the solution",
        labels::POW,
        &[&keys.challenge, &nonce.to_le_bytes()],
        32,
    );
    let bits = leading_zero_bits(&hash);
    assert!(bits >= u32::from(EFFORT));
    assert_eq!(bits, puzzle.zero_bits(nonce));
    // A failing nonce: the one before the solution (tried and rejected
    // unless the solver's first try succeeded).
    let failing = (1..)
        .map(|i| nonce.wrapping_sub(i))
        .find(|n| !puzzle.verify(*n))
        .unwrap();
    let fhash = tp.hash(
        "PoW hash of a failing nonce",
        labels::POW,
        &[&keys.challenge, &failing.to_le_bytes()],
        32,
    );
    let fbits = leading_zero_bits(&fhash);
    assert!(fbits < u32::from(EFFORT));
    let policy = EffortPolicy::default();
    let policy_table: Vec<Value> = [0usize, 1, 2, 3, 7, 8, 255, 1000]
        .iter()
        .map(|&p| json!({ "pending": p, "effort": policy.effort_for_load(p) }))
        .collect();
    let pow = json!({
        "challenge": hx(&keys.challenge),
        "effort": EFFORT,
        "solver start (first u64 of A's hello generator)": start,
        "attempts": tries,
        "nonce": nonce,
        "LE64(nonce)": hx(&nonce.to_le_bytes()),
        "hash = H(POW, challenge, LE64(nonce))[0..32]": hx(&hash),
        "leading zero bits": bits,
        "valid": true,
        "failing": {
            "nonce": failing,
            "LE64(nonce)": hx(&failing.to_le_bytes()),
            "hash": hx(&fhash),
            "leading zero bits": fbits,
            "valid": false,
        },
        "default effort policy (base 14, max 22): effort for pending session 2s": policy_table,
    });

    let v = json!({
        "K": hx(k.expose()),
        "access_key": hx(ak.expose()),
        "S2_KEYS output (144 bytes)": hx(&split),
        "split": split_json(&split),
        "hello message = id || Hello frame": hx(&hello),
        "Kt": hx(&kt_bytes),
        "rekey": {
            "S2_KEYED output = KDF(S2_KEYED, key = Kt, id) (96 bytes)": hx(&keyed),
            "i2r.aead [0..16)": hx(&keyed[0..16]),
            "i2r.len [16..48)": hx(&keyed[16..48]),
            "r2i.aead [48..64)": hx(&keyed[48..64]),
            "r2i.len [64..96)": hx(&keyed[64..96]),
        },
        "length keystreams (first 2 bytes per frame sent)": {
            "S2_KEYS i2r": hx(&ks_i2r),
            "S2_KEYS r2i": hx(&ks_r2i),
            "S2_KEYED i2r": hx(&ks_keyed_i2r),
            "S2_KEYED r2i": hx(&ks_keyed_r2i),
        },
        "frames (in sending order)": frames,
    });
    (v, pow, kt_bytes)
}

fn extra_paths(t: &mut Trace, kt: &[u8; 32]) -> Value {
    let ak = listener_config().access_key;
    let kt_s = Secret::new(*kt);
    let mut paths = Vec::new();
    let mut ids = Vec::new();
    for n in [1u32, 2] {
        for role in [CallRole::Originator, CallRole::Responder] {
            let real = extra_path_outcome(&kt_s, &ak, role, n);
            assert_eq!(real.effort, 0);
            let kn = t.kdf(
                &format!("K_{n}, dialer {role:?}"),
                labels::EXTRA_PATH,
                kt,
                &[ak.expose(), &[role.byte()], &n.to_le_bytes()],
                32,
            );
            assert_eq!(real.secret.expose().as_slice(), kn.as_slice());
            let split = t.kdf(
                &format!("S2_KEYS split of K_{n}, dialer {role:?}"),
                labels::S2_KEYS,
                &kn,
                &[ak.expose()],
                144,
            );
            check_split(&split, &SessionKeys::derive(&real.secret, &ak));
            ids.push(split[96..112].to_vec());
            paths.push(json!({
                "n": n,
                "LE32(n)": hx(&n.to_le_bytes()),
                "dialer": match role {
                    CallRole::Originator => "A (originator)",
                    CallRole::Responder => "B (responder)",
                },
                "role byte": hx(&[role.byte()]),
                "K_n = KDF(EXTRA_PATH, key = Kt, ak, role, LE32(n))[0..32]": hx(&kn),
                "S2_KEYS output of K_n (144 bytes)": hx(&split),
                "split": split_json(&split),
            }));
        }
    }
    for (i, a) in ids.iter().enumerate() {
        for b in &ids[i + 1..] {
            assert_ne!(a, b);
        }
    }
    json!({
        "Kt": hx(kt),
        "access_key (the listener's: the TCP one above)": hx(ak.expose()),
        "effort": 0,
        "paths": paths,
    })
}

/// `transport.json`.
pub fn transport_file() -> Value {
    let labels: Vec<Value> = LABELS
        .iter()
        .map(|(n, l)| json!({ "name": n, "label": label_json(*l) }))
        .collect();
    let mut t_ak = Trace::default();
    let ak = access_keys(&mut t_ak);
    let mut t1 = Trace::default();
    let (s1, after) = session1(&mut t1);
    let mut t2 = Trace::default();
    let mut tp = Trace::default();
    let (s2, pow, kt) = session2(&mut t2, &mut tp, after);
    let mut tx = Trace::default();
    let extra = extra_paths(&mut tx, &kt);
    let with_trace = |mut v: Value, t: Trace| {
        v["h_trace"] = Value::Array(t.0);
        v
    };
    json!({
        "description": "Transport known answers: access keys, session 1 (request and reply), session 2 (key split, frames both ways, rekey), proof of work and extra-path keys with the dialer's role. The messages and frames are produced by susurro-transport's own code (gate, initiators, channels) with fixed inputs; every use of H is listed in h_trace (mode, label, key, parts, output) and recomputes from its inputs. Random draws (padding lengths and bytes, the solver's start) come from a fixed generator: the output of H(hash mode, label susurro/crypto/test-vector/v1, seed) read in order, seed named in 'generator_seeds'; next_u64 = LE64 of the next 8 bytes; a length uniform in 0..=max takes next_u64 values v until v <= 2^64 - 2 - (2^64 - 1) mod (max + 1), then v mod (max + 1). The listener is a direct-TCP one on port 47000 asking effort 10. See docs/protocol.md, section Transport obfuscation. Regenerate: cargo run -p susurro-transport --example gen_transport_vectors -- docs/vectors",
        "generator_seeds": [
            "transport vectors: A's key",
            "transport vectors: B's key",
            "transport vectors: A's request padding",
            "transport vectors: B's reply padding",
            "transport vectors: A's hello",
            "transport vectors: B's welcome",
            "transport vectors: A's channel",
            "transport vectors: B's channel",
            "transport vectors: Kt",
        ],
        "labels": labels,
        "access_keys": with_trace(ak, t_ak),
        "session1": with_trace(s1, t1),
        "session2": with_trace(s2, t2),
        "proof_of_work": with_trace(pow, tp),
        "extra_paths": with_trace(extra, tx),
    })
}

/// All files: (name, content).
pub fn all() -> Vec<(&'static str, Value)> {
    vec![(FILE, transport_file())]
}

/// The file's text as written: pretty JSON and a final newline.
pub fn render(v: &Value) -> String {
    susurro_vectors::text(v)
}
