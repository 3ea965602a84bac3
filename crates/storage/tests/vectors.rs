#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Checks the code against `docs/vectors/storage.json`:
//!
//! (a) the file is regenerated in memory (running the real store with the
//!     fixed entropy and passwords) and must equal the stored one byte for
//!     byte;
//! (b) every derived value is recomputed from its stated inputs with
//!     `susurro-crypto` alone and the labels as spelled in
//!     `docs/storage.md` (Argon2id through the crypto wrapper, each use of
//!     H through `hash`/`mac`/`kdf`, the ChaCha20 keystream XOR, the
//!     256-byte chunking, the record encoding);
//! (c) the images of the file are opened with the real storage code and
//!     must give the stated identity and contacts.

#[path = "common/vectors.rs"]
mod vectors;

use serde_json::Value;
use susurro_crypto::argon::{Argon2Block, Argon2Params, argon2id};
use susurro_crypto::chacha::ChaCha20Stream;
use susurro_crypto::{Label, SecretKey, hash, kdf, mac};
use susurro_storage::flash::{Flash, FlashStore};
use susurro_storage::{FormatError, HeapMemory, MemFlash, State, Store, StoreError};
use susurro_wire::Instant;
use vectors::{VecPersist, VecStore, chunks, contact_json, hd, hx};

// The labels as docs/storage.md spells them (not the crate's constants).
const CHECK: Label = Label::new(b"susurro/storage/check/v1");
const TAG: Label = Label::new(b"susurro/storage/tag/v1");
const VERIFIER: Label = Label::new(b"susurro/storage/verifier/v1");
const PASSWORD: Label = Label::new(b"susurro/storage/password-keys/v1");
const BODY: Label = Label::new(b"susurro/storage/body-keys/v1");
const SLOT: Label = Label::new(b"susurro/storage/slot/v1");

fn load_text() -> String {
    susurro_vectors::load_text(vectors::FILE)
}

fn load() -> Value {
    serde_json::from_str(&load_text()).unwrap()
}

fn le16(b: &[u8]) -> u16 {
    u16::from_le_bytes([b[0], b[1]])
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes(b[..4].try_into().unwrap())
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn xor(a: &[u8], b: &[u8]) -> Vec<u8> {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| x ^ y).collect()
}

fn entry<'a>(f: &'a Value, name: &str) -> &'a Value {
    f["stores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no store {name}"))
}

/// `header[0..10] ‖ header[11..25] ‖ header[26..end]`.
fn auth(h: &[u8], end: usize) -> [&[u8]; 3] {
    [&h[0..10], &h[11..25], &h[26..end]]
}

fn tag_of(km: &[u8], image: &[u8]) -> [u8; 32] {
    let body_len = le32(&image[108..112]) as usize;
    let mut stream = auth(&image[..112], 112).concat();
    stream.extend_from_slice(&image[112..112 + body_len]);
    mac::<32>(TAG, km, &chunks(&stream))
}

fn check_of(image: &[u8]) -> [u8; 16] {
    hash::<16>(CHECK, &chunks(&image[..image.len() - 16]))
}

#[test]
fn file_matches_the_code() {
    assert!(
        load_text() == vectors::text(),
        "docs/vectors/storage.json differs from the code; regenerate with `{}` and review",
        vectors::REGENERATE
    );
}

#[test]
fn every_h_use_recomputes() {
    let f = load();
    let n = susurro_vectors::check_traces(&f);
    let seen: std::collections::BTreeSet<String> = susurro_vectors::trace_entries(&f)
        .iter()
        .map(|e| e["label"].as_str().unwrap().to_owned())
        .collect();
    assert!(n >= 18, "only {n} trace entries");
    for l in f["labels"].as_array().unwrap() {
        let ascii = l["ascii"].as_str().unwrap();
        assert_eq!(hd(&l["hex"]), ascii.as_bytes());
        assert!(seen.contains(ascii), "label {ascii} has no trace entry");
    }
    for l in [CHECK, TAG, VERIFIER, PASSWORD, BODY, SLOT] {
        assert!(seen.contains(std::str::from_utf8(l.as_bytes()).unwrap()));
    }
}

