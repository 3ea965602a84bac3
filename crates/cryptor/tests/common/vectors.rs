//! The known-answer vector generator, shared by `examples/gen_cryptor_vectors.rs`
//! (writes `docs/vectors/cryptor-*.json`) and `tests/vectors.rs` (checks the
//! files). Every value is recomputed here step by step from the spec in
//! `docs/protocol.md` with the primitives of `susurro-crypto`, and the
//! state machines of `susurro-cryptor` are run alongside and must produce
//! exactly the same messages and keys.

#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use serde_json::{Value, json};
use susurro_crypto::{
    EphemeralKeyPair, Point, Representative, Secret, SecretKey, hash, hash_to_point, mac,
};
use susurro_cryptor::compare::{self, Compare, Context};
use susurro_cryptor::drbg::Drbg;
use susurro_cryptor::ike::{self, Originator, Responder};
use susurro_cryptor::session::{Lane, Sealer};
use susurro_cryptor::{labels, sas, xfer};
use susurro_vectors::{Trace, hx, label_json as label};
use susurro_wire::{
    Address, CallPurpose, CompareOutcome, PeerAccept, PeerMessage, PeerVersion, XferAddress,
};

/// Long-term private keys of A and B.
pub const KEY_A: [u8; 32] = *b"susurro vectors: alice long-term";
pub const KEY_B: [u8; 32] = *b"susurro vectors: bob   long-term";
/// DRBG seeds of A and B.
pub const SEED_A: &[u8] = b"susurro-cryptor vectors v1: DRBG seed of A";
pub const SEED_B: &[u8] = b"susurro-cryptor vectors v1: DRBG seed of B";

fn a32(v: &[u8]) -> [u8; 32] {
    v.try_into().unwrap()
}

fn xor(a: &[u8], b: &[u8]) -> [u8; 32] {
    core::array::from_fn(|i| a[i] ^ b[i])
}

fn dh(k: &[u8; 32], p: &[u8; 32]) -> [u8; 32] {
    *SecretKey::from_bytes(k)
        .diffie_hellman(&Point::from_bytes(*p))
        .unwrap()
        .expose()
}

fn pubkey(k: &[u8; 32]) -> [u8; 32] {
    SecretKey::from_bytes(k).public_key().to_bytes()
}

/// The DRBG by hand: `(state', out) = KDF(DRBG_OUTPUT, state, LE64(n))`.
struct HandDrbg {
    state: [u8; 32],
}

impl HandDrbg {
    fn new(seed: &[u8], t: &mut Trace) -> Self {
        let s = t.kdf(
            "drbg state after seeding",
            labels::DRBG_RESEED,
            &[0u8; 32],
            &[seed],
            32,
        );
        Self { state: a32(&s) }
    }
    fn draw(&mut self, n: usize, what: &str, t: &mut Trace) -> Vec<u8> {
        let out = t.kdf(
            what,
            labels::DRBG_OUTPUT,
            &self.state.clone(),
            &[&(n as u64).to_le_bytes()],
            32 + n,
        );
        self.state = a32(&out[..32]);
        out[32..].to_vec()
    }
}

fn e_map(t: &mut Trace, what: &str, input: &[u8]) -> [u8; 32] {
    t.hash(
        &format!("{what}: r = the 64 bytes fed to the two Elligator2 maps"),
        susurro_crypto::h::labels::HASH_TO_POINT,
        &[input],
        64,
    );
    hash_to_point(input).unwrap().to_bytes()
}

