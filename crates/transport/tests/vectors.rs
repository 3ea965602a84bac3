#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! Checks the code against `docs/vectors/transport.json`: the file is
//! regenerated (running the real gate, initiators and channels with fixed
//! inputs) and must equal the stored one byte for byte; every recorded use
//! of H is recomputed from its recorded inputs with `susurro-crypto`
//! alone; and the messages, frames and keys are rebuilt from the values
//! the file states, following `docs/protocol.md`, without the transport's
//! code.

#[path = "common/vectors.rs"]
mod vectors;

use serde_json::Value;
use susurro_crypto::serpent_ocb::SerpentOcb;
use susurro_crypto::{EphemeralKeyPair, H, KeyStream, hash, kdf, mac};
use susurro_transport::labels;

fn load() -> (String, Value) {
    let text = susurro_vectors::load_text(vectors::FILE);
    let v = serde_json::from_str(&text).unwrap();
    (text, v)
}

/// The hex string at `v[key]` as bytes.
fn b(v: &Value, key: &str) -> Vec<u8> {
    let s = v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no hex string {key:?} in {v}"));
    hex::decode(s).unwrap()
}

fn u(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no number {key:?} in {v}"))
}

fn a32(v: &[u8]) -> [u8; 32] {
    v.try_into().unwrap()
}

#[test]
fn file_matches_the_code_byte_for_byte() {
    let (text, _) = load();
    let fresh = vectors::render(&vectors::transport_file());
    assert!(
        text == fresh,
        "{} differs from the code; regenerate with \
         `cargo run -p susurro-transport --example gen_transport_vectors -- docs/vectors` and review",
        vectors::FILE
    );
}

#[test]
fn every_h_use_recomputes() {
    let (_, v) = load();
    let n = susurro_vectors::check_traces(&v);
    // 2 access keys, 6 in session 1, 6 in session 2, 2 PoW hashes, 8 extra-path KDFs.
    assert!(n >= 24, "only {n} trace entries");
}

#[test]
fn every_label_is_listed_and_appears_in_a_trace() {
    let (text, v) = load();
    assert_eq!(vectors::LABELS.len(), labels::ALL.len());
    let listed = v["labels"].as_array().unwrap();
    assert_eq!(listed.len(), labels::ALL.len());
    for l in labels::ALL {
        let ascii = String::from_utf8_lossy(l.as_bytes()).into_owned();
        assert!(
            vectors::LABELS.iter().any(|(_, x)| x == l),
            "{ascii} has no name"
        );
        assert!(
            listed.iter().any(|e| e["label"]["ascii"] == ascii.as_str()
                && e["label"]["hex"] == hex::encode(l.as_bytes()).as_str()),
            "{ascii} not listed"
        );
        assert!(
            text.contains(&format!("\"label\": \"{ascii}\"")),
            "{ascii} has no trace entry"
        );
    }
    assert!(text.contains("susurro/transport/extra-path/v2"));
}

#[test]
fn access_keys_recompute() {
    let (_, v) = load();
    let tcp = &v["access_keys"]["tcp"];
    let port = u16::try_from(u(tcp, "port")).unwrap();
    let ak = kdf::<32>(labels::ACCESS_TCP, &[], &[&port.to_le_bytes()]);
    assert_eq!(ak.expose().as_slice(), b(tcp, "ak"));
    let onion = &v["access_keys"]["onion"];
    let port = u16::try_from(u(onion, "port")).unwrap();
    let ak = kdf::<32>(
        labels::ACCESS_ONION,
        &b(onion, "onion_key"),
        &[&port.to_le_bytes()],
    );
    assert_eq!(ak.expose().as_slice(), b(onion, "ak"));
    // Everything else is keyed with the TCP listener's key.
    assert_eq!(b(&v["session1"], "access_key"), b(tcp, "ak"));
    assert_eq!(b(&v["session2"], "access_key"), b(tcp, "ak"));
}

