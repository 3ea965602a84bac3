//! Checks the code against `docs/vectors/crypto-h.json` and
//! `docs/vectors/elligator2.json` entry by entry. Regenerate the files with
//! `cargo run -p susurro-crypto --example gen_crypto_vectors -- docs/vectors`.

// Test helpers outside `#[test]` functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use susurro_crypto::h::{self, H, KeyStream, Label, Sponge, keccak_p800, labels};
use susurro_crypto::x25519::steps::{self, EdwardsView};
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

fn view(v: &Value) -> EdwardsView {
    EdwardsView {
        compressed: hx32(&v["edwards"]),
        u: hx32(&v["u"]),
    }
}

fn field_element(r: &[u8; 32]) -> [u8; 32] {
    let mut f = *r;
    f[31] &= 0x3f;
    f
}

#[test]
fn elligator2_small_order_points_and_key_pair_steps() {
    let d = load("elligator2.json");
    let points = list(&d, "small_order_points");
    assert_eq!(points.len(), 8);
    for (n, e) in (0u8..).zip(points) {
        assert_eq!(e["k0_mod_8"].as_u64(), Some(u64::from(n)));
        let want = view(&e["point"]);
        assert_eq!(steps::small_order_point(n), want);
        // Only the three low bits of k[0] choose it.
        assert_eq!(steps::small_order_point(n | 0xf8), want);
    }
    let entries = list(&d, "keypairs_by_torsion");
    let mut seen = [false; 8];
    for e in entries {
        let secret = hx32(&e["secret"]);
        let n = secret[0] & 7;
        assert_eq!(e["k0_mod_8"].as_u64(), Some(u64::from(n)));
        seen[usize::from(n)] = true;
        let tweak = u8::try_from(e["tweak"].as_u64().unwrap()).unwrap();
        let st = steps::key_pair_steps(&secret);
        assert_eq!(st.torsion_index, n);
        assert_eq!(st.small_order, view(&e["small_order_point"]));
        assert_eq!(st.small_order, view(&points[usize::from(n)]["point"]));
        assert_eq!(st.clamped, view(&e["clamped_times_base"]));
        assert_eq!(st.public, view(&e["public_point"]));
        let pair = EphemeralKeyPair::from_secret(&secret, tweak).unwrap();
        let rep = hx32(&e["representative"]);
        assert_eq!(pair.representative().to_bytes(), rep);
        assert_eq!(pair.public_key().to_bytes(), st.public.u);
        assert_eq!(pair.secret().public_key().to_bytes(), st.clamped.u);
        assert_eq!(
            Representative::from_bytes(rep).to_point().to_bytes(),
            st.public.u
        );
        // The map's Edwards point has the public point's u (its x sign may differ).
        assert_eq!(steps::map_edwards(&rep).u, st.public.u);
    }
    assert_eq!(seen, [true; 8], "one key pair for each k[0] mod 8");
}

#[test]
fn elligator2_tweak_bits() {
    let d = load("elligator2.json");
    for e in list(&d, "tweak") {
        let secret = hx32(&e["secret"]);
        let public = hx32(&e["public_key"]);
        let by_tweak = e["by_tweak"].as_array().unwrap();
        let mut low = [None, None];
        for t in by_tweak {
            let tweak = u8::try_from(t["tweak"].as_u64().unwrap()).unwrap();
            let pair = EphemeralKeyPair::from_secret(&secret, tweak).unwrap();
            let rep = hx32(&t["representative"]);
            assert_eq!(pair.representative().to_bytes(), rep);
            assert_eq!(pair.public_key().to_bytes(), public);
            // Bits 6 and 7 of the tweak are bits 254 and 255 of R.
            assert_eq!(rep[31] & 0xc0, tweak & 0xc0);
            let fe = field_element(&rep);
            assert_eq!(fe.to_vec(), hx(&t["field_element"]));
            // The low 254 bits depend on bit 0 of the tweak only.
            let slot = &mut low[usize::from(tweak & 1)];
            assert_eq!(*slot.get_or_insert(fe), fe);
            let map = steps::map_edwards(&rep);
            assert_eq!(map, view(&t["map"]));
            assert_eq!(map.u, public);
        }
        let (Some(r0), Some(r1)) = (low[0], low[1]) else {
            panic!("both values of tweak bit 0 must be present");
        };
        assert_ne!(r0, r1);
        // Both preimages decode to the same u; their Edwards maps are
        // opposite points (same y, x of opposite sign).
        let m0 = steps::map_edwards(&r0).compressed;
        let m1 = steps::map_edwards(&r1).compressed;
        assert_eq!(m0[..31], m1[..31]);
        assert_eq!(m0[31] ^ m1[31], 0x80);
    }
}

