//! The listener's gate and the caller's session-1 parser on arbitrary bytes
//! in arbitrary chunks: never panics; whatever the gate accepts as a request
//! parses the same way in one piece.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use rand::SeedableRng;
use rand::rngs::StdRng;
use susurro_crypto::{Representative, Secret};
use susurro_transport::session1::parse_request;
use susurro_transport::{Config, Gate, InboundStep, Session1Initiator};

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);
    let mut cfg = Config::new(Secret::new([7; 32]));
    cfg.s1_pad_max = 64;
    let mut rng = StdRng::seed_from_u64(1);
    let mut gate = Gate::new(cfg.clone());
    let mut conn = gate.accept();
    let now = Instant::now();
    for part in rest.chunks(chunk) {
        match gate.on_data(&mut conn, part, now, &mut rng) {
            InboundStep::NeedMore => {}
            InboundStep::Session1Request { remote, .. } => {
                let parsed = parse_request(rest, &cfg.access_key, cfg.s1_pad_max)
                    .expect("accepted request parses")
                    .expect("accepted request is complete");
                assert_eq!(parsed.0, remote);
                break;
            }
            _ => break,
        }
    }
    let _ = gate.on_eof(&mut conn, &mut rng);

    let (mut init, _) = Session1Initiator::new(&cfg, Representative::from_bytes([5; 32]), &mut rng);
    for part in rest.chunks(chunk) {
        match init.receive(part) {
            Ok(Some(_)) => {
                let _ = init.finish(Secret::new([1; 32]));
                return;
            }
            Ok(None) => {}
            Err(_) => return,
        }
    }
});