#[test]
fn session1_recomputes() {
    let (_, v) = load();
    let s1 = &v["session1"];
    let ak = b(s1, "access_key");
    let pad_max = usize::try_from(u(s1, "s1_pad_max")).unwrap();
    // Representatives from the stated secrets and tweaks.
    let rep = |p: &Value, name: &str| {
        let tweak = u8::try_from(u(p, "tweak")).unwrap();
        let pair = EphemeralKeyPair::from_secret(&a32(&b(p, "secret")), tweak).unwrap();
        assert_eq!(pair.representative().as_bytes().as_slice(), b(p, name));
        assert_eq!(pair.public_key().as_bytes().as_slice(), b(p, "public key"));
        pair
    };
    let pa = rep(&s1["A"], "R_a");
    let pb = rep(&s1["B"], "R_b");
    let (r_a, r_b) = (pa.representative(), pb.representative());
    // Standalone K.
    let kv = &s1["K"];
    let dh = pa.diffie_hellman(&r_b.to_point()).unwrap();
    assert_eq!(
        dh.expose(),
        pb.diffie_hellman(&r_a.to_point()).unwrap().expose()
    );
    assert_eq!(
        dh.expose().as_slice(),
        b(
            kv,
            "x25519(secret_A, decode(R_b)) = x25519(secret_B, decode(R_a))"
        )
    );
    let k = kdf::<32>(
        labels::S1_SECRET,
        dh.expose(),
        &[r_a.as_bytes(), r_b.as_bytes()],
    );
    assert_eq!(k.expose().as_slice(), b(kv, "K"));
    assert_eq!(
        b(kv, "K"),
        b(
            kv,
            "standalone_K = KDF(S1_SECRET, key = dh, R_a, R_b)[0..32]"
        )
    );
    let k = b(kv, "K");

    // The request: R_a || P_a || M_a || T_a.
    let rq = &s1["request"];
    let p_a = b(rq, "P_a");
    assert_eq!(p_a.len(), usize::try_from(u(rq, "P_a_len")).unwrap());
    assert!(p_a.len() <= pad_max);
    let m_a = mac::<16>(labels::S1_MARK, &ak, &[r_a.as_bytes()]);
    assert_eq!(m_a.as_slice(), b(rq, "M_a = MAC16(S1_MARK, ak, R_a)"));
    let t_a = mac::<16>(labels::S1_REQUEST_MAC, &ak, &[r_a.as_bytes(), &p_a]);
    assert_eq!(
        t_a.as_slice(),
        b(rq, "T_a = MAC16(S1_REQUEST_MAC, ak, R_a, P_a)")
    );
    let request = [r_a.as_bytes().as_slice(), &p_a, &m_a, &t_a].concat();
    assert_eq!(request, b(rq, "bytes"));
    assert_eq!(u(rq, "marker offset"), 32 + p_a.len() as u64);

    // The reply: R_b || P_b || M_b || e || T_b.
    let rp = &s1["reply"];
    let p_b = b(rp, "P_b");
    assert_eq!(p_b.len(), usize::try_from(u(rp, "P_b_len")).unwrap());
    let m_b = mac::<16>(labels::S1_MARK, &ak, &[r_b.as_bytes()]);
    assert_eq!(m_b.as_slice(), b(rp, "M_b = MAC16(S1_MARK, ak, R_b)"));
    let mask = kdf::<1>(labels::S1_EFFORT, &k, &[r_a.as_bytes(), r_b.as_bytes()]).expose()[0];
    assert_eq!(
        u64::from(mask),
        u(rp, "mask = KDF(S1_EFFORT, K, R_a, R_b)[0]")
    );
    let effort = u8::try_from(u(rp, "effort")).unwrap();
    let e = effort ^ mask;
    assert_eq!(u64::from(e), u(rp, "e = effort XOR mask"));
    let t_b = mac::<16>(
        labels::S1_REPLY_MAC,
        &k,
        &[&ak, r_a.as_bytes(), r_b.as_bytes(), &p_b, &[e]],
    );
    assert_eq!(
        t_b.as_slice(),
        b(rp, "T_b = MAC16(S1_REPLY_MAC, K, ak, R_a, R_b, P_b, e)")
    );
    let reply = [r_b.as_bytes().as_slice(), &p_b, &m_b, &[e], &t_b].concat();
    assert_eq!(reply, b(rp, "bytes"));
    // The marker is where the listener's scan finds it first.
    let first = (32..=32 + pad_max)
        .find(|&at| reply.get(at..at + 16) == Some(m_b.as_slice()))
        .unwrap();
    assert_eq!(first as u64, u(rp, "marker offset"));
}