/// One IKE, both roles. `b_knows_a`: B has A in its book.
pub fn ike_vector(b_knows_a: bool) -> (Value, ike::Established, ike::Established) {
    // The known scenario opens a voice call, the other a message session:
    // the purpose byte Mx covers takes both values in the vectors.
    let purpose = if b_knows_a {
        CallPurpose::Voice
    } else {
        CallPurpose::Messages
    };
    let mut t = Trace::default();
    let (ka, kb) = (KEY_A, KEY_B);
    let (pa, pb) = (pubkey(&ka), pubkey(&kb));
    let mut da = HandDrbg::new(SEED_A, &mut t);
    let mut db = HandDrbg::new(SEED_B, &mut t);
    // A
    let x = a32(&da.draw(32, "A draws x", &mut t));
    let big_x = pubkey(&x);
    let tb = dh(&x, &pb);
    let p = e_map(&mut t, "P = E(Tb)", &tb);
    let u = a32(&da.draw(32, "A draws u", &mut t));
    let big_u = dh(&u, &p);
    let mask_x = t.hash("H(MASK_X, U)", labels::IKE_MASK_X, &[&big_u], 32);
    let x_masked = xor(&big_x, &mask_x);
    // B
    let y = a32(&db.draw(32, "B draws y", &mut t));
    let big_y = pubkey(&y);
    let v = a32(&db.draw(32, "B draws v", &mut t));
    let s = dh(&x, &big_y);
    assert_eq!(s, dh(&y, &big_x));
    let d = dh(&u, &dh(&v, &p));
    assert_eq!(d, dh(&v, &big_u));
    assert_eq!(tb, dh(&kb, &big_x));
    let big_v = dh(&v, &p);
    let f = t.hash("F", labels::IKE_SPEKE_F, &[&d], 32);
    let mask_id = t.hash(
        "mask of A",
        labels::IKE_MASK_ID,
        &[&d, &x_masked, &big_y, &big_u, &big_v],
        32,
    );
    let a_masked = xor(&pa, &mask_id);
    let ta = dh(&y, &pa);
    assert_eq!(ta, dh(&ka, &big_y));
    let c = t.hash(
        "C",
        labels::IKE_CONFIRM_C,
        &[&s, &x_masked, &big_y, &big_u, &big_v, &a_masked],
        32,
    );
    let tr = t.hash(
        "T",
        labels::IKE_TRANSCRIPT,
        &[&x_masked, &big_y, &big_u, &big_v, &a_masked, &c],
        32,
    );
    let ks = t.kdf(
        "session key stream",
        labels::IKE_SESSION,
        &s,
        &[&tr],
        32 * 6 + 16 + 32 + 32,
    );
    let sas_b = t.kdf(
        "SAS (from S, X', Y, U only)",
        labels::IKE_SAS,
        &s,
        &[&x_masked, &big_y, &big_u],
        3,
    );
    let split = |o: usize, n: usize| ks[o..o + n].to_vec();
    let (k_ab, k_ba, kx_ab, kx_ba, k_cmp, kt) = (
        split(0, 32),
        split(32, 32),
        split(64, 32),
        split(96, 32),
        split(128, 32),
        split(160, 32),
    );
    let (sid, kmx, kmy) = (split(192, 16), split(208, 32), split(240, 32));
    let sas_v = u32::from_le_bytes([sas_b[0], sas_b[1], sas_b[2], 0]);
    let ma = t.mac("Ma", labels::IKE_AUTH_A, &s, &[&tr, &f, &ta, &tb], 16);
    let mb = t.mac("Mb", labels::IKE_AUTH_B, &s, &[&tr, &f, &ta, &tb], 16);
    let mx = t.mac(
        "Mx",
        labels::IKE_CONFIRM_X,
        &kmx,
        &[&tr, &ma, &[purpose.code()]],
        16,
    );
    let random = db.draw(16, "B draws the replacement for Mb (always drawn)", &mut t);
    let mb_sent = if b_knows_a { mb.clone() } else { random };
    let my = t.mac("My", labels::IKE_CONFIRM_Y, &kmy, &[&tr, &mb_sent], 16);

    // The state machines must agree byte for byte.
    let mut ra = Drbg::from_seed(SEED_A);
    let mut rb = Drbg::from_seed(SEED_B);
    let (oa, m1) =
        Originator::start(&mut ra, Point::from_bytes(pa), Some(Point::from_bytes(pb))).unwrap();
    assert_eq!(m1, x_masked);
    let (rb1, m2) = Responder::start(&mut rb).on_commit(&m1);
    assert_eq!(m2, big_y);
    let (oa, m3) = oa.on_ephemeral(&m2).unwrap();
    assert_eq!(m3, big_u);
    let (rb1, xp) = rb1.on_speke_u(&m3).unwrap();
    assert_eq!(xp.to_bytes(), big_x);
    let tb_s = susurro_crypto::SharedPoint::from_bytes(dh(&kb, &xp.to_bytes())).unwrap();
    let (rb1, m4) = rb1.on_tag(&tb_s).unwrap();
    assert_eq!(m4, big_v);
    let (oa, m5) = oa.on_speke_v(&m4).unwrap();
    assert_eq!(m5, a_masked);
    let (rb1, m6, claimed) = rb1.on_identity(&m5, &mut rb);
    assert_eq!(m6.as_slice(), c.as_slice());
    assert_eq!(claimed.map(|p| p.to_bytes()), Some(pa));
    let (oa, yp) = oa.on_confirm(&m6).unwrap();
    let ta_s = susurro_crypto::SharedPoint::from_bytes(dh(&ka, &yp.to_bytes())).unwrap();
    let (oa, m7a, m7x) = oa.on_tag(&ta_s, purpose);
    assert_eq!((m7a.to_vec(), m7x.to_vec()), (ma.clone(), mx.clone()));
    let (eb, m8b, m8y) = rb1
        .on_auth_a(&m7a, &m7x, purpose, b_knows_a, &mut rb)
        .unwrap();
    assert_eq!((m8b.to_vec(), m8y.to_vec()), (mb_sent.clone(), my.clone()));
    let ea = oa.on_auth_b(&m8b, &m8y).unwrap();
    assert_eq!((ea.purpose, eb.purpose), (purpose, purpose));
    assert_eq!(ea.authenticated, b_knows_a);
    assert_eq!(eb.authenticated, b_knows_a);
    assert_eq!(ea.keys.sas, sas_v);
    assert_eq!(eb.keys.sas, sas_v);
    assert_eq!(ea.keys.k_ab.expose().as_slice(), k_ab.as_slice());
    assert_eq!(eb.keys.kt.expose().as_slice(), kt.as_slice());

    let v = json!({
        "scenario": if b_knows_a { "known callee, B knows A: authenticated" } else { "B does not know A: unauthenticated, Mb replaced by random" },
        "inputs": {
            "a": hex::encode(ka), "A": hex::encode(pa), "b": hex::encode(kb), "B": hex::encode(pb),
            "drbg_seed_A_ascii": String::from_utf8_lossy(SEED_A), "drbg_seed_B_ascii": String::from_utf8_lossy(SEED_B),
            "b_knows_a": b_knows_a, "purpose": purpose.name(), "purpose code": purpose.code(),
        },
        "originator": {
            "x": hex::encode(x), "X": hex::encode(big_x), "Tb = x*B": hex::encode(tb), "P = E(Tb)": hex::encode(p),
            "u": hex::encode(u), "U": hex::encode(big_u), "H(MASK_X,U)": hex::encode(&mask_x), "X'": hex::encode(x_masked),
            "S = x*Y": hex::encode(s), "D = u*V": hex::encode(d), "F": hex::encode(&f), "mask_id": hex::encode(&mask_id), "A'": hex::encode(a_masked),
            "Ta = a*Y (storage)": hex::encode(ta), "T": hex::encode(&tr), "Ma": hex::encode(&ma), "Mx": hex::encode(&mx),
            "authenticated": ea.authenticated,
        },
        "responder": {
            "y": hex::encode(y), "Y": hex::encode(big_y), "v": hex::encode(v), "X = X' ^ H(MASK_X,U)": hex::encode(big_x),
            "S = y*X": hex::encode(s), "D = v*U": hex::encode(d), "Tb = b*X (storage)": hex::encode(tb), "V = v*E(Tb)": hex::encode(big_v),
            "A = A' ^ mask_id": hex::encode(pa), "Ta = y*A": hex::encode(ta), "C": hex::encode(&c), "Mb (computed)": hex::encode(&mb),
            "Mb (sent)": hex::encode(&mb_sent), "My": hex::encode(&my), "authenticated": eb.authenticated,
        },
        "messages": [
            {"kind": "IkeCommit", "from": "A", "x_masked": hex::encode(m1)},
            {"kind": "IkeEphemeral", "from": "B", "y": hex::encode(m2), "version": PeerVersion::CURRENT.0},
            {"kind": "IkeSpekeU", "from": "A", "u": hex::encode(m3), "version": PeerVersion::CURRENT.0},
            {"kind": "IkeSpekeV", "from": "B", "v": hex::encode(m4)},
            {"kind": "IkeIdentity", "from": "A", "a_masked": hex::encode(m5)},
            {"kind": "IkeConfirm", "from": "B", "c": hex::encode(m6)},
            {"kind": "IkeAuthA", "from": "A", "ma": hex::encode(m7a), "mx": hex::encode(m7x), "purpose": purpose.code()},
            {"kind": "IkeAuthB", "from": "B", "mb": hex::encode(m8b), "my": hex::encode(m8y)},
        ],
        "session": {
            "Kab": hex::encode(&k_ab), "Kba": hex::encode(&k_ba), "Kx_ab": hex::encode(&kx_ab), "Kx_ba": hex::encode(&kx_ba),
            "Kcmp": hex::encode(&k_cmp), "Kt": hex::encode(&kt), "SID": hex::encode(&sid), "Kmx": hex::encode(&kmx),
            "Kmy": hex::encode(&kmy), "SAS bytes = KDF(IKE_SAS, S, X', Y, U)[0..3]": hex::encode(&sas_b), "SAS": sas_v,
            "SAS display": String::from_utf8_lossy(&sas::display(sas_v)),
        },
        "h_trace": t.0,
    });
    (v, ea, eb)
}