#[test]
fn elligator2_map_entries() {
    let d = load("elligator2.json");
    for e in list(&d, "map") {
        let input = hx32(&e["input"]);
        assert_eq!(field_element(&input).to_vec(), hx(&e["field_element"]));
        let m = steps::map_edwards(&input);
        assert_eq!(m.u, hx32(&e["u"]));
        assert_eq!(m.compressed, hx32(&e["edwards"]));
        assert_eq!(Representative::from_bytes(input).to_point().to_bytes(), m.u);
        // The top two bits are ignored.
        assert_eq!(steps::map_edwards(&field_element(&input)), m);
    }
}

#[test]
fn hash_to_point_steps_vectors() {
    let d = load("elligator2.json");
    let plain = list(&d, "hash_to_point");
    let stepped = list(&d, "hash_to_point_steps");
    assert_eq!(plain.len(), stepped.len());
    for (p, e) in plain.iter().zip(stepped) {
        assert_eq!(p["input"], e["input"]);
        let input = hx(&e["input"]);
        let st = steps::hash_to_point_steps(&input);
        let mut r = hx(&e["r0"]);
        r.extend(hx(&e["r1"]));
        assert_eq!(st.r.to_vec(), r);
        assert_eq!(r, hx(&p["h_output"]));
        assert_eq!(st.q0, view(&e["q0"]));
        assert_eq!(st.q1, view(&e["q1"]));
        assert_eq!(steps::map_edwards(&hx32(&e["r0"])), st.q0);
        assert_eq!(steps::map_edwards(&hx32(&e["r1"])), st.q1);
        assert_eq!(st.sum, view(&e["q0_plus_q1"]));
        assert_eq!(st.cleared, view(&e["times_8"]));
        assert_eq!(st.cleared.u, hx32(&e["point"]));
        assert_eq!(hash_to_point(&input).unwrap().to_bytes(), st.cleared.u);
    }
}

#[test]
fn small_order_points_are_multiples_of_t() {
    use curve25519_elligator2::edwards::CompressedEdwardsY;
    use curve25519_elligator2::traits::IsIdentity;
    use curve25519_elligator2::{EdwardsPoint, Scalar};
    let dec = |v: &EdwardsView| CompressedEdwardsY(v.compressed).decompress().unwrap();
    // T: order 8, even x (bit 255 of its encoding clear), u = 5f9c…1157.
    let t_view = steps::small_order_point(1);
    assert_eq!(t_view.compressed[31] & 0x80, 0);
    assert_eq!(
        hex::encode(t_view.u),
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"
    );
    let t = dec(&t_view);
    let four_t = t + t + t + t;
    assert!(t.mul_by_cofactor().is_identity() && !four_t.is_identity());
    let mut acc = EdwardsPoint::default();
    for n in 0u8..8 {
        assert_eq!(dec(&steps::small_order_point(n)), acc, "L for n = {n}");
        acc += t;
    }
    // public = clamp(k)·B + L, as Edwards points.
    let k = [0x5bu8; 32];
    let st = steps::key_pair_steps(&k);
    assert_eq!(dec(&st.public), dec(&st.clamped) + dec(&st.small_order));
    let mut clamped = k;
    clamped[0] &= 248;
    clamped[31] &= 127;
    clamped[31] |= 64;
    // B has order l, so reducing the clamped integer mod l changes nothing.
    let s = Scalar::from_bytes_mod_order(clamped);
    assert_eq!(EdwardsPoint::mul_base(&s), dec(&st.clamped));
}
