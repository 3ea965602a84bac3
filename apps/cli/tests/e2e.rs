//! End to end: `susurro-cli` processes, each party's storage in its own
//! process on a pty, calling each other over TCP loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{Party, call, pair, run_bounded, text};

const SHORT: Duration = Duration::from_secs(20);

fn tmp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("susurro-e2e-")
        .tempdir()
        .unwrap()
}

#[test]
fn different_secrets_mismatch_and_the_callee_hangs_up() {
    let dir = tmp();
    let (alice, bob) = pair(dir.path());
    let (mut a, mut b, ea, eb) = call(&alice, &bob, &[], &[]);
    assert_eq!(ea["sas"], eb["sas"]);
    a.send("compare rainbow over the bay");
    b.send("compare rainbow over the sea");
    assert_eq!(a.expect_compare(SHORT), "mismatch");
    assert_eq!(b.expect_compare(SHORT), "mismatch");
    b.send("hangup");
    assert_eq!(b.expect("ended", SHORT)["reason"], "LocalHangup");
    assert_eq!(a.expect("ended", SHORT)["reason"], "RemoteHangup");
    assert_eq!(a.wait(SHORT), 0);
    assert_eq!(b.wait(SHORT), 0);
}

#[test]
fn text_messages_cross_a_call_both_ways_with_receipts() {
    let dir = tmp();
    let (alice, bob) = pair(dir.path());
    // Alice's first message goes as soon as the call talks (`--say`); the
    // rest are typed (`say …`), one longer than a part.
    let (mut a, mut b, _, _) = call(&alice, &bob, &["--say", "hola, ¿me oyes?"], &[]);
    let got = b.expect("text", SHORT);
    assert_eq!(got["text"], "hola, ¿me oyes?");
    let sent = a.expect("text_sent", SHORT);
    assert_eq!(sent["text"], "hola, ¿me oyes?");
    let id = sent["id"].clone();
    // Bob's CLI printed it, so it is read: both receipts come back.
    let r = a.expect("receipt", SHORT);
    assert_eq!(
        (r["id"].clone(), r["kind"].as_str()),
        (id.clone(), Some("delivered"))
    );
    let r = a.expect("receipt", SHORT);
    assert_eq!((r["id"].clone(), r["kind"].as_str()), (id, Some("read")));
    let long = "ñ".repeat(700);
    b.send(&format!("say {long}"));
    assert_eq!(
        a.expect("text", SHORT)["text"].as_str(),
        Some(long.as_str())
    );
    assert_eq!(b.expect("receipt", SHORT)["kind"], "delivered");
    // Too long, and empty: refused in words, the call goes on.
    b.send(&format!("say {}", "x".repeat(3841)));
    let e = b.expect("error", SHORT);
    assert!(e["message"].as_str().unwrap().contains("too long"), "{e}");
    a.send("hangup");
    a.expect("ended", SHORT);
    b.expect("ended", SHORT);
    assert_eq!(a.wait(SHORT), 0);
    assert_eq!(b.wait(SHORT), 0);
}

#[test]
fn a_sent_contact_is_saved_and_the_next_call_is_authenticated() {
    let dir = tmp();
    let (alice, bob) = pair(dir.path());
    let (mut a, mut b, ea, eb) = call(&alice, &bob, &[], &[]);
    assert_eq!(ea["authenticated"], false, "Bob does not know Alice yet");
    assert_eq!(eb["authenticated"], false);
    // No files in a call whose keys did not prove both sides.
    let doc = dir.path().join("notes.txt");
    std::fs::write(&doc, "in-call file\n".repeat(2000)).unwrap();
    a.send(&format!("send-file {}", doc.display()));
    let e = a.expect("error", SHORT);
    assert!(e["message"].as_str().unwrap().contains("proved"), "{e}");
    a.send("send-contact me");
    let got = b.expect("contact_received", SHORT);
    let sas = ea["sas"].as_str().unwrap().replace('-', "");
    let name = got["name"].as_str().unwrap().to_owned();
    assert!(name.starts_with(&format!("+{sas}-")), "{name}");
    a.send("hangup");
    a.expect("ended", SHORT);
    b.expect("ended", SHORT);
    assert_eq!(a.wait(SHORT), 0);
    assert_eq!(b.wait(SHORT), 0);
    assert!(bob.contact_names().contains(&name), "{name} not saved");
    // Now each knows the other: both sides prove their keys, and a file
    // crosses the call (at the call's pace) into Bob's folder.
    let downloads = dir.path().join("bob-downloads");
    let (mut a, mut b, ea, eb) = call(
        &alice,
        &bob,
        &[],
        &[
            "--accept-files-from",
            &name,
            "--downloads",
            downloads.to_str().unwrap(),
        ],
    );
    assert_eq!(ea["authenticated"], true, "{ea}");
    assert_eq!(eb["authenticated"], true, "{eb}");
    assert_eq!(eb["peer"].as_str(), Some(name.as_str()));
    a.send(&format!("send-file {}", doc.display()));
    let done = b.expect("file_done", Duration::from_secs(30));
    assert_eq!(
        std::fs::read(done["path"].as_str().unwrap()).unwrap(),
        std::fs::read(&doc).unwrap()
    );
    assert_eq!(a.expect("file_done", SHORT)["direction"], "out");
    a.send("hangup");
    a.expect("ended", SHORT);
    b.expect("ended", SHORT);
}