fn elligator_vector() -> Value {
    let mut out = Vec::new();
    let mut d = Drbg::from_seed(b"susurro-cryptor vectors v1: elligator2");
    let mut n = 0;
    while n < 3 {
        let s = d.secret::<33>();
        let k: [u8; 32] = s.expose()[..32].try_into().unwrap();
        if let Ok(pair) = EphemeralKeyPair::from_secret(&k, s.expose()[32]) {
            let rep = pair.representative();
            let back = Representative::from_bytes(rep.to_bytes()).to_point();
            assert_eq!(back, pair.public_key());
            out.push(json!({
                "secret": hex::encode(k), "tweak": s.expose()[32],
                "point_to_representative": hex::encode(rep.to_bytes()),
                "representative_to_point": hex::encode(back.to_bytes()),
            }));
            n += 1;
        }
    }
    let mut t = Trace::default();
    // The first-session obfuscation key between the first two pairs
    // (first = the caller's representative).
    let (k0, r0) = (
        hex::decode(out[0]["secret"].as_str().unwrap()).unwrap(),
        hex::decode(out[0]["point_to_representative"].as_str().unwrap()).unwrap(),
    );
    let r1 = hex::decode(out[1]["point_to_representative"].as_str().unwrap()).unwrap();
    let p1 = Representative::from_bytes(a32(&r1)).to_point();
    let shared = dh(&a32(&k0), &p1.to_bytes());
    let obf = t.kdf(
        "obfuscation key (caller = pair 0)",
        labels::OBFUSCATION_KEY,
        &shared,
        &[&r0, &r1],
        32,
    );
    let obfuscation = json!({ "dh": hex::encode(shared), "key": hex::encode(obf) });
    let htp: Vec<Value> = [b"tag one".as_slice(), b"tag two", &[0u8; 32]]
        .iter()
        .map(|i| {
            let p = e_map(&mut t, "E", i);
            json!({ "input": hex::encode(i), "E(input)": hex::encode(p) })
        })
        .collect();
    json!({ "representatives": out, "obfuscation_key": obfuscation, "hash_to_point": htp, "h_trace": t.0 })
}

