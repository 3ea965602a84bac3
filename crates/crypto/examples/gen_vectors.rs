//! Regenerates `docs/vectors/crypto-h.json` and `docs/vectors/elligator2.json`.
//!
//! ```sh
//! cargo run -p susurro-crypto --example gen_vectors -- docs/vectors
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
use susurro_crypto::x25519::{self, EphemeralKeyPair, Representative, SecretKey};

/// Seed of the vector generator: ASCII "susurro-crypto vectors v1", zero-padded.
const SEED: [u8; 32] = *b"susurro-crypto vectors v1\0\0\0\0\0\0\0";

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
        "regenerate": "cargo run -p susurro-crypto --example gen_vectors -- docs/vectors",
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
    let mut inputs: Vec<Vec<u8>> = vec![Vec::new(), b"shared tag".to_vec()];
    inputs.extend((0..4).map(|i| bytes(rng, [1usize, 32, 64, 100][i])));
    for input in inputs {
        let mut hh = h::H::new(labels::HASH_TO_POINT);
        hh.absorb(&input);
        let mut r = [0u8; 64];
        hh.finalize_into(&mut r);
        let p = x25519::hash_to_point(&input)?;
        h2p.push(json!({
            "input": hex::encode(&input),
            "h_output": hex::encode(r),
            "point": hex::encode(p.as_bytes()),
        }));
    }

    Ok(json!({
        "description": "Elligator2 (curve25519-elligator2 Randomized variant) keys and representatives, representative decoding, and hash-to-point E(x) = u(8 * (map(r0) + map(r1))) with r0||r1 = H(HASH_TO_POINT, x)[..64]. See docs/protocol.md, section Primitives.",
        "regenerate": "cargo run -p susurro-crypto --example gen_vectors -- docs/vectors",
        "hash_to_point_label": label_json(labels::HASH_TO_POINT),
        "keypairs": keypairs,
        "no_representative": no_rep,
        "decode": decode,
        "hash_to_point": h2p,
    }))
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