/// (b) for one store: every value from its stated inputs.
fn recompute_store(st: &Value) {
    let name = st["name"].as_str().unwrap();
    let image = hd(&st["image"]);
    let h = &image[..112];
    let hj = &st["header"];
    assert_eq!(hd(&hj["hex"]), h, "{name}");
    assert_eq!(&h[0..8], b"SUSSTORE");
    assert_eq!(hd(&hj["magic"]), b"SUSSTORE");
    assert_eq!(u(&hj["version"]), u64::from(le16(&h[8..10])));
    assert_eq!(le16(&h[8..10]), 1);
    assert_eq!(u(&hj["kind"]), u64::from(h[10]));
    assert_eq!(u(&hj["flags"]), u64::from(h[11]));
    assert_eq!(u(&hj["m_cost_kib"]), u64::from(le32(&h[12..16])));
    assert_eq!(u(&hj["t_cost"]), u64::from(le32(&h[16..20])));
    assert_eq!(u(&hj["p_cost"]), u64::from(le32(&h[20..24])));
    assert_eq!(u(&hj["max_attempts"]), u64::from(h[24]));
    assert_eq!(u(&hj["failed"]), u64::from(h[25]));
    assert_eq!(hd(&hj["reserved"]), [0, 0]);
    assert_eq!(&h[26..28], [0, 0]);
    assert_eq!(u(&hj["lockout_s"]), u64::from(le32(&h[28..32])));
    let salt = &h[32..48];
    let wrapped = &h[48..80];
    let stored_verifier = &h[80..96];
    let nonce = &h[96..108];
    let body_len = le32(&h[108..112]) as usize;
    assert_eq!(hd(&hj["salt"]), salt);
    assert_eq!(hd(&hj["wrapped_dk"]), wrapped);
    assert_eq!(hd(&st["wrapped_dk"]), wrapped);
    assert_eq!(hd(&hj["verifier"]), stored_verifier);
    assert_eq!(hd(&hj["nonce"]), nonce);
    assert_eq!(hd(&st["nonce"]), nonce);
    assert_eq!(u(&hj["body_len"]) as usize, body_len);
    assert_eq!(
        image.len(),
        112 + body_len + 32 + 16,
        "{name}: image length"
    );

    // Password: UTF-8 bytes as given.
    let pw = hd(&st["password"]["hex"]);
    assert_eq!(pw, st["password"]["utf8"].as_str().unwrap().as_bytes());

    // master = Argon2id(password, salt, m, t, p), 32 bytes.
    let a = &st["argon2id"];
    let params = Argon2Params {
        m_cost_kib: u(&a["m_cost_kib"]) as u32,
        t_cost: u(&a["t_cost"]) as u32,
        p_cost: u(&a["p_cost"]) as u32,
    };
    assert_eq!(params.m_cost_kib, le32(&h[12..16]));
    assert_eq!(params.t_cost, le32(&h[16..20]));
    assert_eq!(params.p_cost, le32(&h[20..24]));
    assert_eq!(hd(&a["password"]), pw);
    assert_eq!(hd(&a["salt"]), salt);
    assert_eq!(u(&a["version"]), 0x13);
    assert_eq!(u(&a["tag_length"]), 32);
    assert_eq!(hd(&a["secret"]), b"");
    assert_eq!(hd(&a["associated_data"]), b"");
    assert_eq!(u(&a["memory_blocks"]) as usize, params.blocks_needed());
    let mut mem = vec![Argon2Block::new(); params.blocks_needed()];
    let mut master = [0u8; 32];
    argon2id(&params, &pw, salt, &mut master, &mut mem).unwrap();
    assert_eq!(hd(&a["output"]), master, "{name}: Argon2id");
    assert_eq!(hd(&st["master"]), master);

    // Kv ‖ Kw = KDF(PASSWORD, master).
    let kvw = kdf::<64>(PASSWORD, &master, &[]);
    let (kv, kw) = kvw.expose().split_at(32);
    assert_eq!(hd(&st["kv"]), kv);
    assert_eq!(hd(&st["kw"]), kw);
    // DK = wrapped_dk xor Kw.
    let dk = xor(wrapped, kw);
    assert_eq!(hd(&st["dk"]), dk);
    // verifier = MAC16(VERIFIER, Kv, three header parts).
    let vparts = auth(h, 80);
    let ji: Vec<Vec<u8>> = st["verifier_input"]
        .as_array()
        .unwrap()
        .iter()
        .map(hd)
        .collect();
    assert_eq!(ji, vparts.map(<[u8]>::to_vec));
    assert_eq!(ji.iter().map(Vec::len).collect::<Vec<_>>(), [10, 14, 54]);
    let v = mac::<16>(VERIFIER, kv, &vparts);
    assert_eq!(v, stored_verifier, "{name}: verifier");
    assert_eq!(hd(&st["verifier"]), v);
    // Ke ‖ Km = KDF(BODY, DK, nonce).
    let kem = kdf::<64>(BODY, &dk, &[nonce]);
    let (ke, km) = kem.expose().split_at(32);
    assert_eq!(hd(&st["ke"]), ke);
    assert_eq!(hd(&st["km"]), km);

    // ChaCha20(Ke, nonce), counter 0: keystream, ciphertext, plaintext.
    let mut ks = vec![0u8; body_len];
    ChaCha20Stream::new(ke.try_into().unwrap(), nonce.try_into().unwrap())
        .apply_keystream(&mut ks)
        .unwrap();
    assert_eq!(hd(&st["keystream"]), ks, "{name}: keystream");
    let ct = &image[112..112 + body_len];
    assert_eq!(hd(&st["ciphertext"]), ct);
    let pt = xor(ct, &ks);
    let pj = &st["plaintext"];
    assert_eq!(hd(&pj["hex"]), pt, "{name}: plaintext");
    assert_eq!(hd(&pj["prefix"]), pt[..40]);
    let identity = &pt[..32];
    assert_eq!(hd(&pj["identity_secret"]), identity);
    let public = SecretKey::from_bytes(identity.try_into().unwrap()).public_key();
    assert_eq!(hd(&pj["identity_public"]), public.to_bytes());
    assert_eq!(u(&pj["next_id"]), u64::from(le32(&pt[32..36])));
    assert_eq!(u(&pj["count"]), u64::from(le32(&pt[36..40])));
    // Records: len:u16le ‖ Contact, field by field.
    let records = pj["records"].as_array().unwrap();
    assert_eq!(records.len() as u64, u(&pj["count"]));
    let mut cat = Vec::new();
    let mut last_id = 0;
    for r in records {
        let rec = hd(&r["record"]);
        let fields: Vec<Vec<u8>> = r["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| hd(&f["hex"]))
            .collect();
        assert_eq!(fields.concat(), rec);
        assert_eq!(usize::from(le16(&rec)), rec.len() - 2);
        assert_eq!(u(&r["len"]) as usize, rec.len() - 2);
        assert!(rec.len() - 2 <= susurro_storage::book::MAX_RECORD);
        let c = &r["contact"];
        let names: Vec<&str> = r["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "len", "id", "name", "key", "address", "note", "flags", "created", "updated"
            ]
        );
        assert_eq!(fields[1], (u(&c["id"]) as u32).to_le_bytes());
        let text = |s: &str| [&(s.len() as u16).to_le_bytes()[..], s.as_bytes()].concat();
        assert_eq!(fields[2], text(c["name"].as_str().unwrap()));
        assert_eq!(fields[3], hd(&c["key"]));
        let addr = &c["address"];
        let want_addr = match addr["type"].as_str().unwrap() {
            "none" => vec![0],
            "onion" => [
                &[1u8][..],
                &hd(&addr["key"]),
                &(u(&addr["port"]) as u16).to_le_bytes(),
            ]
            .concat(),
            "tcp" => [
                &[2u8][..],
                &text(addr["host"].as_str().unwrap()),
                &(u(&addr["port"]) as u16).to_le_bytes(),
            ]
            .concat(),
            t => panic!("address type {t}"),
        };
        assert_eq!(fields[4], want_addr);
        assert_eq!(fields[5], text(c["note"].as_str().unwrap()));
        assert_eq!(fields[6], [u(&c["flags"]) as u8]);
        assert_eq!(fields[7], u(&c["created"]).to_le_bytes());
        assert_eq!(fields[8], u(&c["updated"]).to_le_bytes());
        let id = u(&c["id"]);
        assert!(id > last_id, "ids ascend");
        last_id = id;
        cat.extend_from_slice(&rec);
    }
    assert!(u(&pj["next_id"]) > last_id);
    assert_eq!(cat, pt[40..], "{name}: records");

    // tag = MAC32(TAG, Km, 256-byte parts of header-without-10-and-25 ‖ ct).
    let ah = auth(h, 112).concat();
    assert_eq!(ah.len(), 110);
    let tj = &st["tag_input"];
    assert_eq!(hd(&tj["header_without_bytes_10_and_25"]), ah);
    let stream = [&ah[..], ct].concat();
    assert_eq!(u(&tj["stream_len"]) as usize, stream.len());
    let lens: Vec<u64> = tj["part_lens"].as_array().unwrap().iter().map(u).collect();
    let want_lens: Vec<u64> = chunks(&stream).iter().map(|p| p.len() as u64).collect();
    assert_eq!(lens, want_lens);
    let tag = mac::<32>(TAG, km, &chunks(&stream));
    assert_eq!(tag, tag_of(km, &image));
    let tag_at = 112 + body_len;
    assert_eq!(tag, image[tag_at..tag_at + 32], "{name}: tag");
    assert_eq!(hd(&st["tag"]), tag);
    // check = H16(CHECK, 256-byte parts of everything before it).
    let cj = &st["check_input"];
    assert_eq!(u(&cj["stream_len"]) as usize, image.len() - 16);
    let lens: Vec<u64> = cj["part_lens"].as_array().unwrap().iter().map(u).collect();
    let want_lens: Vec<u64> = chunks(&image[..image.len() - 16])
        .iter()
        .map(|p| p.len() as u64)
        .collect();
    assert_eq!(lens, want_lens);
    let check = check_of(&image);
    assert_eq!(check, image[image.len() - 16..], "{name}: check");
    assert_eq!(hd(&st["check"]), check);
    // The image is header ‖ ciphertext ‖ tag ‖ check.
    assert_eq!(image, [h, ct, &tag[..], &check[..]].concat());
}