/// `cryptor-ike.json`.
pub fn ike_file() -> Value {
    let labels: Vec<Value> = labels::ALL
        .iter()
        .map(|(n, l)| json!({ "name": n, "label": label(*l) }))
        .collect();
    let mut t = Trace::default();
    let mut d = HandDrbg::new(b"susurro-cryptor vectors v1: DRBG", &mut t);
    let draws: Vec<Value> = [16usize, 32, 33]
        .iter()
        .map(|&n| hx(&d.draw(n, "output", &mut t)))
        .collect();
    let mut real = Drbg::from_seed(b"susurro-cryptor vectors v1: DRBG");
    for (n, want) in [16usize, 32, 33].iter().zip(&draws) {
        let mut o = vec![0u8; *n];
        real.fill(&mut o);
        assert_eq!(&hx(&o), want);
    }
    json!({
        "description": "Cryptor IKE known answers: labels, DRBG, Elligator2 both ways, hash-to-point, and two full IKE transcripts (protocol version 2: the SAS from S, X', Y, U only) with every intermediate value of H. See docs/protocol.md, sections Cryptor labels, DRBG and Initial key exchange.",
        "labels": labels,
        "drbg": { "seed_ascii": "susurro-cryptor vectors v1: DRBG", "outputs": draws, "h_trace": t.0 },
        "elligator2": elligator_vector(),
        "ike_known": ike_vector(true).0,
        "ike_unknown_caller": ike_vector(false).0,
    })
}

