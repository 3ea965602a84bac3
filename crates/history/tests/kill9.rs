#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! kill -9 of a process writing to a history, ten times at random moments:
//! the history always opens, every change the child reported (its call had
//! returned) is there, outgoing ids are never reused, and every incoming
//! id ever stored, deleted or not, is still known as a duplicate.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use susurro_history::{ContactKey, Direction, History, Limits, Received, Secret, Status};

const KEY: [u8; 32] = [0x5a; 32];
const A: ContactKey = [0xA0; 32];
const B: ContactKey = [0xB0; 32];

/// What the test knows of one conversation from the child's reports.
#[derive(Default)]
struct Known {
    /// Reported added and not reported deleted.
    alive: BTreeSet<u32>,
    /// Reported marked delivered.
    delivered: BTreeSet<u32>,
    /// Every id ever reported added.
    ever: BTreeSet<u32>,
}

#[test]
fn ten_kill_nines_lose_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history");
    let exe = env!("CARGO_BIN_EXE_history-crash-child");
    let mut rng = StdRng::seed_from_u64(0x6b696c6c39);
    let mut known: BTreeMap<char, Known> = BTreeMap::new();
    let mut acknowledged = 0usize;
    let started = Instant::now();
    for run in 1..=10u32 {
        let mut child = Command::new(exe)
            .arg(&path)
            .arg(run.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.random_range(150..1500)));
        child.kill().unwrap(); // SIGKILL on Unix
        let out = child.wait_with_output().unwrap();
        assert!(
            out.stderr.is_empty(),
            "run {run}: child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // A delete announced ("d") but not reported done ("D") was in
        // flight at the kill: it may or may not have reached the disk.
        let mut deleting: BTreeMap<char, u32> = BTreeMap::new();
        let max_out_before = known.get(&'A').and_then(|k| k.ever.last().copied());
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let mut parts = line.split(' ');
            let (op, conv, id) = (
                parts.next().unwrap(),
                parts.next().unwrap().chars().next().unwrap(),
                parts.next().unwrap().parse::<u32>().unwrap(),
            );
            let k = known.entry(conv).or_default();
            acknowledged += 1;
            match op {
                "+" => {
                    assert!(k.ever.insert(id), "run {run}: {conv} id {id} reused");
                    if conv == 'A' {
                        assert!(
                            max_out_before.is_none_or(|m| id > m),
                            "run {run}: outgoing id {id} not above {max_out_before:?}"
                        );
                    }
                    k.alive.insert(id);
                }
                "m" => {
                    k.delivered.insert(id);
                }
                "d" => {
                    deleting.insert(conv, id);
                }
                "D" => {
                    assert_eq!(deleting.remove(&conv), Some(id), "run {run}: {line}");
                    assert!(k.alive.remove(&id), "run {run}: deleted unknown {line}");
                    k.delivered.remove(&id);
                }
                _ => panic!("bad line {line}"),
            }
        }

        let mut h = History::open(&path, &Secret::new(KEY), Limits::default())
            .unwrap_or_else(|e| panic!("run {run}: the history does not open: {e}"));
        for (conv, contact, direction) in [('A', A, Direction::Out), ('B', B, Direction::In)] {
            let k = known.entry(conv).or_default();
            let lines = h.conversation(&contact);
            let on_disk: BTreeMap<u32, Status> = lines
                .iter()
                .filter(|e| e.direction == direction)
                .map(|e| (e.id, e.status))
                .collect();
            let in_flight = deleting.get(&conv).copied();
            let lost: Vec<_> = k
                .alive
                .iter()
                .filter(|id| !on_disk.contains_key(id) && Some(**id) != in_flight)
                .collect();
            assert!(lost.is_empty(), "run {run}: {conv} lost {lost:?}");
            for id in &k.delivered {
                if let Some(s) = on_disk.get(id) {
                    assert_eq!(*s, Status::Delivered, "run {run}: {conv} {id}");
                }
            }
            // At most the change in flight is unreported.
            let extra: Vec<_> = on_disk.keys().filter(|id| !k.alive.contains(id)).collect();
            assert!(extra.len() <= 1, "run {run}: {conv} unreported {extra:?}");
            k.alive = on_disk.keys().copied().collect();
            k.ever.extend(on_disk.keys());
        }
        // Every incoming id ever stored is a duplicate now, deleted or not.
        let ever_in: Vec<u32> = known.entry('B').or_default().ever.iter().copied().collect();
        for id in ever_in {
            assert_eq!(
                h.receive(&B, id, "again", 0).unwrap(),
                Received::Duplicate,
                "run {run}: incoming {id} forgotten"
            );
        }
    }
    assert!(
        acknowledged >= 50,
        "only {acknowledged} acknowledged changes in 10 runs"
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}