#[test]
fn every_value_recomputes_from_its_inputs() {
    let f = load();
    let stores = f["stores"].as_array().unwrap();
    assert_eq!(stores.len(), 3);
    for st in stores {
        recompute_store(st);
    }
    // Parameters: the test profile, and lanes and passes.
    let lanes = &entry(&f, "lanes_and_passes")["argon2id"];
    assert_eq!((u(&lanes["t_cost"]), u(&lanes["p_cost"])), (2, 2));
    let book = entry(&f, "book");
    // A stream of exactly 3 × 256 bytes: three full parts, no empty one.
    let parts: Vec<u64> = book["tag_input"]["part_lens"]
        .as_array()
        .unwrap()
        .iter()
        .map(u)
        .collect();
    assert_eq!(parts, [256, 256, 256]);
    // The NFC password's bytes: 'ü' is c3 bc.
    assert!(book["password"]["hex"].as_str().unwrap().contains("c3bc"));
}

/// Bytes 10 and 25: outside the verifier and the tag, inside the check.
fn recompute_variant(v: &Value, source: &Value, changed: usize, value: u8) {
    let image = hd(&v["image"]);
    let src = hd(&source["image"]);
    assert_eq!(image.len(), src.len());
    let end = image.len() - 16;
    let d: Vec<usize> = (0..end).filter(|&i| image[i] != src[i]).collect();
    assert_eq!(d, [changed]);
    assert_eq!(image[changed], value);
    let dj: Vec<usize> = v["changed_offsets_before_check"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| u(x) as usize)
        .collect();
    assert_eq!(dj, d);
    // The verifier and the tag still hold under the source's keys …
    let kv = hd(&source["kv"]);
    let km = hd(&source["km"]);
    assert_eq!(mac::<16>(VERIFIER, &kv, &auth(&image, 80)), image[80..96]);
    let tag = tag_of(&km, &image);
    assert_eq!(tag, image[end - 32..end]);
    assert_eq!(tag, src[end - 32..end]);
    // … but the check is new.
    let check = check_of(&image);
    assert_eq!(check, image[end..]);
    assert_ne!(check, src[end..]);
    assert_eq!(hd(&v["check"]), check);
    assert_eq!(hd(&v["header"]["hex"]), image[..112]);
}

