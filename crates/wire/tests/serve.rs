#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `serve` and `answer_entropy`: the loop every runtime runs after handing a
//! core an input.

use susurro_wire::*;

/// A core that asks for `asks` rounds of entropy, sending a `MuteState`
/// after each answer with the answer's first byte as its flag.
struct Asker {
    asks: usize,
    got: Vec<Vec<u8>>,
}

impl ModuleCore for Asker {
    fn module(&self) -> ModuleId {
        ModuleId::Cryptor
    }
    fn handle(&mut self, _now: Instant, input: Input<'_>, out: &mut Outbox) {
        match input {
            Input::Start => out.request_entropy(100),
            Input::Entropy(b) => {
                self.got.push(b.to_vec());
                out.send(ModuleId::Ui, MuteState { on: b[0] == 1 }).unwrap();
                if self.got.len() < self.asks {
                    out.request_entropy(16);
                }
            }
            _ => {}
        }
    }
    fn deadline(&self) -> Option<Instant> {
        None
    }
}

fn start(asks: usize) -> (Asker, Outbox) {
    let mut core = Asker { asks, got: vec![] };
    let mut out = Outbox::new(ModuleId::Cryptor);
    core.handle(Instant::ZERO, Input::Start, &mut out);
    out.send(ModuleId::Ui, MuteState { on: false }).unwrap();
    (core, out)
}

#[test]
fn sends_in_order_and_answers_each_request_capped_at_64_bytes() {
    let (mut core, mut out) = start(3);
    let mut sent = vec![];
    let mut fills = 0u8;
    serve(
        &mut core,
        &mut out,
        || Instant::ZERO,
        |e: Envelope| {
            sent.push(e.msg);
            Ok::<(), ()>(())
        },
        |b: &mut [u8]| {
            fills += 1;
            b.fill(fills);
            Ok::<(), ()>(())
        },
    )
    .unwrap();
    assert_eq!(
        core.got.iter().map(Vec::len).collect::<Vec<_>>(),
        [module::MAX_ENTROPY_REQUEST, 16, 16]
    );
    // The message queued before the first answer goes first; each answer's
    // message follows it.
    let flags: Vec<bool> = sent
        .iter()
        .map(|m| match m {
            Message::MuteState(m) => m.on,
            m => panic!("{m:?}"),
        })
        .collect();
    assert_eq!(flags, [false, true, false, false]);
    assert!(out.is_empty() && out.take_entropy_request().is_none());
}

#[test]
fn a_core_that_always_asks_is_answered_a_bounded_number_of_times() {
    let (mut core, mut out) = start(usize::MAX);
    serve(
        &mut core,
        &mut out,
        || Instant::ZERO,
        |_| Ok::<(), ()>(()),
        |_: &mut [u8]| Ok::<(), ()>(()),
    )
    .unwrap();
    assert_eq!(core.got.len(), module::MAX_ENTROPY_ROUNDS);
    let (mut core, mut out) = start(usize::MAX);
    answer_entropy(
        &mut core,
        &mut out,
        || Instant::ZERO,
        |_: &mut [u8]| Ok::<(), ()>(()),
    )
    .unwrap();
    assert_eq!(core.got.len(), module::MAX_ENTROPY_ROUNDS);
    assert_eq!(
        out.len(),
        1 + module::MAX_ENTROPY_ROUNDS,
        "answer_entropy sends nothing"
    );
}

#[test]
fn failures_stop_and_leave_the_rest_queued() {
    let (mut core, mut out) = start(3);
    let r = serve(
        &mut core,
        &mut out,
        || Instant::ZERO,
        |_| Err::<(), _>("gone"),
        |_: &mut [u8]| Ok::<(), ()>(()),
    );
    assert_eq!(r, Err(ServeError::Send("gone")));
    assert!(core.got.is_empty());
    let (mut core, mut out) = start(3);
    let r = serve(
        &mut core,
        &mut out,
        || Instant::ZERO,
        |_| Ok::<(), ()>(()),
        |_: &mut [u8]| Err("no entropy"),
    );
    assert_eq!(r, Err(ServeError::Entropy("no entropy")));
    assert!(
        core.got.is_empty(),
        "a failed fill is never handed to the core"
    );
}
