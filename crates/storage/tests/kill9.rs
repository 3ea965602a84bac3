#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! 200 × kill -9 of a process saving to a file store: the store always
//! opens, and no contact whose save was reported committed is lost.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant as StdInstant};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use susurro_storage::{FileStore, HeapMemory, Profile, State, Store};
use susurro_wire::Instant;

#[test]
fn two_hundred_kill_nines_lose_nothing_committed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let exe = env!("CARGO_BIN_EXE_storage-crash-child");
    let mut rng = StdRng::seed_from_u64(0x6b696c6c);
    let mut alive: BTreeSet<u32> = BTreeSet::new();
    let started = StdInstant::now();
    let mut commits = 0usize;
    for run in 0..200u64 {
        let mut child = Command::new(exe)
            .arg(&path)
            .arg(run.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.random_range(10..150)));
        child.kill().unwrap(); // SIGKILL on Unix
        let out = child.wait_with_output().unwrap();
        assert!(
            out.stderr.is_empty(),
            "run {run}: child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // A delete announced ("d") but not reported done ("D") was in
        // flight at the kill: it may or may not have reached the disk.
        let mut deleting = None;
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let (op, id) = line.split_once(' ').unwrap();
            let id: u32 = id.parse().unwrap();
            match op {
                "A" => {
                    commits += 1;
                    assert!(alive.insert(id), "id {id} reused");
                }
                "d" => deleting = Some(id),
                "D" => {
                    commits += 1;
                    assert_eq!(deleting.take(), Some(id), "undeclared delete {id}");
                    assert!(alive.remove(&id), "deleted unknown {id}");
                }
                _ => panic!("bad line {line}"),
            }
        }
        // Reopen and check.
        let mut s: Store<FileStore, HeapMemory, { 64 * 1024 }> = Store::new(
            FileStore::new(&path),
            HeapMemory::new(16),
            Profile::TEST_ONLY_INSECURE,
        );
        match s.open(Instant::ZERO) {
            Ok(State::NoIdentity) => assert!(alive.is_empty(), "run {run}: store vanished"),
            Ok(State::Locked) => {
                s.unlock(Instant::ZERO, b"crash test password")
                    .unwrap_or_else(|e| panic!("run {run}: {e:?}"));
                let on_disk: BTreeSet<u32> = s.book().iter().map(|c| c.id).collect();
                let lost: Vec<_> = alive
                    .difference(&on_disk)
                    .filter(|id| Some(**id) != deleting)
                    .collect();
                assert!(
                    lost.is_empty(),
                    "run {run}: lost committed contacts {lost:?}"
                );
                // At most the change in flight is extra (an add not yet
                // reported, or a delete not yet reported).
                let extra = on_disk.difference(&alive).count();
                assert!(extra <= 1, "run {run}: {extra} unreported contacts");
                alive = on_disk;
            }
            other => panic!("run {run}: store did not open: {other:?}"),
        }
    }
    assert!(commits >= 100, "only {commits} commits in 200 runs");
    assert!(started.elapsed() < Duration::from_secs(120));
}