#[test]
fn backup_and_counter_are_outside_the_tag_inside_the_check() {
    let f = load();
    let book = entry(&f, "book");
    recompute_variant(&f["backup"], book, 10, 2);
    recompute_variant(&f["failed_counter"], book, 25, 1);
    assert_eq!(u(&f["offsets"]["kind"]), 10);
    assert_eq!(u(&f["offsets"]["failed"]), 25);
}

#[test]
fn flash_slot_recomputes() {
    let f = load();
    let fs = &f["flash_slot"];
    let image = hd(&fs["image"]);
    assert_eq!(image, hd(&entry(&f, "docs_hex_example")["image"]));
    let seq = u(&fs["seq"]) as u32;
    let len = u(&fs["len"]) as u32;
    assert_eq!(len as usize, image.len());
    let (s4, l4) = (seq.to_le_bytes(), len.to_le_bytes());
    let mut parts: Vec<&[u8]> = vec![&s4, &l4];
    parts.extend(chunks(&image));
    let check = hash::<16>(SLOT, &parts);
    assert_eq!(hd(&fs["check"]), check);
    let hdr = [b"SSLT", &s4[..], &l4[..], &check[..], &[0xFF; 4][..]].concat();
    assert_eq!(hdr.len(), 32);
    assert_eq!(hd(&fs["slot_header"]), hdr);
    assert_eq!(hd(&fs["reserved"]), [0xFF; 4]);
}

