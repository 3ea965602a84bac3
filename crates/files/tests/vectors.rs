#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Checks the code against `docs/vectors/files.json`: the file is
//! regenerated and must equal the stored one, every recorded use of H is
//! recomputed with `susurro-crypto` alone, and the chunks decrypt back to
//! the content and decode as wire messages.

#[path = "common/vectors.rs"]
mod vectors;

use susurro_files::{ChunkSink, Instant, Pace, Receiver};
use susurro_files::{FileMessage, MemorySink, Secret, chunk_count, content_hash, crypt_chunk};
use susurro_vectors::load;

fn bytes(v: &serde_json::Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

#[test]
fn the_file_matches_the_code() {
    for (name, fresh) in vectors::all() {
        assert_eq!(
            load(name),
            fresh,
            "{name} differs from the code; regenerate with `cargo run -p susurro-files --example gen_files_vectors -- docs/vectors` and review"
        );
    }
}

#[test]
fn the_vector_recomputes_from_its_inputs() {
    let v = load("files.json");
    assert_eq!(susurro_vectors::check_traces(&v), 2);
    let key: [u8; 32] = bytes(&v["key"]).try_into().unwrap();
    let content = bytes(&v["content"]);
    assert_eq!(content.len(), 600);
    assert_eq!(content_hash(&content).to_vec(), bytes(&v["content_hash"]));
    let chunks = v["chunks"].as_array().unwrap();
    assert_eq!(chunks.len() as u32, chunk_count(600).unwrap());
    let mut ciphertext = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        let mut d = bytes(&c["ciphertext"]);
        assert_eq!(d.len(), if i == 2 { 88 } else { 256 });
        ciphertext.extend_from_slice(&d);
        crypt_chunk(&key, i as u32, &mut d).unwrap();
        assert_eq!(d, bytes(&c["plaintext"]));
        assert_eq!(d, content[i * 256..(i * 256 + 256).min(600)]);
        // The chunk message carries exactly these bytes.
        let m = FileMessage::decode_from(&bytes(&v["messages"][format!("FileChunk{i}")])).unwrap();
        let FileMessage::FileChunk(m) = m else {
            panic!()
        };
        assert_eq!(
            (m.index, m.data.as_slice()),
            (i as u32, &ciphertext[i * 256..])
        );
    }
    // The offer decodes, and a receiver given these chunks saves the
    // content.
    let FileMessage::FileOffer(offer) =
        FileMessage::decode_from(&bytes(&v["messages"]["FileOffer"])).unwrap()
    else {
        panic!()
    };
    assert_eq!((offer.size, offer.key), (600, key));
    assert_eq!(offer.name.as_str(), "vector.bin");
    let now = Instant::from_millis(1);
    let mut r = Receiver::new(now, &offer, Pace::Message).unwrap();
    let mut sink = MemorySink::new(600, offer.hash, Secret::new(key), Vec::new());
    r.accept(now, &mut sink);
    for i in 0..3 {
        let m = FileMessage::decode_from(&bytes(&v["messages"][format!("FileChunk{i}")])).unwrap();
        let out = r.handle(now, &m, &mut sink);
        if i == 2 {
            assert_eq!(out.len(), 2);
            assert_eq!(
                out[0],
                FileMessage::decode_from(&bytes(&v["messages"]["FileAck"])).unwrap()
            );
            assert_eq!(
                out[1],
                FileMessage::decode_from(&bytes(&v["messages"]["FileDone"])).unwrap()
            );
        }
    }
    assert_eq!(sink.held(), 3);
    assert_eq!(sink.saved(), Some(&content[..]));
}