#[test]
fn a_wrong_password_is_refused_with_tries_left() {
    let dir = tmp();
    let alice = Party::new(dir.path(), "alice");
    let mut c = alice.cmd();
    c.env("SUSURRO_PASSWORD", "not the password")
        .args(["contacts", "list"]);
    let out = run_bounded(c, SHORT);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let v = common::last_json(&out);
    let msg = v["message"].as_str().unwrap();
    assert!(msg.contains("Wrong password") && msg.contains("9"), "{msg}");
    // The right one still works.
    assert!(alice.run(&["contacts", "list"]).status.success());
}

#[test]
fn killing_the_storage_mid_call_ends_the_call_and_loses_nothing() {
    let dir = tmp();
    let (mut alice, bob) = pair(dir.path());
    let (mut a, mut b, _, _) = call(&alice, &bob, &[], &[]);
    let t = Instant::now();
    alice.kill_storage();
    let end = a.expect("ended", Duration::from_secs(15));
    assert!(
        t.elapsed() < Duration::from_secs(12),
        "took {:?}",
        t.elapsed()
    );
    let errors: Vec<_> = a
        .seen
        .iter()
        .filter(|v| v["event"] == "error")
        .filter_map(|v| v["message"].as_str())
        .collect();
    assert!(
        errors.iter().any(|m| m.contains("key store")),
        "no clear error: {errors:?} {end}"
    );
    assert_ne!(a.wait(SHORT), 0);
    b.expect("ended", SHORT);
    alice.start_storage();
    assert_eq!(alice.contact_names(), vec!["bob".to_owned()]);
}

#[test]
fn a_peer_killed_with_sigkill_ends_the_call_quickly() {
    let dir = tmp();
    let (alice, bob) = pair(dir.path());
    let (mut a, mut b, _, _) = call(&alice, &bob, &[], &[]);
    let t = Instant::now();
    b.kill9();
    let end = a.expect("ended", Duration::from_secs(10));
    assert!(
        t.elapsed() <= Duration::from_secs(5),
        "ended after {:?} (dead-peer timeout is 4 s)",
        t.elapsed()
    );
    assert_eq!(end["reason"], "NetworkLost", "{end}");
    assert_eq!(a.wait(SHORT), 6);
}

/// The handset deployment: Bob's transport (the untrusted network side)
/// runs in its own process, as on a Raspberry Pi box, across a serial link;
/// his cryptor, storage and ui are elsewhere.
#[test]
fn transport_on_its_own_box_across_a_serial_link() {
    let dir = tmp();
    let (alice, bob) = pair(dir.path());
    let pty = susurro_host::testing::PtyPair::lasting(&format!("e2e-box-{}", common::free_port()))
        .unwrap();
    let mut boxed = std::process::Command::new(common::EXE)
        .args(["module", "transport", "--listen", "127.0.0.1", "--serial"])
        .arg(pty.a())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let b_serial = pty.b().to_str().unwrap().to_owned();
    let (mut a, mut b, ea, eb) = call(&alice, &bob, &[], &["--transport-serial", &b_serial]);
    assert_eq!(ea["sas"], eb["sas"]);
    b.send("hangup");
    assert_eq!(a.expect("ended", SHORT)["reason"], "RemoteHangup");
    b.expect("ended", SHORT);
    assert_eq!(b.wait(SHORT), 0);
    boxed.kill().unwrap();
    boxed.wait().unwrap();
}

