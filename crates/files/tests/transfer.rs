#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Two [`Transfers`] over a lossy simulated link: a 1 MB file, the link
//! cut at half and both sides rebuilt from their stores, then resumed to
//! the end; and the policies of the receiving side (busy, too big, known
//! id with other contents, cancel, expiry).

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::sim::{Link, Way, random_bytes};
use rand::RngExt;
use susurro_files::{
    Config, ContactKey, Direction, Event, Failure, FileMessage, FileRefusal, Instant, Pace, Secret,
    Transfers, content_hash,
};

const ALICE: ContactKey = [0xA1; 32];
const BOB: ContactKey = [0xB0; 32];

struct World {
    dir: tempfile::TempDir,
    a: Option<Transfers>,
    b: Option<Transfers>,
    link: Link,
    now: Instant,
    a_events: Vec<Event>,
    b_events: Vec<Event>,
    /// Bob accepts what he is offered.
    auto_accept: bool,
}

impl World {
    fn new(link: Link, config: Config) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Self {
            dir,
            a: None,
            b: None,
            link,
            now: Instant::from_millis(5000),
            a_events: Vec::new(),
            b_events: Vec::new(),
            auto_accept: true,
        };
        w.open(config);
        w
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn open(&mut self, config: Config) {
        self.a = Some(
            Transfers::open(
                &self.path("alice/files"),
                &Secret::new([1; 32]),
                &self.path("alice/downloads"),
                config,
            )
            .unwrap(),
        );
        self.b = Some(
            Transfers::open(
                &self.path("bob/files"),
                &Secret::new([2; 32]),
                &self.path("bob/downloads"),
                config,
            )
            .unwrap(),
        );
    }

    fn a(&mut self) -> &mut Transfers {
        self.a.as_mut().unwrap()
    }

    fn b(&mut self) -> &mut Transfers {
        self.b.as_mut().unwrap()
    }

    fn start_sessions(&mut self) {
        let now = self.now;
        let offers = self.a().session_started(now, &BOB, Pace::Message);
        self.link.send(now, Way::Forth, offers);
        let offers = self.b().session_started(now, &ALICE, Pace::Message);
        self.link.send(now, Way::Back, offers);
        self.drain_events();
    }

    fn drain_events(&mut self) {
        while let Some(e) = self.a().next_event() {
            self.a_events.push(e);
        }
        let now = self.now;
        while let Some(e) = self.b().next_event() {
            if let Event::OfferReceived { file, .. } = &e
                && self.auto_accept
            {
                let file = *file;
                let out = self.b().accept(now, &ALICE, file).unwrap();
                self.link.send(now, Way::Back, out);
            }
            self.b_events.push(e);
        }
    }