/// The split of a 144-byte `S2_KEYS` output.
fn check_split(out: &[u8], split: &Value) {
    assert_eq!(out.len(), 144);
    for (name, r) in [
        ("i2r.aead [0..16)", 0..16),
        ("i2r.len [16..48)", 16..48),
        ("r2i.aead [48..64)", 48..64),
        ("r2i.len [64..96)", 64..96),
        ("id [96..112)", 96..112),
        ("challenge [112..144)", 112..144),
    ] {
        assert_eq!(&out[r], b(split, name).as_slice(), "{name}");
    }
}

#[test]
fn session2_frames_recompute() {
    let (_, v) = load();
    let s2 = &v["session2"];
    let (k, ak) = (b(s2, "K"), b(s2, "access_key"));
    let mut out = [0u8; 144];
    susurro_crypto::kdf_into(labels::S2_KEYS, &k, &[&ak], &mut [&mut out]);
    assert_eq!(out.as_slice(), b(s2, "S2_KEYS output (144 bytes)"));
    let split = &s2["split"];
    check_split(&out, split);
    let kt = b(s2, "Kt");
    let id = b(split, "id [96..112)");
    let mut keyed = [0u8; 96];
    susurro_crypto::kdf_into(labels::S2_KEYED, &kt, &[&id], &mut [&mut keyed]);
    let rk = &s2["rekey"];
    assert_eq!(
        keyed.as_slice(),
        b(
            rk,
            "S2_KEYED output = KDF(S2_KEYED, key = Kt, id) (96 bytes)"
        )
    );
    let keys = |set: &str| -> (Vec<u8>, Vec<u8>) {
        match set {
            "S2_KEYS i2r" => (b(split, "i2r.aead [0..16)"), b(split, "i2r.len [16..48)")),
            "S2_KEYS r2i" => (b(split, "r2i.aead [48..64)"), b(split, "r2i.len [64..96)")),
            "S2_KEYED i2r" => (keyed[0..16].to_vec(), keyed[16..48].to_vec()),
            "S2_KEYED r2i" => (keyed[48..64].to_vec(), keyed[64..96].to_vec()),
            s => panic!("key set {s}"),
        }
    };
    let frames = s2["frames (in sending order)"].as_array().unwrap();
    let mut seen_kinds = std::collections::BTreeSet::new();
    let mut next_counter = std::collections::BTreeMap::new();
    for f in frames {
        let set = f["keys"].as_str().unwrap();
        let (k_aead, k_len) = keys(set);
        let counter = u(f, "counter");
        // Counters start at 0 per direction and key set, one per frame.
        let want = next_counter.entry(set.to_owned()).or_insert(0u64);
        assert_eq!(counter, *want, "{set}");
        *want += 1;
        let kind = u8::try_from(u(f, "kind byte")).unwrap();
        seen_kinds.insert((f["direction"].as_str().unwrap().to_owned(), kind));
        let data = b(f, "data");
        let pad = usize::try_from(u(f, "padding_len")).unwrap();
        let data_len = u16::try_from(data.len()).unwrap();
        let body = [&[kind][..], &data_len.to_le_bytes(), &data, &vec![0u8; pad]].concat();
        assert_eq!(
            body,
            b(f, "body = kind || LE16(data_len) || data || zero padding")
        );
        let len = u16::try_from(body.len()).unwrap();
        // The length mask: keystream bytes 2c and 2c+1 of (S2_LENGTH, k_len, "").
        let mut ks = vec![0u8; 2 * usize::try_from(counter).unwrap() + 2];
        KeyStream::new(labels::S2_LENGTH, &k_len, &[]).apply_keystream(&mut ks);
        let mask = &ks[ks.len() - 2..];
        assert_eq!(
            mask,
            b(f, "length mask = keystream bytes [2*counter, 2*counter+2)")
        );
        let l_masked: Vec<u8> = len
            .to_le_bytes()
            .iter()
            .zip(mask)
            .map(|(x, m)| x ^ m)
            .collect();
        assert_eq!(l_masked, b(f, "L' = LE16(body_len) XOR mask"));
        let mut nonce = [0u8; 12];
        nonce[4..].copy_from_slice(&counter.to_le_bytes());
        assert_eq!(
            nonce.as_slice(),
            b(f, "OCB3 nonce = 00000000 || LE64(counter)")
        );
        let mut c = body.clone();
        let t = SerpentOcb::new_128(&k_aead.try_into().unwrap())
            .seal_in_place(&nonce, &l_masked, &mut c)
            .unwrap();
        assert_eq!(c, b(f, "C"));
        assert_eq!(t.as_slice(), b(f, "T"));
        assert_eq!(
            [l_masked.as_slice(), &c, &t].concat(),
            b(f, "frame = L' || C || T")
        );
    }
    // Every kind both ways (Hello only A->B, Welcome only B->A).
    for kind in 3..=6u8 {
        for dir in ["A->B", "B->A"] {
            assert!(seen_kinds.contains(&(dir.to_owned(), kind)), "{dir} {kind}");
        }
    }
    assert!(seen_kinds.contains(&("A->B".to_owned(), 1)));
    assert!(seen_kinds.contains(&("B->A".to_owned(), 2)));
    // The hello message is the id and the first frame.
    let hello = [id.as_slice(), &b(&frames[0], "frame = L' || C || T")].concat();
    assert_eq!(hello, b(s2, "hello message = id || Hello frame"));
    assert_eq!(frames[0]["kind"], "Hello");
    assert_eq!(b(&frames[0], "data"), b(&v["proof_of_work"], "LE64(nonce)"));
}

