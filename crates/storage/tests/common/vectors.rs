//! The store file format vector generator, shared by
//! `examples/gen_storage_vectors.rs` (writes `docs/vectors/storage.json`) and
//! `tests/vectors.rs` (checks it).
//!
//! Every image comes from the real [`Store`] (fixed entropy, fixed
//! passwords, fixed clock), saved through an in-memory backend or the real
//! [`FlashStore`]. Every intermediate value is then derived from the image
//! and the password with the crate's public format functions
//! (`format::master_key`, `password_keys`, `verifier`, `body_keys`,
//! `tag_hasher`, `check_hasher`) and checked against the image bytes and
//! against the store's own view (public key, book), while each use of H is
//! recorded (`h_trace`) with its mode, label, key, parts and output.

#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use serde_json::{Value, json};
use susurro_crypto::argon::{Argon2Block, Argon2Params};
use susurro_crypto::chacha::ChaCha20Stream;
use susurro_crypto::{Label, Point, Secret32, SecretKey, fingerprint};
use susurro_storage::Persist;
use susurro_storage::flash::{Flash, FlashStore, SLOT_HEADER, SLOT_LABEL, SLOT_MAGIC};
use susurro_storage::format::{
    self, BODY_LABEL, BODY_PREFIX, CHECK_LABEL, CHECK_LEN, CHUNK, FAILED_OFFSET, HEADER_LEN,
    Header, KIND_OFFSET, PASSWORD_LABEL, TAG_LABEL, TAG_LEN, VERIFIER_LABEL,
};
use susurro_storage::{HeapMemory, Lockout, MemFlash, Profile, State, Store};
use susurro_vectors::Trace;
pub use susurro_vectors::hx;
use susurro_wire::Instant;
use susurro_wire::codec::{Field, Writer};
use susurro_wire::{Address, Contact, Name, Note, Text, contact_flags};

/// The file this module generates, under `docs/vectors/`.
pub const FILE: &str = "storage.json";
/// RAM arena of the stores built here.
pub const BOOK: usize = 4096;
/// The command that regenerates the file.
pub const REGENERATE: &str =
    "cargo run -p susurro-storage --example gen_storage_vectors -- docs/vectors";

pub type VecStore = Store<VecPersist, HeapMemory, BOOK>;

/// The library's in-memory backend.
pub type VecPersist = susurro_storage::MemoryPersist;

/// Hex field of a JSON value.
pub fn hd(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))).unwrap()
}

fn label_json(name: &str, l: Label) -> Value {
    json!({
        "constant": name,
        "ascii": String::from_utf8_lossy(l.as_bytes()),
        "hex": hex::encode(l.as_bytes()),
    })
}

/// The stream cut into the framed parts of the tag and the check.
pub fn chunks(stream: &[u8]) -> Vec<&[u8]> {
    stream.chunks(CHUNK).collect()
}

fn xor(a: &[u8], b: &[u8]) -> Vec<u8> {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| x ^ y).collect()
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes(b[..4].try_into().unwrap())
}

/// One contact to add.
pub struct NewContact {
    pub name: String,
    pub key: [u8; 32],
    pub address: Address,
    pub note: &'static str,
    pub flags: u8,
    pub unix: u64,
}

/// One store to build.
pub struct Spec {
    pub name: &'static str,
    pub description: &'static str,
    /// The 32 bytes of "fresh" entropy mixed into the store's generator.
    pub seed: [u8; 32],
    pub password: &'static str,
    pub profile: Profile,
    pub contacts: Vec<NewContact>,
    /// Contact ids deleted after all adds.
    pub delete: &'static [u32],
}

fn seed(s: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out[..s.len()].copy_from_slice(s);
    out
}

/// A contact's long-term key: the X25519 public key of `[b; 32]`.
fn contact_key(b: u8) -> [u8; 32] {
    SecretKey::from_bytes(&[b; 32]).public_key().to_bytes()
}

