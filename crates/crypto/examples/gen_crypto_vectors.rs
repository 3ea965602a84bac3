//! Regenerates `docs/vectors/crypto-h.json` and `docs/vectors/elligator2.json`.
//!
//! ```sh
//! cargo run -p susurro-crypto --example gen_crypto_vectors -- docs/vectors
//! ```
//!
//! Inputs come from a ChaCha20 generator with a fixed seed, so the output is
//! byte-for-byte reproducible. `tests/vectors.rs` reads the files back and
//! recomputes every entry.

use std::error::Error as StdError;
use std::path::PathBuf;

use chacha20::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use serde_json::{Value, json};
use susurro_crypto::h::{self, KeyStream, Label, Sponge, keccak_p800, labels};
use susurro_crypto::x25519::steps::{self, EdwardsView};
use susurro_crypto::x25519::{self, EphemeralKeyPair, Representative, SecretKey};

/// Seed of the vector generator: ASCII "susurro-crypto vectors v1", zero-padded.
const SEED: [u8; 32] = *b"susurro-crypto vectors v1\0\0\0\0\0\0\0";

/// Seed of the generator for the step-by-step Elligator2 entries, added
/// later: a second stream, so the first one (and every entry drawn from it)
/// stays as it was.
const SEED_STEPS: [u8; 32] = *b"susurro-crypto vectors v2 steps\0";

fn bytes(rng: &mut ChaCha20Rng, n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    rng.fill_bytes(&mut v);
    v
}

fn arr32(rng: &mut ChaCha20Rng) -> [u8; 32] {
    let mut a = [0u8; 32];
    rng.fill_bytes(&mut a);
    a
}

fn label_json(l: Label) -> Value {
    json!({
        "ascii": String::from_utf8_lossy(l.as_bytes()),
        "hex": hex::encode(l.as_bytes()),
    })
}

fn hexes(parts: &[Vec<u8>]) -> Vec<String> {
    parts.iter().map(hex::encode).collect()
}

