#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Checks the code against `docs/vectors/cryptor-*.json`: every file is
//! regenerated (running the real state machines with the fixed seeds) and
//! must equal the stored one, and every recorded use of H is recomputed from
//! its recorded inputs with `susurro-crypto` alone.

#[path = "common/vectors.rs"]
mod vectors;

use susurro_vectors::load;

#[test]
fn files_match_the_code() {
    for (name, fresh) in vectors::all() {
        let stored = load(name);
        assert_eq!(
            stored, fresh,
            "{name} differs from the code; regenerate with `cargo run -p susurro-cryptor --example gen_cryptor_vectors -- docs/vectors` and review"
        );
    }
}

#[test]
fn every_h_use_recomputes() {
    let mut n = 0;
    for name in [
        "cryptor-ike.json",
        "cryptor-session.json",
        "cryptor-xfer.json",
        "cryptor-compare.json",
    ] {
        n += susurro_vectors::check_traces(&load(name));
    }
    assert!(n > 60, "only {n} trace entries");
}

#[test]
fn every_label_appears_in_a_trace() {
    let mut seen = std::collections::BTreeSet::new();
    for name in [
        "cryptor-ike.json",
        "cryptor-session.json",
        "cryptor-xfer.json",
        "cryptor-compare.json",
    ] {
        let text = std::fs::read_to_string(format!(
            "{}/../../docs/vectors/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        for (n, l) in susurro_cryptor::labels::ALL {
            if text.contains(&format!(
                "\"label\": \"{}\"",
                String::from_utf8_lossy(l.as_bytes())
            )) {
                seen.insert(*n);
            }
        }
    }
    let missing: Vec<_> = susurro_cryptor::labels::ALL
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| !seen.contains(n))
        .collect();
    assert!(missing.is_empty(), "labels without vectors: {missing:?}");
}

#[test]
fn labels_are_distinct_and_prefixed() {
    let all = susurro_cryptor::labels::ALL;
    for (i, (_, a)) in all.iter().enumerate() {
        assert!(a.as_bytes().starts_with(b"susurro/cryptor/"));
        for (_, b) in &all[i + 1..] {
            assert_ne!(a, b);
        }
        for c in [
            susurro_crypto::h::labels::FINGERPRINT,
            susurro_crypto::h::labels::HASH_TO_POINT,
        ] {
            assert_ne!(*a, c);
        }
    }
}