/// The ed25519 base point: a valid onion v3 service key.
pub const ONION_KEY: [u8; 32] = {
    let mut k = [0x66u8; 32];
    k[0] = 0x58;
    k
};

/// The book store's password (NFC), and the same text in NFD, which is
/// a different password: no normalisation happens anywhere.
pub const BOOK_PASSWORD: &str = "J\u{fc}rgen\u{2019}s \u{2713} passphrase";
pub const BOOK_PASSWORD_NFD: &str = "Ju\u{308}rgen\u{2019}s \u{2713} passphrase";
pub const WRONG_PASSWORD: &str = "not the password";
/// A note of the largest size (128 bytes): it makes the book's tag stream
/// exactly 3 × 256 bytes.
pub const BOB_NOTE: &str = "Works nights; call after 22:00 h. This note is exactly 128 bytes, so that the tag stream is 3 x 256 bytes and has no empty part.";

pub fn specs() -> Vec<Spec> {
    let auto_key = contact_key(0x13);
    let fp = fingerprint(&Point::from_bytes(auto_key));
    let auto_name = format!("+3f9a-{}", &hex::encode(fp)[..16]);
    let mut docs_key = [0u8; 32];
    docs_key[0] = 1;
    docs_key[31] = 0x40;
    vec![
        Spec {
            name: "docs_hex_example",
            description: "The hex example of docs/storage.md: test profile, password 'pw', one contact 'Bob' (key 01 00.. 40, no address, empty note, flags 0, created = updated = 1700000000).",
            seed: [0x42; 32],
            password: "pw",
            profile: Profile::TEST_ONLY_INSECURE,
            contacts: vec![NewContact {
                name: "Bob".into(),
                key: docs_key,
                address: Address::None,
                note: "",
                flags: 0,
                unix: 1_700_000_000,
            }],
            delete: &[],
        },
        Spec {
            name: "book",
            description: "Test profile, a non-ASCII password, five contacts added (every address type, a verified one, an auto-added one, non-ASCII text) and contact 3 deleted, so ids are 1 2 4 5 and next_id is 6. The body spans several 256-byte parts; the tag stream is exactly 768 bytes, three full parts and no empty fourth one.",
            seed: seed(b"susurro-storage vectors v1: book"),
            password: BOOK_PASSWORD,
            profile: Profile::TEST_ONLY_INSECURE,
            contacts: vec![
                NewContact {
                    name: "Alice".into(),
                    key: contact_key(0x11),
                    address: Address::Onion {
                        key: ONION_KEY,
                        port: 9999,
                    },
                    note: "met at the caf\u{e9}\nverified in person",
                    flags: contact_flags::VERIFIED,
                    unix: 1_700_000_001,
                },
                NewContact {
                    name: "Bob".into(),
                    key: contact_key(0x12),
                    address: Address::Tcp {
                        host: Text::new("voice.example.org").unwrap(),
                        port: 4444,
                    },
                    note: BOB_NOTE,
                    flags: 0,
                    unix: 1_700_000_002,
                },
                NewContact {
                    name: "Carol (deleted)".into(),
                    key: contact_key(0x14),
                    address: Address::None,
                    note: "deleted again: ids are never reused",
                    flags: 0,
                    unix: 1_700_000_003,
                },
                NewContact {
                    name: auto_name,
                    key: auto_key,
                    address: Address::None,
                    note: "",
                    flags: contact_flags::AUTO_ADDED,
                    unix: 1_700_000_004,
                },
                NewContact {
                    name: "D\u{f6}rte M\u{fc}ller".into(),
                    key: contact_key(0x15),
                    address: Address::Tcp {
                        host: Text::new("192.0.2.7").unwrap(),
                        port: 7070,
                    },
                    note: "A longer note, so that the body crosses more than one 256-byte part: \u{2600}\u{fe0f} lorem ipsum dolor sit amet.",
                    flags: contact_flags::VERIFIED,
                    unix: 1_700_000_005,
                },
            ],
            delete: &[3],
        },
        Spec {
            name: "lanes_and_passes",
            description: "Argon2id with two lanes and two passes (m = 64 KiB, t = 2, p = 2), 5 attempts then wipe (flags bit 0 set, lockout_s 0), an empty book (count 0, body_len 40: the tag stream is one part).",
            seed: seed(b"susurro-storage vectors v1: lane"),
            password: "correct horse battery staple",
            profile: Profile {
                kdf: Argon2Params {
                    m_cost_kib: 64,
                    t_cost: 2,
                    p_cost: 2,
                },
                max_attempts: 5,
                lockout: Lockout::Wipe,
            },
            contacts: vec![],
            delete: &[],
        },
    ]
}

