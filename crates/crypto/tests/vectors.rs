//! Checks the code against `docs/vectors/crypto-h.json` and
//! `docs/vectors/elligator2.json` entry by entry. Regenerate the files with
//! `cargo run -p susurro-crypto --example gen_vectors -- docs/vectors`.

// Test helpers outside `#[test]` functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use susurro_crypto::h::{self, H, KeyStream, Label, Sponge, keccak_p800, labels};
use susurro_crypto::x25519::{
    self, EphemeralKeyPair, Point, Representative, SecretKey, hash_to_point,
};
use susurro_crypto::{Error, ct_eq};

fn load(name: &str) -> Value {
    let path = format!("{}/../../docs/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn hx(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn hx32(v: &Value) -> [u8; 32] {
    hx(v).try_into().unwrap()
}

fn list<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    let l = v[key].as_array().unwrap();
    assert!(!l.is_empty(), "{key} has no entries");
    l
}

fn parts(v: &Value) -> Vec<Vec<u8>> {
    v.as_array().unwrap().iter().map(hx).collect()
}

fn label(v: &Value) -> Label {
    // Labels are &'static by design; leaking in a test is fine.
    let bytes: &'static [u8] = Box::leak(hx(&v["hex"]).into_boxed_slice());
    assert_eq!(String::from_utf8_lossy(bytes), v["ascii"].as_str().unwrap());
    Label::new(bytes)
}

#[test]
fn keccak_p800_zero_state() {
    let d = load("crypto-h.json");
    let want: Vec<u32> = d["keccak_p800_22_zero_state"]["output_lanes_hex"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| u32::from_str_radix(l.as_str().unwrap(), 16).unwrap())
        .collect();
    let mut st = [0u32; 25];
    keccak_p800(&mut st);
    assert_eq!(st[0], 0xe531_d45d, "XKCP KeccakP-800 zero-state vector");
    assert_eq!(st.to_vec(), want);
}

#[test]
fn raw_sponge() {
    let d = load("crypto-h.json");
    for e in list(&d, "sponge_raw") {
        let want = hx(&e["output"]);
        let mut s = Sponge::new();
        s.absorb(&hx(&e["input"]));
        let mut got = vec![0u8; want.len()];
        s.finalize().squeeze(&mut got);
        assert_eq!(got, want);
    }
}

#[test]
fn hash_vectors() {
    let d = load("crypto-h.json");
    for e in list(&d, "hash") {
        let l = label(&e["label"]);
        let p = parts(&e["parts"]);
        let refs: Vec<&[u8]> = p.iter().map(Vec::as_slice).collect();
        let want = hx(&e["output"]);
        let mut got = vec![0u8; want.len()];
        h::hash_into(l, &refs, &mut got);
        assert_eq!(got, want);
        // Incremental form, squeezed in two pieces.
        let mut inc = H::new(l);
        for part in &refs {
            inc.absorb(part);
        }
        let mut r = inc.finalize_xof();
        let mut got2 = vec![0u8; want.len()];
        let (a, b) = got2.split_at_mut(want.len() / 3);
        r.squeeze(a);
        r.squeeze(b);
        assert_eq!(got2, want);
        // Known labels match the constants.
        if let Some(k) = labels::ALL.iter().find(|k| k.as_bytes() == l.as_bytes()) {
            assert_eq!(*k, l);
        }
    }
}