#[test]
fn a_missing_input_or_output_folder_is_refused_before_the_call() {
    let dir = tmp();
    let alice = Party::new(dir.path(), "alice");
    let missing = dir.path().join("no-such.wav");
    let not_wav = dir.path().join("notes.wav");
    std::fs::write(&not_wav, b"these are not samples").unwrap();
    let no_folder = dir.path().join("no-such-folder/heard.wav");
    for (args, names) in [
        (
            vec!["--input".to_owned(), missing.display().to_string()],
            missing.display().to_string(),
        ),
        (
            vec!["--input".to_owned(), not_wav.display().to_string()],
            "not a valid WAV file".to_owned(),
        ),
        (
            vec!["--output".to_owned(), no_folder.display().to_string()],
            dir.path().join("no-such-folder").display().to_string(),
        ),
    ] {
        let mut c = alice.cmd();
        c.arg("call").arg("bob").args(&args);
        let t = Instant::now();
        let out = run_bounded(c, SHORT);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        let msg = common::last_json(&out)["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(msg.contains(&names), "{args:?}: {msg}");
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "{args:?}: refused only after {:?}",
            t.elapsed()
        );
    }
}

/// `contacts import` of a card whose key is already in the book (under
/// another name), of a known name with a new key, and of an all-zero key:
/// none of them may say "Added"; each says what happened, with its own
/// exit code. A changed key is stored only when confirmed (`--replace`).
#[test]
fn an_import_that_stores_nothing_says_why() {
    use susurro_ui::uri::{ContactCard, decode, encode};
    let dir = tmp();
    let (alice, bob) = pair(dir.path());
    let bob_card = bob.card();
    let card_with = |name: &str, key: [u8; 32]| {
        let c = decode(&bob_card).unwrap();
        let card = ContactCard {
            name: susurro_wire::Name::new(name).unwrap(),
            key,
            address: c.address,
        };
        let mut s = heapless::String::<{ susurro_ui::uri::MAX_URI }>::new();
        encode(&card, &mut s).unwrap();
        s.to_string()
    };
    let bob_key = decode(&bob_card).unwrap().key;
    let import = |args: &[&str]| {
        let mut a = vec!["contacts", "import"];
        a.extend_from_slice(args);
        let out = alice.run(&a);
        let v = common::last_json(&out);
        (out.status.code(), v)
    };

    // The same key under another name: already there, as "bob".
    let (code, v) = import(&[&card_with("robert", bob_key)]);
    assert_eq!(code, Some(7), "{v}");
    let msg = v["message"].as_str().unwrap();
    assert!(msg.contains("already") && msg.contains("bob"), "{msg}");

    // "bob" with another key: a warning, nothing stored without --replace.
    let other = {
        let mut k = bob_key;
        k[0] ^= 0x40;
        k
    };
    let (code, v) = import(&[&card_with("bob", other)]);
    assert_eq!(code, Some(8), "{v}");
    let msg = v["message"].as_str().unwrap();
    assert!(
        msg.contains("different key") && msg.contains("--replace"),
        "{msg}"
    );
    let shown = alice.json(&["contacts", "show", "bob"]);
    assert_eq!(
        shown["contact"]["key"].as_str().unwrap(),
        susurro_crypto::hex::Lower(&bob_key).to_string(),
        "the old key stays until confirmed"
    );
    // Confirmed: the contact now has the new key.
    let (code, v) = import(&[&card_with("bob", other), "--replace"]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["event"], "contact_replaced", "{v}");
    let shown = alice.json(&["contacts", "show", "bob"]);
    assert_eq!(
        shown["contact"]["key"].as_str().unwrap(),
        susurro_crypto::hex::Lower(&other).to_string()
    );

    // An all-zero key is not a key.
    let (code, v) = import(&[&card_with("zero", [0; 32])]);
    assert_eq!(code, Some(2), "{v}");
    assert!(v["message"].as_str().unwrap().contains("key"), "{v}");
    assert_eq!(alice.contact_names(), vec!["bob".to_owned()]);
}

/// `susurro-cli --home <home> --json …` with the store file in the home
/// (no storage process) and `password`.
fn local(home: &std::path::Path, password: &str, args: &[&str]) -> std::process::Output {
    let mut c = std::process::Command::new(common::EXE);
    c.arg("--home")
        .arg(home)
        .arg("--json")
        .args(args)
        .env("SUSURRO_PASSWORD", password)
        .env_remove("SUSURRO_HOME")
        .stdin(std::process::Stdio::null());
    run_bounded(c, SHORT)
}