/// Runs the real store: create, add, delete.
pub fn build<P: Persist, const B: usize>(spec: &Spec, persist: P) -> Store<P, HeapMemory, B> {
    let mut s: Store<P, HeapMemory, B> = Store::new(persist, HeapMemory::new(1), spec.profile);
    s.mix_entropy(&spec.seed, true);
    assert_eq!(s.open(Instant::ZERO).unwrap(), State::NoIdentity);
    s.create(spec.password.as_bytes()).unwrap();
    for c in &spec.contacts {
        s.add(
            c.unix,
            &Name::new(&c.name).unwrap(),
            &c.key,
            &c.address,
            &Note::new(c.note).unwrap(),
            c.flags,
        )
        .unwrap();
    }
    for id in spec.delete {
        s.delete(*id).unwrap();
    }
    s
}

pub fn committed(s: &mut VecStore) -> Vec<u8> {
    s.persist_mut().committed.clone().unwrap()
}

pub fn address_json(a: &Address) -> Value {
    match a {
        Address::None => json!({ "type": "none" }),
        Address::Onion { key, port } => json!({ "type": "onion", "key": hx(key), "port": port }),
        Address::Tcp { host, port } => {
            json!({ "type": "tcp", "host": host.as_str(), "port": port })
        }
    }
}

pub fn contact_json(c: &Contact) -> Value {
    json!({
        "id": c.id,
        "name": c.name.as_str(),
        "key": hx(&c.key),
        "address": address_json(&c.address),
        "note": c.note.as_str(),
        "flags": c.flags,
        "created": c.created,
        "updated": c.updated,
    })
}

fn enc<F: Field>(f: &F) -> Vec<u8> {
    let mut buf = [0u8; 512];
    let mut w = Writer::new(&mut buf);
    f.encode(&mut w).unwrap();
    let n = w.position();
    buf[..n].to_vec()
}

/// One record: `len:u16le ‖ Contact`, field by field.
fn record_json(c: &Contact, record: &[u8]) -> Value {
    let fields: Vec<(&str, Vec<u8>)> = vec![
        ("len", record[..2].to_vec()),
        ("id", enc(&c.id)),
        ("name", enc(&c.name)),
        ("key", enc(&c.key)),
        ("address", enc(&c.address)),
        ("note", enc(&c.note)),
        ("flags", enc(&c.flags)),
        ("created", enc(&c.created)),
        ("updated", enc(&c.updated)),
    ];
    let cat: Vec<u8> = fields.iter().flat_map(|(_, b)| b.clone()).collect();
    assert_eq!(cat, record, "record of contact {}", c.id);
    assert_eq!(enc(c), record[2..]);
    json!({
        "contact": contact_json(c),
        "len": record.len() - 2,
        "fields": fields
            .iter()
            .map(|(n, b)| json!({ "field": n, "hex": hx(b) }))
            .collect::<Vec<_>>(),
        "record": hx(record),
    })
}

/// Splits the encoded records.
pub fn split_records(mut b: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let n = 2 + usize::from(u16::from_le_bytes([b[0], b[1]]));
        out.push(&b[..n]);
        b = &b[n..];
    }
    out
}