fn crypto_h(rng: &mut ChaCha20Rng) -> Value {
    let mut st = [0u32; 25];
    keccak_p800(&mut st);
    let lanes: Vec<String> = st.iter().map(|l| format!("{l:08x}")).collect();

    let lengths = [
        0usize, 1, 3, 4, 31, 32, 59, 60, 66, 67, 68, 69, 135, 136, 137, 300,
    ];

    let mut sponge = Vec::new();
    for &n in &lengths {
        let input = bytes(rng, n);
        let mut s = Sponge::new();
        s.absorb(&input);
        let mut out = [0u8; 150];
        s.finalize().squeeze(&mut out);
        sponge.push(json!({ "input": hex::encode(&input), "output": hex::encode(out) }));
    }

    let odd_labels = [
        labels::TEST_VECTOR,
        Label::new(b""),
        Label::new(b"\x00\xff binary label"),
        Label::new(&[b'L'; 80]),
    ];

    let mut hash = Vec::new();
    let part_counts = [0usize, 1, 2, 3, 5];
    for (i, &n) in lengths.iter().enumerate() {
        let label = odd_labels[i % odd_labels.len()];
        let count = part_counts[i % part_counts.len()];
        let parts: Vec<Vec<u8>> = (0..count).map(|k| bytes(rng, (n + k * 7) % 140)).collect();
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        let out_len = [16usize, 32, 64, 100, 200][i % 5];
        let mut out = vec![0u8; out_len];
        h::hash_into(label, &refs, &mut out);
        hash.push(json!({
            "label": label_json(label),
            "parts": hexes(&parts),
            "output": hex::encode(&out),
        }));
    }

    let mut mac = Vec::new();
    for i in 0..6 {
        let key = bytes(rng, [0usize, 16, 32, 68, 100, 5][i]);
        let parts: Vec<Vec<u8>> = (0..i % 3 + 1).map(|k| bytes(rng, 10 * k + i)).collect();
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        let tag: [u8; 32] = h::mac(labels::TEST_VECTOR, &key, &refs);
        mac.push(json!({
            "label": label_json(labels::TEST_VECTOR),
            "key": hex::encode(&key),
            "parts": hexes(&parts),
            "output": hex::encode(tag),
        }));
    }

    let mut kdf = Vec::new();
    for i in 0..4 {
        let key = bytes(rng, 32);
        let context: Vec<Vec<u8>> = (0..i).map(|k| bytes(rng, 8 + k)).collect();
        let refs: Vec<&[u8]> = context.iter().map(Vec::as_slice).collect();
        // The IKE shape: Ke[16] Kd[16] Mx[16] My[16] Kt[32] SAS[2].
        let lens = [16usize, 16, 16, 16, 32, 2];
        let mut outs: Vec<Vec<u8>> = lens.iter().map(|&l| vec![0u8; l]).collect();
        let mut slots: Vec<&mut [u8]> = outs.iter_mut().map(Vec::as_mut_slice).collect();
        h::kdf_into(labels::TEST_VECTOR, &key, &refs, &mut slots);
        kdf.push(json!({
            "label": label_json(labels::TEST_VECTOR),
            "key": hex::encode(&key),
            "context": hexes(&context),
            "output_lengths": lens,
            "outputs": hexes(&outs),
        }));
    }

    let mut stream = Vec::new();
    for &n in &[0usize, 1, 68, 69, 200] {
        let key = bytes(rng, 32);
        let nonce = bytes(rng, 8);
        let pt = bytes(rng, n);
        let mut ct = pt.clone();
        KeyStream::new(labels::TEST_VECTOR, &key, &nonce).apply_keystream(&mut ct);
        stream.push(json!({
            "label": label_json(labels::TEST_VECTOR),
            "key": hex::encode(&key),
            "nonce": hex::encode(&nonce),
            "plaintext": hex::encode(&pt),
            "ciphertext": hex::encode(&ct),
        }));
    }

    let mut fingerprint = Vec::new();
    for _ in 0..4 {
        let sk = SecretKey::from_bytes(&arr32(rng));
        let pk = sk.public_key();
        fingerprint.push(json!({
            "secret_key": hex::encode(sk.to_secret_bytes().expose()),
            "public_key": hex::encode(pk.as_bytes()),
            "fingerprint": hex::encode(x25519::fingerprint(&pk)),
        }));
    }

    json!({
        "description": "Known answers for H, Susurro's Keccak-p[800,22] sponge (rate 68, capacity 32, SHAKE padding 0x1F..0x80) and its framed modes. See docs/protocol.md, section Primitives.",
        "regenerate": "cargo run -p susurro-crypto --example gen_crypto_vectors -- docs/vectors",
        "framing": "mode byte || LE64(len(label)) || label || LE64(len(part)) || part ...; modes hash=0x01 mac=0x02 kdf=0x03 stream=0x04; mac/kdf/stream: key is the first part, stream nonce the second",
        "keccak_p800_22_zero_state": { "output_lanes_hex": lanes },
        "sponge_raw": sponge,
        "hash": hash,
        "mac": mac,
        "kdf": kdf,
        "stream": stream,
        "fingerprint": fingerprint,
    })
}