#[test]
fn proof_of_work_recomputes() {
    let (_, v) = load();
    let p = &v["proof_of_work"];
    let challenge = b(p, "challenge");
    assert_eq!(
        challenge,
        b(&v["session2"]["split"], "challenge [112..144)")
    );
    let effort = u(p, "effort");
    let zero_bits = |h: &[u8]| -> u64 {
        let mut n = 0;
        for &x in h {
            if x == 0 {
                n += 8;
            } else {
                return n + u64::from(x.leading_zeros());
            }
        }
        n
    };
    for (entry, valid) in [(p, true), (&p["failing"], false)] {
        let nonce = u(entry, "nonce");
        assert_eq!(nonce.to_le_bytes().as_slice(), b(entry, "LE64(nonce)"));
        // H in hash mode over the framed parts challenge, LE64(nonce).
        let h: [u8; 32] = hash(labels::POW, &[&challenge, &nonce.to_le_bytes()]);
        let mut by_parts = H::new(labels::POW);
        by_parts.absorb(&challenge).absorb(&nonce.to_le_bytes());
        assert_eq!(by_parts.finalize::<32>(), h);
        let key = if valid {
            "hash = H(POW, challenge, LE64(nonce))[0..32]"
        } else {
            "hash"
        };
        assert_eq!(h.as_slice(), b(entry, key));
        assert_eq!(zero_bits(&h), u(entry, "leading zero bits"));
        assert_eq!(zero_bits(&h) >= effort, valid);
        assert_eq!(entry["valid"], valid);
    }
    // The default policy: min(22, 14 + floor(log2(pending + 1))).
    for e in p["default effort policy (base 14, max 22): effort for pending session 2s"]
        .as_array()
        .unwrap()
    {
        let pending = u(e, "pending");
        assert_eq!(u(e, "effort"), (14 + (pending + 1).ilog2() as u64).min(22));
    }
}

#[test]
fn extra_path_keys_recompute_and_differ_by_role() {
    let (_, v) = load();
    let x = &v["extra_paths"];
    let kt = b(x, "Kt");
    assert_eq!(kt, b(&v["session2"], "Kt"));
    let ak = b(x, "access_key (the listener's: the TCP one above)");
    let paths = x["paths"].as_array().unwrap();
    assert_eq!(paths.len(), 4);
    let mut ids = std::collections::BTreeSet::new();
    for p in paths {
        let n = u32::try_from(u(p, "n")).unwrap();
        let role = b(p, "role byte");
        let want_role = match p["dialer"].as_str().unwrap() {
            "A (originator)" => 0x01,
            "B (responder)" => 0x02,
            d => panic!("dialer {d}"),
        };
        assert_eq!(role, [want_role]);
        let kn = kdf::<32>(labels::EXTRA_PATH, &kt, &[&ak, &role, &n.to_le_bytes()]);
        assert_eq!(
            kn.expose().as_slice(),
            b(
                p,
                "K_n = KDF(EXTRA_PATH, key = Kt, ak, role, LE32(n))[0..32]"
            )
        );
        let mut out = [0u8; 144];
        susurro_crypto::kdf_into(labels::S2_KEYS, kn.expose(), &[&ak], &mut [&mut out]);
        assert_eq!(out.as_slice(), b(p, "S2_KEYS output of K_n (144 bytes)"));
        check_split(&out, &p["split"]);
        assert!(ids.insert(out[96..112].to_vec()), "two paths share an id");
    }
}