fn header_json(hb: &[u8; HEADER_LEN]) -> Value {
    let h = Header::decode(hb).unwrap();
    json!({
        "hex": hx(hb),
        "magic": hx(&hb[0..8]),
        "version": u16::from_le_bytes([hb[8], hb[9]]),
        "kind": h.kind,
        "flags": h.flags,
        "m_cost_kib": h.kdf.m_cost_kib,
        "t_cost": h.kdf.t_cost,
        "p_cost": h.kdf.p_cost,
        "max_attempts": h.max_attempts,
        "failed": h.failed,
        "reserved": hx(&hb[26..28]),
        "lockout_s": h.lockout_s,
        "salt": hx(&h.salt),
        "wrapped_dk": hx(&h.wrapped_dk),
        "verifier": hx(&h.verifier),
        "nonce": hx(&h.nonce),
        "body_len": h.body_len,
    })
}

fn header_of(image: &[u8]) -> [u8; HEADER_LEN] {
    image[..HEADER_LEN].try_into().unwrap()
}

/// The check over `image` (its last 16 bytes), recorded.
fn check_of(t: &mut Trace, image: &[u8]) -> Vec<u8> {
    let end = image.len() - CHECK_LEN;
    let c = t.hash(
        "check = H16(CHECK, image[0..len-16] in 256-byte parts)",
        CHECK_LABEL,
        &chunks(&image[..end]),
        CHECK_LEN,
    );
    let mut lib = format::check_hasher();
    lib.update(&image[..end]);
    assert_eq!(c, lib.finish::<CHECK_LEN>());
    assert_eq!(c, image[end..], "check");
    c
}