/// `cryptor-session.json`: the first packets after the known IKE.
pub fn session_file() -> Value {
    let (_, ea, eb) = ike_vector(true);
    let mut t = Trace::default();
    let mut dirs = Vec::new();
    for (name, key, lane) in [
        ("voice A->B", ea.keys.k_ab.clone(), Lane::Voice),
        ("voice B->A", eb.keys.k_ba.clone(), Lane::Voice),
        ("control A->B", ea.keys.k_ab.clone(), Lane::Control),
    ] {
        let (root, mac_l, tag) = match lane {
            Lane::Voice => (labels::SESSION_VOICE_ROOT, labels::SESSION_VOICE_MAC, 8),
            Lane::Control => (
                labels::SESSION_CONTROL_ROOT,
                labels::SESSION_CONTROL_MAC,
                16,
            ),
        };
        let c0 = t.kdf("C0", root, key.expose(), &[], 32);
        let ek = t.kdf(
            "Kenc || Kmac of epoch 0",
            labels::SESSION_EPOCH_KEYS,
            &c0,
            &[],
            48,
        );
        let c1 = t.kdf("C1", labels::SESSION_RATCHET, &c0, &[], 32);
        let mut sealer = Sealer::new(lane, &key);
        let mut pkts = Vec::new();
        for i in 0..3u64 {
            let pt: Vec<u8> = match lane {
                Lane::Voice => (0..40).map(|j| (j as u8) ^ (i as u8 * 17)).collect(),
                Lane::Control => {
                    let mut b = [0u8; 8];
                    let n = PeerMessage::from(PeerAccept {}).encode_to(&mut b).unwrap();
                    b[..n].to_vec()
                }
            };
            // ChaCha20 (RFC 8439) keystream, nonce LE64(i) || 0^4, block 0.
            let mut ks = vec![0u8; pt.len()];
            let mut nonce = [0u8; 12];
            nonce[..8].copy_from_slice(&i.to_le_bytes());
            susurro_crypto::chacha::ChaCha20Stream::new(&a32(&ek[..32]), &nonce)
                .apply_keystream(&mut ks)
                .unwrap();
            let ct: Vec<u8> = pt.iter().zip(&ks).map(|(a, b)| a ^ b).collect();
            let tg = t.mac(
                "tag",
                mac_l,
                &ek[32..],
                &[&[i.to_le_bytes().as_slice(), &ct].concat()],
                tag,
            );
            let mut buf = [0u8; 128];
            let (seq, n) = sealer.seal(&pt, &mut buf).unwrap();
            assert_eq!(u64::from(seq), i);
            assert_eq!(&buf[..n], [ct.clone(), tg.clone()].concat().as_slice());
            pkts.push(json!({ "index": i, "seq": seq, "plaintext": hex::encode(&pt), "chacha20_nonce": hex::encode(nonce), "keystream": hex::encode(&ks), "sealed": hex::encode(&buf[..n]) }));
        }
        dirs.push(json!({ "stream": name, "direction_key": hex::encode(key.expose()), "C0": hex::encode(&c0), "epoch0_Kenc": hex::encode(&ek[..32]), "epoch0_Kmac": hex::encode(&ek[32..]), "C1": hex::encode(&c1), "packets": pkts }));
    }
    json!({
        "description": "First voice and control packets after the known-callee IKE of cryptor-ike.json. Wire: seq = low 32 bits of the counter; sealed = ct || tag (8-byte voice tags, 16-byte control tags). See docs/protocol.md, section Session cipher.",
        "streams": dirs,
        "h_trace": t.0,
    })
}