    /// Runs until `stop` says so or nothing is left to do.
    fn run(&mut self, limit: Duration, mut stop: impl FnMut(&mut Self) -> bool) {
        let end = self.now + limit;
        loop {
            self.drain_events();
            if stop(self) {
                return;
            }
            let next = [self.link.next_at(), self.a.as_ref().unwrap().deadline()]
                .into_iter()
                .flatten()
                .min();
            let Some(next) = next else { return };
            assert!(next <= end, "the transfer did not end in time");
            self.now = self.now.max(next);
            let now = self.now;
            while let Some((way, m)) = self.link.take_due(now) {
                match way {
                    Way::Forth => {
                        let out = self.b().handle(now, &ALICE, &m);
                        self.link.send(now, Way::Back, out);
                    }
                    Way::Back => {
                        let out = self.a().handle(now, &BOB, &m);
                        self.link.send(now, Way::Forth, out);
                    }
                }
            }
            let out: Vec<_> = self.a().poll(now).into_iter().map(|(_, m)| m).collect();
            self.link.send(now, Way::Forth, out);
        }
    }
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Drops 2% of chunks and acknowledgements (the session's transport
/// delivers the other messages; a lost offer is offered again by the next
/// session).
fn lossy(seed: u64) -> Link {
    Link::new(
        seed,
        Duration::from_millis(30),
        Duration::from_millis(20),
        Box::new(|_, _, m, rng| {
            matches!(m, FileMessage::FileChunk(_) | FileMessage::FileAck(_))
                && rng.random_bool(0.02)
        }),
    )
}

#[test]
fn a_megabyte_over_a_lossy_link_survives_a_restart_of_both_sides() {
    let mut w = World::new(lossy(11), Config::default());
    let content = random_bytes(77, 1_000_000);
    std::fs::create_dir_all(w.path("alice/docs")).unwrap();
    let src = w.path("alice/docs/holiday photo.jpg");
    std::fs::write(&src, &content).unwrap();
    w.start_sessions();
    let now = w.now;
    let (file, offer) = w.a().offer_file(now, &BOB, &src).unwrap();
    let FileMessage::FileOffer(o) = &offer else {
        panic!()
    };
    assert_eq!(
        (o.file, o.size, o.hash),
        (file, 1_000_000, content_hash(&content))
    );
    assert_eq!(o.name.as_str(), "holiday photo.jpg");
    let first_key = o.key;
    w.link.send(now, Way::Forth, vec![offer]);

    // Up to half way.
    w.run(Duration::from_secs(600), |w| {
        let now = w.now;
        w.b()
            .progress(now, &ALICE, file, Direction::In)
            .is_some_and(|p| p.done_bytes >= 500_000)
    });
    let now = w.now;
    let held_at_cut = w
        .b()
        .progress(now, &ALICE, file, Direction::In)
        .unwrap()
        .done_bytes;
    assert!(matches!(
        &w.b_events[0],
        Event::OfferReceived { name, size: 1_000_000, .. } if name == "holiday photo.jpg"
    ));
    assert!(
        w.b_events
            .iter()
            .any(|e| matches!(e, Event::Progress { .. }))
    );
    assert!(w.link.dropped > 0, "the link lost nothing");

    // The link is cut and both programs stop without closing anything.
    w.link.clear();
    w.a = None;
    w.b = None;
    let part = files_in(&w.path("bob/files"));
    assert_eq!(
        part.iter().filter(|n| n.ends_with(".part")).count(),
        1,
        "{part:?}"
    );
    assert_eq!(part.iter().filter(|n| n.ends_with(".in")).count(), 1);
    assert_eq!(
        files_in(&w.path("alice/files"))
            .iter()
            .filter(|n| n.ends_with(".out"))
            .count(),
        1
    );

    // Both start again from their stores; the sessions come up.
    w.open(Config::default());
    w.now += Duration::from_secs(30);
    let a_before = w.a_events.len();
    let b_before = w.b_events.len();
    w.start_sessions();
    assert!(matches!(
        &w.a_events[a_before],
        Event::Resumed { direction: Direction::Out, file: f, .. } if *f == file
    ));
    w.run(Duration::from_secs(600), |w| {
        w.b_events[b_before..]
            .iter()
            .any(|e| matches!(e, Event::Done { .. }))
            && w.a_events[a_before..]
                .iter()
                .any(|e| matches!(e, Event::Done { .. }))
    });
    // Bob resumed without being asked, from what he held.
    let resumed = w.b_events[b_before..]
        .iter()
        .find_map(|e| match e {
            Event::Resumed {
                direction: Direction::In,
                done_bytes,
                file: f,
                ..
            } if *f == file => Some(*done_bytes),
            _ => None,
        })
        .expect("bob resumed");
    assert!(
        resumed > 0 && resumed <= held_at_cut,
        "{resumed} of {held_at_cut}"
    );
    assert!(
        !w.b_events[b_before..]
            .iter()
            .any(|e| matches!(e, Event::OfferReceived { .. }))
    );
    let path = w.b_events[b_before..]
        .iter()
        .find_map(|e| match e {
            Event::Done { path, .. } => path.clone(),
            _ => None,
        })
        .unwrap();
    assert_eq!(path, w.path("bob/downloads/holiday photo.jpg"));
    let saved = std::fs::read(&path).unwrap();
    assert_eq!(content_hash(&saved), content_hash(&content));
    assert!(saved == content, "the saved file differs");
    // Nothing is left behind: records, partial data, temporaries.
    let left: Vec<_> = files_in(&w.path("bob/files"))
        .into_iter()
        .chain(files_in(&w.path("alice/files")))
        .filter(|n| n != "lock")
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(
        files_in(&w.path("bob/downloads")),
        vec!["holiday photo.jpg"]
    );
    assert_eq!(w.a().store().outgoing().count(), 0);
    // The same key was used after the restart (the record kept it).
    let _ = first_key;
}

#[test]
fn offers_are_refused_when_busy_too_big_or_known_otherwise() {
    let config = Config {
        max_size: 10_000,
        ..Config::default()
    };
    let mut w = World::new(Link::perfect(Duration::from_millis(5)), config);
    w.auto_accept = false;
    let now = w.now;
    let offer = |file: u64, size: u64, key: u8| {
        FileMessage::FileOffer(susurro_wire::FileOffer {
            file,
            size,
            hash: [7; 32],
            key: [key; 32],
            name: susurro_wire::Text::new("../../etc/passwd").unwrap(),
        })
    };
    // Too big.
    let out = w.b().handle(now, &ALICE, &offer(1, 10_001, 1));
    assert!(matches!(&out[..], [FileMessage::FileDecline(d)] if d.reason == FileRefusal::TooBig));
    assert!(matches!(
        w.b().next_event(),
        Some(Event::OfferRefused { reason: FileRefusal::TooBig, name, .. }) if name == "passwd"
    ));
    // Four at once are fine; the fifth is busy.
    for f in 10..14 {
        assert!(w.b().handle(now, &ALICE, &offer(f, 100, 1)).is_empty());
        assert!(matches!(w.b().next_event(), Some(Event::OfferReceived { file, .. }) if file == f));
    }
    let out = w.b().handle(now, &ALICE, &offer(14, 100, 1));
    assert!(matches!(&out[..], [FileMessage::FileDecline(d)] if d.reason == FileRefusal::Busy));
    // Another contact is not busy.
    assert!(
        w.b()
            .handle(now, &[0xC0; 32], &offer(14, 100, 1))
            .is_empty()
    );
    // The person declines one; an answer to no offer is an error.
    let out = w
        .b()
        .decline(now, &ALICE, 10, FileRefusal::Declined)
        .unwrap();
    assert!(matches!(&out[..], [FileMessage::FileDecline(d)] if d.reason == FileRefusal::Declined));
    assert!(w.b().accept(now, &ALICE, 10).is_err());
    assert!(w.b().accept(now, &ALICE, 99).is_err());
    // Accepted, then offered again with another key: unknown.
    let out = w.b().accept(now, &ALICE, 11).unwrap();
    assert!(matches!(&out[..], [FileMessage::FileAccept(a)] if a.next == 0));
    w.b().session_ended(&ALICE);
    let out = w.b().handle(now, &ALICE, &offer(11, 100, 2));
    assert!(matches!(&out[..], [FileMessage::FileDecline(d)] if d.reason == FileRefusal::Unknown));
    // The right one resumes it without asking.
    let out = w.b().handle(now, &ALICE, &offer(11, 100, 1));
    assert!(matches!(&out[..], [FileMessage::FileAccept(a)] if a.next == 0));
    // A chunk for nothing known: Unknown, once.
    let chunk = FileMessage::FileChunk(susurro_wire::FileChunk {
        file: 77,
        index: 0,
        data: susurro_wire::Bytes::new(&[0; 256]).unwrap(),
    });
    let out = w.b().handle(now, &ALICE, &chunk);
    assert!(matches!(&out[..], [FileMessage::FileDecline(d)] if d.reason == FileRefusal::Unknown));
    assert!(w.b().handle(now, &ALICE, &chunk).is_empty());
    // Cancelled by Alice: the record and the partial data go.
    let cancel = FileMessage::FileDecline(susurro_wire::FileDecline {
        file: 11,
        reason: FileRefusal::Declined,
    });
    assert!(w.b().handle(now, &ALICE, &cancel).is_empty());
    assert_eq!(w.b().store().incoming().count(), 0);
    let left: Vec<_> = files_in(&w.path("bob/files"))
        .into_iter()
        .filter(|n| n != "lock")
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn sending_the_same_file_again_keeps_its_id_and_key() {
    let mut w = World::new(Link::perfect(Duration::from_millis(5)), Config::default());
    let now = w.now;
    let src = w.path("a.txt");
    std::fs::write(&src, b"hello").unwrap();
    let (f1, o1) = w.a().offer_file(now, &BOB, &src).unwrap();
    assert!(matches!(
        w.a().offer_file(now, &BOB, &src),
        Err(susurro_files::FilesError::AlreadySending)
    ));
    w.a().session_ended(&BOB);
    let (f2, o2) = w.a().offer_file(now, &BOB, &src).unwrap();
    assert_eq!((f1, &o1), (f2, &o2));
    // To someone else: another transfer.
    let (f3, _) = w.a().offer_file(now, &ALICE, &src).unwrap();
    assert_ne!(f3, f1);
    // Changed: another transfer too.
    w.a().session_ended(&BOB);
    std::fs::write(&src, b"hello!").unwrap();
    let (f4, _) = w.a().offer_file(now, &BOB, &src).unwrap();
    assert_ne!(f4, f1);
    assert_eq!(w.a().store().outgoing().count(), 3);
    // Bad paths say what is wrong.
    let nope = w.path("nope");
    let e = w.a().offer_file(now, &BOB, &nope).unwrap_err();
    assert!(
        matches!(e, susurro_files::FilesError::NotFound { .. }),
        "{e}"
    );
    let folder = w.dir.path().to_owned();
    let e = w.a().offer_file(now, &BOB, &folder).unwrap_err();
    assert!(
        matches!(e, susurro_files::FilesError::NotAFile { .. }),
        "{e}"
    );
    // Expiry removes records older than 7 days that are not in progress.
    w.a().session_ended(&BOB);
    w.a().session_ended(&ALICE);
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(w.a().expire(unix + 6 * 86_400).unwrap(), 0);
    assert_eq!(w.a().expire(unix + 8 * 86_400).unwrap(), 3);
    assert_eq!(w.a().store().outgoing().count(), 0);
}

#[test]
fn a_refusal_and_a_failure_reach_the_sender() {
    let mut w = World::new(Link::perfect(Duration::from_millis(5)), Config::default());
    w.auto_accept = false;
    let now = w.now;
    let src = w.path("b.bin");
    std::fs::write(&src, random_bytes(3, 5000)).unwrap();
    let (file, offer) = w.a().offer_file(now, &BOB, &src).unwrap();
    w.link.send(now, Way::Forth, vec![offer]);
    w.run(Duration::from_secs(10), |_| false);
    let out = w
        .b()
        .decline(now, &ALICE, file, FileRefusal::Declined)
        .unwrap();
    w.link.send(now, Way::Back, out);
    w.run(Duration::from_secs(10), |_| false);
    assert!(w.a_events.iter().any(|e| matches!(
        e,
        Event::Failed {
            failure: Failure::Peer(FileRefusal::Declined),
            direction: Direction::Out,
            ..
        }
    )));
    // A refusal removes the record: the next send is a new transfer.
    assert_eq!(w.a().store().outgoing().count(), 0);

    // Bob's store cannot be written: he declines NoSpace.
    let (file, offer) = w.a().offer_file(now, &BOB, &src).unwrap();
    w.link.send(now, Way::Forth, vec![offer]);
    w.run(Duration::from_secs(10), |_| false);
    let store = w.path("bob/files");
    std::fs::remove_dir_all(&store).unwrap();
    std::fs::write(&store, b"not a directory").unwrap();
    let out = w.b().accept(now, &ALICE, file).unwrap();
    assert!(matches!(&out[..], [FileMessage::FileDecline(d)] if d.reason == FileRefusal::NoSpace));
    assert!(w.b().next_event().is_some_and(|e| matches!(
        e,
        Event::Failed {
            failure: Failure::Local(FileRefusal::NoSpace),
            error: Some(_),
            ..
        }
    )));
}

#[test]
fn a_file_saved_but_not_confirmed_is_confirmed_when_offered_again() {
    // Bob's FileDone is lost and the session drops: the next session's
    // offer is answered FileDone at once, without asking Bob again or
    // saving a second copy.
    let link = Link::new(
        1,
        Duration::from_millis(5),
        Duration::ZERO,
        Box::new(|_, w, m, _| w == Way::Back && matches!(m, FileMessage::FileDone(_))),
    );
    let mut w = World::new(link, Config::default());
    w.start_sessions();
    let src = w.path("c.bin");
    std::fs::write(&src, random_bytes(4, 3000)).unwrap();
    let now = w.now;
    let (file, offer) = w.a().offer_file(now, &BOB, &src).unwrap();
    w.link.send(now, Way::Forth, vec![offer]);
    w.run(Duration::from_secs(30), |w| {
        w.b_events.iter().any(|e| matches!(e, Event::Done { .. }))
    });
    w.a().session_ended(&BOB);
    w.b().session_ended(&ALICE);
    w.link = Link::perfect(Duration::from_millis(5));
    w.now += Duration::from_secs(5);
    let offered = w.b_events.len();
    w.start_sessions();
    w.run(Duration::from_secs(30), |w| {
        w.a_events.iter().any(|e| matches!(e, Event::Done { .. }))
    });
    assert!(matches!(
        w.a_events.last(),
        Some(Event::Done { file: f, direction: Direction::Out, .. }) if *f == file
    ));
    assert!(w.b_events.len() == offered, "{:?}", &w.b_events[offered..]);
    assert_eq!(files_in(&w.path("bob/downloads")), vec!["c.bin"]);
}