/// Every intermediate value of one image, derived from it and the
/// password with the crate's public format functions and checked against
/// the store that wrote it.
fn image_json(spec: &Spec, store: &VecStore, image: &[u8]) -> Value {
    let mut t = Trace::default();
    let hb = header_of(image);
    let hdr = Header::decode(&hb).unwrap();
    assert_eq!(hdr.image_len(), image.len());
    let pw = spec.password.as_bytes();
    // Argon2id.
    let blocks = hdr.kdf.blocks_needed();
    let mut mem = vec![Argon2Block::new(); blocks];
    let master = format::master_key(&hdr.kdf, pw, &hdr.salt, &mut mem).unwrap();
    // Kv ‖ Kw.
    let (kv, kw) = format::password_keys(&master);
    let kvw = t.kdf(
        "Kv || Kw = KDF(PASSWORD, master)",
        PASSWORD_LABEL,
        master.expose(),
        &[],
        64,
    );
    assert_eq!(kvw[..32], kv.expose()[..]);
    assert_eq!(kvw[32..], kw.expose()[..]);
    let dk = xor(&hdr.wrapped_dk, kw.expose());
    let dk = Secret32::new(dk.try_into().unwrap());
    // Verifier.
    let vparts = format::auth_parts(&hb, 80);
    let v = t.mac(
        "verifier = MAC16(VERIFIER, Kv, header[0..10], header[11..25], header[26..80])",
        VERIFIER_LABEL,
        kv.expose(),
        &vparts,
        16,
    );
    assert_eq!(v, format::verifier(&kv, &hb));
    assert_eq!(v, hdr.verifier);
    // Ke ‖ Km.
    let (ke, km) = format::body_keys(&dk, &hdr.nonce);
    let kem = t.kdf(
        "Ke || Km = KDF(BODY, DK, nonce)",
        BODY_LABEL,
        dk.expose(),
        &[&hdr.nonce],
        64,
    );
    assert_eq!(kem[..32], ke.expose()[..]);
    assert_eq!(kem[32..], km.expose()[..]);
    // Body.
    let body_len = hdr.body_len as usize;
    let ct = &image[HEADER_LEN..HEADER_LEN + body_len];
    let mut ks = vec![0u8; body_len];
    ChaCha20Stream::new(ke.expose(), &hdr.nonce)
        .apply_keystream(&mut ks)
        .unwrap();
    let pt = xor(ct, &ks);
    let identity: [u8; 32] = pt[..32].try_into().unwrap();
    let public = SecretKey::from_bytes(&identity).public_key();
    assert_eq!(public, store.public_key().unwrap(), "identity");
    let next_id = le32(&pt[32..36]);
    let count = le32(&pt[36..40]);
    assert_eq!(count, store.book().count());
    assert_eq!(pt[BODY_PREFIX..], *store.book().bytes());
    let contacts: Vec<Contact> = store.book().iter().collect();
    let records = split_records(&pt[BODY_PREFIX..]);
    if spec.name == "book" {
        assert_eq!(BOB_NOTE.len(), 128);
        assert_eq!(
            HEADER_LEN - 2 + body_len,
            3 * CHUNK,
            "tag stream of the book"
        );
    }
    assert_eq!(records.len(), contacts.len());
    // Tag.
    let mut stream: Vec<u8> = format::auth_parts(&hb, HEADER_LEN).concat();
    let auth_header = stream.clone();
    stream.extend_from_slice(ct);
    let tag = t.mac(
        "tag = MAC32(TAG, Km, (header without bytes 10 and 25 || ciphertext) in 256-byte parts)",
        TAG_LABEL,
        km.expose(),
        &chunks(&stream),
        TAG_LEN,
    );
    let mut lib = format::tag_hasher(&km);
    lib.update(&stream);
    assert_eq!(tag, lib.finish::<TAG_LEN>());
    let tag_at = HEADER_LEN + body_len;
    assert_eq!(tag, image[tag_at..tag_at + TAG_LEN], "tag");
    // Check.
    let check = check_of(&mut t, image);
    let check_in = &image[..image.len() - CHECK_LEN];
    json!({
        "name": spec.name,
        "description": spec.description,
        "entropy": hx(&spec.seed),
        "password": { "utf8": spec.password, "hex": hx(pw) },
        "header": header_json(&hb),
        "argon2id": {
            "password": hx(pw),
            "salt": hx(&hdr.salt),
            "m_cost_kib": hdr.kdf.m_cost_kib,
            "t_cost": hdr.kdf.t_cost,
            "p_cost": hdr.kdf.p_cost,
            "version": 0x13,
            "secret": "",
            "associated_data": "",
            "tag_length": format::MASTER_LEN,
            "memory_blocks": blocks,
            "output": hx(master.expose()),
        },
        "master": hx(master.expose()),
        "kv": hx(kv.expose()),
        "kw": hx(kw.expose()),
        "dk": hx(dk.expose()),
        "wrapped_dk": hx(&hdr.wrapped_dk),
        "verifier_input": vparts.iter().map(|p| hx(p)).collect::<Vec<_>>(),
        "verifier": hx(&v),
        "nonce": hx(&hdr.nonce),
        "ke": hx(ke.expose()),
        "km": hx(km.expose()),
        "plaintext": {
            "identity_secret": hx(&identity),
            "identity_public": hx(&public.to_bytes()),
            "next_id": next_id,
            "count": count,
            "prefix": hx(&pt[..BODY_PREFIX]),
            "records": contacts
                .iter()
                .zip(&records)
                .map(|(c, r)| record_json(c, r))
                .collect::<Vec<_>>(),
            "hex": hx(&pt),
        },
        "keystream": hx(&ks),
        "ciphertext": hx(ct),
        "tag_input": {
            "header_without_bytes_10_and_25": hx(&auth_header),
            "stream_len": stream.len(),
            "part_lens": chunks(&stream).iter().map(|p| p.len()).collect::<Vec<_>>(),
        },
        "tag": hx(&tag),
        "check_input": {
            "stream_len": check_in.len(),
            "part_lens": chunks(check_in).iter().map(|p| p.len()).collect::<Vec<_>>(),
        },
        "check": hx(&check),
        "image": hx(image),
        "h_trace": t.0,
    })
}

/// Offsets where two equally long images differ.
pub fn diff(a: &[u8], b: &[u8]) -> Vec<usize> {
    assert_eq!(a.len(), b.len());
    (0..a.len()).filter(|&i| a[i] != b[i]).collect()
}

