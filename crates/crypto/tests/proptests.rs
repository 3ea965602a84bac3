//! Property tests: AEAD round trips and tamper rejection, Elligator2
//! decoding, DH agreement, H split invariance.

// Test helpers outside `#[test]` functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chacha20::ChaCha20Rng;
use proptest::prelude::*;
use rand_core::SeedableRng;
use susurro_crypto::chacha::ChaCha20Stream;
use susurro_crypto::h::{self, H, KeyStream, Label};
use susurro_crypto::serpent_ocb::SerpentOcb;
use susurro_crypto::x25519::{EphemeralKeyPair, Representative, SecretKey};
use susurro_crypto::{Error, hash_to_point};

const L: Label = Label::new(b"susurro/crypto/proptest/v1");

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn ocb_round_trip_and_tamper(
        key in proptest::collection::vec(any::<u8>(), 16..=32),
        nonce in any::<[u8; 12]>(),
        aad in proptest::collection::vec(any::<u8>(), 0..40),
        msg in proptest::collection::vec(any::<u8>(), 0..200),
        flip in any::<usize>(),
        bit in 0u8..8,
    ) {
        let c = SerpentOcb::new_from_slice(&key).unwrap();
        let mut buf = msg.clone();
        let tag = c.seal_in_place(&nonce, &aad, &mut buf).unwrap();
        let ct = buf.clone();
        c.open_in_place(&nonce, &aad, &mut buf, &tag).unwrap();
        prop_assert_eq!(&buf, &msg);

        // Flip one bit somewhere in ciphertext || tag || aad || nonce.
        let mut ct2 = ct.clone();
        let mut tag2 = tag;
        let mut aad2 = aad.clone();
        let mut nonce2 = nonce;
        let total = ct.len() + 16 + aad.len() + 12;
        let i = flip % total;
        let m = 1u8 << bit;
        if i < ct.len() { ct2[i] ^= m; }
        else if i < ct.len() + 16 { tag2[i - ct.len()] ^= m; }
        else if i < ct.len() + 16 + aad.len() { aad2[i - ct.len() - 16] ^= m; }
        else { nonce2[i - ct.len() - 16 - aad.len()] ^= m; }
        prop_assert_eq!(
            c.open_in_place(&nonce2, &aad2, &mut ct2, &tag2),
            Err(Error::AuthenticationFailed)
        );
        prop_assert!(ct2.iter().all(|&b| b == 0));
    }

    #[test]
    fn representative_decodes_to_public_key_and_dh_agrees(seed in any::<[u8; 32]>()) {
        let mut rng = ChaCha20Rng::from_seed(seed);
        let a = EphemeralKeyPair::generate(&mut rng).unwrap();
        let b = EphemeralKeyPair::generate(&mut rng).unwrap();
        let a_pub = a.representative().to_point();
        let b_pub = b.representative().to_point();
        prop_assert_eq!(a_pub, a.public_key());
        prop_assert_eq!(b_pub, b.public_key());
        let s_ab = a.diffie_hellman(&b_pub).unwrap();
        let s_ba = b.diffie_hellman(&a_pub).unwrap();
        prop_assert_eq!(&s_ab, &s_ba);
        // A long-term key works with the representative-decoded key too.
        let c = SecretKey::generate(&mut rng);
        prop_assert_eq!(
            c.diffie_hellman(&a_pub).unwrap(),
            a.diffie_hellman(&c.public_key()).unwrap()
        );
    }

    #[test]
    fn any_representative_decodes_and_dh_never_panics(r in any::<[u8; 32]>(), k in any::<[u8; 32]>()) {
        let p = Representative::from_bytes(r).to_point();
        // Either a usable shared point or the typed low-order error.
        match SecretKey::from_bytes(&k).diffie_hellman(&p) {
            Ok(s) => prop_assert!(s.expose().iter().any(|&b| b != 0)),
            Err(e) => prop_assert_eq!(e, Error::LowOrderPoint),
        }
    }

    #[test]
    fn spake_agreement_on_hashed_base(tag in proptest::collection::vec(any::<u8>(), 0..64), seed in any::<[u8; 32]>()) {
        let mut rng = ChaCha20Rng::from_seed(seed);
        let p = hash_to_point(&tag).unwrap();
        let u = SecretKey::generate(&mut rng);
        let v = SecretKey::generate(&mut rng);
        let big_u = u.mul_point(&p).unwrap();
        let big_v = v.mul_point(&p).unwrap();
        prop_assert_eq!(u.diffie_hellman(&big_v).unwrap(), v.diffie_hellman(&big_u).unwrap());
    }

    #[test]
    fn h_incremental_equals_one_shot(
        parts in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..150), 0..5),
        out_len in 0usize..300,
        split in any::<usize>(),
    ) {
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        let mut one = vec![0u8; out_len];
        h::hash_into(L, &refs, &mut one);
        let mut inc = H::new(L);
        inc.absorb_all(&refs);
        let mut r = inc.finalize_xof();
        let mut two = vec![0u8; out_len];
        let s = if out_len == 0 { 0 } else { split % out_len };
        let (a, b) = two.split_at_mut(s);
        r.squeeze(a);
        r.squeeze(b);
        prop_assert_eq!(one, two);
    }

    #[test]
    fn stream_ciphers_round_trip(
        key in any::<[u8; 32]>(),
        nonce in any::<[u8; 12]>(),
        msg in proptest::collection::vec(any::<u8>(), 0..300),
        split in any::<usize>(),
    ) {
        let s = if msg.is_empty() { 0 } else { split % msg.len() };
        let mut buf = msg.clone();
        KeyStream::new(L, &key, &nonce).apply_keystream(&mut buf);
        let mut ks = KeyStream::new(L, &key, &nonce);
        let (a, b) = buf.split_at_mut(s);
        ks.apply_keystream(a);
        ks.apply_keystream(b);
        prop_assert_eq!(&buf, &msg);

        let mut buf = msg.clone();
        ChaCha20Stream::new(&key, &nonce).apply_keystream(&mut buf).unwrap();
        let mut cs = ChaCha20Stream::new(&key, &nonce);
        let (a, b) = buf.split_at_mut(s);
        cs.apply_keystream(a).unwrap();
        cs.apply_keystream(b).unwrap();
        prop_assert_eq!(&buf, &msg);
    }
}
