//! The known-answer vector of the file transfer, shared by
//! `examples/gen_files_vectors.rs` (writes `docs/vectors/files.json`) and
//! `tests/vectors.rs` (checks it): a fixed key and a 600-byte content, its
//! content hash, its three encrypted chunks, the record key derived from a
//! fixed store key, and the wire encoding of the transfer's messages.

#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use serde_json::{Value, json};
use susurro_files::format::labels::RECORD_KEY;
use susurro_files::{CONTENT_LABEL, FileMessage, content_hash, crypt_chunk, offer_message};
use susurro_vectors::{Trace, hx};
use susurro_wire::{FileAccept, FileAck, FileChunk, FileDone};

/// The file key: bytes 00 01 … 1f.
pub fn key() -> [u8; 32] {
    core::array::from_fn(|i| i as u8)
}

/// The content: byte `i` is `(7 i + 3) mod 256`, 600 bytes.
pub fn content() -> Vec<u8> {
    (0..600u32).map(|i| (i * 7 + 3) as u8).collect()
}

/// The transfer id.
pub const FILE: u64 = 0x0123_4567_89ab_cdef;
/// The store key a front end passes in: bytes 20 21 … 3f.
pub fn store_key() -> [u8; 32] {
    core::array::from_fn(|i| 0x20 + i as u8)
}

fn wire(m: &FileMessage) -> Value {
    let mut buf = [0u8; susurro_wire::caps::FILE_BODY];
    let n = m.encode_to(&mut buf).unwrap();
    hx(&buf[..n])
}

pub fn all() -> Vec<(&'static str, Value)> {
    let key = key();
    let content = content();
    let mut trace = Trace::default();
    let hash = trace.hash("content hash", CONTENT_LABEL, &[&content], 32);
    assert_eq!(hash, content_hash(&content));
    trace.kdf("record key", RECORD_KEY, &store_key(), &[], 32);
    let mut chunks = Vec::new();
    let mut messages = serde_json::Map::new();
    let hash32: [u8; 32] = hash.clone().try_into().unwrap();
    messages.insert(
        "FileOffer".into(),
        wire(&offer_message(FILE, 600, &hash32, &key, "vector.bin")),
    );
    messages.insert(
        "FileAccept".into(),
        wire(&FileMessage::FileAccept(FileAccept {
            file: FILE,
            next: 0,
        })),
    );
    for (i, plain) in content.chunks(256).enumerate() {
        let mut c = plain.to_vec();
        crypt_chunk(&key, i as u32, &mut c).unwrap();
        chunks.push(json!({
            "index": i,
            "offset": i * 256,
            "plaintext": hx(plain),
            "ciphertext": hx(&c),
        }));
        messages.insert(
            format!("FileChunk{i}"),
            wire(&FileMessage::FileChunk(FileChunk {
                file: FILE,
                index: i as u32,
                data: susurro_wire::Bytes::new(&c).unwrap(),
            })),
        );
    }
    messages.insert(
        "FileAck".into(),
        wire(&FileMessage::FileAck(FileAck {
            file: FILE,
            next: 3,
        })),
    );
    messages.insert(
        "FileDone".into(),
        wire(&FileMessage::FileDone(FileDone {
            file: FILE,
            saved: true,
        })),
    );
    let v = json!({
        "description": "File transfer (susurro-files): a 600-byte content under a fixed file key. content hash = H(hash mode, susurro/files/content/v1, [content]), 32 bytes; chunk i = content[256 i .. min(256 (i+1), 600)] XOR ChaCha20(key, nonce 00 x 12) from byte offset 256 i; record key = KDF(susurro/files/record-key/v1, store key), 32 bytes. Messages: FileMessage::encode_to. Regenerate with `cargo run -p susurro-files --example gen_files_vectors -- docs/vectors`.",
        "key": hx(&key),
        "nonce": hx(&[0u8; 12]),
        "file": format!("{FILE:016x}"),
        "size": 600,
        "content": hx(&content),
        "content_hash": hx(&hash),
        "chunks": chunks,
        "store_key": hx(&store_key()),
        "messages": messages,
        "h_trace": trace.0,
    });
    vec![("files.json", v)]
}