/// A variant of a store image (backup, counter): what changed and its
/// new check.
fn variant_json(name: &str, description: &str, source: &[u8], image: &[u8]) -> Value {
    let mut t = Trace::default();
    let check = check_of(&mut t, image);
    let end = image.len() - CHECK_LEN;
    let changed: Vec<usize> = diff(source, image)
        .into_iter()
        .filter(|&i| i < end)
        .collect();
    json!({
        "name": name,
        "description": description,
        "source": "book",
        "header": header_json(&header_of(image)),
        "changed_offsets_before_check": changed,
        "check": hx(&check),
        "image": hx(image),
        "h_trace": t.0,
    })
}

fn flash_json(spec: &Spec, docs_image: &[u8]) -> Value {
    let flash = MemFlash::new(2, 0);
    let slot_size = flash.capacity() / 2;
    let mut s: Store<FlashStore<MemFlash>, HeapMemory, BOOK> = build(spec, FlashStore::new(flash));
    let image = {
        let p = s.persist_mut();
        let n = p.committed_len().unwrap().unwrap() as usize;
        let mut b = vec![0u8; n];
        p.read(0, &mut b).unwrap();
        b
    };
    assert_eq!(image, docs_image, "same store, same bytes");
    let mut flash = s.into_persist().into_inner();
    let base = slot_size; // create wrote slot 0 (seq 1), the add slot 1 (seq 2)
    let mut hdr = [0u8; SLOT_HEADER];
    flash.read(base, &mut hdr).unwrap();
    let mut on_flash = vec![0u8; image.len()];
    flash.read(base + SLOT_HEADER, &mut on_flash).unwrap();
    assert_eq!(on_flash, image);
    assert_eq!(hdr[0..4], SLOT_MAGIC);
    let seq = le32(&hdr[4..8]);
    let len = le32(&hdr[8..12]);
    assert_eq!(seq, 2);
    assert_eq!(len as usize, image.len());
    let mut t = Trace::default();
    let mut parts: Vec<&[u8]> = Vec::new();
    let (s4, l4) = (seq.to_le_bytes(), len.to_le_bytes());
    parts.push(&s4);
    parts.push(&l4);
    parts.extend(chunks(&image));
    let check = t.hash(
        "slot check = H16(SLOT, LE32(seq), LE32(len), image in 256-byte parts)",
        SLOT_LABEL,
        &parts,
        16,
    );
    assert_eq!(check, hdr[12..28]);
    assert_eq!(hdr[28..32], [0xFF; 4]);
    json!({
        "description": "The docs_hex_example store on a two-slot flash (MemFlash, 2 sectors of 4096 bytes: slot 0 at 0, slot 1 at 4096). create saved seq 1 into slot 0, the add saved seq 2 into slot 1, which holds: slot header (32 bytes) then the image (identical to docs_hex_example's). The header is written last; at boot the valid slot with the highest seq wins.",
        "slot": 1,
        "slot_offset": base,
        "seq": seq,
        "len": len,
        "check": hx(&check),
        "reserved": hx(&hdr[28..32]),
        "slot_header": hx(&hdr),
        "image": hx(&image),
        "h_trace": t.0,
    })
}

const PASSWORD_ENCODING: &str = "The password is a byte string, passed to Argon2id exactly as given: no Unicode normalisation, no case folding, no trimming, no terminator. Every front end hands over the UTF-8 bytes of the text as typed (apps/cli: SUSURRO_PASSWORD as is, or the first line of --password-file with its line ending (\\n or \\r\\n) removed, or the terminal prompt without its newline; apps/desktop: the text field, or the first line of --password-file). Over the module bus it travels as a wire Password (at most 128 bytes; the UI refuses longer ones and empty ones); the host's backup and restore commands call the store directly with the same bytes. An empty password is refused. So the NFC and NFD spellings of the same text (c3bc vs 75cc88 for 'ü') are different passwords.";