fn elligator2(rng: &mut ChaCha20Rng) -> Result<Value, Box<dyn StdError>> {
    let mut keypairs = Vec::new();
    let mut no_rep = Vec::new();
    while keypairs.len() < 8 || no_rep.len() < 4 {
        let secret = arr32(rng);
        let tweak = rng.next_u32().to_le_bytes()[0];
        match EphemeralKeyPair::from_secret(&secret, tweak) {
            Ok(pair) if keypairs.len() < 8 => {
                let peer = SecretKey::from_bytes(&arr32(rng));
                let shared = peer.diffie_hellman(&pair.representative().to_point())?;
                keypairs.push(json!({
                    "secret": hex::encode(secret),
                    "tweak": tweak,
                    "representative": hex::encode(pair.representative().as_bytes()),
                    "public_key": hex::encode(pair.public_key().as_bytes()),
                    "standard_public_key": hex::encode(pair.secret().public_key().as_bytes()),
                    "peer_secret": hex::encode(peer.to_secret_bytes().expose()),
                    "peer_public_key": hex::encode(peer.public_key().as_bytes()),
                    "shared": hex::encode(shared.expose()),
                }));
            }
            Err(_) if no_rep.len() < 4 => {
                no_rep.push(json!({ "secret": hex::encode(secret), "tweak": tweak }));
            }
            _ => {}
        }
    }

    let mut decode = Vec::new();
    let mut fixed = vec![[0u8; 32], [0xffu8; 32]];
    fixed.extend((0..6).map(|_| arr32(rng)));
    for r in fixed {
        let p = Representative::from_bytes(r).to_point();
        decode
            .push(json!({ "representative": hex::encode(r), "point": hex::encode(p.as_bytes()) }));
    }

    let mut h2p = Vec::new();
    let mut h2p_steps = Vec::new();
    let mut inputs: Vec<Vec<u8>> = vec![Vec::new(), b"shared tag".to_vec()];
    inputs.extend((0..4).map(|i| bytes(rng, [1usize, 32, 64, 100][i])));
    for input in inputs {
        let mut hh = h::H::new(labels::HASH_TO_POINT);
        hh.absorb(&input);
        let mut r = [0u8; 64];
        hh.finalize_into(&mut r);
        let p = x25519::hash_to_point(&input)?;
        let st = steps::hash_to_point_steps(&input);
        assert_eq!(st.r, r);
        assert_eq!(st.cleared.u, p.to_bytes());
        let (r0, r1) = r.split_at(32);
        h2p_steps.push(json!({
            "input": hex::encode(&input),
            "r0": hex::encode(r0),
            "r0_field_element": hex::encode(field_element(r0)),
            "q0": view(&st.q0),
            "r1": hex::encode(r1),
            "r1_field_element": hex::encode(field_element(r1)),
            "q1": view(&st.q1),
            "q0_plus_q1": view(&st.sum),
            "times_8": view(&st.cleared),
            "point": hex::encode(p.as_bytes()),
        }));
        h2p.push(json!({
            "input": hex::encode(&input),
            "h_output": hex::encode(r),
            "point": hex::encode(p.as_bytes()),
        }));
    }

    let mut srng = ChaCha20Rng::from_seed(SEED_STEPS);
    let small_order: Vec<Value> = (0u8..8)
        .map(|n| json!({ "k0_mod_8": n, "point": view(&steps::small_order_point(n)) }))
        .collect();

    Ok(json!({
        "description": "Elligator2 (curve25519-elligator2 Randomized variant) keys and representatives, representative decoding, and hash-to-point E(x) = u(8 * (map(r0) + map(r1))) with r0||r1 = H(HASH_TO_POINT, x)[..64]. See docs/protocol.md, section Primitives.",
        "regenerate": "cargo run -p susurro-crypto --example gen_crypto_vectors -- docs/vectors",
        "hash_to_point_label": label_json(labels::HASH_TO_POINT),
        "keypairs": keypairs,
        "no_representative": no_rep,
        "decode": decode,
        "hash_to_point": h2p,
        "points_format": "Edwards points (edwards25519) are objects {edwards, u}: edwards = RFC 8032 encoding (y little-endian, bit 255 = x mod 2), u = Curve25519 u-coordinate (1+y)/(1-y) little-endian, 0 for the identity. field_element = the 32 bytes with the top two bits of byte 31 cleared (the integer the map reads).",
        "small_order_points": small_order,
        "keypairs_by_torsion": keypairs_by_torsion(&mut srng),
        "tweak": tweak_entries(&mut srng),
        "map": map_entries(&mut srng),
        "hash_to_point_steps": h2p_steps,
    }))
}

fn view(p: &EdwardsView) -> Value {
    json!({ "edwards": hex::encode(p.compressed), "u": hex::encode(p.u) })
}

/// The integer the Elligator2 map reads: the top two bits of byte 31 cleared.
fn field_element(r: &[u8]) -> [u8; 32] {
    let mut f: [u8; 32] = r.try_into().unwrap_or([0; 32]);
    f[31] &= 0x3f;
    f
}