#[test]
fn mac_kdf_stream_vectors() {
    let d = load("crypto-h.json");
    for e in list(&d, "mac") {
        let l = label(&e["label"]);
        let key = hx(&e["key"]);
        let p = parts(&e["parts"]);
        let refs: Vec<&[u8]> = p.iter().map(Vec::as_slice).collect();
        let want = hx(&e["output"]);
        let got: [u8; 32] = h::mac(l, &key, &refs);
        assert_eq!(got.to_vec(), want);
        assert_eq!(h::verify_mac::<32>(l, &key, &refs, &want), Ok(()));
        let mut bad = want.clone();
        bad[0] ^= 1;
        assert_eq!(
            h::verify_mac::<32>(l, &key, &refs, &bad),
            Err(Error::AuthenticationFailed)
        );
        // A prefix of the right tag is a forgery, not a shorter match; so
        // is the right tag with a byte appended, or an empty tag.
        for n in [0, 1, 8, 16, 31] {
            assert_eq!(
                h::verify_mac::<32>(l, &key, &refs, &want[..n]),
                Err(Error::AuthenticationFailed),
                "prefix of {n} bytes"
            );
        }
        let mut long = want.clone();
        long.push(0);
        assert_eq!(
            h::verify_mac::<32>(l, &key, &refs, &long),
            Err(Error::AuthenticationFailed)
        );
        assert_eq!(h::verify_mac::<16>(l, &key, &refs, &want[..16]), Ok(()));
    }
    for e in list(&d, "kdf") {
        let l = label(&e["label"]);
        let key = hx(&e["key"]);
        let ctx = parts(&e["context"]);
        let refs: Vec<&[u8]> = ctx.iter().map(Vec::as_slice).collect();
        let want = parts(&e["outputs"]);
        let lens: Vec<usize> = e["output_lengths"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| usize::try_from(n.as_u64().unwrap()).unwrap())
            .collect();
        let mut outs: Vec<Vec<u8>> = lens.iter().map(|&n| vec![0u8; n]).collect();
        let mut slots: Vec<&mut [u8]> = outs.iter_mut().map(Vec::as_mut_slice).collect();
        h::kdf_into(l, &key, &refs, &mut slots);
        assert_eq!(outs, want);
        let whole = h::kdf::<98>(l, &key, &refs);
        assert_eq!(whole.expose().to_vec(), want.concat());
    }
    for e in list(&d, "stream") {
        let l = label(&e["label"]);
        let pt = hx(&e["plaintext"]);
        let want = hx(&e["ciphertext"]);
        let mut buf = pt.clone();
        KeyStream::new(l, &hx(&e["key"]), &hx(&e["nonce"])).apply_keystream(&mut buf);
        assert_eq!(buf, want);
    }
    for e in list(&d, "fingerprint") {
        let sk = SecretKey::from_bytes(&hx32(&e["secret_key"]));
        let pk = sk.public_key();
        assert_eq!(pk.to_bytes(), hx32(&e["public_key"]));
        assert_eq!(x25519::fingerprint(&pk).to_vec(), hx(&e["fingerprint"]));
    }
}

#[test]
fn elligator2_keypairs() {
    let d = load("elligator2.json");
    let mut saw_dirty = false;
    for e in list(&d, "keypairs") {
        let tweak = u8::try_from(e["tweak"].as_u64().unwrap()).unwrap();
        let pair = EphemeralKeyPair::from_secret(&hx32(&e["secret"]), tweak).unwrap();
        let rep = hx32(&e["representative"]);
        assert_eq!(pair.representative().to_bytes(), rep);
        assert_eq!(pair.public_key().to_bytes(), hx32(&e["public_key"]));
        assert_eq!(
            pair.secret().public_key().to_bytes(),
            hx32(&e["standard_public_key"])
        );
        saw_dirty |= e["public_key"] != e["standard_public_key"];
        // representative -> point
        let decoded = Representative::from_bytes(rep).to_point();
        assert_eq!(decoded, pair.public_key());
        // point + peer -> shared, both directions
        let peer = SecretKey::from_bytes(&hx32(&e["peer_secret"]));
        assert_eq!(peer.public_key().to_bytes(), hx32(&e["peer_public_key"]));
        let shared = hx32(&e["shared"]);
        assert!(ct_eq(
            peer.diffie_hellman(&decoded).unwrap().expose(),
            &shared
        ));
        assert!(ct_eq(
            pair.diffie_hellman(&peer.public_key()).unwrap().expose(),
            &shared
        ));
    }
    assert!(
        saw_dirty,
        "vectors should include a key with a low-order component"
    );
    for e in list(&d, "no_representative") {
        let tweak = u8::try_from(e["tweak"].as_u64().unwrap()).unwrap();
        assert_eq!(
            EphemeralKeyPair::from_secret(&hx32(&e["secret"]), tweak).err(),
            Some(Error::NoRepresentative)
        );
    }
}

#[test]
fn elligator2_decode_and_hash_to_point() {
    let d = load("elligator2.json");
    for e in list(&d, "decode") {
        let p = Representative::from_bytes(hx32(&e["representative"])).to_point();
        assert_eq!(p, Point::from_bytes(hx32(&e["point"])));
    }
    assert_eq!(
        label(&d["hash_to_point_label"]).as_bytes(),
        labels::HASH_TO_POINT.as_bytes()
    );
    for e in list(&d, "hash_to_point") {
        let input = hx(&e["input"]);
        let mut hh = H::new(labels::HASH_TO_POINT);
        hh.absorb(&input);
        let mut r = [0u8; 64];
        hh.finalize_into(&mut r);
        assert_eq!(r.to_vec(), hx(&e["h_output"]));
        assert_eq!(hash_to_point(&input).unwrap().to_bytes(), hx32(&e["point"]));
    }
}