pub fn file() -> Value {
    let specs = specs();
    let mut stores = Vec::new();
    let mut extra = serde_json::Map::new();
    let mut docs_image = Vec::new();
    for spec in &specs {
        let mut s: VecStore = build(spec, VecPersist::default());
        let image = committed(&mut s);
        let d = image_json(spec, &s, &image);
        if spec.name == "docs_hex_example" {
            docs_image = image.clone();
        }
        if spec.name == "book" {
            // A wrong password: the counter is persisted before the try.
            s.lock();
            assert!(s.unlock(Instant::ZERO, WRONG_PASSWORD.as_bytes()).is_err());
            let failed = committed(&mut s);
            let mut v = variant_json(
                "failed_counter",
                "The book store after one wrong password ('not the password'): byte 25 (failed) is 1 and the check is new; the verifier, tag and every other byte are unchanged, because bytes 10 and 25 are outside the verifier and the tag but inside the check.",
                &image,
                &failed,
            );
            v["wrong_password"] = json!({
                "utf8": WRONG_PASSWORD,
                "hex": hx(WRONG_PASSWORD.as_bytes()),
            });
            extra.insert("failed_counter".into(), v);
            // The right password resets the counter: the original bytes.
            s.unlock(Instant::ZERO, spec.password.as_bytes()).unwrap();
            assert_eq!(committed(&mut s), image);
            let mut dst = VecPersist::default();
            s.export_backup(&mut dst).unwrap();
            let backup = dst.committed.unwrap();
            extra.insert(
                "backup".into(),
                variant_json(
                    "backup",
                    "Store::export_backup of the book store: the same image with byte 10 (kind) = 2 and byte 25 (failed) = 0, and a new check. Store::restore reads it with the book's password and writes it back with kind 1.",
                    &image,
                    &backup,
                ),
            );
        }
        stores.push(d);
    }
    let flash = flash_json(&specs[0], &docs_image);
    json!({
        "description": "Store file format (version 1) known answers: see docs/storage.md. Each entry of 'stores' is an image written by the real Store from fixed entropy and a fixed password, with every intermediate value: Argon2id input and output (master), Kv || Kw, DK, the verifier's three input parts, Ke || Km, the plaintext body record by record, the ChaCha20 keystream (key Ke, nonce, counter from 0; as long as the body), the ciphertext, the tag and check inputs cut into 256-byte parts, and the whole image. h_trace lists each use of the sponge H (docs/protocol.md, Primitives): mode, label (ASCII), key, parts (each absorbed as LE64(len) || part), output. 'entropy' is the 32 bytes the store's DRBG was seeded with (informative: the format does not depend on the DRBG; salt, nonce, DK and identity are recovered from the image and the password). 'backup' and 'failed_counter' are variants of the 'book' image; 'flash_slot' is the docs example stored in a flash slot.",
        "regenerate": REGENERATE,
        "password_encoding": PASSWORD_ENCODING,
        "chunking": "The tag and the check absorb a byte stream (tag: header without bytes 10 and 25, i.e. header[0..10] || header[11..25] || header[26..112], then the body ciphertext; check: every image byte before the check) cut into consecutive 256-byte pieces, each one framed part; the last piece is shorter (1..256 bytes); no empty part. part_lens lists the piece lengths.",
        "labels": [
            label_json("CHECK_LABEL", CHECK_LABEL),
            label_json("TAG_LABEL", TAG_LABEL),
            label_json("VERIFIER_LABEL", VERIFIER_LABEL),
            label_json("PASSWORD_LABEL", PASSWORD_LABEL),
            label_json("BODY_LABEL", BODY_LABEL),
            label_json("SLOT_LABEL", SLOT_LABEL),
        ],
        "offsets": { "kind": KIND_OFFSET, "failed": FAILED_OFFSET },
        "stores": stores,
        "backup": extra["backup"],
        "failed_counter": extra["failed_counter"],
        "flash_slot": flash,
    })
}

/// The file's text: pretty JSON and a final newline.
pub fn text() -> String {
    susurro_vectors::text(&file())
}