/// One key pair for each `k[0] mod 8` with its small-order point, its
/// `clamp(k)·B` and the public point `clamp(k)·B + L`.
fn keypairs_by_torsion(rng: &mut ChaCha20Rng) -> Vec<Value> {
    let mut out = Vec::new();
    for n in 0u8..8 {
        loop {
            let mut secret = arr32(rng);
            secret[0] = (secret[0] & !7) | n;
            let tweak = rng.next_u32().to_le_bytes()[0];
            let Ok(pair) = EphemeralKeyPair::from_secret(&secret, tweak) else {
                continue;
            };
            let st = steps::key_pair_steps(&secret);
            assert_eq!(st.torsion_index, n);
            assert_eq!(st.small_order, steps::small_order_point(n));
            assert_eq!(st.public.u, pair.public_key().to_bytes());
            assert_eq!(st.clamped.u, pair.secret().public_key().to_bytes());
            out.push(json!({
                "secret": hex::encode(secret),
                "k0_mod_8": n,
                "tweak": tweak,
                "small_order_point": view(&st.small_order),
                "clamped_times_base": view(&st.clamped),
                "public_point": view(&st.public),
                "representative": hex::encode(pair.representative().as_bytes()),
            }));
            break;
        }
    }
    out
}

/// Two keys, each with several tweaks: bit 0 picks one of the two
/// preimages, bits 6 and 7 fill the top of byte 31, bits 1-5 do nothing.
fn tweak_entries(rng: &mut ChaCha20Rng) -> Vec<Value> {
    const TWEAKS: [u8; 6] = [0x00, 0x01, 0x40, 0x81, 0xc0, 0x3e];
    let mut out = Vec::new();
    while out.len() < 2 {
        let secret = arr32(rng);
        let pairs: Vec<EphemeralKeyPair> = TWEAKS
            .iter()
            .filter_map(|&t| EphemeralKeyPair::from_secret(&secret, t).ok())
            .collect();
        if pairs.len() != TWEAKS.len() {
            continue;
        }
        let public = pairs[0].public_key();
        let reps: Vec<Value> = TWEAKS
            .iter()
            .zip(&pairs)
            .map(|(&t, pair)| {
                let r = pair.representative().to_bytes();
                assert_eq!(pair.public_key(), public);
                json!({
                    "tweak": t,
                    "representative": hex::encode(r),
                    "field_element": hex::encode(field_element(&r)),
                    "map": view(&steps::map_edwards(&r)),
                })
            })
            .collect();
        out.push(json!({
            "secret": hex::encode(secret),
            "k0_mod_8": secret[0] & 7,
            "public_key": hex::encode(public.as_bytes()),
            "by_tweak": reps,
        }));
    }
    out
}

/// The Elligator2 map on chosen and random 32-byte strings: the field
/// element read, the u-coordinate (= `Representative::to_point`) and the
/// Edwards point (whose x sign shows the sign convention).
fn map_entries(rng: &mut ChaCha20Rng) -> Vec<Value> {
    let mut inputs: Vec<[u8; 32]> = Vec::new();
    inputs.push([0u8; 32]);
    let mut one = [0u8; 32];
    one[0] = 1;
    inputs.push(one);
    inputs.push([0xff; 32]);
    // (p - 1) / 2 = 2^254 - 10, the largest representative the key
    // generation produces; and 2^254 - 1, the largest value the map reads.
    let mut half = [0xff; 32];
    half[0] = 0xf6;
    half[31] = 0x3f;
    inputs.push(half);
    let mut top = [0xff; 32];
    top[31] = 0x3f;
    inputs.push(top);
    inputs.extend((0..8).map(|_| arr32(rng)));
    inputs
        .iter()
        .map(|r| {
            let m = steps::map_edwards(r);
            assert_eq!(m.u, Representative::from_bytes(*r).to_point().to_bytes());
            json!({
                "input": hex::encode(r),
                "field_element": hex::encode(field_element(r)),
                "u": hex::encode(m.u),
                "edwards": hex::encode(m.compressed),
            })
        })
        .collect()
}

fn main() -> Result<(), Box<dyn StdError>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "docs/vectors".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let mut rng = ChaCha20Rng::from_seed(SEED);
    let a = crypto_h(&mut rng);
    let b = elligator2(&mut rng)?;
    for (name, v) in [("crypto-h.json", a), ("elligator2.json", b)] {
        let path = dir.join(name);
        std::fs::write(&path, serde_json::to_string_pretty(&v)? + "\n")?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