/// `cryptor-xfer.json`: A sends its own key and an onion address to B.
pub fn xfer_file() -> Value {
    let (_, ea, _) = ike_vector(true);
    let kx = ea.keys.kx_ab.clone();
    let key = Point::from_bytes(pubkey(&KEY_A));
    let address = Address::Onion {
        key: susurro_cryptor::sim::ONION_KEY,
        port: 7000,
    };
    let mut t = Trace::default();
    let am = t.mac(
        "address mask",
        labels::XFER_ADDRESS,
        kx.expose(),
        &[key.as_bytes()],
        32,
    );
    let (sw, m1) = xfer::send(&kx, key, &address).unwrap();
    let mut rng = Drbg::from_seed(b"susurro-cryptor vectors v1: xfer receiver");
    let q = Drbg::from_seed(b"susurro-cryptor vectors v1: xfer receiver").secret::<16>();
    let (rw, m2) = xfer::receive(&kx, &m1, &mut rng);
    assert_eq!(&m2.q, q.expose());
    let qm = t.mac(
        "Q",
        labels::XFER_CHALLENGE,
        kx.expose(),
        &[&m2.q, &m1.o_masked, &m1.port.to_le_bytes()],
        16,
    );
    assert_eq!(m2.q_mac.as_slice(), qm.as_slice());
    let km = t.mac(
        "key mask",
        labels::XFER_KEY,
        kx.expose(),
        &[&m2.q, &m2.q_mac],
        32,
    );
    let m3 = sw.on_challenge(&kx, &m2).unwrap();
    assert_eq!(m3.a_masked, xor(key.as_bytes(), &km));
    let (got, addr) = rw.on_key(&kx, &m3).unwrap();
    assert_eq!((got, &addr), (key, &address));
    let Address::Onion { key: o, .. } = address else {
        unreachable!()
    };
    assert_eq!(m1.o_masked, xor(&o, &am));
    let name = sas::contact_name(ea.keys.sas, &key);
    json!({
        "description": "Contact transfer A -> B inside the known-callee session of cryptor-ike.json (Kx = Kx_ab). See docs/protocol.md, section Contact transfer.",
        "Kx": hex::encode(kx.expose()), "key": hex::encode(key.as_bytes()), "onion": hex::encode(o), "port": 7000,
        "receiver_drbg_seed_ascii": "susurro-cryptor vectors v1: xfer receiver",
        "XferAddress": { "o_masked": hex::encode(m1.o_masked), "port": m1.port },
        "XferChallenge": { "q": hex::encode(m2.q), "q_mac": hex::encode(m2.q_mac) },
        "XferKey": { "a_masked": hex::encode(m3.a_masked) },
        "saved_name": name.as_str(),
        "h_trace": t.0,
    })
}