/// Backup and restore as their messages tell a person to use them:
/// restore into an empty home (set up like `init`), words for a damaged
/// or foreign file and a taken store, the backup's password checked, and a
/// store that cannot be written is not reported as a wrong password.
#[test]
fn backup_and_restore_follow_their_own_messages() {
    let dir = tmp();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let pw = common::PASSWORD;
    let init = [
        "init",
        "--name",
        "carol",
        "--network",
        "direct",
        "--profile",
        "test-only-insecure",
    ];
    assert!(local(&a, pw, &init).status.success());
    let fp = |home: &std::path::Path| {
        let out = local(home, pw, &["status"]);
        assert!(out.status.success(), "status: {}", text(&out));
        common::last_json(&out)["fingerprint"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let backup = dir.path().join("carol.backup");
    let out = local(&a, pw, &["backup", backup.to_str().unwrap()]);
    assert!(out.status.success(), "backup: {}", text(&out));

    // Into an empty home: without --name it says what to give.
    let restore =
        |home: &std::path::Path, password: &str, extra: &[&str], file: &std::path::Path| {
            let mut args = vec!["restore", file.to_str().unwrap()];
            args.extend_from_slice(extra);
            let out = local(home, password, &args);
            (out.status.code(), common::last_json(&out))
        };
    let (code, v) = restore(&b, pw, &[], &backup);
    assert_eq!(code, Some(2), "{v}");
    assert!(v["message"].as_str().unwrap().contains("--name"), "{v}");
    // The wrong password: the password's code, nothing written.
    let new_home = [
        "--name",
        "carol",
        "--network",
        "direct",
        "--profile",
        "test-only-insecure",
    ];
    let (code, v) = restore(&b, "not it", &new_home, &backup);
    assert_eq!(code, Some(3), "{v}");
    assert!(
        !b.join("config.toml").exists(),
        "a failed restore set the home up"
    );
    // A file that is no backup: words, not a Debug dump.
    let junk = dir.path().join("junk");
    std::fs::write(&junk, [0x42u8; 300]).unwrap();
    let (code, v) = restore(&b, pw, &new_home, &junk);
    assert_eq!(code, Some(5), "{v}");
    let msg = v["message"].as_str().unwrap();
    assert!(
        msg.contains("not a Susurro backup") && !msg.contains("Format("),
        "{msg}"
    );
    // Done right: the same identity in the new home.
    let (code, v) = restore(&b, pw, &new_home, &backup);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(fp(&b), fp(&a));
    // Again: the store is taken, and it says so in words.
    let (code, v) = restore(&b, pw, &[], &backup);
    assert_eq!(code, Some(2), "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("already holds an identity"),
        "{v}"
    );

    // A store that cannot be written (its temporary file's name taken by
    // a folder; root ignores read-only modes): not "wrong password".
    std::fs::create_dir(a.join("store.tmp")).unwrap();
    let out = local(
        &a,
        pw,
        &["backup", dir.path().join("second").to_str().unwrap()],
    );
    let v = common::last_json(&out);
    assert_eq!(out.status.code(), Some(5), "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("could not be read or written"),
        "{v}"
    );
}

/// After ten wrong passwords each run of the CLI used to start the 60 s
/// wait again and exit at once, so it never ended. The wait now counts
/// from the last failure as the store file records it.
#[test]
fn the_lockout_wait_ends_across_runs() {
    let dir = tmp();
    let home = dir.path().join("h");
    let pw = common::PASSWORD;
    let init = [
        "init",
        "--name",
        "dana",
        "--network",
        "direct",
        "--profile",
        "test-only-insecure",
    ];
    assert!(local(&home, pw, &init).status.success());
    for _ in 0..10 {
        let out = local(&home, "wrong", &["contacts", "list"]);
        assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    }
    let wait_of = |out: &std::process::Output| {
        let msg = common::last_json(out)["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(msg.contains("try again in"), "{msg}");
        msg
    };
    let first = wait_of(&local(&home, pw, &["contacts", "list"]));
    assert!(first.contains("1 min") || first.contains("59 s"), "{first}");
    // 55 s later (the store file dated back): about 5 s are left.
    let f = std::fs::File::options()
        .write(true)
        .open(home.join("store"))
        .unwrap();
    f.set_modified(std::time::SystemTime::now() - Duration::from_secs(55))
        .unwrap();
    let later = wait_of(&local(&home, pw, &["contacts", "list"]));
    assert!(
        ["4 s", "5 s", "6 s"].iter().any(|w| later.ends_with(w)),
        "{later}"
    );
    // Past the minute: the right password works.
    f.set_modified(std::time::SystemTime::now() - Duration::from_secs(61))
        .unwrap();
    let out = local(&home, pw, &["contacts", "list"]);
    assert!(out.status.success(), "{}", text(&out));
}

/// Every JSON line a command printed.
fn json_lines(out: &std::process::Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn texts(p: &common::Proc) -> Vec<(u64, String)> {
    p.seen
        .iter()
        .filter(|v| v["event"] == "text")
        .map(|v| {
            (
                v["id"].as_u64().unwrap(),
                v["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn messages_wait_for_an_offline_contact_and_arrive_in_order_once() {
    let dir = tmp();
    let (alice, bob) = pair(dir.path());
    let out = bob.run(&["contacts", "import", &alice.card()]);
    assert!(out.status.success(), "{}", text(&out));
    // Bob is offline: queued, exit 9, in words.
    for t in ["one", "two"] {
        let out = alice.run(&["message", "bob", t]);
        assert_eq!(out.status.code(), Some(9), "{}", text(&out));
        let lines = json_lines(&out);
        assert!(lines.iter().any(|v| v["event"] == "queued"), "{lines:?}");
        let fail = lines.last().unwrap();
        assert!(
            fail["message"].as_str().unwrap().contains("queued"),
            "{fail}"
        );
    }
    // Bob comes online; the next message takes the queue first.
    let mut b = bob.spawn(&["listen"]);
    b.expect("listening", Duration::from_secs(30));
    let out = alice.run(&["message", "bob", "three, with ñ"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for _ in 0..3 {
        b.expect("text", SHORT);
    }
    assert_eq!(
        texts(&b),
        vec![
            (1, "one".to_owned()),
            (2, "two".to_owned()),
            (3, "three, with ñ".to_owned())
        ]
    );
    // Alice's history: all three delivered.
    let lines = json_lines(&alice.run(&["conversation", "bob"]));
    let states: Vec<_> = lines
        .iter()
        .map(|v| v["message"]["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(states, ["read", "read", "read"], "{lines:?}");
    // Alice queues a fourth while Bob is away, then both listen: Alice's
    // listen retries until Bob is back; Bob gets it once.
    b.send("quit");
    assert_eq!(b.wait(SHORT), 0);
    let out = alice.run(&["message", "bob", "four"]);
    assert_eq!(out.status.code(), Some(9), "{}", text(&out));
    let mut a = alice.spawn(&["listen", "--port", &common::free_port().to_string()]);
    a.expect("listening", Duration::from_secs(30));
    let mut b = bob.spawn(&["listen"]);
    b.expect("listening", Duration::from_secs(30));
    let got = b.expect("text", Duration::from_secs(60));
    assert_eq!(
        (got["id"].as_u64(), got["text"].as_str()),
        (Some(4), Some("four"))
    );
    a.send("quit");
    b.send("quit");
    assert_eq!(a.wait(SHORT), 0);
    assert_eq!(b.wait(SHORT), 0);
    // Bob's side: four messages, each once, now read.
    let lines = json_lines(&bob.run(&["conversation", "alice"]));
    let got: Vec<_> = lines
        .iter()
        .map(|v| v["message"]["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, ["one", "two", "three, with ñ", "four"], "{lines:?}");
    let inbox = json_lines(&bob.run(&["inbox"]));
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    assert_eq!(
        (inbox[0]["with"].as_str(), inbox[0]["unread"].as_u64()),
        (Some("alice"), Some(0))
    );
    // Deleting: one of hers, then the whole conversation; a message that
    // is not there is a usage error in words.
    let lines = json_lines(&bob.run(&["conversation", "alice", "--delete-theirs", "2"]));
    assert_eq!(lines[0]["event"], "deleted", "{lines:?}");
    let left: Vec<_> = lines[1..]
        .iter()
        .map(|v| v["message"]["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(left, ["one", "three, with ñ", "four"], "{lines:?}");
    let out = bob.run(&["conversation", "alice", "--delete-theirs", "2"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no message 2"), "{}", text(&out));
    let out = bob.run(&["conversation", "alice", "--delete-all"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(json_lines(&bob.run(&["inbox"])).is_empty());
}

#[test]
fn a_message_from_someone_not_in_your_contacts_is_refused() {
    let dir = tmp();
    // Alice has Bob's card; Bob does not have Alice's.
    let (alice, bob) = pair(dir.path());
    let mut b = bob.spawn(&["listen"]);
    b.expect("listening", Duration::from_secs(30));
    let out = alice.run(&["message", "bob", "let me in"]);
    assert_eq!(out.status.code(), Some(9), "{}", text(&out));
    let lines = json_lines(&out);
    let ended = lines.iter().find(|v| v["event"] == "ended").unwrap();
    assert_eq!(ended["reason"], "NotContacts", "{lines:?}");
    b.send("quit");
    assert_eq!(b.wait(SHORT), 0);
    assert!(texts(&b).is_empty(), "{:?}", b.seen);
    let lines = json_lines(&bob.run(&["inbox"]));
    assert!(lines.is_empty(), "{lines:?}");
    // Too long and empty messages: refused before anything is queued.
    let out = alice.run(&["message", "bob", &"x".repeat(3841)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = alice.run(&["message", "bob", "   "]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

/// `len` bytes that do not repeat (a keyed LCG, cheap to make).
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 56) as u8
        })
        .collect()
}

/// Alice and Bob, each in the other's contacts; Bob listening, saving into
/// `downloads`, with `extra` options.
fn file_pair(dir: &std::path::Path, extra: &[&str]) -> (Party, Party, common::Proc) {
    let (alice, bob) = pair(dir);
    let out = bob.run(&["contacts", "import", &alice.card()]);
    assert!(out.status.success(), "{}", text(&out));
    let downloads = dir.join("downloads");
    let d = downloads.to_str().unwrap().to_owned();
    let mut args = vec!["listen", "--downloads", &d];
    args.extend_from_slice(extra);
    let mut b = bob.spawn_logged(&args, &dir.join("bob.log"));
    b.expect("listening", Duration::from_secs(30));
    (alice, bob, b)
}

#[test]
fn a_20_mb_file_killed_at_half_resumes_and_arrives_whole() {
    let dir = tmp();
    let (alice, _bob, mut b) = file_pair(dir.path(), &["--accept-files-from", "alice"]);
    let data = noise(20_000_000, 7);
    let src = dir.path().join("big.bin");
    std::fs::write(&src, &data).unwrap();
    let t0 = Instant::now();
    // The first try is killed (-9) once Bob holds half of it.
    let alog = dir.path().join("alice.log");
    let mut a = alice.spawn_logged(&["send-file", "bob", src.to_str().unwrap()], &alog);
    b.expect("file_offer", Duration::from_secs(30));
    loop {
        let p = match b.try_expect("file_progress", Duration::from_secs(60)) {
            Ok(p) => p,
            Err(e) => panic!(
                "{e}; Bob saw {:?}\nAlice's log:\n{}\nBob's log:\n{}",
                b.seen,
                std::fs::read_to_string(&alog).unwrap_or_default(),
                std::fs::read_to_string(dir.path().join("bob.log")).unwrap_or_default()
            ),
        };
        if p["done"].as_u64().unwrap() >= 10_000_000 {
            break;
        }
    }
    a.kill9();
    let first = t0.elapsed();
    // Bob notices the connection is gone (no file saved).
    b.expect("ended", Duration::from_secs(90));
    assert!(
        !b.seen.iter().any(|v| v["event"] == "file_done"),
        "{:?}",
        b.seen
    );
    // The same command again: it resumes where Bob stopped.
    let t1 = Instant::now();
    let out = run_bounded(
        {
            let mut c = alice.cmd();
            c.args(["send-file", "bob", src.to_str().unwrap()]);
            c
        },
        Duration::from_secs(180),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let lines = json_lines(&out);
    assert!(
        lines.iter().any(|v| v["event"] == "file_resumed"),
        "not offered again: {lines:?}"
    );
    // Bob goes on from what he holds (at least the half he had).
    let resumed = b.expect("file_resumed", SHORT);
    assert_eq!(resumed["direction"], "in", "{resumed}");
    let held = resumed["done"].as_u64().unwrap();
    assert!(held >= 10_000_000, "{resumed}");
    let done = b.expect("file_done", Duration::from_secs(60));
    let saved = std::path::PathBuf::from(done["path"].as_str().unwrap());
    assert_eq!(saved.file_name().unwrap(), "big.bin");
    assert!(std::fs::read(&saved).unwrap() == data, "saved bytes differ");
    eprintln!(
        "20 MB over loopback TCP: first try {:.1} s to half, resumed from {held} bytes in {:.1} s",
        first.as_secs_f64(),
        t1.elapsed().as_secs_f64()
    );
    b.send("quit");
    assert_eq!(b.wait(SHORT), 0);
}

#[test]
fn file_offers_are_asked_declined_sanitised_and_never_overwrite() {
    let dir = tmp();
    let (alice, _bob, mut b) = file_pair(dir.path(), &[]);
    let downloads = dir.path().join("downloads");
    // A hidden name: saved without the dot, and asked about first.
    let src = dir.path().join(".profile");
    std::fs::write(&src, b"echo hello\n").unwrap();
    let mut a = alice.spawn(&["send-file", "bob", src.to_str().unwrap()]);
    let offer = b.expect("file_offer", Duration::from_secs(30));
    assert_eq!(offer["accepted"], false);
    assert_eq!(offer["name"], "profile");
    b.send("accept-file");
    let done = b.expect("file_done", SHORT);
    assert_eq!(a.wait(SHORT), 0);
    assert_eq!(done["path"], downloads.join("profile").to_str().unwrap());
    // The same name again: a number is added, the first is untouched.
    std::fs::write(&src, b"second\n").unwrap();
    let mut a = alice.spawn(&["send-file", "bob", src.to_str().unwrap()]);
    b.expect("file_offer", Duration::from_secs(30));
    b.send("accept-file");
    let done = b.expect("file_done", SHORT);
    assert_eq!(a.wait(SHORT), 0);
    assert_eq!(
        done["path"],
        downloads.join("profile (1)").to_str().unwrap()
    );
    assert_eq!(
        std::fs::read(downloads.join("profile")).unwrap(),
        b"echo hello\n"
    );
    // Declined: exit 10, in words; nothing saved.
    let other = dir.path().join("no.txt");
    std::fs::write(&other, b"no").unwrap();
    let mut a = alice.spawn(&["send-file", "bob", other.to_str().unwrap()]);
    b.expect("file_offer", Duration::from_secs(30));
    b.send("decline-file");
    assert_eq!(a.wait(SHORT), 10);
    let failed = a
        .seen
        .iter()
        .rev()
        .find(|v| v["event"] == "failure")
        .cloned();
    assert!(
        failed.is_some_and(|f| f["message"].as_str().unwrap().contains("declined")),
        "{:?}",
        a.seen
    );
    assert!(!downloads.join("no.txt").exists());
    // Bad input before any connection: a missing file, a folder.
    let out = alice.run(&["send-file", "bob", "/nonexistent/x"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no such file"), "{}", text(&out));
    let out = alice.run(&["send-file", "bob", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    b.send("quit");
    assert_eq!(b.wait(SHORT), 0);
}

// ---- Look-alike names (#25, item 9) ----------------------------------

/// A card for `name` with `key`, reachable at a made-up loopback port.
fn card_named(name: &str, key: [u8; 32]) -> String {
    use susurro_ui::uri::{ContactCard, encode};
    let card = ContactCard {
        name: susurro_wire::Name::new(name).unwrap(),
        key,
        address: susurro_wire::Address::Tcp {
            host: susurro_wire::Text::new("127.0.0.1").unwrap(),
            port: 9,
        },
    };
    let mut s = heapless::String::<{ susurro_ui::uri::MAX_URI }>::new();
    encode(&card, &mut s).unwrap();
    s.to_string()
}

/// `init` of `name` in `home` (store file in the home, direct TCP), with
/// `extra` options; its exit code and last JSON line.
fn init_local(
    home: &std::path::Path,
    name: &str,
    extra: &[&str],
) -> (Option<i32>, serde_json::Value) {
    let mut args = vec![
        "init",
        "--name",
        name,
        "--network",
        "direct",
        "--profile",
        "test-only-insecure",
    ];
    args.extend_from_slice(extra);
    let out = local(home, common::PASSWORD, &args);
    (out.status.code(), common::last_json(&out))
}

/// The names in a local home's address book.
fn local_names(home: &std::path::Path) -> Vec<String> {
    let out = local(home, common::PASSWORD, &["contacts", "list"]);
    assert!(out.status.success(), "{}", text(&out));
    common::last_json(&out)["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

/// A card from someone else whose name is "bob" with a Cyrillic "о"
/// (or with a direction override, or capitalised) while "bob" is a
/// contact: refused in words that name the contact it resembles and the
/// way to import it under another name; the book is unchanged. Under a
/// name that can be told apart, it goes in.
#[test]
fn a_card_whose_name_looks_like_a_contact_is_refused_in_words() {
    let dir = tmp();
    let home = dir.path().join("alice");
    assert_eq!(init_local(&home, "alice", &[]).0, Some(0));
    let pw = common::PASSWORD;
    let out = local(
        &home,
        pw,
        &["contacts", "import", &card_named("bob", [7; 32])],
    );
    assert!(out.status.success(), "{}", text(&out));
    for look_alike in ["b\u{43e}b", "\u{202e}bob", "Bob", "b\u{200b}ob"] {
        let card = card_named(look_alike, [9; 32]);
        let out = local(&home, pw, &["contacts", "import", &card]);
        let v = common::last_json(&out);
        assert_eq!(out.status.code(), Some(2), "{look_alike:?}: {}", text(&out));
        let msg = v["message"].as_str().unwrap();
        assert!(
            msg.contains("\"bob\"") && msg.contains("--name"),
            "{look_alike:?}: {msg}"
        );
        assert_eq!(local_names(&home), ["bob"], "{look_alike:?}");
        // The same through --name.
        let out = local(
            &home,
            pw,
            &[
                "contacts",
                "import",
                &card_named("zed", [9; 32]),
                "--name",
                look_alike,
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{look_alike:?}: {}", text(&out));
        assert_eq!(local_names(&home), ["bob"], "{look_alike:?}");
    }
    // Told apart at a glance: fine, and so is a name in one other script.
    let card = card_named("b\u{43e}b", [9; 32]);
    let out = local(
        &home,
        pw,
        &["contacts", "import", &card, "--name", "bob's brother"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = local(
        &home,
        pw,
        &["contacts", "import", &card_named("Борис", [11; 32])],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = local(
        &home,
        pw,
        &["contacts", "import", &card_named("山田太郎", [12; 32])],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mut names = local_names(&home);
    names.sort();
    assert_eq!(names, ["bob", "bob's brother", "Борис", "山田太郎"]);
}

/// `contacts rename` to a name with a zero-width or direction character,
/// or to a look-alike of another contact: refused (2), nothing renamed.
/// A contact may take a name that only looks like its own.
#[test]
fn renaming_to_an_invisible_or_look_alike_name_is_refused() {
    let dir = tmp();
    let home = dir.path().join("alice");
    assert_eq!(init_local(&home, "alice", &[]).0, Some(0));
    let pw = common::PASSWORD;
    for (name, key) in [("bob", [7; 32]), ("carol", [8; 32])] {
        let out = local(&home, pw, &["contacts", "import", &card_named(name, key)]);
        assert!(out.status.success(), "{}", text(&out));
    }
    for bad in [
        "car\u{200b}ol",
        "car\u{200d}ol",
        "\u{202e}lorac",
        "\u{feff}carol",
        "b\u{43e}b",
    ] {
        let out = local(&home, pw, &["contacts", "rename", "carol", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", text(&out));
        let msg = common::last_json(&out)["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(msg.contains("carol"), "{bad:?}: {msg}");
        let mut names = local_names(&home);
        names.sort();
        assert_eq!(names, ["bob", "carol"], "{bad:?}");
    }
    let out = local(&home, pw, &["contacts", "rename", "carol", "Carol"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mut names = local_names(&home);
    names.sort();
    assert_eq!(names, ["Carol", "bob"]);
}

/// `init` (and `restore` into an empty home) used to accept a name with
/// a control character, port 0 and a host with a space, and `status`
/// failed for good afterwards. Now each is a usage error (2) that writes
/// nothing; and after every `init` that is accepted, `status` works.
#[test]
fn init_refuses_what_status_could_not_use_and_status_works_after() {
    let dir = tmp();
    let refused: [(&str, &[&str], &str); 7] = [
        ("ali\u{7}ce", &[], "--name"),
        ("\u{202e}ecila", &[], "--name"),
        ("\u{410}lice", &[], "--name"),
        ("alice", &["--port", "0"], "--port"),
        ("alice", &["--host", "a b"], "--host"),
        ("alice", &["--host", "host\u{1b}[2J"], "--host"),
        ("alice", &["--host", ""], "--host"),
    ];
    for (i, (name, extra, what)) in refused.iter().enumerate() {
        let home = dir.path().join(format!("refused-{i}"));
        let (code, v) = init_local(&home, name, extra);
        assert_eq!(code, Some(2), "{name:?} {extra:?}: {v}");
        assert!(
            v["message"].as_str().unwrap().contains(what),
            "{name:?} {extra:?}: {v}"
        );
        assert!(!home.exists(), "{name:?} {extra:?}: the home was written");
    }
    // `restore --name` sets a home up as `init` does: the same refusal,
    // before the backup is read.
    let junk = dir.path().join("junk");
    std::fs::write(&junk, [0x42u8; 300]).unwrap();
    let home = dir.path().join("restored");
    let out = local(
        &home,
        common::PASSWORD,
        &[
            "restore",
            junk.to_str().unwrap(),
            "--name",
            "b\u{202e}ob",
            "--network",
            "direct",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!home.exists(), "restore wrote the home");

    let accepted: [(&str, &[&str]); 6] = [
        ("alice", &[]),
        (
            "Zoë Ångström",
            &["--host", "calls.example.org", "--port", "7000"],
        ),
        ("山田 太郎", &["--host", "192.0.2.7"]),
        ("Борис", &["--host", "::1"]),
        ("佐藤 Sato さとう", &["--host", "[2001:db8::7]"]),
        ("007", &["--port", "65535"]),
    ];
    for (i, (name, extra)) in accepted.iter().enumerate() {
        let home = dir.path().join(format!("accepted-{i}"));
        let (code, v) = init_local(&home, name, extra);
        assert_eq!(code, Some(0), "{name:?} {extra:?}: {v}");
        let out = local(&home, common::PASSWORD, &["status"]);
        assert!(
            out.status.success(),
            "status after {name:?} {extra:?}: {}",
            text(&out)
        );
        let st = common::last_json(&out);
        assert_eq!(st["name"].as_str(), Some(*name), "{st}");
        assert!(st["uri"].as_str().unwrap().starts_with("susurro:"), "{st}");
    }
}
