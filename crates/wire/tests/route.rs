//! The routing policy: transport is fenced in, refusals are counted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use susurro_wire::route::Reason;
use susurro_wire::*;

#[test]
fn transport_to_storage_is_refused_and_counted() {
    let mut router = Router::new(Policy::DEFAULT);
    let env = Envelope::new(
        ModuleId::Transport,
        ModuleId::Storage,
        ScalarMult {
            req: 1,
            point: [9; 32],
        },
    );
    let refusal = router.check(&env).unwrap_err();
    assert_eq!(refusal.reason, Reason::PairForbidden);
    assert_eq!(refusal.total, 1);
    assert_eq!(router.refused(), 1);
    assert_eq!(
        router.refused_between(ModuleId::Transport, ModuleId::Storage),
        1
    );
    let event = refusal.event();
    assert_eq!(event.dst, ModuleId::Ui);
    assert_eq!(
        event.msg,
        Message::RouteRefused(RouteRefused {
            src: ModuleId::Transport,
            dst: ModuleId::Storage,
            kind: Kind::ScalarMult.code(),
            total: 1
        })
    );
    // The event itself is a legal message.
    assert!(router.check(&event).is_ok());
}

#[test]
fn matrix_fences_transport() {
    use ModuleId::*;
    let p = Policy::DEFAULT;
    for m in ModuleId::ALL {
        assert!(!p.pair_allowed(Transport, Storage) && !p.pair_allowed(Transport, Ui));
        if *m != Cryptor {
            assert!(
                !p.pair_allowed(*m, Transport),
                "{m:?} may not reach transport"
            );
        }
    }
    // No kind's route list contradicts the matrix.
    for k in Kind::ALL {
        for (s, d) in k.routes() {
            assert!(p.pair_allowed(*s, *d), "{} lists {s:?}→{d:?}", k.name());
        }
    }
}

#[test]
fn every_sample_on_its_route_passes_and_wrong_pairs_fail() {
    let mut router = Router::default();
    for env in common::samples::envelopes() {
        assert!(router.check(&env).is_ok(), "{:?}", env.msg.kind());
        for src in ModuleId::ALL {
            for dst in ModuleId::ALL {
                let allowed = env.msg.kind().routes().contains(&(*src, *dst));
                let e = Envelope {
                    src: *src,
                    dst: *dst,
                    msg: env.msg.clone(),
                };
                assert_eq!(
                    router.check(&e).is_ok(),
                    allowed,
                    "{:?} {src:?}→{dst:?}",
                    env.msg.kind()
                );
            }
        }
    }
}

#[test]
fn kind_on_wrong_pair_is_refused() {
    // Ui may talk to storage, but not with ScalarMult (only the cryptor may).
    let mut router = Router::default();
    let env = Envelope::new(
        ModuleId::Ui,
        ModuleId::Storage,
        ScalarMult {
            req: 1,
            point: [9; 32],
        },
    );
    assert_eq!(
        router.check(&env).unwrap_err().reason,
        Reason::KindNotAllowed
    );
}

#[test]
fn spoofed_source_is_refused() {
    // A link that hosts only transport cannot deliver a message from the cryptor.
    let mut router = Router::default();
    let env = Envelope::new(ModuleId::Cryptor, ModuleId::Storage, GetPublicKey {});
    let r = router.check_from(&env, &[ModuleId::Transport]).unwrap_err();
    assert_eq!(r.reason, Reason::SpoofedSource);
    assert_eq!(router.refused(), 1);
}