fn compare_run(
    p1: &str,
    p2: &str,
    ea: &ike::Established,
    eb: &ike::Established,
    t: &mut Trace,
) -> Value {
    let ca = Context {
        k_cmp: &ea.keys.k_cmp,
        sid: &ea.keys.sid,
    };
    let cb = Context {
        k_cmp: &eb.keys.k_cmp,
        sid: &eb.keys.sid,
    };
    let mut ra = Drbg::from_seed(b"susurro-cryptor vectors v1: compare A");
    let mut rb = Drbg::from_seed(b"susurro-cryptor vectors v1: compare B");
    let (mut a, mut b) = (Compare::new(), Compare::new());
    let (m1, _) = a.user(p1.as_bytes(), &ca, &mut ra);
    let m1 = m1.unwrap();
    let (_, r) = b.on_peer(&m1, &cb, &mut rb);
    assert_eq!(r, Some(CompareOutcome::PeerRequested));
    let (m2, _) = b.user(p2.as_bytes(), &cb, &mut rb);
    let m2 = m2.unwrap();
    let (m3, _) = a.on_peer(&m2, &ca, &mut ra);
    let m3 = m3.unwrap();
    let (m4, rb_out) = b.on_peer(&m3, &cb, &mut rb);
    let m4 = m4.unwrap();
    let (_, ra_out) = a.on_peer(&m4, &ca, &mut ra);
    let w1 = compare::stretch(p1.as_bytes(), &ea.keys.sid);
    let w2 = compare::stretch(p2.as_bytes(), &ea.keys.sid);
    // The first and last stretching steps, by hand.
    t.kdf(
        "w_0",
        labels::COMPARE_PKDF,
        p1.as_bytes(),
        &[&ea.keys.sid, &0u32.to_le_bytes()],
        32,
    );
    // u and v are the first draws of the two DRBGs.
    let u = *Drbg::from_seed(b"susurro-cryptor vectors v1: compare A")
        .secret::<32>()
        .expose();
    let v = *Drbg::from_seed(b"susurro-cryptor vectors v1: compare B")
        .secret::<32>()
        .expose();
    let (PeerMessage::CompareU(mu), PeerMessage::CompareV(mv)) = (&m1, &m2) else {
        panic!("order")
    };
    let d = dh(&u, &mv.v);
    let d_b = dh(&v, &mu.u);
    let ma = t.mac(
        "Ma",
        labels::COMPARE_MA,
        &d,
        &[ea.keys.k_cmp.expose(), &mu.u, &mv.v],
        32,
    );
    let mb = t.mac(
        "Mb expected by A",
        labels::COMPARE_MB,
        &d,
        &[ea.keys.k_cmp.expose(), &mu.u, &mv.v],
        32,
    );
    if let PeerMessage::CompareMa(x) = &m3 {
        assert_eq!(x.m.as_slice(), ma.as_slice());
    }
    if let PeerMessage::CompareMb(x) = &m4 {
        assert_eq!(x.m.as_slice() == mb.as_slice(), p1 == p2);
    }
    let enc = |m: &PeerMessage| {
        let mut b = [0u8; 64];
        let n = m.encode_to(&mut b).unwrap();
        hex::encode(&b[..n])
    };
    json!({
        "phrase_A": p1, "phrase_B": p2,
        "W'_A": hex::encode(w1.expose()), "W'_B": hex::encode(w2.expose()),
        "P_A = E(W'_A)": hex::encode(hash_to_point(w1.expose()).unwrap().to_bytes()),
        "P_B = E(W'_B)": hex::encode(hash_to_point(w2.expose()).unwrap().to_bytes()),
        "u": hex::encode(u), "v": hex::encode(v), "D_A = u*V": hex::encode(d), "D_B = v*U": hex::encode(d_b),
        "peer_messages": [enc(&m1), enc(&m2), enc(&m3), enc(&m4)],
        "outcome_A": format!("{:?}", ra_out.unwrap()), "outcome_B": format!("{:?}", rb_out.unwrap()),
    })
}

/// `cryptor-compare.json`: equal and different phrases.
pub fn compare_file() -> Value {
    let (_, ea, eb) = ike_vector(true);
    let mut t = Trace::default();
    let eq = compare_run("blue heron at dawn", "blue heron at dawn", &ea, &eb, &mut t);
    let ne = compare_run("blue heron at dawn", "grey heron at dusk", &ea, &eb, &mut t);
    assert_eq!(eq["outcome_A"], "Match");
    assert_eq!(ne["outcome_B"], "Mismatch");
    json!({
        "description": "Secret compare inside the known-callee session of cryptor-ike.json (Kcmp, SID from there); A initiates. peer_messages are the encoded PeerMessages CompareU, CompareV, CompareMa, CompareMb. DRBG seeds: 'susurro-cryptor vectors v1: compare A' / '... B'. See docs/protocol.md, section Secret compare.",
        "Kcmp": hex::encode(ea.keys.k_cmp.expose()), "SID": hex::encode(ea.keys.sid),
        "stretch_rounds": compare::STRETCH_ROUNDS,
        "equal": eq, "different": ne,
        "h_trace": t.0,
    })
}

/// All files: (name, content).
pub fn all() -> Vec<(&'static str, Value)> {
    vec![
        ("cryptor-ike.json", ike_file()),
        ("cryptor-session.json", session_file()),
        ("cryptor-xfer.json", xfer_file()),
        ("cryptor-compare.json", compare_file()),
    ]
}

#[allow(unused_imports)]
use {Secret as _, XferAddress as _, hash as _, mac as _};