fn store_over(image: Vec<u8>) -> VecStore {
    Store::new(
        VecPersist::with(image),
        HeapMemory::new(1),
        susurro_storage::Profile::TEST_ONLY_INSECURE,
    )
}

fn contacts_of<P: susurro_storage::Persist>(
    s: &Store<P, HeapMemory, { vectors::BOOK }>,
) -> Vec<Value> {
    s.book().iter().map(|c| contact_json(&c)).collect()
}

fn stated_contacts(st: &Value) -> Vec<Value> {
    st["plaintext"]["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["contact"].clone())
        .collect()
}

#[test]
fn images_open_with_the_real_code() {
    let f = load();
    for st in f["stores"].as_array().unwrap() {
        let image = hd(&st["image"]);
        let max = u(&st["header"]["max_attempts"]) as u8;
        let mut s = store_over(image.clone());
        assert_eq!(s.open(Instant::ZERO).unwrap(), State::Locked);
        assert_eq!(s.attempts(Instant::ZERO), (max, 0));
        let pw = hd(&st["password"]["hex"]);
        s.unlock(Instant::ZERO, &pw).unwrap();
        assert_eq!(
            hx(&s.public_key().unwrap().to_bytes()),
            st["plaintext"]["identity_public"]
        );
        assert_eq!(contacts_of(&s), stated_contacts(st));
        assert_eq!(s.book().count() as u64, u(&st["plaintext"]["count"]));
        // The counter went to 1 and back to 0: the same bytes again.
        assert_eq!(s.persist_mut().committed.as_deref(), Some(&image[..]));
    }

    // No normalisation: the NFD spelling of the book's password is wrong.
    let book = entry(&f, "book");
    assert_eq!(
        book["password"]["utf8"].as_str().unwrap(),
        vectors::BOOK_PASSWORD
    );
    let mut s = store_over(hd(&book["image"]));
    s.open(Instant::ZERO).unwrap();
    assert!(matches!(
        s.unlock(Instant::ZERO, vectors::BOOK_PASSWORD_NFD.as_bytes()),
        Err(StoreError::WrongPassword {
            attempts_left: 9,
            ..
        })
    ));
    s.unlock(Instant::ZERO, vectors::BOOK_PASSWORD.as_bytes())
        .unwrap();
}

#[test]
fn variants_open_with_the_real_code() {
    let f = load();
    let book = entry(&f, "book");
    let pw = hd(&book["password"]["hex"]);
    let book_image = hd(&book["image"]);

    // The counter image: one attempt used; the right password resets it.
    let failed = hd(&f["failed_counter"]["image"]);
    let mut s = store_over(failed.clone());
    s.open(Instant::ZERO).unwrap();
    assert_eq!(s.attempts(Instant::ZERO), (9, 0));
    s.unlock(Instant::ZERO, &pw).unwrap();
    assert_eq!(contacts_of(&s), stated_contacts(book));
    assert_eq!(s.persist_mut().committed.as_deref(), Some(&book_image[..]));

    // Byte 25 changed without a new check: damaged, before any password.
    let mut stale = failed.clone();
    let n = stale.len();
    stale[n - 16..].copy_from_slice(&book_image[n - 16..]);
    let mut s = store_over(stale);
    assert_eq!(
        s.open(Instant::ZERO),
        Err(StoreError::Format(FormatError::Corrupt))
    );
    assert_eq!(s.state(), State::Damaged);

    // The backup: opens as a store, and restores into an empty one.
    let backup = hd(&f["backup"]["image"]);
    let mut s = store_over(backup.clone());
    s.open(Instant::ZERO).unwrap();
    s.unlock(Instant::ZERO, &pw).unwrap();
    assert_eq!(contacts_of(&s), stated_contacts(book));
    let mut s: VecStore = Store::new(
        VecPersist::default(),
        HeapMemory::new(1),
        susurro_storage::Profile::TEST_ONLY_INSECURE,
    );
    assert_eq!(s.open(Instant::ZERO).unwrap(), State::NoIdentity);
    assert!(matches!(
        s.restore(&mut &backup[..], vectors::WRONG_PASSWORD.as_bytes()),
        Err(StoreError::WrongPassword { .. })
    ));
    s.restore(&mut &backup[..], &pw).unwrap();
    assert_eq!(contacts_of(&s), stated_contacts(book));
    assert_eq!(
        hx(&s.public_key().unwrap().to_bytes()),
        book["plaintext"]["identity_public"]
    );
    // Restored with kind 1 and failed 0: the book's bytes exactly.
    assert_eq!(s.persist_mut().committed.as_deref(), Some(&book_image[..]));
}

#[test]
fn flash_slot_opens_with_the_real_code() {
    let f = load();
    let fs = &f["flash_slot"];
    let docs = entry(&f, "docs_hex_example");
    let mut flash = MemFlash::new(2, 0);
    let at = u(&fs["slot_offset"]) as usize;
    flash.write(at, &hd(&fs["slot_header"])).unwrap();
    flash.write(at + 32, &hd(&fs["image"])).unwrap();
    let mut s: Store<FlashStore<MemFlash>, HeapMemory, { vectors::BOOK }> = Store::new(
        FlashStore::new(flash),
        HeapMemory::new(1),
        susurro_storage::Profile::TEST_ONLY_INSECURE,
    );
    assert_eq!(s.open(Instant::ZERO).unwrap(), State::Locked);
    s.unlock(Instant::ZERO, &hd(&docs["password"]["hex"]))
        .unwrap();
    assert_eq!(contacts_of(&s), stated_contacts(docs));

    // One flipped image byte invalidates the slot: no store at all.
    let mut flash = MemFlash::new(2, 0);
    let mut img = hd(&fs["image"]);
    img[200] ^= 1;
    flash.write(at, &hd(&fs["slot_header"])).unwrap();
    flash.write(at + 32, &img).unwrap();
    let mut p = FlashStore::new(flash);
    assert_eq!(
        susurro_storage::Persist::committed_len(&mut p).unwrap(),
        None
    );
}

#[test]
fn docs_name_the_file() {
    let doc = include_str!("../../../docs/storage.md");
    assert!(doc.contains("docs/vectors/storage.json"));
    assert!(doc.contains(vectors::REGENERATE));
    // The docs' hex example is the first store of the file.
    let f = load();
    let img = hd(&entry(&f, "docs_hex_example")["image"]);
    let flat = susurro_vectors::hex_block(doc, "## Hex example");
    assert_eq!(flat, hex::encode(img));
}
